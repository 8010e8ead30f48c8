/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cspchan: Go-style CSP channels shared between processes.
 *
 * This header is the whole ABI between cspchan.ko and userspace.  The
 * control device /dev/cspchan creates, opens and unlinks channels; every
 * channel is reached through its own descriptor, on which read(2) and
 * write(2) receive and send one message each and the ioctls below do the
 * rest.
 *
 * Rules for every structure (Documentation/process/botching-up-ioctls.rst):
 * fixed-width types, 64-bit alignment, pointers passed as __u64, and every
 * flags word and reserved field checked: unknown flags and non-zero
 * reserved fields fail with EINVAL.  Fields marked "out" only are never
 * read, so a structure can be passed again as it came back.  New features are announced in
 * struct cspchan_features, never by a version number.
 */
#ifndef _UAPI_LINUX_CSPCHAN_H
#define _UAPI_LINUX_CSPCHAN_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define CSPCHAN_DEVICE		"/dev/cspchan"

/* Names are 1..63 bytes of [A-Za-z0-9._-], NUL-terminated in 64 bytes. */
#define CSPCHAN_NAME_MAX	64

/* struct cspchan_create_req.flags */
/* Shut down when the last send-capable handle is released. */
#define CSPCHAN_AUTOCLOSE	(1U << 0)
/*
 * Every delivered message stays leased to the receiving handle until it is
 * acknowledged, and goes back to the channel when that handle goes (SPEC
 * 9).  Needs capacity >= 1.
 */
#define CSPCHAN_LEASE		(1U << 1)
/*
 * A reply channel: it can travel inside a message of another channel
 * (CSPCHAN_XFER_ATTACH), and shuts down when its receivers are gone, or
 * once it travelled, when no message carries it and no handle that
 * travelled is open (SPEC 12).  Its own messages cannot carry one.
 */
#define CSPCHAN_REPLY		(1U << 2)
/*
 * A relay channel: senders may supply each message's seq, pid and sent_ns
 * with CSPCHAN_XFER_ORIGIN (a bridge restoring messages that come from a
 * channel on another machine).  Only the creator opts in.
 */
#define CSPCHAN_RELAY		(1U << 3)
#define CSPCHAN_CREATE_FLAGS	(CSPCHAN_AUTOCLOSE | CSPCHAN_LEASE | CSPCHAN_REPLY | \
				 CSPCHAN_RELAY)

/*
 * struct cspchan_features.features: what this module implements.  A
 * program checks the bit before it relies on the feature.
 */
#define CSPCHAN_FEAT_NAMES	(1ULL << 0)	/* named channels in IPC namespaces */
#define CSPCHAN_FEAT_XFER	(1ULL << 1)	/* CSPCHAN_IOC_SEND/RECV */
#define CSPCHAN_FEAT_SELECT	(1ULL << 2)	/* CSPCHAN_IOC_SELECT */
#define CSPCHAN_FEAT_ZEROCOPY	(1ULL << 3)	/* mmap arena and slot commands */
#define CSPCHAN_FEAT_URING_CMD	(1ULL << 4)	/* slot commands through IORING_OP_URING_CMD */
#define CSPCHAN_FEAT_URING_SLOTV (1ULL << 5)	/* vectored slot commands, CSPCHAN_URING_*V */
/* io_uring itself cancels parked commands (Linux 6.7+); else the module does */
#define CSPCHAN_FEAT_URING_CANCEL (1ULL << 6)
/* IORING_OP_READs that find the channel empty park in order, not polled */
#define CSPCHAN_FEAT_URING_READ_PARK (1ULL << 7)
/* io_uring commands have codes of their own: CSPCHAN_URING_ACQUIRE ... */
#define CSPCHAN_FEAT_URING_OPCODES (1ULL << 8)
/* CSPCHAN_SELECT_PRIO: priority select */
#define CSPCHAN_FEAT_SELECT_PRIO (1ULL << 9)
/* CSPCHAN_LEASE channels: leases, CSPCHAN_IOC_ACK/NACK, dead letters */
#define CSPCHAN_FEAT_LEASE	(1ULL << 10)
/* Paced channels: create_req.rate/burst, CSPCHAN_IOC_SET_RATE */
#define CSPCHAN_FEAT_PACE	(1ULL << 11)
/* Reply channels: CSPCHAN_REPLY, CSPCHAN_XFER_ATTACH and _FD */
#define CSPCHAN_FEAT_REPLY	(1ULL << 12)
/* Relay channels: CSPCHAN_RELAY, CSPCHAN_XFER_ORIGIN */
#define CSPCHAN_FEAT_RELAY	(1ULL << 13)
/* Per-handle busy polling: CSPCHAN_IOC_SET_BUSY_POLL */
#define CSPCHAN_FEAT_BUSY_POLL	(1ULL << 14)
/* IORING_OP_WRITEs that find a buffered channel full park in order, not polled */
#define CSPCHAN_FEAT_URING_WRITE_PARK (1ULL << 15)

