// SPDX-License-Identifier: GPL-2.0
/*
 * Access to named channels (SPEC 2): owner/group/other mode bits checked
 * like a file's (EACCES), CAP_IPC_OWNER overriding them, the open flags,
 * and EBADF for the direction a handle was not opened for.
 */
#include "common.h"

/*
 * In a child running as uid 65534 and @gid: open @name with @oflags.
 * Returns 0 if that worked (and the handle has the access mode asked for),
 * the errno otherwise, or the child's failure status.
 */
static int open_as(gid_t gid, const char *name, int oflags)
{
	pid_t pid = fork_child();

	if (pid == 0) {
		int ch;

		CHILD_ASSERT(become_unprivileged(gid) == 0);
		ch = cspchan_open(name, oflags);
		if (ch < 0)
			_exit(-ch);
		CHILD_ASSERT((fcntl(ch, F_GETFL) & O_ACCMODE) == (oflags & O_ACCMODE));
		_exit(0);
	}
	return child_wait(pid, WAIT_MS);
}

FIXTURE(named) {
	char name[CSPCHAN_NAME_MAX];
	int ch;
};

FIXTURE_SETUP(named)
{
	REQUIRE_CSPCHAN();
	REQUIRE_ROOT();
	/* Modes below are meant exactly, whatever a create does with umask. */
	umask(0);
	unique_name(self->name, "perm");
	self->ch = -1;
}

FIXTURE_TEARDOWN(named)
{
	cspchan_unlink(self->name);
	if (self->ch >= 0)
		close(self->ch);
}

TEST_F(named, mode_0600_denies_others)
{
	self->ch = chan_named(self->name, 2, 8, 0600, 0);
	ASSERT_LE(0, self->ch);
	EXPECT_EQ(EACCES, open_as(NOBODY_GID, self->name, O_RDONLY));
	EXPECT_EQ(EACCES, open_as(NOBODY_GID, self->name, O_WRONLY));
	EXPECT_EQ(EACCES, open_as(NOBODY_GID, self->name, O_RDWR));
}

TEST_F(named, mode_0644_lets_others_receive_only)
{
	self->ch = chan_named(self->name, 2, 8, 0644, 0);
	ASSERT_LE(0, self->ch);
	EXPECT_EQ(0, open_as(NOBODY_GID, self->name, O_RDONLY));
	EXPECT_EQ(EACCES, open_as(NOBODY_GID, self->name, O_WRONLY));
	EXPECT_EQ(EACCES, open_as(NOBODY_GID, self->name, O_RDWR));
}

TEST_F(named, mode_0666_lets_others_send_and_receive)
{
	char buf[16];
	pid_t pid;

	self->ch = chan_named(self->name, 2, 16, 0666, 0);
	ASSERT_LE(0, self->ch);
	EXPECT_EQ(0, open_as(NOBODY_GID, self->name, O_RDONLY));
	EXPECT_EQ(0, open_as(NOBODY_GID, self->name, O_WRONLY));
	EXPECT_EQ(0, open_as(NOBODY_GID, self->name, O_RDWR));

	/* And the handles really work: one message each way. */
	ASSERT_EQ(4, send_str(self->ch, "down"));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int rx, tx;

		CHILD_ASSERT(become_unprivileged(NOBODY_GID) == 0);
		rx = cspchan_open(self->name, O_RDONLY);
		tx = cspchan_open(self->name, O_WRONLY);
		CHILD_ASSERT(rx >= 0 && tx >= 0);
		CHILD_ASSERT(recv_str(rx, buf, sizeof(buf)) == 4);
		CHILD_ASSERT(strcmp(buf, "down") == 0);
		CHILD_ASSERT(send_str(tx, "up") == 2);
		_exit(0);
	}
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	ASSERT_EQ(2, recv_str(self->ch, buf, sizeof(buf)));
	EXPECT_STREQ("up", buf);
}

/* As for files, a member of the group gets the group bits, not other's. */
TEST_F(named, group_bits_apply_to_group_members)
{
	self->ch = chan_named(self->name, 2, 8, 0640, 0);
	ASSERT_LE(0, self->ch);
	/* The channel's group is root's (0). */
	EXPECT_EQ(0, open_as(0, self->name, O_RDONLY));
	EXPECT_EQ(EACCES, open_as(0, self->name, O_WRONLY));
	EXPECT_EQ(EACCES, open_as(NOBODY_GID, self->name, O_RDONLY));
	close(self->ch);
	ASSERT_EQ(0, cspchan_unlink(self->name));

	self->ch = chan_named(self->name, 2, 8, 0606, 0);
	ASSERT_LE(0, self->ch);
	EXPECT_EQ(EACCES, open_as(0, self->name, O_RDONLY));
	EXPECT_EQ(0, open_as(NOBODY_GID, self->name, O_RDWR));
}

/* The owner gets the owner bits, even when "other" would allow more. */
TEST_F(named, owner_bits_apply_to_owner)
{
	pid_t pid = fork_child();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct cspchan_attr attr = { .capacity = 2, .msg_size = 8, .mode = 0244 };
		int ch;

		CHILD_ASSERT(become_unprivileged(NOBODY_GID) == 0);
		ch = cspchan_create(self->name, &attr, O_EXCL);
		CHILD_ASSERT(ch >= 0);
		/* The creator's own handle is read-write whatever the mode. */
		CHILD_ASSERT((fcntl(ch, F_GETFL) & O_ACCMODE) == O_RDWR);
		CHILD_ASSERT(cspchan_open(self->name, O_RDONLY) == -EACCES);
		CHILD_ASSERT(cspchan_open(self->name, O_RDWR) == -EACCES);
		ch = cspchan_open(self->name, O_WRONLY);
		CHILD_ASSERT(ch >= 0);
		_exit(0);
	}
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
}

