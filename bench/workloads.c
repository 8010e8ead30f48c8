// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-bench: the workloads and the processes that run them.
 *
 * One repetition: the parent creates the transport instance(s), forks
 * the processes, waits until every one has attached, then fires a start
 * gun (a futex in shared memory).  Each producer sends for the
 * repetition's time from the moment it starts, so every transport gets
 * the same wall time however fast it is; the last producer to finish
 * sends one stop message per consumer.  Throughput is the messages
 * received divided by the time from the first producer's start until the
 * last consumer saw its stop message.
 *
 * Receivers check every message: its stamp (bench.h), its producer and
 * its order (strictly consecutive with one producer and one consumer,
 * increasing per producer otherwise; for a TC_REORDER transport, each
 * stamp exactly once within BENCH_REORDER_WINDOW); the parent checks that
 * as many messages were received as were sent.  Any failure fails the
 * row.
 *
 * A process that fails writes why into shared memory and exits non-zero;
 * the parent then kills the rest (they may be blocked for ever).  A
 * repetition that outlives its time limit is killed and fails too.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

const struct workload bench_workloads[] = {
	{ .id = "tput-64", .title = "1->1 stream, 64 B",
	  .kind = WK_STREAM, .msg_size = 64, .producers = 1, .consumers = 1 },
	{ .id = "solo-64", .title = "one process, send then receive, 64 B",
	  .kind = WK_SOLO, .msg_size = 64, .producers = 1, .consumers = 0 },
	{ .id = "tput-4k", .title = "1->1 stream, 4 KiB",
	  .kind = WK_STREAM, .msg_size = 4096, .producers = 1, .consumers = 1 },
	{ .id = "tput-64k", .title = "1->1 stream, 64 KiB",
	  .kind = WK_STREAM, .msg_size = 65536, .producers = 1, .consumers = 1 },
	/*
	 * The zero-copy target's workload: every producer writes and every
	 * consumer reads each payload byte once (--touch), whatever the
	 * transport, so that in-place transports do the work a copy does.
	 */
	{ .id = "tput-64k-touch", .title = "1->1 stream, 64 KiB, every byte written and read",
	  .kind = WK_STREAM, .msg_size = 65536, .producers = 1, .consumers = 1,
	  .touch = true },
	{ .id = "pingpong-64", .title = "ping-pong, 64 B",
	  .kind = WK_PINGPONG, .msg_size = 64, .producers = 1, .consumers = 1 },
	{ .id = "pingpong-64-1cpu", .title = "ping-pong on one CPU, 64 B",
	  .kind = WK_PINGPONG, .msg_size = 64, .producers = 1, .consumers = 1,
	  .one_cpu = true },
	{ .id = "mpmc-64", .title = "4->4 one queue, 64 B",
	  .kind = WK_STREAM, .msg_size = 64, .producers = 4, .consumers = 4,
	  .need_caps = TC_MPMC },
	{ .id = "rendezvous-64", .title = "1->1 unbuffered, 64 B",
	  .kind = WK_STREAM, .msg_size = 64, .producers = 1, .consumers = 1,
	  .unbuffered = true, .need_caps = TC_UNBUFFERED, .ref = "tput-64" },
	{ .id = "wakeup-64", .title = "blocked receiver, 64 B",
	  .kind = WK_WAKEUP, .msg_size = 64, .producers = 1, .consumers = 1 },

	/*
	 * The scaling section (README.md, "Scaling"): N producers and N
	 * consumers, 64 B, on one queue (1q) and as N pairs with a queue
	 * each (pp; one pair is 1q-1), for the copy path beside mqueue and
	 * the packet pipe.  Shorter repetitions; their own table.
	 */
#define SCALE_TRANSPORTS "cspchan,mqueue,pipe-pkt"
#define SCALE_1Q(n, caps)							\
	{ .id = "scale-1q-" #n, .title = #n "->" #n " one queue, 64 B",		\
	  .kind = WK_STREAM, .msg_size = 64, .producers = n, .consumers = n,	\
	  .need_caps = caps, .only = SCALE_TRANSPORTS, .scaling = true }
#define SCALE_PP(n)								\
	{ .id = "scale-pp-" #n, .title = #n " pairs, one queue per pair, 64 B",	\
	  .kind = WK_STREAM, .msg_size = 64, .producers = n, .consumers = n,	\
	  .only = SCALE_TRANSPORTS, .scaling = true, .per_pair = true }
	SCALE_1Q(1, 0), SCALE_1Q(2, TC_MPMC), SCALE_1Q(4, TC_MPMC), SCALE_1Q(8, TC_MPMC),
	SCALE_1Q(16, TC_MPMC),
	SCALE_PP(2), SCALE_PP(4), SCALE_PP(8), SCALE_PP(16),
#undef SCALE_1Q
#undef SCALE_PP
};

