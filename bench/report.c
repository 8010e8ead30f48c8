// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-bench: the results — aligned table, CSV, JSON, and the targets
 * of README.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

/* --- Targets ------------------------------------------------------------------ */

struct target_cond {
	const char *ref;	/* transport compared with; NULL: an absolute bound */
	double bound;
	bool at_most;		/* ratio (or value) <= bound; else >= */
};

struct target {
	const char *what;
	const char *goal;
	enum transport_kind kind;	/* transports it judges (kind_is()) */
	const char *workload;
	const char *metric;
	struct target_cond cond[2];
	/*
	 * Also shown, for information: the judged row against cond[0].ref in
	 * this workload (ratio of the medians), e.g. the touching zero-copy
	 * rows against a pipe whose ends do not touch the payload.
	 */
	const char *also_vs;
	/* Only transports of exactly this kind (not TK_ZEROCOPY_URING for TK_URING). */
	bool exact_kind;
	/* Only this transport (with kind); when it does not exist: "no row". */
	const char *transport;
	/*
	 * Also shown: a reference transport that no transport of this kind
	 * can beat in this workload (its floor, or for a rate its bound),
	 * against cond[0].ref, so that a target beyond it reads as one.
	 */
	const char *floor;
	/* What the line says when no row qualifies (default: no <kind> transport). */
	const char *none;
	/* Also required: no message out of stamp order (TC_REORDER rows). */
	bool in_order;
	/* Also required: no io-wq worker in any process of the row. */
	bool no_iowq;
	/*
	 * Not judged on a row: the figure comes from here (NAN: not
	 * measured), against cond[0].bound.
	 */
	double (*value_fn)(void);
	const char *value_name;		/* what it is, for the line */
};

/* The table of README.md, in its order (issue 16's targets, then the ones kept). */
static const struct target targets[] = {
	{ "copy path, 64 B, 1->1 msg/s", ">= 1.5x mqueue, >= 1.0x pipe-pkt",
	  TK_COPY, "tput-64", "msg/s",
	  { { "mqueue", 1.5, false }, { "pipe-pkt", 1.0, false } }, .also_vs = NULL,
	  .floor = "kchan-min" },
	{ "io_uring copy path, 64 B, 1->1 msg/s", ">= 2x mqueue, in order, no io-wq",
	  TK_URING, "tput-64", "msg/s", { { "mqueue", 2.0, false } },
	  .exact_kind = true, .in_order = true, .no_iowq = true,
	  .floor = "kchan-min-uring" },
	{ "zero-copy vectored io_uring, 64 B msg/s", ">= 0.5x shm-ring-zc",
	  TK_ZEROCOPY_URING, "tput-64", "msg/s", { { "shm-ring-zc", 0.5, false } },
	  .transport = "cspchan-zcv-uring" },
	{ "zero-copy vectored io_uring, 4 KiB msg/s", ">= 0.5x shm-ring-zc",
	  TK_ZEROCOPY_URING, "tput-4k", "msg/s", { { "shm-ring-zc", 0.5, false } },
	  .transport = "cspchan-zcv-uring" },
	{ "4->4 one queue, 64 B msg/s", ">= 1.5x mqueue",
	  TK_COPY, "mpmc-64", "msg/s", { { "mqueue", 1.5, false } }, .also_vs = NULL,
	  .floor = "kchan-min" },
	{ "ping-pong p50 round trip, 64 B", "<= 0.9x pipe",
	  TK_COPY, "pingpong-64", "rtt p50", { { "pipe", 0.9, true } }, .also_vs = NULL,
	  .floor = "shm-ring-futex" },
	{ "ping-pong p50 round trip, 64 B, one CPU", "<= 0.9x pipe",
	  TK_COPY, "pingpong-64-1cpu", "rtt p50", { { "pipe", 0.9, true } }, .also_vs = NULL,
	  .floor = "shm-ring-futex" },
	{ "ping-pong p50 round trip, 64 B, opt-in busy-poll", "<= 0.2x pipe",
	  TK_BUSY_POLL, "pingpong-64", "rtt p50", { { "pipe", 0.2, true } },
	  .transport = "cspchan-busypoll" },
	{ "select: cost grows at most linearly with cases", "cost(64)/cost(1) <= 64",
	  TK_COPY, NULL, NULL, { { NULL, 64, true } },
	  .value_fn = scaling_select_growth, .value_name = "cspchan_select() cost(64)/cost(1)" },
	/* Kept from the earlier list. */
	/* Judged with every byte written and read (tput-64k-touch), see README.md. */
	{ "zero-copy, 64 KiB bytes/s, every byte written+read", ">= 3x pipe",
	  TK_ZEROCOPY, "tput-64k-touch", "msg/s", { { "pipe", 3.0, false } },
	  .also_vs = "tput-64k" },
	{ "wake-ups per message, blocked receiver", "<= 1.05",
	  TK_COPY, "wakeup-64", "wakeups/msg", { { NULL, 1.05, true } }, .also_vs = NULL },
};

