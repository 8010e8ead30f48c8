// SPDX-License-Identifier: GPL-2.0
/*
 * Channel names (SPEC 2): the 1..63 byte [A-Za-z0-9._-] alphabet, EEXIST
 * and open-existing on create, ENOENT, unlink with handles still open, and
 * the IPC namespace a name lives in.
 */
#include "common.h"

#include <sys/resource.h>

static void fill_name(char *buf, size_t len, char c)
{
	memset(buf, c, len);
	buf[len] = '\0';
}

TEST(valid_names_are_accepted)
{
	char n63[64], alphabet[CSPCHAN_NAME_MAX], one[CSPCHAN_NAME_MAX];
	const char *names[3];
	struct cspchan_stat st;
	unsigned int i;
	int ch;

	REQUIRE_CSPCHAN();
	/* Unique per run, yet 63 bytes and every kind of character. */
	snprintf(n63, sizeof(n63), "%d-", (int)getpid());
	fill_name(n63 + strlen(n63), 63 - strlen(n63), 'n');
	snprintf(alphabet, sizeof(alphabet), "AZaz09._-%d", (int)getpid());
	/* One byte: taken from the pid so that reruns do not collide. */
	snprintf(one, sizeof(one), "%c", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[getpid() % 52]);
	cspchan_unlink(one);
	names[0] = n63;
	names[1] = alphabet;
	names[2] = one;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		ch = chan_named(names[i], 2, 8, 0600, 0);
		ASSERT_LE(0, ch) TH_LOG("name \"%s\"", names[i]);
		ASSERT_EQ(0, cspchan_stat(ch, &st));
		EXPECT_STREQ(names[i], st.name);
		close(ch);
		ch = cspchan_open(names[i], O_RDWR);
		EXPECT_LE(0, ch);
		close(ch);
		EXPECT_EQ(0, cspchan_unlink(names[i]));
	}
}

