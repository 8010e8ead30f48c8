// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-bench: calibration — the fixed per-operation floor costs that
 * bound the io_uring figures, measured in the same run (the same guest,
 * the same moment) as the rows: a bare system call, a trivial file write,
 * the same through io_uring in batches of 32, and a uring command on a
 * cspchan handle that the module rejects at once (-ENOTTY), with and
 * without a registered file.  One process, tight loops; each floor is
 * timed CAL_RUNS times for CAL_RUN_SECONDS (after an untimed warm-up run)
 * and reported as the median in microseconds per operation.
 *
 * Then arithmetic on those floors (README.md, "Calibration"): what rate
 * an io_uring transport could reach at best if a message cost nothing but
 * the floor of the requests it needs, next to the io_uring target.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cspchan-uring.h>

#include "bench.h"

#define CAL_MSG		64	/* bytes written per write */
#define CAL_BATCH	32	/* io_uring requests per io_uring_submit_and_wait */
#define CAL_RING	64	/* ring entries */
#define CAL_SYSCALLS	256	/* system calls between two clock reads */
#define CAL_BAD_CMD	0x1234	/* a cmd_op the module does not know */
#define URING_TARGET_X	2.0	/* the io_uring copy-path target: x mqueue (report.c) */

struct cal_ctx {
	int fd;			/* /dev/null, or the cspchan handle */
	bool ring_ok;
	struct io_uring ring;
	bool fixed;		/* the handle is registered file 0 */
	char buf[CAL_MSG];
	char why[160];		/* of a failure */
};

/* One step: some operations; returns how many, or -errno (why in ctx->why). */
typedef long (*cal_step_fn)(struct cal_ctx *ctx);

enum cal_setup { CS_NONE, CS_DEVNULL, CS_RING, CS_RING_DEVNULL, CS_RING_CHAN,
		 CS_RING_CHAN_FIXED };

struct cal_def {
	const char *id;
	const char *what;
	unsigned int per_call;	/* operations per system call */
	size_t msg_size;	/* bytes per operation, 0 if none */
	enum cal_setup setup;
	cal_step_fn step;
};

struct cal_row bench_cal[CAL_MAX_ROWS];
unsigned int bench_nr_cal;
bool bench_cal_ran;
double bench_cal_seconds;

/* --- The steps ------------------------------------------------------------------- */

static long step_getppid(struct cal_ctx *ctx)
{
	unsigned int i;

	(void)ctx;
	/* syscall(): libc must not answer from a cache. */
	for (i = 0; i < CAL_SYSCALLS; i++)
		syscall(SYS_getppid);
	return CAL_SYSCALLS;
}

static long step_write(struct cal_ctx *ctx)
{
	unsigned int i;
	ssize_t n;

	for (i = 0; i < CAL_SYSCALLS; i++) {
		n = write(ctx->fd, ctx->buf, CAL_MSG);
		if (n != CAL_MSG) {
			int err = n < 0 ? errno : EIO;

			snprintf(ctx->why, sizeof(ctx->why), "write /dev/null: %s",
				 n < 0 ? strerror(err) : "short write");
			return -err;
		}
	}
	return CAL_SYSCALLS;
}

/*
 * Submit the CAL_BATCH requests queued in the ring with one
 * io_uring_submit_and_wait() and reap their completions, each of which
 * must have result want.
 */
static long ring_run(struct cal_ctx *ctx, int want, const char *what)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n, got = 0;
	int ret;

	while (got < CAL_BATCH) {
		ret = io_uring_submit_and_wait(&ctx->ring, CAL_BATCH - got);
		if (ret < 0 && ret != -EINTR) {
			snprintf(ctx->why, sizeof(ctx->why), "%s: io_uring_submit_and_wait: %s",
				 what, strerror(-ret));
			return ret;
		}
		n = 0;
		io_uring_for_each_cqe(&ctx->ring, head, cqe) {
			if (cqe->res != want) {
				char got_s[64], want_s[64];

				snprintf(got_s, sizeof(got_s), cqe->res < 0 ? "%d (%s)" : "%d",
					 cqe->res, strerror(-cqe->res));
				snprintf(want_s, sizeof(want_s), want < 0 ? "%d (%s)" : "%d",
					 want, strerror(-want));
				snprintf(ctx->why, sizeof(ctx->why), "%s: completion %s, expected %s",
					 what, got_s, want_s);
				io_uring_cq_advance(&ctx->ring, n + 1);
				return -EIO;
			}
			n++;
		}
		io_uring_cq_advance(&ctx->ring, n);
		got += n;
	}
	return CAL_BATCH;
}

