// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 3.4, sizes: EMSGSIZE for a message longer than msg_size and for a
 * receive buffer shorter than the next message (which stays queued),
 * EINVAL for zero-length messages, so that a read of 0 means end of stream.
 */
#include "common.h"

TEST(send_longer_than_msg_size_emsgsize)
{
	struct cspchan_stat st;
	char buf[64];
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(4, 16);
	ASSERT_LE(0, ch);
	memset(buf, 'x', sizeof(buf));

	EXPECT_EQ(-EMSGSIZE, cspchan_send(ch, buf, 17));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-1, write(ch, buf, 17));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-EMSGSIZE, cspchan_send(ch, buf, sizeof(buf)));
	EXPECT_EQ(-EMSGSIZE, cspchan_send_timeout(ch, buf, 17, 0));
	EXPECT_EQ(-EMSGSIZE, cspchan_send_timeout(ch, buf, 17, -1));

	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(0U, st.depth);
	EXPECT_EQ(0U, st.sent);
	EXPECT_EQ(0U, st.high_water);

	/* Exactly msg_size is fine. */
	EXPECT_EQ(16, cspchan_send(ch, buf, 16));
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	close(ch);
}

/* Even on a full channel the size is refused at once rather than waited on. */
TEST(oversized_send_on_full_channel_does_not_block)
{
	char buf[32];
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(1, 8);
	ASSERT_LE(0, ch);
	ASSERT_EQ(1, send_str(ch, "f"));
	memset(buf, 'y', sizeof(buf));
	EXPECT_EQ(-EMSGSIZE, cspchan_send_timeout(ch, buf, 9, 2000));
	EXPECT_EQ(1U, chan_get(ch, STAT_DEPTH));
	close(ch);
}

TEST(short_receive_buffer_emsgsize_keeps_message)
{
	struct cspchan_msginfo info;
	struct cspchan_stat st;
	char buf[32];
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(4, 32);
	ASSERT_LE(0, ch);
	ASSERT_EQ(10, send_str(ch, "0123456789"));
	ASSERT_EQ(2, send_str(ch, "ab"));

	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(-EMSGSIZE, cspchan_recv(ch, buf, 9));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-1, read(ch, buf, 9));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-1, read(ch, buf, 1));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-EMSGSIZE, cspchan_recv_timeout(ch, buf, 9, 0));
	EXPECT_EQ(-EMSGSIZE, cspchan_recvmsg(ch, buf, 9, &info));
	/* A zero-length read is a buffer shorter than the message too. */
	EXPECT_EQ(-1, read(ch, buf, 0));
	EXPECT_EQ(EMSGSIZE, errno);
	/* Nothing was copied out. */
	EXPECT_EQ(0, buf[0]);

	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(2U, st.depth);
	EXPECT_EQ(0U, st.received);

	/* A large enough buffer gets the same message, then the next one. */
	ASSERT_EQ(10, cspchan_recv(ch, buf, 10));
	EXPECT_EQ(0, memcmp(buf, "0123456789", 10));
	ASSERT_EQ(2, recv_str(ch, buf, sizeof(buf)));
	EXPECT_STREQ("ab", buf);
	close(ch);
}

