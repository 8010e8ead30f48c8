// SPDX-License-Identifier: GPL-2.0
/*
 * natsctl - a small NATS JetStream client for the bridge tests (libnats).
 *
 *   natsctl [-s URLS] [--wait MS] CMD [ARGS...]
 *
 *   ready [--timeout S]                 wait until the JetStream API answers
 *                                       (a meta leader exists), default 60 s
 *   add-stream NAME SUBJECT [--replicas N] [--dupe-window-ms MS]
 *              [--storage file|memory] [--max-msg-size B] [--timeout S]
 *                                       create the stream (retrying while the
 *                                       cluster forms), wait for its leader
 *   del-stream NAME [--timeout S]
 *   stream-info NAME [--timeout S]      messages=N first_seq=N last_seq=N
 *                                       leader=NAME replicas=N current=N
 *   consumer-info STREAM DURABLE [--timeout S]
 *                                       num_pending=N num_ack_pending=N
 *                                       num_redelivered=N delivered_seq=N
 *                                       ack_floor_seq=N max_ack_pending=N
 *   pub SUBJECT COUNT [--start I] [--size BYTES] [--msg-id PREFIX]
 *       [--sync] [--timeout S]          publish COUNT messages
 *
 * URLS is a comma-separated list (default $NATS_URL, else
 * nats://127.0.0.1:4222).  --wait is the JetStream API request timeout
 * (default 10000 ms).  Transient errors (no leader yet, request timeouts,
 * a node going away) are retried until the command's --timeout (default
 * 30 s; 60 s for ready and add-stream).
 *
 * Exit status: 0 success, 1 failure, 2 usage error, 3 no server reachable,
 * 4 the stream or consumer does not exist.
 *
 * pub payloads are those of chanpeer: "msg-%08u" of the index, padded to
 * --size (default 64) bytes with a pattern derived from the index; each
 * message carries the header Cspchan-Seq: index, and with --msg-id the
 * message id (Nats-Msg-Id) PREFIX-index.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

#include "peer_util.h"

#define EXIT_NOSERVER	3
#define EXIT_NOTFOUND	4

static const char *urls_arg;
static int64_t api_wait_ms = 10000;
static bool api_wait_set;

const char peer_prog[] = "natsctl";

const char peer_usage[] =
"Usage: natsctl [-s URLS] [--wait MS] CMD [ARGS...]\n"
"  ready [--timeout S]\n"
"  add-stream NAME SUBJECT [--replicas N] [--dupe-window-ms MS]\n"
"             [--storage file|memory] [--max-msg-size B] [--timeout S]\n"
"  del-stream NAME [--timeout S]\n"
"  stream-info NAME [--timeout S]\n"
"  consumer-info STREAM DURABLE [--timeout S]\n"
"  pub SUBJECT COUNT [--start I] [--size BYTES] [--msg-id PREFIX] [--sync]\n"
"      [--timeout S]\n"
"Exit: 0 ok, 1 failure, 2 usage, 3 no server reachable, 4 not found.\n";

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The status text, with libnats's last error text when it has one. */
static const char *errtext(natsStatus s, jsErrCode jerr)
{
	static char buf[512];
	natsStatus ls;
	const char *last = nats_GetLastError(&ls);

	snprintf(buf, sizeof(buf), "%s%s%s", natsStatus_GetText(s),
		 last && *last ? ": " : "", last && *last ? last : "");
	if (jerr) {
		size_t n = strlen(buf);

		snprintf(buf + n, sizeof(buf) - n, " (jetstream error %d)",
			 (int)jerr);
	}
	return buf;
}

/* Errors worth a retry while a cluster forms or re-elects leaders. */
static bool transient(natsStatus s, jsErrCode jerr)
{
	switch (jerr) {
	case JSClusterNoPeersErr:
	case JSClusterNotAvailErr:
	case JSInsufficientResourcesErr:
		return true;
	default:
		break;
	}
	switch (s) {
	case NATS_TIMEOUT:
	case NATS_NO_RESPONDERS:
	case NATS_CONNECTION_CLOSED:
	case NATS_CONNECTION_DISCONNECTED:
	case NATS_NO_SERVER:
	case NATS_IO_ERROR:
	case NATS_STALE_CONNECTION:
		return true;
	default:
		break;
	}
	/* "JetStream system temporarily unavailable", leader changes... */
	if (jerr == 0 && s == NATS_ERR)
		return true;
	return false;
}

