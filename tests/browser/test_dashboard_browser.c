/*
 * The dashboard in a real browser: Debian's chromium, headless. A real
 * hub gets signed reports from two tenants (this test plays the nodes);
 * a viewer scoped to one framework logs in through /login?token=…, and
 * the figures in the page's DOM must be those of `praxis-hub report
 * --json` for the same scope. A screenshot is kept as a test artifact
 * (artifacts/dashboard.png in the build tree). Without a token: 401.
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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HUB PXT_BIN_DIR "/praxis-hub"

static struct {
	char *dir;
	char data[512], log[600];
	int http_port;
	pid_t hub;
	char viewer[PX_VT_TEXT_MAX];
} T;

static char *
cli(const char *fmt, ...) PX_PRINTF(1, 2);
static char *
cli(const char *fmt, ...)
{
	char args[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	pxt_run r = pxt_sh("'%s' --data '%s' %s", HUB, T.data, args);
	if (r.status != 0)
		fprintf(stderr, "praxis-hub %s: %s\n", args, r.err);
	assert_int_equal(r.status, 0);
	free(r.err);
	return r.out;
}

/* A node of tenant `tenant`: enrolls a fresh key and pushes reports. */
typedef struct tnode {
	px_identity *id;
	px_rpc_client *cl;
} tnode;

static void
tnode_open(tnode *n, const char *tenant, const char *region)
{
	char *tok = cli("tenant add %s --region '%s'", tenant, region);
	tok[strcspn(tok, "\n")] = '\0';
	px_jointoken jt;
	assert_int_equal(px_jointoken_parse(tok, strlen(tok), &jt), PX_OK);
	free(tok);
	assert_int_equal(px_identity_generate(&n->id), PX_OK);
	px_rpc_client_opts o = {0};
	o.url = jt.addr;
	o.identity = n->id;
	o.server_pk = jt.hub_pk;
	assert_int_equal(px_rpc_client_open(&n->cl, &o), PX_OK);
	Praxis__EnrollRequest req = PRAXIS__ENROLL_REQUEST__INIT;
	req.token_secret.data = jt.secret;
	req.token_secret.len = sizeof jt.secret;
	ProtobufCMessage *resp = NULL;
	px_status st;
	assert_int_equal(px_rpc_call_named(n->cl, &praxis__hub__descriptor, "Enroll", &req.base, 0, &resp, &st),
	                 PX_OK);
	protobuf_c_message_free_unpacked(resp, NULL);
}

static void
tnode_push(tnode *n, const char *uid, const char *name, const char *framework, const char *region,
           const char *period, double members, double meetings, double attendance)
{
	Praxis__CommunityReport r = PRAXIS__COMMUNITY_REPORT__INIT;
	px_period p;
	assert_int_equal(px_period_parse(period, &p), PX_OK);
	r.community_uid = (char *)uid;
	r.community_name = (char *)name;
	r.framework = (char *)framework;
	r.region = (char *)region;
	r.period_kind = (Praxis__PeriodKind)p.kind;
	r.period = (char *)period;
	r.revision = 1;
	r.generated_at = 1767225600;
	r.k = 5;
	r.plugin_ok = true;
	Praxis__Indicator in[3];
	Praxis__Indicator *inp[3];
	const char *names[] = {"members_active", "meetings_held", "attendance_rate"};
	double vals[] = {members, meetings, attendance};
	uint32_t pops[] = {(uint32_t)members, 0, (uint32_t)members};
	for (int i = 0; i < 3; i++) {
		praxis__indicator__init(&in[i]);
		in[i].name = (char *)names[i];
		in[i].value = vals[i];
		in[i].population = pops[i];
		inp[i] = &in[i];
	}
	r.indicators = inp;
	r.n_indicators = 3;
	Praxis__SignedReport *sr = NULL;
	assert_int_equal(px_report_sign(&r, n->id, &sr), PX_OK);
	Praxis__SubmitReportRequest req = PRAXIS__SUBMIT_REPORT_REQUEST__INIT;
	req.report = sr;
	ProtobufCMessage *resp = NULL;
	px_status st;
	assert_int_equal(px_rpc_call_named(n->cl, &praxis__hub__descriptor, "SubmitReport", &req.base, 0,
	                                   &resp, &st), PX_OK);
	protobuf_c_message_free_unpacked(resp, NULL);
	px_signed_report_free(sr);
}

