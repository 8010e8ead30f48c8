// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-bench: the scaling section (README.md, "Scaling").
 *
 * The N->N rows (one queue, and one queue per pair) are ordinary rows of
 * workloads.c marked .scaling; this file measures the rest, in one
 * process, after the rows:
 *
 *  - select over 1, 8 and 64 instances, one message ready in a random
 *    one: send it, then wait for whichever is ready and receive it —
 *    cspchan_select() over channels, poll(2) and epoll over as many
 *    pipes, poll(2) over as many message queues.  Nanoseconds per
 *    operation (send + wait + receive), and how the cost grows from 1 to
 *    64 cases;
 *  - the kernel memory of an idle instance (capacity 64, 64 B messages):
 *    SCALE_MEM_COUNT instances made at once, the change of free memory
 *    (MemFree with the per-CPU free lists, see free_pages_all(): all
 *    memory, whatever allocated it), of the slab objects (/proc/slabinfo:
 *    active objects x object size, per cache) and of VmallocUsed, divided
 *    by the count; the median of SCALE_MEM_ROUNDS rounds.
 *
 * Then the Scaling table, with the N->N rows, and its CSV and JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <mqueue.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cspchan.h>

#include "bench.h"

#define SCALE_MSG		64
#define SCALE_DEPTH		64
#define SEL_RUNS		3
#define SEL_RUN_SECONDS		0.15
#define SEL_WARMUP_SECONDS	0.03
#define SCALE_MEM_ROUNDS	3
#define SLAB_TOP		3	/* caches named per transport */

static const unsigned int sel_sizes[] = { 1, 8, 64 };
#define NR_SEL_SIZES	ARRAY_SIZE(sel_sizes)

enum sel_method { SM_CSPCHAN, SM_PIPE_POLL, SM_PIPE_EPOLL, SM_MQ_POLL, NR_SM };

static const struct {
	const char *id;
	const char *what;
	const struct transport *t;
} sel_methods[NR_SM] = {
	[SM_CSPCHAN] = { "cspchan-select", "cspchan_select() over N channels, RECV cases",
			 &transport_cspchan },
	[SM_PIPE_POLL] = { "pipe-poll", "poll(2) over N pipes, then read(2)", &transport_pipe },
	[SM_PIPE_EPOLL] = { "pipe-epoll", "epoll_wait(2), one event, over N pipes, then read(2)",
			    &transport_pipe },
	[SM_MQ_POLL] = { "mqueue-poll", "poll(2) over N message queues, then mq_receive(3)",
			 &transport_mqueue },
};

struct sel_result {
	bool ran;
	bool ok;
	char why[160];
	unsigned int n;			/* runs */
	double v[SEL_RUNS];		/* ns per operation */
	double median, min, max;
	uint64_t ops;
};

static struct sel_result sel[NR_SM][NR_SEL_SIZES];

struct mem_result {
	const struct transport *t;
	bool ran, ok;
	char why[160];
	unsigned int count;		/* instances per round */
	unsigned int n;			/* rounds */
	double total[SCALE_MEM_ROUNDS];	/* bytes per instance (MemFree) */
	double slab[SCALE_MEM_ROUNDS];	/* slab objects */
	double vmalloc[SCALE_MEM_ROUNDS];
	double total_med, slab_med, vmalloc_med;
	char top[160];			/* largest slab caches, last round */
};

