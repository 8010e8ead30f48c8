/* SPDX-License-Identifier: MIT */
/*
 * The pipeline demo's shared pieces: channel names, the record that
 * travels between stages, and the little each stage needs to report.
 *
 *   source --events--> decoder x3 --decoded--> enricher x2 --enriched--> writer
 *
 * Every producer creates its output channel (create-or-open, with
 * CSPCHAN_AUTOCLOSE) and every consumer opens its input by name.  When the
 * last producer of a channel exits, auto-close shuts the channel down, its
 * consumers drain it and see end of stream, and shutdown flows downstream.
 */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <cspchan.h>

#define CH_EVENTS	"demo.events"
#define CH_DECODED	"demo.decoded"
#define CH_ENRICHED	"demo.enriched"

/* A decoded event, as decoders send it. */
struct event {
	uint64_t seq;		/* the source's numbering: restores order */
	uint32_t user;
	uint32_t amount_cents;
};

/* An enriched event, as enrichers send it. */
struct enriched {
	struct event ev;
	char category[16];
	uint64_t source_ns;	/* when the source sent it (queueing delay) */
};

/*
 * A worker's progress, in a file it maps shared, so that the numbers
 * survive a SIGKILL: taken - forwarded is what the worker lost.
 */
struct progress {
	uint64_t taken;
	uint64_t forwarded;
	uint64_t last_seq;
};

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int open_input(const char *name);
int create_output(const char *name, unsigned int capacity, unsigned int msg_size);
struct progress *progress_map(const char *dir, const char *stage);
void report(const char *dir, const char *stage, uint64_t in, uint64_t out,
	    double seconds);
void die(const char *what, long err);

#endif