const unsigned int bench_nr_workloads = ARRAY_SIZE(bench_workloads);

/* --- Shared state of one repetition ------------------------------------------ */

struct proc_result {
	uint64_t msgs;		/* sent (producers) or received (consumers) */
	uint64_t t_start;	/* producers: when they started sending */
	uint64_t t_end;		/* consumers: when the stop message came */
	uint64_t nvcsw;		/* voluntary context switches during the run */
	double p50_us, p99_us;	/* ping-pong initiator */
	_Atomic uint32_t started;	/* wake-up consumer: in its receive loop */
	unsigned int iowq;	/* io-wq workers when it detached */
	uint64_t retries;	/* struct bchan.retries of its instances */
	uint64_t tr_reordered;	/* struct bchan.reordered of its instances */
	uint64_t bursts[2];	/* struct bchan.bursts of its instances */
	uint64_t reordered;	/* TC_REORDER consumers: messages not in stamp order */
	uint64_t max_shift;	/* the farthest one from its place */
	int failed;
	char why[128];
};

struct shared {
	_Atomic uint32_t go;		/* start gun (futex) */
	_Atomic uint32_t ready;		/* processes attached */
	_Atomic uint32_t producers_done;
	uint64_t t0;			/* the start gun */
	uint64_t duration;		/* each process's sending time, ns */
	pid_t pids[BENCH_MAX_PROCS];
	struct proc_result pr[BENCH_MAX_PROCS];
};

struct proc {
	const struct workload *w;
	struct shared *sh;
	struct bchan *ch;	/* [0], and [1] for ping-pong replies; per pair: its pair's */
	unsigned int idx;	/* 0..producers-1, then consumers */
	unsigned int sidx;	/* producer index in the stamps (0 per pair) */
	bool pair;		/* per_pair: one producer and one consumer per instance */
	unsigned int nprod, ncons;	/* on its instance */
	size_t len;
	bool touch;
	void *buf[BENCH_MAX_BATCH];
};

