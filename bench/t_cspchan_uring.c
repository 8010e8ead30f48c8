// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-bench: the cspchan copy path through io_uring, batched —
 * IORING_OP_WRITE and IORING_OP_READ on the handle (cspchan_prep_send(),
 * cspchan_prep_recv(), offset 0), many per io_uring_enter(2).
 *
 * Sender: send_many() prepares one write per message (32 in the stream
 * workloads) and submits them with one io_uring_enter() that also waits
 * for their completions; the next batch is prepared once every write of
 * this one completed, so the buffers are the caller's again at return.
 *
 * Receiver: 32 reads are kept in flight, each into a buffer (a "lane") of
 * its own.  recv_many() hands out the lanes whose reads completed, in
 * completion order, and puts them back in flight at its next call, with
 * the same io_uring_enter() that waits for more completions.  The caller
 * checks messages where they landed: no copy beyond the kernel's.
 *
 * Order.  A module with CSPCHAN_FEAT_URING_WRITE_PARK parks a write that
 * finds the channel full in the channel's queue of senders and keeps one
 * submitter's writes, and the completions of its reads, in order.  An
 * older one failed such a write with -EAGAIN inside io_uring, which armed
 * a poll on the handle and retried it when room was reported — and the
 * retries of writes that waited together ran in no guaranteed order
 * (Linux 6.1 runs that task work last-in first-out).  So the transport
 * declares TC_REORDER and the stream consumer checks that every stamp
 * arrives exactly once within a window instead of consecutively, and
 * counts the messages out of stamp order ("all in order" when none).
 * Batches do not overlap (each completes before the next is prepared),
 * so no message moves by more than the batch.
 *
 * cspchan-uring-link: the same requests, in order.  The writes of a batch
 * are one chain (IOSQE_IO_LINK): a write starts only once the one before
 * it completed, so one that waits for room holds the rest back and they
 * reach the channel in stamp order.  The receiver keeps one chain of up
 * to 32 reads in flight instead of 32 independent reads: only its first
 * unfinished read waits on the handle, each read takes the next message
 * in the channel's order, and the next chain is submitted once this one
 * has completed.  No TC_REORDER: the consumer checks strict order.
 *
 * kchan-min-uring: the unlinked requests on the minimal kernel channel
 * (bench/kchan-min), their bound.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cspchan-uring.h>

#include "bench.h"

#define CU_LANES	BENCH_MAX_BATCH		/* reads in flight */
#define CU_ENTRIES	(4 * CU_LANES)		/* SQ entries: writes + reads, with room */

/* user_data: what completed, and which write (its index) or read (its lane). */
#define UD_WRITE	(1ULL << 32)
#define UD_READ		(2ULL << 32)

struct cu_proc {
	struct io_uring ring;
	bool ring_ready;
	bool link;			/* cspchan-uring-link: chains, in order */
	int err;			/* first error, -errno; sticky */

	/* sender */
	unsigned int writing;		/* writes in flight */
	unsigned int redo_from;		/* link: first write of the batch to redo */

	/* receiver */
	unsigned int nr_lanes;
	size_t stride;			/* bytes between lane buffers */
	unsigned char *lanes;		/* nr_lanes buffers of msg_size bytes */
	unsigned int reading;		/* reads in flight */
	unsigned int idle[CU_LANES];	/* lanes to put back in flight */
	unsigned int nr_idle;
	unsigned int done[CU_LANES];	/* completed lanes, in completion order */
	int done_res[CU_LANES];
	unsigned int done_head, nr_done;
};

/* Can this process set up an io_uring?  0, or -errno with the reason in why. */
int bench_uring_available(char *why, size_t whylen)
{
	struct io_uring ring;
	int ret = io_uring_queue_init(4, &ring, 0);

	if (ret < 0) {
		snprintf(why, whylen, "io_uring_queue_init: %s", strerror(-ret));
		return ret;
	}
	io_uring_queue_exit(&ring);
	return 0;
}

static int cu_available(char *why, size_t whylen)
{
	int ret = cspchan_bench_available(why, whylen, 0);

	return ret < 0 ? ret : bench_uring_available(why, whylen);
}

/* The next free SQE, submitting what is queued when the SQ is full. */
static struct io_uring_sqe *cu_sqe(struct cu_proc *u)
{
	struct io_uring_sqe *sqe;
	int ret;

	while (!(sqe = io_uring_get_sqe(&u->ring))) {
		ret = io_uring_submit(&u->ring);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
			bench_first_error(&u->err, ret);
			return NULL;
		}
	}
	return sqe;
}

/* link: chained to the next request queued (not for a chain's last). */
static void cu_queue_read(struct bchan *c, struct cu_proc *u, unsigned int lane,
			  bool link)
{
	struct io_uring_sqe *sqe = cu_sqe(u);

	if (!sqe)
		return;
	cspchan_prep_recv(sqe, c->fd[0], u->lanes + (size_t)lane * u->stride,
			  (unsigned int)c->msg_size);
	io_uring_sqe_set_data64(sqe, UD_READ | lane);
	if (link)
		sqe->flags |= IOSQE_IO_LINK;
	u->reading++;
}

