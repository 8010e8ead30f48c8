// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring under hostile use (issue 12, defects 3, 4, 5 and the unused
 * payload fields of 9), each a regression test that failed before the fix:
 *
 * - task work queued by a completing command is not a signal: it neither
 *   ends a timed receive with EINTR nor sends an untimed one to the back
 *   of its queue (SPEC 3.6), and it still runs when the receive returns;
 * - TAKEs parked by a process that exits or is killed never swallow,
 *   reorder or misdeliver the messages sent after (SPEC 3.11): a canary at
 *   the dead child's info address in the parent stays intact;
 * - every command completes when io_uring issues it from io-wq
 *   (IOSQE_ASYNC), at the head of a link, or from an SQPOLL thread, and
 *   leaves nothing pinned (SPEC 6);
 * - single commands reject non-zero unused payload fields and change
 *   nothing (SPEC 8);
 * - a process with an SQPOLL ring that used io-wq and has TAKEs parked
 *   dies when SIGKILLed.
 *
 * Children report through shared memory and the parent asserts, so that
 * a failure says which command or message went wrong.
 */
#include "uring_common.h"

#include <poll.h>

/* ---- helpers ------------------------------------------------------------- */

/*
 * A completion already posted in the completion ring, read without
 * entering the kernel (which would run pending task work itself): 1 with
 * *@rec filled, or 0.
 */
static int posted_cqe(struct io_uring *ring, struct cqe_rec *rec)
{
	struct io_uring_cqe *cqe;

	if (io_uring_cq_ready(ring) == 0 || io_uring_peek_cqe(ring, &cqe))
		return 0;
	rec->ud = cqe->user_data;
	rec->res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return 1;
}

/* One command, submitted alone and collected: its result, or -ETIME if none came. */
static int run_cmd(struct io_uring *ring, int fd, uint32_t op, uint32_t slot,
		   uint32_t len, const void *info)
{
	struct cqe_rec rec;

	if (!queue_cmd(ring, fd, op, slot, len, info, op))
		return -EBUSY;
	if (submit_new(ring) != 1)
		return -EIO;
	if (next_cqe(ring, &rec, WAIT_MS) != 1)
		return -ETIME;
	return rec.res;
}

/* ---- defect 3: io_uring task work is not a signal --------------------------- */

#define TW_TAKE_UD	1
#define NOT_POSTED	"A's TAKE completion was not posted when the receive returned"

/* What a child blocked in a receive saw. */
struct tw_report {
	long recv_ret;			/* the receive's result */
	char buf[16];			/* its message */
	uint64_t recv_ms;		/* how long it took */
	int posted;			/* A's completion was posted when it returned */
	struct cqe_rec rec;		/* that completion */
	struct cspchan_slot_info info;	/* A's TAKE answer */
};

/*
 * In a child: park a TAKE on @a through a ring of its own, then receive on
 * @b (timed when @timeout_ms >= 0, else read(2), untimed) and report.  The
 * TAKE's completion is looked for without entering the kernel: the task
 * work that posts it must have run on the way back from the receive.
 */
static void __attribute__((noreturn))
take_then_receive(int a, int b, int timeout_ms, struct tw_report *rep)
{
	struct io_uring ring;
	uint64_t t0;
	ssize_t n;

	memset(&rep->info, 0xee, sizeof(rep->info));
	CHILD_ASSERT(uring_init(&ring, 4, false) == 0);
	CHILD_ASSERT(queue_cmd(&ring, a, CSPCHAN_URING_TAKE, 0, 0, &rep->info, TW_TAKE_UD));
	CHILD_ASSERT(submit_new(&ring) == 1);
	CHILD_ASSERT(wait_stat(a, STAT_RECEIVERS_WAITING, 1) == 0);

	t0 = now_ns();
	if (timeout_ms >= 0)
		n = cspchan_recv_timeout(b, rep->buf, sizeof(rep->buf) - 1, timeout_ms);
	else
		n = sys_recv(b, rep->buf, sizeof(rep->buf) - 1);
	rep->recv_ms = ms_since(t0);
	rep->recv_ret = n;
	rep->buf[n > 0 ? n : 0] = '\0';
	rep->posted = posted_cqe(&ring, &rep->rec);
	_exit(0);
}

static void *tw_report_new(void)
{
	struct tw_report *rep = shared_alloc(sizeof(*rep));

	if (rep)
		memset(rep, 0, sizeof(*rep));
	return rep;
}

/*
 * A timed receive on B (5 s) in a process with a TAKE parked on A: A's
 * message completes the TAKE (task work for that thread) but does not end
 * the receive, which gets B's message sent after it; the TAKE's
 * completion is posted by the time the receive returns.
 */
