// SPDX-License-Identifier: GPL-2.0
/*
 * SPEC 8, bad input: every ioctl of the ABI with one bad field at a time
 * (unknown flags and non-zero reserved fields: EINVAL; bad names: EINVAL,
 * ENAMETOOLONG; bad pointers: EFAULT; wrong direction: EBADF; sizes:
 * EMSGSIZE; unknown commands: ENOTTY), each time checking that nothing
 * changed: no channel, no descriptor, no message appeared or vanished.
 */
#include "common.h"

#include <termios.h>

FIXTURE(ctl) {
	int ctl;		/* /dev/cspchan */
	int lines;		/* /proc/cspchan channels before the test */
	int fds;		/* open descriptors before the test */
	char name[CSPCHAN_NAME_MAX];
};

FIXTURE_SETUP(ctl)
{
	REQUIRE_CSPCHAN();
	self->ctl = open(CSPCHAN_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ctl);
	unique_name(self->name, "err");
	/* The library opens its own control descriptor on first use: now. */
	ASSERT_EQ(-ENOENT, cspchan_open(self->name, O_RDWR));
	self->lines = proc_count();
	ASSERT_LE(0, self->lines);
	self->fds = open_fd_count();
}

FIXTURE_TEARDOWN(ctl)
{
	cspchan_unlink(self->name);
	close(self->ctl);
}

/* Nothing was created: no /proc/cspchan line, no descriptor, no name. */
#define EXPECT_NOTHING_CREATED() do {					\
	EXPECT_EQ(self->lines, proc_count());				\
	EXPECT_EQ(self->fds, open_fd_count());				\
	EXPECT_EQ(-ENOENT, cspchan_open(self->name, O_RDWR));		\
} while (0)

/* The ioctl fails with @err. */
#define EXPECT_IOCTL_ERRNO(err, fd, cmd, arg) do {			\
	errno = 0;							\
	EXPECT_EQ(-1, ioctl(fd, cmd, arg));				\
	EXPECT_EQ(err, errno);						\
} while (0)

/* ---- CSPCHAN_IOC_FEATURES ---------------------------------------------------- */

TEST_F(ctl, features_reserved_fields_einval)
{
	struct cspchan_features f;
	unsigned int i;

	memset(&f, 0, sizeof(f));
	ASSERT_EQ(0, ioctl(self->ctl, CSPCHAN_IOC_FEATURES, &f));
	EXPECT_LT(0U, f.max_msg_size);

	memset(&f, 0, sizeof(f));
	f.reserved0 = 1;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_FEATURES, &f);
	for (i = 0; i < ARRAY_SIZE(f.reserved); i++) {
		memset(&f, 0, sizeof(f));
		f.reserved[i] = 1ULL << 63;
		EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_FEATURES, &f);
	}
}

TEST_F(ctl, features_bad_pointer_efault)
{
	EXPECT_IOCTL_ERRNO(EFAULT, self->ctl, CSPCHAN_IOC_FEATURES, BAD_PTR);
	EXPECT_IOCTL_ERRNO(EFAULT, self->ctl, CSPCHAN_IOC_FEATURES, NULL);
}

/* ---- CSPCHAN_IOC_CREATE -------------------------------------------------------- */

static void good_create(FIXTURE_DATA(ctl) *self, struct cspchan_create_req *req)
{
	memset(req, 0, sizeof(*req));
	req->capacity = 2;
	req->msg_size = 16;
	req->mode = 0600;
	req->oflags = O_EXCL;
	strcpy(req->name, self->name);
}

TEST_F(ctl, create_baseline_is_valid)
{
	struct cspchan_create_req req;
	int ch;

	good_create(self, &req);
	ch = ioctl(self->ctl, CSPCHAN_IOC_CREATE, &req);
	ASSERT_LE(0, ch);
	EXPECT_EQ(self->lines + 1, proc_count());
	EXPECT_EQ(0, cspchan_unlink(self->name));
	close(ch);
}

TEST_F(ctl, create_reserved_fields_einval)
{
	struct cspchan_create_req req;
	unsigned int i;

	good_create(self, &req);
	req.reserved0 = 1;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_CREATE, &req);
	EXPECT_NOTHING_CREATED();
	for (i = 0; i < ARRAY_SIZE(req.reserved); i++) {
		good_create(self, &req);
		req.reserved[i] = 1;
		EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_CREATE, &req);
		EXPECT_NOTHING_CREATED();
	}
	/* Pacing needs a buffer. */
	good_create(self, &req);
	req.capacity = 0;
	req.rate = 1;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_CREATE, &req);
	EXPECT_NOTHING_CREATED();
	/* Lease settings without CSPCHAN_LEASE. */
	good_create(self, &req);
	req.max_deliveries = 1;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_CREATE, &req);
	EXPECT_NOTHING_CREATED();
	good_create(self, &req);
	req.lease_ms = 1;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_CREATE, &req);
	EXPECT_NOTHING_CREATED();
	/* Also for an anonymous channel. */
	good_create(self, &req);
	req.name[0] = '\0';
	req.reserved[1] = 1ULL << 40;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_CREATE, &req);
	EXPECT_NOTHING_CREATED();
}

