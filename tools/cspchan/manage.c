// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan shutdown, rm and stat: managing channels by name.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <unistd.h>

#include <cspchan.h>

#include "cli.h"

static int shutdown_run(const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int status = CLI_OK;
	int opt, i;

	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (opt == 'h')
			return cli_help(cmd);
		return cli_bad_option(cmd, opt, argv);
	}
	if (optind == argc)
		return cli_usage(cmd, "missing NAME");

	for (i = optind; i < argc; i++) {
		int fd = cli_open_any(cmd->name, argv[i]);
		int ret;

		if (fd < 0) {
			status = CLI_ERROR;
			continue;
		}
		ret = cspchan_shutdown(fd);
		close(fd);
		if (ret < 0) {
			cli_error(cmd->name, argv[i], -ret);
			if (status != CLI_ERROR)
				status = cli_status_of(-ret);
		}
	}
	return status;
}

const struct cli_command cmd_shutdown = {
	.name = "shutdown",
	.summary = "close a channel for everybody (Go's close)",
	.run = shutdown_run,
	.help =
"Usage: cspchan shutdown NAME...\n"
"\n"
"Shut each channel down: further sends fail (Broken pipe), blocked senders\n"
"wake with that error, and receivers first drain what is queued, then see\n"
"end of stream (\"cspchan recv\" exits 0).  The name stays until\n"
"\"cspchan rm\".\n"
"\n"
"Options:\n"
"  -h, --help   this text\n"
"\n"
"Exit status: 0 shut down, 1 error, 2 usage, 4 already shut down.\n"
"\n"
"Examples:\n"
"  cspchan shutdown jobs\n",
};