static void
tnode_close(tnode *n)
{
	px_rpc_client_close(n->cl);
	px_identity_free(n->id);
}

/* chromium --headless on url; --dump-dom when shot is NULL (the DOM
 * returned, caller frees), else a screenshot into shot. profile keeps the
 * login cookie between runs. */
static char *
chromium(const char *profile, const char *url, const char *shot)
{
	char extra[700] = "--dump-dom";
	if (shot != NULL)
		snprintf(extra, sizeof extra, "--screenshot='%s' --window-size=1280,1900 --hide-scrollbars", shot);
	pxt_run r = pxt_sh("timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic "
	                   "--no-first-run --disable-background-networking --disable-component-update "
	                   "--disable-sync --disable-dev-shm-usage --user-data-dir='%s' %s '%s'",
	                   profile, extra, url);
	if (r.status != 0)
		fprintf(stderr, "chromium exit %d: %s\n", r.status, r.err);
	assert_int_equal(r.status, 0);
	free(r.err);
	return r.out;
}

/* The text of the element with id in dom ("" if none), into out. */
static bool
dom_text(const char *dom, const char *id, char *out, size_t size)
{
	char pat[256];
	snprintf(pat, sizeof pat, "id=\"%s\"", id);
	const char *p = strstr(dom, pat);
	if (p == NULL)
		return false;
	p = strchr(p, '>');
	if (p == NULL)
		return false;
	p++;
	size_t n = strcspn(p, "<");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* A number as the French page shows it: "12", "0,75". */
static void
fr_number(double v, char *buf, size_t size)
{
	if (fabs(v - round(v)) < 1e-9)
		snprintf(buf, size, "%.0f", v);
	else {
		snprintf(buf, size, "%.2f", v);
		size_t n = strlen(buf);
		while (buf[n - 1] == '0')
			buf[--n] = '\0';
		if (buf[n - 1] == '.')
			buf[--n] = '\0';
		for (char *c = buf; *c; c++)
			if (*c == '.')
				*c = ',';
	}
}

/* Compares every total indicator of `report --json ARGS` with the page. */
static size_t
check_totals(const char *dom, const char *args)
{
	char *out = cli("report --json %s", args);
	cJSON *j = cJSON_Parse(out);
	free(out);
	assert_non_null(j);
	size_t checked = 0;
	const cJSON *x;
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(cJSON_GetObjectItem(j, "total"), "indicators")) {
		char id[160], text[64], want[64];
		snprintf(id, sizeof id, "total-0-%s", x->string);
		assert_true(dom_text(dom, id, text, sizeof text));
		const cJSON *v = cJSON_GetObjectItem(x, "value");
		if (cJSON_IsNumber(v)) {
			fr_number(v->valuedouble, want, sizeof want);
			/* A sum leaving out small cells is shown as a lower bound. */
			const cJSON *w = cJSON_GetObjectItem(x, "withheld");
			if (cJSON_IsNumber(w) && w->valuedouble > 0 && !px_agg_is_mean(x->string))
				strncat(want, "+", sizeof want - strlen(want) - 1);
		} else
			snprintf(want, sizeof want, "&lt;k");
		if (strcmp(text, want) != 0)
			fail_msg("%s: page shows '%s', report --json says '%s'", x->string, text, want);
		checked++;
	}
	char text[64], want[32];
	assert_true(dom_text(dom, "total-0-communities", text, sizeof text));
	snprintf(want, sizeof want, "%d", cJSON_GetObjectItem(cJSON_GetObjectItem(j, "total"), "communities")->valueint);
	assert_string_equal(text, want);
	cJSON_Delete(j);
	return checked;
}