static void cu_queue_write(struct bchan *c, struct cu_proc *u, const void *msg,
			   unsigned int i, bool link)
{
	struct io_uring_sqe *sqe = cu_sqe(u);

	if (!sqe)
		return;
	cspchan_prep_send(sqe, c->fd[1], msg, (unsigned int)c->msg_size);
	io_uring_sqe_set_data64(sqe, UD_WRITE | i);
	if (link)
		sqe->flags |= IOSQE_IO_LINK;
	u->writing++;
}

/*
 * -EINTR: cspchan.ko takes the channel lock with mutex_lock_interruptible()
 * also for io_uring's non-blocking attempts, and on Linux 6.1 pending task
 * work (TIF_NOTIFY_SIGNAL) counts as a signal, so a contended lock fails;
 * io_uring reports its -ERESTARTSYS as -EINTR.  Nothing was moved (the
 * lock was never held): do it again, and count it (README.md).
 */
static void cu_reap(struct bchan *c, struct cu_proc *u, void *const msgs[])
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0, lane, slot, i;

	io_uring_for_each_cqe(&u->ring, head, cqe) {
		n++;
		if (cqe->user_data & UD_WRITE) {
			u->writing--;
			i = (unsigned int)cqe->user_data;
			if (u->link && (cqe->res == -EINTR || cqe->res == -ECANCELED) && msgs) {
				/* The chain broke here: redo from the first not written. */
				c->retries += cqe->res == -EINTR;
				if (i < u->redo_from)
					u->redo_from = i;
			} else if (cqe->res == -EINTR && msgs) {
				c->retries++;
				cu_queue_write(c, u, msgs[i], i, false);
			} else if (cqe->res != (int)c->msg_size) {
				bench_first_error(&u->err, cqe->res < 0 ? cqe->res : -EIO);
			}
			continue;
		}
		lane = (unsigned int)cqe->user_data;
		u->reading--;
		if (u->link && (cqe->res == -EINTR || cqe->res == -ECANCELED)) {
			/* Nothing read into it: back in the next chain. */
			c->retries += cqe->res == -EINTR;
			u->idle[u->nr_idle++] = lane;
			continue;
		}
		if (cqe->res == -EINTR) {
			c->retries++;
			cu_queue_read(c, u, lane, false);
			continue;
		}
		slot = (u->done_head + u->nr_done) % CU_LANES;
		u->done[slot] = lane;
		u->done_res[slot] = cqe->res;
		u->nr_done++;
	}
	io_uring_cq_advance(&u->ring, n);
}

/*
 * Submit what is queued and wait for at least one completion, then reap
 * (msgs: the batch being sent, for writes to redo).
 */
static int cu_wait(struct bchan *c, struct cu_proc *u, void *const msgs[])
{
	int ret = io_uring_submit_and_wait(&u->ring, 1);

	if (ret < 0 && ret != -EINTR && ret != -ETIME)
		bench_first_error(&u->err, ret);
	cu_reap(c, u, msgs);
	return u->err;
}

static int kcmu_available(char *why, size_t whylen)
{
	int ret = kchan_min_iter_available(why, whylen);

	return ret < 0 ? ret : bench_uring_available(why, whylen);
}

static int kcmu_create(struct bchan *c)
{
	return kchan_min_open(c, "kchan-min-iter");
}

static int cu_attach(struct bchan *c, unsigned int roles)
{
	struct cu_proc *u = calloc(1, sizeof(*u));
	unsigned int i;
	int ret;

	if (!u)
		return -ENOMEM;
	ret = io_uring_queue_init(CU_ENTRIES, &u->ring, 0);
	if (ret < 0) {
		free(u);
		return ret;
	}
	u->ring_ready = true;
	u->link = c->t == &transport_cspchan_uring_link;
	if (roles & ROLE_RECV) {
		u->nr_lanes = CU_LANES;
		u->stride = (c->msg_size + 63) & ~(size_t)63;
		u->lanes = aligned_alloc(64, u->stride * u->nr_lanes);
		if (!u->lanes) {
			io_uring_queue_exit(&u->ring);
			free(u);
			return -ENOMEM;
		}
		memset(u->lanes, 0, u->stride * u->nr_lanes);
		/* Every lane idle: the first receive puts them all in flight. */
		for (i = 0; i < u->nr_lanes; i++)
			u->idle[u->nr_idle++] = i;
	}
	c->priv = u;
	return 0;
}

static void cu_detach(struct bchan *c)
{
	struct cu_proc *u = c->priv;

	if (!u)
		return;
	/*
	 * Reads still in flight wait on the handle's poll queue: tearing the
	 * ring down cancels them.  The lanes are left to the process exit
	 * (it follows at once), in case a cancellation is still under way.
	 */
	if (u->ring_ready)
		io_uring_queue_exit(&u->ring);
	u->ring_ready = false;
}

