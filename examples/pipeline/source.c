// SPDX-License-Identifier: MIT
/*
 * source: emits numbered JSON events into demo.events, as fast as the
 * channel takes them, until SIGTERM (or -n COUNT); then shuts the channel
 * down so that the pipeline drains and stops.
 *   source DIR [COUNT]
 */
#include <errno.h>
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
	uint64_t limit = argc > 2 ? strtoull(argv[2], NULL, 0) : UINT64_MAX;
	struct sigaction sa = { .sa_handler = on_term };	/* no SA_RESTART */
	double start = now_s();
	uint64_t seq = 0;
	char msg[256];
	int out;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	out = create_output(CH_EVENTS, 64, sizeof(msg));

	while (!stop && seq < limit) {
		int len = snprintf(msg, sizeof(msg),
				   "{\"seq\":%llu,\"user\":\"u%u\",\"amount\":%u.%02u}",
				   (unsigned long long)seq, (unsigned int)(seq * 7919 % 1000),
				   (unsigned int)(seq * 31 % 500), (unsigned int)(seq % 100));
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
