// SPDX-License-Identifier: GPL-2.0
/*
 * chanpeer - a test peer on cspchan channels for the bridge tests.
 *
 *   chanpeer create NAME [--capacity N] [--msg-size N] [--mode OCTAL]
 *                        [--lease] [--relay] [--max-deliveries N]
 *                        [--lease-ms MS] [--excl]
 *   chanpeer send NAME COUNT [--size BYTES] [--start I] [--timeout S]
 *                            [--shutdown]
 *   chanpeer recv NAME COUNT [--timeout S] [--by seq|payload] [--start I]
 *                            [--dup-log FILE] [--any-payload] [--nack-every K]
 *   chanpeer stat NAME
 *   chanpeer unlink NAME
 *
 * Message i is "msg-%08u" of i, padded to --size (default 64, at least 12)
 * bytes with a fill pattern derived from i (the payloads of natsctl pub).
 *
 * recv is an ordered consumer: the index of a message is its seq (--by seq,
 * the default) or the number in its payload (--by payload); a message whose
 * index is not above the highest seen so far is dropped: a duplicate when
 * that index was received before, else a reorder (out_of_order).  Every
 * payload is checked against its own number and, with --by seq, that number
 * must equal the seq (unless --any-payload).  Leases are acknowledged.  It
 * stops at COUNT distinct indexes, the time limit (default 120 s) or end of
 * stream, and prints
 *   received N duplicates D lost L out_of_order O bad_payload B
 *   first_seq S last_seq T out_of_range R
 * (first/last_seq: the seq of the first and last message taken, -1 if none;
 * lost: indexes of [start, start+COUNT) never received; out_of_range:
 * accepted messages whose index is outside it).  Exit 0 iff received ==
 * COUNT and lost, out_of_order, bad_payload and out_of_range are 0.
 * --dup-log FILE: one line per dropped message "dup|reorder INDEX seq SEQ
 * deliveries N".
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cspchan.h>

#include "peer_util.h"

#ifndef CSPCHAN_RELAY
#define CSPCHAN_RELAY	(1U << 3)
#endif

const char peer_prog[] = "chanpeer";

const char peer_usage[] =
"Usage: chanpeer create NAME [--capacity N] [--msg-size N] [--mode OCTAL]\n"
"                       [--lease] [--relay] [--max-deliveries N]\n"
"                       [--lease-ms MS] [--excl]\n"
"       chanpeer send NAME COUNT [--size BYTES] [--start I] [--timeout S]\n"
"                       [--shutdown]\n"
"       chanpeer recv NAME COUNT [--timeout S] [--by seq|payload] [--start I]\n"
"                       [--dup-log FILE] [--any-payload] [--nack-every K]\n"
"       chanpeer stat NAME\n"
"       chanpeer unlink NAME\n";

/* ------------------------------------------------------------------ */

static int cmd_create(int argc, char **argv)
{
	struct opt opts[] = {
		{ .name = "--capacity" }, { .name = "--msg-size" },
		{ .name = "--mode" }, { .name = "--lease", .flag = true },
		{ .name = "--relay", .flag = true },
		{ .name = "--max-deliveries" }, { .name = "--lease-ms" },
		{ .name = "--excl", .flag = true }, { 0 } };
	struct cspchan_attr attr;
	char *pos[1];
	uint64_t mode;
	int ch;

	parse_opts(argc, argv, opts, pos, 1);
	memset(&attr, 0, sizeof(attr));
	attr.capacity = opt_uint(&opts[0], 64);
	attr.msg_size = opt_uint(&opts[1], 4096);
	attr.mode = 0666;
	if (opts[2].set) {
		if (!parse_u64(opts[2].val, &mode, 8) || mode > 0777) {
			msg("--mode: bad mode '%s'", opts[2].val);
			usage();
		}
		attr.mode = (unsigned int)mode;
	}
	if (opts[3].set)
		attr.flags |= CSPCHAN_LEASE;
	if (opts[4].set)
		attr.flags |= CSPCHAN_RELAY;
	attr.max_deliveries = opt_uint(&opts[5], 0);
	attr.lease_ms = opt_uint(&opts[6], 0);
	ch = cspchan_create(pos[0], &attr, O_CLOEXEC | (opts[7].set ? O_EXCL : 0));
	if (ch < 0) {
		msg("create %s: %s", pos[0], strerror(-ch));
		return EXIT_FAIL;
	}
	close(ch);
	return 0;
}

