// SPDX-License-Identifier: GPL-2.0
/*
 * A known workload of lease and pacing events for the observability tests
 * (tools/bpftrace/leases.bt, cspchan-top's lease and throttle columns).
 * Everything happens in one process, one step after the other, so the
 * counts are exact:
 *
 *   "paced"        capacity 16, rate 20/s, burst 2 (SPEC 11): 12 messages
 *                  queued, then received by one blocking receiver.  The
 *                  first 2 take the bucket's tokens; each of the other 10
 *                  finds no token and waits about 50 ms for the next:
 *                  10 cspchan_throttle events.
 *   "lease"        CSPCHAN_LEASE, capacity 8, max_deliveries 2 (SPEC 9):
 *                  m0 leased and acknowledged; m1 leased and nacked
 *                  (returned), leased again and nacked at its 2nd
 *                  delivery (dead: dropped, there is no dead-letter
 *                  channel); m2 leased by a second handle that is then
 *                  closed (returned), leased again and acknowledged;
 *                  then m3 and m4 leased and held.
 *                  Lease events: granted 7, acked 2, returned 2, revoked
 *                  0, dead 1; redelivered 2, at most 2 deliveries, 2
 *                  leased at the end.
 *   "lease.timed"  CSPCHAN_LEASE, capacity 2, lease_ms 200: t0 leased and
 *                  kept until the lease is revoked, then leased again and
 *                  acknowledged.  Granted 2, acked 1, revoked 1,
 *                  redelivered 1, at most 2 deliveries, 0 leased.
 *
 * With -w it then prints "leasework: holding 2 leases" and waits for
 * SIGUSR1 before printing cspchan_stat()'s figures, closing everything
 * (which returns the 2 held leases) and unlinking the names: the tests
 * stop the tracing tools in between, so the held leases show as leased.
 *
 * Usage: leasework [-w]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cspchan.h>

#define MSG_SIZE	64
#define PACED_RATE	20
#define PACED_BURST	2
#define PACED_MSGS	12

static void die(const char *who, const char *what, int err)
{
	fprintf(stderr, "leasework: %s: %s: %s\n", who, what, strerror(err));
	exit(1);
}

static int create(const char *name, unsigned int capacity, unsigned int flags,
		  unsigned int max_deliveries, unsigned int lease_ms,
		  unsigned int rate, unsigned int burst)
{
	struct cspchan_attr attr = {
		.capacity = capacity,
		.msg_size = MSG_SIZE,
		.mode = 0600,
		.flags = flags,
		.max_deliveries = max_deliveries,
		.lease_ms = lease_ms,
		.rate = rate,
		.burst = burst,
	};
	int ch;

	/* A channel left behind by an interrupted run. */
	if (cspchan_unlink(name) < 0 && errno != ENOENT)
		die(name, "cspchan_unlink", errno);
	ch = cspchan_create(name, &attr, O_EXCL);
	if (ch < 0)
		die(name, "cspchan_create", errno);
	return ch;
}

static void send_str(const char *name, int ch, const char *msg)
{
	if (cspchan_send(ch, msg, strlen(msg)) != (ssize_t)strlen(msg))
		die(name, "cspchan_send", errno);
}

/* Receive with its lease; check the payload and the delivery count. */
static uint64_t lease_recv(const char *name, int ch, const char *want,
			   unsigned int deliveries)
{
	struct cspchan_msginfo info;
	char buf[MSG_SIZE + 1];
	ssize_t len;

	memset(&info, 0, sizeof(info));
	len = cspchan_recvmsg(ch, buf, MSG_SIZE, &info);
	if (len < 0)
		die(name, "cspchan_recvmsg", errno);
	buf[len] = '\0';
	if (strcmp(buf, want) || info.deliveries != deliveries || !info.lease) {
		fprintf(stderr, "leasework: %s: got \"%s\" (delivery %u, lease "
			"%" PRIu64 "), want \"%s\" (delivery %u)\n", name, buf,
			info.deliveries, info.lease, want, deliveries);
		exit(1);
	}
	return info.lease;
}

