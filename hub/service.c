/*
 * service.c - praxis.Hub over px_rpc: the authorizer and the handlers.
 * Reads answer in the handler; SubmitReport and SubmitReports (one path,
 * hub_ingest) defer their reply until the group commit holding them.
 */
#define _GNU_SOURCE
#include "hub.h"
#include "px_report.h"
#include "px_rpc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static hub *
hub_of(Praxis__Hub_Service *svc)
{
	return (hub *)(void *)svc; /* the service is the hub's first member */
}

static const char *
hub_method_name(const char *method)
{
	const char *s = strrchr(method, '/');
	return s != NULL ? s + 1 : method;
}

static px_code
hub_authorize(void *arg, const uint8_t caller_pk[PX_PK_BYTES], const char *method)
{
	hub *h = arg;
	const char *m = hub_method_name(method);
	/* Unknown keys may only ping and enroll (enroll checks the token). */
	if (strcmp(m, "Ping") == 0 || strcmp(m, "Enroll") == 0)
		return PX_CODE_OK;
	px_err rv = hub_key_tenant(h, caller_pk, NULL);
	if (rv == PX_OK)
		return PX_CODE_OK;
	char who[PX_PK_HEX];
	px_hex_encode(caller_pk, 16, who);
	if (rv == PX_EPERM) {
		hub_audit(h, "rpc", who, m, "", PX_CODE_PERMISSION_DENIED, "%s",
		          "revoked key or tenant");
		return PX_CODE_PERMISSION_DENIED;
	}
	if (rv == PX_ENOTFOUND) {
		hub_audit(h, "rpc", who, m, "", PX_CODE_UNAUTHENTICATED, "%s", "unknown key");
		return PX_CODE_UNAUTHENTICATED;
	}
	return PX_CODE_INTERNAL;
}

static void
hub_svc_ping(Praxis__Hub_Service *svc, const Praxis__PingRequest *in,
             Praxis__PingResponse_Closure closure, void *cd)
{
	hub *h = hub_of(svc);
	Praxis__PingResponse r = PRAXIS__PING_RESPONSE__INIT;
	r.text = in->text;
	r.server_time_ms = px_now_ms();
	r.server_key.data = (uint8_t *)px_identity_pk(h->id);
	r.server_key.len = PX_PK_BYTES;
	closure(&r, cd);
}

static void
hub_svc_enroll(Praxis__Hub_Service *svc, const Praxis__EnrollRequest *in,
               Praxis__EnrollResponse_Closure closure, void *cd)
{
	hub *h = hub_of(svc);
	px_rpc_call *call = cd;
	const uint8_t *pk = px_rpc_call_caller(call);
	char tenant[PX_JT_TENANT_MAX + 1] = "";
	char msg[256];
	int code = hub_enroll(h, pk, in->token_secret.data, in->token_secret.len, in->org_name,
	                      tenant, msg, sizeof msg);
	if (code != 0) {
		char who[PX_PK_HEX];
		px_hex_encode(pk, 16, who);
		hub_audit(h, "rpc", who, "Enroll", "", code, "%s", msg);
		px_rpc_call_set_status(call, (px_code)code, "%s", msg);
		closure(NULL, cd);
		return;
	}
	px_log(PX_LOG_INFO, "enrolled a node key for tenant %s", tenant);
	Praxis__EnrollResponse r = PRAXIS__ENROLL_RESPONSE__INIT;
	r.tenant = tenant;
	r.hub_key.data = (uint8_t *)px_identity_pk(h->id);
	r.hub_key.len = PX_PK_BYTES;
	closure(&r, cd);
}

/* ---- ingest: SubmitReport and SubmitReports ----
 * One path serves both methods: a SubmitReport is a batch of one. The
 * checks (caller, signature, schema) run in the handler, on px_rpc's
 * threads, in parallel across calls; a handler whose call has a report
 * that passed them defers its reply (px_rpc_call_defer) and queues the
 * call, so it returns at once and nng's few threads go on receiving. One
 * committer thread takes whole calls from the queue (up to HUB_COMMIT_MAX
 * reports, never splitting a call) into one LMDB write transaction,
 * commits it (one fsync for all), and only then are the calls answered:
 * OK is never sent before the commit returned. A call's reports are thus
 * stored all in one commit or not at all. A failed commit answers every
 * report of the commit with its error. The queue is bounded by px_rpc's
 * contexts (a deferred call holds its context). At most 256 reports a
 * commit: LMDB keeps the pages a write transaction dirtied for reuse and
 * gives them back only when the environment closes, so the largest commit
 * sets that part of the hub's heap for good (~5 pages a report: 1,024
 * reports would pin ~20 MiB after one burst, 256 ~5 MiB). The bench's
 * commits hold ~200 reports at 10,000 reports/s. */
