// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan pace: change the rate of a live channel (SPEC 11).
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include <cspchan.h>

#include "cli.h"

static int pace_run(const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	uint32_t rate, burst = 1;
	const char *name;
	uint64_t v;
	int opt, fd, ret;

	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (opt == 'h')
			return cli_help(cmd);
		return cli_bad_option(cmd, opt, argv);
	}
	if (optind == argc)
		return cli_usage(cmd, "missing NAME");
	if (optind + 1 == argc)
		return cli_usage(cmd, "missing RATE");
	if (argc - optind > 3)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 3]);
	name = argv[optind];
	if (!cli_parse_rate(argv[optind + 1], &rate))
		return cli_usage(cmd, "bad rate '%s' (messages per second)",
				 argv[optind + 1]);
	if (optind + 2 < argc) {
		if (!cli_parse_uint(argv[optind + 2], UINT32_MAX, false, &v))
			return cli_usage(cmd, "bad burst '%s'", argv[optind + 2]);
		burst = (uint32_t)v;
	}

	fd = cli_open_any(cmd->name, name);
	if (fd < 0)
		return CLI_ERROR;
	ret = cspchan_set_rate(fd, rate, burst);
	if (ret == -EINVAL && rate) {
		struct cspchan_stat st;

		if (cspchan_stat(fd, &st) == 0 && st.capacity == 0) {
			cli_errorf(cmd->name, "%s: %s (an unbuffered channel cannot be paced)",
				   name, strerror(EINVAL));
			close(fd);
			return CLI_ERROR;
		}
	}
	close(fd);
	if (ret == -ENOTTY) {
		cli_errorf(cmd->name, "%s: %s (this cspchan module has no paced channels)",
			   name, strerror(ENOTSUP));
		return CLI_ERROR;
	}
	if (ret < 0) {
		cli_error(cmd->name, name, -ret);
		return CLI_ERROR;
	}
	return CLI_OK;
}

const struct cli_command cmd_pace = {
	.name = "pace",
	.summary = "limit how fast messages leave a channel",
	.run = pace_run,
	.help =
"Usage: cspchan pace NAME RATE[/s] [BURST]\n"
"\n"
"Pace the channel NAME: at most RATE messages per second leave it, summed\n"
"over all its receivers in all processes, in bursts of at most BURST\n"
"(default 1).  The token bucket starts full, and receivers already waiting\n"
"for a token are served at the new rate at once.  RATE 0 removes the\n"
"limit.  Receivers wait for tokens as they wait for messages; producers\n"
"feel the limit as ordinary back-pressure once the channel is full.  An\n"
"unbuffered channel (capacity 0) cannot be paced.\n"
"\n"
"Options:\n"
"  -h, --help   this text\n"
"\n"
"Exit status: 0 set, 1 error, 2 usage.\n"
"\n"
"Examples:\n"
"  cspchan pace jobs 100/s          # 100 messages per second\n"
"  cspchan pace jobs 1000 50        # bursts of up to 50\n"
"  cspchan pace jobs 0              # unpaced again\n",
};