static int cmd_send(int argc, char **argv)
{
	struct opt opts[] = {
		{ .name = "--size" }, { .name = "--start" },
		{ .name = "--timeout" }, { .name = "--shutdown", .flag = true },
		{ 0 } };
	char *pos[2];
	uint64_t count, size, start, sent = 0;
	double deadline = 0;
	char *buf;
	int ch, ret = 0;

	parse_opts(argc, argv, opts, pos, 2);
	count = need_u64("COUNT", pos[1]);
	size = opt_payload_size(&opts[0]);
	start = opt_u64(&opts[1], 0);
	if (opts[2].set)
		deadline = now_s() + (double)opt_u64(&opts[2], 0);
	buf = malloc(size);
	if (!buf) {
		msg("out of memory");
		return EXIT_FAIL;
	}
	ch = cspchan_open(pos[0], O_WRONLY);
	if (ch < 0) {
		msg("open %s: %s", pos[0], strerror(-ch));
		free(buf);
		return EXIT_FAIL;
	}
	for (; sent < count; sent++) {
		ssize_t n;

		fill_payload(buf, size, start + sent);
		if (deadline) {
			double left = deadline - now_s();

			if (left <= 0) {
				n = -ETIMEDOUT;
			} else {
				n = cspchan_send_timeout(ch, buf, size,
							 (int)(left * 1000) + 1);
			}
		} else {
			n = cspchan_send(ch, buf, size);
		}
		if (n == -EINTR)
			continue;
		if (n < 0) {
			msg("send %s #%" PRIu64 ": %s", pos[0], start + sent,
			    strerror((int)-n));
			ret = EXIT_FAIL;
			break;
		}
	}
	if (opts[3].set && !ret) {
		int r = cspchan_shutdown(ch);

		if (r < 0) {
			msg("shutdown %s: %s", pos[0], strerror(-r));
			ret = EXIT_FAIL;
		}
	}
	close(ch);
	printf("sent %" PRIu64 "\n", sent);
	fflush(stdout);
	free(buf);
	return ret;
}

static bool bit_test(const uint64_t *map, uint64_t i)
{
	return map[i / 64] & (1ULL << (i % 64));
}

static void bit_set(uint64_t *map, uint64_t i)
{
	map[i / 64] |= 1ULL << (i % 64);
}

static int cmd_recv(int argc, char **argv)
{
	struct opt opts[] = {
		{ .name = "--timeout" }, { .name = "--by" },
		{ .name = "--dup-log" }, { .name = "--start" },
		{ .name = "--any-payload", .flag = true },
		{ .name = "--nack-every" }, { 0 } };
	char *pos[2];
	uint64_t count, start, nack_every, taken = 0;
	uint64_t received = 0, dups = 0, lost = 0, reorder = 0, bad = 0;
	uint64_t out_of_range = 0, highest = 0;
	int64_t first_seq = -1, last_seq = -1;
	bool by_payload = false, any_seen = false, eos = false;
	double timeout, deadline;
	uint64_t *seen;
	FILE *duplog = NULL;
	char *buf, *scratch;
	size_t bufsize;
	struct cspchan_stat st;
	int ch, ret;

	parse_opts(argc, argv, opts, pos, 2);
	count = need_u64("COUNT", pos[1]);
	timeout = (double)opt_u64(&opts[0], 120);
	if (opts[1].set) {
		if (!strcmp(opts[1].val, "payload"))
			by_payload = true;
		else if (strcmp(opts[1].val, "seq")) {
			msg("--by must be seq or payload");
			usage();
		}
	}
	start = opt_u64(&opts[3], 0);
	nack_every = opt_u64(&opts[5], 0);
	if (opts[2].set) {
		duplog = fopen(opts[2].val, "w");
		if (!duplog) {
			msg("%s: %s", opts[2].val, strerror(errno));
			return EXIT_FAIL;
		}
		setvbuf(duplog, NULL, _IOLBF, 0);
	}
	deadline = now_s() + timeout;

	ch = cspchan_open(pos[0], O_RDONLY | O_NONBLOCK);
	if (ch < 0) {
		msg("open %s: %s", pos[0], strerror(-ch));
		return EXIT_FAIL;
	}
	ret = cspchan_stat(ch, &st);
	if (ret < 0) {
		msg("stat %s: %s", pos[0], strerror(-ret));
		close(ch);
		return EXIT_FAIL;
	}
	bufsize = st.msg_size ? st.msg_size : 65536;
	buf = malloc(bufsize);
	scratch = malloc(bufsize);
	seen = calloc(count / 64 + 1, sizeof(*seen));
	if (!buf || !scratch || !seen) {
		msg("out of memory");
		close(ch);
		return EXIT_FAIL;
	}

	while (received < count) {
		struct cspchan_msginfo info;
		uint64_t idx = 0, pidx = 0;
		bool good;
		ssize_t n;
		double left = deadline - now_s();

		if (left <= 0)
			break;
		memset(&info, 0, sizeof(info));
		n = cspchan_recvmsg(ch, buf, bufsize, &info);
		if (n == -EAGAIN) {
			struct pollfd pfd = { .fd = ch, .events = POLLIN };
			int ms = left > 1 ? 1000 : (int)(left * 1000) + 1;

			if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
				msg("poll: %s", strerror(errno));
				break;
			}
			continue;
		}
		if (n == -EINTR)
			continue;
		if (n < 0) {
			msg("recv %s: %s", pos[0], strerror((int)-n));
			break;
		}
		if (n == 0) {
			eos = true;
			break;
		}
		if (info.fd >= 0)
			close(info.fd);
		taken++;
		if (first_seq < 0)
			first_seq = (int64_t)info.seq;
		last_seq = (int64_t)info.seq;

		good = check_payload(buf, (size_t)n, scratch, &pidx);
		if (by_payload) {
			idx = pidx;
		} else {
			idx = info.seq;
			if (good && !opts[4].set && pidx != info.seq)
				good = false;
		}

		if (nack_every && info.lease && taken % nack_every == 0 &&
		    info.deliveries == 1) {
			/* Test aid: give it back once for a redelivery. */
			int r = cspchan_nack(ch, info.lease);

			if (r < 0)
				msg("nack: %s", strerror(-r));
			continue;
		}

		if (!good) {
			bad++;
			if (by_payload) {
				/* Unusable index: counted, not ordered. */
				goto ack;
			}
		}
		if (any_seen && idx <= highest) {
			bool dup = idx >= start && idx - start < count &&
				   bit_test(seen, idx - start);

			if (dup)
				dups++;
			else
				reorder++;
			if (duplog)
				fprintf(duplog, "%s %" PRIu64 " seq %" PRIu64
					" deliveries %u\n",
					dup ? "dup" : "reorder", idx, info.seq,
					info.deliveries);
			goto ack;
		}
		any_seen = true;
		highest = idx;
		if (idx >= start && idx - start < count) {
			bit_set(seen, idx - start);
			received++;
		} else {
			out_of_range++;
		}
ack:
		if (info.lease) {
			int r = cspchan_ack(ch, info.lease);

			if (r < 0)
				msg("ack %s lease %" PRIu64 ": %s", pos[0],
				    info.lease, strerror(-r));
		}
	}
	for (uint64_t i = 0; i < count; i++)
		if (!bit_test(seen, i))
			lost++;
	if (received < count)
		msg("recv %s: stopped at %" PRIu64 " of %" PRIu64 " (%s)",
		    pos[0], received, count,
		    eos ? "end of stream" : "time limit or error");
	printf("received %" PRIu64 " duplicates %" PRIu64 " lost %" PRIu64
	       " out_of_order %" PRIu64 " bad_payload %" PRIu64
	       " first_seq %" PRId64 " last_seq %" PRId64
	       " out_of_range %" PRIu64 "\n",
	       received, dups, lost, reorder, bad, first_seq, last_seq,
	       out_of_range);
	fflush(stdout);
	if (duplog)
		fclose(duplog);
	close(ch);
	free(buf);
	free(scratch);
	free(seen);
	return received == count && !lost && !reorder && !bad && !out_of_range ?
	       0 : EXIT_FAIL;
}

