// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan fuzzer: the ioctl, file, mmap and select operations of a worker
 * thread, on the control device and on channel handles.  Each builds a
 * valid-looking argument, lets arg_ptr()/buf_ptr() place it (or a hostile
 * pointer instead), and counts the outcome by errno.
 */
#include "fuzz.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define BEGIN(t, kind)	((t)->op_kind = (kind))

static long do_ioctl(int fd, unsigned long cmd, void *arg)
{
	return sys_ret(ioctl(fd, cmd, arg));
}

/* The control device, or now and then a descriptor of the wrong kind. */
static int ctl_fd(struct thread_ctx *t)
{
	struct chan c;

	if (!one_in(&t->rng, 10))
		return t->w->ctl;
	if (one_in(&t->rng, 2) && pick_chan(t, &c))
		return c.fd;
	return hostile_fd(t);
}

static void maybe_reserved(struct thread_ctx *t, void *p, size_t size)
{
	if (one_in(&t->rng, 20))
		memset(p, 0xff, size);
	else if (one_in(&t->rng, 20))
		((unsigned char *)p)[below(&t->rng, size)] = 1;
}

/* ---- the control device ---------------------------------------------------------- */

static void op_features(struct thread_ctx *t)
{
	struct cspchan_features f;
	bool own;

	memset(&f, 0, sizeof(f));
	if (one_in(&t->rng, 10))
		f.reserved0 = 1;
	maybe_reserved(t, f.reserved, sizeof(f.reserved));
	BEGIN(t, OP_FEATURES);
	count(OP_FEATURES, do_ioctl(ctl_fd(t), CSPCHAN_IOC_FEATURES, arg_ptr(t, &f, sizeof(f), &own)));
}

static uint32_t pick_capacity(struct thread_ctx *t)
{
	static const uint32_t small[] = { 0, 0, 1, 1, 2, 3, 4, 8, 16, 64 };
	uint32_t max = t->w->feat.max_capacity;

	switch (below(&t->rng, 30)) {
	case 0: return max;
	case 1: return max + 1;
	case 2: return UINT32_MAX;
	default: return small[below(&t->rng, ARRAY_SIZE(small))];
	}
}

static uint32_t pick_msg_size(struct thread_ctx *t)
{
	static const uint32_t small[] = { 1, 8, 16, 64, 100, 512, 4096, 4097, 16384 };
	uint32_t max = t->w->feat.max_msg_size;

	switch (below(&t->rng, 30)) {
	case 0: return max;
	case 1: return max + 1;
	case 2: return 0;
	case 3: return UINT32_MAX;
	default: return small[below(&t->rng, ARRAY_SIZE(small))];
	}
}

static void op_create(struct thread_ctx *t)
{
	struct cspchan_create_req req;
	uint64_t bytes;
	bool own, big;
	long fd;

	memset(&req, 0, sizeof(req));
	req.flags = chance(&t->rng, 30) ? CSPCHAN_AUTOCLOSE : 0;
	if (chance(&t->rng, 30))
		req.flags |= CSPCHAN_LEASE;
	if (chance(&t->rng, 10))
		req.flags |= CSPCHAN_REPLY;
	if (chance(&t->rng, 25))
		req.flags |= CSPCHAN_RELAY;
	if (one_in(&t->rng, 30))
		req.flags |= 1U << below(&t->rng, 32);
	req.oflags = (chance(&t->rng, 30) ? O_EXCL : 0) | (chance(&t->rng, 50) ? O_NONBLOCK : 0) |
		     (chance(&t->rng, 60) ? O_CLOEXEC : 0);
	if (one_in(&t->rng, 30))
		req.oflags ^= 1U << below(&t->rng, 32);
	req.capacity = pick_capacity(t);
	req.msg_size = pick_msg_size(t);
	/* Keep the guest's memory: big arenas are rare, anonymous and short-lived. */
	bytes = (uint64_t)(req.capacity ?: 4) * req.msg_size;
	if (bytes > (4 << 20) && !one_in(&t->rng, 20))
		req.capacity = 1 + below(&t->rng, 4);
	bytes = (uint64_t)(req.capacity ?: 4) * req.msg_size;
	big = bytes > (1 << 20);
	req.mode = one_in(&t->rng, 10) ? (uint32_t)rnd(&t->rng) : one_in(&t->rng, 2) ? 0600 : 0666;
	if (!big && !one_in(&t->rng, 4))
		pick_name(t, req.name);
	if (one_in(&t->rng, 20))
		req.reserved0 = (uint32_t)rnd(&t->rng);
	if ((req.flags & CSPCHAN_LEASE) ? chance(&t->rng, 50) : one_in(&t->rng, 40)) {
		req.max_deliveries = below(&t->rng, 4);
		req.lease_ms = one_in(&t->rng, 2) ? 0 : 1 + below(&t->rng, 300);
	}
	if (chance(&t->rng, 15)) {
		req.rate = one_in(&t->rng, 10) ? (uint32_t)rnd(&t->rng) : 1 + below(&t->rng, 5000);
		req.burst = below(&t->rng, 20);
	}
	maybe_reserved(t, req.reserved, sizeof(req.reserved));
	BEGIN(t, OP_CREATE);
	fd = do_ioctl(ctl_fd(t), CSPCHAN_IOC_CREATE, arg_ptr(t, &req, sizeof(req), &own));
	count(OP_CREATE, fd);
	if (fd < 0)
		return;
	if (big || one_in(&t->rng, 10))
		close(fd);
	else
		table_add(t->w, fd);
}

