/*
 * brusano.c - rules of the Brusano cycles (Brussels): BRU-1 to BRU-7 of
 * DOMAIN.md (source 004_0f25c6727a8e7e65.txt).
 *
 * A cycle runs from cycle_start (September) to cycle_end (June) with
 * cycle_sessions sessions; groups are closed: nobody joins once the cycle
 * has started (BRU-4). The group counts its moderators (BRU-1: at most
 * max_group_size people including the two moderators).
 */
#include <praxis/plugin.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct bru_ctx {
	const pxp_host *h;
	void *sink;
	const pxp_community *c;
	int64_t max_group;      /* BRU-1 */
	int64_t sessions;       /* BRU-3 */
	int64_t moderators;     /* BRU-2 */
} bru_ctx;

/* Findings: both messages take the same arguments (see pxp_emitf). */
#define bru_emit(x, ...) pxp_emitf((x)->h, (x)->sink, __VA_ARGS__)

static const pxp_org *
bru_org(const pxp_community *c, uint64_t id)
{
	for (size_t i = 0; i < c->n_orgs; i++)
		if (c->orgs[i].id == id)
			return &c->orgs[i];
	return NULL;
}

static int
bru_in_group(const pxp_member *m)
{
	return m->status == PXP_MEMBER_ACTIVE;
}

static int
bru_cycle_started(const pxp_community *c)
{
	return c->cycle_start != 0 && (c->today == 0 || c->today >= c->cycle_start) &&
	       (c->cycle_end == 0 || c->today == 0 || c->today <= c->cycle_end);
}

/* BRU-1: at most max_group_size people, moderators included; members from
 * several organizations, sectors and disciplines. */
static void
bru1_size(const bru_ctx *x)
{
	const pxp_community *c = x->c;
	int64_t n = 0;
	for (size_t i = 0; i < c->n_members; i++)
		n += bru_in_group(&c->members[i]);
	if (n > x->max_group)
		bru_emit(x, "BRU-1", PXP_ERROR, 0, 0, 0,
		         "Groupe de %lld personnes, modérateur·rice·s compris : %lld au plus",
		         "Group of %lld people, moderators included: at most %lld", (long long)n,
		         (long long)x->max_group);
}

static void
bru1_diversity(const bru_ctx *x)
{
	const pxp_community *c = x->c;
	size_t n = 0, orgs = 0, sectors = 0, disciplines = 0;
	for (size_t i = 0; i < c->n_members; i++) {
		const pxp_member *m = &c->members[i];
		if (!bru_in_group(m))
			continue;
		n++;
		const pxp_org *o = bru_org(c, m->org_id);
		int new_org = 1, new_sector = o != NULL && o->sector != 0, new_disc = m->discipline[0] != 0;
		for (size_t k = 0; k < i; k++) {
			const pxp_member *p = &c->members[k];
			if (!bru_in_group(p))
				continue;
			const pxp_org *q = bru_org(c, p->org_id);
			new_org &= p->org_id != m->org_id;
			if (new_sector && q != NULL && q->sector == o->sector)
				new_sector = 0;
			if (new_disc && strcmp(p->discipline, m->discipline) == 0)
				new_disc = 0;
		}
		orgs += (size_t)new_org;
		sectors += (size_t)new_sector;
		disciplines += (size_t)new_disc;
	}
	if (n < 3)
		return; /* too few people to speak of diversity */
	if (orgs < 2)
		bru_emit(x, "BRU-1", PXP_WARNING, 0, 0, 0, "%s%.0s", "%.0s%s",
		         "Tous les membres viennent du même organisme : le groupe doit être inter-organisationnel",
		         "All members come from the same organization: the group must be inter-organizational");
	if (sectors < 2)
		bru_emit(x, "BRU-1", PXP_WARNING, 0, 0, 0, "%s%.0s", "%.0s%s",
		         "Un seul secteur représenté : le groupe doit être intersectoriel",
		         "Only one sector: the group must be inter-sectoral");
	if (disciplines < 2)
		bru_emit(x, "BRU-1", PXP_WARNING, 0, 0, 0, "%s%.0s", "%.0s%s",
		         "Une seule discipline représentée : le groupe doit être interdisciplinaire",
		         "Only one discipline: the group must be inter-disciplinary");
}

