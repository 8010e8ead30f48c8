// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-bench: a shared-memory single-producer/single-consumer ring —
 * the practical limit of cross-process messaging, for reference.
 *
 * The ring lives in a MAP_SHARED|MAP_ANONYMOUS mapping made before the
 * fork.  head (written only by the producer) and tail (written only by
 * the consumer) are free-running 64-bit counters; slot i is at i % n.
 * Publishing is a release store of the counter, observing an acquire
 * load, so a slot's contents are visible before its index is.
 *
 * A side that finds nothing to do spins briefly, then sleeps on a futex:
 * it sets its sleeping flag, issues a full fence, and re-checks the
 * counter before FUTEX_WAIT.  The other side, after publishing, issues a
 * full fence and reads the flag; only if it is set does it clear it and
 * call FUTEX_WAKE (the consumer waits until half the ring is free before
 * it wakes the producer).  The two fences order "flag set / counter read"
 * against "counter written / flag read" (Dekker), so either the sleeper
 * sees the new counter or the waker sees the flag: no lost wake-up, and
 * no system call at all while the peer is awake.
 *
 * Three table entries share the ring: "shm-ring" copies messages in and
 * out (as the kernel transports do), "shm-ring-zc" exercises the zero-copy
 * operations of struct transport (messages are written and read in place),
 * and "shm-ring-futex" copies but never spins: every wait is a futex sleep,
 * so its ping-pong is the cheapest blocking round trip this kernel has —
 * two futex wake-ups and nothing else — the floor under every facility
 * that sleeps (pipes, message queues, cspchan without busy-polling).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

/*
 * Polls before sleeping.  Spinning longer helps only when both sides have
 * a CPU of their own; on a busy (or emulated) machine the spinner burns
 * the time its peer needs.
 */
#ifndef RING_SPIN
#define RING_SPIN	200
#endif
#define CACHELINE	64

struct ring {
	_Alignas(CACHELINE) _Atomic uint64_t head;	/* producer: next slot to fill */
	_Atomic uint32_t rx_sleeping;			/* consumer's futex */
	_Alignas(CACHELINE) _Atomic uint64_t tail;	/* consumer: next slot to read */
	_Atomic uint32_t tx_sleeping;			/* producer's futex */
	_Alignas(CACHELINE) uint32_t nr_slots;
	uint32_t slot_size;
	int spin;				/* polls before sleeping */
	_Alignas(CACHELINE) unsigned char slots[];
};

struct slot {
	uint64_t len;
	unsigned char data[];
};

/* Per-process cached copies of the other side's counter (struct bchan.local). */
#define CACHED_TAIL	0	/* producer's view of tail */
#define CACHED_HEAD	1	/* consumer's view of head */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

static struct slot *ring_slot(struct ring *r, uint64_t i)
{
	return (struct slot *)(r->slots + (size_t)(i % r->nr_slots) * r->slot_size);
}

static int ring_create(struct bchan *c)
{
	size_t slot_size, len;
	struct ring *r;

	if (c->depth == 0)
		return -EOPNOTSUPP;
	slot_size = (sizeof(struct slot) + c->msg_size + CACHELINE - 1) &
		    ~(size_t)(CACHELINE - 1);
	len = sizeof(*r) + slot_size * c->depth;
	r = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	if (r == MAP_FAILED) {
		snprintf(c->note, sizeof(c->note), "mmap: %s", strerror(errno));
		return -errno;
	}
	memset(r, 0, len);	/* fault every page in now */
	r->nr_slots = c->depth;
	r->slot_size = (uint32_t)slot_size;
	r->spin = RING_SPIN;
	c->shm = r;
	c->shm_len = len;
	return 0;
}

/* "shm-ring-futex": the same ring, sleeping at once. */
static int ring_create_futex(struct bchan *c)
{
	int ret = ring_create(c);

	if (!ret)
		((struct ring *)c->shm)->spin = 0;
	return ret;
}

static void ring_destroy(struct bchan *c)
{
	if (c->shm)
		munmap(c->shm, c->shm_len);
	c->shm = NULL;
}

/*
 * Wait until `ready(r, c)` holds, spinning, then sleeping on *flag.
 * `counter` is the peer's counter the condition depends on.
 */
static void ring_wait(struct bchan *c, _Atomic uint64_t *counter,
		      _Atomic uint32_t *flag, uint64_t *cached,
		      bool (*ready)(const struct bchan *c, uint64_t val))
{
	int spin, max_spin = ((struct ring *)c->shm)->spin;

	for (spin = 0;; spin++) {
		*cached = atomic_load_explicit(counter, memory_order_acquire);
		if (ready(c, *cached))
			return;
		if (spin < max_spin) {
			cpu_relax();
			continue;
		}
		atomic_store_explicit(flag, 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
		*cached = atomic_load_explicit(counter, memory_order_acquire);
		if (ready(c, *cached)) {
			atomic_store_explicit(flag, 0, memory_order_relaxed);
			return;
		}
		futex_wait(flag, 1, NULL);	/* returns at once if the flag was cleared */
		spin = 0;
	}
}

/* After publishing: wake the peer only if it sleeps (or is about to). */
static void ring_kick(_Atomic uint32_t *flag)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(flag, memory_order_relaxed) &&
	    atomic_exchange_explicit(flag, 0, memory_order_relaxed))
		futex_wake(flag, 1);
}