static void op_open_unlink(struct thread_ctx *t, bool unlink)
{
	static const uint32_t modes[] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDWR, O_RDWR };
	enum op_kind kind = unlink ? OP_UNLINK : OP_OPEN;
	struct cspchan_name_req req;
	bool own;
	long fd;

	memset(&req, 0, sizeof(req));
	if (!unlink)
		req.oflags = modes[below(&t->rng, ARRAY_SIZE(modes))] |
			     (chance(&t->rng, 50) ? O_NONBLOCK : 0) | (chance(&t->rng, 60) ? O_CLOEXEC : 0);
	if (one_in(&t->rng, 25))
		req.oflags ^= 1U << below(&t->rng, 32);
	if (one_in(&t->rng, 20))
		req.reserved0 = 1;
	maybe_reserved(t, req.reserved, sizeof(req.reserved));
	pick_name(t, req.name);
	BEGIN(t, kind);
	fd = do_ioctl(ctl_fd(t), unlink ? CSPCHAN_IOC_UNLINK : CSPCHAN_IOC_OPEN,
		      arg_ptr(t, &req, sizeof(req), &own));
	count(kind, fd);
	if (!unlink && fd >= 0)
		table_add(t->w, fd);
}

/* An ioctl number the module does not define, or one with the wrong size or direction. */
static unsigned long bad_cmd(struct thread_ctx *t)
{
	static const unsigned long real[] = {
		CSPCHAN_IOC_FEATURES, CSPCHAN_IOC_CREATE, CSPCHAN_IOC_OPEN, CSPCHAN_IOC_UNLINK,
		CSPCHAN_IOC_SELECT, CSPCHAN_IOC_SEND, CSPCHAN_IOC_RECV, CSPCHAN_IOC_SHUTDOWN,
		CSPCHAN_IOC_STAT, CSPCHAN_IOC_ACQUIRE, CSPCHAN_IOC_COMMIT, CSPCHAN_IOC_TAKE,
		CSPCHAN_IOC_RELEASE, CSPCHAN_URING_ACQUIREV, CSPCHAN_URING_COMMITV,
		CSPCHAN_URING_TAKEV, CSPCHAN_URING_RELEASEV,
	};
	static const unsigned long generic[] = { FIONREAD, FIONBIO, FIOCLEX, FIONCLEX, FIOQSIZE, 0 };
	unsigned long c = real[below(&t->rng, ARRAY_SIZE(real))];

	switch (below(&t->rng, 6)) {
	case 0:	/* right number, wrong size */
		return _IOC(_IOC_DIR(c), _IOC_TYPE(c), _IOC_NR(c), below(&t->rng, 256));
	case 1:	/* right number, wrong direction */
		return _IOC(below(&t->rng, 4), _IOC_TYPE(c), _IOC_NR(c), _IOC_SIZE(c));
	case 2:
		return _IOC(below(&t->rng, 4), CSPCHAN_IOC_MAGIC, below(&t->rng, 0x40),
			    below(&t->rng, 256));
	case 3:
		return generic[below(&t->rng, ARRAY_SIZE(generic))];
	case 4:	/* a real one on the wrong kind of descriptor */
		return c;
	default:
		return (c & 0xffff) | ((unsigned long)(uint32_t)rnd(&t->rng) << 32);
	}
}

