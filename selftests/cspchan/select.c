// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 3.8, select: cspchan_select() performs exactly one ready case,
 * chosen uniformly at random among the ready ones, and returns its index
 * with the outcome in the case's result (bytes, 0 at end of stream, -EPIPE
 * for a send on a shut-down channel).  Timeout 0 never blocks (EAGAIN),
 * a negative one waits forever, a positive one fails with ETIMEDOUT; a
 * case with descriptor -1 is never ready; handles' O_NONBLOCK is ignored.
 * A signal interrupts the wait (EINTR) with nothing performed.  Selecting
 * on both sides of unbuffered channels never loses or duplicates a
 * message.  Bad case arrays (SPEC 8) are refused with their errno and
 * nothing performed.
 */
#include "common.h"

#include <poll.h>

/* What a case's result holds when the call did not write it. */
#define UNTOUCHED	((ssize_t)-424242)

/* Shared with the children: what their select returned. */
struct outcome {
	int done;		/* the call has returned */
	int handled;		/* signals the child's handler has seen */
	int ret;		/* cspchan_select()'s return value */
	int err;		/* errno after it */
	ssize_t result[4];	/* the cases' results afterwards */
	char msg[4][32];	/* the cases' buffers afterwards */
};

static struct outcome *shared_outcome;

static void count_signal(int sig)
{
	(void)sig;
	__atomic_fetch_add(&shared_outcome->handled, 1, __ATOMIC_SEQ_CST);
}

static struct cspchan_case sel_case(int fd, int op, void *buf, size_t len)
{
	struct cspchan_case c = {
		.fd = fd,
		.op = op,
		.buf = buf,
		.len = len,
		.result = UNTOUCHED,
	};

	return c;
}

static struct cspchan_case recv_case(int fd, char *buf, size_t len)
{
	return sel_case(fd, CSPCHAN_RECV, buf, len);
}

/* A send case for a NUL-free text message. */
static struct cspchan_case send_case(int fd, const char *msg)
{
	return sel_case(fd, CSPCHAN_SEND, (void *)msg, strlen(msg));
}

/*
 * Run cspchan_select() over @cases in a forked child's shared outcome:
 * return value, errno, and every case's result and buffer (up to 4 cases
 * of up to 31 bytes).
 */
static void record_select(struct outcome *out, struct cspchan_case *cases,
			  unsigned int n, int timeout_ms)
{
	unsigned int i;

	errno = 0;
	out->ret = cspchan_select(cases, n, timeout_ms);
	out->err = errno;
	for (i = 0; i < n && i < 4; i++) {
		out->result[i] = cases[i].result;
		if (cases[i].op == CSPCHAN_RECV && cases[i].buf && cases[i].len < 32)
			memcpy(out->msg[i], cases[i].buf, cases[i].len);
	}
	__atomic_store_n(&out->done, 1, __ATOMIC_SEQ_CST);
}

static struct outcome *outcome_new(void)
{
	struct outcome *out = shared_alloc(sizeof(*out));

	if (out) {
		shared_outcome = out;
		for (unsigned int i = 0; i < 4; i++)
			out->result[i] = UNTOUCHED;
	}
	return out;
}

/* The figures a select may change, to check that it changed nothing. */
struct figures {
	unsigned int depth;
	unsigned int senders_waiting;
	unsigned int receivers_waiting;
	int shut;
	uint64_t sent;
	uint64_t received;
};

static int figures_get(int ch, struct figures *f)
{
	struct cspchan_stat st;

	if (cspchan_stat(ch, &st) < 0)
		return -1;
	f->depth = st.depth;
	f->senders_waiting = st.senders_waiting;
	f->receivers_waiting = st.receivers_waiting;
	f->shut = st.shut;
	f->sent = st.sent;
	f->received = st.received;
	return 0;
}

#define EXPECT_FIGURES_UNCHANGED(ch, before) do {			\
	struct figures __now;						\
									\
	ASSERT_EQ(0, figures_get(ch, &__now));				\
	EXPECT_EQ((before).depth, __now.depth);				\
	EXPECT_EQ((before).senders_waiting, __now.senders_waiting);	\
	EXPECT_EQ((before).receivers_waiting, __now.receivers_waiting);	\
	EXPECT_EQ((before).shut, __now.shut);				\
	EXPECT_EQ((before).sent, __now.sent);				\
	EXPECT_EQ((before).received, __now.received);			\
} while (0)

/* ---- exactly one ready case is performed --------------------------------------- */

TEST(only_ready_recv_case_performed)
{
	char ba[16] = "", bb[16] = "", bd[16] = "";
	struct cspchan_case cases[4];
	struct figures fb, fc, fd;
	int a, b, c, d;

	REQUIRE_CSPCHAN();
	a = chan_new(4, 16);		/* holds "a": the only ready case */
	b = chan_new(4, 16);		/* empty: recv not ready */
	c = chan_new(1, 16);		/* full: send not ready */
	d = chan_new(0, 16);		/* unbuffered, nobody there */
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, c);
	ASSERT_LE(0, d);
	ASSERT_EQ(1, send_str(a, "a"));
	ASSERT_EQ(4, send_str(c, "full"));
	ASSERT_EQ(0, figures_get(b, &fb));
	ASSERT_EQ(0, figures_get(c, &fc));
	ASSERT_EQ(0, figures_get(d, &fd));

	cases[0] = recv_case(b, bb, sizeof(bb));
	cases[1] = recv_case(a, ba, sizeof(ba));
	cases[2] = send_case(c, "no");
	cases[3] = recv_case(d, bd, sizeof(bd));
	ASSERT_EQ(1, cspchan_select(cases, 4, 0));
	EXPECT_EQ(1, cases[1].result);
	EXPECT_STREQ("a", ba);
	/* The other cases' results and buffers are left alone. */
	EXPECT_EQ(UNTOUCHED, cases[0].result);
	EXPECT_EQ(UNTOUCHED, cases[2].result);
	EXPECT_EQ(UNTOUCHED, cases[3].result);
	EXPECT_STREQ("", bb);
	EXPECT_STREQ("", bd);

	EXPECT_EQ(0U, chan_get(a, STAT_DEPTH));
	EXPECT_EQ(1U, chan_get(a, STAT_RECEIVED));
	EXPECT_FIGURES_UNCHANGED(b, fb);
	EXPECT_FIGURES_UNCHANGED(c, fc);
	EXPECT_FIGURES_UNCHANGED(d, fd);
	close(a);
	close(b);
	close(c);
	close(d);
}

TEST(only_ready_send_case_delivers)
{
	char empty_buf[16] = "", buf[16];
	struct cspchan_case cases[2];
	int empty, room;

	REQUIRE_CSPCHAN();
	empty = chan_new(2, 16);
	room = chan_new(2, 16);
	ASSERT_LE(0, empty);
	ASSERT_LE(0, room);

	cases[0] = recv_case(empty, empty_buf, sizeof(empty_buf));
	cases[1] = send_case(room, "hello");
	ASSERT_EQ(1, cspchan_select(cases, 2, 0));
	EXPECT_EQ(5, cases[1].result);
	EXPECT_EQ(UNTOUCHED, cases[0].result);

	/* The message arrived, once, in the send case's channel. */
	EXPECT_EQ(1U, chan_get(room, STAT_DEPTH));
	EXPECT_EQ(1U, chan_get(room, STAT_SENT));
	ASSERT_EQ(5, recv_str_timeout(room, buf, sizeof(buf), 0));
	EXPECT_STREQ("hello", buf);
	EXPECT_EQ(0U, chan_get(empty, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(empty, STAT_SENT));
	EXPECT_EQ(0U, chan_get(empty, STAT_RECEIVED));
	close(empty);
	close(room);
}

/* Three ready cases: exactly one of them happens, the one reported. */
TEST(several_ready_exactly_one_performed)
{
	unsigned int round, seen[3] = { 0, 0, 0 };
	char b0[16], b1[16];
	int a, b, c;

	REQUIRE_CSPCHAN();
	a = chan_new(2, 16);
	b = chan_new(2, 16);
	c = chan_new(2, 16);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, c);
	ASSERT_EQ(2, send_str(a, "ma"));
	ASSERT_EQ(2, send_str(b, "mb"));

	for (round = 0; round < 60; round++) {
		struct cspchan_case cases[3];
		unsigned int da, db, dc;
		int i;

		memset(b0, 0, sizeof(b0));
		memset(b1, 0, sizeof(b1));
		cases[0] = recv_case(a, b0, sizeof(b0));
		cases[1] = recv_case(b, b1, sizeof(b1));
		cases[2] = send_case(c, "mc");
		i = cspchan_select(cases, 3, 0);
		ASSERT_TRUE(i >= 0 && i < 3) TH_LOG("select returned %d", i);
		seen[i]++;
		EXPECT_EQ(2, cases[i].result);
		for (int k = 0; k < 3; k++)
			if (k != i)
				EXPECT_EQ(UNTOUCHED, cases[k].result);

		da = chan_get(a, STAT_DEPTH);
		db = chan_get(b, STAT_DEPTH);
		dc = chan_get(c, STAT_DEPTH);
		/* Only the chosen case's channel changed. */
		EXPECT_EQ(i == 0 ? 0U : 1U, da);
		EXPECT_EQ(i == 1 ? 0U : 1U, db);
		EXPECT_EQ(i == 2 ? 1U : 0U, dc);
		if (i == 0)
			EXPECT_STREQ("ma", b0);
		if (i == 1)
			EXPECT_STREQ("mb", b1);

		/* Put things back as they were. */
		if (i == 0)
			ASSERT_EQ(2, send_str(a, "ma"));
		if (i == 1)
			ASSERT_EQ(2, send_str(b, "mb"));
		if (i == 2)
			ASSERT_EQ(2, recv_str_timeout(c, b0, sizeof(b0), 0));
	}
	/* 60 rounds: each case chosen at least once (miss chance ~1e-10). */
	EXPECT_LT(0U, seen[0]);
	EXPECT_LT(0U, seen[1]);
	EXPECT_LT(0U, seen[2]);
	EXPECT_EQ(0U + seen[0] + seen[1], chan_get(a, STAT_RECEIVED) + chan_get(b, STAT_RECEIVED));
	EXPECT_EQ(seen[2], chan_get(c, STAT_SENT));
	close(a);
	close(b);
	close(c);
}

/* ---- fairness: uniformly random among the ready cases ---------------------------- */

#define FAIR_ROUNDS	1000U
/* Each of two always-ready cases: between 40% and 60% of the rounds. */
#define FAIR_MIN	(FAIR_ROUNDS * 40 / 100)
#define FAIR_MAX	(FAIR_ROUNDS * 60 / 100)

