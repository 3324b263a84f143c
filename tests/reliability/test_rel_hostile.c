/*
 * test_rel_hostile.c - issue 7.2 and 7.3 through the real binaries:
 *  - a 64 MiB message to the hub is dropped without the hub's memory
 *    growing (VmRSS from /proc before and after), and the hub still serves;
 *  - no message type of proto/ can contain itself, directly or through
 *    others (protobuf-c has no nesting limit): every message descriptor
 *    the generated headers declare is walked, and a cycle fails the test;
 *  - no code weakens LMDB's durability (MDB_NOSYNC, MDB_MAPASYNC,
 *    MDB_NOMEMINIT), stale reader slots are cleared at open
 *    (mdb_reader_check), and only src/store includes lmdb.h;
 *  - a full disk (a small tmpfs, mounted when running as root; skipped
 *    with the reason otherwise) gives a clear "storage full" error, with
 *    nothing acknowledged, on the hub (reports stay in the node's outbox
 *    and go through once space is back) and on the node (a CSV import
 *    imports nothing).
 */
#define _GNU_SOURCE
#include "relt.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <protobuf-c/protobuf-c.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

/* ------------------------------------------------------------ 64 MiB */

static void
test_hub_drops_64mib_message(void **state)
{
	(void)state;
	relt_hub h;
	relt_hub_init(&h, "relbig", false);
	assert_true(relt_hub_start(&h));
	static const char *const comms[] = {"CdP Taille", NULL};
	relt_node n;
	relt_node_init(&n, &h, h.dir, "orgbig", comms);
	/* Warm the hub up with real calls before the first reading. */
	pxt_run r = relt_node_cmd(&n, "sync --period 2024");
	assert_int_equal(r.status, 0);
	pxt_run_free(&r);
	long before = relt_rss_kb(h.pid);
	assert_true(before > 0);

	/* A raw TCP peer speaking nng's SP/TCP framing (8-byte handshake,
	 * then a 64-bit big-endian length and the body): nothing in the
	 * client's library decides what is sent. */
	const uint64_t big = (uint64_t)64 << 20;
	long peak = before;
	int port = atoi(strrchr(h.url, ':') + 1);
	size_t chunk = 1 << 20;
	char *buf = malloc(chunk);
	assert_non_null(buf);
	memset(buf, 0xab, chunk);
	for (int i = 0; i < 3; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(s >= 0);
		struct timeval tv = {5, 0};
		setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		struct sockaddr_in a = {0};
		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)port);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
		const uint8_t hello[8] = {0, 'S', 'P', 0, 0x00, 0x30, 0, 0}; /* req0 */
		assert_int_equal(send(s, hello, 8, MSG_NOSIGNAL), 8);
		uint8_t peer[8];
		assert_int_equal(recv(s, peer, 8, MSG_WAITALL), 8);
		uint8_t hdr[12];
		uint64_t len = big + 4;
		for (int b = 0; b < 8; b++)
			hdr[b] = (uint8_t)(len >> (56 - 8 * b));
		hdr[8] = 0x80; /* request id, high bit set */
		hdr[9] = hdr[10] = 0;
		hdr[11] = 1;
		uint64_t sent = 0;
		if (send(s, hdr, sizeof hdr, MSG_NOSIGNAL) == (ssize_t)sizeof hdr) {
			while (sent < big) {
				ssize_t k = send(s, buf, chunk, MSG_NOSIGNAL);
				if (k <= 0)
					break; /* the hub closed the connection */
				sent += (uint64_t)k;
				long now = relt_rss_kb(h.pid);
				if (now > peak)
					peak = now;
			}
		}
		/* Dropped: no reply, the connection ends. */
		uint8_t rb[16];
		ssize_t got = recv(s, rb, sizeof rb, 0);
		printf("64 MiB message %d: %llu bytes accepted before the hub closed, reply %zd bytes\n",
		       i + 1, (unsigned long long)sent, got);
		assert_true(got <= 0);
		assert_true(sent < big);
		close(s);
		long now = relt_rss_kb(h.pid);
		if (now > peak)
			peak = now;
	}
	free(buf);
	/* Still serving. */
	r = relt_node_cmd(&n, "sync --period 2023");
	assert_int_equal(r.status, 0);
	pxt_run_free(&r);
	long after = relt_rss_kb(h.pid);
	if (after > peak)
		peak = after;
	printf("64 MiB x3: hub VmRSS %ld KiB before, %ld KiB after, peak %ld KiB (+%ld KiB)\n", before,
	       after, peak, peak - before);
	/* Growing by the message (65536 KiB) is the failure; a few MiB of
	 * sanitizer and allocator noise is not. */
	assert_true(peak - before < 8 * 1024);
	assert_true(kill(h.pid, 0) == 0);
	relt_hub_fini(&h);
}

