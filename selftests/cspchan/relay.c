// SPDX-License-Identifier: GPL-2.0
/*
 * Relay channels: on a channel created with CSPCHAN_RELAY a sender may
 * supply each message's seq, pid and sent_ns (CSPCHAN_IOC_SEND with
 * CSPCHAN_XFER_ORIGIN), as a bridge does when it restores messages that
 * come from a channel on another machine.  The message carries them
 * instead of the kernel's stamp, through hand-off, offers, leases,
 * redelivery and dead letters; the relayed pid is reported as given in
 * every pid namespace; the channel's own sequence numbers are left alone.
 */
#include "common.h"

#define REQUIRE_RELAY() do {						\
	REQUIRE_CSPCHAN();						\
	REQUIRE_FEATURE(CSPCHAN_FEAT_RELAY, "relay channels");		\
} while (0)

#define MSZ		32	/* msg_size of the channels below */

/* The origin every test relays: nothing the kernel would stamp itself. */
#define O_SEQ		1000003ULL
#define O_SENT_NS	123456789ULL
#define O_PID		424242U

/* ---- helpers ------------------------------------------------------------- */

/* A relay channel (plus @flags) of MSZ-byte messages; -errno on failure. */
static int relay_chan(unsigned int capacity, unsigned int flags)
{
	return chan_new_flags(capacity, MSZ, CSPCHAN_RELAY | flags, 0);
}

/* The xfer of a send of @msg with the origin (O_SEQ + @k, ...). */
static void origin_xfer(struct cspchan_xfer *x, const char *msg, uint64_t k)
{
	memset(x, 0, sizeof(*x));
	x->buf = (uintptr_t)msg;
	x->len = (uint32_t)strlen(msg);
	x->flags = CSPCHAN_XFER_ORIGIN;
	x->timeout_ns = MS_NS(WAIT_MS);
	x->seq = O_SEQ + k;
	x->sent_ns = O_SENT_NS + k;
	x->pid = O_PID + (uint32_t)k;
}

static long xfer_ioctl(int ch, unsigned long cmd, struct cspchan_xfer *x)
{
	long r = ioctl(ch, cmd, x);

	return r < 0 ? -errno : r;
}

/* Relay @msg with the origin (O_SEQ + @k, ...): length or -errno. */
static long relay_k(int ch, const char *msg, uint64_t k)
{
	struct cspchan_xfer x;

	origin_xfer(&x, msg, k);
	return xfer_ioctl(ch, CSPCHAN_IOC_SEND, &x);
}

/* Did @info come with the origin (O_SEQ + @k, ...)? */
static bool has_origin(const struct cspchan_msginfo *info, uint64_t k)
{
	return info->seq == O_SEQ + k && info->sent_ns == O_SENT_NS + k &&
	       (uint32_t)info->pid == O_PID + (uint32_t)k;
}

/* Receive one message with its metadata into @buf (NUL-terminated). */
static ssize_t recv_info(int ch, char *buf, size_t size,
			 struct cspchan_msginfo *info)
{
	ssize_t n = cspchan_recvmsg(ch, buf, size - 1, info);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static uint32_t info_flags(int ch)
{
	struct cspchan_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(ch, CSPCHAN_IOC_STAT, &info))
		return UINT32_MAX;
	return info.flags;
}

/* ---- the clauses ---------------------------------------------------------- */

/* The message carries seq, pid and sent_ns exactly as they were given. */
TEST(origin_received_exactly)
{
	struct cspchan_msginfo info;
	char buf[MSZ];
	int ch;

	REQUIRE_RELAY();
	ASSERT_FD(ch, relay_chan(4, 0));
	ASSERT_EQ(5, relay_k(ch, "hello", 0));
	ASSERT_EQ(5, recv_info(ch, buf, sizeof(buf), &info));
	EXPECT_STREQ("hello", buf);
	EXPECT_EQ(O_SEQ, info.seq);
	EXPECT_EQ(O_SENT_NS, info.sent_ns);
	EXPECT_EQ(O_PID, (uint32_t)info.pid);
	EXPECT_EQ(1U, info.deliveries);
	EXPECT_EQ(1U, figures(ch).sent);
	close(ch);
}

