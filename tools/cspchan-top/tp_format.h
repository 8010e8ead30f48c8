/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Check hand-written tracepoint record layouts against the format files
 * in tracefs (events/<system>/<event>/format), for events whose types the
 * kernel does not describe in BTF (such as an out-of-tree module's).
 */
#ifndef TP_FORMAT_H
#define TP_FORMAT_H

#include <stddef.h>

struct tp_field {
	const char *event;	/* e.g. "cspchan_send" */
	const char *field;	/* e.g. "depth" */
	unsigned int offset;	/* where the tool expects it */
};

/*
 * 0 if every field is at the expected offset; otherwise -1 with the
 * reason on stderr (system absent, format unreadable, field elsewhere).
 * Fields of one event should be adjacent in @fields.
 */
int tp_check_fields(const char *system, const struct tp_field *fields,
		    size_t nr_fields);

/*
 * 1 if tracefs lists @event of @system (events/<system>/<event>), 0 if
 * not (an older kernel or module, or no tracefs).
 */
int tp_event_exists(const char *system, const char *event);

#endif /* TP_FORMAT_H */
