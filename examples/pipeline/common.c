// SPDX-License-Identifier: MIT
/* Helpers shared by the pipeline demo's stages (see pipeline.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pipeline.h"

void die(const char *what, long err)
{
	fprintf(stderr, "pipeline[%d]: %s: %s\n", getpid(), what, strerror(err < 0 ? -err : err));
	exit(1);
}

/*
 * Open a channel by name (O_RDONLY for an input, O_WRONLY for a service's
 * request channel), waiting (up to 30 s) for whoever creates it.
 */
int open_chan(const char *name, int oflags)
{
	int i, ch;

	for (i = 0; i < 3000; i++) {
		ch = cspchan_open(name, oflags | O_CLOEXEC);
		if (ch != -ENOENT)
			break;
		usleep(10000);
	}
	if (ch < 0)
		die(name, ch);
	return ch;
}

/* Create a channel, or open it if a sibling created it first. */
int create_chan(const char *name, const struct cspchan_attr *attr)
{
	int ch = cspchan_create(name, attr, O_CLOEXEC);

	if (ch < 0)
		die(name, ch);
	return ch;
}

struct progress *progress_map(const char *dir, const char *stage)
{
	char path[512];
	struct progress *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s-%d.progress", dir, stage, getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, sizeof(*p)) < 0)
		die(path, errno);
	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die(path, errno);
	close(fd);
	return p;
}

/* One line per process: the demo's summary adds them up per stage. */
void report(const char *dir, const char *stage, uint64_t in, uint64_t out,
	    double seconds)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-%d.stats", dir, stage, getpid());
	f = fopen(path, "w");
	if (!f)
		die(path, errno);
	fprintf(f, "%s %d %llu %llu %.3f\n", stage, getpid(),
		(unsigned long long)in, (unsigned long long)out, seconds);
	fclose(f);
}
