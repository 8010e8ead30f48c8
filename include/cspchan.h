/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libcspchan: the C API over /dev/cspchan.
 *
 * Every function returns a value >= 0 on success and -errno on failure,
 * and also sets errno.  A channel handle is an ordinary descriptor:
 * read(2)/write(2) on it behave exactly as cspchan_recv()/cspchan_send().
 *
 * Link with -lcspchan (pkg-config cspchan).  libcspchan needs only the C
 * library: neither liburing nor a thread library.
 */
#ifndef CSPCHAN_H
#define CSPCHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/cspchan.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CSPCHAN_VERSION_MAJOR	0
#define CSPCHAN_VERSION_MINOR	6

/*
 * struct cspchan_attr, struct cspchan_msginfo and struct cspchan_stat only
 * ever grow at their end, and a new field left zero means the old
 * behaviour.  A program built against an older <cspchan.h> keeps its
 * smaller structures: the library's symbol versions give it the functions
 * of its own release (cspchan_create@CSPCHAN_0.1, ...).
 */

/* cspchan_select() operations */
#define CSPCHAN_SEND	CSPCHAN_OP_SEND
#define CSPCHAN_RECV	CSPCHAN_OP_RECV

struct cspchan_attr {
	unsigned int capacity;	/* buffered messages; 0 = unbuffered */
	unsigned int msg_size;	/* largest message in bytes */
	unsigned int mode;	/* permission bits of a named channel */
	unsigned int flags;	/* CSPCHAN_AUTOCLOSE, _LEASE, _REPLY, _RELAY (0.5) */
	/* Since 0.4: */
	unsigned int max_deliveries;	/* CSPCHAN_LEASE: 0 = unlimited, else dead-letter after */
	unsigned int lease_ms;		/* CSPCHAN_LEASE: 0 = leases never expire */
	unsigned int rate;		/* messages/s out, 0 = unpaced; needs capacity >= 1 */
	unsigned int burst;		/* token bucket size, 0 means 1; ignored when unpaced */
};

struct cspchan_msginfo {
	uint64_t seq;		/* per-channel sequence number, from 0 */
	pid_t pid;		/* sender's process id in the receiver's pid namespace */
	uint64_t sent_ns;	/* CLOCK_MONOTONIC time of the send, ns */
	/* Since 0.4: */
	uint64_t lease;		/* for cspchan_ack()/cspchan_nack(); 0 without leases */
	unsigned int deliveries;	/* deliveries of this message: 1 the first time */
	int fd;			/* reply channel the message carried (a new send-only,
				 * close-on-exec descriptor), or -1 */
};

struct cspchan_stat {
	uint64_t id;		/* system-wide channel id */
	unsigned int capacity;
	unsigned int msg_size;
	unsigned int depth;		/* messages buffered now */
	unsigned int senders_waiting;
	unsigned int receivers_waiting;
	int shut;			/* 1 once shut down */
	int autoclose;			/* created with CSPCHAN_AUTOCLOSE */
	uint64_t sent;			/* messages sent, total */
	uint64_t received;		/* messages received, total */
	unsigned int high_water;	/* largest depth seen */
	unsigned int mode;
	char name[CSPCHAN_NAME_MAX];	/* "" when anonymous */
	/* Since 0.4 (0 from a module without leases): */
	unsigned int leased;		/* messages leased now (not in depth) */
	uint64_t redelivered;		/* deliveries after a message's first */
	uint64_t dead;			/* messages dead-lettered or dropped */
	unsigned int rate;		/* messages/s; 0: unpaced */
	unsigned int burst;		/* token bucket size; 0 when unpaced */
	uint64_t throttled_ns;		/* receivers' waits for a token, summed */
	unsigned int max_deliveries;	/* 0: unlimited */
	unsigned int lease_ms;		/* 0: leases never expire */
	int lease;			/* created with CSPCHAN_LEASE */
	uint64_t dead_letter;		/* id of the dead-letter channel, or 0 */
	int reply;			/* created with CSPCHAN_REPLY */
};

struct cspchan_case {
	int fd;			/* channel handle, or -1: never ready */
	int op;			/* CSPCHAN_SEND or CSPCHAN_RECV */
	void *buf;
	size_t len;
	ssize_t result;		/* chosen case: bytes, 0 end of stream, or -EPIPE */
};

int cspchan_create(const char *name, const struct cspchan_attr *attr, int oflags);
int cspchan_open(const char *name, int oflags);
int cspchan_unlink(const char *name);
ssize_t cspchan_send(int ch, const void *msg, size_t len);
ssize_t cspchan_recv(int ch, void *buf, size_t len);
ssize_t cspchan_send_timeout(int ch, const void *msg, size_t len, int timeout_ms);
ssize_t cspchan_recv_timeout(int ch, void *buf, size_t len, int timeout_ms);
ssize_t cspchan_recvmsg(int ch, void *buf, size_t len, struct cspchan_msginfo *info);
int cspchan_shutdown(int ch);
int cspchan_stat(int ch, struct cspchan_stat *st);
int cspchan_select(struct cspchan_case *cases, unsigned int n, int timeout_ms);
/* As cspchan_select(), but the ready case with the lowest index wins. */
int cspchan_select_prio(struct cspchan_case *cases, unsigned int n, int timeout_ms);

