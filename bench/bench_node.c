/*
 * bench_node - the node's rows of issues 3 and 4 that bench/node/
 * (import of 100,000 members vs raw LMDB, whole-command search) does not
 * cover, all on stores made by the real praxis-node binary:
 *
 *  1. name-prefix search over 100,000 members (goal: median < 1 ms): the
 *     work of `member search` (prefix scan of members_by_name, each hit's
 *     Member read and unpacked, duplicates dropped) in process on the
 *     node's own node.mdb, opened read-only (bench/node times the
 *     whole command, process start included).
 *  2. full audit of a 1,000-member Laurentides community with 12 monthly
 *     meetings and full attendance (goal < 50 ms), and of a 14-member
 *     Brusano cycle with 10 sessions: `praxis-node audit COMMUNITY --json`,
 *     whole command, median.
 *  3. one change-time check: `attend` in the Brusano cycle and `member
 *     add` into the 1,000-member community, whole command (open, check,
 *     commit), median; no goal in the issue, figures to watch.
 *
 * The 100,000 members come from a CSV through `member import`; the
 * 1,000-member community too; its 12 meetings through `meeting add` and
 * one `attend` each (so the node marks them held); the other 11,988
 * attendance records are written straight into node.mdb with the node's
 * layout (node.h: attendance = community id|meeting id|member id ->
 * Attendance), 12,000 `attend` processes being a minute of setup.
 *
 * Knobs (environment): BENCH_NODE_MEMBERS (100000), BENCH_NODE_QUERIES (201),
 * BENCH_NODE_RUNS (9).
 */
#define _GNU_SOURCE
#include "bench.h"
#include "domain.pb-c.h"
#include "px.h"
#include "px_store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PXB_BIN_DIR
#define PXB_BIN_DIR "build/bin"
#endif
#ifndef PXB_PLUGIN_DIR
#define PXB_PLUGIN_DIR "build/plugins"
#endif

static const char *const bn_fams[] = {"Bédard", "Côté", "Gagnon", "Lévesque", "Ouellet", "Tremblay", "Roy", "Gauthier"};
static const char *const bn_fams_norm[] = {"bedard", "cote", "gagnon", "levesque", "ouellet", "tremblay", "roy", "gauthier"};
static const char *const bn_firsts[] = {"Élise", "Josée", "François", "Hélène", "Noël", "Zoé", "Maïté", "Ève"};

static void
bn_die(const char *what)
{
	fprintf(stderr, "bench_node: %s\n", what);
	exit(2);
}

static int
bn_env(const char *name, int def)
{
	const char *v = getenv(name);
	int n = v != NULL ? atoi(v) : def;
	return n > 0 ? n : def;
}

/* Runs `praxis-node --data DIR ARGS` through the shell; exit status. */
static int
bn_node(const char *data, const char *fmt, ...) PX_PRINTF(2, 3);
static int
bn_node(const char *data, const char *fmt, ...)
{
	char args[2048], cmd[3072];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd,
	         "PRAXIS_PLUGIN_PATH=%s LANG=fr_CA.UTF-8 %s/praxis-node --data %s %s >/dev/null 2>>%s.log",
	         PXB_PLUGIN_DIR, PXB_BIN_DIR, data, args, data);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void
bn_must(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "bench_node: %s: exit %d\n", what, rc);
		exit(2);
	}
}

/* Median ms of `runs` runs of one command. */
static double
bn_time_cmd(const char *data, int runs, const char *args)
{
	double *v = calloc((size_t)runs, sizeof *v);
	for (int i = 0; i < runs; i++) {
		int64_t t0 = bench_now_ns();
		/* audit exits 0 without findings, another code with some: both ran. */
		int rc = bn_node(data, "%s", args);
		v[i] = (double)(bench_now_ns() - t0) / 1e6;
		if (rc > 10)
			bn_must(rc, args);
	}
	double m = bench_median(v, (size_t)runs);
	free(v);
	return m;
}

