// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: slots — where every message is, and who holds it.
 *
 * A channel owns nr_slots fixed-size slots in its arena.  A slot is free
 * (on the ch->free stack), held by a sender that is filling it, queued (in
 * the ch->ring FIFO), or held by a receiver that is emptying it; a handle
 * holds slots in place on the zero-copy path (struct cspchan_slot.owner,
 * .held).  Buffered channels have one slot per unit of capacity, so "no
 * free slot" is "full".  Unbuffered channels have a few hand-off slots: a
 * sender parks its message in one as an *offer* and waits until a
 * receiver takes it.
 *
 * Freeing a slot grants it to the first parked sender; a new message is
 * handed to the first parked receiver, or queued (wait.c claims and wakes
 * them).  A message that could not be received goes back ahead of what is
 * queued, in its original order (cspchan_put_back()).
 *
 * Invariants, under ch->lock, counting only waiters that can be claimed:
 *
 *	!list_empty(&ch->sendq)  implies  ch->nr_free == 0
 *	!list_empty(&ch->recvq)  implies  ch->queued == 0, or the channel is
 *				 paced and has no token (pace.c)
 *
 * On a paced channel every delivery takes a token: a message is handed to
 * a parked receiver only with one, and receivers that find messages but no
 * token park; the pacer (cspchan_pace_serve()) hands them messages as
 * tokens come.
 *
 * poll/epoll/io_uring waiters sleep on the separate rd_wait/wr_wait queues
 * and are woken when the state they poll for may have become true.
 *
 * Slot indices from userspace are checked in one place,
 * cspchan_slot_lookup().
 */
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/nospec.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched.h>

#include "busypoll.h"
#include "cspchan.h"
#include "pace.h"
#include "slots.h"
#include "trace.h"
#include "wait.h"

/**
 * cspchan_hold() - record that a handle holds a slot
 * @ch:		the channel, locked
 * @slot:	the slot
 * @file:	the handle, or NULL to clear
 * @how:	enum cspchan_held
 */
void cspchan_hold(struct cspchan *ch, u32 slot, struct file *file, u32 how)
{
	lockdep_assert_held(&ch->lock);
	ch->slots[slot].owner = file;
	ch->slots[slot].held = file ? how : CSPCHAN_HELD_NONE;
}

/**
 * cspchan_slot_lookup() - check a slot index that a handle names
 * @ch:		the channel, locked
 * @file:	the handle
 * @index:	the index, as userspace gave it
 * @how:	the way the handle must hold the slot, or CSPCHAN_HELD_NONE
 *		for either way
 * @slot:	set to @index, clamped under speculation, when it is valid
 *
 * The one place where a slot index from userspace is checked: every
 * other function takes indices that come from here or from the kernel.
 *
 * Return: 0, -EINVAL for an index out of range, -EPERM when the handle
 * does not hold the slot (that way), -EBUSY while an io_uring TAKE of it
 * is still completing.
 */
int cspchan_slot_lookup(struct cspchan *ch, struct file *file, u32 index,
			u32 how, u32 *slot)
{
	struct cspchan_slot *s;

	lockdep_assert_held(&ch->lock);
	if (index >= ch->nr_slots)
		return -EINVAL;
	index = array_index_nospec(index, ch->nr_slots);
	s = &ch->slots[index];
	if (s->owner != file || s->held == CSPCHAN_HELD_NONE ||
	    s->held == CSPCHAN_HELD_LEASED)
		return -EPERM;
	if (s->held == CSPCHAN_HELD_TAKING)	/* its TAKE is completing */
		return -EBUSY;
	if (how != CSPCHAN_HELD_NONE && s->held != how)
		return -EPERM;
	*slot = index;
	return 0;
}

/* Can a send proceed without parking?  Also what EPOLLOUT reports. */
bool cspchan_send_ready(const struct cspchan *ch)
{
	if (cspchan_buffered(ch))
		return READ_ONCE(ch->nr_free) != 0;
	return READ_ONCE(ch->nr_recvq) && READ_ONCE(ch->nr_free);
}

/*
 * Can a receive proceed without parking?  Also what EPOLLIN reports, so a
 * poller that finds messages but no token has the pacer wake it.
 */
