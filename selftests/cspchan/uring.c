// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 6, io_uring, with liburing and the raw ABI: IORING_OP_READ/WRITE
 * on a channel (reads parked in order, no io-wq worker), the slot
 * operations as IORING_OP_URING_CMD (parked until they can complete, and
 * completed by the channel's events: commit, release, a taker, shutdown),
 * their errors (SPEC 8), and SPEC 3.11 for commands left parked by a
 * process that exits or is killed: nothing stays pinned.
 *
 * Every test of the "ring" fixture runs twice: on a plain ring, and on an
 * SQPOLL ring whose kernel thread picks up the batches (io_uring_submit
 * only enters the kernel to wake it once it has gone idle) and whose
 * completions are reaped by peeking at the completion ring, without
 * io_uring_enter.
 */
#include "uring_common.h"

#include <sys/epoll.h>
#include <sys/utsname.h>

/* The byte at @k of message @seed. */
static inline uint8_t pattern(unsigned int seed, size_t k)
{
	return (uint8_t)(seed * 151u + k * 11u + 3u);
}

static void fill(void *p, size_t len, unsigned int seed)
{
	uint8_t *b = p;
	size_t k;

	for (k = 0; k < len; k++)
		b[k] = pattern(seed, k);
}

static bool check(const void *p, size_t len, unsigned int seed)
{
	const uint8_t *b = p;
	size_t k;

	for (k = 0; k < len; k++)
		if (b[k] != pattern(seed, k))
			return false;
	return true;
}

/* An address with nothing mapped at it. */
static void *unmapped_address(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, pg);
	return p;
}

TEST(feature_advertised)
{
	struct cspchan_features f;

	REQUIRE_CSPCHAN();
	ASSERT_EQ(0, chan_features(&f));
	EXPECT_TRUE((f.features & CSPCHAN_FEAT_URING_CMD) != 0);
	EXPECT_TRUE((f.features & CSPCHAN_FEAT_ZEROCOPY) != 0);
}

/* The kernel's major and minor version, from uname(2). */
static int kernel_at_least(int major, int minor)
{
	struct utsname un;
	int ma, mi;

	if (uname(&un) || sscanf(un.release, "%d.%d", &ma, &mi) != 2)
		return -1;
	return ma > major || (ma == major && mi >= minor);
}

/*
 * The features that depend on the kernel: io_uring cancels parked commands
 * itself from 6.7 on, and io_uring's reads can be told from Linux AIO's
 * (IOCB_AIO_RW) on every kernel the module supports, so reads and writes
 * park.
 */
TEST(feature_bits_follow_the_kernel)
{
	struct cspchan_features f;
	int since_6_7 = kernel_at_least(6, 7);

	REQUIRE_CSPCHAN();
	ASSERT_LE(0, since_6_7);
	ASSERT_EQ(0, chan_features(&f));
	EXPECT_TRUE((f.features & CSPCHAN_FEAT_URING_OPCODES) != 0);
	EXPECT_EQ(since_6_7, (f.features & CSPCHAN_FEAT_URING_CANCEL) != 0);
	EXPECT_TRUE((f.features & CSPCHAN_FEAT_URING_READ_PARK) != 0);
	EXPECT_TRUE((f.features & CSPCHAN_FEAT_URING_WRITE_PARK) != 0);
}

FIXTURE(ring) {
	struct io_uring ring;
	bool ready;
};

FIXTURE_VARIANT(ring) {
	bool sqpoll;
};

FIXTURE_VARIANT_ADD(ring, plain) {
	.sqpoll = false,
};

FIXTURE_VARIANT_ADD(ring, sqpoll) {
	.sqpoll = true,
};

FIXTURE_SETUP(ring)
{
	REQUIRE_CSPCHAN();
	self->ready = false;
	ASSERT_EQ(0, uring_init(&self->ring, 128, variant->sqpoll));
	self->ready = true;
}

FIXTURE_TEARDOWN(ring)
{
	if (self->ready)
		io_uring_queue_exit(&self->ring);
}

/* ---- IORING_OP_READ / IORING_OP_WRITE ---------------------------------------- */

#define RW_N		32
#define RW_MSG		32

static size_t rw_msg(char *buf, unsigned int i)
{
	return (size_t)snprintf(buf, RW_MSG, "msg-%02u-%.*s", i, (int)(i % 9), "abcdefghi");
}

/* The index in a message rw_msg() made, or -1. */
static int rw_index(const char *buf, int len)
{
	char tmp[RW_MSG + 1];
	unsigned int i;

	if (len <= 0 || len > RW_MSG)
		return -1;
	memcpy(tmp, buf, len);
	tmp[len] = '\0';
	if (sscanf(tmp, "msg-%02u-", &i) != 1 || i >= RW_N)
		return -1;
	return (int)i;
}

/*
 * 32 reads submitted on an empty channel wait (by poll, not in io-wq);
 * 32 writes then complete all of them, in FIFO order.
 */
TEST_F(ring, rw_reads_before_writes)
{
	char rbuf[RW_N][RW_MSG], wbuf[RW_N][RW_MSG];
	struct cqe_rec recs[2 * RW_N];
	size_t wlen[RW_N];
	bool seen[RW_N] = { false };
	struct io_uring_sqe *sqe;
	int ch, i, next = 0, writes = 0;

	REQUIRE_FEATURE(CSPCHAN_FEAT_URING_READ_PARK, "reads parked in order");

	ch = chan_new(RW_N, RW_MSG);
	ASSERT_LE(0, ch);

	for (i = 0; i < RW_N; i++) {
		sqe = io_uring_get_sqe(&self->ring);
		ASSERT_NE(NULL, sqe);
		io_uring_prep_read(sqe, ch, rbuf[i], RW_MSG, 0);
		io_uring_sqe_set_data64(sqe, i);
	}
	ASSERT_EQ(RW_N, submit_new(&self->ring));
	EXPECT_TRUE(no_cqe(&self->ring, SETTLE_MS));
	EXPECT_EQ(0, iowq_workers());
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));

	for (i = 0; i < RW_N; i++) {
		wlen[i] = rw_msg(wbuf[i], i);
		sqe = io_uring_get_sqe(&self->ring);
		ASSERT_NE(NULL, sqe);
		io_uring_prep_write(sqe, ch, wbuf[i], wlen[i], 0);
		io_uring_sqe_set_data64(sqe, 1000 + i);
	}
	ASSERT_EQ(RW_N, submit_new(&self->ring));
	ASSERT_EQ(2 * RW_N, collect(&self->ring, recs, 2 * RW_N));
	EXPECT_TRUE(no_cqe(&self->ring, 1));
	EXPECT_EQ(0, iowq_workers());

	for (i = 0; i < 2 * RW_N; i++) {
		int idx;

		if (recs[i].ud >= 1000) {
			ASSERT_GT((uint64_t)1000 + RW_N, recs[i].ud);
			EXPECT_EQ((int)wlen[recs[i].ud - 1000], recs[i].res);
			writes++;
			continue;
		}
		ASSERT_GT((uint64_t)RW_N, recs[i].ud);
		idx = rw_index(rbuf[recs[i].ud], recs[i].res);
		ASSERT_LE(0, idx);
		EXPECT_FALSE(seen[idx]);
		seen[idx] = true;
		/* Reads complete in the order the messages were sent. */
		EXPECT_EQ(next, idx);
		EXPECT_EQ((int)wlen[idx], recs[i].res);
		EXPECT_EQ(0, memcmp(rbuf[recs[i].ud], wbuf[idx], wlen[idx]));
		next++;
	}
	EXPECT_EQ(RW_N, writes);
	EXPECT_EQ(RW_N, next);
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ((uint64_t)RW_N, chan_get(ch, STAT_SENT));
	EXPECT_EQ((uint64_t)RW_N, chan_get(ch, STAT_RECEIVED));
	close(ch);
}

#define RWS_READS	16
#define RWS_MSGS	400

/*
 * 16 reads stay in flight (each resubmitted as it completes) while
 * messages come one at a time: each message completes the oldest read
 * (SPEC 3.6: receivers are served in arrival order), no read completes
 * with -EAGAIN, and no io-wq worker ever waits in the module (SPEC 6).
 * Regression: every message woke every read's poll entry; the reads that
 * kept losing exhausted io_uring's retries and were handed to io-wq
 * workers, which then slept in the channel.
 */
TEST_F(ring, rw_many_reads_slow_sender_in_order)
{
	char rbuf[RWS_READS][RW_MSG], msg[RW_MSG];
	struct io_uring_sqe *sqe;
	struct cqe_rec rec;
	uint64_t next_ud = 0;
	int ch, i, in_module = 0;

	REQUIRE_FEATURE(CSPCHAN_FEAT_URING_READ_PARK, "reads parked in order");

	ch = chan_new(4, RW_MSG);
	ASSERT_LE(0, ch);
	for (i = 0; i < RWS_READS; i++) {
		sqe = io_uring_get_sqe(&self->ring);
		ASSERT_NE(NULL, sqe);
		io_uring_prep_read(sqe, ch, rbuf[i], RW_MSG, 0);
		io_uring_sqe_set_data64(sqe, i);
	}
	ASSERT_EQ(RWS_READS, submit_new(&self->ring));
	/* Parked reads are receivers waiting (SPEC 3.10). */
	EXPECT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, RWS_READS));
	EXPECT_TRUE(no_cqe(&self->ring, SETTLE_MS));

	for (i = 0; i < RWS_MSGS; i++) {
		int len = snprintf(msg, sizeof(msg), "slow-%d", i);
		unsigned int b = next_ud % RWS_READS;

		ASSERT_EQ(len, sys_send(ch, msg, len));
		ASSERT_EQ(1, next_cqe(&self->ring, &rec, WAIT_MS));
		/* The oldest read gets it. */
		ASSERT_EQ(next_ud, rec.ud);
		ASSERT_EQ(len, rec.res);
		ASSERT_EQ(0, memcmp(rbuf[b], msg, len));
		if (i % 16 == 0 && iowq_threads(true) > 0)
			in_module++;
		/* Its buffer takes the next read, at the tail. */
		sqe = io_uring_get_sqe(&self->ring);
		ASSERT_NE(NULL, sqe);
		io_uring_prep_read(sqe, ch, rbuf[b], RW_MSG, 0);
		io_uring_sqe_set_data64(sqe, next_ud + RWS_READS);
		/* SQPOLL counts the entries its thread has not consumed yet. */
		ASSERT_LE(1, submit_new(&self->ring));
		next_ud++;
	}
	EXPECT_EQ(0, in_module);
	EXPECT_EQ(0, iowq_threads(true));
	EXPECT_EQ((uint64_t)RWS_MSGS, chan_get(ch, STAT_RECEIVED));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	close(ch);	/* the reads still parked are cancelled with the ring */
}

