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

/* The columns this tool uses, by their header names. */
static const struct {
	const char *name;
	size_t offset;		/* of a uint64_t in struct chan_row */
	bool lease;		/* since leases: an older module lacks it */
} known_columns[] = {
#define COLUMN(field) { #field, offsetof(struct chan_row, field), false }
#define LEASE_COLUMN(field) { #field, offsetof(struct chan_row, field), true }
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
#undef LEASE_COLUMN
#undef COLUMN
};

#define NR_KNOWN	ARRAY_SIZE(known_columns)
#define NAME_COLUMN	NR_KNOWN	/* index of "name" in column_of[] */
#define ABSENT		SIZE_MAX	/* column_of[] of a lease column not there */

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
 * lease columns count only all together: without one of them, all read
 * as unknown.
 */
static int parse_header(char *line, size_t column_of[NR_KNOWN + 1],
			bool *leases_known)
{
	char *words[MAX_COLUMNS];
	size_t n = split(line, words, MAX_COLUMNS);
	size_t k, i, lease_columns = 0, found = 0;

	for (k = 0; k <= NR_KNOWN; k++) {
		const char *want = k == NAME_COLUMN ? "name" : known_columns[k].name;
		bool lease = k != NAME_COLUMN && known_columns[k].lease;

		for (i = 0; i < n && strcmp(words[i], want); i++)
			;
		lease_columns += lease;
		if (i == n && !lease)
			return -EBADMSG;
		column_of[k] = i == n ? ABSENT : i;
		found += lease && i < n;
	}
	*leases_known = found == lease_columns;
	if (!*leases_known) {
		for (k = 0; k < NR_KNOWN; k++) {
			if (known_columns[k].lease)
				column_of[k] = ABSENT;
		}
	}
	return 0;
}

static int parse_row(char *line, const size_t column_of[NR_KNOWN + 1],
		     bool leases_known, struct chan_row *row)
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
	row->leases_known = leases_known;
	return 0;
}

int procview_read(struct chan_row **rowsp, size_t *nrowsp)
{
	size_t column_of[NR_KNOWN + 1];
	struct chan_row *rows = NULL;
	bool leases_known;
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
	ret = parse_header(line, column_of, &leases_known);
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
		ret = parse_row(line, column_of, leases_known, &rows[nrows]);
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
