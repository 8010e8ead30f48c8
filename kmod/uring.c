// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: the slot operations as io_uring commands (IORING_OP_URING_CMD).
 *
 * A command that can proceed at once completes at once.  One that would
 * block is parked like a task — on sendq (ACQUIRE), recvq (TAKE) or as an
 * offer (COMMIT on an unbuffered channel) — and returns -EIOCBQUEUED, so
 * it never occupies an io-wq worker.  Whoever grants it completes it
 * through io_uring_cmd_complete_in_task(), which runs the completion in
 * the submitter's context, where TAKE writes its struct cspchan_slot_info.
 *
 * A command's answer is written into the submitter's memory (TAKE's
 * struct cspchan_slot_info) only in the submitter's own live process: a
 * completion that runs anywhere else (io_uring's fallback worker once the
 * task is exiting, or a task that is dying) undoes what was granted —
 * taken messages go back first, in their order; acquired slots are freed
 * — and completes with -ECANCELED.  Nothing is granted to a command whose
 * submitter is already gone.
 *
 * Every result is posted with io_uring_cmd_done() and ->uring_cmd returns
 * -EIOCBQUEUED, as ublk does: 6.1 completes a command inline only for 0 or
 * a negative value, and a positive one returned from an io-wq worker or
 * the head of a link would never complete or would fail its link.
 * -EAGAIN is never returned (io_uring would issue the command again from
 * io-wq, out of order): the channel's own "would block" is an answer.
 *
 * Linux 6.1 cannot cancel a uring command: a parked one pins the ring, the
 * handle and the module until the driver completes it.  So the driver
 * completes parked commands itself: with the channel's answer on shutdown
 * (-EPIPE or end of stream), and with -ECANCELED once nobody can reap
 * them any more (the submitter exits or execs, or the ring is closed),
 * noticed by the channel's reaper (cspchan_park_async()).
 */
#include <linux/error-injection.h>
#include <linux/nospec.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "cspchan.h"
#include "lease.h"
#include "reaper.h"
#include "slots.h"
#include "uring.h"
#include "uring_owner.h"
#include "wait.h"
#include "zerocopy.h"

/**
 * struct cspchan_uring - a command: on the issuer's stack, copied to the
 *	heap when it parks
 * @w:		its waiter on the channel
 * @cmd:	the io_uring command
 * @ch:		the channel
 * @file:	the handle the command was issued on
 * @task:	parked: the submitting task (a reference)
 * @mm:		the submitter's memory, where answers are written (compared,
 *		never dereferenced)
 * @op:		CSPCHAN_URING_* (legacy codes already translated)
 * @slot:	COMMIT: the offered slot
 * @len:	COMMIT: its length
 * @info:	TAKE: user address for struct cspchan_slot_info
 * @taken:	TAKE: what was taken
 * @res:	the completion's result
 * @completing:	its completion is queued: io_uring's cancel leaves it be
 *		(the channel lock)
 */
struct cspchan_uring {
	struct cspchan_waiter w;
	struct io_uring_cmd *cmd;
	struct cspchan *ch;
	struct file *file;
	struct task_struct *task;
	struct mm_struct *mm;
	u32 op;
	u32 slot;
	u32 len;
	u64 info;
	struct cspchan_slot_info taken;
	long res;
	bool completing;
};

static long cspchan_uring_complete_burst(struct cspchan_uring *u, long res);

static bool cspchan_uring_owner_gone(struct cspchan_uring *u)
{
	return cspchan_io_req_gone(cmd_to_io_kiocb(u->cmd));
}

static bool cspchan_uring_may_answer(struct cspchan_uring *u)
{
	return cspchan_io_may_answer(cmd_to_io_kiocb(u->cmd), u->mm);
}

/*
 * A TAKE's slot is held CSPCHAN_HELD_TAKING until its answer is written,
 * so that nothing can release it meanwhile.  Written: the handle holds it
 * as taken.  Not written: nobody learnt of the message, which goes back
 * first.
 */
