/* The LMDB storage helper: durability, indexes, map full, schema versions,
 * corrupt values, compaction that erases, and a writer killed mid-txn. */
#define _GNU_SOURCE
#include "domain.pb-c.h"
#include "px.h"
#include "px_store.h"
#include "pxt.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const test_dbs[] = {"members", "members_by_org", NULL};

static px_store *
open_store(const char *dir, size_t map_size, uint32_t version)
{
	px_store_opts o = {.dir = dir,
	                   .file = "test.mdb",
	                   .map_size = map_size,
	                   .dbs = test_dbs,
	                   .schema_version = version};
	px_store *st = NULL;
	assert_int_equal(px_store_open(&st, &o), PX_OK);
	return st;
}

static void
key_u64(uint8_t k[8], uint64_t id)
{
	px_be64(k, id);
}

/* Index key: org id then member id, so a prefix scan lists an org's members. */
static void
key_idx(uint8_t k[16], uint64_t org, uint64_t id)
{
	px_be64(k, org);
	px_be64(k + 8, id);
}

static px_err
put_member(px_txn *t, px_store *st, uint64_t id, uint64_t org, const char *family)
{
	Praxis__Member m = PRAXIS__MEMBER__INIT;
	m.id = id;
	m.org_id = org;
	m.family_name = (char *)family;
	m.first_name = (char *)"Test";
	uint8_t k[8], ik[16];
	key_u64(k, id);
	key_idx(ik, org, id);
	px_err rv = px_put_msg(t, px_store_db(st, "members"), k, 8, &m.base);
	if (rv != PX_OK)
		return rv;
	return px_put(t, px_store_db(st, "members_by_org"), ik, 16, "", 0);
}

static void
test_dir_mode_and_reopen(void **state)
{
	(void)state;
	char *base = pxt_tmpdir("store");
	char dir[512];
	snprintf(dir, sizeof dir, "%s/data/node", base);
	px_store *st = open_store(dir, 0, 1);
	struct stat sb;
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	char file[600];
	snprintf(file, sizeof file, "%s/test.mdb", dir);
	assert_string_equal(px_store_path(st), file);
	assert_int_equal(stat(file, &sb), 0);
	assert_true(S_ISREG(sb.st_mode)); /* MDB_NOSUBDIR: one file */
	assert_int_equal(sb.st_mode & 0077, 0);
	/* The environment as LMDB reports it: no flag that weakens durability. */
	px_store_stats ss;
	assert_int_equal(px_store_info(st, &ss), PX_OK);
	assert_true(ss.durable);
	assert_int_equal(ss.map_size, (size_t)1 << 30);

	px_txn *t;
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	for (uint64_t i = 1; i <= 100; i++)
		assert_int_equal(put_member(t, st, i, i % 7, "Tremblay"), PX_OK);
	uint64_t seq = 0;
	assert_int_equal(px_seq_next(t, "member", &seq), PX_OK);
	assert_int_equal(seq, 1);
	assert_int_equal(px_seq_next(t, "member", &seq), PX_OK);
	assert_int_equal(seq, 2);
	assert_int_equal(px_meta_put(t, "hub_key", "abc", 3), PX_OK);
	assert_int_equal(px_txn_commit(t), PX_OK);
	px_store_close(st);

	st = open_store(dir, 0, 1);
	assert_int_equal(px_txn_begin(st, false, &t), PX_OK);
	size_t n = 0;
	assert_int_equal(px_count(t, px_store_db(st, "members"), &n), PX_OK);
	assert_int_equal(n, 100);
	uint8_t k[8];
	key_u64(k, 42);
	ProtobufCMessage *msg = NULL;
	assert_int_equal(
	    px_get_msg(t, px_store_db(st, "members"), k, 8, &praxis__member__descriptor, &msg),
	    PX_OK);
	Praxis__Member *m = (Praxis__Member *)msg;
	assert_int_equal(m->id, 42);
	assert_int_equal(m->org_id, 42 % 7);
	assert_string_equal(m->family_name, "Tremblay");
	protobuf_c_message_free_unpacked(msg, NULL);
	px_val v;
	assert_int_equal(px_meta_get(t, "hub_key", &v), PX_OK);
	assert_int_equal(v.size, 3);
	assert_memory_equal(v.data, "abc", 3);
	assert_int_equal(px_meta_get(t, "nothing", &v), PX_ENOTFOUND);
	key_u64(k, 1000);
	assert_int_equal(px_get(t, px_store_db(st, "members"), k, 8, &v), PX_ENOTFOUND);
	/* Writes are refused in a read transaction. */
	assert_int_equal(px_put(t, px_store_db(st, "members"), k, 8, "x", 1), PX_EPERM);
	uint32_t ver = 0;
	assert_int_equal(px_store_version(t, &ver), PX_OK);
	assert_int_equal(ver, 1);
	px_txn_abort(t);
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	assert_int_equal(px_seq_next(t, "member", &seq), PX_OK);
	assert_int_equal(seq, 3); /* sequences survive reopening */
	assert_int_equal(px_put_new(t, px_store_db(st, "members"), k, 8, "x", 1), PX_OK);
	assert_int_equal(px_put_new(t, px_store_db(st, "members"), k, 8, "y", 1), PX_EEXISTS);
	/* PX_EEXISTS leaves the transaction usable. */
	assert_int_equal(px_del(t, px_store_db(st, "members"), k, 8), PX_OK);
	assert_int_equal(px_del(t, px_store_db(st, "members"), k, 8), PX_ENOTFOUND);
	assert_int_equal(px_txn_commit(t), PX_OK);
	assert_int_equal(px_store_db(st, "nope").id, -1);
	px_store_close(st);
	pxt_tmpdir_free(base);
}

