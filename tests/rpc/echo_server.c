/*
 * echo_server - the praxis.test.Echo service over px_rpc, run by the RPC
 * tests as a child process.
 *
 *   echo_server --key FILE [--allow HEXPK]... [--url URL] [--max-msg N]
 *               [--contexts N] [--window-ms N] [--replay-max N]
 *
 * Prints "READY <url>" on stdout once listening, serves until its stdin
 * reaches end of file (so it never outlives the test that started it), and
 * exits 0 after a clean stop. With no --allow, every key may call.
 */
#define _GNU_SOURCE
#include "px_rpc.h"
#include "test.pb-c.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ECHO_MAX_ALLOW 16

static uint8_t echo_allow[ECHO_MAX_ALLOW][PX_PK_BYTES];
static int echo_nallow;

static px_code
echo_authorize(void *arg, const uint8_t pk[PX_PK_BYTES], const char *method)
{
	(void)arg;
	(void)method;
	if (echo_nallow == 0)
		return PX_CODE_OK;
	for (int i = 0; i < echo_nallow; i++)
		if (memcmp(echo_allow[i], pk, PX_PK_BYTES) == 0)
			return PX_CODE_OK;
	return PX_CODE_UNAUTHENTICATED;
}

static void
echo_answer(const Praxis__Test__EchoRequest *in, Praxis__Test__EchoResponse_Closure closure,
            void *cd)
{
	Praxis__Test__EchoResponse out = PRAXIS__TEST__ECHO_RESPONSE__INIT;
	out.data = in->data;
	out.text = in->text;
	out.caller.data = (uint8_t *)px_rpc_call_caller(cd);
	out.caller.len = PX_PK_BYTES;
	closure(&out, cd);
}

static void
echo_echo(Praxis__Test__Echo_Service *svc, const Praxis__Test__EchoRequest *in,
          Praxis__Test__EchoResponse_Closure closure, void *cd)
{
	(void)svc;
	echo_answer(in, closure, cd);
}

static void
echo_slow(Praxis__Test__Echo_Service *svc, const Praxis__Test__EchoRequest *in,
          Praxis__Test__EchoResponse_Closure closure, void *cd)
{
	(void)svc;
	if (in->sleep_ms > 0) {
		struct timespec ts = {in->sleep_ms / 1000, (long)(in->sleep_ms % 1000) * 1000000};
		nanosleep(&ts, NULL);
	}
	echo_answer(in, closure, cd);
}

/* Fail's calls are counted and the count is in the message, so a test
 * can see how many attempts a client made. */
static atomic_int echo_fail_calls;

static void
echo_fail(Praxis__Test__Echo_Service *svc, const Praxis__Test__EchoRequest *in,
          Praxis__Test__EchoResponse_Closure closure, void *cd)
{
	(void)svc;
	int n = atomic_fetch_add(&echo_fail_calls, 1) + 1;
	px_rpc_call_set_status(cd, (px_code)in->fail_code, "échec demandé : %s #%d",
	                       in->text ? in->text : "", n);
	closure(NULL, cd);
}

static void
echo_missing(Praxis__Test__Echo_Service *svc, const Praxis__Test__EchoRequest *in,
             Praxis__Test__EchoResponse_Closure closure, void *cd)
{
	(void)svc;
	echo_answer(in, closure, cd);
}

int
main(int argc, char **argv)
{
	const char *key = NULL, *url = "tcp://127.0.0.1:0";
	px_rpc_server_opts o = {0};
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL) {
			fprintf(stderr, "echo_server: %s sans valeur / without value\n", argv[i]);
			return 2;
		}
		if (strcmp(argv[i], "--key") == 0)
			key = v;
		else if (strcmp(argv[i], "--url") == 0)
			url = v;
		else if (strcmp(argv[i], "--max-msg") == 0)
			o.max_msg = strtoul(v, NULL, 10);
		else if (strcmp(argv[i], "--contexts") == 0)
			o.contexts = atoi(v);
		else if (strcmp(argv[i], "--window-ms") == 0)
			o.replay_window_ms = atoi(v);
		else if (strcmp(argv[i], "--replay-max") == 0)
			o.replay_max = strtoul(v, NULL, 10);
		else if (strcmp(argv[i], "--allow") == 0 && echo_nallow < ECHO_MAX_ALLOW) {
			if (px_hex_decode(v, echo_allow[echo_nallow], PX_PK_BYTES) != PX_OK) {
				fprintf(stderr, "echo_server: clé invalide / bad key %s\n", v);
				return 2;
			}
			echo_nallow++;
		} else {
			fprintf(stderr, "echo_server: option inconnue / unknown option %s\n", argv[i]);
			return 2;
		}
		i++;
	}
	if (key == NULL || px_crypto_init() != PX_OK) {
		fprintf(stderr, "echo_server: --key FILE requis / required\n");
		return 2;
	}
	px_identity *id = NULL;
	px_err rv = px_identity_load(&id, key, NULL);
	if (rv != PX_OK) {
		fprintf(stderr, "echo_server: %s: %s\n", key, px_strerror(rv));
		return 1;
	}
	Praxis__Test__Echo_Service svc = PRAXIS__TEST__ECHO__INIT(echo_);
	svc.missing = NULL; /* the server must answer UNIMPLEMENTED */
	(void)echo_missing;
	o.url = url;
	o.identity = id;
	o.service = &svc.base;
	o.authorize = echo_authorize;
	px_rpc_server *srv = NULL;
	if ((rv = px_rpc_server_start(&srv, &o)) != PX_OK) {
		fprintf(stderr, "echo_server: %s: %s\n", url, px_strerror(rv));
		px_identity_free(id);
		return 1;
	}
	printf("READY %s\n", px_rpc_server_url(srv));
	fflush(stdout);
	char buf[256];
	while (read(0, buf, sizeof buf) > 0)
		;
	px_rpc_server_stop(srv);
	px_identity_free(id);
	px_rpc_fini();
	return 0;
}
