// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cspchan-top: a live per-channel view of cspchan traffic (rate, depth,
 * blocked senders and the time they spend blocked, leases and throttled
 * receivers), or log2 histograms of that blocked time, from the cspchan
 * module's tracepoints.
 *
 * The BPF side (cspchan_top.bpf.c) only counts; every figure shown for an
 * interval is the difference of two readings of its counters, so nothing
 * is lost between reading and clearing a map.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include <linux/cspchan.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cspchan_top.h"
#include "cspchan_top.skel.h"
#include "log2_hist.h"
#include "tp_format.h"

_Static_assert(CHAN_NAME_LEN == CSPCHAN_NAME_MAX,
	       "cspchan_top.h and <linux/cspchan.h> disagree on the name size");

static struct env {
	unsigned int interval;	/* seconds */
	unsigned int count;	/* intervals to run; 0: until Ctrl-C */
	bool hist;		/* histograms instead of the table */
	bool totals;		/* cumulative figures at exit */
	const char *name;	/* only this channel */
	bool verbose;
} env = {
	.interval = 1,
};

static volatile sig_atomic_t exiting;

/* The running module has the lease and throttle tracepoints (SPEC 9, 11). */
static bool have_lease, have_throttle;

const char *argp_program_version = "cspchan-top 0.1";
const char argp_program_doc[] =
"Show cspchan channels' message rate, depth and blocked senders.\n"
"\n"
"Each interval prints one line per channel: messages sent per second,\n"
"depth now and largest seen, capacity, senders blocked now, the 50th\n"
"and 99th percentile of the time sends spent blocked in the interval\n"
"(estimated from log2 buckets), messages leased now, redeliveries and\n"
"dead letters in the interval (lease channels), and receivers throttled\n"
"in the interval (paced channels; \"-\": the module has no such\n"
"tracepoint).  Needs the cspchan module loaded, and root.\n"
"\n"
"USAGE: cspchan-top [--help] [-i SEC] [-c COUNT] [--hist] [--totals]\n"
"                   [-n NAME]\n"
"\n"
"EXAMPLES:\n"
"    cspchan-top              # a table every second until Ctrl-C\n"
"    cspchan-top -i 5 -c 12   # every 5 seconds, for a minute\n"
"    cspchan-top --hist       # histograms of blocked-send time per channel\n"
"    cspchan-top -n jobs      # only the channel named \"jobs\"\n"
"    cspchan-top --totals     # also print totals since start at exit\n";

enum {
	OPT_HIST = 0x100,
	OPT_TOTALS,
};

