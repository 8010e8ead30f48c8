// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libcspchan-stage: cspchan_stage_run(), a pipeline stage that takes
 * messages from one channel in place, transforms each straight into a slot
 * of another channel and commits it.  It is a library of its own, over
 * libcspchan's public calls only, so that libcspchan needs neither
 * liburing nor a thread.
 *
 * The io_uring loop (stage_loop.c) runs on a helper thread of its own, with
 * every signal blocked.  The reason is cancellation: Linux 6.1 cannot
 * cancel a uring command, and cspchan.ko completes a parked one with
 * -ECANCELED only once the task that submitted it exits.  When the stage
 * stops early (an error) with takes still parked on an idle input, the
 * helper thread exits, the module cancels them, and the caller's thread
 * reaps the cancellations and frees the ring.  Closing a ring with
 * commands parked would instead leave the kernel's ring teardown waiting,
 * and a take completing later would write into freed memory.
 *
 * Without io_uring (CSPCHAN_STAGE_SYNC, a kernel without io_uring or
 * without CSPCHAN_FEAT_URING_CMD) the same work is done one message at a
 * time with the synchronous calls, on the caller's thread.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "stage.h"

#define STAGE_FLAGS	(CSPCHAN_STAGE_SHUTDOWN_OUT | CSPCHAN_STAGE_SYNC)

/* One message at a time: take, acquire, process, commit, release. */
static int stage_sync_loop(struct stage *st)
{
	const struct cspchan_stage_ops *ops = st->ops;
	struct cspchan_slot_info m;
	int oslot = -1;		/* an acquired output slot, unused yet */
	ssize_t n;
	int ret = 0;

	for (;;) {
		n = cspchan_take(st->in, &m, -1);
		if (n <= 0) {
			ret = (int)n;
			break;
		}
		st->stats.taken++;

		if (oslot < 0) {
			oslot = cspchan_acquire(st->out, -1);
			if (oslot < 0) {
				ret = oslot;
				cspchan_release(st->in, m.slot);
				break;
			}
		}

		n = -EIO;	/* a slot outside the arena: a kernel bug */
		if (cspchan_slot_ptr(&st->ain, m.slot) && m.len <= st->ain.msg_size)
			n = ops->process(cspchan_slot_ptr(&st->ain, m.slot), m.len,
					 cspchan_slot_ptr(&st->aout, (unsigned int)oslot),
					 st->aout.msg_size, ops->ctx);
		if (n > (ssize_t)st->aout.msg_size)
			n = -EMSGSIZE;
		if (n > 0) {
			n = cspchan_commit(st->out, (unsigned int)oslot, (size_t)n, -1);
			if (n > 0) {
				st->stats.committed++;
				oslot = -1;
			}
		} else if (n == 0) {
			st->stats.dropped++;
		}
		cspchan_release(st->in, m.slot);
		if (n < 0) {
			ret = n < -4095 ? -EIO : (int)n;
			break;
		}
	}
	if (oslot >= 0)
		cspchan_release(st->out, (unsigned int)oslot);
	return ret;
}

static void *stage_thread(void *arg)
{
	struct stage *st = arg;

	st->err = stage_uring_loop(st);
	return NULL;
}

/*
 * Run the io_uring loop on a helper thread that starts with every signal
 * blocked, then reap what it left parked.  Returns 1 if the ring must be
 * leaked because the kernel never completed those commands.
 */
static int stage_uring_run(struct stage *st)
{
	sigset_t all, old;
	pthread_t thread;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&thread, NULL, stage_thread, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		st->err = -ret;
		return 0;
	}
	pthread_join(thread, NULL);

	if (st->inflight)
		stage_uring_drain(st);
	return st->inflight != 0;
}

/* io_uring can carry the slot commands on this kernel, as far as we know. */
static int stage_can_use_uring(void)
{
	struct cspchan_features f;
	int saved_errno = errno;
	int ret = cspchan_features(&f);

	errno = saved_errno;
	return ret < 0 || (f.features & CSPCHAN_FEAT_URING_CMD);
}

static int stage_check_args(const struct cspchan_stage_ops *ops,
			    const struct cspchan_stage_opts *opts)
{
	unsigned int i;

	if (!ops || !ops->process)
		return -EINVAL;
	if (!opts)
		return 0;
	if ((opts->flags & ~STAGE_FLAGS) || opts->batch > STAGE_BATCH_MAX)
		return -EINVAL;
	for (i = 0; i < sizeof(opts->reserved) / sizeof(opts->reserved[0]); i++)
		if (opts->reserved[i])
			return -EINVAL;
	return 0;
}

CSPCHAN_EXPORT
int cspchan_stage_run(int in, int out, const struct cspchan_stage_ops *ops,
		      const struct cspchan_stage_opts *opts)
{
	unsigned int flags = opts ? opts->flags : 0;
	int leak = 0;
	struct stage *st;
	int ret;

	ret = stage_check_args(ops, opts);
	if (ret)
		return cspchan_fail(-ret);

	st = calloc(1, sizeof(*st));
	if (!st)
		return cspchan_fail(ENOMEM);
	st->in = in;
	st->out = out;
	st->ops = ops;
	st->batch = opts && opts->batch ? opts->batch : CSPCHAN_STAGE_BATCH;

	ret = cspchan_arena_map(in, &st->ain, PROT_READ);
	if (ret < 0)
		goto out_free;
	ret = cspchan_arena_map(out, &st->aout, PROT_READ | PROT_WRITE);
	if (ret < 0)
		goto out_unmap_in;

	if (!(flags & CSPCHAN_STAGE_SYNC) && stage_can_use_uring()) {
		ret = stage_uring_init(st);
		/* No io_uring here (ENOSYS) or not allowed (EPERM): go on without. */
		if (ret == -ENOSYS || ret == -EPERM)
			flags |= CSPCHAN_STAGE_SYNC;
		else if (ret < 0)
			goto out_unmap_out;
	} else {
		flags |= CSPCHAN_STAGE_SYNC;
	}

	if (flags & CSPCHAN_STAGE_SYNC) {
		ret = stage_sync_loop(st);
	} else {
		leak = stage_uring_run(st);
		ret = st->err;
		if (!leak)
			stage_uring_exit(st);
	}

	if (!ret && (flags & CSPCHAN_STAGE_SHUTDOWN_OUT)) {
		ret = cspchan_shutdown(out);
		if (ret == -EPIPE)	/* somebody else shut it down: as wanted */
			ret = 0;
	}
	if (opts && opts->stats)
		*opts->stats = st->stats;

out_unmap_out:
	cspchan_arena_unmap(&st->aout);
out_unmap_in:
	cspchan_arena_unmap(&st->ain);
out_free:
	/*
	 * A leaked stage still has commands in the kernel that will write
	 * into its lanes: the ring and the lanes must outlive them.
	 */
	if (!leak)
		free(st);
	return ret < 0 ? cspchan_fail(-ret) : 0;
}
