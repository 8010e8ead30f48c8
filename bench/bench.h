/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cspchan-bench: shared definitions.
 *
 * A *transport* is one way of moving messages between processes (a
 * cspchan channel, a pipe, a POSIX message queue, ...).  It is an entry in
 * the table in transports.c, described by struct transport: a handful of
 * operations on a struct bchan, one instance of that transport (one queue
 * of messages) created by the parent before it forks the processes that
 * use it.  A *workload* (workloads.c) is a pattern of processes and
 * messages; it only ever calls the operations below, so a new transport
 * (io_uring, zero-copy, ...) is a new table entry and nothing else.
 *
 * The message format is fixed: the first 8 bytes carry a sequence number
 * (producer index << 48 | counter), the last 8 bytes its complement (when
 * the message has room), so that receivers check order, loss, duplicates
 * and torn messages cheaply.  SEQ_STOP ends a stream.
 */
#ifndef CSPCHAN_BENCH_H
#define CSPCHAN_BENCH_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#define BENCH_DEPTH_DEFAULT	64	/* queue depth for every transport */
#define BENCH_MAX_PROCS		32	/* processes in one workload (16->16 in the scaling rows) */
#define BENCH_MAX_REPS		64
#define BENCH_MAX_BATCH		32	/* messages per send_many/recv_many */

#define SEQ_STOP	UINT64_MAX
#define SEQ_PROD_SHIFT	48
#define SEQ_COUNT_MASK	((UINT64_C(1) << SEQ_PROD_SHIFT) - 1)

/* What a process does with a bchan (struct transport.attach). */
#define ROLE_SEND	(1U << 0)
#define ROLE_RECV	(1U << 1)

/* struct transport.caps */
#define TC_MPMC		(1U << 0)	/* many processes may send and receive on one instance */
#define TC_UNBUFFERED	(1U << 1)	/* depth 0: a send completes when a receiver took it */
/*
 * Messages of one producer may arrive out of order, none more than
 * BENCH_REORDER_WINDOW places away from its own: the stream consumer then
 * checks that every stamp arrives exactly once within that window instead
 * of checking consecutive order (cspchan-uring: writes that wait for room
 * are retried in no particular order).
 */
#define TC_REORDER	(1U << 2)
/*
 * Goes through io_uring with one request per message (cspchan-uring,
 * -link, kchan-min-uring): the stream rows' note says whether io-wq
 * workers ran.
 */
#define TC_IO_URING	(1U << 3)
#define BENCH_REORDER_WINDOW	256	/* stamps; a multiple of 64 */

/*
 * struct transport.kind: what the transport is, for the README's targets.
 * A target names the kind it judges (e.g. "io_uring batched, 64 B msg/s");
 * peers are what cspchan is compared with.
 */
enum transport_kind {
	TK_PEER,	/* a facility cspchan is measured against */
	TK_COPY,	/* cspchan, read/write copy path */
	TK_URING,	/* cspchan through io_uring, batched */
	TK_ZEROCOPY,	/* cspchan, messages in the mmapped arena */
	TK_ZEROCOPY_URING,	/* both: the slot commands through io_uring */
	TK_BUSY_POLL,	/* the copy path on handles with a busy-poll budget */
};

/* Is a transport of kind `have` judged by the targets of kind `want`? */
static inline bool kind_is(enum transport_kind have, enum transport_kind want)
{
	if (have == TK_ZEROCOPY_URING)
		return want == TK_URING || want == TK_ZEROCOPY || want == have;
	return have == want;
}

/*
 * One instance of a transport: one queue of messages between processes.
 * Created in the parent (create), inherited by fork, so after the fork
 * every process has its own copy of this structure: the fields are
 * per-process state from then on (attach may fill priv).
 */
