// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan_stage_run(3), from libcspchan-stage: every message of the input
 * passes through the stage once, transformed in place and in order; what
 * process() drops is counted and not sent; an error from process() stops
 * the stage, even with takes parked on an idle input, and leaves no slot
 * held on either channel; bad arguments are refused.
 *
 * Every test of the "stage" fixture runs on io_uring (default batch, and
 * batch 1) and with CSPCHAN_STAGE_SYNC.  This is also the one test that
 * links libcspchan-stage: it proves the split library works end to end.
 */
#include "common.h"

#include <ctype.h>
#include <sys/syscall.h>

#include <cspchan-stage.h>

#define NMSG		2000U
#define MSG_SIZE	64
#define CAPACITY	16

struct stage_ctx {
	int drop_odd;		/* process() drops odd-numbered messages */
	int fail_at;		/* process() fails on message fail_at (> 0) */
	unsigned int calls;
	pid_t tid;		/* the thread process() ran on */
};

/* "m000123" -> 123, or -1. */
static long msg_number(const char *msg, size_t len)
{
	char buf[16];

	if (len < 2 || len >= sizeof(buf) || msg[0] != 'm')
		return -1;
	memcpy(buf, msg + 1, len - 1);
	buf[len - 1] = '\0';
	return strtol(buf, NULL, 10);
}

static ssize_t upcase(const void *msg, size_t len, void *out, size_t out_cap,
		      void *ctx)
{
	struct stage_ctx *c = ctx;
	const char *in = msg;
	char *o = out;
	long n = msg_number(msg, len);
	size_t i;

	c->calls++;
	c->tid = (pid_t)syscall(SYS_gettid);
	if (n < 0)
		return -EBADMSG;
	if (c->fail_at && n == c->fail_at)
		return -EPROTO;
	if (c->drop_odd && (n & 1))
		return 0;
	if (len > out_cap)
		return -EMSGSIZE;
	for (i = 0; i < len; i++)
		o[i] = (char)toupper((unsigned char)in[i]);
	return (ssize_t)len;
}

static ssize_t send_numbered(int ch, unsigned int n, int timeout_ms)
{
	char buf[MSG_SIZE];
	int len = snprintf(buf, sizeof(buf), "m%06u", n);

	return cspchan_send_timeout(ch, buf, (size_t)len, timeout_ms);
}

/* Sends messages [0, n) into @ch, then shuts it down. */
static pid_t start_producer(int ch, unsigned int n)
{
	pid_t pid = fork_child();
	unsigned int i;

	if (pid != 0)
		return pid;
	for (i = 0; i < n; i++)
		CHILD_ASSERT(send_numbered(ch, i, WAIT_MS) > 0);
	CHILD_ASSERT(cspchan_shutdown(ch) == 0);
	_exit(0);
}

/*
 * Receives from @ch until end of stream and checks that it got "M%06u"
 * for every number in [0, n), in order (only the even ones with
 * @even_only).
 */
static pid_t start_consumer(int ch, unsigned int n, int even_only)
{
	pid_t pid = fork_child();
	unsigned int next = 0, got = 0;
	char want[MSG_SIZE], buf[MSG_SIZE];
	ssize_t len;

	if (pid != 0)
		return pid;
	for (;;) {
		len = recv_str_timeout(ch, buf, sizeof(buf), 4 * WAIT_MS);
		CHILD_ASSERT(len >= 0);
		if (len == 0)
			break;
		snprintf(want, sizeof(want), "M%06u", next);
		if (strcmp(buf, want)) {
			fprintf(stderr, "# consumer: got '%s', expected '%s'\n", buf, want);
			_exit(1);
		}
		got++;
		next += even_only ? 2 : 1;
	}
	CHILD_ASSERT(got == (even_only ? (n + 1) / 2 : n));
	_exit(0);
}

/* True if @n messages can be sent into @ch at once: no slot is held. */
static bool room_for(int ch, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (send_numbered(ch, 900000 + i, SETTLE_MS) <= 0)
			return false;
	return true;
}

static bool uring_cmd_available(void)
{
	struct cspchan_features f;

	return cspchan_features(&f) == 0 && (f.features & CSPCHAN_FEAT_URING_CMD);
}