TEST(task_work_does_not_interrupt_timed_receive)
{
	struct tw_report *rep;
	pid_t pid;
	int a, b;

	REQUIRE_CSPCHAN();
	rep = tw_report_new();
	ASSERT_NE(NULL, rep);
	a = chan_new(4, 16);
	ASSERT_LE(0, a);
	b = chan_new(4, 16);
	ASSERT_LE(0, b);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		take_then_receive(a, b, WAIT_MS, rep);
	ASSERT_EQ(0, wait_stat(a, STAT_RECEIVERS_WAITING, 1));
	ASSERT_EQ(0, wait_stat(b, STAT_RECEIVERS_WAITING, 1));

	ASSERT_EQ(3, send_str(a, "aaa"));
	ASSERT_EQ(0, wait_stat(a, STAT_RECEIVERS_WAITING, 0));
	msleep(SETTLE_MS);
	/* Still waiting on B. */
	EXPECT_EQ(1U, chan_get(b, STAT_RECEIVERS_WAITING));
	ASSERT_EQ(3, send_str(b, "bee"));
	ASSERT_EQ(0, child_wait(pid, 2 * WAIT_MS));

	EXPECT_EQ(3, rep->recv_ret);
	EXPECT_STREQ("bee", rep->buf);
	ASSERT_EQ(1, rep->posted) TH_LOG(NOT_POSTED);
	EXPECT_EQ((uint64_t)TW_TAKE_UD, rep->rec.ud);
	EXPECT_EQ(3, rep->rec.res);
	EXPECT_EQ(3U, rep->info.len);
	EXPECT_EQ(0U, rep->info.seq);
	EXPECT_EQ(1U, chan_get(a, STAT_RECEIVED));
	EXPECT_EQ(1U, chan_get(b, STAT_RECEIVED));
	close(b);
	close(a);
}

/* The same with nothing sent on B: the receive times out, after its full time. */
TEST(task_work_does_not_shorten_timed_receive)
{
	const int timeout_ms = 1500;
	struct tw_report *rep;
	pid_t pid;
	int a, b;

	REQUIRE_CSPCHAN();
	rep = tw_report_new();
	ASSERT_NE(NULL, rep);
	a = chan_new(4, 16);
	ASSERT_LE(0, a);
	b = chan_new(4, 16);
	ASSERT_LE(0, b);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		take_then_receive(a, b, timeout_ms, rep);
	ASSERT_EQ(0, wait_stat(a, STAT_RECEIVERS_WAITING, 1));
	ASSERT_EQ(0, wait_stat(b, STAT_RECEIVERS_WAITING, 1));
	ASSERT_EQ(3, send_str(a, "aaa"));
	ASSERT_EQ(0, child_wait(pid, timeout_ms + WAIT_MS));

	EXPECT_EQ(-ETIMEDOUT, rep->recv_ret);
	EXPECT_LE((uint64_t)timeout_ms - 1, rep->recv_ms);
	ASSERT_EQ(1, rep->posted) TH_LOG(NOT_POSTED);
	EXPECT_EQ((uint64_t)TW_TAKE_UD, rep->rec.ud);
	EXPECT_EQ(3, rep->rec.res);
	EXPECT_EQ(3U, rep->info.len);
	EXPECT_EQ(0U, chan_get(b, STAT_RECEIVED));
	close(b);
	close(a);
}

/* In a child: read(2) one message from @b and report it. */
static void __attribute__((noreturn)) plain_receive(int b, struct tw_report *rep)
{
	ssize_t n = sys_recv(b, rep->buf, sizeof(rep->buf) - 1);

	rep->recv_ret = n;
	rep->buf[n > 0 ? n : 0] = '\0';
	_exit(0);
}

/*
 * SPEC 3.6: T1 (with a TAKE parked on A) blocks in an untimed receive on
 * B, then T2 does.  A's message queues task work for T1, which must keep
 * its place: the next message on B goes to T1, the one after to T2.
 */
