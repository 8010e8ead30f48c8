// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 9, leases: on a CSPCHAN_LEASE channel every delivered message stays
 * leased to the receiving handle (open file description) until it is
 * acknowledged; nack, release of the handle and lease_ms expiry return it
 * to the head of the channel; max_deliveries sends it to a dead-letter
 * channel; capacity counts leased messages; end of stream waits for the
 * leases.  Then a soak: workers SIGKILLed at random lose nothing.
 *
 * A forked child shares its parent's open file descriptions, so a child
 * that must hold leases of its own (to die with them) gets a handle opened
 * by name for it alone: lease_pair() opens the second handle, and the
 * parent closes its copy after fork.
 */
#include "common.h"

#include <poll.h>

#define REQUIRE_LEASE() do {						\
	REQUIRE_CSPCHAN();						\
	REQUIRE_FEATURE(CSPCHAN_FEAT_LEASE, "leases");			\
} while (0)

#define MSZ		32	/* msg_size of the channels below */
#define MLEN		4	/* length of "m000" */

/* ---- helpers ------------------------------------------------------------- */

/* The attributes of a lease channel of MSZ-byte messages. */
static struct cspchan_attr lease_attr(unsigned int capacity, unsigned int max_deliveries,
				      unsigned int lease_ms)
{
	struct cspchan_attr attr;

	attr_init(&attr, capacity, MSZ, CSPCHAN_LEASE);
	attr.max_deliveries = max_deliveries;
	attr.lease_ms = lease_ms;
	return attr;
}

static int lease_attr_create(const char *name, unsigned int capacity,
			     unsigned int max_deliveries, unsigned int lease_ms,
			     int oflags)
{
	struct cspchan_attr attr = lease_attr(capacity, max_deliveries, lease_ms);

	return cspchan_create(name, &attr, oflags);
}

/* An anonymous lease channel; -errno on failure. */
static int lease_chan(unsigned int capacity, unsigned int max_deliveries,
		      unsigned int lease_ms)
{
	return lease_attr_create(NULL, capacity, max_deliveries, lease_ms, 0);
}

/*
 * A lease channel with @nh more handles of its own (each its own open file
 * description) in @hs: returns the creator's handle; the name is unlinked
 * again.  -errno on failure.
 */
static int lease_handles(unsigned int capacity, unsigned int max_deliveries,
			 unsigned int lease_ms, int *hs, unsigned int nh)
{
	struct cspchan_attr attr = lease_attr(capacity, max_deliveries, lease_ms);

	return named_handles("lease", &attr, hs, nh);
}

/* lease_handles() with one more handle, *@other. */
static int lease_pair(unsigned int capacity, unsigned int max_deliveries,
		      unsigned int lease_ms, int *other)
{
	return lease_handles(capacity, max_deliveries, lease_ms, other, 1);
}

/* Send "m<k>" (k < 1000, MLEN bytes); what the library returns. */
static ssize_t send_m(int ch, unsigned int k)
{
	char b[16];

	snprintf(b, sizeof(b), "m%03u", k);
	return cspchan_send_timeout(ch, b, MLEN, WAIT_MS);
}

static bool is_m(const void *buf, ssize_t len, unsigned int k)
{
	char b[16];

	snprintf(b, sizeof(b), "m%03u", k);
	return len == MLEN && memcmp(buf, b, MLEN) == 0;
}

/*
 * CSPCHAN_IOC_RECV with an explicit lease (CSPCHAN_XFER_LEASE) and a
 * timeout (<0 forever, 0 never block): length, 0 at end of stream, or
 * -errno; @x holds the metadata.
 */
static long xrecv(int ch, void *buf, size_t len, int timeout_ms, struct cspchan_xfer *x)
{
	long r;

	memset(x, 0, sizeof(*x));
	x->buf = (uintptr_t)buf;
	x->len = (uint32_t)len;
	x->flags = CSPCHAN_XFER_LEASE;
	x->timeout_ns = timeout_ms < 0 ? -1 : MS_NS(timeout_ms);
	r = ioctl(ch, CSPCHAN_IOC_RECV, x);
	return r < 0 ? -errno : r;
}

/*
 * An explicit-lease receive that never blocks, into a buffer of its own:
 * what xrecv() returns, for checks that nothing (-EAGAIN) or end of
 * stream (0) is there.
 */
static long recv_now(int ch)
{
	struct cspchan_xfer x;
	char buf[MSZ];

	return xrecv(ch, buf, sizeof(buf), 0, &x);
}

/* CSPCHAN_IOC_ACK / _NACK with every field given; 0 or -errno. */
static long lease_ioctl(int ch, unsigned long cmd, uint64_t lease, uint32_t flags,
			uint32_t reserved0, uint64_t r0, uint64_t r1)
{
	struct cspchan_lease_req req;

	memset(&req, 0, sizeof(req));
	req.lease = lease;
	req.flags = flags;
	req.reserved0 = reserved0;
	req.reserved[0] = r0;
	req.reserved[1] = r1;
	return ioctl(ch, cmd, &req) ? -errno : 0;
}

enum lfield { L_DEPTH, L_LEASED, L_RECEIVED, L_REDELIVERED, L_DEAD,
	      L_RWAIT, L_SWAIT };

static uint64_t lget(int ch, enum lfield f)
{
	struct cspchan_stat st = figures(ch);

	switch (f) {
	case L_DEPTH:		return st.depth;
	case L_LEASED:		return st.leased;
	case L_RECEIVED:	return st.received;
	case L_REDELIVERED:	return st.redelivered;
	case L_DEAD:		return st.dead;
	case L_RWAIT:		return st.receivers_waiting;
	case L_SWAIT:		return st.senders_waiting;
	}
	return UINT64_MAX;
}

/* Poll a figure every millisecond until it is @want; 0, or -1 (logged). */
static int lwait(int ch, enum lfield f, uint64_t want, int timeout_ms)
{
	uint64_t start = now_ns(), v;

	for (;;) {
		v = lget(ch, f);
		if (v == want)
			return 0;
		if (ms_since(start) >= (uint64_t)timeout_ms)
			break;
		msleep(1);
	}
	fprintf(stderr, "# lwait: figure %d is %" PRIu64 ", expected %" PRIu64 " within %d ms\n",
		(int)f, v, want, timeout_ms);
	return -1;
}

/* Every figure an error must leave alone. */
#define EXPECT_FIGURES_SAME(a, b) do {					\
	EXPECT_EQ((a).depth, (b).depth);				\
	EXPECT_EQ((a).leased, (b).leased);				\
	EXPECT_EQ((a).sent, (b).sent);					\
	EXPECT_EQ((a).received, (b).received);				\
	EXPECT_EQ((a).redelivered, (b).redelivered);			\
	EXPECT_EQ((a).dead, (b).dead);					\
	EXPECT_EQ((a).dead_letter, (b).dead_letter);			\
} while (0)

/* The leased and the depth figure of @ch, in that order. */
#define EXPECT_LEASED_DEPTH(ch, want_leased, want_depth) do {		\
	EXPECT_EQ(want_leased, figures(ch).leased);			\
	EXPECT_EQ(want_depth, figures(ch).depth);			\
} while (0)

/* In a test: send m<first> .. m<first+n-1> on @ch, each asserted. */
#define SEND_MS(ch, first, n) do {					\
	unsigned int sm_i_;						\
									\
	for (sm_i_ = 0; sm_i_ < (unsigned int)(n); sm_i_++) {		\
		ASSERT_EQ(MLEN, send_m(ch, (first) + sm_i_));		\
	}								\
} while (0)

/* In a test: @ch = lease_chan(@capacity, 0, 0), asserted, with m0 .. m<n-1> queued. */
#define QUEUED_LEASE_CHAN(ch, capacity, n) do {				\
	ASSERT_FD(ch, lease_chan(capacity, 0, 0));			\
	SEND_MS(ch, 0, n);						\
} while (0)

/*
 * In a test: m0 sent on @ch and received with cspchan_recvmsg() (its
 * metadata in @info): one explicit lease held.
 */
#define HOLD_M0(ch, info) do {						\
	char hm_buf_[MSZ];						\
									\
	ASSERT_EQ(MLEN, send_m(ch, 0));					\
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, hm_buf_, sizeof(hm_buf_),	\
					&(info)));			\
} while (0)

/*
 * In a test: one message read(2) on @h into the array @buf, which keeps
 * it leased (implicitly): channel @ch counts one leased.
 */
#define READ_IMPLICIT_LEASE(h, buf, ch) do {				\
	ASSERT_EQ(MLEN, read(h, buf, sizeof(buf)));			\
	EXPECT_EQ(1U, figures(ch).leased);				\
} while (0)

/* In a test: @dlq = a new plain channel of @capacity, made @ch's dead-letter channel. */
#define SET_NEW_DLQ(dlq, ch, capacity) do {				\
	ASSERT_FD(dlq, chan_new(capacity, MSZ));			\
	ASSERT_EQ(0, cspchan_set_deadletter(ch, dlq));			\
} while (0)

/* In a test: m0 sent on @ch and nacked after its first delivery (into @info). */
#define SEND_NACK_M0(ch, info) do {					\
	ASSERT_EQ(MLEN, send_m(ch, 0));					\
	ASSERT_EQ(1, recv_nack(ch, &(info)));				\
} while (0)

/* The message went dead: nothing left to receive on @ch, one counted dead. */
#define EXPECT_ONE_DEAD(ch) do {					\
	EXPECT_EQ(-EAGAIN, recv_now(ch));				\
	EXPECT_EQ(1U, figures(ch).dead);				\
} while (0)

static short poll_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

/* What a child saw, in memory shared with the parent. */
struct report {
	int done;
	long result;
	uint64_t lease[4];
	uint64_t seq[4];
	uint64_t sent_ns[4];
	uint32_t pid[4];
	uint32_t deliveries[4];
	char buf[MSZ];
};