/*
 * Leases (since 0.4), on channels created with CSPCHAN_LEASE: end the
 * lease cspchan_recvmsg() returned in info->lease, the message done with
 * (ack) or back to the head of the channel for redelivery (nack).
 */
int cspchan_ack(int ch, uint64_t lease);
int cspchan_nack(int ch, uint64_t lease);
/* Where messages go after max_deliveries: a send-capable handle, or -1. */
int cspchan_set_deadletter(int ch, int dlq);

/*
 * Paced channels (since 0.4): at most @rate messages per second leave the
 * channel, summed over all its receivers, in bursts of up to @burst (0
 * means 1); @rate 0 removes the limit.  The bucket starts full.
 */
int cspchan_set_rate(int ch, unsigned int rate, unsigned int burst);

/*
 * Busy polling (since 0.6, CSPCHAN_FEAT_BUSY_POLL): before a blocking
 * send, receive, acquire or take on the handle @ch sleeps, it spins for up
 * to @usecs microseconds while the task on the other side runs on another
 * CPU; 0 turns it off.  Per handle (open file description), at most the
 * module parameter max_busy_poll_us.  The previous budget goes to
 * *@old_usecs unless it is NULL.
 */
int cspchan_set_busy_poll(int ch, unsigned int usecs, unsigned int *old_usecs);

/*
 * Reply channels (since 0.4, CSPCHAN_FEAT_REPLY).  cspchan_sendmsg() sends
 * a message that carries the CSPCHAN_REPLY channel @reply_fd (-1: none);
 * cspchan_recvmsg() installs it in info->fd.  cspchan_call() sends @req
 * with a fresh reply channel and waits for the reply, @timeout_ms (<0:
 * forever) covering the whole call: the reply's length, -ETIMEDOUT, or
 * -ECONNRESET when the request was dropped without a reply.
 */
ssize_t cspchan_sendmsg(int ch, const void *msg, size_t len, int reply_fd);
ssize_t cspchan_call(int ch, const void *req, size_t len, void *reply,
		     size_t reply_len, int timeout_ms);

/*
 * Relay channels (since 0.5, CSPCHAN_FEAT_RELAY), created with
 * CSPCHAN_RELAY: cspchan_relay() sends a message that carries
 * @origin->seq, ->pid and ->sent_ns (a bridge restoring what a channel on
 * another machine stamped) instead of the kernel's stamp.  EINVAL on any
 * other channel, with nothing sent.  The pid reaches every receiver as
 * given: it is not translated between pid namespaces.
 */
ssize_t cspchan_relay(int ch, const void *msg, size_t len,
		      const struct cspchan_msginfo *origin);

/* Module limits and implemented features (struct cspchan_features). */
int cspchan_features(struct cspchan_features *f);

/*
 * Zero-copy (since 0.2).  A handle maps its channel's slot arena; a sender
 * acquires a slot, writes the message in place and commits it; a receiver
 * takes the next message as a slot, reads it in place and releases it.
 * The kernel keeps slot ownership (per open file description) and lengths.
 */
struct cspchan_arena {
	void *base;		/* the mapping, NULL when unmapped */
	size_t size;		/* bytes mapped: the whole arena */
	unsigned int slot_size;	/* bytes between slots */
	unsigned int nr_slots;	/* slots in the arena */
	unsigned int msg_size;	/* largest message: usable bytes of a slot */
	int prot;		/* PROT_READ, or PROT_READ | PROT_WRITE */
};

int cspchan_arena_map(int ch, struct cspchan_arena *arena, int prot);
int cspchan_arena_unmap(struct cspchan_arena *arena);
int cspchan_acquire(int ch, int timeout_ms);
ssize_t cspchan_commit(int ch, unsigned int slot, size_t len, int timeout_ms);
ssize_t cspchan_take(int ch, struct cspchan_slot_info *info, int timeout_ms);
int cspchan_release(int ch, unsigned int slot);

/* The first byte of @slot in a mapped arena, or NULL if out of range. */
static inline void *cspchan_slot_ptr(const struct cspchan_arena *arena,
				     unsigned int slot)
{
	if (!arena->base || slot >= arena->nr_slots)
		return NULL;
	return (char *)arena->base + (size_t)slot * arena->slot_size;
}

/*
 * The pipeline stage runner, cspchan_stage_run(), is not part of
 * libcspchan: it is declared in <cspchan-stage.h> and lives in
 * libcspchan-stage (-lcspchan-stage, pkg-config cspchan-stage).
 */

#ifdef __cplusplus
}
#endif

#endif /* CSPCHAN_H */
