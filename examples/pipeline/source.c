// SPDX-License-Identifier: MIT
/*
 * source: emits numbered JSON events into demo.events, as fast as the
 * channel takes them, until SIGTERM (or COUNT events); then shuts the
 * channel down so that the pipeline drains and stops.
 *
 * demo.events is a lease channel whose events are delivered at most
 * MAX_DELIVERIES times: one that has been, and was never acknowledged
 * (every decoder that took it died), goes to the dead-letter channel
 * demo.dead.  Event POISON (-1: none) is marked "poison": any decoder
 * that parses it dies, so it is the one that ends there.
 *   source DIR [COUNT [POISON]]		(COUNT 0: until SIGTERM)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	uint64_t limit = argc > 2 ? strtoull(argv[2], NULL, 0) : 0;
	long long poison = argc > 3 ? strtoll(argv[3], NULL, 0) : -1;
	struct sigaction sa = { .sa_handler = on_term };	/* no SA_RESTART */
	/* Not auto-closed: it outlives the source, for run-demo to read. */
	struct cspchan_attr dead_attr = {
		.capacity = 16, .msg_size = 256, .mode = 0600,
	};
	struct cspchan_attr attr = {
		.capacity = 64,
		.msg_size = 256,
		.mode = 0600,
		.flags = CSPCHAN_AUTOCLOSE | CSPCHAN_LEASE,
		.max_deliveries = MAX_DELIVERIES,
	};
	double start = now_s();
	uint64_t seq = 0;
	char msg[256];
	int out, dead, err;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	dead = create_chan(CH_DEAD, &dead_attr);
	out = create_chan(CH_EVENTS, &attr);
	err = cspchan_set_deadletter(out, dead);
	if (err < 0)
		die("set_deadletter", err);
	close(dead);	/* the kernel finds demo.dead by its id; its name keeps it */

	if (!limit)
		limit = UINT64_MAX;
	while (!stop && seq < limit) {
		int len = snprintf(msg, sizeof(msg),
				   "{\"seq\":%llu,\"user\":\"u%u\",\"amount\":%u.%02u%s}",
				   (unsigned long long)seq, (unsigned int)(seq * 7919 % 1000),
				   (unsigned int)(seq * 31 % 500), (unsigned int)(seq % 100),
				   (long long)seq == poison ? ",\"poison\":true" : "");
		ssize_t n = cspchan_send(out, msg, len);

		if (n == -EINTR)
			continue;	/* SIGTERM while blocked: nothing was sent */
		if (n < 0)
			die("send", n);
		seq++;
	}
	cspchan_shutdown(out);
	report(dir, "source", 0, seq, now_s() - start);
	printf("source: %llu events emitted, channel shut down\n", (unsigned long long)seq);
	return 0;
}
