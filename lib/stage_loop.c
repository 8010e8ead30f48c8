// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libcspchan-stage: the stage runner's io_uring loop.  TAKE, ACQUIRE,
 * COMMIT and RELEASE as IORING_OP_URING_CMD, many per io_uring_enter(2);
 * stage.c runs it on its helper thread.
 *
 * Every message of @in the stage holds goes through
 *
 *	TAKE (lane) -> pending -> process() into a spare output slot
 *		-> COMMIT on @out + RELEASE on @in -> the lane takes again
 *
 * with at most @batch messages held: takes in flight plus pending ones.
 * Output slots are acquired on demand (one per pending message), so an
 * idle stage holds none of @out's capacity.
 *
 * Linux 6.1 runs task work last-in first-out, so takes that were parked
 * together may complete in reverse order; pending is kept sorted by
 * sequence number, which restores the order of @in for a single stage.
 * COMMITs are issued in submission order, so @out gets that order too.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cspchan-uring.h"
#include "stage.h"

enum stage_op {
	OP_TAKE = 1,		/* arg: lane */
	OP_ACQUIRE,
	OP_COMMIT,		/* arg: output slot */
	OP_RELEASE_IN,		/* arg: input slot */
	OP_RELEASE_OUT,		/* arg: output slot */
};

static __u64 stage_ud(unsigned int op, unsigned int arg)
{
	return (__u64)arg << 8 | op;
}

static void stage_fail(struct stage *st, int err)
{
	if (!st->err)
		st->err = err < 0 && err > -4096 ? err : -EIO;
}

/*
 * The next free SQE, submitting what is queued when the ring is full;
 * NULL (and the stage failed) only if submitting itself fails.
 */
static struct io_uring_sqe *stage_sqe(struct stage *st)
{
	struct io_uring_sqe *sqe;
	int ret;

	while (!(sqe = io_uring_get_sqe(&st->ring))) {
		ret = io_uring_submit(&st->ring);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN) {
			stage_fail(st, ret);
			return NULL;
		}
	}
	return sqe;
}

/* Give a slot back through the ring, or directly if the ring cannot. */
static void stage_release(struct stage *st, int ch, unsigned int op,
			  unsigned int slot)
{
	struct io_uring_sqe *sqe = stage_sqe(st);

	if (!sqe) {
		if (cspchan_release(ch, slot) < 0)
			stage_fail(st, -errno);
		return;
	}
	cspchan_prep_release(sqe, ch, slot);
	io_uring_sqe_set_data64(sqe, stage_ud(op, slot));
	st->inflight++;
}

/* pending is a ring of @batch entries, sorted by seq from its head. */
static struct cspchan_slot_info *pending_at(struct stage *st, unsigned int i)
{
	return &st->pending[(st->pending_head + i) % st->batch];
}

static void pending_insert(struct stage *st, const struct cspchan_slot_info *m)
{
	unsigned int i = st->nr_pending;

	/* Usually the newest message: no move at all. */
	while (i > 0 && pending_at(st, i - 1)->seq > m->seq) {
		*pending_at(st, i) = *pending_at(st, i - 1);
		i--;
	}
	*pending_at(st, i) = *m;
	st->nr_pending++;
}

static struct cspchan_slot_info pending_pop(struct stage *st)
{
	struct cspchan_slot_info m = *pending_at(st, 0);

	st->pending_head = (st->pending_head + 1) % st->batch;
	st->nr_pending--;
	return m;
}

/* Keep @batch messages of @in coming: takes in flight plus pending. */
static void stage_take_more(struct stage *st)
{
	struct io_uring_sqe *sqe;
	unsigned int lane;

	while (!st->eos && !st->err && st->taking + st->nr_pending < st->batch) {
		sqe = stage_sqe(st);
		if (!sqe)
			return;
		lane = st->free_lane[--st->nr_free_lane];
		cspchan_prep_take(sqe, st->in, &st->lane[lane]);
		io_uring_sqe_set_data64(sqe, stage_ud(OP_TAKE, lane));
		st->taking++;
		st->inflight++;
	}
}