static natsConnection *nc;
static jsCtx *js;

static void disconnect(void)
{
	if (js)
		jsCtx_Destroy(js);
	js = NULL;
	if (nc) {
		natsConnection_Close(nc);
		natsConnection_Destroy(nc);
	}
	nc = NULL;
}

/* Connect to any of the URLs; 0, or the failing status. */
static natsStatus try_connect(void)
{
	natsOptions *opts = NULL;
	jsOptions jo;
	char *copy, *tok, *save = NULL;
	const char *servers[16];
	int n = 0;
	natsStatus s;

	copy = strdup(urls_arg);
	if (!copy)
		return NATS_NO_MEMORY;
	for (tok = strtok_r(copy, ",", &save); tok && n < 16;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (*tok)
			servers[n++] = tok;
	}
	s = natsOptions_Create(&opts);
	if (s == NATS_OK)
		s = n ? natsOptions_SetServers(opts, servers, n)
		      : natsOptions_SetURL(opts, NATS_DEFAULT_URL);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(opts, 5000);
	if (s == NATS_OK)
		s = natsOptions_SetAllowReconnect(opts, true);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(opts, 120);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(opts, 250);
	if (s == NATS_OK)
		s = natsConnection_Connect(&nc, opts);
	natsOptions_Destroy(opts);
	free(copy);
	if (s != NATS_OK) {
		nc = NULL;
		return s;
	}
	jsOptions_Init(&jo);
	jo.Wait = api_wait_ms;
	s = natsConnection_JetStream(&js, nc, &jo);
	if (s != NATS_OK)
		disconnect();
	return s;
}

/* Connect, retrying until @deadline; exits 3 when no server answered. */
static void connect_until(double deadline)
{
	natsStatus s;

	for (;;) {
		s = try_connect();
		if (s == NATS_OK)
			return;
		if (now_s() >= deadline)
			break;
		nap_ms(250);
	}
	msg("cannot connect to %s: %s", urls_arg, errtext(s, 0));
	exit(s == NATS_NO_SERVER || s == NATS_TIMEOUT || s == NATS_IO_ERROR ?
	     EXIT_NOSERVER : EXIT_FAIL);
}

/* Print the message, disconnect, return @ret. */
static int fail(int ret, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	disconnect();
	return ret;
}

/*
 * A failed API request of a command (@fmt: its words, for the messages) on
 * a @kind ("stream" or "consumer"): 0 to retry it; else, disconnected, the
 * exit status (EXIT_NOTFOUND when the stream or consumer does not exist).
 */
static int settle(natsStatus s, jsErrCode jerr, double deadline,
		  const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int settle(natsStatus s, jsErrCode jerr, double deadline,
		  const char *kind, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr ||
	    (jerr == JSConsumerNotFoundErr && !strcmp(kind, "consumer")))
		return fail(EXIT_NOTFOUND, "%s: no such %s", what,
			    jerr == JSStreamNotFoundErr ? "stream" : kind);
	if (!transient(s, jerr) || now_s() >= deadline)
		return fail(EXIT_FAIL, "%s: %s", what, errtext(s, jerr));
	return 0;
}

/* Connect until --timeout @o (default @dflt s) from now; the deadline. */
static double connect_for(const struct opt *o, uint64_t dflt)
{
	double deadline = now_s() + (double)opt_u64(o, dflt);

	connect_until(deadline);
	return deadline;
}

/*
 * The start of a command whose one option is --timeout (default @dflt s):
 * its @npos arguments into @pos, connected; the deadline.
 */
static double begin(int argc, char **argv, char **pos, int npos,
		    uint64_t dflt)
{
	struct opt opts[] = { { .name = "--timeout" }, { 0 } };

	parse_opts(argc, argv, opts, pos, npos);
	return connect_for(&opts[0], dflt);
}

