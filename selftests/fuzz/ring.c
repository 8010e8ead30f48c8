// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan fuzzer: io_uring.  Each worker thread keeps one ring, made now
 * and then afresh in one of the set-ups (plain, SQPOLL, DEFER_TASKRUN |
 * SINGLE_ISSUER, COOP_TASKRUN), with or without registered files, and
 * submits batches of IORING_OP_URING_CMD (the four slot commands and their
 * vectored forms, with hostile vectors), IORING_OP_READ/WRITE on handles
 * and NOPs, with every SQE flag: IOSQE_ASYNC, IO_LINK/IO_HARDLINK chains,
 * CQE_SKIP_SUCCESS, FIXED_FILE.  Completions are collected for a short
 * while; commands still parked stay parked, and a ring is torn down (or
 * its process killed) with commands in flight.
 *
 * liburing 2.3 has no io_uring_prep_uring_cmd(): the SQE is filled with
 * io_uring_prep_rw(IORING_OP_URING_CMD, ...), then cmd_op and the 16-byte
 * payload in sqe->cmd.
 */
#include "fuzz.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define UD_KIND_SHIFT	16

static const struct {
	uint32_t cmd_op;
	enum op_kind kind;
	bool vector;
} cmds[] = {
	{ CSPCHAN_URING_ACQUIRE, OP_U_ACQUIRE, false },
	{ CSPCHAN_URING_COMMIT, OP_U_COMMIT, false },
	{ CSPCHAN_URING_TAKE, OP_U_TAKE, false },
	{ CSPCHAN_URING_RELEASE, OP_U_RELEASE, false },
	{ CSPCHAN_URING_ACQUIREV, OP_U_ACQUIREV, true },
	{ CSPCHAN_URING_COMMITV, OP_U_COMMITV, true },
	{ CSPCHAN_URING_TAKEV, OP_U_TAKEV, true },
	{ CSPCHAN_URING_RELEASEV, OP_U_RELEASEV, true },
	/* The legacy codes, still accepted. */
	{ CSPCHAN_IOC_ACQUIRE, OP_U_ACQUIRE, false },
	{ CSPCHAN_IOC_COMMIT, OP_U_COMMIT, false },
	{ CSPCHAN_IOC_TAKE, OP_U_TAKE, false },
	{ CSPCHAN_IOC_RELEASE, OP_U_RELEASE, false },
};

static void prep_cmd(struct io_uring_sqe *sqe, int fd, uint32_t op,
		     const struct cspchan_uring_cmd *c)
{
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = op;
	memcpy((char *)sqe + offsetof(struct io_uring_sqe, cmd), c, sizeof(*c));
}

/*
 * Move a new ring's descriptor up to RING_FD_MIN or above (fuzz.h): requests
 * are never issued on an io_uring descriptor (README.md, Known).
 */
static int ring_fd_move_up(struct io_uring *ring)
{
	int fd = fcntl(ring->ring_fd, F_DUPFD_CLOEXEC, RING_FD_MIN);

	if (fd < 0)
		return -errno;
	close(ring->ring_fd);
	ring->ring_fd = fd;
	ring->enter_ring_fd = fd;
	return 0;
}

void ring_teardown(struct thread_ctx *t)
{
	if (t->ring.live)
		io_uring_queue_exit(&t->ring.ring);
	t->ring.live = false;
	t->ring.nr_files = 0;
}

static void ring_setup(struct thread_ctx *t)
{
	struct ring_state *rs = &t->ring;
	struct io_uring_params p;
	unsigned int entries = 8U << below(&t->rng, 4);
	uint32_t r = below(&t->rng, 100);
	int ret;

	memset(&p, 0, sizeof(p));
	if (r < 30 && !excluded(F_SQPOLL)) {
		p.flags = IORING_SETUP_SQPOLL;
		p.sq_thread_idle = 1 + below(&t->rng, 500);
	} else if (r < 60 && !excluded(F_DEFER)) {
		p.flags = IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER;
	} else if (r < 70) {
		p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
	}
	t->op_kind = OP_RING;
	ret = io_uring_queue_init_params(entries, &rs->ring, &p);
	if (!ret) {
		ret = ring_fd_move_up(&rs->ring);
		if (ret)
			io_uring_queue_exit(&rs->ring);
	}
	count(OP_RING, ret);
	if (ret < 0)
		return;
	rs->live = true;
	rs->setup = p.flags;
	rs->uses = 0;
	memset(rs->pend, 0, sizeof(rs->pend));
}

