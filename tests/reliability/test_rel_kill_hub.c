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
 *
 * Then the same for one batch (test_kill_hub_mid_batch): this test is a
 * node of its own (px_rpc client, enrolled by RPC) that sends a
 * SubmitReports of RK_BATCH reports, SIGKILLs the hub after a random
 * 0-40 ms (before, during or after the checks and the commit of the
 * batch), restarts it and sends the same batch again, as praxis-node sync
 * does after a failure: every report of the retry is acknowledged, and
 * either all as duplicates (the batch was committed before the kill) or
 * none (it was not): a batch is stored in one commit or not at all, and
 * never counted twice.
 * argv[1] = number of kills (20 in `make test`, 200 in `make test-long`;
 * half as many for the batch).
 */
#define _GNU_SOURCE
#include "hub.pb-c.h"
#include "px_crypto.h"
#include "px_jointoken.h"
#include "px_report.h"
#include "px_rpc.h"
#include "relt.h"
#include "relt_report.h"

#include <pthread.h>
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

/* ---- one batch, the hub killed under it ---- */

#define RK_BATCH 64

typedef struct rk_async {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	px_code code;
	size_t fresh, dup;
} rk_async;

static void
rk_done(void *arg, px_err err, ProtobufCMessage *resp, const px_status *st)
{
	rk_async *a = arg;
	pthread_mutex_lock(&a->mu);
	a->code = st->code;
	if (err == PX_OK && resp != NULL) {
		Praxis__SubmitReportsResponse *r = (Praxis__SubmitReportsResponse *)resp;
		for (size_t i = 0; i < r->n_results; i++)
			if (r->results[i]->code == 0)
				(*(r->results[i]->duplicate ? &a->dup : &a->fresh))++;
	}
	a->done = true;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
}

static Praxis__SignedReport *
rk_signed(const px_identity *id, int c, const char *period)
{
	char uid[48];
	snprintf(uid, sizeof uid, "kb-%02d", c);
	Praxis__SignedReport *sr = relt_report(id, uid, "CdP lot", period, 1767225600);
	assert_non_null(sr);
	return sr;
}

