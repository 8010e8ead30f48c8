// SPDX-License-Identifier: GPL-2.0
/*
 * The control device /dev/cspchan (SPEC 2): its mode, anonymous channels,
 * the create flags, and the limits (module parameters, read back with
 * cspchan_features, enforced with EINVAL and, per user, ENOSPC).
 */
#include "common.h"

#include <sys/socket.h>

TEST(control_device_is_char_0666)
{
	struct stat st;

	REQUIRE_CSPCHAN();
	ASSERT_EQ(0, stat(CSPCHAN_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666U, st.st_mode & 07777);
}

/* Any local user may create channels: the device is an IPC facility. */
TEST(unprivileged_user_creates_channel)
{
	pid_t pid;

	REQUIRE_CSPCHAN();
	REQUIRE_ROOT();
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct cspchan_create_req req;
		char buf[8];
		int ctl, ch;

		CHILD_ASSERT(become_unprivileged(NOBODY_GID) == 0);
		ctl = open(CSPCHAN_DEVICE, O_RDWR | O_CLOEXEC);
		CHILD_ASSERT(ctl >= 0);
		memset(&req, 0, sizeof(req));
		req.capacity = 1;
		req.msg_size = 8;
		ch = ioctl(ctl, CSPCHAN_IOC_CREATE, &req);
		CHILD_ASSERT(ch >= 0);
		CHILD_ASSERT(write(ch, "nobody", 6) == 6);
		CHILD_ASSERT(read(ch, buf, sizeof(buf)) == 6);
		CHILD_ASSERT(memcmp(buf, "nobody", 6) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
}

TEST(anonymous_channel_is_read_write)
{
	struct cspchan_stat st;
	char buf[16];
	int ch, fl;

	REQUIRE_CSPCHAN();
	ch = chan_new(3, 16);
	ASSERT_LE(0, ch);

	fl = fcntl(ch, F_GETFL);
	ASSERT_LE(0, fl);
	EXPECT_EQ(O_RDWR, fl & O_ACCMODE);
	EXPECT_EQ(0, fl & O_NONBLOCK);
	EXPECT_EQ(0, fcntl(ch, F_GETFD) & FD_CLOEXEC);

	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(3U, st.capacity);
	EXPECT_EQ(16U, st.msg_size);
	EXPECT_EQ(0U, st.depth);
	EXPECT_EQ(0, st.shut);
	EXPECT_EQ(0, st.autoclose);
	EXPECT_STREQ("", st.name);

	ASSERT_EQ(5, send_str(ch, "hello"));
	ASSERT_EQ(5, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("hello", buf);
	EXPECT_EQ(0, close(ch));
}

/* A handle is a descriptor: passed with SCM_RIGHTS it reaches the channel. */
TEST(handle_passes_over_scm_rights)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	struct iovec iov;
	uint64_t *seen_id;
	int sv[2], ch;
	char buf[16];
	pid_t pid;

	REQUIRE_CSPCHAN();
	seen_id = shared_alloc(sizeof(*seen_id));
	ASSERT_NE(NULL, seen_id);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	/* Forked before the channel exists: it can only get it through sv. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int got;

		close(sv[0]);
		iov.iov_base = buf;
		iov.iov_len = 1;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		CHILD_ASSERT(recvmsg(sv[1], &mh, 0) == 1);
		cm = CMSG_FIRSTHDR(&mh);
		CHILD_ASSERT(cm && cm->cmsg_type == SCM_RIGHTS);
		memcpy(&got, CMSG_DATA(cm), sizeof(got));
		*seen_id = chan_id(got);
		CHILD_ASSERT(send_str(got, "passed") == 6);
		_exit(0);
	}
	close(sv[1]);
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);

	iov.iov_base = "c";
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &ch, sizeof(ch));
	ASSERT_EQ(1, sendmsg(sv[0], &mh, 0));

	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(chan_id(ch), *seen_id);
	ASSERT_EQ(6, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("passed", buf);
	close(sv[0]);
	close(ch);
}

TEST(create_oflags_apply_to_handle)
{
	char buf[8];
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new_flags(1, 8, 0, O_CLOEXEC);
	ASSERT_LE(0, ch);
	EXPECT_EQ(FD_CLOEXEC, fcntl(ch, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, fcntl(ch, F_GETFL) & O_NONBLOCK);
	close(ch);

	ch = chan_new_flags(1, 8, 0, O_NONBLOCK);
	ASSERT_LE(0, ch);
	EXPECT_EQ(O_NONBLOCK, fcntl(ch, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(0, fcntl(ch, F_GETFD) & FD_CLOEXEC);
	/* Empty and non-blocking: the receive fails at once. */
	EXPECT_EQ(-EAGAIN, cspchan_recv(ch, buf, sizeof(buf)));
	close(ch);
}

TEST(create_rejects_unknown_oflags)
{
	static const int bad[] = { O_APPEND, O_CREAT, O_TRUNC, O_WRONLY, O_RDWR,
				   O_SYNC, O_DIRECT, O_NOCTTY };
	unsigned int i;
	int before;

	REQUIRE_CSPCHAN();
	before = proc_count();
	ASSERT_LE(0, before);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int ch = chan_new_flags(1, 8, 0, bad[i]);

		EXPECT_EQ(-EINVAL, ch) TH_LOG("oflags %#x", bad[i]);
		EXPECT_EQ(EINVAL, errno);
		if (ch >= 0)
			close(ch);
	}
	EXPECT_EQ(before, proc_count());
}

TEST(create_rejects_unknown_flags)
{
	static const unsigned int bad[] = { 1U << 7, 1U << 15, 1U << 31,
					    CSPCHAN_AUTOCLOSE | (1U << 14) };
	struct cspchan_stat st;
	unsigned int i;
	int before, ch;

	REQUIRE_CSPCHAN();
	before = proc_count();
	ASSERT_LE(0, before);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ch = chan_new_flags(1, 8, bad[i], 0);
		EXPECT_EQ(-EINVAL, ch) TH_LOG("flags %#x", bad[i]);
		if (ch >= 0)
			close(ch);
	}
	EXPECT_EQ(before, proc_count());

	/* The one defined flag is accepted and shows in stat. */
	ch = chan_new_flags(1, 8, CSPCHAN_AUTOCLOSE, 0);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(1, st.autoclose);
	close(ch);
}