#define HUB_COMMIT_MAX 256

/* The caps of one SubmitReports call (proto/hub.proto says them): well
 * under the RPC's 4 MiB, and few enough that a call's checks (~50 us a
 * report) stay far from the caller's deadline. */
#define HUB_CALL_MAX_REPORTS 256
#define HUB_CALL_MAX_BYTES (1u << 20)

typedef struct hub_item {
	const Praxis__SignedReport *sr; /* the call's input: valid until finished */
	Praxis__CommunityReport *r;     /* owned; non-NULL once the checks passed */
	int code;
	bool dup;
	bool audit; /* refused by the store for another tenant's community */
	uint32_t rev;
	char msg[256];
} hub_item;

typedef struct hub_job {
	px_rpc_call *call; /* deferred; finished after the commit */
	bool single;       /* SubmitReport: answered as one report */
	char tenant[PX_JT_TENANT_MAX + 1];
	size_t n;
	size_t to_store; /* items that passed the checks */
	struct hub_job *next;
	hub_item items[];
} hub_job;

/* Replies are sent by HUB_REPLIERS threads, not by the committer: on
 * loopback a send runs the receiver's TCP path too (~30 us a reply), and
 * the committer would spend half its time there instead of committing
 * the next batch. */
#define HUB_REPLIERS 2

typedef struct hub_committer {
	hub *h;
	pthread_t thr;
	pthread_t repliers[HUB_REPLIERS];
	int nrepliers;
	pthread_mutex_t mu;
	pthread_cond_t work;
	pthread_cond_t replies;
	hub_job *head, *tail;
	hub_job *done_head, *done_tail; /* committed (or failed): to answer */
	bool rstop;
	size_t queued;     /* reports to store in the queued calls */
	size_t last_batch; /* reports in the previous commit */
	int checking;      /* ingest handlers between entry and push/answer */
	bool stop;
	uint64_t batches, jobs, reports;
	size_t since_release; /* reports stored since the last px_store_release */
} hub_committer;

/* The pages of hub.mdb the commits read (the B-tree paths of each report's
 * keys) stay mapped in the hub's RSS; given back every so many reports,
 * as views.c does for its scans. */
#define HUB_RELEASE_EVERY 4096

/* How long the committer waits, at most, for reports still being checked,
 * or for as many reports as its previous commit had, before it commits
 * what is queued: the checks take ~0.05 ms a report, a durable commit
 * ~0.25 ms or more, so waiting fills commits (fewer fsyncs, less CPU per
 * report) for little latency. A lone caller never waits. */
#define HUB_LINGER_NS 2000000

/* Stores the checked reports of the calls in batch in one transaction
 * and commits it. */
static void
hub_commit_batch(hub *h, hub_job *batch)
{
	px_txn *txn = NULL;
	px_err err = px_txn_begin(h->st, true, &txn);
	bool writes = false;
	for (hub_job *j = batch; j != NULL && err == PX_OK; j = j->next)
		for (size_t i = 0; i < j->n && err == PX_OK; i++) {
			hub_item *it = &j->items[i];
			if (it->r == NULL)
				continue; /* refused by the checks */
			/* A second copy of a report in the same commit sees the
			 * first one's writes in this transaction: counted once,
			 * duplicate. */
			it->code = hub_submit_store(h, txn, j->tenant, it->sr, it->r, &it->dup,
			                            &it->rev, it->msg, sizeof it->msg, &err);
			it->audit = it->code == 7;
			writes = writes || (it->code == 0 && !it->dup);
		}
	if (err == PX_OK && writes) {
		err = px_txn_commit(txn);
		txn = NULL;
	}
	px_txn_abort(txn);
	if (err != PX_OK) {
		/* Nothing of this commit is stored: no OK may leave. */
		for (hub_job *j = batch; j != NULL; j = j->next)
			for (size_t i = 0; i < j->n; i++) {
				hub_item *it = &j->items[i];
				if (it->r != NULL &&
				    (it->code == 0 || it->code == 8 || it->code == 13)) {
					it->code = err == PX_EFULL ? 8 : 13;
					it->dup = false;
					it->rev = 0;
					snprintf(it->msg, sizeof it->msg, "%s",
					         px_strerror_user(err));
				}
			}
	}
}

