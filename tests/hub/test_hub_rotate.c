/*
 * Key rotation end to end, through real processes: a node enrolled and
 * syncing; `praxis-hub tenant rotate-key`; the old key is refused at once;
 * `praxis-node enroll --new-key TOKEN` registers a new key and only then
 * replaces node.key; reports still waiting in the outbox (signed with the
 * old key) are delivered once under the new one; the token is single-use.
 */
#define _GNU_SOURCE
#include "pxt.h"
#include "hubt.h"
#include "px.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HUB PXT_BIN_DIR "/praxis-hub"
#define NODE PXT_BIN_DIR "/praxis-node"

static struct {
	char *dir;
	char hub[512], log[600], node[512], old[512];
	pid_t pid, serve; /* the hub; the node's serve while a test runs it */
} T;

static char *
token(const char *args)
{
	char *out = hubt_sh(0, "'%s' --data '%s' %s", HUB, T.hub, args);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

static int
sync_json(const char *data, const char *field)
{
	char *out = hubt_sh(0, "'%s' --json --data '%s' sync --period 2025", NODE, data);
	cJSON *j = cJSON_Parse(out);
	free(out);
	assert_non_null(j);
	int v = cJSON_GetObjectItem(j, field)->valueint;
	cJSON_Delete(j);
	return v;
}

static double
hub_members_active(void)
{
	char *out = hubt_sh(0, "'%s' --data '%s' report --json --period 2025", HUB, T.hub);
	cJSON *j = cJSON_Parse(out);
	free(out);
	assert_non_null(j);
	const cJSON *total = cJSON_GetObjectItem(j, "total");
	assert_int_equal(cJSON_GetObjectItem(total, "communities")->valueint, 1);
	const cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(total, "indicators"), "members_active");
	double v = cJSON_GetObjectItem(x, "value")->valuedouble;
	cJSON_Delete(j);
	return v;
}

static void
member(int i)
{
	free(hubt_sh(0,
	        "'%s' --data '%s' member add --community 1 --family Roy%d --first Anne%d --org 1 "
	        "--status active --joined 2025-01-1%d --consent oui",
	        NODE, T.node, i, i, i % 10));
}

static int
setup(void **state)
{
	(void)state;
	T.dir = pxt_tmpdir("rotate");
	snprintf(T.hub, sizeof T.hub, "%s/hub", T.dir);
	snprintf(T.log, sizeof T.log, "%s/hub.log", T.dir);
	snprintf(T.node, sizeof T.node, "%s/node", T.dir);
	snprintf(T.old, sizeof T.old, "%s/node-old", T.dir);
	int port = hubt_free_port();
	free(hubt_sh(0, "'%s' --data '%s' init --listen tcp://127.0.0.1:%d", HUB, T.hub, port));
	const char *argv[] = {HUB, "--data", T.hub, "serve", "--no-http", NULL};
	T.pid = hubt_spawn(T.log, argv);
	assert_true(hubt_wait_log(T.pid, T.log, "\nprêt", 30));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (T.serve > 0)
		hubt_kill(T.serve); /* a test that failed while serve ran */
	int st = T.pid > 0 ? hubt_stop(T.pid) : 0;
	pxt_tmpdir_free(T.dir);
	return st == 0 ? 0 : -1;
}

