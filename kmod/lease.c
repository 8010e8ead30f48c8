// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: leases — nothing lost when a worker dies (SPEC 9).
 *
 * On a CSPCHAN_LEASE channel a delivered message keeps its slot: the
 * receiving handle holds it (CSPCHAN_HELD_LEASED after a copy, _TAKEN
 * after a zero-copy take) under a lease whose id comes from
 * ch->next_lease.  Capacity therefore bounds queued plus leased messages
 * with no counter of its own.  A lease ends in one of two ways:
 *
 *  - acknowledged (CSPCHAN_IOC_ACK, a zero-copy release, or the handle's
 *    next receive for its implicit lease): the slot is freed;
 *  - returned (CSPCHAN_IOC_NACK, the handle released, lease_ms passed):
 *    the message goes back ahead of what is queued, in its original order
 *    (cspchan_put_back()), keeping seq, pid and sent_ns; its next
 *    delivery counts one more in its slot's @deliveries.  A message that
 *    has been delivered max_deliveries times is not returned but
 *    dead-lettered: copied out of its slot, which is freed, and sent to
 *    the dead-letter channel once no channel lock is held.
 *
 * Lease ids are looked up in a hash table of the leased slots (one node
 * per slot, allocated with the channel: granting a lease never
 * allocates).  An id that is not there was acknowledged, returned or
 * revoked if it is below ch->next_lease, and never issued otherwise.
 *
 * With lease_ms all leases last equally long, so the order in which they
 * were granted is the order in which they expire: ch->lease_expiry keeps
 * them in that order and one delayed work, armed for the oldest, revokes
 * what has expired.
 */
#include <linux/hash.h>
#include <linux/list_sort.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "arena.h"
#include "channel.h"
#include "cspchan.h"
#include "lease.h"
#include "slots.h"
#include "trace.h"
#include "wait.h"

/**
 * struct cspchan_letter - a message on its way to a dead-letter channel
 * @node:	entry in a caller's list
 * @to:		id of the dead-letter channel
 * @seq:	the message's sequence number, kept
 * @sent_ns:	its send time, kept
 * @pid:	its sender (a reference), NULL when it was relayed
 * @relay_pid:	a relayed message's pid, kept
 * @len:	payload length
 * @data:	the payload
 */
struct cspchan_letter {
	struct list_head node;
	u64 to;
	u64 seq;
	u64 sent_ns;
	struct pid *pid;
	u32 relay_pid;
	u32 len;
	u8 data[];
};

static struct hlist_head *cspchan_lease_bucket(struct cspchan *ch, u64 id)
{
	return &ch->lease_hash[hash_64(id, ch->lease_hash_bits)];
}

static u32 cspchan_lease_slot(struct cspchan *ch, struct cspchan_lease *l)
{
	return l - ch->leases;
}

static void cspchan_lease_trace(struct cspchan *ch, u32 slot, u64 id,
				int event)
{
	struct cspchan_slot *s = &ch->slots[slot];

	trace_cspchan_lease(ch, s->seq, id, s->deliveries, event);
}

/* Revoke expired leases when the oldest one expires. */
static void cspchan_lease_arm(struct cspchan *ch)
{
	struct cspchan_lease *l;
	u64 now = ktime_get_ns();
	unsigned long delay = 0;

	lockdep_assert_held(&ch->lock);
	l = list_first_entry_or_null(&ch->lease_expiry, struct cspchan_lease,
				     expiry);
	if (!l)
		return;
	if (l->expires_ns > now)
		delay = nsecs_to_jiffies(l->expires_ns - now) + 1;
	mod_delayed_work(system_wq, &ch->lease_timer, delay);
}

/**
 * cspchan_lease_grant() - lease a delivered message to a handle
 * @ch:		the channel, locked, with leases
 * @slot:	the consumed message's slot
 * @file:	the receiving handle
 * @how:	CSPCHAN_HELD_LEASED (copied) or _TAKEN (zero-copy)
 *
 * Return: the lease id.
 */
u64 cspchan_lease_grant(struct cspchan *ch, u32 slot, struct file *file,
			u32 how)
{
	struct cspchan_lease *l = &ch->leases[slot];

	lockdep_assert_held(&ch->lock);
	cspchan_hold(ch, slot, file, how);
	l->id = ch->next_lease++;
	hlist_add_head(&l->hash, cspchan_lease_bucket(ch, l->id));
	ch->leased++;
	if (ch->lease_ms) {
		l->expires_ns = ktime_get_ns() +
				(u64)ch->lease_ms * NSEC_PER_MSEC;
		list_add_tail(&l->expiry, &ch->lease_expiry);
		if (list_is_singular(&ch->lease_expiry))
			cspchan_lease_arm(ch);
	}
	cspchan_lease_trace(ch, slot, l->id, CSPCHAN_LEASE_GRANTED);
	return l->id;
}

