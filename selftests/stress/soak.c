// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan chaos soak: the orchestrator.
 *
 *	soak [-p N] [-c M] [-k K] [-i MS] [-s SEED] [DURATION]
 *
 * Creates K named channels, runs N producers and M consumers (each picks
 * a transport at every start), and for DURATION seconds acts as the chaos
 * process: every ~MS milliseconds it SIGKILLs and restarts a participant
 * or replaces a channel by a new generation (unlink, create, shut the old
 * one down; participants see EPIPE or end of stream and reopen the name).
 * Then it stops the producers, shuts every channel down, stops the
 * consumers, drains what is still queued and checks the ledger (soak.h,
 * ledger.c), the participants' errors, hangs, and that no channel and no
 * module reference was left behind.  Output is TAP; the exit status is 0
 * only if every check passed.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <ucontext.h>
#include <sys/wait.h>
#include <unistd.h>

#include "soak.h"

#define HANG_S			60	/* a call (with a timeout of 300 ms) stuck this long */
#define STOP_WAIT_S		60	/* participants must stop within this */
#define KILL_WAIT_S		30	/* a SIGKILLed process must be gone within this */
#define RETIRE_MS		500	/* a shut generation is drained and closed after */
#define PROGRESS_S		10

static const unsigned int capacities[] = { 0, 1, 2, 8, 64 };
static const unsigned int msg_sizes[] = { 64, 256, 1000, 4096, 6000 };

struct gen {
	int fd;			/* -1 once drained and closed */
	unsigned int k;
	uint64_t id;
	uint64_t retired_ns;	/* 0 while current */
};

static struct {
	unsigned int duration, kill_ms;
	int verbose;
	struct gen *gens;
	unsigned int ngens;
	struct gen *cur[SOAK_MAX_CHANS];
	uint64_t kills, holder_kills, recycles, restarts;
	uint64_t bound, bound_k[SOAK_MAX_CHANS];
	uint64_t hangs, unkillable, crashed, drain_errors;
	uint8_t *buf;
} S;

/* ---- channel generations ----------------------------------------------- */

static struct gen *gen_create(unsigned int k)
{
	struct cspchan_attr attr = {
		.capacity = capacities[soak_rand_below(sizeof(capacities) / sizeof(capacities[0]))],
		.msg_size = msg_sizes[soak_rand_below(sizeof(msg_sizes) / sizeof(msg_sizes[0]))],
		.mode = 0600,
	};
	struct cspchan_stat st;
	struct gen *g;
	int fd;