static void op_badioctl(struct thread_ctx *t)
{
	unsigned char junk[256];
	struct chan c;
	int fd = t->w->ctl;
	bool own;
	size_t i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = one_in(&t->rng, 3) ? (unsigned char)rnd(&t->rng) : 0;
	if (one_in(&t->rng, 2) && pick_chan(t, &c))
		fd = c.fd;
	BEGIN(t, OP_BADIOCTL);
	count(OP_BADIOCTL, do_ioctl(fd, bad_cmd(t), arg_ptr(t, junk, sizeof(junk), &own)));
}

void op_ioctl_ctl(struct thread_ctx *t)
{
	switch (below(&t->rng, 10)) {
	case 0: op_features(t); break;
	case 1: case 2: case 3: op_create(t); break;
	case 4: case 5: case 6: op_open_unlink(t, false); break;
	case 7: op_open_unlink(t, true); break;
	default: op_badioctl(t); break;
	}
}

/* ---- channel handles ------------------------------------------------------------- */

static void op_xfer(struct thread_ctx *t, struct chan *c, bool send)
{
	enum op_kind kind = send ? OP_SEND : OP_RECV;
	struct cspchan_xfer x;
	bool own, own_buf;
	void *arg;
	long ret;

	memset(&x, 0, sizeof(x));
	x.len = send ? pick_len(t, c) : (one_in(&t->rng, 3) ? pick_len(t, c) : c->msg_size);
	x.buf = buf_ptr(t, &x.len, &own_buf);
	if (send && own_buf)
		memset((void *)(uintptr_t)x.buf, 'a' + t->index, x.len < 64 ? x.len : 64);
	x.timeout_ns = pick_timeout(t);
	if (!send && chance(&t->rng, 40))
		x.flags |= CSPCHAN_XFER_LEASE;
	if (!send && chance(&t->rng, 30))
		x.flags |= CSPCHAN_XFER_FD;
	if (send && chance(&t->rng, 15)) {
		struct chan r;

		x.flags |= CSPCHAN_XFER_ATTACH;
		x.fd = one_in(&t->rng, 8) ? (int32_t)rnd(&t->rng) :
		       pick_chan(t, &r) ? r.fd : -1;
	}
	if (send && chance(&t->rng, 20)) {
		/* A relayed origin: EINVAL unless the channel is CSPCHAN_RELAY. */
		x.flags |= CSPCHAN_XFER_ORIGIN;
		x.seq = one_in(&t->rng, 4) ? rnd(&t->rng) : below(&t->rng, 64);
		x.sent_ns = rnd(&t->rng);
		x.pid = (uint32_t)rnd(&t->rng);
	}
	if (one_in(&t->rng, 25))
		x.flags = 1U << below(&t->rng, 32);
	if (one_in(&t->rng, 25))
		x.reserved0 = 1;
	if (!send && one_in(&t->rng, 20)) {
		/* "out" fields with junk in them */
		x.seq = rnd(&t->rng);
		x.deliveries = (uint32_t)rnd(&t->rng);
		x.lease = rnd(&t->rng);
		x.fd = (int32_t)rnd(&t->rng);
	}
	BEGIN(t, kind);
	arg = arg_ptr(t, &x, sizeof(x), &own);
	ret = do_ioctl(c->fd, send ? CSPCHAN_IOC_SEND : CSPCHAN_IOC_RECV, arg);
	count(kind, ret);
	if (!send && ret > 0 && own) {
		memcpy(&x, arg, sizeof(x));	/* what the kernel wrote back */
		if (x.lease)
			t->last_lease = x.lease;
		/* An installed reply handle joins the table, or is closed. */
		if ((x.flags & CSPCHAN_XFER_FD) && x.fd > 2 && fcntl(x.fd, F_GETFD) >= 0) {
			if (one_in(&t->rng, 2))
				table_add(t->w, x.fd);
			else
				close(x.fd);
		}
	}
}

