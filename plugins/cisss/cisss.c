/*
 * cisss.c - rules of the CISSS clinical communities framework: CIS-1 to
 * CIS-7 of DOMAIN.md (source 003_880dbe79fddb00dd.txt).
 *
 * CIS-3 counts, per member and calendar year, the hours logged outside
 * meetings plus the hours of meetings attended; above annual_hours_cap it
 * is an error unless a manager's approval (the member's, or the whole
 * community's, for that year) covers the excess.
 */
#include <praxis/plugin.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cis_ctx {
	const pxp_host *h;
	void *sink;
	const pxp_community *c;
	double cap;            /* CIS-3 */
	int64_t mandate_months;/* CIS-4 */
} cis_ctx;

/* Findings: both messages take the same arguments (see pxp_emitf). */
#define cis_emit(x, ...) pxp_emitf((x)->h, (x)->sink, __VA_ARGS__)

/* Job titles compare without case and surrounding spaces (ASCII case:
 * accents must match, as typed in the directory). */
static int
cis_same_title(const char *a, const char *b)
{
	while (isspace((unsigned char)*a))
		a++;
	while (isspace((unsigned char)*b))
		b++;
	size_t la = strlen(a), lb = strlen(b);
	while (la > 0 && isspace((unsigned char)a[la - 1]))
		la--;
	while (lb > 0 && isspace((unsigned char)b[lb - 1]))
		lb--;
	if (la != lb)
		return 0;
	for (size_t i = 0; i < la; i++)
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return 0;
	return 1;
}

static const pxp_meeting *
cis_meeting(const pxp_community *c, uint64_t id)
{
	for (size_t i = 0; i < c->n_meetings; i++)
		if (c->meetings[i].id == id)
			return &c->meetings[i];
	return NULL;
}

/* CIS-1: one job title. */
static void
cis1(const cis_ctx *x)
{
	const pxp_community *c = x->c;
	if (c->job_title[0] == '\0') {
		cis_emit(x, "CIS-1", PXP_WARNING, 0, 0, 0, "%s%.0s", "%.0s%s",
		         "Titre d'emploi de la communauté non consigné",
		         "The community's job title is not recorded");
		return;
	}
	for (size_t i = 0; i < c->n_members; i++) {
		const pxp_member *m = &c->members[i];
		if (m->status != PXP_MEMBER_ACTIVE && m->status != PXP_MEMBER_CANDIDATE)
			continue;
		if (!cis_same_title(m->job_title, c->job_title))
			cis_emit(x, "CIS-1", PXP_ERROR, m->id, 0, 0,
			         "Membre %llu : titre d'emploi « %.80s » différent de celui de la communauté (« %.80s »)",
			         "Member %llu: job title \"%.80s\" differs from the community's (\"%.80s\")",
			         (unsigned long long)m->id, m->job_title, c->job_title);
	}
}

/* CIS-2: voluntary participation; members concerned by the plan's
 * targeted (specific) objectives. */
static void
cis2(const cis_ctx *x)
{
	const pxp_community *c = x->c;
	for (size_t i = 0; i < c->n_members; i++) {
		const pxp_member *m = &c->members[i];
		if (m->status == PXP_MEMBER_ACTIVE && m->participation_imposed)
			cis_emit(x, "CIS-2", PXP_ERROR, m->id, 0, 0,
			         "Membre %llu : participation imposée, elle doit être volontaire",
			         "Member %llu: participation imposed, it must be voluntary",
			         (unsigned long long)m->id);
	}
	if (c->plan_start == 0)
		return; /* CIS-5 reports the missing plan */
	size_t targeted = 0;
	for (size_t i = 0; i < c->n_plan; i++)
		targeted += c->plan[i].level == PXP_PLAN_SPECIFIC;
	if (targeted == 0)
		cis_emit(x, "CIS-2", PXP_WARNING, 0, 0, 0, "%s%.0s", "%.0s%s",
		         "Le plan d'action ne cible aucun objectif spécifique qui concerne les membres",
		         "The action plan targets no specific objective concerning the members");
}

