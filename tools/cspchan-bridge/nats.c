// SPDX-License-Identifier: GPL-2.0
/*
 * NATS JetStream through libnats.
 *
 * Outbound: each message is a JetStream publish whose answer (the PubAck)
 * comes back on a per-bridge inbox; many are in flight at once.  Every
 * publish carries
 *   Nats-Msg-Id			boot-channel-seq: the stream's duplicate window
 *					removes a message published twice;
 *   Nats-Expected-Last-Msg-Id	the id of the message before it: a message
 *					whose predecessor was lost in a failover is
 *					refused, so the stream keeps the channel's
 *					order (the core then sends again from the
 *					first one missing).  So a stream takes one
 *					outbound bridge.
 *
 * Inbound: a durable pull consumer with explicit acks and max_ack_pending =
 * the window.  The bridge itself decides where the consumer starts: from
 * the ack floor at start-up, and after anything that may have lost a
 * delivery (a reconnect, a gap in the consumer sequence) from just after the
 * last message it put into the channel.  JetStream would redeliver a lost
 * message only after its ack wait, behind later ones, and an ordered
 * consumer would then drop it as old: recreating the consumer keeps order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nats/nats.h>

#include "bridge.h"

#define NS_PER_MS	1000000LL

struct too_large {
	uint64_t tag;
	size_t len;
};

struct nats {
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	/* outbound */
	natsSubscription *acks;
	char inbox[128];
	struct too_large *refused;	/* publishes never sent: too large */
	unsigned int nr_refused;
	/* inbound */
	natsSubscription *sub;
	char durable[128];
	uint64_t last_stream;		/* last stream seq put into the channel */
	uint64_t last_consumer;		/* last consumer seq seen (this consumer) */
	bool need_resync;
	uint64_t last_hold_ns;
	volatile int reconnected;	/* set by libnats' thread */
	volatile int closing;		/* our own close: not worth a word */
};

static void on_reconnected(natsConnection *nc, void *closure)
{
	struct broker *b = closure;
	struct nats *n = b->priv;

	(void)nc;
	__atomic_add_fetch(&b->stats->reconnects, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&n->reconnected, 1, __ATOMIC_RELEASE);
	bridge_log("reconnected to NATS");
}

static void on_disconnected(natsConnection *nc, void *closure)
{
	struct broker *b = closure;
	struct nats *n = b->priv;

	(void)nc;
	if (n && !__atomic_load_n(&n->closing, __ATOMIC_ACQUIRE))
		bridge_log("disconnected from NATS; reconnecting");
}

/* NATS subject matching: '*' one token, '>' the rest. */
static bool subject_matches(const char *pattern, const char *subject)
{
	while (*pattern && *subject) {
		const char *pe = strchrnul(pattern, '.'), *se = strchrnul(subject, '.');

		if (pe - pattern == 1 && *pattern == '>')
			return true;
		if (!(pe - pattern == 1 && *pattern == '*') &&
		    (pe - pattern != se - subject || strncmp(pattern, subject, (size_t)(pe - pattern))))
			return false;
		pattern = *pe ? pe + 1 : pe;
		subject = *se ? se + 1 : se;
	}
	return !*pattern && !*subject;
}

/*
 * Why a JetStream request failed: libnats's last error when it kept one,
 * else the status's text, and the JetStream error code if the server sent one.
 */
static const char *js_why(natsStatus s, jsErrCode jerr, char *buf, size_t len)
{
	const char *last = nats_GetLastError(NULL);

	snprintf(buf, len, "%s", last && *last ? last : natsStatus_GetText(s));
	if (jerr)
		snprintf(buf + strlen(buf), len - strlen(buf), " (JetStream error %d)", (int)jerr);
	return buf;
}

/*
 * Options for one JetStream request: an answer within @cap_ms (or --timeout
 * if shorter).  A request sent while no leader could take it is dropped,
 * never answered, so waiting all of --timeout for it would leave no time
 * to ask again once the cluster is back.  Questions (stream info,
 * consumer info) get 2 s; creating and deleting the consumer get 10 s:
 * asked again sooner, on a slow cluster the next attempt would delete the
 * consumer the previous one is still creating.
 */
