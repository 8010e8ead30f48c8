/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cspchan-bridge: moves messages between a local channel and a stream on a
 * distributed log (NATS JetStream, Kafka), keeping the channel's promises
 * across the network (SPEC 13, docs/bridges.md).
 *
 * The direction logic is broker-neutral: outbound.c (channel -> broker) and
 * inbound.c (broker -> channel) drive a struct broker through its ops; each
 * broker (nats.c, kafka.c) only publishes, fetches and acknowledges.
 */
#ifndef CSPCHAN_BRIDGE_H
#define CSPCHAN_BRIDGE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/cspchan.h>

/* Exit statuses (cspchan(1), "bridge"). */
enum {
	BRIDGE_EXIT_OK = 0,
	BRIDGE_EXIT_FAIL = 1,		/* a failure while running */
	BRIDGE_EXIT_USAGE = 2,		/* bad arguments or URL */
	BRIDGE_EXIT_UNREACHABLE = 3,	/* no broker answered in time */
	BRIDGE_EXIT_UNKNOWN = 4,	/* no such stream, topic or channel */
	BRIDGE_EXIT_TOO_LARGE = 5,	/* a message too large, no dead-letter channel */
};

/* Headers every bridged message carries (both brokers). */
#define BRIDGE_HDR_SEQ		"Cspchan-Seq"
#define BRIDGE_HDR_PID		"Cspchan-Pid"
#define BRIDGE_HDR_SENT_NS	"Cspchan-Sent-Ns"
#define BRIDGE_HDR_CHANNEL	"Cspchan-Channel"

/* A parsed nats:// or kafka:// URL (url.c). */
struct bridge_url {
	enum { BRIDGE_NATS, BRIDGE_KAFKA } kind;
	char *servers;		/* "host:port[,host:port...]" */
	char *subject;		/* NATS subject or Kafka topic */
	char *stream;		/* NATS: stream=, required */
	char *durable;		/* NATS: durable= (inbound; default derived) */
	char *group;		/* Kafka: group= (inbound; default derived) */
};

int bridge_url_parse(const char *text, struct bridge_url *url, char *err, size_t errlen);
void bridge_url_free(struct bridge_url *url);
bool bridge_is_url(const char *text);

/*
 * One message in flight.  Outbound: read from the channel under @lease, its
 * origin metadata from the kernel.  Inbound: fetched from the broker, origin
 * from the headers when present (@has_origin), @handle the broker's own.
 */
struct bridge_msg {
	void *data;
	size_t len;
	uint64_t seq;
	uint64_t sent_ns;
	uint32_t pid;
	bool has_origin;
	uint64_t lease;			/* outbound: the channel lease */
	void *handle;			/* inbound: natsMsg *, rd_kafka_message_t * */
	char where[64];			/* inbound: "stream sequence 42", for errors */
	char id[80];			/* outbound: unique message id (boot, channel, seq) */
	uint64_t broker_seq;		/* inbound: the broker's position (stream seq, offset) */
};

/* What a broker said about one published message. */
enum bridge_ack {
	BRIDGE_ACK_STORED,		/* stored (or a duplicate of a stored one) */
	BRIDGE_ACK_RETRY,		/* not stored, try again (failover, timeout) */
	BRIDGE_ACK_TOO_LARGE,		/* never storable: larger than the broker takes */
	BRIDGE_ACK_FATAL,		/* never storable: configuration, permissions */
};

struct broker;

/* Called by a broker's wait_acks() for each answer; @tag is publish()'s. */
typedef void (*bridge_ack_fn)(void *ctx, uint64_t tag, enum bridge_ack ack,
			      bool duplicate, const char *why);

