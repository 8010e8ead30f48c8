// SPDX-License-Identifier: GPL-2.0
/*
 * Reproduction of the fuzzer's first soft lockup, without cspchan: an
 * IORING_OP_READ on the ring's own descriptor (a DEFER_TASKRUN ring) is
 * poll-armed on the ring's CQ wait queue; a completion posted from an
 * io-wq worker (IOSQE_ASYNC) wakes that queue, the poll's wake-up queues
 * local task work for the same ring and wakes the same queue again:
 * the worker spins on the wait-queue lock it holds.  Racy: it froze the
 * guest in 2 of about 45 runs (once with cspchan not loaded: variant 0
 * does not use it).  Run it in a loop.
 * Usage: ring_selfpoll_lockup [VARIANT]   0: ASYNC NOP, 1: ASYNC cspchan ACQUIRE
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <liburing.h>
#include <linux/cspchan.h>

int main(int argc, char **argv)
{
	struct io_uring_params p = { .flags = IORING_SETUP_DEFER_TASKRUN |
					      IORING_SETUP_SINGLE_ISSUER };
	int variant = argc > 1 ? atoi(argv[1]) : 0;
	struct __kernel_timespec ts = { 1, 0 };
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring r;
	char buf[64];
	int ret;

	if (io_uring_queue_init_params(8, &r, &p)) {
		perror("io_uring_queue_init_params");
		return 2;
	}
	sqe = io_uring_get_sqe(&r);
	io_uring_prep_read(sqe, r.ring_fd, buf, sizeof(buf), 0);
	sqe->user_data = 1;
	io_uring_submit(&r);

	sqe = io_uring_get_sqe(&r);
	if (variant == 1) {
		struct cspchan_create_req req = { .capacity = 4, .msg_size = 64 };
		int ctl = open(CSPCHAN_DEVICE, O_RDWR), ch = ioctl(ctl, CSPCHAN_IOC_CREATE, &req);

		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, ch, NULL, 0, 0);
		sqe->cmd_op = CSPCHAN_URING_ACQUIRE;
	} else {
		io_uring_prep_nop(sqe);
	}
	sqe->flags |= IOSQE_ASYNC;
	sqe->user_data = 2;
	io_uring_submit(&r);
	printf("submitted; waiting\n");
	fflush(stdout);
	while ((ret = io_uring_wait_cqe_timeout(&r, &cqe, &ts)) == 0) {
		printf("completion: ud %llu res %d\n", (unsigned long long)cqe->user_data, cqe->res);
		io_uring_cqe_seen(&r, cqe);
	}
	printf("no more completions (%d); no lockup\n", ret);
	return 0;
}