TEST(zero_length_send_einval)
{
	struct cspchan_stat st;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(4, 16);
	ASSERT_LE(0, ch);
	EXPECT_EQ(-EINVAL, cspchan_send(ch, "", 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(ch, "", 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, cspchan_send_timeout(ch, "", 0, 0));
	ASSERT_EQ(0, cspchan_stat(ch, &st));
	EXPECT_EQ(0U, st.depth);
	EXPECT_EQ(0U, st.sent);
	close(ch);

	/* Also on an unbuffered channel with no receiver: refused, not parked. */
	ch = chan_new(0, 16);
	ASSERT_LE(0, ch);
	EXPECT_EQ(-EINVAL, cspchan_send_timeout(ch, "", 0, 2000));
	EXPECT_EQ(0U, chan_get(ch, STAT_SENDERS_WAITING));
	close(ch);
}

/* read() returns 0 only at end of stream, never for an empty channel. */
TEST(read_zero_only_at_end_of_stream)
{
	char buf[16];
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new_flags(2, 16, 0, O_NONBLOCK);
	ASSERT_LE(0, ch);
	EXPECT_EQ(-1, read(ch, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(1, write(ch, "1", 1));
	EXPECT_EQ(1, read(ch, buf, sizeof(buf)));
	EXPECT_EQ(-1, read(ch, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, cspchan_shutdown(ch));
	EXPECT_EQ(0, read(ch, buf, sizeof(buf)));
	EXPECT_EQ(0, cspchan_recv(ch, buf, sizeof(buf)));
	close(ch);
}

/* Every length from 1 to msg_size keeps its own length. */
TEST(every_length_round_trips)
{
	unsigned char out[100], in[128];
	unsigned int len, i;
	int ch;

	REQUIRE_CSPCHAN();
	ch = chan_new(2, sizeof(out));
	ASSERT_LE(0, ch);
	for (len = 1; len <= sizeof(out); len++) {
		for (i = 0; i < len; i++)
			out[i] = (unsigned char)(len + i);
		ASSERT_EQ((ssize_t)len, cspchan_send(ch, out, len));
		memset(in, 0xee, sizeof(in));
		ASSERT_EQ((ssize_t)len, cspchan_recv(ch, in, sizeof(in)));
		ASSERT_EQ(0, memcmp(in, out, len));
		/* Nothing written past the message. */
		ASSERT_EQ(0xee, in[len]);
	}
	close(ch);
}

/* The largest allowed message, over many pages, arrives whole. */
TEST(max_msg_size_message_whole)
{
	struct cspchan_features f;
	unsigned char *out, *in;
	size_t size, i;
	int ch;

	REQUIRE_CSPCHAN();
	ASSERT_EQ(0, cspchan_features(&f));
	size = f.max_msg_size;
	if (size > f.max_channel_bytes)
		SKIP(return, "max_msg_size %zu exceeds max_channel_bytes", size);
	out = malloc(size + 1);
	in = malloc(size + 1);
	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	for (i = 0; i <= size; i++)
		out[i] = (unsigned char)(i * 7 + i / 4096);

	ch = chan_new(1, size);
	ASSERT_LE(0, ch) TH_LOG("capacity 1, msg_size %zu", size);
	ASSERT_EQ((ssize_t)size, cspchan_send(ch, out, size));
	EXPECT_EQ(-EMSGSIZE, cspchan_recv(ch, in, size - 1));
	ASSERT_EQ((ssize_t)size, cspchan_recv(ch, in, size + 1));
	EXPECT_EQ(0, memcmp(in, out, size));
	EXPECT_EQ(-EMSGSIZE, cspchan_send(ch, out, size + 1));
	close(ch);
	free(out);
	free(in);
}
/*
 * Slots that straddle a page boundary of the arena: the kernel copies a
 * message page by page, for small messages (copied under the channel
 * lock) and large ones (copied outside it) alike.
 */
TEST(messages_across_arena_pages_whole)
{
	/* 190 B: 192 B slots, slot 21 spans 4032..4224; 3000 B: 3008 B slots. */
	const struct { unsigned int capacity, msg_size; } cases[] = {
		{ 24, 190 }, { 4, 3000 },
	};
	unsigned char out[3000], in[3001];
	unsigned int c, m, i;
	int ch;

	REQUIRE_CSPCHAN();
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		unsigned int size = cases[c].msg_size;

		ch = chan_new(cases[c].capacity, size);
		ASSERT_LE(0, ch);
		/* Fill every slot, so that the straddling ones are used. */
		for (m = 0; m < cases[c].capacity; m++) {
			for (i = 0; i < size; i++)
				out[i] = (unsigned char)(m * 31 + i * 7 + i / 251);
			ASSERT_EQ((ssize_t)size, cspchan_send(ch, out, size));
		}
		for (m = 0; m < cases[c].capacity; m++) {
			for (i = 0; i < size; i++)
				out[i] = (unsigned char)(m * 31 + i * 7 + i / 251);
			memset(in, 0xee, sizeof(in));
			ASSERT_EQ((ssize_t)size, cspchan_recv(ch, in, sizeof(in)));
			ASSERT_EQ(0, memcmp(in, out, size)) TH_LOG("msg_size %u, message %u",
								size, m);
			ASSERT_EQ(0xee, in[size]);
		}
		close(ch);
	}
}

TEST_HARNESS_MAIN
