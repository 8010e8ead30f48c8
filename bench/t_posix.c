// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-bench: the POSIX and Linux facilities cspchan is compared with.
 *
 *   mqueue     POSIX message queue, mq_maxmsg = depth, mq_msgsize = size
 *   pipe       byte pipe holding depth messages; a receive reads exactly
 *              one message's size (fixed-size messages)
 *   pipe-pkt   pipe2(O_DIRECT): one write is one packet (up to PIPE_BUF),
 *              one read takes one packet
 *   seqpacket  socketpair(AF_UNIX, SOCK_SEQPACKET), send buffer sized so
 *              that depth messages fit
 *
 * Every instance is made to hold the same number of messages as the
 * others (the depth, 64 by default); where a limit prevents it, the depth
 * it got is reported in the row.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ	1031
#endif
#ifndef F_GETPIPE_SZ
#define F_GETPIPE_SZ	1032
#endif

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* --- POSIX message queue ---------------------------------------------------- */

static unsigned int mq_serial;

static int mq_create(struct bchan *c)
{
	struct mq_attr attr = { 0 };
	char name[64];
	long msg_max;
	mqd_t mq;

	attr.mq_maxmsg = c->depth;
	attr.mq_msgsize = (long)c->msg_size;
	snprintf(name, sizeof(name), "/cspchan-bench.%d.%u", (int)getpid(),
		 mq_serial++);
	for (;;) {
		mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600,
			     &attr);
		if (mq != (mqd_t)-1)
			break;
		/*
		 * Not allowed to raise the limits (not root): take the largest
		 * depth that msg_max (EINVAL) and RLIMIT_MSGQUEUE (EMFILE) let
		 * us have.
		 */
		if (errno == EINVAL && attr.mq_maxmsg > 1) {
			msg_max = read_sysctl("/proc/sys/fs/mqueue/msg_max");
			if (msg_max <= 0 || msg_max >= attr.mq_maxmsg)
				goto fail;	/* msgsize_max, then */
			attr.mq_maxmsg = msg_max;
			snprintf(c->note, sizeof(c->note), "msg_max %ld", msg_max);
			continue;
		}
		if (errno == EMFILE && attr.mq_maxmsg > 1) {
			attr.mq_maxmsg--;
			snprintf(c->note, sizeof(c->note), "RLIMIT_MSGQUEUE");
			continue;
		}
fail:
		snprintf(c->note, sizeof(c->note), "mq_open(maxmsg %ld, msgsize %ld): %s",
			 attr.mq_maxmsg, attr.mq_msgsize, strerror(errno));
		return -errno;
	}
	mq_unlink(name);	/* the descriptors stay valid, and are inherited */
	c->handle = (long)mq;
	c->depth = (unsigned int)attr.mq_maxmsg;
	return 0;
}

static void mq_destroy(struct bchan *c)
{
	mq_close((mqd_t)c->handle);
}

static int mq_send_msg(struct bchan *c, const void *msg, size_t len)
{
	return mq_send((mqd_t)c->handle, msg, len, 0) < 0 ? -errno : 0;
}

static ssize_t mq_recv_msg(struct bchan *c, void *buf, size_t len)
{
	ssize_t n = mq_receive((mqd_t)c->handle, buf, len, NULL);

	return n < 0 ? -errno : n;
}

const struct transport transport_mqueue = {
	.name = "mqueue",
	.desc = "POSIX message queue (mq_send/mq_receive)",
	.kind = TK_PEER,
	.caps = TC_MPMC,
	.create = mq_create,
	.destroy = mq_destroy,
	.send = mq_send_msg,
	.recv = mq_recv_msg,
};

/* --- Pipes ---------------------------------------------------------------------- */

/*
 * Size a pipe for c->depth messages.  A pipe holds a power of two of
 * page-sized buffers.  In packet mode every message takes one buffer; in
 * byte mode small messages share pages (a message never straddles two),
 * large ones span several.
 */
static int pipe_create_common(struct bchan *c, bool packet)
{
	size_t pg = page_size(), per_buf, bufs, got;
	int fds[2], ret;

	if (pipe2(fds, O_CLOEXEC | (packet ? O_DIRECT : 0)) < 0) {
		snprintf(c->note, sizeof(c->note), "pipe2: %s", strerror(errno));
		return -errno;
	}
	c->fd[0] = fds[0];
	c->fd[1] = fds[1];

	if (packet || c->msg_size > pg)
		per_buf = 1;
	else
		per_buf = pg / c->msg_size;
	if (c->msg_size > pg)
		bufs = (c->depth * c->msg_size + pg - 1) / pg;
	else
		bufs = (c->depth + per_buf - 1) / per_buf;
	if (bufs < 1)
		bufs = 1;

	ret = fcntl(c->fd[1], F_SETPIPE_SZ, (int)(bufs * pg));
	if (ret < 0) {
		/* Not root: pipe-max-size (1 MiB) applies. */
		long max = read_sysctl("/proc/sys/fs/pipe-max-size");

		if (max > 0)
			ret = fcntl(c->fd[1], F_SETPIPE_SZ, (int)max);
		snprintf(c->note, sizeof(c->note), "pipe-max-size %ld", max);
	}
	ret = fcntl(c->fd[1], F_GETPIPE_SZ);
	if (ret < 0) {
		snprintf(c->note, sizeof(c->note), "F_GETPIPE_SZ: %s", strerror(errno));
		bchan_close_fds(c);
		return -errno;
	}
	bufs = (size_t)ret / pg;
	if (c->msg_size > pg)
		got = bufs * pg / c->msg_size;
	else
		got = bufs * per_buf;
	c->depth = (unsigned int)got;
	return 0;
}

