// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 3.7, poll/epoll/select: EPOLLIN when a receive would not block,
 * EPOLLOUT when a send would not block, EPOLLHUP once shut down, wake-ups
 * across processes, and EPOLLEXCLUSIVE.
 */
#include "common.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#define EVENTS	(POLLIN | POLLOUT | POLLHUP | POLLERR | POLLPRI)

static short revents_now(int ch)
{
	struct pollfd pfd = { .fd = ch, .events = POLLIN | POLLOUT | POLLPRI };

	if (poll(&pfd, 1, 0) < 0)
		return -1;
	return pfd.revents & EVENTS;
}

TEST(buffered_poll_states)
{
	char buf[16];
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);

	/* Empty: room to send, nothing to receive. */
	EXPECT_EQ(POLLOUT, revents_now(ch));
	ASSERT_EQ(1, send_str(ch, "a"));
	/* Neither full nor empty. */
	EXPECT_EQ(POLLIN | POLLOUT, revents_now(ch));
	ASSERT_EQ(1, send_str(ch, "b"));
	/* Full: a send would block. */
	EXPECT_EQ(POLLIN, revents_now(ch));
	/* ... and it does, while poll said so. */
	EXPECT_EQ(-EAGAIN, cspchan_send_timeout(ch, "c", 1, 0));

	ASSERT_EQ(1, recv_str(ch, buf, sizeof(buf)));
	EXPECT_EQ(POLLIN | POLLOUT, revents_now(ch));
	ASSERT_EQ(1, recv_str(ch, buf, sizeof(buf)));
	EXPECT_EQ(POLLOUT, revents_now(ch));
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(ch, buf, sizeof(buf), 0));
	close(ch);
}

TEST(shut_down_polls_in_out_hup)
{
	char buf[16];
	int ch;

	REQUIRE_CSPCHAN();
	/* Shut down while full ... */
	ch = chan_new(1, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(1, send_str(ch, "x"));
	ASSERT_EQ(0, cspchan_shutdown(ch));
	EXPECT_EQ(POLLIN | POLLOUT | POLLHUP, revents_now(ch));
	/* Neither call blocks: the send fails, the receive drains. */
	EXPECT_EQ(-EPIPE, cspchan_send_timeout(ch, "y", 1, 0));
	EXPECT_EQ(1, recv_str_timeout(ch, buf, sizeof(buf), 0));
	/* ... and once drained. */
	EXPECT_EQ(POLLIN | POLLOUT | POLLHUP, revents_now(ch));
	EXPECT_EQ(0, recv_str_timeout(ch, buf, sizeof(buf), 0));
	close(ch);

	/* Shut down while empty, and unbuffered. */
	ch = chan_new(0, 16);
	ASSERT_LE(0, ch);
	EXPECT_EQ(0, revents_now(ch));
	ASSERT_EQ(0, cspchan_shutdown(ch));
	EXPECT_EQ(POLLIN | POLLOUT | POLLHUP, revents_now(ch));
	close(ch);
}

TEST(unbuffered_poll_follows_parked_peers)
{
	char buf[16];
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(0, 16);
	ASSERT_LE(0, ch);
	/* Nobody waiting: both calls would block. */
	EXPECT_EQ(0, revents_now(ch));

	/* A parked sender: a receive would not block, a send still would. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(send_str(ch, "from-sender") == 11 ? 0 : 1);
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));
	EXPECT_EQ(POLLIN, revents_now(ch));
	ASSERT_EQ(11, recv_str_timeout(ch, buf, sizeof(buf), 0));
	EXPECT_STREQ("from-sender", buf);
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(0, revents_now(ch));

	/* A parked receiver: a send would not block, a receive still would. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(recv_str(ch, buf, sizeof(buf)) == 2);
		CHILD_ASSERT(strcmp(buf, "to") == 0);
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 1));
	EXPECT_EQ(POLLOUT, revents_now(ch));
	ASSERT_EQ(2, cspchan_send_timeout(ch, "to", 2, 0));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(0, revents_now(ch));
	close(ch);
}

/* A child blocks in poll(2); a send from the parent wakes it. */
TEST(poll_wakes_on_send)
{
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct pollfd pfd = { .fd = ch, .events = POLLIN };

		CHILD_ASSERT(poll(&pfd, 1, 2 * WAIT_MS) == 1);
		CHILD_ASSERT(pfd.revents == POLLIN);
		_exit(0);
	}
	/* Nothing to observe a poller by: give it time to block. */
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(pid));
	ASSERT_EQ(4, send_str(ch, "ping"));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	/* Poll consumed nothing. */
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	close(ch);
}

/* epoll_wait in the parent wakes on a send from another process. */
TEST(epoll_wakes_on_send_from_other_process)
{
	struct epoll_event ev = { .events = EPOLLIN }, got;
	uint64_t start;
	pid_t pid;
	int ch, ep;

	REQUIRE_CSPCHAN();
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev.data.u64 = 42;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, ch, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &got, 1, 0));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		msleep(SETTLE_MS);
		_exit(send_str(ch, "hey") == 3 ? 0 : 1);
	}
	start = now_ns();
	ASSERT_EQ(1, epoll_wait(ep, &got, 1, 2 * WAIT_MS));
	EXPECT_EQ(42U, got.data.u64);
	EXPECT_EQ((uint32_t)EPOLLIN, got.events);
	EXPECT_LT(ms_since(start), (uint64_t)WAIT_MS);
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));

	/* Level-triggered: still ready until received. */
	EXPECT_EQ(1, epoll_wait(ep, &got, 1, 0));
	ASSERT_EQ(3, cspchan_recv(ch, (char[16]){ 0 }, 16));
	EXPECT_EQ(0, epoll_wait(ep, &got, 1, 0));
	close(ep);
	close(ch);
}

