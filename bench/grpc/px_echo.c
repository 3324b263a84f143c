/*
 * px_echo - the Praxis peer of the "RPC vs gRPC" benchmark (issue 8): the
 * same pxbench.Echo unary call as grpc_bench.cc, served and called through
 * px_rpc (protobuf-c over nng req/rep, every call authenticated and
 * encrypted with crypto_box), measured the same way.
 *
 *   px_echo server [--url tcp://127.0.0.1:0] [--contexts 64]
 *       Prints "URL <url>" and "PK <hex>" on stdout once listening, runs
 *       until SIGTERM/SIGINT.
 *   px_echo client --url U --server-pk HEX [--payload 300] [--warmup 2000]
 *       [--calls 20000] [--callers 64] [--clients 8] [--seconds 5]
 *       Prints one JSON line, same keys as grpc_bench's.
 *   px_echo rawserver / rawclient (same options; no key)
 *       The transport alone, for reference: raw nng req0/rep0 contexts
 *       echoing the same 300 bytes, no envelope, no box, no protobuf.
 *   px_echo report PRAXIS.json GRPC.json [NNG.json]
 *       Each file holds one JSON line per round (client output); writes the
 *       three "RPC vs gRPC" rows (best round of each side) to the results
 *       file (bench.h) and prints them; with NNG.json also two reference
 *       rows, raw nng against the same gRPC figures.
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "echo.pb-c.h"
#include "px.h"
#include "px_crypto.h"
#include "px_rpc.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

static void echo_die(const char *fr, const char *en, const char *arg)
{
	fprintf(stderr, "px_echo: ");
	fprintf(stderr, PX_T(fr, en), arg);
	fprintf(stderr, "\n");
	exit(2);
}

static void echo_check(px_err rv, const char *what)
{
	if (rv != PX_OK) {
		fprintf(stderr, "px_echo: %s: %s\n", what, px_strerror_user(rv));
		exit(2);
	}
}

/* ---- command line ---- */

typedef struct echo_opts {
	const char *url;
	const char *server_pk;
	int contexts;
	size_t payload;
	int warmup;
	int calls;
	int callers;
	int clients;
	double seconds;
} echo_opts;

static long echo_long(const char *s, const char *what)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < 0 || v > 100000000)
		echo_die("valeur invalide pour %s", "invalid value for %s", what);
	return v;
}

static echo_opts echo_parse(int argc, char **argv)
{
	echo_opts o = {
		.url = "tcp://127.0.0.1:0", .contexts = 64, .payload = 300, .warmup = 2000,
		.calls = 20000, .callers = 64, .clients = 8, .seconds = 5.0,
	};
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			echo_die("option sans valeur : %s", "option without a value: %s", a);
		const char *v = argv[++i];
		if (!strcmp(a, "--url")) o.url = v;
		else if (!strcmp(a, "--server-pk")) o.server_pk = v;
		else if (!strcmp(a, "--contexts")) o.contexts = (int)echo_long(v, a);
		else if (!strcmp(a, "--payload")) o.payload = (size_t)echo_long(v, a);
		else if (!strcmp(a, "--warmup")) o.warmup = (int)echo_long(v, a);
		else if (!strcmp(a, "--calls")) o.calls = (int)echo_long(v, a);
		else if (!strcmp(a, "--callers")) o.callers = (int)echo_long(v, a);
		else if (!strcmp(a, "--clients")) o.clients = (int)echo_long(v, a);
		else if (!strcmp(a, "--seconds")) o.seconds = atof(v);
		else echo_die("option inconnue : %s", "unknown option: %s", a);
	}
	if (o.calls < 1) o.calls = 1;
	if (o.callers < 1) o.callers = 1;
	if (o.clients < 1) o.clients = 1;
	if (o.seconds < 0) o.seconds = 0;
	return o;
}

/* ---- server ---- */

static void echo_echo(Pxbench__Echo_Service *svc, const Pxbench__EchoRequest *in,
                         Pxbench__EchoReply_Closure closure, void *closure_data)
{
	(void)svc;
	Pxbench__EchoReply rep = PXBENCH__ECHO_REPLY__INIT;
	rep.payload = in->payload; /* borrowed: packed by the closure before return */
	closure(&rep, closure_data);
}

