// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: io_uring reads and writes parked in order, not polled.
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
 * Writes are the mirror image, on buffered channels.  A write that finds
 * no free slot fails with -EAGAIN, and io_uring would arm a poll entry
 * that every freed slot wakes (non-exclusive), retry the writes in its
 * own task-work order (newest first on 6.1), so a batch enters the
 * channel out of order, and hand losers to io-wq.  So such a write parks
 * on sendq instead, in arrival order, like a blocked sender: a receiver
 * grants it the slot it frees, the submitter's task work copies the
 * message in, posts it and completes the write.  Order rule: while any
 * io_uring write is parked or granted on the channel (@uw_nr), a new one
 * never posts inline; with a free slot it takes it and joins the granted
 * ones, so one submitter's writes enter the channel in issue order.
 *
 * The buffer is remembered as user addresses (at most CSPCHAN_RW_SEGS
 * segments), never pinned.  A request whose submitter is gone is
 * completed with -ECANCELED (the channel's reaper, or the waker that
 * finds it); a message a read was given goes back first, in its order,
 * and a slot a write was given is freed.  A request that cannot park
 * (another kind of buffer, RWF_NOWAIT, an unbuffered channel's write, a
 * write issued by an io-wq worker) keeps io_uring's own handling: poll-
 * driven retry, or a write that waits in the worker.  One that finds no
 * memory to park fails with -ENOMEM.
 *
 * Known limit: a read handed a message longer than its buffer completes
 * with -EMSGSIZE and the message goes back first; reads handed later
 * messages meanwhile may complete before it is read again.
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

/* How many times a task work lets io_uring post older completions first. */
#define CSPCHAN_RW_DEFER_MAX	4

/**
 * struct cspchan_uring_rw - a parked io_uring read or write
 * @w:		its waiter on recvq (a read) or sendq (a write)
 * @work:	the task work that copies the message out (in)
 * @iocb:	io_uring's kiocb
 * @ch:		the channel
 * @task:	the submitter (a reference); the task work runs there
 * @mm:		the submitter's memory (compared, never dereferenced)
 * @iov:	the reader's (writer's) buffer
 * @nr_segs:	entries of @iov
 * @count:	bytes in @iov
 * @file:	while handed a message (a slot): the handle (a reference),
 *		which keeps the channel and the module until @work has run
 * @copied:	the copy was done (by its own task work or by an earlier one
 *		of the same task's): @work only drops what is left
 * @deferred:	times @work ran again later, behind io_uring's own
 * @eos:	a read that got the end of stream behind granted reads: no
 *		message, completes with 0 in its place in the batch
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
	bool eos;
	u8 deferred;
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

/* Complete the request and forget it. */
static void cspchan_rw_done(struct cspchan_uring_rw *r, long res)
{
	struct kiocb *iocb = r->iocb;

	cspchan_rw_free(r);
	iocb->ki_complete(iocb, res);
}

static const struct cspchan_waiter_ops cspchan_uw_ops;

/* Is @r a write (on sendq, counted in @uw_nr) rather than a read? */
static bool cspchan_rw_is_write(const struct cspchan_uring_rw *r)
{
	return r->w.ops == &cspchan_uw_ops;
}

/*
 * Under ch->lock: the parked request leaves the channel, completed with
 * @res; a write no longer counts in @uw_nr.
 */
static void cspchan_rw_finish(struct cspchan *ch, struct cspchan_uring_rw *r,
			      long res)
{
	lockdep_assert_held(&ch->lock);
	if (cspchan_rw_is_write(r))
		WRITE_ONCE(ch->uw_nr, ch->uw_nr - 1);
	cspchan_unpark_async(ch, &r->w);
	cspchan_rw_done(r, res);
}

/*
 * Copy the message handed to @r into its buffer: its length, 0 for the end
 * of stream, or -errno.
 */
static long cspchan_rw_copy_one(struct cspchan_uring_rw *r)
{
	struct cspchan *ch = r->ch;
	u32 slot = r->w.slot;
	struct iov_iter it;
	u32 len;

	if (r->eos)
		return 0;
	if (!cspchan_io_may_answer(cspchan_rw_req(r->iocb), r->mm))
		return -ECANCELED;
	len = ch->slots[slot].len;	/* the slot is ours: stable */
	if (len > r->count)
		return -EMSGSIZE;
	iov_iter_init(&it, ITER_DEST, r->iov, r->nr_segs, r->count);
	if (cspchan_arena_copy_out(&ch->arena, (size_t)slot * ch->slot_size,
				   len, &it) != len)
		return -EFAULT;
	return len;
}

