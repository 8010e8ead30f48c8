// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-bench: cspchan zero-copy — messages written and read in place in
 * the channel's slot arena, which the parent maps (cspchan_arena_map())
 * before the fork, so every process inherits the mapping.
 *
 * "cspchan-zc": one ioctl per operation — cspchan_acquire(), write the
 * message in place, cspchan_commit(); cspchan_take(), read it in place,
 * cspchan_release().
 *
 * "cspchan-zc-uring": the same four operations as io_uring commands
 * (cspchan_prep_acquire/commit/take/release), 32 in flight, as
 * examples/zerocopy -u and lib/stage.c do:
 *
 *   producer  keeps 32 ACQUIREs in flight; acquire_many() hands out the
 *             slots they obtained, commit_many() queues one COMMIT per
 *             message, in stamp order, plus the ACQUIREs that refill the
 *             batch, and submits them with one io_uring_enter().  A COMMIT
 *             on a buffered channel never waits, so the channel's order is
 *             the order of the COMMITs.
 *   consumer  keeps 32 TAKEs in flight; take_many() hands out what they
 *             took, release_many() queues a RELEASE and a new TAKE per
 *             message; the next take_many() submits them with the
 *             io_uring_enter() that waits for more.
 *
 * Linux 6.1 posts the completions of TAKEs served together in reverse
 * order (task work runs last-in first-out).  take_many() restores the
 * channel's order from the sequence number the kernel gives every message
 * (struct cspchan_slot_info.seq): with one consumer per channel, the
 * messages it takes are numbered consecutively from 0, so a message is
 * handed out only once every earlier one was.  The stream consumer then
 * checks strict order for this transport as for the copy path.
 *
 * The channel is shared by the processes through one open file
 * description (the inherited descriptor), and the kernel ties slot
 * ownership to it: fine here, since processes only commit or release the
 * slots they obtained themselves.
 *
 * At the end, TAKEs (and maybe ACQUIREs) are still waiting in the kernel.
 * Linux 6.1 cannot cancel uring commands; cspchan.ko completes them with
 * -ECANCELED once their task exits.  detach therefore leaves a ring with
 * commands in flight alone: the process exits right after.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cspchan-uring.h>

#include "bench.h"

#define ZU_LANES	BENCH_MAX_BATCH		/* ACQUIREs or TAKEs in flight */
#define ZU_ENTRIES	(4 * ZU_LANES)		/* room for one round of each op */

enum { OP_ACQUIRE = 1, OP_COMMIT, OP_TAKE, OP_RELEASE };

static uint64_t zu_ud(unsigned int op, unsigned int arg)
{
	return (uint64_t)arg << 8 | op;
}

/* A message taken and not handed out yet. */
struct zu_msg {
	uint64_t seq;
	unsigned int slot, len;
};

struct zu_proc {
	struct io_uring ring;
	struct bchan *c;		/* its instance (for the counters) */
	int err;			/* first error, -errno; sticky */
	unsigned int inflight;		/* commands in flight */

	/* producer */
	unsigned int acquiring;		/* ACQUIREs in flight */
	unsigned int spare[2 * ZU_LANES];	/* acquired slots not handed out (FIFO) */
	unsigned int spare_head, nr_spare;

	/* consumer: TAKEs in flight + messages held <= ZU_LANES */
	bool receiver;			/* attached with ROLE_RECV */
	struct cspchan_slot_info lane[ZU_LANES];	/* written by the TAKEs */
	unsigned int free_lane[ZU_LANES];	/* lanes with no TAKE in flight */
	unsigned int nr_free_lane;
	unsigned int taking;		/* TAKEs in flight */
	unsigned int held;		/* taken and not released: pending or handed out */
	struct zu_msg pending[ZU_LANES];	/* taken, not handed out; sorted by seq */
	unsigned int nr_pending;
	uint64_t next_seq;		/* the next message in the channel's order */
	uint64_t top_seq;		/* one past the highest seq completed */
	bool eos;
};

/* Per instance: the arena (set up before the fork), and this process's ring. */
struct zc_chan {
	struct cspchan_arena arena;
	struct zu_proc *u;
	void *priv;			/* cspchan-zcv-uring: its struct zv_proc */
};

static int zc_available(char *why, size_t whylen)
{
	return cspchan_bench_available(why, whylen, CSPCHAN_FEAT_ZEROCOPY);
}