TEST(task_work_keeps_untimed_receiver_in_place)
{
	struct tw_report *rep1, *rep2;
	pid_t t1, t2;
	int a, b;

	REQUIRE_CSPCHAN();
	rep1 = tw_report_new();
	ASSERT_NE(NULL, rep1);
	rep2 = tw_report_new();
	ASSERT_NE(NULL, rep2);
	a = chan_new(4, 16);
	ASSERT_LE(0, a);
	b = chan_new(4, 16);
	ASSERT_LE(0, b);

	t1 = fork_child();
	ASSERT_LE(0, t1);
	if (t1 == 0)
		take_then_receive(a, b, -1, rep1);
	ASSERT_EQ(0, wait_stat(a, STAT_RECEIVERS_WAITING, 1));
	ASSERT_EQ(0, wait_stat(b, STAT_RECEIVERS_WAITING, 1));
	t2 = fork_child();
	ASSERT_LE(0, t2);
	if (t2 == 0)
		plain_receive(b, rep2);
	ASSERT_EQ(0, wait_stat(b, STAT_RECEIVERS_WAITING, 2));

	ASSERT_EQ(3, send_str(a, "aaa"));
	ASSERT_EQ(0, wait_stat(a, STAT_RECEIVERS_WAITING, 0));
	/* Time for an interrupted receive to restart at the back of the queue. */
	msleep(3 * SETTLE_MS);
	ASSERT_EQ(0, wait_stat(b, STAT_RECEIVERS_WAITING, 2));

	ASSERT_EQ(5, send_str(b, "first"));
	ASSERT_EQ(0, wait_stat(b, STAT_RECEIVERS_WAITING, 1));
	ASSERT_EQ(6, send_str(b, "second"));
	EXPECT_EQ(0, child_wait(t1, WAIT_MS));
	EXPECT_EQ(0, child_wait(t2, WAIT_MS));

	EXPECT_EQ(5, rep1->recv_ret);
	EXPECT_STREQ("first", rep1->buf);
	EXPECT_EQ(6, rep2->recv_ret);
	EXPECT_STREQ("second", rep2->buf);
	ASSERT_EQ(1, rep1->posted) TH_LOG(NOT_POSTED);
	EXPECT_EQ((uint64_t)TW_TAKE_UD, rep1->rec.ud);
	EXPECT_EQ(3, rep1->rec.res);
	EXPECT_EQ(3U, rep1->info.len);
	close(b);
	close(a);
}

/* ---- defect 4: TAKEs left parked by a process that dies ---------------------- */

#define DT_TAKES	8
#define DT_ROUNDS	16
#define DT_MSG		16
/* Where the child's info array is, and the parent's canary: the same address. */
#define DT_CANARY_ADDR	((void *)0x3c5a00000000UL)
#define DT_CANARY_BYTE	0xc5

FIXTURE(dead_taker) {
	struct cspchan_slot_info *info;	/* at DT_CANARY_ADDR */
	size_t info_len;
	int *ready;
};

FIXTURE_VARIANT(dead_taker) {
	bool sqpoll;
	bool kill;		/* SIGKILL, else _exit() */
};

FIXTURE_VARIANT_ADD(dead_taker, exit_plain) {
	.sqpoll = false,
	.kill = false,
};

FIXTURE_VARIANT_ADD(dead_taker, kill_plain) {
	.sqpoll = false,
	.kill = true,
};

FIXTURE_VARIANT_ADD(dead_taker, exit_sqpoll) {
	.sqpoll = true,
	.kill = false,
};

FIXTURE_VARIANT_ADD(dead_taker, kill_sqpoll) {
	.sqpoll = true,
	.kill = true,
};

