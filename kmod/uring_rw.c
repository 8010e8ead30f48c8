// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: io_uring reads parked in order, not polled.
 *
 * io_uring issues IORING_OP_READ with IOCB_NOWAIT and, on -EAGAIN, arms an
 * async poll entry on the channel's rd_wait.  Every message wakes every
 * such entry; all but one read again in vain, and after APOLL_MAX_RETRY
 * vain tries io_uring hands the read to an io-wq worker, which then
 * sleeps in the channel.  So a read from io_uring that would wait parks
 * instead on recvq, in arrival order, like an io_uring TAKE, and returns
 * -EIOCBQUEUED: a sender hands it its message (one wake-up per message,
 * SPEC 3.6), the copy into the reader's buffer runs in the submitter's
 * own task (task_work), and ki_complete() posts the completion.  Nothing
 * polls, nothing sleeps in io-wq.
 *
 * The buffer is remembered as user addresses (at most CSPCHAN_RW_SEGS
 * segments), never pinned.  A read whose submitter is gone is completed
 * with -ECANCELED (the channel's reaper, or the waker that finds it),
 * and a message it was given goes back first, in its order.  A read that
 * cannot park (another kind of buffer, RWF_NOWAIT, no memory) keeps the
 * poll-driven retry.
 */
#include <linux/error-injection.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/io_uring_types.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/uio.h>

#include "arena.h"
#include "compat.h"
#include "cspchan.h"
#include "lease.h"
#include "reaper.h"
#include "slots.h"
#include "uring_owner.h"
#include "uring_rw.h"
#include "wait.h"

#define CSPCHAN_RW_SEGS	8

/**
 * struct cspchan_uring_rw - a parked io_uring read
 * @w:		its waiter on recvq
 * @work:	the task work that copies the message out
 * @iocb:	io_uring's kiocb
 * @ch:		the channel
 * @task:	the submitter (a reference); the task work runs there
 * @mm:		the submitter's memory (compared, never dereferenced)
 * @iov:	the reader's buffer
 * @nr_segs:	entries of @iov
 * @count:	bytes in @iov
 * @file:	while handed a message: the handle (a reference), which
 *		keeps the channel and the module until @work has run
 * @copied:	the copy was done (by its own task work or by an earlier one
 *		of the same task's): @work only drops what is left
 * @res:	the copy's result
 */
struct cspchan_uring_rw {
	struct cspchan_waiter w;
	struct callback_head work;
	struct kiocb *iocb;
	struct cspchan *ch;
	struct task_struct *task;
	struct mm_struct *mm;
	struct iovec iov[CSPCHAN_RW_SEGS];
	unsigned long nr_segs;
	size_t count;
	struct file *file;
	bool copied;
	long res;
};

/* The io_uring request a kiocb belongs to: struct io_rw starts with it. */
static struct io_kiocb *cspchan_rw_req(struct kiocb *iocb)
{
	return cmd_to_io_kiocb(iocb);
}

static struct cspchan_uring_rw *cspchan_waiter_rw(struct cspchan_waiter *w)
{
	return container_of(w, struct cspchan_uring_rw, w);
}

static void cspchan_rw_free(struct cspchan_uring_rw *r)
{
	put_task_struct(r->task);
	kfree(r);
}

/* Complete the read and forget it. */
static void cspchan_rw_done(struct cspchan_uring_rw *r, long res)
{
	struct kiocb *iocb = r->iocb;

	cspchan_rw_free(r);
	iocb->ki_complete(iocb, res);
}

/* Under ch->lock: the read leaves the channel, completed with @res. */
static void cspchan_rw_finish(struct cspchan *ch, struct cspchan_uring_rw *r,
			      long res)
{
	lockdep_assert_held(&ch->lock);
	cspchan_unpark_async(ch, &r->w);
	cspchan_rw_done(r, res);
}

/* Copy the message handed to @r into its buffer: its length, or -errno. */
static long cspchan_rw_copy_one(struct cspchan_uring_rw *r)
{
	struct cspchan *ch = r->ch;
	u32 slot = r->w.slot;
	u32 len = ch->slots[slot].len;	/* the slot is ours: stable */
	struct iov_iter it;

	if (!cspchan_io_may_answer(cspchan_rw_req(r->iocb), r->mm))
		return -ECANCELED;
	if (len > r->count)
		return -EMSGSIZE;
	iov_iter_init(&it, ITER_DEST, r->iov, r->nr_segs, r->count);
	if (cspchan_arena_copy_out(&ch->arena, (size_t)slot * ch->slot_size,
				   len, &it) != len)
		return -EFAULT;
	return len;
}

/* What is left of a handed read once it was completed. */
static void cspchan_rw_release(struct cspchan_uring_rw *r)
{
	struct file *file = r->file;

	cspchan_rw_free(r);
	fput(file);	/* deferred: this code has returned when it runs */
}

/*
 * The task work: copy out, in the submitter's task, the messages handed
 * to its reads on this channel.  Task work runs newest first, so the
 * first to run takes every read of its task in the order they were handed
 * their messages and completes them all; the later ones only drop what is
 * left (all of them run in this task, one after another, so
 * @copied needs no lock).
 */
static void cspchan_rw_copy_out(struct callback_head *work)
{
	struct cspchan_uring_rw *r = container_of(work, struct cspchan_uring_rw,
						  work);
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan_uring_rw *e, *tmp;
	struct cspchan *ch = r->ch;
	LIST_HEAD(batch);

	if (r->copied) {
		cspchan_rw_release(r);
		return;
	}
	mutex_lock(&ch->lock);
	list_for_each_entry_safe(e, tmp, &ch->rw_granted, w.parked) {
		if (e->task != r->task)
			continue;
		list_move_tail(&e->w.parked, &batch);
		e->copied = true;
	}
	mutex_unlock(&ch->lock);

	list_for_each_entry(e, &batch, w.parked)
		e->res = cspchan_rw_copy_one(e);

	mutex_lock(&ch->lock);
	list_for_each_entry(e, &batch, w.parked) {
		if (e->res < 0)		/* nobody has it: it goes back first */
			cspchan_lease_untake(ch, e->w.slot, &wk);
		else			/* or the handle's implicit lease */
			cspchan_lease_copied(ch, e->w.slot, e->file, false,
					     NULL, &wk);
	}
	cspchan_unlock_and_wake(ch, &wk);

	/*
	 * Each read got its message in order; the completions are posted in
	 * order too when they reach io_uring in the order its own task work
	 * runs them: oldest first on newer kernels, newest first on older
	 * ones (CSPCHAN_URING_TW_FIFO).
	 */
	if (CSPCHAN_URING_TW_FIFO) {
		list_for_each_entry_safe(e, tmp, &batch, w.parked) {
			list_del_init(&e->w.parked);
			e->iocb->ki_complete(e->iocb, e->res);
		}
	} else {
		list_for_each_entry_safe_reverse(e, tmp, &batch, w.parked) {
			list_del_init(&e->w.parked);
			e->iocb->ki_complete(e->iocb, e->res);
		}
	}
	cspchan_rw_release(r);
}

/* ->claim: a read whose submitter is gone is cancelled instead. */
static bool cspchan_rw_claim(struct cspchan *ch, struct cspchan_waiter *w)
{
	struct cspchan_uring_rw *r = cspchan_waiter_rw(w);

	if (!cspchan_io_req_gone(cspchan_rw_req(r->iocb)))
		return true;
	cspchan_rw_finish(ch, r, -ECANCELED);
	return false;
}

/* ->grant: take the handed message; the submitter's task copies it out. */
static void cspchan_rw_grant(struct cspchan *ch, struct cspchan_waiter *w,
			     int state, struct cspchan_wakeups *wk)
{
	struct cspchan_uring_rw *r = cspchan_waiter_rw(w);

	if (state != CSPCHAN_GRANTED) {		/* shut down: end of stream */
		cspchan_rw_finish(ch, r, 0);
		return;
	}
	cspchan_consume(ch, w->slot, true, NULL, wk);
	cspchan_unpark_async(ch, w);
	init_task_work(&r->work, cspchan_rw_copy_out);
	r->file = get_file(r->iocb->ki_filp);
	list_add_tail(&w->parked, &ch->rw_granted);
	if (!task_work_add(r->task, &r->work, TWA_SIGNAL))
		return;
	/* The submitter is past running task work: it is exiting. */
	list_del_init(&w->parked);
	cspchan_lease_untake(ch, w->slot, wk);
	fput(r->file);
	cspchan_rw_done(r, -ECANCELED);
}

static bool cspchan_rw_gone(struct cspchan_waiter *w)
{
	return cspchan_io_req_gone(cspchan_rw_req(cspchan_waiter_rw(w)->iocb));
}

/* ->cancel: the reaper found the submitter gone. */
static void cspchan_rw_cancel(struct cspchan *ch, struct cspchan_waiter *w)
{
	list_del_init(&w->node);
	ch->nr_recvq--;
	cspchan_rw_finish(ch, cspchan_waiter_rw(w), -ECANCELED);
}

static const struct cspchan_waiter_ops cspchan_rw_ops = {
	.claim	= cspchan_rw_claim,
	.grant	= cspchan_rw_grant,
	.gone	= cspchan_rw_gone,
	.cancel	= cspchan_rw_cancel,
};

/**
 * cspchan_uring_read_parks() - would this read park rather than wait?
 * @iocb:	the read's kiocb
 * @to:		its buffer
 *
 * It must come from io_uring (an asynchronous kiocb that is not Linux
 * AIO's), must not be RWF_NOWAIT, and its buffer must be plain user
 * memory in a few segments.  Such a read never waits in the channel, even
 * when issued from io-wq.
 */
bool cspchan_uring_read_parks(struct kiocb *iocb, const struct iov_iter *to)
{
	if (!cspchan_iocb_is_uring(iocb))
		return false;
	if (cspchan_rw_req(iocb)->flags & REQ_F_NOWAIT)
		return false;
	if (iter_is_ubuf(to))
		return true;
	return iter_is_iovec(to) && to->nr_segs <= CSPCHAN_RW_SEGS;
}

static void cspchan_rw_save_buffer(struct cspchan_uring_rw *r,
				   const struct iov_iter *to)
{
	size_t skip = to->iov_offset;
	const struct iovec *iov = cspchan_iter_iov(to);
	unsigned long i;

	r->count = iov_iter_count(to);
	if (iter_is_ubuf(to)) {
		r->iov[0].iov_base = to->ubuf + skip;
		r->iov[0].iov_len = r->count;
		r->nr_segs = 1;
		return;
	}
	for (i = 0; i < to->nr_segs; i++) {
		r->iov[i].iov_base = iov[i].iov_base + skip;
		r->iov[i].iov_len = iov[i].iov_len - skip;
		skip = 0;
	}
	r->nr_segs = to->nr_segs;
}

/**
 * cspchan_uring_read() - park an io_uring read that found the channel empty
 * @ch:		the channel
 * @iocb:	the read's kiocb (cspchan_uring_read_parks() said yes)
 * @to:		its buffer
 *
 * Return: -EIOCBQUEUED when parked (ki_complete() follows); -EAGAIN when
 * a message (or the end of stream) is there after all: read again; or
 * -ENOMEM, -EINTR.
 */
ssize_t cspchan_uring_read(struct cspchan *ch, struct kiocb *iocb,
			   struct iov_iter *to)
{
	struct cspchan_uring_rw *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	cspchan_async_init(&r->w, &cspchan_rw_ops);
	r->iocb = iocb;
	r->ch = ch;
	r->mm = current->mm;
	cspchan_rw_save_buffer(r, to);

	if (mutex_lock_killable(&ch->lock)) {
		kfree(r);
		return -EINTR;
	}
	if (cspchan_recv_ready(ch)) {
		mutex_unlock(&ch->lock);
		kfree(r);
		return -EAGAIN;
	}
	/* The submitter, even when an io-wq worker issues the read. */
	r->task = get_task_struct(cspchan_io_req_task(cspchan_rw_req(iocb)));
	cspchan_park_receiver(ch, &r->w);
	cspchan_park_async(ch, &r->w);
	mutex_unlock(&ch->lock);
	return -EIOCBQUEUED;
}

ALLOW_ERROR_INJECTION(cspchan_uring_read, ERRNO);