static const struct transport *const mem_transports[] = {
	&transport_cspchan, &transport_mqueue, &transport_pipe, &transport_pipe_pkt,
};
#define NR_MEM	ARRAY_SIZE(mem_transports)
static struct mem_result mem[NR_MEM];
static bool scaling_ran;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, unsigned int n)
{
	double s[16];

	if (!n || n > ARRAY_SIZE(s))
		return NAN;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void raise_nofile(unsigned int want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* --- Select ---------------------------------------------------------------------- */

struct sel_ctx {
	enum sel_method m;
	unsigned int n;
	struct bchan ch[SCALE_SELECT_MAX];
	unsigned int created;
	struct cspchan_case cases[SCALE_SELECT_MAX];
	struct pollfd pfd[SCALE_SELECT_MAX];
	int ep;
	uint64_t rnd, seq;
	unsigned char msg[SCALE_MSG], buf[SCALE_MSG];
	char why[160];
};

static int recv_fd(const struct bchan *c)
{
	return c->t == &transport_mqueue ? (int)c->handle : c->fd[0];
}

static int sel_setup(struct sel_ctx *x)
{
	const struct transport *t = sel_methods[x->m].t;
	struct epoll_event ev;
	unsigned int i;
	int ret;

	x->ep = -1;
	x->rnd = 0x9e3779b97f4a7c15ull ^ x->n;
	for (i = 0; i < x->n; i++) {
		struct bchan *c = &x->ch[i];

		memset(c, 0, sizeof(*c));
		c->t = t;
		c->msg_size = SCALE_MSG;
		c->depth = SCALE_DEPTH;
		c->fd[0] = c->fd[1] = -1;
		ret = t->create(c);
		if (ret < 0) {
			snprintf(x->why, sizeof(x->why), "%s: create: %s", t->name,
				 c->note[0] ? c->note : strerror(-ret));
			return ret;
		}
		x->created++;
		x->cases[i] = (struct cspchan_case){ .fd = c->fd[0], .op = CSPCHAN_RECV,
						     .buf = x->buf, .len = sizeof(x->buf) };
		x->pfd[i] = (struct pollfd){ .fd = recv_fd(c), .events = POLLIN };
	}
	if (x->m == SM_PIPE_EPOLL) {
		x->ep = epoll_create1(EPOLL_CLOEXEC);
		if (x->ep < 0) {
			snprintf(x->why, sizeof(x->why), "epoll_create1: %s", strerror(errno));
			return -errno;
		}
		for (i = 0; i < x->n; i++) {
			ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = i };
			if (epoll_ctl(x->ep, EPOLL_CTL_ADD, recv_fd(&x->ch[i]), &ev) < 0) {
				snprintf(x->why, sizeof(x->why), "epoll_ctl: %s",
					 strerror(errno));
				return -errno;
			}
		}
	}
	return 0;
}

static void sel_teardown(struct sel_ctx *x)
{
	unsigned int i;

	if (x->ep >= 0)
		close(x->ep);
	for (i = 0; i < x->created; i++)
		x->ch[i].t->destroy(&x->ch[i]);
	x->created = 0;
}

/* One operation: a message into a random instance, then wait and receive it. */
static int sel_op(struct sel_ctx *x)
{
	struct epoll_event ev;
	unsigned int r, i, got = ~0u;
	uint64_t seq;
	ssize_t len = -1;
	int ret;

	x->rnd ^= x->rnd << 13;
	x->rnd ^= x->rnd >> 7;
	x->rnd ^= x->rnd << 17;
	r = (unsigned int)(x->rnd % x->n);
	msg_stamp(x->msg, SCALE_MSG, x->seq, false);
	ret = x->ch[r].t->send(&x->ch[r], x->msg, SCALE_MSG);
	if (ret < 0) {
		snprintf(x->why, sizeof(x->why), "send: %s", strerror(-ret));
		return ret;
	}

	switch (x->m) {
	case SM_CSPCHAN:
		ret = cspchan_select(x->cases, x->n, -1);
		if (ret < 0) {
			snprintf(x->why, sizeof(x->why), "cspchan_select: %s", strerror(-ret));
			return ret;
		}
		got = (unsigned int)ret;
		len = x->cases[got].result;
		break;
	case SM_PIPE_POLL:
	case SM_MQ_POLL:
		ret = poll(x->pfd, x->n, -1);
		if (ret < 0) {
			snprintf(x->why, sizeof(x->why), "poll: %s", strerror(errno));
			return -errno;
		}
		for (i = 0; i < x->n; i++)
			if (x->pfd[i].revents & POLLIN)
				break;
		got = i;
		break;
	case SM_PIPE_EPOLL:
		ret = epoll_wait(x->ep, &ev, 1, -1);
		if (ret != 1) {
			snprintf(x->why, sizeof(x->why), "epoll_wait: %s",
				 ret < 0 ? strerror(errno) : "no event");
			return ret < 0 ? -errno : -EIO;
		}
		got = ev.data.u32;
		break;
	default:
		return -EINVAL;
	}
	if (got != r) {
		snprintf(x->why, sizeof(x->why), "message sent to %u, %u reported ready",
			 r, got);
		return -EIO;
	}
	if (x->m != SM_CSPCHAN)
		len = x->ch[r].t->recv(&x->ch[r], x->buf, sizeof(x->buf));
	if (len != SCALE_MSG || !msg_check(x->buf, (size_t)len, SCALE_MSG, &seq, false) ||
	    seq != x->seq) {
		snprintf(x->why, sizeof(x->why), "wrong message (length %zd)", len);
		return -EIO;
	}
	x->seq++;
	return 0;
}

/* Operations for `seconds`: ns per operation, or a negative errno. */
static double sel_run(struct sel_ctx *x, double seconds, uint64_t *ops)
{
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)(seconds * 1e9), t = t0, n = 0;
	unsigned int k;
	int ret;

	while (t < end) {
		for (k = 0; k < 16; k++) {
			ret = sel_op(x);
			if (ret < 0)
				return ret;
		}
		n += 16;
		t = now_ns();
	}
	*ops += n;
	return n ? (double)(t - t0) / (double)n : 0;
}