/* A child that sends m<first>..m<first+n-1> and exits: so pid is not ours. */
static pid_t send_from_child(int ch, unsigned int first, unsigned int n)
{
	pid_t pid = fork_child();
	unsigned int i;

	if (pid == 0) {
		for (i = 0; i < n; i++)
			CHILD_ASSERT(send_m(ch, first + i) == MLEN);
		_exit(0);
	}
	return pid;
}

/* ---- creation ------------------------------------------------------------- */

/* SPEC 9: CSPCHAN_LEASE needs capacity >= 1; EINVAL leaves nothing behind. */
TEST(create_capacity_zero_einval)
{
	char name[CSPCHAN_NAME_MAX];
	int before, ch;

	REQUIRE_LEASE();
	before = proc_count();
	ASSERT_LE(0, before);
	EXPECT_EQ(-EINVAL, lease_attr_create(NULL, 0, 0, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	unique_name(name, "lease-cap0");
	EXPECT_EQ(-EINVAL, lease_attr_create(name, 0, 0, 0, O_EXCL));
	EXPECT_EQ(-ENOENT, cspchan_open(name, O_RDWR));
	EXPECT_EQ(before, proc_count());
	/* The same request with capacity 1 is fine. */
	ASSERT_FD(ch, lease_attr_create(NULL, 1, 0, 0, 0));
	close(ch);
}

/* SPEC 4/9: stat reports the lease flag, max_deliveries and lease_ms. */
TEST(create_stat_reports_lease_attributes)
{
	struct cspchan_info info;
	struct cspchan_stat st;
	int ch, plain;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(3, 4, 1500));
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(1, st.lease);
	EXPECT_EQ(3U, st.capacity);
	EXPECT_EQ(4U, st.max_deliveries);
	EXPECT_EQ(1500U, st.lease_ms);
	EXPECT_EQ(0U, st.leased);
	EXPECT_EQ(0U, st.redelivered);
	EXPECT_EQ(0U, st.dead);
	EXPECT_EQ(0U, st.dead_letter);
	ASSERT_EQ(0, chan_info(ch, &info));
	EXPECT_NE(0U, info.flags & CSPCHAN_INFO_LEASE);

	ASSERT_FD(plain, chan_new(3, MSZ));
	ASSERT_EQ(0, cspchan_stat(plain, &st));
	EXPECT_EQ(0, st.lease);
	EXPECT_EQ(0U, st.max_deliveries);
	EXPECT_EQ(0U, st.lease_ms);
	ASSERT_EQ(0, chan_info(plain, &info));
	EXPECT_EQ(0U, info.flags & CSPCHAN_INFO_LEASE);
	close(plain);
	close(ch);
}

/* ---- explicit leases --------------------------------------------------------- */

/* SPEC 9: recvmsg on a lease channel returns a lease (never 0), deliveries 1. */
TEST(recvmsg_returns_lease)
{
	struct cspchan_msginfo info;
	char buf[MSZ];
	uint64_t before, after;
	int ch;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(2, 0, 0));
	before = now_ns();
	ASSERT_EQ(MLEN, send_m(ch, 0));
	after = now_ns();
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &info));
	EXPECT_TRUE(is_m(buf, MLEN, 0));
	EXPECT_NE(0U, info.lease);
	EXPECT_EQ(1U, info.deliveries);
	EXPECT_EQ(0U, info.seq);
	EXPECT_EQ(getpid(), info.pid);
	EXPECT_LE(before, info.sent_ns);
	EXPECT_GE(after, info.sent_ns);
	EXPECT_LEASED_DEPTH(ch, 1U, 0U);
	EXPECT_EQ(1U, figures(ch).received);
	EXPECT_EQ(0, cspchan_ack(ch, info.lease));
	close(ch);
}

/* SPEC 9: on a channel without leases lease is 0 and deliveries always 1. */
TEST(recvmsg_plain_channel_no_lease)
{
	struct cspchan_msginfo info;
	struct cspchan_xfer x;
	char buf[MSZ];
	int ch;

	REQUIRE_LEASE();
	ASSERT_FD(ch, chan_new(2, MSZ));
	SEND_MS(ch, 0, 2);
	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &info));
	EXPECT_EQ(0U, info.lease);
	EXPECT_EQ(1U, info.deliveries);
	/* Asked for explicitly through the ABI: still none. */
	ASSERT_EQ(MLEN, xrecv(ch, buf, sizeof(buf), 0, &x));
	EXPECT_TRUE(is_m(buf, MLEN, 1));
	EXPECT_EQ(0U, x.lease);
	EXPECT_EQ(1U, x.deliveries);
	EXPECT_LEASED_DEPTH(ch, 0U, 0U);
	close(ch);
}

/* SPEC 9: lease ids grow monotonically per channel, over all its handles. */
TEST(lease_ids_grow)
{
	struct cspchan_msginfo info;
	uint64_t ids[8] = { 0 };
	char buf[MSZ];
	int ch, h, i;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_pair(8, 0, 0, &h));
	SEND_MS(ch, 0, 6);
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &info));
	ids[0] = info.lease;
	ASSERT_EQ(MLEN, cspchan_recvmsg(h, buf, sizeof(buf), &info));
	ids[1] = info.lease;
	ASSERT_EQ(0, cspchan_ack(ch, ids[0]));
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &info));
	ids[2] = info.lease;
	ASSERT_EQ(0, cspchan_nack(h, ids[1]));
	/* The nacked message again: a new lease. */
	ASSERT_EQ(MLEN, cspchan_recvmsg(h, buf, sizeof(buf), &info));
	EXPECT_TRUE(is_m(buf, MLEN, 1));
	ids[3] = info.lease;
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &info));
	ids[4] = info.lease;
	ASSERT_EQ(MLEN, cspchan_recvmsg(h, buf, sizeof(buf), &info));
	ids[5] = info.lease;
	EXPECT_NE(0U, ids[0]);
	for (i = 1; i < 6; i++)
		EXPECT_LT(ids[i - 1], ids[i]) TH_LOG("lease %d: %" PRIu64 " after %" PRIu64,
						     i, ids[i], ids[i - 1]);
	close(h);
	close(ch);
}

/* SPEC 9: ack ends the lease; the message is done, the queue untouched. */
TEST(ack_ends_lease)
{
	struct cspchan_msginfo info;
	struct cspchan_xfer x;
	char buf[MSZ];
	int ch;

	REQUIRE_LEASE();
	QUEUED_LEASE_CHAN(ch, 3, 2);
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &info));
	EXPECT_LEASED_DEPTH(ch, 1U, 1U);
	ASSERT_EQ(0, cspchan_ack(ch, info.lease));
	EXPECT_LEASED_DEPTH(ch, 0U, 1U);
	EXPECT_EQ(1U, figures(ch).received);
	EXPECT_EQ(0U, figures(ch).redelivered);
	/* Not delivered again: the next is m1, then nothing. */
	ASSERT_EQ(MLEN, xrecv(ch, buf, sizeof(buf), 0, &x));
	EXPECT_TRUE(is_m(buf, MLEN, 1));
	ASSERT_EQ(0, cspchan_ack(ch, x.lease));
	EXPECT_EQ(-EAGAIN, recv_now(ch));
	EXPECT_EQ(0U, figures(ch).leased);
	close(ch);
}

/* SPEC 9: an ended lease gives ESTALE, whoever asks, and changes nothing. */
TEST(ended_lease_estale)
{
	struct cspchan_msginfo info;
	struct cspchan_stat before;
	char buf[MSZ];
	int ch, h;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_pair(3, 0, 0, &h));
	SEND_MS(ch, 0, 2);
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &info));
	ASSERT_EQ(0, cspchan_ack(ch, info.lease));
	before = figures(ch);
	EXPECT_EQ(-ESTALE, cspchan_ack(ch, info.lease));
	EXPECT_EQ(ESTALE, errno);
	EXPECT_EQ(-ESTALE, cspchan_nack(ch, info.lease));
	EXPECT_EQ(-ESTALE, cspchan_ack(h, info.lease));
	EXPECT_EQ(-ESTALE, cspchan_nack(h, info.lease));
	EXPECT_FIGURES_SAME(before, figures(ch));
	close(h);
	close(ch);
}

/* SPEC 9/8: lease 0 is never issued: EINVAL, nothing changes. */
TEST(ack_zero_einval)
{
	struct cspchan_msginfo info;
	struct cspchan_stat before;
	int ch;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(2, 0, 0));
	HOLD_M0(ch, info);
	before = figures(ch);
	EXPECT_EQ(-EINVAL, cspchan_ack(ch, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, cspchan_nack(ch, 0));
	EXPECT_FIGURES_SAME(before, figures(ch));
	EXPECT_EQ(1U, figures(ch).leased);
	EXPECT_EQ(0, cspchan_ack(ch, info.lease));
	close(ch);
}

/* SPEC 9: an id never issued: EINVAL, nothing changes. */
TEST(ack_never_issued_einval)
{
	struct cspchan_msginfo info;
	struct cspchan_stat before;
	int ch;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(2, 0, 0));
	HOLD_M0(ch, info);
	ASSERT_NE(0U, info.lease);
	before = figures(ch);
	EXPECT_EQ(-EINVAL, cspchan_ack(ch, info.lease + 1000));
	EXPECT_EQ(-EINVAL, cspchan_nack(ch, info.lease + 1000));
	EXPECT_EQ(-EINVAL, cspchan_ack(ch, UINT64_MAX));
	EXPECT_FIGURES_SAME(before, figures(ch));
	EXPECT_EQ(0, cspchan_ack(ch, info.lease));
	close(ch);
}

