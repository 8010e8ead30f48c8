/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Kafka side of cspchan-bridge, over librdkafka (SPEC 13).
 *
 * Outbound (channel -> topic): an idempotent producer.  librdkafka retries
 * through broker failures by itself, and the idempotence (producer id and
 * sequence numbers checked by the partition leader) keeps those retries
 * from storing a message twice or out of order.  Every message of a bridge
 * goes to partition 0: Kafka orders a partition, not a topic, so one
 * partition is what keeps the channel's order.  A delivery report is the
 * broker's acknowledgment; only then does the core acknowledge the lease.
 *
 * Inbound (topic -> channel): a group consumer that never commits by
 * itself.  An offset is stored only once the channel accepted the message
 * (done()), and committed from there, so a crash redelivers what the
 * channel had not taken, never skips it.  What librdkafka prefetches is
 * bounded by the small local queue set below: while the channel is full it
 * simply stops fetching.  A long wait also pauses the partitions (see
 * kafka_hold()).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <librdkafka/rdkafka.h>

#include "bridge.h"

/* Commit stored offsets at most this often while messages flow. */
#define KAFKA_COMMIT_NS		(100ULL * 1000 * 1000)
/* The same error from librdkafka is logged again only after this long. */
#define KAFKA_ERR_REPEAT_NS	(10ULL * 1000 * 1000 * 1000)
/* hold(): pause the partitions once the channel has been full this long. */
#define KAFKA_PAUSE_NS		(5ULL * 1000 * 1000 * 1000)
/* open(): the least time the cluster gets to answer. */
#define KAFKA_OPEN_MIN_MS	5000

/*
 * Outbound: what travels with a message through librdkafka (its opaque).
 * The publish-to-ack latency is the core's to record (outbound.c), not ours.
 */
struct kafka_req {
	uint64_t tag;
};

/* Outbound: an answer waiting for the core's next wait_acks(). */
struct kafka_ack {
	uint64_t tag;
	enum bridge_ack ack;
	const char *why;	/* static, or k->fatal */
};

/* Inbound: the first offset handed back per partition (see give_back()). */
struct kafka_back {
	int32_t partition;
	int64_t offset;
};

struct kafka {
	struct broker *b;
	rd_kafka_t *rk;
	bool outbound;

	/* Outbound: answers collected by the delivery report callback. */
	struct kafka_ack *acks;
	size_t nacks, acks_cap;

	/* Inbound. */
	rd_kafka_message_t **stash;	/* taken from librdkafka, not yet fetched */
	size_t nstash, stash_cap;
	struct kafka_back *back;
	size_t nback, back_cap;
	uint64_t hold_ns;		/* when the current hold began, or 0 */
	bool paused;
	bool dirty;			/* offsets stored, not yet committed */
	uint64_t committed_ns;
	char failure[256];		/* a permanent error seen outside fetch() */

	/* Both. */
	bool broken;			/* a transport error since the last success */
	bool opened;			/* open() succeeded: errors are logged */
	char fatal[256];
	char open_err[256];		/* open(): the first error, for its message */
	char last_err[256];		/* the last error logged, to say it once */
	uint64_t last_err_ns;
};

static int kafka_set(rd_kafka_conf_t *conf, const char *name, const char *value,
		     char *err, size_t errlen)
{
	char why[256];

	if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) == RD_KAFKA_CONF_OK)
		return 0;
	snprintf(err, errlen, "kafka: %s=%s: %s", name, value, why);
	return -1;
}

/* Transport-level trouble: the connection to some broker went away. */
static bool kafka_err_transport(rd_kafka_resp_err_t err)
{
	return err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
	       err == RD_KAFKA_RESP_ERR__RESOLVE;
}

/*
 * A broker came back: librdkafka reconnects by itself, so what can be
 * counted is a transport error followed by a success (a delivery report, a
 * fetched message).  One such episode is one reconnect, however many
 * brokers or connection attempts it took.
 */
