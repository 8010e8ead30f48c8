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

#include "cspchan.h"
#include "trace.h"

static void cspchan_wake(struct cspchan *ch, struct cspchan_wakeups *wk,
			 struct cspchan_waiter *w, int state)
{
	struct task_struct *task = w->task;

	if (w->ops) {		/* an asynchronous request: complete it */
		w->ops->grant(ch, w, state, wk);
		return;
	}

	/*
	 * The waiter reads its state under ch->lock, which we hold, so it
	 * cannot return (and free its waiter) before we drop the lock; from
	 * the store on we do not touch the waiter again.
	 */
	if (wk->nr < ARRAY_SIZE(wk->task)) {
		get_task_struct(task);
		wk->task[wk->nr++] = task;
		WRITE_ONCE(w->state, state);
	} else {
		WRITE_ONCE(w->state, state);
		wake_up_process(task);
	}
}

/**
 * cspchan_unlock_and_wake() - drop ch->lock, then wake what was collected
 * @ch:	the channel
 * @wk:	tasks collected by cspchan_wake()
 */
void cspchan_unlock_and_wake(struct cspchan *ch, struct cspchan_wakeups *wk)
	__releases(&ch->lock)
{
	unsigned int i;

	mutex_unlock(&ch->lock);
	for (i = 0; i < wk->nr; i++) {
		wake_up_process(wk->task[i]);
		put_task_struct(wk->task[i]);
	}
	wk->nr = 0;
}

/**
 * cspchan_waiter_init() - prepare a waiter for the current task
 * @w:		the waiter
 * @sel:	the select it belongs to, or NULL
 * @index:	the select case it stands for
 */
void cspchan_waiter_init(struct cspchan_waiter *w, struct cspchan_sel *sel,
			 u32 index)
{
	INIT_LIST_HEAD(&w->node);
	INIT_LIST_HEAD(&w->parked);
	w->task = current;
	w->sel = sel;
	w->ops = NULL;
	w->index = index;
	w->slot = 0;
	w->state = CSPCHAN_WAITING;
}

/**
 * cspchan_async_init() - prepare a waiter for an asynchronous request
 * @w:		the waiter
 * @ops:	how the request is completed
 */
void cspchan_async_init(struct cspchan_waiter *w,
			const struct cspchan_waiter_ops *ops)
{
	cspchan_waiter_init(w, NULL, 0);
	w->task = NULL;
	w->ops = ops;
}

/* How often the reaper looks for requests nobody can reap any more. */
#define CSPCHAN_REAP_MS	100

/**
 * cspchan_park_async() - note a parked asynchronous request for the reaper
 * @ch:	the channel, locked
 * @w:	the request's waiter, queued (or offered) on @ch
 *
 * Linux 6.1 cannot cancel a uring command or an in-flight read: a parked
 * one pins the ring, the handle and the module until the driver completes
 * it.  So the channel's reaper completes, every CSPCHAN_REAP_MS while
 * something is parked, the requests whose submitter is gone.
 */
void cspchan_park_async(struct cspchan *ch, struct cspchan_waiter *w)
{
	lockdep_assert_held(&ch->lock);
	if (list_empty(&ch->async_parked))
		schedule_delayed_work(&ch->reaper,
				      msecs_to_jiffies(CSPCHAN_REAP_MS));
	list_add_tail(&w->parked, &ch->async_parked);
}

/**
 * cspchan_unpark_async() - the request is complete: the reaper forgets it
 * @ch:	the channel, locked
 * @w:	the request's waiter
 */
void cspchan_unpark_async(struct cspchan *ch, struct cspchan_waiter *w)
{
	lockdep_assert_held(&ch->lock);
	list_del_init(&w->parked);
}