TEST(fair_between_two_ready_receives)
{
	unsigned int round, count[2] = { 0, 0 };
	char b0[8], b1[8];
	int a, b;

	REQUIRE_CSPCHAN();
	a = chan_new(2, 8);
	b = chan_new(2, 8);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(1, send_str(a, "A"));
	ASSERT_EQ(1, send_str(b, "B"));

	for (round = 0; round < FAIR_ROUNDS; round++) {
		struct cspchan_case cases[2] = {
			recv_case(a, b0, sizeof(b0)),
			recv_case(b, b1, sizeof(b1)),
		};
		int i = cspchan_select(cases, 2, 0);

		ASSERT_TRUE(i == 0 || i == 1) TH_LOG("round %u: select returned %d", round, i);
		ASSERT_EQ(1, cases[i].result);
		ASSERT_EQ(i == 0 ? 'A' : 'B', ((char *)cases[i].buf)[0]);
		count[i]++;
		/* Refill: both channels always hold one message. */
		ASSERT_EQ(1, send_str(i == 0 ? a : b, i == 0 ? "A" : "B"));
	}
	TH_LOG("case 0: %u, case 1: %u of %u", count[0], count[1], FAIR_ROUNDS);
	EXPECT_LE(FAIR_MIN, count[0]);
	EXPECT_GE(FAIR_MAX, count[0]);
	EXPECT_LE(FAIR_MIN, count[1]);
	EXPECT_GE(FAIR_MAX, count[1]);
	EXPECT_EQ(count[0], chan_get(a, STAT_RECEIVED));
	EXPECT_EQ(count[1], chan_get(b, STAT_RECEIVED));
	EXPECT_EQ(1U, chan_get(a, STAT_DEPTH));
	EXPECT_EQ(1U, chan_get(b, STAT_DEPTH));
	close(a);
	close(b);
}

/* ---- priority select (SPEC 10) ------------------------------------------------------------ */

TEST(prio_feature_advertised)
{
	struct cspchan_features f;

	REQUIRE_CSPCHAN();
	ASSERT_EQ(0, chan_features(&f));
	EXPECT_NE(0ULL, f.features & CSPCHAN_FEAT_SELECT_PRIO);
}

/* Among ready cases, the lowest index wins, every time. */
TEST(prio_lowest_ready_index_wins)
{
	char b[3][8];
	unsigned int round;
	int ch[3], k;

	REQUIRE_CSPCHAN();
	for (k = 0; k < 3; k++) {
		ch[k] = chan_new(2, 8);
		ASSERT_LE(0, ch[k]);
		ASSERT_EQ(1, send_str(ch[k], "x"));
	}
	for (round = 0; round < FAIR_ROUNDS; round++) {
		struct cspchan_case cases[3] = {
			recv_case(ch[0], b[0], sizeof(b[0])),
			recv_case(ch[1], b[1], sizeof(b[1])),
			recv_case(ch[2], b[2], sizeof(b[2])),
		};

		ASSERT_EQ(0, cspchan_select_prio(cases, 3, 0)) TH_LOG("round %u", round);
		ASSERT_EQ(1, cases[0].result);
		ASSERT_EQ(1, send_str(ch[0], "x"));
	}
	EXPECT_EQ(FAIR_ROUNDS, chan_get(ch[0], STAT_RECEIVED));
	EXPECT_EQ(0U, chan_get(ch[1], STAT_RECEIVED));
	EXPECT_EQ(0U, chan_get(ch[2], STAT_RECEIVED));
	for (k = 0; k < 3; k++)
		close(ch[k]);
}

/* A case that is not ready is skipped: the next ready index wins. */
TEST(prio_skips_cases_not_ready)
{
	char b[3][8], out[8] = "s";
	struct cspchan_case four[4], two[2];
	int e, full, ready;

	REQUIRE_CSPCHAN();
	e = chan_new(2, 8);		/* empty: its receive case is not ready */
	full = chan_new(1, 8);		/* full: its send case is not ready */
	ready = chan_new(2, 8);
	ASSERT_LE(0, e);
	ASSERT_LE(0, full);
	ASSERT_LE(0, ready);
	ASSERT_EQ(1, send_str(full, "f"));
	ASSERT_EQ(1, send_str(ready, "r"));
	four[0] = recv_case(e, b[0], sizeof(b[0]));
	four[1] = sel_case(full, CSPCHAN_SEND, out, 1);
	four[2] = sel_case(-1, CSPCHAN_RECV, b[1], sizeof(b[1]));
	four[3] = recv_case(ready, b[2], sizeof(b[2]));
	EXPECT_EQ(3, cspchan_select_prio(four, 4, 0));
	EXPECT_EQ(1, four[3].result);
	EXPECT_EQ('r', b[2][0]);

	/* A ready send case before a ready receive case wins too. */
	ASSERT_EQ(1, send_str(ready, "r"));
	two[0] = sel_case(e, CSPCHAN_SEND, out, 1);
	two[1] = recv_case(ready, b[2], sizeof(b[2]));
	EXPECT_EQ(0, cspchan_select_prio(two, 2, 0));
	EXPECT_EQ(1, two[0].result);
	EXPECT_EQ(1U, chan_get(e, STAT_DEPTH));
	EXPECT_EQ(1U, chan_get(ready, STAT_DEPTH));
	EXPECT_EQ(1U, chan_get(full, STAT_DEPTH));
	close(e);
	close(full);
	close(ready);
}

/* With nothing ready it waits like select: the case that becomes ready wins. */
TEST(prio_blocked_woken_by_later_case)
{
	char b[2][8];
	struct cspchan_case cases[2];
	int a, c;
	pid_t pid;

	REQUIRE_CSPCHAN();
	a = chan_new(2, 8);
	c = chan_new(2, 8);
	ASSERT_LE(0, a);
	ASSERT_LE(0, c);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		usleep(100 * 1000);
		_exit(send_str(c, "w") == 1 ? 0 : 1);
	}
	cases[0] = recv_case(a, b[0], sizeof(b[0]));
	cases[1] = recv_case(c, b[1], sizeof(b[1]));
	EXPECT_EQ(1, cspchan_select_prio(cases, 2, 5000));
	EXPECT_EQ(1, cases[1].result);
	EXPECT_EQ('w', b[1][0]);
	EXPECT_EQ(0, child_wait(pid, 5000));
	EXPECT_EQ(0U, chan_get(a, STAT_RECEIVED));
	close(a);
	close(c);
}

/* The library checks its arguments as cspchan_select() does. */
TEST(prio_bad_arguments)
{
	struct cspchan_case one;

	REQUIRE_CSPCHAN();
	errno = 0;
	EXPECT_EQ(-EINVAL, cspchan_select_prio(NULL, 1, 0));
	EXPECT_EQ(EINVAL, errno);
	one = sel_case(-1, CSPCHAN_RECV, NULL, 0);
	EXPECT_EQ(-EINVAL, cspchan_select_prio(&one, 0, 0));
	EXPECT_EQ(-EAGAIN, cspchan_select_prio(&one, 1, 0));
}

TEST(fair_between_ready_send_and_ready_receive)
{
	unsigned int round, count[2] = { 0, 0 };
	char buf[8];
	int in, out;

	REQUIRE_CSPCHAN();
	in = chan_new(2, 8);		/* always holds one message */
	out = chan_new(2, 8);		/* always has room */
	ASSERT_LE(0, in);
	ASSERT_LE(0, out);
	ASSERT_EQ(1, send_str(in, "i"));

	for (round = 0; round < FAIR_ROUNDS; round++) {
		struct cspchan_case cases[2] = {
			recv_case(in, buf, sizeof(buf)),
			send_case(out, "o"),
		};
		int i = cspchan_select(cases, 2, 0);

		ASSERT_TRUE(i == 0 || i == 1) TH_LOG("round %u: select returned %d", round, i);
		ASSERT_EQ(1, cases[i].result);
		count[i]++;
		if (i == 0) {
			ASSERT_EQ('i', buf[0]);
			ASSERT_EQ(1, send_str(in, "i"));
		} else {
			ASSERT_EQ(1, recv_str_timeout(out, buf, sizeof(buf), 0));
			ASSERT_EQ('o', buf[0]);
		}
	}
	TH_LOG("receive: %u, send: %u of %u", count[0], count[1], FAIR_ROUNDS);
	EXPECT_LE(FAIR_MIN, count[0]);
	EXPECT_GE(FAIR_MAX, count[0]);
	EXPECT_LE(FAIR_MIN, count[1]);
	EXPECT_GE(FAIR_MAX, count[1]);
	EXPECT_EQ(count[0], chan_get(in, STAT_RECEIVED));
	EXPECT_EQ(count[1], chan_get(out, STAT_SENT));
	close(in);
	close(out);
}

/* Cases that are not ready (nil, empty, full) take no share. */
TEST(fair_among_ready_cases_only)
{
	unsigned int round, count[5] = { 0, 0, 0, 0, 0 };
	char buf[5][8];
	int a, b, empty, full;

	REQUIRE_CSPCHAN();
	a = chan_new(2, 8);
	b = chan_new(2, 8);
	empty = chan_new(2, 8);
	full = chan_new(1, 8);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, empty);
	ASSERT_LE(0, full);
	ASSERT_EQ(1, send_str(a, "A"));
	ASSERT_EQ(1, send_str(b, "B"));
	ASSERT_EQ(1, send_str(full, "F"));

	for (round = 0; round < FAIR_ROUNDS; round++) {
		struct cspchan_case cases[5] = {
			recv_case(-1, buf[0], sizeof(buf[0])),
			recv_case(a, buf[1], sizeof(buf[1])),
			recv_case(empty, buf[2], sizeof(buf[2])),
			send_case(full, "x"),
			recv_case(b, buf[4], sizeof(buf[4])),
		};
		int i = cspchan_select(cases, 5, 0);

		ASSERT_TRUE(i == 1 || i == 4) TH_LOG("round %u: select returned %d", round, i);
		ASSERT_EQ(1, cases[i].result);
		count[i]++;
		ASSERT_EQ(1, send_str(i == 1 ? a : b, i == 1 ? "A" : "B"));
	}
	TH_LOG("a: %u, b: %u of %u", count[1], count[4], FAIR_ROUNDS);
	EXPECT_LE(FAIR_MIN, count[1]);
	EXPECT_GE(FAIR_MAX, count[1]);
	EXPECT_LE(FAIR_MIN, count[4]);
	EXPECT_GE(FAIR_MAX, count[4]);
	EXPECT_EQ(0U, chan_get(empty, STAT_RECEIVED));
	EXPECT_EQ(1U, chan_get(full, STAT_SENT));
	EXPECT_EQ(1U, chan_get(full, STAT_DEPTH));
	close(a);
	close(b);
	close(empty);
	close(full);
}

/* ---- timeouts ----------------------------------------------------------------- */

/* Timeout 0 is Go's default branch: EAGAIN at once, nothing performed. */
TEST(timeout_zero_nothing_ready_eagain)
{
	char b0[16] = "", b1[16] = "";
	struct cspchan_case cases[5];
	struct figures f[4];
	int ch[4];
	uint64_t start;
	int i;

	REQUIRE_CSPCHAN();
	ch[0] = chan_new(2, 16);	/* empty */
	ch[1] = chan_new(1, 16);	/* full */
	ch[2] = chan_new(0, 16);	/* unbuffered, nobody sending */
	ch[3] = chan_new(0, 16);	/* unbuffered, nobody receiving */
	for (i = 0; i < 4; i++)
		ASSERT_LE(0, ch[i]);
	ASSERT_EQ(1, send_str(ch[1], "F"));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, figures_get(ch[i], &f[i]));

	cases[0] = recv_case(ch[0], b0, sizeof(b0));
	cases[1] = send_case(ch[1], "x");
	cases[2] = recv_case(ch[2], b1, sizeof(b1));
	cases[3] = send_case(ch[3], "y");
	cases[4] = recv_case(-1, b1, sizeof(b1));
	start = now_ns();
	errno = 0;
	EXPECT_EQ(-EAGAIN, cspchan_select(cases, 5, 0));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_GT(1000U, ms_since(start));
	for (i = 0; i < 5; i++)
		EXPECT_EQ(UNTOUCHED, cases[i].result);
	EXPECT_STREQ("", b0);
	EXPECT_STREQ("", b1);
	for (i = 0; i < 4; i++)
		EXPECT_FIGURES_UNCHANGED(ch[i], f[i]);

	/* Nothing was left behind: the unbuffered send finds no taker. */
	EXPECT_EQ(-EAGAIN, cspchan_send_timeout(ch[2], "z", 1, 0));
	for (i = 0; i < 4; i++)
		close(ch[i]);
}