static int zu_available(char *why, size_t whylen)
{
	int ret = cspchan_bench_available(why, whylen,
					  CSPCHAN_FEAT_ZEROCOPY | CSPCHAN_FEAT_URING_CMD);

	return ret < 0 ? ret : bench_uring_available(why, whylen);
}

static int zc_create(struct bchan *c)
{
	struct zc_chan *z;
	int ret;

	ret = cspchan_bench_create(c);
	if (ret < 0)
		return ret;
	z = calloc(1, sizeof(*z));
	if (!z) {
		bchan_close_fds(c);
		return -ENOMEM;
	}
	/* Read-write: every process of the instance may send. */
	ret = cspchan_arena_map(c->fd[0], &z->arena, PROT_READ | PROT_WRITE);
	if (ret < 0) {
		snprintf(c->note, sizeof(c->note), "cspchan_arena_map: %s", strerror(-ret));
		free(z);
		bchan_close_fds(c);
		return ret;
	}
	c->priv = z;
	return 0;
}

static void zc_destroy(struct bchan *c)
{
	struct zc_chan *z = c->priv;

	if (z) {
		cspchan_arena_unmap(&z->arena);
		free(z);
	}
	c->priv = NULL;
	bchan_close_fds(c);
}

/* The slot a place in the arena belongs to; -1 if it is not one. */
static int zc_slot_of(const struct zc_chan *z, const void *p)
{
	const char *base = z->arena.base;
	size_t off;

	if (!base || (const char *)p < base)
		return -1;
	off = (size_t)((const char *)p - base);
	if (off % z->arena.slot_size || off / z->arena.slot_size >= z->arena.nr_slots)
		return -1;
	return (int)(off / z->arena.slot_size);
}

/* --- cspchan-zc: one ioctl per operation -------------------------------------- */

static void *zc_acquire(struct bchan *c, size_t len)
{
	struct zc_chan *z = c->priv;
	int slot;

	if (len > z->arena.msg_size) {
		errno = EMSGSIZE;
		return NULL;
	}
	slot = cspchan_acquire(c->fd[1], -1);
	if (slot < 0) {
		errno = -slot;
		return NULL;
	}
	return cspchan_slot_ptr(&z->arena, (unsigned int)slot);
}

static int zc_commit(struct bchan *c, void *slot, size_t len)
{
	struct zc_chan *z = c->priv;
	int s = zc_slot_of(z, slot);
	ssize_t n;

	if (s < 0)
		return -EINVAL;
	n = cspchan_commit(c->fd[1], (unsigned int)s, len, -1);
	if (n < 0) {
		cspchan_release(c->fd[1], (unsigned int)s);
		return (int)n;
	}
	return (size_t)n == len ? 0 : -EIO;
}

static const void *zc_take(struct bchan *c, size_t *len)
{
	struct zc_chan *z = c->priv;
	struct cspchan_slot_info info;
	const void *p;
	ssize_t n;

	n = cspchan_take(c->fd[0], &info, -1);
	if (n <= 0) {
		errno = n ? (int)-n : ENODATA;
		return NULL;
	}
	p = cspchan_slot_ptr(&z->arena, info.slot);
	if (!p) {
		errno = EIO;
		return NULL;
	}
	*len = info.len;
	return p;
}

static int zc_release(struct bchan *c, const void *slot)
{
	int s = zc_slot_of(c->priv, slot);

	return s < 0 ? -EINVAL : cspchan_release(c->fd[0], (unsigned int)s);
}

/* --- cspchan-zc-uring: the same through io_uring, 32 in flight ---------------- */

static struct io_uring_sqe *zu_sqe(struct zu_proc *u)
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

static void zu_pending_insert(struct zu_proc *u, const struct zu_msg *m)
{
	unsigned int i = u->nr_pending;

	/* Usually the newest: no move at all. */
	while (i > 0 && u->pending[i - 1].seq > m->seq) {
		u->pending[i] = u->pending[i - 1];
		i--;
	}
	u->pending[i] = *m;
	u->nr_pending++;
}

