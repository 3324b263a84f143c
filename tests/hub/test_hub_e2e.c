/*
 * End to end: a real praxis-hub and three real praxis-node processes
 * (frameworks rocfm, cisss, brusano) on loopback. Data is created through
 * the node CLI, nodes enroll with join tokens and sync; the hub's
 * aggregates must equal sums computed here from the nodes' own listings.
 * Then the hub is stopped while a node syncs and restarted: the node
 * delivers everything, once.
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
#include <unistd.h>

#define HUB PXT_BIN_DIR "/praxis-hub"
#define NODE PXT_BIN_DIR "/praxis-node"

static struct {
	char *dir;
	char hubdata[512], hublog[600];
	int rpc_port, http_port;
	pid_t hub;
} T;

static const struct {
	const char *name, *framework, *tenant, *region;
} N[3] = {
	{"n1", "rocfm", "maison-famille", "Montréal"},
	{"n2", "cisss", "cisss-laurentides", "Laurentides"},
	{"n3", "brusano", "brusano", "Bruxelles"},
};

static void
node(const char *n, const char *fmt, ...) PX_PRINTF(2, 3);
static void
node(const char *n, const char *fmt, ...)
{
	char args[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	free(hubt_sh(0, "'%s' --data '%s/%s' %s", NODE, T.dir, n, args));
}

static void
hub_start(void)
{
	char http[64];
	snprintf(http, sizeof http, "127.0.0.1:%d", T.http_port);
	const char *argv[] = {HUB, "--data", T.hubdata, "serve", "--http", http, NULL};
	T.hub = hubt_spawn(T.hublog, argv);
	assert_true(hubt_wait_log(T.hub, T.hublog, "\nprêt", 30));
}

static cJSON *
hub_report(const char *args)
{
	char *out = hubt_sh(0, "'%s' --data '%s' report --json %s", HUB, T.hubdata, args);
	cJSON *j = cJSON_Parse(out);
	free(out);
	assert_non_null(j);
	return j;
}

static double
ind(const cJSON *row, const char *name)
{
	const cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(row, "indicators"), name);
	const cJSON *v = cJSON_GetObjectItem(x, "value");
	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static const cJSON *
group(const cJSON *j, const char *list, const char *key, const char *val)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, list))
		if (strcmp(cJSON_GetObjectItem(e, key)->valuestring, val) == 0)
			return e;
	fail_msg("no %s row %s", list, val);
	return NULL;
}

/* Figures of one node for 2025, computed from its own listings. */
typedef struct figures {
	int active, fresh, held;
} figures;

static figures
node_figures(const char *n)
{
	figures f = {0, 0, 0};
	char *out = hubt_sh(0, "'%s' --data '%s/%s' member list --community 1 --json", NODE, T.dir, n);
	cJSON *j = cJSON_Parse(out);
	free(out);
	assert_non_null(j);
	const cJSON *m;
	cJSON_ArrayForEach(m, j) {
		const char *st = cJSON_GetObjectItem(m, "status")->valuestring;
		const char *joined = cJSON_GetObjectItem(m, "joined")->valuestring;
		const cJSON *left = cJSON_GetObjectItem(m, "left");
		if (strcmp(st, "candidate") == 0 || strcmp(joined, "2025-12-31") > 0)
			continue;
		if (cJSON_IsString(left) && strcmp(left->valuestring, "2025-01-01") < 0)
			continue;
		f.active++;
		if (strcmp(joined, "2025-01-01") >= 0)
			f.fresh++;
	}
	cJSON_Delete(j);
	out = hubt_sh(0, "'%s' --data '%s/%s' meeting list --community 1 --json", NODE, T.dir, n);
	j = cJSON_Parse(out);
	free(out);
	assert_non_null(j);
	cJSON_ArrayForEach(m, j) {
		const char *d = cJSON_GetObjectItem(m, "date")->valuestring;
		if (cJSON_IsTrue(cJSON_GetObjectItem(m, "held")) && strncmp(d, "2025-", 5) == 0)
			f.held++;
	}
	cJSON_Delete(j);
	return f;
}

