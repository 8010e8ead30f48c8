// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Zero-copy: map a channel's slot arena, and acquire, commit, take and
 * release slots with the synchronous ioctls.
 *
 * The kernel keeps every slot's owner and length; the library keeps no
 * state of its own, so these calls mix freely with the io_uring commands
 * of <cspchan-uring.h> and with read(2)/write(2) on the same channel.
 * As in channel.c, nothing is retried on EINTR.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "internal.h"

CSPCHAN_EXPORT
int cspchan_arena_map(int ch, struct cspchan_arena *arena, int prot)
{
	struct cspchan_info info;
	void *base;
	int ret;

	if (!arena || (prot & ~(PROT_READ | PROT_WRITE)))
		return cspchan_fail(EINVAL);

	if (!prot) {
		int fl = fcntl(ch, F_GETFL);

		if (fl < 0)
			return cspchan_fail(errno);
		prot = (fl & O_ACCMODE) == O_RDONLY ? PROT_READ :
						       PROT_READ | PROT_WRITE;
	}
	/* A write-only mapping is not a thing on most machines: be honest. */
	prot |= PROT_READ;

	ret = cspchan_stat_info(ch, &info);
	if (ret < 0)
		return ret;
	if (info.arena_size != (size_t)info.arena_size)
		return cspchan_fail(ENOMEM);

	base = mmap(NULL, (size_t)info.arena_size, prot, MAP_SHARED, ch, 0);
	if (base == MAP_FAILED)
		return cspchan_fail(errno);

	memset(arena, 0, sizeof(*arena));
	arena->base = base;
	arena->size = (size_t)info.arena_size;
	arena->slot_size = info.slot_size;
	arena->nr_slots = info.nr_slots;
	arena->msg_size = info.msg_size;
	arena->prot = prot;
	return 0;
}

CSPCHAN_EXPORT
int cspchan_arena_unmap(struct cspchan_arena *arena)
{
	if (!arena || !arena->base)
		return cspchan_fail(EINVAL);
	if (munmap(arena->base, arena->size))
		return cspchan_fail(errno);
	memset(arena, 0, sizeof(*arena));
	return 0;
}

/* One slot ioctl with @req's inputs set; timeout_ns comes from @timeout_ms. */
static ssize_t slot_ioctl(int ch, unsigned long request,
			  struct cspchan_slot_req *req, int timeout_ms)
{
	req->timeout_ns = cspchan_timeout_ns(timeout_ms);
	return cspchan_sys(ioctl(ch, request, req));
}

CSPCHAN_EXPORT
int cspchan_acquire(int ch, int timeout_ms)
{
	struct cspchan_slot_req req;

	memset(&req, 0, sizeof(req));
	return (int)slot_ioctl(ch, CSPCHAN_IOC_ACQUIRE, &req, timeout_ms);
}

CSPCHAN_EXPORT
ssize_t cspchan_commit(int ch, unsigned int slot, size_t len, int timeout_ms)
{
	struct cspchan_slot_req req;

	if (!cspchan_len_fits(len))
		return cspchan_fail(EMSGSIZE);

	memset(&req, 0, sizeof(req));
	req.slot = slot;
	req.len = (uint32_t)len;
	return slot_ioctl(ch, CSPCHAN_IOC_COMMIT, &req, timeout_ms);
}

CSPCHAN_EXPORT
ssize_t cspchan_take(int ch, struct cspchan_slot_info *info, int timeout_ms)
{
	struct cspchan_slot_req req;
	ssize_t ret;

	if (!info)
		return cspchan_fail(EINVAL);

	memset(&req, 0, sizeof(req));
	ret = slot_ioctl(ch, CSPCHAN_IOC_TAKE, &req, timeout_ms);
	if (ret < 0)
		return ret;

	/* As the io_uring command does, in struct cspchan_slot_info. */
	memset(info, 0, sizeof(*info));
	if (ret > 0) {
		info->slot = req.slot;
		info->len = req.len;
		info->offset = req.offset;
		info->seq = req.seq;
		info->sent_ns = req.sent_ns;
		info->pid = req.pid;
		/* As cspchan_recvmsg(): an older module leaves it 0. */
		info->deliveries = req.deliveries ? req.deliveries : 1;
	}
	return ret;
}

CSPCHAN_EXPORT
int cspchan_release(int ch, unsigned int slot)
{
	struct cspchan_slot_req req;

	memset(&req, 0, sizeof(req));
	req.slot = slot;
	return (int)slot_ioctl(ch, CSPCHAN_IOC_RELEASE, &req, 0);
}
