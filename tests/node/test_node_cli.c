/*
 * test_node_cli.c - init, org, community, member add/edit/list/show/search/
 * remove/export, plugin, audit; --help, --json, English, bad input.
 */
#define _GNU_SOURCE
#include "node_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
test_init(void **state)
{
	(void)state;
	nt_node n;
	nt_init(&n, "node-init");
	char *key = NULL;
	assert_true(asprintf(&key, "%s/node.key", n.data) > 0);
	struct stat st;
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 077, 0); /* secret key 0600 */
	free(key);
	/* Twice: refused, nothing changed. */
	nt_fails(&n, 2, "existe déjà", "init --name Autre");
	cJSON *orgs = nt_json(&n, "org list");
	assert_int_equal(cJSON_GetArraySize(orgs), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(orgs, 0), "name")->valuestring, "Org Test");
	cJSON_Delete(orgs);

	/* Empty name and bad sector: refused, no data directory left. */
	nt_node m = {n.dir, NULL};
	assert_true(asprintf(&m.data, "%s/other", n.dir) > 0);
	pxt_run r = nt_run(&m, "init --name '  '");
	nt_expect(&r, 2, "init empty name");
	assert_true(nt_has(r.err, "nom"));
	pxt_run_free(&r);
	r = nt_run(&m, "init --name X --sector galactique");
	nt_expect(&r, 2, "init bad sector");
	assert_true(nt_has(r.err, "galactique"));
	pxt_run_free(&r);
	assert_int_not_equal(access(m.data, F_OK), 0);
	/* Every other command before init: not found, with the way out. */
	r = nt_run(&m, "member list");
	nt_expect(&r, 3, "before init");
	assert_true(nt_has(r.err, "praxis-node init"));
	pxt_run_free(&r);
	free(m.data);
	nt_fini(&n);
}

static void
test_help_and_usage(void **state)
{
	(void)state;
	nt_node n;
	nt_init(&n, "node-help");
	pxt_run r = nt_run(&n, "--help");
	nt_expect(&r, 0, "--help");
	assert_true(nt_has(r.out, "member import"));
	assert_true(nt_has(r.out, "Codes de sortie"));
	pxt_run_free(&r);
	r = nt_run(&n, "member --help");
	nt_expect(&r, 0, "member --help");
	assert_true(nt_has(r.out, "member search"));
	assert_false(nt_has(r.out, "community add"));
	pxt_run_free(&r);
	nt_says(&n, "--family", "member add --help");
	r = nt_run_en(&n, "member add --help");
	assert_true(nt_has(r.out, "Add a member."));
	pxt_run_free(&r);
	nt_fails(&n, 1, "frobnicate", "frobnicate");
	nt_fails(&n, 1, "--colour", "member add --community 1 --family A --first B --colour blue");
	nt_fini(&n);
}

/* The usage errors node_args_take answers from each command's row: wrong
 * positional count, missing required option, unknown option, missing value,
 * a value given to a flag; in French and in English (LANG or --lang). Each
 * exits 1, prints nothing on stdout and changes nothing. */
