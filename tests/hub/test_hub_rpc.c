/*
 * A real praxis-hub process on loopback, and this test as its nodes (real
 * px_rpc clients with their own keys) and viewers (raw HTTP): enrollment
 * tokens, ingest checks, idempotence, isolation, scopes, revocation,
 * audit, CSV and static dashboard.
 */
#define _GNU_SOURCE
#include "pxt.h"
#include "hubt.h"
#include "px_crypto.h"
#include "px_jointoken.h"
#include "px_report.h"
#include "px_rpc.h"
#include "hub.pb-c.h"

#include <cjson/cJSON.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

typedef struct node {
	px_identity *id;
	px_rpc_client *cl;
} node;

static struct {
	char *dir;
	char data[512], log[600];
	int rpc_port, http_port;
	pid_t hub;
	char token_a[PX_JT_TEXT_MAX], token_b[PX_JT_TEXT_MAX];
	px_jointoken jt_a;
	node a, b;
	char viewer_lau[PX_VT_TEXT_MAX], viewer_all[PX_VT_TEXT_MAX];
} T;

#define HUB PXT_BIN_DIR "/praxis-hub"

/* Runs praxis-hub with args; the first line of stdout into line. */
static int
hub_cli(char *line, size_t size, const char *fmt, ...) PX_PRINTF(3, 4);
static int
hub_cli(char *line, size_t size, const char *fmt, ...)
{
	char args[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	pxt_run r = pxt_sh("'%s' --data '%s' %s", HUB, T.data, args);
	if (line != NULL) {
		size_t l = r.out ? strcspn(r.out, "\n") : 0;
		if (l >= size)
			l = size - 1;
		if (r.out)
			memcpy(line, r.out, l);
		line[l] = '\0';
	}
	if (r.status != 0 && r.err != NULL)
		fprintf(stderr, "praxis-hub %s: %s", args, r.err);
	int st = r.status;
	pxt_run_free(&r);
	return st;
}

/* `praxis-hub report --json ARGS` parsed. */
static cJSON *
hub_report(const char *args)
{
	pxt_run r = pxt_sh("'%s' --data '%s' report --json %s", HUB, T.data, args);
	assert_int_equal(r.status, 0);
	cJSON *j = cJSON_Parse(r.out);
	pxt_run_free(&r);
	assert_non_null(j);
	return j;
}

static double
ind_value(const cJSON *row, const char *name)
{
	const cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(row, "indicators"), name);
	const cJSON *v = cJSON_GetObjectItem(x, "value");
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void
node_open(node *n, const px_jointoken *jt)
{
	assert_int_equal(px_identity_generate(&n->id), PX_OK);
	px_rpc_client_opts o = {0};
	o.url = jt->addr;
	o.identity = n->id;
	o.server_pk = jt->hub_pk;
	o.timeout_ms = 5000;
	assert_int_equal(px_rpc_client_open(&n->cl, &o), PX_OK);
}

static void
node_close(node *n)
{
	px_rpc_client_close(n->cl);
	px_identity_free(n->id);
	memset(n, 0, sizeof *n);
}

static px_code
enroll(node *n, const char *token_text)
{
	px_jointoken jt;
	assert_int_equal(px_jointoken_parse(token_text, strlen(token_text), &jt), PX_OK);
	Praxis__EnrollRequest req = PRAXIS__ENROLL_REQUEST__INIT;
	req.token_secret.data = jt.secret;
	req.token_secret.len = sizeof jt.secret;
	req.org_name = "Organisme test";
	ProtobufCMessage *resp = NULL;
	px_status st;
	if (px_rpc_call_named(n->cl, &praxis__hub__descriptor, "Enroll", &req.base, 0, &resp, &st) != PX_OK) {
		/* st says why */
	}
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	return st.code;
}

/* A report as a node would build it (counts only). */
static Praxis__CommunityReport *
make_report(const char *uid, const char *name, const char *framework, const char *period,
            uint32_t rev, double members, double meetings, double attendance)
{
	Praxis__CommunityReport *r = calloc(1, sizeof *r);
	praxis__community_report__init(r);
	r->community_uid = strdup(uid);
	r->community_name = strdup(name);
	r->framework = strdup(framework);
	r->region = strdup("Laurentides");
	px_period p;
	assert_int_equal(px_period_parse(period, &p), PX_OK);
	r->period_kind = (Praxis__PeriodKind)p.kind;
	r->period = strdup(period);
	r->revision = rev;
	r->generated_at = 1767225600;
	r->k = 5;
	r->plugin_ok = true;
	const char *names[] = {"members_active", "meetings_held", "attendance_rate"};
	double vals[] = {members, meetings, attendance};
	uint32_t pops[] = {(uint32_t)members, 0, (uint32_t)members};
	r->n_indicators = 3;
	r->indicators = calloc(3, sizeof *r->indicators);
	for (size_t i = 0; i < 3; i++) {
		Praxis__Indicator *in = calloc(1, sizeof *in);
		praxis__indicator__init(in);
		in->name = strdup(names[i]);
		in->value = vals[i];
		in->population = pops[i];
		r->indicators[i] = in;
	}
	r->n_findings = 1;
	r->findings = calloc(1, sizeof *r->findings);
	Praxis__FindingCount *f = calloc(1, sizeof *f);
	praxis__finding_count__init(f);
	f->rule_id = strdup("LAU-3");
	f->severity = PRAXIS__SEVERITY__SEVERITY_WARNING;
	f->count = 6;
	r->findings[0] = f;
	return r;
}

static px_code
submit(node *n, const Praxis__SignedReport *sr, bool *dup)
{
	Praxis__SubmitReportRequest req = PRAXIS__SUBMIT_REPORT_REQUEST__INIT;
	req.report = (Praxis__SignedReport *)sr;
	ProtobufCMessage *resp = NULL;
	px_status st;
	if (px_rpc_call_named(n->cl, &praxis__hub__descriptor, "SubmitReport", &req.base, 0, &resp,
	                        &st) != PX_OK) {
		/* st says why */
	}
	if (dup != NULL)
		*dup = resp != NULL && ((Praxis__SubmitReportResponse *)resp)->duplicate;
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	return st.code;
}

/* Builds, signs with signer and submits as n. */
static px_code
push(node *n, const px_identity *signer, const char *uid, const char *framework, const char *period,
     uint32_t rev, double members, bool *dup)
{
	Praxis__CommunityReport *r = make_report(uid, uid, framework, period, rev, members, 4, 0.75);
	Praxis__SignedReport *sr = NULL;
	assert_int_equal(px_report_sign(r, signer, &sr), PX_OK);
	px_code c = submit(n, sr, dup);
	px_signed_report_free(sr);
	px_report_free(r);
	return c;
}

static int
setup(void **state)
{
	(void)state;
	assert_int_equal(px_crypto_init(), PX_OK);
	T.dir = pxt_tmpdir("hubrpc");
	snprintf(T.data, sizeof T.data, "%s/hub", T.dir);
	snprintf(T.log, sizeof T.log, "%s/hub.log", T.dir);
	T.rpc_port = hubt_free_port();
	do
		T.http_port = hubt_free_port();
	while (T.http_port == T.rpc_port);
	assert_int_equal(hub_cli(NULL, 0, "init --listen tcp://127.0.0.1:%d", T.rpc_port), 0);
	char http[64];
	snprintf(http, sizeof http, "127.0.0.1:%d", T.http_port);
	const char *argv[] = {HUB, "--data", T.data, "serve", "--http", http, NULL};
	T.hub = hubt_spawn(T.log, argv);
	assert_true(hubt_wait_log(T.hub, T.log, "\nprêt", 30) || hubt_wait_log(T.hub, T.log, "ready", 1));
	assert_int_equal(hub_cli(T.token_a, sizeof T.token_a, "tenant add amalgame --region Laurentides"), 0);
	assert_int_equal(hub_cli(T.token_b, sizeof T.token_b, "tenant add rocfm-est --region Montréal"), 0);
	assert_int_equal(px_jointoken_parse(T.token_a, strlen(T.token_a), &T.jt_a), PX_OK);
	node_open(&T.a, &T.jt_a);
	node_open(&T.b, &T.jt_a);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	node_close(&T.a);
	node_close(&T.b);
	int st = hubt_stop(T.hub);
	if (st != 0) {
		char *log = pxt_read_file(T.log, NULL);
		fprintf(stderr, "hub log:\n%s\n", log ? log : "");
		free(log);
	}
	pxt_tmpdir_free(T.dir);
	return st == 0 ? 0 : -1;
}

static void
test_enroll_tokens(void **state)
{
	(void)state;
	assert_int_equal(enroll(&T.a, T.token_a), PX_CODE_OK);
	/* Used twice (by another key): refused. */
	node x;
	node_open(&x, &T.jt_a);
	assert_int_equal(enroll(&x, T.token_a), PX_CODE_PERMISSION_DENIED);
	/* Expired: a token valid for 0 s. */
	char expired[PX_JT_TEXT_MAX];
	assert_int_equal(hub_cli(expired, sizeof expired, "tenant add late --region X --ttl 0"), 0);
	assert_int_equal(enroll(&x, expired), PX_CODE_PERMISSION_DENIED);
	/* A made-up secret. */
	px_jointoken fake = T.jt_a;
	px_random(fake.secret, sizeof fake.secret);
	char fake_text[PX_JT_TEXT_MAX];
	assert_int_equal(px_jointoken_format(&fake, fake_text, sizeof fake_text), PX_OK);
	assert_int_equal(enroll(&x, fake_text), PX_CODE_UNAUTHENTICATED);
	/* An enrolled key cannot enroll again with another tenant's token. */
	assert_int_equal(enroll(&T.a, T.token_b), PX_CODE_ALREADY_EXISTS);
	assert_int_equal(enroll(&T.b, T.token_b), PX_CODE_OK);
	/* A key that never enrolled cannot submit. */
	assert_int_equal(push(&x, x.id, "x-1", "laurentides", "2025", 1, 10, NULL), PX_CODE_UNAUTHENTICATED);
	node_close(&x);
}

static void
test_submit_idempotent(void **state)
{
	(void)state;
	bool dup = true;
	assert_int_equal(push(&T.a, T.a.id, "a-1", "laurentides", "2025", 1, 12, &dup), PX_CODE_OK);
	assert_false(dup);
	/* The same report again: acknowledged as a duplicate, counted once. */
	Praxis__CommunityReport *r = make_report("a-1", "a-1", "laurentides", "2025", 1, 12, 4, 0.75);
	Praxis__SignedReport *sr = NULL;
	assert_int_equal(px_report_sign(r, T.a.id, &sr), PX_OK);
	assert_int_equal(submit(&T.a, sr, &dup), PX_CODE_OK);
	assert_true(dup);
	px_signed_report_free(sr);
	px_report_free(r);
	cJSON *j = hub_report("--period 2025");
	const cJSON *total = cJSON_GetObjectItem(j, "total");
	assert_int_equal(cJSON_GetObjectItem(total, "communities")->valueint, 1);
	assert_true(ind_value(total, "members_active") == 12);
	cJSON_Delete(j);
	/* Same revision, other bytes: refused, nothing changes. */
	assert_int_equal(push(&T.a, T.a.id, "a-1", "laurentides", "2025", 1, 13, NULL),
	                 PX_CODE_ALREADY_EXISTS);
	/* A new revision replaces the figures, still one community. */
	assert_int_equal(push(&T.a, T.a.id, "a-1", "laurentides", "2025", 2, 14, &dup), PX_CODE_OK);
	assert_int_equal(push(&T.a, T.a.id, "a-2", "laurentides", "2025", 1, 6, &dup), PX_CODE_OK);
	j = hub_report("--period 2025 --framework laurentides");
	total = cJSON_GetObjectItem(j, "total");
	assert_int_equal(cJSON_GetObjectItem(total, "communities")->valueint, 2);
	assert_true(ind_value(total, "members_active") == 20);
	assert_true(ind_value(total, "meetings_held") == 8);
	cJSON_Delete(j);
}

/* Copies of one report sent at once (typically committed in one batch,
 * the second copy seeing the first's writes in the same transaction) and
 * other reports alongside: every call is acknowledged, the copy stored
 * once, exactly one answer is not a duplicate. */
#define CC_COPIES 8
#define CC_OTHERS 8

typedef struct cc_state {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int pending, ok, fresh, failed;
} cc_state;

typedef struct cc_call {
	cc_state *s;
	bool copy;
	Praxis__SubmitReportRequest req;
} cc_call;

static cc_state cc_copies, cc_others;

static void
cc_done(void *arg, px_err err, ProtobufCMessage *resp, const px_status *st)
{
	cc_call *c = arg;
	cc_state *s = c->s;
	pthread_mutex_lock(&s->mu);
	if (err == PX_OK && resp != NULL) {
		s->ok++;
		if (!((Praxis__SubmitReportResponse *)resp)->duplicate)
			s->fresh++;
	} else {
		s->failed++;
		fprintf(stderr, "test_submit_concurrent_copies: %d %s\n", (int)st->code, st->message);
	}
	s->pending--;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
}

static void
test_submit_concurrent_copies(void **state)
{
	(void)state;
	Praxis__CommunityReport *r = make_report("a-cc", "a-cc", "laurentides", "2024", 1, 9, 3, 0.5);
	Praxis__SignedReport *sr = NULL;
	assert_int_equal(px_report_sign(r, T.a.id, &sr), PX_OK);
	px_report_free(r);
	Praxis__SignedReport *others[CC_OTHERS];
	for (int i = 0; i < CC_OTHERS; i++) {
		char uid[32];
		snprintf(uid, sizeof uid, "a-cc%d", i);
		r = make_report(uid, uid, "laurentides", "2024", 1, 10 + i, 3, 0.5);
		assert_int_equal(px_report_sign(r, T.a.id, &others[i]), PX_OK);
		px_report_free(r);
	}
	cc_call calls[CC_COPIES + CC_OTHERS];
	cc_state *sets[2] = {&cc_copies, &cc_others};
	for (int k = 0; k < 2; k++) {
		memset(sets[k], 0, sizeof *sets[k]);
		pthread_mutex_init(&sets[k]->mu, NULL);
		pthread_cond_init(&sets[k]->cv, NULL);
	}
	cc_copies.pending = CC_COPIES;
	cc_others.pending = CC_OTHERS;
	unsigned mi = (unsigned)(protobuf_c_service_descriptor_get_method_by_name(
	                             &praxis__hub__descriptor, "SubmitReport") -
	                         praxis__hub__descriptor.methods);
	for (int i = 0; i < CC_COPIES + CC_OTHERS; i++) {
		bool copy = i % 2 == 0;
		calls[i].s = copy ? &cc_copies : &cc_others;
		calls[i].copy = copy;
		calls[i].req = (Praxis__SubmitReportRequest)PRAXIS__SUBMIT_REPORT_REQUEST__INIT;
		calls[i].req.report = copy ? sr : others[i / 2];
		assert_int_equal(px_rpc_call_async(T.a.cl, &praxis__hub__descriptor, mi,
		                                   &calls[i].req.base, 20000, cc_done, &calls[i]),
		                 PX_OK);
	}
	for (int k = 0; k < 2; k++) {
		pthread_mutex_lock(&sets[k]->mu);
		while (sets[k]->pending > 0)
			pthread_cond_wait(&sets[k]->cv, &sets[k]->mu);
		pthread_mutex_unlock(&sets[k]->mu);
	}
	assert_int_equal(cc_copies.failed, 0);
	assert_int_equal(cc_copies.ok, CC_COPIES);
	assert_int_equal(cc_copies.fresh, 1);
	assert_int_equal(cc_others.failed, 0);
	assert_int_equal(cc_others.fresh, CC_OTHERS);
	cJSON *j = hub_report("--period 2024 --community a-cc");
	const cJSON *total = cJSON_GetObjectItem(j, "total");
	assert_int_equal(cJSON_GetObjectItem(total, "communities")->valueint, 1);
	assert_true(ind_value(total, "members_active") == 9);
	cJSON_Delete(j);
	j = hub_report("--period 2024");
	total = cJSON_GetObjectItem(j, "total");
	assert_int_equal(cJSON_GetObjectItem(total, "communities")->valueint, 1 + CC_OTHERS);
	cJSON_Delete(j);
	px_signed_report_free(sr);
	for (int i = 0; i < CC_OTHERS; i++)
		px_signed_report_free(others[i]);
	for (int k = 0; k < 2; k++) {
		pthread_mutex_destroy(&sets[k]->mu);
		pthread_cond_destroy(&sets[k]->cv);
	}
}

/* SubmitReports as n; *out the response (caller frees) when OK. */
static px_code
submit_batch(node *n, Praxis__SignedReport **srs, size_t count, Praxis__SubmitReportsResponse **out)
{
	Praxis__SubmitReportsRequest req = PRAXIS__SUBMIT_REPORTS_REQUEST__INIT;
	req.reports = srs;
	req.n_reports = count;
	ProtobufCMessage *resp = NULL;
	px_status st;
	if (px_rpc_call_named(n->cl, &praxis__hub__descriptor, "SubmitReports", &req.base, 20000,
	                      &resp, &st) != PX_OK) {
		/* st says why */
	}
	*out = (Praxis__SubmitReportsResponse *)resp;
	return st.code;
}

static Praxis__SignedReport *
signed_report(const px_identity *signer, const char *uid, const char *period, uint32_t rev,
              double members)
{
	Praxis__CommunityReport *r =
	    make_report(uid, uid, "laurentides", period, rev, members, 4, 0.75);
	Praxis__SignedReport *sr = NULL;
	assert_int_equal(px_report_sign(r, signer, &sr), PX_OK);
	px_report_free(r);
	return sr;
}

static int
rows_of(const char *args)
{
	cJSON *j = hub_report(args);
	int n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "rows"));
	cJSON_Delete(j);
	return n;
}

