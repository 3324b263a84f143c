/*
 * test_node_rules.c - change-time rule checks through the real plugins:
 * LAU-1 refuses an active Laurentides member without both signatures;
 * BRU-4 refuses a member joining a started Brusano cycle; BRU-1 refuses
 * the 15th person; an import is refused as a whole by a rule.
 */
#define _GNU_SOURCE
#include "node_test.h"

#include "px.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
status_of(const nt_node *n, int id, char *buf, size_t len)
{
	cJSON *m = nt_json(n, "member show %d", id);
	snprintf(buf, len, "%s", cJSON_GetObjectItem(m, "status")->valuestring);
	cJSON_Delete(m);
	return buf;
}

static void
test_lau1(void **state)
{
	(void)state;
	nt_node n;
	nt_init(&n, "rules-lau");
	nt_ok(&n, "community add --name Amalgame --framework laurentides");
	nt_ok(&n, "member add --community Amalgame --family Lafleur --first Rose --birth 12/05 --consent oui");
	/* Activating her without a signed protocol: refused with LAU-1. */
	nt_fails(&n, 2, "LAU-1", "member edit 1 --status active");
	char st[32];
	assert_string_equal(status_of(&n, 1, st, sizeof st), "candidate");
	/* Adding her directly as active: refused too, nothing added. */
	nt_fails(&n, 2, "LAU-1", "member add --community Amalgame --family Lafleur --first Iris --status active");
	assert_int_equal(nt_member_count(&n, NULL), 1);
	pxt_run r = nt_run_en(&n, "member edit 1 --status active");
	assert_true(nt_has(r.err, "refused by rule LAU-1"));
	pxt_run_free(&r);

	/* With the protocol signed by her only: still refused. */
	r = nt_run(&n, "protocol new 1");
	if (r.status != 0) {
		/* The protocol commands belong to another module; say why we stop. */
		fprintf(stderr, "protocol new unavailable (%d): %s\n", r.status, r.err);
		pxt_run_free(&r);
		nt_fini(&n);
		skip();
	}
	pxt_run_free(&r);
	r = pxt_sh("PRAXIS_PASSPHRASE=secret %s/praxis-node --data '%s' protocol sign 1 --as member", PXT_BIN_DIR,
	           n.data);
	nt_expect(&r, 0, "sign member");
	pxt_run_free(&r);
	nt_fails(&n, 2, "LAU-1", "member edit 1 --status active");
	assert_string_equal(status_of(&n, 1, st, sizeof st), "candidate");
	r = pxt_sh("PRAXIS_PASSPHRASE=secret %s/praxis-node --data '%s' protocol sign 1 --as director", PXT_BIN_DIR,
	           n.data);
	nt_expect(&r, 0, "sign director");
	pxt_run_free(&r);
	/* Both signatures: she is (or may now be made) active. */
	nt_ok(&n, "member edit 1 --status active");
	assert_string_equal(status_of(&n, 1, st, sizeof st), "active");
	nt_fini(&n);
}

static void
test_bru4_and_bru1(void **state)
{
	(void)state;
	nt_node n;
	nt_init(&n, "rules-bru");
	char start[11], end[11], fut[11];
	int32_t today = px_date_today();
	px_date_format(px_date_add_days(today, -30), start);
	px_date_format(px_date_add_days(today, 250), end);
	px_date_format(px_date_add_days(today, 20), fut);
	/* A cycle started a month ago: closed group. */
	pxt_run r = nt_run(&n, "community add --name 'Intervision Nord' --framework brusano --region 'Bruxelles-Nord' "
	                       "--cycle-start %s --cycle-end %s",
	                   start, end);
	nt_expect(&r, 0, "community add started");
	pxt_run_free(&r);
	nt_fails(&n, 2, "BRU-4", "member add --community 'Intervision Nord' --family Janssens --first Lore --status active");
	assert_int_equal(nt_member_count(&n, NULL), 0);
	/* Joined before the cycle started: accepted. */
	nt_ok(&n, "member add --community 'Intervision Nord' --family Peeters --first An --status active --joined %s",
	           start);
	/* A candidate activated now joins a started cycle: refused too. */
	nt_ok(&n, "member add --community 'Intervision Nord' --family Maes --first Jan");
	nt_fails(&n, 2, "BRU-4", "member edit 2 --status active");

	/* A cycle not started yet: 14 people fit, the 15th is refused (BRU-1). */
	nt_ok(&n, "community add --name 'Intervision Sud' --framework brusano --region 'Bruxelles-Sud' "
	          "--cycle-start %s --cycle-end %s",
	           fut, end);
	for (int i = 0; i < 14; i++) {
		nt_ok(&n, "member add --community 'Intervision Sud' --family Membre%d --first X --status active %s", i,
		           i < 2 ? "--role moderator" : "");
	}
	nt_fails(&n, 2, "BRU-1", "member add --community 'Intervision Sud' --family Quinze --first X --status active");
	assert_int_equal(nt_member_count(&n, "Intervision Sud"), 14);
	/* As a candidate she is not in the group yet: accepted. */
	nt_ok(&n, "member add --community 'Intervision Sud' --family Quinze --first X");
	nt_fini(&n);
}