static int
setup(void **state)
{
	(void)state;
	assert_int_equal(px_crypto_init(), PX_OK);
	T.dir = pxt_tmpdir("hubbrowser");
	snprintf(T.data, sizeof T.data, "%s/hub", T.dir);
	snprintf(T.log, sizeof T.log, "%s/hub.log", T.dir);
	int rpc = hubt_free_port();
	do
		T.http_port = hubt_free_port();
	while (T.http_port == rpc);
	free(cli("init --listen tcp://127.0.0.1:%d", rpc));
	char http[64];
	snprintf(http, sizeof http, "127.0.0.1:%d", T.http_port);
	const char *argv[] = {HUB, "--data", T.data, "serve", "--http", http, NULL};
	T.hub = hubt_spawn(T.log, argv);
	assert_true(hubt_wait_log(T.hub, T.log, "\nprêt", 30));
	tnode a, b;
	tnode_open(&a, "amalgame", "Laurentides");
	tnode_open(&b, "rocfm-est", "Montréal");
	tnode_push(&a, "a-1", "CdP Proches aidants Nord", "laurentides", "Laurentides", "2025-Q1", 12, 3, 0.75);
	tnode_push(&a, "a-1", "CdP Proches aidants Nord", "laurentides", "Laurentides", "2025-Q2", 13, 3, 0.8);
	tnode_push(&a, "a-2", "CdP Proches aidants Sud", "laurentides", "Laurentides", "2025-Q1", 8, 2, 0.5);
	tnode_push(&a, "a-2", "CdP Proches aidants Sud", "laurentides", "Laurentides", "2025-Q2", 9, 3, 0.6);
	tnode_push(&b, "b-1", "CdP Familles Est", "rocfm", "Montréal", "2025-Q1", 7, 3, 0.9);
	tnode_close(&a);
	tnode_close(&b);
	char *v = cli("viewer add centraide --scope 'framework=laurentides'");
	v[strcspn(v, "\n")] = '\0';
	px_strlcpy(T.viewer, v, sizeof T.viewer);
	free(v);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	int st = hubt_stop(T.hub);
	pxt_tmpdir_free(T.dir);
	return st == 0 ? 0 : -1;
}

static void
test_no_token_401(void **state)
{
	(void)state;
	const char *paths[] = {"/", "/framework/laurentides", "/community/a-1", "/export.csv", "/export.json"};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		hubt_http r;
		assert_true(hubt_get(T.http_port, paths[i], NULL, &r));
		assert_int_equal(r.status, 401);
		assert_null(strstr(r.body, "CdP Proches"));
		hubt_http_free(&r);
	}
}

static void
test_browser_figures(void **state)
{
	(void)state;
	char profile[700], url[512];
	snprintf(profile, sizeof profile, "%s/chromium", T.dir);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/login?token=%s", T.http_port, T.viewer);
	/* Logging in by URL sets the cookie and lands on the overview. */
	char *dom = chromium(profile, url, NULL);
	assert_non_null(strstr(dom, "Praxis — vue d'ensemble"));
	assert_non_null(strstr(dom, "CdP Proches aidants Nord"));
	assert_null(strstr(dom, "CdP Familles Est")); /* another framework: out of scope */
	assert_non_null(strstr(dom, "<svg"));
	/* By default the most recent period: figures of different periods are
	 * not summed unless asked. */
	assert_true(check_totals(dom, "--framework laurentides --period 2025-Q2") >= 3);
	free(dom);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/?period=all", T.http_port);
	dom = chromium(profile, url, NULL);
	assert_true(check_totals(dom, "--framework laurentides") >= 3);
	free(dom);
	/* One period, through the cookie kept in the profile. */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/?period=2025-Q1", T.http_port);
	dom = chromium(profile, url, NULL);
	assert_true(check_totals(dom, "--framework laurentides --period 2025-Q1") >= 3);
	char text[32];
	assert_true(dom_text(dom, "total-0-members_active", text, sizeof text));
	assert_string_equal(text, "20");
	assert_true(dom_text(dom, "total-0-attendance_rate", text, sizeof text));
	assert_string_equal(text, "0,65"); /* (12×0,75 + 8×0,5) / 20 */
	free(dom);
	/* The framework's page, in English. */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/framework/laurentides?lang=en", T.http_port);
	dom = chromium(profile, url, NULL);
	assert_non_null(strstr(dom, "Active members"));
	assert_non_null(strstr(dom, "lang=\"en\""));
	free(dom);
	/* Another framework: refused in the browser too. */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/framework/rocfm", T.http_port);
	dom = chromium(profile, url, NULL);
	assert_non_null(strstr(dom, "PERMISSION_DENIED"));
	free(dom);
	/* The screenshot kept for the documentation. */
	char shot[1024];
	mkdir(PXT_ARTIFACTS_DIR, 0755);
	snprintf(shot, sizeof shot, "%s/dashboard.png", PXT_ARTIFACTS_DIR);
	remove(shot);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/?lang=fr", T.http_port);
	free(chromium(profile, url, shot));
	size_t len = 0;
	char *png = pxt_read_file(shot, &len);
	assert_non_null(png);
	assert_true(len > 20000);
	assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
	free(png);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_token_401),
		cmocka_unit_test(test_browser_figures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