typedef struct scan_acc {
	uint64_t ids[64];
	int n;
	int stop_after;
} scan_acc;

static px_err
scan_cb(void *arg, px_val key, px_val val)
{
	(void)val;
	scan_acc *a = arg;
	assert_int_equal(key.size, 16);
	a->ids[a->n++] = px_rd64((const uint8_t *)key.data + 8);
	if (a->stop_after && a->n == a->stop_after)
		return PX_ENOTFOUND;
	return PX_OK;
}

static void
test_scan_prefix(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("store");
	px_store *st = open_store(dir, 0, 1);
	px_txn *t;
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	for (uint64_t i = 1; i <= 30; i++)
		assert_int_equal(put_member(t, st, i, i % 3, "X"), PX_OK);
	/* An org id whose key is all 0xff bytes: the reverse scan has no
	 * successor prefix to seek to. */
	assert_int_equal(put_member(t, st, 99, UINT64_MAX, "X"), PX_OK);
	assert_int_equal(put_member(t, st, 98, UINT64_MAX, "X"), PX_OK);
	assert_int_equal(px_txn_commit(t), PX_OK);

	assert_int_equal(px_txn_begin(st, false, &t), PX_OK);
	px_db idx = px_store_db(st, "members_by_org");
	uint8_t p[8];
	px_be64(p, 1);
	scan_acc a = {0};
	assert_int_equal(px_scan(t, idx, p, 8, scan_cb, &a), PX_OK);
	assert_int_equal(a.n, 10);
	for (int i = 0; i < a.n; i++)
		assert_int_equal(a.ids[i], 1 + 3 * (uint64_t)i);
	scan_acc r = {0};
	assert_int_equal(px_scan_rev(t, idx, p, 8, scan_cb, &r), PX_OK);
	assert_int_equal(r.n, 10);
	for (int i = 0; i < r.n; i++)
		assert_int_equal(r.ids[i], a.ids[9 - i]);
	/* Stop early. */
	scan_acc s = {.stop_after = 3};
	assert_int_equal(px_scan(t, idx, p, 8, scan_cb, &s), PX_OK);
	assert_int_equal(s.n, 3);
	/* Last prefix of the key space. */
	px_be64(p, UINT64_MAX);
	scan_acc f = {0};
	assert_int_equal(px_scan_rev(t, idx, p, 8, scan_cb, &f), PX_OK);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.ids[0], 99);
	assert_int_equal(f.ids[1], 98);
	/* Org 2 in reverse: prefix followed by keys of org 3? none; nothing past. */
	px_be64(p, 7);
	scan_acc e = {0};
	assert_int_equal(px_scan_rev(t, idx, p, 8, scan_cb, &e), PX_OK);
	assert_int_equal(e.n, 0);
	px_txn_abort(t);
	px_store_close(st);
	pxt_tmpdir_free(dir);
}

/* A table and its index written in one transaction: an abort leaves neither,
 * a commit both. */
static void
test_index_abort(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("store");
	px_store *st = open_store(dir, 0, 1);
	px_txn *t;
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	for (uint64_t i = 1; i <= 10; i++)
		assert_int_equal(put_member(t, st, i, 5, "A"), PX_OK);
	assert_int_equal(px_txn_commit(t), PX_OK);

	/* Move members 1..5 to org 6 (index delete + insert), then abort. */
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	for (uint64_t i = 1; i <= 5; i++) {
		uint8_t ik[16];
		key_idx(ik, 5, i);
		assert_int_equal(px_del(t, px_store_db(st, "members_by_org"), ik, 16), PX_OK);
		assert_int_equal(put_member(t, st, i, 6, "A"), PX_OK);
	}
	for (uint64_t i = 11; i <= 20; i++)
		assert_int_equal(put_member(t, st, i, 6, "B"), PX_OK);
	px_txn_abort(t);

	/* Every index entry points at a member with that org, and every
	 * member has its index entry. */
	assert_int_equal(px_txn_begin(st, false, &t), PX_OK);
	size_t nm = 0, ni = 0;
	assert_int_equal(px_count(t, px_store_db(st, "members"), &nm), PX_OK);
	assert_int_equal(px_count(t, px_store_db(st, "members_by_org"), &ni), PX_OK);
	assert_int_equal(nm, 10);
	assert_int_equal(ni, 10);
	for (uint64_t i = 1; i <= 10; i++) {
		uint8_t k[8], ik[16];
		key_u64(k, i);
		ProtobufCMessage *msg;
		assert_int_equal(px_get_msg(t, px_store_db(st, "members"), k, 8,
		                            &praxis__member__descriptor, &msg),
		                 PX_OK);
		Praxis__Member *m = (Praxis__Member *)msg;
		key_idx(ik, m->org_id, i);
		assert_int_equal(m->org_id, 5);
		protobuf_c_message_free_unpacked(msg, NULL);
		px_val v;
		assert_int_equal(px_get(t, px_store_db(st, "members_by_org"), ik, 16, &v), PX_OK);
	}
	px_txn_abort(t);
	px_store_close(st);
	pxt_tmpdir_free(dir);
}