static void register_files(struct thread_ctx *t)
{
	struct ring_state *rs = &t->ring;
	int fds[8];
	unsigned int i, n = 1 + below(&t->rng, 8);
	struct chan c;
	int ret;

	if (rs->nr_files)
		io_uring_unregister_files(&rs->ring);
	rs->nr_files = 0;
	for (i = 0; i < n; i++) {
		if (one_in(&t->rng, 6))
			fds[i] = -1;	/* a sparse entry */
		else if (pick_chan(t, &c))
			fds[i] = c.fd;
		else
			fds[i] = -1;
	}
	t->op_kind = OP_REGFILES;
	ret = io_uring_register_files(&rs->ring, fds, n);
	count(OP_REGFILES, ret);
	if (ret == 0)
		rs->nr_files = n;
}

/* A chunk of the own slice for an info vector; it stays a parked command's. */
static struct cspchan_slot_info *info_chunk(struct thread_ctx *t)
{
	unsigned int i = t->ring.info_next++ % INFO_CHUNKS;

	return (struct cspchan_slot_info *)(t->area + AREA_INFO + i * INFO_CHUNK);
}

static uint32_t vector_len(struct thread_ctx *t)
{
	uint32_t r = below(&t->rng, 100);

	if (r < 40)
		return 1 + below(&t->rng, 8);
	if (r < 55)
		return 9 + below(&t->rng, 56);
	if (r < 60)
		return 0;
	if (r < 66)
		return CSPCHAN_SLOTV_MAX;
	if (r < 72)
		return CSPCHAN_SLOTV_MAX + 1;
	if (r < 76)
		return 1000;
	if (r < 80)
		return UINT32_MAX;
	return below(&t->rng, 70);
}

/* The payload of a slot command; *@info is set when it points into the own slice. */
static void fill_payload(struct thread_ctx *t, const struct chan *c, bool vector,
			 enum op_kind kind, struct cspchan_uring_cmd *cmd, void **info)
{
	struct cspchan_slot_info *v = info_chunk(t);
	unsigned int i, n;

	memset(cmd, 0, sizeof(*cmd));
	*info = NULL;
	if (!vector) {
		if (kind == OP_U_COMMIT || kind == OP_U_RELEASE || one_in(&t->rng, 20))
			cmd->slot = pick_slot(t, c);
		if (kind == OP_U_COMMIT || one_in(&t->rng, 20))
			cmd->len = one_in(&t->rng, 3) ? pick_len(t, c) : 1 + below(&t->rng, c->msg_size ?: 1);
		if (kind == OP_U_TAKE || one_in(&t->rng, 20)) {
			if (one_in(&t->rng, 6)) {
				cmd->info = bad_ptr(t);
			} else {
				memset(v, 0, sizeof(*v));
				cmd->info = (uint64_t)(uintptr_t)v;
				*info = v;
			}
		}
		return;
	}
	cmd->len = vector_len(t);
	if (one_in(&t->rng, 20))
		cmd->slot = 1 + below(&t->rng, 8);
	n = cmd->len < CSPCHAN_SLOTV_MAX ? cmd->len : CSPCHAN_SLOTV_MAX;
	for (i = 0; i < n; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].slot = pick_slot(t, c);
		v[i].len = one_in(&t->rng, 3) ? pick_len(t, c) : 1 + below(&t->rng, c->msg_size ?: 1);
		if (one_in(&t->rng, 15))
			v[i].offset = rnd(&t->rng);
		if (one_in(&t->rng, 20))
			v[i].deliveries = 1;	/* an "out" field */
	}
	switch (below(&t->rng, 10)) {
	case 0:
		cmd->info = bad_ptr(t);
		break;
	case 1:	/* a read-only vector: the kernel can read it but not write its answer */
		cmd->info = (uint64_t)(uintptr_t)t->ro;
		break;
	case 2:	/* runs into a PROT_NONE page partway */
		cmd->info = (uint64_t)(uintptr_t)t->edge + PAGE - sizeof(*v) * (1 + below(&t->rng, 2));
		break;
	default:
		cmd->info = (uint64_t)(uintptr_t)v;
		*info = v;
		break;
	}
}

