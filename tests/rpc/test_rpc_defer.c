/*
 * Deferred replies (px_rpc_call_defer / px_rpc_call_finish): an in-process
 * server whose Echo handler defers every call to a finisher thread, real
 * clients over loopback TCP. Covered: a reply finished from another thread
 * (before or after the handler returned), a finish inside the handler, an
 * error status, many calls parked at once and finished in reverse order,
 * contexts reused afterwards, a call finished after its deadline, and a
 * server stopped while calls are deferred (stop waits for the finishes).
 */
#define _GNU_SOURCE
#include "pxt.h"
#include "px_rpc.h"
#include "rpc.pb-c.h"
#include "test.pb-c.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

static const ProtobufCServiceDescriptor *echo_svc = &praxis__test__echo__descriptor;
static px_identity *server_id, *client_id;

/* ---- the deferring service and its finisher thread ---- */

#define DF_MAX 128

typedef struct df_item {
	px_rpc_call *call;
	const Praxis__Test__EchoRequest *in;
} df_item;

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	df_item q[DF_MAX];
	int n;
	int batch;          /* finish when this many wait (or stopping) */
	bool after_deadline; /* finish only once the call's deadline passed */
	bool stopping;      /* a thread is in px_rpc_server_stop */
	bool quit;
	int queued, finished;
	pthread_t thr;
} df = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static atomic_int df_double_defer; /* second px_rpc_call_defer returned non-NULL */
static atomic_int df_closure_ignored;
static atomic_int df_finishing; /* px_rpc_call_finish calls begun by the finisher */

static void
df_answer(px_rpc_call *call, const Praxis__Test__EchoRequest *in)
{
	Praxis__Test__EchoResponse out = PRAXIS__TEST__ECHO_RESPONSE__INIT;
	/* The input is still valid: the call is not finished yet. */
	out.text = in->text;
	out.data = in->data;
	out.caller.data = (uint8_t *)px_rpc_call_caller(call);
	out.caller.len = PX_PK_BYTES;
	px_rpc_call_finish(call, &out.base);
}

static void
df_echo(Praxis__Test__Echo_Service *svc, const Praxis__Test__EchoRequest *in,
        Praxis__Test__EchoResponse_Closure closure, void *cd)
{
	(void)svc;
	(void)closure;
	px_rpc_call *call = px_rpc_call_defer(cd);
	if (px_rpc_call_defer(cd) != NULL)
		atomic_fetch_add(&df_double_defer, 1);
	pthread_mutex_lock(&df.mu);
	if (df.n < DF_MAX) {
		df.q[df.n++] = (df_item){call, in};
		df.queued++;
		pthread_cond_broadcast(&df.cv);
		pthread_mutex_unlock(&df.mu);
		return;
	}
	pthread_mutex_unlock(&df.mu);
	px_rpc_call_finish_status(call, PX_CODE_RESOURCE_EXHAUSTED, "file pleine");
}

/* Finished inside the handler, before it returns; the closure called
 * afterwards must be ignored. */
static void
df_slow(Praxis__Test__Echo_Service *svc, const Praxis__Test__EchoRequest *in,
        Praxis__Test__EchoResponse_Closure closure, void *cd)
{
	(void)svc;
	px_rpc_call *call = px_rpc_call_defer(cd);
	df_answer(call, in);
	Praxis__Test__EchoResponse other = PRAXIS__TEST__ECHO_RESPONSE__INIT;
	other.text = "ne doit pas partir";
	closure(&other, cd); /* ignored: cd is being finished, do not touch */
	atomic_fetch_add(&df_closure_ignored, 1);
}

static void
df_fail(Praxis__Test__Echo_Service *svc, const Praxis__Test__EchoRequest *in,
        Praxis__Test__EchoResponse_Closure closure, void *cd)
{
	(void)svc;
	(void)closure;
	px_rpc_call *call = px_rpc_call_defer(cd);
	px_rpc_call_finish_status(call, (px_code)in->fail_code, "échec différé %s",
	                          in->text ? in->text : "");
}

static void
df_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static void *
df_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&df.mu);
	for (;;) {
		while (!df.quit && !(df.n > 0 && (df.n >= df.batch || df.stopping)))
			pthread_cond_wait(&df.cv, &df.mu);
		if (df.n == 0)
			break; /* quit */
		df_item items[DF_MAX];
		int k = df.n;
		memcpy(items, df.q, sizeof items[0] * (size_t)k);
		df.n = 0;
		bool late = df.after_deadline;
		pthread_mutex_unlock(&df.mu);
		/* Reverse order: replies need not follow arrival. */
		for (int i = k - 1; i >= 0; i--) {
			if (late)
				while (px_now_ms() <= px_rpc_call_deadline_ms(items[i].call) + 20)
					df_sleep_ms(5);
			atomic_fetch_add(&df_finishing, 1);
			df_answer(items[i].call, items[i].in);
		}
		pthread_mutex_lock(&df.mu);
		df.finished += k;
		pthread_cond_broadcast(&df.cv);
	}
	pthread_mutex_unlock(&df.mu);
	return NULL;
}

