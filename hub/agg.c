/*
 * agg.c - aggregates on demand: the latest revision of every report in the
 * filter and the viewer's scope, read from the index of views.c, handed to
 * px_agg (src/report) for each grouping. Small-cell suppression is px_agg's (A1-A4), with the hub's k.
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

/* The scan: each matching latest report is decoded, added to the five
 * aggregations (px_agg copies what it needs) and dropped at once, so a
 * large hub never holds every report in memory. Community names go to a
 * pool. */
typedef struct hub_collect {
	const hub_filter *f;
	px_agg *ag[5];
	char *pool;               /* uid\0name\0 ... */
	size_t pool_len, pool_cap;
	size_t *offs;             /* offset of each uid in pool */
	size_t n, cap;
} hub_collect;

static px_err
hub_pool_add(hub_collect *c, const char *uid, const char *name)
{
	size_t ul = strlen(uid) + 1, nl = strlen(name) + 1;
	if (c->pool_len + ul + nl > c->pool_cap) {
		size_t nc = c->pool_cap ? c->pool_cap * 2 : 4096;
		while (nc < c->pool_len + ul + nl)
			nc *= 2;
		char *np = realloc(c->pool, nc);
		if (np == NULL)
			return PX_ENOMEM;
		c->pool = np;
		c->pool_cap = nc;
	}
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 64;
		size_t *np = realloc(c->offs, nc * sizeof *np);
		if (np == NULL)
			return PX_ENOMEM;
		c->offs = np;
		c->cap = nc;
	}
	c->offs[c->n++] = c->pool_len;
	memcpy(c->pool + c->pool_len, uid, ul);
	memcpy(c->pool + c->pool_len + ul, name, nl);
	c->pool_len += ul + nl;
	return PX_OK;
}