bool cspchan_recv_ready(struct cspchan *ch)
{
	if (!READ_ONCE(ch->queued))
		return cspchan_recv_eos(ch);
	if (!cspchan_paced(ch) || cspchan_pace_ready(ch, ktime_get_ns()))
		return true;
	cspchan_pace_arm(ch);
	return false;
}

/*
 * Until a handle of the channel is polled nobody can sleep on rd_wait or
 * wr_wait, and the barrier in wq_has_sleeper() is skipped: ->poll sets
 * ch->polled under ch->lock before it registers (cspchan_note_poller()).
 */
static void cspchan_wake_pollers(struct cspchan *ch, wait_queue_head_t *wq,
				 __poll_t mask)
{
	lockdep_assert_held(&ch->lock);
	if (ch->polled && wq_has_sleeper(wq))
		wake_up_interruptible_poll(wq, mask);
}

/*
 * A slot's message is gone: grant the slot to the first parked sender,
 * or return it to the free stack.
 */
void cspchan_release_slot(struct cspchan *ch, u32 slot,
			  struct cspchan_wakeups *wk)
{
	struct cspchan_slot *s = &ch->slots[slot];
	struct cspchan_waiter *w;

	lockdep_assert_held(&ch->lock);
	s->offerer = NULL;
	s->len = 0;
	if (s->attach) {	/* nobody took the reply channel it carried */
		s->attach->drop(s->attach);
		s->attach = NULL;
	}

	w = cspchan_pop_waiter(ch, &ch->sendq, &ch->nr_sendq);
	if (w) {
		w->slot = slot;
		cspchan_wake_waiter(ch, wk, w, CSPCHAN_GRANTED);
		return;
	}
	ch->free[ch->nr_free++] = slot;
	if (cspchan_send_ready(ch))
		cspchan_wake_pollers(ch, &ch->wr_wait, EPOLLOUT | EPOLLWRNORM);
}

static void cspchan_ring_push(struct cspchan *ch, u32 slot)
{
	ch->ring[(ch->head + ch->queued) % ch->nr_slots] = slot;
	ch->queued++;
}

/*
 * A message that was taken goes back ahead of what is queued, but behind
 * messages put back before it that were sent before it: messages put back
 * one at a time (the io_uring TAKEs of a task that died) keep their order.
 * Offers are not sent yet, so they always come after.
 */
static void cspchan_ring_put_back(struct cspchan *ch, u32 slot)
{
	u64 order = ch->slots[slot].order;
	u32 i, pos;

	for (i = 0; i < ch->queued; i++) {
		struct cspchan_slot *q = &ch->slots[cspchan_ring_at(ch, i)];

		if (q->offerer || q->order > order)
			break;
	}
	/* Move the first i entries one place toward the front. */
	ch->head = (ch->head + ch->nr_slots - 1) % ch->nr_slots;
	for (pos = 0; pos < i; pos++)
		ch->ring[(ch->head + pos) % ch->nr_slots] =
			cspchan_ring_at(ch, pos + 1);
	ch->ring[(ch->head + i) % ch->nr_slots] = slot;
	ch->queued++;
}

static void cspchan_ring_pop(struct cspchan *ch)
{
	ch->head = (ch->head + 1) % ch->nr_slots;
	ch->queued--;
}

/* Remove one slot from anywhere in the ring, keeping the others' order. */
static void cspchan_ring_remove(struct cspchan *ch, u32 slot)
{
	u32 i, kept = 0;

	for (i = 0; i < ch->queued; i++) {
		u32 s = cspchan_ring_at(ch, i);

		if (s != slot)
			ch->ring[(ch->head + kept++) % ch->nr_slots] = s;
	}
	ch->queued = kept;
}

/**
 * cspchan_depth() - messages buffered now (offers are not buffered)
 * @ch:	the channel, locked
 */
u32 cspchan_depth(const struct cspchan *ch)
{
	return ch->queued - ch->nr_offers;
}

/*
 * Give the message its place in the channel's order, and its sequence
 * number unless it brought one (relayed).
 */