/* SPEC 9: a live lease of another handle: EPERM, nothing changes. */
TEST(ack_other_handles_lease_eperm)
{
	struct cspchan_msginfo info;
	struct cspchan_stat before;
	int ch, h;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_pair(2, 0, 0, &h));
	HOLD_M0(ch, info);
	before = figures(ch);
	EXPECT_EQ(-EPERM, cspchan_ack(h, info.lease));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-EPERM, cspchan_nack(h, info.lease));
	EXPECT_FIGURES_SAME(before, figures(ch));
	/* Still the holder's: not queued again, and its ack works. */
	EXPECT_EQ(-EAGAIN, recv_now(h));
	EXPECT_EQ(0, cspchan_ack(ch, info.lease));
	EXPECT_EQ(0U, figures(ch).leased);
	close(h);
	close(ch);
}

/* SPEC 9: a lease belongs to the open file description: a dup() acks it. */
TEST(ack_through_dup)
{
	struct cspchan_msginfo info;
	int ch, d;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(2, 0, 0));
	d = dup(ch);
	ASSERT_LE(0, d);
	HOLD_M0(ch, info);
	EXPECT_EQ(0, cspchan_ack(d, info.lease));
	EXPECT_EQ(0U, figures(ch).leased);
	close(d);
	close(ch);
}

/* SPEC 8: ACK/NACK requests with one bad field each: EINVAL, nothing changes. */
TEST(ack_request_bad_fields_einval)
{
	struct cspchan_stat before;
	struct cspchan_xfer x;
	char buf[MSZ];
	int ch;

	REQUIRE_LEASE();
	QUEUED_LEASE_CHAN(ch, 2, 1);
	ASSERT_EQ(MLEN, xrecv(ch, buf, sizeof(buf), 0, &x));
	before = figures(ch);
	EXPECT_EQ(-EINVAL, lease_ioctl(ch, CSPCHAN_IOC_ACK, x.lease, 1, 0, 0, 0));
	EXPECT_EQ(-EINVAL, lease_ioctl(ch, CSPCHAN_IOC_ACK, x.lease, 0, 1, 0, 0));
	EXPECT_EQ(-EINVAL, lease_ioctl(ch, CSPCHAN_IOC_ACK, x.lease, 0, 0, 1, 0));
	EXPECT_EQ(-EINVAL, lease_ioctl(ch, CSPCHAN_IOC_ACK, x.lease, 0, 0, 0, 1));
	EXPECT_EQ(-EINVAL, lease_ioctl(ch, CSPCHAN_IOC_NACK, x.lease, 1, 0, 0, 0));
	EXPECT_EQ(-EINVAL, lease_ioctl(ch, CSPCHAN_IOC_NACK, x.lease, 0, 0, 0, 1));
	EXPECT_EQ(-EFAULT, ioctl(ch, CSPCHAN_IOC_ACK, BAD_PTR) ? -errno : 0);
	EXPECT_FIGURES_SAME(before, figures(ch));
	EXPECT_EQ(1U, figures(ch).leased);
	EXPECT_EQ(0, lease_ioctl(ch, CSPCHAN_IOC_ACK, x.lease, 0, 0, 0, 0));
	EXPECT_EQ(0U, figures(ch).leased);
	close(ch);
}

/* SPEC 8: a RECV with an unknown xfer flag: EINVAL, the message stays queued. */
TEST(recv_unknown_flag_einval)
{
	struct cspchan_stat before;
	struct cspchan_xfer x;
	char buf[MSZ];
	int ch;

	REQUIRE_LEASE();
	QUEUED_LEASE_CHAN(ch, 2, 1);
	before = figures(ch);
	memset(&x, 0, sizeof(x));
	x.buf = (uintptr_t)buf;
	x.len = sizeof(buf);
	x.flags = CSPCHAN_XFER_LEASE << 1;
	EXPECT_EQ(-EINVAL, ioctl(ch, CSPCHAN_IOC_RECV, &x) ? -errno : 0);
	EXPECT_FIGURES_SAME(before, figures(ch));
	EXPECT_EQ(1U, figures(ch).depth);
	EXPECT_EQ(MLEN, xrecv(ch, buf, sizeof(buf), 0, &x));
	close(ch);
}

/* SPEC 9: nack puts the message back at the head, metadata intact. */
TEST(nack_returns_message_to_head)
{
	struct cspchan_msginfo first, again, info;
	char buf[MSZ];
	pid_t sender;
	int ch;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(4, 0, 0));
	ASSERT_FORKED(sender, send_from_child(ch, 0, 3));
	ASSERT_EQ(0, child_wait(sender, WAIT_MS));
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &first));
	ASSERT_TRUE(is_m(buf, MLEN, 0));
	EXPECT_EQ(sender, first.pid);
	ASSERT_EQ(0, cspchan_nack(ch, first.lease));
	EXPECT_EQ(3U, figures(ch).depth);
	EXPECT_EQ(0U, figures(ch).leased);
	EXPECT_EQ(1U, figures(ch).received);
	EXPECT_EQ(-ESTALE, cspchan_ack(ch, first.lease));

	/* Ahead of m1 and m2. */
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &again));
	EXPECT_TRUE(is_m(buf, MLEN, 0));
	EXPECT_EQ(first.seq, again.seq);
	EXPECT_EQ(first.pid, again.pid);
	EXPECT_EQ(first.sent_ns, again.sent_ns);
	EXPECT_EQ(2U, again.deliveries);
	EXPECT_LT(first.lease, again.lease);
	EXPECT_EQ(1U, figures(ch).redelivered);
	EXPECT_EQ(2U, figures(ch).received);
	ASSERT_EQ(0, cspchan_ack(ch, again.lease));
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &info));
	EXPECT_TRUE(is_m(buf, MLEN, 1));
	EXPECT_EQ(1U, info.deliveries);
	ASSERT_EQ(0, cspchan_ack(ch, info.lease));
	close(ch);
}

/* ---- implicit leases ------------------------------------------------------------ */

/* SPEC 9: read(2) leaves the message leased to the handle (implicitly). */
TEST(read_holds_implicit_lease)
{
	char buf[MSZ];
	int ch;

	REQUIRE_LEASE();
	QUEUED_LEASE_CHAN(ch, 3, 2);
	ASSERT_EQ(MLEN, read(ch, buf, sizeof(buf)));
	EXPECT_TRUE(is_m(buf, MLEN, 0));
	EXPECT_LEASED_DEPTH(ch, 1U, 1U);
	/* The next read acknowledges m0 and holds m1 instead. */
	ASSERT_EQ(MLEN, read(ch, buf, sizeof(buf)));
	EXPECT_TRUE(is_m(buf, MLEN, 1));
	EXPECT_LEASED_DEPTH(ch, 1U, 0U);
	EXPECT_EQ(0U, figures(ch).redelivered);
	close(ch);
}

/* SPEC 9: a read that fails with EAGAIN still acknowledges the implicit lease. */
TEST(failed_read_eagain_acks_implicit_lease)
{
	char buf[MSZ];
	int ch, h;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_pair(2, 0, 0, &h));
	ASSERT_EQ(MLEN, send_m(ch, 0));
	READ_IMPLICIT_LEASE(h, buf, ch);
	ASSERT_EQ(0, fcntl(h, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(h, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LEASED_DEPTH(ch, 0U, 0U);
	/* Done for good: releasing the handle returns nothing. */
	close(h);
	EXPECT_EQ(0U, figures(ch).depth);
	EXPECT_EQ(-EAGAIN, recv_now(ch));
	EXPECT_EQ(0U, figures(ch).redelivered);
	close(ch);
}

/* SPEC 9: a read that fails with EMSGSIZE still acknowledges the implicit lease. */
TEST(failed_read_emsgsize_acks_implicit_lease)
{
	char buf[MSZ];
	int ch;

	REQUIRE_LEASE();
	QUEUED_LEASE_CHAN(ch, 3, 2);
	READ_IMPLICIT_LEASE(ch, buf, ch);
	EXPECT_EQ(-1, read(ch, buf, 2));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(0U, figures(ch).leased);
	/* m1 stayed in the channel (SPEC 3.4). */
	EXPECT_EQ(1U, figures(ch).depth);
	ASSERT_EQ(MLEN, read(ch, buf, sizeof(buf)));
	EXPECT_TRUE(is_m(buf, MLEN, 1));
	EXPECT_EQ(0U, figures(ch).redelivered);
	close(ch);
}

/* SPEC 9: a recvmsg starts a receive: it acknowledges the implicit lease. */
TEST(recvmsg_acks_implicit_lease)
{
	struct cspchan_msginfo info;
	char buf[MSZ];
	int ch;

	REQUIRE_LEASE();
	QUEUED_LEASE_CHAN(ch, 3, 2);
	ASSERT_EQ(MLEN, read(ch, buf, sizeof(buf)));
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &info));
	EXPECT_TRUE(is_m(buf, MLEN, 1));
	EXPECT_EQ(1U, figures(ch).leased);
	ASSERT_EQ(0, cspchan_ack(ch, info.lease));
	EXPECT_EQ(0U, figures(ch).leased);
	EXPECT_EQ(-EAGAIN, recv_now(ch));
	EXPECT_EQ(0U, figures(ch).redelivered);
	close(ch);
}

/* SPEC 9: a zero-copy take starts a receive: it acknowledges the implicit lease. */
TEST(take_acks_implicit_lease)
{
	struct cspchan_slot_req req;
	char buf[MSZ];
	int ch;

	REQUIRE_LEASE();
	QUEUED_LEASE_CHAN(ch, 3, 2);
	READ_IMPLICIT_LEASE(ch, buf, ch);
	ASSERT_EQ(MLEN, zc_take(ch, 0, &req));
	EXPECT_EQ(1U, req.seq);
	EXPECT_EQ(1U, req.deliveries);
	/* m1's slot is leased, m0 is done. */
	EXPECT_LEASED_DEPTH(ch, 1U, 0U);
	ASSERT_EQ(0, zc_release(ch, req.slot));
	EXPECT_EQ(0U, figures(ch).leased);
	EXPECT_EQ(0U, figures(ch).redelivered);
	close(ch);
}