/* ACK, NACK: the last lease a receive returned, or junk. */
static void op_lease(struct thread_ctx *t, struct chan *c, bool ack)
{
	struct cspchan_lease_req req;
	bool own;

	memset(&req, 0, sizeof(req));
	switch (below(&t->rng, 6)) {
	case 0: req.lease = 0; break;
	case 1: req.lease = rnd(&t->rng); break;
	case 2: req.lease = t->last_lease + below(&t->rng, 4); break;
	default: req.lease = t->last_lease; break;
	}
	if (one_in(&t->rng, 25))
		req.flags = 1U << below(&t->rng, 32);
	if (one_in(&t->rng, 25))
		req.reserved0 = 1;
	maybe_reserved(t, req.reserved, sizeof(req.reserved));
	BEGIN(t, ack ? OP_ACK : OP_NACK);
	count(ack ? OP_ACK : OP_NACK,
	      do_ioctl(c->fd, ack ? CSPCHAN_IOC_ACK : CSPCHAN_IOC_NACK, arg_ptr(t, &req, sizeof(req), &own)));
}

static void op_deadletter(struct thread_ctx *t, struct chan *c)
{
	struct cspchan_deadletter_req req;
	struct chan d;
	bool own;

	memset(&req, 0, sizeof(req));
	req.fd = one_in(&t->rng, 4) ? -1 : one_in(&t->rng, 8) ? (int32_t)rnd(&t->rng) :
		 pick_chan(t, &d) ? d.fd : c->fd;
	if (one_in(&t->rng, 25))
		req.flags = 1U << below(&t->rng, 32);
	maybe_reserved(t, req.reserved, sizeof(req.reserved));
	BEGIN(t, OP_DEADLETTER);
	count(OP_DEADLETTER, do_ioctl(c->fd, CSPCHAN_IOC_SET_DEADLETTER, arg_ptr(t, &req, sizeof(req), &own)));
}

static void op_setrate(struct thread_ctx *t, struct chan *c)
{
	struct cspchan_rate_req req;
	bool own;

	memset(&req, 0, sizeof(req));
	req.rate = one_in(&t->rng, 4) ? 0 : one_in(&t->rng, 10) ? (uint32_t)rnd(&t->rng) :
		   1 + below(&t->rng, 5000);
	req.burst = one_in(&t->rng, 10) ? (uint32_t)rnd(&t->rng) : below(&t->rng, 20);
	if (one_in(&t->rng, 25))
		req.flags = 1U << below(&t->rng, 32);
	if (one_in(&t->rng, 25))
		req.reserved0 = 1;
	maybe_reserved(t, req.reserved, sizeof(req.reserved));
	BEGIN(t, OP_SETRATE);
	count(OP_SETRATE, do_ioctl(c->fd, CSPCHAN_IOC_SET_RATE, arg_ptr(t, &req, sizeof(req), &own)));
}

/* Write a payload into the mapped slot, as a producer does before COMMIT. */
static void fill_slot(struct thread_ctx *t, const struct chan *c, uint32_t slot)
{
	uint64_t off = (uint64_t)slot * c->slot_size;

	if (!c->map || !(c->map_prot & PROT_WRITE) || off >= c->map_len)
		return;
	count(OP_MTOUCH, touch_mapping((char *)c->map + off,
				       c->slot_size < c->map_len - off ? c->slot_size : c->map_len - off,
				       PROT_WRITE, &t->rng) ? 0 : -EFAULT);
}

