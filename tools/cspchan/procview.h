/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading /proc/cspchan, the module's table of every channel visible in
 * the caller's IPC namespace (docs/procfs.md).
 */
#ifndef CSPCHAN_PROCVIEW_H
#define CSPCHAN_PROCVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/cspchan.h>

#define PROCVIEW_PATH	"/proc/cspchan"

/* One line of /proc/cspchan. */
struct chan_row {
	uint64_t id;
	char name[CSPCHAN_NAME_MAX];	/* "" when anonymous ("-" in the file) */
	uint64_t capacity;
	uint64_t msg_size;
	uint64_t depth;
	uint64_t senders_waiting;
	uint64_t receivers_waiting;
	uint64_t shut;
	uint64_t sent;
	uint64_t received;
	uint64_t high_water;
	/* Lease figures: 0, and leases_known false, from a module without them. */
	uint64_t leased;
	uint64_t redelivered;
	uint64_t dead;
	bool leases_known;
	/* Paced channels: 0, and pace_known false, from a module without them. */
	uint64_t rate;
	uint64_t burst;
	uint64_t throttled_ns;
	bool pace_known;
};

/* The file to read: $CSPCHAN_PROC, else PROCVIEW_PATH. */
const char *procview_path(void);

/*
 * Read every channel into a malloc'ed array.  Columns are found by their
 * header names, so columns a newer module adds are ignored, and those an
 * older module lacks (leased, redelivered, dead; rate, burst,
 * throttled_ns) read as 0.  Returns 0,
 * or -errno: the open/read error, -ENOMEM, or -EBADMSG when the file does
 * not look like the table.
 */
int procview_read(struct chan_row **rows, size_t *nrows);

#endif /* CSPCHAN_PROCVIEW_H */
