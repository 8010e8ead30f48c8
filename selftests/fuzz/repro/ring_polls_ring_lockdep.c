// SPDX-License-Identifier: GPL-2.0
/*
 * Reproduction of the lockdep report "possible recursive locking detected"
 * on &ctx->cq_wait that the 600 s fuzz of make check-debug hit on 6.1,
 * without cspchan: ring B (DEFER_TASKRUN) has a poll armed on ring A's
 * descriptor and B's owner sleeps in io_uring_enter().  A completion posted
 * on ring A wakes A's CQ wait queue; B's poll wake-up, called with A's
 * wait-queue lock held, queues local task work on B and wakes B's CQ wait
 * queue: two locks of one lock class, nested.  Deterministic on a lockdep
 * kernel; the report is in the kernel log, this program exits 0 either way.
 * Usage: ring_polls_ring_lockdep
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <liburing.h>

static struct io_uring ring_a;

/* After B's owner is asleep, post a completion on ring A (a NOP). */
static void *post_on_a(void *arg)
{
	struct io_uring_sqe *sqe;

	(void)arg;
	usleep(200 * 1000);
	sqe = io_uring_get_sqe(&ring_a);
	io_uring_prep_nop(sqe);
	io_uring_submit(&ring_a);
	return NULL;
}

int main(void)
{
	struct io_uring_params pb = { .flags = IORING_SETUP_DEFER_TASKRUN |
					       IORING_SETUP_SINGLE_ISSUER };
	struct __kernel_timespec ts = { 2, 0 };
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring_b;
	pthread_t thr;
	int ret;

	if (io_uring_queue_init(8, &ring_a, 0) || io_uring_queue_init_params(8, &ring_b, &pb)) {
		fprintf(stderr, "io_uring_queue_init failed\n");
		return 2;
	}
	sqe = io_uring_get_sqe(&ring_b);
	io_uring_prep_poll_add(sqe, ring_a.ring_fd, POLLIN);
	sqe->user_data = 1;
	io_uring_submit(&ring_b);
	pthread_create(&thr, NULL, post_on_a, NULL);
	ret = io_uring_wait_cqe_timeout(&ring_b, &cqe, &ts);
	printf("ring B: %s (res %d)\n", ret ? "no completion" : "poll completed",
	       ret ? ret : cqe->res);
	pthread_join(thr, NULL);
	return 0;
}