/* Answers a job's deferred call and frees the job. */
static void
hub_job_finish(hub *h, hub_job *j)
{
	const char *method = j->single ? "SubmitReport" : "SubmitReports";
	for (size_t i = 0; i < j->n; i++)
		if (j->items[i].audit)
			hub_audit(h, "rpc", j->tenant, method, j->items[i].r->community_uid,
			          j->items[i].code, "%s", j->items[i].msg);
	if (j->single) {
		hub_item *it = &j->items[0];
		if (it->code != 0) {
			px_rpc_call_finish_status(j->call, (px_code)it->code, "%s", it->msg);
		} else {
			Praxis__SubmitReportResponse r = PRAXIS__SUBMIT_REPORT_RESPONSE__INIT;
			r.duplicate = it->dup;
			r.stored_revision = it->rev;
			px_rpc_call_finish(j->call, &r.base);
		}
	} else {
		Praxis__SubmitResult *res = calloc(j->n + 1, sizeof *res);
		Praxis__SubmitResult **resp = calloc(j->n + 1, sizeof *resp);
		if (res == NULL || resp == NULL) {
			/* The reports may be stored: the node resends, counted once. */
			px_rpc_call_finish_status(j->call, PX_CODE_RESOURCE_EXHAUSTED, "%s",
			                          px_strerror_user(PX_ENOMEM));
		} else {
			for (size_t i = 0; i < j->n; i++) {
				praxis__submit_result__init(&res[i]);
				res[i].code = j->items[i].code;
				res[i].message = j->items[i].msg;
				res[i].duplicate = j->items[i].dup;
				res[i].stored_revision = j->items[i].rev;
				resp[i] = &res[i];
			}
			Praxis__SubmitReportsResponse r = PRAXIS__SUBMIT_REPORTS_RESPONSE__INIT;
			r.results = resp;
			r.n_results = j->n;
			px_rpc_call_finish(j->call, &r.base);
		}
		free(res);
		free(resp);
	}
	for (size_t i = 0; i < j->n; i++)
		px_report_free(j->items[i].r);
	free(j);
}