static void
test_rotate_key(void **state)
{
	(void)state;
	free(hubt_sh(0, "'%s' --data '%s' init --name 'Maison Roy' --region Laurentides", NODE, T.node));
	free(hubt_sh(0, "'%s' --data '%s' org edit 1 --rocfm yes", NODE, T.node));
	free(hubt_sh(0,
	        "'%s' --data '%s' community add --name 'CdP Roy' --framework rocfm --region Laurentides "
	        "--host-org 1",
	        NODE, T.node));
	for (int i = 1; i <= 6; i++)
		member(i);
	char *tok = token("tenant add roy --region Laurentides");
	free(hubt_sh(0, "'%s' --data '%s' enroll %s", NODE, T.node, tok));
	free(tok);
	assert_int_equal(sync_json(T.node, "sent"), 1);
	assert_true(hub_members_active() == 6);

	/* A change, built into the outbox and signed with the old key, but
	 * not sent before the rotation. */
	member(7);
	free(hubt_sh(0, "'%s' --data '%s' outbox build --period 2025", NODE, T.node));
	char *old_pub = hubt_sh(0, "cat '%s/node.key.pub'", T.node);
	free(hubt_sh(0, "cp -a '%s' '%s'", T.node, T.old));

	/* The hub rotates: the old key is refused at the very next call, and
	 * the report stays in the outbox. */
	char *tok2 = token("tenant rotate-key roy");
	pxt_run r = pxt_sh("'%s' --data '%s' sync --period 2025", NODE, T.old);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "refus"));
	pxt_run_free(&r);
	char *out;
	out = hubt_sh(0, "'%s' --json --data '%s' outbox list", NODE, T.old);
	assert_non_null(strstr(out, "\"pending\""));
	free(out);

	/* A bad token does not touch the key. */
	out = hubt_sh(2, "'%s' --data '%s' enroll pxj1.AAAA --new-key", NODE, T.node);
	free(out);
	char *pub = hubt_sh(0, "cat '%s/node.key.pub'", T.node);
	assert_string_equal(pub, old_pub);
	free(pub);

	/* The new key, registered by the hub, then put in place. */
	free(hubt_sh(0, "'%s' --data '%s' enroll %s --new-key", NODE, T.node, tok2));
	pub = hubt_sh(0, "cat '%s/node.key.pub'", T.node);
	assert_string_not_equal(pub, old_pub);
	free(pub);
	out = hubt_sh(0, "ls -a '%s'", T.node);
	assert_null(strstr(out, "node.key.new"));
	free(out);
	/* Single use: the same token again is refused, the key unchanged. */
	free(hubt_sh(2, "'%s' --data '%s' enroll %s --new-key", NODE, T.old, tok2));
	free(tok2);

	/* What waited in the outbox is delivered under the new key, once. */
	assert_int_equal(sync_json(T.node, "pending"), 0);
	assert_true(hub_members_active() == 7);
	assert_int_equal(sync_json(T.node, "sent"), 0);
	/* The old copy stays refused. */
	free(hubt_sh(2, "'%s' --data '%s' sync --period 2025", NODE, T.old));
	free(old_pub);
}

/* An erasure while `praxis-node serve` holds the store: the erasure is
 * committed at once, the compaction (the erased bytes leaving node.mdb)
 * is left pending and serve does it between two rounds. */
static void
test_erasure_while_serving(void **state)
{
	(void)state;
	free(hubt_sh(0,
	             "'%s' --data '%s' member add --community 1 --family Quattlebaum --first Zéphyrine "
	             "--org 1 --status active --joined 2025-02-03 --consent oui",
	             NODE, T.node));
	char mdb[600], log[600];
	snprintf(mdb, sizeof mdb, "%s/node.mdb", T.node);
	snprintf(log, sizeof log, "%s/serve.log", T.dir);
	assert_true(pxt_file_contains(mdb, "Quattlebaum", 11));
	const char *argv[] = {NODE, "--data", T.node, "serve", "--interval", "0.3", NULL};
	pid_t serve = T.serve = hubt_spawn(log, argv);
	/* Once serve holds the store, compact is refused. */
	bool held = false;
	for (int i = 0; i < 300 && !held; i++) {
		pxt_run c = pxt_sh("'%s' --data '%s' compact", NODE, T.node);
		held = c.status != 0 && strstr(c.err, "serve") != NULL;
		pxt_run_free(&c);
		if (!held) {
			struct timespec ts = {0, 50000000};
			nanosleep(&ts, NULL);
		}
	}
	assert_true(held);
	char *out = hubt_sh(0, "'%s' --json --data '%s' member remove 8", NODE, T.node);
	assert_non_null(strstr(out, "\"compacted\":false"));
	free(out);
	/* serve compacts between two rounds. */
	bool gone = false;
	for (int i = 0; i < 200 && !gone; i++) {
		gone = !pxt_file_contains(mdb, "Quattlebaum", 11);
		if (!gone) {
			struct timespec ts = {0, 100000000};
			nanosleep(&ts, NULL);
		}
	}
	assert_true(gone);
	assert_false(pxt_file_contains(mdb, "Zéphyrine", strlen("Zéphyrine")));
	/* serve goes on working on the compacted file. */
	free(hubt_sh(0,
	             "'%s' --data '%s' member add --community 1 --family Après --first Compactage "
	             "--org 1 --status active --joined 2025-02-04 --consent oui",
	             NODE, T.node));
	T.serve = 0;
	assert_int_equal(hubt_stop(serve), 0);
	free(hubt_sh(0, "'%s' --data '%s' compact", NODE, T.node));
	assert_int_equal(sync_json(T.node, "pending"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_rotate_key),
	                                   cmocka_unit_test(test_erasure_while_serving)};
	return cmocka_run_group_tests(tests, setup, teardown);
}