TEST(timeout_positive_etimedout)
{
	char buf[16] = "";
	struct cspchan_case cases[2];
	struct figures fe, ff;
	uint64_t start, elapsed;
	int empty, full;

	REQUIRE_CSPCHAN();
	empty = chan_new(2, 16);
	full = chan_new(1, 16);
	ASSERT_LE(0, empty);
	ASSERT_LE(0, full);
	ASSERT_EQ(1, send_str(full, "F"));
	ASSERT_EQ(0, figures_get(empty, &fe));
	ASSERT_EQ(0, figures_get(full, &ff));

	cases[0] = recv_case(empty, buf, sizeof(buf));
	cases[1] = send_case(full, "x");
	start = now_ns();
	errno = 0;
	EXPECT_EQ(-ETIMEDOUT, cspchan_select(cases, 2, 100));
	elapsed = ms_since(start);
	EXPECT_EQ(ETIMEDOUT, errno);
	TH_LOG("timed out after %" PRIu64 " ms", elapsed);
	EXPECT_LE(100U, elapsed);
	EXPECT_GT(2000U, elapsed);
	EXPECT_EQ(UNTOUCHED, cases[0].result);
	EXPECT_EQ(UNTOUCHED, cases[1].result);
	/* Not a waiter any more, and nothing moved. */
	EXPECT_FIGURES_UNCHANGED(empty, fe);
	EXPECT_FIGURES_UNCHANGED(full, ff);
	close(empty);
	close(full);
}

/* Negative: waits as long as it takes; a child sends 100 ms after it parked. */
TEST(timeout_negative_waits_forever)
{
	char b0[16] = "", b1[16] = "";
	struct cspchan_case cases[2];
	uint64_t start, elapsed;
	int a, b;
	pid_t pid;

	REQUIRE_CSPCHAN();
	a = chan_new(2, 16);
	b = chan_new(2, 16);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(wait_stat(a, STAT_RECEIVERS_WAITING, 1) == 0);
		CHILD_ASSERT(wait_stat(b, STAT_RECEIVERS_WAITING, 1) == 0);
		msleep(100);
		CHILD_ASSERT(send_str(b, "late") == 4);
		_exit(0);
	}
	cases[0] = recv_case(a, b0, sizeof(b0));
	cases[1] = recv_case(b, b1, sizeof(b1));
	start = now_ns();
	EXPECT_EQ(1, cspchan_select(cases, 2, -1));
	elapsed = ms_since(start);
	EXPECT_EQ(4, cases[1].result);
	EXPECT_STREQ("late", b1);
	EXPECT_EQ(UNTOUCHED, cases[0].result);
	EXPECT_LE(100U, elapsed);
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(0U, chan_get(a, STAT_RECEIVERS_WAITING));
	EXPECT_EQ(0U, chan_get(b, STAT_RECEIVERS_WAITING));
	EXPECT_EQ(0U, chan_get(a, STAT_RECEIVED));
	EXPECT_EQ(0U, chan_get(b, STAT_DEPTH));

	/* A message sent to the other channel now stays there. */
	ASSERT_EQ(1, send_str(a, "k"));
	EXPECT_EQ(1U, chan_get(a, STAT_DEPTH));
	close(a);
	close(b);
}

/* ---- descriptor -1: never ready --------------------------------------------------- */

TEST(nil_case_never_ready)
{
	char buf[16], other[16];
	struct cspchan_case cases[2];
	uint64_t start, elapsed;
	unsigned int round;
	int ch;

	REQUIRE_CSPCHAN();
	cases[0] = recv_case(-1, buf, sizeof(buf));
	start = now_ns();
	errno = 0;
	EXPECT_EQ(-ETIMEDOUT, cspchan_select(cases, 1, 50));
	elapsed = ms_since(start);
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_LE(50U, elapsed);
	EXPECT_GT(2000U, elapsed);
	EXPECT_EQ(UNTOUCHED, cases[0].result);

	cases[0] = send_case(-1, "x");
	errno = 0;
	EXPECT_EQ(-EAGAIN, cspchan_select(cases, 1, 0));
	EXPECT_EQ(EAGAIN, errno);

	/* Beside a ready channel, the nil case is never chosen. */
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(1, send_str(ch, "r"));
	for (round = 0; round < 50; round++) {
		cases[0] = recv_case(-1, other, sizeof(other));
		cases[1] = recv_case(ch, buf, sizeof(buf));
		ASSERT_EQ(1, cspchan_select(cases, 2, round % 2 ? 0 : -1));
		ASSERT_EQ(1, cases[1].result);
		ASSERT_EQ(UNTOUCHED, cases[0].result);
		ASSERT_EQ(1, send_str(ch, "r"));
		cases[0] = send_case(-1, "nil");
		cases[1] = recv_case(ch, buf, sizeof(buf));
		ASSERT_EQ(1, cspchan_select(cases, 2, 0));
		ASSERT_EQ(1, send_str(ch, "r"));
	}
	EXPECT_EQ(100U, chan_get(ch, STAT_RECEIVED));
	close(ch);
}

/* max_select_cases cases, all nil but the last: accepted, the last chosen. */
TEST(max_cases_accepted)
{
	struct cspchan_features f;
	struct cspchan_case *cases;
	char buf[16];
	unsigned int i;
	int ch;

	REQUIRE_CSPCHAN();
	ASSERT_EQ(0, cspchan_features(&f));
	ASSERT_NE(0ULL, f.features & CSPCHAN_FEAT_SELECT);
	ASSERT_LE(2U, f.max_select_cases);
	TH_LOG("max_select_cases %u", f.max_select_cases);
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(4, send_str(ch, "last"));
	cases = calloc(f.max_select_cases, sizeof(*cases));
	ASSERT_NE(NULL, cases);
	for (i = 0; i < f.max_select_cases; i++)
		cases[i] = recv_case(-1, buf, sizeof(buf));
	cases[f.max_select_cases - 1].fd = ch;
	EXPECT_EQ((int)f.max_select_cases - 1, cspchan_select(cases, f.max_select_cases, 0));
	EXPECT_EQ(4, cases[f.max_select_cases - 1].result);
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	free(cases);
	close(ch);
}

/* ---- shut-down channels ------------------------------------------------------------ */

TEST(shut_drained_receive_end_of_stream)
{
	char buf[16] = "", other[16] = "";
	struct cspchan_case cases[2];
	int shut, empty;

	REQUIRE_CSPCHAN();
	shut = chan_new(2, 16);
	empty = chan_new(2, 16);
	ASSERT_LE(0, shut);
	ASSERT_LE(0, empty);
	ASSERT_EQ(0, cspchan_shutdown(shut));

	/* Ready at once (timeout 0) and again: end of stream is not consumed. */
	for (int round = 0; round < 3; round++) {
		cases[0] = recv_case(empty, other, sizeof(other));
		cases[1] = recv_case(shut, buf, sizeof(buf));
		ASSERT_EQ(1, cspchan_select(cases, 2, round == 1 ? -1 : 0));
		EXPECT_EQ(0, cases[1].result);
		EXPECT_EQ(UNTOUCHED, cases[0].result);
	}
	EXPECT_EQ(0U, chan_get(shut, STAT_RECEIVED));
	EXPECT_EQ(0U, chan_get(empty, STAT_RECEIVERS_WAITING));
	close(shut);
	close(empty);
}

TEST(shut_receive_drains_first)
{
	char buf[16] = "";
	struct cspchan_case cases[1];
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(5, send_str(ch, "first"));
	ASSERT_EQ(4, send_str(ch, "last"));
	ASSERT_EQ(0, cspchan_shutdown(ch));

	cases[0] = recv_case(ch, buf, sizeof(buf));
	ASSERT_EQ(0, cspchan_select(cases, 1, 0));
	EXPECT_EQ(5, cases[0].result);
	EXPECT_EQ(0, memcmp(buf, "first", 5));
	memset(buf, 0, sizeof(buf));
	cases[0] = recv_case(ch, buf, sizeof(buf));
	ASSERT_EQ(0, cspchan_select(cases, 1, -1));
	EXPECT_EQ(4, cases[0].result);
	EXPECT_STREQ("last", buf);
	cases[0] = recv_case(ch, buf, sizeof(buf));
	ASSERT_EQ(0, cspchan_select(cases, 1, 0));
	EXPECT_EQ(0, cases[0].result);
	EXPECT_EQ(2U, chan_get(ch, STAT_RECEIVED));
	close(ch);
}

/* SIGPIPE is left at its default in the child: it would die of it if raised. */
TEST(shut_send_epipe_without_sigpipe)
{
	struct outcome *out;
	pid_t pid;
	int buffered, unbuffered, empty;

	REQUIRE_CSPCHAN();
	out = outcome_new();
	ASSERT_NE(NULL, out);
	buffered = chan_new(2, 16);
	unbuffered = chan_new(0, 16);
	empty = chan_new(2, 16);
	ASSERT_LE(0, buffered);
	ASSERT_LE(0, unbuffered);
	ASSERT_LE(0, empty);
	ASSERT_EQ(0, cspchan_shutdown(buffered));
	ASSERT_EQ(0, cspchan_shutdown(unbuffered));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[16];
		struct cspchan_case cases[2];

		signal(SIGPIPE, SIG_DFL);
		cases[0] = recv_case(empty, buf, sizeof(buf));
		cases[1] = send_case(buffered, "no");
		CHILD_ASSERT(cspchan_select(cases, 2, 0) == 1);
		CHILD_ASSERT(cases[1].result == -EPIPE);
		CHILD_ASSERT(cases[0].result == UNTOUCHED);
		cases[0] = recv_case(empty, buf, sizeof(buf));
		cases[1] = send_case(unbuffered, "no");
		CHILD_ASSERT(cspchan_select(cases, 2, -1) == 1);
		CHILD_ASSERT(cases[1].result == -EPIPE);
		_exit(0);
	}
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(0U, chan_get(buffered, STAT_SENT));
	EXPECT_EQ(0U, chan_get(buffered, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(unbuffered, STAT_SENT));
	EXPECT_EQ(0U, chan_get(empty, STAT_RECEIVED));
	close(buffered);
	close(unbuffered);
	close(empty);
}

/* ---- blocking select woken by another process --------------------------------------- */