#define RO_TOTAL	3000
#define RO_LANES	32

/*
 * SPEC 3.6 seen through io_uring: with 32 reads in flight while another
 * process sends as fast as it can, the reads complete in the order of the
 * messages they got, and (SPEC 3.5) the end of stream after the shutdown
 * completes only after every message.  Regression: a read handed a
 * message completes in its submitter's task work, and a read issued
 * before that ran (in the same submission) could take the next queued
 * message, or the end of stream, at once and complete first; the bench
 * saw 1-5 % of messages out of order.
 */
TEST_F(ring, rw_reads_complete_in_message_order)
{
	char rbuf[RO_LANES][RW_MSG];
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ch, i, next = 0, ooo = 0, eos = 0, late = 0, status;
	pid_t pid;

	REQUIRE_FEATURE(CSPCHAN_FEAT_URING_WRITE_PARK, "reads and writes parked in order");

	ch = chan_new(64, RW_MSG);
	ASSERT_LE(0, ch);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char msg[RW_MSG];
		int k;

		for (k = 0; k < RO_TOTAL; k++) {
			int len = snprintf(msg, sizeof(msg), "r-%05d", k);

			CHILD_ASSERT(sys_send(ch, msg, len) == len);
		}
		CHILD_ASSERT(cspchan_shutdown(ch) == 0);
		_exit(0);
	}
	for (i = 0; i < RO_LANES; i++) {
		sqe = io_uring_get_sqe(&self->ring);
		ASSERT_NE(NULL, sqe);
		io_uring_prep_read(sqe, ch, rbuf[i], RW_MSG, 0);
		io_uring_sqe_set_data64(sqe, i);
	}
	/* Every read is put back in flight until it gets the end of stream. */
	while (eos < RO_LANES) {
		unsigned int head, seen = 0;

		ASSERT_LE(0, io_uring_submit_and_wait(&self->ring, 1));
		io_uring_for_each_cqe(&self->ring, head, cqe) {
			uint64_t lane = cqe->user_data;
			int got = -1;

			seen++;
			ASSERT_GT((uint64_t)RO_LANES, lane);
			if (cqe->res == 0) {
				eos++;
				continue;
			}
			ASSERT_EQ(7, cqe->res);
			late += eos > 0;	/* a message after an end of stream */
			rbuf[lane][7] = '\0';
			ASSERT_EQ(1, sscanf(rbuf[lane], "r-%05d", &got));
			if (got != next)
				ooo++;
			next++;
			sqe = io_uring_get_sqe(&self->ring);
			ASSERT_NE(NULL, sqe);
			io_uring_prep_read(sqe, ch, rbuf[lane], RW_MSG, 0);
			io_uring_sqe_set_data64(sqe, lane);
		}
		io_uring_cq_advance(&self->ring, seen);
	}
	status = child_wait(pid, WAIT_MS);
	EXPECT_EQ(0, status);
	EXPECT_EQ(RO_TOTAL, next);
	EXPECT_EQ(0, ooo);
	EXPECT_EQ(0, late);
	EXPECT_EQ((uint64_t)RO_TOTAL, chan_get(ch, STAT_RECEIVED));
	EXPECT_EQ(0, iowq_workers());
	close(ch);
}

/*
 * SPEC 9 + 3.7: on a lease channel, a message handed to a parked io_uring
 * READ is leased from the hand-over on, although the submitter's task work
 * copies it only later: shutting the channel down meanwhile must not end
 * the stream for other receivers, since the message may still come back.
 * The submitter is blocked in a receive on another channel, where it does
 * not run its task work, so the window is held open.  (Before, another
 * receiver got the end of stream in that window.)
 */
TEST(rw_lease_read_handed_holds_end_of_stream)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct cqe_rec rec;
	char rbuf[RW_MSG], mbuf[RW_MSG];
	int lch, mch, ret, status;
	pid_t pid;

	REQUIRE_CSPCHAN();
	REQUIRE_FEATURE(CSPCHAN_FEAT_LEASE, "leases");
	REQUIRE_FEATURE(CSPCHAN_FEAT_URING_READ_PARK, "io_uring reads park");
	ret = uring_init(&ring, 8, false);
	if (ret)
		SKIP(return, "io_uring unavailable: %s", strerror(-ret));
	lch = chan_new_flags(4, RW_MSG, CSPCHAN_LEASE, 0);
	ASSERT_LE(0, lch);
	mch = chan_new(1, RW_MSG);
	ASSERT_LE(0, mch);
	sqe = io_uring_get_sqe(&ring);
	ASSERT_NE(NULL, sqe);
	io_uring_prep_read(sqe, lch, rbuf, sizeof(rbuf), 0);
	io_uring_sqe_set_data64(sqe, 5);
	ASSERT_EQ(1, submit_new(&ring));
	ASSERT_EQ(0, wait_stat(lch, STAT_RECEIVERS_WAITING, 1));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char b[RW_MSG];
		ssize_t r;

		CHILD_ASSERT(wait_stat(mch, STAT_RECEIVERS_WAITING, 1) == 0);
		CHILD_ASSERT(sys_send(lch, "x", 1) == 1);	/* handed to the READ */
		CHILD_ASSERT(chan_get(lch, STAT_RECEIVED) == 1);
		CHILD_ASSERT(cspchan_shutdown(lch) == 0);
		r = cspchan_recv_timeout(lch, b, sizeof(b), 100);
		if (r >= 0)
			fprintf(stderr, "# receive during the hand-over: %zd\n", r);
		CHILD_ASSERT(r == -ETIMEDOUT || r == -EAGAIN);
		CHILD_ASSERT(sys_send(mch, "go", 2) == 2);
		_exit(0);
	}
	/* Blocked here, the READ's task work waits. */
	ASSERT_EQ(2, cspchan_recv_timeout(mch, mbuf, sizeof(mbuf), WAIT_MS));
	ASSERT_EQ(1, next_cqe(&ring, &rec, WAIT_MS));
	EXPECT_EQ(5U, rec.ud);
	EXPECT_EQ(1, rec.res);
	EXPECT_EQ('x', rbuf[0]);
	status = child_wait(pid, WAIT_MS);
	EXPECT_EQ(0, status);
	/* The next receive acknowledges the implicit lease: end of stream. */
	EXPECT_EQ(0, sys_recv(lch, rbuf, sizeof(rbuf)));
	close(mch);
	close(lch);
	io_uring_queue_exit(&ring);
}

/*
 * 32 writes on a channel of capacity 4: four complete, the others wait
 * for room (by poll, not in io-wq); 32 reads then drain everything, and
 * the messages come out in the order the writes completed.
 */
TEST_F(ring, rw_writes_before_reads)
{
	char rbuf[RW_N][RW_MSG], wbuf[RW_N][RW_MSG];
	struct cqe_rec recs[2 * RW_N];
	int worder[RW_N], rorder[RW_N];
	size_t wlen[RW_N];
	bool seen[RW_N] = { false };
	struct io_uring_sqe *sqe;
	int ch, i, nw = 0, nr = 0;

	REQUIRE_FEATURE(CSPCHAN_FEAT_URING_READ_PARK, "reads parked in order");

	ch = chan_new(4, RW_MSG);
	ASSERT_LE(0, ch);

	for (i = 0; i < RW_N; i++) {
		wlen[i] = rw_msg(wbuf[i], i);
		sqe = io_uring_get_sqe(&self->ring);
		ASSERT_NE(NULL, sqe);
		io_uring_prep_write(sqe, ch, wbuf[i], wlen[i], 0);
		io_uring_sqe_set_data64(sqe, 1000 + i);
	}
	ASSERT_EQ(RW_N, submit_new(&self->ring));
	ASSERT_EQ(4, collect(&self->ring, recs, 4));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(1000U + i, recs[i].ud);
		EXPECT_EQ((int)wlen[i], recs[i].res);
		worder[nw++] = i;
	}
	EXPECT_TRUE(no_cqe(&self->ring, SETTLE_MS));
	EXPECT_EQ(4U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(4U, chan_get(ch, STAT_SENT));
	EXPECT_EQ(0, iowq_workers());

	for (i = 0; i < RW_N; i++) {
		sqe = io_uring_get_sqe(&self->ring);
		ASSERT_NE(NULL, sqe);
		io_uring_prep_read(sqe, ch, rbuf[i], RW_MSG, 0);
		io_uring_sqe_set_data64(sqe, i);
	}
	ASSERT_EQ(RW_N, submit_new(&self->ring));
	ASSERT_EQ(2 * RW_N - 4, collect(&self->ring, recs + 4, 2 * RW_N - 4));
	EXPECT_TRUE(no_cqe(&self->ring, 1));
	EXPECT_EQ(0, iowq_workers());

	for (i = 4; i < 2 * RW_N; i++) {
		int idx;

		if (recs[i].ud >= 1000) {
			ASSERT_GT((uint64_t)1000 + RW_N, recs[i].ud);
			EXPECT_EQ((int)wlen[recs[i].ud - 1000], recs[i].res);
			ASSERT_GT(RW_N, nw);
			worder[nw++] = (int)(recs[i].ud - 1000);
			continue;
		}
		ASSERT_GT((uint64_t)RW_N, recs[i].ud);
		idx = rw_index(rbuf[recs[i].ud], recs[i].res);
		ASSERT_LE(0, idx);
		EXPECT_FALSE(seen[idx]);
		seen[idx] = true;
		EXPECT_EQ((int)wlen[idx], recs[i].res);
		EXPECT_EQ(0, memcmp(rbuf[recs[i].ud], wbuf[idx], wlen[idx]));
		ASSERT_GT(RW_N, nr);
		rorder[nr++] = idx;
	}
	ASSERT_EQ(RW_N, nw);
	ASSERT_EQ(RW_N, nr);
	/* FIFO: messages are read in the order their writes completed. */
	for (i = 0; i < RW_N; i++)
		EXPECT_EQ(worder[i], rorder[i]);
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ((uint64_t)RW_N, chan_get(ch, STAT_RECEIVED));
	close(ch);
}

