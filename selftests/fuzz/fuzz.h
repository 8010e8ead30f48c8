/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cspchan fuzzer: what the supervisor (main.c), the worker processes
 * (worker.c), their ioctl operations (ops.c) and their io_uring operations
 * (ring.c) share.
 *
 * Memory the kernel may write into is confined to one "canary region" at
 * the same fixed address in every process (REGION_BASE).  It is cut into
 * slices; a process uses exactly one slice for every buffer it hands to
 * the kernel (its own), and every other slice is a canary in that process:
 * filled with an address-derived pattern and never handed to the kernel.
 * If the kernel completes a dead process's request by writing "to its
 * buffer" through another process's address space, the write lands in that
 * other process's copy of the dead process's slice, and the pattern check
 * (canary_scan) sees it.
 */
#ifndef CSPCHAN_FUZZ_H
#define CSPCHAN_FUZZ_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>

#include <linux/cspchan.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE		4096UL

/* ---- the canary region ---------------------------------------------------- */

#define REGION_BASE	0x3c5a00000000UL
#define SLICE_USABLE	(256UL << 10)		/* buffers of one process */
#define SLICE_GUARD	(64UL << 10)		/* PROT_NONE in every process */
#define SLICE_SIZE	(SLICE_USABLE + SLICE_GUARD)
#define MAX_WORKERS	8
#define MAX_THREADS	4
/* Slice 0 is never used; 1 + w is worker w's; 1 + MAX_WORKERS + w its children's. */
#define NR_SLICES	(1 + 2 * MAX_WORKERS)
#define REGION_SIZE	(NR_SLICES * SLICE_SIZE)

static inline char *slice_addr(unsigned int slice)
{
	return (char *)(REGION_BASE + slice * SLICE_SIZE);
}

static inline unsigned int worker_slice(unsigned int w)
{
	return 1 + w;
}

static inline unsigned int child_slice(unsigned int w)
{
	return 1 + MAX_WORKERS + w;
}

static inline bool in_region(uint64_t addr)
{
	return addr >= REGION_BASE && addr < REGION_BASE + REGION_SIZE;
}

/*
 * One thread's part of a slice (SLICE_USABLE / MAX_THREADS bytes): a
 * message buffer, room for one ioctl argument, select cases, and info
 * vectors for io_uring commands (a parked command keeps its chunk).
 */
#define AREA_SIZE	(SLICE_USABLE / MAX_THREADS)
#define AREA_MSG	0
#define AREA_MSG_LEN	(32UL << 10)
#define AREA_ARG	(32UL << 10)
#define AREA_CASES	(36UL << 10)
#define AREA_CASES_LEN	(4UL << 10)
#define AREA_INFO	(40UL << 10)
#define INFO_CHUNK	(3UL << 10)
#define INFO_CHUNKS	8

/* Address-derived so that a copied or shifted page does not match either. */
static inline uint64_t canary_word(uint64_t addr)
{
	uint64_t x = (addr ^ 0x5ca1ab1ecafef00dULL) * 0x9e3779b97f4a7c15ULL;

	return x ^ (x >> 29);
}

void canary_fill(unsigned int slice);
/* First changed byte outside the slices in @own (-1 terminated list): 0 if none. */
uint64_t canary_scan(const int *own, uint64_t *found, uint64_t *expected);

/* ---- random numbers (splitmix64: one state word, reproducible) ------------ */

struct rng {
	uint64_t s;
};

static inline uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint32_t below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd(r) % n) : 0;
}

static inline bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 1000) < percent * 10;
}

/* One in @n. */
static inline bool one_in(struct rng *r, unsigned int n)
{
	return below(r, n) == 0;
}

static inline uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
	struct rng r = { seed ^ (a << 48) ^ (b << 24) ^ c };

	rnd(&r);
	return rnd(&r) ^ a ^ (b << 8);
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- operation kinds and the shared tally --------------------------------- */

