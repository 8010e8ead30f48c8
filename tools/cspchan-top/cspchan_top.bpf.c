// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-top, kernel side: per-channel counters from the cspchan module's
 * tracepoints (kmod/trace.h), in one hash map keyed by channel id.
 *
 * Every event carries the channel's id, name, depth and capacity, so the
 * first event seen of a channel (whatever its kind) creates its record,
 * and channels created before the tool attached are shown as well.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "cspchan_top.h"

/* --name: count only the channel of this name. */
const volatile bool filter_name = false;
const volatile char targ_name[CHAN_NAME_LEN] = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_CHANNELS);
	__type(key, __u64);
	__type(value, struct chan_stats);
} channels SEC(".maps");

static struct chan_stats zero;

static __always_inline __u64 log2_u32(__u32 v)
{
	__u32 shift, r;

	r = (v > 0xFFFF) << 4;
	v >>= r;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u64 log2_u64(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? log2_u32(hi) + 32 : log2_u32(v);
}

static __always_inline bool name_wanted(const char name[CHAN_NAME_LEN])
{
	int i;

	if (!filter_name)
		return true;
	for (i = 0; i < CHAN_NAME_LEN; i++) {
		if (name[i] != targ_name[i])
			return false;
		if (!name[i])
			break;
	}
	return true;
}

/*
 * The record of channel @id, created on first sight.  The name is copied
 * out of the trace record (fixed offsets, as context access requires)
 * before it is compared with a variable index.  The lease and throttle
 * events carry no capacity (@has_capacity false): a record they create
 * takes it from the channel's next other event.  NULL: filtered out, or
 * the map is full.
 */
static __always_inline struct chan_stats *
chan_stats_get(__u64 id, const char *ctx_name, __u32 capacity,
	       bool has_capacity)
{
	struct chan_stats *st;
	char name[CHAN_NAME_LEN];

	st = bpf_map_lookup_elem(&channels, &id);
	if (st) {
		if (has_capacity && st->cap_unknown) {
			st->capacity = capacity;
			st->cap_unknown = 0;
		}
		return st;
	}
	__builtin_memcpy(name, ctx_name, sizeof(name));
	if (!name_wanted(name))
		return NULL;
	bpf_map_update_elem(&channels, &id, &zero, BPF_NOEXIST);
	st = bpf_map_lookup_elem(&channels, &id);
	if (!st)
		return NULL;
	__builtin_memcpy(st->name, name, sizeof(name));
	st->capacity = capacity;
	st->cap_unknown = !has_capacity;
	return st;
}

/*
 * Depth as of this event.  Events of one channel are emitted under its
 * lock, but two CPUs may store theirs here in either order; the next event
 * corrects it, and max_depth may miss a peak only in such a race.
 */
static __always_inline void note_depth(struct chan_stats *st, __u32 depth)
{
	st->depth = depth;
	if (depth > st->max_depth)
		st->max_depth = depth;
}

/* The fields every cspchan record starts with, for the helpers above. */
#define CHAN_STATS(ctx) chan_stats_get((ctx)->id, (ctx)->name, (ctx)->capacity, true)

SEC("tracepoint/cspchan/cspchan_create")
int handle_create(struct trace_event_raw_cspchan_chan *ctx)
{
	struct chan_stats *st = CHAN_STATS(ctx);

	if (st)
		note_depth(st, ctx->depth);
	return 0;
}

SEC("tracepoint/cspchan/cspchan_shutdown")
int handle_shutdown(struct trace_event_raw_cspchan_chan *ctx)
{
	struct chan_stats *st = CHAN_STATS(ctx);

	if (st) {
		note_depth(st, ctx->depth);
		st->shut = 1;
	}
	return 0;
}

/* User space reports the channel once more, then deletes its record. */
SEC("tracepoint/cspchan/cspchan_destroy")
int handle_destroy(struct trace_event_raw_cspchan_chan *ctx)
{
	__u64 id = ctx->id;
	struct chan_stats *st = bpf_map_lookup_elem(&channels, &id);

	if (st) {
		note_depth(st, ctx->depth);
		st->destroyed = 1;
	}
	return 0;
}

SEC("tracepoint/cspchan/cspchan_send")
int handle_send(struct trace_event_raw_cspchan_msg *ctx)
{
	struct chan_stats *st = CHAN_STATS(ctx);

	if (st) {
		__sync_fetch_and_add(&st->sent, 1);
		note_depth(st, ctx->depth);
	}
	return 0;
}

SEC("tracepoint/cspchan/cspchan_recv")
int handle_recv(struct trace_event_raw_cspchan_msg *ctx)
{
	struct chan_stats *st = CHAN_STATS(ctx);

	if (st) {
		__sync_fetch_and_add(&st->received, 1);
		note_depth(st, ctx->depth);
	}
	return 0;
}

SEC("tracepoint/cspchan/cspchan_block")
int handle_block(struct trace_event_raw_cspchan_block *ctx)
{
	struct chan_stats *st = CHAN_STATS(ctx);

	if (!st)
		return 0;
	note_depth(st, ctx->depth);
	if (ctx->op == CSPCHAN_TRACE_SEND)
		__sync_fetch_and_add(&st->senders_blocked, 1);
	return 0;
}

SEC("tracepoint/cspchan/cspchan_wake")
int handle_wake(struct trace_event_raw_cspchan_wake *ctx)
{
	struct chan_stats *st = CHAN_STATS(ctx);
	__u64 slot;

	if (!st)
		return 0;
	note_depth(st, ctx->depth);
	if (ctx->op != CSPCHAN_TRACE_SEND)
		return 0;
	__sync_fetch_and_add(&st->senders_blocked, -1);
	__sync_fetch_and_add(&st->send_blocks, 1);
	__sync_fetch_and_add(&st->send_blocked_ns, ctx->blocked_ns);
	slot = log2_u64(ctx->blocked_ns / 1000);
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	__sync_fetch_and_add(&st->send_hist[slot], 1);
	return 0;
}

/*
 * Lease channels (SPEC 9).  Modules without leases lack this tracepoint:
 * user space then leaves the program unloaded (and shows "-").
 */
SEC("tracepoint/cspchan/cspchan_lease")
int handle_lease(struct trace_event_raw_cspchan_lease *ctx)
{
	struct chan_stats *st = chan_stats_get(ctx->id, ctx->name, 0, false);
	__u32 event = ctx->event, deliveries = ctx->deliveries;
	__u32 leased = ctx->leased;

	if (!st)
		return 0;
	note_depth(st, ctx->depth);
	if (event >= CSPCHAN_LEASE_EVENTS)
		return 0;
	__sync_fetch_and_add(&st->lease_events[event], 1);
	if (event == CSPCHAN_LEASE_GRANTED) {
		if (deliveries > 1)
			__sync_fetch_and_add(&st->redelivered, 1);
		if (deliveries > st->max_deliveries)
			st->max_deliveries = deliveries;
	}
	/* An acknowledgement is traced just before its lease ends. */
	if (event == CSPCHAN_LEASE_ACKED && leased)
		leased--;
	st->leased = leased;
	return 0;
}

/* Paced channels (SPEC 11): a receiver found messages but no token. */
SEC("tracepoint/cspchan/cspchan_throttle")
int handle_throttle(struct trace_event_raw_cspchan_throttle *ctx)
{
	struct chan_stats *st = chan_stats_get(ctx->id, ctx->name, 0, false);

	if (!st)
		return 0;
	note_depth(st, ctx->depth);
	__sync_fetch_and_add(&st->throttles, 1);
	__sync_fetch_and_add(&st->throttle_wait_ns, ctx->wait_ns);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
