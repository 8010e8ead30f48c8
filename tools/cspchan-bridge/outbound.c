// SPDX-License-Identifier: GPL-2.0
/*
 * Channel -> broker.  Messages are taken from the channel under a lease and
 * published, up to --window at a time; a lease is acknowledged only when the
 * broker has stored its message and every message before it (so the
 * channel's order is the order of acknowledgement).  Anything not stored
 * when the bridge dies goes back to the channel with its lease, and comes
 * out again; published twice, it carries the same message id, which the
 * broker's de-duplication removes.
 *
 * A failed publish sends again, in channel order, everything from the
 * first message not stored ("go back N"): brokers that chain publishes
 * (NATS: the expected last message id) reject a later message whose
 * predecessor is missing, so order survives a failover.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cspchan.h>

#include "bridge.h"

enum slot_state { SLOT_SENT, SLOT_STORED, SLOT_FAILED, SLOT_TOO_LARGE };

struct slot {
	struct bridge_msg m;
	enum slot_state state;
	unsigned int attempt;
	uint64_t sent_ns;
};

struct outbound {
	struct broker *b;
	const struct bridge_opts *o;
	int ch, dlq;
	unsigned int msg_size;
	struct slot *ring;
	unsigned int cap;
	uint64_t head;			/* position of the oldest message in flight */
	unsigned int n;			/* messages in flight */
	bool failed;			/* a publish must be sent again */
	int fatal;			/* BRIDGE_EXIT_* to stop with, or 0 */
	char why[512];
	char reason[200];		/* the broker's words for a refusal */
	struct bridge_msg last;		/* the last message settled, for chaining */
	bool have_last;
	char boot[9];			/* this boot's id, for message ids */
	uint64_t chan_id;
	uint64_t backoff_ms;
};

#define TAG(pos, attempt)	(((pos) << 16) | ((attempt) & 0xffff))

static struct slot *at(struct outbound *ob, uint64_t pos)
{
	return &ob->ring[pos % ob->cap];
}

static void on_ack(void *ctx, uint64_t tag, enum bridge_ack ack, bool duplicate,
		   const char *why)
{
	struct outbound *ob = ctx;
	uint64_t pos = tag >> 16;
	struct slot *s;

	if (pos < ob->head || pos >= ob->head + ob->n)
		return;			/* settled already: a late answer */
	s = at(ob, pos);
	switch (ack) {
	case BRIDGE_ACK_STORED:
		if (s->state == SLOT_SENT || s->state == SLOT_FAILED) {
			s->state = SLOT_STORED;
			if (duplicate)
				ob->b->stats->duplicates++;
			bridge_stats_latency(ob->b->stats, bridge_now_ns() - s->sent_ns);
		}
		break;
	case BRIDGE_ACK_RETRY:
		/* Only the answer to the latest attempt counts. */
		if (s->state == SLOT_SENT && (tag & 0xffff) == (s->attempt & 0xffff)) {
			s->state = SLOT_FAILED;
			if (!ob->failed)
				bridge_log("publish of seq %llu failed: %s; sending again from there",
					   (unsigned long long)s->m.seq, why ? why : "?");
			ob->failed = true;
		}
		break;
	case BRIDGE_ACK_TOO_LARGE:
		s->state = SLOT_TOO_LARGE;
		snprintf(ob->reason, sizeof(ob->reason), "%s", why ? why : "too large");
		break;
	case BRIDGE_ACK_FATAL:
		snprintf(ob->why, sizeof(ob->why), "publish of seq %llu refused: %s",
			 (unsigned long long)s->m.seq, why ? why : "?");
		ob->fatal = BRIDGE_EXIT_FAIL;
		break;
	}
}

/* Receive one message under a lease, waiting up to @timeout_ms. */
static ssize_t take(struct outbound *ob, struct bridge_msg *m, int timeout_ms)
{
	struct cspchan_xfer x = {
		.buf = (uintptr_t)m->data,
		.len = ob->msg_size,
		.flags = CSPCHAN_XFER_LEASE,
		.timeout_ns = (int64_t)timeout_ms * 1000000,
	};
	int ret = ioctl(ob->ch, CSPCHAN_IOC_RECV, &x);

	if (ret < 0)
		return -errno;
	m->len = (size_t)ret;
	m->seq = x.seq;
	m->sent_ns = x.sent_ns;
	m->pid = x.pid;
	m->lease = x.lease;
	m->has_origin = true;
	snprintf(m->id, sizeof(m->id), "%s-%llu-%llu", ob->boot,
		 (unsigned long long)ob->chan_id, (unsigned long long)x.seq);
	return ret;
}

static const struct bridge_msg *prev_of(struct outbound *ob, uint64_t pos)
{
	if (pos > ob->head)
		return &at(ob, pos - 1)->m;
	return ob->have_last ? &ob->last : NULL;
}

