// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: is the submitter of an io_uring request still there?
 *
 * A parked io_uring request (a slot command, or a read) is completed by
 * the driver, and its answer is written into the submitter's memory.  Both
 * need to know whether anybody can still reap the completion, and whether
 * the task running now may write the answer.  Linux 6.1 has no uring_cmd
 * cancellation to tell a driver, so these read io_uring's own structures
 * (include/linux/io_uring_types.h).
 */
#include <linux/io_uring_types.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "compat.h"
#include "cspchan.h"
#include "uring_owner.h"

/**
 * cspchan_io_req_gone() - can nobody reap this request's completion?
 * @req:	the io_uring request
 *
 * True when
 * - the submitter is exiting (PF_EXITING; or its thread group is, which
 *   is all an SQPOLL thread shows while it waits for its requests);
 * - the ring is being torn down (its refs are dying): closed while the
 *   task lives on, io_ring_exit_work() waits for every request;
 * - the submitter cancels all its requests (tctx->in_idle), as execve()
 *   does through io_uring_task_cancel().
 */
bool cspchan_io_req_gone(struct io_kiocb *req)
{
	struct task_struct *task = cspchan_io_req_task(req);

	if ((task->flags & PF_EXITING) ||
	    (READ_ONCE(task->signal->flags) & SIGNAL_GROUP_EXIT))
		return true;
	if (percpu_ref_is_dying(&req->ctx->refs))
		return true;
	return cspchan_io_task_cancelling(task);
}

/**
 * cspchan_io_may_answer() - may the answer be written from here?
 * @req:	the io_uring request
 * @mm:		the submitter's memory, as seen when the request was issued
 *
 * Only in the submitter's process (its task, or an io-wq or SQPOLL thread
 * that shares its memory), not while it dies, and never from a kernel
 * thread such as io_uring's fallback worker, whatever memory that has
 * borrowed.
 */
bool cspchan_io_may_answer(struct io_kiocb *req, struct mm_struct *mm)
{
	if (!current->mm || current->mm != mm)
		return false;
	if (current->flags & (PF_EXITING | PF_KTHREAD))
		return false;
	return !fatal_signal_pending(current) && !cspchan_io_req_gone(req);
}