TEST(create_rejects_mode_outside_0777)
{
	static const unsigned int bad[] = { 01000, 02000, 04000, 010000, 0100777 };
	struct cspchan_attr attr = { .capacity = 1, .msg_size = 8 };
	struct cspchan_stat st;
	char name[CSPCHAN_NAME_MAX];
	unsigned int i;
	int ch;

	REQUIRE_CSPCHAN();
	unique_name(name, "mode");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		attr.mode = bad[i];
		ch = cspchan_create(name, &attr, O_EXCL);
		EXPECT_EQ(-EINVAL, ch) TH_LOG("mode %#o", bad[i]);
		if (ch >= 0)
			close(ch);
		/* Nothing was created under the name. */
		EXPECT_EQ(-ENOENT, cspchan_open(name, O_RDWR));
	}
	/* 0777 itself is fine, and stat reports it. */
	umask(0);
	attr.mode = 0777;
	ch = cspchan_create(name, &attr, O_EXCL);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(0777U, st.mode);
	EXPECT_STREQ(name, st.name);
	EXPECT_EQ(0, cspchan_unlink(name));
	close(ch);
}

TEST(create_rejects_zero_msg_size)
{
	int before, ch;

	REQUIRE_CSPCHAN();
	before = proc_count();
	ch = chan_new(1, 0);
	EXPECT_EQ(-EINVAL, ch);
	EXPECT_EQ(EINVAL, errno);
	ch = chan_new(0, 0);
	EXPECT_EQ(-EINVAL, ch);
	EXPECT_EQ(before, proc_count());
}