TEST(library_rejects_empty_name)
{
	struct cspchan_attr attr = { .capacity = 1, .msg_size = 8, .mode = 0600 };
	int before;

	REQUIRE_CSPCHAN();
	before = proc_count();
	EXPECT_EQ(-EINVAL, cspchan_create("", &attr, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, cspchan_create("", &attr, O_EXCL));
	EXPECT_EQ(-EINVAL, cspchan_open("", O_RDWR));
	EXPECT_EQ(-EINVAL, cspchan_unlink(""));
	EXPECT_EQ(before, proc_count());
}

TEST(long_name_enametoolong)
{
	struct cspchan_attr attr = { .capacity = 1, .msg_size = 8, .mode = 0600 };
	char n64[65], n100[101];
	int before;

	REQUIRE_CSPCHAN();
	fill_name(n64, 64, 'x');
	fill_name(n100, 100, 'y');
	before = proc_count();
	EXPECT_EQ(-ENAMETOOLONG, cspchan_create(n64, &attr, O_EXCL));
	EXPECT_EQ(ENAMETOOLONG, errno);
	EXPECT_EQ(-ENAMETOOLONG, cspchan_create(n100, &attr, 0));
	EXPECT_EQ(-ENAMETOOLONG, cspchan_open(n64, O_RDWR));
	EXPECT_EQ(-ENAMETOOLONG, cspchan_unlink(n64));
	EXPECT_EQ(before, proc_count());
}

/* The ABI's name field holds 64 bytes: without a NUL in them, no name. */
TEST(unterminated_name_field_enametoolong)
{
	struct cspchan_create_req creq;
	struct cspchan_name_req nreq;
	int ctl, before;

	REQUIRE_CSPCHAN();
	ctl = open(CSPCHAN_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	before = proc_count();

	memset(&creq, 0, sizeof(creq));
	creq.capacity = 1;
	creq.msg_size = 8;
	creq.mode = 0600;
	memset(creq.name, 'a', sizeof(creq.name));
	EXPECT_EQ(-1, ioctl(ctl, CSPCHAN_IOC_CREATE, &creq));
	EXPECT_EQ(ENAMETOOLONG, errno);

	memset(&nreq, 0, sizeof(nreq));
	nreq.oflags = O_RDWR;
	memset(nreq.name, 'a', sizeof(nreq.name));
	EXPECT_EQ(-1, ioctl(ctl, CSPCHAN_IOC_OPEN, &nreq));
	EXPECT_EQ(ENAMETOOLONG, errno);

	nreq.oflags = 0;
	EXPECT_EQ(-1, ioctl(ctl, CSPCHAN_IOC_UNLINK, &nreq));
	EXPECT_EQ(ENAMETOOLONG, errno);

	EXPECT_EQ(before, proc_count());
	close(ctl);
}

/* Through the raw ABI an empty name means "anonymous". */
TEST(raw_empty_name_is_anonymous)
{
	struct cspchan_create_req req;
	struct cspchan_stat st;
	struct proc_chan pc;
	bool seen;
	int ctl, ch;

	REQUIRE_CSPCHAN();
	ctl = open(CSPCHAN_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	memset(&req, 0, sizeof(req));
	req.capacity = 2;
	req.msg_size = 8;
	ch = ioctl(ctl, CSPCHAN_IOC_CREATE, &req);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_STREQ("", st.name);
	ASSERT_LE(0, proc_scan(st.id, &pc, &seen));
	ASSERT_TRUE(seen);
	EXPECT_STREQ("-", pc.name);
	close(ch);
	close(ctl);
}

TEST(bad_characters_einval)
{
	static const char *const bad[] = {
		"a/b", "a b", "\xc3\xa9", "/abs", "tab\there", "nl\n", "a:b", "a*", "\x7f",
	};
	struct cspchan_attr attr = { .capacity = 1, .msg_size = 8, .mode = 0600 };
	unsigned int i;
	int before;

	REQUIRE_CSPCHAN();
	before = proc_count();
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, cspchan_create(bad[i], &attr, O_EXCL))
			TH_LOG("create \"%s\"", bad[i]);
		EXPECT_EQ(-EINVAL, cspchan_create(bad[i], &attr, 0))
			TH_LOG("create (no O_EXCL) \"%s\"", bad[i]);
		EXPECT_EQ(-EINVAL, cspchan_open(bad[i], O_RDWR))
			TH_LOG("open \"%s\"", bad[i]);
		EXPECT_EQ(-EINVAL, cspchan_unlink(bad[i]))
			TH_LOG("unlink \"%s\"", bad[i]);
	}
	EXPECT_EQ(before, proc_count());
}

TEST(missing_name_enoent)
{
	char name[CSPCHAN_NAME_MAX];

	REQUIRE_CSPCHAN();
	unique_name(name, "missing");
	EXPECT_EQ(-ENOENT, cspchan_open(name, O_RDWR));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-ENOENT, cspchan_open(name, O_RDONLY));
	EXPECT_EQ(-ENOENT, cspchan_unlink(name));
	EXPECT_EQ(ENOENT, errno);
}

TEST(create_excl_existing_eexist)
{
	char name[CSPCHAN_NAME_MAX];
	struct cspchan_stat st;
	int ch, before;

	REQUIRE_CSPCHAN();
	unique_name(name, "excl");
	ch = chan_named(name, 2, 8, 0600, 0);
	ASSERT_LE(0, ch);
	before = proc_count();

	EXPECT_EQ(-EEXIST, chan_named(name, 2, 8, 0600, 0));
	EXPECT_EQ(EEXIST, errno);
	/* Different attributes make no difference. */
	EXPECT_EQ(-EEXIST, chan_named(name, 5, 100, 0644, CSPCHAN_AUTOCLOSE));
	EXPECT_EQ(before, proc_count());

	/* The existing channel is untouched. */
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(2U, st.capacity);
	EXPECT_EQ(8U, st.msg_size);
	EXPECT_EQ(0, st.autoclose);
	EXPECT_EQ(0, cspchan_unlink(name));
	close(ch);
}

