// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: the channel object.
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
 * Invariants, under ch->lock:
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
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/mount.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/xarray.h>

#include "cspchan.h"

/* Every channel, for /proc/cspchan; also guards cspchan_user_count. */
static DEFINE_MUTEX(cspchan_all_lock);
static LIST_HEAD(cspchan_all);
/* Channels alive per creating uid, as xa_mk_value() counts. */
static DEFINE_XARRAY(cspchan_user_count);
static atomic64_t cspchan_next_id = ATOMIC64_INIT(0);

/*
 * Tasks to wake once ch->lock is dropped.  One operation wakes at most a
 * handful (a receiver, an offerer, a sender granted a slot); shutdown may
 * wake many, and the overflow is woken at once.
 */
struct cspchan_wakeups {
	struct task_struct *task[4];
	unsigned int nr;
};

static void cspchan_wake(struct cspchan_wakeups *wk, struct cspchan_waiter *w,
			 int state)
{
	struct task_struct *task = w->task;

	/*
	 * The waiter checks its state under ch->lock, which we hold, so it
	 * cannot return (and free its stack) before we drop the lock; from
	 * the store on we do not touch it again.
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

static void cspchan_unlock_and_wake(struct cspchan *ch,
				    struct cspchan_wakeups *wk)
	__releases(&ch->lock)
{
	unsigned int i;

	mutex_unlock(&ch->lock);
	for (i = 0; i < wk->nr; i++) {
		wake_up_process(wk->task[i]);
		put_task_struct(wk->task[i]);
	}
}

static void cspchan_waiter_init(struct cspchan_waiter *w)
{
	INIT_LIST_HEAD(&w->node);
	w->task = current;
	w->state = CSPCHAN_WAITING;
}

static void cspchan_park(struct cspchan_waiter *w, struct list_head *queue)
{
	cspchan_waiter_init(w);
	list_add_tail(&w->node, queue);
}

/*
 * Sleep until a waker changes w->state, a signal arrives or the deadline
 * passes.  A changed state wins over a signal or a timeout: what was
 * granted is used, so nothing is lost.  Called and returns with ch->lock
 * held.
 */
static int cspchan_wait(struct cspchan *ch, struct cspchan_waiter *w,
			ktime_t *deadline)
	__must_hold(&ch->lock)
{
	bool expired = false;
	int ret = 0;

	lockdep_assert_held(&ch->lock);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (READ_ONCE(w->state) != CSPCHAN_WAITING)
			break;
		if (signal_pending(current)) {
			/* A timed wait is not restarted with its full timeout. */
			ret = deadline ? -EINTR : -ERESTARTSYS;
			break;
		}
		if (expired) {
			ret = -ETIMEDOUT;
			break;
		}
		mutex_unlock(&ch->lock);
		if (deadline)
			expired = !schedule_hrtimeout_range(deadline, 0,
							    HRTIMER_MODE_ABS);
		else
			schedule();
		mutex_lock(&ch->lock);
	}
	__set_current_state(TASK_RUNNING);
	return ret;
}

