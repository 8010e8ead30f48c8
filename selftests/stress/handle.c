// SPDX-License-Identifier: GPL-2.0
/*
 * A participant's handles: channels are opened by name, so after the
 * orchestrator replaced a generation (unlink, create, shut down) the next
 * open finds the new one.  A generation that is already shut down is not
 * used: the open is retried a few milliseconds later.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "soak.h"

#define REOPEN_DELAY_NS	(5 * 1000000ULL)

void handle_close(struct soak_handle *h)
{
	if (h->arena.base)
		cspchan_arena_unmap(&h->arena);
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	h->inflight = 0;
	h->dead = false;
	h->retry_ns = soak_now_ns() + REOPEN_DELAY_NS;
}

int handle_open(int me, struct soak_handle *h, int oflags, bool map)
{
	struct cspchan_stat st;
	int fd, ret;

	soak_busy(me, OP_OPEN);
	fd = cspchan_open(L->chans[h->k].name, oflags | O_CLOEXEC);
	soak_busy(me, OP_NONE);
	if (fd < 0) {
		h->retry_ns = soak_now_ns() + REOPEN_DELAY_NS;
		/* ENOENT: between the unlink and the create of the next generation. */
		if (fd != -ENOENT)
			soak_error(me, "cspchan_open", fd);
		return fd;
	}
	ret = cspchan_stat(fd, &st);
	if (ret < 0 || st.shut) {
		if (ret < 0)
			soak_error(me, "cspchan_stat", ret);
		close(fd);
		h->retry_ns = soak_now_ns() + REOPEN_DELAY_NS;
		return ret < 0 ? ret : -EPIPE;
	}
	memset(&h->arena, 0, sizeof(h->arena));
	if (map) {
		ret = cspchan_arena_map(fd, &h->arena, 0);
		if (ret < 0) {
			soak_error(me, "cspchan_arena_map", ret);
			close(fd);
			h->retry_ns = soak_now_ns() + REOPEN_DELAY_NS;
			return ret;
		}
	}
	h->fd = fd;
	h->chan_id = st.id;
	h->capacity = st.capacity;
	h->msg_size = st.msg_size;
	h->inflight = 0;
	h->dead = false;
	return 0;
}

bool handle_ready(int me, struct soak_handle *h, int oflags, bool map)
{
	if (h->fd >= 0)
		return true;
	if (soak_now_ns() < h->retry_ns)
		return false;
	return handle_open(me, h, oflags, map) == 0;
}