#define WP_N		64
#define WP_CAP		4

/* Message @i of a parked-writes test: "w-<i>" in a buffer of RW_MSG. */
static size_t wp_msg(char *buf, unsigned int i)
{
	return (size_t)snprintf(buf, RW_MSG, "w-%05u", i);
}

/* Queue a write of @len bytes of @buf with user data @ud. */
static bool queue_write(struct io_uring *ring, int fd, const void *buf,
			size_t len, uint64_t ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return false;
	io_uring_prep_write(sqe, fd, buf, len, 0);
	io_uring_sqe_set_data64(sqe, ud);
	return true;
}

/*
 * SPEC 3.6 and 6 for io_uring writes: 64 writes submitted in one batch on
 * a full channel all wait as senders, in issue order (SPEC 3.10 counts
 * them), none in an io-wq worker; each freed slot lets the oldest in, so
 * the messages come out in the order the writes were issued, and every
 * write completes with its length.  Regression: a full channel failed
 * writes with -EAGAIN into io_uring's poll, which every freed slot woke
 * for all of them; they were retried in task-work order (newest first on
 * 6.1) and entered out of order, the losers in io-wq workers.
 */
TEST_F(ring, rw_writes_parked_in_order)
{
	char wbuf[WP_N][RW_MSG], buf[RW_MSG], want[RW_MSG];
	struct cqe_rec recs[WP_N];
	size_t wlen[WP_N];
	bool done[WP_N] = { false };
	int ch, i;

	REQUIRE_FEATURE(CSPCHAN_FEAT_URING_WRITE_PARK, "writes parked in order");

	ch = chan_new(WP_CAP, RW_MSG);
	ASSERT_LE(0, ch);
	for (i = 0; i < WP_CAP; i++)
		ASSERT_EQ(4, sys_send(ch, "pre", 4));
	for (i = 0; i < WP_N; i++) {
		wlen[i] = wp_msg(wbuf[i], i);
		ASSERT_TRUE(queue_write(&self->ring, ch, wbuf[i], wlen[i], i));
	}
	ASSERT_EQ(WP_N, submit_new(&self->ring));
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, WP_N));
	EXPECT_TRUE(no_cqe(&self->ring, SETTLE_MS));
	EXPECT_EQ(0, iowq_workers());
	EXPECT_EQ((uint64_t)WP_CAP, chan_get(ch, STAT_SENT));

	for (i = 0; i < WP_CAP; i++) {
		ASSERT_EQ(4, sys_recv(ch, buf, sizeof(buf)));
		EXPECT_STREQ("pre", buf);
	}
	for (i = 0; i < WP_N; i++) {
		ssize_t n = sys_recv(ch, buf, sizeof(buf));

		wp_msg(want, i);
		ASSERT_EQ((ssize_t)wlen[i], n);
		EXPECT_EQ(0, memcmp(buf, want, wlen[i]));
	}
	ASSERT_EQ(WP_N, collect(&self->ring, recs, WP_N));
	for (i = 0; i < WP_N; i++) {
		ASSERT_GT((uint64_t)WP_N, recs[i].ud);
		EXPECT_FALSE(done[recs[i].ud]);
		done[recs[i].ud] = true;
		EXPECT_EQ((int)wlen[recs[i].ud], recs[i].res);
	}
	EXPECT_TRUE(no_cqe(&self->ring, 1));
	EXPECT_EQ(0, iowq_workers());
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ((uint64_t)(WP_CAP + WP_N), chan_get(ch, STAT_SENT));
	close(ch);
}

#define WC_TOTAL	600
#define WC_INFLIGHT	48

/*
 * The same while a reader in another process drains the channel: writes
 * are granted slots while others still wait, new ones join behind those
 * granted but not yet posted, and yet the reader sees all 600 messages in
 * issue order, and no write is ever handed to io-wq.
 */
TEST_F(ring, rw_writes_in_order_with_concurrent_reader)
{
	static char wbuf[WC_TOTAL][RW_MSG];
	struct cqe_rec rec;
	int ch, inflight = 0, next = 0, completed = 0, status;
	int in_module = 0;
	pid_t pid;

	REQUIRE_FEATURE(CSPCHAN_FEAT_URING_WRITE_PARK, "writes parked in order");

	ch = chan_new(WP_CAP, RW_MSG);
	ASSERT_LE(0, ch);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[RW_MSG], want[RW_MSG];
		int k;

		for (k = 0; k < WC_TOTAL; k++) {
			ssize_t n = sys_recv(ch, buf, sizeof(buf));
			size_t len = wp_msg(want, k);

			CHILD_ASSERT(n == (ssize_t)len);
			CHILD_ASSERT(memcmp(buf, want, len) == 0);
			if (k % 50 == 0)
				msleep(1);
		}
		_exit(0);
	}

	while (completed < WC_TOTAL) {
		int queued = 0;

		while (inflight < WC_INFLIGHT && next < WC_TOTAL) {
			ASSERT_TRUE(queue_write(&self->ring, ch, wbuf[next],
						wp_msg(wbuf[next], next), next));
			next++;
			inflight++;
			queued++;
		}
		if (queued)
			ASSERT_EQ(queued, submit_new(&self->ring));
		ASSERT_EQ(1, next_cqe(&self->ring, &rec, WAIT_MS));
		ASSERT_GT((uint64_t)WC_TOTAL, rec.ud);
		EXPECT_EQ((int)strlen("w-00000"), rec.res);
		inflight--;
		completed++;
		if (completed % 64 == 0 && iowq_threads(true) > 0)
			in_module++;
	}
	status = child_wait(pid, WAIT_MS);
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, in_module);
	EXPECT_EQ(0, iowq_workers());
	EXPECT_EQ((uint64_t)WC_TOTAL, chan_get(ch, STAT_RECEIVED));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	close(ch);
}

#define WS_N		8

/*
 * SPEC 3.7 for io_uring writes: writes parked on a full channel complete
 * with -EPIPE when it is shut down, having sent nothing; the messages
 * already queued drain, then the channel ends; a write after shutdown
 * fails at once.
 */
TEST_F(ring, rw_parked_writes_end_with_epipe_at_shutdown)
{
	struct cqe_rec recs[WS_N];
	char buf[RW_MSG];
	int ch, i;

	REQUIRE_FEATURE(CSPCHAN_FEAT_URING_WRITE_PARK, "writes parked in order");

	ch = chan_new(2, RW_MSG);
	ASSERT_LE(0, ch);
	ASSERT_EQ(3, send_str(ch, "one"));
	ASSERT_EQ(3, send_str(ch, "two"));
	for (i = 0; i < WS_N; i++)
		ASSERT_TRUE(queue_write(&self->ring, ch, "late", 5, i));
	ASSERT_EQ(WS_N, submit_new(&self->ring));
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, WS_N));
	EXPECT_TRUE(no_cqe(&self->ring, SETTLE_MS));

	ASSERT_EQ(0, cspchan_shutdown(ch));
	ASSERT_EQ(WS_N, collect(&self->ring, recs, WS_N));
	for (i = 0; i < WS_N; i++) {
		EXPECT_GT((uint64_t)WS_N, recs[i].ud);
		EXPECT_EQ(-EPIPE, recs[i].res);
	}
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	EXPECT_EQ(2U, chan_get(ch, STAT_SENT));
	ASSERT_EQ(3, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("one", buf);
	ASSERT_EQ(3, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("two", buf);
	EXPECT_EQ(0, recv_str(ch, buf, sizeof(buf)));

	ASSERT_TRUE(queue_write(&self->ring, ch, "after", 6, 99));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, collect(&self->ring, recs, 1));
	EXPECT_EQ(99U, recs[0].ud);
	EXPECT_EQ(-EPIPE, recs[0].res);
	close(ch);
}

/*
 * SPEC 8 for a write that would join parked ones: an empty write fails
 * with -EINVAL and one longer than msg_size with -EMSGSIZE, each at once,
 * and the parked writes stay parked.
 */