/* A small map: the write that does not fit gives PX_EFULL, the txn stays
 * failed, nothing of it is written, earlier data is intact. */
static void
test_map_full(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("store");
	px_store *st = open_store(dir, 256 * 1024, 1);
	px_txn *t;
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	for (uint64_t i = 1; i <= 20; i++)
		assert_int_equal(put_member(t, st, i, 1, "Base"), PX_OK);
	assert_int_equal(px_txn_commit(t), PX_OK);

	char big[1500];
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	px_err rv = PX_OK;
	uint64_t i;
	for (i = 100; i < 100000 && rv == PX_OK; i++)
		rv = put_member(t, st, i, 2, big);
	assert_int_equal(rv, PX_EFULL);
	assert_true(i > 110); /* some writes fit before the map filled */
	/* Failed stays failed. */
	px_val v;
	uint8_t k[8];
	key_u64(k, 1);
	assert_int_equal(px_put(t, px_store_db(st, "members"), k, 8, "x", 1), PX_EFULL);
	assert_int_equal(px_get(t, px_store_db(st, "members"), k, 8, &v), PX_EFULL);
	assert_int_equal(px_txn_commit(t), PX_EFULL);

	assert_int_equal(px_txn_begin(st, false, &t), PX_OK);
	size_t nm = 0, ni = 0;
	assert_int_equal(px_count(t, px_store_db(st, "members"), &nm), PX_OK);
	assert_int_equal(px_count(t, px_store_db(st, "members_by_org"), &ni), PX_OK);
	assert_int_equal(nm, 20);
	assert_int_equal(ni, 20);
	key_u64(k, 100);
	assert_int_equal(px_get(t, px_store_db(st, "members"), k, 8, &v), PX_ENOTFOUND);
	px_txn_abort(t);
	/* The store still takes a write that fits. */
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	assert_int_equal(put_member(t, st, 21, 1, "Small"), PX_OK);
	assert_int_equal(px_txn_commit(t), PX_OK);
	/* Grown, the same transaction goes through, and survives reopening. */
	assert_int_equal(px_store_grow(st, 100), PX_EINVAL);
	assert_int_equal(px_store_grow(st, 64u << 20), PX_OK);
	uint64_t last = i;
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	for (i = 100; i < last; i++)
		assert_int_equal(put_member(t, st, i, 2, big), PX_OK);
	assert_int_equal(px_txn_commit(t), PX_OK);
	px_store_close(st);
	st = open_store(dir, 64u << 20, 1);
	assert_int_equal(px_txn_begin(st, false, &t), PX_OK);
	assert_int_equal(px_count(t, px_store_db(st, "members"), &nm), PX_OK);
	assert_int_equal(nm, 21 + (last - 100));
	px_txn_abort(t);
	px_store_close(st);
	pxt_tmpdir_free(dir);
}

/* One process grows the map and writes past the old size; another, open all
 * along with the old size, adopts it at its next transaction. */
