/*
 * test_hub_views.c - the aggregate index (hub/views.c) against a full
 * recomputation from every stored revision; the migration of a schema-1
 * store (no index); the index written in the report's transaction.
 *
 * Real LMDB files in a temporary directory, real keys and signatures,
 * the hub library as praxis-hub runs it (hub_submit_store in a write txn).
 */
#define _GNU_SOURCE
#include "hub.h"
#include "hub_render.h"
#include "px_report.h"
#include "pxt.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NT 5 /* tenants */
#define NC 2 /* communities per tenant */
#define NP 6 /* periods */
#define NR 4 /* revisions per (community, period) */

static const char *const periods[NP] = {"2025-01", "2025-02", "2025-03",
                                        "2025-Q1", "2025",    "2024-12"};
static const int kinds[NP] = {1, 1, 1, 2, 3, 1};
static const char *const fws[2] = {"laurentides", "brusano"};
static const char *const regions[3] = {"Laurentides", "Montréal", ""};


/* A report of community c of tenant t for period p at revision rev; its
 * framework and region change with the revision for some communities. */
static Praxis__SignedReport *
make_report(const px_identity *id, int t, int c, int p, uint32_t rev)
{
	Praxis__Indicator ind[18], *pind[18];
	Praxis__FindingCount fc[2], *pfc[2];
	char uid[64], name[64];
	snprintf(uid, sizeof uid, "t%d-c%d", t, c);
	snprintf(name, sizeof name, "Communauté %d/%d", t, c);
	Praxis__CommunityReport r = PRAXIS__COMMUNITY_REPORT__INIT;
	r.community_uid = uid;
	r.community_name = name;
	r.framework = (char *)fws[(t + c + (c == 1 ? (int)rev : 0)) % 2];
	r.region = (char *)regions[(t + (t == 2 ? (int)rev : 0)) % 3];
	r.period_kind = (Praxis__PeriodKind)kinds[p];
	r.period = (char *)periods[p];
	r.revision = rev;
	r.generated_at = 1735689600 + rev;
	r.k = (t % 2) ? 3 : 5; /* a smaller k: the hub suppresses again (A1) */
	unsigned s = (unsigned)(t * 97 + c * 31 + p * 7) + rev * 13;
	size_t n = 0;
	for (int i = 0; i < PX_IND_NCORE; i++, n++) {
		praxis__indicator__init(&ind[n]);
		ind[n].name = (char *)px_report_indicator_name(i);
		ind[n].population = (s + (unsigned)i) % 9 == 0 ? 0 : 2 + (s + (unsigned)i) % 30;
		bool mean = px_agg_is_mean(ind[n].name);
		ind[n].value =
		    mean ? ((s * 3 + i) % 100) / 100.0 + 1.0 / 3 : (double)((s * 7 + i) % 40);
		ind[n].suppressed = (s + (unsigned)i) % 11 == 0;
		if (ind[n].suppressed)
			ind[n].value = 0, ind[n].population = 0;
		pind[n] = &ind[n];
	}
	/* Plugin indicators: names outside the core table, a negative zero
	 * and a large value keep their exact bits through the index. */
	praxis__indicator__init(&ind[n]);
	ind[n].name = (char *)"lau_visites";
	ind[n].value = (s % 5) == 0 ? -0.0 : 1e12 + s + 0.5;
	pind[n] = &ind[n];
	n++;
	praxis__indicator__init(&ind[n]);
	ind[n].name = (char *)"lau_benevoles";
	ind[n].value = (double)(s % 17);
	ind[n].population = (s % 17) + 1;
	pind[n] = &ind[n];
	n++;
	r.indicators = pind;
	r.n_indicators = n;
	static const char *const rules[] = {"LAU-1", "LAU-3"};
	for (int i = 0; i < 2; i++) {
		praxis__finding_count__init(&fc[i]);
		fc[i].rule_id = (char *)rules[i];
		fc[i].severity = (Praxis__Severity)(i + 1);
		fc[i].count = (s + (unsigned)i) % 4 ? 0 : 1 + (s + (unsigned)i) % 8;
		fc[i].suppressed = fc[i].count > 0 && fc[i].count < r.k;
		if (fc[i].suppressed)
			fc[i].count = 0;
		pfc[i] = &fc[i];
	}
	r.findings = pfc;
	r.n_findings = 2;
	Praxis__SignedReport *sr = NULL;
	assert_true(px_report_sign(&r, id, &sr) == PX_OK);
	return sr;
}

