// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan fuzzer: a worker process.
 *
 * A worker keeps a table of channel handles (its own, the supervisor's
 * inherited anonymous ones, and named ones of the fuzz's name pool that
 * every worker opens), and runs a few threads that each pick random
 * operations on them, with arguments biased toward valid-looking values:
 * real descriptors, slots the kernel handed out, small lengths, boundary
 * values, now and then a non-zero reserved field or a hostile pointer.
 *
 * Its main thread is a watchdog: it interrupts (SIGUSR1, no SA_RESTART)
 * any call that has been blocked for a while, reports one that stays
 * blocked through the signals, and scans the canary slices.
 */
#include "fuzz.h"

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define POKE_NS		(300ULL * 1000000)	/* interrupt a call blocked this long */
#define HANG_NS		(20ULL * 1000000000)	/* and report it after this */
#define SCAN_NS		(200ULL * 1000000)

static struct worker the_worker;
static int own_slices[2] = { -1, -1 };
static pid_t thread_tids[MAX_THREADS];

static __thread sigjmp_buf touch_jmp;
static __thread volatile sig_atomic_t touching;

/* ---- signals ------------------------------------------------------------------ */

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (touching) {
		touching = 0;
		siglongjmp(touch_jmp, 1);
	}
	/* Not ours to tolerate: die of it, so that the supervisor reports it. */
	signal(sig, SIG_DFL);
}

static void on_poke(int sig)
{
	(void)sig;
}

static void on_sigpipe(int sig)
{
	(void)sig;
	__atomic_fetch_add(&sh->sigpipes, 1, __ATOMIC_RELAXED);
}

static void setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_poke;	/* no SA_RESTART: blocked calls fail with EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_sigpipe;	/* SPEC 3.5: EPIPE, never SIGPIPE */
	sigaction(SIGPIPE, &sa, NULL);
	signal(SIGIO, SIG_IGN);
	signal(SIGURG, SIG_IGN);
}

/* Read every page of a mapping (and write some when writable); false if it faulted. */
bool touch_mapping(void *map, size_t len, int prot, struct rng *r)
{
	volatile char *p = map;
	bool ok = true;
	size_t off, step = len > 64 * PAGE ? len / 64 : PAGE;

	touching = 1;
	if (sigsetjmp(touch_jmp, 1) == 0) {
		for (off = 0; off < len; off += step) {
			char v = p[off];

			if ((prot & PROT_WRITE) && one_in(r, 2))
				p[off] = v ^ (char)rnd(r);
		}
	} else {
		ok = false;
	}
	touching = 0;
	return ok;
}

/* ---- canary --------------------------------------------------------------------- */

static const char *slice_owner(unsigned int s, char *buf, size_t len)
{
	if (s == 0)
		snprintf(buf, len, "never used");
	else if (s <= MAX_WORKERS)
		snprintf(buf, len, "buffers of worker %u", s - 1);
	else
		snprintf(buf, len, "buffers of worker %u's children", s - 1 - MAX_WORKERS);
	return buf;
}

/* /proc/PID/pagemap's entry for @addr (bit 63 present, 56 exclusive, 0-54 PFN), or 0. */
static uint64_t pagemap_entry(pid_t pid, uint64_t addr)
{
	char path[64];
	uint64_t e = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (off_t)(addr / PAGE * 8)) != sizeof(e))
		e = 0;
	close(fd);
	return e;
}

static uint64_t kpagecount(uint64_t entry)
{
	uint64_t n = UINT64_MAX, pfn = entry & ((1ULL << 55) - 1);
	int fd = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !(entry >> 63))
		goto out;
	if (pread(fd, &n, sizeof(n), (off_t)(pfn * 8)) != sizeof(n))
		n = UINT64_MAX;
out:
	if (fd >= 0)
		close(fd);
	return n;
}

/*
 * What kind of change a canary finding is: how much of the page changed,
 * whether it is still changed a moment later, and which physical page this
 * process and the supervisor (which filled the region before forking, and
 * never writes it again) map there, with the supervisor's copy's state.
 */
