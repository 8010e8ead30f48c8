/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the cspchan selftests.
 *
 * Tests synchronise on the channel's own figures (cspchan_stat) rather
 * than on sleeps: "the child is blocked in send" is senders_waiting == 1,
 * polled every millisecond for up to WAIT_MS.  Only checks that something
 * has *not* happened need a settle time (SETTLE_MS).
 *
 * Children never use ASSERT_*: it would longjmp into the harness inside
 * the child.  They check with CHILD_ASSERT, which logs and _exit()s with a
 * non-zero status, and the parent asserts the status with child_wait().
 * Children are forked with fork_child(), which ties their life to the
 * test's, and exit with _exit() so that no stdio buffer is flushed twice.
 *
 * Harness pitfall: ASSERT_*()/EXPECT_*() end in a for-loop that takes the
 * next statement as an optional failure handler (for TH_LOG), so "if (c)
 * EXPECT_EQ(...); else ..." does not compile and a bare { block } after
 * one reads as its handler: brace the if, and avoid bare blocks.
 */
#ifndef CSPCHAN_SELFTEST_COMMON_H
#define CSPCHAN_SELFTEST_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cspchan.h>

/*
 * The harness's own TEST() wrappers and signal handler leave parameters
 * unused, which -Wextra reports at every TEST() of the including file.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"

/* Longest wait for a state the test is sure to reach (TCG guests are slow). */
#define WAIT_MS		5000
/* Time given to something that must *not* happen before checking it has not. */
#define SETTLE_MS	100

#define NOBODY_UID	65534
#define NOBODY_GID	65534

#define PROC_CSPCHAN	"/proc/cspchan"
#define PARAM_DIR	"/sys/module/cspchan/parameters/"

/*
 * Skip the test when the module is not loaded.  SKIP() is given _exit(255)
 * (the harness's "skipped" status) rather than "return": in a fixture's
 * setup a return would still run the test body with the 6.1 harness.
 */
#define REQUIRE_CSPCHAN() do {						\
	if (access(CSPCHAN_DEVICE, F_OK) != 0)				\
		SKIP(_exit(255), "%s absent: cspchan.ko is not loaded",	\
		     CSPCHAN_DEVICE);					\
} while (0)

/*
 * Skip the test when this kernel's module lacks a feature that depends on
 * the kernel (struct cspchan_features.features): the reason is printed.
 */
#define REQUIRE_FEATURE(bit, what) do {					\
	struct cspchan_features rf_;					\
	if (chan_features(&rf_) != 0 || !(rf_.features & (bit)))	\
		SKIP(_exit(255), "this kernel's module lacks %s (%s)",	\
		     what, #bit);					\
} while (0)

#define REQUIRE_ROOT() do {						\
	if (geteuid() != 0)						\
		SKIP(_exit(255), "needs root");				\
} while (0)

/* In a forked child: on failure, say where and exit with status 1. */
#define CHILD_ASSERT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# child %d: %s:%d: %s is false (errno %d: %s)\n", \
			getpid(), __FILE__, __LINE__, #cond, errno,	\
			strerror(errno));				\
		_exit(1);						\
	}								\
} while (0)

/*
 * In a test: @var = @expr, then ASSERT_LE(0, @var): for a call that
 * returns a descriptor, or -errno.
 */
#define ASSERT_FD(var, expr) do {					\
	(var) = (expr);							\
	ASSERT_LE(0, (var));						\
} while (0)

/* The same for a child's pid (fork_child() or a wrapper of it). */
#define ASSERT_FORKED(var, expr)	ASSERT_FD(var, expr)

/* In a test: @var = @expr, then ASSERT_NE(NULL, @var): for an allocation. */
#define ASSERT_ALLOC(var, expr) do {					\
	(var) = (expr);							\
	ASSERT_NE(NULL, (var));						\
} while (0)

static inline void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t ms_since(uint64_t start_ns)
{
	return (now_ns() - start_ns) / 1000000ULL;
}

/* An anonymous channel, opened read-write; -errno on failure. */
static inline int chan_new_flags(unsigned int capacity, unsigned int msg_size,
				 unsigned int flags, int oflags)
{
	struct cspchan_attr attr = {
		.capacity = capacity,
		.msg_size = msg_size,
		.mode = 0600,
		.flags = flags,
	};

	return cspchan_create(NULL, &attr, oflags);
}