TEST_F(ring, rw_bad_write_behind_parked_fails_at_once)
{
	static const struct {
		size_t len;
		int err;
	} bad[] = {
		{ 0, -EINVAL },
		{ RW_MSG + 1, -EMSGSIZE },
	};
	char big[RW_MSG + 1];
	struct cqe_rec rec;
	unsigned int k;
	int ch;

	REQUIRE_FEATURE(CSPCHAN_FEAT_URING_WRITE_PARK, "writes parked in order");

	memset(big, 'x', sizeof(big));
	ch = chan_new(1, RW_MSG);
	ASSERT_LE(0, ch);
	ASSERT_EQ(4, send_str(ch, "full"));
	ASSERT_TRUE(queue_write(&self->ring, ch, "parked", 7, 1));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));

	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		ASSERT_TRUE(queue_write(&self->ring, ch, big, bad[k].len, 10 + k));
		ASSERT_EQ(1, submit_new(&self->ring));
		ASSERT_EQ(1, next_cqe(&self->ring, &rec, WAIT_MS));
		EXPECT_EQ(10U + k, rec.ud);
		EXPECT_EQ(bad[k].err, rec.res);
		EXPECT_EQ(1U, chan_get(ch, STAT_SENDERS_WAITING));
	}
	EXPECT_EQ(1U, chan_get(ch, STAT_SENT));
	close(ch);	/* the parked write is cancelled with the ring */
}

/*
 * RWF_NOWAIT asks not to wait: such a write on a full channel fails with
 * -EAGAIN rather than parking.
 */
TEST_F(ring, rw_nowait_write_on_full_channel_fails)
{
	struct io_uring_sqe *sqe;
	struct cqe_rec rec;
	int ch;

	REQUIRE_FEATURE(CSPCHAN_FEAT_URING_WRITE_PARK, "writes parked in order");

	ch = chan_new(1, RW_MSG);
	ASSERT_LE(0, ch);
	ASSERT_EQ(4, send_str(ch, "full"));
	sqe = io_uring_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	io_uring_prep_write(sqe, ch, "nowait", 7, 0);
	sqe->rw_flags = RWF_NOWAIT;
	io_uring_sqe_set_data64(sqe, 5);
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, next_cqe(&self->ring, &rec, WAIT_MS));
	EXPECT_EQ(5U, rec.ud);
	EXPECT_EQ(-EAGAIN, rec.res);
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	EXPECT_EQ(1U, chan_get(ch, STAT_SENT));
	close(ch);
}

/* ---- slot commands ------------------------------------------------------------ */

#define TB_N	8

/*
 * A batch of TAKEs parks on an empty channel; a batch of ACQUIREs and one
 * of COMMITs (all through the ring) completes them, in arrival order, with
 * the slot's place and metadata in struct cspchan_slot_info; a batch of
 * RELEASEs frees the slots.
 */
TEST_F(ring, take_batch_completed_by_commits)
{
	struct cspchan_slot_info infos[TB_N];
	struct cqe_rec recs[2 * TB_N];
	struct cspchan_slot_req req;
	struct cspchan_info info;
	uint32_t slot[TB_N];
	bool used[TB_N] = { false };
	uint64_t t0, t1;
	uint8_t *map;
	int ch, i, takes = 0, commits = 0;

	ch = chan_new(TB_N, 256);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	ASSERT_EQ((uint32_t)TB_N, info.nr_slots);
	map = zc_map(ch, PROT_READ | PROT_WRITE, &info);
	ASSERT_NE(NULL, map);
	memset(infos, 0xee, sizeof(infos));

	for (i = 0; i < TB_N; i++)
		ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_TAKE, 0, 0, &infos[i], i));
	ASSERT_EQ(TB_N, submit_new(&self->ring));
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, TB_N));
	EXPECT_TRUE(no_cqe(&self->ring, SETTLE_MS));

	for (i = 0; i < TB_N; i++)
		ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_ACQUIRE, 0, 0, NULL, 100 + i));
	ASSERT_EQ(TB_N, submit_new(&self->ring));
	ASSERT_EQ(TB_N, collect(&self->ring, recs, TB_N));
	for (i = 0; i < TB_N; i++) {
		int j = (int)recs[i].ud - 100;

		ASSERT_LE(0, j);
		ASSERT_GT(TB_N, j);
		ASSERT_LE(0, recs[i].res);
		ASSERT_GT(TB_N, recs[i].res);
		EXPECT_FALSE(used[recs[i].res]);
		used[recs[i].res] = true;
		slot[j] = (uint32_t)recs[i].res;
	}
	/* Acquired is not sent: the takers still wait. */
	EXPECT_EQ((uint64_t)TB_N, chan_get(ch, STAT_RECEIVERS_WAITING));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENT));
	EXPECT_TRUE(no_cqe(&self->ring, SETTLE_MS));

	for (i = 0; i < TB_N; i++)
		fill(map + (size_t)slot[i] * info.slot_size, 10 + i * 29, i);
	t0 = now_ns();
	for (i = 0; i < TB_N; i++)
		ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_COMMIT, slot[i], 10 + i * 29,
				      NULL, 200 + i));
	ASSERT_EQ(TB_N, submit_new(&self->ring));
	ASSERT_EQ(2 * TB_N, collect(&self->ring, recs, 2 * TB_N));
	t1 = now_ns();
	for (i = 0; i < 2 * TB_N; i++) {
		const struct cspchan_slot_info *si;
		int k;

		if (recs[i].ud >= 200) {
			k = (int)recs[i].ud - 200;
			ASSERT_GT(TB_N, k);
			EXPECT_EQ(10 + k * 29, recs[i].res);
			commits++;
			continue;
		}
		k = (int)recs[i].ud;
		ASSERT_GT(TB_N, k);
		si = &infos[k];
		/* The k-th parked TAKE gets the k-th committed message. */
		EXPECT_EQ(10 + k * 29, recs[i].res);
		EXPECT_EQ((uint32_t)recs[i].res, si->len);
		EXPECT_EQ(slot[k], si->slot);
		EXPECT_EQ((uint64_t)si->slot * info.slot_size, si->offset);
		EXPECT_EQ((uint64_t)k, si->seq);
		EXPECT_EQ((uint32_t)getpid(), si->pid);
		EXPECT_LE(t0, si->sent_ns);
		EXPECT_GE(t1, si->sent_ns);
		ASSERT_LE(si->offset + si->len, info.arena_size);
		EXPECT_TRUE(check(map + si->offset, si->len, k));
		takes++;
	}
	EXPECT_EQ(TB_N, takes);
	EXPECT_EQ(TB_N, commits);
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ((uint64_t)TB_N, chan_get(ch, STAT_SENT));
	EXPECT_EQ((uint64_t)TB_N, chan_get(ch, STAT_RECEIVED));
	EXPECT_EQ(0, iowq_workers());

	/* Taken slots are held until released: nothing can be acquired. */
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));
	for (i = 0; i < TB_N; i++)
		ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_RELEASE, infos[i].slot, 0,
				      NULL, 300 + i));
	ASSERT_EQ(TB_N, submit_new(&self->ring));
	ASSERT_EQ(TB_N, collect(&self->ring, recs, TB_N));
	for (i = 0; i < TB_N; i++) {
		EXPECT_LE(300U, recs[i].ud);
		EXPECT_EQ(0, recs[i].res);
	}
	for (i = 0; i < TB_N; i++)
		EXPECT_LE(0, zc_acquire(ch, 0, &req));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));
	munmap(map, info.arena_size);
	close(ch);
}

/* A TAKE finds a queued message at once: it completes without parking. */
TEST_F(ring, take_queued_completes_at_once)
{
	struct cspchan_slot_info si;
	struct cspchan_info info;
	struct cqe_rec rec;
	uint8_t *map;
	int ch;

	ch = chan_new(2, 64);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	map = zc_map(ch, PROT_READ, &info);
	ASSERT_NE(NULL, map);
	ASSERT_EQ(6, send_str(ch, "queued"));
	memset(&si, 0xee, sizeof(si));

	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_TAKE, 0, 0, &si, 7));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(7U, rec.ud);
	EXPECT_EQ(6, rec.res);
	EXPECT_EQ(6U, si.len);
	EXPECT_EQ(0U, si.seq);
	EXPECT_EQ((uint64_t)si.slot * info.slot_size, si.offset);
	EXPECT_EQ(0, memcmp(map + si.offset, "queued", 6));
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));
	EXPECT_EQ(0, zc_release(ch, si.slot));
	munmap(map, info.arena_size);
	close(ch);
}

/*
 * An ACQUIRE on a full channel parks; a taken (not yet released) slot
 * does not complete it, its release does, and the slot is then owned by
 * the handle the command was issued on.  Freeing a slot by read(2)
 * completes one too.
 */
