/*
 * The node's fallback to SubmitReport, end to end: the real praxis-node
 * binary syncs against a hub that predates SubmitReports. That hub is
 * played here by a real px_rpc server on loopback serving praxis.Hub with
 * the methods the node's enrollment and sync use on an old hub (Ping,
 * Enroll, SubmitReport) and SubmitReports left NULL, so px_rpc answers
 * UNIMPLEMENTED. It checks as the real hub does (hub/hubdb.c
 * hub_submit_check and hub_submit_store): a known caller, a report signed
 * by the caller's own key (px_report_verify), the same revision with other
 * bytes refused, the same bytes answered as a duplicate; and it records
 * every report it receives.
 */
#define _GNU_SOURCE
#include "hub.pb-c.h"
#include "hubt.h"
#include "px.h"
#include "px_crypto.h"
#include "px_jointoken.h"
#include "px_report.h"
#include "px_rpc.h"
#include "pxt.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE PXT_BIN_DIR "/praxis-node"
#define OLD_TENANT "roy"
#define OLD_MAX 256

/* One report the old hub stored, and how many times it was submitted. */
typedef struct old_report {
	char uid[64], period[16];
	uint32_t revision;
	uint8_t *bytes; /* the signed report's CommunityReport bytes */
	size_t len;
	int received; /* SubmitReport calls that carried it */
} old_report;

typedef struct old_hub {
	Praxis__Hub_Service svc; /* first member: the handlers get it back */
	px_identity *id;
	px_rpc_server *srv;
	uint8_t secret[PX_JT_SECRET_BYTES];
	pthread_mutex_t mu;
	bool enrolled;
	uint8_t node_pk[PX_PK_BYTES];
	uint8_t probe_pk[PX_PK_BYTES]; /* the test's own client */
	size_t submit_calls, batch_calls;
	char refuse_uid[64], refuse_period[16]; /* answered FAILED_PRECONDITION */
	size_t refused;
	old_report rep[OLD_MAX];
	size_t nrep;
} old_hub;

static old_hub H;

static const char *
old_method(const char *method)
{
	const char *s = strrchr(method, '/');
	return s != NULL ? s + 1 : method;
}

/* As the real hub: unknown keys may only ping and enroll. Counts the
 * SubmitReports attempts, which never reach a handler. */
static px_code
old_authorize(void *arg, const uint8_t pk[PX_PK_BYTES], const char *method)
{
	old_hub *h = arg;
	const char *m = old_method(method);
	if (strcmp(m, "Ping") == 0 || strcmp(m, "Enroll") == 0)
		return PX_CODE_OK;
	pthread_mutex_lock(&h->mu);
	bool known = (h->enrolled && px_memeq(pk, h->node_pk, PX_PK_BYTES)) ||
	             px_memeq(pk, h->probe_pk, PX_PK_BYTES);
	if (known && strcmp(m, "SubmitReports") == 0)
		h->batch_calls++;
	pthread_mutex_unlock(&h->mu);
	return known ? PX_CODE_OK : PX_CODE_UNAUTHENTICATED;
}

static void
old_ping(Praxis__Hub_Service *svc, const Praxis__PingRequest *in,
         Praxis__PingResponse_Closure closure, void *cd)
{
	old_hub *h = (old_hub *)(void *)svc;
	Praxis__PingResponse r = PRAXIS__PING_RESPONSE__INIT;
	r.text = in->text;
	r.server_time_ms = px_now_ms();
	r.server_key.data = (uint8_t *)px_identity_pk(h->id);
	r.server_key.len = PX_PK_BYTES;
	closure(&r, cd);
}