#define JS_ASK_MS	2000
#define JS_CHANGE_MS	10000

static jsOptions *js_wait(jsOptions *o, int timeout_ms, int cap_ms)
{
	jsOptions_Init(o);
	o->Wait = timeout_ms < cap_ms ? timeout_ms : cap_ms;
	return o;
}

/*
 * A start-up request that failed for another reason than "not found" (no
 * stream or meta leader while one is elected, too few nodes for a quorum,
 * a server restarting) is tried again until --timeout has passed.
 */
static bool js_try_again(uint64_t deadline_ns)
{
	if (bridge_now_ns() >= deadline_ns)
		return false;
	usleep(250000);
	return true;
}

static int check_stream(struct broker *b, char *err, size_t errlen)
{
	struct nats *n = b->priv;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	jsOptions o;
	natsStatus s;
	bool found = false;

	uint64_t deadline = bridge_now_ns() + (uint64_t)b->timeout_ms * 1000000;
	char why[256];

	do {
		jerr = 0;
		s = js_GetStreamInfo(&si, n->js, b->url->stream,
				     js_wait(&o, b->timeout_ms, JS_ASK_MS), &jerr);
	} while (s != NATS_OK && jerr != JSStreamNotFoundErr && s != NATS_NOT_FOUND &&
		 js_try_again(deadline));
	if (s != NATS_OK) {
		if (jerr == JSStreamNotFoundErr || s == NATS_NOT_FOUND) {
			snprintf(err, errlen, "no stream '%s' on nats://%s", b->url->stream,
				 b->url->servers);
			return BRIDGE_EXIT_UNKNOWN;
		}
		snprintf(err, errlen, "stream '%s' on nats://%s: %s", b->url->stream,
			 b->url->servers, js_why(s, jerr, why, sizeof(why)));
		return BRIDGE_EXIT_UNREACHABLE;
	}
	for (int i = 0; si->Config && i < si->Config->SubjectsLen; i++)
		if (subject_matches(si->Config->Subjects[i], b->url->subject))
			found = true;
	jsStreamInfo_Destroy(si);
	if (!found) {
		snprintf(err, errlen, "stream '%s' does not take subject '%s'", b->url->stream,
			 b->url->subject);
		return BRIDGE_EXIT_UNKNOWN;
	}
	return 0;
}

/* A request that got no answer is the cluster's doing; anything else a failure. */
static int no_answer(natsStatus s)
{
	return s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS ? BRIDGE_EXIT_UNREACHABLE
							      : BRIDGE_EXIT_FAIL;
}

/*
 * (Re)create the durable consumer, starting after stream seq @after (0: all).
 * Returns 0, or the exit status a failure at start-up means.
 */
static int make_consumer(struct broker *b, uint64_t after, char *err, size_t errlen)
{
	struct nats *n = b->priv;
	jsConsumerInfo *ci = NULL;
	jsConsumerConfig cc;
	jsSubOptions so;
	jsErrCode jerr = 0;
	jsOptions o;
	char why[256];
	natsStatus s;

	if (n->sub) {
		natsSubscription_Destroy(n->sub);
		n->sub = NULL;
	}
	s = js_DeleteConsumer(n->js, b->url->stream, n->durable,
			      js_wait(&o, b->timeout_ms, JS_CHANGE_MS), &jerr);
	if (s != NATS_OK && jerr != JSConsumerNotFoundErr && s != NATS_NOT_FOUND) {
		snprintf(err, errlen, "delete consumer %s: %s", n->durable,
			 js_why(s, jerr, why, sizeof(why)));
		return no_answer(s);
	}
	jsConsumerConfig_Init(&cc);
	cc.Durable = n->durable;
	cc.AckPolicy = js_AckExplicit;
	cc.AckWait = 30000 * NS_PER_MS;
	cc.MaxAckPending = b->window;
	cc.FilterSubject = b->url->subject;
	cc.DeliverPolicy = after ? js_DeliverByStartSequence : js_DeliverAll;
	cc.OptStartSeq = after ? after + 1 : 0;
	s = js_AddConsumer(&ci, n->js, b->url->stream, &cc,
			   js_wait(&o, b->timeout_ms, JS_CHANGE_MS), &jerr);
	if (s != NATS_OK) {
		snprintf(err, errlen, "create consumer %s: %s", n->durable,
			 js_why(s, jerr, why, sizeof(why)));
		return no_answer(s);
	}
	jsConsumerInfo_Destroy(ci);
	jsSubOptions_Init(&so);
	so.Stream = b->url->stream;
	so.Consumer = n->durable;
	s = js_PullSubscribe(&n->sub, n->js, b->url->subject, n->durable, NULL, &so, &jerr);
	if (s != NATS_OK) {
		snprintf(err, errlen, "pull from %s: %s", n->durable,
			 js_why(s, jerr, why, sizeof(why)));
		return no_answer(s);
	}
	n->last_consumer = 0;
	n->need_resync = false;
	return 0;
}