static void cspchan_stamp(struct cspchan *ch, struct cspchan_slot *s)
{
	if (!cspchan_slot_relayed(s))
		s->seq = ch->next_seq++;
	s->order = ch->sent++;
}

/* cspchan_stamp() undone: the message was not sent after all. */
static void cspchan_unstamp(struct cspchan *ch, struct cspchan_slot *s)
{
	if (!cspchan_slot_relayed(s))
		ch->next_seq--;
	ch->sent--;
}

/**
 * cspchan_slot_pid() - a message's sender as the current task sees it
 * @s:	a slot holding a message
 *
 * A relayed pid names a process on the machine the message came from: it
 * is reported as it came, not translated.
 */
u32 cspchan_slot_pid(const struct cspchan_slot *s)
{
	if (cspchan_slot_relayed(s))
		return s->relay_pid;
	return pid_nr_ns(s->pid, task_active_pid_ns(current));
}

/* Set the origin a message keeps: the slot lets go of its sender's pid. */
static void cspchan_slot_origin(struct cspchan_slot *s,
				const struct cspchan_msgmeta *origin)
{
	s->seq = origin->seq;
	s->sent_ns = origin->sent_ns;
	s->relay_pid = origin->pid;
	put_pid(s->pid);
	s->pid = NULL;
}

/**
 * cspchan_slot_relay() - a message brings its own seq, pid and sent_ns
 * @ch:		the channel, locked, a relay channel
 * @slot:	a slot the caller holds, to be sent with CSPCHAN_IO_ORIGIN
 * @origin:	its seq, sent_ns and pid
 */
void cspchan_slot_relay(struct cspchan *ch, u32 slot,
			const struct cspchan_msgmeta *origin)
{
	lockdep_assert_held(&ch->lock);
	cspchan_slot_origin(&ch->slots[slot], origin);
}

/*
 * A message is being sent: a reply channel it carries has travelled (from
 * now on, its last reference going shuts it down: reply.c).  Before the
 * message can reach a receiver, who may drop the reference at once.
 */
static void cspchan_sending(struct cspchan_slot *s)
{
	if (s->attach)
		WRITE_ONCE(s->attach->reply->travelled, true);
}

/*
 * A paced channel keeps messages back for lack of a token: if anyone
 * waits for them (parked, or polling, edge-triggered epoll included), the
 * pacer must run when the next token is there.
 */
static void cspchan_pace_watch(struct cspchan *ch, u64 now)
{
	if (ch->queued && (ch->nr_recvq || ch->polled) &&
	    !cspchan_pace_ready(ch, now))
		cspchan_pace_arm(ch);
}

/* A paced channel's receiver that waited for a token got a message. */
static void cspchan_pace_served(struct cspchan *ch, struct cspchan_waiter *w,
				u64 now)
{
	cspchan_pace_take(ch, now);
	if (w->since && now > w->since)
		ch->throttled_ns += now - w->since;
}

/*
 * Hand a message to the first parked receiver; false if there is none, or
 * (paced) no token.
 */
static bool cspchan_hand_off(struct cspchan *ch, u32 slot,
			     struct cspchan_wakeups *wk)
{
	struct cspchan_waiter *w;
	u64 now = 0;

	if (cspchan_paced(ch)) {
		now = ktime_get_ns();
		if (!cspchan_pace_ready(ch, now))
			return false;
	}
	w = cspchan_pop_waiter(ch, &ch->recvq, &ch->nr_recvq);
	if (!w)
		return false;
	if (now)
		cspchan_pace_served(ch, w, now);
	w->slot = slot;
	cspchan_wake_waiter(ch, wk, w, CSPCHAN_GRANTED);
	return true;
}

/* Hand a message over, or queue it (first, when it is being put back). */
static void cspchan_deliver(struct cspchan *ch, u32 slot, bool front,
			    struct cspchan_wakeups *wk)
{
	if (cspchan_hand_off(ch, slot, wk))
		return;
	if (front)
		cspchan_ring_put_back(ch, slot);
	else
		cspchan_ring_push(ch, slot);
	ch->high_water = max(ch->high_water, cspchan_depth(ch));
	if (cspchan_paced(ch)) {
		u64 now = ktime_get_ns();
		struct cspchan_waiter *w;

		/* Receivers parked for a message now wait for a token. */
		if (!cspchan_pace_ready(ch, now))
			list_for_each_entry(w, &ch->recvq, node)
				if (!w->since)
					w->since = now;
		cspchan_pace_watch(ch, now);
	}
	cspchan_wake_pollers(ch, &ch->rd_wait, EPOLLIN | EPOLLRDNORM);
}

