/*
 * RPC over real sockets: the echo server runs as a child process and the
 * tests call it over loopback TCP, through px_rpc's client and through a
 * raw nng req socket that sends hand-built (and hand-broken) frames.
 */
#define _GNU_SOURCE
#include "pxt.h"
#include "px_rpc.h"
#include "rpc.pb-c.h"
#include "hub.pb-c.h"
#include "test.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

/* ---- fixture: keys and the echo server process ---- */

typedef struct fixture {
	char *dir;
	char *server_key_path;
	char *client_key_path;
	px_identity *server;
	px_identity *client;   /* allowed by the server */
	px_identity *other;    /* allowed too, when a test says so */
	px_identity *stranger; /* not allowed */
} fixture;

typedef struct echo_proc {
	pid_t pid;
	int in_fd; /* closing it stops the server */
	char url[256];
} echo_proc;

static fixture fx;

static int
setup(void **state)
{
	(void)state;
	if (px_crypto_init() != PX_OK)
		return -1;
	fx.dir = pxt_tmpdir("rpc");
	if (asprintf(&fx.server_key_path, "%s/server.key", fx.dir) < 0)
		return -1;
	if (px_identity_generate(&fx.server) != PX_OK ||
	    px_identity_generate(&fx.client) != PX_OK ||
	    px_identity_generate(&fx.other) != PX_OK ||
	    px_identity_generate(&fx.stranger) != PX_OK)
		return -1;
	if (px_identity_save(fx.server, fx.server_key_path, NULL) != PX_OK)
		return -1;
	if (asprintf(&fx.client_key_path, "%s/client.key", fx.dir) < 0 ||
	    px_identity_save(fx.client, fx.client_key_path, NULL) != PX_OK)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	px_identity_free(fx.server);
	px_identity_free(fx.client);
	px_identity_free(fx.other);
	px_identity_free(fx.stranger);
	free(fx.server_key_path);
	free(fx.client_key_path);
	pxt_tmpdir_free(fx.dir);
	return 0;
}

/* Starts echo_server with extra arguments (NULL-terminated), allowing
 * fx.client; waits for its READY line. */
