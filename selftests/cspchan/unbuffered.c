// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 3.3, unbuffered channels (capacity 0): a send completes only when a
 * receiver has taken the message; a non-blocking send succeeds only if a
 * receiver is already waiting.  Nothing is ever buffered: depth stays 0.
 */
#include "common.h"

struct outcome {
	int done;
	ssize_t result;
	char msg[32];
};

FIXTURE(rendezvous) {
	char name[CSPCHAN_NAME_MAX];
	struct outcome *out;
	int ch;		/* blocking, read-write */
	int nb;		/* a second, O_NONBLOCK, handle on the same channel */
	pid_t pid;
};

FIXTURE_SETUP(rendezvous)
{
	REQUIRE_CSPCHAN();
	self->out = shared_alloc(sizeof(*self->out));
	ASSERT_NE(NULL, self->out);
	self->pid = -1;
	/*
	 * O_NONBLOCK belongs to the open file description, which fork shares:
	 * the non-blocking handle is a separate open of the channel's name.
	 */
	unique_name(self->name, "unbuf");
	self->ch = chan_named(self->name, 0, 32, 0600, 0);
	ASSERT_LE(0, self->ch);
	self->nb = cspchan_open(self->name, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, self->nb);
	ASSERT_EQ(0, cspchan_unlink(self->name));
}

FIXTURE_TEARDOWN(rendezvous)
{
	if (self->pid > 0 && child_running(self->pid))
		child_kill(self->pid);
	close(self->nb);
	close(self->ch);
}