/**
 * cspchan_get_slot() - take a free slot, waiting for one if needed
 * @ch:		the channel, locked
 * @flags:	CSPCHAN_IO_NONBLOCK: fail with -EAGAIN instead of waiting
 * @deadline:	absolute time to give up; NULL: never
 * @wk:		wake-ups to issue after unlocking
 *
 * Return: the slot, now held by the caller, or -EPIPE, -EAGAIN,
 * -ETIMEDOUT, -EINTR/-ERESTARTSYS.
 */
int cspchan_get_slot(struct cspchan *ch, unsigned int flags,
		     const ktime_t *deadline, struct cspchan_wakeups *wk)
{
	struct cspchan_waiter w;
	int ret;

	lockdep_assert_held(&ch->lock);
	if (ch->shut)
		return -EPIPE;
	if (ch->nr_free)
		return ch->free[--ch->nr_free];
	if (flags & CSPCHAN_IO_NONBLOCK)
		return -EAGAIN;

	cspchan_waiter_init(&w, NULL, 0);
	cspchan_waiter_spin(&w, flags);
	list_add_tail(&w.node, &ch->sendq);
	ch->nr_sendq++;
	ret = cspchan_wait(ch, &w, CSPCHAN_TRACE_SEND, deadline, wk);
	if (w.state == CSPCHAN_GRANTED)
		return w.slot;
	if (w.state == CSPCHAN_SHUT)
		return -EPIPE;
	list_del(&w.node);
	ch->nr_sendq--;
	return ret;
}

/*
 * A slot keeps its reference on the last sender's pid until another
 * sender uses it (or the channel is freed), so that a stream from one
 * process takes no pid reference per message.
 */
static void cspchan_stamp_sender(struct cspchan_slot *s, u32 len, u64 sent_ns,
				 unsigned int flags)
{
	struct pid *pid = task_tgid(current);

	s->len = len;
	s->deliveries = 0;
	if (flags & CSPCHAN_IO_ORIGIN)	/* relayed: it has its origin */
		return;
	s->sent_ns = sent_ns;
	if (s->pid != pid) {
		put_pid(s->pid);
		s->pid = get_pid(pid);
	}
}

/* Queue a stamped message as an offer; a receiver taking it grants @w. */
static void cspchan_queue_offer(struct cspchan *ch, u32 slot,
				struct cspchan_waiter *w)
{
	ch->slots[slot].offerer = w;
	ch->nr_offers++;
	cspchan_ring_push(ch, slot);
	cspchan_wake_pollers(ch, &ch->rd_wait, EPOLLIN | EPOLLRDNORM);
}

/**
 * cspchan_post_offer() - offer a message on an unbuffered channel
 * @ch:		the channel, locked, unbuffered, with no receiver parked
 * @slot:	the slot holding the message
 * @len:	its length
 * @w:		the sender's waiter, granted when a receiver takes it
 */
void cspchan_post_offer(struct cspchan *ch, u32 slot, u32 len,
			struct cspchan_waiter *w)
{
	lockdep_assert_held(&ch->lock);
	cspchan_stamp_sender(&ch->slots[slot], len, ktime_get_ns(), 0);
	cspchan_queue_offer(ch, slot, w);
}

/**
 * cspchan_withdraw_offer() - take back an offer nobody took
 * @ch:		the channel, locked
 * @slot:	the offer's slot, still in the ring
 */
void cspchan_withdraw_offer(struct cspchan *ch, u32 slot)
{
	struct cspchan_slot *s = &ch->slots[slot];

	lockdep_assert_held(&ch->lock);
	cspchan_ring_remove(ch, slot);
	ch->nr_offers--;
	s->offerer = NULL;
}

