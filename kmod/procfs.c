// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: /proc/cspchan, the system-wide text view.
 *
 * One header line, then one line per channel created in the reader's IPC
 * namespace (named or anonymous), with the figures of struct cspchan_info.
 * procfs rather than debugfs because it is an interface for unprivileged
 * users and exporters (like /proc/sysvipc/msg), and rather than sysfs
 * because it is one table, not one value per file.  See docs/procfs.md.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "channel.h"
#include "cspchan.h"
#include "names.h"
#include "procfs.h"

static bool cspchan_proc_show_one(struct cspchan *ch, void *arg)
{
	struct seq_file *m = arg;
	struct cspchan_info info;

	if (!cspchan_ns_mnt_is_current(ch->ns_mnt))
		return true;
	cspchan_fill_info(ch, &info, false);
	seq_printf(m, "%llu %s %u %u %u %u %u %u %llu %llu %u %u %llu %llu %u %u %llu\n",
		   info.id, info.name[0] ? info.name : "-", info.capacity,
		   info.msg_size, info.depth, info.senders_waiting,
		   info.receivers_waiting, !!(info.flags & CSPCHAN_INFO_SHUT),
		   info.sent, info.received, info.high_water, info.leased,
		   info.redelivered, info.dead, info.rate, info.burst,
		   info.throttled_ns);
	return true;
}

static int cspchan_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "id name capacity msg_size depth senders_waiting receivers_waiting shut sent received high_water leased redelivered dead rate burst throttled_ns\n");
	cspchan_for_each(cspchan_proc_show_one, m);
	return 0;
}

int cspchan_procfs_init(void)
{
	if (!proc_create_single("cspchan", 0444, NULL, cspchan_proc_show))
		return -ENOMEM;
	return 0;
}

void cspchan_procfs_exit(void)
{
	remove_proc_entry("cspchan", NULL);
}
