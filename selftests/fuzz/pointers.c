// SPDX-License-Identifier: GPL-2.0
/*
 * A host-side check of the fuzzer itself (no module needed): its ioctl
 * and select operations, run against a stand-in ioctl(), never hand the
 * kernel a pointer into a canary slice.  Such a pointer makes the kernel
 * write a received message into this process's own canary, and the
 * canary check then reports the fuzzer's doing as the module's: arg_ptr()
 * mutated the pointer fields of the arguments it copied until 2026-12-07
 * (one receive in about 2,600).
 *
 * Prints TAP; exits 1 if any pointer was found.  Usage: pointers [CALLS]
 */
#include "fuzz.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define OWN_SLICE	1

static uint64_t calls, words, bad;

/* The stand-in's view of the own slice: the only part of the region allowed. */
static bool foreign(uint64_t v)
{
	return in_region(v) && (v - REGION_BASE) / SLICE_SIZE != OWN_SLICE;
}

static void look(const void *p, size_t size, unsigned long req, const char *what)
{
	size_t off;

	for (off = 0; off + 8 <= size; off += 8) {
		uint64_t v;

		memcpy(&v, (const char *)p + off, 8);
		words++;
		if (!foreign(v))
			continue;
		if (bad++ < 5)
			printf("# ioctl %#lx: %s word +%zu is %#" PRIx64 ", in slice %" PRIu64 "\n",
			       req, what, off, v, (v - REGION_BASE) / SLICE_SIZE);
	}
}

/*
 * Every 8-byte word of an argument the fuzzer placed in its own slice
 * (other places are read-only pages or bad pointers it built on purpose),
 * and for a select, every case.
 */
int ioctl(int fd, unsigned long req, ...)
{
	size_t size = _IOC_SIZE(req) ? _IOC_SIZE(req) : 8;
	va_list ap;
	void *arg;

	(void)fd;
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	calls++;
	if (in_region((uintptr_t)arg) && !foreign((uintptr_t)arg)) {
		look(arg, size, req, "argument");
		if (req == CSPCHAN_IOC_SELECT) {
			const struct cspchan_select_req *s = arg;

			if (in_region(s->cases) && !foreign(s->cases) &&
			    s->nr <= AREA_CASES_LEN / sizeof(struct cspchan_select_case))
				look((const void *)(uintptr_t)s->cases,
				     s->nr * sizeof(struct cspchan_select_case), req, "case");
		}
	}
	errno = EAGAIN;
	return -1;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 2000000, i;
	static struct worker w;
	struct thread_ctx *t = &w.threads[1];
	char *pages;

	if (mmap((void *)REGION_BASE, REGION_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != (void *)REGION_BASE)
		return 2;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pages = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || pages == MAP_FAILED)
		return 2;
	sh->nr_workers = 1;
	sh->nr_threads = 2;
	w.slice = OWN_SLICE;
	w.ctl = 5;
	w.efd = 6;
	w.feat.max_capacity = 1024;
	w.feat.max_msg_size = 65536;
	pthread_mutex_init(&w.lock, NULL);
	for (i = 0; i < MAX_CHANS; i++)
		w.chans[i].fd = -1;
	w.chans[0] = (struct chan){ .fd = CHAN_FD_MIN, .capacity = 4, .msg_size = 64,
				    .nr_slots = 4, .slot_size = 64, .arena_size = PAGE };
	w.chans[1] = (struct chan){ .fd = CHAN_FD_MIN + 1, .capacity = 0, .msg_size = 4096,
				    .nr_slots = 1, .slot_size = 4096, .arena_size = PAGE };
	t->w = &w;
	t->index = 1;
	t->rng.s = 7;
	t->area = slice_addr(OWN_SLICE) + AREA_SIZE;
	t->ro = pages;
	t->edge = pages + PAGE;
	t->noaccess = pages + 3 * PAGE;
	mprotect(pages + 2 * PAGE, 2 * PAGE, PROT_NONE);

	printf("TAP version 13\n1..1\n");
	for (i = 0; i < n; i++) {
		switch (i % 4) {
		case 0:
			op_ioctl_ctl(t);
			break;
		case 1:
			op_select(t);
			break;
		default:
			op_ioctl_chan(t);
			break;
		}
	}
	printf("%s 1 fuzz: no ioctl argument points into a canary slice (%" PRIu64 " calls, %"
	       PRIu64 " words, %" PRIu64 " such pointers)\n", bad ? "not ok" : "ok", calls, words, bad);
	return bad ? 1 : 0;
}