static void zu_complete(struct zu_proc *u, const struct io_uring_cqe *cqe)
{
	unsigned int op = (unsigned int)(cqe->user_data & 0xff);
	unsigned int arg = (unsigned int)(cqe->user_data >> 8);
	struct zu_msg m;
	int res = cqe->res;

	u->inflight--;
	switch (op) {
	case OP_ACQUIRE:
		u->acquiring--;
		if (res < 0) {
			bench_first_error(&u->err, res);
			break;
		}
		u->spare[(u->spare_head + u->nr_spare) % ARRAY_SIZE(u->spare)] =
			(unsigned int)res;
		u->nr_spare++;
		break;
	case OP_COMMIT:
		if (res != (int)arg)	/* arg: the length committed */
			bench_first_error(&u->err, res < 0 ? res : -EIO);
		break;
	case OP_TAKE:
		u->taking--;
		/* The answer is copied out: the lane may take again. */
		u->free_lane[u->nr_free_lane++] = arg;
		if (res > 0) {
			m.seq = u->lane[arg].seq;
			m.slot = u->lane[arg].slot;
			m.len = u->lane[arg].len;
			zu_pending_insert(u, &m);
			u->held++;
			/* Completed after a later message: counted (README.md). */
			if (m.seq + 1 < u->top_seq)
				u->c->reordered++;
			else
				u->top_seq = m.seq + 1;
		} else {
			/* End of stream (or an error): no more TAKEs. */
			if (res == 0)
				u->eos = true;
			else
				bench_first_error(&u->err, res);
		}
		break;
	default:		/* OP_RELEASE */
		if (res < 0)
			bench_first_error(&u->err, res);
		break;
	}
}

static void zu_reap(struct zu_proc *u)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe) {
		zu_complete(u, cqe);
		n++;
	}
	io_uring_cq_advance(&u->ring, n);
}

/* Submit what is queued, wait for one completion at least, reap. */
static int zu_wait(struct zu_proc *u)
{
	int ret;

	if (!u->inflight && !io_uring_sq_ready(&u->ring)) {
		bench_first_error(&u->err, -EDEADLK);	/* nothing can complete: a bug */
		return u->err;
	}
	ret = io_uring_submit_and_wait(&u->ring, 1);
	if (ret < 0 && ret != -EINTR && ret != -ETIME)
		bench_first_error(&u->err, ret);
	zu_reap(u);
	return u->err;
}

static int zu_attach(struct bchan *c, unsigned int roles)
{
	struct zc_chan *z = c->priv;
	struct zu_proc *u;
	unsigned int i;
	int ret;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	ret = io_uring_queue_init(ZU_ENTRIES, &u->ring, 0);
	if (ret < 0) {
		free(u);
		return ret;
	}
	u->c = c;
	if (roles & ROLE_RECV) {
		u->receiver = true;
		for (i = 0; i < ZU_LANES; i++)
			u->free_lane[u->nr_free_lane++] = ZU_LANES - 1 - i;
	}
	z->u = u;
	return 0;
}

static void zu_detach(struct bchan *c)
{
	struct zc_chan *z = c->priv;
	struct zu_proc *u = z->u;

	if (!u)
		return;
	/* Submit what is queued (releases), and collect what completed. */
	if (io_uring_sq_ready(&u->ring) && io_uring_submit(&u->ring) >= 0)
		zu_reap(u);
	/* Commands still waiting in the kernel: see the comment at the top. */
	if (!u->inflight) {
		io_uring_queue_exit(&u->ring);
		free(u);
	}
	z->u = NULL;
}

/* Keep ZU_LANES slots coming: ACQUIREs in flight plus slots in hand. */
static int zu_refill_acquires(struct bchan *c, struct zu_proc *u)
{
	struct io_uring_sqe *sqe;

	while (u->acquiring + u->nr_spare < ZU_LANES) {
		sqe = zu_sqe(u);
		if (!sqe)
			return u->err;
		cspchan_prep_acquire(sqe, c->fd[1]);
		io_uring_sqe_set_data64(sqe, zu_ud(OP_ACQUIRE, 0));
		u->acquiring++;
		u->inflight++;
	}
	return 0;
}