struct bchan {
	const struct transport *t;
	size_t msg_size;	/* every message has exactly this size */
	unsigned int depth;	/* in: wanted; out (create): what the instance holds */
	int fd[2];		/* transport's descriptors ([0] receive, [1] send), -1 if unused */
	long handle;		/* e.g. the mqd_t */
	void *shm;		/* shared mapping, if any */
	size_t shm_len;
	void *priv;		/* per-process state, from attach */
	uint64_t local[4];	/* per-process scratch (e.g. cached ring indices) */
	uint64_t retries;	/* per process: operations the transport had to
				 * redo after a spurious failure (reported in the
				 * row's note; e.g. -EINTR from io_uring) */
	uint64_t reordered;	/* per process: messages whose completion came
				 * after a later message's, which the transport
				 * put back in order (reported in the note) */
	uint64_t bursts[2];	/* per process: batched commands that moved
				 * messages, [0] receiving and [1] sending
				 * (cspchan-zcv-uring: TAKEVs, COMMITVs), for
				 * the note's messages per burst */
	unsigned int iowq;	/* per process: io-wq workers it had when it
				 * detached (io_uring transports; see
				 * count_iowq_workers()) */
	char note[96];		/* how depth was obtained, limits hit, ... ("" if nothing) */
};

/*
 * The transport table entry.  Every operation returns >= 0 on success and
 * -errno on failure unless said otherwise.  Only name, create, destroy and
 * one way of sending and receiving (send/recv, or the zero-copy four) are
 * required.
 */
struct transport {
	const char *name;	/* short, for the table and --only: "cspchan", "mqueue", ... */
	const char *desc;	/* one line */
	enum transport_kind kind;
	unsigned int caps;	/* TC_* */
	size_t max_msg;		/* largest message with message semantics; 0: no limit */
	size_t max_mpmc_msg;	/* largest message for TC_MPMC; 0: max_msg */
	/*
	 * Only in these workloads (comma-separated ids), or NULL: in every
	 * one it fits (a variant of another transport measured only where
	 * it differs).
	 */
	const char *workloads;

	/*
	 * Can it run here at all?  0, or -errno with a reason in why (the
	 * rows are then listed as skipped).  Called once.  Optional.
	 */
	int (*available)(char *why, size_t whylen);

	/*
	 * Create one instance for c->msg_size-byte messages and a queue of
	 * c->depth messages (0 only with TC_UNBUFFERED), before the fork.
	 * Set c->depth to what the instance really holds, and c->note when
	 * that differs from what was asked or needs explaining.  Return
	 * -EOPNOTSUPP (reason in c->note) to skip the row.
	 */
	int (*create)(struct bchan *c);
	/* In each process after the fork, before the start.  Optional. */
	int (*attach)(struct bchan *c, unsigned int roles);
	/* In each process before it exits.  Optional. */
	void (*detach)(struct bchan *c);
	/* In the parent, after every process using the instance is gone. */
	void (*destroy)(struct bchan *c);

	/* Copy path: send or receive one whole message, blocking. */
	int (*send)(struct bchan *c, const void *msg, size_t len);
	ssize_t (*recv)(struct bchan *c, void *buf, size_t len);	/* its length */

	/*
	 * Batched copy path, optional: send all n messages (each c->msg_size
	 * bytes; the buffers are the caller's again at return), or receive
	 * between 1 and n of them (returns how many; msgs[i] points at the
	 * i-th, lens[i] is its length, 0 for end of stream).  A receiver may
	 * copy into the caller's bufs[i] (then msgs[i] = bufs[i]) or point
	 * into buffers of its own, which stay valid until its next call on
	 * c (e.g. reads kept in flight through io_uring).  Used by the
	 * stream workloads instead of send/recv when present, and by the
	 * others, with n = 1, when send/recv are absent.
	 */
	int (*send_many)(struct bchan *c, void *const msgs[], unsigned int n);
	int (*recv_many)(struct bchan *c, void *const bufs[], const void *msgs[],
			 size_t lens[], unsigned int n);

	/*
	 * Zero-copy path, optional; when acquire is set the workloads use
	 * these four instead of send/recv.  acquire returns a place for a
	 * message of len bytes (blocking for a free one) and commit sends
	 * it; take returns the next message in place (blocking) with its
	 * length and release gives its place back.  NULL with errno set on
	 * failure.
	 */
	void *(*acquire)(struct bchan *c, size_t len);
	int (*commit)(struct bchan *c, void *slot, size_t len);
	const void *(*take)(struct bchan *c, size_t *len);
	int (*release)(struct bchan *c, const void *slot);

