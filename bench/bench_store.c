/*
 * bench_store - the hub's aggregation of 10,000 communities x 12 months read
 * from LMDB (px_store scan + unpack + px_agg_build by framework x region,
 * month by month as the hub answers an Aggregate call per period), against
 * a raw LMDB cursor scan + protobuf unpack of the same records (issue 5:
 * goal within 3x). Rounds alternate both sides; the best round of each
 * counts (a shared, noisy machine).
 *
 * Knobs (environment): BENCH_STORE_COMMUNITIES (10000), BENCH_STORE_ROUNDS (3).
 */
#define _GNU_SOURCE
#include "bench.h"
#include "px_report.h"
#include "px_store.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BS_MONTHS 12

static const char *const bs_dbs[] = {"reports", NULL};
static const char *const bs_fw[] = {"laurentides", "rocfm", "cisss", "brusano"};
static const char *const bs_region[] = {"Laurentides", "Montréal",   "Laval",
                                        "Bruxelles",   "Lanaudière", "Outaouais"};
#define BS_NIND PX_IND_NCORE

static void
bs_die(const char *what, px_err e)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, px_strerror(e));
	exit(2);
}

static uint64_t bs_rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
bs_rand(uint32_t n)
{
	bs_rng ^= bs_rng >> 12;
	bs_rng ^= bs_rng << 25;
	bs_rng ^= bs_rng >> 27;
	return (uint32_t)((bs_rng * 0x2545F4914F6CDD1DULL) >> 33) % n;
}

static size_t
bs_key(uint8_t *k, int month, int community)
{
	/* Period first: one month is one contiguous prefix, like the hub's
	 * per-period query. */
	return (size_t)sprintf((char *)k, "2025-%02d|node%03d:%06d", month, community % 97,
	                       community);
}

static void
bs_fill(px_store *st, int n)
{
	Praxis__Indicator ind[BS_NIND], *pind[BS_NIND];
	Praxis__FindingCount fc[3], *pfc[3];
	static const char *const rules[] = {"LAU-1", "LAU-3", "LAU-5"};
	char uid[32], period[8];
	for (int m = 1; m <= BS_MONTHS; m++) {
		px_txn *t;
		px_err e;
		if ((e = px_txn_begin(st, true, &t)) != PX_OK)
			bs_die("txn", e);
		for (int c = 0; c < n; c++) {
			Praxis__CommunityReport r = PRAXIS__COMMUNITY_REPORT__INIT;
			snprintf(uid, sizeof uid, "node%03d:%06d", c % 97, c);
			snprintf(period, sizeof period, "2025-%02d", m);
			r.community_uid = uid;
			r.community_name = (char *)"CdP";
			r.framework = (char *)bs_fw[c % 4];
			r.region = (char *)bs_region[(c / 4) % 6];
			r.period_kind = PRAXIS__PERIOD_KIND__PERIOD_MONTH;
			r.period = period;
			r.revision = 1;
			r.generated_at = 1735689600 + m * 2592000;
			r.k = 5;
			r.plugin_ok = true;
			uint32_t active = bs_rand(30);
			for (size_t i = 0; i < BS_NIND; i++) {
				praxis__indicator__init(&ind[i]);
				ind[i].name = (char *)px_report_indicator_name((int)i);
				ind[i].value =
				    i == 7 || i == 8 ? bs_rand(100) / 100.0 : bs_rand(40);
				ind[i].population = active;
				ind[i].suppressed = active < 5;
				if (ind[i].suppressed)
					ind[i].value = ind[i].population = 0;
				pind[i] = &ind[i];
			}
			r.indicators = pind;
			r.n_indicators = BS_NIND;
			for (int i = 0; i < 3; i++) {
				praxis__finding_count__init(&fc[i]);
				fc[i].rule_id = (char *)rules[i];
				fc[i].severity = (Praxis__Severity)(i % 3);
				fc[i].count = bs_rand(3) ? 0 : 5 + bs_rand(5);
				pfc[i] = &fc[i];
			}
			r.findings = pfc;
			r.n_findings = 3;
			uint8_t k[64];
			size_t kl = bs_key(k, m, c);
			if ((e = px_put_msg(t, px_store_db(st, "reports"), k, kl, &r.base)) !=
			    PX_OK)
				bs_die("put", e);
		}
		if ((e = px_txn_commit(t)) != PX_OK)
			bs_die("commit", e);
	}
}

/* ---- the Praxis path: what the hub's Aggregate does for one period ---- */

static px_err
bs_add(void *arg, px_val key, px_val val)
{
	(void)key;
	Praxis__CommunityReport *r = praxis__community_report__unpack(NULL, val.size, val.data);
	if (r == NULL)
		return PX_ECORRUPT;
	px_err e = px_agg_add(arg, r, "");
	praxis__community_report__free_unpacked(r, NULL);
	return e;
}