struct cspchan_features {
	__u64 features;			/* out: CSPCHAN_FEAT_* */
	__u32 max_capacity;		/* out: module parameter max_capacity */
	__u32 max_msg_size;		/* out: module parameter max_msg_size */
	__u64 max_channel_bytes;	/* out: module parameter max_channel_bytes */
	__u32 max_channels_per_user;	/* out: module parameter max_channels_per_user */
	__u32 max_select_cases;		/* out: cases one select accepts */
	__u32 unbuffered_slots;		/* out: hand-off slots of a capacity-0 channel */
	__u32 reserved0;		/* in: must be zero */
	__u64 max_user_bytes;		/* out: module parameter max_user_bytes */
	__u64 reserved[3];		/* in: must be zero */
};

/* CSPCHAN_IOC_CREATE on the control device; returns the new handle. */
struct cspchan_create_req {
	__u32 flags;			/* CSPCHAN_CREATE_FLAGS */
	__u32 oflags;			/* O_EXCL, O_NONBLOCK, O_CLOEXEC */
	__u32 capacity;			/* 0 (unbuffered) .. max_capacity */
	__u32 msg_size;			/* 1 .. max_msg_size */
	__u32 mode;			/* permission bits (0777 mask) of a named channel */
	__u32 reserved0;		/* must be zero */
	char name[CSPCHAN_NAME_MAX];	/* "" for an anonymous channel */
	__u32 max_deliveries;		/* CSPCHAN_LEASE: 0 unlimited, else dead-letter after */
	__u32 lease_ms;			/* CSPCHAN_LEASE: 0 never, else revoke leases after */
	__u32 rate;			/* messages/s out; 0 unpaced; needs capacity */
	__u32 burst;			/* token bucket size, 0 means 1; ignored when unpaced */
	__u64 reserved[2];		/* must be zero */
};

/*
 * CSPCHAN_IOC_OPEN (returns a handle) and CSPCHAN_IOC_UNLINK on the control
 * device.  oflags: O_RDONLY, O_WRONLY or O_RDWR, plus O_NONBLOCK and
 * O_CLOEXEC; it must be zero for UNLINK.
 */
struct cspchan_name_req {
	__u32 oflags;
	__u32 reserved0;		/* must be zero */
	char name[CSPCHAN_NAME_MAX];
	__u64 reserved[2];		/* must be zero */
};

