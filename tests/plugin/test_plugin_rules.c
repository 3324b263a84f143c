/* Every rule id of DOMAIN.md: triggered by a view that breaks it, silent
 * on the compliant view, through the real loaded plugins (forked runs,
 * as the node runs them). */
#define _DEFAULT_SOURCE
#include "pxt.h"
#include "px_plugin_host.h"
#include "views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static px_plugin_host *host;
static vw *v; /* ~600 KiB: on the heap */

static int
setup(void **state)
{
	(void)state;
	px_plugin_host_opts o = {.path = PXT_PLUGIN_DIR, .ignore_env = true, .prefix = "/nonexistent"};
	px_lang_set(0);
	v = calloc(1, sizeof(*v));
	return v != NULL && px_plugin_host_open(&o, &host) == PX_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	px_plugin_host_close(host);
	free(v);
	return 0;
}

/* Audits v with plugin name and optional overrides "a=b" (NULL-ended). */
static px_plugin_result
run_p(const char *name, const char *const *overrides)
{
	const px_plugin *p = px_plugin_host_find(host, name);
	assert_non_null(p);
	px_plugin_params *prm;
	char why[PX_PLUGIN_WHY_MAX];
	assert_int_equal(px_plugin_params_alloc(p, &prm), PX_OK);
	for (size_t i = 0; overrides && overrides[i]; i++)
		if (px_plugin_params_set(prm, overrides[i], why) != PX_OK)
			fail_msg("%s", why);
	px_plugin_result r;
	vw_wire(v);
	assert_int_equal(px_plugin_audit(p, prm, &v->c, NULL, &r), PX_OK);
	px_plugin_params_free(prm);
	/* Every finding cites a declared rule, in both languages. */
	for (size_t i = 0; i < r.n_findings; i++) {
		assert_non_null(px_plugin_rule(p, r.findings[i].rule_id));
		assert_true(r.findings[i].message_fr[0] != '\0' && r.findings[i].message_en[0] != '\0');
		assert_string_not_equal(r.findings[i].message_fr, r.findings[i].message_en);
	}
	return r;
}

static px_plugin_result
run(const char *name)
{
	return run_p(name, NULL);
}

/* The finding of rule with severity sev (-1: any), or NULL. */
static const px_plugin_finding *
find(const px_plugin_result *r, const char *rule, int sev)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (strcmp(r->findings[i].rule_id, rule) == 0 && (sev < 0 || (int)r->findings[i].severity == sev))
			return &r->findings[i];
	return NULL;
}

static size_t
count(const px_plugin_result *r, const char *rule)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_findings; i++)
		n += strcmp(r->findings[i].rule_id, rule) == 0;
	return n;
}

static void
dump(const px_plugin_result *r)
{
	for (size_t i = 0; i < r->n_findings; i++)
		print_message("  %s [%d] m=%llu mt=%llu mo=%d %s\n", r->findings[i].rule_id,
		              r->findings[i].severity, (unsigned long long)r->findings[i].member_id,
		              (unsigned long long)r->findings[i].meeting_id, r->findings[i].month,
		              r->findings[i].message_en);
}

/* Asserts that rule fires with severity sev about member/meeting/month
 * (0: not checked), then frees r. */
#define EXPECT(rr, rule, sev, mem, mtg, mon)                                                     \
	do {                                                                                     \
		const px_plugin_finding *f_ = find(&(rr), rule, sev);                            \
		if (f_ == NULL) {                                                                \
			dump(&(rr));                                                             \
			fail_msg("%s (severity %d) expected", rule, sev);                        \
		}                                                                                \
		if ((mem) != 0)                                                                  \
			assert_true(f_->member_id == (uint64_t)(mem));                           \
		if ((mtg) != 0)                                                                  \
			assert_true(f_->meeting_id == (uint64_t)(mtg));                          \
		if ((mon) != 0)                                                                  \
			assert_int_equal(f_->month, (mon));                                      \
		px_plugin_result_fini(&(rr));                                                    \
	} while (0)

/* The compliant view: no finding at all, not even an info. */
static void
expect_clean(const char *name)
{
	px_plugin_result r = run(name);
	if (r.n_findings != 0) {
		dump(&r);
		fail_msg("%s: compliant view gave %zu finding(s)", name, r.n_findings);
	}
	assert_true(px_plugin_result_compliant(&r));
	px_plugin_result_fini(&r);
}