TEST_F(ring, acquire_parked_until_slot_freed)
{
	struct cspchan_slot_req req;
	struct cspchan_info info;
	struct cqe_rec rec;
	char buf[16];
	uint8_t *map;
	int ch;

	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	map = zc_map(ch, PROT_READ | PROT_WRITE, &info);
	ASSERT_NE(NULL, map);
	ASSERT_EQ(2, send_str(ch, "m0"));
	ASSERT_EQ(2, send_str(ch, "m1"));

	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_ACQUIRE, 0, 0, NULL, 1));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));
	EXPECT_TRUE(no_cqe(&self->ring, SETTLE_MS));

	ASSERT_EQ(2, zc_take(ch, 0, &req));
	EXPECT_TRUE(no_cqe(&self->ring, SETTLE_MS));
	EXPECT_EQ(1U, chan_get(ch, STAT_SENDERS_WAITING));

	ASSERT_EQ(0, zc_release(ch, req.slot));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(1U, rec.ud);
	EXPECT_EQ((int)req.slot, rec.res);
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));

	/* The granted slot is the handle's: commit it with the ioctl. */
	memcpy(map + (size_t)rec.res * info.slot_size, "ring", 4);
	EXPECT_EQ(4, zc_commit(ch, rec.res, 4));

	/* Full again (m1, ring): a parked ACQUIRE completes on read(2). */
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_ACQUIRE, 0, 0, NULL, 2));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));
	ASSERT_EQ(2, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("m1", buf);
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(2U, rec.ud);
	ASSERT_LE(0, rec.res);
	EXPECT_GT((int)info.nr_slots, rec.res);
	ASSERT_EQ(4, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("ring", buf);
	EXPECT_EQ(0, zc_release(ch, rec.res));
	munmap(map, info.arena_size);
	close(ch);
}

/*
 * Unbuffered: a COMMIT parks until a receiver takes the message, whether
 * by read(2) or by a TAKE through the same ring.
 */
TEST_F(ring, commit_parked_on_unbuffered)
{
	struct cspchan_slot_info si;
	struct cspchan_info info;
	struct cqe_rec recs[2];
	char buf[64];
	uint8_t *map;
	int ch, i, slot;

	ch = chan_new(0, 64);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	map = zc_map(ch, PROT_READ | PROT_WRITE, &info);
	ASSERT_NE(NULL, map);

	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_ACQUIRE, 0, 0, NULL, 1));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, collect(&self->ring, recs, 1));
	slot = recs[0].res;
	ASSERT_LE(0, slot);
	ASSERT_GT((int)info.nr_slots, slot);
	fill(map + (size_t)slot * info.slot_size, 50, 1);

	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_COMMIT, slot, 50, NULL, 2));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));
	EXPECT_TRUE(no_cqe(&self->ring, SETTLE_MS));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENT));

	ASSERT_EQ(50, read(ch, buf, sizeof(buf)));
	EXPECT_TRUE(check(buf, 50, 1));
	ASSERT_EQ(1, collect(&self->ring, recs, 1));
	EXPECT_EQ(2U, recs[0].ud);
	EXPECT_EQ(50, recs[0].res);
	EXPECT_EQ(1U, chan_get(ch, STAT_SENT));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));

	/* Both ends in the ring: a parked COMMIT, then a TAKE. */
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_ACQUIRE, 0, 0, NULL, 3));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, collect(&self->ring, recs, 1));
	slot = recs[0].res;
	ASSERT_LE(0, slot);
	fill(map + (size_t)slot * info.slot_size, 64, 2);
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_COMMIT, slot, 64, NULL, 4));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));
	EXPECT_TRUE(no_cqe(&self->ring, SETTLE_MS));
	memset(&si, 0xee, sizeof(si));
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_TAKE, 0, 0, &si, 5));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(2, collect(&self->ring, recs, 2));
	for (i = 0; i < 2; i++) {
		if (recs[i].ud == 4) {
			EXPECT_EQ(64, recs[i].res);
		} else {
			EXPECT_EQ(5U, recs[i].ud);
			EXPECT_EQ(64, recs[i].res);
		}
	}
	EXPECT_EQ((uint32_t)slot, si.slot);
	EXPECT_EQ(64U, si.len);
	EXPECT_EQ(1U, si.seq);
	EXPECT_TRUE(check(map + si.offset, 64, 2));
	EXPECT_EQ(0, zc_release(ch, si.slot));
	EXPECT_EQ(2U, chan_get(ch, STAT_SENT));
	EXPECT_EQ(2U, chan_get(ch, STAT_RECEIVED));
	munmap(map, info.arena_size);
	close(ch);
}

TEST_F(ring, release_command)
{
	struct cspchan_slot_req req;
	struct cspchan_slot_info si;
	struct cspchan_info info;
	struct cqe_rec rec;
	int ch, i;

	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));

	/* An acquired slot. */
	ASSERT_LE(0, zc_acquire(ch, 0, &req));
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_RELEASE, req.slot, 0, NULL, 1));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(0, rec.res);
	/* Twice. */
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_RELEASE, req.slot, 0, NULL, 2));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(-EPERM, rec.res);
	/* Out of range. */
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_RELEASE, info.nr_slots, 0, NULL, 3));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(-EINVAL, rec.res);

	/* A taken slot, taken through the ring too. */
	ASSERT_EQ(1, send_str(ch, "t"));
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_TAKE, 0, 0, &si, 4));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	ASSERT_EQ(1, rec.res);
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_RELEASE, si.slot, 0, NULL, 5));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(5U, rec.ud);
	EXPECT_EQ(0, rec.res);

	/* Everything is free. */
	for (i = 0; i < 2; i++)
		EXPECT_LE(0, zc_acquire(ch, 0, &req));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));
	close(ch);
}

/* Errors come back in cqe->res and change nothing (SPEC 8). */
/*
 * The ioctl numbers of the four slot commands still work as cmd_op
 * (legacy); the new codes are what the library sends.  Both do the same.
 */
TEST_F(ring, legacy_opcodes_still_accepted)
{
	const uint32_t codes[2][4] = {
		{ CSPCHAN_IOC_ACQUIRE, CSPCHAN_IOC_COMMIT, CSPCHAN_IOC_TAKE, CSPCHAN_IOC_RELEASE },
		{ CSPCHAN_URING_ACQUIRE, CSPCHAN_URING_COMMIT, CSPCHAN_URING_TAKE,
		  CSPCHAN_URING_RELEASE },
	};
	struct cspchan_slot_info si;
	struct cqe_rec rec;
	unsigned int k;
	int ch, slot;

	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	for (k = 0; k < 2; k++) {
		EXPECT_NE(codes[0][0], codes[1][0]);
		ASSERT_TRUE(queue_cmd(&self->ring, ch, codes[k][0], 0, 0, NULL, 1));
		ASSERT_EQ(1, submit_new(&self->ring));
		ASSERT_EQ(1, collect(&self->ring, &rec, 1));
		ASSERT_LE(0, rec.res);
		slot = rec.res;
		ASSERT_TRUE(queue_cmd(&self->ring, ch, codes[k][1], (uint32_t)slot, 5, NULL, 2));
		ASSERT_EQ(1, submit_new(&self->ring));
		ASSERT_EQ(1, collect(&self->ring, &rec, 1));
		EXPECT_EQ(5, rec.res);
		memset(&si, 0xff, sizeof(si));
		ASSERT_TRUE(queue_cmd(&self->ring, ch, codes[k][2], 0, 0, &si, 3));
		ASSERT_EQ(1, submit_new(&self->ring));
		ASSERT_EQ(1, collect(&self->ring, &rec, 1));
		EXPECT_EQ(5, rec.res);
		EXPECT_EQ((uint32_t)slot, si.slot);
		EXPECT_EQ(5U, si.len);
		EXPECT_EQ((uint64_t)k, si.seq);
		ASSERT_TRUE(queue_cmd(&self->ring, ch, codes[k][3], si.slot, 0, NULL, 4));
		ASSERT_EQ(1, submit_new(&self->ring));
		ASSERT_EQ(1, collect(&self->ring, &rec, 1));
		EXPECT_EQ(0, rec.res);
	}
	EXPECT_EQ(2U, chan_get(ch, STAT_SENT));
	EXPECT_EQ(2U, chan_get(ch, STAT_RECEIVED));
	close(ch);
}

TEST_F(ring, bad_commands)
{
	const uint32_t unknown[] = { 0, CSPCHAN_IOC_STAT, CSPCHAN_IOC_SEND, CSPCHAN_IOC_SHUTDOWN,
				     0xdeadbeef };
	struct cspchan_slot_req req;
	struct cspchan_slot_info si;
	char name[CSPCHAN_NAME_MAX], buf[16];
	struct cspchan_info info;
	struct cqe_rec rec;
	unsigned int i;
	int ch, ro, wo;

	unique_name(name, "ur-bad");
	ch = chan_named(name, 2, 16, 0600, 0);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	ro = cspchan_open(name, O_RDONLY);
	ASSERT_LE(0, ro);
	wo = cspchan_open(name, O_WRONLY);
	ASSERT_LE(0, wo);

	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		ASSERT_TRUE(queue_cmd(&self->ring, ch, unknown[i], 0, 0, NULL, i));
		ASSERT_EQ(1, submit_new(&self->ring));
		ASSERT_EQ(1, collect(&self->ring, &rec, 1));
		EXPECT_EQ(i, rec.ud);
		EXPECT_EQ(-ENOTTY, rec.res);
	}
	EXPECT_EQ(0U, chan_get(ch, STAT_SHUT));

	/* COMMIT of a slot the handle does not own, or out of range. */
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_COMMIT, 0, 1, NULL, 10));
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_COMMIT, info.nr_slots, 1, NULL, 11));
	ASSERT_EQ(2, submit_new(&self->ring));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(1, collect(&self->ring, &rec, 1));
		EXPECT_EQ(rec.ud == 10 ? -EPERM : -EINVAL, rec.res);
	}

	/* Owned by another handle of the channel. */
	ASSERT_LE(0, zc_acquire(wo, 0, &req));
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_COMMIT, req.slot, 1, NULL, 12));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(-EPERM, rec.res);
	EXPECT_EQ(0, zc_release(wo, req.slot));

	/* Owned, but a bad length: the handle keeps the slot. */
	ASSERT_LE(0, zc_acquire(ch, 0, &req));
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_COMMIT, req.slot, 0, NULL, 13));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(-EINVAL, rec.res);
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_COMMIT, req.slot, 17, NULL, 14));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(-EMSGSIZE, rec.res);
	EXPECT_EQ(0U, chan_get(ch, STAT_SENT));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(0, zc_release(ch, req.slot));

	/* Wrong access mode. */
	ASSERT_TRUE(queue_cmd(&self->ring, ro, CSPCHAN_URING_ACQUIRE, 0, 0, NULL, 20));
	ASSERT_TRUE(queue_cmd(&self->ring, ro, CSPCHAN_URING_COMMIT, 0, 1, NULL, 21));
	ASSERT_TRUE(queue_cmd(&self->ring, wo, CSPCHAN_URING_TAKE, 0, 0, &si, 22));
	ASSERT_EQ(3, submit_new(&self->ring));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, collect(&self->ring, &rec, 1));
		EXPECT_LE(20U, rec.ud);
		EXPECT_EQ(-EBADF, rec.res);
	}
	EXPECT_TRUE(no_cqe(&self->ring, 1));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));

	/* Every slot is free and the channel works. */
	ASSERT_LE(0, zc_acquire(ch, 0, &req));
	ASSERT_LE(0, zc_acquire(ch, 0, &req));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));
	close(ch);
	ch = cspchan_open(name, O_RDWR);
	ASSERT_LE(0, ch);
	ASSERT_EQ(2, send_str(ch, "ok"));
	ASSERT_EQ(2, recv_str(ro, buf, sizeof(buf)));
	EXPECT_STREQ("ok", buf);
	close(wo);
	close(ro);
	close(ch);
	cspchan_unlink(name);
}

