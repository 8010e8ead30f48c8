// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: the channel object's life — creation, limits, references,
 * figures, and the list of all channels.  Moving messages is transfer.c.
 */
#include <linux/cred.h>
#include <linux/error-injection.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "arena.h"
#include "busypoll.h"
#include "channel.h"
#include "cspchan.h"
#include "main.h"
#include "names.h"
#include "pace.h"
#include "reaper.h"
#include "slots.h"
#include "trace.h"
#include "wait.h"

/* Every channel, for /proc/cspchan; also guards cspchan_users. */
static DEFINE_MUTEX(cspchan_all_lock);
static LIST_HEAD(cspchan_all);

/**
 * struct cspchan_user - what one user's channels hold, against the limits
 * @channels:	channels alive, charged to their creator's fsuid
 * @bytes:	kernel memory they pin (cspchan_charge_bytes() each)
 */
struct cspchan_user {
	unsigned int channels;
	u64 bytes;
};

/* struct cspchan_user by uid (cspchan_all_lock). */
static DEFINE_XARRAY(cspchan_users);
static atomic64_t cspchan_next_id = ATOMIC64_INIT(0);

/**
 * cspchan_fill_info() - the channel's figures
 * @ch:		the channel
 * @info:	filled in completely (reserved fields zeroed)
 * @may_wait:	wait for ch->lock for a consistent snapshot; otherwise
 *		(the system-wide view, which must never stall on a channel
 *		whose lock holder is stuck in a page fault) take it only if
 *		it is free, and read the figures racily if not
 */
void cspchan_fill_info(struct cspchan *ch, struct cspchan_info *info,
		       bool may_wait)
{
	bool locked;

	memset(info, 0, sizeof(*info));
	info->id = ch->id;
	info->capacity = ch->capacity;
	info->msg_size = ch->msg_size;
	info->slot_size = ch->slot_size;
	info->nr_slots = ch->nr_slots;
	info->mode = ch->mode;
	info->arena_size = (u64)ch->arena.nr_pages << PAGE_SHIFT;
	strscpy(info->name, ch->name, sizeof(info->name));

	if (may_wait) {
		mutex_lock(&ch->lock);
		locked = true;
	} else {
		locked = mutex_trylock(&ch->lock);
	}
	info->depth = READ_ONCE(ch->queued) - READ_ONCE(ch->nr_offers);
	info->senders_waiting = READ_ONCE(ch->nr_sendq) +
				READ_ONCE(ch->nr_offers);
	info->receivers_waiting = READ_ONCE(ch->nr_recvq);
	info->sent = READ_ONCE(ch->sent);
	info->received = READ_ONCE(ch->received);
	info->high_water = READ_ONCE(ch->high_water);
	info->leased = READ_ONCE(ch->leased);
	info->max_deliveries = ch->max_deliveries;
	info->lease_ms = ch->lease_ms;
	info->redelivered = READ_ONCE(ch->redelivered);
	info->dead = READ_ONCE(ch->dead);
	info->dead_letter = READ_ONCE(ch->dead_letter);
	info->rate = READ_ONCE(ch->rate);
	info->burst = READ_ONCE(ch->burst);
	info->throttled_ns = READ_ONCE(ch->throttled_ns);
	if (cspchan_leases(ch))
		info->flags |= CSPCHAN_INFO_LEASE;
	if (ch->flags & CSPCHAN_REPLY)
		info->flags |= CSPCHAN_INFO_REPLY;
	if (cspchan_relays(ch))
		info->flags |= CSPCHAN_INFO_RELAY;
	if (READ_ONCE(ch->shut))
		info->flags |= CSPCHAN_INFO_SHUT;
	if (ch->flags & CSPCHAN_AUTOCLOSE)
		info->flags |= CSPCHAN_INFO_AUTOCLOSE;
	if (READ_ONCE(ch->named))
		info->flags |= CSPCHAN_INFO_NAMED;
	if (locked)
		mutex_unlock(&ch->lock);
}

/*
 * Per-user limits: channels alive and the bytes they pin, charged to the
 * creator's fsuid before anything is allocated.  The limits are read when
 * a channel is created, so lowering one destroys nothing.
 */