/* The lease on @slot ends: the slot is nobody's, and off every list. */
static void cspchan_lease_unlink(struct cspchan *ch, u32 slot)
{
	struct cspchan_lease *l = &ch->leases[slot];

	hlist_del_init(&l->hash);
	list_del_init(&l->expiry);
	l->id = 0;
	ch->leased--;
	cspchan_hold(ch, slot, NULL, CSPCHAN_HELD_NONE);
}

/*
 * A shut-down lease channel ends its stream when nothing is queued or
 * leased any more: receivers parked until then get end of stream now.
 */
static void cspchan_lease_check_end(struct cspchan *ch,
				    struct cspchan_wakeups *wk)
{
	if (!ch->shut || ch->leased || ch->queued)
		return;
	cspchan_shut_receivers(ch, wk);
	wake_up_interruptible_poll(&ch->rd_wait, EPOLLIN | EPOLLRDNORM);
}

/**
 * cspchan_lease_done() - the holder of @slot is done with its message
 * @ch:		the channel, locked
 * @slot:	a slot a handle holds (taken, or leased)
 * @wk:		wake-ups to issue after unlocking
 *
 * On a lease channel this acknowledges the message's lease; either way
 * the slot is freed.
 */
void cspchan_lease_done(struct cspchan *ch, u32 slot,
			struct cspchan_wakeups *wk)
{
	u64 id = cspchan_leases(ch) ? ch->leases[slot].id : 0;

	lockdep_assert_held(&ch->lock);
	if (!id) {
		cspchan_hold(ch, slot, NULL, CSPCHAN_HELD_NONE);
		cspchan_release_slot(ch, slot, wk);
		return;
	}
	cspchan_lease_trace(ch, slot, id, CSPCHAN_LEASE_ACKED);
	cspchan_lease_unlink(ch, slot);
	cspchan_release_slot(ch, slot, wk);
	cspchan_lease_check_end(ch, wk);
}

/**
 * cspchan_lease_untake() - a taken message nobody learnt of goes back
 * @ch:		the channel, locked
 * @slot:	the slot, consumed and held (or leased) by a taker that
 *		could not be told
 * @wk:		wake-ups to issue after unlocking
 *
 * As if it had never been delivered: first in the channel again, with
 * the delivery uncounted.
 */
void cspchan_lease_untake(struct cspchan *ch, u32 slot,
			  struct cspchan_wakeups *wk)
{
	lockdep_assert_held(&ch->lock);
	if (cspchan_leases(ch) && ch->leases[slot].id)
		cspchan_lease_unlink(ch, slot);
	cspchan_hold(ch, slot, NULL, CSPCHAN_HELD_NONE);
	cspchan_unconsume(ch, slot, wk);
}

/* Find the slot leased under @id: -ESTALE when it ended, -EINVAL if never issued. */
static int cspchan_lease_find(struct cspchan *ch, u64 id, u32 *slot)
{
	struct cspchan_lease *l;

	lockdep_assert_held(&ch->lock);
	if (!id || id >= ch->next_lease)
		return -EINVAL;
	hlist_for_each_entry(l, cspchan_lease_bucket(ch, id), hash) {
		if (l->id == id) {
			*slot = cspchan_lease_slot(ch, l);
			return 0;
		}
	}
	return -ESTALE;
}

/**
 * cspchan_lease_settle() - a handle starts a receive: acknowledge its
 *	implicit lease
 * @ch:		the channel, locked
 * @file:	the handle
 * @wk:		wake-ups to issue after unlocking
 */
void cspchan_lease_settle(struct cspchan *ch, struct file *file,
			  struct cspchan_wakeups *wk)
{
	struct cspchan_handle *h = file->private_data;
	u32 slot;

	lockdep_assert_held(&ch->lock);
	if (!h->implicit)
		return;
	if (!cspchan_lease_find(ch, h->implicit, &slot) &&
	    ch->slots[slot].owner == file)
		cspchan_lease_done(ch, slot, wk);
	h->implicit = 0;
}

/**
 * cspchan_lease_copied() - a receiver copied out the message in @slot
 * @ch:		the channel, locked
 * @slot:	the consumed message's slot
 * @file:	the receiving handle
 * @explicit:	the receiver returns the lease (recvmsg); otherwise it
 *		becomes the handle's implicit lease
 * @meta:	if not NULL, its lease is set
 * @wk:		wake-ups to issue after unlocking
 *
 * Without leases the slot is simply freed.
 */
void cspchan_lease_copied(struct cspchan *ch, u32 slot, struct file *file,
			  bool explicit, struct cspchan_msgmeta *meta,
			  struct cspchan_wakeups *wk)
{
	struct cspchan_handle *h = file->private_data;
	u64 id;