FIXTURE_SETUP(dead_taker)
{
	void *p;

	REQUIRE_CSPCHAN();
	self->info_len = (size_t)sysconf(_SC_PAGESIZE);
	p = mmap(DT_CANARY_ADDR, self->info_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ(DT_CANARY_ADDR, p);
	self->info = p;
	memset(self->info, DT_CANARY_BYTE, self->info_len);
	self->ready = shared_alloc(sizeof(*self->ready));
	ASSERT_NE(NULL, self->ready);
}

FIXTURE_TEARDOWN(dead_taker)
{
	munmap(self->info, self->info_len);
}

/* The canary page is all DT_CANARY_BYTE. */
static bool canary_intact(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t k;

	for (k = 0; k < len; k++)
		if (b[k] != DT_CANARY_BYTE)
			return false;
	return true;
}

/*
 * read(2) up to @n messages "m<i>" from the non-blocking @ch within
 * @timeout_ms in all; their indexes (or -1) into @order.  Returns how
 * many came.
 */
static int read_indexes(int ch, int *order, int n, int timeout_ms)
{
	uint64_t start = now_ns();
	int got = 0;

	while (got < n) {
		struct pollfd pfd = { .fd = ch, .events = POLLIN };
		int left = timeout_ms - (int)ms_since(start);
		char buf[DT_MSG + 1];
		ssize_t r;

		if (left <= 0)
			break;
		if (poll(&pfd, 1, left) <= 0)
			continue;
		r = read(ch, buf, DT_MSG);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			break;
		buf[r] = '\0';
		if (sscanf(buf, "m%d", &order[got]) != 1)
			order[got] = -1;
		got++;
	}
	return got;
}

/*
 * A child opens the channel (a handle of its own), parks 8 TAKEs whose
 * answers would go to the canary's address, and exits or is killed; the
 * parent sends 8 messages while the child dies (even rounds) or
 * as soon as it is reaped (odd rounds), long before the channel's reaper
 * looks; back to back, or 2 ms apart (rounds 2, 3 mod 4).  All 8 then
 * reach the parent's read(2) within 5 s, in order, the figures say 8 sent
 * and 8 received, and the parent's canary is untouched.  Sixteen rounds,
 * to land in every window.
 */
/*
 * Wait until @pid has begun to exit (PF_EXITING in /proc/PID/stat's flags,
 * or it is a zombie already): a message handed to its TAKE before that is
 * one it received while alive, and rightly dies with it.  Returns 0, or -1
 * after @timeout_ms.
 */
static int wait_exiting(pid_t pid, int timeout_ms)
{
	uint64_t start = now_ns();
	char path[64], buf[512], state;
	unsigned long flags;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	while (ms_since(start) < (uint64_t)timeout_ms) {
		FILE *f = fopen(path, "r");
		char *p = NULL;

		if (f) {
			p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
			fclose(f);
		}
		/* ") state ppid pgrp session tty_nr tpgid flags" */
		if (p && sscanf(p, ") %c %*d %*d %*d %*d %*d %lu", &state, &flags) == 2 &&
		    (state == 'Z' || state == 'X' || (flags & 0x4)))
			return 0;
		sched_yield();
	}
	return -1;
}

TEST_F(dead_taker, messages_not_lost_or_reordered)
{
	char name[CSPCHAN_NAME_MAX], msg[DT_MSG];
	int round, i;

	for (round = 0; round < DT_ROUNDS; round++) {
		int order[DT_TAKES], got, status, ch;
		uint64_t start;
		pid_t pid;

		unique_name(name, "urr-dead");
		ch = chan_named(name, DT_TAKES, DT_MSG, 0600, 0);
		ASSERT_LE(0, ch);
		__atomic_store_n(self->ready, 0, __ATOMIC_SEQ_CST);

		pid = fork_child();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct io_uring ring;
			int h;

			h = cspchan_open(name, O_RDWR);
			CHILD_ASSERT(h >= 0);
			CHILD_ASSERT(uring_init(&ring, 16, variant->sqpoll) == 0);
			for (i = 0; i < DT_TAKES; i++)
				CHILD_ASSERT(queue_cmd(&ring, h, CSPCHAN_URING_TAKE, 0, 0,
						       &self->info[i], i));
			CHILD_ASSERT(submit_new(&ring) == DT_TAKES);
			CHILD_ASSERT(wait_stat(h, STAT_RECEIVERS_WAITING, DT_TAKES) == 0);
			__atomic_store_n(self->ready, 1, __ATOMIC_SEQ_CST);
			if (!variant->kill)
				_exit(0);
			for (;;)
				pause();
		}

		/* Spin rather than sleep: the sends are to follow the exit closely. */
		start = now_ns();
		while (!__atomic_load_n(self->ready, __ATOMIC_SEQ_CST) && ms_since(start) < WAIT_MS)
			sched_yield();
		ASSERT_EQ(1, __atomic_load_n(self->ready, __ATOMIC_SEQ_CST))
			TH_LOG("round %d", round);
		if (variant->kill) {
			ASSERT_EQ(0, kill(pid, SIGKILL));
		}
		/* The sends follow the start of the exit, as the do. */
		ASSERT_EQ(0, wait_exiting(pid, WAIT_MS)) TH_LOG("round %d", round);
		if (round & 1) {
			status = reap_within(pid, WAIT_MS);
			EXPECT_EQ(variant->kill ? 256 + SIGKILL : 0, status)
				TH_LOG("round %d", round);
		}
		for (i = 0; i < DT_TAKES; i++) {
			snprintf(msg, sizeof(msg), "m%d", i);
			ASSERT_EQ(2, send_str(ch, msg)) TH_LOG("round %d", round);
			/* Apart, each completes on its own (put back on its own). */
			if (round & 2)
				msleep(2);
		}
		if (!(round & 1)) {
			status = reap_within(pid, WAIT_MS);
			EXPECT_EQ(variant->kill ? 256 + SIGKILL : 0, status)
				TH_LOG("round %d", round);
		}

		ASSERT_EQ(0, fcntl(ch, F_SETFL, O_NONBLOCK));
		got = read_indexes(ch, order, DT_TAKES, WAIT_MS);
		EXPECT_EQ(DT_TAKES, got) TH_LOG("round %d: %d of %d messages arrived", round, got,
						DT_TAKES);
		for (i = 0; i < got; i++) {
			EXPECT_EQ(i, order[i]) TH_LOG("round %d: message %d is m%d", round, i,
						      order[i]);
		}
		EXPECT_EQ((uint64_t)DT_TAKES, chan_get(ch, STAT_SENT)) TH_LOG("round %d", round);
		EXPECT_EQ((uint64_t)DT_TAKES, chan_get(ch, STAT_RECEIVED))
			TH_LOG("round %d", round);
		EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH)) TH_LOG("round %d", round);
		EXPECT_TRUE(canary_intact(self->info, self->info_len))
			TH_LOG("round %d: the child's answer was written into the parent", round);
		close(ch);
		cspchan_unlink(name);
		if (_metadata->passed == 0)
			break;
	}
}