static int zu_acquire_many(struct bchan *c, size_t len, void *slots[], unsigned int n)
{
	struct zc_chan *z = c->priv;
	struct zu_proc *u = z->u;
	unsigned int got = 0, slot;

	if (len > z->arena.msg_size)
		return -EMSGSIZE;
	zu_reap(u);
	while (!u->nr_spare) {
		if (u->err || zu_refill_acquires(c, u) || zu_wait(u))
			return u->err;
	}
	if (u->err)
		return u->err;
	while (got < n && u->nr_spare) {
		slot = u->spare[u->spare_head];
		u->spare_head = (u->spare_head + 1) % ARRAY_SIZE(u->spare);
		u->nr_spare--;
		slots[got++] = cspchan_slot_ptr(&z->arena, slot);
	}
	return (int)got;
}

/* The COMMITs, in order, and the ACQUIREs that refill the batch: one submit. */
static int zu_commit_many(struct bchan *c, void *const slots[], size_t len,
			  unsigned int n)
{
	struct zc_chan *z = c->priv;
	struct zu_proc *u = z->u;
	struct io_uring_sqe *sqe;
	unsigned int i;
	int s, ret;

	if (u->err)
		return u->err;
	for (i = 0; i < n; i++) {
		s = zc_slot_of(z, slots[i]);
		if (s < 0)
			return -EINVAL;
		sqe = zu_sqe(u);
		if (!sqe)
			return u->err;
		cspchan_prep_commit(sqe, c->fd[1], (unsigned int)s, (unsigned int)len);
		io_uring_sqe_set_data64(sqe, zu_ud(OP_COMMIT, (unsigned int)len));
		u->inflight++;
	}
	if (zu_refill_acquires(c, u))
		return u->err;
	ret = io_uring_submit(&u->ring);
	if (ret < 0 && ret != -EINTR)
		bench_first_error(&u->err, ret);
	zu_reap(u);
	return u->err ? u->err : (int)n;
}

/* Hand out pending messages in the channel's order. */
static unsigned int zu_deliver(struct zc_chan *z, struct zu_proc *u,
			       const void *slots[], size_t lens[], unsigned int n)
{
	unsigned int got = 0, i;

	while (got < n && u->nr_pending) {
		struct zu_msg *m = &u->pending[0];

		/*
		 * An earlier message is still on its way (its TAKE completed
		 * but its completion is not posted yet) unless no TAKE is in
		 * flight that could bring it.
		 */
		if (m->seq != u->next_seq && u->taking)
			break;
		slots[got] = cspchan_slot_ptr(&z->arena, m->slot);
		lens[got] = m->len;
		got++;
		u->next_seq = m->seq + 1;
		u->nr_pending--;
		for (i = 0; i < u->nr_pending; i++)
			u->pending[i] = u->pending[i + 1];
	}
	return got;
}

static int zu_take_many(struct bchan *c, const void *slots[], size_t lens[],
			unsigned int n)
{
	struct zc_chan *z = c->priv;
	struct zu_proc *u = z->u;
	struct io_uring_sqe *sqe;
	unsigned int got, lane;

	for (;;) {
		if (u->err)
			return u->err;
		/* Refill the batch (the first call: all of it). */
		while (u->receiver && !u->eos && u->taking + u->held < ZU_LANES) {
			sqe = zu_sqe(u);
			if (!sqe)
				return u->err;
			lane = u->free_lane[--u->nr_free_lane];
			cspchan_prep_take(sqe, c->fd[0], &u->lane[lane]);
			io_uring_sqe_set_data64(sqe, zu_ud(OP_TAKE, lane));
			u->taking++;
			u->inflight++;
		}
		zu_reap(u);
		got = zu_deliver(z, u, slots, lens, n);
		if (got) {
			/* Keep the batch in flight while the caller reads these. */
			if (io_uring_sq_ready(&u->ring) && io_uring_submit(&u->ring) < 0)
				bench_first_error(&u->err, -EIO);
			return u->err ? u->err : (int)got;
		}
		if (u->eos && !u->taking && !u->nr_pending)
			return 0;
		if (zu_wait(u))
			return u->err;
	}
}

/*
 * A RELEASE per message, queued: the next take_many() submits them, ahead
 * of the TAKEs that refill the batch, with the io_uring_enter() that
 * waits.  (detach submits what is left.)
 */
static int zu_release_many(struct bchan *c, const void *const slots[], unsigned int n)
{
	struct zc_chan *z = c->priv;
	struct zu_proc *u = z->u;
	struct io_uring_sqe *sqe;
	unsigned int i;
	int s;

	for (i = 0; i < n; i++) {
		s = zc_slot_of(z, slots[i]);
		if (s < 0 || !u->held)
			return -EINVAL;
		sqe = zu_sqe(u);
		if (!sqe)
			return u->err;
		cspchan_prep_release(sqe, c->fd[0], (unsigned int)s);
		io_uring_sqe_set_data64(sqe, zu_ud(OP_RELEASE, 0));
		u->inflight++;
		u->held--;
	}
	return u->err ? u->err : (int)n;
}

