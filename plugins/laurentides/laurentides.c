/*
 * laurentides.c - rules of the Laurentides proche aidance framework
 * (L'Amalgame): LAU-1 to LAU-9 of DOMAIN.md.
 *
 * Sources: the engagement protocol (000_ae33fde69c1cb69b.txt) and the
 * action plan (001_329b5e38b09ff4be.txt). The plugin reads only the view;
 * it sees no names or birth dates, only whether the protocol records them.
 */
#include <praxis/plugin.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lau_ctx {
	const pxp_host *h;
	void *sink;
	const pxp_community *c;
	double release_hours; /* LAU-3 */
	/* Indexes sorted by id, so a 1,000-member community audits in
	 * milliseconds rather than in minutes. */
	const pxp_meeting **meet_by_id;         /* n_meetings */
	const pxp_attendance **att_by_key;      /* n_attendance, by (meeting, member) */
	const pxp_protocol **prot_by_member;    /* n_protocols */
} lau_ctx;

/* Out of memory in a forked audit: abort, and the host reports the plugin
 * as failed (the community is not reported as compliant). */
static void *
lau_alloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (p == NULL)
		abort();
	return p;
}

static int
lau_cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int
lau_cmp_meet(const void *a, const void *b)
{
	return lau_cmp_u64((*(const pxp_meeting *const *)a)->id, (*(const pxp_meeting *const *)b)->id);
}

static int
lau_cmp_att(const void *a, const void *b)
{
	const pxp_attendance *x = *(const pxp_attendance *const *)a, *y = *(const pxp_attendance *const *)b;
	int r = lau_cmp_u64(x->meeting_id, y->meeting_id);
	return r ? r : lau_cmp_u64(x->member_id, y->member_id);
}

static int
lau_cmp_prot(const void *a, const void *b)
{
	return lau_cmp_u64((*(const pxp_protocol *const *)a)->member_id,
	                   (*(const pxp_protocol *const *)b)->member_id);
}

/* Findings: both messages take the same arguments (see pxp_emitf). */
#define lau_emit(x, ...) pxp_emitf((x)->h, (x)->sink, __VA_ARGS__)

static const pxp_meeting *
lau_meeting(const lau_ctx *x, uint64_t id)
{
	size_t lo = 0, hi = x->c->n_meetings;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->meet_by_id[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < x->c->n_meetings && x->meet_by_id[lo]->id == id ? x->meet_by_id[lo] : NULL;
}

/* The RSVP of member at meeting; PXP_RSVP_NONE when there is no row. */
static int
lau_rsvp(const lau_ctx *x, uint64_t meeting, uint64_t member)
{
	size_t lo = 0, hi = x->c->n_attendance;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const pxp_attendance *a = x->att_by_key[mid];
		if (a->meeting_id < meeting || (a->meeting_id == meeting && a->member_id < member))
			lo = mid + 1;
		else
			hi = mid;
	}
	int rsvp = PXP_RSVP_NONE;
	/* With duplicate rows, any answer counts. */
	for (; lo < x->c->n_attendance && x->att_by_key[lo]->meeting_id == meeting &&
	       x->att_by_key[lo]->member_id == member;
	     lo++)
		if (x->att_by_key[lo]->rsvp != PXP_RSVP_NONE)
			rsvp = x->att_by_key[lo]->rsvp;
	return rsvp;
}

/* First index of member's protocols in prot_by_member. */
static size_t
lau_prot_first(const lau_ctx *x, uint64_t member)
{
	size_t lo = 0, hi = x->c->n_protocols;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->prot_by_member[mid]->member_id < member)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Is date d inside the audited period (0 bounds are open)? */
static int
lau_in_period(const pxp_community *c, int32_t d)
{
	return (c->period_start == 0 || d >= c->period_start) && (c->period_end == 0 || d <= c->period_end);
}

static int32_t
lau_next_month(int32_t ym)
{
	return ym % 100 == 12 ? (ym / 100 + 1) * 100 + 1 : ym + 1;
}