static unsigned int measure_select(void)
{
	struct cspchan_features f;
	unsigned int m, s, i, failed = 0;
	bool cspchan_ok = cspchan_features(&f) >= 0;
	double runs = bench_opts.quick ? 2 : SEL_RUNS;
	double secs = bench_opts.quick ? 0.05 : SEL_RUN_SECONDS;

	for (m = 0; m < NR_SM; m++) {
		for (s = 0; s < NR_SEL_SIZES; s++) {
			struct sel_result *res = &sel[m][s];
			struct sel_ctx *x = calloc(1, sizeof(*x));
			double v;
			int ret;

			res->ran = true;
			if (!x) {
				snprintf(res->why, sizeof(res->why), "out of memory");
				failed++;
				continue;
			}
			x->m = m;
			x->n = sel_sizes[s];
			if (m == SM_CSPCHAN && !cspchan_ok) {
				snprintf(res->why, sizeof(res->why), "cspchan.ko not loaded");
				free(x);
				continue;
			}
			if (m == SM_CSPCHAN && f.max_select_cases && x->n > f.max_select_cases) {
				snprintf(res->why, sizeof(res->why), "max_select_cases %u",
					 f.max_select_cases);
				free(x);
				continue;
			}
			ret = sel_setup(x);
			if (ret == 0) {
				v = sel_run(x, bench_opts.quick ? 0 : SEL_WARMUP_SECONDS,
					    &res->ops);
				res->ops = 0;
				for (i = 0; i < runs && v >= 0; i++) {
					v = sel_run(x, secs, &res->ops);
					if (v >= 0)
						res->v[res->n++] = v;
				}
				if (v < 0)
					ret = (int)v;
			}
			if (ret < 0) {
				snprintf(res->why, sizeof(res->why), "%s", x->why);
				res->n = 0;
				failed++;
			} else {
				res->ok = true;
				res->median = median(res->v, res->n);
				res->min = res->max = res->v[0];
				for (i = 1; i < res->n; i++) {
					res->min = fmin(res->min, res->v[i]);
					res->max = fmax(res->max, res->v[i]);
				}
			}
			sel_teardown(x);
			free(x);
		}
	}
	return failed;
}

static const struct sel_result *sel_get(enum sel_method m, unsigned int size)
{
	unsigned int s;

	for (s = 0; s < NR_SEL_SIZES; s++)
		if (sel_sizes[s] == size)
			return sel[m][s].ok ? &sel[m][s] : NULL;
	return NULL;
}

static double sel_growth(enum sel_method m)
{
	const struct sel_result *a = sel_get(m, 1), *b = sel_get(m, SCALE_SELECT_MAX);

	return a && b && a->median > 0 ? b->median / a->median : NAN;
}

double scaling_select_growth(void)
{
	return sel_growth(SM_CSPCHAN);
}

