/* praxis-node activity commands, driven through the real binary in
 * temporary data directories: protocols (sign, verify, a clause edited in
 * the LMDB store behind the binary's back), meetings, RSVPs, attendance,
 * hours, surveys, approvals, the seed's action plan round trip, the annual
 * report's figures, and bad input that must change nothing. */
#define _GNU_SOURCE
#include "pxt.h"
#include "px.h"
#include "px_store.h"
#include "domain.pb-c.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NODE PXT_BIN_DIR "/praxis-node"

typedef struct fx {
	char *dir;
} fx;

/* Runs praxis-node in the fixture's data dir (French unless lang given). */
static pxt_run
run(fx *f, const char *lang, const char *args)
{
	return pxt_sh("LANG=%s LC_ALL= LC_MESSAGES= PRAXIS_NODE_DATA='%s' PRAXIS_PASSPHRASE=motdepasse %s %s",
	              lang ? lang : "fr_CA.UTF-8", f->dir, NODE, args);
}

#define EN "en_US.UTF-8"

/* Runs and expects exit code rc; returns the run for more checks. */
static pxt_run
expect_in(fx *f, const char *lang, int rc, const char *args)
{
	pxt_run r = run(f, lang, args);
	if (r.status != rc)
		fprintf(stderr, "command: %s\nexit %d (want %d)\nstdout: %s\nstderr: %s\n", args, r.status, rc, r.out,
		        r.err);
	assert_int_equal(r.status, rc);
	return r;
}

static pxt_run
expect(fx *f, int rc, const char *args)
{
	return expect_in(f, NULL, rc, args);
}

static void
ok(fx *f, const char *args)
{
	pxt_run r = expect(f, 0, args);
	pxt_run_free(&r);
}

/* Exit code rc and stderr containing needle (French unless lang). */
static void
fails_in(fx *f, const char *lang, int rc, const char *needle, const char *args)
{
	pxt_run r = expect_in(f, lang, rc, args);
	if (needle != NULL && strstr(r.err, needle) == NULL)
		fprintf(stderr, "command: %s\nstderr lacks '%s': %s\n", args, needle, r.err);
	if (needle != NULL)
		assert_non_null(strstr(r.err, needle));
	pxt_run_free(&r);
}

static void
fails(fx *f, int rc, const char *needle, const char *args)
{
	fails_in(f, NULL, rc, needle, args);
}

static cJSON *
json_of(fx *f, const char *args)
{
	pxt_run r = expect(f, 0, args);
	cJSON *j = cJSON_Parse(r.out);
	if (j == NULL)
		fprintf(stderr, "not JSON: %s\n", r.out);
	assert_non_null(j);
	pxt_run_free(&r);
	return j;
}

static char *
stdout_of(fx *f, const char *args)
{
	pxt_run r = expect(f, 0, args);
	char *s = r.out;
	r.out = NULL;
	pxt_run_free(&r);
	return s;
}

static double
num(const cJSON *j, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);
	if (b != NULL)
		x = cJSON_GetObjectItemCaseSensitive(x, b);
	assert_true(cJSON_IsNumber(x));
	return x->valuedouble;
}

static const char *
str(const cJSON *j, const char *a)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);
	assert_true(cJSON_IsString(x));
	return x->valuestring;
}

/* A node with its organization, a partner organization with a director,
 * the L'Amalgame community and two candidate members. */
static int
setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	f->dir = pxt_tmpdir("node_activity");
	*state = f;
	ok(f, "init --name \"L'Antr'Aidant\" --sector communautaire --region Laurentides --director 'Marie Tremblay'");
	ok(f, "org add --name 'CISSS des Laurentides' --sector public --director 'Jean Roy'");
	ok(f, "community add --name \"L'Amalgame\" --framework laurentides --region Laurentides --host-org 1");
	ok(f, "member add --community 1 --family Gagnon --first Émilie --birth 14/03 --org 2 --joined 2025-01-10");
	ok(f, "member add --community 1 --family Roy --first Anne --birth 02/05 --org 1 --joined 2025-01-10");
	return 0;
}

static int
teardown(void **state)
{
	fx *f = *state;
	pxt_tmpdir_free(f->dir);
	free(f);
	return 0;
}

/* Runs args and asserts exit 0 and stdout equal to want (French unless lang). */
static void
says(fx *f, const char *lang, const char *want, const char *args)
{
	pxt_run r = expect_in(f, lang, 0, args);
	if (strcmp(r.out, want) != 0)
		fprintf(stderr, "command: %s\nstdout: %s\nwant: %s\n", args, r.out, want);
	assert_string_equal(r.out, want);
	pxt_run_free(&r);
}

/* ------------------------------------------------------------ protocols */

static void
test_protocol_sign_verify(void **state)
{
	fx *f = *state;
	ok(f, "protocol new 1");
	/* Nothing signed yet: verify fails and says both are missing. */
	fails(f, 2, "les deux signatures", "protocol verify 1");

	ok(f, "protocol sign 1 --as member --date 2025-01-12");
	fails(f, 2, "la signature de la direction manque", "protocol verify 1");
	cJSON *j = NULL;
	pxt_run r = expect(f, 2, "--json protocol verify 1");
	j = cJSON_Parse(r.out);
	assert_non_null(j);
	assert_string_equal(str(j, "member"), "valid");
	assert_string_equal(str(j, "director"), "missing");
	cJSON_Delete(j);
	pxt_run_free(&r);

	/* English when LANG says so. */
	fails_in(f, EN, 2, "the director's signature is missing", "protocol verify 1");

	ok(f, "protocol sign 1 --as director --date 13-01-2025");
	r = expect(f, 0, "protocol verify 1");
	assert_non_null(strstr(r.out, "valide"));
	pxt_run_free(&r);

	/* Both signatures made the candidate active (LAU-1), with history. */
	j = json_of(f, "--json member show 1");
	assert_string_equal(str(j, "status"), "active");
	cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "history");
	assert_int_equal(cJSON_GetArraySize(h), 2);
	char *s = cJSON_PrintUnformatted(cJSON_GetArrayItem(h, 1));
	assert_string_equal(s, "{\"from\":\"candidate\",\"to\":\"active\",\"date\":\"2025-01-13\","
	                       "\"reason\":\"protocole d'engagement signé\"}");
	free(s);
	cJSON_Delete(j);

	/* Each signer has her own key, sealed, 0600. */
	char path[4096];
	snprintf(path, sizeof path, "%s/keys/member-1.key", f->dir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(pxt_file_contains(path, "PXSS1", 5));
	snprintf(path, sizeof path, "%s/keys/director-2.key", f->dir);
	assert_int_equal(stat(path, &st), 0);

	/* The LAU-2 form shows dates as jj-mm-aaaa. */
	r = expect(f, 0, "protocol show 1");
	assert_non_null(strstr(r.out, "12-01-2025"));
	assert_non_null(strstr(r.out, "Libérer à raison de 3 heures par mois"));
	pxt_run_free(&r);
}

