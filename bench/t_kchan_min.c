// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-bench: kchan-min, the minimal kernel channel.  /dev/kchan-min
 * (bench/kchan-min/kchan-min.c, loaded by bench/run beside cspchan.ko) is the
 * least a kernel channel can do per message: a kfifo of 64 messages of at
 * most 64 bytes under a spinlock, the user copies outside it, a wake-up
 * only for a sleeping peer, nothing else.  Each open is one FIFO, shared
 * through fork.  Shown beside the copy path's targets as their bound, as
 * shm-ring-futex is the ping-pong targets' floor (README.md, "The minimal
 * kernel channel").  kchan-min-iter is the same module through
 * ->read_iter and ->write_iter, the iov_iter path cspchan takes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define KCM_DEPTH	64	/* bench/kchan-min/kchan-min.c */
#define KCM_MSG_MAX	64

/* The device is /dev/NAME, NAME the transport's name. */
static int kcm_available_dev(const char *name, char *why, size_t whylen)
{
	char dev[64];
	int err;

	snprintf(dev, sizeof(dev), "/dev/%s", name);
	if (access(dev, R_OK | W_OK) == 0)
		return 0;
	err = errno;
	snprintf(why, whylen, "%s: %s (bench/run loads bench/kchan-min/kchan-min.ko)",
		 dev, strerror(err));
	return -err;
}

static int kcm_available(char *why, size_t whylen)
{
	return kcm_available_dev("kchan-min", why, whylen);
}

int kchan_min_iter_available(char *why, size_t whylen)
{
	return kcm_available_dev("kchan-min-iter", why, whylen);
}

/* Open /dev/NAME as c's instance (also kchan-min-uring, t_cspchan_uring.c). */
int kchan_min_open(struct bchan *c, const char *name)
{
	char dev[64];
	int fd, err;

	snprintf(dev, sizeof(dev), "/dev/%s", name);
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		snprintf(c->note, sizeof(c->note), "open %s: %s", dev, strerror(err));
		return -err;
	}
	if (c->depth != KCM_DEPTH)
		snprintf(c->note, sizeof(c->note), "depth fixed at %d", KCM_DEPTH);
	c->depth = KCM_DEPTH;
	c->fd[0] = c->fd[1] = fd;
	return 0;
}

static int kcm_create(struct bchan *c)
{
	return kchan_min_open(c, c->t->name);
}

#define KCM_WORKLOADS	"tput-64,solo-64,mpmc-64,pingpong-64,pingpong-64-1cpu"

const struct transport transport_kchan_min = {
	.name = "kchan-min",
	.desc = "the minimal kernel channel: a kfifo under a spinlock, copies outside "
		"it, nothing else (bench/kchan-min)",
	.kind = TK_PEER,
	.caps = TC_MPMC,
	.max_msg = KCM_MSG_MAX,
	.workloads = KCM_WORKLOADS,
	.available = kcm_available,
	.create = kcm_create,
	.destroy = bchan_close_fds,
	.send = bchan_write_msg,
	.recv = bchan_read_msg,
};

const struct transport transport_kchan_min_iter = {
	.name = "kchan-min-iter",
	.desc = "the same through ->read_iter/->write_iter (iov_iter), as cspchan",
	.kind = TK_PEER,
	.caps = TC_MPMC,
	.max_msg = KCM_MSG_MAX,
	.workloads = KCM_WORKLOADS,
	.available = kchan_min_iter_available,
	.create = kcm_create,
	.destroy = bchan_close_fds,
	.send = bchan_write_msg,
	.recv = bchan_read_msg,
};
