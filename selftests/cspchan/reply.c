// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 12, reply channels: a channel created with CSPCHAN_REPLY travels
 * inside a message of another channel (cspchan_sendmsg); cspchan_recvmsg
 * installs a new send-only, close-on-exec descriptor of it (info.fd), and
 * every other receive drops it.  A reply channel shuts down when its last
 * receive-capable handle goes, and, once it travelled, when no message
 * carries it and no travelled handle is open; a lease channel keeps the
 * attachment for redelivery.  cspchan_call() is request/response over
 * one: the reply, -ETIMEDOUT (the timeout covers the whole call), or
 * -ECONNRESET when the request was dropped.  Then a pool of servers
 * answers concurrent clients.
 *
 * The kernel drops references through a work item, so "at once" is
 * checked as "within a second" (PROMPT_MS), well under the timeouts used.
 */
#include "common.h"

#define REQUIRE_REPLY() do {						\
	REQUIRE_CSPCHAN();						\
	REQUIRE_FEATURE(CSPCHAN_FEAT_REPLY, "reply channels");		\
} while (0)

#define REQUIRE_REPLY_LEASE() do {					\
	REQUIRE_REPLY();						\
	REQUIRE_FEATURE(CSPCHAN_FEAT_LEASE, "leases");			\
} while (0)

#define MSZ		64	/* msg_size of the channels below */
#define PROMPT_MS	1000U	/* "at once": a work item in a slow guest */
#define CALL_MS		10000	/* a call's timeout where none should expire */

/* ---- helpers ------------------------------------------------------------- */

/* An anonymous reply channel (capacity 1); -errno on failure. */
static int reply_chan(void)
{
	return chan_new_flags(1, MSZ, CSPCHAN_REPLY, 0);
}

/*
 * Receive on @ch for at most @timeout_ms; *@ms is the time it took.
 * Returns what the library returns (0: end of stream).
 */
static ssize_t recv_timed(int ch, char *buf, size_t size, int timeout_ms,
			  uint64_t *ms)
{
	uint64_t start = now_ns();
	ssize_t n = recv_str_timeout(ch, buf, size, timeout_ms);

	*ms = ms_since(start);
	return n;
}

/*
 * cspchan_call() of the one-byte request "q" on @ch, a reply of up to MSZ
 * bytes into @reply, for at most @timeout_ms; *@ms is the time it took.
 * Returns what the library returns, errno as it left it.
 */
static ssize_t call_timed(int ch, char *reply, int timeout_ms, uint64_t *ms)
{
	uint64_t start = now_ns();
	ssize_t n = cspchan_call(ch, "q", 1, reply, MSZ, timeout_ms);
	int err = errno;

	*ms = ms_since(start);
	errno = err;
	return n;
}

/* True if a receive on @ch would block: it is neither shut nor holding a message. */
static bool still_open(int ch)
{
	char buf[MSZ + 1];

	return recv_str_timeout(ch, buf, sizeof(buf), 0) == -EAGAIN &&
	       figures(ch).shut == 0;
}

/* What a child saw, in memory shared with the parent. */
struct report {
	int done;		/* the child got its request */
	int go;			/* the parent lets it go on */
	long result;		/* the child's receive */
	long result2;		/* what it did next (its reply, ...) */
	int fd;			/* info.fd */
	uint64_t seq;
	uint32_t deliveries;
	uint64_t id;		/* the reply channel's id, seen through info.fd */
	uint32_t rcap;		/* its capacity, msg_size and CSPCHAN_INFO_* */
	uint32_t rmsg;
	uint32_t rflags;
	char buf[MSZ + 1];
};

static struct report *report_new(void)
{
	struct report *rep = shared_alloc(sizeof(*rep));

	if (rep)
		memset(rep, 0, sizeof(*rep));
	return rep;
}

/* Wait (in a child) until the parent sets rep->go. */
static void child_wait_go(struct report *rep)
{
	while (!__atomic_load_n(&rep->go, __ATOMIC_SEQ_CST))
		msleep(1);
}

/*
 * A server child: one cspchan_recvmsg() on @h, reported, and then per @act:
 *  'r'	reply "re:<request>" (and ack a lease), close the descriptor, exit
 *  'c'	close the descriptor without a reply, exit
 *  'k'	die of SIGKILL, the descriptor still open
 *  'w'	wait for rep->go, reply, report the reply's result, exit
 *  'p'	wait to be killed (pause)
 * Exits 0 unless a CHILD_ASSERT fails.
 */
static pid_t server_child(int h, char act, struct report *rep)
{
	struct cspchan_msginfo info;
	struct cspchan_info ci;
	char out[MSZ + 8];
	pid_t pid;
	int n;

	pid = fork_child();
	if (pid != 0)
		return pid;
	rep->result = cspchan_recvmsg(h, rep->buf, MSZ, &info);
	CHILD_ASSERT(rep->result > 0);
	rep->buf[rep->result] = '\0';
	rep->fd = info.fd;
	rep->seq = info.seq;
	rep->deliveries = info.deliveries;
	if (info.fd >= 0 && chan_info(info.fd, &ci) == 0) {
		rep->id = ci.id;
		rep->rcap = ci.capacity;
		rep->rmsg = ci.msg_size;
		rep->rflags = ci.flags;
	}
	__atomic_store_n(&rep->done, 1, __ATOMIC_SEQ_CST);
	switch (act) {
	case 'k':
		raise(SIGKILL);
		break;
	case 'p':
		for (;;)
			pause();
	case 'w':
		child_wait_go(rep);
		break;
	}
	if (act == 'c') {
		close(info.fd);
		_exit(0);
	}
	n = snprintf(out, sizeof(out), "re:%s", rep->buf);
	rep->result2 = cspchan_send(info.fd, out, (size_t)n);
	if (act == 'r')
		CHILD_ASSERT(rep->result2 == n);
	if (info.lease)
		CHILD_ASSERT(cspchan_ack(h, info.lease) == 0);
	close(info.fd);
	_exit(0);
}

/*
 * A named lease channel with @nh more handles of its own (each its own
 * open file description, so that a child holding leases on one dies with
 * them): returns the creator's handle; the name is unlinked again.
 */
static int lease_handles(unsigned int capacity, int *hs, unsigned int nh)
{
	struct cspchan_attr attr;

	attr_init(&attr, capacity, MSZ, CSPCHAN_LEASE);
	return named_handles("reply-lease", &attr, hs, nh);
}

/* Every figure an error must leave alone. */
#define EXPECT_NOTHING_QUEUED(ch) do {					\
	EXPECT_EQ(0U, figures(ch).depth);				\
	EXPECT_EQ(0U, figures(ch).sent);				\
} while (0)

/* In a test: @ch = a plain channel of capacity 4, @r = a reply channel; asserted. */
#define CHAN_AND_REPLY(ch, r) do {					\
	ASSERT_FD(ch, chan_new(4, MSZ));				\
	ASSERT_FD(r, reply_chan());					\
} while (0)