/*
 * A TAKE whose info cannot be written: -EFAULT, and the message is not
 * lost — it stays first in the channel.  Here the message is already
 * queued, so the TAKE is served at submission.
 */
TEST_F(ring, take_bad_info_queued)
{
	struct cqe_rec rec;
	char buf[16];
	void *bad;
	int ch;

	bad = unmapped_address();
	ASSERT_NE(NULL, bad);
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(8, send_str(ch, "precious"));

	/* A kernel address is refused before anything happens. */
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_TAKE, 0, 0,
			      (void *)(uintptr_t)0xffff888000000000ULL, 1));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(-EFAULT, rec.res);
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));

	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_TAKE, 0, 0, bad, 2));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(2U, rec.ud);
	EXPECT_EQ(-EFAULT, rec.res);

	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVED));
	ASSERT_EQ(8, recv_str_timeout(ch, buf, sizeof(buf), 0));
	EXPECT_STREQ("precious", buf);
	close(ch);
}

/* The same with the TAKE parked first: the message goes back to the channel. */
TEST_F(ring, take_bad_info_parked)
{
	struct cqe_rec rec;
	char buf[16];
	void *bad;
	int ch;

	bad = unmapped_address();
	ASSERT_NE(NULL, bad);
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);

	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_TAKE, 0, 0, bad, 1));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 1));
	ASSERT_EQ(8, send_str(ch, "precious"));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(-EFAULT, rec.res);

	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVED));
	ASSERT_EQ(8, recv_str_timeout(ch, buf, sizeof(buf), 0));
	EXPECT_STREQ("precious", buf);
	EXPECT_EQ(1U, chan_get(ch, STAT_RECEIVED));
	close(ch);
}

/*
 * A TAKE parking on an unbuffered channel is a receiver: a writer polling
 * for EPOLLOUT must be woken by it (and can then hand over at once).
 */
TEST_F(ring, parked_take_wakes_epollout)
{
	struct epoll_event ev = { .events = EPOLLOUT };
	struct cspchan_slot_info info;
	struct cqe_rec rec;
	int ch, ep;

	ch = chan_new(0, 16);
	ASSERT_LE(0, ch);
	ep = epoll_create1(0);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, ch, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));	/* nobody to hand to */

	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_TAKE, 0, 0, &info, 1));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 2000));
	EXPECT_NE(0U, ev.events & EPOLLOUT);
	ASSERT_EQ(4, cspchan_send_timeout(ch, "take", 4, 0));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(4, rec.res);
	EXPECT_EQ(0U, info.seq);
	EXPECT_EQ(0, cspchan_release(ch, info.slot));
	close(ep);
	close(ch);
}

/*
 * Closing a ring while a command is parked (the task lives on) must not
 * leave the ring, the handle and the module pinned: the driver completes
 * the command with -ECANCELED and the channel keeps working.
 */
TEST(ring_closed_with_parked_take)
{
	struct cspchan_slot_info info;
	struct io_uring ring;
	char buf[16];
	int ch, i;

	REQUIRE_CSPCHAN();
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, uring_init(&ring, 8, false));
	ASSERT_TRUE(queue_cmd(&ring, ch, CSPCHAN_URING_TAKE, 0, 0, &info, 1));
	ASSERT_EQ(1, submit_new(&ring));
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 1));
	io_uring_queue_exit(&ring);
	for (i = 0; i < 200 && chan_get(ch, STAT_RECEIVERS_WAITING); i++)
		usleep(10000);
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));
	/* A message sent now is not taken into the dead ring. */
	ASSERT_EQ(5, send_str(ch, "after"));
	ASSERT_EQ(5, recv_str_timeout(ch, buf, sizeof(buf), 0));
	close(ch);
}

/*
 * Shutdown completes parked commands: TAKEs with 0 (end of stream),
 * ACQUIREs with -EPIPE, and an unbuffered COMMIT with -EPIPE, the slot
 * staying with the handle.
 */
TEST_F(ring, shutdown_completes_parked)
{
	struct cspchan_slot_info si[3];
	struct cspchan_slot_req req;
	struct cqe_rec recs[6];
	char buf[16];
	int empty, full, unbuf, i, slot;

	empty = chan_new(2, 16);
	ASSERT_LE(0, empty);
	full = chan_new(1, 16);
	ASSERT_LE(0, full);
	unbuf = chan_new(0, 16);
	ASSERT_LE(0, unbuf);
	ASSERT_EQ(4, send_str(full, "full"));
	slot = (int)zc_acquire(unbuf, 0, &req);
	ASSERT_LE(0, slot);

	for (i = 0; i < 3; i++)
		ASSERT_TRUE(queue_cmd(&self->ring, empty, CSPCHAN_URING_TAKE, 0, 0, &si[i], 10 + i));
	for (i = 0; i < 2; i++)
		ASSERT_TRUE(queue_cmd(&self->ring, full, CSPCHAN_URING_ACQUIRE, 0, 0, NULL, 20 + i));
	ASSERT_TRUE(queue_cmd(&self->ring, unbuf, CSPCHAN_URING_COMMIT, slot, 3, NULL, 30));
	ASSERT_EQ(6, submit_new(&self->ring));
	ASSERT_EQ(0, wait_stat(empty, STAT_RECEIVERS_WAITING, 3));
	ASSERT_EQ(0, wait_stat(full, STAT_SENDERS_WAITING, 2));
	ASSERT_EQ(0, wait_stat(unbuf, STAT_SENDERS_WAITING, 1));
	EXPECT_TRUE(no_cqe(&self->ring, SETTLE_MS));

	ASSERT_EQ(0, cspchan_shutdown(empty));
	ASSERT_EQ(3, collect(&self->ring, recs, 3));
	for (i = 0; i < 3; i++) {
		EXPECT_LE(10U, recs[i].ud);
		EXPECT_GT(13U, recs[i].ud);
		EXPECT_EQ(0, recs[i].res);
	}
	ASSERT_EQ(0, cspchan_shutdown(full));
	ASSERT_EQ(2, collect(&self->ring, recs, 2));
	for (i = 0; i < 2; i++) {
		EXPECT_LE(20U, recs[i].ud);
		EXPECT_GT(22U, recs[i].ud);
		EXPECT_EQ(-EPIPE, recs[i].res);
	}
	ASSERT_EQ(0, cspchan_shutdown(unbuf));
	ASSERT_EQ(1, collect(&self->ring, recs, 1));
	EXPECT_EQ(30U, recs[0].ud);
	EXPECT_EQ(-EPIPE, recs[0].res);
	EXPECT_TRUE(no_cqe(&self->ring, 1));

	EXPECT_EQ(0U, chan_get(empty, STAT_RECEIVERS_WAITING));
	EXPECT_EQ(0U, chan_get(full, STAT_SENDERS_WAITING));
	EXPECT_EQ(0U, chan_get(unbuf, STAT_SENDERS_WAITING));
	EXPECT_EQ(0U, chan_get(unbuf, STAT_SENT));
	EXPECT_EQ(0, zc_release(unbuf, slot));
	/* The full channel drains, then ends. */
	ASSERT_EQ(4, recv_str(full, buf, sizeof(buf)));
	EXPECT_STREQ("full", buf);
	EXPECT_EQ(0, recv_str(full, buf, sizeof(buf)));
	/* Commands issued after shutdown finish at once. */
	ASSERT_TRUE(queue_cmd(&self->ring, empty, CSPCHAN_URING_TAKE, 0, 0, &si[0], 40));
	ASSERT_TRUE(queue_cmd(&self->ring, full, CSPCHAN_URING_ACQUIRE, 0, 0, NULL, 41));
	ASSERT_EQ(2, submit_new(&self->ring));
	ASSERT_EQ(2, collect(&self->ring, recs, 2));
	for (i = 0; i < 2; i++)
		EXPECT_EQ(recs[i].ud == 40 ? 0 : -EPIPE, recs[i].res);
	close(unbuf);
	close(full);
	close(empty);
}

/* ---- a process exits with commands parked (SPEC 3.11, SPEC 6) ------------------ */

#define PX_TAKES	4

FIXTURE(parked_exit) {
	char take_name[CSPCHAN_NAME_MAX];
	char acq_name[CSPCHAN_NAME_MAX];
	int takech;		/* empty: the child's TAKEs park */
	int acqch;		/* full: the child's ACQUIRE parks */
	int *ready;
	pid_t pid;
};

FIXTURE_VARIANT(parked_exit) {
	bool sqpoll;
	bool kill;		/* SIGKILL, else _exit() */
};

FIXTURE_VARIANT_ADD(parked_exit, exit_plain) {
	.sqpoll = false,
	.kill = false,
};

FIXTURE_VARIANT_ADD(parked_exit, kill_plain) {
	.sqpoll = false,
	.kill = true,
};

FIXTURE_VARIANT_ADD(parked_exit, exit_sqpoll) {
	.sqpoll = true,
	.kill = false,
};

FIXTURE_VARIANT_ADD(parked_exit, kill_sqpoll) {
	.sqpoll = true,
	.kill = true,
};

