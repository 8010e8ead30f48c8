// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 5, zero-copy, through the raw ABI (mmap + CSPCHAN_IOC_ACQUIRE,
 * _COMMIT, _TAKE, _RELEASE): the arena's mapping rules, acquire with the
 * back-pressure of send, commit, take and release in place, ownership of
 * slots per open file description (and its errors, SPEC 8), reclaim when a
 * holder dies (SPEC 3.11), shutdown, and interoperation with read/write.
 */
#include "common.h"

/* The byte at @k of message @seed: every message has its own contents. */
static inline uint8_t pattern(unsigned int seed, size_t k)
{
	return (uint8_t)(seed * 131u + k * 7u + 1u);
}

static void fill(void *p, size_t len, unsigned int seed)
{
	uint8_t *b = p;
	size_t k;

	for (k = 0; k < len; k++)
		b[k] = pattern(seed, k);
}

/* True if @p holds message @seed's @len bytes. */
static bool check(const void *p, size_t len, unsigned int seed)
{
	const uint8_t *b = p;
	size_t k;

	for (k = 0; k < len; k++)
		if (b[k] != pattern(seed, k))
			return false;
	return true;
}

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* What a child's blocking call returned, and the slot it got. */
struct zc_outcome {
	int done;
	long result;
	struct cspchan_slot_req req;
	int ok;			/* the child's own checks passed */
	int count;		/* messages the child handled */
};

TEST(feature_advertised)
{
	struct cspchan_features f;

	REQUIRE_CSPCHAN();
	ASSERT_EQ(0, chan_features(&f));
	EXPECT_TRUE((f.features & CSPCHAN_FEAT_ZEROCOPY) != 0);
	EXPECT_LE(1U, f.unbuffered_slots);
}

/* Buffered: one slot per unit of capacity; unbuffered: the hand-off slots. */
TEST(arena_geometry)
{
	struct cspchan_features f;
	struct cspchan_info info;
	const unsigned int sizes[] = { 1, 63, 64, 100, 4000, 4096, 5000 };
	unsigned int i;
	int ch;

	REQUIRE_CSPCHAN();
	ASSERT_EQ(0, chan_features(&f));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ch = chan_new(3, sizes[i]);
		ASSERT_LE(0, ch);
		ASSERT_EQ(0, chan_info(ch, &info));
		EXPECT_EQ(3U, info.nr_slots);
		EXPECT_LE(sizes[i], info.slot_size);
		EXPECT_EQ(0U, info.arena_size % page_size());
		EXPECT_LE((uint64_t)info.nr_slots * info.slot_size, info.arena_size);
		close(ch);
	}

	ch = chan_new(0, 100);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	EXPECT_EQ(f.unbuffered_slots, info.nr_slots);
	EXPECT_LE(100U, info.slot_size);
	EXPECT_LE((uint64_t)info.nr_slots * info.slot_size, info.arena_size);
	close(ch);
}

/* ---- mmap rules ------------------------------------------------------------ */

TEST(map_send_capable_handle)
{
	struct cspchan_info info;
	size_t pg = page_size();
	uint8_t *map;
	void *p;
	int ch, h2;
	char name[CSPCHAN_NAME_MAX];

	REQUIRE_CSPCHAN();
	unique_name(name, "zc-map");
	ch = chan_named(name, 4, 100, 0600, 0);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));

	/* Read-write, the whole arena, shared. */
	map = zc_map(ch, PROT_READ | PROT_WRITE, &info);
	ASSERT_NE(NULL, map);
	memset(map, 0xa5, info.arena_size);
	EXPECT_EQ(0xa5, map[info.arena_size - 1]);

	/* A private mapping is refused, read-only or not. */
	p = mmap(NULL, info.arena_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, ch, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, info.arena_size, PROT_READ, MAP_PRIVATE, ch, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);

	/* Longer than the arena. */
	p = mmap(NULL, info.arena_size + pg, PROT_READ, MAP_SHARED, ch, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);

	/* Any offset but 0. */
	p = mmap(NULL, pg, PROT_READ, MAP_SHARED, ch, pg);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);

	/*
	 * Another send-capable handle of the channel maps read-write too, and
	 * sees the same pages.  (O_RDWR: the VFS refuses any mmap of a file
	 * not open for reading, so an O_WRONLY handle cannot be mapped.)
	 */
	h2 = cspchan_open(name, O_RDWR);
	ASSERT_LE(0, h2);
	p = zc_map(h2, PROT_READ | PROT_WRITE, &info);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0xa5, ((uint8_t *)p)[0]);
	((uint8_t *)p)[1] = 0x5a;
	EXPECT_EQ(0x5a, map[1]);

	munmap(p, info.arena_size);
	munmap(map, info.arena_size);
	close(h2);
	close(ch);
	cspchan_unlink(name);
}