static void canary_explain(uint64_t at)
{
	const uint64_t *page = (const uint64_t *)(uintptr_t)(at & ~(PAGE - 1));
	uint64_t buf[PAGE / 8], self, super;
	unsigned int i, first = PAGE, last = 0, n = 0, theirs = 0;
	struct iovec local = { buf, PAGE }, remote = { (void *)page, PAGE };
	pid_t sup = getppid();
	ssize_t got;

	for (i = 0; i < PAGE / 8; i++) {
		if (page[i] == canary_word((uint64_t)(uintptr_t)&page[i]))
			continue;
		n++;
		first = first < i * 8 ? first : i * 8;
		last = i * 8;
	}
	usleep(2000);
	for (i = 0; i < PAGE / 8; i++)
		theirs += page[i] != canary_word((uint64_t)(uintptr_t)&page[i]);
	self = pagemap_entry(getpid(), (uint64_t)(uintptr_t)page);
	super = pagemap_entry(sup, (uint64_t)(uintptr_t)page);
	got = process_vm_readv(sup, &local, 1, &remote, 1, 0);
	for (i = 0; got == (ssize_t)PAGE && i < PAGE / 8; i++)
		if (buf[i] != canary_word((uint64_t)(uintptr_t)&page[i]))
			break;
	fprintf(stderr, "# canary page %p: %u words changed (+%#x..+%#x), %u still changed 2 ms "
		"later; pagemap here %#" PRIx64 " (count %" PRIu64 "), supervisor %d's %#" PRIx64
		" (count %" PRIu64 ") %s\n", (void *)page, n, first, last, theirs, self,
		kpagecount(self), (int)sup, super, kpagecount(super),
		got != (ssize_t)PAGE ? "unreadable" : i == PAGE / 8 ? "intact" : "changed too");
	for (i = 0; i < 4; i++)
		fprintf(stderr, "#   +%#x: %016" PRIx64 " %016" PRIx64 "\n", first + 16 * i,
			page[(first / 8 + 2 * i) % (PAGE / 8)],
			page[(first / 8 + 2 * i + 1) % (PAGE / 8)]);
}

/* Scan this process's canaries; report and repair a change.  True if clean. */
bool canary_check_here(const char *when)
{
	uint64_t found, expected, at = canary_scan(own_slices, &found, &expected);
	unsigned int s;
	char who[64];

	if (!at)
		return true;
	s = (at - REGION_BASE) / SLICE_SIZE;
	finding(&sh->canary_hits, "canary changed in pid %d (worker %d, gen %d) at %#" PRIx64
		" (slice %u, %s, +%#" PRIx64 "): %016" PRIx64 " instead of %016" PRIx64 "; seen %s",
		getpid(), the_worker.index, the_worker.gen, at, s,
		slice_owner(s, who, sizeof(who)), at - (uint64_t)(uintptr_t)slice_addr(s),
		found, expected, when);
	canary_explain(at);
	canary_fill(s);
	return false;
}

/* ---- the channel table ---------------------------------------------------------- */

long sys_ret(long ret)
{
	return ret == -1 ? -errno : ret;
}

/* Learn a handle's geometry with STAT, and keep it (closing a random one if full). */
void table_add(struct worker *w, int fd)
{
	struct cspchan_info info;
	struct chan *c = NULL;
	int i, start;

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, CSPCHAN_IOC_STAT, &info) < 0) {
		close(fd);
		return;
	}
	if (fd < CHAN_FD_MIN) {		/* keeping its close-on-exec flag */
		int cloexec = fcntl(fd, F_GETFD) & FD_CLOEXEC;
		int high = fcntl(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, CHAN_FD_MIN);

		close(fd);
		if (high < 0)
			return;
		fd = high;
	}
	pthread_mutex_lock(&w->lock);
	start = rand() % MAX_CHANS;
	for (i = 0; i < MAX_CHANS && !c; i++)
		if (w->chans[(start + i) % MAX_CHANS].fd < 0)
			c = &w->chans[(start + i) % MAX_CHANS];
	if (!c) {	/* racing close: whoever uses the victim now gets EBADF or a reused fd */
		c = &w->chans[start];
		if (c->map)
			munmap(c->map, c->map_len);
		close(c->fd);
	}
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->capacity = info.capacity;
	c->msg_size = info.msg_size;
	c->nr_slots = info.nr_slots;
	c->slot_size = info.slot_size;
	c->arena_size = info.arena_size;
	pthread_mutex_unlock(&w->lock);
}

static struct chan *table_find(struct worker *w, int fd)
{
	int i;

	for (i = 0; i < MAX_CHANS; i++)
		if (w->chans[i].fd == fd)
			return &w->chans[i];
	return NULL;
}

void table_hint(struct worker *w, int fd, uint32_t slot)
{
	struct chan *c;

	pthread_mutex_lock(&w->lock);
	c = table_find(w, fd);
	if (c)
		c->hints[c->nr_hints++ % MAX_HINTS] = slot;
	pthread_mutex_unlock(&w->lock);
}