static int echo_server(const echo_opts *o)
{
	/* SIGTERM/SIGINT go to sigwait below: blocked before nng starts threads. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	px_identity *id = NULL;
	echo_check(px_identity_generate(&id), "identity");
	Pxbench__Echo_Service svc = PXBENCH__ECHO__INIT(echo_);
	px_rpc_server_opts so = {
		.url = o->url, .identity = id, .service = &svc.base, .contexts = o->contexts,
	};
	px_rpc_server *srv = NULL;
	echo_check(px_rpc_server_start(&srv, &so), o->url);
	char hex[PX_PK_HEX];
	px_hex_encode(px_identity_pk(id), PX_PK_BYTES, hex);
	printf("URL %s\nPK %s\n", px_rpc_server_url(srv), hex);
	fflush(stdout);

	int sig = 0;
	sigwait(&sigs, &sig);
	px_rpc_server_stop(srv);
	px_identity_free(id);
	return 0;
}

/* ---- raw nng server: the transport alone, for reference ---- */

/* A rep0 context echoing what it receives, driven by its aio callback:
 * what px_rpc's server does minus the envelope, the box and protobuf. */
typedef struct raw_ctx {
	nng_ctx ctx;
	nng_aio *aio;
	bool sending;
} raw_ctx;

static void raw_ctx_cb(void *arg)
{
	raw_ctx *c = arg;
	int rv = nng_aio_result(c->aio);
	if (c->sending) {
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(c->aio));
		c->sending = false;
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	if (rv != 0) {
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	c->sending = true;
	nng_ctx_send(c->ctx, c->aio); /* the received message goes back */
}

static void raw_check(int rv, const char *what)
{
	if (rv != 0) {
		fprintf(stderr, "px_echo: %s: %s\n", what, nng_strerror(rv));
		exit(2);
	}
}

static int echo_raw_server(const echo_opts *o)
{
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	nng_socket sock;
	nng_listener l;
	raw_check(nng_rep0_open(&sock), "nng_rep0_open");
	raw_check(nng_listener_create(&l, sock, o->url), o->url);
	raw_check(nng_listener_start(l, 0), o->url);
	int port = 0;
	raw_check(nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port), "port");
	int n = o->contexts > 0 ? o->contexts : 64;
	raw_ctx *ctxs = calloc((size_t)n, sizeof *ctxs);
	if (!ctxs)
		echo_check(PX_ENOMEM, "calloc");
	for (int i = 0; i < n; i++) {
		raw_check(nng_ctx_open(&ctxs[i].ctx, sock), "nng_ctx_open");
		raw_check(nng_aio_alloc(&ctxs[i].aio, raw_ctx_cb, &ctxs[i]), "nng_aio_alloc");
		nng_ctx_recv(ctxs[i].ctx, ctxs[i].aio);
	}
	printf("URL tcp://127.0.0.1:%d\nPK -\n", port);
	fflush(stdout);

	int sig = 0;
	sigwait(&sigs, &sig);
	for (int i = 0; i < n; i++)
		nng_aio_stop(ctxs[i].aio);
	for (int i = 0; i < n; i++) {
		nng_ctx_close(ctxs[i].ctx);
		nng_aio_free(ctxs[i].aio);
	}
	nng_close(sock);
	free(ctxs);
	return 0;
}

/* ---- client (Praxis or raw nng) ---- */

typedef struct echo_client_ctx {
	const echo_opts *o;
	bool raw;
	px_rpc_client **clients; /* Praxis: --clients of them */
	nng_socket *socks;       /* raw: --clients req0 sockets */
	Pxbench__EchoRequest req;
	atomic_long done;
	atomic_bool stop;
} echo_client_ctx;

/* One caller: a thread of the throughput phase, or the latency caller. */
typedef struct echo_caller {
	echo_client_ctx *c;
	px_rpc_client *cl; /* Praxis */
	nng_ctx ctx;       /* raw: the caller's own context and aio */
	nng_aio *aio;
	pthread_t th;
} echo_caller;

static void echo_call_praxis(echo_caller *k)
{
	ProtobufCMessage *resp = NULL;
	px_status st = {0};
	px_err rv = px_rpc_call_sync(k->cl, &pxbench__echo__descriptor, 0, &k->c->req.base, 5000,
	                             &resp, &st);
	if (rv != PX_OK || st.code != PX_CODE_OK || resp == NULL) {
		fprintf(stderr, "px_echo: %s: %s %s\n", PX_T("appel échoué", "call failed"),
		        px_strerror_user(rv), st.message);
		exit(2);
	}
	size_t got = ((Pxbench__EchoReply *)resp)->payload.len;
	protobuf_c_message_free_unpacked(resp, NULL);
	if (got != k->c->o->payload)
		echo_die("écho de taille inattendue%s", "echo of unexpected size%s", "");
}

static void echo_call_raw(echo_caller *k)
{
	nng_msg *m = NULL;
	raw_check(nng_msg_alloc(&m, 0), "nng_msg_alloc");
	raw_check(nng_msg_append(m, k->c->req.payload.data, k->c->req.payload.len), "append");
	nng_aio_set_msg(k->aio, m);
	nng_ctx_send(k->ctx, k->aio);
	nng_aio_wait(k->aio);
	if (nng_aio_result(k->aio) != 0) {
		nng_msg_free(m);
		raw_check(nng_aio_result(k->aio), "send");
	}
	nng_ctx_recv(k->ctx, k->aio);
	nng_aio_wait(k->aio);
	raw_check(nng_aio_result(k->aio), "recv");
	m = nng_aio_get_msg(k->aio);
	size_t got = nng_msg_len(m);
	nng_msg_free(m);
	if (got != k->c->o->payload)
		echo_die("écho de taille inattendue%s", "echo of unexpected size%s", "");
}

static void echo_call(echo_caller *k)
{
	if (k->c->raw)
		echo_call_raw(k);
	else
		echo_call_praxis(k);
}

static void echo_caller_init(echo_caller *k, echo_client_ctx *c, int i)
{
	k->c = c;
	if (!c->raw) {
		k->cl = c->clients[i % c->o->clients];
		return;
	}
	raw_check(nng_ctx_open(&k->ctx, c->socks[i % c->o->clients]), "nng_ctx_open");
	raw_check(nng_aio_alloc(&k->aio, NULL, NULL), "nng_aio_alloc");
	nng_aio_set_timeout(k->aio, 5000);
}

static void echo_caller_fini(echo_caller *k)
{
	if (k->c->raw) {
		nng_aio_free(k->aio);
		nng_ctx_close(k->ctx);
	}
}

static void *echo_caller_main(void *arg)
{
	echo_caller *k = arg;
	while (!atomic_load_explicit(&k->c->stop, memory_order_relaxed)) {
		echo_call(k);
		atomic_fetch_add_explicit(&k->c->done, 1, memory_order_relaxed);
	}
	return NULL;
}

static void echo_sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

static int echo_client(const echo_opts *o, bool raw)
{
	if (!o->url || (!raw && !o->server_pk))
		echo_die("--url et --server-pk sont requis%s", "--url and --server-pk are required%s", "");
	uint8_t spk[PX_PK_BYTES];
	px_identity *id = NULL;
	if (!raw) {
		echo_check(px_hex_decode(o->server_pk, spk, sizeof spk), "--server-pk");
		echo_check(px_identity_generate(&id), "identity");
	}

	echo_client_ctx c = {.o = o, .raw = raw};
	c.clients = calloc((size_t)o->clients, sizeof *c.clients);
	c.socks = calloc((size_t)o->clients, sizeof *c.socks);
	uint8_t *payload = malloc(o->payload ? o->payload : 1);
	echo_caller *callers = calloc((size_t)o->callers, sizeof *callers);
	double *lat = malloc(sizeof(double) * (size_t)(o->calls > 0 ? o->calls : 1));
	if (!c.clients || !c.socks || !payload || !callers || !lat)
		echo_check(PX_ENOMEM, "malloc");
	for (int i = 0; i < o->clients; i++) {
		if (raw) {
			raw_check(nng_req0_open(&c.socks[i]), "nng_req0_open");
			raw_check(nng_dial(c.socks[i], o->url, NULL, 0), o->url);
			continue;
		}
		px_rpc_client_opts co = {
			.url = o->url, .identity = id, .server_pk = spk, .timeout_ms = 5000,
		};
		echo_check(px_rpc_client_open(&c.clients[i], &co), o->url);
	}
	for (size_t i = 0; i < o->payload; i++)
		payload[i] = (uint8_t)(i * 131u + 7u); /* same bytes as grpc_bench */
	Pxbench__EchoRequest req = PXBENCH__ECHO_REQUEST__INIT;
	req.payload.data = payload;
	req.payload.len = o->payload;
	c.req = req;

	/* 1 caller: warm-up, then every call timed on its own. */
	echo_caller one = {0};
	echo_caller_init(&one, &c, 0);
	for (int i = 0; i < o->warmup; i++)
		echo_call(&one);
	for (int i = 0; i < o->calls; i++) {
		int64_t t0 = bench_now_ns();
		echo_call(&one);
		lat[i] = (double)(bench_now_ns() - t0) / 1e3;
	}
	echo_caller_fini(&one);
	double median = o->calls > 0 ? bench_median(lat, (size_t)o->calls) : 0;
	double p99 = o->calls > 0 ? bench_percentile(lat, (size_t)o->calls, 99) : 0;

	/* Throughput: --callers threads, spread over --clients sockets; the
	 * first half second warms up and is not counted. --seconds 0: no
	 * throughput figure (0 in the output). */
	atomic_init(&c.done, 0);
	atomic_init(&c.stop, false);
	int64_t t0 = 0, t1 = 1;
	long c0 = 0, c1 = 0;
	int started = 0;
	for (; o->seconds > 0 && started < o->callers; started++) {
		echo_caller_init(&callers[started], &c, started);
		if (pthread_create(&callers[started].th, NULL, echo_caller_main, &callers[started]) != 0)
			echo_check(PX_ENOMEM, "pthread_create");
	}
	if (started > 0) {
		echo_sleep_s(0.5);
		t0 = bench_now_ns();
		c0 = atomic_load(&c.done);
		echo_sleep_s(o->seconds);
		t1 = bench_now_ns();
		c1 = atomic_load(&c.done);
	}
	atomic_store(&c.stop, true);
	for (int i = 0; i < started; i++) {
		pthread_join(callers[i].th, NULL);
		echo_caller_fini(&callers[i]);
	}
	double secs = started > 0 ? (double)(t1 - t0) / 1e9 : 1;

	printf("{\"impl\":\"%s\",\"api\":\"%s\",\"payload\":%zu,\"clients\":%d,"
	       "\"lat_calls\":%d,\"lat_median_us\":%.2f,\"lat_p99_us\":%.2f,"
	       "\"tput_callers\":%d,\"tput_seconds\":%.3f,\"tput_calls\":%ld,"
	       "\"tput_calls_per_s\":%.1f}\n",
	       raw ? "nng" : "praxis", raw ? "nng_ctx req/rep" : "px_rpc_call_sync", o->payload,
	       o->clients, o->calls, median, p99, o->callers, secs, c1 - c0,
	       (double)(c1 - c0) / secs);

	for (int i = 0; i < o->clients; i++) {
		if (raw)
			nng_close(c.socks[i]);
		else
			px_rpc_client_close(c.clients[i]);
	}
	free(c.clients);
	free(c.socks);
	free(callers);
	free(payload);
	free(lat);
	px_identity_free(id);
	return 0;
}

/* ---- report ---- */

/* The figures of one side over every round of run.sh (and, for gRPC, every
 * configuration tried): the best of each (lowest median and p99, highest
 * throughput), with the configuration that gave it, so that a burst of load
 * from other processes on this shared machine favours neither side. A
 * figure of 0 means "not measured in this line". */
#define ECHO_GROUPS_MAX 16

typedef struct echo_best {
	double med, p99, tput;
	double payload, callers;
	int lines;
	char med_desc[200], p99_desc[200], tput_desc[200];
} echo_best;

static double echo_num(const cJSON *j, const char *key, const char *path)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	if (!cJSON_IsNumber(v) || v->valuedouble < 0)
		echo_die("champ manquant ou négatif dans %s", "missing or negative field in %s", path);
	return v->valuedouble;
}