/* --- Memory of an idle instance -------------------------------------------------- */

struct meminfo {
	long long memfree, vmalloc;	/* bytes */
};

/*
 * Free memory: MemFree does not count the pages parked on the per-CPU
 * free lists, which serve small allocations first and would hide them;
 * /proc/zoneinfo has both (each zone's "pages free" and every CPU's
 * "count"), so their sum is every page nobody holds.
 */
static long long free_pages_all(void)
{
	char line[256];
	long long v, total = 0;
	bool any = false;
	FILE *f = fopen("/proc/zoneinfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " pages free %lld", &v) == 1 ||
		    sscanf(line, " count: %lld", &v) == 1) {
			total += v;
			any = true;
		}
	}
	fclose(f);
	return any ? total : -1;
}

static int read_meminfo(struct meminfo *mi)
{
	char line[256];
	long long v;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -errno;
	mi->memfree = mi->vmalloc = -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemFree: %lld kB", &v) == 1)
			mi->memfree = v * 1024;
		else if (sscanf(line, "VmallocUsed: %lld kB", &v) == 1)
			mi->vmalloc = v * 1024;
	}
	fclose(f);
	v = free_pages_all();
	if (v >= 0)
		mi->memfree = v * sysconf(_SC_PAGESIZE);
	return mi->memfree < 0 ? -EIO : 0;
}

#define SLAB_MAX_CACHES	512

struct slab_snap {
	unsigned int n;
	char name[SLAB_MAX_CACHES][64];
	long long bytes[SLAB_MAX_CACHES];	/* active objects x object size */
};

static int read_slabinfo(struct slab_snap *s)
{
	char line[512], name[64];
	long long active, num, size;
	FILE *f = fopen("/proc/slabinfo", "re");

	s->n = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && s->n < SLAB_MAX_CACHES) {
		if (sscanf(line, "%63s %lld %lld %lld", name, &active, &num, &size) != 4)
			continue;
		snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
		s->bytes[s->n] = active * size;
		s->n++;
	}
	fclose(f);
	return 0;
}

static long long slab_total(const struct slab_snap *s)
{
	long long t = 0;
	unsigned int i;

	for (i = 0; i < s->n; i++)
		t += s->bytes[i];
	return t;
}

/* The SLAB_TOP caches that grew most from a to b, per instance, into buf. */
static void slab_top(const struct slab_snap *a, const struct slab_snap *b,
		     unsigned int count, char *buf, size_t len)
{
	bool used[SLAB_MAX_CACHES] = { false };
	size_t off = 0;
	unsigned int k, i, j, best;
	long long d, bestd;

	buf[0] = '\0';
	for (k = 0; k < SLAB_TOP; k++) {
		best = b->n;
		bestd = 0;
		for (i = 0; i < b->n; i++) {
			if (used[i])
				continue;
			d = b->bytes[i];
			for (j = 0; j < a->n; j++)
				if (!strcmp(a->name[j], b->name[i])) {
					d -= a->bytes[j];
					break;
				}
			if (d > bestd) {
				bestd = d;
				best = i;
			}
		}
		if (best == b->n || bestd < (long long)count * 16)
			break;
		used[best] = true;
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s %.0f", k ? ", " : "",
						b->name[best], (double)bestd / count);
	}
}

static void settle(void)
{
	/* Deferred frees (RCU, task work) of the previous round. */
	usleep(300000);
}

