// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-bench: the cspchan copy path — an anonymous channel, write(2)
 * to send and read(2) to receive on the handle (what cspchan_send() and
 * cspchan_recv() do).  The channel itself is made here for every cspchan
 * transport (t_cspchan_uring.c, t_cspchan_zc.c).
 *
 * cspchan-busypoll: the same, on a handle with a busy-poll budget
 * (cspchan_set_busy_poll()).  The handle is made before the fork, so the
 * budget is every process's: senders and receivers both spin.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cspchan.h>

#include "bench.h"

static struct cspchan_features features;

/*
 * The module is there and has need_features (CSPCHAN_FEAT_*): 0, or
 * -errno with the reason in why.  Shared by every cspchan transport.
 */
int cspchan_bench_available(char *why, size_t whylen, uint64_t need_features)
{
	int ret = cspchan_features(&features);

	if (ret < 0) {
		snprintf(why, whylen, "%s: %s (is cspchan.ko loaded?)",
			 CSPCHAN_DEVICE, strerror(-ret));
		return ret;
	}
	if ((features.features & need_features) != need_features) {
		snprintf(why, whylen, "cspchan.ko lacks feature 0x%llx",
			 (unsigned long long)(need_features & ~features.features));
		return -EOPNOTSUPP;
	}
	return 0;
}

static int cc_available(char *why, size_t whylen)
{
	return cspchan_bench_available(why, whylen, 0);
}

/* An anonymous channel of c->depth messages of c->msg_size bytes, O_RDWR. */
int cspchan_bench_create(struct bchan *c)
{
	struct cspchan_attr attr = {
		.capacity = c->depth,
		.msg_size = (unsigned int)c->msg_size,
		.mode = 0600,
		.flags = 0,
	};
	int fd;

	if (features.max_capacity && attr.capacity > features.max_capacity) {
		attr.capacity = features.max_capacity;
		snprintf(c->note, sizeof(c->note), "max_capacity %u",
			 features.max_capacity);
	}
	if (features.max_msg_size && c->msg_size > features.max_msg_size) {
		snprintf(c->note, sizeof(c->note), "max_msg_size %u",
			 features.max_msg_size);
		return -EOPNOTSUPP;
	}
	fd = cspchan_create(NULL, &attr, O_CLOEXEC);
	if (fd < 0) {
		snprintf(c->note, sizeof(c->note), "cspchan_create: %s",
			 strerror(-fd));
		return fd;
	}
	c->fd[0] = c->fd[1] = fd;
	c->depth = attr.capacity;
	return 0;
}

/* The module's default max_busy_poll_us: the largest budget it takes. */
#define BENCH_BUSY_POLL_US	200
#define BENCH_STR_(x)		#x
#define BENCH_STR(x)		BENCH_STR_(x)

static int cbp_available(char *why, size_t whylen)
{
	return cspchan_bench_available(why, whylen, CSPCHAN_FEAT_BUSY_POLL);
}

static int cbp_create(struct bchan *c)
{
	int ret = cspchan_bench_create(c);

	if (ret < 0)
		return ret;
	ret = cspchan_set_busy_poll(c->fd[0], BENCH_BUSY_POLL_US, NULL);
	if (ret < 0) {
		snprintf(c->note, sizeof(c->note), "cspchan_set_busy_poll(%u): %s",
			 BENCH_BUSY_POLL_US, strerror(-ret));
		bchan_close_fds(c);
		/* A module without it, or with a lower max_busy_poll_us. */
		return ret == -ENOTTY || ret == -EINVAL ? -EOPNOTSUPP : ret;
	}
	return 0;
}

const struct transport transport_cspchan = {
	.name = "cspchan",
	.desc = "cspchan channel, copy path: write(2)/read(2) on the handle",
	.kind = TK_COPY,
	.caps = TC_MPMC | TC_UNBUFFERED,
	.available = cc_available,
	.create = cspchan_bench_create,
	.destroy = bchan_close_fds,
	.send = bchan_write_msg,
	.recv = bchan_read_msg,
};

const struct transport transport_cspchan_busypoll = {
	.name = "cspchan-busypoll",
	.desc = "cspchan copy path, the handle spinning up to "
		BENCH_STR(BENCH_BUSY_POLL_US) " us before it sleeps",
	.kind = TK_BUSY_POLL,
	.caps = TC_MPMC | TC_UNBUFFERED,
	.workloads = "tput-64,pingpong-64,pingpong-64-1cpu",
	.available = cbp_available,
	.create = cbp_create,
	.destroy = bchan_close_fds,
	.send = bchan_write_msg,
	.recv = bchan_read_msg,
};