static void
bn_csv(const char *path, int n, int first_id, const char *extra_hdr, const char *extra)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		bn_die("csv");
	fprintf(f, "\xEF\xBB\xBFNom;Prénom;Date de naissance;Courriel;Date d'adhésion%s\r\n", extra_hdr);
	for (int i = first_id; i < first_id + n; i++)
		fprintf(f, "%s%d;%s;%02d/%02d;m%d@exemple.org;2025-01-01%s\r\n", bn_fams[i % 8], i, bn_firsts[(i / 8) % 8],
		        i % 28 + 1, i % 12 + 1, i, extra);
	fclose(f);
}

/* ---- 1. search in process ---- */

static const char *const bn_dbs[] = {"members", "members_by_name", NULL};

typedef struct bn_hits {
	px_txn *txn;
	px_db members;
	uint64_t seen[64];
	size_t n_seen, count;
} bn_hits;

static px_err
bn_hit(void *arg, px_val key, px_val val)
{
	(void)val;
	bn_hits *h = arg;
	if (key.size < 8)
		return PX_ECORRUPT;
	uint64_t id = px_rd64((const uint8_t *)key.data + key.size - 8);
	for (size_t i = 0; i < h->n_seen; i++)
		if (h->seen[i] == id)
			return PX_OK;
	if (h->n_seen < sizeof h->seen / sizeof h->seen[0])
		h->seen[h->n_seen++] = id;
	uint8_t k[8];
	px_be64(k, id);
	Praxis__Member *m = NULL;
	px_err e = px_get_msg(h->txn, h->members, k, 8, &praxis__member__descriptor, (ProtobufCMessage **)&m);
	if (e != PX_OK)
		return e;
	h->count += m->status != PRAXIS__MEMBER_STATUS__MEMBER_ERASED;
	protobuf_c_message_free_unpacked(&m->base, NULL);
	return PX_OK;
}

static void
bn_search(const char *data, int n, int queries)
{
	px_store_opts o = {.dir = data, .file = "node.mdb", .dbs = bn_dbs, .schema_version = 1, .read_only = true};
	px_store *st = NULL;
	px_err e = px_store_open(&st, &o);
	if (e != PX_OK) {
		fprintf(stderr, "bench_node: open node.mdb: %s\n", px_strerror(e));
		exit(2);
	}
	px_db by_name = px_store_db(st, "members_by_name"), members = px_store_db(st, "members");
	double *lat = calloc((size_t)queries, sizeof *lat);
	size_t total = 0;
	for (int q = 0; q < queries; q++) {
		/* "tremblay4567": a family name as typed, the member of that
		 * number (and those whose number starts with it, same name). */
		char prefix[64];
		int i = (int)(((unsigned)q * 7919u) % (unsigned)n);
		snprintf(prefix, sizeof prefix, "%s%d", bn_fams_norm[i % 8], i);
		int64_t t0 = bench_now_ns();
		bn_hits h = {0};
		h.members = members;
		if ((e = px_txn_begin(st, false, &h.txn)) != PX_OK)
			bn_die("txn");
		e = px_scan(h.txn, by_name, prefix, strlen(prefix), bn_hit, &h);
		px_txn_abort(h.txn);
		lat[q] = (double)(bench_now_ns() - t0) / 1e3;
		if (e != PX_OK)
			bn_die("scan");
		if (h.count == 0) {
			fprintf(stderr, "bench_node: no hit for %s\n", prefix);
			exit(2);
		}
		total += h.count;
	}
	px_store_close(st);
	double p99 = bench_percentile(lat, (size_t)queries, 99);
	double med = bench_median(lat, (size_t)queries);
	printf("  (%d prefixes, %.1f hits each on average, p99 %.1f us)\n", queries, (double)total / queries, p99);
	char name[160];
	snprintf(name, sizeof name, "node: name-prefix search, %d members, median (in process)", n);
	bench_result r = {name, med, "us", NULL, 0, "< 1 ms", true, 0, 1000.0};
	bench_report(&r);
}