const struct transport transport_cspchan_zc = {
	.name = "cspchan-zc",
	.desc = "cspchan zero-copy, one ioctl each: acquire, write in place, commit; take, read in place, release",
	.kind = TK_ZEROCOPY,
	.caps = TC_MPMC | TC_UNBUFFERED,
	.available = zc_available,
	.create = zc_create,
	.destroy = zc_destroy,
	.acquire = zc_acquire,
	.commit = zc_commit,
	.take = zc_take,
	.release = zc_release,
};

const struct transport transport_cspchan_zc_uring = {
	.name = "cspchan-zc-uring",
	.desc = "cspchan zero-copy through io_uring commands: 32 ACQUIRE+COMMIT, 32 TAKE+RELEASE in flight",
	.kind = TK_ZEROCOPY_URING,
	.caps = 0,
	.available = zu_available,
	.create = zc_create,
	.attach = zu_attach,
	.detach = zu_detach,
	.destroy = zc_destroy,
	.acquire_many = zu_acquire_many,
	.commit_many = zu_commit_many,
	.take_many = zu_take_many,
	.release_many = zu_release_many,
};

/* --- cspchan-zcv-uring: vectored slot commands, one per burst ----------------- */

/*
 * "cspchan-zcv-uring": the vectored io_uring commands (cspchan_prep_*v):
 * one command moves a burst of up to 32 slots under one channel lock.
 *
 *   producer  ACQUIREV hands it up to 32 slots at once; it writes the
 *             messages in place, and commit_many() submits one COMMITV for
 *             them together with the ACQUIREV that gets the next burst,
 *             in one io_uring_enter().
 *   consumer  TAKEV takes up to 32 messages at once, in the channel's
 *             order (one TAKEV in flight, so no reordering); the RELEASEV
 *             of the messages it read goes with the next TAKEV, in one
 *             io_uring_enter().
 *
 * A TAKEV or ACQUIREV that finds nothing at all waits in the kernel and
 * completes with one entry; COMMITV and RELEASEV never wait.
 */
#define ZV_BURST	BENCH_MAX_BATCH
#define ZV_RELEASES	(2 * ZV_BURST)
#ifndef ZV_SPIN
#define ZV_SPIN		200	/* completion-ring polls before sleeping */
#endif

enum { ZV_ACQ = 1, ZV_COM, ZV_TAKE, ZV_REL };

struct zv_proc {
	struct io_uring ring;
	struct bchan *c;		/* its instance (for the burst counters) */
	unsigned int burst;		/* slots asked for per ACQUIREV and TAKEV */
	int err;			/* first error, -errno; sticky */
	unsigned int inflight;

	/* producer */
	struct cspchan_slot_info acq[ZV_BURST];
	unsigned int acq_head, acq_n;	/* acquired slots acq[head..n) in hand */
	bool acquiring;			/* an ACQUIREV is in flight */
	struct cspchan_slot_info com[ZV_BURST];
	unsigned int com_n;		/* the COMMITV in flight, 0 if none */

	/* consumer */
	struct cspchan_slot_info take[ZV_BURST];
	unsigned int take_head, take_n;	/* taken messages not handed out */
	bool taking;			/* a TAKEV is in flight */
	bool eos;
	struct cspchan_slot_info rel[ZV_RELEASES];
	unsigned int rel_n;		/* queued for the next RELEASEV */
	unsigned int releasing;		/* the RELEASEV in flight, 0 if none */
};

static int zv_available(char *why, size_t whylen)
{
	int ret = zu_available(why, whylen);

	if (ret < 0)
		return ret;
	return cspchan_bench_available(why, whylen, CSPCHAN_FEAT_URING_SLOTV);
}