static void
old_enroll(Praxis__Hub_Service *svc, const Praxis__EnrollRequest *in,
           Praxis__EnrollResponse_Closure closure, void *cd)
{
	old_hub *h = (old_hub *)(void *)svc;
	px_rpc_call *call = cd;
	pthread_mutex_lock(&h->mu);
	bool ok = !h->enrolled && in->token_secret.len == PX_JT_SECRET_BYTES &&
	          px_memeq(in->token_secret.data, h->secret, PX_JT_SECRET_BYTES);
	if (ok) {
		h->enrolled = true;
		memcpy(h->node_pk, px_rpc_call_caller(call), PX_PK_BYTES);
	}
	pthread_mutex_unlock(&h->mu);
	if (!ok) {
		px_rpc_call_set_status(call, PX_CODE_PERMISSION_DENIED, "invalid or used token");
		closure(NULL, cd);
		return;
	}
	Praxis__EnrollResponse r = PRAXIS__ENROLL_RESPONSE__INIT;
	r.tenant = (char *)OLD_TENANT;
	r.hub_key.data = (uint8_t *)px_identity_pk(h->id);
	r.hub_key.len = PX_PK_BYTES;
	closure(&r, cd);
}

/* Stores r (verified) under the lock: 0, or the refusal's code. */
static px_code
old_store(old_hub *h, const Praxis__SignedReport *sr, const Praxis__CommunityReport *r, bool *dup,
          char *msg, size_t msz)
{
	*dup = false;
	if (strcmp(r->community_uid, h->refuse_uid) == 0 &&
	    strcmp(r->period, h->refuse_period) == 0) {
		h->refused++;
		snprintf(msg, msz, "refused by the old hub of the test");
		return PX_CODE_FAILED_PRECONDITION;
	}
	for (size_t i = 0; i < h->nrep; i++) {
		old_report *o = &h->rep[i];
		if (strcmp(o->uid, r->community_uid) != 0 || strcmp(o->period, r->period) != 0 ||
		    o->revision != r->revision)
			continue;
		o->received++;
		if (o->len != sr->report.len || memcmp(o->bytes, sr->report.data, o->len) != 0) {
			snprintf(msg, msz, "revision %u already received with other content",
			         r->revision);
			return PX_CODE_ALREADY_EXISTS;
		}
		*dup = true;
		return PX_CODE_OK;
	}
	if (h->nrep == OLD_MAX || strlen(r->community_uid) >= sizeof h->rep[0].uid ||
	    strlen(r->period) >= sizeof h->rep[0].period) {
		snprintf(msg, msz, "old hub full");
		return PX_CODE_RESOURCE_EXHAUSTED;
	}
	old_report *o = &h->rep[h->nrep];
	o->bytes = malloc(sr->report.len);
	if (o->bytes == NULL) {
		snprintf(msg, msz, "out of memory");
		return PX_CODE_RESOURCE_EXHAUSTED;
	}
	memcpy(o->bytes, sr->report.data, sr->report.len);
	o->len = sr->report.len;
	px_strlcpy(o->uid, r->community_uid, sizeof o->uid);
	px_strlcpy(o->period, r->period, sizeof o->period);
	o->revision = r->revision;
	o->received = 1;
	h->nrep++;
	return PX_CODE_OK;
}

static void
old_submit_report(Praxis__Hub_Service *svc, const Praxis__SubmitReportRequest *in,
                  Praxis__SubmitReportResponse_Closure closure, void *cd)
{
	old_hub *h = (old_hub *)(void *)svc;
	px_rpc_call *call = cd;
	const uint8_t *pk = px_rpc_call_caller(call);
	const Praxis__SignedReport *sr = in->report;
	pthread_mutex_lock(&h->mu);
	h->submit_calls++;
	pthread_mutex_unlock(&h->mu);
	char msg[256] = "";
	px_code code = PX_CODE_OK;
	bool dup = false;
	Praxis__CommunityReport *r = NULL;
	if (sr == NULL || sr->node_key.len != PX_PK_BYTES || sr->signature.len != PX_SIG_BYTES ||
	    sr->report.len == 0) {
		code = PX_CODE_INVALID_ARGUMENT;
		snprintf(msg, sizeof msg, "malformed signed report");
	} else if (!px_memeq(sr->node_key.data, pk, PX_PK_BYTES)) {
		code = PX_CODE_PERMISSION_DENIED;
		snprintf(msg, sizeof msg, "report signed with a key other than the caller's");
	} else {
		px_err rv = px_report_verify(sr, pk, &r, msg, sizeof msg);
		if (rv == PX_EAUTH)
			code = PX_CODE_UNAUTHENTICATED;
		else if (rv != PX_OK || r == NULL)
			code = PX_CODE_INVALID_ARGUMENT;
	}
	if (code == PX_CODE_OK) {
		pthread_mutex_lock(&h->mu);
		code = old_store(h, sr, r, &dup, msg, sizeof msg);
		pthread_mutex_unlock(&h->mu);
	}
	if (code != PX_CODE_OK) {
		px_report_free(r);
		px_rpc_call_set_status(call, code, "%s", msg[0] ? msg : "invalid report");
		closure(NULL, cd);
		return;
	}
	Praxis__SubmitReportResponse resp = PRAXIS__SUBMIT_REPORT_RESPONSE__INIT;
	resp.duplicate = dup;
	resp.stored_revision = r->revision;
	px_report_free(r);
	closure(&resp, cd);
}

