/*
 * agg.c - aggregates on demand: the latest revision of every report in the
 * filter and the viewer's scope, handed to px_agg_build (src/report) for
 * each grouping. Small-cell suppression is px_agg's (A1-A4), with the hub's k.
 */
#define _GNU_SOURCE
#include "hub.h"
#include "px_report.h"

#include <stdlib.h>
#include <string.h>

bool
hub_scope_allows(const Praxis__HubViewer *v, const char *tenant, const char *framework,
                 const char *region)
{
	if (v == NULL)
		return true;
	if (v->n_tenants > 0) {
		bool ok = false;
		for (size_t i = 0; i < v->n_tenants && !ok; i++)
			ok = strcmp(v->tenants[i], tenant) == 0;
		if (!ok)
			return false;
	}
	if (v->framework != NULL && v->framework[0] && strcmp(v->framework, framework) != 0)
		return false;
	if (v->region != NULL && v->region[0] && strcmp(v->region, region) != 0)
		return false;
	return true;
}

typedef struct hub_collect {
	const hub_filter *f;
	Praxis__HubLatestReport **v;
	size_t n, cap;
} hub_collect;

static bool
hub_match(const char *want, const char *have)
{
	return want == NULL || want[0] == '\0' || strcmp(want, have) == 0;
}

static px_err
hub_collect_cb(void *arg, px_val key, px_val val)
{
	hub_collect *c = arg;
	(void)key;
	Praxis__HubLatestReport *l = praxis__hub_latest_report__unpack(NULL, val.size, val.data);
	if (l == NULL || l->report == NULL) {
		if (l != NULL)
			praxis__hub_latest_report__free_unpacked(l, NULL);
		return PX_ECORRUPT;
	}
	const Praxis__CommunityReport *r = l->report;
	const hub_filter *f = c->f;
	if (!hub_match(f->framework, r->framework) || !hub_match(f->region, r->region) ||
	    !hub_match(f->period, r->period) || !hub_match(f->tenant, l->tenant) ||
	    !hub_match(f->community, r->community_uid) ||
	    !hub_scope_allows(f->scope, l->tenant, r->framework, r->region)) {
		praxis__hub_latest_report__free_unpacked(l, NULL);
		return PX_OK;
	}
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 64;
		void *np = realloc(c->v, nc * sizeof *c->v);
		if (np == NULL) {
			praxis__hub_latest_report__free_unpacked(l, NULL);
			return PX_ENOMEM;
		}
		c->v = np;
		c->cap = nc;
	}
	c->v[c->n++] = l;
	return PX_OK;
}

static void
hub_row_fini(hub_row *r)
{
	free(r->cells);
	free(r->findings);
	memset(r, 0, sizeof *r);
}

/* Points r into a (which must outlive it). */
static px_err
hub_row_from(const Praxis__AggregateRow *a, hub_row *out)
{
	memset(out, 0, sizeof *out);
	out->framework = a->framework;
	out->region = a->region;
	out->tenant = a->tenant;
	out->community = a->community_uid;
	out->community_name = "";
	out->period = a->period;
	out->communities = a->communities;
	if (a->n_indicators > 0 && (out->cells = calloc(a->n_indicators, sizeof *out->cells)) == NULL)
		return PX_ENOMEM;
	for (size_t i = 0; i < a->n_indicators; i++) {
		const Praxis__Indicator *in = a->indicators[i];
		hub_cell *c = &out->cells[out->n_cells++];
		c->name = in->name;
		c->value = in->value;
		c->population = in->population;
		c->suppressed = in->suppressed;
		c->withheld = in->withheld;
		c->contributors = in->contributors;
		c->present = true;
	}
	if (a->n_findings > 0 && (out->findings = calloc(a->n_findings, sizeof *out->findings)) == NULL)
		return PX_ENOMEM;
	for (size_t i = 0; i < a->n_findings; i++) {
		const Praxis__FindingCount *fc = a->findings[i];
		hub_finding *f = &out->findings[out->n_findings++];
		f->rule = fc->rule_id;
		f->severity = fc->severity;
		f->count = fc->count;
		f->suppressed = fc->suppressed;
	}
	return PX_OK;
}

/* Converts the rows of a (kept by the caller) into hub rows. */
static px_err
hub_group_rows(const Praxis__AggregateResponse *a, hub_row **rows, size_t *nrows, hub_row *total)
{
	px_err rv = PX_OK;
	*rows = NULL;
	*nrows = 0;
	if (a->n_rows > 0 && (*rows = calloc(a->n_rows, sizeof **rows)) == NULL)
		return PX_ENOMEM;
	for (size_t i = 0; i < a->n_rows && rv == PX_OK; i++) {
		rv = hub_row_from(a->rows[i], &(*rows)[i]);
		(*nrows)++;
	}
	if (rv == PX_OK && total != NULL && a->total != NULL)
		rv = hub_row_from(a->total, total);
	return rv;
}

/* Community names, sorted by uid, in one block: the unpacked reports can
 * be freed before the rows are converted. */
typedef struct hub_name {
	const char *uid, *name;
} hub_name;

static int
hub_name_cmp(const void *a, const void *b)
{
	return strcmp(((const hub_name *)a)->uid, ((const hub_name *)b)->uid);
}