static void
test_usage_errors(void **state)
{
	(void)state;
	nt_node n;
	nt_init(&n, "node-usage");
	nt_ok(&n, "community add --name 'CdP U' --framework laurentides");
	nt_ok(&n, "member add --community 1 --family Tremblay --first Anne");
	pxt_run r;
	static const struct {
		const char *args, *fr, *en;
	} bad[] = {
		/* positional count, the row's own line */
		{"rsvp 1 1", "usage : rsvp RENCONTRE MEMBRE confirmed|absent|none",
		 "usage: rsvp MEETING MEMBER confirmed|absent|none"},
		{"meeting show 1 2", "usage : meeting show RENCONTRE", "usage: meeting show MEETING"},
		{"report annual 1", "usage : report annual COMMUNAUTÉ ANNÉE", "usage: report annual COMMUNITY YEAR"},
		{"member show", "donnez le numéro d'un membre", "give one member number"},
		{"audit 1 2", "une seule communauté à la fois", "one community at a time"},
		/* one positional too many, no line of its own: the argument named */
		{"member add --community 1 --family Roy --first Luc de-trop", "argument inattendu « de-trop »",
		 "unexpected argument 'de-trop'"},
		{"derogation list x", "argument inattendu « x »", "unexpected argument 'x'"},
		/* a positional standing for --community, not both */
		{"meeting list 1 --community 1", "usage : meeting list --community C", "usage: meeting list --community C"},
		/* required options */
		{"hours log 1 --month 2026-01", "usage : hours log MEMBRE --month AAAA-MM --hours H",
		 "usage: hours log MEMBER --month YYYY-MM --hours H"},
		{"protocol sign 1", "usage : protocol sign PROTOCOLE --as member|director",
		 "usage: protocol sign PROTOCOL --as member|director"},
		{"approval add --community 1 --year 2026 --hours 2", "--manager NOM", "--manager NAME"},
		/* the parser */
		{"meeting list --community 1 --colour bleu", "option inconnue « --colour »", "unknown option '--colour'"},
		{"attend 1 1 --hours", "l'option « --hours » demande une valeur", "option '--hours' needs a value"},
		{"attend 1 1 --absent=oui", "l'option « --absent » ne prend pas de valeur", "option '--absent' takes no value"},
		/* the federation rows (cmd_sync.c), answered before any hub is looked for */
		{"enroll", "un jeton d'adhésion est attendu : enroll JETON", "a join token is expected: enroll TOKEN"},
		{"enroll pxj1.a pxj1.b", "un jeton d'adhésion est attendu : enroll JETON",
		 "a join token is expected: enroll TOKEN"},
		{"enroll --org", "l'option « --org » demande une valeur", "option '--org' needs a value"},
		{"sync de-trop", "argument inattendu « de-trop »", "unexpected argument 'de-trop'"},
		{"sync --max-wait x", "--max-wait invalide « x »", "invalid --max-wait 'x'"},
		{"sync --no-build=1", "l'option « --no-build » ne prend pas de valeur", "option '--no-build' takes no value"},
		{"serve de-trop", "argument inattendu « de-trop »", "unexpected argument 'de-trop'"},
		{"serve --interval 0", "--interval invalide « 0 »", "invalid --interval '0'"},
		{"serve --colour bleu", "option inconnue « --colour »", "unknown option '--colour'"},
		{"outbox list de-trop", "argument inattendu « de-trop »", "unexpected argument 'de-trop'"},
		{"outbox build de-trop", "argument inattendu « de-trop »", "unexpected argument 'de-trop'"},
		{"outbox build --period", "l'option « --period » demande une valeur", "option '--period' needs a value"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		for (int en = 0; en < 3; en++) {
			r = en == 0 ? nt_run(&n, "%s", bad[i].args)
			    : en == 1 ? nt_run_en(&n, "%s", bad[i].args)
			              : nt_run(&n, "--lang en %s", bad[i].args);
			nt_expect(&r, 1, bad[i].args);
			if (!nt_has(r.err, en ? bad[i].en : bad[i].fr))
				fail_msg("%s (%s): expected \"%s\" in: %s", bad[i].args, en ? "en" : "fr",
				         en ? bad[i].en : bad[i].fr, r.err);
			assert_true(r.out == NULL || r.out[0] == '\0');
			pxt_run_free(&r);
		}
	}
	/* Usage lines, not parser messages, end with the way to the help. */
	r = nt_run(&n, "rsvp 1");
	assert_true(nt_has(r.err, "Voir « praxis-node --help »."));
	pxt_run_free(&r);
	r = nt_run_en(&n, "rsvp 1");
	assert_true(nt_has(r.err, "See 'praxis-node --help'."));
	pxt_run_free(&r);
	/* Nothing was written by the refused commands. */
	assert_int_equal(nt_member_count(&n, NULL), 1);
	cJSON *m = nt_json(&n, "meeting list 1");
	assert_int_equal(cJSON_GetArraySize(m), 0);
	cJSON_Delete(m);
	m = nt_json(&n, "outbox list --all"); /* outbox build would have built the community's reports */
	assert_int_equal(cJSON_GetArraySize(m), 0);
	cJSON_Delete(m);
	/* --help prints the row's usage line, French or English. */
	nt_says(&n, "praxis-node rsvp RENCONTRE MEMBRE confirmed|absent|none", "rsvp --help");
	r = nt_run(&n, "--lang en rsvp --help");
	nt_expect(&r, 0, "rsvp --help en");
	assert_true(nt_has(r.out, "praxis-node rsvp MEETING MEMBER confirmed|absent|none"));
	assert_true(nt_has(r.out, "Record a member's answer"));
	pxt_run_free(&r);
	nt_fini(&n);
}

/* --help and the parser read the same row: every option a command's usage
 * line shows is in its option table. Each option is given with twenty
 * stray arguments, so the parser answers (a wrong count at worst) before
 * any command runs (sync and enroll never reach for a hub). */
static void
test_help_options_accepted(void **state)
{
	(void)state;
	nt_node n;
	nt_init(&n, "node-helpopts");
	pxt_run h = nt_run(&n, "--help");
	nt_expect(&h, 0, "--help");
	size_t checked = 0;
	char *save = NULL;
	for (char *line = strtok_r(h.out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "  praxis-node ", 14) != 0)
			continue;
		char cmd[64] = "", word[64];
		const char *p = line + 14;
		int used = 0;
		/* The command, and its subcommand when the next word is one. */
		if (sscanf(p, "%63s%n", cmd, &used) != 1)
			continue;
		p += used;
		if (sscanf(p, "%63s%n", word, &used) == 1 && word[0] >= 'a' && word[0] <= 'z' &&
		    strspn(word, "abcdefghijklmnopqrstuvwxyz-") == strlen(word)) {
			strncat(cmd, " ", sizeof cmd - strlen(cmd) - 1);
			strncat(cmd, word, sizeof cmd - strlen(cmd) - 1);
		}
		for (const char *o = strstr(line, "--"); o != NULL; o = strstr(o + 2, "--")) {
			size_t l = strspn(o + 2, "abcdefghijklmnopqrstuvwxyz-");
			if (l == 0 || strncmp(o + 2, "json", l) == 0)
				continue;
			pxt_run r = nt_run(&n, "%s --%.*s=x a b c d e f g h i j k l m n o p q r s t", cmd, (int)l, o + 2);
			if (nt_has(r.err, "option inconnue"))
				fail_msg("'%s' shows --%.*s, its parser refuses it: %s", cmd, (int)l, o + 2, r.err);
			pxt_run_free(&r);
			checked++;
		}
	}
	pxt_run_free(&h);
	assert_true(checked > 80); /* the listing was read */
	nt_fini(&n);
}

