// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tracepoint record layouts against tracefs format files (tp_format.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tp_format.h"

static const char *const tracefs_dirs[] = {
	"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
};

/* Offset of @field in an open format file, or -1 if it is not listed. */
static long format_field_offset(FILE *f, const char *field)
{
	size_t field_len = strlen(field);
	char line[256];
	unsigned int offset;

	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		char *decl = strstr(line, "field:");
		char *semi, *end, *start;

		if (!decl || !(semi = strchr(decl, ';')))
			continue;
		/* "field:u64 id;" or "field:char name[64];" */
		end = memchr(decl, '[', semi - decl);
		if (!end)
			end = semi;
		start = end;
		while (start > decl && (isalnum((unsigned char)start[-1]) ||
					start[-1] == '_'))
			start--;
		if ((size_t)(end - start) != field_len ||
		    strncmp(start, field, field_len))
			continue;
		if (sscanf(semi + 1, " offset:%u;", &offset) == 1)
			return offset;
	}
	return -1;
}

#define NR_TRACEFS_DIRS (sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]))

/* events/<system> in the first tracefs that has it: 0, or -1 if none. */
static int system_dir(const char *system, char *dir, size_t size)
{
	size_t i;

	for (i = 0; i < NR_TRACEFS_DIRS; i++) {
		snprintf(dir, size, "%s/events/%s", tracefs_dirs[i], system);
		if (access(dir, F_OK) == 0)
			return 0;
	}
	return -1;
}

int tp_event_exists(const char *system, const char *event)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];

	if (system_dir(system, dir, sizeof(dir)))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, event);
	return access(path, F_OK) == 0;
}

int tp_check_fields(const char *system, const struct tp_field *fields,
		    size_t nr_fields)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	const char *event = NULL;
	FILE *f = NULL;
	size_t i;
	long off;

	if (system_dir(system, dir, sizeof(dir))) {
		fprintf(stderr, "no %s tracepoints under %s or %s: is the "
			"module loaded and tracefs mounted?\n", system,
			tracefs_dirs[0], tracefs_dirs[1]);
		return -1;
	}

	for (i = 0; i < nr_fields; i++) {
		if (!event || strcmp(event, fields[i].event)) {
			if (f)
				fclose(f);
			event = fields[i].event;
			snprintf(path, sizeof(path), "%s/%s/format", dir, event);
			f = fopen(path, "r");
			if (!f) {
				fprintf(stderr, "cannot read %s: %s\n", path,
					strerror(errno));
				return -1;
			}
		}
		off = format_field_offset(f, fields[i].field);
		if (off != fields[i].offset) {
			fprintf(stderr, "%s: field %s is at offset %ld, expected "
				"%u: rebuild the tool for this kernel module\n",
				path, fields[i].field, off, fields[i].offset);
			fclose(f);
			return -1;
		}
	}
	if (f)
		fclose(f);
	return 0;
}
