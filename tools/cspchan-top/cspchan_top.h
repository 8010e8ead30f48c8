/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by cspchan_top.bpf.c and cspchan_top.c: the per-channel record in
 * the "channels" map, and the layout of the cspchan tracepoints' records.
 *
 * The includer provides __u32/__u64 (vmlinux.h, or <linux/types.h>).
 */
#ifndef CSPCHAN_TOP_H
#define CSPCHAN_TOP_H

/* CSPCHAN_NAME_MAX of <linux/cspchan.h>; cspchan_top.c asserts they agree. */
#define CHAN_NAME_LEN	64
/* log2 buckets of blocked microseconds: the last one holds 2^26 us and up. */
#define MAX_SLOTS	27
#define MAX_CHANNELS	10240

/* The op field of cspchan_block and cspchan_wake (kmod/trace.h). */
#define CSPCHAN_TRACE_SEND	1
#define CSPCHAN_TRACE_RECV	2

/* The event field of cspchan_lease (kmod/trace.h). */
#define CSPCHAN_LEASE_GRANTED	0	/* a delivery leased the message */
#define CSPCHAN_LEASE_ACKED	1	/* acknowledged: the message is done */
#define CSPCHAN_LEASE_RETURNED	2	/* nacked or its handle went: redelivered */
#define CSPCHAN_LEASE_REVOKED	3	/* lease_ms passed: redelivered */
#define CSPCHAN_LEASE_DEAD	4	/* max_deliveries: dead-lettered or dropped */
#define CSPCHAN_LEASE_EVENTS	5

/*
 * Everything seen of one channel since the tool attached, keyed by the
 * channel's system-wide id.  Counters only grow; user space computes rates
 * and interval histograms from the difference of two readings.
 */
struct chan_stats {
	__u64 sent;		/* cspchan_send events */
	__u64 received;		/* cspchan_recv events */
	__u64 send_blocks;	/* sends that parked (cspchan_wake, op send) */
	__u64 send_blocked_ns;	/* total time those sends were parked */
	__s64 senders_blocked;	/* parked now: block minus wake, op send; can
				 * be negative if the tool attached mid-wait */
	__u32 depth;		/* messages buffered, as of the last event */
	__u32 max_depth;	/* largest depth seen */
	__u32 capacity;
	__u32 destroyed;	/* cspchan_destroy seen: no event will follow */
	__u32 shut;		/* cspchan_shutdown seen */
	__u32 send_hist[MAX_SLOTS];	/* log2 of blocked us, per parked send */
	char name[CHAN_NAME_LEN];	/* "" for an anonymous channel */
	/* Lease channels (cspchan_lease): */
	__u64 lease_events[CSPCHAN_LEASE_EVENTS];	/* by event */
	__u64 redelivered;	/* granted with deliveries > 1 */
	__u32 leased;		/* leased, as of the last lease event */
	__u32 max_deliveries;	/* most deliveries of one message seen */
	/* Paced channels (cspchan_throttle): */
	__u64 throttles;	/* receivers that found messages but no token */
	__u64 throttle_wait_ns;	/* the waits for a token they were told */
	__u32 cap_unknown;	/* created from an event without capacity */
	__u32 pad;
};

/*
 * The tracepoints' records, as /sys/kernel/tracing/events/cspchan/<event>/
 * format lists them for kmod/trace.h.  The module has no BTF, so these are
 * written by hand; the offsets are asserted below and checked against the
 * format files at run time by cspchan_top.c.
 */

/* The common part of every trace record (the kernel's struct trace_entry). */
struct cspchan_trace_common {
	unsigned short common_type;
	unsigned char common_flags;
	unsigned char common_preempt_count;
	int common_pid;
};

/* Class cspchan_chan: cspchan_create, cspchan_destroy, cspchan_shutdown. */
struct trace_event_raw_cspchan_chan {
	struct cspchan_trace_common ent;
	__u64 id;
	char name[CHAN_NAME_LEN];
	__u32 depth;
	__u32 capacity;
};

/* Event class cspchan_msg: cspchan_send, cspchan_recv. */
struct trace_event_raw_cspchan_msg {
	struct cspchan_trace_common ent;
	__u64 id;
	char name[CHAN_NAME_LEN];
	__u32 depth;
	__u32 capacity;
	__u32 len;
	__u64 seq;
};

struct trace_event_raw_cspchan_block {
	struct cspchan_trace_common ent;
	__u64 id;
	char name[CHAN_NAME_LEN];
	__u32 depth;
	__u32 capacity;
	int op;
};

struct trace_event_raw_cspchan_wake {
	struct cspchan_trace_common ent;
	__u64 id;
	char name[CHAN_NAME_LEN];
	__u32 depth;
	__u32 capacity;
	int op;
	int ret;
	__u64 blocked_ns;
};

/* A receiver found messages but no token (paced channels). */
struct trace_event_raw_cspchan_throttle {
	struct cspchan_trace_common ent;
	__u64 id;
	char name[CHAN_NAME_LEN];
	__u32 depth;
	__u32 rate;
	__u64 wait_ns;
};

/* A lease was granted or ended (lease channels). */
struct trace_event_raw_cspchan_lease {
	struct cspchan_trace_common ent;
	__u64 id;
	char name[CHAN_NAME_LEN];
	__u32 depth;
	__u32 leased;
	__u64 seq;
	__u64 lease;
	__u32 deliveries;
	int event;
};

#define CSPCHAN_TRACE_ASSERT(type, field, off)				\
	_Static_assert(__builtin_offsetof(struct type, field) == (off),	\
		       #type "." #field " is not at offset " #off)

/* The fields every event has, at the same place in each record. */
#define CSPCHAN_TRACE_ASSERT_HEAD(type)			\
	CSPCHAN_TRACE_ASSERT(type, id, 8);		\
	CSPCHAN_TRACE_ASSERT(type, name, 16);		\
	CSPCHAN_TRACE_ASSERT(type, depth, 80);		\
	CSPCHAN_TRACE_ASSERT(type, capacity, 84)

_Static_assert(sizeof(struct cspchan_trace_common) == 8,
	       "the common fields of a trace record take 8 bytes");
CSPCHAN_TRACE_ASSERT_HEAD(trace_event_raw_cspchan_chan);
CSPCHAN_TRACE_ASSERT_HEAD(trace_event_raw_cspchan_msg);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_msg, len, 88);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_msg, seq, 96);
CSPCHAN_TRACE_ASSERT_HEAD(trace_event_raw_cspchan_block);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_block, op, 88);
CSPCHAN_TRACE_ASSERT_HEAD(trace_event_raw_cspchan_wake);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_wake, op, 88);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_wake, ret, 92);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_wake, blocked_ns, 96);
/* These two have no capacity: rate and leased take its place. */
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_throttle, id, 8);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_throttle, name, 16);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_throttle, depth, 80);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_throttle, rate, 84);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_throttle, wait_ns, 88);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_lease, id, 8);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_lease, name, 16);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_lease, depth, 80);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_lease, leased, 84);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_lease, seq, 88);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_lease, lease, 96);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_lease, deliveries, 104);
CSPCHAN_TRACE_ASSERT(trace_event_raw_cspchan_lease, event, 108);

#endif /* CSPCHAN_TOP_H */