	/*
	 * Batched zero-copy path, optional, instead of or with the four
	 * above (without them, the other workloads call these with n = 1):
	 * acquire_many returns between 1 and n
	 * places for messages of len bytes in slots[] (blocking for at least
	 * one), commit_many sends n of them, in that order; take_many returns
	 * between 1 and n messages in place (blocking for at least one; 0 at
	 * end of stream), in the channel's order, and release_many gives n of
	 * them back.  Return the count or -errno.  The stream workloads use
	 * them when present, e.g. to keep a batch of io_uring commands in
	 * flight.
	 */
	int (*acquire_many)(struct bchan *c, size_t len, void *slots[], unsigned int n);
	int (*commit_many)(struct bchan *c, void *const slots[], size_t len,
			   unsigned int n);
	int (*take_many)(struct bchan *c, const void *slots[], size_t lens[],
			 unsigned int n);
	int (*release_many)(struct bchan *c, const void *const slots[], unsigned int n);
};

/* Keep the first error of a sequence in *err: -errno, or -EIO for junk. */
static inline void bench_first_error(int *err, int e)
{
	if (!*err)
		*err = e < 0 && e > -4096 ? e : -EIO;
}

extern const struct transport *const bench_transports[];
extern const unsigned int bench_nr_transports;

/* Transports (one file each). */
extern const struct transport transport_cspchan;
extern const struct transport transport_cspchan_busypoll;
extern const struct transport transport_mqueue;
extern const struct transport transport_pipe;
extern const struct transport transport_pipe_pkt;
extern const struct transport transport_seqpacket;
extern const struct transport transport_shmring;
extern const struct transport transport_shmring_zc;
extern const struct transport transport_shmring_futex;
extern const struct transport transport_kchan_min;
extern const struct transport transport_kchan_min_iter;
extern const struct transport transport_kchan_min_uring;
extern const struct transport transport_cspchan_uring;
extern const struct transport transport_cspchan_uring_link;
extern const struct transport transport_cspchan_zc;
extern const struct transport transport_cspchan_zc_uring;
extern const struct transport transport_cspchan_zcv_uring;

/* t_cspchan.c: what every cspchan transport shares. */
int cspchan_bench_available(char *why, size_t whylen, uint64_t need_features);
int cspchan_bench_create(struct bchan *c);

/* Workloads (workloads.c). */
enum workload_kind {
	WK_STREAM,	/* producers -> consumers, as fast as possible */
	WK_PINGPONG,	/* round trips between two processes */
	WK_WAKEUP,	/* one message at a time to a receiver that sleeps */
	WK_SOLO,	/* one process sends a message and receives it back */
};

struct workload {
	const char *id;		/* "tput-64", ... (row names are id/transport) */
	const char *title;	/* for the table */
	enum workload_kind kind;
	size_t msg_size;
	unsigned int producers, consumers;
	bool unbuffered;	/* depth 0 */
	bool one_cpu;		/* all its processes on one CPU, whatever --pin says */
	bool touch;		/* every payload byte written and checked, as --touch */
	unsigned int need_caps;	/* TC_* the transport must have */
	const char *only;	/* only these transports (comma-separated names), or NULL */
	const char *ref;	/* workload whose rows the ratios compare with; NULL: itself */
	/*
	 * The scaling section (README.md, "Scaling"): shorter repetitions
	 * (--scaling-reps, --scaling-time), shown in the Scaling table, not
	 * in the main one.
	 */
	bool scaling;
	/*
	 * producers == consumers pairs, each pair with an instance of its
	 * own (producer i and consumer i on instance i), instead of every
	 * process on one instance.
	 */
	bool per_pair;
};

extern const struct workload bench_workloads[];
extern const unsigned int bench_nr_workloads;

/* Where the processes of a workload run (--pin). */
enum { PIN_NONE, PIN_SPREAD, PIN_SAME };

/* Run-wide settings (main.c). */
struct bench_opts {
	unsigned int reps;
	double rep_seconds;	/* wall time of one repetition */
	double warmup_seconds;	/* 0: no warm-up */
	unsigned int depth;
	unsigned int wakeup_max;	/* messages in one wake-up repetition, at most */
	bool touch;		/* write and check every payload byte */
	int pin;		/* PIN_* */
	bool quick;
	int verbose;
	bool scaling;		/* run the scaling section (default; --no-scaling) */
	unsigned int scaling_reps;	/* repetitions of a scaling row */
	double scaling_seconds;		/* and their wall time */
	unsigned int zv_burst;		/* CSPCHAN_BENCH_ZV_BURST, 0: the default */
};
extern struct bench_opts bench_opts;

