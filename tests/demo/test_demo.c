/*
 * make demo, end to end: runs scripts/demo.sh (a real hub and four real
 * nodes on loopback, enrolled with join tokens, loaded with the sample data
 * of praxis-demo-gen, audited, synced) with this build's binaries and a
 * temporary PRAXIS_DEMO_DIR, then checks:
 *   - the script exits 0 and says every process stopped;
 *   - no process whose command line names the demo directory is left;
 *   - the printed hub report names the four frameworks and the deliberate
 *     findings LAU-1, CIS-3, BRU-1 and BRU-4 (the last one only while a
 *     Brusano cycle runs, September to June: expected.env's FINDINGS);
 *   - the hub's report.json, per framework, has the communities, active
 *     members, meetings held and surveys (when not suppressed) that the
 *     generator counted itself (DIR/data/expected.env), and each deliberate
 *     finding under its own framework.
 */
#define _GNU_SOURCE
#include "pxt.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const demo_frameworks[] = {"laurentides", "rocfm", "cisss", "brusano"};

static struct {
	char *tmp;       /* pxt_tmpdir, removed at the end */
	char dir[600];   /* PRAXIS_DEMO_DIR given to the script */
	pxt_run run;     /* the script's exit status and output */
	char *expected;  /* DIR/data/expected.env */
	cJSON *report;   /* DIR/report.json */
} D;

/* Pids of processes (other than this one) whose command line contains
 * needle; returns how many were written to pids (at most max). */
static size_t
demo_procs_naming(const char *needle, pid_t *pids, size_t max)
{
	size_t n = 0;
	DIR *d = opendir("/proc");
	if (d == NULL)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < max) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid == getpid())
			continue;
		char path[64], cmd[8192];
		snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
		/* Read with fread: /proc files have no size for ftell. */
		FILE *f = fopen(path, "rb");
		if (f == NULL)
			continue;
		size_t len = fread(cmd, 1, sizeof cmd - 1, f);
		fclose(f);
		cmd[len] = '\0';
		/* Arguments are NUL-separated: join them with spaces. */
		for (size_t i = 0; i < len; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		if (strstr(cmd, needle) != NULL) {
			fprintf(stderr, "left running: pid %d: %s\n", (int)pid, cmd);
			pids[n++] = pid;
		}
	}
	closedir(d);
	return n;
}