static void publish(struct outbound *ob, uint64_t pos)
{
	struct slot *s = at(ob, pos);

	s->state = SLOT_SENT;
	s->sent_ns = bridge_now_ns();
	if (ob->b->ops->publish(ob->b, &s->m, prev_of(ob, pos), TAG(pos, s->attempt),
				ob->o->channel) < 0) {
		s->state = SLOT_FAILED;
		ob->failed = true;
	}
}

static void ack_lease(struct outbound *ob, const struct bridge_msg *m)
{
	if (!m->lease)
		return;
	/* ESTALE: the lease expired (lease_ms) and the message went back; it
	 * comes out again, and its second publish is a duplicate. */
	if (cspchan_ack(ob->ch, m->lease) < 0 && errno != ESTALE)
		bridge_log("ack of seq %llu: %s", (unsigned long long)m->seq, strerror(errno));
}

/*
 * The head is settled: stored, or dead-lettered.  Only a stored message
 * can be the one the next publish names as its predecessor.
 */
static void pop(struct outbound *ob, bool stored)
{
	struct slot *s = at(ob, ob->head);

	ack_lease(ob, &s->m);
	if (stored) {
		ob->last = s->m;
		ob->last.data = NULL;
		ob->have_last = true;
	}
	ob->head++;
	ob->n--;
	ob->b->stats->inflight = ob->n;
}

static int dead_letter(struct outbound *ob, struct slot *s)
{
	if (ob->dlq < 0) {
		snprintf(ob->why, sizeof(ob->why),
			 "message seq %llu (%zu bytes) is larger than the broker accepts (%s) and there is no --dead-letter channel",
			 (unsigned long long)s->m.seq, s->m.len, ob->reason);
		return BRIDGE_EXIT_TOO_LARGE;
	}
	while (cspchan_send_timeout(ob->dlq, s->m.data, s->m.len, 1000) < 0) {
		if (errno == ETIMEDOUT || errno == EINTR) {
			if (bridge_stopping > 1)
				return BRIDGE_EXIT_FAIL;
			continue;
		}
		snprintf(ob->why, sizeof(ob->why), "dead-letter channel %s: %s",
			 ob->o->dead_letter, strerror(errno));
		return BRIDGE_EXIT_FAIL;
	}
	bridge_log("seq %llu (%zu bytes) is larger than the broker accepts (%s): sent to %s",
		   (unsigned long long)s->m.seq, s->m.len, ob->reason, ob->o->dead_letter);
	ob->b->stats->dead++;
	return 0;
}

static int settle(struct outbound *ob)
{
	while (ob->n) {
		struct slot *s = at(ob, ob->head);
		int ret;

		if (s->state == SLOT_STORED) {
			ob->b->stats->out++;
		} else if (s->state == SLOT_TOO_LARGE) {
			ret = dead_letter(ob, s);
			if (ret)
				return ret;
		} else {
			break;
		}
		pop(ob, s->state == SLOT_STORED);
		ob->backoff_ms = 0;
	}
	return 0;
}

/* Published long ago and unanswered: treat as failed. */
static void check_timeouts(struct outbound *ob)
{
	uint64_t now = bridge_now_ns(), limit = (uint64_t)ob->b->timeout_ms * 1000000;

	if (ob->b->ops->answers_every_publish)
		return;
	for (uint64_t p = ob->head; p < ob->head + ob->n; p++) {
		struct slot *s = at(ob, p);

		if (s->state == SLOT_SENT && now - s->sent_ns > limit) {
			s->state = SLOT_FAILED;
			if (!ob->failed)
				bridge_log("no answer for seq %llu in %d ms; sending again from there",
					   (unsigned long long)s->m.seq, ob->b->timeout_ms);
			ob->failed = true;
		}
	}
}

/* Go back N: once nothing is outstanding, send again from the first
 * message not stored, in order, after a growing pause. */
static void resend(struct outbound *ob)
{
	uint64_t p, deadline;

	for (p = ob->head; p < ob->head + ob->n; p++)
		if (at(ob, p)->state == SLOT_SENT)
			return;		/* wait for it, or its time limit */
	ob->backoff_ms = ob->backoff_ms ? ob->backoff_ms * 2 : 100;
	if (ob->backoff_ms > 5000)
		ob->backoff_ms = 5000;
	deadline = bridge_now_ns() + ob->backoff_ms * 1000000;
	while (bridge_now_ns() < deadline && !ob->fatal && bridge_stopping < 2)
		ob->b->ops->wait_acks(ob->b, 50, on_ack, ob);
	ob->failed = false;
	for (p = ob->head; p < ob->head + ob->n; p++) {
		struct slot *s = at(ob, p);

		if (s->state != SLOT_FAILED)
			continue;
		s->attempt++;
		ob->b->stats->retries++;
		publish(ob, p);
	}
}