static void kafka_success(struct kafka *k)
{
	if (!k->broken)
		return;
	k->broken = false;
	if (k->b->stats)
		k->b->stats->reconnects++;
}

static void kafka_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka *k = opaque;
	uint64_t now = bridge_now_ns();

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		/* The idempotent producer cannot go on (fenced, gap, ...). */
		rd_kafka_fatal_error(rk, k->fatal, sizeof(k->fatal));
		bridge_log("kafka: fatal: %s", k->fatal);
		return;
	}
	if (kafka_err_transport(err))
		k->broken = true;
	if (!k->opened) {
		/* The first reason is the telling one ("Connection refused"). */
		if (!k->open_err[0])
			snprintf(k->open_err, sizeof(k->open_err), "%s", reason);
		return;
	}
	/* librdkafka repeats itself while a broker stays down: say it once. */
	if (!strcmp(k->last_err, reason) && now - k->last_err_ns < KAFKA_ERR_REPEAT_NS)
		return;
	snprintf(k->last_err, sizeof(k->last_err), "%s", reason);
	k->last_err_ns = now;
	bridge_log("kafka: %s", reason);
}

static void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	/* FAIL lines repeat what kafka_error_cb() says. */
	if (level <= LOG_WARNING && strcmp(fac, "FAIL"))
		bridge_log("kafka: %s: %s", fac, buf);
}

/* Room for one more element of @size in *@arr of *@cap, or -1. */
static int kafka_grow(void *arr, size_t *cap, size_t n, size_t size)
{
	void **p = arr;
	size_t ncap;
	void *q;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	q = realloc(*p, ncap * size);
	if (!q)
		return -1;
	*p = q;
	*cap = ncap;
	return 0;
}

static void kafka_queue_ack(struct kafka *k, uint64_t tag, enum bridge_ack ack, const char *why)
{
	if (kafka_grow(&k->acks, &k->acks_cap, k->nacks, sizeof(*k->acks))) {
		/* Unanswered: the core's timeout treats it as not stored. */
		bridge_log("kafka: out of memory for a delivery report");
		return;
	}
	k->acks[k->nacks++] = (struct kafka_ack){ .tag = tag, .ack = ack, .why = why };
}

/* Called from rd_kafka_poll() (wait_acks(), publish(), close()) on our thread. */
static void kafka_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	struct kafka *k = opaque;
	struct kafka_req *req = rkm->_private;
	enum bridge_ack ack;
	const char *why = NULL;

	if (!req)
		return;
	switch (rkm->err) {
	case RD_KAFKA_RESP_ERR_NO_ERROR:
		ack = BRIDGE_ACK_STORED;
		kafka_success(k);
		break;
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
		ack = BRIDGE_ACK_TOO_LARGE;
		why = rd_kafka_err2str(rkm->err);
		break;
	default:
		if (rkm->err == RD_KAFKA_RESP_ERR__FATAL || rd_kafka_fatal_error(rk, NULL, 0)) {
			if (!k->fatal[0])
				rd_kafka_fatal_error(rk, k->fatal, sizeof(k->fatal));
			ack = BRIDGE_ACK_FATAL;
			why = k->fatal;
		} else {
			/* Timed out after message.timeout.ms, purged, ... */
			ack = BRIDGE_ACK_RETRY;
			why = rd_kafka_err2str(rkm->err);
		}
		break;
	}
	kafka_queue_ack(k, req->tag, ack, why);
	free(req);
}

static void kafka_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			    rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
	(void)rk;
	(void)offsets;
	(void)opaque;
	/* Not fatal: the offsets are committed again later, or redelivered. */
	if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
		bridge_log("kafka: offset commit failed: %s", rd_kafka_err2str(err));
}

/*
 * Group membership changes.  Before partitions are taken away, what the
 * channel accepted is committed (else the next owner would deliver it
 * again); partitions given while the channel is full start paused.
 */
