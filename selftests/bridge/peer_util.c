// SPDX-License-Identifier: GPL-2.0
/*
 * peer_util - what chanpeer and natsctl share (see peer_util.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peer_util.h"

void usage(void)
{
	fputs(peer_usage, stderr);
	exit(EXIT_USAGE);
}

void vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", peer_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

bool parse_u64(const char *s, uint64_t *v, int base)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, base);
	return !errno && !*end;
}

uint64_t need_u64(const char *opt, const char *s)
{
	uint64_t v;

	if (!parse_u64(s, &v, 10)) {
		msg("%s: bad number '%s'", opt, s ? s : "");
		usage();
	}
	return v;
}

unsigned int need_uint(const char *opt, const char *s)
{
	uint64_t v = need_u64(opt, s);

	if (v > 0xffffffffULL) {
		msg("%s: %s is too large", opt, s);
		usage();
	}
	return (unsigned int)v;
}

void parse_opts(int argc, char **argv, struct opt *opts, char **pos,
		int npos)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		struct opt *o;

		if (strncmp(argv[i], "--", 2) || !argv[i][2]) {
			if (n == npos) {
				msg("unexpected argument '%s'", argv[i]);
				usage();
			}
			pos[n++] = argv[i];
			continue;
		}
		for (o = opts; o->name; o++)
			if (!strcmp(argv[i], o->name))
				break;
		if (!o->name) {
			msg("unknown option '%s'", argv[i]);
			usage();
		}
		o->set = true;
		if (o->flag)
			continue;
		if (i + 1 >= argc) {
			msg("%s needs a value", argv[i]);
			usage();
		}
		o->val = argv[++i];
	}
	if (n != npos)
		usage();
}

uint64_t opt_u64(const struct opt *o, uint64_t dflt)
{
	return o->set ? need_u64(o->name, o->val) : dflt;
}

unsigned int opt_uint(const struct opt *o, unsigned int dflt)
{
	return o->set ? need_uint(o->name, o->val) : dflt;
}

/* ------------------------------------------------------------------ */
/* payloads */

uint64_t opt_payload_size(const struct opt *o)
{
	uint64_t size = opt_u64(o, 64);

	if (size < MIN_PAYLOAD || size > 64 * 1024 * 1024) {
		msg("--size must be %d..64M", MIN_PAYLOAD);
		usage();
	}
	return size;
}

void fill_payload(char *buf, size_t size, uint64_t i)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "msg-%08" PRIu64, i);

	if ((size_t)n > size)
		n = (int)size;
	memcpy(buf, head, (size_t)n);
	for (size_t k = (size_t)n; k < size; k++)
		buf[k] = (char)('a' + (i * 7 + k * 13) % 26);
}

bool check_payload(const char *buf, size_t len, char *scratch, uint64_t *idx)
{
	uint64_t v = 0;
	size_t k;

	if (len < MIN_PAYLOAD || memcmp(buf, "msg-", 4))
		return false;
	for (k = 4; k < len && buf[k] >= '0' && buf[k] <= '9' && k < 24; k++)
		v = v * 10 + (uint64_t)(buf[k] - '0');
	if (k < 12)
		return false;
	fill_payload(scratch, len, v);
	if (memcmp(scratch, buf, len))
		return false;
	*idx = v;
	return true;
}