/**
 * cspchan_post_slot_at() - send the message the caller wrote into its slot
 * @ch:		the channel, locked
 * @slot:	a slot the caller holds, with the message in it
 * @len:	the message length (already checked)
 * @sent_ns:	the send's CLOCK_MONOTONIC time, for the message's metadata
 * @flags:	CSPCHAN_IO_NONBLOCK: an unbuffered send does not wait;
 *		CSPCHAN_IO_ORIGIN: the slot carries the message's origin
 *		(cspchan_slot_relay()), @sent_ns is not used
 * @deadline:	for an unbuffered send waiting for its taker; NULL: never
 * @wk:		wake-ups to issue after unlocking
 *
 * Return: @len once the message is in the channel (handed over, queued,
 * or for an unbuffered channel taken), or -EPIPE, -EAGAIN, -ETIMEDOUT,
 * -EINTR/-ERESTARTSYS with the slot still held by the caller.
 */
ssize_t cspchan_post_slot_at(struct cspchan *ch, u32 slot, u32 len,
			     u64 sent_ns, unsigned int flags,
			     const ktime_t *deadline, struct cspchan_wakeups *wk)
{
	struct cspchan_slot *s = &ch->slots[slot];
	struct cspchan_waiter w;
	ssize_t ret;

	lockdep_assert_held(&ch->lock);
	if (ch->shut)
		return -EPIPE;
	cspchan_stamp_sender(s, len, sent_ns, flags);
	cspchan_busy_note(ch, &ch->last_sender);

	if (cspchan_buffered(ch)) {
		ch->autoclose_armed = true;
		cspchan_stamp(ch, s);
		cspchan_sending(s);
		cspchan_deliver(ch, slot, false, wk);
		trace_cspchan_send(ch, len, s->seq);	/* depth after it */
		return len;
	}
	/* Stamped first: a parked io_uring TAKE consumes it at once. */
	cspchan_stamp(ch, s);
	if (cspchan_hand_off(ch, slot, wk)) {
		/* The taker acts only once the lock is dropped. */
		cspchan_sending(s);
		ch->autoclose_armed = true;
		trace_cspchan_send(ch, len, s->seq);
		return len;
	}
	cspchan_unstamp(ch, s);		/* nobody took it: not sent after all */
	ret = -EAGAIN;
	if (flags & CSPCHAN_IO_NONBLOCK)
		goto out_unpost;

	/* Unbuffered and nobody waiting: offer the message, wait for a taker. */
	cspchan_waiter_init(&w, NULL, 0);	/* parked on the offer */
	cspchan_waiter_spin(&w, flags);
	cspchan_queue_offer(ch, slot, &w);
	ret = cspchan_wait(ch, &w, CSPCHAN_TRACE_SEND, deadline, wk);
	if (w.state == CSPCHAN_GRANTED)
		return len;		/* the receiver took it, and the slot */
	if (w.state == CSPCHAN_SHUT) {
		ret = -EPIPE;		/* shutdown withdrew the offer */
		goto out_unpost;
	}
	cspchan_withdraw_offer(ch, slot);
	return ret;
out_unpost:
	s->offerer = NULL;
	return ret;
}

/**
 * cspchan_post_slot() - cspchan_post_slot_at(), sent now
 * @ch:		the channel, locked
 * @slot:	a slot the caller holds, with the message in it
 * @len:	the message length (already checked)
 * @flags:	CSPCHAN_IO_*
 * @deadline:	absolute time to give up; NULL: never
 * @wk:		wake-ups to issue after unlocking
 *
 * Return: as cspchan_post_slot_at().
 */
ssize_t cspchan_post_slot(struct cspchan *ch, u32 slot, u32 len,
			  unsigned int flags, const ktime_t *deadline,
			  struct cspchan_wakeups *wk)
{
	return cspchan_post_slot_at(ch, slot, len, ktime_get_ns(), flags,
				    deadline, wk);
}

/**
 * cspchan_offer_taken() - a receiver took an offer: its send is complete
 * @ch:		the channel, locked
 * @s:		the offer's slot
 * @wk:		wake-ups to issue after unlocking
 */