TEST(map_receive_only_handle)
{
	struct cspchan_slot_req req;
	struct cspchan_info info;
	char name[CSPCHAN_NAME_MAX];
	uint8_t *map;
	void *p;
	pid_t pid;
	int ch, ro;

	REQUIRE_CSPCHAN();
	unique_name(name, "zc-ro");
	ch = chan_named(name, 4, 100, 0600, 0);
	ASSERT_LE(0, ch);
	ro = cspchan_open(name, O_RDONLY);
	ASSERT_LE(0, ro);
	ASSERT_EQ(0, chan_info(ro, &info));

	p = mmap(NULL, info.arena_size, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	p = mmap(NULL, info.arena_size, PROT_WRITE, MAP_SHARED, ro, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);

	map = zc_map(ro, PROT_READ, &info);
	ASSERT_NE(NULL, map);
	/* It cannot be made writable afterwards. */
	EXPECT_EQ(-1, mprotect(map, info.arena_size, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);

	/* It shows what was sent, in place. */
	ASSERT_EQ(11, send_str(ch, "in-place-ro"));
	ASSERT_EQ(11, zc_take(ro, 0, &req));
	ASSERT_LE(req.offset + 11, info.arena_size);
	EXPECT_EQ(0, memcmp(map + req.offset, "in-place-ro", 11));

	/* A store through it faults. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		((volatile uint8_t *)map)[req.offset] = 'X';
		_exit(0);
	}
	EXPECT_EQ(256 + SIGSEGV, child_wait(pid, WAIT_MS));
	EXPECT_EQ('i', map[req.offset]);
	EXPECT_EQ(0, zc_release(ro, req.slot));

	munmap(map, info.arena_size);
	close(ro);
	close(ch);
	cspchan_unlink(name);
}

/* ---- acquire / commit / take / release ------------------------------------ */

TEST(acquire_commit_then_read)
{
	struct cspchan_msginfo mi;
	struct cspchan_slot_req req;
	struct cspchan_info info;
	uint8_t buf[200], *map;
	long slot;
	int ch, i;

	REQUIRE_CSPCHAN();
	ch = chan_new(4, 200);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	map = zc_map(ch, PROT_READ | PROT_WRITE, &info);
	ASSERT_NE(NULL, map);

	slot = zc_acquire(ch, 0, &req);
	ASSERT_LE(0, slot);
	EXPECT_EQ((uint32_t)slot, req.slot);
	EXPECT_GT(info.nr_slots, req.slot);
	EXPECT_EQ((uint64_t)req.slot * info.slot_size, req.offset);
	ASSERT_LE(req.offset + 200, info.arena_size);
	/* Acquired is not sent: nothing is in the channel yet. */
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENT));

	fill(map + req.offset, 137, 1);
	EXPECT_EQ(137, zc_commit(ch, req.slot, 137));
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(1U, chan_get(ch, STAT_SENT));

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(137, cspchan_recvmsg(ch, buf, sizeof(buf), &mi));
	EXPECT_TRUE(check(buf, 137, 1));
	EXPECT_EQ(0U, mi.seq);
	EXPECT_EQ(getpid(), mi.pid);
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));

	/* A full-size message, then read(2). */
	ASSERT_LE(0, zc_acquire(ch, 0, &req));
	fill(map + req.offset, 200, 2);
	EXPECT_EQ(200, zc_commit(ch, req.slot, 200));
	ASSERT_EQ(200, read(ch, buf, sizeof(buf)));
	EXPECT_TRUE(check(buf, 200, 2));

	/* Every slot is free again: all nr_slots can be acquired. */
	for (i = 0; i < (int)info.nr_slots; i++)
		EXPECT_LE(0, zc_acquire(ch, 0, &req));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));

	munmap(map, info.arena_size);
	close(ch);
}

TEST(write_then_take_in_place)
{
	struct cspchan_slot_req req;
	struct cspchan_info info;
	uint8_t msg[300], *map;
	uint64_t before, after;
	int ch, i;

	REQUIRE_CSPCHAN();
	ch = chan_new(3, 300);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	map = zc_map(ch, PROT_READ, &info);
	ASSERT_NE(NULL, map);

	fill(msg, 300, 7);
	before = now_ns();
	ASSERT_EQ(300, write(ch, msg, 300));
	after = now_ns();
	fill(msg, 5, 8);
	ASSERT_EQ(5, write(ch, msg, 5));

	ASSERT_EQ(300, zc_take(ch, 0, &req));
	EXPECT_EQ(300U, req.len);
	EXPECT_GT(info.nr_slots, req.slot);
	EXPECT_EQ((uint64_t)req.slot * info.slot_size, req.offset);
	ASSERT_LE(req.offset + req.len, info.arena_size);
	EXPECT_TRUE(check(map + req.offset, 300, 7));
	EXPECT_EQ(0U, req.seq);
	EXPECT_EQ((uint32_t)getpid(), req.pid);
	EXPECT_LE(before, req.sent_ns);
	EXPECT_GE(after, req.sent_ns);
	/* Taken is received: it left the channel's order. */
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(1U, chan_get(ch, STAT_RECEIVED));
	EXPECT_EQ(0, zc_release(ch, req.slot));

	ASSERT_EQ(5, zc_take(ch, -1, &req));
	EXPECT_EQ(5U, req.len);
	EXPECT_EQ(1U, req.seq);
	EXPECT_TRUE(check(map + req.offset, 5, 8));
	EXPECT_EQ(0, zc_release(ch, req.slot));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));

	/* Released slots are free: the whole capacity can be acquired. */
	for (i = 0; i < 3; i++)
		EXPECT_LE(0, zc_acquire(ch, 0, &req));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));

	munmap(map, info.arena_size);
	close(ch);
}

/* Copy and zero-copy interleaved on both sides keep one FIFO order. */
TEST(fifo_across_copy_and_zero_copy)
{
	struct cspchan_msginfo mi;
	struct cspchan_slot_req req;
	struct cspchan_info info;
	uint8_t buf[64], *map;
	unsigned int i, n = 24;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(8, 64);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	map = zc_map(ch, PROT_READ | PROT_WRITE, &info);
	ASSERT_NE(NULL, map);

	for (i = 0; i < n; i++) {
		size_t len = 1 + (i * 13) % 64;

		/* Send three, receive three, with every combination of paths. */
		if (i % 2) {
			ASSERT_LE(0, zc_acquire(ch, 0, &req));
			fill(map + req.offset, len, i);
			ASSERT_EQ((long)len, zc_commit(ch, req.slot, len));
		} else {
			fill(buf, len, i);
			ASSERT_EQ((ssize_t)len, write(ch, buf, len));
		}
		if (i % 3 != 2)
			continue;
		for (unsigned int j = i - 2; j <= i; j++) {
			size_t jlen = 1 + (j * 13) % 64;

			if ((j / 3) % 2) {
				ASSERT_EQ((long)jlen, zc_take(ch, 0, &req));
				EXPECT_EQ(j, req.seq);
				EXPECT_TRUE(check(map + req.offset, jlen, j));
				EXPECT_EQ(0, zc_release(ch, req.slot));
			} else {
				ASSERT_EQ((ssize_t)jlen, cspchan_recvmsg(ch, buf, sizeof(buf), &mi));
				EXPECT_EQ(j, mi.seq);
				EXPECT_TRUE(check(buf, jlen, j));
			}
		}
	}
	EXPECT_EQ(n, chan_get(ch, STAT_SENT));
	EXPECT_EQ(n, chan_get(ch, STAT_RECEIVED));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	munmap(map, info.arena_size);
	close(ch);
}

