/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The records the zero-copy producer writes in place and the consumer
 * checks in place, and what both programs share: the channel's name and
 * attributes, the command line, a few helpers.
 */
#ifndef ZC_RECORD_H
#define ZC_RECORD_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cspchan-uring.h>

#define ZC_NAME		"zc-demo"
#define ZC_CAPACITY	64
#define ZC_MSG_SIZE	4096
#define ZC_COUNT	100000
#define ZC_BATCH	32

/*
 * A record is this header and a payload that is a function of its index,
 * so the consumer can check every byte without a copy of its own.  The
 * length varies with the index as well.
 */
struct zc_record {
	uint64_t index;		/* 0, 1, 2, ... in the producer's order */
	uint32_t len;		/* whole record, header included */
	uint32_t sum;		/* of the payload bytes */
	unsigned char payload[];
};

static inline size_t zc_record_len(uint64_t index, size_t msg_size)
{
	size_t room = msg_size - sizeof(struct zc_record);

	return sizeof(struct zc_record) + 1 + (size_t)(index * 7919 % room);
}

static inline unsigned char zc_byte(uint64_t index, size_t i)
{
	return (unsigned char)(index * 31 + i * 7);
}

/* Fill a record in place (a slot of the arena); returns its length. */
static inline size_t zc_record_fill(void *slot, uint64_t index, size_t msg_size)
{
	struct zc_record *r = slot;
	size_t len = zc_record_len(index, msg_size);
	size_t n = len - sizeof(*r), i;
	uint32_t sum = 0;

	for (i = 0; i < n; i++) {
		r->payload[i] = zc_byte(index, i);
		sum += r->payload[i];
	}
	r->index = index;
	r->len = (uint32_t)len;
	r->sum = sum;
	return len;
}

/* Check a record in place; 0 if it is the one the producer wrote. */
static inline int zc_record_check(const void *slot, size_t len, uint64_t index,
				  size_t msg_size)
{
	const struct zc_record *r = slot;
	size_t i, n;
	uint32_t sum = 0;

	if (len < sizeof(*r) || r->index != index || r->len != len ||
	    len != zc_record_len(index, msg_size))
		return -1;
	n = len - sizeof(*r);
	for (i = 0; i < n; i++) {
		if (r->payload[i] != zc_byte(index, i))
			return -1;
		sum += r->payload[i];
	}
	return sum == r->sum ? 0 : -1;
}

struct zc_opts {
	const char *name;
	unsigned long long count;
	unsigned int capacity;
	unsigned int batch;
	int uring;
};

static inline void zc_usage(const char *prog, const char *what)
{
	fprintf(stderr,
		"Usage: %s [-u] [-b BATCH] [-n COUNT] [-c CAPACITY] [-N NAME]\n"
		"%s\n"
		"  -u           use io_uring commands (cspchan_prep_*), BATCH in flight\n"
		"  -b BATCH     commands in flight with -u (default %d)\n"
		"  -n COUNT     records (default %d)\n"
		"  -c CAPACITY  capacity of the channel the producer creates (default %d)\n"
		"  -N NAME      channel name (default %s)\n",
		prog, what, ZC_BATCH, ZC_COUNT, ZC_CAPACITY, ZC_NAME);
}

static inline int zc_parse(int argc, char **argv, struct zc_opts *o,
			   const char *what)
{
	int c;

	o->name = ZC_NAME;
	o->count = ZC_COUNT;
	o->capacity = ZC_CAPACITY;
	o->batch = ZC_BATCH;
	o->uring = 0;
	while ((c = getopt(argc, argv, "ub:n:c:N:h")) != -1) {
		switch (c) {
		case 'u':
			o->uring = 1;
			break;
		case 'b':
			o->batch = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			o->count = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			o->capacity = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'N':
			o->name = optarg;
			break;
		default:
			zc_usage(argv[0], what);
			return -1;
		}
	}
	if (o->batch == 0 || o->batch > 4096) {
		fprintf(stderr, "%s: -b must be 1..4096\n", argv[0]);
		return -1;
	}
	return 0;
}

/*
 * The producer owns the channel: it creates it with CSPCHAN_AUTOCLOSE, so
 * that the consumer sees end of stream even if the producer dies.  (A
 * consumer that created it would hold a send-capable handle.)
 */
static inline int zc_create(const struct zc_opts *o)
{
	struct cspchan_attr attr = {
		.capacity = o->capacity,
		.msg_size = ZC_MSG_SIZE,
		.mode = 0600,
		.flags = CSPCHAN_AUTOCLOSE,
	};

	cspchan_unlink(o->name);	/* a leftover of an earlier run */
	return cspchan_create(o->name, &attr, O_EXCL | O_CLOEXEC);
}

/* The consumer may start first: wait up to 10 s for the name. */
static inline int zc_open(const struct zc_opts *o)
{
	int i, ch = -ENOENT;

	for (i = 0; i < 1000 && ch == -ENOENT; i++) {
		ch = cspchan_open(o->name, O_RDONLY | O_CLOEXEC);
		if (ch == -ENOENT)
			usleep(10000);
	}
	return ch;
}

/* The next SQE, submitting the queued ones first if the ring is full. */
static inline struct io_uring_sqe *zc_sqe(struct io_uring *ring)
{
	struct io_uring_sqe *sqe;

	while (!(sqe = io_uring_get_sqe(ring)))
		io_uring_submit(ring);
	return sqe;
}

static inline double zc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif /* ZC_RECORD_H */