enum verdict { V_MET, V_NOT_MET, V_NA, V_NO_ROW };

static const char * const verdict_name[] = {
	[V_MET] = "met", [V_NOT_MET] = "NOT MET", [V_NA] = "n/a", [V_NO_ROW] = "no row",
};

struct target_result {
	const struct target *tg;
	const struct row *row;		/* NULL: no row of that kind */
	enum verdict verdict;
	double value[2];		/* ratio (or value) per condition; NAN if unknown */
	char detail[200];
};

/*
 * A target over every row of its kind: met when the best row meets it
 * (e.g. the io_uring target: the better of cspchan-uring and
 * cspchan-zc-uring).
 */
#define TARGET_MAX_ROWS	8

struct target_eval {
	const struct target *tg;
	struct target_result best;
	unsigned int nr;
	struct target_result rows[TARGET_MAX_ROWS];	/* best first */
	char detail[400];
};

static const struct metric *row_metric(const struct row *r, const char *name)
{
	unsigned int k;

	if (!r || r->status != ROW_OK)
		return NULL;
	for (k = 0; k < r->nr_metrics; k++)
		if (!strcmp(r->m[k].name, name) && r->m[k].n)
			return &r->m[k];
	return NULL;
}

static void judge(const struct target *tg, const struct row *r,
		  struct target_result *res)
{
	const struct metric *m = row_metric(r, tg->metric);
	size_t len = 0;
	unsigned int c, k = 0;
	bool all = true;