/* The outcome of one repetition (workloads.c). */
struct rep_result {
	double value;		/* msg/s (stream), p50 us (ping-pong), wake-ups/msg */
	double value2;		/* p99 us (ping-pong) */
	double csw_per_msg;	/* receivers' voluntary context switches per message */
	uint64_t msgs;		/* messages received */
	unsigned int depth;
	char note[96];
	/* Reported in the row's note, summed over its repetitions: */
	uint64_t sent;		/* messages sent (the base of the percentages) */
	uint64_t retries;	/* struct bchan.retries of every process */
	uint64_t tr_reordered;	/* struct bchan.reordered of every process */
	uint64_t bursts[2];	/* struct bchan.bursts of every process */
	uint64_t reordered;	/* TC_REORDER: messages that arrived out of stamp order */
	uint64_t max_shift;	/* TC_REORDER: the farthest from its place */
	unsigned int iowq;	/* io-wq workers, the most any process had */
};

/*
 * Run one repetition of workload w over transport t for `seconds`.
 * Return 0, -EOPNOTSUPP (skipped: reason in why) or another -errno
 * (failed: reason in why).
 */
int run_rep(const struct workload *w, const struct transport *t,
	    double seconds, struct rep_result *res, char *why, size_t whylen);

/* Helpers (util.c). */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int futex_wait(void *uaddr, uint32_t val, const struct timespec *timeout);
int futex_wake(void *uaddr, int n);
void msg_stamp(void *msg, size_t len, uint64_t seq, bool touch);
/* The message's sequence number; false if it is torn or the wrong length. */
bool msg_check(const void *msg, size_t len, size_t want, uint64_t *seq, bool touch);
int write_sysctl(const char *path, long value, long *old);
long read_sysctl(const char *path);
void bench_tune_system(unsigned int depth, size_t max_msg);
void bench_restore_system(void);
/* For transports whose descriptors keep message boundaries. */
int bchan_write_msg(struct bchan *c, const void *msg, size_t len);
ssize_t bchan_read_msg(struct bchan *c, void *buf, size_t len);
void bchan_close_fds(struct bchan *c);
/* t_cspchan_uring.c, for every io_uring transport */
int bench_uring_available(char *why, size_t whylen);
/* t_kchan_min.c, for kchan-min-uring */
int kchan_min_open(struct bchan *c, const char *name);
int kchan_min_iter_available(char *why, size_t whylen);

/* Rows: one workload over one transport (main.c), and what they measured. */
enum row_status {
	ROW_UNSELECTED,	/* not asked for (--only) */
	ROW_OK,
	ROW_SKIPPED,	/* the transport cannot do it here (why) */
	ROW_FAILED,	/* it ran and went wrong (why) */
};

struct metric {
	const char *name;	/* "msg/s", "rtt p50", "rtt p99", "wakeups/msg" */
	const char *unit;	/* "msg/s", "us", "" */
	bool higher_better;
	unsigned int n;		/* repetitions */
	double v[BENCH_MAX_REPS];
	double median, min, max, q1, q3;
	double vs_mqueue, vs_pipe;	/* relative to the reference rows (metric_ratio); NAN: none */
};

#define ROW_MAX_METRICS	2

struct row {
	const struct workload *w;
	const struct transport *t;
	enum row_status status;
	char why[160];
	unsigned int depth;
	char note[200];		/* the transport's, then what happened (see rep_result) */
	unsigned int nr_metrics;
	struct metric m[ROW_MAX_METRICS];
	double csw[BENCH_MAX_REPS];	/* receivers' voluntary switches per message */
	double csw_median;		/* NAN when not measured */
	uint64_t msgs;			/* messages moved, all repetitions */
	struct rep_result sum;		/* sent, retries, ... summed; max_shift the largest */
};

extern struct row *bench_rows;
extern unsigned int bench_nr_rows;