/*
 * In a test: @msg (@len bytes) sent on @ch carrying reply channel @r, and
 * received with cspchan_recvmsg() into @buf and @info: info.fd is the
 * descriptor that travelled.
 */
#define SEND_AND_RECEIVE_REPLY(ch, msg, len, r, buf, info) do {		\
	ASSERT_EQ(len, cspchan_sendmsg(ch, msg, len, r));		\
	ASSERT_EQ(len, cspchan_recvmsg(ch, buf, MSZ, &(info)));		\
	ASSERT_LE(0, (info).fd);					\
} while (0)

/* A receive on @r into the array @buf sees end of stream within PROMPT_MS. */
#define EXPECT_END_OF_STREAM_PROMPTLY(r, buf) do {			\
	uint64_t ms_;							\
									\
	EXPECT_EQ(0, recv_timed(r, buf, sizeof(buf), WAIT_MS, &ms_));	\
	EXPECT_GT(PROMPT_MS, ms_);					\
} while (0)

/* In a test: @rep = report_new(), @pid = server_child(@ch, @act, @rep); asserted. */
#define START_SERVER(pid, ch, act, rep) do {				\
	ASSERT_ALLOC(rep, report_new());				\
	ASSERT_FORKED(pid, server_child(ch, act, rep));			\
} while (0)

/* ---- cspchan_sendmsg: what may be attached ------------------------------ */

/* SPEC 12: a channel created without CSPCHAN_REPLY cannot travel: EINVAL. */
TEST(sendmsg_plain_channel_as_reply_einval)
{
	int ch, plain;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(4, MSZ));
	ASSERT_FD(plain, chan_new(1, MSZ));
	EXPECT_EQ(-EINVAL, cspchan_sendmsg(ch, "q", 1, plain));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_NOTHING_QUEUED(ch);
	/* A lease channel is no reply channel either. */
	close(plain);
	ASSERT_FD(plain, chan_new_flags(1, MSZ, CSPCHAN_LEASE, 0));
	EXPECT_EQ(-EINVAL, cspchan_sendmsg(ch, "q", 1, plain));
	EXPECT_NOTHING_QUEUED(ch);
	close(plain);
	close(ch);
}

/* SPEC 12: a descriptor that is no channel: EBADF, nothing sent. */
TEST(sendmsg_pipe_as_reply_ebadf)
{
	int ch, p[2];

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(4, MSZ));
	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-EBADF, cspchan_sendmsg(ch, "q", 1, p[0]));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, cspchan_sendmsg(ch, "q", 1, p[1]));
	/* The control device is no channel handle either. */
	p[0] = open(CSPCHAN_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, p[0]);
	EXPECT_EQ(-EBADF, cspchan_sendmsg(ch, "q", 1, p[0]));
	EXPECT_NOTHING_QUEUED(ch);
	close(p[0]);
	close(p[1]);
	close(ch);
}

/* SPEC 12: a closed descriptor, or a negative one other than -1: EBADF. */
TEST(sendmsg_closed_fd_as_reply_ebadf)
{
	int ch, r;

	REQUIRE_REPLY();
	CHAN_AND_REPLY(ch, r);
	ASSERT_EQ(0, close(r));
	EXPECT_EQ(-EBADF, cspchan_sendmsg(ch, "q", 1, r));
	EXPECT_EQ(-EBADF, cspchan_sendmsg(ch, "q", 1, -2));
	EXPECT_EQ(-EBADF, cspchan_sendmsg(ch, "q", 1, INT32_MIN));
	EXPECT_NOTHING_QUEUED(ch);
	close(ch);
}

/*
 * SPEC 12: a reply channel's own messages carry none (no cycles): EINVAL,
 * itself included; plain messages on it work.
 */
TEST(sendmsg_attach_to_reply_channel_einval)
{
	char buf[MSZ + 1];
	int r1, r2;

	REQUIRE_REPLY();
	ASSERT_FD(r1, chan_new_flags(4, MSZ, CSPCHAN_REPLY, 0));
	ASSERT_FD(r2, reply_chan());
	EXPECT_EQ(-EINVAL, cspchan_sendmsg(r1, "q", 1, r2));
	EXPECT_EQ(-EINVAL, cspchan_sendmsg(r1, "q", 1, r1));
	EXPECT_NOTHING_QUEUED(r1);
	EXPECT_NOTHING_QUEUED(r2);
	EXPECT_EQ(0, figures(r2).shut);
	/* Without an attachment it is an ordinary channel. */
	EXPECT_EQ(2, cspchan_sendmsg(r1, "ok", 2, -1));
	EXPECT_EQ(2, recv_str(r1, buf, sizeof(buf)));
	EXPECT_STREQ("ok", buf);
	close(r1);
	close(r2);
}

/* SPEC 12: an error leaves the reply channel as it was: a later attach works. */
TEST(failed_attach_leaves_reply_channel_usable)
{
	struct cspchan_msginfo info;
	char buf[MSZ + 1];
	int ch, r, big;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(1, 8));
	ASSERT_FD(r, reply_chan());
	/* Too long for ch: EMSGSIZE, the attachment let go. */
	big = 9;
	EXPECT_EQ(-EMSGSIZE, cspchan_sendmsg(ch, "123456789", (size_t)big, r));
	/* Full: EAGAIN. */
	EXPECT_EQ(1, cspchan_send(ch, "x", 1));
	EXPECT_EQ(0, fcntl(ch, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, cspchan_sendmsg(ch, "q", 1, r));
	EXPECT_EQ(0, fcntl(ch, F_SETFL, 0));
	EXPECT_EQ(1U, figures(ch).depth);
	msleep(SETTLE_MS);
	/* Never travelled: the failed sends did not shut it. */
	EXPECT_TRUE(still_open(r));
	EXPECT_EQ(1, recv_str(ch, buf, sizeof(buf)));
	EXPECT_EQ(1, cspchan_sendmsg(ch, "q", 1, r));
	ASSERT_EQ(1, cspchan_recvmsg(ch, buf, MSZ, &info));
	ASSERT_LE(0, info.fd);
	EXPECT_EQ(2, cspchan_send(info.fd, "ok", 2));
	EXPECT_EQ(2, recv_str(r, buf, sizeof(buf)));
	close(info.fd);
	close(r);
	close(ch);
}

/* SPEC 12: reply_fd -1 attaches nothing: cspchan_sendmsg is cspchan_send. */
TEST(sendmsg_without_reply_is_send)
{
	struct cspchan_msginfo info;
	char buf[MSZ + 1];
	int ch;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(4, MSZ));
	EXPECT_EQ(3, cspchan_sendmsg(ch, "abc", 3, -1));
	EXPECT_EQ(3, sys_send(ch, "def", 3));
	EXPECT_EQ(2U, figures(ch).depth);
	memset(&info, 0x55, sizeof(info));
	ASSERT_EQ(3, cspchan_recvmsg(ch, buf, MSZ, &info));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	EXPECT_EQ(-1, info.fd);
	EXPECT_EQ(0U, info.seq);
	EXPECT_EQ(getpid(), info.pid);
	memset(&info, 0x55, sizeof(info));
	ASSERT_EQ(3, cspchan_recvmsg(ch, buf, MSZ, &info));
	EXPECT_EQ(0, memcmp(buf, "def", 3));
	EXPECT_EQ(-1, info.fd);
	/* Blocking like cspchan_send: a full channel holds it. */
	close(ch);
	ASSERT_FD(ch, chan_new(1, MSZ));
	EXPECT_EQ(1, cspchan_sendmsg(ch, "a", 1, -1));
	EXPECT_EQ(0, fcntl(ch, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, cspchan_sendmsg(ch, "b", 1, -1));
	close(ch);
}