/*
 * CSPCHAN_IOC_SEND and CSPCHAN_IOC_RECV on a channel handle: one message,
 * with a timeout, and for RECV the message's metadata.  Returns the
 * message length, 0 for end of stream (RECV), or -1 with errno.
 *
 * On a CSPCHAN_LEASE channel a RECV leases the message to the handle:
 * with CSPCHAN_XFER_LEASE the lease is returned in lease and ends with
 * CSPCHAN_IOC_ACK or _NACK; without it, it is the handle's implicit lease,
 * acknowledged when the handle starts its next receive (of any kind).
 *
 * A SEND with CSPCHAN_XFER_ATTACH attaches the reply channel whose handle
 * is fd to the message (EBADF: no channel handle; EINVAL: not a
 * CSPCHAN_REPLY channel, or the message is itself for a reply channel).
 * A RECV with CSPCHAN_XFER_FD installs a new O_WRONLY, close-on-exec
 * handle of the attached channel and returns it in fd (-1 when the
 * message carries none); without it the attachment is dropped (kept, on
 * a lease channel, for a redelivery).
 *
 * A SEND with CSPCHAN_XFER_ORIGIN on a CSPCHAN_RELAY channel (EINVAL on
 * any other, and nothing is sent) reads seq, sent_ns and pid: the message
 * carries them instead of the kernel's stamp, and does not advance the
 * channel's own sequence numbers.  The pid is reported to every receiver
 * as it was given, in any pid namespace.  Only CSPCHAN_IOC_SEND relays:
 * select cases, zero-copy COMMIT and io_uring writes are always stamped.
 */
#define CSPCHAN_XFER_LEASE	(1U << 0)	/* RECV: return an explicit lease */
#define CSPCHAN_XFER_ATTACH	(1U << 1)	/* SEND: attach reply channel fd */
#define CSPCHAN_XFER_FD		(1U << 2)	/* RECV: install the attached one */
#define CSPCHAN_XFER_ORIGIN	(1U << 3)	/* SEND: seq, sent_ns, pid are in */
#define CSPCHAN_XFER_RECV_FLAGS	(CSPCHAN_XFER_LEASE | CSPCHAN_XFER_FD)
#define CSPCHAN_XFER_SEND_FLAGS	(CSPCHAN_XFER_ATTACH | CSPCHAN_XFER_ORIGIN)
#define CSPCHAN_XFER_FLAGS	(CSPCHAN_XFER_RECV_FLAGS | CSPCHAN_XFER_SEND_FLAGS)

struct cspchan_xfer {
	__u64 buf;			/* in: user address of the message */
	__u32 len;			/* in: bytes to send / room to receive */
	__u32 flags;			/* in: CSPCHAN_XFER_SEND_FLAGS / _RECV_FLAGS */
	__s64 timeout_ns;		/* in: <0 forever, 0 never block, >0 relative */
	/* out (RECV); in (SEND, XFER_ORIGIN): per-channel sequence number */
	__u64 seq;
	/* out (RECV); in (SEND, XFER_ORIGIN): CLOCK_MONOTONIC at send */
	__u64 sent_ns;
	/*
	 * out (RECV): sender's tgid in the caller's pid ns, or the relayed
	 * pid as it was sent; in (SEND, XFER_ORIGIN)
	 */
	__u32 pid;
	__u32 deliveries;		/* out (RECV): 1 the first time */
	__u64 lease;			/* out (RECV, XFER_LEASE): 0 without leases */
	__s32 fd;			/* in (SEND, XFER_ATTACH); out (RECV, XFER_FD) */
	__u32 reserved0;		/* in: must be zero */
};

/* struct cspchan_info.flags */
#define CSPCHAN_INFO_SHUT	(1U << 0)	/* shut down */
#define CSPCHAN_INFO_AUTOCLOSE	(1U << 1)	/* created with CSPCHAN_AUTOCLOSE */
#define CSPCHAN_INFO_NAMED	(1U << 2)	/* reachable by name */
#define CSPCHAN_INFO_LEASE	(1U << 3)	/* created with CSPCHAN_LEASE */
#define CSPCHAN_INFO_REPLY	(1U << 4)	/* created with CSPCHAN_REPLY */
#define CSPCHAN_INFO_RELAY	(1U << 5)	/* created with CSPCHAN_RELAY */

/*
 * CSPCHAN_IOC_STAT on a channel handle.  The structure grew at its end;
 * CSPCHAN_IOC_STAT_V1 (the first size, up to rate) is still answered.
 */