static const char *echo_str(const cJSON *j, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, key));
	return s ? s : "?";
}

static void echo_read_best(const char *path, echo_best *b)
{
	FILE *f = fopen(path, "r");
	if (!f)
		echo_die("impossible de lire %s", "cannot read %s", path);
	memset(b, 0, sizeof *b);
	/* Latency per configuration, best over the rounds; then each figure
	 * from the configuration best at it. The median and the p99 may come
	 * from different configurations: under load the async server with one
	 * completion-queue thread has gRPC's lowest median and a p99 of
	 * milliseconds, and pairing them would make a straw man of the p99. */
	struct {
		char desc[200];
		double med, p99;
	} groups[ECHO_GROUPS_MAX];
	int ngroups = 0;
	char line[4096];
	while (fgets(line, sizeof line, f)) {
		cJSON *j = line[0] == '{' ? cJSON_Parse(line) : NULL;
		if (!j)
			continue;
		double med = echo_num(j, "lat_median_us", path);
		double p99 = echo_num(j, "lat_p99_us", path);
		double tput = echo_num(j, "tput_calls_per_s", path);
		/* Which gRPC configuration gave a figure: the 1-caller latency runs
		 * on one channel with lat_api, the throughput with api. */
		char lat_desc[200], tput_desc[200];
		snprintf(lat_desc, sizeof lat_desc, "%s",
		         !strcmp(echo_str(j, "impl"), "nng") ? "raw nng req/rep" : "Praxis px_rpc, crypto_box");
		memcpy(tput_desc, lat_desc, sizeof lat_desc);
		if (!strcmp(echo_str(j, "impl"), "grpc")) {
			const char *fmt = "gRPC %s C++, plaintext; %s server; %s client x%d, %d channel(s)";
			char srv[64];
			int sth = (int)echo_num(j, "server_threads", path);
			/* The callback API runs on gRPC's own thread pool. */
			if (sth > 0 && strcmp(echo_str(j, "server_api"), "callback"))
				snprintf(srv, sizeof srv, "%s x%d", echo_str(j, "server_api"), sth);
			else
				snprintf(srv, sizeof srv, "%s", echo_str(j, "server_api"));
			snprintf(lat_desc, sizeof lat_desc, fmt, echo_str(j, "grpc_version"), srv,
			         echo_str(j, "lat_api"), 1, 1);
			snprintf(tput_desc, sizeof tput_desc, fmt, echo_str(j, "grpc_version"), srv,
			         echo_str(j, "api"), (int)echo_num(j, "threads", path),
			         (int)echo_num(j, "channels", path));
		}
		if (med > 0) {
			int g = 0;
			while (g < ngroups && strcmp(groups[g].desc, lat_desc))
				g++;
			if (g == ngroups) {
				if (ngroups == ECHO_GROUPS_MAX)
					echo_die("trop de configurations dans %s",
					         "too many configurations in %s", path);
				memcpy(groups[g].desc, lat_desc, sizeof lat_desc);
				groups[g].med = med;
				groups[g].p99 = p99;
				ngroups++;
			}
			if (med < groups[g].med)
				groups[g].med = med;
			if (p99 > 0 && p99 < groups[g].p99)
				groups[g].p99 = p99;
		}
		if (tput > b->tput) {
			b->tput = tput;
			memcpy(b->tput_desc, tput_desc, sizeof tput_desc);
		}
		b->payload = echo_num(j, "payload", path);
		b->callers = echo_num(j, "tput_callers", path);
		b->lines++;
		cJSON_Delete(j);
	}
	fclose(f);
	for (int g = 0; g < ngroups; g++) {
		if (b->med == 0 || groups[g].med < b->med) {
			b->med = groups[g].med;
			memcpy(b->med_desc, groups[g].desc, sizeof groups[g].desc);
		}
		if (b->p99 == 0 || groups[g].p99 < b->p99) {
			b->p99 = groups[g].p99;
			memcpy(b->p99_desc, groups[g].desc, sizeof groups[g].desc);
		}
	}
	if (b->lines == 0 || b->med == 0 || b->p99 == 0 || b->tput == 0)
		echo_die("résultats incomplets dans %s", "incomplete results in %s", path);
}

