// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: Go-style CSP channels shared between processes.
 *
 * This file is the control device /dev/cspchan, which creates, opens and
 * unlinks channels and reports the module's features and limits, and the
 * module's parameters.  The channel itself is in channel.c.
 */
#include <linux/compat.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/uaccess.h>

#include "chanfile.h"
#include "channel.h"
#include "compat.h"
#include "cspchan.h"
#include "lease.h"
#include "main.h"
#include "names.h"
#include "procfs.h"
#include "reply.h"
#include "select.h"

unsigned int cspchan_max_capacity = 65536;
module_param_named(max_capacity, cspchan_max_capacity, uint, 0644);
MODULE_PARM_DESC(max_capacity, "Largest channel capacity in messages (default 65536)");

unsigned int cspchan_max_msg_size = 1 << 20;
module_param_named(max_msg_size, cspchan_max_msg_size, uint, 0644);
MODULE_PARM_DESC(max_msg_size, "Largest message size in bytes (default 1 MiB)");

unsigned long cspchan_max_channel_bytes = 64UL << 20;
module_param_named(max_channel_bytes, cspchan_max_channel_bytes, ulong, 0644);
MODULE_PARM_DESC(max_channel_bytes, "Largest slot arena of one channel in bytes (default 64 MiB)");

unsigned int cspchan_max_channels_per_user = 1024;
module_param_named(max_channels_per_user, cspchan_max_channels_per_user, uint, 0644);
MODULE_PARM_DESC(max_channels_per_user, "Channels one user may have alive (default 1024)");

unsigned long cspchan_max_user_bytes = 256UL << 20;
module_param_named(max_user_bytes, cspchan_max_user_bytes, ulong, 0644);
MODULE_PARM_DESC(max_user_bytes, "Kernel memory all of one user's channels may pin, in bytes (default 256 MiB)");

unsigned int cspchan_unbuffered_slots = 4;
module_param_named(unbuffered_slots, cspchan_unbuffered_slots, uint, 0444);
MODULE_PARM_DESC(unbuffered_slots, "Hand-off slots of an unbuffered channel (default 4)");

#define CSPCHAN_CREATE_OFLAGS	(O_EXCL | O_NONBLOCK | O_CLOEXEC)
#define CSPCHAN_OPEN_OFLAGS	(O_ACCMODE | O_NONBLOCK | O_CLOEXEC)

static long cspchan_ioctl_features(struct cspchan_features __user *uf)
{
	struct cspchan_features f;

	if (copy_from_user(&f, uf, sizeof(f)))
		return -EFAULT;
	if (f.reserved0 || memchr_inv(f.reserved, 0, sizeof(f.reserved)))
		return -EINVAL;
	memset(&f, 0, sizeof(f));
	f.features = CSPCHAN_FEAT_NAMES | CSPCHAN_FEAT_XFER | CSPCHAN_FEAT_SELECT |
		     CSPCHAN_FEAT_ZEROCOPY | CSPCHAN_FEAT_URING_CMD |
		     CSPCHAN_FEAT_URING_SLOTV | CSPCHAN_FEAT_URING_OPCODES |
		     CSPCHAN_FEAT_SELECT_PRIO | CSPCHAN_FEAT_LEASE |
		     CSPCHAN_FEAT_PACE | CSPCHAN_FEAT_REPLY |
		     CSPCHAN_FEAT_RELAY | CSPCHAN_FEAT_BUSY_POLL;
	if (CSPCHAN_HAVE_URING_CANCEL)
		f.features |= CSPCHAN_FEAT_URING_CANCEL;
	if (CSPCHAN_HAVE_URING_READ_PARK)
		f.features |= CSPCHAN_FEAT_URING_READ_PARK |
			      CSPCHAN_FEAT_URING_WRITE_PARK;
	f.max_select_cases = CSPCHAN_MAX_SELECT_CASES;
	f.max_capacity = READ_ONCE(cspchan_max_capacity);
	f.max_msg_size = READ_ONCE(cspchan_max_msg_size);
	f.max_channel_bytes = READ_ONCE(cspchan_max_channel_bytes);
	f.max_channels_per_user = READ_ONCE(cspchan_max_channels_per_user);
	f.max_user_bytes = READ_ONCE(cspchan_max_user_bytes);
	f.unbuffered_slots = max(READ_ONCE(cspchan_unbuffered_slots), 1U);
	return copy_to_user(uf, &f, sizeof(f)) ? -EFAULT : 0;
}