static void *cspchan_slot_addr(struct cspchan *ch, u32 slot)
{
	return ch->arena.vaddr + (size_t)slot * ch->slot_size;
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

static void cspchan_wake_pollers(wait_queue_head_t *wq, __poll_t mask)
{
	if (wq_has_sleeper(wq))
		wake_up_interruptible_poll(wq, mask);
}

/*
 * A slot's message is gone: grant the slot to the first parked sender,
 * or return it to the free stack.
 */
static void cspchan_release_slot(struct cspchan *ch, u32 slot,
				 struct cspchan_wakeups *wk)
{
	struct cspchan_slot *s = &ch->slots[slot];
	struct cspchan_waiter *w;

	lockdep_assert_held(&ch->lock);
	put_pid(s->pid);
	s->pid = NULL;
	s->offerer = NULL;
	s->len = 0;

	w = list_first_entry_or_null(&ch->sendq, struct cspchan_waiter, node);
	if (w) {
		list_del(&w->node);
		ch->nr_sendq--;
		w->slot = slot;
		cspchan_wake(wk, w, CSPCHAN_GRANTED);
		return;
	}
	ch->free[ch->nr_free++] = slot;
	if (cspchan_send_ready(ch))
		cspchan_wake_pollers(&ch->wr_wait, EPOLLOUT | EPOLLWRNORM);
}

static void cspchan_ring_push(struct cspchan *ch, u32 slot, bool front)
{
	u32 pos;

	if (front) {
		ch->head = (ch->head + ch->nr_slots - 1) % ch->nr_slots;
		pos = ch->head;
	} else {
		pos = (ch->head + ch->queued) % ch->nr_slots;
	}
	ch->ring[pos] = slot;
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
		u32 s = ch->ring[(ch->head + i) % ch->nr_slots];

		if (s != slot)
			ch->ring[(ch->head + kept++) % ch->nr_slots] = s;
	}
	ch->queued = kept;
}

static u32 cspchan_depth(const struct cspchan *ch)
{
	return ch->queued - ch->nr_offers;
}

/* Give the message a place in the channel's order. */
static void cspchan_stamp(struct cspchan *ch, struct cspchan_slot *s)
{
	s->seq = ch->next_seq++;
	ch->sent++;
}

/*
 * Hand a message to the first parked receiver, or queue it (at the head
 * when it is being put back).
 */
static void cspchan_deliver(struct cspchan *ch, u32 slot, bool front,
			    struct cspchan_wakeups *wk)
{
	struct cspchan_waiter *w;

	w = list_first_entry_or_null(&ch->recvq, struct cspchan_waiter, node);
	if (w) {
		list_del(&w->node);
		ch->nr_recvq--;
		w->slot = slot;
		cspchan_wake(wk, w, CSPCHAN_GRANTED);
		return;
	}
	cspchan_ring_push(ch, slot, front);
	ch->high_water = max(ch->high_water, cspchan_depth(ch));
	cspchan_wake_pollers(&ch->rd_wait, EPOLLIN | EPOLLRDNORM);
}

static void cspchan_deadline(ktime_t *deadline, s64 timeout_ns)
{
	*deadline = ktime_add_safe(ktime_get(), ns_to_ktime(timeout_ns));
}

/**
 * cspchan_send_iter() - send one message
 * @ch:		the channel
 * @from:	the message, all of it
 * @nonblock:	fail with -EAGAIN instead of waiting
 * @timeout_ns:	<0 wait forever, 0 do not wait, >0 fail with -ETIMEDOUT
 *		after that long
 *
 * Return: the message length, or -EINVAL (empty), -EMSGSIZE, -EPIPE (shut
 * down), -EAGAIN, -ETIMEDOUT, -EINTR/-ERESTARTSYS, -EFAULT.  On error the
 * channel is as it was.
 */
