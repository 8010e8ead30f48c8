// SPDX-License-Identifier: GPL-2.0
/*
 * Synchronous consumers: copy (read(2), cspchan_recvmsg, both blocking, or
 * cspchan_recv_timeout), zero-copy (cspchan_take, check in place,
 * cspchan_release) and select (a receive case per channel, and now and
 * then one send case as well, so that selects meet selects on both sides).
 *
 * Before each receive call the consumer declares what it may hold
 * (hold_add); it records every message after the call returned and only
 * then lowers the count, so a kill in between is counted as a possible loss.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "soak.h"

#define RECV_TIMEOUT_MS	300

struct consumer {
	int me;
	int transport;
	int oflags;
	struct soak_handle h[SOAK_MAX_CHANS];
	uint8_t *buf[SOAK_MAX_CHANS + 1];
};

/* A receive that returned no message: 0 is end of stream, the rest errors. */
static void recv_nothing(struct consumer *c, struct soak_handle *h, long r,
			 const char *what)
{
	switch (r) {
	case 0:
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
		soak_error(c->me, what, r);
	}
}

static void recv_copy(struct consumer *c, struct soak_handle *h)
{
	unsigned int how = soak_rand_below(4);
	struct cspchan_msginfo info;
	const char *what;
	ssize_t r;

	hold_add(c->me, h->k, 1);
	soak_busy(c->me, OP_RECV);
	switch (how) {
	case 0:
		what = "read";
		r = read(h->fd, c->buf[0], SOAK_RECV_BUF);
		if (r < 0)
			r = -errno;
		break;
	case 1:
		what = "cspchan_recvmsg";
		r = cspchan_recvmsg(h->fd, c->buf[0], SOAK_RECV_BUF, &info);
		break;
	default:
		what = "cspchan_recv_timeout";
		r = cspchan_recv_timeout(h->fd, c->buf[0], SOAK_RECV_BUF, RECV_TIMEOUT_MS);
	}
	soak_busy(c->me, OP_NONE);
	if (r > 0) {
		part_received(c->me, c->buf[0], (size_t)r, h, T_COPY);
		return;
	}
	hold_drop(c->me, h->k, 1);
	recv_nothing(c, h, r, what);
}

static void recv_zerocopy(struct consumer *c, struct soak_handle *h)
{
	struct cspchan_slot_info info;
	const void *slotp;
	ssize_t r;
	int rr;

	hold_add(c->me, h->k, 1);
	soak_busy(c->me, OP_TAKE);
	r = cspchan_take(h->fd, &info, RECV_TIMEOUT_MS);
	soak_busy(c->me, OP_NONE);
	if (r <= 0) {
		hold_drop(c->me, h->k, 1);
		recv_nothing(c, h, r, "cspchan_take");
		return;
	}
	slotp = cspchan_slot_ptr(&h->arena, info.slot);
	if (!slotp || info.len != (size_t)r || info.offset != (uint64_t)info.slot * h->arena.slot_size) {
		hold_drop(c->me, h->k, 1);
		soak_error(c->me, "cspchan_take: slot info does not match the arena", 0);
		return;
	}
	/* Checked in place, as a zero-copy consumer would read it. */
	part_received(c->me, slotp, (size_t)r, h, T_ZEROCOPY);
	soak_busy(c->me, OP_RELEASE);
	rr = cspchan_release(h->fd, info.slot);
	soak_busy(c->me, OP_NONE);
	if (rr < 0)
		soak_error(c->me, "cspchan_release", rr);
}

/*
 * A select over a receive case per open channel; one time in three one
 * more case sends a message of this consumer's own (its sender index).
 * At most one message can come back, from any of the channels: hold one
 * in total and one on each channel (the per-channel bounds stay sound).
 */