	if (S.ngens == SOAK_MAX_GENS)
		return NULL;
	/* Channel 0 is always unbuffered; the others draw a capacity (0 included). */
	if (k == 0)
		attr.capacity = 0;
	fd = cspchan_create(L->chans[k].name, &attr, O_EXCL | O_CLOEXEC);
	if (fd < 0) {
		soak_log("error: cspchan_create %s: %s", L->chans[k].name, strerror(-fd));
		return NULL;
	}
	if (cspchan_stat(fd, &st) < 0) {
		soak_log("error: cspchan_stat: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	g = &S.gens[S.ngens++];
	g->fd = fd;
	g->k = k;
	g->id = st.id;
	g->retired_ns = 0;
	L->chans[k].gen++;
	S.cur[k] = g;
	if (S.verbose)
		soak_log("channel %u generation %llu: id %llu, capacity %u, msg_size %u",
			 k, (unsigned long long)L->chans[k].gen, (unsigned long long)g->id,
			 attr.capacity, attr.msg_size);
	return g;
}

/* Shut @g down; it is drained and closed RETIRE_MS later. */
static void gen_retire(struct gen *g)
{
	int ret = cspchan_shutdown(g->fd);

	if (ret < 0 && ret != -EPIPE)
		soak_log("error: cspchan_shutdown: %s", strerror(-ret));
	g->retired_ns = soak_now_ns();
	if (S.cur[g->k] == g)
		S.cur[g->k] = NULL;
}

/* Replace channel @k by a new generation: unlink, create, shut the old down. */
static int gen_recycle(unsigned int k)
{
	struct gen *old = S.cur[k];
	int ret = cspchan_unlink(L->chans[k].name);

	if (ret < 0) {
		soak_log("error: cspchan_unlink %s: %s", L->chans[k].name, strerror(-ret));
		return ret;
	}
	if (!gen_create(k))
		return -1;
	gen_retire(old);
	S.recycles++;
	return 0;
}

/* Receive what is left in a shut-down generation, then close it. */
static void gen_drain(struct gen *g)
{
	ssize_t r;

	for (;;) {
		r = cspchan_recv_timeout(g->fd, S.buf, SOAK_RECV_BUF, 0);
		if (r <= 0)
			break;
		ledger_receive(S.buf, (size_t)r, g->id, T_DRAIN);
	}
	if (r < 0) {
		S.drain_errors++;
		soak_log("error: draining channel %llu (shut down): %s",
			 (unsigned long long)g->id, strerror((int)-r));
	}
	close(g->fd);
	g->fd = -1;
}

static void gens_drain_retired(bool all)
{
	uint64_t now = soak_now_ns();
	unsigned int i;

	for (i = 0; i < S.ngens; i++) {
		struct gen *g = &S.gens[i];

		if (g->fd >= 0 && g->retired_ns &&
		    (all || now - g->retired_ns > RETIRE_MS * 1000000ULL))
			gen_drain(g);
	}
}

/* ---- participants ---------------------------------------------------------- */

/*
 * A participant that faults says where, before it dies of it: a kernel
 * that writes into the wrong process's memory shows up this way.  On an
 * alternate stack, in case the stack was what got overwritten.
 */
static void fault_handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	char line[200];
	int n;

	n = snprintf(line, sizeof(line), "# FAIL: pid %d: signal %d at address %p, rip %#llx, rsp %#llx\n",
		     (int)getpid(), sig, si->si_addr,
		     (unsigned long long)uc->uc_mcontext.gregs[REG_RIP],
		     (unsigned long long)uc->uc_mcontext.gregs[REG_RSP]);
	if (write(2, line, (size_t)n) < 0)
		_exit(128 + sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void fault_handler_install(void)
{
	static char altstack[65536];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaltstack(&ss, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
}

static void child_main(int me, uint64_t seed)
{
	struct soak_part *p = &L->parts[me];
	pid_t parent = getppid();
	unsigned int i;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(98);
	/* The orchestrator's generation handles are not the child's to hold. */
	for (i = 0; i < S.ngens; i++)
		if (S.gens[i].fd >= 0)
			close(S.gens[i].fd);
	soak_rand_seed(seed);
	fault_handler_install();
	if (p->role == ROLE_PRODUCER) {
		if (p->transport == T_URING)
			uring_producer_run(me);
		else
			producer_run(me);
	} else {
		if (p->transport == T_URING)
			uring_consumer_run(me);
		else
			consumer_run(me);
	}
	_exit(0);
}

static const char *part_name(int me, char *buf, size_t size)
{
	struct soak_part *p = &L->parts[me];

	snprintf(buf, size, "%s %d (%s/%d, pid %d)",
		 p->role == ROLE_PRODUCER ? "producer" : "consumer", me,
		 soak_transport_names[p->transport], p->variant, (int)p->pid);
	return buf;
}

static void part_spawn(int me)
{
	struct soak_part *p = &L->parts[me];
	uint64_t seed = L->seed ^ ((uint64_t)me << 48) ^ ((uint64_t)p->incarnation << 20);
	const char *force = getenv(p->role == ROLE_PRODUCER ? "SOAK_PRODUCER_TRANSPORT" :
				   "SOAK_CONSUMER_TRANSPORT");
	unsigned int k;
	pid_t pid;

	p->transport = (int)soak_rand_below(T_NR);
	if (force) {
		for (k = 0; k < T_NR; k++)
			if (!strcmp(force, soak_transport_names[k]))
				p->transport = (int)k;
	}
	p->variant = (int)soak_rand_below(3);
	p->may_hold = 0;
	for (k = 0; k < SOAK_MAX_CHANS; k++)
		p->may_hold_k[k] = 0;
	p->inflight = 0;
	p->busy_since = 0;
	p->busy_op = OP_NONE;
	p->hang_reported = 0;
	p->incarnation++;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		soak_log("fork: %s", strerror(errno));
		exit(2);
	}
	if (pid == 0)
		child_main(me, seed);
	p->pid = pid;
}

/* What a dead participant may have held goes into the loss bound. */
static void part_account_death(int me)
{
	struct soak_part *p = &L->parts[me];
	unsigned int k;

	S.bound += p->may_hold;
	for (k = 0; k < SOAK_MAX_CHANS; k++)
		S.bound_k[k] += p->may_hold_k[k];
	if (p->may_hold)
		S.holder_kills++;
	p->pid = 0;
}

/* Print the kernel stack of @pid (root only), for hang reports. */
static void show_stack(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/stack", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && n++ < 24) {
		line[strcspn(line, "\n")] = '\0';
		soak_log("    %s", line);
	}
	fclose(f);
}

/* Reap @pid within @seconds; true if it is gone. */
static bool reap_within(pid_t pid, unsigned int seconds, int *status)
{
	uint64_t deadline = soak_now_ns() + seconds * 1000000000ULL;

	do {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return true;
		if (r < 0)
			return true;
		soak_sleep_ms(2);
	} while (soak_now_ns() < deadline);
	return false;
}

static void part_kill(int me)
{
	struct soak_part *p = &L->parts[me];
	char name[96];
	int status;

	part_name(me, name, sizeof(name));
	kill(p->pid, SIGKILL);
	if (!reap_within(p->pid, KILL_WAIT_S, &status)) {
		S.unkillable++;
		soak_log("FAIL: %s still alive %d s after SIGKILL; kernel stack:", name, KILL_WAIT_S);
		show_stack(p->pid);
		if (!reap_within(p->pid, 600, &status)) {
			soak_log("FAIL: %s never died; giving up", name);
			exit(1);
		}
	}
	S.kills++;
	part_account_death(me);
}

/* Participants that exited on their own (they should not). */
static void reap_exited(bool restart)
{
	unsigned int me;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		char name[96];

		for (me = 0; me < nparts() && L->parts[me].pid != pid; me++)
			;
		if (me == nparts())
			continue;
		part_name((int)me, name, sizeof(name));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			S.crashed++;
			soak_log("FAIL: %s died: %s %d", name,
				 WIFEXITED(status) ? "exit status" : "signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		}
		part_account_death((int)me);
		if (restart) {
			part_spawn((int)me);
			S.restarts++;
		}
	}
}

/* A call that should have timed out long ago. */
static void watchdog(void)
{
	uint64_t now = soak_now_ns();
	unsigned int me;

	for (me = 0; me < nparts(); me++) {
		struct soak_part *p = &L->parts[me];
		uint64_t since = ATOMIC_LOAD(&p->busy_since);
		char name[96];

		if (!p->pid || !since || since >= now || p->hang_reported ||
		    now - since < HANG_S * 1000000000ULL)
			continue;
		p->hang_reported = 1;
		S.hangs++;
		soak_log("FAIL: %s stuck in %s for %llu s (%u io_uring commands in flight); kernel stack:",
			 part_name((int)me, name, sizeof(name)), soak_op_names[p->busy_op],
			 (unsigned long long)((now - since) / 1000000000ULL), p->inflight);
		show_stack(p->pid);
	}
}

/* Wait until every participant of @role has exited, at most @seconds. */
static unsigned int wait_role(int role, unsigned int seconds)
{
	uint64_t deadline = soak_now_ns() + seconds * 1000000000ULL;
	unsigned int me, left;

	for (;;) {
		reap_exited(false);
		left = 0;
		for (me = 0; me < nparts(); me++)
			if (L->parts[me].role == role && L->parts[me].pid)
				left++;
		if (!left || soak_now_ns() > deadline)
			return left;
		soak_sleep_ms(5);
	}
}

/* Report and kill the participants of @role that did not stop. */
static void kill_stragglers(int role, const char *why)
{
	unsigned int me;
	char name[96];

	for (me = 0; me < nparts(); me++) {
		struct soak_part *p = &L->parts[me];

		if (p->role != role || !p->pid)
			continue;
		S.hangs++;
		soak_log("FAIL: %s did not stop %s (in %s, %u io_uring commands in flight); kernel stack:",
			 part_name((int)me, name, sizeof(name)), why,
			 soak_op_names[p->busy_op], p->inflight);
		show_stack(p->pid);
		part_kill((int)me);
		S.kills--;	/* not a chaos kill */
	}
}

/* ---- the run ----------------------------------------------------------------- */

static uint64_t total(const uint64_t *v)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < T_NR_ALL; i++)
		t += v[i];
	return t;
}

