// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan fuzzer: the supervisor.
 *
 * It maps the canary region (fuzz.h), creates a few anonymous channels
 * every worker inherits, forks the workers, SIGKILLs random ones and
 * respawns them until the time or operation budget is spent, kills them
 * all, and then checks what a hostile workload must not be able to do:
 * change a canary, survive SIGKILL, leave a channel or a module reference
 * behind.  Prints TAP (no plan: run.sh adds its own checks and the plan)
 * and the operation counts.
 *
 * Usage: fuzz [-s SEED] [-i ITER] [-d SECONDS] [-w WORKERS] [-t THREADS]
 *             [-k KILLS_PER_MILLE_PER_TICK] [-x FEATURE,...]
 * Environment: FUZZ_SEED, ITER, DURATION, FUZZ_WORKERS, FUZZ_THREADS,
 * FUZZ_EXCLUDE (the same, for the flags not given).
 */
#include "fuzz.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>

#define TICK_MS		50
#define KILL_REAP_MS	15000		/* a killed process must be gone by then */
#define FINAL_REAP_MS	30000
#define SETTLE_MS	15000		/* channels and module references to go */
#define PROGRESS_S	10

#define OP_NAME(name, text) [OP_##name] = text,
const char *const op_names[NR_OPS] = { OP_KINDS(OP_NAME) };
#undef OP_NAME

const char *const feature_names[NR_FEATURES] = {
	[F_ASYNC] = "async", [F_SQPOLL] = "sqpoll", [F_DEFER] = "defer",
	[F_LINK] = "link", [F_SKIP] = "skip", [F_FIXED] = "fixed",
	[F_URING] = "uring", [F_MMAP] = "mmap", [F_SELECT] = "select",
	[F_CHILD] = "child", [F_EMFILE] = "emfile", [F_KILL] = "kill",
	[F_EXIT] = "exit", [F_BLOCK] = "block",
};

struct shared *sh;

struct slot {
	pid_t pid;			/* 0: none */
	int gen;
	uint64_t killed_at;		/* ns; 0 unless we sent SIGKILL */
	bool stuck_reported;
};

static struct slot slots[MAX_WORKERS];
static uint64_t kills, respawns, exits, slowest_reap_ns;
static unsigned int crashes;
static int tap_n, tap_failed;

void finding(uint64_t *counter, const char *fmt, ...)
{
	char line[FINDING_LEN];
	unsigned int i;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (counter)
		__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "# finding: %s\n", line);
	i = __atomic_fetch_add(&sh->nr_findings, 1, __ATOMIC_RELAXED);
	if (i < MAX_FINDINGS)
		memcpy(sh->findings[i], line, sizeof(line));
}

void canary_fill(unsigned int slice)
{
	uint64_t *p = (uint64_t *)slice_addr(slice);
	size_t i;

	for (i = 0; i < SLICE_USABLE / 8; i++)
		p[i] = canary_word((uint64_t)(uintptr_t)&p[i]);
}

uint64_t canary_scan(const int *own, uint64_t *found, uint64_t *expected)
{
	unsigned int s;
	size_t i, k;

	__atomic_fetch_add(&sh->canary_scans, 1, __ATOMIC_RELAXED);
	for (s = 0; s < NR_SLICES; s++) {
		const uint64_t *p = (const uint64_t *)slice_addr(s);
		bool mine = false;

		for (k = 0; own[k] >= 0; k++)
			mine |= own[k] == (int)s;
		if (mine)
			continue;
		for (i = 0; i < SLICE_USABLE / 8; i++) {
			uint64_t want = canary_word((uint64_t)(uintptr_t)&p[i]);

			if (p[i] != want) {
				*found = p[i];
				*expected = want;
				return (uint64_t)(uintptr_t)&p[i];
			}
		}
	}
	return 0;
}

static void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!ok)
		tap_failed++;
	printf("%s %d fuzz: ", ok ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* ---- diagnostics ------------------------------------------------------------- */

static void print_file(const char *path, const char *indent, int max_lines)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (max_lines-- > 0 && fgets(line, sizeof(line), f))
		printf("%s%s", indent, line);
	fclose(f);
}

