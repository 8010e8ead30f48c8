// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan bridge: runs cspchan-bridge (tools/cspchan-bridge/), which links
 * libnats and librdkafka; cspchan itself stays free of them.  It is looked
 * for in $CSPCHAN_BRIDGE, beside this program (installed: both in
 * $PREFIX/bin; built: build/tools/cspchan-bridge/), then in $PATH.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void try_exec(const char *path, char **argv)
{
	if (access(path, X_OK) == 0)
		execv(path, argv);
}

static int bridge_run(const struct cli_command *cmd, int argc, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 64], *slash;
	const char *env = getenv("CSPCHAN_BRIDGE");
	ssize_t n;

	(void)argc;
	argv[0] = "cspchan-bridge";
	if (env && *env) {
		execv(env, argv);
		cli_errorf(cmd->name, "%s: %s", env, strerror(errno));
		return CLI_ERROR;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/cspchan-bridge", self);
			try_exec(path, argv);
			snprintf(path, sizeof(path), "%s/cspchan-bridge/cspchan-bridge", self);
			try_exec(path, argv);
		}
	}
	execvp("cspchan-bridge", argv);
	cli_errorf(cmd->name, "cannot run cspchan-bridge: %s (is it installed? "
		   "make -C tools/cspchan-bridge needs libnats-dev and librdkafka-dev)",
		   strerror(errno));
	return CLI_ERROR;
}

const struct cli_command cmd_bridge = {
	.name = "bridge",
	.summary = "move messages between a channel and NATS JetStream or Kafka",
	.help = "Usage: cspchan bridge [OPTIONS] SOURCE DESTINATION\n"
		"Runs cspchan-bridge; see cspchan-bridge --help and cspchan(1).\n",
	.run = bridge_run,
};