static void
test_org_and_community(void **state)
{
	(void)state;
	nt_node n;
	nt_init(&n, "node-comm");
	nt_ok(&n, "org add --name 'Maison de la Famille' --sector communautaire --network ROCFM --venue");
	pxt_run r = nt_run(&n, "org add --name 'maison de la famille'");
	nt_expect(&r, 2, "org duplicate");
	pxt_run_free(&r);
	cJSON *o = nt_json(&n, "org show 'Maison de la Famille'");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "rocfm_member")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "volunteer_venue")));
	cJSON_Delete(o);
	nt_ok(&n, "org edit 2 --director 'Anne Côté' --rocfm non");
	o = nt_json(&n, "org show 2");
	assert_string_equal(cJSON_GetObjectItem(o, "director")->valuestring, "Anne Côté");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "rocfm_member")));
	cJSON_Delete(o);

	nt_ok(&n, "community add --name 'CdP Familles' --framework rocfm --host-org 2 --region Montréal "
	          "--facilitator 'coordonnatrice:Sylvie' --facilitator 'coordonnatrice:Marc' --value Respect");
	/* Bad input: each refused with a clear message, nothing created. */
	static const struct {
		const char *args, *msg;
		int code;
	} bad[] = {
		{"community add --name Y --framework inexistant", "inexistant", 2},
		{"community add --name Y", "--framework", 2},
		{"community add --name '' --framework rocfm", "vide", 2},
		{"community add --name Y --framework rocfm --host-org 99", "inconnu", 3},
		{"community add --name Y --framework brusano --region Nord --cycle-start 2026-02-30", "2026-02-30", 2},
		{"community add --name Y --framework brusano --region Nord --cycle-start 2026-09-01 --cycle-end 2026-01-01", "cycle", 2},
		{"community add --name Y --framework cisss --param annual_hours_cap=beaucoup", "annual_hours_cap", 2},
		{"community add --name Y --framework cisss --param no_such_param=1", "no_such_param", 2},
		{"community add --name 'cdp familles' --framework rocfm", "existe déjà", 2},
		{"community add --name Y --framework rocfm --facilitator 'pilote:Jean'", "pilote", 2},
		{"community add --name Y --framework rocfm --facilitator 'coach:Jean:2025-13-01'", "mandat", 2},
		{"community add --name Y --framework rocfm --facilitator 'coach:Jean:2025-06-01:2025-01-01'", "mandat", 2},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = nt_run(&n, "%s", bad[i].args);
		nt_expect(&r, bad[i].code, bad[i].args);
		if (!nt_has(r.err, bad[i].msg))
			fprintf(stderr, "%s: stderr lacks '%s':\n%s\n", bad[i].args, bad[i].msg, r.err);
		assert_true(nt_has(r.err, bad[i].msg));
		pxt_run_free(&r);
	}
	cJSON *l = nt_json(&n, "community list");
	assert_int_equal(cJSON_GetArraySize(l), 1);
	cJSON *c = cJSON_GetArrayItem(l, 0);
	assert_string_equal(cJSON_GetObjectItem(c, "framework")->valuestring, "rocfm");
	assert_string_equal(cJSON_GetObjectItem(c, "host_org")->valuestring, "Maison de la Famille");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "facilitators")), 2);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "facilitators"), 0), "role")->valuestring,
	                    "coordinator");
	cJSON_Delete(l);

	nt_ok(&n, "community add --name 'CdP CISSS' --framework cisss --job-title 'Travailleuse sociale' "
	          "--sponsor 'M. Gestion' --param annual_hours_cap=30 --facilitator 'animatrice:Julie:2025-01-01:2025-12-31'");
	nt_ok(&n, "community edit 'CdP CISSS' --region Laurentides --param annual_hours_cap=28");
	c = nt_json(&n, "community show 2");
	assert_string_equal(cJSON_GetObjectItem(c, "region")->valuestring, "Laurentides");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "params"), 0)->valuestring, "annual_hours_cap=28");
	cJSON *fac = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "facilitators"), 0);
	assert_string_equal(cJSON_GetObjectItem(fac, "name")->valuestring, "Julie");
	assert_string_equal(cJSON_GetObjectItem(fac, "mandate_start")->valuestring, "2025-01-01");
	assert_string_equal(cJSON_GetObjectItem(fac, "mandate_end")->valuestring, "2025-12-31");
	cJSON_Delete(c);
	r = nt_run(&n, "community edit 2 --framework nulle-part");
	nt_expect(&r, 2, "community edit unknown framework");
	pxt_run_free(&r);
	nt_fails(&n, 3, "communauté inconnue « Inconnue »", "community show 'Inconnue'");
	nt_fails(&n, 3, "communauté inconnue « 9 »", "community edit 9 --region Laurentides");
	nt_fails_en(&n, 3, "unknown community 'Nowhere'", "community edit Nowhere --region Laurentides");
	nt_says(&n, "CdP Familles", "community list");
	nt_fini(&n);
}