/* ---- back-pressure --------------------------------------------------------- */

TEST(acquire_respects_capacity)
{
	struct cspchan_slot_req req;
	bool seen[3] = { false };
	uint64_t start;
	long slot;
	int ch, i, fl;

	REQUIRE_CSPCHAN();
	ch = chan_new(3, 32);
	ASSERT_LE(0, ch);

	for (i = 0; i < 3; i++) {
		slot = zc_acquire(ch, 0, &req);
		ASSERT_LE(0, slot);
		ASSERT_GT(3, slot);
		EXPECT_FALSE(seen[slot]);
		seen[slot] = true;
	}
	/* No free slot: acquire and send both meet back-pressure. */
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, zc_acquire(ch, MS_NS(50), &req));
	EXPECT_LE(50U, ms_since(start));
	EXPECT_EQ(-EAGAIN, cspchan_send_timeout(ch, "x", 1, 0));
	fl = fcntl(ch, F_GETFL);
	ASSERT_EQ(0, fcntl(ch, F_SETFL, fl | O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, -1, &req));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, MS_NS(1000), &req));
	ASSERT_EQ(0, fcntl(ch, F_SETFL, fl));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENT));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));

	/* One release frees exactly that slot. */
	ASSERT_EQ(0, zc_release(ch, 1));
	EXPECT_EQ(1, zc_acquire(ch, 0, &req));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));
	close(ch);
}

/*
 * A blocked acquire proceeds when a slot is released.  The child uses the
 * descriptor inherited over fork, so it shares the parent's open file
 * description, and with it the ownership of the slot it acquired.
 */
TEST(blocked_acquire_woken_by_release)
{
	struct cspchan_slot_req req;
	struct cspchan_info info;
	struct zc_outcome *out;
	uint8_t buf[32], *map;
	long slot;
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	out = shared_alloc(sizeof(*out));
	ASSERT_NE(NULL, out);
	ch = chan_new(1, 32);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	map = zc_map(ch, PROT_READ | PROT_WRITE, &info);
	ASSERT_NE(NULL, map);
	slot = zc_acquire(ch, 0, &req);
	ASSERT_EQ(0, slot);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		out->result = zc_acquire(ch, -1, &out->req);
		__atomic_store_n(&out->done, 1, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(pid));
	EXPECT_EQ(0, __atomic_load_n(&out->done, __ATOMIC_SEQ_CST));

	ASSERT_EQ(0, zc_release(ch, slot));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(slot, out->result);
	EXPECT_EQ((uint32_t)slot, out->req.slot);
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));

	/* The child has exited, but the slot is the shared handle's. */
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));
	memcpy(map + out->req.offset, "from-child-slot", 15);
	EXPECT_EQ(15, zc_commit(ch, out->req.slot, 15));
	ASSERT_EQ(15, read(ch, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "from-child-slot", 15));
	munmap(map, info.arena_size);
	close(ch);
}

/* A taken slot still counts against the capacity until it is released. */
TEST(taken_slot_holds_capacity)
{
	struct cspchan_slot_req req, taken;
	struct zc_outcome *out;
	char buf[16];
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	out = shared_alloc(sizeof(*out));
	ASSERT_NE(NULL, out);
	ch = chan_new(1, 16);
	ASSERT_LE(0, ch);

	ASSERT_EQ(1, send_str(ch, "a"));
	ASSERT_EQ(1, zc_take(ch, 0, &taken));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(-EAGAIN, cspchan_send_timeout(ch, "b", 1, 0));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		out->result = sys_send(ch, "b", 1);
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(pid));

	EXPECT_EQ(-EAGAIN, zc_take(ch, 0, &req));
	ASSERT_EQ(0, zc_release(ch, taken.slot));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(1, out->result);
	ASSERT_EQ(1, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("b", buf);
	close(ch);
}

TEST(blocked_take_woken_by_commit)
{
	struct cspchan_slot_req req;
	struct cspchan_info info;
	struct zc_outcome *out;
	uint64_t start;
	uint8_t *map;
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	out = shared_alloc(sizeof(*out));
	ASSERT_NE(NULL, out);
	ch = chan_new(2, 512);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	map = zc_map(ch, PROT_READ | PROT_WRITE, &info);
	ASSERT_NE(NULL, map);

	/* Empty: take fails at once, or after its timeout. */
	EXPECT_EQ(-EAGAIN, zc_take(ch, 0, &req));
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, zc_take(ch, MS_NS(50), &req));
	EXPECT_LE(50U, ms_since(start));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct cspchan_info cinfo;
		uint8_t *cmap;

		/* Its own mapping of the arena. */
		CHILD_ASSERT(chan_info(ch, &cinfo) == 0);
		cmap = zc_map(ch, PROT_READ, &cinfo);
		CHILD_ASSERT(cmap != NULL);
		out->result = zc_take(ch, -1, &out->req);
		__atomic_store_n(&out->done, 1, __ATOMIC_SEQ_CST);
		CHILD_ASSERT(out->result == 333);
		CHILD_ASSERT(out->req.offset + 333 <= cinfo.arena_size);
		out->ok = check(cmap + out->req.offset, 333, 42);
		CHILD_ASSERT(zc_release(ch, out->req.slot) == 0);
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 1));
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(pid));
	EXPECT_EQ(0, __atomic_load_n(&out->done, __ATOMIC_SEQ_CST));

	ASSERT_LE(0, zc_acquire(ch, 0, &req));
	fill(map + req.offset, 333, 42);
	/* The taker waits for the commit, not for the acquire. */
	msleep(SETTLE_MS);
	EXPECT_EQ(0, __atomic_load_n(&out->done, __ATOMIC_SEQ_CST));
	EXPECT_EQ(333, zc_commit(ch, req.slot, 333));

	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(333, out->result);
	EXPECT_EQ(req.slot, out->req.slot);
	EXPECT_EQ((uint32_t)getpid(), out->req.pid);
	EXPECT_EQ(0U, out->req.seq);
	EXPECT_TRUE(out->ok);
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVERS_WAITING));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(1U, chan_get(ch, STAT_RECEIVED));
	munmap(map, info.arena_size);
	close(ch);
}