/* A message above the size copied under the lock keeps its origin too. */
TEST(large_message_keeps_origin)
{
	struct cspchan_msginfo info;
	static char msg[2049], buf[4096];
	int ch;

	REQUIRE_RELAY();
	ASSERT_FD(ch, chan_new_flags(2, sizeof(buf), CSPCHAN_RELAY, 0));
	memset(msg, 'x', sizeof(msg) - 1);
	ASSERT_EQ(2048, relay_k(ch, msg, 9));
	ASSERT_EQ(2048, cspchan_recvmsg(ch, buf, sizeof(buf), &info));
	EXPECT_EQ(0, memcmp(buf, msg, 2048));
	EXPECT_TRUE(has_origin(&info, 9));
	close(ch);
}

/* Without CSPCHAN_RELAY: EINVAL, nothing queued, no sequence number used. */
TEST(origin_without_relay_einval)
{
	struct cspchan_msginfo info;
	struct cspchan_stat st;
	char buf[MSZ];
	int ch;

	REQUIRE_RELAY();
	ASSERT_FD(ch, chan_new(4, MSZ));
	EXPECT_EQ(-EINVAL, relay_k(ch, "nope", 0));
	EXPECT_EQ(-EINVAL, cspchan_relay(ch, "nope", 4,
					 &(struct cspchan_msginfo){ .seq = 5 }));
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(0U, st.depth);
	EXPECT_EQ(0U, st.sent);
	ASSERT_EQ(5, send_str(ch, "plain"));
	ASSERT_EQ(5, recv_info(ch, buf, sizeof(buf), &info));
	EXPECT_STREQ("plain", buf);
	EXPECT_EQ(0U, info.seq);
	EXPECT_EQ(getpid(), info.pid);
	close(ch);
}

/* A plain send on a relay channel is stamped, from the channel's own counter. */
TEST(plain_send_stamped_by_kernel)
{
	struct cspchan_msginfo info;
	uint64_t before, after;
	char buf[MSZ];
	int ch;

	REQUIRE_RELAY();
	ASSERT_FD(ch, relay_chan(8, 0));
	ASSERT_EQ(2, relay_k(ch, "r0", 0));
	before = now_ns();
	ASSERT_EQ(2, send_str(ch, "p0"));
	after = now_ns();
	ASSERT_EQ(2, relay_k(ch, "r1", 1));
	ASSERT_EQ(2, send_str(ch, "p1"));

	ASSERT_EQ(2, recv_info(ch, buf, sizeof(buf), &info));
	EXPECT_STREQ("r0", buf);
	EXPECT_TRUE(has_origin(&info, 0));
	ASSERT_EQ(2, recv_info(ch, buf, sizeof(buf), &info));
	EXPECT_STREQ("p0", buf);
	EXPECT_EQ(0U, info.seq);	/* relayed seqs did not advance it */
	EXPECT_EQ(getpid(), info.pid);
	EXPECT_LE(before, info.sent_ns);
	EXPECT_GE(after, info.sent_ns);
	ASSERT_EQ(2, recv_info(ch, buf, sizeof(buf), &info));
	EXPECT_TRUE(has_origin(&info, 1));
	ASSERT_EQ(2, recv_info(ch, buf, sizeof(buf), &info));
	EXPECT_STREQ("p1", buf);
	EXPECT_EQ(1U, info.seq);
	EXPECT_EQ(getpid(), info.pid);
	EXPECT_EQ(4U, figures(ch).sent);
	close(ch);
}