static void
test_member_bad_input(void **state)
{
	(void)state;
	nt_node n;
	nt_init(&n, "node-bad");
	nt_ok(&n, "community add --name CdP --framework laurentides");
	nt_ok(&n, "member add --community CdP --family Gagnon --first Louise --birth 02/11");
	pxt_run r;
	char *mdb = nt_mdb(&n);
	size_t before_len = 0;
	char *before = pxt_read_file(mdb, &before_len);
	assert_non_null(before);
	static const struct {
		const char *args, *msg;
		int code;
	} bad[] = {
		{"member add --community Nulle --family A --first B", "Nulle", 3},
		{"member add --community 42 --family A --first B", "42", 3},
		{"member add --community CdP --family '' --first B", "nom de famille vide", 2},
		{"member add --community CdP --family A --first '   '", "prénom vide", 2},
		{"member add --community CdP --family A --first B --birth 31/02", "31/02", 2},
		{"member add --community CdP --family A --first B --birth 12/13", "12/13", 2},
		{"member add --community CdP --family A --first B --joined 2025-02-29", "2025-02-29", 2},
		{"member add --community CdP --family A --first B --joined hier", "hier", 2},
		{"member add --community CdP --family A --first B --email pas-un-courriel", "pas-un-courriel", 2},
		{"member add --community CdP --family A --first B --email 'a@b'", "a@b", 2},
		{"member add --community CdP --family A --first B --org 'Organisme fantôme'", "Organisme fantôme", 2},
		{"member add --community CdP --family A --first B --role astronaute", "astronaute", 2},
		{"member add --community CdP --family A --first B --status effacée", "member remove", 2},
		{"member add --community CdP --family A", "--first", 2},
		{"member edit 1 --birth 30/02", "30/02", 2},
		{"member edit 1 --email x@", "x@", 2},
		{"member edit 1 --family ''", "vide", 2},
		{"member edit 1 --status annulée", "raison", 2},
		{"member edit 1 --status nimporte --reason x", "nimporte", 2},
		{"member edit 99 --family X", "99", 3},
		{"member show 99", "99", 3},
		{"member remove 99", "99", 3},
		{"member export abc", "abc", 3},
		{"member search ''", "vide", 2},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = nt_run(&n, "%s", bad[i].args);
		nt_expect(&r, bad[i].code, bad[i].args);
		if (!nt_has(r.err, bad[i].msg))
			fprintf(stderr, "%s: stderr lacks '%s':\n%s\n", bad[i].args, bad[i].msg, r.err);
		assert_true(nt_has(r.err, bad[i].msg));
		assert_true(nt_has(r.err, "erreur"));
		pxt_run_free(&r);
	}
	/* Nothing changed: the store's bytes are the same. */
	size_t after_len = 0;
	char *after = pxt_read_file(mdb, &after_len);
	assert_int_equal(before_len, after_len);
	assert_memory_equal(before, after, before_len);
	free(before);
	free(after);
	free(mdb);
	cJSON *m = nt_json(&n, "member show 1");
	assert_string_equal(cJSON_GetObjectItem(m, "family_name")->valuestring, "Gagnon");
	assert_string_equal(cJSON_GetObjectItem(m, "birth_day_month")->valuestring, "02/11");
	cJSON_Delete(m);
	/* English, with LANG. */
	nt_fails_en(&n, 3, "error: unknown community 'Nowhere'", "member add --community Nowhere --family A --first B");
	r = nt_run_en(&n, "member add --community CdP --family A --first B --birth 31/02");
	assert_true(nt_has(r.err, "invalid birth date '31/02'"));
	pxt_run_free(&r);
	r = nt_run_en(&n, "community add --name Z --framework nope");
	assert_true(nt_has(r.err, "unknown framework 'nope'"));
	pxt_run_free(&r);
	r = nt_run_en(&n, "member list");
	assert_true(nt_has(r.out, "First name"));
	pxt_run_free(&r);
	/* --json errors are JSON too. */
	r = nt_run(&n, "--json member show 77");
	nt_expect(&r, 3, "json error");
	cJSON *e = cJSON_Parse(r.out);
	assert_non_null(e);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(e, "ok")));
	cJSON_Delete(e);
	pxt_run_free(&r);
	nt_fini(&n);
}