static void
test_kill_hub_mid_batch(void **state)
{
	(void)state;
	assert_int_equal(px_crypto_init(), PX_OK);
	relt_hub h;
	relt_hub_init(&h, "relkillb", false);
	assert_true(relt_hub_start(&h));
	uint8_t hub_pk[PX_PK_BYTES];
	char kp[700];
	snprintf(kp, sizeof kp, "%s/hub.key", h.data);
	assert_int_equal(px_identity_load_pk(kp, hub_pk), PX_OK);
	char *tok = relt_tenant_add(&h, "lots");
	px_jointoken jt;
	assert_int_equal(px_jointoken_parse(tok, strlen(tok), &jt), PX_OK);
	free(tok);
	px_identity *id = NULL;
	assert_int_equal(px_identity_generate(&id), PX_OK);
	px_rpc_method_idempotent(&praxis__hub__descriptor, "SubmitReports");
	px_rpc_client *cl = NULL;
	px_rpc_client_opts o = {0};
	o.url = h.url;
	o.identity = id;
	o.server_pk = hub_pk;
	o.timeout_ms = 60000;
	assert_int_equal(px_rpc_client_open(&cl, &o), PX_OK);
	Praxis__EnrollRequest er = PRAXIS__ENROLL_REQUEST__INIT;
	er.token_secret.data = jt.secret;
	er.token_secret.len = sizeof jt.secret;
	er.org_name = "Organisme lots";
	ProtobufCMessage *resp = NULL;
	px_status st;
	assert_int_equal(
	    px_rpc_call_named(cl, &praxis__hub__descriptor, "Enroll", &er.base, 0, &resp, &st),
	    PX_OK);
	protobuf_c_message_free_unpacked(resp, NULL);
	unsigned mi = (unsigned)(protobuf_c_service_descriptor_get_method_by_name(
	                             &praxis__hub__descriptor, "SubmitReports") -
	                         praxis__hub__descriptor.methods);
	int rounds = rk_kills / 2 > 0 ? rk_kills / 2 : 1;
	srand((unsigned)getpid());
	int first_ok = 0, committed = 0, not_committed = 0;
	for (int r = 0; r < rounds; r++) {
		char period[16];
		snprintf(period, sizeof period, "%04d-%02d", 1901 + r / 12, r % 12 + 1);
		Praxis__SignedReport *srs[RK_BATCH];
		for (int i = 0; i < RK_BATCH; i++)
			srs[i] = rk_signed(id, i, period);
		Praxis__SubmitReportsRequest req = PRAXIS__SUBMIT_REPORTS_REQUEST__INIT;
		req.reports = srs;
		req.n_reports = RK_BATCH;
		rk_async a = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
		assert_int_equal(px_rpc_call_async(cl, &praxis__hub__descriptor, mi, &req.base,
		                                   60000, rk_done, &a),
		                 PX_OK);
		relt_sleep_ms(rand() % 40);
		relt_hub_stop(&h, SIGKILL);
		assert_true(relt_hub_start(&h));
		/* The first call ends one way or the other (nng may even send it
		 * again to the new hub); its outcome is only counted. */
		pthread_mutex_lock(&a.mu);
		while (!a.done)
			pthread_cond_wait(&a.cv, &a.mu);
		pthread_mutex_unlock(&a.mu);
		pthread_mutex_destroy(&a.mu);
		pthread_cond_destroy(&a.cv);
		if (a.code == PX_CODE_OK) {
			first_ok++;
			assert_int_equal(a.fresh + a.dup, RK_BATCH);
		}
		/* The node's retry: the same batch. */
		resp = NULL;
		assert_int_equal(px_rpc_call_named(cl, &praxis__hub__descriptor, "SubmitReports",
		                                   &req.base, 0, &resp, &st),
		                 PX_OK);
		Praxis__SubmitReportsResponse *rr = (Praxis__SubmitReportsResponse *)resp;
		assert_int_equal(rr->n_results, RK_BATCH);
		int dup = 0;
		for (int i = 0; i < RK_BATCH; i++) {
			if (rr->results[i]->code != 0)
				print_error("round %d report %d: %d %s\n", r, i,
				            rr->results[i]->code, rr->results[i]->message);
			assert_int_equal(rr->results[i]->code, 0);
			dup += rr->results[i]->duplicate;
		}
		protobuf_c_message_free_unpacked(resp, NULL);
		/* All in one commit, or none. */
		if (dup != 0 && dup != RK_BATCH)
			print_error("round %d: %d of %d already stored\n", r, dup, RK_BATCH);
		assert_true(dup == 0 || dup == RK_BATCH);
		(*(dup == RK_BATCH ? &committed : &not_committed))++;
		for (int i = 0; i < RK_BATCH; i++)
			px_signed_report_free(srs[i]);
	}
	px_rpc_client_close(cl);
	px_identity_free(id);
	pxt_run rep = relt_hub_cmd(&h, "report --json");
	assert_int_equal(rep.status, 0);
	cJSON *j = cJSON_Parse(rep.out);
	assert_non_null(j);
	int nrows = cJSON_GetArraySize(cJSON_GetObjectItem(j, "rows"));
	int total = (int)cJSON_GetNumberValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "total"), "communities"));
	printf("kill mid-batch: %d kills, batches of %d: %d first calls answered OK, %d retries "
	       "found the "
	       "batch committed, %d found nothing; %d hub rows, total communities %d\n",
	       rounds, RK_BATCH, first_ok, committed, not_committed, nrows, total);
	cJSON_Delete(j);
	pxt_run_free(&rep);
	assert_int_equal(nrows, rounds * RK_BATCH);
	assert_int_equal(total, rounds * RK_BATCH);
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
	    cmocka_unit_test(test_kill_hub_mid_batch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