ssize_t cspchan_send_iter(struct cspchan *ch, struct iov_iter *from,
			  bool nonblock, s64 timeout_ns)
{
	size_t len = iov_iter_count(from);
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan_waiter w;
	ktime_t deadline;
	struct cspchan_slot *s;
	ssize_t ret;
	u32 slot;

	if (!len)
		return -EINVAL;
	if (len > ch->msg_size)
		return -EMSGSIZE;
	if (!timeout_ns)
		nonblock = true;
	if (timeout_ns > 0)
		cspchan_deadline(&deadline, timeout_ns);

	if (mutex_lock_interruptible(&ch->lock))
		return -ERESTARTSYS;
	if (ch->shut) {
		ret = -EPIPE;
		goto out;
	}
	if (nonblock && !cspchan_send_ready(ch)) {
		ret = -EAGAIN;
		goto out;
	}

	if (ch->nr_free) {
		slot = ch->free[--ch->nr_free];
	} else {
		cspchan_park(&w, &ch->sendq);
		ch->nr_sendq++;
		ret = cspchan_wait(ch, &w, timeout_ns > 0 ? &deadline : NULL);
		if (w.state == CSPCHAN_SHUT) {
			ret = -EPIPE;
			goto out;
		}
		if (w.state == CSPCHAN_WAITING) {
			list_del(&w.node);
			ch->nr_sendq--;
			goto out;
		}
		slot = w.slot;
	}

	if (copy_from_iter(cspchan_slot_addr(ch, slot), len, from) != len) {
		ret = -EFAULT;
		goto out_release;
	}
	if (ch->shut) {		/* while we waited for the slot */
		ret = -EPIPE;
		goto out_release;
	}

	s = &ch->slots[slot];
	s->len = len;
	s->sent_ns = ktime_get_ns();
	s->pid = get_pid(task_tgid(current));

	if (cspchan_buffered(ch) || ch->nr_recvq) {
		cspchan_stamp(ch, s);
		cspchan_deliver(ch, slot, false, &wk);
		ret = len;
		goto out;
	}

	/* Unbuffered and nobody waiting: offer the message, wait for a taker. */
	cspchan_waiter_init(&w);	/* parked on the offer, not on a queue */
	s->offerer = &w;
	ch->nr_offers++;
	cspchan_ring_push(ch, slot, false);
	cspchan_wake_pollers(&ch->rd_wait, EPOLLIN | EPOLLRDNORM);
	ret = cspchan_wait(ch, &w, timeout_ns > 0 ? &deadline : NULL);
	if (w.state == CSPCHAN_GRANTED) {
		ret = len;		/* the receiver took it (and the slot) */
	} else if (w.state == CSPCHAN_SHUT) {
		ret = -EPIPE;		/* shutdown withdrew it */
	} else {
		cspchan_ring_remove(ch, slot);
		ch->nr_offers--;
		goto out_release;
	}
	goto out;

out_release:
	cspchan_release_slot(ch, slot, &wk);
out:
	cspchan_unlock_and_wake(ch, &wk);
	return ret;
}

/**
 * cspchan_recv_iter() - receive one message
 * @ch:		the channel
 * @to:		where to put it; must hold the whole message
 * @nonblock:	fail with -EAGAIN instead of waiting
 * @timeout_ns:	<0 wait forever, 0 do not wait, >0 fail with -ETIMEDOUT
 * @meta:	if not NULL, receives the message's metadata
 *
 * Return: the message length, 0 at end of stream (shut down and drained),
 * or -EMSGSIZE, -EAGAIN, -ETIMEDOUT, -EINTR/-ERESTARTSYS, -EFAULT; on
 * error the message stays first in the channel.
 */
ssize_t cspchan_recv_iter(struct cspchan *ch, struct iov_iter *to,
			  bool nonblock, s64 timeout_ns,
			  struct cspchan_msgmeta *meta)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	size_t room = iov_iter_count(to);
	struct cspchan_waiter w;
	bool granted = false;
	struct cspchan_slot *s;
	ktime_t deadline;
	ssize_t ret;
	u32 slot;

	if (!timeout_ns)
		nonblock = true;
	if (timeout_ns > 0)
		cspchan_deadline(&deadline, timeout_ns);

	if (mutex_lock_interruptible(&ch->lock))
		return -ERESTARTSYS;

	if (ch->queued) {
		slot = ch->ring[ch->head];
	} else if (ch->shut) {
		ret = 0;
		goto out;
	} else if (nonblock) {
		ret = -EAGAIN;
		goto out;
	} else {
		cspchan_park(&w, &ch->recvq);
		ch->nr_recvq++;
		if (!cspchan_buffered(ch) && cspchan_send_ready(ch))
			cspchan_wake_pollers(&ch->wr_wait,
					     EPOLLOUT | EPOLLWRNORM);
		ret = cspchan_wait(ch, &w, timeout_ns > 0 ? &deadline : NULL);
		if (w.state == CSPCHAN_SHUT) {
			ret = 0;
			goto out;
		}
		if (w.state == CSPCHAN_WAITING) {
			list_del(&w.node);
			ch->nr_recvq--;
			goto out;
		}
		slot = w.slot;
		granted = true;
	}

	s = &ch->slots[slot];
	if (s->len > room) {
		ret = -EMSGSIZE;
		goto out_putback;
	}
	if (copy_to_iter(cspchan_slot_addr(ch, slot), s->len, to) != s->len) {
		ret = -EFAULT;
		goto out_putback;
	}

	if (!granted)
		cspchan_ring_pop(ch);
	if (s->offerer) {
		cspchan_stamp(ch, s);
		ch->nr_offers--;
		cspchan_wake(&wk, s->offerer, CSPCHAN_GRANTED);
	}
	if (meta) {
		meta->seq = s->seq;
		meta->sent_ns = s->sent_ns;
		meta->pid = pid_nr_ns(s->pid, task_active_pid_ns(current));
	}
	ch->received++;
	ret = s->len;
	cspchan_release_slot(ch, slot, &wk);
	goto out;