/* Unused SQE fields, which a command must see as zero or refuse. */
static void hostile_sqe_fields(struct thread_ctx *t, struct io_uring_sqe *sqe)
{
	switch (below(&t->rng, 6)) {
	case 0: sqe->__pad1 = (uint32_t)rnd(&t->rng); break;
	case 1: sqe->len = (uint32_t)rnd(&t->rng); break;
	case 2: sqe->uring_cmd_flags = 1U << below(&t->rng, 32); break;
	case 3: sqe->ioprio = (uint16_t)rnd(&t->rng); break;
	case 4: sqe->addr = rnd(&t->rng); break;
	default: sqe->personality = (uint16_t)rnd(&t->rng); break;
	}
}

static uint8_t pick_flags(struct thread_ctx *t)
{
	uint8_t f = 0;

	if (!excluded(F_ASYNC) && chance(&t->rng, 12))
		f |= IOSQE_ASYNC;
	if (!excluded(F_LINK) && chance(&t->rng, 15))
		f |= one_in(&t->rng, 3) ? IOSQE_IO_HARDLINK : IOSQE_IO_LINK;
	if (!excluded(F_SKIP) && chance(&t->rng, 10))
		f |= IOSQE_CQE_SKIP_SUCCESS;
	return f;
}

/* Fill one SQE; returns whether it asked to be linked to the next. */
static bool fill_sqe(struct thread_ctx *t, struct io_uring_sqe *sqe, bool after_link,
		     char *desc, size_t desc_len)
{
	struct ring_state *rs = &t->ring;
	unsigned int idx = rs->pend_next++ % ARRAY_SIZE(rs->pend);
	struct ring_pending *pd = &rs->pend[idx];
	uint32_t r = below(&t->rng, 100);
	struct cspchan_uring_cmd cmd;
	void *info = NULL;
	struct chan c;
	uint8_t flags;

	if (!pick_chan(t, &c))
		r = 99;
	if (after_link && one_in(&t->rng, 2))
		r = 99;
	flags = pick_flags(t);
	if (r < 72) {
		unsigned int k = below(&t->rng, ARRAY_SIZE(cmds) + 1);
		uint32_t op;

		if (k == ARRAY_SIZE(cmds)) {
			static const uint32_t bad[] = {
				CSPCHAN_IOC_SEND, CSPCHAN_IOC_STAT, CSPCHAN_IOC_SELECT, 0,
				UINT32_MAX, CSPCHAN_URING_RELEASEV + 1,
			};

			op = bad[below(&t->rng, ARRAY_SIZE(bad))];
			pd->kind = OP_U_BADCMD;
			fill_payload(t, &c, one_in(&t->rng, 2), OP_U_BADCMD, &cmd, &info);
		} else {
			op = cmds[k].cmd_op;
			pd->kind = cmds[k].kind;
			fill_payload(t, &c, cmds[k].vector, cmds[k].kind, &cmd, &info);
		}
		prep_cmd(sqe, c.fd, op, &cmd);
		if (one_in(&t->rng, 12))
			hostile_sqe_fields(t, sqe);
	} else if (r < 88) {
		bool wr = r >= 82, own;
		uint32_t len = wr ? pick_len(t, &c) : c.msg_size;
		uint64_t buf = buf_ptr(t, &len, &own);

		if (wr)
			io_uring_prep_write(sqe, c.fd, (void *)(uintptr_t)buf, len,
					    one_in(&t->rng, 4) ? -1 : 0);
		else
			io_uring_prep_read(sqe, c.fd, (void *)(uintptr_t)buf, len,
					   one_in(&t->rng, 4) ? -1 : 0);
		pd->kind = wr ? OP_U_WRITE : OP_U_READ;
	} else {
		io_uring_prep_nop(sqe);
		pd->kind = OP_U_NOP;
		c.fd = -1;
	}
	if (rs->nr_files && c.fd >= -1 && pd->kind != OP_U_NOP && !excluded(F_FIXED) &&
	    chance(&t->rng, 25)) {
		flags |= IOSQE_FIXED_FILE;
		sqe->fd = below(&t->rng, rs->nr_files + 2);
	}
	sqe->flags |= flags;
	pd->fd = c.fd;
	pd->info = info;
	pd->n = cmd.len;
	io_uring_sqe_set_data64(sqe, ((uint64_t)pd->kind << UD_KIND_SHIFT) | idx);
	snprintf(desc + strlen(desc), desc_len - strlen(desc), " %s/fd %d/flags %#x",
		 op_names[pd->kind] + 6, sqe->fd, sqe->flags);
	return flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK);
}

