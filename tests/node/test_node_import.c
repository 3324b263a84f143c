/*
 * test_node_import.c - `member import`: 1,000 rows with accents as a French
 * Excel writes them, comma files, bad rows (nothing imported, every bad
 * line named), bad files.
 */
#define _GNU_SOURCE
#include "node_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *
write_tmp(const nt_node *n, const char *name, const char *data, size_t len)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", n->dir, name) > 0);
	assert_true(pxt_write_file(p, data, len));
	return p;
}

static void
setup(nt_node *n, const char *tag)
{
	nt_init(n, tag);
	pxt_run r = nt_run(n, "org add --name 'Maison de la Famille Saint-Jérôme'");
	nt_expect(&r, 0, "org add");
	pxt_run_free(&r);
	r = nt_run(n, "community add --name CdP --framework example");
	nt_expect(&r, 0, "community add");
	pxt_run_free(&r);
}

static const char *const fams[] = {"Bédard", "Côté", "Gagnon", "Lévesque", "Ouellet", "Saint-Onge", "D'Amours",
                                   "Bélanger"};
static const char *const firsts[] = {"Élise", "Josée", "François", "Hélène", "Noël", "Zoé", "Maïté", "Ève"};

static void
test_import_1000(void **state)
{
	(void)state;
	nt_node n;
	setup(&n, "imp-1000");
	size_t cap = 1 << 20, len = 0;
	char *csv = malloc(cap);
	assert_non_null(csv);
	/* What Excel (French) writes with "CSV UTF-8": BOM, ';', CRLF. */
	len += (size_t)snprintf(csv + len, cap - len,
	                        "\xEF\xBB\xBFNom;Prénom;Date de naissance (jj/mm);Organisme;Titre d'emploi;"
	                        "Courriel;Statut;Date d'adhésion;Consentement annuaire;Remarque\r\n");
	for (int i = 0; i < 1000; i++) {
		len += (size_t)snprintf(csv + len, cap - len,
		                        "%s;%s%d;%02d/%02d;%s;\"Intervenante; soutien \"\"famille\"\"\";%s.%d@exemple.org;%s;"
		                        "%02d/%02d/2025;%s;\r\n",
		                        fams[i % 8], firsts[i % 8], i, i % 28 + 1, i % 12 + 1,
		                        i % 2 ? "Maison de la Famille Saint-Jérôme" : "", "membre", i,
		                        i % 3 ? "active" : "candidate", i % 28 + 1, i % 12 + 1, i % 2 ? "oui" : "non");
	}
	char *path = write_tmp(&n, "membres.csv", csv, len);
	pxt_run r = nt_run(&n, "--json member import '%s' --community CdP", path);
	nt_expect(&r, 0, "import 1000");
	cJSON *j = cJSON_Parse(r.out);
	assert_non_null(j);
	assert_int_equal(cJSON_GetObjectItem(j, "imported")->valueint, 1000);
	cJSON_Delete(j);
	assert_true(nt_has(r.err, "Remarque")); /* unknown column: ignored with a warning */
	pxt_run_free(&r);
	assert_int_equal(nt_member_count(&n, "CdP"), 1000);

	/* Accents survived, and search folds them. */
	cJSON *s = nt_json(&n, "member search bedard");
	assert_int_equal(cJSON_GetArraySize(s), 125);
	cJSON_Delete(s);
	s = nt_json(&n, "member search 'maite'");
	assert_int_equal(cJSON_GetArraySize(s), 125);
	cJSON_Delete(s);
	s = nt_json(&n, "member search 'd amours'");
	assert_int_equal(cJSON_GetArraySize(s), 125);
	cJSON_Delete(s);
	s = nt_json(&n, "member list --org 'Maison de la Famille Saint-Jérôme'");
	assert_int_equal(cJSON_GetArraySize(s), 500);
	cJSON_Delete(s);
	s = nt_json(&n, "member list --status active");
	assert_int_equal(cJSON_GetArraySize(s), 666);
	cJSON_Delete(s);
	/* Row 7 (i = 6): Maïté6, D'Amours, 07/07, quoted field with ; and "". */
	s = nt_json(&n, "member search 'maite6 d'");
	assert_int_equal(cJSON_GetArraySize(s), 1);
	cJSON *m = cJSON_GetArrayItem(s, 0);
	assert_string_equal(cJSON_GetObjectItem(m, "family_name")->valuestring, "D'Amours");
	assert_string_equal(cJSON_GetObjectItem(m, "first_name")->valuestring, "Maïté6");
	assert_string_equal(cJSON_GetObjectItem(m, "birth_day_month")->valuestring, "07/07");
	assert_string_equal(cJSON_GetObjectItem(m, "job_title")->valuestring, "Intervenante; soutien \"famille\"");
	assert_string_equal(cJSON_GetObjectItem(m, "email")->valuestring, "membre.6@exemple.org");
	assert_string_equal(cJSON_GetObjectItem(m, "joined")->valuestring, "2025-07-07");
	assert_string_equal(cJSON_GetObjectItem(m, "status")->valuestring, "candidate");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(m, "directory_consent")));
	cJSON_Delete(s);
	free(path);
	free(csv);
	nt_fini(&n);
}