static long step_uring_nop(struct cal_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < CAL_BATCH; i++)
		io_uring_prep_nop(io_uring_get_sqe(&ctx->ring));
	return ring_run(ctx, 0, "IORING_OP_NOP");
}

static long step_uring_write(struct cal_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < CAL_BATCH; i++)
		io_uring_prep_write(io_uring_get_sqe(&ctx->ring), ctx->fd, ctx->buf,
				    CAL_MSG, 0);
	return ring_run(ctx, CAL_MSG, "IORING_OP_WRITE to /dev/null");
}

/* A uring command the module does not know: it answers -ENOTTY at once. */
static long step_uring_cmd(struct cal_ctx *ctx)
{
	struct io_uring_sqe *sqe;
	unsigned int i;

	for (i = 0; i < CAL_BATCH; i++) {
		sqe = io_uring_get_sqe(&ctx->ring);
		cspchan_prep_release(sqe, ctx->fixed ? 0 : ctx->fd, 0);
		sqe->cmd_op = CAL_BAD_CMD;
		if (ctx->fixed)
			sqe->flags |= IOSQE_FIXED_FILE;
	}
	return ring_run(ctx, -ENOTTY, ctx->fixed ?
			"IORING_OP_URING_CMD 0x1234 (fixed file)" : "IORING_OP_URING_CMD 0x1234");
}

static const struct cal_def cal_defs[] = {
	{ "getppid", "system call round trip: getppid()",
	  1, 0, CS_NONE, step_getppid },
	{ "write-devnull", "write(2) of 64 B to /dev/null",
	  1, CAL_MSG, CS_DEVNULL, step_write },
	{ "uring-nop", "io_uring IORING_OP_NOP, 32 per io_uring_submit_and_wait",
	  CAL_BATCH, 0, CS_RING, step_uring_nop },
	{ "uring-write-devnull", "io_uring IORING_OP_WRITE of 64 B to /dev/null, 32 per submit",
	  CAL_BATCH, CAL_MSG, CS_RING_DEVNULL, step_uring_write },
	{ "uring-cmd", "io_uring IORING_OP_URING_CMD, unknown cmd_op on a cspchan handle (-ENOTTY), 32 per submit",
	  CAL_BATCH, 0, CS_RING_CHAN, step_uring_cmd },
	{ "uring-cmd-fixed", "the same, the handle a registered file (IOSQE_FIXED_FILE)",
	  CAL_BATCH, 0, CS_RING_CHAN_FIXED, step_uring_cmd },
};

/* --- Running them ---------------------------------------------------------------- */

static void cal_teardown(struct cal_ctx *ctx, struct bchan *chan)
{
	if (ctx->ring_ok)
		io_uring_queue_exit(&ctx->ring);
	ctx->ring_ok = false;
	if (chan->fd[0] >= 0)
		bchan_close_fds(chan);
	else if (ctx->fd >= 0)
		close(ctx->fd);
	ctx->fd = -1;
}

/* 0, -EOPNOTSUPP (skip, reason in r->why) or another -errno (failed). */
static int cal_setup(const struct cal_def *d, struct cal_ctx *ctx, struct bchan *chan,
		     struct cal_row *r)
{
	int ret;