/* A batch mixing every kind of report: one result per report, in order;
 * the bad ones refused each with its own code, nothing of them stored;
 * the good ones stored once, also when the batch is sent again. */
static void
test_submit_batch_mixed(void **state)
{
	(void)state;
	enum { NB = 9 };
	Praxis__SignedReport *b[NB];
	b[0] = signed_report(T.a.id, "a-m1", "2023", 1, 11);
	b[1] = signed_report(T.a.id, "a-m2", "2023", 1, 12);
	b[1]->report.data[b[1]->report.len / 2] ^= 0x01;    /* bad signature */
	b[2] = signed_report(T.a.id, "b-1", "2023", 1, 13); /* B's community */
	b[3] = signed_report(T.a.id, "a-1", "2025", 2, 14); /* stored before */
	b[4] = signed_report(T.a.id, "a-m3", "2023", 1, 15);
	b[5] = signed_report(T.a.id, "a-m1", "2023", 1, 11); /* copy of b[0] */
	b[6] = signed_report(T.b.id, "a-m4", "2023", 1, 16); /* signed by another key */
	Praxis__CommunityReport *r =
	    make_report("a-m5", "a-m5", "laurentides", "2023", 1, 17, 4, 1.5);
	assert_int_equal(px_report_sign(r, T.a.id, &b[7]), PX_OK); /* rate above 1 */
	px_report_free(r);
	b[8] = signed_report(T.a.id, "a-2", "2025", 1, 99); /* same revision, other bytes */
	static const px_code want[NB] = {PX_CODE_OK,
	                                 PX_CODE_UNAUTHENTICATED,
	                                 PX_CODE_PERMISSION_DENIED,
	                                 PX_CODE_OK,
	                                 PX_CODE_OK,
	                                 PX_CODE_OK,
	                                 PX_CODE_PERMISSION_DENIED,
	                                 PX_CODE_INVALID_ARGUMENT,
	                                 PX_CODE_ALREADY_EXISTS};
	for (int round = 0; round < 2; round++) {
		/* The second round is the retry of a node that lost the answer. */
		const bool dup[NB] = {round == 1, false, false, true, round == 1,
		                      true,       false, false, false};
		Praxis__SubmitReportsResponse *resp = NULL;
		assert_int_equal(submit_batch(&T.a, b, NB, &resp), PX_CODE_OK);
		assert_non_null(resp);
		assert_int_equal(resp->n_results, NB);
		for (int i = 0; i < NB; i++) {
			const Praxis__SubmitResult *x = resp->results[i];
			if (x->code != (int)want[i] || x->duplicate != dup[i])
				print_error("round %d, report %d: code %d dup %d (%s)\n", round, i,
				            x->code, x->duplicate, x->message);
			assert_int_equal(x->code, want[i]);
			assert_int_equal(x->duplicate, dup[i]);
			assert_int_equal(x->stored_revision,
			                 want[i] == PX_CODE_OK ? (i == 3 ? 2 : 1) : 0);
			/* A refusal says why. */
			assert_true(want[i] == PX_CODE_OK || x->message[0] != '\0');
		}
		protobuf_c_message_free_unpacked(&resp->base, NULL);
		cJSON *j = hub_report("--period 2023");
		const cJSON *total = cJSON_GetObjectItem(j, "total");
		assert_int_equal(cJSON_GetObjectItem(total, "communities")->valueint, 2);
		assert_true(ind_value(total, "members_active") == 11 + 15);
		cJSON_Delete(j);
		assert_int_equal(rows_of("--community b-1 --period 2023"), 0);
		assert_int_equal(rows_of("--community a-m2"), 0);
		assert_int_equal(rows_of("--community a-m4"), 0);
		assert_int_equal(rows_of("--community a-m5"), 0);
		j = hub_report("--community a-2 --period 2025");
		assert_true(ind_value(cJSON_GetObjectItem(j, "total"), "members_active") == 6);
		cJSON_Delete(j);
	}
	for (int i = 0; i < NB; i++)
		px_signed_report_free(b[i]);
	/* An empty batch is an empty answer. */
	Praxis__SubmitReportsResponse *resp = NULL;
	assert_int_equal(submit_batch(&T.a, NULL, 0, &resp), PX_CODE_OK);
	assert_int_equal(resp->n_results, 0);
	protobuf_c_message_free_unpacked(&resp->base, NULL);
}

