// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Calls on a channel handle: send and receive (plain, with a timeout, with
 * metadata and lease), shut down, and read the channel's figures.  The
 * 0.1 versions of cspchan_recvmsg() and cspchan_stat() are in compat.c.
 *
 * None of them retries on EINTR: a signal that interrupts a wait must be
 * seen by the caller, which decides whether to try again.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

CSPCHAN_EXPORT
ssize_t cspchan_send(int ch, const void *msg, size_t len)
{
	return cspchan_sys(write(ch, msg, len));
}

CSPCHAN_EXPORT
ssize_t cspchan_recv(int ch, void *buf, size_t len)
{
	return cspchan_sys(read(ch, buf, len));
}

/* CSPCHAN_IOC_SEND or CSPCHAN_IOC_RECV with @xfer->buf/len/timeout set. */
static ssize_t xfer_ioctl(int ch, unsigned long request, struct cspchan_xfer *xfer)
{
	return cspchan_sys(ioctl(ch, request, xfer));
}

CSPCHAN_EXPORT
ssize_t cspchan_send_timeout(int ch, const void *msg, size_t len, int timeout_ms)
{
	struct cspchan_xfer xfer;

	if (!cspchan_len_fits(len))
		return cspchan_fail(EMSGSIZE);

	memset(&xfer, 0, sizeof(xfer));
	xfer.buf = (uintptr_t)msg;
	xfer.len = (uint32_t)len;
	xfer.timeout_ns = cspchan_timeout_ns(timeout_ms);
	return xfer_ioctl(ch, CSPCHAN_IOC_SEND, &xfer);
}

/*
 * No message is longer than UINT32_MAX, so a larger receive buffer is as
 * good as one of UINT32_MAX bytes; read(2) behaves the same way.
 */
static uint32_t recv_room(size_t len)
{
	return cspchan_len_fits(len) ? (uint32_t)len : UINT32_MAX;
}

CSPCHAN_EXPORT
ssize_t cspchan_recv_timeout(int ch, void *buf, size_t len, int timeout_ms)
{
	struct cspchan_xfer xfer;

	memset(&xfer, 0, sizeof(xfer));
	xfer.buf = (uintptr_t)buf;
	xfer.len = recv_room(len);
	xfer.timeout_ns = cspchan_timeout_ns(timeout_ms);
	return xfer_ioctl(ch, CSPCHAN_IOC_RECV, &xfer);
}

ssize_t cspchan_recv_xfer(int ch, void *buf, size_t len, uint32_t flags,
			  struct cspchan_xfer *xfer)
{
	memset(xfer, 0, sizeof(*xfer));
	xfer->buf = (uintptr_t)buf;
	xfer->len = recv_room(len);
	xfer->flags = flags;
	xfer->timeout_ns = -1;
	return xfer_ioctl(ch, CSPCHAN_IOC_RECV, xfer);
}

/*
 * Set once a module has refused CSPCHAN_XFER_LEASE: one older than leases
 * fails any flag with EINVAL, having done nothing, and has no lease to
 * return anyway.
 */
static atomic_bool xfer_lease_refused;

/*
 * A receive that returns the lease (SPEC 9), when there is somewhere to
 * put it: without @info the message is taken as the handle's implicit
 * lease instead, which the handle's next receive acknowledges.
 */
static ssize_t recv_leased(int ch, void *buf, size_t len, bool want_lease,
			   struct cspchan_xfer *xfer)
{
	ssize_t ret;

	if (!want_lease ||
	    atomic_load_explicit(&xfer_lease_refused, memory_order_relaxed))
		return cspchan_recv_xfer(ch, buf, len, 0, xfer);

	ret = cspchan_recv_xfer(ch, buf, len, CSPCHAN_XFER_LEASE, xfer);
	if (ret != -EINVAL)
		return ret;
	/* The same receive without the flag tells which EINVAL it was. */
	ret = cspchan_recv_xfer(ch, buf, len, 0, xfer);
	if (ret != -EINVAL)
		atomic_store_explicit(&xfer_lease_refused, true,
				      memory_order_relaxed);
	return ret;
}

CSPCHAN_EXPORT
ssize_t cspchan_recvmsg_v0_4(int ch, void *buf, size_t len,
			     struct cspchan_msginfo *info)
{
	struct cspchan_xfer xfer;
	ssize_t ret;

	ret = recv_leased(ch, buf, len, info != NULL, &xfer);
	if (ret < 0 || !info)
		return ret;

	memset(info, 0, sizeof(*info));
	info->fd = -1;		/* reply channels are not built yet */
	if (ret > 0) {
		info->seq = xfer.seq;
		info->pid = (pid_t)xfer.pid;
		info->sent_ns = xfer.sent_ns;
		info->lease = xfer.lease;
		/* A module older than leases leaves it 0: the first delivery. */
		info->deliveries = xfer.deliveries ? xfer.deliveries : 1;
	}
	return ret;
}
CSPCHAN_SYMVER(cspchan_recvmsg_v0_4, "cspchan_recvmsg@@CSPCHAN_0.4");

CSPCHAN_EXPORT
int cspchan_shutdown(int ch)
{
	return (int)cspchan_sys(ioctl(ch, CSPCHAN_IOC_SHUTDOWN));
}

int cspchan_stat_info(int ch, struct cspchan_info *info)
{
	int ret;

	memset(info, 0, sizeof(*info));
	ret = ioctl(ch, CSPCHAN_IOC_STAT, info);
	if (ret < 0 && errno == ENOTTY) {
		/* A module older than leases knows only the first size. */
		memset(info, 0, sizeof(*info));
		ret = ioctl(ch, CSPCHAN_IOC_STAT_V1, info);
		/* Its size covers a few of them, which were reserved then. */
		memset(&info->leased, 0,
		       sizeof(*info) - offsetof(struct cspchan_info, leased));
	}
	return (int)cspchan_sys(ret);
}

CSPCHAN_EXPORT
int cspchan_stat_v0_4(int ch, struct cspchan_stat *st)
{
	struct cspchan_info info;
	int ret;

	if (!st)
		return cspchan_fail(EINVAL);

	ret = cspchan_stat_info(ch, &info);
	if (ret < 0)
		return ret;

	memset(st, 0, sizeof(*st));
	st->id = info.id;
	st->capacity = info.capacity;
	st->msg_size = info.msg_size;
	st->depth = info.depth;
	st->senders_waiting = info.senders_waiting;
	st->receivers_waiting = info.receivers_waiting;
	st->shut = !!(info.flags & CSPCHAN_INFO_SHUT);
	st->autoclose = !!(info.flags & CSPCHAN_INFO_AUTOCLOSE);
	st->sent = info.sent;
	st->received = info.received;
	st->high_water = info.high_water;
	st->mode = info.mode;
	memcpy(st->name, info.name, sizeof(st->name));
	st->name[sizeof(st->name) - 1] = '\0';
	st->leased = info.leased;
	st->redelivered = info.redelivered;
	st->dead = info.dead;
	st->rate = info.rate;
	st->burst = info.burst;
	st->throttled_ns = info.throttled_ns;
	st->max_deliveries = info.max_deliveries;
	st->lease_ms = info.lease_ms;
	st->lease = !!(info.flags & CSPCHAN_INFO_LEASE);
	st->dead_letter = info.dead_letter;
	return 0;
}
CSPCHAN_SYMVER(cspchan_stat_v0_4, "cspchan_stat@@CSPCHAN_0.4");