static noinline int cspchan_user_charge(kuid_t uid, u64 bytes)
{
	unsigned long key = __kuid_val(uid);
	struct cspchan_user *u;
	int ret;

	lockdep_assert_held(&cspchan_all_lock);
	u = xa_load(&cspchan_users, key);
	if (!u) {
		u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
		if (!u)
			return -ENOMEM;
		ret = xa_err(xa_store(&cspchan_users, key, u, GFP_KERNEL));
		if (ret) {
			kfree(u);
			return ret;
		}
	}
	if (u->channels >= READ_ONCE(cspchan_max_channels_per_user) ||
	    u->bytes + bytes > READ_ONCE(cspchan_max_user_bytes)) {
		if (!u->channels) {
			xa_erase(&cspchan_users, key);
			kfree(u);
		}
		return -ENOSPC;
	}
	u->channels++;
	u->bytes += bytes;
	return 0;
}

ALLOW_ERROR_INJECTION(cspchan_user_charge, ERRNO);

static void cspchan_user_uncharge(kuid_t uid, u64 bytes)
{
	unsigned long key = __kuid_val(uid);
	struct cspchan_user *u;

	lockdep_assert_held(&cspchan_all_lock);
	u = xa_load(&cspchan_users, key);
	if (WARN_ON_ONCE(!u || !u->channels))
		return;
	u->bytes -= bytes;
	if (--u->channels == 0) {
		xa_erase(&cspchan_users, key);
		kfree(u);
	}
}

/*
 * What a channel of this shape pins: its arena, whole pages, and the
 * per-slot bookkeeping beside it.
 */
static u64 cspchan_charge_bytes(u32 nr_slots, u32 slot_size, bool leases)
{
	u64 arena = PAGE_ALIGN((u64)nr_slots * slot_size);
	u64 per_slot = sizeof(struct cspchan_slot) + 2 * sizeof(u32);

	if (leases)
		per_slot += sizeof(struct cspchan_lease) +
			    2 * sizeof(struct hlist_head);
	return arena + (u64)nr_slots * per_slot + sizeof(struct cspchan);
}

static void cspchan_free(struct cspchan *ch)
{
	u32 i;

	cspchan_reaper_exit(ch);
	cspchan_pace_exit(ch);
	cspchan_busy_exit(ch);
	/* Set up by cspchan_lease_setup() once the channel was allocated. */
	if (ch->lease_timer.work.func)
		cancel_delayed_work_sync(&ch->lease_timer);
	kvfree(ch->leases);
	kvfree(ch->lease_hash);
	if (ch->slots) {
		for (i = 0; i < ch->nr_slots; i++) {
			put_pid(ch->slots[i].pid);
			if (ch->slots[i].attach)
				ch->slots[i].attach->drop(ch->slots[i].attach);
		}
	}
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
	/* Leases need a slot to keep each leased message in. */
	if ((req->flags & CSPCHAN_LEASE) && !req->capacity)
		return -EINVAL;
	if (!(req->flags & CSPCHAN_LEASE) &&
	    (req->max_deliveries || req->lease_ms))
		return -EINVAL;
	/* Pacing holds messages back: they need a buffer. */
	if (req->rate && !req->capacity)
		return -EINVAL;
	*nr_slots = req->capacity ?: max(READ_ONCE(cspchan_unbuffered_slots), 1U);
	*slot_size = ALIGN(req->msg_size, CSPCHAN_SLOT_ALIGN);
	bytes = (u64)*nr_slots * *slot_size;
	if (bytes > READ_ONCE(cspchan_max_channel_bytes))
		return -EINVAL;
	return 0;
}

/* A lease channel's per-slot leases and their hash table by id. */
static int cspchan_alloc_leases(struct cspchan *ch)
{
	u32 i, buckets;

	ch->lease_hash_bits = max(ilog2(roundup_pow_of_two(ch->nr_slots)), 1);
	buckets = 1U << ch->lease_hash_bits;
	ch->leases = kvcalloc(ch->nr_slots, sizeof(*ch->leases),
			      GFP_KERNEL_ACCOUNT);
	ch->lease_hash = kvcalloc(buckets, sizeof(*ch->lease_hash),
				  GFP_KERNEL_ACCOUNT);
	if (!ch->leases || !ch->lease_hash)
		return -ENOMEM;
	for (i = 0; i < buckets; i++)
		INIT_HLIST_HEAD(&ch->lease_hash[i]);
	for (i = 0; i < ch->nr_slots; i++) {
		INIT_HLIST_NODE(&ch->leases[i].hash);
		INIT_LIST_HEAD(&ch->leases[i].expiry);
	}
	return 0;
}