/* The caps of a call: 256 reports go in; 257, or more than 1 MiB of
 * reports, are refused whole with RESOURCE_EXHAUSTED, nothing stored. */
static void
test_submit_batch_caps(void **state)
{
	(void)state;
	enum { NC = 257 };
	Praxis__SignedReport *b[NC];
	for (int i = 0; i < NC; i++) {
		char uid[32];
		snprintf(uid, sizeof uid, "a-cap%d", i);
		b[i] = signed_report(T.a.id, uid, "2022", 1, 10);
	}
	Praxis__SubmitReportsResponse *resp = NULL;
	assert_int_equal(submit_batch(&T.a, b, NC, &resp), PX_CODE_RESOURCE_EXHAUSTED);
	assert_null(resp);
	assert_int_equal(rows_of("--period 2022"), 0);
	/* Three reports of 400 KB: over 1 MiB in all. */
	Praxis__SignedReport big[3];
	Praxis__SignedReport *bigp[3];
	uint8_t *blob = calloc(400 << 10, 1);
	assert_non_null(blob);
	for (int i = 0; i < 3; i++) {
		big[i] = *b[i];
		big[i].report.data = blob;
		big[i].report.len = 400 << 10;
		bigp[i] = &big[i];
	}
	assert_int_equal(submit_batch(&T.a, bigp, 3, &resp), PX_CODE_RESOURCE_EXHAUSTED);
	assert_null(resp);
	/* One of them alone is not refused for its size (the checks refuse it). */
	assert_int_equal(submit_batch(&T.a, bigp, 1, &resp), PX_CODE_OK);
	assert_int_equal(resp->n_results, 1);
	assert_int_equal(resp->results[0]->code, PX_CODE_UNAUTHENTICATED);
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	free(blob);
	assert_int_equal(rows_of("--period 2022"), 0);
	/* At the cap: every report stored. */
	assert_int_equal(submit_batch(&T.a, b, NC - 1, &resp), PX_CODE_OK);
	assert_int_equal(resp->n_results, NC - 1);
	for (int i = 0; i < NC - 1; i++) {
		assert_int_equal(resp->results[i]->code, PX_CODE_OK);
		assert_false(resp->results[i]->duplicate);
	}
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	assert_int_equal(rows_of("--period 2022"), NC - 1);
	for (int i = 0; i < NC; i++)
		px_signed_report_free(b[i]);
}