static void
create_data(void)
{
	/* n1: ROCFM families; the host organization is a ROCFM member group. */
	node("n1", "init --name 'Maison de la famille' --region Montréal");
	node("n1", "org edit 1 --rocfm yes");
	node("n1", "community add --name 'CdP Familles Est' --framework rocfm --region Montréal --host-org 1");
	for (int i = 1; i <= 6; i++)
		node("n1", "member add --community 1 --family Tremblay%d --first Julie%d --org 1 --status active "
		           "--joined 2025-01-10 --consent oui", i, i);
	node("n1", "member add --community 1 --family Candidate --first Zoé --org 1 --status candidate "
	           "--joined 2025-02-01");
	node("n1", "meeting add --community 1 --date 2024-12-02 --kind welcome --held");
	const char *d1[] = {"2025-01-13", "2025-02-10", "2025-03-10"};
	for (int i = 0; i < 3; i++)
		node("n1", "meeting add --community 1 --date %s --held", d1[i]);
	/* n2: CISSS clinical framework, one job title. */
	node("n2", "init --name 'CISSS des Laurentides' --sector public --region Laurentides");
	node("n2", "community add --name 'CdP Travail social' --framework cisss --region Laurentides --host-org 1 "
	           "--job-title 'Travailleuse sociale' --sponsor 'M. Gestionnaire' --facilitator animator:Anne");
	for (int i = 1; i <= 5; i++)
		node("n2", "member add --community 1 --family Gagnon%d --first Marie%d --org 1 --job-title "
		           "'Travailleuse sociale' --status active --joined 2025-01-10 --consent oui", i, i);
	node("n2", "meeting add --community 1 --date 2025-02-20 --duration 3.5 --held");
	node("n2", "meeting add --community 1 --date 2025-05-15 --duration 3.5 --held");
	/* n3: a Brusano local group, two organizations, a cycle begun in September. */
	node("n3", "init --name Brusano --sector associative --region Bruxelles");
	node("n3", "org add --name 'CPAS Anderlecht' --sector public");
	node("n3", "community add --name 'Groupe local Nord-Ouest' --framework brusano --region 'Bassin Nord-Ouest' "
	           "--host-org 1 --cycle-start 2024-09-01 --cycle-end 2025-06-30 --facilitator moderator:Alice "
	           "--facilitator moderator:Bruno");
	for (int i = 1; i <= 7; i++)
		node("n3", "member add --community 1 --family Janssens%d --first Lies%d --org %d --discipline d%d "
		           "--status active --joined 2024-09-01 --consent oui", i, i, i % 2 + 1, i);
	const char *d3[] = {"2024-10-07", "2025-01-06", "2025-02-03", "2025-03-03", "2025-04-07"};
	for (int i = 0; i < 5; i++)
		node("n3", "meeting add --community 1 --date %s --held", d3[i]);
}

static int
setup(void **state)
{
	(void)state;
	T.dir = pxt_tmpdir("hube2e");
	snprintf(T.hubdata, sizeof T.hubdata, "%s/hub", T.dir);
	snprintf(T.hublog, sizeof T.hublog, "%s/hub.log", T.dir);
	T.rpc_port = hubt_free_port();
	do
		T.http_port = hubt_free_port();
	while (T.http_port == T.rpc_port);
	free(hubt_sh(0, "'%s' --data '%s' init --listen tcp://127.0.0.1:%d", HUB, T.hubdata, T.rpc_port));
	hub_start();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	int st = T.hub > 0 ? hubt_stop(T.hub) : 0;
	if (st != 0) {
		char *log = pxt_read_file(T.hublog, NULL);
		fprintf(stderr, "hub log:\n%s\n", log ? log : "");
		free(log);
	}
	pxt_tmpdir_free(T.dir);
	return st == 0 ? 0 : -1;
}

