// SPDX-License-Identifier: GPL-2.0
/*
 * Broker -> channel.  Fetch up to --window messages, send each into the
 * channel in the broker's order, and only then acknowledge (NATS) or
 * commit (Kafka) it.  A full channel blocks the send, so fetching stops:
 * back-pressure crosses the bridge, and what the bridge holds is bounded by
 * the window.  While blocked, the broker is told the fetched messages are
 * still being worked on, so it does not hand them out again.
 *
 * When the channel was created with CSPCHAN_RELAY, each message gets back
 * the seq, pid and sent_ns it had in its source channel (headers), so an
 * ordered consumer can drop the duplicates that a crash between "sent" and
 * "acknowledged" produces.
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

struct inbound {
	struct broker *b;
	const struct bridge_opts *o;
	int ch, dlq;
	unsigned int msg_size, dlq_msg_size;
	bool relay;
	char why[256];
};

/* Send @m into @fd, with its origin metadata on a relay channel. */
static int deliver(int fd, const struct bridge_msg *m, bool relay, int timeout_ms)
{
	struct cspchan_xfer x = {
		.buf = (uintptr_t)m->data,
		.len = (uint32_t)m->len,
		.timeout_ns = (int64_t)timeout_ms * 1000000,
	};

	if (relay && m->has_origin) {
		x.flags = CSPCHAN_XFER_ORIGIN;
		x.seq = m->seq;
		x.sent_ns = m->sent_ns;
		x.pid = m->pid;
	}
	return ioctl(fd, CSPCHAN_IOC_SEND, &x) < 0 ? -errno : 0;
}

/*
 * Deliver @batch[i] to @fd, holding the rest of the batch at the broker
 * while the channel is full.  Returns 0, or -errno (-ETIMEDOUT: gave up
 * at the drain deadline).
 */
static int deliver_held(struct inbound *ib, int fd, bool relay, struct bridge_msg *batch,
			int i, int n, uint64_t *drain_end)
{
	uint64_t t0 = 0;
	bool held = false;
	int ret, wait_ms = 0;

	/* A first try that does not block: the blocked time counts from its refusal. */
	for (;; wait_ms = 500) {
		ret = deliver(fd, &batch[i], relay, wait_ms);
		if (ret != -ETIMEDOUT && ret != -EAGAIN && ret != -EINTR)
			break;
		if (!t0)
			t0 = bridge_now_ns();
		if (bridge_stopping && !*drain_end)
			*drain_end = bridge_now_ns() + (uint64_t)ib->o->drain_ms * 1000000;
		if (bridge_stopping > 1 || (*drain_end && bridge_now_ns() > *drain_end)) {
			ret = -ETIMEDOUT;
			break;
		}
		ib->b->ops->hold(ib->b, batch + i, n - i);
		held = true;
		bridge_stats_tick(ib->b->stats, false);
	}
	if (held) {
		ib->b->stats->held_ns += bridge_now_ns() - t0;
		ib->b->ops->resume(ib->b);
	}
	return ret;
}

static int accept_one(struct inbound *ib, struct bridge_msg *batch, int i, int n,
		      uint64_t *drain_end)
{
	struct bridge_msg *m = &batch[i];
	int ret;

	if (m->len == 0) {
		/* A channel cannot carry an empty message (read returning 0
		 * means end of stream): it is dead-lettered like a too large one. */
		snprintf(ib->why, sizeof(ib->why), "message at %s is empty", m->where);
	} else if (m->len > ib->msg_size) {
		snprintf(ib->why, sizeof(ib->why),
			 "message at %s is %zu bytes, larger than %s's msg_size %u",
			 m->where, m->len, ib->o->channel, ib->msg_size);
	} else {
		ret = deliver_held(ib, ib->ch, ib->relay, batch, i, n, drain_end);
		if (ret == -EPIPE) {
			snprintf(ib->why, sizeof(ib->why), "%s was shut down", ib->o->channel);
			return -EPIPE;
		}
		if (ret) {
			if (ret != -ETIMEDOUT)
				snprintf(ib->why, sizeof(ib->why), "send to %s: %s",
					 ib->o->channel, strerror(-ret));
			return ret;
		}
		return 0;
	}
	if (ib->dlq < 0 || m->len == 0 || m->len > ib->dlq_msg_size) {
		if (ib->dlq >= 0)
			strncat(ib->why, " (and does not fit the dead-letter channel)",
				sizeof(ib->why) - strlen(ib->why) - 1);
		else
			strncat(ib->why, "; no --dead-letter channel",
				sizeof(ib->why) - strlen(ib->why) - 1);
		return -EMSGSIZE;
	}
	ret = deliver_held(ib, ib->dlq, false, batch, i, n, drain_end);
	if (ret) {
		snprintf(ib->why, sizeof(ib->why), "dead-letter channel %s: %s",
			 ib->o->dead_letter, strerror(-ret));
		return ret;
	}
	bridge_log("%s: sent to %s", ib->why, ib->o->dead_letter);
	ib->why[0] = '\0';
	ib->b->stats->dead++;
	return 0;
}