static int nats_open(struct broker *b, bool outbound, char *err, size_t errlen)
{
	struct nats *n = calloc(1, sizeof(*n));
	const char *servers[16];
	char *list, *tok, *save, urls[16][300];
	int count = 0, ret;
	natsStatus s;

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return BRIDGE_EXIT_FAIL;
	}
	b->priv = n;
	list = strdup(b->url->servers);
	for (tok = strtok_r(list, ",", &save); tok && count < 16; tok = strtok_r(NULL, ",", &save)) {
		snprintf(urls[count], sizeof(urls[count]), "nats://%s", tok);
		servers[count] = urls[count];
		count++;
	}
	free(list);
	if (natsOptions_Create(&n->opts) != NATS_OK) {
		snprintf(err, errlen, "libnats: %s", nats_GetLastError(NULL));
		return BRIDGE_EXIT_FAIL;
	}
	natsOptions_SetServers(n->opts, servers, count);
	natsOptions_SetName(n->opts, b->client);
	natsOptions_SetTimeout(n->opts, b->timeout_ms);
	natsOptions_SetMaxReconnect(n->opts, -1);
	natsOptions_SetReconnectWait(n->opts, 250);
	natsOptions_SetReconnectJitter(n->opts, 100, 1000);
	natsOptions_SetPingInterval(n->opts, 2000);
	natsOptions_SetMaxPingsOut(n->opts, 2);
	natsOptions_SetReconnectedCB(n->opts, on_reconnected, b);
	natsOptions_SetDisconnectedCB(n->opts, on_disconnected, b);
	s = natsConnection_Connect(&n->nc, n->opts);
	if (s != NATS_OK) {
		snprintf(err, errlen, "cannot reach nats://%s: %s", b->url->servers,
			 natsStatus_GetText(s));
		return BRIDGE_EXIT_UNREACHABLE;
	}
	if (natsConnection_HasHeaderSupport(n->nc) != NATS_OK) {
		snprintf(err, errlen, "nats://%s does not support headers", b->url->servers);
		return BRIDGE_EXIT_FAIL;
	}
	jsOptions jo;

	jsOptions_Init(&jo);
	jo.Wait = b->timeout_ms;
	if (natsConnection_JetStream(&n->js, n->nc, &jo) != NATS_OK) {
		snprintf(err, errlen, "JetStream: %s", nats_GetLastError(NULL));
		return BRIDGE_EXIT_FAIL;
	}
	ret = check_stream(b, err, errlen);
	if (ret)
		return ret;

	if (outbound) {
		char subj[160];

		natsInbox *inbox = NULL;

		natsInbox_Create(&inbox);
		snprintf(n->inbox, sizeof(n->inbox), "%s", (const char *)inbox);
		natsInbox_Destroy(inbox);
		snprintf(subj, sizeof(subj), "%s.*", n->inbox);
		if (natsConnection_SubscribeSync(&n->acks, n->nc, subj) != NATS_OK) {
			snprintf(err, errlen, "subscribe: %s", nats_GetLastError(NULL));
			return BRIDGE_EXIT_FAIL;
		}
		natsSubscription_SetPendingLimits(n->acks, -1, -1);
		n->refused = calloc(b->window, sizeof(*n->refused));
		return 0;
	}

	/* Inbound: start after the ack floor of the durable, if it exists. */
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	jsOptions o;
	uint64_t after = 0;

	if (b->url->durable) {
		snprintf(n->durable, sizeof(n->durable), "%s", b->url->durable);
	} else {
		snprintf(n->durable, sizeof(n->durable), "cspchan-bridge-%s", b->url->subject);
		for (char *p = n->durable; *p; p++)
			if (*p == '.')
				*p = '_';
	}
	uint64_t deadline = bridge_now_ns() + (uint64_t)b->timeout_ms * 1000000;
	char why[256];

	/* Not knowing the ack floor would mean starting from the stream's first message. */
	do {
		jerr = 0;
		s = js_GetConsumerInfo(&ci, n->js, b->url->stream, n->durable,
				       js_wait(&o, b->timeout_ms, JS_ASK_MS), &jerr);
	} while (s != NATS_OK && jerr != JSConsumerNotFoundErr && s != NATS_NOT_FOUND &&
		 js_try_again(deadline));
	if (s == NATS_OK) {
		after = ci->AckFloor.Stream;
		jsConsumerInfo_Destroy(ci);
	} else if (jerr != JSConsumerNotFoundErr && s != NATS_NOT_FOUND) {
		snprintf(err, errlen, "stream '%s' on nats://%s: consumer %s: %s", b->url->stream,
			 b->url->servers, n->durable, js_why(s, jerr, why, sizeof(why)));
		return BRIDGE_EXIT_UNREACHABLE;
	}
	n->last_stream = after;

	while ((ret = make_consumer(b, after, why, sizeof(why)))) {
		if (bridge_now_ns() >= deadline) {
			snprintf(err, errlen, "stream '%s' on nats://%s: %s", b->url->stream,
				 b->url->servers, why);
			return ret;
		}
		usleep(250000);
	}
	return 0;
}

