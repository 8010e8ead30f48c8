// SPDX-License-Identifier: GPL-2.0
/*
 * The soak's ledger: message ids, payloads with checksums, and the final
 * verdict.  See soak.h for the meaning of each message's state byte.
 *
 * Exactness: a sender sets ATTEMPT before the call that may send, and
 * SENT or FAILED only after it returned; a receiver records a message only
 * after the call that received it returned.  So, once every process has
 * exited and every channel generation has been drained:
 *
 *	SENT		received exactly once, or lost with a killed holder
 *	FAILED		never received (a failed send must not deliver)
 *	ATTEMPT only	(sender killed in the call) received at most once
 *	nothing		never received (the id was never used)
 */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "soak.h"

struct soak_ledger *L;

const char *const soak_transport_names[T_NR_ALL] = {
	[T_COPY] = "copy", [T_ZEROCOPY] = "zerocopy", [T_URING] = "uring",
	[T_SELECT] = "select", [T_DRAIN] = "drain",
};

const char *const soak_op_names[OP_NR] = {
	[OP_NONE] = "-", [OP_OPEN] = "open", [OP_SEND] = "send",
	[OP_RECV] = "recv", [OP_ACQUIRE] = "acquire", [OP_COMMIT] = "commit",
	[OP_TAKE] = "take", [OP_RELEASE] = "release", [OP_SELECT] = "select",
	[OP_URING_WAIT] = "io_uring wait", [OP_URING_DRAIN] = "io_uring drain",
};

static uint64_t rand_state = 88172645463325252ULL;

void soak_rand_seed(uint64_t seed)
{
	rand_state = seed ? seed : 88172645463325252ULL;
	soak_rand();
}

uint64_t soak_rand(void)
{
	rand_state ^= rand_state >> 12;
	rand_state ^= rand_state << 25;
	rand_state ^= rand_state >> 27;
	return rand_state * 2685821657736338717ULL;
}

void soak_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void soak_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "# ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line: many processes share the output. */
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
}

void soak_error(int me, const char *what, long ret)
{
	uint64_t n = ATOMIC_ADD(&L->c.errors, 1);

	if (n <= 30)
		soak_log("error: participant %d (%s %s, pid %d): %s: %s", me,
			 L->parts[me].role == ROLE_PRODUCER ? "producer" : "consumer",
			 soak_transport_names[L->parts[me].transport], (int)getpid(),
			 what, ret < 0 ? strerror((int)-ret) : "unexpected result");
}

struct soak_ledger *ledger_create(unsigned int nprod, unsigned int ncons,
				  unsigned int nchans, uint64_t ids_per_part)
{
	size_t ids = (size_t)(nprod + ncons) * ids_per_part;
	size_t len = sizeof(struct soak_ledger) + 2 * ids;
	struct soak_ledger *l;

	l = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (l == MAP_FAILED)
		return NULL;
	l->nprod = nprod;
	l->ncons = ncons;
	l->nchans = nchans;
	l->ids_per_part = ids_per_part;
	l->chan_of = l->state + ids;
	return l;
}

static uint8_t *state_of(uint64_t id)
{
	uint64_t part = (id >> SOAK_ID_SHIFT) - 1;
	uint64_t seq = id & ((1ULL << SOAK_ID_SHIFT) - 1);

	if (!(id >> SOAK_ID_SHIFT) || part >= nparts() || seq >= L->ids_per_part)
		return NULL;
	return &L->state[part * L->ids_per_part + seq];
}

#ifdef SOAK_FAULTS
/* True once every 50 events of the injected kind (the checker must notice). */
static bool fault_now(int kind)
{
	return L->fault == kind && ATOMIC_ADD(&L->fault_events, 1) % 50 == 0;
}
#else
static inline bool fault_now(int kind)
{
	(void)kind;
	return false;
}
#endif

uint64_t ledger_alloc(int me)
{
	struct soak_part *p = &L->parts[me];
	uint64_t seq = p->next_seq;

	if (seq >= L->ids_per_part) {
		ATOMIC_ADD(&L->c.exhausted, 1);
		return 0;
	}
	/* Only this slot's live process writes it; a gap left by a kill is harmless. */
	ATOMIC_STORE(&p->next_seq, seq + 1);
	return ((uint64_t)(me + 1) << SOAK_ID_SHIFT) | seq;
}

void ledger_attempt(uint64_t id, unsigned int k)
{
	uint8_t *s = state_of(id);

	L->chan_of[s - L->state] = (uint8_t)k;
	__atomic_or_fetch(s, LEDGER_ATTEMPT, __ATOMIC_SEQ_CST);
}

void ledger_sent(uint64_t id, int transport)
{
	if (fault_now(FAULT_PHANTOM)) {
		ledger_failed(id);
		return;
	}
	__atomic_or_fetch(state_of(id), LEDGER_SENT, __ATOMIC_SEQ_CST);
	ATOMIC_ADD(&L->c.sent[transport], 1);
}

void ledger_failed(uint64_t id)
{
	__atomic_or_fetch(state_of(id), LEDGER_FAILED, __ATOMIC_SEQ_CST);
}