/* What is left of a granted read or write once it was completed. */
static void cspchan_rw_release(struct cspchan_uring_rw *r)
{
	struct file *file = r->file;

	cspchan_rw_free(r);
	fput(file);	/* deferred: this code has returned when it runs */
}

/*
 * Completions of earlier requests that io_uring has queued but not posted
 * would be overtaken by ours (cspchan_io_completions_queued()): true when
 * @r's task work was queued again, to run once io_uring's own, queued
 * before, has posted them.  At most CSPCHAN_RW_DEFER_MAX times.
 */
static bool cspchan_rw_defer(struct cspchan_uring_rw *r)
{
	if (r->deferred >= CSPCHAN_RW_DEFER_MAX ||
	    !cspchan_io_completions_queued())
		return false;
	r->deferred++;
	return !task_work_add(current, &r->work, TWA_NONE);
}

/*
 * Under ch->lock: move the requests of @task on @granted to @batch, in
 * the order they were granted, and mark them copied.
 */
static void cspchan_rw_collect(struct list_head *granted,
			       struct task_struct *task,
			       struct list_head *batch)
{
	struct cspchan_uring_rw *e, *tmp;

	list_for_each_entry_safe(e, tmp, granted, w.parked) {
		if (e->task != task)
			continue;
		list_move_tail(&e->w.parked, batch);
		e->copied = true;
	}
}

/*
 * Complete a batch, in its order: the completions are posted in order
 * when they reach io_uring in the order its own task work runs them:
 * oldest first on newer kernels, newest first on older ones
 * (CSPCHAN_URING_TW_FIFO).
 */
static void cspchan_rw_complete_batch(struct list_head *batch)
{
	struct cspchan_uring_rw *e, *tmp;

	if (CSPCHAN_URING_TW_FIFO) {
		list_for_each_entry_safe(e, tmp, batch, w.parked) {
			list_del_init(&e->w.parked);
			e->iocb->ki_complete(e->iocb, e->res);
		}
	} else {
		list_for_each_entry_safe_reverse(e, tmp, batch, w.parked) {
			list_del_init(&e->w.parked);
			e->iocb->ki_complete(e->iocb, e->res);
		}
	}
}

static void cspchan_rw_work(struct callback_head *work);

/*
 * Under ch->lock: @r now holds @slot (a read the message it was handed, a
 * write the slot it fills) and joins @granted; its submitter's task work
 * copies the message out (in).  False when that task is past running task
 * work (it exits): @r is off @granted again, and the caller gives back
 * what @slot holds.
 */
static bool cspchan_rw_queue(struct cspchan_uring_rw *r, u32 slot,
			     struct list_head *granted)
{
	lockdep_assert_held(&r->ch->lock);
	r->w.slot = slot;
	init_task_work(&r->work, cspchan_rw_work);
	r->file = get_file(r->iocb->ki_filp);
	list_add_tail(&r->w.parked, granted);
	if (!task_work_add(r->task, &r->work, TWA_SIGNAL))
		return true;
	list_del_init(&r->w.parked);
	fput(r->file);
	return false;
}

/*
 * Under ch->lock, after the copy: the read's message is taken (the
 * handle's implicit lease), or goes back first when the copy failed; the
 * read no longer counts in @rw_nr.
 */
static void cspchan_rw_settle(struct cspchan *ch, struct cspchan_uring_rw *r,
			      struct cspchan_wakeups *wk)
{
	lockdep_assert_held(&ch->lock);
	if (!r->eos && cspchan_leases(ch))	/* counted by cspchan_rw_hold() */
		ch->leased--;
	if (!r->eos && r->res < 0)	/* it goes back first */
		cspchan_lease_untake(ch, r->w.slot, wk);
	else if (!r->eos)	/* or the handle's implicit lease */
		cspchan_lease_copied(ch, r->w.slot, r->file, false, NULL, wk);
	WRITE_ONCE(ch->rw_nr, ch->rw_nr - 1);
}