/* ---- unbuffered ----------------------------------------------------------- */

TEST(unbuffered_commit_waits_for_taker)
{
	struct cspchan_slot_req req;
	struct cspchan_info info;
	struct zc_outcome *out;
	uint8_t *map;
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	out = shared_alloc(sizeof(*out));
	ASSERT_NE(NULL, out);
	ch = chan_new(0, 128);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	map = zc_map(ch, PROT_READ | PROT_WRITE, &info);
	ASSERT_NE(NULL, map);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long slot = zc_acquire(ch, 0, &out->req);

		CHILD_ASSERT(slot >= 0);
		fill(map + out->req.offset, 99, 5);
		out->result = zc_commit(ch, out->req.slot, 99);
		__atomic_store_n(&out->done, 1, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));
	msleep(SETTLE_MS);
	EXPECT_TRUE(child_running(pid));
	EXPECT_EQ(0, __atomic_load_n(&out->done, __ATOMIC_SEQ_CST));
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENT));

	ASSERT_EQ(99, zc_take(ch, 0, &req));
	EXPECT_EQ(out->req.slot, req.slot);
	EXPECT_EQ((uint32_t)pid, req.pid);
	EXPECT_TRUE(check(map + req.offset, 99, 5));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(99, out->result);
	EXPECT_EQ(1U, chan_get(ch, STAT_SENT));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	EXPECT_EQ(0, zc_release(ch, req.slot));
	munmap(map, info.arena_size);
	close(ch);
}

/* A commit that finds no taker fails, and the handle keeps its slot. */
TEST(unbuffered_commit_timeout_keeps_slot)
{
	char tmp[8];
	struct cspchan_slot_req req;
	struct cspchan_info info;
	struct zc_outcome *out;
	uint64_t start;
	uint8_t *map;
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	out = shared_alloc(sizeof(*out));
	ASSERT_NE(NULL, out);
	ch = chan_new(0, 64);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	map = zc_map(ch, PROT_READ | PROT_WRITE, &info);
	ASSERT_NE(NULL, map);

	ASSERT_LE(0, zc_acquire(ch, 0, &req));
	memcpy(map + req.offset, "handoff", 7);
	EXPECT_EQ(-EAGAIN, zc_commit_timeout(ch, req.slot, 7, 0));
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, zc_commit_timeout(ch, req.slot, 7, MS_NS(50)));
	EXPECT_LE(50U, ms_since(start));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENT));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(ch, tmp, sizeof(tmp), 0));

	/* Still owned: with a receiver waiting, a non-blocking commit works. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[16] = { 0 };

		out->result = cspchan_recv(ch, buf, sizeof(buf));
		out->ok = out->result == 7 && memcmp(buf, "handoff", 7) == 0;
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_RECEIVERS_WAITING, 1));
	EXPECT_EQ(7, zc_commit_timeout(ch, req.slot, 7, 0));
	ASSERT_EQ(0, child_wait(pid, WAIT_MS));
	EXPECT_EQ(7, out->result);
	EXPECT_TRUE(out->ok);
	/* Sent: the slot is no longer this handle's. */
	EXPECT_EQ(-EPERM, zc_release(ch, req.slot));
	munmap(map, info.arena_size);
	close(ch);
}

/* ---- errors (SPEC 8) ------------------------------------------------------- */

TEST(commit_and_release_errors)
{
	struct cspchan_slot_req req, r;
	struct cspchan_info info;
	uint8_t *map;
	long slot;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(2, 64);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	map = zc_map(ch, PROT_READ | PROT_WRITE, &info);
	ASSERT_NE(NULL, map);

	/* Never acquired. */
	EXPECT_EQ(-EPERM, zc_commit(ch, 0, 1));
	EXPECT_EQ(-EPERM, zc_commit(ch, 1, 1));
	EXPECT_EQ(-EPERM, zc_release(ch, 0));
	/* Out of range. */
	EXPECT_EQ(-EINVAL, zc_commit(ch, info.nr_slots, 1));
	EXPECT_EQ(-EINVAL, zc_commit(ch, UINT32_MAX, 1));
	EXPECT_EQ(-EINVAL, zc_release(ch, info.nr_slots));
	EXPECT_EQ(-EINVAL, zc_release(ch, UINT32_MAX));

	slot = zc_acquire(ch, 0, &req);
	ASSERT_LE(0, slot);
	memcpy(map + req.offset, "payload", 7);
	EXPECT_EQ(-EINVAL, zc_commit(ch, slot, 0));
	EXPECT_EQ(-EMSGSIZE, zc_commit(ch, slot, 65));
	EXPECT_EQ(-EMSGSIZE, zc_commit(ch, slot, UINT32_MAX));
	memset(&r, 0, sizeof(r));
	r.slot = slot;
	r.len = 7;
	r.flags = 1;
	EXPECT_EQ(-EINVAL, zc_ioctl(ch, CSPCHAN_IOC_COMMIT, &r));
	r.flags = 0;
	r.reserved0 = 1;
	EXPECT_EQ(-EINVAL, zc_ioctl(ch, CSPCHAN_IOC_COMMIT, &r));
	r.reserved0 = 0;
	r.reserved = 1;
	EXPECT_EQ(-EINVAL, zc_ioctl(ch, CSPCHAN_IOC_COMMIT, &r));
	r.reserved = 0;
	r.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, zc_ioctl(ch, CSPCHAN_IOC_RELEASE, &r));
	/* The other slot, never acquired, still cannot be committed. */
	EXPECT_EQ(-EPERM, zc_commit(ch, 1 - slot, 7));
	/* Nothing was sent by any of those. */
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENT));

	/* The handle still owns the slot: the valid commit goes through. */
	EXPECT_EQ(7, zc_commit(ch, slot, 7));
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	/* Committed: neither committed again nor released while queued. */
	EXPECT_EQ(-EPERM, zc_commit(ch, slot, 7));
	EXPECT_EQ(-EPERM, zc_release(ch, slot));
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(1U, chan_get(ch, STAT_SENT));

	/* Taken: released, never committed. */
	ASSERT_EQ(7, zc_take(ch, 0, &req));
	EXPECT_EQ((uint32_t)slot, req.slot);
	EXPECT_TRUE(memcmp(map + req.offset, "payload", 7) == 0);
	EXPECT_EQ(-EPERM, zc_commit(ch, req.slot, 7));
	EXPECT_EQ(0, zc_release(ch, req.slot));
	EXPECT_EQ(-EPERM, zc_release(ch, req.slot));
	EXPECT_EQ(1U, chan_get(ch, STAT_SENT));
	EXPECT_EQ(1U, chan_get(ch, STAT_RECEIVED));
	munmap(map, info.arena_size);
	close(ch);
}

