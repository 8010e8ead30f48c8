/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: parked asynchronous requests nobody can reap (reaper.c). */
#ifndef _CSPCHAN_REAPER_H
#define _CSPCHAN_REAPER_H

#include "cspchan.h"

void cspchan_park_async(struct cspchan *ch, struct cspchan_waiter *w);
void cspchan_unpark_async(struct cspchan *ch, struct cspchan_waiter *w);
void cspchan_reaper_init(struct cspchan *ch);
void cspchan_reaper_exit(struct cspchan *ch);

#endif /* _CSPCHAN_REAPER_H */