static void set_header_u64(natsMsg *msg, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	natsMsgHeader_Set(msg, key, buf);
}

static int nats_publish(struct broker *b, const struct bridge_msg *m,
			const struct bridge_msg *prev, uint64_t tag, const char *source)
{
	struct nats *n = b->priv;
	char reply[200];
	natsMsg *msg = NULL;
	natsStatus s;

	/* Headers and payload together must fit the server's max_payload. */
	if ((int64_t)m->len + 512 > natsConnection_GetMaxPayload(n->nc)) {
		if (n->nr_refused < b->window)
			n->refused[n->nr_refused++] = (struct too_large){ tag, m->len };
		return 0;
	}
	snprintf(reply, sizeof(reply), "%s.%llu", n->inbox, (unsigned long long)tag);
	s = natsMsg_Create(&msg, b->url->subject, reply, m->data, (int)m->len);
	if (s != NATS_OK)
		return -1;
	natsMsgHeader_Set(msg, "Nats-Msg-Id", m->id);
	natsMsgHeader_Set(msg, "Nats-Expected-Stream", b->url->stream);
	if (prev)
		natsMsgHeader_Set(msg, "Nats-Expected-Last-Msg-Id", prev->id);
	set_header_u64(msg, BRIDGE_HDR_SEQ, m->seq);
	set_header_u64(msg, BRIDGE_HDR_PID, m->pid);
	set_header_u64(msg, BRIDGE_HDR_SENT_NS, m->sent_ns);
	natsMsgHeader_Set(msg, BRIDGE_HDR_CHANNEL, source);
	s = natsConnection_PublishMsg(n->nc, msg);
	natsMsg_Destroy(msg);
	return s == NATS_OK ? 0 : -1;
}