static long slot_ioctl(struct thread_ctx *t, struct chan *c, enum op_kind kind,
		       unsigned long cmd, uint32_t slot, uint32_t len, uint32_t *slot_out)
{
	struct cspchan_slot_req req, *p;
	bool own;
	long ret;

	memset(&req, 0, sizeof(req));
	req.slot = slot;
	req.len = len;
	req.timeout_ns = pick_timeout(t);
	if (one_in(&t->rng, 25))
		req.flags = 1U << below(&t->rng, 32);
	maybe_reserved(t, &req.reserved, sizeof(req.reserved));
	if (one_in(&t->rng, 25))
		req.reserved0 = 1;
	if (one_in(&t->rng, 25))
		req.deliveries = (uint32_t)rnd(&t->rng);	/* "out" */
	if (one_in(&t->rng, 25))
		req.offset = rnd(&t->rng);
	BEGIN(t, kind);
	p = arg_ptr(t, &req, sizeof(req), &own);
	ret = do_ioctl(c->fd, cmd, p);
	count(kind, ret);
	if (ret >= 0 && own && slot_out) {
		memcpy(&req, p, sizeof(req));
		*slot_out = req.slot;
		table_hint(t->w, c->fd, req.slot);
	}
	return ret;
}

static void op_zerocopy(struct thread_ctx *t, struct chan *c)
{
	uint32_t slot = 0;
	long ret;

	switch (below(&t->rng, 4)) {
	case 0:
		ret = slot_ioctl(t, c, OP_ACQUIRE, CSPCHAN_IOC_ACQUIRE, 0, 0, &slot);
		if (ret < 0 || one_in(&t->rng, 4))
			break;	/* keep the slot: COMMIT/RELEASE may find it by its hint */
		fill_slot(t, c, slot);
		if (one_in(&t->rng, 3))
			slot_ioctl(t, c, OP_RELEASE, CSPCHAN_IOC_RELEASE, slot, 0, NULL);
		else
			slot_ioctl(t, c, OP_COMMIT, CSPCHAN_IOC_COMMIT, slot,
				   one_in(&t->rng, 4) ? pick_len(t, c) : 1 + below(&t->rng, c->msg_size ?: 1),
				   NULL);
		break;
	case 1:
		slot = pick_slot(t, c);
		fill_slot(t, c, slot);
		slot_ioctl(t, c, OP_COMMIT, CSPCHAN_IOC_COMMIT, slot, pick_len(t, c), NULL);
		break;
	case 2:
		ret = slot_ioctl(t, c, OP_TAKE, CSPCHAN_IOC_TAKE, 0, 0, &slot);
		if (ret > 0 && !one_in(&t->rng, 4)) {
			if (c->map && slot < c->nr_slots)
				count(OP_MTOUCH, touch_mapping((char *)c->map + (uint64_t)slot * c->slot_size,
							       1, PROT_READ, &t->rng) ? 0 : -EFAULT);
			slot_ioctl(t, c, OP_RELEASE, CSPCHAN_IOC_RELEASE, slot, 0, NULL);
		}
		break;
	default:
		slot_ioctl(t, c, OP_RELEASE, CSPCHAN_IOC_RELEASE, pick_slot(t, c), 0, NULL);
		break;
	}
}

static void op_stat(struct thread_ctx *t, struct chan *c)
{
	struct cspchan_info info;
	bool own;

	memset(&info, 0, sizeof(info));
	if (one_in(&t->rng, 10))
		memset(&info, 0xff, sizeof(info));	/* "out" only: junk must not matter */
	BEGIN(t, OP_STAT);
	count(OP_STAT, do_ioctl(c->fd, CSPCHAN_IOC_STAT, arg_ptr(t, &info, sizeof(info), &own)));
}

void op_ioctl_chan(struct thread_ctx *t)
{
	struct chan c;
	uint32_t r = below(&t->rng, 100);

	if (!pick_chan(t, &c)) {
		op_create(t);
		return;
	}
	if (r < 25) {
		op_xfer(t, &c, true);
	} else if (r < 50) {
		op_xfer(t, &c, false);
	} else if (r < 78) {
		op_zerocopy(t, &c);
	} else if (r < 82) {
		op_lease(t, &c, !one_in(&t->rng, 3));
	} else if (r < 84) {
		op_deadletter(t, &c);
	} else if (r < 86) {
		op_setrate(t, &c);
	} else if (r < 95) {
		op_stat(t, &c);
	} else {
		BEGIN(t, OP_SHUTDOWN);
		count(OP_SHUTDOWN, do_ioctl(c.fd, CSPCHAN_IOC_SHUTDOWN,
					    (void *)(uintptr_t)(one_in(&t->rng, 2) ? 0 : bad_ptr(t))));
	}
}