static inline int chan_new(unsigned int capacity, unsigned int msg_size)
{
	return chan_new_flags(capacity, msg_size, 0, 0);
}

/* A named channel with O_EXCL; -errno on failure. */
static inline int chan_named(const char *name, unsigned int capacity,
			     unsigned int msg_size, unsigned int mode,
			     unsigned int flags)
{
	struct cspchan_attr attr = {
		.capacity = capacity,
		.msg_size = msg_size,
		.mode = mode,
		.flags = flags,
	};

	return cspchan_create(name, &attr, O_EXCL);
}

/* @attr zeroed, then capacity, msg_size, mode 0600 and flags set. */
static inline void attr_init(struct cspchan_attr *attr, unsigned int capacity,
			     unsigned int msg_size, unsigned int flags)
{
	memset(attr, 0, sizeof(*attr));
	attr->capacity = capacity;
	attr->msg_size = msg_size;
	attr->mode = 0600;
	attr->flags = flags;
}

/*
 * A channel name unique to this test process and call:
 * "kst-<tag>-<pid>-<n>", short enough for any tag under 30 bytes.
 */
static inline const char *unique_name(char buf[CSPCHAN_NAME_MAX], const char *tag)
{
	static unsigned int n;

	snprintf(buf, CSPCHAN_NAME_MAX, "kst-%.30s-%d-%u", tag, (int)getpid(), n++);
	return buf;
}

/*
 * A channel created from @attr under a name unique to @tag (O_EXCL), with
 * @nh more handles of its own in @hs (each its own open file description,
 * so that a child holding leases on one dies with them): returns the
 * creator's handle; the name is unlinked again.  -errno on failure.
 */
static inline int named_handles(const char *tag, const struct cspchan_attr *attr,
				int *hs, unsigned int nh)
{
	char name[CSPCHAN_NAME_MAX];
	unsigned int i;
	int ch, h;

	unique_name(name, tag);
	ch = cspchan_create(name, attr, O_EXCL);
	if (ch < 0)
		return ch;
	for (i = 0; i < nh; i++) {
		h = cspchan_open(name, O_RDWR);
		if (h < 0) {
			while (i-- > 0)
				close(hs[i]);
			cspchan_unlink(name);
			close(ch);
			return h;
		}
		hs[i] = h;
	}
	cspchan_unlink(name);
	return ch;
}

/* Send / receive a NUL-free text message; returns what the library returns. */
static inline ssize_t send_str(int ch, const char *s)
{
	return cspchan_send(ch, s, strlen(s));
}

/*
 * Receive one message into @buf (NUL-terminated, @size includes the NUL)
 * with a timeout: returns the length, 0 at end of stream, or -errno.
 */