/* Opens the node's store directly (as a second program would) and applies
 * edit to protocol 1. */
static void
edit_protocol(fx *f, void (*edit)(Praxis__Protocol *p))
{
	static const char *const dbs[] = {"protocols", NULL};
	px_store_opts o = {.dir = f->dir, .file = "node.mdb", .dbs = dbs, .schema_version = 1};
	px_store *st = NULL;
	assert_int_equal(px_store_open(&st, &o), PX_OK);
	px_txn *txn = NULL;
	assert_int_equal(px_txn_begin(st, true, &txn), PX_OK);
	uint8_t k[8];
	px_be64(k, 1);
	ProtobufCMessage *m = NULL;
	assert_int_equal(px_get_msg(txn, px_store_db(st, "protocols"), k, 8, &praxis__protocol__descriptor, &m), PX_OK);
	edit((Praxis__Protocol *)m);
	assert_int_equal(px_put_msg(txn, px_store_db(st, "protocols"), k, 8, m), PX_OK);
	protobuf_c_message_free_unpacked(m, NULL);
	assert_int_equal(px_txn_commit(txn), PX_OK);
	px_store_close(st);
}

static void
edit_clause(Praxis__Protocol *p)
{
	/* "3 heures par mois" becomes "6 heures par mois". */
	char *t = p->clauses[1]->text;
	char *h = strstr(t, "3 heures");
	assert_non_null(h);
	*h = '6';
}

static void
restore_clause(Praxis__Protocol *p)
{
	char *h = strstr(p->clauses[1]->text, "6 heures");
	assert_non_null(h);
	*h = '3';
}

static void
edit_birth(Praxis__Protocol *p)
{
	p->birth_day = 15;
}

static void
test_protocol_clause_edited(void **state)
{
	fx *f = *state;
	ok(f, "protocol new 1");
	ok(f, "protocol sign 1 --as member --date 2025-01-12");
	ok(f, "protocol sign 1 --as director --date 2025-01-13");
	ok(f, "protocol verify 1");

	edit_protocol(f, edit_clause);
	fails(f, 2, "ne correspond pas au texte signé", "protocol verify 1");
	pxt_run r = expect(f, 2, "--json protocol verify 1");
	cJSON *j = cJSON_Parse(r.out);
	assert_string_equal(str(j, "member"), "invalid");
	assert_string_equal(str(j, "director"), "invalid");
	cJSON_Delete(j);
	pxt_run_free(&r);
	/* The annual report counts it as broken, not as signed. */
	j = json_of(f, "report annual 1 2025 --format json");
	assert_int_equal((int)num(j, "protocols", "signed_valid"), 0);
	assert_int_equal((int)num(j, "protocols", "broken"), 1);
	cJSON_Delete(j);

	/* Putting the text back makes both signatures valid again. */
	edit_protocol(f, restore_clause);
	ok(f, "protocol verify 1");

	/* A LAU-2 field is covered too. */
	edit_protocol(f, edit_birth);
	fails(f, 2, "ne correspond pas", "protocol verify 1");
}

