// SPDX-License-Identifier: GPL-2.0
/*
 * Synchronous producers: copy (write(2) or cspchan_send_timeout), zero-copy
 * (cspchan_acquire, write in place, cspchan_commit) and select (one send
 * case per channel, each with a message of its own: exactly one may go).
 *
 * Each message is marked ATTEMPT before the call and SENT or FAILED after
 * it; a kill in between leaves it ATTEMPT only (soak.h).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "soak.h"

#define SEND_TIMEOUT_MS	300

struct producer {
	int me;
	int transport;
	int variant;
	int oflags;
	struct soak_handle h[SOAK_MAX_CHANS];
	uint8_t *buf[SOAK_MAX_CHANS];
};

/* A failed send: EPIPE closes the generation, waits running out are normal. */
static void send_failed(struct producer *p, struct soak_handle *h, long r,
			const char *what)
{
	switch (r) {
	case -EPIPE:
		ATOMIC_ADD(&L->c.eos, 1);
		handle_close(h);
		break;
	case -ETIMEDOUT:
	case -EAGAIN:
		break;
	case -EINTR:
		ATOMIC_ADD(&L->c.eintr, 1);
		break;
	default:
		soak_error(p->me, what, r);
	}
}

static void send_copy(struct producer *p, struct soak_handle *h, uint64_t id)
{
	unsigned int len = msg_len(h->msg_size);
	bool use_write = p->variant == 0 || (p->variant == 2 && (soak_rand() & 1));
	ssize_t r;

	msg_fill(p->buf[0], len, id, h->chan_id);
	ledger_attempt(id, h->k);
	soak_busy(p->me, OP_SEND);
	if (use_write) {
		r = write(h->fd, p->buf[0], len);
		if (r < 0)
			r = -errno;
	} else {
		r = cspchan_send_timeout(h->fd, p->buf[0], len, SEND_TIMEOUT_MS);
	}
	soak_busy(p->me, OP_NONE);
	if (r == (ssize_t)len) {
		ledger_sent(id, T_COPY);
		return;
	}
	ledger_failed(id);
	send_failed(p, h, r < 0 ? r : 0, use_write ? "write" : "cspchan_send_timeout");
}

static void send_zerocopy(struct producer *p, struct soak_handle *h, uint64_t id)
{
	int timeout = p->variant == 1 ? -1 : SEND_TIMEOUT_MS;
	unsigned int len;
	void *slotp;
	ssize_t r;
	int slot;

	soak_busy(p->me, OP_ACQUIRE);
	slot = cspchan_acquire(h->fd, SEND_TIMEOUT_MS);
	soak_busy(p->me, OP_NONE);
	if (slot < 0) {
		/* The id was never attempted: it stays unused. */
		send_failed(p, h, slot, "cspchan_acquire");
		return;
	}
	slotp = cspchan_slot_ptr(&h->arena, (unsigned int)slot);
	if (!slotp) {
		soak_error(p->me, "cspchan_acquire: slot out of the arena", 0);
		cspchan_release(h->fd, (unsigned int)slot);
		return;
	}
	len = msg_len(h->arena.msg_size);
	msg_fill(slotp, len, id, h->chan_id);
	ledger_attempt(id, h->k);
	soak_busy(p->me, OP_COMMIT);
	r = cspchan_commit(h->fd, (unsigned int)slot, len, timeout);
	soak_busy(p->me, OP_NONE);
	if (r == (ssize_t)len) {
		ledger_sent(id, T_ZEROCOPY);
		return;
	}
	ledger_failed(id);
	/* A failed commit leaves the slot with the handle. */
	if (r < 0) {
		int rr = cspchan_release(h->fd, (unsigned int)slot);

		if (rr < 0)
			soak_error(p->me, "cspchan_release after a failed commit", rr);
	}
	send_failed(p, h, r < 0 ? r : 0, "cspchan_commit");
}