/* ---- cspchan_recvmsg: the installed descriptor --------------------------- */

/*
 * SPEC 12: recvmsg installs a new descriptor: another number, close-on-
 * exec, send-only (receiving on it fails with EBADF, mapping it with
 * EACCES), its own open file description; what is sent on it reaches the
 * caller.
 */
TEST(recvmsg_installs_send_only_cloexec_descriptor)
{
	struct cspchan_msginfo info;
	char buf[MSZ + 1];
	int ch, r, fl;
	void *p;

	REQUIRE_REPLY();
	CHAN_AND_REPLY(ch, r);
	ASSERT_EQ(3, cspchan_sendmsg(ch, "req", 3, r));
	EXPECT_EQ(1U, figures(ch).depth);
	info.fd = -7;
	ASSERT_EQ(3, cspchan_recvmsg(ch, buf, MSZ, &info));
	ASSERT_LE(0, info.fd);
	EXPECT_NE(r, info.fd);
	EXPECT_NE(ch, info.fd);
	EXPECT_EQ(figures(r).id, figures(info.fd).id);
	fl = fcntl(info.fd, F_GETFD);
	ASSERT_LE(0, fl);
	EXPECT_TRUE(fl & FD_CLOEXEC);
	fl = fcntl(info.fd, F_GETFL);
	ASSERT_LE(0, fl);
	EXPECT_EQ(O_WRONLY, fl & O_ACCMODE);
	EXPECT_EQ(-EBADF, sys_recv(info.fd, buf, MSZ));
	EXPECT_EQ(-EBADF, cspchan_recv_timeout(info.fd, buf, MSZ, 0));
	EXPECT_EQ(-EBADF, cspchan_recvmsg(info.fd, buf, MSZ, NULL));
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, info.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	/* Its own open file description: O_NONBLOCK on it is not on r. */
	EXPECT_EQ(0, fcntl(info.fd, F_SETFL, O_NONBLOCK));
	EXPECT_FALSE(fcntl(r, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(5, cspchan_send(info.fd, "reply", 5));
	EXPECT_EQ(5, recv_str(r, buf, sizeof(buf)));
	EXPECT_STREQ("reply", buf);
	EXPECT_EQ(0, close(info.fd));
	close(r);
	close(ch);
}

/* SPEC 12: info.fd is -1 for a message that carries nothing, even after one that did. */
TEST(recvmsg_without_attachment_fd_minus_one)
{
	struct cspchan_msginfo info;
	char buf[MSZ + 1];
	int ch, r, n0;

	REQUIRE_REPLY();
	CHAN_AND_REPLY(ch, r);
	ASSERT_EQ(1, cspchan_sendmsg(ch, "a", 1, r));
	ASSERT_EQ(1, send_str(ch, "b"));
	ASSERT_EQ(1, cspchan_recvmsg(ch, buf, MSZ, &info));
	ASSERT_LE(0, info.fd);
	close(info.fd);
	n0 = open_fd_count();
	info.fd = 12345;
	ASSERT_EQ(1, cspchan_recvmsg(ch, buf, MSZ, &info));
	EXPECT_EQ('b', buf[0]);
	EXPECT_EQ(-1, info.fd);
	EXPECT_EQ(n0, open_fd_count());
	/* End of stream: -1 as well. */
	ASSERT_EQ(0, cspchan_shutdown(ch));
	info.fd = 12345;
	EXPECT_EQ(0, cspchan_recvmsg(ch, buf, MSZ, &info));
	EXPECT_EQ(-1, info.fd);
	close(r);
	close(ch);
}

/* SPEC 12: each message carrying a reply channel gives its own descriptor. */
TEST(recvmsg_each_attachment_own_descriptor)
{
	struct cspchan_msginfo i1, i2;
	char buf[MSZ + 1];
	int ch, r;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(4, MSZ));
	ASSERT_FD(r, chan_new_flags(2, MSZ, CSPCHAN_REPLY, 0));
	ASSERT_EQ(1, cspchan_sendmsg(ch, "a", 1, r));
	ASSERT_EQ(1, cspchan_sendmsg(ch, "b", 1, r));
	ASSERT_EQ(1, cspchan_recvmsg(ch, buf, MSZ, &i1));
	ASSERT_EQ(1, cspchan_recvmsg(ch, buf, MSZ, &i2));
	ASSERT_LE(0, i1.fd);
	ASSERT_LE(0, i2.fd);
	EXPECT_NE(i1.fd, i2.fd);
	EXPECT_EQ(1, cspchan_send(i1.fd, "1", 1));
	EXPECT_EQ(1, cspchan_send(i2.fd, "2", 1));
	EXPECT_EQ(1, recv_str(r, buf, sizeof(buf)));
	EXPECT_STREQ("1", buf);
	EXPECT_EQ(1, recv_str(r, buf, sizeof(buf)));
	EXPECT_STREQ("2", buf);
	close(i1.fd);
	close(i2.fd);
	close(r);
	close(ch);
}

/*
 * SPEC 12: a receive that cannot return the reply channel drops it: the
 * caller's receive on it ends (0) at once.
 */
static void drop_by(struct __test_metadata *_metadata, char how)
{
	struct cspchan_slot_info si;
	struct cspchan_case c;
	char buf[MSZ + 1];
	int ch, r, n0;

	CHAN_AND_REPLY(ch, r);
	ASSERT_EQ(3, cspchan_sendmsg(ch, "req", 3, r));
	msleep(SETTLE_MS);
	EXPECT_TRUE(still_open(r)) TH_LOG("shut while a message carries it");
	n0 = open_fd_count();
	switch (how) {
	case 'r':
		EXPECT_EQ(3, sys_recv(ch, buf, MSZ));
		break;
	case 'c':
		EXPECT_EQ(3, cspchan_recv(ch, buf, MSZ));
		break;
	case 'n':
		EXPECT_EQ(3, cspchan_recvmsg(ch, buf, MSZ, NULL));
		break;
	case 's':
		recv_case_init(&c, ch, buf, MSZ);
		EXPECT_EQ(0, cspchan_select(&c, 1, 0));
		EXPECT_EQ(3, c.result);
		break;
	case 't':
		EXPECT_EQ(3, cspchan_take(ch, &si, 0));
		EXPECT_EQ(0, cspchan_release(ch, si.slot));
		break;
	}
	EXPECT_EQ(n0, open_fd_count()) TH_LOG("a descriptor was installed");
	EXPECT_END_OF_STREAM_PROMPTLY(r, buf);
	EXPECT_EQ(1, figures(r).shut);
	/* Shut: a send on it fails with EPIPE. */
	EXPECT_EQ(-EPIPE, cspchan_send(r, "x", 1));
	close(r);
	close(ch);
}

/* TEST(@name): drop_by(@how), where reply channels are supported. */
#define DROP_BY_TEST(name, how)						\
TEST(name)								\
{									\
	REQUIRE_REPLY();						\
	drop_by(_metadata, how);					\
}

DROP_BY_TEST(read_drops_attachment, 'r')
DROP_BY_TEST(recv_drops_attachment, 'c')
/* The library's choice: without info there is nowhere to put the descriptor. */
DROP_BY_TEST(recvmsg_null_info_drops_attachment, 'n')
DROP_BY_TEST(select_drops_attachment, 's')
DROP_BY_TEST(take_release_drops_attachment, 't')

/* ---- when a reply channel shuts down -------------------------------------- */

/* SPEC 12 (ABI): stat reports CSPCHAN_INFO_REPLY, through a travelled handle too. */
TEST(stat_shows_reply_flag)
{
	struct cspchan_msginfo info;
	struct cspchan_info ci;
	char buf[MSZ + 1];
	int ch, r;

	REQUIRE_REPLY();
	CHAN_AND_REPLY(ch, r);
	ASSERT_EQ(0, chan_info(r, &ci));
	EXPECT_TRUE(!!(ci.flags & CSPCHAN_INFO_REPLY));
	EXPECT_FALSE(!!(ci.flags & CSPCHAN_INFO_SHUT));
	ASSERT_EQ(0, chan_info(ch, &ci));
	EXPECT_FALSE(!!(ci.flags & CSPCHAN_INFO_REPLY));
	SEND_AND_RECEIVE_REPLY(ch, "q", 1, r, buf, info);
	ASSERT_EQ(0, chan_info(info.fd, &ci));
	EXPECT_TRUE(!!(ci.flags & CSPCHAN_INFO_REPLY));
	EXPECT_EQ(1U, ci.capacity);
	EXPECT_EQ((unsigned int)MSZ, ci.msg_size);
	close(info.fd);
	close(r);
	close(ch);
}

/*
 * SPEC 12: the caller closed its handle before the server received the
 * request: the request still carries the channel, and the reply fails
 * with EPIPE.
 */
TEST(caller_closed_before_receive_reply_epipe)
{
	struct cspchan_msginfo info;
	char buf[MSZ + 1];
	int ch, r;

	REQUIRE_REPLY();
	CHAN_AND_REPLY(ch, r);
	ASSERT_EQ(1, cspchan_sendmsg(ch, "q", 1, r));
	ASSERT_EQ(0, close(r));
	EXPECT_EQ(1U, figures(ch).depth);
	ASSERT_EQ(1, cspchan_recvmsg(ch, buf, MSZ, &info));
	ASSERT_LE(0, info.fd);
	EXPECT_EQ(1, figures(info.fd).shut);
	EXPECT_EQ(-EPIPE, cspchan_send(info.fd, "re", 2));
	EXPECT_EQ(EPIPE, errno);
	close(info.fd);
	close(ch);
}

/* SPEC 12: the caller closes while the server holds the descriptor: EPIPE at once. */
TEST(caller_closed_after_receive_reply_epipe)
{
	struct cspchan_msginfo info;
	char buf[MSZ + 1];
	int ch, r;

	REQUIRE_REPLY();
	CHAN_AND_REPLY(ch, r);
	SEND_AND_RECEIVE_REPLY(ch, "q", 1, r, buf, info);
	EXPECT_EQ(0, figures(info.fd).shut);
	ASSERT_EQ(0, close(r));
	EXPECT_EQ(1, figures(info.fd).shut);
	EXPECT_EQ(-EPIPE, cspchan_send(info.fd, "re", 2));
	close(info.fd);
	close(ch);
}

/*
 * SPEC 12: "its last receive-capable handle": a named reply channel with a
 * second receive-only handle and a send-only one stays open while the
 * receive-only one is; the send-only one does not count.
 */
TEST(shut_when_last_receive_handle_closed)
{
	struct cspchan_msginfo info;
	char name[CSPCHAN_NAME_MAX];
	char buf[MSZ + 1];
	int ch, r, rd, wr;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(4, MSZ));
	unique_name(name, "reply");
	ASSERT_FD(r, chan_named(name, 2, MSZ, 0600, CSPCHAN_REPLY));
	ASSERT_FD(rd, cspchan_open(name, O_RDONLY));
	ASSERT_FD(wr, cspchan_open(name, O_WRONLY));
	ASSERT_EQ(0, cspchan_unlink(name));
	SEND_AND_RECEIVE_REPLY(ch, "q", 1, r, buf, info);
	ASSERT_EQ(0, close(r));
	EXPECT_EQ(0, figures(wr).shut);
	EXPECT_EQ(2, cspchan_send(info.fd, "re", 2));
	EXPECT_EQ(2, recv_str(rd, buf, sizeof(buf)));
	ASSERT_EQ(0, close(rd));
	EXPECT_EQ(1, figures(wr).shut);
	EXPECT_EQ(-EPIPE, cspchan_send(info.fd, "re", 2));
	EXPECT_EQ(-EPIPE, cspchan_send(wr, "re", 2));
	close(wr);
	close(info.fd);
	close(ch);
}

