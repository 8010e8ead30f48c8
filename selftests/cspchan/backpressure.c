// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 3.2, back-pressure: a send blocks while the channel is full, a
 * receive while it is empty; O_NONBLOCK turns both into EAGAIN; a signal
 * interrupts the wait (EINTR, or a transparent restart with SA_RESTART)
 * and nothing is lost or duplicated.
 */
#include "common.h"

/* Shared with the children: what their blocking call returned. */
struct outcome {
	int done;		/* the call has returned */
	int handled;		/* signals the child's handler has seen */
	ssize_t result;		/* the call's result, -errno on failure */
	char msg[32];		/* what a receiving child got */
};

static struct outcome *shared_outcome;

static void count_signal(int sig)
{
	(void)sig;
	__atomic_fetch_add(&shared_outcome->handled, 1, __ATOMIC_SEQ_CST);
}

TEST(full_channel_blocks_send)
{
	struct outcome *out;
	char buf[16];
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	out = shared_alloc(sizeof(*out));
	ASSERT_NE(NULL, out);
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);

	/* Two sends fit and return at once. */
	ASSERT_EQ(2, cspchan_send_timeout(ch, "m0", 2, 0));
	ASSERT_EQ(2, cspchan_send_timeout(ch, "m1", 2, 0));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		out->result = send_str(ch, "m2");
		__atomic_store_n(&out->done, 1, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(pid));
	EXPECT_EQ(0, __atomic_load_n(&out->done, __ATOMIC_SEQ_CST));
	EXPECT_EQ(2U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(2U, chan_get(ch, STAT_SENT));

	/* One receive frees one slot: the blocked send completes. */
	ASSERT_EQ(2, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("m0", buf);
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(2, out->result);
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	EXPECT_EQ(2U, chan_get(ch, STAT_DEPTH));
	ASSERT_EQ(2, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("m1", buf);
	ASSERT_EQ(2, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("m2", buf);
	close(ch);
}

TEST(empty_channel_blocks_receive)
{
	struct outcome *out;
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	out = shared_alloc(sizeof(*out));
	ASSERT_NE(NULL, out);
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		out->result = cspchan_recv(ch, out->msg, sizeof(out->msg) - 1);
		__atomic_store_n(&out->done, 1, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 1));
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(pid));
	EXPECT_EQ(0, __atomic_load_n(&out->done, __ATOMIC_SEQ_CST));

	ASSERT_EQ(5, send_str(ch, "wakey"));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(5, out->result);
	EXPECT_STREQ("wakey", out->msg);
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));
	close(ch);
}