/* SPEC 9: a take leases the slot; release acknowledges it. */
TEST(take_leases_release_acks)
{
	struct cspchan_slot_info si;
	int ch;

	REQUIRE_LEASE();
	QUEUED_LEASE_CHAN(ch, 2, 1);
	ASSERT_EQ(MLEN, cspchan_take(ch, &si, WAIT_MS));
	EXPECT_LEASED_DEPTH(ch, 1U, 0U);
	ASSERT_EQ(0, cspchan_release(ch, si.slot));
	EXPECT_LEASED_DEPTH(ch, 0U, 0U);
	EXPECT_EQ(-EAGAIN, recv_now(ch));
	close(ch);
}

/* SPEC 9: a select receive case holds an implicit lease, and settles the last. */
TEST(select_receive_acks_implicit_lease)
{
	struct cspchan_case c;
	char buf[MSZ];
	int ch;

	REQUIRE_LEASE();
	QUEUED_LEASE_CHAN(ch, 3, 2);
	READ_IMPLICIT_LEASE(ch, buf, ch);
	recv_case_init(&c, ch, buf, sizeof(buf));
	ASSERT_EQ(0, cspchan_select(&c, 1, 0));
	ASSERT_EQ(MLEN, c.result);
	EXPECT_TRUE(is_m(buf, MLEN, 1));
	/* m0 done; m1 leased implicitly by the select. */
	EXPECT_LEASED_DEPTH(ch, 1U, 0U);
	ASSERT_EQ(0, fcntl(ch, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(ch, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0U, figures(ch).leased);
	EXPECT_EQ(0U, figures(ch).redelivered);
	close(ch);
}

/* SPEC 9: a select with a receive case on the handle that finds nothing still settles. */
TEST(failed_select_acks_implicit_lease)
{
	struct cspchan_case c;
	char buf[MSZ];
	int ch;

	REQUIRE_LEASE();
	QUEUED_LEASE_CHAN(ch, 2, 1);
	READ_IMPLICIT_LEASE(ch, buf, ch);
	recv_case_init(&c, ch, buf, sizeof(buf));
	EXPECT_EQ(-EAGAIN, cspchan_select(&c, 1, 0));
	EXPECT_LEASED_DEPTH(ch, 0U, 0U);
	close(ch);
}

/* SPEC 9: implicit leases are per handle; another handle's receive leaves it. */
TEST(implicit_lease_per_handle)
{
	struct cspchan_xfer x;
	char buf[MSZ];
	int ch, h;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_pair(3, 0, 0, &h));
	SEND_MS(ch, 0, 2);
	ASSERT_EQ(MLEN, read(ch, buf, sizeof(buf)));
	ASSERT_EQ(MLEN, read(h, buf, sizeof(buf)));
	EXPECT_EQ(2U, figures(ch).leased);
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(h, buf, sizeof(buf), 0));
	/* h's m1 is done; ch still holds m0. */
	EXPECT_EQ(1U, figures(ch).leased);
	close(ch);
	EXPECT_EQ(0U, figures(h).leased);
	ASSERT_EQ(MLEN, xrecv(h, buf, sizeof(buf), 0, &x));
	EXPECT_TRUE(is_m(buf, MLEN, 0));
	EXPECT_EQ(2U, x.deliveries);
	close(h);
}

/*
 * SPEC 9: N sequential read() workers on a channel of capacity N cannot
 * deadlock: each holds one implicit lease, settled by its next read.
 */
#define SEQ_MSGS	100

TEST(sequential_readers_do_not_deadlock)
{
	unsigned int got[SEQ_MSGS];
	struct cspchan_stat st;
	pid_t pid[2];
	char buf[MSZ];
	int ch, h[2], out, i, k;
	ssize_t n;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_handles(2, 0, 0, h, 2));
	ASSERT_FD(out, chan_new(SEQ_MSGS, MSZ));

	for (i = 0; i < 2; i++) {
		ASSERT_FORKED(pid[i], fork_child());
		if (pid[i] == 0) {
			for (;;) {
				n = read(h[i], buf, sizeof(buf));
				if (n == 0)
					_exit(0);
				CHILD_ASSERT(n == MLEN);
				msleep(1);	/* process(msg) */
				CHILD_ASSERT(cspchan_send_timeout(out, buf, n, WAIT_MS) == n);
			}
		}
		close(h[i]);
	}
	for (i = 0; i < SEQ_MSGS; i++)
		ASSERT_EQ(MLEN, send_m(ch, i)) TH_LOG("send %d: deadlocked", i);
	ASSERT_EQ(0, cspchan_shutdown(ch));
	EXPECT_EQ(0, child_wait(pid[0], WAIT_MS));
	EXPECT_EQ(0, child_wait(pid[1], WAIT_MS));

	memset(got, 0, sizeof(got));
	for (i = 0; i < SEQ_MSGS; i++) {
		n = cspchan_recv_timeout(out, buf, sizeof(buf), 0);
		ASSERT_EQ(MLEN, n);
		buf[MLEN] = '\0';
		k = atoi(buf + 1);
		ASSERT_TRUE(k >= 0 && k < SEQ_MSGS);
		got[k]++;
	}
	for (i = 0; i < SEQ_MSGS; i++)
		EXPECT_EQ(1U, got[i]) TH_LOG("m%03d", i);
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(0U, st.leased);
	EXPECT_EQ(0U, st.depth);
	EXPECT_EQ((uint64_t)SEQ_MSGS, st.received);
	EXPECT_EQ(0U, st.redelivered);
	close(out);
	close(ch);
}

/* ---- release of the handle ------------------------------------------------------- */

/* SPEC 9: a lease returned because its handle was released is ended: ESTALE. */
TEST(close_returns_lease_estale)
{
	struct cspchan_msginfo info, again;
	char buf[MSZ];
	int ch, h;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_pair(2, 0, 0, &h));
	ASSERT_EQ(MLEN, send_m(ch, 0));
	ASSERT_EQ(MLEN, cspchan_recvmsg(h, buf, sizeof(buf), &info));
	ASSERT_EQ(0, close(h));
	EXPECT_LEASED_DEPTH(ch, 0U, 1U);
	EXPECT_EQ(-ESTALE, cspchan_ack(ch, info.lease));
	EXPECT_EQ(-ESTALE, cspchan_nack(ch, info.lease));
	EXPECT_EQ(1U, figures(ch).depth);
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &again));
	EXPECT_EQ(info.seq, again.seq);
	EXPECT_EQ(2U, again.deliveries);
	EXPECT_EQ(0, cspchan_ack(ch, again.lease));
	close(ch);
}

/*
 * In a child: a blocking explicit-lease receive on @h, reported in @rep
 * (result, buf, deliveries[0], seq[0]); @x holds its metadata.
 */
static long report_xrecv(int h, struct report *rep, struct cspchan_xfer *x)
{
	rep->result = xrecv(h, rep->buf, sizeof(rep->buf), WAIT_MS, x);
	rep->deliveries[0] = x->deliveries;
	rep->seq[0] = x->seq;
	return rep->result;
}

/*
 * A child blocked in a receive on its own handle @h; it acks what it
 * gets and reports the first result and (in lease[1]) the result of one
 * more, non-blocking receive.
 */
static pid_t blocked_receiver(int h, struct report *rep)
{
	struct cspchan_xfer x;
	pid_t pid = fork_child();

	if (pid != 0)
		return pid;
	if (report_xrecv(h, rep, &x) > 0) {
		CHILD_ASSERT(cspchan_ack(h, x.lease) == 0);
		rep->lease[1] = (uint64_t)xrecv(h, rep->buf + MLEN, sizeof(rep->buf) - MLEN, 0, &x);
	}
	_exit(0);
}

/*
 * In a test: @pid = blocked_receiver(@h, @rep) (rep->result preset to
 * -424242), @h closed here, and the receiver seen waiting on @ch.
 */
#define START_BLOCKED_RECEIVER(pid, h, rep, ch) do {			\
	(rep)->result = -424242;					\
	ASSERT_FORKED(pid, blocked_receiver(h, rep));			\
	close(h);							\
	ASSERT_EQ(0, lwait(ch, L_RWAIT, 1, WAIT_MS));			\
} while (0)

/*
 * In a test: @ch, a shut-down lease channel whose one message m0 is held
 * with an explicit lease (@info), and @pid, a blocked_receiver() on a
 * handle of its own reporting in @rep (allocated here), seen waiting.
 */
#define RECEIVER_BLOCKED_ON_LEASE(ch, info, pid, rep) do {		\
	int rb_h_;							\
									\
	ASSERT_ALLOC(rep, shared_alloc(sizeof(*(rep))));		\
	ASSERT_FD(ch, lease_pair(2, 0, 0, &rb_h_));			\
	HOLD_M0(ch, info);						\
	ASSERT_EQ(0, cspchan_shutdown(ch));				\
	START_BLOCKED_RECEIVER(pid, rb_h_, rep, ch);			\
} while (0)

/* @rep's receive got m0 again: a second delivery, seq @want_seq. */
#define EXPECT_GOT_M0_AGAIN(rep, want_seq) do {				\
	EXPECT_EQ(MLEN, (rep)->result);					\
	EXPECT_TRUE(is_m((rep)->buf, MLEN, 0));				\
	EXPECT_EQ(2U, (rep)->deliveries[0]);				\
	EXPECT_EQ(want_seq, (rep)->seq[0]);				\
} while (0)

/*
 * A child that receives @n messages on its own handle @h with @how
 * ('x' recvmsg, 't' take, 'r' read), reports them and waits to be killed.
 */
