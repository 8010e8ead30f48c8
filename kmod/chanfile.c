// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: the file behind a channel handle.
 *
 * A handle is an anonymous-inode file whose private_data is a struct
 * cspchan_handle (its channel, and its implicit lease); its f_mode says
 * whether it may receive (FMODE_READ) and send (FMODE_WRITE).
 * read(2)/write(2) move one message each; the file is FMODE_NOWAIT, and
 * both O_NONBLOCK and IOCB_NOWAIT turn a wait into -EAGAIN.  io_uring's
 * reads, and its writes to a full buffered channel, park in the channel
 * instead (uring_rw.c); other writes are served by io_uring's poll-driven
 * retry.  No io-wq worker is ever parked.
 */
#include <linux/anon_inodes.h>
#include <linux/compat.h>
#include <linux/error-injection.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "busypoll.h"
#include "chanfile.h"
#include "channel.h"
#include "compat.h"
#include "cspchan.h"
#include "lease.h"
#include "reply.h"
#include "select.h"
#include "slots.h"
#include "transfer.h"
#include "uring.h"
#include "uring_rw.h"
#include "wait.h"
#include "zerocopy.h"

/* 6.1 does not turn O_NONBLOCK into IOCB_NOWAIT: honour both. */
static unsigned int cspchan_iocb_flags(struct kiocb *iocb)
{
	if ((iocb->ki_flags & IOCB_NOWAIT) ||
	    (iocb->ki_filp->f_flags & O_NONBLOCK))
		return CSPCHAN_IO_NONBLOCK;
	return cspchan_busy_flags(iocb->ki_filp);
}

/*
 * A read from io_uring never waits here: when it finds nothing it parks
 * in order (uring_rw.c) instead of failing with -EAGAIN into poll-driven
 * retries, or sleeping in an io-wq worker.  It reads again if a message
 * arrived meanwhile.  While reads handed a message wait for their
 * completion, it queues behind them rather than overtake them; on an
 * SQPOLL ring it always does (cspchan_uring_read_queues()).
 */
static ssize_t cspchan_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct cspchan *ch = cspchan_file_channel(iocb->ki_filp);
	unsigned int flags = cspchan_iocb_flags(iocb);
	bool parks = cspchan_uring_rw_parks(iocb, to);
	bool queue = parks && cspchan_uring_read_queues(ch, iocb);
	ssize_t ret;

	if (parks)
		flags |= CSPCHAN_IO_NONBLOCK | CSPCHAN_IO_BEHIND;
	for (;;) {
		if (!queue && (!parks || !cspchan_uring_read_behind(ch))) {
			ret = cspchan_recv_iter(iocb->ki_filp, to, flags, NULL,
						NULL);
			if (ret != -EAGAIN || !parks)
				return ret;
		}
		ret = cspchan_uring_read(ch, iocb, to, queue);
		if (ret != -EAGAIN)
			return ret;
		cond_resched();
	}
}

/*
 * Likewise a write from io_uring to a buffered channel never waits here
 * nor fails with -EAGAIN: when the channel is full, or other io_uring
 * writes wait before it, it parks in order (uring_rw.c).
 */
static ssize_t cspchan_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct cspchan *ch = cspchan_file_channel(iocb->ki_filp);
	unsigned int flags = cspchan_iocb_flags(iocb);
	bool parks = cspchan_uring_write_parks(ch, iocb, from);
	ssize_t ret;

	if (parks) {
		if (READ_ONCE(ch->uw_nr))
			return cspchan_uring_write(ch, iocb, from);
		flags |= CSPCHAN_IO_NONBLOCK | CSPCHAN_IO_BEHIND;
	}
	ret = cspchan_send_iter(ch, from, flags, NULL, NULL, NULL);
	if (ret != -EAGAIN || !parks)
		return ret;
	return cspchan_uring_write(ch, iocb, from);
}

/*
 * cspchan_poll_mask() - readiness, as ->poll reports it
 * @ch:		the channel
 * @mode:	the handle's FMODE_READ/FMODE_WRITE
 *
 * Lockless: the caller registered on the wait queues first, so a change
 * after these reads wakes it.  A shut-down lease channel hangs up for its
 * receivers only once nothing is leased any more (end of stream).
 */
static __poll_t cspchan_poll_mask(struct cspchan *ch, fmode_t mode)
{
	bool shut = READ_ONCE(ch->shut);
	__poll_t mask = 0;

	if ((mode & FMODE_READ) && cspchan_recv_ready(ch))
		mask |= EPOLLIN | EPOLLRDNORM;
	if ((mode & FMODE_WRITE) && (cspchan_send_ready(ch) || shut))
		mask |= EPOLLOUT | EPOLLWRNORM;
	if (shut && (!(mode & FMODE_READ) || cspchan_recv_eos(ch)))
		mask |= EPOLLHUP;
	return mask;
}

