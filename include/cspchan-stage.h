/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libcspchan-stage: the pipeline stage runner over libcspchan.
 *
 * A library of its own, so that libcspchan needs only the C library: the
 * stage runner uses io_uring (liburing) and a helper thread.  Link with
 * -lcspchan-stage -lcspchan (pkg-config cspchan-stage; a static link also
 * needs -luring -pthread, which "pkg-config --static" adds).  This header
 * does not include <liburing.h>, and <cspchan-uring.h> is not needed to
 * use the stage runner.
 */
#ifndef CSPCHAN_STAGE_H
#define CSPCHAN_STAGE_H

#include <stdint.h>
#include <sys/types.h>
#include <cspchan.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Pipeline stage (since 0.2): take every message of @in in place, let
 * ops->process() write its output straight into a slot of @out, commit it,
 * release the input slot; until @in reaches end of stream.  Runs over
 * io_uring with opts->batch takes in flight, on a helper thread of its own
 * (process() is called there).
 */
struct cspchan_stage_ops {
	/* Returns the output length (<= out_cap), 0 to drop, or -errno to stop. */
	ssize_t (*process)(const void *msg, size_t len, void *out, size_t out_cap,
			   void *ctx);
	void *ctx;		/* passed to process() */
};

/* struct cspchan_stage_opts.flags */
#define CSPCHAN_STAGE_SHUTDOWN_OUT	(1U << 0)	/* shut @out down at the end */
#define CSPCHAN_STAGE_SYNC		(1U << 1)	/* plain ioctls, no io_uring */

#define CSPCHAN_STAGE_BATCH		32	/* default opts->batch */

struct cspchan_stage_stats {
	uint64_t taken;		/* messages taken from @in */
	uint64_t committed;	/* messages committed to @out */
	uint64_t dropped;	/* messages process() dropped (returned 0) */
};

struct cspchan_stage_opts {
	unsigned int batch;	/* takes kept in flight; 0: CSPCHAN_STAGE_BATCH */
	unsigned int flags;	/* CSPCHAN_STAGE_* */
	struct cspchan_stage_stats *stats;	/* filled in at return; may be NULL */
	uint64_t reserved[4];	/* must be zero */
};

int cspchan_stage_run(int in, int out, const struct cspchan_stage_ops *ops,
		      const struct cspchan_stage_opts *opts);

#ifdef __cplusplus
}
#endif

#endif /* CSPCHAN_STAGE_H */
