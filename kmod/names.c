// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: the name table, scoped by IPC namespace.
 *
 * A module cannot pin an IPC namespace (put_ipc_ns() is not exported), so
 * a channel pins the namespace's POSIX message queue mount instead
 * (ns->mq_mnt, with mntget()).  That mount lives exactly as long as the
 * namespace and is never reused while pinned, so its address identifies
 * the namespace; and when the namespace dies, put_ipc_ns() clears the
 * mount's superblock s_fs_info (mq_clear_sbinfo()), which tells us its
 * names are dead.  Dead names are reaped lazily, before a channel is
 * created (so that they stop counting against their user's limits) and
 * at module exit.  See docs/names.md.
 */
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/jhash.h>
#include <linux/mount.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "channel.h"
#include "cspchan.h"
#include "names.h"

static DEFINE_MUTEX(cspchan_names_lock);
static DEFINE_HASHTABLE(cspchan_names, 8);

/**
 * cspchan_name_valid() - check a name from userspace
 * @name:	CSPCHAN_NAME_MAX bytes
 *
 * Return: 0 for 1..63 bytes of [A-Za-z0-9._-], -ENAMETOOLONG when there is
 * no terminating NUL, -EINVAL otherwise.
 */
int cspchan_name_valid(const char *name)
{
	size_t len = strnlen(name, CSPCHAN_NAME_MAX), i;

	if (len == CSPCHAN_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) || (!isalnum(name[i]) &&
					  !strchr("._-", name[i])))
			return -EINVAL;
	return 0;
}

/**
 * cspchan_current_ns_mnt() - the identity of the caller's IPC namespace
 *
 * Return: the namespace's mqueue mount (alive while the caller runs), or
 * NULL on a kernel without POSIX message queues.
 */
struct vfsmount *cspchan_current_ns_mnt(void)
{
#ifdef CONFIG_POSIX_MQUEUE
	return current->nsproxy->ipc_ns->mq_mnt;
#else
	return NULL;
#endif
}

/**
 * cspchan_ns_mnt_is_current() - was the channel created in our namespace?
 * @mnt:	a channel's ns_mnt
 */
bool cspchan_ns_mnt_is_current(struct vfsmount *mnt)
{
	return mnt == cspchan_current_ns_mnt();
}

static bool cspchan_ns_dead(struct vfsmount *mnt)
{
	return !READ_ONCE(mnt->mnt_sb->s_fs_info);
}

static u32 cspchan_name_hash(struct vfsmount *mnt, const char *name)
{
	return jhash(name, strlen(name), hash_ptr(mnt, 32));
}

static struct cspchan *cspchan_name_find(struct vfsmount *mnt,
					 const char *name)
{
	struct cspchan *ch;

	lockdep_assert_held(&cspchan_names_lock);
	hash_for_each_possible(cspchan_names, ch, name_node,
			       cspchan_name_hash(mnt, name))
		if (ch->ns_mnt == mnt && !strcmp(ch->name, name))
			return ch;
	return NULL;
}

static void cspchan_name_remove(struct cspchan *ch)
{
	lockdep_assert_held(&cspchan_names_lock);
	hash_del(&ch->name_node);
	WRITE_ONCE(ch->named, false);
}

/* Drop the names of dead namespaces; returns the channels to put. */
static void cspchan_names_reap(struct list_head *dead)
{
	struct hlist_node *tmp;
	struct cspchan *ch;
	int bkt;

	lockdep_assert_held(&cspchan_names_lock);
	hash_for_each_safe(cspchan_names, bkt, tmp, ch, name_node) {
		if (!cspchan_ns_dead(ch->ns_mnt))
			continue;
		cspchan_name_remove(ch);
		list_add(&ch->reap_node, dead);
	}
}

static void cspchan_put_list(struct list_head *dead)
{
	struct cspchan *ch, *tmp;

	list_for_each_entry_safe(ch, tmp, dead, reap_node)
		cspchan_put(ch);
}

/**
 * cspchan_names_reap_dead() - drop the names of dead IPC namespaces
 *
 * Called before a create is charged, so that channels kept only by the
 * name table of a namespace that is gone no longer count against their
 * user's limits.
 */
void cspchan_names_reap_dead(void)
{
	LIST_HEAD(dead);

	mutex_lock(&cspchan_names_lock);
	cspchan_names_reap(&dead);
	mutex_unlock(&cspchan_names_lock);
	cspchan_put_list(&dead);
}