/*
 * Under ch->lock: @r was given the message in @slot (@handed: handed over,
 * not in the ring), or, @r->eos, the end of stream.  It joins the granted
 * reads, whose submitter's task work copies it out, and only then is the
 * message taken out of the channel's order: taking the last message of a
 * shut-down channel ends the stream for the reads still parked
 * (cspchan_consume()), and their ends must join behind it.  False when
 * that task is past running task work (it exits): the message stays
 * first in the channel.
 */
static bool cspchan_rw_hold(struct cspchan *ch, struct cspchan_uring_rw *r,
			    u32 slot, bool handed, struct cspchan_wakeups *wk)
{
	lockdep_assert_held(&ch->lock);
	WRITE_ONCE(ch->rw_nr, ch->rw_nr + 1);
	if (!cspchan_rw_queue(r, slot, &ch->rw_granted)) {
		WRITE_ONCE(ch->rw_nr, ch->rw_nr - 1);
		if (!r->eos && handed)
			cspchan_put_back(ch, slot, wk);
		return false;
	}
	if (r->eos)
		return true;
	cspchan_consume(ch, slot, handed, NULL, wk);
	/*
	 * On a lease channel the message counts as leased until the task
	 * work leases it (or puts it back): until then the stream of a
	 * shut-down channel must not end.
	 */
	if (cspchan_leases(ch))
		ch->leased++;
	return true;
}

/* ->grant: take the handed message; the submitter's task copies it out. */
static void cspchan_rw_grant(struct cspchan *ch, struct cspchan_waiter *w,
			     int state, struct cspchan_wakeups *wk)
{
	struct cspchan_uring_rw *r = cspchan_waiter_rw(w);

	if (state != CSPCHAN_GRANTED) {
		/*
		 * Shut down: the end of stream, completed by the submitter's
		 * task work after the messages handed before it.
		 */
		cspchan_unpark_async(ch, w);
		r->eos = true;
		if (!cspchan_rw_hold(ch, r, 0, false, wk))
			cspchan_rw_done(r, 0);
		return;
	}
	cspchan_unpark_async(ch, w);
	if (!cspchan_rw_hold(ch, r, w->slot, true, wk))
		cspchan_rw_done(r, -ECANCELED);
}

/* ---- writes ---- */

/* Copy a granted write's message into its slot: 0, or -errno. */
static long cspchan_uw_copy_one(struct cspchan_uring_rw *r)
{
	struct cspchan *ch = r->ch;
	struct iov_iter it;

	if (!cspchan_io_may_answer(cspchan_rw_req(r->iocb), r->mm))
		return -ECANCELED;
	iov_iter_init(&it, ITER_SOURCE, r->iov, r->nr_segs, r->count);
	if (cspchan_arena_copy_in(&ch->arena, (size_t)r->w.slot * ch->slot_size,
				  r->count, &it) != r->count)
		return -EFAULT;
	return 0;
}

/*
 * Under ch->lock, after the copy: the write's message is posted, or its
 * slot is freed when the copy or the post failed (shut down meanwhile, a
 * fault, its submitter gone); the write no longer counts in @uw_nr.
 */
static void cspchan_uw_settle(struct cspchan *ch, struct cspchan_uring_rw *r,
			      struct cspchan_wakeups *wk)
{
	if (!r->res)
		r->res = cspchan_post_slot(ch, r->w.slot, r->count,
					   CSPCHAN_IO_NONBLOCK, NULL, wk);
	if (r->res < 0)
		cspchan_release_slot(ch, r->w.slot, wk);
	WRITE_ONCE(ch->uw_nr, ch->uw_nr - 1);
}

/*
 * Under ch->lock: @r, counted in @uw_nr, now holds @slot and joins the
 * granted writes; its submitter's task work fills and posts it.  False
 * when that task is past running task work (it exits): the slot is freed
 * again and @r no longer counts.
 */
static bool cspchan_uw_hold(struct cspchan *ch, struct cspchan_uring_rw *r,
			    u32 slot, struct cspchan_wakeups *wk)
{
	if (cspchan_rw_queue(r, slot, &ch->uw_granted))
		return true;
	cspchan_release_slot(ch, slot, wk);
	WRITE_ONCE(ch->uw_nr, ch->uw_nr - 1);
	return false;
}