static Praxis__Test__Echo_Service df_service = {
    .base = {&praxis__test__echo__descriptor, protobuf_c_service_invoke_internal, NULL},
    .echo = df_echo,
    .slow = df_slow,
    .fail = df_fail,
};

static px_rpc_server *
df_start(int contexts, int batch, bool after_deadline)
{
	pthread_mutex_lock(&df.mu);
	df.n = 0;
	df.batch = batch;
	df.after_deadline = after_deadline;
	df.stopping = false;
	df.quit = false;
	df.queued = df.finished = 0;
	pthread_mutex_unlock(&df.mu);
	assert_int_equal(pthread_create(&df.thr, NULL, df_main, NULL), 0);
	px_rpc_server_opts o = {0};
	o.url = "tcp://127.0.0.1:0";
	o.identity = server_id;
	o.service = &df_service.base;
	o.contexts = contexts;
	px_rpc_server *srv = NULL;
	assert_int_equal(px_rpc_server_start(&srv, &o), PX_OK);
	return srv;
}

/* Stops the server (the finisher still runs, as stop requires), then the
 * finisher. */
static void
df_stop(px_rpc_server *srv)
{
	px_rpc_server_stop(srv);
	pthread_mutex_lock(&df.mu);
	df.quit = true;
	pthread_cond_broadcast(&df.cv);
	pthread_mutex_unlock(&df.mu);
	pthread_join(df.thr, NULL);
	assert_int_equal(df.n, 0);
}

static void
df_wait_queued(int n)
{
	pthread_mutex_lock(&df.mu);
	while (df.queued < n)
		pthread_cond_wait(&df.cv, &df.mu);
	pthread_mutex_unlock(&df.mu);
}

static px_rpc_client *
df_client(px_rpc_server *srv)
{
	px_rpc_client_opts o = {0};
	o.url = px_rpc_server_url(srv);
	o.identity = client_id;
	o.server_pk = px_identity_pk(server_id);
	o.timeout_ms = 20000;
	px_rpc_client *cl = NULL;
	assert_int_equal(px_rpc_client_open(&cl, &o), PX_OK);
	return cl;
}

static px_code
df_call(px_rpc_client *cl, const char *method, const char *text, int fail_code, char *got,
        size_t gotsz)
{
	Praxis__Test__EchoRequest rq = PRAXIS__TEST__ECHO_REQUEST__INIT;
	rq.text = (char *)text;
	rq.fail_code = fail_code;
	ProtobufCMessage *resp = NULL;
	px_status st;
	px_err rv = px_rpc_call_named(cl, echo_svc, method, &rq.base, 0, &resp, &st);
	assert_int_equal(rv == PX_OK, st.code == PX_CODE_OK);
	if (got != NULL)
		snprintf(got, gotsz, "%s", st.message);
	if (resp != NULL) {
		Praxis__Test__EchoResponse *r = (Praxis__Test__EchoResponse *)resp;
		if (got != NULL)
			snprintf(got, gotsz, "%s", r->text);
		assert_int_equal(r->caller.len, PX_PK_BYTES);
		assert_memory_equal(r->caller.data, px_identity_pk(client_id), PX_PK_BYTES);
		protobuf_c_message_free_unpacked(resp, NULL);
	}
	return st.code;
}

/* ---- asynchronous callers ---- */

typedef struct df_async {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int pending, ok, bad;
	px_code last_bad;
} df_async;

typedef struct df_one {
	df_async *a;
	char text[32];
	Praxis__Test__EchoRequest rq;
} df_one;

