/*
 * cmd_sync.c - `enroll TOKEN`, `sync`, `serve`, `outbox list|build`: the
 * node side of federation (see sync.h for the stored state).
 */
#define _GNU_SOURCE
#include "sync.h"
#include "px_jointoken.h"
#include "px_rpc.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int cmd_enroll(px_node *n, const node_args *a);
static int cmd_sync(px_node *n, const node_args *a);
static int cmd_serve(px_node *n, const node_args *a);
static int cmd_outbox_list(px_node *n, const node_args *a);
static int cmd_outbox_build(px_node *n, const node_args *a);
static const node_cmd sync_cmds[] = {
	{"enroll", NULL, .run = cmd_enroll, .usage = "enroll JETON [--org NOM] [--new-key]",
	 .help_fr = "Inscrit le nœud auprès d'un hub avec un jeton d'adhésion à usage unique (pxj1.…) : "
	            "épingle la clé et l'adresse du hub. --new-key : nouvelle clé de nœud (après « tenant "
	            "rotate-key » sur le hub).",
	 .help_en = "Enroll the node with a hub using a single-use join token (pxj1.…): pins the hub's key and "
	            "address. --new-key: a new node key (after `tenant rotate-key` on the hub).",
	 .opts = (const node_opt[]){NODE_OPT("org", true), NODE_OPT("new-key", false), NODE_OPT_END},
	 .min_pos = 1, .max_pos = 1,
	 .usage_fr = "un jeton d'adhésion est attendu : enroll JETON",
	 .usage_en = "a join token is expected: enroll TOKEN"},
	{"sync", NULL, .run = cmd_sync, .usage = "sync [--period P]... [--no-build] [--max-wait SECONDES]",
	 .help_fr = "Construit les rapports de chaque communauté (P : 2025, 2025-Q1, 2025-03 ; défaut : mois, "
	            "trimestre et année en cours et précédents) puis les envoie au hub, en réessayant tant que le hub "
	            "est absent (--max-wait, défaut 30 s). Code 4 s'il reste des rapports en attente.",
	 .help_en = "Builds each community's reports (P: 2025, 2025-Q1, 2025-03; default: current and previous "
	            "month, quarter and year) then pushes them to the hub, retrying while the hub is away "
	            "(--max-wait, default 30 s). Exit 4 when reports are left pending.",
	 .opts = (const node_opt[]){NODE_OPT_MULTI("period"), NODE_OPT("no-build", false), NODE_OPT("max-wait", true),
	                            NODE_OPT_END}},
	{"serve", NULL, .run = cmd_serve, .usage = "serve [--interval SECONDES] [--period P]...",
	 .help_fr = "Synchronise toutes les --interval secondes (défaut 300) jusqu'à SIGTERM ou SIGINT.",
	 .help_en = "Syncs every --interval seconds (default 300) until SIGTERM or SIGINT.",
	 .opts = (const node_opt[]){NODE_OPT("interval", true), NODE_OPT_MULTI("period"), NODE_OPT_END}},
	{"outbox", "list", .run = cmd_outbox_list, .usage = "outbox list [--all] [--json]",
	 .help_fr = "Rapports en attente d'envoi (--all : aussi ceux que le hub a reçus).",
	 .help_en = "Reports waiting to be sent (--all: also those the hub received).",
	 .opts = (const node_opt[]){NODE_OPT("all", false), NODE_OPT_END}},
	{"outbox", "build", .run = cmd_outbox_build, .usage = "outbox build [--period P]...",
	 .help_fr = "Construit les rapports sans les envoyer.", .help_en = "Builds the reports without sending them.",
	 .opts = (const node_opt[]){NODE_OPT_MULTI("period"), NODE_OPT_END}},
	{0},
};
NODE_COMMANDS(sync_cmds)

/* ------------------------------------------------------------ helpers */

