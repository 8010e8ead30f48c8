// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 3.5, shutdown (CSP close): EPIPE for senders without SIGPIPE,
 * blocked senders woken with EPIPE, receivers drain then get 0 without
 * blocking, a second shutdown fails; close(2) is not a shutdown, except for
 * the last send-capable handle of a CSPCHAN_AUTOCLOSE channel.
 */
#include "common.h"

/* SIGPIPE is left at its default: the child would die of it if raised. */
TEST(send_after_shutdown_epipe_without_sigpipe)
{
	struct cspchan_stat st;
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(4, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(1, send_str(ch, "q"));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		CHILD_ASSERT(cspchan_shutdown(ch) == 0);
		CHILD_ASSERT(send_str(ch, "no") == -EPIPE);
		CHILD_ASSERT(errno == EPIPE);
		CHILD_ASSERT(write(ch, "no", 2) == -1 && errno == EPIPE);
		CHILD_ASSERT(cspchan_send_timeout(ch, "no", 2, 0) == -EPIPE);
		CHILD_ASSERT(cspchan_send_timeout(ch, "no", 2, -1) == -EPIPE);
		_exit(0);
	}
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));

	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(1, st.shut);
	EXPECT_EQ(1U, st.depth);
	EXPECT_EQ(1U, st.sent);
	close(ch);
}

/* Two senders blocked, on a full or an unbuffered channel: both get EPIPE. */
static void check_blocked_sender_woken(struct __test_metadata *_metadata,
				       unsigned int capacity)
{
	ssize_t *result;
	char buf[16];
	pid_t pid[2];
	unsigned int i;
	int ch;

	result = shared_alloc(2 * sizeof(*result));
	ASSERT_NE(NULL, result);
	ch = chan_new(capacity, 16);
	ASSERT_LE(0, ch);
	if (capacity)
		ASSERT_EQ(6, send_str(ch, "queued"));

	for (i = 0; i < 2; i++) {
		pid[i] = fork_child();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			signal(SIGPIPE, SIG_DFL);
			result[i] = send_str(ch, "blocked");
			_exit(0);
		}
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 2));
	ASSERT_EQ(0, cspchan_shutdown(ch));
	for (i = 0; i < 2; i++) {
		/* Exit status 0: woken, and not killed by SIGPIPE. */
		ASSERT_EQ(0, child_wait(pid[i], WAIT_MS));
		EXPECT_EQ(-EPIPE, result[i]);
	}
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	EXPECT_EQ(capacity ? 1U : 0U, chan_get(ch, STAT_DEPTH));

	/* What was queued is still delivered; the blocked message is not. */
	if (capacity) {
		ASSERT_EQ(6, recv_str(ch, buf, sizeof(buf)));
		EXPECT_STREQ("queued", buf);
	}
	EXPECT_EQ(0, recv_str(ch, buf, sizeof(buf)));
	close(ch);
}

TEST(blocked_sender_woken_with_epipe)
{
	REQUIRE_CSPCHAN();
	check_blocked_sender_woken(_metadata, 1);
}

TEST(blocked_unbuffered_sender_woken_with_epipe)
{
	REQUIRE_CSPCHAN();
	check_blocked_sender_woken(_metadata, 0);
}

