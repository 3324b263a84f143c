/*
 * bench_rpc - px_rpc against raw nng req/rep, same payload, same machine,
 * same run (issue 2 and issue 8, RPC rows):
 *   - round trip, 1 caller, 300-byte payload: median and p99, against a raw
 *     req socket talking to a raw rep server with as many contexts;
 *   - throughput, 64 concurrent callers over 8 clients, against raw nng
 *     with 8 sockets x 8 contexts driven by their aio callbacks: once with
 *     asynchronous callers (px_rpc_call_async, the baseline's model) and
 *     once with 64 threads calling px_rpc_call_sync;
 *   - raw nng 8 sockets x 1 context on both sides (8 client sockets, 8
 *     server sockets, one request in flight each) against 8 x 8 client
 *     contexts on one 64-context server socket: what contexts buy.
 * Latency rounds alternate RPC and raw in blocks so that a noisy neighbour
 * hurts both alike.
 *
 * Knobs (environment): BENCH_RPC_CALLS (20000 per side), BENCH_RPC_SECONDS
 * (3.0 per throughput figure, in 5 alternating rounds), BENCH_RPC_PAYLOAD
 * (300).
 */
#define _GNU_SOURCE
#include "bench.h"
#include "px_rpc.h"
#include "test.pb-c.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#define BR_CONTEXTS 64
#define BR_SOCKETS 8

static void
br_die(const char *what, int rv)
{
	fprintf(stderr, "bench_rpc: %s: %d\n", what, rv);
	exit(2);
}

static double
br_env(const char *name, double def)
{
	const char *v = getenv(name);
	return v && *v ? atof(v) : def;
}

/* ---- the RPC echo service ---- */

static void
br_echo(Praxis__Test__Echo_Service *svc, const Praxis__Test__EchoRequest *in,
        Praxis__Test__EchoResponse_Closure closure, void *cd)
{
	(void)svc;
	Praxis__Test__EchoResponse out = PRAXIS__TEST__ECHO_RESPONSE__INIT;
	out.data = in->data;
	closure(&out, cd);
}

/* ---- a raw rep server: contexts echoing what they receive ---- */

typedef struct br_rawctx {
	nng_ctx ctx;
	nng_aio *aio;
	bool sending;
	atomic_bool *stop;
} br_rawctx;

static void
br_raw_server_cb(void *arg)
{
	br_rawctx *c = arg;
	int rv = nng_aio_result(c->aio);
	if (c->sending) {
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(c->aio));
		c->sending = false;
		if (!atomic_load(c->stop))
			nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	if (rv != 0)
		return;
	/* Echo the message itself back, as a server would reuse it. */
	c->sending = true;
	nng_ctx_send(c->ctx, c->aio);
}

/* nsock rep sockets, each with nctx contexts, each on its own port. */
typedef struct br_raw_server {
	int nsock, nctx;
	nng_socket sock[BR_SOCKETS];
	char url[BR_SOCKETS][128];
	br_rawctx *ctx;
	atomic_bool stop;
} br_raw_server;

static void
br_raw_server_start(br_raw_server *s, int nsock, int nctx)
{
	int rv;
	memset(s, 0, sizeof *s);
	s->nsock = nsock;
	s->nctx = nctx;
	atomic_init(&s->stop, false);
	s->ctx = calloc((size_t)(nsock * nctx), sizeof *s->ctx);
	for (int k = 0; k < nsock; k++) {
		nng_listener l;
		if ((rv = nng_rep0_open(&s->sock[k])) != 0 ||
		    (rv = nng_listener_create(&l, s->sock[k], "tcp://127.0.0.1:0")) != 0 ||
		    (rv = nng_listener_start(l, 0)) != 0)
			br_die("raw server", rv);
		int port = 0;
		nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port);
		snprintf(s->url[k], sizeof s->url[k], "tcp://127.0.0.1:%d", port);
		for (int i = 0; i < nctx; i++) {
			br_rawctx *c = &s->ctx[k * nctx + i];
			c->stop = &s->stop;
			if ((rv = nng_aio_alloc(&c->aio, br_raw_server_cb, c)) != 0 ||
			    (rv = nng_ctx_open(&c->ctx, s->sock[k])) != 0)
				br_die("raw server ctx", rv);
			nng_ctx_recv(c->ctx, c->aio);
		}
	}
}

