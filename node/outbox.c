/*
 * outbox.c - community reports into the node's outbox: built from the
 * plugin view (view.c), the plugin's findings and indicators (rules.c),
 * src/report's builder with small-cell suppression, signed with the node
 * key; one entry per (community, period), see sync.h.
 */
#define _GNU_SOURCE
#include "sync.h"
#include "px_plugin_host.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

px_err
outbox_identity(px_node *n, px_identity **out)
{
	char *path = node_path(n, NODE_KEY_FILE);
	if (path == NULL)
		return PX_ENOMEM;
	const char *pass = getenv("PRAXIS_NODE_PASSPHRASE");
	px_err rv = px_crypto_init();
	if (rv == PX_OK)
		rv = px_identity_load(out, path, pass != NULL && pass[0] ? pass : NULL);
	free(path);
	return rv;
}

/* Fixed at the first report: uids must not change with a key rotation. */
static px_err
outbox_uid_prefix(px_node *n, px_txn *txn, const px_identity *id, char out[17])
{
	char *v = NULL;
	px_err rv = node_cfg_get(n, txn, SYNC_CFG_UID_PREFIX, &v);
	if (rv == PX_OK) {
		px_strlcpy(out, v, 17);
		free(v);
		return PX_OK;
	}
	if (rv != PX_ENOTFOUND)
		return rv;
	char hex[PX_PK_HEX];
	px_hex_encode(px_identity_pk(id), PX_PK_BYTES, hex);
	memcpy(out, hex, 16);
	out[16] = '\0';
	return node_cfg_put(n, txn, SYNC_CFG_UID_PREFIX, out);
}

static size_t
outbox_keyof(uint8_t *k, size_t cap, const char *uid, const char *period)
{
	size_t ul = strlen(uid), pl = strlen(period);
	if (ul + 1 + pl > cap)
		return 0;
	memcpy(k, uid, ul);
	k[ul] = 0;
	memcpy(k + ul + 1, period, pl);
	return ul + 1 + pl;
}

/* Findings counted by (rule, severity). */
typedef struct outbox_counts {
	px_finding_count *v;
	size_t n, cap;
} outbox_counts;

static px_err
outbox_count(outbox_counts *c, const char *rule, int sev)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].severity == sev && strcmp(c->v[i].rule_id, rule) == 0) {
			c->v[i].count++;
			return PX_OK;
		}
	if (node_reserve((void **)&c->v, c->n, &c->cap, sizeof *c->v) != PX_OK)
		return PX_ENOMEM;
	c->v[c->n].rule_id = rule; /* borrowed from the findings, which outlive the build */
	c->v[c->n].severity = sev;
	c->v[c->n].count = 1;
	c->n++;
	return PX_OK;
}

typedef struct outbox_inds {
	px_indicator *v;
	size_t n, cap;
	bool oom;
} outbox_inds;

static void
outbox_ind_cb(void *arg, const char *name, double value, uint32_t population)
{
	outbox_inds *c = arg;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return; /* the report refuses duplicates: keep the first */
	char *nm = NULL;
	if (node_reserve((void **)&c->v, c->n, &c->cap, sizeof *c->v) != PX_OK || (nm = strdup(name)) == NULL) {
		c->oom = true;
		return;
	}
	c->v[c->n].name = nm;
	c->v[c->n].value = value;
	c->v[c->n].population = population;
	c->n++;
}

static void
outbox_inds_fini(outbox_inds *c)
{
	for (size_t i = 0; i < c->n; i++)
		free((char *)c->v[i].name);
	free(c->v);
}

/* BLAKE2b of the report without what changes at every build. */
static px_err
outbox_content_hash(Praxis__CommunityReport *r, uint8_t out[32])
{
	uint32_t rev = r->revision;
	int64_t gen = r->generated_at;
	r->revision = 0;
	r->generated_at = 0;
	size_t len = protobuf_c_message_get_packed_size(&r->base);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf != NULL) {
		protobuf_c_message_pack(&r->base, buf);
		px_hash(buf, len, out, 32);
	}
	free(buf);
	r->revision = rev;
	r->generated_at = gen;
	return buf != NULL ? PX_OK : PX_ENOMEM;
}