static pid_t holder_child(int h, unsigned int n, char how, struct report *rep)
{
	struct cspchan_msginfo info;
	struct cspchan_slot_info si;
	char buf[MSZ];
	unsigned int i;
	pid_t pid;

	pid = fork_child();
	if (pid != 0)
		return pid;
	for (i = 0; i < n; i++) {
		if (how == 'x') {
			CHILD_ASSERT(cspchan_recvmsg(h, buf, sizeof(buf), &info) == MLEN);
			rep->lease[i] = info.lease;
			rep->seq[i] = info.seq;
			rep->sent_ns[i] = info.sent_ns;
			rep->pid[i] = (uint32_t)info.pid;
		} else if (how == 't') {
			CHILD_ASSERT(cspchan_take(h, &si, WAIT_MS) == MLEN);
			rep->seq[i] = si.seq;
			rep->sent_ns[i] = si.sent_ns;
			rep->pid[i] = si.pid;
		} else {
			CHILD_ASSERT(read(h, buf, sizeof(buf)) == MLEN);
			rep->seq[i] = i;
			rep->sent_ns[i] = 0;	/* read(2) does not say */
			rep->pid[i] = (uint32_t)getppid();
		}
	}
	__atomic_store_n(&rep->done, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
}

/*
 * @total messages queued; a child holding the first @n on its own handle
 * (received with @how) is SIGKILLed: the parent then receives m0..m(n-1)
 * again (deliveries 2, same seq/pid/sent_ns), in order, ahead of the
 * others (deliveries 1).
 */
static void killed_holder(struct __test_metadata *_metadata, unsigned int n,
			  unsigned int total, char how)
{
	struct cspchan_xfer x;
	struct report *rep;
	char buf[MSZ];
	unsigned int i;
	pid_t pid;
	int ch, h;

	ASSERT_ALLOC(rep, shared_alloc(sizeof(*rep)));
	ASSERT_FD(ch, lease_pair(8, 0, 0, &h));
	SEND_MS(ch, 0, total);
	ASSERT_FORKED(pid, holder_child(h, n, how, rep));
	close(h);
	ASSERT_EQ(1, wait_counter(&rep->done, 1));
	ASSERT_EQ(0, lwait(ch, L_LEASED, n, WAIT_MS));
	EXPECT_EQ(total - n, figures(ch).depth);
	ASSERT_EQ(256 + SIGKILL, child_kill(pid));

	EXPECT_LEASED_DEPTH(ch, 0U, total);
	EXPECT_EQ(0U, figures(ch).redelivered);
	for (i = 0; i < total; i++) {
		ASSERT_EQ(MLEN, xrecv(ch, buf, sizeof(buf), 0, &x)) TH_LOG("message %u", i);
		EXPECT_TRUE(is_m(buf, MLEN, i)) TH_LOG("message %u is %.4s", i, buf);
		EXPECT_EQ(i, x.seq);
		EXPECT_EQ((uint32_t)getpid(), x.pid);
		EXPECT_EQ(i < n ? 2U : 1U, x.deliveries) TH_LOG("message %u", i);
		if (i < n) {
			EXPECT_EQ(rep->seq[i], x.seq);
			EXPECT_EQ(rep->pid[i], x.pid);
			if (how != 'r')
				EXPECT_EQ(rep->sent_ns[i], x.sent_ns);
		}
		EXPECT_EQ(0, cspchan_ack(ch, x.lease));
	}
	EXPECT_EQ(-EAGAIN, recv_now(ch));
	EXPECT_EQ((uint64_t)n, figures(ch).redelivered);
	EXPECT_EQ((uint64_t)(n + total), figures(ch).received);
	close(ch);
	munmap(rep, sizeof(*rep));
}

/* TEST(@name): killed_holder(@n, @total, @how), where leases are supported. */
#define KILLED_HOLDER_TEST(name, n, total, how)				\
TEST(name)								\
{									\
	REQUIRE_LEASE();						\
	killed_holder(_metadata, n, total, how);			\
}

/* SPEC 9: a killed receiver's explicit lease comes back with its metadata. */
KILLED_HOLDER_TEST(killed_explicit_holder_redelivered, 1, 2, 'x')

/* SPEC 9: several leases of a killed handle come back in order, ahead of the queue. */
KILLED_HOLDER_TEST(killed_holder_leases_in_order, 3, 5, 'x')

/* SPEC 9: zero-copy slots taken by a killed handle come back in order. */
KILLED_HOLDER_TEST(killed_taker_slots_redelivered, 2, 4, 't')

/* SPEC 9: a sequential read() worker killed mid-processing: redelivered. */
KILLED_HOLDER_TEST(killed_sequential_reader_redelivered, 1, 2, 'r')

/*
 * SPEC 9: leases of a killed handle come back in their original order even
 * with a gap (one acked) and messages sent meanwhile, ahead of all of them.
 */
TEST(killed_holder_with_gap_in_order)
{
	static const unsigned int order[] = { 0, 2, 3, 4, 5 };
	struct cspchan_xfer x;
	struct report *rep;
	char buf[MSZ];
	unsigned int i;
	pid_t pid;
	int ch, h;

	REQUIRE_LEASE();
	ASSERT_ALLOC(rep, shared_alloc(sizeof(*rep)));
	ASSERT_FD(ch, lease_pair(8, 0, 0, &h));
	SEND_MS(ch, 0, 5);
	ASSERT_FORKED(pid, fork_child());
	if (pid == 0) {
		struct cspchan_msginfo info[3];

		for (i = 0; i < 3; i++)
			CHILD_ASSERT(cspchan_recvmsg(h, buf, sizeof(buf), &info[i]) == MLEN);
		CHILD_ASSERT(cspchan_ack(h, info[1].lease) == 0);
		__atomic_store_n(&rep->done, 1, __ATOMIC_SEQ_CST);
		for (;;)
			pause();
	}
	close(h);
	ASSERT_EQ(1, wait_counter(&rep->done, 1));
	ASSERT_EQ(MLEN, send_m(ch, 5));
	EXPECT_EQ(2U, figures(ch).leased);
	ASSERT_EQ(256 + SIGKILL, child_kill(pid));
	EXPECT_EQ(5U, figures(ch).depth);
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(MLEN, xrecv(ch, buf, sizeof(buf), 0, &x));
		EXPECT_TRUE(is_m(buf, MLEN, order[i])) TH_LOG("#%u is %.4s, expected m%03u",
							     i, buf, order[i]);
		EXPECT_EQ(order[i], x.seq);
		EXPECT_EQ(order[i] == 0 || order[i] == 2 ? 2U : 1U, x.deliveries);
		EXPECT_EQ(0, cspchan_ack(ch, x.lease));
	}
	EXPECT_EQ(-EAGAIN, recv_now(ch));
	close(ch);
	munmap(rep, sizeof(*rep));
}

/* SPEC 9 + 3.6: leases returned by a killed handle wake a blocked receiver. */
TEST(killed_holder_wakes_blocked_receiver)
{
	struct report *rep, *rrep;
	pid_t holder, receiver;
	int ch, hs[2];

	REQUIRE_LEASE();
	ASSERT_ALLOC(rep, shared_alloc(sizeof(*rep)));
	ASSERT_ALLOC(rrep, shared_alloc(sizeof(*rrep)));
	ASSERT_FD(ch, lease_handles(2, 0, 0, hs, 2));
	ASSERT_EQ(MLEN, send_m(ch, 0));
	ASSERT_FORKED(holder, holder_child(hs[0], 1, 'x', rep));
	close(hs[0]);
	ASSERT_EQ(1, wait_counter(&rep->done, 1));
	START_BLOCKED_RECEIVER(receiver, hs[1], rrep, ch);
	ASSERT_EQ(256 + SIGKILL, child_kill(holder));
	ASSERT_EQ(0, child_wait(receiver, WAIT_MS));
	EXPECT_GOT_M0_AGAIN(rrep, rep->seq[0]);
	close(ch);
	munmap(rep, sizeof(*rep));
	munmap(rrep, sizeof(*rrep));
}

/* ---- lease_ms ---------------------------------------------------------------------- */

/* SPEC 9: a lease not acknowledged within lease_ms is revoked and redelivered. */
TEST(lease_expires_and_redelivers)
{
	struct cspchan_msginfo info, again;
	char buf[MSZ];
	uint64_t t0, elapsed;
	int ch;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(2, 0, 200));
	ASSERT_EQ(MLEN, send_m(ch, 0));
	t0 = now_ns();
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &info));
	EXPECT_EQ(1U, figures(ch).leased);
	ASSERT_EQ(0, lwait(ch, L_DEPTH, 1, WAIT_MS));
	elapsed = ms_since(t0);
	/* Not before its time (one tick of slack). */
	EXPECT_LE(190U, elapsed);
	EXPECT_EQ(0U, figures(ch).leased);
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &again));
	EXPECT_TRUE(is_m(buf, MLEN, 0));
	EXPECT_EQ(info.seq, again.seq);
	EXPECT_EQ(info.sent_ns, again.sent_ns);
	EXPECT_EQ(2U, again.deliveries);
	EXPECT_LT(info.lease, again.lease);
	/* The late ack: the lease was revoked. */
	EXPECT_EQ(-ESTALE, cspchan_ack(ch, info.lease));
	EXPECT_EQ(0, cspchan_ack(ch, again.lease));
	EXPECT_EQ(1U, figures(ch).redelivered);
	EXPECT_EQ(0U, figures(ch).leased);
	close(ch);
}

/* SPEC 9: a lease acknowledged in time is not revoked later. */
TEST(lease_acked_in_time_stays_done)
{
	struct cspchan_msginfo info;
	int ch;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(2, 0, 300));
	HOLD_M0(ch, info);
	ASSERT_EQ(0, cspchan_ack(ch, info.lease));
	msleep(700);
	EXPECT_EQ(0U, figures(ch).depth);
	EXPECT_EQ(0U, figures(ch).redelivered);
	EXPECT_EQ(-EAGAIN, recv_now(ch));
	close(ch);
}