/* Stores one signed report of tenant as praxis-hub does (its own txn). */
static void
store(hub *h, const char *tenant, const Praxis__SignedReport *sr, bool commit)
{
	Praxis__CommunityReport *r =
	    praxis__community_report__unpack(NULL, sr->report.len, sr->report.data);
	assert_true(r != NULL);
	px_txn *txn = NULL;
	assert_true(px_txn_begin(h->st, true, &txn) == PX_OK);
	bool dup = false;
	uint32_t rev = 0;
	char msg[256];
	px_err err = PX_OK;
	int code = hub_submit_store(h, txn, tenant, sr, r, &dup, &rev, msg, sizeof msg, &err);
	assert_int_equal(code, 0);
	assert_true(!dup);
	if (commit)
		assert_int_equal(px_txn_commit(txn), PX_OK);
	else
		px_txn_abort(txn);
	px_report_free(r);
}

/* ---- the reference: every revision in `reports`, highest kept ---- */

typedef struct ref {
	Praxis__CommunityReport *r[NT * NC * NP * 2];
	char *tenant[NT * NC * NP * 2];
	size_t n;
} ref;

static px_err
ref_cb(void *arg, px_val key, px_val val)
{
	ref *f = arg;
	(void)key;
	Praxis__HubStoredReport *s = praxis__hub_stored_report__unpack(NULL, val.size, val.data);
	assert_true(s != NULL && s->signed_report != NULL);
	Praxis__CommunityReport *r = praxis__community_report__unpack(
	    NULL, s->signed_report->report.len, s->signed_report->report.data);
	assert_true(r != NULL);
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->tenant[i], s->tenant) == 0 &&
		    strcmp(f->r[i]->community_uid, r->community_uid) == 0 &&
		    strcmp(f->r[i]->period, r->period) == 0) {
			if (f->r[i]->revision < r->revision) {
				px_report_free(f->r[i]);
				f->r[i] = r;
			} else {
				px_report_free(r);
			}
			praxis__hub_stored_report__free_unpacked(s, NULL);
			return PX_OK;
		}
	}
	assert_true(f->n < sizeof f->r / sizeof f->r[0]);
	f->r[f->n] = r;
	f->tenant[f->n] = strdup(s->tenant);
	f->n++;
	praxis__hub_stored_report__free_unpacked(s, NULL);
	return PX_OK;
}

static void
ref_load(hub *h, ref *f)
{
	memset(f, 0, sizeof *f);
	px_txn *txn = NULL;
	assert_true(px_txn_begin(h->st, false, &txn) == PX_OK);
	assert_true(px_scan(txn, h->reports, NULL, 0, ref_cb, f) == PX_OK);
	px_txn_abort(txn);
}

static void
ref_free(ref *f)
{
	for (size_t i = 0; i < f->n; i++) {
		px_report_free(f->r[i]);
		free(f->tenant[i]);
	}
}

static bool
want(const char *w, const char *have)
{
	return w == NULL || w[0] == '\0' || strcmp(w, have) == 0;
}

static bool
same_double(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(a));
}

static void
same_row(const Praxis__AggregateRow *a, const Praxis__AggregateRow *b)
{
	assert_string_equal(a->framework, b->framework);
	assert_string_equal(a->region, b->region);
	assert_string_equal(a->tenant, b->tenant);
	assert_string_equal(a->community_uid, b->community_uid);
	assert_string_equal(a->period, b->period);
	assert_int_equal(a->communities, b->communities);
	assert_int_equal(a->n_indicators, b->n_indicators);
	for (size_t i = 0; i < a->n_indicators; i++) {
		const Praxis__Indicator *x = a->indicators[i], *y = b->indicators[i];
		assert_string_equal(x->name, y->name);
		assert_true(same_double(x->value, y->value));
		assert_int_equal(x->suppressed, y->suppressed);
		assert_int_equal(x->population, y->population);
		assert_int_equal(x->withheld, y->withheld);
		assert_int_equal(x->contributors, y->contributors);
	}
	assert_int_equal(a->n_findings, b->n_findings);
	for (size_t i = 0; i < a->n_findings; i++) {
		assert_string_equal(a->findings[i]->rule_id, b->findings[i]->rule_id);
		assert_int_equal(a->findings[i]->severity, b->findings[i]->severity);
		assert_int_equal(a->findings[i]->count, b->findings[i]->count);
		assert_int_equal(a->findings[i]->suppressed, b->findings[i]->suppressed);
	}
}

