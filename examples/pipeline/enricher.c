// SPDX-License-Identifier: MIT
/*
 * enricher: one of a pool.  Takes events from demo.decoded under a lease,
 * asks the lookup service (demo.lookup, cspchan_call()) for the event's
 * category, passes the result on to demo.enriched and then acknowledges
 * the lease.  demo.decoded is paced, so the kernel meters how fast the
 * pool as a whole gets events: this is where back-pressure builds, the
 * decoders blocking in send on a full demo.decoded.
 *
 * For the demo's measurement of the pace, each receipt is logged to
 * DIR/enricher-PID.recv as "TIME_NS DEPTH", DEPTH being the events still
 * queued then (0: the channel ran dry, so the next receipt waited for an
 * event, not for the pace).
 *   enricher DIR
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

#define CALL_TIMEOUT_MS	2000

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	struct cspchan_attr attr = {
		.capacity = 16,
		.msg_size = sizeof(struct enriched),
		.mode = 0600,
		.flags = CSPCHAN_LEASE,
	};
	struct progress *p = progress_map(dir, "enricher");
	int in = open_chan(CH_DECODED, O_RDONLY);
	int lookup = open_chan(CH_LOOKUP, O_WRONLY);
	int out = create_chan(CH_ENRICHED, &attr);
	uint64_t retries = 0;
	struct cspchan_msginfo info;
	struct cspchan_stat st;
	double start = now_s();
	struct enriched e;
	char path[512];
	ssize_t n;
	int log, err;

	snprintf(path, sizeof(path), "%s/enricher-%d.recv", dir, getpid());
	log = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (log < 0)
		die(path, errno);
	while ((n = cspchan_recvmsg(in, &e.ev, sizeof(e.ev), &info)) > 0) {
		uint64_t t = now_ns();
		struct lookup_req req = { e.ev.seq, e.ev.amount_cents };
		struct lookup_reply reply;

		p->taken++;
		p->last_seq = e.ev.seq;
		if (cspchan_stat(in, &st) < 0)
			st.depth = 0;
		dprintf(log, "%llu %u\n", (unsigned long long)t, st.depth);
		/* The lookup: a server that died or a lost reply means: ask again. */
		for (;;) {
			n = cspchan_call(lookup, &req, sizeof(req), &reply, sizeof(reply),
					 CALL_TIMEOUT_MS);
			if (n != -ECONNRESET && n != -ETIMEDOUT)
				break;
			retries++;
		}
		if (n < 0)
			die("lookup", n);
		memset(e.category, 0, sizeof(e.category));
		memcpy(e.category, reply.category, sizeof(e.category) - 1);
		e.source_ns = info.sent_ns;
		n = cspchan_send(out, &e, sizeof(e));
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
	/* Every event was acknowledged, so forwarded: demo.enriched is complete. */
	cspchan_shutdown(out);
	report(dir, "enricher", p->taken, p->forwarded, now_s() - start);
	if (retries)
		fprintf(stderr, "   enricher %d: %llu lookups retried\n", getpid(),
			(unsigned long long)retries);
	return 0;
}