/* ---- read, write, poll, close, dup, fcntl, open ---------------------------------- */

static void op_rw(struct thread_ctx *t, struct chan *c, bool wr)
{
	uint32_t len = wr ? pick_len(t, c) : (one_in(&t->rng, 3) ? pick_len(t, c) : c->msg_size);
	bool own;
	void *buf = (void *)(uintptr_t)buf_ptr(t, &len, &own);
	long ret;

	BEGIN(t, wr ? OP_WRITE : OP_READ);
	if (one_in(&t->rng, 10))
		ret = wr ? pwrite(c->fd, buf, len, rnd(&t->rng) & 0xffff) :
			   pread(c->fd, buf, len, rnd(&t->rng) & 0xffff);
	else
		ret = wr ? write(c->fd, buf, len) : read(c->fd, buf, len);
	count(wr ? OP_WRITE : OP_READ, sys_ret(ret));
}

static void op_poll(struct thread_ctx *t)
{
	struct pollfd pfd[8];
	unsigned int i, n = 1 + below(&t->rng, 8);
	struct chan c;

	for (i = 0; i < n; i++) {
		pfd[i].fd = pick_chan(t, &c) ? c.fd : -1;
		pfd[i].events = one_in(&t->rng, 8) ? (short)rnd(&t->rng) : POLLIN | POLLOUT;
	}
	BEGIN(t, OP_POLL);
	count(OP_POLL, sys_ret(poll(pfd, n, one_in(&t->rng, 4) ? 10 : 0)));
}

static void op_close(struct thread_ctx *t)
{
	struct chan c;

	if (!table_remove(t, &c))
		return;
	if (c.map && one_in(&t->rng, 2)) {
		munmap(c.map, c.map_len);
		c.map = NULL;
	}
	BEGIN(t, OP_CLOSE);
	count(OP_CLOSE, sys_ret(close(c.fd)));
	if (c.map) {	/* the mapping outlives the handle */
		count(OP_MTOUCH, touch_mapping(c.map, c.map_len, c.map_prot, &t->rng) ? 0 : -EFAULT);
		munmap(c.map, c.map_len);
	}
}

static void op_fcntl(struct thread_ctx *t, struct chan *c)
{
	long fl = fcntl(c->fd, F_GETFL);

	BEGIN(t, OP_FCNTL);
	if (fl < 0) {
		count(OP_FCNTL, -errno);
		return;
	}
	if (one_in(&t->rng, 10))
		fl ^= 1L << below(&t->rng, 24);
	else
		fl ^= O_NONBLOCK;
	count(OP_FCNTL, sys_ret(fcntl(c->fd, F_SETFL, fl)));
}

static void op_opendev(struct thread_ctx *t)
{
	static const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDWR | O_NONBLOCK };
	struct cspchan_features f;
	long fd;

	BEGIN(t, OP_OPENDEV);
	fd = sys_ret(open(CSPCHAN_DEVICE, modes[below(&t->rng, ARRAY_SIZE(modes))] | O_CLOEXEC));
	count(OP_OPENDEV, fd);
	if (fd < 0)
		return;
	memset(&f, 0, sizeof(f));
	count(OP_FEATURES, do_ioctl(fd, CSPCHAN_IOC_FEATURES, &f));
	close(fd);
}

void op_file(struct thread_ctx *t)
{
	uint32_t r = below(&t->rng, 100);
	struct chan c;
	long fd;

	if (r < 12) {
		op_close(t);
		return;
	}
	if (r < 16) {
		op_opendev(t);
		return;
	}
	if (r < 24) {
		op_poll(t);
		return;
	}
	if (!pick_chan(t, &c))
		return;
	if (r < 55) {
		op_rw(t, &c, false);
	} else if (r < 85) {
		op_rw(t, &c, true);
	} else if (r < 92) {
		op_fcntl(t, &c);
	} else {
		BEGIN(t, OP_DUP);
		fd = sys_ret(fcntl(c.fd, F_DUPFD_CLOEXEC, 3));
		count(OP_DUP, fd);
		if (fd >= 0)
			table_add(t->w, fd);
	}
}

