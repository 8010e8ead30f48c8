// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan create: a named channel, with the module's limits explained when
 * the request exceeds them; a lease channel with its dead-letter channel;
 * a paced channel.
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
#define GIVEN_AUTOCLOSE	(1U << 3)
#define GIVEN_LEASE	(1U << 4)
#define GIVEN_LEASE_MS	(1U << 5)
#define GIVEN_MAX_DELIV	(1U << 6)
#define GIVEN_RATE	(1U << 7)
#define GIVEN_BURST	(1U << 8)
#define GIVEN_REPLY	(1U << 9)
#define GIVEN_RELAY	(1U << 10)

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
		if ((attr->flags & CSPCHAN_LEASE) && !(f.features & CSPCHAN_FEAT_LEASE)) {
			cli_errorf("create", "%s: %s (this cspchan module has no lease channels)",
				   name, strerror(EINVAL));
			return;
		}
		if ((attr->flags & CSPCHAN_RELAY) && !(f.features & CSPCHAN_FEAT_RELAY)) {
			cli_errorf("create", "%s: %s (this cspchan module has no relay channels)",
				   name, strerror(EINVAL));
			return;
		}
		if (attr->rate && !(f.features & CSPCHAN_FEAT_PACE)) {
			cli_errorf("create", "%s: %s (this cspchan module has no paced channels)",
				   name, strerror(EINVAL));
			return;
		}
		if (attr->rate && attr->capacity == 0) {
			cli_errorf("create", "%s: %s (a paced channel needs a capacity of 1 or more)",
				   name, strerror(EINVAL));
			return;
		}
		if ((attr->flags & CSPCHAN_LEASE) && attr->capacity == 0) {
			cli_errorf("create", "%s: %s (a lease channel needs a capacity of 1 or more)",
				   name, strerror(EINVAL));
			return;
		}
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
	unsigned int burst = attr->rate ? (attr->burst ? attr->burst : 1) : 0;
	char lease[64] = "", pace[64] = "";
	struct cspchan_stat st;

	if (!given || cspchan_stat(fd, &st) < 0)
		return;
	if (((given & GIVEN_CAPACITY) && st.capacity != attr->capacity) ||
	    ((given & GIVEN_MSG_SIZE) && st.msg_size != attr->msg_size) ||
	    ((given & GIVEN_MODE) && st.mode != attr->mode) ||
	    ((given & GIVEN_AUTOCLOSE) && !st.autoclose) ||
	    ((given & GIVEN_LEASE) && !st.lease) ||
	    ((given & GIVEN_REPLY) && !st.reply) ||
	    ((given & GIVEN_RELAY) && !cli_channel_relays(fd)) ||
	    ((given & GIVEN_LEASE_MS) && st.lease_ms != attr->lease_ms) ||
	    ((given & GIVEN_MAX_DELIV) && st.max_deliveries != attr->max_deliveries) ||
	    ((given & GIVEN_RATE) && st.rate != attr->rate) ||
	    ((given & GIVEN_BURST) && st.burst != burst)) {
		if (st.lease)
			snprintf(lease, sizeof(lease), ", lease (lease_ms %u, max_deliveries %u)",
				 st.lease_ms, st.max_deliveries);
		if (st.rate)
			snprintf(pace, sizeof(pace), ", rate %u/s burst %u",
				 st.rate, st.burst);
		cli_errorf("create", "%s: exists with capacity %u, msg_size %u, mode %04o%s%s%s%s%s; left unchanged",
			   name, st.capacity, st.msg_size, st.mode,
			   st.autoclose ? ", autoclose" : "", lease, pace,
			   st.reply ? ", reply" : "",
			   cli_channel_relays(fd) ? ", relay" : "");
	}
}

/*
 * --dead-letter on a channel that was there already: it is left as it
 * is, like every other attribute; say so if it names another channel.
 */
