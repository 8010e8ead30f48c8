// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan watch: the table of "cspchan ls", refreshed until interrupted.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "list.h"

static volatile sig_atomic_t watch_stop;

static void watch_on_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

static bool parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0.1 || v > 86400)
		return false;
	*out = v;
	return true;
}

static int watch_run(const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct sigaction sa = { .sa_handler = watch_on_signal };
	bool tty = isatty(STDOUT_FILENO);
	double interval = 1.0;
	uint64_t count = 0, n;
	int opt, ret = CLI_OK;

	while ((opt = getopt_long(argc, argv, ":i:c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (!parse_seconds(optarg, &interval))
				return cli_usage(cmd, "bad interval '%s' (seconds, 0.1 to 86400)",
						 optarg);
			break;
		case 'c':
			if (!cli_parse_uint(optarg, UINT64_MAX, false, &count) || !count)
				return cli_usage(cmd, "bad count '%s'", optarg);
			break;
		case 'h':
			return cli_help(cmd);
		default:
			return cli_bad_option(cmd, opt, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);

	/* No SA_RESTART: the signal must cut the sleep short. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	for (n = 1; ; n++) {
		struct timespec ts;

		if (tty) {
			time_t now = time(NULL);
			char stamp[64];

			strftime(stamp, sizeof(stamp), "%F %T", localtime(&now));
			/* Home the cursor and clear the screen. */
			printf("\033[H\033[2JEvery %.1fs: cspchan ls    %s\n\n",
			       interval, stamp);
		} else if (n > 1) {
			putchar('\n');
		}
		ret = list_once(cmd->name, FORMAT_TABLE);
		if (ret == CLI_OK)
			ret = flush_stdout(cmd->name);
		if (ret != CLI_OK || n == count)
			break;

		ts.tv_sec = (time_t)interval;
		ts.tv_nsec = (long)((interval - (double)ts.tv_sec) * 1e9);
		while (!watch_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		if (watch_stop)
			break;
	}
	return ret;
}

const struct cli_command cmd_watch = {
	.name = "watch",
	.summary = "show the ls table again and again",
	.run = watch_run,
	.help =
"Usage: cspchan watch [-i SECONDS] [-c COUNT]\n"
"\n"
"Print the table of \"cspchan ls\" every SECONDS until interrupted.  On a\n"
"terminal the screen is cleared before each table, under a line with the\n"
"interval and the time; otherwise the tables follow one another, separated\n"
"by an empty line.  Ctrl-C (SIGINT) or SIGTERM ends it with status 0.\n"
"\n"
"Options:\n"
"  -i, --interval SECONDS   time between tables, 0.1 to 86400 (default 1;\n"
"                           fractions allowed)\n"
"  -c, --count COUNT        stop after COUNT tables\n"
"  -h, --help               this text\n"
"\n"
"Exit status: 0 done or interrupted, 1 /proc/cspchan unreadable, 2 usage.\n"
"\n"
"Examples:\n"
"  cspchan watch -i 0.5\n"
"  cspchan watch -c 10 -i 1 > depth.log\n",
};
