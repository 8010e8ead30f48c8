/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: io_uring reads and writes parked in order (uring_rw.c). */
#ifndef _CSPCHAN_URING_RW_H
#define _CSPCHAN_URING_RW_H

#include "cspchan.h"
#include "slots.h"

struct iov_iter;
struct kiocb;

/**
 * cspchan_uring_read_behind() - must an io_uring read queue behind others?
 * @ch:		the channel; locked, or a lockless hint
 *
 * While reads handed a message wait for their submitter's task work to
 * copy it out and complete them, a new read that took a message at once
 * would complete before them, with a later message: on a buffered
 * channel without leases it takes its message the same way instead
 * (cspchan_uring_read_join()), behind them.
 */
static inline bool cspchan_uring_read_behind(const struct cspchan *ch)
{
	return READ_ONCE(ch->rw_nr) && cspchan_buffered(ch) &&
	       !cspchan_leases(ch);
}

bool cspchan_uring_read_queues(struct cspchan *ch, struct kiocb *iocb);
bool cspchan_uring_rw_parks(struct kiocb *iocb, const struct iov_iter *it);
bool cspchan_uring_write_parks(struct cspchan *ch, struct kiocb *iocb,
			       const struct iov_iter *from);
ssize_t cspchan_uring_read(struct cspchan *ch, struct kiocb *iocb,
			   struct iov_iter *to, bool queue);
ssize_t cspchan_uring_write(struct cspchan *ch, struct kiocb *iocb,
			    struct iov_iter *from);

#endif /* _CSPCHAN_URING_RW_H */