static void
test_import_comma_multiline(void **state)
{
	(void)state;
	nt_node n;
	setup(&n, "imp-comma");
	/* No BOM, ',' separator, LF, English headers, a quoted field over two
	 * lines, separate day and month columns, a blank line. */
	const char *csv = "Family name,First name,Jour,Mois,Discipline,E-mail\n"
	                  "Nguyễn,Thị Mai,3,4,\"Travail social,\nvolet jeunesse\",mai@example.org\n"
	                  "\n"
	                  "Ødegård,Åse,29,2,Psychoéducation,\n";
	char *path = write_tmp(&n, "members.csv", csv, strlen(csv));
	nt_says(&n, "2 membre(s) importé(s)", "member import '%s' --community CdP --status active", path);
	cJSON *s = nt_json(&n, "member search odegard");
	assert_int_equal(cJSON_GetArraySize(s), 1);
	cJSON *m = cJSON_GetArrayItem(s, 0);
	assert_string_equal(cJSON_GetObjectItem(m, "birth_day_month")->valuestring, "29/02");
	assert_string_equal(cJSON_GetObjectItem(m, "status")->valuestring, "active");
	cJSON_Delete(s);
	s = nt_json(&n, "member search nguy");
	m = cJSON_GetArrayItem(s, 0);
	assert_string_equal(cJSON_GetObjectItem(m, "discipline")->valuestring, "Travail social,\nvolet jeunesse");
	cJSON_Delete(s);
	free(path);
	nt_fini(&n);
}

static void
test_import_bad_rows(void **state)
{
	(void)state;
	nt_node n;
	setup(&n, "imp-bad");
	char *mdb = nt_mdb(&n);
	size_t before_len;
	char *before = pxt_read_file(mdb, &before_len);
	/* Line 1 header; record 2 spans lines 2-3; bad rows on lines 5 and 9. */
	const char *csv = "Nom;Prénom;Naissance;Courriel\r\n"
	                  "Roy;Anne;01/01;\"anne\r\n@x\"\r\n"
	                  "Roy;Béa;02/02;bea@exemple.org\r\n"
	                  "Roy;Céline;31/02;celine@exemple.org\r\n"
	                  "Roy;Dan;04/04;dan@exemple.org\r\n"
	                  "Roy;Ève;05/05;eve@exemple.org\r\n"
	                  "Roy;Fée;06/06;fee@exemple.org\r\n"
	                  ";Gil;07/07;gil@exemple.org\r\n"
	                  "Roy;Hugo;08/08;hugo@exemple.org\r\n";
	char *path = write_tmp(&n, "mauvais.csv", csv, strlen(csv));
	pxt_run r = nt_run(&n, "member import '%s' --community CdP", path);
	nt_expect(&r, 2, "import bad rows");
	/* Line 3's record has a bad e-mail too: three bad records. */
	assert_true(nt_has(r.err, "ligne 2 : adresse courriel invalide"));
	assert_true(nt_has(r.err, "ligne 5 : date de naissance invalide « 31/02 »"));
	assert_true(nt_has(r.err, "ligne 9 : nom de famille vide"));
	assert_true(nt_has(r.err, "rien n'a été importé"));
	assert_false(nt_has(r.err, "ligne 4 "));
	assert_false(nt_has(r.err, "ligne 6 "));
	pxt_run_free(&r);
	assert_int_equal(nt_member_count(&n, NULL), 0);
	size_t after_len;
	char *after = pxt_read_file(mdb, &after_len);
	assert_int_equal(before_len, after_len);
	assert_memory_equal(before, after, before_len);
	free(after);
	free(path);

	/* Exactly two bad rows, JSON report. */
	const char *csv2 = "Nom;Prénom;Naissance;Organisme\n"
	                   "Roy;Anne;01/01;\n"
	                   "Roy;Béa;31/02;\n"
	                   "Roy;Céline;03/03;Organisme inconnu\n"
	                   "Roy;Dan;04/04;\n";
	path = write_tmp(&n, "deux.csv", csv2, strlen(csv2));
	r = nt_run(&n, "--json member import '%s' --community CdP", path);
	nt_expect(&r, 2, "import two bad");
	cJSON *j = cJSON_Parse(r.out);
	assert_non_null(j);
	cJSON *errs = cJSON_GetObjectItem(j, "errors");
	assert_int_equal(cJSON_GetArraySize(errs), 2);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(errs, 0), "line")->valueint, 3);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(errs, 1), "line")->valueint, 4);
	assert_true(nt_has(cJSON_GetObjectItem(cJSON_GetArrayItem(errs, 1), "reason")->valuestring, "Organisme inconnu"));
	cJSON_Delete(j);
	pxt_run_free(&r);
	r = nt_run_en(&n, "member import '%s' --community CdP", path);
	assert_true(nt_has(r.err, "line 3: invalid birth date '31/02'"));
	assert_true(nt_has(r.err, "nothing was imported"));
	pxt_run_free(&r);
	assert_int_equal(nt_member_count(&n, NULL), 0);
	free(path);
	free(before);
	free(mdb);
	nt_fini(&n);
}

