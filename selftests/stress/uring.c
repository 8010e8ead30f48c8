// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring participants, through the library's cspchan_prep_*() helpers:
 *
 *	producer	ACQUIRE + COMMIT, ACQUIREV + COMMITV, or WRITE
 *	consumer	TAKE (two parked per channel), TAKEV (one burst of up
 *			to 4 per channel), or READ; slots are given back with
 *			RELEASE/RELEASEV commands or the ioctl
 *
 * Commands stay parked on a generation until it is shut down, so a handle
 * that reported end of stream or EPIPE is kept open until its last command
 * completed (handle pool below); new commands go to a new handle.
 *
 * A consumer declares what its parked receive commands may hold before it
 * submits them (hold_add) and lowers it as each completion is recorded.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cspchan-uring.h>

#include "soak.h"

#define RING_ENTRIES	64
#define VEC_MAX		8
#define JOBS		6		/* producer: messages (or bursts) in flight */
#define LANES		2		/* consumer: receive commands per channel */
#define WAIT_MS		100

enum { PV_SINGLE, PV_VECTOR, PV_WRITE, PV_NR };
enum { CV_TAKE, CV_TAKEV, CV_READ, CV_NR };

/* user_data: what << 16 | index; RELEASE completions carry the handle index. */
enum { UD_JOB = 1, UD_LANE, UD_RELEASE };
#define UD(what, i)	((uint64_t)(what) << 16 | (i))

struct upart {
	int me;
	int variant;
	int oflags;
	bool map;
	struct io_uring ring;
	struct soak_handle pool[3 * SOAK_MAX_CHANS];
	bool used[3 * SOAK_MAX_CHANS];
	struct soak_handle *cur[SOAK_MAX_CHANS];
	uint64_t retry_ns[SOAK_MAX_CHANS];
	unsigned int pending;		/* commands in flight */
};

/* ---- handles and the ring ------------------------------------------------ */

/* The current, open handle of channel @k, or NULL (not now). */
static struct soak_handle *uhandle(struct upart *u, unsigned int k)
{
	struct soak_handle *h = u->cur[k];
	unsigned int i;

	if (!h) {
		for (i = 0; i < 3 * SOAK_MAX_CHANS && u->used[i]; i++)
			;
		if (i == 3 * SOAK_MAX_CHANS)
			return NULL;	/* too many dying handles: wait */
		u->used[i] = true;
		h = &u->pool[i];
		memset(h, 0, sizeof(*h));
		h->fd = -1;
		h->k = k;
		h->retry_ns = u->retry_ns[k];
		u->cur[k] = h;
	}
	return handle_ready(u->me, h, u->oflags, u->map) ? h : NULL;
}

/* End of stream or EPIPE on @h: no new commands; closed when the last completes. */
static void uhandle_dead(struct upart *u, struct soak_handle *h)
{
	if (h->dead)
		return;
	ATOMIC_ADD(&L->c.eos, 1);
	h->dead = true;
	if (u->cur[h->k] == h) {
		u->cur[h->k] = NULL;
		u->retry_ns[h->k] = soak_now_ns() + 5 * 1000000ULL;
	}
}

static void uhandle_put(struct upart *u, struct soak_handle *h)
{
	h->inflight--;
	u->pending--;
	ATOMIC_STORE(&L->parts[u->me].inflight, u->pending);
	if (h->dead && !h->inflight) {
		handle_close(h);
		u->used[h - u->pool] = false;
	}
}

static void uhandle_get(struct upart *u, struct soak_handle *h)
{
	h->inflight++;
	u->pending++;
	ATOMIC_STORE(&L->parts[u->me].inflight, u->pending);
}

static struct io_uring_sqe *usqe(struct upart *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	int ret = 0;

	if (!sqe) {
		ret = io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
	}
	if (!sqe) {
		soak_error(u->me, "io_uring_get_sqe: ring full, io_uring_submit", ret);
		_exit(3);
	}
	return sqe;
}