/* Root (CAP_IPC_OWNER) opens a channel whose mode allows nobody anything. */
TEST_F(named, cap_ipc_owner_overrides_mode)
{
	pid_t pid = fork_child();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(become_unprivileged(NOBODY_GID) == 0);
		CHILD_ASSERT(chan_named(self->name, 2, 8, 0000, 0) >= 0);
		CHILD_ASSERT(cspchan_open(self->name, O_RDONLY) == -EACCES);
		_exit(0);
	}
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	self->ch = cspchan_open(self->name, O_RDWR);
	ASSERT_LE(0, self->ch);
	EXPECT_EQ(1, send_str(self->ch, "x"));
	EXPECT_EQ(EACCES, open_as(NOBODY_GID, self->name, O_RDONLY));
}

TEST_F(named, open_flags_shape_the_handle)
{
	static const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR };
	unsigned int i;
	char buf[8];
	int ch;

	self->ch = chan_named(self->name, 2, 8, 0600, 0);
	ASSERT_LE(0, self->ch);
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		ch = cspchan_open(self->name, modes[i]);
		ASSERT_LE(0, ch);
		EXPECT_EQ(modes[i], fcntl(ch, F_GETFL) & O_ACCMODE);
		EXPECT_EQ(0, fcntl(ch, F_GETFL) & O_NONBLOCK);
		EXPECT_EQ(0, fcntl(ch, F_GETFD) & FD_CLOEXEC);
		close(ch);
	}

	ch = cspchan_open(self->name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, ch);
	EXPECT_EQ(O_RDONLY, fcntl(ch, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(O_NONBLOCK, fcntl(ch, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(ch, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(-EAGAIN, cspchan_recv(ch, buf, sizeof(buf)));
	close(ch);
}

TEST_F(named, open_rejects_other_flags)
{
	static const int bad[] = { O_RDWR | O_APPEND, O_RDWR | O_CREAT, O_RDWR | O_EXCL,
				   O_RDWR | O_TRUNC, O_RDONLY | O_SYNC, O_WRONLY | O_NOCTTY,
				   O_ACCMODE };
	unsigned int i;
	int fds;

	self->ch = chan_named(self->name, 2, 8, 0600, 0);
	ASSERT_LE(0, self->ch);
	fds = open_fd_count();
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int ch = cspchan_open(self->name, bad[i]);

		EXPECT_EQ(-EINVAL, ch) TH_LOG("oflags %#x", bad[i]);
		if (ch >= 0)
			close(ch);
	}
	EXPECT_EQ(fds, open_fd_count());
}

TEST_F(named, send_on_receive_only_handle_ebadf)
{
	struct cspchan_stat st;
	int rx;

	self->ch = chan_named(self->name, 2, 8, 0600, 0);
	ASSERT_LE(0, self->ch);
	rx = cspchan_open(self->name, O_RDONLY);
	ASSERT_LE(0, rx);

	EXPECT_EQ(-1, write(rx, "w", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, cspchan_send(rx, "s", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, cspchan_send_timeout(rx, "t", 1, 0));
	EXPECT_EQ(-EBADF, cspchan_send_timeout(rx, "t", 1, 100));
	EXPECT_EQ(-EBADF, cspchan_send_timeout(rx, "t", 1, -1));

	ASSERT_EQ(0, cspchan_stat(self->ch, &st));
	EXPECT_EQ(0U, st.depth);
	EXPECT_EQ(0U, st.sent);
	/* The handle still receives. */
	ASSERT_EQ(2, send_str(self->ch, "ok"));
	EXPECT_EQ(2, cspchan_recv(rx, (char[8]){ 0 }, 8));
	close(rx);
}

TEST_F(named, receive_on_send_only_handle_ebadf)
{
	struct cspchan_msginfo info;
	struct cspchan_stat st;
	char buf[8];
	int tx;

	self->ch = chan_named(self->name, 2, 8, 0600, 0);
	ASSERT_LE(0, self->ch);
	tx = cspchan_open(self->name, O_WRONLY);
	ASSERT_LE(0, tx);
	ASSERT_EQ(4, send_str(tx, "kept"));

	EXPECT_EQ(-1, read(tx, buf, sizeof(buf)));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, cspchan_recv(tx, buf, sizeof(buf)));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, cspchan_recv_timeout(tx, buf, sizeof(buf), 0));
	EXPECT_EQ(-EBADF, cspchan_recv_timeout(tx, buf, sizeof(buf), -1));
	EXPECT_EQ(-EBADF, cspchan_recvmsg(tx, buf, sizeof(buf), &info));

	ASSERT_EQ(0, cspchan_stat(self->ch, &st));
	EXPECT_EQ(1U, st.depth);
	EXPECT_EQ(0U, st.received);
	ASSERT_EQ(4, recv_str(self->ch, buf, sizeof(buf)));
	EXPECT_STREQ("kept", buf);
	close(tx);
}

TEST_HARNESS_MAIN