static const unsigned by_of[5] = {PX_AGG_BY_FRAMEWORK | PX_AGG_BY_REGION | PX_AGG_BY_TENANT |
                                      PX_AGG_BY_COMMUNITY | PX_AGG_BY_PERIOD,
                                  PX_AGG_BY_FRAMEWORK, PX_AGG_BY_PERIOD, PX_AGG_BY_REGION,
                                  PX_AGG_BY_TENANT};

/* hub_aggregate of f equals px_agg_build over the reference's reports in
 * f, for the five groupings; returns the number of reports in f. */
static size_t
check_filter(hub *h, const ref *rf, const hub_filter *f)
{
	px_agg_item *items = calloc(rf->n + 1, sizeof *items);
	size_t n = 0;
	for (size_t i = 0; i < rf->n; i++) {
		const Praxis__CommunityReport *r = rf->r[i];
		if (want(f->period, r->period) && want(f->framework, r->framework) &&
		    want(f->region, r->region) && want(f->tenant, rf->tenant[i]) &&
		    want(f->community, r->community_uid) &&
		    hub_scope_allows(f->scope, rf->tenant[i], r->framework, r->region))
			items[n++] = (px_agg_item){r, rf->tenant[i]};
	}
	hub_result res;
	assert_int_equal(hub_aggregate(h, f, &res), PX_OK);
	for (int g = 0; g < 5; g++) {
		Praxis__AggregateResponse *want_a = NULL;
		assert_true(px_agg_build(items, n, by_of[g], HUB_DEFAULT_K, &want_a) == PX_OK);
		const Praxis__AggregateResponse *got = res.keep[g];
		assert_true(got != NULL);
		assert_int_equal(got->n_rows, want_a->n_rows);
		for (size_t i = 0; i < got->n_rows; i++)
			same_row(got->rows[i], want_a->rows[i]);
		if (n > 0)
			same_row(got->total, want_a->total);
		px_agg_free(want_a);
	}
	/* Community names come with the rows. */
	for (size_t i = 0; i < res.n_rows; i++)
		assert_true(strncmp(res.rows[i].community_name, "Communauté ", 12) == 0);
	hub_result_fini(&res);
	free(items);
	return n;
}

/* hub_rows_each gives each community's rows as px_agg_build over that
 * community's reports alone. */
typedef struct rows_ctx {
	const ref *rf;
	const hub_filter *f;
	size_t rows;
} rows_ctx;

static px_err
rows_cb(void *arg, const hub_row *row)
{
	rows_ctx *c = arg;
	px_agg_item items[NP * 2];
	size_t n = 0;
	for (size_t i = 0; i < c->rf->n; i++) {
		const Praxis__CommunityReport *r = c->rf->r[i];
		if (strcmp(r->community_uid, row->community) == 0 &&
		    want(c->f->period, r->period) &&
		    hub_scope_allows(c->f->scope, c->rf->tenant[i], r->framework, r->region))
			items[n++] = (px_agg_item){r, c->rf->tenant[i]};
	}
	Praxis__AggregateResponse *a = NULL;
	assert_true(px_agg_build(items, n, by_of[0], HUB_DEFAULT_K, &a) == PX_OK);
	bool found = false;
	for (size_t i = 0; i < a->n_rows; i++) {
		const Praxis__AggregateRow *w = a->rows[i];
		if (strcmp(w->period, row->period) != 0)
			continue;
		found = true;
		assert_string_equal(w->framework, row->framework);
		assert_string_equal(w->tenant, row->tenant);
		assert_int_equal(w->n_indicators, row->n_cells);
		for (size_t j = 0; j < row->n_cells; j++) {
			assert_string_equal(w->indicators[j]->name, row->cells[j].name);
			assert_true(same_double(w->indicators[j]->value, row->cells[j].value));
			assert_int_equal(w->indicators[j]->suppressed, row->cells[j].suppressed);
			assert_int_equal(w->indicators[j]->withheld, row->cells[j].withheld);
		}
	}
	assert_true(found);
	px_agg_free(a);
	c->rows++;
	return PX_OK;
}

