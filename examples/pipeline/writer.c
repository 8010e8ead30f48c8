// SPDX-License-Identifier: MIT
/*
 * writer: the ordered fan-in.  Events arrive from the enricher pool out of
 * order; the writer puts them back in the source's order with their
 * sequence numbers (a reorder window) and appends them to FILE as CSV.
 * A sequence number that never comes (lost with a killed worker) is
 * skipped once the window has moved WINDOW past it, and counted.
 *   writer DIR FILE
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

#define WINDOW 4096

static struct enriched window[WINDOW];
static unsigned char present[WINDOW];
static uint64_t next_seq, written, skipped;
static FILE *out;

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
	int in = open_input(CH_ENRICHED);
	double start = now_s(), delay_sum = 0;
	uint64_t received = 0, max_seq = 0;
	struct enriched e;
	ssize_t n;

	out = fopen(path, "a");
	if (!out)
		die(path, errno);
	while ((n = cspchan_recv(in, &e, sizeof(e))) > 0) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		delay_sum += (ts.tv_sec * 1e9 + ts.tv_nsec - e.source_ns) / 1e9;
		received++;
		if (e.ev.seq < next_seq)
			die("duplicate or late event", EPROTO);
		if (e.ev.seq >= next_seq + WINDOW)	/* a gap will never fill */
			flush(e.ev.seq - WINDOW + 1, 1);
		window[e.ev.seq % WINDOW] = e;
		present[e.ev.seq % WINDOW] = 1;
		if (e.ev.seq + 1 > max_seq)
			max_seq = e.ev.seq + 1;
		flush(max_seq, 0);
	}
	if (n < 0)
		die("recv", n);
	cspchan_unlink(CH_ENRICHED);	/* drained and shut: the name is done (ENOENT is fine) */
	flush(max_seq, 1);
	fclose(out);
	report(dir, "writer", received, written, now_s() - start);
	printf("writer: %llu events written in order to %s, %llu sequence numbers never arrived, mean delay source->writer %.1f ms\n",
	       (unsigned long long)written, path, (unsigned long long)skipped,
	       received ? delay_sum / received * 1e3 : 0.0);
	return 0;
}
