/* SPDX-License-Identifier: GPL-2.0 */
/*
 * peer_util - what the bridge test tools chanpeer and natsctl share: the
 * command option parser, number parsing, messages and the test payloads.
 *
 * Each program defines peer_prog (the prefix of its messages) and
 * peer_usage.
 */
#ifndef PEER_UTIL_H
#define PEER_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXIT_FAIL	1
#define EXIT_USAGE	2

#define MIN_PAYLOAD	12	/* "msg-" and 8 digits */

/* Defined by the program: its name and its usage text. */
extern const char peer_prog[], peer_usage[];

/* The usage text on stderr, exit EXIT_USAGE. */
void usage(void) __attribute__((noreturn));

/* "PROG: " and the message, on stderr. */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vmsg(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

double now_s(void);

/* A whole unsigned number in @base (no sign, nothing after it). */
bool parse_u64(const char *s, uint64_t *v, int base);
/* A decimal number, else a message naming @opt and usage(). */
uint64_t need_u64(const char *opt, const char *s);
/* The same, at most 0xffffffff. */
unsigned int need_uint(const char *opt, const char *s);

/*
 * Command options: after the positional arguments or among them.  Every
 * option takes a value except the flags; a table ends with { 0 }.
 */
struct opt {
	const char *name;
	const char *val;
	bool flag;
	bool set;
};

/* Parse into @opts and exactly @npos positional arguments, else usage(). */
void parse_opts(int argc, char **argv, struct opt *opts, char **pos,
		int npos);
/* The option's decimal value, or @dflt when it is not given. */
uint64_t opt_u64(const struct opt *o, uint64_t dflt);
unsigned int opt_uint(const struct opt *o, unsigned int dflt);

/*
 * Payloads: message i is "msg-%08u" of i, padded to its size with a fill
 * pattern derived from i.
 */
/* --size: MIN_PAYLOAD..64M bytes, default 64. */
uint64_t opt_payload_size(const struct opt *o);
void fill_payload(char *buf, size_t size, uint64_t i);
/*
 * The number of a well-formed payload of @len bytes, in @idx; else false.
 * @scratch: @len bytes.
 */
bool check_payload(const char *buf, size_t len, char *scratch, uint64_t *idx);

#endif /* PEER_UTIL_H */