out_putback:
	/* A queued message was never removed; a handed one goes back first. */
	if (granted)
		cspchan_deliver(ch, slot, true, &wk);
out:
	cspchan_unlock_and_wake(ch, &wk);
	return ret;
}

static int __cspchan_shutdown(struct cspchan *ch)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan_waiter *w, *tmp;
	u32 i, n;

	lockdep_assert_held(&ch->lock);
	if (ch->shut) {
		mutex_unlock(&ch->lock);
		return -EPIPE;
	}
	WRITE_ONCE(ch->shut, true);

	list_for_each_entry_safe(w, tmp, &ch->sendq, node) {
		list_del(&w->node);
		cspchan_wake(&wk, w, CSPCHAN_SHUT);
	}
	ch->nr_sendq = 0;
	list_for_each_entry_safe(w, tmp, &ch->recvq, node) {
		list_del(&w->node);
		cspchan_wake(&wk, w, CSPCHAN_SHUT);
	}
	ch->nr_recvq = 0;

	/* Senders parked on an offer have not completed: withdraw them. */
	for (i = 0, n = ch->queued; i < n && ch->nr_offers; ) {
		u32 slot = ch->ring[(ch->head + i) % ch->nr_slots];
		struct cspchan_slot *s = &ch->slots[slot];

		if (!s->offerer) {
			i++;
			continue;
		}
		cspchan_wake(&wk, s->offerer, CSPCHAN_SHUT);
		ch->nr_offers--;
		cspchan_ring_remove(ch, slot);
		cspchan_release_slot(ch, slot, &wk);
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
	if (mutex_lock_interruptible(&ch->lock))
		return -ERESTARTSYS;
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
	ch->send_handles++;
	mutex_unlock(&ch->lock);
}

/**
 * cspchan_handle_closed() - account a released handle; auto-close
 * @ch:		the channel
 * @can_send:	the handle could send
 */