TEST_F(ctl, create_unknown_flags_einval)
{
	static const uint32_t bad_flags[] = { 1U << 15, 1U << 16, 1U << 31 };
	static const uint32_t bad_oflags[] = { O_APPEND, O_CREAT, O_TRUNC, O_WRONLY, O_RDWR,
					       O_DIRECTORY, 1U << 31 };
	struct cspchan_create_req req;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_flags); i++) {
		good_create(self, &req);
		req.flags = bad_flags[i];
		EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_CREATE, &req);
		EXPECT_NOTHING_CREATED();
	}
	for (i = 0; i < ARRAY_SIZE(bad_oflags); i++) {
		good_create(self, &req);
		req.oflags |= bad_oflags[i];
		EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_CREATE, &req);
		EXPECT_NOTHING_CREATED();
	}
}

TEST_F(ctl, create_bad_attributes_einval)
{
	static const uint32_t bad_modes[] = { 01000, 02000, 04000, 0170000, 1U << 31 };
	struct cspchan_create_req req;
	struct cspchan_features f;
	unsigned int i;

	ASSERT_EQ(0, cspchan_features(&f));

	good_create(self, &req);
	req.msg_size = 0;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_CREATE, &req);
	EXPECT_NOTHING_CREATED();

	good_create(self, &req);
	req.msg_size = f.max_msg_size + 1;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_CREATE, &req);
	EXPECT_NOTHING_CREATED();

	good_create(self, &req);
	req.capacity = f.max_capacity + 1;
	req.msg_size = 1;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_CREATE, &req);
	EXPECT_NOTHING_CREATED();

	good_create(self, &req);
	req.capacity = UINT32_MAX;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_CREATE, &req);
	EXPECT_NOTHING_CREATED();

	/* Each within its own limit, together over max_channel_bytes. */
	if ((uint64_t)f.max_capacity * f.max_msg_size > f.max_channel_bytes) {
		good_create(self, &req);
		req.capacity = f.max_capacity;
		req.msg_size = f.max_msg_size;
		EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_CREATE, &req);
		EXPECT_NOTHING_CREATED();
	}

	for (i = 0; i < ARRAY_SIZE(bad_modes); i++) {
		good_create(self, &req);
		req.mode = bad_modes[i];
		EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_CREATE, &req);
		EXPECT_NOTHING_CREATED();
	}
}

TEST_F(ctl, create_bad_names)
{
	static const char *const bad[] = { "a/b", "a b", "\xc3\xa9", "x\x01" };
	struct cspchan_create_req req;
	unsigned int i;

	good_create(self, &req);
	memset(req.name, 'n', sizeof(req.name));
	EXPECT_IOCTL_ERRNO(ENAMETOOLONG, self->ctl, CSPCHAN_IOC_CREATE, &req);
	EXPECT_NOTHING_CREATED();

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		good_create(self, &req);
		strcpy(req.name, bad[i]);
		EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_CREATE, &req);
		EXPECT_NOTHING_CREATED();
	}
}

TEST_F(ctl, create_bad_pointer_efault)
{
	EXPECT_IOCTL_ERRNO(EFAULT, self->ctl, CSPCHAN_IOC_CREATE, BAD_PTR);
	EXPECT_NOTHING_CREATED();
	EXPECT_IOCTL_ERRNO(EFAULT, self->ctl, CSPCHAN_IOC_CREATE, NULL);
	EXPECT_NOTHING_CREATED();
}

/* ---- CSPCHAN_IOC_OPEN and CSPCHAN_IOC_UNLINK -------------------------------------- */

FIXTURE(named) {
	char name[CSPCHAN_NAME_MAX];
	int ctl;
	int ch;
	int fds;
};

FIXTURE_SETUP(named)
{
	REQUIRE_CSPCHAN();
	self->ctl = open(CSPCHAN_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ctl);
	unique_name(self->name, "errname");
	self->ch = chan_named(self->name, 2, 16, 0600, 0);
	ASSERT_LE(0, self->ch);
	self->fds = open_fd_count();
}

