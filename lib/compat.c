// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The entry points of programs linked against libcspchan 0.1 to 0.3,
 * whose structures are those releases' sizes: cspchan_create@CSPCHAN_0.1,
 * cspchan_recvmsg@CSPCHAN_0.1 and cspchan_stat@CSPCHAN_0.1.  Each reads
 * or writes only the fields its caller's structure has, and behaves as
 * it did then.  The 0.4 structures start with these fields, at the same
 * offsets; only their ends are new.
 */
#include <stddef.h>
#include <string.h>

#include "internal.h"

/* struct cspchan_attr of 0.1 to 0.3. */
struct cspchan_attr_v0_1 {
	unsigned int capacity;
	unsigned int msg_size;
	unsigned int mode;
	unsigned int flags;
};

/* struct cspchan_msginfo of 0.1 to 0.3. */
struct cspchan_msginfo_v0_1 {
	uint64_t seq;
	pid_t pid;
	uint64_t sent_ns;
};

/* struct cspchan_stat of 0.1 to 0.3. */
struct cspchan_stat_v0_1 {
	uint64_t id;
	unsigned int capacity;
	unsigned int msg_size;
	unsigned int depth;
	unsigned int senders_waiting;
	unsigned int receivers_waiting;
	int shut;
	int autoclose;
	uint64_t sent;
	uint64_t received;
	unsigned int high_water;
	unsigned int mode;
	char name[CSPCHAN_NAME_MAX];
};

/* Each old structure is a prefix of the new one. */
#define SAME_FIELD(old, new, field) \
	_Static_assert(offsetof(struct old, field) == offsetof(struct new, field), \
		       #field " moved")
SAME_FIELD(cspchan_attr_v0_1, cspchan_attr, flags);
SAME_FIELD(cspchan_msginfo_v0_1, cspchan_msginfo, sent_ns);
SAME_FIELD(cspchan_stat_v0_1, cspchan_stat, name);
_Static_assert(sizeof(struct cspchan_attr_v0_1) == 16, "0.1 attr size");
_Static_assert(sizeof(struct cspchan_msginfo_v0_1) == 24, "0.1 msginfo size");
_Static_assert(sizeof(struct cspchan_stat_v0_1) == 128, "0.1 stat size");

CSPCHAN_EXPORT
int cspchan_create_v0_1(const char *name, const struct cspchan_attr_v0_1 *old,
			int oflags)
{
	struct cspchan_attr attr;

	if (!old)
		return cspchan_create_v0_4(name, NULL, oflags);
	memset(&attr, 0, sizeof(attr));
	attr.capacity = old->capacity;
	attr.msg_size = old->msg_size;
	attr.mode = old->mode;
	attr.flags = old->flags;
	return cspchan_create_v0_4(name, &attr, oflags);
}
CSPCHAN_SYMVER(cspchan_create_v0_1, "cspchan_create@CSPCHAN_0.1");

/*
 * Without CSPCHAN_XFER_LEASE: a program that knows nothing of leases
 * takes the handle's implicit lease on a lease channel, acknowledged by
 * its next receive, as read(2) does.
 */
CSPCHAN_EXPORT
ssize_t cspchan_recvmsg_v0_1(int ch, void *buf, size_t len,
			     struct cspchan_msginfo_v0_1 *info)
{
	struct cspchan_xfer xfer;
	ssize_t ret;

	ret = cspchan_recv_xfer(ch, buf, len, 0, &xfer);
	if (ret < 0 || !info)
		return ret;

	memset(info, 0, sizeof(*info));
	if (ret > 0) {
		info->seq = xfer.seq;
		info->pid = (pid_t)xfer.pid;
		info->sent_ns = xfer.sent_ns;
	}
	return ret;
}
CSPCHAN_SYMVER(cspchan_recvmsg_v0_1, "cspchan_recvmsg@CSPCHAN_0.1");

CSPCHAN_EXPORT
int cspchan_stat_v0_1(int ch, struct cspchan_stat_v0_1 *old)
{
	struct cspchan_stat st;
	int ret;

	if (!old)
		return cspchan_fail(EINVAL);
	ret = cspchan_stat_v0_4(ch, &st);
	if (ret < 0)
		return ret;
	/* The prefix the old structure has, and not a byte more. */
	memcpy(old, &st, sizeof(*old));
	return ret;
}
CSPCHAN_SYMVER(cspchan_stat_v0_1, "cspchan_stat@CSPCHAN_0.1");