static void
test_protocol_bad_input(void **state)
{
	fx *f = *state;
	fails(f, 3, "membre « 42 » introuvable", "protocol new 42");
	fails(f, 1, NULL, "protocol new");
	/* Member 1's organization has a director; drop it to see LAU-2 refuse. */
	ok(f, "org add --name 'Sans direction'");
	ok(f, "member add --community 1 --family Côté --first Luc --birth 01/01 --org 3");
	fails(f, 2, "n'a pas de directrice ou directeur", "protocol new 3");
	ok(f, "member add --community 1 --family Sans --first Date --org 2");
	fails(f, 2, "date de naissance", "protocol new 4");
	fails(f, 2, "fichier de clauses invalide", "protocol new 1 --clauses /dev/null");
	fails(f, 4, "impossible de lire /nonexistent.json : No such file or directory",
	      "protocol new 1 --clauses /nonexistent.json");
	fails_in(f, EN, 4, "cannot read /nonexistent.json: No such file or directory", "protocol new 1 --clauses /nonexistent.json");
	fails(f, 4, "impossible de lire /nonexistent.json : No such file or directory", "plan import 1 /nonexistent.json");
	fails_in(f, EN, 4, "cannot read /nonexistent.json: No such file or directory", "plan import 1 /nonexistent.json");
	cJSON *j = json_of(f, "--json protocol list");
	assert_int_equal(cJSON_GetArraySize(j), 0);
	cJSON_Delete(j);

	ok(f, "protocol new 1");
	fails(f, 2, "a déjà le protocole", "protocol new 1");
	fails(f, 2, "signataire inconnu", "protocol sign 1 --as boss");
	fails(f, 2, "date invalide", "protocol sign 1 --as member --date 31/02/2025");
	fails(f, 2, "dans le futur", "protocol sign 1 --as member --date 2100-01-01");
	fails(f, 2, "numéro de protocole invalide", "protocol sign abc --as member");
	fails(f, 3, "introuvable", "protocol sign 9 --as member");
	/* No passphrase and no terminal: refused, no key written. */
	pxt_run r = pxt_sh("PRAXIS_NODE_DATA='%s' PRAXIS_PASSPHRASE= LANG=fr_CA.UTF-8 setsid %s protocol sign 1 --as member",
	                   f->dir, NODE);
	assert_int_not_equal(r.status, 0);
	assert_non_null(strstr(r.err, "PRAXIS_PASSPHRASE"));
	pxt_run_free(&r);
	char path[4096];
	snprintf(path, sizeof path, "%s/keys/member-1.key", f->dir);
	struct stat st;
	assert_int_not_equal(stat(path, &st), 0);
	/* Nothing changed: the protocol is still a bare draft. */
	j = json_of(f, "--json protocol show 1");
	assert_string_equal(str(j, "status"), "draft");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "signatures")), 0);
	cJSON_Delete(j);

	/* A key sealed with one passphrase refuses another. */
	ok(f, "protocol sign 1 --as member --date 2025-01-12");
	r = pxt_sh("PRAXIS_NODE_DATA='%s' PRAXIS_PASSPHRASE=autre LANG=fr_CA.UTF-8 %s protocol sign 1 --as member",
	           f->dir, NODE);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "phrase de passe incorrecte"));
	pxt_run_free(&r);

	/* LAU-7: cancel needs a reason, records it, cancels the membership. */
	fails(f, 1, NULL, "protocol cancel 1");
	fails(f, 2, "raison", "protocol cancel 1 --reason '  '");
	ok(f, "protocol cancel 1 --reason 'Manquement à la confidentialité' --date 2025-06-01");
	j = json_of(f, "--json protocol show 1");
	assert_string_equal(str(j, "status"), "cancelled");
	assert_string_equal(str(j, "cancel_reason"), "Manquement à la confidentialité");
	cJSON_Delete(j);
	char *out = stdout_of(f, "member show 1");
	assert_non_null(strstr(out, "LAU-7 : Manquement à la confidentialité"));
	free(out);
	j = json_of(f, "--json member show 1");
	assert_string_equal(str(j, "left"), "2025-06-01");
	cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "history");
	char *last = cJSON_PrintUnformatted(cJSON_GetArrayItem(h, cJSON_GetArraySize(h) - 1));
	assert_string_equal(last, "{\"from\":\"candidate\",\"to\":\"cancelled\",\"date\":\"2025-06-01\","
	                          "\"reason\":\"LAU-7 : Manquement à la confidentialité\"}");
	free(last);
	cJSON_Delete(j);
	fails(f, 2, "le protocole 1 est annulé", "protocol sign 1 --as director");
	fails_in(f, EN, 2, "protocol 1 is cancelled", "protocol sign 1 --as member");
	fails(f, 2, "le protocole 1 est déjà annulé", "protocol cancel 1 --reason again");
	fails_in(f, EN, 2, "protocol 1 is already cancelled", "protocol cancel 1 --reason again");
	/* Each protocol command names the protocol it cannot read. */
	static const char *const cmds[] = {"protocol sign %s --as member", "protocol cancel %s --reason r",
	                                   "protocol verify %s", "protocol show %s"};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, cmds[i], "x1");
		fails(f, 2, "numéro de protocole invalide « x1 »", cmd);
		fails_in(f, EN, 2, "invalid protocol number 'x1'", cmd);
		snprintf(cmd, sizeof cmd, cmds[i], "9");
		fails(f, 3, "protocole 9 introuvable", cmd);
		fails_in(f, EN, 3, "protocol 9 not found", cmd);
	}
	/* A new protocol is possible once the old one is cancelled. */
	ok(f, "protocol new 1");
}

/* ------------------------------------------------------------ the plan */