/* The integer value of NAME=VALUE in expected.env; fails the test if absent. */
static long
demo_expected(const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = D.expected; p != NULL && *p != '\0';) {
		if (strncmp(p, name, nl) == 0 && p[nl] == '=')
			return strtol(p + nl + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	fail_msg("expected.env has no %s", name);
	return -1;
}

/* The deliberate findings the generator says this day's data shows
 * (FINDINGS='LAU-1 CIS-3 BRU-1 BRU-4'; BRU-4 only while a Brusano cycle
 * runs, September to June). Returns how many were written to rules. */
static int
demo_findings(char rules[][16], int max)
{
	const char *fl = D.expected != NULL ? strstr(D.expected, "FINDINGS='") : NULL;
	if (fl == NULL)
		fail_msg("expected.env has no FINDINGS");
	fl += strlen("FINDINGS='");
	int n = 0;
	while (*fl != '\'' && *fl != '\0' && n < max) {
		size_t len = strcspn(fl, " '");
		if (len == 0 || len >= 16)
			fail_msg("bad FINDINGS in expected.env");
		memcpy(rules[n], fl, len);
		rules[n][len] = '\0';
		n++;
		fl += len;
		while (*fl == ' ')
			fl++;
	}
	/* These three are in the data whatever the day. */
	static const char *const always[] = {"LAU-1", "CIS-3", "BRU-1"};
	for (size_t a = 0; a < 3; a++) {
		bool in = false;
		for (int i = 0; i < n; i++)
			in = in || strcmp(rules[i], always[a]) == 0;
		if (!in)
			fail_msg("%s missing from expected.env's FINDINGS", always[a]);
	}
	return n;
}

static int
demo_setup(void **state)
{
	(void)state;
	D.tmp = pxt_tmpdir("demo");
	if (D.tmp == NULL)
		return -1;
	snprintf(D.dir, sizeof D.dir, "%s/run", D.tmp);
	D.run = pxt_sh("PRAXIS_BIN='%s' PRAXIS_PLUGIN_PATH='%s' PRAXIS_DEMO_DIR='%s' sh '%s/scripts/demo.sh'",
	               PXT_BIN_DIR, PXT_PLUGIN_DIR, D.dir, PXT_SOURCE_DIR);
	if (D.run.out == NULL || D.run.err == NULL)
		return -1;
	if (D.run.status != 0)
		fprintf(stderr, "demo.sh exit %d\n--- stdout\n%s\n--- stderr\n%s\n", D.run.status, D.run.out,
		        D.run.err);
	char path[700];
	snprintf(path, sizeof path, "%s/data/expected.env", D.dir);
	D.expected = pxt_read_file(path, NULL);
	snprintf(path, sizeof path, "%s/report.json", D.dir);
	char *json = pxt_read_file(path, NULL);
	if (json != NULL)
		D.report = cJSON_Parse(json);
	free(json);
	return 0;
}

static int
demo_teardown(void **state)
{
	(void)state;
	/* Whatever a failed check left behind is stopped here, by pid. */
	pid_t pids[64];
	size_t n = demo_procs_naming(D.dir, pids, 64);
	for (size_t i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	cJSON_Delete(D.report);
	free(D.expected);
	pxt_run_free(&D.run);
	pxt_tmpdir_free(D.tmp);
	return 0;
}

static void
test_demo_exits_and_stops_everything(void **state)
{
	(void)state;
	assert_int_equal(D.run.status, 0);
	assert_non_null(strstr(D.run.out, "Tous les processus sont arrêtés."));
	pid_t pids[64];
	assert_int_equal(demo_procs_naming(D.dir, pids, 64), 0);
	/* The check itself sees a process that names the directory in an
	 * argument (here sh's $0), like praxis-hub --data DIR/hub. */
	pid_t probe = fork();
	assert_true(probe >= 0);
	if (probe == 0) {
		execl("/bin/sh", "sh", "-c", "sleep 60", D.dir, (char *)NULL);
		_exit(127);
	}
	/* Until the exec is done, /proc shows this test's own command line. */
	size_t seen = 0;
	for (int i = 0; i < 2000 && seen == 0; i++) {
		seen = demo_procs_naming(D.dir, pids, 64);
		if (seen == 0)
			usleep(5000);
	}
	kill(probe, SIGKILL);
	waitpid(probe, NULL, 0);
	assert_int_equal(seen, 1);
	assert_int_equal(pids[0], probe);
	/* The static dashboard was written where the script says. */
	char path[700];
	snprintf(path, sizeof path, "%s/dashboard/index.html", D.dir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 0);
	assert_non_null(strstr(D.run.out, path));
}

static void
test_demo_report_names_frameworks_and_findings(void **state)
{
	(void)state;
	assert_non_null(D.expected);
	/* Only the hub's part: the nodes' audits above it name findings too. */
	const char *hub = strstr(D.run.out, "== Rapport de la fédération");
	assert_non_null(hub);
	const char *by_fw = strstr(hub, "Par cadre");
	assert_non_null(by_fw);
	const char *line_end = strchr(by_fw, '\n');
	assert_non_null(line_end);
	/* The header line after "Par cadre" has one column per framework. */
	const char *header_end = strchr(line_end + 1, '\n');
	assert_non_null(header_end);
	for (size_t i = 0; i < 4; i++) {
		const char *f = strstr(line_end + 1, demo_frameworks[i]);
		if (f == NULL || f > header_end)
			fail_msg("framework %s not a column of the hub report", demo_frameworks[i]);
	}
	const char *findings = strstr(hub, "Constats des règles");
	assert_non_null(findings);
	char rules[8][16];
	int n = demo_findings(rules, 8);
	for (int i = 0; i < n; i++) {
		char want[160];
		snprintf(want, sizeof want, "\n  %s ", rules[i]);
		if (strstr(findings, want) == NULL)
			fail_msg("finding %s missing from the hub report", rules[i]);
	}
}

static const cJSON *
demo_framework(const char *fw)
{
	const cJSON *by = cJSON_GetObjectItemCaseSensitive(D.report, "by_framework");
	const cJSON *e;
	cJSON_ArrayForEach(e, by)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "framework");
		if (cJSON_IsString(name) && strcmp(name->valuestring, fw) == 0)
			return e;
	}
	return NULL;
}

/* Compares one figure of the hub with the generator's; a suppressed one is
 * skipped only when allowed. Returns 1 when compared. */