static void proc_fail(struct proc *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void proc_fail(struct proc *p, const char *fmt, ...)
{
	struct proc_result *r = &p->sh->pr[p->idx];
	va_list ap;

	if (r->failed)
		return;
	r->failed = 1;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* --- Sending and receiving through whichever operations the transport has ---- */

static unsigned int batch_size(const struct bchan *c)
{
	unsigned int b = BENCH_MAX_BATCH;

	if (c->depth && c->depth < b)
		b = c->depth;
	return b ? b : 1;
}

static int io_send(struct proc *p, struct bchan *c, uint64_t seq)
{
	const struct transport *t = c->t;
	void *slot;
	int ret;

	if (t->acquire) {
		slot = t->acquire(c, p->len);
		if (!slot)
			return -errno;
		msg_stamp(slot, p->len, seq, p->touch);
		return t->commit(c, slot, p->len);
	}
	if (t->acquire_many) {
		ret = t->acquire_many(c, p->len, &slot, 1);
		if (ret <= 0)
			return ret ? ret : -EIO;
		msg_stamp(slot, p->len, seq, p->touch);
		ret = t->commit_many(c, &slot, p->len, 1);
		return ret < 0 ? ret : 0;
	}
	msg_stamp(p->buf[0], p->len, seq, p->touch);
	if (!t->send)
		return t->send_many(c, p->buf, 1);
	return t->send(c, p->buf[0], p->len);
}

/*
 * Send up to n messages with consecutive sequence numbers from seq: how
 * many (at least 1), or -errno.
 */
static int io_send_many(struct proc *p, struct bchan *c, uint64_t seq,
			unsigned int n)
{
	const struct transport *t = c->t;
	void *slots[BENCH_MAX_BATCH];
	unsigned int i;
	int got, ret = 0;

	if (t->acquire_many) {
		got = t->acquire_many(c, p->len, slots, n);
		if (got <= 0)
			return got ? got : -EIO;
		for (i = 0; i < (unsigned int)got; i++)
			msg_stamp(slots[i], p->len, seq + i, p->touch);
		ret = t->commit_many(c, slots, p->len, (unsigned int)got);
		return ret < 0 ? ret : got;
	}
	if (!t->send_many) {
		for (i = 0; i < n && !ret; i++)
			ret = io_send(p, c, seq + i);
		return ret < 0 ? ret : (int)n;
	}
	for (i = 0; i < n; i++)
		msg_stamp(p->buf[i], p->len, seq + i, p->touch);
	ret = t->send_many(c, p->buf, n);
	return ret < 0 ? ret : (int)n;
}

/* 0 with *seq, -ENODATA at end of stream, -EBADMSG for a bad message, -errno. */
static int io_recv(struct proc *p, struct bchan *c, uint64_t *seq)
{
	const struct transport *t = c->t;
	const void *slot, *msg = p->buf[0];
	size_t len = 0;
	ssize_t n;
	bool ok;
	int ret;

	if (t->take) {
		slot = t->take(c, &len);
		if (!slot)
			return -errno;
		ok = msg_check(slot, len, p->len, seq, p->touch);
		ret = t->release(c, slot);
		if (ret < 0)
			return ret;
		return ok ? 0 : -EBADMSG;
	}
	if (t->take_many) {
		ret = t->take_many(c, &slot, &len, 1);
		if (ret <= 0)
			return ret ? ret : -ENODATA;
		ok = msg_check(slot, len, p->len, seq, p->touch);
		ret = t->release_many(c, &slot, 1);
		if (ret < 0)
			return ret;
		return ok ? 0 : -EBADMSG;
	}
	if (!t->recv) {
		ret = t->recv_many(c, p->buf, &msg, &len, 1);
		if (ret < 0)
			return ret;
		n = ret ? (ssize_t)len : 0;
	} else {
		n = t->recv(c, p->buf[0], p->len);
		if (n < 0)
			return (int)n;
	}
	if (n == 0)
		return -ENODATA;
	return msg_check(msg, (size_t)n, p->len, seq, p->touch) ? 0 : -EBADMSG;
}

/* Receive 1..n messages; their sequence numbers in seqs.  Count or -errno. */
static int io_recv_many(struct proc *p, struct bchan *c, uint64_t *seqs,
			unsigned int n)
{
	const struct transport *t = c->t;
	const void *msgs[BENCH_MAX_BATCH];
	size_t lens[BENCH_MAX_BATCH];
	bool ok = true;
	int got, i, ret;

	if (t->take_many) {
		/* Checked in place, then given back. */
		got = t->take_many(c, msgs, lens, n);
		if (got <= 0)
			return got ? got : -ENODATA;
		for (i = 0; i < got && ok; i++)
			ok = msg_check(msgs[i], lens[i], p->len, &seqs[i], p->touch);
		ret = t->release_many(c, msgs, (unsigned int)got);
		if (ret < 0)
			return ret;
		return ok ? got : -EBADMSG;
	}
	if (!t->recv_many) {
		ret = io_recv(p, c, &seqs[0]);
		return ret < 0 ? ret : 1;
	}
	got = t->recv_many(c, p->buf, msgs, lens, n);
	if (got <= 0)
		return got ? got : -ENODATA;
	for (i = 0; i < got; i++) {
		if (lens[i] == 0)
			return -ENODATA;
		if (!msg_check(msgs[i], lens[i], p->len, &seqs[i], p->touch))
			return -EBADMSG;
	}
	return got;
}

static const char *io_strerror(int err)
{
	switch (err) {
	case -ENODATA:
		return "unexpected end of stream";
	case -EBADMSG:
		return "torn or wrong-sized message";
	default:
		return strerror(-err);
	}
}

static uint64_t voluntary_switches(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_nvcsw;
}

/* --- Stream: producers -> consumers ------------------------------------------- */

static void stream_producer(struct proc *p)
{
	struct bchan *c = &p->ch[0];
	unsigned int batch = c->t->send_many || c->t->acquire_many ? batch_size(c) : 1;
	uint64_t base = (uint64_t)p->sidx << SEQ_PROD_SHIFT;
	uint64_t i = 0, next_check = 0, deadline;
	unsigned int k;
	int ret;

	/*
	 * The window starts when this process does: on a busy machine a
	 * process may first run well after the start gun.
	 */
	p->sh->pr[p->idx].t_start = now_ns();
	deadline = p->sh->pr[p->idx].t_start + p->sh->duration;

	for (;;) {
		if (i >= next_check) {
			if (now_ns() >= deadline)
				break;
			next_check = i + 16;
		}
		ret = io_send_many(p, c, base + i, batch);
		if (ret < 0) {
			proc_fail(p, "producer %u: send: %s", p->idx, strerror(-ret));
			return;
		}
		i += (unsigned int)ret;
	}
	p->sh->pr[p->idx].msgs = i;

	/*
	 * The last producer out tells every consumer to stop (per pair:
	 * every producer its own consumer).
	 */
	if (p->pair || atomic_fetch_add(&p->sh->producers_done, 1) + 1 == p->nprod) {
		for (k = 0; k < p->ncons; k++) {
			ret = io_send(p, c, SEQ_STOP);
			if (ret < 0) {
				proc_fail(p, "producer %u: send stop: %s", p->idx,
					  strerror(-ret));
				return;
			}
		}
	}
}

/*
 * TC_REORDER: which stamps of one producer arrived, in a window from the
 * lowest one still missing (base).  A stamp is accepted once, and only
 * within the window; at the end nothing may be missing below the highest.
 */
struct seq_window {
	uint64_t base;		/* every stamp below arrived */
	uint64_t top;		/* one past the highest that arrived */
	uint64_t bits[BENCH_REORDER_WINDOW / 64];	/* stamp s: bit s % window */
};

static bool window_test(const struct seq_window *w, uint64_t n)
{
	uint64_t b = n % BENCH_REORDER_WINDOW;

	return w->bits[b / 64] & (UINT64_C(1) << (b % 64));
}

static void window_flip(struct seq_window *w, uint64_t n)
{
	uint64_t b = n % BENCH_REORDER_WINDOW;

	w->bits[b / 64] ^= UINT64_C(1) << (b % 64);
}

/* NULL, or what is wrong with stamp n. */
static const char *window_add(struct seq_window *w, uint64_t n)
{
	if (n < w->base || (n - w->base < BENCH_REORDER_WINDOW && window_test(w, n)))
		return "received twice";
	if (n - w->base >= BENCH_REORDER_WINDOW)
		return "too far ahead of a missing one";
	window_flip(w, n);
	if (n + 1 > w->top)
		w->top = n + 1;
	while (w->base < w->top && window_test(w, w->base))
		window_flip(w, w->base++);
	return NULL;
}

static void stream_consumer(struct proc *p)
{
	struct proc_result *r = &p->sh->pr[p->idx];
	struct bchan *c = &p->ch[0];
	unsigned int batch = c->t->recv_many || c->t->take_many ? batch_size(c) : 1;
	uint64_t next[BENCH_MAX_PROCS] = { 0 };
	uint64_t seqs[BENCH_MAX_BATCH], count = 0, csw0;
	bool strict = p->nprod == 1 && p->ncons == 1;
	bool reorder = c->t->caps & TC_REORDER;
	struct seq_window *win = NULL;
	unsigned int stops = 0, prod;
	const char *bad;
	uint64_t n;
	int got, i, ret;

	if (reorder) {
		win = calloc(p->nprod, sizeof(*win));
		if (!win) {
			proc_fail(p, "out of memory");
			return;
		}
	}
	csw0 = voluntary_switches();
	while (!stops) {
		got = io_recv_many(p, c, seqs, batch);
		if (got < 0) {
			proc_fail(p, "consumer %u: receive: %s", p->idx, io_strerror(got));
			goto out;
		}
		for (i = 0; i < got; i++) {
			if (seqs[i] == SEQ_STOP) {
				stops++;
				continue;
			}
			prod = (unsigned int)(seqs[i] >> SEQ_PROD_SHIFT);
			n = seqs[i] & SEQ_COUNT_MASK;
			if (prod >= p->nprod) {
				proc_fail(p, "consumer %u: message %" PRIu64 " from unknown "
					  "producer %u", p->idx, n, prod);
				goto out;
			}
			if (reorder) {
				/* Exactly once, within the window (see bench.h). */
				if (n != win[prod].top) {
					uint64_t d = n > win[prod].top ? n - win[prod].top :
									 win[prod].top - n;

					r->reordered++;
					if (d > r->max_shift)
						r->max_shift = d;
				}
				bad = window_add(&win[prod], n);
				if (bad) {
					proc_fail(p, "consumer %u: message %" PRIu64 " of producer "
						  "%u %s (all before %" PRIu64 " arrived)",
						  p->idx, n, prod, bad, win[prod].base);
					goto out;
				}
				count++;
				continue;
			}
			if (n < next[prod] || (strict && n != next[prod])) {
				proc_fail(p, "consumer %u: message %" PRIu64 " of producer %u "
					  "out of order (expected %s%" PRIu64 ")",
					  p->idx, n, prod, strict ? "" : ">= ", next[prod]);
				goto out;
			}
			next[prod] = n + 1;
			count++;
		}
	}
	/* Behind the stop message: every producer's stamps without a gap. */
	for (prod = 0; reorder && prod < p->nprod; prod++) {
		if (win[prod].base != win[prod].top) {
			proc_fail(p, "consumer %u: message %" PRIu64 " of producer %u "
				  "missing (%" PRIu64 " arrived)", p->idx, win[prod].base,
				  prod, win[prod].top - 1);
			goto out;
		}
	}
	r->t_end = now_ns();
	r->nvcsw = voluntary_switches() - csw0;
	r->msgs = count;
	/* A batch took somebody else's stop message too: put it back. */
	while (--stops) {
		ret = io_send(p, c, SEQ_STOP);
		if (ret < 0) {
			proc_fail(p, "consumer %u: return a stop: %s", p->idx,
				  strerror(-ret));
			goto out;
		}
	}
out:
	free(win);
}

/* --- Ping-pong: round trips between two processes ------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[n]. */
static double percentile(const uint64_t *v, size_t n, double pct)
{
	size_t rank = (size_t)((pct / 100.0) * (double)n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)v[rank - 1];
}

static void pingpong_initiator(struct proc *p)
{
	struct proc_result *r = &p->sh->pr[p->idx];
	size_t cap = (size_t)1 << 21, n = 0;
	uint64_t *samples, t1, t2, seq, back, deadline = now_ns() + p->sh->duration;
	int ret;

	samples = malloc(cap * sizeof(*samples));
	if (!samples) {
		proc_fail(p, "out of memory");
		return;
	}
	for (seq = 0; n < cap; seq++) {
		t1 = now_ns();
		if (t1 >= deadline)
			break;
		ret = io_send(p, &p->ch[0], seq);
		if (ret < 0) {
			proc_fail(p, "ping: send: %s", strerror(-ret));
			goto out;
		}
		ret = io_recv(p, &p->ch[1], &back);
		if (ret < 0) {
			proc_fail(p, "ping: receive: %s", io_strerror(ret));
			goto out;
		}
		t2 = now_ns();
		if (back != seq) {
			proc_fail(p, "ping: sent %" PRIu64 ", got %" PRIu64 " back", seq, back);
			goto out;
		}
		samples[n++] = t2 - t1;
	}
	ret = io_send(p, &p->ch[0], SEQ_STOP);
	if (ret < 0) {
		proc_fail(p, "ping: send stop: %s", strerror(-ret));
		goto out;
	}
	if (!n) {
		proc_fail(p, "ping: no round trip within the time");
		goto out;
	}
	qsort(samples, n, sizeof(*samples), cmp_u64);
	r->p50_us = percentile(samples, n, 50) / 1000.0;
	r->p99_us = percentile(samples, n, 99) / 1000.0;
	r->msgs = n;
out:
	free(samples);
}

static void pingpong_responder(struct proc *p)
{
	struct proc_result *r = &p->sh->pr[p->idx];
	uint64_t seq, count = 0, csw0 = voluntary_switches();
	int ret;

	for (;;) {
		ret = io_recv(p, &p->ch[0], &seq);
		if (ret < 0) {
			proc_fail(p, "pong: receive: %s", io_strerror(ret));
			return;
		}
		if (seq == SEQ_STOP)
			break;
		ret = io_send(p, &p->ch[1], seq);
		if (ret < 0) {
			proc_fail(p, "pong: send: %s", strerror(-ret));
			return;
		}
		count++;
	}
	r->nvcsw = voluntary_switches() - csw0;
	r->msgs = count;
}

/* --- Wake-ups: one message at a time, each to a receiver that sleeps ----------- */

/*
 * The task's state letter and voluntary context switches, from
 * /proc/PID/status.  0 if it cannot be read.
 */
static char task_state(int fd, uint64_t *nvcsw)
{
	char buf[2048], *p;
	char st = 0;
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "\nState:");
	if (p)
		st = p[sizeof("\nState:") - 1] == '\t' ? p[sizeof("\nState:")] : 0;
	p = strstr(buf, "\nvoluntary_ctxt_switches:");
	if (!p)
		return 0;
	*nvcsw = strtoull(p + sizeof("\nvoluntary_ctxt_switches:") - 1, NULL, 10);
	return st;
}

/*
 * Wait until the receiver is asleep: in state S *and* switched out since
 * the last message (its voluntary switch count went past *seen).  State S
 * alone is not enough: a task shows S from the moment it prepares to wait,
 * before it checks for a message one last time.
 */
static int wait_asleep(int fd, uint64_t *seen)
{
	uint64_t limit = now_ns() + 5000000000ull, nvcsw = 0;
	char st;

	for (;;) {
		st = task_state(fd, &nvcsw);
		if (st == 'S' && nvcsw > *seen) {
			*seen = nvcsw;
			return 0;
		}
		if (!st)
			return -ESRCH;
		if (now_ns() > limit)
			return -ETIMEDOUT;
		sched_yield();
	}
}

static void wakeup_producer(struct proc *p)
{
	unsigned int cons = p->nprod;
	uint64_t i = 0, max = bench_opts.wakeup_max, seen = 0;
	uint64_t deadline = now_ns() + p->sh->duration;
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)p->sh->pids[cons]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		proc_fail(p, "%s: %s", path, strerror(errno));
		return;
	}
	while (!atomic_load(&p->sh->pr[cons].started))
		sched_yield();
	/* Its switches when it started (it may be asleep already). */
	seen = p->sh->pr[cons].nvcsw;
	for (;; i++) {
		ret = wait_asleep(fd, &seen);
		if (ret < 0) {
			proc_fail(p, "the receiver did not go to sleep: %s", strerror(-ret));
			break;
		}
		if (i == max || now_ns() >= deadline) {
			ret = io_send(p, &p->ch[0], SEQ_STOP);
			if (ret < 0)
				proc_fail(p, "send stop: %s", strerror(-ret));
			break;
		}
		ret = io_send(p, &p->ch[0], i);
		if (ret < 0) {
			proc_fail(p, "send: %s", strerror(-ret));
			break;
		}
	}
	p->sh->pr[p->idx].msgs = i;
	close(fd);
}

