// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 3.9, metadata: cspchan_recvmsg returns each message's per-channel
 * sequence number (from 0, in FIFO order), the sender's pid in the
 * receiver's pid namespace, and the CLOCK_MONOTONIC time of the send.
 */
#include "common.h"

#define SENDS	3

struct send_times {
	uint64_t before[SENDS];
	uint64_t after[SENDS];
};

TEST(seq_pid_and_send_time)
{
	struct cspchan_msginfo info;
	struct send_times *t;
	char buf[16];
	unsigned int i;
	uint64_t recv_start;
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	t = shared_alloc(sizeof(*t));
	ASSERT_NE(NULL, t);
	ch = chan_new(SENDS, 16);
	ASSERT_LE(0, ch);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (i = 0; i < SENDS; i++) {
			t->before[i] = now_ns();
			CHILD_ASSERT(cspchan_send(ch, "meta", 4) == 4);
			t->after[i] = now_ns();
			msleep(2);
		}
		_exit(0);
	}
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));

	recv_start = now_ns();
	for (i = 0; i < SENDS; i++) {
		memset(&info, 0xff, sizeof(info));
		ASSERT_EQ(4, cspchan_recvmsg(ch, buf, sizeof(buf), &info));
		EXPECT_EQ(i, info.seq);
		EXPECT_EQ(pid, info.pid);
		EXPECT_LE(t->before[i], info.sent_ns);
		EXPECT_GE(t->after[i], info.sent_ns);
		EXPECT_GE(recv_start, info.sent_ns);
	}
	close(ch);
}

/* Sequence numbers are per channel, and plain receives consume them too. */
TEST(seq_is_per_channel_and_counts_every_message)
{
	struct cspchan_msginfo info;
	char buf[32];
	int a, b, i;

	REQUIRE_CSPCHAN();
	a = chan_new(8, 16);
	b = chan_new(8, 16);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(1, send_str(a, "a"));
	ASSERT_EQ(1, send_str(b, "b"));

	ASSERT_EQ(1, cspchan_recvmsg(b, buf, sizeof(buf), &info));
	EXPECT_EQ(0U, info.seq);
	EXPECT_EQ(getpid(), info.pid);

	ASSERT_EQ(1, cspchan_recv(a, buf, sizeof(buf)));
	ASSERT_EQ(1, read(a, buf, sizeof(buf)));
	ASSERT_EQ(1, cspchan_recvmsg(a, buf, sizeof(buf), &info));
	EXPECT_EQ(2U, info.seq);
	ASSERT_EQ(1, cspchan_recvmsg(a, buf, sizeof(buf), &info));
	EXPECT_EQ(3U, info.seq);

	/* A failed send takes no number. */
	EXPECT_EQ(-EMSGSIZE, cspchan_send(a, buf, 17));
	ASSERT_EQ(1, send_str(a, "a"));
	ASSERT_EQ(1, cspchan_recvmsg(a, buf, sizeof(buf), &info));
	EXPECT_EQ(4U, info.seq);

	/* info may be NULL. */
	ASSERT_EQ(1, send_str(b, "b"));
	EXPECT_EQ(1, cspchan_recvmsg(b, buf, sizeof(buf), NULL));
	close(a);
	close(b);
}

/*
 * Two producers interleave; one consumer sees seq 0, 1, 2, ... in order
 * (FIFO = order of completed sends = order of numbering), each with the
 * pid of the process that sent it.
 */
TEST(seq_follows_fifo_order_across_senders)
{
	const unsigned int per = 200;
	struct cspchan_msginfo info;
	uint32_t next[2] = { 0, 0 };
	uint32_t payload[2];
	pid_t pids[2];
	unsigned int p, i;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(4, sizeof(payload));
	ASSERT_LE(0, ch);
	for (p = 0; p < 2; p++) {
		pids[p] = fork_child();
		ASSERT_LE(0, pids[p]);
		if (pids[p] == 0) {
			for (i = 0; i < per; i++) {
				payload[0] = p;
				payload[1] = i;
				CHILD_ASSERT(cspchan_send(ch, payload, sizeof(payload)) ==
					     (ssize_t)sizeof(payload));
			}
			_exit(0);
		}
	}
	for (i = 0; i < 2 * per; i++) {
		ASSERT_EQ((ssize_t)sizeof(payload),
			  cspchan_recvmsg(ch, payload, sizeof(payload), &info));
		ASSERT_EQ(i, info.seq);
		ASSERT_GT(2U, payload[0]);
		ASSERT_EQ(pids[payload[0]], info.pid);
		ASSERT_EQ(next[payload[0]], payload[1]);
		next[payload[0]]++;
	}
	for (p = 0; p < 2; p++)
		EXPECT_EQ(0, child_wait(pids[p], WAIT_MS));
	close(ch);
}

TEST(unbuffered_metadata)
{
	struct cspchan_msginfo info;
	struct send_times *t;
	char buf[16];
	pid_t pid;
	int ch, i;

	REQUIRE_CSPCHAN();
	t = shared_alloc(sizeof(*t));
	ASSERT_NE(NULL, t);
	ch = chan_new(0, 16);
	ASSERT_LE(0, ch);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (i = 0; i < 2; i++) {
			t->before[i] = now_ns();
			CHILD_ASSERT(send_str(ch, "u") == 1);
			t->after[i] = now_ns();
		}
		_exit(0);
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(1, cspchan_recvmsg(ch, buf, sizeof(buf), &info));
		EXPECT_EQ((uint64_t)i, info.seq);
		EXPECT_EQ(pid, info.pid);
	}
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	/* The send time lies within the (blocking) send call. */
	EXPECT_LE(t->before[1], info.sent_ns);
	EXPECT_GE(t->after[1], info.sent_ns);
	close(ch);
}

/*
 * The pid is given in the receiver's pid namespace: a sender that is pid 1
 * of a new namespace is seen by its parent's namespace under its global pid,
 * and by itself as 1.
 */
TEST(pid_is_in_receiver_namespace)
{
	struct cspchan_msginfo info;
	pid_t *inner;
	char buf[16];
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	REQUIRE_ROOT();
	inner = shared_alloc(sizeof(*inner));
	ASSERT_NE(NULL, inner);
	ch = chan_new(4, 16);
	ASSERT_LE(0, ch);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t gc;
		int st;

		CHILD_ASSERT(unshare(CLONE_NEWPID) == 0);
		gc = fork_child();
		CHILD_ASSERT(gc >= 0);
		if (gc == 0) {
			struct cspchan_msginfo mi;
			char b[16];

			CHILD_ASSERT(getpid() == 1);
			CHILD_ASSERT(send_str(ch, "self") == 4);
			CHILD_ASSERT(cspchan_recvmsg(ch, b, sizeof(b), &mi) == 4);
			CHILD_ASSERT(mi.pid == 1);
			CHILD_ASSERT(send_str(ch, "out") == 3);
			_exit(0);
		}
		/* gc is the grandchild's pid in the test's namespace. */
		*inner = gc;
		CHILD_ASSERT(waitpid(gc, &st, 0) == gc);
		CHILD_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));

	ASSERT_EQ(3, cspchan_recvmsg(ch, buf, sizeof(buf), &info));
	EXPECT_EQ(1U, info.seq);
	EXPECT_EQ(*inner, info.pid);
	EXPECT_NE(1, info.pid);
	close(ch);
}

TEST_HARNESS_MAIN