FIXTURE_SETUP(parked_exit)
{
	REQUIRE_CSPCHAN();
	self->pid = -1;
	self->ready = shared_alloc(2 * sizeof(int));	/* ready, go */
	ASSERT_NE(NULL, self->ready);
	unique_name(self->take_name, "ur-exit-take");
	unique_name(self->acq_name, "ur-exit-acq");
	self->takech = chan_named(self->take_name, 4, 64, 0600, 0);
	ASSERT_LE(0, self->takech);
	self->acqch = chan_named(self->acq_name, 1, 64, 0600, 0);
	ASSERT_LE(0, self->acqch);
	ASSERT_EQ(4, send_str(self->acqch, "full"));
}

FIXTURE_TEARDOWN(parked_exit)
{
	close(self->acqch);
	close(self->takech);
	cspchan_unlink(self->acq_name);
	cspchan_unlink(self->take_name);
}

/*
 * The child opens the channels by name (handles of its own), sets up its
 * own ring, parks four TAKEs, one ACQUIRE and one WRITE behind it, and,
 * once the parent saw them parked, exits or is killed.
 * Within a second the commands are gone from the channels, its handles are
 * released (the module's reference count is back to what it was), and the
 * channels work: the cancelled commands took nothing.
 */
TEST_F(parked_exit, nothing_stays_pinned)
{
	int idle, during, status, remaining, px_senders;
	struct cspchan_features f;
	uint64_t start;
	char buf[16];
	struct cspchan_slot_req req;
	pid_t pid;

	/* The ACQUIRE, and the write behind it if writes park. */
	ASSERT_EQ(0, chan_features(&f));
	px_senders = (f.features & CSPCHAN_FEAT_URING_WRITE_PARK) ? 2 : 1;
	idle = module_refcnt();
	ASSERT_LE(0, idle);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct cspchan_slot_info si[PX_TAKES];
		struct io_uring_sqe *sqe;
		struct io_uring ring;
		int ht, ha, i;

		ht = cspchan_open(self->take_name, O_RDWR);
		CHILD_ASSERT(ht >= 0);
		ha = cspchan_open(self->acq_name, O_RDWR);
		CHILD_ASSERT(ha >= 0);
		CHILD_ASSERT(uring_init(&ring, 16, variant->sqpoll) == 0);
		for (i = 0; i < PX_TAKES; i++)
			CHILD_ASSERT(queue_cmd(&ring, ht, CSPCHAN_URING_TAKE, 0, 0, &si[i], i));
		CHILD_ASSERT(queue_cmd(&ring, ha, CSPCHAN_URING_ACQUIRE, 0, 0, NULL, 10));
		sqe = io_uring_get_sqe(&ring);
		CHILD_ASSERT(sqe != NULL);
		io_uring_prep_write(sqe, ha, "parked", 7, 0);
		io_uring_sqe_set_data64(sqe, 11);
		CHILD_ASSERT(submit_new(&ring) == PX_TAKES + 2);
		CHILD_ASSERT(wait_stat(ht, STAT_RECEIVERS_WAITING, PX_TAKES) == 0);
		CHILD_ASSERT(wait_stat(ha, STAT_SENDERS_WAITING, px_senders) == 0);
		__atomic_store_n(self->ready, 1, __ATOMIC_SEQ_CST);
		/*
		 * Wait until the parent saw the commands parked: io_uring
		 * cancels them as soon as the ring closes (Linux 6.7+).
		 */
		wait_counter(self->ready + 1, 1);
		if (!variant->kill)
			_exit(0);
		for (;;)
			pause();
	}
	self->pid = pid;
	ASSERT_EQ(1, wait_counter(self->ready, 1));
	EXPECT_EQ((uint64_t)PX_TAKES, chan_get(self->takech, STAT_RECEIVERS_WAITING));
	EXPECT_EQ((uint64_t)px_senders, chan_get(self->acqch, STAT_SENDERS_WAITING));
	during = module_refcnt();
	EXPECT_LT(idle, during);
	__atomic_store_n(self->ready + 1, 1, __ATOMIC_SEQ_CST);

	if (variant->kill)
		ASSERT_EQ(0, kill(pid, SIGKILL));
	/* Carry on if it is not reaped: what stays pinned is the point. */
	status = reap_within(pid, WAIT_MS);
	EXPECT_EQ(variant->kill ? 256 + SIGKILL : 0, status);

	start = now_ns();
	EXPECT_EQ(0, wait_stat_ms(self->takech, STAT_RECEIVERS_WAITING, 0, 1000));
	remaining = 1000 - (int)ms_since(start);
	EXPECT_EQ(0, wait_stat_ms(self->acqch, STAT_SENDERS_WAITING, 0,
				  remaining > 1 ? remaining : 1));
	remaining = 1000 - (int)ms_since(start);
	EXPECT_EQ(0, wait_refcnt(idle, remaining > 1 ? remaining : 1));
	/* What follows would race with commands still parked. */
	ASSERT_EQ(0U, chan_get(self->takech, STAT_RECEIVERS_WAITING));
	ASSERT_EQ(0U, chan_get(self->acqch, STAT_SENDERS_WAITING));

	/* The empty channel: nothing was received, a message stays queued. */
	EXPECT_EQ(0U, chan_get(self->takech, STAT_RECEIVED));
	ASSERT_EQ(5, send_str(self->takech, "after"));
	EXPECT_EQ(1U, chan_get(self->takech, STAT_DEPTH));
	ASSERT_EQ(5, zc_take(self->takech, 0, &req));
	EXPECT_EQ(0, zc_release(self->takech, req.slot));
	ASSERT_EQ(5, send_str(self->takech, "again"));
	ASSERT_EQ(5, recv_str_timeout(self->takech, buf, sizeof(buf), 0));
	EXPECT_STREQ("again", buf);

	/* The full channel: its message is there, and freeing it frees one slot. */
	ASSERT_EQ(4, recv_str_timeout(self->acqch, buf, sizeof(buf), 0));
	EXPECT_STREQ("full", buf);
	ASSERT_LE(0, zc_acquire(self->acqch, 0, &req));
	EXPECT_EQ(-EAGAIN, zc_acquire(self->acqch, 0, &req));
}

/* ---- vectored slot commands (CSPCHAN_URING_*V) -------------------------------- */

/* Queue a vectored command for @n entries of @vec, submit it and collect it. */
static int run_vec(struct io_uring *ring, int fd, uint32_t op, const void *vec,
		   uint32_t n, struct cqe_rec *rec)
{
	if (!queue_cmd(ring, fd, op, 0, n, vec, op))
		return -EBUSY;
	if (submit_new(ring) != 1)
		return -EIO;
	return collect(ring, rec, 1) == 1 ? 0 : -ETIME;
}

TEST(vec_feature_advertised)
{
	struct cspchan_features f;

	REQUIRE_CSPCHAN();
	ASSERT_EQ(0, chan_features(&f));
	EXPECT_TRUE((f.features & CSPCHAN_FEAT_URING_SLOTV) != 0);
}

/* TAKEV takes what is there (up to n), in the channel's order; RELEASEV frees it. */
TEST_F(ring, vec_take_burst_in_order)
{
	struct cspchan_slot_info vec[8];
	struct cspchan_slot_req req;
	struct cspchan_info info;
	struct cqe_rec rec;
	char msg[8];
	int ch, i;

	ch = chan_new(8, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	for (i = 0; i < 5; i++) {
		snprintf(msg, sizeof(msg), "%.*s", i + 1, "abcdef");
		ASSERT_EQ(i + 1, send_str(ch, msg));
	}
	memset(vec, 0xff, sizeof(vec));
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_TAKEV, vec, 8, &rec));
	ASSERT_EQ(5, rec.res);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ((uint64_t)i, vec[i].seq);
		EXPECT_EQ((uint32_t)i + 1, vec[i].len);
		EXPECT_EQ((uint64_t)vec[i].slot * info.slot_size, vec[i].offset);
		EXPECT_EQ((uint32_t)getpid(), vec[i].pid);
		EXPECT_EQ(1U, vec[i].deliveries);	/* first delivery */
	}
	EXPECT_EQ(0xffffffffU, vec[5].slot);	/* untouched */
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(5U, chan_get(ch, STAT_RECEIVED));
	/* Held: nothing is free beyond the other three slots. */
	for (i = 0; i < 3; i++)
		ASSERT_LE(0, zc_acquire(ch, 0, &req));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));

	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_RELEASEV, vec, 5, &rec));
	EXPECT_EQ(5, rec.res);
	for (i = 0; i < 5; i++)
		EXPECT_LE(0, zc_acquire(ch, 0, &req));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));
	close(ch);
}

/*
 * A TAKEV that finds nothing parks; the message that completes it comes
 * first, and whatever else is queued by then joins the burst.
 */
TEST_F(ring, vec_take_parked_completes_with_burst)
{
	struct cspchan_slot_info vec[4];
	struct cqe_rec rec;
	int ch, i;

	ch = chan_new(8, 16);
	ASSERT_LE(0, ch);
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_TAKEV, 0, 4, vec, 1));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 1));
	EXPECT_TRUE(no_cqe(&self->ring, 50));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(2, send_str(ch, "xy"));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	ASSERT_LE(1, rec.res);
	ASSERT_GE(3, rec.res);
	for (i = 0; i < rec.res; i++)
		EXPECT_EQ((uint64_t)i, vec[i].seq);
	EXPECT_EQ(3U - (unsigned int)rec.res, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));
	close(ch);
}

/* End of stream: 0, whether the TAKEV was parked or came after the shutdown. */
TEST_F(ring, vec_take_end_of_stream)
{
	struct cspchan_slot_info vec[4];
	struct cqe_rec rec;
	int ch;

	ch = chan_new(4, 16);
	ASSERT_LE(0, ch);
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_TAKEV, 0, 4, vec, 1));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 1));
	ASSERT_EQ(0, cspchan_shutdown(ch));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(0, rec.res);
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_TAKEV, vec, 4, &rec));
	EXPECT_EQ(0, rec.res);
	close(ch);
}

