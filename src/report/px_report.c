/*
 * px_report.c - the community report: indicators from the plugin view,
 * small-cell suppression (rules R1-R3 of px_report.h), canonical signing
 * and verification.
 */
#define _GNU_SOURCE
#include "px_report.h"
#include "px_crypto.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How suppression treats a cell. */
typedef enum rep_cat {
	REP_PLAIN,  /* not about people: always published */
	REP_PEOPLE, /* a count of people: population = value */
	REP_SUM,    /* a sum over population people (0 over 0 is published) */
	REP_MEAN,   /* a mean or rate over population people */
} rep_cat;

typedef struct rep_def {
	const char *name;
	rep_cat cat;
} rep_def;

/* The table of px_report.h, in report order. */
static const rep_def rep_core[] = {
    {PX_IND_ORGANIZATIONS, REP_SUM},
    {PX_IND_MEMBERS_ACTIVE, REP_PEOPLE},
    {PX_IND_MEMBERS_NEW, REP_PEOPLE},
    {PX_IND_MEMBERS_LEFT, REP_PEOPLE},
    {PX_IND_PROTOCOLS_SIGNED_VALID, REP_PEOPLE},
    {PX_IND_MEETINGS_HELD, REP_PLAIN},
    {PX_IND_MEETINGS_EXPECTED, REP_PLAIN},
    {PX_IND_ATTENDANCE_RATE, REP_MEAN},
    {PX_IND_RSVP_RATE, REP_MEAN},
    {PX_IND_HOURS_TOTAL, REP_SUM},
    {PX_IND_HOURS_PER_MEMBER_MEAN, REP_MEAN},
    {PX_IND_MEMBERS_OVER_CAP, REP_PEOPLE},
    {PX_IND_PLAN_OBJECTIVES_YES, REP_PLAIN},
    {PX_IND_PLAN_OBJECTIVES_NO, REP_PLAIN},
    {PX_IND_SATISFACTION_MEAN, REP_MEAN},
    {PX_IND_SURVEYS, REP_SUM},
};
#define REP_N_CORE (sizeof rep_core / sizeof rep_core[0])

static const rep_def *
rep_core_def(const char *name)
{
	for (size_t i = 0; i < REP_N_CORE; i++)
		if (strcmp(rep_core[i].name, name) == 0)
			return &rep_core[i];
	return NULL;
}

_Static_assert(REP_N_CORE == PX_IND_NCORE, "PX_IND_NCORE is the size of rep_core");

const char *
px_report_indicator_name(int rank)
{
	return rank >= 0 && rank < PX_IND_NCORE ? rep_core[rank].name : NULL;
}

int
px_report_indicator_rank(const char *name)
{
	const rep_def *d = name != NULL ? rep_core_def(name) : NULL;
	return d != NULL ? (int)(d - rep_core) : -1;
}

/* Plugin indicators: about people when they have a population. */
static rep_cat
rep_cat_of(const Praxis__Indicator *in)
{
	const rep_def *d = rep_core_def(in->name);
	if (d != NULL)
		return d->cat;
	return in->population > 0 ? REP_SUM : REP_PLAIN;
}