static void zv_complete(struct zv_proc *u, const struct io_uring_cqe *cqe)
{
	int res = cqe->res;

	u->inflight--;
	switch (io_uring_cqe_get_data64(cqe)) {
	case ZV_ACQ:
		u->acquiring = false;
		if (res < 1)
			bench_first_error(&u->err, res ? res : -EIO);
		else
			u->acq_head = 0, u->acq_n = (unsigned int)res;
		break;
	case ZV_COM:
		if (res != (int)u->com_n)
			bench_first_error(&u->err, res < 0 ? res : -EIO);
		u->c->bursts[1]++;
		u->com_n = 0;
		break;
	case ZV_TAKE:
		u->taking = false;
		if (res < 0)
			bench_first_error(&u->err, res);
		else if (!res)
			u->eos = true;
		else
			u->take_head = 0, u->take_n = (unsigned int)res;
		u->c->bursts[0] += res > 0;
		break;
	case ZV_REL:
		if (res != (int)u->releasing)
			bench_first_error(&u->err, res < 0 ? res : -EIO);
		u->releasing = 0;
		break;
	default:
		bench_first_error(&u->err, -EIO);
	}
}

/* Submit what is queued, then reap until @busy is clear (or an error). */
static int zv_submit_wait(struct zv_proc *u, const bool *busy_flag,
			  const unsigned int *busy_count)
{
	struct io_uring_cqe *cqe;
	int ret, spin;

	ret = io_uring_submit(&u->ring);
	if (ret < 0 && ret != -EINTR)
		bench_first_error(&u->err, ret);
	while (!u->err && ((busy_flag && *busy_flag) ||
			   (busy_count && *busy_count))) {
		/* Poll the completion ring briefly before sleeping, as shm-ring does. */
		for (spin = 0; spin < ZV_SPIN; spin++) {
			if (io_uring_peek_cqe(&u->ring, &cqe) == 0)
				break;
			__builtin_ia32_pause();
		}
		ret = spin < ZV_SPIN ? 0 : io_uring_wait_cqe(&u->ring, &cqe);
		if (ret == -EINTR)
			continue;
		if (ret < 0) {
			bench_first_error(&u->err, ret);
			break;
		}
		zv_complete(u, cqe);
		io_uring_cqe_seen(&u->ring, cqe);
	}
	while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
		zv_complete(u, cqe);
		io_uring_cqe_seen(&u->ring, cqe);
	}
	return u->err;
}

static struct io_uring_sqe *zv_sqe(struct zv_proc *u, uint64_t ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {
		bench_first_error(&u->err, -EBUSY);
		return NULL;
	}
	io_uring_sqe_set_data64(sqe, ud);
	u->inflight++;
	return sqe;
}

static void zv_queue_acquire(struct bchan *c, struct zv_proc *u)
{
	struct io_uring_sqe *sqe;

	if (u->acquiring || u->acq_head < u->acq_n)
		return;
	sqe = zv_sqe(u, ZV_ACQ);
	if (!sqe)
		return;
	cspchan_prep_acquirev(sqe, c->fd[1], u->acq, u->burst);
	u->acquiring = true;
}

static void zv_queue_release(struct bchan *c, struct zv_proc *u)
{
	struct io_uring_sqe *sqe;

	if (!u->rel_n || u->releasing)
		return;
	sqe = zv_sqe(u, ZV_REL);
	if (!sqe)
		return;
	cspchan_prep_releasev(sqe, c->fd[0], u->rel, u->rel_n);
	u->releasing = u->rel_n;
	u->rel_n = 0;
}

/*
 * Slots per ACQUIREV and TAKEV: ZV_BURST, or CSPCHAN_BENCH_ZV_BURST (1 to
 * ZV_BURST, read and checked by main.c), for measuring how the burst size
 * trades against pipelining (a producer filling a burst, one queued and a
 * consumer reading one need three bursts' worth of slots).
 */
static unsigned int zv_burst(void)
{
	return bench_opts.zv_burst ?: ZV_BURST;
}

static int zv_attach(struct bchan *c, unsigned int roles)
{
	struct zc_chan *z = c->priv;
	struct zv_proc *u;
	int ret;

	(void)roles;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	ret = io_uring_queue_init(8, &u->ring, 0);
	if (ret < 0) {
		free(u);
		return ret;
	}
	u->c = c;
	u->burst = zv_burst();
	z->priv = u;
	return 0;
}

