// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: the slot arena, a channel's message storage.
 *
 * The arena is allocated page by page with __GFP_ACCOUNT so that it is
 * charged to the creator's memory cgroup (vmalloc_user() is not), and
 * mapped with VM_USERMAP so that the zero-copy path can hand it to
 * userspace with remap_vmalloc_range(), as kernel/bpf/ringbuf.c does.
 *
 * The copy path copies through the pages' direct-map addresses, not the
 * vmap: hardened usercopy checks a vmalloc address with find_vmap_area(),
 * a lookup under a global spinlock that every sender and receiver in the
 * system would then take once per message.
 */
#include <linux/error-injection.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>

#include "arena.h"
#include "cspchan.h"

/**
 * cspchan_arena_alloc() - allocate zeroed, accounted, mappable storage
 * @arena:	the arena to fill in
 * @size:	bytes wanted; rounded up to whole pages
 *
 * Return: 0, or -ENOMEM with @arena left empty.
 */
int cspchan_arena_alloc(struct cspchan_arena *arena, size_t size)
{
	const gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN;
	unsigned int nr_pages = PAGE_ALIGN(size) >> PAGE_SHIFT;
	struct page **pages;
	unsigned int i;

	pages = kvcalloc(nr_pages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return -ENOMEM;

	for (i = 0; i < nr_pages; i++) {
		pages[i] = alloc_page(gfp);
		if (!pages[i])
			goto err_free_pages;
	}

	arena->vaddr = vmap(pages, nr_pages, VM_MAP | VM_USERMAP, PAGE_KERNEL);
	if (!arena->vaddr)
		goto err_free_pages;

	arena->pages = pages;
	arena->nr_pages = nr_pages;
	return 0;

err_free_pages:
	while (i--)
		__free_page(pages[i]);
	kvfree(pages);
	return -ENOMEM;
}

ALLOW_ERROR_INJECTION(cspchan_arena_alloc, ERRNO);

/**
 * cspchan_arena_free() - release what cspchan_arena_alloc() allocated
 * @arena:	the arena; nothing may map it any more
 */
void cspchan_arena_free(struct cspchan_arena *arena)
{
	unsigned int i;

	if (!arena->pages)
		return;
	vunmap(arena->vaddr);
	for (i = 0; i < arena->nr_pages; i++)
		__free_page(arena->pages[i]);
	kvfree(arena->pages);
	arena->pages = NULL;
	arena->vaddr = NULL;
	arena->nr_pages = 0;
}

/*
 * Apply @copy to each page-sized piece of [@off, @off + @len) in turn.
 * Inlined into both callers, so @copy is a direct call on the copy path.
 */
static __always_inline size_t
cspchan_arena_copy(struct cspchan_arena *arena, size_t off, size_t len,
		   struct iov_iter *iter,
		   size_t (*copy)(struct page *page, size_t offset, size_t bytes,
				  struct iov_iter *iter))
{
	size_t done = 0;

	while (done < len) {
		size_t pos = off + done;
		size_t in_page = offset_in_page(pos);
		size_t chunk = min_t(size_t, len - done, PAGE_SIZE - in_page);
		size_t copied;

		copied = copy(arena->pages[pos >> PAGE_SHIFT], in_page, chunk,
			      iter);
		done += copied;
		if (copied != chunk)
			break;
	}
	return done;
}

/**
 * cspchan_arena_copy_in() - copy from an iterator into the arena
 * @arena:	the arena
 * @off:	byte offset in the arena; @off + @len lies inside it
 * @len:	bytes to copy
 * @from:	the source
 *
 * Return: bytes copied; fewer than @len on a fault.
 */
size_t cspchan_arena_copy_in(struct cspchan_arena *arena, size_t off,
			     size_t len, struct iov_iter *from)
{
	return cspchan_arena_copy(arena, off, len, from, copy_page_from_iter);
}

/**
 * cspchan_arena_copy_out() - copy from the arena to an iterator
 * @arena:	the arena
 * @off:	byte offset in the arena; @off + @len lies inside it
 * @len:	bytes to copy
 * @to:		the destination
 *
 * Return: bytes copied; fewer than @len on a fault.
 */
size_t cspchan_arena_copy_out(struct cspchan_arena *arena, size_t off,
			      size_t len, struct iov_iter *to)
{
	return cspchan_arena_copy(arena, off, len, to, copy_page_to_iter);
}