/* LAU-1: no active member without a protocol signed, validly, by her and
 * by her organization's director. */
static void
lau1(const lau_ctx *x)
{
	const pxp_community *c = x->c;
	for (size_t i = 0; i < c->n_members; i++) {
		const pxp_member *m = &c->members[i];
		if (m->status != PXP_MEMBER_ACTIVE)
			continue;
		int have = 0, member_ok = 0, director_ok = 0;
		for (size_t k = lau_prot_first(x, m->id);
		     k < c->n_protocols && x->prot_by_member[k]->member_id == m->id; k++) {
			const pxp_protocol *p = x->prot_by_member[k];
			if (p->cancelled)
				continue;
			have = 1;
			int mo = p->member_signed && p->member_sig_valid;
			int dok = p->director_signed && p->director_sig_valid;
			if (mo && dok) {
				member_ok = director_ok = 1;
				break;
			}
			member_ok |= mo;
			director_ok |= dok;
		}
		if (member_ok && director_ok)
			continue;
		if (!have)
			lau_emit(x, "LAU-1", PXP_ERROR, m->id, 0, 0,
			         "Membre %llu actif sans protocole d'engagement",
			         "Member %llu is active without an engagement protocol",
			         (unsigned long long)m->id);
		else
			lau_emit(x, "LAU-1", PXP_ERROR, m->id, 0, 0,
			         "Membre %llu actif sans les deux signatures valides du protocole (membre : %s, "
			         "direction : %s)",
			         "Member %llu is active without both valid protocol signatures (member: %s, "
			         "director: %s)",
			         (unsigned long long)m->id, member_ok ? "ok" : "-", director_ok ? "ok" : "-");
	}
}

/* LAU-2: what the protocol form records. */
static void
lau2(const lau_ctx *x)
{
	const pxp_community *c = x->c;
	for (size_t k = 0; k < c->n_protocols; k++) {
		const pxp_protocol *p = &c->protocols[k];
		if (p->cancelled)
			continue;
		char miss_fr[256] = "", miss_en[256] = "";
		struct { int ok; const char *fr, *en; } f[] = {
			{p->has_family_name, "nom", "family name"},
			{p->has_first_name, "prénom", "first name"},
			{p->has_birth_day_month, "jour et mois de naissance", "birth day and month"},
			{p->has_org, "organisme", "organization"},
			{p->has_director_name, "nom de la direction", "director's name"},
			{!p->member_signed || p->member_date != 0, "date de signature du membre",
			 "member's signature date"},
			{!p->director_signed || p->director_date != 0, "date de signature de la direction",
			 "director's signature date"},
		};
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			if (f[i].ok)
				continue;
			if (miss_fr[0]) {
				strncat(miss_fr, ", ", sizeof(miss_fr) - strlen(miss_fr) - 1);
				strncat(miss_en, ", ", sizeof(miss_en) - strlen(miss_en) - 1);
			}
			strncat(miss_fr, f[i].fr, sizeof(miss_fr) - strlen(miss_fr) - 1);
			strncat(miss_en, f[i].en, sizeof(miss_en) - strlen(miss_en) - 1);
		}
		if (miss_fr[0]) {
			/* The two lists differ, so each message is built on its own. */
			char mfr[512], men[512];
			snprintf(mfr, sizeof(mfr), "Protocole du membre %llu incomplet : %s manquant(s)",
			         (unsigned long long)p->member_id, miss_fr);
			snprintf(men, sizeof(men), "Protocol of member %llu is incomplete: missing %s",
			         (unsigned long long)p->member_id, miss_en);
			pxp_finding fd = {"LAU-2", PXP_ERROR, mfr, men, p->member_id, 0, 0};
			x->h->emit(x->sink, &fd);
		}
	}
}

/* LAU-3: meeting hours of a member in one month above the release. */
typedef struct lau_mh {
	uint64_t member;
	int32_t month;
	double hours;
} lau_mh;

