/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cspchan chaos soak: shared declarations.
 *
 * One orchestrator process (soak.c) creates K named channels, forks N
 * producer and M consumer processes ("participants") and, while they run,
 * SIGKILLs and restarts random participants and replaces channels by a new
 * generation (unlink, create, shut the old one down).  Every participant
 * picks a transport when it starts: copy (read/write, ioctls), zero-copy
 * (mmap arena + acquire/commit, take/release), io_uring commands, or
 * select.
 *
 * The ledger (ledger.c) lives in one MAP_SHARED anonymous mapping that all
 * processes inherit.  It holds one byte per message id:
 *
 *	LEDGER_ATTEMPT	set by the sender before the send call starts
 *	LEDGER_SENT	set after the send call returned success
 *	LEDGER_FAILED	set after the send call returned failure
 *	bits 3..7	times the message was received (saturating at 31)
 *
 * and, per participant, how many messages it may hold without having
 * recorded them yet (may_hold: set before a receive call, lowered as each
 * received message is recorded).  When a participant dies, its may_hold is
 * what its death may have destroyed; the orchestrator sums it into the
 * loss bound.  A message whose sender died between ATTEMPT and SENT/FAILED
 * may or may not have been sent: it may arrive at most once.
 */
#ifndef CSPCHAN_SOAK_H
#define CSPCHAN_SOAK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <cspchan.h>

#define SOAK_MAX_CHANS		8
#define SOAK_MAX_PARTS		32
#define SOAK_MAX_GENS		65536	/* channel generations remembered */

/* Every message starts with this header; its length is random in [32, msg_size]. */
struct soak_hdr {
	uint32_t magic;
	uint32_t len;		/* the whole message, header included */
	uint64_t id;		/* (sender index + 1) << 40 | seq */
	uint64_t chan_id;	/* system-wide id of the channel generation it was sent on */
	uint64_t sum;		/* FNV-1a 64 of the message with this field zero */
};

#define SOAK_MAGIC		0x534f414bU	/* "SOAK" */
#define SOAK_HDR_SIZE		((unsigned int)sizeof(struct soak_hdr))
#define SOAK_ID_SHIFT		40
#define SOAK_RECV_BUF		(1U << 16)	/* larger than any msg_size used */

#define LEDGER_ATTEMPT		0x01
#define LEDGER_SENT		0x02
#define LEDGER_FAILED		0x04
#define LEDGER_RECV_ONE		0x08
#define LEDGER_RECV_SHIFT	3

enum soak_role { ROLE_PRODUCER, ROLE_CONSUMER };

enum soak_transport {
	T_COPY,		/* write/read, send_timeout/recv_timeout, recvmsg */
	T_ZEROCOPY,	/* acquire/commit, take/release ioctls on the mapped arena */
	T_URING,	/* io_uring: slot commands (single, vectored), READ/WRITE */
	T_SELECT,	/* cspchan_select over every channel */
	T_NR,
	T_DRAIN = T_NR,	/* the orchestrator draining a retired generation */
	T_NR_ALL,
};

/* What a participant is blocked in (struct soak_part.busy_op), for hang reports. */
enum soak_op {
	OP_NONE, OP_OPEN, OP_SEND, OP_RECV, OP_ACQUIRE, OP_COMMIT, OP_TAKE,
	OP_RELEASE, OP_SELECT, OP_URING_WAIT, OP_URING_DRAIN, OP_NR,
};

/* One participant slot; each incarnation (process) of it writes its own. */
struct soak_part {
	int role;			/* enum soak_role, fixed */
	int transport;			/* enum soak_transport of this incarnation */
	int variant;			/* transport sub-mode, for the report */
	pid_t pid;			/* orchestrator */
	unsigned int incarnation;	/* orchestrator */
	uint64_t next_seq;		/* next message seq of this sender index */
	uint32_t may_hold;		/* messages possibly held, unrecorded */
	uint32_t may_hold_k[SOAK_MAX_CHANS];	/* the same, per channel index */
	uint32_t inflight;		/* io_uring commands in flight */
	uint64_t busy_since;		/* CLOCK_MONOTONIC ns of the call in progress, 0 */
	int busy_op;			/* enum soak_op */
	int hang_reported;		/* orchestrator */
};

/* One channel index and its current generation. */
struct soak_chan {
	char name[CSPCHAN_NAME_MAX];
	uint64_t gen;			/* generations created so far */
};

struct soak_counters {
	uint64_t sent[T_NR_ALL];	/* sends that returned success */
	uint64_t received[T_NR_ALL];	/* messages recorded */
	uint64_t corrupt;		/* bad header, length or checksum */
	uint64_t misdelivered;		/* arrived on another channel generation */
	uint64_t unknown;		/* id never allocated */
	uint64_t dup_live;		/* duplicates noticed while recording */
	uint64_t errors;		/* unexpected results of calls */
	uint64_t eintr;			/* EINTR without a signal (known: io_uring task work) */
	uint64_t eos;			/* end of stream / EPIPE seen, handle reopened */
	uint64_t uring_mismatch;	/* completions for requests not in flight */
	uint64_t exhausted;		/* ids refused: a sender index used up its seq space */
};

struct soak_ledger {
	uint64_t seed;
	uint64_t start_ns;
	unsigned int nprod, ncons, nchans;
	uint64_t ids_per_part;		/* seq space of each sender index */
	int stop_producers;
	int stop_consumers;
	int skip_known;			/* avoid paths of known, open kernel defects */
	int fault;			/* SOAK_FAULTS builds: injected checker fault */
	uint64_t fault_events;		/* SOAK_FAULTS builds: events counted */
	struct soak_chan chans[SOAK_MAX_CHANS];
	struct soak_part parts[SOAK_MAX_PARTS];
	struct soak_counters c;
	uint8_t *chan_of;		/* per message id: the channel index it was sent to */
	uint8_t state[];		/* nparts * ids_per_part message bytes */
};