/* ---- defect 5: every command from io-wq, in a link, on SQPOLL ------------------ */

enum cmd_step {
	ST_ACQUIRE,
	ST_COMMIT,
	ST_TAKE,
	ST_RELEASE,
	ST_ACQUIREV,
	ST_COMMITV,
	ST_TAKEV,
	ST_RELEASEV,
	ST_UNBUF_ACQUIREV,
	ST_UNBUF_COMMITV,	/* no receiver: -EAGAIN, promptly */
	ST_UNBUF_RELEASEV,
	ST_NR,
};

static const char *const step_names[ST_NR] = {
	[ST_ACQUIRE] = "ACQUIRE",
	[ST_COMMIT] = "COMMIT",
	[ST_TAKE] = "TAKE",
	[ST_RELEASE] = "RELEASE",
	[ST_ACQUIREV] = "ACQUIREV",
	[ST_COMMITV] = "COMMITV",
	[ST_TAKEV] = "TAKEV",
	[ST_RELEASEV] = "RELEASEV",
	[ST_UNBUF_ACQUIREV] = "ACQUIREV (unbuffered)",
	[ST_UNBUF_COMMITV] = "COMMITV (unbuffered, no receiver)",
	[ST_UNBUF_RELEASEV] = "RELEASEV (unbuffered)",
};

#define STEP_MS		WAIT_MS
#define UD_CMD		1
#define UD_NOP		2

struct step_out {
	int done;		/* the command completed */
	int res;
	int nop_done;		/* the linked NOP completed */
	int nop_res;
	uint64_t ms;		/* submission to the command's completion */
};

struct every_report {
	struct step_out step[ST_NR];
	struct cspchan_slot_info take;		/* TAKE's answer */
	struct cspchan_slot_info takev[4];	/* TAKEV's */
};

/*
 * Submit one command with @sqe_flags (and, with IOSQE_IO_LINK, a NOP
 * after it) and collect what completes within STEP_MS each.  Returns the
 * command's result, or -ETIME if it did not complete.
 */
static int run_step(struct io_uring *ring, unsigned int sqe_flags, int fd, uint32_t op,
		    uint32_t slot, uint32_t len, const void *info, struct step_out *out)
{
	bool link = sqe_flags & IOSQE_IO_LINK;
	int want = link ? 2 : 1;
	struct cqe_rec rec;
	uint64_t t0;

	if (!queue_cmd_flags(ring, fd, op, slot, len, info, UD_CMD, sqe_flags))
		return -EBUSY;
	if (link) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		if (!sqe)
			return -EBUSY;
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data64(sqe, UD_NOP);
	}
	t0 = now_ns();
	if (submit_new(ring) != want)
		return -EIO;
	while (want-- > 0) {
		if (next_cqe(ring, &rec, STEP_MS) != 1)
			break;
		if (rec.ud == UD_CMD) {
			out->done = 1;
			out->res = rec.res;
			out->ms = ms_since(t0);
		} else if (rec.ud == UD_NOP) {
			out->nop_done = 1;
			out->nop_res = rec.res;
		}
	}
	return out->done ? out->res : -ETIME;
}

/*
 * In a child: every command once, in an order where each has a known
 * answer, on a buffered channel holding "hello" and an unbuffered one.
 * Stops at the first command that does not complete.
 */