static long cspchan_uring_settle_take(struct cspchan_uring *u, long res)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan *ch = u->ch;
	u32 slot = u->taken.slot;
	bool told;

	if (res <= 0)
		return res;
	told = cspchan_uring_may_answer(u);
	if (told) {
		/*
		 * The sender's pid as the submitter sees it: whoever granted
		 * the TAKE may live in another pid namespace.  The slot is
		 * ours, so its pid cannot change meanwhile.
		 */
		u->taken.pid = cspchan_slot_pid(&ch->slots[slot]);
		told = !copy_to_user(u64_to_user_ptr(u->info), &u->taken,
				     sizeof(u->taken));
		if (!told)
			res = -EFAULT;
	} else {
		res = -ECANCELED;
	}
	mutex_lock(&ch->lock);
	if (!told)
		cspchan_lease_untake(ch, slot, &wk);
	else if (cspchan_leases(ch))
		cspchan_lease_grant(ch, slot, u->file, CSPCHAN_HELD_TAKEN);
	else
		cspchan_hold(ch, slot, u->file, CSPCHAN_HELD_TAKEN);
	cspchan_unlock_and_wake(ch, &wk);
	return res;
}

/*
 * A parked ACQUIRE's or ACQUIREV's slot is the handle's from the grant on;
 * if the answer cannot be given (or written, for ACQUIREV), the slot goes
 * back unless the handle already used it (by guessing its index).
 */
static long cspchan_uring_settle_acquire(struct cspchan_uring *u, long res)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan *ch = u->ch;
	u32 slot = u->taken.slot;

	if (res < 0)
		return res;
	if (!cspchan_uring_may_answer(u)) {
		res = -ECANCELED;
	} else {
		if (u->op == CSPCHAN_URING_ACQUIRE ||
		    !copy_to_user(u64_to_user_ptr(u->info), &u->taken,
				  sizeof(u->taken)))
			return res;
		res = -EFAULT;
	}
	mutex_lock(&ch->lock);
	if (!cspchan_slot_lookup(ch, u->file, slot, CSPCHAN_HELD_ACQUIRED,
				 &slot)) {
		cspchan_hold(ch, slot, NULL, CSPCHAN_HELD_NONE);
		cspchan_release_slot(ch, slot, &wk);
	}
	cspchan_unlock_and_wake(ch, &wk);
	return res;
}

static void cspchan_uring_done(struct io_uring_cmd *cmd, unsigned int flags)
{
	struct cspchan_uring *u = *(struct cspchan_uring **)cmd->pdu;

	switch (u->op) {
	case CSPCHAN_URING_ACQUIRE:
		u->res = cspchan_uring_settle_acquire(u, u->res);
		break;
	case CSPCHAN_URING_TAKE:
		u->res = cspchan_uring_settle_take(u, u->res);
		break;
	case CSPCHAN_URING_TAKEV:	/* one message, once it had to wait */
		u->res = cspchan_uring_settle_take(u, u->res);
		if (u->res > 0)
			u->res = cspchan_uring_complete_burst(u, 1);
		break;
	case CSPCHAN_URING_ACQUIREV:
		u->res = cspchan_uring_settle_acquire(u, u->res);
		u->res = cspchan_uring_complete_burst(u, u->res);
		break;
	}
	cspchan_uring_cmd_done(cmd, u->res, flags);
	put_task_struct(u->task);
	kfree(u);
}

CSPCHAN_URING_TW(cspchan_uring_done_tw, cspchan_uring_done);

static void cspchan_uring_complete(struct cspchan *ch, struct cspchan_uring *u,
				   long res)
{
	lockdep_assert_held(&ch->lock);
	cspchan_unpark_async(ch, &u->w);
	u->completing = true;
	u->res = res;
	io_uring_cmd_complete_in_task(u->cmd, cspchan_uring_done_tw);
}

static struct cspchan_uring *cspchan_waiter_uring(struct cspchan_waiter *w)
{
	return container_of(w, struct cspchan_uring, w);
}

/*
 * ->claim: a command whose submitter is gone is completed with -ECANCELED
 * instead, and what it would have been given (a message, a slot) goes to
 * the next waiter.
 */
static bool cspchan_uring_claim(struct cspchan *ch, struct cspchan_waiter *w)
{
	struct cspchan_uring *u = cspchan_waiter_uring(w);

	lockdep_assert_held(&ch->lock);
	if (!cspchan_uring_owner_gone(u))
		return true;
	cspchan_uring_complete(ch, u, -ECANCELED);
	return false;
}