static void uring_setup(struct upart *u)
{
	unsigned int k;
	int ret;

	ret = io_uring_queue_init(RING_ENTRIES, &u->ring, 0);
	if (ret < 0) {
		soak_error(u->me, "io_uring_queue_init", ret);
		_exit(3);
	}
	for (k = 0; k < SOAK_MAX_CHANS; k++)
		u->retry_ns[k] = 0;
}

/*
 * Submit and wait up to WAIT_MS for a completion; returns 0 or -errno
 * (-ETIME: none came).
 */
static int uwait(struct upart *u)
{
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = WAIT_MS * 1000000LL };
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, &ts, NULL);
	if (ret == -EINTR || ret == -ETIME)
		return -ETIME;
	if (ret < 0)
		soak_error(u->me, "io_uring_submit_and_wait_timeout", ret);
	return ret < 0 ? ret : 0;
}

/* Give @slot back with a RELEASE command (or the ioctl, now and then). */
static void urelease(struct upart *u, struct soak_handle *h, unsigned int slot)
{
	struct io_uring_sqe *sqe;
	int ret;

	if (soak_rand() & 1) {
		ret = cspchan_release(h->fd, slot);
		if (ret < 0)
			soak_error(u->me, "cspchan_release", ret);
		return;
	}
	sqe = usqe(u);
	cspchan_prep_release(sqe, h->fd, slot);
	io_uring_sqe_set_data64(sqe, UD(UD_RELEASE, h - u->pool));
	uhandle_get(u, h);
}

static void urelease_done(struct upart *u, unsigned int i, int res)
{
	if (i >= 3 * SOAK_MAX_CHANS || !u->used[i] || !u->pool[i].inflight) {
		ATOMIC_ADD(&L->c.uring_mismatch, 1);
		return;
	}
	if (res != 0)
		soak_error(u->me, "io_uring RELEASE", res);
	uhandle_put(u, &u->pool[i]);
}

/* ---- producer ---------------------------------------------------------------- */

enum { J_FREE, J_ACQUIRE, J_COMMIT, J_WRITE };

struct job {
	int state;
	int mode;			/* PV_*: the producer's variant, or PV_SINGLE */
	struct soak_handle *h;
	unsigned int n;
	uint64_t ids[VEC_MAX];
	struct cspchan_slot_info vec[VEC_MAX];
	uint8_t *buf;
};

static void job_start(struct upart *u, struct job *j, unsigned int ji)
{
	struct soak_handle *h = uhandle(u, soak_rand_below(L->nchans));
	struct io_uring_sqe *sqe;

	if (!h)
		return;
	memset(j->vec, 0, sizeof(j->vec));
	j->h = h;
	j->mode = u->variant;
	/*
	 * Known defect (issue 12, item 5): COMMITV's -EAGAIN retry on an
	 * unbuffered channel goes to io-wq and never completes.
	 */
	if (j->mode == PV_VECTOR && h->capacity == 0 && L->skip_known)
		j->mode = PV_SINGLE;
	switch (j->mode) {
	case PV_SINGLE:
		j->n = 1;
		sqe = usqe(u);
		cspchan_prep_acquire(sqe, h->fd);
		j->state = J_ACQUIRE;
		break;
	case PV_VECTOR:
		j->n = 1 + soak_rand_below(VEC_MAX);
		sqe = usqe(u);
		cspchan_prep_acquirev(sqe, h->fd, j->vec, j->n);
		j->state = J_ACQUIRE;
		break;
	default:
		j->n = 1;
		j->ids[0] = ledger_alloc(u->me);
		if (!j->ids[0])
			return;
		j->vec[0].len = msg_len(h->msg_size);
		msg_fill(j->buf, j->vec[0].len, j->ids[0], h->chan_id);
		ledger_attempt(j->ids[0], h->k);
		sqe = usqe(u);
		cspchan_prep_send(sqe, h->fd, j->buf, j->vec[0].len);
		j->state = J_WRITE;
	}
	io_uring_sqe_set_data64(sqe, UD(UD_JOB, ji));
	uhandle_get(u, h);
}