/* ------------------------------------------------------------ Laurentides */

static void
test_lau_clean(void **state)
{
	(void)state;
	vw_laurentides(v);
	expect_clean("laurentides");
}

static void
test_lau1(void **state)
{
	(void)state;
	vw_laurentides(v);
	v->protocols[1].director_sig_valid = false; /* member 2 */
	px_plugin_result r = run("laurentides");
	assert_int_equal(count(&r, "LAU-1"), 1);
	assert_false(px_plugin_result_compliant(&r));
	EXPECT(r, "LAU-1", PXP_ERROR, 2, 0, 0);
	vw_laurentides(v);
	v->c.n_protocols = 3; /* member 4: no protocol */
	r = run("laurentides");
	EXPECT(r, "LAU-1", PXP_ERROR, 4, 0, 0);
	vw_laurentides(v);
	v->protocols[0].cancelled = true; /* a cancelled protocol does not count */
	r = run("laurentides");
	EXPECT(r, "LAU-1", PXP_ERROR, 1, 0, 0);
	/* A candidate without signatures is not a breach. */
	vw_laurentides(v);
	v->protocols[0].member_signed = false;
	v->members[0].status = PXP_MEMBER_CANDIDATE;
	r = run("laurentides");
	assert_int_equal(count(&r, "LAU-1"), 0);
	px_plugin_result_fini(&r);
}

static void
test_lau2(void **state)
{
	(void)state;
	vw_laurentides(v);
	v->protocols[2].has_birth_day_month = false;
	v->protocols[2].director_date = 0;
	px_plugin_result r = run("laurentides");
	const px_plugin_finding *f = find(&r, "LAU-2", PXP_ERROR);
	assert_non_null(f);
	assert_non_null(strstr(f->message_fr, "jour et mois de naissance"));
	assert_non_null(strstr(f->message_en, "director's signature date"));
	EXPECT(r, "LAU-2", PXP_ERROR, 3, 0, 0);
}

static void
test_lau3(void **state)
{
	(void)state;
	vw_laurentides(v);
	vw_att(v, 101, 1)->hours = 4; /* 4 h in January 2025 */
	px_plugin_result r = run("laurentides");
	assert_int_equal(count(&r, "LAU-3"), 1);
	assert_true(px_plugin_result_compliant(&r)); /* a warning only */
	EXPECT(r, "LAU-3", PXP_WARNING, 1, 0, 202501);
	/* Two 2 h meetings in one month: 4 h. */
	vw_laurentides(v);
	v->meetings[1].date = 20250120;
	v->meetings[1].kind = PXP_MEETING_TRAINING;
	r = run("laurentides");
	assert_int_equal(count(&r, "LAU-3"), 4); /* every member */
	EXPECT(r, "LAU-3", PXP_WARNING, 1, 0, 202501);
	/* Exactly 3 h is fine; a node may release more. */
	vw_laurentides(v);
	vw_att(v, 101, 1)->hours = 3;
	expect_clean("laurentides");
	vw_att(v, 101, 1)->hours = 4;
	const char *o[] = {"monthly_release_hours=4", NULL};
	r = run_p("laurentides", o);
	assert_int_equal(count(&r, "LAU-3"), 0);
	px_plugin_result_fini(&r);
}

static void
test_lau4(void **state)
{
	(void)state;
	vw_laurentides(v);
	v->meetings[2].date = 20250416; /* March has none now */
	px_plugin_result r = run("laurentides");
	assert_int_equal(count(&r, "LAU-4"), 1);
	EXPECT(r, "LAU-4", PXP_WARNING, 0, 0, 202503);
	vw_laurentides(v);
	v->meetings[0].modality = PXP_MODALITY_IN_PERSON;
	r = run("laurentides");
	EXPECT(r, "LAU-4", PXP_INFO, 0, 0, 202501);
}

