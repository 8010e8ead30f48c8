// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan create: a named channel, with the module's limits explained when
 * the request exceeds them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cspchan.h>

#include "cli.h"

#define DEFAULT_CAPACITY	64
#define DEFAULT_MSG_SIZE	4096
#define DEFAULT_MODE		0600

/* Which attributes "create" was given explicitly. */
#define GIVEN_CAPACITY	(1U << 0)
#define GIVEN_MSG_SIZE	(1U << 1)
#define GIVEN_MODE	(1U << 2)
#define GIVEN_FLAGS	(1U << 3)

static bool valid_name(const char *name)
{
	size_t len = strlen(name);

	return len >= 1 && len < CSPCHAN_NAME_MAX &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789._-") == len;
}

/*
 * The kernel says only EINVAL; say which limit was hit, from the module's
 * own figures, so the user need not read /sys/module/cspchan/parameters.
 */
static void explain_einval(const char *name, const struct cspchan_attr *attr)
{
	struct cspchan_features f;

	if (!valid_name(name)) {
		cli_errorf("create", "%s: %s (a name is 1 to %d characters of A-Z a-z 0-9 . _ -)",
			   name, strerror(EINVAL), CSPCHAN_NAME_MAX - 1);
		return;
	}
	if (cspchan_features(&f) == 0) {
		if (attr->capacity > f.max_capacity) {
			cli_errorf("create", "%s: %s (capacity is at most %u)",
				   name, strerror(EINVAL), f.max_capacity);
			return;
		}
		if (attr->msg_size == 0 || attr->msg_size > f.max_msg_size) {
			cli_errorf("create", "%s: %s (msg_size is 1 to %u)",
				   name, strerror(EINVAL), f.max_msg_size);
			return;
		}
		if ((uint64_t)attr->capacity * attr->msg_size > f.max_channel_bytes) {
			cli_errorf("create", "%s: %s (capacity x msg_size is above max_channel_bytes %llu)",
				   name, strerror(EINVAL),
				   (unsigned long long)f.max_channel_bytes);
			return;
		}
	}
	cli_error("create", name, EINVAL);
}

/* Without -x an existing channel is opened: say if it differs from the request. */
static void warn_if_different(const char *name, int fd, const struct cspchan_attr *attr,
			      unsigned int given)
{
	struct cspchan_stat st;

	if (!given || cspchan_stat(fd, &st) < 0)
		return;
	if (((given & GIVEN_CAPACITY) && st.capacity != attr->capacity) ||
	    ((given & GIVEN_MSG_SIZE) && st.msg_size != attr->msg_size) ||
	    ((given & GIVEN_MODE) && st.mode != attr->mode) ||
	    ((given & GIVEN_FLAGS) && !st.autoclose))
		cli_errorf("create", "%s: exists with capacity %u, msg_size %u, mode %04o%s; left unchanged",
			   name, st.capacity, st.msg_size, st.mode,
			   st.autoclose ? ", autoclose" : "");
}

/*
 * Close the handle of an auto-close channel and say if that shut it down.
 * The module arms auto-close only once a message was sent (or a second
 * sender opened it), so this warns only against a module that does not.
 */
static void warn_if_autoclosed(const char *name, int fd)
{
	int watcher = cspchan_open(name, O_RDONLY | O_CLOEXEC);
	struct cspchan_stat st;

	close(fd);
	if (watcher < 0)
		return;
	if (cspchan_stat(watcher, &st) == 0 && st.shut)
		cli_errorf("create", "%s: warning: %s",
			   name, "auto-close shut it down with this command's handle");
	close(watcher);
}