/*
 * SPEC 12: while a message carries it the reply channel stays open, and
 * the caller still gets the reply later.
 */
TEST(not_shut_while_message_queued)
{
	char buf[MSZ + 1];
	struct report *rep;
	uint64_t ms;
	pid_t pid;
	int ch, r;

	REQUIRE_REPLY();
	ASSERT_ALLOC(rep, report_new());
	CHAN_AND_REPLY(ch, r);
	ASSERT_EQ(3, cspchan_sendmsg(ch, "job", 3, r));
	msleep(3 * SETTLE_MS);
	EXPECT_TRUE(still_open(r));
	EXPECT_EQ(1U, figures(ch).depth);
	ASSERT_FORKED(pid, server_child(ch, 'r', rep));
	EXPECT_EQ(6, recv_timed(r, buf, sizeof(buf), WAIT_MS, &ms));
	EXPECT_STREQ("re:job", buf);
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_LE(0, rep->fd);
	close(r);
	close(ch);
	munmap(rep, sizeof(*rep));
}

/*
 * SPEC 12: every message carrying it counts: a server that closes its
 * descriptor does not end the channel while another request carrying it
 * is queued; dropping that one does.
 */
TEST(shut_when_last_carrying_message_dropped)
{
	struct cspchan_msginfo info;
	char buf[MSZ + 1];
	int ch, r;

	REQUIRE_REPLY();
	CHAN_AND_REPLY(ch, r);
	ASSERT_EQ(1, cspchan_sendmsg(ch, "a", 1, r));
	ASSERT_EQ(1, cspchan_sendmsg(ch, "b", 1, r));
	ASSERT_EQ(1, cspchan_recvmsg(ch, buf, MSZ, &info));
	ASSERT_LE(0, info.fd);
	ASSERT_EQ(0, close(info.fd));
	msleep(SETTLE_MS);
	EXPECT_TRUE(still_open(r)) TH_LOG("shut while the second message carries it");
	EXPECT_EQ(1, sys_recv(ch, buf, MSZ));
	EXPECT_END_OF_STREAM_PROMPTLY(r, buf);
	close(r);
	close(ch);
}