static void
test_signature_checks(void **state)
{
	(void)state;
	/* Signed with another key (B's) and sent by A. */
	assert_int_equal(push(&T.a, T.b.id, "a-3", "laurentides", "2025", 1, 9, NULL),
	                 PX_CODE_PERMISSION_DENIED);
	/* Altered after signing: one byte of the report flipped. */
	Praxis__CommunityReport *r = make_report("a-3", "a-3", "laurentides", "2025", 1, 9, 4, 0.75);
	Praxis__SignedReport *sr = NULL;
	assert_int_equal(px_report_sign(r, T.a.id, &sr), PX_OK);
	for (size_t i = 0; i < sr->report.len; i += sr->report.len / 7 + 1) {
		sr->report.data[i] ^= 0x01;
		assert_int_equal(submit(&T.a, sr, NULL), PX_CODE_UNAUTHENTICATED);
		sr->report.data[i] ^= 0x01;
	}
	sr->signature.data[5] ^= 0x80;
	assert_int_equal(submit(&T.a, sr, NULL), PX_CODE_UNAUTHENTICATED);
	px_signed_report_free(sr);
	/* Well signed but invalid: a rate above 1. */
	r->indicators[2]->value = 1.5;
	assert_int_equal(px_report_sign(r, T.a.id, &sr), PX_OK);
	assert_int_equal(submit(&T.a, sr, NULL), PX_CODE_INVALID_ARGUMENT);
	px_signed_report_free(sr);
	px_report_free(r);
	cJSON *j = hub_report("--community a-3");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rows")), 0);
	cJSON_Delete(j);
}

