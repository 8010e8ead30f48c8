// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan send: arguments, lines, NUL-separated strings or fixed-size
 * records from stdin, one message each, with the channel's back-pressure.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cspchan.h>

#include "cli.h"

/* The largest record -r accepts; the module's own limit is lower. */
#define MAX_RECORD	(1U << 30)

struct sender {
	const char *name;
	int fd;
	int timeout_ms;		/* -1: wait as long as it takes */
	unsigned long long nr;	/* messages offered so far, for messages */
};

/* Say why message @len was too long, with the channel's own limit. */
static void explain_emsgsize(const struct sender *s, size_t len)
{
	struct cspchan_stat st;

	if (cspchan_stat(s->fd, &st) < 0) {
		cli_error("send", s->name, EMSGSIZE);
		return;
	}
	cli_errorf("send", "%s: %s (message %llu is %zu bytes; msg_size is %u)",
		   s->name, strerror(EMSGSIZE), s->nr, len, st.msg_size);
}

/*
 * Send one message; returns a CLI_* status, having reported a failure.
 * Empty messages are skipped: the kernel refuses them (EINVAL), because a
 * zero-length read is how a receiver learns of the end of stream.
 */
static int send_one(struct sender *s, const void *msg, size_t len)
{
	ssize_t ret;

	if (len == 0)
		return CLI_OK;
	s->nr++;
	do {
		if (s->timeout_ms >= 0)
			ret = cspchan_send_timeout(s->fd, msg, len, s->timeout_ms);
		else
			ret = cspchan_send(s->fd, msg, len);
	} while (ret == -EINTR);
	if (ret >= 0)
		return CLI_OK;

	switch (-ret) {
	case ETIMEDOUT:
	case EAGAIN:	/* -t 0: the channel was full */
		cli_errorf("send", "%s: %s (message %llu not sent)", s->name,
			   strerror(ETIMEDOUT), s->nr);
		return CLI_TIMEOUT;
	case EPIPE:
		cli_errorf("send", "%s: %s (the channel is shut down)", s->name,
			   strerror(EPIPE));
		return CLI_SHUT;
	case EMSGSIZE:
		explain_emsgsize(s, len);
		return CLI_ERROR;
	default:
		cli_error("send", s->name, (int)-ret);
		return CLI_ERROR;
	}
}

/* Lines (@delim '\n') or NUL-separated strings ('\0') from stdin. */
static int send_delimited(struct sender *s, int delim)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	int status = CLI_OK;

	while (status == CLI_OK && (len = getdelim(&buf, &cap, delim, stdin)) >= 0) {
		if (len > 0 && buf[len - 1] == delim)
			len--;
		status = send_one(s, buf, (size_t)len);
	}
	if (status == CLI_OK && ferror(stdin)) {
		cli_error("send", "stdin", errno ? errno : EIO);
		status = CLI_ERROR;
	}
	free(buf);
	return status;
}

/* Records of @size bytes from stdin; the last may be shorter. */
static int send_records(struct sender *s, size_t size)
{
	int status = CLI_OK;
	char *buf;
	size_t len;

	buf = malloc(size);
	if (!buf) {
		cli_error("send", "record", ENOMEM);
		return CLI_ERROR;
	}
	while (status == CLI_OK && (len = fread(buf, 1, size, stdin)) > 0)
		status = send_one(s, buf, len);
	if (status == CLI_OK && ferror(stdin)) {
		cli_error("send", "stdin", errno ? errno : EIO);
		status = CLI_ERROR;
	}
	free(buf);
	return status;
}

