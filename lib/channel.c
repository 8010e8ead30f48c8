// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Calls on a channel handle: send and receive (plain, with a timeout, with
 * metadata, lease and reply channel), relay a message with its origin,
 * shut down, and read the channel's
 * figures.  The
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

/*
 * No message is longer than UINT32_MAX, so a larger receive buffer is as
 * good as one of UINT32_MAX bytes; read(2) behaves the same way.
 */
static uint32_t recv_room(size_t len)
{
	return cspchan_len_fits(len) ? (uint32_t)len : UINT32_MAX;
}

ssize_t cspchan_xfer_io(int ch, unsigned long request, const void *buf,
			size_t len, uint32_t flags, int fd, int64_t timeout_ns,
			struct cspchan_xfer *xfer)
{
	memset(xfer, 0, sizeof(*xfer));
	if (request == CSPCHAN_IOC_SEND) {
		if (!cspchan_len_fits(len))
			return cspchan_fail(EMSGSIZE);
		xfer->len = (uint32_t)len;
	} else {
		xfer->len = recv_room(len);
	}
	xfer->buf = (uintptr_t)buf;
	xfer->flags = flags;
	if (flags & CSPCHAN_XFER_ATTACH)
		xfer->fd = fd;
	xfer->timeout_ns = timeout_ns;
	return cspchan_sys(ioctl(ch, request, xfer));
}

CSPCHAN_EXPORT
ssize_t cspchan_send_timeout(int ch, const void *msg, size_t len, int timeout_ms)
{
	struct cspchan_xfer xfer;

	return cspchan_xfer_io(ch, CSPCHAN_IOC_SEND, msg, len, 0, -1,
			       cspchan_timeout_ns(timeout_ms), &xfer);
}

CSPCHAN_EXPORT
ssize_t cspchan_recv_timeout(int ch, void *buf, size_t len, int timeout_ms)
{
	struct cspchan_xfer xfer;

	return cspchan_xfer_io(ch, CSPCHAN_IOC_RECV, buf, len, 0, -1,
			       cspchan_timeout_ns(timeout_ms), &xfer);
}

/*
 * A relay channel's send (CSPCHAN_RELAY): the message carries @origin's
 * seq, pid and sent_ns instead of the kernel's stamp.  Blocking, as
 * cspchan_send().
 */
CSPCHAN_EXPORT
ssize_t cspchan_relay(int ch, const void *msg, size_t len,
		      const struct cspchan_msginfo *origin)
{
	struct cspchan_xfer xfer;

	if (!origin)
		return cspchan_fail(EINVAL);
	if (!cspchan_len_fits(len))
		return cspchan_fail(EMSGSIZE);
	memset(&xfer, 0, sizeof(xfer));
	xfer.buf = (uintptr_t)msg;
	xfer.len = (uint32_t)len;
	xfer.flags = CSPCHAN_XFER_ORIGIN;
	xfer.timeout_ns = -1;
	xfer.seq = origin->seq;
	xfer.sent_ns = origin->sent_ns;
	xfer.pid = (uint32_t)origin->pid;
	return cspchan_sys(ioctl(ch, CSPCHAN_IOC_SEND, &xfer));
}

ssize_t cspchan_recv_xfer(int ch, void *buf, size_t len, uint32_t flags,
			  struct cspchan_xfer *xfer)
{
	return cspchan_xfer_io(ch, CSPCHAN_IOC_RECV, buf, len, flags, -1, -1,
			       xfer);
}

/*
 * The receive flags a module refused: one older than leases fails any
 * flag with EINVAL, one older than reply channels CSPCHAN_XFER_FD, having
 * done nothing; neither has a lease or a reply channel to return anyway.
 */
static _Atomic uint32_t xfer_refused;

/*
 * A receive with @want (CSPCHAN_XFER_LEASE, CSPCHAN_XFER_FD), less the
 * flags this module refused.  On EINVAL the newest flag is dropped and
 * the receive tried again (flags came in bit order: LEASE, then FD); the
 * same receive without any flag tells whether the EINVAL was the flags'.
 * @xfer->flags holds the flags the answer came with.
 */
static ssize_t recv_flags(int ch, void *buf, size_t len, uint32_t want,
			  struct cspchan_xfer *xfer)
{
	uint32_t tried = want & ~atomic_load_explicit(&xfer_refused,
						      memory_order_relaxed);
	uint32_t flags = tried;
	ssize_t ret;

	ret = cspchan_recv_xfer(ch, buf, len, flags, xfer);
	while (ret == -EINVAL && flags) {
		flags &= ~(1U << (31 - __builtin_clz(flags)));
		ret = cspchan_recv_xfer(ch, buf, len, flags, xfer);
	}
	if (ret != -EINVAL && flags != tried)
		atomic_fetch_or_explicit(&xfer_refused, tried & ~flags,
					 memory_order_relaxed);
	return ret;
}

/*
 * With @info, the receive returns the lease (SPEC 9) and installs the
 * reply channel the message carries (SPEC 12).  Without it there is
 * nowhere to put either: the message is taken as the handle's implicit
 * lease, which the handle's next receive acknowledges, and its reply
 * channel is dropped (kept by a lease channel for a redelivery).
 */
CSPCHAN_EXPORT
ssize_t cspchan_recvmsg_v0_4(int ch, void *buf, size_t len,
			     struct cspchan_msginfo *info)
{
	struct cspchan_xfer xfer;
	ssize_t ret;

	ret = recv_flags(ch, buf, len,
			 info ? CSPCHAN_XFER_LEASE | CSPCHAN_XFER_FD : 0, &xfer);
	if (ret < 0 || !info)
		return ret;

	memset(info, 0, sizeof(*info));
	info->fd = -1;
	if (ret > 0) {
		info->seq = xfer.seq;
		info->pid = (pid_t)xfer.pid;
		info->sent_ns = xfer.sent_ns;
		info->lease = xfer.lease;
		/* A module older than leases leaves it 0: the first delivery. */
		info->deliveries = xfer.deliveries ? xfer.deliveries : 1;
		if (xfer.flags & CSPCHAN_XFER_FD)
			info->fd = xfer.fd;
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
	st->reply = !!(info.flags & CSPCHAN_INFO_REPLY);
	st->dead_letter = info.dead_letter;
	return 0;
}
CSPCHAN_SYMVER(cspchan_stat_v0_4, "cspchan_stat@@CSPCHAN_0.4");
