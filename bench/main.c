// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-bench: how cspchan compares with the IPC facilities Linux
 * already has.  See README.md for what is measured and how to read it.
 *
 * Every row is one workload (workloads.c) over one transport
 * (transports.c), repeated; the table shows the median with the spread,
 * and the ratio to the POSIX message queue and to the pipe in the same
 * workload.  Targets (README.md) are checked at the end.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

struct bench_opts bench_opts = {
	.reps = 7,
	.rep_seconds = 0.5,
	.warmup_seconds = 0.2,
	.depth = BENCH_DEPTH_DEFAULT,
	.wakeup_max = 1000,
	.scaling = true,
	.scaling_reps = 5,
	.scaling_seconds = 0.3,
};

struct row *bench_rows;
unsigned int bench_nr_rows;
bool bench_calibrate_only;

static const char *only[64];
static unsigned int nr_only;
static const char *skip[16];
static unsigned int nr_skip;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: cspchan-bench [options]\n"
"\n"
"Measure cspchan (copy path, io_uring, zero-copy) against POSIX message\n"
"queues, pipes, AF_UNIX SEQPACKET sockets and a shared-memory ring: the\n"
"path's own cost (one process), 1->1 throughput at 64 B, 4 KiB, 64 KiB\n"
"(also with every byte written and read), ping-pong latency, 4->4 on one\n"
"queue, unbuffered rendezvous and wake-ups per message.  Prints a table,\n"
"then the scaling table (N->N on one queue and N pairs with a queue each\n"
"for N = 1..16, select over 1, 8 and 64 channels against poll and epoll,\n"
"kernel memory per idle channel), then which targets of bench/README.md\n"
"are met, then the calibration: the per-operation floors (system call,\n"
"io_uring request, uring command) that bound the io_uring figures,\n"
"measured in one process after the rows.\n"
"\n"
"  --quick          few short repetitions (a smoke test)\n"
"  --only PATTERN   run only rows WORKLOAD/TRANSPORT matching PATTERN (a glob;\n"
"                   without wildcards, a substring); repeatable, or comma-\n"
"                   separated.  The mqueue and pipe rows the ratios need are\n"
"                   run too, unless --no-ref\n"
"  --no-ref         with --only: do not add the reference rows\n"
"  --skip PATTERN   leave out rows matching PATTERN (as --only; repeatable)\n"
"  --reps N         repetitions per row (default %u, --quick 2)\n"
"  --time SECONDS   wall time of one repetition (default %.2f, --quick 0.15)\n"
"  --depth N        queue depth in messages for every transport (default %u)\n"
"  --no-scaling     leave out the scaling section (its rows, select, memory)\n"
"  --scaling-only   only the scaling section (the same as --only 'scale-*')\n"
"  --scaling-reps N repetitions of a scaling row (default %u, --quick 2)\n"
"  --scaling-time S wall time of one (default %.2f, --quick 0.1)\n"
"  --pin MODE       none (default): the scheduler places the processes;\n"
"                   spread: process i on CPU i mod ncpus; same: all on one CPU\n"
"  --touch          write and check every payload byte (default: only the\n"
"                   8-byte stamps at both ends of each message)\n"
"  --csv FILE       write the results as CSV\n"
"  --json FILE      write the results as JSON\n"
"  --strict         exit with status 3 when a target is not met\n"
"  --calibrate-only measure only the calibration floors (about 2 s), no rows\n"
"  --list           list the rows and exit\n"
"  -v, --verbose    print every repetition\n"
"  -h, --help       this text\n"
"\n"
"Exit status: 0 done, 1 a row failed, 2 usage, 3 (--strict) a target not met.\n",
		bench_opts.reps, bench_opts.rep_seconds, bench_opts.depth,
		bench_opts.scaling_reps, bench_opts.scaling_seconds);
}

const char *kind_name(enum transport_kind kind)
{
	switch (kind) {
	case TK_COPY:
		return "copy";
	case TK_URING:
		return "io_uring";
	case TK_ZEROCOPY:
		return "zero-copy";
	case TK_ZEROCOPY_URING:
		return "zero-copy+io_uring";
	case TK_BUSY_POLL:
		return "copy+busy-poll";
	default:
		return "peer";
	}
}

struct row *find_row(const char *workload, const char *transport)
{
	unsigned int i;

