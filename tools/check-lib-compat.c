// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * tools/check-lib's symbol-version check, run on the host without the
 * module: this program plays both a program linked against libcspchan
 * 0.1-0.3 (its cspchan_create, cspchan_recvmsg and cspchan_stat are bound
 * to @CSPCHAN_0.1 and take the old, smaller structures) and one linked
 * against 0.4, and it defines ioctl(2) and open(2) itself, so that the
 * library's calls reach a fake module instead of /dev/cspchan.  The fake
 * plays a module with reply channels, then one with leases but older than
 * reply channels (which refuses CSPCHAN_XFER_FD with EINVAL), then one
 * older than leases (which refuses CSPCHAN_XFER_LEASE with EINVAL and
 * CSPCHAN_IOC_STAT's new size with ENOTTY).
 *
 * It checks that the old entry points write nothing past the old
 * structures and never ask for an explicit lease, and that the new ones
 * fill the new fields and fall back on an old module.  One line per check;
 * exit status 1 if one failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cspchan.h>

/* The 0.1-0.3 structures, as an old <cspchan.h> declared them. */
struct old_attr {
	unsigned int capacity, msg_size, mode, flags;
};

struct old_msginfo {
	uint64_t seq;
	pid_t pid;
	uint64_t sent_ns;
};

struct old_stat {
	uint64_t id;
	unsigned int capacity, msg_size, depth, senders_waiting, receivers_waiting;
	int shut, autoclose;
	uint64_t sent, received;
	unsigned int high_water, mode;
	char name[CSPCHAN_NAME_MAX];
};

int old_create(const char *name, const struct old_attr *attr, int oflags);
ssize_t old_recvmsg(int ch, void *buf, size_t len, struct old_msginfo *info);
int old_stat(int ch, struct old_stat *st);
__asm__(".symver old_create,cspchan_create@CSPCHAN_0.1");
__asm__(".symver old_recvmsg,cspchan_recvmsg@CSPCHAN_0.1");
__asm__(".symver old_stat,cspchan_stat@CSPCHAN_0.1");

#define FAKE_CONTROL_FD	1000
#define FAKE_CHANNEL_FD	1001
#define FAKE_REPLY_FD	1002	/* what CSPCHAN_XFER_FD installs */
#define GUARD		0xA5

/* The fake module. */
static bool module_has_leases = true;
static bool module_has_reply = true;
static unsigned long last_request;
static struct cspchan_create_req last_create;
static uint32_t last_xfer_flags;
static unsigned int recv_calls;
static struct cspchan_xfer last_send;
static struct cspchan_lease_req last_lease;
static struct cspchan_deadletter_req last_deadletter;

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	if (strcmp(path, CSPCHAN_DEVICE) == 0)
		return FAKE_CONTROL_FD;
	va_start(ap, flags);
	mode = va_arg(ap, mode_t);
	va_end(ap);
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

static int fake_recv(struct cspchan_xfer *x)
{
	last_xfer_flags = x->flags;
	recv_calls++;
	if (x->flags & ~(uint32_t)CSPCHAN_XFER_RECV_FLAGS ||
	    (x->flags && !module_has_leases) ||
	    ((x->flags & CSPCHAN_XFER_FD) && !module_has_reply)) {
		errno = EINVAL;
		return -1;
	}
	memcpy((void *)(uintptr_t)x->buf, "hello", 5);
	x->seq = 42;
	x->sent_ns = 99;
	x->pid = 1234;
	if (module_has_leases) {
		x->deliveries = 3;
		x->lease = (x->flags & CSPCHAN_XFER_LEASE) ? 77 : 0;
	}
	if (module_has_reply)	/* the message carries a reply channel */
		x->fd = (x->flags & CSPCHAN_XFER_FD) ? FAKE_REPLY_FD : -1;
	return 5;
}

static int fake_send(const struct cspchan_xfer *x)
{
	memcpy(&last_send, x, sizeof(last_send));
	if (x->flags & ~(uint32_t)CSPCHAN_XFER_SEND_FLAGS ||
	    (x->flags && !module_has_reply)) {
		errno = EINVAL;
		return -1;
	}
	return (int)x->len;
}

static void fake_info(struct cspchan_info *info, size_t size)
{
	struct cspchan_info full;

	memset(&full, 0, sizeof(full));
	full.id = 9;
	full.capacity = 4;
	full.msg_size = 64;
	full.depth = 1;
	full.flags = CSPCHAN_INFO_NAMED | (module_has_leases ? CSPCHAN_INFO_LEASE : 0);
	full.sent = 10;
	full.received = 12;
	strcpy(full.name, "jobs");
	/* An older module had reserved fields, zero, where these are. */
	if (module_has_leases) {
		full.leased = 2;
		full.max_deliveries = 5;
		full.redelivered = 3;
		full.dead = 1;
		full.lease_ms = 250;
		full.dead_letter = 11;
	}
	memcpy(info, &full, size);
}

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	last_request = request;

	if (fd == FAKE_CONTROL_FD && request == CSPCHAN_IOC_CREATE) {
		memcpy(&last_create, arg, sizeof(last_create));
		return FAKE_CHANNEL_FD;
	}
	if (fd != FAKE_CHANNEL_FD) {
		errno = ENOTTY;
		return -1;
	}
	switch (request) {
	case CSPCHAN_IOC_RECV:
		return fake_recv(arg);
	case CSPCHAN_IOC_SEND:
		return fake_send(arg);
	case CSPCHAN_IOC_STAT:
		if (!module_has_leases)
			break;
		fake_info(arg, sizeof(struct cspchan_info));
		return 0;
	case CSPCHAN_IOC_STAT_V1:
		fake_info(arg, CSPCHAN_INFO_SIZE_V1);
		return 0;
	case CSPCHAN_IOC_ACK:
	case CSPCHAN_IOC_NACK:
		if (!module_has_leases)
			break;
		memcpy(&last_lease, arg, sizeof(last_lease));
		return 0;
	case CSPCHAN_IOC_SET_DEADLETTER:
		if (!module_has_leases)
			break;
		memcpy(&last_deadletter, arg, sizeof(last_deadletter));
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

static int failed;

static void check(bool ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAILED", what);
	if (!ok)
		failed = 1;
}

/* The bytes of @buf from @from to @to were not written. */
static bool untouched(const void *buf, size_t from, size_t to)
{
	const unsigned char *p = buf;

	for (; from < to; from++) {
		if (p[from] != GUARD)
			return false;
	}
	return true;
}

static void check_old_entry_points(void)
{
	_Alignas(16) unsigned char mem[512];
	struct old_attr attr = { .capacity = 4, .msg_size = 64, .mode = 0600,
				 .flags = CSPCHAN_LEASE };
	struct old_msginfo *mi = (struct old_msginfo *)mem;
	struct old_stat *st = (struct old_stat *)mem;
	char buf[64];

	check(old_create("jobs", &attr, 0) == FAKE_CHANNEL_FD &&
	      last_create.capacity == 4 && last_create.msg_size == 64 &&
	      last_create.mode == 0600 && last_create.flags == CSPCHAN_LEASE &&
	      !last_create.max_deliveries && !last_create.lease_ms &&
	      !last_create.rate && !last_create.burst,
	      "cspchan_create@CSPCHAN_0.1 passes the old attr, new fields zero");

	memset(mem, GUARD, sizeof(mem));
	check(old_recvmsg(FAKE_CHANNEL_FD, buf, sizeof(buf), mi) == 5 &&
	      last_xfer_flags == 0 && mi->seq == 42 && mi->pid == 1234 &&
	      mi->sent_ns == 99 && untouched(mem, sizeof(*mi), sizeof(mem)),
	      "cspchan_recvmsg@CSPCHAN_0.1: no CSPCHAN_XFER_LEASE, nothing written past 24 bytes");

	memset(mem, GUARD, sizeof(mem));
	check(old_stat(FAKE_CHANNEL_FD, st) == 0 && st->id == 9 &&
	      st->capacity == 4 && st->received == 12 &&
	      strcmp(st->name, "jobs") == 0 &&
	      untouched(mem, sizeof(*st), sizeof(mem)),
	      "cspchan_stat@CSPCHAN_0.1: old fields, nothing written past 128 bytes");
}

static void check_new_entry_points(void)
{
	struct cspchan_attr attr = { .capacity = 4, .msg_size = 64,
				     .flags = CSPCHAN_LEASE,
				     .max_deliveries = 5, .lease_ms = 250 };
	struct cspchan_msginfo mi;
	struct cspchan_stat st;
	char buf[64];

	check(cspchan_create("jobs", &attr, 0) == FAKE_CHANNEL_FD &&
	      last_create.flags == CSPCHAN_LEASE &&
	      last_create.max_deliveries == 5 && last_create.lease_ms == 250,
	      "cspchan_create@@CSPCHAN_0.4 passes max_deliveries and lease_ms");

	check(cspchan_recvmsg(FAKE_CHANNEL_FD, buf, sizeof(buf), &mi) == 5 &&
	      last_xfer_flags == (CSPCHAN_XFER_LEASE | CSPCHAN_XFER_FD) &&
	      mi.seq == 42 && mi.lease == 77 && mi.deliveries == 3 &&
	      mi.fd == FAKE_REPLY_FD,
	      "cspchan_recvmsg@@CSPCHAN_0.4 asks for the lease and the reply channel; lease, deliveries, fd");
	check(cspchan_recvmsg(FAKE_CHANNEL_FD, buf, sizeof(buf), NULL) == 5 &&
	      last_xfer_flags == 0,
	      "cspchan_recvmsg without info takes the implicit lease");

	check(cspchan_stat(FAKE_CHANNEL_FD, &st) == 0 &&
	      last_request == CSPCHAN_IOC_STAT && st.lease == 1 &&
	      st.leased == 2 && st.redelivered == 3 && st.dead == 1 &&
	      st.max_deliveries == 5 && st.lease_ms == 250 &&
	      st.dead_letter == 11 && strcmp(st.name, "jobs") == 0,
	      "cspchan_stat@@CSPCHAN_0.4 fills the lease fields");

	check(cspchan_ack(FAKE_CHANNEL_FD, 77) == 0 &&
	      last_request == CSPCHAN_IOC_ACK && last_lease.lease == 77 &&
	      cspchan_nack(FAKE_CHANNEL_FD, 78) == 0 &&
	      last_request == CSPCHAN_IOC_NACK && last_lease.lease == 78 &&
	      cspchan_set_deadletter(FAKE_CHANNEL_FD, -1) == 0 &&
	      last_deadletter.fd == -1,
	      "cspchan_ack, cspchan_nack, cspchan_set_deadletter");
	check(cspchan_ack(FAKE_CONTROL_FD, 1) == -ENOTTY && errno == ENOTTY,
	      "cspchan_ack fails with -errno and sets errno");

	check(cspchan_sendmsg(FAKE_CHANNEL_FD, "req", 3, -1) == 3 &&
	      last_request == CSPCHAN_IOC_SEND && last_send.flags == 0 &&
	      last_send.len == 3 && last_send.timeout_ns < 0,
	      "cspchan_sendmsg with reply_fd -1 attaches nothing and blocks");
	check(cspchan_sendmsg(FAKE_CHANNEL_FD, "req", 3, 5) == 3 &&
	      last_send.flags == CSPCHAN_XFER_ATTACH && last_send.fd == 5,
	      "cspchan_sendmsg attaches reply_fd");

	memset(&last_create, 0, sizeof(last_create));
	check(cspchan_call(FAKE_CHANNEL_FD, "req", 3, buf, 48, 1000) == 5 &&
	      last_create.flags == CSPCHAN_REPLY && last_create.capacity == 1 &&
	      last_create.msg_size == 48 && !last_create.name[0] &&
	      last_send.flags == CSPCHAN_XFER_ATTACH &&
	      last_send.fd == FAKE_CHANNEL_FD && last_send.len == 3 &&
	      last_send.timeout_ns > 0 && last_send.timeout_ns <= 1000000000LL &&
	      last_request == CSPCHAN_IOC_RECV && last_xfer_flags == 0,
	      "cspchan_call: a reply channel (capacity 1, msg_size reply_len) attached to the request, then the reply");
	check(cspchan_call(FAKE_CHANNEL_FD, "req", 3, buf, 0, 1000) == -EINVAL &&
	      errno == EINVAL,
	      "cspchan_call with reply_len 0 fails with EINVAL");
}

static void check_lease_module(void)
{
	struct cspchan_msginfo mi;
	char buf[64];

	module_has_reply = false;
	recv_calls = 0;
	check(cspchan_recvmsg(FAKE_CHANNEL_FD, buf, sizeof(buf), &mi) == 5 &&
	      recv_calls == 2 && last_xfer_flags == CSPCHAN_XFER_LEASE &&
	      mi.lease == 77 && mi.deliveries == 3 && mi.fd == -1,
	      "module without reply channels: cspchan_recvmsg retries without CSPCHAN_XFER_FD; lease kept, fd -1");
	recv_calls = 0;
	check(cspchan_recvmsg(FAKE_CHANNEL_FD, buf, sizeof(buf), &mi) == 5 &&
	      recv_calls == 1 && last_xfer_flags == CSPCHAN_XFER_LEASE &&
	      mi.fd == -1,
	      "module without reply channels: the next cspchan_recvmsg asks for the lease only");
	check(cspchan_sendmsg(FAKE_CHANNEL_FD, "req", 3, 5) == -EINVAL,
	      "module without reply channels: cspchan_sendmsg with a reply channel fails with EINVAL");
}

static void check_old_module(void)
{
	struct cspchan_msginfo mi;
	struct cspchan_stat st;
	char buf[64];

	module_has_leases = false;
	check(cspchan_recvmsg(FAKE_CHANNEL_FD, buf, sizeof(buf), &mi) == 5 &&
	      last_xfer_flags == 0 && mi.seq == 42 && mi.lease == 0 &&
	      mi.deliveries == 1 && mi.fd == -1,
	      "old module: cspchan_recvmsg retries without the flag; deliveries 1, lease 0");
	last_xfer_flags = ~0U;
	check(cspchan_recvmsg(FAKE_CHANNEL_FD, buf, sizeof(buf), &mi) == 5 &&
	      last_xfer_flags == 0,
	      "old module: the next cspchan_recvmsg does not ask again");

	memset(&st, GUARD, sizeof(st));
	check(cspchan_stat(FAKE_CHANNEL_FD, &st) == 0 &&
	      last_request == CSPCHAN_IOC_STAT_V1 && st.id == 9 &&
	      st.lease == 0 && st.leased == 0 && st.dead == 0 &&
	      st.dead_letter == 0,
	      "old module: cspchan_stat falls back to CSPCHAN_IOC_STAT_V1, new fields 0");
	check(cspchan_ack(FAKE_CHANNEL_FD, 1) == -ENOTTY,
	      "old module: cspchan_ack fails with ENOTTY");
}

int main(void)
{
	check_old_entry_points();
	check_new_entry_points();
	check_lease_module();
	check_old_module();
	return failed;
}
