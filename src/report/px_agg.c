/*
 * px_agg.c - the hub's aggregation of community reports (rules A1-A4 of
 * px_report.h): group, sum, weight means by population, suppress again.
 */
#define _GNU_SOURCE
#include "px_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const agg_means[] = {PX_IND_ATTENDANCE_RATE, PX_IND_RSVP_RATE,
                                        PX_IND_HOURS_PER_MEMBER_MEAN, PX_IND_SATISFACTION_MEAN};

bool
px_agg_is_mean(const char *name)
{
	if (name == NULL)
		return false;
	for (size_t i = 0; i < sizeof agg_means / sizeof agg_means[0]; i++)
		if (strcmp(name, agg_means[i]) == 0)
			return true;
	size_t n = strlen(name);
	return (n >= 5 && strcmp(name + n - 5, "_rate") == 0) ||
	       (n >= 5 && strcmp(name + n - 5, "_mean") == 0);
}

/* People counts whose population is their value (px_report.h table). */
static bool
agg_is_people_count(const char *name)
{
	return strcmp(name, PX_IND_MEMBERS_ACTIVE) == 0 || strcmp(name, PX_IND_MEMBERS_NEW) == 0 ||
	       strcmp(name, PX_IND_MEMBERS_LEFT) == 0 ||
	       strcmp(name, PX_IND_PROTOCOLS_SIGNED_VALID) == 0 ||
	       strcmp(name, PX_IND_MEMBERS_OVER_CAP) == 0;
}

/* One indicator of one group being summed. */
typedef struct agg_acc {
	char *name; /* owned */
	bool mean;
	double sum; /* values, or value x weight for means */
	double weight;
	uint64_t pop;
	uint32_t contributors, withheld;
} agg_acc;

typedef struct agg_fc {
	char *rule_id; /* owned */
	int severity;
	uint64_t count;
	bool suppressed;
} agg_fc;

typedef struct agg_group {
	char *key[5]; /* framework, region, tenant, community, period ("" unless grouped) */
	char *hkey;   /* the five joined, for the hash table */
	agg_acc *acc;
	size_t n_acc, cap_acc;
	agg_fc *fc;
	size_t n_fc, cap_fc;
	uint32_t communities;
} agg_group;

struct px_agg {
	unsigned by;
	uint32_t k;
	agg_group total;
	agg_group **groups;
	size_t n_groups, cap_groups;
	size_t *slots; /* hash table of group index + 1; 0 = empty */
	size_t n_slots;
};

static const char *
agg_s(const char *s)
{
	return s != NULL ? s : "";
}

/* ---- A4: one report per (community, period), highest revision ---- */

typedef struct agg_sort_ctx {
	const px_agg_item *items;
	unsigned by;
} agg_sort_ctx;

static int
agg_cmp_dedupe(const void *a, const void *b, void *arg)
{
	const agg_sort_ctx *cx = arg;
	const Praxis__CommunityReport *x = cx->items[*(const size_t *)a].report;
	const Praxis__CommunityReport *y = cx->items[*(const size_t *)b].report;
	int c = strcmp(agg_s(x->community_uid), agg_s(y->community_uid));
	if (c == 0)
		c = strcmp(agg_s(x->period), agg_s(y->period));
	if (c == 0)
		c = x->revision > y->revision ? -1 : x->revision < y->revision;
	if (c == 0)
		c = *(const size_t *)a < *(const size_t *)b ? -1 : 1;
	return c;
}

/* ---- summing ---- */

/* A1 for one cell, alone: suppressed by the node, or under the hub's k. */
static bool
agg_cell_in(const Praxis__Indicator *in, uint32_t k)
{
	if (in == NULL || in->suppressed || !isfinite(in->value))
		return false;
	if (in->population > 0 && in->population < k)
		return false;
	if (agg_is_people_count(in->name) && in->value > 0 && in->value < k)
		return false;
	return true;
}

static const Praxis__Indicator *
agg_ind(const Praxis__CommunityReport *r, const char *name)
{
	for (size_t i = 0; i < r->n_indicators; i++)
		if (r->indicators[i] != NULL && r->indicators[i]->name != NULL &&
		    strcmp(r->indicators[i]->name, name) == 0)
			return r->indicators[i];
	return NULL;
}

