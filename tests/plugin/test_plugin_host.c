/* The plugin host: loading and refusing plugins, parameters, crash and
 * loop isolation, the change-time filter. Real dlopen of real .so files. */
#define _DEFAULT_SOURCE
#include "pxt.h"
#include "px_plugin_host.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static px_plugin_host *host;

static int
setup(void **state)
{
	(void)state;
	px_plugin_host_opts o = {.path = PXT_PLUGIN_DIR ":" PXT_FIXTURE_DIR, .prefix = "/nonexistent"};
	px_lang_set(1);
	return px_plugin_host_open(&o, &host) == PX_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	px_plugin_host_close(host);
	return 0;
}

/* A tiny community of two members and one meeting. */
typedef struct small {
	pxp_community c;
	pxp_member m[2];
	pxp_meeting mt[1];
} small;

static void
small_init(small *s)
{
	memset(s, 0, sizeof(*s));
	s->c.size = sizeof(pxp_community);
	s->c.name = s->c.framework = s->c.region = s->c.job_title = s->c.sponsor = "";
	s->c.today = 20250601;
	for (int i = 0; i < 2; i++)
		s->m[i] = (pxp_member){.id = (uint64_t)i + 1, .org_id = 1, .status = PXP_MEMBER_ACTIVE,
		                       .role = PXP_ROLE_MEMBER, .job_title = "", .discipline = ""};
	s->mt[0] = (pxp_meeting){.id = 7, .kind = PXP_MEETING_REGULAR, .date = 20250115, .duration_hours = 2};
	s->c.members = s->m;
	s->c.n_members = 2;
	s->c.meetings = s->mt;
	s->c.n_meetings = 1;
}

static const char *
refused_reason(const char *file_part)
{
	for (size_t i = 0; i < px_plugin_host_refused_count(host); i++)
		if (strstr(px_plugin_host_refused_file(host, i), file_part))
			return px_plugin_host_refused_reason(host, i);
	return NULL;
}