px_err
outbox_build(px_node *n, const px_identity *id, uint64_t community, px_period period, bool *changed,
             uint32_t *revision)
{
	px_txn *txn = NULL;
	node_view *v = NULL;
	node_findings f = {0};
	outbox_counts fc = {0};
	outbox_inds inds = {0};
	Praxis__CommunityReport *rep = NULL;
	Praxis__SignedReport *sr = NULL;
	Praxis__OutboxEntry *old = NULL;
	*changed = false;
	*revision = 0;
	int32_t first = px_period_first_day(period), last = px_period_last_day(period);
	char pstr[PX_PERIOD_STRLEN];
	px_period_format(period, pstr);
	px_err rv = px_txn_begin(n->st, true, &txn);
	if (rv != PX_OK)
		return rv;
	char prefix[17], uid[64];
	if ((rv = outbox_uid_prefix(n, txn, id, prefix)) != PX_OK)
		goto done;
	snprintf(uid, sizeof uid, "%s-%llu", prefix, (unsigned long long)community);
	if ((rv = node_view_build(n, txn, community, first, last, &v)) != PX_OK)
		goto done;
	/* The audit: a plugin missing or failed makes plugin_ok false, so the
	 * community is never shown as compliant. */
	bool plugin_ok = true;
	px_err arv = node_audit(n, txn, community, first, last, &f);
	if (arv != PX_OK || f.plugin_missing)
		plugin_ok = false;
	for (size_t i = 0; arv == PX_OK && i < f.n; i++) {
		if (strcmp(f.v[i].rule_id, PX_PLUGIN_FAILURE_RULE) == 0)
			plugin_ok = false;
		if ((rv = outbox_count(&fc, f.v[i].rule_id, (int)f.v[i].severity)) != PX_OK)
			goto done;
	}
	if (plugin_ok && node_indicators(n, txn, community, first, last, outbox_ind_cb, &inds) != PX_OK)
		plugin_ok = false;
	if (inds.oom) {
		rv = PX_ENOMEM;
		goto done;
	}
	uint8_t key[256];
	size_t kl = outbox_keyof(key, sizeof key, uid, pstr);
	if (kl == 0) {
		rv = PX_EINVAL;
		goto done;
	}
	rv = px_get_msg(txn, n->db.outbox, key, kl, &praxis__outbox_entry__descriptor,
	                (ProtobufCMessage **)&old);
	if (rv != PX_OK && rv != PX_ENOTFOUND)
		goto done;
	px_report_opts o = {0};
	o.community_uid = uid;
	o.k = n->cfg.k;
	o.revision = old != NULL ? old->revision + 1 : 1;
	o.generated_at = (int64_t)time(NULL);
	o.plugin_ok = plugin_ok;
	const pxp_community *view = node_view_community(v);
	/* A calendar that could not run leaves 0 expected: the audit above
	 * already marked the report plugin_ok = false. */
	if (node_report_figures(n, node_view_record(v), view, first, last, &o.meetings_expected, &o.hours_cap) !=
	    PX_OK)
		plugin_ok = o.plugin_ok = false;
	rv = px_report_build(view, period, &o, fc.v, fc.n, inds.v, inds.n, &rep);
	if (rv == PX_EINVAL && inds.n > 0) {
		/* A plugin indicator the report refuses (a core name): the core
		 * report still goes, without the plugin's. */
		node_warn(n, PX_T("indicateurs du plugiciel ignorés pour la communauté %llu",
		                  "plugin indicators ignored for community %llu"),
		          (unsigned long long)community);
		rv = px_report_build(view, period, &o, fc.v, fc.n, NULL, 0, &rep);
	}
	if (rv != PX_OK)
		goto done;
	uint8_t hash[32];
	if ((rv = outbox_content_hash(rep, hash)) != PX_OK)
		goto done;
	if (old != NULL && old->content_hash.len == 32 && memcmp(old->content_hash.data, hash, 32) == 0) {
		*revision = old->revision;
		rv = PX_OK;
		goto done; /* same content: no new revision */
	}
	if ((rv = px_report_sign(rep, id, &sr)) != PX_OK)
		goto done;
	Praxis__OutboxEntry e = PRAXIS__OUTBOX_ENTRY__INIT;
	e.community_uid = uid;
	e.period = pstr;
	e.revision = o.revision;
	e.content_hash.data = hash;
	e.content_hash.len = 32;
	e.signed_report = sr;
	e.pending = true;
	e.built_ms = px_now_ms();
	e.community_id = community;
	e.community_name = (char *)node_view_record(v)->name;
	if ((rv = px_put_msg(txn, n->db.outbox, key, kl, &e.base)) != PX_OK)
		goto done;
	rv = px_txn_commit(txn);
	txn = NULL;
	if (rv == PX_OK) {
		*changed = true;
		*revision = o.revision;
	}
done:
	px_txn_abort(txn);
	if (old != NULL)
		protobuf_c_message_free_unpacked(&old->base, NULL);
	px_signed_report_free(sr);
	px_report_free(rep);
	outbox_inds_fini(&inds);
	free(fc.v);
	node_findings_fini(&f);
	node_view_free(v);
	return rv;
}

