/* Community reports: periods, each indicator on a hand-built view,
 * suppression at k-1 / k, sign and verify with flipped-byte twins. */
#define _GNU_SOURCE
#include "px.h"
#include "px_crypto.h"
#include "px_report.h"
#include "pxt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
test_periods(void **state)
{
	(void)state;
	px_period p;
	char buf[PX_PERIOD_STRLEN];
	assert_int_equal(px_period_parse("2025-03", &p), PX_OK);
	assert_int_equal(p.kind, PX_PERIOD_MONTH);
	assert_int_equal(p.year, 2025);
	assert_int_equal(p.index, 3);
	assert_int_equal(px_period_first_day(p), 20250301);
	assert_int_equal(px_period_last_day(p), 20250331);
	px_period_format(p, buf);
	assert_string_equal(buf, "2025-03");
	assert_int_equal(px_period_parse("2024-02", &p), PX_OK);
	assert_int_equal(px_period_last_day(p), 20240229);
	assert_int_equal(px_period_parse("2025-q1", &p), PX_OK);
	assert_int_equal(p.kind, PX_PERIOD_QUARTER);
	px_period_format(p, buf);
	assert_string_equal(buf, "2025-Q1");
	assert_int_equal(px_period_first_day(p), 20250101);
	assert_int_equal(px_period_last_day(p), 20250331);
	assert_true(px_period_contains(p, 20250315));
	assert_false(px_period_contains(p, 20250401));
	assert_int_equal(px_period_parse("2025-Q4", &p), PX_OK);
	assert_int_equal(px_period_last_day(p), 20251231);
	px_period n = px_period_next(p);
	px_period_format(n, buf);
	assert_string_equal(buf, "2026-Q1");
	px_period_format(px_period_prev(n), buf);
	assert_string_equal(buf, "2025-Q4");
	assert_int_equal(px_period_parse("2025", &p), PX_OK);
	assert_int_equal(p.kind, PX_PERIOD_YEAR);
	assert_int_equal(px_period_first_day(p), 20250101);
	assert_int_equal(px_period_last_day(p), 20251231);
	px_period_format(px_period_prev(p), buf);
	assert_string_equal(buf, "2024");
	assert_int_equal(px_period_parse("2025-01", &p), PX_OK);
	px_period_format(px_period_prev(p), buf);
	assert_string_equal(buf, "2024-12");
	assert_int_equal(px_period_of(PX_PERIOD_QUARTER, 20250815, &p), PX_OK);
	px_period_format(p, buf);
	assert_string_equal(buf, "2025-Q3");
	assert_int_equal(px_period_of(PX_PERIOD_MONTH, 20250231, &p), PX_EINVAL);
	const char *bad[] = {"",      "2025-13", "2025-00",    "2025-Q5", "2025-Q0",
	                     "25-03", "2025-3",  "2025-03-01", "abcd",    "2025-Qx",
	                     "0999",  "2025 ",   "2025/03",    NULL};
	for (int i = 0; bad[i] != NULL; i++)
		assert_int_equal(px_period_parse(bad[i], &p), PX_EINVAL);
}

/* ---- the hand-built view (numbers worked out in the comments) ---- */

#define M(id_, org_, st_, j_, l_)                                                                  \
	{                                                                                          \
		.id = (id_), .org_id = (org_), .status = (st_), .joined = (j_), .left = (l_),      \
		.job_title = "", .discipline = ""                                                  \
	}
