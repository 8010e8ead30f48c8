/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: the copy path: send and receive through user buffers (transfer.c). */
#ifndef _CSPCHAN_TRANSFER_H
#define _CSPCHAN_TRANSFER_H

#include "cspchan.h"

bool cspchan_slot_fill(struct cspchan *ch, u32 slot, size_t len,
		       struct iov_iter *from);
ssize_t cspchan_send_into(struct cspchan *ch, u32 slot, struct iov_iter *from,
			  unsigned int flags, const ktime_t *deadline,
			  struct cspchan_wakeups *wk);
ssize_t cspchan_send_iter(struct cspchan *ch, struct iov_iter *from,
			  unsigned int flags, const ktime_t *deadline,
			  struct cspchan_attach *attach,
			  const struct cspchan_msgmeta *origin);
ssize_t cspchan_recv_slot(struct cspchan *ch, struct file *file, u32 slot,
			  bool handed, struct iov_iter *to, unsigned int flags,
			  struct cspchan_msgmeta *meta,
			  struct cspchan_wakeups *wk);
ssize_t cspchan_recv_iter(struct file *file, struct iov_iter *to,
			  unsigned int flags, const ktime_t *deadline,
			  struct cspchan_msgmeta *meta);

#endif /* _CSPCHAN_TRANSFER_H */
