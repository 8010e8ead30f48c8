// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 3.1, FIFO exactly once: order from one producer, every message
 * delivered once and whole among several producer and consumer processes,
 * and message boundaries (one write = one message, one read = one message).
 */
#include "common.h"

/* A message that says who sent it and checks itself. */
struct fifo_msg {
	uint32_t producer;
	uint32_t seq;
	uint32_t len;		/* of the whole message */
	uint8_t fill[52];
};

#define FIFO_MSG_MAX	((unsigned int)sizeof(struct fifo_msg))
#define FIFO_HDR	((unsigned int)offsetof(struct fifo_msg, fill))

static uint8_t fill_byte(uint32_t producer, uint32_t seq, unsigned int i)
{
	return (uint8_t)(producer * 31 + seq * 7 + i);
}

/* Lengths vary from the header alone to the full size. */
static size_t fifo_build(struct fifo_msg *m, uint32_t producer, uint32_t seq)
{
	unsigned int i, len = FIFO_HDR + (producer + seq) % (FIFO_MSG_MAX - FIFO_HDR + 1);

	m->producer = producer;
	m->seq = seq;
	m->len = len;
	for (i = 0; i < len - FIFO_HDR; i++)
		m->fill[i] = fill_byte(producer, seq, i);
	return len;
}

/* True when @m, received with length @n, is whole. */
static bool fifo_whole(const struct fifo_msg *m, ssize_t n)
{
	unsigned int i;

	if (n < (ssize_t)FIFO_HDR || (size_t)n != m->len)
		return false;
	for (i = 0; i < m->len - FIFO_HDR; i++)
		if (m->fill[i] != fill_byte(m->producer, m->seq, i))
			return false;
	return true;
}

TEST(single_producer_order_preserved)
{
	const uint32_t count = 1000;
	struct fifo_msg m;
	uint32_t i;
	ssize_t n;
	int ch;
	pid_t pid;

	REQUIRE_CSPCHAN();
	ch = chan_new(8, FIFO_MSG_MAX);
	ASSERT_LE(0, ch);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (i = 0; i < count; i++) {
			size_t len = fifo_build(&m, 1, i);

			CHILD_ASSERT(cspchan_send(ch, &m, len) == (ssize_t)len);
		}
		_exit(0);
	}
	for (i = 0; i < count; i++) {
		memset(&m, 0, sizeof(m));
		n = cspchan_recv_timeout(ch, &m, sizeof(m), WAIT_MS);
		ASSERT_TRUE(fifo_whole(&m, n)) TH_LOG("message %u: length %zd", i, n);
		ASSERT_EQ(1U, m.producer);
		ASSERT_EQ(i, m.seq);
	}
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(count, chan_get(ch, STAT_SENT));
	EXPECT_EQ(count, chan_get(ch, STAT_RECEIVED));
}

/* Messages never merge nor split, whatever the buffer sizes. */
TEST(one_write_is_one_message)
{
	char buf[256];
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(4, 64);
	ASSERT_LE(0, ch);

	ASSERT_EQ(2, write(ch, "ab", 2));
	ASSERT_EQ(3, write(ch, "cde", 3));
	ASSERT_EQ(2, cspchan_send(ch, "fg", 2));
	EXPECT_EQ(3U, chan_get(ch, STAT_DEPTH));

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(2, read(ch, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "ab", 2));
	ASSERT_EQ(3, cspchan_recv(ch, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "cde", 3));
	/* A buffer of exactly the message's size is enough. */
	ASSERT_EQ(2, read(ch, buf, 2));
	EXPECT_EQ(0, memcmp(buf, "fg", 2));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));

	/* A maximal message and a one-byte message stay two. */
	memset(buf, 'M', 64);
	ASSERT_EQ(64, write(ch, buf, 64));
	ASSERT_EQ(1, write(ch, "z", 1));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(64, read(ch, buf, sizeof(buf)));
	EXPECT_EQ('M', buf[63]);
	EXPECT_EQ(0, buf[64]);
	ASSERT_EQ(1, read(ch, buf, sizeof(buf)));
	EXPECT_EQ('z', buf[0]);
	close(ch);
}

#define PRODUCERS	3
#define CONSUMERS	3
#define PER_PRODUCER	2000

/* What the consumers report, in memory shared with the test. */
struct fifo_report {
	uint32_t hits[PRODUCERS][PER_PRODUCER];	/* deliveries of each message */
	uint32_t per_consumer[CONSUMERS];	/* messages each consumer got */
};

static int consume(int ch, struct fifo_report *rep, unsigned int me)
{
	int64_t last[PRODUCERS];
	struct fifo_msg m;
	unsigned int p;
	ssize_t n;

	for (p = 0; p < PRODUCERS; p++)
		last[p] = -1;
	for (;;) {
		memset(&m, 0, sizeof(m));
		n = cspchan_recv(ch, &m, sizeof(m));
		if (n == 0)
			return 0;	/* shut down and drained */
		CHILD_ASSERT(n > 0);
		CHILD_ASSERT(fifo_whole(&m, n));
		CHILD_ASSERT(m.producer < PRODUCERS && m.seq < PER_PRODUCER);
		/* One consumer sees each producer's messages in order. */
		CHILD_ASSERT((int64_t)m.seq > last[m.producer]);
		last[m.producer] = m.seq;
		__atomic_fetch_add(&rep->hits[m.producer][m.seq], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&rep->per_consumer[me], 1, __ATOMIC_RELAXED);
	}
}