static void *
hub_committer_main(void *arg)
{
	hub_committer *c = arg;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (c->head == NULL && !c->stop)
			pthread_cond_wait(&c->work, &c->mu);
		if (c->head == NULL)
			break;
#define HUB_LINGER_MORE (c->checking > 0 || c->queued < c->last_batch)
		if (HUB_LINGER_MORE && c->queued < HUB_COMMIT_MAX && !c->stop) {
			struct timespec until;
			clock_gettime(CLOCK_MONOTONIC, &until); /* work waits on it */
			until.tv_nsec += HUB_LINGER_NS;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			while (HUB_LINGER_MORE && c->queued < HUB_COMMIT_MAX && !c->stop)
				if (pthread_cond_timedwait(&c->work, &c->mu, &until) != 0)
					break;
		}
		/* Whole calls, up to HUB_COMMIT_MAX reports (at least one call). */
		hub_job *batch = c->head, *last = c->head;
		size_t n = last->to_store, calls = 1;
		while (last->next != NULL && n + last->next->to_store <= HUB_COMMIT_MAX) {
			last = last->next;
			n += last->to_store;
			calls++;
		}
		c->head = last->next;
		c->queued -= n;
		c->last_batch = n;
		if (c->head == NULL)
			c->tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&c->mu);
		hub_commit_batch(c->h, batch);
		if ((c->since_release += n) >= HUB_RELEASE_EVERY) {
			c->since_release = 0;
			if (px_store_release(c->h->st) != PX_OK)
				px_log(PX_LOG_DEBUG, "ingest: px_store_release failed");
		}
		pthread_mutex_lock(&c->mu);
		c->batches++;
		c->jobs += calls;
		c->reports += n;
		/* After the commit returned: the replies. */
		if (c->nrepliers > 0) {
			if (c->done_tail != NULL)
				c->done_tail->next = batch;
			else
				c->done_head = batch;
			c->done_tail = last;
			pthread_cond_broadcast(&c->replies);
		} else {
			pthread_mutex_unlock(&c->mu);
			while (batch != NULL) {
				hub_job *next = batch->next;
				hub_job_finish(c->h, batch);
				batch = next;
			}
			pthread_mutex_lock(&c->mu);
		}
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static void *
hub_replier_main(void *arg)
{
	hub_committer *c = arg;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (c->done_head == NULL && !c->rstop)
			pthread_cond_wait(&c->replies, &c->mu);
		hub_job *j = c->done_head;
		if (j == NULL)
			break; /* stopping, nothing left to answer */
		c->done_head = j->next;
		if (c->done_head == NULL)
			c->done_tail = NULL;
		pthread_mutex_unlock(&c->mu);
		hub_job_finish(c->h, j);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static void
hub_committer_push(hub_committer *c, hub_job *j)
{
	pthread_mutex_lock(&c->mu);
	j->next = NULL;
	if (c->tail != NULL)
		c->tail->next = j;
	else
		c->head = j;
	c->tail = j;
	c->queued += j->to_store;
	c->checking--;
	pthread_cond_signal(&c->work);
	pthread_mutex_unlock(&c->mu);
}

static void
hub_committer_checking(hub_committer *c, int delta)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->checking += delta;
	if (c->checking == 0)
		pthread_cond_signal(&c->work);
	pthread_mutex_unlock(&c->mu);
}

/* The one ingest path. Checks each report of srs[0..n), then stores those
 * that passed through the committer, and answers after the commit (single:
 * as SubmitReport). Returns false when the whole call is refused (status
 * set): the caller then calls its closure with NULL; true when the call
 * was deferred and is (or will be) answered by hub_job_finish. */
static bool
hub_ingest(hub *h, px_rpc_call *call, Praxis__SignedReport *const *srs, size_t n, bool single)
{
	size_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		if (srs[i] != NULL) /* a SubmitReport without one: the checks refuse it */
			bytes += srs[i]->report.len + srs[i]->signature.len + srs[i]->node_key.len;
	if (n > HUB_CALL_MAX_REPORTS || (n > 1 && bytes > HUB_CALL_MAX_BYTES)) {
		px_rpc_call_set_status(
		    call, PX_CODE_RESOURCE_EXHAUSTED,
		    PX_T("lot trop gros : %zu rapport(s), %zu octets (au plus %d rapports "
		         "et %u octets par appel)",
		         "batch too large: %zu report(s), %zu bytes (at most %d reports and "
		         "%u bytes per call)"),
		    n, bytes, HUB_CALL_MAX_REPORTS, HUB_CALL_MAX_BYTES);
		return false;
	}
	hub_job *j = calloc(1, sizeof *j + n * sizeof j->items[0]);
	if (j == NULL) {
		px_rpc_call_set_status(call, PX_CODE_RESOURCE_EXHAUSTED, "%s",
		                       px_strerror_user(PX_ENOMEM));
		return false;
	}
	j->single = single;
	j->n = n;
	hub_committer *c = h->committer;
	hub_committer_checking(c, 1);
	for (size_t i = 0; i < n; i++) {
		hub_item *it = &j->items[i];
		it->sr = srs[i];
		it->code = hub_submit_check(h, px_rpc_call_caller(call), srs[i], j->tenant, &it->r,
		                            it->msg, sizeof it->msg);
		j->to_store += it->r != NULL;
	}
	j->call = px_rpc_call_defer(call);
	if (j->call == NULL) { /* cannot happen: the closure was not called */
		hub_committer_checking(c, -1);
		for (size_t i = 0; i < n; i++)
			px_report_free(j->items[i].r);
		free(j);
		px_rpc_call_set_status(call, PX_CODE_INTERNAL, "%s", px_strerror_user(PX_EINVAL));
		return false;
	}
	if (j->to_store > 0 && c != NULL) {
		hub_committer_push(c, j);
		return true; /* answered after the commit */
	}
	hub_committer_checking(c, -1);
	if (j->to_store > 0)
		hub_commit_batch(h, j); /* not serving through the committer */
	hub_job_finish(h, j);
	return true;
}

