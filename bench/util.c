// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-bench: helpers — futexes, the message stamp, system limits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

/* Shared (not private) futexes: the words live in MAP_SHARED memory. */
int futex_wait(void *uaddr, uint32_t val, const struct timespec *timeout)
{
	if (syscall(SYS_futex, uaddr, FUTEX_WAIT, val, timeout, NULL, 0) < 0)
		return -errno;
	return 0;
}

int futex_wake(void *uaddr, int n)
{
	long ret = syscall(SYS_futex, uaddr, FUTEX_WAKE, n, NULL, NULL, 0);

	return ret < 0 ? -errno : (int)ret;
}

static uint8_t fill_byte(uint64_t seq)
{
	return (uint8_t)(seq ^ (seq >> 8) ^ 0x5a);
}

/*
 * Sequence number first, its complement last; with touch, every byte in
 * between too (otherwise those bytes are whatever the buffer held, and
 * copy transports send the same pre-filled buffer every time).
 */
void msg_stamp(void *msg, size_t len, uint64_t seq, bool touch)
{
	uint64_t inv = ~seq;
	char *p = msg;

	memcpy(p, &seq, sizeof(seq));
	if (len >= 2 * sizeof(seq)) {
		if (touch)
			memset(p + sizeof(seq), fill_byte(seq), len - 2 * sizeof(seq));
		memcpy(p + len - sizeof(inv), &inv, sizeof(inv));
	}
}

bool msg_check(const void *msg, size_t len, size_t want, uint64_t *seq,
	       bool touch)
{
	const unsigned char *p = msg;
	uint64_t s, inv;
	size_t i;

	if (len != want || len < sizeof(s))
		return false;
	memcpy(&s, p, sizeof(s));
	*seq = s;
	if (len < 2 * sizeof(s))
		return true;
	memcpy(&inv, p + len - sizeof(inv), sizeof(inv));
	if (inv != ~s)
		return false;
	if (touch) {
		/*
		 * Every byte between the stamps, eight at a time, without an
		 * early exit (so that the compiler may vectorize it): reading
		 * the payload as an application would, not byte by byte.
		 */
		uint8_t b = fill_byte(s);
		uint64_t pat = UINT64_C(0x0101010101010101) * b, diff = 0, v;
		size_t end = len - sizeof(inv);

		for (i = sizeof(s); i + sizeof(v) <= end; i += sizeof(v)) {
			memcpy(&v, p + i, sizeof(v));
			diff |= v ^ pat;
		}
		for (; i < end; i++)
			diff |= (uint64_t)(p[i] ^ b);
		return diff == 0;
	}
	return true;
}

long read_sysctl(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int write_sysctl(const char *path, long value, long *old)
{
	char buf[64];
	int fd, len;
	ssize_t n;

	if (old)
		*old = read_sysctl(path);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%ld\n", value);
	n = write(fd, buf, (size_t)len);
	close(fd);
	return n == len ? 0 : -EIO;
}

/*
 * POSIX message queues are limited to msg_max (10) messages of
 * msgsize_max (8 KiB) and RLIMIT_MSGQUEUE (800 KiB) per user by default:
 * raise the three when allowed (root in the guest), so that every
 * transport gets the same depth, and put the sysctls back at exit.
 */
static struct {
	const char *path;
	long old;
	bool changed;
} tuned[] = {
	{ "/proc/sys/fs/mqueue/msg_max", 0, false },
	{ "/proc/sys/fs/mqueue/msgsize_max", 0, false },
	/* 256 by default: the scaling section's memory figure makes 1000. */
	{ "/proc/sys/fs/mqueue/queues_max", 0, false },
};

void bench_tune_system(unsigned int depth, size_t max_msg)
{
	long want[ARRAY_SIZE(tuned)] = { (long)depth, (long)max_msg,
					 2 * SCALE_MEM_COUNT + 64 };
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tuned); i++) {
		long cur = read_sysctl(tuned[i].path);

		if (cur < 0 || cur >= want[i])
			continue;
		if (write_sysctl(tuned[i].path, want[i], &tuned[i].old) == 0)
			tuned[i].changed = true;
	}
	if (setrlimit(RLIMIT_MSGQUEUE, &rl) < 0 &&
	    getrlimit(RLIMIT_MSGQUEUE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_MSGQUEUE, &rl);
	}
}

void bench_restore_system(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tuned); i++) {
		if (tuned[i].changed)
			write_sysctl(tuned[i].path, tuned[i].old, NULL);
		tuned[i].changed = false;
	}
}

/*
 * io-wq worker threads of the calling process: io_uring creates them
 * (named "iou-wrk-TID", threads of the submitting process) when it hands
 * a request to a worker instead of completing it inline or by poll; an
 * idle one lives on for seconds, so counting them at the end of a run
 * tells whether the run needed any.
 */
unsigned int count_iowq_workers(void)
{
	char path[300], comm[32];
	unsigned int n = 0;
	struct dirent *de;
	ssize_t len;
	DIR *d;
	int fd;

	d = opendir("/proc/self/task");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		if (len > 0) {
			comm[len] = '\0';
			n += !strncmp(comm, "iou-wrk", 7);
		}
	}
	closedir(d);
	return n;
}

/*
 * For transports whose descriptors keep message boundaries (fd[1] to
 * send, fd[0] to receive, possibly the same): one write(2) of the whole
 * message, one read(2) of one message, and closing both.
 */
int bchan_write_msg(struct bchan *c, const void *msg, size_t len)
{
	ssize_t n = write(c->fd[1], msg, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

ssize_t bchan_read_msg(struct bchan *c, void *buf, size_t len)
{
	ssize_t n = read(c->fd[0], buf, len);

	return n < 0 ? -errno : n;
}

void bchan_close_fds(struct bchan *c)
{
	if (c->fd[0] >= 0)
		close(c->fd[0]);
	if (c->fd[1] >= 0 && c->fd[1] != c->fd[0])
		close(c->fd[1]);
	c->fd[0] = c->fd[1] = -1;
}