static void
test_member_life(void **state)
{
	(void)state;
	nt_node n;
	nt_init(&n, "node-life");
	nt_ok(&n, "org add --name 'CLSC Nord' --sector public");
	nt_ok(&n, "community add --name CdP --framework example");
	nt_ok(&n, "member add --community CdP --family Bédard --first Élise --birth 29/02 --org 'CLSC Nord' "
	          "--job-title 'Intervenante' --discipline 'Travail social' --email elise.bedard@clsc.example "
	          "--role animatrice --consent oui --joined 15/01/2025");
	nt_ok(&n, "member add --community CdP --family Côté --first Émile");
	nt_ok(&n, "member add --community CdP --family Lavoie --first Bédardine --org 'CLSC Nord'");

	cJSON *m = nt_json(&n, "member show 1");
	assert_string_equal(cJSON_GetObjectItem(m, "first_name")->valuestring, "Élise");
	assert_string_equal(cJSON_GetObjectItem(m, "org")->valuestring, "CLSC Nord");
	assert_string_equal(cJSON_GetObjectItem(m, "role")->valuestring, "facilitator");
	assert_string_equal(cJSON_GetObjectItem(m, "status")->valuestring, "candidate");
	assert_string_equal(cJSON_GetObjectItem(m, "joined")->valuestring, "2025-01-15");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(m, "directory_consent")));
	cJSON_Delete(m);

	/* Search: prefix of the family or first name, accents and case ignored. */
	cJSON *s = nt_json(&n, "member search BED");
	assert_int_equal(cJSON_GetArraySize(s), 2); /* Bédard Élise, Bédardine Lavoie */
	cJSON_Delete(s);
	s = nt_json(&n, "member search 'bedard e'");
	assert_int_equal(cJSON_GetArraySize(s), 1);
	cJSON_Delete(s);
	s = nt_json(&n, "member search emi");
	assert_int_equal(cJSON_GetArraySize(s), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(s, 0), "family_name")->valuestring, "Côté");
	cJSON_Delete(s);
	s = nt_json(&n, "member search cote");
	assert_int_equal(cJSON_GetArraySize(s), 1);
	cJSON_Delete(s);
	s = nt_json(&n, "member search bed --org 'CLSC Nord'");
	assert_int_equal(cJSON_GetArraySize(s), 2);
	cJSON_Delete(s);
	s = nt_json(&n, "member search e --org 'Org Test'");
	assert_int_equal(cJSON_GetArraySize(s), 1); /* Émile, whose org is the node's own */
	cJSON_Delete(s);
	s = nt_json(&n, "member list --org 'CLSC Nord'");
	assert_int_equal(cJSON_GetArraySize(s), 2);
	cJSON_Delete(s);

	/* A rename moves the name index. */
	nt_ok(&n, "member edit 2 --family Tremblay");
	s = nt_json(&n, "member search cote");
	assert_int_equal(cJSON_GetArraySize(s), 0);
	cJSON_Delete(s);
	s = nt_json(&n, "member search tremb");
	assert_int_equal(cJSON_GetArraySize(s), 1);
	cJSON_Delete(s);

	/* Status changes keep their reason (LAU-7). */
	nt_ok(&n, "member edit 1 --status active");
	nt_ok(&n, "member edit 1 --status annulée --reason 'Bris de confidentialité'");
	m = nt_json(&n, "member show 1");
	assert_string_equal(cJSON_GetObjectItem(m, "status")->valuestring, "cancelled");
	assert_non_null(cJSON_GetObjectItem(m, "left")->valuestring);
	cJSON *h = cJSON_GetObjectItem(m, "history");
	assert_int_equal(cJSON_GetArraySize(h), 3);
	cJSON *last = cJSON_GetArrayItem(h, 2);
	assert_string_equal(cJSON_GetObjectItem(last, "from")->valuestring, "active");
	assert_string_equal(cJSON_GetObjectItem(last, "to")->valuestring, "cancelled");
	assert_string_equal(cJSON_GetObjectItem(last, "reason")->valuestring, "Bris de confidentialité");
	cJSON_Delete(m);
	nt_says(&n, "Bris de confidentialité", "member show 1");

	/* Export: everything about her, as JSON. */
	pxt_run r = nt_run(&n, "member export 1");
	nt_expect(&r, 0, "export");
	cJSON *x = cJSON_Parse(r.out);
	assert_non_null(x);
	cJSON *xm = cJSON_GetObjectItem(x, "member");
	assert_string_equal(cJSON_GetObjectItem(xm, "email")->valuestring, "elise.bedard@clsc.example");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(x, "community"), "name")->valuestring, "CdP");
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(x, "protocols")));
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(x, "attendance")));
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(x, "hours")));
	cJSON_Delete(x);
	pxt_run_free(&r);

	r = nt_run(&n, "member list");
	nt_expect(&r, 0, "list table");
	assert_true(nt_has(r.out, "Bédard"));
	assert_true(nt_has(r.out, "Adhésion"));
	pxt_run_free(&r);
	nt_fini(&n);
}

