// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: waiters — parking, claiming, sleeping and waking.
 *
 * Blocked tasks park a struct cspchan_waiter on ch->sendq (waiting for a
 * slot) or ch->recvq (waiting for a message), in arrival order.  Whoever
 * frees a slot grants it to the first parked sender, and whoever has a
 * message hands it to the first parked receiver (the pipelined send and
 * receive of ipc/mqueue.c), so one event wakes exactly one task and no
 * later arrival can overtake it.
 *
 * A waiter is claimed before it is given anything (cspchan_pop_waiter()):
 * a select's waiters share one struct cspchan_sel, and the first claim
 * (cspchan_sel_claim(), an atomic compare-and-exchange, as Go's runtime
 * does) wins; a waker that loses drops the stale waiter and serves the
 * next one.  An asynchronous request (an io_uring command, read or write)
 * is a waiter with ops: its ->claim, ->grant and ->cancel callbacks
 * complete it, as wait_queue_entry->func lets io_uring plug into a wait
 * queue.
 *
 * Tasks are woken after ch->lock is dropped (cspchan_unlock_and_wake()):
 * a waiter reads its state under the lock, so it cannot leave before the
 * waker is done with it.
 */
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

#include "busypoll.h"
#include "compat.h"
#include "cspchan.h"
#include "trace.h"
#include "wait.h"

/**
 * cspchan_sel_claim() - the select claim: win the right to perform a case
 * @sel:	the select
 *
 * Whoever grants a select's waiter something, takes a select's offer, or
 * (the selecting task) proceeds or gives up, claims the select first; only
 * the first claim wins, so at most one case is ever performed.
 *
 * Return: true if this claim won.
 */
bool cspchan_sel_claim(struct cspchan_sel *sel)
{
	return atomic_cmpxchg(&sel->done, 0, 1) == 0;
}

/**
 * cspchan_wake_waiter() - a waiter was served, or the channel shut down
 * @ch:		the channel, locked
 * @wk:		wake-ups to issue after unlocking
 * @w:		the waiter, unlinked and claimed (cspchan_pop_waiter())
 * @state:	CSPCHAN_GRANTED or CSPCHAN_SHUT
 *
 * A task is woken once the lock is dropped (cspchan_unlock_and_wake()); an
 * asynchronous request is completed through its ->grant callback, so this
 * file never names a transport.
 */