static const pxp_member hb_members[] = {
    M(1, 10, PXP_MEMBER_ACTIVE, 20240101, 0),         M(2, 10, PXP_MEMBER_ACTIVE, 20240101, 0),
    M(3, 20, PXP_MEMBER_ACTIVE, 20240101, 0),         M(4, 20, PXP_MEMBER_ACTIVE, 20240101, 0),
    M(5, 30, PXP_MEMBER_ACTIVE, 20240101, 0),         M(6, 30, PXP_MEMBER_ACTIVE, 20240101, 0),
    M(7, 30, PXP_MEMBER_SUSPENDED, 20240101, 0),      M(8, 40, PXP_MEMBER_ACTIVE, 20240101, 0),
    M(9, 40, PXP_MEMBER_ACTIVE, 20250310, 0),         /* new in March */
    M(10, 50, PXP_MEMBER_ALUMNI, 20240101, 20250320), /* left in March */
    M(11, 60, PXP_MEMBER_ALUMNI, 20240101, 20250201), /* left before: not counted */
    M(12, 60, PXP_MEMBER_CANDIDATE, 20250301, 0),     /* candidate: not a member */
    M(13, 60, PXP_MEMBER_ACTIVE, 20250401, 0),        /* joins later */
};
/* active = 1..10 = 10, new = 1, left = 1, organizations {10,20,30,40,50} = 5 */

#define P(m_, ok_, canc_)                                                                          \
	{                                                                                          \
		.member_id = (m_), .cancelled = (canc_), .member_signed = true,                    \
		.member_sig_valid = (ok_), .director_signed = true, .director_sig_valid = true     \
	}
static const pxp_protocol hb_protocols[] = {
    P(1, true, false), P(2, true, false),  P(3, true, false), P(4, true, false),  P(5, true, false),
    P(6, true, false), P(7, false, false), P(8, true, true),  P(11, true, false),
};
/* protocols_signed_valid = 6 (7 has a bad signature, 8 is cancelled, 11 not active) */

static const pxp_meeting hb_meetings[] = {
    {.id = 1, .date = 20250305, .duration_hours = 3},
    {.id = 2, .date = 20250319, .duration_hours = 2},
    {.id = 3, .date = 20250325, .duration_hours = 3}, /* after today: not held */
    {.id = 4, .date = 20250210, .duration_hours = 3}, /* February */
};
/* meetings_held = 2 */

#define A(mt_, m_, r_, p_, h_)                                                                     \
	{                                                                                          \
		.meeting_id = (mt_), .member_id = (m_), .rsvp = (r_), .present = (p_),             \
		.hours = (h_)                                                                      \
	}
static const pxp_attendance hb_attendance[] = {
    A(1, 1, 1, true, 0),   A(1, 2, 1, true, 0),   A(1, 3, 1, true, 0),   A(1, 4, 1, true, 0),
    A(1, 5, 1, true, 0),   A(1, 6, 1, true, 0),   A(1, 7, 1, true, 0),   A(1, 8, 1, true, 0),
    A(1, 9, 2, false, 0),  A(1, 10, 0, false, 0), A(2, 1, 1, true, 2.5), A(2, 2, 1, true, 2.5),
    A(2, 3, 1, true, 2.5), A(2, 4, 1, false, 0),  A(2, 5, 0, false, 0),  A(4, 1, 1, true, 3),
    A(3, 2, 1, true, 3),   A(1, 11, 1, true, 3),
};
/* records 15, presents 11, answered 13, people with a record 10:
 * attendance_rate 11/15, rsvp_rate 13/15 */

static const pxp_hours hb_hours[] = {
    {1, 202503, 4.0},
    {2, 202503, 1.0},
    {4, 202502, 5.0},
    {12, 202503, 9.0},
};
/* hours: m1 3+2.5+4 = 9.5, m2 3+2.5+1 = 6.5, m3 3+2.5 = 5.5, m4..m8 3 each:
 * total 36.5 over 8 people, mean per active member 3.65 */

static const pxp_approval hb_approvals[] = {
    {.member_id = 3, .year = 2025, .extra_hours = 1.0},
    {.member_id = 2, .year = 2024, .extra_hours = 10.0},
};
/* cap 5: m1 and m2 over (m3 allowed 6 by approval): members_over_cap = 2 */