/* CIS-3: annual hours cap, unless approved. Rows (member, year, hours)
 * from the log and from attendance, sorted, then summed per group: linear
 * after the sort, whatever the community's size. */
typedef struct cis_yh {
	uint64_t member;
	int year;
	double hours;
} cis_yh;

static int
cis_cmp_yh(const void *a, const void *b)
{
	const cis_yh *x = a, *y = b;
	if (x->member != y->member)
		return x->member < y->member ? -1 : 1;
	return (x->year > y->year) - (x->year < y->year);
}

static void
cis3(const cis_ctx *x)
{
	const pxp_community *c = x->c;
	size_t cap = c->n_hours + c->n_attendance;
	cis_yh *rows = calloc(cap ? cap : 1, sizeof(*rows));
	if (rows == NULL)
		abort(); /* the host reports the failed run; never a silent pass */
	size_t n = 0;
	for (size_t k = 0; k < c->n_hours; k++)
		rows[n++] = (cis_yh){c->hours[k].member_id, c->hours[k].month / 100, c->hours[k].hours};
	for (size_t k = 0; k < c->n_attendance; k++) {
		const pxp_attendance *a = &c->attendance[k];
		const pxp_meeting *mt = a->present ? cis_meeting(c, a->meeting_id) : NULL;
		if (mt != NULL)
			rows[n++] = (cis_yh){a->member_id, mt->date / 10000,
			                     a->hours > 0 ? a->hours : mt->duration_hours};
	}
	qsort(rows, n, sizeof(*rows), cis_cmp_yh);
	for (size_t i = 0; i < n;) {
		size_t k = i;
		double total = 0, approved = 0;
		for (; k < n && rows[k].member == rows[i].member && rows[k].year == rows[i].year; k++)
			total += rows[k].hours;
		uint64_t member = rows[i].member;
		int y = rows[i].year;
		i = k;
		if ((c->period_start != 0 && y < c->period_start / 10000) ||
		    (c->period_end != 0 && y > c->period_end / 10000) || total <= x->cap + 1e-9)
			continue;
		for (size_t a = 0; a < c->n_approvals; a++) {
			const pxp_approval *ap = &c->approvals[a];
			if (ap->year == y && (ap->member_id == member || ap->member_id == 0))
				approved += ap->extra_hours;
		}
		if (total <= x->cap + approved + 1e-9)
			cis_emit(x, "CIS-3", PXP_INFO, member, 0, 0,
			         "Membre %llu : %.1f h en %d, au-delà du plafond de %.0f h, couvert par "
			         "l'autorisation du gestionnaire (%.1f h)",
			         "Member %llu: %.1f hours in %d, above the %.0f-hour cap, covered by the "
			         "manager's approval (%.1f h)",
			         (unsigned long long)member, total, y, x->cap, approved);
		else
			cis_emit(x, "CIS-3", PXP_ERROR, member, 0, 0,
			         "Membre %llu : %.1f h en %d, au-delà du plafond annuel de %.0f h sans "
			         "autorisation du gestionnaire (autorisé : %.1f h de plus)",
			         "Member %llu: %.1f hours in %d, above the annual cap of %.0f hours without "
			         "a manager's approval (approved: %.1f extra hours)",
			         (unsigned long long)member, total, y, x->cap, approved);
	}
	free(rows);
}

/* A day count on a 31-day-month scale: differences are a few days off at
 * most, enough to tell a one-year mandate (2025-09-01 to 2026-08-31) from a
 * shorter one; CIS-4 allows 3 days of slack. */
static int64_t
cis_days(int32_t d)
{
	return ((int64_t)(d / 10000) * 12 + d / 100 % 100) * 31 + d % 100;
}