static int rm_run(const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int status = CLI_OK;
	bool force = false;
	int opt, i;

	while ((opt = getopt_long(argc, argv, ":fh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			force = true;
			break;
		case 'h':
			return cli_help(cmd);
		default:
			return cli_bad_option(cmd, opt, argv);
		}
	}
	if (optind == argc && !force)
		return cli_usage(cmd, "missing NAME");

	for (i = optind; i < argc; i++) {
		int ret = cspchan_unlink(argv[i]);

		if (ret == -ENOENT && force && access(CSPCHAN_DEVICE, F_OK) == 0)
			continue;
		if (ret < 0) {
			cli_channel_error(cmd->name, argv[i], -ret);
			status = CLI_ERROR;
		}
	}
	return status;
}

const struct cli_command cmd_rm = {
	.name = "rm",
	.summary = "remove channel names (unlink)",
	.run = rm_run,
	.help =
"Usage: cspchan rm [-f] NAME...\n"
"\n"
"Remove each name.  Handles already open keep working; the channel itself\n"
"is freed when its last handle is released.  Removing a name does not shut\n"
"the channel down: shut it down first if its users must stop.\n"
"\n"
"Options:\n"
"  -f, --force   ignore names that do not exist\n"
"  -h, --help    this text\n"
"\n"
"Exit status: 0 removed, 1 error (for any NAME), 2 usage.\n"
"\n"
"Examples:\n"
"  cspchan shutdown jobs && cspchan rm jobs\n"
"  cspchan rm -f jobs results\n",
};

static void print_stat_text(const struct cspchan_stat *st, bool relay)
{
	printf("name: %s\n", st->name[0] ? st->name : "-");
	printf("id: %" PRIu64 "\n", st->id);
	printf("capacity: %u\n", st->capacity);
	printf("msg_size: %u\n", st->msg_size);
	printf("depth: %u\n", st->depth);
	printf("senders_waiting: %u\n", st->senders_waiting);
	printf("receivers_waiting: %u\n", st->receivers_waiting);
	printf("shut: %d\n", st->shut);
	printf("autoclose: %d\n", st->autoclose);
	printf("sent: %" PRIu64 "\n", st->sent);
	printf("received: %" PRIu64 "\n", st->received);
	printf("high_water: %u\n", st->high_water);
	printf("mode: %04o\n", st->mode);
	printf("lease: %d\n", st->lease);
	printf("leased: %u\n", st->leased);
	printf("redelivered: %" PRIu64 "\n", st->redelivered);
	printf("dead: %" PRIu64 "\n", st->dead);
	printf("max_deliveries: %u\n", st->max_deliveries);
	printf("lease_ms: %u\n", st->lease_ms);
	printf("dead_letter: %" PRIu64 "\n", st->dead_letter);
	printf("rate: %u\n", st->rate);
	printf("burst: %u\n", st->burst);
	printf("throttled_ns: %" PRIu64 "\n", st->throttled_ns);
	printf("reply: %d\n", st->reply);
	printf("relay: %d\n", relay);
}

static void print_stat_json(const struct cspchan_stat *st, bool relay)
{
	fputs("{\"name\": ", stdout);
	if (st->name[0])
		json_string(stdout, st->name);
	else
		fputs("null", stdout);
	printf(", \"id\": %" PRIu64 ", \"capacity\": %u, \"msg_size\": %u"
	       ", \"depth\": %u, \"senders_waiting\": %u, \"receivers_waiting\": %u"
	       ", \"shut\": %s, \"autoclose\": %s, \"sent\": %" PRIu64
	       ", \"received\": %" PRIu64 ", \"high_water\": %u"
	       ", \"mode\": \"%04o\", \"lease\": %s, \"leased\": %u"
	       ", \"redelivered\": %" PRIu64 ", \"dead\": %" PRIu64
	       ", \"max_deliveries\": %u, \"lease_ms\": %u"
	       ", \"dead_letter\": %" PRIu64 ", \"rate\": %u, \"burst\": %u"
	       ", \"throttled_ns\": %" PRIu64 ", \"reply\": %s, \"relay\": %s}\n",
	       st->id, st->capacity, st->msg_size, st->depth,
	       st->senders_waiting, st->receivers_waiting,
	       st->shut ? "true" : "false", st->autoclose ? "true" : "false",
	       st->sent, st->received, st->high_water, st->mode,
	       st->lease ? "true" : "false", st->leased, st->redelivered,
	       st->dead, st->max_deliveries, st->lease_ms, st->dead_letter,
	       st->rate, st->burst, st->throttled_ns,
	       st->reply ? "true" : "false", relay ? "true" : "false");
}

static int stat_run(const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct cspchan_stat st;
	bool json = false, relay;
	int opt, fd, ret;

	while ((opt = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			return cli_help(cmd);
		default:
			return cli_bad_option(cmd, opt, argv);
		}
	}
	if (optind != argc - 1)
		return cli_usage(cmd, optind < argc ? "one NAME expected" : "missing NAME");

	fd = cli_open_any(cmd->name, argv[optind]);
	if (fd < 0)
		return CLI_ERROR;
	ret = cspchan_stat(fd, &st);
	relay = cli_channel_relays(fd);
	close(fd);
	if (ret < 0) {
		cli_error(cmd->name, argv[optind], -ret);
		return CLI_ERROR;
	}
	if (json)
		print_stat_json(&st, relay);
	else
		print_stat_text(&st, relay);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error(cmd->name, "stdout", errno ? errno : EIO);
		return CLI_ERROR;
	}
	return CLI_OK;
}

const struct cli_command cmd_stat = {
	.name = "stat",
	.summary = "show one channel's figures",
	.run = stat_run,
	.help =
"Usage: cspchan stat [--json] NAME\n"
"\n"
"Print every figure of the channel (cspchan_stat(3)), one \"key: value\"\n"
"per line: name, id, capacity, msg_size, depth (messages queued),\n"
"senders_waiting, receivers_waiting (tasks blocked), shut and autoclose\n"
"(0 or 1), sent and received (totals), high_water (largest depth seen),\n"
"mode (octal), and for leases: lease (0 or 1: created with --lease), leased\n"
"(messages delivered and not yet acknowledged), redelivered and dead\n"
"(totals), max_deliveries, lease_ms (0: no limit) and dead_letter (the id of\n"
"the dead-letter channel, 0: none); for paced channels: rate (messages per\n"
"second, 0: unpaced), burst (0 when unpaced) and throttled_ns (the time\n"
"receivers waited for a token, summed, in nanoseconds); reply and relay (0\n"
"or 1: created with --reply, --relay).  A module without leases or paced\n"
"channels shows 0 for those.\n"
"\n"
"Options:\n"
"  -j, --json   one JSON object instead (shut, autoclose, lease, reply and\n"
"               relay are booleans, mode a string such as \"0600\")\n"
"  -h, --help   this text\n"
"\n"
"Exit status: 0 printed, 1 error, 2 usage.\n"
"\n"
"Examples:\n"
"  cspchan stat jobs\n"
"  cspchan stat --json jobs | jq .depth\n",
};
