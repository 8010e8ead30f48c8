// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 3.10, introspection: the figures cspchan_stat reports, and the
 * system-wide text view /proc/cspchan (one line per channel of the
 * caller's IPC namespace, with the same figures).
 */
#include "common.h"

static void expect_counts(struct __test_metadata *_metadata, int ch, unsigned int depth,
			  uint64_t sent, uint64_t received, unsigned int high_water)
{
	struct cspchan_stat st;

	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(depth, st.depth);
	EXPECT_EQ(sent, st.sent);
	EXPECT_EQ(received, st.received);
	EXPECT_EQ(high_water, st.high_water);
}

TEST(stat_counts_messages)
{
	struct cspchan_stat st;
	char buf[64];
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(4, 32);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(4U, st.capacity);
	EXPECT_EQ(32U, st.msg_size);
	EXPECT_EQ(0U, st.senders_waiting);
	EXPECT_EQ(0U, st.receivers_waiting);
	EXPECT_EQ(0, st.shut);
	expect_counts(_metadata, ch, 0, 0, 0, 0);

	ASSERT_EQ(1, send_str(ch, "1"));
	ASSERT_EQ(1, send_str(ch, "2"));
	ASSERT_EQ(1, send_str(ch, "3"));
	ASSERT_EQ(1, recv_str(ch, buf, sizeof(buf)));
	expect_counts(_metadata, ch, 2, 3, 1, 3);

	ASSERT_EQ(1, send_str(ch, "4"));
	expect_counts(_metadata, ch, 3, 4, 1, 3);
	ASSERT_EQ(1, send_str(ch, "5"));
	expect_counts(_metadata, ch, 4, 5, 1, 4);

	while (chan_get(ch, STAT_DEPTH) > 0)
		ASSERT_EQ(1, recv_str(ch, buf, sizeof(buf)));
	expect_counts(_metadata, ch, 0, 5, 5, 4);

	/* Failed calls count nothing. */
	EXPECT_EQ(-EMSGSIZE, cspchan_send(ch, buf, 33));
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(ch, buf, sizeof(buf), 0));
	expect_counts(_metadata, ch, 0, 5, 5, 4);

	ASSERT_EQ(0, cspchan_shutdown(ch));
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(1, st.shut);
	close(ch);
}

TEST(stat_counts_waiters)
{
	pid_t pids[2];
	unsigned int i;
	char buf[8];
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(1, 8);
	ASSERT_LE(0, ch);
	for (i = 0; i < 2; i++) {
		pids[i] = fork_child();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0)
			_exit(cspchan_recv(ch, buf, sizeof(buf)) == 1 ? 0 : 1);
		ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, i + 1));
	}
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(1, send_str(ch, "r"));
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, child_wait(pids[i], WAIT_MS));
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));

	ASSERT_EQ(1, send_str(ch, "f"));
	for (i = 0; i < 2; i++) {
		pids[i] = fork_child();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0)
			_exit(send_str(ch, "s") == 1 ? 0 : 1);
		ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, i + 1));
	}
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(1, recv_str(ch, buf, sizeof(buf)));
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, child_wait(pids[i], WAIT_MS));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	close(ch);
}

TEST(unbuffered_depth_always_zero)
{
	char buf[8];
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(0, 8);
	ASSERT_LE(0, ch);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(send_str(ch, "a") == 1);
		CHILD_ASSERT(send_str(ch, "b") == 1);
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	ASSERT_EQ(1, recv_str(ch, buf, sizeof(buf)));
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	ASSERT_EQ(1, recv_str(ch, buf, sizeof(buf)));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	expect_counts(_metadata, ch, 0, 2, 2, 0);
	close(ch);
}

TEST(stat_describes_named_channel)
{
	char name[CSPCHAN_NAME_MAX];
	struct cspchan_stat st;
	int a, b;

	REQUIRE_CSPCHAN();
	umask(0);
	unique_name(name, "statname");
	a = chan_named(name, 5, 77, 0640, CSPCHAN_AUTOCLOSE);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, cspchan_stat(a, &st));
	EXPECT_STREQ(name, st.name);
	EXPECT_EQ(0640U, st.mode);
	EXPECT_EQ(5U, st.capacity);
	EXPECT_EQ(77U, st.msg_size);
	EXPECT_EQ(1, st.autoclose);

	/* Ids are distinct per channel. */
	b = chan_new(1, 8);
	ASSERT_LE(0, b);
	EXPECT_NE(st.id, chan_id(b));
	EXPECT_EQ(0, cspchan_unlink(name));
	close(a);
	close(b);
}