static void progress(uint64_t start)
{
	soak_log("t=%llus: received %llu, sent %llu, kills %llu, recycles %llu, errors %llu",
		 (unsigned long long)((soak_now_ns() - start) / 1000000000ULL),
		 (unsigned long long)total(L->c.received), (unsigned long long)total(L->c.sent),
		 (unsigned long long)S.kills, (unsigned long long)S.recycles,
		 (unsigned long long)L->c.errors);
}

/*
 * Known defect (issue 12, item 4): the parked io_uring TAKEs of a killed
 * process may be completed into another process's memory.  With
 * SOAK_SKIP_KNOWN=1, io_uring consumers that park TAKEs are not killed.
 */
static bool spare(int me)
{
	struct soak_part *p = &L->parts[me];

	return L->skip_known && p->role == ROLE_CONSUMER && p->transport == T_URING &&
	       p->variant % 3 != 2;	/* CV_READ parks no TAKE */
}

static void chaos(void)
{
	uint64_t start = soak_now_ns();
	uint64_t end = start + S.duration * 1000000000ULL;
	uint64_t next_progress = start + PROGRESS_S * 1000000000ULL;

	while (soak_now_ns() < end) {
		unsigned int dice;

		soak_sleep_ms(S.kill_ms / 2 + soak_rand_below(S.kill_ms + 1));
		reap_exited(true);
		dice = soak_rand_below(100);
		if (dice < 80) {
			int me = (int)soak_rand_below(nparts());

			if (!spare(me)) {
				part_kill(me);
				part_spawn(me);
			}
		} else if (dice < 92) {
			gen_recycle(soak_rand_below(L->nchans));
		}
		gens_drain_retired(false);
		watchdog();
		if (soak_now_ns() >= next_progress) {
			progress(start);
			next_progress += PROGRESS_S * 1000000000ULL;
		}
	}
}

