// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Busy polling: give a handle a spin budget, as SO_BUSY_POLL does a socket.
 *
 * The budget belongs to the handle (the open file description, so every
 * descriptor dup(2)ed or inherited from it), not to the channel: the kernel
 * keeps it and spins there.  A module older than busy polling fails the
 * ioctl with ENOTTY; a budget above its max_busy_poll_us, with EINVAL.
 */
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"

CSPCHAN_EXPORT
int cspchan_set_busy_poll(int ch, unsigned int usecs, unsigned int *old_usecs)
{
	struct cspchan_busy_poll_req req;
	int ret;

	memset(&req, 0, sizeof(req));
	req.usecs = usecs;
	ret = (int)cspchan_sys(ioctl(ch, CSPCHAN_IOC_SET_BUSY_POLL, &req));
	if (ret == 0 && old_usecs)
		*old_usecs = req.usecs;
	return ret;
}
