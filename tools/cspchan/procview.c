// SPDX-License-Identifier: GPL-2.0
/*
 * Parse /proc/cspchan: a header line naming the columns, then one line of
 * whitespace-separated figures per channel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "procview.h"

#define MAX_COLUMNS	64

/*
 * The columns this tool uses, by their header names.  Those a module added
 * later come in groups, each known only when all of its columns are there.
 */
enum column_group {
	GROUP_BASE,		/* every module has them */
	GROUP_LEASE,		/* since leases (SPEC 9) */
	GROUP_PACE,		/* since paced channels (SPEC 11) */
	NR_GROUPS
};

static const struct {
	const char *name;
	size_t offset;		/* of a uint64_t in struct chan_row */
	enum column_group group;
} known_columns[] = {
#define COLUMN(field) { #field, offsetof(struct chan_row, field), GROUP_BASE }
#define LEASE_COLUMN(field) { #field, offsetof(struct chan_row, field), GROUP_LEASE }
#define PACE_COLUMN(field) { #field, offsetof(struct chan_row, field), GROUP_PACE }
	COLUMN(id),
	COLUMN(capacity),
	COLUMN(msg_size),
	COLUMN(depth),
	COLUMN(senders_waiting),
	COLUMN(receivers_waiting),
	COLUMN(shut),
	COLUMN(sent),
	COLUMN(received),
	COLUMN(high_water),
	LEASE_COLUMN(leased),
	LEASE_COLUMN(redelivered),
	LEASE_COLUMN(dead),
	PACE_COLUMN(rate),
	PACE_COLUMN(burst),
	PACE_COLUMN(throttled_ns),
#undef PACE_COLUMN
#undef LEASE_COLUMN
#undef COLUMN
};

#define NR_KNOWN	ARRAY_SIZE(known_columns)
#define NAME_COLUMN	NR_KNOWN	/* index of "name" in column_of[] */
#define ABSENT		SIZE_MAX	/* column_of[] of a later column not there */

const char *procview_path(void)
{
	const char *path = getenv("CSPCHAN_PROC");

	return path && *path ? path : PROCVIEW_PATH;
}

/* Split @line in place on blanks; returns the number of words. */
static size_t split(char *line, char **words, size_t max)
{
	size_t n = 0;
	char *save;
	char *w;

	for (w = strtok_r(line, " \t\n", &save); w && n < max;
	     w = strtok_r(NULL, " \t\n", &save))
		words[n++] = w;
	return n;
}

/*
 * Map each known column (and "name") to its position in the header.  The
 * columns of a later group count only all together: without one of them,
 * all of that group read as unknown.
 */
static int parse_header(char *line, size_t column_of[NR_KNOWN + 1],
			bool known[NR_GROUPS])
{
	size_t columns[NR_GROUPS] = { 0 }, found[NR_GROUPS] = { 0 };
	char *words[MAX_COLUMNS];
	size_t n = split(line, words, MAX_COLUMNS);
	size_t k, i;
	int g;

	for (k = 0; k <= NR_KNOWN; k++) {
		const char *want = k == NAME_COLUMN ? "name" : known_columns[k].name;
		enum column_group group = k == NAME_COLUMN ? GROUP_BASE :
					  known_columns[k].group;

		for (i = 0; i < n && strcmp(words[i], want); i++)
			;
		if (i == n && group == GROUP_BASE)
			return -EBADMSG;
		column_of[k] = i == n ? ABSENT : i;
		columns[group]++;
		found[group] += i < n;
	}
	for (g = 0; g < NR_GROUPS; g++)
		known[g] = found[g] == columns[g];
	for (k = 0; k < NR_KNOWN; k++) {
		if (!known[known_columns[k].group])
			column_of[k] = ABSENT;
	}
	return 0;
}

static int parse_row(char *line, const size_t column_of[NR_KNOWN + 1],
		     const bool known[NR_GROUPS], struct chan_row *row)
{
	char *words[MAX_COLUMNS];
	size_t n = split(line, words, MAX_COLUMNS);
	const char *name;
	size_t k;

	memset(row, 0, sizeof(*row));
	for (k = 0; k < NR_KNOWN; k++) {
		uint64_t *field = (uint64_t *)((char *)row + known_columns[k].offset);

		if (column_of[k] == ABSENT)
			continue;
		if (column_of[k] >= n ||
		    !cli_parse_uint(words[column_of[k]], UINT64_MAX, false, field))
			return -EBADMSG;
	}
	if (column_of[NAME_COLUMN] >= n)
		return -EBADMSG;
	name = words[column_of[NAME_COLUMN]];
	if (strlen(name) >= sizeof(row->name))
		return -EBADMSG;
	if (strcmp(name, "-") != 0)
		strcpy(row->name, name);
	row->leases_known = known[GROUP_LEASE];
	row->pace_known = known[GROUP_PACE];
	return 0;
}

int procview_read(struct chan_row **rowsp, size_t *nrowsp)
{
	size_t column_of[NR_KNOWN + 1];
	struct chan_row *rows = NULL;
	bool known[NR_GROUPS];
	size_t nrows = 0, cap = 0;
	char *line = NULL;
	size_t linecap = 0;
	int ret = 0;
	FILE *f;

	f = fopen(procview_path(), "re");
	if (!f)
		return -errno;

	if (getline(&line, &linecap, f) < 0) {
		ret = ferror(f) ? -EIO : -EBADMSG;
		goto out;
	}
	ret = parse_header(line, column_of, known);
	if (ret)
		goto out;

	while (getline(&line, &linecap, f) >= 0) {
		if (line[strspn(line, " \t\n")] == '\0')
			continue;
		if (nrows == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct chan_row *nrows_p = realloc(rows, ncap * sizeof(*rows));

			if (!nrows_p) {
				ret = -ENOMEM;
				goto out;
			}
			rows = nrows_p;
			cap = ncap;
		}
		ret = parse_row(line, column_of, known, &rows[nrows]);
		if (ret)
			goto out;
		nrows++;
	}
	if (ferror(f))
		ret = -EIO;
out:
	free(line);
	fclose(f);
	if (ret) {
		free(rows);
		return ret;
	}
	*rowsp = rows;
	*nrowsp = nrows;
	return 0;
}