/* ------------------------------------------------------- proto cycles */

typedef struct pc_ctx {
	const ProtobufCMessageDescriptor *d[512];
	int color[512]; /* 0 unseen, 1 on the path, 2 done */
	size_t n;
	int cycles;
	const char *path[64];
	int depth;
	int max_depth;
} pc_ctx;

static size_t
pc_index(pc_ctx *c, const ProtobufCMessageDescriptor *d)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->d[i] == d)
			return i;
	assert_true(c->n < 512);
	c->d[c->n] = d;
	c->color[c->n] = 0;
	return c->n++;
}

static void
pc_visit(pc_ctx *c, const ProtobufCMessageDescriptor *d)
{
	size_t i = pc_index(c, d);
	if (c->color[i] == 2)
		return;
	if (c->color[i] == 1) {
		c->cycles++;
		print_error("message type cycle: ");
		for (int k = 0; k < c->depth; k++)
			print_error("%s -> ", c->path[k]);
		print_error("%s\n", d->name);
		return;
	}
	c->color[i] = 1;
	assert_true(c->depth < 64);
	c->path[c->depth++] = d->name;
	if (c->depth > c->max_depth)
		c->max_depth = c->depth;
	for (unsigned f = 0; f < d->n_fields; f++)
		if (d->fields[f].type == PROTOBUF_C_TYPE_MESSAGE)
			pc_visit(c, d->fields[f].descriptor);
	c->depth--;
	c->color[i] = 2;
}

static void
test_proto_has_no_recursive_message(void **state)
{
	(void)state;
	/* The descriptors are found by the names the generated headers
	 * declare, so a message added to a .proto is walked without this
	 * test changing. */
	DIR *dir = opendir(RELT_PROTO_GEN);
	assert_non_null(dir);
	pc_ctx *c = calloc(1, sizeof *c);
	assert_non_null(c);
	int declared = 0, found = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 7 || strcmp(e->d_name + l - 7, ".pb-c.h") != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", RELT_PROTO_GEN, e->d_name);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		char line[512];
		while (fgets(line, sizeof line, f) != NULL) {
			char name[256];
			if (sscanf(line, "extern const ProtobufCMessageDescriptor %255[A-Za-z0-9_];", name) !=
			    1)
				continue;
			declared++;
			const ProtobufCMessageDescriptor *d = dlsym(RTLD_DEFAULT, name);
			if (d == NULL) {
				print_error("descriptor %s not linked in\n", name);
				continue;
			}
			assert_int_equal(d->magic, PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
			found++;
			pc_visit(c, d);
		}
		fclose(f);
	}
	closedir(dir);
	printf("proto: %d message types declared, %d walked, %zu reached, deepest nesting %d, %d "
	       "cycles\n",
	       declared, found, c->n, c->max_depth, c->cycles);
	/* A test that walked nothing would prove nothing. */
	assert_true(declared > 20);
	assert_int_equal(found, declared);
	assert_int_equal(c->cycles, 0);
	free(c);
}