static unsigned int measure_memory(void)
{
	struct cspchan_features f;
	unsigned int count = SCALE_MEM_COUNT, k, r, i, failed = 0;
	struct slab_snap *s0 = malloc(sizeof(*s0)), *s1 = malloc(sizeof(*s1));
	struct bchan *chs = calloc(SCALE_MEM_COUNT, sizeof(*chs));
	bool cspchan_ok = cspchan_features(&f) >= 0;
	bool slab_ok = true;

	if (!s0 || !s1 || !chs) {
		free(s0);
		free(s1);
		free(chs);
		return 1;
	}
	raise_nofile(2 * SCALE_MEM_COUNT + 256);
	if (cspchan_ok && f.max_channels_per_user && count > f.max_channels_per_user - 16)
		count = f.max_channels_per_user - 16;

	for (k = 0; k < NR_MEM; k++) {
		struct mem_result *mr = &mem[k];
		const struct transport *t = mem_transports[k];

		mr->t = t;
		mr->ran = true;
		mr->count = t == &transport_cspchan ? count : SCALE_MEM_COUNT;
		if (t == &transport_cspchan && !cspchan_ok) {
			snprintf(mr->why, sizeof(mr->why), "cspchan.ko not loaded");
			continue;
		}
		for (r = 0; r < (bench_opts.quick ? 1u : SCALE_MEM_ROUNDS); r++) {
			struct meminfo m0, m1;
			unsigned int made = 0;
			int ret = 0;

			settle();
			if (read_meminfo(&m0) < 0) {
				snprintf(mr->why, sizeof(mr->why), "/proc/meminfo unreadable");
				break;
			}
			slab_ok = read_slabinfo(s0) == 0 && slab_ok;
			for (i = 0; i < mr->count; i++) {
				struct bchan *c = &chs[i];

				memset(c, 0, sizeof(*c));
				c->t = t;
				c->msg_size = SCALE_MSG;
				c->depth = SCALE_DEPTH;
				c->fd[0] = c->fd[1] = -1;
				ret = t->create(c);
				if (ret < 0) {
					snprintf(mr->why, sizeof(mr->why), "instance %u: %s", i,
						 c->note[0] ? c->note : strerror(-ret));
					break;
				}
				made++;
			}
			if (ret == 0) {
				read_meminfo(&m1);
				slab_ok = read_slabinfo(s1) == 0 && slab_ok;
				mr->total[mr->n] = (double)(m0.memfree - m1.memfree) / made;
				mr->vmalloc[mr->n] = m0.vmalloc >= 0 && m1.vmalloc >= 0 ?
					(double)(m1.vmalloc - m0.vmalloc) / made : NAN;
				mr->slab[mr->n] = slab_ok ?
					(double)(slab_total(s1) - slab_total(s0)) / made : NAN;
				if (slab_ok)
					slab_top(s0, s1, made, mr->top, sizeof(mr->top));
				mr->n++;
			}
			for (i = 0; i < made; i++)
				t->destroy(&chs[i]);
			if (ret < 0) {
				failed++;
				mr->n = 0;
				break;
			}
		}
		if (mr->n) {
			mr->ok = true;
			mr->total_med = median(mr->total, mr->n);
			mr->slab_med = median(mr->slab, mr->n);
			mr->vmalloc_med = median(mr->vmalloc, mr->n);
		}
	}
	free(s0);
	free(s1);
	free(chs);
	return failed;
}

unsigned int scaling_measure(void)
{
	unsigned int failed;
	uint64_t t0 = now_ns();

	fprintf(stderr, "scaling: select over 1, 8, 64 instances; memory of %u idle instances\n",
		SCALE_MEM_COUNT);
	failed = measure_select();
	failed += measure_memory();
	scaling_ran = true;
	fprintf(stderr, "scaling: %.1f s%s\n", (double)(now_ns() - t0) / 1e9,
		failed ? ", SOME MEASUREMENTS FAILED" : "");
	return failed;
}

/* --- Report ------------------------------------------------------------------------ */

static const struct metric *row_msgs(const char *w, const char *t)
{
	const struct row *r = find_row(w, t);

	return r && r->status == ROW_OK && r->nr_metrics ? &r->m[0] : NULL;
}

static void fmt_rate(char *buf, size_t len, const struct metric *m)
{
	if (!m)
		snprintf(buf, len, "-");
	else if (m->median >= 1e6)
		snprintf(buf, len, "%.2fM", m->median / 1e6);
	else
		snprintf(buf, len, "%.1fk", m->median / 1e3);
}

static void fmt_x(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f", v);
}