struct cspchan_info {
	__u64 id;			/* system-wide channel id */
	__u32 capacity;
	__u32 msg_size;
	__u32 depth;			/* messages buffered now (0 when unbuffered) */
	__u32 senders_waiting;		/* tasks blocked in send */
	__u32 receivers_waiting;	/* tasks blocked in receive */
	__u32 flags;			/* CSPCHAN_INFO_* */
	__u64 sent;			/* messages sent, total */
	__u64 received;			/* messages received, total */
	__u32 high_water;		/* largest depth seen */
	__u32 slot_size;		/* bytes between slots in the arena */
	__u32 nr_slots;			/* slots in the arena */
	__u32 mode;			/* permission bits */
	__u64 arena_size;		/* bytes, a multiple of the page size */
	char name[CSPCHAN_NAME_MAX];	/* "" when anonymous */
	__u32 leased;			/* messages leased now (not in depth) */
	__u32 max_deliveries;		/* 0: unlimited */
	__u64 redelivered;		/* deliveries after a message's first */
	__u64 dead;			/* messages dead-lettered or dropped */
	__u32 lease_ms;			/* 0: leases never expire */
	__u32 rate;			/* messages/s; 0: unpaced */
	__u32 burst;			/* token bucket size; 0 when unpaced */
	__u32 reserved0;
	__u64 throttled_ns;		/* receivers' waits for a token, summed */
	__u64 dead_letter;		/* id of the dead-letter channel, 0: none */
	__u64 reserved[4];
};

#define CSPCHAN_INFO_SIZE_V1	168	/* the first size: up to rate */

/* struct cspchan_select_case.op */
#define CSPCHAN_OP_SEND		1
#define CSPCHAN_OP_RECV		2

struct cspchan_select_case {
	__s32 fd;			/* channel handle, or -1: never ready */
	__u32 op;			/* CSPCHAN_OP_SEND or CSPCHAN_OP_RECV */
	__u64 buf;			/* user address of the message / buffer */
	__u32 len;			/* bytes */
	__u32 reserved0;		/* must be zero */
};

/*
 * CSPCHAN_IOC_SELECT on the control device or any handle: perform exactly
 * one ready case, chosen uniformly at random among the ready ones (with
 * CSPCHAN_SELECT_PRIO: the ready one with the lowest index).  Returns the
 * case's index; its outcome is in result.
 */
#define CSPCHAN_SELECT_PRIO	(1U << 0)	/* lowest ready index, not random */
#define CSPCHAN_SELECT_FLAGS	(CSPCHAN_SELECT_PRIO)

struct cspchan_select_req {
	__u64 cases;			/* in: user address of cspchan_select_case[nr] */
	__u32 nr;			/* in: 1 .. max_select_cases */
	__u32 flags;			/* in: CSPCHAN_SELECT_FLAGS */
	__s64 timeout_ns;		/* in: <0 forever, 0 never block, >0 relative */
	__s64 result;			/* out: bytes, 0 end of stream, or -errno */
	__u64 reserved[2];		/* in: must be zero */
};

/*
 * Zero-copy.  mmap(2) of a handle at offset 0 maps the channel's slot
 * arena (struct cspchan_info.arena_size bytes; MAP_SHARED): read-write for
 * O_RDWR handles (a creator's, or one opened O_RDWR), read-only for
 * O_RDONLY ones; an O_WRONLY handle cannot be mapped at all (EACCES:
 * mmap(2) needs read access to the file).  Slot n starts at
 * n * slot_size.  The kernel keeps every slot's owner and length; the
 * arena holds only payloads.
 *
 * CSPCHAN_IOC_ACQUIRE: wait for a free slot (the back-pressure of send)
 *	and own it.  out: slot, offset.
 * CSPCHAN_IOC_COMMIT: send the len bytes written in an owned slot; the
 *	slot leaves the handle.  in: slot, len.  On failure the handle still
 *	owns the slot.
 * CSPCHAN_IOC_TAKE: wait for the next message and own its slot.  out:
 *	slot, offset, len, seq, sent_ns, pid; returns len, or 0 at end of
 *	stream.
 * CSPCHAN_IOC_RELEASE: give back an owned slot (taken, or acquired and not
 *	committed).  in: slot.
 *
 * A handle may only commit or release slots it owns (EPERM); slots it
 * still owns when it is released are freed.
 */