/* ->grant: the write got a slot, or the channel was shut down. */
static void cspchan_uw_grant(struct cspchan *ch, struct cspchan_waiter *w,
			     int state, struct cspchan_wakeups *wk)
{
	struct cspchan_uring_rw *r = cspchan_waiter_rw(w);

	if (state != CSPCHAN_GRANTED) {
		cspchan_rw_finish(ch, r, -EPIPE);
		return;
	}
	cspchan_unpark_async(ch, w);
	if (!cspchan_uw_hold(ch, r, w->slot, wk))
		cspchan_rw_done(r, -ECANCELED);
}

/* ---- parked reads and writes alike ---- */

/*
 * The task work: in the submitter's task, copy out the messages handed to
 * its reads on this channel (copy in those of its writes granted a slot),
 * then, in one section, take them (post them) in the order they were
 * handed (granted), and complete them.  Task work runs newest first, so
 * the first to run takes every read (write) of its task and completes them
 * all; the later ones only drop what is left (all of them run in this
 * task, one after another, so @copied needs no lock).  A read whose copy
 * failed gives its message back first; a write that fails frees its slot.
 */
static void cspchan_rw_work(struct callback_head *work)
{
	struct cspchan_uring_rw *r = container_of(work, struct cspchan_uring_rw,
						  work);
	struct cspchan_wakeups wk = { .nr = 0 };
	bool write = cspchan_rw_is_write(r);
	struct cspchan_uring_rw *e;
	struct cspchan *ch = r->ch;
	LIST_HEAD(batch);

	if (r->copied) {
		cspchan_rw_release(r);
		return;
	}
	if (cspchan_rw_defer(r))	/* completions in order */
		return;
	mutex_lock(&ch->lock);
	cspchan_rw_collect(write ? &ch->uw_granted : &ch->rw_granted, r->task,
			   &batch);
	mutex_unlock(&ch->lock);

	list_for_each_entry(e, &batch, w.parked)
		e->res = write ? cspchan_uw_copy_one(e) : cspchan_rw_copy_one(e);

	mutex_lock(&ch->lock);
	list_for_each_entry(e, &batch, w.parked) {
		if (write)
			cspchan_uw_settle(ch, e, &wk);
		else
			cspchan_rw_settle(ch, e, &wk);
	}
	cspchan_unlock_and_wake(ch, &wk);
	cspchan_rw_complete_batch(&batch);	/* each in its order */
	cspchan_rw_release(r);
}

static bool cspchan_rw_gone(struct cspchan_waiter *w)
{
	return cspchan_io_req_gone(cspchan_rw_req(cspchan_waiter_rw(w)->iocb));
}

/* ->claim: a read or write whose submitter is gone is cancelled instead. */
static bool cspchan_rw_claim(struct cspchan *ch, struct cspchan_waiter *w)
{
	if (!cspchan_rw_gone(w))
		return true;
	cspchan_rw_finish(ch, cspchan_waiter_rw(w), -ECANCELED);
	return false;
}

/* ->cancel: the reaper found the submitter gone. */
static void cspchan_rw_cancel(struct cspchan *ch, struct cspchan_waiter *w)
{
	struct cspchan_uring_rw *r = cspchan_waiter_rw(w);

	list_del_init(&w->node);
	if (cspchan_rw_is_write(r))
		ch->nr_sendq--;
	else
		ch->nr_recvq--;
	cspchan_rw_finish(ch, r, -ECANCELED);
}

static const struct cspchan_waiter_ops cspchan_rw_ops = {
	.claim	= cspchan_rw_claim,
	.grant	= cspchan_rw_grant,
	.gone	= cspchan_rw_gone,
	.cancel	= cspchan_rw_cancel,
};

static const struct cspchan_waiter_ops cspchan_uw_ops = {
	.claim	= cspchan_rw_claim,
	.grant	= cspchan_uw_grant,
	.gone	= cspchan_rw_gone,
	.cancel	= cspchan_rw_cancel,
};

/* ---- issue ---- */

/**
 * cspchan_uring_read_queues() - must this read always complete as a parked one?
 * @ch:		the channel
 * @iocb:	the read's kiocb (cspchan_uring_rw_parks() said yes)
 *
 * On an SQPOLL ring since 6.9 a read completed at once could be posted
 * before the completions of reads handed earlier messages, which the
 * SQPOLL thread may hold back for a later round after the channel's own
 * count (@rw_nr) dropped.  So there every read on a buffered channel
 * without leases takes its message as a parked read does, and completes
 * behind them, from task work.
 */