static void kafka_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			       rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct kafka *k = opaque;
	bool coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		if (coop)
			rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
		else
			rd_kafka_assign(rk, parts);
		if (k->paused)
			rd_kafka_pause_partitions(rk, parts);
		return;
	}
	if (k->dirty) {
		rd_kafka_commit(rk, NULL, 0);
		k->dirty = false;
	}
	if (coop)
		rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
	else
		rd_kafka_assign(rk, NULL);
}

/*
 * Asks the cluster about the topic: proves a broker answers and the topic
 * exists before anything is taken from the channel.
 */
static int kafka_check_topic(struct kafka *k, char *err, size_t errlen)
{
	const struct bridge_url *url = k->b->url;
	int timeout = k->b->timeout_ms > KAFKA_OPEN_MIN_MS ? k->b->timeout_ms : KAFKA_OPEN_MIN_MS;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t r, terr;
	rd_kafka_topic_t *rkt;
	int status = BRIDGE_EXIT_OK;

	rkt = rd_kafka_topic_new(k->rk, url->subject, NULL);
	if (!rkt) {
		snprintf(err, errlen, "kafka: topic '%s': %s", url->subject,
			 rd_kafka_err2str(rd_kafka_last_error()));
		return BRIDGE_EXIT_USAGE;
	}
	r = rd_kafka_metadata(k->rk, 0, rkt, &md, timeout);
	rd_kafka_topic_destroy(rkt);
	if (r) {
		/* Serve the error callback: its reason says why (refused, DNS). */
		rd_kafka_poll(k->rk, 0);
		snprintf(err, errlen, "cannot reach kafka://%s: %s", url->servers,
			 k->open_err[0] ? k->open_err : rd_kafka_err2str(r));
		return BRIDGE_EXIT_UNREACHABLE;
	}
	terr = md->topic_cnt < 1 ? RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC : md->topics[0].err;
	if (terr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
	    terr == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
		snprintf(err, errlen, "no topic '%s' on kafka://%s", url->subject, url->servers);
		status = BRIDGE_EXIT_UNKNOWN;
	} else if (terr && terr != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE) {
		/*
		 * Not authorized, invalid name, ...: no use starting.  (No
		 * leader for now is a failover: librdkafka waits it out.)
		 */
		snprintf(err, errlen, "topic '%s' on kafka://%s: %s", url->subject, url->servers,
			 rd_kafka_err2str(terr));
		status = BRIDGE_EXIT_FAIL;
	} else if (md->topics[0].partition_cnt < 1) {
		snprintf(err, errlen, "topic '%s' on kafka://%s has no partitions", url->subject,
			 url->servers);
		status = BRIDGE_EXIT_UNKNOWN;
	}
	rd_kafka_metadata_destroy(md);
	return status;
}