static void
test_grow_other_process(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("store");
	px_store *st = open_store(dir, 256 * 1024, 1);
	px_store_close(st);
	int go[2], ready[2];
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		px_store *cs = open_store(dir, 256 * 1024, 1);
		char c;
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		px_txn *ct;
		size_t n = 0;
		if (px_txn_begin(cs, true, &ct) != PX_OK)
			_exit(2);
		if (px_count(ct, px_store_db(cs, "members"), &n) != PX_OK || n != 300)
			_exit(3);
		if (put_member(ct, cs, 1000, 1, "Child") != PX_OK || px_txn_commit(ct) != PX_OK)
			_exit(4);
		px_store_stats ss;
		if (px_store_info(cs, &ss) != PX_OK || ss.map_size < (16u << 20))
			_exit(5);
		px_store_close(cs);
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	st = open_store(dir, 256 * 1024, 1);
	assert_int_equal(px_store_grow(st, 16u << 20), PX_OK);
	char big[1500];
	memset(big, 'g', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	px_txn *t;
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	for (uint64_t i = 1; i <= 300; i++)
		assert_int_equal(put_member(t, st, i, 1, big), PX_OK); /* ~450 KiB: past 256 KiB */
	assert_int_equal(px_txn_commit(t), PX_OK);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	px_store_close(st);
	pxt_tmpdir_free(dir);
}

/* A full disk, made real with RLIMIT_FSIZE in a child: the kernel refuses
 * the write (EFBIG) and the commit answers PX_EFULL; the file still opens
 * with what was committed before. */
static void
test_disk_full(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("store");
	px_store *st = open_store(dir, 0, 1);
	px_txn *t;
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	for (uint64_t i = 1; i <= 20; i++)
		assert_int_equal(put_member(t, st, i, 1, "Base"), PX_OK);
	assert_int_equal(px_txn_commit(t), PX_OK);
	px_store_stats ss;
	assert_int_equal(px_store_info(st, &ss), PX_OK);
	px_store_close(st);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit rl = {ss.file_size + 8192, ss.file_size + 8192};
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(10);
		px_store *cs = open_store(dir, 0, 1);
		px_txn *ct;
		if (px_txn_begin(cs, true, &ct) != PX_OK)
			_exit(11);
		char big[2000];
		memset(big, 'q', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		for (uint64_t i = 100; i < 400; i++)
			if (put_member(ct, cs, i, 2, big) != PX_OK)
				_exit(12);
		px_err rv = px_txn_commit(ct);
		px_store_close(cs);
		if (rv != PX_EFULL)
			fprintf(stderr, "commit: %s\n", px_strerror(rv));
		_exit(rv == PX_EFULL ? 0 : 13);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	st = open_store(dir, 0, 1);
	assert_int_equal(px_txn_begin(st, false, &t), PX_OK);
	size_t nm = 0;
	assert_int_equal(px_count(t, px_store_db(st, "members"), &nm), PX_OK);
	assert_int_equal(nm, 20);
	px_txn_abort(t);
	px_store_close(st);
	pxt_tmpdir_free(dir);
}

static int migrate_calls;
static uint32_t migrate_from, migrate_to;

static px_err
migrate_v1_v2(px_txn *t, uint32_t from, uint32_t to, void *arg)
{
	px_store *st = *(px_store **)arg;
	(void)st;
	migrate_calls++;
	migrate_from = from;
	migrate_to = to;
	/* A real migration step: record a marker in meta. */
	return px_meta_put(t, "migrated", "v2", 2);
}

static px_err
migrate_refuse(px_txn *t, uint32_t from, uint32_t to, void *arg)
{
	(void)from;
	(void)to;
	(void)arg;
	/* Writes something, then fails: nothing of it may stay. */
	px_err rv = px_meta_put(t, "half", "x", 1);
	return rv != PX_OK ? rv : PX_ECORRUPT;
}

static void
test_schema_version(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("store");
	px_store *st = open_store(dir, 0, 1);
	px_store_close(st);

	/* Newer software, no migration: refused. */
	px_store_opts o = {.dir = dir, .file = "test.mdb", .dbs = test_dbs, .schema_version = 2};
	st = NULL;
	assert_int_equal(px_store_open(&st, &o), PX_EVERSION);
	assert_null(st);
	/* A failing migration leaves the store at version 1, untouched. */
	o.migrate = migrate_refuse;
	assert_int_equal(px_store_open(&st, &o), PX_ECORRUPT);
	st = open_store(dir, 0, 1);
	px_txn *t;
	px_val v;
	assert_int_equal(px_txn_begin(st, false, &t), PX_OK);
	assert_int_equal(px_meta_get(t, "half", &v), PX_ENOTFOUND);
	px_txn_abort(t);
	px_store_close(st);

	px_store *argst = NULL;
	o.migrate = migrate_v1_v2;
	o.migrate_arg = &argst;
	assert_int_equal(px_store_open(&st, &o), PX_OK);
	assert_int_equal(migrate_calls, 1);
	assert_int_equal(migrate_from, 1);
	assert_int_equal(migrate_to, 2);
	assert_int_equal(px_txn_begin(st, false, &t), PX_OK);
	assert_int_equal(px_meta_get(t, "migrated", &v), PX_OK);
	uint32_t ver = 0;
	assert_int_equal(px_store_version(t, &ver), PX_OK);
	assert_int_equal(ver, 2);
	px_txn_abort(t);
	px_store_close(st);
	/* Opened again at version 2: no second migration. */
	assert_int_equal(px_store_open(&st, &o), PX_OK);
	assert_int_equal(migrate_calls, 1);
	px_store_close(st);
	/* Older software on a newer store: refused. */
	o.schema_version = 1;
	assert_int_equal(px_store_open(&st, &o), PX_EVERSION);
	pxt_tmpdir_free(dir);
}

static void
test_corrupt_value(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("store");
	px_store *st = open_store(dir, 0, 1);
	px_txn *t;
	uint8_t k[8];
	key_u64(k, 7);
	/* Field 3 (string) declaring 100 bytes with 2 present: truncated. */
	const uint8_t bad[] = {0x1a, 100, 'a', 'b'};
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	assert_int_equal(px_put(t, px_store_db(st, "members"), k, 8, bad, sizeof bad), PX_OK);
	assert_int_equal(px_txn_commit(t), PX_OK);
	assert_int_equal(px_txn_begin(st, false, &t), PX_OK);
	ProtobufCMessage *msg = (ProtobufCMessage *)1;
	assert_int_equal(
	    px_get_msg(t, px_store_db(st, "members"), k, 8, &praxis__member__descriptor, &msg),
	    PX_ECORRUPT);
	assert_null(msg);
	/* A corrupt value does not fail the transaction. */
	px_val v;
	assert_int_equal(px_get(t, px_store_db(st, "members"), k, 8, &v), PX_OK);
	px_txn_abort(t);
	px_store_close(st);
	/* A data file that is not LMDB at all. */
	char path[600];
	snprintf(path, sizeof path, "%s/junk.mdb", dir);
	char junk[8192];
	memset(junk, 0x5a, sizeof junk);
	assert_true(pxt_write_file(path, junk, sizeof junk));
	px_store_opts o = {.dir = dir, .file = "junk.mdb", .dbs = test_dbs, .schema_version = 1};
	st = NULL;
	px_err rv = px_store_open(&st, &o);
	assert_int_equal(rv, PX_ECORRUPT);
	assert_null(st);
	pxt_tmpdir_free(dir);
}

/* Erasure: a canary deleted, or overwritten by a shorter record, is gone
 * from the file bytes after compaction. */
static void
test_compact_erases(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("store");
	px_store *st = open_store(dir, 0, 1);
	const char *canary = "CanaryQuebecois7f3e9";
	const char *canary2 = "Canary2Bruxelles4c1d";
	px_txn *t;
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	for (uint64_t i = 1; i <= 200; i++)
		assert_int_equal(put_member(t, st, i, 1, "Gagnon"), PX_OK);
	assert_int_equal(put_member(t, st, 77, 1, canary), PX_OK);
	assert_int_equal(put_member(t, st, 78, 1, canary2), PX_OK);
	assert_int_equal(px_txn_commit(t), PX_OK);
	const char *path = px_store_path(st);
	assert_true(pxt_file_contains(path, canary, strlen(canary)));
	assert_true(pxt_file_contains(path, canary2, strlen(canary2)));

	/* Several transactions so old page versions pile up in the free list. */
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	uint8_t k[8];
	key_u64(k, 77);
	assert_int_equal(px_del(t, px_store_db(st, "members"), k, 8), PX_OK);
	assert_int_equal(px_txn_commit(t), PX_OK);
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	assert_int_equal(put_member(t, st, 78, 1, "X"), PX_OK); /* replaced by a shorter record */
	assert_int_equal(px_txn_commit(t), PX_OK);
	/* LMDB keeps the old page versions: the canary is typically still in
	 * the file here, which is why compaction exists. */
	bool before = pxt_file_contains(path, canary, strlen(canary));
	print_message("canary in file before compaction: %s\n", before ? "yes" : "no");

	assert_int_equal(px_store_compact(st), PX_OK);
	assert_false(pxt_file_contains(path, canary, strlen(canary)));
	assert_false(pxt_file_contains(path, canary2, strlen(canary2)));
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0077, 0);
	/* Still a working store after reopening inside compaction. */
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	size_t n = 0;
	assert_int_equal(px_count(t, px_store_db(st, "members"), &n), PX_OK);
	assert_int_equal(n, 199);
	assert_int_equal(put_member(t, st, 500, 1, "After"), PX_OK);
	assert_int_equal(px_txn_commit(t), PX_OK);
	px_store_close(st);
	st = open_store(dir, 0, 1);
	assert_int_equal(px_txn_begin(st, false, &t), PX_OK);
	assert_int_equal(px_count(t, px_store_db(st, "members"), &n), PX_OK);
	assert_int_equal(n, 200);
	px_txn_abort(t);
	px_store_close(st);
	pxt_tmpdir_free(dir);
}

/* Compaction refuses while another process has the store open (it would go
 * on writing to the old file), and works once it is gone. */
static void
test_compact_busy(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("store");
	px_store *st = open_store(dir, 0, 1);
	px_txn *t;
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	assert_int_equal(put_member(t, st, 1, 1, "Busy"), PX_OK);
	assert_int_equal(px_txn_commit(t), PX_OK);
	px_store_close(st);

	int cp[2], rp[2];
	assert_int_equal(pipe(cp), 0);
	assert_int_equal(pipe(rp), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(cp[1]);
		close(rp[0]);
		px_store *cs = open_store(dir, 0, 1);
		if (write(rp[1], "o", 1) != 1)
			_exit(1);
		char c;
		while (read(cp[0], &c, 1) > 0) /* until the parent closes the pipe */
			;
		/* Writes after the parent's failed compaction still land. */
		px_txn *ct;
		if (px_txn_begin(cs, true, &ct) != PX_OK ||
		    put_member(ct, cs, 2, 1, "Child") != PX_OK || px_txn_commit(ct) != PX_OK)
			_exit(2);
		px_store_close(cs);
		_exit(0);
	}
	close(cp[0]);
	close(rp[1]);
	char c;
	assert_int_equal(read(rp[0], &c, 1), 1);
	close(rp[0]);
	st = open_store(dir, 0, 1);
	assert_int_equal(px_store_compact(st), PX_EPRECOND);
	/* Still usable, and the other process's lock is intact. */
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	assert_int_equal(put_member(t, st, 3, 1, "Parent"), PX_OK);
	assert_int_equal(px_txn_commit(t), PX_OK);
	close(cp[1]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(px_store_compact(st), PX_OK);
	assert_int_equal(px_txn_begin(st, false, &t), PX_OK);
	size_t n = 0;
	assert_int_equal(px_count(t, px_store_db(st, "members"), &n), PX_OK);
	assert_int_equal(n, 3);
	px_txn_abort(t);
	px_store_close(st);
	pxt_tmpdir_free(dir);
}

/* A writer killed with SIGKILL in the middle of a transaction, while it also
 * holds a read slot, and while another process keeps the environment open
 * (so nobody re-initializes the lock file): the dead reader slot is cleared
 * by px_store_open (mdb_reader_check), the writer lock is free (LMDB's robust
 * mutex), committed data is there and the uncommitted is not. */
static void
test_killed_writer(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("store");
	/* Create the store first so both children open an existing one. */
	px_store *st = open_store(dir, 0, 1);
	px_store_close(st);

	int kp[2], wp[2], rp[2];
	assert_int_equal(pipe(kp), 0);
	assert_int_equal(pipe(wp), 0);
	assert_int_equal(pipe(rp), 0);
	pid_t keeper = fork();
	assert_true(keeper >= 0);
	if (keeper == 0) {
		close(kp[1]);
		close(wp[0]);
		close(wp[1]);
		close(rp[0]);
		px_store *ks = open_store(dir, 0, 1);
		char c;
		if (write(rp[1], "r", 1) != 1) /* open: the writer may start */
			_exit(1);
		/* Holds the environment until the parent closes the pipe. */
		while (read(kp[0], &c, 1) > 0)
			;
		px_store_close(ks);
		_exit(0);
	}
	close(kp[0]);
	close(rp[1]);
	char c;
	assert_int_equal(read(rp[0], &c, 1), 1);
	close(rp[0]);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(wp[0]);
		close(kp[1]);
		px_store *cs = open_store(dir, 0, 1);
		px_txn *ct, *rt;
		if (px_txn_begin(cs, true, &ct) != PX_OK)
			_exit(1);
		for (uint64_t i = 1; i <= 50; i++)
			if (put_member(ct, cs, i, 1, "Committed") != PX_OK)
				_exit(2);
		if (px_txn_commit(ct) != PX_OK)
			_exit(3);
		if (px_txn_begin(cs, false, &rt) != PX_OK) /* a reader slot to leave stale */
			_exit(4);
		if (px_txn_begin(cs, true, &ct) != PX_OK)
			_exit(5);
		for (uint64_t i = 51; i <= 5000; i++) {
			if (put_member(ct, cs, i, 2, "Uncommitted") != PX_OK)
				_exit(6);
			if (i == 2500 && write(wp[1], "k", 1) != 1)
				_exit(7);
		}
		for (;;)
			pause();
	}
	close(wp[1]);
	assert_int_equal(read(wp[0], &c, 1), 1);
	close(wp[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));

	/* The dead writer's reader slot is still in the lock file (mdb_stat -r
	 * lists without clearing)... */
	char pidstr[32];
	snprintf(pidstr, sizeof pidstr, " %d ", (int)pid);
	pxt_run r = pxt_sh("mdb_stat -n -r '%s/test.mdb'", dir);
	assert_non_null(strstr(r.out, "Reader Table"));
	if (strstr(r.out, pidstr) == NULL)
		print_message("mdb_stat: %s\n", r.out);
	assert_non_null(strstr(r.out, pidstr));
	pxt_run_free(&r);

	st = open_store(dir, 0, 1);
	/* ...and px_store_open cleared it. */
	r = pxt_sh("mdb_stat -n -r '%s/test.mdb'", dir);
	assert_non_null(strstr(r.out, "Reader Table"));
	assert_null(strstr(r.out, pidstr));
	pxt_run_free(&r);
	px_txn *t;
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK); /* writer lock free */
	size_t n = 0;
	assert_int_equal(px_count(t, px_store_db(st, "members"), &n), PX_OK);
	assert_int_equal(n, 50);
	assert_int_equal(px_count(t, px_store_db(st, "members_by_org"), &n), PX_OK);
	assert_int_equal(n, 50);
	assert_int_equal(put_member(t, st, 51, 1, "After"), PX_OK);
	assert_int_equal(px_txn_commit(t), PX_OK);
	assert_int_equal(px_txn_begin(st, false, &t), PX_OK);
	uint8_t k[8];
	key_u64(k, 30);
	ProtobufCMessage *msg;
	assert_int_equal(
	    px_get_msg(t, px_store_db(st, "members"), k, 8, &praxis__member__descriptor, &msg),
	    PX_OK);
	assert_string_equal(((Praxis__Member *)msg)->family_name, "Committed");
	protobuf_c_message_free_unpacked(msg, NULL);
	key_u64(k, 100);
	px_val v;
	assert_int_equal(px_get(t, px_store_db(st, "members"), k, 8, &v), PX_ENOTFOUND);
	px_txn_abort(t);
	px_store_close(st);
	close(kp[1]);
	assert_int_equal(waitpid(keeper, &status, 0), keeper);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pxt_tmpdir_free(dir);
}

