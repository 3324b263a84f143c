/*
 * hubdb.c - the hub's storage: identity, tenants, join tokens, node keys,
 * viewers, the audit log, and the ingest of signed reports.
 */
#define _GNU_SOURCE
#include "hub.h"
#include "px_plugin_host.h"
#include "px_report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const hub_db_names[] = {"tenants", "keys", "tokens", "viewers",
                                           "reports", "latest", "communities", "audit",
                                           "heads", "views", NULL};
/* Positions in hub_db_names (a px_db is one), for the migration, which
 * runs before the hub has its handles. */
enum { HUB_DB_LATEST = 5, HUB_DB_HEADS = 8, HUB_DB_VIEWS = 9 };

static px_err
hub_migrate(px_txn *txn, uint32_t from, uint32_t to, void *arg)
{
	(void)arg;
	(void)to;
	if (from < 2)
		return hub_views_migrate(txn, (px_db){HUB_DB_LATEST}, (px_db){HUB_DB_HEADS},
		                         (px_db){HUB_DB_VIEWS});
	return PX_OK;
}

static px_err
hub_store_open(const char *dir, bool create, px_store **out)
{
	struct stat sb;
	char path[600];
	snprintf(path, sizeof path, "%s/hub.mdb", dir);
	if (!create && stat(path, &sb) != 0)
		return PX_ENOTFOUND;
	px_store_opts o = {0};
	o.dir = dir;
	o.file = "hub.mdb";
	o.dbs = hub_db_names;
	o.schema_version = HUB_SCHEMA;
	o.migrate = hub_migrate;
	/* The most hub.mdb may grow to: address space, not disk (the file
	 * grows as it is written). A federation's reports fit in far less,
	 * but a reader holding an old snapshot (an export) while nodes write
	 * keeps freed pages from reuse, and the file grows meanwhile. */
	o.map_size = HUB_MAP_DEFAULT;
	const char *ms = getenv("PRAXIS_HUB_MAP_MB");
	if (ms != NULL && atol(ms) > 0)
		o.map_size = (size_t)atol(ms) << 20;
	return px_store_open(out, &o);
}

px_err
hub_init_dir(const char *dir, const char *listen, const char *passphrase)
{
	px_err rv;
	px_store *st = NULL;
	px_identity *id = NULL;
	px_txn *txn = NULL;
	char kpath[600];
	snprintf(kpath, sizeof kpath, "%s/hub.key", dir);
	/* mkdir -p, 0700 for what we create. */
	char tmp[512];
	if (!px_strlcpy(tmp, dir, sizeof tmp))
		return PX_EINVAL;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return PX_EIO;
		*p = '/';
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return PX_EIO;
	struct stat sb;
	if (stat(kpath, &sb) == 0)
		return PX_EEXISTS;
	if ((rv = hub_store_open(dir, true, &st)) != PX_OK)
		goto fail;
	if ((rv = px_identity_generate(&id)) != PX_OK)
		goto fail;
	if ((rv = px_identity_save(id, kpath, passphrase)) != PX_OK)
		goto fail;
	if ((rv = px_txn_begin(st, true, &txn)) != PX_OK)
		goto fail;
	if ((rv = px_meta_put(txn, "listen", listen, strlen(listen))) != PX_OK)
		goto fail;
	rv = px_txn_commit(txn);
	txn = NULL;
fail:
	px_txn_abort(txn);
	px_identity_free(id);
	px_store_close(st);
	return rv;
}

px_err
hub_open(const char *dir, const char *passphrase, hub **out)
{
	px_err rv;
	hub *h = calloc(1, sizeof *h);
	px_txn *txn = NULL;
	if (h == NULL)
		return PX_ENOMEM;
	px_strlcpy(h->dir, dir, sizeof h->dir);
	char kpath[600];
	snprintf(kpath, sizeof kpath, "%s/hub.key", dir);
	if ((rv = px_identity_load(&h->id, kpath, passphrase)) != PX_OK)
		goto fail;
	if ((rv = hub_store_open(dir, false, &h->st)) != PX_OK)
		goto fail;
	h->tenants = px_store_db(h->st, "tenants");
	h->keys = px_store_db(h->st, "keys");
	h->tokens = px_store_db(h->st, "tokens");
	h->viewers = px_store_db(h->st, "viewers");
	h->reports = px_store_db(h->st, "reports");
	h->communities = px_store_db(h->st, "communities");
	h->audit = px_store_db(h->st, "audit");
	h->heads = px_store_db(h->st, "heads");
	h->views = px_store_db(h->st, "views");
	px_strlcpy(h->listen, HUB_DEFAULT_LISTEN, sizeof h->listen);
	if ((rv = px_txn_begin(h->st, false, &txn)) != PX_OK)
		goto fail;
	px_val v;
	if (px_meta_get(txn, "listen", &v) == PX_OK && v.size < sizeof h->listen) {
		memcpy(h->listen, v.data, v.size);
		h->listen[v.size] = '\0';
	}
	px_txn_abort(txn);
	*out = h;
	return PX_OK;
fail:
	hub_close(h);
	return rv;
}