	if (d->setup == CS_DEVNULL || d->setup == CS_RING_DEVNULL) {
		ctx->fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (ctx->fd < 0) {
			ret = -errno;
			snprintf(r->why, sizeof(r->why), "/dev/null: %s", strerror(-ret));
			return ret;
		}
	}
	if (d->setup == CS_RING_CHAN || d->setup == CS_RING_CHAN_FIXED) {
		ret = cspchan_bench_available(r->why, sizeof(r->why), 0);
		if (ret < 0)
			return -EOPNOTSUPP;
		chan->msg_size = CAL_MSG;
		chan->depth = BENCH_DEPTH_DEFAULT;
		ret = cspchan_bench_create(chan);
		if (ret < 0) {
			snprintf(r->why, sizeof(r->why), "%s", chan->note);
			return ret;
		}
		ctx->fd = chan->fd[0];
	}
	if (d->setup >= CS_RING) {
		ret = io_uring_queue_init(CAL_RING, &ctx->ring, 0);
		if (ret < 0) {
			snprintf(r->why, sizeof(r->why), "io_uring_queue_init: %s",
				 strerror(-ret));
			return -EOPNOTSUPP;
		}
		ctx->ring_ok = true;
	}
	if (d->setup == CS_RING_CHAN_FIXED) {
		ret = io_uring_register_files(&ctx->ring, &ctx->fd, 1);
		if (ret < 0) {
			snprintf(r->why, sizeof(r->why), "io_uring_register_files: %s",
				 strerror(-ret));
			return ret;
		}
		ctx->fixed = true;
	}
	return 0;
}

/* Steps for `seconds`; microseconds per operation, or -errno. */
static double cal_time(const struct cal_def *d, struct cal_ctx *ctx, double seconds,
		       uint64_t *ops, long *err)
{
	uint64_t t0 = now_ns(), t1, limit = (uint64_t)(seconds * 1e9), n = 0;
	long ret;

	do {
		ret = d->step(ctx);
		if (ret < 0) {
			*err = ret;
			return NAN;
		}
		n += (uint64_t)ret;
		t1 = now_ns();
	} while (t1 - t0 < limit);
	*ops += n;
	return (double)(t1 - t0) / 1e3 / (double)n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double quantile(const double *v, unsigned int n, double q)
{
	double pos = q * (n - 1);
	unsigned int lo = (unsigned int)pos;

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (v[lo + 1] - v[lo]) * (pos - lo);
}

static void cal_one(const struct cal_def *d, struct cal_row *r)
{
	struct cal_ctx ctx = { .fd = -1 };
	struct bchan chan = { .fd = { -1, -1 } };
	double s[CAL_RUNS];
	uint64_t warm = 0;
	unsigned int i;
	long err = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	r->id = d->id;
	r->what = d->what;
	r->per_call = d->per_call;
	r->msg_size = d->msg_size;
	r->median = r->min = r->max = r->q1 = r->q3 = NAN;
	memset(ctx.buf, 0x5a, sizeof(ctx.buf));

	ret = cal_setup(d, &ctx, &chan, r);
	if (ret < 0) {
		r->status = ret == -EOPNOTSUPP ? CAL_SKIPPED : CAL_FAILED;
		cal_teardown(&ctx, &chan);
		return;
	}
	cal_time(d, &ctx, CAL_WARMUP_SECONDS, &warm, &err);
	for (i = 0; !err && i < CAL_RUNS; i++)
		r->v[r->n++] = cal_time(d, &ctx, CAL_RUN_SECONDS, &r->ops, &err);
	cal_teardown(&ctx, &chan);
	if (err) {
		r->status = CAL_FAILED;
		snprintf(r->why, sizeof(r->why), "%s", ctx.why[0] ? ctx.why : strerror((int)-err));
		r->n = 0;
		return;
	}
	r->status = CAL_OK;
	memcpy(s, r->v, r->n * sizeof(s[0]));
	qsort(s, r->n, sizeof(s[0]), cmp_double);
	r->min = s[0];
	r->max = s[r->n - 1];
	r->median = quantile(s, r->n, 0.5);
	r->q1 = quantile(s, r->n, 0.25);
	r->q3 = quantile(s, r->n, 0.75);
}

unsigned int calibrate(void)
{
	uint64_t t0 = now_ns();
	unsigned int i, failed = 0;

	fprintf(stderr, "calibration:");
	for (i = 0; i < ARRAY_SIZE(cal_defs) && i < CAL_MAX_ROWS; i++) {
		struct cal_row *r = &bench_cal[i];

		cal_one(&cal_defs[i], r);
		if (r->status == CAL_OK)
			fprintf(stderr, " %s %.3g us", r->id, r->median);
		else
			fprintf(stderr, " %s %s", r->id,
				r->status == CAL_SKIPPED ? "skipped" : "FAILED");
		failed += r->status == CAL_FAILED;
	}
	fprintf(stderr, "\n");
	for (i = 0; i < ARRAY_SIZE(cal_defs) && i < CAL_MAX_ROWS; i++)
		if (bench_cal[i].status != CAL_OK)
			fprintf(stderr, "  %-20s %s: %s\n", bench_cal[i].id,
				bench_cal[i].status == CAL_SKIPPED ? "skipped" : "FAILED",
				bench_cal[i].why);
	bench_nr_cal = i;
	bench_cal_ran = true;
	bench_cal_seconds = (double)(now_ns() - t0) / 1e9;
	return failed;
}

const struct cal_row *cal_find(const char *id)
{
	unsigned int i;

	for (i = 0; i < bench_nr_cal; i++)
		if (!strcmp(bench_cal[i].id, id))
			return bench_cal[i].status == CAL_OK ? &bench_cal[i] : NULL;
	return NULL;
}

/* The median of metric 0 of a row that ran, or NAN. */
static double row_median(const char *workload, const char *transport)
{
	const struct row *r = find_row(workload, transport);

	if (!r || r->status != ROW_OK || !r->nr_metrics || !r->m[0].n)
		return NAN;
	return r->m[0].median;
}

static double floor_us(const char *id)
{
	const struct cal_row *r = cal_find(id);

	return r ? r->median : NAN;
}

/* The arithmetic of README.md, "Calibration". */
void cal_ceilings(struct cal_ceilings *c)
{
	c->solo_msg_s = row_median("solo-64", "cspchan");
	c->solo_us = c->solo_msg_s > 0 ? 1e6 / c->solo_msg_s : NAN;
	c->copy_floor_us = floor_us("uring-write-devnull");
	c->copy_msg_s = c->copy_floor_us > 0 ? 1e6 / c->copy_floor_us : NAN;
	c->cmd_floor_us = floor_us("uring-cmd");
	c->zc_msg_s = c->cmd_floor_us > 0 ? 1e6 / (2 * c->cmd_floor_us) : NAN;
	c->cmd_fixed_floor_us = floor_us("uring-cmd-fixed");
	c->zc_fixed_msg_s = c->cmd_fixed_floor_us > 0 ?
			    1e6 / (2 * c->cmd_fixed_floor_us) : NAN;
	c->mqueue_msg_s = row_median("tput-64", "mqueue");
	c->target_msg_s = URING_TARGET_X * c->mqueue_msg_s;
}

/* --- Reporting ------------------------------------------------------------------- */

static const char *fmt_rate(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "n/a");
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

static const char *fmt_us(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, v < 10 ? "%.3f" : "%.1f", v);
	return buf;
}

