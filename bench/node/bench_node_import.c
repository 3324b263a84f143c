/*
 * bench_node_import - `praxis-node member import` of 100,000 members from a
 * CSV file (the real binary: process start, CSV parsing, validation, the
 * member record and its indexes, the framework audit, one commit), against
 * a raw LMDB batched insert of the same records in the same run: the packed
 * Member protobuf under its big-endian id plus the same four index entries
 * (two name keys, organization, community), keys prepared before the clock
 * starts, one transaction. Goal
 * (issue 3): within 3x. Then the median latency of a name-prefix search
 * (`praxis-node member search PREFIX`, whole process) over those members.
 *
 * Rounds alternate both sides on fresh directories; the best round of each
 * counts (a shared, noisy machine).
 *
 * Knobs (environment): BENCH_NODE_MEMBERS (100000), BENCH_NODE_SEARCHES (31),
 * BENCH_NODE_ROUNDS (3).
 */
#define _GNU_SOURCE
#include "bench.h"
#include "domain.pb-c.h"
#include "px.h"

#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const bn_fams[] = {"Bédard", "Côté", "Gagnon", "Lévesque", "Ouellet", "Tremblay", "Roy", "Gauthier"};
static const char *const bn_firsts[] = {"Élise", "Josée", "François", "Hélène", "Noël", "Zoé", "Maïté", "Ève"};

static void
bn_die(const char *what)
{
	fprintf(stderr, "bench_node_import: %s\n", what);
	exit(2);
}

static int
bn_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The i-th member, as a CSV row and as the record the raw side writes. */
static void
bn_member(int i, char *fam, size_t fl, char *first, size_t pl, char *email, size_t el)
{
	snprintf(fam, fl, "%s%d", bn_fams[i % 8], i);
	snprintf(first, pl, "%s", bn_firsts[(i / 8) % 8]);
	snprintf(email, el, "m%d@exemple.org", i);
}

/* CPU time (user + system) of this process or of its waited children, ms:
 * on a machine shared by many builds, wall time mostly measures the others. */