/* CIS-4: the facilitator commits for a one-year mandate. */
static void
cis4(const cis_ctx *x)
{
	const pxp_community *c = x->c;
	int any = 0;
	for (size_t i = 0; i < c->n_facilitators; i++) {
		const pxp_facilitator *f = &c->facilitators[i];
		if (f->role != PXP_FAC_ANIMATOR)
			continue;
		any = 1;
		if (f->mandate_start == 0 || f->mandate_end == 0)
			cis_emit(x, "CIS-4", PXP_WARNING, f->member_id, 0, 0,
			         "%s%.0s", "%.0s%s",
			         "Mandat de l'animateur·rice non consigné (début et fin)",
			         "The facilitator's mandate is not recorded (start and end)");
		else if (cis_days(f->mandate_end) - cis_days(f->mandate_start) <
		         (int64_t)x->mandate_months * 31 - 3)
			cis_emit(x, "CIS-4", PXP_WARNING, f->member_id, 0, 0,
			         "Mandat de l'animateur·rice du %04d-%02d-%02d au %04d-%02d-%02d : moins de %lld mois",
			         "Facilitator's mandate from %04d-%02d-%02d to %04d-%02d-%02d: shorter than %lld months",
			         PXP_YMD(f->mandate_start), PXP_YMD(f->mandate_end), (long long)x->mandate_months);
		else if (c->today != 0 && f->mandate_end < c->today)
			cis_emit(x, "CIS-4", PXP_WARNING, f->member_id, 0, 0,
			         "Mandat de l'animateur·rice échu le %04d-%02d-%02d : à renouveler",
			         "Facilitator's mandate ended on %04d-%02d-%02d: to be renewed", PXP_YMD(f->mandate_end));
	}
	if (!any)
		cis_emit(x, "CIS-4", PXP_ERROR, 0, 0, 0, "%s%.0s", "%.0s%s",
		         "Aucun·e animateur·rice avec un mandat d'un an",
		         "No facilitator with a one-year mandate");
}

/* CIS-5: an action plan and an annual activity report every year. */
static void
cis5(const cis_ctx *x)
{
	const pxp_community *c = x->c;
	if (c->plan_start == 0)
		cis_emit(x, "CIS-5", PXP_ERROR, 0, 0, 0, "%s%.0s", "%.0s%s",
		         "Aucun plan d'action annuel",
		         "No annual action plan");
	/* The report is due once the audited year is over. */
	int32_t end = c->period_end ? c->period_end : c->plan_end;
	if (!c->has_annual_report && end != 0 && c->today != 0 && end < c->today)
		cis_emit(x, "CIS-5", PXP_WARNING, 0, 0, 0,
		         "Aucun rapport annuel d'activités pour la période terminée le %04d-%02d-%02d",
		         "No annual activity report for the period that ended on %04d-%02d-%02d", PXP_YMD(end));
}

/* CIS-6: a sponsoring manager. */
static void
cis6(const cis_ctx *x)
{
	const pxp_community *c = x->c;
	int sponsor = c->sponsor[0] != '\0';
	for (size_t i = 0; i < c->n_facilitators; i++)
		sponsor |= c->facilitators[i].role == PXP_FAC_SPONSOR;
	if (!sponsor)
		cis_emit(x, "CIS-6", PXP_ERROR, 0, 0, 0, "%s%.0s", "%.0s%s",
		         "Aucun·e gestionnaire ne parraine la communauté",
		         "No manager sponsors the community");
}

static const char *const cis_categories[] = {PXP_CIS7_MUTUAL_AID, PXP_CIS7_PRACTICE, PXP_CIS7_KNOWLEDGE,
                                             PXP_CIS7_SKILLS, PXP_CIS7_ORG_NEED};

/* CIS-7: specific objectives, each in one of five categories. */
static void
cis7(const cis_ctx *x)
{
	const pxp_community *c = x->c;
	if (c->plan_start == 0)
		return;
	size_t specific = 0;
	for (size_t i = 0; i < c->n_plan; i++) {
		const pxp_plan_item *p = &c->plan[i];
		if (p->level != PXP_PLAN_SPECIFIC)
			continue;
		specific++;
		int ok = 0;
		for (size_t k = 0; k < sizeof(cis_categories) / sizeof(cis_categories[0]); k++)
			ok |= strcmp(p->category, cis_categories[k]) == 0;
		if (!ok)
			cis_emit(x, "CIS-7", PXP_WARNING, 0, 0, 0,
			         "Objectif spécifique %u : catégorie « %.40s » hors des cinq catégories du cadre",
			         "Specific objective %u: category \"%.40s\" is not one of the framework's five",
			         p->id, p->category);
	}
	if (specific == 0)
		cis_emit(x, "CIS-7", PXP_WARNING, 0, 0, 0, "%s%.0s", "%.0s%s",
		         "La communauté n'est structurée autour d'aucun objectif spécifique",
		         "The community is structured around no specific objective");
}

