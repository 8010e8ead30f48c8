// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: busy polling (CSPCHAN_IOC_SET_BUSY_POLL).
 *
 * A handle with a spin budget spins, before a blocking send, receive,
 * ACQUIRE or TAKE sleeps, for as long as the budget lasts and the task on
 * the other side is running on another CPU: when that task is about to
 * send the message (or free the slot) being waited for, the waiter sees it
 * without a sleep and a wake-up.  As SO_BUSY_POLL is per socket, the
 * budget is per handle (one user of a channel cannot make everybody spin).
 *
 * The spinner is parked on the channel exactly as a sleeping waiter is:
 * wakers hand it the message or slot in arrival order, and it watches its
 * own waiter's state, without the channel lock.  It stops on
 * need_resched(), a pending signal, its deadline, the budget, or the peer
 * not running (not on a CPU, on this very CPU, or on a preempted vCPU:
 * mutex_spin_on_owner()'s test; runnable on another CPU counts for
 * CSPCHAN_BUSY_WAKE_NS, the time a woken task takes to get there), then
 * sleeps as usual.
 *
 * The peer: the channel's last sender (for a receiver) and last receiver
 * (for a sender), kept as thread pid references while any handle of the
 * channel has a budget; a spinner takes its own reference under the lock.
 */
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/smp.h>
#include <linux/uaccess.h>

#include "busypoll.h"
#include "cspchan.h"
#include "trace.h"

unsigned int cspchan_max_busy_poll_us = 200;

/* A budget travels in 16 bits (cspchan_busy_flags()): refuse more. */
static int cspchan_max_busy_poll_set(const char *val,
				     const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, CSPCHAN_BUSY_POLL_LIMIT);
}

static const struct kernel_param_ops cspchan_max_busy_poll_ops = {
	.set = cspchan_max_busy_poll_set,
	.get = param_get_uint,
};

module_param_cb(max_busy_poll_us, &cspchan_max_busy_poll_ops,
		&cspchan_max_busy_poll_us, 0644);
MODULE_PARM_DESC(max_busy_poll_us, "Largest busy-poll budget of a handle in microseconds, at most 65535 (default 200)");

/**
 * __cspchan_busy_note() - the current thread is now the side's last task
 * @last:	cspchan.last_sender or .last_receiver; the channel locked
 */
void __cspchan_busy_note(struct pid **last)
{
	struct pid *pid = task_pid(current);

	if (*last != pid) {
		put_pid(*last);
		*last = get_pid(pid);
	}
}

/**
 * cspchan_busy_peer() - whom a waiter's spin watches
 * @ch:		the channel, locked
 * @op:		CSPCHAN_TRACE_SEND or CSPCHAN_TRACE_RECV: what the waiter does
 *
 * Return: a reference on the thread that last did the opposite, or NULL
 * when nobody did yet or that was the caller itself.
 */
struct pid *cspchan_busy_peer(struct cspchan *ch, int op)
{
	struct pid *peer;

	lockdep_assert_held(&ch->lock);
	peer = op == CSPCHAN_TRACE_SEND ? ch->last_receiver : ch->last_sender;
	if (!peer || peer == task_pid(current))
		return NULL;
	return get_pid(peer);
}

/*
 * A peer woken onto another CPU is runnable before it runs: spin through
 * that much of it, not while it waits behind other tasks.
 */
#define CSPCHAN_BUSY_WAKE_NS	(20 * NSEC_PER_USEC)

enum cspchan_peer {
	CSPCHAN_PEER_AWAY,	/* asleep, on this CPU, or a preempted vCPU */
	CSPCHAN_PEER_RUNNABLE,	/* runnable on another CPU, not on it yet */
	CSPCHAN_PEER_RUNNING,	/* on another CPU */
};

/* Where is the peer?  mutex_spin_on_owner()'s test, plus "being woken". */
static enum cspchan_peer cspchan_peer_state(struct pid *peer)
{
	enum cspchan_peer state = CSPCHAN_PEER_AWAY;
	struct task_struct *t;
	unsigned int cpu;