	lockdep_assert_held(&ch->lock);
	if (!cspchan_leases(ch)) {
		cspchan_release_slot(ch, slot, wk);
		return;
	}
	id = cspchan_lease_grant(ch, slot, file, CSPCHAN_HELD_LEASED);
	if (!explicit) {
		/* At most one: a receive that overlapped ends the older. */
		cspchan_lease_settle(ch, file, wk);
		h->implicit = id;
	}
	if (meta)
		meta->lease = explicit ? id : 0;
}

/* Sort returned leases by their messages' order. */
static int cspchan_lease_cmp(void *priv, const struct list_head *a,
			     const struct list_head *b)
{
	struct cspchan *ch = priv;
	const struct cspchan_lease *la = list_entry(a, struct cspchan_lease,
						    expiry);
	const struct cspchan_lease *lb = list_entry(b, struct cspchan_lease,
						    expiry);
	u64 sa = ch->slots[la - ch->leases].order;
	u64 sb = ch->slots[lb - ch->leases].order;

	return sa > sb ? 1 : sa < sb ? -1 : 0;
}

/* Copy a message out for its dead-letter channel; NULL if it is dropped. */
static struct cspchan_letter *cspchan_letter_copy(struct cspchan *ch, u32 slot)
{
	struct cspchan_slot *s = &ch->slots[slot];
	struct cspchan_letter *letter;
	struct iov_iter iter;
	struct kvec kv;

	if (!ch->dead_letter)
		return NULL;
	letter = kvmalloc(struct_size(letter, data, s->len), GFP_KERNEL);
	if (!letter)
		return NULL;
	kv.iov_base = letter->data;
	kv.iov_len = s->len;
	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, s->len);
	cspchan_arena_copy_out(&ch->arena, (size_t)slot * ch->slot_size,
			       s->len, &iter);
	letter->to = ch->dead_letter;
	letter->seq = s->seq;
	letter->sent_ns = s->sent_ns;
	letter->pid = get_pid(s->pid);
	letter->relay_pid = s->relay_pid;
	letter->len = s->len;
	return letter;
}

/*
 * Return the leases on @list (unlinked, chained by their expiry nodes) to
 * the channel in their messages' order; those delivered max_deliveries
 * times are dead-lettered instead (onto @dead).
 */
static void cspchan_lease_return(struct cspchan *ch, struct list_head *list,
				 int event, struct list_head *dead,
				 struct cspchan_wakeups *wk)
{
	struct cspchan_lease *l, *tmp;

	list_sort(ch, list, cspchan_lease_cmp);
	list_for_each_entry_safe(l, tmp, list, expiry) {
		u32 slot = cspchan_lease_slot(ch, l);
		struct cspchan_slot *s = &ch->slots[slot];
		struct cspchan_letter *letter;

		list_del_init(&l->expiry);
		if (!ch->max_deliveries || s->deliveries < ch->max_deliveries) {
			cspchan_lease_trace(ch, slot, l->id, event);
			l->id = 0;
			cspchan_put_back(ch, slot, wk);
			continue;
		}
		cspchan_lease_trace(ch, slot, l->id, CSPCHAN_LEASE_DEAD);
		l->id = 0;
		ch->dead++;
		letter = cspchan_letter_copy(ch, slot);
		if (letter)
			list_add_tail(&letter->node, dead);
		cspchan_release_slot(ch, slot, wk);
	}
	cspchan_lease_check_end(ch, wk);
}

/* Move the lease on @slot onto @list, to be returned; keeps its id for tracing. */
static void cspchan_lease_collect(struct cspchan *ch, u32 slot,
				  struct list_head *list)
{
	struct cspchan_lease *l = &ch->leases[slot];

	hlist_del_init(&l->hash);
	list_move_tail(&l->expiry, list);
	ch->leased--;
	cspchan_hold(ch, slot, NULL, CSPCHAN_HELD_NONE);
}

/* Send one letter to its channel, if it still exists, without blocking. */
static void cspchan_letter_send(struct cspchan_letter *letter)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan_msgmeta meta = {
		.seq = letter->seq,
		.sent_ns = letter->sent_ns,
		.pid = letter->relay_pid,
	};
	struct cspchan *dlq;
	struct iov_iter iter;
	struct kvec kv;
	int slot;

	dlq = cspchan_get_by_id(letter->to);
	if (!dlq)
		return;
	kv.iov_base = letter->data;
	kv.iov_len = letter->len;
	iov_iter_kvec(&iter, ITER_SOURCE, &kv, 1, letter->len);
	mutex_lock(&dlq->lock);
	slot = -EMSGSIZE;
	if (letter->len <= dlq->msg_size)
		slot = cspchan_get_slot(dlq, CSPCHAN_IO_NONBLOCK, NULL, &wk);
	if (slot >= 0) {
		cspchan_arena_copy_in(&dlq->arena,
				      (size_t)slot * dlq->slot_size,
				      letter->len, &iter);
		cspchan_post_letter(dlq, slot, letter->len, &meta, letter->pid,
				    &wk);
	}
	cspchan_unlock_and_wake(dlq, &wk);
	cspchan_put(dlq);
}