#define OP_KINDS(X)							\
	X(FEATURES, "ioctl FEATURES")	X(CREATE, "ioctl CREATE")	\
	X(OPEN, "ioctl OPEN")		X(UNLINK, "ioctl UNLINK")	\
	X(SELECT, "ioctl SELECT")	X(SEND, "ioctl SEND")		\
	X(RECV, "ioctl RECV")		X(SHUTDOWN, "ioctl SHUTDOWN")	\
	X(STAT, "ioctl STAT")		X(ACQUIRE, "ioctl ACQUIRE")	\
	X(COMMIT, "ioctl COMMIT")	X(TAKE, "ioctl TAKE")		\
	X(RELEASE, "ioctl RELEASE")	X(BADIOCTL, "ioctl unknown")	\
	X(READ, "read")			X(WRITE, "write")		\
	X(POLL, "poll")			X(CLOSE, "close")		\
	X(DUP, "dup")			X(FCNTL, "fcntl")		\
	X(OPENDEV, "open device")	X(MMAP, "mmap")			\
	X(MTOUCH, "mapping touched")	X(EMFILE, "create at fd limit")	\
	X(CHILD, "child with parked cmds") X(EXIT, "worker exit")	\
	X(RING, "ring setup")		X(REGFILES, "register files")	\
	X(U_ACQUIRE, "uring ACQUIRE")	X(U_COMMIT, "uring COMMIT")	\
	X(U_TAKE, "uring TAKE")		X(U_RELEASE, "uring RELEASE")	\
	X(U_ACQUIREV, "uring ACQUIREV")	X(U_COMMITV, "uring COMMITV")	\
	X(U_TAKEV, "uring TAKEV")	X(U_RELEASEV, "uring RELEASEV")	\
	X(U_BADCMD, "uring unknown cmd") X(U_READ, "uring READ")	\
	X(U_WRITE, "uring WRITE")	X(U_NOP, "uring NOP")		\
	X(U_SUBMIT, "uring submit")	X(ACK, "ioctl ACK")		\
	X(NACK, "ioctl NACK")		X(DEADLETTER, "ioctl SET_DEADLETTER") \
	X(SETRATE, "ioctl SET_RATE")

#define OP_ENUM(name, text) OP_##name,
enum op_kind { OP_KINDS(OP_ENUM) NR_OPS };
#undef OP_ENUM

extern const char *const op_names[NR_OPS];

/* Families that can be switched off (-x LIST / FUZZ_EXCLUDE=LIST). */
enum feature {
	F_ASYNC, F_SQPOLL, F_DEFER, F_LINK, F_SKIP, F_FIXED, F_URING,
	F_MMAP, F_SELECT, F_CHILD, F_EMFILE, F_KILL, F_EXIT, F_BLOCK,
	NR_FEATURES
};

extern const char *const feature_names[NR_FEATURES];

#define ERRNO_SLOTS	136		/* errno 1..134; the last counts the rest */
#define MAX_FINDINGS	48
#define FINDING_LEN	240

/* Anonymous MAP_SHARED page(s) made before the first fork. */
struct shared {
	uint64_t seed;
	uint64_t iter_limit;		/* 0: none */
	uint64_t deadline_ns;		/* CLOCK_MONOTONIC; workers stop there */
	int stop;
	int nr_workers;
	int nr_threads;
	unsigned int excluded;		/* 1 << enum feature */
	char prefix[24];		/* of every name the fuzzer may create */
	int inherited[8];		/* the supervisor's anonymous channels */
	int nr_inherited;

	uint64_t ops_total;
	uint64_t calls[NR_OPS];
	uint64_t ok[NR_OPS];
	uint64_t errs[NR_OPS][ERRNO_SLOTS];
	uint64_t canary_scans;
	uint64_t signals_sent;		/* to threads stuck in a call */

	/* Findings: each line once; counts by kind. */
	uint64_t canary_hits;
	uint64_t hangs;
	uint64_t name_leaks;
	uint64_t unkillable;
	uint64_t sigpipes;
	uint64_t odd_submits;		/* io_uring_enter errors it does not document */
	unsigned int nr_findings;
	char findings[MAX_FINDINGS][FINDING_LEN];
};

extern struct shared *sh;

static inline bool excluded(enum feature f)
{
	return sh->excluded & (1U << f);
}

static inline void count(enum op_kind k, long ret)
{
	__atomic_fetch_add(&sh->calls[k], 1, __ATOMIC_RELAXED);
	if (ret >= 0) {
		__atomic_fetch_add(&sh->ok[k], 1, __ATOMIC_RELAXED);
	} else {
		long e = -ret;

		if (e <= 0 || e >= ERRNO_SLOTS)
			e = ERRNO_SLOTS - 1;
		__atomic_fetch_add(&sh->errs[k][e], 1, __ATOMIC_RELAXED);
	}
}