TEST(acquire_and_take_bad_requests)
{
	struct cspchan_slot_req r, other, *ro;
	char buf[16];
	int ch, i;

	REQUIRE_CSPCHAN();
	ch = chan_new(2, 16);
	ASSERT_LE(0, ch);

	/* Unknown flags and non-zero reserved fields: nothing acquired. */
	for (i = 0; i < 3; i++) {
		memset(&r, 0, sizeof(r));
		if (i == 0)
			r.flags = 1;
		else if (i == 1)
			r.reserved0 = 1;
		else
			r.reserved = 1;
		EXPECT_EQ(-EINVAL, zc_ioctl(ch, CSPCHAN_IOC_ACQUIRE, &r));
	}
	EXPECT_EQ(-EFAULT, zc_ioctl(ch, CSPCHAN_IOC_ACQUIRE, BAD_PTR));

	ASSERT_EQ(3, send_str(ch, "one"));
	/* Nothing taken by bad requests. */
	for (i = 0; i < 3; i++) {
		memset(&r, 0, sizeof(r));
		if (i == 0)
			r.flags = 2;
		else if (i == 1)
			r.reserved0 = 0xff;
		else
			r.reserved = 0xff;
		EXPECT_EQ(-EINVAL, zc_ioctl(ch, CSPCHAN_IOC_TAKE, &r));
	}
	EXPECT_EQ(-EFAULT, zc_ioctl(ch, CSPCHAN_IOC_TAKE, BAD_PTR));

	/* A request the answer cannot be written to loses no message. */
	ro = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, mprotect(ro, page_size(), PROT_READ));
	EXPECT_EQ(-EFAULT, zc_ioctl(ch, CSPCHAN_IOC_TAKE, ro));
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(ch, STAT_RECEIVED));

	/* Both slots are still there: one message, one free slot. */
	EXPECT_LE(0, zc_acquire(ch, 0, &r));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &other));
	EXPECT_EQ(0, zc_release(ch, r.slot));
	ASSERT_EQ(3, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("one", buf);
	munmap(ro, page_size());
	close(ch);
}

/*
 * An ACQUIRE whose answer cannot be written (a read-only request) holds
 * no slot: the caller would never learn which one.  Regression: the slot
 * stayed held until the handle was closed.
 */
TEST(acquire_unwritable_answer_holds_nothing)
{
	struct cspchan_slot_req r, *ro;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(1, 16);
	ASSERT_LE(0, ch);
	ro = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memset(ro, 0, page_size());
	ASSERT_EQ(0, mprotect(ro, page_size(), PROT_READ));

	EXPECT_EQ(-EFAULT, zc_ioctl(ch, CSPCHAN_IOC_ACQUIRE, ro));
	/* The only slot is still free: a send gets it. */
	EXPECT_LE(0, zc_acquire(ch, 0, &r));
	EXPECT_EQ(0U, r.slot);
	EXPECT_EQ(0, zc_release(ch, r.slot));
	EXPECT_EQ(3, send_str(ch, "one"));
	munmap(ro, page_size());
	close(ch);
}

/*
 * SPEC 5: an O_WRONLY handle cannot map the arena at all (EACCES: mmap
 * needs read access to the file), whatever protection is asked for.
 */
TEST(map_send_only_handle_eacces)
{
	char name[CSPCHAN_NAME_MAX];
	struct cspchan_arena arena;
	int ch, wo;
	void *p;

	REQUIRE_CSPCHAN();
	unique_name(name, "zc-wo");
	ch = chan_named(name, 2, 16, 0600, 0);
	ASSERT_LE(0, ch);
	wo = cspchan_open(name, O_WRONLY);
	ASSERT_LE(0, wo);

	p = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, wo, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	p = mmap(NULL, page_size(), PROT_READ, MAP_SHARED, wo, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	memset(&arena, 0, sizeof(arena));
	EXPECT_EQ(-EACCES, cspchan_arena_map(wo, &arena, 0));
	EXPECT_EQ(-EACCES, cspchan_arena_map(wo, &arena, PROT_READ | PROT_WRITE));
	EXPECT_EQ(NULL, arena.base);
	/* The same channel maps through a handle that can read. */
	EXPECT_EQ(0, cspchan_arena_map(ch, &arena, 0));
	EXPECT_NE(NULL, arena.base);
	EXPECT_EQ(0, cspchan_arena_unmap(&arena));
	close(wo);
	cspchan_unlink(name);
	close(ch);
}

TEST(access_modes)
{
	struct cspchan_slot_req req;
	char name[CSPCHAN_NAME_MAX];
	int ch, ro, wo;

	REQUIRE_CSPCHAN();
	unique_name(name, "zc-modes");
	ch = chan_named(name, 2, 16, 0600, 0);
	ASSERT_LE(0, ch);
	ro = cspchan_open(name, O_RDONLY);
	ASSERT_LE(0, ro);
	wo = cspchan_open(name, O_WRONLY);
	ASSERT_LE(0, wo);

	EXPECT_EQ(-EBADF, zc_acquire(ro, 0, &req));
	EXPECT_EQ(-EBADF, zc_commit(ro, 0, 1));
	EXPECT_EQ(-EBADF, zc_take(wo, 0, &req));
	ASSERT_EQ(2, send_str(ch, "hi"));
	EXPECT_EQ(-EBADF, zc_take(wo, -1, &req));
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));

	/* Each direction works on its own kind of handle. */
	ASSERT_LE(0, zc_acquire(wo, 0, &req));
	/* The receive-only handle does not own the sender's slot... */
	EXPECT_EQ(-EPERM, zc_release(ro, req.slot));
	EXPECT_EQ(2, zc_commit(wo, req.slot, 2));
	ASSERT_EQ(2, zc_take(ro, 0, &req));
	/* ...nor the sender the receiver's. */
	EXPECT_EQ(-EPERM, zc_release(wo, req.slot));
	EXPECT_EQ(0, zc_release(ro, req.slot));
	ASSERT_EQ(2, zc_take(ro, 0, &req));
	EXPECT_EQ(0, zc_release(ro, req.slot));
	EXPECT_EQ(2U, chan_get(ch, STAT_RECEIVED));

	close(wo);
	close(ro);
	close(ch);
	cspchan_unlink(name);
}