static void job_end(struct upart *u, struct job *j)
{
	j->state = J_FREE;
	uhandle_put(u, j->h);
}

/* A send failure on @j's handle: EPIPE ends the generation, others are errors. */
static void job_failed(struct upart *u, struct job *j, int res, const char *what)
{
	if (res == -EPIPE)
		uhandle_dead(u, j->h);
	else if (res != -EAGAIN)	/* COMMITV on unbuffered: no receiver parked */
		soak_error(u->me, what, res);
}

static void job_acquired(struct upart *u, struct job *j, unsigned int ji, int res)
{
	struct soak_handle *h = j->h;
	struct io_uring_sqe *sqe;
	unsigned int i, n;

	if (res < 0) {
		job_failed(u, j, res, j->mode == PV_SINGLE ? "io_uring ACQUIRE" : "io_uring ACQUIREV");
		job_end(u, j);
		return;
	}
	if (j->mode == PV_SINGLE) {
		j->vec[0].slot = (unsigned int)res;
		j->vec[0].offset = (uint64_t)res * h->arena.slot_size;
		n = 1;
	} else {
		n = (unsigned int)res;
		if (n == 0 || n > j->n) {
			soak_error(u->me, "io_uring ACQUIREV: count", res);
			job_end(u, j);
			return;
		}
	}
	j->n = n;
	for (i = 0; i < n; i++) {
		void *p = cspchan_slot_ptr(&h->arena, j->vec[i].slot);

		j->ids[i] = ledger_alloc(u->me);
		if (!p || j->vec[i].offset != (uint64_t)j->vec[i].slot * h->arena.slot_size) {
			soak_error(u->me, "io_uring ACQUIRE: slot outside the arena", 0);
			_exit(3);
		}
		j->vec[i].len = msg_len(h->arena.msg_size);
		if (!j->ids[i]) {	/* seq space used up: send nothing */
			j->n = i;
			break;
		}
		msg_fill(p, j->vec[i].len, j->ids[i], h->chan_id);
		ledger_attempt(j->ids[i], h->k);
	}
	if (j->n == 0) {
		for (i = 0; i < n; i++)
			cspchan_release(h->fd, j->vec[i].slot);
		job_end(u, j);
		return;
	}
	sqe = usqe(u);
	if (j->mode == PV_SINGLE)
		cspchan_prep_commit(sqe, h->fd, j->vec[0].slot, j->vec[0].len);
	else
		cspchan_prep_commitv(sqe, h->fd, j->vec, j->n);
	io_uring_sqe_set_data64(sqe, UD(UD_JOB, ji));
	j->state = J_COMMIT;
}

static void job_committed(struct upart *u, struct job *j, int res)
{
	unsigned int i, sent;
	int ret;

	if (j->mode == PV_SINGLE)
		sent = res == (int)j->vec[0].len;
	else
		sent = res > 0 ? (unsigned int)res : 0;
	if (sent > j->n) {
		soak_error(u->me, "io_uring COMMITV: count", res);
		sent = j->n;
	}
	for (i = 0; i < j->n; i++) {
		if (i < sent) {
			ledger_sent(j->ids[i], T_URING);
			continue;
		}
		ledger_failed(j->ids[i]);
		/* Not sent: the handle still holds the slot. */
		ret = cspchan_release(j->h->fd, j->vec[i].slot);
		if (ret < 0)
			soak_error(u->me, "cspchan_release after a failed commit", ret);
	}
	if (res < 0)
		job_failed(u, j, res, j->mode == PV_SINGLE ? "io_uring COMMIT" : "io_uring COMMITV");
	else if (j->mode == PV_SINGLE && !sent)
		soak_error(u->me, "io_uring COMMIT: length", res);
	job_end(u, j);
}

