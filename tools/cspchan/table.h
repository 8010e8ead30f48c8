/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small text table: cells are added row by row, then printed with every
 * column as wide as its widest cell, separated by two spaces.
 */
#ifndef CSPCHAN_TABLE_H
#define CSPCHAN_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct table_column {
	const char *header;
	bool right;		/* right-aligned (numbers) */
};

struct table {
	const struct table_column *cols;
	size_t ncols;
	char **cells;		/* row-major, header row excluded */
	size_t ncells;
	size_t cap;
	bool failed;		/* out of memory: table_print() reports it */
};

void table_init(struct table *t, const struct table_column *cols, size_t ncols);
/* Append one cell (copied); rows fill left to right. */
void table_add(struct table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Returns 0, or -ENOMEM if a cell could not be stored. */
int table_print(const struct table *t, FILE *f);
void table_free(struct table *t);

#endif /* CSPCHAN_TABLE_H */