static void __attribute__((noreturn))
every_command(bool sqpoll, unsigned int sqe_flags, struct every_report *rep)
{
	struct cspchan_slot_info vec[2], uvec[1];
	struct io_uring ring;
	struct step_out *st = rep->step;
	int ch, u, ret;

	ch = chan_new(4, 64);
	CHILD_ASSERT(ch >= 0);
	u = chan_new(0, 16);
	CHILD_ASSERT(u >= 0);
	CHILD_ASSERT(send_str(ch, "hello") == 5);
	CHILD_ASSERT(uring_init(&ring, 8, sqpoll) == 0);
	memset(rep->takev, 0xee, sizeof(rep->takev));

	ret = run_step(&ring, sqe_flags, ch, CSPCHAN_URING_ACQUIRE, 0, 0, NULL, &st[ST_ACQUIRE]);
	if (ret < 0)
		_exit(0);
	if (run_step(&ring, sqe_flags, ch, CSPCHAN_URING_COMMIT, (uint32_t)ret, 3, NULL,
		     &st[ST_COMMIT]) < 0)
		_exit(0);
	if (run_step(&ring, sqe_flags, ch, CSPCHAN_URING_TAKE, 0, 0, &rep->take, &st[ST_TAKE]) < 0)
		_exit(0);
	if (run_step(&ring, sqe_flags, ch, CSPCHAN_URING_RELEASE, rep->take.slot, 0, NULL,
		     &st[ST_RELEASE]) < 0)
		_exit(0);
	if (run_step(&ring, sqe_flags, ch, CSPCHAN_URING_ACQUIREV, 0, 2, vec,
		     &st[ST_ACQUIREV]) != 2)
		_exit(0);
	vec[0].len = 2;
	vec[1].len = 2;
	if (run_step(&ring, sqe_flags, ch, CSPCHAN_URING_COMMITV, 0, 2, vec,
		     &st[ST_COMMITV]) != 2)
		_exit(0);
	if (run_step(&ring, sqe_flags, ch, CSPCHAN_URING_TAKEV, 0, 4, rep->takev,
		     &st[ST_TAKEV]) != 3)
		_exit(0);
	if (run_step(&ring, sqe_flags, ch, CSPCHAN_URING_RELEASEV, 0, 3, rep->takev,
		     &st[ST_RELEASEV]) < 0)
		_exit(0);
	if (run_step(&ring, sqe_flags, u, CSPCHAN_URING_ACQUIREV, 0, 1, uvec,
		     &st[ST_UNBUF_ACQUIREV]) != 1)
		_exit(0);
	uvec[0].len = 3;
	if (run_step(&ring, sqe_flags, u, CSPCHAN_URING_COMMITV, 0, 1, uvec,
		     &st[ST_UNBUF_COMMITV]) == -ETIME)
		_exit(0);
	run_step(&ring, sqe_flags, u, CSPCHAN_URING_RELEASEV, 0, 1, uvec, &st[ST_UNBUF_RELEASEV]);
	_exit(0);
}

/* Whether step @s's result is right. */
static bool step_res_ok(enum cmd_step s, int res)
{
	switch (s) {
	case ST_ACQUIRE:
		return res >= 0 && res < 4;
	case ST_COMMIT:
		return res == 3;
	case ST_TAKE:
		return res == 5;
	case ST_RELEASE:
		return res == 0;
	case ST_ACQUIREV:
	case ST_COMMITV:
		return res == 2;
	case ST_TAKEV:
	case ST_RELEASEV:
		return res == 3;
	case ST_UNBUF_ACQUIREV:
	case ST_UNBUF_RELEASEV:
		return res == 1;
	case ST_UNBUF_COMMITV:
		return res == -EAGAIN;
	case ST_NR:
		break;
	}
	return false;
}

FIXTURE(every_cmd) {
	struct every_report *rep;
};

FIXTURE_VARIANT(every_cmd) {
	bool sqpoll;
	unsigned int sqe_flags;
};

FIXTURE_VARIANT_ADD(every_cmd, async_plain) {
	.sqpoll = false,
	.sqe_flags = IOSQE_ASYNC,
};

FIXTURE_VARIANT_ADD(every_cmd, async_sqpoll) {
	.sqpoll = true,
	.sqe_flags = IOSQE_ASYNC,
};

FIXTURE_VARIANT_ADD(every_cmd, linked_plain) {
	.sqpoll = false,
	.sqe_flags = IOSQE_IO_LINK,
};

FIXTURE_VARIANT_ADD(every_cmd, linked_sqpoll) {
	.sqpoll = true,
	.sqe_flags = IOSQE_IO_LINK,
};

FIXTURE_SETUP(every_cmd)
{
	REQUIRE_CSPCHAN();
	self->rep = shared_alloc(sizeof(*self->rep));
	ASSERT_NE(NULL, self->rep);
	memset(self->rep, 0, sizeof(*self->rep));
}

FIXTURE_TEARDOWN(every_cmd)
{
}

/*
 * Every command, issued from io-wq (IOSQE_ASYNC) or at the head of a link
 * to a NOP, on a plain and on an SQPOLL ring, completes with its result;
 * a linked NOP completes with 0 (-ECANCELED only after a failed command).
 * COMMITV that cannot send answers -EAGAIN within a second.  Once the
 * process has exited, the module's reference count is back.
 */
