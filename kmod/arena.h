/* SPDX-License-Identifier: GPL-2.0 */
/* cspchan: the accounted, mmappable slot arena (arena.c). */
#ifndef _CSPCHAN_ARENA_H
#define _CSPCHAN_ARENA_H

#include "cspchan.h"

int cspchan_arena_alloc(struct cspchan_arena *arena, size_t size);
void cspchan_arena_free(struct cspchan_arena *arena);
size_t cspchan_arena_copy_in(struct cspchan_arena *arena, size_t off,
			     size_t len, struct iov_iter *from);
size_t cspchan_arena_copy_out(struct cspchan_arena *arena, size_t off,
			      size_t len, struct iov_iter *to);

#endif /* _CSPCHAN_ARENA_H */