static int open_channel(struct inbound *ib, const char *name, int *fd,
			unsigned int *msg_size, bool *relay)
{
	struct cspchan_info info;

	*fd = cspchan_open(name, O_WRONLY);
	if (*fd < 0) {
		snprintf(ib->why, sizeof(ib->why), "channel %s: %s", name, strerror(errno));
		return errno == ENOENT ? BRIDGE_EXIT_UNKNOWN : BRIDGE_EXIT_FAIL;
	}
	if (ioctl(*fd, CSPCHAN_IOC_STAT, &info) < 0) {
		snprintf(ib->why, sizeof(ib->why), "channel %s: %s", name, strerror(errno));
		return BRIDGE_EXIT_FAIL;
	}
	*msg_size = info.msg_size;
	if (relay)
		*relay = info.flags & CSPCHAN_INFO_RELAY;
	return 0;
}

int bridge_inbound(struct broker *b, const struct bridge_opts *o)
{
	struct inbound ib = { .b = b, .o = o, .ch = -1, .dlq = -1 };
	struct bridge_msg *batch;
	uint64_t drain_end = 0;
	int ret, n, i = 0;

	batch = calloc(o->window, sizeof(*batch));
	if (!batch) {
		bridge_log("out of memory");
		return BRIDGE_EXIT_FAIL;
	}
	ret = open_channel(&ib, o->channel, &ib.ch, &ib.msg_size, &ib.relay);
	if (!ret && o->dead_letter)
		ret = open_channel(&ib, o->dead_letter, &ib.dlq, &ib.dlq_msg_size, NULL);
	if (ret)
		goto out;
	if (!ib.relay)
		bridge_log("channel %s was not created with --relay: messages get new seq/pid/"
			   "sent_ns, and an ordered consumer cannot drop duplicates by seq",
			   o->channel);
	ret = b->ops->open(b, false, ib.why, sizeof(ib.why));
	if (ret) {
		b->ops->close(b);
		goto out;
	}

	while (!bridge_stopping) {
		int err = 0;

		bridge_stats_tick(b->stats, false);
		n = b->ops->fetch(b, batch, (int)o->window, 1000, ib.why, sizeof(ib.why));
		if (n < 0) {
			ret = BRIDGE_EXIT_FAIL;
			break;
		}
		b->stats->inflight = (uint64_t)n;
		for (i = 0; i < n; i++) {
			uint64_t t0 = bridge_now_ns();

			err = accept_one(&ib, batch, i, n, &drain_end);
			if (err)
				break;
			b->ops->done(b, &batch[i]);
			b->stats->in++;
			b->stats->inflight--;
			bridge_stats_latency(b->stats, bridge_now_ns() - t0);
			b->ops->release(b, &batch[i]);
		}
		if (!err)
			continue;
		/* Stopped mid-batch: the rest goes back to the broker. */
		for (int j = i; j < n; j++) {
			b->ops->give_back(b, &batch[j]);
			b->ops->release(b, &batch[j]);
		}
		b->stats->inflight = 0;
		if (err == -EPIPE) {
			bridge_log("%s: stopping", ib.why);
			ib.why[0] = '\0';
		} else if (err == -EMSGSIZE) {
			ret = BRIDGE_EXIT_TOO_LARGE;
		} else if (err != -ETIMEDOUT) {
			ret = BRIDGE_EXIT_FAIL;
		}
		break;
	}
	b->ops->close(b);
out:
	bridge_stats_tick(b->stats, true);
	if (ret && ib.why[0])
		bridge_log("%s", ib.why);
	if (ib.ch >= 0)
		close(ib.ch);
	if (ib.dlq >= 0)
		close(ib.dlq);
	free(batch);
	return ret;
}
