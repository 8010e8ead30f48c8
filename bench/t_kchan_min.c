// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-bench: kchan-min, the minimal kernel channel.  /dev/kchan-min
 * (bench/kchan-min/kchan-min.c, loaded by bench/run beside cspchan.ko) is the
 * least a kernel channel can do per message: a kfifo of 64 messages of at
 * most 64 bytes under a spinlock, the user copies outside it, a wake-up
 * only for a sleeping peer, nothing else.  Each open is one FIFO, shared
 * through fork.  Shown beside the copy path's targets as their bound,
 * as shm-ring-futex is the ping-pong targets' floor (README.md, "The
 * minimal kernel channel").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define KCM_DEVICE	"/dev/kchan-min"
#define KCM_DEPTH	64	/* bench/kchan-min/kchan-min.c */
#define KCM_MSG_MAX	64

static int kcm_available(char *why, size_t whylen)
{
	int err;

	if (access(KCM_DEVICE, R_OK | W_OK) == 0)
		return 0;
	err = errno;
	snprintf(why, whylen, "%s: %s (bench/run loads bench/kchan-min/kchan-min.ko)",
		 KCM_DEVICE, strerror(err));
	return -err;
}

static int kcm_create(struct bchan *c)
{
	int fd = open(KCM_DEVICE, O_RDWR | O_CLOEXEC);
	int err = errno;

	if (fd < 0) {
		snprintf(c->note, sizeof(c->note), "open %s: %s", KCM_DEVICE,
			 strerror(err));
		return -err;
	}
	if (c->depth != KCM_DEPTH)
		snprintf(c->note, sizeof(c->note), "depth fixed at %d", KCM_DEPTH);
	c->depth = KCM_DEPTH;
	c->fd[0] = c->fd[1] = fd;
	return 0;
}

const struct transport transport_kchan_min = {
	.name = "kchan-min",
	.desc = "the minimal kernel channel: a kfifo under a spinlock, copies outside "
		"it, nothing else (bench/kchan-min)",
	.kind = TK_PEER,
	.caps = TC_MPMC,
	.max_msg = KCM_MSG_MAX,
	.workloads = "tput-64,solo-64,mpmc-64,pingpong-64,pingpong-64-1cpu",
	.available = kcm_available,
	.create = kcm_create,
	.destroy = bchan_close_fds,
	.send = bchan_write_msg,
	.recv = bchan_read_msg,
};