static px_code
list_reports(node *n, const char *tenant, size_t *count)
{
	Praxis__ListReportsRequest req = PRAXIS__LIST_REPORTS_REQUEST__INIT;
	req.tenant = (char *)tenant;
	ProtobufCMessage *resp = NULL;
	px_status st;
	if (px_rpc_call_named(n->cl, &praxis__hub__descriptor, "ListReports", &req.base, 0, &resp, &st) != PX_OK) {
		/* st says why */
	}
	if (count != NULL)
		*count = resp ? ((Praxis__ListReportsResponse *)resp)->n_reports : 0;
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	return st.code;
}

static void
test_tenant_isolation(void **state)
{
	(void)state;
	assert_int_equal(push(&T.b, T.b.id, "b-1", "rocfm", "2025", 1, 7, NULL), PX_CODE_OK);
	size_t n = 0;
	assert_int_equal(list_reports(&T.a, "", &n), PX_CODE_OK);
	assert_int_equal(n, 3); /* a-1 rev 1 and 2, a-2 */
	assert_int_equal(list_reports(&T.a, "rocfm-est", NULL), PX_CODE_PERMISSION_DENIED);
	assert_int_equal(list_reports(&T.b, "amalgame", NULL), PX_CODE_PERMISSION_DENIED);
	Praxis__AggregateRequest ag = PRAXIS__AGGREGATE_REQUEST__INIT;
	ag.tenant = "rocfm-est";
	ProtobufCMessage *resp = NULL;
	px_status st;
	if (px_rpc_call_named(T.a.cl, &praxis__hub__descriptor, "Aggregate", &ag.base, 0, &resp, &st) != PX_OK) {
		/* st says why */
	}
	assert_int_equal(st.code, PX_CODE_PERMISSION_DENIED);
	assert_null(resp);
	/* Its own aggregate holds only its own communities. */
	ag.tenant = "";
	assert_int_equal(px_rpc_call_named(T.b.cl, &praxis__hub__descriptor, "Aggregate", &ag.base, 0,
	                                   &resp, &st), PX_OK);
	Praxis__AggregateResponse *ar = (Praxis__AggregateResponse *)resp;
	assert_int_equal(ar->n_rows, 1);
	assert_string_equal(ar->rows[0]->community_uid, "b-1");
	protobuf_c_message_free_unpacked(resp, NULL);
	/* B cannot submit for a community of A. */
	assert_int_equal(push(&T.b, T.b.id, "a-1", "laurentides", "2025", 3, 30, NULL),
	                 PX_CODE_PERMISSION_DENIED);
	cJSON *j = hub_report("--community a-1");
	assert_true(ind_value(cJSON_GetObjectItem(j, "total"), "members_active") == 14);
	cJSON_Delete(j);
}

static void
test_viewer_scope_http(void **state)
{
	(void)state;
	assert_int_equal(hub_cli(T.viewer_lau, sizeof T.viewer_lau,
	                         "viewer add centraide --scope 'framework=laurentides'"), 0);
	assert_int_equal(hub_cli(T.viewer_all, sizeof T.viewer_all, "viewer add admin --scope ''"), 0);
	hubt_http r;
	assert_true(hubt_get(T.http_port, "/", NULL, &r));
	assert_int_equal(r.status, 401);
	hubt_http_free(&r);
	assert_true(hubt_get(T.http_port, "/export.json", "Cookie: px_view=pxv1.AAAA\r\n", &r));
	assert_int_equal(r.status, 401);
	hubt_http_free(&r);
	/* Login by URL: a cookie that scripts cannot read, sent to this site only. */
	char path[256], cookie[256], hdr[300];
	snprintf(path, sizeof path, "/login?token=%s", T.viewer_lau);
	assert_true(hubt_get(T.http_port, path, NULL, &r));
	assert_int_equal(r.status, 303);
	assert_true(hubt_header(&r, "Set-Cookie", cookie, sizeof cookie));
	assert_non_null(strstr(cookie, "HttpOnly"));
	assert_non_null(strstr(cookie, "SameSite=Strict"));
	hubt_http_free(&r);
	snprintf(hdr, sizeof hdr, "Cookie: %.*s\r\n", (int)strcspn(cookie, ";"), cookie);
	assert_true(hubt_get(T.http_port, "/", hdr, &r));
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "a-1"));
	assert_null(strstr(r.body, "b-1"));
	assert_null(strstr(r.body, "<script"));
	hubt_http_free(&r);
	const char *denied[] = {"/framework/rocfm", "/community/b-1", "/export.json?framework=rocfm",
	                        "/export.csv?framework=rocfm"};
	for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
		assert_true(hubt_get(T.http_port, denied[i], hdr, &r));
		assert_int_equal(r.status, 403);
		hubt_http_free(&r);
	}
	/* Read-only: no write method. */
	assert_true(hubt_request(T.http_port, "POST", "/", hdr, "x=1", &r));
	assert_int_equal(r.status, 405);
	hubt_http_free(&r);
	/* The scoped export equals the administrator's report for the framework. */
	assert_true(hubt_get(T.http_port, "/export.json", hdr, &r));
	assert_int_equal(r.status, 200);
	cJSON *web = cJSON_Parse(r.body);
	hubt_http_free(&r);
	cJSON *cli = hub_report("--framework laurentides");
	assert_non_null(web);
	char *a = cJSON_PrintUnformatted(cJSON_GetObjectItem(web, "total"));
	char *b = cJSON_PrintUnformatted(cJSON_GetObjectItem(cli, "total"));
	assert_string_equal(a, b);
	free(a);
	free(b);
	cJSON_Delete(web);
	cJSON_Delete(cli);
	/* A revoked viewer is refused at its next request. */
	char tmp[PX_VT_TEXT_MAX], th[300];
	assert_int_equal(hub_cli(tmp, sizeof tmp, "viewer add temp --scope 'tenants=amalgame'"), 0);
	snprintf(th, sizeof th, "Authorization: Bearer %s\r\n", tmp);
	assert_true(hubt_get(T.http_port, "/", th, &r));
	assert_int_equal(r.status, 200);
	hubt_http_free(&r);
	assert_int_equal(hub_cli(NULL, 0, "viewer revoke temp"), 0);
	assert_true(hubt_get(T.http_port, "/", th, &r));
	assert_int_equal(r.status, 401);
	hubt_http_free(&r);
	/* A framework whose plugin the hub lacks: stored, shown with raw ids. */
	assert_int_equal(push(&T.b, T.b.id, "b-9", "cadre-inconnu", "2025", 1, 6, NULL), PX_CODE_OK);
	snprintf(hdr, sizeof hdr, "X-Praxis-Token: %s\r\n", T.viewer_all);
	assert_true(hubt_get(T.http_port, "/framework/cadre-inconnu", hdr, &r));
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "id=\"no-plugin\""));
	assert_non_null(strstr(r.body, "b-9"));
	assert_non_null(strstr(r.body, "LAU-3")); /* the raw rule id, no label */
	hubt_http_free(&r);
	/* The unscoped viewer sees both, through the token header. */
	assert_true(hubt_get(T.http_port, "/framework/rocfm?lang=en", hdr, &r));
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "b-1"));
	assert_non_null(strstr(r.body, "lang=\"en\""));
	hubt_http_free(&r);
}

