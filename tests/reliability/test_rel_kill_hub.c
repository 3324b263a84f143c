/*
 * test_rel_kill_hub.c - issue 7.1: the hub is SIGKILLed at random moments
 * while several nodes push reports; no acknowledged report is lost, none
 * is counted twice, the hub always restarts clean.
 *
 * Three nodes, two communities each. Round r: the hub starts (it must get
 * ready: a hub that cannot reopen its store after a kill fails here),
 * every node starts `sync --period P_r` (a new month each round, so every
 * round makes 6 new reports), and after a random 0-250 ms the hub is
 * SIGKILLed - before, during or after the nodes' calls, mid-commit or
 * mid-reply. Node processes of earlier rounds are still retrying when the
 * next hub comes up, so a node can also run two syncs at once. At the
 * end the hub runs cleanly, every node flushes its outbox, and:
 *   - every report a node holds as acknowledged is in the hub;
 *   - the hub has each (community, period) exactly once, and its total
 *     counts exactly nodes x communities x rounds communities;
 *   - every start after a kill succeeded; the hub's log has no sanitizer
 *     report.
 * argv[1] = number of kills (20 in `make test`, 200 in `make test-long`).
 */
#define _GNU_SOURCE
#include "relt.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RK_NODES 3
static int rk_kills = 20;

static void
rk_period(int r, char out[16])
{
	snprintf(out, 16, "%04d-%02d", 2001 + r / 12, r % 12 + 1);
}

