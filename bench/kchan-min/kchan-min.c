// SPDX-License-Identifier: GPL-2.0
/*
 * kchan-min: the least a kernel channel can do per message, as a
 * reference row for cspchan-bench (bench/README.md, "The minimal kernel
 * channel").  Not part of cspchan.ko and never installed.
 *
 * Each open of /dev/kchan-min makes one bounded FIFO of KCM_DEPTH
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
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
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

static ssize_t kcm_write(struct file *file, const char __user *buf,
			 size_t len, loff_t *ppos)
{
	struct kcm *k = file->private_data;
	struct kcm_msg m;
	int ret;

	if (len > KCM_MSG_MAX)
		return -EMSGSIZE;
	if (copy_from_user(m.data, buf, len))
		return -EFAULT;
	m.len = len;
	for (;;) {
		spin_lock(&k->lock);
		ret = kfifo_put(&k->fifo, m);
		spin_unlock(&k->lock);
		if (ret)
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible_exclusive(k->writers,
							 !kcm_full(k));
		if (ret)
			return ret;
	}
	/* Pairs with the barrier in prepare_to_wait_event(). */
	if (wq_has_sleeper(&k->readers))
		wake_up_interruptible(&k->readers);
	return len;
}

static ssize_t kcm_read(struct file *file, char __user *buf, size_t len,
			loff_t *ppos)
{
	struct kcm *k = file->private_data;
	struct kcm_msg m;
	int ret;

	if (len < KCM_MSG_MAX)	/* so that no message is ever dropped */
		return -EMSGSIZE;
	for (;;) {
		spin_lock(&k->lock);
		ret = kfifo_get(&k->fifo, &m);
		spin_unlock(&k->lock);
		if (ret)
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible_exclusive(k->readers,
							 !kcm_empty(k));
		if (ret)
			return ret;
	}
	if (wq_has_sleeper(&k->writers))
		wake_up_interruptible(&k->writers);
	if (copy_to_user(buf, m.data, m.len))
		return -EFAULT;
	return m.len;
}

static const struct file_operations kcm_fops = {
	.owner = THIS_MODULE,
	.open = kcm_open,
	.release = kcm_release,
	.read = kcm_read,
	.write = kcm_write,
	.llseek = no_llseek,
};

static struct miscdevice kcm_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kchan-min",
	.fops = &kcm_fops,
	.mode = 0600,
};

module_misc_device(kcm_dev);

MODULE_DESCRIPTION("cspchan-bench reference: the least a kernel channel does per message");
MODULE_LICENSE("GPL");