void cspchan_offer_taken(struct cspchan *ch, struct cspchan_slot *s,
			 struct cspchan_wakeups *wk)
{
	ch->autoclose_armed = true;
	cspchan_stamp(ch, s);
	ch->nr_offers--;
	cspchan_sending(s);
	cspchan_wake_waiter(ch, wk, s->offerer, CSPCHAN_GRANTED);
	s->offerer = NULL;
	trace_cspchan_send(ch, s->len, s->seq);
}

/**
 * cspchan_consume() - the receiver has the message in @slot
 * @ch:		the channel, locked
 * @slot:	the ring's head, or a slot handed to the receiver
 * @handed:	@slot was handed over (it is not in the ring)
 * @meta:	if not NULL, receives the message's metadata
 * @wk:		wake-ups to issue after unlocking
 *
 * Takes the message out of the channel's order; the slot stays with the
 * caller, who releases it (copy path) or holds it (zero-copy).
 */
void cspchan_consume(struct cspchan *ch, u32 slot, bool handed,
		     struct cspchan_msgmeta *meta, struct cspchan_wakeups *wk)
{
	struct cspchan_slot *s = &ch->slots[slot];

	lockdep_assert_held(&ch->lock);
	if (!handed) {
		cspchan_ring_pop(ch);
		if (cspchan_paced(ch)) {
			u64 now = ktime_get_ns();

			cspchan_pace_take(ch, now);
			cspchan_pace_watch(ch, now);
		}
	}
	if (s->offerer)
		cspchan_offer_taken(ch, s, wk);
	trace_cspchan_recv(ch, s->len, s->seq);
	if (cspchan_leases(ch) && s->deliveries++)
		ch->redelivered++;
	if (meta) {
		meta->seq = s->seq;
		meta->sent_ns = s->sent_ns;
		meta->pid = cspchan_slot_pid(s);
		meta->deliveries = cspchan_leases(ch) ? s->deliveries : 1;
		meta->lease = 0;
		meta->reply = NULL;
	}
	ch->received++;
	/*
	 * The last message of a shut-down channel: receivers still parked
	 * (for a token) get end of stream.  On a lease channel the message
	 * is about to be leased; its lease's end decides (lease.c).
	 */
	if (ch->nr_recvq && ch->shut && !ch->queued && !cspchan_leases(ch))
		cspchan_wake_all(ch, &ch->recvq, &ch->nr_recvq, CSPCHAN_SHUT,
				 wk);
}

/**
 * cspchan_unconsume() - a consumed message nobody received goes back
 * @ch:		the channel, locked
 * @slot:	its slot, held by nobody
 * @wk:		wake-ups to issue after unlocking
 *
 * First in the channel again, as if cspchan_consume() had not happened.
 */
void cspchan_unconsume(struct cspchan *ch, u32 slot, struct cspchan_wakeups *wk)
{
	struct cspchan_slot *s = &ch->slots[slot];

	lockdep_assert_held(&ch->lock);
	ch->received--;
	if (cspchan_leases(ch) && --s->deliveries)
		ch->redelivered--;
	cspchan_put_back(ch, slot, wk);
}

/**
 * cspchan_post_letter() - send a message that keeps its metadata
 * @ch:		the channel, locked
 * @slot:	a slot the caller got from cspchan_get_slot(), filled
 * @len:	the message length (at most msg_size)
 * @meta:	its seq and sent_ns, kept, and its relayed pid
 * @pid:	its sender, or NULL for a relayed message (@meta->pid)
 * @wk:		wake-ups to issue after unlocking
 *
 * For dead letters, which keep seq, pid and sent_ns of the channel they
 * come from (a relayed message's as it came).  Never waits: on an
 * unbuffered channel with no receiver parked the message is dropped.
 *
 * Return: @len, or -EAGAIN when it was dropped.
 */
ssize_t cspchan_post_letter(struct cspchan *ch, u32 slot, u32 len,
			    const struct cspchan_msgmeta *meta,
			    struct pid *pid, struct cspchan_wakeups *wk)
{
	struct cspchan_slot *s = &ch->slots[slot];