TEST(blocked_select_woken_by_send)
{
	char b0[16] = "", b1[16] = "";
	struct cspchan_case cases[2];
	int a, u;
	pid_t pid;

	REQUIRE_CSPCHAN();
	a = chan_new(2, 16);
	u = chan_new(0, 16);		/* unbuffered: the sender hands over */
	ASSERT_LE(0, a);
	ASSERT_LE(0, u);

	/* Buffered. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(wait_stat(a, STAT_RECEIVERS_WAITING, 1) == 0);
		CHILD_ASSERT(wait_stat(u, STAT_RECEIVERS_WAITING, 1) == 0);
		CHILD_ASSERT(send_str(a, "buf") == 3);
		_exit(0);
	}
	cases[0] = recv_case(a, b0, sizeof(b0));
	cases[1] = recv_case(u, b1, sizeof(b1));
	EXPECT_EQ(0, cspchan_select(cases, 2, -1));
	EXPECT_EQ(3, cases[0].result);
	EXPECT_STREQ("buf", b0);
	EXPECT_EQ(UNTOUCHED, cases[1].result);
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));

	/* Unbuffered. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(wait_stat(a, STAT_RECEIVERS_WAITING, 1) == 0);
		CHILD_ASSERT(wait_stat(u, STAT_RECEIVERS_WAITING, 1) == 0);
		CHILD_ASSERT(send_str(u, "hand") == 4);
		_exit(0);
	}
	memset(b0, 0, sizeof(b0));
	cases[0] = recv_case(a, b0, sizeof(b0));
	cases[1] = recv_case(u, b1, sizeof(b1));
	EXPECT_EQ(1, cspchan_select(cases, 2, 10 * WAIT_MS));
	EXPECT_EQ(4, cases[1].result);
	EXPECT_STREQ("hand", b1);
	EXPECT_EQ(UNTOUCHED, cases[0].result);
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));

	EXPECT_EQ(0U, chan_get(a, STAT_RECEIVERS_WAITING));
	EXPECT_EQ(0U, chan_get(u, STAT_RECEIVERS_WAITING));
	EXPECT_EQ(1U, chan_get(a, STAT_RECEIVED));
	EXPECT_EQ(1U, chan_get(u, STAT_RECEIVED));
	/* The select left no waiter behind: a message to a stays queued. */
	ASSERT_EQ(1, send_str(a, "q"));
	EXPECT_EQ(1U, chan_get(a, STAT_DEPTH));
	close(a);
	close(u);
}

/* A select blocked on send cases: a receive elsewhere lets one through. */
TEST(blocked_select_woken_by_receive)
{
	char buf[16], other[16];
	struct cspchan_case cases[2];
	int full, u;
	pid_t pid;

	REQUIRE_CSPCHAN();
	full = chan_new(1, 16);
	u = chan_new(0, 16);
	ASSERT_LE(0, full);
	ASSERT_LE(0, u);
	ASSERT_EQ(3, send_str(full, "old"));

	/* A slot frees up in the buffered channel. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(wait_stat(full, STAT_SENDERS_WAITING, 1) == 0);
		CHILD_ASSERT(wait_stat(u, STAT_SENDERS_WAITING, 1) == 0);
		CHILD_ASSERT(recv_str(full, buf, sizeof(buf)) == 3);
		CHILD_ASSERT(strcmp(buf, "old") == 0);
		_exit(0);
	}
	cases[0] = send_case(full, "new");
	cases[1] = send_case(u, "unbuf");
	EXPECT_EQ(0, cspchan_select(cases, 2, -1));
	EXPECT_EQ(3, cases[0].result);
	EXPECT_EQ(UNTOUCHED, cases[1].result);
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(1U, chan_get(full, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(full, STAT_SENDERS_WAITING));
	EXPECT_EQ(0U, chan_get(u, STAT_SENDERS_WAITING));
	ASSERT_EQ(3, recv_str_timeout(full, buf, sizeof(buf), 0));
	EXPECT_STREQ("new", buf);
	/* Nothing was offered on the unbuffered channel. */
	EXPECT_EQ(-EAGAIN, recv_str_timeout(u, other, sizeof(other), 0));

	/* A receiver arrives on the unbuffered channel. */
	ASSERT_EQ(3, send_str(full, "old"));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(wait_stat(full, STAT_SENDERS_WAITING, 1) == 0);
		CHILD_ASSERT(wait_stat(u, STAT_SENDERS_WAITING, 1) == 0);
		CHILD_ASSERT(recv_str(u, buf, sizeof(buf)) == 5);
		CHILD_ASSERT(strcmp(buf, "unbuf") == 0);
		_exit(0);
	}
	cases[0] = send_case(full, "new");
	cases[1] = send_case(u, "unbuf");
	EXPECT_EQ(1, cspchan_select(cases, 2, 10 * WAIT_MS));
	EXPECT_EQ(5, cases[1].result);
	EXPECT_EQ(UNTOUCHED, cases[0].result);
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(1U, chan_get(full, STAT_DEPTH));
	EXPECT_EQ(3U, chan_get(full, STAT_SENT));	/* "old" twice, "new" once */
	EXPECT_EQ(0U, chan_get(full, STAT_SENDERS_WAITING));
	EXPECT_EQ(0U, chan_get(u, STAT_SENDERS_WAITING));
	EXPECT_EQ(1U, chan_get(u, STAT_RECEIVED));
	ASSERT_EQ(3, recv_str_timeout(full, buf, sizeof(buf), 0));
	EXPECT_STREQ("old", buf);
	close(full);
	close(u);
}

TEST(blocked_select_woken_by_shutdown)
{
	char b0[16] = "", b1[16] = "";
	struct cspchan_case cases[2];
	int a, b;
	pid_t pid;

	REQUIRE_CSPCHAN();
	a = chan_new(2, 16);
	b = chan_new(0, 16);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(wait_stat(a, STAT_RECEIVERS_WAITING, 1) == 0);
		CHILD_ASSERT(wait_stat(b, STAT_RECEIVERS_WAITING, 1) == 0);
		CHILD_ASSERT(cspchan_shutdown(b) == 0);
		_exit(0);
	}
	cases[0] = recv_case(a, b0, sizeof(b0));
	cases[1] = recv_case(b, b1, sizeof(b1));
	EXPECT_EQ(1, cspchan_select(cases, 2, -1));
	EXPECT_EQ(0, cases[1].result);
	EXPECT_EQ(UNTOUCHED, cases[0].result);
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(1U, chan_get(b, STAT_SHUT));
	/* The other channel is untouched and has no waiter left. */
	EXPECT_EQ(0U, chan_get(a, STAT_SHUT));
	EXPECT_EQ(0U, chan_get(a, STAT_RECEIVERS_WAITING));
	ASSERT_EQ(1, send_str(a, "k"));
	EXPECT_EQ(1U, chan_get(a, STAT_DEPTH));

	/* A send case blocked on a full channel is woken with -EPIPE. */
	ASSERT_EQ(1, send_str(a, "l"));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(wait_stat(a, STAT_SENDERS_WAITING, 1) == 0);
		CHILD_ASSERT(cspchan_shutdown(a) == 0);
		_exit(0);
	}
	signal(SIGPIPE, SIG_DFL);
	cases[0] = send_case(a, "m");
	cases[1] = recv_case(-1, b1, sizeof(b1));
	EXPECT_EQ(0, cspchan_select(cases, 2, -1));
	EXPECT_EQ(-EPIPE, cases[0].result);
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(2U, chan_get(a, STAT_DEPTH));
	EXPECT_EQ(2U, chan_get(a, STAT_SENT));
	close(a);
	close(b);
}

/* ---- signals: EINTR, nothing performed, nothing lost ---------------------------------- */

FIXTURE(signals) {
	struct outcome *out;
	int empty;		/* recv case: nothing to receive */
	int full;		/* send case: holds "keep", no room */
	pid_t pid;
};

FIXTURE_VARIANT(signals) {
	int timeout_ms;
};

FIXTURE_VARIANT_ADD(signals, forever) {
	.timeout_ms = -1,
};

FIXTURE_VARIANT_ADD(signals, timeout) {
	.timeout_ms = 60000,
};

FIXTURE_SETUP(signals)
{
	REQUIRE_CSPCHAN();
	self->out = outcome_new();
	ASSERT_NE(NULL, self->out);
	self->empty = chan_new(2, 16);
	self->full = chan_new(1, 16);
	ASSERT_LE(0, self->empty);
	ASSERT_LE(0, self->full);
	ASSERT_EQ(4, send_str(self->full, "keep"));
	self->pid = -1;
}

FIXTURE_TEARDOWN(signals)
{
	if (self->pid > 0 && child_running(self->pid))
		child_kill(self->pid);
	close(self->empty);
	close(self->full);
}

/* A child with a SIGUSR1 handler (no SA_RESTART) blocked in select. */
static pid_t select_child(FIXTURE_DATA(signals) *self, int timeout_ms, bool nil_only)
{
	pid_t pid = fork_child();

	if (pid == 0) {
		struct cspchan_case cases[2];
		struct sigaction sa;
		char buf[32] = "";

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = count_signal;
		sa.sa_flags = 0;
		CHILD_ASSERT(sigaction(SIGUSR1, &sa, NULL) == 0);
		if (nil_only) {
			cases[0] = recv_case(-1, buf, sizeof(buf));
			cases[1] = send_case(-1, "x");
		} else {
			cases[0] = recv_case(self->empty, buf, sizeof(buf));
			cases[1] = send_case(self->full, "more");
		}
		__atomic_store_n(&self->out->ret, 1, __ATOMIC_SEQ_CST);	/* about to select */
		record_select(self->out, cases, 2, timeout_ms);
		_exit(0);
	}
	return pid;
}

TEST_F(signals, interrupted_eintr_nothing_performed)
{
	char buf[16];

	self->pid = select_child(self, variant->timeout_ms, false);
	ASSERT_LE(0, self->pid);
	ASSERT_EQ(0, wait_stat(self->empty, STAT_RECEIVERS_WAITING, 1));
	ASSERT_EQ(0, wait_stat(self->full, STAT_SENDERS_WAITING, 1));

	ASSERT_EQ(0, kill(self->pid, SIGUSR1));
	ASSERT_EQ(0, child_wait(self->pid, WAIT_MS));
	EXPECT_EQ(1, self->out->handled);
	EXPECT_EQ(1, self->out->done);
	EXPECT_EQ(-EINTR, self->out->ret);
	EXPECT_EQ(EINTR, self->out->err);
	EXPECT_EQ(UNTOUCHED, self->out->result[0]);
	EXPECT_EQ(UNTOUCHED, self->out->result[1]);

	/* No waiter left behind, nothing sent or received. */
	EXPECT_EQ(0U, chan_get(self->empty, STAT_RECEIVERS_WAITING));
	EXPECT_EQ(0U, chan_get(self->full, STAT_SENDERS_WAITING));
	EXPECT_EQ(0U, chan_get(self->empty, STAT_RECEIVED));
	EXPECT_EQ(1U, chan_get(self->full, STAT_SENT));
	EXPECT_EQ(1U, chan_get(self->full, STAT_DEPTH));

	/* A message sent now is not swallowed by the interrupted select. */
	ASSERT_EQ(5, send_str(self->empty, "later"));
	EXPECT_EQ(1U, chan_get(self->empty, STAT_DEPTH));
	ASSERT_EQ(5, recv_str(self->empty, buf, sizeof(buf)));
	EXPECT_STREQ("later", buf);
	/* The full channel still holds exactly its message. */
	ASSERT_EQ(4, recv_str(self->full, buf, sizeof(buf)));
	EXPECT_STREQ("keep", buf);
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(self->full, buf, sizeof(buf), 0));
	/* And the room it now has takes a plain send. */
	EXPECT_EQ(2, cspchan_send_timeout(self->full, "ok", 2, 0));
}