/* One select over a send case per open channel (and now and then a nil case). */
static void send_select(struct producer *p)
{
	struct cspchan_case cases[SOAK_MAX_CHANS + 1];
	uint64_t ids[SOAK_MAX_CHANS + 1];
	unsigned int ks[SOAK_MAX_CHANS + 1];
	unsigned int k, n = 0, i;
	int r;

	for (k = 0; k < L->nchans; k++) {
		struct soak_handle *h = &p->h[k];
		unsigned int len;
		uint64_t id;

		if (!handle_ready(p->me, h, p->oflags, false))
			continue;
		id = ledger_alloc(p->me);
		if (!id)
			break;
		len = msg_len(h->msg_size);
		msg_fill(p->buf[k], len, id, h->chan_id);
		ledger_attempt(id, k);
		cases[n] = (struct cspchan_case){
			.fd = h->fd, .op = CSPCHAN_SEND, .buf = p->buf[k], .len = len,
		};
		ids[n] = id;
		ks[n++] = k;
	}
	if (n == 0) {
		soak_sleep_ms(2);
		return;
	}
	if (soak_rand_below(8) == 0) {
		i = soak_rand_below(n + 1);
		memmove(&cases[i + 1], &cases[i], (n - i) * sizeof(cases[0]));
		memmove(&ids[i + 1], &ids[i], (n - i) * sizeof(ids[0]));
		memmove(&ks[i + 1], &ks[i], (n - i) * sizeof(ks[0]));
		cases[i] = (struct cspchan_case){ .fd = -1, .op = CSPCHAN_SEND };
		ids[i] = 0;
		n++;
	}
	soak_busy(p->me, OP_SELECT);
	r = cspchan_select(cases, n, SEND_TIMEOUT_MS);
	soak_busy(p->me, OP_NONE);
	for (i = 0; i < n; i++) {
		if (!ids[i])
			continue;
		if ((int)i == r && cases[i].result == (ssize_t)cases[i].len) {
			ledger_sent(ids[i], T_SELECT);
			continue;
		}
		ledger_failed(ids[i]);
		if ((int)i == r)
			send_failed(p, &p->h[ks[i]], cases[i].result < 0 ? cases[i].result : 0,
				    "cspchan_select send case");
	}
	if (r >= 0 && !ids[r])
		soak_error(p->me, "cspchan_select chose the nil case", 0);
	if (r == -EINTR)
		ATOMIC_ADD(&L->c.eintr, 1);
	else if (r < 0 && r != -ETIMEDOUT)
		soak_error(p->me, "cspchan_select", r);
}

void producer_run(int me)
{
	struct producer p = { .me = me, .transport = L->parts[me].transport };
	unsigned int k;

	p.variant = L->parts[me].variant;
	switch (p.transport) {
	case T_ZEROCOPY:
		p.oflags = O_RDWR;	/* mmap needs read access */
		break;
	case T_COPY:
		p.oflags = p.variant == 1 ? O_RDWR : O_WRONLY;
		break;
	default:
		p.oflags = O_WRONLY;
	}
	for (k = 0; k < SOAK_MAX_CHANS; k++) {
		p.h[k].fd = -1;
		p.h[k].k = k;
		p.buf[k] = malloc(SOAK_RECV_BUF);
		if (!p.buf[k])
			_exit(3);
	}

	while (!ATOMIC_LOAD(&L->stop_producers)) {
		struct soak_handle *h;
		uint64_t id;

		if (p.transport == T_SELECT) {
			send_select(&p);
			continue;
		}
		h = &p.h[soak_rand_below(L->nchans)];
		if (!handle_ready(me, h, p.oflags, p.transport == T_ZEROCOPY)) {
			soak_sleep_ms(1);
			continue;
		}
		id = ledger_alloc(me);
		if (!id) {
			soak_sleep_ms(50);
			continue;
		}
		if (p.transport == T_ZEROCOPY)
			send_zerocopy(&p, h, id);
		else
			send_copy(&p, h, id);
	}
	for (k = 0; k < L->nchans; k++)
		handle_close(&p.h[k]);
}
