// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: zero-copy — slots held in place by a handle.
 *
 * The arena is mapped into the processes that use the channel.  A sender
 * acquires a free slot (with the back-pressure of send), writes its
 * payload in place and commits it with a length; a receiver takes the
 * next message as a slot, reads it in place and releases it.  Ownership
 * and lengths live only in the kernel (struct cspchan_slot): a handle may
 * commit or release only the slots it holds, and the slots it still holds
 * when it is released are freed, so a killed stage loses no capacity.
 *
 * Copy and zero-copy share the slots and the ring, so they interoperate on
 * one channel: a written message can be taken in place, and a committed
 * one read with read(2).
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "cspchan.h"
#include "lease.h"
#include "slots.h"
#include "wait.h"
#include "zerocopy.h"

static u64 cspchan_slot_offset(struct cspchan *ch, u32 slot)
{
	return (u64)slot * ch->slot_size;
}

static long cspchan_zc_acquire(struct file *file, struct cspchan_slot_req *req,
			       unsigned int flags, const ktime_t *deadline)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan *ch = cspchan_file_channel(file);
	int slot;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	slot = cspchan_lock_io(ch, flags);
	if (slot)
		return slot;
	slot = cspchan_get_slot(ch, flags, deadline, &wk);
	if (slot >= 0) {
		cspchan_hold(ch, slot, file, CSPCHAN_HELD_ACQUIRED);
		req->slot = slot;
		req->offset = cspchan_slot_offset(ch, slot);
	}
	cspchan_unlock_and_wake(ch, &wk);
	return slot;
}

static long cspchan_zc_commit(struct file *file, struct cspchan_slot_req *req,
			      unsigned int flags, const ktime_t *deadline)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan *ch = cspchan_file_channel(file);
	u32 slot = req->slot;
	long ret;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (!req->len)
		return -EINVAL;
	if (req->len > ch->msg_size)
		return -EMSGSIZE;
	ret = cspchan_lock_io(ch, flags);
	if (ret)
		return ret;
	ret = cspchan_slot_lookup(ch, file, req->slot, CSPCHAN_HELD_ACQUIRED,
				  &slot);
	if (!ret) {
		cspchan_hold(ch, slot, NULL, CSPCHAN_HELD_NONE);
		ret = cspchan_post_slot(ch, slot, req->len, flags, deadline,
					&wk);
		if (ret < 0)	/* not sent: the handle still holds it */
			cspchan_hold(ch, slot, file, CSPCHAN_HELD_ACQUIRED);
	}
	cspchan_unlock_and_wake(ch, &wk);
	return ret;
}

/**
 * cspchan_zc_take_locked() - take the next message's slot for a handle
 * @ch:		the channel, locked
 * @file:	the handle that will hold the slot
 * @how:	CSPCHAN_HELD_TAKEN, or _TAKING until an io_uring answer is out
 * @flags:	CSPCHAN_IO_*
 * @deadline:	absolute time to give up; NULL: never
 * @wk:		wake-ups to issue after unlocking
 * @info:	filled in when a message was taken
 *
 * A take is a receive: on a lease channel it first acknowledges the
 * handle's implicit lease, and a message taken (CSPCHAN_HELD_TAKEN) is
 * leased to the handle; one still _TAKING is leased when its taker
 * learns of it.
 *
 * Return: the message length, 0 at end of stream, or -EAGAIN, -ETIMEDOUT,
 * -EINTR/-ERESTARTSYS.
 */
long cspchan_zc_take_locked(struct cspchan *ch, struct file *file,
			    u32 how, unsigned int flags,
			    const ktime_t *deadline,
			    struct cspchan_wakeups *wk,
			    struct cspchan_slot_info *info)
{
	struct cspchan_msgmeta meta;
	bool handed;
	u32 slot;
	int ret;

	if (cspchan_leases(ch))
		cspchan_lease_settle(ch, file, wk);
	do {
		ret = cspchan_next_msg(ch, flags, deadline, wk, &slot, &handed);
		if (ret <= 0)
			return ret;
	} while (!handed && !cspchan_offer_claim(ch, slot));
	cspchan_consume(ch, slot, handed, &meta, wk);
	if (how == CSPCHAN_HELD_TAKEN && cspchan_leases(ch))
		cspchan_lease_grant(ch, slot, file, how);
	else
		cspchan_hold(ch, slot, file, how);
	memset(info, 0, sizeof(*info));
	info->slot = slot;
	info->len = ch->slots[slot].len;
	info->offset = cspchan_slot_offset(ch, slot);
	info->seq = meta.seq;
	info->sent_ns = meta.sent_ns;
	info->pid = meta.pid;
	info->deliveries = meta.deliveries;
	return info->len;
}