/**
 * cspchan_name_create() - give a new channel its name
 * @ch:		the new channel, ch->name set, created in the caller's ns
 * @existing:	set to the channel already holding the name (with a
 *		reference) when @excl is false
 * @excl:	fail with -EEXIST if the name exists
 *
 * Return: 0 (named, or *@existing set), or -EEXIST.
 */
int cspchan_name_create(struct cspchan *ch, struct cspchan **existing,
			bool excl)
{
	struct cspchan *old;
	LIST_HEAD(dead);
	int ret = 0;

	*existing = NULL;
	mutex_lock(&cspchan_names_lock);
	cspchan_names_reap(&dead);
	old = cspchan_name_find(ch->ns_mnt, ch->name);
	if (old && excl) {
		ret = -EEXIST;
	} else if (old) {
		cspchan_get(old);
		*existing = old;
	} else {
		cspchan_get(ch);	/* the table's reference */
		WRITE_ONCE(ch->named, true);
		hash_add(cspchan_names, &ch->name_node,
			 cspchan_name_hash(ch->ns_mnt, ch->name));
	}
	mutex_unlock(&cspchan_names_lock);
	cspchan_put_list(&dead);
	return ret;
}

/**
 * cspchan_name_lookup() - find a name in the caller's IPC namespace
 * @name:	a valid name
 *
 * Return: the channel with a reference, or NULL.
 */
struct cspchan *cspchan_name_lookup(const char *name)
{
	struct vfsmount *mnt = cspchan_current_ns_mnt();
	struct cspchan *ch = NULL;

	if (!mnt)
		return NULL;
	mutex_lock(&cspchan_names_lock);
	ch = cspchan_name_find(mnt, name);
	if (ch)
		cspchan_get(ch);
	mutex_unlock(&cspchan_names_lock);
	return ch;
}

/**
 * cspchan_permission() - may the caller open @ch with @oflags?
 * @ch:		the channel
 * @oflags:	O_RDONLY, O_WRONLY or O_RDWR in O_ACCMODE
 *
 * The owner/group/other bits are checked as for a file; CAP_IPC_OWNER in
 * the user namespace owning the caller's IPC namespace overrides them
 * (the logic of ipcperms(), which is not exported).
 *
 * Return: 0 or -EACCES.
 */
int cspchan_permission(struct cspchan *ch, unsigned int oflags)
{
	unsigned int want = 0, granted = ch->mode;
	kuid_t fsuid = current_fsuid();

	if ((oflags & O_ACCMODE) != O_WRONLY)
		want |= 4;
	if ((oflags & O_ACCMODE) != O_RDONLY)
		want |= 2;
	if (uid_eq(fsuid, ch->uid))
		granted >>= 6;
	else if (in_group_p(ch->gid))
		granted >>= 3;
	if (!(want & ~granted & 7))
		return 0;
	if (ns_capable(current->nsproxy->ipc_ns->user_ns, CAP_IPC_OWNER))
		return 0;
	return -EACCES;
}

/**
 * cspchan_name_unlink() - remove a name from the caller's IPC namespace
 * @name:	a valid name
 *
 * Like a file in a sticky directory (the mqueue filesystem's root), only
 * the owner or a holder of CAP_IPC_OWNER may remove it.  Open handles keep
 * working; the channel is freed with its last handle.
 *
 * Return: 0, -ENOENT or -EACCES.
 */
int cspchan_name_unlink(const char *name)
{
	struct vfsmount *mnt = cspchan_current_ns_mnt();
	struct cspchan *ch;
	int ret = 0;

	if (!mnt)
		return -ENOENT;
	mutex_lock(&cspchan_names_lock);
	ch = cspchan_name_find(mnt, name);
	if (!ch)
		ret = -ENOENT;
	else if (!uid_eq(current_fsuid(), ch->uid) &&
		 !ns_capable(current->nsproxy->ipc_ns->user_ns, CAP_IPC_OWNER))
		ret = -EACCES;
	else
		cspchan_name_remove(ch);
	mutex_unlock(&cspchan_names_lock);
	if (!ret)
		cspchan_put(ch);
	return ret;
}

/**
 * cspchan_names_exit() - module exit: drop every name
 */
void cspchan_names_exit(void)
{
	struct hlist_node *tmp;
	struct cspchan *ch;
	LIST_HEAD(dead);
	int bkt;

	mutex_lock(&cspchan_names_lock);
	hash_for_each_safe(cspchan_names, bkt, tmp, ch, name_node) {
		cspchan_name_remove(ch);
		list_add(&ch->reap_node, &dead);
	}
	mutex_unlock(&cspchan_names_lock);
	cspchan_put_list(&dead);
}