/* RssFile of this process, KiB (-1 when /proc says nothing). */
static long
rss_file_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "RssFile:", 8) == 0)
			v = atol(line + 8);
	if (f != NULL)
		fclose(f);
	return v;
}

static px_err
sum_cb(void *arg, px_val key, px_val val)
{
	(void)key;
	const uint8_t *p = val.data;
	for (size_t i = 0; i < val.size; i += 512)
		*(uint64_t *)arg += p[i];
	return PX_OK;
}

/* px_store_release unmaps what scans read (the page cache keeps it): the
 * pages leave this process's RSS, values read before and after are the
 * same, and the transaction goes on. */
static void
test_release(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("store-release");
	px_store *st = open_store(dir, 0, 1);
	px_txn *t = NULL;
	uint8_t val[3000];
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	for (uint64_t id = 0; id < 6000; id++) { /* ~18 MB of values */
		uint8_t k[8];
		key_u64(k, id);
		memset(val, (int)(id & 0xff), sizeof val);
		assert_int_equal(px_put(t, px_store_db(st, "members"), k, 8, val, sizeof val), PX_OK);
	}
	assert_int_equal(px_txn_commit(t), PX_OK);
	assert_int_equal(px_txn_begin(st, false, &t), PX_OK);
	uint64_t a = 0, b = 0;
	long before = rss_file_kib();
	assert_int_equal(px_scan(t, px_store_db(st, "members"), NULL, 0, sum_cb, &a), PX_OK);
	long read = rss_file_kib();
	assert_int_equal(px_store_release(st), PX_OK);
	long released = rss_file_kib();
	assert_int_equal(px_scan(t, px_store_db(st, "members"), NULL, 0, sum_cb, &b), PX_OK);
	px_txn_abort(t);
	assert_true(a == b && a > 0);
	/* The scan mapped the ~18 MB file; the release gave back at least
	 * 15 MB of it, whatever else the process maps. */
	assert_true(read - before > 15000);
	assert_true(read - released > 15000);
	/* Compaction maps a new file (px_store_release forgets the address it
	 * keeps): release and reads work on the new map. */
	assert_int_equal(px_store_compact(st), PX_OK);
	assert_int_equal(px_txn_begin(st, false, &t), PX_OK);
	uint64_t c = 0;
	assert_int_equal(px_store_release(st), PX_OK);
	assert_int_equal(px_scan(t, px_store_db(st, "members"), NULL, 0, sum_cb, &c), PX_OK);
	assert_int_equal(px_store_release(st), PX_OK);
	px_txn_abort(t);
	assert_true(c == a);
	px_store_close(st);
	pxt_tmpdir_free(dir);
}