static void
br_raw_server_stop(br_raw_server *s)
{
	atomic_store(&s->stop, true);
	for (int k = 0; k < s->nsock; k++)
		nng_close(s->sock[k]);
	for (int i = 0; i < s->nsock * s->nctx; i++) {
		nng_aio_stop(s->ctx[i].aio);
		nng_aio_free(s->ctx[i].aio);
	}
	free(s->ctx);
}

/* ---- latency ---- */

typedef struct br_lat {
	px_rpc_client *cl;
	nng_socket raw;
	uint8_t *payload;
	size_t plen;
} br_lat;

static void
br_rpc_once(br_lat *l)
{
	Praxis__Test__EchoRequest rq = PRAXIS__TEST__ECHO_REQUEST__INIT;
	rq.data.data = l->payload;
	rq.data.len = l->plen;
	ProtobufCMessage *resp = NULL;
	px_status st;
	if (px_rpc_call_sync(l->cl, &praxis__test__echo__descriptor, 0, &rq.base, 5000, &resp,
	                     &st) != PX_OK)
		br_die(st.message, st.code);
	if (((Praxis__Test__EchoResponse *)resp)->data.len != l->plen)
		br_die("rpc echo length", 0);
	protobuf_c_message_free_unpacked(resp, NULL);
}

static void
br_raw_once(br_lat *l)
{
	nng_msg *m;
	int rv;
	if ((rv = nng_msg_alloc(&m, l->plen)) != 0)
		br_die("msg", rv);
	memcpy(nng_msg_body(m), l->payload, l->plen);
	if ((rv = nng_sendmsg(l->raw, m, 0)) != 0)
		br_die("raw send", rv);
	if ((rv = nng_recvmsg(l->raw, &m, 0)) != 0)
		br_die("raw recv", rv);
	if (nng_msg_len(m) != l->plen)
		br_die("raw echo length", 0);
	nng_msg_free(m);
}

/* ---- throughput: raw, aio-driven ---- */

typedef struct br_rawcall {
	nng_ctx ctx;
	nng_aio *aio;
	bool receiving;
	atomic_bool *stop;
	atomic_long *count;
	atomic_int *idle; /* calls that have stopped */
	size_t plen;
	const uint8_t *payload;
} br_rawcall;

static void
br_rawcall_send(br_rawcall *c)
{
	nng_msg *m;
	if (nng_msg_alloc(&m, c->plen) != 0) {
		atomic_fetch_add(c->idle, 1);
		return;
	}
	memcpy(nng_msg_body(m), c->payload, c->plen);
	nng_aio_set_msg(c->aio, m);
	c->receiving = false;
	nng_ctx_send(c->ctx, c->aio);
}

static void
br_rawcall_cb(void *arg)
{
	br_rawcall *c = arg;
	int rv = nng_aio_result(c->aio);
	if (!c->receiving) {
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(c->aio));
			atomic_fetch_add(c->idle, 1);
			return;
		}
		c->receiving = true;
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	if (rv != 0) {
		atomic_fetch_add(c->idle, 1);
		return;
	}
	nng_msg_free(nng_aio_get_msg(c->aio));
	atomic_fetch_add(c->count, 1);
	if (!atomic_load(c->stop))
		br_rawcall_send(c);
	else
		atomic_fetch_add(c->idle, 1);
}