/* ---- mmap ------------------------------------------------------------------------ */

void op_mmap(struct thread_ctx *t)
{
	static const int flag_sets[] = {
		MAP_SHARED, MAP_SHARED, MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE,
		MAP_SHARED | MAP_POPULATE, MAP_SHARED | MAP_LOCKED, MAP_SHARED | MAP_NORESERVE,
		MAP_PRIVATE | MAP_POPULATE, MAP_SHARED | MAP_HUGETLB,
	};
	static const int prots[] = {
		PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_WRITE,
		PROT_NONE, PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC,
	};
	uint64_t arena, len, off;
	int prot, flags;
	struct chan c;
	char *map;

	if (!pick_chan(t, &c))
		return;
	arena = c.arena_size ?: PAGE;
	switch (below(&t->rng, 10)) {
	case 0: len = PAGE; break;
	case 1: len = arena + PAGE; break;
	case 2: len = 0; break;
	case 3: len = arena / 2 + 1; break;
	case 4: len = 1ULL << (12 + below(&t->rng, 30)); break;
	default: len = arena; break;
	}
	switch (below(&t->rng, 12)) {
	case 0: off = PAGE; break;
	case 1: off = arena; break;
	case 2: off = (uint64_t)below(&t->rng, 64) * PAGE; break;
	case 3: off = 1 + below(&t->rng, PAGE - 1); break;
	case 4: off = -PAGE; break;
	default: off = 0; break;
	}
	prot = prots[below(&t->rng, ARRAY_SIZE(prots))];
	flags = flag_sets[below(&t->rng, ARRAY_SIZE(flag_sets))];
	if (flags == MAP_SHARED_VALIDATE && one_in(&t->rng, 2))
		flags |= 1 << (8 + below(&t->rng, 20));
	BEGIN(t, OP_MMAP);
	map = mmap(NULL, len, prot, flags, c.fd, (off_t)off);
	if (map == MAP_FAILED) {
		count(OP_MMAP, -errno);
		return;
	}
	count(OP_MMAP, 0);
	count(OP_MTOUCH, touch_mapping(map, len, prot, &t->rng) ? 0 : -EFAULT);
	switch (below(&t->rng, 5)) {
	case 0:	/* a read-only mapping must not become writable */
		if (mprotect(map, len, PROT_READ | PROT_WRITE) == 0)
			prot = PROT_READ | PROT_WRITE;
		break;
	case 1:
		madvise(map, len, one_in(&t->rng, 2) ? MADV_DONTNEED : MADV_DONTFORK);
		break;
	case 2: {
		uint64_t new_len = one_in(&t->rng, 2) ? (len / 2 + PAGE - 1) & ~(PAGE - 1) : len * 2;
		void *m = new_len ? mremap(map, len, new_len, MREMAP_MAYMOVE) : MAP_FAILED;

		if (m != MAP_FAILED) {
			map = m;
			len = new_len;
		}
		break;
	}
	default:
		break;
	}
	count(OP_MTOUCH, touch_mapping(map, len, prot, &t->rng) ? 0 : -EFAULT);
	if (one_in(&t->rng, 2) && off == 0)
		table_set_map(t->w, c.fd, map, len, prot);
	else
		munmap(map, len);
}

/* ---- select ---------------------------------------------------------------------- */