static bool ring_has_space(const struct bchan *c, uint64_t tail)
{
	const struct ring *r = c->shm;
	uint64_t head = atomic_load_explicit(&((struct ring *)c->shm)->head,
					     memory_order_relaxed);

	return head - tail < r->nr_slots;
}

static bool ring_has_msg(const struct bchan *c, uint64_t head)
{
	uint64_t tail = atomic_load_explicit(&((struct ring *)c->shm)->tail,
					     memory_order_relaxed);

	return head != tail;
}

static void *ring_acquire(struct bchan *c, size_t len)
{
	struct ring *r = c->shm;
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (len > c->msg_size) {
		errno = EMSGSIZE;
		return NULL;
	}
	if (head - c->local[CACHED_TAIL] >= r->nr_slots)
		ring_wait(c, &r->tail, &r->tx_sleeping, &c->local[CACHED_TAIL],
			  ring_has_space);
	return ring_slot(r, head)->data;
}

static int ring_commit(struct bchan *c, void *data, size_t len)
{
	struct ring *r = c->shm;
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	struct slot *s = ring_slot(r, head);

	if (data != s->data)
		return -EINVAL;
	s->len = len;
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	ring_kick(&r->rx_sleeping);
	return 0;
}

static const void *ring_take(struct bchan *c, size_t *len)
{
	struct ring *r = c->shm;
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	struct slot *s;

	if (tail == c->local[CACHED_HEAD])
		ring_wait(c, &r->head, &r->rx_sleeping, &c->local[CACHED_HEAD],
			  ring_has_msg);
	s = ring_slot(r, tail);
	*len = s->len;
	return s->data;
}

static int ring_release(struct bchan *c, const void *data)
{
	struct ring *r = c->shm;
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (data != ring_slot(r, tail)->data)
		return -EINVAL;
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	/*
	 * A producer sleeps only on a full ring.  Let it sleep until half of
	 * the ring is free, so that it then fills many slots per wake-up
	 * instead of one.  This cannot strand it: the consumer keeps taking
	 * messages while there are any, and an empty ring is all free.
	 */
	if (c->local[CACHED_HEAD] - (tail + 1) <= r->nr_slots / 2)
		ring_kick(&r->tx_sleeping);
	return 0;
}

static int ring_send(struct bchan *c, const void *msg, size_t len)
{
	void *slot = ring_acquire(c, len);

	if (!slot)
		return -errno;
	memcpy(slot, msg, len);
	return ring_commit(c, slot, len);
}

static ssize_t ring_recv(struct bchan *c, void *buf, size_t len)
{
	const void *slot;
	size_t n;
	int ret;

	slot = ring_take(c, &n);
	if (n > len)
		return -EMSGSIZE;
	memcpy(buf, slot, n);
	ret = ring_release(c, slot);
	return ret < 0 ? ret : (ssize_t)n;
}

static int ring_attach(struct bchan *c, unsigned int roles)
{
	struct ring *r = c->shm;

	(void)roles;
	c->local[CACHED_TAIL] = atomic_load(&r->tail);
	c->local[CACHED_HEAD] = atomic_load(&r->head);
	return 0;
}

const struct transport transport_shmring = {
	.name = "shm-ring",
	.desc = "shared-memory SPSC ring, futex wake-ups only when the peer sleeps; copies in and out",
	.kind = TK_PEER,
	.caps = 0,
	.create = ring_create,
	.attach = ring_attach,
	.destroy = ring_destroy,
	.send = ring_send,
	.recv = ring_recv,
};

const struct transport transport_shmring_zc = {
	.name = "shm-ring-zc",
	.desc = "the same ring, messages written and read in place (zero-copy operations)",
	.kind = TK_PEER,
	.caps = 0,
	.create = ring_create,
	.attach = ring_attach,
	.destroy = ring_destroy,
	.acquire = ring_acquire,
	.commit = ring_commit,
	.take = ring_take,
	.release = ring_release,
};

const struct transport transport_shmring_futex = {
	.name = "shm-ring-futex",
	.desc = "the same ring, copying, never spinning: every wait sleeps on a futex (the wake-up floor)",
	.kind = TK_PEER,
	.caps = 0,
	.workloads = "pingpong-64,pingpong-64-1cpu",
	.create = ring_create_futex,
	.attach = ring_attach,
	.destroy = ring_destroy,
	.send = ring_send,
	.recv = ring_recv,
};
