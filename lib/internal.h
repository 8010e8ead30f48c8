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

/*
 * Symbol versions, as glibc and libfuse keep old entry points: @impl
 * becomes @versioned, "name@@CSPCHAN_x.y" for the default that programs
 * link against now, or "name@CSPCHAN_x.y" for the one programs linked
 * against an older release keep using (with that release's structure
 * sizes).  @impl must be CSPCHAN_EXPORT (libcspchan.map's "local: *" then
 * hides the name @impl itself), and "name" must be listed in the node
 * CSPCHAN_x.y.  A static link takes the default.
 */
#define CSPCHAN_SYMVER(impl, versioned) \
	__asm__(".symver " #impl "," versioned)

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

/*
 * The implementations behind the versioned names (control.c, channel.c):
 * the current ones, which the 0.1 entry points of compat.c call too.
 */
CSPCHAN_EXPORT __typeof__(cspchan_create) cspchan_create_v0_4;
CSPCHAN_EXPORT __typeof__(cspchan_recvmsg) cspchan_recvmsg_v0_4;
CSPCHAN_EXPORT __typeof__(cspchan_stat) cspchan_stat_v0_4;

/*
 * CSPCHAN_IOC_STAT into @info; a module older than the lease fields only
 * answers CSPCHAN_IOC_STAT_V1, and then the fields after name[] stay zero.
 * Returns 0 or -errno (channel.c; core only).
 */
int cspchan_stat_info(int ch, struct cspchan_info *info);

/*
 * One CSPCHAN_IOC_SEND or CSPCHAN_IOC_RECV (@request) of @buf, @len, with
 * @flags (CSPCHAN_XFER_*), the reply channel @fd to attach (used with
 * CSPCHAN_XFER_ATTACH only) and @timeout_ns (<0 forever, 0 never block).
 * @xfer holds the message's metadata afterwards.  Returns the length, 0
 * at end of stream, or -errno (channel.c; core only).
 */
ssize_t cspchan_xfer_io(int ch, unsigned long request, const void *buf,
			size_t len, uint32_t flags, int fd, int64_t timeout_ns,
			struct cspchan_xfer *xfer);

/*
 * One blocking CSPCHAN_IOC_RECV into @buf with @flags (CSPCHAN_XFER_*);
 * @xfer holds the message's metadata afterwards.  Returns the length, 0 at
 * end of stream, or -errno (channel.c; core only).
 */
ssize_t cspchan_recv_xfer(int ch, void *buf, size_t len, uint32_t flags,
			  struct cspchan_xfer *xfer);

#endif /* CSPCHAN_LIB_INTERNAL_H */