	for (i = 0; i < bench_nr_rows; i++)
		if (!strcmp(bench_rows[i].w->id, workload) &&
		    !strcmp(bench_rows[i].t->name, transport))
			return &bench_rows[i];
	return NULL;
}

/* Is name in list (comma-separated names), or is there no list? */
static bool name_listed(const char *list, const char *name)
{
	const char *p = list;
	size_t len = strlen(name);

	if (!p)
		return true;
	while (*p) {
		if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
			return true;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return false;
}

/* Is name in w->only, or has w no such list? */
bool workload_has_transport(const struct workload *w, const char *name)
{
	return name_listed(w->only, name);
}

/* Does the transport fit the workload at all? */
static bool row_applies(const struct workload *w, const struct transport *t)
{
	size_t max = t->max_msg;

	if ((t->caps & w->need_caps) != w->need_caps)
		return false;
	if (w->only && !workload_has_transport(w, t->name))
		return false;
	if (!name_listed(t->workloads, w->id))
		return false;
	if (w->scaling && !bench_opts.scaling)
		return false;
	if (w->consumers > 1 || w->producers > 1) {
		if (t->max_mpmc_msg)
			max = t->max_mpmc_msg;
	}
	return !max || w->msg_size <= max;
}

static bool pattern_matches(const char *pat, const char *name)
{
	if (strpbrk(pat, "*?["))
		return fnmatch(pat, name, 0) == 0;
	return strstr(name, pat) != NULL;
}

static bool row_selected(const struct row *r)
{
	char name[128];
	unsigned int i;

	snprintf(name, sizeof(name), "%s/%s", r->w->id, r->t->name);
	for (i = 0; i < nr_skip; i++)
		if (pattern_matches(skip[i], name))
			return false;
	if (!nr_only)
		return true;
	for (i = 0; i < nr_only; i++)
		if (pattern_matches(only[i], name))
			return true;
	return false;
}

static void mark_ref(const char *workload, const char *transport)
{
	struct row *r = find_row(workload, transport);

	if (r && r->status == ROW_UNSELECTED)
		r->status = ROW_OK;
}

static void build_rows(bool add_refs)
{
	unsigned int i, j, n = 0;
	struct row *r;

	bench_rows = calloc((size_t)bench_nr_workloads * bench_nr_transports,
			    sizeof(*bench_rows));
	if (!bench_rows) {
		perror("cspchan-bench");
		exit(1);
	}
	for (i = 0; i < bench_nr_workloads; i++) {
		for (j = 0; j < bench_nr_transports; j++) {
			if (!row_applies(&bench_workloads[i], bench_transports[j]))
				continue;
			r = &bench_rows[n++];
			r->w = &bench_workloads[i];
			r->t = bench_transports[j];
			r->csw_median = NAN;
		}
	}
	bench_nr_rows = n;

	for (i = 0; i < n; i++)
		bench_rows[i].status = row_selected(&bench_rows[i]) ? ROW_OK : ROW_UNSELECTED;
	if (!nr_only || !add_refs)
		return;
	/* The rows the ratios and the targets of selected rows compare with. */
	for (i = 0; i < n; i++) {
		const struct workload *w = bench_rows[i].w;
		const char *ref = w->ref ? w->ref : w->id;

		if (bench_rows[i].status != ROW_OK || bench_rows[i].t->kind == TK_PEER)
			continue;
		mark_ref(ref, "mqueue");
		mark_ref(ref, "pipe");
		/* What the targets and the scaling table compare with. */
		if (!strcmp(w->id, "tput-64"))
			mark_ref("tput-64", "pipe-pkt");
		if (!strcmp(w->id, "tput-64") || !strcmp(w->id, "tput-4k"))
			mark_ref(w->id, "shm-ring-zc");
		/* The ping-pong targets show the wake-up floor beside them. */
		if (w->kind == WK_PINGPONG)
			mark_ref(w->id, "shm-ring-futex");
		/* The copy-path targets, the minimal kernel channel's bound. */
		if (!strcmp(w->id, "tput-64") || !strcmp(w->id, "mpmc-64"))
			mark_ref(w->id, "kchan-min");
		if (!strcmp(w->id, "tput-64") && bench_rows[i].t->kind == TK_URING)
			mark_ref(w->id, "kchan-min-uring");
		if (w->scaling)
			mark_ref(w->id, "pipe-pkt");
	}
	for (i = 0; i < n; i++) {
		const struct workload *w = bench_rows[i].w;

		if (bench_rows[i].status == ROW_OK && w->ref) {
			mark_ref(w->ref, "mqueue");
			mark_ref(w->ref, "pipe");
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Linear interpolation between closest ranks of sorted v[n]. */
static double quantile(const double *v, unsigned int n, double q)
{
	double pos = q * (n - 1), frac;
	unsigned int lo = (unsigned int)pos;

	if (lo + 1 >= n)
		return v[n - 1];
	frac = pos - lo;
	return v[lo] + (v[lo + 1] - v[lo]) * frac;
}

static void metric_stats(struct metric *m)
{
	double s[BENCH_MAX_REPS];

	if (!m->n)
		return;
	memcpy(s, m->v, m->n * sizeof(s[0]));
	qsort(s, m->n, sizeof(s[0]), cmp_double);
	m->min = s[0];
	m->max = s[m->n - 1];
	m->median = quantile(s, m->n, 0.5);
	m->q1 = quantile(s, m->n, 0.25);
	m->q3 = quantile(s, m->n, 0.75);
}

static double median_of(double *v, unsigned int n)
{
	double s[BENCH_MAX_REPS];

	if (!n)
		return NAN;
	memcpy(s, v, n * sizeof(s[0]));
	qsort(s, n, sizeof(s[0]), cmp_double);
	return quantile(s, n, 0.5);
}

static void row_init_metrics(struct row *r)
{
	switch (r->w->kind) {
	case WK_STREAM:
	case WK_SOLO:
		r->nr_metrics = 1;
		r->m[0] = (struct metric){ .name = "msg/s", .unit = "msg/s",
					   .higher_better = true };
		break;
	case WK_PINGPONG:
		r->nr_metrics = 2;
		r->m[0] = (struct metric){ .name = "rtt p50", .unit = "us" };
		r->m[1] = (struct metric){ .name = "rtt p99", .unit = "us" };
		break;
	case WK_WAKEUP:
		r->nr_metrics = 1;
		r->m[0] = (struct metric){ .name = "wakeups/msg", .unit = "" };
		break;
	}
}

static const char *fmt_value(char *buf, size_t len, double v, const char *unit)
{
	if (!strcmp(unit, "msg/s")) {
		if (v >= 1e6)
			snprintf(buf, len, "%.2fM", v / 1e6);
		else if (v >= 1e3)
			snprintf(buf, len, "%.1fk", v / 1e3);
		else
			snprintf(buf, len, "%.0f", v);
	} else if (!strcmp(unit, "us")) {
		snprintf(buf, len, "%.1f us", v);
	} else {
		snprintf(buf, len, "%.3f", v);
	}
	return buf;
}

static void row_fail(struct row *r, int ret, const char *why)
{
	snprintf(r->why, sizeof(r->why), "%s", why[0] ? why : strerror(-ret));
	r->status = ret == -EOPNOTSUPP ? ROW_SKIPPED : ROW_FAILED;
}

/* One repetition of a row; false if the row is now skipped or failed. */
static bool run_row_rep(struct row *r, double seconds, bool keep)
{
	struct rep_result res;
	char why[160] = "";
	int ret;

	ret = run_rep(r->w, r->t, seconds, &res, why, sizeof(why));
	if (ret < 0) {
		row_fail(r, ret, why);
		return false;
	}
	if (!keep)
		return true;
	r->depth = res.depth;
	snprintf(r->note, sizeof(r->note), "%s", res.note);
	r->m[0].v[r->m[0].n++] = res.value;
	if (r->nr_metrics > 1)
		r->m[1].v[r->m[1].n++] = res.value2;
	r->csw[r->m[0].n - 1] = res.csw_per_msg;
	r->msgs += res.msgs;
	r->sum.sent += res.sent;
	r->sum.retries += res.retries;
	r->sum.tr_reordered += res.tr_reordered;
	r->sum.bursts[0] += res.bursts[0];
	r->sum.bursts[1] += res.bursts[1];
	r->sum.reordered += res.reordered;
	if (res.max_shift > r->sum.max_shift)
		r->sum.max_shift = res.max_shift;
	if (res.iowq > r->sum.iowq)
		r->sum.iowq = res.iowq;
	return true;
}

/* Append to the row's note what its repetitions counted (see struct rep_result). */
static void row_finish_note(struct row *r)
{
	size_t len = strlen(r->note), size = sizeof(r->note);
	double base = r->sum.sent ? (double)r->sum.sent : 1;

#define NOTE(...)							\
	do {								\
		if (len + 3 < size)					\
			len += (size_t)snprintf(r->note + len, size - len,	\
						__VA_ARGS__);		\
	} while (0)
	if ((r->t->caps & TC_REORDER) && r->w->kind == WK_STREAM) {
		if (r->sum.reordered)
			NOTE("%s%.2g%% out of order, by <= %llu", len ? "; " : "",
			     100.0 * (double)r->sum.reordered / base,
			     (unsigned long long)r->sum.max_shift);
		else
			NOTE("%sall in order", len ? "; " : "");
	}
	if (r->sum.tr_reordered)
		NOTE("%s%.2g%% completed out of order, put back", len ? "; " : "",
		     100.0 * (double)r->sum.tr_reordered / base);
	if (r->sum.bursts[0] && r->sum.bursts[1])
		NOTE("%s%.1f msgs per send burst, %.1f per receive burst",
		     len ? "; " : "", base / (double)r->sum.bursts[1],
		     base / (double)r->sum.bursts[0]);
	if (r->sum.retries)
		NOTE("%s%llu retried (-EINTR)", len ? "; " : "",
		     (unsigned long long)r->sum.retries);
	if ((r->t->caps & TC_IO_URING) && r->w->kind == WK_STREAM) {
		if (r->sum.iowq)
			NOTE("%s%u io-wq worker%s", len ? "; " : "", r->sum.iowq,
			     r->sum.iowq == 1 ? "" : "s");
		else
			NOTE("%sno io-wq worker", len ? "; " : "");
	}
#undef NOTE
	if (len >= size)
		r->note[size - 1] = '\0';
}

/*
 * Run the selected rows of one workload.  The repetitions are
 * interleaved — the first of every transport, then the second of every
 * transport, ... — so that a slow spell of the machine (another guest,
 * the host's scheduler) falls on all the transports compared in the
 * workload rather than on one of them.
 */
static unsigned int run_workload(const struct workload *w, unsigned int done,
				 unsigned int total, const int *avail,
				 char (*avail_why)[160])
{
	struct row *rows[64];
	unsigned int nr = 0, i, k, rep, failed = 0;
	unsigned int reps = w->scaling ? bench_opts.scaling_reps : bench_opts.reps;
	double secs = w->scaling ? bench_opts.scaling_seconds : bench_opts.rep_seconds;
	double warmup = bench_opts.warmup_seconds;
	char a[32];

	if (w->scaling && warmup > secs / 2)
		warmup = secs / 2;

	for (i = 0; i < bench_nr_rows && nr < ARRAY_SIZE(rows); i++) {
		struct row *r = &bench_rows[i];
		unsigned int t;

		if (r->w != w || r->status != ROW_OK)
			continue;
		row_init_metrics(r);
		for (t = 0; t < bench_nr_transports; t++)
			if (bench_transports[t] == r->t)
				break;
		if (t < bench_nr_transports && avail[t] < 0) {
			r->status = ROW_SKIPPED;
			snprintf(r->why, sizeof(r->why), "%s", avail_why[t]);
			fprintf(stderr, "  %-18s skipped: %s\n", r->t->name, r->why);
			continue;
		}
		rows[nr++] = r;
	}
	fprintf(stderr, "[%u/%u] %s:", done + nr, total, w->id);
	for (i = 0; i < nr; i++)
		fprintf(stderr, " %s", rows[i]->t->name);
	fprintf(stderr, "\n");

	if (warmup > 0 && w->kind != WK_WAKEUP)
		for (i = 0; i < nr; i++)
			run_row_rep(rows[i], warmup, false);
	for (rep = 0; rep < reps; rep++) {
		if (bench_opts.verbose)
			fprintf(stderr, "  rep %u:", rep + 1);
		for (i = 0; i < nr; i++) {
			struct row *r = rows[i];

			if (r->status != ROW_OK)
				continue;
			if (!run_row_rep(r, secs, true))
				continue;
			if (bench_opts.verbose)
				fprintf(stderr, " %s %s", r->t->name,
					fmt_value(a, sizeof(a), r->m[0].v[r->m[0].n - 1],
						  r->m[0].unit));
		}
		if (bench_opts.verbose)
			fprintf(stderr, "\n");
	}

	for (i = 0; i < nr; i++) {
		struct row *r = rows[i];

		if (r->status != ROW_OK) {
			fprintf(stderr, "  %-18s %s: %s\n", r->t->name,
				r->status == ROW_SKIPPED ? "skipped" : "FAILED", r->why);
			failed += r->status == ROW_FAILED;
			continue;
		}
		for (k = 0; k < r->nr_metrics; k++)
			metric_stats(&r->m[k]);
		r->csw_median = median_of(r->csw, r->m[0].n);
		row_finish_note(r);
		if (bench_opts.verbose)
			fprintf(stderr, "  %-18s %s %s\n", r->t->name,
				fmt_value(a, sizeof(a), r->m[0].median, r->m[0].unit),
				r->m[0].name);
	}
	return failed;
}

/*
 * Metric k of row r relative to the same metric of row ref.  When both
 * ran the same repetitions of one workload (interleaved, so that
 * repetition i of each ran back to back), the median of the paired
 * ratios r[i] / ref[i]: a slow spell of the machine then cancels out
 * instead of landing on one side.  Otherwise the ratio of the medians.
 * NAN if there is nothing to compare.
 */
double metric_ratio(const struct row *r, const struct row *ref, unsigned int k)
{
	const struct metric *m, *rm;
	double ratios[BENCH_MAX_REPS];
	unsigned int i;

	if (!r || !ref || r->status != ROW_OK || ref->status != ROW_OK ||
	    k >= r->nr_metrics || k >= ref->nr_metrics)
		return NAN;
	m = &r->m[k];
	rm = &ref->m[k];
	if (!m->n || !rm->n || strcmp(m->name, rm->name) || !(rm->median > 0))
		return NAN;
	if (r->w != ref->w || m->n != rm->n)
		return m->median / rm->median;
	for (i = 0; i < m->n; i++) {
		if (!(rm->v[i] > 0))
			return m->median / rm->median;
		ratios[i] = m->v[i] / rm->v[i];
	}
	return median_of(ratios, m->n);
}

/* Every metric's ratio to the same metric of mqueue and pipe in the reference workload. */
static void compute_ratios(void)
{
	unsigned int i, k;

	for (i = 0; i < bench_nr_rows; i++) {
		struct row *r = &bench_rows[i];
		const char *refw = r->w->ref ? r->w->ref : r->w->id;

		for (k = 0; k < r->nr_metrics; k++) {
			r->m[k].vs_mqueue = metric_ratio(r, find_row(refw, "mqueue"), k);
			r->m[k].vs_pipe = metric_ratio(r, find_row(refw, "pipe"), k);
		}
	}
}

static FILE *open_out(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		fprintf(stderr, "cspchan-bench: %s: %s\n", path, strerror(errno));
	return f;
}

static void on_signal(int sig)
{
	bench_restore_system();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void add_skip(char *arg)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (nr_skip == ARRAY_SIZE(skip)) {
			fprintf(stderr, "cspchan-bench: too many --skip patterns\n");
			exit(2);
		}
		skip[nr_skip++] = tok;
	}
}

static void add_only(char *arg)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (nr_only == ARRAY_SIZE(only)) {
			fprintf(stderr, "cspchan-bench: too many --only patterns\n");
			exit(2);
		}
		only[nr_only++] = tok;
	}
}

static double parse_number(const char *opt, const char *arg, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr, "cspchan-bench: %s wants a number in %g..%g, got '%s'\n",
			opt, lo, hi, arg);
		exit(2);
	}
	return v;
}