	lockdep_assert_held(&ch->lock);
	s->len = len;
	s->deliveries = 0;
	if (!pid) {
		cspchan_slot_origin(s, meta);
	} else {
		s->sent_ns = meta->sent_ns;
		s->seq = meta->seq;
		if (s->pid != pid) {
			put_pid(s->pid);
			s->pid = get_pid(pid);
		}
	}
	s->order = ch->sent;
	if (cspchan_buffered(ch)) {
		cspchan_deliver(ch, slot, false, wk);
	} else if (!cspchan_hand_off(ch, slot, wk)) {
		cspchan_release_slot(ch, slot, wk);
		return -EAGAIN;
	}
	ch->sent++;
	ch->autoclose_armed = true;
	trace_cspchan_send(ch, len, s->seq);
	return len;
}

/**
 * cspchan_put_back() - a handed message could not be received: requeue it
 * @ch:		the channel, locked
 * @slot:	the handed slot
 * @wk:		wake-ups to issue after unlocking
 */
void cspchan_put_back(struct cspchan *ch, u32 slot, struct cspchan_wakeups *wk)
{
	cspchan_deliver(ch, slot, true, wk);
}

/**
 * cspchan_park_receiver() - queue a receiver's waiter on recvq
 * @ch:	the channel, locked
 * @w:	the waiter (a task, a select case or an io_uring TAKE)
 *
 * On an unbuffered channel a parked receiver is what makes a send ready,
 * so poll writers are told.
 */
void cspchan_park_receiver(struct cspchan *ch, struct cspchan_waiter *w)
{
	lockdep_assert_held(&ch->lock);
	list_add_tail(&w->node, &ch->recvq);
	ch->nr_recvq++;
	w->since = 0;
	if (cspchan_paced(ch) && ch->queued) {	/* waiting for a token */
		w->since = ktime_get_ns();
		trace_cspchan_throttle(ch, cspchan_pace_wait_ns(ch, w->since));
		cspchan_pace_arm(ch);
	}
	if (!cspchan_buffered(ch) && cspchan_send_ready(ch))
		cspchan_wake_pollers(ch, &ch->wr_wait, EPOLLOUT | EPOLLWRNORM);
}

/* Drop the offer at the ring's head: its select performed another case. */
static void cspchan_drop_stale_offer(struct cspchan *ch, u32 slot)
{
	cspchan_ring_pop(ch);
	ch->nr_offers--;
	ch->slots[slot].offerer = NULL;	/* the select frees the slot */
}

/**
 * cspchan_offer_claim() - may the message at the ring's head be taken?
 * @ch:		the channel, locked
 * @slot:	the ring's head
 *
 * A select's offer may be taken only by the receiver that claims the
 * select; one that loses the claim drops the stale offer.  Called at the
 * point of no return, just before the message is taken.
 *
 * Return: true if it may be taken; false when it was dropped (look for
 * the next message).
 */
bool cspchan_offer_claim(struct cspchan *ch, u32 slot)
{
	struct cspchan_waiter *w = ch->slots[slot].offerer;

	lockdep_assert_held(&ch->lock);
	if (!w || !w->sel || cspchan_sel_claim(w->sel))
		return true;
	cspchan_drop_stale_offer(ch, slot);
	return false;
}

/**
 * cspchan_next_msg() - find the next message, waiting for one if needed
 * @ch:		the channel, locked
 * @flags:	CSPCHAN_IO_*
 * @deadline:	absolute time to give up; NULL: never
 * @wk:		wake-ups to issue after unlocking
 * @slot:	set to the message's slot
 * @handed:	set when the message was handed to us (not in the ring)
 *
 * Return: 1 with *@slot set, 0 at end of stream, or -EAGAIN, -ETIMEDOUT,
 * -EINTR/-ERESTARTSYS.
 */