/* px_scan_chunked: order and exactly-once over chunks, a fresh snapshot
 * for each chunk, and writers reusing pages while it runs. */
typedef struct chunk_seen {
	px_store *st;
	char keys[1100][8];
	size_t n;
	bool wrote, wrote2, out_of_order;
} chunk_seen;

static px_err
chunk_seen_cb(void *arg, px_txn *txn, px_val key, px_val val)
{
	chunk_seen *c = arg;
	(void)txn;
	(void)val;
	assert_true(key.size < sizeof c->keys[0]);
	assert_true(c->n < sizeof c->keys / sizeof c->keys[0]);
	memcpy(c->keys[c->n], key.data, key.size);
	c->keys[c->n][key.size] = '\0';
	if (c->n > 0 && strcmp(c->keys[c->n - 1], c->keys[c->n]) >= 0)
		c->out_of_order = true;
	c->n++;
	if (c->n == 100 && !c->wrote) {
		/* Between two chunks of the scan (64 each): one key behind the
		 * cursor, one ahead, one removed ahead. */
		px_txn *w;
		px_db db = px_store_db(c->st, "members");
		assert_int_equal(px_txn_begin(c->st, true, &w), PX_OK);
		assert_int_equal(px_put(w, db, "k0050x", 6, "", 0), PX_OK);
		assert_int_equal(px_put(w, db, "k0500x", 6, "", 0), PX_OK);
		assert_int_equal(px_del(w, db, "k0700", 5), PX_OK);
		assert_int_equal(px_txn_commit(w), PX_OK);
		c->wrote = true;
	}
	if (c->n == 128 && !c->wrote2) {
		/* The last entry of a chunk, where the next one resumes: removed,
		 * and a key right after it added. */
		px_txn *w;
		px_db db = px_store_db(c->st, "members");
		assert_int_equal(px_txn_begin(c->st, true, &w), PX_OK);
		assert_int_equal(px_del(w, db, key.data, key.size), PX_OK);
		assert_int_equal(px_put(w, db, "k0127a", 6, "", 0), PX_OK);
		assert_int_equal(px_txn_commit(w), PX_OK);
		c->wrote2 = true;
	}
	return PX_OK;
}

