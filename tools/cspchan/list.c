// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan ls: every channel of /proc/cspchan as a table, JSON, or the
 * Prometheus text exposition format.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "list.h"
#include "procview.h"
#include "table.h"

static const struct table_column ls_columns[] = {
	{ "ID", true }, { "NAME", false }, { "CAP", true }, { "SIZE", true },
	{ "DEPTH", true }, { "SENDW", true }, { "RECVW", true },
	{ "SHUT", false }, { "SENT", true }, { "RECV", true }, { "HWM", true },
	{ "LEASED", true }, { "REDELIV", true }, { "DEAD", true },
	{ "RATE", true }, { "BURST", true }, { "THROTTLED", true },
};

/* A lease figure: "-" in the table, null in JSON, from a module without. */
static void table_add_lease(struct table *t, const struct chan_row *r, uint64_t v)
{
	if (r->leases_known)
		table_add(t, "%" PRIu64, v);
	else
		table_add(t, "-");
}

static void json_lease(const char *key, const struct chan_row *r, uint64_t v)
{
	if (r->leases_known)
		printf(", \"%s\": %" PRIu64, key, v);
	else
		printf(", \"%s\": null", key);
}

/* A pace figure: "-" in the table, null in JSON, from a module without. */
static void table_add_pace(struct table *t, const struct chan_row *r, uint64_t v)
{
	if (r->pace_known)
		table_add(t, "%" PRIu64, v);
	else
		table_add(t, "-");
}

/* The time receivers waited for tokens, in seconds with 3 decimals. */
static void table_add_throttled(struct table *t, const struct chan_row *r)
{
	if (r->pace_known)
		table_add(t, "%" PRIu64 ".%03" PRIu64 "s", r->throttled_ns / 1000000000,
			  r->throttled_ns / 1000000 % 1000);
	else
		table_add(t, "-");
}

static void json_pace(const char *key, const struct chan_row *r, uint64_t v)
{
	if (r->pace_known)
		printf(", \"%s\": %" PRIu64, key, v);
	else
		printf(", \"%s\": null", key);
}

static int print_table(const struct chan_row *rows, size_t n)
{
	struct table t;
	size_t i;
	int ret;

	table_init(&t, ls_columns, ARRAY_SIZE(ls_columns));
	for (i = 0; i < n; i++) {
		const struct chan_row *r = &rows[i];

		table_add(&t, "%" PRIu64, r->id);
		table_add(&t, "%s", r->name[0] ? r->name : "-");
		table_add(&t, "%" PRIu64, r->capacity);
		table_add(&t, "%" PRIu64, r->msg_size);
		table_add(&t, "%" PRIu64, r->depth);
		table_add(&t, "%" PRIu64, r->senders_waiting);
		table_add(&t, "%" PRIu64, r->receivers_waiting);
		table_add(&t, "%s", r->shut ? "yes" : "no");
		table_add(&t, "%" PRIu64, r->sent);
		table_add(&t, "%" PRIu64, r->received);
		table_add(&t, "%" PRIu64, r->high_water);
		table_add_lease(&t, r, r->leased);
		table_add_lease(&t, r, r->redelivered);
		table_add_lease(&t, r, r->dead);
		table_add_pace(&t, r, r->rate);
		table_add_pace(&t, r, r->burst);
		table_add_throttled(&t, r);
	}
	ret = table_print(&t, stdout);
	table_free(&t);
	return ret;
}

static void print_json(const struct chan_row *rows, size_t n)
{
	size_t i;

	fputs("[", stdout);
	for (i = 0; i < n; i++) {
		const struct chan_row *r = &rows[i];

		printf("%s\n  {\"id\": %" PRIu64 ", \"name\": ", i ? "," : "", r->id);
		if (r->name[0])
			json_string(stdout, r->name);
		else
			fputs("null", stdout);
		printf(", \"capacity\": %" PRIu64 ", \"msg_size\": %" PRIu64
		       ", \"depth\": %" PRIu64 ", \"senders_waiting\": %" PRIu64
		       ", \"receivers_waiting\": %" PRIu64 ", \"shut\": %s"
		       ", \"sent\": %" PRIu64 ", \"received\": %" PRIu64
		       ", \"high_water\": %" PRIu64,
		       r->capacity, r->msg_size, r->depth, r->senders_waiting,
		       r->receivers_waiting, r->shut ? "true" : "false",
		       r->sent, r->received, r->high_water);
		json_lease("leased", r, r->leased);
		json_lease("redelivered", r, r->redelivered);
		json_lease("dead", r, r->dead);
		json_pace("rate", r, r->rate);
		json_pace("burst", r, r->burst);
		json_pace("throttled_ns", r, r->throttled_ns);
		fputs("}", stdout);
	}
	fputs(n ? "\n]\n" : "]\n", stdout);
}