/* Many viewers at once: pages and exports are made by the hub's workers,
 * identical requests waiting together answered by one computation. Every
 * answer must be the one a lone request gets, refusals are still logged
 * one by one, and a report stored after an answer is in the next one. */
#define HC_THREADS 12
#define HC_ROUNDS 3

typedef struct hc_arg {
	const char *path, *hdr;
	int status[HC_ROUNDS];
	char *body[HC_ROUNDS];
} hc_arg;

static void *
hc_run(void *p)
{
	hc_arg *a = p;
	for (int i = 0; i < HC_ROUNDS; i++) {
		hubt_http r;
		a->status[i] = -1;
		a->body[i] = NULL;
		if (hubt_get(T.http_port, a->path, a->hdr, &r)) {
			a->status[i] = r.status;
			a->body[i] = strdup(r.body != NULL ? r.body : "");
			hubt_http_free(&r);
		}
	}
	return NULL;
}

static cJSON *audit_list(void);

static int
hc_denials(void)
{
	cJSON *j = audit_list();
	int n = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, j) {
		const cJSON *why = cJSON_GetObjectItem(e, "reason");
		n += cJSON_IsString(why) && strstr(why->valuestring, "community outside") != NULL;
	}
	cJSON_Delete(j);
	return n;
}

static void
test_http_concurrent(void **state)
{
	(void)state;
	char lau[300], all[300];
	snprintf(lau, sizeof lau, "Authorization: Bearer %s\r\n", T.viewer_lau);
	snprintf(all, sizeof all, "Authorization: Bearer %s\r\n", T.viewer_all);
	const struct {
		const char *path, *hdr;
		int status;
	} want[] = {{"/export.json", lau, 200},  {"/export.csv", lau, 200},
	            {"/export.json", all, 200},  {"/export.csv?lang=en", all, 200},
	            {"/", lau, 200},             {"/?lang=en", all, 200},
	            {"/community/a-1", lau, 200}, {"/community/b-1", lau, 403},
	            {"/community/nope", all, 404}, {"/framework/laurentides", lau, 200},
	            {"/export.json?period=2025", all, 200}, {"/export.json", lau, 200}};
	_Static_assert(sizeof want / sizeof want[0] == HC_THREADS, "one row a thread");
	/* What each asks for, alone. */
	char *alone[HC_THREADS];
	for (int i = 0; i < HC_THREADS; i++) {
		hubt_http r;
		assert_true(hubt_get(T.http_port, want[i].path, want[i].hdr, &r));
		assert_int_equal(r.status, want[i].status);
		alone[i] = strdup(r.body);
		hubt_http_free(&r);
	}
	int denied0 = hc_denials();
	hc_arg args[HC_THREADS];
	pthread_t thr[HC_THREADS];
	for (int i = 0; i < HC_THREADS; i++) {
		args[i] = (hc_arg){want[i].path, want[i].hdr, {0}, {NULL}};
		assert_int_equal(pthread_create(&thr[i], NULL, hc_run, &args[i]), 0);
	}
	for (int i = 0; i < HC_THREADS; i++)
		pthread_join(thr[i], NULL);
	int refusals = 0;
	for (int i = 0; i < HC_THREADS; i++)
		for (int k = 0; k < HC_ROUNDS; k++) {
			if (args[i].status[k] != want[i].status || strcmp(args[i].body[k], alone[i]) != 0)
				print_error("%s round %d: HTTP %d, %zu bytes (alone: %d, %zu bytes)\n",
				            want[i].path, k, args[i].status[k],
				            args[i].body[k] ? strlen(args[i].body[k]) : 0, want[i].status,
				            strlen(alone[i]));
			assert_int_equal(args[i].status[k], want[i].status);
			assert_string_equal(args[i].body[k], alone[i]);
			refusals += args[i].status[k] == 403;
			free(args[i].body[k]);
		}
	/* Each refusal has its audit record, grouped or not. */
	assert_int_equal(hc_denials() - denied0, refusals);
	/* Nothing kept from one answer to the next: a new report is in the
	 * export asked after it was acknowledged. */
	assert_int_equal(push(&T.a, T.a.id, "a-77", "laurentides", "2025-03", 1, 9, NULL), PX_CODE_OK);
	hubt_http r;
	assert_true(hubt_get(T.http_port, "/export.json", lau, &r));
	assert_int_equal(r.status, 200);
	assert_string_not_equal(r.body, alone[0]);
	assert_non_null(strstr(r.body, "\"a-77\""));
	hubt_http_free(&r);
	for (int i = 0; i < HC_THREADS; i++)
		free(alone[i]);
}