int cspchan_next_msg(struct cspchan *ch, unsigned int flags,
		     const ktime_t *deadline, struct cspchan_wakeups *wk,
		     u32 *slot, bool *handed)
{
	struct cspchan_waiter w;
	int ret;

	lockdep_assert_held(&ch->lock);
	*handed = false;
	while (ch->queued) {
		struct cspchan_waiter *o;

		*slot = cspchan_ring_at(ch, 0);
		o = ch->slots[*slot].offerer;
		if (o && !cspchan_waiter_live(o, NULL)) {
			cspchan_drop_stale_offer(ch, *slot);
			continue;
		}
		if (cspchan_paced(ch) && !cspchan_pace_ready(ch, ktime_get_ns()))
			break;		/* a message, but no token yet */
		cspchan_busy_note(ch, &ch->last_receiver);
		return 1;
	}
	if (!ch->queued && cspchan_recv_eos(ch))
		return 0;
	if (flags & CSPCHAN_IO_NONBLOCK) {
		if (ch->queued)
			cspchan_pace_watch(ch, ktime_get_ns());
		return -EAGAIN;
	}

	cspchan_waiter_init(&w, NULL, 0);
	cspchan_waiter_spin(&w, flags);
	cspchan_park_receiver(ch, &w);
	ret = cspchan_wait(ch, &w, CSPCHAN_TRACE_RECV, deadline, wk);
	if (w.state == CSPCHAN_SHUT)
		return 0;
	if (w.state == CSPCHAN_WAITING) {
		list_del(&w.node);
		ch->nr_recvq--;
		if (w.since)	/* a wait for a token ended */
			ch->throttled_ns += ktime_get_ns() - w.since;
		return ret;
	}
	*slot = w.slot;
	*handed = true;
	cspchan_busy_note(ch, &ch->last_receiver);
	return 1;
}

/*
 * The pacer: hand queued messages to receivers parked for a token, as
 * many as there are tokens; arm the timer for the next token while
 * messages and receivers (or pollers) wait.
 */
static void cspchan_pace_serve_locked(struct cspchan *ch,
				      struct cspchan_wakeups *wk)
{
	u64 now = ktime_get_ns();

	lockdep_assert_held(&ch->lock);
	while (ch->queued && ch->nr_recvq && cspchan_pace_ready(ch, now)) {
		u32 slot = cspchan_ring_at(ch, 0);
		struct cspchan_waiter *w;

		w = cspchan_pop_waiter(ch, &ch->recvq, &ch->nr_recvq);
		if (!w)
			break;
		cspchan_ring_pop(ch);
		cspchan_pace_served(ch, w, now);
		w->slot = slot;
		cspchan_wake_waiter(ch, wk, w, CSPCHAN_GRANTED);
	}
	if (ch->queued && cspchan_paced(ch) && !cspchan_pace_ready(ch, now)) {
		if (ch->nr_recvq || ch->polled)
			cspchan_pace_arm(ch);
	} else if (ch->queued) {
		cspchan_wake_pollers(ch, &ch->rd_wait, EPOLLIN | EPOLLRDNORM);
	}
}

static void cspchan_pace_serve(struct work_struct *work)
{
	struct cspchan *ch = container_of(work, struct cspchan, pace_work);
	struct cspchan_wakeups wk = { .nr = 0 };

	mutex_lock(&ch->lock);
	cspchan_pace_serve_locked(ch, &wk);
	cspchan_unlock_and_wake(ch, &wk);
}

/**
 * cspchan_pacer_init() - set up a new channel's pacer
 * @ch:	the channel, not yet reachable
 */
void cspchan_pacer_init(struct cspchan *ch)
{
	cspchan_pace_init(ch, cspchan_pace_serve);
}

/**
 * cspchan_set_rate() - CSPCHAN_IOC_SET_RATE: pace a live channel
 * @ch:		the channel
 * @rate:	messages per second, 0 for unpaced
 * @burst:	bucket size, 0 means 1
 *
 * The bucket starts full; receivers waiting for a token are served.
 *
 * Return: 0, -EINVAL for an unbuffered channel, -EINTR.
 */
int cspchan_set_rate(struct cspchan *ch, u32 rate, u32 burst)
{
	struct cspchan_wakeups wk = { .nr = 0 };

	if (rate && !cspchan_buffered(ch))
		return -EINVAL;
	if (mutex_lock_interruptible(&ch->lock))
		return -EINTR;
	cspchan_pace_set(ch, rate, burst);
	cspchan_pace_serve_locked(ch, &wk);
	if (ch->queued)
		cspchan_wake_pollers(ch, &ch->rd_wait, EPOLLIN | EPOLLRDNORM);
	cspchan_unlock_and_wake(ch, &wk);
	return 0;
}