/* Every thread of @pid: name, state, and kernel stack. */
static void dump_task(pid_t pid)
{
	char path[96], comm[64] = "?";
	struct dirent *de;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d) {
		printf("#   pid %d: no /proc entry\n", pid);
		return;
	}
	while ((de = readdir(d))) {
		char stat[512] = "";

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stat", pid, de->d_name);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(stat, sizeof(stat), f))
				stat[0] = 0;
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/comm", pid, de->d_name);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%63s", comm) != 1)
				strcpy(comm, "?");
			fclose(f);
		}
		printf("#   pid %d task %s (%s) state %c, kernel stack:\n", pid, de->d_name,
		       comm, strrchr(stat, ')') ? strrchr(stat, ')')[2] : '?');
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stack", pid, de->d_name);
		print_file(path, "#     ", 24);
	}
	closedir(d);
}

/* Tasks in uninterruptible sleep and io_uring threads, anywhere. */
static void dump_stuck_tasks(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[64], stat[512], *p;
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(stat, sizeof(stat), f);
		fclose(f);
		if (!p || !(p = strrchr(stat, ')')))
			continue;
		if (p[2] == 'D' || strstr(stat, "(iou-") || strstr(stat, "io_uring"))
			dump_task(atoi(de->d_name));
	}
	closedir(d);
}

/* ---- /proc/cspchan ----------------------------------------------------------- */

struct proc_chan {
	uint64_t id;
	char name[CSPCHAN_NAME_MAX];
};

static int proc_read(struct proc_chan *out, int max)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/cspchan", "r");

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {	/* header */
		fclose(f);
		return 0;
	}
	while (n < max && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNu64 " %63s", &out[n].id, out[n].name) == 2)
			n++;
	}
	fclose(f);
	return n;
}

#define MAX_PROC 8192
static struct proc_chan before[MAX_PROC], after[MAX_PROC];
static int nr_before;

static bool existed_before(uint64_t id)
{
	int i;

	for (i = 0; i < nr_before; i++)
		if (before[i].id == id)
			return true;
	return false;
}

static bool has_prefix(const char *name)
{
	return strncmp(name, sh->prefix, strlen(sh->prefix)) == 0;
}

/*
 * Channels of the fuzz left: *named ones (with the prefix, or a name a
 * mutation made valid without it), *anon(ymous) ones.  In the guest the
 * fuzz runs alone: every channel created since it started is its own.
 */
static void leftovers(int *named, int *anon, bool print)
{
	int i, n = proc_read(after, MAX_PROC);

	*named = *anon = 0;
	for (i = 0; i < n; i++) {
		if (has_prefix(after[i].name))
			++*named;
		else if (existed_before(after[i].id))
			continue;
		else if (strcmp(after[i].name, "-"))
			++*named;
		else
			++*anon;
		if (print)
			printf("#   left: id %" PRIu64 " name %s\n", after[i].id, after[i].name);
	}
}

static int unlink_prefixed(int ctl)
{
	int i, n = proc_read(after, MAX_PROC), done = 0;

	for (i = 0; i < n; i++) {
		struct cspchan_name_req req;

		if (!has_prefix(after[i].name) &&
		    (existed_before(after[i].id) || !strcmp(after[i].name, "-")))
			continue;
		memset(&req, 0, sizeof(req));
		snprintf(req.name, sizeof(req.name), "%s", after[i].name);
		if (ioctl(ctl, CSPCHAN_IOC_UNLINK, &req) == 0)
			done++;
	}
	return done;
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

/* ---- workers ------------------------------------------------------------------- */

static void spawn(int i)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("# fork");
		return;
	}
	if (pid == 0)
		worker_main(i, slots[i].gen);
	slots[i].pid = pid;
	slots[i].killed_at = 0;
	slots[i].stuck_reported = false;
	slots[i].gen++;
}

static int slot_of(pid_t pid)
{
	int i;

	for (i = 0; i < sh->nr_workers; i++)
		if (slots[i].pid == pid)
			return i;
	return -1;
}

/* Collect every child that has ended; respawn workers unless @final. */
static void reap(bool final)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int i = slot_of(pid);

		if (i >= 0 && slots[i].killed_at) {
			uint64_t took = now_ns() - slots[i].killed_at;

			if (took > slowest_reap_ns)
				slowest_reap_ns = took;
		}
		if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL &&
		    WTERMSIG(status) != SIGALRM) {
			crashes++;
			finding(NULL, "process %d (%s) died of signal %d (%s)", pid,
				i >= 0 ? "worker" : "worker's child", WTERMSIG(status),
				strsignal(WTERMSIG(status)));
		} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
			crashes++;
			finding(NULL, "process %d (%s) exited with status %d", pid,
				i >= 0 ? "worker" : "worker's child", WEXITSTATUS(status));
		} else if (WIFEXITED(status) && i >= 0) {
			exits++;
		}
		if (i < 0)
			continue;
		slots[i].pid = 0;
		if (!final && !__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
			spawn(i);
			respawns++;
		}
	}
}