/* Ownership belongs to the open file description, not to the process. */
TEST(ownership_per_handle)
{
	struct cspchan_slot_req req;
	char name[CSPCHAN_NAME_MAX];
	int h1, h2, h1dup;
	long slot;

	REQUIRE_CSPCHAN();
	unique_name(name, "zc-own");
	h1 = chan_named(name, 2, 16, 0600, 0);
	ASSERT_LE(0, h1);
	h2 = cspchan_open(name, O_RDWR);
	ASSERT_LE(0, h2);
	h1dup = dup(h1);
	ASSERT_LE(0, h1dup);

	slot = zc_acquire(h1, 0, &req);
	ASSERT_LE(0, slot);
	EXPECT_EQ(-EPERM, zc_commit(h2, slot, 1));
	EXPECT_EQ(-EPERM, zc_release(h2, slot));
	EXPECT_EQ(0U, chan_get(h1, STAT_SENT));
	/* A dup()ed descriptor is the same handle. */
	EXPECT_EQ(1, zc_commit(h1dup, slot, 1));

	ASSERT_EQ(1, zc_take(h2, 0, &req));
	EXPECT_EQ(-EPERM, zc_release(h1, req.slot));
	EXPECT_EQ(-EPERM, zc_release(h1dup, req.slot));
	EXPECT_EQ(0, zc_release(h2, req.slot));

	close(h1dup);
	close(h2);
	close(h1);
	cspchan_unlink(name);
}

/* Closing a handle frees the slots it holds, acquired or taken. */
TEST(close_reclaims_held_slots)
{
	struct cspchan_slot_req req;
	char name[CSPCHAN_NAME_MAX], buf[16];
	int ch, h2, i;

	REQUIRE_CSPCHAN();
	unique_name(name, "zc-close");
	ch = chan_named(name, 4, 16, 0600, 0);
	ASSERT_LE(0, ch);
	h2 = cspchan_open(name, O_RDWR);
	ASSERT_LE(0, h2);

	ASSERT_EQ(2, send_str(ch, "m0"));
	ASSERT_EQ(2, send_str(ch, "m1"));
	ASSERT_LE(0, zc_acquire(h2, 0, &req));
	ASSERT_LE(0, zc_acquire(h2, 0, &req));
	ASSERT_EQ(2, zc_take(h2, 0, &req));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));

	ASSERT_EQ(0, close(h2));
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(2U, chan_get(ch, STAT_SENT));
	EXPECT_EQ(1U, chan_get(ch, STAT_RECEIVED));
	for (i = 0; i < 3; i++)
		EXPECT_LE(0, zc_acquire(ch, 0, &req));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));
	ASSERT_EQ(2, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("m1", buf);
	close(ch);
	cspchan_unlink(name);
}

/*
 * SPEC 3.11: a process killed while holding zero-copy slots (acquired and
 * half written, and taken), through a handle of its own, loses no
 * capacity; a sender blocked behind it proceeds.
 */
TEST(killed_holder_slots_reclaimed)
{
	struct cspchan_slot_req req;
	struct cspchan_info info;
	struct zc_outcome *out, *waiter;
	char name[CSPCHAN_NAME_MAX], buf[16];
	int *ready;
	pid_t holder, blocked;
	int ch, i, got;

	REQUIRE_CSPCHAN();
	out = shared_alloc(sizeof(*out));
	ASSERT_NE(NULL, out);
	waiter = shared_alloc(sizeof(*waiter));
	ASSERT_NE(NULL, waiter);
	ready = &out->count;
	unique_name(name, "zc-kill");
	ch = chan_named(name, 4, 16, 0600, 0);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	ASSERT_EQ(4U, info.nr_slots);
	ASSERT_EQ(2, send_str(ch, "m0"));
	ASSERT_EQ(2, send_str(ch, "m1"));

	holder = fork_child();
	ASSERT_LE(0, holder);
	if (holder == 0) {
		struct cspchan_slot_req r;
		uint8_t *map;
		int h = cspchan_open(name, O_RDWR);

		CHILD_ASSERT(h >= 0);
		map = zc_map(h, PROT_READ | PROT_WRITE, &info);
		CHILD_ASSERT(map != NULL);
		CHILD_ASSERT(zc_acquire(h, 0, &r) >= 0);
		memcpy(map + r.offset, "half", 4);
		CHILD_ASSERT(zc_acquire(h, 0, &r) >= 0);
		CHILD_ASSERT(zc_take(h, 0, &r) == 2);
		CHILD_ASSERT(memcmp(map + r.offset, "m0", 2) == 0);
		__atomic_store_n(ready, 1, __ATOMIC_SEQ_CST);
		for (;;)
			pause();
	}
	ASSERT_EQ(1, wait_counter(ready, 1));
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));
	EXPECT_EQ(-EAGAIN, cspchan_send_timeout(ch, "x", 1, 0));

	/* A sender (sharing the parent's handle) waits for a slot. */
	blocked = fork_child();
	ASSERT_LE(0, blocked);
	if (blocked == 0) {
		waiter->result = zc_acquire(ch, -1, &waiter->req);
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(ch, STAT_SENDERS_WAITING, 1));

	EXPECT_EQ(256 + SIGKILL, child_kill(holder));
	ASSERT_EQ(0, child_wait(blocked, WAIT_MS));
	ASSERT_LE(0, waiter->result);
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));

	/* Consistent figures: m1 queued, m0 was taken (received), 2 sent. */
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(2U, chan_get(ch, STAT_SENT));
	EXPECT_EQ(1U, chan_get(ch, STAT_RECEIVED));
	/* Every other slot is free: 4 - 1 queued - 1 held by the waiter. */
	for (got = 0, i = 0; i < 4; i++)
		if (zc_acquire(ch, 0, &req) >= 0)
			got++;
	EXPECT_EQ(2, got);
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));
	ASSERT_EQ(2, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("m1", buf);
	EXPECT_EQ(-EAGAIN, cspchan_recv_timeout(ch, buf, sizeof(buf), 0));
	close(ch);
	cspchan_unlink(name);
}