static int
lau_cmp_mh(const void *a, const void *b)
{
	const lau_mh *x = a, *y = b;
	int r = lau_cmp_u64(x->member, y->member);
	return r ? r : (x->month > y->month) - (x->month < y->month);
}

static void
lau3(const lau_ctx *x)
{
	const pxp_community *c = x->c;
	lau_mh *rows = lau_alloc(c->n_attendance, sizeof(*rows));
	size_t n = 0;
	for (size_t i = 0; i < c->n_attendance; i++) {
		const pxp_attendance *a = &c->attendance[i];
		const pxp_meeting *mt = lau_meeting(x, a->meeting_id);
		if (!a->present || mt == NULL || !lau_in_period(c, mt->date))
			continue;
		rows[n++] = (lau_mh){a->member_id, mt->date / 100, a->hours > 0 ? a->hours : mt->duration_hours};
	}
	qsort(rows, n, sizeof(*rows), lau_cmp_mh);
	for (size_t i = 0; i < n;) {
		size_t k = i;
		double total = 0;
		for (; k < n && rows[k].member == rows[i].member && rows[k].month == rows[i].month; k++)
			total += rows[k].hours;
		int32_t month = rows[i].month;
		if (total > x->release_hours + 1e-9)
			lau_emit(x, "LAU-3", PXP_WARNING, rows[i].member, 0, month,
			         "Membre %llu : %.1f h de rencontres en %04d-%02d, au-delà des %.1f h libérées par "
			         "mois",
			         "Member %llu: %.1f meeting hours in %04d-%02d, above the %.1f hours released a "
			         "month",
			         (unsigned long long)rows[i].member, total, month / 100, month % 100,
			         x->release_hours);
		i = k;
	}
	free(rows);
}

/* LAU-4: every month of the plan period that is over has a meeting. */
static void
lau4(const lau_ctx *x)
{
	const pxp_community *c = x->c;
	if (c->plan_start == 0 || c->plan_end == 0 || c->plan_end < c->plan_start)
		return;
	int32_t now = c->today / 100;
	int32_t from = c->plan_start / 100, to = c->plan_end / 100;
	if (c->period_start != 0 && c->period_start / 100 > from)
		from = c->period_start / 100;
	if (c->period_end != 0 && c->period_end / 100 < to)
		to = c->period_end / 100;
	for (int32_t ym = from; ym <= to && (c->today == 0 || ym < now); ym = lau_next_month(ym)) {
		int held = 0, virtual_ = 0;
		for (size_t i = 0; i < c->n_meetings; i++) {
			if (c->meetings[i].date / 100 == ym) {
				held++;
				virtual_ += c->meetings[i].modality == PXP_MODALITY_VIRTUAL;
			}
		}
		if (held == 0)
			lau_emit(x, "LAU-4", PXP_WARNING, 0, 0, ym,
			         "Aucune rencontre en %04d-%02d : une rencontre virtuelle par mois est attendue",
			         "No meeting in %04d-%02d: one virtual meeting a month is expected", ym / 100,
			         ym % 100);
		else if (virtual_ == 0)
			lau_emit(x, "LAU-4", PXP_INFO, 0, 0, ym,
			         "Aucune rencontre virtuelle en %04d-%02d (%d en présence)",
			         "No virtual meeting in %04d-%02d (%d in person)", ym / 100, ym % 100, held);
	}
}

/* LAU-5: members who neither confirmed nor notified their absence. */
static void
lau5(const lau_ctx *x)
{
	const pxp_community *c = x->c;
	for (size_t i = 0; i < c->n_meetings; i++) {
		const pxp_meeting *mt = &c->meetings[i];
		if (!lau_in_period(c, mt->date) || (c->today != 0 && mt->date > c->today))
			continue;
		for (size_t k = 0; k < c->n_members; k++) {
			const pxp_member *m = &c->members[k];
			if (m->status != PXP_MEMBER_ACTIVE || (m->joined != 0 && m->joined > mt->date))
				continue;
			if (lau_rsvp(x, mt->id, m->id) == PXP_RSVP_NONE)
				lau_emit(x, "LAU-5", PXP_WARNING, m->id, mt->id, mt->date / 100,
				         "Membre %llu : ni confirmation ni absence signalée pour la rencontre du "
				         "%04d-%02d-%02d",
				         "Member %llu: no confirmation and no notified absence for the meeting of "
				         "%04d-%02d-%02d",
				         (unsigned long long)m->id, mt->date / 10000, mt->date / 100 % 100,
				         mt->date % 100);
		}
	}
}