/* Only nil cases: the select waits for a signal. */
TEST_F(signals, nil_cases_wait_for_signal)
{
	uint64_t start;

	self->pid = select_child(self, variant->timeout_ms, true);
	ASSERT_LE(0, self->pid);
	ASSERT_EQ(1, wait_counter(&self->out->ret, 1));
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(self->pid));
	EXPECT_EQ(0, __atomic_load_n(&self->out->done, __ATOMIC_SEQ_CST));

	/*
	 * Nothing shows that the child is inside the select: signal until it
	 * returns (a signal caught just before the select is not an error).
	 */
	start = now_ns();
	while (!__atomic_load_n(&self->out->done, __ATOMIC_SEQ_CST) &&
	       ms_since(start) < WAIT_MS) {
		ASSERT_EQ(0, kill(self->pid, SIGUSR1));
		msleep(20);
	}
	ASSERT_EQ(0, child_wait(self->pid, WAIT_MS));
	EXPECT_LE(1, self->out->handled);
	EXPECT_EQ(-EINTR, self->out->ret);
	EXPECT_EQ(EINTR, self->out->err);
	EXPECT_EQ(UNTOUCHED, self->out->result[0]);
	EXPECT_EQ(UNTOUCHED, self->out->result[1]);
}

/* ---- unbuffered channels: ready with a parked peer, never with itself --------------- */

TEST(unbuffered_ready_with_parked_peer)
{
	struct cspchan_case cases[1];
	struct outcome *out;
	char buf[16] = "";
	pid_t pid;
	int u;

	REQUIRE_CSPCHAN();
	out = outcome_new();
	ASSERT_NE(NULL, out);
	u = chan_new(0, 16);
	ASSERT_LE(0, u);

	/* A receiver is parked: a send case is ready (timeout 0). */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		out->ret = (int)recv_str(u, out->msg[0], sizeof(out->msg[0]));
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(u, STAT_RECEIVERS_WAITING, 1));
	cases[0] = send_case(u, "to you");
	EXPECT_EQ(0, cspchan_select(cases, 1, 0));
	EXPECT_EQ(6, cases[0].result);
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(6, out->ret);
	EXPECT_STREQ("to you", out->msg[0]);

	/* A sender is parked: a receive case is ready (timeout 0). */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		out->ret = (int)send_str(u, "for me");
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(u, STAT_SENDERS_WAITING, 1));
	cases[0] = recv_case(u, buf, sizeof(buf));
	EXPECT_EQ(0, cspchan_select(cases, 1, 0));
	EXPECT_EQ(6, cases[0].result);
	EXPECT_STREQ("for me", buf);
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(6, out->ret);
	EXPECT_EQ(2U, chan_get(u, STAT_RECEIVED));
	EXPECT_EQ(0U, chan_get(u, STAT_DEPTH));
	close(u);
}

/*
 * A select parked to send on an unbuffered channel offers its message: a
 * non-blocking receive (timeout 0, an O_NONBLOCK read, or one driven by
 * poll) takes it, as in Go, and the select returns that case.  Poll
 * reports EPOLLIN only when such a read succeeds (SPEC 3.7).
 * Regression: the non-blocking receive used to commit the select to a
 * blocking send and fail with EAGAIN, and the select then hung.
 */
TEST(parked_select_send_taken_by_nonblocking_receive)
{
	struct cspchan_case cases[2];
	struct pollfd pfd;
	struct outcome *out;
	char buf[16] = "";
	int x, y, how;
	pid_t pid;

	REQUIRE_CSPCHAN();
	out = outcome_new();
	ASSERT_NE(NULL, out);
	x = chan_new(0, 16);
	y = chan_new(0, 16);
	ASSERT_LE(0, x);
	ASSERT_LE(0, y);

	for (how = 0; how < 2; how++) {
		memset(out, 0, sizeof(*out));
		pid = fork_child();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			char rbuf[16] = "";

			cases[0] = send_case(x, "ping");
			cases[1] = recv_case(y, rbuf, sizeof(rbuf));
			record_select(out, cases, 2, WAIT_MS);
			_exit(0);
		}
		ASSERT_EQ(0, wait_stat(x, STAT_SENDERS_WAITING, 1));
		ASSERT_EQ(0, wait_stat(y, STAT_RECEIVERS_WAITING, 1));

		pfd.fd = x;
		pfd.events = POLLIN;
		pfd.revents = 0;
		ASSERT_EQ(1, poll(&pfd, 1, 0));
		EXPECT_TRUE(pfd.revents & POLLIN);

		memset(buf, 0, sizeof(buf));
		if (how == 0) {
			EXPECT_EQ(4, recv_str_timeout(x, buf, sizeof(buf), 0));
		} else {
			int fl = fcntl(x, F_GETFL);

			ASSERT_EQ(0, fcntl(x, F_SETFL, fl | O_NONBLOCK));
			EXPECT_EQ(4, sys_recv(x, buf, sizeof(buf) - 1));
			ASSERT_EQ(0, fcntl(x, F_SETFL, fl));
		}
		EXPECT_STREQ("ping", buf);
		ASSERT_EQ(0, child_wait(pid, WAIT_MS));
		EXPECT_EQ(0, out->ret);
		EXPECT_EQ(4, out->result[0]);
		EXPECT_EQ(UNTOUCHED, out->result[1]);
		/* Nothing is left offered or parked. */
		EXPECT_EQ(0U, chan_get(x, STAT_SENDERS_WAITING));
		EXPECT_EQ(0U, chan_get(y, STAT_RECEIVERS_WAITING));
	}
	EXPECT_EQ(2U, chan_get(x, STAT_SENT));
	EXPECT_EQ(2U, chan_get(x, STAT_RECEIVED));
	close(x);
	close(y);
}

/*
 * A receive that does not take a select's offer (its buffer is too short)
 * leaves the select parked on every case: a message sent on another case
 * completes it.  Regression: the receive committed the select to a
 * blocking send on the first channel, and the select never returned.
 */
TEST(parked_select_not_stuck_after_refused_receive)
{
	struct cspchan_case cases[2];
	struct outcome *out;
	char small[2];
	pid_t pid;
	int x, y;

	REQUIRE_CSPCHAN();
	out = outcome_new();
	ASSERT_NE(NULL, out);
	x = chan_new(0, 16);
	y = chan_new(0, 16);
	ASSERT_LE(0, x);
	ASSERT_LE(0, y);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char rbuf[16] = "";

		cases[0] = send_case(x, "ping");
		cases[1] = recv_case(y, rbuf, sizeof(rbuf));
		record_select(out, cases, 2, WAIT_MS);
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(x, STAT_SENDERS_WAITING, 1));
	ASSERT_EQ(0, wait_stat(y, STAT_RECEIVERS_WAITING, 1));

	EXPECT_EQ(-EMSGSIZE, cspchan_recv_timeout(x, small, sizeof(small), 0));
	EXPECT_EQ(-EMSGSIZE, cspchan_recv(x, small, sizeof(small)));
	/* The select is still parked on both cases. */
	msleep(SETTLE_MS);
	EXPECT_EQ(0, __atomic_load_n(&out->done, __ATOMIC_SEQ_CST));
	EXPECT_EQ(1U, chan_get(x, STAT_SENDERS_WAITING));

	EXPECT_EQ(4, send_str(y, "pong"));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(1, out->ret);
	EXPECT_EQ(4, out->result[1]);
	EXPECT_STREQ("pong", out->msg[1]);
	EXPECT_EQ(UNTOUCHED, out->result[0]);
	/* Its offer on x was taken back: nothing was sent there. */
	EXPECT_EQ(0U, chan_get(x, STAT_SENDERS_WAITING));
	EXPECT_EQ(0U, chan_get(x, STAT_SENT));
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(x, small, sizeof(small), 0));
	close(x);
	close(y);
}

/*
 * A select with a send and a receive case on the same unbuffered channel
 * cannot pair with itself (as in Go): when another process then sends, the
 * receive case is the ready one; when another process receives, the send
 * case is.  Repeated, because the order in which the cases are tried is
 * random.
 */
TEST(unbuffered_send_and_receive_cases_do_not_pair_with_themselves)
{
	struct outcome *out;
	unsigned int round;
	char buf[16];
	int u;

	REQUIRE_CSPCHAN();
	out = shared_alloc(sizeof(*out));
	ASSERT_NE(NULL, out);
	u = chan_new(0, 16);
	ASSERT_LE(0, u);

	for (round = 0; round < 16; round++) {
		bool peer_sends = round % 2 == 0;
		ssize_t n;
		pid_t pid;

		memset(out, 0, sizeof(*out));
		pid = fork_child();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct cspchan_case cases[2];
			char rbuf[16] = "";

			cases[0] = send_case(u, "from select");
			cases[1] = recv_case(u, rbuf, sizeof(rbuf));
			record_select(out, cases, 2, 3 * WAIT_MS);
			_exit(0);
		}
		/* The select is waiting (parked in some form) on u. */
		while (chan_get(u, STAT_SENDERS_WAITING) + chan_get(u, STAT_RECEIVERS_WAITING) == 0 &&
		       child_running(pid))
			msleep(1);
		msleep(10);
		if (peer_sends) {
			n = cspchan_send_timeout(u, "peer", 4, 2 * WAIT_MS);
			EXPECT_EQ(4, n) TH_LOG("round %u: the peer's send returned %zd", round, n);
		} else {
			memset(buf, 0, sizeof(buf));
			n = recv_str_timeout(u, buf, sizeof(buf), 2 * WAIT_MS);
			EXPECT_EQ(11, n) TH_LOG("round %u: the peer's receive returned %zd", round, n);
			if (n == 11)
				EXPECT_STREQ("from select", buf);
		}
		ASSERT_EQ(0, child_wait(pid, 4 * WAIT_MS));
		if (peer_sends) {
			EXPECT_EQ(1, out->ret) TH_LOG("round %u: select returned %d", round, out->ret);
			EXPECT_EQ(4, out->result[1]);
			EXPECT_EQ(0, memcmp(out->msg[1], "peer", 4));
		} else {
			EXPECT_EQ(0, out->ret) TH_LOG("round %u: select returned %d", round, out->ret);
			EXPECT_EQ(11, out->result[0]);
		}
		if (_metadata->passed == 0)
			break;
		/* Nothing is left parked or offered. */
		EXPECT_EQ(0U, chan_get(u, STAT_SENDERS_WAITING));
		EXPECT_EQ(0U, chan_get(u, STAT_RECEIVERS_WAITING));
	}
	close(u);
}

/* ---- the same descriptor in several cases ---------------------------------------------- */

TEST(same_channel_in_several_cases)
{
	char b0[16] = "", b1[16] = "";
	struct cspchan_case cases[2];
	int i, ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(3, send_str(ch, "one"));

	/* Two receive cases, one message: exactly one performed. */
	cases[0] = recv_case(ch, b0, sizeof(b0));
	cases[1] = recv_case(ch, b1, sizeof(b1));
	i = cspchan_select(cases, 2, 0);
	ASSERT_TRUE(i == 0 || i == 1) TH_LOG("select returned %d", i);
	EXPECT_EQ(3, cases[i].result);
	EXPECT_EQ(UNTOUCHED, cases[!i].result);
	EXPECT_STREQ("one", i == 0 ? b0 : b1);
	EXPECT_STREQ("", i == 0 ? b1 : b0);
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(1U, chan_get(ch, STAT_RECEIVED));
	cases[0] = recv_case(ch, b0, sizeof(b0));
	cases[1] = recv_case(ch, b1, sizeof(b1));
	EXPECT_EQ(-EAGAIN, cspchan_select(cases, 2, 0));

	/* A send and a receive case on a channel that allows both. */
	for (int round = 0; round < 20; round++) {
		ASSERT_EQ(1, send_str(ch, "m"));
		cases[0] = send_case(ch, "s");
		cases[1] = recv_case(ch, b1, sizeof(b1));
		i = cspchan_select(cases, 2, 0);
		ASSERT_TRUE(i == 0 || i == 1) TH_LOG("select returned %d", i);
		EXPECT_EQ(1, cases[i].result);
		EXPECT_EQ(UNTOUCHED, cases[!i].result);
		EXPECT_EQ(i == 0 ? 2U : 0U, chan_get(ch, STAT_DEPTH));
		while (chan_get(ch, STAT_DEPTH))
			ASSERT_EQ(1, recv_str_timeout(ch, b0, sizeof(b0), 0));
	}
	close(ch);
}