static void
test_lau5(void **state)
{
	(void)state;
	vw_laurentides(v);
	vw_att(v, 102, 3)->rsvp = PXP_RSVP_NONE;
	vw_att(v, 102, 3)->present = false;
	vw_att(v, 103, 2)->rsvp = PXP_RSVP_ABSENCE_NOTIFIED; /* fine */
	vw_att(v, 103, 2)->present = false;
	px_plugin_result r = run("laurentides");
	assert_int_equal(count(&r, "LAU-5"), 1);
	EXPECT(r, "LAU-5", PXP_WARNING, 3, 102, 202502);
}

static void
test_lau6(void **state)
{
	(void)state;
	vw_laurentides(v);
	v->c.membership_fee = 20;
	px_plugin_result r = run("laurentides");
	EXPECT(r, "LAU-6", PXP_ERROR, 0, 0, 0);
	/* A view built by an older host (smaller size) has no fee field. */
	v->c.size = (uint32_t)offsetof(pxp_community, membership_fee);
	const px_plugin *p = px_plugin_host_find(host, "laurentides");
	px_plugin_run_opts o = {.isolation = PX_PLUGIN_ISOLATE_NONE};
	assert_int_equal(px_plugin_audit(p, NULL, &v->c, &o, &r), PX_EINVAL); /* host builds full views */
	px_plugin_result_fini(&r);
}

static void
test_lau7(void **state)
{
	(void)state;
	vw_laurentides(v);
	v->members[3].status = PXP_MEMBER_CANCELLED;
	px_plugin_result r = run("laurentides");
	EXPECT(r, "LAU-7", PXP_WARNING, 4, 0, 0);
	v->members[3].cancel_reason_recorded = true;
	r = run("laurentides");
	assert_int_equal(count(&r, "LAU-7"), 0);
	px_plugin_result_fini(&r);
}

static void
test_lau8(void **state)
{
	(void)state;
	vw_laurentides(v);
	v->members[2].directory_consent = false;
	px_plugin_result r = run("laurentides");
	EXPECT(r, "LAU-8", PXP_ERROR, 3, 0, 0);
	/* Not listed, no consent: respected, silent. */
	v->members[2].in_directory = false;
	r = run("laurentides");
	assert_int_equal(count(&r, "LAU-8"), 0);
	px_plugin_result_fini(&r);
}

static void
test_lau9(void **state)
{
	(void)state;
	vw_laurentides(v);
	v->c.n_surveys = 0;
	px_plugin_result r = run("laurentides");
	EXPECT(r, "LAU-9", PXP_WARNING, 0, 0, 0);
	vw_laurentides(v);
	v->c.tools_produced = 0;
	v->c.times_called_on = 0;
	r = run("laurentides");
	EXPECT(r, "LAU-9", PXP_INFO, 0, 0, 0);
	/* The indicators the plan asks for. */
	vw_laurentides(v);
	vw_wire(v);
	assert_int_equal(px_plugin_indicators(px_plugin_host_find(host, "laurentides"), NULL, &v->c, NULL, &r),
	                 PX_OK);
	/* Only what the core report lacks: tools and solicitations (memberships,
	 * protocols and satisfaction are core indicators). */
	bool tools = false;
	for (size_t i = 0; i < r.n_indicators; i++) {
		assert_null(strstr(r.indicators[i].name, "satisfaction"));
		if (strcmp(r.indicators[i].name, "lau_tools_produced") == 0) {
			assert_true(r.indicators[i].value == 2);
			tools = true;
		}
	}
	assert_true(tools);
	px_plugin_result_fini(&r);
}

/* ------------------------------------------------------------------ ROCFM */

static void
test_roc_clean(void **state)
{
	(void)state;
	vw_rocfm(v);
	expect_clean("rocfm");
}

static void
test_roc1(void **state)
{
	(void)state;
	vw_rocfm(v);
	v->orgs[1].rocfm_member = false; /* org 2: members 1 and 3 */
	px_plugin_result r = run("rocfm");
	assert_int_equal(count(&r, "ROC-1"), 2);
	EXPECT(r, "ROC-1", PXP_ERROR, 1, 0, 0);
}