struct cspchan_slot_req {
	__u32 slot;			/* in: COMMIT, RELEASE; out: ACQUIRE, TAKE */
	__u32 len;			/* in: COMMIT; out: TAKE */
	__s64 timeout_ns;		/* in: <0 forever, 0 never block, >0 relative */
	__u64 offset;			/* out: ACQUIRE, TAKE: slot * slot_size */
	__u64 seq;			/* out: TAKE */
	__u64 sent_ns;			/* out: TAKE */
	__u32 pid;			/* out: TAKE */
	__u32 flags;			/* in: none defined, must be zero */
	__u32 deliveries;		/* out: TAKE, 1 the first time */
	__u32 reserved0;		/* in: must be zero */
	__u64 reserved;			/* in: must be zero */
};

/*
 * io_uring: IORING_OP_URING_CMD with sqe->cmd_op one of CSPCHAN_URING_ACQUIRE,
 * _COMMIT, _TAKE, _RELEASE (the slot commands of CSPCHAN_IOC_ACQUIRE ...)
 * or the vectored CSPCHAN_URING_*V below, and this 16-byte payload in
 * sqe->cmd.  Every payload field a command does not use must be zero
 * (EINVAL); unknown codes fail with ENOTTY.  The command completes when it
 * can (it never blocks an io-wq worker): cqe->res is the slot (ACQUIRE),
 * the length (COMMIT, TAKE; 0 at end of stream for TAKE) or 0 (RELEASE),
 * or -errno.  TAKE writes its struct cspchan_slot_info to info before
 * completing.  Commands parked when their task exits or execs, or whose
 * ring is closed, complete with -ECANCELED.
 *
 * The ioctl numbers CSPCHAN_IOC_ACQUIRE, _COMMIT, _TAKE and _RELEASE are
 * still accepted as cmd_op for programs built before the command codes
 * existed (legacy, as ublk keeps its legacy opcodes); new programs use
 * CSPCHAN_URING_* (CSPCHAN_FEAT_URING_OPCODES).
 */
struct cspchan_uring_cmd {
	__u32 slot;			/* COMMIT, RELEASE; else zero */
	__u32 len;			/* COMMIT; *V: entries in info; else zero */
	__u64 info;			/* TAKE, *V: address of cspchan_slot_info[]; else 0 */
};

struct cspchan_slot_info {
	__u32 slot;
	__u32 len;
	__u64 offset;
	__u64 seq;
	__u64 sent_ns;
	__u32 pid;
	__u32 deliveries;		/* 1 the first time (was reserved: zero) */
};

/*
 * Vectored slot commands, io_uring only: IORING_OP_URING_CMD with
 * sqe->cmd_op one of the CSPCHAN_URING_*V below and the same payload, in
 * which info is the user address of struct cspchan_slot_info[len], len is
 * their number (1 .. CSPCHAN_SLOTV_MAX) and slot must be zero.  One command
 * moves a burst of messages, in the channel's order, under one lock:
 *
 * ACQUIREV: own between 1 and len free slots, waiting (parked) only while
 *	none is free.  cqe->res: how many; info[i].slot, .offset are set.
 * COMMITV: send info[i].len bytes from the owned info[i].slot, i = 0, 1,
 *	..., never waiting; stops at the first that cannot be sent, which
 *	the handle still owns.  cqe->res: how many were sent, or -errno when
 *	the first was not.  On an unbuffered channel only as many as there
 *	are parked receivers are sent (-EAGAIN when none).
 * TAKEV: own the next 1 .. len messages, waiting (parked) only while there
 *	is none.  cqe->res: how many, 0 at end of stream; info[i] as TAKE's.
 * RELEASEV: give back the owned info[i].slot, i = 0, 1, ...; stops at the
 *	first that is not owned.  cqe->res: how many, or -errno when the
 *	first was not released.
 *
 * A vector that cannot be read or written whole fails the command with
 * -EFAULT and changes nothing: taken messages go back first, in order,
 * and acquired slots are freed.  A parked ACQUIREV or TAKEV completes
 * with its first entry and whatever else is there by then.
 */
