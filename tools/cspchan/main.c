// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan(1): the command line tool over libcspchan.  main() finds the
 * subcommand and hands it the rest of the command line; each subcommand
 * parses its own options.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <cspchan.h>

#include "cli.h"

static const struct cli_command *const commands[] = {
	&cmd_create, &cmd_send, &cmd_recv, &cmd_shutdown, &cmd_rm,
	&cmd_stat, &cmd_ls, &cmd_watch, &cmd_pace, &cmd_bridge,
};

#define NR_COMMANDS	ARRAY_SIZE(commands)

static const struct cli_command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++) {
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	}
	return NULL;
}

static void print_help(FILE *f)
{
	size_t i;

	fputs("Usage: cspchan COMMAND [OPTIONS] [ARGS]\n"
	      "       cspchan help COMMAND | COMMAND --help\n"
	      "\n"
	      "Go-style CSP channels shared between processes, from the shell: connect\n"
	      "ordinary programs through a kernel channel with back-pressure.\n"
	      "\n"
	      "Commands:\n", f);
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fputs("  help       show the help of a command\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help      this text\n"
	      "  -V, --version   the version\n"
	      "\n"
	      "Exit status (every command):\n"
	      "  0  success (recv: end of stream or COUNT messages)\n"
	      "  1  error, reported on stderr as \"cspchan: COMMAND: NAME: reason\"\n"
	      "  2  usage error (bad option or argument)\n"
	      "  3  timeout (-t expired)\n"
	      "  4  the channel is shut down (send, shutdown)\n"
	      "\n"
	      "Examples:\n"
	      "  cspchan create -c 8 jobs\n"
	      "  seq 100 | cspchan send --shutdown jobs &\n"
	      "  cspchan recv jobs | consumer\n"
	      "  cspchan ls\n"
	      "\n"
	      "See cspchan(1) and cspchan(7).\n", f);
}

static int help_run(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc < 2) {
		print_help(stdout);
		return CLI_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "cspchan: help: unknown command '%s'\n"
			"Try 'cspchan --help'.\n", argv[1]);
		return CLI_USAGE;
	}
	return cli_help(cmd);
}

static int main_usage(const char *fmt, const char *arg)
{
	fputs("cspchan: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'cspchan --help'.\n", stderr);
	return CLI_USAGE;
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;
	const char *name;

	/* Each command reports its own option errors, in its own words. */
	opterr = 0;

	if (argc < 2)
		return main_usage("%s", "missing COMMAND");
	name = argv[1];
	if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
		print_help(stdout);
		return CLI_OK;
	}
	if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0) {
		printf("cspchan %d.%d\n", CSPCHAN_VERSION_MAJOR, CSPCHAN_VERSION_MINOR);
		return CLI_OK;
	}
	if (strcmp(name, "help") == 0)
		return help_run(argc - 1, argv + 1);
	if (name[0] == '-')
		return main_usage("unrecognized option '%s'", name);

	cmd = find_command(name);
	if (!cmd)
		return main_usage("unknown command '%s'", name);
	return cmd->run(cmd, argc - 1, argv + 1);
}