/* EAGAIN on a full send and an empty receive, and nothing changes. */
static void check_nonblocking(struct __test_metadata *_metadata, int ch)
{
	char buf[16];

	EXPECT_EQ(-EAGAIN, cspchan_recv(ch, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, read(ch, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(1, send_str(ch, "a"));
	ASSERT_EQ(1, send_str(ch, "b"));
	EXPECT_EQ(-EAGAIN, send_str(ch, "c"));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, write(ch, "d", 1));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(2U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(2U, chan_get(ch, STAT_SENT));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));

	ASSERT_EQ(1, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("a", buf);
	ASSERT_EQ(1, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("b", buf);
	EXPECT_EQ(-EAGAIN, cspchan_recv(ch, buf, sizeof(buf)));
}

TEST(nonblocking_handle_from_create)
{
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new_flags(2, 16, 0, O_NONBLOCK);
	ASSERT_LE(0, ch);
	check_nonblocking(_metadata, ch);
	close(ch);
}

TEST(nonblocking_handle_from_fcntl)
{
	int ch, fl;

	REQUIRE_CSPCHAN();
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	fl = fcntl(ch, F_GETFL);
	ASSERT_EQ(0, fcntl(ch, F_SETFL, fl | O_NONBLOCK));
	check_nonblocking(_metadata, ch);

	/* And back to blocking: a receive on empty waits (here, for 50 ms). */
	ASSERT_EQ(0, fcntl(ch, F_SETFL, fl & ~O_NONBLOCK));
	EXPECT_EQ(-ETIMEDOUT, cspchan_recv_timeout(ch, (char[4]){ 0 }, 4, 50));
	close(ch);
}

/*
 * ---- signals: through read(2)/write(2) (cspchan_send/recv) and through the
 * transfer ioctls (cspchan_*_timeout, -1: no time limit), with and without
 * SA_RESTART ----
 */

FIXTURE(signals) {
	struct outcome *out;
	int ch;
	pid_t pid;
};

FIXTURE_VARIANT(signals) {
	bool ioctl;		/* CSPCHAN_IOC_SEND/RECV instead of write/read */
};

FIXTURE_VARIANT_ADD(signals, read_write) {
	.ioctl = false,
};

FIXTURE_VARIANT_ADD(signals, ioctl) {
	.ioctl = true,
};

FIXTURE_SETUP(signals)
{
	REQUIRE_CSPCHAN();
	self->out = shared_alloc(sizeof(*self->out));
	ASSERT_NE(NULL, self->out);
	shared_outcome = self->out;
	self->ch = chan_new(2, 16);
	ASSERT_LE(0, self->ch);
	self->pid = -1;
}

FIXTURE_TEARDOWN(signals)
{
	if (self->pid > 0 && child_running(self->pid))
		child_kill(self->pid);
	close(self->ch);
}

/*
 * Fork a child that installs the SIGUSR1 handler (with or without
 * SA_RESTART) and then sends "m2" (@send) or receives, blocking.
 */
static pid_t blocked_child(FIXTURE_DATA(signals) *self, const FIXTURE_VARIANT(signals) *variant,
			   bool send, bool restart)
{
	pid_t pid = fork_child();

	if (pid == 0) {
		struct sigaction sa;
		struct outcome *out = self->out;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = count_signal;
		sa.sa_flags = restart ? SA_RESTART : 0;
		CHILD_ASSERT(sigaction(SIGUSR1, &sa, NULL) == 0);
		if (send)
			out->result = variant->ioctl ?
				      cspchan_send_timeout(self->ch, "m2", 2, -1) :
				      sys_send(self->ch, "m2", 2);
		else
			out->result = variant->ioctl ?
				      cspchan_recv_timeout(self->ch, out->msg,
							   sizeof(out->msg) - 1, -1) :
				      sys_recv(self->ch, out->msg, sizeof(out->msg) - 1);
		__atomic_store_n(&out->done, 1, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	return pid;
}

TEST_F(signals, send_interrupted_eintr)
{
	char buf[16];

	ASSERT_EQ(2, send_str(self->ch, "m0"));
	ASSERT_EQ(2, send_str(self->ch, "m1"));
	self->pid = blocked_child(self, variant, true, false);
	ASSERT_LE(0, self->pid);
	ASSERT_EQ(0, wait_stat(self->ch, STAT_SENDERS_WAITING, 1));

	ASSERT_EQ(0, kill(self->pid, SIGUSR1));
	ASSERT_EQ(0, child_wait(self->pid, WAIT_MS));
	EXPECT_EQ(1, self->out->handled);
	EXPECT_EQ(-EINTR, self->out->result);

	/* Exactly the two completed messages are in the channel. */
	EXPECT_EQ(0U, chan_get(self->ch, STAT_SENDERS_WAITING));
	EXPECT_EQ(2U, chan_get(self->ch, STAT_DEPTH));
	EXPECT_EQ(2U, chan_get(self->ch, STAT_SENT));
	ASSERT_EQ(2, recv_str(self->ch, buf, sizeof(buf)));
	EXPECT_STREQ("m0", buf);
	ASSERT_EQ(2, recv_str(self->ch, buf, sizeof(buf)));
	EXPECT_STREQ("m1", buf);
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(self->ch, buf, sizeof(buf), 0));
}

TEST_F(signals, receive_interrupted_eintr)
{
	char buf[16];

	self->pid = blocked_child(self, variant, false, false);
	ASSERT_LE(0, self->pid);
	ASSERT_EQ(0, wait_stat(self->ch, STAT_RECEIVERS_WAITING, 1));

	ASSERT_EQ(0, kill(self->pid, SIGUSR1));
	ASSERT_EQ(0, child_wait(self->pid, WAIT_MS));
	EXPECT_EQ(1, self->out->handled);
	EXPECT_EQ(-EINTR, self->out->result);
	EXPECT_EQ(0U, chan_get(self->ch, STAT_RECEIVERS_WAITING));
	EXPECT_EQ(0U, chan_get(self->ch, STAT_RECEIVED));

	/* A message sent now is not swallowed by the interrupted receive. */
	ASSERT_EQ(4, send_str(self->ch, "next"));
	EXPECT_EQ(1U, chan_get(self->ch, STAT_DEPTH));
	ASSERT_EQ(4, recv_str(self->ch, buf, sizeof(buf)));
	EXPECT_STREQ("next", buf);
}

TEST_F(signals, send_restarted_with_sa_restart)
{
	char buf[16];

	ASSERT_EQ(2, send_str(self->ch, "m0"));
	ASSERT_EQ(2, send_str(self->ch, "m1"));
	self->pid = blocked_child(self, variant, true, true);
	ASSERT_LE(0, self->pid);
	ASSERT_EQ(0, wait_stat(self->ch, STAT_SENDERS_WAITING, 1));

	ASSERT_EQ(0, kill(self->pid, SIGUSR1));
	/* The handler runs, then the send waits again. */
	while (__atomic_load_n(&self->out->handled, __ATOMIC_SEQ_CST) == 0 &&
	       child_running(self->pid))
		msleep(1);
	ASSERT_EQ(1, self->out->handled);
	ASSERT_EQ(0, wait_stat(self->ch, STAT_SENDERS_WAITING, 1));
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(self->pid));
	EXPECT_EQ(0, self->out->done);
	EXPECT_EQ(2U, chan_get(self->ch, STAT_DEPTH));

	ASSERT_EQ(2, recv_str(self->ch, buf, sizeof(buf)));
	EXPECT_STREQ("m0", buf);
	ASSERT_EQ(0, child_wait(self->pid, WAIT_MS));
	EXPECT_EQ(2, self->out->result);

	/* m2 went in once, after m1. */
	EXPECT_EQ(3U, chan_get(self->ch, STAT_SENT));
	ASSERT_EQ(2, recv_str(self->ch, buf, sizeof(buf)));
	EXPECT_STREQ("m1", buf);
	ASSERT_EQ(2, recv_str(self->ch, buf, sizeof(buf)));
	EXPECT_STREQ("m2", buf);
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(self->ch, buf, sizeof(buf), 0));
}

TEST_F(signals, receive_restarted_with_sa_restart)
{
	self->pid = blocked_child(self, variant, false, true);
	ASSERT_LE(0, self->pid);
	ASSERT_EQ(0, wait_stat(self->ch, STAT_RECEIVERS_WAITING, 1));

	ASSERT_EQ(0, kill(self->pid, SIGUSR1));
	while (__atomic_load_n(&self->out->handled, __ATOMIC_SEQ_CST) == 0 &&
	       child_running(self->pid))
		msleep(1);
	ASSERT_EQ(1, self->out->handled);
	ASSERT_EQ(0, wait_stat(self->ch, STAT_RECEIVERS_WAITING, 1));
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(self->pid));
	EXPECT_EQ(0, self->out->done);

	ASSERT_EQ(5, send_str(self->ch, "later"));
	ASSERT_EQ(0, child_wait(self->pid, WAIT_MS));
	EXPECT_EQ(5, self->out->result);
	EXPECT_STREQ("later", self->out->msg);
	EXPECT_EQ(0U, chan_get(self->ch, STAT_DEPTH));
	EXPECT_EQ(1U, chan_get(self->ch, STAT_RECEIVED));
}

TEST_HARNESS_MAIN