static bool cspchan_uring_gone(struct cspchan_waiter *w)
{
	return cspchan_uring_owner_gone(cspchan_waiter_uring(w));
}

/* ->grant: the command's waiter was served, or the channel shut down. */
static void cspchan_uring_granted(struct cspchan *ch, struct cspchan_waiter *w,
				  int state, struct cspchan_wakeups *wk)
{
	struct cspchan_uring *u = cspchan_waiter_uring(w);
	bool granted = state == CSPCHAN_GRANTED;
	u32 slot = w->slot;
	long res;

	switch (u->op) {
	case CSPCHAN_URING_ACQUIRE:
	case CSPCHAN_URING_ACQUIREV:
		res = granted ? slot : -EPIPE;
		if (granted) {
			cspchan_hold(ch, slot, u->file, CSPCHAN_HELD_ACQUIRED);
			u->taken.slot = slot;
			u->taken.offset = (u64)slot * ch->slot_size;
			if (u->op == CSPCHAN_URING_ACQUIREV)
				res = 1;
		}
		break;
	case CSPCHAN_URING_TAKE:
	case CSPCHAN_URING_TAKEV:
		res = 0;	/* shut down: end of stream */
		if (granted) {
			struct cspchan_msgmeta meta;

			cspchan_consume(ch, slot, true, &meta, wk);
			cspchan_hold(ch, slot, u->file, CSPCHAN_HELD_TAKING);
			u->taken.slot = slot;
			u->taken.len = ch->slots[slot].len;
			u->taken.offset = (u64)slot * ch->slot_size;
			u->taken.seq = meta.seq;
			u->taken.sent_ns = meta.sent_ns;
			u->taken.pid = meta.pid;
			u->taken.deliveries = meta.deliveries;
			res = u->taken.len;
		}
		break;
	default:		/* COMMIT: the offer was taken, or withdrawn */
		res = u->len;
		if (!granted) {
			cspchan_hold(ch, u->slot, u->file,
				     CSPCHAN_HELD_ACQUIRED);
			res = -EPIPE;
		}
		break;
	}
	cspchan_uring_complete(ch, u, res);
}

/* Take a parked command back off its channel, nothing granted. */
static void cspchan_uring_unlink(struct cspchan *ch, struct cspchan_uring *u)
{
	lockdep_assert_held(&ch->lock);
	cspchan_unpark_async(ch, &u->w);
	if (u->op == CSPCHAN_URING_COMMIT) {
		cspchan_withdraw_offer(ch, u->slot);
		cspchan_hold(ch, u->slot, u->file, CSPCHAN_HELD_ACQUIRED);
	} else {
		list_del_init(&u->w.node);
		if (u->op == CSPCHAN_URING_ACQUIRE ||
		    u->op == CSPCHAN_URING_ACQUIREV)
			ch->nr_sendq--;
		else
			ch->nr_recvq--;
	}
}

/* ->cancel: the reaper found the submitter gone. */
static void cspchan_uring_cancel(struct cspchan *ch, struct cspchan_waiter *w)
{
	struct cspchan_uring *u = cspchan_waiter_uring(w);

	cspchan_uring_unlink(ch, u);
	cspchan_uring_complete(ch, u, -ECANCELED);
}

static const struct cspchan_waiter_ops cspchan_uring_waiter_ops = {
	.claim	= cspchan_uring_claim,
	.grant	= cspchan_uring_granted,
	.gone	= cspchan_uring_gone,
	.cancel	= cspchan_uring_cancel,
};

/*
 * A command that must wait: move it from the issuer's stack to the heap
 * (most commands complete at once and never get here), and note it for
 * the reaper: io_uring cancels parked commands itself (6.7+) when their
 * ring closes or their task execs, but not when only the thread that
 * submitted them exits.  NULL: no memory, nothing done.
 */