static void kill_one(struct rng *r)
{
	int i = below(r, sh->nr_workers);

	if (!slots[i].pid || slots[i].killed_at)
		return;
	if (kill(slots[i].pid, SIGKILL) == 0) {
		slots[i].killed_at = now_ns();
		kills++;
	}
}

/* A killed worker that is still there after KILL_REAP_MS is a finding. */
static void check_stuck(void)
{
	int i;

	for (i = 0; i < sh->nr_workers; i++) {
		struct slot *s = &slots[i];

		if (!s->pid || !s->killed_at || s->stuck_reported ||
		    now_ns() - s->killed_at < KILL_REAP_MS * 1000000ULL)
			continue;
		s->stuck_reported = true;
		finding(&sh->unkillable, "worker %d (pid %d) not reaped %d s after SIGKILL",
			i, s->pid, KILL_REAP_MS / 1000);
		dump_task(s->pid);
	}
}

static void supervise(struct rng *r, unsigned int kill_permille)
{
	uint64_t start = now_ns(), next_progress = start + PROGRESS_S * 1000000000ULL;
	struct timespec tick = { 0, TICK_MS * 1000000L };

	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		nanosleep(&tick, NULL);
		reap(false);
		check_stuck();
		if (!excluded(F_KILL) && below(r, 1000) < kill_permille)
			kill_one(r);
		if (now_ns() >= sh->deadline_ns)
			__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
		if (now_ns() >= next_progress) {
			printf("# %3" PRIu64 " s: %" PRIu64 " operations, %" PRIu64 " kills, %" PRIu64
			       " voluntary exits, %" PRIu64 " findings\n",
			       (uint64_t)((now_ns() - start) / 1000000000ULL),
			       __atomic_load_n(&sh->ops_total, __ATOMIC_RELAXED), kills, exits,
			       (uint64_t)sh->nr_findings);
			fflush(stdout);
			next_progress += PROGRESS_S * 1000000000ULL;
		}
	}
}

/* Kill every worker (and, as subreaper, every orphaned grandchild). */
static bool kill_all_and_reap(uint64_t *took_ns)
{
	uint64_t start = now_ns();
	struct timespec tick = { 0, 10 * 1000000L };
	int i;

	for (i = 0; i < sh->nr_workers; i++) {
		if (slots[i].pid && kill(slots[i].pid, SIGKILL) == 0) {
			if (!slots[i].killed_at)
				slots[i].killed_at = now_ns();
		}
	}
	for (;;) {
		pid_t pid;
		int status;

		reap(true);
		pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno == ECHILD)
			break;
		if (pid > 0)
			continue;
		if (now_ns() - start > FINAL_REAP_MS * 1000000ULL) {
			*took_ns = now_ns() - start;
			return false;
		}
		nanosleep(&tick, NULL);
	}
	*took_ns = now_ns() - start;
	return true;
}

static void kill_orphans(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[64], stat[512], *p;
		int ppid;
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(stat, sizeof(stat), f);
		fclose(f);
		if (!p || !(p = strrchr(stat, ')')))
			continue;
		if (sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == getpid())
			kill(atoi(de->d_name), SIGKILL);
	}
	closedir(d);
}

static void print_unreaped(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[64], stat[512], *p;
		int ppid;
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(stat, sizeof(stat), f);
		fclose(f);
		if (!p || !(p = strrchr(stat, ')')))
			continue;
		if (sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == getpid())
			dump_task(atoi(de->d_name));
	}
	closedir(d);
}

/* ---- set-up --------------------------------------------------------------------- */

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

static unsigned int parse_features(const char *list)
{
	unsigned int mask = 0, f;
	char buf[256], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", list ? list : "");
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (f = 0; f < NR_FEATURES; f++)
			if (strcmp(tok, feature_names[f]) == 0)
				break;
		if (f == NR_FEATURES) {
			fprintf(stderr, "fuzz: unknown feature '%s' (known:", tok);
			for (f = 0; f < NR_FEATURES; f++)
				fprintf(stderr, " %s", feature_names[f]);
			fprintf(stderr, ")\n");
			exit(2);
		}
		mask |= 1U << f;
	}
	return mask;
}