static __poll_t cspchan_handle_poll(struct file *file, poll_table *pt)
{
	struct cspchan *ch = cspchan_file_channel(file);

	/*
	 * Wakers skip the poll queues until this is set: set it under the
	 * lock, so that a waker either ran before (and we see its change
	 * below) or sees it.
	 */
	if (!READ_ONCE(ch->polled)) {
		mutex_lock(&ch->lock);
		WRITE_ONCE(ch->polled, true);
		mutex_unlock(&ch->lock);
	}
	/* Register first, then test: a change after the test wakes us. */
	if (file->f_mode & FMODE_READ)
		poll_wait(file, &ch->rd_wait, pt);
	if (file->f_mode & FMODE_WRITE)
		poll_wait(file, &ch->wr_wait, pt);
	/* Pairs with the barrier in wq_has_sleeper() on the waker's side. */
	smp_mb();
	return cspchan_poll_mask(ch, file->f_mode);
}

/* A CSPCHAN_IOC_SEND or _RECV request, checked, with its buffer. */
struct cspchan_xfer_req {
	struct cspchan_xfer x;
	struct iovec iov;
	struct iov_iter iter;
	ktime_t deadline;
	ktime_t *dl;
	unsigned int flags;
};

static int cspchan_xfer_prepare(struct file *file,
				struct cspchan_xfer __user *ux, int dir,
				struct cspchan_xfer_req *r)
{
	fmode_t need = dir == ITER_SOURCE ? FMODE_WRITE : FMODE_READ;
	struct cspchan_xfer *x = &r->x;
	int ret;

	if (copy_from_user(x, ux, sizeof(*x)))
		return -EFAULT;
	if (x->flags & ~(dir == ITER_SOURCE ? CSPCHAN_XFER_SEND_FLAGS :
					       CSPCHAN_XFER_RECV_FLAGS))
		return -EINVAL;
	if (x->reserved0)
		return -EINVAL;
	if (!(file->f_mode & need))
		return -EBADF;
	ret = cspchan_import_ubuf(dir, u64_to_user_ptr(x->buf), x->len,
				  &r->iov, &r->iter);
	if (ret)
		return ret;
	r->flags = cspchan_timeout_flags(file, x->timeout_ns, &r->deadline,
					 &r->dl);
	if (x->flags & CSPCHAN_XFER_LEASE)
		r->flags |= CSPCHAN_IO_LEASE;
	if (x->flags & CSPCHAN_XFER_FD)
		r->flags |= CSPCHAN_IO_FD;
	return 0;
}

/* The reply channel a send attaches (CSPCHAN_XFER_ATTACH), or NULL. */
static struct cspchan_attach *cspchan_xfer_attach(struct cspchan *ch,
						  const struct cspchan_xfer *x)
{
	struct cspchan_attach *a;
	struct cspchan *reply;
	struct file *f;

	if (!(x->flags & CSPCHAN_XFER_ATTACH))
		return NULL;
	f = x->fd >= 0 ? fget(x->fd) : NULL;
	reply = f ? cspchan_handle_channel(f) : NULL;
	a = reply ? cspchan_reply_attach(ch, reply) : ERR_PTR(-EBADF);
	if (f)
		fput(f);
	return a;
}

static long cspchan_ioctl_send(struct file *file, struct cspchan_xfer __user *ux)
{
	struct cspchan *ch = cspchan_file_channel(file);
	struct cspchan_msgmeta origin = { 0 };
	struct cspchan_attach *attach;
	struct cspchan_xfer_req r;
	int ret;

	ret = cspchan_xfer_prepare(file, ux, ITER_SOURCE, &r);
	if (ret)
		return ret;
	/* Only a channel whose creator opted in takes a sender's origin. */
	if (r.x.flags & CSPCHAN_XFER_ORIGIN) {
		if (!cspchan_relays(ch))
			return -EINVAL;
		origin.seq = r.x.seq;
		origin.sent_ns = r.x.sent_ns;
		origin.pid = r.x.pid;
	}
	attach = cspchan_xfer_attach(ch, &r.x);
	if (IS_ERR(attach))
		return PTR_ERR(attach);
	return cspchan_send_iter(ch, &r.iter, r.flags, r.dl, attach,
				 r.x.flags & CSPCHAN_XFER_ORIGIN ? &origin : NULL);
}

/*
 * A received message carried a reply channel: a new send-only,
 * close-on-exec handle of it, which counts in its reply_refs (the count
 * the receive took for it).  Return: the descriptor, or -1 when none
 * could be made (the count is given back).
 */
