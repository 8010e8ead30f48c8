/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: the system-wide text view /proc/cspchan (procfs.c). */
#ifndef _CSPCHAN_PROCFS_H
#define _CSPCHAN_PROCFS_H

#include "cspchan.h"

int cspchan_procfs_init(void);
void cspchan_procfs_exit(void);

#endif /* _CSPCHAN_PROCFS_H */
