// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Zero-copy producer: create the channel, map its arena, and for every
 * record acquire a slot, write the record in place and commit it.  With
 * -u the acquires and commits go through io_uring, BATCH at a time.
 */
#include "record.h"

struct producer {
	int ch;
	struct cspchan_arena arena;
	unsigned long long records;	/* committed */
	unsigned long long bytes;
};

static int produce_sync(struct producer *p, const struct zc_opts *o)
{
	unsigned long long i;
	ssize_t n;
	size_t len;
	int slot;

	for (i = 0; i < o->count; i++) {
		slot = cspchan_acquire(p->ch, -1);
		if (slot < 0) {
			fprintf(stderr, "producer: cspchan_acquire: %s\n", strerror(-slot));
			return -1;
		}
		len = zc_record_fill(cspchan_slot_ptr(&p->arena, (unsigned int)slot),
				     i, p->arena.msg_size);
		n = cspchan_commit(p->ch, (unsigned int)slot, len, -1);
		if (n < 0) {
			fprintf(stderr, "producer: cspchan_commit: %s\n", strerror((int)-n));
			cspchan_release(p->ch, (unsigned int)slot);
			return -1;
		}
		p->records++;
		p->bytes += (unsigned long long)n;
	}
	return 0;
}

enum { UD_ACQUIRE = 1, UD_COMMIT };

/*
 * Keep BATCH records in flight: each is an ACQUIRE, then (once the slot is
 * written) a COMMIT.  Records are numbered when their slot arrives and
 * committed in that order, so the channel's order is the records' order.
 */
static int produce_uring(struct producer *p, const struct zc_opts *o)
{
	unsigned long long requested = 0, next = 0;
	unsigned int inflight = 0, seen;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	unsigned int head;
	int ret, failed = 0;

	ret = io_uring_queue_init(2 * o->batch, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "producer: io_uring_queue_init: %s\n", strerror(-ret));
		return -1;
	}

	while (!failed && (p->records < o->count)) {
		while (requested < o->count && inflight < o->batch) {
			sqe = zc_sqe(&ring);
			cspchan_prep_acquire(sqe, p->ch);
			io_uring_sqe_set_data64(sqe, UD_ACQUIRE);
			requested++;
			inflight++;
		}
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "producer: io_uring_submit_and_wait: %s\n",
				strerror(-ret));
			break;
		}
		seen = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			seen++;
			if (cqe->res < 0) {
				fprintf(stderr, "producer: %s: %s\n",
					cqe->user_data == UD_ACQUIRE ? "acquire" : "commit",
					strerror(-cqe->res));
				failed = 1;
			} else if (cqe->user_data == UD_ACQUIRE) {
				unsigned int slot = (unsigned int)cqe->res;
				size_t len = zc_record_fill(cspchan_slot_ptr(&p->arena, slot),
							    next++, p->arena.msg_size);

				sqe = zc_sqe(&ring);
				cspchan_prep_commit(sqe, p->ch, slot, (unsigned int)len);
				io_uring_sqe_set_data64(sqe, UD_COMMIT);
			} else {
				p->records++;
				p->bytes += (unsigned long long)cqe->res;
				inflight--;
			}
		}
		io_uring_cq_advance(&ring, seen);
	}
	/*
	 * On failure the slots still held go back when the handle is closed;
	 * commands still in flight are answered when we exit.
	 */
	if (!failed)
		io_uring_queue_exit(&ring);
	return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct producer p = { .ch = -1 };
	struct zc_opts o;
	double t0, t;
	int ret;

	if (zc_parse(argc, argv, &o, "Create a channel and send COUNT records in place."))
		return 2;

	p.ch = zc_create(&o);
	if (p.ch < 0) {
		fprintf(stderr, "producer: cspchan_create %s: %s\n", o.name, strerror(-p.ch));
		return 1;
	}
	ret = cspchan_arena_map(p.ch, &p.arena, 0);
	if (ret < 0) {
		fprintf(stderr, "producer: cspchan_arena_map: %s\n", strerror(-ret));
		return 1;
	}

	t0 = zc_now();
	ret = o.uring ? produce_uring(&p, &o) : produce_sync(&p, &o);
	t = zc_now() - t0;

	/* End of stream for the consumer (AUTOCLOSE would also do it). */
	cspchan_shutdown(p.ch);
	printf("producer: %llu records, %llu bytes in %.2f s (%.0f records/s), %s\n",
	       p.records, p.bytes, t, t > 0 ? (double)p.records / t : 0.0,
	       o.uring ? "io_uring" : "ioctl");
	cspchan_arena_unmap(&p.arena);
	close(p.ch);
	return ret < 0 || p.records != o.count;
}
