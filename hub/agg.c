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

static px_err
hub_row_from(const Praxis__AggregateRow *a, hub_row *out)
{
	memset(out, 0, sizeof *out);
	px_strlcpy(out->framework, a->framework, sizeof out->framework);
	px_strlcpy(out->region, a->region, sizeof out->region);
	px_strlcpy(out->tenant, a->tenant, sizeof out->tenant);
	px_strlcpy(out->community, a->community_uid, sizeof out->community);
	px_strlcpy(out->period, a->period, sizeof out->period);
	out->communities = a->communities;
	if (a->n_indicators > 0 && (out->cells = calloc(a->n_indicators, sizeof *out->cells)) == NULL)
		return PX_ENOMEM;
	for (size_t i = 0; i < a->n_indicators; i++) {
		const Praxis__Indicator *in = a->indicators[i];
		hub_cell *c = &out->cells[out->n_cells++];
		px_strlcpy(c->name, in->name, sizeof c->name);
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
		px_strlcpy(f->rule, fc->rule_id, sizeof f->rule);
		f->severity = fc->severity;
		f->count = fc->count;
		f->suppressed = fc->suppressed;
	}
	return PX_OK;
}

/* Runs px_agg_build for one grouping and converts its rows. */
static px_err
hub_group(const px_agg_item *items, size_t n, unsigned by, uint32_t k, hub_row **rows,
          size_t *nrows, hub_row *total)
{
	Praxis__AggregateResponse *a = NULL;
	px_err rv = px_agg_build(items, n, by, k, &a);
	if (rv != PX_OK)
		return rv;
	*rows = NULL;
	*nrows = 0;
	if (a->n_rows > 0 && (*rows = calloc(a->n_rows, sizeof **rows)) == NULL) {
		rv = PX_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < a->n_rows && rv == PX_OK; i++) {
		rv = hub_row_from(a->rows[i], &(*rows)[i]);
		(*nrows)++;
	}
	if (rv == PX_OK && total != NULL && a->total != NULL)
		rv = hub_row_from(a->total, total);
done:
	px_agg_free(a);
	return rv;
}

static int
hub_uid_cmp(const void *a, const void *b)
{
	const Praxis__HubLatestReport *x = *(Praxis__HubLatestReport *const *)a;
	const Praxis__HubLatestReport *y = *(Praxis__HubLatestReport *const *)b;
	return strcmp(x->report->community_uid, y->report->community_uid);
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
	const unsigned all = PX_AGG_BY_FRAMEWORK | PX_AGG_BY_REGION | PX_AGG_BY_TENANT |
	                     PX_AGG_BY_COMMUNITY | PX_AGG_BY_PERIOD;
	if ((rv = hub_group(items, c.n, all, out->k, &out->rows, &out->n_rows, &out->total)) != PX_OK)
		goto done;
	if ((rv = hub_group(items, c.n, PX_AGG_BY_FRAMEWORK, out->k, &out->by_framework,
	                    &out->n_by_framework, NULL)) != PX_OK)
		goto done;
	if ((rv = hub_group(items, c.n, PX_AGG_BY_PERIOD, out->k, &out->by_period, &out->n_by_period,
	                    NULL)) != PX_OK)
		goto done;
	if ((rv = hub_group(items, c.n, PX_AGG_BY_REGION, out->k, &out->by_region, &out->n_by_region,
	                    NULL)) != PX_OK)
		goto done;
	if ((rv = hub_group(items, c.n, PX_AGG_BY_TENANT, out->k, &out->by_tenant, &out->n_by_tenant,
	                    NULL)) != PX_OK)
		goto done;
	/* Community names come from the reports (px_agg rows carry the uid):
	 * sort by uid once, then binary search per row. */
	if (c.n > 1)
		qsort(c.v, c.n, sizeof *c.v, hub_uid_cmp);
	for (size_t i = 0; i < out->n_rows; i++) {
		Praxis__CommunityReport kr = PRAXIS__COMMUNITY_REPORT__INIT;
		kr.community_uid = out->rows[i].community;
		Praxis__HubLatestReport kl = PRAXIS__HUB_LATEST_REPORT__INIT;
		kl.report = &kr;
		Praxis__HubLatestReport *kp = &kl;
		Praxis__HubLatestReport **hit = bsearch(&kp, c.v, c.n, sizeof *c.v, hub_uid_cmp);
		if (hit != NULL)
			px_strlcpy(out->rows[i].community_name, (*hit)->report->community_name,
			           sizeof out->rows[i].community_name);
	}
done:
	free(items);
	for (size_t i = 0; i < c.n; i++)
		praxis__hub_latest_report__free_unpacked(c.v[i], NULL);
	free(c.v);
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
	memset(r, 0, sizeof *r);
}