/* ------------------------------------------------- LMDB durability */

/* Source text without comments and string literals. */
static char *
lm_code_only(const char *src)
{
	size_t n = strlen(src);
	char *o = malloc(n + 1);
	assert_non_null(o);
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		if (src[i] == '/' && src[i + 1] == '*') {
			const char *end = strstr(src + i + 2, "*/");
			size_t stop = end ? (size_t)(end - src) + 2 : n;
			for (; i < stop; i++)
				if (src[i] == '\n')
					o[k++] = '\n';
			o[k++] = ' ';
		} else if (src[i] == '/' && src[i + 1] == '/') {
			while (i < n && src[i] != '\n')
				i++;
		} else if (src[i] == '"' || src[i] == '\'') {
			char q = src[i++];
			while (i < n && src[i] != q) {
				if (src[i] == '\\')
					i++;
				i++;
			}
			i++;
			o[k++] = ' ';
		} else {
			o[k++] = src[i++];
		}
	}
	o[k] = '\0';
	return o;
}

typedef struct lm_ctx {
	int files, weak, tests, reader_check, lmdb_outside_store;
} lm_ctx;

static void
lm_scan(lm_ctx *c, const char *dirpath, const char *rel)
{
	DIR *d = opendir(dirpath);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024], r2[1024];
		snprintf(path, sizeof path, "%s/%s", dirpath, e->d_name);
		snprintf(r2, sizeof r2, "%s/%s", rel, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			lm_scan(c, path, r2);
			continue;
		}
		size_t l = strlen(e->d_name);
		if (l < 2 || (strcmp(e->d_name + l - 2, ".c") != 0 && strcmp(e->d_name + l - 2, ".h") != 0))
			continue;
		char *src = pxt_read_file(path, NULL);
		assert_non_null(src);
		char *code = lm_code_only(src);
		c->files++;
		if (strstr(code, "mdb_reader_check(") != NULL)
			c->reader_check++;
		static const char *const weak[] = {"MDB_NOSYNC", "MDB_MAPASYNC", "MDB_NOMEMINIT",
		                                   "MDB_NOMETASYNC", "MDB_WRITEMAP"};
		/* A line may name a flag only to test that it is off
		 * ("!(flags & (MDB_NOSYNC | ...))", as px_store_stat does);
		 * any other mention sets it. */
		for (char *line = code; line != NULL && *line != '\0';) {
			char *nl = strchr(line, '\n');
			if (nl != NULL)
				*nl = '\0';
			bool test_only = strstr(line, "flags & (") != NULL || strstr(line, "flags & MDB_") != NULL;
			for (size_t w = 0; w < sizeof weak / sizeof weak[0]; w++)
				if (strstr(line, weak[w]) != NULL) {
					if (test_only) {
						c->tests++;
						continue;
					}
					print_error("%s uses %s: %s\n", r2, weak[w], line);
					c->weak++;
				}
			if (strstr(line, "mdb_env_set_flags(") != NULL) {
				print_error("%s changes LMDB flags at run time: %s\n", r2, line);
				c->weak++;
			}
			line = nl != NULL ? nl + 1 : NULL;
		}
		/* The include line's file name is a string-like <...>: read
		 * it from the source itself. */
		if (strstr(src, "#include <lmdb.h>") != NULL && strncmp(rel, "src/store", 9) != 0) {
			print_error("%s includes lmdb.h outside src/store\n", r2);
			c->lmdb_outside_store++;
		}
		free(code);
		free(src);
	}
	closedir(d);
}