static void wakeup_consumer(struct proc *p)
{
	struct proc_result *r = &p->sh->pr[p->idx];
	uint64_t seq, count = 0, csw0;
	int ret;

	csw0 = voluntary_switches();
	r->nvcsw = csw0;
	atomic_store(&r->started, 1);
	for (;;) {
		ret = io_recv(p, &p->ch[0], &seq);
		if (ret < 0) {
			proc_fail(p, "receive: %s", io_strerror(ret));
			return;
		}
		if (seq == SEQ_STOP)
			break;
		if (seq != count) {
			proc_fail(p, "message %" PRIu64 " out of order", seq);
			return;
		}
		count++;
	}
	r->nvcsw = voluntary_switches() - csw0;
	r->msgs = count;
}

/* --- Solo: the path's own cost, without a wake-up or a second CPU --------------- */

static void solo_loop(struct proc *p)
{
	struct proc_result *r = &p->sh->pr[p->idx];
	struct bchan *c = &p->ch[0];
	uint64_t i = 0, seq, deadline;
	int ret;

	r->t_start = now_ns();
	deadline = r->t_start + p->sh->duration;
	for (;; i++) {
		if ((i & 15) == 0 && now_ns() >= deadline)
			break;
		ret = io_send(p, c, i);
		if (ret < 0) {
			proc_fail(p, "send: %s", strerror(-ret));
			return;
		}
		ret = io_recv(p, c, &seq);
		if (ret < 0) {
			proc_fail(p, "receive: %s", io_strerror(ret));
			return;
		}
		if (seq != i) {
			proc_fail(p, "sent %" PRIu64 ", received %" PRIu64, i, seq);
			return;
		}
	}
	r->t_end = now_ns();
	r->msgs = i;
}

