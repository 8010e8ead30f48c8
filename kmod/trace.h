/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cspchan tracepoints: tracepoint:cspchan:* for perf, bpftrace and libbpf.
 *
 * Every event carries the channel's id and name, its depth after the
 * event and its capacity, so that a script needs no other state to show
 * queue depth and back-pressure.  Disabled tracepoints cost a static
 * branch; the one clock read they need (the start of a wait) is taken
 * only while cspchan_wake is enabled.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM cspchan

#if !defined(_CSPCHAN_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _CSPCHAN_TRACE_H

#include <linux/tracepoint.h>

#include "cspchan.h"
#include "slots.h"

/* The operation a task blocked in, for cspchan_block and cspchan_wake. */
#define CSPCHAN_TRACE_SEND	1
#define CSPCHAN_TRACE_RECV	2

/* What happened to a lease, for cspchan_lease. */
#define CSPCHAN_LEASE_GRANTED	0	/* a delivery leased the message */
#define CSPCHAN_LEASE_ACKED	1	/* acknowledged: the message is done */
#define CSPCHAN_LEASE_RETURNED	2	/* nacked or its handle went: redelivered */
#define CSPCHAN_LEASE_REVOKED	3	/* lease_ms passed: redelivered */
#define CSPCHAN_LEASE_DEAD	4	/* max_deliveries: dead-lettered or dropped */

DECLARE_EVENT_CLASS(cspchan_chan,
		    TP_PROTO(struct cspchan *ch),
		    TP_ARGS(ch),
		    TP_STRUCT__entry(__field(u64, id)
				     __array(char, name, CSPCHAN_NAME_MAX)
				     __field(u32, depth)
				     __field(u32, capacity)),
		    TP_fast_assign(__entry->id = ch->id;
				   memcpy(__entry->name, ch->name, CSPCHAN_NAME_MAX);
				   __entry->depth = cspchan_depth(ch);
				   __entry->capacity = ch->capacity;),
		    TP_printk("id=%llu name=%s depth=%u capacity=%u",
			      __entry->id,
			      __entry->name,
			      __entry->depth,
			      __entry->capacity)
);

DEFINE_EVENT(cspchan_chan, cspchan_create,
	     TP_PROTO(struct cspchan *ch),
	     TP_ARGS(ch));
DEFINE_EVENT(cspchan_chan, cspchan_destroy,
	     TP_PROTO(struct cspchan *ch),
	     TP_ARGS(ch));
DEFINE_EVENT(cspchan_chan, cspchan_shutdown,
	     TP_PROTO(struct cspchan *ch),
	     TP_ARGS(ch));

DECLARE_EVENT_CLASS(cspchan_msg,
		    TP_PROTO(struct cspchan *ch, u32 len, u64 seq),
		    TP_ARGS(ch, len, seq),
		    TP_STRUCT__entry(__field(u64, id)
				     __array(char, name, CSPCHAN_NAME_MAX)
				     __field(u32, depth)
				     __field(u32, capacity)
				     __field(u32, len)
				     __field(u64, seq)),
		    TP_fast_assign(__entry->id = ch->id;
				   memcpy(__entry->name, ch->name, CSPCHAN_NAME_MAX);
				   __entry->depth = cspchan_depth(ch);
				   __entry->capacity = ch->capacity;
				   __entry->len = len;
				   __entry->seq = seq;),
		    TP_printk("id=%llu name=%s depth=%u capacity=%u len=%u seq=%llu",
			      __entry->id,
			      __entry->name,
			      __entry->depth,
			      __entry->capacity,
			      __entry->len,
			      __entry->seq)
);

/* A message entered the channel's order (unbuffered: was taken). */
DEFINE_EVENT(cspchan_msg, cspchan_send,
	     TP_PROTO(struct cspchan *ch, u32 len, u64 seq),
	     TP_ARGS(ch, len, seq));
/* A message left the channel. */
DEFINE_EVENT(cspchan_msg, cspchan_recv,
	     TP_PROTO(struct cspchan *ch, u32 len, u64 seq),
	     TP_ARGS(ch, len, seq));