static void
rep_msg(char *msg, size_t msz, const char *fmt, ...)
{
	if (msg == NULL || msz == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msz, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- build */

static int
rep_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Index of id in the sorted ids, or -1. */
static long
rep_find(const uint64_t *ids, size_t n, uint64_t id)
{
	const uint64_t *p = bsearch(&id, ids, n, sizeof *ids, rep_cmp_u64);
	return p != NULL ? (long)(p - ids) : -1;
}

static bool
rep_is_member_status(int status)
{
	return status == PXP_MEMBER_ACTIVE || status == PXP_MEMBER_SUSPENDED ||
	       status == PXP_MEMBER_CANCELLED || status == PXP_MEMBER_ALUMNI ||
	       status == PXP_MEMBER_ERASED;
}

static Praxis__Indicator *
rep_ind_new(const char *name, double value, uint32_t population)
{
	Praxis__Indicator *in = malloc(sizeof *in);
	if (in == NULL)
		return NULL;
	praxis__indicator__init(in);
	in->name = strdup(name);
	if (in->name == NULL) {
		free(in);
		return NULL;
	}
	in->value = value;
	in->population = population;
	return in;
}

static px_err
rep_add(Praxis__CommunityReport *r, size_t cap, const char *name, double value, uint32_t population)
{
	if (r->n_indicators >= cap)
		return PX_EINTERNAL;
	Praxis__Indicator *in = rep_ind_new(name, value, population);
	if (in == NULL)
		return PX_ENOMEM;
	r->indicators[r->n_indicators++] = in;
	return PX_OK;
}

static char *
rep_strdup(const char *s)
{
	return strdup(s != NULL ? s : "");
}

static int
rep_cmp_finding(const void *a, const void *b)
{
	const Praxis__FindingCount *x = *(Praxis__FindingCount *const *)a;
	const Praxis__FindingCount *y = *(Praxis__FindingCount *const *)b;
	int c = strcmp(x->rule_id, y->rule_id);
	if (c != 0)
		return c;
	return (int)x->severity - (int)y->severity;
}

/* Figures computed from the view, before any suppression. */
typedef struct rep_fig {
	uint32_t active, fresh, left, orgs, protocols, over_cap;
	uint32_t meetings_held;
	uint32_t records, presents, answered, recorded_people;
	double hours_total;
	uint32_t contributors;
	uint32_t plan_yes, plan_no;
	double answers_sum;
	uint32_t answers, responses, respondents;
} rep_fig;

static px_err
rep_compute(const pxp_community *v, px_period per, double cap, rep_fig *f)
{
	px_err rv = PX_ENOMEM;
	int32_t first = px_period_first_day(per), last = px_period_last_day(per);
	size_t nm = v->n_members;
	uint64_t *ids = calloc(nm + 1, sizeof *ids);
	uint64_t *orgs = calloc(nm + 1, sizeof *orgs);
	uint64_t *held = calloc(v->n_meetings + 1, sizeof *held);
	double *dur = calloc(v->n_meetings + 1, sizeof *dur);
	double *hours = calloc(nm + 1, sizeof *hours);
	uint8_t *has_rec = calloc(nm + 1, 1), *has_prot = calloc(nm + 1, 1),
	        *responded = calloc(nm + 1, 1);
	if (!ids || !orgs || !held || !dur || !hours || !has_rec || !has_prot || !responded)
		goto done;
	memset(f, 0, sizeof *f);

	/* Members active in the period, sorted by id for lookups. */
	size_t na = 0, no = 0;
	for (size_t i = 0; i < nm; i++) {
		const pxp_member *m = &v->members[i];
		if (!rep_is_member_status(m->status) || m->joined > last ||
		    (m->left != 0 && m->left < first))
			continue;
		ids[na++] = m->id;
		if (m->org_id != 0)
			orgs[no++] = m->org_id;
		if (m->joined >= first)
			f->fresh++;
		if (m->left != 0 && m->left <= last)
			f->left++;
	}
	qsort(ids, na, sizeof *ids, rep_cmp_u64);
	/* A member listed twice in the view counts once. */
	size_t u = 0;
	for (size_t i = 0; i < na; i++)
		if (u == 0 || ids[u - 1] != ids[i])
			ids[u++] = ids[i];
	na = u;
	f->active = (uint32_t)na;
	qsort(orgs, no, sizeof *orgs, rep_cmp_u64);
	for (size_t i = 0; i < no; i++)
		if (i == 0 || orgs[i] != orgs[i - 1])
			f->orgs++;

	for (size_t i = 0; i < v->n_protocols; i++) {
		const pxp_protocol *p = &v->protocols[i];
		long j = rep_find(ids, na, p->member_id);
		if (j >= 0 && !p->cancelled && p->member_signed && p->member_sig_valid &&
		    p->director_signed && p->director_sig_valid)
			has_prot[j] = 1;
	}
	for (size_t j = 0; j < na; j++)
		f->protocols += has_prot[j];

	/* Meetings held: dated in the period, not in the future. */
	size_t nh = 0;
	for (size_t i = 0; i < v->n_meetings; i++) {
		const pxp_meeting *mt = &v->meetings[i];
		if (mt->date < first || mt->date > last || (v->today != 0 && mt->date > v->today))
			continue;
		held[nh++] = mt->id;
	}
	qsort(held, nh, sizeof *held, rep_cmp_u64);
	for (size_t i = 0; i < v->n_meetings; i++) {
		long j = rep_find(held, nh, v->meetings[i].id);
		if (j >= 0)
			dur[j] = v->meetings[i].duration_hours;
	}
	f->meetings_held = (uint32_t)nh;

	for (size_t i = 0; i < v->n_attendance; i++) {
		const pxp_attendance *a = &v->attendance[i];
		long mi = rep_find(held, nh, a->meeting_id);
		long j = rep_find(ids, na, a->member_id);
		if (mi < 0 || j < 0)
			continue;
		f->records++;
		has_rec[j] = 1;
		if (a->rsvp == PXP_RSVP_CONFIRMED || a->rsvp == PXP_RSVP_ABSENCE_NOTIFIED)
			f->answered++;
		if (a->present) {
			f->presents++;
			double h = a->hours > 0 ? a->hours : dur[mi];
			if (h > 0 && isfinite(h))
				hours[j] += h;
		}
	}
	for (size_t i = 0; i < v->n_hours; i++) {
		const pxp_hours *h = &v->hours[i];
		long j = rep_find(ids, na, h->member_id);
		if (j < 0 || !px_period_contains(per, h->month * 100 + 1) || !(h->hours > 0) ||
		    !isfinite(h->hours))
			continue;
		hours[j] += h->hours;
	}
	int y0 = first / 10000, y1 = last / 10000;
	for (size_t j = 0; j < na; j++) {
		f->recorded_people += has_rec[j];
		if (hours[j] > 0) {
			f->contributors++;
			f->hours_total += hours[j];
		}
		if (cap > 0) {
			double allowed = cap;
			for (size_t a = 0; a < v->n_approvals; a++) {
				const pxp_approval *ap = &v->approvals[a];
				if ((ap->member_id == 0 || ap->member_id == ids[j]) &&
				    ap->year >= y0 && ap->year <= y1 && ap->extra_hours > 0)
					allowed += ap->extra_hours;
			}
			if (hours[j] > allowed)
				f->over_cap++;
		}
	}

	bool plan_in = v->plan_start == 0 ||
	               (v->plan_start <= last && (v->plan_end == 0 || v->plan_end >= first));
	for (size_t i = 0; plan_in && i < v->n_plan; i++) {
		if (v->plan[i].obtained == PXP_RESULT_YES)
			f->plan_yes++;
		else if (v->plan[i].obtained == PXP_RESULT_NO)
			f->plan_no++;
	}

	for (size_t i = 0; i < v->n_surveys; i++) {
		const pxp_survey *s = &v->surveys[i];
		px_period sp;
		long j = rep_find(ids, na, s->member_id);
		if (j < 0 || px_period_parse(s->period, &sp) != PX_OK ||
		    px_period_first_day(sp) < first || px_period_last_day(sp) > last)
			continue;
		size_t good = 0;
		for (size_t a = 0; a < s->n_answers; a++)
			if (s->answers[a] >= 1 && s->answers[a] <= 5) {
				f->answers_sum += s->answers[a];
				good++;
			}
		if (good == 0)
			continue;
		f->answers += (uint32_t)good;
		f->responses++;
		responded[j] = 1;
	}
	for (size_t j = 0; j < na; j++)
		f->respondents += responded[j];
	rv = PX_OK;
done:
	free(ids);
	free(orgs);
	free(held);
	free(dur);
	free(hours);
	free(has_rec);
	free(has_prot);
	free(responded);
	return rv;
}

px_err
px_report_build(const pxp_community *view, px_period period, const px_report_opts *opts,
                const px_finding_count *findings, size_t n_findings, const px_indicator *plugin_ind,
                size_t n_ind, Praxis__CommunityReport **out)
{
	px_err rv;
	Praxis__CommunityReport *r = NULL;
	if (out == NULL)
		return PX_EINVAL;
	*out = NULL;
	if (view == NULL || opts == NULL || opts->community_uid == NULL ||
	    opts->community_uid[0] == '\0' || !px_period_valid(period) ||
	    (n_findings > 0 && findings == NULL) || (n_ind > 0 && plugin_ind == NULL))
		return PX_EINVAL;
	for (size_t i = 0; i < n_ind; i++) {
		const char *nm = plugin_ind[i].name;
		if (nm == NULL || nm[0] == '\0' || rep_core_def(nm) != NULL ||
		    !isfinite(plugin_ind[i].value))
			return PX_EINVAL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(plugin_ind[j].name, nm) == 0)
				return PX_EINVAL;
	}
	for (size_t i = 0; i < n_findings; i++)
		if (findings[i].rule_id == NULL || findings[i].rule_id[0] == '\0' ||
		    findings[i].severity < PXP_INFO || findings[i].severity > PXP_ERROR)
			return PX_EINVAL;

	rep_fig f;
	if ((rv = rep_compute(view, period, opts->hours_cap, &f)) != PX_OK)
		return rv;

	rv = PX_ENOMEM;
	if ((r = malloc(sizeof *r)) == NULL)
		return PX_ENOMEM;
	praxis__community_report__init(r);
	char pbuf[PX_PERIOD_STRLEN];
	px_period_format(period, pbuf);
	r->community_uid = rep_strdup(opts->community_uid);
	r->community_name = rep_strdup(view->name);
	r->framework = rep_strdup(view->framework);
	r->region = rep_strdup(view->region);
	r->period = rep_strdup(pbuf);
	r->period_kind = (Praxis__PeriodKind)period.kind;
	r->revision = opts->revision;
	r->generated_at = opts->generated_at;
	r->plugin_ok = opts->plugin_ok;
	r->k = opts->k ? opts->k : PX_REPORT_K_DEFAULT;
	size_t cap = REP_N_CORE + n_ind;
	r->indicators = calloc(cap, sizeof *r->indicators);
	if (!r->community_uid || !r->community_name || !r->framework || !r->region || !r->period ||
	    !r->indicators)
		goto fail;

	/* The mean is over every member (zeros included), so its population, the
	 * hub's weight, is members_active: weighted means then give
	 * sum(hours) / sum(members). It is published only with hours_total,
	 * whose population is the members who have hours (R2). */
	double mean_hours = f.active ? f.hours_total / f.active : 0;
	if ((rv = rep_add(r, cap, PX_IND_ORGANIZATIONS, f.orgs, f.active)) ||
	    (rv = rep_add(r, cap, PX_IND_MEMBERS_ACTIVE, f.active, f.active)) ||
	    (rv = rep_add(r, cap, PX_IND_MEMBERS_NEW, f.fresh, f.fresh)) ||
	    (rv = rep_add(r, cap, PX_IND_MEMBERS_LEFT, f.left, f.left)) ||
	    (rv = rep_add(r, cap, PX_IND_PROTOCOLS_SIGNED_VALID, f.protocols, f.protocols)) ||
	    (rv = rep_add(r, cap, PX_IND_MEETINGS_HELD, f.meetings_held, 0)) ||
	    (rv = rep_add(r, cap, PX_IND_MEETINGS_EXPECTED, opts->meetings_expected, 0)) ||
	    (rv = rep_add(r, cap, PX_IND_ATTENDANCE_RATE,
	                  f.records ? (double)f.presents / f.records : 0, f.recorded_people)) ||
	    (rv = rep_add(r, cap, PX_IND_RSVP_RATE, f.records ? (double)f.answered / f.records : 0,
	                  f.recorded_people)) ||
	    (rv = rep_add(r, cap, PX_IND_HOURS_TOTAL, f.hours_total, f.contributors)) ||
	    (rv = rep_add(r, cap, PX_IND_HOURS_PER_MEMBER_MEAN, mean_hours, f.active)))
		goto fail;
	if (opts->hours_cap > 0 &&
	    (rv = rep_add(r, cap, PX_IND_MEMBERS_OVER_CAP, f.over_cap, f.over_cap)))
		goto fail;
	if ((rv = rep_add(r, cap, PX_IND_PLAN_OBJECTIVES_YES, f.plan_yes, 0)) ||
	    (rv = rep_add(r, cap, PX_IND_PLAN_OBJECTIVES_NO, f.plan_no, 0)) ||
	    (rv = rep_add(r, cap, PX_IND_SATISFACTION_MEAN,
	                  f.answers ? f.answers_sum / f.answers : 0, f.respondents)) ||
	    (rv = rep_add(r, cap, PX_IND_SURVEYS, f.responses, f.respondents)))
		goto fail;
	for (size_t i = 0; i < n_ind; i++)
		if ((rv = rep_add(r, cap, plugin_ind[i].name, plugin_ind[i].value,
		                  plugin_ind[i].population)))
			goto fail;

	/* Findings: one entry per (rule, severity), sorted, for canonical bytes. */
	rv = PX_ENOMEM;
	if (n_findings > 0) {
		r->findings = calloc(n_findings, sizeof *r->findings);
		if (r->findings == NULL)
			goto fail;
		for (size_t i = 0; i < n_findings; i++) {
			Praxis__FindingCount *fc = NULL;
			for (size_t j = 0; j < r->n_findings; j++)
				if (strcmp(r->findings[j]->rule_id, findings[i].rule_id) == 0 &&
				    (int)r->findings[j]->severity == findings[i].severity)
					fc = r->findings[j];
			if (fc != NULL) {
				fc->count += findings[i].count;
				continue;
			}
			if ((fc = malloc(sizeof *fc)) == NULL)
				goto fail;
			praxis__finding_count__init(fc);
			r->findings[r->n_findings++] = fc;
			if ((fc->rule_id = strdup(findings[i].rule_id)) == NULL)
				goto fail;
			fc->severity = (Praxis__Severity)findings[i].severity;
			fc->count = findings[i].count;
		}
		qsort(r->findings, r->n_findings, sizeof *r->findings, rep_cmp_finding);
	}
	px_report_suppress(r, r->k);
	*out = r;
	return PX_OK;
fail:
	px_report_free(r);
	return rv;
}

void
px_report_free(Praxis__CommunityReport *r)
{
	/* Everything was malloc'd like protobuf-c's own unpacking does, so its
	 * free walks our reports too. */
	if (r != NULL)
		protobuf_c_message_free_unpacked(&r->base, NULL);
}

const Praxis__Indicator *
px_report_find(const Praxis__CommunityReport *r, const char *name)
{
	if (r == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < r->n_indicators; i++)
		if (strcmp(r->indicators[i]->name, name) == 0)
			return r->indicators[i];
	return NULL;
}

/* ------------------------------------------------------------- suppress */

static Praxis__Indicator *
rep_get(Praxis__CommunityReport *r, const char *name)
{
	return (Praxis__Indicator *)px_report_find(r, name);
}

static bool
rep_published(const Praxis__Indicator *in)
{
	return in != NULL && !in->suppressed;
}

/* Returns true when it changed something. */
static bool
rep_hide(Praxis__Indicator *in)
{
	if (in == NULL || in->suppressed)
		return false;
	in->suppressed = true;
	in->value = 0;
	in->population = 0;
	return true;
}

/* R1: is this cell, alone, publishable with threshold k? */
static bool
rep_cell_ok(rep_cat cat, double value, uint32_t pop, uint32_t k)
{
	switch (cat) {
	case REP_PLAIN:
		return true;
	case REP_PEOPLE:
		return pop == 0 || pop >= k;
	case REP_SUM:
		return (pop == 0 && value == 0) || pop >= k;
	case REP_MEAN:
		return pop >= k;
	}
	return false;
}

void
px_report_suppress(Praxis__CommunityReport *r, uint32_t k)
{
	if (r == NULL)
		return;
	if (k == 0)
		k = PX_REPORT_K_DEFAULT;
	r->k = k;
	/* R1 */
	for (size_t i = 0; i < r->n_indicators; i++) {
		Praxis__Indicator *in = r->indicators[i];
		if (in->suppressed || !rep_cell_ok(rep_cat_of(in), in->value, in->population, k)) {
			in->suppressed = false;
			rep_hide(in);
		}
	}
	Praxis__Indicator *active = rep_get(r, PX_IND_MEMBERS_ACTIVE);
	Praxis__Indicator *fresh = rep_get(r, PX_IND_MEMBERS_NEW);
	Praxis__Indicator *left = rep_get(r, PX_IND_MEMBERS_LEFT);
	Praxis__Indicator *htot = rep_get(r, PX_IND_HOURS_TOTAL);
	Praxis__Indicator *hmean = rep_get(r, PX_IND_HOURS_PER_MEMBER_MEAN);
	bool changed = true;
	while (changed) {
		changed = false;
		/* R2 */
		if (!rep_published(active)) {
			changed |= rep_hide(rep_get(r, PX_IND_ORGANIZATIONS));
			changed |= rep_hide(htot);
			changed |= rep_hide(hmean);
		}
		if (!rep_published(htot) || !rep_published(hmean)) {
			changed |= rep_hide(htot);
			changed |= rep_hide(hmean);
		}
		if (!rep_published(active))
			continue;
		/* R3: every published subset of the members, and its complement. */
		int64_t a = (int64_t)active->value;
		for (size_t i = 0; i < r->n_indicators; i++) {
			Praxis__Indicator *in = r->indicators[i];
			if (in == active || in->suppressed || rep_cat_of(in) == REP_PLAIN ||
			    in->population == 0)
				continue;
			int64_t rest = a - (int64_t)in->population;
			if (rest > 0 && rest < (int64_t)k)
				changed |= rep_hide(in);
		}
		if (rep_published(fresh) && rep_published(left)) {
			int64_t rest = a - (int64_t)fresh->value - (int64_t)left->value;
			if (rest > 0 && rest < (int64_t)k)
				changed |= rep_hide(fresh->value <= left->value ? fresh : left);
		}
	}
	for (size_t i = 0; i < r->n_findings; i++) {
		Praxis__FindingCount *fc = r->findings[i];
		if (fc->suppressed || (fc->count > 0 && fc->count < k)) {
			fc->count = 0;
			fc->suppressed = true;
		}
	}
}

/* --------------------------------------------------------- sign, verify */

px_err
px_report_sign(const Praxis__CommunityReport *r, const px_identity *id, Praxis__SignedReport **out)
{
	if (r == NULL || id == NULL || out == NULL)
		return PX_EINVAL;
	*out = NULL;
	Praxis__SignedReport *sr = malloc(sizeof *sr);
	if (sr == NULL)
		return PX_ENOMEM;
	praxis__signed_report__init(sr);
	size_t n = protobuf_c_message_get_packed_size(&r->base);
	sr->report.data = malloc(n ? n : 1);
	sr->node_key.data = malloc(PX_PK_BYTES);
	sr->signature.data = malloc(PX_SIG_BYTES);
	px_err rv = PX_ENOMEM;
	if (sr->report.data == NULL || sr->node_key.data == NULL || sr->signature.data == NULL)
		goto fail;
	sr->report.len = protobuf_c_message_pack(&r->base, sr->report.data);
	rv = PX_EINTERNAL;
	if (sr->report.len != n)
		goto fail;
	memcpy(sr->node_key.data, px_identity_pk(id), PX_PK_BYTES);
	sr->node_key.len = PX_PK_BYTES;
	if ((rv = px_sign(id, sr->report.data, sr->report.len, sr->signature.data)) != PX_OK)
		goto fail;
	sr->signature.len = PX_SIG_BYTES;
	*out = sr;
	return PX_OK;
fail:
	px_signed_report_free(sr);
	return rv;
}

void
px_signed_report_free(Praxis__SignedReport *sr)
{
	if (sr != NULL)
		protobuf_c_message_free_unpacked(&sr->base, NULL);
}

static bool
rep_is_rate(const char *name)
{
	return strcmp(name, PX_IND_ATTENDANCE_RATE) == 0 || strcmp(name, PX_IND_RSVP_RATE) == 0;
}

px_err
px_report_validate(const Praxis__CommunityReport *r, char *msg, size_t msz)
{
	const char *bad = NULL;
	px_period p;
	if (r == NULL)
		return PX_EINVAL;
	if (r->community_uid == NULL || r->community_uid[0] == '\0')
		bad = "community_uid";
	else if (r->period == NULL || px_period_parse(r->period, &p) != PX_OK ||
	         (int)r->period_kind != (int)p.kind)
		bad = "period";
	else if (r->k < 1)
		bad = "k";
	for (size_t i = 0; bad == NULL && i < r->n_indicators; i++) {
		const Praxis__Indicator *in = r->indicators[i];
		if (in == NULL || in->name == NULL || in->name[0] == '\0') {
			bad = "indicators.name";
			break;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->indicators[j]->name, in->name) == 0)
				bad = "indicators.name";
		if (bad != NULL)
			break;
		rep_cat cat = rep_cat_of(in);
		if (!isfinite(in->value) || in->value < 0)
			bad = in->name;
		else if (in->suppressed && (in->value != 0 || in->population != 0))
			bad = in->name;
		else if (!in->suppressed && !rep_cell_ok(cat, in->value, in->population, r->k))
			bad = in->name; /* a small cell left the node */
		else if (!in->suppressed && rep_is_rate(in->name) && in->value > 1)
			bad = in->name;
		else if (!in->suppressed && strcmp(in->name, PX_IND_SATISFACTION_MEAN) == 0 &&
		         (in->value < 1 || in->value > 5))
			bad = in->name;
		else if (cat == REP_PEOPLE && in->value != floor(in->value))
			bad = in->name;
	}
	for (size_t i = 0; bad == NULL && i < r->n_findings; i++) {
		const Praxis__FindingCount *fc = r->findings[i];
		if (fc == NULL || fc->rule_id == NULL || fc->rule_id[0] == '\0' ||
		    (int)fc->severity < 0 || (int)fc->severity > 2 ||
		    (fc->suppressed && fc->count != 0) ||
		    (!fc->suppressed && fc->count > 0 && fc->count < r->k))
			bad = "findings";
	}
	if (bad != NULL) {
		rep_msg(msg, msz, PX_T("rapport invalide : champ %s", "invalid report: field %s"),
		        bad);
		return PX_EINVAL;
	}
	return PX_OK;
}