static void
hub_svc_submit_report(Praxis__Hub_Service *svc, const Praxis__SubmitReportRequest *in,
                      Praxis__SubmitReportResponse_Closure closure, void *cd)
{
	Praxis__SignedReport *one = in->report;
	if (!hub_ingest(hub_of(svc), cd, &one, 1, true))
		closure(NULL, cd);
}

static void
hub_svc_submit_reports(Praxis__Hub_Service *svc, const Praxis__SubmitReportsRequest *in,
                       Praxis__SubmitReportsResponse_Closure closure, void *cd)
{
	if (!hub_ingest(hub_of(svc), cd, in->reports, in->n_reports, false))
		closure(NULL, cd);
}

/* A node may read its own tenant only; asking for another is logged. */
static bool
hub_own_tenant(hub *h, px_rpc_call *call, const char *asked, char tenant[PX_JT_TENANT_MAX + 1],
               const char *method)
{
	if (hub_key_tenant(h, px_rpc_call_caller(call), tenant) != PX_OK) {
		px_rpc_call_set_status(call, PX_CODE_UNAUTHENTICATED, "%s",
		                       PX_T("clé inconnue", "unknown key"));
		return false;
	}
	if (asked != NULL && asked[0] != '\0' && strcmp(asked, tenant) != 0) {
		hub_audit(h, "rpc", tenant, method, asked, PX_CODE_PERMISSION_DENIED, "%s",
		          "read of another tenant");
		px_rpc_call_set_status(call, PX_CODE_PERMISSION_DENIED, "%s",
		                       PX_T("lecture d'une autre organisation refusée",
		                            "reading another tenant is denied"));
		return false;
	}
	return true;
}

typedef struct hub_list_ctx {
	Praxis__ReportSummary **items;
	size_t n, cap;
	const char *period;
	px_err err;
} hub_list_ctx;

static px_err
hub_list_cb(void *arg, px_val key, px_val val)
{
	hub_list_ctx *c = arg;
	(void)val;
	/* key: tenant\0uid\0period\0be32 */
	const char *k = key.data;
	size_t n = key.size;
	if (n < 5)
		return PX_ECORRUPT;
	const char *tenant = k;
	size_t tl = strnlen(k, n);
	if (tl + 1 >= n)
		return PX_ECORRUPT;
	const char *uid = k + tl + 1;
	size_t ul = strnlen(uid, n - tl - 1);
	const char *per = uid + ul + 1;
	if ((size_t)(per - k) + 5 > n)
		return PX_ECORRUPT;
	size_t pl = n - (size_t)(per - k) - 5;
	const uint8_t *rb = key.data + n - 4;
	if (c->period != NULL && c->period[0] != '\0' &&
	    (strlen(c->period) != pl || memcmp(c->period, per, pl) != 0))
		return PX_OK;
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 16;
		void *np = realloc(c->items, nc * sizeof *c->items);
		if (np == NULL)
			return PX_ENOMEM;
		c->items = np;
		c->cap = nc;
	}
	Praxis__ReportSummary *s = calloc(1, sizeof *s);
	if (s == NULL)
		return PX_ENOMEM;
	praxis__report_summary__init(s);
	s->tenant = strndup(tenant, tl);
	s->community_uid = strndup(uid, ul);
	s->period = strndup(per, pl);
	s->revision = (uint32_t)rb[0] << 24 | (uint32_t)rb[1] << 16 | (uint32_t)rb[2] << 8 | rb[3];
	c->items[c->n++] = s;
	return PX_OK;
}