static int echo_report(const char *px_path, const char *grpc_path, const char *nng_path)
{
	echo_best p, g;
	echo_read_best(px_path, &p);
	echo_read_best(grpc_path, &g);
	if (p.payload != g.payload || p.callers != g.callers)
		echo_die("les deux pairs n'ont pas mesuré la même chose%s",
		         "the two peers did not measure the same thing%s", "");
	char n_med[96], n_p99[96], n_tput[96];
	snprintf(n_med, sizeof n_med, "RPC vs gRPC round trip, 1 caller, %.0f B, median", p.payload);
	snprintf(n_p99, sizeof n_p99, "RPC vs gRPC round trip, 1 caller, %.0f B, p99", p.payload);
	snprintf(n_tput, sizeof n_tput, "RPC vs gRPC throughput, %.0f callers, %.0f B", p.callers,
	         p.payload);
	bench_result rows[3] = {
		{.name = n_med, .value = p.med, .unit = "us", .baseline = g.med_desc,
		 .baseline_value = g.med, .goal = "<= 1.0", .lower_is_better = true, .goal_ratio = 1.0},
		{.name = n_p99, .value = p.p99, .unit = "us", .baseline = g.p99_desc,
		 .baseline_value = g.p99, .goal = "<= 1.0", .lower_is_better = true, .goal_ratio = 1.0},
		{.name = n_tput, .value = p.tput, .unit = "calls/s", .baseline = g.tput_desc,
		 .baseline_value = g.tput, .goal = ">= 2.5", .lower_is_better = false,
		 .goal_ratio = 2.5},
	};
	for (size_t i = 0; i < 3; i++)
		(void)bench_report(&rows[i]);
	if (nng_path) {
		/* For reference, not a goal: how the transport alone compares,
		 * to tell what bounds the rows above. */
		echo_best n;
		echo_read_best(nng_path, &n);
		char r_med[112], r_tput[112];
		snprintf(r_med, sizeof r_med, "ref.: raw nng vs gRPC round trip, 1 caller, %.0f B, median",
		         n.payload);
		snprintf(r_tput, sizeof r_tput, "ref.: raw nng vs gRPC throughput, %.0f callers, %.0f B",
		         n.callers, n.payload);
		bench_result refs[2] = {
			{.name = r_med, .value = n.med, .unit = "us", .baseline = g.med_desc,
			 .baseline_value = g.med, .goal = "(ref.)", .lower_is_better = true,
			 .goal_ratio = 1e9},
			{.name = r_tput, .value = n.tput, .unit = "calls/s", .baseline = g.tput_desc,
			 .baseline_value = g.tput, .goal = "(ref.)", .lower_is_better = false,
			 .goal_ratio = 0},
		};
		for (size_t i = 0; i < 2; i++)
			(void)bench_report(&refs[i]);
	}
	printf("%s\n", PX_T("(Praxis chiffre et authentifie chaque appel avec crypto_box ; "
	                    "la référence gRPC est en clair, sans TLS.)",
	                    "(Praxis encrypts and authenticates every call with crypto_box; "
	                    "the gRPC baseline runs in plaintext, without TLS.)"));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *mode = argc >= 2 ? argv[1] : "";
	if (!strcmp(mode, "report") && (argc == 4 || argc == 5))
		return echo_report(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if (strcmp(mode, "server") && strcmp(mode, "client") && strcmp(mode, "rawserver") &&
	    strcmp(mode, "rawclient")) {
		fprintf(stderr,
		        "usage: px_echo server|rawserver [--url U] [--contexts N]\n"
		        "       px_echo client --url U --server-pk HEX [--payload B] [--warmup N]\n"
		        "                      [--calls N] [--callers N] [--clients N] [--seconds S]\n"
		        "       px_echo rawclient --url U [same options as client]\n"
		        "       px_echo report PRAXIS.json GRPC.json [NNG.json]\n");
		return 2;
	}
	echo_check(px_crypto_init(), "px_crypto_init");
	echo_opts o = echo_parse(argc, argv);
	if (!strcmp(mode, "server"))
		return echo_server(&o);
	if (!strcmp(mode, "rawserver"))
		return echo_raw_server(&o);
	return echo_client(&o, !strcmp(mode, "rawclient"));
}