static int cspchan_install_travelled(struct cspchan *reply)
{
	struct cspchan_new_handle h;
	int ret;

	ret = cspchan_handle_prepare(reply, O_WRONLY | O_CLOEXEC, &h);
	if (ret) {
		cspchan_reply_unref(reply);
		return -1;
	}
	((struct cspchan_handle *)h.file->private_data)->travelled = true;
	return cspchan_handle_install(&h);
}

static long cspchan_ioctl_recv(struct file *file, struct cspchan_xfer __user *ux)
{
	struct cspchan_msgmeta meta = { 0 };
	struct cspchan_xfer_req r;
	ssize_t len;
	int ret;

	ret = cspchan_xfer_prepare(file, ux, ITER_DEST, &r);
	if (ret)
		return ret;
	/*
	 * The metadata is written back after the message left the channel;
	 * make sure now that it can be, so that a read-only argument cannot
	 * lose a message.
	 */
	if (copy_to_user(ux, &r.x, sizeof(r.x)))
		return -EFAULT;

	len = cspchan_recv_iter(file, &r.iter, r.flags, r.dl, &meta);
	if (len <= 0)
		return len;
	r.x.fd = -1;
	if (meta.reply) {
		r.x.fd = cspchan_install_travelled(meta.reply);
		cspchan_put(meta.reply);
	}
	r.x.seq = meta.seq;
	r.x.sent_ns = meta.sent_ns;
	r.x.pid = meta.pid;
	r.x.deliveries = meta.deliveries;
	r.x.lease = meta.lease;
	if (copy_to_user(ux, &r.x, sizeof(r.x)))
		return -EFAULT;
	return len;
}

/* CSPCHAN_IOC_ACK and _NACK. */
static long cspchan_ioctl_lease(struct file *file,
				struct cspchan_lease_req __user *ureq, bool ack)
{
	struct cspchan_lease_req req;

	if (copy_from_user(&req, ureq, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved0 || req.reserved[0] || req.reserved[1])
		return -EINVAL;
	return cspchan_lease_end(file, req.lease, ack);
}

static long cspchan_ioctl_deadletter(struct file *file,
				     struct cspchan_deadletter_req __user *ureq)
{
	struct cspchan *ch = cspchan_file_channel(file);
	struct cspchan_deadletter_req req;
	struct cspchan *dlq = NULL;
	struct file *f = NULL;
	long ret = 0;

	if (copy_from_user(&req, ureq, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved[0] || req.reserved[1])
		return -EINVAL;
	if (req.fd != -1) {
		f = req.fd >= 0 ? fget(req.fd) : NULL;
		dlq = f ? cspchan_handle_channel(f) : NULL;
		if (!dlq || !(f->f_mode & FMODE_WRITE))
			ret = -EBADF;
		else if (dlq == ch)
			ret = -EINVAL;
	}
	if (!ret)
		cspchan_lease_set_dead_letter(ch, dlq);
	if (f)
		fput(f);
	return ret;
}

static long cspchan_ioctl_rate(struct cspchan *ch,
			       struct cspchan_rate_req __user *ureq)
{
	struct cspchan_rate_req req;