static const pxp_plan_item hb_plan[] = {
    {.id = 1, .level = PXP_PLAN_SPECIFIC, .obtained = PXP_RESULT_YES, .category = ""},
    {.id = 2, .level = PXP_PLAN_SPECIFIC, .obtained = PXP_RESULT_YES, .category = ""},
    {.id = 3, .level = PXP_PLAN_MEANS, .obtained = PXP_RESULT_YES, .category = ""},
    {.id = 4, .level = PXP_PLAN_SPECIFIC, .obtained = PXP_RESULT_NO, .category = ""},
    {.id = 5, .level = PXP_PLAN_SPECIFIC, .obtained = PXP_RESULT_NO, .category = ""},
    {.id = 6, .level = PXP_PLAN_SPECIFIC, .obtained = PXP_RESULT_PENDING, .category = ""},
};

static const int32_t ans1[] = {5, 4}, ans2[] = {3}, ans3[] = {4, 9, 0}, ans4[] = {1, 1};
static const pxp_survey hb_surveys[] = {
    {1, "2025-03", ans1, 2},  {2, "2025-03", ans2, 1},
    {3, "2025-03", ans3, 3},  {4, "2025", ans4, 2}, /* a yearly survey: not inside March */
    {11, "2025-03", ans4, 2},                       /* not active */
    {5, "2025-03", NULL, 0},                        /* no answer */
};
/* satisfaction_mean (5+4+3+4)/4 = 4.0, surveys 3, respondents 3 */

static pxp_community
hb_view(void)
{
	pxp_community c = {0};
	c.size = sizeof c;
	c.id = 7;
	c.name = "CdP Laurentides";
	c.framework = "laurentides";
	c.region = "Laurentides";
	c.job_title = "";
	c.sponsor = "";
	c.plan_start = 20250101;
	c.plan_end = 20251231;
	c.today = 20250322;
#define SET(f) c.f = hb_##f, c.n_##f = sizeof hb_##f / sizeof hb_##f[0]
	SET(members);
	SET(protocols);
	SET(meetings);
	SET(attendance);
	SET(hours);
	SET(approvals);
	SET(plan);
	SET(surveys);
#undef SET
	return c;
}

static const px_finding_count hb_findings[] = {
    {"LAU-5", PXP_WARNING, 5},
    {"LAU-1", PXP_ERROR, 2},
    {"LAU-5", PXP_WARNING, 1},
    {"LAU-4", PXP_INFO, 0},
};
static const px_indicator hb_plugin[] = {
    {"tools_produced", 3, 0},
    {"consent_rate", 0.9, 8},
};

static Praxis__CommunityReport *
hb_build(uint32_t k)
{
	pxp_community v = hb_view();
	px_period p;
	assert_int_equal(px_period_parse("2025-03", &p), PX_OK);
	px_report_opts o = {.community_uid = "node-ab12:7",
	                    .k = k,
	                    .revision = 1,
	                    .generated_at = 1742600000,
	                    .meetings_expected = 1,
	                    .hours_cap = 5,
	                    .plugin_ok = true};
	Praxis__CommunityReport *r = NULL;
	assert_int_equal(px_report_build(&v, p, &o, hb_findings, 4, hb_plugin, 2, &r), PX_OK);
	return r;
}

static void
expect(const Praxis__CommunityReport *r, const char *name, double value, uint32_t pop,
       bool suppressed)
{
	const Praxis__Indicator *in = px_report_find(r, name);
	if (in == NULL)
		fail_msg("indicator %s missing", name);
	if (fabs(in->value - value) > 1e-9 || in->population != pop || in->suppressed != suppressed)
		fail_msg("%s: got %g/%u/%d, want %g/%u/%d", name, in->value, in->population,
		         in->suppressed, value, pop, suppressed);
}

