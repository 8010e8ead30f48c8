/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: slots held in place: acquire, commit, take, release; mmap (zerocopy.c). */
#ifndef _CSPCHAN_ZEROCOPY_H
#define _CSPCHAN_ZEROCOPY_H

#include "cspchan.h"

long cspchan_zc_take_locked(struct cspchan *ch, struct file *file,
			    u32 how, unsigned int flags,
			    const ktime_t *deadline,
			    struct cspchan_wakeups *wk,
			    struct cspchan_slot_info *info);
long cspchan_zc_release(struct file *file, u32 slot);
long cspchan_zc_ioctl(struct file *file, unsigned int cmd,
		      struct cspchan_slot_req __user *ureq);
int cspchan_zc_mmap(struct file *file, struct vm_area_struct *vma);
void cspchan_zc_reclaim(struct cspchan *ch, struct file *file);

#endif /* _CSPCHAN_ZEROCOPY_H */