/**
 * cspchan_alloc() - create a channel (not yet named or reachable)
 * @req:	validated flags and mode; capacity and size are checked here
 * @ns_mnt:	the caller's IPC namespace (cspchan_current_ns_mnt()), or
 *		NULL on a kernel without POSIX message queues
 *
 * All memory is charged to the caller's memory cgroup; the channel and
 * the bytes it pins are charged to the caller's per-user limits first.
 *
 * Return: the channel with one reference, or an ERR_PTR.
 */
struct cspchan *cspchan_alloc(const struct cspchan_create_req *req,
			      struct vfsmount *ns_mnt)
{
	u32 nr_slots, slot_size, i;
	struct cspchan *ch;
	u64 charge;
	int ret;

	if (!ns_mnt)
		return ERR_PTR(-EOPNOTSUPP);
	ret = cspchan_check_attr(req, &nr_slots, &slot_size);
	if (ret)
		return ERR_PTR(ret);

	charge = cspchan_charge_bytes(nr_slots, slot_size,
				      req->flags & CSPCHAN_LEASE);
	mutex_lock(&cspchan_all_lock);
	ret = cspchan_user_charge(current_fsuid(), charge);
	mutex_unlock(&cspchan_all_lock);
	if (ret)
		return ERR_PTR(ret);

	ch = kzalloc(sizeof(*ch), GFP_KERNEL_ACCOUNT);
	if (!ch) {
		ret = -ENOMEM;
		goto err_uncharge;
	}
	kref_init(&ch->ref);
	ch->capacity = req->capacity;
	ch->msg_size = req->msg_size;
	ch->nr_slots = nr_slots;
	ch->slot_size = slot_size;
	ch->charged = charge;
	ch->flags = req->flags;
	ch->max_deliveries = req->max_deliveries;
	ch->lease_ms = req->lease_ms;
	ch->next_lease = 1;
	INIT_LIST_HEAD(&ch->lease_expiry);
	cspchan_pacer_init(ch);
	ch->uid = current_fsuid();
	ch->gid = current_fsgid();
	ch->mode = req->mode;
	strscpy(ch->name, req->name, sizeof(ch->name));
	mutex_init(&ch->lock);
	INIT_LIST_HEAD(&ch->sendq);
	INIT_LIST_HEAD(&ch->recvq);
	INIT_LIST_HEAD(&ch->async_parked);
	INIT_LIST_HEAD(&ch->rw_granted);
	INIT_LIST_HEAD(&ch->uw_granted);
	INIT_LIST_HEAD(&ch->all_node);
	init_waitqueue_head(&ch->rd_wait);
	init_waitqueue_head(&ch->wr_wait);
	cspchan_reaper_init(ch);

	ret = -ENOMEM;
	ch->slots = kvcalloc(nr_slots, sizeof(*ch->slots), GFP_KERNEL_ACCOUNT);
	ch->ring = kvcalloc(nr_slots, sizeof(*ch->ring), GFP_KERNEL_ACCOUNT);
	ch->free = kvcalloc(nr_slots, sizeof(*ch->free), GFP_KERNEL_ACCOUNT);
	if (!ch->slots || !ch->ring || !ch->free)
		goto err_free;
	if (cspchan_leases(ch)) {
		ret = cspchan_alloc_leases(ch);
		if (ret)
			goto err_free;
	}
	ret = cspchan_arena_alloc(&ch->arena, (size_t)nr_slots * slot_size);
	if (ret)
		goto err_free;
	/* Pop order 0, 1, 2...: the lowest slots are used first. */
	for (i = 0; i < nr_slots; i++)
		ch->free[i] = nr_slots - 1 - i;
	ch->nr_free = nr_slots;
	mutex_lock(&ch->lock);
	cspchan_pace_set(ch, req->rate, req->burst);
	mutex_unlock(&ch->lock);

	mutex_lock(&cspchan_all_lock);
	ch->id = atomic64_inc_return(&cspchan_next_id);
	ch->ns_mnt = mntget(ns_mnt);
	list_add_tail(&ch->all_node, &cspchan_all);
	mutex_unlock(&cspchan_all_lock);
	trace_cspchan_create(ch);
	return ch;

err_free:
	cspchan_free(ch);
err_uncharge:
	mutex_lock(&cspchan_all_lock);
	cspchan_user_uncharge(current_fsuid(), charge);
	mutex_unlock(&cspchan_all_lock);
	return ERR_PTR(ret);
}