static void
test_import_bad_files(void **state)
{
	(void)state;
	nt_node n;
	setup(&n, "imp-files");
	nt_fails(&n, 3, "/nonexistent/x.csv", "member import /nonexistent/x.csv --community CdP");
	const char *ok = "Nom;Prénom\nRoy;Anne\n";
	char *p = write_tmp(&n, "ok.csv", ok, strlen(ok));
	nt_fails(&n, 3, "Fantôme", "member import '%s' --community Fantôme", p);
	pxt_run r = nt_run(&n, "member import '%s'", p);
	nt_expect(&r, 2, "no community");
	pxt_run_free(&r);
	free(p);
	const char *nohdr = "Surnom;Âge\nRoy;40\n";
	p = write_tmp(&n, "nohdr.csv", nohdr, strlen(nohdr));
	r = nt_run(&n, "member import '%s' --community CdP", p);
	nt_expect(&r, 2, "no name columns");
	assert_true(nt_has(r.err, "ligne 1"));
	assert_true(nt_has(r.err, "Prénom"));
	pxt_run_free(&r);
	free(p);
	const char *latin1 = "Nom;Pr\xE9nom\nRoy;H\xE9l\xE8ne\n"; /* Windows-1252 */
	p = write_tmp(&n, "latin1.csv", latin1, strlen(latin1));
	nt_fails(&n, 2, "UTF-8", "member import '%s' --community CdP", p);
	free(p);
	const char *quote = "Nom;Prénom\nRoy;\"Anne\nRoy;Béa\n";
	p = write_tmp(&n, "quote.csv", quote, strlen(quote));
	nt_fails(&n, 2, "ligne 2", "member import '%s' --community CdP", p);
	free(p);
	p = write_tmp(&n, "vide.csv", "", 0);
	r = nt_run(&n, "member import '%s' --community CdP", p);
	nt_expect(&r, 2, "empty file");
	pxt_run_free(&r);
	free(p);
	assert_int_equal(nt_member_count(&n, NULL), 0);
	nt_fini(&n);
}

static void
test_import_progress(void **state)
{
	(void)state;
	nt_node n;
	setup(&n, "imp-progress");
	char *csv = malloc(1 << 16);
	assert_non_null(csv);
	size_t len = (size_t)sprintf(csv, "Nom;Prénom\n");
	for (int i = 0; i < 2000; i++)
		len += (size_t)sprintf(csv + len, "Roy%d;Anne\n", i);
	char *path = write_tmp(&n, "p.csv", csv, len);
	/* Not a terminal: no progress bar in the output. */
	pxt_run r = nt_run(&n, "member import '%s' --community CdP", path);
	nt_expect(&r, 0, "import");
	assert_false(nt_has(r.err, "Importation ["));
	pxt_run_free(&r);
	/* On a terminal (a pty from script(1)): the bar is drawn up to 100 %. */
	if (access("/usr/bin/script", X_OK) == 0) {
		char *data2 = NULL;
		assert_true(asprintf(&data2, "%s/data2", n.dir) > 0);
		r = pxt_sh("%s/praxis-node --data '%s' init --name T >/dev/null && "
		           "%s/praxis-node --data '%s' community add --name C --framework example >/dev/null 2>&1 && "
		           "script -qec \"%s/praxis-node --data '%s' member import '%s' --community C\" /dev/null",
		           PXT_BIN_DIR, data2, PXT_BIN_DIR, data2, PXT_BIN_DIR, data2, path);
		nt_expect(&r, 0, "import on a tty");
		assert_true(nt_has(r.out, "Importation ["));
		assert_true(nt_has(r.out, "100 %"));
		assert_true(nt_has(r.out, "2000 membre(s)"));
		pxt_run_free(&r);
		free(data2);
	}
	free(path);
	free(csv);
	nt_fini(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_1000),
		cmocka_unit_test(test_import_comma_multiline),
		cmocka_unit_test(test_import_bad_rows),
		cmocka_unit_test(test_import_bad_files),
		cmocka_unit_test(test_import_progress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
