// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A request/response service over cspchan reply channels (SPEC 12).
 *
 * One anonymous request channel; SERVERS server processes receive from it
 * with cspchan_recvmsg(), which installs the reply channel each request
 * carries (info.fd), answer on that descriptor and close it.  CLIENTS
 * client processes make CALLS calls each with cspchan_call(), which
 * creates a reply channel per call, sends the request with it and waits
 * for the answer.
 *
 * The service squares a number.  Each request carries its client's id and
 * a counter, so every client checks that it gets exactly its own answers,
 * in order.  With -d N the servers drop every N-th request they receive
 * (they close the descriptor without answering): the client's call then
 * fails at once with ECONNRESET, instead of waiting for its timeout, and
 * the client retries it.
 *
 *   reply-service [-s SERVERS] [-c CLIENTS] [-n CALLS] [-d N] [-t TIMEOUT_MS]
 *
 * Exit status 0 when every call got its own answer; 1 otherwise.
 */
#include <cspchan.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct request {
	uint32_t client;
	uint32_t counter;
	uint64_t x;
};

struct answer {
	uint32_t client;
	uint32_t counter;
	uint64_t x_squared;
	uint32_t server;
	uint32_t pad;
};

struct options {
	unsigned int servers, clients, calls, drop_every;
	int timeout_ms;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Answer requests until the request channel is shut down and drained.
 * Returns the exit status: 0, or 1 on an unexpected error.
 */
static int serve(int requests, unsigned int id, unsigned int drop_every)
{
	struct cspchan_msginfo info;
	unsigned long served = 0, dropped = 0, received = 0;
	struct request req;
	struct answer ans;
	ssize_t n;

	while ((n = cspchan_recvmsg(requests, &req, sizeof(req), &info)) > 0) {
		received++;
		if (n != (ssize_t)sizeof(req) || info.fd < 0) {
			fprintf(stderr, "server %u: bad request (%zd bytes, fd %d)\n",
				id, n, info.fd);
			if (info.fd >= 0)
				close(info.fd);
			continue;
		}
		if (drop_every && received % drop_every == 0) {
			/* No answer: the caller learns it when this closes. */
			close(info.fd);
			dropped++;
			continue;
		}
		memset(&ans, 0, sizeof(ans));
		ans.client = req.client;
		ans.counter = req.counter;
		ans.x_squared = req.x * req.x;
		ans.server = id;
		n = cspchan_send(info.fd, &ans, sizeof(ans));
		/* EPIPE: the caller gave up (timeout); nothing to do. */
		if (n < 0 && n != -EPIPE)
			fprintf(stderr, "server %u: reply: %s\n", id, strerror((int)-n));
		close(info.fd);
		served++;
	}
	if (n < 0) {
		fprintf(stderr, "server %u: receive: %s\n", id, strerror((int)-n));
		return 1;
	}
	printf("server %u: %lu answered, %lu dropped\n", id, served, dropped);
	return 0;
}

/* CALLS calls; each must get its own answer.  Returns the exit status. */
static int call_service(int requests, unsigned int id, const struct options *o)
{
	unsigned long resets = 0;
	struct request req;
	struct answer ans;
	unsigned int i;
	ssize_t n;

	for (i = 0; i < o->calls; i++) {
		req.client = id;
		req.counter = i;
		req.x = (uint64_t)id * 1000003 + i;
		for (;;) {
			n = cspchan_call(requests, &req, sizeof(req), &ans,
					 sizeof(ans), o->timeout_ms);
			if (n != -ECONNRESET)
				break;
			resets++;	/* dropped by a server: ask again */
		}
		if (n != (ssize_t)sizeof(ans)) {
			fprintf(stderr, "client %u call %u: %s\n", id, i,
				n < 0 ? strerror((int)-n) : "short answer");
			return 1;
		}
		if (ans.client != id || ans.counter != i ||
		    ans.x_squared != req.x * req.x) {
			fprintf(stderr, "client %u call %u: answer for client %u call %u\n",
				id, i, ans.client, ans.counter);
			return 1;
		}
	}
	printf("client %u: %u calls answered, %lu dropped and retried\n",
	       id, o->calls, resets);
	return 0;
}

static unsigned int parse_uint(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v > 1000000) {
		fprintf(stderr, "reply-service: bad %s: %s\n", what, s);
		exit(2);
	}
	return (unsigned int)v;
}

static pid_t spawn(int (*fn)(int, unsigned int, const struct options *),
		   int requests, unsigned int id, const struct options *o)
{
	pid_t pid = fork();

	if (pid == 0) {
		fflush(stdout);
		_exit(fn(requests, id, o));
	}
	if (pid < 0)
		perror("fork");
	return pid;
}

static int server_main(int requests, unsigned int id, const struct options *o)
{
	return serve(requests, id, o->drop_every);
}

int main(int argc, char **argv)
{
	struct options o = { .servers = 4, .clients = 8, .calls = 1000,
			     .timeout_ms = 5000 };
	struct cspchan_attr attr = { .capacity = 32, .msg_size = sizeof(struct request),
				     .mode = 0600 };
	pid_t *servers, *clients;
	unsigned int i;
	int requests, opt, status, failed = 0;
	uint64_t start;

	while ((opt = getopt(argc, argv, "s:c:n:d:t:")) != -1) {
		switch (opt) {
		case 's': o.servers = parse_uint(optarg, "server count"); break;
		case 'c': o.clients = parse_uint(optarg, "client count"); break;
		case 'n': o.calls = parse_uint(optarg, "call count"); break;
		case 'd': o.drop_every = parse_uint(optarg, "drop interval"); break;
		case 't': o.timeout_ms = (int)parse_uint(optarg, "timeout"); break;
		default:
			fprintf(stderr, "Usage: %s [-s SERVERS] [-c CLIENTS] [-n CALLS] [-d N] [-t TIMEOUT_MS]\n",
				argv[0]);
			return 2;
		}
	}
	if (!o.servers || !o.clients || o.drop_every == 1) {
		fprintf(stderr, "reply-service: need a server, a client, and -d above 1\n");
		return 2;
	}

	requests = cspchan_create(NULL, &attr, O_CLOEXEC);
	if (requests < 0) {
		fprintf(stderr, "cspchan_create: %s\n", strerror(-requests));
		return 1;
	}
	servers = calloc(o.servers, sizeof(*servers));
	clients = calloc(o.clients, sizeof(*clients));
	if (!servers || !clients) {
		perror("calloc");
		return 1;
	}
	fflush(stdout);
	start = now_ms();
	for (i = 0; i < o.servers; i++)
		servers[i] = spawn(server_main, requests, i, &o);
	for (i = 0; i < o.clients; i++)
		clients[i] = spawn(call_service, requests, i, &o);

	for (i = 0; i < o.clients; i++) {
		if (clients[i] <= 0 || waitpid(clients[i], &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	}
	/* Every call is answered: end of stream lets the servers go. */
	cspchan_shutdown(requests);
	for (i = 0; i < o.servers; i++) {
		if (servers[i] <= 0 || waitpid(servers[i], &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	}
	printf("%u clients x %u calls over %u servers in %" PRIu64 " ms: %s\n",
	       o.clients, o.calls, o.servers, now_ms() - start,
	       failed ? "FAILED" : "ok");
	close(requests);
	free(servers);
	free(clients);
	return failed;
}