static void cspchan_reap(struct work_struct *work)
{
	struct cspchan *ch = container_of(to_delayed_work(work), struct cspchan,
					  reaper);
	struct cspchan_waiter *w, *tmp;

	mutex_lock(&ch->lock);
	list_for_each_entry_safe(w, tmp, &ch->async_parked, parked)
		if (w->ops->gone(w))
			w->ops->cancel(ch, w);
	if (!list_empty(&ch->async_parked))
		schedule_delayed_work(&ch->reaper,
				      msecs_to_jiffies(CSPCHAN_REAP_MS));
	mutex_unlock(&ch->lock);
}

/**
 * cspchan_reaper_init() - a new channel: its reaper, idle
 * @ch:	the channel
 */
void cspchan_reaper_init(struct cspchan *ch)
{
	INIT_DELAYED_WORK(&ch->reaper, cspchan_reap);
}

/**
 * cspchan_reaper_exit() - the channel is freed: stop its reaper
 * @ch:	the channel, with nothing parked (parked requests pin a handle)
 */
void cspchan_reaper_exit(struct cspchan *ch)
{
	cancel_delayed_work_sync(&ch->reaper);
}

/*
 * May this waiter be given something?  A plain waiter always; a select's
 * waiter only if it wins the select's claim; an asynchronous request only
 * if its submitter can still reap it (else it is cancelled).
 */
static bool cspchan_claim(struct cspchan *ch, struct cspchan_waiter *w)
{
	if (w->ops)
		return w->ops->claim(ch, w);
	return !w->sel || atomic_cmpxchg(&w->sel->done, 0, 1) == 0;
}

/* Unlink the first waiter that can be claimed; drop stale ones on the way. */
static struct cspchan_waiter *cspchan_pop_waiter(struct cspchan *ch,
						 struct list_head *queue,
						 u32 *nr)
{
	struct cspchan_waiter *w, *tmp;

	list_for_each_entry_safe(w, tmp, queue, node) {
		list_del_init(&w->node);
		(*nr)--;
		if (cspchan_claim(ch, w))
			return w;
	}
	return NULL;
}

/*
 * Could this waiter still be claimed by someone other than @self (a
 * select's own cases never pair with each other)?  A hint: the claim
 * decides.
 */
static bool cspchan_waiter_live(const struct cspchan_waiter *w,
				const struct cspchan_sel *self)
{
	return !w->sel || (w->sel != self && !atomic_read(&w->sel->done));
}

static bool cspchan_has_live_waiter(struct list_head *queue,
				    struct cspchan_sel *self)
{
	struct cspchan_waiter *w;

	list_for_each_entry(w, queue, node)
		if (cspchan_waiter_live(w, self))
			return true;
	return false;
}

/**
 * cspchan_interrupted() - does a signal end this wait?
 * @notified:	set when io_uring task work was pending and set aside
 *
 * io_uring task work makes signal_pending() true (TIF_NOTIFY_SIGNAL) with
 * no signal.  It must not end a wait: a timed wait would fail with -EINTR
 * and an untimed one, restarted, would rejoin its queue at the tail.  The
 * work runs when the task returns to userspace.  Where the kernel lets a
 * task ignore it (PF_NO_NOTIFY_SIGNAL, see cspchan_ignore_task_work()) it
 * never shows here; elsewhere the flag is cleared for the wait and set
 * again by cspchan_task_work_restore().
 *
 * Return: true for a real signal.
 */
bool cspchan_interrupted(bool *notified)
{
	if (!signal_pending(current))
		return false;
	if (task_sigpending(current))
		return true;
	clear_notify_signal();
	*notified = true;
	return false;
}

/**
 * cspchan_task_work_restore() - the wait is over: let the task work run
 * @notified:	what cspchan_interrupted() set aside
 */
void cspchan_task_work_restore(bool notified)
{
	if (notified)
		set_thread_flag(TIF_NOTIFY_SIGNAL);
}

/*
 * Sleep until a waker changes w->state, a signal arrives or the deadline
 * passes.  A changed state wins over a signal or a timeout: what was
 * granted is used, so nothing is lost.  Called and returns with ch->lock
 * held; the wake-ups collected so far are issued before sleeping.
 */