static void
test_roc2(void **state)
{
	(void)state;
	vw_rocfm(v);
	v->meetings[6].kind = PXP_MEETING_REGULAR; /* September is no longer a review */
	v->meetings[3].duration_hours = 2;          /* April: 2 h */
	v->c.n_meetings = 7;                        /* no December welcome */
	px_plugin_result r = run("rocfm");
	assert_int_equal(count(&r, "ROC-2"), 3);
	/* The audit announces the 8 expected meetings of 2025. */
	assert_int_equal(r.n_expected, 8);
	const px_plugin_finding *f = find(&r, "ROC-2", PXP_INFO);
	assert_non_null(f);
	assert_int_equal(f->month, 202504);
	EXPECT(r, "ROC-2", PXP_WARNING, 0, 0, 202509);
	vw_rocfm(v);
	v->c.n_meetings = 7;
	r = run("rocfm");
	EXPECT(r, "ROC-2", PXP_WARNING, 0, 0, 202512);
	/* A welcome late in December is not "early December". */
	vw_rocfm(v);
	v->meetings[7].date = 20251222;
	r = run("rocfm");
	EXPECT(r, "ROC-2", PXP_WARNING, 0, 0, 202512);
	/* Months not over yet are not reported. */
	vw_rocfm(v);
	v->c.today = 20250820;
	v->c.n_meetings = 6;
	r = run("rocfm");
	assert_int_equal(count(&r, "ROC-2"), 0);
	px_plugin_result_fini(&r);
}

static void
test_roc2_calendar(void **state)
{
	(void)state;
	vw_rocfm(v);
	vw_wire(v);
	const px_plugin *p = px_plugin_host_find(host, "rocfm");
	px_plugin_result r;
	assert_int_equal(px_plugin_calendar(p, NULL, &v->c, 2026, NULL, &r), PX_OK);
	assert_int_equal(r.n_expected, 8);
	int regular = 0;
	for (size_t i = 0; i < r.n_expected; i++) {
		assert_true(r.expected[i].hours == 3);
		assert_int_equal(r.expected[i].date / 10000, 2026);
		regular += r.expected[i].kind == PXP_MEETING_REGULAR;
		if (r.expected[i].kind == PXP_MEETING_REVIEW)
			assert_int_equal(r.expected[i].date / 100 % 100, 9);
		if (r.expected[i].kind == PXP_MEETING_WELCOME)
			assert_int_equal(r.expected[i].date / 100 % 100, 12);
	}
	assert_int_equal(regular, 6);
	px_plugin_result_fini(&r);
	px_plugin_params *prm;
	char why[PX_PLUGIN_WHY_MAX];
	assert_int_equal(px_plugin_params_alloc(p, &prm), PX_OK);
	assert_int_equal(px_plugin_params_set(prm, "meeting_hours=2.5", why), PX_OK);
	assert_int_equal(px_plugin_calendar(p, prm, &v->c, 2026, NULL, &r), PX_OK);
	assert_true(r.expected[0].hours == 2.5);
	px_plugin_result_fini(&r);
	px_plugin_params_free(prm);
}

static void
test_roc3(void **state)
{
	(void)state;
	vw_rocfm(v);
	v->hours[1].hours = 1; /* 2.5 h in March */
	px_plugin_result r = run("rocfm");
	EXPECT(r, "ROC-3", PXP_WARNING, 1, 0, 202503);
}

static void
test_roc4(void **state)
{
	(void)state;
	vw_rocfm(v);
	v->meetings[2].venue_org_id = 2; /* not a volunteer venue */
	px_plugin_result r = run("rocfm");
	EXPECT(r, "ROC-4", PXP_WARNING, 0, 103, 202503);
	vw_rocfm(v);
	v->meetings[2].modality = 0;
	r = run("rocfm");
	EXPECT(r, "ROC-4", PXP_WARNING, 0, 103, 0);
}

static void
test_roc5(void **state)
{
	(void)state;
	vw_rocfm(v);
	v->c.n_facilitators = 1;
	px_plugin_result r = run("rocfm");
	EXPECT(r, "ROC-5", PXP_WARNING, 0, 0, 0);
	/* A coordinator recorded as a member's role counts. */
	v->members[3].role = PXP_ROLE_COORDINATOR;
	expect_clean("rocfm");
}