void cspchan_get(struct cspchan *ch)
{
	kref_get(&ch->ref);
}

static void cspchan_release(struct kref *ref)
{
	struct cspchan *ch = container_of(ref, struct cspchan, ref);

	trace_cspchan_destroy(ch);
	mutex_lock(&cspchan_all_lock);
	list_del(&ch->all_node);
	cspchan_user_uncharge(ch->uid, ch->charged);
	mutex_unlock(&cspchan_all_lock);
	cspchan_free(ch);
}

void cspchan_put(struct cspchan *ch)
{
	kref_put(&ch->ref, cspchan_release);
}

/**
 * cspchan_get_by_id() - the live channel with this id, referenced
 * @id:	a channel id
 *
 * A linear search: for dead letters, which are rare.
 *
 * Return: the channel, or NULL when it is gone.
 */
struct cspchan *cspchan_get_by_id(u64 id)
{
	struct cspchan *ch, *found = NULL;

	mutex_lock(&cspchan_all_lock);
	list_for_each_entry(ch, &cspchan_all, all_node) {
		if (ch->id == id) {
			if (kref_get_unless_zero(&ch->ref))
				found = ch;
			break;
		}
	}
	mutex_unlock(&cspchan_all_lock);
	return found;
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
	WARN_ON(!xa_empty(&cspchan_users));
	xa_destroy(&cspchan_users);
}

/* --- shutdown and auto-close --- */

/**
 * cspchan_shut_receivers() - end of stream for every parked receiver
 * @ch:		the channel, locked, shut down, with nothing queued or leased
 * @wk:		wake-ups to issue after unlocking
 */
void cspchan_shut_receivers(struct cspchan *ch, struct cspchan_wakeups *wk)
{
	cspchan_wake_all(ch, &ch->recvq, &ch->nr_recvq, CSPCHAN_SHUT, wk);
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

	cspchan_wake_all(ch, &ch->sendq, &ch->nr_sendq, CSPCHAN_SHUT, &wk);

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
		if (!w->sel || cspchan_sel_claim(w->sel))
			cspchan_wake_waiter(ch, &wk, w, CSPCHAN_SHUT);
		n--;
	}

	/*
	 * Receivers parked while messages are queued (waiting for a token),
	 * or while one is leased (it may come back), wait for those.
	 */
	if (!ch->queued && !ch->leased)
		cspchan_shut_receivers(ch, &wk);

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
 * cspchan_shutdown_now() - shut down, whatever signal is pending
 * @ch:	the channel
 *
 * For the kernel's own reasons (a reply channel nobody can answer on):
 * already shut down is fine.
 */
void cspchan_shutdown_now(struct cspchan *ch)
{
	mutex_lock(&ch->lock);
	__cspchan_shutdown(ch);
}

/**
 * cspchan_handle_opened() - account a new handle
 * @ch:		the channel
 * @mode:	the handle's FMODE_READ and FMODE_WRITE
 */
void cspchan_handle_opened(struct cspchan *ch, fmode_t mode)
{
	mutex_lock(&ch->lock);
	if (mode & FMODE_READ)
		ch->recv_handles++;
	/* A second sender exists: auto-close now watches the senders. */
	if ((mode & FMODE_WRITE) && ch->send_handles++)
		ch->autoclose_armed = true;
	mutex_unlock(&ch->lock);
}

/**
 * cspchan_handle_closed() - account a released handle; auto-close
 * @ch:		the channel
 * @mode:	the handle's FMODE_READ and FMODE_WRITE
 *
 * Auto-close is armed once the channel has had a message sent or two
 * send-capable handles at once, so that the handle of a process that only
 * creates the channel (cspchan create --autoclose) does not shut it down
 * when it exits.  See docs/design.md.  A reply channel shuts down when
 * its last receiver goes: nobody would read a reply any more.
 */
void cspchan_handle_closed(struct cspchan *ch, fmode_t mode)
{
	bool shut = false;

	mutex_lock(&ch->lock);
	if ((mode & FMODE_READ) && --ch->recv_handles == 0 &&
	    (ch->flags & CSPCHAN_REPLY))
		shut = true;
	if ((mode & FMODE_WRITE) && --ch->send_handles == 0 &&
	    (ch->flags & CSPCHAN_AUTOCLOSE) && ch->autoclose_armed)
		shut = true;
	if (shut && !ch->shut) {
		__cspchan_shutdown(ch);
		return;
	}
	mutex_unlock(&ch->lock);
}