/* Another process receives the relayed pid as it was given. */
TEST(relayed_pid_verbatim_to_other_process)
{
	pid_t child;
	int ch;

	REQUIRE_RELAY();
	ASSERT_FD(ch, relay_chan(4, 0));
	ASSERT_FORKED(child, fork_child());
	if (child == 0) {
		struct cspchan_msginfo info;
		char buf[MSZ];

		CHILD_ASSERT(recv_info(ch, buf, sizeof(buf), &info) == 1);
		CHILD_ASSERT(has_origin(&info, 3));
		CHILD_ASSERT(recv_info(ch, buf, sizeof(buf), &info) == 1);
		CHILD_ASSERT(info.pid == getppid());
		_exit(0);
	}
	ASSERT_EQ(1, relay_k(ch, "r", 3));
	ASSERT_EQ(1, send_str(ch, "p"));
	EXPECT_EQ(0, child_wait(child, WAIT_MS));
	close(ch);
}

/*
 * A receiver in a child pid namespace sees the relayed pid untranslated,
 * while a plain message from outside its namespace reports pid 0.
 */
TEST(relayed_pid_verbatim_in_child_pid_namespace)
{
	pid_t child;
	int ch;

	REQUIRE_RELAY();
	ASSERT_FD(ch, relay_chan(4, 0));
	if (unshare(CLONE_NEWPID))
		SKIP(return, "unshare(CLONE_NEWPID): %s", strerror(errno));
	ASSERT_FORKED(child, fork_child());
	if (child == 0) {
		struct cspchan_msginfo info;
		char buf[MSZ];

		CHILD_ASSERT(getpid() == 1);
		CHILD_ASSERT(recv_info(ch, buf, sizeof(buf), &info) == 1);
		CHILD_ASSERT(has_origin(&info, 4));
		CHILD_ASSERT(recv_info(ch, buf, sizeof(buf), &info) == 1);
		CHILD_ASSERT(info.pid == 0);	/* the parent is not in our ns */
		_exit(0);
	}
	ASSERT_EQ(1, relay_k(ch, "r", 4));
	ASSERT_EQ(1, send_str(ch, "p"));
	EXPECT_EQ(0, child_wait(child, WAIT_MS));
	close(ch);
}

/*
 * Unbuffered: a relayed offer taken later, and a relayed message handed to
 * a parked receiver, both keep their origin; neither moves the counter.
 */
TEST(unbuffered_rendezvous_keeps_origin)
{
	struct cspchan_msginfo info;
	struct cspchan_xfer x;
	char buf[MSZ];
	pid_t child;
	int ch;

	REQUIRE_RELAY();
	ASSERT_FD(ch, relay_chan(0, 0));
	/* Nobody to take it, and not waiting: not sent, nothing counted. */
	origin_xfer(&x, "now", 0);
	x.timeout_ns = 0;
	EXPECT_EQ(-EAGAIN, xfer_ioctl(ch, CSPCHAN_IOC_SEND, &x));

	/* The sender parks its offer first. */
	ASSERT_FORKED(child, fork_child());
	if (child == 0) {
		CHILD_ASSERT(relay_k(ch, "offer", 5) == 5);
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));
	ASSERT_EQ(5, recv_info(ch, buf, sizeof(buf), &info));
	EXPECT_STREQ("offer", buf);
	EXPECT_TRUE(has_origin(&info, 5));
	EXPECT_EQ(0, child_wait(child, WAIT_MS));

	/* The receiver parks first: the message is handed over. */
	ASSERT_FORKED(child, fork_child());
	if (child == 0) {
		CHILD_ASSERT(recv_info(ch, buf, sizeof(buf), &info) == 4);
		CHILD_ASSERT(strcmp(buf, "hand") == 0);
		CHILD_ASSERT(has_origin(&info, 6));
		CHILD_ASSERT(recv_info(ch, buf, sizeof(buf), &info) == 5);
		CHILD_ASSERT(info.seq == 0 && info.pid == getppid());
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 1));
	ASSERT_EQ(4, relay_k(ch, "hand", 6));
	ASSERT_EQ(5, send_str(ch, "plain"));
	EXPECT_EQ(0, child_wait(child, WAIT_MS));
	EXPECT_EQ(3U, figures(ch).sent);
	close(ch);
}