/* A PubAck: {"stream":"S","seq":N[,"duplicate":true]} or {"error":{...}}. */
static void answer(struct broker *b, natsMsg *msg, bridge_ack_fn fn, void *ctx)
{
	struct nats *n = b->priv;
	const char *subj = natsMsg_GetSubject(msg), *data = natsMsg_GetData(msg);
	char body[512], why[300];
	uint64_t tag;
	const char *e;

	if (strncmp(subj, n->inbox, strlen(n->inbox)) || subj[strlen(n->inbox)] != '.')
		return;
	tag = strtoull(subj + strlen(n->inbox) + 1, NULL, 10);
	if (natsMsg_IsNoResponders(msg)) {
		fn(ctx, tag, BRIDGE_ACK_RETRY, false, "no responders (no stream leader)");
		return;
	}
	snprintf(body, sizeof(body), "%.*s", natsMsg_GetDataLength(msg), data ? data : "");
	e = strstr(body, "\"error\"");
	if (!e) {
		fn(ctx, tag, BRIDGE_ACK_STORED, strstr(body, "\"duplicate\":true") != NULL, NULL);
		return;
	}
	snprintf(why, sizeof(why), "%s", e);
	if (strstr(e, "\"code\":503") || strstr(e, "10070") || strstr(e, "10071"))
		fn(ctx, tag, BRIDGE_ACK_RETRY, false, why);
	else if (strstr(e, "10054") || strstr(e, "maximum"))
		fn(ctx, tag, BRIDGE_ACK_TOO_LARGE, false, why);
	else
		fn(ctx, tag, BRIDGE_ACK_FATAL, false, why);
}

static void nats_wait_acks(struct broker *b, int timeout_ms, bridge_ack_fn fn, void *ctx)
{
	struct nats *n = b->priv;
	natsMsg *msg = NULL;
	int pending = 0;

	for (unsigned int i = 0; i < n->nr_refused; i++) {
		char why[80];

		snprintf(why, sizeof(why), "%zu bytes with headers exceed max_payload %lld",
			 n->refused[i].len, (long long)natsConnection_GetMaxPayload(n->nc));
		fn(ctx, n->refused[i].tag, BRIDGE_ACK_TOO_LARGE, false, why);
	}
	n->nr_refused = 0;
	natsSubscription_GetPending(n->acks, &pending, NULL);
	if (!pending) {
		if (timeout_ms <= 0)
			return;
		if (natsSubscription_NextMsg(&msg, n->acks, timeout_ms) != NATS_OK)
			return;
		answer(b, msg, fn, ctx);
		natsMsg_Destroy(msg);
		natsSubscription_GetPending(n->acks, &pending, NULL);
	}
	while (pending-- > 0 && natsSubscription_NextMsg(&msg, n->acks, 1) == NATS_OK) {
		answer(b, msg, fn, ctx);
		natsMsg_Destroy(msg);
	}
}