void report_calibration(FILE *f)
{
	struct cal_ceilings c;
	char a[32], b[32], d[32], e[72];
	unsigned int i;
	bool have_target;

	if (!bench_cal_ran)
		return;
	fprintf(f, "\nCalibration: per-operation floors, one process, same run "
		"(median and min..max of %u timed runs of %.2f s; us per operation)\n",
		CAL_RUNS, CAL_RUN_SECONDS);
	fprintf(f, "  %-20s %8s %9s %17s  %s\n", "floor", "per call", "us/op", "min..max",
		"what");
	for (i = 0; i < bench_nr_cal; i++) {
		const struct cal_row *r = &bench_cal[i];

		if (r->status != CAL_OK) {
			fprintf(f, "  %-20s %8u %s: %s\n", r->id, r->per_call,
				r->status == CAL_SKIPPED ? "skipped" : "FAILED", r->why);
			continue;
		}
		snprintf(e, sizeof(e), "%s..%s", fmt_us(a, sizeof(a), r->min),
			 fmt_us(b, sizeof(b), r->max));
		fprintf(f, "  %-20s %8u %9s %17s  %s\n", r->id, r->per_call,
			fmt_us(d, sizeof(d), r->median), e, r->what);
	}

	cal_ceilings(&c);
	if (!isnan(c.solo_us))
		fprintf(f, "  reference: the copy path, write(2) then read(2) of 64 B in one "
			"process, is solo-64/cspchan in the table (not re-measured): "
			"%s msg/s = %s us per message (send + receive)\n",
			fmt_rate(a, sizeof(a), c.solo_msg_s), fmt_us(b, sizeof(b), c.solo_us));
	else
		fprintf(f, "  reference: the copy path's send + receive cost in one process is "
			"the solo-64/cspchan row, which did not run here\n");

	have_target = !isnan(c.target_msg_s);
	fprintf(f, "\nio_uring ceiling at one operation per message per side "
		"(arithmetic on the floors above, not a measurement):\n");
	if (!isnan(c.copy_msg_s))
		fprintf(f, "  copy      >= %s us (uring-write-devnull) per message per side, "
			"each side on its own CPU (2 CPUs)  => at most %s msg/s\n",
			fmt_us(a, sizeof(a), c.copy_floor_us),
			fmt_rate(b, sizeof(b), c.copy_msg_s));
	else
		fprintf(f, "  copy      n/a (the uring-write-devnull floor was not measured)\n");
	if (!isnan(c.zc_msg_s)) {
		fprintf(f, "  zero-copy >= 2 x %s us (uring-cmd: 2 uring commands per message "
			"per side)  => at most %s msg/s",
			fmt_us(a, sizeof(a), c.cmd_floor_us), fmt_rate(b, sizeof(b), c.zc_msg_s));
		if (!isnan(c.zc_fixed_msg_s))
			fprintf(f, "; registered file: 2 x %s us => at most %s msg/s",
				fmt_us(a, sizeof(a), c.cmd_fixed_floor_us),
				fmt_rate(b, sizeof(b), c.zc_fixed_msg_s));
		fputc('\n', f);
	} else {
		fprintf(f, "  zero-copy n/a (the uring-cmd floor was not measured)\n");
	}
	if (have_target) {
		fprintf(f, "  target    io_uring copy path: %gx the mqueue tput-64 median in this run = %g x %s = %s msg/s",
			URING_TARGET_X, URING_TARGET_X, fmt_rate(a, sizeof(a), c.mqueue_msg_s),
			fmt_rate(b, sizeof(b), c.target_msg_s));
		if (!isnan(c.copy_msg_s) || !isnan(c.zc_msg_s)) {
			fprintf(f, "; ceiling / target:");
			if (!isnan(c.copy_msg_s))
				fprintf(f, " copy %.2fx", c.copy_msg_s / c.target_msg_s);
			if (!isnan(c.zc_msg_s))
				fprintf(f, "%s zero-copy %.2fx", isnan(c.copy_msg_s) ? "" : ",",
					c.zc_msg_s / c.target_msg_s);
			if (!isnan(c.zc_fixed_msg_s))
				fprintf(f, " (%.2fx with a registered file)",
					c.zc_fixed_msg_s / c.target_msg_s);
		}
		fputc('\n', f);
	} else {
		fprintf(f, "  target    io_uring copy path: %gx the mqueue tput-64 median in this run = n/a "
			"(tput-64/mqueue did not run)\n", URING_TARGET_X);
	}
}