static void
test_member_erasure(void **state)
{
	(void)state;
	nt_node n;
	nt_init(&n, "node-erase");
	nt_ok(&n, "community add --name CdP --framework laurentides");
	for (int i = 0; i < 5; i++) {
		nt_ok(&n, "member add --community CdP --family Membre%d --first Test --joined 2025-0%d-10", i, i + 1);
	}
	nt_ok(&n, "member add --community CdP --family Quattlebaum --first Zéphyrine --birth 07/08 "
	          "--email zephyrine.q@exemple.org --job-title 'Nutritionniste' --joined 2025-03-01");
	nt_ok(&n, "member edit 6 --status suspendue --reason 'Absences répétées de Zéphyrine'");
	/* Her name also lands in a protocol, free text of hours and an approval. */
	nt_ok(&n, "protocol new 6");
	pxt_run r = pxt_sh("PRAXIS_PASSPHRASE=secret %s/praxis-node --data '%s' protocol sign 1 --as member --date 2025-04-01",
	           PXT_BIN_DIR, n.data);
	nt_expect(&r, 0, "protocol sign");
	pxt_run_free(&r);
	r = pxt_sh("PRAXIS_PASSPHRASE=secret %s/praxis-node --data '%s' protocol sign 1 --as director --date 2025-04-02",
	           PXT_BIN_DIR, n.data);
	nt_expect(&r, 0, "protocol sign director");
	pxt_run_free(&r);
	cJSON *before = nt_json(&n, "report annual CdP 2025 --format json");
	cJSON *bp = cJSON_GetObjectItem(before, "protocols");
	assert_int_equal(cJSON_GetObjectItem(bp, "signed_valid")->valueint, 1);
	nt_ok(&n, "hours log 6 --month 2025-04 --hours 2 --activity 'Fiche préparée par Quattlebaum'");
	nt_ok(&n, "approval add --community CdP --member 6 --year 2025 --hours 4 --manager 'M. Gestion' "
	          "--reason 'Quattlebaum prépare la formation'");
	char *mdb = nt_mdb(&n);
	assert_true(pxt_file_contains(mdb, "Quattlebaum", 11));
	assert_true(pxt_file_contains(mdb, "zephyrine.q@exemple.org", 23));
	assert_int_equal(nt_member_count(&n, "CdP"), 6);

	nt_ok(&n, "member remove 6");
	/* No trace of her in the LMDB file's bytes. */
	assert_false(pxt_file_contains(mdb, "Quattlebaum", 11));
	assert_false(pxt_file_contains(mdb, "quattlebaum", 11)); /* the normalized index key */
	assert_false(pxt_file_contains(mdb, "Zéphyrine", strlen("Zéphyrine")));
	assert_false(pxt_file_contains(mdb, "zephyrine", 9));
	assert_false(pxt_file_contains(mdb, "Nutritionniste", 14));
	assert_false(pxt_file_contains(mdb, "Absences répétées", strlen("Absences répétées")));
	/* Her hours still count, anonymously; her protocol is gone. */
	r = nt_run(&n, "member export 6");
	nt_expect(&r, 0, "export erased");
	cJSON *hx = cJSON_Parse(r.out);
	assert_non_null(hx);
	cJSON *hh = cJSON_GetObjectItem(hx, "hours");
	assert_int_equal(cJSON_GetArraySize(hh), 1);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(hh, 0), "hours")->valueint, 2);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(hh, 0), "activity")->valuestring, "");
	/* Her protocols stay as anonymous tombstones, for the counts. */
	cJSON *hp = cJSON_GetObjectItem(hx, "protocols");
	assert_int_equal(cJSON_GetArraySize(hp), 1);
	cJSON_Delete(hx);
	pxt_run_free(&r);
	cJSON *after = nt_json(&n, "report annual CdP 2025 --format json");
	const char *keys[] = {"signed_valid", "unsigned", "broken", "cancelled_in_year"};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(after, "protocols"), keys[i])->valueint,
		                 cJSON_GetObjectItem(bp, keys[i])->valueint);
	cJSON_Delete(after);
	cJSON_Delete(before);
	cJSON *pj = nt_json(&n, "protocol show 1");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(pj, "erased")));
	assert_string_equal(cJSON_GetObjectItem(pj, "family_name")->valuestring, "");
	cJSON *sg;
	cJSON_ArrayForEach(sg, cJSON_GetObjectItem(pj, "signatures"))
		assert_string_equal(cJSON_GetObjectItem(sg, "state")->valuestring, "valid");
	cJSON_Delete(pj);
	nt_ok(&n, "protocol verify 1");
	/* Her names left by right: the framework does not see a form with
	 * missing fields (LAU-2). */
	r = nt_run(&n, "audit CdP --json");
	assert_null(strstr(r.out, "LAU-2"));
	pxt_run_free(&r);
	/* Kept for counts only: no more signing or cancelling. */
	nt_fails(&n, 2, "le protocole 1 est celui d'un membre effacé : il ne sert plus qu'aux comptes",
	         "protocol sign 1 --as director");
	nt_fails(&n, 2, "le protocole 1 est celui d'un membre effacé", "protocol cancel 1 --reason 'départ'");
	nt_fails_en(&n, 2, "protocol 1 belongs to an erased member: it is kept for counts only",
	            "protocol cancel 1 --reason gone");
	/* The others are still there, and the counts stay right. */
	assert_true(pxt_file_contains(mdb, "Membre3", 7));
	assert_int_equal(nt_member_count(&n, "CdP"), 6);
	cJSON *l = nt_json(&n, "member list --community CdP");
	assert_int_equal(cJSON_GetArraySize(l), 5);
	cJSON_Delete(l);
	cJSON *m = nt_json(&n, "member show 6");
	assert_string_equal(cJSON_GetObjectItem(m, "status")->valuestring, "erased");
	assert_string_equal(cJSON_GetObjectItem(m, "family_name")->valuestring, "");
	assert_string_equal(cJSON_GetObjectItem(m, "joined")->valuestring, "2025-03-01");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(m, "birth_day_month")));
	cJSON_Delete(m);
	cJSON *s = nt_json(&n, "member search quat");
	assert_int_equal(cJSON_GetArraySize(s), 0);
	cJSON_Delete(s);
	nt_fails(&n, 2, "le membre n° 6 est déjà effacé", "member remove 6");
	nt_fails(&n, 2, "le membre n° 6 a été effacé", "member edit 6 --family Revenante");
	nt_fails_en(&n, 2, "member #6 was erased", "member edit 6 --family Revenante");
	nt_fails_en(&n, 3, "unknown member '60'", "member export 60");
	/* The store still works after compaction. */
	nt_ok(&n, "member add --community CdP --family Après --first Compactage");
	assert_int_equal(nt_member_count(&n, NULL), 7);
	free(mdb);
	nt_fini(&n);
}