static void
test_federation_sums(void **state)
{
	(void)state;
	create_data();
	for (int i = 0; i < 3; i++) {
		char *tok = hubt_sh(0, "'%s' --data '%s' tenant add %s --region '%s'", HUB, T.hubdata, N[i].tenant,
		               N[i].region);
		tok[strcspn(tok, "\n")] = '\0';
		node(N[i].name, "enroll %s", tok);
		/* The token is single-use, also for the node that used it. */
		free(hubt_sh(2, "'%s' --data '%s/%s' enroll %s", NODE, T.dir, N[i].name, tok));
		free(tok);
		char *out = hubt_sh(0, "'%s' --json --data '%s/%s' sync --period 2025", NODE, T.dir, N[i].name);
		cJSON *j = cJSON_Parse(out);
		free(out);
		assert_non_null(j);
		assert_int_equal(cJSON_GetObjectItem(j, "sent")->valueint, 1);
		assert_int_equal(cJSON_GetObjectItem(j, "pending")->valueint, 0);
		cJSON_Delete(j);
	}
	figures f[3], sum = {0, 0, 0};
	for (int i = 0; i < 3; i++) {
		f[i] = node_figures(N[i].name);
		sum.active += f[i].active;
		sum.fresh += f[i].fresh;
		sum.held += f[i].held;
	}
	/* What was created: 6 + 5 + 7 active members, 3 + 2 + 4 meetings in 2025. */
	assert_int_equal(sum.active, 18);
	assert_int_equal(sum.held, 9);
	cJSON *j = hub_report("--period 2025");
	const cJSON *total = cJSON_GetObjectItem(j, "total");
	assert_int_equal(cJSON_GetObjectItem(total, "communities")->valueint, 3);
	assert_true(ind(total, "members_active") == sum.active);
	assert_true(ind(total, "members_new") == sum.fresh);
	assert_true(ind(total, "meetings_held") == sum.held);
	for (int i = 0; i < 3; i++) {
		const cJSON *g = group(j, "by_framework", "framework", N[i].framework);
		assert_true(ind(g, "members_active") == f[i].active);
		assert_true(ind(g, "meetings_held") == f[i].held);
		if (strcmp(N[i].framework, "rocfm") == 0) /* ROC-2: December welcome, Jan-Jun, September review */
			assert_true(ind(g, "meetings_expected") == 8);
		g = group(j, "by_tenant", "tenant", N[i].tenant);
		assert_int_equal(cJSON_GetObjectItem(g, "communities")->valueint, 1);
	}
	cJSON_Delete(j);
	/* A second sync finds nothing new: no revision, nothing sent. */
	char *out = hubt_sh(0, "'%s' --json --data '%s/n1' sync --period 2025", NODE, T.dir);
	j = cJSON_Parse(out);
	free(out);
	assert_int_equal(cJSON_GetObjectItem(j, "unchanged")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(j, "sent")->valueint, 0);
	cJSON_Delete(j);
}

/* The attempts of n1's only outbox entry, read while its sync runs. */
static int
outbox_attempts(void)
{
	char *out = hubt_sh(0, "'%s' --json --data '%s/n1' outbox list", NODE, T.dir);
	cJSON *j = cJSON_Parse(out);
	free(out);
	int a = -1;
	if (cJSON_GetArraySize(j) == 1)
		a = cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "attempts")->valueint;
	cJSON_Delete(j);
	return a;
}