static void
test_roc6(void **state)
{
	(void)state;
	vw_rocfm(v);
	v->meetings[4].theme_chosen_by_members = false;
	v->meetings[4].kind = PXP_MEETING_TRAINING;
	px_plugin_result r = run("rocfm");
	const px_plugin_finding *f = find(&r, "ROC-6", PXP_WARNING);
	assert_non_null(f);
	assert_non_null(strstr(f->message_en, "(training)"));
	assert_null(strstr(f->message_en, "formation"));
	EXPECT(r, "ROC-6", PXP_WARNING, 0, 105, 202505);
}

/* ------------------------------------------------------------------ CISSS */

static void
test_cis_clean(void **state)
{
	(void)state;
	vw_cisss(v);
	expect_clean("cisss");
}

static void
test_cis1(void **state)
{
	(void)state;
	vw_cisss(v);
	v->members[2].job_title = "Infirmière";
	px_plugin_result r = run("cisss");
	EXPECT(r, "CIS-1", PXP_ERROR, 3, 0, 0);
	vw_cisss(v);
	v->c.job_title = "";
	r = run("cisss");
	EXPECT(r, "CIS-1", PXP_WARNING, 0, 0, 0);
}

static void
test_cis2(void **state)
{
	(void)state;
	vw_cisss(v);
	v->members[1].participation_imposed = true;
	px_plugin_result r = run("cisss");
	EXPECT(r, "CIS-2", PXP_ERROR, 2, 0, 0);
	vw_cisss(v);
	v->plan[2].level = PXP_PLAN_GENERAL;
	r = run("cisss");
	EXPECT(r, "CIS-2", PXP_WARNING, 0, 0, 0);
}

static void
test_cis3(void **state)
{
	(void)state;
	vw_cisss(v);
	v->hours[1].hours = 7; /* 12 + 6 + 7 = 25 h in 2025 */
	px_plugin_result r = run("cisss");
	assert_false(px_plugin_result_compliant(&r));
	const px_plugin_finding *f = find(&r, "CIS-3", PXP_ERROR);
	assert_non_null(f);
	assert_non_null(strstr(f->message_fr, "25.0 h en 2025"));
	EXPECT(r, "CIS-3", PXP_ERROR, 1, 0, 0);
	/* A manager's approval of 5 more hours: an info, not an error. */
	v->approvals[0] = (pxp_approval){.member_id = 1, .year = 2025, .extra_hours = 5, .date = 20250301};
	v->c.n_approvals = 1;
	r = run("cisss");
	assert_null(find(&r, "CIS-3", PXP_ERROR));
	assert_true(px_plugin_result_compliant(&r));
	EXPECT(r, "CIS-3", PXP_INFO, 1, 0, 0);
	/* An approval of another year or member does not count. */
	v->approvals[0].year = 2024;
	r = run("cisss");
	EXPECT(r, "CIS-3", PXP_ERROR, 1, 0, 0);
	/* The node may raise the cap. */
	v->c.n_approvals = 0;
	const char *o[] = {"annual_hours_cap=30", NULL};
	r = run_p("cisss", o);
	assert_int_equal(count(&r, "CIS-3"), 0);
	px_plugin_result_fini(&r);
}

static void
test_cis4(void **state)
{
	(void)state;
	vw_cisss(v);
	v->c.n_facilitators = 0;
	px_plugin_result r = run("cisss");
	EXPECT(r, "CIS-4", PXP_ERROR, 0, 0, 0);
	vw_cisss(v);
	v->fac[0].mandate_end = 20260228; /* six months */
	r = run("cisss");
	EXPECT(r, "CIS-4", PXP_WARNING, 2, 0, 0);
	vw_cisss(v);
	v->fac[0].mandate_start = 20240901;
	v->fac[0].mandate_end = 20250831; /* over */
	r = run("cisss");
	EXPECT(r, "CIS-4", PXP_WARNING, 2, 0, 0);
}

static void
test_cis5(void **state)
{
	(void)state;
	vw_cisss(v);
	v->c.plan_start = v->c.plan_end = 0;
	v->c.n_plan = 0;
	px_plugin_result r = run("cisss");
	EXPECT(r, "CIS-5", PXP_ERROR, 0, 0, 0);
	vw_cisss(v);
	v->c.has_annual_report = false;
	r = run("cisss");
	EXPECT(r, "CIS-5", PXP_WARNING, 0, 0, 0);
	/* Not yet due while the year runs. */
	v->c.today = 20251001;
	r = run("cisss");
	assert_int_equal(count(&r, "CIS-5"), 0);
	px_plugin_result_fini(&r);
}