void
hub_load_plugins(hub *h)
{
	if (h->plugins != NULL)
		return;
	px_plugin_host *ph = NULL;
	if (px_plugin_host_open(NULL, &ph) == PX_OK)
		h->plugins = ph;
}

void
hub_close(hub *h)
{
	if (h == NULL)
		return;
	hub_audit_flush(h);
	px_plugin_host_close(h->plugins);
	px_store_close(h->st);
	px_identity_free(h->id);
	free(h);
}

/* ------------------------------------------------------------- tenants */

static void
hub_secret_hash(const uint8_t *secret, size_t len, uint8_t out[32])
{
	px_hash(secret, len, out, 32);
}

/* Creates a join token for tenant in txn and formats it. */
static px_err
hub_token_new(hub *h, px_txn *txn, const char *tenant, int64_t ttl_ms, const char *addr,
              char token[PX_JT_TEXT_MAX])
{
	px_jointoken jt;
	memset(&jt, 0, sizeof jt);
	memcpy(jt.hub_pk, px_identity_pk(h->id), PX_PK_BYTES);
	px_random(jt.secret, sizeof jt.secret);
	jt.expires_ms = px_now_ms() + ttl_ms;
	px_strlcpy(jt.tenant, tenant, sizeof jt.tenant);
	px_strlcpy(jt.addr, addr != NULL && addr[0] ? addr : h->listen, sizeof jt.addr);
	px_err rv = px_jointoken_format(&jt, token, PX_JT_TEXT_MAX);
	uint8_t hash[32];
	hub_secret_hash(jt.secret, sizeof jt.secret, hash);
	px_wipe(jt.secret, sizeof jt.secret);
	if (rv != PX_OK)
		return rv;
	Praxis__HubJoinToken rec = PRAXIS__HUB_JOIN_TOKEN__INIT;
	rec.secret_hash.data = hash;
	rec.secret_hash.len = sizeof hash;
	rec.tenant = (char *)tenant;
	rec.expires_ms = jt.expires_ms;
	return px_put_msg(txn, h->tokens, hash, sizeof hash, &rec.base);
}

px_err
hub_tenant_add(hub *h, const char *name, const char *region, int64_t ttl_ms, const char *addr,
               char token[PX_JT_TEXT_MAX])
{
	if (!px_tenant_name_valid(name) || region == NULL || strlen(region) > 95)
		return PX_EINVAL;
	px_txn *txn = NULL;
	px_err rv;
	if ((rv = px_txn_begin(h->st, true, &txn)) != PX_OK)
		return rv;
	Praxis__HubTenant t = PRAXIS__HUB_TENANT__INIT;
	t.name = (char *)name;
	t.region = (char *)region;
	t.created_ms = px_now_ms();
	uint8_t buf[512];
	size_t n = protobuf_c_message_pack(&t.base, buf);
	if ((rv = px_put_new(txn, h->tenants, name, strlen(name), buf, n)) != PX_OK)
		goto fail;
	if ((rv = hub_token_new(h, txn, name, ttl_ms, addr, token)) != PX_OK)
		goto fail;
	return px_txn_commit(txn);
fail:
	px_txn_abort(txn);
	return rv;
}

px_err
hub_tenant_get(hub *h, const char *name, Praxis__HubTenant **out)
{
	px_txn *txn = NULL;
	px_err rv = px_txn_begin(h->st, false, &txn);
	if (rv != PX_OK)
		return rv;
	rv = px_get_msg(txn, h->tenants, name, strlen(name), &praxis__hub_tenant__descriptor,
	                (ProtobufCMessage **)out);
	px_txn_abort(txn);
	return rv;
}

/* Node keys of one tenant, collected by a scan before they are rewritten:
 * writing while a cursor walks the same database would invalidate the
 * borrowed values. */
typedef struct hub_pklist {
	const char *tenant;
	bool live_only;
	uint8_t (*pk)[PX_PK_BYTES];
	size_t n, cap;
} hub_pklist;

static px_err
hub_pklist_cb(void *arg, px_val key, px_val val)
{
	hub_pklist *l = arg;
	if (key.size != PX_PK_BYTES)
		return PX_OK;
	Praxis__HubNodeKey *k = praxis__hub_node_key__unpack(NULL, val.size, val.data);
	if (k == NULL)
		return PX_ECORRUPT;
	bool match = strcmp(k->tenant, l->tenant) == 0 && !(l->live_only && k->revoked);
	praxis__hub_node_key__free_unpacked(k, NULL);
	if (!match)
		return PX_OK;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 8;
		void *np = realloc(l->pk, nc * sizeof *l->pk);
		if (np == NULL)
			return PX_ENOMEM;
		l->pk = np;
		l->cap = nc;
	}
	memcpy(l->pk[l->n++], key.data, PX_PK_BYTES);
	return PX_OK;
}