static int kafka_open(struct broker *b, bool outbound, char *err, size_t errlen)
{
	const struct bridge_url *url = b->url;
	char errstr[512], group[512];
	rd_kafka_conf_t *conf;
	struct kafka *k;
	rd_kafka_topic_partition_list_t *topics;
	rd_kafka_resp_err_t r;
	int status;

	k = calloc(1, sizeof(*k));
	if (!k) {
		snprintf(err, errlen, "kafka: out of memory");
		return BRIDGE_EXIT_FAIL;
	}
	k->b = b;
	k->outbound = outbound;
	b->priv = k;

	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_opaque(conf, k);
	rd_kafka_conf_set_error_cb(conf, kafka_error_cb);
	rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
	if (kafka_set(conf, "bootstrap.servers", url->servers, err, errlen) ||
	    (b->client && kafka_set(conf, "client.id", b->client, err, errlen)) ||
	    /* A missing topic is an error to report, not one to create. */
	    kafka_set(conf, "allow.auto.create.topics", "false", err, errlen) ||
	    /* Logs are served by our polls, on our thread, not librdkafka's. */
	    kafka_set(conf, "log.queue", "true", err, errlen) ||
	    /*
	     * librdkafka waits up to 10 s between attempts to reach a broker
	     * that went away; a bridge should notice its return sooner.
	     */
	    kafka_set(conf, "reconnect.backoff.max.ms", "1000", err, errlen))
		goto bad_conf;

	if (outbound) {
		rd_kafka_conf_set_dr_msg_cb(conf, kafka_dr_cb);
		/*
		 * Idempotence implies acks=all and at most 5 requests in flight
		 * per partition with retries that keep order.  message.timeout.ms
		 * is how long librdkafka itself keeps retrying through failovers
		 * before a message is reported not stored (BRIDGE_ACK_RETRY).
		 */
		if (kafka_set(conf, "enable.idempotence", "true", err, errlen) ||
		    kafka_set(conf, "message.timeout.ms", "300000", err, errlen) ||
		    kafka_set(conf, "linger.ms", "5", err, errlen))
			goto bad_conf;
	} else {
		if (url->group)
			snprintf(group, sizeof(group), "%s", url->group);
		else
			snprintf(group, sizeof(group), "cspchan-bridge-%s", url->subject);
		rd_kafka_conf_set_offset_commit_cb(conf, kafka_commit_cb);
		rd_kafka_conf_set_rebalance_cb(conf, kafka_rebalance_cb);
		/*
		 * Offsets are stored by done() only and committed by us; the
		 * local prefetch queue is kept to about a megabyte so a full
		 * channel does not make the bridge hold a topic's worth.
		 */
		if (kafka_set(conf, "group.id", group, err, errlen) ||
		    kafka_set(conf, "enable.auto.commit", "false", err, errlen) ||
		    kafka_set(conf, "enable.auto.offset.store", "false", err, errlen) ||
		    kafka_set(conf, "auto.offset.reset", "earliest", err, errlen) ||
		    kafka_set(conf, "queued.max.messages.kbytes", "1024", err, errlen) ||
		    kafka_set(conf, "queued.min.messages", "1000", err, errlen) ||
		    kafka_set(conf, "fetch.max.bytes", "1048576", err, errlen) ||
		    kafka_set(conf, "max.partition.fetch.bytes", "1048576", err, errlen) ||
		    /*
		     * A bridge that died is noticed after this long, and its
		     * partitions go to the next member (a restarted bridge):
		     * Kafka's old default, not 2.0's 45 s.  A group whose last
		     * member left also waits about this long before the next
		     * member's join completes on some brokers (librdkafka's
		     * mock among them).
		     */
		    kafka_set(conf, "session.timeout.ms", "10000", err, errlen) ||
		    /*
		     * The core polls (fetch() or hold()) far more often than
		     * this; only a bridge stuck for ten minutes leaves the
		     * group, and then its unfinished messages go to another
		     * member, uncommitted, so nothing is lost.
		     */
		    kafka_set(conf, "max.poll.interval.ms", "600000", err, errlen))
			goto bad_conf;
	}

	k->rk = rd_kafka_new(outbound ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER, conf, errstr,
			     sizeof(errstr));
	if (!k->rk) {
		snprintf(err, errlen, "kafka: %s", errstr);
		goto bad_conf;	/* conf is still ours when rd_kafka_new() fails */
	}
	/* Logs to the main queue, which the consumer's queue takes over below. */
	rd_kafka_set_log_queue(k->rk, NULL);

	status = kafka_check_topic(k, err, errlen);
	if (status != BRIDGE_EXIT_OK)
		goto fail;
	k->opened = true;
	if (outbound)
		return 0;

	rd_kafka_poll_set_consumer(k->rk);
	topics = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(topics, url->subject, RD_KAFKA_PARTITION_UA);
	r = rd_kafka_subscribe(k->rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (r) {
		snprintf(err, errlen, "kafka: subscribe to '%s': %s", url->subject,
			 rd_kafka_err2str(r));
		status = BRIDGE_EXIT_FAIL;
		goto fail;
	}
	k->committed_ns = bridge_now_ns();
	return 0;

bad_conf:
	if (!k->rk)
		rd_kafka_conf_destroy(conf);
	status = BRIDGE_EXIT_USAGE;
fail:
	if (k->rk)
		rd_kafka_destroy(k->rk);
	free(k);
	b->priv = NULL;
	return status;
}

/* Outbound. */

static int kafka_u64(char *buf, size_t len, uint64_t v)
{
	return snprintf(buf, len, "%" PRIu64, v);
}

static int kafka_publish(struct broker *b, const struct bridge_msg *m,
			 const struct bridge_msg *prev, uint64_t tag, const char *source)
{
	struct kafka *k = b->priv;
	char seq[24], pid[24], sent[24];
	struct kafka_req *req;
	rd_kafka_resp_err_t r;
	int nseq, npid, nsent;

	/* Order is kept by idempotence on one partition, not by @prev. */
	(void)prev;
	req = malloc(sizeof(*req));
	if (!req) {
		bridge_log("kafka: out of memory");
		return -1;
	}
	req->tag = tag;
	nseq = kafka_u64(seq, sizeof(seq), m->seq);
	npid = kafka_u64(pid, sizeof(pid), m->pid);
	nsent = kafka_u64(sent, sizeof(sent), m->sent_ns);

	for (;;) {
		/*
		 * Partition 0, always: one partition is one ordered log, and
		 * the consumers on the other side read it in this order.
		 */
		r = rd_kafka_producev(k->rk, RD_KAFKA_V_TOPIC(b->url->subject),
				      RD_KAFKA_V_PARTITION(0),
				      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				      RD_KAFKA_V_VALUE(m->data, m->len),
				      RD_KAFKA_V_HEADER(BRIDGE_HDR_SEQ, seq, nseq),
				      RD_KAFKA_V_HEADER(BRIDGE_HDR_PID, pid, npid),
				      RD_KAFKA_V_HEADER(BRIDGE_HDR_SENT_NS, sent, nsent),
				      RD_KAFKA_V_HEADER(BRIDGE_HDR_CHANNEL, source,
							source ? (ssize_t)strlen(source) : 0),
				      RD_KAFKA_V_OPAQUE(req), RD_KAFKA_V_END);
		if (r != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		/* librdkafka's own queue is full: let deliveries drain it. */
		rd_kafka_poll(k->rk, 100);
	}
	switch (r) {
	case RD_KAFKA_RESP_ERR_NO_ERROR:
		return 0;
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
		/* Never storable: said through the usual answer path. */
		kafka_queue_ack(k, tag, BRIDGE_ACK_TOO_LARGE,
				"larger than the producer's message.max.bytes");
		free(req);
		return 0;
	case RD_KAFKA_RESP_ERR__FATAL:
		if (!k->fatal[0])
			rd_kafka_fatal_error(k->rk, k->fatal, sizeof(k->fatal));
		kafka_queue_ack(k, tag, BRIDGE_ACK_FATAL, k->fatal);
		free(req);
		return 0;
	default:
		bridge_log("kafka: cannot produce to '%s': %s", b->url->subject,
			   rd_kafka_err2str(r));
		free(req);
		return -1;
	}
}

static void kafka_wait_acks(struct broker *b, int timeout_ms, bridge_ack_fn fn, void *ctx)
{
	struct kafka *k = b->priv;
	uint64_t deadline = bridge_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000;
	size_t i;

	/*
	 * rd_kafka_poll() returns after any event (an error, a log line), so
	 * wait until an answer came or the time is up, then take what else
	 * is ready without waiting.
	 */
	while (!k->nacks) {
		uint64_t now = bridge_now_ns();
		int left;

		if (now >= deadline)
			break;
		left = (int)((deadline - now + 999999) / 1000000);
		rd_kafka_poll(k->rk, left);
	}
	rd_kafka_poll(k->rk, 0);

	/*
	 * fn() may publish again (a retry), and a publish may poll and add
	 * answers: read the array afresh each time, answer those too.
	 */
	for (i = 0; i < k->nacks; i++) {
		struct kafka_ack a = k->acks[i];

		fn(ctx, a.tag, a.ack, false, a.why);
	}
	k->nacks = 0;
}

/* Inbound. */

static bool kafka_err_permanent(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR__FATAL:
		return true;
	default:
		return false;
	}
}

/* Origin metadata from a header, a decimal number without a terminator. */
static bool kafka_header_u64(rd_kafka_headers_t *hdrs, const char *name, uint64_t *out)
{
	const void *val;
	size_t size;
	char buf[24], *end;

	if (rd_kafka_header_get_last(hdrs, name, &val, &size) || !val || !size ||
	    size >= sizeof(buf))
		return false;
	memcpy(buf, val, size);
	buf[size] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return false;
	errno = 0;
	*out = strtoull(buf, &end, 10);
	return !errno && !*end;
}

static void kafka_fill(struct bridge_msg *m, rd_kafka_message_t *rkm)
{
	rd_kafka_headers_t *hdrs;
	uint64_t seq, pid, sent;

	memset(m, 0, sizeof(*m));
	m->data = rkm->payload;
	m->len = rkm->len;
	m->handle = rkm;
	snprintf(m->where, sizeof(m->where), "partition %" PRId32 " offset %" PRId64,
		 rkm->partition, rkm->offset);
	if (!rd_kafka_message_headers(rkm, &hdrs) &&
	    kafka_header_u64(hdrs, BRIDGE_HDR_SEQ, &seq) &&
	    kafka_header_u64(hdrs, BRIDGE_HDR_PID, &pid) && pid <= UINT32_MAX &&
	    kafka_header_u64(hdrs, BRIDGE_HDR_SENT_NS, &sent)) {
		m->seq = seq;
		m->pid = (uint32_t)pid;
		m->sent_ns = sent;
		m->has_origin = true;
	}
}

/*
 * One event from the consumer: a message (returned), nothing (NULL), or an
 * error: transient ones (a broker away) are logged and skipped, permanent
 * ones stop the bridge through k->failure.
 */
static rd_kafka_message_t *kafka_poll_one(struct kafka *k, int timeout_ms)
{
	rd_kafka_message_t *rkm = rd_kafka_consumer_poll(k->rk, timeout_ms);

	if (!rkm)
		return NULL;
	if (!rkm->err) {
		kafka_success(k);
		return rkm;
	}
	if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		if (kafka_err_permanent(rkm->err)) {
			if (!k->failure[0])
				snprintf(k->failure, sizeof(k->failure), "kafka://%s/%s: %s",
					 k->b->url->servers, k->b->url->subject,
					 rd_kafka_message_errstr(rkm));
		} else {
			if (kafka_err_transport(rkm->err))
				k->broken = true;
			bridge_log("kafka: %s", rd_kafka_message_errstr(rkm));
		}
	}
	rd_kafka_message_destroy(rkm);
	return NULL;
}