/*
 * Lease channel: a nacked relayed message comes back first (ahead of a
 * plain message with a lower seq) with its origin, delivered twice.
 */
TEST(lease_nack_redelivery_keeps_origin)
{
	struct cspchan_msginfo first, again, info;
	char buf[MSZ];
	int ch;

	REQUIRE_RELAY();
	REQUIRE_FEATURE(CSPCHAN_FEAT_LEASE, "leases");
	ASSERT_FD(ch, relay_chan(4, CSPCHAN_LEASE));
	ASSERT_EQ(1, relay_k(ch, "r", 7));
	ASSERT_EQ(1, send_str(ch, "p"));
	ASSERT_EQ(1, recv_info(ch, buf, sizeof(buf), &first));
	EXPECT_TRUE(has_origin(&first, 7));
	ASSERT_NE(0U, first.lease);
	ASSERT_EQ(0, cspchan_nack(ch, first.lease));

	ASSERT_EQ(1, recv_info(ch, buf, sizeof(buf), &again));
	EXPECT_STREQ("r", buf);
	EXPECT_TRUE(has_origin(&again, 7));
	EXPECT_EQ(2U, again.deliveries);
	ASSERT_EQ(0, cspchan_ack(ch, again.lease));
	ASSERT_EQ(1, recv_info(ch, buf, sizeof(buf), &info));
	EXPECT_STREQ("p", buf);
	EXPECT_EQ(0U, info.seq);
	EXPECT_EQ(getpid(), info.pid);
	ASSERT_EQ(0, cspchan_ack(ch, info.lease));
	close(ch);
}

/* Leases returned together go back in the order they were sent, not by seq. */
TEST(released_leases_return_in_channel_order)
{
	struct cspchan_msginfo info;
	struct cspchan_attr attr;
	char buf[MSZ];
	int ch, h;

	REQUIRE_RELAY();
	REQUIRE_FEATURE(CSPCHAN_FEAT_LEASE, "leases");
	attr_init(&attr, 4, MSZ, CSPCHAN_RELAY | CSPCHAN_LEASE);
	ASSERT_FD(ch, named_handles("relay", &attr, &h, 1));
	ASSERT_EQ(1, relay_k(ch, "a", 20));	/* relayed seq far above... */
	ASSERT_EQ(1, send_str(ch, "b"));	/* ...this one's 0 */
	ASSERT_EQ(1, relay_k(ch, "c", 10));
	ASSERT_EQ(1, recv_info(h, buf, sizeof(buf), &info));
	ASSERT_EQ(1, recv_info(h, buf, sizeof(buf), &info));
	ASSERT_EQ(1, recv_info(h, buf, sizeof(buf), &info));
	close(h);			/* all three come back */
	EXPECT_EQ(3U, figures(ch).depth);
	ASSERT_EQ(1, recv_info(ch, buf, sizeof(buf), &info));
	EXPECT_STREQ("a", buf);
	EXPECT_TRUE(has_origin(&info, 20));
	ASSERT_EQ(1, recv_info(ch, buf, sizeof(buf), &info));
	EXPECT_STREQ("b", buf);
	EXPECT_EQ(0U, info.seq);
	ASSERT_EQ(1, recv_info(ch, buf, sizeof(buf), &info));
	EXPECT_STREQ("c", buf);
	EXPECT_TRUE(has_origin(&info, 10));
	close(ch);
}