	res->tg = tg;
	res->row = r;
	res->value[0] = res->value[1] = NAN;
	res->detail[0] = '\0';
	if (!m) {
		res->verdict = V_NA;
		snprintf(res->detail, sizeof(res->detail), "%s: row %s", r->t->name,
			 r->status == ROW_UNSELECTED ? "not run" :
			 r->status == ROW_SKIPPED ? "skipped" : "failed");
		return;
	}
	k = (unsigned int)(m - r->m);
	len = (size_t)snprintf(res->detail, sizeof(res->detail), "%s", r->t->name);
	for (c = 0; c < ARRAY_SIZE(tg->cond) && (tg->cond[c].ref || tg->cond[c].bound); c++) {
		const struct target_cond *tc = &tg->cond[c];
		double v;

		if (tc->ref) {
			v = metric_ratio(r, find_row(tg->workload, tc->ref), k);
			if (isnan(v)) {
				res->verdict = V_NA;
				snprintf(res->detail + len, sizeof(res->detail) - len,
					 " (no %s row to compare with)", tc->ref);
				return;
			}
		} else {
			v = m->median;
		}
		res->value[c] = v;
		if (tc->at_most ? !(v <= tc->bound) : !(v >= tc->bound))
			all = false;
		if (len < sizeof(res->detail))
			len += (size_t)snprintf(res->detail + len, sizeof(res->detail) - len,
						tc->ref ? "%s %.2fx %s" : "%s %.3f",
						c ? "," : "", v, tc->ref ? tc->ref : "");
	}
	if (tg->in_order && !(r->t->caps & TC_REORDER) && len < sizeof(res->detail))
		/* The consumer checked strict order: the row failed otherwise. */
		len += (size_t)snprintf(res->detail + len, sizeof(res->detail) - len,
					", in order");
	if (tg->in_order && (r->t->caps & TC_REORDER) && len < sizeof(res->detail)) {
		double base = r->sum.sent ? (double)r->sum.sent : 1;

		if (r->sum.reordered) {
			all = false;
			len += (size_t)snprintf(res->detail + len, sizeof(res->detail) - len,
						", %.2g%% out of order",
						100.0 * (double)r->sum.reordered / base);
		} else {
			len += (size_t)snprintf(res->detail + len, sizeof(res->detail) - len,
						", in order");
		}
	}
	if (tg->no_iowq && len < sizeof(res->detail)) {
		if (r->sum.iowq)
			all = false;
		if (r->sum.iowq)
			len += (size_t)snprintf(res->detail + len, sizeof(res->detail) - len,
						", %u io-wq worker%s", r->sum.iowq,
						r->sum.iowq == 1 ? "" : "s");
		else
			len += (size_t)snprintf(res->detail + len, sizeof(res->detail) - len,
						", no io-wq worker");
	}
	res->verdict = all ? V_MET : V_NOT_MET;
}

/* Is result a better than b?  Met beats not met beats n/a; then the value. */
static bool better(const struct target_result *a, const struct target_result *b)
{
	static const int rank[] = { [V_MET] = 3, [V_NOT_MET] = 2, [V_NA] = 1, [V_NO_ROW] = 0 };
	bool at_most = a->tg->cond[0].at_most;

	if (rank[a->verdict] != rank[b->verdict])
		return rank[a->verdict] > rank[b->verdict];
	if (isnan(b->value[0]))
		return !isnan(a->value[0]);
	if (isnan(a->value[0]))
		return false;
	return at_most ? a->value[0] < b->value[0] : a->value[0] > b->value[0];
}

/* The row's median in tg->workload against cond[0].ref in tg->also_vs. */
static double also_ratio(const struct target *tg, const struct row *r)
{
	const struct metric *m = row_metric(r, tg->metric);
	const struct metric *rm = row_metric(find_row(tg->also_vs, tg->cond[0].ref),
					      tg->metric);

	if (!m || !rm || !(rm->median > 0))
		return NAN;
	return m->median / rm->median;
}

/*
 * "; floor shm-ring-futex 0.93x pipe" (a time: nothing of the kind goes
 * below it) or "; bound kchan-min 1.31x mqueue" (a rate: nothing goes
 * above it): tg->floor against cond[0].ref.
 */
static void floor_detail(const struct target *tg, char *buf, size_t size)
{
	const char *word = tg->cond[0].at_most ? "floor" : "bound";
	const struct row *fr = find_row(tg->workload, tg->floor);
	const struct metric *m = row_metric(fr, tg->metric);
	double v = NAN;

	if (m)
		v = metric_ratio(fr, find_row(tg->workload, tg->cond[0].ref),
				 (unsigned int)(m - fr->m));
	if (isnan(v))
		snprintf(buf, size, "; %s %s not measured", word, tg->floor);
	else
		snprintf(buf, size, "; %s %s %.2fx %s", word, tg->floor, v,
			 tg->cond[0].ref);
}

