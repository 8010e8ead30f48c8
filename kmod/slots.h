/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: slots, the free stack, the FIFO, offers and hand-off (slots.c). */
#ifndef _CSPCHAN_SLOTS_H
#define _CSPCHAN_SLOTS_H

#include "cspchan.h"

/* Buffered channels have one slot per unit of capacity. */
static inline bool cspchan_buffered(const struct cspchan *ch)
{
	return ch->capacity != 0;
}

/* The slot of the i-th queued message (0: the oldest). */
static inline u32 cspchan_ring_at(const struct cspchan *ch, u32 i)
{
	return ch->ring[(ch->head + i) % ch->nr_slots];
}

/*
 * End of stream: shut down, and on a lease channel nothing leased either
 * (a leased message may still come back).  Lockless for ->poll.
 */
static inline bool cspchan_recv_eos(const struct cspchan *ch)
{
	return READ_ONCE(ch->shut) && !READ_ONCE(ch->leased);
}

void cspchan_hold(struct cspchan *ch, u32 slot, struct file *file, u32 how);
int cspchan_slot_lookup(struct cspchan *ch, struct file *file, u32 index,
			u32 how, u32 *slot);
bool cspchan_send_ready(const struct cspchan *ch);
bool cspchan_recv_ready(struct cspchan *ch);
void cspchan_release_slot(struct cspchan *ch, u32 slot,
			  struct cspchan_wakeups *wk);
u32 cspchan_depth(const struct cspchan *ch);
int cspchan_get_slot(struct cspchan *ch, unsigned int flags,
		     const ktime_t *deadline, struct cspchan_wakeups *wk);
u32 cspchan_slot_pid(const struct cspchan_slot *s);
void cspchan_slot_relay(struct cspchan *ch, u32 slot,
			const struct cspchan_msgmeta *origin);
void cspchan_post_offer(struct cspchan *ch, u32 slot, u32 len,
			struct cspchan_waiter *w);
void cspchan_withdraw_offer(struct cspchan *ch, u32 slot);
ssize_t cspchan_post_slot_at(struct cspchan *ch, u32 slot, u32 len,
			     u64 sent_ns, unsigned int flags,
			     const ktime_t *deadline, struct cspchan_wakeups *wk);
ssize_t cspchan_post_slot(struct cspchan *ch, u32 slot, u32 len,
			  unsigned int flags, const ktime_t *deadline,
			  struct cspchan_wakeups *wk);
void cspchan_offer_taken(struct cspchan *ch, struct cspchan_slot *s,
			 struct cspchan_wakeups *wk);
void cspchan_consume(struct cspchan *ch, u32 slot, bool handed,
		     struct cspchan_msgmeta *meta, struct cspchan_wakeups *wk);
void cspchan_unconsume(struct cspchan *ch, u32 slot, struct cspchan_wakeups *wk);
ssize_t cspchan_post_letter(struct cspchan *ch, u32 slot, u32 len,
			    const struct cspchan_msgmeta *meta,
			    struct pid *pid, struct cspchan_wakeups *wk);
void cspchan_put_back(struct cspchan *ch, u32 slot, struct cspchan_wakeups *wk);
void cspchan_park_receiver(struct cspchan *ch, struct cspchan_waiter *w);
bool cspchan_offer_claim(struct cspchan *ch, u32 slot);
int cspchan_next_msg(struct cspchan *ch, unsigned int flags,
		     const ktime_t *deadline, struct cspchan_wakeups *wk,
		     u32 *slot, bool *handed);

void cspchan_pacer_init(struct cspchan *ch);
int cspchan_set_rate(struct cspchan *ch, u32 rate, u32 burst);

#endif /* _CSPCHAN_SLOTS_H */
