/*
 * `praxis-hub compact`, through the real binaries: a hub fed by a real
 * node is turned back into a store of schema 1 (the `latest` copies
 * written, the index emptied, version 1: the hub library in process, real
 * LMDB file), the real hub migrates it (which empties `latest` and leaves
 * its pages free), `compact` shrinks hub.mdb and every report, figure and
 * tenant is still there; compact is refused while `serve` runs, and serve
 * takes reports after the compaction.
 */
#define _GNU_SOURCE
#include "hub.h"
#include "hubt.h"
#include "pxt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HUB PXT_BIN_DIR "/praxis-hub"
#define NODE PXT_BIN_DIR "/praxis-node"

/* 3 communities x 27 periods: 81 reports. */
#define PERIODS                                                                                    \
	"2024-01,2024-02,2024-03,2024-04,2024-05,2024-06,2024-07,2024-08,2024-09,2024-10,2024-11," \
	"2024-12,2025-01,2025-02,2025-03,2025-04,2025-05,2025-06,2025-07,2025-08,2025-09,2025-10," \
	"2025-11,2025-12,2024,2025,2024-Q1"
#define NREPORTS 81

static struct {
	char *dir;
	char hub[512], log[600], node[512], mdb[600], listen[64];
	pid_t pid;
} T;

static void
serve_start(void)
{
	const char *argv[] = {HUB, "--data", T.hub, "serve", "--no-http", NULL};
	T.pid = hubt_spawn(T.log, argv);
	assert_true(hubt_wait_log(T.pid, T.log, "\nprêt", 30));
}

static void
serve_stop(void)
{
	assert_int_equal(hubt_stop(T.pid), 0);
	T.pid = 0;
	/* The next serve's "prêt" must not be this one's. */
	free(hubt_sh(0, "rm -f '%s'", T.log));
}

static long long
mdb_size(void)
{
	struct stat sb;
	assert_int_equal(stat(T.mdb, &sb), 0);
	return (long long)sb.st_size;
}

static void
member(int c, int i)
{
	free(hubt_sh(
	    0,
	    "'%s' --data '%s' member add --community %d --family Roy%d --first Anne%d --org 1 "
	    "--status active --joined 2025-01-1%d --consent oui",
	    NODE, T.node, c, i, i, i % 10));
}

/* ---- back to schema 1, in process ---- */

typedef struct kv {
	uint8_t *k, *v;
	size_t kl, vl;
} kv;

typedef struct kvs {
	kv *a;
	size_t n;
} kvs;

static px_err
kvs_cb(void *arg, px_val key, px_val val)
{
	kvs *d = arg;
	d->a = realloc(d->a, (d->n + 1) * sizeof *d->a);
	assert_non_null(d->a);
	kv *e = &d->a[d->n++];
	e->k = malloc(key.size);
	e->v = malloc(val.size + 1);
	assert_non_null(e->k);
	assert_non_null(e->v);
	memcpy(e->k, key.data, key.size);
	memcpy(e->v, val.data, val.size);
	e->kl = key.size;
	e->vl = val.size;
	return PX_OK;
}

static void
kvs_free(kvs *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->a[i].k);
		free(d->a[i].v);
	}
	free(d->a);
	d->a = NULL;
	d->n = 0;
}

/* The hub as a hub of schema 1 held the same data, in a new directory
 * that becomes T.hub: its databases only (no `heads`, no `views`), the
 * latest revision of each (tenant, community, period) unpacked in
 * `latest`, version 1. Returns the number of `latest` entries. */
