// SPDX-License-Identifier: GPL-2.0
/*
 * A known workload for the observability tests: two named channels of
 * capacity 8, each carrying COUNT messages from a producer process to a
 * consumer process, at the same time.
 *
 *   "slow"  the consumer sleeps SLOW_US after each message, so the
 *           channel fills up and its producer blocks on nearly every send;
 *   "fast"  the consumer never sleeps and the producer sends only when the
 *           channel is empty, so the producer never blocks and the depth
 *           after a send is at most 1.
 *
 * The consumers check that they got every message, in order.  At the end
 * both names are unlinked and the channels destroyed, and a summary from
 * cspchan_stat() is printed.
 *
 * Usage: workload [-n COUNT] [-s SLOW_US]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cspchan.h>

#define CAPACITY	8
#define MSG_SIZE	64

static unsigned int count = 1000;
static unsigned int slow_us = 1000;

static void sleep_us(unsigned int us)
{
	struct timespec ts = {
		.tv_sec = us / 1000000,
		.tv_nsec = (long)(us % 1000000) * 1000,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void die(const char *who, const char *what, int err)
{
	fprintf(stderr, "workload: %s: %s: %s\n", who, what, strerror(err));
	_exit(1);
}

/* "fast" only: wait until the consumer has taken every message. */
static void wait_empty(const char *name, int ch)
{
	struct cspchan_stat st;

	for (;;) {
		if (cspchan_stat(ch, &st) < 0)
			die(name, "cspchan_stat", errno);
		if (st.depth == 0)
			return;
		sleep_us(20);
	}
}

static void produce(const char *name, int ch, unsigned int lockstep)
{
	char msg[MSG_SIZE];
	unsigned int i;
	int len;

	for (i = 0; i < count; i++) {
		if (lockstep)
			wait_empty(name, ch);
		len = snprintf(msg, sizeof(msg), "%s %u", name, i);
		if (cspchan_send(ch, msg, len) != len)
			die(name, "cspchan_send", errno);
	}
	_exit(0);
}

static void consume(const char *name, int ch, unsigned int pause_us)
{
	char msg[MSG_SIZE + 1], want[MSG_SIZE];
	unsigned int i;
	ssize_t len;

	for (i = 0; i < count; i++) {
		len = cspchan_recv(ch, msg, MSG_SIZE);
		if (len < 0)
			die(name, "cspchan_recv", errno);
		msg[len] = '\0';
		snprintf(want, sizeof(want), "%s %u", name, i);
		if (strcmp(msg, want)) {
			fprintf(stderr, "workload: %s: got \"%s\", want \"%s\"\n",
				name, msg, want);
			_exit(1);
		}
		if (pause_us)
			sleep_us(pause_us);
	}
	_exit(0);
}

static int create(const char *name)
{
	struct cspchan_attr attr = {
		.capacity = CAPACITY,
		.msg_size = MSG_SIZE,
		.mode = 0600,
	};
	int ch;

	/* A channel left behind by an interrupted run. */
	if (cspchan_unlink(name) < 0 && errno != ENOENT)
		die(name, "cspchan_unlink", errno);
	ch = cspchan_create(name, &attr, O_EXCL);
	if (ch < 0)
		die(name, "cspchan_create", errno);
	return ch;
}

static pid_t spawn(void (*fn)(const char *, int, unsigned int),
		   const char *name, int ch, unsigned int arg)
{
	pid_t pid = fork();

	if (pid < 0)
		die(name, "fork", errno);
	if (pid == 0)
		fn(name, ch, arg);
	return pid;
}

static unsigned int parse_count(const char *arg)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || v > 10000000) {
		fprintf(stderr, "workload: bad number '%s'\n", arg);
		exit(2);
	}
	return v;
}

static void report(const char *name, int ch)
{
	struct cspchan_stat st;

	if (cspchan_stat(ch, &st) < 0)
		die(name, "cspchan_stat", errno);
	printf("workload: %s: id %" PRIu64 ", capacity %u: sent %" PRIu64
	       ", received %" PRIu64 ", high water %u\n", name, st.id,
	       st.capacity, st.sent, st.received, st.high_water);
}

int main(int argc, char **argv)
{
	pid_t pids[4];
	struct timespec t0, t1;
	int slow, fast, opt, status, failed = 0;
	unsigned int i;

	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		switch (opt) {
		case 'n':
			count = parse_count(optarg);
			break;
		case 's':
			slow_us = parse_count(optarg);
			break;
		default:
			fprintf(stderr, "Usage: workload [-n COUNT] [-s SLOW_US]\n");
			return 2;
		}
	}

	slow = create("slow");
	fast = create("fast");
	printf("workload: %u messages on \"slow\" (consumer sleeps %u us per "
	       "message) and \"fast\" (lockstep), capacity %d each\n",
	       count, slow_us, CAPACITY);
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pids[0] = spawn(consume, "slow", slow, slow_us);
	pids[1] = spawn(produce, "slow", slow, 0);
	pids[2] = spawn(consume, "fast", fast, 0);
	pids[3] = spawn(produce, "fast", fast, 1);
	for (i = 0; i < 4; i++) {
		if (waitpid(pids[i], &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	report("slow", slow);
	report("fast", fast);
	printf("workload: %s in %.2f s\n", failed ? "FAILED" : "done",
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);

	/* Unlinked and closed: the channels are destroyed. */
	cspchan_unlink("slow");
	cspchan_unlink("fast");
	close(slow);
	close(fast);
	return failed;
}