/* --- Processes -------------------------------------------------------------------- */

static unsigned int proc_roles(const struct workload *w, unsigned int idx,
			       unsigned int ch)
{
	bool producer = idx < w->producers;

	if (w->kind == WK_PINGPONG)
		return (producer == (ch == 0)) ? ROLE_SEND : ROLE_RECV;
	if (w->kind == WK_SOLO)
		return ROLE_SEND | ROLE_RECV;
	if (producer)
		return ROLE_SEND;
	/* Consumers of a shared queue may have to put a stop message back. */
	return w->consumers > 1 ? ROLE_RECV | ROLE_SEND : ROLE_RECV;
}

/* --pin: spread puts process i on the i-th allowed CPU (round robin), same on the first. */
static int pin_self(const struct workload *w, unsigned int idx)
{
	int mode = w->one_cpu ? PIN_SAME : bench_opts.pin;
	cpu_set_t allowed, one;
	unsigned int n, k, cpu;

	if (mode == PIN_NONE)
		return 0;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return -errno;
	n = (unsigned int)CPU_COUNT(&allowed);
	if (!n)
		return -EINVAL;
	k = mode == PIN_SAME ? 0 : idx % n;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &allowed))
			continue;
		if (k-- == 0)
			break;
	}
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one) < 0 ? -errno : 0;
}