static void
df_done(void *arg, px_err err, ProtobufCMessage *resp, const px_status *st)
{
	df_one *o = arg;
	df_async *a = o->a;
	bool good = err == PX_OK && resp != NULL &&
	            strcmp(((Praxis__Test__EchoResponse *)resp)->text, o->text) == 0;
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	pthread_mutex_lock(&a->mu);
	if (good)
		a->ok++;
	else {
		a->bad++;
		a->last_bad = st->code;
	}
	a->pending--;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

static void
df_async_start(px_rpc_client *cl, df_async *a, df_one *calls, int n, int timeout_ms, int round)
{
	pthread_mutex_lock(&a->mu);
	a->pending += n;
	pthread_mutex_unlock(&a->mu);
	for (int i = 0; i < n; i++) {
		calls[i].a = a;
		snprintf(calls[i].text, sizeof calls[i].text, "appel %d.%d", round, i);
		calls[i].rq = (Praxis__Test__EchoRequest)PRAXIS__TEST__ECHO_REQUEST__INIT;
		calls[i].rq.text = calls[i].text;
		assert_int_equal(px_rpc_call_async(cl, echo_svc, 0, &calls[i].rq.base, timeout_ms,
		                                   df_done, &calls[i]),
		                 PX_OK);
	}
}

static void
df_async_wait(df_async *a)
{
	pthread_mutex_lock(&a->mu);
	while (a->pending > 0)
		pthread_cond_wait(&a->cv, &a->mu);
	pthread_mutex_unlock(&a->mu);
}

/* ---- tests ---- */

static void
test_defer_basic(void **state)
{
	(void)state;
	/* Two contexts: each is parked and restarted many times. */
	px_rpc_server *srv = df_start(2, 1, false);
	px_rpc_client *cl = df_client(srv);
	char got[256], want[64];
	for (int i = 0; i < 20; i++) {
		snprintf(want, sizeof want, "bonjour %d", i);
		assert_int_equal(df_call(cl, "Echo", want, 0, got, sizeof got), PX_CODE_OK);
		assert_string_equal(got, want);
	}
	/* Finished inside the handler; the closure after it is ignored. */
	assert_int_equal(df_call(cl, "Slow", "dans le traitement", 0, got, sizeof got),
	                 PX_CODE_OK);
	assert_string_equal(got, "dans le traitement");
	/* An error status through finish. */
	assert_int_equal(df_call(cl, "Fail", "x", PX_CODE_NOT_FOUND, got, sizeof got),
	                 PX_CODE_NOT_FOUND);
	assert_string_equal(got, "échec différé x");
	assert_int_equal(df_call(cl, "Echo", "encore", 0, got, sizeof got), PX_CODE_OK);
	assert_string_equal(got, "encore");
	assert_int_equal(atomic_load(&df_double_defer), 0);
	assert_int_equal(atomic_load(&df_closure_ignored), 1);
	px_rpc_client_close(cl);
	df_stop(srv);
	assert_int_equal(df.finished, 21);
}

#define DF_MANY 32

static void
test_defer_many(void **state)
{
	(void)state;
	/* The finisher waits until all 32 calls are parked at once, then
	 * answers them in reverse order; twice, so the contexts restart. */
	px_rpc_server *srv = df_start(DF_MANY + 8, DF_MANY, false);
	px_rpc_client *cl = df_client(srv);
	df_async a = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	static df_one calls[DF_MANY];
	for (int round = 0; round < 2; round++) {
		df_async_start(cl, &a, calls, DF_MANY, 20000, round);
		df_async_wait(&a);
	}
	assert_int_equal(a.bad, 0);
	assert_int_equal(a.ok, 2 * DF_MANY);
	assert_int_equal(df.queued, 2 * DF_MANY);
	px_rpc_client_close(cl);
	df_stop(srv);
}

static void
test_defer_deadline(void **state)
{
	(void)state;
	/* A raw socket waits as long as needed, so the server's own answer
	 * is seen: finished after the deadline, it is DEADLINE_EXCEEDED. */
	px_rpc_server *srv = df_start(4, 1, true);
	Praxis__Test__EchoRequest rq = PRAXIS__TEST__ECHO_REQUEST__INIT;
	rq.text = "en retard";
	size_t plen = praxis__test__echo_request__get_packed_size(&rq);
	uint8_t *payload = malloc(plen + 1);
	praxis__test__echo_request__pack(&rq, payload);
	int64_t now = px_now_ms();
	Praxis__Rpc__Request r = PRAXIS__RPC__REQUEST__INIT;
	r.method = "praxis.test.Echo/Echo";
	r.request_id = 77;
	r.deadline_ms = now + 150;
	r.sent_ms = now;
	r.payload.data = payload;
	r.payload.len = plen;
	size_t n = praxis__rpc__request__get_packed_size(&r);
	uint8_t *plain = malloc(n);
	praxis__rpc__request__pack(&r, plain);
	uint8_t key[PX_BOX_KEY_BYTES];
	assert_int_equal(px_box_precompute(client_id, px_identity_pk(server_id), key), PX_OK);
	size_t flen = 3 + PX_PK_BYTES + PX_BOX_NONCE_BYTES + n + PX_BOX_MAC_BYTES;
	uint8_t *f = malloc(flen);
	memcpy(f, "PX1", 3);
	memcpy(f + 3, px_identity_pk(client_id), PX_PK_BYTES);
	px_random(f + 3 + PX_PK_BYTES, PX_BOX_NONCE_BYTES);
	px_box_seal(key, f + 3 + PX_PK_BYTES, plain, n, f + 3 + PX_PK_BYTES + PX_BOX_NONCE_BYTES);

	nng_socket s;
	assert_int_equal(nng_req0_open(&s), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 20000), 0);
	assert_int_equal(nng_dial(s, px_rpc_server_url(srv), NULL, 0), 0);
	assert_int_equal(nng_send(s, f, flen, 0), 0);
	nng_msg *m = NULL;
	assert_int_equal(nng_recvmsg(s, &m, 0), 0);
	const uint8_t *b = nng_msg_body(m);
	size_t bl = nng_msg_len(m);
	assert_true(bl > 3 + PX_BOX_NONCE_BYTES + PX_BOX_MAC_BYTES);
	assert_memory_equal(b, "PX1", 3);
	size_t cl_len = bl - 3 - PX_BOX_NONCE_BYTES;
	uint8_t *open = malloc(cl_len);
	assert_int_equal(px_box_open(key, b + 3, b + 3 + PX_BOX_NONCE_BYTES, cl_len, open), PX_OK);
	Praxis__Rpc__Reply *rep = praxis__rpc__reply__unpack(NULL, cl_len - PX_BOX_MAC_BYTES, open);
	assert_non_null(rep);
	assert_int_equal(rep->request_id, 77);
	assert_non_null(rep->status);
	assert_int_equal(rep->status->code, PX_CODE_DEADLINE_EXCEEDED);
	assert_int_equal(rep->payload.len, 0);
	praxis__rpc__reply__free_unpacked(rep, NULL);
	nng_msg_free(m);
	nng_close(s);
	free(open);
	free(f);
	free(plain);
	free(payload);
	px_wipe(key, sizeof key);
	df_stop(srv);
	assert_int_equal(df.finished, 1);
}

