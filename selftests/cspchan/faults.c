// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 3.11 and 8, bad user pointers: a send from, or a receive into,
 * memory the process cannot access fails with EFAULT and leaves the channel
 * as it was: no message, whole or partial, goes in, and the message a
 * receive could not store stays queued (or, unbuffered, with its sender).
 */
#include "common.h"

FIXTURE(faults) {
	char *page;	/* a readable page, followed by an inaccessible one */
	long pagesz;
	int ch;
};

FIXTURE_SETUP(faults)
{
	REQUIRE_CSPCHAN();
	self->pagesz = sysconf(_SC_PAGESIZE);
	self->page = mmap(NULL, 2 * self->pagesz, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->page);
	/* PROT_NONE rather than unmapped, so that no later mapping fills it. */
	ASSERT_EQ(0, mprotect(self->page + self->pagesz, self->pagesz, PROT_NONE));
	memset(self->page, 'p', self->pagesz);
	self->ch = chan_new(4, 64);
	ASSERT_LE(0, self->ch);
}

FIXTURE_TEARDOWN(faults)
{
	close(self->ch);
	munmap(self->page, 2 * self->pagesz);
}

TEST_F(faults, send_from_bad_address_efault)
{
	char *gone = self->page + self->pagesz;
	char *straddle = gone - 4;	/* 4 good bytes, then the hole */
	struct cspchan_stat st;
	char buf[64];

	ASSERT_EQ(1, send_str(self->ch, "1"));

	EXPECT_EQ(-EFAULT, cspchan_send(self->ch, BAD_PTR, 8));
	EXPECT_EQ(-1, write(self->ch, BAD_PTR, 8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-EFAULT, cspchan_send(self->ch, gone, 8));
	EXPECT_EQ(-EFAULT, cspchan_send(self->ch, straddle, 16));
	EXPECT_EQ(-EFAULT, cspchan_send_timeout(self->ch, straddle, 16, 0));
	EXPECT_EQ(-EFAULT, cspchan_send_timeout(self->ch, NULL, 16, -1));

	/* No message, whole or partial, went in. */
	ASSERT_EQ(0, cspchan_stat(self->ch, &st));
	EXPECT_EQ(1U, st.depth);
	EXPECT_EQ(1U, st.sent);
	ASSERT_EQ(1, recv_str(self->ch, buf, sizeof(buf)));
	EXPECT_STREQ("1", buf);
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(self->ch, buf, sizeof(buf), 0));

	/* The 4 good bytes alone are a fine message. */
	ASSERT_EQ(4, cspchan_send(self->ch, straddle, 4));
	ASSERT_EQ(4, recv_str(self->ch, buf, sizeof(buf)));
	EXPECT_STREQ("pppp", buf);
}

TEST_F(faults, receive_into_bad_address_keeps_message)
{
	char *gone = self->page + self->pagesz;
	char *straddle = gone - 4;
	struct cspchan_msginfo info;
	struct cspchan_stat st;
	char buf[64];

	ASSERT_EQ(10, send_str(self->ch, "0123456789"));

	EXPECT_EQ(-EFAULT, cspchan_recv(self->ch, BAD_PTR, 64));
	EXPECT_EQ(-1, read(self->ch, BAD_PTR, 64));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-EFAULT, cspchan_recv(self->ch, gone, 64));
	/* Room for 4 bytes before the hole, the message is 10. */
	EXPECT_EQ(-EFAULT, cspchan_recv(self->ch, straddle, 64));
	EXPECT_EQ(-EFAULT, cspchan_recv_timeout(self->ch, NULL, 64, 0));
	EXPECT_EQ(-EFAULT, cspchan_recvmsg(self->ch, BAD_PTR, 64, &info));

	ASSERT_EQ(0, cspchan_stat(self->ch, &st));
	EXPECT_EQ(1U, st.depth);
	EXPECT_EQ(0U, st.received);
	ASSERT_EQ(10, recv_str(self->ch, buf, sizeof(buf)));
	EXPECT_STREQ("0123456789", buf);
}

/* Unbuffered: a faulting receive does not take the parked sender's message. */
/*
 * Messages larger than the kernel's locked-copy threshold are copied
 * outside the channel lock: a fault there must leave the channel as it
 * was too, with the message first again and the figures unchanged.
 */
TEST_F(faults, large_message_faults_keep_channel)
{
	size_t len = 3000;
	char *straddle = self->page + self->pagesz - len / 2;
	char *msg = malloc(len), *buf = malloc(len);
	struct cspchan_stat st;
	int ch = chan_new(2, 4096);

	ASSERT_LE(0, ch);
	ASSERT_NE(NULL, msg);
	ASSERT_NE(NULL, buf);
	memset(msg, 'L', len);

	/* Send: half the buffer is readable, then the hole. */
	EXPECT_EQ(-EFAULT, cspchan_send(ch, straddle, len));
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(0U, st.depth);
	EXPECT_EQ(0U, st.sent);

	ASSERT_EQ((ssize_t)len, cspchan_send(ch, msg, len));
	ASSERT_EQ(5, cspchan_send(ch, "small", 5));

	/* Receive: the large message cannot be stored; it stays first. */
	EXPECT_EQ(-EFAULT, cspchan_recv(ch, straddle, len));
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(2U, st.depth);
	EXPECT_EQ(0U, st.received);
	ASSERT_EQ((ssize_t)len, cspchan_recv(ch, buf, len));
	EXPECT_EQ(0, memcmp(msg, buf, len));
	ASSERT_EQ(5, cspchan_recv(ch, buf, len));
	EXPECT_EQ(0, memcmp("small", buf, 5));
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(2U, st.received);
	close(ch);
	free(msg);
	free(buf);
}

TEST_F(faults, unbuffered_receive_fault_keeps_sender_parked)
{
	char buf[64];
	pid_t pid;
	int ch;

	ch = chan_new(0, 64);
	ASSERT_LE(0, ch);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(send_str(ch, "parked") == 6 ? 0 : 1);
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));

	EXPECT_EQ(-EFAULT, cspchan_recv(ch, BAD_PTR, 64));
	EXPECT_EQ(-EFAULT, cspchan_recv_timeout(ch, BAD_PTR, 64, 0));
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(pid));
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVED));

	ASSERT_EQ(6, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("parked", buf);
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	close(ch);
}

/* Unbuffered: a faulting send does not wake or feed the parked receiver. */
TEST_F(faults, unbuffered_send_fault_keeps_receiver_parked)
{
	char *buf;
	pid_t pid;
	int ch;

	buf = shared_alloc(64);
	ASSERT_NE(NULL, buf);
	ch = chan_new(0, 64);
	ASSERT_LE(0, ch);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(recv_str(ch, buf, 64) == 4 ? 0 : 1);
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 1));

	EXPECT_EQ(-EFAULT, cspchan_send(ch, BAD_PTR, 8));
	EXPECT_EQ(-EFAULT, cspchan_send_timeout(ch, self->page + self->pagesz - 2, 8, 0));
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(pid));
	EXPECT_EQ(1U, chan_get(ch, STAT_RECEIVERS_WAITING));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENT));

	ASSERT_EQ(4, cspchan_send_timeout(ch, "good", 4, WAIT_MS));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_STREQ("good", buf);
	close(ch);
}

TEST_HARNESS_MAIN