/* One half of a scaling line: cspchan, mqueue, pipe-pkt and the ratios. */
static void scale_cells(FILE *f, const char *w)
{
	const struct row *cc = find_row(w, "cspchan");
	char a[16], b[16], c[16], x1[16], x2[16], sp[16];
	const struct metric *m = row_msgs(w, "cspchan");

	fmt_rate(a, sizeof(a), m);
	fmt_rate(b, sizeof(b), row_msgs(w, "mqueue"));
	fmt_rate(c, sizeof(c), row_msgs(w, "pipe-pkt"));
	fmt_x(x1, sizeof(x1), metric_ratio(cc, find_row(w, "mqueue"), 0));
	fmt_x(x2, sizeof(x2), metric_ratio(cc, find_row(w, "pipe-pkt"), 0));
	if (m && m->median > 0)
		snprintf(sp, sizeof(sp), "%.0f%%", (m->max - m->min) / m->median * 100);
	else
		snprintf(sp, sizeof(sp), "-");
	fprintf(f, " %8s %5s %8s %8s %6s %6s", a, sp, b, c, x1, x2);
}

static bool scale_rows_ran(void)
{
	unsigned int i;

	for (i = 0; i < bench_nr_rows; i++)
		if (bench_rows[i].w->scaling && bench_rows[i].status != ROW_UNSELECTED)
			return true;
	return false;
}

void report_scaling(FILE *f)
{
	static const unsigned int ns[] = { 1, 2, 4, 8, 16 };
	char w1[32], w2[32], a[16], b[16], c[16];
	unsigned int i, m, s;

	fprintf(f, "\nScaling (README.md, \"Scaling\")\n");
	if (scale_rows_ran()) {
		fprintf(f, "N->N processes, 64 B messages, depth 64: msg/s, median of %u repetition%s "
			"of %.2f s (spread: cspchan's (max-min)/median); x mq, x pkt: cspchan "
			"relative to mqueue, pipe-pkt\n",
			bench_opts.scaling_reps, bench_opts.scaling_reps == 1 ? "" : "s",
			bench_opts.scaling_seconds);
		fprintf(f, "  %-6s | %-48s | %-48s\n", "", "one queue shared by all",
			"one queue per producer/consumer pair");
		fprintf(f, "  %-6s | %8s %5s %8s %8s %6s %6s | %8s %5s %8s %8s %6s %6s\n", "N->N",
			"cspchan", "spread", "mqueue", "pipe-pkt", "x mq", "x pkt",
			"cspchan", "spread", "mqueue", "pipe-pkt", "x mq", "x pkt");
		for (i = 0; i < ARRAY_SIZE(ns); i++) {
			snprintf(w1, sizeof(w1), "scale-1q-%u", ns[i]);
			/* One pair on its own queue is the one-queue row. */
			snprintf(w2, sizeof(w2), ns[i] == 1 ? "scale-1q-%u" : "scale-pp-%u", ns[i]);
			snprintf(a, sizeof(a), "%u->%u", ns[i], ns[i]);
			fprintf(f, "  %-6s |", a);
			scale_cells(f, w1);
			fprintf(f, " |");
			scale_cells(f, w2);
			fprintf(f, "\n");
		}
		for (i = 0; i < bench_nr_rows; i++) {
			const struct row *r = &bench_rows[i];

			if (r->w->scaling && r->status != ROW_OK && r->status != ROW_UNSELECTED)
				fprintf(f, "  %s/%s %s: %s\n", r->w->id, r->t->name,
					r->status == ROW_SKIPPED ? "skipped" : "FAILED", r->why);
		}
	}
	if (!scaling_ran)
		return;

	fprintf(f, "\nselect over N instances, one message ready in a random one: ns per operation "
		"(send + wait + receive), median of %u runs of %.2f s, one process\n",
		bench_opts.quick ? 2 : SEL_RUNS, bench_opts.quick ? 0.05 : SEL_RUN_SECONDS);
	fprintf(f, "  %-15s %9s %9s %9s  %12s  %11s  %s\n", "method", "N=1", "N=8", "N=64",
		"cost64/cost1", "ns per case", "what");
	for (m = 0; m < NR_SM; m++) {
		const struct sel_result *r1 = sel_get(m, 1), *r64 = sel_get(m, 64);
		double g = sel_growth(m);

		fprintf(f, "  %-15s", sel_methods[m].id);
		for (s = 0; s < NR_SEL_SIZES; s++) {
			if (sel[m][s].ok)
				fprintf(f, " %9.0f", sel[m][s].median);
			else
				fprintf(f, " %9s", "-");
		}
		if (!isnan(g))
			fprintf(f, "  %7.2f/64  ", g);
		else
			fprintf(f, "  %12s  ", "-");
		if (r1 && r64)
			fprintf(f, " %11.1f", (r64->median - r1->median) / 63);
		else
			fprintf(f, " %11s", "-");
		fprintf(f, "  %s\n", sel_methods[m].what);
		for (s = 0; s < NR_SEL_SIZES; s++)
			if (sel[m][s].ran && !sel[m][s].ok && sel[m][s].why[0])
				fprintf(f, "  %15s N=%u not measured: %s\n", "", sel_sizes[s],
					sel[m][s].why);
	}

	fprintf(f, "\nkernel memory per idle instance (capacity 64, 64 B messages): bytes, "
		"median of %u rounds of %u instances; all: free pages (zoneinfo, per-CPU lists "
		"included) used\n",
		bench_opts.quick ? 1 : SCALE_MEM_ROUNDS, SCALE_MEM_COUNT);
	fprintf(f, "  %-10s %6s %9s %9s %9s %8s %7s  %s\n", "transport", "count", "all",
		"slab obj", "vmalloc", "x mqueue", "x pipe", "slab caches that grew most (bytes each)");
	for (i = 0; i < NR_MEM; i++) {
		const struct mem_result *mr = &mem[i];

		if (!mr->ran)
			continue;
		if (!mr->ok) {
			fprintf(f, "  %-10s not measured: %s\n", mr->t->name, mr->why);
			continue;
		}
		fmt_x(a, sizeof(a), mem[1].ok && mem[1].total_med > 0 ?
		      mr->total_med / mem[1].total_med : NAN);
		fmt_x(b, sizeof(b), mem[2].ok && mem[2].total_med > 0 ?
		      mr->total_med / mem[2].total_med : NAN);
		snprintf(c, sizeof(c), "%.0f", mr->vmalloc_med);
		fprintf(f, "  %-10s %6u %9.0f %9.0f %9s %8s %7s  %s\n", mr->t->name, mr->count,
			mr->total_med, mr->slab_med, isnan(mr->vmalloc_med) ? "-" : c, a, b,
			mr->top);
	}
}