/* Count a completion; learn the slots it handed out. */
static void completed(struct thread_ctx *t, const struct io_uring_cqe *cqe)
{
	uint64_t kind = cqe->user_data >> UD_KIND_SHIFT;
	struct ring_pending *pd = &t->ring.pend[(cqe->user_data & 0xffff) % ARRAY_SIZE(t->ring.pend)];
	const struct cspchan_slot_info *v = pd->info;
	int i, n;

	if (kind >= NR_OPS)
		return;
	count(kind, cqe->res);
	if (cqe->res <= 0 || pd->kind != (enum op_kind)kind || pd->fd < 0)
		return;
	if (kind == OP_U_ACQUIRE) {
		table_hint(t->w, pd->fd, cqe->res);
		return;
	}
	if (!v)
		return;
	if (kind == OP_U_TAKE)
		n = 1;
	else if (kind == OP_U_TAKEV || kind == OP_U_ACQUIREV)
		n = cqe->res < (int)pd->n ? cqe->res : (int)pd->n;
	else
		return;
	for (i = 0; i < n && i < CSPCHAN_SLOTV_MAX; i++)
		table_hint(t->w, pd->fd, v[i].slot);
}

/* Collect completions until none comes for a little while. */
static void collect(struct thread_ctx *t)
{
	struct io_uring *ring = &t->ring.ring;
	uint64_t until = now_ns() + (40 + below(&t->rng, 120)) * 1000000ULL;
	struct io_uring_cqe *cqe;

	while (now_ns() < until) {
		struct __kernel_timespec ts = { 0, 10 * 1000000L };
		int ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);

		if (ret == -ETIME)
			break;
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			break;
		while (io_uring_peek_cqe(ring, &cqe) == 0) {
			completed(t, cqe);
			io_uring_cqe_seen(ring, cqe);
		}
	}
}

void op_uring(struct thread_ctx *t)
{
	struct ring_state *rs = &t->ring;
	unsigned int i, n;
	bool link = false;
	char desc[200] = "";
	int ret;

	if (!rs->live || rs->uses > 150 || one_in(&t->rng, 40)) {
		ring_teardown(t);
		ring_setup(t);
		if (!rs->live)
			return;
	}
	rs->uses++;
	if (!excluded(F_FIXED) && (rs->uses == 1 ? one_in(&t->rng, 2) : one_in(&t->rng, 30)))
		register_files(t);
	n = 1 + below(&t->rng, 8);
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&rs->ring);

		if (!sqe)
			break;
		link = fill_sqe(t, sqe, link, desc, sizeof(desc));
	}
	t->op_kind = OP_U_SUBMIT;
	ret = io_uring_submit(&rs->ring);
	count(OP_U_SUBMIT, ret);
	/* io_uring_enter(2) documents these; request errors belong in CQEs. */
	if (ret < 0 && ret != -EAGAIN && ret != -EBUSY && ret != -EINTR && ret != -EBADR &&
	    ret != -EOWNERDEAD)
		finding(&sh->odd_submits, "io_uring_submit returned %d (%s) on a ring set up %#x:%s",
			ret, strerrorname_np(-ret) ?: "?", rs->setup, desc);
	collect(t);
}

/* ---- a child that parks commands and dies ------------------------------------------ */

/*
 * In a forked child: parked TAKE/TAKEV/ACQUIRE on @fd, with their info in
 * the child's slice (@area), then exit or die, while the parent sends.
 */