static void
test_lmdb_durability_flags(void **state)
{
	(void)state;
	lm_ctx c = {0};
	static const char *const dirs[] = {"src", "node", "hub", "plugins"};
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		char p[512];
		snprintf(p, sizeof p, "%s/%s", PXT_SOURCE_DIR, dirs[i]);
		lm_scan(&c, p, dirs[i]);
	}
	printf("lmdb: %d source files scanned, %d weakening flags set, %d mentions that only test "
	       "them, mdb_reader_check called in %d, lmdb.h outside src/store %d\n",
	       c.files, c.weak, c.tests, c.reader_check, c.lmdb_outside_store);
	assert_true(c.files > 20);
	assert_int_equal(c.weak, 0);
	assert_true(c.reader_check >= 1);
	assert_int_equal(c.lmdb_outside_store, 0);
}

/* --------------------------------------------------------- disk full */

static bool
df_mount(const char *mnt, const char *size, char *why, size_t wsz)
{
	if (geteuid() != 0) {
		snprintf(why, wsz, "not root: cannot mount a small tmpfs");
		return false;
	}
	if (mkdir(mnt, 0700) != 0 && errno != EEXIST) {
		snprintf(why, wsz, "mkdir %s: %s", mnt, strerror(errno));
		return false;
	}
	pxt_run r = pxt_sh("mount -t tmpfs -o size=%s,mode=0700 pxfull '%s'", size, mnt);
	bool ok = r.status == 0;
	if (!ok)
		snprintf(why, wsz, "mount tmpfs failed: %.200s", r.err);
	pxt_run_free(&r);
	return ok;
}

static void
df_umount(const char *mnt)
{
	pxt_run r = pxt_sh("umount '%s'", mnt);
	pxt_run_free(&r);
}

/* Fills the file system of dir to the last byte. */
static void
df_fill(const char *dir)
{
	pxt_run r = pxt_sh("dd if=/dev/zero of='%s/fill' bs=4k 2>/dev/null; "
	                   "dd if=/dev/zero of='%s/fill2' bs=512 2>/dev/null; true",
	                   dir, dir);
	pxt_run_free(&r);
}

static void
df_unfill(const char *dir)
{
	pxt_run r = pxt_sh("rm -f '%s/fill' '%s/fill2'", dir, dir);
	pxt_run_free(&r);
}

static int
df_pending(const relt_node *n, int *total)
{
	cJSON *ob = relt_outbox(n);
	assert_non_null(ob);
	int p = 0;
	cJSON *e;
	cJSON_ArrayForEach(e, ob)
	if (cJSON_IsTrue(cJSON_GetObjectItem(e, "pending")))
		p++;
	*total = cJSON_GetArraySize(ob);
	cJSON_Delete(ob);
	return p;
}