/* CSV lines in report_csv()'s columns. */
void report_scaling_csv(FILE *f)
{
	unsigned int m, s, i, k;

	for (m = 0; scaling_ran && m < NR_SM; m++) {
		for (s = 0; s < NR_SEL_SIZES; s++) {
			const struct sel_result *r = &sel[m][s];
			const struct sel_result *rmq = &sel[SM_MQ_POLL][s];
			const struct sel_result *rpp = &sel[SM_PIPE_POLL][s];

			if (!r->ran)
				continue;
			fprintf(f, "select-%u,%s,scaling,%d,1,1,%d,ns/op,ns,0,", sel_sizes[s],
				sel_methods[m].id, SCALE_MSG, SCALE_DEPTH);
			if (r->ok) {
				report_csv_quantiles(f, r->median, r->min, r->max, NAN, NAN);
				fprintf(f, ",%u,", r->n);
				report_csv_num(f, rmq->ok ? r->median / rmq->median : NAN);
				fputc(',', f);
				report_csv_num(f, rpp->ok ? r->median / rpp->median : NAN);
				fprintf(f, ",,ok,");
				report_csv_str(f, sel_methods[m].what);
				fputc(',', f);
				for (i = 0; i < r->n; i++)
					fprintf(f, "%s%.6g", i ? ";" : "", r->v[i]);
			} else {
				fprintf(f, ",,,,,0,,,,skipped,");
				report_csv_str(f, r->why);
				fputc(',', f);
			}
			fputc('\n', f);
		}
	}
	for (i = 0; scaling_ran && i < NR_MEM; i++) {
		const struct mem_result *mr = &mem[i];
		static const char *const names[] = { "bytes (free pages used)", "slab object bytes",
						      "vmalloc bytes" };

		if (!mr->ran)
			continue;
		for (k = 0; k < 3; k++) {
			const double *v = k == 0 ? mr->total : k == 1 ? mr->slab : mr->vmalloc;
			double med = k == 0 ? mr->total_med : k == 1 ? mr->slab_med :
					      mr->vmalloc_med;
			unsigned int j;

			fprintf(f, "idle-memory,%s,scaling,%d,0,0,%d,%s,bytes,0,", mr->t->name,
				SCALE_MSG, SCALE_DEPTH, names[k]);
			if (mr->ok) {
				report_csv_quantiles(f, med, NAN, NAN, NAN, NAN);
				fprintf(f, ",%u,", mr->n);
				report_csv_num(f, k == 0 && mem[1].ok ? med / mem[1].total_med : NAN);
				fputc(',', f);
				report_csv_num(f, k == 0 && mem[2].ok ? med / mem[2].total_med : NAN);
				fprintf(f, ",,ok,");
				report_csv_str(f, k == 1 ? mr->top : "");
				fputc(',', f);
				for (j = 0; j < mr->n; j++)
					fprintf(f, "%s%.6g", j ? ";" : "", v[j]);
			} else {
				fprintf(f, ",,,,,0,,,,skipped,");
				report_csv_str(f, mr->why);
				fputc(',', f);
			}
			fputc('\n', f);
		}
	}
}