static long cspchan_zc_take(struct file *file, struct cspchan_slot_req *req,
			    unsigned int flags, const ktime_t *deadline)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan *ch = cspchan_file_channel(file);
	struct cspchan_slot_info info;
	long ret;

	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	ret = cspchan_lock_io(ch, flags);
	if (ret)
		return ret;
	ret = cspchan_zc_take_locked(ch, file, CSPCHAN_HELD_TAKEN, flags,
				     deadline, &wk, &info);
	cspchan_unlock_and_wake(ch, &wk);
	if (ret > 0) {
		req->slot = info.slot;
		req->len = info.len;
		req->offset = info.offset;
		req->seq = info.seq;
		req->sent_ns = info.sent_ns;
		req->pid = info.pid;
		req->deliveries = info.deliveries;
	}
	return ret;
}

/**
 * cspchan_zc_release() - give back a slot the handle holds
 * @file:	the handle
 * @slot:	an index from userspace
 *
 * A taken slot's lease (lease channels) is acknowledged.
 *
 * Return: 0, -EINVAL or -EPERM.
 */
long cspchan_zc_release(struct file *file, u32 slot)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	struct cspchan *ch = cspchan_file_channel(file);
	long ret;

	mutex_lock(&ch->lock);
	ret = cspchan_slot_lookup(ch, file, slot, CSPCHAN_HELD_NONE, &slot);
	if (!ret)
		cspchan_lease_done(ch, slot, &wk);
	cspchan_unlock_and_wake(ch, &wk);
	return ret;
}

/**
 * cspchan_zc_ioctl() - CSPCHAN_IOC_ACQUIRE, _COMMIT, _TAKE, _RELEASE
 * @file:	the handle
 * @cmd:	the ioctl
 * @ureq:	struct cspchan_slot_req from userspace
 */
long cspchan_zc_ioctl(struct file *file, unsigned int cmd,
		      struct cspchan_slot_req __user *ureq)
{
	struct cspchan_slot_req req;
	ktime_t deadline, *dl;
	unsigned int flags;
	long ret;

	if (copy_from_user(&req, ureq, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved0 || req.reserved)
		return -EINVAL;
	flags = cspchan_timeout_flags(file, req.timeout_ns, &deadline, &dl);

	switch (cmd) {
	case CSPCHAN_IOC_RELEASE:
		return cspchan_zc_release(file, req.slot);
	case CSPCHAN_IOC_COMMIT:
		return cspchan_zc_commit(file, &req, flags, dl);
	case CSPCHAN_IOC_ACQUIRE:
	case CSPCHAN_IOC_TAKE:
		/*
		 * Check now that the answer can be written back: a slot the
		 * caller never learns of would stay held until it closes.
		 */
		if (copy_to_user(ureq, &req, sizeof(req)))
			return -EFAULT;
		if (cmd == CSPCHAN_IOC_ACQUIRE)
			ret = cspchan_zc_acquire(file, &req, flags, dl);
		else
			ret = cspchan_zc_take(file, &req, flags, dl);
		break;
	default:
		return -ENOTTY;
	}
	if (ret >= 0 && copy_to_user(ureq, &req, sizeof(req))) {
		/* The slot is held by the handle; closing it frees the slot. */
		return -EFAULT;
	}
	return ret;
}

/**
 * cspchan_zc_mmap() - map the arena
 * @file:	the handle
 * @vma:	offset 0, at most the arena's size, MAP_SHARED
 *
 * Receive-only handles get a read-only mapping that cannot be made
 * writable with mprotect().
 */
int cspchan_zc_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct cspchan *ch = cspchan_file_channel(file);

	if (vma->vm_pgoff)
		return -EINVAL;
	/* do_mmap() drops VM_SHARED for files not open for writing. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (!(file->f_mode & FMODE_WRITE)) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		cspchan_vm_flags_clear(vma, VM_MAYWRITE);
	}
	/* Fails with -EINVAL if the mapping is larger than the arena. */
	return remap_vmalloc_range(vma, ch->arena.vaddr, 0);
}

/**
 * cspchan_zc_reclaim() - a handle is released: free the slots it holds
 * @ch:		the channel
 * @file:	the handle
 *
 * On a lease channel cspchan_lease_reclaim() has returned the messages it
 * held already; what is left are slots it acquired and never committed.
 */
void cspchan_zc_reclaim(struct cspchan *ch, struct file *file)
{
	struct cspchan_wakeups wk = { .nr = 0 };
	u32 i;

	mutex_lock(&ch->lock);
	for (i = 0; i < ch->nr_slots; i++) {
		if (ch->slots[i].owner != file)
			continue;
		cspchan_hold(ch, i, NULL, CSPCHAN_HELD_NONE);
		cspchan_release_slot(ch, i, &wk);
	}
	cspchan_unlock_and_wake(ch, &wk);
}
