/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: io_uring reads parked in order (uring_rw.c). */
#ifndef _CSPCHAN_URING_RW_H
#define _CSPCHAN_URING_RW_H

#include "cspchan.h"

struct iov_iter;
struct kiocb;

bool cspchan_uring_read_parks(struct kiocb *iocb, const struct iov_iter *to);
ssize_t cspchan_uring_read(struct cspchan *ch, struct kiocb *iocb,
			   struct iov_iter *to);

#endif /* _CSPCHAN_URING_RW_H */
