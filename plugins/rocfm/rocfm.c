/*
 * rocfm.c - rules of the ROCFM families framework: ROC-1 to ROC-6 of
 * DOMAIN.md (source 002_38c96af07f70bb8d.txt).
 *
 * ROC-2's calendar for a calendar year Y: one meeting a month from January
 * to June, a review (bilan) in September and the welcome of the next season
 * early December, each of meeting_hours hours. The calendar hook gives it
 * through the host's expect_meeting service; the audit announces the same
 * expected meetings for the audited period and reports the missing ones.
 */
#include <praxis/plugin.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct roc_ctx {
	const pxp_host *h;
	void *sink;
	const pxp_community *c;
	double meeting_hours;   /* ROC-2 */
	double max_monthly;     /* ROC-3 */
	int64_t coordinators;   /* ROC-5 */
} roc_ctx;

/* Findings: both messages take the same arguments (see pxp_emitf). */
#define roc_emit(x, ...) pxp_emitf((x)->h, (x)->sink, __VA_ARGS__)

static const pxp_org *
roc_org(const pxp_community *c, uint64_t id)
{
	for (size_t i = 0; i < c->n_orgs; i++)
		if (c->orgs[i].id == id)
			return &c->orgs[i];
	return NULL;
}

static int
roc_in_period(const pxp_community *c, int32_t d)
{
	return (c->period_start == 0 || d >= c->period_start) && (c->period_end == 0 || d <= c->period_end);
}

/* ROC-1: members work in Famille groups that are members of ROCFM. */
static void
roc1(const roc_ctx *x)
{
	const pxp_community *c = x->c;
	for (size_t i = 0; i < c->n_members; i++) {
		const pxp_member *m = &c->members[i];
		if (m->status != PXP_MEMBER_ACTIVE && m->status != PXP_MEMBER_CANDIDATE)
			continue;
		const pxp_org *o = roc_org(c, m->org_id);
		if (o == NULL || !o->rocfm_member)
			roc_emit(x, "ROC-1", PXP_ERROR, m->id, 0, 0,
			         "Membre %llu : son organisme n'est pas un groupe membre du ROCFM",
			         "Member %llu: her organization is not a ROCFM member group",
			         (unsigned long long)m->id);
	}
}

/* The ROC-2 calendar of calendar year y, through emit_fn. */
typedef void (*roc_expect_fn)(const roc_ctx *x, int32_t date, int kind);

static void
roc_calendar_year(const roc_ctx *x, int y, roc_expect_fn fn)
{
	for (int m = 1; m <= 6; m++)
		fn(x, y * 10000 + m * 100 + 1, PXP_MEETING_REGULAR);
	fn(x, y * 10000 + 901, PXP_MEETING_REVIEW);
	fn(x, y * 10000 + 1201, PXP_MEETING_WELCOME);
}

static void
roc_expect_only(const roc_ctx *x, int32_t date, int kind)
{
	x->h->expect_meeting(x->sink, date, kind, x->meeting_hours);
}

static const char *
roc_kind_fr(int kind)
{
	return kind == PXP_MEETING_WELCOME ? "d'accueil" : kind == PXP_MEETING_REVIEW ? "bilan" : "mensuelle";
}

static const char *
roc_kind_en(int kind)
{
	return kind == PXP_MEETING_WELCOME ? "welcome" : kind == PXP_MEETING_REVIEW ? "review" : "monthly";
}

/* For the audit: announce the expected meeting when its month is in the
 * period, and report it missing once its month is over. The welcome must
 * be early December (before the 16th); the monthly ones may be of any kind. */
