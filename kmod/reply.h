/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: reply channels travelling in messages (reply.c). */
#ifndef _CSPCHAN_REPLY_H
#define _CSPCHAN_REPLY_H

#include "cspchan.h"

void cspchan_reply_unref(struct cspchan *reply);
struct cspchan_attach *cspchan_reply_attach(struct cspchan *ch,
					    struct cspchan *reply);
struct cspchan *cspchan_reply_take(struct cspchan *ch, u32 slot);
void cspchan_reply_exit(void);

#endif /* _CSPCHAN_REPLY_H */