/* BRU-2: two moderators, working as a pair (active members with the
 * moderator role, or moderator facilitators, each person once). */
static void
bru2(const bru_ctx *x)
{
	const pxp_community *c = x->c;
	int64_t n = 0;
	for (size_t i = 0; i < c->n_members; i++)
		n += bru_in_group(&c->members[i]) && c->members[i].role == PXP_ROLE_MODERATOR;
	for (size_t i = 0; i < c->n_facilitators; i++) {
		const pxp_facilitator *f = &c->facilitators[i];
		if (f->role != PXP_FAC_MODERATOR)
			continue;
		int dup = 0;
		for (size_t k = 0; k < c->n_members && f->member_id != 0; k++)
			dup |= c->members[k].id == f->member_id && bru_in_group(&c->members[k]) &&
			       c->members[k].role == PXP_ROLE_MODERATOR;
		for (size_t k = 0; k < i && f->member_id != 0; k++)
			dup |= c->facilitators[k].role == PXP_FAC_MODERATOR && c->facilitators[k].member_id == f->member_id;
		n += !dup;
	}
	if (n != x->moderators)
		bru_emit(x, "BRU-2", PXP_ERROR, 0, 0, 0,
		         "%lld modérateur·rice(s) au lieu d'un binôme de %lld",
		         "%lld moderator(s) instead of a pair of %lld", (long long)n, (long long)x->moderators);
}

/* BRU-3: cycles of cycle_sessions sessions, September to June. */
static void
bru3(const bru_ctx *x)
{
	const pxp_community *c = x->c;
	if (c->cycle_start == 0 || c->cycle_end == 0) {
		bru_emit(x, "BRU-3", PXP_ERROR, 0, 0, 0, "%s%.0s", "%.0s%s",
		         "Aucun cycle défini (début et fin)", "No cycle defined (start and end)");
		return;
	}
	if (c->cycle_start / 100 % 100 != 9 || c->cycle_end / 100 % 100 != 6 ||
	    c->cycle_end / 10000 != c->cycle_start / 10000 + 1)
		bru_emit(x, "BRU-3", PXP_WARNING, 0, 0, 0,
		         "Cycle du %04d-%02d-%02d au %04d-%02d-%02d : un cycle va de septembre à juin",
		         "Cycle from %04d-%02d-%02d to %04d-%02d-%02d: a cycle runs from September to June",
		         PXP_YMD(c->cycle_start), PXP_YMD(c->cycle_end));
	int64_t held = 0;
	for (size_t i = 0; i < c->n_meetings; i++) {
		const pxp_meeting *mt = &c->meetings[i];
		if (mt->date < c->cycle_start || mt->date > c->cycle_end)
			continue;
		held++;
		int mo = mt->date / 100 % 100;
		if (mo == 7 || mo == 8)
			bru_emit(x, "BRU-3", PXP_WARNING, 0, mt->id, mt->date / 100,
			         "Séance du %04d-%02d-%02d en juillet ou août, hors de la saison septembre-juin",
			         "Session of %04d-%02d-%02d in July or August, outside the September-June season",
			         PXP_YMD(mt->date));
	}
	int over = c->today != 0 && c->today > c->cycle_end;
	if (held > x->sessions || (over && held < x->sessions))
		bru_emit(x, "BRU-3", PXP_WARNING, 0, 0, 0,
		         "%lld séance(s) dans le cycle au lieu de %lld",
		         "%lld session(s) in the cycle instead of %lld", (long long)held, (long long)x->sessions);
}

/* BRU-4 for one member: joined after the cycle started. */
static void
bru4_member(const bru_ctx *x, const pxp_member *m, int32_t joined)
{
	const pxp_community *c = x->c;
	if (!bru_cycle_started(c) || joined <= c->cycle_start)
		return;
	bru_emit(x, "BRU-4", PXP_ERROR, m->id, 0, joined / 100,
	         "Membre %llu entré le %04d-%02d-%02d dans un cycle commencé le %04d-%02d-%02d : groupe fermé",
	         "Member %llu joined on %04d-%02d-%02d a cycle started on %04d-%02d-%02d: closed group",
	         (unsigned long long)m->id, PXP_YMD(joined), PXP_YMD(c->cycle_start));
}