/* The /proc/cspchan line carries the same figures as cspchan_stat. */
static void expect_proc_matches(struct __test_metadata *_metadata, int ch, const char *name)
{
	struct cspchan_stat st;
	struct proc_chan pc;
	bool seen;

	ASSERT_EQ(0, cspchan_stat(ch, &st));
	ASSERT_LE(1, proc_scan(st.id, &pc, &seen));
	ASSERT_TRUE(seen) TH_LOG("channel %" PRIu64 " not in %s", st.id, PROC_CSPCHAN);
	EXPECT_STREQ(name, pc.name);
	EXPECT_EQ(st.capacity, pc.capacity);
	EXPECT_EQ(st.msg_size, pc.msg_size);
	EXPECT_EQ(st.depth, pc.depth);
	EXPECT_EQ(st.senders_waiting, pc.senders_waiting);
	EXPECT_EQ(st.receivers_waiting, pc.receivers_waiting);
	EXPECT_EQ((unsigned int)st.shut, pc.shut);
	EXPECT_EQ(st.sent, pc.sent);
	EXPECT_EQ(st.received, pc.received);
	EXPECT_EQ(st.high_water, pc.high_water);
	EXPECT_EQ(st.leased, pc.leased);
	EXPECT_EQ(st.redelivered, pc.redelivered);
	EXPECT_EQ(st.dead, pc.dead);
	EXPECT_EQ(st.rate, pc.rate);
	EXPECT_EQ(st.burst, pc.burst);
	EXPECT_EQ(st.throttled_ns, pc.throttled_ns);
}

TEST(proc_view_matches_stat)
{
	char name[CSPCHAN_NAME_MAX], buf[8];
	pid_t pid;
	int anon, named;

	REQUIRE_CSPCHAN();
	anon = chan_new(3, 8);
	ASSERT_LE(0, anon);
	unique_name(name, "proc");
	named = chan_named(name, 2, 16, 0600, 0);
	ASSERT_LE(0, named);

	ASSERT_EQ(1, send_str(anon, "a"));
	ASSERT_EQ(1, send_str(anon, "b"));
	ASSERT_EQ(1, send_str(anon, "c"));
	ASSERT_EQ(1, recv_str(anon, buf, sizeof(buf)));
	expect_proc_matches(_metadata, anon, "-");
	expect_proc_matches(_metadata, named, name);
	EXPECT_EQ(2U, chan_get(anon, STAT_DEPTH));

	/* With a blocked receiver, and shut down. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(cspchan_recv(named, buf, sizeof(buf)) == 0 ? 0 : 1);
	ASSERT_EQ(0, wait_stat(named, STAT_RECEIVERS_WAITING, 1));
	expect_proc_matches(_metadata, named, name);
	ASSERT_EQ(0, cspchan_shutdown(named));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	expect_proc_matches(_metadata, named, name);

	EXPECT_EQ(0, cspchan_unlink(name));
	close(named);
	close(anon);
}

TEST(proc_view_has_header_and_follows_lifetime)
{
	char *line = NULL;
	size_t cap = 0;
	uint64_t id;
	int before, ch;
	FILE *f;

	REQUIRE_CSPCHAN();
	f = fopen(PROC_CSPCHAN, "r");
	ASSERT_NE(NULL, f);
	ASSERT_LT(0, getline(&line, &cap, f));
	/* The header names the columns: its first word is not a number. */
	EXPECT_TRUE(line[0] < '0' || line[0] > '9') TH_LOG("header: %s", line);
	/* Columns are only ever appended (docs/procfs.md). */
	EXPECT_EQ(0, strncmp(line, PROC_HEADER "\n", strlen(PROC_HEADER) + 1))
		TH_LOG("header: %s", line);
	free(line);
	fclose(f);

	before = proc_count();
	ASSERT_LE(0, before);
	ch = chan_new(1, 8);
	ASSERT_LE(0, ch);
	id = chan_id(ch);
	EXPECT_EQ(before + 1, proc_count());
	EXPECT_TRUE(proc_has(id));
	close(ch);
	EXPECT_EQ(before, proc_count());
	EXPECT_FALSE(proc_has(id));
}

/*
 * A channel created in another IPC namespace is not listed, in either
 * direction.  The child keeps its channels open until the parent looked.
 */
TEST(proc_view_is_per_ipc_namespace)
{
	uint64_t *ids;	/* [0] anonymous, [1] named: the child's; [2] the parent's */
	char name[CSPCHAN_NAME_MAX];
	int go[2], ready[2];
	int ch;
	pid_t pid;
	char c;

	REQUIRE_CSPCHAN();
	REQUIRE_ROOT();
	ids = shared_alloc(3 * sizeof(*ids));
	ASSERT_NE(NULL, ids);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	unique_name(name, "procns");
	ch = chan_new(1, 8);
	ASSERT_LE(0, ch);
	ids[2] = chan_id(ch);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int anon, named;

		close(ch);
		CHILD_ASSERT(unshare(CLONE_NEWIPC) == 0);
		anon = chan_new(1, 8);
		named = chan_named(name, 1, 8, 0600, 0);
		CHILD_ASSERT(anon >= 0 && named >= 0);
		ids[0] = chan_id(anon);
		ids[1] = chan_id(named);
		/* The child sees its own channels, not the parent's. */
		CHILD_ASSERT(proc_has(ids[0]));
		CHILD_ASSERT(proc_has(ids[1]));
		CHILD_ASSERT(!proc_has(ids[2]));
		CHILD_ASSERT(proc_count() == 2);
		CHILD_ASSERT(write(ready[1], "r", 1) == 1);
		CHILD_ASSERT(read(go[0], &c, 1) == 1);
		CHILD_ASSERT(cspchan_unlink(name) == 0);
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	EXPECT_FALSE(proc_has(ids[0]));
	EXPECT_FALSE(proc_has(ids[1]));
	EXPECT_TRUE(proc_has(ids[2]));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	close(ch);
}

TEST_HARNESS_MAIN