static void report(const char *name, int ch)
{
	struct cspchan_stat st;

	memset(&st, 0, sizeof(st));
	if (cspchan_stat(ch, &st) < 0)
		die(name, "cspchan_stat", errno);
	printf("leasework: %s: id %" PRIu64 ": sent %" PRIu64 ", received %"
	       PRIu64 ", leased %u, redelivered %" PRIu64 ", dead %" PRIu64
	       ", rate %u, burst %u, throttled_ns %" PRIu64 "\n", name, st.id,
	       st.sent, st.received, st.leased, st.redelivered, st.dead,
	       st.rate, st.burst, st.throttled_ns);
}

static void paced(int ch)
{
	char buf[MSG_SIZE];
	unsigned int i;

	for (i = 0; i < PACED_MSGS; i++) {
		snprintf(buf, sizeof(buf), "p%u", i);
		send_str("paced", ch, buf);
	}
	for (i = 0; i < PACED_MSGS; i++)
		if (cspchan_recv(ch, buf, sizeof(buf)) < 0)
			die("paced", "cspchan_recv", errno);
}

static void lease(int ch)
{
	uint64_t l;
	int other;

	send_str("lease", ch, "m0");
	send_str("lease", ch, "m1");
	send_str("lease", ch, "m2");

	l = lease_recv("lease", ch, "m0", 1);			/* granted */
	if (cspchan_ack(ch, l))					/* acked */
		die("lease", "cspchan_ack", errno);

	l = lease_recv("lease", ch, "m1", 1);			/* granted */
	if (cspchan_nack(ch, l))				/* returned */
		die("lease", "cspchan_nack", errno);
	l = lease_recv("lease", ch, "m1", 2);			/* granted */
	if (cspchan_nack(ch, l))				/* dead */
		die("lease", "cspchan_nack", errno);

	other = cspchan_open("lease", O_RDWR);
	if (other < 0)
		die("lease", "cspchan_open", errno);
	lease_recv("lease", other, "m2", 1);			/* granted */
	close(other);						/* returned */
	l = lease_recv("lease", ch, "m2", 2);			/* granted */
	if (cspchan_ack(ch, l))					/* acked */
		die("lease", "cspchan_ack", errno);

	send_str("lease", ch, "m3");
	send_str("lease", ch, "m4");
	lease_recv("lease", ch, "m3", 1);			/* granted, held */
	lease_recv("lease", ch, "m4", 1);			/* granted, held */
}

static void lease_timed(int ch)
{
	uint64_t l;

	send_str("lease.timed", ch, "t0");
	lease_recv("lease.timed", ch, "t0", 1);	/* granted */
	/* Blocks until the lease is revoked and the message back. */
	l = lease_recv("lease.timed", ch, "t0", 2);	/* revoked, granted */
	if (cspchan_ack(ch, l))				/* acked */
		die("lease.timed", "cspchan_ack", errno);
}

int main(int argc, char **argv)
{
	int pc, lc, tc, opt, wait_signal = 0, sig;
	sigset_t set;

	while ((opt = getopt(argc, argv, "w")) != -1) {
		switch (opt) {
		case 'w':
			wait_signal = 1;
			break;
		default:
			fprintf(stderr, "Usage: leasework [-w]\n");
			return 2;
		}
	}
	/* Blocked before anything runs: a SIGUSR1 sent early is kept. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	pc = create("paced", 16, 0, 0, 0, PACED_RATE, PACED_BURST);
	lc = create("lease", 8, CSPCHAN_LEASE, 2, 0, 0, 0);
	tc = create("lease.timed", 2, CSPCHAN_LEASE, 0, 200, 0, 0);
	printf("leasework: %d messages on \"paced\" (rate %d/s, burst %d), "
	       "leases on \"lease\" and \"lease.timed\"\n", PACED_MSGS,
	       PACED_RATE, PACED_BURST);

	paced(pc);
	lease(lc);
	lease_timed(tc);

	if (wait_signal) {
		printf("leasework: holding 2 leases\n");
		if (sigwait(&set, &sig))
			die("main", "sigwait", errno);
	}
	report("paced", pc);
	report("lease", lc);
	report("lease.timed", tc);

	cspchan_unlink("paced");
	cspchan_unlink("lease");
	cspchan_unlink("lease.timed");
	close(pc);
	close(lc);	/* returns m3 and m4 */
	close(tc);
	printf("leasework: done\n");
	return 0;
}