bool cspchan_uring_read_queues(struct cspchan *ch, struct kiocb *iocb)
{
	if (!CSPCHAN_URING_SQ_TW_CAPPED || !cspchan_buffered(ch) ||
	    cspchan_leases(ch))
		return false;
	return cspchan_rw_req(iocb)->ctx->flags & IORING_SETUP_SQPOLL;
}

/**
 * cspchan_uring_rw_parks() - would this read or write park rather than wait?
 * @iocb:	the request's kiocb
 * @it:		its buffer
 *
 * It must come from io_uring (an asynchronous kiocb that is not Linux
 * AIO's), must not be RWF_NOWAIT, and its buffer must be plain user
 * memory in a few segments.  Such a read never waits in the channel,
 * even when issued from io-wq.  (A write parks only on a buffered
 * channel, and only when its submitter issues it: the caller checks.)
 */
bool cspchan_uring_rw_parks(struct kiocb *iocb, const struct iov_iter *it)
{
	if (!cspchan_iocb_is_uring(iocb))
		return false;
	if (cspchan_rw_req(iocb)->flags & REQ_F_NOWAIT)
		return false;
	if (iter_is_ubuf(it))
		return true;
	return iter_is_iovec(it) && it->nr_segs <= CSPCHAN_RW_SEGS;
}

/**
 * cspchan_uring_write_parks() - would this write park rather than wait?
 * @ch:		the channel
 * @iocb:	the write's kiocb
 * @from:	its message
 *
 * As a read (cspchan_uring_rw_parks()), on a buffered channel, and only
 * when its submitter issues it (itself, or as the SQPOLL thread), not an
 * io-wq worker (IOSQE_ASYNC): such writes are in no order anyway, and a
 * parked one would wait for the submitter's task work even with a slot
 * free, which a submitter blocked in a channel does not run.
 */
bool cspchan_uring_write_parks(struct cspchan *ch, struct kiocb *iocb,
			       const struct iov_iter *from)
{
	return cspchan_buffered(ch) && cspchan_uring_rw_parks(iocb, from) &&
	       current == cspchan_io_req_task(cspchan_rw_req(iocb));
}

/* A new parked request of the current io_uring submitter, or NULL. */
static struct cspchan_uring_rw *
cspchan_rw_new(struct cspchan *ch, struct kiocb *iocb,
	       const struct iov_iter *it, const struct cspchan_waiter_ops *ops)
{
	const struct iovec *iov = cspchan_iter_iov(it);
	size_t skip = it->iov_offset;
	struct cspchan_uring_rw *r;
	unsigned long i;

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return NULL;
	cspchan_async_init(&r->w, ops);
	r->iocb = iocb;
	r->ch = ch;
	r->mm = current->mm;
	r->count = iov_iter_count(it);
	if (iter_is_ubuf(it)) {
		r->iov[0].iov_base = it->ubuf + skip;
		r->iov[0].iov_len = r->count;
		r->nr_segs = 1;
		return r;
	}
	for (i = 0; i < it->nr_segs; i++) {
		r->iov[i].iov_base = iov[i].iov_base + skip;
		r->iov[i].iov_len = iov[i].iov_len - skip;
		skip = 0;
	}
	r->nr_segs = it->nr_segs;
	return r;
}

/*
 * Under ch->lock (dropped on return), the order rule's read: the next
 * message joins the granted reads; with none there it parks; the end of
 * stream joins them too, so that it comes after their messages.  A
 * message longer than the buffer stays first, as for any receive.
 */