	if (copy_from_user(&req, ureq, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved0 || req.reserved[0] || req.reserved[1])
		return -EINVAL;
	return cspchan_set_rate(ch, req.rate, req.burst);
}

/*
 * CSPCHAN_IOC_STAT, in the size the caller was built with: the structure
 * grew at its end (CSPCHAN_IOC_STAT_V1 is its first size).
 */
static long cspchan_ioctl_stat(struct cspchan *ch, void __user *uarg,
			       size_t size)
{
	struct cspchan_info info;

	cspchan_fill_info(ch, &info, true);
	return copy_to_user(uarg, &info, size) ? -EFAULT : 0;
}

static long cspchan_handle_ioctl(struct file *file, unsigned int cmd,
				 unsigned long arg)
{
	struct cspchan *ch = cspchan_file_channel(file);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case CSPCHAN_IOC_SEND:
		return cspchan_ioctl_send(file, uarg);
	case CSPCHAN_IOC_RECV:
		return cspchan_ioctl_recv(file, uarg);
	case CSPCHAN_IOC_SHUTDOWN:
		return cspchan_shutdown(ch);
	case CSPCHAN_IOC_SELECT:
		return cspchan_select(uarg);
	case CSPCHAN_IOC_ACQUIRE:
	case CSPCHAN_IOC_COMMIT:
	case CSPCHAN_IOC_TAKE:
	case CSPCHAN_IOC_RELEASE:
		return cspchan_zc_ioctl(file, cmd, uarg);
	case CSPCHAN_IOC_STAT:
		return cspchan_ioctl_stat(ch, uarg, sizeof(struct cspchan_info));
	case CSPCHAN_IOC_STAT_V1:
		return cspchan_ioctl_stat(ch, uarg, CSPCHAN_INFO_SIZE_V1);
	case CSPCHAN_IOC_ACK:
		return cspchan_ioctl_lease(file, uarg, true);
	case CSPCHAN_IOC_NACK:
		return cspchan_ioctl_lease(file, uarg, false);
	case CSPCHAN_IOC_SET_DEADLETTER:
		return cspchan_ioctl_deadletter(file, uarg);
	case CSPCHAN_IOC_SET_RATE:
		return cspchan_ioctl_rate(ch, uarg);
	case CSPCHAN_IOC_SET_BUSY_POLL:
		return cspchan_ioctl_busy_poll(file, uarg);
	default:
		return -ENOTTY;
	}
}

static int cspchan_handle_release(struct inode *inode, struct file *file)
{
	struct cspchan_handle *h = file->private_data;
	struct cspchan *ch = h->ch;

	cspchan_lease_reclaim(file);
	cspchan_zc_reclaim(ch, file);
	cspchan_busy_release(file);
	cspchan_handle_closed(ch, file->f_mode);
	if (h->travelled)
		cspchan_reply_unref(ch);
	kfree(h);
	cspchan_put(ch);
	return 0;
}

const struct file_operations cspchan_handle_fops = {
	.owner		= THIS_MODULE,
	.read_iter	= cspchan_read_iter,
	.write_iter	= cspchan_write_iter,
	.poll		= cspchan_handle_poll,
	.mmap		= cspchan_zc_mmap,
	.uring_cmd	= cspchan_uring_cmd,
	.unlocked_ioctl	= cspchan_handle_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= cspchan_handle_release,
};

/**
 * cspchan_handle_prepare() - a descriptor and a file for a channel, not
 *	yet visible to the caller
 * @ch:		the channel; the file takes its own reference
 * @oflags:	O_RDONLY/O_WRONLY/O_RDWR, O_NONBLOCK, O_CLOEXEC (validated)
 * @h:		filled in; publish it with cspchan_handle_install() or drop
 *		it with cspchan_handle_abort()
 *
 * Everything that can fail is done here, so that a create can publish
 * its name only once the handle is certain.
 *
 * Return: 0 or -errno (-EMFILE, -ENFILE, -ENOMEM).
 */
int cspchan_handle_prepare(struct cspchan *ch, unsigned int oflags,
			   struct cspchan_new_handle *h)
{
	struct cspchan_handle *handle;
	struct file *file;
	int fd;

	handle = kzalloc(sizeof(*handle), GFP_KERNEL_ACCOUNT);
	if (!handle)
		return -ENOMEM;
	fd = get_unused_fd_flags(oflags & O_CLOEXEC);
	if (fd < 0) {
		kfree(handle);
		return fd;
	}

	cspchan_get(ch);
	handle->ch = ch;
	file = anon_inode_getfile("[cspchan]", &cspchan_handle_fops, handle,
				  oflags & (O_ACCMODE | O_NONBLOCK));
	if (IS_ERR(file)) {
		cspchan_put(ch);
		kfree(handle);
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	file->f_mode |= FMODE_NOWAIT;
	cspchan_handle_opened(ch, file->f_mode);
	h->fd = fd;
	h->file = file;
	return 0;
}

ALLOW_ERROR_INJECTION(cspchan_handle_prepare, ERRNO);

/**
 * cspchan_handle_install() - give the caller the prepared descriptor
 * @h:	from cspchan_handle_prepare()
 *
 * Return: the descriptor.
 */
int cspchan_handle_install(struct cspchan_new_handle *h)
{
	fd_install(h->fd, h->file);
	return h->fd;
}

/**
 * cspchan_handle_abort() - drop a prepared handle nobody has seen
 * @h:	from cspchan_handle_prepare()
 */
void cspchan_handle_abort(struct cspchan_new_handle *h)
{
	put_unused_fd(h->fd);
	fput(h->file);
}

/**
 * cspchan_install_handle() - give the caller a descriptor for a channel
 * @ch:		the channel; the handle takes its own reference
 * @oflags:	O_RDONLY/O_WRONLY/O_RDWR, O_NONBLOCK, O_CLOEXEC (validated)
 *
 * Return: the new descriptor, or -errno.
 */
int cspchan_install_handle(struct cspchan *ch, unsigned int oflags)
{
	struct cspchan_new_handle h;
	int ret;

	ret = cspchan_handle_prepare(ch, oflags, &h);
	if (ret)
		return ret;
	return cspchan_handle_install(&h);
}
