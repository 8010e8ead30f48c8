// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Reply channels (SPEC 12): send a message that carries a reply channel,
 * and request/response over one (cspchan_call).  cspchan_recvmsg(), which
 * installs the reply channel a message carries, is in channel.c.
 *
 * The kernel keeps the references: a message counts as one, and so does
 * every handle that travelled in a message (the O_WRONLY one the server's
 * cspchan_recvmsg() installs).  Once a message carrying the reply channel
 * was sent, the last of them going shuts it down, so a caller whose
 * request was dropped learns it at once (end of stream) rather than at
 * its timeout.  The caller's own handle, made by cspchan_create() and so
 * O_RDWR, counts in neither: the creator's handle never travelled.
 */
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

CSPCHAN_EXPORT
ssize_t cspchan_sendmsg(int ch, const void *msg, size_t len, int reply_fd)
{
	struct cspchan_xfer xfer;

	return cspchan_xfer_io(ch, CSPCHAN_IOC_SEND, msg, len,
			       reply_fd == -1 ? 0 : CSPCHAN_XFER_ATTACH,
			       reply_fd, -1, &xfer);
}

static int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * The kernel timeout of one step of a call that must end by @deadline
 * (ns, CLOCK_MONOTONIC; <0: never).  At least 1 ns: a timeout of 0 would
 * be "never block" and fail with EAGAIN where the call means ETIMEDOUT.
 */
static int64_t time_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - monotonic_ns();
	return left > 0 ? left : 1;
}

/*
 * A fresh anonymous reply channel for one reply of up to @reply_len
 * bytes: capacity 1, so that the server's reply never blocks it.  A
 * @reply_len above the module's max_msg_size is capped there (no longer
 * reply can be sent).  EOPNOTSUPP: the module has no reply channels.
 */
static int reply_channel(size_t reply_len)
{
	struct cspchan_attr attr;
	struct cspchan_features f;
	int ret;

	memset(&attr, 0, sizeof(attr));
	attr.capacity = 1;
	attr.msg_size = cspchan_len_fits(reply_len) ? (unsigned int)reply_len :
						       UINT32_MAX;
	attr.mode = 0600;
	attr.flags = CSPCHAN_REPLY;
	ret = cspchan_create(NULL, &attr, O_CLOEXEC);
	if (ret != -EINVAL || cspchan_features(&f) < 0)
		return ret;
	if (!(f.features & CSPCHAN_FEAT_REPLY))
		return cspchan_fail(EOPNOTSUPP);
	if (!f.max_msg_size || f.max_msg_size >= attr.msg_size)
		return cspchan_fail(EINVAL);
	attr.msg_size = f.max_msg_size;
	return cspchan_create(NULL, &attr, O_CLOEXEC);
}

CSPCHAN_EXPORT
ssize_t cspchan_call(int ch, const void *req, size_t len, void *reply,
		     size_t reply_len, int timeout_ms)
{
	int64_t deadline = -1;
	struct cspchan_xfer xfer;
	ssize_t ret;
	int rch;

	if (!reply_len)
		return cspchan_fail(EINVAL);
	if (!cspchan_len_fits(len))
		return cspchan_fail(EMSGSIZE);
	if (timeout_ms >= 0)
		deadline = monotonic_ns() + (int64_t)timeout_ms * 1000000LL;

	rch = reply_channel(reply_len);
	if (rch < 0)
		return rch;
	ret = cspchan_xfer_io(ch, CSPCHAN_IOC_SEND, req, len,
			      CSPCHAN_XFER_ATTACH, rch, time_left(deadline),
			      &xfer);
	if (ret >= 0) {
		ret = cspchan_xfer_io(rch, CSPCHAN_IOC_RECV, reply, reply_len,
				      0, -1, time_left(deadline), &xfer);
		/* End of stream: every reference to it is gone, no reply. */
		if (ret == 0)
			ret = -ECONNRESET;
	}
	/*
	 * The last receive-capable handle: a server that answers late gets
	 * EPIPE.  A request still queued keeps its reference, and stays.
	 */
	close(rch);
	return ret < 0 ? cspchan_fail((int)-ret) : ret;
}