static void
test_plan_roundtrip(void **state)
{
	fx *f = *state;
	const char *file = PXT_SOURCE_DIR "/data/plans/amalgame-2020-2021.json";
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "plan import 1 %s", file);
	ok(f, cmd);

	size_t len = 0;
	char *src = pxt_read_file(file, &len);
	assert_non_null(src);
	cJSON *want = cJSON_Parse(src);
	free(src);
	assert_non_null(want);
	cJSON_DeleteItemFromObjectCaseSensitive(want, "source"); /* provenance only */
	cJSON *got = json_of(f, "--json plan show 1");
	if (!cJSON_Compare(want, got, true)) {
		char *a = cJSON_Print(want), *b = cJSON_Print(got);
		fprintf(stderr, "want:\n%s\ngot:\n%s\n", a, b);
		free(a);
		free(b);
	}
	assert_true(cJSON_Compare(want, got, true));
	cJSON_Delete(got);

	/* The text view prints every item of the seed verbatim. */
	char *text = stdout_of(f, "plan show 1");
	assert_non_null(strstr(text, "PRIORITÉ 2 : ASSURER LA PÉRENNITÉ DE L'AMALGAME"));
	assert_non_null(strstr(text, "Commenter le projet de loi 56"));
	assert_non_null(strstr(text, "Échéancier : Octobre 2020"));
	free(text);

	/* set-result by path and by number; show reflects it. */
	ok(f, "plan set-result 1 1.1.1 oui");
	ok(f, "plan set-result 1 7 non --gap 'Protocole rédigé en décembre'");
	got = json_of(f, "--json plan show 1");
	cJSON *so = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
	                                   cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
	                                                          cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(got, "priorities"), 0),
	                                                          "general_objectives"),
	                                                      0),
	                                   "specific_objectives"),
	                               1);
	assert_string_equal(str(so, "obtained"), "Non");
	assert_string_equal(str(so, "gap"), "Protocole rédigé en décembre");
	cJSON_Delete(got);

	/* Bad input changes nothing. */
	fails(f, 2, "existe déjà", cmd);
	fails(f, 3, "introuvable", "plan set-result 1 999 oui");
	fails(f, 3, "introuvable", "plan set-result 1 9.9.9 oui");
	fails(f, 2, "résultat inconnu", "plan set-result 1 3 peut-être");
	fails(f, 3, "communauté « Nulle part » introuvable", "plan show 'Nulle part'");
	snprintf(cmd, sizeof cmd, "plan import 'Nulle part' %s", file);
	fails(f, 3, "introuvable", cmd);
	got = json_of(f, "--json plan show 1");
	cJSON_Delete(want);
	cJSON_Delete(got);

	char bad[4096];
	snprintf(bad, sizeof bad, "%s/bad.json", f->dir);
	static const char *const cases[][2] = {
	    {"{\"title\":\"T\",\"period_start\":\"2021-02-31\",\"period_end\":\"2021-12-31\",\"priorities\":[{\"text\":\"P\"}]}",
	     "period_start"},
	    {"{\"title\":\"\",\"period_start\":\"2021-01-01\",\"period_end\":\"2021-12-31\",\"priorities\":[{\"text\":\"P\"}]}",
	     "title"},
	    {"{\"title\":\"T\",\"period_start\":\"2021-01-01\",\"period_end\":\"2021-12-31\",\"priorities\":[{\"text\":\"P\","
	     "\"general_objectives\":[{\"text\":\"G\",\"obtained\":\"Peut-être\"}]}]}",
	     "1.1"},
	    {"{\"title\":\"T\",\"period_start\":\"2021-01-01\",\"period_end\":\"2021-12-31\",\"priorities\":[{\"text\":\" \"}]}",
	     "texte vide"},
	    {"{\"title\":\"T\", oops", "JSON invalide"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_true(pxt_write_file(bad, cases[i][0], strlen(cases[i][0])));
		snprintf(cmd, sizeof cmd, "plan import 1 %s", bad);
		fails(f, 2, cases[i][1], cmd);
		fails(f, 3, NULL, "plan show 1 --period-start 2021-01-01");
	}
}

/* ------------------------------------------------------ meetings, report */

static void
test_meetings_and_report(void **state)
{
	fx *f = *state;
	ok(f, "meeting add --community \"L'Amalgame\" --date 2025-03-05 --time 13:30 --kind accueil --theme 'Accueil' --platform Zoom");
	ok(f, "meeting add --community 1 --date 2025-04-02 --duration 2 --theme 'Co-développement' --kind codev");
	ok(f, "meeting add --community 1 --date 2025-05-07 --speaker 'Dre Lemieux'");
	ok(f, "rsvp 1 1 confirmed");
	ok(f, "rsvp 1 2 absent");
	ok(f, "attend 1 1");
	ok(f, "attend 2 1");
	ok(f, "attend 2 2 --hours 1.5");
	ok(f, "hours log 1 --month 2025-03 --hours 1 --activity préparation");
	ok(f, "hours log 1 --month 2025-03 --hours 1");
	ok(f, "survey record 1 --period 2025 --answers 5,4");
	ok(f, "survey record 2 --period 2025-06 --answers 3,4");
	ok(f, "survey record 2 --period 2024 --answers 1,1");
	ok(f, "approval add --community 1 --year 2025 --hours 6 --manager 'Luc Côté' --date 2025-02-01");
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "plan import 1 %s/data/plans/amalgame-2020-2021.json", PXT_SOURCE_DIR);
	ok(f, cmd);

	cJSON *j = json_of(f, "--json meeting list --community 1");
	assert_int_equal(cJSON_GetArraySize(j), 3);
	cJSON *m1 = cJSON_GetArrayItem(j, 0);
	assert_string_equal(str(m1, "date"), "2025-03-05");
	assert_string_equal(str(m1, "kind"), "welcome");
	assert_int_equal((int)num(m1, "present", NULL), 1);
	assert_int_equal((int)num(m1, "confirmed", NULL), 1);
	assert_int_equal((int)num(m1, "absence_notified", NULL), 1);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(j, 2), "held")));
	cJSON_Delete(j);

	/* Meeting 2: nobody answered (LAU-5 list). */
	j = json_of(f, "--json meeting show 2");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "no_rsvp")), 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "attendance")), 2);
	cJSON_Delete(j);

	j = json_of(f, "--json hours list 1 --year 2025");
	assert_int_equal(cJSON_GetArraySize(j), 2);
	assert_int_equal((int)num(cJSON_GetArrayItem(j, 0), "meeting_hours", NULL), 3);
	assert_int_equal((int)num(cJSON_GetArrayItem(j, 0), "outside_hours", NULL), 2);
	cJSON_Delete(j);

	/* The annual report: figures from the data above. */
	j = json_of(f, "report annual 1 2025 --format json");
	assert_int_equal((int)num(j, "year", NULL), 2025);
	assert_int_equal((int)num(j, "members", "during_year"), 2);
	assert_int_equal((int)num(j, "members", "joined"), 2);
	assert_int_equal((int)num(j, "meetings", "planned"), 3);
	assert_int_equal((int)num(j, "meetings", "held"), 2);
	assert_true(num(j, "meetings", "held_hours") == 5.0);
	assert_int_equal((int)num(j, "attendance", "presences"), 3);
	assert_int_equal((int)num(j, "attendance", "expected"), 4);
	assert_true(num(j, "attendance", "attendance_rate") == 0.75);
	assert_true(num(j, "attendance", "rsvp_rate") * 6 > 1.999 && num(j, "attendance", "rsvp_rate") * 6 < 2.001);
	assert_true(num(j, "hours", "meeting_hours") == 6.5);
	assert_true(num(j, "hours", "outside_hours") == 2.0);
	assert_true(num(j, "hours", "total_hours") == 8.5);
	assert_int_equal((int)num(j, "survey", "responses"), 2);
	assert_true(num(j, "survey", "mean") == 4.0);
	cJSON *months = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "meetings"), "months_without_meeting");
	assert_int_equal(cJSON_GetArraySize(months), 10);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "hours"), "approvals")), 1);
	/* The plan covers 2020-09 .. 2021-03: not 2025. */
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "plan")));
	cJSON_Delete(j);

	j = json_of(f, "report annual 1 2021 --format json");
	cJSON *plan = cJSON_GetObjectItemCaseSensitive(j, "plan");
	assert_true(cJSON_IsObject(plan));
	assert_int_equal((int)num(plan, "specific_objectives", NULL), 16);
	assert_int_equal((int)num(plan, "pending", NULL), 16);
	cJSON_Delete(j);

	char *csv = stdout_of(f, "report annual 1 2025 --format csv");
	assert_non_null(strstr(csv, "section,item,metric,value\r\n"));
	assert_non_null(strstr(csv, "attendance,,attendance_rate,0.75\r\n"));
	assert_non_null(strstr(csv, "meeting,2025-04-02,theme,Co-développement\r\n"));
	free(csv);

	char *text = stdout_of(f, "report annual 1 2025");
	assert_non_null(strstr(text, "RAPPORT ANNUEL 2025"));
	assert_non_null(strstr(text, "75.0 %"));
	free(text);
	pxt_run r = run(f, "en_CA.UTF-8", "report annual 1 2025");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "ANNUAL REPORT 2025"));
	assert_non_null(strstr(r.out, "Attendance rate"));
	pxt_run_free(&r);

	char html[8192];
	snprintf(html, sizeof html, "report annual 1 2025 --format html --output %s/r.html", f->dir);
	ok(f, html);
	snprintf(html, sizeof html, "%s/r.html", f->dir);
	char *h = pxt_read_file(html, NULL);
	assert_non_null(h);
	assert_non_null(strstr(h, "<!DOCTYPE html>"));
	assert_non_null(strstr(h, "Rapport annuel 2025 — L&#39;Amalgame"));
	/* Self-contained: no external script, style sheet, image or link. */
	assert_null(strstr(h, "http://"));
	assert_null(strstr(h, "https://"));
	assert_null(strstr(h, "src="));
	assert_null(strstr(h, "<link"));
	free(h);
}

