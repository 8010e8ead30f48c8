// SPDX-License-Identifier: GPL-2.0
/*
 * The text table behind "cspchan ls" and "cspchan watch".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

void table_init(struct table *t, const struct table_column *cols, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->ncols = ncols;
}

void table_add(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char *cell;

	if (t->failed)
		return;
	if (t->ncells == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16 * t->ncols;
		char **cells = realloc(t->cells, cap * sizeof(*cells));

		if (!cells) {
			t->failed = true;
			return;
		}
		t->cells = cells;
		t->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&cell, fmt, ap) < 0)
		t->failed = true;
	else
		t->cells[t->ncells++] = cell;
	va_end(ap);
}

static void print_cell(FILE *f, const char *s, size_t width, bool right, bool last)
{
	int w = (int)width;

	if (right)
		fprintf(f, "%*s", w, s);
	else if (last)
		fputs(s, f);	/* no trailing blanks */
	else
		fprintf(f, "%-*s", w, s);
	fputs(last ? "\n" : "  ", f);
}

int table_print(const struct table *t, FILE *f)
{
	size_t *width;
	size_t i, c;

	if (t->failed)
		return -ENOMEM;
	width = calloc(t->ncols, sizeof(*width));
	if (!width)
		return -ENOMEM;

	for (c = 0; c < t->ncols; c++)
		width[c] = strlen(t->cols[c].header);
	for (i = 0; i < t->ncells; i++) {
		size_t len = strlen(t->cells[i]);

		c = i % t->ncols;
		if (len > width[c])
			width[c] = len;
	}

	for (c = 0; c < t->ncols; c++)
		print_cell(f, t->cols[c].header, width[c], t->cols[c].right,
			   c == t->ncols - 1);
	/* A short last row is padded with empty cells. */
	for (i = 0; i < t->ncells || i % t->ncols; i++) {
		c = i % t->ncols;
		print_cell(f, i < t->ncells ? t->cells[i] : "", width[c],
			   t->cols[c].right, c == t->ncols - 1);
	}
	free(width);
	return 0;
}

void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
