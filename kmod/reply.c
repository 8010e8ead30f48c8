// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: reply channels — a channel that travels inside a message
 * (SPEC 12).
 *
 * A message may carry one CSPCHAN_REPLY channel (struct cspchan_attach in
 * its slot).  A receiver that asks for it (CSPCHAN_XFER_FD) gets a new
 * send-only handle of it; other receives drop it.  A reply channel's own
 * messages carry none, so references cannot form cycles.
 *
 * The reply channel counts in reply_refs every message that carries it
 * and every open handle that travelled in a message.  Once it travelled
 * (a message carrying it was sent), the count falling to zero shuts it
 * down: the caller learns at once that no reply will come.  It also shuts
 * down when its last receive-capable handle goes (channel.c), so that a
 * reply to a caller that gave up fails with EPIPE.
 *
 * An attachment may be dropped under any channel's lock (a slot is freed
 * under its channel's mutex), while dropping it may shut down or free the
 * reply channel, which takes that channel's lock and the list of all
 * channels.  So drops are queued and done by a work item.
 */
#include <linux/llist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "channel.h"
#include "cspchan.h"
#include "reply.h"

static LLIST_HEAD(cspchan_reply_drops);

/**
 * cspchan_reply_unref() - a message or a travelled handle lets go of a
 *	reply channel
 * @reply:	the reply channel
 *
 * The last one of a channel that travelled shuts it down.
 */
void cspchan_reply_unref(struct cspchan *reply)
{
	if (atomic_dec_and_test(&reply->reply_refs) &&
	    READ_ONCE(reply->travelled))
		cspchan_shutdown_now(reply);
}

static void cspchan_reply_drop_work(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&cspchan_reply_drops);
	struct cspchan_attach *a, *tmp;

	llist_for_each_entry_safe(a, tmp, list, node) {
		cspchan_reply_unref(a->reply);
		cspchan_put(a->reply);
		kfree(a);
	}
}

static DECLARE_WORK(cspchan_reply_drop, cspchan_reply_drop_work);

/* struct cspchan_attach.drop: any context, any lock held. */
static void cspchan_attach_drop(struct cspchan_attach *a)
{
	if (llist_add(&a->node, &cspchan_reply_drops))
		schedule_work(&cspchan_reply_drop);
}

/**
 * cspchan_reply_attach() - attach a reply channel to a message being sent
 * @ch:		the channel the message is for
 * @reply:	the channel to attach
 *
 * Return: the attachment (the send consumes it), or ERR_PTR(-EINVAL: not
 * a reply channel, or @ch is one; -ENOMEM).
 */
struct cspchan_attach *cspchan_reply_attach(struct cspchan *ch,
					    struct cspchan *reply)
{
	struct cspchan_attach *a;

	if (ch->flags & CSPCHAN_REPLY)
		return ERR_PTR(-EINVAL);	/* no cycles */
	if (!(reply->flags & CSPCHAN_REPLY))
		return ERR_PTR(-EINVAL);
	a = kmalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return ERR_PTR(-ENOMEM);
	cspchan_get(reply);
	atomic_inc(&reply->reply_refs);
	a->reply = reply;
	a->drop = cspchan_attach_drop;
	return a;
}

/**
 * cspchan_reply_take() - a receiver asks for a message's reply channel
 * @ch:		the channel, locked
 * @slot:	the received message's slot
 *
 * On a lease channel the message keeps its attachment, to carry it again
 * if it is redelivered; otherwise the receiver takes it over.
 *
 * Return: the reply channel, referenced and counted in its reply_refs
 * (for a travelled handle, cspchan_reply_unref() when that goes), or NULL.
 */
struct cspchan *cspchan_reply_take(struct cspchan *ch, u32 slot)
{
	struct cspchan_slot *s = &ch->slots[slot];
	struct cspchan_attach *a = s->attach;
	struct cspchan *reply;

	lockdep_assert_held(&ch->lock);
	if (!a)
		return NULL;
	reply = a->reply;
	if (cspchan_leases(ch)) {
		cspchan_get(reply);
		atomic_inc(&reply->reply_refs);
	} else {
		s->attach = NULL;
		kfree(a);
	}
	return reply;
}

/**
 * cspchan_reply_exit() - module exit: finish the queued drops
 */
void cspchan_reply_exit(void)
{
	flush_work(&cspchan_reply_drop);
}
