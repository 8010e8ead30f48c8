// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan: the slot arena, a channel's message storage.
 *
 * The arena is allocated page by page with __GFP_ACCOUNT so that it is
 * charged to the creator's memory cgroup (vmalloc_user() is not), and
 * mapped with VM_USERMAP so that the zero-copy path can hand it to
 * userspace with remap_vmalloc_range(), as kernel/bpf/ringbuf.c does.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

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