static void kafka_commit_due(struct kafka *k)
{
	uint64_t now = bridge_now_ns();

	if (!k->dirty || now - k->committed_ns < KAFKA_COMMIT_NS)
		return;
	/* __NO_OFFSET (nothing new) and the like come to kafka_commit_cb. */
	rd_kafka_commit(k->rk, NULL, 1);
	k->dirty = false;
	k->committed_ns = now;
}

static int kafka_stash(struct kafka *k, rd_kafka_message_t *rkm)
{
	if (kafka_grow(&k->stash, &k->stash_cap, k->nstash, sizeof(*k->stash))) {
		/* Not stored, so redelivered to the next run: not lost. */
		bridge_log("kafka: out of memory, dropping %s [%" PRId32 "] offset %" PRId64
			   " for now", rd_kafka_topic_name(rkm->rkt), rkm->partition, rkm->offset);
		rd_kafka_message_destroy(rkm);
		return -1;
	}
	k->stash[k->nstash++] = rkm;
	return 0;
}

static int kafka_fetch(struct broker *b, struct bridge_msg *out, int max, int timeout_ms,
		       char *err, size_t errlen)
{
	struct kafka *k = b->priv;
	uint64_t deadline = bridge_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000;
	rd_kafka_message_t *rkm;
	int n = 0;

	kafka_commit_due(k);
	/* Messages hold() had to take first: they come before newer ones. */
	while (n < max && k->nstash) {
		kafka_fill(&out[n++], k->stash[0]);
		memmove(k->stash, k->stash + 1, --k->nstash * sizeof(*k->stash));
	}
	/*
	 * Wait for the first message only (an error event is not one: wait
	 * on until the time is up), then take what is ready.
	 */
	while (n < max && !k->failure[0]) {
		uint64_t now = bridge_now_ns();
		int left = 0;

		if (!n && now < deadline)
			left = (int)((deadline - now + 999999) / 1000000);
		rkm = kafka_poll_one(k, left);
		if (rkm)
			kafka_fill(&out[n++], rkm);
		else if (n || !left)
			break;
	}
	if (k->failure[0] && !n) {
		snprintf(err, errlen, "%s", k->failure);
		return -1;
	}
	return n;
}