typedef struct df_stopper {
	px_rpc_server *srv;
	bool finished_before_return;
} df_stopper;

static void *
df_stopper_main(void *arg)
{
	df_stopper *s = arg;
	pthread_mutex_lock(&df.mu);
	df.stopping = true; /* the finisher may go on once stop is under way */
	pthread_cond_broadcast(&df.cv);
	pthread_mutex_unlock(&df.mu);
	px_rpc_server_stop(s->srv);
	pthread_mutex_lock(&df.mu);
	pthread_mutex_unlock(&df.mu);
	/* A deferred call counts as finished at the end of its finish. */
	s->finished_before_return = atomic_load(&df_finishing) == 4;
	return NULL;
}

static void
test_defer_stop(void **state)
{
	(void)state;
	/* Four calls parked; the server is stopped; the finisher answers
	 * them only then. stop must not return before every deferred call is
	 * finished (their memory is the server's), and must not leak. */
	px_rpc_server *srv = df_start(8, 1000, false);
	atomic_store(&df_finishing, 0);
	px_rpc_client *cl = df_client(srv);
	df_async a = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	df_one calls[4];
	/* Short deadline: an unanswered call must end by itself. */
	df_async_start(cl, &a, calls, 4, 1500, 0);
	df_wait_queued(4);
	df_stopper s = {srv, false};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, df_stopper_main, &s), 0);
	pthread_join(th, NULL);
	assert_true(s.finished_before_return);
	pthread_mutex_lock(&df.mu);
	df.quit = true;
	pthread_cond_broadcast(&df.cv);
	pthread_mutex_unlock(&df.mu);
	pthread_join(df.thr, NULL);
	/* Every call ended (answered before the close, or failed). */
	df_async_wait(&a);
	assert_int_equal(a.ok + a.bad, 4);
	px_rpc_client_close(cl);
}

static int
setup(void **state)
{
	(void)state;
	if (px_crypto_init() != PX_OK)
		return -1;
	if (px_identity_generate(&server_id) != PX_OK || px_identity_generate(&client_id) != PX_OK)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	px_identity_free(server_id);
	px_identity_free(client_id);
	return 0;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defer_basic),
		cmocka_unit_test(test_defer_many),
		cmocka_unit_test(test_defer_deadline),
		cmocka_unit_test(test_defer_stop),
	};
	int rv = cmocka_run_group_tests(tests, setup, teardown);
	px_rpc_fini();
	return rv;
}