static void child_main(struct proc *p, unsigned int nch)
{
	struct proc_result *r = &p->sh->pr[p->idx];
	const struct workload *w = p->w;
	unsigned int i, attached = 0;
	char name[16];
	int ret;

	/* For ps, top and perf: cb-p0, cb-c1, ... (producer/initiator, consumer). */
	snprintf(name, sizeof(name), "cb-%c%u", p->idx < w->producers ? 'p' : 'c', p->idx);
	prctl(PR_SET_NAME, name, 0, 0, 0);

	ret = pin_self(w, p->idx);
	if (ret < 0) {
		proc_fail(p, "sched_setaffinity: %s", strerror(-ret));
		goto out;
	}

	for (i = 0; i < BENCH_MAX_BATCH; i++) {
		p->buf[i] = aligned_alloc(64, (p->len + 63) & ~(size_t)63);
		if (!p->buf[i]) {
			proc_fail(p, "out of memory");
			goto out;
		}
		memset(p->buf[i], 0xa5, p->len);
	}
	for (i = 0; i < nch; i++) {
		if (p->ch[i].t->attach) {
			ret = p->ch[i].t->attach(&p->ch[i], proc_roles(w, p->idx, i));
			if (ret < 0) {
				proc_fail(p, "attach: %s", strerror(-ret));
				goto out;
			}
		}
		attached++;
	}

	atomic_fetch_add(&p->sh->ready, 1);
	while (!atomic_load(&p->sh->go))
		futex_wait(&p->sh->go, 0, NULL);

	switch (w->kind) {
	case WK_STREAM:
		if (p->idx < w->producers)
			stream_producer(p);
		else
			stream_consumer(p);
		break;
	case WK_PINGPONG:
		if (p->idx == 0)
			pingpong_initiator(p);
		else
			pingpong_responder(p);
		break;
	case WK_WAKEUP:
		if (p->idx == 0)
			wakeup_producer(p);
		else
			wakeup_consumer(p);
		break;
	case WK_SOLO:
		solo_loop(p);
		break;
	}
out:
	/* Before the rings go: an io-wq worker lives on for seconds once idle. */
	if (attached && ((p->ch[0].t->caps & TC_IO_URING) ||
			 p->ch[0].t->kind == TK_ZEROCOPY_URING))
		r->iowq = count_iowq_workers();
	for (i = 0; i < attached; i++) {
		r->retries += p->ch[i].retries;
		r->tr_reordered += p->ch[i].reordered;
		r->bursts[0] += p->ch[i].bursts[0];
		r->bursts[1] += p->ch[i].bursts[1];
		if (p->ch[i].t->detach)
			p->ch[i].t->detach(&p->ch[i]);
	}
	_exit(r->failed ? 1 : 0);
}

