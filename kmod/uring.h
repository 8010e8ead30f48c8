/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: the slot operations as io_uring commands (uring.c). */
#ifndef _CSPCHAN_URING_H
#define _CSPCHAN_URING_H

#include "cspchan.h"

struct io_uring_cmd;

int cspchan_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags);

#endif /* _CSPCHAN_URING_H */