static size_t
to_schema_1(void)
{
	static const char *const v1_dbs[] = {"tenants",     "keys",    "tokens",
	                                     "viewers",     "reports", "latest",
	                                     "communities", "audit",   NULL};
	static const char *const copied[] = {"tenants", "keys",        "tokens", "viewers",
	                                     "reports", "communities", "audit"};
	enum { NCOPIED = sizeof copied / sizeof copied[0] };
	kvs d[NCOPIED];
	memset(d, 0, sizeof d);
	hub *h = NULL;
	assert_int_equal(hub_open(T.hub, NULL, &h), PX_OK);
	px_txn *txn = NULL;
	assert_int_equal(px_txn_begin(h->st, false, &txn), PX_OK);
	for (size_t i = 0; i < NCOPIED; i++)
		assert_int_equal(
		    px_scan(txn, px_store_db(h->st, copied[i]), NULL, 0, kvs_cb, &d[i]), PX_OK);
	px_txn_abort(txn);
	hub_close(h);

	char old[512];
	px_strlcpy(old, T.hub, sizeof old);
	snprintf(T.hub, sizeof T.hub, "%s/hub1", T.dir);
	snprintf(T.mdb, sizeof T.mdb, "%s/hub.mdb", T.hub);
	px_store_opts o = {0};
	o.dir = T.hub;
	o.file = "hub.mdb";
	o.dbs = v1_dbs;
	o.schema_version = 1;
	px_store *st = NULL;
	assert_int_equal(px_store_open(&st, &o), PX_OK);
	assert_int_equal(px_txn_begin(st, true, &txn), PX_OK);
	for (size_t i = 0; i < NCOPIED; i++) {
		px_db db = px_store_db(st, copied[i]);
		for (size_t j = 0; j < d[i].n; j++)
			assert_int_equal(
			    px_put(txn, db, d[i].a[j].k, d[i].a[j].kl, d[i].a[j].v, d[i].a[j].vl),
			    PX_OK);
	}
	const kvs *rep = &d[4];
	size_t n = 0;
	for (size_t i = 0; i < rep->n; i++) {
		/* Keys end with be32(revision): the last of a run is the latest. */
		if (i + 1 < rep->n && rep->a[i + 1].kl == rep->a[i].kl &&
		    memcmp(rep->a[i + 1].k, rep->a[i].k, rep->a[i].kl - 4) == 0)
			continue;
		Praxis__HubStoredReport *s =
		    praxis__hub_stored_report__unpack(NULL, rep->a[i].vl, rep->a[i].v);
		assert_non_null(s);
		assert_non_null(s->signed_report);
		Praxis__CommunityReport *r = praxis__community_report__unpack(
		    NULL, s->signed_report->report.len, s->signed_report->report.data);
		assert_non_null(r);
		uint8_t key[512];
		size_t kl = hub_report_key(key, sizeof key, s->tenant, r->community_uid, r->period,
		                           0, false);
		assert_true(kl > 0);
		Praxis__HubLatestReport l = PRAXIS__HUB_LATEST_REPORT__INIT;
		l.tenant = s->tenant;
		l.revision = r->revision;
		l.report = r;
		assert_int_equal(px_put_msg(txn, px_store_db(st, "latest"), key, kl, &l.base),
		                 PX_OK);
		praxis__community_report__free_unpacked(r, NULL);
		praxis__hub_stored_report__free_unpacked(s, NULL);
		n++;
	}
	assert_int_equal(px_meta_put(txn, "listen", T.listen, strlen(T.listen)), PX_OK);
	assert_int_equal(px_txn_commit(txn), PX_OK);
	px_store_close(st);
	for (size_t i = 0; i < NCOPIED; i++)
		kvs_free(&d[i]);
	free(hubt_sh(0, "cp -p '%s/hub.key' '%s/hub.key.pub' '%s/'", old, old, T.hub));
	return n;
}

static size_t
latest_count(void)
{
	hub *h = NULL;
	assert_int_equal(hub_open(T.hub, NULL, &h), PX_OK);
	px_txn *txn = NULL;
	assert_int_equal(px_txn_begin(h->st, false, &txn), PX_OK);
	uint32_t ver = 0;
	assert_int_equal(px_store_version(txn, &ver), PX_OK);
	assert_int_equal(ver, HUB_SCHEMA);
	kvs d = {0};
	assert_int_equal(px_scan(txn, px_store_db(h->st, "latest"), NULL, 0, kvs_cb, &d), PX_OK);
	size_t n = d.n;
	kvs_free(&d);
	px_txn_abort(txn);
	hub_close(h);
	return n;
}

/* ------------------------------------------------------------------ */

static int
setup(void **state)
{
	(void)state;
	if (px_crypto_init() != PX_OK)
		return -1;
	T.dir = pxt_tmpdir("hubcompact");
	snprintf(T.hub, sizeof T.hub, "%s/hub", T.dir);
	snprintf(T.log, sizeof T.log, "%s/hub.log", T.dir);
	snprintf(T.node, sizeof T.node, "%s/node", T.dir);
	snprintf(T.mdb, sizeof T.mdb, "%s/hub.mdb", T.hub);
	snprintf(T.listen, sizeof T.listen, "tcp://127.0.0.1:%d", hubt_free_port());
	free(hubt_sh(0, "'%s' --data '%s' init --listen %s", HUB, T.hub, T.listen));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	int st = T.pid > 0 ? hubt_stop(T.pid) : 0;
	pxt_tmpdir_free(T.dir);
	return st == 0 ? 0 : -1;
}