void table_set_map(struct worker *w, int fd, void *map, size_t len, int prot)
{
	struct chan *c;

	pthread_mutex_lock(&w->lock);
	c = table_find(w, fd);
	if (c && !c->map) {
		c->map = map;
		c->map_len = len;
		c->map_prot = prot;
		map = NULL;
	}
	pthread_mutex_unlock(&w->lock);
	if (map)
		munmap(map, len);
}

static struct chan *table_random(struct thread_ctx *t)
{
	int i, start = below(&t->rng, MAX_CHANS);

	for (i = 0; i < MAX_CHANS; i++) {
		struct chan *c = &t->w->chans[(start + i) % MAX_CHANS];

		if (c->fd >= 0)
			return c;
	}
	return NULL;
}

/* Take a random handle out of the table; the caller closes it. */
bool table_remove(struct thread_ctx *t, struct chan *out)
{
	struct chan *c;

	pthread_mutex_lock(&t->w->lock);
	c = table_random(t);
	if (c) {
		*out = *c;
		c->fd = -1;
		c->map = NULL;
	}
	pthread_mutex_unlock(&t->w->lock);
	return c;
}

/* A descriptor that is not a channel handle (never 0, 1 or 2). */
int hostile_fd(struct thread_ctx *t)
{
	switch (below(&t->rng, 7)) {
	case 0: return -1;
	case 1: return t->w->ctl;
	case 2: return t->w->efd;
	case 3: return 0x7fffffff;
	case 4: return 1000 + below(&t->rng, 24);
	/*
	 * Never an io_uring descriptor: on Debian's 6.1 an IORING_OP_READ of
	 * a DEFER_TASKRUN ring on its own descriptor deadlocks the kernel
	 * with no cspchan involved (repro/ring_selfpoll_lockup.c).
	 */
	case 5: return t->w->efd;
	default: return -(int)below(&t->rng, 100) - 2;
	}
}

/*
 * A handle to operate on: usually a copy of a table entry (which another
 * thread may close at any moment), sometimes a descriptor of the wrong kind.
 */
bool pick_chan(struct thread_ctx *t, struct chan *out)
{
	struct chan *c;

	if (one_in(&t->rng, 12)) {
		memset(out, 0, sizeof(*out));
		out->fd = hostile_fd(t);
		out->msg_size = 64;
		out->nr_slots = 4;
		out->slot_size = 64;
		out->arena_size = PAGE;
		return true;
	}
	pthread_mutex_lock(&t->w->lock);
	c = table_random(t);
	if (c)
		*out = *c;
	pthread_mutex_unlock(&t->w->lock);
	return c;
}

/* ---- argument generators ---------------------------------------------------------- */

uint32_t pick_slot(struct thread_ctx *t, const struct chan *c)
{
	uint32_t r = below(&t->rng, 100);

	if (r < 60 && c->nr_hints)
		return c->hints[below(&t->rng, c->nr_hints < MAX_HINTS ? c->nr_hints : MAX_HINTS)];
	if (r < 80)
		return below(&t->rng, c->nr_slots ?: 1);
	if (r < 85)
		return c->nr_slots;
	if (r < 90)
		return c->nr_slots ? c->nr_slots - 1 : 0;
	if (r < 95)
		return UINT32_MAX;
	return (uint32_t)rnd(&t->rng);
}

uint32_t pick_len(struct thread_ctx *t, const struct chan *c)
{
	uint32_t r = below(&t->rng, 100), m = c->msg_size ?: 64;

	if (r < 50)
		return 1 + below(&t->rng, m < 64 ? m : 64);
	if (r < 65)
		return m;
	if (r < 70)
		return m + 1;
	if (r < 75)
		return 0;
	if (r < 80)
		return c->slot_size;
	if (r < 83)
		return UINT32_MAX;
	if (r < 86)
		return 1U << below(&t->rng, 32);
	return below(&t->rng, m + 2);
}

int64_t pick_timeout(struct thread_ctx *t)
{
	uint32_t r = below(&t->rng, 100);
	bool block = !excluded(F_BLOCK);

	if (r < 35)
		return 0;
	if (r < 70)
		return (int64_t)(1 + below(&t->rng, 20)) * 1000000;
	if (r < 78)
		return 1 + below(&t->rng, 1000);
	if (r < 84)
		return block ? -1 : 0;
	if (r < 87)
		return INT64_MIN;
	if (r < 90)
		return block ? INT64_MAX : 1;
	if (r < 96)
		return 100000000;
	return block ? 2000000000 : 0;
}