px_err
px_report_verify(const Praxis__SignedReport *sr, const uint8_t *expected_key,
                 Praxis__CommunityReport **out, char *msg, size_t msz)
{
	if (out != NULL)
		*out = NULL;
	if (sr == NULL || sr->node_key.len != PX_PK_BYTES || sr->signature.len != PX_SIG_BYTES ||
	    sr->report.len == 0) {
		rep_msg(msg, msz, "%s", PX_T("rapport signé mal formé", "malformed signed report"));
		return PX_EAUTH;
	}
	if (expected_key != NULL && !px_memeq(expected_key, sr->node_key.data, PX_PK_BYTES)) {
		rep_msg(msg, msz, "%s",
		        PX_T("rapport signé par une autre clé", "report signed by another key"));
		return PX_EAUTH;
	}
	if (px_verify(sr->node_key.data, sr->report.data, sr->report.len, sr->signature.data) !=
	    PX_OK) {
		rep_msg(msg, msz, "%s",
		        PX_T("signature du rapport invalide", "invalid report signature"));
		return PX_EAUTH;
	}
	Praxis__CommunityReport *r =
	    praxis__community_report__unpack(NULL, sr->report.len, sr->report.data);
	if (r == NULL) {
		rep_msg(msg, msz, "%s", PX_T("rapport illisible", "unreadable report"));
		return PX_EINVAL;
	}
	px_err rv = px_report_validate(r, msg, msz);
	/* Canonical: one report, one byte string. A re-encoding that differs
	 * (duplicated or out-of-order fields) could let two byte strings count
	 * as two reports. Unknown fields from a newer node are let through. */
	if (rv == PX_OK && r->base.n_unknown_fields == 0) {
		size_t n = protobuf_c_message_get_packed_size(&r->base);
		uint8_t *buf = malloc(n ? n : 1);
		if (buf == NULL) {
			rv = PX_ENOMEM;
		} else {
			if (protobuf_c_message_pack(&r->base, buf) != sr->report.len ||
			    memcmp(buf, sr->report.data, sr->report.len) != 0) {
				rep_msg(
				    msg, msz, "%s",
				    PX_T("rapport non canonique", "report not in canonical form"));
				rv = PX_EINVAL;
			}
			free(buf);
		}
	}
	if (rv != PX_OK || out == NULL)
		px_report_free(r);
	else
		*out = r;
	return rv;
}