static void evaluate_target(const struct target *tg, struct target_eval *ev)
{
	unsigned int j, k;
	size_t len;

	memset(ev, 0, sizeof(*ev));
	ev->tg = tg;
	if (tg->value_fn) {
		double v = tg->value_fn();
		bool ok = tg->cond[0].at_most ? v <= tg->cond[0].bound : v >= tg->cond[0].bound;

		ev->best = (struct target_result){ .tg = tg, .value = { v, NAN },
						   .verdict = isnan(v) ? V_NA :
							      ok ? V_MET : V_NOT_MET };
		if (isnan(v))
			snprintf(ev->best.detail, sizeof(ev->best.detail),
				 "%s: not measured (the scaling section did not run)",
				 tg->value_name);
		else
			snprintf(ev->best.detail, sizeof(ev->best.detail), "%s %.2f",
				 tg->value_name, v);
		snprintf(ev->detail, sizeof(ev->detail), "%s", ev->best.detail);
		return;
	}
	for (j = 0; j < bench_nr_rows && ev->nr < TARGET_MAX_ROWS; j++) {
		const struct row *r = &bench_rows[j];
		struct target_result tr;

		if (strcmp(r->w->id, tg->workload) || r->status == ROW_UNSELECTED)
			continue;
		if (tg->exact_kind ? r->t->kind != tg->kind : !kind_is(r->t->kind, tg->kind))
			continue;
		if (tg->transport && strcmp(r->t->name, tg->transport))
			continue;
		judge(tg, r, &tr);
		/* Insert, best first. */
		for (k = ev->nr; k > 0 && better(&tr, &ev->rows[k - 1]); k--)
			ev->rows[k] = ev->rows[k - 1];
		ev->rows[k] = tr;
		ev->nr++;
	}
	if (!ev->nr) {
		ev->best = (struct target_result){ .tg = tg, .verdict = V_NO_ROW,
						   .value = { NAN, NAN } };
		if (tg->none)
			snprintf(ev->best.detail, sizeof(ev->best.detail), "%s", tg->none);
		else if (tg->transport)
			snprintf(ev->best.detail, sizeof(ev->best.detail), "no %s row was run",
				 tg->transport);
		else
			snprintf(ev->best.detail, sizeof(ev->best.detail), "no %s transport %s",
				 kind_name(tg->kind),
				 tg->kind == TK_COPY ? "row was run" : "yet");
		snprintf(ev->detail, sizeof(ev->detail), "%s", ev->best.detail);
		return;
	}
	ev->best = ev->rows[0];
	len = 0;
	for (k = 0; k < ev->nr && len < sizeof(ev->detail); k++) {
		double also = tg->also_vs ? also_ratio(tg, ev->rows[k].row) : NAN;

		len += (size_t)snprintf(ev->detail + len, sizeof(ev->detail) - len, "%s%s",
					k == 0 ? "" : k == 1 ? "; also " : ", ",
					ev->rows[k].detail);
		if (!isnan(also) && len < sizeof(ev->detail))
			len += (size_t)snprintf(ev->detail + len, sizeof(ev->detail) - len,
						" (%.2fx %s in %s)", also, tg->cond[0].ref,
						tg->also_vs);
	}
	if (tg->floor && len < sizeof(ev->detail))
		floor_detail(tg, ev->detail + len, sizeof(ev->detail) - len);
}

unsigned int report_targets(FILE *f)
{
	struct target_eval ev;
	unsigned int i, unmet = 0;

	fprintf(f, "\nTargets (bench/README.md; a target is met when the best transport of its kind meets it):\n");
	for (i = 0; i < ARRAY_SIZE(targets); i++) {
		char what[140];

		evaluate_target(&targets[i], &ev);
		snprintf(what, sizeof(what), "%s %s", ev.tg->what, ev.tg->goal);
		fprintf(f, "  %-8s %-80s %s\n", verdict_name[ev.best.verdict], what,
			ev.detail);
		if (ev.best.verdict == V_NOT_MET)
			unmet++;
	}
	return unmet;
}

static const char *pin_name(int pin)
{
	return pin == PIN_SPREAD ? "spread" : pin == PIN_SAME ? "same" : "none";
}