/*
 * SPEC 12: a travelled handle keeps the channel open after the message
 * is gone, dup()s of it included; the last one closing ends it.
 */
TEST(not_shut_while_travelled_handle_open)
{
	struct cspchan_msginfo info;
	char buf[MSZ + 1];
	int ch, r, d;

	REQUIRE_REPLY();
	CHAN_AND_REPLY(ch, r);
	SEND_AND_RECEIVE_REPLY(ch, "a", 1, r, buf, info);
	d = dup(info.fd);
	ASSERT_LE(0, d);
	msleep(SETTLE_MS);
	EXPECT_TRUE(still_open(r));
	ASSERT_EQ(0, close(info.fd));
	msleep(SETTLE_MS);
	EXPECT_TRUE(still_open(r)) TH_LOG("shut while a dup of the travelled handle is open");
	ASSERT_EQ(0, close(d));
	EXPECT_END_OF_STREAM_PROMPTLY(r, buf);
	close(r);
	close(ch);
}

/*
 * SPEC 12 and 3.5: after the reply, the server closing its descriptor
 * ends the stream: the caller reads the reply, then 0.
 */
TEST(end_of_stream_after_reply)
{
	char buf[MSZ + 1];
	struct report *rep;
	pid_t pid;
	int ch, r;

	REQUIRE_REPLY();
	ASSERT_ALLOC(rep, report_new());
	CHAN_AND_REPLY(ch, r);
	ASSERT_FORKED(pid, server_child(ch, 'r', rep));
	ASSERT_EQ(2, cspchan_sendmsg(ch, "hi", 2, r));
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(5, recv_str(r, buf, sizeof(buf)));
	EXPECT_STREQ("re:hi", buf);
	EXPECT_END_OF_STREAM_PROMPTLY(r, buf);
	EXPECT_EQ(0, recv_str_timeout(r, buf, sizeof(buf), 0));
	close(r);
	close(ch);
	munmap(rep, sizeof(*rep));
}

/* SPEC 12: a reply channel that never travelled is an ordinary channel. */
TEST(untravelled_reply_channel_stays_open)
{
	char buf[MSZ + 1];
	int r, w;

	REQUIRE_REPLY();
	ASSERT_FD(r, chan_new_flags(2, MSZ, CSPCHAN_REPLY, 0));
	w = dup(r);
	ASSERT_LE(0, w);
	msleep(SETTLE_MS);
	EXPECT_TRUE(still_open(r));
	EXPECT_EQ(1, send_str(w, "a"));
	close(w);
	msleep(SETTLE_MS);
	EXPECT_EQ(1, recv_str(r, buf, sizeof(buf)));
	EXPECT_TRUE(still_open(r));
	close(r);
}

/* ---- leases keep the attachment -------------------------------------------- */

/*
 * SPEC 9 + 12: a server SIGKILLed after receiving a request (explicit
 * lease with recvmsg, or read's implicit lease) and before replying: the
 * request is redelivered with its reply channel (same seq, deliveries 2),
 * the reply channel stays open meanwhile, the caller gets exactly one
 * answer, and afterwards the reply channel is freed (no reference leaks).
 */
static void killed_lease_server(struct __test_metadata *_metadata, char how)
{
	struct report *ra, *rb, *rc;
	pid_t a, b, client;
	uint64_t start;
	struct proc_chan pc = { 0 };
	char buf[MSZ + 1];
	bool seen = false;
	int ch, hs[2];

	ASSERT_ALLOC(ra, report_new());
	ASSERT_ALLOC(rb, report_new());
	ASSERT_ALLOC(rc, report_new());
	ASSERT_FD(ch, lease_handles(4, hs, 2));

	/* Server A on its own handle. */
	if (how == 'x') {
		a = server_child(hs[0], 'p', ra);
	} else {
		a = fork_child();
		if (a == 0) {
			ra->result = sys_recv(hs[0], ra->buf, MSZ);
			__atomic_store_n(&ra->done, 1, __ATOMIC_SEQ_CST);
			for (;;)
				pause();
		}
	}
	ASSERT_LE(0, a);
	close(hs[0]);

	/* The client: one call, its result in rc. */
	client = fork_child();
	if (client == 0) {
		rc->result = cspchan_call(ch, "job", 3, rc->buf, MSZ, 20000);
		if (rc->result > 0)
			rc->buf[rc->result] = '\0';
		/* Exactly one answer: nothing else ever arrives for it. */
		_exit(0);
	}
	ASSERT_LE(0, client);

	ASSERT_EQ(1, wait_counter(&ra->done, 1));
	EXPECT_EQ(3, ra->result);
	if (how == 'x') {
		EXPECT_LE(0, ra->fd);
		EXPECT_EQ(1U, ra->deliveries);
		EXPECT_NE(0U, ra->id);
	}
	EXPECT_EQ(1U, figures(ch).leased);
	ASSERT_EQ(256 + SIGKILL, child_kill(a));
	EXPECT_EQ(1U, figures(ch).depth);
	EXPECT_EQ(0U, figures(ch).leased);
	msleep(3 * SETTLE_MS);
	/* The reply channel did not shut down, and the client still waits. */
	EXPECT_TRUE(child_running(client));
	if (how == 'x') {
		EXPECT_LE(0, proc_scan(ra->id, &pc, &seen));
		EXPECT_TRUE(seen);
		EXPECT_EQ(0U, pc.shut);
	}

	/* Server B gets it again, with the reply channel, and answers. */
	ASSERT_FORKED(b, server_child(hs[1], 'r', rb));
	close(hs[1]);
	EXPECT_EQ(0, child_wait(b, WAIT_MS));
	EXPECT_STREQ("job", rb->buf);
	EXPECT_LE(0, rb->fd);
	EXPECT_EQ(2U, rb->deliveries);
	if (how == 'x')
		EXPECT_EQ(ra->id, rb->id);
	EXPECT_EQ(0U, rb->seq);

	EXPECT_EQ(0, child_wait(client, WAIT_MS));
	EXPECT_EQ(6, rc->result);
	EXPECT_STREQ("re:job", rc->buf);
	/* B acked: nothing queued, nothing leased, one redelivery. */
	EXPECT_EQ(0U, figures(ch).depth);
	EXPECT_EQ(0U, figures(ch).leased);
	EXPECT_EQ(1U, figures(ch).redelivered);
	EXPECT_EQ(2U, figures(ch).received);
	EXPECT_EQ(-EAGAIN, recv_str_timeout(ch, buf, sizeof(buf), 0));
	/* Caller, B's descriptor and the acked request gone: the channel is freed. */
	ASSERT_NE(0U, rb->id);
	start = now_ns();
	while (proc_has(rb->id) && ms_since(start) < WAIT_MS)
		msleep(1);
	EXPECT_FALSE(proc_has(rb->id)) TH_LOG("a reference to the reply channel leaked");
	close(ch);
	munmap(ra, sizeof(*ra));
	munmap(rb, sizeof(*rb));
	munmap(rc, sizeof(*rc));
}