#define CSPCHAN_SLOTV_MAX	64

/*
 * Leases (CSPCHAN_LEASE channels).  CSPCHAN_IOC_ACK ends a lease: the
 * message is done.  CSPCHAN_IOC_NACK ends it and returns the message to
 * the head of the channel, in its original order, for redelivery.  An id
 * never issued fails with EINVAL, a live lease of another handle with
 * EPERM, a lease that has ended with ESTALE; each changes nothing.  A
 * zero-copy TAKE leases the slot, and RELEASE acknowledges it.
 */
struct cspchan_lease_req {
	__u64 lease;			/* in: from cspchan_xfer.lease */
	__u32 flags;			/* in: none defined, must be zero */
	__u32 reserved0;		/* in: must be zero */
	__u64 reserved[2];		/* in: must be zero */
};

/*
 * CSPCHAN_IOC_SET_RATE: pace a buffered channel (EINVAL when unbuffered):
 * at most rate messages per second leave it, summed over all receivers,
 * with bursts of up to burst (0 means 1).  rate 0 unpaces it.  The bucket
 * starts full, and receivers waiting for a token are woken.
 */
struct cspchan_rate_req {
	__u32 rate;			/* in: messages per second, 0: unpaced */
	__u32 burst;			/* in: bucket size, 0 means 1 */
	__u32 flags;			/* in: none defined, must be zero */
	__u32 reserved0;		/* in: must be zero */
	__u64 reserved[2];		/* in: must be zero */
};

/*
 * CSPCHAN_IOC_SET_DEADLETTER: where messages go after max_deliveries.  fd
 * is a send-capable handle of another channel (EBADF if it is no channel
 * handle or cannot send, EINVAL for the channel itself), or -1 for none.
 * The channel remembers the dead-letter channel by id: it does not keep
 * it alive.
 */
struct cspchan_deadletter_req {
	__s32 fd;			/* in: handle, or -1 */
	__u32 flags;			/* in: none defined, must be zero */
	__u64 reserved[2];		/* in: must be zero */
};

/*
 * CSPCHAN_IOC_SET_BUSY_POLL on a channel handle: before a blocking send,
 * receive, ACQUIRE or TAKE on this handle (an open file description) goes
 * to sleep, it spins for up to usecs microseconds while the task on the
 * other side (the channel's last sender, for a receiver; its last
 * receiver, for a sender) is running on another CPU, as SO_BUSY_POLL does
 * for a socket.  A spinning task stays parked in its place: order and
 * hand-off are those of a sleeping one.  usecs 0 turns it off (the
 * default); more than the module parameter max_busy_poll_us (default 200,
 * at most 65535) is EINVAL.
 * The previous value is returned in usecs.  Select and io_uring requests
 * never spin.
 */
struct cspchan_busy_poll_req {
	__u32 usecs;			/* in: spin budget; out: the previous one */
	__u32 flags;			/* in: none defined, must be zero */
	__u64 reserved;			/* in: must be zero */
};

#define CSPCHAN_IOC_MAGIC	0xC5

/* On /dev/cspchan. */
#define CSPCHAN_IOC_FEATURES	_IOWR(CSPCHAN_IOC_MAGIC, 0x00, struct cspchan_features)
#define CSPCHAN_IOC_CREATE	_IOWR(CSPCHAN_IOC_MAGIC, 0x01, struct cspchan_create_req)
#define CSPCHAN_IOC_OPEN	_IOWR(CSPCHAN_IOC_MAGIC, 0x02, struct cspchan_name_req)
#define CSPCHAN_IOC_UNLINK	_IOWR(CSPCHAN_IOC_MAGIC, 0x03, struct cspchan_name_req)
#define CSPCHAN_IOC_SELECT	_IOWR(CSPCHAN_IOC_MAGIC, 0x04, struct cspchan_select_req)

