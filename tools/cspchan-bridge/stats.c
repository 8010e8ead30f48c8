// SPDX-License-Identifier: GPL-2.0
/*
 * The bridge's figures: a line on stderr every --stats seconds, and the
 * same figures as a Prometheus text file (--metrics FILE, replaced
 * atomically, for node_exporter's textfile collector or any scraper).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"

static struct {
	const char *direction;
	unsigned int interval;		/* seconds; 0: no stderr line */
	const char *metrics;		/* file, or NULL */
	uint64_t start_ns;
	uint64_t next_ns;		/* when the next tick is due */
	uint64_t last_ns;
	uint64_t last_moved;		/* out + in at the last tick */
	uint64_t lat_count;		/* at the last tick, for the interval's mean */
	uint64_t lat_sum_ns;
} sc;

uint64_t bridge_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void bridge_stats_latency(struct bridge_stats *st, uint64_t ns)
{
	st->lat_count++;
	st->lat_sum_ns += ns;
	if (ns > st->lat_max_ns)
		st->lat_max_ns = ns;
}

void bridge_stats_setup(struct bridge_stats *st, const char *direction,
			unsigned int interval, const char *metrics_file)
{
	memset(st, 0, sizeof(*st));
	sc.direction = direction;
	sc.interval = interval;
	sc.metrics = metrics_file;
	sc.last_ns = bridge_now_ns();
	sc.start_ns = sc.last_ns;
	sc.next_ns = sc.last_ns + (uint64_t)(interval ? interval : 1) * 1000000000ULL;
}

static void write_metrics(const struct bridge_stats *st)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", sc.metrics, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		bridge_log("cannot write %s: %s", tmp, strerror(errno));
		return;
	}
	fprintf(f,
		"# HELP cspchan_bridge_messages_total Messages moved, by direction.\n"
		"# TYPE cspchan_bridge_messages_total counter\n"
		"cspchan_bridge_messages_total{direction=\"out\"} %llu\n"
		"cspchan_bridge_messages_total{direction=\"in\"} %llu\n"
		"# HELP cspchan_bridge_inflight Messages taken and not yet settled.\n"
		"# TYPE cspchan_bridge_inflight gauge\n"
		"cspchan_bridge_inflight %llu\n"
		"# HELP cspchan_bridge_retries_total Publishes sent again.\n"
		"# TYPE cspchan_bridge_retries_total counter\n"
		"cspchan_bridge_retries_total %llu\n"
		"# HELP cspchan_bridge_duplicates_total Publishes the broker had stored before.\n"
		"# TYPE cspchan_bridge_duplicates_total counter\n"
		"cspchan_bridge_duplicates_total %llu\n"
		"# HELP cspchan_bridge_reconnects_total Broker connections re-established.\n"
		"# TYPE cspchan_bridge_reconnects_total counter\n"
		"cspchan_bridge_reconnects_total %llu\n"
		"# HELP cspchan_bridge_dead_letters_total Messages sent to the dead-letter channel.\n"
		"# TYPE cspchan_bridge_dead_letters_total counter\n"
		"cspchan_bridge_dead_letters_total %llu\n"
		"# HELP cspchan_bridge_blocked_seconds_total Time spent waiting for room in the channel.\n"
		"# TYPE cspchan_bridge_blocked_seconds_total counter\n"
		"cspchan_bridge_blocked_seconds_total %.3f\n"
		"# HELP cspchan_bridge_latency_seconds Broker latency: publish to ack, fetch to channel.\n"
		"# TYPE cspchan_bridge_latency_seconds summary\n"
		"cspchan_bridge_latency_seconds_sum %.6f\n"
		"cspchan_bridge_latency_seconds_count %llu\n"
		"# HELP cspchan_bridge_latency_max_seconds Largest broker latency seen.\n"
		"# TYPE cspchan_bridge_latency_max_seconds gauge\n"
		"cspchan_bridge_latency_max_seconds %.6f\n",
		(unsigned long long)st->out, (unsigned long long)st->in,
		(unsigned long long)st->inflight, (unsigned long long)st->retries,
		(unsigned long long)st->duplicates, (unsigned long long)st->reconnects,
		(unsigned long long)st->dead, st->held_ns / 1e9, st->lat_sum_ns / 1e9,
		(unsigned long long)st->lat_count, st->lat_max_ns / 1e9);
	if (fclose(f) || rename(tmp, sc.metrics)) {
		bridge_log("cannot write %s: %s", sc.metrics, strerror(errno));
		unlink(tmp);
	}
}

void bridge_stats_tick(struct bridge_stats *st, bool final)
{
	uint64_t now = bridge_now_ns(), moved = st->out + st->in;
	uint64_t dn = st->lat_count - sc.lat_count;
	double secs = (now - sc.last_ns) / 1e9;
	uint64_t base = sc.last_moved;

	if (final) {
		/* The whole run's rate, not the last fragment's. */
		secs = (now - sc.start_ns) / 1e9;
		base = 0;
	}

	if (!final && now < sc.next_ns)
		return;
	if (sc.interval || (final && moved)) {
		fprintf(stderr,
			"cspchan-bridge: %s: %s %llu (%.0f/s) inflight %llu latency %.2f ms (max %.2f) "
			"retries %llu duplicates %llu reconnects %llu dead %llu blocked %.1f s\n",
			final ? "total" : "stats", sc.direction,
			(unsigned long long)moved, secs > 0 ? (moved - base) / secs : 0.0,
			(unsigned long long)st->inflight,
			dn ? (st->lat_sum_ns - sc.lat_sum_ns) / 1e6 / (double)dn : 0.0,
			st->lat_max_ns / 1e6, (unsigned long long)st->retries,
			(unsigned long long)st->duplicates, (unsigned long long)st->reconnects,
			(unsigned long long)st->dead, st->held_ns / 1e9);
	}
	if (sc.metrics)
		write_metrics(st);
	sc.last_ns = now;
	sc.last_moved = moved;
	sc.lat_count = st->lat_count;
	sc.lat_sum_ns = st->lat_sum_ns;
	sc.next_ns = now + (uint64_t)(sc.interval ? sc.interval : 1) * 1000000000ULL;
}
