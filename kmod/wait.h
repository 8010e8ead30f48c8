/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: waiters: parking, claiming, sleeping, waking (wait.c). */
#ifndef _CSPCHAN_WAIT_H
#define _CSPCHAN_WAIT_H

#include "cspchan.h"

/**
 * struct cspchan_sleep - an interruptible wait in progress
 * @deadline:	absolute time to give up, or NULL
 * @saved:	what cspchan_ignore_task_work() returned
 * @expired:	the deadline passed
 * @notified:	io_uring task work was set aside (cspchan_interrupted())
 */
struct cspchan_sleep {
	const ktime_t *deadline;
	unsigned int saved;
	bool expired;
	bool notified;
};

bool cspchan_sel_claim(struct cspchan_sel *sel);
void cspchan_wake_waiter(struct cspchan *ch, struct cspchan_wakeups *wk,
			 struct cspchan_waiter *w, int state);
void cspchan_unlock_and_wake(struct cspchan *ch, struct cspchan_wakeups *wk);
void cspchan_waiter_init(struct cspchan_waiter *w, struct cspchan_sel *sel,
			 u32 index);
void cspchan_async_init(struct cspchan_waiter *w,
			const struct cspchan_waiter_ops *ops);
struct cspchan_waiter *cspchan_pop_waiter(struct cspchan *ch,
					  struct list_head *queue,
					  u32 *nr);
void cspchan_wake_all(struct cspchan *ch, struct list_head *queue, u32 *nr,
		      int state, struct cspchan_wakeups *wk);
bool cspchan_waiter_live(const struct cspchan_waiter *w,
			 const struct cspchan_sel *self);
bool cspchan_has_live_waiter(struct list_head *queue,
			     struct cspchan_sel *self);
void cspchan_sleep_begin(struct cspchan_sleep *s, const ktime_t *deadline);
int cspchan_sleep_check(struct cspchan_sleep *s);
void cspchan_sleep(struct cspchan_sleep *s);
void cspchan_sleep_end(struct cspchan_sleep *s);
int cspchan_wait(struct cspchan *ch, struct cspchan_waiter *w,
		 int op, const ktime_t *deadline,
		 struct cspchan_wakeups *wk);
int cspchan_lock_io(struct cspchan *ch, unsigned int flags);
unsigned int cspchan_timeout_flags(struct file *file, s64 timeout_ns,
				   ktime_t *deadline, ktime_t **dl);

#endif /* _CSPCHAN_WAIT_H */
