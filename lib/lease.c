// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Leases (SPEC 9), on channels created with CSPCHAN_LEASE: end the lease
 * cspchan_recvmsg() returned, and name the dead-letter channel.
 *
 * The kernel keeps every lease (per open file description), so a lease id
 * is checked there: EINVAL for one never issued, EPERM for a live lease of
 * another handle, ESTALE for one that has ended.  A module older than
 * leases fails these calls with ENOTTY.
 */
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"

/* CSPCHAN_IOC_ACK or CSPCHAN_IOC_NACK on @lease. */
static int lease_ioctl(int ch, unsigned long request, uint64_t lease)
{
	struct cspchan_lease_req req;

	memset(&req, 0, sizeof(req));
	req.lease = lease;
	return (int)cspchan_sys(ioctl(ch, request, &req));
}

CSPCHAN_EXPORT
int cspchan_ack(int ch, uint64_t lease)
{
	return lease_ioctl(ch, CSPCHAN_IOC_ACK, lease);
}

CSPCHAN_EXPORT
int cspchan_nack(int ch, uint64_t lease)
{
	return lease_ioctl(ch, CSPCHAN_IOC_NACK, lease);
}

CSPCHAN_EXPORT
int cspchan_set_deadletter(int ch, int dlq)
{
	struct cspchan_deadletter_req req;

	memset(&req, 0, sizeof(req));
	req.fd = dlq;
	return (int)cspchan_sys(ioctl(ch, CSPCHAN_IOC_SET_DEADLETTER, &req));
}