static void
test_activity_bad_input(void **state)
{
	fx *f = *state;
	ok(f, "community add --name Autre --framework laurentides");
	ok(f, "member add --community 2 --family Ailleurs --first Zoé --birth 03/03 --org 1");
	ok(f, "meeting add --community 1 --date 2025-03-05");

	fails(f, 3, "communauté « Inconnue » introuvable", "meeting add --community Inconnue --date 2025-03-05");
	fails(f, 2, "date invalide « 2025-02-31 »", "meeting add --community 1 --date 2025-02-31");
	fails(f, 2, "type de rencontre inconnu", "meeting add --community 1 --date 2025-03-05 --kind fête");
	fails(f, 2, "durée invalide", "meeting add --community 1 --date 2025-03-05 --duration -1");
	fails(f, 2, "heure invalide", "meeting add --community 1 --date 2025-03-05 --time 25:00");
	fails(f, 2, "modalité inconnue", "meeting add --community 1 --date 2025-03-05 --modality fax");
	fails(f, 1, "--community", "meeting add --date 2025-03-05");
	fails(f, 1, NULL, "meeting add --community 1 --date 2025-03-05 --bogus x");
	fails(f, 3, "rencontre « 9 » introuvable", "rsvp 9 1 confirmed");
	fails(f, 2, "réponse inconnue", "rsvp 1 1 peut-être");
	fails(f, 2, "n'est pas de la communauté", "rsvp 1 3 confirmed");
	fails(f, 3, "membre « 77 » introuvable", "attend 1 77");
	fails(f, 2, "heures invalides", "attend 1 1 --hours beaucoup");
	fails(f, 2, "mois invalide", "hours log 1 --month 2025-13 --hours 1");
	fails(f, 2, "heures invalides", "hours log 1 --month 2025-03 --hours -2");
	fails(f, 2, "réponses invalides", "survey record 1 --period 2025 --answers 6,1");
	fails(f, 2, "réponses invalides", "survey record 1 --period 2025 --answers ''");
	fails(f, 2, "période invalide", "survey record 1 --period 25 --answers 3");
	fails(f, 2, "vide", "approval add --community 1 --year 2025 --hours 4 --manager ' '");
	fails(f, 2, "année invalide « 20x5 »", "approval add --community 1 --year 20x5 --hours 4 --manager M");
	fails(f, 2, "année invalide « 1899 »", "approval list --community 1 --year 1899");
	fails(f, 2, "année invalide « 2201 »", "hours list 1 --year 2201");
	fails_in(f, EN, 2, "invalid year '2025a'", "hours list 1 --year 2025a");
	fails_in(f, EN, 2, "invalid year ''", "approval list --community 1 --year ''");
	fails(f, 2, "n'est pas de cette communauté", "approval add --community 1 --member 3 --year 2025 --hours 4 --manager M");
	fails(f, 2, "année invalide", "report annual 1 1850");
	fails(f, 2, "format inconnu", "report annual 1 2025 --format pdf");
	fails(f, 3, "introuvable", "report annual Inconnue 2025");

	/* Nothing of the above was stored. */
	cJSON *j = json_of(f, "--json meeting list --community 1");
	assert_int_equal(cJSON_GetArraySize(j), 1);
	cJSON *m = cJSON_GetArrayItem(j, 0);
	assert_int_equal((int)num(m, "present", NULL), 0);
	assert_int_equal((int)num(m, "confirmed", NULL), 0);
	cJSON_Delete(j);
	j = json_of(f, "--json hours list 1");
	assert_int_equal(cJSON_GetArraySize(j), 0);
	cJSON_Delete(j);
	j = json_of(f, "--json survey list --community 1");
	assert_int_equal(cJSON_GetArraySize(j), 0);
	cJSON_Delete(j);
	j = json_of(f, "--json approval list --community 1");
	assert_int_equal(cJSON_GetArraySize(j), 0);
	cJSON_Delete(j);

	/* English messages. */
	fails_in(f, EN, 3, "community 'Nowhere' not found", "meeting add --community Nowhere --date 2025-03-05");

	/* --help at every level. */
	static const char *helps[] = {"protocol new", "protocol sign", "protocol verify", "protocol cancel",
	                              "meeting add",  "rsvp",          "attend",          "hours log",
	                              "survey record", "approval add",  "approval list",   "plan import",
	                              "plan set-result", "report annual"};
	for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "%s --help", helps[i]);
		pxt_run h = expect(f, 0, cmd);
		assert_non_null(strstr(h.out, "Usage"));
		pxt_run_free(&h);
	}
}