static void
test_revoke_at_once(void **state)
{
	(void)state;
	assert_int_equal(push(&T.b, T.b.id, "b-2", "rocfm", "2025", 1, 8, NULL), PX_CODE_OK);
	assert_int_equal(hub_cli(NULL, 0, "tenant revoke rocfm-est"), 0);
	/* The very next call is refused. */
	assert_int_equal(push(&T.b, T.b.id, "b-3", "rocfm", "2025", 1, 8, NULL), PX_CODE_PERMISSION_DENIED);
	assert_int_equal(list_reports(&T.b, "", NULL), PX_CODE_PERMISSION_DENIED);
	/* Rotation: A's key stops, a new token enrolls a new key. */
	char tok[PX_JT_TEXT_MAX];
	assert_int_equal(hub_cli(tok, sizeof tok, "tenant rotate-key amalgame"), 0);
	assert_int_equal(push(&T.a, T.a.id, "a-1", "laurentides", "2025", 3, 15, NULL),
	                 PX_CODE_PERMISSION_DENIED);
	node a2;
	node_open(&a2, &T.jt_a);
	assert_int_equal(enroll(&a2, tok), PX_CODE_OK);
	assert_int_equal(push(&a2, a2.id, "a-1", "laurentides", "2025", 3, 15, NULL), PX_CODE_OK);
	node_close(&a2);
}

static void
test_audit_and_outputs(void **state)
{
	(void)state;
	pxt_run r = pxt_sh("'%s' --data '%s' audit list --json", HUB, T.data);
	assert_int_equal(r.status, 0);
	cJSON *j = cJSON_Parse(r.out);
	pxt_run_free(&r);
	assert_non_null(j);
	int denied = 0, http = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, j) {
		if (strcmp(cJSON_GetObjectItem(e, "code")->valuestring, "PERMISSION_DENIED") == 0)
			denied++;
		if (strcmp(cJSON_GetObjectItem(e, "channel")->valuestring, "http") == 0)
			http++;
	}
	/* Every refusal above was logged: RPC and dashboard alike. */
	assert_true(denied >= 10);
	assert_true(http >= 4);
	cJSON_Delete(j);
	/* CSV for a French Excel. */
	r = pxt_sh("'%s' --data '%s' report --csv --framework laurentides", HUB, T.data);
	assert_int_equal(r.status, 0);
	assert_memory_equal(r.out, "\xEF\xBB\xBF" "niveau;cadre;", 16);
	assert_non_null(strstr(r.out, ";Taux de présence"));
	assert_non_null(strstr(r.out, ";constats LAU-3 (avertissement)"));
	assert_non_null(strstr(r.out, ";0,75"));
	assert_non_null(strstr(r.out, "\r\ncommunauté;laurentides;Laurentides;amalgame;a-1;"));
	pxt_run_free(&r);
	r = pxt_sh("'%s' --data '%s' report", HUB, T.data);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Membres actifs"));
	pxt_run_free(&r);
	/* Bad input: a clear French error, exit 1, nothing changed. */
	r = pxt_sh("'%s' --data '%s' tenant add 'bad name' --region X", HUB, T.data);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "nom d'organisation invalide"));
	pxt_run_free(&r);
	r = pxt_sh("LANG=en_CA.UTF-8 '%s' --data '%s' viewer add v --scope 'colour=blue'", HUB, T.data);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "invalid scope"));
	pxt_run_free(&r);
	/* A hub key file readable by others is refused. */
	r = pxt_sh("'%s' --data '%s/h2' init && chmod 0644 '%s/h2/hub.key' && '%s' --data '%s/h2' tenant list",
	           HUB, T.dir, T.dir, HUB, T.dir);
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.err, "PX_EKEYPERM"));
	pxt_run_free(&r);
	/* Static dashboard. */
	char out[700];
	snprintf(out, sizeof out, "%s/static", T.dir);
	assert_int_equal(hub_cli(NULL, 0, "dashboard --out '%s'", out), 0);
	char f[800];
	snprintf(f, sizeof f, "%s/index.html", out);
	assert_true(pxt_file_contains(f, "<svg", 4));
	assert_false(pxt_file_contains(f, "<script", 7));
	snprintf(f, sizeof f, "%s/framework-laurentides.html", out);
	assert_true(pxt_file_contains(f, "LAU-3", 5));
	snprintf(f, sizeof f, "%s/report.csv", out);
	assert_true(pxt_file_contains(f, "\xEF\xBB\xBF", 3));
}

/* The JSON of `praxis-hub audit list`. */
static cJSON *
audit_list(void)
{
	pxt_run r = pxt_sh("'%s' --data '%s' audit list --json", HUB, T.data);
	assert_int_equal(r.status, 0);
	cJSON *j = cJSON_Parse(r.out);
	pxt_run_free(&r);
	assert_non_null(j);
	return j;
}

static double
audit_last_seq(const cJSON *j)
{
	double seq = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, j)
		if (cJSON_GetObjectItem(e, "seq")->valuedouble > seq)
			seq = cJSON_GetObjectItem(e, "seq")->valuedouble;
	return seq;
}

/* Refused calls under made-up keys: every one refused, but the records
 * they leave are rate limited (hub/audit.c), and what was not recorded
 * is counted in a "rate-limit" record. */
