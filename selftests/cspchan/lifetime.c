// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 3.11, lifetime: a named channel outlives its handles until
 * unlinked; a channel is freed when its name is gone and its last handle
 * released; processes killed mid-send or mid-receive leave the channel
 * consistent for everybody else.  (Bad user pointers: faults.c.)
 */
#include "common.h"

TEST(named_channel_persists_without_handles)
{
	char name[CSPCHAN_NAME_MAX], buf[16];
	uint64_t id;
	int ch;

	REQUIRE_CSPCHAN();
	unique_name(name, "persist");
	ch = chan_named(name, 2, 16, 0600, 0);
	ASSERT_LE(0, ch);
	id = chan_id(ch);
	ASSERT_EQ(5, send_str(ch, "hello"));
	ASSERT_EQ(0, close(ch));

	/* No handle is open: the channel and its message are still there. */
	EXPECT_TRUE(proc_has(id));
	ch = cspchan_open(name, O_RDONLY);
	ASSERT_LE(0, ch);
	EXPECT_EQ(id, chan_id(ch));
	ASSERT_EQ(5, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("hello", buf);
	close(ch);

	/* Unlinked with no handle open: gone at once. */
	ASSERT_EQ(0, cspchan_unlink(name));
	EXPECT_FALSE(proc_has(id));
	EXPECT_EQ(-ENOENT, cspchan_open(name, O_RDWR));
}

TEST(unlinked_channel_freed_with_last_handle)
{
	char name[CSPCHAN_NAME_MAX];
	uint64_t id;
	int ch1, ch2;

	REQUIRE_CSPCHAN();
	unique_name(name, "freed");
	ch1 = chan_named(name, 2, 16, 0600, 0);
	ASSERT_LE(0, ch1);
	ch2 = cspchan_open(name, O_WRONLY);
	ASSERT_LE(0, ch2);
	id = chan_id(ch1);
	ASSERT_EQ(0, cspchan_unlink(name));

	EXPECT_TRUE(proc_has(id));
	ASSERT_EQ(0, close(ch1));
	/* One handle left. */
	EXPECT_TRUE(proc_has(id));
	EXPECT_EQ(0U, chan_get(ch2, STAT_SHUT));
	ASSERT_EQ(0, close(ch2));
	EXPECT_FALSE(proc_has(id));
}

TEST(anonymous_channel_freed_with_last_handle)
{
	uint64_t id;
	int ch, dup_ch;
	pid_t pid;

	REQUIRE_CSPCHAN();
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	id = chan_id(ch);
	dup_ch = dup(ch);
	ASSERT_LE(0, dup_ch);
	/* A child holding a copy keeps it alive after the parent closes. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(send_str(ch, "x") == 1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_DEPTH, 1));
	close(ch);
	close(dup_ch);
	EXPECT_TRUE(proc_has(id));
	EXPECT_EQ(256 + SIGKILL, child_kill(pid));
	EXPECT_FALSE(proc_has(id));
}

/* Killed while blocked in send on a full channel: its message never went in. */
TEST(killed_blocked_sender)
{
	char buf[16];
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(1, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(4, send_str(ch, "kept"));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(send_str(ch, "lost") == 4 ? 0 : 1);
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));
	ASSERT_EQ(256 + SIGKILL, child_kill(pid));

	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(1U, chan_get(ch, STAT_SENT));
	ASSERT_EQ(4, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("kept", buf);
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(ch, buf, sizeof(buf), 0));
	/* The channel works on. */
	ASSERT_EQ(4, send_str(ch, "next"));
	ASSERT_EQ(4, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("next", buf);
	close(ch);
}

/* Killed while blocked in receive: a later message is not lost to it. */
TEST(killed_blocked_receiver)
{
	char buf[16];
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(1, 16);
	ASSERT_LE(0, ch);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(cspchan_recv(ch, buf, sizeof(buf)) > 0 ? 0 : 1);
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 1));
	ASSERT_EQ(256 + SIGKILL, child_kill(pid));
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));

	ASSERT_EQ(5, send_str(ch, "after"));
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	ASSERT_EQ(5, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("after", buf);
	close(ch);
}