/* ------------------------------------------------------------ helpers */

static struct {
	char *dir;
	char node[512];
	px_identity *probe;
} T;

/* The node's sync with --json: its output parsed (the caller deletes). */
static cJSON *
node_sync(int expect, const char *args)
{
	char *out =
	    hubt_sh(expect, "'%s' --json --data '%s' sync --max-wait 0 %s", NODE, T.node, args);
	cJSON *j = cJSON_Parse(out);
	free(out);
	assert_non_null(j);
	return j;
}

static int
jint(const cJSON *j, const char *field)
{
	const cJSON *v = cJSON_GetObjectItem(j, field);
	assert_non_null(v);
	return v->valueint;
}

/* Every outbox entry (`outbox list --all`); pending ones counted. */
static cJSON *
node_outbox(size_t *pending)
{
	char *out = hubt_sh(0, "'%s' --json --data '%s' outbox list --all", NODE, T.node);
	cJSON *j = cJSON_Parse(out);
	free(out);
	assert_non_null(j);
	*pending = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, j)
	{
		if (cJSON_IsTrue(cJSON_GetObjectItem(e, "pending")))
			(*pending)++;
	}
	return j;
}

/* The old hub's record of the entry, or NULL. Called with no RPC running. */
static const old_report *
old_find(const cJSON *e)
{
	const char *uid = cJSON_GetObjectItem(e, "community_uid")->valuestring;
	const char *per = cJSON_GetObjectItem(e, "period")->valuestring;
	uint32_t rev = (uint32_t)cJSON_GetObjectItem(e, "revision")->valueint;
	for (size_t i = 0; i < H.nrep; i++)
		if (strcmp(H.rep[i].uid, uid) == 0 && strcmp(H.rep[i].period, per) == 0 &&
		    H.rep[i].revision == rev)
			return &H.rep[i];
	return NULL;
}

static int
setup(void **state)
{
	(void)state;
	T.dir = pxt_tmpdir("fallback");
	snprintf(T.node, sizeof T.node, "%s/node", T.dir);
	if (px_crypto_init() != PX_OK)
		return -1;
	pthread_mutex_init(&H.mu, NULL);
	Praxis__Hub_Service svc = {PRAXIS__HUB__BASE_INIT, .ping = old_ping, .enroll = old_enroll,
	                           .submit_report = old_submit_report};
	H.svc = svc; /* SubmitReports stays NULL: an old hub */
	if (px_identity_generate(&H.id) != PX_OK || px_identity_generate(&T.probe) != PX_OK)
		return -1;
	memcpy(H.probe_pk, px_identity_pk(T.probe), PX_PK_BYTES);
	px_random(H.secret, sizeof H.secret);
	px_rpc_server_opts o = {0};
	o.url = "tcp://127.0.0.1:0";
	o.identity = H.id;
	o.service = &H.svc.base;
	o.contexts = 8;
	o.authorize = old_authorize;
	o.authorize_arg = &H;
	return px_rpc_server_start(&H.srv, &o) == PX_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	px_rpc_server_stop(H.srv);
	px_identity_free(H.id);
	px_identity_free(T.probe);
	for (size_t i = 0; i < H.nrep; i++)
		free(H.rep[i].bytes);
	pthread_mutex_destroy(&H.mu);
	pxt_tmpdir_free(T.dir);
	px_rpc_fini();
	return 0;
}

