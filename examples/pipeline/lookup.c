// SPDX-License-Identifier: MIT
/*
 * lookup: one of a small request/response service pool on demo.lookup.
 * A request (struct lookup_req, sent with cspchan_call()) carries a reply
 * channel, which cspchan_recvmsg() installs as info.fd: the server sends
 * the category there, closes it and acknowledges the request (demo.lookup
 * is a lease channel: a server that dies mid-request hands it back, reply
 * channel included).  A caller that gave up (it timed out, or was killed)
 * makes the reply fail with EPIPE, which is fine.  Exits when demo.lookup
 * is shut down and drained.
 *   lookup DIR
 */
#include <errno.h>
#include <string.h>

#include "pipeline.h"

static const char *category(uint32_t amount_cents)
{
	if (amount_cents < 10000)
		return "small";
	if (amount_cents < 30000)
		return "medium";
	return "large";
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	struct cspchan_attr attr = {
		.capacity = 8,
		.msg_size = sizeof(struct lookup_req),
		.mode = 0600,
		.flags = CSPCHAN_LEASE,
	};
	int in = create_chan(CH_LOOKUP, &attr);
	uint64_t served = 0, abandoned = 0, no_reply_to = 0;
	struct cspchan_msginfo info;
	struct lookup_req req;
	double start = now_s();
	ssize_t n;
	int err;

	while ((n = cspchan_recvmsg(in, &req, sizeof(req), &info)) > 0) {
		struct lookup_reply reply;

		if (info.fd < 0) {
			no_reply_to++;
		} else {
			memset(&reply, 0, sizeof(reply));
			strcpy(reply.category, category(req.amount_cents));
			n = cspchan_send(info.fd, &reply, sizeof(reply));
			if (n == -EPIPE)
				abandoned++;	/* the caller has gone */
			else if (n < 0)
				die("reply", n);
			else
				served++;
			close(info.fd);
		}
		err = cspchan_ack(in, info.lease);
		if (err < 0)
			die("ack", err);
	}
	if (n < 0)
		die("recv", n);
	report(dir, "lookup", served + abandoned + no_reply_to, served, now_s() - start);
	printf("lookup %d: %llu requests answered, %llu replies to callers that had gone, %llu without a reply channel\n",
	       getpid(), (unsigned long long)served, (unsigned long long)abandoned,
	       (unsigned long long)no_reply_to);
	return 0;
}
