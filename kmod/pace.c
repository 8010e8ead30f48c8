// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: the token bucket of a paced channel (SPEC 11).
 *
 * A channel with a rate lets messages leave at most that fast, summed
 * over all its receivers: every delivery takes a token, and a bucket of
 * burst tokens refills at rate per second.  The bucket is kept as one
 * time, the generic cell rate algorithm's "theoretical arrival time"
 * (tat): a token is there at @now when tat <= now + (burst - 1) * interval,
 * and taking one moves tat to max(tat, now) + interval.  Nothing is
 * refilled by a timer; the bucket starts full (tat = now).
 *
 * Receivers that wait for a token are served by the pacer: an hrtimer set
 * for the next token, which queues the channel's pace_work (slots.c hands
 * messages out under the channel's mutex, which a timer cannot take).
 *
 * Nothing here calls another file of the module.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "cspchan.h"
#include "pace.h"

/**
 * cspchan_pace_ready() - is a token there?
 * @ch:		the channel (lockless for ->poll)
 * @now:	ktime_get_ns()
 */
bool cspchan_pace_ready(const struct cspchan *ch, u64 now)
{
	u64 slack;

	if (!READ_ONCE(ch->rate))
		return true;
	slack = (u64)(READ_ONCE(ch->burst) - 1) * READ_ONCE(ch->pace_interval_ns);
	return READ_ONCE(ch->pace_tat_ns) <= now + slack;
}

/**
 * cspchan_pace_take() - a delivery takes a token
 * @ch:		the channel, locked, with a token there
 * @now:	ktime_get_ns()
 */
void cspchan_pace_take(struct cspchan *ch, u64 now)
{
	lockdep_assert_held(&ch->lock);
	if (ch->rate)
		WRITE_ONCE(ch->pace_tat_ns, max(ch->pace_tat_ns, now) +
			   ch->pace_interval_ns);
}

/* When the next token is there (CLOCK_MONOTONIC ns). */
static u64 cspchan_pace_next_ns(const struct cspchan *ch)
{
	u64 slack = (u64)(READ_ONCE(ch->burst) - 1) *
		    READ_ONCE(ch->pace_interval_ns);
	u64 tat = READ_ONCE(ch->pace_tat_ns);

	return tat > slack ? tat - slack : 0;
}

/**
 * cspchan_pace_arm() - wake the pacer when the next token is there
 * @ch:		the channel (lockless for ->poll)
 */
void cspchan_pace_arm(struct cspchan *ch)
{
	if (READ_ONCE(ch->rate))
		hrtimer_start(&ch->pacer, ns_to_ktime(cspchan_pace_next_ns(ch)),
			      HRTIMER_MODE_ABS);
}

/**
 * cspchan_pace_wait_ns() - how long until the next token
 * @ch:		the channel
 * @now:	ktime_get_ns()
 */
u64 cspchan_pace_wait_ns(const struct cspchan *ch, u64 now)
{
	u64 next = cspchan_pace_next_ns(ch);

	return next > now ? next - now : 0;
}

/**
 * cspchan_pace_set() - a new rate and burst; the bucket starts full
 * @ch:		the channel, locked
 * @rate:	messages per second, 0 for unpaced
 * @burst:	bucket size (0 means 1); ignored when @rate is 0
 */
void cspchan_pace_set(struct cspchan *ch, u32 rate, u32 burst)
{
	u64 interval = rate ? max_t(u64, NSEC_PER_SEC / rate, 1) : 0;

	lockdep_assert_held(&ch->lock);
	WRITE_ONCE(ch->burst, rate ? max(burst, 1U) : 0);
	WRITE_ONCE(ch->pace_interval_ns, interval);
	WRITE_ONCE(ch->pace_tat_ns, ktime_get_ns());
	WRITE_ONCE(ch->rate, rate);
}

static enum hrtimer_restart cspchan_pacer_fire(struct hrtimer *timer)
{
	struct cspchan *ch = container_of(timer, struct cspchan, pacer);

	queue_work(system_highpri_wq, &ch->pace_work);
	return HRTIMER_NORESTART;
}

/**
 * cspchan_pace_init() - set up a new channel's pacer
 * @ch:		the channel
 * @serve:	the work that hands messages to receivers waiting for tokens
 */
void cspchan_pace_init(struct cspchan *ch, work_func_t serve)
{
	cspchan_hrtimer_setup(&ch->pacer, cspchan_pacer_fire, CLOCK_MONOTONIC,
			      HRTIMER_MODE_ABS);
	INIT_WORK(&ch->pace_work, serve);
}

/**
 * cspchan_pace_exit() - the channel is freed: stop its pacer
 * @ch:		the channel
 */
void cspchan_pace_exit(struct cspchan *ch)
{
	int i;

	/*
	 * Unpaced, the work arms the timer no more; a run already past that
	 * test may arm it once, and that timer may queue the work once more.
	 */
	WRITE_ONCE(ch->rate, 0);
	for (i = 0; i < 2; i++) {
		hrtimer_cancel(&ch->pacer);
		cancel_work_sync(&ch->pace_work);
	}
}