static px_err
chunk_stop_cb(void *arg, px_txn *txn, px_val key, px_val val)
{
	(void)txn;
	(void)key;
	(void)val;
	return ++*(size_t *)arg == 200 ? PX_ENOTFOUND : PX_OK;
}

/* Rewrites every value of "members" at each 100th entry scanned. */
typedef struct chunk_rewrite {
	px_store *st;
	size_t n;
} chunk_rewrite;

static void
rewrite_all(px_store *st, int gen)
{
	px_txn *w;
	uint8_t val[1000];
	memset(val, gen, sizeof val);
	assert_int_equal(px_txn_begin(st, true, &w), PX_OK);
	for (uint64_t id = 0; id < 2000; id++) {
		uint8_t k[8];
		key_u64(k, id);
		assert_int_equal(px_put(w, px_store_db(st, "members"), k, 8, val, sizeof val), PX_OK);
	}
	assert_int_equal(px_txn_commit(w), PX_OK);
}

static px_err
chunk_rewrite_cb(void *arg, px_txn *txn, px_val key, px_val val)
{
	chunk_rewrite *c = arg;
	(void)txn;
	(void)key;
	(void)val;
	if (++c->n % 100 == 0)
		rewrite_all(c->st, (int)(c->n / 100));
	return PX_OK;
}

static px_err
rewrite_plain_cb(void *arg, px_val key, px_val val)
{
	return chunk_rewrite_cb(arg, NULL, key, val);
}

