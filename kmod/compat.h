/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cspchan: every difference between the kernels the module builds for.
 *
 * The module is tested on Debian's 6.1, 6.12 and 7.2 kernels.  Each
 * difference is selected here by LINUX_VERSION_CODE (or, where Debian
 * carries a change of its own, by the symbol it adds), and nowhere else:
 * the other files use the helpers below, and plain C conditions on the
 * CSPCHAN_HAVE_* constants, never #if on a version.
 *
 *   6.3	vm_flags_clear(); io_uring_task.in_idle became .in_cancel
 *   6.4	iter_iov()
 *   6.5	struct io_uring_cmd carries the whole SQE (->sqe)
 *   6.7	uring_cmd cancellation (io_uring_cmd_mark_cancelable(),
 *		IO_URING_F_CANCEL) and <linux/io_uring/cmd.h>
 *   6.8	import_single_range() removed: import_ubuf()
 *   6.13	an io_uring request names its task through ->tctx;
 *		hrtimer_setup() (hrtimer_init() later removed)
 *   6.18	io_uring_cmd_done() lost its res2 argument
 *   6.10	io_uring runs its task work oldest first (newest first before;
 *		seen on Debian's 6.1, 6.12 and 7.2)
 *   6.19	uring_cmd task work is an io_req_tw_func_t
 */
#ifndef _CSPCHAN_COMPAT_H
#define _CSPCHAN_COMPAT_H

#include <linux/version.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>

/* Built for a kernel of version @major.@minor or later? */
#define CSPCHAN_SINCE(major, minor) \
	(KERNEL_VERSION(major, minor, 0) <= LINUX_VERSION_CODE)

#if CSPCHAN_SINCE(6, 7)
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif
#include <linux/io_uring_types.h>

/* --- memory maps ----------------------------------------------------------- */

static inline void cspchan_vm_flags_clear(struct vm_area_struct *vma,
					  vm_flags_t flags)
{
#if CSPCHAN_SINCE(6, 3)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/* --- timers ---------------------------------------------------------------- */

static inline void
cspchan_hrtimer_setup(struct hrtimer *timer,
		      enum hrtimer_restart (*fn)(struct hrtimer *),
		      clockid_t clock, enum hrtimer_mode mode)
{
#if CSPCHAN_SINCE(6, 13)
	hrtimer_setup(timer, fn, clock, mode);
#else
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
#endif
}

/* --- iov_iter -------------------------------------------------------------- */

/* One user buffer as an iov_iter (@iov: storage older kernels need). */
static inline int cspchan_import_ubuf(int dir, void __user *buf, size_t len,
				      struct iovec *iov, struct iov_iter *iter)
{
#if CSPCHAN_SINCE(6, 8)
	return import_ubuf(dir, buf, len, iter);
#else
	return import_single_range(dir, buf, len, iov, iter);
#endif
}

static inline const struct iovec *cspchan_iter_iov(const struct iov_iter *it)
{
#if CSPCHAN_SINCE(6, 4)
	return iter_iov(it);
#else
	return it->iov;
#endif
}

/* --- io_uring task work in waits -------------------------------------------- */

/*
 * Waits ignore io_uring task work (TIF_NOTIFY_SIGNAL), which is not a
 * signal: with PF_NO_NOTIFY_SIGNAL where the kernel has it (Debian's 6.1
 * carries it), else by cspchan_interrupted() setting it aside.
 */
#ifdef PF_NO_NOTIFY_SIGNAL
#define CSPCHAN_HAVE_NO_NOTIFY_SIGNAL	1

static inline unsigned int cspchan_ignore_task_work(void)
{
	return no_notify_signal_save();
}

static inline void cspchan_restore_task_work(unsigned int saved)
{
	no_notify_signal_restore(saved);
}
#else
#define CSPCHAN_HAVE_NO_NOTIFY_SIGNAL	0

static inline unsigned int cspchan_ignore_task_work(void)
{
	return 0;
}

static inline void cspchan_restore_task_work(unsigned int saved)
{
}
#endif

/* --- io_uring requests ------------------------------------------------------ */

/* The task that submitted @req (an io-wq or SQPOLL thread acts for it). */
static inline struct task_struct *cspchan_io_req_task(struct io_kiocb *req)
{
#if CSPCHAN_SINCE(6, 13)
	return req->tctx->task;
#else
	return req->task;
#endif
}

/* Is @task cancelling all its io_uring requests (exit, execve)? */
static inline bool cspchan_io_task_cancelling(struct task_struct *task)
{
	if (!task->io_uring)
		return false;
#if CSPCHAN_SINCE(6, 3)
	return atomic_read(&task->io_uring->in_cancel);
#else
	return atomic_read(&task->io_uring->in_idle);
#endif
}

/*
 * Does @iocb come from io_uring (not from Linux AIO, not synchronous)?
 * Only then can an empty channel park a read (uring_rw.c).
 */
#ifdef IOCB_AIO_RW
#define CSPCHAN_HAVE_URING_READ_PARK	1
#else
#define CSPCHAN_HAVE_URING_READ_PARK	0
#endif

static inline bool cspchan_iocb_is_uring(struct kiocb *iocb)
{
#ifdef IOCB_AIO_RW
	return !is_sync_kiocb(iocb) && !(iocb->ki_flags & IOCB_AIO_RW);
#else
	return false;	/* io_uring's kiocbs cannot be told from AIO's */
#endif
}

/* --- uring_cmd --------------------------------------------------------------- */

/* The command's payload: the SQE's cmd area (or io_uring's copy of it). */
static inline const void *cspchan_uring_payload(const struct io_uring_cmd *cmd)
{
#if CSPCHAN_SINCE(6, 5)
	return cmd->sqe->cmd;
#else
	return cmd->cmd;
#endif
}

static inline void cspchan_uring_cmd_done(struct io_uring_cmd *cmd, long ret,
					  unsigned int issue_flags)
{
#if CSPCHAN_SINCE(6, 18)
	io_uring_cmd_done(cmd, ret, issue_flags);
#else
	io_uring_cmd_done(cmd, ret, 0, issue_flags);
#endif
}

/*
 * CSPCHAN_URING_TW(name, fn) defines name(), io_uring's task work callback
 * for a command, which calls fn(cmd, issue_flags).
 */
#if CSPCHAN_SINCE(6, 19)
#define CSPCHAN_URING_TW(name, fn)					\
static void name(struct io_tw_req tw_req, io_tw_token_t tw)		\
{									\
	fn(io_uring_cmd_from_tw(tw_req), IO_URING_CMD_TASK_WORK_ISSUE_FLAGS); \
}
#else
#define CSPCHAN_URING_TW(name, fn)					\
static void name(struct io_uring_cmd *cmd, unsigned int issue_flags)	\
{									\
	fn(cmd, issue_flags);						\
}
#endif

/* io_uring runs the task work it queues oldest first (else newest first). */
#define CSPCHAN_URING_TW_FIFO	CSPCHAN_SINCE(6, 10)

/*
 * An SQPOLL thread posts at most a few queued completions per round (the
 * rest wait for the next one) since 6.9, while the requests it completes
 * at once in the round's submission are posted at its end.
 */
#define CSPCHAN_URING_SQ_TW_CAPPED	CSPCHAN_SINCE(6, 9)

/*
 * Before that, completions that io_uring queued for the current task and
 * has not posted yet are overtaken by any queued later: true while there
 * are some.  (Rings with IORING_SETUP_DEFER_TASKRUN queue theirs on the
 * ring instead, out of sight.)
 */
static inline bool cspchan_io_completions_queued(void)
{
#if CSPCHAN_URING_TW_FIFO
	return false;
#else
	return current->io_uring &&
	       !llist_empty(&current->io_uring->task_list);
#endif
}

/*
 * io_uring cancels a parked command itself (it calls ->uring_cmd with
 * IO_URING_F_CANCEL when the ring is closed or its task execs) from 6.7
 * on; before, the driver must notice (reaper.c), as it must everywhere
 * when only the submitting thread exits.
 */
#if CSPCHAN_SINCE(6, 7)
#define CSPCHAN_HAVE_URING_CANCEL	1
#define CSPCHAN_URING_F_CANCEL		IO_URING_F_CANCEL

static inline void cspchan_uring_mark_cancelable(struct io_uring_cmd *cmd,
						 unsigned int issue_flags)
{
	io_uring_cmd_mark_cancelable(cmd, issue_flags);
}
#else
#define CSPCHAN_HAVE_URING_CANCEL	0
#define CSPCHAN_URING_F_CANCEL		0

static inline void cspchan_uring_mark_cancelable(struct io_uring_cmd *cmd,
						 unsigned int issue_flags)
{
}
#endif

#endif /* _CSPCHAN_COMPAT_H */