static echo_proc
echo_start(const char *extra, ...)
{
	echo_proc p = {0};
	char allow[PX_PK_HEX];
	px_hex_encode(px_identity_pk(fx.client), PX_PK_BYTES, allow);
	const char *argv[32] = {ECHO_SERVER, "--key", fx.server_key_path, "--allow", allow};
	int argc = 5;
	va_list ap;
	va_start(ap, extra);
	for (const char *a = extra; a != NULL && argc < 30; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;

	int in[2], out[2];
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	p.pid = fork();
	assert_true(p.pid >= 0);
	if (p.pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execv(ECHO_SERVER, (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	p.in_fd = in[1];
	char line[512];
	size_t n = 0;
	while (n < sizeof line - 1) {
		ssize_t r = read(out[0], line + n, 1);
		if (r <= 0 || line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	close(out[0]);
	assert_true(strncmp(line, "READY ", 6) == 0);
	px_strlcpy(p.url, line + 6, sizeof p.url);
	return p;
}

/* Stops the server and checks it exited cleanly (under ASan, a leak or an
 * error in the server makes the status non-zero). */
static void
echo_stop(echo_proc *p)
{
	close(p->in_fd);
	int st = 0;
	/* Bounded: a server that does not stop fails the test, it does not
	 * hang it until ctest's timeout. */
	pid_t w = 0;
	for (int i = 0; i < 3000 && (w = waitpid(p->pid, &st, WNOHANG)) == 0; i++)
		usleep(10000);
	if (w == 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &st, 0);
		fail_msg("echo_server did not stop within 30 s");
	}
	assert_int_equal(w, p->pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static px_rpc_client *
client_open(const char *url, const px_identity *id, const uint8_t *server_pk, size_t max_msg)
{
	px_rpc_client_opts o = {0};
	o.url = url;
	o.identity = id;
	o.server_pk = server_pk;
	o.timeout_ms = 10000;
	o.max_msg = max_msg;
	px_rpc_client *cl = NULL;
	assert_int_equal(px_rpc_client_open(&cl, &o), PX_OK);
	return cl;
}

static const ProtobufCServiceDescriptor *echo_svc = &praxis__test__echo__descriptor;

/* Calls method by name with data/text; returns the status code. */
static px_code
echo_call(px_rpc_client *cl, const char *method, const void *data, size_t len, const char *text,
          int sleep_ms, int fail_code, int timeout_ms, Praxis__Test__EchoResponse **out,
          px_status *st)
{
	Praxis__Test__EchoRequest rq = PRAXIS__TEST__ECHO_REQUEST__INIT;
	rq.data.data = (uint8_t *)data;
	rq.data.len = len;
	rq.text = (char *)(text ? text : "");
	rq.sleep_ms = sleep_ms;
	rq.fail_code = fail_code;
	ProtobufCMessage *resp = NULL;
	px_err rv = px_rpc_call_named(cl, echo_svc, method, &rq.base, timeout_ms, &resp, st);
	assert_int_equal(rv == PX_OK, st->code == PX_CODE_OK);
	assert_int_equal(resp != NULL, st->code == PX_CODE_OK);
	if (out != NULL)
		*out = (Praxis__Test__EchoResponse *)resp;
	else if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	return st->code;
}

/* ---- raw frames ---- */

static uint8_t *frame_box_nonce(const px_identity *id, const uint8_t *server_pk,
                                const void *plain, size_t n, const uint8_t *nonce,
                                size_t *flen);

/* Builds a request frame: "PX1" | pk | nonce | box(Request). The payload
 * is put in the Request as is. Returns the frame (malloc) and its length. */
static uint8_t *
frame_build_nonce(const px_identity *id, const uint8_t *server_pk, const char *method,
                  const void *payload, size_t plen, int64_t deadline_ms, int64_t sent_ms,
                  uint64_t request_id, const uint8_t *nonce, size_t *flen)
{
	Praxis__Rpc__Request r = PRAXIS__RPC__REQUEST__INIT;
	r.method = (char *)method;
	r.request_id = request_id;
	r.deadline_ms = deadline_ms;
	r.sent_ms = sent_ms;
	r.payload.data = (uint8_t *)payload;
	r.payload.len = plen;
	size_t n = praxis__rpc__request__get_packed_size(&r);
	uint8_t *plain = malloc(n + 1);
	praxis__rpc__request__pack(&r, plain);
	uint8_t *f = frame_box_nonce(id, server_pk, plain, n, nonce, flen);
	free(plain);
	return f;
}

/* The same with a random nonce: a stream of its own, as a new client's. */
static uint8_t *
frame_build(const px_identity *id, const uint8_t *server_pk, const char *method,
            const void *payload, size_t plen, int64_t deadline_ms, int64_t sent_ms,
            uint64_t request_id, size_t *flen)
{
	return frame_build_nonce(id, server_pk, method, payload, plen, deadline_ms, sent_ms,
	                         request_id, NULL, flen);
}

/* Boxes arbitrary plaintext (not necessarily a valid Request) under the
 * nonce given, or a random one when it is NULL. */
static uint8_t *
frame_box_nonce(const px_identity *id, const uint8_t *server_pk, const void *plain, size_t n,
                const uint8_t *nonce, size_t *flen)
{
	uint8_t key[PX_BOX_KEY_BYTES];
	assert_int_equal(px_box_precompute(id, server_pk, key), PX_OK);
	*flen = 3 + PX_PK_BYTES + PX_BOX_NONCE_BYTES + n + PX_BOX_MAC_BYTES;
	uint8_t *f = malloc(*flen);
	memcpy(f, "PX1", 3);
	memcpy(f + 3, px_identity_pk(id), PX_PK_BYTES);
	if (nonce != NULL)
		memcpy(f + 3 + PX_PK_BYTES, nonce, PX_BOX_NONCE_BYTES);
	else
		px_random(f + 3 + PX_PK_BYTES, PX_BOX_NONCE_BYTES);
	px_box_seal(key, f + 3 + PX_PK_BYTES, plain, n, f + 3 + PX_PK_BYTES + PX_BOX_NONCE_BYTES);
	return f;
}

static uint8_t *
frame_box_raw(const px_identity *id, const uint8_t *server_pk, const void *plain, size_t n,
              size_t *flen)
{
	return frame_box_nonce(id, server_pk, plain, n, NULL, flen);
}

/* A nonce as px_rpc's client makes it: stream id | counter (big-endian
 * both) | 8 random bytes. */
static void
nonce_make(uint8_t nonce[PX_BOX_NONCE_BYTES], uint64_t stream, uint64_t counter)
{
	for (int i = 0; i < 8; i++) {
		nonce[i] = (uint8_t)(stream >> (56 - 8 * i));
		nonce[8 + i] = (uint8_t)(counter >> (56 - 8 * i));
	}
	px_random(nonce + 16, 8);
}

static uint8_t *
echo_payload(const char *text, int sleep_ms, size_t *len)
{
	Praxis__Test__EchoRequest rq = PRAXIS__TEST__ECHO_REQUEST__INIT;
	rq.text = (char *)text;
	rq.sleep_ms = sleep_ms;
	*len = praxis__test__echo_request__get_packed_size(&rq);
	uint8_t *p = malloc(*len + 1);
	praxis__test__echo_request__pack(&rq, p);
	return p;
}

typedef struct raw_reply {
	bool plain;     /* "PX0": an unboxed error */
	px_code code;
	char message[256];
	uint64_t request_id;
	Praxis__Test__EchoResponse *resp; /* when boxed, OK and unpackable */
} raw_reply;

static nng_socket
raw_open(const char *url)
{
	nng_socket s;
	assert_int_equal(nng_req0_open(&s), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 20000), 0);
	assert_int_equal(nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, 0), 0);
	assert_int_equal(nng_dial(s, url, NULL, 0), 0);
	return s;
}

/* Sends a frame and reads the reply; a boxed reply is opened with the
 * key shared by id and the server. */
static raw_reply
raw_call(nng_socket s, const uint8_t *frame, size_t len, const px_identity *id)
{
	raw_reply r = {0};
	assert_int_equal(nng_send(s, (void *)frame, len, 0), 0);
	nng_msg *m = NULL;
	int rv = nng_recvmsg(s, &m, 0);
	assert_int_equal(rv, 0);
	const uint8_t *b = nng_msg_body(m);
	size_t n = nng_msg_len(m);
	assert_true(n >= 4);
	if (memcmp(b, "PX0", 3) == 0) {
		r.plain = true;
		r.code = (px_code)b[3];
		snprintf(r.message, sizeof r.message, "%.*s", (int)(n - 4), (const char *)b + 4);
	} else {
		assert_memory_equal(b, "PX1", 3);
		assert_true(n >= 3 + PX_BOX_NONCE_BYTES + PX_BOX_MAC_BYTES);
		uint8_t key[PX_BOX_KEY_BYTES];
		assert_int_equal(px_box_precompute(id, px_identity_pk(fx.server), key), PX_OK);
		size_t bl = n - 3 - PX_BOX_NONCE_BYTES;
		uint8_t *plain = malloc(bl);
		assert_int_equal(px_box_open(key, b + 3, b + 3 + PX_BOX_NONCE_BYTES, bl, plain), PX_OK);
		Praxis__Rpc__Reply *rep =
		    praxis__rpc__reply__unpack(NULL, bl - PX_BOX_MAC_BYTES, plain);
		assert_non_null(rep);
		r.request_id = rep->request_id;
		r.code = rep->status ? (px_code)rep->status->code : PX_CODE_OK;
		if (rep->status && rep->status->message)
			px_strlcpy(r.message, rep->status->message, sizeof r.message);
		if (r.code == PX_CODE_OK)
			r.resp = praxis__test__echo_response__unpack(NULL, rep->payload.len,
			                                             rep->payload.data);
		praxis__rpc__reply__free_unpacked(rep, NULL);
		free(plain);
	}
	nng_msg_free(m);
	return r;
}

static void
raw_reply_free(raw_reply *r)
{
	if (r->resp != NULL)
		praxis__test__echo_response__free_unpacked(r->resp, NULL);
	r->resp = NULL;
}

/* ---- tests ---- */

static void
test_round_trip(void **state)
{
	(void)state;
	echo_proc p = echo_start(NULL);
	assert_true(strncmp(p.url, "tcp://127.0.0.1:", 16) == 0);
	px_rpc_client *cl = client_open(p.url, fx.client, px_identity_pk(fx.server), 0);
	uint8_t data[300];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7 + 1);
	Praxis__Test__EchoResponse *out = NULL;
	px_status st;
	assert_int_equal(echo_call(cl, "Echo", data, sizeof data, "Réunion de bilan", 0, 0, 0,
	                           &out, &st),
	                 PX_CODE_OK);
	assert_int_equal(out->data.len, sizeof data);
	assert_memory_equal(out->data.data, data, sizeof data);
	assert_string_equal(out->text, "Réunion de bilan");
	/* The server saw who called. */
	assert_int_equal(out->caller.len, PX_PK_BYTES);
	assert_memory_equal(out->caller.data, px_identity_pk(fx.client), PX_PK_BYTES);
	protobuf_c_message_free_unpacked(&out->base, NULL);
	/* By index too, and an empty message. */
	Praxis__Test__EchoRequest rq = PRAXIS__TEST__ECHO_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	assert_int_equal(px_rpc_call_sync(cl, echo_svc, 0, &rq.base, 0, &resp, &st), PX_OK);
	assert_non_null(resp);
	protobuf_c_message_free_unpacked(resp, NULL);
	/* A handler's own status reaches the caller with its message. */
	assert_int_equal(echo_call(cl, "Fail", NULL, 0, "membre 42", 0, PX_CODE_NOT_FOUND, 0, NULL,
	                           &st),
	                 PX_CODE_NOT_FOUND);
	assert_non_null(strstr(st.message, "membre 42"));
	/* A request of the wrong type never leaves the client. */
	Praxis__PingRequest ping = PRAXIS__PING_REQUEST__INIT;
	assert_int_equal(px_rpc_call_named(cl, echo_svc, "Echo", &ping.base, 0, &resp, &st),
	                 PX_EINVAL);
	assert_int_equal(st.code, PX_CODE_INVALID_ARGUMENT);
	assert_int_equal(px_rpc_call_named(cl, echo_svc, "Nope", &rq.base, 0, &resp, &st),
	                 PX_ENOTFOUND);
	px_rpc_client_close(cl);
	echo_stop(&p);
}

static void
test_unimplemented(void **state)
{
	(void)state;
	echo_proc p = echo_start(NULL);
	px_rpc_client *cl = client_open(p.url, fx.client, px_identity_pk(fx.server), 0);
	px_status st;
	/* A method of another service. */
	Praxis__PingRequest ping = PRAXIS__PING_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	assert_int_equal(px_rpc_call_named(cl, &praxis__hub__descriptor, "Ping", &ping.base, 0,
	                                   &resp, &st),
	                 PX_EUNIMPL);
	assert_int_equal(st.code, PX_CODE_UNIMPLEMENTED);
	assert_null(resp);
	/* A method of this service without a handler. */
	assert_int_equal(echo_call(cl, "Missing", "x", 1, "", 0, 0, 0, NULL, &st),
	                 PX_CODE_UNIMPLEMENTED);
	px_rpc_client_close(cl);
	/* A name the descriptor does not know, sent raw. */
	nng_socket s = raw_open(p.url);
	size_t plen, flen;
	uint8_t *pl = echo_payload("x", 0, &plen);
	const char *names[] = {"praxis.test.Echo/Nope", "praxis.test.Echo", "", "/Echo",
	                       "praxis.test.Ech/Echo", "praxis.test.Echo/Echo/x"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		uint8_t *f = frame_build(fx.client, px_identity_pk(fx.server), names[i], pl, plen,
		                         0, px_now_ms(), 7, &flen);
		raw_reply r = raw_call(s, f, flen, fx.client);
		assert_false(r.plain);
		assert_int_equal(r.code, PX_CODE_UNIMPLEMENTED);
		assert_int_equal(r.request_id, 7);
		free(f);
	}
	free(pl);
	nng_close(s);
	echo_stop(&p);
}

static void
test_invalid_argument(void **state)
{
	(void)state;
	echo_proc p = echo_start(NULL);
	nng_socket s = raw_open(p.url);
	const uint8_t *spk = px_identity_pk(fx.server);
	/* Garbage bytes: no envelope at all. */
	const char *garbage[] = {"hello, praxis", "PX1", "PX9aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                                                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	for (size_t i = 0; i < 3; i++) {
		raw_reply r = raw_call(s, (const uint8_t *)garbage[i], strlen(garbage[i]), fx.client);
		assert_true(r.plain);
		assert_int_equal(r.code, PX_CODE_INVALID_ARGUMENT);
	}
	uint8_t zero[1] = {0};
	raw_reply r = raw_call(s, zero, 1, fx.client);
	assert_int_equal(r.code, PX_CODE_INVALID_ARGUMENT);

	/* A truncated protobuf as the method's payload, correctly boxed. */
	uint8_t big[200];
	memset(big, 'a', sizeof big);
	Praxis__Test__EchoRequest rq = PRAXIS__TEST__ECHO_REQUEST__INIT;
	rq.data.data = big;
	rq.data.len = sizeof big;
	size_t plen = praxis__test__echo_request__get_packed_size(&rq);
	uint8_t *pl = malloc(plen);
	praxis__test__echo_request__pack(&rq, pl);
	size_t cuts[] = {1, 2, 50, plen - 1};
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		size_t flen;
		uint8_t *f = frame_build(fx.client, spk, "praxis.test.Echo/Echo", pl, cuts[i], 0,
		                         px_now_ms(), 99, &flen);
		r = raw_call(s, f, flen, fx.client);
		assert_false(r.plain);
		assert_int_equal(r.code, PX_CODE_INVALID_ARGUMENT);
		free(f);
	}
	/* The whole payload is fine (so the cuts above are what failed). */
	size_t flen;
	uint8_t *f = frame_build(fx.client, spk, "praxis.test.Echo/Echo", pl, plen, 0, px_now_ms(),
	                         100, &flen);
	r = raw_call(s, f, flen, fx.client);
	assert_int_equal(r.code, PX_CODE_OK);
	assert_non_null(r.resp);
	assert_int_equal(r.resp->data.len, sizeof big);
	raw_reply_free(&r);
	free(f);

	/* A truncated envelope (Request) inside a valid box. */
	Praxis__Rpc__Request env = PRAXIS__RPC__REQUEST__INIT;
	env.method = "praxis.test.Echo/Echo";
	env.payload.data = pl;
	env.payload.len = plen;
	env.sent_ms = px_now_ms();
	size_t elen = praxis__rpc__request__get_packed_size(&env);
	uint8_t *ep = malloc(elen);
	praxis__rpc__request__pack(&env, ep);
	f = frame_box_raw(fx.client, spk, ep, elen - 3, &flen);
	r = raw_call(s, f, flen, fx.client);
	assert_false(r.plain);
	assert_int_equal(r.code, PX_CODE_INVALID_ARGUMENT);
	free(f);
	/* Random bytes inside a valid box. */
	uint8_t rnd[64];
	px_random(rnd, sizeof rnd);
	rnd[0] = 0xff; /* field 31, wire type 7: invalid */
	f = frame_box_raw(fx.client, spk, rnd, sizeof rnd, &flen);
	r = raw_call(s, f, flen, fx.client);
	assert_int_equal(r.code, PX_CODE_INVALID_ARGUMENT);
	free(f);
	free(ep);
	free(pl);
	nng_close(s);
	echo_stop(&p);
}

static void
test_oversize(void **state)
{
	(void)state;
	echo_proc p = echo_start("--max-msg", "65536", NULL);
	px_rpc_client *cl = client_open(p.url, fx.client, px_identity_pk(fx.server), 0);
	size_t n = 2u << 20;
	uint8_t *data = calloc(1, n);
	px_status st;
	/* Just above the server's limit: answered, never decoded. */
	assert_int_equal(echo_call(cl, "Echo", data, 70000, "", 0, 0, 0, NULL, &st),
	                 PX_CODE_RESOURCE_EXHAUSTED);
	/* Just under it: served. */
	assert_int_equal(echo_call(cl, "Echo", data, 60000, "", 0, 0, 0, NULL, &st), PX_CODE_OK);
	/* Far above: nng drops it before allocating; the caller gets no
	 * answer, and the server keeps serving. The caller runs in its own
	 * process (see rpc_call.c: nng 1.5.2 may leak its pipes there). */
	char spk[PX_PK_HEX];
	px_hex_encode(px_identity_pk(fx.server), PX_PK_BYTES, spk);
	pxt_run r = pxt_sh("ASAN_OPTIONS=detect_leaks=0 timeout -k 5 60 '%s' --url '%s' --key '%s' "
	                   "--server-pk %s --size %zu --timeout 1000",
	                   RPC_CALL, p.url, fx.client_key_path, spk, n);
	assert_int_equal(r.status, 0);
	int c = -1;
	assert_int_equal(sscanf(r.out, "CODE %d", &c), 1);
	assert_true(c == PX_CODE_UNAVAILABLE || c == PX_CODE_DEADLINE_EXCEEDED);
	pxt_run_free(&r);
	/* The same helper within the limit: the process path itself works. */
	r = pxt_sh("timeout -k 5 60 '%s' --url '%s' --key '%s' --server-pk %s --size 1000",
	           RPC_CALL, p.url, fx.client_key_path, spk);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "CODE 0\n");
	pxt_run_free(&r);
	assert_int_equal(echo_call(cl, "Echo", "ok", 2, "", 0, 0, 0, NULL, &st), PX_CODE_OK);
	px_rpc_client_close(cl);
	/* The client's own limit: refused before sending. */
	cl = client_open(p.url, fx.client, px_identity_pk(fx.server), 1000);
	/* (A first call lets the connection settle: nng 1.5.2 may leak a
	 * dialer closed while it is still connecting.) */
	assert_int_equal(echo_call(cl, "Echo", data, 500, "", 0, 0, 0, NULL, &st), PX_CODE_OK);
	assert_int_equal(echo_call(cl, "Echo", data, 2000, "", 0, 0, 0, NULL, &st),
	                 PX_CODE_RESOURCE_EXHAUSTED);
	px_rpc_client_close(cl);
	free(data);
	echo_stop(&p);
}

static void
test_deadline(void **state)
{
	(void)state;
	echo_proc p = echo_start(NULL);
	px_rpc_client *cl = client_open(p.url, fx.client, px_identity_pk(fx.server), 0);
	px_status st;
	/* Connected first, so what follows is about the handler's time. */
	assert_int_equal(echo_call(cl, "Echo", "x", 1, "", 0, 0, 0, NULL, &st), PX_CODE_OK);
	/* The client gives up at its deadline. */
	assert_int_equal(echo_call(cl, "Slow", "x", 1, "", 600, 0, 150, NULL, &st),
	                 PX_CODE_DEADLINE_EXCEEDED);
	/* With time enough, the same call succeeds. */
	assert_int_equal(echo_call(cl, "Slow", "x", 1, "", 10, 0, 5000, NULL, &st), PX_CODE_OK);
	px_rpc_client_close(cl);

	/* The server's own answer, seen through a raw socket that waits as
	 * long as needed: the handler outlives the deadline... */
	nng_socket s = raw_open(p.url);
	size_t plen, flen;
	uint8_t *pl = echo_payload("lent", 400, &plen);
	int64_t now = px_now_ms();
	uint8_t *f = frame_build(fx.client, px_identity_pk(fx.server), "praxis.test.Echo/Slow", pl,
	                         plen, now + 100, now, 1, &flen);
	raw_reply r = raw_call(s, f, flen, fx.client);
	assert_false(r.plain);
	assert_int_equal(r.code, PX_CODE_DEADLINE_EXCEEDED);
	assert_null(r.resp);
	free(f);
	/* ...or the deadline has passed before the server starts. */
	now = px_now_ms();
	f = frame_build(fx.client, px_identity_pk(fx.server), "praxis.test.Echo/Echo", pl, plen,
	                now - 1000, now, 2, &flen);
	r = raw_call(s, f, flen, fx.client);
	assert_int_equal(r.code, PX_CODE_DEADLINE_EXCEEDED);
	free(f);
	free(pl);
	nng_close(s);
	echo_stop(&p);
}

static void
test_unauthenticated(void **state)
{
	(void)state;
	echo_proc p = echo_start(NULL);
	px_status st;
	/* Unknown key: a real identity the server has not enrolled. */
	px_rpc_client *cl = client_open(p.url, fx.stranger, px_identity_pk(fx.server), 0);
	assert_int_equal(echo_call(cl, "Echo", "x", 1, "", 0, 0, 0, NULL, &st),
	                 PX_CODE_UNAUTHENTICATED);
	px_rpc_client_close(cl);
	/* Wrong key: the client pins another server key, so its box opens
	 * with nobody's key on the server. */
	cl = client_open(p.url, fx.client, px_identity_pk(fx.stranger), 0);
	assert_int_equal(echo_call(cl, "Echo", "x", 1, "", 0, 0, 0, NULL, &st),
	                 PX_CODE_UNAUTHENTICATED);
	px_rpc_client_close(cl);
	/* A stranger claiming an enrolled key. */
	nng_socket s = raw_open(p.url);
	size_t plen, flen;
	uint8_t *pl = echo_payload("x", 0, &plen);
	uint8_t *f = frame_build(fx.stranger, px_identity_pk(fx.server), "praxis.test.Echo/Echo",
	                         pl, plen, 0, px_now_ms(), 1, &flen);
	memcpy(f + 3, px_identity_pk(fx.client), PX_PK_BYTES);
	raw_reply r = raw_call(s, f, flen, fx.client);
	assert_true(r.plain);
	assert_int_equal(r.code, PX_CODE_UNAUTHENTICATED);
	free(f);
	/* A key that is not a curve point. */
	f = frame_build(fx.client, px_identity_pk(fx.server), "praxis.test.Echo/Echo", pl, plen, 0,
	                px_now_ms(), 1, &flen);
	memset(f + 3, 0, PX_PK_BYTES);
	r = raw_call(s, f, flen, fx.client);
	assert_int_equal(r.code, PX_CODE_UNAUTHENTICATED);
	free(f);
	free(pl);
	nng_close(s);
	/* The enrolled client still gets through. */
	cl = client_open(p.url, fx.client, px_identity_pk(fx.server), 0);
	assert_int_equal(echo_call(cl, "Echo", "x", 1, "", 0, 0, 0, NULL, &st), PX_CODE_OK);
	px_rpc_client_close(cl);
	echo_stop(&p);
}

static void
test_replay(void **state)
{
	(void)state;
	echo_proc p = echo_start(NULL);
	nng_socket s = raw_open(p.url);
	size_t plen, flen;
	uint8_t *pl = echo_payload("une fois", 0, &plen);
	uint8_t *f = frame_build(fx.client, px_identity_pk(fx.server), "praxis.test.Echo/Echo", pl,
	                         plen, 0, px_now_ms(), 5, &flen);
	raw_reply r = raw_call(s, f, flen, fx.client);
	assert_int_equal(r.code, PX_CODE_OK);
	assert_string_equal(r.resp->text, "une fois");
	raw_reply_free(&r);
	/* The captured frame, sent again: refused, and not answered in a box. */
	for (int i = 0; i < 3; i++) {
		r = raw_call(s, f, flen, fx.client);
		assert_true(r.plain);
		assert_int_equal(r.code, PX_CODE_UNAUTHENTICATED);
		assert_null(r.resp);
	}
	/* A send time outside the window: refused unrun (ABORTED: a client
	 * would stamp it again, which a replayer cannot). */
	size_t olen;
	uint8_t *old = frame_build(fx.client, px_identity_pk(fx.server), "praxis.test.Echo/Echo",
	                           pl, plen, 0, px_now_ms() - 3600 * 1000, 6, &olen);
	r = raw_call(s, old, olen, fx.client);
	assert_true(r.plain);
	assert_int_equal(r.code, PX_CODE_ABORTED);
	free(old);
	uint8_t *future = frame_build(fx.client, px_identity_pk(fx.server),
	                              "praxis.test.Echo/Echo", pl, plen, 0,
	                              px_now_ms() + 3600 * 1000, 6, &olen);
	r = raw_call(s, future, olen, fx.client);
	assert_true(r.plain);
	assert_int_equal(r.code, PX_CODE_ABORTED);
	free(future);
	nng_close(s);
	echo_stop(&p);

	/* After a restart the server knows no stream, but the frame was sent
	 * before the new server started. */
	p = echo_start(NULL);
	s = raw_open(p.url);
	r = raw_call(s, f, flen, fx.client);
	assert_true(r.plain);
	assert_int_equal(r.code, PX_CODE_ABORTED);
	assert_null(r.resp);
	/* While a fresh frame is served. */
	free(f);
	f = frame_build(fx.client, px_identity_pk(fx.server), "praxis.test.Echo/Echo", pl, plen, 0,
	                px_now_ms(), 8, &flen);
	r = raw_call(s, f, flen, fx.client);
	assert_int_equal(r.code, PX_CODE_OK);
	raw_reply_free(&r);
	free(f);
	free(pl);
	nng_close(s);
	echo_stop(&p);
}

/* Sends an Echo as request `counter` of `stream` from id, built now: a
 * fresh send time and fresh random bytes, so only the counter repeats.
 * Returns the code (and the message when msg is not NULL); an answer is
 * checked to be the handler's, a refusal to come before it, in plain. */
static px_code
stream_echo(nng_socket s, const px_identity *id, uint64_t stream, uint64_t counter, char *msg)
{
	char text[80];
	snprintf(text, sizeof text, "flux %016llx appel %llu", (unsigned long long)stream,
	         (unsigned long long)counter);
	size_t plen, flen;
	uint8_t *pl = echo_payload(text, 0, &plen);
	uint8_t nonce[PX_BOX_NONCE_BYTES];
	nonce_make(nonce, stream, counter);
	uint8_t *f = frame_build_nonce(id, px_identity_pk(fx.server), "praxis.test.Echo/Echo", pl,
	                               plen, 0, px_now_ms(), counter, nonce, &flen);
	raw_reply r = raw_call(s, f, flen, id);
	if (r.code == PX_CODE_OK) {
		assert_false(r.plain);
		assert_int_equal(r.request_id, counter);
		assert_non_null(r.resp);
		assert_string_equal(r.resp->text, text);
	} else {
		assert_true(r.plain);
		assert_null(r.resp);
	}
	if (msg != NULL)
		px_strlcpy(msg, r.message, sizeof r.message);
	raw_reply_free(&r);
	free(f);
	free(pl);
	return r.code;
}

static void
test_replay_counter(void **state)
{
	(void)state;
	echo_proc p = echo_start(NULL);
	nng_socket s = raw_open(p.url);
	const px_identity *c = fx.client;
	uint64_t st = px_random_u64();
	/* A counter comes once: the same counter in a new frame is refused. */
	assert_int_equal(stream_echo(s, c, st, 1, NULL), PX_CODE_OK);
	assert_int_equal(stream_echo(s, c, st, 1, NULL), PX_CODE_UNAUTHENTICATED);
	/* Out of order within the bitmap, as calls on several contexts
	 * arrive: each accepted once. */
	const uint64_t order[] = {10, 5, 9, 2, 6, 8, 7, 3, 4};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		assert_int_equal(stream_echo(s, c, st, order[i], NULL), PX_CODE_OK);
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		assert_int_equal(stream_echo(s, c, st, order[i], NULL), PX_CODE_UNAUTHENTICATED);
	/* The bitmap keeps the 960 counters below the highest: one never
	 * seen is accepted just inside, refused just outside. */
	assert_int_equal(stream_echo(s, c, st, 1000, NULL), PX_CODE_OK);
	assert_int_equal(stream_echo(s, c, st, 40, NULL), PX_CODE_UNAUTHENTICATED);
	assert_int_equal(stream_echo(s, c, st, 41, NULL), PX_CODE_OK);
	/* 1025 has counter 1's bit in the 1024-bit ring: forgotten when the
	 * ring moved on, so not taken for a replay; then remembered. */
	assert_int_equal(stream_echo(s, c, st, 1025, NULL), PX_CODE_OK);
	assert_int_equal(stream_echo(s, c, st, 1025, NULL), PX_CODE_UNAUTHENTICATED);
	/* A jump past the whole ring. */
	assert_int_equal(stream_echo(s, c, st, 1000000, NULL), PX_CODE_OK);
	assert_int_equal(stream_echo(s, c, st, 1025, NULL), PX_CODE_UNAUTHENTICATED);
	assert_int_equal(stream_echo(s, c, st, 999999, NULL), PX_CODE_OK);
	assert_int_equal(stream_echo(s, c, st, 999999, NULL), PX_CODE_UNAUTHENTICATED);
	assert_int_equal(stream_echo(s, c, st, 1000000 - 959, NULL), PX_CODE_OK);
	assert_int_equal(stream_echo(s, c, st, 1000000 - 960, NULL), PX_CODE_UNAUTHENTICATED);

	/* An unreadable envelope in a valid box still uses up its counter:
	 * answered once (boxed), its copy refused in plain, and so is a
	 * readable request with the same counter. */
	uint64_t st2 = px_random_u64();
	uint8_t nonce[PX_BOX_NONCE_BYTES];
	nonce_make(nonce, st2, 1);
	uint8_t junk[32];
	px_random(junk, sizeof junk);
	junk[0] = 0xff; /* field 31, wire type 7: invalid */
	size_t flen;
	uint8_t *f = frame_box_nonce(c, px_identity_pk(fx.server), junk, sizeof junk, nonce, &flen);
	raw_reply r = raw_call(s, f, flen, c);
	assert_false(r.plain);
	assert_int_equal(r.code, PX_CODE_INVALID_ARGUMENT);
	r = raw_call(s, f, flen, c);
	assert_true(r.plain);
	assert_int_equal(r.code, PX_CODE_UNAUTHENTICATED);
	free(f);
	assert_int_equal(stream_echo(s, c, st2, 1, NULL), PX_CODE_UNAUTHENTICATED);
	assert_int_equal(stream_echo(s, c, st2, 2, NULL), PX_CODE_OK);
	nng_close(s);
	echo_stop(&p);
}

static void
test_replay_streams_apart(void **state)
{
	(void)state;
	char other[PX_PK_HEX];
	px_hex_encode(px_identity_pk(fx.other), PX_PK_BYTES, other);
	echo_proc p = echo_start("--allow", other, NULL);
	/* Two px_rpc clients of one key: both number their calls from 1, in
	 * streams of their own. */
	px_rpc_client *c1 = client_open(p.url, fx.client, px_identity_pk(fx.server), 0);
	px_rpc_client *c2 = client_open(p.url, fx.client, px_identity_pk(fx.server), 0);
	px_status pst;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(echo_call(c1, "Echo", "1", 1, "", 0, 0, 0, NULL, &pst), PX_CODE_OK);
		assert_int_equal(echo_call(c2, "Echo", "2", 1, "", 0, 0, 0, NULL, &pst), PX_CODE_OK);
	}
	px_rpc_client_close(c1);
	px_rpc_client_close(c2);

	/* Two streams of one key with the same counters, raw. */
	nng_socket s = raw_open(p.url);
	uint64_t a = px_random_u64(), b = a ^ 1;
	for (uint64_t n = 1; n <= 3; n++) {
		assert_int_equal(stream_echo(s, fx.client, a, n, NULL), PX_CODE_OK);
		assert_int_equal(stream_echo(s, fx.client, b, n, NULL), PX_CODE_OK);
	}
	assert_int_equal(stream_echo(s, fx.client, a, 2, NULL), PX_CODE_UNAUTHENTICATED);
	assert_int_equal(stream_echo(s, fx.client, b, 2, NULL), PX_CODE_UNAUTHENTICATED);

	/* Another enrolled key using stream a, with a's counters and far
	 * ahead of them: a stream of its own... */
	assert_int_equal(stream_echo(s, fx.other, a, 4, NULL), PX_CODE_OK);
	assert_int_equal(stream_echo(s, fx.other, a, 3, NULL), PX_CODE_OK);
	assert_int_equal(stream_echo(s, fx.other, a, 1000000, NULL), PX_CODE_OK);
	assert_int_equal(stream_echo(s, fx.other, a, 4, NULL), PX_CODE_UNAUTHENTICATED);
	/* ...which neither used up a's next counter nor pushed a's counters
	 * out of its bitmap. */
	assert_int_equal(stream_echo(s, fx.client, a, 5, NULL), PX_CODE_OK);
	assert_int_equal(stream_echo(s, fx.client, a, 4, NULL), PX_CODE_OK);
	assert_int_equal(stream_echo(s, fx.client, a, 3, NULL), PX_CODE_UNAUTHENTICATED);
	nng_close(s);
	echo_stop(&p);
}

static void
test_replay_cap(void **state)
{
	(void)state;
	/* Room for 3 streams; a window of 1 s, so streams go quiet within
	 * the test. */
	echo_proc p = echo_start("--replay-max", "3", "--window-ms", "1000", NULL);
	px_rpc_client *cl = client_open(p.url, fx.client, px_identity_pk(fx.server), 0);
	px_status pst;
	assert_int_equal(echo_call(cl, "Echo", "x", 1, "", 0, 0, 0, NULL, &pst), PX_CODE_OK);
	nng_socket s = raw_open(p.url);
	uint64_t a = px_random_u64(), b = a ^ 1, c = a ^ 2;
	assert_int_equal(stream_echo(s, fx.client, a, 1, NULL), PX_CODE_OK);
	assert_int_equal(stream_echo(s, fx.client, b, 1, NULL), PX_CODE_OK);
	/* Full: a new stream is refused, in plain, whoever opens it. */
	char msg[256];
	assert_int_equal(stream_echo(s, fx.client, c, 1, msg), PX_CODE_RESOURCE_EXHAUSTED);
	assert_true(strstr(msg, "trop d'appels") != NULL || strstr(msg, "too many calls") != NULL);
	px_rpc_client *cl2 = client_open(p.url, fx.client, px_identity_pk(fx.server), 0);
	assert_int_equal(echo_call(cl2, "Echo", "y", 1, "", 0, 0, 0, NULL, &pst),
	                 PX_CODE_RESOURCE_EXHAUSTED);
	/* The streams already known go on, checked as before. */
	assert_int_equal(echo_call(cl, "Echo", "x", 1, "", 0, 0, 0, NULL, &pst), PX_CODE_OK);
	assert_int_equal(stream_echo(s, fx.client, a, 2, NULL), PX_CODE_OK);
	assert_int_equal(stream_echo(s, fx.client, a, 1, NULL), PX_CODE_UNAUTHENTICATED);
	assert_int_equal(stream_echo(s, fx.client, b, 3, NULL), PX_CODE_OK);
	assert_int_equal(stream_echo(s, fx.client, c, 2, NULL), PX_CODE_RESOURCE_EXHAUSTED);
	/* Once the streams have been quiet for 2 windows they are dropped
	 * and new ones get in (polled, bounded: nothing here is timed). */
	px_code code = PX_CODE_UNKNOWN;
	for (uint64_t n = 3; n < 600; n++) {
		code = stream_echo(s, fx.client, c, n, NULL);
		if (code != PX_CODE_RESOURCE_EXHAUSTED)
			break;
		usleep(50000);
	}
	assert_int_equal(code, PX_CODE_OK);
	/* (The three went quiet a few ms apart: the last may still be there
	 * for a moment.) */
	for (int i = 0; i < 600; i++) {
		code = echo_call(cl2, "Echo", "y", 1, "", 0, 0, 0, NULL, &pst);
		if (code != PX_CODE_RESOURCE_EXHAUSTED)
			break;
		usleep(50000);
	}
	assert_int_equal(code, PX_CODE_OK);
	px_rpc_client_close(cl2);
	px_rpc_client_close(cl);
	nng_close(s);
	echo_stop(&p);
}

static void
test_bit_flips(void **state)
{
	(void)state;
	echo_proc p = echo_start(NULL);
	nng_socket s = raw_open(p.url);
	size_t plen, flen;
	uint8_t *pl = echo_payload("bits", 0, &plen);
	uint8_t *f = frame_build(fx.client, px_identity_pk(fx.server), "praxis.test.Echo/Echo", pl,
	                         plen, 0, px_now_ms(), 11, &flen);
	uint8_t *g = malloc(flen);
	size_t refused = 0;
	for (size_t bit = 0; bit < flen * 8; bit++) {
		memcpy(g, f, flen);
		g[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		raw_reply r = raw_call(s, g, flen, fx.client);
		/* Every flip is refused before anything is decoded. */
		assert_true(r.plain);
		assert_true(r.code == PX_CODE_UNAUTHENTICATED || r.code == PX_CODE_INVALID_ARGUMENT);
		refused++;
	}
	assert_int_equal(refused, flen * 8);
	/* The untouched frame is still good (the flips were not recorded as
	 * its nonce), so the refusals above come from the flips. */
	raw_reply r = raw_call(s, f, flen, fx.client);
	assert_int_equal(r.code, PX_CODE_OK);
	assert_string_equal(r.resp->text, "bits");
	raw_reply_free(&r);
	free(g);
	free(f);
	free(pl);
	nng_close(s);
	echo_stop(&p);
}

typedef struct worker {
	px_rpc_client *cl;
	int id;
	int ok;
} worker;

#define N_CALLERS 64
#define N_CALLS 20

static void *
worker_run(void *arg)
{
	worker *w = arg;
	for (int i = 0; i < N_CALLS; i++) {
		char text[64];
		uint8_t data[300];
		snprintf(text, sizeof text, "appelant %d appel %d", w->id, i);
		memset(data, (uint8_t)(w->id * 31 + i), sizeof data);
		Praxis__Test__EchoRequest rq = PRAXIS__TEST__ECHO_REQUEST__INIT;
		rq.text = text;
		rq.data.data = data;
		rq.data.len = sizeof data;
		ProtobufCMessage *resp = NULL;
		px_status st;
		if (px_rpc_call_named(w->cl, echo_svc, "Echo", &rq.base, 30000, &resp, &st) != PX_OK)
			continue;
		Praxis__Test__EchoResponse *out = (Praxis__Test__EchoResponse *)resp;
		if (strcmp(out->text, text) == 0 && out->data.len == sizeof data &&
		    memcmp(out->data.data, data, sizeof data) == 0)
			w->ok++;
		protobuf_c_message_free_unpacked(resp, NULL);
	}
	return NULL;
}

static void
test_concurrent(void **state)
{
	(void)state;
	echo_proc p = echo_start("--contexts", "16", NULL);
	/* 64 callers: half share one client (one socket, a context per call),
	 * the others use 4 more clients. */
	px_rpc_client *cls[5];
	for (int i = 0; i < 5; i++)
		cls[i] = client_open(p.url, fx.client, px_identity_pk(fx.server), 0);
	pthread_t th[N_CALLERS];
	worker w[N_CALLERS];
	for (int i = 0; i < N_CALLERS; i++) {
		w[i] = (worker){i < 32 ? cls[0] : cls[1 + i % 4], i, 0};
		assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	int total = 0;
	for (int i = 0; i < N_CALLERS; i++) {
		pthread_join(th[i], NULL);
		total += w[i].ok;
	}
	assert_int_equal(total, N_CALLERS * N_CALLS);
	for (int i = 0; i < 5; i++)
		px_rpc_client_close(cls[i]);
	echo_stop(&p);
}

typedef struct queued {
	px_rpc_client *cl;
	bool started;
	px_code code;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} queued;

static void *
queued_run(void *arg)
{
	queued *q = arg;
	pthread_mutex_lock(&q->mu);
	q->started = true;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	Praxis__Test__EchoRequest rq = PRAXIS__TEST__ECHO_REQUEST__INIT;
	rq.text = "en attente";
	ProtobufCMessage *resp = NULL;
	px_status st;
	/* Slow is not marked idempotent: only the stale re-stamp may resend
	 * it. */
	if (px_rpc_call_named(q->cl, echo_svc, "Slow", &rq.base, 30000, &resp, &st) == PX_OK)
		protobuf_c_message_free_unpacked(resp, NULL);
	q->code = st.code;
	return NULL;
}

static void
test_reconnect(void **state)
{
	(void)state;
	char *url = NULL;
	assert_true(asprintf(&url, "ipc://%s/echo.sock", fx.dir) > 0);
	echo_proc p = echo_start("--url", url, NULL);
	px_rpc_client_opts o = {0};
	o.url = url;
	o.identity = fx.client;
	o.server_pk = px_identity_pk(fx.server);
	o.timeout_ms = 10000;
	o.backoff_ms = 20;
	px_rpc_client *cl = NULL;
	assert_int_equal(px_rpc_client_open(&cl, &o), PX_OK);
	px_status st;
	assert_int_equal(echo_call(cl, "Echo", "1", 1, "", 0, 0, 0, NULL, &st), PX_CODE_OK);
	echo_stop(&p);
	/* Nobody listens: the call cannot be sent. */
	assert_int_equal(echo_call(cl, "Echo", "2", 1, "", 0, 0, 200, NULL, &st),
	                 PX_CODE_UNAVAILABLE);
	/* A call made while the server is down waits in nng's queue; the
	 * server comes back on the same address, the client redials by
	 * itself, and the request - stamped before the new server started,
	 * so refused unrun as stale - is stamped again and served. */
	queued q = {cl, false, PX_CODE_UNKNOWN, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, queued_run, &q), 0);
	pthread_mutex_lock(&q.mu);
	while (!q.started)
		pthread_cond_wait(&q.cv, &q.mu);
	pthread_mutex_unlock(&q.mu);
	p = echo_start("--url", url, NULL);
	pthread_join(th, NULL);
	assert_int_equal(q.code, PX_CODE_OK);
	assert_int_equal(echo_call(cl, "Echo", "3", 1, "", 0, 0, 0, NULL, &st), PX_CODE_OK);
	px_rpc_client_close(cl);
	echo_stop(&p);
	free(url);
}

/* Asynchronous callers: each keeps one call in flight and starts the next
 * from its completion, N_CALLS times. */
typedef struct achain {
	px_rpc_client *cl;
	int id, left, ok, bad;
	char text[64];
	Praxis__Test__EchoRequest rq;
	pthread_mutex_t *mu;
	pthread_cond_t *cv;
	int *running;
} achain;

static void achain_next(achain *a);

static void
achain_done(void *arg, px_err err, ProtobufCMessage *resp, const px_status *st)
{
	achain *a = arg;
	if (err == PX_OK && st->code == PX_CODE_OK && resp != NULL &&
	    strcmp(((Praxis__Test__EchoResponse *)resp)->text, a->text) == 0)
		a->ok++;
	else
		a->bad++;
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	achain_next(a);
}

static void
achain_next(achain *a)
{
	if (a->left-- > 0) {
		snprintf(a->text, sizeof a->text, "async %d reste %d", a->id, a->left);
		a->rq.text = a->text;
		if (px_rpc_call_async(a->cl, echo_svc, 0, &a->rq.base, 30000, achain_done, a) ==
		    PX_OK)
			return;
		a->bad++;
	}
	pthread_mutex_lock(a->mu);
	(*a->running)--;
	pthread_cond_signal(a->cv);
	pthread_mutex_unlock(a->mu);
}

static void
test_async(void **state)
{
	(void)state;
	echo_proc p = echo_start(NULL);
	px_rpc_client *cl = client_open(p.url, fx.client, px_identity_pk(fx.server), 0);
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	achain a[N_CALLERS];
	int running = N_CALLERS;
	for (int i = 0; i < N_CALLERS; i++) {
		a[i] = (achain){.cl = cl, .id = i, .left = N_CALLS, .mu = &mu, .cv = &cv,
		                .running = &running};
		a[i].rq = (Praxis__Test__EchoRequest)PRAXIS__TEST__ECHO_REQUEST__INIT;
	}
	for (int i = 0; i < N_CALLERS; i++)
		achain_next(&a[i]);
	pthread_mutex_lock(&mu);
	while (running > 0)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	int ok = 0, bad = 0;
	for (int i = 0; i < N_CALLERS; i++) {
		ok += a[i].ok;
		bad += a[i].bad;
	}
	assert_int_equal(bad, 0);
	assert_int_equal(ok, N_CALLERS * N_CALLS);
	/* Wrong request type: refused at once, done not called. */
	Praxis__PingRequest ping = PRAXIS__PING_REQUEST__INIT;
	assert_int_equal(px_rpc_call_async(cl, echo_svc, 0, &ping.base, 0, achain_done, NULL),
	                 PX_EINVAL);
	px_rpc_client_close(cl);
	/* An error reaches done too. */
	cl = client_open(p.url, fx.stranger, px_identity_pk(fx.server), 0);
	achain one = {.cl = cl, .id = 0, .left = 1, .mu = &mu, .cv = &cv, .running = &running};
	one.rq = (Praxis__Test__EchoRequest)PRAXIS__TEST__ECHO_REQUEST__INIT;
	running = 1;
	achain_next(&one);
	pthread_mutex_lock(&mu);
	while (running > 0)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	assert_int_equal(one.ok, 0);
	assert_int_equal(one.bad, 1);
	px_rpc_client_close(cl);
	echo_stop(&p);
}

/* The number after '#' in Fail's message: the server's count of calls. */
static int
fail_count(const px_status *st)
{
	const char *h = strrchr(st->message, '#');
	assert_non_null(h);
	return atoi(h + 1);
}

static void
test_retries(void **state)
{
	(void)state;
	echo_proc p = echo_start(NULL);
	px_rpc_client_opts o = {0};
	o.url = p.url;
	o.identity = fx.client;
	o.server_pk = px_identity_pk(fx.server);
	o.timeout_ms = 10000;
	o.retries = 2;
	o.backoff_ms = 5;
	px_rpc_client *cl = NULL;
	assert_int_equal(px_rpc_client_open(&cl, &o), PX_OK);
	px_status st;
	/* Not idempotent: one attempt, whatever the answer. */
	assert_int_equal(echo_call(cl, "Fail", NULL, 0, "a", 0, PX_CODE_UNAVAILABLE, 0, NULL, &st),
	                 PX_CODE_UNAVAILABLE);
	assert_int_equal(fail_count(&st), 1);
	/* Marked idempotent: UNAVAILABLE is retried (1 + 2 attempts)... */
	px_rpc_method_idempotent(echo_svc, "Fail");
	assert_int_equal(echo_call(cl, "Fail", NULL, 0, "b", 0, PX_CODE_UNAVAILABLE, 0, NULL, &st),
	                 PX_CODE_UNAVAILABLE);
	assert_int_equal(fail_count(&st), 4);
	/* ...but never an answer that a retry cannot change. */
	assert_int_equal(echo_call(cl, "Fail", NULL, 0, "c", 0, PX_CODE_NOT_FOUND, 0, NULL, &st),
	                 PX_CODE_NOT_FOUND);
	assert_int_equal(fail_count(&st), 5);
	px_rpc_client_close(cl);
	echo_stop(&p);
}

static void
test_server_api(void **state)
{
	(void)state;
	/* In process: bad options, port 0, an address in use, a service with
	 * no handlers at all, stop(NULL). */
	px_rpc_server *srv = NULL, *srv2 = NULL;
	px_rpc_server_opts o = {0};
	assert_int_equal(px_rpc_server_start(&srv, &o), PX_EINVAL);
	Praxis__Test__Echo_Service svc = {
	    .base = {&praxis__test__echo__descriptor, protobuf_c_service_invoke_internal, NULL}};
	o.url = "tcp://127.0.0.1:0";
	o.identity = fx.server;
	o.service = &svc.base;
	o.contexts = 2;
	assert_int_equal(px_rpc_server_start(&srv, &o), PX_OK);
	const char *url = px_rpc_server_url(srv);
	assert_true(strncmp(url, "tcp://127.0.0.1:", 16) == 0);
	assert_true(atoi(url + 16) > 0);
	o.url = url;
	assert_int_equal(px_rpc_server_start(&srv2, &o), PX_EEXISTS);
	assert_null(srv2);
	px_rpc_client *cl = client_open(url, fx.client, px_identity_pk(fx.server), 0);
	px_status st;
	assert_int_equal(echo_call(cl, "Echo", "x", 1, "", 0, 0, 0, NULL, &st),
	                 PX_CODE_UNIMPLEMENTED);
	px_rpc_client_close(cl);
	px_rpc_server_stop(srv);
	px_rpc_server_stop(NULL);
	px_rpc_client_close(NULL);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_unimplemented),
		cmocka_unit_test(test_invalid_argument), cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_deadline),      cmocka_unit_test(test_unauthenticated),
		cmocka_unit_test(test_replay),        cmocka_unit_test(test_replay_counter),
		cmocka_unit_test(test_replay_streams_apart), cmocka_unit_test(test_replay_cap),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_concurrent),    cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_retries),       cmocka_unit_test(test_server_api),
		cmocka_unit_test(test_async),
	};
	int rv = cmocka_run_group_tests(tests, setup, teardown);
	px_rpc_fini();
	return rv;
}