/*
 * CSV: one line per floor (workload "calibration", metric "us/op") and per
 * derived figure (metric "msg/s", only a median, 0 repetitions), in the
 * rows' columns.
 */
static void csv_derived(FILE *f, const char *name, double v, const char *note)
{
	fprintf(f, "calibration,%s,calibration,0,1,0,,msg/s,msg/s,1,", name);
	report_csv_num(f, v);
	fprintf(f, ",,,,,0,,,,%s,\"%s\",\n", isnan(v) ? "skipped" : "ok", note);
}

void report_calibration_csv(FILE *f)
{
	struct cal_ceilings c;
	unsigned int i, v;

	if (!bench_cal_ran)
		return;
	for (i = 0; i < bench_nr_cal; i++) {
		const struct cal_row *r = &bench_cal[i];
		bool ok = r->status == CAL_OK;

		fprintf(f, "calibration,%s,calibration,%zu,1,0,,us/op,us,0,", r->id,
			r->msg_size);
		if (ok) {
			report_csv_quantiles(f, r->median, r->min, r->max, r->q1, r->q3);
			fprintf(f, ",%u,,,,ok,", r->n);
		} else {
			fprintf(f, ",,,,,0,,,,%s,", r->status == CAL_SKIPPED ? "skipped" : "failed");
		}
		fputc('"', f);
		for (const char *s = ok ? r->what : r->why; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputs("\",", f);
		for (v = 0; ok && v < r->n; v++)
			fprintf(f, "%s%.6g", v ? ";" : "", r->v[v]);
		fputc('\n', f);
	}
	cal_ceilings(&c);
	csv_derived(f, "ceiling-copy-uring", c.copy_msg_s,
		    "arithmetic: 1e6 / uring-write-devnull us (one request per message per side, sides in parallel)");
	csv_derived(f, "ceiling-zc-uring", c.zc_msg_s,
		    "arithmetic: 1e6 / (2 x uring-cmd us) (two uring commands per message per side)");
	csv_derived(f, "ceiling-zc-uring-fixed", c.zc_fixed_msg_s,
		    "arithmetic: 1e6 / (2 x uring-cmd-fixed us)");
	csv_derived(f, "target-uring", c.target_msg_s,
		    "io_uring copy-path target: 2 x tput-64/mqueue median in this run");
}

/* The "calibration" member of the JSON object (null if it did not run). */
void report_calibration_json(FILE *f)
{
	struct cal_ceilings c;
	unsigned int i;

	if (!bench_cal_ran) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"runs\": %u, \"run_seconds\": %g, \"elapsed_s\": %.1f, \"unit\": \"us/op\", "
		"\"floors\": [", CAL_RUNS, CAL_RUN_SECONDS, bench_cal_seconds);
	for (i = 0; i < bench_nr_cal; i++) {
		const struct cal_row *r = &bench_cal[i];

		fprintf(f, "%s\n    {\"id\": ", i ? "," : "");
		report_json_str(f, r->id);
		fprintf(f, ", \"what\": ");
		report_json_str(f, r->what);
		fprintf(f, ", \"per_call\": %u, \"msg_size\": %zu, \"status\": \"%s\"",
			r->per_call, r->msg_size,
			r->status == CAL_OK ? "ok" : r->status == CAL_SKIPPED ? "skipped" : "failed");
		if (r->status != CAL_OK) {
			fprintf(f, ", \"reason\": ");
			report_json_str(f, r->why);
			fputc('}', f);
			continue;
		}
		fprintf(f, ", \"median\": ");
		report_json_num(f, r->median);
		fprintf(f, ", \"min\": ");
		report_json_num(f, r->min);
		fprintf(f, ", \"max\": ");
		report_json_num(f, r->max);
		fprintf(f, ", \"q1\": ");
		report_json_num(f, r->q1);
		fprintf(f, ", \"q3\": ");
		report_json_num(f, r->q3);
		fprintf(f, ", \"ops\": %llu, \"values\": ", (unsigned long long)r->ops);
		report_json_nums(f, r->v, r->n);
		fputc('}', f);
	}
	cal_ceilings(&c);
	fprintf(f, "\n  ],\n  \"reference\": {\"solo_64_cspchan_msg_s\": ");
	report_json_num(f, c.solo_msg_s);
	fprintf(f, ", \"solo_64_cspchan_us_per_msg\": ");
	report_json_num(f, c.solo_us);
	fprintf(f, ", \"tput_64_mqueue_msg_s\": ");
	report_json_num(f, c.mqueue_msg_s);
	fprintf(f, "},\n  \"ceilings\": {\"note\": \"arithmetic on the floors, not measured\", "
		"\"copy_uring_msg_s\": ");
	report_json_num(f, c.copy_msg_s);
	fprintf(f, ", \"zc_uring_msg_s\": ");
	report_json_num(f, c.zc_msg_s);
	fprintf(f, ", \"zc_uring_fixed_msg_s\": ");
	report_json_num(f, c.zc_fixed_msg_s);
	fprintf(f, ", \"target_2x_mqueue_msg_s\": ");
	report_json_num(f, c.target_msg_s);
	fputs("}}", f);
}