/* One member's attendance row of `meeting show` as JSON text. */
static char *
att_row(fx *f, const char *meeting, int member)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "--json meeting show %s", meeting);
	cJSON *j = json_of(f, cmd);
	cJSON *o, *found = NULL;
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(j, "attendance"))
		if ((int)num(o, "member_id", NULL) == member)
			found = o;
	char *s = found != NULL ? cJSON_PrintUnformatted(found) : strdup("none");
	cJSON_Delete(j);
	return s;
}

static void
att_is(fx *f, const char *meeting, int member, const char *want)
{
	char *s = att_row(f, meeting, member);
	assert_string_equal(s, want);
	free(s);
}

/* rsvp and attend, word for word: every answer's spelling, the messages
 * in both languages and as JSON, each refusal (which stores nothing), an
 * answer and an attendance kept on one record, and the meeting held only
 * when someone attends. */
static void
test_rsvp_attend(void **state)
{
	fx *f = *state;
	ok(f, "community add --name Autre --framework laurentides");
	ok(f, "member add --community 2 --family Ailleurs --first Zoé --birth 03/03 --org 1");
	ok(f, "meeting add --community 1 --date 2025-03-05 --duration 2.5");
	ok(f, "meeting add --community 1 --date 2099-01-01");

	static const char *const answers[][2] = {
	    {"confirmed", "présence confirmée"}, {"confirme", "présence confirmée"}, {"confirmé", "présence confirmée"},
	    {"oui", "présence confirmée"},       {"yes", "présence confirmée"},      {"absent", "absence avisée"},
	    {"absente", "absence avisée"},       {"absence", "absence avisée"},      {"non", "absence avisée"},
	    {"no", "absence avisée"},            {"none", "sans réponse"},           {"aucune", "sans réponse"},
	};
	for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
		char cmd[128], want[128];
		snprintf(cmd, sizeof cmd, "rsvp 1 1 %s", answers[i][0]);
		snprintf(want, sizeof want, "Rencontre 1, membre 1 : %s.\n", answers[i][1]);
		says(f, NULL, want, cmd);
	}
	says(f, EN, "Meeting 1, member 1: confirmed.\n", "rsvp 1 1 oui");
	says(f, EN, "Meeting 1, member 1: absence notified.\n", "rsvp 1 1 absent");
	says(f, EN, "Meeting 1, member 1: no answer.\n", "rsvp 1 1 none");
	says(f, NULL, "{\"ok\":true}\n", "--json rsvp 1 1 confirmed");
	/* An answer for a meeting to come is fine. */
	says(f, NULL, "Rencontre 2, membre 2 : absence avisée.\n", "rsvp 2 2 non");
	att_is(f, "1", 1, "{\"member_id\":1,\"name\":\"Émilie Gagnon\",\"rsvp\":\"confirmed\",\"present\":false,\"hours\":0}");
	att_is(f, "2", 2, "{\"member_id\":2,\"name\":\"Anne Roy\",\"rsvp\":\"absent\",\"present\":false,\"hours\":0}");

	/* Refusals, in both languages; none of them stores anything. */
	fails(f, 2, "réponse inconnue « peut-être » (confirmed, absent ou none)", "rsvp 1 2 peut-être");
	fails_in(f, EN, 2, "unknown answer 'maybe' (confirmed, absent or none)", "rsvp 1 2 maybe");
	fails(f, 3, "rencontre « 9 » introuvable", "rsvp 9 2 oui");
	fails_in(f, EN, 3, "meeting '9' not found", "attend 9 2");
	fails(f, 3, "membre « x » introuvable", "rsvp 1 x oui");
	fails_in(f, EN, 3, "member 'x' not found", "attend 1 x");
	fails(f, 2, "le membre 3 n'est pas de la communauté de la rencontre 1", "attend 1 3");
	fails_in(f, EN, 2, "member 3 does not belong to meeting 1's community", "rsvp 1 3 oui");
	fails(f, 2, "heures invalides « 25 » (0 à 24)", "attend 1 2 --hours 25");
	fails_in(f, EN, 2, "invalid hours '-1' (0 to 24)", "attend 1 2 --hours -1");
	fails(f, 2, "--absent et des heures : choisir l'un ou l'autre", "attend 1 2 --absent --hours 1");
	fails_in(f, EN, 2, "--absent with hours: choose one", "attend 1 2 --absent --hours 1");
	fails(f, 2, "la rencontre 2 est prévue le 2099-01-01 : la présence se note après", "attend 2 1");
	fails_in(f, EN, 2, "meeting 2 is planned on 2099-01-01: attendance is recorded afterwards", "attend 2 2 --absent");
	att_is(f, "1", 2, "none");
	att_is(f, "2", 1, "none");
	att_is(f, "2", 2, "{\"member_id\":2,\"name\":\"Anne Roy\",\"rsvp\":\"absent\",\"present\":false,\"hours\":0}");

	/* Absent: not held; her answer stays on the record. */
	says(f, NULL, "Rencontre 1, membre 1 : absente.\n", "attend 1 1 --absent --hours 0");
	att_is(f, "1", 1, "{\"member_id\":1,\"name\":\"Émilie Gagnon\",\"rsvp\":\"confirmed\",\"present\":false,\"hours\":0}");
	cJSON *j = json_of(f, "--json meeting list --community 1");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(j, 0), "held")));
	cJSON_Delete(j);
	says(f, EN, "Meeting 1, member 1: absent.\n", "attend 1 1 --absent");

	/* Present: the meeting's duration by default, or the hours given; held. */
	says(f, NULL, "Rencontre 1, membre 1 : présente, 2.5 h.\n", "attend 1 1");
	att_is(f, "1", 1, "{\"member_id\":1,\"name\":\"Émilie Gagnon\",\"rsvp\":\"confirmed\",\"present\":true,\"hours\":2.5}");
	j = json_of(f, "--json meeting list --community 1");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(j, 0), "held")));
	cJSON_Delete(j);
	says(f, EN, "Meeting 1, member 2: present, 1.25 h.\n", "attend 1 2 --hours 1.25");
	says(f, NULL, "{\"ok\":true}\n", "--json attend 1 2 --hours 0");
	att_is(f, "1", 2, "{\"member_id\":2,\"name\":\"Anne Roy\",\"rsvp\":\"none\",\"present\":true,\"hours\":0}");
	/* An answer given after the attendance keeps it. */
	says(f, NULL, "Rencontre 1, membre 2 : absence avisée.\n", "rsvp 1 2 absent");
	att_is(f, "1", 2, "{\"member_id\":2,\"name\":\"Anne Roy\",\"rsvp\":\"absent\",\"present\":true,\"hours\":0}");
}