/* Injected faults (only in a -DSOAK_FAULTS build): the checker must fail. */
enum soak_fault { FAULT_NONE, FAULT_DROP, FAULT_DUP, FAULT_CORRUPT, FAULT_PHANTOM };

extern struct soak_ledger *L;

/* ---- small helpers ---------------------------------------------------- */

static inline uint64_t soak_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void soak_sleep_ms(unsigned int ms);

/* xorshift64*: each process has its own stream. */
uint64_t soak_rand(void);
void soak_rand_seed(uint64_t seed);
static inline unsigned int soak_rand_below(unsigned int n)
{
	return n ? (unsigned int)(soak_rand() % n) : 0;
}

static inline unsigned int nparts(void)
{
	return L->nprod + L->ncons;
}

#define ATOMIC_ADD(p, v)	__atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define ATOMIC_LOAD(p)		__atomic_load_n((p), __ATOMIC_SEQ_CST)
#define ATOMIC_STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_SEQ_CST)

/* Log one line to stderr, prefixed "# " (TAP diagnostics). */
void soak_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Count an unexpected call result of participant @me and log the first ones. */
void soak_error(int me, const char *what, long ret);

/* Mark participant @me busy in @op (0: not busy). */
static inline void soak_busy(int me, int op)
{
	struct soak_part *p = &L->parts[me];

	if (op == OP_NONE) {
		ATOMIC_STORE(&p->busy_since, 0);
		p->busy_op = OP_NONE;
	} else {
		p->busy_op = op;
		ATOMIC_STORE(&p->busy_since, soak_now_ns());
	}
}

extern const char *const soak_transport_names[T_NR_ALL];
extern const char *const soak_op_names[OP_NR];

/* ---- ledger.c ----------------------------------------------------------- */

struct soak_ledger *ledger_create(unsigned int nprod, unsigned int ncons,
				  unsigned int nchans, uint64_t ids_per_part);

/*
 * Allocate the next id of sender index @me; 0 when its seq space is used up.
 * The id is not attempted yet: ledger_attempt() marks it just before the send.
 */
uint64_t ledger_alloc(int me);
void ledger_attempt(uint64_t id, unsigned int k);
void ledger_sent(uint64_t id, int transport);
void ledger_failed(uint64_t id);

/* Build message @id of @len bytes for channel generation @chan_id in @buf. */
void msg_fill(void *buf, unsigned int len, uint64_t id, uint64_t chan_id);
/* A random length for a channel of @msg_size bytes. */
unsigned int msg_len(unsigned int msg_size);

/*
 * Check and record one received message (@len bytes at @buf, received on
 * generation @chan_id by @transport).  Returns 0 if it was recorded.
 */
int ledger_receive(const void *buf, size_t len, uint64_t chan_id, int transport);

struct soak_verdict {
	uint64_t attempted, sent, failed, killed_senders;
	uint64_t delivered;		/* distinct messages received */
	uint64_t killed_sender_delivered;
	uint64_t lost;			/* sent, never received */
	uint64_t lost_k[SOAK_MAX_CHANS];	/* the same, per channel index */
	uint64_t dups;			/* extra receptions */
	uint64_t phantoms;		/* failed sends that were received */
	uint64_t unattempted;		/* received, never attempted */
};

void ledger_verdict(struct soak_verdict *v);

/* ---- participants ----------------------------------------------------- */

/*
 * A participant's handle of one channel generation.  Opened lazily by name;
 * closed when the generation reports end of stream or EPIPE (the next use
 * opens the name again, which is by then the next generation).
 */
struct soak_handle {
	int fd;				/* -1 when closed */
	unsigned int k;			/* channel index */
	uint64_t chan_id;
	unsigned int capacity;
	unsigned int msg_size;
	struct cspchan_arena arena;	/* mapped when the transport needs it */
	uint64_t retry_ns;		/* no open attempt before this time */
	unsigned int inflight;		/* io_uring: commands using it */
	bool dead;			/* io_uring: closes once inflight is 0 */
};

/* Open @h (channel @h->k) with @oflags and map it when @map; 0 or -errno. */
int handle_open(int me, struct soak_handle *h, int oflags, bool map);
void handle_close(struct soak_handle *h);
/* @h is open, or was opened now; false while the name is missing or shut. */
bool handle_ready(int me, struct soak_handle *h, int oflags, bool map);

void producer_run(int me);
void consumer_run(int me);
void uring_producer_run(int me);
void uring_consumer_run(int me);

/*
 * Before a receive call that may return up to @n messages of channel @k:
 * they are held, unrecorded, until hold_drop().
 */
static inline void hold_add(int me, unsigned int k, unsigned int n)
{
	ATOMIC_ADD(&L->parts[me].may_hold_k[k], n);
	ATOMIC_ADD(&L->parts[me].may_hold, n);
}

static inline void hold_drop(int me, unsigned int k, unsigned int n)
{
	ATOMIC_ADD(&L->parts[me].may_hold_k[k], -n);
	ATOMIC_ADD(&L->parts[me].may_hold, -n);
}

/* Record a message received by participant @me on @h; it is no longer held. */
static inline void part_received(int me, const void *buf, size_t len,
				 const struct soak_handle *h, int transport)
{
	ledger_receive(buf, len, h->chan_id, transport);
	hold_drop(me, h->k, 1);
}

#endif /* CSPCHAN_SOAK_H */