static void recv_select(struct consumer *c)
{
	struct cspchan_case cases[SOAK_MAX_CHANS + 1];
	unsigned int ks[SOAK_MAX_CHANS + 1];
	unsigned int k, n = 0, i, nrecv;
	struct soak_part *me = &L->parts[c->me];
	uint64_t send_id = 0;
	int send_case = -1;
	int r;

	for (k = 0; k < L->nchans; k++) {
		struct soak_handle *h = &c->h[k];

		if (!handle_ready(c->me, h, c->oflags, false))
			continue;
		cases[n] = (struct cspchan_case){
			.fd = h->fd, .op = CSPCHAN_RECV, .buf = c->buf[k], .len = SOAK_RECV_BUF,
		};
		ks[n++] = k;
	}
	if (n == 0) {
		soak_sleep_ms(2);
		return;
	}
	nrecv = n;
	if (soak_rand_below(3) == 0 && (send_id = ledger_alloc(c->me))) {
		struct soak_handle *h = &c->h[ks[soak_rand_below(nrecv)]];
		unsigned int len = msg_len(h->msg_size);

		msg_fill(c->buf[SOAK_MAX_CHANS], len, send_id, h->chan_id);
		ledger_attempt(send_id, h->k);
		send_case = (int)soak_rand_below(n + 1);
		memmove(&cases[send_case + 1], &cases[send_case], (n - send_case) * sizeof(cases[0]));
		memmove(&ks[send_case + 1], &ks[send_case], (n - send_case) * sizeof(ks[0]));
		cases[send_case] = (struct cspchan_case){
			.fd = h->fd, .op = CSPCHAN_SEND, .buf = c->buf[SOAK_MAX_CHANS], .len = len,
		};
		ks[send_case] = h->k;
		n++;
	}

	ATOMIC_ADD(&me->may_hold, 1);
	for (i = 0; i < n; i++)
		if ((int)i != send_case)
			ATOMIC_ADD(&me->may_hold_k[ks[i]], 1);
	soak_busy(c->me, OP_SELECT);
	r = cspchan_select(cases, n, RECV_TIMEOUT_MS);
	soak_busy(c->me, OP_NONE);

	if (send_case >= 0) {
		if (r == send_case && cases[r].result == (ssize_t)cases[r].len) {
			ledger_sent(send_id, T_SELECT);
		} else {
			ledger_failed(send_id);
			if (r == send_case && cases[r].result == -EPIPE) {
				ATOMIC_ADD(&L->c.eos, 1);
				handle_close(&c->h[ks[r]]);
			} else if (r == send_case) {
				soak_error(c->me, "cspchan_select send case", cases[r].result);
			}
		}
	}
	if (r >= 0 && r != send_case) {
		struct soak_handle *h = &c->h[ks[r]];

		if (cases[r].result > 0)
			ledger_receive(cases[r].buf, (size_t)cases[r].result, h->chan_id, T_SELECT);
		else
			recv_nothing(c, h, cases[r].result, "cspchan_select receive case");
	}
	for (i = 0; i < n; i++)
		if ((int)i != send_case)
			ATOMIC_ADD(&me->may_hold_k[ks[i]], (uint32_t)-1);
	ATOMIC_ADD(&me->may_hold, (uint32_t)-1);
	if (r == -EINTR)
		ATOMIC_ADD(&L->c.eintr, 1);
	else if (r < 0 && r != -ETIMEDOUT)
		soak_error(c->me, "cspchan_select", r);
}

void consumer_run(int me)
{
	struct consumer c = { .me = me, .transport = L->parts[me].transport };
	unsigned int k;

	/* Select consumers may send too; the others receive only. */
	c.oflags = c.transport == T_SELECT ? O_RDWR : O_RDONLY;
	for (k = 0; k <= SOAK_MAX_CHANS; k++) {
		if (k < SOAK_MAX_CHANS) {
			c.h[k].fd = -1;
			c.h[k].k = k;
		}
		c.buf[k] = malloc(SOAK_RECV_BUF);
		if (!c.buf[k])
			_exit(3);
	}

	while (!ATOMIC_LOAD(&L->stop_consumers)) {
		struct soak_handle *h;

		if (c.transport == T_SELECT) {
			recv_select(&c);
			continue;
		}
		h = &c.h[soak_rand_below(L->nchans)];
		if (!handle_ready(me, h, c.oflags, c.transport == T_ZEROCOPY)) {
			soak_sleep_ms(1);
			continue;
		}
		if (c.transport == T_ZEROCOPY)
			recv_zerocopy(&c, h);
		else
			recv_copy(&c, h);
	}
	for (k = 0; k < L->nchans; k++)
		handle_close(&c.h[k]);
}