/* After max_deliveries the dead letter keeps the relayed seq, pid and sent_ns. */
TEST(max_deliveries_dead_letter_keeps_origin)
{
	struct cspchan_msginfo info;
	struct cspchan_attr attr;
	char buf[MSZ];
	int ch, dlq;

	REQUIRE_RELAY();
	REQUIRE_FEATURE(CSPCHAN_FEAT_LEASE, "leases");
	attr_init(&attr, 4, MSZ, CSPCHAN_RELAY | CSPCHAN_LEASE);
	attr.max_deliveries = 1;
	ASSERT_FD(ch, cspchan_create(NULL, &attr, 0));
	ASSERT_FD(dlq, chan_new(4, MSZ));
	ASSERT_EQ(0, cspchan_set_deadletter(ch, dlq));
	ASSERT_EQ(4, relay_k(ch, "dead", 8));
	ASSERT_EQ(4, recv_info(ch, buf, sizeof(buf), &info));
	ASSERT_EQ(0, cspchan_nack(ch, info.lease));
	EXPECT_EQ(1U, figures(ch).dead);
	EXPECT_EQ(1U, figures(dlq).depth);

	ASSERT_EQ(4, recv_info(dlq, buf, sizeof(buf), &info));
	EXPECT_STREQ("dead", buf);
	EXPECT_TRUE(has_origin(&info, 8));
	/* The dead-letter channel's own counter is untouched. */
	ASSERT_EQ(1, send_str(dlq, "p"));
	ASSERT_EQ(1, recv_info(dlq, buf, sizeof(buf), &info));
	EXPECT_EQ(0U, info.seq);
	EXPECT_EQ(getpid(), info.pid);
	close(dlq);
	close(ch);
}

/* A zero-copy TAKE reports the relayed origin too. */
TEST(take_reports_origin)
{
	struct cspchan_slot_info si;
	int ch;

	REQUIRE_RELAY();
	ASSERT_FD(ch, relay_chan(4, 0));
	ASSERT_EQ(3, relay_k(ch, "zc!", 11));
	ASSERT_EQ(3, cspchan_take(ch, &si, WAIT_MS));
	EXPECT_EQ(O_SEQ + 11, si.seq);
	EXPECT_EQ(O_SENT_NS + 11, si.sent_ns);
	EXPECT_EQ(O_PID + 11, si.pid);
	ASSERT_EQ(0, cspchan_release(ch, si.slot));
	close(ch);
}

/* Relayed with a reply channel attached: both arrive. */
TEST(relay_with_reply_attach)
{
	struct cspchan_msginfo info;
	struct cspchan_xfer x;
	char buf[MSZ];
	int ch, reply;

	REQUIRE_RELAY();
	REQUIRE_FEATURE(CSPCHAN_FEAT_REPLY, "reply channels");
	ASSERT_FD(ch, relay_chan(4, 0));
	ASSERT_FD(reply, chan_new_flags(1, MSZ, CSPCHAN_REPLY, 0));
	origin_xfer(&x, "req", 12);
	x.flags |= CSPCHAN_XFER_ATTACH;
	x.fd = reply;
	ASSERT_EQ(3, xfer_ioctl(ch, CSPCHAN_IOC_SEND, &x));
	ASSERT_EQ(3, recv_info(ch, buf, sizeof(buf), &info));
	EXPECT_TRUE(has_origin(&info, 12));
	ASSERT_LE(0, info.fd);
	ASSERT_EQ(3, send_str(info.fd, "ans"));
	EXPECT_EQ(3, recv_str(reply, buf, sizeof(buf)));
	close(info.fd);
	close(reply);
	close(ch);
}

/* CSPCHAN_IOC_STAT shows CSPCHAN_INFO_RELAY, only on relay channels. */
TEST(stat_info_flags_relay)
{
	int ch, plain;

	REQUIRE_RELAY();
	ASSERT_FD(ch, relay_chan(1, CSPCHAN_AUTOCLOSE));
	ASSERT_FD(plain, chan_new(1, MSZ));
	EXPECT_EQ(CSPCHAN_INFO_RELAY | CSPCHAN_INFO_AUTOCLOSE,
		  info_flags(ch) & (CSPCHAN_INFO_RELAY | CSPCHAN_INFO_AUTOCLOSE));
	EXPECT_EQ(0U, info_flags(plain) & CSPCHAN_INFO_RELAY);
	close(plain);
	close(ch);
}