/* px_rpc answers UNIMPLEMENTED for a method whose handler is NULL: what
 * the node's fallback relies on. */
static void
test_null_method_is_unimplemented(void **state)
{
	(void)state;
	px_rpc_client *cl = NULL;
	px_rpc_client_opts o = {0};
	o.url = px_rpc_server_url(H.srv);
	o.identity = T.probe;
	o.server_pk = px_identity_pk(H.id);
	assert_int_equal(px_rpc_client_open(&cl, &o), PX_OK);
	Praxis__SubmitReportsRequest req = PRAXIS__SUBMIT_REPORTS_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	px_status s;
	px_err rv = px_rpc_call_named(cl, &praxis__hub__descriptor, "SubmitReports", &req.base, 0,
	                              &resp, &s);
	assert_int_not_equal(rv, PX_OK);
	assert_int_equal(s.code, PX_CODE_UNIMPLEMENTED);
	assert_null(resp);
	/* The old methods answer. */
	Praxis__PingRequest ping = PRAXIS__PING_REQUEST__INIT;
	ping.text = (char *)"old";
	assert_int_equal(
	    px_rpc_call_named(cl, &praxis__hub__descriptor, "Ping", &ping.base, 0, &resp, &s),
	    PX_OK);
	assert_string_equal(((Praxis__PingResponse *)resp)->text, "old");
	protobuf_c_message_free_unpacked(resp, NULL);
	px_rpc_client_close(cl);
	pthread_mutex_lock(&H.mu);
	assert_int_equal(H.batch_calls, 1);
	H.batch_calls = 0;
	pthread_mutex_unlock(&H.mu);
}

/* 3 communities x 27 periods: 81 reports, two of the node's batches. */
#define PERIODS                                                                                    \
	"2024-01,2024-02,2024-03,2024-04,2024-05,2024-06,2024-07,2024-08,2024-09,2024-10,2024-11," \
	"2024-12,2025-01,2025-02,2025-03,2025-04,2025-05,2025-06,2025-07,2025-08,2025-09,2025-10," \
	"2025-11,2025-12,2024,2025,2024-Q1"
#define NREPORTS 81