TEST(create_without_excl_opens_existing)
{
	struct cspchan_attr attr = { .capacity = 7, .msg_size = 99, .mode = 0666,
				     .flags = CSPCHAN_AUTOCLOSE };
	char name[CSPCHAN_NAME_MAX], buf[16];
	struct cspchan_stat st1, st2;
	int ch1, ch2, before;

	REQUIRE_CSPCHAN();
	unique_name(name, "reopen");
	ch1 = chan_named(name, 3, 16, 0600, 0);
	ASSERT_LE(0, ch1);
	before = proc_count();

	ch2 = cspchan_create(name, &attr, 0);
	ASSERT_LE(0, ch2);
	EXPECT_NE(ch1, ch2);
	EXPECT_EQ(before, proc_count());

	ASSERT_EQ(0, cspchan_stat(ch1, &st1));
	ASSERT_EQ(0, cspchan_stat(ch2, &st2));
	EXPECT_EQ(st1.id, st2.id);
	EXPECT_EQ(3U, st2.capacity);
	EXPECT_EQ(16U, st2.msg_size);
	EXPECT_EQ(0600U, st2.mode);
	EXPECT_EQ(0, st2.autoclose);

	/* One channel: what goes in one handle comes out of the other. */
	ASSERT_EQ(3, send_str(ch1, "one"));
	ASSERT_EQ(3, recv_str(ch2, buf, sizeof(buf)));
	EXPECT_STREQ("one", buf);
	ASSERT_EQ(3, send_str(ch2, "two"));
	ASSERT_EQ(3, recv_str(ch1, buf, sizeof(buf)));
	EXPECT_STREQ("two", buf);

	EXPECT_EQ(0, cspchan_unlink(name));
	close(ch1);
	close(ch2);
}

TEST(unlink_keeps_open_handles)
{
	char name[CSPCHAN_NAME_MAX], buf[16];
	uint64_t old_id;
	int ch1, ch2, ch3;

	REQUIRE_CSPCHAN();
	unique_name(name, "unlink");
	ch1 = chan_named(name, 4, 16, 0600, 0);
	ASSERT_LE(0, ch1);
	ch2 = cspchan_open(name, O_RDWR);
	ASSERT_LE(0, ch2);
	old_id = chan_id(ch1);
	ASSERT_EQ(6, send_str(ch1, "queued"));

	ASSERT_EQ(0, cspchan_unlink(name));

	/* The name is gone ... */
	EXPECT_EQ(-ENOENT, cspchan_open(name, O_RDWR));
	EXPECT_EQ(-ENOENT, cspchan_unlink(name));
	/* ... the channel is not. */
	ASSERT_EQ(6, recv_str(ch2, buf, sizeof(buf)));
	EXPECT_STREQ("queued", buf);
	ASSERT_EQ(5, send_str(ch2, "after"));
	ASSERT_EQ(5, recv_str(ch1, buf, sizeof(buf)));
	EXPECT_STREQ("after", buf);
	EXPECT_TRUE(proc_has(old_id));

	/* The name may be reused, for a different channel. */
	ch3 = chan_named(name, 4, 16, 0600, 0);
	ASSERT_LE(0, ch3);
	EXPECT_NE(old_id, chan_id(ch3));
	ASSERT_EQ(3, send_str(ch1, "old"));
	ASSERT_EQ(3, send_str(ch3, "new"));
	EXPECT_EQ(1U, chan_get(ch1, STAT_DEPTH));
	EXPECT_EQ(1U, chan_get(ch3, STAT_DEPTH));
	ASSERT_EQ(3, recv_str(ch3, buf, sizeof(buf)));
	EXPECT_STREQ("new", buf);
	ASSERT_EQ(3, recv_str(ch2, buf, sizeof(buf)));
	EXPECT_STREQ("old", buf);

	EXPECT_EQ(0, cspchan_unlink(name));
	close(ch1);
	close(ch2);
	close(ch3);
}

