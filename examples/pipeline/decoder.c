// SPDX-License-Identifier: MIT
/*
 * decoder: one of a pool.  Takes JSON events from demo.events under a
 * lease (the kernel balances the load: each event goes to one decoder at
 * a time), parses them, sends binary records to demo.decoded and then
 * acknowledges the lease.  Killed before the acknowledgement, it hands
 * the event back and another decoder gets it.  An event marked "poison"
 * kills the decoder that parses it (a crash on bad input); after
 * MAX_DELIVERIES such deaths the kernel moves it to demo.dead.
 *
 * demo.decoded is paced: at most RATE events/s leave it (0, the default:
 * no limit), in bursts of up to BURST, summed over the whole enricher
 * pool: the enrichers' limit (say, their lookup service's quota) is a
 * property of the channel, kept by the kernel, not a sleep in each
 * enricher.  Exits at end of stream.
 *   decoder DIR [RATE [BURST]]
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

static int parse(const char *json, struct event *ev)
{
	unsigned int whole, cents;
	unsigned long long seq;

	if (sscanf(json, "{\"seq\":%llu,\"user\":\"u%" SCNu32 "\",\"amount\":%u.%u",
		   &seq, &ev->user, &whole, &cents) != 4)
		return -1;
	ev->seq = seq;
	ev->amount_cents = whole * 100 + cents;
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	struct cspchan_attr attr = {
		.capacity = 32,
		.msg_size = sizeof(struct event),
		.mode = 0600,
		.flags = CSPCHAN_LEASE,
		.rate = argc > 2 ? strtoul(argv[2], NULL, 0) : 0,
		.burst = argc > 3 ? strtoul(argv[3], NULL, 0) : 0,
	};
	struct progress *p = progress_map(dir, "decoder");
	int in = open_chan(CH_EVENTS, O_RDONLY);
	int out = create_chan(CH_DECODED, &attr);
	struct cspchan_msginfo info;
	double start = now_s();
	char json[257];
	struct event ev;
	ssize_t n;
	int err;

	while ((n = cspchan_recvmsg(in, json, sizeof(json) - 1, &info)) > 0) {
		json[n] = '\0';
		p->taken++;
		if (parse(json, &ev) < 0)
			die("parse", 22);
		p->last_seq = ev.seq;
		if (strstr(json, "\"poison\"")) {
			fprintf(stderr, "   decoder %d: event %llu is poison (delivery %u): it kills me\n",
				getpid(), (unsigned long long)ev.seq, info.deliveries);
			raise(SIGKILL);
		}
		n = cspchan_send(out, &ev, sizeof(ev));
		if (n < 0)
			die("send", n);
		p->forwarded++;
		err = cspchan_ack(in, info.lease);
		if (err < 0)
			die("ack", err);
		p->acked++;
	}
	if (n < 0)
		die("recv", n);
	/* Every event was acknowledged, so forwarded: demo.decoded is complete. */
	cspchan_shutdown(out);
	report(dir, "decoder", p->taken, p->forwarded, now_s() - start);
	return 0;
}