/* member export, the right of access: every part of a member's record,
 * hers only, field for field. Today's dates are set aside and the
 * protocol's clauses counted, so the rest is compared as text. */
static void
test_member_export(void **state)
{
	fx *f = *state;
	ok(f, "meeting add --community 1 --date 2025-03-05 --duration 2");
	ok(f, "meeting add --community 1 --date 2025-04-02");
	ok(f, "rsvp 1 1 oui");
	ok(f, "attend 1 1 --hours 1.5");
	ok(f, "attend 1 2");
	ok(f, "rsvp 2 1 non");
	ok(f, "hours log 1 --month 2025-03 --hours 2 --activity préparation");
	ok(f, "hours log 1 --month 2025-04 --hours 0.5");
	ok(f, "hours log 2 --month 2025-03 --hours 1");
	ok(f, "survey record 1 --period 2025 --answers 5,4");
	ok(f, "survey record 2 --period 2025 --answers 1,1");
	ok(f, "approval add --community 1 --member 1 --year 2025 --hours 6 --manager 'Luc Côté' --date 2025-02-01 "
	      "--reason formation");
	ok(f, "approval add --community 1 --member 2 --year 2025 --hours 3 --manager Luc --date 2025-02-01");
	ok(f, "protocol new 1");
	ok(f, "protocol sign 1 --as member --date 2025-01-12");

	cJSON *j = json_of(f, "member export 1");
	assert_string_equal(str(j, "generated"), "praxis-node member export");
	assert_int_equal((int)strlen(str(j, "date")), 10);
	cJSON_DeleteItemFromObjectCaseSensitive(j, "date");
	cJSON *h;
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "member"), "history"))
		cJSON_DeleteItemFromObjectCaseSensitive(h, "date");
	cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "protocols"), 0);
	assert_int_equal((int)strlen(str(p, "created")), 10);
	cJSON_DeleteItemFromObjectCaseSensitive(p, "created");
	cJSON_ReplaceItemInObjectCaseSensitive(
	    p, "clauses", cJSON_CreateNumber(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "clauses"))));
	char *got = cJSON_PrintUnformatted(j);
	static const char want[] =
	    "{\"generated\":\"praxis-node member export\","
	    "\"member\":{\"id\":1,\"community_id\":1,\"family_name\":\"Gagnon\",\"first_name\":\"Émilie\","
	    "\"birth_day_month\":\"14/03\",\"org_id\":2,\"org\":\"CISSS des Laurentides\",\"job_title\":\"\","
	    "\"discipline\":\"\",\"email\":\"\",\"role\":\"member\",\"status\":\"candidate\",\"joined\":\"2025-01-10\","
	    "\"left\":null,\"directory_consent\":false,\"participation_imposed\":false,"
	    "\"history\":[{\"from\":\"unspecified\",\"to\":\"candidate\",\"reason\":\"ajout\"}]},"
	    "\"community\":{\"id\":1,\"name\":\"L'Amalgame\",\"framework\":\"laurentides\"},"
	    "\"protocols\":[{\"id\":1,\"family_name\":\"Gagnon\",\"first_name\":\"Émilie\",\"birth_day_month\":\"14/03\","
	    "\"org_name\":\"CISSS des Laurentides\",\"director_name\":\"Jean Roy\",\"clauses_version\":\"amalgame-2020.1\","
	    "\"clauses\":15,\"signatures\":[{\"signer\":\"member\",\"signer_name\":\"Émilie Gagnon\",\"date\":\"2025-01-12\"}],"
	    "\"status\":\"draft\",\"cancel_reason\":\"\",\"cancel_date\":null}],"
	    "\"attendance\":[{\"meeting_id\":1,\"date\":\"2025-03-05\",\"rsvp\":\"confirmed\",\"present\":true,\"hours\":1.5},"
	    "{\"meeting_id\":2,\"date\":\"2025-04-02\",\"rsvp\":\"absence_notified\",\"present\":false,\"hours\":0}],"
	    "\"hours\":[{\"month\":\"2025-03\",\"hours\":2,\"activity\":\"préparation\"},"
	    "{\"month\":\"2025-04\",\"hours\":0.5,\"activity\":\"\"}],"
	    "\"surveys\":[{\"period\":\"2025\",\"answers\":[5,4]}],"
	    "\"approvals\":[{\"year\":2025,\"extra_hours\":6,\"manager\":\"Luc Côté\",\"date\":\"2025-02-01\","
	    "\"reason\":\"formation\"}],"
	    "\"has_signer_key\":true}";
	if (strcmp(got, want) != 0)
		fprintf(stderr, "export:\n%s\nwant:\n%s\n", got, want);
	assert_string_equal(got, want);
	free(got);
	cJSON_Delete(j);

	/* Member 2: no protocol, no signer key, no answer of meeting 2. */
	j = json_of(f, "member export 2");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "protocols")), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "attendance")), 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "hours")), 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "surveys")), 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "approvals")), 1);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "has_signer_key")));
	cJSON_Delete(j);
}