static px_err
agg_add_report(agg_group *g, const Praxis__CommunityReport *r, uint32_t k)
{
	g->communities++;
	/* R2 again at the hub: the mean of hours is weighted by members but
	 * made of the hours of fewer people; with the total left out, the mean
	 * times the members would give the total back. Same for organizations
	 * and members_active. */
	const Praxis__Indicator *htot = agg_ind(r, PX_IND_HOURS_TOTAL);
	const Praxis__Indicator *act = agg_ind(r, PX_IND_MEMBERS_ACTIVE);
	bool hours_in = htot == NULL || agg_cell_in(htot, k);
	bool active_in = act == NULL || agg_cell_in(act, k);
	for (size_t i = 0; i < r->n_indicators; i++) {
		const Praxis__Indicator *in = r->indicators[i];
		if (in == NULL || in->name == NULL)
			continue;
		/* Reports list their indicators in the same order: try the same
		 * position first, then search. */
		agg_acc *a = NULL;
		if (i < g->n_acc && strcmp(g->acc[i].name, in->name) == 0)
			a = &g->acc[i];
		for (size_t j = 0; a == NULL && j < g->n_acc; j++)
			if (strcmp(g->acc[j].name, in->name) == 0)
				a = &g->acc[j];
		if (a == NULL) {
			if (g->n_acc == g->cap_acc) {
				size_t nc = g->cap_acc ? 2 * g->cap_acc : 24;
				agg_acc *na = realloc(g->acc, nc * sizeof *na);
				if (na == NULL)
					return PX_ENOMEM;
				g->acc = na;
				g->cap_acc = nc;
			}
			a = &g->acc[g->n_acc];
			memset(a, 0, sizeof *a);
			if ((a->name = strdup(in->name)) == NULL)
				return PX_ENOMEM;
			g->n_acc++;
			a->mean = px_agg_is_mean(in->name);
		}
		/* A1: what the node suppressed, or what falls under the hub's k,
		 * stays out of every sum. */
		bool in_ok = agg_cell_in(in, k);
		if (strcmp(in->name, PX_IND_HOURS_PER_MEMBER_MEAN) == 0 ||
		    strcmp(in->name, PX_IND_HOURS_TOTAL) == 0)
			in_ok = in_ok && hours_in && active_in;
		else if (strcmp(in->name, PX_IND_ORGANIZATIONS) == 0)
			in_ok = in_ok && active_in;
		if (!in_ok) {
			a->withheld++;
			continue;
		}
		a->contributors++;
		a->pop += in->population;
		if (a->mean) {
			double w = in->population > 0 ? in->population : 1;
			a->sum += in->value * w;
			a->weight += w;
		} else {
			a->sum += in->value;
		}
	}
	for (size_t i = 0; i < r->n_findings; i++) {
		const Praxis__FindingCount *f = r->findings[i];
		if (f == NULL || f->rule_id == NULL)
			continue;
		agg_fc *a = NULL;
		if (i < g->n_fc && g->fc[i].severity == (int)f->severity &&
		    strcmp(g->fc[i].rule_id, f->rule_id) == 0)
			a = &g->fc[i];
		for (size_t j = 0; a == NULL && j < g->n_fc; j++)
			if (g->fc[j].severity == (int)f->severity &&
			    strcmp(g->fc[j].rule_id, f->rule_id) == 0)
				a = &g->fc[j];
		if (a == NULL) {
			if (g->n_fc == g->cap_fc) {
				size_t nc = g->cap_fc ? 2 * g->cap_fc : 8;
				agg_fc *na = realloc(g->fc, nc * sizeof *na);
				if (na == NULL)
					return PX_ENOMEM;
				g->fc = na;
				g->cap_fc = nc;
			}
			a = &g->fc[g->n_fc];
			memset(a, 0, sizeof *a);
			if ((a->rule_id = strdup(f->rule_id)) == NULL)
				return PX_ENOMEM;
			g->n_fc++;
			a->severity = (int)f->severity;
		}
		if (f->suppressed || (f->count > 0 && f->count < k))
			a->suppressed = true;
		else
			a->count += f->count;
	}
	return PX_OK;
}

static int
agg_cmp_fc(const void *a, const void *b)
{
	const agg_fc *x = a, *y = b;
	int c = strcmp(x->rule_id, y->rule_id);
	return c != 0 ? c : x->severity - y->severity;
}