static void kafka_done(struct broker *b, struct bridge_msg *m)
{
	struct kafka *k = b->priv;
	rd_kafka_message_t *rkm = m->handle;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t r;
	size_t i;

	/*
	 * A message handed back earlier in this partition must not be skipped
	 * by committing past it.  (The core hands back at shutdown only.)
	 */
	for (i = 0; i < k->nback; i++)
		if (k->back[i].partition == rkm->partition && rkm->offset >= k->back[i].offset)
			return;

	l = rd_kafka_topic_partition_list_new(1);
	/* The committed offset is the next one to read. */
	rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(rkm->rkt),
					  rkm->partition)->offset = rkm->offset + 1;
	r = rd_kafka_offsets_store(k->rk, l);
	if (!r)
		r = l->elems[0].err;
	rd_kafka_topic_partition_list_destroy(l);
	if (r) {
		/* Partition no longer ours (rebalance): its next owner redelivers. */
		bridge_log("kafka: cannot store offset of %s: %s", m->where, rd_kafka_err2str(r));
		return;
	}
	k->dirty = true;
	kafka_commit_due(k);
}

/*
 * The channel is full.  The @n messages fetched are simply kept by the core
 * (their offsets are not stored, so a crash redelivers them), and nothing
 * more piles up here: librdkafka's local queue is bounded (about 1 MB or
 * 1000 messages a partition, plus one fetch response), and it stops
 * fetching when that is full.
 *
 * The core calls hold() every half second or so while it waits.  After a
 * few seconds the partitions are paused (librdkafka then drops what it had
 * prefetched and fetches it again on resume) so that each later hold() can
 * serve the consumer without taking messages: a poll within
 * max.poll.interval.ms keeps the group membership, and rebalances and
 * commit results are handled.  Not at once: in librdkafka 2.0 fetching
 * starts again only about half a second after a resume, a price a channel
 * that is full now and then should not pay each time.  A message such a
 * poll returns anyway (from a partition assigned after the pause) is kept
 * for the next fetch(), not dropped.
 */