/* One output slot for every pending message, no more. */
static void stage_acquire_more(struct stage *st)
{
	struct io_uring_sqe *sqe;

	while (!st->err && st->acquiring + st->nr_spare < st->nr_pending) {
		sqe = stage_sqe(st);
		if (!sqe)
			return;
		cspchan_prep_acquire(sqe, st->out);
		io_uring_sqe_set_data64(sqe, stage_ud(OP_ACQUIRE, 0));
		st->acquiring++;
		st->inflight++;
	}
}

/* Run process() on pending messages, oldest first, while slots last. */
static void stage_process(struct stage *st)
{
	const struct cspchan_stage_ops *ops = st->ops;
	struct io_uring_sqe *sqe;

	while (!st->err && st->nr_pending && st->nr_spare) {
		struct cspchan_slot_info m = pending_pop(st);
		unsigned int oslot = st->spare[--st->nr_spare];
		const void *msg = cspchan_slot_ptr(&st->ain, m.slot);
		void *obuf = cspchan_slot_ptr(&st->aout, oslot);
		ssize_t n = -EIO;	/* a slot outside the arena: a kernel bug */

		if (msg && obuf && m.len <= st->ain.msg_size)
			n = ops->process(msg, m.len, obuf, st->aout.msg_size,
					 ops->ctx);
		if (n > (ssize_t)st->aout.msg_size)
			n = -EMSGSIZE;

		if (n > 0 && (sqe = stage_sqe(st))) {
			cspchan_prep_commit(sqe, st->out, oslot, (unsigned int)n);
			io_uring_sqe_set_data64(sqe, stage_ud(OP_COMMIT, oslot));
			st->inflight++;
		} else {
			st->spare[st->nr_spare++] = oslot;
			if (n == 0)
				st->stats.dropped++;
			else if (n < 0)
				stage_fail(st, (int)n);
		}
		/* The output is in place: the input slot is no longer needed. */
		stage_release(st, st->in, OP_RELEASE_IN, m.slot);
	}
}

/* Output slots beyond what pending messages need go back to @out. */
static void stage_trim(struct stage *st)
{
	while (st->nr_spare &&
	       (st->err || st->acquiring + st->nr_spare > st->nr_pending))
		stage_release(st, st->out, OP_RELEASE_OUT,
			      st->spare[--st->nr_spare]);
}

/* After a failure: drop what the stage holds (taken messages are lost). */
static void stage_abandon(struct stage *st)
{
	while (st->nr_pending)
		stage_release(st, st->in, OP_RELEASE_IN, pending_pop(st).slot);
	stage_trim(st);
}

static void stage_complete(struct stage *st, const struct io_uring_cqe *cqe)
{
	unsigned int op = (unsigned int)(cqe->user_data & 0xff);
	unsigned int arg = (unsigned int)(cqe->user_data >> 8);
	int res = cqe->res;

	st->inflight--;
	switch (op) {
	case OP_TAKE:
		st->taking--;
		st->free_lane[st->nr_free_lane++] = arg;
		if (res > 0) {
			st->stats.taken++;
			pending_insert(st, &st->lane[arg]);
		} else if (res == 0) {
			st->eos = 1;
		} else {
			stage_fail(st, res);
		}
		break;
	case OP_ACQUIRE:
		st->acquiring--;
		if (res >= 0)
			st->spare[st->nr_spare++] = (unsigned int)res;
		else
			stage_fail(st, res);
		break;
	case OP_COMMIT:
		if (res > 0) {
			st->stats.committed++;
		} else {
			/* Not sent: the handle still holds the slot. */
			stage_fail(st, res);
			stage_release(st, st->out, OP_RELEASE_OUT, arg);
		}
		break;
	default:		/* OP_RELEASE_IN, OP_RELEASE_OUT */
		if (res < 0)
			stage_fail(st, res);
		break;
	}
}

static void stage_reap(struct stage *st)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(&st->ring, head, cqe) {
		stage_complete(st, cqe);
		n++;
	}
	io_uring_cq_advance(&st->ring, n);
}