static void
test_audit_rate_limit(void **state)
{
	(void)state;
	cJSON *j = audit_list();
	double after = audit_last_seq(j);
	cJSON_Delete(j);
	int64_t t0 = px_mono_ns();
	int calls = 0;
	node x;
	node_open(&x, &T.jt_a);
	char who[PX_PK_HEX];
	px_hex_encode(px_identity_pk(x.id), 16, who);
	for (int i = 0; i < 40; i++, calls++)
		assert_int_equal(list_reports(&x, "", NULL), PX_CODE_UNAUTHENTICATED);
	node_close(&x);
	for (int i = 0; i < 80; i++, calls++) {
		node y;
		node_open(&y, &T.jt_a);
		assert_int_equal(list_reports(&y, "", NULL), PX_CODE_UNAUTHENTICATED);
		node_close(&y);
	}
	double secs = (double)(px_mono_ns() - t0) / 1e9;
	/* One more after the global bucket refilled: recorded, and the
	 * count of what was not recorded is written just before it. */
	struct timespec ts = {1, 200000000};
	nanosleep(&ts, NULL);
	node z;
	node_open(&z, &T.jt_a);
	char last[PX_PK_HEX];
	px_hex_encode(px_identity_pk(z.id), 16, last);
	assert_int_equal(list_reports(&z, "", NULL), PX_CODE_UNAUTHENTICATED);
	calls++;
	node_close(&z);

	j = audit_list();
	int mine = 0, recorded = 0, lasts = 0;
	unsigned long long dropped = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, j) {
		if (cJSON_GetObjectItem(e, "seq")->valuedouble <= after)
			continue;
		const char *w = cJSON_GetObjectItem(e, "who")->valuestring;
		const char *reason = cJSON_GetObjectItem(e, "reason")->valuestring;
		if (strcmp(cJSON_GetObjectItem(e, "action")->valuestring, "rate-limit") == 0) {
			unsigned long long n = 0;
			assert_int_equal(sscanf(reason, "%llu refusal", &n), 1);
			dropped += n;
			continue;
		}
		if (strcmp(reason, "unknown key") != 0)
			continue;
		recorded++;
		mine += strcmp(w, who) == 0;
		lasts += strcmp(w, last) == 0;
	}
	cJSON_Delete(j);
	/* One key: its burst of 10, then one per 10 s. */
	assert_true(mine >= 10 && mine <= 10 + (int)(secs / 10) + 1);
	/* All keys: at most the burst of 60 and one per second. */
	assert_true(recorded <= 60 + (int)(secs + 1.2) + 2);
	assert_int_equal(lasts, 1);
	/* Nothing lost from the count (earlier drops may add to it). */
	assert_true(recorded + (int)dropped >= calls);
	assert_true(dropped > 0);
}

/* Clients that ask for exports and never read them: the hub's writes
 * wait (up to 60 s) on the workers, while RPC calls and pages go on. The
 * exports once waited on nng's own threads, and every RPC call of the
 * federation waited with them (RELIABILITY.md, load). */
static int
stalled_client(const char *path, const char *hdr)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)T.http_port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	char req[600];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", path, hdr);
	assert_int_equal(write(fd, req, (size_t)n), n);
	return fd; /* never read */
}

static void
test_http_stalled_clients(void **state)
{
	(void)state;
	/* 20,000 reports: an export of ~6 MB, more than the sockets hold. */
	char tok[PX_JT_TEXT_MAX];
	assert_int_equal(hub_cli(tok, sizeof tok, "tenant add grande --region Laurentides"), 0);
	px_jointoken jt;
	assert_int_equal(px_jointoken_parse(tok, strlen(tok), &jt), PX_OK);
	node g;
	node_open(&g, &jt);
	assert_int_equal(enroll(&g, tok), PX_CODE_OK);
	enum { N = 20000, BATCH = 64 };
	for (int i = 0; i < N; i += BATCH) {
		Praxis__SignedReport *srs[BATCH];
		size_t k = 0;
		for (; k < BATCH && i + (int)k < N; k++) {
			char uid[32], period[16];
			int x = i + (int)k;
			snprintf(uid, sizeof uid, "g-%d", x / 100);
			snprintf(period, sizeof period, "%04d-%02d", 1900 + (x % 100) / 12, x % 12 + 1);
			Praxis__CommunityReport *r = make_report(uid, uid, "laurentides", period, 1, 12, 4, 0.75);
			assert_int_equal(px_report_sign(r, g.id, &srs[k]), PX_OK);
			px_report_free(r);
		}
		Praxis__SubmitReportsResponse *resp = NULL;
		assert_int_equal(submit_batch(&g, srs, k, &resp), PX_CODE_OK);
		protobuf_c_message_free_unpacked(&resp->base, NULL);
		for (size_t j = 0; j < k; j++)
			px_signed_report_free(srs[j]);
	}
	char hdr[300];
	snprintf(hdr, sizeof hdr, "Authorization: Bearer %s\r\n", T.viewer_all);
	/* Both exports at once stalled (two files: not one computation), and
	 * more waiting behind them. */
	int fds[4] = {stalled_client("/export.json", hdr), stalled_client("/export.json?lang=en", hdr),
	              stalled_client("/export.csv", hdr), stalled_client("/export.json", hdr)};
	sleep(3); /* the exports are made and their writes wait */
	/* The RPC calls go on: a Ping, and a report (a new commit). */
	Praxis__PingRequest pq = PRAXIS__PING_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	px_status st;
	assert_int_equal(px_rpc_call_named(g.cl, &praxis__hub__descriptor, "Ping", &pq.base, 5000, &resp,
	                                   &st),
	                 PX_OK);
	protobuf_c_message_free_unpacked(resp, NULL);
	assert_int_equal(push(&g, g.id, "g-new", "laurentides", "2025", 1, 12, NULL), PX_CODE_OK);
	/* A page does not wait behind the exports. */
	hubt_http r;
	assert_true(hubt_get(T.http_port, "/community/g-new", hdr, &r));
	assert_int_equal(r.status, 200);
	hubt_http_free(&r);
	/* The stalled clients go away; the next export is whole. */
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	assert_true(hubt_get(T.http_port, "/export.csv", hdr, &r));
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "g-new"));
	assert_true(r.body_len > (size_t)N * 40);
	hubt_http_free(&r);
	node_close(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_enroll_tokens),
	    cmocka_unit_test(test_submit_idempotent),
	    cmocka_unit_test(test_signature_checks),
	    cmocka_unit_test(test_tenant_isolation),
	    /* after the isolation test, which counts tenant A's reports */
	    cmocka_unit_test(test_submit_concurrent_copies),
	    cmocka_unit_test(test_submit_batch_mixed),
	    cmocka_unit_test(test_submit_batch_caps),
	    cmocka_unit_test(test_viewer_scope_http),
	    cmocka_unit_test(test_http_concurrent),
	    cmocka_unit_test(test_revoke_at_once),
	    cmocka_unit_test(test_audit_and_outputs),
	    cmocka_unit_test(test_audit_rate_limit),
	    cmocka_unit_test(test_http_stalled_clients),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