static px_err
hub_collect_cb(void *arg, const hub_view *v)
{
	hub_collect *c = arg;
	px_err rv = PX_OK;
	for (int g = 0; g < 5 && rv == PX_OK; g++)
		if (c->ag[g] != NULL)
			rv = px_agg_add(c->ag[g], v->report, v->tenant);
	/* Names only for the per-community rows: without them the scan's
	 * memory does not grow with the reports. */
	if (rv == PX_OK && c->ag[0] != NULL)
		rv = hub_pool_add(c, v->report->community_uid, v->report->community_name);
	return rv;
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
	hub_collect c;
	memset(&c, 0, sizeof c);
	c.f = f;
	Praxis__AggregateResponse *a[5] = {NULL, NULL, NULL, NULL, NULL};
	const unsigned by[5] = {PX_AGG_BY_FRAMEWORK | PX_AGG_BY_REGION | PX_AGG_BY_TENANT |
	                            PX_AGG_BY_COMMUNITY | PX_AGG_BY_PERIOD,
	                        PX_AGG_BY_FRAMEWORK, PX_AGG_BY_PERIOD, PX_AGG_BY_REGION, PX_AGG_BY_TENANT};
	px_err rv = PX_OK;
	unsigned want = f->groups ? f->groups : 0x1f;
	for (int g = 0; g < 5 && rv == PX_OK; g++)
		if (want & (1u << g))
			rv = px_agg_new(by[g], out->k, &c.ag[g]);
	if (rv == PX_OK)
		rv = hub_views_each(h, f, false, hub_collect_cb, &c);
	for (int g = 0; g < 5 && rv == PX_OK; g++) {
		if (c.ag[g] == NULL)
			continue;
		rv = px_agg_finish(c.ag[g], &a[g]);
		c.ag[g] = NULL; /* finished (or freed by finish on error) */
	}
	if (rv != PX_OK)
		goto done;
	/* The name pool becomes a sorted (uid, name) table kept by the result. */
	hub_name *names = NULL;
	char *keep = malloc(c.n * sizeof *names + c.pool_len + 1);
	if (keep == NULL) {
		rv = PX_ENOMEM;
		goto done;
	}
	out->keep[5] = keep;
	names = (hub_name *)(void *)keep;
	char *pool = keep + c.n * sizeof *names;
	if (c.pool_len > 0)
		memcpy(pool, c.pool, c.pool_len);
	for (size_t i = 0; i < c.n; i++) {
		names[i].uid = pool + c.offs[i];
		names[i].name = names[i].uid + strlen(names[i].uid) + 1;
	}
	if (c.n > 1)
		qsort(names, c.n, sizeof *names, hub_name_cmp);
	for (int g = 0; g < 5; g++) {
		out->keep[g] = a[g];
		a[g] = NULL;
	}
	Praxis__AggregateResponse *const *k = (Praxis__AggregateResponse *const *)out->keep;
	/* Without the rows grouping, the total comes from another one: every
	 * px_agg total covers all the reports added. */
	for (int g = 1; k[0] == NULL && g < 5 && rv == PX_OK; g++)
		if (k[g] != NULL && k[g]->total != NULL) {
			rv = hub_row_from(k[g]->total, &out->total);
			break;
		}
	if (rv != PX_OK)
		goto done;
	if ((k[0] && (rv = hub_group_rows(k[0], &out->rows, &out->n_rows, &out->total)) != PX_OK) ||
	    (k[1] && (rv = hub_group_rows(k[1], &out->by_framework, &out->n_by_framework, NULL)) != PX_OK) ||
	    (k[2] && (rv = hub_group_rows(k[2], &out->by_period, &out->n_by_period, NULL)) != PX_OK) ||
	    (k[3] && (rv = hub_group_rows(k[3], &out->by_region, &out->n_by_region, NULL)) != PX_OK) ||
	    (k[4] && (rv = hub_group_rows(k[4], &out->by_tenant, &out->n_by_tenant, NULL)) != PX_OK))
		goto done;
	for (size_t i = 0; i < out->n_rows; i++) {
		hub_name key = {out->rows[i].community, NULL};
		const hub_name *hit = c.n ? bsearch(&key, names, c.n, sizeof *names, hub_name_cmp) : NULL;
		if (hit != NULL)
			out->rows[i].community_name = hit->name;
	}
done:
	for (int g = 0; g < 5; g++) {
		px_agg_discard(c.ag[g]);
		px_agg_free(a[g]);
	}
	free(c.pool);
	free(c.offs);
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

/* ---- rows one community at a time (exports) ---- */

typedef struct hub_stream {
	const hub_filter *f;
	hub_row_fn fn;
	void *arg;
	px_agg *ag;             /* the current community's */
	char uid[128];
	char name[128];
	px_err err;
} hub_stream;

static px_err
hub_stream_flush(hub_stream *s)
{
	if (s->ag == NULL)
		return PX_OK;
	Praxis__AggregateResponse *a = NULL;
	px_err rv = px_agg_finish(s->ag, &a);
	s->ag = NULL;
	for (size_t i = 0; rv == PX_OK && i < a->n_rows; i++) {
		hub_row row;
		rv = hub_row_from(a->rows[i], &row);
		if (rv == PX_OK) {
			row.community_name = s->name;
			rv = s->fn(s->arg, &row);
		}
		hub_row_fini(&row);
	}
	px_agg_free(a);
	return rv;
}

static px_err
hub_stream_cb(void *arg, const hub_view *v)
{
	hub_stream *s = arg;
	const Praxis__CommunityReport *r = v->report;
	px_err rv = PX_OK;
	/* A community's reports come together (community_major): one px_agg
	 * per community bounds the memory. */
	if (s->ag != NULL && strcmp(s->uid, r->community_uid) != 0)
		rv = hub_stream_flush(s);
	if (rv == PX_OK && s->ag == NULL) {
		px_strlcpy(s->uid, r->community_uid, sizeof s->uid);
		px_strlcpy(s->name, r->community_name, sizeof s->name);
		rv = px_agg_new(PX_AGG_BY_FRAMEWORK | PX_AGG_BY_REGION | PX_AGG_BY_TENANT |
		                    PX_AGG_BY_COMMUNITY | PX_AGG_BY_PERIOD,
		                HUB_DEFAULT_K, &s->ag);
	}
	if (rv == PX_OK)
		rv = px_agg_add(s->ag, r, v->tenant);
	return rv;
}

px_err
hub_rows_each(hub *h, const hub_filter *f, hub_row_fn fn, void *arg)
{
	hub_stream s;
	memset(&s, 0, sizeof s);
	s.f = f;
	s.fn = fn;
	s.arg = arg;
	px_err rv = hub_views_each(h, f, true, hub_stream_cb, &s);
	if (rv == PX_OK)
		rv = hub_stream_flush(&s);
	px_agg_discard(s.ag);
	return rv;
}