/* A full channel: EPOLLOUT comes when another process frees a slot. */
TEST(epoll_wakes_on_free_slot)
{
	struct epoll_event ev = { .events = EPOLLOUT }, got;
	pid_t pid;
	int ch, ep;

	REQUIRE_CSPCHAN();
	ch = chan_new(1, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(4, send_str(ch, "full"));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, ch, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &got, 1, 0));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[16];

		msleep(SETTLE_MS);
		_exit(cspchan_recv(ch, buf, sizeof(buf)) == 4 ? 0 : 1);
	}
	ASSERT_EQ(1, epoll_wait(ep, &got, 1, 2 * WAIT_MS));
	EXPECT_EQ((uint32_t)EPOLLOUT, got.events);
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	close(ep);
	close(ch);
}

/* Shutdown by another process wakes an epoll waiter with EPOLLHUP. */
TEST(epoll_wakes_on_shutdown)
{
	struct epoll_event ev = { .events = EPOLLIN }, got;
	pid_t pid;
	int ch, ep;

	REQUIRE_CSPCHAN();
	ch = chan_new(1, 16);
	ASSERT_LE(0, ch);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, ch, &ev));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		msleep(SETTLE_MS);
		_exit(cspchan_shutdown(ch) == 0 ? 0 : 1);
	}
	ASSERT_EQ(1, epoll_wait(ep, &got, 1, 2 * WAIT_MS));
	EXPECT_EQ((uint32_t)(EPOLLIN | EPOLLHUP), got.events & (EPOLLIN | EPOLLHUP));
	EXPECT_EQ(0U, got.events & EPOLLERR);
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	close(ep);
	close(ch);
}

TEST(select_reports_read_and_write_readiness)
{
	struct timeval tv;
	fd_set rfds, wfds;
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(1, 16);
	ASSERT_LE(0, ch);
	ASSERT_LT(ch, FD_SETSIZE);

#define SELECT_NOW() ({						\
	FD_ZERO(&rfds); FD_ZERO(&wfds);				\
	FD_SET(ch, &rfds); FD_SET(ch, &wfds);			\
	tv.tv_sec = 0; tv.tv_usec = 0;				\
	select(ch + 1, &rfds, &wfds, NULL, &tv); })

	/* Empty. */
	ASSERT_EQ(1, SELECT_NOW());
	EXPECT_FALSE(FD_ISSET(ch, &rfds));
	EXPECT_TRUE(FD_ISSET(ch, &wfds));
	/* Full. */
	ASSERT_EQ(1, send_str(ch, "x"));
	ASSERT_EQ(1, SELECT_NOW());
	EXPECT_TRUE(FD_ISSET(ch, &rfds));
	EXPECT_FALSE(FD_ISSET(ch, &wfds));

	/* A blocking select in a child wakes when the parent frees the slot. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		fd_set w;
		struct timeval t = { .tv_sec = 2 * WAIT_MS / 1000 };

		FD_ZERO(&w);
		FD_SET(ch, &w);
		CHILD_ASSERT(select(ch + 1, NULL, &w, NULL, &t) == 1);
		CHILD_ASSERT(FD_ISSET(ch, &w));
		_exit(0);
	}
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(pid));
	ASSERT_EQ(1, cspchan_recv(ch, (char[16]){ 0 }, 16));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));

	/* Shut down: both ready. */
	ASSERT_EQ(0, cspchan_shutdown(ch));
	ASSERT_EQ(2, SELECT_NOW());
	EXPECT_TRUE(FD_ISSET(ch, &rfds));
	EXPECT_TRUE(FD_ISSET(ch, &wfds));
#undef SELECT_NOW
	close(ch);
}

/*
 * Two epoll instances, each registered with EPOLLEXCLUSIVE, each waited on
 * by a child: the registration works and a message wakes at least one.
 */
TEST(epoll_exclusive_registration_wakes)
{
	int *woken;
	pid_t pids[2];
	unsigned int i;
	int ch, ep[2];

	REQUIRE_CSPCHAN();
	woken = shared_alloc(sizeof(*woken));
	ASSERT_NE(NULL, woken);
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);
	for (i = 0; i < 2; i++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };

		ep[i] = epoll_create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, ep[i]);
		ASSERT_EQ(0, epoll_ctl(ep[i], EPOLL_CTL_ADD, ch, &ev));
	}
	for (i = 0; i < 2; i++) {
		pids[i] = fork_child();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			struct epoll_event got;

			CHILD_ASSERT(epoll_wait(ep[i], &got, 1, 2 * WAIT_MS) == 1);
			CHILD_ASSERT(got.events == EPOLLIN);
			__atomic_fetch_add(woken, 1, __ATOMIC_SEQ_CST);
			_exit(0);
		}
	}
	msleep(SETTLE_MS);
	EXPECT_EQ(0, __atomic_load_n(woken, __ATOMIC_SEQ_CST));
	ASSERT_EQ(3, send_str(ch, "one"));

	/* At least one waiter wakes, and with EPOLLIN. */
	EXPECT_LE(1, wait_counter(woken, 1));
	for (i = 0; i < 2; i++) {
		int st = child_running(pids[i]) ? child_kill(pids[i]) : child_wait(pids[i], WAIT_MS);

		EXPECT_TRUE(st == 0 || st == 256 + SIGKILL) TH_LOG("waiter %u: status %d", i, st);
	}
	close(ep[0]);
	close(ep[1]);
	close(ch);
}

TEST_HARNESS_MAIN