static void
test_indicators(void **state)
{
	(void)state;
	/* k = 1: nothing is suppressed, every figure shows. */
	Praxis__CommunityReport *r = hb_build(1);
	assert_string_equal(r->period, "2025-03");
	assert_int_equal(r->period_kind, PRAXIS__PERIOD_KIND__PERIOD_MONTH);
	assert_string_equal(r->framework, "laurentides");
	assert_int_equal(r->k, 1);
	expect(r, PX_IND_ORGANIZATIONS, 5, 10, false);
	expect(r, PX_IND_MEMBERS_ACTIVE, 10, 10, false);
	expect(r, PX_IND_MEMBERS_NEW, 1, 1, false);
	expect(r, PX_IND_MEMBERS_LEFT, 1, 1, false);
	expect(r, PX_IND_PROTOCOLS_SIGNED_VALID, 6, 6, false);
	expect(r, PX_IND_MEETINGS_HELD, 2, 0, false);
	expect(r, PX_IND_MEETINGS_EXPECTED, 1, 0, false);
	expect(r, PX_IND_ATTENDANCE_RATE, 11.0 / 15, 10, false);
	expect(r, PX_IND_RSVP_RATE, 13.0 / 15, 10, false);
	expect(r, PX_IND_HOURS_TOTAL, 36.5, 8, false);
	expect(r, PX_IND_HOURS_PER_MEMBER_MEAN, 3.65, 10, false);
	expect(r, PX_IND_MEMBERS_OVER_CAP, 2, 2, false);
	expect(r, PX_IND_PLAN_OBJECTIVES_YES, 3, 0, false);
	expect(r, PX_IND_PLAN_OBJECTIVES_NO, 2, 0, false);
	expect(r, PX_IND_SATISFACTION_MEAN, 4.0, 3, false);
	expect(r, PX_IND_SURVEYS, 3, 3, false);
	expect(r, "tools_produced", 3, 0, false);
	expect(r, "consent_rate", 0.9, 8, false);
	assert_int_equal(r->n_indicators, 18);
	/* Findings merged and sorted. */
	assert_int_equal(r->n_findings, 3);
	assert_string_equal(r->findings[0]->rule_id, "LAU-1");
	assert_int_equal(r->findings[0]->count, 2);
	assert_string_equal(r->findings[1]->rule_id, "LAU-4");
	assert_string_equal(r->findings[2]->rule_id, "LAU-5");
	assert_int_equal(r->findings[2]->count, 6);
	px_report_free(r);

	/* k = 5 on the same community: R1, R2 and R3 at work. */
	r = hb_build(5);
	assert_int_equal(r->k, 5);
	expect(r, PX_IND_ORGANIZATIONS, 5, 10, false);
	expect(r, PX_IND_MEMBERS_ACTIVE, 10, 10, false);
	expect(r, PX_IND_MEMBERS_NEW, 0, 0, true);            /* R1: 1 person */
	expect(r, PX_IND_MEMBERS_LEFT, 0, 0, true);           /* R1 */
	expect(r, PX_IND_PROTOCOLS_SIGNED_VALID, 0, 0, true); /* R3: 10 - 6 = 4 without */
	expect(r, PX_IND_MEETINGS_HELD, 2, 0, false);
	expect(r, PX_IND_ATTENDANCE_RATE, 11.0 / 15, 10, false);
	expect(r, PX_IND_RSVP_RATE, 13.0 / 15, 10, false);
	expect(r, PX_IND_HOURS_TOTAL, 0, 0, true);           /* R3: 10 - 8 = 2 without hours */
	expect(r, PX_IND_HOURS_PER_MEMBER_MEAN, 0, 0, true); /* R2: goes with the total */
	expect(r, PX_IND_MEMBERS_OVER_CAP, 0, 0, true);      /* R1 */
	expect(r, PX_IND_PLAN_OBJECTIVES_YES, 3, 0, false);
	expect(r, PX_IND_SATISFACTION_MEAN, 0, 0, true); /* R1: 3 respondents */
	expect(r, PX_IND_SURVEYS, 0, 0, true);
	expect(r, "tools_produced", 3, 0, false); /* not about people */
	expect(r, "consent_rate", 0, 0, true);    /* R3: 10 - 8 */
	assert_true(r->findings[0]->suppressed);  /* LAU-1: 2 */
	assert_int_equal(r->findings[0]->count, 0);
	assert_false(r->findings[1]->suppressed); /* LAU-4: 0 */
	assert_false(r->findings[2]->suppressed); /* LAU-5: 6 */
	assert_int_equal(r->findings[2]->count, 6);
	char msg[200];
	assert_int_equal(px_report_validate(r, msg, sizeof msg), PX_OK);
	px_report_free(r);
}

