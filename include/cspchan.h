/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libcspchan: the C API over /dev/cspchan.
 *
 * Every function returns a value >= 0 on success and -errno on failure,
 * and also sets errno.  A channel handle is an ordinary descriptor:
 * read(2)/write(2) on it behave exactly as cspchan_recv()/cspchan_send().
 */
#ifndef CSPCHAN_H
#define CSPCHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/cspchan.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CSPCHAN_VERSION_MAJOR	0
#define CSPCHAN_VERSION_MINOR	1

/* cspchan_select() operations */
#define CSPCHAN_SEND	CSPCHAN_OP_SEND
#define CSPCHAN_RECV	CSPCHAN_OP_RECV

struct cspchan_attr {
	unsigned int capacity;	/* buffered messages; 0 = unbuffered */
	unsigned int msg_size;	/* largest message in bytes */
	unsigned int mode;	/* permission bits of a named channel */
	unsigned int flags;	/* CSPCHAN_AUTOCLOSE, ... */
};

struct cspchan_msginfo {
	uint64_t seq;		/* per-channel sequence number, from 0 */
	pid_t pid;		/* sender's process id in the receiver's pid namespace */
	uint64_t sent_ns;	/* CLOCK_MONOTONIC time of the send, ns */
};

struct cspchan_stat {
	uint64_t id;		/* system-wide channel id */
	unsigned int capacity;
	unsigned int msg_size;
	unsigned int depth;		/* messages buffered now */
	unsigned int senders_waiting;
	unsigned int receivers_waiting;
	int shut;			/* 1 once shut down */
	int autoclose;			/* created with CSPCHAN_AUTOCLOSE */
	uint64_t sent;			/* messages sent, total */
	uint64_t received;		/* messages received, total */
	unsigned int high_water;	/* largest depth seen */
	unsigned int mode;
	char name[CSPCHAN_NAME_MAX];	/* "" when anonymous */
};

struct cspchan_case {
	int fd;			/* channel handle, or -1: never ready */
	int op;			/* CSPCHAN_SEND or CSPCHAN_RECV */
	void *buf;
	size_t len;
	ssize_t result;		/* chosen case: bytes, 0 end of stream, or -EPIPE */
};

int cspchan_create(const char *name, const struct cspchan_attr *attr, int oflags);
int cspchan_open(const char *name, int oflags);
int cspchan_unlink(const char *name);
ssize_t cspchan_send(int ch, const void *msg, size_t len);
ssize_t cspchan_recv(int ch, void *buf, size_t len);
ssize_t cspchan_send_timeout(int ch, const void *msg, size_t len, int timeout_ms);
ssize_t cspchan_recv_timeout(int ch, void *buf, size_t len, int timeout_ms);
ssize_t cspchan_recvmsg(int ch, void *buf, size_t len, struct cspchan_msginfo *info);
int cspchan_shutdown(int ch);
int cspchan_stat(int ch, struct cspchan_stat *st);
int cspchan_select(struct cspchan_case *cases, unsigned int n, int timeout_ms);

/* Module limits and implemented features (struct cspchan_features). */
int cspchan_features(struct cspchan_features *f);

#ifdef __cplusplus
}
#endif

#endif /* CSPCHAN_H */