static void
test_sync_against_old_hub(void **state)
{
	(void)state;
	free(hubt_sh(0, "'%s' --data '%s' init --name 'Maison Roy' --region Laurentides", NODE,
	             T.node));
	free(hubt_sh(0, "'%s' --data '%s' org edit 1 --rocfm yes", NODE, T.node));
	for (int c = 1; c <= 3; c++)
		free(hubt_sh(0,
		             "'%s' --data '%s' community add --name 'CdP %d' --framework rocfm "
		             "--region Laurentides --host-org 1",
		             NODE, T.node, c));
	px_jointoken jt;
	memset(&jt, 0, sizeof jt);
	memcpy(jt.hub_pk, px_identity_pk(H.id), PX_PK_BYTES);
	memcpy(jt.secret, H.secret, sizeof jt.secret);
	jt.expires_ms = px_now_ms() + 3600 * 1000;
	px_strlcpy(jt.tenant, OLD_TENANT, sizeof jt.tenant);
	px_strlcpy(jt.addr, px_rpc_server_url(H.srv), sizeof jt.addr);
	char tok[PX_JT_TEXT_MAX];
	assert_int_equal(px_jointoken_format(&jt, tok, sizeof tok), PX_OK);
	free(hubt_sh(0, "'%s' --data '%s' enroll %s", NODE, T.node, tok));
	assert_true(H.enrolled);

	/* The hub refuses one report; the node builds all 81 and sends them. */
	size_t pending;
	free(hubt_sh(0, "'%s' --data '%s' outbox build --period " PERIODS, NODE, T.node));
	cJSON *ob = node_outbox(&pending);
	assert_int_equal(cJSON_GetArraySize(ob), NREPORTS);
	assert_int_equal(pending, NREPORTS);
	const cJSON *victim = cJSON_GetArrayItem(ob, 40);
	px_strlcpy(H.refuse_uid, cJSON_GetObjectItem(victim, "community_uid")->valuestring,
	           sizeof H.refuse_uid);
	px_strlcpy(H.refuse_period, cJSON_GetObjectItem(victim, "period")->valuestring,
	           sizeof H.refuse_period);
	cJSON_Delete(ob);

	cJSON *j = node_sync(2, "--no-build"); /* exit 2: a report refused */
	assert_int_equal(jint(j, "sent"), NREPORTS - 1);
	assert_int_equal(jint(j, "refused"), 1);
	assert_int_equal(jint(j, "pending"), 1);
	assert_int_equal(jint(j, "duplicate"), 0);
	/* One SubmitReports for the whole sync (the second batch goes one by
	 * one at once), then one SubmitReport a report. */
	assert_int_equal(jint(j, "calls"), 1 + NREPORTS);
	cJSON_Delete(j);
	assert_int_equal(H.batch_calls, 1);
	assert_int_equal(H.submit_calls, NREPORTS);
	assert_int_equal(H.refused, 1);
	assert_int_equal(H.nrep, NREPORTS - 1);

	/* The refused one stays pending, with the hub's reason. */
	ob = node_outbox(&pending);
	assert_int_equal(pending, 1);
	const cJSON *e;
	cJSON_ArrayForEach(e, ob)
	{
		const old_report *o = old_find(e);
		bool pend = cJSON_IsTrue(cJSON_GetObjectItem(e, "pending"));
		if (pend) {
			assert_null(o);
			assert_string_equal(cJSON_GetObjectItem(e, "community_uid")->valuestring,
			                    H.refuse_uid);
			assert_string_equal(cJSON_GetObjectItem(e, "period")->valuestring,
			                    H.refuse_period);
			assert_non_null(strstr(cJSON_GetObjectItem(e, "last_error")->valuestring,
			                       "refused by the old hub"));
		} else {
			assert_non_null(o);
			assert_int_equal(o->received, 1);
		}
	}
	cJSON_Delete(ob);

	/* The hub accepts it now: the next sync retries it, and only it. */
	H.refuse_uid[0] = '\0';
	j = node_sync(0, "--no-build");
	assert_int_equal(jint(j, "sent"), 1);
	assert_int_equal(jint(j, "pending"), 0);
	assert_int_equal(jint(j, "calls"), 2);
	cJSON_Delete(j);
	assert_int_equal(H.batch_calls, 2);
	assert_int_equal(H.submit_calls, NREPORTS + 1);
	assert_int_equal(H.nrep, NREPORTS);

	/* Every report of the outbox arrived exactly once, the outbox is empty. */
	ob = node_outbox(&pending);
	assert_int_equal(pending, 0);
	assert_int_equal(cJSON_GetArraySize(ob), NREPORTS);
	cJSON_ArrayForEach(e, ob)
	{
		const old_report *o = old_find(e);
		assert_non_null(o);
		assert_int_equal(o->received, 1);
	}
	cJSON_Delete(ob);

	/* A second sync (building the same periods again) sends nothing. */
	j = node_sync(0, "--period " PERIODS);
	assert_int_equal(jint(j, "built"), 0);
	assert_int_equal(jint(j, "unchanged"), NREPORTS);
	assert_int_equal(jint(j, "sent"), 0);
	assert_int_equal(jint(j, "calls"), 0);
	cJSON_Delete(j);
	assert_int_equal(H.batch_calls, 2);
	assert_int_equal(H.submit_calls, NREPORTS + 1);
	assert_int_equal(H.nrep, NREPORTS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_null_method_is_unimplemented),
	    cmocka_unit_test(test_sync_against_old_hub),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