/* A copy of src padded with trailing blank lines to about len bytes: still
 * the same JSON, but read in several chunks. Returns its path (malloc'd). */
static char *
padded_copy(fx *f, const char *src, const char *name, size_t len)
{
	size_t n = 0;
	char *data = pxt_read_file(src, &n);
	assert_non_null(data);
	char *big = malloc(len);
	assert_non_null(big);
	memcpy(big, data, n);
	memset(big + n, '\n', len - n);
	free(data);
	char *path = NULL;
	assert_true(asprintf(&path, "%s/%s", f->dir, name) > 0);
	assert_true(pxt_write_file(path, big, len));
	free(big);
	return path;
}

/* Files larger than the readers' first buffer (the plan's 64 KiB, the
 * clauses' 16 KiB) read whole. */
static void
test_large_files(void **state)
{
	fx *f = *state;
	char *plan = padded_copy(f, PXT_SOURCE_DIR "/data/plans/amalgame-2020-2021.json", "plan.json", 300000);
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "plan import 1 %s", plan);
	ok(f, cmd);
	cJSON *j = json_of(f, "report annual 1 2021 --format json");
	assert_int_equal((int)num(cJSON_GetObjectItemCaseSensitive(j, "plan"), "specific_objectives", NULL), 16);
	cJSON_Delete(j);
	char *clauses = padded_copy(f, PXT_SOURCE_DIR "/data/protocols/laurentides.json", "clauses.json", 100000);
	snprintf(cmd, sizeof cmd, "protocol new 1 --clauses %s", clauses);
	ok(f, cmd);
	j = json_of(f, "--json protocol show 1");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "clauses")), 15);
	cJSON_Delete(j);
	free(plan);
	free(clauses);
}

/* CIS-3 through the activity commands: the 25th hour of a year is refused
 * without a manager's approval (nothing stored), accepted with one. The
 * change-time check looks at the current calendar year (node_check_change
 * builds its view over the default period), so the data is dated in
 * January of this year: never in the future, always in that period. */
static int
setup_cisss(void **state)
{
	fx *f = calloc(1, sizeof *f);
	f->dir = pxt_tmpdir("node_activity_cis");
	*state = f;
	ok(f, "init --name 'CISSS de la Gaspésie' --sector public --region Gaspésie");
	ok(f, "community add --name 'CdP TS' --framework cisss --job-title 'travailleuse sociale' --sponsor 'Gestionnaire X'");
	ok(f, "member add --community 1 --family Arsenault --first Julie --job-title 'travailleuse sociale' --status active "
	      "--joined 2025-01-01");
	return 0;
}

static void
test_cis3_approval(void **state)
{
	fx *f = *state;
	int y = px_date_today() / 10000;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "meeting add --community 1 --date %d-01-01 --duration 4", y);
	ok(f, cmd);
	ok(f, "attend 1 1");
	snprintf(cmd, sizeof cmd, "hours log 1 --month %d-01 --hours 20", y);
	ok(f, cmd); /* 24 h: at the cap */
	snprintf(cmd, sizeof cmd, "hours log 1 --month %d-01 --hours 1", y);
	fails(f, 2, "CIS-3", cmd);
	snprintf(cmd, sizeof cmd, "meeting add --community 1 --date %d-01-01 --duration 3", y);
	ok(f, cmd);
	fails(f, 2, "CIS-3", "attend 2 1");
	snprintf(cmd, sizeof cmd, "--json hours list 1 --year %d", y);
	cJSON *j = json_of(f, cmd);
	assert_int_equal(cJSON_GetArraySize(j), 1);
	/* Both refusals stored nothing. */
	assert_true(num(cJSON_GetArrayItem(j, 0), "meeting_hours", NULL) == 4.0);
	assert_true(num(cJSON_GetArrayItem(j, 0), "outside_hours", NULL) == 20.0);
	cJSON_Delete(j);
	snprintf(cmd, sizeof cmd, "approval add --community 1 --member 1 --year %d --hours 6 --manager 'Gestionnaire X'", y);
	ok(f, cmd);
	snprintf(cmd, sizeof cmd, "hours log 1 --month %d-01 --hours 1", y);
	ok(f, cmd);
	ok(f, "attend 2 1");
	snprintf(cmd, sizeof cmd, "--json approval list --community 1 --year %d", y);
	j = json_of(f, cmd);
	assert_int_equal(cJSON_GetArraySize(j), 1);
	assert_string_equal(str(cJSON_GetArrayItem(j, 0), "manager"), "Gestionnaire X");
	cJSON_Delete(j);
	snprintf(cmd, sizeof cmd, "report annual 1 %d --format json", y);
	j = json_of(f, cmd);
	assert_true(num(j, "hours", "total_hours") == 28.0);
	cJSON_Delete(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_protocol_sign_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocol_clause_edited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocol_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meetings_and_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_activity_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rsvp_attend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_member_export, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cis3_approval, setup_cisss, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