/* TEST(@name): killed_lease_server(@how), where reply channels and leases are supported. */
#define KILLED_LEASE_SERVER_TEST(name, how)				\
TEST(name)								\
{									\
	REQUIRE_REPLY_LEASE();						\
	killed_lease_server(_metadata, how);				\
}

KILLED_LEASE_SERVER_TEST(lease_killed_recvmsg_server_redelivers_reply_channel, 'x')
KILLED_LEASE_SERVER_TEST(lease_killed_read_server_keeps_reply_channel, 'r')

/*
 * SPEC 9 + 12: a nacked request comes back with its reply channel; a
 * leased request keeps the channel open after the server closed its
 * descriptors; the ack lets it go, and the channel shuts down.
 */
TEST(lease_nack_redelivers_ack_releases_reply_channel)
{
	struct cspchan_msginfo i1, i2;
	char buf[MSZ + 1];
	int ch, r;

	REQUIRE_REPLY_LEASE();
	ASSERT_FD(ch, chan_new_flags(4, MSZ, CSPCHAN_LEASE, 0));
	ASSERT_FD(r, reply_chan());
	SEND_AND_RECEIVE_REPLY(ch, "q", 1, r, buf, i1);
	ASSERT_NE(0U, i1.lease);
	ASSERT_EQ(0, cspchan_nack(ch, i1.lease));
	ASSERT_EQ(1, cspchan_recvmsg(ch, buf, MSZ, &i2));
	ASSERT_LE(0, i2.fd);
	EXPECT_NE(i1.fd, i2.fd);
	EXPECT_EQ(i1.seq, i2.seq);
	EXPECT_EQ(2U, i2.deliveries);
	EXPECT_EQ(figures(r).id, figures(i2.fd).id);
	ASSERT_EQ(0, close(i1.fd));
	ASSERT_EQ(0, close(i2.fd));
	msleep(SETTLE_MS);
	EXPECT_TRUE(still_open(r)) TH_LOG("shut while a leased request carries it");
	ASSERT_EQ(0, cspchan_ack(ch, i2.lease));
	EXPECT_END_OF_STREAM_PROMPTLY(r, buf);
	close(r);
	close(ch);
}

/* ---- cspchan_call ------------------------------------------------------------ */

/* SPEC 12: a call returns the reply's length and leaves no descriptor behind. */
TEST(call_returns_reply)
{
	char reply[MSZ + 1];
	struct report *rep;
	pid_t pid;
	int ch, n0;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(4, MSZ));
	START_SERVER(pid, ch, 'r', rep);
	n0 = open_fd_count();
	memset(reply, 0, sizeof(reply));
	EXPECT_EQ(8, cspchan_call(ch, "hello", 5, reply, MSZ, CALL_MS));
	EXPECT_EQ(0, memcmp(reply, "re:hello", 8));
	EXPECT_EQ(n0, open_fd_count());
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_LE(0, rep->fd);
	EXPECT_STREQ("hello", rep->buf);
	/* The reply channel: capacity 1, msg_size reply_len, a reply channel. */
	EXPECT_NE(0U, rep->id);
	EXPECT_EQ(1U, rep->rcap);
	EXPECT_EQ((uint32_t)MSZ, rep->rmsg);
	EXPECT_TRUE(!!(rep->rflags & CSPCHAN_INFO_REPLY));
	EXPECT_FALSE(!!(rep->rflags & CSPCHAN_INFO_NAMED));
	close(ch);
	munmap(rep, sizeof(*rep));
}

/* SPEC 3.3 + 12: a call over an unbuffered channel. */
TEST(call_over_unbuffered_channel)
{
	char reply[MSZ + 1];
	struct report *rep;
	pid_t pid;
	int ch;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(0, MSZ));
	START_SERVER(pid, ch, 'r', rep);
	EXPECT_EQ(5, cspchan_call(ch, "un", 2, reply, MSZ, CALL_MS));
	EXPECT_EQ(0, memcmp(reply, "re:un", 5));
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	close(ch);
	munmap(rep, sizeof(*rep));
}

/* In a child: one one-byte request received on @ch carrying a reply channel: its descriptor. */
static int child_recv_request(int ch)
{
	struct cspchan_msginfo info;
	char buf[MSZ];

	CHILD_ASSERT(cspchan_recvmsg(ch, buf, MSZ, &info) == 1);
	CHILD_ASSERT(info.fd >= 0);
	return info.fd;
}

/* SPEC 12: the reply's size is bounded by reply_len: a longer one is EMSGSIZE. */
TEST(call_reply_len_bounds_reply)
{
	char reply[8];
	pid_t pid;
	int ch;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(4, MSZ));
	pid = fork_child();
	if (pid == 0) {
		int fd = child_recv_request(ch);

		CHILD_ASSERT(figures(fd).msg_size == 5);
		CHILD_ASSERT(figures(fd).capacity == 1);
		CHILD_ASSERT(cspchan_send(fd, "123456", 6) == -EMSGSIZE);
		CHILD_ASSERT(cspchan_send(fd, "12345", 5) == 5);
		_exit(0);
	}
	ASSERT_LE(0, pid);
	EXPECT_EQ(5, cspchan_call(ch, "q", 1, reply, 5, CALL_MS));
	EXPECT_EQ(0, memcmp(reply, "12345", 5));
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	close(ch);
}

/* SPEC 12 / library: a reply_len above max_msg_size is capped there. */
TEST(call_reply_len_above_max_msg_size)
{
	struct cspchan_features f;
	char *reply;
	size_t len;
	pid_t pid;
	int ch;

	REQUIRE_REPLY();
	ASSERT_EQ(0, chan_features(&f));
	len = (size_t)f.max_msg_size + 4096;
	ASSERT_ALLOC(reply, malloc(len));
	ASSERT_FD(ch, chan_new(4, MSZ));
	pid = fork_child();
	if (pid == 0) {
		int fd = child_recv_request(ch);

		CHILD_ASSERT(figures(fd).msg_size == f.max_msg_size);
		CHILD_ASSERT(cspchan_send(fd, "big", 3) == 3);
		_exit(0);
	}
	ASSERT_LE(0, pid);
	EXPECT_EQ(3, cspchan_call(ch, "q", 1, reply, len, CALL_MS));
	EXPECT_EQ(0, memcmp(reply, "big", 3));
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	free(reply);
	close(ch);
}

