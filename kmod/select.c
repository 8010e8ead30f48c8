// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: select — perform exactly one ready case among many channels.
 *
 * The protocol follows Go's runtime (selectgo), with one lock held at a
 * time instead of all of them.  It runs in rounds:
 *
 * 1. Try every case without blocking, in a random order; the first that
 *    proceeds is the one performed.  Over a fixed set of ready cases this
 *    chooses uniformly at random.  A priority select (CSPCHAN_SELECT_PRIO)
 *    tries them in index order instead: the lowest ready index wins.
 * 2. Park one waiter per case, all sharing a struct cspchan_sel: receive
 *    cases on recvq, buffered send cases on sendq (for a slot), and
 *    unbuffered send cases as an offer — the message copied into a
 *    hand-off slot, with the select as its offerer — or, when no hand-off
 *    slot is free, on sendq for one.  Under each channel's lock, before
 *    parking there, look again: if the case became ready, claim the
 *    select ourselves and start a new round.  A waker grants something to
 *    a select's waiter (or takes its offer) only after winning the claim
 *    (atomic_cmpxchg on sel->done), so at most one case is ever granted;
 *    a waker that loses drops the stale waiter or offer.
 * 3. Sleep until claimed, a signal, or the deadline; giving up is also a
 *    claim, so a waker cannot win after we have left.
 * 4. Unpark every waiter and take back every offer under its channel's
 *    lock, then complete the granted case.  An unbuffered send case that
 *    was granted only a hand-off slot keeps it and goes round again.
 *
 * A case is never committed to a blocking operation: whatever cannot
 * complete at once goes round again, parked on every case.
 *
 * See docs/select.md for the cases, the ordering and the guarantees.
 */
#include <linux/error-injection.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "chanfile.h"
#include "cspchan.h"
#include "lease.h"
#include "pace.h"
#include "select.h"
#include "slots.h"
#include "transfer.h"
#include "wait.h"

/**
 * struct cspchan_sel_case - one case, as the kernel keeps it
 * @uc:		the case as userspace passed it
 * @file:	its handle, pinned for the duration of the select
 * @ch:		its channel; NULL for descriptor -1 (never ready)
 * @iov:	the case's buffer, checked once
 * @w:		its waiter while parked
 * @slot:	an unbuffered send case's hand-off slot while it holds one,
 *		else -1
 * @parked:	@w was parked on @ch's sendq or recvq in this round
 * @offered:	@w offers the message in @slot in this round
 * @taken:	a receiver took the offer: the send case was performed
 */
struct cspchan_sel_case {
	struct cspchan_select_case uc;
	struct file *file;
	struct cspchan *ch;
	struct iovec iov;
	struct cspchan_waiter w;
	int slot;
	bool parked;
	bool offered;
	bool taken;
};

/* --- the channel side of a case, under its lock --- */
/* Is a message queued that a receive case of @sel may take? */
static bool cspchan_has_msg_for(struct cspchan *ch, struct cspchan_sel *sel)
{
	u32 i;

	if (ch->queued && cspchan_paced(ch) &&
	    !cspchan_pace_ready(ch, ktime_get_ns()))
		return false;		/* no token: the pacer serves it */
	for (i = 0; i < ch->queued; i++) {
		struct cspchan_waiter *o = ch->slots[cspchan_ring_at(ch, i)].offerer;

		if (!o || cspchan_waiter_live(o, sel))
			return true;
	}
	return false;
}

/*
 * cspchan_case_ready() - would this select case proceed without parking?
 * @ch:		the channel, locked
 * @send:	a send case (else a receive case)
 * @has_slot:	an unbuffered send case that holds its hand-off slot
 * @sel:	the select asking; its own parked waiters do not count
 */