static void
test_import_refused_by_rule(void **state)
{
	(void)state;
	nt_node n;
	nt_init(&n, "rules-imp");
	nt_ok(&n, "community add --name Amalgame --framework laurentides");
	const char *csv = "Nom;Prénom;Statut\nA;Un;candidate\nB;Deux;active\nC;Trois;candidate\n";
	char *p = NULL;
	assert_true(asprintf(&p, "%s/lau.csv", n.dir) > 0);
	assert_true(pxt_write_file(p, csv, strlen(csv)));
	nt_fails(&n, 2, "ligne 3 : LAU-1", "member import '%s' --community Amalgame", p);
	assert_int_equal(nt_member_count(&n, NULL), 0);
	free(p);
	nt_fini(&n);
}

/* --override records a refused change as a derogation: kept, logged with
 * its reason, still reported by the audit; and an error already there (her
 * LAU-1) does not stop her later RSVPs, while a new one would. */
static void
test_override_and_preexisting(void **state)
{
	(void)state;
	nt_node n;
	nt_init(&n, "rules-ovr");
	nt_ok(&n, "community add --name Amalgame --framework laurentides");
	nt_ok(&n, "member add --community Amalgame --family Lafleur --first Rose --birth 12/05 --consent oui");
	nt_fails(&n, 2, "--override", "member edit 1 --status active");
	pxt_run r = nt_run(&n, "--override '' member edit 1 --status active");
	nt_expect(&r, 1, "empty reason");
	pxt_run_free(&r);
	r = nt_run(&n, "--override 'Direction en congé' member edit 1 --status active");
	nt_expect(&r, 0, "activate by derogation");
	assert_true(nt_has(r.err, "dérogation"));
	assert_true(nt_has(r.err, "Direction en congé"));
	pxt_run_free(&r);
	char st[32];
	assert_string_equal(status_of(&n, 1, st, sizeof st), "active");
	char *db = NULL;
	assert_true(asprintf(&db, "%s/node.mdb", n.data) > 0);
	assert_true(pxt_file_contains(db, "Direction en cong", 17));
	free(db);
	/* The derogation is listed, with its rule and reason. */
	r = nt_run(&n, "derogation list");
	nt_expect(&r, 0, "derogation list");
	assert_true(nt_has(r.out, "LAU-1") && nt_has(r.out, "Direction en congé") && nt_has(r.out, "1 dérogation"));
	pxt_run_free(&r);
	r = nt_run_en(&n, "--json derogation list");
	nt_expect(&r, 0, "derogation list --json");
	assert_true(nt_has(r.out, "\"rule\":\"LAU-1\"") && nt_has(r.out, "without"));
	pxt_run_free(&r);
	/* The audit still reports her. */
	r = nt_run(&n, "audit");
	assert_true(nt_has(r.out, "LAU-1"));
	pxt_run_free(&r);
	/* A meeting this year, and her RSVP: LAU-1 was there before, so it
	 * does not refuse the RSVP. */
	int32_t today = px_date_today();
	char date[11];
	px_date_format(today / 10000 * 10000 + 105, date);
	nt_ok(&n, "meeting add --community Amalgame --date %s --duration 2", date);
	r = nt_run(&n, "rsvp 1 1 confirmed");
	nt_expect(&r, 0, "rsvp of a member with a pre-existing LAU-1");
	assert_true(nt_has(r.err, "LAU-1"));
	pxt_run_free(&r);
	nt_fini(&n);
}

/* A change dated outside the default period (the plan's) is checked over
 * its own calendar year: 5 meeting hours in one month of last year give
 * the LAU-3 warning at once. */
static void
test_change_outside_plan_period(void **state)
{
	(void)state;
	nt_node n;
	nt_init(&n, "rules-per");
	nt_ok(&n, "community add --name Amalgame --framework laurentides");
	nt_ok(&n, "plan import Amalgame '%s/data/plans/amalgame-2020-2021.json'", PXT_SOURCE_DIR);
	nt_ok(&n, "member add --community Amalgame --family Lafleur --first Rose --joined 2025-01-01");
	nt_ok(&n, "meeting add --community Amalgame --date 2025-03-04 --duration 2.5");
	nt_ok(&n, "meeting add --community Amalgame --date 2025-03-18 --duration 2.5");
	pxt_run r = nt_run(&n, "attend 1 1");
	nt_expect(&r, 0, "attend 1");
	assert_false(nt_has(r.err, "LAU-3"));
	pxt_run_free(&r);
	r = nt_run(&n, "attend 2 1");
	nt_expect(&r, 0, "attend 2");
	assert_true(nt_has(r.err, "LAU-3"));
	pxt_run_free(&r);
	nt_fini(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lau1),
		cmocka_unit_test(test_bru4_and_bru1),
		cmocka_unit_test(test_import_refused_by_rule),
		cmocka_unit_test(test_override_and_preexisting),
		cmocka_unit_test(test_change_outside_plan_period),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