static void
roc_expect_check(const roc_ctx *x, int32_t date, int kind)
{
	const pxp_community *c = x->c;
	int32_t ym = date / 100;
	int32_t last = ym * 100 + 31;
	if (!roc_in_period(x->c, date) && !roc_in_period(x->c, last))
		return;
	x->h->expect_meeting(x->sink, date, kind, x->meeting_hours);
	if (c->today != 0 && ym >= c->today / 100)
		return; /* the month is not over */
	const pxp_meeting *best = NULL;
	for (size_t i = 0; i < c->n_meetings; i++) {
		const pxp_meeting *mt = &c->meetings[i];
		if (mt->date / 100 != ym)
			continue;
		if (kind == PXP_MEETING_WELCOME && (mt->kind != kind || mt->date % 100 > 15))
			continue;
		if (kind == PXP_MEETING_REVIEW && mt->kind != kind)
			continue;
		if (best == NULL || mt->duration_hours > best->duration_hours)
			best = mt;
	}
	if (best == NULL)
		roc_emit(x, "ROC-2", PXP_WARNING, 0, 0, ym,
		         "Rencontre %s%.0s de %.0f h manquante en %04d-%02d",
		         "Missing %.0s%s meeting of %.0f h in %04d-%02d", roc_kind_fr(kind),
		         roc_kind_en(kind), x->meeting_hours, ym / 100, ym % 100);
	else if (best->duration_hours + 1e-9 < x->meeting_hours)
		roc_emit(x, "ROC-2", PXP_INFO, 0, best->id, ym,
		         "Rencontre %s%.0s de %04d-%02d : %.1f h au lieu de %.0f h",
		         "%.0s%s meeting of %04d-%02d: %.1f h instead of %.0f h", roc_kind_fr(kind),
		         roc_kind_en(kind), ym / 100, ym % 100, best->duration_hours, x->meeting_hours);
}

static void
roc2(const roc_ctx *x)
{
	const pxp_community *c = x->c;
	int y0, y1;
	if (c->period_start != 0 && c->period_end != 0) {
		y0 = c->period_start / 10000;
		y1 = c->period_end / 10000;
	} else if (c->plan_start != 0 && c->plan_end != 0) {
		y0 = c->plan_start / 10000;
		y1 = c->plan_end / 10000;
	} else {
		y0 = y1 = (c->today ? c->today : 20000101) / 10000;
	}
	if (y1 - y0 > 50)
		y0 = y1 - 50; /* a sane bound on a malformed period */
	for (int y = y0; y <= y1; y++)
		roc_calendar_year(x, y, roc_expect_check);
}

/* ROC-3: 1 to 2 hours a month outside meetings. The log may hold several
 * rows per member and month: sorted, then summed per group. */
static int
roc_cmp_hours(const void *a, const void *b)
{
	const pxp_hours *x = *(const pxp_hours *const *)a, *y = *(const pxp_hours *const *)b;
	if (x->member_id != y->member_id)
		return x->member_id < y->member_id ? -1 : 1;
	return (x->month > y->month) - (x->month < y->month);
}

static void
roc3(const roc_ctx *x)
{
	const pxp_community *c = x->c;
	const pxp_hours **rows = calloc(c->n_hours ? c->n_hours : 1, sizeof(*rows));
	if (rows == NULL)
		abort(); /* reported by the host as a failed run */
	size_t n = 0;
	for (size_t i = 0; i < c->n_hours; i++)
		if (roc_in_period(c, c->hours[i].month * 100 + 1))
			rows[n++] = &c->hours[i];
	qsort(rows, n, sizeof(*rows), roc_cmp_hours);
	for (size_t i = 0; i < n;) {
		size_t k = i;
		double total = 0;
		for (; k < n && rows[k]->member_id == rows[i]->member_id && rows[k]->month == rows[i]->month; k++)
			total += rows[k]->hours;
		const pxp_hours *hh = rows[i];
		i = k;
		if (total > x->max_monthly + 1e-9)
			roc_emit(x, "ROC-3", PXP_WARNING, hh->member_id, 0, hh->month,
			         "Membre %llu : %.1f h d'implication hors rencontres en %04d-%02d (au plus %.1f h)",
			         "Member %llu: %.1f hours of involvement outside meetings in %04d-%02d (at most "
			         "%.1f h)",
			         (unsigned long long)hh->member_id, total, hh->month / 100, hh->month % 100,
			         x->max_monthly);
	}
	free(rows);
}

