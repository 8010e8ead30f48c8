// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Zero-copy consumer: open the channel receive-only, map its arena (which
 * is then read-only), and for every message take its slot, check the
 * record in place and release the slot.  With -u the takes and releases go
 * through io_uring, BATCH takes in flight.
 *
 * Every record carries the index the producer gave it, and the kernel
 * numbers messages in the order they were committed: with one producer
 * the two agree, so each record is checked against its sequence number,
 * and a bitmap proves that every record arrived exactly once.
 */
#include "record.h"

struct consumer {
	int ch;
	struct cspchan_arena arena;
	unsigned char *seen;		/* bitmap of sequence numbers */
	unsigned long long count;	/* records expected */
	unsigned long long records;	/* taken */
	unsigned long long bytes;
	unsigned long long bad;		/* wrong, duplicate or unexpected */
	unsigned long long reordered;	/* io_uring: completions out of seq order */
	uint64_t last_seq;
};

static void consume_one(struct consumer *c, const struct cspchan_slot_info *info)
{
	const void *rec = cspchan_slot_ptr(&c->arena, info->slot);
	uint64_t seq = info->seq;

	c->records++;
	c->bytes += info->len;
	if (c->records > 1 && seq < c->last_seq)
		c->reordered++;
	c->last_seq = seq;

	if (!rec || seq >= c->count || (c->seen[seq / 8] & (1U << (seq % 8))) ||
	    zc_record_check(rec, info->len, seq, c->arena.msg_size)) {
		if (c->bad++ < 5)
			fprintf(stderr, "consumer: bad record: seq %llu, slot %u, len %u\n",
				(unsigned long long)seq, info->slot, info->len);
		return;
	}
	c->seen[seq / 8] |= (unsigned char)(1U << (seq % 8));
}

static int consume_sync(struct consumer *c)
{
	struct cspchan_slot_info info;
	ssize_t n;
	int ret;

	while ((n = cspchan_take(c->ch, &info, -1)) > 0) {
		consume_one(c, &info);
		ret = cspchan_release(c->ch, info.slot);
		if (ret < 0) {
			fprintf(stderr, "consumer: cspchan_release: %s\n", strerror(-ret));
			return -1;
		}
	}
	if (n < 0) {
		fprintf(stderr, "consumer: cspchan_take: %s\n", strerror((int)-n));
		return -1;
	}
	return 0;
}

/* user_data: a take on lane N is N + 1; a release is 0. */
#define UD_RELEASE	0

static int consume_uring(struct consumer *c, unsigned int batch)
{
	struct cspchan_slot_info *lane;
	unsigned int active = batch;	/* lanes that have not seen end of stream */
	unsigned int releasing = 0, i, seen, head;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int ret, failed = 0;

	lane = calloc(batch, sizeof(*lane));
	if (!lane)
		return -1;
	ret = io_uring_queue_init(2 * batch, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "consumer: io_uring_queue_init: %s\n", strerror(-ret));
		free(lane);
		return -1;
	}

	for (i = 0; i < batch; i++) {
		sqe = zc_sqe(&ring);
		cspchan_prep_take(sqe, c->ch, &lane[i]);
		io_uring_sqe_set_data64(sqe, i + 1);
	}

	while (!failed && (active || releasing)) {
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "consumer: io_uring_submit_and_wait: %s\n",
				strerror(-ret));
			failed = 1;
			break;
		}
		seen = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			seen++;
			if (cqe->user_data == UD_RELEASE) {
				releasing--;
				if (cqe->res < 0) {
					fprintf(stderr, "consumer: release: %s\n",
						strerror(-cqe->res));
					failed = 1;
				}
				continue;
			}
			i = (unsigned int)cqe->user_data - 1;
			if (cqe->res < 0) {
				fprintf(stderr, "consumer: take: %s\n", strerror(-cqe->res));
				failed = 1;
				active--;
				continue;
			}
			if (cqe->res == 0) {	/* end of stream: this lane is done */
				active--;
				continue;
			}
			consume_one(c, &lane[i]);
			/* Give the slot back and take again on the same lane. */
			sqe = zc_sqe(&ring);
			cspchan_prep_release(sqe, c->ch, lane[i].slot);
			io_uring_sqe_set_data64(sqe, UD_RELEASE);
			releasing++;
			sqe = zc_sqe(&ring);
			cspchan_prep_take(sqe, c->ch, &lane[i]);
			io_uring_sqe_set_data64(sqe, i + 1);
		}
		io_uring_cq_advance(&ring, seen);
	}
	/*
	 * After a failure, takes may still be parked: they complete with
	 * -ECANCELED when this process exits, so the ring and the lanes are
	 * left alone until then.
	 */
	if (!failed) {
		io_uring_queue_exit(&ring);
		free(lane);
	}
	return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct consumer c = { .ch = -1 };
	struct zc_opts o;
	double t0, t;
	int ret;

	if (zc_parse(argc, argv, &o, "Receive COUNT records in place and check them."))
		return 2;

	c.count = o.count;
	c.seen = calloc(o.count / 8 + 1, 1);
	if (!c.seen)
		return 1;
	c.ch = zc_open(&o);
	if (c.ch < 0) {
		fprintf(stderr, "consumer: cspchan_open %s: %s\n", o.name, strerror(-c.ch));
		return 1;
	}
	/* Receive-only handle: the mapping is read-only. */
	ret = cspchan_arena_map(c.ch, &c.arena, 0);
	if (ret < 0) {
		fprintf(stderr, "consumer: cspchan_arena_map: %s\n", strerror(-ret));
		return 1;
	}

	t0 = zc_now();
	ret = o.uring ? consume_uring(&c, o.batch) : consume_sync(&c);
	t = zc_now() - t0;

	printf("consumer: %llu records, %llu bytes in %.2f s (%.0f records/s), "
	       "%llu bad, %s",
	       c.records, c.bytes, t, t > 0 ? (double)c.records / t : 0.0, c.bad,
	       o.uring ? "io_uring" : "ioctl");
	if (o.uring)
		printf(", %llu completions out of order", c.reordered);
	printf("\n");
	if (c.records != c.count)
		fprintf(stderr, "consumer: expected %llu records\n", c.count);

	cspchan_unlink(o.name);
	cspchan_arena_unmap(&c.arena);
	close(c.ch);
	return ret < 0 || c.bad || c.records != c.count;
}