static inline ssize_t recv_str_timeout(int ch, char *buf, size_t size, int timeout_ms)
{
	ssize_t n = cspchan_recv_timeout(ch, buf, size - 1, timeout_ms);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static inline ssize_t recv_str(int ch, char *buf, size_t size)
{
	return recv_str_timeout(ch, buf, size, WAIT_MS);
}

/* @c: a receive case on @fd into @buf (@len bytes), the rest zero. */
static inline void recv_case_init(struct cspchan_case *c, int fd, void *buf, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->op = CSPCHAN_RECV;
	c->buf = buf;
	c->len = len;
}

/* write(2)/read(2) in the library's convention (-errno on failure). */
static inline ssize_t sys_send(int ch, const void *buf, size_t len)
{
	ssize_t n = write(ch, buf, len);

	return n < 0 ? -errno : n;
}

static inline ssize_t sys_recv(int ch, void *buf, size_t len)
{
	ssize_t n = read(ch, buf, len);

	return n < 0 ? -errno : n;
}

/* ---- channel figures ---------------------------------------------------- */

enum stat_field {
	STAT_DEPTH,
	STAT_SENDERS_WAITING,
	STAT_RECEIVERS_WAITING,
	STAT_SHUT,
	STAT_SENT,
	STAT_RECEIVED,
};

static const char *const stat_field_names[] = {
	[STAT_DEPTH] = "depth",
	[STAT_SENDERS_WAITING] = "senders_waiting",
	[STAT_RECEIVERS_WAITING] = "receivers_waiting",
	[STAT_SHUT] = "shut",
	[STAT_SENT] = "sent",
	[STAT_RECEIVED] = "received",
};

static inline uint64_t stat_value(const struct cspchan_stat *st, enum stat_field f)
{
	switch (f) {
	case STAT_DEPTH:		return st->depth;
	case STAT_SENDERS_WAITING:	return st->senders_waiting;
	case STAT_RECEIVERS_WAITING:	return st->receivers_waiting;
	case STAT_SHUT:			return (uint64_t)st->shut;
	case STAT_SENT:			return st->sent;
	case STAT_RECEIVED:		return st->received;
	}
	return UINT64_MAX;
}

/* One figure of the channel now, or UINT64_MAX if stat failed. */
static inline uint64_t chan_get(int ch, enum stat_field f)
{
	struct cspchan_stat st;

	if (cspchan_stat(ch, &st) < 0)
		return UINT64_MAX;
	return stat_value(&st, f);
}

/* All the channel's figures now; all ones if stat failed. */
static inline struct cspchan_stat figures(int ch)
{
	struct cspchan_stat st;

	if (cspchan_stat(ch, &st) < 0)
		memset(&st, 0xff, sizeof(st));
	return st;
}

/*
 * Poll the channel's figure every millisecond until it equals @want, for
 * at most @timeout_ms.  Returns 0, or -1 (and logs the last value).
 */
static inline int wait_stat_ms(int ch, enum stat_field f, uint64_t want, int timeout_ms)
{
	uint64_t start = now_ns();
	uint64_t v;

	for (;;) {
		v = chan_get(ch, f);
		if (v == want)
			return 0;
		if (ms_since(start) >= (uint64_t)timeout_ms)
			break;
		msleep(1);
	}
	fprintf(stderr, "# wait_stat: %s is %" PRIu64 ", expected %" PRIu64 " within %d ms\n",
		stat_field_names[f], v, want, timeout_ms);
	return -1;
}

static inline int wait_stat(int ch, enum stat_field f, uint64_t want)
{
	return wait_stat_ms(ch, f, want, WAIT_MS);
}

/* ---- child processes ------------------------------------------------------ */

/*
 * fork() with the stdio buffers flushed, so that nothing is printed twice.
 * The child dies with its parent: a test that stops at a failed ASSERT
 * must not leave children blocked forever (they would hold the runner's
 * output pipe open).
 */
static inline pid_t fork_child(void)
{
	pid_t parent = getpid();
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL))
			_exit(98);
		/* The parent died before prctl(); 0: it is outside our pid namespace. */
		if (getppid() != parent && getppid() != 0)
			_exit(98);
	}
	return pid;
}

static inline int decode_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 256 + WTERMSIG(status);
	return 512;
}

/* True while @pid has not terminated (it is not reaped). */
static inline bool child_running(pid_t pid)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0)
		return false;
	return info.si_pid == 0;
}

/*
 * Reap @pid, waiting at most @timeout_ms: its exit status (0..255), 256 +
 * the signal that killed it, or -1 if it was still running or could not
 * be waited for.  A process still running is left alone (one whose exit
 * hangs in the kernel would not die of another kill either).
 */
static inline int child_reap(pid_t pid, int timeout_ms)
{
	uint64_t start = now_ns();
	int status;
	pid_t r;

	if (pid <= 0)
		return -1;
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return decode_status(status);
		if (r < 0)
			return -1;
		if (ms_since(start) >= (uint64_t)timeout_ms)
			return -1;
		msleep(1);
	}
}

/*
 * child_reap(), but a child still running after @timeout_ms is killed and
 * reaped (and -1 returned).
 */