/*
 * The first message of the @per_producer each producer sent that was not
 * delivered exactly once, as producer * PER_PRODUCER + seq; -1 if none.
 */
static int first_not_once(const struct fifo_report *rep, unsigned int per_producer)
{
	unsigned int p, s;

	for (p = 0; p < PRODUCERS; p++)
		for (s = 0; s < per_producer; s++)
			if (rep->hits[p][s] != 1) {
				fprintf(stderr, "# producer %u message %u delivered %u times\n",
					p, s, rep->hits[p][s]);
				return (int)(p * PER_PRODUCER + s);
			}
	return -1;
}

TEST(many_producers_many_consumers_exactly_once)
{
	pid_t prod[PRODUCERS], cons[CONSUMERS];
	struct fifo_report *rep;
	unsigned int p, c, s;
	struct cspchan_stat st;
	uint64_t total = 0;
	int ch;

	REQUIRE_CSPCHAN();
	rep = shared_alloc(sizeof(*rep));
	ASSERT_NE(NULL, rep);
	ch = chan_new(4, FIFO_MSG_MAX);
	ASSERT_LE(0, ch);

	for (c = 0; c < CONSUMERS; c++) {
		cons[c] = fork_child();
		ASSERT_LE(0, cons[c]);
		if (cons[c] == 0)
			_exit(consume(ch, rep, c));
	}
	for (p = 0; p < PRODUCERS; p++) {
		prod[p] = fork_child();
		ASSERT_LE(0, prod[p]);
		if (prod[p] == 0) {
			struct fifo_msg m;

			for (s = 0; s < PER_PRODUCER; s++) {
				size_t len = fifo_build(&m, p, s);

				CHILD_ASSERT(cspchan_send(ch, &m, len) == (ssize_t)len);
			}
			_exit(0);
		}
	}
	for (p = 0; p < PRODUCERS; p++)
		EXPECT_EQ(0, child_wait(prod[p], 25000)) TH_LOG("producer %u", p);
	/* Every send has completed: let the consumers drain and stop. */
	ASSERT_EQ(0, cspchan_shutdown(ch));
	for (c = 0; c < CONSUMERS; c++)
		EXPECT_EQ(0, child_wait(cons[c], WAIT_MS)) TH_LOG("consumer %u", c);

	EXPECT_EQ(-1, first_not_once(rep, PER_PRODUCER));
	for (c = 0; c < CONSUMERS; c++)
		total += rep->per_consumer[c];
	EXPECT_EQ((uint64_t)PRODUCERS * PER_PRODUCER, total);

	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(0U, st.depth);
	EXPECT_EQ((uint64_t)PRODUCERS * PER_PRODUCER, st.sent);
	EXPECT_EQ((uint64_t)PRODUCERS * PER_PRODUCER, st.received);
	EXPECT_GE(4U, st.high_water);
	close(ch);
}

/* The same through an unbuffered channel: every hand-off exactly once. */
TEST(unbuffered_many_to_many_exactly_once)
{
	pid_t prod[PRODUCERS], cons[CONSUMERS];
	struct fifo_report *rep;
	unsigned int p, c, s;
	int ch;

	REQUIRE_CSPCHAN();
	rep = shared_alloc(sizeof(*rep));
	ASSERT_NE(NULL, rep);
	ch = chan_new(0, FIFO_MSG_MAX);
	ASSERT_LE(0, ch);

	for (c = 0; c < CONSUMERS; c++) {
		cons[c] = fork_child();
		ASSERT_LE(0, cons[c]);
		if (cons[c] == 0)
			_exit(consume(ch, rep, c));
	}
	for (p = 0; p < PRODUCERS; p++) {
		prod[p] = fork_child();
		ASSERT_LE(0, prod[p]);
		if (prod[p] == 0) {
			struct fifo_msg m;

			for (s = 0; s < PER_PRODUCER / 4; s++) {
				size_t len = fifo_build(&m, p, s);

				CHILD_ASSERT(cspchan_send(ch, &m, len) == (ssize_t)len);
			}
			_exit(0);
		}
	}
	for (p = 0; p < PRODUCERS; p++)
		EXPECT_EQ(0, child_wait(prod[p], 25000)) TH_LOG("producer %u", p);
	ASSERT_EQ(0, cspchan_shutdown(ch));
	for (c = 0; c < CONSUMERS; c++)
		EXPECT_EQ(0, child_wait(cons[c], WAIT_MS)) TH_LOG("consumer %u", c);

	EXPECT_EQ(-1, first_not_once(rep, PER_PRODUCER / 4));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ((uint64_t)PRODUCERS * (PER_PRODUCER / 4), chan_get(ch, STAT_RECEIVED));
	close(ch);
}

TEST_HARNESS_MAIN