FIXTURE(stage) {
	int in;
	int out;
};

FIXTURE_VARIANT(stage) {
	unsigned int flags;
	unsigned int batch;
};

FIXTURE_VARIANT_ADD(stage, uring) {
	.flags = 0,
	.batch = 0,
};

FIXTURE_VARIANT_ADD(stage, uring_batch1) {
	.flags = 0,
	.batch = 1,
};

FIXTURE_VARIANT_ADD(stage, sync) {
	.flags = CSPCHAN_STAGE_SYNC,
	.batch = 0,
};

FIXTURE_SETUP(stage)
{
	REQUIRE_CSPCHAN();
	self->in = chan_new(CAPACITY, MSG_SIZE);
	ASSERT_LE(0, self->in);
	self->out = chan_new(CAPACITY, MSG_SIZE);
	ASSERT_LE(0, self->out);
}

FIXTURE_TEARDOWN(stage)
{
	if (self->in >= 0)
		close(self->in);
	if (self->out >= 0)
		close(self->out);
}

/* Everything passes, upper-cased, in the order of @in; @out is shut down. */
TEST_F(stage, pass_through_in_order)
{
	struct stage_ctx ctx = { 0 };
	struct cspchan_stage_ops ops = { .process = upcase, .ctx = &ctx };
	struct cspchan_stage_stats stats;
	struct cspchan_stage_opts opts = {
		.batch = variant->batch,
		.flags = variant->flags | CSPCHAN_STAGE_SHUTDOWN_OUT,
		.stats = &stats,
	};
	pid_t prod, cons;

	cons = start_consumer(self->out, NMSG, 0);
	ASSERT_LE(0, cons);
	prod = start_producer(self->in, NMSG);
	ASSERT_LE(0, prod);

	memset(&stats, 0xff, sizeof(stats));
	EXPECT_EQ(0, cspchan_stage_run(self->in, self->out, &ops, &opts));
	EXPECT_EQ(0, child_wait(prod, WAIT_MS));
	EXPECT_EQ(0, child_wait(cons, WAIT_MS));
	EXPECT_EQ(NMSG, stats.taken);
	EXPECT_EQ(NMSG, stats.committed);
	EXPECT_EQ(0U, stats.dropped);
	EXPECT_EQ(NMSG, ctx.calls);
	EXPECT_EQ(1U, chan_get(self->out, STAT_SHUT));
	/* process() runs on the helper thread with io_uring, else on ours. */
	if (variant->flags & CSPCHAN_STAGE_SYNC) {
		EXPECT_EQ((pid_t)syscall(SYS_gettid), ctx.tid);
	} else if (uring_cmd_available()) {
		EXPECT_NE((pid_t)syscall(SYS_gettid), ctx.tid);
	}
}

/* What process() drops is counted and never sent; the rest keeps order. */
TEST_F(stage, drop_odd)
{
	struct stage_ctx ctx = { .drop_odd = 1 };
	struct cspchan_stage_ops ops = { .process = upcase, .ctx = &ctx };
	struct cspchan_stage_stats stats;
	struct cspchan_stage_opts opts = {
		.batch = variant->batch,
		.flags = variant->flags | CSPCHAN_STAGE_SHUTDOWN_OUT,
		.stats = &stats,
	};
	pid_t prod, cons;

	cons = start_consumer(self->out, NMSG, 1);
	ASSERT_LE(0, cons);
	prod = start_producer(self->in, NMSG);
	ASSERT_LE(0, prod);

	EXPECT_EQ(0, cspchan_stage_run(self->in, self->out, &ops, &opts));
	EXPECT_EQ(0, child_wait(prod, WAIT_MS));
	EXPECT_EQ(0, child_wait(cons, WAIT_MS));
	EXPECT_EQ(NMSG, stats.taken);
	EXPECT_EQ(NMSG / 2, stats.committed);
	EXPECT_EQ(NMSG / 2, stats.dropped);
}

/*
 * process() fails on the fourth of five messages while @in stays open:
 * with io_uring the stage's other takes are parked on an idle channel.
 * The stage returns the error promptly, and neither channel has a slot
 * still held by it.
 */