static ssize_t cspchan_uring_read_join(struct cspchan *ch,
				       struct cspchan_uring_rw *r)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	ssize_t ret;
	bool handed;
	u32 slot;

	ret = cspchan_next_msg(ch, CSPCHAN_IO_NONBLOCK, NULL, &wk, &slot,
			       &handed);
	if (ret > 0 && ch->slots[slot].len > r->count) {
		cspchan_unlock_and_wake(ch, &wk);
		kfree(r);
		return -EMSGSIZE;
	}
	r->task = get_task_struct(cspchan_io_req_task(cspchan_rw_req(r->iocb)));
	if (ret < 0) {		/* nothing yet (or no token): park */
		cspchan_park_receiver(ch, &r->w);
		cspchan_park_async(ch, &r->w);
	} else {
		r->eos = !ret;
		if (r->eos)
			slot = 0;
		if (!cspchan_rw_hold(ch, r, slot, handed, &wk)) {
			ret = r->eos ? 0 : -ECANCELED;
			cspchan_unlock_and_wake(ch, &wk);
			cspchan_rw_free(r);
			return ret;
		}
	}
	cspchan_unlock_and_wake(ch, &wk);
	return -EIOCBQUEUED;
}

/**
 * cspchan_uring_read() - park an io_uring read that found the channel empty
 * @ch:		the channel
 * @iocb:	the read's kiocb (cspchan_uring_rw_parks() said yes)
 * @to:		its buffer
 * @queue:	cspchan_uring_read_queues() said yes
 *
 * Or, by the order rule (cspchan_uring_read_behind(), or @queue), take
 * the next message behind the reads granted before it.
 *
 * Return: -EIOCBQUEUED when parked or given a message (ki_complete()
 * follows); -EAGAIN when a message (or the end of stream) is there after
 * all: read again; 0 at end of stream (order rule); or -ENOMEM, -EINTR,
 * -ECANCELED (the submitter exits).
 */
ssize_t cspchan_uring_read(struct cspchan *ch, struct kiocb *iocb,
			   struct iov_iter *to, bool queue)
{
	struct cspchan_uring_rw *r = cspchan_rw_new(ch, iocb, to,
						    &cspchan_rw_ops);

	if (!r)
		return -ENOMEM;
	if (mutex_lock_killable(&ch->lock)) {
		kfree(r);
		return -EINTR;
	}
	if (queue || cspchan_uring_read_behind(ch))
		return cspchan_uring_read_join(ch, r);
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

/**
 * cspchan_uring_write() - park an io_uring write on a buffered channel
 * @ch:		the channel, buffered
 * @iocb:	the write's kiocb (cspchan_uring_rw_parks() said yes)
 * @from:	the message
 *
 * The channel is full, or other io_uring writes are parked or granted
 * (the order rule): with a free slot the write takes it behind them,
 * without one it parks on sendq.  Either way its submitter's task work
 * copies the message in and posts it.
 *
 * Return: -EIOCBQUEUED (ki_complete() follows with the length or -errno),
 * or -EINVAL (empty), -EMSGSIZE, -EPIPE (shut down), -ENOMEM, -EINTR,
 * -ECANCELED (the submitter exits).
 */
ssize_t cspchan_uring_write(struct cspchan *ch, struct kiocb *iocb,
			    struct iov_iter *from)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	size_t len = iov_iter_count(from);
	struct cspchan_uring_rw *r;
	ssize_t ret = -EIOCBQUEUED;

	if (!len)
		return -EINVAL;
	if (len > ch->msg_size)
		return -EMSGSIZE;
	r = cspchan_rw_new(ch, iocb, from, &cspchan_uw_ops);
	if (!r)
		return -ENOMEM;
	if (mutex_lock_killable(&ch->lock)) {
		kfree(r);
		return -EINTR;
	}
	if (ch->shut) {
		mutex_unlock(&ch->lock);
		kfree(r);
		return -EPIPE;
	}
	/* The submitter: cspchan_uring_write_parks() let no io-wq worker in. */
	r->task = get_task_struct(cspchan_io_req_task(cspchan_rw_req(iocb)));
	WRITE_ONCE(ch->uw_nr, ch->uw_nr + 1);
	if (ch->nr_free) {	/* sendq holds no live waiter: behind the granted */
		if (!cspchan_uw_hold(ch, r, ch->free[--ch->nr_free], &wk)) {
			cspchan_rw_free(r);
			ret = -ECANCELED;
		}
	} else {
		list_add_tail(&r->w.node, &ch->sendq);
		ch->nr_sendq++;
		cspchan_park_async(ch, &r->w);
	}
	cspchan_unlock_and_wake(ch, &wk);
	return ret;
}

ALLOW_ERROR_INJECTION(cspchan_uring_write, ERRNO);