static int create_run(const struct cli_command *cmd, int argc, char **argv)
{
	enum { OPT_AUTOCLOSE = 256 };
	static const struct option longopts[] = {
		{ "capacity", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "autoclose", no_argument, NULL, OPT_AUTOCLOSE },
		{ "excl", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct cspchan_attr attr = {
		.capacity = DEFAULT_CAPACITY,
		.msg_size = DEFAULT_MSG_SIZE,
		.mode = DEFAULT_MODE,
	};
	unsigned int given = 0;
	bool excl = false;
	const char *name;
	int opt, fd;
	uint64_t v;

	while ((opt = getopt_long(argc, argv, ":c:s:m:xh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (!cli_parse_uint(optarg, UINT32_MAX, true, &v))
				return cli_usage(cmd, "bad capacity '%s'", optarg);
			attr.capacity = (unsigned int)v;
			given |= GIVEN_CAPACITY;
			break;
		case 's':
			if (!cli_parse_uint(optarg, UINT32_MAX, true, &v) || !v)
				return cli_usage(cmd, "bad message size '%s'", optarg);
			attr.msg_size = (unsigned int)v;
			given |= GIVEN_MSG_SIZE;
			break;
		case 'm': {
			char *end;
			unsigned long mode;

			errno = 0;
			mode = strtoul(optarg, &end, 8);
			if (errno || end == optarg || *end || mode > 0777 ||
			    *optarg == '-' || *optarg == '+')
				return cli_usage(cmd, "bad mode '%s' (octal, at most 0777)",
						 optarg);
			attr.mode = (unsigned int)mode;
			given |= GIVEN_MODE;
			break;
		}
		case OPT_AUTOCLOSE:
			attr.flags |= CSPCHAN_AUTOCLOSE;
			given |= GIVEN_FLAGS;
			break;
		case 'x':
			excl = true;
			break;
		case 'h':
			return cli_help(cmd);
		default:
			return cli_bad_option(cmd, opt, argv);
		}
	}
	if (optind != argc - 1)
		return cli_usage(cmd, optind < argc ? "one NAME expected" : "missing NAME");
	name = argv[optind];

	fd = cspchan_create(name, &attr, O_EXCL | O_CLOEXEC);
	if (fd == -EEXIST && !excl) {
		fd = cspchan_create(name, &attr, O_CLOEXEC);
		if (fd >= 0)
			warn_if_different(name, fd, &attr, given);
	}
	if (fd == -EINVAL) {
		explain_einval(name, &attr);
		return CLI_ERROR;
	}
	if (fd < 0) {
		cli_channel_error(cmd->name, name, -fd);
		return CLI_ERROR;
	}
	if (attr.flags & CSPCHAN_AUTOCLOSE)
		warn_if_autoclosed(name, fd);
	else
		close(fd);
	return CLI_OK;
}

const struct cli_command cmd_create = {
	.name = "create",
	.summary = "create a named channel",
	.run = create_run,
	.help =
"Usage: cspchan create NAME [-c CAPACITY] [-s SIZE] [-m MODE] [--autoclose] [-x]\n"
"\n"
"Create the channel NAME in this IPC namespace.  A name is 1 to 63\n"
"characters of A-Z a-z 0-9 . _ -.  If NAME exists already it is left as it\n"
"is (with a warning when it differs from the options given) and the status\n"
"is 0, unless -x is given.\n"
"\n"
"Options:\n"
"  -c, --capacity N   messages buffered before senders block (default 64;\n"
"                     0 makes an unbuffered, rendezvous channel)\n"
"  -s, --size BYTES   largest message (default 4096; K and M suffixes)\n"
"  -m, --mode MODE    permission bits, octal (default 0600): read permission\n"
"                     allows receiving, write permission sending\n"
"      --autoclose    shut the channel down when its last send-capable\n"
"                     handle is released, once a message was sent (the\n"
"                     handle this command holds does not count)\n"
"  -x, --excl         fail (File exists) if NAME exists\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 created or already there, 1 error, 2 usage.\n"
"\n"
"Examples:\n"
"  cspchan create jobs\n"
"  cspchan create -c 0 handoff              # unbuffered\n"
"  cspchan create -c 1024 -s 64K -m 0660 -x frames\n",
};