/* ---- 2. a 1,000-member community with full attendance ---- */

static const char *const bn_att_dbs[] = {"attendance", "members_by_community", "meetings_by_community", NULL};

typedef struct bn_ids {
	uint64_t *v;
	size_t n, cap;
} bn_ids;

static px_err
bn_collect(void *arg, px_val key, px_val val)
{
	(void)val;
	bn_ids *l = arg;
	if (key.size < 8)
		return PX_ECORRUPT;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		if (l->v == NULL)
			return PX_ENOMEM;
	}
	l->v[l->n++] = px_rd64((const uint8_t *)key.data + key.size - 8);
	return PX_OK;
}

/* Every member of community cid present at every meeting of it. */
static void
bn_attend_all(const char *data, uint64_t cid, double hours)
{
	px_store_opts o = {.dir = data, .file = "node.mdb", .dbs = bn_att_dbs, .schema_version = 1};
	px_store *st = NULL;
	if (px_store_open(&st, &o) != PX_OK)
		bn_die("open node.mdb");
	px_db att = px_store_db(st, "attendance");
	px_txn *txn = NULL;
	if (px_txn_begin(st, true, &txn) != PX_OK)
		bn_die("txn");
	uint8_t ck[8];
	px_be64(ck, cid);
	bn_ids mem = {0}, meet = {0};
	if (px_scan(txn, px_store_db(st, "members_by_community"), ck, 8, bn_collect, &mem) != PX_OK ||
	    px_scan(txn, px_store_db(st, "meetings_by_community"), ck, 8, bn_collect, &meet) != PX_OK)
		bn_die("scan");
	for (size_t j = 0; j < meet.n; j++)
		for (size_t i = 0; i < mem.n; i++) {
			Praxis__Attendance a = PRAXIS__ATTENDANCE__INIT;
			a.meeting_id = meet.v[j];
			a.member_id = mem.v[i];
			a.rsvp = PRAXIS__RSVP__RSVP_CONFIRMED;
			a.present = true;
			a.hours = hours;
			uint8_t k[24];
			px_be64(k, cid);
			px_be64(k + 8, a.meeting_id);
			px_be64(k + 16, a.member_id);
			if (px_put_msg(txn, att, k, 24, &a.base) != PX_OK)
				bn_die("put attendance");
		}
	if (px_txn_commit(txn) != PX_OK)
		bn_die("commit");
	printf("  (%zu members x %zu meetings present)\n", mem.n, meet.n);
	free(mem.v);
	free(meet.v);
	px_store_close(st);
}

