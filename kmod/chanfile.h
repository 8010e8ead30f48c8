/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: the file behind a channel handle (chanfile.c). */
#ifndef _CSPCHAN_CHANFILE_H
#define _CSPCHAN_CHANFILE_H

#include <linux/fs.h>

#include "cspchan.h"

struct file;

/**
 * struct cspchan_new_handle - a handle being created, not yet installed
 * @fd:		the reserved descriptor
 * @file:	the file, holding a channel reference
 */
struct cspchan_new_handle {
	int fd;
	struct file *file;
};

extern const struct file_operations cspchan_handle_fops;

/**
 * cspchan_handle_channel() - the channel behind a handle
 * @file:	any file
 *
 * Return: the channel if @file is a channel handle, else NULL.
 */
static inline struct cspchan *cspchan_handle_channel(struct file *file)
{
	return file->f_op == &cspchan_handle_fops ? cspchan_file_channel(file) :
						    NULL;
}

int cspchan_handle_prepare(struct cspchan *ch, unsigned int oflags,
			   struct cspchan_new_handle *h);
int cspchan_handle_install(struct cspchan_new_handle *h);
void cspchan_handle_abort(struct cspchan_new_handle *h);
int cspchan_install_handle(struct cspchan *ch, unsigned int oflags);

#endif /* _CSPCHAN_CHANFILE_H */