static px_err
sync_periods(px_node *n, const node_opt *opt, px_period **out, size_t *np)
{
	*out = NULL;
	*np = 0;
	size_t cap = 8;
	px_period *v = calloc(cap, sizeof *v);
	if (v == NULL)
		return PX_ENOMEM;
	if (opt == NULL || opt->count == 0) {
		int32_t today = px_date_today();
		const px_period_kind kinds[] = {PX_PERIOD_MONTH, PX_PERIOD_QUARTER, PX_PERIOD_YEAR};
		for (size_t i = 0; i < 3; i++) {
			px_period p;
			if (px_period_of(kinds[i], today, &p) != PX_OK)
				continue;
			v[(*np)++] = px_period_prev(p);
			v[(*np)++] = p;
		}
		*out = v;
		return PX_OK;
	}
	for (size_t i = 0; i < opt->count; i++) {
		/* "--period 2025,2025-Q1" works as well as repeating the option. */
		char *copy = strdup(opt->values[i]), *save = NULL;
		if (copy == NULL) {
			free(v);
			return PX_ENOMEM;
		}
		for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
			px_period p;
			if (px_period_parse(t, &p) != PX_OK) {
				node_fail(n, PX_EINVAL,
				          PX_T("période invalide « %s » (2025, 2025-Q1 ou 2025-03)",
				               "invalid period '%s' (2025, 2025-Q1 or 2025-03)"),
				          t);
				free(copy);
				free(v);
				return PX_EINVAL;
			}
			if (*np == cap) {
				cap *= 2;
				px_period *nv = realloc(v, cap * sizeof *v);
				if (nv == NULL) {
					free(copy);
					free(v);
					return PX_ENOMEM;
				}
				v = nv;
			}
			v[(*np)++] = p;
		}
		free(copy);
	}
	*out = v;
	return PX_OK;
}

/* The node's identity into *id (freed with px_identity_free); the exit
 * code, the error printed. */
static int
sync_identity(px_node *n, px_identity **id)
{
	px_err rv = outbox_identity(n, id);
	if (rv != PX_OK)
		return node_fail(n, rv, PX_T("clé du nœud illisible : %s", "cannot read the node key: %s"),
		                 px_strerror_user(rv));
	return NODE_EXIT_OK;
}

/* What sync, serve and outbox build start from: the periods of --period
 * (*periods malloc'd, the caller frees it) and the node's identity. The
 * exit code, the error printed. */
static int
sync_prepare(px_node *n, const node_args *a, px_period **periods, size_t *np, px_identity **id)
{
	px_err rv = sync_periods(n, node_opt_find(a->opts, "period"), periods, np);
	if (rv == PX_EINVAL) /* printed by sync_periods */
		return node_exit_code(rv);
	if (rv != PX_OK)
		return node_store_fail(n, rv);
	return sync_identity(n, id);
}

/* The pinned hub: address and key from the config database. */
static px_err
sync_hub(px_node *n, char **addr, uint8_t key[PX_PK_BYTES])
{
	px_txn *txn = NULL;
	char *hex = NULL;
	px_err rv = px_txn_begin(n->st, false, &txn);
	if (rv != PX_OK)
		return rv;
	rv = node_cfg_get(n, txn, SYNC_CFG_HUB_ADDR, addr);
	if (rv == PX_OK)
		rv = node_cfg_get(n, txn, SYNC_CFG_HUB_KEY, &hex);
	px_txn_abort(txn);
	if (rv == PX_OK && px_hex_decode(hex, key, PX_PK_BYTES) != PX_OK)
		rv = PX_ECORRUPT;
	free(hex);
	if (rv != PX_OK) {
		free(*addr);
		*addr = NULL;
	}
	return rv;
}

static px_err
sync_client(const char *addr, const px_identity *id, const uint8_t *hub_pk, px_rpc_client **out)
{
	px_rpc_method_idempotent(&praxis__hub__descriptor, "Ping");
	px_rpc_method_idempotent(&praxis__hub__descriptor, "SubmitReport");
	px_rpc_method_idempotent(&praxis__hub__descriptor, "ListReports");
	px_rpc_method_idempotent(&praxis__hub__descriptor, "Aggregate");
	px_rpc_method_idempotent(&praxis__hub__descriptor, "SubmitReports");
	px_rpc_client_opts o = {0};
	o.url = addr;
	o.identity = id;
	o.server_pk = hub_pk;
	o.timeout_ms = 5000;
	o.retries = 2;
	o.backoff_ms = 100;
	return px_rpc_client_open(out, &o);
}

static volatile sig_atomic_t sync_stop;

static void
sync_on_signal(int sig)
{
	(void)sig;
	sync_stop = 1;
}