static bool cspchan_case_ready(struct cspchan *ch, bool send, bool has_slot,
			       struct cspchan_sel *sel)
{
	lockdep_assert_held(&ch->lock);
	if (!send)
		return cspchan_recv_eos(ch) || cspchan_has_msg_for(ch, sel);
	if (ch->shut)
		return true;
	if (cspchan_buffered(ch))
		return ch->nr_free;
	return (has_slot || ch->nr_free) &&
	       cspchan_has_live_waiter(&ch->recvq, sel);
}

/*
 * cspchan_park_select() - park a select's waiter for one case
 * @ch:		the channel, locked, and not ready for the case
 * @w:		the waiter, initialised with its select and case index
 * @send:	a send case (else a receive case): it waits for a slot
 *
 * An unbuffered send case that has its slot waits as an offer instead
 * (cspchan_offer_select()).
 */
static void cspchan_park_select(struct cspchan *ch, struct cspchan_waiter *w,
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

/*
 * cspchan_unpark_select() - take a select's waiter off its queue
 * @ch:		the channel, locked
 * @w:		the waiter; a waker may already have unlinked it
 * @send:	a send case (else a receive case)
 */
static void cspchan_unpark_select(struct cspchan *ch, struct cspchan_waiter *w,
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

/*
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
static int cspchan_offer_select(struct cspchan *ch, struct cspchan_waiter *w,
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

/*
 * cspchan_unoffer_select() - a select takes back its offer
 * @ch:		the channel, locked
 * @w:		the case's waiter
 * @slot:	the offer's slot
 * @wk:		wake-ups to issue after unlocking
 *
 * Return: true if the offer was taken (the send is done, the slot is the
 * receiver's); false when it was not, and the slot is freed.
 */
static bool cspchan_unoffer_select(struct cspchan *ch, struct cspchan_waiter *w,
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

/*
 * cspchan_send_ready_slot() - hand a select's message to a parked receiver
 * @ch:		the channel, locked, unbuffered
 * @slot:	a slot the caller holds
 * @from:	the message (length already checked)
 * @wk:		wake-ups to issue after unlocking
 *
 * Return: the length, handed over; -EAGAIN when no receiver is parked, or
 * -EFAULT; on error the caller still holds @slot.
 */
static ssize_t cspchan_send_ready_slot(struct cspchan *ch, u32 slot,
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

/* --- the select --- */

static bool cspchan_case_send(const struct cspchan_sel_case *c)
{
	return c->uc.op == CSPCHAN_OP_SEND;
}

/* An unbuffered send case: it waits as an offer. */
static bool cspchan_case_offers(const struct cspchan_sel_case *c)
{
	return cspchan_case_send(c) && !c->ch->capacity;
}

static int cspchan_case_prepare(struct cspchan_sel_case *c)
{
	bool send = cspchan_case_send(c);
	void __user *buf = u64_to_user_ptr(c->uc.buf);

	c->slot = -1;
	if (c->uc.reserved0)
		return -EINVAL;
	if (c->uc.op != CSPCHAN_OP_SEND && c->uc.op != CSPCHAN_OP_RECV)
		return -EINVAL;
	if (c->uc.fd == -1)
		return 0;
	c->file = fget(c->uc.fd);
	if (!c->file || !cspchan_handle_channel(c->file))
		return -EBADF;
	c->ch = cspchan_file_channel(c->file);
	if (!(c->file->f_mode & (send ? FMODE_WRITE : FMODE_READ)))
		return -EBADF;
	if (send && !c->uc.len)
		return -EINVAL;
	if (send && c->uc.len > c->ch->msg_size)
		return -EMSGSIZE;
	if (!access_ok(buf, c->uc.len))
		return -EFAULT;
	c->iov.iov_base = buf;
	c->iov.iov_len = min_t(size_t, c->uc.len, MAX_RW_COUNT);
	return 0;
}

static void cspchan_case_iter(struct cspchan_sel_case *c, struct iov_iter *it)
{
	iov_iter_init(it, cspchan_case_send(c) ? ITER_SOURCE : ITER_DEST,
		      &c->iov, 1, c->iov.iov_len);
}

/* Give back a hand-off slot the case still holds (the select is over). */
static void cspchan_case_drop_slot(struct cspchan_sel_case *c)
{
	struct cspchan_wakeups wk = { .nr = 0 };

	if (!c->ch || c->slot < 0)
		return;
	mutex_lock(&c->ch->lock);
	cspchan_release_slot(c->ch, c->slot, &wk);
	cspchan_unlock_and_wake(c->ch, &wk);
	c->slot = -1;
}

/* Step 1 for one case: perform it if it can proceed at once, else -EAGAIN. */
static ssize_t cspchan_case_try(struct cspchan_sel_case *c)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	struct iov_iter it;
	ssize_t ret;

	cspchan_case_iter(c, &it);
	if (!cspchan_case_send(c))
		return cspchan_recv_iter(c->file, &it, CSPCHAN_IO_NONBLOCK,
					 NULL, NULL);
	if (c->slot < 0)
		return cspchan_send_iter(c->ch, &it, CSPCHAN_IO_NONBLOCK, NULL,
					 NULL, NULL);

	/* An unbuffered send that already holds its hand-off slot. */
	ret = cspchan_lock_io(c->ch, CSPCHAN_IO_NONBLOCK);
	if (ret)
		return ret;
	if (c->ch->shut) {
		cspchan_release_slot(c->ch, c->slot, &wk);
		c->slot = -1;
		ret = -EPIPE;
	} else {
		ret = cspchan_send_ready_slot(c->ch, c->slot, &it, &wk);
		if (ret >= 0)
			c->slot = -1;	/* handed over */
	}
	cspchan_unlock_and_wake(c->ch, &wk);
	return ret;
}

/*
 * Step 2 for one case, under its channel's lock: park it, or offer its
 * message.  Returns 0, or -EFAULT when the message cannot be read.
 */
static int cspchan_case_park(struct cspchan_sel_case *c,
			     struct cspchan_sel *sel, u32 index)
{
	struct iov_iter it;
	int ret;

	cspchan_waiter_init(&c->w, sel, index);
	if (cspchan_case_offers(c)) {
		cspchan_case_iter(c, &it);
		ret = cspchan_offer_select(c->ch, &c->w, &c->slot, &it);
		if (!ret) {
			c->offered = true;
			return 0;
		}
		if (ret != -EAGAIN)
			return ret;
		/* No hand-off slot is free: wait for one. */
	}
	cspchan_park_select(c->ch, &c->w, cspchan_case_send(c));
	c->parked = true;
	return 0;
}

/*
 * Step 4 for one case, under its channel's lock: unpark it or take back
 * its offer.  Returns true if the case was granted something.
 */
static bool cspchan_case_unpark(struct cspchan_sel_case *c,
				struct cspchan_wakeups *wk)
{
	if (c->offered) {
		c->offered = false;
		c->taken = cspchan_unoffer_select(c->ch, &c->w, c->slot, wk);
		c->slot = -1;	/* the receiver's, or freed */
		return c->taken || c->w.state == CSPCHAN_SHUT;
	}
	if (!c->parked)
		return false;
	c->parked = false;
	cspchan_unpark_select(c->ch, &c->w, cspchan_case_send(c));
	return c->w.state != CSPCHAN_WAITING;
}

/*
 * Complete the case a waker granted.  -EAGAIN: an unbuffered send case
 * was granted only a hand-off slot; it keeps it and the select goes round
 * again.
 */
static ssize_t cspchan_case_finish(struct cspchan_sel_case *c)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan *ch = c->ch;
	struct iov_iter it;
	ssize_t ret;

	if (c->w.state == CSPCHAN_SHUT)
		return cspchan_case_send(c) ? -EPIPE : 0;
	if (c->taken)		/* a receiver took the offer */
		return c->iov.iov_len;
	if (cspchan_case_offers(c)) {
		c->slot = c->w.slot;
		return -EAGAIN;
	}

	/* We own the granted slot; nobody else can touch it. */
	cspchan_case_iter(c, &it);
	mutex_lock(&ch->lock);
	if (cspchan_case_send(c))
		ret = cspchan_send_into(ch, c->w.slot, &it, 0, NULL, &wk);
	else
		ret = cspchan_recv_slot(ch, c->file, c->w.slot, true, &it, 0,
					NULL, &wk);
	cspchan_unlock_and_wake(ch, &wk);
	return ret;
}

static int cspchan_select_sleep(struct cspchan_sel *sel,
				const ktime_t *deadline)
{
	struct cspchan_sleep s;
	int ret = 0;

	cspchan_sleep_begin(&s, deadline);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (atomic_read(&sel->done))
			break;
		ret = cspchan_sleep_check(&s);
		if (ret)
			break;
		cspchan_sleep(&s);
	}
	cspchan_sleep_end(&s);
	return ret;
}

/*
 * Errors that mean "nothing was performed": the select fails with them.
 * A case's result is only bytes, 0 (end of stream) or -EPIPE.
 */
static bool cspchan_not_performed(ssize_t ret)
{
	return ret < 0 && ret != -EPIPE;
}

/*
 * Steps 2 to 4: one round.  Returns the index of the case performed, with
 * its result in *result; -EAGAIN to go round again (a case became ready,
 * or a hand-off slot was granted); or a negative errno with nothing
 * performed.
 */
static long cspchan_select_round(struct cspchan_sel_case *cases,
				 const u32 *order, u32 nr,
				 const ktime_t *deadline, ssize_t *result)
{
	struct cspchan_sel sel = { .done = ATOMIC_INIT(0) };
	struct cspchan_sel_case *granted = NULL;
	struct cspchan_wakeups wk;
	long ret = 0;
	u32 k;

	for (k = 0; k < nr; k++) {
		struct cspchan_sel_case *c = &cases[order[k]];

		if (!c->ch)
			continue;
		mutex_lock(&c->ch->lock);
		if (atomic_read(&sel.done)) {		/* claimed meanwhile */
			mutex_unlock(&c->ch->lock);
			break;
		}
		if (cspchan_case_ready(c->ch, cspchan_case_send(c),
				       c->slot >= 0, &sel))
			ret = -EAGAIN;	/* ready after all: go round */
		else
			ret = cspchan_case_park(c, &sel, order[k]);
		/* Leaving is a claim too; if a waker won, take its grant. */
		if (ret && !cspchan_sel_claim(&sel))
			ret = 0;
		mutex_unlock(&c->ch->lock);
		if (ret)
			break;
	}

	if (!atomic_read(&sel.done)) {
		ret = cspchan_select_sleep(&sel, deadline);
		if (ret && !cspchan_sel_claim(&sel))
			ret = 0;
	}

	for (k = 0; k < nr; k++) {
		struct cspchan_sel_case *c = &cases[k];

		if (!c->parked && !c->offered)
			continue;
		wk.nr = 0;
		mutex_lock(&c->ch->lock);
		if (cspchan_case_unpark(c, &wk))
			granted = c;
		cspchan_unlock_and_wake(c->ch, &wk);
	}

	if (granted) {
		*result = cspchan_case_finish(granted);
		if (*result == -EAGAIN)
			return -EAGAIN;
		return granted->w.index;
	}
	return ret ?: -EAGAIN;
}

/*
 * A select with a receive case on a lease channel's handle is a receive
 * of that handle: it acknowledges the handle's implicit lease first.
 */
static void cspchan_select_settle(struct cspchan_sel_case *cases, u32 nr)
{
	struct cspchan_wakeups wk;
	u32 i;

	for (i = 0; i < nr; i++) {
		struct cspchan_sel_case *c = &cases[i];

		if (!c->ch || cspchan_case_send(c) || !cspchan_leases(c->ch))
			continue;
		wk.nr = 0;
		mutex_lock(&c->ch->lock);
		cspchan_lease_settle(c->ch, c->file, &wk);
		cspchan_unlock_and_wake(c->ch, &wk);
	}
}

/* The kernel's copy of the cases and their random order. */
static noinline int cspchan_select_alloc(u32 nr,
					 struct cspchan_sel_case **cases,
					 u32 **order)
{
	*cases = kcalloc(nr, sizeof(**cases), GFP_KERNEL);
	*order = kcalloc(nr, sizeof(**order), GFP_KERNEL);
	if (*cases && *order)
		return 0;
	kfree(*cases);
	kfree(*order);
	return -ENOMEM;
}

ALLOW_ERROR_INJECTION(cspchan_select_alloc, ERRNO);

/**
 * cspchan_select() - CSPCHAN_IOC_SELECT
 * @ureq:	struct cspchan_select_req from userspace
 *
 * Return: the index of the case performed, its outcome in ureq->result;
 * or -EINVAL/-EBADF/-EMSGSIZE/-EFAULT for a bad request, -EAGAIN (timeout
 * 0, nothing ready), -ETIMEDOUT, -EINTR/-ERESTARTSYS, with no case
 * performed.
 */
long cspchan_select(struct cspchan_select_req __user *ureq)
{
	struct cspchan_select_case __user *ucases;
	struct cspchan_select_req req;
	struct cspchan_sel_case *cases;
	ktime_t deadline, *dl = NULL;
	ssize_t result = 0;
	u32 *order, i;
	long ret;

	if (copy_from_user(&req, ureq, sizeof(req)))
		return -EFAULT;
	if ((req.flags & ~CSPCHAN_SELECT_FLAGS) || req.reserved[0] ||
	    req.reserved[1])
		return -EINVAL;
	if (!req.nr || req.nr > CSPCHAN_MAX_SELECT_CASES)
		return -EINVAL;
	/* The outcome is written after a case was performed: check now. */
	if (put_user(0, &ureq->result))
		return -EFAULT;

	ret = cspchan_select_alloc(req.nr, &cases, &order);
	if (ret)
		return ret;

	ucases = u64_to_user_ptr(req.cases);
	for (i = 0; i < req.nr; i++) {
		ret = -EFAULT;
		if (copy_from_user(&cases[i].uc, &ucases[i], sizeof(*ucases)))
			goto out_put;
		ret = cspchan_case_prepare(&cases[i]);
		if (ret)
			goto out_put;
	}

	cspchan_select_settle(cases, req.nr);

	if (req.timeout_ns > 0) {
		deadline = ktime_add_safe(ktime_get(), ns_to_ktime(req.timeout_ns));
		dl = &deadline;
	}

	/*
	 * A uniformly random order (Fisher-Yates); a priority select tries
	 * its cases in index order, so the lowest ready one is performed.
	 */
	for (i = 0; i < req.nr; i++) {
		u32 j = req.flags & CSPCHAN_SELECT_PRIO ? i :
			get_random_u32_below(i + 1);

		order[i] = order[j];
		order[j] = i;
	}

	for (;;) {
		/* Step 1: the first case that proceeds without blocking. */
		for (i = 0; i < req.nr; i++) {
			struct cspchan_sel_case *c = &cases[order[i]];

			if (!c->ch)
				continue;
			result = cspchan_case_try(c);
			if (result != -EAGAIN) {
				ret = order[i];
				goto out_result;
			}
		}
		ret = -EAGAIN;
		if (!req.timeout_ns)
			goto out_put;

		ret = cspchan_select_round(cases, order, req.nr, dl, &result);
		if (ret >= 0)
			goto out_result;
		if (ret != -EAGAIN)
			goto out_put;
		cond_resched();
	}

out_result:
	if (cspchan_not_performed(result))
		ret = result;
	else if (put_user(result, &ureq->result))
		ret = -EFAULT;
out_put:
	for (i = 0; i < req.nr; i++) {
		if (!cases[i].file)
			continue;
		cspchan_case_drop_slot(&cases[i]);
		fput(cases[i].file);
	}
	kfree(order);
	kfree(cases);
	return ret;
}
