// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: moving messages — slots, parked tasks, send, receive, shutdown.
 *
 * A channel owns nr_slots fixed-size slots in its arena.  A slot is free
 * (on ch->free), held by a sender that is filling it, queued (on ch->ring),
 * or held by a receiver that is emptying it.  Buffered channels have one
 * slot per unit of capacity, so "no free slot" is "full".  Unbuffered
 * channels have a few hand-off slots: a sender parks its message in one as
 * an *offer* and sleeps until a receiver takes it.
 *
 * Blocked tasks park on ch->sendq (waiting for a slot) or ch->recvq
 * (waiting for a message), in arrival order.  Whoever frees a slot grants
 * it to the first parked sender, and whoever has a message hands it to the
 * first parked receiver (the pipelined send/receive of ipc/mqueue.c), so
 * one event wakes exactly one task and no later arrival can overtake it.
 *
 * A task in select (select.c) parks one waiter on each of its channels,
 * all sharing one struct cspchan_sel.  Granting anything to such a waiter
 * first claims the select with an atomic compare-and-exchange, as Go's
 * runtime does; a waker that loses the claim drops the stale waiter and
 * serves the next one.  A select parked to *send* on an unbuffered channel
 * waits as an offer whose offerer belongs to the select (its message is
 * in a hand-off slot, as Go's sudog points at the value): a receiver
 * claims the select before it takes the message, and drops the offer if
 * the select already performed another case (cspchan_offer_claim()).
 *
 * Invariants, under ch->lock, counting only waiters that can be claimed:
 *
 *	!list_empty(&ch->sendq)  implies  ch->nr_free == 0
 *	!list_empty(&ch->recvq)  implies  ch->queued == 0
 *
 * poll/epoll/io_uring waiters sleep on the separate rd_wait/wr_wait queues
 * and are woken when the state they poll for may have become true.
 *
 * ch->lock is a mutex because messages are copied from and to user memory
 * under it, like fs/pipe.c does, so that a fault leaves the channel as it
 * was.  Wake-ups of parked tasks are issued after the lock is dropped.
 */
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/uio.h>

#include "arena.h"
#include "cspchan.h"
#include "lease.h"
#include "reply.h"
#include "slots.h"
#include "trace.h"
#include "transfer.h"
#include "uring_rw.h"
#include "wait.h"

/* Messages up to this size are copied under ch->lock, larger ones outside. */
#define CSPCHAN_LOCKED_COPY_MAX	512

/**
 * cspchan_slot_fill() - copy a message into a slot the caller holds
 * @ch:		the channel
 * @slot:	the slot
 * @len:	the message length (already checked)
 * @from:	the message
 *
 * Return: true when all of it arrived.
 */
bool cspchan_slot_fill(struct cspchan *ch, u32 slot, size_t len,
		       struct iov_iter *from)
{
	return cspchan_arena_copy_in(&ch->arena, (size_t)slot * ch->slot_size,
				     len, from) == len;
}

/* Copy a slot's message out; true when all of it arrived. */
static bool cspchan_slot_empty(struct cspchan *ch, u32 slot, size_t len,
			       struct iov_iter *to)
{
	return cspchan_arena_copy_out(&ch->arena, (size_t)slot * ch->slot_size,
				      len, to) == len;
}

/**
 * cspchan_send_into() - copy a message into a held slot and send it
 * @ch:		the channel, locked
 * @slot:	a slot the caller holds; consumed whatever happens
 * @from:	the message (length already checked)
 * @flags:	CSPCHAN_IO_*
 * @deadline:	absolute time to give up; NULL: never
 * @wk:		wake-ups to issue after unlocking
 *
 * Return: as cspchan_post_slot(), or -EFAULT.
 */
ssize_t cspchan_send_into(struct cspchan *ch, u32 slot, struct iov_iter *from,
			  unsigned int flags, const ktime_t *deadline,
			  struct cspchan_wakeups *wk)
{
	size_t len = iov_iter_count(from);
	ssize_t ret = -EFAULT;

	if (cspchan_slot_fill(ch, slot, len, from))
		ret = cspchan_post_slot(ch, slot, len, flags, deadline, wk);
	if (ret < 0)
		cspchan_release_slot(ch, slot, wk);
	return ret;
}

/**
 * cspchan_send_iter() - send one message
 * @ch:		the channel
 * @from:	the message, all of it
 * @flags:	CSPCHAN_IO_NONBLOCK: fail with -EAGAIN instead of waiting
 * @deadline:	absolute CLOCK_MONOTONIC time to give up; NULL: never
 * @attach:	a reply channel for the message to carry, or NULL; consumed
 *		whatever happens
 * @origin:	a relay channel's message brings its own seq, sent_ns and
 *		pid: these; NULL: the kernel stamps them
 *
 * Return: the message length, or -EINVAL (empty), -EMSGSIZE, -EPIPE (shut
 * down), -EAGAIN, -ETIMEDOUT, -EINTR/-ERESTARTSYS, -EFAULT.  On error the
 * channel is as it was.
 */
ssize_t cspchan_send_iter(struct cspchan *ch, struct iov_iter *from,
			  unsigned int flags, const ktime_t *deadline,
			  struct cspchan_attach *attach,
			  const struct cspchan_msgmeta *origin)
{
	size_t len = iov_iter_count(from);
	struct cspchan_wakeups wk = { .nr = 0 };
	ssize_t ret;
	int slot;

	ret = -EINVAL;
	if (len > ch->msg_size)
		ret = -EMSGSIZE;
	if (len && len <= ch->msg_size)
		ret = cspchan_lock_io(ch, flags);
	if (ret) {
		if (attach)
			attach->drop(attach);
		return ret;
	}
	if ((flags & CSPCHAN_IO_NONBLOCK) && !ch->shut &&
	    (!cspchan_send_ready(ch) || ((flags & CSPCHAN_IO_BEHIND) &&
					 ch->uw_nr)))
		slot = -EAGAIN;		/* fail before copying */
	else
		slot = cspchan_get_slot(ch, flags, deadline, &wk);
	if (slot >= 0) {	/* the slot frees it, if the send fails */
		ch->slots[slot].attach = attach;
		if (origin) {
			cspchan_slot_relay(ch, slot, origin);
			flags |= CSPCHAN_IO_ORIGIN;
		}
	} else if (attach) {
		attach->drop(attach);
	}
	if (slot < 0 || len <= CSPCHAN_LOCKED_COPY_MAX) {
		/* Small: two more lock round trips would cost more than the copy. */
		ret = slot;
		if (slot >= 0)
			ret = cspchan_send_into(ch, slot, from, flags, deadline,
						&wk);
		cspchan_unlock_and_wake(ch, &wk);
		return ret;
	}

	/*
	 * The slot is ours alone until it is posted: fill it without the
	 * lock, so that receivers copying out of other slots run meanwhile.
	 */
	cspchan_unlock_and_wake(ch, &wk);
	ret = -EFAULT;
	if (cspchan_slot_fill(ch, slot, len, from))
		ret = 0;
	mutex_lock(&ch->lock);		/* we hold a slot: no giving up */
	if (!ret)
		ret = cspchan_post_slot(ch, slot, len, flags, deadline, &wk);
	if (ret < 0)
		cspchan_release_slot(ch, slot, &wk);
	cspchan_unlock_and_wake(ch, &wk);
	return ret;
}

/* A receive failed: a queued message was never removed; a handed one goes back. */
static ssize_t cspchan_recv_failed(struct cspchan *ch, u32 slot, bool handed,
				   ssize_t err, struct cspchan_wakeups *wk)
{
	if (handed)
		cspchan_put_back(ch, slot, wk);
	return err;
}

/**
 * cspchan_recv_slot() - copy out the message in a slot and free it
 * @ch:		the channel, locked
 * @file:	the receiving handle
 * @slot:	the ring's head, or a slot handed to the caller
 * @handed:	@slot was handed to the caller (it is not in the ring)
 * @to:		where to copy the message
 * @flags:	CSPCHAN_IO_LEASE: the caller returns the lease (@meta)
 * @meta:	if not NULL, receives the message's metadata
 * @wk:		wake-ups to issue after unlocking
 *
 * On a lease channel the slot is leased to @file instead of freed.
 *
 * Return: the message length, or -EMSGSIZE / -EFAULT with the message
 * first in the channel again, or -ESTALE when @slot was a select's offer
 * that had gone stale and was dropped (look for the next message).
 */
ssize_t cspchan_recv_slot(struct cspchan *ch, struct file *file, u32 slot,
			  bool handed, struct iov_iter *to, unsigned int flags,
			  struct cspchan_msgmeta *meta,
			  struct cspchan_wakeups *wk)
{
	struct cspchan_slot *s = &ch->slots[slot];
	ssize_t ret;

	lockdep_assert_held(&ch->lock);
	if (s->len > iov_iter_count(to))
		return cspchan_recv_failed(ch, slot, handed, -EMSGSIZE, wk);
	if (!handed && !cspchan_offer_claim(ch, slot))
		return -ESTALE;
	if (!cspchan_slot_empty(ch, slot, s->len, to)) {
		/*
		 * A select's offer was claimed: its send is done, and the
		 * message stays first in the channel as a queued one.
		 */
		if (!handed && s->offerer && s->offerer->sel)
			cspchan_offer_taken(ch, s, wk);
		return cspchan_recv_failed(ch, slot, handed, -EFAULT, wk);
	}
	ret = s->len;
	cspchan_consume(ch, slot, handed, meta, wk);
	if ((flags & CSPCHAN_IO_FD) && meta)
		meta->reply = cspchan_reply_take(ch, slot);
	cspchan_lease_copied(ch, slot, file, flags & CSPCHAN_IO_LEASE, meta,
			     wk);
	return ret;
}

/**
 * cspchan_recv_iter() - receive one message
 * @file:	the receiving handle
 * @to:		where to put it; must hold the whole message
 * @flags:	CSPCHAN_IO_NONBLOCK: fail with -EAGAIN instead of waiting;
 *		CSPCHAN_IO_LEASE: return the lease in @meta (lease channels)
 * @deadline:	absolute CLOCK_MONOTONIC time to give up; NULL: never
 * @meta:	if not NULL, receives the message's metadata
 *
 * A receive on a lease channel first acknowledges the handle's implicit
 * lease, whatever happens next.
 *
 * Return: the message length, 0 at end of stream (shut down and drained),
 * or -EMSGSIZE, -EAGAIN, -ETIMEDOUT, -EINTR/-ERESTARTSYS, -EFAULT; on
 * error the message stays first in the channel.
 */
ssize_t cspchan_recv_iter(struct file *file, struct iov_iter *to,
			  unsigned int flags, const ktime_t *deadline,
			  struct cspchan_msgmeta *meta)
{
	struct cspchan *ch = cspchan_file_channel(file);
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan_slot *s;
	bool handed;
	ssize_t ret;
	u32 slot, len;

	ret = cspchan_lock_io(ch, flags);
	if (ret)
		return ret;
	if ((flags & CSPCHAN_IO_BEHIND) && cspchan_uring_read_behind(ch)) {
		mutex_unlock(&ch->lock);
		return -EAGAIN;		/* an io_uring read, behind others */
	}
	if (cspchan_leases(ch))
		cspchan_lease_settle(ch, file, &wk);
again:
	ret = cspchan_next_msg(ch, flags, deadline, &wk, &slot, &handed);
	if (ret <= 0)
		goto out;
	s = &ch->slots[slot];
	/*
	 * Small messages are copied under the lock (cheaper than two more
	 * lock round trips), and so is an offer: its sender must not complete
	 * before the copy succeeded.
	 */
	if (s->offerer || s->len > iov_iter_count(to) ||
	    s->len <= CSPCHAN_LOCKED_COPY_MAX || cspchan_leases(ch)) {
		ret = cspchan_recv_slot(ch, file, slot, handed, to, flags, meta,
					&wk);
		if (ret == -ESTALE)
			goto again;
		goto out;
	}

	/*
	 * Take the message out of the order, then copy it without the lock:
	 * the slot is ours alone until we release it.  A fault puts the
	 * message back first.  (A lease channel copies under the lock, so
	 * that a message is always queued or leased: its end of stream
	 * depends on it.)
	 */
	len = s->len;
	cspchan_consume(ch, slot, handed, meta, &wk);
	cspchan_unlock_and_wake(ch, &wk);
	ret = len;
	if (!cspchan_slot_empty(ch, slot, len, to))
		ret = -EFAULT;
	mutex_lock(&ch->lock);
	if (ret < 0) {
		cspchan_unconsume(ch, slot, &wk);
	} else {
		if ((flags & CSPCHAN_IO_FD) && meta)
			meta->reply = cspchan_reply_take(ch, slot);
		cspchan_release_slot(ch, slot, &wk);
	}
out:
	cspchan_unlock_and_wake(ch, &wk);
	return ret;
}