static void kill_all(struct shared *sh, unsigned int n, const bool *alive)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (alive[i])
			kill(sh->pids[i], SIGKILL);
}

/* Reap the children; false if one failed or time ran out (why says which). */
static bool reap(struct shared *sh, unsigned int n, uint64_t limit,
		 char *why, size_t whylen)
{
	bool alive[BENCH_MAX_PROCS], ok = true;
	unsigned int left = n, i;
	int status;
	pid_t pid;

	for (i = 0; i < n; i++)
		alive[i] = sh->pids[i] > 0;
	while (left) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno != EINTR)
			break;
		if (pid <= 0) {
			if (ok && now_ns() > limit) {
				snprintf(why, whylen, "time limit exceeded (a process is stuck)");
				ok = false;
				kill_all(sh, n, alive);
			}
			usleep(2000);
			continue;
		}
		for (i = 0; i < n; i++)
			if (sh->pids[i] == pid)
				break;
		if (i == n)
			continue;
		alive[i] = false;
		left--;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue;
		if (ok) {
			if (sh->pr[i].failed)
				snprintf(why, whylen, "%s", sh->pr[i].why);
			else if (WIFSIGNALED(status))
				snprintf(why, whylen, "process %u killed by signal %d", i,
					 WTERMSIG(status));
			else
				snprintf(why, whylen, "process %u exited with status %d", i,
					 WEXITSTATUS(status));
			ok = false;
			kill_all(sh, n, alive);
		}
	}
	return ok;
}