/* Is a group cell publishable with threshold k (A3, first half)? */
static bool
agg_cell_ok(const char *name, const Praxis__Indicator *in, uint32_t k)
{
	if (in->contributors == 0)
		return in->withheld == 0 && !px_agg_is_mean(name);
	if (in->population == 0)
		return !agg_is_people_count(name) || in->value == 0;
	return in->population >= k;
}

static void
agg_hide(Praxis__Indicator *in)
{
	in->suppressed = true;
	in->value = 0;
	in->population = 0;
}

/* Core indicators in the table's order, then the others by name, so a row
 * does not depend on the order reports came in. */
static int
agg_cmp_acc(const void *x, const void *y)
{
	const agg_acc *a = x, *b = y;
	int ra = px_report_indicator_rank(a->name), rb = px_report_indicator_rank(b->name);
	if (ra >= 0 || rb >= 0) {
		if (ra < 0)
			return 1;
		if (rb < 0)
			return -1;
		return ra - rb;
	}
	return strcmp(a->name, b->name);
}

static px_err
agg_row_fill(Praxis__AggregateRow *row, agg_group *g, uint32_t k)
{
	row->communities = g->communities;
	if (g->n_acc > 1)
		qsort(g->acc, g->n_acc, sizeof *g->acc, agg_cmp_acc);
	if (g->n_acc > 0 && (row->indicators = calloc(g->n_acc, sizeof *row->indicators)) == NULL)
		return PX_ENOMEM;
	for (size_t i = 0; i < g->n_acc; i++) {
		agg_acc *a = &g->acc[i];
		Praxis__Indicator *in = malloc(sizeof *in);
		if (in == NULL)
			return PX_ENOMEM;
		praxis__indicator__init(in);
		row->indicators[row->n_indicators++] = in;
		if ((in->name = strdup(a->name)) == NULL)
			return PX_ENOMEM;
		in->value = a->mean ? (a->weight > 0 ? a->sum / a->weight : 0) : a->sum;
		in->population = a->pop > UINT32_MAX ? UINT32_MAX : (uint32_t)a->pop;
		in->contributors = a->contributors;
		in->withheld = a->withheld;
		if (!agg_cell_ok(a->name, in, k))
			agg_hide(in);
	}
	if (g->n_fc > 0) {
		qsort(g->fc, g->n_fc, sizeof *g->fc, agg_cmp_fc);
		if ((row->findings = calloc(g->n_fc, sizeof *row->findings)) == NULL)
			return PX_ENOMEM;
	}
	for (size_t i = 0; i < g->n_fc; i++) {
		Praxis__FindingCount *f = malloc(sizeof *f);
		if (f == NULL)
			return PX_ENOMEM;
		praxis__finding_count__init(f);
		row->findings[row->n_findings++] = f;
		if ((f->rule_id = strdup(g->fc[i].rule_id)) == NULL)
			return PX_ENOMEM;
		f->severity = (Praxis__Severity)g->fc[i].severity;
		f->count = g->fc[i].count > UINT32_MAX ? UINT32_MAX : (uint32_t)g->fc[i].count;
		f->suppressed = g->fc[i].suppressed;
	}
	return PX_OK;
}

static Praxis__AggregateRow *
agg_row_new(void)
{
	Praxis__AggregateRow *row = malloc(sizeof *row);
	if (row == NULL)
		return NULL;
	praxis__aggregate_row__init(row);
	row->framework = strdup("");
	row->region = strdup("");
	row->tenant = strdup("");
	row->community_uid = strdup("");
	row->period = strdup("");
	if (!row->framework || !row->region || !row->tenant || !row->community_uid ||
	    !row->period) {
		protobuf_c_message_free_unpacked(&row->base, NULL);
		return NULL;
	}
	return row;
}

static px_err
agg_set(char **field, const char *v)
{
	char *s = strdup(agg_s(v));
	if (s == NULL)
		return PX_ENOMEM;
	free(*field);
	*field = s;
	return PX_OK;
}

static Praxis__Indicator *
agg_find(Praxis__AggregateRow *row, const char *name)
{
	for (size_t i = 0; i < row->n_indicators; i++)
		if (strcmp(row->indicators[i]->name, name) == 0)
			return row->indicators[i];
	return NULL;
}

