// SPDX-License-Identifier: MIT
/*
 * writer: the ordered fan-in.  Events arrive from the enricher pool out of
 * order, and at least once: a worker killed after forwarding an event but
 * before acknowledging it makes its channel deliver it again, so the event
 * comes twice.  The writer puts them back in the source's order with
 * their sequence numbers (a reorder window), drops the ones already
 * written or already waiting in the window (counted), and appends them to
 * FILE as CSV.  With leases nothing is lost, so the writer waits for a
 * missing sequence number as long as its window lasts; at end of stream
 * whatever never came (an event dead-lettered upstream) is listed in
 * DIR/writer.gaps, for run-demo to check against demo.dead.
 *
 * It acknowledges each event as soon as it is in the window: holding the
 * leases until the event is written would let a gap fill demo.enriched
 * with leased events and stop the pipeline.  (The writer is not one of
 * the workers the demo kills.)
 *   writer DIR FILE
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

#define WINDOW 65536

static struct enriched window[WINDOW];
static unsigned char present[WINDOW];
static uint64_t next_seq, written, skipped;
static FILE *out, *gaps;

static void emit(const struct enriched *e)
{
	fprintf(out, "%llu,u%u,%u.%02u,%s\n", (unsigned long long)e->ev.seq,
		e->ev.user, e->ev.amount_cents / 100, e->ev.amount_cents % 100,
		e->category);
	written++;
}

/* Write everything that is in order; with force, skip over gaps. */
static void flush(uint64_t upto, int force)
{
	while (next_seq < upto) {
		unsigned int i = next_seq % WINDOW;

		if (present[i]) {
			emit(&window[i]);
			present[i] = 0;
		} else if (force) {
			fprintf(gaps, "%llu\n", (unsigned long long)next_seq);
			skipped++;
		} else {
			break;
		}
		next_seq++;
	}
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	const char *path = argc > 2 ? argv[2] : "events.csv";
	int in = open_chan(CH_ENRICHED, O_RDONLY);
	double start = now_s(), delay_sum = 0;
	uint64_t received = 0, duplicates = 0, max_seq = 0;
	struct cspchan_msginfo info;
	struct enriched e;
	char gaps_path[512];
	ssize_t n;
	int err;

	out = fopen(path, "a");
	if (!out)
		die(path, errno);
	snprintf(gaps_path, sizeof(gaps_path), "%s/writer.gaps", dir);
	gaps = fopen(gaps_path, "w");
	if (!gaps)
		die(gaps_path, errno);
	while ((n = cspchan_recvmsg(in, &e, sizeof(e), &info)) > 0) {
		uint64_t seq = e.ev.seq;

		received++;
		delay_sum += (now_ns() - e.source_ns) / 1e9;
		if (seq < next_seq ||
		    (present[seq % WINDOW] && window[seq % WINDOW].ev.seq == seq)) {
			duplicates++;	/* written already, or waiting in the window */
		} else {
			if (seq >= next_seq + WINDOW)	/* the window is full */
				flush(seq - WINDOW + 1, 1);
			window[seq % WINDOW] = e;
			present[seq % WINDOW] = 1;
			if (seq + 1 > max_seq)
				max_seq = seq + 1;
			flush(max_seq, 0);
		}
		err = cspchan_ack(in, info.lease);
		if (err < 0)
			die("ack", err);
	}
	if (n < 0)
		die("recv", n);
	flush(max_seq, 1);
	fclose(out);
	fclose(gaps);
	report(dir, "writer", received, written, now_s() - start);
	printf("writer: %llu events written in order to %s, %llu duplicates dropped, %llu sequence numbers never arrived, mean delay decoder->writer %.1f ms\n",
	       (unsigned long long)written, path, (unsigned long long)duplicates,
	       (unsigned long long)skipped,
	       received ? delay_sum / received * 1e3 : 0.0);
	return 0;
}