static inline int child_wait(pid_t pid, int timeout_ms)
{
	int ret = child_reap(pid, timeout_ms), status;

	if (ret != -1 || pid <= 0 || !child_running(pid))
		return ret;
	fprintf(stderr, "# child %d still running after %d ms: killed\n", (int)pid, timeout_ms);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* Kill @pid with SIGKILL and reap it; returns its decoded status. */
static inline int child_kill(pid_t pid)
{
	int status;

	if (pid <= 0)
		return -1;
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return decode_status(status);
}

/* @n pid slots set to -1: no child yet (for kill_running()). */
static inline void pids_none(pid_t *pids, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		pids[i] = -1;
}

/* child_kill() each of the @n children in @pids that is still running (pid > 0). */
static inline void kill_running(const pid_t *pids, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (pids[i] > 0 && child_running(pids[i]))
			child_kill(pids[i]);
}

/*
 * Wait until the shared counter *@p (updated by children with __atomic
 * operations) reaches @want, at most WAIT_MS; returns its last value.
 */
static inline int wait_counter(int *p, int want)
{
	uint64_t start = now_ns();
	int v;

	while ((v = __atomic_load_n(p, __ATOMIC_SEQ_CST)) < want &&
	       ms_since(start) < WAIT_MS)
		msleep(1);
	return v;
}

/*
 * An address no process has mapped, hidden from the compiler (which would
 * otherwise diagnose read(2) into it).
 */
static volatile uintptr_t bad_address = 1;
#define BAD_PTR	((void *)bad_address)

/* Memory shared with forked children; NULL on failure. */
static inline void *shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * Become an unprivileged user: uid 65534 and @gid, no supplementary groups.
 * Changing every uid away from 0 also clears all capabilities.
 */
static inline int become_unprivileged(gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(NOBODY_UID, NOBODY_UID, NOBODY_UID))
		return -1;
	return 0;
}

/* ---- module parameters ------------------------------------------------------- */

static inline int param_read(const char *name, unsigned long *val)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%lu", val) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

static inline int param_write(const char *name, unsigned long val)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	ok = fprintf(f, "%lu\n", val) > 0;
	if (fclose(f))
		ok = 0;
	return ok ? 0 : -1;
}

/* ---- /proc/cspchan ------------------------------------------------------------ */

/* One data line: id name capacity msg_size depth senders_waiting
 * receivers_waiting shut sent received high_water leased redelivered dead
 * rate burst throttled_ns (docs/procfs.md) */
struct proc_chan {
	uint64_t id;
	char name[CSPCHAN_NAME_MAX];
	unsigned int capacity;
	unsigned int msg_size;
	unsigned int depth;
	unsigned int senders_waiting;
	unsigned int receivers_waiting;
	unsigned int shut;
	uint64_t sent;
	uint64_t received;
	unsigned int high_water;
	unsigned int leased;
	uint64_t redelivered;
	uint64_t dead;
	unsigned int rate;
	unsigned int burst;
	uint64_t throttled_ns;
};

#define PROC_HEADER	"id name capacity msg_size depth senders_waiting " \
			"receivers_waiting shut sent received high_water " \
			"leased redelivered dead rate burst throttled_ns"

static inline int proc_parse_line(const char *line, struct proc_chan *pc)
{
	char extra[2];

	return sscanf(line, "%" SCNu64 " %63s %u %u %u %u %u %u %" SCNu64 " %" SCNu64
		      " %u %u %" SCNu64 " %" SCNu64 " %u %u %" SCNu64 " %1s",
		      &pc->id, pc->name, &pc->capacity, &pc->msg_size, &pc->depth,
		      &pc->senders_waiting, &pc->receivers_waiting, &pc->shut,
		      &pc->sent, &pc->received, &pc->high_water, &pc->leased,
		      &pc->redelivered, &pc->dead, &pc->rate, &pc->burst,
		      &pc->throttled_ns, extra) == 17 ? 0 : -1;
}

/*
 * Scan /proc/cspchan.  Returns the number of data lines (or -1 if the file
 * cannot be read or a line is malformed); fills @found and sets *@seen if
 * the line of channel @id is present.
 */