/* ------------------------------------------------------------------ */

static int cmd_ready(int argc, char **argv)
{
	char *pos[1];
	double deadline = begin(argc, argv, pos, 0, 60);
	natsStatus s;
	jsErrCode jerr;
	jsOptions jo;

	/*
	 * Without a meta leader a JetStream API request gets no answer at
	 * all: short requests, so that readiness is seen soon after.
	 */
	jsOptions_Init(&jo);
	jo.Wait = api_wait_set ? api_wait_ms : 2000;
	for (;;) {
		jsAccountInfo *ai = NULL;

		jerr = 0;
		s = js_GetAccountInfo(&ai, js, &jo, &jerr);
		if (s == NATS_OK) {
			jsAccountInfo_Destroy(ai);
			disconnect();
			return 0;
		}
		if (now_s() >= deadline)
			break;
		nap_ms(250);
	}
	return fail(EXIT_FAIL, "JetStream not ready: %s", errtext(s, jerr));
}

/*
 * Options of the info requests, which are retried: a request to a leader
 * that just died gets no answer, so each waits at most 3 s (unless --wait).
 */
static jsOptions *info_opts(jsOptions *jo)
{
	jsOptions_Init(jo);
	jo->Wait = api_wait_set || api_wait_ms < 3000 ? api_wait_ms : 3000;
	return jo;
}

static bool has_leader(jsStreamInfo *si)
{
	return si && si->Cluster && si->Cluster->Leader && *si->Cluster->Leader;
}

static int cmd_add_stream(int argc, char **argv)
{
	struct opt opts[] = {
		{ .name = "--replicas" }, { .name = "--dupe-window-ms" },
		{ .name = "--storage" }, { .name = "--timeout" },
		{ .name = "--max-msg-size" }, { 0 } };
	char *pos[2];
	const char *subjects[1];
	jsStreamConfig cfg;
	jsStreamInfo *si = NULL;
	double deadline;
	natsStatus s;
	jsErrCode jerr = 0;
	jsOptions jo;
	uint64_t replicas, dupe_ms;

	parse_opts(argc, argv, opts, pos, 2);
	replicas = opt_u64(&opts[0], 3);
	if (replicas < 1 || replicas > 5) {
		msg("--replicas must be 1..5");
		usage();
	}
	dupe_ms = opt_u64(&opts[1], 120000);
	jsStreamConfig_Init(&cfg);
	cfg.Name = pos[0];
	subjects[0] = pos[1];
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Replicas = (int64_t)replicas;
	cfg.Duplicates = (int64_t)dupe_ms * 1000000;
	cfg.Storage = js_FileStorage;
	cfg.MaxMsgSize = (int32_t)opt_uint(&opts[4], 0);
	if (!cfg.MaxMsgSize)
		cfg.MaxMsgSize = -1;
	if (opts[2].set) {
		if (!strcmp(opts[2].val, "memory"))
			cfg.Storage = js_MemoryStorage;
		else if (strcmp(opts[2].val, "file")) {
			msg("--storage must be file or memory");
			usage();
		}
	}
	deadline = connect_for(&opts[3], 60);

	for (;;) {
		jerr = 0;
		s = js_AddStream(&si, js, &cfg, NULL, &jerr);
		if (s == NATS_OK)
			break;
		if (!transient(s, jerr) || now_s() >= deadline)
			return fail(EXIT_FAIL, "add-stream %s: %s", cfg.Name,
				    errtext(s, jerr));
		nap_ms(500);
	}
	/* Created: wait until the stream has a leader. */
	while (!has_leader(si)) {
		jsStreamInfo_Destroy(si);
		si = NULL;
		if (now_s() >= deadline)
			return fail(EXIT_FAIL,
				    "add-stream %s: created, but no stream leader",
				    cfg.Name);
		nap_ms(250);
		jerr = 0;
		js_GetStreamInfo(&si, js, cfg.Name, info_opts(&jo), &jerr);
	}
	jsStreamInfo_Destroy(si);
	disconnect();
	return 0;
}

