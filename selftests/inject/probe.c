// SPDX-License-Identifier: GPL-2.0
/*
 * probe: one operation of cspchan whose allocation fault injection can
 * make fail; prints its result and exits 0 when it failed with ENOMEM,
 * 1 otherwise (a TAKE, READ or WRITE that parks reports ETIME).  Used by
 * test_inject.sh, which checks that nothing was left behind.
 *
 *   probe create | select | take | read | write
 *
 * take and read go to an empty channel, write to a full one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <liburing.h>
#include <cspchan.h>
#include <cspchan-uring.h>

static int chan(unsigned int capacity)
{
	struct cspchan_attr attr = { .capacity = capacity, .msg_size = 64, .mode = 0600 };

	return cspchan_create(NULL, &attr, 0);
}

/* Submit one SQE for @op on @ch and return its CQE's result. */
static int ring_one(int ch, const char *op)
{
	struct cspchan_slot_info info;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	static char buf[64];
	int res;

	if (io_uring_queue_init(4, &ring, 0))
		return -EIO;
	sqe = io_uring_get_sqe(&ring);
	if (!strcmp(op, "take"))
		cspchan_prep_take(sqe, ch, &info);
	else if (!strcmp(op, "write"))
		io_uring_prep_write(sqe, ch, "probe", 5, 0);
	else
		io_uring_prep_read(sqe, ch, buf, sizeof(buf), 0);
	io_uring_submit(&ring);
	/* No completion within a second: it parked, as it should. */
	if (io_uring_wait_cqe_timeout(&ring, &cqe, &(struct __kernel_timespec){ .tv_sec = 1 }))
		return -ETIME;
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	return res;
}

int main(int argc, char **argv)
{
	struct cspchan_case c;
	char buf[64];
	int ch, ret;

	if (argc != 2) {
		fprintf(stderr, "usage: probe create|select|take|read|write\n");
		return 2;
	}
	if (!strcmp(argv[1], "create")) {
		ret = chan(4);
	} else {
		/* Creating the channel does not take the armed path. */
		ch = chan(4);
		if (ch < 0) {
			fprintf(stderr, "probe: create: %s\n", strerror(-ch));
			return 1;
		}
		if (!strcmp(argv[1], "select")) {
			c = (struct cspchan_case){ .fd = ch, .op = CSPCHAN_RECV,
						   .buf = buf, .len = sizeof(buf) };
			ret = cspchan_select(&c, 1, 100);
		} else {
			while (!strcmp(argv[1], "write") &&
			       cspchan_send_timeout(ch, "full", 4, 0) == 4)
				;	/* until -EAGAIN: the write must park */
			ret = ring_one(ch, argv[1]);
		}
	}
	printf("%s: %d (%s)\n", argv[1], ret, ret < 0 ? strerror(-ret) : "ok");
	return ret == -ENOMEM ? 0 : 1;
}