/* CSPCHAN_FEAT_RELAY is advertised, and CSPCHAN_RELAY is a create flag. */
TEST(feature_advertised)
{
	struct cspchan_features f;
	int ch;

	REQUIRE_CSPCHAN();
	ASSERT_EQ(0, cspchan_features(&f));
	EXPECT_NE(0ULL, f.features & CSPCHAN_FEAT_RELAY);
	EXPECT_NE(0U, CSPCHAN_CREATE_FLAGS & CSPCHAN_RELAY);
	ASSERT_FD(ch, relay_chan(1, CSPCHAN_REPLY | CSPCHAN_LEASE));
	close(ch);
	EXPECT_EQ(-EINVAL, chan_new_flags(1, MSZ, CSPCHAN_RELAY << 1, 0));
}

/* XFER_ORIGIN does not excuse a non-zero reserved field; nothing is sent. */
TEST(origin_reserved_nonzero_einval)
{
	struct cspchan_xfer x;
	int ch;

	REQUIRE_RELAY();
	ASSERT_FD(ch, relay_chan(4, 0));
	origin_xfer(&x, "bad", 0);
	x.reserved0 = 1;
	EXPECT_EQ(-EINVAL, xfer_ioctl(ch, CSPCHAN_IOC_SEND, &x));
	origin_xfer(&x, "bad", 0);
	x.flags |= 1U << 31;
	EXPECT_EQ(-EINVAL, xfer_ioctl(ch, CSPCHAN_IOC_SEND, &x));
	EXPECT_EQ(0U, figures(ch).depth);
	EXPECT_EQ(0U, figures(ch).sent);
	close(ch);
}

/* XFER_ORIGIN is no receive flag: EINVAL, and the message stays. */
TEST(origin_as_recv_flag_einval)
{
	struct cspchan_xfer x;
	char buf[MSZ];
	int ch;

	REQUIRE_RELAY();
	ASSERT_FD(ch, relay_chan(4, 0));
	ASSERT_EQ(1, send_str(ch, "m"));
	memset(&x, 0, sizeof(x));
	x.buf = (uintptr_t)buf;
	x.len = sizeof(buf);
	x.flags = CSPCHAN_XFER_ORIGIN;
	x.timeout_ns = 0;
	EXPECT_EQ(-EINVAL, xfer_ioctl(ch, CSPCHAN_IOC_RECV, &x));
	EXPECT_EQ(1U, figures(ch).depth);
	close(ch);
}

/* The library: cspchan_relay() and back with cspchan_recvmsg(). */
TEST(library_relay_round_trip)
{
	struct cspchan_msginfo origin, info;
	static char big[MSZ + 1];
	char buf[MSZ];
	int ch;

	REQUIRE_RELAY();
	ASSERT_FD(ch, relay_chan(4, 0));
	memset(&origin, 0, sizeof(origin));
	origin.seq = O_SEQ + 13;
	origin.sent_ns = O_SENT_NS + 13;
	origin.pid = (pid_t)(O_PID + 13);
	ASSERT_EQ(6, cspchan_relay(ch, "viaLib", 6, &origin));
	ASSERT_EQ(6, recv_info(ch, buf, sizeof(buf), &info));
	EXPECT_STREQ("viaLib", buf);
	EXPECT_TRUE(has_origin(&info, 13));
	EXPECT_EQ(-EINVAL, cspchan_relay(ch, "x", 1, NULL));
	EXPECT_EQ(-EMSGSIZE, cspchan_relay(ch, big, sizeof(big), &origin));
	EXPECT_EQ(0U, figures(ch).depth);
	close(ch);
}

TEST_HARNESS_MAIN