/* ---- in place across processes --------------------------------------------- */

#define XP_MSGS		40
#define XP_MSG_SIZE	4000	/* slots are not page-aligned */

static size_t xp_len(unsigned int i)
{
	return 1 + (i * 397u) % XP_MSG_SIZE;
}

/* Acquire, write in place, commit XP_MSGS messages; 0 or the failing step. */
static int xp_produce(int ch, uint8_t *map, const struct cspchan_info *info)
{
	struct cspchan_slot_req req;
	unsigned int i;

	for (i = 0; i < XP_MSGS; i++) {
		size_t len = xp_len(i);

		if (zc_acquire(ch, MS_NS(WAIT_MS), &req) < 0)
			return 1;
		if (req.offset != (uint64_t)req.slot * info->slot_size ||
		    req.offset + XP_MSG_SIZE > info->arena_size)
			return 2;
		fill(map + req.offset, len, i);
		if (zc_commit(ch, req.slot, len) != (long)len)
			return 3;
	}
	return 0;
}

/*
 * Take, check in place, release until end of stream; 0 or the failing
 * step.  *@count: messages checked.
 */
static int xp_consume(int ch, const uint8_t *map, const struct cspchan_info *info,
		      pid_t sender, int *count)
{
	struct cspchan_slot_req req;
	unsigned int i;
	long n;

	for (i = 0; ; i++) {
		n = zc_take(ch, MS_NS(WAIT_MS), &req);
		if (n == 0)
			break;
		if (n < 0 || i >= XP_MSGS)
			return 10;
		if ((size_t)n != xp_len(i) || req.len != n || req.seq != i ||
		    req.pid != (uint32_t)sender)
			return 11;
		if (req.offset != (uint64_t)req.slot * info->slot_size ||
		    req.offset + req.len > info->arena_size)
			return 12;
		if (!check(map + req.offset, req.len, i))
			return 13;
		if (zc_release(ch, req.slot) != 0)
			return 14;
		__atomic_store_n(count, (int)i + 1, __ATOMIC_SEQ_CST);
	}
	return i == XP_MSGS ? 0 : 15;
}

TEST(in_place_parent_to_child)
{
	struct cspchan_info info;
	char name[CSPCHAN_NAME_MAX];
	struct zc_outcome *out;
	uint8_t *map;
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	out = shared_alloc(sizeof(*out));
	ASSERT_NE(NULL, out);
	unique_name(name, "zc-p2c");
	ch = chan_named(name, 3, XP_MSG_SIZE, 0600, 0);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/*
		 * Its own handle and a read-only mapping of it (the mapping of
		 * an O_RDONLY handle is map_receive_only_handle's subject).
		 */
		int h = cspchan_open(name, O_RDWR);
		uint8_t *rmap;

		CHILD_ASSERT(h >= 0);
		rmap = zc_map(h, PROT_READ, &info);
		CHILD_ASSERT(rmap != NULL);
		_exit(xp_consume(h, rmap, &info, getppid(), &out->count));
	}
	map = zc_map(ch, PROT_READ | PROT_WRITE, &info);
	ASSERT_NE(NULL, map);
	EXPECT_EQ(0, xp_produce(ch, map, &info));
	ASSERT_EQ(0, cspchan_shutdown(ch));
	EXPECT_EQ(0, child_wait(pid, WAIT_MS * 2));
	EXPECT_EQ(XP_MSGS, out->count);
	EXPECT_EQ((uint64_t)XP_MSGS, chan_get(ch, STAT_RECEIVED));
	munmap(map, info.arena_size);
	close(ch);
	cspchan_unlink(name);
}

TEST(in_place_child_to_parent)
{
	struct cspchan_info info;
	char name[CSPCHAN_NAME_MAX];
	struct zc_outcome *out;
	uint8_t *map;
	pid_t pid;
	int ch;

	REQUIRE_CSPCHAN();
	out = shared_alloc(sizeof(*out));
	ASSERT_NE(NULL, out);
	unique_name(name, "zc-c2p");
	ch = chan_named(name, 3, XP_MSG_SIZE, 0600, 0);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Its own handle and mapping. */
		int h = cspchan_open(name, O_RDWR);
		uint8_t *wmap;
		int ret;

		CHILD_ASSERT(h >= 0);
		wmap = zc_map(h, PROT_READ | PROT_WRITE, &info);
		CHILD_ASSERT(wmap != NULL);
		ret = xp_produce(h, wmap, &info);
		CHILD_ASSERT(cspchan_shutdown(h) == 0);
		_exit(ret);
	}
	map = zc_map(ch, PROT_READ, &info);
	ASSERT_NE(NULL, map);
	EXPECT_EQ(0, xp_consume(ch, map, &info, pid, &out->count));
	EXPECT_EQ(XP_MSGS, out->count);
	EXPECT_EQ(0, child_wait(pid, WAIT_MS));
	munmap(map, info.arena_size);
	close(ch);
	cspchan_unlink(name);
}