static int cmd_del_stream(int argc, char **argv)
{
	char *pos[1];
	double deadline = begin(argc, argv, pos, 1, 30);
	natsStatus s;
	jsErrCode jerr;
	int ret;

	for (;;) {
		jerr = 0;
		s = js_DeleteStream(js, pos[0], NULL, &jerr);
		if (s == NATS_OK)
			break;
		ret = settle(s, jerr, deadline, "stream", "del-stream %s",
			     pos[0]);
		if (ret)
			return ret;
		nap_ms(500);
	}
	disconnect();
	return 0;
}

static int cmd_stream_info(int argc, char **argv)
{
	char *pos[1];
	double deadline = begin(argc, argv, pos, 1, 30);
	jsStreamInfo *si = NULL;
	natsStatus s;
	jsErrCode jerr;
	jsOptions jo;
	int current = 0, ret = 0;

	for (;;) {
		jerr = 0;
		s = js_GetStreamInfo(&si, js, pos[0], info_opts(&jo), &jerr);
		if (s == NATS_OK && has_leader(si))
			break;
		if (s != NATS_OK) {
			ret = settle(s, jerr, deadline, "stream",
				     "stream-info %s", pos[0]);
			if (ret)
				return ret;
		} else if (now_s() >= deadline) {
			msg("stream-info %s: no stream leader", pos[0]);
			ret = EXIT_FAIL;
			break;
		}
		jsStreamInfo_Destroy(si);
		si = NULL;
		nap_ms(250);
	}
	if (si->Cluster) {
		current = has_leader(si) ? 1 : 0;
		for (int i = 0; i < si->Cluster->ReplicasLen; i++)
			if (si->Cluster->Replicas[i] &&
			    si->Cluster->Replicas[i]->Current)
				current++;
	} else {
		current = 1;	/* not clustered */
	}
	printf("messages=%" PRIu64 " first_seq=%" PRIu64 " last_seq=%" PRIu64
	       " leader=%s replicas=%" PRId64 " current=%d\n",
	       si->State.Msgs, si->State.FirstSeq, si->State.LastSeq,
	       has_leader(si) ? si->Cluster->Leader : "none",
	       si->Config ? si->Config->Replicas : 0, current);
	fflush(stdout);
	jsStreamInfo_Destroy(si);
	disconnect();
	return ret;
}

static int cmd_consumer_info(int argc, char **argv)
{
	char *pos[2];
	double deadline = begin(argc, argv, pos, 2, 30);
	jsConsumerInfo *ci = NULL;
	natsStatus s;
	jsErrCode jerr;
	jsOptions jo;
	int ret;

	for (;;) {
		jerr = 0;
		s = js_GetConsumerInfo(&ci, js, pos[0], pos[1], info_opts(&jo),
				       &jerr);
		if (s == NATS_OK)
			break;
		ret = settle(s, jerr, deadline, "consumer",
			     "consumer-info %s %s", pos[0], pos[1]);
		if (ret)
			return ret;
		nap_ms(250);
	}
	printf("num_pending=%" PRIu64 " num_ack_pending=%" PRId64
	       " num_redelivered=%" PRId64 " delivered_seq=%" PRIu64
	       " ack_floor_seq=%" PRIu64 " max_ack_pending=%" PRId64 "\n",
	       ci->NumPending, ci->NumAckPending, ci->NumRedelivered,
	       ci->Delivered.Stream, ci->AckFloor.Stream,
	       ci->Config ? ci->Config->MaxAckPending : 0);
	fflush(stdout);
	jsConsumerInfo_Destroy(ci);
	disconnect();
	return 0;
}

/* ------------------------------------------------------------------ */
/* pub */

static uint64_t *acked;		/* bitmap of acknowledged offsets */
static uint64_t pub_start;