static const char name_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

static void valid_tail(struct thread_ctx *t, char *p, size_t n)
{
	while (n--)
		*p++ = name_chars[below(&t->rng, sizeof(name_chars) - 1)];
}

/*
 * A name: mostly one of the pool's (every worker uses the same few, so
 * they collide), sometimes an invalid or boundary one.  Every name that
 * could be valid starts with the run's prefix, so the supervisor can find
 * and remove them afterwards.
 */
void pick_name(struct thread_ctx *t, char name[CSPCHAN_NAME_MAX])
{
	size_t pl = strlen(sh->prefix), len;
	uint32_t r = below(&t->rng, 100);

	memset(name, 0, CSPCHAN_NAME_MAX);
	if (r < 55) {
		snprintf(name, CSPCHAN_NAME_MAX, "%sp%u", sh->prefix, below(&t->rng, NR_POOL_NAMES));
	} else if (r < 63) {
		memcpy(name, sh->prefix, pl);
		valid_tail(t, name + pl, 1 + below(&t->rng, 8));
	} else if (r < 71) {	/* random bytes, never a valid name: the first byte is not */
		len = below(&t->rng, CSPCHAN_NAME_MAX + 1);
		for (size_t i = 0; i < len; i++)
			name[i] = (char)rnd(&t->rng);
		if (len)
			name[0] = (char)(1 + below(&t->rng, 0x2c));
	} else if (r < 76) {
		/* "": anonymous on create, invalid elsewhere */
	} else if (r < 81) {	/* the longest valid name */
		memcpy(name, sh->prefix, pl);
		valid_tail(t, name + pl, CSPCHAN_NAME_MAX - 1 - pl);
	} else if (r < 86) {	/* 64 bytes, no NUL */
		memcpy(name, sh->prefix, pl);
		valid_tail(t, name + pl, CSPCHAN_NAME_MAX - pl);
	} else if (r < 91) {	/* a pool name with one bad byte */
		static const char bad[] = "/ \xff*\n%";

		snprintf(name, CSPCHAN_NAME_MAX, "%sp%u", sh->prefix, below(&t->rng, NR_POOL_NAMES));
		name[below(&t->rng, strlen(name))] = bad[below(&t->rng, sizeof(bad) - 1)];
		if (strspn(name, name_chars) == strlen(name) || name[0] == 'f')
			name[0] = '/';
	} else if (r < 95) {	/* a pool name, then garbage after its NUL */
		snprintf(name, CSPCHAN_NAME_MAX, "%sp%u", sh->prefix, below(&t->rng, NR_POOL_NAMES));
		len = strlen(name) + 1;
		for (; len < CSPCHAN_NAME_MAX; len++)
			name[len] = (char)rnd(&t->rng);
	} else {
		snprintf(name, CSPCHAN_NAME_MAX, "%s%s", sh->prefix,
			 one_in(&t->rng, 2) ? ".." : "-");
	}
}

/* Change a few bytes or one word of @p now and then. */
void mutate(struct thread_ctx *t, void *p, size_t size)
{
	unsigned char *b = p;
	unsigned int n;

	if (chance(&t->rng, 8)) {
		for (n = 1 + below(&t->rng, 3); n; n--)
			b[below(&t->rng, size)] = (unsigned char)rnd(&t->rng);
	} else if (chance(&t->rng, 4) && size >= 4) {
		uint32_t v = (uint32_t)rnd(&t->rng);

		memcpy(b + 4 * below(&t->rng, size / 4), &v, 4);
	}
}

/* A pointer the kernel must refuse (EFAULT), never into the canary region. */
uint64_t bad_ptr(struct thread_ctx *t)
{
	uint64_t v;

	switch (below(&t->rng, 10)) {
	case 0: return 0;
	case 1: return 1 + below(&t->rng, 4095);
	case 2: return (uint64_t)(uintptr_t)t->noaccess + below(&t->rng, PAGE);
	case 3: return 0xffffffff81000000ULL;
	case 4: return 0xffff888000000000ULL + below(&t->rng, 1 << 20) * PAGE;
	case 5: return 0x0000800000000000ULL;
	case 6: return 0xdead000000000100ULL;
	case 7: return UINT64_MAX - below(&t->rng, 64);
	case 8: return 0x10000 - PAGE;
	default:
		do
			v = rnd(&t->rng) & 0x00007ffffffff000ULL;
		while (in_region(v));
		return v;
	}
}