static double
bs_px_round(const char *dir, double *checksum)
{
	px_store_opts o = {
	    .dir = dir, .file = "hub.mdb", .dbs = bs_dbs, .schema_version = 1, .read_only = true};
	px_store *st;
	px_err e;
	if ((e = px_store_open(&st, &o)) != PX_OK)
		bs_die("open", e);
	int64_t t0 = bench_now_ns();
	for (int m = 1; m <= BS_MONTHS; m++) {
		px_txn *t;
		px_agg *ag;
		if ((e = px_txn_begin(st, false, &t)) != PX_OK)
			bs_die("txn", e);
		if ((e = px_agg_new(PX_AGG_BY_FRAMEWORK | PX_AGG_BY_REGION, 5, &ag)) != PX_OK)
			bs_die("agg", e);
		char prefix[16];
		int pl = snprintf(prefix, sizeof prefix, "2025-%02d|", m);
		if ((e = px_scan(t, px_store_db(st, "reports"), prefix, (size_t)pl, bs_add, ag)) !=
		    PX_OK)
			bs_die("scan", e);
		px_txn_abort(t);
		Praxis__AggregateResponse *agg;
		if ((e = px_agg_finish(ag, &agg)) != PX_OK)
			bs_die("aggregate", e);
		*checksum += agg->total->indicators[1]->value + (double)agg->n_rows;
		px_agg_free(agg);
	}
	double ms = (double)(bench_now_ns() - t0) / 1e6;
	px_store_close(st);
	return ms;
}

/* ---- the baseline: raw cursor scan + unpack of the same records ---- */

static double
bs_raw_round(const char *path, double *checksum)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, v;
	if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, 4) ||
	    mdb_env_open(env, path, MDB_NOSUBDIR | MDB_RDONLY, 0600))
		bs_die("raw open", PX_EIO);
	int64_t t0 = bench_now_ns();
	if (mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) || mdb_dbi_open(txn, "reports", 0, &dbi) ||
	    mdb_cursor_open(txn, dbi, &cur))
		bs_die("raw txn", PX_EIO);
	int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0) {
		Praxis__CommunityReport *r =
		    praxis__community_report__unpack(NULL, v.mv_size, v.mv_data);
		if (r == NULL)
			bs_die("raw unpack", PX_ECORRUPT);
		*checksum += r->n_indicators;
		praxis__community_report__free_unpacked(r, NULL);
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	double ms = (double)(bench_now_ns() - t0) / 1e6;
	mdb_env_close(env);
	return ms;
}

int
main(void)
{
	const char *ns = getenv("BENCH_STORE_COMMUNITIES"), *rs = getenv("BENCH_STORE_ROUNDS");
	int n = ns && *ns ? atoi(ns) : 10000, rounds = rs && *rs ? atoi(rs) : 3;
	if (n < 1 || rounds < 1)
		return 2;
	px_log_init("bench_store", PX_LOG_WARN);
	char dir[] = "/tmp/bench-store-XXXXXX";
	if (mkdtemp(dir) == NULL)
		return 2;
	px_store_opts o = {.dir = dir,
	                   .file = "hub.mdb",
	                   .dbs = bs_dbs,
	                   .schema_version = 1,
	                   .map_size = (size_t)4 << 30};
	px_store *st;
	px_err e;
	if ((e = px_store_open(&st, &o)) != PX_OK)
		bs_die("create", e);
	int64_t f0 = bench_now_ns();
	bs_fill(st, n);
	px_store_stats ss;
	if (px_store_info(st, &ss) != PX_OK)
		ss.file_size = 0;
	px_store_close(st);
	printf("bench_store: %d communities x %d months written in %.0f ms (%.1f MiB)\n", n,
	       BS_MONTHS, (double)(bench_now_ns() - f0) / 1e6, ss.file_size / 1048576.0);

	char path[64];
	snprintf(path, sizeof path, "%s/hub.mdb", dir);
	double best_px = 1e300, best_raw = 1e300, cs_px = 0, cs_raw = 0;
	for (int r = 0; r < rounds; r++) {
		double a = bs_raw_round(path, &cs_raw);
		double b = bs_px_round(dir, &cs_px);
		if (a < best_raw)
			best_raw = a;
		if (b < best_px)
			best_px = b;
	}
	char name[160];
	snprintf(name, sizeof name, "Hub aggregate, %d communities x %d months from LMDB", n,
	         BS_MONTHS);
	bench_result res = {.name = name,
	                    .value = best_px,
	                    .unit = "ms",
	                    .baseline = "raw LMDB cursor scan + protobuf unpack, same records",
	                    .baseline_value = best_raw,
	                    .goal = "<= 3",
	                    .lower_is_better = true,
	                    .goal_ratio = 3.0};
	bool met = bench_report(&res);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_store: could not remove %s\n", dir);
	(void)cs_px;
	(void)cs_raw;
	(void)met; /* the goal is in the results file; a miss is not a crash */
	return 0;
}