static void map_region(void)
{
	void *p = mmap((void *)REGION_BASE, REGION_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	unsigned int s;

	if (p != (void *)REGION_BASE) {
		perror("fuzz: mmap of the canary region");
		exit(2);
	}
	for (s = 0; s < NR_SLICES; s++) {
		canary_fill(s);
		mprotect(slice_addr(s) + SLICE_USABLE, SLICE_GUARD, PROT_NONE);
	}
}

/* Anonymous channels every worker inherits, so that workers share them. */
static void make_inherited(int ctl)
{
	static const uint32_t caps[] = { 0, 1, 4, 16 }, sizes[] = { 64, 4096, 64, 512 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		struct cspchan_create_req req;
		int fd;

		memset(&req, 0, sizeof(req));
		req.capacity = caps[i];
		req.msg_size = sizes[i];
		req.oflags = O_NONBLOCK;
		fd = ioctl(ctl, CSPCHAN_IOC_CREATE, &req);
		if (fd >= 0)
			sh->inherited[sh->nr_inherited++] = fd;
	}
}

static void print_counts(uint64_t elapsed_ns)
{
	uint64_t total = 0;
	int k, e;

	for (k = 0; k < NR_OPS; k++)
		total += sh->calls[k];
	printf("# operations: %" PRIu64 " in %.1f s (%.0f/s), seed %#" PRIx64 "\n", total,
	       elapsed_ns / 1e9, total / (elapsed_ns / 1e9), sh->seed);
	for (k = 0; k < NR_OPS; k++) {
		char line[1024];
		int len;

		if (!sh->calls[k])
			continue;
		len = snprintf(line, sizeof(line), "#   %-24s %9" PRIu64 " calls %9" PRIu64 " ok",
			       op_names[k], sh->calls[k], sh->ok[k]);
		for (e = 1; e < ERRNO_SLOTS && len < (int)sizeof(line) - 40; e++) {
			const char *name = e == ERRNO_SLOTS - 1 ? "other" : strerrorname_np(e);

			if (sh->errs[k][e])
				len += snprintf(line + len, sizeof(line) - len, ", %s %" PRIu64,
						name ? name : "?", sh->errs[k][e]);
		}
		printf("%s\n", line);
	}
	printf("# errors by errno (all operations):");
	for (e = 1; e < ERRNO_SLOTS; e++) {
		uint64_t n = 0;

		for (k = 0; k < NR_OPS; k++)
			n += sh->errs[k][e];
		if (n)
			printf(" %s %" PRIu64, e == ERRNO_SLOTS - 1 ? "other" :
			       strerrorname_np(e) ?: "?", n);
	}
	printf("\n# kills %" PRIu64 ", respawns %" PRIu64 ", voluntary exits %" PRIu64
	       ", canary scans %" PRIu64 ", signals to stuck threads %" PRIu64 "\n",
	       kills, respawns, exits, sh->canary_scans, sh->signals_sent);
}

static void usage(void)
{
	fprintf(stderr, "usage: fuzz [-s SEED] [-i ITER] [-d SECONDS] [-w WORKERS] "
		"[-t THREADS] [-k PERMILLE] [-x FEATURE,...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t seed, iter, duration, start, elapsed, took = 0;
	unsigned int workers, threads, kill_permille = 25;
	const char *exclude = getenv("FUZZ_EXCLUDE");
	int opt, ctl, named, anon, refcnt, i;
	uint64_t found = 0, expected = 0, at;
	int own_none[] = { -1 };
	struct rng r;
	bool reaped;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = now_ns() ^ getpid();
	seed = env_u64("FUZZ_SEED", seed);
	iter = env_u64("ITER", 0);
	duration = env_u64("DURATION", iter ? 0 : 60);
	workers = env_u64("FUZZ_WORKERS", 3);
	threads = env_u64("FUZZ_THREADS", 3);
	while ((opt = getopt(argc, argv, "s:i:d:w:t:k:x:")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'i': iter = strtoull(optarg, NULL, 0); break;
		case 'd': duration = strtoull(optarg, NULL, 0); break;
		case 'w': workers = strtoul(optarg, NULL, 0); break;
		case 't': threads = strtoul(optarg, NULL, 0); break;
		case 'k': kill_permille = strtoul(optarg, NULL, 0); break;
		case 'x': exclude = optarg; break;
		default: usage();
		}
	}
	if (!workers || workers > MAX_WORKERS || !threads || threads > MAX_THREADS)
		usage();

	setvbuf(stdout, NULL, _IOLBF, 0);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("fuzz: mmap");
		return 2;
	}
	sh->seed = seed;
	sh->iter_limit = iter;
	sh->nr_workers = workers;
	sh->nr_threads = threads;
	sh->excluded = parse_features(exclude);
	snprintf(sh->prefix, sizeof(sh->prefix), "fz%08x.", (uint32_t)(seed ^ (seed >> 32)));
	r.s = mix_seed(seed, 0xffff, 0, 0);

	printf("# fuzz: seed %#" PRIx64 " (replay: FUZZ_SEED=%#" PRIx64 "), %u workers x %u threads, ",
	       seed, seed, workers, threads);
	if (iter)
		printf("%" PRIu64 " operations, ", iter);
	printf(duration ? "at most %" PRIu64 " s" : "no time limit%.0" PRIu64, duration);
	printf(", names %s*%s%s\n", sh->prefix, exclude && *exclude ? ", without " : "",
	       exclude && *exclude ? exclude : "");

	ctl = open(CSPCHAN_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		tap(false, "%s opens (%s): is cspchan.ko loaded?", CSPCHAN_DEVICE, strerror(errno));
		return 1;
	}
	map_region();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	nr_before = proc_read(before, MAX_PROC);
	if (nr_before < 0) {
		tap(false, "/proc/cspchan is readable");
		return 1;
	}
	make_inherited(ctl);

	start = now_ns();
	sh->deadline_ns = duration ? start + duration * 1000000000ULL : UINT64_MAX;
	for (i = 0; i < (int)workers; i++)
		spawn(i);
	supervise(&r, kill_permille);
	elapsed = now_ns() - start;
	reaped = kill_all_and_reap(&took);
	if (!reaped) {
		kill_orphans();
		reaped = kill_all_and_reap(&took);
	}

	/* Checks, in the order in which their causes would cascade. */
	at = canary_scan(own_none, &found, &expected);
	if (at)
		finding(&sh->canary_hits, "canary in the supervisor changed at %#" PRIx64
			": %016" PRIx64 " instead of %016" PRIx64, at, found, expected);
	tap(!sh->canary_hits, "no canary page changed (%" PRIu64 " scans, %" PRIu64 " changes)",
	    sh->canary_scans, sh->canary_hits);
	if (!reaped)
		print_unreaped();
	tap(reaped && !sh->unkillable,
	    "every killed process was reaped (%" PRIu64 " kills, slowest %.0f ms, last %.0f ms, %"
	    PRIu64 " late)", kills, slowest_reap_ns / 1e6, took / 1e6, sh->unkillable);
	tap(!crashes, "no process died of a fault or an unexpected status (%u)", crashes);
	tap(!sh->hangs, "no call stayed blocked through signals (%" PRIu64 ")", sh->hangs);
	tap(!sh->odd_submits, "io_uring_enter failed only with errors it documents (%" PRIu64 ")",
	    sh->odd_submits);
	tap(!sh->sigpipes, "no SIGPIPE was raised (%" PRIu64 ")", sh->sigpipes);
	tap(!sh->name_leaks, "a create failing with EMFILE left no name (%" PRIu64 " tries, %"
	    PRIu64 " left one)", sh->calls[OP_EMFILE], sh->name_leaks);

	for (i = 0; i < sh->nr_inherited; i++)
		close(sh->inherited[i]);
	printf("# unlinked %d names the fuzz left (%s* and mutations)\n", unlink_prefixed(ctl),
	       sh->prefix);
	close(ctl);
	for (i = 0; i < SETTLE_MS / 10; i++) {
		leftovers(&named, &anon, false);
		if (!named && !anon)
			break;
		usleep(10000);
	}
	if (named || anon)
		leftovers(&named, &anon, true);
	tap(!named, "no named channel of the fuzz remains after unlink (%d)", named);
	tap(!anon, "no anonymous channel remains once the fuzz processes are gone (%d)", anon);
	for (i = 0; i < SETTLE_MS / 10; i++) {
		refcnt = module_refcnt();
		if (refcnt == 0)
			break;
		usleep(10000);
	}
	if (refcnt != 0)
		dump_stuck_tasks();
	tap(refcnt == 0, "module refcount back to 0 (%d)", refcnt);

	for (i = 0; i < (int)sh->nr_findings && i < MAX_FINDINGS; i++)
		printf("# finding %d: %s\n", i + 1, sh->findings[i]);
	print_counts(elapsed);
	printf("# fuzz: seed %#" PRIx64 ", %d of %d checks failed\n", seed, tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}
