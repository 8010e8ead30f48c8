/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the io_uring selftests (uring.c, uring_robust.c):
 * rings, channel commands, completions, io-wq workers and the module's
 * reference count.  liburing 2.3 has no io_uring_prep_uring_cmd(), so the
 * command SQE is filled by hand.
 */
#ifndef CSPCHAN_SELFTEST_URING_COMMON_H
#define CSPCHAN_SELFTEST_URING_COMMON_H

#include "common.h"

#include <dirent.h>
#include <stddef.h>
#include <liburing.h>

struct cqe_rec {
	uint64_t ud;
	int res;
};

static inline int uring_init(struct io_uring *ring, unsigned int entries, bool sqpoll)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	if (sqpoll) {
		p.flags = IORING_SETUP_SQPOLL;
		p.sq_thread_idle = 2000;	/* ms */
	}
	return io_uring_queue_init_params(entries, ring, &p);
}

static inline bool ring_sqpoll(const struct io_uring *ring)
{
	return ring->flags & IORING_SETUP_SQPOLL;
}

/*
 * An IORING_OP_URING_CMD for the channel: @op is CSPCHAN_URING_ACQUIRE,
 * _COMMIT, _TAKE, _RELEASE, a CSPCHAN_URING_*V or a legacy CSPCHAN_IOC_*; the 16-byte struct
 * cspchan_uring_cmd goes into the SQE's command area (a plain 64-byte SQE
 * has room for it).
 */
static inline void prep_chan_cmd(struct io_uring_sqe *sqe, int fd, uint32_t op,
				 uint32_t slot, uint32_t len, const void *info,
				 uint64_t ud)
{
	struct cspchan_uring_cmd c = {
		.slot = slot,
		.len = len,
		.info = (uint64_t)(uintptr_t)info,
	};

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = op;
	memcpy((char *)sqe + offsetof(struct io_uring_sqe, cmd), &c, sizeof(c));
	io_uring_sqe_set_data64(sqe, ud);
}

/*
 * io_uring_submit(), returning how many entries this call submitted.  On
 * an SQPOLL ring liburing counts every entry the kernel thread has not yet
 * marked consumed, and the thread posts an entry's completion before it
 * moves the head past it: on a slow guest, io_uring_submit() then also
 * counts an entry whose completion was already reaped.
 */
static inline int submit_new(struct io_uring *ring)
{
	unsigned int n = ring->sq.sqe_tail - ring->sq.sqe_head;
	int ret = io_uring_submit(ring);

	if (ret < 0 || !(ring->flags & IORING_SETUP_SQPOLL))
		return ret;
	return (int)n;
}

/* Queue one command with @sqe_flags; false if the submission queue is full. */
static inline bool queue_cmd_flags(struct io_uring *ring, int fd, uint32_t op,
				   uint32_t slot, uint32_t len, const void *info,
				   uint64_t ud, unsigned int sqe_flags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return false;
	prep_chan_cmd(sqe, fd, op, slot, len, info, ud);
	io_uring_sqe_set_flags(sqe, sqe_flags);
	return true;
}

static inline bool queue_cmd(struct io_uring *ring, int fd, uint32_t op, uint32_t slot,
			     uint32_t len, const void *info, uint64_t ud)
{
	return queue_cmd_flags(ring, fd, op, slot, len, info, ud, 0);
}

/*
 * The next completion within @timeout_ms (at least 1): 1 with *@rec
 * filled, 0 if none came, or -errno.  An SQPOLL ring is only peeked at.
 */
static inline int next_cqe(struct io_uring *ring, struct cqe_rec *rec, int timeout_ms)
{
	struct io_uring_cqe *cqe;
	int ret;

	if (ring_sqpoll(ring)) {
		uint64_t start = now_ns();

		for (;;) {
			ret = io_uring_peek_cqe(ring, &cqe);
			if (ret == 0)
				break;
			if (ret != -EAGAIN)
				return ret;
			if (ms_since(start) >= (uint64_t)timeout_ms)
				return 0;
			msleep(1);
		}
	} else {
		struct __kernel_timespec ts = {
			.tv_sec = timeout_ms / 1000,
			.tv_nsec = (long long)(timeout_ms % 1000) * 1000000LL,
		};

		ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
		if (ret == -ETIME)
			return 0;
		if (ret)
			return ret;
	}
	rec->ud = cqe->user_data;
	rec->res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return 1;
}

/* Collect @n completions, each within WAIT_MS of the last; returns how many came. */
static inline int collect(struct io_uring *ring, struct cqe_rec *recs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (next_cqe(ring, &recs[i], WAIT_MS) != 1) {
			fprintf(stderr, "# collect: only %d of %d completions\n", i, n);
			break;
		}
	}
	return i;
}

/* Nothing completes within @ms (at least 1). */
static inline bool no_cqe(struct io_uring *ring, int ms)
{
	struct cqe_rec rec;
	int ret = next_cqe(ring, &rec, ms);

	if (ret == 1)
		fprintf(stderr, "# unexpected completion: user_data %" PRIu64 " res %d\n",
			rec.ud, rec.res);
	return ret == 0;
}

/*
 * This process's io-wq workers (iou-wrk threads); with @in_module, only
 * those whose kernel stack is in cspchan.ko.  -1 if /proc cannot be read.
 */
static inline int iowq_threads(bool in_module)
{
	char path[80], comm[32], line[256];
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/task");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		bool iowq, counted = !in_module;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.20s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		iowq = fgets(comm, sizeof(comm), f) && !strncmp(comm, "iou-wrk", 7);
		fclose(f);
		if (!iowq)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.20s/stack", de->d_name);
		f = in_module ? fopen(path, "r") : NULL;
		while (f && !counted && fgets(line, sizeof(line), f))
			counted = strstr(line, "[cspchan]") != NULL;
		if (f)
			fclose(f);
		n += counted;
	}
	closedir(d);
	return n;
}

static inline int iowq_workers(void)
{
	return iowq_threads(false);
}

/* /sys/module/cspchan/refcnt, or -1. */
static inline int module_refcnt(void)
{
	FILE *f = fopen("/sys/module/cspchan/refcnt", "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static inline int wait_refcnt(int want, int timeout_ms)
{
	uint64_t start = now_ns();
	int v;

	for (;;) {
		v = module_refcnt();
		if (v == want)
			return 0;
		if (ms_since(start) >= (uint64_t)timeout_ms)
			break;
		msleep(1);
	}
	fprintf(stderr, "# module refcnt is %d, expected %d within %d ms\n", v, want, timeout_ms);
	return -1;
}

/* child_reap(), saying so when the child was not reaped. */
static inline int reap_within(pid_t pid, int timeout_ms)
{
	int ret = child_reap(pid, timeout_ms);

	if (ret == -1)
		fprintf(stderr, "# child %d not reaped within %d ms\n", (int)pid, timeout_ms);
	return ret;
}

#endif /* CSPCHAN_SELFTEST_URING_COMMON_H */