static px_err
hub_revoke_tenant_keys(hub *h, px_txn *txn, const char *tenant)
{
	hub_pklist l = {tenant, true, NULL, 0, 0};
	px_err rv = px_scan(txn, h->keys, NULL, 0, hub_pklist_cb, &l);
	for (size_t i = 0; rv == PX_OK && i < l.n; i++) {
		Praxis__HubNodeKey *k = NULL;
		rv = px_get_msg(txn, h->keys, l.pk[i], PX_PK_BYTES, &praxis__hub_node_key__descriptor,
		                (ProtobufCMessage **)&k);
		if (rv != PX_OK)
			break;
		k->revoked = true;
		k->revoked_ms = px_now_ms();
		rv = px_put_msg(txn, h->keys, l.pk[i], PX_PK_BYTES, &k->base);
		praxis__hub_node_key__free_unpacked(k, NULL);
	}
	free(l.pk);
	return rv;
}

/* Marks the tenant's unused join tokens used, so a revoked tenant cannot
 * come back through an old token. */
typedef struct hub_toklist {
	const char *tenant;
	uint8_t (*hash)[32];
	size_t n, cap;
} hub_toklist;

static px_err
hub_toklist_cb(void *arg, px_val key, px_val val)
{
	hub_toklist *l = arg;
	if (key.size != 32)
		return PX_OK;
	Praxis__HubJoinToken *t = praxis__hub_join_token__unpack(NULL, val.size, val.data);
	if (t == NULL)
		return PX_ECORRUPT;
	bool match = strcmp(t->tenant, l->tenant) == 0 && !t->used;
	praxis__hub_join_token__free_unpacked(t, NULL);
	if (!match)
		return PX_OK;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 8;
		void *np = realloc(l->hash, nc * sizeof *l->hash);
		if (np == NULL)
			return PX_ENOMEM;
		l->hash = np;
		l->cap = nc;
	}
	memcpy(l->hash[l->n++], key.data, 32);
	return PX_OK;
}

static px_err
hub_void_tenant_tokens(hub *h, px_txn *txn, const char *tenant)
{
	hub_toklist l = {tenant, NULL, 0, 0};
	px_err rv = px_scan(txn, h->tokens, NULL, 0, hub_toklist_cb, &l);
	for (size_t i = 0; rv == PX_OK && i < l.n; i++) {
		Praxis__HubJoinToken *t = NULL;
		rv = px_get_msg(txn, h->tokens, l.hash[i], 32, &praxis__hub_join_token__descriptor,
		                (ProtobufCMessage **)&t);
		if (rv != PX_OK)
			break;
		t->used = true;
		t->used_ms = px_now_ms();
		rv = px_put_msg(txn, h->tokens, l.hash[i], 32, &t->base);
		praxis__hub_join_token__free_unpacked(t, NULL);
	}
	free(l.hash);
	return rv;
}

px_err
hub_tenant_revoke(hub *h, const char *name)
{
	px_txn *txn = NULL;
	Praxis__HubTenant *t = NULL;
	px_err rv;
	if ((rv = px_txn_begin(h->st, true, &txn)) != PX_OK)
		return rv;
	if ((rv = px_get_msg(txn, h->tenants, name, strlen(name), &praxis__hub_tenant__descriptor,
	                     (ProtobufCMessage **)&t)) != PX_OK)
		goto fail;
	t->revoked = true;
	t->revoked_ms = px_now_ms();
	if ((rv = px_put_msg(txn, h->tenants, name, strlen(name), &t->base)) != PX_OK)
		goto fail;
	if ((rv = hub_revoke_tenant_keys(h, txn, name)) != PX_OK)
		goto fail;
	if ((rv = hub_void_tenant_tokens(h, txn, name)) != PX_OK)
		goto fail;
	praxis__hub_tenant__free_unpacked(t, NULL);
	return px_txn_commit(txn);
fail:
	if (t != NULL)
		praxis__hub_tenant__free_unpacked(t, NULL);
	px_txn_abort(txn);
	return rv;
}

px_err
hub_tenant_rotate(hub *h, const char *name, int64_t ttl_ms, const char *addr,
                  char token[PX_JT_TEXT_MAX])
{
	px_txn *txn = NULL;
	Praxis__HubTenant *t = NULL;
	px_err rv;
	if ((rv = px_txn_begin(h->st, true, &txn)) != PX_OK)
		return rv;
	if ((rv = px_get_msg(txn, h->tenants, name, strlen(name), &praxis__hub_tenant__descriptor,
	                     (ProtobufCMessage **)&t)) != PX_OK)
		goto fail;
	if (t->revoked) {
		rv = PX_EPERM;
		goto fail;
	}
	/* The old keys stop working at once; the node enrolls its new key with
	 * the new token. */
	if ((rv = hub_revoke_tenant_keys(h, txn, name)) != PX_OK)
		goto fail;
	if ((rv = hub_void_tenant_tokens(h, txn, name)) != PX_OK)
		goto fail;
	if ((rv = hub_token_new(h, txn, name, ttl_ms, addr, token)) != PX_OK)
		goto fail;
	praxis__hub_tenant__free_unpacked(t, NULL);
	return px_txn_commit(txn);
fail:
	if (t != NULL)
		praxis__hub_tenant__free_unpacked(t, NULL);
	px_txn_abort(txn);
	return rv;
}

