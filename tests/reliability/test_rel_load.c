/*
 * test_rel_load.c - issue 7.5: N simulated nodes push reports to the real
 * hub process for S seconds while V viewers query its dashboard.
 *
 * Nodes are threads of this process, each with its own Ed25519 identity
 * and px_rpc client, enrolled through the Enroll RPC with a join token of
 * its own tenant (`praxis-hub tenant add`), submitting signed community
 * reports (relt_report) one after the other, a new (community, period)
 * each time. Viewers are threads fetching /export.json with a viewer
 * token over plain HTTP/1.1. Checked: no error on either side, every
 * report the hub acknowledged is stored exactly once (per-tenant report
 * counts of `tenant list --json`), and the hub's heap (RssAnon from
 * /proc) at the end is within 10% of its heap after the first 10 s (or
 * the first third of a shorter run). Printed: throughput, p50/p99/max
 * latency of SubmitReport and of the viewers' pages, VmRSS and RssAnon.
 *
 * argv: nodes viewers seconds (default 20 2 5: `make test`; the long
 * variant runs 200 10 60).
 */
#define _GNU_SOURCE
#include "relt.h"
#include "relt_report.h"

#include "hub.pb-c.h"
#include "px_crypto.h"
#include "px_jointoken.h"
#include "px_report.h"
#include "px_rpc.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static int ld_nodes = 20, ld_viewers = 2, ld_seconds = 5;

typedef struct ld_lat {
	double *v;
	size_t n, cap;
} ld_lat;

static void
ld_lat_add(ld_lat *l, double ms)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		assert_non_null(l->v);
	}
	l->v[l->n++] = ms;
}

static int
ld_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double
ld_pct(ld_lat *l, double p)
{
	if (l->n == 0)
		return 0;
	qsort(l->v, l->n, sizeof *l->v, ld_cmp);
	size_t i = (size_t)ceil(p * (double)l->n) - 1;
	return l->v[i < l->n ? i : l->n - 1];
}

typedef struct ld_node {
	pthread_t thr;
	px_identity *id;
	px_rpc_client *cl;
	char tenant[80];
	char uidbase[24];
	/* results */
	unsigned ok, dup, errors;
	char last_error[300];
	ld_lat lat;
} ld_node;

typedef struct ld_viewer {
	pthread_t thr;
	unsigned ok, errors;
	ld_lat lat;
	char last_error[200];
} ld_viewer;

static atomic_bool ld_stop;
static const relt_hub *ld_hub;
static char ld_token[128];
static int ld_http_port;

static void *
ld_node_run(void *arg)
{
	ld_node *n = arg;
	unsigned i = 0;
	while (!atomic_load(&ld_stop)) {
		char uid[48], period[16];
		/* A new (community, period) each time: 1200 months per community. */
		snprintf(uid, sizeof uid, "%s-%u", n->uidbase, i / 1200 + 1);
		snprintf(period, sizeof period, "%04u-%02u", 1900 + (i % 1200) / 12, i % 12 + 1);
		Praxis__SignedReport *sr = relt_report(n->id, uid, "CdP charge", period, px_now_ms());
		if (sr == NULL) {
			n->errors++;
			snprintf(n->last_error, sizeof n->last_error, "px_report_sign failed");
			break;
		}
		Praxis__SubmitReportRequest q = PRAXIS__SUBMIT_REPORT_REQUEST__INIT;
		q.report = sr;
		ProtobufCMessage *resp = NULL;
		px_status st;
		double t0 = relt_ms();
		px_err rv = px_rpc_call_named(n->cl, &praxis__hub__descriptor, "SubmitReport", &q.base,
		                              30000, &resp, &st);
		ld_lat_add(&n->lat, relt_ms() - t0);
		if (rv == PX_OK) {
			Praxis__SubmitReportResponse *sp = (Praxis__SubmitReportResponse *)resp;
			if (sp->duplicate)
				n->dup++;
			else
				n->ok++;
		} else {
			n->errors++;
			snprintf(n->last_error, sizeof n->last_error, "%s: %s", px_code_name(st.code),
			         st.message);
		}
		if (resp != NULL)
			protobuf_c_message_free_unpacked(resp, NULL);
		px_signed_report_free(sr);
		i++;
	}
	return NULL;
}