static int cmd_stat(int argc, char **argv)
{
	struct opt opts[] = { { 0 } };
	struct cspchan_stat st;
	char *pos[1];
	int ch, r;

	parse_opts(argc, argv, opts, pos, 1);
	ch = cspchan_open(pos[0], O_RDONLY | O_NONBLOCK);
	if (ch < 0)
		ch = cspchan_open(pos[0], O_WRONLY | O_NONBLOCK);
	if (ch < 0) {
		msg("open %s: %s", pos[0], strerror(-ch));
		return EXIT_FAIL;
	}
	r = cspchan_stat(ch, &st);
	close(ch);
	if (r < 0) {
		msg("stat %s: %s", pos[0], strerror(-r));
		return EXIT_FAIL;
	}
	printf("depth=%u capacity=%u msg_size=%u sent=%" PRIu64
	       " received=%" PRIu64 " leased=%u redelivered=%" PRIu64
	       " dead=%" PRIu64 " high_water=%u senders_waiting=%u"
	       " receivers_waiting=%u shut=%d lease=%d\n",
	       st.depth, st.capacity, st.msg_size, st.sent, st.received,
	       st.leased, st.redelivered, st.dead, st.high_water,
	       st.senders_waiting, st.receivers_waiting, st.shut, st.lease);
	return 0;
}

static int cmd_unlink(int argc, char **argv)
{
	struct opt opts[] = { { 0 } };
	char *pos[1];
	int r;

	parse_opts(argc, argv, opts, pos, 1);
	r = cspchan_unlink(pos[0]);
	if (r < 0) {
		msg("unlink %s: %s", pos[0], strerror(-r));
		return EXIT_FAIL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		usage();
	cmd = argv[1];
	argc -= 2;
	argv += 2;
	if (!strcmp(cmd, "create"))
		return cmd_create(argc, argv);
	if (!strcmp(cmd, "send"))
		return cmd_send(argc, argv);
	if (!strcmp(cmd, "recv"))
		return cmd_recv(argc, argv);
	if (!strcmp(cmd, "stat"))
		return cmd_stat(argc, argv);
	if (!strcmp(cmd, "unlink"))
		return cmd_unlink(argc, argv);
	msg("unknown command '%s'", cmd);
	usage();
}