/* SPEC 9 + 3.6: a revoked lease's message wakes a blocked receiver. */
TEST(lease_expiry_wakes_blocked_receiver)
{
	struct cspchan_msginfo info;
	struct cspchan_xfer x;
	struct report *rep;
	pid_t pid;
	int ch, h;

	REQUIRE_LEASE();
	ASSERT_ALLOC(rep, shared_alloc(sizeof(*rep)));
	ASSERT_FD(ch, lease_pair(2, 0, 300, &h));
	HOLD_M0(ch, info);
	ASSERT_FORKED(pid, fork_child());
	if (pid == 0) {
		if (report_xrecv(h, rep, &x) > 0)
			cspchan_ack(h, x.lease);
		_exit(0);
	}
	close(h);
	ASSERT_EQ(0, lwait(ch, L_RWAIT, 1, WAIT_MS));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(MLEN, rep->result);
	EXPECT_TRUE(is_m(rep->buf, rep->result, 0));
	EXPECT_EQ(2U, rep->deliveries[0]);
	EXPECT_EQ(info.seq, rep->seq[0]);
	EXPECT_EQ(-ESTALE, cspchan_ack(ch, info.lease));
	close(ch);
	munmap(rep, sizeof(*rep));
}

/* SPEC 9: lease_ms applies to the implicit lease of a read() too. */
TEST(lease_expiry_revokes_implicit_lease)
{
	struct cspchan_xfer x;
	char buf[MSZ];
	int ch, h;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_pair(2, 0, 200, &h));
	ASSERT_EQ(MLEN, send_m(ch, 0));
	READ_IMPLICIT_LEASE(h, buf, ch);
	ASSERT_EQ(0, lwait(ch, L_DEPTH, 1, WAIT_MS));
	EXPECT_EQ(0U, figures(ch).leased);
	ASSERT_EQ(MLEN, xrecv(ch, buf, sizeof(buf), 0, &x));
	EXPECT_TRUE(is_m(buf, MLEN, 0));
	EXPECT_EQ(2U, x.deliveries);
	EXPECT_EQ(0, cspchan_ack(ch, x.lease));
	/* h's next receive has nothing of its own left to acknowledge. */
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(h, buf, sizeof(buf), 0));
	EXPECT_EQ(0U, figures(ch).leased);
	EXPECT_EQ(1U, figures(ch).redelivered);
	close(h);
	close(ch);
}

/* ---- max_deliveries and dead letters ---------------------------------------------- */

/* Receive and nack the head of @ch: its deliveries count, or -errno. */
static long recv_nack(int ch, struct cspchan_msginfo *info)
{
	char buf[MSZ];
	ssize_t n = cspchan_recvmsg(ch, buf, sizeof(buf), info);

	if (n < 0)
		return n;
	if (n != MLEN)
		return -EIO;
	n = cspchan_nack(ch, info->lease);
	return n < 0 ? n : (long)info->deliveries;
}

/* SPEC 9: after max_deliveries the message goes to the dead-letter channel, intact. */
TEST(max_deliveries_dead_letter)
{
	struct cspchan_msginfo first, info, dead;
	struct cspchan_xfer x;
	struct cspchan_stat st;
	char buf[MSZ];
	pid_t sender;
	int ch, dlq, i;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(4, 2, 0));
	SET_NEW_DLQ(dlq, ch, 4);
	EXPECT_EQ(chan_id(dlq), figures(ch).dead_letter);
	/* Three done first, so that the message's seq (3) is not the dlq's own. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(MLEN, send_m(ch, i));
		ASSERT_EQ(MLEN, xrecv(ch, buf, sizeof(buf), 0, &x));
		ASSERT_EQ(0, cspchan_ack(ch, x.lease));
	}
	ASSERT_FORKED(sender, send_from_child(ch, 3, 1));
	ASSERT_EQ(0, child_wait(sender, WAIT_MS));

	ASSERT_EQ(1, recv_nack(ch, &first));
	EXPECT_EQ(3U, first.seq);
	ASSERT_EQ(2, recv_nack(ch, &info));
	/* Not delivered a third time. */
	EXPECT_EQ(-EAGAIN, recv_now(ch));
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(1U, st.dead);
	EXPECT_EQ(0U, st.depth);
	EXPECT_EQ(0U, st.leased);
	EXPECT_EQ(5U, st.received);
	EXPECT_EQ(1U, st.redelivered);
	ASSERT_EQ(0, cspchan_stat(dlq, &st));
	EXPECT_EQ(1U, st.sent);
	EXPECT_EQ(1U, st.depth);
	ASSERT_EQ(MLEN, cspchan_recvmsg(dlq, buf, sizeof(buf), &dead));
	EXPECT_TRUE(is_m(buf, MLEN, 3));
	EXPECT_EQ(first.seq, dead.seq);
	EXPECT_EQ(sender, dead.pid);
	EXPECT_EQ(first.sent_ns, dead.sent_ns);
	EXPECT_EQ(1U, dead.deliveries);
	close(dlq);
	close(ch);
}

/* SPEC 9: with no dead-letter channel the message is dropped, and counted. */
TEST(max_deliveries_without_dlq_dropped)
{
	struct cspchan_msginfo info;
	struct cspchan_xfer x;
	char buf[MSZ];
	int ch;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(4, 1, 0));
	SEND_MS(ch, 0, 2);
	ASSERT_EQ(1, recv_nack(ch, &info));
	/* m0 would be delivered a second time: dropped; m1 is next. */
	ASSERT_EQ(MLEN, xrecv(ch, buf, sizeof(buf), 0, &x));
	EXPECT_TRUE(is_m(buf, MLEN, 1));
	EXPECT_EQ(1U, x.deliveries);
	ASSERT_EQ(0, cspchan_ack(ch, x.lease));
	EXPECT_ONE_DEAD(ch);
	EXPECT_EQ(0U, figures(ch).depth);
	EXPECT_EQ(0U, figures(ch).leased);
	close(ch);
}

/* SPEC 9: deliveries that ended with a released handle count toward max_deliveries. */
TEST(max_deliveries_counts_released_deliveries)
{
	struct cspchan_msginfo info;
	struct cspchan_xfer x;
	char buf[MSZ];
	int ch, h, dlq;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_pair(4, 1, 0, &h));
	SET_NEW_DLQ(dlq, ch, 4);
	ASSERT_EQ(MLEN, send_m(ch, 0));
	ASSERT_EQ(MLEN, cspchan_recvmsg(h, buf, sizeof(buf), &info));
	ASSERT_EQ(0, close(h));
	EXPECT_ONE_DEAD(ch);
	EXPECT_EQ(1U, figures(dlq).sent);
	ASSERT_EQ(MLEN, xrecv(dlq, buf, sizeof(buf), 0, &x));
	EXPECT_TRUE(is_m(buf, MLEN, 0));
	EXPECT_EQ(info.seq, x.seq);
	close(dlq);
	close(ch);
}

/* SPEC 9: a full dead-letter channel: dropped without blocking. */
TEST(dead_letter_full_dlq_dropped)
{
	struct cspchan_msginfo info;
	struct cspchan_xfer x;
	char buf[MSZ];
	uint64_t t0;
	int ch, dlq;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(4, 1, 0));
	ASSERT_FD(dlq, chan_new(1, MSZ));
	ASSERT_EQ(MLEN, send_m(dlq, 9));
	ASSERT_EQ(0, cspchan_set_deadletter(ch, dlq));
	SEND_NACK_M0(ch, info);
	t0 = now_ns();
	EXPECT_EQ(-EAGAIN, recv_now(ch));
	EXPECT_GT(1000U, ms_since(t0));
	EXPECT_EQ(1U, figures(ch).dead);
	EXPECT_EQ(0U, figures(ch).depth);
	EXPECT_EQ(1U, figures(dlq).sent);
	EXPECT_EQ(1U, figures(dlq).depth);
	ASSERT_EQ(MLEN, xrecv(dlq, buf, sizeof(buf), 0, &x));
	EXPECT_TRUE(is_m(buf, MLEN, 9));
	close(dlq);
	close(ch);
}

/* SPEC 9: a shut-down dead-letter channel: dropped. */
TEST(dead_letter_shut_dlq_dropped)
{
	struct cspchan_msginfo info;
	int ch, dlq;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(4, 1, 0));
	SET_NEW_DLQ(dlq, ch, 4);
	ASSERT_EQ(0, cspchan_shutdown(dlq));
	SEND_NACK_M0(ch, info);
	EXPECT_ONE_DEAD(ch);
	EXPECT_EQ(0U, figures(dlq).sent);
	EXPECT_EQ(0U, figures(dlq).depth);
	close(dlq);
	close(ch);
}

/* SPEC 9 (uapi): the dead-letter channel is not kept alive; once gone, dropped. */
TEST(dead_letter_closed_dlq_dropped)
{
	struct cspchan_msginfo info;
	uint64_t id;
	int ch, dlq;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(4, 1, 0));
	ASSERT_FD(dlq, chan_new(4, MSZ));
	id = chan_id(dlq);
	ASSERT_EQ(0, cspchan_set_deadletter(ch, dlq));
	ASSERT_EQ(0, close(dlq));
	EXPECT_FALSE(proc_has(id));
	SEND_NACK_M0(ch, info);
	EXPECT_ONE_DEAD(ch);
	EXPECT_EQ(0U, figures(ch).depth);
	close(ch);
}