static void
test_scan_chunked(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("store-chunked");
	px_store *st = open_store(dir, 0, 1);
	px_db db = px_store_db(st, "members");
	px_txn *t;
	assert_int_equal(px_txn_begin(st, true, &t), PX_OK);
	for (int i = 0; i < 1000; i++) {
		char k[8];
		snprintf(k, sizeof k, "k%04d", i);
		assert_int_equal(px_put(t, db, k, 5, "v", 1), PX_OK);
	}
	assert_int_equal(px_put(t, db, "a", 1, "", 0), PX_OK);
	assert_int_equal(px_put(t, db, "z", 1, "", 0), PX_OK);
	assert_int_equal(px_txn_commit(t), PX_OK);

	chunk_seen *c = calloc(1, sizeof *c);
	assert_non_null(c);
	c->st = st;
	assert_int_equal(px_scan_chunked(st, db, "k", 1, 64, true, chunk_seen_cb, c), PX_OK);
	assert_false(c->out_of_order);
	/* 1000 keys, k0700 removed and k0500x added ahead of the cursor,
	 * k0050x added behind it; k0127 seen before its removal, k0127a
	 * after it. */
	assert_int_equal(c->n, 1001);
	bool saw500x = false, saw50x = false, saw700 = false, saw127a = false;
	for (size_t i = 0; i < c->n; i++) {
		saw127a |= strcmp(c->keys[i], "k0127a") == 0;
		saw500x |= strcmp(c->keys[i], "k0500x") == 0;
		saw50x |= strcmp(c->keys[i], "k0050x") == 0;
		saw700 |= strcmp(c->keys[i], "k0700") == 0;
		assert_true(c->keys[i][0] == 'k');
	}
	assert_true(saw500x);
	assert_true(saw127a);
	assert_false(saw50x);
	assert_false(saw700);
	/* A chunk of 1 and the default chunk see the same keys. */
	size_t n1 = c->n;
	c->n = 0;
	c->wrote = c->wrote2 = true;
	assert_int_equal(px_scan_chunked(st, db, "k", 1, 1, false, chunk_seen_cb, c), PX_OK);
	assert_int_equal(c->n, n1); /* k0050x now, k0127 no more */
	c->n = 0;
	assert_int_equal(px_scan_chunked(st, db, NULL, 0, 0, false, chunk_seen_cb, c), PX_OK);
	assert_int_equal(c->n, n1 + 2); /* and "a", "z" */
	assert_false(c->out_of_order);
	free(c);
	/* PX_ENOTFOUND stops without error; bad arguments. */
	size_t stop = 0;
	assert_int_equal(px_scan_chunked(st, db, "k", 1, 64, false, chunk_stop_cb, &stop), PX_OK);
	assert_int_equal(stop, 200);
	assert_int_equal(px_scan_chunked(st, db, NULL, 3, 64, false, chunk_stop_cb, &stop), PX_EINVAL);
	assert_int_equal(px_scan_chunked(NULL, db, NULL, 0, 64, false, chunk_stop_cb, &stop), PX_EINVAL);
	px_store_close(st);
	pxt_tmpdir_free(dir);

	/* Writers while a scan runs: 20 rewrites of 2 MB. Under one long read
	 * transaction no freed page can be reused and the file grows by every
	 * rewrite; in chunks of 100 the pages are reused. */
	size_t grown[2];
	for (int chunked = 0; chunked < 2; chunked++) {
		dir = pxt_tmpdir("store-chunked");
		st = open_store(dir, 0, 1);
		db = px_store_db(st, "members");
		rewrite_all(st, 0);
		px_store_stats s0, s1;
		assert_int_equal(px_store_info(st, &s0), PX_OK);
		chunk_rewrite cr = {st, 0};
		if (chunked) {
			assert_int_equal(px_scan_chunked(st, db, NULL, 0, 100, false, chunk_rewrite_cb, &cr),
			                 PX_OK);
		} else {
			assert_int_equal(px_txn_begin(st, false, &t), PX_OK);
			assert_int_equal(px_scan(t, db, NULL, 0, rewrite_plain_cb, &cr), PX_OK);
			px_txn_abort(t);
		}
		assert_int_equal(cr.n, 2000);
		assert_int_equal(px_store_info(st, &s1), PX_OK);
		grown[chunked] = s1.pages_used - s0.pages_used;
		px_store_close(st);
		pxt_tmpdir_free(dir);
	}
	print_message("store: pages added by 20 rewrites during a scan: %zu in one read txn, %zu in "
	              "chunks\n",
	              grown[0], grown[1]);
	assert_true(grown[0] > 20 * 400); /* ~500 pages a rewrite */
	assert_true(grown[1] * 4 < grown[0]);
}

static void
test_bad_args(void **state)
{
	(void)state;
	px_store *st = NULL;
	px_store_opts o = {.dir = "/tmp", .file = "a/b.mdb", .dbs = test_dbs};
	assert_int_equal(px_store_open(&st, &o), PX_EINVAL);
	static const char *const meta_db[] = {"meta", NULL};
	o.file = "x.mdb";
	o.dbs = meta_db;
	assert_int_equal(px_store_open(&st, &o), PX_EINVAL);
	/* Read-only on a missing file is a clear not-found. */
	char *dir = pxt_tmpdir("store");
	px_store_opts ro = {.dir = dir,
	                    .file = "none.mdb",
	                    .dbs = test_dbs,
	                    .schema_version = 1,
	                    .read_only = true};
	assert_int_equal(px_store_open(&st, &ro), PX_ENOTFOUND);
	px_store_close(NULL);
	px_txn_abort(NULL);
	pxt_tmpdir_free(dir);
}

int
main(void)
{
	px_log_init("test_store", PX_LOG_ERROR);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dir_mode_and_reopen), cmocka_unit_test(test_scan_prefix),
	    cmocka_unit_test(test_index_abort),         cmocka_unit_test(test_map_full),
	    cmocka_unit_test(test_grow_other_process),  cmocka_unit_test(test_disk_full),
	    cmocka_unit_test(test_schema_version),      cmocka_unit_test(test_corrupt_value),
	    cmocka_unit_test(test_compact_erases),      cmocka_unit_test(test_compact_busy),
	    cmocka_unit_test(test_killed_writer),       cmocka_unit_test(test_bad_args),
	    cmocka_unit_test(test_release),
	    cmocka_unit_test(test_scan_chunked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