/* Calls per second of nsock sockets x nctx contexts for secs seconds. */
static double
br_raw_throughput(const br_raw_server *srv, int nsock, int nctx, const uint8_t *payload,
                  size_t plen, double secs)
{
	nng_socket socks[BR_SOCKETS];
	br_rawcall *calls = calloc((size_t)(nsock * nctx), sizeof *calls);
	atomic_bool stop;
	atomic_long count;
	atomic_int idle;
	atomic_init(&stop, false);
	atomic_init(&count, 0);
	atomic_init(&idle, 0);
	int rv;
	for (int s = 0; s < nsock; s++) {
		if ((rv = nng_req0_open(&socks[s])) != 0 ||
		    (rv = nng_dial(socks[s], srv->url[s % srv->nsock], NULL, 0)) != 0)
			br_die("raw client", rv);
		for (int k = 0; k < nctx; k++) {
			br_rawcall *c = &calls[s * nctx + k];
			c->stop = &stop;
			c->count = &count;
			c->idle = &idle;
			c->plen = plen;
			c->payload = payload;
			if ((rv = nng_aio_alloc(&c->aio, br_rawcall_cb, c)) != 0 ||
			    (rv = nng_ctx_open(&c->ctx, socks[s])) != 0)
				br_die("raw client ctx", rv);
		}
	}
	int64_t t0 = bench_now_ns();
	for (int i = 0; i < nsock * nctx; i++)
		br_rawcall_send(&calls[i]);
	struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
	nanosleep(&ts, NULL);
	long n = atomic_load(&count);
	int64_t t1 = bench_now_ns();
	atomic_store(&stop, true);
	/* Let every call finish its round trip before closing: nng 1.5.2's
	 * nng_close was seen to hang here when requests were still in flight
	 * on many contexts. The server answers them all, promptly. */
	for (int spins = 0; atomic_load(&idle) < nsock * nctx && spins < 5000; spins++) {
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	for (int s = 0; s < nsock; s++)
		nng_close(socks[s]);
	for (int i = 0; i < nsock * nctx; i++)
		nng_aio_free(calls[i].aio);
	free(calls);
	return (double)n / ((double)(t1 - t0) / 1e9);
}

/* ---- throughput: RPC, one thread per caller ---- */

typedef struct br_caller {
	px_rpc_client *cl;
	atomic_bool *stop;
	atomic_long *count;
	const uint8_t *payload;
	size_t plen;
	long failed;
} br_caller;

static void *
br_caller_run(void *arg)
{
	br_caller *c = arg;
	Praxis__Test__EchoRequest rq = PRAXIS__TEST__ECHO_REQUEST__INIT;
	rq.data.data = (uint8_t *)c->payload;
	rq.data.len = c->plen;
	while (!atomic_load(c->stop)) {
		ProtobufCMessage *resp = NULL;
		px_status st;
		if (px_rpc_call_sync(c->cl, &praxis__test__echo__descriptor, 0, &rq.base, 5000, &resp,
		                     &st) != PX_OK) {
			c->failed++;
			continue;
		}
		protobuf_c_message_free_unpacked(resp, NULL);
		atomic_fetch_add(c->count, 1);
	}
	return NULL;
}

static double
br_rpc_throughput(px_rpc_client **cls, int nclients, int per_client, const uint8_t *payload,
                  size_t plen, double secs)
{
	int n = nclients * per_client;
	pthread_t *th = calloc((size_t)n, sizeof *th);
	br_caller *c = calloc((size_t)n, sizeof *c);
	atomic_bool stop;
	atomic_long count;
	atomic_init(&stop, false);
	atomic_init(&count, 0);
	int64_t t0 = bench_now_ns();
	for (int i = 0; i < n; i++) {
		c[i] = (br_caller){cls[i % nclients], &stop, &count, payload, plen, 0};
		pthread_create(&th[i], NULL, br_caller_run, &c[i]);
	}
	struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
	nanosleep(&ts, NULL);
	long done = atomic_load(&count);
	int64_t t1 = bench_now_ns();
	atomic_store(&stop, true);
	long failed = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		failed += c[i].failed;
	}
	if (failed > 0)
		fprintf(stderr, "bench_rpc: %ld failed calls\n", failed);
	free(th);
	free(c);
	return (double)done / ((double)(t1 - t0) / 1e9);
}

/* ---- throughput: RPC, asynchronous callers ---- */

typedef struct br_acaller {
	px_rpc_client *cl;
	Praxis__Test__EchoRequest rq;
	atomic_bool *stop;
	atomic_long *count;
	atomic_int *idle;
	long failed;
} br_acaller;

static void br_acaller_next(br_acaller *c);

static void
br_acaller_done(void *arg, px_err err, ProtobufCMessage *resp, const px_status *st)
{
	(void)st;
	br_acaller *c = arg;
	if (err == PX_OK)
		atomic_fetch_add(c->count, 1);
	else
		c->failed++;
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	br_acaller_next(c);
}

static void
br_acaller_next(br_acaller *c)
{
	if (!atomic_load(c->stop) &&
	    px_rpc_call_async(c->cl, &praxis__test__echo__descriptor, 0, &c->rq.base, 5000,
	                      br_acaller_done, c) == PX_OK)
		return;
	atomic_fetch_add(c->idle, 1);
}