struct row *find_row(const char *workload, const char *transport);
double metric_ratio(const struct row *r, const struct row *ref, unsigned int k);
const char *kind_name(enum transport_kind kind);
bool workload_has_transport(const struct workload *w, const char *name);
/* io-wq worker threads ("iou-wrk-*") of the calling process (util.c). */
unsigned int count_iowq_workers(void);

/* report.c */
void report_table(FILE *f);
void report_csv(FILE *f);
void report_json(FILE *f, const char *started, double elapsed);
/* Print the targets met and not met; return how many are not met. */
unsigned int report_targets(FILE *f);

/*
 * calibrate.c: the per-operation floors that bound the io_uring figures
 * (README.md, "Calibration"), measured in one process after the rows.
 */
#define CAL_MAX_ROWS		8
#define CAL_RUNS		5	/* timed runs per floor */
#define CAL_RUN_SECONDS		0.06	/* each */
#define CAL_WARMUP_SECONDS	0.02	/* one untimed run first */

enum cal_status { CAL_OK, CAL_SKIPPED, CAL_FAILED };

struct cal_row {
	const char *id;		/* "getppid", "uring-nop", ... */
	const char *what;	/* one line */
	unsigned int per_call;	/* operations per system call (io_uring: per submit) */
	size_t msg_size;	/* bytes written per operation, 0 if none */
	enum cal_status status;
	char why[160];		/* skipped or failed: why */
	unsigned int n;		/* timed runs */
	double v[CAL_RUNS];	/* microseconds per operation, per run */
	double median, min, max, q1, q3;
	uint64_t ops;		/* operations timed, all runs */
};

/* What the floors imply (NAN where a figure is missing). */
struct cal_ceilings {
	double solo_msg_s, solo_us;	/* solo-64/cspchan, from the table */
	double copy_floor_us, copy_msg_s;	/* uring-write-devnull; 1e6 / it */
	double cmd_floor_us, zc_msg_s;	/* uring-cmd; 1e6 / (2 x it) */
	double cmd_fixed_floor_us, zc_fixed_msg_s;	/* the same, registered file */
	double mqueue_msg_s, target_msg_s;	/* tput-64/mqueue median; 2 x it */
};

extern struct cal_row bench_cal[CAL_MAX_ROWS];
extern unsigned int bench_nr_cal;
extern bool bench_cal_ran;
extern double bench_cal_seconds;
extern bool bench_calibrate_only;	/* --calibrate-only: no rows */

/* Measure the floors; return how many failed. */
unsigned int calibrate(void);
const struct cal_row *cal_find(const char *id);	/* NULL unless measured */
void cal_ceilings(struct cal_ceilings *c);
/* CSV and JSON fields (report.c): NaN is an empty field, or null. */
void report_csv_str(FILE *f, const char *s);
void report_csv_num(FILE *f, double v);
void report_csv_quantiles(FILE *f, double median, double min, double max,
			  double q1, double q3);
void report_json_str(FILE *f, const char *s);
void report_json_num(FILE *f, double v);
/* [v0, v1, ...]: @n numbers as report_json_num() writes them. */
void report_json_nums(FILE *f, const double *v, unsigned int n);
void report_calibration(FILE *f);
void report_calibration_csv(FILE *f);	/* lines in report_csv()'s columns */
void report_calibration_json(FILE *f);	/* the value of "calibration" */

/*
 * scaling.c: the rest of the scaling section, measured in one process
 * after the rows — select over 1, 8, 64 instances against poll(2) and
 * epoll over as many pipes and message queues, and the kernel memory of
 * an idle instance.
 */
#define SCALE_SELECT_MAX	64
#define SCALE_MEM_COUNT		1000	/* instances created for the memory figure */

/* Measure; return how many measurements failed. */
unsigned int scaling_measure(void);
/* Select over 64 cases: cost(64) / cost(1) for cspchan_select(); NAN if not measured. */
double scaling_select_growth(void);
void report_scaling(FILE *f);		/* the Scaling table, rows included */
void report_scaling_csv(FILE *f);	/* lines in report_csv()'s columns */
void report_scaling_json(FILE *f);	/* the value of "scaling" */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* CSPCHAN_BENCH_H */