static inline int proc_scan(uint64_t id, struct proc_chan *found, bool *seen)
{
	struct proc_chan pc;
	char *line = NULL;
	size_t cap = 0;
	int lines = 0;
	int ret = 0;
	FILE *f;

	if (seen)
		*seen = false;
	f = fopen(PROC_CSPCHAN, "r");
	if (!f)
		return -1;
	/* The header. */
	if (getline(&line, &cap, f) < 0) {
		ret = -1;
		goto out;
	}
	while (getline(&line, &cap, f) >= 0) {
		if (proc_parse_line(line, &pc)) {
			fprintf(stderr, "# bad %s line: %s", PROC_CSPCHAN, line);
			ret = -1;
			goto out;
		}
		lines++;
		if (pc.id == id && seen) {
			*seen = true;
			if (found)
				*found = pc;
		}
	}
out:
	free(line);
	fclose(f);
	return ret < 0 ? ret : lines;
}

static inline int proc_count(void)
{
	return proc_scan(0, NULL, NULL);
}

static inline bool proc_has(uint64_t id)
{
	bool seen = false;

	return proc_scan(id, NULL, &seen) >= 0 && seen;
}

static inline uint64_t chan_id(int ch)
{
	struct cspchan_stat st;

	if (cspchan_stat(ch, &st) < 0)
		return 0;
	return st.id;
}

/* Number of descriptors this process has open (to check none leaked). */
static inline int open_fd_count(void)
{
	int n = 0;
	int fd;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/* ---- zero-copy slots, through the raw ABI (zerocopy.c, uring.c) ------------ */

/* CSPCHAN_IOC_STAT in full (arena geometry included); 0 or -errno. */
static inline int chan_info(int ch, struct cspchan_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(ch, CSPCHAN_IOC_STAT, info) ? -errno : 0;
}

/* CSPCHAN_IOC_FEATURES on a fresh control-device descriptor; 0 or -errno. */
static inline int chan_features(struct cspchan_features *f)
{
	int fd = open(CSPCHAN_DEVICE, O_RDWR | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	memset(f, 0, sizeof(*f));
	ret = ioctl(fd, CSPCHAN_IOC_FEATURES, f) ? -errno : 0;
	close(fd);
	return ret;
}

/* One slot ioctl: its result (slot, length, 0) or -errno. */
static inline long zc_ioctl(int ch, unsigned long cmd, struct cspchan_slot_req *req)
{
	long r = ioctl(ch, cmd, req);

	return r < 0 ? -errno : r;
}

/* ACQUIRE with a timeout in ns (<0 forever, 0 never block); slot or -errno. */
static inline long zc_acquire(int ch, int64_t timeout_ns, struct cspchan_slot_req *req)
{
	memset(req, 0, sizeof(*req));
	req->timeout_ns = timeout_ns;
	return zc_ioctl(ch, CSPCHAN_IOC_ACQUIRE, req);
}

/* COMMIT @len bytes of @slot; length or -errno. */
static inline long zc_commit_timeout(int ch, uint32_t slot, uint32_t len, int64_t timeout_ns)
{
	struct cspchan_slot_req req;

	memset(&req, 0, sizeof(req));
	req.slot = slot;
	req.len = len;
	req.timeout_ns = timeout_ns;
	return zc_ioctl(ch, CSPCHAN_IOC_COMMIT, &req);
}

static inline long zc_commit(int ch, uint32_t slot, uint32_t len)
{
	return zc_commit_timeout(ch, slot, len, -1);
}

/* TAKE with a timeout in ns; length, 0 at end of stream, or -errno. */
static inline long zc_take(int ch, int64_t timeout_ns, struct cspchan_slot_req *req)
{
	memset(req, 0, sizeof(*req));
	req->timeout_ns = timeout_ns;
	return zc_ioctl(ch, CSPCHAN_IOC_TAKE, req);
}

/* RELEASE @slot; 0 or -errno. */
static inline long zc_release(int ch, uint32_t slot)
{
	struct cspchan_slot_req req;

	memset(&req, 0, sizeof(req));
	req.slot = slot;
	return zc_ioctl(ch, CSPCHAN_IOC_RELEASE, &req);
}

/* mmap the whole arena of @ch (MAP_SHARED, offset 0); NULL on failure. */
static inline void *zc_map(int ch, int prot, const struct cspchan_info *info)
{
	void *p = mmap(NULL, info->arena_size, prot, MAP_SHARED, ch, 0);

	return p == MAP_FAILED ? NULL : p;
}

#define MS_NS(ms)	((int64_t)(ms) * 1000000LL)

#endif /* CSPCHAN_SELFTEST_COMMON_H */