/* ROC-4: meetings in volunteer member organizations, or virtual. */
static void
roc4(const roc_ctx *x)
{
	const pxp_community *c = x->c;
	for (size_t i = 0; i < c->n_meetings; i++) {
		const pxp_meeting *mt = &c->meetings[i];
		if (!roc_in_period(c, mt->date) || mt->modality == PXP_MODALITY_VIRTUAL)
			continue;
		if (mt->modality != PXP_MODALITY_IN_PERSON) {
			roc_emit(x, "ROC-4", PXP_WARNING, 0, mt->id, mt->date / 100,
			         "Rencontre du %04d-%02d-%02d : modalité non consignée (virtuelle ou en présence)",
			         "Meeting of %04d-%02d-%02d: modality not recorded (virtual or in person)", PXP_YMD(mt->date));
			continue;
		}
		const pxp_org *o = roc_org(c, mt->venue_org_id);
		if (o == NULL || !o->volunteer_venue || !o->rocfm_member)
			roc_emit(x, "ROC-4", PXP_WARNING, 0, mt->id, mt->date / 100,
			         "Rencontre du %04d-%02d-%02d en présence hors d'un organisme membre bénévole",
			         "In-person meeting of %04d-%02d-%02d outside a volunteer member organization",
			         PXP_YMD(mt->date));
	}
}

/* ROC-5: coordination by two coordinators (facilitators or members with
 * the coordinator role, each person once). */
static void
roc5(const roc_ctx *x)
{
	const pxp_community *c = x->c;
	int64_t n = 0;
	for (size_t i = 0; i < c->n_facilitators; i++) {
		const pxp_facilitator *f = &c->facilitators[i];
		if (f->role != PXP_FAC_COORDINATOR)
			continue;
		int dup = 0;
		for (size_t k = 0; k < i && f->member_id != 0; k++)
			dup |= c->facilitators[k].role == PXP_FAC_COORDINATOR &&
			       c->facilitators[k].member_id == f->member_id;
		n += !dup;
	}
	for (size_t i = 0; i < c->n_members; i++) {
		const pxp_member *m = &c->members[i];
		if (m->status != PXP_MEMBER_ACTIVE || m->role != PXP_ROLE_COORDINATOR)
			continue;
		int dup = 0;
		for (size_t k = 0; k < c->n_facilitators; k++)
			dup |= c->facilitators[k].role == PXP_FAC_COORDINATOR && c->facilitators[k].member_id == m->id;
		n += !dup;
	}
	if (n != x->coordinators)
		roc_emit(x, "ROC-5", PXP_WARNING, 0, 0, 0,
		         "%lld personne(s) à la coordination et à l'animation au lieu de %lld",
		         "%lld coordinator(s) instead of %lld", (long long)n, (long long)x->coordinators);
}

/* ROC-6: themes chosen by the members; trainings follow their needs. */
static void
roc6(const roc_ctx *x)
{
	const pxp_community *c = x->c;
	for (size_t i = 0; i < c->n_meetings; i++) {
		const pxp_meeting *mt = &c->meetings[i];
		if (!roc_in_period(c, mt->date))
			continue;
		if (!mt->has_theme)
			roc_emit(x, "ROC-6", PXP_INFO, 0, mt->id, mt->date / 100,
			         "Rencontre du %04d-%02d-%02d sans thème consigné",
			         "Meeting of %04d-%02d-%02d has no recorded theme", PXP_YMD(mt->date));
		else if (!mt->theme_chosen_by_members)
			roc_emit(x, "ROC-6", PXP_WARNING, 0, mt->id, mt->date / 100,
			         "Rencontre du %04d-%02d-%02d : thème%s%.0s non choisi par les membres",
			         "Meeting of %04d-%02d-%02d: theme%.0s%s not chosen by the members", PXP_YMD(mt->date),
			         mt->kind == PXP_MEETING_TRAINING ? " (formation)" : "",
			         mt->kind == PXP_MEETING_TRAINING ? " (training)" : "");
	}
}

static void
roc_init(roc_ctx *x, const pxp_host *h, void *sink, const pxp_community *c)
{
	x->h = h;
	x->sink = sink;
	x->c = c;
	x->meeting_hours = h->param_double(sink, "meeting_hours");
	x->max_monthly = h->param_double(sink, "max_monthly_hours");
	x->coordinators = h->param_int(sink, "coordinators");
}