/* A3, second half: the people hidden in suppressed rows of one table must be
 * 0 or >= k, or total minus the published rows would give them. */
static void
agg_complement(Praxis__AggregateResponse *a, uint32_t k)
{
	Praxis__AggregateRow *t = a->total;
	for (size_t i = 0; i < t->n_indicators; i++) {
		Praxis__Indicator *ti = t->indicators[i];
		if (ti->suppressed || ti->population == 0)
			continue;
		for (;;) {
			uint64_t shown = 0;
			Praxis__Indicator *smallest = NULL;
			for (size_t r = 0; r < a->n_rows; r++) {
				Praxis__Indicator *ri = agg_find(a->rows[r], ti->name);
				if (ri == NULL || ri->suppressed)
					continue;
				shown += ri->population;
				if (ri->population > 0 &&
				    (smallest == NULL || ri->population < smallest->population))
					smallest = ri;
			}
			uint64_t hidden =
			    ti->population - (shown < ti->population ? shown : ti->population);
			if (hidden == 0 || hidden >= k)
				break;
			if (smallest == NULL) {
				agg_hide(ti);
				break;
			}
			agg_hide(smallest);
		}
	}
}

static void
agg_group_fini(agg_group *g)
{
	for (size_t i = 0; i < g->n_acc; i++)
		free(g->acc[i].name);
	for (size_t i = 0; i < g->n_fc; i++)
		free(g->fc[i].rule_id);
	for (int i = 0; i < 5; i++)
		free(g->key[i]);
	free(g->hkey);
	free(g->acc);
	free(g->fc);
	memset(g, 0, sizeof *g);
}

px_err
px_agg_new(unsigned by, uint32_t k, px_agg **out)
{
	if (out == NULL)
		return PX_EINVAL;
	px_agg *a = calloc(1, sizeof *a);
	if (a == NULL)
		return PX_ENOMEM;
	a->by = by;
	a->k = k ? k : PX_REPORT_K_DEFAULT;
	*out = a;
	return PX_OK;
}

void
px_agg_discard(px_agg *a)
{
	if (a == NULL)
		return;
	agg_group_fini(&a->total);
	for (size_t i = 0; i < a->n_groups; i++) {
		agg_group_fini(a->groups[i]);
		free(a->groups[i]);
	}
	free(a->groups);
	free(a->slots);
	free(a);
}

static uint64_t
agg_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

static px_err
agg_rehash(px_agg *a)
{
	size_t n = a->n_slots ? 2 * a->n_slots : 64;
	size_t *slots = calloc(n, sizeof *slots);
	if (slots == NULL)
		return PX_ENOMEM;
	for (size_t i = 0; i < a->n_groups; i++) {
		size_t j = agg_hash(a->groups[i]->hkey) & (n - 1);
		while (slots[j] != 0)
			j = (j + 1) & (n - 1);
		slots[j] = i + 1;
	}
	free(a->slots);
	a->slots = slots;
	a->n_slots = n;
	return PX_OK;
}

/* The group of r, created on first sight. */
static px_err
agg_group_of(px_agg *a, const Praxis__CommunityReport *r, const char *tenant, agg_group **out)
{
	const char *f[5] = {agg_s(r->framework), agg_s(r->region), agg_s(tenant),
	                    agg_s(r->community_uid), agg_s(r->period)};
	static const unsigned bits[5] = {PX_AGG_BY_FRAMEWORK, PX_AGG_BY_REGION, PX_AGG_BY_TENANT,
	                                 PX_AGG_BY_COMMUNITY, PX_AGG_BY_PERIOD};
	char buf[512];
	size_t len = 0;
	for (int i = 0; i < 5; i++) {
		const char *v = (a->by & bits[i]) ? f[i] : "";
		size_t n = strlen(v);
		if (len + n + 2 > sizeof buf)
			return PX_ETOOBIG;
		memcpy(buf + len, v, n);
		len += n;
		buf[len++] = '\x1f'; /* unit separator: not in names */
	}
	buf[len] = '\0';
	if (2 * (a->n_groups + 1) > a->n_slots) {
		px_err rv = agg_rehash(a);
		if (rv != PX_OK)
			return rv;
	}
	size_t j = agg_hash(buf) & (a->n_slots - 1);
	while (a->slots[j] != 0) {
		agg_group *g = a->groups[a->slots[j] - 1];
		if (strcmp(g->hkey, buf) == 0) {
			*out = g;
			return PX_OK;
		}
		j = (j + 1) & (a->n_slots - 1);
	}
	if (a->n_groups == a->cap_groups) {
		size_t nc = a->cap_groups ? 2 * a->cap_groups : 16;
		agg_group **ng = realloc(a->groups, nc * sizeof *ng);
		if (ng == NULL)
			return PX_ENOMEM;
		a->groups = ng;
		a->cap_groups = nc;
	}
	agg_group *g = calloc(1, sizeof *g);
	if (g == NULL)
		return PX_ENOMEM;
	bool ok = (g->hkey = strdup(buf)) != NULL;
	for (int i = 0; i < 5; i++)
		ok = ok && (g->key[i] = strdup((a->by & bits[i]) ? f[i] : "")) != NULL;
	if (!ok) {
		agg_group_fini(g);
		free(g);
		return PX_ENOMEM;
	}
	a->groups[a->n_groups++] = g;
	a->slots[j] = a->n_groups;
	*out = g;
	return PX_OK;
}