static int open_channels(struct outbound *ob)
{
	struct cspchan_stat st;

	ob->ch = cspchan_open(ob->o->channel, O_RDONLY);
	if (ob->ch < 0) {
		snprintf(ob->why, sizeof(ob->why), "channel %s: %s", ob->o->channel,
			 strerror(errno));
		return errno == ENOENT ? BRIDGE_EXIT_UNKNOWN : BRIDGE_EXIT_FAIL;
	}
	if (cspchan_stat(ob->ch, &st) < 0) {
		snprintf(ob->why, sizeof(ob->why), "channel %s: %s", ob->o->channel,
			 strerror(errno));
		return BRIDGE_EXIT_FAIL;
	}
	if (!st.lease)
		bridge_log("channel %s has no leases (create it with --lease): a bridge killed "
			   "while messages are in flight loses them", ob->o->channel);
	ob->msg_size = st.msg_size;
	ob->chan_id = st.id;
	ob->dlq = -1;
	if (ob->o->dead_letter) {
		ob->dlq = cspchan_open(ob->o->dead_letter, O_WRONLY);
		if (ob->dlq < 0) {
			snprintf(ob->why, sizeof(ob->why), "dead-letter channel %s: %s",
				 ob->o->dead_letter, strerror(errno));
			return errno == ENOENT ? BRIDGE_EXIT_UNKNOWN : BRIDGE_EXIT_FAIL;
		}
	}
	return 0;
}

static void read_boot_id(char *out)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	strcpy(out, "0");
	if (f) {
		if (fscanf(f, "%8[0-9a-f]", out) != 1)
			strcpy(out, "0");
		fclose(f);
	}
}

int bridge_outbound(struct broker *b, const struct bridge_opts *o)
{
	struct outbound ob = { .b = b, .o = o, .ch = -1, .dlq = -1 };
	uint64_t drain_end = 0;
	bool eos = false;
	int ret;

	read_boot_id(ob.boot);
	ret = b->ops->open(b, true, ob.why, sizeof(ob.why));
	if (ret)
		goto out;
	ret = open_channels(&ob);
	if (ret)
		goto out;
	ob.cap = o->window;
	ob.ring = calloc(ob.cap, sizeof(*ob.ring));
	for (unsigned int i = 0; ob.ring && i < ob.cap; i++) {
		ob.ring[i].m.data = malloc(ob.msg_size ? ob.msg_size : 1);
		if (!ob.ring[i].m.data)
			break;
	}
	if (!ob.ring || !ob.ring[ob.cap - 1].m.data) {
		snprintf(ob.why, sizeof(ob.why), "out of memory");
		ret = BRIDGE_EXIT_FAIL;
		goto out;
	}

	for (;;) {
		ret = settle(&ob);
		if (ret || ob.fatal)
			break;
		bridge_stats_tick(b->stats, false);
		if ((bridge_stopping || eos) && !drain_end)
			drain_end = bridge_now_ns() + (uint64_t)o->drain_ms * 1000000;
		if (drain_end && (!ob.n || bridge_now_ns() > drain_end || bridge_stopping > 1))
			break;
		check_timeouts(&ob);
		if (ob.failed) {
			resend(&ob);
			continue;
		}
		if (drain_end || ob.n == ob.cap) {
			b->ops->wait_acks(b, 50, on_ack, &ob);
			continue;
		}
		/* Room for more: take what the channel has, without waiting
		 * while answers are due. */
		struct slot *s = at(&ob, ob.head + ob.n);
		ssize_t len = take(&ob, &s->m, ob.n ? 0 : 200);

		if (len > 0) {
			s->attempt = 0;
			ob.n++;
			b->stats->inflight = ob.n;
			publish(&ob, ob.head + ob.n - 1);
			b->ops->wait_acks(b, 0, on_ack, &ob);
		} else if (len == 0) {
			eos = true;	/* shut down and drained */
		} else if (len == -EAGAIN || len == -ETIMEDOUT || len == -EINTR) {
			b->ops->wait_acks(b, ob.n ? 20 : 0, on_ack, &ob);
		} else {
			snprintf(ob.why, sizeof(ob.why), "receive from %s: %s", o->channel,
				 strerror((int)-len));
			ret = BRIDGE_EXIT_FAIL;
			break;
		}
	}
	if (!ret && ob.fatal)
		ret = ob.fatal;
	if (!ret && ob.n)
		bridge_log("%u messages not stored by the broker in time: their leases go back to %s",
			   ob.n, o->channel);
	if (eos && !ret)
		bridge_log("%s: end of stream", o->channel);
out:
	b->ops->close(b);
	bridge_stats_tick(b->stats, true);
	if (ret)
		bridge_log("%s", ob.why);
	/* Closing the handle returns every lease still held. */
	if (ob.ch >= 0)
		close(ob.ch);
	if (ob.dlq >= 0)
		close(ob.dlq);
	for (unsigned int i = 0; ob.ring && i < ob.cap; i++)
		free(ob.ring[i].m.data);
	free(ob.ring);
	return ret;
}