static double
bn_cpu_ms(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

typedef struct bn_key {
	size_t len;
	uint8_t k[96];
} bn_key;

/* Keys shaped like the node's name keys ("family first" and "first family",
 * NUL, be64 id). Only ASCII is lowercased here (the node also folds
 * accents): the same number of keys, within a byte or two of the same size. */
static void
bn_name_key(bn_key *out, const char *a, const char *b, int id)
{
	int l = snprintf((char *)out->k, sizeof out->k - 9, "%s %s", a, b);
	for (int i = 0; i < l; i++)
		if (out->k[i] >= 'A' && out->k[i] <= 'Z')
			out->k[i] = (uint8_t)(out->k[i] - 'A' + 'a');
	out->k[l] = 0;
	for (int b8 = 7, v = id; b8 >= 0; b8--, v >>= 8)
		out->k[l + 1 + b8] = (uint8_t)v;
	out->len = (size_t)l + 9;
}

static double
bn_raw_insert(const char *dir, int n, double *cpu)
{
	bn_key *names = calloc((size_t)n * 2, sizeof *names);
	if (names == NULL)
		bn_die("oom");
	for (int i = 0; i < n; i++) {
		char fam[64], first[64], email[64];
		bn_member(i, fam, sizeof fam, first, sizeof first, email, sizeof email);
		bn_name_key(&names[2 * i], fam, first, i + 1);
		bn_name_key(&names[2 * i + 1], first, fam, i + 1);
	}
	double c0 = bn_cpu_ms(RUSAGE_SELF);
	MDB_env *env;
	if (mdb_env_create(&env) != 0 || mdb_env_set_mapsize(env, (size_t)1 << 30) != 0 ||
	    mdb_env_set_maxdbs(env, 4) != 0 || mdb_env_open(env, dir, 0, 0600) != 0)
		bn_die("raw lmdb open");
	int64_t t0 = bench_now_ns();
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_dbi by_name, by_org, by_comm;
	if (mdb_txn_begin(env, NULL, 0, &txn) != 0 || mdb_dbi_open(txn, "members", MDB_CREATE, &dbi) != 0 ||
	    mdb_dbi_open(txn, "members_by_name", MDB_CREATE, &by_name) != 0 ||
	    mdb_dbi_open(txn, "members_by_org", MDB_CREATE, &by_org) != 0 ||
	    mdb_dbi_open(txn, "members_by_community", MDB_CREATE, &by_comm) != 0)
		bn_die("raw lmdb txn");
	uint8_t buf[512];
	for (int i = 0; i < n; i++) {
		uint8_t k2[16];
		for (int b = 0; b < 8; b++)
			k2[b] = b == 7;
		for (int b = 15, v = i + 1; b >= 8; b--, v >>= 8)
			k2[b] = (uint8_t)v;
		MDB_val ik = {16, k2}, empty = {0, ""}, cid = {8, k2};
		MDB_val n1 = {names[2 * i].len, names[2 * i].k}, n2 = {names[2 * i + 1].len, names[2 * i + 1].k};
		if (mdb_put(txn, by_org, &ik, &empty, 0) != 0 || mdb_put(txn, by_comm, &ik, &empty, 0) != 0 ||
		    mdb_put(txn, by_name, &n1, &cid, 0) != 0 || mdb_put(txn, by_name, &n2, &cid, 0) != 0)
			bn_die("raw index put");
		char fam[64], first[64], email[64];
		bn_member(i, fam, sizeof fam, first, sizeof first, email, sizeof email);
		Praxis__Member m = PRAXIS__MEMBER__INIT;
		m.id = (uint64_t)i + 1;
		m.community_id = 1;
		m.family_name = fam;
		m.first_name = first;
		m.birth_day = i % 28 + 1;
		m.birth_month = i % 12 + 1;
		m.email = email;
		m.org_id = 1;
		m.role = PRAXIS__MEMBER_ROLE__ROLE_MEMBER;
		m.status = PRAXIS__MEMBER_STATUS__MEMBER_CANDIDATE;
		m.joined = 20250101;
		size_t len = praxis__member__pack(&m, buf);
		uint8_t k[8];
		for (int b = 7, v = i + 1; b >= 0; b--, v >>= 8)
			k[b] = (uint8_t)v;
		MDB_val key = {8, k}, val = {len, buf};
		if (mdb_put(txn, dbi, &key, &val, 0) != 0)
			bn_die("raw put");
	}
	if (mdb_txn_commit(txn) != 0)
		bn_die("raw commit");
	double ms = (double)(bench_now_ns() - t0) / 1e6;
	*cpu = bn_cpu_ms(RUSAGE_SELF) - c0;
	mdb_env_close(env);
	free(names);
	return ms;
}

int
main(void)
{
	int n = getenv("BENCH_NODE_MEMBERS") ? atoi(getenv("BENCH_NODE_MEMBERS")) : 100000;
	int searches = getenv("BENCH_NODE_SEARCHES") ? atoi(getenv("BENCH_NODE_SEARCHES")) : 31;
	int rounds = getenv("BENCH_NODE_ROUNDS") ? atoi(getenv("BENCH_NODE_ROUNDS")) : 3;
	if (n < 1 || searches < 1 || rounds < 1)
		bn_die("bad knobs");
	char dir[] = "/tmp/bench-node-XXXXXX";
	if (mkdtemp(dir) == NULL)
		bn_die("mkdtemp");
	char csv[300], data[300], raw[300];
	snprintf(csv, sizeof csv, "%s/membres.csv", dir);
	snprintf(data, sizeof data, "%s/node", dir);
	snprintf(raw, sizeof raw, "%s/raw", dir);
	FILE *f = fopen(csv, "w");
	if (f == NULL)
		bn_die("csv");
	fputs("\xEF\xBB\xBFNom;Prénom;Date de naissance;Courriel;Date d'adhésion\r\n", f);
	for (int i = 0; i < n; i++) {
		char fam[64], first[64], email[64];
		bn_member(i, fam, sizeof fam, first, sizeof first, email, sizeof email);
		fprintf(f, "%s;%s;%02d/%02d;%s;2025-01-01\r\n", fam, first, i % 28 + 1, i % 12 + 1, email);
	}
	fclose(f);
	const char *env = "PRAXIS_PLUGIN_PATH=" PXB_PLUGIN_DIR " LANG=fr_CA.UTF-8";
	double import_ms = 0, raw_ms = 0, import_cpu = 0, raw_cpu = 0;
	for (int round = 0; round < rounds; round++) {
		bn_sh("rm -rf %s %s", data, raw);
		if (mkdir(raw, 0700) != 0)
			bn_die("mkdir");
		if (bn_sh("%s %s/praxis-node --data %s init --name Bench >/dev/null", env, PXB_BIN_DIR, data) != 0 ||
		    bn_sh("%s %s/praxis-node --data %s community add --name CdP --framework example >/dev/null 2>&1",
		          env, PXB_BIN_DIR, data) != 0)
			bn_die("init");
		/* system() runs sh, which runs praxis-node, which forks the
		 * plugin: all waited for, all in RUSAGE_CHILDREN. The shell's
		 * share is a millisecond. */
		double c0 = bn_cpu_ms(RUSAGE_CHILDREN);
		int64_t t0 = bench_now_ns();
		if (bn_sh("%s %s/praxis-node --data %s member import %s --community CdP >/dev/null 2>&1", env,
		          PXB_BIN_DIR, data, csv) != 0)
			bn_die("import failed");
		double ms = (double)(bench_now_ns() - t0) / 1e6, cpu = bn_cpu_ms(RUSAGE_CHILDREN) - c0;
		if (round == 0 || ms < import_ms)
			import_ms = ms;
		if (round == 0 || cpu < import_cpu)
			import_cpu = cpu;
		ms = bn_raw_insert(raw, n, &cpu);
		if (round == 0 || ms < raw_ms)
			raw_ms = ms;
		if (round == 0 || cpu < raw_cpu)
			raw_cpu = cpu;
	}

	char name[160];
	snprintf(name, sizeof name, "node: import %d members from CSV, CPU time (whole command)", n);
	bench_result r0 = {name, import_cpu, "ms", "raw LMDB batched insert, same records and index entries, CPU", raw_cpu, "<= 3",
	                   true, 3.0, 0};
	bench_report(&r0);
	snprintf(name, sizeof name, "node: import %d members from CSV, wall time (whole command)", n);
	bench_result r1 = {name, import_ms, "ms", "raw LMDB batched insert, same records and index entries", raw_ms, "<= 3",
	                   true, 3.0, 0};
	bench_report(&r1);

	double *lat = calloc((size_t)searches, sizeof *lat);
	if (lat == NULL)
		bn_die("oom");
	for (int i = 0; i < searches; i++) {
		/* "gagnon1234" style prefixes: a handful of hits each. */
		char prefix[64];
		snprintf(prefix, sizeof prefix, "%s%d", i % 2 ? "gagnon" : "cote", (i * 7919) % (n / 10 + 1));
		int64_t s0 = bench_now_ns();
		if (bn_sh("%s %s/praxis-node --data %s --json member search %s >/dev/null", env, PXB_BIN_DIR, data,
		          prefix) != 0)
			bn_die("search failed");
		lat[i] = (double)(bench_now_ns() - s0) / 1e6;
	}
	snprintf(name, sizeof name, "node: name-prefix search over %d members, median (whole command)", n);
	bench_result r2 = {name, bench_median(lat, (size_t)searches), "ms", NULL, 0, "< 100 ms", true, 0, 100.0};
	bench_report(&r2);
	free(lat);
	bn_sh("rm -rf %s", dir);
	return 0;
}
