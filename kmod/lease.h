/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: leases, redelivery, revocation, dead letters (lease.c). */
#ifndef _CSPCHAN_LEASE_H
#define _CSPCHAN_LEASE_H

#include "cspchan.h"

u64 cspchan_lease_grant(struct cspchan *ch, u32 slot, struct file *file,
			u32 how);
void cspchan_lease_done(struct cspchan *ch, u32 slot,
			struct cspchan_wakeups *wk);
void cspchan_lease_untake(struct cspchan *ch, u32 slot,
			  struct cspchan_wakeups *wk);
void cspchan_lease_copied(struct cspchan *ch, u32 slot, struct file *file,
			  bool explicit, struct cspchan_msgmeta *meta,
			  struct cspchan_wakeups *wk);
void cspchan_lease_settle(struct cspchan *ch, struct file *file,
			  struct cspchan_wakeups *wk);
int cspchan_lease_end(struct file *file, u64 id, bool ack);
void cspchan_lease_reclaim(struct file *file);
void cspchan_lease_setup(struct cspchan *ch);
void cspchan_lease_set_dead_letter(struct cspchan *ch, struct cspchan *dlq);

#endif /* _CSPCHAN_LEASE_H */