/*
 * A name belongs to the IPC namespace it was created in; a handle is just
 * a descriptor and works wherever it is passed.
 */
TEST(names_live_in_ipc_namespace)
{
	char name[CSPCHAN_NAME_MAX], buf[32];
	uint64_t *child_id;
	uint64_t parent_id;
	int ch, ch2;
	pid_t pid;

	REQUIRE_CSPCHAN();
	REQUIRE_ROOT();
	child_id = shared_alloc(sizeof(*child_id));
	ASSERT_NE(NULL, child_id);
	unique_name(name, "ipcns");
	ch = chan_named(name, 4, 32, 0600, 0);
	ASSERT_LE(0, ch);
	parent_id = chan_id(ch);
	ASSERT_EQ(6, send_str(ch, "parent"));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int own;

		CHILD_ASSERT(unshare(CLONE_NEWIPC) == 0);
		CHILD_ASSERT(cspchan_open(name, O_RDWR) == -ENOENT);
		CHILD_ASSERT(cspchan_unlink(name) == -ENOENT);
		own = chan_named(name, 1, 8, 0600, 0);
		CHILD_ASSERT(own >= 0);
		*child_id = chan_id(own);
		CHILD_ASSERT(*child_id != parent_id);
		/* The name now resolves to the child's own channel. */
		CHILD_ASSERT(chan_named(name, 1, 8, 0600, 0) == -EEXIST);
		/* The inherited handle still reaches the parent's channel. */
		CHILD_ASSERT(send_str(ch, "from-child") == 10);
		CHILD_ASSERT(cspchan_unlink(name) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));

	ASSERT_EQ(6, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("parent", buf);
	ASSERT_EQ(10, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("from-child", buf);

	/* The parent's name was not touched by the child's unlink. */
	ch2 = cspchan_open(name, O_RDWR);
	ASSERT_LE(0, ch2);
	EXPECT_EQ(parent_id, chan_id(ch2));
	EXPECT_EQ(0, cspchan_unlink(name));
	close(ch2);
	close(ch);
}

/*
 * SPEC 2: a failed create leaves nothing behind.  With the descriptor
 * table full, an O_EXCL create of a named channel fails with EMFILE and
 * leaves no name (the same create succeeds once a descriptor is free) and
 * no channel.  Regression: the name was published before the descriptor
 * was allocated, and stayed.
 */
TEST(failed_create_leaves_no_name)
{
	char name[CSPCHAN_NAME_MAX];
	pid_t pid;

	REQUIRE_CSPCHAN();
	unique_name(name, "emfile");
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct cspchan_features f;
		struct rlimit rl = { 64, 64 };
		int before, last = -1, fd, ch;

		/* The library's control descriptor first, then fill the table. */
		CHILD_ASSERT(cspchan_features(&f) == 0);
		CHILD_ASSERT(setrlimit(RLIMIT_NOFILE, &rl) == 0);
		before = proc_count();
		while ((fd = dup(0)) >= 0)
			last = fd;
		CHILD_ASSERT(errno == EMFILE && last >= 1);

		CHILD_ASSERT(chan_named(name, 4, 16, 0600, 0) == -EMFILE);
		CHILD_ASSERT(chan_new(4, 16) == -EMFILE);
		/* Two free descriptors: one to count, one to create. */
		close(last);
		close(last - 1);
		CHILD_ASSERT(proc_count() == before);
		CHILD_ASSERT(cspchan_open(name, O_RDWR) == -ENOENT);
		ch = chan_named(name, 4, 16, 0600, 0);
		CHILD_ASSERT(ch >= 0);
		CHILD_ASSERT(proc_count() == before + 1);
		CHILD_ASSERT(cspchan_unlink(name) == 0);
		_exit(0);
	}
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	cspchan_unlink(name);
}

TEST_HARNESS_MAIN