static void
test_hub_restart_during_sync(void **state)
{
	(void)state;
	assert_int_equal(hubt_stop(T.hub), 0);
	T.hub = 0;
	/* New data: the next report of n1 is a new revision. */
	node("n1", "member add --community 1 --family Roy --first Léa --org 1 --status active --joined 2025-05-01 --consent oui");
	node("n1", "member add --community 1 --family Roy --first Éva --org 1 --status active --joined 2025-05-01 --consent oui");
	figures before = node_figures("n1");
	char log[700];
	snprintf(log, sizeof log, "%s/sync.log", T.dir);
	char data[600];
	snprintf(data, sizeof data, "%s/n1", T.dir);
	const char *argv[] = {NODE, "--json", "--data", data, "sync", "--period", "2025", "--max-wait", "120", NULL};
	pid_t sync = hubt_spawn(log, argv);
	/* Wait until the node has tried and failed at least once. */
	int attempts = 0;
	for (int i = 0; i < 600 && attempts < 1; i++) {
		attempts = outbox_attempts();
		if (attempts < 1) {
			struct timespec ts = {0, 50 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	assert_true(attempts >= 1);
	hub_start();
	assert_int_equal(hubt_wait(sync), 0);
	char *out = pxt_read_file(log, NULL);
	assert_non_null(strstr(out, "\"pending\":0"));
	free(out);
	/* Everything delivered, nothing doubled. */
	cJSON *j = hub_report("--period 2025");
	const cJSON *total = cJSON_GetObjectItem(j, "total");
	assert_int_equal(cJSON_GetObjectItem(total, "communities")->valueint, 3);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rows")), 3);
	assert_true(ind(group(j, "by_framework", "framework", "rocfm"), "members_active") == before.active);
	assert_true(ind(total, "members_active") == 20);
	cJSON_Delete(j);
	out = hubt_sh(0, "'%s' --json --data '%s/n1' outbox list", NODE, T.dir);
	assert_string_equal(out, "[]\n");
	free(out);
}

/* `serve` syncs on its timer until SIGTERM: a change made while it runs
 * reaches the hub without any other command. */
static void
test_serve_on_timer(void **state)
{
	(void)state;
	char log[700], data[600];
	snprintf(log, sizeof log, "%s/serve.log", T.dir);
	snprintf(data, sizeof data, "%s/n2", T.dir);
	const char *argv[] = {NODE, "--data", data, "serve", "--interval", "0.3", "--period", "2025", NULL};
	pid_t serve = hubt_spawn(log, argv);
	node("n2", "member add --community 1 --family Gagnon6 --first Marie6 --org 1 --job-title "
	           "'Travailleuse sociale' --status active --joined 2025-03-01 --consent oui");
	figures f = node_figures("n2");
	assert_int_equal(f.active, 6);
	double seen = 0;
	for (int i = 0; i < 600 && seen != f.active; i++) {
		cJSON *j = hub_report("--period 2025 --framework cisss");
		seen = ind(cJSON_GetObjectItem(j, "total"), "members_active");
		cJSON_Delete(j);
		if (seen != f.active) {
			struct timespec ts = {0, 100 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	assert_true(seen == f.active);
	assert_int_equal(hubt_stop(serve), 0);
	cJSON *j = hub_report("--period 2025");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "total"), "communities")->valueint, 3);
	assert_true(ind(cJSON_GetObjectItem(j, "total"), "members_active") == 21);
	cJSON_Delete(j);
}

/* A node with a large outbox: 20 communities x 12 months = 240 reports,
 * sent in batches (SubmitReports of up to 64: 4 calls), every report once
 * in the hub, none left in the outbox; a sync after it sends nothing. */
#define LO_COMMUNITIES 20

static void
test_sync_large_outbox(void **state)
{
	(void)state;
	node("n4", "init --name 'Grand réseau' --region Laval");
	for (int i = 1; i <= LO_COMMUNITIES; i++)
		node("n4", "community add --name 'CdP %02d' --framework laurentides --region Laval",
		     i);
	char *tok =
	    hubt_sh(0, "'%s' --data '%s' tenant add grand-reseau --region Laval", HUB, T.hubdata);
	tok[strcspn(tok, "\n")] = '\0';
	node("n4", "enroll %s", tok);
	free(tok);
	char periods[256] = "";
	for (int m = 1; m <= 12; m++)
		snprintf(periods + strlen(periods), sizeof periods - strlen(periods), "%s2024-%02d",
		         m > 1 ? "," : "", m);
	char *out = hubt_sh(0, "'%s' --json --data '%s/n4' sync --period %s", NODE, T.dir, periods);
	cJSON *j = cJSON_Parse(out);
	free(out);
	assert_non_null(j);
	assert_int_equal(cJSON_GetObjectItem(j, "built")->valueint, LO_COMMUNITIES * 12);
	assert_int_equal(cJSON_GetObjectItem(j, "sent")->valueint, LO_COMMUNITIES * 12);
	assert_int_equal(cJSON_GetObjectItem(j, "duplicate")->valueint, 0);
	assert_int_equal(cJSON_GetObjectItem(j, "pending")->valueint, 0);
	assert_int_equal(cJSON_GetObjectItem(j, "calls")->valueint,
	                 (LO_COMMUNITIES * 12 + 63) / 64);
	cJSON_Delete(j);
	j = hub_report("--tenant grand-reseau");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rows")), LO_COMMUNITIES * 12);
	cJSON_Delete(j);
	for (int m = 1; m <= 12; m++) {
		char args[64];
		snprintf(args, sizeof args, "--tenant grand-reseau --period 2024-%02d", m);
		j = hub_report(args);
		assert_int_equal(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "total"), "communities")->valueint,
		    LO_COMMUNITIES);
		cJSON_Delete(j);
	}
	out = hubt_sh(0, "'%s' --json --data '%s/n4' outbox list", NODE, T.dir);
	assert_string_equal(out, "[]\n");
	free(out);
	out = hubt_sh(0, "'%s' --json --data '%s/n4' sync --period %s", NODE, T.dir, periods);
	j = cJSON_Parse(out);
	free(out);
	assert_int_equal(cJSON_GetObjectItem(j, "unchanged")->valueint, LO_COMMUNITIES * 12);
	assert_int_equal(cJSON_GetObjectItem(j, "sent")->valueint, 0);
	assert_int_equal(cJSON_GetObjectItem(j, "calls")->valueint, 0);
	cJSON_Delete(j);
}

/* A report the hub refuses inside a batch: n5 is a copy of n4 (same
 * community uids) enrolled with a new key for another tenant; of its
 * first batch the 20 reports of n4's communities are refused (they belong
 * to n4's tenant), each with its message, and stay pending with their
 * error; its own new community's report is stored. */
static void
test_sync_refused_in_batch(void **state)
{
	(void)state;
	free(hubt_sh(0, "cp -a '%s/n4' '%s/n5'", T.dir, T.dir));
	char *tok = hubt_sh(0, "'%s' --data '%s' tenant add clone --region Laval", HUB, T.hubdata);
	tok[strcspn(tok, "\n")] = '\0';
	node("n5", "enroll %s --new-key", tok);
	free(tok);
	node("n5", "community add --name 'CdP à soi' --framework laurentides --region Laval");
	pxt_run r = pxt_sh("'%s' --json --data '%s/n5' sync --period 2024-Q4", NODE, T.dir);
	if (r.status != 2)
		fprintf(stderr, "sync: exit %d\n%s\n%s\n", r.status, r.out, r.err);
	assert_int_equal(r.status, 2);
	cJSON *j = cJSON_Parse(r.out);
	assert_non_null(j);
	assert_int_equal(cJSON_GetObjectItem(j, "built")->valueint, LO_COMMUNITIES + 1);
	assert_int_equal(cJSON_GetObjectItem(j, "sent")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(j, "refused")->valueint, LO_COMMUNITIES);
	assert_int_equal(cJSON_GetObjectItem(j, "pending")->valueint, LO_COMMUNITIES);
	assert_int_equal(cJSON_GetObjectItem(j, "calls")->valueint, 1);
	cJSON_Delete(j);
	/* Today's message, once per refused report. */
	int said = 0;
	for (const char *p = r.err;
	     (p = strstr(p, "refusé par le hub : PERMISSION_DENIED")) != NULL; p++)
		said++;
	assert_int_equal(said, LO_COMMUNITIES);
	assert_non_null(strstr(r.err, "appartient à une autre organisation"));
	pxt_run_free(&r);
	/* In English too; still refused, nothing stored twice. */
	r = pxt_sh("LANG=en_CA.UTF-8 '%s' --data '%s/n5' sync --no-build", NODE, T.dir);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "refused by the hub: PERMISSION_DENIED"));
	pxt_run_free(&r);
	char *out = hubt_sh(0, "'%s' --json --data '%s/n5' outbox list", NODE, T.dir);
	j = cJSON_Parse(out);
	free(out);
	assert_int_equal(cJSON_GetArraySize(j), LO_COMMUNITIES);
	const cJSON *e;
	cJSON_ArrayForEach(e, j)
	{
		assert_non_null(
		    strstr(cJSON_GetObjectItem(e, "last_error")->valuestring, "PERMISSION_DENIED"));
		assert_int_equal(cJSON_GetObjectItem(e, "attempts")->valueint, 2);
	}
	cJSON_Delete(j);
	j = hub_report("--tenant clone");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rows")), 1);
	cJSON_Delete(j);
	j = hub_report("--tenant grand-reseau --period 2024-Q4");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rows")), 0);
	cJSON_Delete(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_federation_sums),
	    cmocka_unit_test(test_hub_restart_during_sync),
	    cmocka_unit_test(test_serve_on_timer),
	    cmocka_unit_test(test_sync_large_outbox),
	    cmocka_unit_test(test_sync_refused_in_batch),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