/*
 * ACQUIREV owns what is free (up to n), parks when nothing is; COMMITV
 * sends them in the vector's order, with their lengths.
 */
TEST_F(ring, vec_acquire_commit_burst)
{
	struct cspchan_slot_info vec[8], more[8];
	struct cspchan_info info;
	struct cqe_rec rec;
	char buf[16];
	int ch, i, j;

	ch = chan_new(4, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_ACQUIREV, vec, 8, &rec));
	ASSERT_EQ(4, rec.res);
	for (i = 0; i < 4; i++) {
		EXPECT_GT(info.nr_slots, vec[i].slot);
		EXPECT_EQ((uint64_t)vec[i].slot * info.slot_size, vec[i].offset);
		for (j = 0; j < i; j++)
			EXPECT_NE(vec[j].slot, vec[i].slot);
		vec[i].len = (uint32_t)i + 1;
	}
	/* Nothing free: the next one parks. */
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_ACQUIREV, 0, 8, more, 7));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));

	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_COMMITV, 0, 4, vec, 8));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(8U, rec.ud);
	EXPECT_EQ(4, rec.res);
	EXPECT_EQ(4U, chan_get(ch, STAT_DEPTH));
	EXPECT_TRUE(no_cqe(&self->ring, 50));

	/* One receive frees one slot: the parked ACQUIREV gets it. */
	ASSERT_EQ(1, recv_str(ch, buf, sizeof(buf)));
	ASSERT_EQ(1, collect(&self->ring, &rec, 1));
	EXPECT_EQ(7U, rec.ud);
	EXPECT_EQ(1, rec.res);
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	for (i = 2; i <= 4; i++)
		EXPECT_EQ(i, recv_str(ch, buf, sizeof(buf)));
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_RELEASEV, more, 1, &rec));
	EXPECT_EQ(1, rec.res);
	close(ch);
}

/* COMMITV and RELEASEV stop at the first entry they cannot do. */
TEST_F(ring, vec_commit_release_stop_at_first_bad)
{
	struct cspchan_slot_info vec[3], rel[2];
	struct cqe_rec rec;
	int ch;

	ch = chan_new(4, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_ACQUIREV, vec, 3, &rec));
	ASSERT_EQ(3, rec.res);
	vec[0].len = 1;
	vec[1].len = 0;			/* bad */
	vec[2].len = 1;
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_COMMITV, vec, 3, &rec));
	EXPECT_EQ(1, rec.res);
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));

	/* The first bad: its error, nothing sent. */
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_COMMITV, &vec[1], 2, &rec));
	EXPECT_EQ(-EINVAL, rec.res);
	vec[1].len = 17;
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_COMMITV, &vec[1], 2, &rec));
	EXPECT_EQ(-EMSGSIZE, rec.res);
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_COMMITV, &vec[0], 1, &rec));
	EXPECT_EQ(-EPERM, rec.res);	/* already sent */
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));

	/* The handle still owns vec[1] and vec[2]; not vec[0]. */
	rel[0] = vec[1];
	rel[1] = vec[0];
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_RELEASEV, rel, 2, &rec));
	EXPECT_EQ(1, rec.res);
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_RELEASEV, rel, 1, &rec));
	EXPECT_EQ(-EPERM, rec.res);
	rel[0] = vec[2];
	rel[0].slot = 1000;		/* out of range */
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_RELEASEV, rel, 1, &rec));
	EXPECT_EQ(-EINVAL, rec.res);
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_RELEASEV, &vec[2], 1, &rec));
	EXPECT_EQ(1, rec.res);
	close(ch);
}

/* On an unbuffered channel COMMITV hands over only to parked receivers. */
TEST_F(ring, vec_commit_unbuffered_needs_receiver)
{
	struct cspchan_slot_info vec[1], took;
	struct cqe_rec rec;
	int ch;

	ch = chan_new(0, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_ACQUIREV, vec, 1, &rec));
	ASSERT_EQ(1, rec.res);
	vec[0].len = 3;
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_COMMITV, vec, 1, &rec));
	EXPECT_EQ(-EAGAIN, rec.res);
	EXPECT_EQ(0U, chan_get(ch, STAT_SENT));

	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_TAKE, 0, 0, &took, 5));
	ASSERT_EQ(1, submit_new(&self->ring));
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 1));
	ASSERT_TRUE(queue_cmd(&self->ring, ch, CSPCHAN_URING_COMMITV, 0, 1, vec, 6));
	ASSERT_EQ(1, submit_new(&self->ring));
	for (int k = 0; k < 2; k++) {
		ASSERT_EQ(1, collect(&self->ring, &rec, 1));
		EXPECT_EQ(rec.ud == 5 ? 3 : 1, rec.res);	/* TAKE: length */
	}
	EXPECT_EQ(vec[0].slot, took.slot);
	EXPECT_EQ(1U, chan_get(ch, STAT_SENT));
	close(ch);
}

/* Bad vectors: one bad field each; nothing changes (SPEC 8). */
TEST_F(ring, vec_bad_vectors)
{
	const uint32_t ops[] = { CSPCHAN_URING_ACQUIREV, CSPCHAN_URING_COMMITV,
				 CSPCHAN_URING_TAKEV, CSPCHAN_URING_RELEASEV };
	struct cspchan_slot_info vec[CSPCHAN_SLOTV_MAX + 1];
	char name[CSPCHAN_NAME_MAX], buf[16];
	struct cqe_rec rec;
	unsigned int i;
	int ch, ro, wo;
	void *bad;

	bad = unmapped_address();
	ASSERT_NE(NULL, bad);
	unique_name(name, "ur-vbad");
	ch = chan_named(name, 4, 16, 0600, 0);
	ASSERT_LE(0, ch);
	ro = cspchan_open(name, O_RDONLY);
	ASSERT_LE(0, ro);
	wo = cspchan_open(name, O_WRONLY);
	ASSERT_LE(0, wo);
	ASSERT_EQ(2, send_str(ch, "m0"));
	memset(vec, 0, sizeof(vec));

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		/* No entries, too many, a non-zero slot field. */
		ASSERT_TRUE(queue_cmd(&self->ring, ch, ops[i], 0, 0, vec, 1));
		ASSERT_TRUE(queue_cmd(&self->ring, ch, ops[i], 0, CSPCHAN_SLOTV_MAX + 1, vec, 2));
		ASSERT_TRUE(queue_cmd(&self->ring, ch, ops[i], 1, 1, vec, 3));
		/* The vector unmapped, or in the kernel. */
		ASSERT_TRUE(queue_cmd(&self->ring, ch, ops[i], 0, 1, bad, 4));
		ASSERT_TRUE(queue_cmd(&self->ring, ch, ops[i], 0, 1,
				      (void *)(uintptr_t)0xffff888000000000ULL, 5));
		ASSERT_EQ(5, submit_new(&self->ring));
		for (int k = 0; k < 5; k++) {
			ASSERT_EQ(1, collect(&self->ring, &rec, 1));
			EXPECT_EQ(rec.ud >= 4 ? -EFAULT : -EINVAL, rec.res);
		}
		EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
		EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVED));
		EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
		EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));
	}

	/* Wrong access mode. */
	vec[0].len = 1;
	ASSERT_EQ(0, run_vec(&self->ring, ro, CSPCHAN_URING_ACQUIREV, vec, 1, &rec));
	EXPECT_EQ(-EBADF, rec.res);
	ASSERT_EQ(0, run_vec(&self->ring, ro, CSPCHAN_URING_COMMITV, vec, 1, &rec));
	EXPECT_EQ(-EBADF, rec.res);
	ASSERT_EQ(0, run_vec(&self->ring, wo, CSPCHAN_URING_TAKEV, vec, 1, &rec));
	EXPECT_EQ(-EBADF, rec.res);
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));

	/* The message is still there, and the channel works. */
	ASSERT_EQ(2, recv_str_timeout(ro, buf, sizeof(buf), 0));
	EXPECT_STREQ("m0", buf);
	close(wo);
	close(ro);
	close(ch);
	cspchan_unlink(name);
}

/*
 * A TAKEV whose vector faults part-way: -EFAULT, and every message it
 * took goes back, in order.  Likewise an ACQUIREV gives its slots back.
 */
TEST_F(ring, vec_fault_undoes_the_burst)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct cspchan_slot_info *vec;
	struct cspchan_slot_req req;
	struct cqe_rec rec;
	char buf[16], *map;
	int ch, i;

	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + pg, pg));
	/* Two entries fit before the hole; the third does not. */
	vec = (struct cspchan_slot_info *)(map + pg - 2 * sizeof(*vec));

	ch = chan_new(4, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(2, send_str(ch, "m0"));
	ASSERT_EQ(2, send_str(ch, "m1"));
	ASSERT_EQ(2, send_str(ch, "m2"));
	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_TAKEV, vec, 3, &rec));
	EXPECT_EQ(-EFAULT, rec.res);
	EXPECT_EQ(3U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVED));
	for (i = 0; i < 3; i++) {
		char want[3] = { 'm', (char)('0' + i), 0 };

		ASSERT_EQ(2, recv_str_timeout(ch, buf, sizeof(buf), 0));
		EXPECT_STREQ(want, buf);
	}

	ASSERT_EQ(0, run_vec(&self->ring, ch, CSPCHAN_URING_ACQUIREV, vec, 3, &rec));
	EXPECT_EQ(-EFAULT, rec.res);
	for (i = 0; i < 4; i++)
		EXPECT_LE(0, zc_acquire(ch, 0, &req));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));
	close(ch);
	munmap(map, pg);
}

TEST_HARNESS_MAIN