static void
test_loads_good_refuses_broken(void **state)
{
	(void)state;
	const char *good[] = {"laurentides", "rocfm", "cisss", "brusano", "example", "fx_crash", "fx_loop", "fx_hog"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_non_null(px_plugin_host_find(host, good[i]));
	assert_int_equal(px_plugin_host_count(host), 8);
	/* Each broken file: refused, named, with its reason. */
	struct { const char *file, *why; } bad[] = {
		{"fx_abi.so", "ABI version 2"},
		{"fx_nosym.so", "symbol praxis_plugin_v1 not found"},
		{"fx_notso.so", "not a loadable shared object"},
		{"fx_nullhooks.so", "NULL hook table"},
		{"fx_badparam.so", "\"douze\" is not a valid integer"},
		{"fx_shadow.so", "already loaded from"},
	};
	assert_int_equal(px_plugin_host_refused_count(host), sizeof(bad) / sizeof(bad[0]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *r = refused_reason(bad[i].file);
		assert_non_null(r);
		assert_non_null(strstr(r, bad[i].file));
		if (strstr(r, bad[i].why) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].file, r, bad[i].why);
	}
	/* The real laurentides is the one kept, not the shadow. */
	const px_plugin *lau = px_plugin_host_find(host, "laurentides");
	assert_string_equal(px_plugin_descriptor(lau)->version, "1.0.0");
	assert_non_null(strstr(px_plugin_path(lau), PXT_PLUGIN_DIR));
}

static void
test_refusal_in_french(void **state)
{
	(void)state;
	px_lang_set(0);
	char why[PX_PLUGIN_WHY_MAX];
	px_plugin *p = NULL;
	assert_int_equal(px_plugin_open(PXT_FIXTURE_DIR "/fx_abi.so", &p, why), PX_EPLUGIN);
	assert_null(p);
	assert_non_null(strstr(why, "fx_abi.so"));
	assert_non_null(strstr(why, "version d'ABI 2"));
	assert_int_equal(px_plugin_open(PXT_FIXTURE_DIR "/fx_nullhooks.so", &p, why), PX_EPLUGIN);
	assert_non_null(strstr(why, "table des crochets (hooks) NULL"));
	assert_int_equal(px_plugin_open(PXT_FIXTURE_DIR "/absent.so", &p, why), PX_EPLUGIN);
	assert_non_null(strstr(why, "absent.so"));
	px_lang_set(1);
}

static void
test_tables_exposed(void **state)
{
	(void)state;
	const px_plugin *cis = px_plugin_host_find(host, "cisss");
	assert_int_equal(px_plugin_rule_count(cis), 7);
	assert_non_null(px_plugin_rule(cis, "CIS-3"));
	assert_int_equal(px_plugin_rule(cis, "CIS-3")->severity, PXP_ERROR);
	assert_null(px_plugin_rule(cis, "LAU-1"));
	const pxp_descriptor *d = px_plugin_descriptor(cis);
	assert_string_equal(d->params[0].name, "annual_hours_cap");
	assert_string_equal(d->params[0].default_value, "24");
	const px_plugin *bru = px_plugin_host_find(host, "brusano");
	px_plugin_params *prm;
	assert_int_equal(px_plugin_params_alloc(bru, &prm), PX_OK);
	assert_int_equal(px_plugin_params_get(prm, "max_group_size")->i, 14);
	assert_int_equal(px_plugin_params_get(prm, "cycle_sessions")->i, 10);
	assert_null(px_plugin_params_get(prm, "nope"));
	px_plugin_params_free(prm);
}

static void
test_param_parser(void **state)
{
	(void)state;
	pxp_param ip = {"n", PXP_PARAM_INT, "1", "f", "e", 2, 100};
	pxp_param dp = {"h", PXP_PARAM_DOUBLE, "1", "f", "e", 0, 744};
	pxp_param bp = {"b", PXP_PARAM_BOOL, "true", "f", "e", 0, 0};
	pxp_param sp = {"s", PXP_PARAM_STRING, "", "f", "e", 0, 0};
	pxp_param up = {"u", PXP_PARAM_INT, "0", "f", "e", 0, 0}; /* no range */
	px_plugin_value v;
	char why[PX_PLUGIN_WHY_MAX];
	assert_int_equal(px_plugin_param_parse(&ip, "14", &v, why), PX_OK);
	assert_int_equal(v.i, 14);
	assert_int_equal(px_plugin_param_parse(&ip, "-3", &v, why), PX_EINVAL); /* range */
	assert_non_null(strstr(why, "outside [2, 100]"));
	assert_int_equal(px_plugin_param_parse(&ip, "12x", &v, why), PX_EINVAL);
	assert_non_null(strstr(why, "not a valid integer"));
	assert_int_equal(px_plugin_param_parse(&ip, "", &v, why), PX_EINVAL);
	assert_int_equal(px_plugin_param_parse(&ip, " 12", &v, why), PX_EINVAL);
	assert_int_equal(px_plugin_param_parse(&ip, "2.5", &v, why), PX_EINVAL);
	assert_int_equal(px_plugin_param_parse(&up, "9223372036854775807", &v, why), PX_OK);
	assert_int_equal(px_plugin_param_parse(&up, "9223372036854775808", &v, why), PX_EINVAL);
	assert_int_equal(px_plugin_param_parse(&up, "-9223372036854775808", &v, why), PX_OK);
	assert_true(v.i == INT64_MIN);
	assert_int_equal(px_plugin_param_parse(&dp, "2.5", &v, why), PX_OK);
	assert_true(v.d == 2.5);
	assert_int_equal(px_plugin_param_parse(&dp, "1e2", &v, why), PX_OK);
	assert_true(v.d == 100);
	assert_int_equal(px_plugin_param_parse(&dp, "2,5", &v, why), PX_EINVAL);
	assert_int_equal(px_plugin_param_parse(&dp, "nan", &v, why), PX_EINVAL);
	assert_int_equal(px_plugin_param_parse(&dp, "1e999", &v, why), PX_EINVAL);
	assert_int_equal(px_plugin_param_parse(&dp, "745", &v, why), PX_EINVAL);
	assert_int_equal(px_plugin_param_parse(&dp, ".", &v, why), PX_EINVAL);
	assert_int_equal(px_plugin_param_parse(&bp, "Oui", &v, why), PX_OK);
	assert_true(v.b);
	assert_int_equal(px_plugin_param_parse(&bp, "non", &v, why), PX_OK);
	assert_false(v.b);
	assert_int_equal(px_plugin_param_parse(&bp, "peut-être", &v, why), PX_EINVAL);
	assert_int_equal(px_plugin_param_parse(&sp, "Bruxelles-Nord", &v, why), PX_OK);
	assert_string_equal(v.s, "Bruxelles-Nord");
	assert_int_equal(px_plugin_param_parse(&sp, "a\nb", &v, why), PX_EINVAL);
	assert_int_equal(px_plugin_param_parse(&sp, "\xc3\x28", &v, why), PX_EINVAL);
	char longs[300];
	memset(longs, 'a', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	assert_int_equal(px_plugin_param_parse(&sp, longs, &v, why), PX_EINVAL);

	pxp_param table[] = {ip, dp, {0}};
	size_t idx = 99;
	assert_int_equal(px_plugin_assignment_parse(table, "  h = 3.5 ", &idx, &v, why), PX_OK);
	assert_int_equal(idx, 1);
	assert_true(v.d == 3.5);
	assert_int_equal(px_plugin_assignment_parse(table, "h", &idx, &v, why), PX_EINVAL);
	assert_non_null(strstr(why, "name=value expected"));
	assert_int_equal(px_plugin_assignment_parse(table, "zz=1", &idx, &v, why), PX_EINVAL);
	assert_non_null(strstr(why, "unknown parameter \"zz\""));
	assert_int_equal(px_plugin_assignment_parse(table, "=1", &idx, &v, why), PX_EINVAL);
	px_lang_set(0);
	assert_int_equal(px_plugin_assignment_parse(table, "zz=1", &idx, &v, why), PX_EINVAL);
	assert_non_null(strstr(why, "paramètre inconnu « zz »"));
	px_lang_set(1);
}

static void
test_param_overrides(void **state)
{
	(void)state;
	const px_plugin *cis = px_plugin_host_find(host, "cisss");
	px_plugin_params *prm;
	char why[PX_PLUGIN_WHY_MAX];
	assert_int_equal(px_plugin_params_alloc(cis, &prm), PX_OK);
	assert_int_equal(px_plugin_params_set(prm, "annual_hours_cap=trente", why), PX_EINVAL);
	assert_non_null(strstr(why, "annual_hours_cap"));
	assert_true(px_plugin_params_get(prm, "annual_hours_cap")->d == 24); /* unchanged */
	assert_int_equal(px_plugin_params_set(prm, "annual_hours_cap=-1", why), PX_EINVAL);
	assert_int_equal(px_plugin_params_set(prm, "max_group_size=3", why), PX_EINVAL);
	assert_non_null(strstr(why, "unknown parameter"));
	assert_int_equal(px_plugin_params_set(prm, "mandate_months=1.5", why), PX_EINVAL);
	const char *ok[] = {"annual_hours_cap=30", "mandate_months = 6", "annual_hours_cap=32.5"};
	assert_int_equal(px_plugin_params_set_all(prm, ok, 3, why), PX_OK);
	assert_true(px_plugin_params_get(prm, "annual_hours_cap")->d == 32.5);
	assert_int_equal(px_plugin_params_get(prm, "mandate_months")->i, 6);
	/* A parameter set belongs to its plugin. */
	small s;
	small_init(&s);
	px_plugin_result r;
	assert_int_equal(px_plugin_audit(px_plugin_host_find(host, "rocfm"), prm, &s.c, NULL, &r), PX_EINVAL);
	px_plugin_result_fini(&r);
	px_plugin_params_free(prm);
	/* The example's parameter changes its finding. */
	const px_plugin *ex = px_plugin_host_find(host, "example");
	assert_int_equal(px_plugin_params_alloc(ex, &prm), PX_OK);
	assert_int_equal(px_plugin_audit(ex, prm, &s.c, NULL, &r), PX_OK);
	assert_int_equal(r.n_findings, 0);
	px_plugin_result_fini(&r);
	assert_int_equal(px_plugin_params_set(prm, "min_meetings=2", why), PX_OK);
	assert_int_equal(px_plugin_audit(ex, prm, &s.c, NULL, &r), PX_OK);
	assert_int_equal(r.n_findings, 1);
	assert_string_equal(r.findings[0].rule_id, "EX-1");
	assert_string_equal(r.findings[0].message_en, "1 meeting(s) in the period, at least 2 expected");
	px_plugin_result_fini(&r);
	px_plugin_params_free(prm);
}

/* After a broken plugin ran, the good ones still work. */
static void
assert_others_work(void)
{
	small s;
	small_init(&s);
	px_plugin_result r;
	assert_int_equal(px_plugin_audit(px_plugin_host_find(host, "example"), NULL, &s.c, NULL, &r), PX_OK);
	assert_true(px_plugin_result_compliant(&r));
	px_plugin_result_fini(&r);
}

static void
assert_failed(const px_plugin_result *r)
{
	assert_int_equal(r->status, PX_EPLUGIN);
	assert_false(px_plugin_result_compliant(r));
	assert_true(px_plugin_result_refuses(r));
	assert_int_equal(r->n_findings, 1);
	assert_string_equal(r->findings[0].rule_id, PX_PLUGIN_FAILURE_RULE);
	assert_int_equal(r->findings[0].severity, PXP_ERROR);
	assert_string_equal(r->findings[0].message_en, r->failure);
}

static void
test_crashing_plugin(void **state)
{
	(void)state;
	const px_plugin *p = px_plugin_host_find(host, "fx_crash");
	small s;
	small_init(&s);
	px_plugin_result r;
	/* It emitted a finding before crashing: none of it may be kept. */
	assert_int_equal(px_plugin_audit(p, NULL, &s.c, NULL, &r), PX_EPLUGIN);
	assert_failed(&r);
	assert_int_equal(r.term_signal, SIGSEGV);
	assert_false(r.timed_out);
	assert_non_null(strstr(r.failure, "fx_crash: crashed (signal 11"));
	/* The finding keeps both languages, whatever the user's. */
	assert_non_null(strstr(r.findings[0].message_fr, "fx_crash : planté (signal 11"));
	px_plugin_result_fini(&r);
	pxp_change ch = {.kind = PXP_CHANGE_MEMBER_ADD, .member_id = 1};
	assert_int_equal(px_plugin_check_change(p, NULL, &s.c, &ch, NULL, &r), PX_EPLUGIN);
	assert_failed(&r);
	assert_int_equal(r.term_signal, SIGABRT);
	px_plugin_result_fini(&r);
	assert_others_work();
}

static void
test_looping_plugin(void **state)
{
	(void)state;
	const px_plugin *p = px_plugin_host_find(host, "fx_loop");
	small s;
	small_init(&s);
	px_plugin_result r;
	px_plugin_run_opts o = {.timeout_ms = 200};
	assert_int_equal(px_plugin_audit(p, NULL, &s.c, &o, &r), PX_EPLUGIN);
	assert_failed(&r);
	assert_true(r.timed_out);
	assert_non_null(strstr(r.failure, "time limit of 200 ms exceeded"));
	px_plugin_result_fini(&r);
	/* Closes the pipe, then loops: the deadline still holds. */
	assert_int_equal(px_plugin_indicators(p, NULL, &s.c, &o, &r), PX_EPLUGIN);
	assert_failed(&r);
	assert_true(r.timed_out);
	px_plugin_result_fini(&r);
	/* Exits without a result (the default limit: a loaded machine may
	 * take more than 200 ms to fork and run it). */
	assert_int_equal(px_plugin_calendar(p, NULL, &s.c, 2025, NULL, &r), PX_EPLUGIN);
	assert_failed(&r);
	assert_false(r.timed_out);
	assert_non_null(strstr(r.failure, "unreadable result"));
	px_plugin_result_fini(&r);
	assert_others_work();
	/* The default limit comes from the environment when set. */
	setenv("PRAXIS_PLUGIN_TIMEOUT_MS", "150", 1);
	assert_int_equal(px_plugin_audit(p, NULL, &s.c, NULL, &r), PX_EPLUGIN);
	assert_non_null(strstr(r.failure, "time limit of 150 ms exceeded"));
	px_plugin_result_fini(&r);
	unsetenv("PRAXIS_PLUGIN_TIMEOUT_MS");
	/* In French too. */
	px_lang_set(0);
	assert_int_equal(px_plugin_audit(p, NULL, &s.c, &o, &r), PX_EPLUGIN);
	assert_non_null(strstr(r.failure, "délai de 200 ms dépassé"));
	px_plugin_result_fini(&r);
	px_lang_set(1);
}

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#endif

/* A plugin that allocates without end is stopped by the child's memory
 * limit (not applied under AddressSanitizer: skipped there). */
static void
test_memory_hog(void **state)
{
	(void)state;
#ifdef TEST_ASAN
	skip();
#else
	small s;
	small_init(&s);
	px_plugin_result r;
	setenv("PRAXIS_PLUGIN_MEMORY_MB", "64", 1);
	assert_int_equal(px_plugin_audit(px_plugin_host_find(host, "fx_hog"), NULL, &s.c, NULL, &r), PX_EPLUGIN);
	assert_failed(&r);
	assert_false(r.timed_out);
	assert_int_equal(r.term_signal, SIGABRT);
	px_plugin_result_fini(&r);
	unsetenv("PRAXIS_PLUGIN_MEMORY_MB");
	assert_others_work();
#endif
}

static void
test_bad_view_refused(void **state)
{
	(void)state;
	small s;
	small_init(&s);
	s.c.size = 12;
	px_plugin_result r;
	assert_int_equal(px_plugin_audit(px_plugin_host_find(host, "example"), NULL, &s.c, NULL, &r),
	                 PX_EINVAL);
	assert_false(px_plugin_result_compliant(&r));
	px_plugin_result_fini(&r);
}

/* Without a check_change hook, the host keeps the findings about the
 * change's subjects; in and out of process agree. */
static void
test_change_filter(void **state)
{
	(void)state;
	const px_plugin *lau = px_plugin_host_find(host, "laurentides");
	small s;
	small_init(&s);
	/* Both members active without any protocol: two LAU-1. */
	px_plugin_result all, ch_r, inproc;
	assert_int_equal(px_plugin_audit(lau, NULL, &s.c, NULL, &all), PX_OK);
	size_t lau1 = 0;
	for (size_t i = 0; i < all.n_findings; i++)
		lau1 += strcmp(all.findings[i].rule_id, "LAU-1") == 0;
	assert_int_equal(lau1, 2);
	px_plugin_run_opts o = {.isolation = PX_PLUGIN_ISOLATE_NONE};
	assert_int_equal(px_plugin_audit(lau, NULL, &s.c, &o, &inproc), PX_OK);
	assert_int_equal(inproc.n_findings, all.n_findings);
	for (size_t i = 0; i < all.n_findings; i++) {
		assert_string_equal(inproc.findings[i].rule_id, all.findings[i].rule_id);
		assert_string_equal(inproc.findings[i].message_fr, all.findings[i].message_fr);
		assert_true(inproc.findings[i].member_id == all.findings[i].member_id);
	}
	pxp_change ch = {.kind = PXP_CHANGE_MEMBER_STATUS, .member_id = 2, .new_status = PXP_MEMBER_ACTIVE};
	assert_int_equal(px_plugin_check_change(lau, NULL, &s.c, &ch, NULL, &ch_r), PX_OK);
	assert_true(ch_r.n_findings > 0);
	bool saw = false;
	for (size_t i = 0; i < ch_r.n_findings; i++) {
		assert_true(ch_r.findings[i].member_id == 2);
		saw = saw || strcmp(ch_r.findings[i].rule_id, "LAU-1") == 0;
	}
	assert_true(saw);
	assert_true(px_plugin_result_refuses(&ch_r));
	px_plugin_result_fini(&all);
	px_plugin_result_fini(&inproc);
	px_plugin_result_fini(&ch_r);
}

static void
test_env_path_and_prefix(void **state)
{
	(void)state;
	/* PRAXIS_PLUGIN_PATH (set by ctest) is read when path is NULL; the
	 * build dir given by the caller is scanned too, without doubles. */
	px_plugin_host *h2;
	setenv("PRAXIS_PLUGIN_PATH", PXT_FIXTURE_DIR ":/nonexistent", 1);
	px_plugin_host_opts o = {.build_dir = PXT_PLUGIN_DIR, .prefix = "/nonexistent"};
	assert_int_equal(px_plugin_host_open(&o, &h2), PX_OK);
	assert_non_null(px_plugin_host_find(h2, "fx_crash"));
	assert_non_null(px_plugin_host_find(h2, "rocfm"));
	/* The fixture dir came first: its "laurentides" shadows the real one. */
	assert_string_equal(px_plugin_descriptor(px_plugin_host_find(h2, "laurentides"))->version, "9");
	px_plugin_host_close(h2);
	o.ignore_env = true;
	assert_int_equal(px_plugin_host_open(&o, &h2), PX_OK);
	assert_null(px_plugin_host_find(h2, "fx_crash"));
	assert_int_equal(px_plugin_host_count(h2), 5);
	assert_int_equal(px_plugin_host_refused_count(h2), 0);
	px_plugin_host_close(h2);
	unsetenv("PRAXIS_PLUGIN_PATH");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads_good_refuses_broken),
		cmocka_unit_test(test_refusal_in_french),
		cmocka_unit_test(test_tables_exposed),
		cmocka_unit_test(test_param_parser),
		cmocka_unit_test(test_param_overrides),
		cmocka_unit_test(test_crashing_plugin),
		cmocka_unit_test(test_looping_plugin),
		cmocka_unit_test(test_memory_hog),
		cmocka_unit_test(test_bad_view_refused),
		cmocka_unit_test(test_change_filter),
		cmocka_unit_test(test_env_path_and_prefix),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