static void
roc_audit(const pxp_host *h, void *sink, const pxp_community *c)
{
	roc_ctx x;
	roc_init(&x, h, sink, c);
	roc1(&x);
	roc2(&x);
	roc3(&x);
	roc4(&x);
	roc5(&x);
	roc6(&x);
}

static void
roc_calendar(const pxp_host *h, void *sink, const pxp_community *c, int year)
{
	roc_ctx x;
	roc_init(&x, h, sink, c);
	roc_calendar_year(&x, year, roc_expect_only);
}

static void
roc_indicators(const pxp_host *h, void *sink, const pxp_community *c)
{
	uint32_t in_person = 0, virtual_ = 0, chosen = 0, held = 0;
	for (size_t i = 0; i < c->n_meetings; i++) {
		const pxp_meeting *mt = &c->meetings[i];
		if (!roc_in_period(c, mt->date))
			continue;
		held++;
		in_person += mt->modality == PXP_MODALITY_IN_PERSON;
		virtual_ += mt->modality == PXP_MODALITY_VIRTUAL;
		chosen += mt->has_theme && mt->theme_chosen_by_members;
	}
	h->indicator(sink, "roc_meetings_virtual", virtual_, 0);
	h->indicator(sink, "roc_meetings_in_person", in_person, 0);
	if (held > 0)
		h->indicator(sink, "roc_themes_chosen_rate", (double)chosen / held, 0);
}

static const pxp_param roc_params[] = {
	{"meeting_hours", PXP_PARAM_DOUBLE, "3", "Durée attendue de chaque rencontre du calendrier, en heures (ROC-2)",
	 "Expected length of each calendar meeting, in hours (ROC-2)", 0.5, 12},
	{"max_monthly_hours", PXP_PARAM_DOUBLE, "2",
	 "Heures d'implication par mois hors rencontres, au plus (ROC-3)",
	 "Hours of involvement a month outside meetings, at most (ROC-3)", 0, 744},
	{"coordinators", PXP_PARAM_INT, "2", "Nombre de personnes à la coordination (ROC-5)",
	 "Number of coordinators (ROC-5)", 1, 10},
	{0},
};

static const pxp_rule roc_rules[] = {
	{"ROC-1", PXP_ERROR, "Membres issus de groupes Famille membres du ROCFM",
	 "Members from Famille groups that are ROCFM members"},
	{"ROC-2", PXP_WARNING, "Calendrier : accueil en décembre, une rencontre par mois de janvier à juin, bilan en septembre",
	 "Calendar: welcome in December, one meeting a month January to June, review in September"},
	{"ROC-3", PXP_WARNING, "1 à 2 heures d'implication par mois hors rencontres",
	 "1 to 2 hours of involvement a month outside meetings"},
	{"ROC-4", PXP_WARNING, "Rencontres chez un organisme membre bénévole ou en virtuel",
	 "Meetings at a volunteer member organization or virtual"},
	{"ROC-5", PXP_WARNING, "Coordination et animation par deux personnes",
	 "Coordination and facilitation by two coordinators"},
	{"ROC-6", PXP_WARNING, "Thèmes choisis par les membres", "Themes chosen by the members"},
	{0},
};

static const pxp_indicator_decl roc_inds[] = {
	{"roc_meetings_virtual", "Rencontres virtuelles", "Virtual meetings"},
	{"roc_meetings_in_person", "Rencontres en présence", "In-person meetings"},
	{"roc_themes_chosen_rate", "Part des thèmes choisis par les membres", "Share of themes chosen by members"},
	{0},
};

static const pxp_hooks roc_hooks = {
	.size = sizeof(pxp_hooks),
	.audit = roc_audit,
	.check_change = NULL,
	.indicators = roc_indicators,
	.calendar = roc_calendar,
};

static const pxp_descriptor roc_desc = PXP_DESCRIPTOR_INIT(
	"rocfm", "ROCFM : communautés de pratique Famille", "ROCFM: family communities of practice",
	"1.0.0", roc_params, roc_rules, roc_inds, &roc_hooks);

PXP_ENTRY(&roc_desc)