void finding(uint64_t *counter, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- worker state (worker.c) ---------------------------------------------- */

#define MAX_CHANS	24

/*
 * Descriptor ranges.  A table handle is moved to CHAN_FD_MIN or above
 * before other threads can see its number, and a ring to RING_FD_MIN or
 * above: a ring is created at the lowest free number, below CHAN_FD_MIN,
 * so it never takes a closed handle's number that another thread may
 * still pick (README.md, Known).
 */
#define CHAN_FD_MIN	300
#define RING_FD_MIN	900
#define MAX_HINTS	8
#define NR_POOL_NAMES	8

/* A channel handle a worker holds; copied out under the table lock. */
struct chan {
	int fd;				/* -1: free entry */
	uint32_t capacity;
	uint32_t msg_size;
	uint32_t nr_slots;
	uint32_t slot_size;
	uint64_t arena_size;
	void *map;			/* an mmap of it, or NULL */
	size_t map_len;
	int map_prot;
	uint32_t hints[MAX_HINTS];	/* slots it was handed, maybe stale */
	unsigned int nr_hints;
};

struct ring_pending {
	enum op_kind kind;
	int fd;
	void *info;			/* in the own slice, or NULL */
	unsigned int n;
};

/* One io_uring of one thread, set up one of several ways. */
struct ring_state {
	struct io_uring ring;
	bool live;
	unsigned int setup;		/* IORING_SETUP_* it was made with */
	unsigned int nr_files;		/* registered */
	unsigned int uses;
	struct ring_pending pend[64];
	unsigned int pend_next;
	unsigned int info_next;
};

struct worker;

struct thread_ctx {
	struct worker *w;
	int index;
	struct rng rng;
	char *area;			/* AREA_SIZE bytes of the own slice */
	char *ro;			/* a read-only page */
	char *edge;			/* the last page before a PROT_NONE one */
	char *noaccess;			/* a PROT_NONE page */
	volatile uint64_t op_start;	/* ns, 0 between operations */
	volatile int op_kind;
	volatile int hang_reported;
	uint64_t last_lease;		/* the last lease a receive returned */
	pthread_t tid;
	struct ring_state ring;
};

struct worker {
	int index;
	int gen;
	int slice;
	int ctl;			/* /dev/cspchan */
	int efd;			/* an eventfd: a descriptor of the wrong kind */
	struct cspchan_features feat;
	pthread_mutex_t lock;		/* guards chans */
	struct chan chans[MAX_CHANS];
	struct thread_ctx threads[MAX_THREADS];
};

void worker_main(int index, int gen) __attribute__((noreturn));

/* Helpers for operations (worker.c). */
long sys_ret(long ret);			/* ret, or -errno when ret is -1 */
bool pick_chan(struct thread_ctx *t, struct chan *out);
int hostile_fd(struct thread_ctx *t);
void table_add(struct worker *w, int fd);
void table_hint(struct worker *w, int fd, uint32_t slot);
bool table_remove(struct thread_ctx *t, struct chan *out);
void table_set_map(struct worker *w, int fd, void *map, size_t len, int prot);
uint32_t pick_slot(struct thread_ctx *t, const struct chan *c);
uint32_t pick_len(struct thread_ctx *t, const struct chan *c);
int64_t pick_timeout(struct thread_ctx *t);
void pick_name(struct thread_ctx *t, char name[CSPCHAN_NAME_MAX]);
void *arg_ptr(struct thread_ctx *t, const void *tmpl, size_t size, bool *own);
uint64_t buf_ptr(struct thread_ctx *t, uint32_t *len, bool *own);
uint64_t bad_ptr(struct thread_ctx *t);
void mutate(struct thread_ctx *t, void *p, size_t size);
bool touch_mapping(void *map, size_t len, int prot, struct rng *r);
bool canary_check_here(const char *when);

/* ops.c and ring.c: one random operation of that family. */
void op_ioctl_ctl(struct thread_ctx *t);
void op_ioctl_chan(struct thread_ctx *t);
void op_file(struct thread_ctx *t);
void op_mmap(struct thread_ctx *t);
void op_select(struct thread_ctx *t);
void op_emfile(struct thread_ctx *t);
void op_uring(struct thread_ctx *t);
void op_child(struct thread_ctx *t);
void ring_teardown(struct thread_ctx *t);
int child_uring_takes(struct rng *r, int fd, char *area, bool sqpoll);

#endif /* CSPCHAN_FUZZ_H */