static long cspchan_ioctl_create(struct cspchan_create_req __user *ureq)
{
	struct cspchan_create_req req;
	struct cspchan *ch, *existing;
	struct cspchan_new_handle h;
	unsigned int oflags;
	int ret;

	if (copy_from_user(&req, ureq, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~CSPCHAN_CREATE_FLAGS)
		return -EINVAL;
	if (req.oflags & ~CSPCHAN_CREATE_OFLAGS)
		return -EINVAL;
	if (req.mode & ~0777)
		return -EINVAL;
	if (req.reserved0 || memchr_inv(req.reserved, 0, sizeof(req.reserved)))
		return -EINVAL;
	if (req.name[0]) {
		ret = cspchan_name_valid(req.name);
		if (ret)
			return ret;
	}

	/* An existing name is opened without allocating (or charging) anything. */
	ch = NULL;
	if (req.name[0] && !(req.oflags & O_EXCL))
		ch = cspchan_name_lookup(req.name);
	if (ch) {
		ret = cspchan_permission(ch, O_RDWR);
		if (!ret)
			ret = cspchan_install_handle(ch, O_RDWR | req.oflags);
		cspchan_put(ch);
		return ret;
	}

	cspchan_names_reap_dead();
	ch = cspchan_alloc(&req, cspchan_current_ns_mnt());
	if (IS_ERR(ch))
		return PTR_ERR(ch);
	cspchan_lease_setup(ch);

	/*
	 * The handle first, the name last: a create that fails (a full
	 * descriptor table, say) leaves no name behind, and nobody can open
	 * the name of a channel whose creation may still fail.
	 */
	oflags = O_RDWR | (req.oflags & ~O_EXCL);
	ret = cspchan_handle_prepare(ch, oflags, &h);
	if (ret)
		goto out_put;
	if (ch->name[0]) {
		ret = cspchan_name_create(ch, &existing, req.oflags & O_EXCL);
		if (ret)
			goto out_abort;
		if (existing) {
			/* Open the channel holding the name, unchanged. */
			cspchan_handle_abort(&h);
			cspchan_put(ch);
			ch = existing;
			ret = cspchan_permission(ch, O_RDWR);
			if (!ret)
				ret = cspchan_install_handle(ch, oflags);
			goto out_put;
		}
	}
	ret = cspchan_handle_install(&h);
	goto out_put;

out_abort:
	cspchan_handle_abort(&h);
out_put:
	cspchan_put(ch);
	return ret;
}

static int cspchan_name_req_copy(struct cspchan_name_req *req,
				 struct cspchan_name_req __user *ureq,
				 unsigned int allowed_oflags)
{
	if (copy_from_user(req, ureq, sizeof(*req)))
		return -EFAULT;
	if (req->oflags & ~allowed_oflags)
		return -EINVAL;
	if ((req->oflags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (req->reserved0 || req->reserved[0] || req->reserved[1])
		return -EINVAL;
	return cspchan_name_valid(req->name);
}

static long cspchan_ioctl_open(struct cspchan_name_req __user *ureq)
{
	struct cspchan_name_req req;
	struct cspchan *ch;
	int ret;

	ret = cspchan_name_req_copy(&req, ureq, CSPCHAN_OPEN_OFLAGS);
	if (ret)
		return ret;
	ch = cspchan_name_lookup(req.name);
	if (!ch)
		return -ENOENT;
	ret = cspchan_permission(ch, req.oflags);
	if (!ret)
		ret = cspchan_install_handle(ch, req.oflags);
	cspchan_put(ch);
	return ret;
}

static long cspchan_ioctl_unlink(struct cspchan_name_req __user *ureq)
{
	struct cspchan_name_req req;
	int ret;

	ret = cspchan_name_req_copy(&req, ureq, 0);
	if (ret)
		return ret;
	return cspchan_name_unlink(req.name);
}

static long cspchan_ctl_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case CSPCHAN_IOC_FEATURES:
		return cspchan_ioctl_features(uarg);
	case CSPCHAN_IOC_CREATE:
		return cspchan_ioctl_create(uarg);
	case CSPCHAN_IOC_OPEN:
		return cspchan_ioctl_open(uarg);
	case CSPCHAN_IOC_UNLINK:
		return cspchan_ioctl_unlink(uarg);
	case CSPCHAN_IOC_SELECT:
		return cspchan_select(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations cspchan_ctl_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= cspchan_ctl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice cspchan_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "cspchan",
	.fops	= &cspchan_ctl_fops,
	.mode	= 0666,
};

static int __init cspchan_init(void)
{
	int ret;

	/* The ABI passes open(2) flags through unchanged. */
	BUILD_BUG_ON(CSPCHAN_CREATE_OFLAGS & O_ACCMODE);

	ret = cspchan_procfs_init();
	if (ret)
		return ret;
	ret = misc_register(&cspchan_miscdev);
	if (ret)
		goto err_procfs;
	return 0;

err_procfs:
	cspchan_procfs_exit();
	return ret;
}

static void __exit cspchan_exit(void)
{
	misc_deregister(&cspchan_miscdev);
	cspchan_procfs_exit();
	cspchan_names_exit();
	cspchan_reply_exit();	/* freed channels dropped their attachments */
	cspchan_exit_channels();
}

module_init(cspchan_init);
module_exit(cspchan_exit);

MODULE_AUTHOR("The cspchan authors");
MODULE_DESCRIPTION("Go-style CSP channels shared between processes");
MODULE_LICENSE("GPL");