static void
test_cis6(void **state)
{
	(void)state;
	vw_cisss(v);
	v->c.sponsor = "";
	px_plugin_result r = run("cisss");
	EXPECT(r, "CIS-6", PXP_ERROR, 0, 0, 0);
	v->fac[v->c.n_facilitators++] = (pxp_facilitator){.role = PXP_FAC_SPONSOR};
	expect_clean("cisss");
}

static void
test_cis7(void **state)
{
	(void)state;
	vw_cisss(v);
	v->plan[2].category = "autre";
	px_plugin_result r = run("cisss");
	EXPECT(r, "CIS-7", PXP_WARNING, 0, 0, 0);
	const char *cats[] = {PXP_CIS7_MUTUAL_AID, PXP_CIS7_KNOWLEDGE, PXP_CIS7_SKILLS, PXP_CIS7_ORG_NEED};
	for (size_t i = 0; i < 4; i++) {
		v->plan[2].category = cats[i];
		expect_clean("cisss");
	}
}

/* ---------------------------------------------------------------- Brusano */

static void
test_bru_clean(void **state)
{
	(void)state;
	vw_brusano(v);
	expect_clean("brusano");
}

static void
test_bru1(void **state)
{
	(void)state;
	vw_brusano(v);
	vw_member(v, 15, 1, PXP_ROLE_MEMBER, 20250825);
	px_plugin_result r = run("brusano");
	const px_plugin_finding *f = find(&r, "BRU-1", PXP_ERROR);
	assert_non_null(f);
	assert_non_null(strstr(f->message_fr, "15 personnes"));
	EXPECT(r, "BRU-1", PXP_ERROR, 0, 0, 0);
	/* The cap is a parameter. */
	const char *o[] = {"max_group_size=15", NULL};
	r = run_p("brusano", o);
	assert_int_equal(count(&r, "BRU-1"), 0);
	px_plugin_result_fini(&r);
	/* One organization, one sector, one discipline. */
	vw_brusano(v);
	for (size_t i = 0; i < v->c.n_members; i++) {
		v->members[i].org_id = 1;
		v->members[i].discipline = "psychologie";
	}
	r = run("brusano");
	assert_int_equal(count(&r, "BRU-1"), 3);
	EXPECT(r, "BRU-1", PXP_WARNING, 0, 0, 0);
}

static void
test_bru2(void **state)
{
	(void)state;
	vw_brusano(v);
	v->members[13].role = PXP_ROLE_MEMBER;
	px_plugin_result r = run("brusano");
	EXPECT(r, "BRU-2", PXP_ERROR, 0, 0, 0);
	/* A moderator recorded as a facilitator completes the pair. */
	v->fac[v->c.n_facilitators++] = (pxp_facilitator){.role = PXP_FAC_MODERATOR, .member_id = 99};
	expect_clean("brusano");
	/* The same person twice is still one. */
	v->fac[v->c.n_facilitators - 1].member_id = 13;
	v->fac[v->c.n_facilitators - 1].member_id = 13;
	r = run("brusano");
	EXPECT(r, "BRU-2", PXP_ERROR, 0, 0, 0);
}

static void
test_bru3(void **state)
{
	(void)state;
	vw_brusano(v);
	for (int m = 3; m < 11; m++) /* 11 sessions */
		vw_meeting(v, 200 + (uint64_t)m, PXP_MEETING_REGULAR, 20251101 + m, 3, PXP_MODALITY_VIRTUAL);
	px_plugin_result r = run("brusano");
	EXPECT(r, "BRU-3", PXP_WARNING, 0, 0, 0);
	vw_brusano(v);
	v->c.cycle_start = 20250801;
	r = run("brusano");
	EXPECT(r, "BRU-3", PXP_WARNING, 0, 0, 0);
	vw_brusano(v);
	v->c.cycle_start = v->c.cycle_end = 0;
	r = run("brusano");
	EXPECT(r, "BRU-3", PXP_ERROR, 0, 0, 0);
	/* A finished cycle with 3 sessions of 10. */
	vw_brusano(v);
	v->c.today = 20260715;
	r = run("brusano");
	const px_plugin_finding *f = find(&r, "BRU-3", PXP_WARNING);
	assert_non_null(f);
	assert_non_null(strstr(f->message_en, "3 session(s) in the cycle instead of 10"));
	px_plugin_result_fini(&r);
}