/* Sleeps ms milliseconds unless a stop signal comes. */
static void
sync_sleep(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (!sync_stop && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static bool
sync_transient(px_code c)
{
	return c == PX_CODE_UNAVAILABLE || c == PX_CODE_DEADLINE_EXCEEDED || c == PX_CODE_RESOURCE_EXHAUSTED ||
	       c == PX_CODE_INTERNAL || c == PX_CODE_CANCELLED || c == PX_CODE_UNKNOWN;
}

typedef struct sync_stats {
	size_t sent, duplicate, transient, refused, left;
	size_t calls;    /* calls to the hub in this sync */
	bool one_by_one; /* the hub predates SubmitReports: SubmitReport each */
	char last[300]; /* the last transient failure, as the hub or the transport said it */
} sync_stats;

/* The outbox goes in batches of at most SYNC_BATCH_REPORTS reports and
 * SYNC_BATCH_BYTES bytes (under the hub's caps of 256 and 1 MiB, see
 * proto/hub.proto; a report larger than the bytes goes alone). Larger
 * batches gain little (docs/BENCHMARKS.md) and delay the first
 * acknowledgement. */
#define SYNC_BATCH_REPORTS 64
#define SYNC_BATCH_BYTES (512u << 10)

/* One report of a batch: its entry, and what the hub said of it. */
typedef struct sync_item {
	outbox_key *key;
	Praxis__OutboxEntry *e;
	px_code code;
	bool dup;
	bool answered; /* false: no answer for it (the call failed before) */
	char msg[256];
} sync_item;

/* Sends the batch: SubmitReports, or SubmitReport for each report when
 * the hub predates the batch method (it answers UNIMPLEMENTED). Fills
 * each answered item; a failure of the whole call goes to *whole and
 * leaves the items unanswered. */
static void
sync_send(px_rpc_client *cl, sync_item *it, size_t m, sync_stats *st, px_status *whole)
{
	memset(whole, 0, sizeof *whole);
	if (!st->one_by_one) {
		Praxis__SignedReport **srs = calloc(m, sizeof *srs);
		if (srs == NULL) {
			whole->code = PX_CODE_RESOURCE_EXHAUSTED;
			px_strlcpy(whole->message, px_strerror_user(PX_ENOMEM),
			           sizeof whole->message);
			return;
		}
		for (size_t i = 0; i < m; i++)
			srs[i] = it[i].e->signed_report;
		Praxis__SubmitReportsRequest req = PRAXIS__SUBMIT_REPORTS_REQUEST__INIT;
		req.reports = srs;
		req.n_reports = m;
		ProtobufCMessage *resp = NULL;
		px_err crv = px_rpc_call_named(cl, &praxis__hub__descriptor, "SubmitReports",
		                               &req.base, 0, &resp, whole);
		st->calls++;
		free(srs);
		Praxis__SubmitReportsResponse *r = (Praxis__SubmitReportsResponse *)resp;
		if (crv == PX_OK && whole->code == PX_CODE_OK && r != NULL && r->n_results == m) {
			for (size_t i = 0; i < m; i++) {
				it[i].answered = true;
				it[i].code = (px_code)r->results[i]->code;
				it[i].dup = r->results[i]->duplicate;
				px_strlcpy(it[i].msg, r->results[i]->message, sizeof it[i].msg);
			}
		} else if (whole->code == PX_CODE_OK) {
			whole->code = PX_CODE_INTERNAL;
			snprintf(
			    whole->message, sizeof whole->message, "%s",
			    PX_T("réponse du hub incomplète", "incomplete answer from the hub"));
		}
		if (resp != NULL)
			protobuf_c_message_free_unpacked(resp, NULL);
		if (whole->code != PX_CODE_UNIMPLEMENTED)
			return;
		st->one_by_one = true;
		memset(whole, 0, sizeof *whole);
	}
	for (size_t i = 0; i < m && !sync_stop; i++) {
		Praxis__SubmitReportRequest req = PRAXIS__SUBMIT_REPORT_REQUEST__INIT;
		req.report = it[i].e->signed_report;
		ProtobufCMessage *resp = NULL;
		px_status s;
		memset(&s, 0, sizeof s);
		px_err crv = px_rpc_call_named(cl, &praxis__hub__descriptor, "SubmitReport",
		                               &req.base, 0, &resp, &s);
		st->calls++;
		if (crv == PX_EUNAVAIL || crv == PX_ETIMEDOUT ||
		    (crv != PX_OK && sync_transient(s.code))) {
			*whole = s; /* the hub is away: the rest waits for the next pass */
			if (resp != NULL)
				protobuf_c_message_free_unpacked(resp, NULL);
			return;
		}
		it[i].answered = true;
		it[i].code = s.code;
		it[i].dup = resp != NULL && ((Praxis__SubmitReportResponse *)resp)->duplicate;
		px_strlcpy(it[i].msg, s.message, sizeof it[i].msg);
		if (resp != NULL)
			protobuf_c_message_free_unpacked(resp, NULL);
	}
}

/* Sends one batch and records every outcome in one outbox transaction.
 * *stop when the pass must end (the hub is away or failed transiently). */
static px_err
sync_batch(px_node *n, px_rpc_client *cl, const px_identity *id, sync_item *it, size_t m,
           sync_stats *st, bool *stop)
{
	px_status whole;
	sync_send(cl, it, m, st, &whole);
	outbox_outcome *oc = calloc(m, sizeof *oc);
	char(*msgs)[300] = calloc(m, sizeof *msgs);
	if (oc == NULL || msgs == NULL) {
		free(oc);
		free(msgs);
		return PX_ENOMEM;
	}
	size_t no = 0;
	px_err rv = PX_OK;
	for (size_t i = 0; i < m; i++) {
		Praxis__OutboxEntry *e = it[i].e;
		px_code code = it[i].answered ? it[i].code : whole.code;
		const char *text = it[i].answered ? it[i].msg : whole.message;
		if (!it[i].answered && whole.code == PX_CODE_OK)
			continue; /* not sent: a stop signal came */
		snprintf(msgs[i], sizeof msgs[i], "%s: %s", px_code_name(code), text);
		if (code == PX_CODE_OK) {
			if (it[i].dup)
				st->duplicate++;
			else
				st->sent++;
			/* The hub answered OK after its commit: only now the entry leaves. */
			oc[no++] = (outbox_outcome){it[i].key, e->revision, NULL};
		} else if (code == PX_CODE_ALREADY_EXISTS) {
			/* The hub holds other bytes under this revision (an outbox
			 * restored from an old copy): send the content as a new one. */
			if (rv == PX_OK)
				rv = outbox_resign(n, id, it[i].key, true);
			st->transient++;
		} else if (sync_transient(code)) {
			oc[no++] = (outbox_outcome){it[i].key, e->revision, msgs[i]};
			st->transient++;
			px_strlcpy(st->last, msgs[i], sizeof st->last);
			*stop = true;
		} else {
			node_warn(n,
			          PX_T("rapport %s %s refusé par le hub : %s",
			               "report %s %s refused by the hub: %s"),
			          e->community_uid, e->period, msgs[i]);
			oc[no++] = (outbox_outcome){it[i].key, e->revision, msgs[i]};
			st->refused++;
		}
	}
	/* The acknowledgements are recorded even when a re-signing failed. */
	px_err srv = no > 0 ? outbox_settle(n, oc, no) : PX_OK;
	if (rv == PX_OK)
		rv = srv;
	free(oc);
	free(msgs);
	return rv;
}

/* One pass over the pending entries, in batches. Stops at the first
 * transient failure: the hub is away, the next pass retries everything
 * left. */
static px_err
sync_push_once(px_node *n, px_rpc_client *cl, const px_identity *id, sync_stats *st)
{
	outbox_key *keys = NULL;
	size_t nk = 0;
	px_err rv = outbox_pending(n, &keys, &nk);
	if (rv != PX_OK)
		return rv;
	st->transient = 0;
	st->refused = 0;
	sync_item *it = calloc(SYNC_BATCH_REPORTS, sizeof *it);
	if (it == NULL) {
		free(keys);
		return PX_ENOMEM;
	}
	bool stop = false;
	size_t i = 0;
	while (i < nk && !sync_stop && !stop && rv == PX_OK) {
		size_t m = 0, bytes = 0;
		while (i < nk && m < SYNC_BATCH_REPORTS) {
			Praxis__OutboxEntry *e = NULL;
			if ((rv = outbox_get(n, &keys[i], &e)) != PX_OK)
				break;
			if (e->signed_report == NULL) {
				protobuf_c_message_free_unpacked(&e->base, NULL);
				i++;
				continue;
			}
			/* Signed by an older key (rotation): sign again with the current one. */
			if (e->signed_report->node_key.len != PX_PK_BYTES ||
			    memcmp(e->signed_report->node_key.data, px_identity_pk(id),
			           PX_PK_BYTES) != 0) {
				protobuf_c_message_free_unpacked(&e->base, NULL);
				e = NULL;
				if ((rv = outbox_resign(n, id, &keys[i], false)) != PX_OK ||
				    (rv = outbox_get(n, &keys[i], &e)) != PX_OK)
					break;
			}
			size_t sz = e->signed_report->report.len + e->signed_report->signature.len +
			            e->signed_report->node_key.len;
			if (m > 0 && bytes + sz > SYNC_BATCH_BYTES) {
				protobuf_c_message_free_unpacked(&e->base, NULL);
				break; /* the next batch starts with it */
			}
			memset(&it[m], 0, sizeof it[m]);
			it[m].key = &keys[i];
			it[m].e = e;
			m++;
			bytes += sz;
			i++;
		}
		if (rv == PX_OK && m > 0)
			rv = sync_batch(n, cl, id, it, m, st, &stop);
		for (size_t k = 0; k < m; k++)
			protobuf_c_message_free_unpacked(&it[k].e->base, NULL);
	}
	free(it);
	free(keys);
	if (rv == PX_OK) {
		outbox_key *left = NULL;
		size_t nl = 0;
		if (outbox_pending(n, &left, &nl) == PX_OK)
			st->left = nl;
		free(left);
	}
	return rv;
}

/* Pushes until nothing transient is left or max_wait_ms passed; backoff
 * doubles from 200 ms to 5 s between passes. *clp is opened on first use
 * and kept for the caller (serve reuses one client: each close of an nng
 * dialer costs a reap in the background). */
static px_err
sync_push(px_node *n, const px_identity *id, int64_t max_wait_ms, sync_stats *st,
          px_rpc_client **clp)
{
	char *addr = NULL;
	uint8_t hub_pk[PX_PK_BYTES];
	px_err rv = sync_hub(n, &addr, hub_pk);
	if (rv == PX_ENOTFOUND) {
		node_fail(n, rv, "%s",
		          PX_T("nœud non inscrit auprès d'un hub : lancez « praxis-node enroll JETON »",
		               "node not enrolled with a hub: run 'praxis-node enroll TOKEN'"));
		return rv;
	}
	if (rv != PX_OK)
		return rv;
	if (*clp == NULL && (rv = sync_client(addr, id, hub_pk, clp)) != PX_OK) {
		free(addr);
		return rv;
	}
	px_rpc_client *cl = *clp;
	int64_t start = px_mono_ns() / 1000000;
	int backoff = 200;
	for (;;) {
		rv = sync_push_once(n, cl, id, st);
		/* Done when nothing failed in passing and nothing is left, or
		 * when the hub refused something (a retry would not change it).
		 * Entries left without a failure were queued meanwhile (another
		 * sync or serve of this node built them): push them too. */
		if (rv != PX_OK || sync_stop || (st->transient == 0 && (st->left == 0 || st->refused > 0)))
			break;
		int64_t waited = px_mono_ns() / 1000000 - start;
		if (waited + backoff > max_wait_ms)
			break;
		px_log(PX_LOG_INFO, "hub %s: %zu report(s) left, retry in %d ms", addr, st->left, backoff);
		sync_sleep(backoff);
		backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
	}
	free(addr);
	return rv;
}

static int
sync_report(px_node *n, size_t built, size_t same, const sync_stats *st)
{
	if (n->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", st->left == 0);
		cJSON_AddNumberToObject(o, "built", (double)built);
		cJSON_AddNumberToObject(o, "unchanged", (double)same);
		cJSON_AddNumberToObject(o, "sent", (double)st->sent);
		cJSON_AddNumberToObject(o, "duplicate", (double)st->duplicate);
		cJSON_AddNumberToObject(o, "refused", (double)st->refused);
		cJSON_AddNumberToObject(o, "pending", (double)st->left);
		cJSON_AddNumberToObject(o, "calls", (double)st->calls);
		node_json_print(o);
	} else {
		printf(PX_T("%zu rapport(s) construit(s), %zu inchangé(s) ; %zu envoyé(s), %zu déjà reçu(s) ; %zu en attente\n",
		            "%zu report(s) built, %zu unchanged; %zu sent, %zu already received; %zu pending\n"),
		       built, same, st->sent, st->duplicate, st->left);
	}
	if (st->refused > 0)
		return NODE_EXIT_INVALID;
	return st->left == 0 ? NODE_EXIT_OK : NODE_EXIT_IO;
}

/* ------------------------------------------------------------- enroll */

static int
cmd_enroll(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_identity *id = NULL, *newid = NULL;
	px_rpc_client *cl = NULL;
	char *org = NULL, *region = NULL, *newpath = NULL, *keypath = NULL;
	px_jointoken jt;
	if (px_jointoken_parse(a->pos[0], strlen(a->pos[0]), &jt) != PX_OK) {
		rc = node_fail(n, PX_EINVAL, "%s",
		               PX_T("jeton d'adhésion mal formé (attendu : pxj1.…, copié en entier)",
		                    "malformed join token (expected pxj1.…, copied whole)"));
		goto out;
	}
	if (px_now_ms() >= jt.expires_ms) {
		rc = node_fail(n, PX_EPERM, "%s",
		               PX_T("jeton d'adhésion expiré : demandez-en un nouveau à l'administration du hub",
		                    "join token expired: ask the hub's administrator for a new one"));
		goto out;
	}
	if ((rc = sync_identity(n, &id)) != NODE_EXIT_OK)
		goto out;
	px_err rv;
	const px_identity *use = id;
	if (node_opt_get(a->opts, "new-key") != NULL) {
		/* A new key for a rotation: written beside the old one, and put in
		 * its place only once the hub has registered it. */
		keypath = node_path(n, NODE_KEY_FILE);
		newpath = node_path(n, NODE_KEY_FILE ".new");
		if (keypath == NULL || newpath == NULL) {
			rc = node_fail(n, PX_ENOMEM, "%s", px_strerror_user(PX_ENOMEM));
			goto out;
		}
		char pub[600];
		snprintf(pub, sizeof pub, "%s.pub", newpath);
		unlink(newpath);
		unlink(pub);
		const char *pass = getenv("PRAXIS_NODE_PASSPHRASE");
		if ((rv = px_identity_generate(&newid)) != PX_OK ||
		    (rv = px_identity_save(newid, newpath, pass)) != PX_OK) {
			rc = node_fail(n, rv, "%s", PX_T("nouvelle clé impossible", "cannot create the new key"));
			goto out;
		}
		use = newid;
	}
	px_txn *txn = NULL;
	if ((rv = px_txn_begin(n->st, false, &txn)) == PX_OK) {
		if (node_cfg_get(n, txn, NODE_CFG_ORG_NAME, &org) != PX_OK)
			org = NULL;
		if (node_cfg_get(n, txn, NODE_CFG_REGION, &region) != PX_OK)
			region = NULL;
		px_txn_abort(txn);
	}
	if ((rv = sync_client(jt.addr, use, jt.hub_pk, &cl)) != PX_OK) {
		rc = node_fail(n, rv, "%s", PX_T("client RPC impossible", "cannot open the RPC client"));
		goto out;
	}
	Praxis__EnrollRequest req = PRAXIS__ENROLL_REQUEST__INIT;
	req.token_secret.data = jt.secret;
	req.token_secret.len = sizeof jt.secret;
	const char *org_opt = node_opt_get(a->opts, "org");
	req.org_name = (char *)(org_opt != NULL ? org_opt : org != NULL ? org : "");
	req.region = region ? region : (char *)"";
	ProtobufCMessage *resp = NULL;
	px_status st;
	memset(&st, 0, sizeof st);
	rv = px_rpc_call_named(cl, &praxis__hub__descriptor, "Enroll", &req.base, 0, &resp, &st);
	px_wipe(jt.secret, sizeof jt.secret);
	if (st.code == PX_CODE_UNAVAILABLE || st.code == PX_CODE_DEADLINE_EXCEEDED) {
		rc = node_fail(n, PX_EUNAVAIL,
		               PX_T("hub %s injoignable : réessayez plus tard (le jeton reste valable jusqu'à son expiration)",
		                    "hub %s unreachable: try again later (the token stays valid until it expires)"),
		               jt.addr);
		goto out;
	}
	if (rv != PX_OK || st.code != PX_CODE_OK) {
		rc = node_fail(n, rv != PX_OK ? rv : PX_EPERM,
		               PX_T("inscription refusée par le hub %s : %s (%s)",
		                    "enrollment refused by hub %s: %s (%s)"),
		               jt.addr, st.message, px_code_name(st.code));
		goto out;
	}
	Praxis__EnrollResponse *er = (Praxis__EnrollResponse *)resp;
	if (er->hub_key.len != PX_PK_BYTES || memcmp(er->hub_key.data, jt.hub_pk, PX_PK_BYTES) != 0) {
		protobuf_c_message_free_unpacked(resp, NULL);
		rc = node_fail(n, PX_EAUTH, "%s",
		               PX_T("le hub a répondu avec une autre clé que celle du jeton",
		                    "the hub answered with a key other than the token's"));
		goto out;
	}
	char hex[PX_PK_HEX];
	px_hex_encode(jt.hub_pk, PX_PK_BYTES, hex);
	if ((rv = px_txn_begin(n->st, true, &txn)) == PX_OK) {
		rv = node_cfg_put(n, txn, SYNC_CFG_HUB_ADDR, jt.addr);
		if (rv == PX_OK)
			rv = node_cfg_put(n, txn, SYNC_CFG_HUB_KEY, hex);
		if (rv == PX_OK)
			rv = node_cfg_put(n, txn, SYNC_CFG_HUB_TENANT, er->tenant);
		if (rv == PX_OK) {
			rv = px_txn_commit(txn);
			txn = NULL;
		}
		px_txn_abort(txn);
	}
	char tenant[PX_JT_TENANT_MAX + 1];
	px_strlcpy(tenant, er->tenant, sizeof tenant);
	protobuf_c_message_free_unpacked(resp, NULL);
	if (rv != PX_OK) {
		rc = node_fail(n, rv, "%s", PX_T("enregistrement du hub impossible", "cannot store the hub"));
		goto out;
	}
	if (newid != NULL) {
		char pub[600], newpub[600];
		snprintf(pub, sizeof pub, "%s.pub", keypath);
		snprintf(newpub, sizeof newpub, "%s.pub", newpath);
		if (rename(newpath, keypath) != 0 || rename(newpub, pub) != 0) {
			rc = node_fail(n, PX_EIO, "%s", PX_T("remplacement de la clé impossible", "cannot replace the key"));
			goto out;
		}
	}
	if (n->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", true);
		cJSON_AddStringToObject(o, "tenant", tenant);
		cJSON_AddStringToObject(o, "hub", jt.addr);
		cJSON_AddStringToObject(o, "hub_key", hex);
		node_json_print(o);
	} else {
		printf(PX_T("Nœud inscrit auprès du hub %s (organisation « %s »), clé du hub %s\n",
		            "Node enrolled with hub %s (tenant '%s'), hub key %s\n"),
		       jt.addr, tenant, hex);
	}
out:
	px_rpc_client_close(cl);
	px_identity_free(id);
	px_identity_free(newid);
	free(org);
	free(region);
	free(keypath);
	free(newpath);
	return rc;
}

/* --------------------------------------------------------------- sync */

static int
cmd_sync(px_node *n, const node_args *a)
{
	px_identity *id = NULL;
	px_period *periods = NULL;
	size_t np = 0, built = 0, same = 0;
	int64_t max_wait = 30000;
	const char *mw = node_opt_get(a->opts, "max-wait");
	if (mw != NULL) {
		char *end = NULL;
		double s = strtod(mw, &end);
		if (end == mw || *end != '\0' || s < 0 || s > 86400)
			return node_usage(n, PX_T("--max-wait invalide « %s »", "invalid --max-wait '%s'"), mw);
		max_wait = (int64_t)(s * 1000);
	}
	int rc = sync_prepare(n, a, &periods, &np, &id);
	if (rc != NODE_EXIT_OK)
		goto out;
	px_err rv;
	if (node_opt_get(a->opts, "no-build") == NULL &&
	    (rv = outbox_build_all(n, id, periods, np, &built, &same)) != PX_OK) {
		rc = node_fail(n, rv, "%s", PX_T("construction des rapports impossible", "cannot build the reports"));
		goto out;
	}
	signal(SIGINT, sync_on_signal);
	signal(SIGTERM, sync_on_signal);
	sync_stats st = {0};
	px_rpc_client *cl = NULL;
	rv = sync_push(n, id, max_wait, &st, &cl);
	px_rpc_client_close(cl);
	if (rv == PX_ENOTFOUND) {
		rc = NODE_EXIT_NOTFOUND;
		goto out;
	}
	if (rv != PX_OK) {
		rc = node_fail(n, rv, "%s", PX_T("envoi impossible", "cannot push"));
		goto out;
	}
	rc = sync_report(n, built, same, &st);
	/* Say why: the hub away is not the hub out of storage. */
	if (st.left > 0 && st.refused == 0 && !n->json)
		node_warn(n, PX_T("hub injoignable ou indisponible (%s) : les rapports restent dans la boîte d'envoi",
		                  "hub unreachable or unavailable (%s): reports stay in the outbox"),
		          st.last[0] ? st.last : PX_T("pas de réponse", "no answer"));
out:
	px_identity_free(id);
	free(periods);
	return rc;
}

/* -------------------------------------------------------------- serve */

static int
cmd_serve(px_node *n, const node_args *a)
{
	px_identity *id = NULL;
	px_period *periods = NULL;
	size_t np = 0;
	double interval = 300;
	const char *iv = node_opt_get(a->opts, "interval");
	if (iv != NULL) {
		char *end = NULL;
		interval = strtod(iv, &end);
		if (end == iv || *end != '\0' || interval < 0.1 || interval > 86400)
			return node_usage(n, PX_T("--interval invalide « %s »", "invalid --interval '%s'"), iv);
	}
	int rc = sync_prepare(n, a, &periods, &np, &id);
	if (rc != NODE_EXIT_OK)
		goto out;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = sync_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	px_log(PX_LOG_INFO, "serve: sync every %.1f s", interval);
	px_rpc_client *cl = NULL;
	while (!sync_stop) {
		size_t built = 0, same = 0;
		sync_stats st = {0};
		px_err rv = outbox_build_all(n, id, periods, np, &built, &same);
		if (rv == PX_OK)
			rv = sync_push(n, id, (int64_t)(interval * 1000), &st, &cl);
		if (rv == PX_ENOTFOUND) {
			rc = NODE_EXIT_NOTFOUND;
			break;
		}
		if (rv != PX_OK)
			px_log(PX_LOG_WARN, "sync: %s", px_strerror_user(rv));
		else
			px_log(PX_LOG_INFO, "sync: %zu built, %zu sent, %zu duplicate, %zu pending", built,
			       st.sent, st.duplicate, st.left);
		/* An erasure made while this process held the store waits for it:
		 * compacted here, between two rounds, with nothing open. */
		if ((rv = node_compact(n, true)) != PX_OK && rv != PX_EPRECOND)
			px_log(PX_LOG_WARN, "serve: compact: %s", px_strerror_user(rv));
		sync_sleep((int)(interval * 1000));
	}
	px_rpc_client_close(cl);
	px_log(PX_LOG_INFO, "serve: stopped");
out:
	px_identity_free(id);
	free(periods);
	return rc;
}

/* ------------------------------------------------------------- outbox */

typedef struct outbox_list_ctx {
	bool all;
	node_listing out;
} outbox_list_ctx;

static void
outbox_list_cb(void *arg, const Praxis__OutboxEntry *e)
{
	outbox_list_ctx *c = arg;
	if (!c->all && !e->pending)
		return;
	c->out.count++;
	if (c->out.arr != NULL) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "community_uid", e->community_uid);
		cJSON_AddNumberToObject(o, "community_id", (double)e->community_id);
		cJSON_AddStringToObject(o, "community", e->community_name);
		cJSON_AddStringToObject(o, "period", e->period);
		cJSON_AddNumberToObject(o, "revision", e->revision);
		cJSON_AddBoolToObject(o, "pending", e->pending);
		cJSON_AddNumberToObject(o, "attempts", e->attempts);
		cJSON_AddStringToObject(o, "last_error", e->last_error);
		cJSON_AddItemToArray(c->out.arr, o);
		return;
	}
	char *rev = node_fmt("%u", e->revision), *att = node_fmt("%u", e->attempts);
	const char *cells[] = {e->community_name, e->period, rev,
	                       e->pending ? PX_T("en attente", "pending") : PX_T("reçu", "received"), att,
	                       e->last_error};
	node_table_row(c->out.t, cells);
	free(rev);
	free(att);
}

