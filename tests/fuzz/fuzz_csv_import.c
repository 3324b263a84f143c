/*
 * fuzz_csv_import.c - the node's CSV member importer (node/cmd_import.c,
 * `member import FILE --community C`), called in-process exactly as the
 * CLI calls it, on a real node (LMDB in /dev/shm, made by the real
 * praxis-node binary: init + one laurentides community). The input is the
 * file's bytes. Besides "no crash", the import must be all or nothing:
 * after a refused import the member count is unchanged, after an accepted
 * one it grew by at most the number of lines of the file.
 *
 * The node is reset from a pristine copy every PXF_RESET inputs, so the
 * store does not grow for the whole run. node/main.c (the CLI's main) is
 * left out; node_register_commands is the only symbol it gave the rest.
 */
#define _GNU_SOURCE
#include "node.h"
#include "px_crypto.h"

#include <dirent.h>
#include <dlfcn.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PXF_RESET 4000

void
node_register_commands(const node_cmd *tbl)
{
	(void)tbl; /* the fuzz target calls the importer directly */
}

static char pxf_base[256], pxf_pristine[300], pxf_live[300], pxf_csv[300];
static px_node pxf_node;
static bool pxf_open;
static unsigned pxf_runs;

#define PXF_CHECK(x)                                                                   \
	do {                                                                           \
		if (!(x)) {                                                            \
			fprintf(stderr, "fuzz harness: %s failed (%s:%d)\n", #x, __FILE__, \
			        __LINE__);                                             \
			abort();                                                       \
		}                                                                      \
	} while (0)

static int
pxf_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
pxf_node_open(void)
{
	char cmd[1024];
	nftw(pxf_live, pxf_rm, 16, FTW_DEPTH | FTW_PHYS);
	snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", pxf_pristine, pxf_live);
	PXF_CHECK(system(cmd) == 0);
	memset(&pxf_node, 0, sizeof pxf_node);
	pxf_node.prog = "praxis-node";
	PXF_CHECK(node_init_ctx(&pxf_node, pxf_live) == PX_OK);
	PXF_CHECK(node_open(&pxf_node, false) == PX_OK);
	pxf_open = true;
}

static void
pxf_stop(void)
{
	if (pxf_open)
		node_fini(&pxf_node);
	if (pxf_base[0] != '\0')
		nftw(pxf_base, pxf_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* The plugins are instrumented too: libFuzzer keeps reading their
 * coverage counters, so they must stay mapped when the node's plugin host
 * dlcloses them at a reset. */
static void
pxf_pin_plugins(void)
{
	DIR *d = opendir(PXF_PLUGIN_DIR);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 4 || strcmp(e->d_name + l - 3, ".so") != 0)
			continue;
		char path[600];
		snprintf(path, sizeof path, "%s/%s", PXF_PLUGIN_DIR, e->d_name);
		(void)dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	}
	closedir(d);
}

static void
pxf_init(void)
{
	if (pxf_open)
		return;
	setenv("PRAXIS_PLUGIN_PATH", PXF_PLUGIN_DIR, 0);
	pxf_pin_plugins();
	px_log_init("fuzz", PX_LOG_ERROR);
	PXF_CHECK(px_crypto_init() == PX_OK);
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(pxf_base, sizeof pxf_base, "%s/pxfuzzcsv.XXXXXX", tmp);
	PXF_CHECK(mkdtemp(pxf_base) != NULL);
	snprintf(pxf_pristine, sizeof pxf_pristine, "%s/pristine", pxf_base);
	snprintf(pxf_live, sizeof pxf_live, "%s/live", pxf_base);
	snprintf(pxf_csv, sizeof pxf_csv, "%s/input.csv", pxf_base);
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
	         "'%s' --data '%s' init --name 'Organisme Fuzz' --region Laurentides >/dev/null && "
	         "'%s' --data '%s' community add --name 'CdP Fuzz' --framework laurentides "
	         "--region Laurentides >/dev/null",
	         PXF_NODE_BIN, pxf_pristine, PXF_NODE_BIN, pxf_pristine);
	PXF_CHECK(system(cmd) == 0);
	pxf_node_open();
	atexit(pxf_stop);
}

static int
pxf_members(void)
{
	px_txn *txn = NULL;
	PXF_CHECK(px_txn_begin(pxf_node.st, false, &txn) == PX_OK);
	size_t n = 0;
	px_err rv = px_count(txn, pxf_node.db.members, &n);
	px_txn_abort(txn);
	PXF_CHECK(rv == PX_OK);
	return (int)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	pxf_init();
	if (++pxf_runs % PXF_RESET == 0) {
		node_fini(&pxf_node);
		pxf_open = false;
		pxf_node_open();
	}
	FILE *f = fopen(pxf_csv, "wb");
	PXF_CHECK(f != NULL);
	PXF_CHECK(size == 0 || fwrite(data, 1, size, f) == size);
	fclose(f);
	int before = pxf_members();
	char *argv[] = {"import", pxf_csv, "--community", "1", NULL};
	int rc = node_cmd_run(&pxf_node, &node_import_cmds[0], 4, argv);
	int after = pxf_members();
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' || data[i] == '\r';
	if (rc != 0 && after != before) {
		fprintf(stderr, "fuzz: refused import (exit %d) changed the members: %d -> %d\n", rc,
		        before, after);
		abort();
	}
	if (rc == 0 && (after < before || (size_t)(after - before) > lines)) {
		fprintf(stderr, "fuzz: import of %zu lines: %d -> %d members\n", lines, before, after);
		abort();
	}
	return 0;
}
