/* SPDX-License-Identifier: MIT */
/*
 * The pipeline demo's shared pieces: channel names, the records that
 * travel between stages, and the little each stage needs to report.
 *
 *   source --events--> decoder x3 --decoded--> enricher x2 --enriched--> writer
 *            (lease,               (lease, paced)  |      (lease)
 *             3 deliveries,                        | cspchan_call()
 *             then demo.dead)                      v
 *                                    demo.lookup --> lookup x2 (reply on info.fd)
 *
 * Every producer creates its output channel (create-or-open) and every
 * consumer opens its input by name.  The three pipeline channels are
 * lease channels: a stage receives with cspchan_recvmsg(), does its work,
 * sends the result downstream and only then acknowledges the lease.  A
 * worker that dies (SIGKILL included) hands what it held back to the
 * channel, which delivers it again: nothing is lost, and an event may
 * arrive twice downstream (at least once), so the writer drops duplicates
 * by sequence number.
 *
 * On a lease channel end of stream means "shut down, nothing queued and
 * nothing leased": every input was acknowledged, so every output was
 * sent.  The worker that sees it shuts its output down (any of the pool
 * may: they all see end of stream), and shutdown flows downstream.  The
 * workers are supervised (restarted when killed), so their channels
 * outlive them: the names are removed by run-demo at the end.
 */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <cspchan.h>

#define CH_EVENTS	"demo.events"
#define CH_DEAD		"demo.dead"	/* demo.events' dead-letter channel */
#define CH_DECODED	"demo.decoded"
#define CH_ENRICHED	"demo.enriched"
#define CH_LOOKUP	"demo.lookup"

#define MAX_DELIVERIES	3	/* of one event on demo.events, then demo.dead */

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
	uint64_t source_ns;	/* when a decoder sent it (queueing delay) */
};

/* A lookup request (cspchan_call() on demo.lookup) and its reply. */
struct lookup_req {
	uint64_t seq;
	uint32_t amount_cents;
};

struct lookup_reply {
	char category[16];
};

/*
 * A worker's progress, in a file it maps shared, so that the numbers
 * survive a SIGKILL: what it held when it died.
 */
struct progress {
	uint64_t taken;		/* messages received */
	uint64_t forwarded;	/* ... whose result was sent downstream */
	uint64_t last_seq;	/* the event's seq, of the last one taken */
	uint64_t acked;		/* ... whose lease was acknowledged */
};

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

int open_chan(const char *name, int oflags);
int create_chan(const char *name, const struct cspchan_attr *attr);
struct progress *progress_map(const char *dir, const char *stage);
void report(const char *dir, const char *stage, uint64_t in, uint64_t out,
	    double seconds);
void die(const char *what, long err);

#endif
