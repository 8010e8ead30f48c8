/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cspchan(1): what the subcommands share.  Each subcommand is a struct
 * cli_command with its own --help text; main.c dispatches to them.
 */
#ifndef CSPCHAN_CLI_H
#define CSPCHAN_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Exit statuses, the same for every subcommand (cspchan(1), EXIT STATUS).
 * A script can tell "nothing came in time" and "the channel is closed"
 * from real failures without parsing messages.
 */
enum cli_status {
	CLI_OK = 0,		/* done; recv: end of stream or COUNT messages */
	CLI_ERROR = 1,		/* a system call failed (message on stderr) */
	CLI_USAGE = 2,		/* bad command line */
	CLI_TIMEOUT = 3,	/* -t expired (send: message not sent) */
	CLI_SHUT = 4,		/* the channel is shut down (EPIPE) */
};

struct cli_command {
	const char *name;
	const char *summary;	/* one line for "cspchan --help" */
	const char *help;	/* the whole "cspchan NAME --help" text */
	int (*run)(const struct cli_command *cmd, int argc, char **argv);
};

extern const struct cli_command cmd_create, cmd_send, cmd_recv,
	cmd_shutdown, cmd_rm, cmd_stat, cmd_ls, cmd_watch, cmd_pace, cmd_bridge;

/* util.c */

/* "cspchan: CMD: WHAT: strerror(err)" on stderr. */
void cli_error(const char *cmd, const char *what, int err);
/*
 * cli_error() for an operation on channel @name; ENOENT because
 * /dev/cspchan is missing names the device and suggests loading the module.
 */
void cli_channel_error(const char *cmd, const char *name, int err);
/* "cspchan: CMD: <formatted>" on stderr. */
void cli_errorf(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A usage message and the pointer to --help; returns CLI_USAGE. */
int cli_usage(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The usage message for getopt_long's '?' or ':' (opterr is 0). */
int cli_bad_option(const struct cli_command *cmd, int opt, char **argv);
/* Print @cmd's --help text; returns CLI_OK. */
int cli_help(const struct cli_command *cmd);
/* The status for a failed channel operation: EPIPE is CLI_SHUT. */
int cli_status_of(int err);

/*
 * Open channel @name with @oflags, reporting a failure (with a hint when
 * the module is not loaded).  Returns the handle or -errno.
 */
int cli_open(const char *cmd, const char *name, int oflags);
/*
 * Open @name for a look that neither sends nor receives (stat,
 * shutdown): receive-only when allowed, else send-only.
 */
int cli_open_any(const char *cmd, const char *name);

/*
 * Parse an unsigned decimal number no larger than @max; with @suffixes,
 * a trailing k/K or m/M multiplies by 1024 or 1048576.  Returns false on
 * anything else, including an empty string and a sign.
 */
bool cli_parse_uint(const char *s, uint64_t max, bool suffixes, uint64_t *out);
/*
 * Was channel @fd created with CSPCHAN_RELAY?  struct cspchan_stat has no
 * field for it (it would need a new symbol version): the flag is read
 * from CSPCHAN_IOC_STAT's info.flags.  False when that fails.
 */
bool cli_channel_relays(int fd);
/* Milliseconds for -t: 0..INT_MAX. */
bool cli_parse_ms(const char *s, int *out);
/* A rate in messages per second: N or N/s, 0..UINT32_MAX. */
bool cli_parse_rate(const char *s, uint32_t *out);

/* Write @s as a JSON string literal, quotes included. */
void json_string(FILE *f, const char *s);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t cli_now_ns(void);

#endif /* CSPCHAN_CLI_H */
