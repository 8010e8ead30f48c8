// SPDX-License-Identifier: MIT
/*
 * decoder: one of a pool.  Takes JSON events from demo.events (the kernel
 * balances the load: each event goes to exactly one decoder), parses them
 * and sends binary records to demo.decoded.  Exits at end of stream.
 *   decoder DIR
 */
#include <inttypes.h>
#include <stdlib.h>

#include "pipeline.h"

static int parse(const char *json, struct event *ev)
{
	unsigned int whole, cents;
	unsigned long long seq;

	if (sscanf(json, "{\"seq\":%llu,\"user\":\"u%" SCNu32 "\",\"amount\":%u.%u}",
		   &seq, &ev->user, &whole, &cents) != 4)
		return -1;
	ev->seq = seq;
	ev->amount_cents = whole * 100 + cents;
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	struct progress *p = progress_map(dir, "decoder");
	int in = open_input(CH_EVENTS);
	int out = create_output(CH_DECODED, 32, sizeof(struct enriched));
	double start = now_s();
	char json[257];
	struct event ev;
	ssize_t n;

	while ((n = cspchan_recv(in, json, sizeof(json) - 1)) > 0) {
		json[n] = '\0';
		p->taken++;
		if (parse(json, &ev) < 0)
			die("parse", 22);
		p->last_seq = ev.seq;
		n = cspchan_send(out, &ev, sizeof(ev));
		if (n < 0)
			die("send", n);
		p->forwarded++;
	}
	if (n < 0)
		die("recv", n);
	cspchan_unlink(CH_EVENTS);	/* drained and shut: the name is done (ENOENT is fine) */
	report(dir, "decoder", p->taken, p->forwarded, now_s() - start);
	return 0;	/* the last decoder to exit auto-closes demo.decoded */
}