/* Blocked with two receive cases on one channel: one message, one case. */
TEST(same_channel_in_several_cases_blocking)
{
	struct outcome *out;
	char buf[16];
	int chans[2], k;

	REQUIRE_CSPCHAN();
	out = outcome_new();
	ASSERT_NE(NULL, out);
	chans[0] = chan_new(2, 16);
	chans[1] = chan_new(0, 16);
	ASSERT_LE(0, chans[0]);
	ASSERT_LE(0, chans[1]);

	for (k = 0; k < 2; k++) {
		int ch = chans[k];
		pid_t pid;

		memset(out, 0, sizeof(*out));
		pid = fork_child();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct cspchan_case cases[2];
			char b0[16] = "", b1[16] = "";

			cases[0] = recv_case(ch, b0, sizeof(b0));
			cases[1] = recv_case(ch, b1, sizeof(b1));
			record_select(out, cases, 2, -1);
			_exit(0);
		}
		ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 2)) TH_LOG("capacity %d", k ? 0 : 2);
		ASSERT_EQ(3, cspchan_send_timeout(ch, "one", 3, WAIT_MS));
		ASSERT_EQ(0, child_wait(pid, WAIT_MS));
		ASSERT_TRUE(out->ret == 0 || out->ret == 1) TH_LOG("select returned %d", out->ret);
		EXPECT_EQ(3, out->result[out->ret]);
		EXPECT_EQ(UNTOUCHED, out->result[!out->ret]);
		EXPECT_EQ(0, memcmp(out->msg[out->ret], "one", 3));
		EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));
		EXPECT_EQ(1U, chan_get(ch, STAT_RECEIVED));
		if (k == 0) {
			/* The second message is not taken by a stale case. */
			ASSERT_EQ(3, send_str(ch, "two"));
			EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
			ASSERT_EQ(3, recv_str_timeout(ch, buf, sizeof(buf), 0));
			EXPECT_STREQ("two", buf);
		} else {
			/* Nobody is left to take an unbuffered message. */
			EXPECT_EQ(-EAGAIN, cspchan_send_timeout(ch, "two", 3, 0));
		}
	}
	close(chans[0]);
	close(chans[1]);
}

/* ---- O_NONBLOCK on the handle is ignored ------------------------------------------------ */

TEST(nonblocking_handle_obeys_timeout_only)
{
	char buf[16] = "";
	struct cspchan_case cases[1];
	uint64_t start, elapsed;
	int empty, full;
	pid_t pid;

	REQUIRE_CSPCHAN();
	empty = chan_new_flags(1, 16, 0, O_NONBLOCK);
	full = chan_new_flags(1, 16, 0, O_NONBLOCK);
	ASSERT_LE(0, empty);
	ASSERT_LE(0, full);
	ASSERT_TRUE(fcntl(empty, F_GETFL) & O_NONBLOCK);
	/* The handles are non-blocking for plain calls. */
	EXPECT_EQ(-EAGAIN, cspchan_recv(empty, buf, sizeof(buf)));
	ASSERT_EQ(1, send_str(full, "F"));
	EXPECT_EQ(-EAGAIN, send_str(full, "G"));

	cases[0] = recv_case(empty, buf, sizeof(buf));
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, cspchan_select(cases, 1, 100));
	elapsed = ms_since(start);
	EXPECT_LE(100U, elapsed);
	EXPECT_GT(2000U, elapsed);

	cases[0] = send_case(full, "G");
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, cspchan_select(cases, 1, 100));
	elapsed = ms_since(start);
	EXPECT_LE(100U, elapsed);
	EXPECT_GT(2000U, elapsed);
	EXPECT_EQ(1U, chan_get(full, STAT_DEPTH));

	/* Timeout 0 is still EAGAIN. */
	cases[0] = recv_case(empty, buf, sizeof(buf));
	EXPECT_EQ(-EAGAIN, cspchan_select(cases, 1, 0));

	/* And a negative timeout waits for the message. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(wait_stat(empty, STAT_RECEIVERS_WAITING, 1) == 0);
		msleep(50);
		CHILD_ASSERT(send_str(empty, "waited") == 6);
		_exit(0);
	}
	cases[0] = recv_case(empty, buf, sizeof(buf));
	start = now_ns();
	EXPECT_EQ(0, cspchan_select(cases, 1, -1));
	EXPECT_LE(50U, ms_since(start));
	EXPECT_EQ(6, cases[0].result);
	EXPECT_STREQ("waited", buf);
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	close(empty);
	close(full);
}

/* ---- exactly once with selects on both sides of unbuffered channels ----------------------- */

#define XO_PROCS	3
#define XO_PER_SENDER	2000
#define XO_TOTAL	(XO_PROCS * XO_PER_SENDER)

/* What the receivers report, in memory shared with the test. */
struct xo_report {
	uint32_t hits[XO_TOTAL];		/* deliveries of each payload */
	uint32_t per_receiver[XO_PROCS];	/* messages each receiver got */
	uint32_t sent_case[2];			/* select senders: sends through each case */
	uint32_t recv_case[2];			/* select receivers: messages through each case */
};

/*
 * Send payloads @id * XO_PER_SENDER + i through select over a send case on
 * @c0 and one on @c1 (either may be -1).
 */
static int xo_select_sender(int c0, int c1, unsigned int id, struct xo_report *rep)
{
	unsigned int i;

	for (i = 0; i < XO_PER_SENDER; i++) {
		uint32_t v = id * XO_PER_SENDER + i;
		struct cspchan_case cases[2] = {
			sel_case(c0, CSPCHAN_SEND, &v, sizeof(v)),
			sel_case(c1, CSPCHAN_SEND, &v, sizeof(v)),
		};
		int r = cspchan_select(cases, 2, -1);

		CHILD_ASSERT(r == 0 || r == 1);
		CHILD_ASSERT(cases[r].result == (ssize_t)sizeof(v));
		CHILD_ASSERT(cases[!r].result == UNTOUCHED);
		__atomic_fetch_add(&rep->sent_case[r], 1, __ATOMIC_RELAXED);
	}
	return 0;
}

static int xo_plain_sender(int ch, unsigned int id)
{
	unsigned int i;

	for (i = 0; i < XO_PER_SENDER; i++) {
		uint32_t v = id * XO_PER_SENDER + i;

		CHILD_ASSERT(cspchan_send(ch, &v, sizeof(v)) == (ssize_t)sizeof(v));
	}
	return 0;
}

static void xo_record(struct xo_report *rep, unsigned int me, uint32_t v)
{
	CHILD_ASSERT(v < XO_TOTAL);
	__atomic_fetch_add(&rep->hits[v], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&rep->per_receiver[me], 1, __ATOMIC_RELAXED);
}

/*
 * Receive through select over a receive case on @c0 and one on @c1 until
 * every channel among them reported end of stream; a case that did is set
 * to -1 (never ready) for the following selects.
 */
static int xo_select_receiver(int c0, int c1, unsigned int me, struct xo_report *rep)
{
	uint32_t buf[2][2];
	struct cspchan_case cases[2] = {
		sel_case(c0, CSPCHAN_RECV, buf[0], sizeof(buf[0])),
		sel_case(c1, CSPCHAN_RECV, buf[1], sizeof(buf[1])),
	};
	int open = (c0 != -1) + (c1 != -1);

	while (open) {
		int r;

		cases[0].result = cases[1].result = UNTOUCHED;
		r = cspchan_select(cases, 2, -1);
		CHILD_ASSERT(r == 0 || r == 1);
		CHILD_ASSERT(cases[r].fd != -1);
		CHILD_ASSERT(cases[!r].result == UNTOUCHED);
		if (cases[r].result == 0) {
			cases[r].fd = -1;	/* shut down and drained */
			open--;
			continue;
		}
		CHILD_ASSERT(cases[r].result == (ssize_t)sizeof(uint32_t));
		xo_record(rep, me, buf[r][0]);
		__atomic_fetch_add(&rep->recv_case[r], 1, __ATOMIC_RELAXED);
	}
	return 0;
}

static int xo_plain_receiver(int ch, unsigned int me, struct xo_report *rep)
{
	uint32_t buf[2];
	ssize_t n;

	while ((n = cspchan_recv(ch, buf, sizeof(buf))) != 0) {
		CHILD_ASSERT(n == (ssize_t)sizeof(uint32_t));
		xo_record(rep, me, buf[0]);
	}
	return 0;
}

/* The first payload not delivered exactly once, or -1. */
static int xo_first_not_once(const struct xo_report *rep)
{
	unsigned int v;

	for (v = 0; v < XO_TOTAL; v++)
		if (rep->hits[v] != 1) {
			fprintf(stderr, "# sender %u message %u delivered %u times\n",
				v / XO_PER_SENDER, v % XO_PER_SENDER, rep->hits[v]);
			return (int)v;
		}
	return -1;
}

enum xo_kind {
	XO_SELECT_BOTH,		/* select senders, select receivers, two channels */
	XO_SELECT_SENDERS,	/* select senders, plain receivers */
	XO_SELECT_RECEIVERS,	/* plain senders, select receivers */
};

FIXTURE(exactly_once) {
	struct xo_report *rep;
	int u0, u1;		/* unbuffered */
	pid_t senders[XO_PROCS], receivers[XO_PROCS];
};

FIXTURE_VARIANT(exactly_once) {
	enum xo_kind kind;
};

FIXTURE_VARIANT_ADD(exactly_once, select_both_sides) {
	.kind = XO_SELECT_BOTH,
};

FIXTURE_VARIANT_ADD(exactly_once, select_senders_plain_receivers) {
	.kind = XO_SELECT_SENDERS,
};

FIXTURE_VARIANT_ADD(exactly_once, plain_senders_select_receivers) {
	.kind = XO_SELECT_RECEIVERS,
};

FIXTURE_SETUP(exactly_once)
{
	unsigned int i;

	REQUIRE_CSPCHAN();
	for (i = 0; i < XO_PROCS; i++)
		self->senders[i] = self->receivers[i] = -1;
	self->rep = shared_alloc(sizeof(*self->rep));
	ASSERT_NE(NULL, self->rep);
	self->u0 = chan_new(0, sizeof(uint32_t));
	self->u1 = chan_new(0, sizeof(uint32_t));
	ASSERT_LE(0, self->u0);
	ASSERT_LE(0, self->u1);
}

FIXTURE_TEARDOWN(exactly_once)
{
	unsigned int i;

	for (i = 0; i < XO_PROCS; i++) {
		if (self->senders[i] > 0 && child_running(self->senders[i]))
			child_kill(self->senders[i]);
		if (self->receivers[i] > 0 && child_running(self->receivers[i]))
			child_kill(self->receivers[i]);
	}
	close(self->u0);
	close(self->u1);
}