static void
test_bad_input(void **state)
{
	(void)state;
	pxp_community v = hb_view();
	px_period p = {PX_PERIOD_MONTH, 2025, 3};
	px_report_opts o = {.community_uid = "u"};
	Praxis__CommunityReport *r = NULL;
	px_indicator dup[] = {{"x", 1, 0}, {"x", 2, 0}};
	px_indicator core[] = {{PX_IND_MEMBERS_ACTIVE, 1, 0}};
	px_finding_count badf[] = {{"", 0, 1}};
	assert_int_equal(px_report_build(&v, p, &o, NULL, 0, dup, 2, &r), PX_EINVAL);
	assert_int_equal(px_report_build(&v, p, &o, NULL, 0, core, 1, &r), PX_EINVAL);
	assert_int_equal(px_report_build(&v, p, &o, badf, 1, NULL, 0, &r), PX_EINVAL);
	px_period bp = {PX_PERIOD_MONTH, 2025, 13};
	assert_int_equal(px_report_build(&v, bp, &o, NULL, 0, NULL, 0, &r), PX_EINVAL);
	o.community_uid = "";
	assert_int_equal(px_report_build(&v, p, &o, NULL, 0, NULL, 0, &r), PX_EINVAL);
	assert_null(r);
}

/* n active members, each with a protocol when i < prot, a survey answer
 * when i < resp. */
static Praxis__CommunityReport *
small_build(int n, int prot, int resp, uint32_t k)
{
	pxp_member mem[40];
	pxp_protocol pr[40];
	pxp_survey sv[40];
	static const int32_t four[] = {4};
	memset(mem, 0, sizeof mem);
	memset(pr, 0, sizeof pr);
	memset(sv, 0, sizeof sv);
	for (int i = 0; i < n; i++) {
		mem[i] = (pxp_member){.id = (uint64_t)i + 1,
		                      .org_id = 1,
		                      .status = PXP_MEMBER_ACTIVE,
		                      .joined = 20200101,
		                      .job_title = "",
		                      .discipline = ""};
		pr[i] = (pxp_protocol)P((uint64_t)i + 1, true, false);
		sv[i] = (pxp_survey){(uint64_t)i + 1, "2025", four, 1};
	}
	pxp_community v = {.size = sizeof v,
	                   .name = "c",
	                   .framework = "f",
	                   .region = "r",
	                   .members = mem,
	                   .n_members = (size_t)n,
	                   .protocols = pr,
	                   .n_protocols = (size_t)prot,
	                   .surveys = sv,
	                   .n_surveys = (size_t)resp};
	px_report_opts o = {.community_uid = "u", .k = k};
	Praxis__CommunityReport *r = NULL;
	assert_int_equal(
	    px_report_build(&v, (px_period){PX_PERIOD_YEAR, 2025, 0}, &o, NULL, 0, NULL, 0, &r),
	    PX_OK);
	return r;
}

