/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libcspchan internals shared by the library's files (and by those of
 * libcspchan-stage, which use only the inline helpers and CSPCHAN_EXPORT).
 * Nothing here is exported: the libraries are built with
 * -fvisibility=hidden and only functions marked CSPCHAN_EXPORT (and named
 * in libcspchan.map or libcspchan-stage.map) are public.
 */
#ifndef CSPCHAN_LIB_INTERNAL_H
#define CSPCHAN_LIB_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cspchan.h"

#define CSPCHAN_EXPORT	__attribute__((visibility("default")))

/* Failure in the library's convention: errno is set and -errno returned. */
static inline int cspchan_fail(int err)
{
	errno = err;
	return -err;
}

/* Turn a libc "-1 and errno" result into the library's convention. */
static inline ssize_t cspchan_sys(ssize_t ret)
{
	return ret < 0 ? -errno : ret;
}

/* True when a byte count fits the ABI's __u32 length fields. */
static inline bool cspchan_len_fits(size_t len)
{
	return len == (uint32_t)len;
}

/*
 * The kernel's timeouts are nanoseconds; the API's are milliseconds, with
 * any negative value meaning "wait forever".
 */
static inline int64_t cspchan_timeout_ns(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000LL;
}

/* The process-wide /dev/cspchan descriptor, or -errno (control.c; core only). */
int cspchan_control_fd(void);

#endif /* CSPCHAN_LIB_INTERNAL_H */