static int
demo_compare(const char *fw, const cJSON *entry, const char *figure, bool may_be_suppressed)
{
	char key[64];
	snprintf(key, sizeof key, "%s_%s", fw, figure);
	long want = demo_expected(key);
	const cJSON *ind = cJSON_GetObjectItemCaseSensitive(entry, "indicators");
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(ind, figure);
	if (it == NULL)
		fail_msg("%s: no %s in the hub's report", fw, figure);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "suppressed"))) {
		if (!may_be_suppressed)
			fail_msg("%s: %s suppressed (generator: %ld)", fw, figure, want);
		fprintf(stderr, "%s: %s suppressed by the small-cell rule (generator: %ld), not compared\n", fw,
		        figure, want);
		return 0;
	}
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "value");
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
		fail_msg("%s: %s is not a whole number", fw, figure);
	if ((long)v->valuedouble != want)
		fail_msg("%s: %s hub %ld, generator %ld", fw, figure, (long)v->valuedouble, want);
	return 1;
}

static void
test_demo_figures_match_generator(void **state)
{
	(void)state;
	assert_non_null(D.expected);
	assert_non_null(D.report);
	long total = 0;
	int compared = 0;
	for (size_t i = 0; i < 4; i++) {
		const char *fw = demo_frameworks[i];
		const cJSON *e = demo_framework(fw);
		if (e == NULL)
			fail_msg("no %s in the hub's by_framework", fw);
		char key[64];
		snprintf(key, sizeof key, "%s_communities", fw);
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "communities");
		assert_true(cJSON_IsNumber(c));
		if ((long)c->valuedouble != demo_expected(key))
			fail_msg("%s: communities hub %ld, generator %ld", fw, (long)c->valuedouble,
			         demo_expected(key));
		total += demo_expected(key);
		compared += demo_compare(fw, e, "members_active", false);
		compared += demo_compare(fw, e, "meetings_held", false);
		compared += demo_compare(fw, e, "surveys", true);
	}
	/* At least every framework's members and meetings were compared. */
	assert_true(compared >= 8);
	/* One report per community, and nothing else on the hub. */
	const cJSON *reports = cJSON_GetObjectItemCaseSensitive(D.report, "reports");
	assert_true(cJSON_IsNumber(reports));
	assert_int_equal((long)reports->valuedouble, total);
	char period[16];
	snprintf(period, sizeof period, "%ld", demo_expected("PERIOD"));
	const cJSON *row;
	cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(D.report, "rows"))
	{
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(row, "period");
		assert_true(cJSON_IsString(p));
		assert_string_equal(p->valuestring, period);
	}
}

/* Each deliberate finding is reported under its own framework. */
static void
test_demo_findings_under_their_framework(void **state)
{
	(void)state;
	assert_non_null(D.report);
	static const struct {
		const char *prefix, *fw;
	} fws[] = {{"LAU-", "laurentides"}, {"ROC-", "rocfm"}, {"CIS-", "cisss"}, {"BRU-", "brusano"}};
	char rules[8][16];
	int n = demo_findings(rules, 8);
	for (int i = 0; i < n; i++) {
		const char *fw = NULL;
		for (size_t j = 0; j < 4; j++)
			if (strncmp(rules[i], fws[j].prefix, 4) == 0)
				fw = fws[j].fw;
		if (fw == NULL)
			fail_msg("unknown framework for %s", rules[i]);
		const cJSON *e = demo_framework(fw);
		assert_non_null(e);
		bool found = false;
		const cJSON *f;
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(e, "findings"))
		{
			const cJSON *rule = cJSON_GetObjectItemCaseSensitive(f, "rule");
			const cJSON *sev = cJSON_GetObjectItemCaseSensitive(f, "severity");
			if (cJSON_IsString(rule) && strcmp(rule->valuestring, rules[i]) == 0 &&
			    cJSON_IsString(sev) && strcmp(sev->valuestring, "error") == 0)
				found = true;
		}
		if (!found)
			fail_msg("%s (error) not among %s's findings in report.json", rules[i], fw);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_exits_and_stops_everything),
		cmocka_unit_test(test_demo_report_names_frameworks_and_findings),
		cmocka_unit_test(test_demo_figures_match_generator),
		cmocka_unit_test(test_demo_findings_under_their_framework),
	};
	return cmocka_run_group_tests(tests, demo_setup, demo_teardown);
}