static double
br_rpc_async_throughput(px_rpc_client **cls, int nclients, int per_client,
                        const uint8_t *payload, size_t plen, double secs)
{
	int n = nclients * per_client;
	br_acaller *c = calloc((size_t)n, sizeof *c);
	atomic_bool stop;
	atomic_long count;
	atomic_int idle;
	atomic_init(&stop, false);
	atomic_init(&count, 0);
	atomic_init(&idle, 0);
	int64_t t0 = bench_now_ns();
	for (int i = 0; i < n; i++) {
		c[i].cl = cls[i % nclients];
		c[i].rq = (Praxis__Test__EchoRequest)PRAXIS__TEST__ECHO_REQUEST__INIT;
		c[i].rq.data.data = (uint8_t *)payload;
		c[i].rq.data.len = plen;
		c[i].stop = &stop;
		c[i].count = &count;
		c[i].idle = &idle;
		br_acaller_next(&c[i]);
	}
	struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
	nanosleep(&ts, NULL);
	long done = atomic_load(&count);
	int64_t t1 = bench_now_ns();
	atomic_store(&stop, true);
	/* Every chain ends after its call in flight; the clients must be idle
	 * before they are reused or closed. */
	while (atomic_load(&idle) < n) {
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	long failed = 0;
	for (int i = 0; i < n; i++)
		failed += c[i].failed;
	if (failed > 0)
		fprintf(stderr, "bench_rpc: %ld failed async calls\n", failed);
	free(c);
	return (double)done / ((double)(t1 - t0) / 1e9);
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int calls = (int)br_env("BENCH_RPC_CALLS", 20000);
	double secs = br_env("BENCH_RPC_SECONDS", 3.0);
	size_t plen = (size_t)br_env("BENCH_RPC_PAYLOAD", 300);
	if (calls < 100)
		calls = 100;
	if (px_crypto_init() != PX_OK)
		br_die("crypto", 0);
	px_identity *sid = NULL, *cid = NULL;
	if (px_identity_generate(&sid) != PX_OK || px_identity_generate(&cid) != PX_OK)
		br_die("identity", 0);
	uint8_t *payload = malloc(plen);
	px_random(payload, plen);

	Praxis__Test__Echo_Service svc = {
	    .base = {&praxis__test__echo__descriptor, protobuf_c_service_invoke_internal, NULL},
	    .echo = br_echo};
	px_rpc_server_opts so = {0};
	so.url = "tcp://127.0.0.1:0";
	so.identity = sid;
	so.service = &svc.base;
	so.contexts = BR_CONTEXTS;
	px_rpc_server *srv = NULL;
	if (px_rpc_server_start(&srv, &so) != PX_OK)
		br_die("rpc server", 0);
	static br_raw_server raw, raw81srv;
	br_raw_server_start(&raw, 1, BR_CONTEXTS);

	px_rpc_client *cls[BR_SOCKETS];
	px_rpc_client_opts co = {0};
	co.url = px_rpc_server_url(srv);
	co.identity = cid;
	co.server_pk = px_identity_pk(sid);
	for (int i = 0; i < BR_SOCKETS; i++)
		if (px_rpc_client_open(&cls[i], &co) != PX_OK)
			br_die("rpc client", 0);

	/* Latency, alternating blocks. */
	br_lat l = {cls[0], {0}, payload, plen};
	int rv;
	if ((rv = nng_req0_open(&l.raw)) != 0 || (rv = nng_dial(l.raw, raw.url[0], NULL, 0)) != 0)
		br_die("raw latency client", rv);
	for (int i = 0; i < calls / 10; i++) {
		br_rpc_once(&l);
		br_raw_once(&l);
	}
	double *lr = malloc(sizeof(double) * (size_t)calls);
	double *ln = malloc(sizeof(double) * (size_t)calls);
	int block = 500;
	for (int done = 0; done < calls; done += block) {
		int end = done + block < calls ? done + block : calls;
		for (int i = done; i < end; i++) {
			int64_t t0 = bench_now_ns();
			br_rpc_once(&l);
			lr[i] = (double)(bench_now_ns() - t0) / 1e3;
		}
		for (int i = done; i < end; i++) {
			int64_t t0 = bench_now_ns();
			br_raw_once(&l);
			ln[i] = (double)(bench_now_ns() - t0) / 1e3;
		}
	}
	nng_close(l.raw);
	double rmed = bench_median(lr, (size_t)calls), nmed = bench_median(ln, (size_t)calls);
	double rp99 = bench_percentile(lr, (size_t)calls, 99), np99 = bench_percentile(ln, (size_t)calls, 99);
	free(lr);
	free(ln);
	char base[96];
	snprintf(base, sizeof base, "raw nng req/rep, %zu B", plen);
	char name[128];
	snprintf(name, sizeof name, "RPC round trip, 1 caller, %zu B, median", plen);
	bench_report(&(bench_result){.name = name, .value = rmed, .unit = "us", .baseline = base,
	                             .baseline_value = nmed, .goal = "<= 1.2",
	                             .lower_is_better = true, .goal_ratio = 1.2});
	snprintf(name, sizeof name, "RPC round trip, 1 caller, %zu B, p99", plen);
	bench_report(&(bench_result){.name = name, .value = rp99, .unit = "us", .baseline = base,
	                             .baseline_value = np99, .goal = "<= 1.2",
	                             .lower_is_better = true, .goal_ratio = 1.2});

	/* Throughput. */
	/* Without contexts on either side: 8 client sockets with one request
	 * in flight each, talking to 8 server sockets with one context each
	 * (the classic recv/send loop). Rounds alternate the three set-ups and
	 * each figure is the median of its rounds, so that load from
	 * neighbours falls on all three alike. */
	br_raw_server_start(&raw81srv, BR_SOCKETS, 1);
	enum { ROUNDS = 5 };
	double t88[ROUNDS], t64[ROUNDS], ta64[ROUNDS], t81[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		t88[r] = br_raw_throughput(&raw, BR_SOCKETS, 8, payload, plen, secs / ROUNDS);
		ta64[r] = br_rpc_async_throughput(cls, BR_SOCKETS, 8, payload, plen, secs / ROUNDS);
		t64[r] = br_rpc_throughput(cls, BR_SOCKETS, 8, payload, plen, secs / ROUNDS);
		t81[r] = br_raw_throughput(&raw81srv, BR_SOCKETS, 1, payload, plen, secs / ROUNDS);
	}
	br_raw_server_stop(&raw81srv);
	double raw88 = bench_median(t88, ROUNDS);
	double rpc64 = bench_median(t64, ROUNDS);
	double rpca64 = bench_median(ta64, ROUNDS);
	double raw81 = bench_median(t81, ROUNDS);
	/* The same calling model as the baseline: 64 calls in flight, each
	 * started from the completion of the previous one. */
	snprintf(name, sizeof name, "RPC throughput, 64 callers (async), %zu B", plen);
	snprintf(base, sizeof base, "raw nng 8 sockets x 8 contexts, %zu B", plen);
	bench_report(&(bench_result){.name = name, .value = rpca64, .unit = "calls/s",
	                             .baseline = base, .baseline_value = raw88, .goal = ">= 0.7",
	                             .lower_is_better = false, .goal_ratio = 0.7});
	/* 64 threads calling px_rpc_call_sync: what the node and hub do. */
	snprintf(name, sizeof name, "RPC throughput, 64 caller threads (sync), %zu B", plen);
	bench_report(&(bench_result){.name = name, .value = rpc64, .unit = "calls/s",
	                             .baseline = base, .baseline_value = raw88, .goal = ">= 0.7",
	                             .lower_is_better = false, .goal_ratio = 0.7});
	/* Context, not a goal of issue 8: what nng contexts buy here. */
	snprintf(name, sizeof name, "ref.: raw nng throughput, 8 x 1 context both sides, %zu B",
	         plen);
	bench_report(&(bench_result){.name = name, .value = raw81, .unit = "calls/s",
	                             .baseline = base, .baseline_value = raw88, .goal = "(ref.)",
	                             .lower_is_better = false, .goal_ratio = 0});

	for (int i = 0; i < BR_SOCKETS; i++)
		px_rpc_client_close(cls[i]);
	px_rpc_server_stop(srv);
	br_raw_server_stop(&raw);
	px_identity_free(sid);
	px_identity_free(cid);
	free(payload);
	px_rpc_fini();
	return 0;
}
