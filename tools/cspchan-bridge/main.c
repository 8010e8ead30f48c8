// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-bridge SOURCE DESTINATION: one side a channel name, the other a
 * nats:// or kafka:// URL (url.c).  Also reachable as "cspchan bridge".
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"

volatile sig_atomic_t bridge_stopping;

void bridge_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "cspchan-bridge: %s\n", line);
}

static void on_signal(int sig)
{
	(void)sig;
	/* The first asks to finish what is in flight; a second, to hurry. */
	if (bridge_stopping < 2)
		bridge_stopping++;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cspchan bridge [OPTIONS] SOURCE DESTINATION\n"
		"Move messages between a channel and a stream; one side is a channel name,\n"
		"the other a URL:\n"
		"  nats://HOST:PORT[,HOST:PORT...]/SUBJECT?stream=NAME[&durable=NAME]\n"
		"  kafka://BROKER[,BROKER...]/TOPIC[?group=NAME]\n"
		"Options:\n"
		"  -w, --window N        messages in flight (default 64)\n"
		"  -t, --timeout MS      broker answer time limit (default 10000)\n"
		"  -d, --drain MS        on SIGTERM, time to finish what is in flight (default 10000)\n"
		"  -D, --dead-letter CH  channel for messages the destination cannot take\n"
		"  -s, --stats N         print figures on stderr every N seconds\n"
		"  -m, --metrics FILE    write figures as Prometheus text to FILE (every N s, or 1)\n"
		"  -n, --name NAME       client name shown by the broker\n"
		"Exit status: 0 done (SIGTERM, end of stream, destination shut down), 1 failure,\n"
		"2 bad arguments or URL, 3 broker unreachable, 4 no such stream, topic or channel,\n"
		"5 a message too large for the destination and no dead-letter channel.\n");
}

static int number(const char *opt, const char *s, unsigned long min, unsigned long max,
		  unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || *out < min || *out > max) {
		fprintf(stderr, "cspchan-bridge: %s wants a number in %lu..%lu, got '%s'\n",
			opt, min, max, s);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "window", required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "drain", required_argument, NULL, 'd' },
		{ "dead-letter", required_argument, NULL, 'D' },
		{ "stats", required_argument, NULL, 's' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bridge_opts o = { .window = 64, .timeout_ms = 10000, .drain_ms = 10000 };
	const char *metrics = NULL, *name = NULL, *url_text;
	unsigned long v, stats = 0;
	struct bridge_stats st;
	struct bridge_url url;
	struct broker b = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	bool outbound;
	char err[512], client[128];
	int c, ret;

	while ((c = getopt_long(argc, argv, "w:t:d:D:s:m:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (number("--window", optarg, 1, 65536, &v))
				return BRIDGE_EXIT_USAGE;
			o.window = (unsigned int)v;
			break;
		case 't':
			if (number("--timeout", optarg, 100, 3600000, &v))
				return BRIDGE_EXIT_USAGE;
			o.timeout_ms = (int)v;
			break;
		case 'd':
			if (number("--drain", optarg, 0, 3600000, &v))
				return BRIDGE_EXIT_USAGE;
			o.drain_ms = (unsigned int)v;
			break;
		case 'D':
			o.dead_letter = optarg;
			break;
		case 's':
			if (number("--stats", optarg, 1, 86400, &stats))
				return BRIDGE_EXIT_USAGE;
			break;
		case 'm':
			metrics = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return BRIDGE_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return BRIDGE_EXIT_USAGE;
	}
	if (bridge_is_url(argv[optind]) == bridge_is_url(argv[optind + 1])) {
		fprintf(stderr, "cspchan-bridge: one side must be a channel name and the other a "
			"nats:// or kafka:// URL\n");
		return BRIDGE_EXIT_USAGE;
	}
	outbound = bridge_is_url(argv[optind + 1]);
	o.channel = argv[outbound ? optind : optind + 1];
	url_text = argv[outbound ? optind + 1 : optind];
	if (bridge_url_parse(url_text, &url, err, sizeof(err))) {
		fprintf(stderr, "cspchan-bridge: %s\n", err);
		return BRIDGE_EXIT_USAGE;
	}

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	snprintf(client, sizeof(client), "%s", name ? name : "");
	if (!name)
		snprintf(client, sizeof(client), "cspchan-bridge-%s-%d", o.channel, (int)getpid());
	bridge_stats_setup(&st, outbound ? "out" : "in", (unsigned int)stats, metrics);
	b.ops = url.kind == BRIDGE_NATS ? &bridge_nats_ops : &bridge_kafka_ops;
	b.url = &url;
	b.stats = &st;
	b.client = client;
	b.window = o.window;
	b.timeout_ms = o.timeout_ms;

	ret = outbound ? bridge_outbound(&b, &o) : bridge_inbound(&b, &o);
	bridge_url_free(&url);
	return ret;
}