/* --- Table ----------------------------------------------------------------------- */

static const char *fmt_num(char *buf, size_t len, double v, const char *unit)
{
	if (isnan(v)) {
		snprintf(buf, len, "-");
	} else if (!strcmp(unit, "msg/s")) {
		if (v >= 1e6)
			snprintf(buf, len, "%.2fM", v / 1e6);
		else if (v >= 1e3)
			snprintf(buf, len, "%.1fk", v / 1e3);
		else
			snprintf(buf, len, "%.0f", v);
	} else if (!strcmp(unit, "us")) {
		snprintf(buf, len, v < 100 ? "%.1f" : "%.0f", v);
	} else {
		snprintf(buf, len, "%.3f", v);
	}
	return buf;
}

static const char *fmt_ratio(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f", v);
	return buf;
}

static const char *fmt_size(char *buf, size_t len, size_t size)
{
	if (size >= 1024 && size % 1024 == 0)
		snprintf(buf, len, "%zu KiB", size / 1024);
	else
		snprintf(buf, len, "%zu B", size);
	return buf;
}

void report_table(FILE *f)
{
	const struct workload *prev = NULL;
	char med[32], lo[32], hi[32], range[72], mq[16], pp[16], mbs[16], csw[16];
	char spread[16], sz[32], metric[24];
	unsigned int i, k;

	fprintf(f, "\ncspchan-bench: %u repetition%s of %.2f s per row, queue depth %u, "
		"%ld CPUs, pinning %s%s; median and min..max of the repetitions\n",
		bench_opts.reps, bench_opts.reps == 1 ? "" : "s", bench_opts.rep_seconds,
		bench_opts.depth, sysconf(_SC_NPROCESSORS_ONLN), pin_name(bench_opts.pin),
		bench_opts.touch ? ", every payload byte written and checked" : "");
	fprintf(f, "x mqueue, x pipe: relative to the mqueue (pipe) row of the same workload "
		"(median of the ratios of paired repetitions);\n"
		"msg/s: higher is better, us and wakeups/msg: lower is better\n");

	for (i = 0; i < bench_nr_rows; i++) {
		const struct row *r = &bench_rows[i];

		if (r->status == ROW_UNSELECTED || r->w->scaling)
			continue;
		if (r->w != prev) {
			prev = r->w;
			char procs[32];

			if (r->w->consumers)
				snprintf(procs, sizeof(procs), "%u->%u processes",
					 r->w->producers, r->w->consumers);
			else
				snprintf(procs, sizeof(procs), "%u process", r->w->producers);
			fprintf(f, "\n%s (%s: %s, %s messages%s%s%s%s)\n",
				r->w->title, r->w->id, procs,
				fmt_size(sz, sizeof(sz), r->w->msg_size),
				r->w->unbuffered ? ", capacity 0" : "",
				r->w->one_cpu ? ", pinned to one CPU" : "",
				r->w->ref ? "; ratios against " : "", r->w->ref ? r->w->ref : "");
			fprintf(f, "  %-18s %5s %-11s %9s %21s %6s %8s %7s %8s %7s  %s\n",
				"transport", "depth", "metric", "median", "min..max", "spread",
				"x mqueue", "x pipe", "MiB/s", "csw/msg", "note");
		}
		if (r->status != ROW_OK) {
			fprintf(f, "  %-18s %s: %s\n", r->t->name,
				r->status == ROW_SKIPPED ? "skipped" : "FAILED", r->why);
			continue;
		}
		for (k = 0; k < r->nr_metrics; k++) {
			const struct metric *m = &r->m[k];

			fmt_num(med, sizeof(med), m->median, m->unit);
			fmt_num(lo, sizeof(lo), m->min, m->unit);
			fmt_num(hi, sizeof(hi), m->max, m->unit);
			snprintf(range, sizeof(range), "%s..%s", lo, hi);
			if (m->median > 0)
				snprintf(spread, sizeof(spread), "%.0f%%",
					 (m->max - m->min) / m->median * 100);
			else
				snprintf(spread, sizeof(spread), "-");
			if (r->w->kind == WK_STREAM || r->w->kind == WK_SOLO)
				snprintf(mbs, sizeof(mbs), "%.1f",
					 m->median * (double)r->w->msg_size / 1048576.0);
			else
				snprintf(mbs, sizeof(mbs), "-");
			if (k == 0 && !isnan(r->csw_median) && r->w->kind != WK_WAKEUP &&
			    r->w->kind != WK_SOLO)
				snprintf(csw, sizeof(csw), "%.3f", r->csw_median);
			else
				snprintf(csw, sizeof(csw), "-");
			snprintf(metric, sizeof(metric), "%s%s%s", m->name,
				 m->unit[0] && strcmp(m->unit, m->name) ? " " : "",
				 m->unit[0] && strcmp(m->unit, m->name) ? m->unit : "");
			fprintf(f, "  %-18s %5u %-11s %9s %21s %6s %8s %7s %8s %7s  %s\n",
				k ? "" : r->t->name, r->depth, metric, med, range, spread,
				fmt_ratio(mq, sizeof(mq), m->vs_mqueue),
				fmt_ratio(pp, sizeof(pp), m->vs_pipe), mbs, csw,
				k ? "" : r->note);
		}
	}
}