int stage_uring_loop(struct stage *st)
{
	int ret;

	for (;;) {
		if (!st->err) {
			stage_take_more(st);
			stage_acquire_more(st);
			stage_process(st);
			stage_trim(st);
		}
		if (st->err) {
			/*
			 * Stop here: what is still parked in the kernel is
			 * completed with -ECANCELED once this thread has
			 * exited, and stage_uring_drain() reaps it.
			 */
			do {
				stage_abandon(st);
				if (io_uring_submit(&st->ring) < 0)
					break;
				stage_reap(st);
			} while (st->nr_pending || st->nr_spare ||
				 io_uring_sq_ready(&st->ring));
			return st->err;
		}
		if (st->eos && !st->inflight && !st->nr_pending)
			return 0;
		if (!st->inflight) {	/* nothing can make progress: a bug */
			stage_fail(st, -EIO);
			continue;
		}
		ret = io_uring_submit_and_wait(&st->ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -ETIME)
			stage_fail(st, ret);
		stage_reap(st);
	}
}

/*
 * How long to wait, after the helper thread exited, for the kernel to
 * cancel the commands it left parked (cspchan.ko looks every 100 ms).
 */
#define STAGE_DRAIN_MS	5000

/*
 * The commands still in flight belong to the exited helper thread: the
 * module completes them (with -ECANCELED if they were still parked).
 * Whatever they obtained in the meantime is given back synchronously.
 * Returns with st->inflight 0, or non-zero if the kernel never answered.
 */
void stage_uring_drain(struct stage *st)
{
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 100000000 };
	struct io_uring_cqe *cqe;
	unsigned int waited = 0;
	unsigned int op, arg;
	int ret;

	while (st->inflight && waited < STAGE_DRAIN_MS) {
		ret = io_uring_wait_cqe_timeout(&st->ring, &cqe, &ts);
		if (ret == -ETIME || ret == -EINTR) {
			waited += 100;
			continue;
		}
		if (ret < 0)
			break;
		op = (unsigned int)(cqe->user_data & 0xff);
		arg = (unsigned int)(cqe->user_data >> 8);
		if (op == OP_TAKE && cqe->res > 0)
			cspchan_release(st->in, st->lane[arg].slot);
		else if (op == OP_ACQUIRE && cqe->res >= 0)
			cspchan_release(st->out, (unsigned int)cqe->res);
		else if (op == OP_COMMIT && cqe->res <= 0)
			cspchan_release(st->out, arg);
		else if (op == OP_COMMIT)
			st->stats.committed++;
		if (op == OP_TAKE && cqe->res > 0)
			st->stats.taken++;
		st->inflight--;
		io_uring_cqe_seen(&st->ring, cqe);
	}
}

/* Room for one round of every kind of command without a forced submit. */
static unsigned int stage_ring_entries(unsigned int batch)
{
	unsigned int n = 8;

	while (n < 4 * batch)
		n <<= 1;
	return n;
}

int stage_uring_init(struct stage *st)
{
	unsigned int i;
	int ret;

	st->lane = calloc(st->batch, sizeof(*st->lane));
	st->pending = calloc(st->batch, sizeof(*st->pending));
	st->free_lane = calloc(st->batch, sizeof(*st->free_lane));
	st->spare = calloc(st->batch, sizeof(*st->spare));
	if (!st->lane || !st->pending || !st->free_lane || !st->spare) {
		stage_uring_exit(st);
		return -ENOMEM;
	}
	for (i = 0; i < st->batch; i++)
		st->free_lane[i] = st->batch - 1 - i;
	st->nr_free_lane = st->batch;

	ret = io_uring_queue_init(stage_ring_entries(st->batch), &st->ring, 0);
	if (ret < 0) {
		stage_uring_exit(st);
		return ret;
	}
	st->ring_ready = 1;
	return 0;
}

void stage_uring_exit(struct stage *st)
{
	if (st->ring_ready)
		io_uring_queue_exit(&st->ring);
	st->ring_ready = 0;
	free(st->lane);
	free(st->pending);
	free(st->free_lane);
	free(st->spare);
	st->lane = st->pending = NULL;
	st->free_lane = st->spare = NULL;
}