/* Scans all of db in one read transaction. */
static px_err
outbox_scan_all(px_node *n, px_db db, px_scan_fn fn, void *arg)
{
	px_txn *txn = NULL;
	px_err rv = px_txn_begin(n->st, false, &txn);
	if (rv == PX_OK)
		rv = px_scan(txn, db, NULL, 0, fn, arg);
	px_txn_abort(txn);
	return rv;
}

typedef struct outbox_ids {
	uint64_t *v;
	size_t n, cap;
} outbox_ids;

static px_err
outbox_ids_cb(void *arg, px_val key, px_val val)
{
	outbox_ids *c = arg;
	(void)val;
	if (key.size != 8)
		return PX_OK;
	if (node_reserve((void **)&c->v, c->n, &c->cap, sizeof *c->v) != PX_OK)
		return PX_ENOMEM;
	c->v[c->n++] = px_rd64(key.data);
	return PX_OK;
}

px_err
outbox_build_all(px_node *n, const px_identity *id, const px_period *periods, size_t np,
                 size_t *built, size_t *same)
{
	*built = *same = 0;
	outbox_ids ids = {0};
	px_err rv = outbox_scan_all(n, n->db.communities, outbox_ids_cb, &ids);
	for (size_t i = 0; rv == PX_OK && i < ids.n; i++)
		for (size_t p = 0; rv == PX_OK && p < np; p++) {
			bool changed = false;
			uint32_t rev = 0;
			rv = outbox_build(n, id, ids.v[i], periods[p], &changed, &rev);
			if (rv == PX_OK)
				(*(changed ? built : same))++;
		}
	free(ids.v);
	return rv;
}

typedef struct outbox_keys_ctx {
	outbox_key *v;
	size_t n, cap;
	bool pending_only;
} outbox_keys_ctx;

static px_err
outbox_keys_cb(void *arg, px_val key, px_val val)
{
	outbox_keys_ctx *c = arg;
	if (key.size > sizeof c->v[0].k)
		return PX_OK;
	Praxis__OutboxEntry *e = praxis__outbox_entry__unpack(NULL, val.size, val.data);
	if (e == NULL)
		return PX_ECORRUPT;
	bool take = e->pending || !c->pending_only;
	praxis__outbox_entry__free_unpacked(e, NULL);
	if (!take)
		return PX_OK;
	if (node_reserve((void **)&c->v, c->n, &c->cap, sizeof *c->v) != PX_OK)
		return PX_ENOMEM;
	memcpy(c->v[c->n].k, key.data, key.size);
	c->v[c->n].len = key.size;
	c->n++;
	return PX_OK;
}

px_err
outbox_pending(px_node *n, outbox_key **keys, size_t *count)
{
	outbox_keys_ctx c = {NULL, 0, 0, true};
	px_err rv = outbox_scan_all(n, n->db.outbox, outbox_keys_cb, &c);
	if (rv != PX_OK) {
		free(c.v);
		return rv;
	}
	*keys = c.v;
	*count = c.n;
	return PX_OK;
}

px_err
outbox_get(px_node *n, const outbox_key *key, Praxis__OutboxEntry **out)
{
	px_txn *txn = NULL;
	px_err rv = px_txn_begin(n->st, false, &txn);
	if (rv != PX_OK)
		return rv;
	rv = px_get_msg(txn, n->db.outbox, key->k, key->len, &praxis__outbox_entry__descriptor,
	                (ProtobufCMessage **)out);
	px_txn_abort(txn);
	return rv;
}