static void
cis_init(cis_ctx *x, const pxp_host *h, void *sink, const pxp_community *c)
{
	x->h = h;
	x->sink = sink;
	x->c = c;
	x->cap = h->param_double(sink, "annual_hours_cap");
	x->mandate_months = h->param_int(sink, "mandate_months");
}

static void
cis_audit(const pxp_host *h, void *sink, const pxp_community *c)
{
	cis_ctx x;
	cis_init(&x, h, sink, c);
	cis1(&x);
	cis2(&x);
	cis3(&x);
	cis4(&x);
	cis5(&x);
	cis6(&x);
	cis7(&x);
}

static void
cis_indicators(const pxp_host *h, void *sink, const pxp_community *c)
{
	uint32_t reached = 0, specific = 0;
	for (size_t i = 0; i < c->n_plan; i++) {
		if (c->plan[i].level != PXP_PLAN_SPECIFIC)
			continue;
		specific++;
		reached += c->plan[i].obtained == PXP_RESULT_YES;
	}
	h->indicator(sink, "cis_objectives_specific", specific, 0);
	h->indicator(sink, "cis_objectives_reached", reached, 0);
	h->indicator(sink, "cis_approvals", (double)c->n_approvals, 0);
}

static const pxp_param cis_params[] = {
	{"annual_hours_cap", PXP_PARAM_DOUBLE, "24",
	 "Heures par année et par membre (préparation, recherche, rencontres) sans autorisation (CIS-3)",
	 "Hours a year per member (preparation, research, meetings) without approval (CIS-3)", 0, 2000},
	{"mandate_months", PXP_PARAM_INT, "12", "Durée du mandat de l'animateur·rice, en mois (CIS-4)",
	 "Length of the facilitator's mandate, in months (CIS-4)", 1, 60},
	{0},
};

static const pxp_rule cis_rules[] = {
	{"CIS-1", PXP_ERROR, "Un même titre d'emploi", "One job title"},
	{"CIS-2", PXP_ERROR, "Participation volontaire, objectifs ciblés du plan",
	 "Voluntary participation, targeted objectives of the plan"},
	{"CIS-3", PXP_ERROR, "24 heures par année au plus, sauf autorisation du gestionnaire",
	 "At most 24 hours a year, unless a manager approves"},
	{"CIS-4", PXP_WARNING, "Mandat d'un an de l'animateur·rice", "One-year facilitator mandate"},
	{"CIS-5", PXP_ERROR, "Plan d'action et rapport annuel", "Action plan and annual report"},
	{"CIS-6", PXP_ERROR, "Un·e gestionnaire parraine la communauté", "A manager sponsors the community"},
	{"CIS-7", PXP_WARNING, "Objectifs spécifiques dans les cinq catégories",
	 "Specific objectives in the five categories"},
	{0},
};

static const pxp_indicator_decl cis_inds[] = {
	{"cis_objectives_specific", "Objectifs spécifiques", "Specific objectives"},
	{"cis_objectives_reached", "Objectifs spécifiques atteints", "Specific objectives reached"},
	{"cis_approvals", "Autorisations du gestionnaire", "Manager approvals"},
	{0},
};

static const pxp_hooks cis_hooks = {
	.size = sizeof(pxp_hooks),
	.audit = cis_audit,
	.check_change = NULL,
	.indicators = cis_indicators,
	.calendar = NULL,
};

static const pxp_descriptor cis_desc = PXP_DESCRIPTOR_INIT(
	"cisss", "CISSS : communautés de pratique cliniques", "CISSS: clinical communities of practice",
	"1.0.0", cis_params, cis_rules, cis_inds, &cis_hooks);

PXP_ENTRY(&cis_desc)