px_err
px_agg_add(px_agg *a, const Praxis__CommunityReport *r, const char *tenant)
{
	agg_group *g;
	if (a == NULL || r == NULL)
		return PX_EINVAL;
	px_err rv = agg_group_of(a, r, tenant, &g);
	if (rv != PX_OK)
		return rv;
	if (r->k >= a->k) {
		/* R1-R3 with a k at least the hub's imply them with the hub's. */
		rv = agg_add_report(g, r, a->k);
		if (rv == PX_OK)
			rv = agg_add_report(&a->total, r, a->k);
		return rv;
	}
	/* A node that used a smaller k: run R1-R3 again with the hub's k on a
	 * shallow copy (names shared, figures copied), so that complements too
	 * are 0 or >= the hub's k. */
	Praxis__CommunityReport c = *r;
	Praxis__Indicator *ind = calloc(r->n_indicators + 1, sizeof *ind);
	Praxis__Indicator **pind = calloc(r->n_indicators + 1, sizeof *pind);
	Praxis__FindingCount *fc = calloc(r->n_findings + 1, sizeof *fc);
	Praxis__FindingCount **pfc = calloc(r->n_findings + 1, sizeof *pfc);
	rv = PX_ENOMEM;
	if (ind != NULL && pind != NULL && fc != NULL && pfc != NULL) {
		size_t ni = 0, nf = 0;
		for (size_t i = 0; i < r->n_indicators; i++)
			if (r->indicators[i] != NULL && r->indicators[i]->name != NULL) {
				ind[ni] = *r->indicators[i];
				pind[ni] = &ind[ni];
				ni++;
			}
		for (size_t i = 0; i < r->n_findings; i++)
			if (r->findings[i] != NULL && r->findings[i]->rule_id != NULL) {
				fc[nf] = *r->findings[i];
				pfc[nf] = &fc[nf];
				nf++;
			}
		c.indicators = pind;
		c.n_indicators = ni;
		c.findings = pfc;
		c.n_findings = nf;
		px_report_suppress(&c, a->k);
		rv = agg_add_report(g, &c, a->k);
		if (rv == PX_OK)
			rv = agg_add_report(&a->total, &c, a->k);
	}
	free(ind);
	free(pind);
	free(fc);
	free(pfc);
	return rv;
}

static int
agg_cmp_groups(const void *x, const void *y)
{
	const agg_group *g = *(agg_group *const *)x, *h = *(agg_group *const *)y;
	for (int i = 0; i < 5; i++) {
		int c = strcmp(g->key[i], h->key[i]);
		if (c != 0)
			return c;
	}
	return 0;
}