typedef struct hub_tenant_each_ctx {
	hub *h;
	px_txn *txn;
	hub_tenant_fn fn;
	void *arg;
} hub_tenant_each_ctx;

static px_err
hub_count_prefix_cb(void *arg, px_val key, px_val val)
{
	(void)key;
	(void)val;
	(*(size_t *)arg)++;
	return PX_OK;
}

static px_err
hub_tenant_each_cb(void *arg, px_val key, px_val val)
{
	hub_tenant_each_ctx *c = arg;
	(void)key;
	Praxis__HubTenant *t = praxis__hub_tenant__unpack(NULL, val.size, val.data);
	if (t == NULL)
		return PX_ECORRUPT;
	hub_pklist l = {t->name, true, NULL, 0, 0};
	px_err rv = px_scan(c->txn, c->h->keys, NULL, 0, hub_pklist_cb, &l);
	free(l.pk);
	size_t nrep = 0;
	char prefix[80];
	int pl = snprintf(prefix, sizeof prefix, "%s", t->name) + 1;
	if (rv == PX_OK)
		rv = px_scan(c->txn, c->h->heads, prefix, (size_t)pl, hub_count_prefix_cb, &nrep);
	if (rv == PX_OK)
		c->fn(c->arg, t, l.n, nrep);
	praxis__hub_tenant__free_unpacked(t, NULL);
	return rv;
}

px_err
hub_tenant_each(hub *h, hub_tenant_fn fn, void *arg)
{
	px_txn *txn = NULL;
	px_err rv = px_txn_begin(h->st, false, &txn);
	if (rv != PX_OK)
		return rv;
	hub_tenant_each_ctx c = {h, txn, fn, arg};
	rv = px_scan(txn, h->tenants, NULL, 0, hub_tenant_each_cb, &c);
	px_txn_abort(txn);
	return rv;
}

/* ------------------------------------------------------------- viewers */

void
hub_viewer_fields_free(Praxis__HubViewer *v)
{
	for (size_t i = 0; i < v->n_tenants; i++)
		free(v->tenants[i]);
	free(v->tenants);
	v->tenants = NULL;
	v->n_tenants = 0;
	if (v->framework != protobuf_c_empty_string)
		free(v->framework);
	if (v->region != protobuf_c_empty_string)
		free(v->region);
	v->framework = (char *)protobuf_c_empty_string;
	v->region = (char *)protobuf_c_empty_string;
}

px_err
hub_scope_parse(const char *scope, Praxis__HubViewer *v)
{
	px_err rv = PX_OK;
	/* "all" and "*" say "everything" in words (same as an empty scope). */
	if (scope != NULL && (strcmp(scope, "all") == 0 || strcmp(scope, "*") == 0))
		scope = "";
	char *copy = strdup(scope != NULL ? scope : "");
	if (copy == NULL)
		return PX_ENOMEM;
	char *save = NULL;
	for (char *part = strtok_r(copy, ";", &save); part != NULL; part = strtok_r(NULL, ";", &save)) {
		while (*part == ' ')
			part++;
		if (*part == '\0')
			continue;
		char *eq = strchr(part, '=');
		if (eq == NULL) {
			rv = PX_EINVAL;
			break;
		}
		*eq = '\0';
		const char *val = eq + 1;
		if (strcmp(part, "tenants") == 0 || strcmp(part, "tenant") == 0) {
			char *s2 = NULL;
			char *vc = strdup(val);
			if (vc == NULL) {
				rv = PX_ENOMEM;
				break;
			}
			for (char *t = strtok_r(vc, ",", &s2); t != NULL; t = strtok_r(NULL, ",", &s2)) {
				if (!px_tenant_name_valid(t)) {
					rv = PX_EINVAL;
					break;
				}
				char **nt = realloc(v->tenants, (v->n_tenants + 1) * sizeof *nt);
				if (nt == NULL) {
					rv = PX_ENOMEM;
					break;
				}
				v->tenants = nt;
				v->tenants[v->n_tenants++] = strdup(t);
			}
			free(vc);
			if (rv != PX_OK)
				break;
		} else if (strcmp(part, "framework") == 0 && strlen(val) < 64) {
			if (v->framework != protobuf_c_empty_string)
				free(v->framework);
			v->framework = strdup(val);
		} else if (strcmp(part, "region") == 0 && strlen(val) < 96) {
			if (v->region != protobuf_c_empty_string)
				free(v->region);
			v->region = strdup(val);
		} else {
			rv = PX_EINVAL;
			break;
		}
	}
	free(copy);
	return rv;
}

