/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The channel listing shared by "cspchan ls" and "cspchan watch".
 */
#ifndef CSPCHAN_LIST_H
#define CSPCHAN_LIST_H

enum list_format { FORMAT_TABLE, FORMAT_JSON, FORMAT_PROMETHEUS };

/* Read /proc/cspchan and print it; returns a CLI_* status. */
int list_once(const char *cmd, enum list_format format);

/* Flush stdout; a failure (a full disk, a closed pipe) is CLI_ERROR. */
int flush_stdout(const char *cmd);

#endif /* CSPCHAN_LIST_H */