static void kafka_hold(struct broker *b, struct bridge_msg *m, int n)
{
	struct kafka *k = b->priv;
	rd_kafka_topic_partition_list_t *parts;
	rd_kafka_message_t *rkm;
	uint64_t now = bridge_now_ns();

	(void)m;
	(void)n;
	if (!k->hold_ns)
		k->hold_ns = now;
	if (!k->paused) {
		if (now - k->hold_ns < KAFKA_PAUSE_NS)
			return;
		if (!rd_kafka_assignment(k->rk, &parts)) {
			rd_kafka_pause_partitions(k->rk, parts);
			rd_kafka_topic_partition_list_destroy(parts);
		}
		k->paused = true;
	}
	kafka_commit_due(k);
	while ((rkm = kafka_poll_one(k, 0)) != NULL)
		if (kafka_stash(k, rkm))
			break;
}

static void kafka_resume(struct broker *b)
{
	struct kafka *k = b->priv;
	rd_kafka_topic_partition_list_t *parts;

	k->hold_ns = 0;
	if (!k->paused)
		return;
	if (!rd_kafka_assignment(k->rk, &parts)) {
		rd_kafka_resume_partitions(k->rk, parts);
		rd_kafka_topic_partition_list_destroy(parts);
	}
	k->paused = false;
}

