// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan recv: messages to stdout, one per line, NUL-terminated or raw,
 * optionally with their metadata, until end of stream, COUNT messages or
 * an idle timeout.  On a lease channel each message is acknowledged only
 * once it is written out.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cspchan.h>

#include "cli.h"

enum recv_output {
	OUTPUT_LINES,		/* each message followed by '\n' */
	OUTPUT_NUL,		/* each message followed by '\0' */
	OUTPUT_RAW,		/* the bytes alone */
};

struct receiver {
	const char *name;
	int fd;
	char *buf;		/* msg_size bytes: any message fits */
	size_t size;
	enum recv_output output;
	bool meta;		/* -m: "seq pid latency_us " before each */
	bool lease;		/* a lease channel: ack each message once written */
	int timeout_ms;		/* -1: wait as long as it takes */
	uint64_t count;		/* -n: stop after this many; 0: no limit */
	uint64_t nr;		/* messages received */
};

/*
 * cspchan_recvmsg() with a timeout.  libcspchan has no such call, so for
 * a finite timeout this makes the ioctl cspchan_recvmsg() makes, with the
 * timeout field set; it is the same ABI request.  The lease is asked for
 * only on a lease channel: a module older than leases refuses the flag.
 */
static ssize_t recvmsg_timeout(int fd, void *buf, size_t len, int timeout_ms,
			       bool lease, struct cspchan_msginfo *info)
{
	struct cspchan_xfer xfer;
	ssize_t n;
	int ret;

	if (timeout_ms < 0) {
		n = cspchan_recvmsg(fd, buf, len, info);
		/* A reply channel it carried: nobody here answers (SPEC 12). */
		if (n > 0 && info->fd >= 0) {
			close(info->fd);
			info->fd = -1;
		}
		return n;
	}

	memset(&xfer, 0, sizeof(xfer));
	xfer.buf = (uintptr_t)buf;
	xfer.len = (uint32_t)len;
	xfer.timeout_ns = (int64_t)timeout_ms * 1000000;
	xfer.flags = lease ? CSPCHAN_XFER_LEASE : 0;
	ret = ioctl(fd, CSPCHAN_IOC_RECV, &xfer);
	if (ret < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	info->seq = xfer.seq;
	info->pid = (pid_t)xfer.pid;
	info->sent_ns = xfer.sent_ns;
	info->lease = xfer.lease;
	info->deliveries = xfer.deliveries ? xfer.deliveries : 1;
	info->fd = -1;
	return ret;
}

/* One message into r->buf: timeout_ms <0 waits forever, 0 never waits. */
static ssize_t receive(struct receiver *r, int timeout_ms,
		       struct cspchan_msginfo *info)
{
	ssize_t n;

	do {
		if (r->meta || r->lease)
			n = recvmsg_timeout(r->fd, r->buf, r->size, timeout_ms,
					    r->lease, info);
		else
			n = cspchan_recv_timeout(r->fd, r->buf, r->size, timeout_ms);
	} while (n == -EINTR);
	return n;
}

static void emit(const struct receiver *r, size_t len,
		 const struct cspchan_msginfo *info)
{
	if (r->meta) {
		uint64_t now = cli_now_ns();
		uint64_t waited = now > info->sent_ns ? now - info->sent_ns : 0;

		printf("%llu %d %llu ", (unsigned long long)info->seq,
		       (int)info->pid, (unsigned long long)(waited / 1000));
	}
	fwrite(r->buf, 1, len, stdout);
	if (r->output == OUTPUT_LINES)
		putchar('\n');
	else if (r->output == OUTPUT_NUL)
		putchar('\0');
}

static bool stdout_failed(void)
{
	if (!ferror(stdout))
		return false;
	cli_error("recv", "stdout", errno ? errno : EIO);
	return true;
}

/*
 * A leased message is done with once it is out of this process: flushed
 * to stdout.  If that fails it goes back to the channel at once (nack)
 * for another receiver.  An ack that fails (the lease ran out after
 * lease_ms, and the message is delivered again) is worth a warning, not
 * the end: the output was written.
 */
static int settle(const struct receiver *r, const struct cspchan_msginfo *info)
{
	int ret;

	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("recv", "stdout", errno ? errno : EIO);
		cspchan_nack(r->fd, info->lease);
		return CLI_ERROR;
	}
	ret = cspchan_ack(r->fd, info->lease);
	if (ret < 0)
		cli_errorf("recv", "%s: warning: acknowledging message %llu: %s%s",
			   r->name, (unsigned long long)info->seq, strerror(-ret),
			   ret == -ESTALE ? " (its lease had ended: it may be delivered again)" : "");
	return CLI_OK;
}

static int recv_loop(struct receiver *r)
{
	struct cspchan_msginfo info;
	ssize_t n;

	while (!r->count || r->nr < r->count) {
		n = receive(r, 0, &info);
		if (n == -EAGAIN) {
			/*
			 * Nothing queued: hand over what stdio holds before
			 * waiting, so a consumer never waits on a message
			 * that has already left the channel.
			 */
			if (fflush(stdout) != 0 && stdout_failed())
				return CLI_ERROR;
			if (r->timeout_ms != 0)
				n = receive(r, r->timeout_ms, &info);
		}
		if (n == -EAGAIN || n == -ETIMEDOUT) {
			/* Short of what was asked for: nothing, or not COUNT. */
			return !r->nr || r->count ? CLI_TIMEOUT : CLI_OK;
		}
		if (n < 0) {
			cli_error("recv", r->name, (int)-n);
			return CLI_ERROR;
		}
		if (n == 0)
			return CLI_OK;	/* shut down and drained */
		r->nr++;
		emit(r, (size_t)n, &info);
		if (r->lease && info.lease) {
			if (settle(r, &info) != CLI_OK)
				return CLI_ERROR;
		} else if (stdout_failed()) {
			return CLI_ERROR;
		}
	}
	return CLI_OK;
}