static int nats_fetch(struct broker *b, struct bridge_msg *out, int max, int timeout_ms,
		      char *err, size_t errlen)
{
	struct nats *n = b->priv;
	natsMsgList list = { 0 };
	jsErrCode jerr = 0;
	natsStatus s;
	int got = 0;

	if (__atomic_exchange_n(&n->reconnected, 0, __ATOMIC_ACQ_REL))
		n->need_resync = true;
	if (n->need_resync) {
		if (make_consumer(b, n->last_stream, err, errlen)) {
			bridge_log("%s; trying again", err);
			n->need_resync = true;
			usleep(500000);
			return 0;
		}
		bridge_log("consumer %s restarted after stream sequence %llu", n->durable,
			   (unsigned long long)n->last_stream);
	}
	s = natsSubscription_Fetch(&list, n->sub, max, timeout_ms, &jerr);
	if (s == NATS_TIMEOUT)
		return 0;
	if (s != NATS_OK) {
		if (jerr == JSStreamNotFoundErr) {
			snprintf(err, errlen, "stream %s is gone", b->url->stream);
			return -1;
		}
		/* Disconnected, consumer lost in a failover, ...: start again. */
		n->need_resync = true;
		usleep(200000);
		return 0;
	}
	for (int i = 0; i < list.Count; i++) {
		natsMsg *msg = list.Msgs[i];
		jsMsgMetaData *meta = NULL;
		struct bridge_msg *m = &out[got];
		const char *v;
		uint64_t sseq, cseq;

		list.Msgs[i] = NULL;
		if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) {
			natsMsg_Destroy(msg);
			continue;
		}
		sseq = meta->Sequence.Stream;
		cseq = meta->Sequence.Consumer;
		jsMsgMetaData_Destroy(meta);
		if (n->need_resync || (n->last_consumer && cseq != n->last_consumer + 1)) {
			/* A delivery went missing: everything after it waits for
			 * the consumer to start again behind the last one put in. */
			if (!n->need_resync)
				bridge_log("consumer sequence jumped from %llu to %llu: restarting it",
					   (unsigned long long)n->last_consumer,
					   (unsigned long long)cseq);
			n->need_resync = true;
			natsMsg_Destroy(msg);
			continue;
		}
		n->last_consumer = cseq;
		if (sseq <= n->last_stream) {
			/* Already in the channel: a redelivery. */
			natsMsg_Ack(msg, NULL);
			natsMsg_Destroy(msg);
			continue;
		}
		memset(m, 0, sizeof(*m));
		m->handle = msg;
		m->data = (void *)natsMsg_GetData(msg);
		m->len = (size_t)natsMsg_GetDataLength(msg);
		m->broker_seq = sseq;
		snprintf(m->where, sizeof(m->where), "stream %s sequence %llu", b->url->stream,
			 (unsigned long long)sseq);
		if (natsMsgHeader_Get(msg, BRIDGE_HDR_SEQ, &v) == NATS_OK) {
			m->seq = strtoull(v, NULL, 10);
			m->has_origin = true;
			if (natsMsgHeader_Get(msg, BRIDGE_HDR_PID, &v) == NATS_OK)
				m->pid = (uint32_t)strtoul(v, NULL, 10);
			if (natsMsgHeader_Get(msg, BRIDGE_HDR_SENT_NS, &v) == NATS_OK)
				m->sent_ns = strtoull(v, NULL, 10);
		}
		got++;
	}
	natsMsgList_Destroy(&list);
	return got;
}

static void nats_done(struct broker *b, struct bridge_msg *m)
{
	struct nats *n = b->priv;

	natsMsg_Ack(m->handle, NULL);
	n->last_stream = m->broker_seq;
}

static void nats_hold(struct broker *b, struct bridge_msg *m, int count)
{
	struct nats *n = b->priv;
	uint64_t now = bridge_now_ns();

	/* Well inside the 30 s ack wait. */
	if (now - n->last_hold_ns < 5000 * NS_PER_MS)
		return;
	n->last_hold_ns = now;
	for (int i = 0; i < count; i++)
		natsMsg_InProgress(m[i].handle, NULL);
}

static void nats_resume(struct broker *b)
{
	((struct nats *)b->priv)->last_hold_ns = 0;
}

static void nats_give_back(struct broker *b, struct bridge_msg *m)
{
	(void)b;
	natsMsg_Nak(m->handle, NULL);
}

static void nats_release(struct broker *b, struct bridge_msg *m)
{
	(void)b;
	natsMsg_Destroy(m->handle);
	m->handle = NULL;
}

static void nats_close(struct broker *b)
{
	struct nats *n = b->priv;

	if (!n)
		return;
	__atomic_store_n(&n->closing, 1, __ATOMIC_RELEASE);
	if (n->nc)
		natsConnection_FlushTimeout(n->nc, b->timeout_ms);
	/* Destroy, not Unsubscribe: the durable consumer stays. */
	if (n->sub)
		natsSubscription_Destroy(n->sub);
	if (n->acks)
		natsSubscription_Destroy(n->acks);
	if (n->js)
		jsCtx_Destroy(n->js);
	if (n->nc) {
		natsConnection_Close(n->nc);
		natsConnection_Destroy(n->nc);
	}
	if (n->opts)
		natsOptions_Destroy(n->opts);
	free(n->refused);
	free(n);
	b->priv = NULL;
	nats_Close();
}

const struct broker_ops bridge_nats_ops = {
	.name = "nats",
	.open = nats_open,
	.publish = nats_publish,
	.wait_acks = nats_wait_acks,
	.fetch = nats_fetch,
	.done = nats_done,
	.hold = nats_hold,
	.resume = nats_resume,
	.give_back = nats_give_back,
	.release = nats_release,
	.close = nats_close,
};