static void
test_plugin_and_audit(void **state)
{
	(void)state;
	nt_node n;
	nt_init(&n, "node-plugin");
	cJSON *p = nt_json(&n, "plugin list");
	cJSON *arr = cJSON_GetObjectItem(p, "plugins");
	bool lau = false, bru = false;
	cJSON *e;
	cJSON_ArrayForEach(e, arr)
	{
		const char *nm = cJSON_GetObjectItem(e, "name")->valuestring;
		lau |= strcmp(nm, "laurentides") == 0;
		bru |= strcmp(nm, "brusano") == 0;
	}
	assert_true(lau && bru);
	cJSON_Delete(p);
	p = nt_json(&n, "plugin info cisss");
	bool cap = false;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(p, "params"))
	{
		if (strcmp(cJSON_GetObjectItem(e, "name")->valuestring, "annual_hours_cap") == 0) {
			cap = true;
			assert_string_equal(cJSON_GetObjectItem(e, "default")->valuestring, "24");
		}
	}
	assert_true(cap);
	assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(p, "rules")) >= 7);
	cJSON_Delete(p);
	pxt_run r = nt_run(&n, "plugin info cisss");
	nt_expect(&r, 0, "plugin info");
	assert_true(nt_has(r.out, "CIS-3"));
	assert_true(nt_has(r.out, "annual_hours_cap"));
	pxt_run_free(&r);
	r = nt_run(&n, "plugin info absent");
	nt_expect(&r, 3, "plugin info unknown");
	pxt_run_free(&r);

	/* Config file override shows as the node's value. */
	char *ini = NULL;
	assert_true(asprintf(&ini, "%s/praxis-node.ini", n.data) > 0);
	const char *cfg = "[node]\nk = 7\n[plugin.cisss]\nannual_hours_cap = 30\n";
	assert_true(pxt_write_file(ini, cfg, strlen(cfg)));
	p = nt_json(&n, "plugin info cisss");
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(p, "params"))
	{
		if (strcmp(cJSON_GetObjectItem(e, "name")->valuestring, "annual_hours_cap") == 0)
			assert_string_equal(cJSON_GetObjectItem(e, "node_value")->valuestring, "30");
	}
	cJSON_Delete(p);
	/* A bad override is reported when the plugin runs. */
	nt_ok(&n, "community add --name C --framework cisss");
	const char *bad = "[plugin.cisss]\nannual_hours_cap = lots\n";
	assert_true(pxt_write_file(ini, bad, strlen(bad)));
	r = nt_run(&n, "audit C");
	assert_int_not_equal(r.status, 0);
	assert_true(nt_has(r.err, "annual_hours_cap"));
	pxt_run_free(&r);
	unlink(ini);
	free(ini);

	nt_ok(&n, "community add --name Amalgame --framework laurentides");
	r = nt_run(&n, "audit");
	nt_expect(&r, 0, "audit");
	assert_true(nt_has(r.out, "Amalgame"));
	assert_true(nt_has(r.out, "LAU-"));
	pxt_run_free(&r);
	cJSON *a = nt_json(&n, "audit Amalgame");
	cJSON *comms = cJSON_GetObjectItem(a, "communities");
	assert_int_equal(cJSON_GetArraySize(comms), 1);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(comms, 0), "plugin_loaded")));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(a, "errors")));
	cJSON_Delete(a);
	r = nt_run(&n, "audit Inexistante");
	nt_expect(&r, 3, "audit unknown");
	pxt_run_free(&r);
	r = nt_run(&n, "audit Amalgame --from 2025-01-01");
	nt_expect(&r, 2, "audit half period");
	pxt_run_free(&r);
	nt_fini(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_help_and_usage),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_help_options_accepted),
		cmocka_unit_test(test_org_and_community),
		cmocka_unit_test(test_member_bad_input),
		cmocka_unit_test(test_member_life),
		cmocka_unit_test(test_member_erasure),
		cmocka_unit_test(test_plugin_and_audit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
