// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Calls on the control device /dev/cspchan: create, open and unlink
 * channels, select over many channels, and query the module's features.
 * The 0.1 version of cspchan_create() is in compat.c.
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

/*
 * One descriptor for the whole process, opened on first use.  It is
 * O_CLOEXEC, so an exec'd image starts afresh, and a forked child inherits
 * a working copy.  Published with a compare-and-swap so that threads
 * racing to open it agree on one descriptor.
 */
static atomic_int control_fd = -1;

int cspchan_control_fd(void)
{
	int expected = -1;
	int fd;

	fd = atomic_load_explicit(&control_fd, memory_order_acquire);
	if (fd >= 0)
		return fd;

	fd = open(CSPCHAN_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	if (!atomic_compare_exchange_strong_explicit(&control_fd, &expected, fd,
						     memory_order_acq_rel,
						     memory_order_acquire)) {
		/* Another thread won; use its descriptor. */
		close(fd);
		fd = expected;
	}
	return fd;
}

/* ioctl on the control device, in the library's return convention. */
static int control_ioctl(unsigned long request, void *arg)
{
	int fd = cspchan_control_fd();

	if (fd < 0)
		return cspchan_fail(-fd);
	return cspchan_sys(ioctl(fd, request, arg));
}

/*
 * Copy a channel name into an ABI name field, which must already be zeroed.
 * The kernel checks the characters; the lengths are checked here because
 * they decide whether the name fits the field at all.
 */
static int copy_name(char dst[CSPCHAN_NAME_MAX], const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, CSPCHAN_NAME_MAX);
	if (len == 0)
		return -EINVAL;
	if (len >= CSPCHAN_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(dst, name, len);
	return 0;
}

CSPCHAN_EXPORT
int cspchan_create_v0_4(const char *name, const struct cspchan_attr *attr,
			int oflags)
{
	struct cspchan_create_req req;
	int ret;

	memset(&req, 0, sizeof(req));
	if (name) {
		ret = copy_name(req.name, name);
		if (ret)
			return cspchan_fail(-ret);
	}
	if (!attr)
		return cspchan_fail(EINVAL);

	req.flags = attr->flags;
	req.oflags = (uint32_t)oflags;
	req.capacity = attr->capacity;
	req.msg_size = attr->msg_size;
	req.mode = attr->mode;
	req.max_deliveries = attr->max_deliveries;
	req.lease_ms = attr->lease_ms;
	req.rate = attr->rate;
	req.burst = attr->burst;
	return control_ioctl(CSPCHAN_IOC_CREATE, &req);
}
CSPCHAN_SYMVER(cspchan_create_v0_4, "cspchan_create@@CSPCHAN_0.4");

/* OPEN and UNLINK take the same request. */
static int name_ioctl(unsigned long request, const char *name, int oflags)
{
	struct cspchan_name_req req;
	int ret;

	memset(&req, 0, sizeof(req));
	ret = copy_name(req.name, name);
	if (ret)
		return cspchan_fail(-ret);
	req.oflags = (uint32_t)oflags;
	return control_ioctl(request, &req);
}

CSPCHAN_EXPORT
int cspchan_open(const char *name, int oflags)
{
	return name_ioctl(CSPCHAN_IOC_OPEN, name, oflags);
}

CSPCHAN_EXPORT
int cspchan_unlink(const char *name)
{
	return name_ioctl(CSPCHAN_IOC_UNLINK, name, 0);
}

/* Enough for ordinary selects without touching the heap. */
#define SELECT_STACK_CASES	64

static int select_cases(struct cspchan_case *cases, unsigned int n,
			int timeout_ms, uint32_t flags)
{
	struct cspchan_select_case stack_cases[SELECT_STACK_CASES];
	struct cspchan_select_case *kcases = stack_cases;
	struct cspchan_select_req req;
	unsigned int i;
	int ret;

	if (!cases || n == 0)
		return cspchan_fail(EINVAL);

	/*
	 * Only lengths are judged here, because they cannot be represented in
	 * the ABI; everything else (ops, descriptors, the number of cases) is
	 * left to the kernel so that each errno has one source.
	 */
	for (i = 0; i < n; i++) {
		if (!cspchan_len_fits(cases[i].len) && cases[i].op != CSPCHAN_RECV)
			return cspchan_fail(EINVAL);
	}

	if (n > SELECT_STACK_CASES) {
		kcases = calloc(n, sizeof(*kcases));
		if (!kcases)
			return cspchan_fail(ENOMEM);
	}

	for (i = 0; i < n; i++) {
		memset(&kcases[i], 0, sizeof(kcases[i]));
		kcases[i].fd = cases[i].fd;
		kcases[i].op = (uint32_t)cases[i].op;
		kcases[i].buf = (uintptr_t)cases[i].buf;
		/*
		 * No message is longer than UINT32_MAX, so a larger receive
		 * buffer is as good as one of UINT32_MAX bytes.
		 */
		kcases[i].len = cspchan_len_fits(cases[i].len) ?
				(uint32_t)cases[i].len : UINT32_MAX;
	}

	memset(&req, 0, sizeof(req));
	req.cases = (uintptr_t)kcases;
	req.nr = n;
	req.flags = flags;
	req.timeout_ns = cspchan_timeout_ns(timeout_ms);

	ret = control_ioctl(CSPCHAN_IOC_SELECT, &req);
	if (ret >= 0) {
		if ((unsigned int)ret < n)
			cases[ret].result = (ssize_t)req.result;
		else
			ret = cspchan_fail(EIO);	/* a kernel bug */
	}

	if (kcases != stack_cases) {
		int saved_errno = errno;

		free(kcases);
		errno = saved_errno;
	}
	return ret;
}

CSPCHAN_EXPORT
int cspchan_select(struct cspchan_case *cases, unsigned int n, int timeout_ms)
{
	return select_cases(cases, n, timeout_ms, 0);
}

CSPCHAN_EXPORT
int cspchan_select_prio(struct cspchan_case *cases, unsigned int n,
			int timeout_ms)
{
	return select_cases(cases, n, timeout_ms, CSPCHAN_SELECT_PRIO);
}

CSPCHAN_EXPORT
int cspchan_features(struct cspchan_features *f)
{
	if (!f)
		return cspchan_fail(EINVAL);
	memset(f, 0, sizeof(*f));
	return control_ioctl(CSPCHAN_IOC_FEATURES, f);
}