/*
 * When stdout is a pipe or socket whose reader has gone, end the process
 * as a write would (SIGPIPE), even while it waits in the kernel: otherwise
 * it would take one more message from the channel only to lose it.
 */
static void *stdout_watcher(void *arg)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = 0 };

	(void)arg;
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	if (!(p.revents & (POLLERR | POLLHUP)))
		return NULL;
	kill(getpid(), SIGPIPE);
	/* SIGPIPE is ignored: leave as a failed write would. */
	cli_error("recv", "stdout", EPIPE);
	_exit(CLI_ERROR);
}

static void watch_stdout(void)
{
	pthread_attr_t attr;
	pthread_t thread;
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) < 0 ||
	    !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	/* Best effort: without it only the one extra message is at stake. */
	pthread_create(&thread, &attr, stdout_watcher, NULL);
	pthread_attr_destroy(&attr);
}

static int recv_run(const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "raw", no_argument, NULL, 'r' },
		{ "null", no_argument, NULL, '0' },
		{ "meta", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct receiver r = { .timeout_ms = -1, .output = OUTPUT_LINES };
	bool raw = false, nul = false;
	struct cspchan_stat st;
	int opt, ret, status;

	while ((opt = getopt_long(argc, argv, ":n:t:r0mh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (!cli_parse_uint(optarg, UINT64_MAX, false, &r.count) ||
			    !r.count)
				return cli_usage(cmd, "bad count '%s'", optarg);
			break;
		case 't':
			if (!cli_parse_ms(optarg, &r.timeout_ms))
				return cli_usage(cmd, "bad timeout '%s' (milliseconds)", optarg);
			break;
		case 'r':
			raw = true;
			break;
		case '0':
			nul = true;
			break;
		case 'm':
			r.meta = true;
			break;
		case 'h':
			return cli_help(cmd);
		default:
			return cli_bad_option(cmd, opt, argv);
		}
	}
	if (optind != argc - 1)
		return cli_usage(cmd, optind < argc ? "one NAME expected" : "missing NAME");
	if (raw && nul)
		return cli_usage(cmd, "-r and -0 exclude each other");
	if (raw && r.meta)
		return cli_usage(cmd, "-m needs delimited output: not with -r");
	r.output = raw ? OUTPUT_RAW : nul ? OUTPUT_NUL : OUTPUT_LINES;

	r.name = argv[optind];
	r.fd = cli_open(cmd->name, r.name, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0)
		return CLI_ERROR;
	ret = cspchan_stat(r.fd, &st);
	if (ret < 0) {
		cli_error(cmd->name, r.name, -ret);
		close(r.fd);
		return CLI_ERROR;
	}
	r.size = st.msg_size;
	r.lease = st.lease;
	r.buf = malloc(r.size);
	if (!r.buf) {
		cli_error(cmd->name, r.name, ENOMEM);
		close(r.fd);
		return CLI_ERROR;
	}

	watch_stdout();
	status = recv_loop(&r);
	if (status == CLI_OK && fflush(stdout) != 0 && stdout_failed())
		status = CLI_ERROR;
	free(r.buf);
	close(r.fd);
	return status;
}

const struct cli_command cmd_recv = {
	.name = "recv",
	.summary = "receive messages to stdout",
	.run = recv_run,
	.help =
"Usage: cspchan recv NAME [-n COUNT] [-t MS] [-r | -0] [-m]\n"
"\n"
"Receive messages and write them to stdout, one per line, until the channel\n"
"is shut down and drained (end of stream), or COUNT messages with -n.  Each\n"
"message goes to exactly one receiver, so several \"cspchan recv\" on one\n"
"channel share its messages.  Output is flushed whenever the channel is\n"
"empty.  If stdout is a pipe whose reader has gone, recv ends (SIGPIPE)\n"
"without taking another message.\n"
"\n"
"On a lease channel (cspchan create --lease) each message is flushed to\n"
"stdout and then acknowledged; if writing it fails it is handed back\n"
"(nack), and if recv dies first the channel delivers it again.\n"
"\n"
"Options:\n"
"  -n, --count COUNT   stop after COUNT messages\n"
"  -t, --timeout MS    wait at most MS milliseconds for each message\n"
"                      (0: take only what is queued now); on expiry stop:\n"
"                      status 3 if no message came (or fewer than COUNT\n"
"                      with -n), else 0\n"
"  -r, --raw           write the bytes alone, no separator\n"
"  -0, --null          end each message with a NUL byte, not a newline\n"
"  -m, --meta          start each message with \"SEQ PID LATENCY_US \": its\n"
"                      sequence number in the channel, the sender's pid and\n"
"                      the microseconds from its send to its receipt\n"
"  -h, --help          this text\n"
"\n"
"A message that contains newlines is written as it is: use -0 or -r for\n"
"binary data.\n"
"\n"
"Exit status: 0 end of stream, COUNT messages, or idle after some messages\n"
"with -t; 1 error; 2 usage; 3 timeout (see -t).\n"
"\n"
"Examples:\n"
"  cspchan recv jobs | consumer\n"
"  cspchan recv -n 1 -t 5000 replies\n"
"  cspchan recv -t 0 jobs > pending.txt     # drain what is queued\n"
"  cspchan recv -0 files | xargs -0 -n 1 gzip\n"
"  cspchan recv -m jobs | awk '{ print $3 }'   # queueing delay, us\n",
};
