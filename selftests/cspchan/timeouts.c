// SPDX-License-Identifier: GPL-2.0
/*
 * Timed waits (SPEC 4): cspchan_recv_timeout and cspchan_send_timeout fail
 * with ETIMEDOUT after the timeout, 0 never blocks (EAGAIN), a negative
 * timeout waits for as long as it takes, and a wait that is satisfied in
 * time succeeds.
 */
#include "common.h"

/* Under emulation a timer may fire late, but not absurdly so. */
#define LATE_MS		2000

TEST(receive_times_out_on_empty)
{
	uint64_t start, took;
	char buf[16];
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, cspchan_recv_timeout(ch, buf, sizeof(buf), 50));
	took = ms_since(start);
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_LE(50U, took);
	EXPECT_GT((uint64_t)LATE_MS, took);
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));
	close(ch);
}

TEST(send_times_out_on_full)
{
	uint64_t start, took;
	char buf[16];
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(1, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(5, send_str(ch, "first"));
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, cspchan_send_timeout(ch, "late", 4, 50));
	took = ms_since(start);
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_LE(50U, took);
	EXPECT_GT((uint64_t)LATE_MS, took);

	/* The timed-out message did not go in. */
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(1U, chan_get(ch, STAT_SENT));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	ASSERT_EQ(5, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("first", buf);
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(ch, buf, sizeof(buf), 0));
	close(ch);
}

TEST(zero_timeout_never_blocks)
{
	uint64_t start;
	char buf[16];
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(1, 16);
	ASSERT_LE(0, ch);
	start = now_ns();
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(ch, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(1, cspchan_send_timeout(ch, "x", 1, 0));
	EXPECT_EQ(-EAGAIN, cspchan_send_timeout(ch, "y", 1, 0));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_GT((uint64_t)LATE_MS, ms_since(start));
	ASSERT_EQ(1, recv_str_timeout(ch, buf, sizeof(buf), 0));
	EXPECT_STREQ("x", buf);
	close(ch);
}

/* -1 waits: the receive returns only when a sender comes, 150 ms later. */
TEST(negative_timeout_waits)
{
	uint64_t start;
	char buf[16];
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(1, 16);
	ASSERT_LE(0, ch);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(wait_stat(ch, STAT_RECEIVERS_WAITING, 1) == 0);
		msleep(150);
		CHILD_ASSERT(send_str(ch, "finally") == 7);
		_exit(0);
	}
	start = now_ns();
	ASSERT_EQ(7, recv_str_timeout(ch, buf, sizeof(buf), -1));
	EXPECT_STREQ("finally", buf);
	EXPECT_LE(150U, ms_since(start));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));

	/* Same for a send on a full channel. */
	ASSERT_EQ(4, send_str(ch, "full"));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(wait_stat(ch, STAT_SENDERS_WAITING, 1) == 0);
		msleep(150);
		CHILD_ASSERT(recv_str(ch, buf, sizeof(buf)) == 4);
		_exit(0);
	}
	start = now_ns();
	ASSERT_EQ(4, cspchan_send_timeout(ch, "next", 4, -1));
	EXPECT_LE(150U, ms_since(start));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	ASSERT_EQ(4, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("next", buf);
	close(ch);
}

/* A wait satisfied before its timeout succeeds. */
TEST(wait_satisfied_before_timeout)
{
	char buf[16];
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(1, 16);
	ASSERT_LE(0, ch);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(wait_stat(ch, STAT_RECEIVERS_WAITING, 1) == 0);
		CHILD_ASSERT(send_str(ch, "intime") == 6);
		_exit(0);
	}
	ASSERT_EQ(6, recv_str_timeout(ch, buf, sizeof(buf), 3 * WAIT_MS));
	EXPECT_STREQ("intime", buf);
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	close(ch);
}

TEST_HARNESS_MAIN