static int cspchan_wait(struct cspchan *ch, struct cspchan_waiter *w,
			int op, const ktime_t *deadline,
			struct cspchan_wakeups *wk)
	__must_hold(&ch->lock)
{
	u64 start = trace_cspchan_wake_enabled() ? ktime_get_ns() : 0;
	unsigned int saved = cspchan_ignore_task_work();
	bool expired = false, notified = false;
	ktime_t expires;
	int ret = 0;

	lockdep_assert_held(&ch->lock);
	trace_cspchan_block(ch, op);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (READ_ONCE(w->state) != CSPCHAN_WAITING)
			break;
		if (cspchan_interrupted(&notified)) {
			/* A timed wait is not restarted with its full timeout. */
			ret = deadline ? -EINTR : -ERESTARTSYS;
			break;
		}
		if (expired) {
			ret = -ETIMEDOUT;
			break;
		}
		cspchan_unlock_and_wake(ch, wk);
		if (deadline) {
			expires = *deadline;
			expired = !schedule_hrtimeout_range(&expires, 0,
							    HRTIMER_MODE_ABS);
		} else {
			schedule();
		}
		mutex_lock(&ch->lock);
	}
	__set_current_state(TASK_RUNNING);
	cspchan_task_work_restore(notified);
	cspchan_restore_task_work(saved);
	if (trace_cspchan_wake_enabled())
		trace_cspchan_wake(ch, op, start ? ktime_get_ns() - start : 0,
				   ret);
	return ret;
}

/**
 * cspchan_lock_io() - take ch->lock for a send or receive
 * @ch:		the channel
 * @flags:	CSPCHAN_IO_NONBLOCK for an attempt that must not wait for
 *		the channel's state (O_NONBLOCK, io_uring's IOCB_NOWAIT)
 *
 * A blocking operation can be interrupted by a signal while it waits for
 * the lock, a non-blocking attempt only by a fatal one; io_uring task work
 * interrupts neither (cspchan_interrupted()).
 *
 * Return: 0 with the lock held, or -ERESTARTSYS / -EINTR.
 */
int cspchan_lock_io(struct cspchan *ch, unsigned int flags)
{
	unsigned int saved;
	bool notified = false;
	int ret = 0;

	if (flags & CSPCHAN_IO_NONBLOCK)
		return mutex_lock_killable(&ch->lock) ? -EINTR : 0;
	saved = cspchan_ignore_task_work();
	while (mutex_lock_interruptible(&ch->lock)) {
		if (cspchan_interrupted(&notified)) {
			ret = -ERESTARTSYS;
			break;
		}
	}
	cspchan_task_work_restore(notified);
	cspchan_restore_task_work(saved);
	return ret;
}

/**
 * cspchan_timeout_flags() - a handle's O_NONBLOCK and a request's timeout
 * @file:	the handle
 * @timeout_ns:	<0 waits forever, 0 never waits, >0 sets *@deadline
 * @deadline:	storage for the deadline
 * @dl:		set to @deadline, or NULL for no deadline
 *
 * Return: CSPCHAN_IO_NONBLOCK or 0, for cspchan_send_iter() and friends.
 */
unsigned int cspchan_timeout_flags(struct file *file, s64 timeout_ns,
				   ktime_t *deadline, ktime_t **dl)
{
	*dl = NULL;
	if ((file->f_flags & O_NONBLOCK) || !timeout_ns)
		return CSPCHAN_IO_NONBLOCK;
	if (timeout_ns > 0) {
		*deadline = ktime_add_safe(ktime_get(), ns_to_ktime(timeout_ns));
		*dl = deadline;
	}
	return 0;
}

/* Messages up to this size are copied under ch->lock, larger ones outside. */
#define CSPCHAN_LOCKED_COPY_MAX	512