TEST(features_match_module_parameters)
{
	struct cspchan_features f;
	unsigned long v;

	REQUIRE_CSPCHAN();
	ASSERT_EQ(0, cspchan_features(&f));
	EXPECT_TRUE(!!(f.features & CSPCHAN_FEAT_NAMES));
	EXPECT_TRUE(!!(f.features & CSPCHAN_FEAT_XFER));

	ASSERT_EQ(0, param_read("max_capacity", &v));
	EXPECT_EQ(v, f.max_capacity);
	ASSERT_EQ(0, param_read("max_msg_size", &v));
	EXPECT_EQ(v, f.max_msg_size);
	ASSERT_EQ(0, param_read("max_channel_bytes", &v));
	EXPECT_EQ(v, f.max_channel_bytes);
	ASSERT_EQ(0, param_read("max_channels_per_user", &v));
	EXPECT_EQ(v, f.max_channels_per_user);
	ASSERT_EQ(0, param_read("max_user_bytes", &v));
	EXPECT_EQ(v, f.max_user_bytes);
	/* The default keeps one user from pinning much of the machine. */
	EXPECT_GE(256UL << 20, f.max_user_bytes);

	EXPECT_LT(0U, f.max_capacity);
	EXPECT_LT(0U, f.max_msg_size);
	EXPECT_LT(0U, f.max_channels_per_user);
}

/* ---- limits: the parameters are changed, and restored in teardown ------ */

static const char *const limit_params[] = {
	"max_capacity", "max_msg_size", "max_channel_bytes", "max_channels_per_user",
	"max_user_bytes",
};

FIXTURE(limits) {
	unsigned long saved[ARRAY_SIZE(limit_params)];
	bool have[ARRAY_SIZE(limit_params)];
};

FIXTURE_SETUP(limits)
{
	unsigned int i;

	REQUIRE_CSPCHAN();
	REQUIRE_ROOT();
	for (i = 0; i < ARRAY_SIZE(limit_params); i++) {
		ASSERT_EQ(0, param_read(limit_params[i], &self->saved[i]))
			TH_LOG("cannot read parameter %s", limit_params[i]);
		self->have[i] = true;
	}
}

FIXTURE_TEARDOWN(limits)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(limit_params); i++) {
		const char *param = limit_params[i];

		if (!self->have[i])
			continue;
		EXPECT_EQ(0, param_write(param, self->saved[i])) {
			TH_LOG("cannot restore parameter %s", param);
		}
	}
}

TEST_F(limits, parameters_are_enforced)
{
	struct cspchan_features f;
	int before, ch;

	ASSERT_EQ(0, param_write("max_capacity", 64));
	ASSERT_EQ(0, param_write("max_msg_size", 1024));
	ASSERT_EQ(0, param_write("max_channel_bytes", 16384));
	ASSERT_EQ(0, cspchan_features(&f));
	EXPECT_EQ(64U, f.max_capacity);
	EXPECT_EQ(1024U, f.max_msg_size);
	EXPECT_EQ(16384U, f.max_channel_bytes);

	before = proc_count();
	ASSERT_LE(0, before);

	/* At the limits. */
	ch = chan_new(64, 16);
	EXPECT_LE(0, ch);
	close(ch);
	ch = chan_new(4, 1024);
	EXPECT_LE(0, ch);
	close(ch);

	/* One past each limit. */
	EXPECT_EQ(-EINVAL, chan_new(65, 16));
	EXPECT_EQ(-EINVAL, chan_new(1, 1025));
	EXPECT_EQ(-EINVAL, chan_new(0, 1025));
	/* 64 x 1024 bytes > max_channel_bytes. */
	EXPECT_EQ(-EINVAL, chan_new(64, 1024));
	EXPECT_EQ(-EINVAL, chan_new(32, 1024));
	EXPECT_EQ(before, proc_count());
}

/*
 * The per-user limit counts the channels alive that a uid created.  The
 * child runs as nobody, who owns no channels, so it may create exactly
 * the limit.
 */