static void
check_all(hub *h)
{
	ref rf;
	ref_load(h, &rf);
	assert_int_equal(rf.n, NT * NC * NP);
	Praxis__HubViewer scope = PRAXIS__HUB_VIEWER__INIT;
	char *tl[2] = {(char *)"org1", (char *)"org2"};
	size_t total = 0;
	for (int s = 0; s < 3; s++) {
		hub_filter f = {0};
		if (s == 1) {
			scope.tenants = tl;
			scope.n_tenants = 2;
			f.scope = &scope;
		} else if (s == 2) {
			scope.tenants = NULL;
			scope.n_tenants = 0;
			scope.framework = (char *)"brusano";
			scope.region = (char *)"Laurentides";
			f.scope = &scope;
		}
		size_t all = check_filter(h, &rf, &f);
		if (s == 0)
			assert_int_equal(all, rf.n);
		total += all;
		for (int p = 0; p < NP; p++) {
			f.period = periods[p];
			check_filter(h, &rf, &f);
			for (int w = 0; w < 2; w++) {
				f.framework = fws[w];
				check_filter(h, &rf, &f);
				for (int g = 0; g < 3; g++) {
					f.region = regions[g];
					check_filter(h, &rf, &f);
					f.tenant = "org2";
					check_filter(h, &rf, &f);
					f.tenant = NULL;
				}
				f.region = NULL;
			}
			f.framework = NULL;
		}
		f.period = NULL;
		for (int t = 0; t < NT; t++) {
			char tn[16], uid[16];
			snprintf(tn, sizeof tn, "org%d", t);
			f.tenant = tn;
			check_filter(h, &rf, &f);
			snprintf(uid, sizeof uid, "t%d-c1", t);
			f.tenant = NULL;
			f.community = uid;
			check_filter(h, &rf, &f);
			f.period = "2025-Q1";
			check_filter(h, &rf, &f);
			f.period = NULL;
			f.community = NULL;
		}
		f.framework = "brusano";
		check_filter(h, &rf, &f);
		f.framework = NULL;
		f.region = "";
		check_filter(h, &rf, &f);
		f.region = NULL;
		/* The streamed rows (exports), with and without a period. */
		rows_ctx rc = {&rf, &f, 0};
		assert_int_equal(hub_rows_each(h, &f, rows_cb, &rc), PX_OK);
		assert_int_equal(rc.rows, all);
		f.period = "2025-02";
		rc.rows = 0;
		assert_int_equal(hub_rows_each(h, &f, rows_cb, &rc), PX_OK);
	}
	assert_true(total > rf.n);
	ref_free(&rf);
}

/* Reports stored in a shuffled order of revisions, some never stored
 * (a revision lost on the way), older ones arriving after newer. */
static void
fill(hub *h, px_identity **ids)
{
	uint32_t order[NR] = {3, 1, 4, 2};
	for (int k = 0; k < NR; k++)
		for (int t = 0; t < NT; t++)
			for (int c = 0; c < NC; c++)
				for (int p = 0; p < NP; p++) {
					uint32_t rev = order[(k + t + p) % NR];
					if (rev == 4 && (t + c + p) % 3 == 0)
						continue;
					char tn[16];
					snprintf(tn, sizeof tn, "org%d", t);
					Praxis__SignedReport *sr =
					    make_report(ids[t], t, c, p, rev);
					store(h, tn, sr, true);
					px_signed_report_free(sr);
				}
}