/* Unbuffered: a killed parked sender's message is not delivered. */
TEST(killed_unbuffered_sender)
{
	char buf[16];
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(0, 16);
	ASSERT_LE(0, ch);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(send_str(ch, "ghost") == 5 ? 0 : 1);
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));
	ASSERT_EQ(256 + SIGKILL, child_kill(pid));

	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(ch, buf, sizeof(buf), 0));
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVED));

	/* A new pair still meets. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(send_str(ch, "alive") == 5 ? 0 : 1);
	ASSERT_EQ(5, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("alive", buf);
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	close(ch);
}

/* Unbuffered: a message is never handed to a killed parked receiver. */
TEST(killed_unbuffered_receiver)
{
	char buf[16];
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(0, 16);
	ASSERT_LE(0, ch);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(cspchan_recv(ch, buf, sizeof(buf)) > 0 ? 0 : 1);
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 1));
	ASSERT_EQ(256 + SIGKILL, child_kill(pid));

	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));
	EXPECT_EQ(-EAGAIN, cspchan_send_timeout(ch, "void", 4, 0));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENT));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(recv_str(ch, buf, sizeof(buf)) == 5);
		CHILD_ASSERT(strcmp(buf, "alive") == 0);
		_exit(0);
	}
	ASSERT_EQ(5, cspchan_send_timeout(ch, "alive", 5, WAIT_MS));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	close(ch);
}

/*
 * Consumers are killed at arbitrary points while a producer streams
 * messages.  Afterwards every message was delivered exactly once: each was
 * recorded by a consumer, except at most one per killed consumer (received
 * but killed before recording it), and the kernel's totals agree.
 */
#define STREAM		10000
#define KILLS		5

TEST(random_kills_lose_nothing)
{
	uint32_t *hits;
	uint32_t seq, missing = 0, dups = 0, mid_stream = 0;
	struct cspchan_stat st;
	pid_t producer, consumer;
	unsigned int k;
	int ch, status;

	REQUIRE_CSPCHAN();
	hits = shared_alloc(STREAM * sizeof(*hits));
	ASSERT_NE(NULL, hits);
	ch = chan_new(4, sizeof(seq));
	ASSERT_LE(0, ch);

	producer = fork_child();
	ASSERT_LE(0, producer);
	if (producer == 0) {
		for (seq = 0; seq < STREAM; seq++)
			CHILD_ASSERT(cspchan_send(ch, &seq, sizeof(seq)) == (ssize_t)sizeof(seq));
		CHILD_ASSERT(cspchan_shutdown(ch) == 0);
		_exit(0);
	}

	for (k = 0; k <= KILLS; k++) {
		consumer = fork_child();
		ASSERT_LE(0, consumer);
		if (consumer == 0) {
			ssize_t n;

			while ((n = cspchan_recv(ch, &seq, sizeof(seq))) == (ssize_t)sizeof(seq)) {
				CHILD_ASSERT(seq < STREAM);
				__atomic_fetch_add(&hits[seq], 1, __ATOMIC_RELAXED);
			}
			_exit(n == 0 ? 0 : 1);
		}
		if (k == KILLS) {
			/* The last consumer drains to the end. */
			EXPECT_EQ(0, child_wait(consumer, 25000));
			break;
		}
		msleep(3 + 4 * k);
		/* Killed, or already done if the stream ended first. */
		status = child_kill(consumer);
		EXPECT_TRUE(status == 256 + SIGKILL || status == 0)
			TH_LOG("consumer %u: status %d", k, status);
		/* Consistent between kills: nothing in flight is half-counted. */
		ASSERT_EQ(0, cspchan_stat(ch, &st));
		EXPECT_EQ(st.sent - st.received, st.depth);
		EXPECT_GE(4U, st.depth);
		if (st.received < STREAM)
			mid_stream++;
	}
	/* The kills did land while messages were flowing. */
	EXPECT_LE(1U, mid_stream);
	EXPECT_EQ(0, child_wait(producer, WAIT_MS));

	for (seq = 0; seq < STREAM; seq++) {
		if (hits[seq] == 0)
			missing++;
		else if (hits[seq] > 1)
			dups++;
	}
	EXPECT_EQ(0U, dups);
	EXPECT_GE((uint32_t)KILLS, missing);
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ((uint64_t)STREAM, st.sent);
	EXPECT_EQ((uint64_t)STREAM, st.received);
	EXPECT_EQ(0U, st.depth);
	EXPECT_EQ(0U, st.receivers_waiting);
	EXPECT_EQ(0U, st.senders_waiting);
	close(ch);
}

TEST_HARNESS_MAIN