TEST(receivers_drain_then_end_of_stream)
{
	char buf[16];
	uint64_t start;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(4, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(3, send_str(ch, "one"));
	ASSERT_EQ(3, send_str(ch, "two"));
	ASSERT_EQ(5, send_str(ch, "three"));
	ASSERT_EQ(0, cspchan_shutdown(ch));
	EXPECT_EQ(1U, chan_get(ch, STAT_SHUT));
	EXPECT_EQ(3U, chan_get(ch, STAT_DEPTH));

	ASSERT_EQ(3, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("one", buf);
	ASSERT_EQ(3, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("two", buf);
	ASSERT_EQ(5, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("three", buf);

	/* Drained: 0, at once and every time, on a blocking handle. */
	start = now_ns();
	EXPECT_EQ(0, cspchan_recv(ch, buf, sizeof(buf)));
	EXPECT_EQ(0, read(ch, buf, sizeof(buf)));
	EXPECT_EQ(0, cspchan_recv_timeout(ch, buf, sizeof(buf), -1));
	EXPECT_EQ(0, cspchan_recv_timeout(ch, buf, sizeof(buf), 0));
	EXPECT_EQ(0, cspchan_recv_timeout(ch, buf, sizeof(buf), 3000));
	EXPECT_GT(1000U, ms_since(start));
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));
	close(ch);
}

TEST(blocked_receiver_woken_with_end_of_stream)
{
	ssize_t *result;
	pid_t pid[2];
	unsigned int i;
	int ch;

	REQUIRE_CSPCHAN();
	result = shared_alloc(2 * sizeof(*result));
	ASSERT_NE(NULL, result);
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	for (i = 0; i < 2; i++) {
		pid[i] = fork_child();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			char buf[16];

			result[i] = cspchan_recv(ch, buf, sizeof(buf));
			_exit(0);
		}
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 2));
	ASSERT_EQ(0, cspchan_shutdown(ch));
	/* Every receiver wakes, not just one. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, child_wait(pid[i], WAIT_MS));
		EXPECT_EQ(0, result[i]);
	}
	close(ch);
}

TEST(second_shutdown_epipe)
{
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(1, 8);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, cspchan_shutdown(ch));
	EXPECT_EQ(-EPIPE, cspchan_shutdown(ch));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(-1, ioctl(ch, CSPCHAN_IOC_SHUTDOWN));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(1U, chan_get(ch, STAT_SHUT));
	close(ch);
}

TEST(close_is_not_shutdown)
{
	char name[CSPCHAN_NAME_MAX], buf[16];
	int ch1, ch2;
	pid_t pid;

	REQUIRE_CSPCHAN();
	unique_name(name, "close");
	ch1 = chan_named(name, 2, 16, 0600, 0);
	ASSERT_LE(0, ch1);
	ch2 = cspchan_open(name, O_RDWR);
	ASSERT_LE(0, ch2);
	ASSERT_EQ(0, cspchan_unlink(name));

	/* A child that exits drops its copies of both handles. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(send_str(ch1, "child") == 5 ? 0 : 1);
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	ASSERT_EQ(0, close(ch1));

	EXPECT_EQ(0U, chan_get(ch2, STAT_SHUT));
	ASSERT_EQ(5, send_str(ch2, "still"));
	ASSERT_EQ(5, recv_str(ch2, buf, sizeof(buf)));
	EXPECT_STREQ("child", buf);
	ASSERT_EQ(5, recv_str(ch2, buf, sizeof(buf)));
	EXPECT_STREQ("still", buf);
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(ch2, buf, sizeof(buf), 0));
	close(ch2);
}

/*
 * A producer process holds the only send-capable handle (O_WRONLY) and is
 * killed; the consumer holds an O_RDONLY handle.  With CSPCHAN_AUTOCLOSE
 * the channel is then shut down: the consumer drains and reads 0.
 */
static void producer_dies(struct __test_metadata *_metadata, unsigned int flags)
{
	char name[CSPCHAN_NAME_MAX], buf[16];
	int rw, rx, ready[2];
	pid_t pid;

	unique_name(name, "autoclose");
	rw = chan_named(name, 4, 16, 0600, flags);
	ASSERT_LE(0, rw);
	rx = cspchan_open(name, O_RDONLY);
	ASSERT_LE(0, rx);
	ASSERT_EQ(0, pipe(ready));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int tx;

		close(rw);
		close(rx);
		close(ready[0]);
		tx = cspchan_open(name, O_WRONLY);
		CHILD_ASSERT(tx >= 0);
		CHILD_ASSERT(send_str(tx, "first") == 5);
		CHILD_ASSERT(send_str(tx, "second") == 6);
		CHILD_ASSERT(write(ready[1], "r", 1) == 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], buf, 1));
	close(ready[0]);
	EXPECT_EQ(0, cspchan_unlink(name));

	/* The creator's read-write handle goes: the producer's remains. */
	ASSERT_EQ(0, close(rw));
	EXPECT_EQ(0U, chan_get(rx, STAT_SHUT));

	ASSERT_EQ(256 + SIGKILL, child_kill(pid));
	EXPECT_EQ(flags & CSPCHAN_AUTOCLOSE ? 1U : 0U, chan_get(rx, STAT_SHUT));
	EXPECT_EQ(2U, chan_get(rx, STAT_DEPTH));

	ASSERT_EQ(5, recv_str(rx, buf, sizeof(buf)));
	EXPECT_STREQ("first", buf);
	ASSERT_EQ(6, recv_str(rx, buf, sizeof(buf)));
	EXPECT_STREQ("second", buf);
	if (flags & CSPCHAN_AUTOCLOSE) {
		EXPECT_EQ(0, recv_str_timeout(rx, buf, sizeof(buf), 2000));
	} else {
		EXPECT_EQ(-EAGAIN, recv_str_timeout(rx, buf, sizeof(buf), 0));
	}
	close(rx);
}