static void job_written(struct upart *u, struct job *j, int res)
{
	if (res == (int)j->vec[0].len) {
		ledger_sent(j->ids[0], T_URING);
	} else {
		ledger_failed(j->ids[0]);
		job_failed(u, j, res < 0 ? res : -EIO, "io_uring WRITE");
	}
	job_end(u, j);
}

void uring_producer_run(int me)
{
	struct upart u = { .me = me, .variant = L->parts[me].variant % PV_NR };
	struct job jobs[JOBS];
	struct io_uring_cqe *cqe;
	unsigned int head, seen, i;

	memset(jobs, 0, sizeof(jobs));
	u.map = u.variant != PV_WRITE;
	u.oflags = u.map ? O_RDWR : O_WRONLY;
	for (i = 0; i < JOBS; i++) {
		jobs[i].buf = malloc(SOAK_RECV_BUF);
		if (!jobs[i].buf)
			_exit(3);
	}
	uring_setup(&u);

	for (;;) {
		bool stopping = ATOMIC_LOAD(&L->stop_producers);

		if (!stopping) {
			for (i = 0; i < JOBS; i++)
				if (jobs[i].state == J_FREE)
					job_start(&u, &jobs[i], i);
		} else if (!u.pending) {
			break;
		} else if (L->parts[me].busy_op != OP_URING_DRAIN) {
			soak_busy(me, OP_URING_DRAIN);
		}
		if (!u.pending) {
			soak_sleep_ms(1);
			continue;
		}
		uwait(&u);
		seen = 0;
		io_uring_for_each_cqe(&u.ring, head, cqe) {
			uint64_t ud = cqe->user_data;
			unsigned int idx = ud & 0xffff;
			struct job *j = &jobs[idx % JOBS];

			seen++;
			if (ud >> 16 == UD_RELEASE) {
				urelease_done(&u, idx, cqe->res);
				continue;
			}
			if (ud >> 16 != UD_JOB || idx >= JOBS || j->state == J_FREE) {
				ATOMIC_ADD(&L->c.uring_mismatch, 1);
				continue;
			}
			if (j->state == J_ACQUIRE)
				job_acquired(&u, j, idx, cqe->res);
			else if (j->state == J_COMMIT)
				job_committed(&u, j, cqe->res);
			else
				job_written(&u, j, cqe->res);
		}
		io_uring_cq_advance(&u.ring, seen);
	}
	soak_busy(me, OP_NONE);
	io_uring_queue_exit(&u.ring);
	for (i = 0; i < 3 * SOAK_MAX_CHANS; i++)
		if (u.used[i])
			handle_close(&u.pool[i]);
}

/* ---- consumer ---------------------------------------------------------------- */

struct lane {
	bool busy;
	struct soak_handle *h;
	unsigned int k;
	unsigned int n;			/* messages the command may return */
	struct cspchan_slot_info vec[VEC_MAX];
	uint8_t *buf;			/* CV_READ */
};

static void lane_start(struct upart *u, struct lane *l, unsigned int li)
{
	struct soak_handle *h = uhandle(u, l->k);
	struct io_uring_sqe *sqe;

	if (!h)
		return;
	l->h = h;
	l->n = u->variant == CV_TAKEV ? 1 + soak_rand_below(4) : 1;
	memset(l->vec, 0, sizeof(l->vec));
	/* Held from before the submission: a kill may come at any time. */
	hold_add(u->me, l->k, l->n);
	sqe = usqe(u);
	switch (u->variant) {
	case CV_TAKE:
		cspchan_prep_take(sqe, h->fd, &l->vec[0]);
		break;
	case CV_TAKEV:
		cspchan_prep_takev(sqe, h->fd, l->vec, l->n);
		break;
	default:
		cspchan_prep_recv(sqe, h->fd, l->buf, SOAK_RECV_BUF);
	}
	io_uring_sqe_set_data64(sqe, UD(UD_LANE, li));
	l->busy = true;
	uhandle_get(u, h);
}