static const struct {
	const char *name;
	const char *type;
	const char *help;
	size_t offset;		/* of a uint64_t in struct chan_row */
	bool lease;		/* only where the module shows lease figures */
	bool pace;		/* only where the module shows pace figures */
	double scale;		/* the value is multiplied by it (0: 1) */
} metrics[] = {
#define METRIC(name, type, field, help) \
	{ name, type, help, offsetof(struct chan_row, field), false, false, 0 }
#define LEASE_METRIC(name, type, field, help) \
	{ name, type, help, offsetof(struct chan_row, field), true, false, 0 }
#define PACE_METRIC(name, type, field, help, scale) \
	{ name, type, help, offsetof(struct chan_row, field), false, true, scale }
	METRIC("cspchan_capacity", "gauge", capacity,
	       "Messages the channel buffers (0: unbuffered)."),
	METRIC("cspchan_msg_size_bytes", "gauge", msg_size,
	       "Largest message the channel accepts, in bytes."),
	METRIC("cspchan_depth", "gauge", depth,
	       "Messages buffered in the channel now."),
	METRIC("cspchan_senders_waiting", "gauge", senders_waiting,
	       "Tasks blocked sending (back-pressure)."),
	METRIC("cspchan_receivers_waiting", "gauge", receivers_waiting,
	       "Tasks blocked receiving."),
	METRIC("cspchan_shut", "gauge", shut,
	       "1 once the channel is shut down."),
	METRIC("cspchan_sent_total", "counter", sent,
	       "Messages sent into the channel."),
	METRIC("cspchan_received_total", "counter", received,
	       "Messages received from the channel."),
	METRIC("cspchan_high_water", "gauge", high_water,
	       "Largest depth the channel has reached."),
	LEASE_METRIC("cspchan_leased", "gauge", leased,
		     "Messages delivered and not yet acknowledged (lease channels)."),
	LEASE_METRIC("cspchan_redelivered_total", "counter", redelivered,
		     "Deliveries of messages delivered before (lease channels)."),
	LEASE_METRIC("cspchan_dead_total", "counter", dead,
		     "Messages dead-lettered or dropped after max_deliveries."),
	PACE_METRIC("cspchan_rate", "gauge", rate,
		    "Messages per second the channel lets out (0: unpaced).", 0),
	PACE_METRIC("cspchan_burst", "gauge", burst,
		    "Token bucket size of a paced channel (0: unpaced).", 0),
	PACE_METRIC("cspchan_throttled_seconds_total", "counter", throttled_ns,
		    "Time receivers waited for a token of a paced channel, summed.",
		    1e-9),
#undef PACE_METRIC
#undef LEASE_METRIC
#undef METRIC
};

/* A label value: backslash, double quote and newline are escaped. */
static void prometheus_label(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
}

static void print_prometheus(const struct chan_row *rows, size_t n)
{
	size_t m, i;

	for (m = 0; m < ARRAY_SIZE(metrics); m++) {
		printf("# HELP %s %s\n# TYPE %s %s\n", metrics[m].name,
		       metrics[m].help, metrics[m].name, metrics[m].type);
		for (i = 0; i < n; i++) {
			const uint64_t *value = (const uint64_t *)
				((const char *)&rows[i] + metrics[m].offset);

			if ((metrics[m].lease && !rows[i].leases_known) ||
			    (metrics[m].pace && !rows[i].pace_known))
				continue;
			printf("%s{id=\"%" PRIu64 "\",name=\"", metrics[m].name,
			       rows[i].id);
			prometheus_label(rows[i].name);
			if (metrics[m].scale)
				printf("\"} %.9f\n", (double)*value * metrics[m].scale);
			else
				printf("\"} %" PRIu64 "\n", *value);
		}
	}
}