int
main(void)
{
	int n = bn_env("BENCH_NODE_MEMBERS", 100000), queries = bn_env("BENCH_NODE_QUERIES", 201);
	int runs = bn_env("BENCH_NODE_RUNS", 9);
	char root[] = "/tmp/bench-node2-XXXXXX";
	if (mkdtemp(root) == NULL)
		bn_die("mkdtemp");
	char data[300], csv[300];

	/* 1. 100,000 members. */
	snprintf(data, sizeof data, "%s/big", root);
	snprintf(csv, sizeof csv, "%s/membres.csv", root);
	bn_csv(csv, n, 0, "", "");
	bn_must(bn_node(data, "init --name Banc"), "init");
	bn_must(bn_node(data, "community add --name CdP --framework example"), "community add");
	int64_t t0 = bench_now_ns();
	bn_must(bn_node(data, "member import %s --community CdP", csv), "import");
	printf("  (setup: %d members imported in %.1f s)\n", n, (double)(bench_now_ns() - t0) / 1e6 / 1000);
	bn_search(data, n, queries);
	/* The whole command (`member search`, process start included) is
	 * bench/node's row. */

	/* 2. Laurentides, 1,000 members, 12 monthly meetings of 2025. */
	snprintf(data, sizeof data, "%s/lau", root);
	snprintf(csv, sizeof csv, "%s/lau.csv", root);
	bn_csv(csv, 1000, 0, "", "");
	bn_must(bn_node(data, "init --name Banc"), "init");
	bn_must(bn_node(data, "community add --name Amalgame --framework laurentides --region Laurentides"),
	        "community add laurentides");
	bn_must(bn_node(data, "member import %s --community Amalgame", csv), "import 1,000");
	for (int m = 1; m <= 12; m++) {
		bn_must(bn_node(data, "meeting add --community Amalgame --date 2025-%02d-15 --duration 2", m),
		        "meeting add");
		bn_must(bn_node(data, "attend %d 1", m), "attend");
	}
	bn_attend_all(data, 1, 2);
	double audit_lau = bn_time_cmd(data, runs, "audit Amalgame --from 2025-01-01 --to 2025-12-31 --json");
	bench_result ra = {"node: full audit, 1,000 members, 12 meetings (whole command)", audit_lau, "ms", NULL, 0,
	                   "< 50 ms", true, 0, 50.0};
	bench_report(&ra);
	double *v = calloc((size_t)runs, sizeof *v);
	for (int i = 0; i < runs; i++) {
		int64_t s0 = bench_now_ns();
		bn_must(bn_node(data, "member add --community Amalgame --family Nouvelle%d --first Anne", i),
		        "member add");
		v[i] = (double)(bench_now_ns() - s0) / 1e6;
	}
	bench_result rc = {"node: member add + change-time check, 1,000 members (whole command)",
	                   bench_median(v, (size_t)runs), "ms", NULL, 0, "", true, 0, 0};
	bench_report(&rc);

	/* 3. Brusano: a 14-person cycle of 10 sessions, Sept. 2025 - June 2026. */
	snprintf(data, sizeof data, "%s/bru", root);
	snprintf(csv, sizeof csv, "%s/bru.csv", root);
	bn_csv(csv, 14, 0, ";Statut", ";active");
	bn_must(bn_node(data, "init --name Banc"), "init");
	bn_must(bn_node(data, "community add --name 'Intervision Nord' --framework brusano --region Bruxelles "
	                      "--cycle-start 2025-09-01 --cycle-end 2026-06-30"),
	        "community add brusano");
	bn_must(bn_node(data, "member import %s --community 'Intervision Nord'", csv), "import 14");
	v = realloc(v, 140 * sizeof *v);
	for (int m = 1; m <= 10; m++) {
		int month = m <= 4 ? 8 + m : m - 4; /* 2025-09..12, 2026-01..06 */
		bn_must(bn_node(data, "meeting add --community 1 --date %d-%02d-10 --duration 3", m <= 4 ? 2025 : 2026,
		                month),
		        "meeting add brusano");
		for (int p = 1; p <= 14; p++) {
			int64_t s0 = bench_now_ns();
			bn_must(bn_node(data, "attend %d %d", m, p), "attend brusano");
			v[(m - 1) * 14 + p - 1] = (double)(bench_now_ns() - s0) / 1e6;
		}
	}
	bench_result rt = {"node: attend + change-time check, Brusano 14 (whole command)", bench_median(v, 140), "ms",
	                   NULL, 0, "", true, 0, 0};
	bench_report(&rt);
	free(v);
	double audit_bru = bn_time_cmd(data, runs, "audit 'Intervision Nord' --from 2025-09-01 --to 2026-06-30 --json");
	bench_result rb = {"node: full audit, Brusano 14 members, 10 sessions (whole command)", audit_bru, "ms", NULL,
	                   0, "< 50 ms", true, 0, 50.0};
	bench_report(&rb);

	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (getenv("BENCH_KEEP") == NULL && system(cmd) != 0)
		fprintf(stderr, "bench_node: could not remove %s\n", root);
	return 0;
}