/* --- CSV ------------------------------------------------------------------------- */

void report_csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void report_csv_num(FILE *f, double v)
{
	if (!isnan(v))
		fprintf(f, "%.6g", v);
}

/* Median, min, max, first and third quartile, comma-separated. */
void report_csv_quantiles(FILE *f, double median, double min, double max,
			  double q1, double q3)
{
	const double v[] = { median, min, max, q1, q3 };
	unsigned int i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (i)
			fputc(',', f);
		report_csv_num(f, v[i]);
	}
}

static const char *status_name(enum row_status s)
{
	switch (s) {
	case ROW_OK:
		return "ok";
	case ROW_SKIPPED:
		return "skipped";
	case ROW_FAILED:
		return "failed";
	default:
		return "not-run";
	}
}

void report_csv(FILE *f)
{
	unsigned int i, k, v;

	fprintf(f, "workload,transport,kind,msg_size,producers,consumers,depth,metric,unit,"
		"higher_is_better,median,min,max,q1,q3,reps,vs_mqueue,vs_pipe,"
		"csw_per_msg,status,note,values\n");
	for (i = 0; i < bench_nr_rows; i++) {
		const struct row *r = &bench_rows[i];

		if (r->status == ROW_UNSELECTED)
			continue;
		for (k = 0; k < (r->nr_metrics ? r->nr_metrics : 1); k++) {
			const struct metric *m = &r->m[k];
			bool ok = r->status == ROW_OK;

			fprintf(f, "%s,%s,%s,%zu,%u,%u,", r->w->id, r->t->name,
				kind_name(r->t->kind), r->w->msg_size, r->w->producers,
				r->w->consumers);
			if (ok)
				fprintf(f, "%u", r->depth);
			fprintf(f, ",%s,%s,%d,", m->name ? m->name : "", m->unit ? m->unit : "",
				m->higher_better);
			if (ok) {
				report_csv_quantiles(f, m->median, m->min, m->max,
						     m->q1, m->q3);
				fprintf(f, ",%u,", m->n);
				report_csv_num(f, m->vs_mqueue);
				fputc(',', f);
				report_csv_num(f, m->vs_pipe);
				fputc(',', f);
				if (k == 0)
					report_csv_num(f, r->csw_median);
			} else {
				fputs(",,,,,0,,,", f);
			}
			fprintf(f, ",%s,", status_name(r->status));
			report_csv_str(f, ok ? r->note : r->why);
			fputc(',', f);
			for (v = 0; ok && v < m->n; v++)
				fprintf(f, "%s%.6g", v ? ";" : "", m->v[v]);
			fputc('\n', f);
		}
	}
	report_scaling_csv(f);
	report_calibration_csv(f);
}

