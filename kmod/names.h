/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: the name table, scoped by IPC namespace (names.c). */
#ifndef _CSPCHAN_NAMES_H
#define _CSPCHAN_NAMES_H

#include "cspchan.h"

int cspchan_name_valid(const char *name);
struct vfsmount *cspchan_current_ns_mnt(void);
bool cspchan_ns_mnt_is_current(struct vfsmount *mnt);
void cspchan_names_reap_dead(void);
int cspchan_name_create(struct cspchan *ch, struct cspchan **existing,
			bool excl);
struct cspchan *cspchan_name_lookup(const char *name);
int cspchan_permission(struct cspchan *ch, unsigned int oflags);
int cspchan_name_unlink(const char *name);
void cspchan_names_exit(void);

#endif /* _CSPCHAN_NAMES_H */