FIXTURE_TEARDOWN(named)
{
	cspchan_unlink(self->name);
	close(self->ch);
	close(self->ctl);
}

static void good_name_req(FIXTURE_DATA(named) *self, struct cspchan_name_req *req, int oflags)
{
	memset(req, 0, sizeof(*req));
	req->oflags = oflags;
	strcpy(req->name, self->name);
}

TEST_F(named, open_bad_fields)
{
	static const uint32_t bad_oflags[] = { O_RDWR | O_APPEND, O_RDWR | O_CREAT,
					       O_RDWR | O_EXCL, O_RDONLY | O_TRUNC,
					       O_ACCMODE, 1U << 31 };
	struct cspchan_name_req req;
	unsigned int i;
	int ch;

	good_name_req(self, &req, O_RDWR);
	ch = ioctl(self->ctl, CSPCHAN_IOC_OPEN, &req);
	ASSERT_LE(0, ch);
	close(ch);

	good_name_req(self, &req, O_RDWR);
	req.reserved0 = 1;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_OPEN, &req);
	for (i = 0; i < ARRAY_SIZE(req.reserved); i++) {
		good_name_req(self, &req, O_RDWR);
		req.reserved[i] = 1;
		EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_OPEN, &req);
	}
	for (i = 0; i < ARRAY_SIZE(bad_oflags); i++) {
		good_name_req(self, &req, bad_oflags[i]);
		EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_OPEN, &req);
	}
	good_name_req(self, &req, O_RDWR);
	memset(req.name, 'n', sizeof(req.name));
	EXPECT_IOCTL_ERRNO(ENAMETOOLONG, self->ctl, CSPCHAN_IOC_OPEN, &req);
	good_name_req(self, &req, O_RDWR);
	strcpy(req.name, "a/b");
	EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_OPEN, &req);
	/* Through the raw ABI an empty name opens nothing. */
	good_name_req(self, &req, O_RDWR);
	req.name[0] = '\0';
	EXPECT_EQ(-1, ioctl(self->ctl, CSPCHAN_IOC_OPEN, &req));

	EXPECT_IOCTL_ERRNO(EFAULT, self->ctl, CSPCHAN_IOC_OPEN, BAD_PTR);
	EXPECT_IOCTL_ERRNO(EFAULT, self->ctl, CSPCHAN_IOC_OPEN, NULL);
	EXPECT_EQ(self->fds, open_fd_count());
}

TEST_F(named, unlink_bad_fields_keep_name)
{
	struct cspchan_name_req req;
	unsigned int i;
	int ch;

	good_name_req(self, &req, O_RDWR);
	EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_UNLINK, &req);
	good_name_req(self, &req, O_NONBLOCK);
	EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_UNLINK, &req);
	good_name_req(self, &req, 0);
	req.reserved0 = 1;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_UNLINK, &req);
	for (i = 0; i < ARRAY_SIZE(req.reserved); i++) {
		good_name_req(self, &req, 0);
		req.reserved[i] = 1;
		EXPECT_IOCTL_ERRNO(EINVAL, self->ctl, CSPCHAN_IOC_UNLINK, &req);
	}
	EXPECT_IOCTL_ERRNO(EFAULT, self->ctl, CSPCHAN_IOC_UNLINK, BAD_PTR);

	/* The name is still there ... */
	ch = cspchan_open(self->name, O_RDWR);
	ASSERT_LE(0, ch);
	close(ch);
	/* ... until a good request removes it. */
	good_name_req(self, &req, 0);
	EXPECT_EQ(0, ioctl(self->ctl, CSPCHAN_IOC_UNLINK, &req));
	EXPECT_EQ(-ENOENT, cspchan_open(self->name, O_RDWR));
}

/* ---- CSPCHAN_IOC_SEND / CSPCHAN_IOC_RECV ------------------------------------- */

FIXTURE(xfer) {
	int ch;
	char buf[64];
};

FIXTURE_SETUP(xfer)
{
	REQUIRE_CSPCHAN();
	self->ch = chan_new(4, 16);
	ASSERT_LE(0, self->ch);
	/* One message queued: a receive has something to (not) take. */
	ASSERT_EQ(6, send_str(self->ch, "queued"));
}

FIXTURE_TEARDOWN(xfer)
{
	close(self->ch);
}

static void good_xfer(struct cspchan_xfer *x, void *buf, uint32_t len)
{
	memset(x, 0, sizeof(*x));
	x->buf = (uintptr_t)buf;
	x->len = len;
	x->timeout_ns = 0;
}