int list_once(const char *cmd, enum list_format format)
{
	struct chan_row *rows;
	size_t n;
	int ret;

	ret = procview_read(&rows, &n);
	if (ret == -ENOENT && access(CSPCHAN_DEVICE, F_OK) != 0) {
		cli_errorf(cmd, "%s: %s (is the cspchan module loaded?)",
			   procview_path(), strerror(ENOENT));
		return CLI_ERROR;
	}
	if (ret == -EBADMSG) {
		cli_errorf(cmd, "%s: not a cspchan table", procview_path());
		return CLI_ERROR;
	}
	if (ret) {
		cli_error(cmd, procview_path(), -ret);
		return CLI_ERROR;
	}

	switch (format) {
	case FORMAT_TABLE:
		ret = print_table(rows, n);
		break;
	case FORMAT_JSON:
		print_json(rows, n);
		break;
	case FORMAT_PROMETHEUS:
		print_prometheus(rows, n);
		break;
	}
	free(rows);
	if (ret) {
		cli_error(cmd, "table", -ret);
		return CLI_ERROR;
	}
	return CLI_OK;
}

int flush_stdout(const char *cmd)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return CLI_OK;
	cli_error(cmd, "stdout", errno ? errno : EIO);
	return CLI_ERROR;
}

static int ls_run(const struct cli_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	enum list_format format = FORMAT_TABLE;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, ":jph", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			format = FORMAT_JSON;
			break;
		case 'p':
			format = FORMAT_PROMETHEUS;
			break;
		case 'h':
			return cli_help(cmd);
		default:
			return cli_bad_option(cmd, opt, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);

	ret = list_once(cmd->name, format);
	if (flush_stdout(cmd->name) != CLI_OK)
		return CLI_ERROR;
	return ret;
}

const struct cli_command cmd_ls = {
	.name = "ls",
	.summary = "list every channel (table, --json, --prometheus)",
	.run = ls_run,
	.help =
"Usage: cspchan ls [--json | --prometheus]\n"
"\n"
"List every channel visible in this IPC namespace, named or anonymous, from\n"
"/proc/cspchan.  Columns: ID, NAME (- when anonymous), CAP (capacity),\n"
"SIZE (msg_size), DEPTH (messages queued), SENDW and RECVW (tasks blocked\n"
"sending and receiving), SHUT, SENT and RECV (totals), HWM (high-water\n"
"mark of the depth), LEASED (messages delivered and not yet acknowledged),\n"
"REDELIV (redeliveries, total) and DEAD (messages dead-lettered or dropped\n"
"after max_deliveries), - from a module without leases; RATE (messages per\n"
"second, 0: unpaced), BURST and THROTTLED (the time receivers waited for a\n"
"token, summed, in seconds), - from a module without paced channels.\n"
"\n"
"Options:\n"
"  -j, --json         a JSON array of objects (name is null when anonymous)\n"
"  -p, --prometheus   the Prometheus text exposition format: gauges\n"
"                     cspchan_depth, cspchan_capacity, cspchan_msg_size_bytes,\n"
"                     cspchan_senders_waiting, cspchan_receivers_waiting,\n"
"                     cspchan_shut, cspchan_high_water, cspchan_leased,\n"
"                     cspchan_rate, cspchan_burst and counters\n"
"                     cspchan_sent_total, cspchan_received_total,\n"
"                     cspchan_redelivered_total, cspchan_dead_total,\n"
"                     cspchan_throttled_seconds_total, each labelled\n"
"                     {id=\"..\",name=\"..\"}\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 listed, 1 /proc/cspchan unreadable, 2 usage.\n"
"\n"
"Examples:\n"
"  cspchan ls\n"
"  cspchan ls --json | jq '.[] | select(.depth > 0)'\n"
"  cspchan ls --prometheus > /var/lib/node_exporter/textfile/cspchan.prom\n",
};