static hub *
new_hub(const char *dir, px_identity **ids)
{
	assert_int_equal(hub_init_dir(dir, "tcp://127.0.0.1:7600", NULL), PX_OK);
	hub *h = NULL;
	assert_int_equal(hub_open(dir, NULL, &h), PX_OK);
	for (int t = 0; t < NT; t++) {
		char tn[16], tok[PX_JT_TEXT_MAX];
		snprintf(tn, sizeof tn, "org%d", t);
		assert_int_equal(
		    hub_tenant_add(h, tn, regions[t % 3], HUB_DEFAULT_TTL_MS, NULL, tok), PX_OK);
		assert_true(px_identity_generate(&ids[t]) == PX_OK);
	}
	return h;
}

static void
test_index_matches_recomputation(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("hubviews");
	px_identity *ids[NT];
	hub *h = new_hub(dir, ids);
	fill(h, ids);
	check_all(h);

	/* A write txn that stores a newer revision and aborts (a crash before
	 * the commit) leaves the index as it was: same figures after. */
	hub_filter f = {0};
	f.period = "2025-01";
	hub_result before, after;
	assert_int_equal(hub_aggregate(h, &f, &before), PX_OK);
	Praxis__SignedReport *sr = make_report(ids[0], 0, 0, 0, 9);
	store(h, "org0", sr, false);
	assert_int_equal(hub_aggregate(h, &f, &after), PX_OK);
	char *a = hub_result_json(&before), *b = hub_result_json(&after);
	assert_string_equal(a, b);
	free(b);
	hub_result_fini(&after);
	check_all(h);
	/* Committed, it is the one the views read. */
	store(h, "org0", sr, true);
	px_signed_report_free(sr);
	assert_int_equal(hub_aggregate(h, &f, &after), PX_OK);
	b = hub_result_json(&after);
	assert_true(strcmp(a, b) != 0);
	free(a);
	free(b);
	hub_result_fini(&after);
	hub_result_fini(&before);
	check_all(h);

	/* Reopened: the same. */
	hub_close(h);
	assert_int_equal(hub_open(dir, NULL, &h), PX_OK);
	check_all(h);
	hub_close(h);
	for (int t = 0; t < NT; t++)
		px_identity_free(ids[t]);
	pxt_tmpdir_free(dir);
}

/* ---- a schema-1 store: `latest` holds unpacked reports, no index ---- */

static px_err
latest_cb(void *arg, px_val key, px_val val)
{
	(void)key;
	(void)val;
	(*(size_t *)arg)++;
	return PX_OK;
}

/* Every pair of a database, copied. */
typedef struct dump {
	px_val *k, *v;
	size_t n;
} dump;

static px_err
dump_cb(void *arg, px_val key, px_val val)
{
	dump *d = arg;
	d->k = realloc(d->k, (d->n + 1) * sizeof *d->k);
	d->v = realloc(d->v, (d->n + 1) * sizeof *d->v);
	assert_non_null(d->k);
	assert_non_null(d->v);
	void *kc = malloc(key.size), *vc = malloc(val.size + 1);
	memcpy(kc, key.data, key.size);
	memcpy(vc, val.data, val.size);
	d->k[d->n] = (px_val){kc, key.size};
	d->v[d->n] = (px_val){vc, val.size};
	d->n++;
	return PX_OK;
}

static void
dump_put(px_txn *txn, px_db db, const dump *d)
{
	for (size_t i = 0; i < d->n; i++)
		assert_int_equal(
		    px_put(txn, db, d->k[i].data, d->k[i].size, d->v[i].data, d->v[i].size), PX_OK);
}

static void
dump_free(dump *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free((void *)d->k[i].data);
		free((void *)d->v[i].data);
	}
	free(d->k);
	free(d->v);
}

static void
copy_file(const char *from_dir, const char *to_dir, const char *name)
{
	char a[600], b[600];
	snprintf(a, sizeof a, "%s/%s", from_dir, name);
	snprintf(b, sizeof b, "%s/%s", to_dir, name);
	size_t len = 0;
	char *data = pxt_read_file(a, &len);
	assert_non_null(data);
	assert_true(pxt_write_file(b, data, len));
	assert_int_equal(chmod(b, 0600), 0);
	free(data);
}

