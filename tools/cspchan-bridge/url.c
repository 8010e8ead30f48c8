// SPDX-License-Identifier: GPL-2.0
/*
 * Broker URLs:
 *   nats://HOST:PORT[,HOST:PORT...]/SUBJECT?stream=NAME[&durable=NAME]
 *   kafka://BROKER[,BROKER...]/TOPIC[?group=NAME]
 * Every part is checked here, so that a bad URL stops the bridge before it
 * connects anywhere or takes anything from a channel.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

bool bridge_is_url(const char *text)
{
	return strstr(text, "://") != NULL;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* "host:port" with a port in 1..65535 and a host of safe characters. */
static bool valid_server(const char *s, size_t n)
{
	const char *colon = memrchr(s, ':', n);
	unsigned long port = 0;
	size_t i;

	if (!colon || colon == s || colon == s + n - 1)
		return false;
	for (i = 0; s + i < colon; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_[]:",
			    s[i]))
			return false;
	for (const char *p = colon + 1; p < s + n; p++) {
		if (*p < '0' || *p > '9')
			return false;
		port = port * 10 + (unsigned long)(*p - '0');
		if (port > 65535)
			return false;
	}
	return port > 0;
}

/* A subject, topic, stream or consumer name: no spaces, wildcards or slashes. */
static bool valid_name(const char *s, bool dots)
{
	if (!*s || strlen(s) > 255)
		return false;
	for (; *s; s++) {
		if (*s <= ' ' || *s == '*' || *s == '>' || *s == '/' || *s == '?' ||
		    *s == '&' || *s == '=' || *s == ',' || *s == 0x7f)
			return false;
		if (!dots && *s == '.')
			return false;
	}
	return true;
}

int bridge_url_parse(const char *text, struct bridge_url *url, char *err, size_t errlen)
{
	const char *rest, *slash, *query;
	char *servers = NULL, *name = NULL, *q = NULL, *tok, *save;
	size_t n;

	memset(url, 0, sizeof(*url));
	if (!strncmp(text, "nats://", 7)) {
		url->kind = BRIDGE_NATS;
		rest = text + 7;
	} else if (!strncmp(text, "kafka://", 8)) {
		url->kind = BRIDGE_KAFKA;
		rest = text + 8;
	} else {
		return fail(err, errlen, "unknown URL scheme in '%s' (nats:// or kafka://)", text);
	}

	slash = strchr(rest, '/');
	if (!slash || slash == rest)
		return fail(err, errlen, "'%s': no %s after the servers", text,
			    url->kind == BRIDGE_NATS ? "/SUBJECT" : "/TOPIC");
	servers = strndup(rest, (size_t)(slash - rest));
	for (tok = strtok_r(servers, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!valid_server(tok, strlen(tok))) {
			fail(err, errlen, "'%s': bad server '%s' (HOST:PORT)", text, tok);
			goto bad;
		}
	}
	free(servers);
	servers = strndup(rest, (size_t)(slash - rest));

	query = strchr(slash + 1, '?');
	n = query ? (size_t)(query - slash - 1) : strlen(slash + 1);
	name = strndup(slash + 1, n);
	if (!valid_name(name, true)) {
		fail(err, errlen, "'%s': bad %s '%s'", text,
		     url->kind == BRIDGE_NATS ? "subject" : "topic", name);
		goto bad;
	}

	if (query) {
		q = strdup(query + 1);
		for (tok = strtok_r(q, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(tok, '='), **slot = NULL;

			if (!eq) {
				fail(err, errlen, "'%s': parameter '%s' has no value", text, tok);
				goto bad;
			}
			*eq = '\0';
			if (url->kind == BRIDGE_NATS && !strcmp(tok, "stream"))
				slot = &url->stream;
			else if (url->kind == BRIDGE_NATS && !strcmp(tok, "durable"))
				slot = &url->durable;
			else if (url->kind == BRIDGE_KAFKA && !strcmp(tok, "group"))
				slot = &url->group;
			if (!slot) {
				fail(err, errlen, "'%s': unknown parameter '%s'", text, tok);
				goto bad;
			}
			if (*slot) {
				fail(err, errlen, "'%s': parameter '%s' given twice", text, tok);
				goto bad;
			}
			if (!valid_name(eq + 1, url->kind == BRIDGE_KAFKA)) {
				fail(err, errlen, "'%s': bad %s '%s'", text, tok, eq + 1);
				goto bad;
			}
			*slot = strdup(eq + 1);
		}
	}
	if (url->kind == BRIDGE_NATS && !url->stream) {
		fail(err, errlen, "'%s': a NATS URL needs ?stream=NAME", text);
		goto bad;
	}
	url->servers = servers;
	url->subject = name;
	free(q);
	return 0;
bad:
	free(servers);
	free(name);
	free(q);
	bridge_url_free(url);
	return -1;
}

void bridge_url_free(struct bridge_url *url)
{
	free(url->servers);
	free(url->subject);
	free(url->stream);
	free(url->durable);
	free(url->group);
	memset(url, 0, sizeof(*url));
}
