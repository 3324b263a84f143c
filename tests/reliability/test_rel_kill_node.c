/*
 * test_rel_kill_node.c - issue 7.1, the node side: a node SIGKILLed
 * during a CSV import leaves all of the file or none of it, and a node
 * SIGKILLed during `sync` loses nothing from its outbox. Real binaries,
 * real signals, random moments (the seed is printed).
 */
#define _GNU_SOURCE
#include "relt.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KN_ROUNDS 12
#define KN_ROWS 600

static int
kn_member_count(const relt_node *n)
{
	pxt_run r = relt_node_cmd(n, "--json member list --all");
	if (r.status != 0)
		print_error("member list after a kill: %d %s\n", r.status, r.err);
	assert_int_equal(r.status, 0);
	cJSON *j = cJSON_Parse(r.out);
	assert_non_null(j);
	int c = cJSON_GetArraySize(j);
	cJSON_Delete(j);
	pxt_run_free(&r);
	return c;
}

static void
kn_write_csv(const char *path, int round)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "Nom;Prénom;Courriel;Date de naissance\n");
	for (int i = 0; i < KN_ROWS; i++)
		fprintf(f, "Tremblay-%d-%d;Marie-Ève;m%d.%d@example.org;%02d/%02d\n", round, i, round, i,
		        i % 28 + 1, i % 12 + 1);
	fclose(f);
}

static void
test_kill_node_during_csv_import(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("relimport");
	static const char *const comms[] = {"CdP Import", NULL};
	relt_node n;
	relt_node_init(&n, NULL, dir, "orgimp", comms);
	char csv[600];
	snprintf(csv, sizeof csv, "%s/membres.csv", dir);

	/* How long a whole import takes here, to spread the kills over it. */
	kn_write_csv(csv, 0);
	double t = relt_ms();
	pxt_run r = relt_node_cmd(&n, "member import '%s' --community 1", csv);
	double full_ms = relt_ms() - t;
	if (r.status != 0)
		print_error("import: %s\n", r.err);
	assert_int_equal(r.status, 0);
	pxt_run_free(&r);
	int count = kn_member_count(&n);
	assert_int_equal(count, KN_ROWS);

	unsigned seed = (unsigned)getpid();
	srand(seed);
	int none = 0, all = 0;
	for (int round = 1; round <= KN_ROUNDS; round++) {
		kn_write_csv(csv, round);
		pid_t p = relt_spawn(NULL, "'%s' --data '%s' member import '%s' --community 1",
		                     relt_node_bin(), n.data, csv);
		relt_sleep_ms((int)full_ms / 3 + rand() % ((int)full_ms + 1));
		kill(p, SIGKILL);
		int st = relt_wait(p);
		int after = kn_member_count(&n);
		if (after == count)
			none++;
		else if (after == count + KN_ROWS)
			all++;
		else
			print_error("round %d: %d members before, %d after (exit %d): a partial import\n",
			            round, count, after, st);
		assert_true(after == count || after == count + KN_ROWS);
		count = after;
	}
	printf("csv import: %d rows in %.0f ms; %d SIGKILLs (seed %u): %d left nothing, %d the whole "
	       "file, 0 partial\n",
	       KN_ROWS, full_ms, KN_ROUNDS, seed, none, all);
	pxt_tmpdir_free(dir);
}

static void
test_kill_node_during_sync(void **state)
{
	(void)state;
	relt_hub h;
	relt_hub_init(&h, "relsync", false);
	assert_true(relt_hub_start(&h));
	static const char *const comms[] = {"CdP Un", "CdP Deux", "CdP Trois", NULL};
	relt_node n;
	relt_node_init(&n, &h, h.dir, "orgsync", comms);

	/* How long a whole sync takes here, to spread the kills over it. */
	double t = relt_ms();
	pxt_run r = relt_node_cmd(&n, "sync --period 2009");
	double full_ms = relt_ms() - t;
	assert_int_equal(r.status, 0);
	pxt_run_free(&r);

	unsigned seed = (unsigned)getpid() ^ 0x5a5a;
	srand(seed);
	int killed_exit = 0;
	char period[16];
	for (int round = 0; round < KN_ROUNDS; round++) {
		snprintf(period, sizeof period, "%04d-%02d", 2010 + round / 12, round % 12 + 1);
		pid_t p = relt_spawn(NULL, "'%s' --data '%s' sync --period %s --period %04d",
		                     relt_node_bin(), n.data, period, 2010 + round);
		relt_sleep_ms(rand() % ((int)full_ms * 4 / 3 + 1));
		kill(p, SIGKILL);
		if (relt_wait(p) == 128 + SIGKILL)
			killed_exit++;
	}
	/* Whatever was built is in the outbox, pending or acknowledged; a
	 * sync that finishes sends the rest. */
	r = relt_node_cmd(&n, "sync --no-build --max-wait 30");
	if (r.status != 0)
		print_error("final sync: %s\n", r.err);
	assert_int_equal(r.status, 0);
	pxt_run_free(&r);

	cJSON *ob = relt_outbox(&n);
	assert_non_null(ob);
	int entries = cJSON_GetArraySize(ob), pending = 0;
	pxt_run rep = relt_hub_cmd(&h, "report --json");
	assert_int_equal(rep.status, 0);
	cJSON *j = cJSON_Parse(rep.out);
	assert_non_null(j);
	cJSON *rows = cJSON_GetObjectItem(j, "rows");
	int missing = 0;
	cJSON *e;
	cJSON_ArrayForEach(e, ob)
	{
		if (cJSON_IsTrue(cJSON_GetObjectItem(e, "pending")))
			pending++;
		const char *uid = cJSON_GetStringValue(cJSON_GetObjectItem(e, "community_uid"));
		const char *per = cJSON_GetStringValue(cJSON_GetObjectItem(e, "period"));
		int seen = 0;
		cJSON *row;
		cJSON_ArrayForEach(row, rows)
		{
			if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(row, "community")), uid) == 0 &&
			    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(row, "period")), per) == 0)
				seen++;
		}
		if (seen != 1) {
			missing++;
			print_error("%s %s: %d times in the hub\n", uid, per, seen);
		}
	}
	int nrows = cJSON_GetArraySize(rows);
	printf("sync: a whole sync takes %.0f ms; %d SIGKILLs during sync (seed %u, %d died of it), outbox %d reports, %d pending "
	       "after a last sync, hub %d rows, %d not exactly once\n",
	       full_ms, KN_ROUNDS, seed, killed_exit, entries, pending, nrows, missing);
	cJSON_Delete(j);
	cJSON_Delete(ob);
	pxt_run_free(&rep);
	assert_int_equal(pending, 0);
	assert_int_equal(missing, 0);
	assert_int_equal(nrows, entries);
	/* The outbox kept a report for every period a finished build
	 * reached; at least the last sync's own periods are there. */
	assert_true(entries > 0);
	relt_hub_fini(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kill_node_during_csv_import),
	    cmocka_unit_test(test_kill_node_during_sync),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