static void
bru4(const bru_ctx *x)
{
	const pxp_community *c = x->c;
	for (size_t i = 0; i < c->n_members; i++)
		if (bru_in_group(&c->members[i]))
			bru4_member(x, &c->members[i], c->members[i].joined);
}

/* BRU-5: a group belongs to a care basin. */
static void
bru5(const bru_ctx *x)
{
	if (x->c->region[0] == '\0')
		bru_emit(x, "BRU-5", PXP_ERROR, 0, 0, 0, "%s%.0s", "%.0s%s",
		         "Aucun bassin d'aide et de soins consigné pour le groupe",
		         "No care basin recorded for the group");
}

/* BRU-6: roles are member or moderator; members are social-health
 * professionals (a recorded discipline). */
static void
bru6(const bru_ctx *x)
{
	const pxp_community *c = x->c;
	for (size_t i = 0; i < c->n_members; i++) {
		const pxp_member *m = &c->members[i];
		if (!bru_in_group(m))
			continue;
		if (m->role != PXP_ROLE_MEMBER && m->role != PXP_ROLE_MODERATOR)
			bru_emit(x, "BRU-6", PXP_WARNING, m->id, 0, 0,
			         "Membre %llu : rôle %d, seuls membre et modérateur·rice existent dans un cycle",
			         "Member %llu: role %d, a cycle only has members and moderators",
			         (unsigned long long)m->id, m->role);
		else if (m->role == PXP_ROLE_MEMBER && m->discipline[0] == '\0')
			bru_emit(x, "BRU-6", PXP_INFO, m->id, 0, 0,
			         "Membre %llu : discipline non consignée (professionnel·le social-santé attendu·e)",
			         "Member %llu: discipline not recorded (a social-health professional is expected)",
			         (unsigned long long)m->id);
	}
}

/* BRU-7: Brusano coordinates every cycle: a coordinator is recorded. */
static void
bru7(const bru_ctx *x)
{
	const pxp_community *c = x->c;
	for (size_t i = 0; i < c->n_facilitators; i++)
		if (c->facilitators[i].role == PXP_FAC_COORDINATOR)
			return;
	bru_emit(x, "BRU-7", PXP_WARNING, 0, 0, 0, "%s%.0s", "%.0s%s",
	         "Aucune coordination Brusano consignée pour ce cycle",
	         "No Brusano coordination recorded for this cycle");
}

static void
bru_init(bru_ctx *x, const pxp_host *h, void *sink, const pxp_community *c)
{
	x->h = h;
	x->sink = sink;
	x->c = c;
	x->max_group = h->param_int(sink, "max_group_size");
	x->sessions = h->param_int(sink, "cycle_sessions");
	x->moderators = h->param_int(sink, "moderators");
}

static void
bru_audit(const pxp_host *h, void *sink, const pxp_community *c)
{
	bru_ctx x;
	bru_init(&x, h, sink, c);
	bru1_size(&x);
	bru1_diversity(&x);
	bru2(&x);
	bru3(&x);
	bru4(&x);
	bru5(&x);
	bru6(&x);
	bru7(&x);
}

/* Change-time checks: a member entering the group (added, or made active)
 * meets the closed-group rule and the size cap at once; other changes are
 * checked by the rules their subjects concern. */