/* Copy a message into a slot; true when all of it arrived. */
static bool cspchan_slot_fill(struct cspchan *ch, u32 slot, size_t len,
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

static bool cspchan_buffered(const struct cspchan *ch)
{
	return ch->capacity != 0;
}

/* Can a send proceed without parking?  Also what EPOLLOUT reports. */
static bool cspchan_send_ready(const struct cspchan *ch)
{
	if (cspchan_buffered(ch))
		return READ_ONCE(ch->nr_free) != 0;
	return READ_ONCE(ch->nr_recvq) && READ_ONCE(ch->nr_free);
}

/* Can a receive proceed without parking?  Also what EPOLLIN reports. */
static bool cspchan_recv_ready(const struct cspchan *ch)
{
	return READ_ONCE(ch->queued);
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

	w = cspchan_pop_waiter(ch, &ch->sendq, &ch->nr_sendq);
	if (w) {
		w->slot = slot;
		cspchan_wake(ch, wk, w, CSPCHAN_GRANTED);
		return;
	}
	ch->free[ch->nr_free++] = slot;
	if (cspchan_send_ready(ch))
		cspchan_wake_pollers(ch, &ch->wr_wait, EPOLLOUT | EPOLLWRNORM);
}

static u32 cspchan_ring_at(const struct cspchan *ch, u32 i)
{
	return ch->ring[(ch->head + i) % ch->nr_slots];
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
	u64 seq = ch->slots[slot].seq;
	u32 i, pos;

	for (i = 0; i < ch->queued; i++) {
		struct cspchan_slot *q = &ch->slots[cspchan_ring_at(ch, i)];

		if (q->offerer || q->seq > seq)
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

/* Give the message its place in the channel's order. */
static void cspchan_stamp(struct cspchan *ch, struct cspchan_slot *s)
{
	s->seq = ch->next_seq++;
	ch->sent++;
}

/* Hand a message to the first parked receiver; false if there is none. */
static bool cspchan_hand_off(struct cspchan *ch, u32 slot,
			     struct cspchan_wakeups *wk)
{
	struct cspchan_waiter *w;

	w = cspchan_pop_waiter(ch, &ch->recvq, &ch->nr_recvq);
	if (!w)
		return false;
	w->slot = slot;
	cspchan_wake(ch, wk, w, CSPCHAN_GRANTED);
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
static void cspchan_stamp_sender(struct cspchan_slot *s, u32 len, u64 sent_ns)
{
	struct pid *pid = task_tgid(current);

	s->len = len;
	s->sent_ns = sent_ns;
	if (s->pid != pid) {
		put_pid(s->pid);
		s->pid = get_pid(pid);
	}
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
	struct cspchan_slot *s = &ch->slots[slot];

	lockdep_assert_held(&ch->lock);
	cspchan_stamp_sender(s, len, ktime_get_ns());
	s->offerer = w;
	ch->nr_offers++;
	cspchan_ring_push(ch, slot);
	cspchan_wake_pollers(ch, &ch->rd_wait, EPOLLIN | EPOLLRDNORM);
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
 * @flags:	CSPCHAN_IO_NONBLOCK: an unbuffered send does not wait
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
	cspchan_stamp_sender(s, len, sent_ns);

	if (cspchan_buffered(ch)) {
		ch->autoclose_armed = true;
		cspchan_stamp(ch, s);
		cspchan_deliver(ch, slot, false, wk);
		trace_cspchan_send(ch, len, s->seq);
		return len;
	}
	/* Stamped first: a parked io_uring TAKE consumes it at once. */
	cspchan_stamp(ch, s);
	if (cspchan_hand_off(ch, slot, wk)) {
		ch->autoclose_armed = true;
		trace_cspchan_send(ch, len, s->seq);
		return len;
	}
	ch->next_seq--;		/* nobody took it: not sent after all */
	ch->sent--;
	ret = -EAGAIN;
	if (flags & CSPCHAN_IO_NONBLOCK)
		goto out_unpost;

	/* Unbuffered and nobody waiting: offer the message, wait for a taker. */
	cspchan_waiter_init(&w, NULL, 0);	/* parked on the offer */
	cspchan_post_offer(ch, slot, len, &w);
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
 *
 * Return: the message length, or -EINVAL (empty), -EMSGSIZE, -EPIPE (shut
 * down), -EAGAIN, -ETIMEDOUT, -EINTR/-ERESTARTSYS, -EFAULT.  On error the
 * channel is as it was.
 */
ssize_t cspchan_send_iter(struct cspchan *ch, struct iov_iter *from,
			  unsigned int flags, const ktime_t *deadline)
{
	size_t len = iov_iter_count(from);
	struct cspchan_wakeups wk = { .nr = 0 };
	ssize_t ret;
	int slot;

	if (!len)
		return -EINVAL;
	if (len > ch->msg_size)
		return -EMSGSIZE;
	ret = cspchan_lock_io(ch, flags);
	if (ret)
		return ret;
	if ((flags & CSPCHAN_IO_NONBLOCK) && !ch->shut &&
	    !cspchan_send_ready(ch))
		slot = -EAGAIN;		/* fail before copying */
	else
		slot = cspchan_get_slot(ch, flags, deadline, &wk);
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

/* A receiver took an offer: its send is complete. */
static void cspchan_offer_taken(struct cspchan *ch, struct cspchan_slot *s,
				struct cspchan_wakeups *wk)
{
	ch->autoclose_armed = true;
	cspchan_stamp(ch, s);
	ch->nr_offers--;
	cspchan_wake(ch, wk, s->offerer, CSPCHAN_GRANTED);
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
	if (!handed)
		cspchan_ring_pop(ch);
	if (s->offerer)
		cspchan_offer_taken(ch, s, wk);
	trace_cspchan_recv(ch, s->len, s->seq);
	if (meta) {
		meta->seq = s->seq;
		meta->sent_ns = s->sent_ns;
		meta->pid = pid_nr_ns(s->pid, task_active_pid_ns(current));
	}
	ch->received++;
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
	if (!w || !w->sel || atomic_cmpxchg(&w->sel->done, 0, 1) == 0)
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
		return 1;
	}
	if (ch->shut)
		return 0;
	if (flags & CSPCHAN_IO_NONBLOCK)
		return -EAGAIN;

	cspchan_waiter_init(&w, NULL, 0);
	cspchan_park_receiver(ch, &w);
	ret = cspchan_wait(ch, &w, CSPCHAN_TRACE_RECV, deadline, wk);
	if (w.state == CSPCHAN_SHUT)
		return 0;
	if (w.state == CSPCHAN_WAITING) {
		list_del(&w.node);
		ch->nr_recvq--;
		return ret;
	}
	*slot = w.slot;
	*handed = true;
	return 1;
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
 * @slot:	the ring's head, or a slot handed to the caller
 * @handed:	@slot was handed to the caller (it is not in the ring)
 * @to:		where to copy the message
 * @meta:	if not NULL, receives the message's metadata
 * @wk:		wake-ups to issue after unlocking
 *
 * Return: the message length, or -EMSGSIZE / -EFAULT with the message
 * first in the channel again, or -ESTALE when @slot was a select's offer
 * that had gone stale and was dropped (look for the next message).
 */
ssize_t cspchan_recv_slot(struct cspchan *ch, u32 slot, bool handed,
			  struct iov_iter *to, struct cspchan_msgmeta *meta,
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
	cspchan_release_slot(ch, slot, wk);
	return ret;
}

/**
 * cspchan_recv_iter() - receive one message
 * @ch:		the channel
 * @to:		where to put it; must hold the whole message
 * @flags:	CSPCHAN_IO_NONBLOCK: fail with -EAGAIN instead of waiting
 * @deadline:	absolute CLOCK_MONOTONIC time to give up; NULL: never
 * @meta:	if not NULL, receives the message's metadata
 *
 * Return: the message length, 0 at end of stream (shut down and drained),
 * or -EMSGSIZE, -EAGAIN, -ETIMEDOUT, -EINTR/-ERESTARTSYS, -EFAULT; on
 * error the message stays first in the channel.
 */
ssize_t cspchan_recv_iter(struct cspchan *ch, struct iov_iter *to,
			  unsigned int flags, const ktime_t *deadline,
			  struct cspchan_msgmeta *meta)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan_slot *s;
	bool handed;
	ssize_t ret;
	u32 slot, len;

	ret = cspchan_lock_io(ch, flags);
	if (ret)
		return ret;
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
	    s->len <= CSPCHAN_LOCKED_COPY_MAX) {
		ret = cspchan_recv_slot(ch, slot, handed, to, meta, &wk);
		if (ret == -ESTALE)
			goto again;
		goto out;
	}

	/*
	 * Take the message out of the order, then copy it without the lock:
	 * the slot is ours alone until we release it.  A fault puts the
	 * message back first.
	 */
	len = s->len;
	cspchan_consume(ch, slot, handed, meta, &wk);
	cspchan_unlock_and_wake(ch, &wk);
	ret = len;
	if (!cspchan_slot_empty(ch, slot, len, to))
		ret = -EFAULT;
	mutex_lock(&ch->lock);
	if (ret < 0) {
		ch->received--;
		cspchan_put_back(ch, slot, &wk);
	} else {
		cspchan_release_slot(ch, slot, &wk);
	}
out:
	cspchan_unlock_and_wake(ch, &wk);
	return ret;
}

/* Is a message queued that a receive case of @sel may take? */
static bool cspchan_has_msg_for(struct cspchan *ch, struct cspchan_sel *sel)
{
	u32 i;

	for (i = 0; i < ch->queued; i++) {
		struct cspchan_waiter *o = ch->slots[cspchan_ring_at(ch, i)].offerer;

		if (!o || cspchan_waiter_live(o, sel))
			return true;
	}
	return false;
}

/**
 * cspchan_case_ready() - would this select case proceed without parking?
 * @ch:		the channel, locked
 * @send:	a send case (else a receive case)
 * @has_slot:	an unbuffered send case that holds its hand-off slot
 * @sel:	the select asking; its own parked waiters do not count
 */
bool cspchan_case_ready(struct cspchan *ch, bool send, bool has_slot,
			struct cspchan_sel *sel)
{
	lockdep_assert_held(&ch->lock);
	if (ch->shut)
		return true;
	if (!send)
		return cspchan_has_msg_for(ch, sel);
	if (cspchan_buffered(ch))
		return ch->nr_free;
	return (has_slot || ch->nr_free) &&
	       cspchan_has_live_waiter(&ch->recvq, sel);
}

/**
 * cspchan_park_select() - park a select's waiter for one case
 * @ch:		the channel, locked, and not ready for the case
 * @w:		the waiter, initialised with its select and case index
 * @send:	a send case (else a receive case): it waits for a slot
 *
 * An unbuffered send case that has its slot waits as an offer instead
 * (cspchan_offer_select()).
 */
void cspchan_park_select(struct cspchan *ch, struct cspchan_waiter *w,
			 bool send)
{
	lockdep_assert_held(&ch->lock);
	if (!send) {
		cspchan_park_receiver(ch, w);
	} else {
		list_add_tail(&w->node, &ch->sendq);
		ch->nr_sendq++;
	}
}

/**
 * cspchan_unpark_select() - take a select's waiter off its queue
 * @ch:		the channel, locked
 * @w:		the waiter; a waker may already have unlinked it
 * @send:	a send case (else a receive case)
 */
void cspchan_unpark_select(struct cspchan *ch, struct cspchan_waiter *w,
			   bool send)
{
	lockdep_assert_held(&ch->lock);
	if (list_empty(&w->node))
		return;
	list_del_init(&w->node);
	if (!send)
		ch->nr_recvq--;
	else
		ch->nr_sendq--;
}

/**
 * cspchan_offer_select() - a select's unbuffered send case waits as an offer
 * @ch:		the channel, locked, unbuffered, with no live receiver
 * @w:		the case's waiter, initialised with its select
 * @slot:	the case's slot, or -1 to take a free one (set on success)
 * @from:	the message (length already checked)
 *
 * The message is copied into the slot now, so that any receiver (a
 * non-blocking one, one driven by poll) can take it at once after
 * claiming the select.
 *
 * Return: 0 when offered; -EAGAIN when no slot is free (park for one with
 * cspchan_park_select()); -EFAULT with the slot (if taken here) freed.
 */
int cspchan_offer_select(struct cspchan *ch, struct cspchan_waiter *w,
			 int *slot, struct iov_iter *from)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	size_t len = iov_iter_count(from);
	bool fresh = *slot < 0;

	lockdep_assert_held(&ch->lock);
	if (fresh) {
		if (!ch->nr_free)
			return -EAGAIN;
		*slot = ch->free[--ch->nr_free];
	}
	if (!cspchan_slot_fill(ch, *slot, len, from)) {
		if (fresh) {	/* nobody waits for a slot: it was free */
			cspchan_release_slot(ch, *slot, &wk);
			*slot = -1;
		}
		WARN_ON_ONCE(wk.nr);
		return -EFAULT;
	}
	cspchan_post_offer(ch, *slot, len, w);
	return 0;
}

/**
 * cspchan_unoffer_select() - a select takes back its offer
 * @ch:		the channel, locked
 * @w:		the case's waiter
 * @slot:	the offer's slot
 * @wk:		wake-ups to issue after unlocking
 *
 * Return: true if the offer was taken (the send is done, the slot is the
 * receiver's); false when it was not, and the slot is freed.
 */
bool cspchan_unoffer_select(struct cspchan *ch, struct cspchan_waiter *w,
			    u32 slot, struct cspchan_wakeups *wk)
{
	lockdep_assert_held(&ch->lock);
	if (w->state == CSPCHAN_GRANTED)
		return true;
	/* Still offered; or dropped as stale, or withdrawn by shutdown. */
	if (ch->slots[slot].offerer == w)
		cspchan_withdraw_offer(ch, slot);
	cspchan_release_slot(ch, slot, wk);
	return false;
}

/**
 * cspchan_send_ready_slot() - hand a select's message to a parked receiver
 * @ch:		the channel, locked, unbuffered
 * @slot:	a slot the caller holds
 * @from:	the message (length already checked)
 * @wk:		wake-ups to issue after unlocking
 *
 * Return: the length, handed over; -EAGAIN when no receiver is parked, or
 * -EFAULT; on error the caller still holds @slot.
 */
ssize_t cspchan_send_ready_slot(struct cspchan *ch, u32 slot,
				struct iov_iter *from,
				struct cspchan_wakeups *wk)
{
	size_t len = iov_iter_count(from);

	lockdep_assert_held(&ch->lock);
	if (!cspchan_has_live_waiter(&ch->recvq, NULL))
		return -EAGAIN;
	if (!cspchan_slot_fill(ch, slot, len, from))
		return -EFAULT;
	return cspchan_post_slot(ch, slot, len, CSPCHAN_IO_NONBLOCK, NULL, wk);
}

static void cspchan_shut_queue(struct cspchan *ch, struct list_head *queue,
			       u32 *nr, struct cspchan_wakeups *wk)
{
	struct cspchan_waiter *w;

	while ((w = cspchan_pop_waiter(ch, queue, nr)))
		cspchan_wake(ch, wk, w, CSPCHAN_SHUT);
}

static int __cspchan_shutdown(struct cspchan *ch)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan_waiter *w;
	u32 i, n;

	lockdep_assert_held(&ch->lock);
	if (ch->shut) {
		mutex_unlock(&ch->lock);
		return -EPIPE;
	}
	WRITE_ONCE(ch->shut, true);
	trace_cspchan_shutdown(ch);

	cspchan_shut_queue(ch, &ch->sendq, &ch->nr_sendq, &wk);
	cspchan_shut_queue(ch, &ch->recvq, &ch->nr_recvq, &wk);

	/* Senders parked on an offer have not completed: withdraw them. */
	for (i = 0, n = ch->queued; i < n && ch->nr_offers; ) {
		u32 slot = ch->ring[(ch->head + i) % ch->nr_slots];
		struct cspchan_slot *s = &ch->slots[slot];

		if (!s->offerer) {
			i++;
			continue;
		}
		/*
		 * The woken sender holds its slot again.  A select's offer
		 * wakes it only if its claim is won; otherwise the select
		 * performed another case and frees the slot itself.
		 */
		w = s->offerer;
		cspchan_withdraw_offer(ch, slot);
		if (!w->sel || atomic_cmpxchg(&w->sel->done, 0, 1) == 0)
			cspchan_wake(ch, &wk, w, CSPCHAN_SHUT);
		n--;
	}

	wake_up_interruptible_all(&ch->rd_wait);
	wake_up_interruptible_all(&ch->wr_wait);
	cspchan_unlock_and_wake(ch, &wk);
	return 0;
}

/**
 * cspchan_shutdown() - close the channel for everybody (Go's close)
 * @ch:	the channel
 *
 * Return: 0, -EPIPE if it was already shut down, or -ERESTARTSYS.
 */
int cspchan_shutdown(struct cspchan *ch)
{
	int ret = cspchan_lock_io(ch, 0);

	if (ret)
		return ret;
	return __cspchan_shutdown(ch);
}

/**
 * cspchan_handle_opened() - account a new handle
 * @ch:		the channel
 * @can_send:	the handle may send
 */
void cspchan_handle_opened(struct cspchan *ch, bool can_send)
{
	if (!can_send)
		return;
	mutex_lock(&ch->lock);
	/* A second sender exists: auto-close now watches the senders. */
	if (ch->send_handles++)
		ch->autoclose_armed = true;
	mutex_unlock(&ch->lock);
}

/**
 * cspchan_handle_closed() - account a released handle; auto-close
 * @ch:		the channel
 * @can_send:	the handle could send
 *
 * Auto-close is armed once the channel has had a message sent or two
 * send-capable handles at once, so that the handle of a process that only
 * creates the channel (cspchan create --autoclose) does not shut it down
 * when it exits.  See docs/design.md.
 */
void cspchan_handle_closed(struct cspchan *ch, bool can_send)
{
	if (!can_send)
		return;
	mutex_lock(&ch->lock);
	if (--ch->send_handles == 0 && (ch->flags & CSPCHAN_AUTOCLOSE) &&
	    ch->autoclose_armed && !ch->shut) {
		__cspchan_shutdown(ch);
		return;
	}
	mutex_unlock(&ch->lock);
}

/**
 * cspchan_poll_mask() - readiness, as ->poll reports it
 * @ch:		the channel
 * @mode:	the handle's FMODE_READ/FMODE_WRITE
 *
 * Lockless: the caller registered on the wait queues first, so a change
 * after these reads wakes it.
 */
__poll_t cspchan_poll_mask(struct cspchan *ch, fmode_t mode)
{
	bool shut = READ_ONCE(ch->shut);
	__poll_t mask = 0;

	if ((mode & FMODE_READ) && (cspchan_recv_ready(ch) || shut))
		mask |= EPOLLIN | EPOLLRDNORM;
	if ((mode & FMODE_WRITE) && (cspchan_send_ready(ch) || shut))
		mask |= EPOLLOUT | EPOLLWRNORM;
	if (shut)
		mask |= EPOLLHUP;
	return mask;
}