/*
 * Select both sides: senders and receivers select over u0 and u1.
 * Select senders: over u0 and u1, where u1 has no receiver at all (its
 * send case parks and never becomes ready); plain receivers on u0.
 * Select receivers: over u0 and u1, where u1 has no sender; plain senders
 * on u0.  In every case: each payload received exactly once.
 */
TEST_F(exactly_once, unbuffered_no_loss_no_duplicate)
{
	struct xo_report *rep = self->rep;
	uint64_t start = now_ns(), received;
	unsigned int i;

	for (i = 0; i < XO_PROCS; i++) {
		pid_t pid = fork_child();

		ASSERT_LE(0, pid);
		if (pid == 0)
			_exit(variant->kind == XO_SELECT_SENDERS ?
			      xo_plain_receiver(self->u0, i, rep) :
			      xo_select_receiver(self->u0, self->u1, i, rep));
		self->receivers[i] = pid;
	}
	for (i = 0; i < XO_PROCS; i++) {
		pid_t pid = fork_child();

		ASSERT_LE(0, pid);
		if (pid == 0)
			_exit(variant->kind == XO_SELECT_RECEIVERS ?
			      xo_plain_sender(self->u0, i) :
			      xo_select_sender(self->u0, self->u1, i, rep));
		self->senders[i] = pid;
	}
	for (i = 0; i < XO_PROCS; i++)
		EXPECT_EQ(0, child_wait(self->senders[i], 25000)) TH_LOG("sender %u", i);
	/* Every send has completed: let the receivers see end of stream. */
	ASSERT_EQ(0, cspchan_shutdown(self->u0));
	ASSERT_EQ(0, cspchan_shutdown(self->u1));
	for (i = 0; i < XO_PROCS; i++)
		EXPECT_EQ(0, child_wait(self->receivers[i], WAIT_MS)) TH_LOG("receiver %u", i);
	TH_LOG("%u messages in %" PRIu64 " ms; receivers got %u/%u/%u; send cases %u/%u, receive cases %u/%u",
	       XO_TOTAL, ms_since(start), rep->per_receiver[0], rep->per_receiver[1],
	       rep->per_receiver[2], rep->sent_case[0], rep->sent_case[1],
	       rep->recv_case[0], rep->recv_case[1]);

	EXPECT_EQ(-1, xo_first_not_once(rep));
	EXPECT_EQ((uint32_t)XO_TOTAL,
		  rep->per_receiver[0] + rep->per_receiver[1] + rep->per_receiver[2]);
	received = chan_get(self->u0, STAT_RECEIVED) + chan_get(self->u1, STAT_RECEIVED);
	EXPECT_EQ((uint64_t)XO_TOTAL, received);
	EXPECT_EQ((uint64_t)XO_TOTAL,
		  chan_get(self->u0, STAT_SENT) + chan_get(self->u1, STAT_SENT));
	if (variant->kind != XO_SELECT_RECEIVERS)
		EXPECT_EQ((uint32_t)XO_TOTAL, rep->sent_case[0] + rep->sent_case[1]);
	if (variant->kind != XO_SELECT_SENDERS)
		EXPECT_EQ((uint32_t)XO_TOTAL, rep->recv_case[0] + rep->recv_case[1]);
	if (variant->kind != XO_SELECT_BOTH) {
		/* Nothing could go through the channel with no peer. */
		EXPECT_EQ(0U, chan_get(self->u1, STAT_SENT));
		EXPECT_EQ(0U, rep->sent_case[1]);
		EXPECT_EQ(0U, rep->recv_case[1]);
	}
	EXPECT_EQ(0U, chan_get(self->u0, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(self->u0, STAT_SENDERS_WAITING));
	EXPECT_EQ(0U, chan_get(self->u1, STAT_SENDERS_WAITING));
	EXPECT_EQ(0U, chan_get(self->u0, STAT_RECEIVERS_WAITING));
	EXPECT_EQ(0U, chan_get(self->u1, STAT_RECEIVERS_WAITING));
}

/* ---- bad case arrays: refused with their errno, nothing performed ---------------------- */

FIXTURE(bad) {
	char name[CSPCHAN_NAME_MAX];
	int ctl;		/* /dev/cspchan */
	int ch;			/* read-write; holds "keep" */
	int rdonly;		/* the same channel, O_RDONLY */
	int wronly;		/* the same channel, O_WRONLY */
	char buf[16];
	unsigned int max_cases;
};

FIXTURE_SETUP(bad)
{
	struct cspchan_features f;

	REQUIRE_CSPCHAN();
	self->ctl = open(CSPCHAN_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ctl);
	unique_name(self->name, "sel");
	self->ch = chan_named(self->name, 2, 8, 0600, 0);
	ASSERT_LE(0, self->ch);
	self->rdonly = cspchan_open(self->name, O_RDONLY);
	self->wronly = cspchan_open(self->name, O_WRONLY);
	ASSERT_LE(0, self->rdonly);
	ASSERT_LE(0, self->wronly);
	ASSERT_EQ(0, cspchan_unlink(self->name));
	ASSERT_EQ(4, send_str(self->ch, "keep"));
	ASSERT_EQ(0, cspchan_features(&f));
	self->max_cases = f.max_select_cases;
	ASSERT_LE(1U, self->max_cases);
	memset(self->buf, 0, sizeof(self->buf));
}

FIXTURE_TEARDOWN(bad)
{
	close(self->rdonly);
	close(self->wronly);
	close(self->ch);
	close(self->ctl);
}

/* The channel still holds "keep", and only it: nothing was performed. */
#define EXPECT_NOTHING_PERFORMED() do {					\
	EXPECT_EQ(1U, chan_get(self->ch, STAT_DEPTH));			\
	EXPECT_EQ(1U, chan_get(self->ch, STAT_SENT));			\
	EXPECT_EQ(0U, chan_get(self->ch, STAT_RECEIVED));		\
	EXPECT_STREQ("", self->buf);					\
} while (0)

/* The ready case: receive "keep". */
static struct cspchan_case ready_case(FIXTURE_DATA(bad) *self)
{
	return recv_case(self->ch, self->buf, sizeof(self->buf));
}

/*
 * Select over the ready case and @badc, in both orders, with timeout 0
 * (and once with -1, which must not wait either): fails with @err, no
 * result written, nothing performed.
 */
static void expect_rejected(struct __test_metadata *_metadata, FIXTURE_DATA(bad) *self,
			    struct cspchan_case badc, int err)
{
	static const int timeouts[] = { 0, -1 };
	struct cspchan_case cases[2];
	unsigned int bad_at, t;
	int ret;

	for (t = 0; t < ARRAY_SIZE(timeouts); t++) {
		for (bad_at = 0; bad_at < 2; bad_at++) {
			cases[bad_at] = badc;
			cases[bad_at].result = UNTOUCHED;
			cases[!bad_at] = ready_case(self);
			errno = 0;
			ret = cspchan_select(cases, 2, timeouts[t]);
			EXPECT_EQ(-err, ret) TH_LOG("bad case at %u, timeout %d", bad_at, timeouts[t]);
			EXPECT_EQ(err, errno);
			EXPECT_EQ(UNTOUCHED, cases[0].result);
			EXPECT_EQ(UNTOUCHED, cases[1].result);
			EXPECT_NOTHING_PERFORMED();
		}
	}
}

TEST_F(bad, baseline_is_valid)
{
	struct cspchan_case cases[2] = {
		recv_case(-1, self->buf, sizeof(self->buf)),
		ready_case(self),
	};

	ASSERT_EQ(1, cspchan_select(cases, 2, 0));
	EXPECT_EQ(4, cases[1].result);
	EXPECT_STREQ("keep", self->buf);
	/* The read-only and write-only handles work in their direction. */
	cases[0] = send_case(self->wronly, "w");
	ASSERT_EQ(0, cspchan_select(cases, 1, 0));
	EXPECT_EQ(1, cases[0].result);
	memset(self->buf, 0, sizeof(self->buf));
	cases[0] = recv_case(self->rdonly, self->buf, sizeof(self->buf));
	ASSERT_EQ(0, cspchan_select(cases, 1, 0));
	EXPECT_EQ(1, cases[0].result);
	EXPECT_STREQ("w", self->buf);
}

TEST_F(bad, unknown_op_einval)
{
	static const int ops[] = { 0, 3, 7, -1, CSPCHAN_SEND | CSPCHAN_RECV };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		expect_rejected(_metadata, self,
				sel_case(self->ch, ops[i], self->buf, sizeof(self->buf)), EINVAL);
	/* Even on a case with descriptor -1. */
	expect_rejected(_metadata, self, sel_case(-1, 7, self->buf, sizeof(self->buf)), EINVAL);
}