/* SPEC 9: the channel itself (any handle of it) as its dead-letter channel: EINVAL. */
TEST(set_deadletter_self_einval)
{
	struct cspchan_stat before;
	int ch, h, dlq;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_pair(4, 1, 0, &h));
	SET_NEW_DLQ(dlq, ch, 4);
	before = figures(ch);
	EXPECT_EQ(-EINVAL, cspchan_set_deadletter(ch, ch));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, cspchan_set_deadletter(ch, h));
	EXPECT_FIGURES_SAME(before, figures(ch));
	EXPECT_EQ(chan_id(dlq), figures(ch).dead_letter);
	close(dlq);
	close(h);
	close(ch);
}

/* SPEC 9: a descriptor that is no channel: EBADF, nothing changes. */
TEST(set_deadletter_not_a_channel_ebadf)
{
	struct cspchan_stat before;
	int ch, dlq, p[2], ctl;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(4, 1, 0));
	SET_NEW_DLQ(dlq, ch, 4);
	ASSERT_EQ(0, pipe(p));
	ctl = open(CSPCHAN_DEVICE, O_RDWR);
	ASSERT_LE(0, ctl);
	before = figures(ch);
	EXPECT_EQ(-EBADF, cspchan_set_deadletter(ch, p[1]));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, cspchan_set_deadletter(ch, ctl));
	close(p[0]);
	EXPECT_EQ(-EBADF, cspchan_set_deadletter(ch, p[0]));	/* closed */
	EXPECT_FIGURES_SAME(before, figures(ch));
	EXPECT_EQ(chan_id(dlq), figures(ch).dead_letter);
	close(p[1]);
	close(ctl);
	close(dlq);
	close(ch);
}

/* uapi: a dead-letter handle that cannot send: EBADF. */
TEST(set_deadletter_receive_only_ebadf)
{
	char name[CSPCHAN_NAME_MAX];
	int ch, dlq, ro;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(4, 1, 0));
	unique_name(name, "lease-dlq-ro");
	ASSERT_FD(dlq, chan_named(name, 4, MSZ, 0600, 0));
	ASSERT_FD(ro, cspchan_open(name, O_RDONLY));
	ASSERT_EQ(0, cspchan_unlink(name));
	EXPECT_EQ(-EBADF, cspchan_set_deadletter(ch, ro));
	EXPECT_EQ(0U, figures(ch).dead_letter);
	close(ro);
	close(dlq);
	close(ch);
}

/* SPEC 9: -1 clears the dead-letter channel: dropped from then on. */
TEST(set_deadletter_clear)
{
	struct cspchan_msginfo info;
	int ch, dlq;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(4, 1, 0));
	SET_NEW_DLQ(dlq, ch, 4);
	ASSERT_EQ(0, cspchan_set_deadletter(ch, -1));
	EXPECT_EQ(0U, figures(ch).dead_letter);
	SEND_NACK_M0(ch, info);
	EXPECT_ONE_DEAD(ch);
	EXPECT_EQ(0U, figures(dlq).sent);
	close(dlq);
	close(ch);
}

/* SPEC 8: SET_DEADLETTER requests with one bad field each: EINVAL, nothing changes. */
TEST(set_deadletter_bad_fields_einval)
{
	struct cspchan_deadletter_req req;
	int ch, dlq;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(4, 1, 0));
	ASSERT_FD(dlq, chan_new(4, MSZ));
	memset(&req, 0, sizeof(req));
	req.fd = dlq;
	req.flags = 1;
	EXPECT_EQ(-EINVAL, ioctl(ch, CSPCHAN_IOC_SET_DEADLETTER, &req) ? -errno : 0);
	req.flags = 0;
	req.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, ioctl(ch, CSPCHAN_IOC_SET_DEADLETTER, &req) ? -errno : 0);
	req.reserved[0] = 0;
	req.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, ioctl(ch, CSPCHAN_IOC_SET_DEADLETTER, &req) ? -errno : 0);
	EXPECT_EQ(0U, figures(ch).dead_letter);
	req.reserved[1] = 0;
	EXPECT_EQ(0, ioctl(ch, CSPCHAN_IOC_SET_DEADLETTER, &req) ? -errno : 0);
	EXPECT_EQ(chan_id(dlq), figures(ch).dead_letter);
	close(dlq);
	close(ch);
}

/* ---- end of stream ----------------------------------------------------------------- */

/* SPEC 9: shut down with a message leased: no end of stream, no POLLIN, until acked. */
TEST(shutdown_waits_for_leases)
{
	struct cspchan_msginfo info;
	char buf[MSZ];
	short ev;
	int ch;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(2, 0, 0));
	HOLD_M0(ch, info);
	ASSERT_EQ(0, cspchan_shutdown(ch));
	EXPECT_EQ(-EAGAIN, recv_now(ch));
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(ch, buf, sizeof(buf), 0));
	ev = poll_now(ch);
	ASSERT_LE(0, ev);
	EXPECT_EQ(0, ev & POLLIN);
	ASSERT_EQ(0, cspchan_ack(ch, info.lease));
	ev = poll_now(ch);
	ASSERT_LE(0, ev);
	EXPECT_NE(0, ev & POLLIN);
	EXPECT_EQ(0, recv_now(ch));
	EXPECT_EQ(0, cspchan_recv_timeout(ch, buf, sizeof(buf), 0));
	close(ch);
}

/* SPEC 9: a receiver blocked on a shut-down channel wakes with 0 when the last lease is acked. */
TEST(blocked_receiver_ends_when_lease_acked)
{
	struct cspchan_msginfo info;
	struct report *rep;
	pid_t pid;
	int ch;

	REQUIRE_LEASE();
	RECEIVER_BLOCKED_ON_LEASE(ch, info, pid, rep);
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(pid));
	ASSERT_EQ(0, cspchan_ack(ch, info.lease));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(0, rep->result);
	close(ch);
	munmap(rep, sizeof(*rep));
}

/* SPEC 9: ... and gets the message if it is nacked instead (then end of stream). */
TEST(blocked_receiver_gets_nacked_message)
{
	struct cspchan_msginfo info;
	struct report *rep;
	pid_t pid;
	int ch;

	REQUIRE_LEASE();
	RECEIVER_BLOCKED_ON_LEASE(ch, info, pid, rep);
	ASSERT_EQ(0, cspchan_nack(ch, info.lease));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_GOT_M0_AGAIN(rep, info.seq);
	/* Acked: then end of stream. */
	EXPECT_EQ(0U, rep->lease[1]);
	EXPECT_EQ(0U, figures(ch).leased);
	close(ch);
	munmap(rep, sizeof(*rep));
}

/* SPEC 9 + 3.7: a poller of a shut-down channel wakes (POLLIN) when the last lease ends. */
TEST(poll_woken_when_last_lease_acked)
{
	struct cspchan_msginfo info;
	struct report *rep;
	pid_t pid;
	int ch;

	REQUIRE_LEASE();
	ASSERT_ALLOC(rep, shared_alloc(sizeof(*rep)));
	ASSERT_FD(ch, lease_chan(2, 0, 0));
	HOLD_M0(ch, info);
	ASSERT_EQ(0, cspchan_shutdown(ch));
	rep->result = -424242;
	ASSERT_FORKED(pid, fork_child());
	if (pid == 0) {
		struct pollfd p = { .fd = ch, .events = POLLIN };

		__atomic_store_n(&rep->done, 1, __ATOMIC_SEQ_CST);
		rep->result = poll(&p, 1, WAIT_MS);
		rep->lease[0] = (uint64_t)p.revents;
		_exit(0);
	}
	ASSERT_EQ(1, wait_counter(&rep->done, 1));
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(pid));
	ASSERT_EQ(0, cspchan_ack(ch, info.lease));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(1, rep->result);
	EXPECT_NE(0U, rep->lease[0] & POLLIN);
	close(ch);
	munmap(rep, sizeof(*rep));
}

/* ---- capacity and figures ---------------------------------------------------------- */

/* SPEC 9: capacity bounds queued plus leased messages. */
TEST(capacity_counts_leased)
{
	struct cspchan_msginfo i0, i1;
	char buf[MSZ];
	short ev;
	int ch;

	REQUIRE_LEASE();
	QUEUED_LEASE_CHAN(ch, 2, 2);
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &i0));
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &i1));
	EXPECT_EQ(0U, figures(ch).depth);
	EXPECT_EQ(2U, figures(ch).leased);
	EXPECT_EQ(-EAGAIN, cspchan_send_timeout(ch, "m002", MLEN, 0));
	ev = poll_now(ch);
	ASSERT_LE(0, ev);
	EXPECT_EQ(0, ev & POLLOUT);
	ASSERT_EQ(0, cspchan_ack(ch, i0.lease));
	EXPECT_EQ(MLEN, cspchan_send_timeout(ch, "m002", MLEN, 0));
	/* m1 leased + m2 queued: full again. */
	EXPECT_EQ(-EAGAIN, cspchan_send_timeout(ch, "m003", MLEN, 0));
	EXPECT_EQ(1U, figures(ch).depth);
	EXPECT_EQ(1U, figures(ch).leased);
	close(ch);
}

/* SPEC 9 + 3.2: an ack frees room and wakes a blocked sender. */
TEST(ack_wakes_blocked_sender)
{
	struct cspchan_msginfo info;
	pid_t pid;
	int ch;

	REQUIRE_LEASE();
	ASSERT_FD(ch, lease_chan(1, 0, 0));
	HOLD_M0(ch, info);
	ASSERT_FORKED(pid, fork_child());
	if (pid == 0)
		_exit(send_m(ch, 1) == MLEN ? 0 : 1);
	ASSERT_EQ(0, lwait(ch, L_SWAIT, 1, WAIT_MS));
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(pid));
	ASSERT_EQ(0, cspchan_ack(ch, info.lease));
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(1U, figures(ch).depth);
	EXPECT_EQ(0U, figures(ch).leased);
	close(ch);
}

