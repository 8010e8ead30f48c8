// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Calls on a channel handle: send and receive (plain, with a timeout, with
 * metadata), shut down, and read the channel's figures.
 *
 * None of them retries on EINTR: a signal that interrupts a wait must be
 * seen by the caller, which decides whether to try again.
 */
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

CSPCHAN_EXPORT
ssize_t cspchan_recvmsg(int ch, void *buf, size_t len, struct cspchan_msginfo *info)
{
	struct cspchan_xfer xfer;
	ssize_t ret;

	memset(&xfer, 0, sizeof(xfer));
	xfer.buf = (uintptr_t)buf;
	xfer.len = recv_room(len);
	xfer.timeout_ns = -1;

	ret = xfer_ioctl(ch, CSPCHAN_IOC_RECV, &xfer);
	if (ret < 0 || !info)
		return ret;

	memset(info, 0, sizeof(*info));
	if (ret > 0) {
		info->seq = xfer.seq;
		info->pid = (pid_t)xfer.pid;
		info->sent_ns = xfer.sent_ns;
	}
	return ret;
}

CSPCHAN_EXPORT
int cspchan_shutdown(int ch)
{
	return (int)cspchan_sys(ioctl(ch, CSPCHAN_IOC_SHUTDOWN));
}

CSPCHAN_EXPORT
int cspchan_stat(int ch, struct cspchan_stat *st)
{
	struct cspchan_info info;
	int ret;

	if (!st)
		return cspchan_fail(EINVAL);

	memset(&info, 0, sizeof(info));
	ret = (int)cspchan_sys(ioctl(ch, CSPCHAN_IOC_STAT, &info));
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
	return 0;
}