static void stop_all(void)
{
	unsigned int k;

	ATOMIC_STORE(&L->stop_producers, 1);
	if (wait_role(ROLE_PRODUCER, STOP_WAIT_S)) {
		for (k = 0; k < L->nchans; k++)
			if (S.cur[k])
				gen_retire(S.cur[k]);
		kill_stragglers(ROLE_PRODUCER, "within 60 s of the stop");
	}
	ATOMIC_STORE(&L->stop_consumers, 1);
	/* End of stream everywhere: blocked receivers and parked TAKEs return. */
	for (k = 0; k < L->nchans; k++) {
		cspchan_unlink(L->chans[k].name);
		if (S.cur[k])
			gen_retire(S.cur[k]);
	}
	if (wait_role(ROLE_CONSUMER, STOP_WAIT_S))
		kill_stragglers(ROLE_CONSUMER, "within 60 s of the shutdown of every channel");
	gens_drain_retired(true);
}

/* ---- final checks -------------------------------------------------------------- */

/* How many of our generations /proc/cspchan still lists (-1: unreadable). */
static int proc_leftovers(bool show)
{
	char line[512];
	unsigned long long id;
	int left = 0;
	unsigned int i;
	FILE *f = fopen("/proc/cspchan", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu", &id) != 1)
			continue;
		for (i = 0; i < S.ngens; i++) {
			if (S.gens[i].id == id) {
				left++;
				if (show)
					soak_log("left behind: %s", strtok(line, "\n"));
			}
		}
	}
	fclose(f);
	return left;
}