/* SPEC 9: depth counts queued, leased leased, received every delivery. */
TEST(stat_counts_leases)
{
	struct cspchan_msginfo i0, i1, i2;
	struct cspchan_stat st;
	char buf[MSZ];
	int ch;

	REQUIRE_LEASE();
	QUEUED_LEASE_CHAN(ch, 4, 3);
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &i0));
	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &i1));
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(1U, st.depth);
	EXPECT_EQ(2U, st.leased);
	EXPECT_EQ(2U, st.received);
	EXPECT_EQ(3U, st.sent);
	EXPECT_EQ(0U, st.redelivered);

	ASSERT_EQ(0, cspchan_nack(ch, i1.lease));
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(2U, st.depth);
	EXPECT_EQ(1U, st.leased);
	EXPECT_EQ(2U, st.received);
	EXPECT_EQ(0U, st.redelivered);

	ASSERT_EQ(MLEN, cspchan_recvmsg(ch, buf, sizeof(buf), &i2));
	EXPECT_TRUE(is_m(buf, MLEN, 1));
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(1U, st.depth);
	EXPECT_EQ(2U, st.leased);
	EXPECT_EQ(3U, st.received);
	EXPECT_EQ(1U, st.redelivered);
	EXPECT_EQ(3U, st.sent);

	ASSERT_EQ(0, cspchan_ack(ch, i0.lease));
	ASSERT_EQ(0, cspchan_ack(ch, i2.lease));
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(1U, st.depth);
	EXPECT_EQ(0U, st.leased);
	EXPECT_EQ(3U, st.received);
	close(ch);
}

/* ---- soak: workers killed at random lose nothing --------------------------------- */

#define SOAK_PRODUCERS	4
#define SOAK_PER	2000
#define SOAK_TOTAL	(SOAK_PRODUCERS * SOAK_PER)
#define SOAK_WORKERS	8
#define SOAK_KILLS	20

struct soak_msg {
	uint32_t producer;
	uint32_t counter;
};

struct soak_rec {
	uint32_t producer;
	uint32_t counter;
	uint64_t seq;
	uint32_t deliveries;
	uint32_t worker;
};

FIXTURE(soak) {
	char name[CSPCHAN_NAME_MAX];
	int in, out;
	pid_t producers[SOAK_PRODUCERS];
	pid_t workers[SOAK_WORKERS];
	uint64_t *seq1;		/* per message: its in-channel seq + 1, 0 unseen */
	uint32_t *deliv;	/* per message: the most deliveries seen */
};

FIXTURE_SETUP(soak)
{
	REQUIRE_LEASE();
	pids_none(self->producers, SOAK_PRODUCERS);
	pids_none(self->workers, SOAK_WORKERS);
	ASSERT_ALLOC(self->seq1, calloc(SOAK_TOTAL, sizeof(*self->seq1)));
	ASSERT_ALLOC(self->deliv, calloc(SOAK_TOTAL, sizeof(*self->deliv)));
	unique_name(self->name, "lease-soak");
	ASSERT_FD(self->in, lease_attr_create(self->name, 16, 0, 0, O_EXCL));
	ASSERT_FD(self->out, chan_new(64, sizeof(struct soak_rec)));
}

FIXTURE_TEARDOWN(soak)
{
	kill_running(self->producers, SOAK_PRODUCERS);
	kill_running(self->workers, SOAK_WORKERS);
	cspchan_unlink(self->name);
	close(self->in);
	close(self->out);
	free(self->seq1);
	free(self->deliv);
}

/* recvmsg, forward (with the in-channel seq), ack; 0 at end of stream. */
static int soak_worker(int h, int out, unsigned int id)
{
	struct cspchan_msginfo info;
	struct soak_msg m;
	struct soak_rec r;
	ssize_t n;

	for (;;) {
		n = cspchan_recvmsg(h, &m, sizeof(m), &info);
		if (n == 0)
			return 0;
		CHILD_ASSERT(n == (ssize_t)sizeof(m));
		CHILD_ASSERT(info.lease != 0);
		memset(&r, 0, sizeof(r));
		r.producer = m.producer;
		r.counter = m.counter;
		r.seq = info.seq;
		r.deliveries = info.deliveries;
		r.worker = id;
		CHILD_ASSERT(cspchan_send(out, &r, sizeof(r)) == (ssize_t)sizeof(r));
		CHILD_ASSERT(cspchan_ack(h, info.lease) == 0);
	}
}

/* A worker with a handle of its own (so that its death releases its leases). */
static pid_t soak_spawn(const char *name, int out, unsigned int id)
{
	int h = cspchan_open(name, O_RDWR);
	pid_t pid;

	if (h < 0)
		return h;
	pid = fork_child();
	if (pid == 0)
		_exit(soak_worker(h, out, id));
	close(h);
	return pid;
}

/* Account one record; false if it breaks the rules. */
static bool soak_account(FIXTURE_DATA(soak) *self, const struct soak_rec *r,
			 unsigned int *distinct, unsigned int *dups)
{
	unsigned int k;

	if (r->producer >= SOAK_PRODUCERS || r->counter >= SOAK_PER || r->deliveries < 1) {
		fprintf(stderr, "# bad record: producer %u counter %u deliveries %u\n",
			r->producer, r->counter, r->deliveries);
		return false;
	}
	k = r->producer * SOAK_PER + r->counter;
	if (!self->seq1[k]) {
		self->seq1[k] = r->seq + 1;
		self->deliv[k] = r->deliveries;
		(*distinct)++;
		return true;
	}
	(*dups)++;
	/* A duplicate is a redelivery of the same message: same seq, later delivery. */
	if (self->seq1[k] != r->seq + 1 || r->deliveries <= self->deliv[k]) {
		fprintf(stderr, "# bad duplicate of %u/%u: seq %" PRIu64 " (first %" PRIu64
			"), deliveries %u (before %u)\n", r->producer, r->counter,
			r->seq, self->seq1[k] - 1, r->deliveries, self->deliv[k]);
		return false;
	}
	self->deliv[k] = r->deliveries;
	return true;
}

TEST_F_TIMEOUT(soak, killed_workers_lose_nothing, 120)
{
	unsigned int distinct = 0, dups = 0, kills = 0, bad = 0, i, w;
	uint64_t start = now_ns(), progress = now_ns();
	struct cspchan_stat st;
	struct soak_rec r;
	ssize_t n;

	srand((unsigned int)getpid());
	for (i = 0; i < SOAK_WORKERS; i++) {
		self->workers[i] = soak_spawn(self->name, self->out, i);
		ASSERT_LT(0, self->workers[i]);
	}
	for (i = 0; i < SOAK_PRODUCERS; i++) {
		pid_t pid = fork_child();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct soak_msg m = { .producer = i };

			for (m.counter = 0; m.counter < SOAK_PER; m.counter++)
				CHILD_ASSERT(cspchan_send(self->in, &m, sizeof(m)) ==
					     (ssize_t)sizeof(m));
			_exit(0);
		}
		self->producers[i] = pid;
	}

	while (distinct < SOAK_TOTAL) {
		n = cspchan_recv_timeout(self->out, &r, sizeof(r), 100);
		if (n == -ETIMEDOUT || n == -EAGAIN) {
			if (ms_since(progress) > 10000)
				break;
			continue;
		}
		ASSERT_EQ((ssize_t)sizeof(r), n);
		progress = now_ns();
		if (!soak_account(self, &r, &distinct, &dups))
			bad++;
		if (kills < SOAK_KILLS &&
		    distinct >= (kills + 1) * (SOAK_TOTAL / (SOAK_KILLS + 1))) {
			w = (unsigned int)rand() % SOAK_WORKERS;
			EXPECT_EQ(256 + SIGKILL, child_kill(self->workers[w]))
				TH_LOG("worker %u exited before it was killed", w);
			self->workers[w] = soak_spawn(self->name, self->out, w);
			ASSERT_LT(0, self->workers[w]);
			kills++;
		}
	}
	ASSERT_EQ((unsigned int)SOAK_TOTAL, distinct) {
		st = figures(self->in);
		TH_LOG("stalled: in depth %u leased %u received %" PRIu64 " redelivered %" PRIu64
		       " dead %" PRIu64 " receivers_waiting %u", st.depth, st.leased,
		       st.received, st.redelivered, st.dead, st.receivers_waiting);
	}
	for (i = 0; i < SOAK_PRODUCERS; i++)
		EXPECT_EQ(0, child_wait(self->producers[i], WAIT_MS)) TH_LOG("producer %u", i);
	ASSERT_EQ(0, cspchan_shutdown(self->in));
	for (i = 0; i < SOAK_WORKERS; i++)
		EXPECT_EQ(0, child_wait(self->workers[i], WAIT_MS)) TH_LOG("worker %u", i);
	/* What the last workers forwarded before they ended. */
	while ((n = cspchan_recv_timeout(self->out, &r, sizeof(r), 0)) > 0) {
		ASSERT_EQ((ssize_t)sizeof(r), n);
		if (!soak_account(self, &r, &distinct, &dups))
			bad++;
	}
	EXPECT_EQ(-EAGAIN, n);
	EXPECT_EQ(0U, bad);
	EXPECT_EQ((unsigned int)SOAK_TOTAL, distinct);

	ASSERT_EQ(0, cspchan_stat(self->in, &st));
	TH_LOG("%u messages in %" PRIu64 " ms; %u workers killed; %" PRIu64
	       " redelivered; %u duplicates forwarded", SOAK_TOTAL, ms_since(start),
	       kills, st.redelivered, dups);
	EXPECT_EQ(0U, st.depth);
	EXPECT_EQ(0U, st.leased);
	EXPECT_EQ(0U, st.dead);
	EXPECT_EQ((uint64_t)SOAK_TOTAL, st.sent);
	EXPECT_EQ((uint64_t)SOAK_TOTAL + st.redelivered, st.received);
	/* A duplicate needs a redelivery. */
	EXPECT_LE((uint64_t)dups, st.redelivered);
}

TEST_HARNESS_MAIN