/* A task parks: the channel is full (send) or empty (recv). */
TRACE_EVENT(cspchan_block,
	    TP_PROTO(struct cspchan *ch, int op),
	    TP_ARGS(ch, op),
	    TP_STRUCT__entry(__field(u64, id)
			     __array(char, name, CSPCHAN_NAME_MAX)
			     __field(u32, depth)
			     __field(u32, capacity)
			     __field(int, op)),
	    TP_fast_assign(__entry->id = ch->id;
			   memcpy(__entry->name, ch->name, CSPCHAN_NAME_MAX);
			   __entry->depth = cspchan_depth(ch);
			   __entry->capacity = ch->capacity;
			   __entry->op = op;),
	    TP_printk("id=%llu name=%s depth=%u capacity=%u op=%s",
		      __entry->id,
		      __entry->name,
		      __entry->depth,
		      __entry->capacity,
		      __entry->op == CSPCHAN_TRACE_SEND ? "send" : "recv")
);

/* A parked task resumes, after blocked_ns, with ret (0 or -errno). */
TRACE_EVENT(cspchan_wake,
	    TP_PROTO(struct cspchan *ch, int op, u64 blocked_ns, int ret),
	    TP_ARGS(ch, op, blocked_ns, ret),
	    TP_STRUCT__entry(__field(u64, id)
			     __array(char, name, CSPCHAN_NAME_MAX)
			     __field(u32, depth)
			     __field(u32, capacity)
			     __field(int, op)
			     __field(int, ret)
			     __field(u64, blocked_ns)),
	    TP_fast_assign(__entry->id = ch->id;
			   memcpy(__entry->name, ch->name, CSPCHAN_NAME_MAX);
			   __entry->depth = cspchan_depth(ch);
			   __entry->capacity = ch->capacity;
			   __entry->op = op;
			   __entry->ret = ret;
			   __entry->blocked_ns = blocked_ns;),
	    TP_printk("id=%llu name=%s depth=%u capacity=%u op=%s blocked_ns=%llu ret=%d",
		      __entry->id,
		      __entry->name,
		      __entry->depth,
		      __entry->capacity,
		      __entry->op == CSPCHAN_TRACE_SEND ? "send" : "recv",
		      __entry->blocked_ns,
		      __entry->ret)
);

/* A receiver found messages but no token (paced channels, SPEC 11). */
TRACE_EVENT(cspchan_throttle,
	    TP_PROTO(struct cspchan *ch, u64 wait_ns),
	    TP_ARGS(ch, wait_ns),
	    TP_STRUCT__entry(__field(u64, id)
			     __array(char, name, CSPCHAN_NAME_MAX)
			     __field(u32, depth)
			     __field(u32, rate)
			     __field(u64, wait_ns)),
	    TP_fast_assign(__entry->id = ch->id;
			   memcpy(__entry->name, ch->name, CSPCHAN_NAME_MAX);
			   __entry->depth = cspchan_depth(ch);
			   __entry->rate = ch->rate;
			   __entry->wait_ns = wait_ns;),
	    TP_printk("id=%llu name=%s depth=%u rate=%u wait_ns=%llu",
		      __entry->id,
		      __entry->name,
		      __entry->depth,
		      __entry->rate,
		      __entry->wait_ns)
);

/* A lease was granted or ended (lease channels, SPEC 9). */
TRACE_EVENT(cspchan_lease,
	    TP_PROTO(struct cspchan *ch, u64 seq, u64 lease, u32 deliveries,
		     int event),
	    TP_ARGS(ch, seq, lease, deliveries, event),
	    TP_STRUCT__entry(__field(u64, id)
			     __array(char, name, CSPCHAN_NAME_MAX)
			     __field(u32, depth)
			     __field(u32, leased)
			     __field(u64, seq)
			     __field(u64, lease)
			     __field(u32, deliveries)
			     __field(int, event)),
	    TP_fast_assign(__entry->id = ch->id;
			   memcpy(__entry->name, ch->name, CSPCHAN_NAME_MAX);
			   __entry->depth = cspchan_depth(ch);
			   __entry->leased = ch->leased;
			   __entry->seq = seq;
			   __entry->lease = lease;
			   __entry->deliveries = deliveries;
			   __entry->event = event;),
	    TP_printk("id=%llu name=%s depth=%u leased=%u seq=%llu lease=%llu deliveries=%u event=%s",
		      __entry->id,
		      __entry->name,
		      __entry->depth,
		      __entry->leased,
		      __entry->seq,
		      __entry->lease,
		      __entry->deliveries,
		      __print_symbolic(__entry->event,
				       { CSPCHAN_LEASE_GRANTED, "granted" },
				       { CSPCHAN_LEASE_ACKED, "acked" },
				       { CSPCHAN_LEASE_RETURNED, "returned" },
				       { CSPCHAN_LEASE_REVOKED, "revoked" },
				       { CSPCHAN_LEASE_DEAD, "dead" }))
);

#endif /* _CSPCHAN_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
