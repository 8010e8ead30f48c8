// SPDX-License-Identifier: GPL-2.0
/*
 * A program built only with "pkg-config --cflags --libs cspchan", as a
 * user of the installed library would build it (tools/check-packaging).
 * <cspchan.h> includes the ABI header <linux/cspchan.h>, which only the
 * pkg-config file's Cflags find.  Without /dev/cspchan it reports the error
 * and succeeds; with the module loaded it also sends a message through a
 * channel and receives it back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cspchan.h>

static int round_trip(void)
{
	struct cspchan_attr attr = { .capacity = 4, .msg_size = 64, .mode = 0600 };
	char buf[64];
	ssize_t n;
	int ch;

	ch = cspchan_create(NULL, &attr, 0);
	if (ch < 0) {
		fprintf(stderr, "consumer: cspchan_create: %s\n", strerror(-ch));
		return 1;
	}
	n = cspchan_send(ch, "hello", 5);
	if (n == 5)
		n = cspchan_recv(ch, buf, sizeof(buf));
	close(ch);
	if (n != 5 || memcmp(buf, "hello", 5)) {
		fprintf(stderr, "consumer: round trip failed (%zd)\n", n);
		return 1;
	}
	printf("consumer: round trip through a channel: ok\n");
	return 0;
}

int main(void)
{
	struct cspchan_features f;
	int ret;

	printf("consumer: libcspchan %d.%d headers\n", CSPCHAN_VERSION_MAJOR,
	       CSPCHAN_VERSION_MINOR);
	ret = cspchan_features(&f);
	if (ret < 0) {
		printf("consumer: no cspchan module here (%s)\n", strerror(-ret));
		return 0;
	}
	printf("consumer: module features %#llx, max_capacity %u\n",
	       (unsigned long long)f.features, f.max_capacity);
	return round_trip();
}
