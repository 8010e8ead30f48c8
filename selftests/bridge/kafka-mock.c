// SPDX-License-Identifier: GPL-2.0
/*
 * kafka-mock: hosts a librdkafka mock Kafka cluster for the bridge tests.
 * There is no Kafka broker package in Debian, so the tests run the cluster
 * librdkafka carries for its own tests; the bridge connects to the printed
 * bootstrap list like to any cluster and never learns it is a mock.
 *
 *   kafka-mock [--brokers N] [--topic T[:PARTITIONS]]...
 *
 * Prints the bootstrap servers as one line, then obeys commands on stdin,
 * one a line, answering "ok" or "error ..." to each:
 *
 *   down ID                     broker ID refuses and drops connections
 *   up ID                       broker ID accepts connections again
 *   leader TOPIC PARTITION ID   move a partition's leadership
 *   topic NAME [PARTITIONS]     create a topic
 *   quit                        (or end of input) stop the cluster, exit 0
 *
 * Broker ids run from 1 to N.  Setting a broker down does not move the
 * leadership of its partitions: a test that wants a failover says so with
 * "leader".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* The Metadata request's ApiKey in the Kafka protocol (not in rdkafka.h). */
#define KAFKA_API_METADATA	3

static int brokers = 3;

static void usage(void)
{
	fprintf(stderr, "usage: kafka-mock [--brokers N] [--topic T[:PARTITIONS]]...\n");
	exit(2);
}

static int number(const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || end == s || *end || *out < min || *out > max)
		return -1;
	return 0;
}

static const char *topic_create(rd_kafka_mock_cluster_t *mc, const char *name, long parts)
{
	/* Three replicas when there are three brokers, as the tests' clusters. */
	int rf = brokers < 3 ? brokers : 3;
	rd_kafka_resp_err_t err;

	err = rd_kafka_mock_topic_create(mc, name, (int)parts, rf);
	return err ? rd_kafka_err2str(err) : NULL;
}

static void answer(const char *why)
{
	if (why)
		printf("error %s\n", why);
	else
		printf("ok\n");
	fflush(stdout);
}

/* Runs one command line; returns 1 on quit. */
static int command(rd_kafka_mock_cluster_t *mc, char *line)
{
	char *argv[5];
	int argc = 0;
	char *tok, *save;
	long id, part, n;
	rd_kafka_resp_err_t err;

	for (tok = strtok_r(line, " \t\r\n", &save); tok && argc < 5;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = tok;
	if (argc == 0)
		return 0;	/* blank lines are not commands: no answer */
	if (!strcmp(argv[0], "quit") && argc == 1) {
		answer(NULL);
		return 1;
	}
	if ((!strcmp(argv[0], "down") || !strcmp(argv[0], "up")) && argc == 2) {
		if (number(argv[1], 1, brokers, &id)) {
			answer("no such broker");
			return 0;
		}
		if (argv[0][0] == 'd')
			err = rd_kafka_mock_broker_set_down(mc, (int32_t)id);
		else
			err = rd_kafka_mock_broker_set_up(mc, (int32_t)id);
		answer(err ? rd_kafka_err2str(err) : NULL);
		return 0;
	}
	if (!strcmp(argv[0], "leader") && argc == 4) {
		/* -1 is the mock's "no leader", worth keeping for tests. */
		if (number(argv[2], 0, 1000000, &part) || number(argv[3], -1, brokers, &id) ||
		    id == 0) {
			answer("usage: leader TOPIC PARTITION ID");
			return 0;
		}
		err = rd_kafka_mock_partition_set_leader(mc, argv[1], (int32_t)part, (int32_t)id);
		answer(err ? rd_kafka_err2str(err) : NULL);
		return 0;
	}
	if (!strcmp(argv[0], "topic") && (argc == 2 || argc == 3)) {
		n = 1;
		if (argc == 3 && number(argv[2], 1, 100000, &n)) {
			answer("usage: topic NAME [PARTITIONS]");
			return 0;
		}
		answer(topic_create(mc, argv[1], n));
		return 0;
	}
	answer("unknown command (down ID, up ID, leader TOPIC PARTITION ID, topic NAME [N], quit)");
	return 0;
}

int main(int argc, char **argv)
{
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char errstr[512];
	char *line = NULL;
	size_t cap = 0;
	const char *why;
	long n;
	int i;

	/* Options first (brokers before topics need it), topics created later. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--brokers") && i + 1 < argc) {
			if (number(argv[++i], 1, 64, &n))
				usage();
			brokers = (int)n;
		} else if (!strcmp(argv[i], "--topic") && i + 1 < argc) {
			i++;
		} else {
			usage();
		}
	}

	/*
	 * The mock cluster needs an rd_kafka_t for its bookkeeping only; this
	 * producer never produces.  Its own log is kept quiet: it has no
	 * bootstrap servers and would say so.
	 */
	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr))) {
		fprintf(stderr, "kafka-mock: %s\n", errstr);
		return 1;
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "kafka-mock: %s\n", errstr);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (!mc) {
		fprintf(stderr, "kafka-mock: cannot create a mock cluster\n");
		return 1;
	}
	/*
	 * Like a real cluster without auto.create.topics.enable, a missing
	 * topic is an error.  librdkafka 2.0's mock advertises Metadata up to
	 * v2, where a request cannot say "do not create" and the mock creates
	 * whatever is asked about; its handler reads v4's AllowAutoTopicCreation
	 * flag, so advertise v4 and clients that say false are refused.
	 */
	if (rd_kafka_mock_set_apiversion(mc, KAFKA_API_METADATA, 0, 4)) {
		fprintf(stderr, "kafka-mock: cannot set the Metadata API version\n");
		return 1;
	}

	for (i = 1; i < argc; i++) {
		char *name, *colon;

		if (strcmp(argv[i], "--topic")) {
			i++;	/* --brokers N */
			continue;
		}
		name = argv[++i];
		n = 1;
		colon = strrchr(name, ':');
		if (colon) {
			*colon = '\0';
			if (number(colon + 1, 1, 100000, &n))
				usage();
		}
		why = topic_create(mc, name, n);
		if (why) {
			fprintf(stderr, "kafka-mock: topic %s: %s\n", name, why);
			return 1;
		}
	}

	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	while (getline(&line, &cap, stdin) >= 0)
		if (command(mc, line))
			break;
	free(line);

	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