/* One write per message, submitted together; return when all completed. */
static int cu_send_many(struct bchan *c, void *const msgs[], unsigned int n)
{
	struct cu_proc *u = c->priv;
	unsigned int i;
	int ret;

	unsigned int from = 0;

	if (u->err)
		return u->err;
	do {
		u->redo_from = n;
		for (i = from; i < n && !u->err; i++)
			cu_queue_write(c, u, msgs[i], i, u->link && i + 1 < n);
		/* One io_uring_enter(): submit the batch, wait for all of it. */
		ret = io_uring_submit_and_wait(&u->ring, u->writing);
		if (ret < 0 && ret != -EINTR && ret != -ETIME)
			bench_first_error(&u->err, ret);
		cu_reap(c, u, msgs);
		while (u->writing && !u->err)
			cu_wait(c, u, msgs);
		/* link: a broken chain is sent again from where it broke. */
		from = u->redo_from;
	} while (u->link && from < n && !u->err);
	return u->err;
}

static int cu_recv_many(struct bchan *c, void *const bufs[], const void *msgs[],
			size_t lens[], unsigned int n)
{
	struct cu_proc *u = c->priv;
	unsigned int got = 0, lane;
	int res;

	(void)bufs;
	if (u->err)
		return u->err;
	/*
	 * The lanes handed out last time go back in flight; link: as the
	 * next chain, once the previous one has completed.
	 */
	if (!u->link) {
		while (u->nr_idle && !u->err)
			cu_queue_read(c, u, u->idle[--u->nr_idle], false);
	} else if (!u->reading) {
		while (u->nr_idle && !u->err) {
			u->nr_idle--;
			cu_queue_read(c, u, u->idle[u->nr_idle], u->nr_idle > 0);
		}
	}
	if (!u->nr_done) {
		do {
			/* link: a chain cut short (-ECANCELED) goes again. */
			if (u->link && !u->reading) {
				while (u->nr_idle && !u->err) {
					u->nr_idle--;
					cu_queue_read(c, u, u->idle[u->nr_idle],
						      u->nr_idle > 0);
				}
			}
			if (cu_wait(c, u, NULL))
				return u->err;
		} while (!u->nr_done);
	} else if (io_uring_sq_ready(&u->ring)) {
		/* Completed reads are waiting: only keep the others in flight. */
		if (io_uring_submit(&u->ring) < 0)
			bench_first_error(&u->err, -EIO);
		cu_reap(c, u, NULL);
	}

	while (got < n && u->nr_done) {
		lane = u->done[u->done_head];
		res = u->done_res[u->done_head];
		u->done_head = (u->done_head + 1) % CU_LANES;
		u->nr_done--;
		u->idle[u->nr_idle++] = lane;
		if (res < 0) {
			bench_first_error(&u->err, res);
			return res;
		}
		msgs[got] = u->lanes + (size_t)lane * u->stride;
		lens[got] = (size_t)res;
		got++;
	}
	return (int)got;
}

const struct transport transport_cspchan_uring_link = {
	.name = "cspchan-uring-link",
	.desc = "cspchan copy path through io_uring, in order: 32 linked writes per submit, one chain of 32 linked reads in flight",
	.kind = TK_URING,
	.caps = TC_IO_URING,
	.available = cu_available,
	.create = cspchan_bench_create,
	.attach = cu_attach,
	.detach = cu_detach,
	.destroy = bchan_close_fds,
	.send_many = cu_send_many,
	.recv_many = cu_recv_many,
};

const struct transport transport_cspchan_uring = {
	.name = "cspchan-uring",
	.desc = "cspchan channel, copy path through io_uring: 32 writes per submit, 32 reads in flight",
	.kind = TK_URING,
	.caps = TC_REORDER | TC_IO_URING,
	.available = cu_available,
	.create = cspchan_bench_create,
	.attach = cu_attach,
	.detach = cu_detach,
	.destroy = bchan_close_fds,
	.send_many = cu_send_many,
	.recv_many = cu_recv_many,
};

/*
 * kchan-min-uring: the same requests on bench/kchan-min's iov_iter device
 * (the minimal kernel channel), the io_uring copy path's bound.  A request
 * that cannot proceed fails with -EAGAIN inside io_uring, which polls the
 * device and retries it: in no guaranteed order (TC_REORDER), as cspchan
 * did before its writes parked.
 */
const struct transport transport_kchan_min_uring = {
	.name = "kchan-min-uring",
	.desc = "the minimal kernel channel through io_uring: 32 writes per submit, 32 reads in flight",
	.kind = TK_PEER,
	.caps = TC_REORDER | TC_IO_URING,
	.max_msg = 64,
	.workloads = "tput-64",
	.available = kcmu_available,
	.create = kcmu_create,
	.attach = cu_attach,
	.detach = cu_detach,
	.destroy = bchan_close_fds,
	.send_many = cu_send_many,
	.recv_many = cu_recv_many,
};