/*
 * CSPCHAN_BENCH_ZV_BURST (the cspchan-zcv-uring burst, t_cspchan_zc.c) is
 * read here once into bench_opts.zv_burst, and refused like a bad option
 * rather than ignored.
 */
static void read_zv_burst(void)
{
	const char *s = getenv("CSPCHAN_BENCH_ZV_BURST");
	double v;

	if (!s || !*s)
		return;
	v = parse_number("CSPCHAN_BENCH_ZV_BURST", s, 1, BENCH_MAX_BATCH);
	if (v != (double)(unsigned int)v) {
		fprintf(stderr, "cspchan-bench: CSPCHAN_BENCH_ZV_BURST wants a whole number, got '%s'\n",
			s);
		exit(2);
	}
	bench_opts.zv_burst = (unsigned int)v;
}

enum {
	OPT_QUICK = 256, OPT_ONLY, OPT_NO_REF, OPT_REPS, OPT_TIME, OPT_DEPTH,
	OPT_TOUCH, OPT_PIN, OPT_CSV, OPT_JSON, OPT_STRICT, OPT_LIST,
	OPT_CALIBRATE_ONLY, OPT_NO_SCALING, OPT_SCALING_ONLY, OPT_SCALING_REPS,
	OPT_SCALING_TIME, OPT_SKIP,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "no-ref", no_argument, NULL, OPT_NO_REF },
		{ "skip", required_argument, NULL, OPT_SKIP },
		{ "reps", required_argument, NULL, OPT_REPS },
		{ "time", required_argument, NULL, OPT_TIME },
		{ "depth", required_argument, NULL, OPT_DEPTH },
		{ "touch", no_argument, NULL, OPT_TOUCH },
		{ "pin", required_argument, NULL, OPT_PIN },
		{ "csv", required_argument, NULL, OPT_CSV },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "calibrate-only", no_argument, NULL, OPT_CALIBRATE_ONLY },
		{ "no-scaling", no_argument, NULL, OPT_NO_SCALING },
		{ "scaling-only", no_argument, NULL, OPT_SCALING_ONLY },
		{ "scaling-reps", required_argument, NULL, OPT_SCALING_REPS },
		{ "scaling-time", required_argument, NULL, OPT_SCALING_TIME },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *csv = NULL, *json = NULL;
	bool add_refs = true, list = false, strict = false, reps_set = false;
	bool time_set = false, sreps_set = false, stime_set = false;
	bool scaling_only = false;
	static char scale_pattern[] = "scale-*";
	unsigned int i, j, n, failed = 0, cal_failed, unmet = 0;
	char avail_why[64][160];
	int avail[64];
	char started[32];
	time_t start_wall = time(NULL);
	uint64_t t_start = now_ns();
	double elapsed, estimate = 0;
	size_t max_msg = 0;
	bool scaling_rows = false;
	FILE *f;
	int opt;

	while ((opt = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_QUICK:
			bench_opts.quick = true;
			break;
		case OPT_ONLY:
			add_only(optarg);
			break;
		case OPT_NO_REF:
			add_refs = false;
			break;
		case OPT_SKIP:
			add_skip(optarg);
			break;
		case OPT_REPS:
			bench_opts.reps = (unsigned int)parse_number("--reps", optarg, 1,
								     BENCH_MAX_REPS);
			reps_set = true;
			break;
		case OPT_TIME:
			bench_opts.rep_seconds = parse_number("--time", optarg, 0.01, 60);
			time_set = true;
			break;
		case OPT_DEPTH:
			bench_opts.depth = (unsigned int)parse_number("--depth", optarg, 1, 4096);
			break;
		case OPT_TOUCH:
			bench_opts.touch = true;
			break;
		case OPT_PIN:
			if (!strcmp(optarg, "none")) {
				bench_opts.pin = PIN_NONE;
			} else if (!strcmp(optarg, "spread")) {
				bench_opts.pin = PIN_SPREAD;
			} else if (!strcmp(optarg, "same")) {
				bench_opts.pin = PIN_SAME;
			} else {
				fprintf(stderr, "cspchan-bench: --pin wants none, spread or same\n");
				return 2;
			}
			break;
		case OPT_CSV:
			csv = optarg;
			break;
		case OPT_JSON:
			json = optarg;
			break;
		case OPT_STRICT:
			strict = true;
			break;
		case OPT_LIST:
			list = true;
			break;
		case OPT_CALIBRATE_ONLY:
			bench_calibrate_only = true;
			break;
		case OPT_NO_SCALING:
			bench_opts.scaling = false;
			break;
		case OPT_SCALING_ONLY:
			scaling_only = true;
			break;
		case OPT_SCALING_REPS:
			bench_opts.scaling_reps = (unsigned int)parse_number("--scaling-reps",
									     optarg, 1,
									     BENCH_MAX_REPS);
			sreps_set = true;
			break;
		case OPT_SCALING_TIME:
			bench_opts.scaling_seconds = parse_number("--scaling-time", optarg,
								  0.01, 60);
			stime_set = true;
			break;
		case 'v':
			bench_opts.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cspchan-bench: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	read_zv_burst();
	if (bench_opts.quick) {
		if (!reps_set)
			bench_opts.reps = 2;
		if (!time_set)
			bench_opts.rep_seconds = 0.15;
		bench_opts.warmup_seconds = 0;
		bench_opts.wakeup_max = 100;
		if (!sreps_set)
			bench_opts.scaling_reps = 2;
		if (!stime_set)
			bench_opts.scaling_seconds = 0.1;
	}
	if (scaling_only) {
		bench_opts.scaling = true;
		add_only(scale_pattern);
	}

	build_rows(add_refs);
	if (bench_calibrate_only)
		for (i = 0; i < bench_nr_rows; i++)
			bench_rows[i].status = ROW_UNSELECTED;
	if (list) {
		for (i = 0; i < bench_nr_rows; i++)
			printf("%s/%s%s\n", bench_rows[i].w->id, bench_rows[i].t->name,
			       bench_rows[i].status == ROW_UNSELECTED ? "  (not selected)" : "");
		return 0;
	}

	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", gmtime(&start_wall));
	if (bench_calibrate_only) {
		signal(SIGPIPE, SIG_IGN);
		failed = calibrate();
		elapsed = (double)(now_ns() - t_start) / 1e9;
		report_calibration(stdout);
		printf("\ncalibration in %.1f s%s\n", elapsed,
		       failed ? "; SOME FLOORS FAILED" : "");
		fflush(stdout);
		goto write_files;
	}
	for (i = 0; i < bench_nr_rows; i++)
		if (bench_rows[i].status == ROW_OK && bench_rows[i].w->msg_size > max_msg)
			max_msg = bench_rows[i].w->msg_size;
	bench_tune_system(bench_opts.depth, max_msg);
	atexit(bench_restore_system);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);

	for (j = 0; j < bench_nr_transports && j < ARRAY_SIZE(avail); j++) {
		avail_why[j][0] = '\0';
		avail[j] = bench_transports[j]->available ?
			bench_transports[j]->available(avail_why[j], sizeof(avail_why[j])) : 0;
	}

	for (i = n = 0; i < bench_nr_rows; i++) {
		if (bench_rows[i].status != ROW_OK)
			continue;
		n++;
		if (bench_rows[i].w->scaling) {
			estimate += bench_opts.scaling_reps *
				    (bench_opts.scaling_seconds + 0.1) +
				    fmin(bench_opts.warmup_seconds,
					 bench_opts.scaling_seconds / 2);
			scaling_rows = true;
			continue;
		}
		estimate += bench_opts.reps * (bench_opts.rep_seconds + 0.05);
		if (bench_rows[i].w->kind != WK_WAKEUP)
			estimate += bench_opts.warmup_seconds;
	}
	estimate += 2;	/* the calibration */
	if (scaling_rows)
		estimate += 15;	/* select and memory */
	fprintf(stderr, "cspchan-bench: %u rows, %u repetitions of %.2f s each (about %.0f s)\n",
		n, bench_opts.reps, bench_opts.rep_seconds, estimate);

	for (i = 0, j = 0; i < bench_nr_workloads; i++) {
		unsigned int k, nr = 0;

		for (k = 0; k < bench_nr_rows; k++)
			nr += bench_rows[k].w == &bench_workloads[i] &&
			      bench_rows[k].status == ROW_OK;
		if (!nr)
			continue;
		failed += run_workload(&bench_workloads[i], j, n, avail, avail_why);
		j += nr;
	}
	compute_ratios();
	/* Select and memory: only with the scaling rows. */
	if (scaling_rows)
		failed += scaling_measure();
	elapsed = (double)(now_ns() - t_start) / 1e9;
	/* After the rows, so that they run as they did without it. */
	cal_failed = calibrate();

	report_table(stdout);
	if (scaling_rows)
		report_scaling(stdout);
	unmet = report_targets(stdout);
	report_calibration(stdout);
	printf("\n%u rows in %.0f s%s%s\n", n, elapsed, failed ? "; SOME ROWS FAILED" : "",
	       cal_failed ? "; SOME CALIBRATION FLOORS FAILED" : "");
	fflush(stdout);
	failed += cal_failed;

write_files:
	f = csv ? open_out(csv) : NULL;
	if (f) {
		report_csv(f);
		if (fclose(f))
			failed++;
	} else if (csv) {
		failed++;
	}
	f = json ? open_out(json) : NULL;
	if (f) {
		report_json(f, started, elapsed);
		if (fclose(f))
			failed++;
	} else if (json) {
		failed++;
	}
	if (failed)
		return 1;
	return strict && unmet ? 3 : 0;
}