static void
test_migration_from_schema_1(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("hubviews0");
	px_identity *ids[NT];
	hub *h = new_hub(dir, ids);
	fill(h, ids);
	/* The same reports as a hub of schema 1 held them: every revision in
	 * `reports`, the highest unpacked in `latest`, the owners; the named
	 * databases of schema 1 only (no heads, no views), version 1. */
	ref rf;
	ref_load(h, &rf);
	dump reports = {0}, communities = {0};
	px_txn *txn = NULL;
	assert_true(px_txn_begin(h->st, false, &txn) == PX_OK);
	assert_true(px_scan(txn, h->reports, NULL, 0, dump_cb, &reports) == PX_OK);
	assert_true(px_scan(txn, h->communities, NULL, 0, dump_cb, &communities) == PX_OK);
	px_txn_abort(txn);
	hub_close(h);

	char *dir1 = pxt_tmpdir("hubviews1");
	static const char *const v1_dbs[] = {"tenants",     "keys",    "tokens",
	                                     "viewers",     "reports", "latest",
	                                     "communities", "audit",   NULL};
	px_store_opts o = {0};
	o.dir = dir1;
	o.file = "hub.mdb";
	o.dbs = v1_dbs;
	o.schema_version = 1;
	px_store *st = NULL;
	assert_int_equal(px_store_open(&st, &o), PX_OK);
	assert_true(px_txn_begin(st, true, &txn) == PX_OK);
	dump_put(txn, px_store_db(st, "reports"), &reports);
	dump_put(txn, px_store_db(st, "communities"), &communities);
	for (size_t i = 0; i < rf.n; i++) {
		uint8_t key[512];
		size_t kl = hub_report_key(key, sizeof key, rf.tenant[i], rf.r[i]->community_uid,
		                           rf.r[i]->period, 0, false);
		Praxis__HubLatestReport l = PRAXIS__HUB_LATEST_REPORT__INIT;
		l.tenant = rf.tenant[i];
		l.revision = rf.r[i]->revision;
		l.report = rf.r[i];
		assert_true(px_put_msg(txn, px_store_db(st, "latest"), key, kl, &l.base) == PX_OK);
	}
	assert_true(px_txn_commit(txn) == PX_OK);
	px_store_close(st);
	ref_free(&rf);
	dump_free(&reports);
	dump_free(&communities);
	copy_file(dir, dir1, "hub.key");
	copy_file(dir, dir1, "hub.key.pub");

	/* Opened by this hub: migrated, same figures as a recomputation. */
	assert_int_equal(hub_open(dir1, NULL, &h), PX_OK);
	assert_true(px_txn_begin(h->st, false, &txn) == PX_OK);
	uint32_t ver = 0;
	assert_true(px_store_version(txn, &ver) == PX_OK);
	assert_int_equal(ver, HUB_SCHEMA);
	size_t nl = 0;
	assert_true(px_scan(txn, px_store_db(h->st, "latest"), NULL, 0, latest_cb, &nl) == PX_OK);
	assert_int_equal(nl, 0);
	px_txn_abort(txn);
	check_all(h);
	/* Revisions keep coming after the migration. */
	Praxis__SignedReport *sr = make_report(ids[3], 3, 1, 2, 7);
	store(h, "org3", sr, true);
	px_signed_report_free(sr);
	check_all(h);
	hub_close(h);
	for (int t = 0; t < NT; t++)
		px_identity_free(ids[t]);
	pxt_tmpdir_free(dir1);
	pxt_tmpdir_free(dir);
}

/* hub_json_row_write against the text cJSON gives for the same object
 * (what the hub printed before it wrote JSON directly): numbers at the
 * edges of int and of 15 digits, escapes, duplicate names. */