static void zv_detach(struct bchan *c)
{
	struct zc_chan *z = c->priv;
	struct zv_proc *u = z->priv;

	if (!u)
		return;
	zv_queue_release(c, u);
	zv_submit_wait(u, NULL, &u->releasing);
	/* A TAKEV or ACQUIREV may still wait in the kernel: see the top. */
	if (!u->inflight) {
		io_uring_queue_exit(&u->ring);
		free(u);
	}
	z->priv = NULL;
}

static int zv_acquire_many(struct bchan *c, size_t len, void *slots[], unsigned int n)
{
	struct zc_chan *z = c->priv;
	struct zv_proc *u = z->priv;
	unsigned int got = 0;

	if (len > z->arena.msg_size)
		return -EMSGSIZE;
	if (u->acq_head == u->acq_n) {
		zv_queue_acquire(c, u);
		if (zv_submit_wait(u, &u->acquiring, NULL))
			return u->err;
	}
	while (got < n && u->acq_head < u->acq_n)
		slots[got++] = cspchan_slot_ptr(&z->arena, u->acq[u->acq_head++].slot);
	return (int)got;
}

/* One COMMITV for the burst, with the ACQUIREV for the next one. */
static int zv_commit_many(struct bchan *c, void *const slots[], size_t len,
			  unsigned int n)
{
	struct zc_chan *z = c->priv;
	struct zv_proc *u = z->priv;
	struct io_uring_sqe *sqe;
	unsigned int i;
	int s;

	if (u->err)
		return u->err;
	if (n > ZV_BURST)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		s = zc_slot_of(z, slots[i]);
		if (s < 0)
			return -EINVAL;
		u->com[i].slot = (unsigned int)s;
		u->com[i].len = (unsigned int)len;
	}
	sqe = zv_sqe(u, ZV_COM);
	if (!sqe)
		return u->err;
	cspchan_prep_commitv(sqe, c->fd[1], u->com, n);
	u->com_n = n;
	zv_queue_acquire(c, u);
	return zv_submit_wait(u, NULL, &u->com_n) ? u->err : (int)n;
}

static int zv_take_many(struct bchan *c, const void *slots[], size_t lens[],
			unsigned int n)
{
	struct zc_chan *z = c->priv;
	struct zv_proc *u = z->priv;
	struct io_uring_sqe *sqe;
	unsigned int got = 0;

	if (u->take_head == u->take_n) {
		if (u->eos)
			return 0;
		/* Give back what was read, then take the next burst. */
		zv_queue_release(c, u);
		sqe = zv_sqe(u, ZV_TAKE);
		if (!sqe)
			return u->err;
		cspchan_prep_takev(sqe, c->fd[0], u->take, u->burst);
		u->taking = true;
		if (zv_submit_wait(u, &u->taking, NULL))
			return u->err;
		if (u->eos)
			return 0;
	}
	while (got < n && u->take_head < u->take_n) {
		const struct cspchan_slot_info *m = &u->take[u->take_head++];

		slots[got] = cspchan_slot_ptr(&z->arena, m->slot);
		lens[got] = m->len;
		got++;
	}
	return (int)got;
}

/* Queued; the next take_many() (or detach) submits them in one RELEASEV. */
static int zv_release_many(struct bchan *c, const void *const slots[], unsigned int n)
{
	struct zc_chan *z = c->priv;
	struct zv_proc *u = z->priv;
	unsigned int i;
	int s;

	for (i = 0; i < n; i++) {
		s = zc_slot_of(z, slots[i]);
		if (s < 0)
			return -EINVAL;
		if (u->rel_n == ZV_RELEASES) {
			zv_queue_release(c, u);
			if (zv_submit_wait(u, NULL, &u->releasing))
				return u->err;
		}
		u->rel[u->rel_n++].slot = (unsigned int)s;
	}
	return u->err ? u->err : (int)n;
}

const struct transport transport_cspchan_zcv_uring = {
	.name = "cspchan-zcv-uring",
	.desc = "cspchan zero-copy through vectored io_uring commands: ACQUIREV+COMMITV, TAKEV+RELEASEV of up to 32 slots each",
	.kind = TK_ZEROCOPY_URING,
	.caps = 0,
	.available = zv_available,
	.create = zc_create,
	.attach = zv_attach,
	.detach = zv_detach,
	.destroy = zc_destroy,
	.acquire_many = zv_acquire_many,
	.commit_many = zv_commit_many,
	.take_many = zv_take_many,
	.release_many = zv_release_many,
};
