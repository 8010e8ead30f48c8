// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 3.6, wake-ups: one message wakes one blocked receiver, one freed
 * slot wakes one blocked sender, and blocked senders and receivers are
 * served in the order they blocked.
 */
#include "common.h"

#define WAITERS	3

struct results {
	int done[WAITERS];
	ssize_t len[WAITERS];
	char msg[WAITERS][16];
};

static pid_t start_receiver(int ch, struct results *res, unsigned int i)
{
	pid_t pid = fork_child();

	if (pid == 0) {
		res->len[i] = cspchan_recv(ch, res->msg[i], sizeof(res->msg[i]) - 1);
		__atomic_store_n(&res->done[i], 1, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	return pid;
}

static pid_t start_sender(int ch, struct results *res, unsigned int i, const char *msg)
{
	pid_t pid = fork_child();

	if (pid == 0) {
		res->len[i] = send_str(ch, msg);
		__atomic_store_n(&res->done[i], 1, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	return pid;
}

static unsigned int count_done(const struct results *res)
{
	unsigned int i, n = 0;

	for (i = 0; i < WAITERS; i++)
		n += __atomic_load_n(&res->done[i], __ATOMIC_SEQ_CST);
	return n;
}

/* Wait until @want children have reported, at most WAIT_MS. */
static unsigned int wait_done(const struct results *res, unsigned int want)
{
	uint64_t start = now_ns();

	while (count_done(res) < want && ms_since(start) < WAIT_MS)
		msleep(1);
	return count_done(res);
}

static void reap_all(struct __test_metadata *_metadata, pid_t *pids)
{
	unsigned int i;

	for (i = 0; i < WAITERS; i++)
		EXPECT_EQ(0, child_wait(pids[i], WAIT_MS));
}

TEST(one_message_wakes_one_receiver)
{
	struct results *res;
	pid_t pids[WAITERS];
	unsigned int i;
	int ch;

	REQUIRE_CSPCHAN();
	res = shared_alloc(sizeof(*res));
	ASSERT_NE(NULL, res);
	ch = chan_new(4, 16);
	ASSERT_LE(0, ch);
	for (i = 0; i < WAITERS; i++) {
		pids[i] = start_receiver(ch, res, i);
		ASSERT_LE(0, pids[i]);
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, WAITERS));

	for (i = 1; i <= WAITERS; i++) {
		char msg[8];

		snprintf(msg, sizeof(msg), "m%u", i);
		ASSERT_EQ(2, send_str(ch, msg));
		ASSERT_EQ(i, wait_done(res, i));
		msleep(SETTLE_MS);
		/* Exactly i receivers returned; the others still wait. */
		EXPECT_EQ(i, count_done(res));
		EXPECT_EQ(WAITERS - i, chan_get(ch, STAT_RECEIVERS_WAITING));
		EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	}
	reap_all(_metadata, pids);
	for (i = 0; i < WAITERS; i++)
		EXPECT_EQ(2, res->len[i]);
	close(ch);
}

TEST(one_slot_wakes_one_sender)
{
	struct results *res;
	pid_t pids[WAITERS];
	char buf[16];
	unsigned int i;
	int ch;

	REQUIRE_CSPCHAN();
	res = shared_alloc(sizeof(*res));
	ASSERT_NE(NULL, res);
	ch = chan_new(1, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(4, send_str(ch, "full"));
	for (i = 0; i < WAITERS; i++) {
		pids[i] = start_sender(ch, res, i, "s");
		ASSERT_LE(0, pids[i]);
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, WAITERS));

	for (i = 1; i <= WAITERS; i++) {
		ASSERT_LT(0, recv_str(ch, buf, sizeof(buf)));
		ASSERT_EQ(i, wait_done(res, i));
		msleep(SETTLE_MS);
		EXPECT_EQ(i, count_done(res));
		EXPECT_EQ(WAITERS - i, chan_get(ch, STAT_SENDERS_WAITING));
		EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	}
	reap_all(_metadata, pids);
	close(ch);
}

/* Receivers A, B, C block in that order: they get the 1st, 2nd, 3rd message. */
static void receivers_in_order(struct __test_metadata *_metadata, bool paced,
			       unsigned int capacity)
{
	struct results *res;
	pid_t pids[WAITERS];
	unsigned int i;
	int ch;

	res = shared_alloc(sizeof(*res));
	ASSERT_NE(NULL, res);
	ch = chan_new(capacity, 16);
	ASSERT_LE(0, ch);
	for (i = 0; i < WAITERS; i++) {
		pids[i] = start_receiver(ch, res, i);
		ASSERT_LE(0, pids[i]);
		ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, i + 1));
	}
	for (i = 0; i < WAITERS; i++) {
		char msg[8];

		snprintf(msg, sizeof(msg), "%c", 'A' + i);
		ASSERT_EQ(1, cspchan_send_timeout(ch, msg, 1, WAIT_MS));
		if (paced) {
			/* The receiver that blocked first returns first. */
			ASSERT_EQ(0, child_wait(pids[i], WAIT_MS));
			pids[i] = -1;
		}
	}
	for (i = 0; i < WAITERS; i++) {
		if (pids[i] > 0)
			EXPECT_EQ(0, child_wait(pids[i], WAIT_MS));
		EXPECT_EQ(1, res->len[i]);
		EXPECT_EQ('A' + (int)i, res->msg[i][0])
			TH_LOG("receiver %u (blocked %u-th) got \"%s\"", i, i + 1, res->msg[i]);
	}
	close(ch);
}

TEST(receivers_served_in_arrival_order)
{
	REQUIRE_CSPCHAN();
	receivers_in_order(_metadata, true, 4);
}

TEST(receivers_served_in_arrival_order_back_to_back)
{
	REQUIRE_CSPCHAN();
	receivers_in_order(_metadata, false, 4);
}

TEST(unbuffered_receivers_served_in_arrival_order)
{
	REQUIRE_CSPCHAN();
	receivers_in_order(_metadata, false, 0);
}

/* Senders A, B, C block in that order: their messages arrive in that order. */
static void senders_in_order(struct __test_metadata *_metadata, unsigned int capacity)
{
	struct results *res;
	pid_t pids[WAITERS];
	char buf[16];
	unsigned int i;
	int ch;

	res = shared_alloc(sizeof(*res));
	ASSERT_NE(NULL, res);
	ch = chan_new(capacity, 16);
	ASSERT_LE(0, ch);
	for (i = 0; i < capacity; i++)
		ASSERT_EQ(1, send_str(ch, "0"));
	for (i = 0; i < WAITERS; i++) {
		char msg[8];

		snprintf(msg, sizeof(msg), "%c", 'A' + i);
		pids[i] = start_sender(ch, res, i, msg);
		ASSERT_LE(0, pids[i]);
		ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, i + 1));
	}
	for (i = 0; i < capacity; i++) {
		ASSERT_EQ(1, recv_str(ch, buf, sizeof(buf)));
		EXPECT_STREQ("0", buf);
	}
	for (i = 0; i < WAITERS; i++) {
		ASSERT_EQ(1, recv_str(ch, buf, sizeof(buf)));
		EXPECT_EQ('A' + (int)i, buf[0])
			TH_LOG("message %u is \"%s\"", i, buf);
	}
	reap_all(_metadata, pids);
	for (i = 0; i < WAITERS; i++)
		EXPECT_EQ(1, res->len[i]);
	close(ch);
}

TEST(senders_served_in_arrival_order)
{
	REQUIRE_CSPCHAN();
	senders_in_order(_metadata, 1);
}

TEST(unbuffered_senders_served_in_arrival_order)
{
	REQUIRE_CSPCHAN();
	senders_in_order(_metadata, 0);
}

TEST_HARNESS_MAIN