static void
hub_svc_list_reports(Praxis__Hub_Service *svc, const Praxis__ListReportsRequest *in,
                     Praxis__ListReportsResponse_Closure closure, void *cd)
{
	hub *h = hub_of(svc);
	px_rpc_call *call = cd;
	char tenant[PX_JT_TENANT_MAX + 1];
	if (!hub_own_tenant(h, call, in->tenant, tenant, "ListReports")) {
		closure(NULL, cd);
		return;
	}
	hub_list_ctx c = {NULL, 0, 0, in->period, PX_OK};
	px_txn *txn = NULL;
	px_err rv = px_txn_begin(h->st, false, &txn);
	if (rv == PX_OK) {
		rv = px_scan(txn, h->reports, tenant, strlen(tenant) + 1, hub_list_cb, &c);
		px_txn_abort(txn);
	}
	if (rv != PX_OK) {
		px_rpc_call_set_status(call, PX_CODE_INTERNAL, "%s", px_strerror_user(rv));
		closure(NULL, cd);
	} else {
		Praxis__ListReportsResponse r = PRAXIS__LIST_REPORTS_RESPONSE__INIT;
		r.reports = c.items;
		r.n_reports = c.n;
		closure(&r, cd);
	}
	for (size_t i = 0; i < c.n; i++)
		praxis__report_summary__free_unpacked(c.items[i], NULL);
	free(c.items);
}

/* Fills an AggregateRow from a hub_row; strings are borrowed from row. */
static void
hub_row_to_pb(const hub_row *row, Praxis__AggregateRow *pb, Praxis__Indicator *inds,
              Praxis__Indicator **indp, Praxis__FindingCount *fc, Praxis__FindingCount **fcp)
{
	praxis__aggregate_row__init(pb);
	pb->framework = (char *)row->framework;
	pb->region = (char *)row->region;
	pb->tenant = (char *)row->tenant;
	pb->community_uid = (char *)row->community;
	pb->period = (char *)row->period;
	pb->communities = row->communities;
	for (size_t i = 0; i < row->n_cells; i++) {
		praxis__indicator__init(&inds[i]);
		inds[i].name = (char *)row->cells[i].name;
		inds[i].value = row->cells[i].suppressed ? 0 : row->cells[i].value;
		inds[i].suppressed = row->cells[i].suppressed;
		inds[i].population = row->cells[i].population;
		indp[i] = &inds[i];
	}
	pb->indicators = indp;
	pb->n_indicators = row->n_cells;
	for (size_t i = 0; i < row->n_findings; i++) {
		praxis__finding_count__init(&fc[i]);
		fc[i].rule_id = (char *)row->findings[i].rule;
		fc[i].severity = (Praxis__Severity)row->findings[i].severity;
		fc[i].count = row->findings[i].count;
		fcp[i] = &fc[i];
	}
	pb->findings = fcp;
	pb->n_findings = row->n_findings;
}

static void
hub_svc_aggregate(Praxis__Hub_Service *svc, const Praxis__AggregateRequest *in,
                  Praxis__AggregateResponse_Closure closure, void *cd)
{
	hub *h = hub_of(svc);
	px_rpc_call *call = cd;
	char tenant[PX_JT_TENANT_MAX + 1];
	if (!hub_own_tenant(h, call, in->tenant, tenant, "Aggregate")) {
		closure(NULL, cd);
		return;
	}
	hub_filter f = {0};
	f.framework = in->framework;
	f.region = in->region;
	f.period = in->period;
	f.tenant = tenant;
	hub_result res;
	px_err rv = hub_aggregate(h, &f, &res);
	if (rv != PX_OK) {
		px_rpc_call_set_status(call, PX_CODE_INTERNAL, "%s", px_strerror_user(rv));
		closure(NULL, cd);
		return;
	}
	size_t n = res.n_rows;
	Praxis__AggregateRow *rows = calloc(n + 1, sizeof *rows);
	Praxis__AggregateRow **rowp = calloc(n + 1, sizeof *rowp);
	size_t ncells = res.total.n_cells, nf = res.total.n_findings;
	for (size_t i = 0; i < n; i++) {
		ncells += res.rows[i].n_cells;
		nf += res.rows[i].n_findings;
	}
	Praxis__Indicator *inds = calloc(ncells + 1, sizeof *inds);
	Praxis__Indicator **indp = calloc(ncells + 1, sizeof *indp);
	Praxis__FindingCount *fc = calloc(nf + 1, sizeof *fc);
	Praxis__FindingCount **fcp = calloc(nf + 1, sizeof *fcp);
	if (rows == NULL || rowp == NULL || inds == NULL || indp == NULL || fc == NULL || fcp == NULL) {
		px_rpc_call_set_status(call, PX_CODE_RESOURCE_EXHAUSTED, "%s", px_strerror_user(PX_ENOMEM));
		closure(NULL, cd);
	} else {
		size_t off = 0, foff = 0;
		for (size_t i = 0; i < n; i++) {
			hub_row_to_pb(&res.rows[i], &rows[i], inds + off, indp + off, fc + foff, fcp + foff);
			off += res.rows[i].n_cells;
			foff += res.rows[i].n_findings;
			rowp[i] = &rows[i];
		}
		hub_row_to_pb(&res.total, &rows[n], inds + off, indp + off, fc + foff, fcp + foff);
		Praxis__AggregateResponse r = PRAXIS__AGGREGATE_RESPONSE__INIT;
		r.rows = rowp;
		r.n_rows = n;
		r.total = &rows[n];
		closure(&r, cd);
	}
	free(rows);
	free(rowp);
	free(inds);
	free(indp);
	free(fc);
	free(fcp);
	hub_result_fini(&res);
}

