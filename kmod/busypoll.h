/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: per-handle busy polling before a blocking wait (busypoll.c). */
#ifndef _CSPCHAN_BUSYPOLL_H
#define _CSPCHAN_BUSYPOLL_H

#include "cspchan.h"

/*
 * A handle's spin budget travels with the CSPCHAN_IO_* flags of one
 * operation, in their upper half, down to the waiter it parks.
 */
#define CSPCHAN_IO_SPIN_SHIFT	16
#define CSPCHAN_BUSY_POLL_LIMIT	U16_MAX		/* µs the flags can carry */

extern unsigned int cspchan_max_busy_poll_us;

/* The spin budget of the handle @file, as CSPCHAN_IO_* flags. */
static inline unsigned int cspchan_busy_flags(const struct file *file)
{
	const struct cspchan_handle *h = file->private_data;

	return READ_ONCE(h->busy_poll_us) << CSPCHAN_IO_SPIN_SHIFT;
}

/* A waiter's spin budget, from the flags of its operation. */
static inline void cspchan_waiter_spin(struct cspchan_waiter *w,
				       unsigned int flags)
{
	w->spin_us = flags >> CSPCHAN_IO_SPIN_SHIFT;
}

void __cspchan_busy_note(struct pid **last);

/*
 * Remember the task on one side of the channel (@last: cspchan.last_sender
 * or .last_receiver), for the spinners on the other; nothing to do while
 * no handle of the channel has a budget.
 */
static inline void cspchan_busy_note(struct cspchan *ch, struct pid **last)
{
	if (unlikely(ch->busy_handles))
		__cspchan_busy_note(last);
}

struct pid *cspchan_busy_peer(struct cspchan *ch, int op);
void cspchan_busy_poll(const struct cspchan_waiter *w, struct pid *peer,
		       const ktime_t *deadline);
long cspchan_ioctl_busy_poll(struct file *file,
			     struct cspchan_busy_poll_req __user *ureq);
void cspchan_busy_release(struct file *file);
void cspchan_busy_exit(struct cspchan *ch);

#endif /* _CSPCHAN_BUSYPOLL_H */