static int pipe_create(struct bchan *c)
{
	return pipe_create_common(c, false);
}

static int pipe_pkt_create(struct bchan *c)
{
	if (c->msg_size > PIPE_BUF) {
		snprintf(c->note, sizeof(c->note),
			 "packets are at most PIPE_BUF (%d) bytes", PIPE_BUF);
		return -EOPNOTSUPP;
	}
	return pipe_create_common(c, true);
}

/* Fixed-size messages over a byte stream: read exactly len bytes. */
static ssize_t pipe_recv(struct bchan *c, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(c->fd[0], (char *)buf + got, len - got);
		if (n < 0)
			return -errno;
		if (n == 0)
			return got ? -EIO : 0;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * A byte pipe works for many readers and writers too, as long as a
 * message is at most PIPE_BUF (written atomically, never split across
 * buffers) and everybody reads whole messages.
 */
const struct transport transport_pipe = {
	.name = "pipe",
	.desc = "pipe, byte stream; the receiver reads exactly one message's size",
	.kind = TK_PEER,
	.caps = TC_MPMC,
	.max_mpmc_msg = PIPE_BUF,
	.create = pipe_create,
	.destroy = bchan_close_fds,
	.send = bchan_write_msg,
	.recv = pipe_recv,
};

const struct transport transport_pipe_pkt = {
	.name = "pipe-pkt",
	.desc = "pipe2(O_DIRECT), packet mode: one write is one message",
	.kind = TK_PEER,
	.caps = TC_MPMC,
	.max_msg = PIPE_BUF,
	.create = pipe_pkt_create,
	.destroy = bchan_close_fds,
	.send = bchan_write_msg,
	.recv = bchan_read_msg,
};

/* --- AF_UNIX SOCK_SEQPACKET ---------------------------------------------------- */

/*
 * Messages that fit in the send buffer now, found by filling it without
 * blocking (and draining it again).  -errno on failure.
 */
static int seq_probe_depth(struct bchan *c, void *buf, unsigned int limit)
{
	unsigned int n = 0, i;

	memset(buf, 0, c->msg_size);
	while (n < limit) {
		if (send(c->fd[1], buf, c->msg_size, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		n++;
	}
	for (i = 0; i < n; i++)
		if (recv(c->fd[0], buf, c->msg_size, MSG_DONTWAIT) < 0)
			return -errno;
	return (int)n;
}

static int seq_set_sndbuf(int fd, long bytes)
{
	int val = bytes > INT_MAX / 2 ? INT_MAX / 2 : (int)bytes;

	/* The kernel doubles the value; SO_SNDBUFFORCE ignores wmem_max. */
	val = (val + 1) / 2;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &val, sizeof(val)) == 0)
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &val, sizeof(val)) < 0 ? -errno : 1;
}

/*
 * A datagram's charge against the send buffer (its skb's truesize) is
 * not exported, so the buffer is sized by measurement: fill it, estimate
 * the charge per message, resize, and repeat until depth messages fit
 * and depth + 1 do not (or a few rounds have passed).
 */
static int seq_create(struct bchan *c)
{
	unsigned int want = c->depth;
	long sndbuf, per_msg;
	int sv[2], got = 0, round, capped = 0, ret;
	char *buf;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(c->note, sizeof(c->note), "socketpair: %s", strerror(errno));
		return -errno;
	}
	c->fd[0] = sv[1];	/* receive end */
	c->fd[1] = sv[0];	/* send end */
	buf = malloc(c->msg_size);
	if (!buf) {
		bchan_close_fds(c);
		return -ENOMEM;
	}

	per_msg = (long)c->msg_size + 1024;	/* first guess: payload + skb */
	sndbuf = per_msg * want;
	for (round = 0; round < 8; round++) {
		ret = seq_set_sndbuf(c->fd[1], sndbuf);
		if (ret < 0) {
			got = ret;
			break;
		}
		capped |= ret;
		got = seq_probe_depth(c, buf, want * 4 + 16);
		if (got < 0 || (unsigned int)got == want || got == 0)
			break;
		per_msg = sndbuf / got;
		if (per_msg < 1)
			per_msg = 1;
		/* Aim between want - 1 and want messages' worth of charge. */
		sndbuf = per_msg * want - per_msg / 2;
	}
	free(buf);
	if (got <= 0) {
		snprintf(c->note, sizeof(c->note), "cannot size the send buffer: %s",
			 got ? strerror(-got) : "no message fits");
		bchan_close_fds(c);
		return got ? got : -ENOBUFS;
	}
	c->depth = (unsigned int)got;
	if ((unsigned int)got != want)
		snprintf(c->note, sizeof(c->note), "send buffer holds %d%s", got,
			 capped ? " (wmem_max)" : "");
	return 0;
}

static int seq_send(struct bchan *c, const void *msg, size_t len)
{
	ssize_t n = send(c->fd[1], msg, len, MSG_NOSIGNAL);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static ssize_t seq_recv(struct bchan *c, void *buf, size_t len)
{
	ssize_t n = recv(c->fd[0], buf, len, 0);

	return n < 0 ? -errno : n;
}

const struct transport transport_seqpacket = {
	.name = "seqpacket",
	.desc = "socketpair(AF_UNIX, SOCK_SEQPACKET)",
	.kind = TK_PEER,
	.caps = TC_MPMC,
	.create = seq_create,
	.destroy = bchan_close_fds,
	.send = seq_send,
	.recv = seq_recv,
};
