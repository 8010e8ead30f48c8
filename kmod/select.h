/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: the atomic multi-channel select (select.c). */
#ifndef _CSPCHAN_SELECT_H
#define _CSPCHAN_SELECT_H

#include "cspchan.h"

long cspchan_select(struct cspchan_select_req __user *ureq);

#endif /* _CSPCHAN_SELECT_H */