static pid_t sending_child(FIXTURE_DATA(rendezvous) *self, const char *msg)
{
	pid_t pid = fork_child();

	if (pid == 0) {
		self->out->result = send_str(self->ch, msg);
		__atomic_store_n(&self->out->done, 1, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	return pid;
}

static pid_t receiving_child(FIXTURE_DATA(rendezvous) *self)
{
	pid_t pid = fork_child();

	if (pid == 0) {
		self->out->result = cspchan_recv(self->ch, self->out->msg,
						 sizeof(self->out->msg) - 1);
		__atomic_store_n(&self->out->done, 1, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	return pid;
}

TEST_F(rendezvous, send_blocks_until_received)
{
	struct cspchan_stat st;
	char buf[32];

	self->pid = sending_child(self, "handoff");
	ASSERT_LE(0, self->pid);
	ASSERT_EQ(0, wait_stat(self->ch, STAT_SENDERS_WAITING, 1));
	msleep(SETTLE_MS);
	/* Still blocked, and nothing is buffered. */
	EXPECT_TRUE(child_running(self->pid));
	EXPECT_EQ(0, __atomic_load_n(&self->out->done, __ATOMIC_SEQ_CST));
	ASSERT_EQ(0, cspchan_stat(self->ch, &st));
	EXPECT_EQ(0U, st.capacity);
	EXPECT_EQ(0U, st.depth);
	EXPECT_EQ(1U, st.senders_waiting);
	EXPECT_EQ(0U, st.received);

	ASSERT_EQ(7, recv_str(self->ch, buf, sizeof(buf)));
	EXPECT_STREQ("handoff", buf);
	ASSERT_EQ(0, child_wait(self->pid, WAIT_MS));
	EXPECT_EQ(7, self->out->result);

	ASSERT_EQ(0, cspchan_stat(self->ch, &st));
	EXPECT_EQ(0U, st.depth);
	EXPECT_EQ(0U, st.senders_waiting);
	EXPECT_EQ(1U, st.sent);
	EXPECT_EQ(1U, st.received);
}

TEST_F(rendezvous, receive_blocks_until_sent)
{
	self->pid = receiving_child(self);
	ASSERT_LE(0, self->pid);
	ASSERT_EQ(0, wait_stat(self->ch, STAT_RECEIVERS_WAITING, 1));
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(self->pid));
	EXPECT_EQ(0U, chan_get(self->ch, STAT_DEPTH));

	/* A blocking send to the waiting receiver completes. */
	ASSERT_EQ(2, cspchan_send_timeout(self->ch, "hi", 2, WAIT_MS));
	ASSERT_EQ(0, child_wait(self->pid, WAIT_MS));
	EXPECT_EQ(2, self->out->result);
	EXPECT_STREQ("hi", self->out->msg);
	EXPECT_EQ(0U, chan_get(self->ch, STAT_DEPTH));
}

TEST_F(rendezvous, nonblocking_send_without_receiver_eagain)
{
	char buf[32];

	EXPECT_EQ(-EAGAIN, send_str(self->nb, "nobody"));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, write(self->nb, "x", 1));
	EXPECT_EQ(EAGAIN, errno);
	/* cspchan_send_timeout with 0 is the same, on any handle. */
	EXPECT_EQ(-EAGAIN, cspchan_send_timeout(self->ch, "x", 1, 0));
	EXPECT_EQ(-EAGAIN, cspchan_send_timeout(self->nb, "x", 1, 0));

	EXPECT_EQ(0U, chan_get(self->ch, STAT_SENT));
	EXPECT_EQ(0U, chan_get(self->ch, STAT_SENDERS_WAITING));
	/* Nothing was left behind for a later receiver. */
	EXPECT_EQ(-EAGAIN, cspchan_recv(self->nb, buf, sizeof(buf)));
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(self->ch, buf, sizeof(buf), 0));
}

TEST_F(rendezvous, nonblocking_send_to_waiting_receiver)
{
	self->pid = receiving_child(self);
	ASSERT_LE(0, self->pid);
	ASSERT_EQ(0, wait_stat(self->ch, STAT_RECEIVERS_WAITING, 1));

	ASSERT_EQ(5, send_str(self->nb, "ready"));
	ASSERT_EQ(0, child_wait(self->pid, WAIT_MS));
	EXPECT_EQ(5, self->out->result);
	EXPECT_STREQ("ready", self->out->msg);
	EXPECT_EQ(0U, chan_get(self->ch, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(self->ch, STAT_RECEIVERS_WAITING));

	/* The receiver is gone: the next non-blocking send fails again. */
	EXPECT_EQ(-EAGAIN, send_str(self->nb, "again"));
}

TEST_F(rendezvous, send_timeout_zero_to_waiting_receiver)
{
	self->pid = receiving_child(self);
	ASSERT_LE(0, self->pid);
	ASSERT_EQ(0, wait_stat(self->ch, STAT_RECEIVERS_WAITING, 1));

	ASSERT_EQ(4, cspchan_send_timeout(self->ch, "zero", 4, 0));
	ASSERT_EQ(0, child_wait(self->pid, WAIT_MS));
	EXPECT_STREQ("zero", self->out->msg);
	EXPECT_EQ(-EAGAIN, cspchan_send_timeout(self->ch, "zero", 4, 0));
}

TEST_F(rendezvous, nonblocking_receive_without_sender_eagain)
{
	char buf[32];

	EXPECT_EQ(-EAGAIN, cspchan_recv(self->nb, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, read(self->nb, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(self->ch, buf, sizeof(buf), 0));
	EXPECT_EQ(0U, chan_get(self->ch, STAT_RECEIVERS_WAITING));
}

/* A parked sender makes a receive possible without blocking. */
TEST_F(rendezvous, nonblocking_receive_from_waiting_sender)
{
	char buf[32];

	self->pid = sending_child(self, "parked");
	ASSERT_LE(0, self->pid);
	ASSERT_EQ(0, wait_stat(self->ch, STAT_SENDERS_WAITING, 1));
	EXPECT_EQ(0U, chan_get(self->ch, STAT_DEPTH));

	ASSERT_EQ(6, recv_str_timeout(self->nb, buf, sizeof(buf), 0));
	EXPECT_STREQ("parked", buf);
	ASSERT_EQ(0, child_wait(self->pid, WAIT_MS));
	EXPECT_EQ(6, self->out->result);
	EXPECT_EQ(-EAGAIN, cspchan_recv(self->nb, buf, sizeof(buf)));
}

/* A timed-out send leaves nothing behind. */
TEST_F(rendezvous, send_timeout_expires_without_receiver)
{
	uint64_t start = now_ns();
	char buf[32];

	EXPECT_EQ(-ETIMEDOUT, cspchan_send_timeout(self->ch, "late", 4, 50));
	EXPECT_LE(50U, ms_since(start));
	EXPECT_EQ(0U, chan_get(self->ch, STAT_SENDERS_WAITING));
	EXPECT_EQ(0U, chan_get(self->ch, STAT_SENT));
	EXPECT_EQ(-EAGAIN, cspchan_recv(self->nb, buf, sizeof(buf)));
}

static int *signals_seen;

static void count_signal(int sig)
{
	(void)sig;
	__atomic_fetch_add(signals_seen, 1, __ATOMIC_SEQ_CST);
}

/*
 * A parked sender interrupted by a signal: without SA_RESTART its offer is
 * withdrawn (EINTR, nothing delivered); with SA_RESTART it is offered again
 * and delivered exactly once.
 */
static void interrupted_sender(struct __test_metadata *_metadata,
			       FIXTURE_DATA(rendezvous) *self, bool restart)
{
	char buf[32];

	signals_seen = shared_alloc(sizeof(*signals_seen));
	ASSERT_NE(NULL, signals_seen);
	self->pid = fork_child();
	ASSERT_LE(0, self->pid);
	if (self->pid == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = count_signal;
		sa.sa_flags = restart ? SA_RESTART : 0;
		CHILD_ASSERT(sigaction(SIGUSR1, &sa, NULL) == 0);
		self->out->result = sys_send(self->ch, "offer", 5);
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(self->ch, STAT_SENDERS_WAITING, 1));
	ASSERT_EQ(0, kill(self->pid, SIGUSR1));
	ASSERT_EQ(1, wait_counter(signals_seen, 1));

	if (!restart) {
		ASSERT_EQ(0, child_wait(self->pid, WAIT_MS));
		EXPECT_EQ(-EINTR, self->out->result);
		EXPECT_EQ(0U, chan_get(self->ch, STAT_SENDERS_WAITING));
		EXPECT_EQ(-EAGAIN, cspchan_recv(self->nb, buf, sizeof(buf)));
		EXPECT_EQ(0U, chan_get(self->ch, STAT_SENT));
		return;
	}
	ASSERT_EQ(0, wait_stat(self->ch, STAT_SENDERS_WAITING, 1));
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(self->pid));
	ASSERT_EQ(5, recv_str(self->ch, buf, sizeof(buf)));
	EXPECT_STREQ("offer", buf);
	ASSERT_EQ(0, child_wait(self->pid, WAIT_MS));
	EXPECT_EQ(5, self->out->result);
	EXPECT_EQ(-EAGAIN, cspchan_recv(self->nb, buf, sizeof(buf)));
	EXPECT_EQ(1U, chan_get(self->ch, STAT_RECEIVED));
}

TEST_F(rendezvous, interrupted_send_withdraws_offer)
{
	interrupted_sender(_metadata, self, false);
}

TEST_F(rendezvous, restarted_send_delivers_once)
{
	interrupted_sender(_metadata, self, true);
}

/* Several parked senders: still nothing buffered, each hands off in turn. */
TEST_F(rendezvous, depth_stays_zero)
{
	pid_t pids[3];
	char buf[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pids); i++) {
		pids[i] = fork_child();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0)
			_exit(send_str(self->ch, "s") == 1 ? 0 : 1);
	}
	ASSERT_EQ(0, wait_stat(self->ch, STAT_SENDERS_WAITING, 3));
	EXPECT_EQ(0U, chan_get(self->ch, STAT_DEPTH));
	for (i = 0; i < ARRAY_SIZE(pids); i++) {
		ASSERT_EQ(1, recv_str(self->ch, buf, sizeof(buf)));
		EXPECT_EQ(0U, chan_get(self->ch, STAT_DEPTH));
	}
	for (i = 0; i < ARRAY_SIZE(pids); i++)
		EXPECT_EQ(0, child_wait(pids[i], WAIT_MS));
	EXPECT_EQ(0U, chan_get(self->ch, STAT_DEPTH));
	EXPECT_EQ(3U, chan_get(self->ch, STAT_RECEIVED));
	EXPECT_EQ(-EAGAIN, cspchan_recv(self->nb, buf, sizeof(buf)));
}

TEST_HARNESS_MAIN
