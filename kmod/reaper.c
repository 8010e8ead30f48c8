// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: the reaper — parked asynchronous requests nobody can reap.
 *
 * A parked io_uring read or write (uring_rw.c) pins its ring, its handle
 * and the module until the driver completes it: io_uring has no way to
 * cancel a read or write that a driver queued, on any kernel.  Before 6.7 the same holds for
 * a parked uring command (uring.c).  From 6.7 on io_uring cancels parked
 * commands itself (IO_URING_F_CANCEL) when their ring closes or their task
 * execs, at once; but not when only the thread that submitted them exits
 * while the ring lives on, so they are watched here too.
 *
 * So each channel has a reaper: while a request is parked on the channel,
 * every CSPCHAN_REAP_MS it completes, with -ECANCELED, the requests whose
 * submitter is gone (->gone: it exits or execs, or the ring is closed).
 */
#include <linux/jiffies.h>
#include <linux/workqueue.h>

#include "cspchan.h"
#include "reaper.h"

/* How often the reaper looks for requests nobody can reap any more. */
#define CSPCHAN_REAP_MS	100

/**
 * cspchan_park_async() - note a parked asynchronous request for the reaper
 * @ch:	the channel, locked
 * @w:	the request's waiter, queued (or offered) on @ch
 *
 * The channel's reaper completes, every CSPCHAN_REAP_MS while something
 * is parked, the requests whose submitter is gone.
 */
void cspchan_park_async(struct cspchan *ch, struct cspchan_waiter *w)
{
	lockdep_assert_held(&ch->lock);
	if (list_empty(&ch->async_parked))
		schedule_delayed_work(&ch->reaper,
				      msecs_to_jiffies(CSPCHAN_REAP_MS));
	list_add_tail(&w->parked, &ch->async_parked);
}

/**
 * cspchan_unpark_async() - the request is complete: the reaper forgets it
 * @ch:	the channel, locked
 * @w:	the request's waiter
 */
void cspchan_unpark_async(struct cspchan *ch, struct cspchan_waiter *w)
{
	lockdep_assert_held(&ch->lock);
	list_del_init(&w->parked);
}

static void cspchan_reap(struct work_struct *work)
{
	struct cspchan *ch = container_of(to_delayed_work(work), struct cspchan,
					  reaper);
	struct cspchan_waiter *w, *tmp;

	mutex_lock(&ch->lock);
	list_for_each_entry_safe(w, tmp, &ch->async_parked, parked)
		if (w->ops->gone(w))
			w->ops->cancel(ch, w);
	if (!list_empty(&ch->async_parked))
		schedule_delayed_work(&ch->reaper,
				      msecs_to_jiffies(CSPCHAN_REAP_MS));
	mutex_unlock(&ch->lock);
}

/**
 * cspchan_reaper_init() - a new channel: its reaper, idle
 * @ch:	the channel
 */
void cspchan_reaper_init(struct cspchan *ch)
{
	INIT_DELAYED_WORK(&ch->reaper, cspchan_reap);
}

/**
 * cspchan_reaper_exit() - the channel is freed: stop its reaper
 * @ch:	the channel, with nothing parked (parked requests pin a handle)
 */
void cspchan_reaper_exit(struct cspchan *ch)
{
	cancel_delayed_work_sync(&ch->reaper);
}
