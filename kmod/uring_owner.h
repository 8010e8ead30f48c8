/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: is an io_uring request's submitter still there? (uring_owner.c). */
#ifndef _CSPCHAN_URING_OWNER_H
#define _CSPCHAN_URING_OWNER_H

#include "cspchan.h"

struct io_kiocb;
struct mm_struct;

bool cspchan_io_req_gone(struct io_kiocb *req);
bool cspchan_io_may_answer(struct io_kiocb *req, struct mm_struct *mm);

#endif /* _CSPCHAN_URING_OWNER_H */