px_err
hub_aggregate(hub *h, const hub_filter *f, hub_result *out)
{
	memset(out, 0, sizeof *out);
	out->k = HUB_DEFAULT_K;
	hub_collect c = {f, NULL, 0, 0};
	px_txn *txn = NULL;
	px_err rv = px_txn_begin(h->st, false, &txn);
	if (rv != PX_OK)
		return rv;
	if (f->tenant != NULL && f->tenant[0] != '\0')
		rv = px_scan(txn, h->latest, f->tenant, strlen(f->tenant) + 1, hub_collect_cb, &c);
	else
		rv = px_scan(txn, h->latest, NULL, 0, hub_collect_cb, &c);
	px_txn_abort(txn);
	px_agg_item *items = NULL;
	Praxis__AggregateResponse *a[5] = {NULL, NULL, NULL, NULL, NULL};
	if (rv != PX_OK)
		goto done;
	if (c.n > 0 && (items = calloc(c.n, sizeof *items)) == NULL) {
		rv = PX_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < c.n; i++) {
		items[i].report = c.v[i]->report;
		items[i].tenant = c.v[i]->tenant;
	}
	const unsigned by[5] = {PX_AGG_BY_FRAMEWORK | PX_AGG_BY_REGION | PX_AGG_BY_TENANT |
	                            PX_AGG_BY_COMMUNITY | PX_AGG_BY_PERIOD,
	                        PX_AGG_BY_FRAMEWORK, PX_AGG_BY_PERIOD, PX_AGG_BY_REGION, PX_AGG_BY_TENANT};
	for (int g = 0; g < 5 && rv == PX_OK; g++)
		rv = px_agg_build(items, c.n, by[g], out->k, &a[g]);
	if (rv != PX_OK)
		goto done;
	/* Names into one pool, then the reports go: the responses are all the
	 * rows need. */
	size_t pool_len = 0;
	for (size_t i = 0; i < c.n; i++)
		pool_len += strlen(c.v[i]->report->community_uid) + strlen(c.v[i]->report->community_name) + 2;
	hub_name *names = NULL;
	char *pool = malloc(sizeof(size_t) + c.n * sizeof *names + pool_len + 1);
	if (pool == NULL) {
		rv = PX_ENOMEM;
		goto done;
	}
	out->keep[5] = pool;
	names = (hub_name *)(void *)(pool + sizeof(size_t));
	char *p = (char *)(names + c.n);
	for (size_t i = 0; i < c.n; i++) {
		size_t ul = strlen(c.v[i]->report->community_uid) + 1;
		size_t nl = strlen(c.v[i]->report->community_name) + 1;
		memcpy(p, c.v[i]->report->community_uid, ul);
		names[i].uid = p;
		p += ul;
		memcpy(p, c.v[i]->report->community_name, nl);
		names[i].name = p;
		p += nl;
	}
	if (c.n > 1)
		qsort(names, c.n, sizeof *names, hub_name_cmp);
	free(items);
	items = NULL;
	for (size_t i = 0; i < c.n; i++)
		praxis__hub_latest_report__free_unpacked(c.v[i], NULL);
	free(c.v);
	c.v = NULL;
	size_t nreports = c.n;
	c.n = 0;
	for (int g = 0; g < 5; g++) {
		out->keep[g] = a[g];
		a[g] = NULL;
	}
	Praxis__AggregateResponse *const *k = (Praxis__AggregateResponse *const *)out->keep;
	if ((rv = hub_group_rows(k[0], &out->rows, &out->n_rows, &out->total)) != PX_OK ||
	    (rv = hub_group_rows(k[1], &out->by_framework, &out->n_by_framework, NULL)) != PX_OK ||
	    (rv = hub_group_rows(k[2], &out->by_period, &out->n_by_period, NULL)) != PX_OK ||
	    (rv = hub_group_rows(k[3], &out->by_region, &out->n_by_region, NULL)) != PX_OK ||
	    (rv = hub_group_rows(k[4], &out->by_tenant, &out->n_by_tenant, NULL)) != PX_OK)
		goto done;
	for (size_t i = 0; i < out->n_rows; i++) {
		hub_name key = {out->rows[i].community, NULL};
		const hub_name *hit = bsearch(&key, names, nreports, sizeof *names, hub_name_cmp);
		if (hit != NULL)
			out->rows[i].community_name = hit->name;
	}
done:
	free(items);
	for (size_t i = 0; i < c.n; i++)
		praxis__hub_latest_report__free_unpacked(c.v[i], NULL);
	free(c.v);
	for (int g = 0; g < 5; g++)
		px_agg_free(a[g]);
	if (rv != PX_OK)
		hub_result_fini(out);
	return rv;
}

static void
hub_rows_free(hub_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hub_row_fini(&rows[i]);
	free(rows);
}

void
hub_result_fini(hub_result *r)
{
	hub_rows_free(r->rows, r->n_rows);
	hub_rows_free(r->by_framework, r->n_by_framework);
	hub_rows_free(r->by_period, r->n_by_period);
	hub_rows_free(r->by_tenant, r->n_by_tenant);
	hub_rows_free(r->by_region, r->n_by_region);
	hub_row_fini(&r->total);
	for (int g = 0; g < 5; g++)
		px_agg_free(r->keep[g]);
	free(r->keep[5]);
	memset(r, 0, sizeof *r);
}