static const struct argp_option opts[] = {
	{ "interval", 'i', "SEC", 0, "Print every SEC seconds (default 1)", 0 },
	{ "count", 'c', "COUNT", 0, "Exit after COUNT intervals", 0 },
	{ "hist", OPT_HIST, NULL, 0,
	  "Print log2 histograms of the time sends were blocked, per channel", 0 },
	{ "totals", OPT_TOTALS, NULL, 0,
	  "At exit, print cumulative figures since start (and lease and "
	  "throttle totals for channels that had any)", 0 },
	{ "name", 'n', "NAME", 0, "Show only the channel named NAME", 0 },
	{ "verbose", 'v', NULL, 0, "Verbose libbpf output", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help", 0 },
	{},
};

static unsigned int parse_uint(const char *arg, const char *what,
			       struct argp_state *state)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || v == 0 || v > INT_MAX)
		argp_error(state, "invalid %s '%s': want a positive integer",
			   what, arg);
	return v;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'i':
		env.interval = parse_uint(arg, "interval", state);
		break;
	case 'c':
		env.count = parse_uint(arg, "count", state);
		break;
	case OPT_HIST:
		env.hist = true;
		break;
	case OPT_TOTALS:
		env.totals = true;
		break;
	case 'n':
		if (!*arg || strlen(arg) >= CHAN_NAME_LEN)
			argp_error(state, "a channel name has 1 to %d bytes",
				   CHAN_NAME_LEN - 1);
		env.name = arg;
		break;
	case 'v':
		env.verbose = true;
		break;
	case 'h':
		argp_state_help(state, stderr, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_ARG:
		argp_usage(state);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int libbpf_print_fn(enum libbpf_print_level level, const char *format,
			   va_list args)
{
	if (level == LIBBPF_DEBUG && !env.verbose)
		return 0;
	return vfprintf(stderr, format, args);
}

static void sig_handler(int sig)
{
	(void)sig;
	exiting = 1;
}

/* --- Record layout check ------------------------------------------------ */

/*
 * cspchan_top.h describes the tracepoint records by hand (the module has no
 * BTF).  They are compared with the format files the running module
 * publishes, so that a module with another layout is refused, not misread.
 */
#define FIELD(ev, type, field)						\
	{ ev, #field, __builtin_offsetof(struct trace_event_raw_##type, field) }

static const struct tp_field record_fields[] = {
	FIELD("cspchan_create", cspchan_chan, id),
	FIELD("cspchan_create", cspchan_chan, name),
	FIELD("cspchan_create", cspchan_chan, depth),
	FIELD("cspchan_create", cspchan_chan, capacity),
	FIELD("cspchan_destroy", cspchan_chan, id),
	FIELD("cspchan_destroy", cspchan_chan, depth),
	FIELD("cspchan_shutdown", cspchan_chan, id),
	FIELD("cspchan_shutdown", cspchan_chan, depth),
	FIELD("cspchan_send", cspchan_msg, id),
	FIELD("cspchan_send", cspchan_msg, name),
	FIELD("cspchan_send", cspchan_msg, depth),
	FIELD("cspchan_send", cspchan_msg, capacity),
	FIELD("cspchan_recv", cspchan_msg, id),
	FIELD("cspchan_recv", cspchan_msg, depth),
	FIELD("cspchan_block", cspchan_block, id),
	FIELD("cspchan_block", cspchan_block, depth),
	FIELD("cspchan_block", cspchan_block, op),
	FIELD("cspchan_wake", cspchan_wake, id),
	FIELD("cspchan_wake", cspchan_wake, depth),
	FIELD("cspchan_wake", cspchan_wake, op),
	FIELD("cspchan_wake", cspchan_wake, blocked_ns),
};

/* Checked only when the running module has these events. */
static const struct tp_field lease_fields[] = {
	FIELD("cspchan_lease", cspchan_lease, id),
	FIELD("cspchan_lease", cspchan_lease, name),
	FIELD("cspchan_lease", cspchan_lease, depth),
	FIELD("cspchan_lease", cspchan_lease, leased),
	FIELD("cspchan_lease", cspchan_lease, deliveries),
	FIELD("cspchan_lease", cspchan_lease, event),
};

static const struct tp_field throttle_fields[] = {
	FIELD("cspchan_throttle", cspchan_throttle, id),
	FIELD("cspchan_throttle", cspchan_throttle, name),
	FIELD("cspchan_throttle", cspchan_throttle, depth),
	FIELD("cspchan_throttle", cspchan_throttle, wait_ns),
};

#define NR(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Compare the records with the format files.  The lease and throttle
 * events are optional: on a module without them the tool runs without
 * their programs.
 */
static int check_records(void)
{
	if (tp_check_fields("cspchan", record_fields, NR(record_fields)))
		return -1;
	have_lease = tp_event_exists("cspchan", "cspchan_lease");
	have_throttle = tp_event_exists("cspchan", "cspchan_throttle");
	if (have_lease && tp_check_fields("cspchan", lease_fields,
					  NR(lease_fields)))
		return -1;
	if (have_throttle && tp_check_fields("cspchan", throttle_fields,
					     NR(throttle_fields)))
		return -1;
	if (env.verbose && (!have_lease || !have_throttle))
		fprintf(stderr, "the module has no %s%s%s tracepoint: its "
			"columns show \"-\"\n",
			have_lease ? "" : "cspchan_lease",
			!have_lease && !have_throttle ? " or " : "",
			have_throttle ? "" : "cspchan_throttle");
	return 0;
}

/* --- Channels ------------------------------------------------------------ */

/* What user space knows of one channel: two readings of its record. */
struct chan_row {
	__u64 id;
	struct chan_stats prev;	/* at the start of the interval */
	struct chan_stats cur;	/* now */
	bool seen;		/* in the map at the last reading */
	bool gone;		/* destroyed and already shown as such */
};

static struct chan_row *rows;
static size_t nr_rows, rows_size;

/* The row of @id, inserted (zeroed) if new; rows stay sorted by id. */
static struct chan_row *row_get(__u64 id)
{
	size_t lo = 0, hi = nr_rows, mid;
	struct chan_row *r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (rows[mid].id == id)
			return &rows[mid];
		if (rows[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (nr_rows == rows_size) {
		size_t size = rows_size ? 2 * rows_size : 64;

		r = realloc(rows, size * sizeof(*rows));
		if (!r)
			return NULL;
		rows = r;
		rows_size = size;
	}
	memmove(&rows[lo + 1], &rows[lo], (nr_rows - lo) * sizeof(*rows));
	nr_rows++;
	r = &rows[lo];
	memset(r, 0, sizeof(*r));
	r->id = id;
	return r;
}

/*
 * Take a new reading of every channel.  A destroyed channel's record is
 * final; it is deleted from the map once read (its row keeps the figures).
 */
static int read_channels(int map_fd)
{
	__u64 key, next, *prev_key = NULL;
	__u64 doomed[64];
	unsigned int nr_doomed = 0, i;
	struct chan_stats st;
	struct chan_row *r;
	int err;

	for (i = 0; i < nr_rows; i++)
		rows[i].seen = false;
	while (bpf_map_get_next_key(map_fd, prev_key, &next) == 0) {
		key = next;
		prev_key = &key;
		if (bpf_map_lookup_elem(map_fd, &key, &st))
			continue;	/* deleted meanwhile */
		r = row_get(key);
		if (!r)
			return -ENOMEM;
		r->cur = st;
		r->seen = true;
		if (st.destroyed && nr_doomed < sizeof(doomed) / sizeof(doomed[0]))
			doomed[nr_doomed++] = key;
	}
	for (i = 0; i < nr_doomed; i++) {
		err = bpf_map_delete_elem(map_fd, &doomed[i]);
		if (err && errno != ENOENT)
			return -errno;
	}
	return 0;
}

/* Rows to show for the interval just read, busiest first. */
static int by_rate(const void *a, const void *b)
{
	const struct chan_row *x = *(const struct chan_row *const *)a;
	const struct chan_row *y = *(const struct chan_row *const *)b;
	__u64 dx = x->cur.sent - x->prev.sent, dy = y->cur.sent - y->prev.sent;

	if (dx != dy)
		return dx < dy ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static size_t interval_rows(struct chan_row **shown)
{
	size_t i, n = 0;

	for (i = 0; i < nr_rows; i++)
		if (rows[i].seen && !rows[i].gone)
			shown[n++] = &rows[i];
	qsort(shown, n, sizeof(*shown), by_rate);
	return n;
}

/* A percentile of blocked-send time, formatted into the array @buf. */
#define PCT_CELL(buf, slots, pct)					\
	fmt_usecs(buf, sizeof(buf), log2_hist_percentile(slots, MAX_SLOTS, pct))

static void interval_hist(const struct chan_row *r, __u32 *slots)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++)
		slots[i] = r->cur.send_hist[i] - r->prev.send_hist[i];
}

/* A count into the array @buf, or "-" when its tracepoint is missing. */
#define COUNT_CELL(buf, have, v)					\
	((have) ? (snprintf(buf, sizeof(buf), "%llu",			\
			    (unsigned long long)(v)), buf) : "-")

static void print_table(struct chan_row **shown, size_t n, double secs)
{
	char p50[16], p99[16], leased[16], redeliv[24], dead[24], thr[24];
	__u32 slots[MAX_SLOTS];
	size_t i;

	printf("%-16s %6s %9s %6s %8s %6s %7s %8s %8s %6s %7s %6s %8s\n",
	       "NAME", "ID", "RATE/s", "DEPTH", "MAXDEPTH", "CAP", "BLOCKED",
	       "p50", "p99", "LEASED", "REDELIV", "DEAD", "THROTTLE");
	for (i = 0; i < n; i++) {
		const struct chan_row *r = shown[i];
		const struct chan_stats *c = &r->cur, *p = &r->prev;

		interval_hist(r, slots);
		printf("%-16s %6llu %9.1f %6u %8u %6u %7lld %8s %8s %6s %7s %6s %8s%s\n",
		       c->name[0] ? c->name : "(anon)", (unsigned long long)r->id,
		       (c->sent - p->sent) / secs, c->depth, c->max_depth,
		       c->capacity,
		       (long long)(c->senders_blocked > 0 ? c->senders_blocked : 0),
		       PCT_CELL(p50, slots, 50),
		       PCT_CELL(p99, slots, 99),
		       COUNT_CELL(leased, have_lease, c->leased),
		       COUNT_CELL(redeliv, have_lease,
				  c->redelivered - p->redelivered),
		       COUNT_CELL(dead, have_lease,
				  c->lease_events[CSPCHAN_LEASE_DEAD] -
				  p->lease_events[CSPCHAN_LEASE_DEAD]),
		       COUNT_CELL(thr, have_throttle, c->throttles - p->throttles),
		       c->destroyed ? "  (destroyed)" : "");
	}
}

static void print_hist_header(const struct chan_row *r, __u64 blocks)
{
	printf("\nchannel = %s, id %llu: %llu blocked sends\n",
	       r->cur.name[0] ? r->cur.name : "(anon)",
	       (unsigned long long)r->id, (unsigned long long)blocks);
}

static void print_interval_hists(struct chan_row **shown, size_t n)
{
	__u32 slots[MAX_SLOTS];
	__u64 blocks;
	size_t i;

	for (i = 0; i < n; i++) {
		interval_hist(shown[i], slots);
		blocks = log2_hist_total(slots, MAX_SLOTS);
		if (!blocks)
			continue;
		print_hist_header(shown[i], blocks);
		print_log2_hist(slots, MAX_SLOTS, "usecs");
	}
}

static bool has_lease_or_throttle(const struct chan_stats *c)
{
	int i;

	for (i = 0; i < CSPCHAN_LEASE_EVENTS; i++)
		if (c->lease_events[i])
			return true;
	return c->throttles != 0;
}

/*
 * Lease events by kind, redeliveries (deliveries after a message's first),
 * the most deliveries of one message, messages leased now, and throttled
 * receives with the waits for a token the module told them: only for
 * channels that had any.
 */
static void print_lease_totals(void)
{
	const struct chan_stats *c;
	bool header = false;
	size_t i;

	for (i = 0; i < nr_rows; i++) {
		c = &rows[i].cur;
		if (!has_lease_or_throttle(c))
			continue;
		if (!header) {
			printf("\nLeases and throttling since start:\n");
			printf("%-16s %6s %8s %8s %8s %8s %6s %8s %8s %6s %9s %9s\n",
			       "NAME", "ID", "GRANTED", "ACKED", "RETURNED",
			       "REVOKED", "DEAD", "REDELIV", "MAXDELIV", "LEASED",
			       "THROTTLED", "WAIT-ms");
			header = true;
		}
		printf("%-16s %6llu %8llu %8llu %8llu %8llu %6llu %8llu %8u %6u %9llu %9.1f\n",
		       c->name[0] ? c->name : "(anon)",
		       (unsigned long long)rows[i].id,
		       (unsigned long long)c->lease_events[CSPCHAN_LEASE_GRANTED],
		       (unsigned long long)c->lease_events[CSPCHAN_LEASE_ACKED],
		       (unsigned long long)c->lease_events[CSPCHAN_LEASE_RETURNED],
		       (unsigned long long)c->lease_events[CSPCHAN_LEASE_REVOKED],
		       (unsigned long long)c->lease_events[CSPCHAN_LEASE_DEAD],
		       (unsigned long long)c->redelivered, c->max_deliveries,
		       c->leased, (unsigned long long)c->throttles,
		       c->throttle_wait_ns / 1e6);
	}
}

static void print_totals(void)
{
	char p50[16], p99[16];
	size_t i;

	printf("\nTotals since start:\n");
	printf("%-16s %6s %9s %9s %8s %6s %8s %10s %8s %8s\n", "NAME", "ID",
	       "SENT", "RECV", "MAXDEPTH", "CAP", "BLOCKS", "BLOCKED-ms",
	       "p50", "p99");
	for (i = 0; i < nr_rows; i++) {
		const struct chan_stats *c = &rows[i].cur;

		printf("%-16s %6llu %9llu %9llu %8u %6u %8llu %10.1f %8s %8s\n",
		       c->name[0] ? c->name : "(anon)",
		       (unsigned long long)rows[i].id,
		       (unsigned long long)c->sent,
		       (unsigned long long)c->received, c->max_depth,
		       c->capacity, (unsigned long long)c->send_blocks,
		       c->send_blocked_ns / 1e6,
		       PCT_CELL(p50, c->send_hist, 50),
		       PCT_CELL(p99, c->send_hist, 99));
	}
	print_lease_totals();
	if (!env.hist)
		return;
	for (i = 0; i < nr_rows; i++) {
		const __u32 *slots = rows[i].cur.send_hist;
		__u64 blocks = log2_hist_total(slots, MAX_SLOTS);

		if (!blocks)
			continue;
		print_hist_header(&rows[i], blocks);
		print_log2_hist(slots, MAX_SLOTS, "usecs");
	}
}

/* Show the interval just read, then make "now" the next interval's start. */
static int print_interval(double secs)
{
	struct chan_row **shown;
	char ts[32];
	time_t t;
	size_t n, i;

	shown = calloc(nr_rows ? nr_rows : 1, sizeof(*shown));
	if (!shown)
		return -ENOMEM;
	n = interval_rows(shown);

	time(&t);
	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
	printf("\n%s\n", ts);
	if (env.hist)
		print_interval_hists(shown, n);
	else
		print_table(shown, n, secs);
	fflush(stdout);

	for (i = 0; i < n; i++)
		shown[i]->gone = shown[i]->cur.destroyed;
	for (i = 0; i < nr_rows; i++)
		rows[i].prev = rows[i].cur;
	free(shown);
	return 0;
}

static double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		.options = opts,
		.parser = parse_arg,
		.doc = argp_program_doc,
	};
	struct sigaction sa = { .sa_handler = sig_handler };
	struct cspchan_top_bpf *obj;
	unsigned int done = 0;
	double start, end;
	int err, map_fd;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return err;

	/* Each interval reaches a pipe or file at once, not at exit. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print_fn);

	if (check_records())
		return 1;

	obj = cspchan_top_bpf__open();
	if (!obj) {
		fprintf(stderr, "failed to open BPF object\n");
		return 1;
	}
	if (env.name) {
		obj->rodata->filter_name = true;
		strncpy((char *)obj->rodata->targ_name, env.name, CHAN_NAME_LEN - 1);
	}
	/* An older module: attaching to a missing tracepoint would fail. */
	if (!have_lease)
		bpf_program__set_autoload(obj->progs.handle_lease, false);
	if (!have_throttle)
		bpf_program__set_autoload(obj->progs.handle_throttle, false);

	err = cspchan_top_bpf__load(obj);
	if (err) {
		fprintf(stderr, "failed to load BPF object: %d\n", err);
		goto cleanup;
	}
	err = cspchan_top_bpf__attach(obj);
	if (err) {
		fprintf(stderr, "failed to attach BPF programs: %d\n", err);
		goto cleanup;
	}
	map_fd = bpf_map__fd(obj->maps.channels);

	/* No SA_RESTART: a signal cuts the interval's sleep short. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	printf("Tracing cspchan channels%s%s... Hit Ctrl-C to end.\n",
	       env.name ? " named " : "", env.name ? env.name : "");

	start = now_secs();
	while (!exiting) {
		sleep(env.interval);
		end = now_secs();
		err = read_channels(map_fd);
		if (!err)
			err = print_interval(end - start);
		if (err) {
			fprintf(stderr, "failed to read the channels: %s\n",
				strerror(-err));
			break;
		}
		start = end;
		if (env.count && ++done == env.count)
			break;
	}
	if (!err && env.totals)
		print_totals();

cleanup:
	cspchan_top_bpf__destroy(obj);
	free(rows);
	return err != 0;
}