px_err
px_agg_finish(px_agg *ag, Praxis__AggregateResponse **out)
{
	px_err rv = PX_ENOMEM;
	if (ag == NULL || out == NULL) {
		px_agg_discard(ag);
		return PX_EINVAL;
	}
	*out = NULL;
	Praxis__AggregateResponse *a = malloc(sizeof *a);
	if (a == NULL)
		goto fail;
	praxis__aggregate_response__init(a);
	if (ag->n_groups > 1)
		qsort(ag->groups, ag->n_groups, sizeof *ag->groups, agg_cmp_groups);
	if (ag->n_groups > 0 && (a->rows = calloc(ag->n_groups, sizeof *a->rows)) == NULL)
		goto fail;
	for (size_t i = 0; i < ag->n_groups; i++) {
		agg_group *g = ag->groups[i];
		rv = PX_ENOMEM;
		Praxis__AggregateRow *row = agg_row_new();
		if (row == NULL)
			goto fail;
		a->rows[a->n_rows++] = row;
		if (agg_set(&row->framework, g->key[0]) || agg_set(&row->region, g->key[1]) ||
		    agg_set(&row->tenant, g->key[2]) || agg_set(&row->community_uid, g->key[3]) ||
		    agg_set(&row->period, g->key[4]))
			goto fail;
		if ((rv = agg_row_fill(row, g, ag->k)) != PX_OK)
			goto fail;
	}
	rv = PX_ENOMEM;
	if ((a->total = agg_row_new()) == NULL)
		goto fail;
	if ((rv = agg_row_fill(a->total, &ag->total, ag->k)) != PX_OK)
		goto fail;
	agg_complement(a, ag->k);
	px_agg_discard(ag);
	*out = a;
	return PX_OK;
fail:
	px_agg_discard(ag);
	px_agg_free(a);
	return rv;
}

px_err
px_agg_build(const px_agg_item *items, size_t n, unsigned by, uint32_t k,
             Praxis__AggregateResponse **out)
{
	px_err rv;
	if (out == NULL || (items == NULL && n > 0))
		return PX_EINVAL;
	*out = NULL;
	for (size_t i = 0; i < n; i++)
		if (items[i].report == NULL)
			return PX_EINVAL;
	size_t *idx = calloc(n + 1, sizeof *idx);
	px_agg *ag = NULL;
	if (idx == NULL)
		return PX_ENOMEM;
	if ((rv = px_agg_new(by, k, &ag)) != PX_OK) {
		free(idx);
		return rv;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	/* qsort_r (glibc): the comparator gets the items without a global. */
	agg_sort_ctx cx = {items, by};
	qsort_r(idx, n, sizeof *idx, agg_cmp_dedupe, &cx);
	for (size_t i = 0; i < n; i++) {
		const Praxis__CommunityReport *r = items[idx[i]].report;
		if (i > 0) {
			const Praxis__CommunityReport *p = items[idx[i - 1]].report;
			if (strcmp(agg_s(p->community_uid), agg_s(r->community_uid)) == 0 &&
			    strcmp(agg_s(p->period), agg_s(r->period)) == 0)
				continue; /* an older or equal revision */
		}
		if ((rv = px_agg_add(ag, r, items[idx[i]].tenant)) != PX_OK) {
			free(idx);
			px_agg_discard(ag);
			return rv;
		}
	}
	free(idx);
	return px_agg_finish(ag, out);
}
void
px_agg_free(Praxis__AggregateResponse *a)
{
	if (a != NULL)
		protobuf_c_message_free_unpacked(&a->base, NULL);
}

px_err
px_agg_trend(const Praxis__AggregateRow *from, const Praxis__AggregateRow *to, px_trend **out,
             size_t *n)
{
	if (from == NULL || to == NULL || out == NULL || n == NULL)
		return PX_EINVAL;
	*out = NULL;
	*n = 0;
	px_trend *t = calloc(to->n_indicators + 1, sizeof *t);
	if (t == NULL)
		return PX_ENOMEM;
	for (size_t i = 0; i < to->n_indicators; i++) {
		const Praxis__Indicator *b = to->indicators[i], *f = NULL;
		for (size_t j = 0; j < from->n_indicators; j++)
			if (strcmp(from->indicators[j]->name, b->name) == 0)
				f = from->indicators[j];
		px_trend *x = &t[i];
		x->name = b->name;
		if (f == NULL || f->suppressed || b->suppressed) {
			x->suppressed = true;
			continue;
		}
		x->from = f->value;
		x->to = b->value;
		x->delta = b->value - f->value;
		x->ratio = f->value != 0 ? b->value / f->value : 0;
	}
	*out = t;
	*n = to->n_indicators;
	return PX_OK;
}