int child_uring_takes(struct rng *r, int fd, char *area, bool sqpoll)
{
	struct io_uring_params p;
	struct io_uring ring;
	unsigned int i, n = 1 + below(r, 8);
	int ret;

	memset(&p, 0, sizeof(p));
	if (sqpoll) {
		p.flags = IORING_SETUP_SQPOLL;
		p.sq_thread_idle = 50;
	}
	ret = io_uring_queue_init_params(16, &ring, &p);
	if (ret < 0)
		return ret;
	ret = ring_fd_move_up(&ring);
	if (ret) {
		io_uring_queue_exit(&ring);
		return ret;
	}
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct cspchan_uring_cmd c;
		uint32_t k = below(r, 10);

		memset(&c, 0, sizeof(c));
		c.info = (uint64_t)(uintptr_t)(area + AREA_INFO + i * INFO_CHUNK);
		if (k < 5) {
			prep_cmd(sqe, fd, CSPCHAN_URING_TAKE, &c);
		} else if (k < 8) {
			c.len = 1 + below(r, 4);
			prep_cmd(sqe, fd, CSPCHAN_URING_TAKEV, &c);
		} else {
			c.info = 0;
			prep_cmd(sqe, fd, CSPCHAN_URING_ACQUIRE, &c);
		}
		if (!excluded(F_ASYNC) && one_in(r, 8))
			sqe->flags |= IOSQE_ASYNC;
	}
	return io_uring_submit(&ring);
}

/*
 * SPEC 3.11 and issue 12 defect 4: a child with io_uring commands parked
 * on a shared channel exits or is killed while this thread sends to the
 * channel.  Then the child must be gone, and this process's canaries (the
 * child's slice is one here) untouched.
 */
void op_child(struct thread_ctx *t)
{
	struct chan c;
	uint64_t start;
	pid_t pid;
	int status, i, n;
	bool own, fresh = false;

	/* Mostly a fresh, empty channel, so that the child's commands park. */
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	if (one_in(&t->rng, 4)) {
		if (!pick_chan(t, &c) || c.fd < 0)
			return;
	} else {
		struct cspchan_create_req req;

		memset(&req, 0, sizeof(req));
		req.capacity = 8;
		req.msg_size = 64;
		c.msg_size = 64;
		c.fd = ioctl(t->w->ctl, CSPCHAN_IOC_CREATE, &req);
		if (c.fd < 0)
			return;
		fresh = true;
	}
	t->op_kind = OP_CHILD;
	pid = fork();
	if (pid < 0) {
		count(OP_CHILD, -errno);
		if (fresh)
			close(c.fd);
		return;
	}
	if (pid == 0) {
		struct rng r = { rnd(&t->rng) };
		char *area = slice_addr(child_slice(t->w->index));

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(20);
		child_uring_takes(&r, c.fd, area, !excluded(F_SQPOLL) && one_in(&r, 4));
		switch (below(&r, 4)) {
		case 0: _exit(0);
		case 1: raise(SIGKILL); break;
		case 2: usleep(below(&r, 50000)); _exit(0);
		default: pause(); break;
		}
		_exit(0);
	}
	usleep(below(&t->rng, 30000));
	if (one_in(&t->rng, 2)) {	/* send into the window after its exit */
		kill(pid, SIGKILL);
		start = now_ns();
		while (waitpid(pid, &status, WNOHANG) == 0 && now_ns() - start < 2000000000ULL)
			usleep(1000);
	}
	n = 1 + below(&t->rng, 8);
	for (i = 0; i < n; i++) {
		struct cspchan_xfer x;
		uint32_t len = 1 + below(&t->rng, c.msg_size < 64 ? c.msg_size : 64);

		memset(&x, 0, sizeof(x));
		x.buf = buf_ptr(t, &len, &own);
		x.len = len;
		x.timeout_ns = 5000000;
		if (own)
			memset((void *)(uintptr_t)x.buf, 'A' + i, len);
		count(OP_SEND, sys_ret(ioctl(c.fd, CSPCHAN_IOC_SEND, &x)));
		usleep(below(&t->rng, 40000));
	}
	kill(pid, SIGKILL);
	if (fresh)
		close(c.fd);
	start = now_ns();
	while (waitpid(pid, &status, WNOHANG) == 0) {	/* -1 (ECHILD) if reaped above */
		if (now_ns() - start > 15000000000ULL) {
			finding(&sh->unkillable, "child %d of worker %d (parked io_uring commands) "
				"not reaped 15 s after SIGKILL", pid, t->w->index);
			count(OP_CHILD, -ETIMEDOUT);
			return;
		}
		usleep(10000);
	}
	count(OP_CHILD, 0);
	canary_check_here("after a child with parked io_uring commands died");
}