/*
 * A buffer of *@len bytes: mostly the thread's message buffer in its own
 * slice (*@own), else a read-only page, a page that ends in a PROT_NONE
 * one, or a bad pointer.  A length larger than the message buffer moves
 * it to the edge page, so that the kernel faults before it could run
 * past the own slice.
 */
uint64_t buf_ptr(struct thread_ctx *t, uint32_t *len, bool *own)
{
	uint32_t r = below(&t->rng, 100);
	char *msg = t->area + AREA_MSG;

	*own = false;
	if (r < 76 && *len <= AREA_MSG_LEN) {
		uint32_t slack = AREA_MSG_LEN - *len;

		*own = true;
		return (uint64_t)(uintptr_t)(msg + (one_in(&t->rng, 4) ? below(&t->rng, slack + 1) : 0));
	}
	if (r < 84)
		return (uint64_t)(uintptr_t)t->ro + below(&t->rng, 64);
	if (r < 92 || *len > AREA_MSG_LEN)
		return (uint64_t)(uintptr_t)t->edge + PAGE - (*len < PAGE ? *len / 2 + 1 : 1);
	return bad_ptr(t);
}

/*
 * mutate() may turn a pointer field (a receive's buffer, a select's cases)
 * into an address in the canary region: the kernel would write there, in
 * this process, and the canary would report the fuzzer's own doing.  A
 * word that mutate() changed into a region address is put back.
 */
static void keep_out_of_region(void *arg, const void *tmpl, size_t size)
{
	size_t off;

	for (off = 0; off + 8 <= size; off += 8) {
		uint64_t v, was;

		memcpy(&v, (char *)arg + off, 8);
		memcpy(&was, (const char *)tmpl + off, 8);
		if (v != was && in_region(v))
			memcpy((char *)arg + off, &was, 8);
	}
}

/*
 * The argument of an ioctl: a copy of @tmpl (now and then mutated) in the
 * own slice (*@own, then the kernel's answer can be read back there), or
 * in a read-only page, straddling a PROT_NONE page, misaligned, or a bad
 * pointer.
 */
void *arg_ptr(struct thread_ctx *t, const void *tmpl, size_t size, bool *own)
{
	uint32_t r = below(&t->rng, 100);
	char *arg = t->area + AREA_ARG;

	*own = false;
	if (r < 82 || size > PAGE / 2) {
		*own = true;
		memcpy(arg, tmpl, size);
		mutate(t, arg, size);
		keep_out_of_region(arg, tmpl, size);
		return arg;
	}
	if (r < 87) {
		*own = true;
		arg += 1 + below(&t->rng, 7);
		memcpy(arg, tmpl, size);
		return arg;
	}
	if (r < 91) {
		mprotect(t->ro, PAGE, PROT_READ | PROT_WRITE);
		memcpy(t->ro, tmpl, size);
		mprotect(t->ro, PAGE, PROT_READ);
		return t->ro;
	}
	if (r < 95) {
		char *p = t->edge + PAGE - size / 2;

		memcpy(p, tmpl, size / 2);
		return p;
	}
	return (void *)(uintptr_t)bad_ptr(t);
}

/* ---- threads -------------------------------------------------------------------- */

static void op_exit(struct thread_ctx *t)
{
	count(OP_EXIT, 0);
	canary_check_here("before a voluntary exit");
	(void)t;
	_exit(0);	/* with whatever is parked, mapped or held */
}

struct weighted {
	unsigned int weight;		/* in 1/10000 */
	void (*op)(struct thread_ctx *t);
	int feature;			/* -1: always */
};

static const struct weighted ops[] = {
	{ 2900, op_ioctl_chan, -1 },
	{ 1200, op_ioctl_ctl, -1 },
	{ 1400, op_file, -1 },
	{ 800, op_select, F_SELECT },
	{ 600, op_mmap, F_MMAP },
	{ 3000, op_uring, F_URING },
	{ 60, op_child, F_CHILD },
	{ 15, op_emfile, F_EMFILE },
	{ 2, op_exit, F_EXIT },
};

static void one_op(struct thread_ctx *t)
{
	uint32_t r = below(&t->rng, 10000);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		if (r < ops[i].weight) {
			if (ops[i].feature < 0 || !excluded(ops[i].feature))
				ops[i].op(t);
			return;
		}
		r -= ops[i].weight;
	}
}