TEST_F(bad, null_cases_or_zero_count_einval)
{
	struct cspchan_case cases[1] = { ready_case(self) };

	errno = 0;
	EXPECT_EQ(-EINVAL, cspchan_select(NULL, 1, 0));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-EINVAL, cspchan_select(cases, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-EINVAL, cspchan_select(cases, 0, -1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(UNTOUCHED, cases[0].result);
	EXPECT_NOTHING_PERFORMED();
}

TEST_F(bad, too_many_cases_einval)
{
	unsigned int n = self->max_cases + 1, i;
	struct cspchan_case *cases = calloc(n + 1, sizeof(*cases));

	ASSERT_NE(NULL, cases);
	/* Every case ready. */
	for (i = 0; i <= n; i++)
		cases[i] = ready_case(self);
	errno = 0;
	EXPECT_EQ(-EINVAL, cspchan_select(cases, n, 0));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-EINVAL, cspchan_select(cases, n + 1, -1));
	EXPECT_EQ(EINVAL, errno);
	for (i = 0; i <= n; i++)
		EXPECT_EQ(UNTOUCHED, cases[i].result);
	EXPECT_NOTHING_PERFORMED();
	/* One fewer is accepted: one case performed. */
	i = cspchan_select(cases, n - 1, 0);
	ASSERT_GT(n - 1, i);
	EXPECT_EQ(4, cases[i].result);
	EXPECT_EQ(0U, chan_get(self->ch, STAT_DEPTH));
	free(cases);
}

TEST_F(bad, not_a_channel_ebadf)
{
	int pipefd[2], null, closed;

	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(1, write(pipefd[1], "p", 1));
	null = open("/dev/null", O_RDWR);
	ASSERT_LE(0, null);

	expect_rejected(_metadata, self, recv_case(pipefd[0], self->buf, 8), EBADF);
	expect_rejected(_metadata, self, send_case(pipefd[1], "x"), EBADF);
	expect_rejected(_metadata, self, recv_case(null, self->buf, 8), EBADF);
	expect_rejected(_metadata, self, send_case(null, "x"), EBADF);
	/* The control device is not a channel either. */
	expect_rejected(_metadata, self, recv_case(self->ctl, self->buf, 8), EBADF);
	expect_rejected(_metadata, self, send_case(self->ctl, "x"), EBADF);
	/* Negative descriptors other than -1. */
	expect_rejected(_metadata, self, recv_case(-2, self->buf, 8), EBADF);
	expect_rejected(_metadata, self, send_case(INT32_MIN, "x"), EBADF);

	/* A descriptor number that is not open (any more). */
	closed = dup(self->ch);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	expect_rejected(_metadata, self, recv_case(closed, self->buf, 8), EBADF);
	expect_rejected(_metadata, self, send_case(closed, "x"), EBADF);

	/* The pipe's byte was not read either. */
	EXPECT_EQ(1, read(pipefd[0], self->buf, 1));
	self->buf[0] = 0;
	close(pipefd[0]);
	close(pipefd[1]);
	close(null);
}

TEST_F(bad, wrong_direction_ebadf)
{
	expect_rejected(_metadata, self, send_case(self->rdonly, "x"), EBADF);
	expect_rejected(_metadata, self, recv_case(self->wronly, self->buf, 8), EBADF);
}

TEST_F(bad, send_length_zero_einval)
{
	expect_rejected(_metadata, self, sel_case(self->ch, CSPCHAN_SEND, "x", 0), EINVAL);
	expect_rejected(_metadata, self, sel_case(self->wronly, CSPCHAN_SEND, "x", 0), EINVAL);
}

TEST_F(bad, send_too_long_emsgsize)
{
	static const char nine[] = "123456789";	/* msg_size is 8 */
	char big[4096];

	expect_rejected(_metadata, self, send_case(self->ch, nine), EMSGSIZE);
	memset(big, 'b', sizeof(big));
	expect_rejected(_metadata, self, sel_case(self->ch, CSPCHAN_SEND, big, sizeof(big)),
			EMSGSIZE);
	/* Exactly msg_size is fine. */
	{
		struct cspchan_case cases[1] = { send_case(self->ch, "12345678") };

		ASSERT_EQ(0, cspchan_select(cases, 1, 0));
		EXPECT_EQ(8, cases[0].result);
		EXPECT_EQ(2U, chan_get(self->ch, STAT_DEPTH));
	}
}

/*
 * A length the ABI's 32 bits cannot hold: refused for a send, and for a
 * receive treated as UINT32_MAX (room for any message).  The receive
 * buffer really is that long: a reservation of address space that only
 * gets memory where the message is written.
 */
TEST_F(bad, length_above_u32)
{
	size_t huge = (size_t)UINT32_MAX + 1;
	struct cspchan_case cases[1];
	char *big;

	if (sizeof(size_t) <= sizeof(uint32_t))
		SKIP(return, "size_t is 32 bits");
	expect_rejected(_metadata, self, sel_case(self->ch, CSPCHAN_SEND, self->buf, huge), EINVAL);
	big = mmap(NULL, huge, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, big);
	cases[0] = sel_case(self->ch, CSPCHAN_RECV, big, huge);
	ASSERT_EQ(0, cspchan_select(cases, 1, 0));
	EXPECT_EQ(4, cases[0].result);
	EXPECT_EQ(0, memcmp(big, "keep", 4));
	munmap(big, huge);
}

/* A buffer in kernel space is outside the caller's address space. */
TEST_F(bad, kernel_buffer_efault)
{
	void *kaddr = (void *)(uintptr_t)0xffff888000000000ULL;

	expect_rejected(_metadata, self, sel_case(self->ch, CSPCHAN_RECV, kaddr, 8), EFAULT);
	expect_rejected(_metadata, self, sel_case(self->ch, CSPCHAN_SEND, kaddr, 4), EFAULT);
}

/*
 * A buffer in no mapping of the caller: the only case cannot be performed,
 * so the call fails with EFAULT; the message stays, nothing is sent.
 */
TEST_F(bad, unmapped_buffer_efault)
{
	struct cspchan_case cases[1];
	long page = sysconf(_SC_PAGESIZE);
	void *hole;

	hole = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole, page));

	cases[0] = sel_case(self->ch, CSPCHAN_RECV, hole, 8);
	errno = 0;
	EXPECT_EQ(-EFAULT, cspchan_select(cases, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(UNTOUCHED, cases[0].result);
	EXPECT_NOTHING_PERFORMED();

	cases[0] = sel_case(self->ch, CSPCHAN_SEND, hole, 4);
	errno = 0;
	EXPECT_EQ(-EFAULT, cspchan_select(cases, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(UNTOUCHED, cases[0].result);
	EXPECT_NOTHING_PERFORMED();
}

/* ---- the raw ioctl ------------------------------------------------------------------------ */

/* A request over @cases: the ready case first, then whatever the test sets. */
static void raw_req(struct cspchan_select_req *req, struct cspchan_select_case *cases,
		    unsigned int nr)
{
	memset(req, 0, sizeof(*req));
	req->cases = (uintptr_t)cases;
	req->nr = nr;
	req->timeout_ns = 0;
	req->result = -424242;
}

static void raw_ready(FIXTURE_DATA(bad) *self, struct cspchan_select_case *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = self->ch;
	c->op = CSPCHAN_OP_RECV;
	c->buf = (uintptr_t)self->buf;
	c->len = sizeof(self->buf);
}

#define EXPECT_RAW_ERRNO(err, fd, req) do {				\
	errno = 0;							\
	EXPECT_EQ(-1, ioctl(fd, CSPCHAN_IOC_SELECT, req));		\
	EXPECT_EQ(err, errno);						\
	EXPECT_NOTHING_PERFORMED();					\
} while (0)

TEST_F(bad, raw_baseline_on_control_and_channel_handles)
{
	struct cspchan_select_case cases[2];
	struct cspchan_select_req req;
	int other;

	/* On the control device. */
	raw_ready(self, &cases[0]);
	raw_req(&req, cases, 1);
	ASSERT_EQ(0, ioctl(self->ctl, CSPCHAN_IOC_SELECT, &req));
	EXPECT_EQ(4, req.result);
	EXPECT_STREQ("keep", self->buf);

	/* On a channel handle: this channel's, and another channel's. */
	ASSERT_EQ(2, send_str(self->ch, "k2"));
	raw_ready(self, &cases[0]);
	raw_req(&req, cases, 1);
	ASSERT_EQ(0, ioctl(self->ch, CSPCHAN_IOC_SELECT, &req));
	EXPECT_EQ(2, req.result);
	EXPECT_EQ(0, memcmp(self->buf, "k2", 2));

	other = chan_new(1, 8);
	ASSERT_LE(0, other);
	ASSERT_EQ(2, send_str(self->ch, "k3"));
	memset(&cases[0], 0, sizeof(cases[0]));
	cases[0].fd = -1;
	cases[0].op = CSPCHAN_OP_SEND;
	raw_ready(self, &cases[1]);
	raw_req(&req, cases, 2);
	ASSERT_EQ(1, ioctl(other, CSPCHAN_IOC_SELECT, &req));
	EXPECT_EQ(2, req.result);
	EXPECT_EQ(0, memcmp(self->buf, "k3", 2));
	/* Through a read-only handle of the channel too. */
	ASSERT_EQ(2, send_str(self->ch, "k4"));
	raw_ready(self, &cases[0]);
	raw_req(&req, cases, 1);
	ASSERT_EQ(0, ioctl(self->rdonly, CSPCHAN_IOC_SELECT, &req));
	EXPECT_EQ(2, req.result);
	EXPECT_EQ(0U, chan_get(self->ch, STAT_DEPTH));
	close(other);
}

TEST_F(bad, raw_bad_pointers_efault)
{
	struct cspchan_select_case cases[2];
	struct cspchan_select_req req;

	raw_ready(self, &cases[0]);
	raw_req(&req, cases, 1);
	req.cases = 1;
	EXPECT_RAW_ERRNO(EFAULT, self->ctl, &req);
	EXPECT_RAW_ERRNO(EFAULT, self->ch, &req);
	req.cases = 0;
	EXPECT_RAW_ERRNO(EFAULT, self->ctl, &req);
	/* The second case is past the end of the mapping. */
	{
		long page = sysconf(_SC_PAGESIZE);
		char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct cspchan_select_case *last;

		ASSERT_NE(MAP_FAILED, map);
		ASSERT_EQ(0, munmap(map + page, page));
		last = (struct cspchan_select_case *)(map + page) - 1;
		raw_ready(self, last);
		raw_req(&req, last, 2);
		EXPECT_RAW_ERRNO(EFAULT, self->ctl, &req);
		munmap(map, page);
	}
	/* The request itself. */
	EXPECT_RAW_ERRNO(EFAULT, self->ctl, BAD_PTR);
	EXPECT_RAW_ERRNO(EFAULT, self->ctl, NULL);
}

TEST_F(bad, raw_reserved_and_flags_einval)
{
	struct cspchan_select_case cases[2];
	struct cspchan_select_req req;
	unsigned int i;

	/* A case's reserved0, on a valid case and on a nil case. */
	raw_ready(self, &cases[0]);
	raw_ready(self, &cases[1]);
	cases[1].reserved0 = 1;
	raw_req(&req, cases, 2);
	EXPECT_RAW_ERRNO(EINVAL, self->ctl, &req);
	cases[1].fd = -1;
	EXPECT_RAW_ERRNO(EINVAL, self->ctl, &req);
	raw_ready(self, &cases[1]);
	cases[0].reserved0 = 0x80000000U;
	EXPECT_RAW_ERRNO(EINVAL, self->ctl, &req);

	/* The request's flags and reserved words. */
	raw_ready(self, &cases[0]);
	raw_ready(self, &cases[1]);
	raw_req(&req, cases, 2);
	req.flags = CSPCHAN_SELECT_PRIO << 1;	/* the first undefined bit */
	EXPECT_RAW_ERRNO(EINVAL, self->ctl, &req);
	req.flags = CSPCHAN_SELECT_PRIO | 0x80000000U;
	EXPECT_RAW_ERRNO(EINVAL, self->ctl, &req);
	req.flags = 0x80000000U;
	EXPECT_RAW_ERRNO(EINVAL, self->ch, &req);
	for (i = 0; i < ARRAY_SIZE(req.reserved); i++) {
		raw_req(&req, cases, 2);
		req.reserved[i] = 1ULL << 63;
		EXPECT_RAW_ERRNO(EINVAL, self->ctl, &req);
	}
}

TEST_F(bad, raw_count_einval)
{
	struct cspchan_select_case *cases;
	struct cspchan_select_req req;
	unsigned int i;

	cases = calloc(self->max_cases + 1, sizeof(*cases));
	ASSERT_NE(NULL, cases);
	for (i = 0; i <= self->max_cases; i++)
		raw_ready(self, &cases[i]);
	raw_req(&req, cases, 0);
	EXPECT_RAW_ERRNO(EINVAL, self->ctl, &req);
	raw_req(&req, cases, self->max_cases + 1);
	EXPECT_RAW_ERRNO(EINVAL, self->ctl, &req);
	raw_req(&req, cases, UINT32_MAX);
	EXPECT_RAW_ERRNO(EINVAL, self->ctl, &req);
	/* Errors that the library would catch reach the kernel's checks too. */
	raw_req(&req, cases, 2);
	cases[1].op = 7;
	EXPECT_RAW_ERRNO(EINVAL, self->ctl, &req);
	cases[1].op = CSPCHAN_OP_SEND;
	cases[1].len = 0;
	EXPECT_RAW_ERRNO(EINVAL, self->ctl, &req);
	cases[1].len = 9;
	EXPECT_RAW_ERRNO(EMSGSIZE, self->ctl, &req);
	cases[1].fd = self->rdonly;
	cases[1].len = 1;
	EXPECT_RAW_ERRNO(EBADF, self->ctl, &req);
	free(cases);
}

TEST_HARNESS_MAIN