int run_rep(const struct workload *w, const struct transport *t,
	    double seconds, struct rep_result *res, char *why, size_t whylen)
{
	unsigned int nproc = w->producers + w->consumers, nch, i, created = 0;
	struct bchan ch[BENCH_MAX_PROCS / 2];
	struct shared *sh;
	struct proc p;
	uint64_t limit, t_start, t_end = 0, sent = 0, received = 0, csw = 0;
	int ret = 0;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (nproc > BENCH_MAX_PROCS) {
		snprintf(why, whylen, "too many processes");
		return -EINVAL;
	}
	nch = w->per_pair ? w->producers : w->kind == WK_PINGPONG ? 2 : 1;
	if (nch > ARRAY_SIZE(ch) || (w->per_pair && w->producers != w->consumers)) {
		snprintf(why, whylen, "bad workload");
		return -EINVAL;
	}

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		snprintf(why, whylen, "mmap: %s", strerror(errno));
		return -errno;
	}
	memset(sh, 0, sizeof(*sh));

	memset(ch, 0, sizeof(ch));
	for (i = 0; i < nch; i++) {
		ch[i].t = t;
		ch[i].msg_size = w->msg_size;
		ch[i].depth = w->unbuffered ? 0 : bench_opts.depth;
		ch[i].fd[0] = ch[i].fd[1] = -1;
		ret = t->create(&ch[i]);
		if (ret < 0) {
			snprintf(why, whylen, "%s", ch[i].note[0] ? ch[i].note : strerror(-ret));
			goto out;
		}
		created++;
	}
	res->depth = ch[0].depth;
	snprintf(res->note, sizeof(res->note), "%s", ch[0].note);
	for (i = 0; i < nch; i++) {
		ch[i].retries = ch[i].reordered = 0;
		ch[i].bursts[0] = ch[i].bursts[1] = 0;
	}

	memset(&p, 0, sizeof(p));
	p.w = w;
	p.sh = sh;
	p.ch = ch;
	p.nprod = w->producers;
	p.ncons = w->consumers;
	p.len = w->msg_size;
	p.touch = bench_opts.touch || w->touch;

	fflush(NULL);
	for (i = 0; i < nproc; i++) {
		pid = fork();
		if (pid < 0) {
			bool alive[BENCH_MAX_PROCS];

			snprintf(why, whylen, "fork: %s", strerror(errno));
			ret = -errno;
			memset(alive, 1, sizeof(alive));
			kill_all(sh, i, alive);
			while (wait(NULL) > 0)
				;
			goto out;
		}
		if (pid == 0) {
			p.idx = i;
			p.sidx = i;
			if (w->per_pair) {
				/* Producer k and consumer producers + k on instance k. */
				p.pair = true;
				p.sidx = 0;
				p.ch = &ch[i % w->producers];
				p.nprod = p.ncons = 1;
				child_main(&p, 1);
			}
			child_main(&p, nch);
		}
		sh->pids[i] = pid;
	}

	/* Everybody attached (or somebody died trying), then the start gun. */
	limit = now_ns() + 30000000000ull;
	while (atomic_load(&sh->ready) < nproc && now_ns() < limit) {
		for (i = 0; i < nproc; i++)
			if (sh->pr[i].failed)
				break;
		if (i < nproc)
			break;
		usleep(1000);
	}
	sh->duration = (uint64_t)(seconds * 1e9);
	sh->t0 = now_ns();
	atomic_store(&sh->go, 1);
	futex_wake(&sh->go, INT_MAX);

	limit = sh->t0 + (uint64_t)(seconds * 5e9) + 20000000000ull;
	if (!reap(sh, nproc, limit, why, whylen)) {
		ret = -EIO;
		goto out;
	}

	for (i = 0; i < nproc; i++) {
		res->retries += sh->pr[i].retries;
		res->tr_reordered += sh->pr[i].tr_reordered;
		res->bursts[0] += sh->pr[i].bursts[0];
		res->bursts[1] += sh->pr[i].bursts[1];
		if (i < w->producers || w->kind == WK_PINGPONG)
			res->sent += sh->pr[i].msgs;
		res->reordered += sh->pr[i].reordered;
		if (sh->pr[i].iowq > res->iowq)
			res->iowq = sh->pr[i].iowq;
		if (sh->pr[i].max_shift > res->max_shift)
			res->max_shift = sh->pr[i].max_shift;
	}

	switch (w->kind) {
	case WK_STREAM:
		t_start = UINT64_MAX;
		for (i = 0; i < nproc; i++) {
			if (i < w->producers) {
				sent += sh->pr[i].msgs;
				if (sh->pr[i].t_start < t_start)
					t_start = sh->pr[i].t_start;
			} else {
				received += sh->pr[i].msgs;
				csw += sh->pr[i].nvcsw;
				if (sh->pr[i].t_end > t_end)
					t_end = sh->pr[i].t_end;
			}
		}
		if (sent != received) {
			snprintf(why, whylen, "%" PRIu64 " messages sent, %" PRIu64 " received",
				 sent, received);
			ret = -EIO;
			goto out;
		}
		if (!received || t_end <= t_start) {
			snprintf(why, whylen, "no message within the time");
			ret = -EIO;
			goto out;
		}
		res->value = (double)received / ((double)(t_end - t_start) / 1e9);
		res->csw_per_msg = (double)csw / (double)received;
		res->msgs = received;
		break;
	case WK_PINGPONG:
		res->value = sh->pr[0].p50_us;
		res->value2 = sh->pr[0].p99_us;
		res->msgs = sh->pr[0].msgs;
		res->csw_per_msg = sh->pr[1].msgs ?
			(double)sh->pr[1].nvcsw / (double)sh->pr[1].msgs : 0;
		break;
	case WK_SOLO:
		if (!sh->pr[0].msgs || sh->pr[0].t_end <= sh->pr[0].t_start) {
			snprintf(why, whylen, "no message within the time");
			ret = -EIO;
			goto out;
		}
		res->value = (double)sh->pr[0].msgs /
			     ((double)(sh->pr[0].t_end - sh->pr[0].t_start) / 1e9);
		res->msgs = sh->pr[0].msgs;
		break;
	case WK_WAKEUP:
		/* The stop message wakes the receiver too. */
		received = sh->pr[1].msgs + 1;
		if (sh->pr[0].msgs != sh->pr[1].msgs) {
			snprintf(why, whylen, "%" PRIu64 " messages sent, %" PRIu64 " received",
				 sh->pr[0].msgs, sh->pr[1].msgs);
			ret = -EIO;
			goto out;
		}
		res->value = (double)sh->pr[1].nvcsw / (double)received;
		res->csw_per_msg = res->value;
		res->msgs = sh->pr[1].msgs;
		break;
	}
out:
	for (i = 0; i < created; i++)
		t->destroy(&ch[i]);
	munmap(sh, sizeof(*sh));
	return ret;
}