static cJSON *
cjson_row(const hub_row *w, bool detail, const char *key, const char *val)
{
	cJSON *o = cJSON_CreateObject();
	if (detail) {
		cJSON_AddStringToObject(o, "framework", w->framework);
		cJSON_AddStringToObject(o, "region", w->region);
		cJSON_AddStringToObject(o, "tenant", w->tenant);
		cJSON_AddStringToObject(o, "community", w->community);
		cJSON_AddStringToObject(o, "community_name", w->community_name);
		cJSON_AddStringToObject(o, "period", w->period);
	}
	cJSON_AddNumberToObject(o, "communities", w->communities);
	cJSON *ind = cJSON_AddObjectToObject(o, "indicators");
	for (size_t j = 0; j < w->n_cells; j++) {
		const hub_cell *c = &w->cells[j];
		cJSON *x = cJSON_AddObjectToObject(ind, c->name);
		if (c->suppressed)
			cJSON_AddNullToObject(x, "value");
		else
			cJSON_AddNumberToObject(x, "value", c->value);
		cJSON_AddBoolToObject(x, "suppressed", c->suppressed);
		cJSON_AddNumberToObject(x, "population", c->population);
		cJSON_AddNumberToObject(x, "withheld", c->withheld);
	}
	cJSON *fa = cJSON_AddArrayToObject(o, "findings");
	for (size_t j = 0; j < w->n_findings; j++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "rule", w->findings[j].rule);
		cJSON_AddStringToObject(x, "severity", hub_severity_token(w->findings[j].severity));
		cJSON_AddNumberToObject(x, "count", w->findings[j].count);
		cJSON_AddBoolToObject(x, "suppressed", w->findings[j].suppressed);
		cJSON_AddItemToArray(fa, x);
	}
	if (key != NULL)
		cJSON_AddStringToObject(o, key, val);
	return o;
}

static void
test_json_writer(void **state)
{
	(void)state;
	static const double values[] = {0, -0.0, 0.1, 1.0 / 3, 2.0 / 3 * 100, 1e300, -1e-300,
	                                4.9e-324, 2147483647.0, 2147483648.0, -2147483648.0,
	                                -2147483649.0, 2147483647.5, 12, 0.25, 123456789.123456789,
	                                9007199254740993.0, NAN, INFINITY, -INFINITY};
	size_t nv = sizeof values / sizeof values[0];
	hub_cell cells[sizeof values / sizeof values[0] + 2];
	static const char *const names[] = {"members_active", "a \"quoted\" \\ name", "tab\there",
	                                    "ctl\x01\x1f\x7f", "accentué é ✓", "members_active"};
	for (size_t i = 0; i < nv; i++)
		cells[i] = (hub_cell){names[i % 6], values[i], (uint32_t)(i * 1000003u), (uint32_t)i,
		                      (uint32_t)(i * 7), i % 5 == 4, true};
	cells[nv] = (hub_cell){"big", 0, UINT32_MAX, UINT32_MAX, 0, false, true};
	cells[nv + 1] = (hub_cell){"", 1.5, 0, 0, 0, true, true};
	hub_finding fnd[] = {{"LAU-1", 2, 7, false}, {"r\"\n", 1, 0, true}, {"", 0, UINT32_MAX, false}};
	hub_row w = {"laurentides", "Montréal", "org \"x\"", "uid\\1", "Nom\r\nlong", "2025-01",
	             4000000000u, cells, nv + 2, fnd, 3};
	hub_row empty = {"", "", "", "", "", "", 0, NULL, 0, NULL, 0};
	const hub_row *rows[] = {&w, &empty};
	for (int r = 0; r < 2; r++)
		for (int detail = 0; detail < 2; detail++)
			for (int keyed = 0; keyed < 2; keyed++) {
				cJSON *o = cjson_row(rows[r], detail, keyed ? "period" : NULL, "2025-\"Q1\"");
				char *want = cJSON_PrintUnformatted(o);
				cJSON_Delete(o);
				char *got = NULL;
				size_t len = 0;
				FILE *out = open_memstream(&got, &len);
				assert_non_null(out);
				hub_json_row_write(out, rows[r], detail, keyed ? "period" : NULL, "2025-\"Q1\"");
				assert_int_equal(fclose(out), 0);
				if (strcmp(got, want) != 0)
					print_error("hub_json_row_write:\n%s\ncJSON:\n%s\n", got, want);
				assert_string_equal(got, want);
				free(got);
				free(want);
			}
}

int
main(void)
{
	if (px_crypto_init() != PX_OK)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_index_matches_recomputation),
	    cmocka_unit_test(test_migration_from_schema_1),
	    cmocka_unit_test(test_json_writer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