struct broker_ops {
	const char *name;			/* "nats", "kafka" */
	/*
	 * The client answers every publish itself, retrying until its own
	 * limit (librdkafka's delivery reports): the core sets no time limit,
	 * since sending again would only add copies behind the originals.
	 */
	bool answers_every_publish;
	/*
	 * Connect and check that the stream or topic exists; nothing has been
	 * taken from the channel yet.  Returns a BRIDGE_EXIT_* status and a
	 * message in @err on failure.
	 */
	int (*open)(struct broker *b, bool outbound, char *err, size_t errlen);
	/* Outbound: send @m, tagged @tag; @prev the message published just
	 * before it in channel order during this run (NULL: none). */
	int (*publish)(struct broker *b, const struct bridge_msg *m,
		       const struct bridge_msg *prev, uint64_t tag,
		       const char *source);
	/* Outbound: wait up to @timeout_ms for answers, report each. */
	void (*wait_acks)(struct broker *b, int timeout_ms, bridge_ack_fn fn, void *ctx);
	/* Inbound: fetch up to @max messages into @out; returns how many, or
	 * -1 with @err set on a failure that stops the bridge. */
	int (*fetch)(struct broker *b, struct bridge_msg *out, int max, int timeout_ms,
		     char *err, size_t errlen);
	/* Inbound: the channel accepted @m: acknowledge or commit it. */
	void (*done)(struct broker *b, struct bridge_msg *m);
	/* Inbound: the channel is full; keep @n fetched messages from being
	 * redelivered meanwhile (in-progress acks, paused fetching). */
	void (*hold)(struct broker *b, struct bridge_msg *m, int n);
	/* Inbound: the channel is full no more. */
	void (*resume)(struct broker *b);
	/* Inbound: give @m back unsent (shutdown). */
	void (*give_back)(struct broker *b, struct bridge_msg *m);
	/* Free what fetch() allocated for @m (its handle, its data). */
	void (*release)(struct broker *b, struct bridge_msg *m);
	/* Flush and commit what is done, disconnect. */
	void (*close)(struct broker *b);
};

struct bridge_stats;

struct broker {
	const struct broker_ops *ops;
	const struct bridge_url *url;
	struct bridge_stats *stats;
	const char *client;		/* a name for the connection */
	unsigned int window;		/* max messages in flight */
	int timeout_ms;			/* broker answer time limit */
	void *priv;
};

extern const struct broker_ops bridge_nats_ops;
extern const struct broker_ops bridge_kafka_ops;

/* Figures (stats.c). */
struct bridge_stats {
	uint64_t out;			/* channel -> broker, acknowledged by the broker */
	uint64_t in;			/* broker -> channel, accepted by the channel */
	uint64_t inflight;		/* published or fetched, not yet settled */
	uint64_t retries;		/* publishes sent again */
	uint64_t duplicates;		/* publishes the broker had already stored */
	uint64_t reconnects;		/* connections re-established */
	uint64_t dead;			/* messages sent to the dead-letter channel */
	uint64_t held_ns;		/* inbound: time blocked on a full channel */
	uint64_t lat_count;		/* broker latency: publish to ack, or */
	uint64_t lat_sum_ns;		/*   fetch to channel acceptance */
	uint64_t lat_max_ns;
};

void bridge_stats_latency(struct bridge_stats *st, uint64_t ns);
/* Print/write figures when due (every @interval s); @final: now, last time. */
void bridge_stats_tick(struct bridge_stats *st, bool final);
void bridge_stats_setup(struct bridge_stats *st, const char *direction,
			unsigned int interval, const char *metrics_file);

uint64_t bridge_now_ns(void);

/* Options shared by both directions (main.c). */
struct bridge_opts {
	const char *channel;		/* the local channel's name */
	const char *dead_letter;	/* channel for unbridgeable messages, or NULL */
	unsigned int window;		/* --window: messages in flight */
	int timeout_ms;			/* --timeout: broker answer limit */
	unsigned int drain_ms;		/* --drain: time to finish on SIGTERM */
	bool once;			/* --once: stop at the channel's end of stream */
};

extern volatile sig_atomic_t bridge_stopping;

int bridge_outbound(struct broker *b, const struct bridge_opts *o);
int bridge_inbound(struct broker *b, const struct bridge_opts *o);

void bridge_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