/* --- JSON ------------------------------------------------------------------------ */

void report_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void report_json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.6g", v);
}

void report_json_nums(FILE *f, const double *v, unsigned int n)
{
	unsigned int i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		report_json_num(f, v[i]);
	}
	fputc(']', f);
}

static void json_values(FILE *f, const struct target_result *tr)
{
	fputc('[', f);
	report_json_num(f, tr->value[0]);
	if (tr->tg->cond[1].ref) {
		fputs(", ", f);
		report_json_num(f, tr->value[1]);
	}
	fputc(']', f);
}

void report_json(FILE *f, const char *started, double elapsed)
{
	struct target_eval ev;
	struct utsname u;
	unsigned int i, k;
	bool first = true;

	uname(&u);
	fprintf(f, "{\n  \"tool\": \"cspchan-bench\",\n  \"started\": ");
	report_json_str(f, started);
	fprintf(f, ",\n  \"elapsed_s\": %.1f,\n  \"system\": {\"kernel\": ", elapsed);
	report_json_str(f, u.release);
	fprintf(f, ", \"machine\": ");
	report_json_str(f, u.machine);
	fprintf(f, ", \"cpus\": %ld, \"guest\": %s},\n", sysconf(_SC_NPROCESSORS_ONLN),
		getenv("CSPCHAN_GUEST") ? "true" : "false");
	fprintf(f, "  \"options\": {\"reps\": %u, \"rep_seconds\": %g, \"warmup_seconds\": %g, "
		"\"scaling\": %s, \"scaling_reps\": %u, \"scaling_seconds\": %g, "
		"\"depth\": %u, \"touch\": %s, \"pin\": \"%s\", \"quick\": %s, "
		"\"calibrate_only\": %s},\n",
		bench_opts.reps, bench_opts.rep_seconds, bench_opts.warmup_seconds,
		bench_opts.scaling ? "true" : "false", bench_opts.scaling_reps,
		bench_opts.scaling_seconds,
		bench_opts.depth, bench_opts.touch ? "true" : "false",
		pin_name(bench_opts.pin),
		bench_opts.quick ? "true" : "false",
		bench_calibrate_only ? "true" : "false");

	fprintf(f, "  \"transports\": [");
	for (i = 0; i < bench_nr_transports; i++) {
		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		report_json_str(f, bench_transports[i]->name);
		fprintf(f, ", \"kind\": ");
		report_json_str(f, kind_name(bench_transports[i]->kind));
		fprintf(f, ", \"desc\": ");
		report_json_str(f, bench_transports[i]->desc);
		fputc('}', f);
	}
	fprintf(f, "\n  ],\n  \"rows\": [");
	for (i = 0; i < bench_nr_rows; i++) {
		const struct row *r = &bench_rows[i];

		if (r->status == ROW_UNSELECTED)
			continue;
		for (k = 0; k < (r->nr_metrics ? r->nr_metrics : 1); k++) {
			const struct metric *m = &r->m[k];

			fprintf(f, "%s\n    {\"workload\": ", first ? "" : ",");
			first = false;
			report_json_str(f, r->w->id);
			fprintf(f, ", \"title\": ");
			report_json_str(f, r->w->title);
			fprintf(f, ", \"transport\": ");
			report_json_str(f, r->t->name);
			fprintf(f, ", \"kind\": ");
			report_json_str(f, kind_name(r->t->kind));
			fprintf(f, ", \"msg_size\": %zu, \"producers\": %u, \"consumers\": %u, "
				"\"status\": ", r->w->msg_size, r->w->producers, r->w->consumers);
			report_json_str(f, status_name(r->status));
			fprintf(f, ", \"metric\": ");
			report_json_str(f, m->name ? m->name : "");
			fprintf(f, ", \"unit\": ");
			report_json_str(f, m->unit ? m->unit : "");
			fprintf(f, ", \"higher_is_better\": %s", m->higher_better ? "true" : "false");
			if (r->status != ROW_OK) {
				fprintf(f, ", \"reason\": ");
				report_json_str(f, r->why);
				fputc('}', f);
				continue;
			}
			fprintf(f, ", \"depth\": %u, \"note\": ", r->depth);
			report_json_str(f, r->note);
			fprintf(f, ", \"median\": ");
			report_json_num(f, m->median);
			fprintf(f, ", \"min\": ");
			report_json_num(f, m->min);
			fprintf(f, ", \"max\": ");
			report_json_num(f, m->max);
			fprintf(f, ", \"q1\": ");
			report_json_num(f, m->q1);
			fprintf(f, ", \"q3\": ");
			report_json_num(f, m->q3);
			fprintf(f, ", \"vs_mqueue\": ");
			report_json_num(f, m->vs_mqueue);
			fprintf(f, ", \"vs_pipe\": ");
			report_json_num(f, m->vs_pipe);
			fprintf(f, ", \"csw_per_msg\": ");
			report_json_num(f, k == 0 ? r->csw_median : NAN);
			if (r->w->kind == WK_STREAM) {
				fprintf(f, ", \"bytes_per_s\": ");
				report_json_num(f, m->median * (double)r->w->msg_size);
			}
			fprintf(f, ", \"messages\": %llu, \"values\": ", (unsigned long long)r->msgs);
			report_json_nums(f, m->v, m->n);
			fputc('}', f);
		}
	}
	fprintf(f, "\n  ],\n  \"targets\": [");
	/* --calibrate-only: no rows, nothing to judge. */
	for (i = 0; !bench_calibrate_only && i < ARRAY_SIZE(targets); i++) {
		evaluate_target(&targets[i], &ev);
		fprintf(f, "%s\n    {\"what\": ", i ? "," : "");
		report_json_str(f, ev.tg->what);
		fprintf(f, ", \"goal\": ");
		report_json_str(f, ev.tg->goal);
		fprintf(f, ", \"kind\": ");
		report_json_str(f, kind_name(ev.tg->kind));
		fprintf(f, ", \"workload\": ");
		report_json_str(f, ev.tg->workload ? ev.tg->workload : "scaling-select");
		fprintf(f, ", \"transport\": ");
		if (ev.best.row)
			report_json_str(f, ev.best.row->t->name);
		else
			fputs("null", f);
		fprintf(f, ", \"verdict\": ");
		report_json_str(f, verdict_name[ev.best.verdict]);
		fprintf(f, ", \"values\": ");
		json_values(f, &ev.best);
		fprintf(f, ", \"detail\": ");
		report_json_str(f, ev.detail);
		fprintf(f, ", \"rows\": [");
		for (k = 0; k < ev.nr; k++) {
			fprintf(f, "%s{\"transport\": ", k ? ", " : "");
			report_json_str(f, ev.rows[k].row->t->name);
			fprintf(f, ", \"verdict\": ");
			report_json_str(f, verdict_name[ev.rows[k].verdict]);
			fprintf(f, ", \"values\": ");
			json_values(f, &ev.rows[k]);
			if (ev.tg->also_vs) {
				fprintf(f, ", \"vs_%s_in_%s\": ", ev.tg->cond[0].ref,
					ev.tg->also_vs);
				report_json_num(f, also_ratio(ev.tg, ev.rows[k].row));
			}
			fputc('}', f);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n  ],\n  \"scaling\": ");
	report_scaling_json(f);
	fprintf(f, ",\n  \"calibration\": ");
	report_calibration_json(f);
	fprintf(f, "\n}\n");
}