static int send_run(const struct cli_command *cmd, int argc, char **argv)
{
	enum { OPT_SHUTDOWN = 256 };
	static const struct option longopts[] = {
		{ "null", no_argument, NULL, '0' },
		{ "record", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "shutdown", no_argument, NULL, OPT_SHUTDOWN },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct sender s = { .timeout_ms = -1 };
	bool nul = false, shut = false;
	uint64_t record = 0;
	int opt, status;

	while ((opt = getopt_long(argc, argv, ":0r:t:h", longopts, NULL)) != -1) {
		switch (opt) {
		case '0':
			nul = true;
			break;
		case 'r':
			if (!cli_parse_uint(optarg, MAX_RECORD, true, &record) || !record)
				return cli_usage(cmd, "bad record size '%s'", optarg);
			break;
		case 't':
			if (!cli_parse_ms(optarg, &s.timeout_ms))
				return cli_usage(cmd, "bad timeout '%s' (milliseconds)", optarg);
			break;
		case OPT_SHUTDOWN:
			shut = true;
			break;
		case 'h':
			return cli_help(cmd);
		default:
			return cli_bad_option(cmd, opt, argv);
		}
	}
	if (optind == argc)
		return cli_usage(cmd, "missing NAME");
	if (nul && record)
		return cli_usage(cmd, "-0 and -r exclude each other");
	if ((nul || record) && optind + 1 < argc)
		return cli_usage(cmd, "-0 and -r read stdin; no MSG arguments with them");

	s.name = argv[optind];
	s.fd = cli_open(cmd->name, s.name, O_WRONLY | O_CLOEXEC);
	if (s.fd < 0)
		return CLI_ERROR;

	if (optind + 1 < argc) {
		int i;

		status = CLI_OK;
		for (i = optind + 1; i < argc && status == CLI_OK; i++)
			status = send_one(&s, argv[i], strlen(argv[i]));
	} else if (record) {
		status = send_records(&s, (size_t)record);
	} else {
		status = send_delimited(&s, nul ? '\0' : '\n');
	}

	if (status == CLI_OK && shut) {
		int ret = cspchan_shutdown(s.fd);

		if (ret < 0) {
			cli_error(cmd->name, s.name, -ret);
			status = cli_status_of(-ret);
		}
	}
	close(s.fd);
	return status;
}

const struct cli_command cmd_send = {
	.name = "send",
	.summary = "send arguments or stdin as messages",
	.run = send_run,
	.help =
"Usage: cspchan send NAME [-t MS] [--shutdown] [MSG...]\n"
"       cspchan send NAME [-0 | -r SIZE] [-t MS] [--shutdown] < INPUT\n"
"\n"
"Send each MSG argument as one message, or without MSG read stdin: one\n"
"message per line (the newline is not sent), per NUL-terminated string\n"
"with -0, or per SIZE bytes with -r (a short last record is sent as it\n"
"is).  Each send waits while the channel is full, so a fast producer runs\n"
"at the pace of the receivers (back-pressure).\n"
"\n"
"Empty messages (empty lines, empty arguments, empty strings with -0) are\n"
"skipped: the kernel refuses zero-length messages, because a receive of\n"
"length 0 means end of stream.\n"
"\n"
"Options:\n"
"  -0, --null          stdin holds NUL-terminated messages\n"
"  -r, --record SIZE   stdin holds SIZE-byte records (K and M suffixes)\n"
"  -t, --timeout MS    wait at most MS milliseconds for room for each\n"
"                      message (0: never wait); on expiry stop, status 3\n"
"      --shutdown      shut the channel down after the last message, so\n"
"                      receivers see end of stream once they have drained it\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 all sent, 1 error (such as a message longer than the\n"
"channel's msg_size), 2 usage, 3 timeout (the message named in the error\n"
"and those after it were not sent), 4 the channel is shut down.\n"
"\n"
"Examples:\n"
"  seq 100 | cspchan send jobs\n"
"  cspchan send jobs 'resize a.jpg' 'resize b.jpg'\n"
"  find . -name '*.log' -print0 | cspchan send -0 --shutdown files\n"
"  cspchan send -r 4096 blocks < disk.img\n"
"  producer | cspchan send -t 5000 jobs || echo 'consumers stalled' >&2\n",
};
