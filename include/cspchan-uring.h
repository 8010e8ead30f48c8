/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libcspchan io_uring helpers: liburing-style cspchan_prep_*() functions
 * that fill an io_uring_sqe for a channel handle, so channels plug into
 * any io_uring event loop.
 *
 * Header-only, for programs that bring their own liburing: every helper
 * is static inline and calls only liburing's inline io_uring_prep_*()
 * functions, so it adds nothing to link.  A program links -luring for its
 * own ring (io_uring_queue_init() and the rest) and -lcspchan for the
 * library's other calls; libcspchan itself does not use or link liburing
 * (nor does <cspchan.h> include it), which is why this header is separate.
 * Written against liburing 2.3, which has no io_uring_prep_uring_cmd().
 *
 * Completions (cqe->res):
 *	cspchan_prep_acquire()	the slot, or -errno
 *	cspchan_prep_commit()	the length, or -errno (the slot is still held)
 *	cspchan_prep_take()	the length, 0 at end of stream, or -errno;
 *				*info is written before the CQE is posted
 *	cspchan_prep_release()	0, or -errno
 *	cspchan_prep_acquirev()	how many slots were acquired (1..n), or -errno
 *	cspchan_prep_commitv()	how many were sent (the first ones), or
 *				-errno when the first was not
 *	cspchan_prep_takev()	how many were taken (1..n), 0 at end of
 *				stream, or -errno
 *	cspchan_prep_releasev()	how many were released, or -errno
 *	cspchan_prep_send()	the length, or -errno (as write(2))
 *	cspchan_prep_recv()	the length, 0 at end of stream, or -errno
 * Commands waiting when their submitting task exits complete with
 * -ECANCELED.
 */
#ifndef CSPCHAN_URING_H
#define CSPCHAN_URING_H

#include <string.h>
#include <liburing.h>
#include <cspchan.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Internal: IORING_OP_URING_CMD with @cmd_op and the 16-byte struct
 * cspchan_uring_cmd in sqe->cmd, which a normal 64-byte SQE has room for.
 */
static inline void __cspchan_prep_cmd(struct io_uring_sqe *sqe, int ch,
				    __u32 cmd_op, __u32 slot, __u32 len,
				    __u64 info)
{
	struct cspchan_uring_cmd cmd;

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, ch, NULL, 0, 0);
	sqe->cmd_op = cmd_op;
	memset(&cmd, 0, sizeof(cmd));
	cmd.slot = slot;
	cmd.len = len;
	cmd.info = info;
	memcpy(sqe->cmd, &cmd, sizeof(cmd));
}

/* Own a free slot of @ch; cqe->res is its index. */
static inline void cspchan_prep_acquire(struct io_uring_sqe *sqe, int ch)
{
	__cspchan_prep_cmd(sqe, ch, CSPCHAN_URING_ACQUIRE, 0, 0, 0);
}

/* Send the @len bytes written in @slot, which the handle acquired. */
static inline void cspchan_prep_commit(struct io_uring_sqe *sqe, int ch,
				       unsigned int slot, unsigned int len)
{
	__cspchan_prep_cmd(sqe, ch, CSPCHAN_URING_COMMIT, slot, len, 0);
}

/*
 * Take the next message in place; @info, which must stay valid until the
 * CQE is seen, receives its slot, length and metadata.
 */
static inline void cspchan_prep_take(struct io_uring_sqe *sqe, int ch,
				     struct cspchan_slot_info *info)
{
	__cspchan_prep_cmd(sqe, ch, CSPCHAN_URING_TAKE, 0, 0,
			 (__u64)(uintptr_t)info);
}

/* Give back @slot: taken, or acquired and not committed. */
static inline void cspchan_prep_release(struct io_uring_sqe *sqe, int ch,
					unsigned int slot)
{
	__cspchan_prep_cmd(sqe, ch, CSPCHAN_URING_RELEASE, slot, 0, 0);
}

/*
 * Vectored slot commands: one command moves a burst of up to n (at most
 * CSPCHAN_SLOTV_MAX) slots under one channel lock, in the channel's order.
 * @vec must stay valid until the CQE is seen.  ACQUIREV and TAKEV wait
 * only while there is nothing at all; COMMITV never waits.
 */

/* Own between 1 and @n free slots; vec[i].slot and .offset are set. */
static inline void cspchan_prep_acquirev(struct io_uring_sqe *sqe, int ch,
					 struct cspchan_slot_info *vec,
					 unsigned int n)
{
	__cspchan_prep_cmd(sqe, ch, CSPCHAN_URING_ACQUIREV, 0, n,
			 (__u64)(uintptr_t)vec);
}

/* Send vec[i].len bytes written in the held vec[i].slot, i = 0 .. n-1. */
static inline void cspchan_prep_commitv(struct io_uring_sqe *sqe, int ch,
					const struct cspchan_slot_info *vec,
					unsigned int n)
{
	__cspchan_prep_cmd(sqe, ch, CSPCHAN_URING_COMMITV, 0, n,
			 (__u64)(uintptr_t)vec);
}

/* Take the next 1 to @n messages in place; vec[i] as cspchan_prep_take(). */
static inline void cspchan_prep_takev(struct io_uring_sqe *sqe, int ch,
				      struct cspchan_slot_info *vec,
				      unsigned int n)
{
	__cspchan_prep_cmd(sqe, ch, CSPCHAN_URING_TAKEV, 0, n,
			 (__u64)(uintptr_t)vec);
}

/* Give back the held vec[i].slot, i = 0 .. n-1. */
static inline void cspchan_prep_releasev(struct io_uring_sqe *sqe, int ch,
					 const struct cspchan_slot_info *vec,
					 unsigned int n)
{
	__cspchan_prep_cmd(sqe, ch, CSPCHAN_URING_RELEASEV, 0, n,
			 (__u64)(uintptr_t)vec);
}

/*
 * Send one message by copy (IORING_OP_WRITE).  A handle has no file
 * position: offset 0 is what the kernel expects of it, whereas -1 would
 * make io_uring read and update the unused f_pos.
 */
static inline void cspchan_prep_send(struct io_uring_sqe *sqe, int ch,
				     const void *buf, unsigned int len)
{
	io_uring_prep_write(sqe, ch, buf, len, 0);
}

/* Receive one message by copy (IORING_OP_READ) into @buf of @len bytes. */
static inline void cspchan_prep_recv(struct io_uring_sqe *sqe, int ch,
				     void *buf, unsigned int len)
{
	io_uring_prep_read(sqe, ch, buf, len, 0);
}

#ifdef __cplusplus
}
#endif

#endif /* CSPCHAN_URING_H */