static void
test_bru4(void **state)
{
	(void)state;
	vw_brusano(v);
	v->members[4].joined = 20251001; /* member 5 joined a started cycle */
	px_plugin_result r = run("brusano");
	assert_false(px_plugin_result_compliant(&r));
	EXPECT(r, "BRU-4", PXP_ERROR, 5, 0, 202510);
	/* Before the cycle starts, joining is fine. */
	v->c.today = 20250815;
	v->c.cycle_start = 20250901;
	v->members[4].joined = 20250810;
	r = run("brusano");
	assert_int_equal(count(&r, "BRU-4"), 0);
	px_plugin_result_fini(&r);
}

/* The node's change-time check: adding a member to a started cycle is
 * refused; adding one before the start is accepted. */
static void
test_bru4_change(void **state)
{
	(void)state;
	const px_plugin *p = px_plugin_host_find(host, "brusano");
	vw_brusano(v);
	v->c.n_members = 12; /* room in the group */
	v->members[v->c.n_members - 1].role = PXP_ROLE_MODERATOR;
	v->members[v->c.n_members - 2].role = PXP_ROLE_MODERATOR;
	vw_member(v, 40, 2, PXP_ROLE_MEMBER, 0); /* joins today */
	vw_wire(v);
	pxp_change ch = {.kind = PXP_CHANGE_MEMBER_ADD, .member_id = 40};
	px_plugin_result r;
	assert_int_equal(px_plugin_check_change(p, NULL, &v->c, &ch, NULL, &r), PX_OK);
	assert_true(px_plugin_result_refuses(&r));
	EXPECT(r, "BRU-4", PXP_ERROR, 40, 0, 202511);
	v->c.today = 20250820;
	assert_int_equal(px_plugin_check_change(p, NULL, &v->c, &ch, NULL, &r), PX_OK);
	assert_false(px_plugin_result_refuses(&r));
	px_plugin_result_fini(&r);
	/* The 15th person is refused by BRU-1 even before the cycle. */
	vw_brusano(v);
	v->c.today = 20250820;
	vw_member(v, 41, 2, PXP_ROLE_MEMBER, 20250820);
	vw_wire(v);
	ch.member_id = 41;
	assert_int_equal(px_plugin_check_change(p, NULL, &v->c, &ch, NULL, &r), PX_OK);
	assert_null(find(&r, "BRU-4", -1));
	EXPECT(r, "BRU-1", PXP_ERROR, 0, 0, 0);
}

static void
test_bru5(void **state)
{
	(void)state;
	vw_brusano(v);
	v->c.region = "";
	px_plugin_result r = run("brusano");
	EXPECT(r, "BRU-5", PXP_ERROR, 0, 0, 0);
}

static void
test_bru6(void **state)
{
	(void)state;
	vw_brusano(v);
	v->members[0].role = PXP_ROLE_FACILITATOR;
	px_plugin_result r = run("brusano");
	EXPECT(r, "BRU-6", PXP_WARNING, 1, 0, 0);
	vw_brusano(v);
	v->members[1].discipline = "";
	r = run("brusano");
	EXPECT(r, "BRU-6", PXP_INFO, 2, 0, 0);
}

static void
test_bru7(void **state)
{
	(void)state;
	vw_brusano(v);
	v->c.n_facilitators = 0;
	px_plugin_result r = run("brusano");
	EXPECT(r, "BRU-7", PXP_WARNING, 0, 0, 0);
	vw_brusano(v);
	vw_wire(v);
	assert_int_equal(px_plugin_indicators(px_plugin_host_find(host, "brusano"), NULL, &v->c, NULL, &r), PX_OK);
	assert_int_equal(r.n_indicators, 3);
	assert_string_equal(r.indicators[0].name, "bru_group_size");
	assert_true(r.indicators[0].value == 14);
	assert_true(r.indicators[1].value == 3);
	assert_true(r.indicators[2].value == 10);
	px_plugin_result_fini(&r);
}