px_err
hub_viewer_add(hub *h, const char *name, const char *scope, char token[PX_VT_TEXT_MAX])
{
	if (name == NULL || name[0] == '\0' || strlen(name) > 64)
		return PX_EINVAL;
	Praxis__HubViewer v = PRAXIS__HUB_VIEWER__INIT;
	px_err rv = hub_scope_parse(scope, &v);
	px_txn *txn = NULL;
	if (rv != PX_OK)
		goto fail;
	v.name = (char *)name;
	v.created_ms = px_now_ms();
	uint8_t secret[32], hash[32];
	px_random(secret, sizeof secret);
	hub_secret_hash(secret, sizeof secret, hash);
	rv = px_viewertoken_format(secret, token, PX_VT_TEXT_MAX);
	px_wipe(secret, sizeof secret);
	if (rv != PX_OK)
		goto fail;
	if ((rv = px_txn_begin(h->st, true, &txn)) != PX_OK)
		goto fail;
	if ((rv = px_put_msg(txn, h->viewers, hash, sizeof hash, &v.base)) != PX_OK)
		goto fail;
	rv = px_txn_commit(txn);
	txn = NULL;
fail:
	px_txn_abort(txn);
	v.name = (char *)protobuf_c_empty_string;
	hub_viewer_fields_free(&v);
	return rv;
}

px_err
hub_viewer_lookup(hub *h, const char *token, size_t len, Praxis__HubViewer **out)
{
	uint8_t secret[32], hash[32];
	if (px_viewertoken_parse(token, len, secret) != PX_OK)
		return PX_EAUTH;
	hub_secret_hash(secret, sizeof secret, hash);
	px_wipe(secret, sizeof secret);
	px_txn *txn = NULL;
	px_err rv = px_txn_begin(h->st, false, &txn);
	if (rv != PX_OK)
		return rv;
	Praxis__HubViewer *v = NULL;
	rv = px_get_msg(txn, h->viewers, hash, sizeof hash, &praxis__hub_viewer__descriptor,
	                (ProtobufCMessage **)&v);
	px_txn_abort(txn);
	if (rv == PX_ENOTFOUND)
		return PX_EAUTH;
	if (rv != PX_OK)
		return rv;
	if (v->revoked) {
		praxis__hub_viewer__free_unpacked(v, NULL);
		return PX_EAUTH;
	}
	*out = v;
	return PX_OK;
}

typedef struct hub_viewer_each_ctx {
	hub_viewer_fn fn;
	void *arg;
	const char *revoke; /* name to revoke, or NULL */
	uint8_t (*hits)[32];
	size_t n;
} hub_viewer_each_ctx;

static px_err
hub_viewer_each_cb(void *arg, px_val key, px_val val)
{
	hub_viewer_each_ctx *c = arg;
	Praxis__HubViewer *v = praxis__hub_viewer__unpack(NULL, val.size, val.data);
	if (v == NULL)
		return PX_ECORRUPT;
	px_err rv = PX_OK;
	if (c->fn != NULL)
		c->fn(c->arg, v);
	if (c->revoke != NULL && strcmp(v->name, c->revoke) == 0 && !v->revoked && key.size == 32) {
		void *np = realloc(c->hits, (c->n + 1) * sizeof *c->hits);
		if (np == NULL)
			rv = PX_ENOMEM;
		else {
			c->hits = np;
			memcpy(c->hits[c->n++], key.data, 32);
		}
	}
	praxis__hub_viewer__free_unpacked(v, NULL);
	return rv;
}

px_err
hub_viewer_each(hub *h, hub_viewer_fn fn, void *arg)
{
	px_txn *txn = NULL;
	px_err rv = px_txn_begin(h->st, false, &txn);
	if (rv != PX_OK)
		return rv;
	hub_viewer_each_ctx c = {fn, arg, NULL, NULL, 0};
	rv = px_scan(txn, h->viewers, NULL, 0, hub_viewer_each_cb, &c);
	px_txn_abort(txn);
	return rv;
}

px_err
hub_viewer_revoke(hub *h, const char *name)
{
	px_txn *txn = NULL;
	px_err rv = px_txn_begin(h->st, true, &txn);
	if (rv != PX_OK)
		return rv;
	hub_viewer_each_ctx c = {NULL, NULL, name, NULL, 0};
	rv = px_scan(txn, h->viewers, NULL, 0, hub_viewer_each_cb, &c);
	if (rv == PX_OK && c.n == 0)
		rv = PX_ENOTFOUND;
	for (size_t i = 0; rv == PX_OK && i < c.n; i++) {
		Praxis__HubViewer *v = NULL;
		rv = px_get_msg(txn, h->viewers, c.hits[i], 32, &praxis__hub_viewer__descriptor,
		                (ProtobufCMessage **)&v);
		if (rv != PX_OK)
			break;
		v->revoked = true;
		rv = px_put_msg(txn, h->viewers, c.hits[i], 32, &v->base);
		praxis__hub_viewer__free_unpacked(v, NULL);
	}
	free(c.hits);
	if (rv != PX_OK) {
		px_txn_abort(txn);
		return rv;
	}
	return px_txn_commit(txn);
}

/* ---------------------------------------------------------- node keys */