void cspchan_handle_closed(struct cspchan *ch, bool can_send)
{
	if (!can_send)
		return;
	mutex_lock(&ch->lock);
	if (--ch->send_handles == 0 && (ch->flags & CSPCHAN_AUTOCLOSE) &&
	    !ch->shut) {
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

	if ((mode & FMODE_READ) && (READ_ONCE(ch->queued) || shut))
		mask |= EPOLLIN | EPOLLRDNORM;
	if ((mode & FMODE_WRITE) && (cspchan_send_ready(ch) || shut))
		mask |= EPOLLOUT | EPOLLWRNORM;
	if (shut)
		mask |= EPOLLHUP;
	return mask;
}

/**
 * cspchan_fill_info() - a consistent snapshot of the channel's figures
 * @ch:		the channel
 * @info:	filled in completely (reserved fields zeroed)
 */
void cspchan_fill_info(struct cspchan *ch, struct cspchan_info *info)
{
	memset(info, 0, sizeof(*info));
	info->id = ch->id;
	info->capacity = ch->capacity;
	info->msg_size = ch->msg_size;
	info->slot_size = ch->slot_size;
	info->nr_slots = ch->nr_slots;
	info->mode = ch->mode;
	info->arena_size = (u64)ch->arena.nr_pages << PAGE_SHIFT;
	strscpy(info->name, ch->name, sizeof(info->name));

	mutex_lock(&ch->lock);
	info->depth = cspchan_depth(ch);
	info->senders_waiting = ch->nr_sendq + ch->nr_offers;
	info->receivers_waiting = ch->nr_recvq;
	info->sent = ch->sent;
	info->received = ch->received;
	info->high_water = ch->high_water;
	if (ch->shut)
		info->flags |= CSPCHAN_INFO_SHUT;
	if (ch->flags & CSPCHAN_AUTOCLOSE)
		info->flags |= CSPCHAN_INFO_AUTOCLOSE;
	if (READ_ONCE(ch->named))
		info->flags |= CSPCHAN_INFO_NAMED;
	mutex_unlock(&ch->lock);
}

/*
 * Per-user channel count.  Channels are charged to the creator's fsuid;
 * the limit is read when a channel is created, so lowering it does not
 * destroy anything.
 */
static int cspchan_user_charge(kuid_t uid)
{
	unsigned long key = __kuid_val(uid), count;
	void *old;
	int ret;

	lockdep_assert_held(&cspchan_all_lock);
	old = xa_load(&cspchan_user_count, key);
	count = old ? xa_to_value(old) : 0;
	if (count >= READ_ONCE(cspchan_max_channels_per_user))
		return -ENOSPC;
	ret = xa_err(xa_store(&cspchan_user_count, key, xa_mk_value(count + 1),
			      GFP_KERNEL));
	return ret;
}

static void cspchan_user_uncharge(kuid_t uid)
{
	unsigned long key = __kuid_val(uid), count;

	lockdep_assert_held(&cspchan_all_lock);
	count = xa_to_value(xa_load(&cspchan_user_count, key));
	if (count <= 1)
		xa_erase(&cspchan_user_count, key);
	else
		xa_store(&cspchan_user_count, key, xa_mk_value(count - 1),
			 GFP_KERNEL);
}

static void cspchan_free(struct cspchan *ch)
{
	u32 i;

	if (ch->slots)
		for (i = 0; i < ch->nr_slots; i++)
			put_pid(ch->slots[i].pid);
	cspchan_arena_free(&ch->arena);
	kvfree(ch->slots);
	kvfree(ch->ring);
	kvfree(ch->free);
	if (ch->ns_mnt)
		mntput(ch->ns_mnt);
	kfree(ch);
}

static int cspchan_check_attr(const struct cspchan_create_req *req,
			      u32 *nr_slots, u32 *slot_size)
{
	u64 bytes;

	if (req->capacity > READ_ONCE(cspchan_max_capacity))
		return -EINVAL;
	if (!req->msg_size || req->msg_size > READ_ONCE(cspchan_max_msg_size))
		return -EINVAL;
	*nr_slots = req->capacity ?: max(READ_ONCE(cspchan_unbuffered_slots), 1U);
	*slot_size = ALIGN(req->msg_size, CSPCHAN_SLOT_ALIGN);
	bytes = (u64)*nr_slots * *slot_size;
	if (bytes > READ_ONCE(cspchan_max_channel_bytes))
		return -EINVAL;
	return 0;
}

/**
 * cspchan_alloc() - create a channel (not yet named or reachable)
 * @req:	validated flags and mode; capacity and size are checked here
 *
 * All memory is charged to the caller's memory cgroup; the channel is
 * charged to the caller's per-user count.
 *
 * Return: the channel with one reference, or an ERR_PTR.
 */
struct cspchan *cspchan_alloc(const struct cspchan_create_req *req)
{
	struct vfsmount *ns_mnt = cspchan_current_ns_mnt();
	u32 nr_slots, slot_size, i;
	struct cspchan *ch;
	int ret;

	if (!ns_mnt)
		return ERR_PTR(-EOPNOTSUPP);
	ret = cspchan_check_attr(req, &nr_slots, &slot_size);
	if (ret)
		return ERR_PTR(ret);

	ch = kzalloc(sizeof(*ch), GFP_KERNEL_ACCOUNT);
	if (!ch)
		return ERR_PTR(-ENOMEM);
	kref_init(&ch->ref);
	ch->capacity = req->capacity;
	ch->msg_size = req->msg_size;
	ch->nr_slots = nr_slots;
	ch->slot_size = slot_size;
	ch->flags = req->flags;
	ch->uid = current_fsuid();
	ch->gid = current_fsgid();
	ch->mode = req->mode;
	strscpy(ch->name, req->name, sizeof(ch->name));
	mutex_init(&ch->lock);
	INIT_LIST_HEAD(&ch->sendq);
	INIT_LIST_HEAD(&ch->recvq);
	INIT_LIST_HEAD(&ch->all_node);
	init_waitqueue_head(&ch->rd_wait);
	init_waitqueue_head(&ch->wr_wait);

	ret = -ENOMEM;
	ch->slots = kvcalloc(nr_slots, sizeof(*ch->slots), GFP_KERNEL_ACCOUNT);
	ch->ring = kvcalloc(nr_slots, sizeof(*ch->ring), GFP_KERNEL_ACCOUNT);
	ch->free = kvcalloc(nr_slots, sizeof(*ch->free), GFP_KERNEL_ACCOUNT);
	if (!ch->slots || !ch->ring || !ch->free)
		goto err_free;
	ret = cspchan_arena_alloc(&ch->arena, (size_t)nr_slots * slot_size);
	if (ret)
		goto err_free;
	/* Pop order 0, 1, 2...: the lowest slots are used first. */
	for (i = 0; i < nr_slots; i++)
		ch->free[i] = nr_slots - 1 - i;
	ch->nr_free = nr_slots;

	mutex_lock(&cspchan_all_lock);
	ret = cspchan_user_charge(ch->uid);
	if (ret) {
		mutex_unlock(&cspchan_all_lock);
		goto err_free;
	}
	ch->id = atomic64_inc_return(&cspchan_next_id);
	ch->ns_mnt = mntget(ns_mnt);
	list_add_tail(&ch->all_node, &cspchan_all);
	mutex_unlock(&cspchan_all_lock);
	return ch;

err_free:
	cspchan_free(ch);
	return ERR_PTR(ret);
}

void cspchan_get(struct cspchan *ch)
{
	kref_get(&ch->ref);
}

static void cspchan_release(struct kref *ref)
{
	struct cspchan *ch = container_of(ref, struct cspchan, ref);

	mutex_lock(&cspchan_all_lock);
	list_del(&ch->all_node);
	cspchan_user_uncharge(ch->uid);
	mutex_unlock(&cspchan_all_lock);
	cspchan_free(ch);
}

void cspchan_put(struct cspchan *ch)
{
	kref_put(&ch->ref, cspchan_release);
}

/**
 * cspchan_for_each() - visit every live channel
 * @visit:	called under the list lock; may take ch->lock; returns false
 *		to stop
 * @arg:	passed to @visit
 */
void cspchan_for_each(bool (*visit)(struct cspchan *ch, void *arg), void *arg)
{
	struct cspchan *ch;

	mutex_lock(&cspchan_all_lock);
	list_for_each_entry(ch, &cspchan_all, all_node)
		if (!visit(ch, arg))
			break;
	mutex_unlock(&cspchan_all_lock);
}

/**
 * cspchan_exit_channels() - module exit: everything must be gone
 */
void cspchan_exit_channels(void)
{
	WARN_ON(!list_empty(&cspchan_all));
	xa_destroy(&cspchan_user_count);
}