static void
test_threshold(void **state)
{
	(void)state;
	const uint32_t k = 5;
	/* k-1 people: suppressed, value and population zeroed. */
	Praxis__CommunityReport *r = small_build(4, 0, 4, k);
	expect(r, PX_IND_MEMBERS_ACTIVE, 0, 0, true);
	expect(r, PX_IND_ORGANIZATIONS, 0, 0, true);
	expect(r, PX_IND_SATISFACTION_MEAN, 0, 0, true);
	expect(r, PX_IND_PROTOCOLS_SIGNED_VALID, 0, 0, false); /* zero singles out nobody */
	px_report_free(r);
	/* k people: published. */
	r = small_build(5, 0, 5, k);
	expect(r, PX_IND_MEMBERS_ACTIVE, 5, 5, false);
	expect(r, PX_IND_ORGANIZATIONS, 1, 5, false);
	expect(r, PX_IND_SATISFACTION_MEAN, 4, 5, false);
	expect(r, PX_IND_SURVEYS, 5, 5, false);
	px_report_free(r);
	/* Complement at k-1 and k: 10 members, 6 protocols leaves 4 without. */
	r = small_build(10, 6, 10, k);
	expect(r, PX_IND_PROTOCOLS_SIGNED_VALID, 0, 0, true);
	px_report_free(r);
	r = small_build(10, 5, 10, k);
	expect(r, PX_IND_PROTOCOLS_SIGNED_VALID, 5, 5, false);
	px_report_free(r);
	r = small_build(10, 10, 10, k);
	expect(r, PX_IND_PROTOCOLS_SIGNED_VALID, 10, 10, false); /* complement 0 */
	px_report_free(r);
	/* Means over k-1 / k respondents among 20 members (complement >= k). */
	r = small_build(20, 0, 4, k);
	expect(r, PX_IND_SATISFACTION_MEAN, 0, 0, true);
	px_report_free(r);
	r = small_build(20, 0, 5, k);
	expect(r, PX_IND_SATISFACTION_MEAN, 4, 5, false);
	px_report_free(r);
	/* Findings at k-1 / k. */
	Praxis__CommunityReport *f = small_build(10, 10, 10, 1);
	f->findings = calloc(2, sizeof *f->findings);
	for (int i = 0; i < 2; i++) {
		f->findings[i] = malloc(sizeof *f->findings[i]);
		praxis__finding_count__init(f->findings[i]);
		f->findings[i]->rule_id = strdup(i ? "B" : "A");
		f->findings[i]->count = k - 1 + (uint32_t)i;
	}
	f->n_findings = 2;
	px_report_suppress(f, k);
	assert_true(f->findings[0]->suppressed);
	assert_int_equal(f->findings[0]->count, 0);
	assert_false(f->findings[1]->suppressed);
	assert_int_equal(f->findings[1]->count, k);
	px_report_free(f);
}