px_err
hub_key_tenant(hub *h, const uint8_t pk[PX_PK_BYTES], char tenant[PX_JT_TENANT_MAX + 1])
{
	px_txn *txn = NULL;
	Praxis__HubNodeKey *k = NULL;
	Praxis__HubTenant *t = NULL;
	px_err rv = px_txn_begin(h->st, false, &txn);
	if (rv != PX_OK)
		return rv;
	if ((rv = px_get_msg(txn, h->keys, pk, PX_PK_BYTES, &praxis__hub_node_key__descriptor,
	                     (ProtobufCMessage **)&k)) != PX_OK)
		goto done;
	if (k->revoked) {
		rv = PX_EPERM;
		goto done;
	}
	if ((rv = px_get_msg(txn, h->tenants, k->tenant, strlen(k->tenant),
	                     &praxis__hub_tenant__descriptor, (ProtobufCMessage **)&t)) != PX_OK) {
		rv = rv == PX_ENOTFOUND ? PX_EPERM : rv;
		goto done;
	}
	if (t->revoked) {
		rv = PX_EPERM;
		goto done;
	}
	if (tenant != NULL)
		px_strlcpy(tenant, k->tenant, PX_JT_TENANT_MAX + 1);
done:
	if (k != NULL)
		praxis__hub_node_key__free_unpacked(k, NULL);
	if (t != NULL)
		praxis__hub_tenant__free_unpacked(t, NULL);
	px_txn_abort(txn);
	return rv;
}

int
hub_enroll(hub *h, const uint8_t pk[PX_PK_BYTES], const uint8_t *secret, size_t slen,
           const char *org, char tenant[PX_JT_TENANT_MAX + 1], char *msg, size_t msz)
{
	int code = 0;
	px_txn *txn = NULL;
	Praxis__HubJoinToken *t = NULL;
	Praxis__HubTenant *ten = NULL;
	Praxis__HubNodeKey *old = NULL;
	uint8_t hash[32];
	px_err rv;
	msg[0] = '\0';
	if (slen != PX_JT_SECRET_BYTES) {
		snprintf(msg, msz, "%s", PX_T("jeton d'adhésion mal formé", "malformed join token"));
		return 16;
	}
	hub_secret_hash(secret, slen, hash);
	if ((rv = px_txn_begin(h->st, true, &txn)) != PX_OK)
		goto store_fail;
	rv = px_get_msg(txn, h->tokens, hash, sizeof hash, &praxis__hub_join_token__descriptor,
	                (ProtobufCMessage **)&t);
	if (rv == PX_ENOTFOUND) {
		code = 16;
		snprintf(msg, msz, "%s", PX_T("jeton d'adhésion inconnu", "unknown join token"));
		goto done;
	}
	if (rv != PX_OK)
		goto store_fail;
	if (t->used) {
		code = 7;
		snprintf(msg, msz, "%s", PX_T("jeton d'adhésion déjà utilisé", "join token already used"));
		goto done;
	}
	if (px_now_ms() >= t->expires_ms) {
		code = 7;
		snprintf(msg, msz, "%s", PX_T("jeton d'adhésion expiré", "join token expired"));
		goto done;
	}
	rv = px_get_msg(txn, h->tenants, t->tenant, strlen(t->tenant), &praxis__hub_tenant__descriptor,
	                (ProtobufCMessage **)&ten);
	if (rv != PX_OK || ten->revoked) {
		code = 7;
		snprintf(msg, msz, "%s", PX_T("organisation révoquée", "tenant revoked"));
		goto done;
	}
	/* A key already registered (to this or another tenant, live or
	 * revoked) is never re-registered: a revoked key stays revoked and a
	 * key cannot move between tenants. */
	rv = px_get_msg(txn, h->keys, pk, PX_PK_BYTES, &praxis__hub_node_key__descriptor,
	                (ProtobufCMessage **)&old);
	if (rv == PX_OK) {
		code = 6;
		snprintf(msg, msz, "%s",
		         PX_T("cette clé de nœud est déjà inscrite", "this node key is already enrolled"));
		goto done;
	}
	if (rv != PX_ENOTFOUND)
		goto store_fail;
	Praxis__HubNodeKey k = PRAXIS__HUB_NODE_KEY__INIT;
	k.key.data = (uint8_t *)pk;
	k.key.len = PX_PK_BYTES;
	k.tenant = t->tenant;
	k.enrolled_ms = px_now_ms();
	if ((rv = px_put_msg(txn, h->keys, pk, PX_PK_BYTES, &k.base)) != PX_OK)
		goto store_fail;
	t->used = true;
	t->used_ms = k.enrolled_ms;
	t->used_by.data = (uint8_t *)pk;
	t->used_by.len = PX_PK_BYTES;
	rv = px_put_msg(txn, h->tokens, hash, sizeof hash, &t->base);
	t->used_by.data = NULL;
	t->used_by.len = 0;
	if (rv != PX_OK)
		goto store_fail;
	if (org != NULL && org[0] != '\0' && strlen(org) < 200) {
		if (ten->org_name != protobuf_c_empty_string)
			free(ten->org_name);
		ten->org_name = strdup(org);
		if ((rv = px_put_msg(txn, h->tenants, t->tenant, strlen(t->tenant), &ten->base)) != PX_OK)
			goto store_fail;
	}
	/* The node gets OK only once its key is durably registered. */
	rv = px_txn_commit(txn);
	txn = NULL;
	if (rv != PX_OK)
		goto store_fail;
	px_strlcpy(tenant, t->tenant, PX_JT_TENANT_MAX + 1);
	code = 0;
	goto done;
store_fail:
	code = rv == PX_EFULL ? 8 : 13;
	snprintf(msg, msz, "%s", px_strerror_user(rv));
done:
	px_txn_abort(txn);
	if (t != NULL)
		praxis__hub_join_token__free_unpacked(t, NULL);
	if (ten != NULL)
		praxis__hub_tenant__free_unpacked(ten, NULL);
	if (old != NULL)
		praxis__hub_node_key__free_unpacked(old, NULL);
	return code;
}