/* Read-modify-write of the entries of a batch in one transaction (one
 * fsync for the batch, as the hub commits it). */
px_err
outbox_settle(px_node *n, const outbox_outcome *v, size_t count)
{
	px_txn *txn = NULL;
	px_err rv = px_txn_begin(n->st, true, &txn);
	if (rv != PX_OK)
		return rv;
	int64_t now = px_now_ms();
	for (size_t i = 0; i < count && rv == PX_OK; i++) {
		Praxis__OutboxEntry *e = NULL;
		rv = px_get_msg(txn, n->db.outbox, v[i].key->k, v[i].key->len,
		                &praxis__outbox_entry__descriptor, (ProtobufCMessage **)&e);
		if (rv != PX_OK)
			break;
		if (e->revision != v[i].revision) {
			/* A newer revision was built meanwhile: it stays pending. */
			protobuf_c_message_free_unpacked(&e->base, NULL);
			continue;
		}
		char *old_err = e->last_error;
		if (v[i].error == NULL) {
			e->pending = false;
			e->acked_ms = now;
			e->last_error = (char *)"";
		} else {
			e->attempts++;
			e->last_error = (char *)v[i].error;
		}
		rv = px_put_msg(txn, n->db.outbox, v[i].key->k, v[i].key->len, &e->base);
		e->last_error = old_err;
		protobuf_c_message_free_unpacked(&e->base, NULL);
	}
	if (rv == PX_OK) {
		rv = px_txn_commit(txn);
		txn = NULL;
	}
	px_txn_abort(txn);
	return rv;
}

px_err
outbox_resign(px_node *n, const px_identity *id, const outbox_key *key, bool bump)
{
	px_txn *txn = NULL;
	Praxis__OutboxEntry *e = NULL;
	Praxis__CommunityReport *r = NULL;
	Praxis__SignedReport *sr = NULL;
	px_err rv = px_txn_begin(n->st, true, &txn);
	if (rv != PX_OK)
		return rv;
	rv = px_get_msg(txn, n->db.outbox, key->k, key->len, &praxis__outbox_entry__descriptor,
	                (ProtobufCMessage **)&e);
	if (rv != PX_OK)
		goto done;
	if (e->signed_report == NULL) {
		rv = PX_ECORRUPT;
		goto done;
	}
	r = praxis__community_report__unpack(NULL, e->signed_report->report.len,
	                                     e->signed_report->report.data);
	if (r == NULL) {
		rv = PX_ECORRUPT;
		goto done;
	}
	if (bump) {
		r->revision++;
		r->generated_at = (int64_t)time(NULL);
	}
	if ((rv = px_report_sign(r, id, &sr)) != PX_OK)
		goto done;
	Praxis__SignedReport *keep = e->signed_report;
	e->signed_report = sr;
	e->revision = r->revision;
	e->pending = true;
	rv = px_put_msg(txn, n->db.outbox, key->k, key->len, &e->base);
	e->signed_report = keep;
	if (rv == PX_OK) {
		rv = px_txn_commit(txn);
		txn = NULL;
	}
done:
	px_txn_abort(txn);
	px_signed_report_free(sr);
	if (r != NULL)
		px_report_free(r);
	if (e != NULL)
		protobuf_c_message_free_unpacked(&e->base, NULL);
	return rv;
}

typedef struct outbox_each_ctx {
	outbox_fn fn;
	void *arg;
} outbox_each_ctx;

static px_err
outbox_each_cb(void *arg, px_val key, px_val val)
{
	outbox_each_ctx *c = arg;
	(void)key;
	Praxis__OutboxEntry *e = praxis__outbox_entry__unpack(NULL, val.size, val.data);
	if (e == NULL)
		return PX_ECORRUPT;
	c->fn(c->arg, e);
	praxis__outbox_entry__free_unpacked(e, NULL);
	return PX_OK;
}

px_err
outbox_each(px_node *n, outbox_fn fn, void *arg)
{
	outbox_each_ctx c = {fn, arg};
	return outbox_scan_all(n, n->db.outbox, outbox_each_cb, &c);
}