static int module_refcnt(void)
{
	FILE *f = fopen("/sys/module/cspchan/refcnt", "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static unsigned int tap_n;
static unsigned int tap_failed;

static void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	fflush(stderr);
	printf("%sok %u ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		tap_failed++;
}

static void report(uint64_t elapsed_ns, int refcnt_start)
{
	struct soak_verdict v;
	uint64_t deadline;
	bool per_chan_ok = true;
	int left, refcnt;
	unsigned int k, t;

	ledger_verdict(&v);
	for (k = 0; k < L->nchans; k++) {
		if (v.lost_k[k] > S.bound_k[k]) {
			per_chan_ok = false;
			soak_log("channel %u: %llu lost, but killed holders held at most %llu",
				 k, (unsigned long long)v.lost_k[k], (unsigned long long)S.bound_k[k]);
		}
	}
	deadline = soak_now_ns() + 10 * 1000000000ULL;
	while ((left = proc_leftovers(false)) > 0 && soak_now_ns() < deadline)
		soak_sleep_ms(20);
	if (left > 0)
		proc_leftovers(true);
	refcnt = module_refcnt();
	while (refcnt != refcnt_start && soak_now_ns() < deadline) {
		soak_sleep_ms(20);
		refcnt = module_refcnt();
	}

	soak_log("duration %.1f s, %u producers, %u consumers, %u channels, seed %llu",
		 (double)elapsed_ns / 1e9, L->nprod, L->ncons, L->nchans,
		 (unsigned long long)L->seed);
	soak_log("messages moved %llu (%.0f/s); sent %llu, failed sends %llu, by killed senders %llu (%llu of them delivered)",
		 (unsigned long long)v.delivered, (double)v.delivered * 1e9 / (double)elapsed_ns,
		 (unsigned long long)v.sent, (unsigned long long)v.failed,
		 (unsigned long long)v.killed_senders, (unsigned long long)v.killed_sender_delivered);
	for (t = 0; t < T_NR_ALL; t++)
		soak_log("  %-8s sent %llu, received %llu", soak_transport_names[t],
			 (unsigned long long)L->c.sent[t], (unsigned long long)L->c.received[t]);
	soak_log("kills survived %llu (%llu holding messages), restarts after a crash %llu, channel shutdowns/recreations %llu (generations %u)",
		 (unsigned long long)S.kills, (unsigned long long)S.holder_kills,
		 (unsigned long long)S.restarts, (unsigned long long)S.recycles, S.ngens);
	soak_log("lost %llu (bound %llu), duplicates %llu, corrupted %llu, misdelivered %llu, unknown ids %llu, failed sends delivered %llu",
		 (unsigned long long)v.lost, (unsigned long long)S.bound,
		 (unsigned long long)v.dups, (unsigned long long)L->c.corrupt,
		 (unsigned long long)L->c.misdelivered, (unsigned long long)(L->c.unknown + v.unattempted),
		 (unsigned long long)v.phantoms);
	soak_log("end-of-stream/EPIPE reopens %llu, ids exhausted %llu, spurious EINTR %llu, participant errors %llu, hangs %llu, unkillable %llu, crashed %llu",
		 (unsigned long long)L->c.eos, (unsigned long long)L->c.exhausted,
		 (unsigned long long)L->c.eintr,
		 (unsigned long long)L->c.errors, (unsigned long long)S.hangs,
		 (unsigned long long)S.unkillable, (unsigned long long)S.crashed);

	printf("1..8\n");
	tap(v.delivered > 0 && total(L->c.sent) > 0, "soak: messages moved (%llu)",
	    (unsigned long long)v.delivered);
	tap(v.lost <= S.bound && per_chan_ok, "soak: lost %llu <= %llu held by killed receivers",
	    (unsigned long long)v.lost, (unsigned long long)S.bound);
	tap(v.dups == 0 && v.phantoms == 0 && v.unattempted == 0 && L->c.unknown == 0,
	    "soak: no duplicates (%llu), no failed send delivered (%llu)",
	    (unsigned long long)v.dups, (unsigned long long)v.phantoms);
	tap(L->c.corrupt == 0 && L->c.misdelivered == 0,
	    "soak: no corrupted (%llu) or misdelivered (%llu) message",
	    (unsigned long long)L->c.corrupt, (unsigned long long)L->c.misdelivered);
	tap(L->c.errors == 0 && S.crashed == 0 && S.drain_errors == 0 && L->c.uring_mismatch == 0,
	    "soak: no unexpected errors (%llu)",
	    (unsigned long long)(L->c.errors + S.crashed + S.drain_errors + L->c.uring_mismatch));
	tap(S.hangs == 0 && S.unkillable == 0, "soak: no hang (%llu), every kill took (%llu unkillable)",
	    (unsigned long long)S.hangs, (unsigned long long)S.unkillable);
	tap(left == 0, "soak: every channel generation is gone from /proc/cspchan (%d left)", left);
	tap(refcnt == refcnt_start, "soak: module refcount back to %d (%d)", refcnt_start, refcnt);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: soak [-p PRODUCERS] [-c CONSUMERS] [-k CHANNELS] [-i CHAOS_MS] [-s SEED] [-v] [DURATION]\n"
		"  DURATION seconds (default $DURATION, else 60); defaults 4 producers, 4 consumers,\n"
		"  4 channels, a chaos action every ~200 ms; SOAK_PRODUCER_TRANSPORT /\n"
		"  SOAK_CONSUMER_TRANSPORT=copy|zerocopy|uring|select pin the transports;\n"
		"  SOAK_SKIP_KNOWN=1 avoids the paths of known kernel defects (issue 12).\n");
}

static unsigned int env_uint(const char *name, unsigned int def)
{
	const char *s = getenv(name);

	return s && *s ? (unsigned int)strtoul(s, NULL, 0) : def;
}

int main(int argc, char **argv)
{
	unsigned int nprod = env_uint("SOAK_PRODUCERS", 4), ncons = env_uint("SOAK_CONSUMERS", 4);
	unsigned int nchans = env_uint("SOAK_CHANNELS", 4);
	uint64_t seed = env_uint("SOAK_SEED", 0), ids, start;
	struct cspchan_features f;
	int opt, refcnt_start;
	unsigned int k, me;

	S.duration = env_uint("DURATION", 60);
	S.kill_ms = env_uint("SOAK_CHAOS_MS", 200);
	while ((opt = getopt(argc, argv, "p:c:k:i:s:vh")) != -1) {
		switch (opt) {
		case 'p': nprod = (unsigned int)atoi(optarg); break;
		case 'c': ncons = (unsigned int)atoi(optarg); break;
		case 'k': nchans = (unsigned int)atoi(optarg); break;
		case 'i': S.kill_ms = (unsigned int)atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'v': S.verbose = 1; break;
		default: usage(); return opt == 'h' ? 0 : 2;
		}
	}
	if (optind < argc)
		S.duration = (unsigned int)atoi(argv[optind]);
	if (!nprod || !ncons || !nchans || nchans > SOAK_MAX_CHANS ||
	    nprod + ncons > SOAK_MAX_PARTS || !S.duration || !S.kill_ms) {
		usage();
		return 2;
	}
	if (!seed)
		seed = soak_now_ns() ^ ((uint64_t)getpid() << 32);
	soak_rand_seed(seed);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");

	if (cspchan_features(&f) < 0) {
		printf("1..0 # SKIP %s: %s (cspchan.ko not loaded?)\n", CSPCHAN_DEVICE, strerror(errno));
		return 4;
	}
	refcnt_start = module_refcnt();

	/* Generous: a select producer uses up to K ids per message sent. */
	ids = (uint64_t)S.duration * 12000 + (1 << 20);
	L = ledger_create(nprod, ncons, nchans, ids);
	S.gens = calloc(SOAK_MAX_GENS, sizeof(*S.gens));
	S.buf = malloc(SOAK_RECV_BUF);
	if (!L || !S.gens || !S.buf) {
		printf("1..0 # SKIP out of memory\n");
		return 4;
	}
	L->seed = seed;
	L->skip_known = (int)env_uint("SOAK_SKIP_KNOWN", 0);
#ifdef SOAK_FAULTS
	{
		const char *fault = getenv("SOAK_FAULT");
		static const char *const names[] = { "none", "drop", "dup", "corrupt", "phantom" };

		for (k = 0; fault && k < 5; k++)
			if (!strcmp(fault, names[k]))
				L->fault = (int)k;
		soak_log("checker fault injected: %s", names[L->fault]);
	}
#endif
	soak_log("soak: seed %llu, duration %u s, %u producers, %u consumers, %u channels, chaos every ~%u ms",
		 (unsigned long long)seed, S.duration, nprod, ncons, nchans, S.kill_ms);

	for (k = 0; k < nchans; k++) {
		snprintf(L->chans[k].name, CSPCHAN_NAME_MAX, "soak-%d-%u", (int)getpid(), k);
		cspchan_unlink(L->chans[k].name);
		if (!gen_create(k)) {
			printf("1..0 # SKIP cannot create channels\n");
			return 4;
		}
	}
	for (me = 0; me < nparts(); me++) {
		L->parts[me].role = me < nprod ? ROLE_PRODUCER : ROLE_CONSUMER;
		part_spawn((int)me);
	}

	start = soak_now_ns();
	L->start_ns = start;
	chaos();
	stop_all();
	report(soak_now_ns() - start, refcnt_start);
	return tap_failed ? 1 : 0;
}