/* -------------------------------------------------------------- ingest */

size_t
hub_report_key(uint8_t *out, size_t cap, const char *tenant, const char *uid, const char *period,
               uint32_t rev, bool with_rev)
{
	size_t tl = strlen(tenant), ul = strlen(uid), pl = strlen(period);
	size_t n = tl + 1 + ul + 1 + pl + (with_rev ? 5 : 0);
	if (n > cap)
		return 0;
	uint8_t *p = out;
	memcpy(p, tenant, tl);
	p += tl;
	*p++ = 0;
	memcpy(p, uid, ul);
	p += ul;
	*p++ = 0;
	memcpy(p, period, pl);
	p += pl;
	if (with_rev) {
		*p++ = 0;
		*p++ = (uint8_t)(rev >> 24);
		*p++ = (uint8_t)(rev >> 16);
		*p++ = (uint8_t)(rev >> 8);
		*p++ = (uint8_t)rev;
	}
	return n;
}

static bool
hub_text_ok(const char *s, size_t max, bool allow_empty)
{
	size_t n = strlen(s);
	if ((!allow_empty && n == 0) || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static bool
hub_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "2025", "2025-Q1" or "2025-03", matching the declared kind. */
static bool
hub_period_ok(int kind, const char *p)
{
	size_t n = strlen(p);
	if (n < 4 || !hub_digits(p, 4))
		return false;
	switch (kind) {
	case PRAXIS__PERIOD_KIND__PERIOD_YEAR:
		return n == 4;
	case PRAXIS__PERIOD_KIND__PERIOD_QUARTER:
		return n == 7 && p[4] == '-' && p[5] == 'Q' && p[6] >= '1' && p[6] <= '4';
	case PRAXIS__PERIOD_KIND__PERIOD_MONTH:
		return n == 7 && p[4] == '-' && hub_digits(p + 5, 2) &&
		       ((p[5] == '0' && p[6] >= '1') || (p[5] == '1' && p[6] <= '2'));
	default:
		return false;
	}
}

/* Schema checks of a report before anything is stored; msg says what. */
static bool
hub_report_valid(const Praxis__CommunityReport *r, char *msg, size_t msz)
{
	const char *what = NULL;
	if (!hub_text_ok(r->community_uid, 120, false))
		what = "community_uid";
	else if (!hub_text_ok(r->framework, 63, false))
		what = "framework";
	else if (!hub_text_ok(r->region, 95, true))
		what = "region";
	else if (!hub_text_ok(r->community_name, 120, true))
		what = "community_name";
	else if (!hub_period_ok(r->period_kind, r->period))
		what = "period";
	else if (r->revision == 0)
		what = "revision";
	else if (r->k == 0)
		what = "k";
	for (size_t i = 0; what == NULL && i < r->n_indicators; i++) {
		const Praxis__Indicator *in = r->indicators[i];
		if (in == NULL || !hub_text_ok(in->name, 90, false) || in->value != in->value ||
		    in->value > 1e15 || in->value < -1e15)
			what = "indicators";
	}
	for (size_t i = 0; what == NULL && i < r->n_findings; i++) {
		const Praxis__FindingCount *f = r->findings[i];
		if (f == NULL || !hub_text_ok(f->rule_id, 31, false) || f->severity > 2)
			what = "findings";
	}
	if (what != NULL)
		snprintf(msg, msz, PX_T("rapport invalide : champ %s", "invalid report: field %s"), what);
	return what == NULL;
}

/* Checks that need no write: caller key and tenant, signer, signature,
 * schema. On 0, *out is the verified report (px_report_free). */
int
hub_submit_check(hub *h, const uint8_t pk[PX_PK_BYTES], const Praxis__SignedReport *sr,
                 char tenant[PX_JT_TENANT_MAX + 1], Praxis__CommunityReport **out, char *msg,
                 size_t msz)
{
	char who[PX_PK_HEX];
	px_hex_encode(pk, 16, who);
	msg[0] = '\0';
	*out = NULL;
	px_err rv = hub_key_tenant(h, pk, tenant);
	if (rv == PX_ENOTFOUND || rv == PX_EPERM) {
		snprintf(msg, msz, "%s", PX_T("clé de nœud inconnue ou révoquée", "unknown or revoked node key"));
		hub_audit(h, "rpc", who, "SubmitReport", "", rv == PX_EPERM ? 7 : 16, "%s", msg);
		return rv == PX_EPERM ? 7 : 16;
	}
	if (rv != PX_OK) {
		snprintf(msg, msz, "%s", px_strerror_user(rv));
		return 13;
	}
	if (sr == NULL || sr->node_key.len != PX_PK_BYTES || sr->signature.len != PX_SIG_BYTES ||
	    sr->report.len == 0) {
		snprintf(msg, msz, "%s", PX_T("rapport signé mal formé", "malformed signed report"));
		return 3;
	}
	/* A node submits only what it signed itself: a report signed by
	 * another key (even a key of the same tenant) is refused. */
	if (!px_memeq(sr->node_key.data, pk, PX_PK_BYTES)) {
		snprintf(msg, msz, "%s",
		         PX_T("rapport signé par une autre clé que celle de l'appelant",
		              "report signed with a key other than the caller's"));
		hub_audit(h, "rpc", tenant, "SubmitReport", "", 7, "%s", msg);
		return 7;
	}
	Praxis__CommunityReport *r = NULL;
	rv = px_report_verify(sr, pk, &r, msg, msz);
	if (rv == PX_EAUTH) {
		snprintf(msg, msz, "%s", PX_T("signature du rapport invalide", "invalid report signature"));
		hub_audit(h, "rpc", tenant, "SubmitReport", "", 16, "%s", msg);
		px_report_free(r);
		return 16;
	}
	if (rv != PX_OK || r == NULL) {
		if (msg[0] == '\0')
			snprintf(msg, msz, "%s", PX_T("rapport invalide", "invalid report"));
		px_report_free(r);
		return rv == PX_ENOMEM ? 8 : 3;
	}
	if (!hub_report_valid(r, msg, msz)) {
		px_report_free(r);
		return 3;
	}
	*out = r;
	return 0;
}

/* The writes of one report inside txn (which the caller commits). Writes
 * nothing unless it returns 0 with *duplicate false; a store error is
 * returned as *err (the txn is then failed). */
int
hub_submit_store(hub *h, px_txn *txn, const char *tenant, const Praxis__SignedReport *sr,
                 Praxis__CommunityReport *r, bool *duplicate, uint32_t *revision, char *msg,
                 size_t msz, px_err *err)
{
	Praxis__HubStoredReport *old = NULL;
	int code = 0;
	px_err rv = PX_OK;
	*duplicate = false;
	*revision = 0;
	*err = PX_OK;
	uint8_t key[512];
	size_t kl = hub_report_key(key, sizeof key, tenant, r->community_uid, r->period, r->revision, true);
	if (kl == 0) {
		snprintf(msg, msz, "%s", PX_T("rapport invalide", "invalid report"));
		return 3;
	}
	/* The first tenant to report a community owns it. */
	px_val owner;
	rv = px_get(txn, h->communities, r->community_uid, strlen(r->community_uid), &owner);
	if (rv == PX_OK) {
		if (owner.size != strlen(tenant) || memcmp(owner.data, tenant, owner.size) != 0) {
			snprintf(msg, msz, "%s",
			         PX_T("cette communauté appartient à une autre organisation",
			              "this community belongs to another tenant"));
			return 7;
		}
	} else if (rv != PX_ENOTFOUND) {
		goto store_fail;
	}
	rv = px_get_msg(txn, h->reports, key, kl, &praxis__hub_stored_report__descriptor,
	                (ProtobufCMessage **)&old);
	if (rv == PX_OK) {
		const ProtobufCBinaryData *ob = old->signed_report ? &old->signed_report->report : NULL;
		if (ob != NULL && ob->len == sr->report.len &&
		    memcmp(ob->data, sr->report.data, ob->len) == 0) {
			*duplicate = true;
			*revision = r->revision;
			code = 0;
		} else {
			code = 6;
			snprintf(msg, msz,
			         PX_T("révision %u déjà reçue avec un autre contenu",
			              "revision %u already received with other content"),
			         r->revision);
		}
		goto done;
	}
	if (rv != PX_ENOTFOUND)
		goto store_fail;
	if ((rv = px_put(txn, h->communities, r->community_uid, strlen(r->community_uid), tenant,
	                 strlen(tenant))) != PX_OK)
		goto store_fail;
	Praxis__HubStoredReport st = PRAXIS__HUB_STORED_REPORT__INIT;
	st.tenant = (char *)tenant;
	st.signed_report = (Praxis__SignedReport *)sr;
	st.received_ms = px_now_ms();
	if ((rv = px_put_msg(txn, h->reports, key, kl, &st.base)) != PX_OK)
		goto store_fail;
	/* The views' index in the same transaction: never out of step. */
	if ((rv = hub_views_put(txn, h->heads, h->views, tenant, r)) != PX_OK)
		goto store_fail;
	*revision = r->revision;
	code = 0;
	goto done;
store_fail:
	*err = rv;
	code = rv == PX_EFULL ? 8 : 13;
	snprintf(msg, msz, "%s", px_strerror_user(rv));
done:
	if (old != NULL)
		praxis__hub_stored_report__free_unpacked(old, NULL);
	return code;
}