/* LAU-6: membership is free. */
static void
lau6(const lau_ctx *x)
{
	if (PXP_HAS(x->c, membership_fee) && x->c->membership_fee > 0)
		lau_emit(x, "LAU-6", PXP_ERROR, 0, 0, 0,
		         "Une cotisation de %.2f $ est demandée : l'adhésion doit être gratuite",
		         "A fee of $%.2f is asked: membership must be free", x->c->membership_fee);
}

/* LAU-7: a cancellation keeps its reason in the history. */
static void
lau7(const lau_ctx *x)
{
	const pxp_community *c = x->c;
	for (size_t i = 0; i < c->n_members; i++) {
		const pxp_member *m = &c->members[i];
		if (m->status == PXP_MEMBER_CANCELLED && !m->cancel_reason_recorded)
			lau_emit(x, "LAU-7", PXP_WARNING, m->id, 0, 0,
			         "Adhésion du membre %llu annulée sans motif consigné à l'historique",
			         "Membership of member %llu cancelled without a reason in the history",
			         (unsigned long long)m->id);
	}
}

/* LAU-8: the shared directory respects consent. */
static void
lau8(const lau_ctx *x)
{
	const pxp_community *c = x->c;
	for (size_t i = 0; i < c->n_members; i++) {
		const pxp_member *m = &c->members[i];
		if (m->in_directory && !m->directory_consent)
			lau_emit(x, "LAU-8", PXP_ERROR, m->id, 0, 0,
			         "Membre %llu inscrit au répertoire partagé sans son consentement",
			         "Member %llu is listed in the shared directory without consent",
			         (unsigned long long)m->id);
		else if (m->status == PXP_MEMBER_ACTIVE && m->directory_consent && !m->in_directory)
			lau_emit(x, "LAU-8", PXP_INFO, m->id, 0, 0,
			         "Membre %llu consent au répertoire mais n'y figure pas",
			         "Member %llu consents to the directory but is not listed",
			         (unsigned long long)m->id);
	}
}

/* LAU-9: the plan's indicators need a satisfaction survey and counts of
 * tools and solicitations; the audit says what is missing. */
static void
lau9(const lau_ctx *x)
{
	const pxp_community *c = x->c;
	if (c->n_surveys == 0)
		lau_emit(x, "LAU-9", PXP_WARNING, 0, 0, 0,
		         "Aucun sondage de satisfaction pour la période : indicateur du plan manquant",
		         "No satisfaction survey for the period: a plan indicator is missing");
	if (PXP_HAS(c, times_called_on) && c->tools_produced == 0 && c->times_called_on == 0)
		lau_emit(x, "LAU-9", PXP_INFO, 0, 0, 0,
		         "Aucun outil produit ni sollicitation consignés pour la période",
		         "No tool produced and no solicitation recorded for the period");
}