TEST_F(limits, per_user_limit_enospc)
{
	char name[CSPCHAN_NAME_MAX];
	pid_t pid;

	ASSERT_EQ(0, param_write("max_channels_per_user", 3));
	unique_name(name, "peruser");

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ch[3], extra, before, i;

		CHILD_ASSERT(become_unprivileged(NOBODY_GID) == 0);
		for (i = 0; i < 3; i++) {
			ch[i] = chan_new(1, 8);
			CHILD_ASSERT(ch[i] >= 0);
		}
		before = proc_count();
		CHILD_ASSERT(before >= 3);
		extra = chan_new(1, 8);
		CHILD_ASSERT(extra == -ENOSPC);
		CHILD_ASSERT(errno == ENOSPC);
		extra = chan_named(name, 1, 8, 0600, 0);
		CHILD_ASSERT(extra == -ENOSPC);
		/* Nothing was created: no line, no name. */
		CHILD_ASSERT(proc_count() == before);
		CHILD_ASSERT(cspchan_open(name, O_RDWR) == -ENOENT);

		/* Releasing one makes room for exactly one. */
		close(ch[0]);
		ch[0] = chan_named(name, 1, 8, 0600, 0);
		CHILD_ASSERT(ch[0] >= 0);
		CHILD_ASSERT(chan_new(1, 8) == -ENOSPC);
		/* A named channel counts while it exists, with no handle. */
		close(ch[0]);
		CHILD_ASSERT(chan_new(1, 8) == -ENOSPC);
		CHILD_ASSERT(cspchan_unlink(name) == 0);
		extra = chan_new(1, 8);
		CHILD_ASSERT(extra >= 0);
		_exit(0);
	}
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	cspchan_unlink(name);
}

/*
 * The per-user byte limit counts what all of a uid's channels pin: their
 * arenas (whole pages) plus a little bookkeeping.  Three channels of a
 * 64 KiB arena fit in 200 KiB, a fourth does not (ENOSPC, nothing
 * created, no name); releasing one makes room again.
 */
TEST_F(limits, per_user_bytes_enospc)
{
	char name[CSPCHAN_NAME_MAX];
	pid_t pid;

	ASSERT_EQ(0, param_write("max_user_bytes", 200UL << 10));
	unique_name(name, "peruserbytes");

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ch[3], before, i;

		CHILD_ASSERT(become_unprivileged(NOBODY_GID) == 0);
		for (i = 0; i < 3; i++) {
			ch[i] = chan_new(16, 4096);	/* a 64 KiB arena */
			CHILD_ASSERT(ch[i] >= 0);
		}
		before = proc_count();
		CHILD_ASSERT(chan_new(16, 4096) == -ENOSPC);
		CHILD_ASSERT(errno == ENOSPC);
		CHILD_ASSERT(chan_named(name, 16, 4096, 0600, 0) == -ENOSPC);
		CHILD_ASSERT(proc_count() == before);
		CHILD_ASSERT(cspchan_open(name, O_RDWR) == -ENOENT);

		close(ch[1]);
		ch[1] = chan_named(name, 16, 4096, 0600, 0);
		CHILD_ASSERT(ch[1] >= 0);
		CHILD_ASSERT(chan_new(16, 4096) == -ENOSPC);
		/* A named channel pins its memory while it exists. */
		close(ch[1]);
		CHILD_ASSERT(chan_new(16, 4096) == -ENOSPC);
		CHILD_ASSERT(cspchan_unlink(name) == 0);
		ch[1] = chan_new(16, 4096);
		CHILD_ASSERT(ch[1] >= 0);
		_exit(0);
	}
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	cspchan_unlink(name);
}

/*
 * Named channels of an IPC namespace that is gone no longer count against
 * their user's limits: they are reaped before a create is charged.
 * Regression: they were reaped only when another name was created, after
 * the limit check, so an anonymous create failed with ENOSPC.
 */
TEST_F(limits, dead_namespace_names_do_not_count)
{
	pid_t pid;

	ASSERT_EQ(0, param_write("max_channels_per_user", 2));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char name[CSPCHAN_NAME_MAX];

		CHILD_ASSERT(unshare(CLONE_NEWIPC) == 0);
		CHILD_ASSERT(become_unprivileged(NOBODY_GID) == 0);
		CHILD_ASSERT(chan_named(unique_name(name, "deadns"), 1, 8, 0600, 0) >= 0);
		CHILD_ASSERT(chan_named(unique_name(name, "deadns"), 1, 8, 0600, 0) >= 0);
		CHILD_ASSERT(chan_new(1, 8) == -ENOSPC);
		_exit(0);	/* the namespace dies with its only process */
	}
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(become_unprivileged(NOBODY_GID) == 0);
		CHILD_ASSERT(chan_new(1, 8) >= 0);
		CHILD_ASSERT(chan_new(1, 8) >= 0);
		CHILD_ASSERT(chan_new(1, 8) == -ENOSPC);
		_exit(0);
	}
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
}

TEST_HARNESS_MAIN