/* SPEC 12: bad calls: EINVAL for reply_len 0 and for a reply channel as ch; nothing sent. */
TEST(call_bad_arguments)
{
	char reply[MSZ + 1];
	int ch, r, n0;

	REQUIRE_REPLY();
	CHAN_AND_REPLY(ch, r);
	n0 = open_fd_count();
	EXPECT_EQ(-EINVAL, cspchan_call(ch, "q", 1, reply, 0, CALL_MS));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, cspchan_call(r, "q", 1, reply, MSZ, CALL_MS));
	EXPECT_EQ(-EINVAL, cspchan_call(ch, "q", 0, reply, MSZ, CALL_MS));
	EXPECT_EQ(-EMSGSIZE, cspchan_call(ch, reply, MSZ + 1, reply, MSZ, CALL_MS));
	EXPECT_EQ(-EBADF, cspchan_call(-1, "q", 1, reply, MSZ, CALL_MS));
	EXPECT_NOTHING_QUEUED(ch);
	EXPECT_NOTHING_QUEUED(r);
	EXPECT_EQ(n0, open_fd_count());
	close(r);
	close(ch);
}

/*
 * SPEC 12: a server that receives the request and closes the descriptor
 * without replying: the call returns -ECONNRESET at once, long before its
 * timeout.
 */
TEST(call_dropped_request_econnreset)
{
	char reply[MSZ];
	struct report *rep;
	uint64_t ms;
	pid_t pid;
	int ch, n0;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(4, MSZ));
	START_SERVER(pid, ch, 'c', rep);
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 1));
	n0 = open_fd_count();
	EXPECT_EQ(-ECONNRESET, call_timed(ch, reply, CALL_MS, &ms));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_GT(2000U, ms);
	EXPECT_EQ(n0, open_fd_count());
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_LE(0, rep->fd);
	close(ch);
	munmap(rep, sizeof(*rep));
}

/* SPEC 12 + 3.11: a server killed holding the descriptor: -ECONNRESET at once. */
TEST(call_server_killed_econnreset)
{
	char reply[MSZ];
	struct report *rep;
	uint64_t ms;
	pid_t pid;
	int ch;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(4, MSZ));
	START_SERVER(pid, ch, 'k', rep);
	EXPECT_EQ(-ECONNRESET, call_timed(ch, reply, CALL_MS, &ms));
	EXPECT_GT(2000U, ms);
	EXPECT_EQ(256 + SIGKILL, child_wait(pid, WAIT_MS));
	EXPECT_LE(0, rep->fd);
	close(ch);
	munmap(rep, sizeof(*rep));
}

/* SPEC 12: a request read with read(2) is dropped: -ECONNRESET at once. */
TEST(call_request_read_econnreset)
{
	char reply[MSZ];
	uint64_t ms;
	pid_t pid;
	int ch;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(4, MSZ));
	pid = fork_child();
	if (pid == 0) {
		char buf[MSZ];

		CHILD_ASSERT(read(ch, buf, MSZ) == 1);
		_exit(0);
	}
	ASSERT_LE(0, pid);
	EXPECT_EQ(-ECONNRESET, call_timed(ch, reply, CALL_MS, &ms));
	EXPECT_GT(2000U, ms);
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	close(ch);
}

/*
 * SPEC 12: the caller gives up: -ETIMEDOUT after its timeout, and a
 * server that replies afterwards gets EPIPE.
 */
TEST(call_timeout_late_reply_epipe)
{
	char reply[MSZ];
	struct report *rep;
	uint64_t ms;
	pid_t pid;
	int ch, n0;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(4, MSZ));
	START_SERVER(pid, ch, 'w', rep);
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 1));
	n0 = open_fd_count();
	EXPECT_EQ(-ETIMEDOUT, call_timed(ch, reply, 300, &ms));
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_LE(300U, ms);
	EXPECT_GT(300U + PROMPT_MS, ms);
	EXPECT_EQ(n0, open_fd_count());
	EXPECT_EQ(1, rep->done);
	EXPECT_LE(0, rep->fd);
	__atomic_store_n(&rep->go, 1, __ATOMIC_SEQ_CST);
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(-EPIPE, rep->result2);
	close(ch);
	munmap(rep, sizeof(*rep));
}

/*
 * SPEC 12: a request still queued when its caller gave up stays queued,
 * carrying the (now shut) reply channel: its reply fails with EPIPE.
 */
TEST(call_timeout_request_stays_queued)
{
	struct cspchan_msginfo info;
	char reply[MSZ], buf[MSZ];
	int ch;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(4, MSZ));
	EXPECT_EQ(-ETIMEDOUT, cspchan_call(ch, "late", 4, reply, MSZ, 100));
	EXPECT_EQ(1U, figures(ch).depth);
	msleep(SETTLE_MS);
	EXPECT_EQ(1U, figures(ch).depth);
	ASSERT_EQ(4, cspchan_recvmsg(ch, buf, MSZ, &info));
	EXPECT_EQ(0, memcmp(buf, "late", 4));
	ASSERT_LE(0, info.fd);
	EXPECT_EQ(1, figures(info.fd).shut);
	EXPECT_EQ(-EPIPE, cspchan_send(info.fd, "re", 2));
	close(info.fd);
	close(ch);
}

/*
 * SPEC 12: the timeout covers a blocked send.  A full channel that never
 * frees: -ETIMEDOUT, nothing sent.  One that frees after 1 s, with a
 * 1.5 s timeout and no reply: the call ends at 1.5 s, not 1 s + 1.5 s.
 */
TEST(call_timeout_covers_blocked_send)
{
	char reply[MSZ], buf[MSZ + 1];
	uint64_t ms;
	pid_t pid;
	int ch;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(1, MSZ));
	ASSERT_EQ(4, send_str(ch, "fill"));
	EXPECT_EQ(-ETIMEDOUT, call_timed(ch, reply, 200, &ms));
	EXPECT_LE(200U, ms);
	EXPECT_GT(200U + PROMPT_MS, ms);
	EXPECT_EQ(1U, figures(ch).sent);
	EXPECT_EQ(1U, figures(ch).depth);

	pid = fork_child();
	if (pid == 0) {
		msleep(1000);
		CHILD_ASSERT(recv_str(ch, buf, sizeof(buf)) == 4);
		_exit(0);
	}
	ASSERT_LE(0, pid);
	EXPECT_EQ(-ETIMEDOUT, call_timed(ch, reply, 1500, &ms));
	EXPECT_LE(1500U, ms);
	EXPECT_GT(2200U, ms) TH_LOG("the receive did not get only what was left");
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	/* The request went in, and stays. */
	EXPECT_EQ(2U, figures(ch).sent);
	EXPECT_EQ(1U, figures(ch).depth);
	close(ch);
}

/* SPEC 12: a zero timeout never blocks: -ETIMEDOUT (not EAGAIN), the request queued. */
TEST(call_zero_timeout)
{
	char reply[MSZ];
	int ch;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(1, MSZ));
	EXPECT_EQ(-ETIMEDOUT, cspchan_call(ch, "q", 1, reply, MSZ, 0));
	EXPECT_EQ(1U, figures(ch).depth);
	close(ch);
}