static void
test_sign_verify(void **state)
{
	(void)state;
	assert_int_equal(px_crypto_init(), PX_OK);
	px_identity *id = NULL, *other = NULL;
	assert_int_equal(px_identity_generate(&id), PX_OK);
	assert_int_equal(px_identity_generate(&other), PX_OK);
	Praxis__CommunityReport *r = hb_build(5);
	Praxis__SignedReport *sr = NULL, *sr2 = NULL;
	assert_int_equal(px_report_sign(r, id, &sr), PX_OK);
	/* Canonical: the same report built again is the same bytes. */
	Praxis__CommunityReport *again = hb_build(5);
	assert_int_equal(px_report_sign(again, id, &sr2), PX_OK);
	assert_int_equal(sr->report.len, sr2->report.len);
	assert_memory_equal(sr->report.data, sr2->report.data, sr->report.len);
	px_report_free(again);
	px_signed_report_free(sr2);

	Praxis__CommunityReport *back = NULL;
	char msg[200];
	assert_int_equal(px_report_verify(sr, px_identity_pk(id), &back, msg, sizeof msg), PX_OK);
	assert_string_equal(back->community_uid, "node-ab12:7");
	assert_int_equal(back->n_indicators, r->n_indicators);
	px_report_free(back);
	assert_int_equal(px_report_verify(sr, NULL, NULL, NULL, 0), PX_OK);
	/* Another expected key. */
	assert_int_equal(px_report_verify(sr, px_identity_pk(other), NULL, msg, sizeof msg),
	                 PX_EAUTH);
	/* Every flipped byte of the report, and of the signature, is refused. */
	for (size_t i = 0; i < sr->report.len; i++) {
		sr->report.data[i] ^= 0x01;
		assert_int_equal(px_report_verify(sr, NULL, NULL, NULL, 0), PX_EAUTH);
		sr->report.data[i] ^= 0x01;
	}
	for (size_t i = 0; i < sr->signature.len; i++) {
		sr->signature.data[i] ^= 0x80;
		assert_int_equal(px_report_verify(sr, NULL, NULL, NULL, 0), PX_EAUTH);
		sr->signature.data[i] ^= 0x80;
	}
	sr->node_key.len = 31;
	assert_int_equal(px_report_verify(sr, NULL, NULL, NULL, 0), PX_EAUTH);
	sr->node_key.len = 32;
	assert_int_equal(px_report_verify(sr, NULL, NULL, NULL, 0), PX_OK);
	px_signed_report_free(sr);

	/* Validly signed but invalid schema: PX_EINVAL, with the field named. */
	px_lang_set(0);
	Praxis__Indicator *in;
	/* A small cell that escaped suppression. */
	in = (Praxis__Indicator *)px_report_find(r, PX_IND_MEMBERS_NEW);
	in->suppressed = false;
	in->value = 2;
	in->population = 2;
	assert_int_equal(px_report_sign(r, id, &sr), PX_OK);
	assert_int_equal(px_report_verify(sr, NULL, NULL, msg, sizeof msg), PX_EINVAL);
	assert_non_null(strstr(msg, "members_new"));
	assert_non_null(strstr(msg, "rapport invalide"));
	px_signed_report_free(sr);
	in->suppressed = true;
	in->value = 0;
	in->population = 0;
	/* Period text not matching its kind. */
	r->period_kind = PRAXIS__PERIOD_KIND__PERIOD_YEAR;
	assert_int_equal(px_report_sign(r, id, &sr), PX_OK);
	assert_int_equal(px_report_verify(sr, NULL, NULL, msg, sizeof msg), PX_EINVAL);
	assert_non_null(strstr(msg, "period"));
	px_signed_report_free(sr);
	r->period_kind = PRAXIS__PERIOD_KIND__PERIOD_MONTH;
	/* Negative count. */
	in = (Praxis__Indicator *)px_report_find(r, PX_IND_MEETINGS_HELD);
	in->value = -1;
	assert_int_equal(px_report_sign(r, id, &sr), PX_OK);
	assert_int_equal(px_report_verify(sr, NULL, NULL, msg, sizeof msg), PX_EINVAL);
	px_signed_report_free(sr);
	in->value = 2;
	/* k = 0. */
	r->k = 0;
	assert_int_equal(px_report_sign(r, id, &sr), PX_OK);
	assert_int_equal(px_report_verify(sr, NULL, NULL, msg, sizeof msg), PX_EINVAL);
	px_signed_report_free(sr);
	r->k = 5;
	/* Rate above 1. */
	in = (Praxis__Indicator *)px_report_find(r, PX_IND_ATTENDANCE_RATE);
	in->value = 1.5;
	assert_int_equal(px_report_sign(r, id, &sr), PX_OK);
	assert_int_equal(px_report_verify(sr, NULL, NULL, msg, sizeof msg), PX_EINVAL);
	px_signed_report_free(sr);
	in->value = 0.5;

	/* Not canonical: a field repeated after the end (protobuf keeps the
	 * last), signed as such: refused though the signature holds. */
	assert_int_equal(px_report_sign(r, id, &sr), PX_OK);
	size_t n = sr->report.len;
	uint8_t *b = malloc(n + 2);
	memcpy(b, sr->report.data, n);
	b[n] = 0x38; /* field 7 (revision), varint */
	b[n + 1] = 0x01;
	free(sr->report.data);
	sr->report.data = b;
	sr->report.len = n + 2;
	assert_int_equal(px_sign(id, b, n + 2, sr->signature.data), PX_OK);
	assert_int_equal(px_report_verify(sr, NULL, NULL, msg, sizeof msg), PX_EINVAL);
	assert_non_null(strstr(msg, "canonique"));
	/* Garbage, signed: unreadable. */
	memset(b, 0xff, n + 2);
	assert_int_equal(px_sign(id, b, n + 2, sr->signature.data), PX_OK);
	assert_int_equal(px_report_verify(sr, NULL, NULL, msg, sizeof msg), PX_EINVAL);
	px_signed_report_free(sr);

	px_report_free(r);
	px_identity_free(id);
	px_identity_free(other);
}

int
main(void)
{
	px_log_init("test_report", PX_LOG_ERROR);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_periods),     cmocka_unit_test(test_indicators),
	    cmocka_unit_test(test_bad_input),   cmocka_unit_test(test_threshold),
	    cmocka_unit_test(test_sign_verify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