static void pub_ack_handler(jsCtx *jsc, natsMsg *m, jsPubAck *pa,
			    jsPubAckErr *pae, void *closure)
{
	const char *v = NULL;
	uint64_t idx;

	(void)jsc;
	(void)pae;
	(void)closure;
	if (pa && natsMsgHeader_Get(m, "Cspchan-Seq", &v) == NATS_OK &&
	    parse_u64(v, &idx, 10) && idx >= pub_start) {
		idx -= pub_start;
		__atomic_fetch_or(&acked[idx / 64], 1ULL << (idx % 64),
				  __ATOMIC_RELAXED);
	}
	natsMsg_Destroy(m);
}

static natsStatus make_msg(natsMsg **m, const char *subj, char *buf,
			   size_t size, uint64_t i)
{
	char seq[24];
	natsStatus s;

	fill_payload(buf, size, i);
	s = natsMsg_Create(m, subj, NULL, buf, (int)size);
	if (s != NATS_OK)
		return s;
	snprintf(seq, sizeof(seq), "%" PRIu64, i);
	s = natsMsgHeader_Set(*m, "Cspchan-Seq", seq);
	if (s != NATS_OK)
		natsMsg_Destroy(*m);
	return s;
}

static void set_msg_id(jsPubOptions *po, char *idbuf, size_t len,
		       const char *prefix, uint64_t i)
{
	if (!prefix)
		return;
	snprintf(idbuf, len, "%s-%" PRIu64, prefix, i);
	po->MsgId = idbuf;
}

/* Publish message @i synchronously, retrying until @deadline. */
static int pub_sync(const char *subj, char *buf, size_t size, uint64_t i,
		    const char *idprefix, double deadline)
{
	char idbuf[256];
	double noresp_since = 0;
	natsStatus s;
	jsErrCode jerr;

	for (;;) {
		jsPubOptions po;
		natsMsg *m = NULL;

		jsPubOptions_Init(&po);
		set_msg_id(&po, idbuf, sizeof(idbuf), idprefix, i);
		s = make_msg(&m, subj, buf, size, i);
		if (s != NATS_OK)
			break;
		jerr = 0;
		s = js_PublishMsg(NULL, js, m, &po, &jerr);
		natsMsg_Destroy(m);
		if (s == NATS_OK)
			return 0;
		/*
		 * No responders: no stream takes the subject (or, briefly,
		 * none of its servers is reachable): 10 s, not the deadline.
		 */
		if (s == NATS_NO_RESPONDERS) {
			if (!noresp_since)
				noresp_since = now_s();
			if (now_s() - noresp_since > 10) {
				msg("pub %s: no stream answers for the subject",
				    subj);
				return EXIT_FAIL;
			}
		} else {
			noresp_since = 0;
		}
		if (!transient(s, jerr) || now_s() >= deadline) {
			msg("pub %s #%" PRIu64 ": %s", subj, i, errtext(s, jerr));
			return EXIT_FAIL;
		}
		nap_ms(250);
	}
	msg("pub: %s", errtext(s, 0));
	return EXIT_FAIL;
}