/* FNV-1a 64 over @len bytes, continuing from @h. */
static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len--) {
		h ^= *b++;
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t msg_sum(const void *buf, size_t len)
{
	struct soak_hdr h;

	memcpy(&h, buf, sizeof(h));
	h.sum = 0;
	return fnv(fnv(14695981039346656037ULL, &h, sizeof(h)),
		   (const uint8_t *)buf + sizeof(h), len - sizeof(h));
}

unsigned int msg_len(unsigned int msg_size)
{
	if (msg_size <= SOAK_HDR_SIZE)
		return SOAK_HDR_SIZE;
	return SOAK_HDR_SIZE + soak_rand_below(msg_size - SOAK_HDR_SIZE + 1);
}

void msg_fill(void *buf, unsigned int len, uint64_t id, uint64_t chan_id)
{
	struct soak_hdr h = {
		.magic = SOAK_MAGIC, .len = len, .id = id, .chan_id = chan_id,
	};
	uint8_t *b = buf;
	uint64_t x = id * 0x9e3779b97f4a7c15ULL;
	unsigned int i;

	memcpy(b, &h, sizeof(h));
	for (i = SOAK_HDR_SIZE; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (uint8_t)x;
	}
	h.sum = msg_sum(b, len);
	memcpy(b, &h, sizeof(h));
	if (len > SOAK_HDR_SIZE && fault_now(FAULT_CORRUPT))
		b[len - 1] ^= 0x40;
}

static void bad_message(uint64_t *counter, const char *why, const void *buf,
			size_t len, uint64_t chan_id)
{
	struct soak_hdr h;

	memset(&h, 0, sizeof(h));
	memcpy(&h, buf, len < sizeof(h) ? len : sizeof(h));
	if (ATOMIC_ADD(counter, 1) <= 10)
		soak_log("bad message (%s): %zu bytes on channel %llu: magic %#x len %u id %#llx chan %llu",
			 why, len, (unsigned long long)chan_id, h.magic, h.len,
			 (unsigned long long)h.id, (unsigned long long)h.chan_id);
}

int ledger_receive(const void *buf, size_t len, uint64_t chan_id, int transport)
{
	struct soak_hdr h;
	uint8_t *s, old;

	if (len < SOAK_HDR_SIZE || len > SOAK_RECV_BUF) {
		bad_message(&L->c.corrupt, "length", buf, len, chan_id);
		return -1;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.magic != SOAK_MAGIC || h.len != len || h.sum != msg_sum(buf, len)) {
		bad_message(&L->c.corrupt, "checksum", buf, len, chan_id);
		return -1;
	}
	if (h.chan_id != chan_id) {
		bad_message(&L->c.misdelivered, "channel", buf, len, chan_id);
		return -1;
	}
	s = state_of(h.id);
	if (!s) {
		bad_message(&L->c.unknown, "id", buf, len, chan_id);
		return -1;
	}
	if (fault_now(FAULT_DROP))
		return 0;
	old = __atomic_fetch_add(s, LEDGER_RECV_ONE, __ATOMIC_SEQ_CST);
	if (old >> LEDGER_RECV_SHIFT == 31)	/* saturate, do not wrap to 0 */
		__atomic_fetch_sub(s, LEDGER_RECV_ONE, __ATOMIC_SEQ_CST);
	if (old >> LEDGER_RECV_SHIFT) {
		if (ATOMIC_ADD(&L->c.dup_live, 1) <= 10)
			soak_log("duplicate: id %#llx received again on channel %llu (%s)",
				 (unsigned long long)h.id, (unsigned long long)chan_id,
				 soak_transport_names[transport]);
	}
	if (fault_now(FAULT_DUP))
		__atomic_fetch_add(s, LEDGER_RECV_ONE, __ATOMIC_SEQ_CST);
	ATOMIC_ADD(&L->c.received[transport], 1);
	return 0;
}

/* The verdict over every id ever allocated; the processes are all gone. */
void ledger_verdict(struct soak_verdict *v)
{
	unsigned int part, shown = 0;
	uint64_t seq;

	memset(v, 0, sizeof(*v));
	for (part = 0; part < nparts(); part++) {
		for (seq = 0; seq < L->parts[part].next_seq; seq++) {
			size_t i = part * L->ids_per_part + seq;
			uint8_t s = L->state[i];
			unsigned int got = s >> LEDGER_RECV_SHIFT;
			unsigned int k = L->chan_of[i];
			const char *why = NULL;

			if (got)
				v->delivered++;
			if (got > 1) {
				v->dups += got - 1;
				why = "duplicate";
			}
			if (!(s & LEDGER_ATTEMPT)) {
				if (got) {
					v->unattempted++;
					why = "never sent";
				}
			} else if (s & LEDGER_SENT) {
				v->attempted++;
				v->sent++;
				if (!got) {
					v->lost++;
					if (k < SOAK_MAX_CHANS)
						v->lost_k[k]++;
					why = "lost";
				}
			} else if (s & LEDGER_FAILED) {
				v->attempted++;
				v->failed++;
				if (got) {
					v->phantoms++;
					why = "send failed but received";
				}
			} else {
				v->attempted++;
				v->killed_senders++;
				if (got)
					v->killed_sender_delivered++;
			}
			if (why && shown++ < 20)
				soak_log("message %#llx (channel %u): %s (state %#x)",
					 (unsigned long long)(((uint64_t)part + 1) << SOAK_ID_SHIFT | seq),
					 k, why, s);
		}
	}
}
