// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: the channel object's life — creation, limits, references,
 * figures, and the list of all channels.  Moving messages is transfer.c.
 */
#include <linux/cred.h>
#include <linux/mount.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "cspchan.h"
#include "trace.h"

/* Every channel, for /proc/cspchan; also guards cspchan_user_count. */
static DEFINE_MUTEX(cspchan_all_lock);
static LIST_HEAD(cspchan_all);
/* Channels alive per creating uid, as xa_mk_value() counts. */
static DEFINE_XARRAY(cspchan_user_count);
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
				READ_ONCE(ch->nr_selsendq) +
				READ_ONCE(ch->nr_offers);
	info->receivers_waiting = READ_ONCE(ch->nr_recvq);
	info->sent = READ_ONCE(ch->sent);
	info->received = READ_ONCE(ch->received);
	info->high_water = READ_ONCE(ch->high_water);
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
	INIT_LIST_HEAD(&ch->selsendq);
	INIT_LIST_HEAD(&ch->uring_parked);
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
	trace_cspchan_create(ch);
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

	trace_cspchan_destroy(ch);
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