/* On a channel handle. */
#define CSPCHAN_IOC_SEND	_IOWR(CSPCHAN_IOC_MAGIC, 0x10, struct cspchan_xfer)
#define CSPCHAN_IOC_RECV	_IOWR(CSPCHAN_IOC_MAGIC, 0x11, struct cspchan_xfer)
#define CSPCHAN_IOC_SHUTDOWN	_IO(CSPCHAN_IOC_MAGIC, 0x12)
#define CSPCHAN_IOC_STAT	_IOR(CSPCHAN_IOC_MAGIC, 0x13, struct cspchan_info)
#define CSPCHAN_IOC_STAT_V1	_IOC(_IOC_READ, CSPCHAN_IOC_MAGIC, 0x13, CSPCHAN_INFO_SIZE_V1)
#define CSPCHAN_IOC_ACQUIRE	_IOWR(CSPCHAN_IOC_MAGIC, 0x14, struct cspchan_slot_req)
#define CSPCHAN_IOC_COMMIT	_IOWR(CSPCHAN_IOC_MAGIC, 0x15, struct cspchan_slot_req)
#define CSPCHAN_IOC_TAKE	_IOWR(CSPCHAN_IOC_MAGIC, 0x16, struct cspchan_slot_req)
#define CSPCHAN_IOC_RELEASE	_IOWR(CSPCHAN_IOC_MAGIC, 0x17, struct cspchan_slot_req)
#define CSPCHAN_IOC_ACK		_IOW(CSPCHAN_IOC_MAGIC, 0x18, struct cspchan_lease_req)
#define CSPCHAN_IOC_NACK	_IOW(CSPCHAN_IOC_MAGIC, 0x19, struct cspchan_lease_req)
#define CSPCHAN_IOC_SET_DEADLETTER _IOW(CSPCHAN_IOC_MAGIC, 0x1a, struct cspchan_deadletter_req)
#define CSPCHAN_IOC_SET_RATE	_IOW(CSPCHAN_IOC_MAGIC, 0x1b, struct cspchan_rate_req)
#define CSPCHAN_IOC_SET_BUSY_POLL _IOWR(CSPCHAN_IOC_MAGIC, 0x1c, struct cspchan_busy_poll_req)

/* io_uring command codes only (sqe->cmd_op); not ioctls. */
#define CSPCHAN_URING_ACQUIRE	_IOWR(CSPCHAN_IOC_MAGIC, 0x24, struct cspchan_uring_cmd)
#define CSPCHAN_URING_COMMIT	_IOWR(CSPCHAN_IOC_MAGIC, 0x25, struct cspchan_uring_cmd)
#define CSPCHAN_URING_TAKE	_IOWR(CSPCHAN_IOC_MAGIC, 0x26, struct cspchan_uring_cmd)
#define CSPCHAN_URING_RELEASE	_IOWR(CSPCHAN_IOC_MAGIC, 0x27, struct cspchan_uring_cmd)
#define CSPCHAN_URING_ACQUIREV	_IOWR(CSPCHAN_IOC_MAGIC, 0x20, struct cspchan_uring_cmd)
#define CSPCHAN_URING_COMMITV	_IOWR(CSPCHAN_IOC_MAGIC, 0x21, struct cspchan_uring_cmd)
#define CSPCHAN_URING_TAKEV	_IOWR(CSPCHAN_IOC_MAGIC, 0x22, struct cspchan_uring_cmd)
#define CSPCHAN_URING_RELEASEV	_IOWR(CSPCHAN_IOC_MAGIC, 0x23, struct cspchan_uring_cmd)

#endif /* _UAPI_LINUX_CSPCHAN_H */