static void warn_if_other_deadletter(const char *name, int fd, int dlq)
{
	struct cspchan_stat st, dst;

	if (cspchan_stat(fd, &st) < 0 || cspchan_stat(dlq, &dst) < 0 ||
	    st.dead_letter == dst.id)
		return;
	cli_errorf("create", "%s: exists with %s dead-letter channel; left unchanged",
		   name, st.dead_letter ? "another" : "no");
}

/*
 * Give the new channel @fd its dead-letter channel.  If that fails, the
 * channel this command created is removed again: a failed create leaves
 * nothing behind.
 */
static int set_deadletter(const char *name, int fd, int dlq, const char *dlq_name)
{
	int ret = cspchan_set_deadletter(fd, dlq);

	if (ret == 0)
		return CLI_OK;
	cli_errorf("create", "%s: dead-letter channel %s: %s", name, dlq_name,
		   strerror(-ret));
	cspchan_unlink(name);
	return CLI_ERROR;
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
	enum {
		OPT_AUTOCLOSE = 256, OPT_LEASE, OPT_LEASE_MS, OPT_MAX_DELIVERIES,
		OPT_DEAD_LETTER, OPT_RATE, OPT_BURST, OPT_REPLY, OPT_RELAY,
	};
	static const struct option longopts[] = {
		{ "capacity", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "autoclose", no_argument, NULL, OPT_AUTOCLOSE },
		{ "lease", no_argument, NULL, OPT_LEASE },
		{ "lease-ms", required_argument, NULL, OPT_LEASE_MS },
		{ "max-deliveries", required_argument, NULL, OPT_MAX_DELIVERIES },
		{ "dead-letter", required_argument, NULL, OPT_DEAD_LETTER },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "burst", required_argument, NULL, OPT_BURST },
		{ "reply", no_argument, NULL, OPT_REPLY },
		{ "relay", no_argument, NULL, OPT_RELAY },
		{ "excl", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct cspchan_attr attr = {
		.capacity = DEFAULT_CAPACITY,
		.msg_size = DEFAULT_MSG_SIZE,
		.mode = DEFAULT_MODE,
	};
	const char *dlq_name = NULL;
	unsigned int given = 0;
	bool excl = false, created = true;
	const char *name;
	int opt, fd, dlq = -1, status;
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
			given |= GIVEN_AUTOCLOSE;
			break;
		case OPT_LEASE:
			attr.flags |= CSPCHAN_LEASE;
			given |= GIVEN_LEASE;
			break;
		case OPT_REPLY:
			attr.flags |= CSPCHAN_REPLY;
			given |= GIVEN_REPLY;
			break;
		case OPT_RELAY:
			attr.flags |= CSPCHAN_RELAY;
			given |= GIVEN_RELAY;
			break;
		case OPT_LEASE_MS:
			if (!cli_parse_uint(optarg, UINT32_MAX, false, &v))
				return cli_usage(cmd, "bad lease time '%s' (milliseconds)", optarg);
			attr.lease_ms = (unsigned int)v;
			given |= GIVEN_LEASE_MS;
			break;
		case OPT_MAX_DELIVERIES:
			if (!cli_parse_uint(optarg, UINT32_MAX, false, &v))
				return cli_usage(cmd, "bad delivery count '%s'", optarg);
			attr.max_deliveries = (unsigned int)v;
			given |= GIVEN_MAX_DELIV;
			break;
		case OPT_DEAD_LETTER:
			dlq_name = optarg;
			break;
		case OPT_RATE:
			if (!cli_parse_rate(optarg, &attr.rate))
				return cli_usage(cmd, "bad rate '%s' (messages per second)",
						 optarg);
			given |= GIVEN_RATE;
			break;
		case OPT_BURST:
			if (!cli_parse_uint(optarg, UINT32_MAX, false, &v))
				return cli_usage(cmd, "bad burst '%s'", optarg);
			attr.burst = (unsigned int)v;
			given |= GIVEN_BURST;
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
	if (!(attr.flags & CSPCHAN_LEASE) && (given & (GIVEN_LEASE_MS | GIVEN_MAX_DELIV)))
		return cli_usage(cmd, "--lease-ms and --max-deliveries need --lease");
	if (!(attr.flags & CSPCHAN_LEASE) && dlq_name)
		return cli_usage(cmd, "--dead-letter needs --lease");
	if ((given & GIVEN_BURST) && !(given & GIVEN_RATE))
		return cli_usage(cmd, "--burst needs --rate");

	/* Before the channel exists, so that a bad one leaves nothing behind. */
	if (dlq_name) {
		dlq = cli_open(cmd->name, dlq_name, O_WRONLY | O_CLOEXEC);
		if (dlq < 0)
			return CLI_ERROR;
	}

	fd = cspchan_create(name, &attr, O_EXCL | O_CLOEXEC);
	if (fd == -EEXIST && !excl) {
		created = false;
		fd = cspchan_create(name, &attr, O_CLOEXEC);
		if (fd >= 0)
			warn_if_different(name, fd, &attr, given);
		if (fd >= 0 && dlq >= 0)
			warn_if_other_deadletter(name, fd, dlq);
	}
	if (fd == -EINVAL) {
		explain_einval(name, &attr);
		status = CLI_ERROR;
		goto out;
	}
	if (fd < 0) {
		cli_channel_error(cmd->name, name, -fd);
		status = CLI_ERROR;
		goto out;
	}
	status = CLI_OK;
	if (created && dlq >= 0)
		status = set_deadletter(name, fd, dlq, dlq_name);
	if (status == CLI_OK && (attr.flags & CSPCHAN_AUTOCLOSE))
		warn_if_autoclosed(name, fd);
	else
		close(fd);
out:
	if (dlq >= 0)
		close(dlq);
	return status;
}

const struct cli_command cmd_create = {
	.name = "create",
	.summary = "create a named channel",
	.run = create_run,
	.help =
"Usage: cspchan create NAME [-c CAPACITY] [-s SIZE] [-m MODE] [--autoclose] [-x]\n"
"                      [--lease [--lease-ms MS] [--max-deliveries N]\n"
"                       [--dead-letter NAME]] [--rate N[/s] [--burst N]]\n"
"                      [--reply] [--relay]\n"
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
"      --lease        a lease channel (capacity 1 or more): each message\n"
"                     received stays leased to its receiver until\n"
"                     acknowledged, and goes back to the channel if the\n"
"                     receiver dies first (at-least-once delivery)\n"
"      --lease-ms MS  also redeliver a message whose lease was not\n"
"                     acknowledged within MS milliseconds (default 0: never)\n"
"      --max-deliveries N\n"
"                     deliver a message at most N times (default 0: no\n"
"                     limit); then it goes to the dead-letter channel, or\n"
"                     is dropped\n"
"      --dead-letter NAME\n"
"                     the existing channel that takes those messages (only\n"
"                     set when this command creates the channel)\n"
"      --rate N[/s]   a paced channel (capacity 1 or more): at most N\n"
"                     messages per second leave it, summed over all its\n"
"                     receivers (default 0: unpaced; see cspchan pace)\n"
"      --burst N      with --rate: up to N messages at once (default 1)\n"
"      --reply        a reply channel: it can travel in messages of other\n"
"                     channels (cspchan_sendmsg(3)), and shuts down when its\n"
"                     receivers are gone or, once it travelled, when no\n"
"                     message or travelled handle holds it any more\n"
"      --relay        a relay channel: senders may give each message the\n"
"                     seq, pid and sent_ns it had on another machine\n"
"                     (cspchan_relay(3)); receivers see those instead of\n"
"                     the kernel's stamp\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 created or already there, 1 error, 2 usage.\n"
"\n"
"Examples:\n"
"  cspchan create jobs\n"
"  cspchan create -c 0 handoff              # unbuffered\n"
"  cspchan create -c 1024 -s 64K -m 0660 -x frames\n"
"  cspchan create jobs.dead\n"
"  cspchan create --lease --lease-ms 30000 --max-deliveries 5 \\\n"
"          --dead-letter jobs.dead jobs\n"
"  cspchan create --rate 50/s --burst 10 api.calls\n"
"  cspchan create --relay orders.from-nats\n",
};