TEST_F(every_cmd, completes_with_result)
{
	struct every_report *rep = self->rep;
	bool link = variant->sqe_flags & IOSQE_IO_LINK;
	int idle, status, s;
	pid_t pid;

	idle = module_refcnt();
	ASSERT_LE(0, idle);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		every_command(variant->sqpoll, variant->sqe_flags, rep);
	status = reap_within(pid, ST_NR * STEP_MS + WAIT_MS);
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, wait_refcnt(idle, WAIT_MS)) TH_LOG("the module is still pinned");

	for (s = 0; s < ST_NR; s++) {
		const struct step_out *st = &rep->step[s];

		ASSERT_TRUE(st->done) TH_LOG("%s: no completion within %d ms", step_names[s],
					     STEP_MS);
		EXPECT_TRUE(step_res_ok(s, st->res)) TH_LOG("%s: result %d", step_names[s],
							    st->res);
		if (link) {
			ASSERT_TRUE(st->nop_done) TH_LOG("%s: linked NOP did not complete",
							 step_names[s]);
			EXPECT_EQ(st->res < 0 ? -ECANCELED : 0, st->nop_res)
				TH_LOG("%s: linked NOP", step_names[s]);
		}
	}
	EXPECT_GT(1000U, rep->step[ST_UNBUF_COMMITV].ms);
	EXPECT_EQ(5U, rep->take.len);
	EXPECT_EQ(0U, rep->take.seq);
	EXPECT_EQ((uint32_t)pid, rep->take.pid);
	for (s = 0; s < 3; s++) {
		EXPECT_EQ((uint64_t)s + 1, rep->takev[s].seq);
		EXPECT_EQ(s ? 2U : 3U, rep->takev[s].len);
	}
	EXPECT_EQ(0xeeeeeeeeU, rep->takev[3].slot);	/* untouched */
}

/* ---- defect 9: unused payload fields of single commands ------------------------ */

FIXTURE(fields) {
	struct io_uring ring;
	bool ready;
	int ch;
};

FIXTURE_SETUP(fields)
{
	REQUIRE_CSPCHAN();
	self->ready = false;
	ASSERT_EQ(0, uring_init(&self->ring, 8, false));
	self->ready = true;
	self->ch = chan_new(4, 16);
	ASSERT_LE(0, self->ch);
}

FIXTURE_TEARDOWN(fields)
{
	if (self->ready)
		io_uring_queue_exit(&self->ring);
	close(self->ch);
}

/* Every slot of the channel is free: the ioctl ACQUIREs get all four, then EAGAIN. */
static bool all_slots_free(int ch)
{
	struct cspchan_slot_req req;
	int i;

	for (i = 0; i < 4; i++)
		if (zc_acquire(ch, 0, &req) < 0)
			return false;
	return zc_acquire(ch, 0, &req) == -EAGAIN;
}

/* ACQUIRE with a non-zero slot, len or info: -EINVAL, and no slot is held. */
TEST_F(fields, acquire_rejects_nonzero_unused)
{
	struct cspchan_slot_info junk;

	EXPECT_EQ(-EINVAL, run_cmd(&self->ring, self->ch, CSPCHAN_URING_ACQUIRE, 1, 0, NULL));
	EXPECT_EQ(-EINVAL, run_cmd(&self->ring, self->ch, CSPCHAN_URING_ACQUIRE, 0, 8, NULL));
	EXPECT_EQ(-EINVAL, run_cmd(&self->ring, self->ch, CSPCHAN_URING_ACQUIRE, 0, 0, &junk));
	EXPECT_EQ(0U, chan_get(self->ch, STAT_SENDERS_WAITING));
	EXPECT_TRUE(all_slots_free(self->ch));
}

/* COMMIT with a non-zero info: -EINVAL, nothing sent, the slot still held. */
TEST_F(fields, commit_rejects_nonzero_info)
{
	struct cspchan_slot_info junk;
	struct cspchan_slot_req req;
	long slot;

	slot = zc_acquire(self->ch, 0, &req);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-EINVAL, run_cmd(&self->ring, self->ch, CSPCHAN_URING_COMMIT,
				   (uint32_t)slot, 3, &junk));
	EXPECT_EQ(0U, chan_get(self->ch, STAT_SENT));
	EXPECT_EQ(0U, chan_get(self->ch, STAT_DEPTH));
	EXPECT_EQ(3, run_cmd(&self->ring, self->ch, CSPCHAN_URING_COMMIT, (uint32_t)slot, 3, NULL));
	EXPECT_EQ(1U, chan_get(self->ch, STAT_SENT));
}

