// SPDX-License-Identifier: GPL-2.0
/*
 * kchan-min: the least a kernel channel can do per message, as a
 * reference row for cspchan-bench (bench/README.md, "The minimal kernel
 * channel").  Not part of cspchan.ko and never installed.
 *
 * Each open of /dev/kchan-min (or /dev/kchan-min-iter, the same through
 * ->read_iter/->write_iter) makes one bounded FIFO of KCM_DEPTH
 * messages of at most KCM_MSG_MAX bytes, shared by every process that
 * inherits the descriptor.  write(2) sends one message and read(2)
 * receives one, blocking while the FIFO is full or empty (-EAGAIN with
 * O_NONBLOCK).  Per message and side: one user copy outside the lock,
 * one short spinlock section around a kfifo element, and a wake-up only
 * when the other side sleeps.  Nothing else: no statistics, time stamps,
 * shutdown, poll, select, leases, pacing or tracepoints.  A bound no channel
 * with more semantics can beat in the same run, not a facility.
 */
#include <linux/fs.h>
#include <linux/kfifo.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/wait.h>

#define KCM_MSG_MAX	64
#define KCM_DEPTH	64	/* a power of two, as kfifo wants */

struct kcm_msg {
	u32 len;
	u8 data[KCM_MSG_MAX];
};

struct kcm {
	spinlock_t lock;		/* guards fifo */
	wait_queue_head_t readers;	/* waiting while fifo is empty */
	wait_queue_head_t writers;	/* waiting while fifo is full */
	DECLARE_KFIFO(fifo, struct kcm_msg, KCM_DEPTH);
};

static int kcm_open(struct inode *inode, struct file *file)
{
	struct kcm *k = kzalloc(sizeof(*k), GFP_KERNEL_ACCOUNT);

	if (!k)
		return -ENOMEM;
	spin_lock_init(&k->lock);
	init_waitqueue_head(&k->readers);
	init_waitqueue_head(&k->writers);
	INIT_KFIFO(k->fifo);
	file->private_data = k;
	file->f_mode |= FMODE_NOWAIT;	/* io_uring tries inline, then polls */
	return nonseekable_open(inode, file);
}

static int kcm_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

/* The wait conditions read the fifo's indices without the lock: a hint. */
static bool kcm_full(struct kcm *k)
{
	return kfifo_is_full(&k->fifo);
}

static bool kcm_empty(struct kcm *k)
{
	return kfifo_is_empty(&k->fifo);
}

/* Queue m, waiting for room unless nonblock. */
static int kcm_put(struct file *file, const struct kcm_msg *m, bool nonblock)
{
	struct kcm *k = file->private_data;
	int ret;

	for (;;) {
		spin_lock(&k->lock);
		ret = kfifo_put(&k->fifo, *m);
		spin_unlock(&k->lock);
		if (ret)
			break;
		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible_exclusive(k->writers,
							 !kcm_full(k));
		if (ret)
			return ret;
	}
	/* Pairs with the barrier in prepare_to_wait_event(). */
	if (wq_has_sleeper(&k->readers))
		wake_up_interruptible(&k->readers);
	return 0;
}

/* Dequeue into m, waiting for a message unless nonblock. */
static int kcm_get(struct file *file, struct kcm_msg *m, bool nonblock)
{
	struct kcm *k = file->private_data;
	int ret;

	for (;;) {
		spin_lock(&k->lock);
		ret = kfifo_get(&k->fifo, m);
		spin_unlock(&k->lock);
		if (ret)
			break;
		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible_exclusive(k->readers,
							 !kcm_empty(k));
		if (ret)
			return ret;
	}
	if (wq_has_sleeper(&k->writers))
		wake_up_interruptible(&k->writers);
	return 0;
}

/* /dev/kchan-min: read(2) and write(2) through ->read and ->write. */
static ssize_t kcm_write(struct file *file, const char __user *buf,
			 size_t len, loff_t *ppos)
{
	struct kcm_msg m;
	int ret;

	if (len > KCM_MSG_MAX)
		return -EMSGSIZE;
	if (copy_from_user(m.data, buf, len))
		return -EFAULT;
	m.len = len;
	ret = kcm_put(file, &m, file->f_flags & O_NONBLOCK);
	return ret ?: len;
}

static ssize_t kcm_read(struct file *file, char __user *buf, size_t len,
			loff_t *ppos)
{
	struct kcm_msg m;
	int ret;

	if (len < KCM_MSG_MAX)	/* so that no message is ever dropped */
		return -EMSGSIZE;
	ret = kcm_get(file, &m, file->f_flags & O_NONBLOCK);
	if (ret)
		return ret;
	if (copy_to_user(buf, m.data, m.len))
		return -EFAULT;
	return m.len;
}

/*
 * /dev/kchan-min-iter: the same through ->read_iter and ->write_iter, the
 * iov_iter path that cspchan, pipes and sockets take (and io_uring needs:
 * IOCB_NOWAIT fails at once, and ->poll tells io_uring when to retry).
 */
static bool kcm_nowait(const struct kiocb *iocb)
{
	return (iocb->ki_flags & IOCB_NOWAIT) ||
	       (iocb->ki_filp->f_flags & O_NONBLOCK);
}

static ssize_t kcm_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	size_t len = iov_iter_count(from);
	struct kcm_msg m;
	int ret;

	if (len > KCM_MSG_MAX)
		return -EMSGSIZE;
	if (copy_from_iter(m.data, len, from) != len)
		return -EFAULT;
	m.len = len;
	ret = kcm_put(iocb->ki_filp, &m, kcm_nowait(iocb));
	return ret ?: len;
}

static ssize_t kcm_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct kcm_msg m;
	int ret;

	if (iov_iter_count(to) < KCM_MSG_MAX)
		return -EMSGSIZE;
	ret = kcm_get(iocb->ki_filp, &m, kcm_nowait(iocb));
	if (ret)
		return ret;
	if (copy_to_iter(m.data, m.len, to) != m.len)
		return -EFAULT;
	return m.len;
}

static __poll_t kcm_poll(struct file *file, poll_table *wait)
{
	struct kcm *k = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &k->readers, wait);
	poll_wait(file, &k->writers, wait);
	if (!kcm_empty(k))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (!kcm_full(k))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

static const struct file_operations kcm_fops = {
	.owner = THIS_MODULE,
	.open = kcm_open,
	.release = kcm_release,
	.read = kcm_read,
	.write = kcm_write,
	.llseek = no_llseek,
};

static const struct file_operations kcm_iter_fops = {
	.owner = THIS_MODULE,
	.open = kcm_open,
	.release = kcm_release,
	.read_iter = kcm_read_iter,
	.write_iter = kcm_write_iter,
	.poll = kcm_poll,
	.llseek = no_llseek,
};

static struct miscdevice kcm_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kchan-min",
	.fops = &kcm_fops,
	.mode = 0600,
};

static struct miscdevice kcm_iter_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kchan-min-iter",
	.fops = &kcm_iter_fops,
	.mode = 0600,
};

static int __init kcm_init(void)
{
	int ret = misc_register(&kcm_dev);

	if (ret)
		return ret;
	ret = misc_register(&kcm_iter_dev);
	if (ret)
		misc_deregister(&kcm_dev);
	return ret;
}

static void __exit kcm_exit(void)
{
	misc_deregister(&kcm_iter_dev);
	misc_deregister(&kcm_dev);
}

module_init(kcm_init);
module_exit(kcm_exit);

MODULE_DESCRIPTION("cspchan-bench reference: the least a kernel channel does per message");
MODULE_LICENSE("GPL");
