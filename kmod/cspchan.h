/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cspchan: the object model — the structures every file shares, their
 * states and their lock rules.  Each .c file exports its functions in a
 * header of its own name; this one declares no functions
 * beyond a few inline accessors of these structures.
 *
 * The files, from the bottom up (none calls a file above it):
 *
 *   arena.c	the accounted, mmappable slot arena
 *   pace.c	the token bucket of a paced channel
 *   wait.c	waiters: parking, the select claim, sleeping, waking
 *   slots.c	slot states, the free stack, the FIFO, offers and
 *		hand-off, consume and put-back; slot index checks
 *   reaper.c	parked asynchronous requests nobody can reap any more
 *   channel.c	the channel object: creation, limits, references,
 *		figures, shutdown and auto-close
 *   lease.c	leases: delivered messages held until acknowledged,
 *		redelivery, revocation, dead letters
 *   reply.c	reply channels travelling in messages
 *   transfer.c	the copy path: send and receive through user buffers
 *   zerocopy.c	slots held in place: acquire, commit, take, release; mmap
 *   uring_owner.c	is an io_uring request's submitter still there?
 *   uring.c	the slot operations as io_uring commands
 *   uring_rw.c	io_uring reads parked in order, not polled
 *   names.c	the name table, scoped by IPC namespace
 *   select.c	the atomic multi-channel select
 *   chanfile.c	the file behind a channel handle (read/write/poll/ioctl)
 *   procfs.c	the system-wide text view /proc/cspchan
 *   main.c	the control device /dev/cspchan and module parameters
 *   compat.h	every difference between kernel versions
 *
 * Locks: the channel's state is guarded by cspchan.lock (a mutex: user
 * memory is copied under it, as fs/pipe.c does).  Tasks parked on a
 * channel are woken after it is dropped (wait.c).  The name table lock
 * (names.c) and the list of all channels (channel.c) are taken before a
 * channel lock, never while holding one.  io_uring's ring lock may be
 * held when a channel lock is taken (uring.c's cancel), never the other
 * way round.
 */
#ifndef _CSPCHAN_INTERNAL_H
#define _CSPCHAN_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/cspchan.h>

struct file;
struct iov_iter;
struct pid;
struct seq_file;
struct task_struct;
struct vfsmount;
struct vm_area_struct;

#define CSPCHAN_SLOT_ALIGN	64

/**
 * struct cspchan_arena - message storage shared with userspace
 * @pages:	the pages, each charged to the creator's memory cgroup
 * @nr_pages:	number of @pages
 * @vaddr:	kernel mapping of @pages (VM_USERMAP, so it can be mmapped)
 */
struct cspchan_arena {
	struct page **pages;
	unsigned int nr_pages;
	void *vaddr;
};

/**
 * struct cspchan_slot - kernel-owned metadata of one arena slot
 * @len:	message length while the slot holds a message
 * @relay_pid:	a relayed message (@pid NULL): the pid it came with,
 *		reported as it is in every pid namespace
 * @seq:	sequence number assigned when the message was delivered, or
 *		the one it came with (relayed, dead letter)
 * @sent_ns:	CLOCK_MONOTONIC time of the send, or the one it came with
 * @order:	the message's place in the channel's order (cspchan.sent
 *		when it was sent): what put-back sorts by, since a relayed or
 *		dead-lettered @seq is not the channel's
 * @pid:	the last sender's thread-group pid (a reference, kept until
 *		another sender uses the slot); NULL for a relayed message
 *		(CSPCHAN_RELAY), which brought its own
 * @offerer:	unbuffered channel: the sender parked until this message is
 *		taken; NULL otherwise
 * @owner:	zero-copy: the handle that holds the slot, or NULL
 * @held:	enum cspchan_held: how @owner holds it
 * @deliveries:	lease channels: how often the message was delivered
 * @attach:	the reply channel the message carries, or NULL
 */
struct cspchan_slot {
	u32 len;
	u32 relay_pid;
	u64 seq;
	u64 sent_ns;
	u64 order;
	struct pid *pid;
	struct cspchan_waiter *offerer;
	struct file *owner;
	u32 held;
	u32 deliveries;
	struct cspchan_attach *attach;
};

/**
 * struct cspchan_attach - a reply channel a message carries (SPEC 12)
 * @node:	entry in reply.c's list of attachments being dropped
 * @reply:	the reply channel: a reference, counted in its reply_refs
 * @drop:	let go of it; callable under any channel lock (reply.c), so
 *		that the core frees a slot without naming reply channels
 */
struct cspchan_attach {
	struct llist_node node;
	struct cspchan *reply;
	void (*drop)(struct cspchan_attach *a);
};

enum cspchan_held {
	CSPCHAN_HELD_NONE,
	CSPCHAN_HELD_ACQUIRED,	/* acquired, being filled in place */
	CSPCHAN_HELD_TAKEN,	/* taken, being read in place */
	/* io_uring TAKE granted, its answer not yet written: not releasable */
	CSPCHAN_HELD_TAKING,
	CSPCHAN_HELD_LEASED,	/* copied out, leased until acknowledged */
};

/**
 * struct cspchan_lease - the lease on a delivered message (lease channels)
 * @id:		the lease id, 0 while the slot is not leased
 * @expires_ns:	CLOCK_MONOTONIC time of revocation (lease_ms channels)
 * @hash:	entry in cspchan.lease_hash, by @id
 * @expiry:	entry in cspchan.lease_expiry (lease_ms channels), in the
 *		order the leases were granted, which is the order of
 *		@expires_ns; a list of leases being ended otherwise
 *
 * One per slot: the holder is the slot's owner, and a leased message keeps
 * its slot, so capacity bounds queued plus leased messages.
 */
struct cspchan_lease {
	u64 id;
	u64 expires_ns;
	struct hlist_node hash;
	struct list_head expiry;
};

/**
 * struct cspchan_handle - one channel handle (an open file description)
 * @ch:		its channel; the handle holds a reference
 * @implicit:	the lease of the message its last read(2), recv, select or
 *		io_uring READ received, 0 when none (cspchan.lock)
 * @travelled:	installed from a message: counted in the channel's
 *		reply_refs (reply.c)
 * @busy_poll_us: spin budget before a blocking wait, 0 for none
 *		(busypoll.c; written under cspchan.lock, read locklessly)
 */
struct cspchan_handle {
	struct cspchan *ch;
	u64 implicit;
	bool travelled;
	u32 busy_poll_us;
};

/* The channel behind a file known to be a channel handle. */
static inline struct cspchan *cspchan_file_channel(const struct file *file)
{
	const struct cspchan_handle *h = file->private_data;

	return h->ch;
}

enum cspchan_wait_state {
	CSPCHAN_WAITING,	/* parked, nothing happened yet */
	/* sender: got a slot; receiver: got a message; offerer: taken */
	CSPCHAN_GRANTED,
	CSPCHAN_SHUT,		/* the channel was shut down */
};

/**
 * struct cspchan_sel - what the waiters of one select share
 * @done:	0 while the select may still be claimed; set to 1 by the
 *		first waker to claim it (atomic_cmpxchg), or by the selecting
 *		task itself when it proceeds or gives up
 */
struct cspchan_sel {
	atomic_t done;
};

struct cspchan;
struct cspchan_waiter;
struct cspchan_wakeups;

/**
 * struct cspchan_waiter_ops - a waiter that is not a sleeping task
 * @claim:	may @w be given something?  Called under the channel lock
 *		once @w is unlinked from its queue; false when @w was
 *		cancelled instead (its submitter is gone), and the next
 *		waiter is served
 * @grant:	@w was served (state CSPCHAN_GRANTED, slot in @w->slot) or
 *		the channel shut down (CSPCHAN_SHUT): complete it
 * @gone:	can nobody reap @w's completion any more?  The channel's
 *		reaper asks this of every waiter on cspchan.async_parked
 * @cancel:	take @w off the channel and complete it with -ECANCELED
 *
 * As wait_queue_entry->func lets io_uring plug into a wait queue, these
 * let the asynchronous transports (uring.c, uring_rw.c) plug into a channel's
 * queues without the core naming them.
 */
struct cspchan_waiter_ops {
	bool (*claim)(struct cspchan *ch, struct cspchan_waiter *w);
	void (*grant)(struct cspchan *ch, struct cspchan_waiter *w, int state,
		      struct cspchan_wakeups *wk);
	bool (*gone)(struct cspchan_waiter *w);
	void (*cancel)(struct cspchan *ch, struct cspchan_waiter *w);
};

/**
 * struct cspchan_waiter - a task or an asynchronous request parked on a
 *	channel
 * @node:	entry in cspchan.sendq or .recvq (unused for an offerer);
 *		unlinked with list_del_init() so that a select can tell it
 *		was taken off
 * @task:	the parked task (NULL for an asynchronous request)
 * @sel:	the select this waiter belongs to, or NULL
 * @ops:	how to complete an asynchronous request, or NULL for a task
 * @parked:	an asynchronous request: entry in cspchan.async_parked
 * @since:	a receiver on a paced channel: when it parked (ns)
 * @index:	the select case it stands for
 * @slot:	the granted slot (valid when @state is CSPCHAN_GRANTED)
 * @spin_us:	a task: how long it may spin before it sleeps (busypoll.c)
 * @state:	enum cspchan_wait_state, written by the waker under the
 *		channel lock; once it leaves CSPCHAN_WAITING the waker never
 *		touches the waiter again
 *
 * A sender parked with its message in the ring (an offer, on an unbuffered
 * channel) is the slot's @offerer instead of being on a queue.
 */
struct cspchan_waiter {
	struct list_head node;
	struct task_struct *task;
	struct cspchan_sel *sel;
	const struct cspchan_waiter_ops *ops;
	struct list_head parked;
	u64 since;
	u32 index;
	u32 slot;
	u32 spin_us;
	int state;
};

/*
 * Tasks to wake once ch->lock is dropped (wake_q is not exported).  One
 * operation wakes at most a handful; shutdown may wake many, and the
 * overflow is woken at once.
 */
struct cspchan_wakeups {
	struct task_struct *task[4];
	unsigned int nr;
};

/* Flags of cspchan_send_iter() and cspchan_recv_iter(). */
#define CSPCHAN_IO_NONBLOCK	BIT(0)	/* -EAGAIN instead of waiting */
#define CSPCHAN_IO_LEASE	BIT(1)	/* receive: return an explicit lease */
#define CSPCHAN_IO_FD		BIT(2)	/* receive: take the reply channel */
/* send: the slot already carries the message's origin (cspchan_slot_relay()) */
#define CSPCHAN_IO_ORIGIN	BIT(3)
/* with NONBLOCK: an io_uring write (read), never ahead of others (@uw_nr, @rw_nr) */
#define CSPCHAN_IO_BEHIND	BIT(4)

#define CSPCHAN_MAX_SELECT_CASES	64

/**
 * struct cspchan - one channel
 * @ref:		references: each handle, the name table entry
 * @id:			system-wide id, never reused while the module lives
 * @capacity:		buffered messages; 0 for unbuffered (immutable)
 * @msg_size:		largest message (immutable)
 * @slot_size:		bytes between slots in the arena (immutable)
 * @nr_slots:		slots in the arena (immutable)
 * @charged:		bytes charged to the creator's per-user limit (immutable)
 * @flags:		CSPCHAN_CREATE_FLAGS (immutable)
 * @max_deliveries:	lease channels: dead-letter after this many (immutable)
 * @lease_ms:		lease channels: revoke leases after this long (immutable)
 * @uid:		creator's fsuid, owner for permission checks (immutable)
 * @gid:		creator's fsgid (immutable)
 * @mode:		permission bits (immutable)
 * @ns_mnt:		the mqueue mount of the IPC namespace the channel was
 *			created in; pinned, so that its superblock identifies
 *			the namespace for as long as the channel lives
 * @name:		"" when anonymous (immutable)
 * @arena:		message storage
 * @lock:		guards everything below; user memory is copied under it
 * @slots:		per-slot metadata, @nr_slots entries
 * @ring:		queued slot indices in FIFO order, @nr_slots entries
 * @head:		index in @ring of the oldest queued message
 * @queued:		entries in @ring (messages, and offers when unbuffered)
 * @free:		stack of free slot indices
 * @nr_free:		entries in @free
 * @sendq:		senders parked waiting for a free slot, in arrival order
 * @recvq:		receivers parked waiting for a message, in arrival order
 * @nr_sendq:		entries on @sendq
 * @nr_recvq:		entries on @recvq
 * @nr_offers:		unbuffered: senders (tasks, selects, io_uring COMMITs)
 *			parked with their message in @ring
 * @shut:		shut down; read locklessly by ->poll
 * @polled:		someone polled a handle once: wakers check @rd_wait
 *			and @wr_wait from then on (set under @lock, never
 *			cleared)
 * @named:		reachable through the name table (guarded by the
 *			name table lock, read under either lock)
 * @send_handles:	open handles that may send (for auto-close)
 * @autoclose_armed:	a message was sent, or two send-capable handles
 *			were open at once: auto-close may now fire
 * @next_seq:		sequence number of the next delivered message (relayed
 *			ones bring their own and leave it alone)
 * @sent:		messages delivered, total; also the next message's
 *			place in the order (cspchan_slot.order)
 * @received:		messages taken by receivers, total
 * @high_water:		largest @queued seen (buffered channels)
 * @rd_wait:		poll/epoll/io_uring waiters for EPOLLIN
 * @wr_wait:		poll/epoll/io_uring waiters for EPOLLOUT
 * @all_node:		entry in the list of all channels (cspchan_all_lock)
 * @name_node:		entry in the name table (names.c lock)
 * @reap_node:		entry in a private list of names being dropped
 * @async_parked:	asynchronous requests (io_uring commands, reads and
 *			writes)
 *			parked on this channel (@lock)
 * @reaper:		cancels parked requests nobody can reap any more;
 *			scheduled while @async_parked is not empty
 * @rw_granted:		io_uring reads handed a message whose copy (in their
 *			submitter's task) has not run yet, in the order they
 *			were handed it (@lock)
 * @rw_nr:		reads on @rw_granted or in a task work's batch, not
 *			yet settled; while there are any, an io_uring
 *			read takes its message behind them (@lock; read
 *			locklessly as a hint)
 * @uw_granted:		io_uring writes granted a slot whose copy and post (in
 *			their submitter's task) have not run yet, in the
 *			order they were granted it (@lock)
 * @uw_nr:		io_uring writes parked on sendq, on @uw_granted or in a
 *			task work's batch; while there are any, no io_uring
 *			write posts inline (@lock; read locklessly as a hint)
 * @leases:		lease channels: one struct cspchan_lease per slot
 * @lease_hash:		lease channels: leased slots by lease id
 * @lease_hash_bits:	log2 of @lease_hash's buckets (immutable)
 * @next_lease:		the next lease id (from 1)
 * @leased:		messages leased now
 * @redelivered:	deliveries after a message's first
 * @dead:		messages dead-lettered or dropped after max_deliveries
 * @dead_letter:	id of the dead-letter channel, 0 for none (a weak
 *			reference: it is looked up when a letter is sent)
 * @lease_expiry:	leased slots in the order of their expiry
 * @lease_timer:	revokes expired leases (lease.c)
 * @rate:		paced channels: messages per second, 0 unpaced; read
 *			locklessly by ->poll
 * @burst:		paced channels: the token bucket's size
 * @pace_interval_ns:	paced channels: 1 s / @rate
 * @pace_tat_ns:	paced channels: the bucket (pace.c)
 * @throttled_ns:	time receivers waited for a token, summed
 * @pacer:		fires when the next token is there (pace.c)
 * @pace_work:		hands messages to receivers waiting for a token
 * @recv_handles:	open handles that may receive (reply channels shut
 *			down when the last goes) (@lock)
 * @reply_refs:		reply channels: messages carrying it and open handles
 *			that travelled in one (reply.c)
 * @travelled:		reply channels: a message carrying it was sent
 * @busy_handles:	handles with a busy-poll budget (@lock)
 * @last_sender:	while @busy_handles: the thread that sent last, a
 *			reference (@lock; busypoll.c)
 * @last_receiver:	while @busy_handles: the thread that received last
 */
struct cspchan {
	struct kref ref;
	u64 id;
	u32 capacity;
	u32 msg_size;
	u32 slot_size;
	u32 nr_slots;
	u64 charged;
	u32 flags;
	u32 max_deliveries;
	u32 lease_ms;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	struct vfsmount *ns_mnt;
	char name[CSPCHAN_NAME_MAX];
	struct cspchan_arena arena;

	struct mutex lock;		/* guards the fields below */
	struct cspchan_slot *slots;
	u32 *ring;
	u32 head;
	u32 queued;
	u32 *free;
	u32 nr_free;
	struct list_head sendq;
	struct list_head recvq;
	u32 nr_sendq;
	u32 nr_recvq;
	u32 nr_offers;
	bool shut;
	bool polled;
	bool named;
	unsigned int send_handles;
	bool autoclose_armed;
	u64 next_seq;
	u64 sent;
	u64 received;
	u32 high_water;
	wait_queue_head_t rd_wait;
	wait_queue_head_t wr_wait;

	struct list_head all_node;
	struct hlist_node name_node;
	struct list_head reap_node;
	struct list_head async_parked;
	struct delayed_work reaper;
	struct list_head rw_granted;
	u32 rw_nr;
	struct list_head uw_granted;
	u32 uw_nr;

	struct cspchan_lease *leases;
	struct hlist_head *lease_hash;
	u32 lease_hash_bits;
	u64 next_lease;
	u32 leased;
	u64 redelivered;
	u64 dead;
	u64 dead_letter;
	struct list_head lease_expiry;
	struct delayed_work lease_timer;

	u32 rate;
	u32 burst;
	u64 pace_interval_ns;
	u64 pace_tat_ns;
	u64 throttled_ns;
	struct hrtimer pacer;
	struct work_struct pace_work;

	unsigned int recv_handles;
	atomic_t reply_refs;
	bool travelled;

	unsigned int busy_handles;
	struct pid *last_sender;
	struct pid *last_receiver;
};

/* Does the channel lease what it delivers (SPEC 9)? */
static inline bool cspchan_leases(const struct cspchan *ch)
{
	return ch->flags & CSPCHAN_LEASE;
}

/* Does the channel let senders supply a message's origin (CSPCHAN_RELAY)? */
static inline bool cspchan_relays(const struct cspchan *ch)
{
	return ch->flags & CSPCHAN_RELAY;
}

/* Did the message in @s bring its own seq, pid and sent_ns? */
static inline bool cspchan_slot_relayed(const struct cspchan_slot *s)
{
	return !s->pid;
}

/**
 * struct cspchan_msgmeta - what a receiver learns about a message, or
 *	what a relayed one brings (CSPCHAN_XFER_ORIGIN: @seq, @sent_ns, @pid)
 * @seq:	sequence number
 * @sent_ns:	CLOCK_MONOTONIC time of the send
 * @pid:	sender's tgid in the receiver's pid namespace, or the relayed
 *		pid as it came
 * @deliveries:	deliveries of this message, 1 the first time
 * @lease:	the lease the receiver holds it under, 0 for none
 * @reply:	CSPCHAN_IO_FD: the reply channel the message carried, for a
 *		travelled handle (referenced and counted), or NULL
 */
struct cspchan_msgmeta {
	u64 seq;
	u64 sent_ns;
	u32 pid;
	u32 deliveries;
	u64 lease;
	struct cspchan *reply;
};

#endif /* _CSPCHAN_INTERNAL_H */
