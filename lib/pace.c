// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Paced channels (SPEC 11): change the token bucket of a live channel.
 *
 * The kernel keeps the bucket (one per channel, summed over every
 * receiver in every process), so this is one ioctl: EINVAL for a rate on
 * an unbuffered channel, which has nothing to hold messages back in.  A
 * module older than paced channels fails it with ENOTTY.
 */
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"

CSPCHAN_EXPORT
int cspchan_set_rate(int ch, unsigned int rate, unsigned int burst)
{
	struct cspchan_rate_req req;

	memset(&req, 0, sizeof(req));
	req.rate = rate;
	req.burst = burst;
	return (int)cspchan_sys(ioctl(ch, CSPCHAN_IOC_SET_RATE, &req));
}