/* The channel still holds exactly the one message, with nothing counted. */
#define EXPECT_CHANNEL_UNCHANGED() do {					\
	struct cspchan_stat __st;					\
	ASSERT_EQ(0, cspchan_stat(self->ch, &__st));			\
	EXPECT_EQ(1U, __st.depth);					\
	EXPECT_EQ(1U, __st.sent);					\
	EXPECT_EQ(0U, __st.received);					\
} while (0)

TEST_F(xfer, send_bad_fields)
{
	struct cspchan_xfer x;

	good_xfer(&x, "ok", 2);
	x.flags = 1;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ch, CSPCHAN_IOC_SEND, &x);
	EXPECT_CHANNEL_UNCHANGED();
	good_xfer(&x, "ok", 2);
	x.flags = 1U << 31;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ch, CSPCHAN_IOC_SEND, &x);
	EXPECT_CHANNEL_UNCHANGED();

	good_xfer(&x, "ok", 2);
	x.reserved0 = 1;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ch, CSPCHAN_IOC_SEND, &x);
	EXPECT_CHANNEL_UNCHANGED();
	/* CSPCHAN_XFER_LEASE is for receiving only. */
	good_xfer(&x, "ok", 2);
	x.flags = CSPCHAN_XFER_LEASE;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ch, CSPCHAN_IOC_SEND, &x);
	EXPECT_CHANNEL_UNCHANGED();

	good_xfer(&x, BAD_PTR, 2);
	EXPECT_IOCTL_ERRNO(EFAULT, self->ch, CSPCHAN_IOC_SEND, &x);
	EXPECT_CHANNEL_UNCHANGED();
	good_xfer(&x, "ok", 0);
	EXPECT_IOCTL_ERRNO(EINVAL, self->ch, CSPCHAN_IOC_SEND, &x);
	EXPECT_CHANNEL_UNCHANGED();
	good_xfer(&x, self->buf, 17);
	EXPECT_IOCTL_ERRNO(EMSGSIZE, self->ch, CSPCHAN_IOC_SEND, &x);
	EXPECT_CHANNEL_UNCHANGED();

	EXPECT_IOCTL_ERRNO(EFAULT, self->ch, CSPCHAN_IOC_SEND, BAD_PTR);
	EXPECT_IOCTL_ERRNO(EFAULT, self->ch, CSPCHAN_IOC_SEND, NULL);
	EXPECT_CHANNEL_UNCHANGED();

	/* The good request itself works. */
	good_xfer(&x, "ok", 2);
	EXPECT_EQ(2, ioctl(self->ch, CSPCHAN_IOC_SEND, &x));
	EXPECT_EQ(2U, chan_get(self->ch, STAT_DEPTH));
}

TEST_F(xfer, receive_bad_fields)
{
	struct cspchan_xfer x;

	good_xfer(&x, self->buf, sizeof(self->buf));
	x.flags = 1U << 1;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ch, CSPCHAN_IOC_RECV, &x);
	EXPECT_CHANNEL_UNCHANGED();

	good_xfer(&x, self->buf, sizeof(self->buf));
	x.reserved0 = 1;
	EXPECT_IOCTL_ERRNO(EINVAL, self->ch, CSPCHAN_IOC_RECV, &x);
	EXPECT_CHANNEL_UNCHANGED();

	good_xfer(&x, BAD_PTR, sizeof(self->buf));
	EXPECT_IOCTL_ERRNO(EFAULT, self->ch, CSPCHAN_IOC_RECV, &x);
	EXPECT_CHANNEL_UNCHANGED();
	good_xfer(&x, self->buf, 5);
	EXPECT_IOCTL_ERRNO(EMSGSIZE, self->ch, CSPCHAN_IOC_RECV, &x);
	EXPECT_CHANNEL_UNCHANGED();
	good_xfer(&x, self->buf, 0);
	EXPECT_IOCTL_ERRNO(EMSGSIZE, self->ch, CSPCHAN_IOC_RECV, &x);
	EXPECT_CHANNEL_UNCHANGED();

	EXPECT_IOCTL_ERRNO(EFAULT, self->ch, CSPCHAN_IOC_RECV, BAD_PTR);
	EXPECT_IOCTL_ERRNO(EFAULT, self->ch, CSPCHAN_IOC_RECV, NULL);
	EXPECT_CHANNEL_UNCHANGED();

	/* The good request gets the message and its metadata. */
	good_xfer(&x, self->buf, sizeof(self->buf));
	EXPECT_EQ(6, ioctl(self->ch, CSPCHAN_IOC_RECV, &x));
	EXPECT_EQ(0, memcmp(self->buf, "queued", 6));
	EXPECT_EQ(0U, x.seq);
	EXPECT_EQ((uint32_t)getpid(), x.pid);
	EXPECT_EQ(0U, chan_get(self->ch, STAT_DEPTH));
}