/* One GET over HTTP/1.1 with Connection: close; the status code, or -1. */
static int
ld_http_get(const char *path, size_t *bytes)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return -1;
	struct timeval tv = {30, 0};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)ld_http_port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int code = -1;
	if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
		char req[512];
		int l = snprintf(req, sizeof req,
		                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
		                 "Connection: close\r\n\r\n",
		                 path, ld_token);
		if (send(s, req, (size_t)l, MSG_NOSIGNAL) == l) {
			char buf[16384];
			size_t total = 0;
			ssize_t k;
			long clen = -1;
			size_t hdr_end = 0;
			char head[4096];
			size_t hl = 0;
			while ((k = recv(s, buf, sizeof buf, 0)) > 0) {
				if (hl < sizeof head - 1) {
					size_t c = (size_t)k < sizeof head - 1 - hl ? (size_t)k : sizeof head - 1 - hl;
					memcpy(head + hl, buf, c);
					hl += c;
					head[hl] = '\0';
				}
				total += (size_t)k;
				if (code < 0)
					sscanf(head, "HTTP/1.%*d %d", &code);
				char *he = strstr(head, "\r\n\r\n");
				if (he != NULL && hdr_end == 0) {
					hdr_end = (size_t)(he - head) + 4;
					char *cl = strcasestr(head, "\r\nContent-Length:");
					if (cl != NULL && cl < he)
						clen = strtol(cl + 17, NULL, 10);
				}
				if (hdr_end != 0 && clen >= 0 && total >= hdr_end + (size_t)clen)
					break;
			}
			*bytes = total;
		}
	}
	close(s);
	return code;
}

static void *
ld_viewer_run(void *arg)
{
	ld_viewer *v = arg;
	static const char *const pages[] = {"/export.json", "/", "/export.csv"};
	unsigned i = 0;
	while (!atomic_load(&ld_stop)) {
		size_t bytes = 0;
		double t0 = relt_ms();
		int code = ld_http_get(pages[i++ % 3], &bytes);
		ld_lat_add(&v->lat, relt_ms() - t0);
		if (code == 200) {
			v->ok++;
		} else {
			v->errors++;
			snprintf(v->last_error, sizeof v->last_error, "HTTP %d (%zu bytes)", code, bytes);
		}
	}
	return NULL;
}