static int cmd_pub(int argc, char **argv)
{
	struct opt opts[] = {
		{ .name = "--start" }, { .name = "--size" },
		{ .name = "--msg-id" }, { .name = "--sync", .flag = true },
		{ .name = "--timeout" }, { 0 } };
	char *pos[2];
	const char *subj, *idprefix;
	uint64_t count, size, resent = 0;
	double deadline;
	char *buf;
	int ret = 0;

	parse_opts(argc, argv, opts, pos, 2);
	subj = pos[0];
	count = need_u64("COUNT", pos[1]);
	pub_start = opt_u64(&opts[0], 0);
	size = opt_payload_size(&opts[1]);
	idprefix = opts[2].set ? opts[2].val : NULL;
	deadline = now_s() + (double)opt_u64(&opts[4], 120);
	buf = malloc(size);
	acked = calloc(count / 64 + 1, sizeof(*acked));
	if (!buf || !acked) {
		msg("out of memory");
		return EXIT_FAIL;
	}
	connect_until(deadline);

	if (opts[3].set) {
		for (uint64_t k = 0; k < count && !ret; k++)
			ret = pub_sync(subj, buf, size, pub_start + k, idprefix,
				       deadline);
		goto out;
	}

	/* Asynchronous: its own context with an ack handler. */
	{
		jsCtx *ajs = NULL;
		jsOptions jo;
		jsPubOptions po;
		natsStatus s;
		char idbuf[256];

		jsOptions_Init(&jo);
		jo.Wait = api_wait_ms;
		jo.PublishAsync.MaxPending = 256;
		jo.PublishAsync.AckHandler = pub_ack_handler;
		jo.PublishAsync.StallWait = 30000;
		s = natsConnection_JetStream(&ajs, nc, &jo);
		if (s != NATS_OK) {
			msg("pub: %s", errtext(s, 0));
			ret = EXIT_FAIL;
			goto out;
		}
		for (uint64_t k = 0; k < count; k++) {
			natsMsg *m = NULL;

			jsPubOptions_Init(&po);
			set_msg_id(&po, idbuf, sizeof(idbuf), idprefix,
				   pub_start + k);
			s = make_msg(&m, subj, buf, size, pub_start + k);
			if (s == NATS_OK)
				s = js_PublishMsgAsync(ajs, &m, &po);
			if (s != NATS_OK) {
				natsMsg_Destroy(m);
				/* resent synchronously below */
			}
		}
		jsPubOptions_Init(&po);
		po.MaxWait = (int64_t)((deadline - now_s()) * 1000);
		if (po.MaxWait < 1000)
			po.MaxWait = 1000;
		s = js_PublishAsyncComplete(ajs, &po);
		if (s != NATS_OK) {
			natsMsgList pending = { 0 };

			/* Forget what is still pending: resent below. */
			if (js_PublishAsyncGetPendingList(&pending, ajs) == NATS_OK)
				natsMsgList_Destroy(&pending);
		}
		jsCtx_Destroy(ajs);
	}
	/* What was not acknowledged, synchronously. */
	for (uint64_t k = 0; k < count && !ret; k++) {
		if (__atomic_load_n(&acked[k / 64], __ATOMIC_RELAXED) &
		    (1ULL << (k % 64)))
			continue;
		resent++;
		ret = pub_sync(subj, buf, size, pub_start + k, idprefix,
			       deadline);
	}
	if (resent && !ret)
		msg("pub: %" PRIu64 " message(s) resent after failed "
		    "asynchronous publishes%s", resent,
		    idprefix ? "" : " (without --msg-id they may be duplicated)");
out:
	if (!ret) {
		printf("published %" PRIu64 "\n", count);
		fflush(stdout);
	}
	disconnect();
	free(buf);
	free(acked);
	return ret;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int i, ret;

	urls_arg = getenv("NATS_URL");
	if (!urls_arg || !*urls_arg)
		urls_arg = NATS_DEFAULT_URL;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s") || !strcmp(argv[i], "--server")) {
			if (++i >= argc)
				usage();
			urls_arg = argv[i];
		} else if (!strcmp(argv[i], "--wait")) {
			if (++i >= argc)
				usage();
			api_wait_ms = (int64_t)need_u64("--wait", argv[i]);
			api_wait_set = true;
			if (api_wait_ms < 100)
				api_wait_ms = 100;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage();
		} else {
			break;
		}
	}
	if (i >= argc)
		usage();
	cmd = argv[i++];
	argc -= i;
	argv += i;

	if (nats_Open(-1) != NATS_OK) {
		msg("cannot initialize libnats");
		return EXIT_FAIL;
	}
	if (!strcmp(cmd, "ready"))
		ret = cmd_ready(argc, argv);
	else if (!strcmp(cmd, "add-stream"))
		ret = cmd_add_stream(argc, argv);
	else if (!strcmp(cmd, "del-stream"))
		ret = cmd_del_stream(argc, argv);
	else if (!strcmp(cmd, "stream-info"))
		ret = cmd_stream_info(argc, argv);
	else if (!strcmp(cmd, "consumer-info"))
		ret = cmd_consumer_info(argc, argv);
	else if (!strcmp(cmd, "pub"))
		ret = cmd_pub(argc, argv);
	else {
		msg("unknown command '%s'", cmd);
		usage();
	}
	nats_Close();
	return ret;
}