TEST_F(xfer, stat_bad_pointer_efault)
{
	EXPECT_IOCTL_ERRNO(EFAULT, self->ch, CSPCHAN_IOC_STAT, BAD_PTR);
	EXPECT_IOCTL_ERRNO(EFAULT, self->ch, CSPCHAN_IOC_STAT, NULL);
	EXPECT_CHANNEL_UNCHANGED();
}

/* Transfers through handles opened for the other direction: EBADF. */
TEST_F(named, transfer_wrong_direction_ebadf)
{
	struct cspchan_xfer x;
	char buf[16];
	int rx, tx;

	rx = cspchan_open(self->name, O_RDONLY);
	tx = cspchan_open(self->name, O_WRONLY);
	ASSERT_LE(0, rx);
	ASSERT_LE(0, tx);
	ASSERT_EQ(4, send_str(self->ch, "here"));

	good_xfer(&x, "no", 2);
	EXPECT_IOCTL_ERRNO(EBADF, rx, CSPCHAN_IOC_SEND, &x);
	good_xfer(&x, buf, sizeof(buf));
	EXPECT_IOCTL_ERRNO(EBADF, tx, CSPCHAN_IOC_RECV, &x);
	EXPECT_EQ(1U, chan_get(self->ch, STAT_DEPTH));
	EXPECT_EQ(1U, chan_get(self->ch, STAT_SENT));
	EXPECT_EQ(0U, chan_get(self->ch, STAT_RECEIVED));
	close(rx);
	close(tx);
}

/* ---- unknown commands ---------------------------------------------------------- */

TEST_F(ctl, unknown_commands_enotty)
{
	struct cspchan_create_req req;
	char buf[256];
	int ch;

	memset(buf, 0, sizeof(buf));
	/* On the control device. */
	EXPECT_IOCTL_ERRNO(ENOTTY, self->ctl, _IO(CSPCHAN_IOC_MAGIC, 0x7f), NULL);
	EXPECT_IOCTL_ERRNO(ENOTTY, self->ctl, _IOWR(CSPCHAN_IOC_MAGIC, 0x20, struct cspchan_xfer), buf);
	/* A known number with the wrong size is another command. */
	EXPECT_IOCTL_ERRNO(ENOTTY, self->ctl, _IOWR(CSPCHAN_IOC_MAGIC, 0x01, int), buf);
	EXPECT_IOCTL_ERRNO(ENOTTY, self->ctl, _IOR(CSPCHAN_IOC_MAGIC, 0x00, struct cspchan_features), buf);
	EXPECT_IOCTL_ERRNO(ENOTTY, self->ctl, TCGETS, buf);
	/* Channel commands are not control commands. */
	EXPECT_IOCTL_ERRNO(ENOTTY, self->ctl, CSPCHAN_IOC_SHUTDOWN, NULL);
	EXPECT_IOCTL_ERRNO(ENOTTY, self->ctl, CSPCHAN_IOC_STAT, buf);
	EXPECT_NOTHING_CREATED();

	/* On a channel handle. */
	ch = chan_new(1, 8);
	ASSERT_LE(0, ch);
	EXPECT_IOCTL_ERRNO(ENOTTY, ch, _IO(CSPCHAN_IOC_MAGIC, 0x7f), NULL);
	EXPECT_IOCTL_ERRNO(ENOTTY, ch, _IOR(CSPCHAN_IOC_MAGIC, 0x13, int), buf);
	EXPECT_IOCTL_ERRNO(ENOTTY, ch, _IO(CSPCHAN_IOC_MAGIC, 0x13), NULL);
	EXPECT_IOCTL_ERRNO(ENOTTY, ch, TCGETS, buf);
	EXPECT_FALSE(isatty(ch));
	EXPECT_EQ(ENOTTY, errno);
	/* Control commands are not channel commands. */
	memset(&req, 0, sizeof(req));
	req.capacity = 1;
	req.msg_size = 8;
	EXPECT_IOCTL_ERRNO(ENOTTY, ch, CSPCHAN_IOC_CREATE, &req);
	EXPECT_EQ(self->lines + 1, proc_count());
	EXPECT_EQ(0U, chan_get(ch, STAT_DEPTH));
	EXPECT_EQ(0U, chan_get(ch, STAT_SHUT));
	close(ch);
}

TEST_HARNESS_MAIN