void op_select(struct thread_ctx *t)
{
	struct cspchan_select_case *cases = (void *)(t->area + AREA_CASES);
	unsigned int max = AREA_CASES_LEN / sizeof(*cases), i, n;
	struct cspchan_select_req req;
	uint32_t r = below(&t->rng, 100);
	struct chan c;
	bool own;

	if (r < 40)
		n = 1 + below(&t->rng, 4);
	else if (r < 60)
		n = 5 + below(&t->rng, 12);
	else if (r < 72)
		n = 63 + below(&t->rng, 3);
	else if (r < 76)
		n = 0;
	else if (r < 80)
		n = max;
	else if (r < 84)
		n = 1000;
	else if (r < 88)
		n = UINT32_MAX;
	else
		n = below(&t->rng, 200);
	for (i = 0; i < n && i < max; i++) {
		uint32_t len;
		bool own_buf;

		memset(&cases[i], 0, sizeof(cases[i]));
		r = below(&t->rng, 100);
		if (r < 10)
			cases[i].fd = -1;
		else if (r < 15 && i)
			cases[i].fd = cases[below(&t->rng, i)].fd;
		else
			cases[i].fd = pick_chan(t, &c) ? c.fd : -1;
		if (!pick_chan(t, &c))
			c.msg_size = 64;
		r = below(&t->rng, 100);
		cases[i].op = r < 45 ? CSPCHAN_OP_SEND : r < 90 ? CSPCHAN_OP_RECV : (uint32_t)rnd(&t->rng) % 5;
		len = cases[i].op == CSPCHAN_OP_RECV && !one_in(&t->rng, 3) ? c.msg_size : pick_len(t, &c);
		cases[i].len = len;
		cases[i].buf = buf_ptr(t, &len, &own_buf);
		if (one_in(&t->rng, 30))
			cases[i].reserved0 = (uint32_t)rnd(&t->rng);
	}
	memset(&req, 0, sizeof(req));
	req.cases = one_in(&t->rng, 10) ? bad_ptr(t) : (uint64_t)(uintptr_t)cases;
	req.nr = n;
	req.timeout_ns = pick_timeout(t);
	if (one_in(&t->rng, 25))
		req.flags = 1U << below(&t->rng, 32);
	if (one_in(&t->rng, 20))
		req.result = (int64_t)rnd(&t->rng);
	maybe_reserved(t, req.reserved, sizeof(req.reserved));
	BEGIN(t, OP_SELECT);
	count(OP_SELECT, do_ioctl(one_in(&t->rng, 2) ? t->w->ctl :
				  pick_chan(t, &c) ? c.fd : hostile_fd(t),
				  CSPCHAN_IOC_SELECT, arg_ptr(t, &req, sizeof(req), &own)));
}

/* ---- a create that fails for want of a descriptor ------------------------------- */

static long create_named(int ctl, const char *name)
{
	struct cspchan_create_req req;

	memset(&req, 0, sizeof(req));
	req.capacity = 1;
	req.msg_size = 8;
	req.mode = 0600;
	req.oflags = O_EXCL | O_CLOEXEC;
	snprintf(req.name, sizeof(req.name), "%s", name);
	return do_ioctl(ctl, CSPCHAN_IOC_CREATE, &req);
}

static void unlink_name(int ctl, const char *name)
{
	struct cspchan_name_req req;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", name);
	ioctl(ctl, CSPCHAN_IOC_UNLINK, &req);
}

/*
 * SPEC 2: a failed create leaves nothing behind.  Lower RLIMIT_NOFILE to
 * the lowest free descriptor (the whole process feels it, briefly), create
 * a unique name with O_EXCL, restore the limit; if the create failed with
 * EMFILE, the same create must now succeed, not fail with EEXIST.
 */
void op_emfile(struct thread_ctx *t)
{
	static unsigned int serial;
	struct rlimit old, low;
	char name[CSPCHAN_NAME_MAX];
	long fd, again;
	int probe;

	snprintf(name, sizeof(name), "%semfile.%d.%d.%u", sh->prefix, t->w->index, t->w->gen,
		 __atomic_fetch_add(&serial, 1, __ATOMIC_RELAXED));
	probe = dup(t->w->ctl);
	if (probe < 0 || getrlimit(RLIMIT_NOFILE, &old))
		return;
	close(probe);
	low = old;
	low.rlim_cur = probe;
	BEGIN(t, OP_EMFILE);
	setrlimit(RLIMIT_NOFILE, &low);
	fd = create_named(t->w->ctl, name);
	setrlimit(RLIMIT_NOFILE, &old);
	count(OP_EMFILE, fd);
	if (fd >= 0) {
		close(fd);
	} else if (fd == -EMFILE) {
		again = create_named(t->w->ctl, name);
		if (again == -EEXIST)
			finding(&sh->name_leaks, "CREATE of \"%s\" (O_EXCL) failed with EMFILE and "
				"left the name: the same CREATE then fails with EEXIST", name);
		if (again >= 0)
			close(again);
	}
	unlink_name(t->w->ctl, name);
}
