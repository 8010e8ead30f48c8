// SPDX-License-Identifier: MIT
/*
 * enricher: one of a pool, rate-limited (RATE events/s each, as if it
 * called a slow service).  Adds a category and passes events on to
 * demo.enriched.  Being the slowest stage, it is where back-pressure
 * builds: demo.decoded fills up and the decoders block in send.
 *   enricher DIR RATE
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

static const char *category(uint32_t amount_cents)
{
	if (amount_cents < 10000)
		return "small";
	if (amount_cents < 30000)
		return "medium";
	return "large";
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	double rate = argc > 2 ? atof(argv[2]) : 200;
	struct progress *p = progress_map(dir, "enricher");
	int in = open_input(CH_DECODED);
	int out = create_output(CH_ENRICHED, 16, sizeof(struct enriched));
	double start = now_s(), next = start;
	struct cspchan_msginfo info;
	struct enriched e;
	ssize_t n;

	while ((n = cspchan_recvmsg(in, &e.ev, sizeof(e.ev), &info)) > 0) {
		double now = now_s();

		p->taken++;
		if (next > now) {	/* the rate limit */
			struct timespec ts = { 0, (long)((next - now) * 1e9) };

			nanosleep(&ts, NULL);
		}
		next = (next > now ? next : now) + 1.0 / rate;
		memset(e.category, 0, sizeof(e.category));
		strcpy(e.category, category(e.ev.amount_cents));
		e.source_ns = info.sent_ns;
		n = cspchan_send(out, &e, sizeof(e));
		if (n < 0)
			die("send", n);
		p->forwarded++;
	}
	if (n < 0)
		die("recv", n);
	cspchan_unlink(CH_DECODED);	/* drained and shut: the name is done (ENOENT is fine) */
	report(dir, "enricher", p->taken, p->forwarded, now_s() - start);
	return 0;
}