/*
 * Unsent at shutdown: its offset is not stored, so the group's next
 * consumer starts with it.  Remembered so that a later done() in the same
 * partition does not commit past it.
 */
static void kafka_give_back(struct broker *b, struct bridge_msg *m)
{
	struct kafka *k = b->priv;
	rd_kafka_message_t *rkm = m->handle;
	size_t i;

	for (i = 0; i < k->nback; i++) {
		if (k->back[i].partition == rkm->partition) {
			if (rkm->offset < k->back[i].offset)
				k->back[i].offset = rkm->offset;
			return;
		}
	}
	if (kafka_grow(&k->back, &k->back_cap, k->nback, sizeof(*k->back)))
		return;	/* the core hands back in order and stops: harmless */
	k->back[k->nback++] = (struct kafka_back){ rkm->partition, rkm->offset };
}

static void kafka_release(struct broker *b, struct bridge_msg *m)
{
	(void)b;
	if (m->handle)
		rd_kafka_message_destroy(m->handle);
	m->handle = NULL;
	m->data = NULL;
}

static void kafka_close(struct broker *b)
{
	struct kafka *k = b->priv;
	rd_kafka_resp_err_t r;
	size_t i;

	if (!k)
		return;
	if (k->outbound) {
		/*
		 * The core waited for its answers already; what is still queued
		 * was never acknowledged to the channel, so its leases return
		 * it.  Purge it (its reports free our per-message data).
		 */
		if (rd_kafka_flush(k->rk, b->timeout_ms > 0 ? b->timeout_ms : 0))
			bridge_log("kafka: %d messages not delivered at close",
				   rd_kafka_outq_len(k->rk));
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_flush(k->rk, 1000);
	} else {
		for (i = 0; i < k->nstash; i++)
			rd_kafka_message_destroy(k->stash[i]);
		k->nstash = 0;
		/* Synchronously: also covers an asynchronous one that failed. */
		r = rd_kafka_commit(k->rk, NULL, 0);
		if (r && r != RD_KAFKA_RESP_ERR__NO_OFFSET)
			bridge_log("kafka: final offset commit failed: %s", rd_kafka_err2str(r));
		r = rd_kafka_consumer_close(k->rk);
		if (r)
			bridge_log("kafka: leaving the group: %s", rd_kafka_err2str(r));
	}
	rd_kafka_destroy(k->rk);
	free(k->acks);
	free(k->stash);
	free(k->back);
	free(k);
	b->priv = NULL;
}

const struct broker_ops bridge_kafka_ops = {
	.name = "kafka",
	.answers_every_publish = true,
	.open = kafka_open,
	.publish = kafka_publish,
	.wait_acks = kafka_wait_acks,
	.fetch = kafka_fetch,
	.done = kafka_done,
	.hold = kafka_hold,
	.resume = kafka_resume,
	.give_back = kafka_give_back,
	.release = kafka_release,
	.close = kafka_close,
};