static int
cmd_outbox_list(px_node *n, const node_args *a)
{
	outbox_list_ctx c = {node_opt_get(a->opts, "all") != NULL, {NULL, NULL, 0}};
	const char *hdr[] = {PX_T("communauté", "community"), PX_T("période", "period"), PX_T("révision", "revision"),
	                     PX_T("état", "state"), PX_T("essais", "attempts"), PX_T("dernière erreur", "last error")};
	if (node_listing_begin(n, &c.out, 6, hdr) != PX_OK)
		return node_store_fail(n, PX_ENOMEM);
	px_err rv = outbox_each(n, outbox_list_cb, &c);
	if (rv != PX_OK) {
		node_listing_fini(&c.out);
		return node_fail(n, rv, "%s", PX_T("lecture de la boîte d'envoi impossible", "cannot read the outbox"));
	}
	node_listing_end(&c.out, PX_T("Aucun rapport en attente.", "No pending report."));
	return NODE_EXIT_OK;
}

static int
cmd_outbox_build(px_node *n, const node_args *a)
{
	px_period *periods = NULL;
	size_t np = 0, built = 0, same = 0;
	px_identity *id = NULL;
	int rc = sync_prepare(n, a, &periods, &np, &id);
	if (rc != NODE_EXIT_OK)
		goto out;
	px_err rv = outbox_build_all(n, id, periods, np, &built, &same);
	if (rv != PX_OK) {
		rc = node_fail(n, rv, "%s", PX_T("construction impossible", "cannot build"));
		goto out;
	}
	if (n->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "built", (double)built);
		cJSON_AddNumberToObject(o, "unchanged", (double)same);
		node_json_print(o);
	} else {
		printf(PX_T("%zu rapport(s) construit(s), %zu inchangé(s)\n", "%zu report(s) built, %zu unchanged\n"),
		       built, same);
	}
out:
	px_identity_free(id);
	free(periods);
	return rc;
}