void report_scaling_json(FILE *f)
{
	unsigned int m, s, i;

	if (!scaling_ran) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"rows\": \"rows[] with workload scale-1q-N (one queue) and scale-pp-N "
		"(one queue per pair)\",\n    \"select\": [");
	for (m = 0; m < NR_SM; m++) {
		fprintf(f, "%s\n      {\"method\": ", m ? "," : "");
		report_json_str(f, sel_methods[m].id);
		fprintf(f, ", \"what\": ");
		report_json_str(f, sel_methods[m].what);
		fprintf(f, ", \"growth_64_over_1\": ");
		report_json_num(f, sel_growth(m));
		fprintf(f, ", \"ns_per_op\": {");
		for (s = 0; s < NR_SEL_SIZES; s++) {
			const struct sel_result *r = &sel[m][s];

			fprintf(f, "%s\"%u\": ", s ? ", " : "", sel_sizes[s]);
			if (!r->ok) {
				fputs("null", f);
				continue;
			}
			fprintf(f, "{\"median\": ");
			report_json_num(f, r->median);
			fprintf(f, ", \"min\": ");
			report_json_num(f, r->min);
			fprintf(f, ", \"max\": ");
			report_json_num(f, r->max);
			fprintf(f, ", \"values\": ");
			report_json_nums(f, r->v, r->n);
			fputc('}', f);
		}
		fprintf(f, "}}");
	}
	fprintf(f, "\n    ],\n    \"memory\": [");
	for (i = 0; i < NR_MEM; i++) {
		const struct mem_result *mr = &mem[i];

		fprintf(f, "%s\n      {\"transport\": ", i ? "," : "");
		report_json_str(f, mr->t ? mr->t->name : mem_transports[i]->name);
		fprintf(f, ", \"count\": %u, \"status\": \"%s\"", mr->count,
			mr->ok ? "ok" : "skipped");
		if (!mr->ok) {
			fprintf(f, ", \"reason\": ");
			report_json_str(f, mr->why);
			fputc('}', f);
			continue;
		}
		fprintf(f, ", \"bytes_all\": ");
		report_json_num(f, mr->total_med);
		fprintf(f, ", \"bytes_slab_objects\": ");
		report_json_num(f, mr->slab_med);
		fprintf(f, ", \"bytes_vmalloc\": ");
		report_json_num(f, mr->vmalloc_med);
		fprintf(f, ", \"slab_caches\": ");
		report_json_str(f, mr->top);
		fprintf(f, ", \"rounds_all\": ");
		report_json_nums(f, mr->total, mr->n);
		fputc('}', f);
	}
	fprintf(f, "\n    ]}");
}