	rcu_read_lock();
	t = pid_task(peer, PIDTYPE_PID);
	if (t) {
		cpu = task_cpu(t);
		if (cpu == raw_smp_processor_id() || vcpu_is_preempted(cpu))
			state = CSPCHAN_PEER_AWAY;
		else if (READ_ONCE(t->on_cpu))
			state = CSPCHAN_PEER_RUNNING;
		else if (task_is_running(t))
			state = CSPCHAN_PEER_RUNNABLE;
	}
	rcu_read_unlock();
	return state;
}

/**
 * cspchan_busy_poll() - spin while a parked waiter may be served soon
 * @w:		the current task's waiter, parked, with a budget; the channel
 *		unlocked
 * @peer:	the task whose work would serve it (cspchan_busy_peer())
 * @deadline:	the wait's absolute CLOCK_MONOTONIC deadline, or NULL
 *
 * Returns in TASK_INTERRUPTIBLE, as the wait loop set it: the caller tests
 * @w's state once more before it sleeps.
 */
void cspchan_busy_poll(const struct cspchan_waiter *w, struct pid *peer,
		       const ktime_t *deadline)
{
	u64 now = ktime_get_ns(), end = now + (u64)w->spin_us * NSEC_PER_USEC;
	u64 runnable_since = 0;
	enum cspchan_peer ps;
	unsigned int n = 0;

	if (deadline)
		end = min_t(u64, end, ktime_to_ns(*deadline));
	__set_current_state(TASK_RUNNING);
	while (READ_ONCE(w->state) == CSPCHAN_WAITING) {
		if (need_resched() || signal_pending(current))
			break;
		cpu_relax();
		/* The peer and the clock cost more than a look at the state. */
		if (n++ & 15)
			continue;
		now = ktime_get_ns();
		if (now >= end)
			break;
		ps = cspchan_peer_state(peer);
		if (ps == CSPCHAN_PEER_AWAY)
			break;
		if (ps == CSPCHAN_PEER_RUNNING)
			runnable_since = 0;
		else if (!runnable_since)
			runnable_since = now;
		else if (now - runnable_since > CSPCHAN_BUSY_WAKE_NS)
			break;		/* it waits for a CPU, not for us */
	}
	/* Pairs with the waker's state store before wake_up_process(). */
	set_current_state(TASK_INTERRUPTIBLE);
}

/*
 * Set a handle's budget; the channel counts its handles with one, so that
 * wakers remember peers only while somebody may spin.
 */
static u32 cspchan_busy_set(struct cspchan *ch, struct cspchan_handle *h,
			    u32 usecs)
{
	u32 old;

	mutex_lock(&ch->lock);
	old = h->busy_poll_us;
	if (!old && usecs)
		ch->busy_handles++;
	else if (old && !usecs)
		ch->busy_handles--;
	WRITE_ONCE(h->busy_poll_us, usecs);
	mutex_unlock(&ch->lock);
	return old;
}

/**
 * cspchan_ioctl_busy_poll() - CSPCHAN_IOC_SET_BUSY_POLL
 * @file:	the channel handle
 * @ureq:	struct cspchan_busy_poll_req
 *
 * Return: 0 with the previous budget in @ureq->usecs, -EFAULT, or -EINVAL
 * for flags, a reserved field, or a budget above max_busy_poll_us.
 */
long cspchan_ioctl_busy_poll(struct file *file,
			     struct cspchan_busy_poll_req __user *ureq)
{
	struct cspchan_handle *h = file->private_data;
	struct cspchan_busy_poll_req req;
	u32 max = READ_ONCE(cspchan_max_busy_poll_us);

	if (copy_from_user(&req, ureq, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved || req.usecs > max)
		return -EINVAL;
	req.usecs = cspchan_busy_set(h->ch, h, req.usecs);
	if (put_user(req.usecs, &ureq->usecs))
		return -EFAULT;
	return 0;
}

/**
 * cspchan_busy_release() - a handle goes: it no longer counts
 * @file:	the channel handle
 */
void cspchan_busy_release(struct file *file)
{
	struct cspchan_handle *h = file->private_data;

	if (h->busy_poll_us)
		cspchan_busy_set(h->ch, h, 0);
}

/**
 * cspchan_busy_exit() - the channel is freed: drop the peers it remembers
 * @ch:	the channel
 */
void cspchan_busy_exit(struct cspchan *ch)
{
	put_pid(ch->last_sender);
	put_pid(ch->last_receiver);
}