/* Issue 4's change-time examples through the host's subject filter (no
 * check_change hook): a CISSS member's 25th hour is a CIS-3 error about
 * her; a Laurentides member's 4th meeting hour in a month a LAU-3 warning
 * of that month only. */
static void
test_change_examples(void **state)
{
	(void)state;
	px_plugin_result r;
	vw_cisss(v);
	v->hours[1].hours = 7; /* member 1: 25 h */
	vw_wire(v);
	pxp_change ch = {.kind = PXP_CHANGE_HOURS, .member_id = 1, .month = 202505};
	assert_int_equal(px_plugin_check_change(px_plugin_host_find(host, "cisss"), NULL, &v->c, &ch, NULL, &r),
	                 PX_OK);
	assert_true(px_plugin_result_refuses(&r));
	assert_int_equal(r.n_findings, 1);
	EXPECT(r, "CIS-3", PXP_ERROR, 1, 0, 0);
	ch.member_id = 2; /* another member's hours: nothing about her */
	assert_int_equal(px_plugin_check_change(px_plugin_host_find(host, "cisss"), NULL, &v->c, &ch, NULL, &r),
	                 PX_OK);
	assert_int_equal(r.n_findings, 0);
	px_plugin_result_fini(&r);

	vw_laurentides(v);
	vw_att(v, 101, 1)->hours = 4; /* January */
	vw_att(v, 103, 1)->hours = 4; /* March */
	vw_wire(v);
	pxp_change ca = {.kind = PXP_CHANGE_ATTENDANCE, .member_id = 1, .meeting_id = 103, .month = 202503};
	assert_int_equal(
		px_plugin_check_change(px_plugin_host_find(host, "laurentides"), NULL, &v->c, &ca, NULL, &r), PX_OK);
	assert_false(px_plugin_result_refuses(&r)); /* a warning does not refuse */
	assert_int_equal(count(&r, "LAU-3"), 1);
	EXPECT(r, "LAU-3", PXP_WARNING, 1, 0, 202503);
}

/* English messages when LANG says so is the node's choice: both are kept. */
static void
test_messages_both_languages(void **state)
{
	(void)state;
	vw_cisss(v);
	v->c.sponsor = "";
	px_plugin_result r = run("cisss");
	const px_plugin_finding *f = find(&r, "CIS-6", PXP_ERROR);
	assert_non_null(f);
	assert_string_equal(f->message_fr, "Aucun·e gestionnaire ne parraine la communauté");
	assert_string_equal(f->message_en, "No manager sponsors the community");
	px_plugin_result_fini(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lau_clean), cmocka_unit_test(test_lau1), cmocka_unit_test(test_lau2),
		cmocka_unit_test(test_lau3), cmocka_unit_test(test_lau4), cmocka_unit_test(test_lau5),
		cmocka_unit_test(test_lau6), cmocka_unit_test(test_lau7), cmocka_unit_test(test_lau8),
		cmocka_unit_test(test_lau9),
		cmocka_unit_test(test_roc_clean), cmocka_unit_test(test_roc1), cmocka_unit_test(test_roc2),
		cmocka_unit_test(test_roc2_calendar), cmocka_unit_test(test_roc3), cmocka_unit_test(test_roc4),
		cmocka_unit_test(test_roc5), cmocka_unit_test(test_roc6),
		cmocka_unit_test(test_cis_clean), cmocka_unit_test(test_cis1), cmocka_unit_test(test_cis2),
		cmocka_unit_test(test_cis3), cmocka_unit_test(test_cis4), cmocka_unit_test(test_cis5),
		cmocka_unit_test(test_cis6), cmocka_unit_test(test_cis7),
		cmocka_unit_test(test_bru_clean), cmocka_unit_test(test_bru1), cmocka_unit_test(test_bru2),
		cmocka_unit_test(test_bru3), cmocka_unit_test(test_bru4), cmocka_unit_test(test_bru4_change),
		cmocka_unit_test(test_bru5), cmocka_unit_test(test_bru6), cmocka_unit_test(test_bru7),
		cmocka_unit_test(test_change_examples),
		cmocka_unit_test(test_messages_both_languages),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