static noinline struct cspchan_uring *
cspchan_uring_park(struct cspchan *ch, struct cspchan_uring *tmp)
{
	struct cspchan_uring *u;

	lockdep_assert_held(&ch->lock);
	u = kmemdup(tmp, sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		return NULL;
	cspchan_async_init(&u->w, &cspchan_uring_waiter_ops);
	/* The submitter, even when an io-wq worker issues the command. */
	u->task = get_task_struct(cspchan_io_req_task(cmd_to_io_kiocb(u->cmd)));
	*(struct cspchan_uring **)u->cmd->pdu = u;
	cspchan_park_async(ch, &u->w);
	return u;
}

ALLOW_ERROR_INJECTION(cspchan_uring_park, NULL);

/* Park an ACQUIRE or ACQUIREV on sendq, for the next free slot. */
static long cspchan_uring_park_sender(struct cspchan *ch,
				      struct cspchan_uring *tmp)
{
	struct cspchan_uring *u = cspchan_uring_park(ch, tmp);

	if (!u)
		return -ENOMEM;
	list_add_tail(&u->w.node, &ch->sendq);
	ch->nr_sendq++;
	return -EIOCBQUEUED;
}

/* Park a TAKE or TAKEV on recvq, for the next message. */
static long cspchan_uring_park_receiver(struct cspchan *ch,
					struct cspchan_uring *tmp)
{
	struct cspchan_uring *u = cspchan_uring_park(ch, tmp);

	if (!u)
		return -ENOMEM;
	cspchan_park_receiver(ch, &u->w);
	return -EIOCBQUEUED;
}

/* The legacy codes (the ioctl numbers) of the four slot commands. */
static u32 cspchan_uring_opcode(u32 cmd_op)
{
	switch (cmd_op) {
	case CSPCHAN_IOC_ACQUIRE:
		return CSPCHAN_URING_ACQUIRE;
	case CSPCHAN_IOC_COMMIT:
		return CSPCHAN_URING_COMMIT;
	case CSPCHAN_IOC_TAKE:
		return CSPCHAN_URING_TAKE;
	case CSPCHAN_IOC_RELEASE:
		return CSPCHAN_URING_RELEASE;
	default:
		return cmd_op;
	}
}

static void cspchan_uring_init(struct cspchan_uring *u,
			       struct io_uring_cmd *cmd)
{
	const struct cspchan_uring_cmd *payload = cspchan_uring_payload(cmd);

	memset(u, 0, sizeof(*u));
	cspchan_waiter_init(&u->w, NULL, 0);
	u->mm = current->mm;
	u->cmd = cmd;
	u->file = cmd->file;
	u->ch = cspchan_file_channel(cmd->file);
	u->op = cspchan_uring_opcode(cmd->cmd_op);
	/* The payload is in memory userspace can change: read it once. */
	u->slot = READ_ONCE(payload->slot);
	u->len = READ_ONCE(payload->len);
	u->info = READ_ONCE(payload->info);
}

/*
 * The channel lock, even for IO_URING_F_NONBLOCK: -EAGAIN would make
 * io_uring issue the command again later from io-wq, while the commands
 * after it in the same submission are issued now, so a batch of COMMITs
 * or TAKEs would reach the channel out of order.  The lock is held for
 * short sections, and a mutex spins while its owner runs; the 6.1 pipe
 * takes its mutex for IOCB_NOWAIT writes the same way.
 */
static void cspchan_uring_lock(struct cspchan *ch)
{
	mutex_lock(&ch->lock);
}

static int cspchan_uring_acquire(struct cspchan *ch, struct cspchan_uring *u,
				 struct cspchan_wakeups *wk)
{
	int slot;

	if (!(u->file->f_mode & FMODE_WRITE))
		return -EBADF;
	slot = cspchan_get_slot(ch, CSPCHAN_IO_NONBLOCK, NULL, wk);
	if (slot >= 0) {
		cspchan_hold(ch, slot, u->file, CSPCHAN_HELD_ACQUIRED);
		return slot;
	}
	if (slot != -EAGAIN)
		return slot;
	return cspchan_uring_park_sender(ch, u);
}

static int cspchan_uring_commit(struct cspchan *ch, struct cspchan_uring *u,
				struct cspchan_wakeups *wk)
{
	struct file *file = u->file;
	ssize_t ret;
	u32 slot;

	if (!(u->file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (!u->len)
		return -EINVAL;
	if (u->len > ch->msg_size)
		return -EMSGSIZE;
	ret = cspchan_slot_lookup(ch, u->file, u->slot, CSPCHAN_HELD_ACQUIRED,
				  &u->slot);
	if (ret)
		return ret;
	cspchan_hold(ch, u->slot, NULL, CSPCHAN_HELD_NONE);
	ret = cspchan_post_slot(ch, u->slot, u->len, CSPCHAN_IO_NONBLOCK,
				NULL, wk);
	if (ret != -EAGAIN) {
		if (ret < 0)
			cspchan_hold(ch, u->slot, u->file,
				     CSPCHAN_HELD_ACQUIRED);
		return ret;
	}
	/* Unbuffered with no receiver: offer it, complete when taken. */
	slot = u->slot;
	u = cspchan_uring_park(ch, u);
	if (!u) {
		cspchan_hold(ch, slot, file, CSPCHAN_HELD_ACQUIRED);
		return -ENOMEM;
	}
	cspchan_post_offer(ch, u->slot, u->len, &u->w);
	return -EIOCBQUEUED;
}

static int cspchan_uring_take(struct cspchan *ch, struct cspchan_uring *u,
			      struct cspchan_wakeups *wk)
{
	long ret;

	if (!(u->file->f_mode & FMODE_READ))
		return -EBADF;
	ret = cspchan_zc_take_locked(ch, u->file, CSPCHAN_HELD_TAKING,
				     CSPCHAN_IO_NONBLOCK, NULL, wk, &u->taken);
	if (ret != -EAGAIN)
		return ret;
	return cspchan_uring_park_receiver(ch, u);
}

/*
 * Vectored commands (CSPCHAN_URING_*V): a burst of slots under one lock.
 * The entries are read and written field by field, under the lock (as the
 * copy path copies under it): a fault undoes what this command did to the
 * channel.  Each returns how many entries it did, or an error when it did
 * none; ACQUIREV and TAKEV park like their single forms when there is
 * nothing at all, and then complete with one entry.
 */
static int cspchan_put_slot_info(struct cspchan_slot_info __user *uinfo,
				 const struct cspchan_slot_info *info)
{
	if (!user_access_begin(uinfo, sizeof(*uinfo)))
		return -EFAULT;
	unsafe_put_user(info->slot, &uinfo->slot, efault);
	unsafe_put_user(info->len, &uinfo->len, efault);
	unsafe_put_user(info->offset, &uinfo->offset, efault);
	unsafe_put_user(info->seq, &uinfo->seq, efault);
	unsafe_put_user(info->sent_ns, &uinfo->sent_ns, efault);
	unsafe_put_user(info->pid, &uinfo->pid, efault);
	unsafe_put_user(info->deliveries, &uinfo->deliveries, efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

static int cspchan_get_slot_len(struct cspchan_slot_info __user *uinfo,
				u32 *slot, u32 *len)
{
	if (!user_access_begin(uinfo, sizeof(*uinfo)))
		return -EFAULT;
	unsafe_get_user(*slot, &uinfo->slot, efault);
	unsafe_get_user(*len, &uinfo->len, efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/*
 * Own free slots for uvec[from..u->len), as many as there are.  Return
 * how many, or -EFAULT with those slots given back; *err: why it stopped.
 */
static long cspchan_uring_acquire_burst(struct cspchan *ch,
					struct cspchan_uring *u,
					struct cspchan_slot_info __user *uvec,
					u32 from, struct cspchan_wakeups *wk,
					long *err)
{
	struct cspchan_slot_info info = { 0 };
	u32 got[CSPCHAN_SLOTV_MAX];
	u32 n;
	int slot;

	*err = 0;
	for (n = from; n < u->len; n++) {
		slot = cspchan_get_slot(ch, CSPCHAN_IO_NONBLOCK, NULL, wk);
		if (slot < 0) {
			*err = slot;
			break;
		}
		got[n] = slot;
		info.slot = slot;
		info.offset = (u64)slot * ch->slot_size;
		if (cspchan_put_slot_info(&uvec[n], &info)) {
			/* Nobody learnt of them: give them all back. */
			cspchan_release_slot(ch, slot, wk);
			while (n-- > from) {
				cspchan_hold(ch, got[n], NULL,
					     CSPCHAN_HELD_NONE);
				cspchan_release_slot(ch, got[n], wk);
			}
			return -EFAULT;
		}
		cspchan_hold(ch, slot, u->file, CSPCHAN_HELD_ACQUIRED);
	}
	return n - from;
}

static long cspchan_uring_acquirev(struct cspchan *ch, struct cspchan_uring *u,
				   struct cspchan_slot_info __user *uvec,
				   struct cspchan_wakeups *wk)
{
	long n, err;

	if (!(u->file->f_mode & FMODE_WRITE))
		return -EBADF;
	n = cspchan_uring_acquire_burst(ch, u, uvec, 0, wk, &err);
	if (n)
		return n;
	if (err != -EAGAIN)
		return err;
	return cspchan_uring_park_sender(ch, u);
}

/* A COMMITV's or RELEASEV's entries, read before the lock is taken. */
struct cspchan_slot_len {
	u32 slot;
	u32 len;
};

static long cspchan_uring_commitv(struct cspchan *ch, struct cspchan_uring *u,
				  const struct cspchan_slot_len *vec,
				  u64 sent_ns, struct cspchan_wakeups *wk)
{
	long ret = 0;
	u32 n;

	if (!(u->file->f_mode & FMODE_WRITE))
		return -EBADF;
	for (n = 0; n < u->len; n++) {
		u32 slot = vec[n].slot, len = vec[n].len;

		if (!len)
			ret = -EINVAL;
		else if (len > ch->msg_size)
			ret = -EMSGSIZE;
		else
			ret = cspchan_slot_lookup(ch, u->file, slot,
						  CSPCHAN_HELD_ACQUIRED, &slot);
		if (ret)
			break;
		cspchan_hold(ch, slot, NULL, CSPCHAN_HELD_NONE);
		ret = cspchan_post_slot_at(ch, slot, len, sent_ns,
					   CSPCHAN_IO_NONBLOCK, NULL, wk);
		if (ret < 0) {	/* not sent: the handle still holds it */
			cspchan_hold(ch, slot, u->file, CSPCHAN_HELD_ACQUIRED);
			break;
		}
	}
	return n ? n : ret;
}

/*
 * Take the next messages into uvec[from..u->len), as many as there are.
 * Return how many, or -EFAULT with them put back in order; *err: why it
 * stopped (-EAGAIN, or 0 at end of stream).
 */
static long cspchan_uring_take_burst(struct cspchan *ch,
				     struct cspchan_uring *u,
				     struct cspchan_slot_info __user *uvec,
				     u32 from, struct cspchan_wakeups *wk,
				     long *err)
{
	struct cspchan_slot_info info;
	u32 got[CSPCHAN_SLOTV_MAX];
	u32 n;

	*err = 0;
	for (n = from; n < u->len; n++) {
		*err = cspchan_zc_take_locked(ch, u->file, CSPCHAN_HELD_TAKEN,
					      CSPCHAN_IO_NONBLOCK, NULL, wk,
					      &info);
		if (*err <= 0)
			break;
		got[n] = info.slot;
		if (cspchan_put_slot_info(&uvec[n], &info)) {
			/* Nobody learnt of them: put them back, in order. */
			n++;
			while (n-- > from)
				cspchan_lease_untake(ch, got[n], wk);
			return -EFAULT;
		}
	}
	return n - from;
}

static long cspchan_uring_takev(struct cspchan *ch, struct cspchan_uring *u,
				struct cspchan_slot_info __user *uvec,
				struct cspchan_wakeups *wk)
{
	long n, err;

	if (!(u->file->f_mode & FMODE_READ))
		return -EBADF;
	n = cspchan_uring_take_burst(ch, u, uvec, 0, wk, &err);
	if (n || err != -EAGAIN)
		return n ? n : err;
	return cspchan_uring_park_receiver(ch, u);
}

/*
 * A parked ACQUIREV or TAKEV got its first entry: fill the rest of the
 * vector with what is there now, so that a burst stays a burst.
 */
static long cspchan_uring_complete_burst(struct cspchan_uring *u, long res)
{
	struct cspchan_slot_info __user *uvec = u64_to_user_ptr(u->info);
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan *ch = u->ch;
	long more, err;

	if (res != 1 || u->len < 2)
		return res;
	mutex_lock(&ch->lock);
	if (u->op == CSPCHAN_URING_TAKEV)
		more = cspchan_uring_take_burst(ch, u, uvec, 1, &wk, &err);
	else
		more = cspchan_uring_acquire_burst(ch, u, uvec, 1, &wk, &err);
	cspchan_unlock_and_wake(ch, &wk);
	return more > 0 ? res + more : res;
}

static long cspchan_uring_releasev(struct cspchan *ch, struct cspchan_uring *u,
				   const struct cspchan_slot_len *vec,
				   struct cspchan_wakeups *wk)
{
	long ret = 0;
	u32 n;

	for (n = 0; n < u->len; n++) {
		u32 slot = vec[n].slot;

		ret = cspchan_slot_lookup(ch, u->file, slot, CSPCHAN_HELD_NONE,
					  &slot);
		if (ret)
			break;
		cspchan_lease_done(ch, slot, wk);
	}
	return n ? n : ret;
}

static long cspchan_uring_vector(struct cspchan *ch, struct cspchan_uring *u)
{
	struct cspchan_slot_info __user *uvec = u64_to_user_ptr(u->info);
	struct cspchan_slot_len in[CSPCHAN_SLOTV_MAX];
	struct cspchan_wakeups wk = { .nr = 0 };
	u64 now = 0;
	long ret;
	u32 i;

	if (u->slot || !u->len || u->len > CSPCHAN_SLOTV_MAX)
		return -EINVAL;
	if (!access_ok(uvec, u->len * sizeof(*uvec)))
		return -EFAULT;
	if (u->op == CSPCHAN_URING_COMMITV || u->op == CSPCHAN_URING_RELEASEV) {
		/* Read unlocked; a fault changes nothing. */
		for (i = 0; i < u->len; i++)
			if (cspchan_get_slot_len(&uvec[i], &in[i].slot,
						 &in[i].len))
				return -EFAULT;
	}
	/* A COMMITV never waits: one time for all its messages. */
	if (u->op == CSPCHAN_URING_COMMITV)
		now = ktime_get_ns();

	cspchan_uring_lock(ch);
	switch (u->op) {
	case CSPCHAN_URING_ACQUIREV:
		ret = cspchan_uring_acquirev(ch, u, uvec, &wk);
		break;
	case CSPCHAN_URING_COMMITV:
		ret = cspchan_uring_commitv(ch, u, in, now, &wk);
		break;
	case CSPCHAN_URING_TAKEV:
		ret = cspchan_uring_takev(ch, u, uvec, &wk);
		break;
	default:
		ret = cspchan_uring_releasev(ch, u, in, &wk);
		break;
	}
	cspchan_unlock_and_wake(ch, &wk);
	return ret;
}

/* RELEASE: give back a slot the handle holds. */
static long cspchan_uring_release(struct cspchan *ch, struct cspchan_uring *u,
				  struct cspchan_wakeups *wk)
{
	long ret;

	ret = cspchan_slot_lookup(ch, u->file, u->slot, CSPCHAN_HELD_NONE,
				  &u->slot);
	if (ret)
		return ret;
	cspchan_lease_done(ch, u->slot, wk);
	return 0;
}

/* The payload fields a single command does not use must be zero. */
static bool cspchan_uring_unused_zero(const struct cspchan_uring *u)
{
	switch (u->op) {
	case CSPCHAN_URING_ACQUIRE:
		return !u->slot && !u->len && !u->info;
	case CSPCHAN_URING_COMMIT:
		return !u->info;
	case CSPCHAN_URING_TAKE:
		return !u->slot && !u->len;
	default:	/* RELEASE */
		return !u->len && !u->info;
	}
}

static long cspchan_uring_single(struct cspchan *ch, struct cspchan_uring *u)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	long ret;

	if (!cspchan_uring_unused_zero(u))
		return -EINVAL;
	if (u->op == CSPCHAN_URING_TAKE &&
	    !access_ok(u64_to_user_ptr(u->info), sizeof(u->taken)))
		return -EFAULT;

	cspchan_uring_lock(ch);
	switch (u->op) {
	case CSPCHAN_URING_ACQUIRE:
		ret = cspchan_uring_acquire(ch, u, &wk);
		break;
	case CSPCHAN_URING_COMMIT:
		ret = cspchan_uring_commit(ch, u, &wk);
		break;
	case CSPCHAN_URING_TAKE:
		ret = cspchan_uring_take(ch, u, &wk);
		break;
	default:
		ret = cspchan_uring_release(ch, u, &wk);
		break;
	}
	cspchan_unlock_and_wake(ch, &wk);

	/* Parked: a copy on the heap now stands for the command. */
	if (ret != -EIOCBQUEUED && u->op == CSPCHAN_URING_TAKE)
		ret = cspchan_uring_settle_take(u, ret);
	return ret;
}

/* The commands that may park: io_uring can cancel them (6.7+). */
static bool cspchan_uring_may_park(u32 op)
{
	return op == CSPCHAN_URING_ACQUIRE || op == CSPCHAN_URING_COMMIT ||
	       op == CSPCHAN_URING_TAKE || op == CSPCHAN_URING_ACQUIREV ||
	       op == CSPCHAN_URING_TAKEV;
}

/*
 * IO_URING_F_CANCEL (6.7+): io_uring gives up a parked command, because
 * its ring is closed or its task execs.  A command whose completion is
 * already queued is left to it; one still parked is taken off the channel
 * and completed here, with the issue flags io_uring passed, as ublk does.
 * io_uring holds its ring lock, which the completion's io_uring_cmd_done()
 * needs as well, so the command cannot be freed meanwhile.
 */
static void cspchan_uring_cancel_cmd(struct io_uring_cmd *cmd,
				     unsigned int issue_flags)
{
	struct cspchan *ch = cspchan_file_channel(cmd->file);
	struct cspchan_uring *u;

	mutex_lock(&ch->lock);
	u = *(struct cspchan_uring **)cmd->pdu;
	if (u && !u->completing)
		cspchan_uring_unlink(ch, u);
	else
		u = NULL;
	mutex_unlock(&ch->lock);
	if (!u)
		return;
	cspchan_uring_cmd_done(cmd, -ECANCELED, issue_flags);
	put_task_struct(u->task);
	kfree(u);
}

/**
 * cspchan_uring_cmd() - the handle's ->uring_cmd
 * @cmd:	the command; cmd->cmd points at struct cspchan_uring_cmd in
 *		the shared submission queue (or io_uring's copy of it)
 * @issue_flags:	IO_URING_F_*
 *
 * Return: -EIOCBQUEUED: the command completed (io_uring_cmd_done()) or is
 * parked.
 */
int cspchan_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct cspchan *ch = cspchan_file_channel(cmd->file);
	struct cspchan_uring u;
	long ret;

	if (issue_flags & CSPCHAN_URING_F_CANCEL) {
		cspchan_uring_cancel_cmd(cmd, issue_flags);
		return 0;
	}
	cspchan_uring_init(&u, cmd);
	/* Nothing for a submitter that is already going away. */
	if (cspchan_uring_owner_gone(&u)) {
		cspchan_uring_cmd_done(cmd, -ECANCELED, issue_flags);
		return -EIOCBQUEUED;
	}
	/* Before the channel lock: io_uring's cancel takes it after its own. */
	*(struct cspchan_uring **)cmd->pdu = NULL;
	if (CSPCHAN_HAVE_URING_CANCEL && cspchan_uring_may_park(u.op))
		cspchan_uring_mark_cancelable(cmd, issue_flags);
	switch (u.op) {
	case CSPCHAN_URING_ACQUIRE:
	case CSPCHAN_URING_COMMIT:
	case CSPCHAN_URING_TAKE:
	case CSPCHAN_URING_RELEASE:
		ret = cspchan_uring_single(ch, &u);
		break;
	case CSPCHAN_URING_ACQUIREV:
	case CSPCHAN_URING_COMMITV:
	case CSPCHAN_URING_TAKEV:
	case CSPCHAN_URING_RELEASEV:
		ret = cspchan_uring_vector(ch, &u);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	if (ret != -EIOCBQUEUED)
		cspchan_uring_cmd_done(cmd, ret, issue_flags);
	return -EIOCBQUEUED;
}