static void
test_kill_hub_while_nodes_push(void **state)
{
	(void)state;
	relt_hub h;
	relt_hub_init(&h, "relkill", false);
	static const char *const comms[] = {"CdP Nord", "CdP Sud", NULL};
	relt_node nodes[RK_NODES];
	char name[32];
	for (int i = 0; i < RK_NODES; i++) {
		snprintf(name, sizeof name, "org%d", i);
		/* Enrollment needs a running hub. */
		assert_true(relt_hub_start(&h));
		relt_node_init(&nodes[i], &h, h.dir, name, comms);
		relt_hub_stop(&h, SIGTERM);
	}
	unsigned seed = (unsigned)getpid();
	srand(seed);
	printf("kill loop: %d kills, seed %u\n", rk_kills, seed);
	pid_t *procs = calloc((size_t)rk_kills * RK_NODES, sizeof *procs);
	assert_non_null(procs);
	size_t nprocs = 0;
	double t0 = relt_ms();
	char period[16], log[700];
	for (int r = 0; r < rk_kills; r++) {
		assert_true(relt_hub_start(&h));
		rk_period(r, period);
		for (int i = 0; i < RK_NODES; i++) {
			snprintf(log, sizeof log, "%s/node%d-%zu.log", h.dir, i, nprocs);
			procs[nprocs++] = relt_spawn(log, "'%s' --data '%s' sync --period %s --max-wait 120",
			                             relt_node_bin(), nodes[i].data, period);
		}
		relt_sleep_ms(rand() % 250);
		relt_hub_stop(&h, SIGKILL);
	}
	/* A clean hub from here: the nodes of every round finish. */
	assert_true(relt_hub_start(&h));
	int exit_fail = 0, codes[256] = {0};
	for (size_t i = 0; i < nprocs; i++) {
		int c = relt_wait(procs[i]);
		codes[c & 255]++;
		if (c != 0 && codes[c & 255] == 1) {
			/* For the record: what a node that failed otherwise said. */
			pxt_run g = pxt_sh("cat '%s'/node%zu-%zu.log", h.dir, i % RK_NODES, i);
			printf("kill loop: a node sync exited %d:\n%s", c, g.out);
			pxt_run_free(&g);
		}
		if (c != 0)
			exit_fail++;
	}
	for (int c = 1; c < 256; c++)
		if (codes[c] != 0)
			printf("kill loop: %d node syncs exited %d\n", codes[c], c);
	free(procs);
	/* A sync that gave up while the hub was down exits 4 with its
	 * reports still in the outbox: a final sync sends them. */
	for (int i = 0; i < RK_NODES; i++) {
		pxt_run fr = relt_node_cmd(&nodes[i], "sync --no-build --max-wait 60");
		if (fr.status != 0)
			print_error("final sync of node %d: %s\n", i, fr.err);
		assert_int_equal(fr.status, 0);
		pxt_run_free(&fr);
	}
	double elapsed = relt_ms() - t0;

	/* Acknowledged by the hub, as each node saw it. */
	int acked = 0, pending = 0;
	char (*keys)[160] = calloc((size_t)RK_NODES * 2 * (size_t)rk_kills + 16, sizeof *keys);
	assert_non_null(keys);
	for (int i = 0; i < RK_NODES; i++) {
		cJSON *ob = relt_outbox(&nodes[i]);
		assert_non_null(ob);
		cJSON *e;
		cJSON_ArrayForEach(e, ob)
		{
			cJSON *p = cJSON_GetObjectItem(e, "pending");
			const char *uid = cJSON_GetStringValue(cJSON_GetObjectItem(e, "community_uid"));
			const char *per = cJSON_GetStringValue(cJSON_GetObjectItem(e, "period"));
			assert_non_null(uid);
			assert_non_null(per);
			if (cJSON_IsTrue(p)) {
				pending++;
				continue;
			}
			assert_true(acked < RK_NODES * 2 * rk_kills + 16);
			snprintf(keys[acked++], 160, "%s|%s", uid, per);
		}
		cJSON_Delete(ob);
	}
	/* What the hub holds. */
	pxt_run rep = relt_hub_cmd(&h, "report --json");
	assert_int_equal(rep.status, 0);
	cJSON *j = cJSON_Parse(rep.out);
	assert_non_null(j);
	cJSON *rows = cJSON_GetObjectItem(j, "rows");
	int nrows = cJSON_GetArraySize(rows);
	int missing = 0, twice = 0;
	for (int k = 0; k < acked; k++) {
		int seen = 0;
		cJSON *row;
		cJSON_ArrayForEach(row, rows)
		{
			char rk[160];
			snprintf(rk, sizeof rk, "%s|%s",
			         cJSON_GetStringValue(cJSON_GetObjectItem(row, "community")),
			         cJSON_GetStringValue(cJSON_GetObjectItem(row, "period")));
			if (strcmp(rk, keys[k]) == 0)
				seen += (int)cJSON_GetNumberValue(cJSON_GetObjectItem(row, "communities"));
		}
		if (seen == 0) {
			missing++;
			print_error("acknowledged but not in the hub: %s\n", keys[k]);
		} else if (seen > 1) {
			twice++;
			print_error("counted %d times: %s\n", seen, keys[k]);
		}
	}
	int total = (int)cJSON_GetNumberValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "total"), "communities"));
	printf("kill loop: %d kills in %.1f s, %u hub starts (all clean), %d reports acknowledged, "
	       "%d pending, %d hub rows, total communities %d, %d missing, %d counted twice, "
	       "%d node syncs exited non-zero (finished by the final sync)\n",
	       rk_kills, elapsed / 1000, h.starts, acked, pending, nrows, total, missing, twice,
	       exit_fail);
	cJSON_Delete(j);
	pxt_run_free(&rep);
	free(keys);

	assert_int_equal(missing, 0);
	assert_int_equal(twice, 0);
	assert_int_equal(pending, 0);
	assert_int_equal(acked, RK_NODES * 2 * rk_kills);
	assert_int_equal(nrows, RK_NODES * 2 * rk_kills);
	assert_int_equal(total, RK_NODES * 2 * rk_kills);
	assert_int_equal((int)h.starts, rk_kills + 1 + RK_NODES);

	relt_hub_stop(&h, SIGTERM);
	char errlog[600];
	snprintf(errlog, sizeof errlog, "%s/hub.err", h.dir);
	assert_false(pxt_file_contains(errlog, "Sanitizer", 9));
	assert_false(pxt_file_contains(errlog, "runtime error", 13));
	relt_hub_fini(&h);
}

int
main(int argc, char **argv)
{
	if (argc > 1)
		rk_kills = atoi(argv[1]);
	if (rk_kills < 1)
		rk_kills = 20;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kill_hub_while_nodes_push),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