static void
bru_check_change(const pxp_host *h, void *sink, const pxp_community *c, const pxp_change *ch)
{
	bru_ctx x;
	bru_init(&x, h, sink, c);
	switch (ch->kind) {
	case PXP_CHANGE_MEMBER_ADD:
	case PXP_CHANGE_MEMBER_STATUS:
		for (size_t i = 0; i < c->n_members; i++) {
			const pxp_member *m = &c->members[i];
			if (m->id != ch->member_id || !bru_in_group(m))
				continue;
			/* A member added without a date joins today. */
			bru4_member(&x, m, m->joined ? m->joined : c->today);
			bru1_size(&x);
			bru6(&x);
		}
		break;
	case PXP_CHANGE_MEETING_ADD:
	case PXP_CHANGE_COMMUNITY:
		bru3(&x);
		if (ch->kind == PXP_CHANGE_COMMUNITY) {
			bru2(&x);
			bru5(&x);
		}
		break;
	default:
		break;
	}
}

static void
bru_indicators(const pxp_host *h, void *sink, const pxp_community *c)
{
	uint32_t n = 0, held = 0;
	for (size_t i = 0; i < c->n_members; i++)
		n += bru_in_group(&c->members[i]);
	/* Held: dated in the cycle and not after today (planned sessions are
	 * not held yet). */
	for (size_t i = 0; i < c->n_meetings; i++)
		held += c->cycle_start != 0 && c->meetings[i].date >= c->cycle_start &&
		        (c->cycle_end == 0 || c->meetings[i].date <= c->cycle_end) &&
		        (c->today == 0 || c->meetings[i].date <= c->today);
	h->indicator(sink, "bru_group_size", n, n);
	h->indicator(sink, "bru_sessions_held", held, 0);
	h->indicator(sink, "bru_sessions_expected", (double)h->param_int(sink, "cycle_sessions"), 0);
}

static const pxp_param bru_params[] = {
	{"max_group_size", PXP_PARAM_INT, "14",
	 "Personnes au plus dans un groupe, les deux modérateur·rice·s compris (BRU-1)",
	 "Most people in a group, the two moderators included (BRU-1)", 2, 100},
	{"cycle_sessions", PXP_PARAM_INT, "10", "Séances d'un cycle (BRU-3)", "Sessions in a cycle (BRU-3)",
	 1, 100},
	{"moderators", PXP_PARAM_INT, "2", "Modérateur·rice·s par groupe (BRU-2)", "Moderators per group (BRU-2)",
	 1, 10},
	{0},
};

static const pxp_rule bru_rules[] = {
	{"BRU-1", PXP_ERROR, "Groupe local de 14 personnes au plus, pluridisciplinaire, inter-organisationnel et intersectoriel",
	 "Local group of at most 14, inter-disciplinary, inter-organizational and inter-sectoral"},
	{"BRU-2", PXP_ERROR, "Binôme de modérateur·rice·s", "A pair of moderators"},
	{"BRU-3", PXP_WARNING, "Cycles de 10 séances, de septembre à juin", "Cycles of 10 sessions, September to June"},
	{"BRU-4", PXP_ERROR, "Groupe fermé : personne n'entre dans un cycle commencé",
	 "Closed group: nobody joins a started cycle"},
	{"BRU-5", PXP_ERROR, "Rattachement à un bassin d'aide et de soins", "Belongs to a care basin"},
	{"BRU-6", PXP_WARNING, "Rôles : membre et modérateur·rice", "Roles: member and moderator"},
	{"BRU-7", PXP_WARNING, "Coordination des cycles par Brusano", "Cycles coordinated by Brusano"},
	{0},
};

static const pxp_indicator_decl bru_inds[] = {
	{"bru_group_size", "Taille du groupe", "Group size"},
	{"bru_sessions_held", "Séances tenues dans le cycle", "Sessions held in the cycle"},
	{"bru_sessions_expected", "Séances prévues par cycle", "Sessions expected per cycle"},
	{0},
};

static const pxp_hooks bru_hooks = {
	.size = sizeof(pxp_hooks),
	.audit = bru_audit,
	.check_change = bru_check_change,
	.indicators = bru_indicators,
	.calendar = NULL,
};

static const pxp_descriptor bru_desc = PXP_DESCRIPTOR_INIT(
	"brusano", "Brusano : cycles d'intervision (Bruxelles)", "Brusano: peer-support cycles (Brussels)",
	"1.0.0", bru_params, bru_rules, bru_inds, &bru_hooks);

PXP_ENTRY(&bru_desc)