void cspchan_wake_waiter(struct cspchan *ch, struct cspchan_wakeups *wk,
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
 * @wk:	tasks collected by cspchan_wake_waiter()
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
	w->since = 0;
	w->spin_us = 0;
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

/*
 * May this waiter be given something?  A plain waiter always; a select's
 * waiter only if it wins the select's claim; an asynchronous request only
 * if its submitter can still reap it (else it is cancelled).
 */
static bool cspchan_claim(struct cspchan *ch, struct cspchan_waiter *w)
{
	if (w->ops)
		return w->ops->claim(ch, w);
	return !w->sel || cspchan_sel_claim(w->sel);
}

/* Unlink the first waiter that can be claimed; drop stale ones on the way. */
struct cspchan_waiter *cspchan_pop_waiter(struct cspchan *ch,
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

/**
 * cspchan_wake_all() - wake every waiter of a queue with the same news
 * @ch:		the channel, locked
 * @queue:	ch->sendq or ch->recvq
 * @nr:		its counter
 * @state:	CSPCHAN_SHUT (the only news everybody can get at once)
 * @wk:		wake-ups to issue after unlocking
 */
void cspchan_wake_all(struct cspchan *ch, struct list_head *queue, u32 *nr,
		      int state, struct cspchan_wakeups *wk)
{
	struct cspchan_waiter *w;

	while ((w = cspchan_pop_waiter(ch, queue, nr)))
		cspchan_wake_waiter(ch, wk, w, state);
}

/*
 * Could this waiter still be claimed by someone other than @self (a
 * select's own cases never pair with each other)?  A hint: the claim
 * decides.
 */
bool cspchan_waiter_live(const struct cspchan_waiter *w,
			 const struct cspchan_sel *self)
{
	return !w->sel || (w->sel != self && !atomic_read(&w->sel->done));
}

bool cspchan_has_live_waiter(struct list_head *queue,
			     struct cspchan_sel *self)
{
	struct cspchan_waiter *w;

	list_for_each_entry(w, queue, node)
		if (cspchan_waiter_live(w, self))
			return true;
	return false;
}

/*
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
static bool cspchan_interrupted(bool *notified)
{
	if (!signal_pending(current))
		return false;
	if (task_sigpending(current))
		return true;
	clear_notify_signal();
	*notified = true;
	return false;
}

/*
 * cspchan_task_work_restore() - the wait is over: let the task work run
 * @notified:	what cspchan_interrupted() set aside
 */
static void cspchan_task_work_restore(bool notified)
{
	if (notified)
		set_thread_flag(TIF_NOTIFY_SIGNAL);
}

/**
 * cspchan_sleep_begin() - start an interruptible wait
 * @s:		the wait's state
 * @deadline:	absolute CLOCK_MONOTONIC time to give up; NULL: never
 *
 * A wait is a loop: set TASK_INTERRUPTIBLE, check its own condition, then
 * cspchan_sleep_check() and cspchan_sleep(); cspchan_sleep_end() after.
 * io_uring task work does not end it (cspchan_interrupted()).
 */
void cspchan_sleep_begin(struct cspchan_sleep *s, const ktime_t *deadline)
{
	s->deadline = deadline;
	s->saved = cspchan_ignore_task_work();
	s->expired = false;
	s->notified = false;
}

/**
 * cspchan_sleep_check() - may the wait sleep (again)?
 * @s:	the wait's state, with TASK_INTERRUPTIBLE set
 *
 * Return: 0 to sleep; -ERESTARTSYS (-EINTR for a timed wait, which is not
 * restarted with its full timeout) for a signal, -ETIMEDOUT once the
 * deadline passed.
 */
int cspchan_sleep_check(struct cspchan_sleep *s)
{
	if (cspchan_interrupted(&s->notified))
		return s->deadline ? -EINTR : -ERESTARTSYS;
	if (s->expired)
		return -ETIMEDOUT;
	return 0;
}

/**
 * cspchan_sleep() - sleep until woken, a signal, or the deadline
 * @s:	the wait's state
 */
void cspchan_sleep(struct cspchan_sleep *s)
{
	ktime_t expires;

	if (!s->deadline) {
		schedule();
		return;
	}
	expires = *s->deadline;
	s->expired = !schedule_hrtimeout_range(&expires, 0, HRTIMER_MODE_ABS);
}

/**
 * cspchan_sleep_end() - the wait is over
 * @s:	the wait's state
 */
void cspchan_sleep_end(struct cspchan_sleep *s)
{
	__set_current_state(TASK_RUNNING);
	cspchan_task_work_restore(s->notified);
	cspchan_restore_task_work(s->saved);
}

/*
 * Sleep until a waker changes w->state, a signal arrives or the deadline
 * passes.  A changed state wins over a signal or a timeout: what was
 * granted is used, so nothing is lost.  Called and returns with ch->lock
 * held; the wake-ups collected so far are issued before sleeping.  A
 * waiter with a spin budget (busypoll.c) spins first, once, while its peer
 * runs.
 */
int cspchan_wait(struct cspchan *ch, struct cspchan_waiter *w,
		 int op, const ktime_t *deadline,
		 struct cspchan_wakeups *wk)
	__must_hold(&ch->lock)
{
	u64 start = trace_cspchan_wake_enabled() ? ktime_get_ns() : 0;
	struct cspchan_sleep s;
	struct pid *peer;
	int ret = 0;

	lockdep_assert_held(&ch->lock);
	trace_cspchan_block(ch, op);
	cspchan_sleep_begin(&s, deadline);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (READ_ONCE(w->state) != CSPCHAN_WAITING)
			break;
		ret = cspchan_sleep_check(&s);
		if (ret)
			break;
		peer = w->spin_us ? cspchan_busy_peer(ch, op) : NULL;
		cspchan_unlock_and_wake(ch, wk);
		if (peer) {
			cspchan_busy_poll(w, peer, deadline);
			put_pid(peer);
			w->spin_us = 0;		/* once per wait */
		}
		if (READ_ONCE(w->state) == CSPCHAN_WAITING)
			cspchan_sleep(&s);
		else	/* served meanwhile: no sleep, and no lock in this state */
			__set_current_state(TASK_RUNNING);
		mutex_lock(&ch->lock);
	}
	cspchan_sleep_end(&s);
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
 * Return: CSPCHAN_IO_NONBLOCK, or the handle's spin budget
 * (cspchan_busy_flags()), for cspchan_send_iter() and friends.
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
	return cspchan_busy_flags(file);
}