static Praxis__Hub_Service hub_service_template = PRAXIS__HUB__INIT(hub_svc_);

px_err
hub_rpc_start(hub *h, const char *url)
{
	h->service = hub_service_template;
	px_rpc_method_idempotent(&praxis__hub__descriptor, "Ping");
	px_rpc_method_idempotent(&praxis__hub__descriptor, "SubmitReport");
	px_rpc_method_idempotent(&praxis__hub__descriptor, "ListReports");
	px_rpc_method_idempotent(&praxis__hub__descriptor, "Aggregate");
	px_rpc_method_idempotent(&praxis__hub__descriptor, "SubmitReports");
	px_rpc_server_opts o = {0};
	o.url = url;
	o.identity = h->id;
	o.service = &h->service.base;
	o.authorize = hub_authorize;
	o.authorize_arg = h;
	hub_committer *c = calloc(1, sizeof *c);
	if (c == NULL)
		return PX_ENOMEM;
	c->h = h;
	pthread_mutex_init(&c->mu, NULL);
	/* The linger's timed wait must not stretch when the wall clock is
	 * set back. */
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->work, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&c->replies, NULL);
	/* Repliers first: the committer reads nrepliers under mu. Fewer than
	 * planned (thread limits) still works; none: the committer answers. */
	for (int i = 0; i < HUB_REPLIERS; i++) {
		if (pthread_create(&c->repliers[c->nrepliers], NULL, hub_replier_main, c) != 0)
			break;
		c->nrepliers++;
	}
	if (pthread_create(&c->thr, NULL, hub_committer_main, c) != 0) {
		pthread_mutex_lock(&c->mu);
		c->rstop = true;
		pthread_cond_broadcast(&c->replies);
		pthread_mutex_unlock(&c->mu);
		for (int i = 0; i < c->nrepliers; i++)
			pthread_join(c->repliers[i], NULL);
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->work);
		pthread_cond_destroy(&c->replies);
		free(c);
		return PX_ENOMEM;
	}
	h->committer = c;
	px_err rv = px_rpc_server_start(&h->rpc, &o);
	if (rv != PX_OK)
		hub_rpc_stop(h);
	return rv;
}

void
hub_rpc_stop(hub *h)
{
	/* px_rpc_server_stop waits for the deferred ingest calls: the
	 * committer and its repliers still run and finish them (their replies are dropped
	 * once stop began; what was committed stays committed, and the node
	 * resends, counted once). After it, no handler runs: the queue is
	 * empty. */
	px_rpc_server_stop(h->rpc);
	h->rpc = NULL;
	hub_committer *c = h->committer;
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->work);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thr, NULL);
	/* The repliers answer what is left, then stop. */
	pthread_mutex_lock(&c->mu);
	c->rstop = true;
	pthread_cond_broadcast(&c->replies);
	pthread_mutex_unlock(&c->mu);
	for (int i = 0; i < c->nrepliers; i++)
		pthread_join(c->repliers[i], NULL);
	px_log(PX_LOG_INFO, "ingest: %llu report(s) of %llu call(s) in %llu commit(s)",
	       (unsigned long long)c->reports, (unsigned long long)c->jobs,
	       (unsigned long long)c->batches);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->work);
	pthread_cond_destroy(&c->replies);
	free(c);
	h->committer = NULL;
}