TEST_F(stage, error_stops_with_takes_parked)
{
	struct stage_ctx ctx = { .fail_at = 3 };
	struct cspchan_stage_ops ops = { .process = upcase, .ctx = &ctx };
	struct cspchan_stage_stats stats;
	struct cspchan_stage_opts opts = {
		.batch = variant->batch,
		.flags = variant->flags,
		.stats = &stats,
	};
	unsigned int i;
	uint64_t start, depth;
	int ret;

	for (i = 0; i < 5; i++)
		ASSERT_LT(0, send_numbered(self->in, i, 0));

	start = now_ns();
	errno = 0;
	ret = cspchan_stage_run(self->in, self->out, &ops, &opts);
	EXPECT_EQ(-EPROTO, ret);
	EXPECT_EQ(EPROTO, errno);
	/* The module cancels parked commands within 100 ms of the exit. */
	EXPECT_GT(3000U, ms_since(start));
	EXPECT_EQ(3U, stats.committed);
	EXPECT_LE(4U, stats.taken);
	EXPECT_EQ(3U, chan_get(self->out, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(self->in, STAT_SHUT));
	EXPECT_EQ(0U, chan_get(self->out, STAT_SHUT));

	/* Every slot not holding a message can be used again. */
	depth = chan_get(self->in, STAT_DEPTH);
	ASSERT_GE(5U - stats.taken, depth);
	EXPECT_TRUE(room_for(self->in, CAPACITY - (unsigned int)depth));
	EXPECT_TRUE(room_for(self->out, CAPACITY - 3));
}

/* A process() result larger than out_cap stops the stage with EMSGSIZE. */
static ssize_t too_long(const void *msg, size_t len, void *out, size_t out_cap,
			void *ctx)
{
	(void)msg;
	(void)len;
	(void)out;
	(void)ctx;
	return (ssize_t)out_cap + 1;
}

TEST_F(stage, output_too_long)
{
	struct cspchan_stage_ops ops = { .process = too_long };
	struct cspchan_stage_opts opts = {
		.batch = variant->batch,
		.flags = variant->flags,
	};

	ASSERT_LT(0, send_numbered(self->in, 0, 0));
	ASSERT_EQ(0, cspchan_shutdown(self->in));
	EXPECT_EQ(-EMSGSIZE, cspchan_stage_run(self->in, self->out, &ops, &opts));
	EXPECT_EQ(0U, chan_get(self->out, STAT_DEPTH));
	EXPECT_TRUE(room_for(self->out, CAPACITY));
}

TEST(bad_arguments)
{
	struct cspchan_stage_ops ops = { .process = upcase };
	struct cspchan_stage_ops no_process = { 0 };
	struct cspchan_stage_opts opts;
	int in, out, null;

	REQUIRE_CSPCHAN();
	in = chan_new(CAPACITY, MSG_SIZE);
	ASSERT_LE(0, in);
	out = chan_new(CAPACITY, MSG_SIZE);
	ASSERT_LE(0, out);

	errno = 0;
	EXPECT_EQ(-EINVAL, cspchan_stage_run(in, out, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, cspchan_stage_run(in, out, &no_process, NULL));

	memset(&opts, 0, sizeof(opts));
	opts.flags = 1U << 7;
	EXPECT_EQ(-EINVAL, cspchan_stage_run(in, out, &ops, &opts));

	memset(&opts, 0, sizeof(opts));
	opts.batch = 4097;
	EXPECT_EQ(-EINVAL, cspchan_stage_run(in, out, &ops, &opts));

	memset(&opts, 0, sizeof(opts));
	opts.reserved[3] = 1;
	EXPECT_EQ(-EINVAL, cspchan_stage_run(in, out, &ops, &opts));

	/* Not channel handles. */
	EXPECT_EQ(-EBADF, cspchan_stage_run(-1, out, &ops, NULL));
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, null);
	EXPECT_EQ(-ENOTTY, cspchan_stage_run(in, null, &ops, NULL));

	close(null);
	close(in);
	close(out);
}

TEST_HARNESS_MAIN