/*
 * The arena holds only payloads: scribbling over all of it changes the
 * bytes of messages in flight, never their lengths, order or ownership.
 */
TEST(arena_scribble_keeps_metadata)
{
	struct cspchan_slot_req req;
	struct cspchan_info info;
	uint8_t buf[128], *map;
	unsigned int i;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(4, 128);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	map = zc_map(ch, PROT_READ | PROT_WRITE, &info);
	ASSERT_NE(NULL, map);

	for (i = 1; i <= 3; i++) {
		fill(buf, i * 10, i);
		ASSERT_EQ((ssize_t)i * 10, write(ch, buf, i * 10));
	}
	memset(map, 0xff, info.arena_size);

	for (i = 1; i <= 2; i++) {
		ASSERT_EQ((long)i * 10, zc_take(ch, 0, &req));
		EXPECT_EQ(i - 1, req.seq);
		EXPECT_EQ(0xff, map[req.offset]);
		EXPECT_EQ(0xff, map[req.offset + i * 10 - 1]);
		EXPECT_EQ(0, zc_release(ch, req.slot));
	}
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(30, read(ch, buf, sizeof(buf)));
	for (i = 0; i < 30; i++)
		EXPECT_EQ(0xff, buf[i]);
	EXPECT_EQ(0, buf[30]);
	for (i = 0; i < 4; i++)
		EXPECT_LE(0, zc_acquire(ch, 0, &req));
	EXPECT_EQ(-EAGAIN, zc_acquire(ch, 0, &req));
	munmap(map, info.arena_size);
	close(ch);
}

/* ---- shutdown (SPEC 3.5) --------------------------------------------------- */

TEST(shutdown_drains_then_ends)
{
	struct cspchan_slot_req req, held;
	struct cspchan_info info;
	uint8_t *map;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(3, 16);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, chan_info(ch, &info));
	map = zc_map(ch, PROT_READ | PROT_WRITE, &info);
	ASSERT_NE(NULL, map);

	ASSERT_EQ(2, send_str(ch, "q0"));
	ASSERT_LE(0, zc_acquire(ch, 0, &held));
	memcpy(map + held.offset, "late", 4);
	ASSERT_EQ(0, cspchan_shutdown(ch));

	EXPECT_EQ(-EPIPE, zc_acquire(ch, 0, &req));
	EXPECT_EQ(-EPIPE, zc_acquire(ch, -1, &req));
	/* The commit fails and the handle keeps the slot. */
	EXPECT_EQ(-EPIPE, zc_commit(ch, held.slot, 4));
	EXPECT_EQ(0, zc_release(ch, held.slot));

	/* Queued messages are drained first, then end of stream at once. */
	ASSERT_EQ(2, zc_take(ch, -1, &req));
	EXPECT_EQ(0, memcmp(map + req.offset, "q0", 2));
	EXPECT_EQ(0, zc_release(ch, req.slot));
	EXPECT_EQ(0, zc_take(ch, -1, &req));
	EXPECT_EQ(0, zc_take(ch, 0, &req));
	EXPECT_EQ(1U, chan_get(ch, STAT_SENT));
	munmap(map, info.arena_size);
	close(ch);
}

TEST(shutdown_wakes_blocked)
{
	struct cspchan_slot_req req;
	struct zc_outcome *out;
	pid_t taker, acquirer, committer;
	int empty, full, unbuf;

	REQUIRE_CSPCHAN();
	out = shared_alloc(3 * sizeof(*out));
	ASSERT_NE(NULL, out);
	empty = chan_new(2, 16);
	ASSERT_LE(0, empty);
	full = chan_new(1, 16);
	ASSERT_LE(0, full);
	unbuf = chan_new(0, 16);
	ASSERT_LE(0, unbuf);
	ASSERT_LE(0, zc_acquire(full, 0, &req));

	taker = fork_child();
	ASSERT_LE(0, taker);
	if (taker == 0) {
		out[0].result = zc_take(empty, -1, &out[0].req);
		_exit(0);
	}
	acquirer = fork_child();
	ASSERT_LE(0, acquirer);
	if (acquirer == 0) {
		out[1].result = zc_acquire(full, -1, &out[1].req);
		_exit(0);
	}
	committer = fork_child();
	ASSERT_LE(0, committer);
	if (committer == 0) {
		CHILD_ASSERT(zc_acquire(unbuf, 0, &out[2].req) >= 0);
		out[2].result = zc_commit(unbuf, out[2].req.slot, 3);
		/* A failed commit leaves the slot with the handle. */
		out[2].ok = zc_release(unbuf, out[2].req.slot) == 0;
		_exit(0);
	}
	ASSERT_EQ(0, wait_stat(empty, STAT_RECEIVERS_WAITING, 1));
	ASSERT_EQ(0, wait_stat(full, STAT_SENDERS_WAITING, 1));
	ASSERT_EQ(0, wait_stat(unbuf, STAT_SENDERS_WAITING, 1));

	ASSERT_EQ(0, cspchan_shutdown(empty));
	ASSERT_EQ(0, cspchan_shutdown(full));
	ASSERT_EQ(0, cspchan_shutdown(unbuf));
	ASSERT_EQ(0, child_wait(taker, WAIT_MS));
	ASSERT_EQ(0, child_wait(acquirer, WAIT_MS));
	ASSERT_EQ(0, child_wait(committer, WAIT_MS));
	EXPECT_EQ(0, out[0].result);
	EXPECT_EQ(-EPIPE, out[1].result);
	EXPECT_EQ(-EPIPE, out[2].result);
	EXPECT_TRUE(out[2].ok);
	EXPECT_EQ(0U, chan_get(unbuf, STAT_SENT));
	EXPECT_EQ(0U, chan_get(unbuf, STAT_SENDERS_WAITING));
	EXPECT_EQ(0, zc_release(full, req.slot));
	close(unbuf);
	close(full);
	close(empty);
}

TEST_HARNESS_MAIN