static void
test_compact(void **state)
{
	(void)state;
	/* A hub with two tenants and the 81 reports of a real node. */
	serve_start();
	free(hubt_sh(0, "'%s' --data '%s' init --name 'Maison Roy' --region Laurentides", NODE,
	             T.node));
	free(hubt_sh(0, "'%s' --data '%s' org edit 1 --rocfm yes", NODE, T.node));
	for (int c = 1; c <= 3; c++) {
		free(hubt_sh(0,
		             "'%s' --data '%s' community add --name 'CdP %d' --framework rocfm "
		             "--region Laurentides --host-org 1",
		             NODE, T.node, c));
		for (int i = 1; i <= 6; i++)
			member(c, c * 10 + i);
	}
	char *tok = hubt_sh(0, "'%s' --data '%s' tenant add roy --region Laurentides", HUB, T.hub);
	tok[strcspn(tok, "\n")] = '\0';
	free(hubt_sh(0, "'%s' --data '%s' enroll %s", NODE, T.node, tok));
	free(tok);
	free(hubt_sh(0, "'%s' --data '%s' tenant add lac --region Laurentides", HUB, T.hub));
	char *out = hubt_sh(0, "'%s' --json --data '%s' sync --period " PERIODS, NODE, T.node);
	assert_non_null(strstr(out, "\"sent\":81"));
	free(out);
	serve_stop();
	char *report0 = hubt_sh(0, "'%s' --data '%s' report --json", HUB, T.hub);
	char *tenants0 = hubt_sh(0, "'%s' --data '%s' tenant list --json", HUB, T.hub);
	assert_non_null(strstr(tenants0, "\"reports\":81"));

	/* Back to schema 1; the real hub migrates it at its next open. */
	assert_int_equal(to_schema_1(), NREPORTS);
	char *report1 = hubt_sh(0, "'%s' --data '%s' report --json", HUB, T.hub);
	assert_string_equal(report1, report0);
	free(report1);
	assert_int_equal(latest_count(), 0);

	/* compact: the file shrinks, and says so in both languages. */
	long long before = mdb_size();
	out = hubt_sh(0, "'%s' --data '%s' compact", HUB, T.hub);
	long long after = mdb_size();
	assert_true(after < before);
	print_message("hub.mdb: %lld bytes before compact, %lld after\n", before, after);
	char want[200];
	snprintf(want, sizeof want, "compactée : %lld octets avant, %lld après", before, after);
	assert_non_null(strstr(out, want));
	free(out);
	out = hubt_sh(0, "'%s' --lang en --data '%s' compact", HUB, T.hub);
	snprintf(want, sizeof want, "compacted: %lld bytes before, %lld after", after, mdb_size());
	assert_non_null(strstr(out, want));
	free(out);
	/* Bad usage is refused before the store is touched. */
	free(hubt_sh(1, "'%s' --data '%s' compact extra", HUB, T.hub));
	free(hubt_sh(1, "'%s' --data '%s' compact --json", HUB, T.hub));
	out = hubt_sh(0, "'%s' --data '%s' compact --help", HUB, T.hub);
	assert_non_null(strstr(out, "compact"));
	free(out);

	/* Every report, figure and tenant is still there. */
	char *report2 = hubt_sh(0, "'%s' --data '%s' report --json", HUB, T.hub);
	assert_string_equal(report2, report0);
	free(report2);
	char *tenants2 = hubt_sh(0, "'%s' --data '%s' tenant list --json", HUB, T.hub);
	assert_string_equal(tenants2, tenants0);
	free(tenants2);

	/* While serve holds the store, compact is refused and changes nothing. */
	serve_start();
	long long held = mdb_size();
	pxt_run r = pxt_sh("'%s' --data '%s' compact", HUB, T.hub);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "praxis-hub serve"));
	pxt_run_free(&r);
	r = pxt_sh("'%s' --lang en --data '%s' compact", HUB, T.hub);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "open in another process"));
	pxt_run_free(&r);
	assert_int_equal(mdb_size(), held);

	/* serve works on the compacted store: a change is delivered. */
	member(1, 99);
	out = hubt_sh(0, "'%s' --json --data '%s' sync --period 2025-01", NODE, T.node);
	assert_non_null(strstr(out, "\"sent\":1"));
	free(out);
	serve_stop();
	/* The new revision replaced the old one in the figures. */
	char *report3 = hubt_sh(0, "'%s' --data '%s' report --json", HUB, T.hub);
	assert_string_not_equal(report3, report0);
	assert_non_null(strstr(report3, "\"reports\":81"));
	free(report3);
	char *tenants3 = hubt_sh(0, "'%s' --data '%s' tenant list --json", HUB, T.hub);
	assert_string_equal(tenants3, tenants0);
	free(tenants3);
	/* And it compacts again once serve stopped. */
	free(hubt_sh(0, "'%s' --data '%s' compact", HUB, T.hub));
	free(report0);
	free(tenants0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compact),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