TEST(autoclose_when_last_sender_dies)
{
	REQUIRE_CSPCHAN();
	producer_dies(_metadata, CSPCHAN_AUTOCLOSE);
}

TEST(no_autoclose_without_flag)
{
	REQUIRE_CSPCHAN();
	producer_dies(_metadata, 0);
}

/*
 * Auto-close is armed by a send or by a second send-capable handle: a
 * process that only creates the channel (cspchan create --autoclose) and
 * exits does not shut it down; a producer that then sends and exits does.
 */
TEST(autoclose_not_fired_by_creator_alone)
{
	char name[CSPCHAN_NAME_MAX], buf[16];
	int rw, rx, tx;

	REQUIRE_CSPCHAN();
	unique_name(name, "autoarm");
	rw = chan_named(name, 4, 16, 0600, CSPCHAN_AUTOCLOSE);
	ASSERT_LE(0, rw);
	ASSERT_EQ(0, close(rw));
	rx = cspchan_open(name, O_RDONLY);
	ASSERT_LE(0, rx);
	EXPECT_EQ(0U, chan_get(rx, STAT_SHUT));

	tx = cspchan_open(name, O_WRONLY);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, close(tx));	/* opened and closed without sending */
	EXPECT_EQ(0U, chan_get(rx, STAT_SHUT));

	tx = cspchan_open(name, O_WRONLY);
	ASSERT_LE(0, tx);
	ASSERT_EQ(2, send_str(tx, "hi"));
	ASSERT_EQ(0, close(tx));	/* the only sender, and it sent */
	EXPECT_EQ(1U, chan_get(rx, STAT_SHUT));
	ASSERT_EQ(2, recv_str(rx, buf, sizeof(buf)));
	EXPECT_EQ(0, recv_str_timeout(rx, buf, sizeof(buf), 0));
	EXPECT_EQ(0, cspchan_unlink(name));
	close(rx);
}

/* A consumer already blocked when the last sender goes away wakes with 0. */
TEST(autoclose_wakes_blocked_receiver)
{
	char name[CSPCHAN_NAME_MAX];
	ssize_t *result;
	int rw, rx, tx;
	pid_t pid;

	REQUIRE_CSPCHAN();
	result = shared_alloc(sizeof(*result));
	ASSERT_NE(NULL, result);
	unique_name(name, "autowake");
	rw = chan_named(name, 4, 16, 0600, CSPCHAN_AUTOCLOSE);
	ASSERT_LE(0, rw);
	rx = cspchan_open(name, O_RDONLY);
	ASSERT_LE(0, rx);
	tx = cspchan_open(name, O_WRONLY);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, cspchan_unlink(name));
	/* Only the consumer's receive-only handle goes to the child. */
	ASSERT_EQ(0, close(rw));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[16];

		close(tx);
		*result = cspchan_recv(rx, buf, sizeof(buf));
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(rx, STAT_RECEIVERS_WAITING, 1));
	EXPECT_EQ(0U, chan_get(rx, STAT_SHUT));
	/* The last send-capable handle (tx) is closed. */
	ASSERT_EQ(0, close(tx));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(0, *result);
	EXPECT_EQ(1U, chan_get(rx, STAT_SHUT));
	close(rx);
}

/* Receive-only handles closing do not trigger auto-close. */
TEST(autoclose_ignores_receive_only_handles)
{
	char name[CSPCHAN_NAME_MAX];
	int rw, rx;

	REQUIRE_CSPCHAN();
	unique_name(name, "autorx");
	rw = chan_named(name, 4, 16, 0600, CSPCHAN_AUTOCLOSE);
	ASSERT_LE(0, rw);
	rx = cspchan_open(name, O_RDONLY);
	ASSERT_LE(0, rx);
	ASSERT_EQ(0, close(rx));
	EXPECT_EQ(0U, chan_get(rw, STAT_SHUT));
	ASSERT_EQ(1, send_str(rw, "x"));
	EXPECT_EQ(0, cspchan_unlink(name));
	close(rw);
}

TEST_HARNESS_MAIN
