/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: the channel object: creation, references, figures, shutdown (channel.c). */
#ifndef _CSPCHAN_CHANNEL_H
#define _CSPCHAN_CHANNEL_H

#include "cspchan.h"

void cspchan_fill_info(struct cspchan *ch, struct cspchan_info *info,
		       bool may_wait);
struct cspchan *cspchan_alloc(const struct cspchan_create_req *req,
			      struct vfsmount *ns_mnt);
void cspchan_get(struct cspchan *ch);
void cspchan_put(struct cspchan *ch);
struct cspchan *cspchan_get_by_id(u64 id);
void cspchan_shut_receivers(struct cspchan *ch, struct cspchan_wakeups *wk);
void cspchan_for_each(bool (*visit)(struct cspchan *ch, void *arg), void *arg);
void cspchan_exit_channels(void);
int cspchan_shutdown(struct cspchan *ch);
void cspchan_shutdown_now(struct cspchan *ch);
void cspchan_handle_opened(struct cspchan *ch, fmode_t mode);
void cspchan_handle_closed(struct cspchan *ch, fmode_t mode);

#endif /* _CSPCHAN_CHANNEL_H */