static void *thread_main(void *arg)
{
	struct thread_ctx *t = arg;
	struct timespec idle = { 0, 100 * 1000000L };

	thread_tids[t->index] = (pid_t)syscall(SYS_gettid);
	for (;;) {
		uint64_t n;

		if (__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
			nanosleep(&idle, NULL);
			continue;
		}
		n = __atomic_add_fetch(&sh->ops_total, 1, __ATOMIC_RELAXED);
		if ((sh->iter_limit && n >= sh->iter_limit) || now_ns() >= sh->deadline_ns)
			__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
		t->op_start = now_ns();
		t->hang_reported = 0;
		one_op(t);
		t->op_start = 0;
	}
	return NULL;
}

static void thread_init(struct worker *w, struct thread_ctx *t, int i)
{
	char *pages = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (pages == MAP_FAILED)
		_exit(3);
	memset(t, 0, sizeof(*t));
	t->w = w;
	t->index = i;
	t->rng.s = mix_seed(sh->seed, w->index + 1, w->gen, i);
	t->area = slice_addr(w->slice) + i * AREA_SIZE;
	memset(pages, 0xa5, 2 * PAGE);
	t->ro = pages;
	t->edge = pages + PAGE;
	t->noaccess = pages + 3 * PAGE;
	mprotect(t->ro, PAGE, PROT_READ);
	mprotect(pages + 2 * PAGE, 2 * PAGE, PROT_NONE);
}

static void watchdog(struct worker *w)
{
	struct timespec tick = { 0, 50 * 1000000L };
	uint64_t next_scan = 0;
	int i;

	for (;;) {
		uint64_t now;

		nanosleep(&tick, NULL);
		now = now_ns();
		for (i = 0; i < sh->nr_threads; i++) {
			struct thread_ctx *t = &w->threads[i];
			uint64_t start = t->op_start;

			if (!start || now <= start || now - start < POKE_NS)
				continue;
			pthread_kill(t->tid, SIGUSR1);
			__atomic_fetch_add(&sh->signals_sent, 1, __ATOMIC_RELAXED);
			if (now - start > HANG_NS && !t->hang_reported && t->op_start == start) {
				char path[64], stack[512] = "";
				FILE *f;

				t->hang_reported = 1;
				snprintf(path, sizeof(path), "/proc/self/task/%d/stack", thread_tids[i]);
				f = fopen(path, "r");
				if (f) {
					size_t n = fread(stack, 1, sizeof(stack) - 1, f);

					stack[n] = 0;
					for (char *p = stack; *p; p++)
						if (*p == '\n')
							*p = ' ';
					fclose(f);
				}
				finding(&sh->hangs, "worker %d thread %d blocked %.1f s in %s despite "
					"signals: %.140s", w->index, i, (now - start) / 1e9,
					op_names[t->op_kind], stack);
			}
		}
		if (now >= next_scan) {
			canary_check_here("by the watchdog");
			next_scan = now + SCAN_NS;
		}
	}
}

void worker_main(int index, int gen)
{
	struct worker *w = &the_worker;
	pthread_attr_t attr;
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setup_signals();
	memset(w, 0, sizeof(*w));
	w->index = index;
	w->gen = gen;
	w->slice = worker_slice(index);
	own_slices[0] = w->slice;
	srand((unsigned int)mix_seed(sh->seed, index, gen, 99));
	pthread_mutex_init(&w->lock, NULL);
	for (i = 0; i < MAX_CHANS; i++)
		w->chans[i].fd = -1;
	w->ctl = open(CSPCHAN_DEVICE, O_RDWR | O_CLOEXEC);
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->ctl < 0 || ioctl(w->ctl, CSPCHAN_IOC_FEATURES, &w->feat) < 0)
		_exit(3);
	for (i = 0; i < sh->nr_inherited; i++)
		table_add(w, sh->inherited[i]);
	for (i = 0; i < 3; i++) {	/* the pool names that exist already */
		struct cspchan_name_req req;
		int fd;

		memset(&req, 0, sizeof(req));
		req.oflags = O_RDWR | O_NONBLOCK | O_CLOEXEC;
		snprintf(req.name, sizeof(req.name), "%sp%d", sh->prefix, (index + i) % NR_POOL_NAMES);
		fd = ioctl(w->ctl, CSPCHAN_IOC_OPEN, &req);
		if (fd >= 0)
			table_add(w, fd);
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (i = 0; i < sh->nr_threads; i++) {
		thread_init(w, &w->threads[i], i);
		if (pthread_create(&w->threads[i].tid, &attr, thread_main, &w->threads[i]))
			_exit(3);
	}
	watchdog(w);
	_exit(0);
}