/* SPEC 12: a call on a shut-down channel fails with EPIPE. */
TEST(call_shut_channel_epipe)
{
	char reply[MSZ];
	int ch, n0;

	REQUIRE_REPLY();
	ASSERT_FD(ch, chan_new(1, MSZ));
	ASSERT_EQ(0, cspchan_shutdown(ch));
	n0 = open_fd_count();
	EXPECT_EQ(-EPIPE, cspchan_call(ch, "q", 1, reply, MSZ, CALL_MS));
	EXPECT_EQ(n0, open_fd_count());
	close(ch);
}

/* ---- a pool of servers --------------------------------------------------------- */

#define POOL_SERVERS	4
#define POOL_CLIENTS	8
#define POOL_CALLS	500

struct pool_req {
	uint32_t client;
	uint32_t counter;
	uint64_t token;
};

struct pool_reply {
	uint32_t client;
	uint32_t counter;
	uint64_t token;		/* the request's, transformed */
	uint32_t server;
	uint32_t pad;
};

static uint64_t pool_token(uint32_t client, uint32_t counter)
{
	return ((uint64_t)client << 40) ^ ((uint64_t)counter * 0x9e3779b97f4a7c15ULL);
}

static uint64_t pool_transform(uint64_t token)
{
	return ~token ^ 0x5a5a5a5a5a5a5a5aULL;
}

struct pool_shared {
	int served[POOL_SERVERS];
	int clients_ok[POOL_CLIENTS];
};

FIXTURE(pool) {
	int ch;
	struct pool_shared *sh;
	pid_t servers[POOL_SERVERS];
	pid_t clients[POOL_CLIENTS];
	int channels0;
};

FIXTURE_SETUP(pool)
{
	REQUIRE_REPLY();
	pids_none(self->servers, POOL_SERVERS);
	pids_none(self->clients, POOL_CLIENTS);
	self->channels0 = proc_count();
	ASSERT_ALLOC(self->sh, shared_alloc(sizeof(*self->sh)));
	memset(self->sh, 0, sizeof(*self->sh));
	ASSERT_FD(self->ch, chan_new(16, sizeof(struct pool_req)));
}

FIXTURE_TEARDOWN(pool)
{
	kill_running(self->servers, POOL_SERVERS);
	kill_running(self->clients, POOL_CLIENTS);
	if (self->ch >= 0)
		close(self->ch);
}

/* Answer requests until end of stream; every descriptor closed again. */
static int pool_server(int ch, uint32_t id, struct pool_shared *sh)
{
	struct cspchan_msginfo info;
	struct pool_reply rp;
	struct pool_req rq;
	int fds = open_fd_count();
	ssize_t n;

	for (;;) {
		n = cspchan_recvmsg(ch, &rq, sizeof(rq), &info);
		if (n == 0)
			break;
		CHILD_ASSERT(n == (ssize_t)sizeof(rq));
		CHILD_ASSERT(info.fd >= 0);
		memset(&rp, 0, sizeof(rp));
		rp.client = rq.client;
		rp.counter = rq.counter;
		rp.token = pool_transform(rq.token);
		rp.server = id;
		CHILD_ASSERT(cspchan_send(info.fd, &rp, sizeof(rp)) == (ssize_t)sizeof(rp));
		CHILD_ASSERT(close(info.fd) == 0);
		__atomic_fetch_add(&sh->served[id], 1, __ATOMIC_SEQ_CST);
	}
	CHILD_ASSERT(open_fd_count() == fds);
	return 0;
}

/* POOL_CALLS calls, each answered with exactly its own reply, in order. */
static int pool_client(int ch, uint32_t id, struct pool_shared *sh)
{
	struct pool_reply rp;
	struct pool_req rq;
	uint32_t i;
	ssize_t n;

	for (i = 0; i < POOL_CALLS; i++) {
		rq.client = id;
		rq.counter = i;
		rq.token = pool_token(id, i);
		memset(&rp, 0, sizeof(rp));
		n = cspchan_call(ch, &rq, sizeof(rq), &rp, sizeof(rp), CALL_MS);
		if (n != (ssize_t)sizeof(rp) || rp.client != id || rp.counter != i ||
		    rp.token != pool_transform(rq.token) || rp.server >= POOL_SERVERS) {
			fprintf(stderr, "# client %u call %u: %zd, reply client %u counter %u server %u\n",
				id, i, n, rp.client, rp.counter, rp.server);
			return 1;
		}
	}
	__atomic_store_n(&sh->clients_ok[id], 1, __ATOMIC_SEQ_CST);
	return 0;
}

/*
 * SPEC 12: POOL_SERVERS server processes answer POOL_CLIENTS client
 * processes making POOL_CALLS calls each, concurrently: every client gets
 * exactly its own answers, in order; every request is served once; no
 * reply channel is left behind.
 */
TEST_F_TIMEOUT(pool, servers_answer_concurrent_clients, 120)
{
	uint64_t start = now_ns();
	unsigned int i;
	int total = 0;

	for (i = 0; i < POOL_SERVERS; i++) {
		self->servers[i] = fork_child();
		if (self->servers[i] == 0)
			_exit(pool_server(self->ch, i, self->sh));
		ASSERT_LT(0, self->servers[i]);
	}
	for (i = 0; i < POOL_CLIENTS; i++) {
		self->clients[i] = fork_child();
		if (self->clients[i] == 0)
			_exit(pool_client(self->ch, i, self->sh));
		ASSERT_LT(0, self->clients[i]);
	}
	for (i = 0; i < POOL_CLIENTS; i++) {
		EXPECT_EQ(0, child_wait(self->clients[i], 90000)) TH_LOG("client %u", i);
		self->clients[i] = -1;
		EXPECT_EQ(1, self->sh->clients_ok[i]);
	}
	ASSERT_EQ(0, cspchan_shutdown(self->ch));
	for (i = 0; i < POOL_SERVERS; i++) {
		EXPECT_EQ(0, child_wait(self->servers[i], WAIT_MS)) TH_LOG("server %u", i);
		self->servers[i] = -1;
		total += self->sh->served[i];
	}
	fprintf(stderr, "# %d calls in %" PRIu64 " ms; served %d %d %d %d\n",
		total, ms_since(start), self->sh->served[0], self->sh->served[1],
		self->sh->served[2], self->sh->served[3]);
	EXPECT_EQ(POOL_CLIENTS * POOL_CALLS, total);
	EXPECT_EQ((uint64_t)POOL_CLIENTS * POOL_CALLS, figures(self->ch).received);
	close(self->ch);
	self->ch = -1;
	/* Every reply channel and the request channel are freed. */
	start = now_ns();
	while (proc_count() != self->channels0 && ms_since(start) < WAIT_MS)
		msleep(1);
	EXPECT_EQ(self->channels0, proc_count());
}

TEST_HARNESS_MAIN
