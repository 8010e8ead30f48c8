/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: the token bucket of a paced channel (pace.c). */
#ifndef _CSPCHAN_PACE_H
#define _CSPCHAN_PACE_H

#include "cspchan.h"

/* Is the channel paced (SPEC 11)?  Lockless. */
static inline bool cspchan_paced(const struct cspchan *ch)
{
	return READ_ONCE(ch->rate) != 0;
}

bool cspchan_pace_ready(const struct cspchan *ch, u64 now);
void cspchan_pace_take(struct cspchan *ch, u64 now);
void cspchan_pace_arm(struct cspchan *ch);
u64 cspchan_pace_wait_ns(const struct cspchan *ch, u64 now);
void cspchan_pace_set(struct cspchan *ch, u32 rate, u32 burst);
void cspchan_pace_init(struct cspchan *ch, work_func_t serve);
void cspchan_pace_exit(struct cspchan *ch);

#endif /* _CSPCHAN_PACE_H */