static long
ld_status_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	long kb = -1;
	size_t fl = strlen(field);
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
			kb = strtol(line + fl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

static void
test_load(void **state)
{
	(void)state;
	assert_int_equal(px_crypto_init(), PX_OK);
	relt_hub h;
	relt_hub_init(&h, "relload", true);
	ld_hub = &h;
	ld_http_port = atoi(strrchr(h.http, ':') + 1);
	pxt_run r = relt_hub_cmd(&h, "viewer add charge --scope 'framework=laurentides'");
	assert_int_equal(r.status, 0);
	char *tok = strstr(r.out, "pxv1.");
	assert_non_null(tok);
	snprintf(ld_token, sizeof ld_token, "%.*s", (int)strcspn(tok, " \r\n"), tok);
	pxt_run_free(&r);
	/* Under AddressSanitizer the hub's heap holds up to 256 MiB of freed
	 * blocks in quarantine, which would hide the hub's own growth: the
	 * hub of this test keeps none (it still checks every access). */
	const char *ao = getenv("ASAN_OPTIONS");
	char aopts[512];
	snprintf(aopts, sizeof aopts, "%s%squarantine_size_mb=0", ao ? ao : "", ao && *ao ? ":" : "");
	setenv("ASAN_OPTIONS", aopts, 1);
	/* 200 nodes write ~2,000 reports/s while the viewers' exports hold
	 * read transactions: more than the default 1 GiB map (see
	 * docs/RELIABILITY.md, load). */
	if (getenv("PRAXIS_HUB_MAP_MB") == NULL)
		setenv("PRAXIS_HUB_MAP_MB", "8192", 1);
	assert_true(relt_hub_start(&h));
	if (ao != NULL)
		setenv("ASAN_OPTIONS", ao, 1);
	else
		unsetenv("ASAN_OPTIONS");
	uint8_t hub_pk[PX_PK_BYTES];
	char kp[700];
	snprintf(kp, sizeof kp, "%s/hub.key", h.data);
	assert_int_equal(px_identity_load_pk(kp, hub_pk), PX_OK);

	/* Enrollment: a tenant and a join token each, used through RPC. */
	double te = relt_ms();
	ld_node *nodes = calloc((size_t)ld_nodes, sizeof *nodes);
	assert_non_null(nodes);
	for (int i = 0; i < ld_nodes; i++) {
		ld_node *n = &nodes[i];
		snprintf(n->tenant, sizeof n->tenant, "charge%03d", i);
		char *jt = relt_tenant_add(&h, n->tenant);
		px_jointoken t;
		assert_int_equal(px_jointoken_parse(jt, strlen(jt), &t), PX_OK);
		free(jt);
		assert_int_equal(px_identity_generate(&n->id), PX_OK);
		px_hex_encode(px_identity_pk(n->id), 8, n->uidbase);
		px_rpc_client_opts o = {0};
		o.url = h.url;
		o.identity = n->id;
		o.server_pk = hub_pk;
		o.timeout_ms = 30000;
		assert_int_equal(px_rpc_client_open(&n->cl, &o), PX_OK);
		Praxis__EnrollRequest er = PRAXIS__ENROLL_REQUEST__INIT;
		er.token_secret.data = t.secret;
		er.token_secret.len = sizeof t.secret;
		er.org_name = n->tenant;
		er.region = "Laurentides";
		ProtobufCMessage *resp = NULL;
		px_status st;
		px_err rv = px_rpc_call_named(n->cl, &praxis__hub__descriptor, "Enroll", &er.base, 30000,
		                              &resp, &st);
		if (rv != PX_OK)
			print_error("enroll %s: %s %s\n", n->tenant, px_code_name(st.code), st.message);
		assert_int_equal(rv, PX_OK);
		protobuf_c_message_free_unpacked(resp, NULL);
	}
	double enroll_ms = relt_ms() - te;

	ld_viewer *viewers = calloc((size_t)ld_viewers, sizeof *viewers);
	assert_non_null(viewers);
	long rss0 = relt_rss_kb(h.pid), anon0 = ld_status_kb(h.pid, "RssAnon");
	atomic_store(&ld_stop, false);
	double t0 = relt_ms();
	for (int i = 0; i < ld_nodes; i++)
		assert_int_equal(pthread_create(&nodes[i].thr, NULL, ld_node_run, &nodes[i]), 0);
	for (int i = 0; i < ld_viewers; i++)
		assert_int_equal(pthread_create(&viewers[i].thr, NULL, ld_viewer_run, &viewers[i]), 0);
	/* The first reading after 10 s (a third of a shorter run), then one
	 * a second for the record. */
	int first_s = ld_seconds >= 30 ? 10 : (ld_seconds + 2) / 3;
	long rss_first = -1, anon_first = -1, rss_max = 0, anon_max = 0;
	for (int s = 1; s <= ld_seconds; s++) {
		relt_sleep_ms(1000);
		long rss = relt_rss_kb(h.pid), anon = ld_status_kb(h.pid, "RssAnon");
		if (rss > rss_max)
			rss_max = rss;
		if (anon > anon_max)
			anon_max = anon;
		if (s == first_s) {
			rss_first = rss;
			anon_first = anon;
		}
	}
	atomic_store(&ld_stop, true);
	for (int i = 0; i < ld_nodes; i++)
		pthread_join(nodes[i].thr, NULL);
	for (int i = 0; i < ld_viewers; i++)
		pthread_join(viewers[i].thr, NULL);
	double run_ms = relt_ms() - t0;
	long rss_end = relt_rss_kb(h.pid), anon_end = ld_status_kb(h.pid, "RssAnon");

	unsigned vok_a = 0, verr_a = 0;
	for (int i = 0; i < ld_viewers; i++) {
		vok_a += viewers[i].ok;
		verr_a += viewers[i].errors;
		if (viewers[i].errors)
			print_error("viewer %d: %u errors, last: %s\n", i, viewers[i].errors,
			            viewers[i].last_error);
	}

	/* Phase B: the data no longer grows, the viewers keep asking, in two
	 * rounds. Every page aggregates every stored report, so the heap's
	 * high-water mark follows the data in phase A; with the data fixed, a
	 * heap that still grows from one round to the next is a leak per
	 * request. Compared: the heap once each round's requests are all
	 * answered (what a request leaves behind), not its readings while
	 * pages are being built (which compare moments, not memory: a few
	 * exports more or less at once). */
	int b_secs = ld_viewers > 0 ? (ld_seconds >= 30 ? 20 : 6) : 0;
	long anon_b[2] = {-1, -1}, peak_b[2] = {0, 0};
	unsigned b_pages = 0, b_err = 0;
	for (int round = 0; b_secs > 0 && round < 2; round++) {
		atomic_store(&ld_stop, false);
		for (int i = 0; i < ld_viewers; i++) {
			viewers[i].ok = viewers[i].errors = 0;
			assert_int_equal(pthread_create(&viewers[i].thr, NULL, ld_viewer_run, &viewers[i]), 0);
		}
		for (int k = 0; k < b_secs * 2; k++) { /* b_secs / 2 seconds */
			relt_sleep_ms(250);
			long a = ld_status_kb(h.pid, "RssAnon");
			if (a > peak_b[round])
				peak_b[round] = a;
		}
		atomic_store(&ld_stop, true);
		for (int i = 0; i < ld_viewers; i++) {
			pthread_join(viewers[i].thr, NULL);
			b_pages += viewers[i].ok;
			b_err += viewers[i].errors;
		}
		relt_sleep_ms(500); /* the workers give their tables back */
		anon_b[round] = ld_status_kb(h.pid, "RssAnon");
	}
	long anon_b0 = anon_b[0], anon_b1 = anon_b[1];
	if (b_secs > 0)
		printf("load: phase B (data fixed, %d viewers, 2 rounds of %d s): %u pages, %u errors; hub "
		       "RssAnon KiB after each round %ld, %ld (%+.1f%%); highest readings during them "
		       "%ld, %ld\n",
		       ld_viewers, b_secs / 2, b_pages, b_err, anon_b0, anon_b1,
		       100.0 * (double)(anon_b1 - anon_b0) / (double)anon_b0, peak_b[0], peak_b[1]);

	/* Totals. */
	ld_lat all = {0}, vall = {0};
	unsigned ok = 0, dup = 0, errors = 0, vok = 0, verr = 0;
	for (int i = 0; i < ld_nodes; i++) {
		ok += nodes[i].ok;
		dup += nodes[i].dup;
		errors += nodes[i].errors;
		if (nodes[i].errors)
			print_error("node %d: %u errors, last: %s\n", i, nodes[i].errors, nodes[i].last_error);
		for (size_t k = 0; k < nodes[i].lat.n; k++)
			ld_lat_add(&all, nodes[i].lat.v[k]);
	}
	vok = vok_a;
	verr = verr_a;
	for (int i = 0; i < ld_viewers; i++) {
		for (size_t k = 0; k < viewers[i].lat.n; k++)
			ld_lat_add(&vall, viewers[i].lat.v[k]);
	}
	/* Stored exactly once: the hub's own count per tenant. */
	pxt_run tl = relt_hub_cmd(&h, "tenant list --json");
	assert_int_equal(tl.status, 0);
	cJSON *tj = cJSON_Parse(tl.out);
	assert_non_null(tj);
	int mismatched = 0;
	long stored = 0;
	for (int i = 0; i < ld_nodes; i++) {
		cJSON *t;
		long got = -1;
		cJSON_ArrayForEach(t, tj)
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(t, "name")), nodes[i].tenant) == 0)
			got = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(t, "reports"));
		stored += got;
		if (got != (long)nodes[i].ok) {
			mismatched++;
			print_error("tenant %s: %u acknowledged, %ld stored\n", nodes[i].tenant, nodes[i].ok,
			            got);
		}
	}
	cJSON_Delete(tj);
	pxt_run_free(&tl);
	char mdb[600];
	snprintf(mdb, sizeof mdb, "%s/hub.mdb", h.data);
	struct stat sb;
	if (stat(mdb, &sb) == 0)
		printf("load: hub.mdb %.1f MiB for %ld reports (%.0f bytes a report)\n",
		       (double)sb.st_size / 1048576.0, stored,
		       stored > 0 ? (double)sb.st_size / (double)stored : 0.0);

	double secs = run_ms / 1000;
	printf("load: %d nodes, %d viewers, %.1f s (enrollment of the %d nodes: %.1f s)\n", ld_nodes,
	       ld_viewers, secs, ld_nodes, enroll_ms / 1000);
	printf("load: SubmitReport %u acknowledged (%u duplicates), %u errors, %.0f reports/s; "
	       "latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
	       ok, dup, errors, (double)(ok + dup) / secs, ld_pct(&all, 0.50), ld_pct(&all, 0.99),
	       ld_pct(&all, 1.0));
	printf("load: viewers %u pages, %u errors, %.1f pages/s; latency p50 %.1f ms, p99 %.1f ms, max "
	       "%.1f ms\n",
	       vok, verr, (double)(vok + verr) / secs, ld_pct(&vall, 0.50), ld_pct(&vall, 0.99),
	       ld_pct(&vall, 1.0));
	printf("load: hub stored %ld reports, %d tenants where stored != acknowledged\n", stored,
	       mismatched);
	printf("load: hub VmRSS KiB: %ld before, %ld at %d s, %ld at the end (%+.1f%%), max %ld; "
	       "RssAnon KiB: %ld before, %ld at %d s, %ld at the end (%+.1f%%), max %ld\n",
	       rss0, rss_first, first_s, rss_end, 100.0 * (double)(rss_end - rss_first) / (double)rss_first,
	       rss_max, anon0, anon_first, first_s, anon_end,
	       100.0 * (double)(anon_end - anon_first) / (double)anon_first, anon_max);

	bool grew = anon_end > anon_first + anon_first / 10;
	if (grew)
		printf("FINDING: hub heap at the end %+.1f%% of its heap at %d s (issue 7.5 asks "
		       "within 10%%)%s\n",
		       100.0 * (double)(anon_end - anon_first) / (double)anon_first, first_s,
		       ld_viewers > 0 ? "; see phase B for whether it is a leak" : "");
	assert_int_equal(errors, 0);
	assert_int_equal(verr, 0);
	assert_int_equal(b_err, 0);
	assert_int_equal(mismatched, 0);
	assert_true(ok > 0);
	assert_true(ld_viewers == 0 || vok > 0);
	/* The heap (file-backed pages are LMDB's map of the data itself)
	 * within 10% of its size after 10 s, and flat once the data is. A
	 * hub built with AddressSanitizer keeps the high-water mark of its
	 * heap (the sanitizer's allocator holds freed chunks in per-size
	 * caches), so its figure is printed, not held to 10%: `make
	 * test-long` runs this test on the release build. */
#ifndef __SANITIZE_ADDRESS__
	assert_false(grew);
#endif
	if (ld_viewers > 0)
		assert_true(anon_b1 <= anon_b0 + anon_b0 / 10);

	for (int i = 0; i < ld_nodes; i++) {
		px_rpc_client_close(nodes[i].cl);
		px_identity_free(nodes[i].id);
		free(nodes[i].lat.v);
	}
	for (int i = 0; i < ld_viewers; i++)
		free(viewers[i].lat.v);
	free(all.v);
	free(vall.v);
	free(nodes);
	free(viewers);
	relt_hub_stop(&h, SIGTERM);
	char errlog[600];
	snprintf(errlog, sizeof errlog, "%s/hub.err", h.dir);
	assert_false(pxt_file_contains(errlog, "Sanitizer", 9));
	relt_hub_fini(&h);
}

int
main(int argc, char **argv)
{
	if (argc > 3) {
		ld_nodes = atoi(argv[1]);
		ld_viewers = atoi(argv[2]);
		ld_seconds = atoi(argv[3]);
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