static void lane_done(struct upart *u, struct lane *l, int res)
{
	struct soak_handle *h = l->h;
	unsigned int i, got = 0;

	if (res > 0 && u->variant == CV_READ) {
		part_received(u->me, l->buf, (size_t)res, h, T_URING);
		got = 1;
	} else if (res > 0) {
		got = u->variant == CV_TAKE ? 1 : (unsigned int)res;
		if (got > l->n) {
			soak_error(u->me, "io_uring TAKEV: count", res);
			got = l->n;
		}
		for (i = 0; i < got; i++) {
			const struct cspchan_slot_info *in = &l->vec[i];
			const void *p = cspchan_slot_ptr(&h->arena, in->slot);

			if (!p || (u->variant == CV_TAKE && in->len != (unsigned int)res) ||
			    in->offset != (uint64_t)in->slot * h->arena.slot_size) {
				soak_error(u->me, "io_uring TAKE: slot info does not match", res);
				hold_drop(u->me, l->k, 1);
				continue;
			}
			part_received(u->me, p, in->len, h, T_URING);
			urelease(u, h, in->slot);
		}
	} else if (res == 0 || res == -EPIPE) {
		uhandle_dead(u, h);
	} else if (res == -EINTR) {
		ATOMIC_ADD(&L->c.eintr, 1);
	} else {
		soak_error(u->me, u->variant == CV_READ ? "io_uring READ" :
			   u->variant == CV_TAKE ? "io_uring TAKE" : "io_uring TAKEV", res);
	}
	hold_drop(u->me, l->k, l->n - got);
	l->busy = false;
	uhandle_put(u, h);
}

void uring_consumer_run(int me)
{
	struct upart u = { .me = me, .variant = L->parts[me].variant % CV_NR };
	unsigned int nlanes = L->nchans * (u.variant == CV_TAKE ? LANES : 1);
	struct lane lanes[SOAK_MAX_CHANS * LANES];
	struct io_uring_cqe *cqe;
	unsigned int head, seen, i;

	memset(lanes, 0, sizeof(lanes));
	u.map = u.variant != CV_READ;
	u.oflags = O_RDONLY;
	for (i = 0; i < nlanes; i++) {
		lanes[i].k = i % L->nchans;
		if (u.variant == CV_READ) {
			lanes[i].buf = malloc(SOAK_RECV_BUF);
			if (!lanes[i].buf)
				_exit(3);
		}
	}
	uring_setup(&u);

	for (;;) {
		bool stopping = ATOMIC_LOAD(&L->stop_consumers);

		if (!stopping) {
			for (i = 0; i < nlanes; i++)
				if (!lanes[i].busy)
					lane_start(&u, &lanes[i], i);
		} else if (!u.pending) {
			break;
		} else if (L->parts[me].busy_op != OP_URING_DRAIN) {
			soak_busy(me, OP_URING_DRAIN);
		}
		if (!u.pending) {
			soak_sleep_ms(1);
			continue;
		}
		uwait(&u);
		seen = 0;
		io_uring_for_each_cqe(&u.ring, head, cqe) {
			uint64_t ud = cqe->user_data;
			unsigned int idx = ud & 0xffff;

			seen++;
			if (ud >> 16 == UD_RELEASE) {
				urelease_done(&u, idx, cqe->res);
				continue;
			}
			if (ud >> 16 != UD_LANE || idx >= nlanes || !lanes[idx].busy) {
				ATOMIC_ADD(&L->c.uring_mismatch, 1);
				continue;
			}
			lane_done(&u, &lanes[idx], cqe->res);
		}
		io_uring_cq_advance(&u.ring, seen);
	}
	soak_busy(me, OP_NONE);
	io_uring_queue_exit(&u.ring);
	for (i = 0; i < 3 * SOAK_MAX_CHANS; i++)
		if (u.used[i])
			handle_close(&u.pool[i]);
}