static void
lau_init(lau_ctx *x, const pxp_host *h, void *sink, const pxp_community *c)
{
	x->h = h;
	x->sink = sink;
	x->c = c;
	x->release_hours = h->param_double(sink, "monthly_release_hours");
	x->meet_by_id = lau_alloc(c->n_meetings, sizeof(*x->meet_by_id));
	x->att_by_key = lau_alloc(c->n_attendance, sizeof(*x->att_by_key));
	x->prot_by_member = lau_alloc(c->n_protocols, sizeof(*x->prot_by_member));
	for (size_t i = 0; i < c->n_meetings; i++)
		x->meet_by_id[i] = &c->meetings[i];
	for (size_t i = 0; i < c->n_attendance; i++)
		x->att_by_key[i] = &c->attendance[i];
	for (size_t i = 0; i < c->n_protocols; i++)
		x->prot_by_member[i] = &c->protocols[i];
	qsort(x->meet_by_id, c->n_meetings, sizeof(*x->meet_by_id), lau_cmp_meet);
	qsort(x->att_by_key, c->n_attendance, sizeof(*x->att_by_key), lau_cmp_att);
	qsort(x->prot_by_member, c->n_protocols, sizeof(*x->prot_by_member), lau_cmp_prot);
}

static void
lau_fini(lau_ctx *x)
{
	free(x->meet_by_id);
	free(x->att_by_key);
	free(x->prot_by_member);
}

static void
lau_audit(const pxp_host *h, void *sink, const pxp_community *c)
{
	lau_ctx x;
	lau_init(&x, h, sink, c);
	lau1(&x);
	lau2(&x);
	lau3(&x);
	lau4(&x);
	lau5(&x);
	lau6(&x);
	lau7(&x);
	lau8(&x);
	lau9(&x);
	lau_fini(&x);
}

/* LAU-9 indicators the core community report does not already carry
 * (memberships, signed protocols and satisfaction are core indicators:
 * members_new, protocols_signed_valid, satisfaction_mean). */
static void
lau_indicators(const pxp_host *h, void *sink, const pxp_community *c)
{
	if (PXP_HAS(c, times_called_on)) {
		h->indicator(sink, "lau_tools_produced", c->tools_produced, 0);
		h->indicator(sink, "lau_times_called_on", c->times_called_on, 0);
	}
}

static const pxp_param lau_params[] = {
	{"monthly_release_hours", PXP_PARAM_DOUBLE, "3",
	 "Heures de rencontre libérées par mois par l'organisme (LAU-3)",
	 "Meeting hours released a month by the organization (LAU-3)", 0, 744},
	{0},
};

static const pxp_rule lau_rules[] = {
	{"LAU-1", PXP_ERROR, "Protocole signé par le membre et la direction",
	 "Protocol signed by the member and the director"},
	{"LAU-2", PXP_ERROR, "Contenu du protocole d'engagement", "Content of the engagement protocol"},
	{"LAU-3", PXP_WARNING, "3 heures libérées par mois", "3 hours released a month"},
	{"LAU-4", PXP_WARNING, "Une rencontre virtuelle par mois", "One virtual meeting a month"},
	{"LAU-5", PXP_WARNING, "Présence confirmée ou absence signalée",
	 "Presence confirmed or absence notified"},
	{"LAU-6", PXP_ERROR, "Adhésion gratuite", "Free membership"},
	{"LAU-7", PXP_WARNING, "Annulation motivée", "Cancellation with a reason"},
	{"LAU-8", PXP_ERROR, "Répertoire des membres avec consentement",
	 "Member directory with consent"},
	{"LAU-9", PXP_WARNING, "Indicateurs du plan d'action", "Action plan indicators"},
	{0},
};

static const pxp_indicator_decl lau_inds[] = {
	{"lau_tools_produced", "Outils produits", "Tools produced"},
	{"lau_times_called_on", "Sollicitations (projets, comités)", "Times called on (projects, committees)"},
	{0},
};

static const pxp_hooks lau_hooks = {
	.size = sizeof(pxp_hooks),
	.audit = lau_audit,
	.check_change = NULL, /* the host's subject filter over the audit fits these rules */
	.indicators = lau_indicators,
	.calendar = NULL,
};

static const pxp_descriptor lau_desc = PXP_DESCRIPTOR_INIT(
	"laurentides", "Proche aidance Laurentides (L'Amalgame)",
	"Laurentides caregiving support (L'Amalgame)", "1.0.0", lau_params, lau_rules, lau_inds,
	&lau_hooks);

PXP_ENTRY(&lau_desc)