static void
test_disk_full_hub(void **state)
{
	(void)state;
	char *base = pxt_tmpdir("reldfh");
	char mnt[600], why[300];
	snprintf(mnt, sizeof mnt, "%s/mnt", base);
	if (!df_mount(mnt, "2m", why, sizeof why)) {
		printf("SKIPPED test_disk_full_hub: %s\n", why);
		pxt_tmpdir_free(base);
		skip();
	}
	char data[700];
	snprintf(data, sizeof data, "%s/hub", mnt);
	relt_hub h;
	relt_hub_init_data(&h, "reldfh2", false, data);
	assert_true(relt_hub_start(&h));
	static const char *const comms[] = {"CdP Plein", "CdP Pleine", NULL};
	relt_node n;
	relt_node_init(&n, &h, h.dir, "orgfull", comms);
	pxt_run r = relt_node_cmd(&n, "sync --period 2024");
	assert_int_equal(r.status, 0);
	pxt_run_free(&r);
	pxt_run rep0 = relt_hub_cmd(&h, "report --json");
	assert_int_equal(rep0.status, 0);
	pxt_run_free(&rep0);

	df_fill(mnt);
	r = relt_node_cmd(&n, "sync --period 2023 --period 2022 --max-wait 2");
	int total = 0;
	int pending = df_pending(&n, &total);
	char errlog[700];
	snprintf(errlog, sizeof errlog, "%s/hub.err", h.dir);
	pxt_run ob = relt_node_cmd(&n, "--json outbox list");
	printf("hub disk full: sync exit %d, %d of %d reports pending; node said: %.300s; outbox "
	       "says: %.400s\n",
	       r.status, pending, total, r.err, ob.out);
	/* Refused, nothing acknowledged, and said so: the hub's log names
	 * the full store, the node keeps the hub's reason with each report. */
	assert_int_not_equal(r.status, 0);
	assert_int_equal(pending, 4);
	assert_true(pxt_file_contains(errlog, "stockage plein", 14));
	assert_true(strstr(ob.out, "plein") != NULL || strstr(ob.out, "full") != NULL ||
	            strstr(ob.out, "RESOURCE_EXHAUSTED") != NULL);
	pxt_run_free(&ob);
	pxt_run_free(&r);
	assert_true(kill(h.pid, 0) == 0); /* the hub is still up */

	df_unfill(mnt);
	r = relt_node_cmd(&n, "sync --no-build --max-wait 10");
	assert_int_equal(r.status, 0);
	pxt_run_free(&r);
	pending = df_pending(&n, &total);
	assert_int_equal(pending, 0);
	pxt_run rep = relt_hub_cmd(&h, "report --json");
	assert_int_equal(rep.status, 0);
	cJSON *j = cJSON_Parse(rep.out);
	assert_non_null(j);
	int rows = cJSON_GetArraySize(cJSON_GetObjectItem(j, "rows"));
	printf("hub disk full: after freeing space, 0 pending, hub rows %d, outbox %d\n", rows, total);
	assert_int_equal(rows, total);
	cJSON_Delete(j);
	pxt_run_free(&rep);
	relt_hub_stop(&h, SIGTERM);
	df_umount(mnt);
	relt_hub_fini(&h);
	pxt_tmpdir_free(base);
}

static void
test_disk_full_node_import(void **state)
{
	(void)state;
	char *base = pxt_tmpdir("reldfn");
	char mnt[600], why[300];
	snprintf(mnt, sizeof mnt, "%s/mnt", base);
	if (!df_mount(mnt, "2m", why, sizeof why)) {
		printf("SKIPPED test_disk_full_node_import: %s\n", why);
		pxt_tmpdir_free(base);
		skip();
	}
	static const char *const comms[] = {"CdP Disque", NULL};
	relt_node n;
	relt_node_init(&n, NULL, mnt, "orgdisk", comms);
	char csv[700];
	snprintf(csv, sizeof csv, "%s/membres.csv", base);
	FILE *f = fopen(csv, "w");
	assert_non_null(f);
	fprintf(f, "Nom;Prénom;Courriel\n");
	for (int i = 0; i < 3000; i++)
		fprintf(f, "Gagnon-%d;Sophie;s%d@example.org\n", i, i);
	fclose(f);
	df_fill(mnt);
	pxt_run r = relt_node_cmd(&n, "member import '%s' --community 1", csv);
	printf("node disk full: import exit %d; said: %.300s\n", r.status, r.err);
	assert_int_equal(r.status, 4);
	assert_true(strstr(r.err, "plein") != NULL || strstr(r.err, "full") != NULL);
	pxt_run_free(&r);
	df_unfill(mnt);
	r = relt_node_cmd(&n, "--json member list --all");
	assert_int_equal(r.status, 0);
	cJSON *j = cJSON_Parse(r.out);
	assert_non_null(j);
	int count = cJSON_GetArraySize(j);
	printf("node disk full: %d members after the refused import (all or nothing)\n", count);
	assert_int_equal(count, 0);
	cJSON_Delete(j);
	pxt_run_free(&r);
	df_umount(mnt);
	pxt_tmpdir_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lmdb_durability_flags),
	    cmocka_unit_test(test_proto_has_no_recursive_message),
	    cmocka_unit_test(test_hub_drops_64mib_message),
	    cmocka_unit_test(test_disk_full_hub),
	    cmocka_unit_test(test_disk_full_node_import),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