/* TAKE with a non-zero slot or len: -EINVAL, the message stays, info untouched. */
TEST_F(fields, take_rejects_nonzero_unused)
{
	struct cspchan_slot_info si;

	ASSERT_EQ(5, send_str(self->ch, "hello"));
	memset(&si, 0xee, sizeof(si));
	EXPECT_EQ(-EINVAL, run_cmd(&self->ring, self->ch, CSPCHAN_URING_TAKE, 1, 0, &si));
	EXPECT_EQ(-EINVAL, run_cmd(&self->ring, self->ch, CSPCHAN_URING_TAKE, 0, 5, &si));
	EXPECT_EQ(0xeeeeeeeeU, si.len);
	EXPECT_EQ(1U, chan_get(self->ch, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(self->ch, STAT_RECEIVED));
	EXPECT_EQ(5, run_cmd(&self->ring, self->ch, CSPCHAN_URING_TAKE, 0, 0, &si));
	EXPECT_EQ(5U, si.len);
	EXPECT_EQ(0U, si.seq);
}

/* RELEASE with a non-zero len or info: -EINVAL, the slot still held. */
TEST_F(fields, release_rejects_nonzero_unused)
{
	struct cspchan_slot_info junk;
	struct cspchan_slot_req req;

	ASSERT_EQ(5, send_str(self->ch, "hello"));
	ASSERT_EQ(5, zc_take(self->ch, 0, &req));
	EXPECT_EQ(-EINVAL, run_cmd(&self->ring, self->ch, CSPCHAN_URING_RELEASE, req.slot, 1, NULL));
	EXPECT_EQ(-EINVAL, run_cmd(&self->ring, self->ch, CSPCHAN_URING_RELEASE, req.slot, 0,
				   &junk));
	/* Still held: the first good RELEASE frees it, a second finds it free. */
	EXPECT_EQ(0, run_cmd(&self->ring, self->ch, CSPCHAN_URING_RELEASE, req.slot, 0, NULL));
	EXPECT_EQ(-EPERM, run_cmd(&self->ring, self->ch, CSPCHAN_URING_RELEASE, req.slot, 0, NULL));
	EXPECT_TRUE(all_slots_free(self->ch));
}

/* ---- SQPOLL ring, parked TAKEs, SIGKILL ------------------------------------------ */

#define SK_TAKES	4

FIXTURE(sqpoll_kill) {
	char name[CSPCHAN_NAME_MAX];
	int ch;
	int *ready;
};

FIXTURE_SETUP(sqpoll_kill)
{
	REQUIRE_CSPCHAN();
	unique_name(self->name, "urr-sqk");
	self->ch = chan_named(self->name, 2 * SK_TAKES, 16, 0600, 0);
	ASSERT_LE(0, self->ch);
	self->ready = shared_alloc(sizeof(*self->ready));
	ASSERT_NE(NULL, self->ready);
}

FIXTURE_TEARDOWN(sqpoll_kill)
{
	close(self->ch);
	cspchan_unlink(self->name);
}

/*
 * A process with an SQPOLL ring, which took a message with IOSQE_ASYNC
 * (from io-wq) and has TAKEs parked on a handle of its own, is SIGKILLed:
 * it is reaped within WAIT_MS (its SQPOLL thread does not wait forever for
 * a command nobody completes), the module's reference count comes back,
 * and the channel has nothing parked and works.  (With parked TAKEs only,
 * see uring.c's parked_exit.)
 */
TEST_F(sqpoll_kill, after_async_take_process_reaped_module_unpinned)
{
	int idle, status;
	char buf[16];
	pid_t pid;

	idle = module_refcnt();
	ASSERT_LE(0, idle);
	ASSERT_EQ(5, send_str(self->ch, "first"));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct cspchan_slot_info si[SK_TAKES + 1];
		struct io_uring ring;
		struct cqe_rec rec;
		int h, i;

		h = cspchan_open(self->name, O_RDWR);
		CHILD_ASSERT(h >= 0);
		CHILD_ASSERT(uring_init(&ring, 16, true) == 0);
		/* Its completion (or its loss) is every_cmd's business. */
		CHILD_ASSERT(queue_cmd_flags(&ring, h, CSPCHAN_URING_TAKE, 0, 0,
					     &si[SK_TAKES], 100, IOSQE_ASYNC));
		CHILD_ASSERT(submit_new(&ring) == 1);
		CHILD_ASSERT(wait_stat(h, STAT_RECEIVED, 1) == 0);
		next_cqe(&ring, &rec, SETTLE_MS);
		for (i = 0; i < SK_TAKES; i++)
			CHILD_ASSERT(queue_cmd(&ring, h, CSPCHAN_URING_TAKE, 0, 0, &si[i], i));
		CHILD_ASSERT(submit_new(&ring) == SK_TAKES);
		CHILD_ASSERT(wait_stat(h, STAT_RECEIVERS_WAITING, SK_TAKES) == 0);
		__atomic_store_n(self->ready, 1, __ATOMIC_SEQ_CST);
		for (;;)
			pause();
	}
	ASSERT_EQ(1, wait_counter(self->ready, 1));
	EXPECT_LT(idle, module_refcnt());

	ASSERT_EQ(0, kill(pid, SIGKILL));
	status = reap_within(pid, WAIT_MS);
	EXPECT_EQ(256 + SIGKILL, status);
	EXPECT_EQ(0, wait_refcnt(idle, WAIT_MS)) TH_LOG("the module is still pinned");
	ASSERT_EQ(0, wait_stat(self->ch, STAT_RECEIVERS_WAITING, 0));

	ASSERT_EQ(5, send_str(self->ch, "after"));
	ASSERT_EQ(5, recv_str_timeout(self->ch, buf, sizeof(buf), 0));
	EXPECT_STREQ("after", buf);
}

TEST_HARNESS_MAIN
