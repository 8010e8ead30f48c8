/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libcspchan-stage internals, shared by stage.c (entry, synchronous loop,
 * the helper thread) and stage_loop.c (the io_uring loop).  Not exported.
 */
#ifndef CSPCHAN_LIB_STAGE_H
#define CSPCHAN_LIB_STAGE_H

#include <liburing.h>

#include "cspchan-stage.h"
#include "internal.h"

/* Most takes in flight that opts->batch may ask for. */
#define STAGE_BATCH_MAX		4096

struct stage {
	int in;				/* input handle, receive-capable */
	int out;			/* output handle, send-capable */
	const struct cspchan_stage_ops *ops;
	unsigned int batch;		/* messages of @in held at most */
	struct cspchan_arena ain;	/* @in's arena, read-only */
	struct cspchan_arena aout;	/* @out's arena, read-write */
	struct cspchan_stage_stats stats;

	/* io_uring loop only (stage_loop.c) */
	struct io_uring ring;
	int ring_ready;			/* @ring is set up */
	struct cspchan_slot_info *lane;	/* [batch] answers of takes in flight */
	unsigned int *free_lane;	/* [batch] stack of unused lanes */
	unsigned int nr_free_lane;
	struct cspchan_slot_info *pending; /* [batch] taken, not processed; by seq */
	unsigned int pending_head;	/* index of the oldest */
	unsigned int nr_pending;
	unsigned int *spare;		/* [batch] acquired output slots, unused */
	unsigned int nr_spare;
	unsigned int taking;		/* takes in flight */
	unsigned int acquiring;		/* acquires in flight */
	unsigned int inflight;		/* every command in flight */
	int eos;			/* @in reached end of stream */
	int err;			/* first error, -errno; 0 */
};

/* The io_uring loop, on the helper thread; returns 0 or -errno. */
int stage_uring_loop(struct stage *st);
/* After the helper thread exited: wait out what it left in flight. */
void stage_uring_drain(struct stage *st);
int stage_uring_init(struct stage *st);
void stage_uring_exit(struct stage *st);

#endif /* CSPCHAN_LIB_STAGE_H */
