// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan(1): error reporting, option parsing and opening channels, shared
 * by every subcommand.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <cspchan.h>

#include "cli.h"

bool cli_channel_relays(int fd)
{
	struct cspchan_info info;

	memset(&info, 0, sizeof(info));
	return ioctl(fd, CSPCHAN_IOC_STAT, &info) == 0 &&
	       (info.flags & CSPCHAN_INFO_RELAY);
}

void cli_error(const char *cmd, const char *what, int err)
{
	fprintf(stderr, "cspchan: %s: %s: %s\n", cmd, what, strerror(err));
}

void cli_errorf(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cspchan: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cspchan: %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'cspchan %s --help'.\n", cmd->name);
	return CLI_USAGE;
}

int cli_bad_option(const struct cli_command *cmd, int opt, char **argv)
{
	/*
	 * getopt_long leaves the offending short option in optopt, or 0 for
	 * an unknown long option, which is then the previous argument.
	 */
	const char *arg = argv[optind - 1];

	if (opt == ':') {
		if (optopt && strncmp(arg, "--", 2) != 0)
			return cli_usage(cmd, "option requires an argument -- '%c'",
					 optopt);
		return cli_usage(cmd, "option '%s' requires an argument", arg);
	}
	if (optopt)
		return cli_usage(cmd, "invalid option -- '%c'", optopt);
	return cli_usage(cmd, "unrecognized option '%s'", arg);
}

int cli_help(const struct cli_command *cmd)
{
	fputs(cmd->help, stdout);
	return CLI_OK;
}

int cli_status_of(int err)
{
	return err == EPIPE ? CLI_SHUT : CLI_ERROR;
}

void cli_channel_error(const char *cmd, const char *name, int err)
{
	if (err == ENOENT && access(CSPCHAN_DEVICE, F_OK) != 0)
		fprintf(stderr, "cspchan: %s: %s: %s (is the cspchan module loaded?)\n",
			cmd, CSPCHAN_DEVICE, strerror(ENOENT));
	else
		cli_error(cmd, name, err);
}

static int open_failed(const char *cmd, const char *name, int fd)
{
	cli_channel_error(cmd, name, -fd);
	return fd;
}

int cli_open(const char *cmd, const char *name, int oflags)
{
	int fd = cspchan_open(name, oflags);

	return fd >= 0 ? fd : open_failed(cmd, name, fd);
}

int cli_open_any(const char *cmd, const char *name)
{
	/*
	 * Receive-only first: releasing a send-capable handle is what shuts
	 * an auto-close channel down.  (It can only do so when the last real
	 * sender goes at the same moment, which would shut it anyway.)
	 */
	int fd = cspchan_open(name, O_RDONLY | O_CLOEXEC);

	if (fd == -EACCES)
		fd = cspchan_open(name, O_WRONLY | O_CLOEXEC);
	return fd >= 0 ? fd : open_failed(cmd, name, fd);
}

bool cli_parse_uint(const char *s, uint64_t max, bool suffixes, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	if (suffixes && (*end == 'k' || *end == 'K')) {
		mult = 1024;
		end++;
	} else if (suffixes && (*end == 'm' || *end == 'M')) {
		mult = 1024 * 1024;
		end++;
	}
	if (*end != '\0' || v > max / mult)
		return false;
	*out = v * mult;
	return true;
}

bool cli_parse_ms(const char *s, int *out)
{
	uint64_t v;

	if (!cli_parse_uint(s, INT_MAX, false, &v))
		return false;
	*out = (int)v;
	return true;
}

bool cli_parse_rate(const char *s, uint32_t *out)
{
	size_t len = strlen(s);
	char num[32];
	uint64_t v;

	if (len > 2 && strcmp(s + len - 2, "/s") == 0)
		len -= 2;
	if (len == 0 || len >= sizeof(num))
		return false;
	memcpy(num, s, len);
	num[len] = '\0';
	if (!cli_parse_uint(num, UINT32_MAX, false, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

void json_string(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

uint64_t cli_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