/* Send the letters on @dead; no channel lock may be held. */
static void cspchan_letters_send(struct list_head *dead)
{
	struct cspchan_letter *letter, *tmp;

	list_for_each_entry_safe(letter, tmp, dead, node) {
		cspchan_letter_send(letter);
		put_pid(letter->pid);
		kvfree(letter);
	}
}

/**
 * cspchan_lease_end() - CSPCHAN_IOC_ACK and CSPCHAN_IOC_NACK
 * @file:	the handle
 * @id:		the lease, from userspace
 * @ack:	acknowledge; otherwise return the message for redelivery
 *
 * Return: 0, -EINVAL (never issued, or no lease channel), -EPERM (held
 * by another handle), -ESTALE (ended), -EINTR.
 */
int cspchan_lease_end(struct file *file, u64 id, bool ack)
{
	struct cspchan *ch = cspchan_file_channel(file);
	struct cspchan_wakeups wk = { .nr = 0 };
	LIST_HEAD(list);
	LIST_HEAD(dead);
	u32 slot;
	int ret;

	if (!cspchan_leases(ch))
		return -EINVAL;
	if (mutex_lock_interruptible(&ch->lock))
		return -EINTR;
	ret = cspchan_lease_find(ch, id, &slot);
	if (!ret && ch->slots[slot].owner != file)
		ret = -EPERM;
	if (!ret && ack) {
		cspchan_lease_done(ch, slot, &wk);
	} else if (!ret) {
		cspchan_lease_collect(ch, slot, &list);
		cspchan_lease_return(ch, &list, CSPCHAN_LEASE_RETURNED, &dead,
				     &wk);
	}
	cspchan_unlock_and_wake(ch, &wk);
	cspchan_letters_send(&dead);
	return ret;
}

/**
 * cspchan_lease_reclaim() - a handle is released: return what it holds
 * @file:	the handle
 *
 * Every message leased to it goes back to the head of the channel in its
 * original order (or to the dead-letter channel).
 */
void cspchan_lease_reclaim(struct file *file)
{
	struct cspchan *ch = cspchan_file_channel(file);
	struct cspchan_wakeups wk = { .nr = 0 };
	LIST_HEAD(list);
	LIST_HEAD(dead);
	u32 i;

	if (!cspchan_leases(ch))
		return;
	mutex_lock(&ch->lock);
	for (i = 0; i < ch->nr_slots; i++)
		if (ch->slots[i].owner == file && ch->leases[i].id)
			cspchan_lease_collect(ch, i, &list);
	if (!list_empty(&list))
		cspchan_lease_return(ch, &list, CSPCHAN_LEASE_RETURNED, &dead,
				     &wk);
	cspchan_unlock_and_wake(ch, &wk);
	cspchan_letters_send(&dead);
}

/* The delayed work: revoke the leases that expired, re-arm for the next. */
static void cspchan_lease_expire(struct work_struct *work)
{
	struct cspchan *ch = container_of(to_delayed_work(work),
					  struct cspchan, lease_timer);
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan_lease *l, *tmp;
	u64 now = ktime_get_ns();
	LIST_HEAD(list);
	LIST_HEAD(dead);

	mutex_lock(&ch->lock);
	list_for_each_entry_safe(l, tmp, &ch->lease_expiry, expiry) {
		if (l->expires_ns > now)
			break;
		cspchan_lease_collect(ch, cspchan_lease_slot(ch, l), &list);
	}
	if (!list_empty(&list))
		cspchan_lease_return(ch, &list, CSPCHAN_LEASE_REVOKED, &dead,
				     &wk);
	cspchan_lease_arm(ch);
	cspchan_unlock_and_wake(ch, &wk);
	cspchan_letters_send(&dead);
}

/**
 * cspchan_lease_setup() - prepare a new channel's lease timer
 * @ch:	the channel, not yet reachable
 */
void cspchan_lease_setup(struct cspchan *ch)
{
	INIT_DELAYED_WORK(&ch->lease_timer, cspchan_lease_expire);
}

/**
 * cspchan_lease_set_dead_letter() - where dead letters go
 * @ch:		the channel
 * @dlq:	another channel, or NULL for none; remembered by id only
 */
void cspchan_lease_set_dead_letter(struct cspchan *ch, struct cspchan *dlq)
{
	mutex_lock(&ch->lock);
	ch->dead_letter = dlq ? dlq->id : 0;
	mutex_unlock(&ch->lock);
}
