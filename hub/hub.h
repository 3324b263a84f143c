/*
 * hub.h - internals of praxis-hub (prefix hub_). The binary is a thin
 * command layer (main.c) over this: storage and tenants (hubdb.c), the
 * praxis.Hub RPC service (service.c), aggregates (agg.c), the dashboard
 * (http.c) and its pages (render.c).
 *
 * Storage: one LMDB environment DATA/hub.mdb, named databases:
 *   tenants      name                         -> HubTenant
 *   keys         node Ed25519 pk (32)         -> HubNodeKey
 *   tokens       BLAKE2b(secret) (32)         -> HubJoinToken
 *   viewers      BLAKE2b(secret) (32)         -> HubViewer
 *   reports      tenant\0uid\0period\0be32(rev) -> HubStoredReport (every revision)
 *   heads        tenant\0uid\0period          -> be32(rev) framework\0region\0 (latest)
 *   views        period\0framework\0region\0tenant\0uid\0 -> latest revision, compact
 *                (views.c: what the aggregates read)
 *   latest       schema 1 only (unpacked latest reports), emptied by the migration
 *   communities  uid                          -> tenant name (who owns a community)
 *   audit        be64(seq)                    -> HubAuditEvent
 *   meta         "listen", "schema" ...
 * Identity: DATA/hub.key (+ .pub), 0600.
 */
#ifndef HUB_H
#define HUB_H

#include "px.h"
#include "px_crypto.h"
#include "px_store.h"
#include "px_jointoken.h"
#include "hub.pb-c.h"

#include <stdio.h>

/* 2: heads and views replace latest (migrated at open). */
#define HUB_SCHEMA 2
/* hub.mdb's map (PRAXIS_HUB_MAP_MB overrides it): 16 GiB. */
#define HUB_MAP_DEFAULT ((size_t)16 << 30)
#define HUB_DEFAULT_LISTEN "tcp://127.0.0.1:7600"
#define HUB_DEFAULT_HTTP "127.0.0.1:7680"
#define HUB_DEFAULT_TTL_MS (7LL * 24 * 3600 * 1000)
#define HUB_DEFAULT_K 5

struct px_plugin_host;
struct px_rpc_server;

typedef struct hub {
	Praxis__Hub_Service service; /* first: handlers get the hub back from it */
	char dir[512];
	px_store *st;
	px_identity *id;
	px_db tenants, keys, tokens, viewers, reports, communities, audit, heads, views;
	struct px_plugin_host *plugins; /* NULL when none could be loaded */
	struct px_rpc_server *rpc;
	void *http;                     /* hub_http state, NULL when not serving */
	void *committer;                /* group commit state (service.c), NULL when not serving */
	char listen[256];
} hub;

/* hubdb.c */
px_err hub_init_dir(const char *dir, const char *listen, const char *passphrase) PX_NODISCARD;
px_err hub_open(const char *dir, const char *passphrase, hub **out) PX_NODISCARD;
void hub_close(hub *h);
void hub_load_plugins(hub *h);

px_err hub_tenant_add(hub *h, const char *name, const char *region, int64_t ttl_ms,
                      const char *addr, char token[PX_JT_TEXT_MAX]) PX_NODISCARD;
px_err hub_tenant_revoke(hub *h, const char *name) PX_NODISCARD;
px_err hub_tenant_rotate(hub *h, const char *name, int64_t ttl_ms, const char *addr,
                         char token[PX_JT_TEXT_MAX]) PX_NODISCARD;
/* Calls fn for each tenant with its number of live keys and reports. */
typedef void (*hub_tenant_fn)(void *arg, const Praxis__HubTenant *t, size_t live_keys,
                              size_t reports);
px_err hub_tenant_each(hub *h, hub_tenant_fn fn, void *arg) PX_NODISCARD;
px_err hub_tenant_get(hub *h, const char *name, Praxis__HubTenant **out) PX_NODISCARD;

px_err hub_viewer_add(hub *h, const char *name, const char *scope, char token[PX_VT_TEXT_MAX]) PX_NODISCARD;
/* The viewer of a token text; *out freed with protobuf_c_message_free_unpacked.
 * PX_EAUTH when unknown or revoked. */
px_err hub_viewer_lookup(hub *h, const char *token, size_t len, Praxis__HubViewer **out) PX_NODISCARD;
px_err hub_viewer_revoke(hub *h, const char *name) PX_NODISCARD;
typedef void (*hub_viewer_fn)(void *arg, const Praxis__HubViewer *v);
px_err hub_viewer_each(hub *h, hub_viewer_fn fn, void *arg) PX_NODISCARD;
/* Parses "tenants=a,b;framework=F;region=R" into v (fields replaced). */
px_err hub_scope_parse(const char *scope, Praxis__HubViewer *v) PX_NODISCARD;
void hub_viewer_fields_free(Praxis__HubViewer *v);

/* Records a refusal; never fails the caller (a failed audit write is logged). */
void hub_audit(hub *h, const char *channel, const char *who, const char *action,
               const char *target, int code, const char *reason_fmt, ...) PX_PRINTF(7, 8);
typedef void (*hub_audit_fn)(void *arg, uint64_t seq, const Praxis__HubAuditEvent *e);
px_err hub_audit_each(hub *h, hub_audit_fn fn, void *arg) PX_NODISCARD;
/* Writes the count of refusals the rate limit kept out (audit.c), if any. */
void hub_audit_flush(hub *h);

/* The tenant of a node key; PX_ENOTFOUND unknown, PX_EPERM revoked (key or tenant). */
px_err hub_key_tenant(hub *h, const uint8_t pk[PX_PK_BYTES], char tenant[PX_JT_TENANT_MAX + 1]) PX_NODISCARD;

/* Enrollment and ingest; code is the RPC status, msg its text. */
int hub_enroll(hub *h, const uint8_t pk[PX_PK_BYTES], const uint8_t *secret, size_t slen,
               const char *org, char tenant[PX_JT_TENANT_MAX + 1], char *msg, size_t msz);
/* Ingest in two halves, for group commits (service.c): checks without
 * writing (in the caller's thread, in parallel), then the writes of one
 * report in a shared write txn (committed by the caller). */
int hub_submit_check(hub *h, const uint8_t pk[PX_PK_BYTES], const Praxis__SignedReport *sr,
                     char tenant[PX_JT_TENANT_MAX + 1], Praxis__CommunityReport **out, char *msg,
                     size_t msz);
int hub_submit_store(hub *h, px_txn *txn, const char *tenant, const Praxis__SignedReport *sr,
                     Praxis__CommunityReport *r, bool *duplicate, uint32_t *revision, char *msg,
                     size_t msz, px_err *err);

/* Report key helpers. */
size_t hub_report_key(uint8_t *out, size_t cap, const char *tenant, const char *uid,
                      const char *period, uint32_t rev, bool with_rev);

/* service.c */
px_err hub_rpc_start(hub *h, const char *url) PX_NODISCARD;
void hub_rpc_stop(hub *h);

/* agg.c: filters and results of aggregation. */
typedef struct hub_filter {
	const char *framework, *region, *period, *tenant, *community;
	/* The viewer scope, NULL = administrator (everything). */
	const Praxis__HubViewer *scope;
	bool hide_communities; /* unused */
	/* Groupings to compute, HUB_G_* (0 = all): a page that needs only the
	 * periods skips the per-community rows, the largest part. */
	unsigned groups;
} hub_filter;

enum {
	HUB_G_ROWS = 1 << 0,      /* rows and total */
	HUB_G_FRAMEWORK = 1 << 1,
	HUB_G_PERIOD = 1 << 2,
	HUB_G_REGION = 1 << 3,
	HUB_G_TENANT = 1 << 4,
};

/* Cells and rows point into the px_agg responses and the name pool the
 * result keeps: valid until hub_result_fini. */
typedef struct hub_cell {
	const char *name;
	double value;
	uint32_t population;
	uint32_t withheld;     /* reports whose cell is left out (suppressed) */
	uint32_t contributors; /* reports whose cell is in value */
	bool suppressed;
	bool present;
} hub_cell;

typedef struct hub_finding {
	const char *rule;
	int severity; /* praxis.Severity */
	uint32_t count;
	bool suppressed; /* some communities' counts (1..k-1) are not in count */
} hub_finding;

typedef struct hub_row {
	const char *framework, *region, *tenant, *community, *community_name, *period;
	uint32_t communities;
	hub_cell *cells;  size_t n_cells;
	hub_finding *findings; size_t n_findings;
} hub_row;

typedef struct hub_result {
	hub_row *rows;  size_t n_rows;  /* one per (community, period) */
	hub_row total;                  /* everything in the filter */
	hub_row *by_framework; size_t n_by_framework;
	hub_row *by_period; size_t n_by_period; /* trend: sorted by period */
	hub_row *by_tenant; size_t n_by_tenant;
	hub_row *by_region; size_t n_by_region;
	uint32_t k;
	void *keep[6];                  /* px_agg responses and the name pool */
} hub_result;

px_err hub_aggregate(hub *h, const hub_filter *f, hub_result *out) PX_NODISCARD;
void hub_result_fini(hub_result *r);
/* The per-community rows of f, one community at a time (px_agg over that
 * community's reports: memory bounded by one community), in key order.
 * row is valid for the call only. */
typedef px_err (*hub_row_fn)(void *arg, const hub_row *row);
px_err hub_rows_each(hub *h, const hub_filter *f, hub_row_fn fn, void *arg) PX_NODISCARD;
/* True when a report of (tenant, framework, region) is in the viewer's scope. */
bool hub_scope_allows(const Praxis__HubViewer *v, const char *tenant, const char *framework,
                      const char *region);

/* views.c: the aggregate index, kept by hub_submit_store. */
typedef struct hub_view {
	const char *tenant;
	/* The latest revision, without signature nor generation time;
	 * borrowed for the callback only. */
	const Praxis__CommunityReport *report;
} hub_view;
typedef px_err (*hub_view_fn)(void *arg, const hub_view *v);
/* Records r (of tenant) as its (community, period)'s latest revision in
 * txn when it is newer than the one there. PX_EINVAL for fields too long
 * for a key; store errors. */
px_err hub_views_put(px_txn *txn, px_db heads, px_db views, const char *tenant,
                     const Praxis__CommunityReport *r) PX_NODISCARD;
/* Calls fn for the latest revision of every report in f and its scope,
 * reading the smallest range of the index that holds them: one period
 * (and framework, region, tenant as far as given) is one range of
 * `views`; one community or tenant a range of `heads`. With
 * community_major, a community's reports come one after the other. fn's
 * error stops the walk and is returned. */
px_err hub_views_each(hub *h, const hub_filter *f, bool community_major, hub_view_fn fn,
                      void *arg) PX_NODISCARD;
/* Schema 1 -> 2: fills heads and views from latest, then empties latest. */
px_err hub_views_migrate(px_txn *txn, px_db latest, px_db heads, px_db views) PX_NODISCARD;

/* render.c: outputs of a result. lang_en chooses the labels. */
void hub_render_table(hub *h, const hub_result *r, FILE *out, bool en);
void hub_render_csv(hub *h, const hub_result *r, FILE *out, bool en);
/* CSV of filter f with the community rows streamed (hub_rows_each): the
 * export path for large hubs. */
px_err hub_export_csv(hub *h, const hub_filter *f, FILE *out, bool en) PX_NODISCARD;
/* JSON of f (same shape as hub_render_json), community rows streamed. */
px_err hub_export_json(hub *h, const hub_filter *f, FILE *out) PX_NODISCARD;
void hub_render_json(hub *h, const hub_result *r, FILE *out);
/* Labels through the plugins (French/English); raw ids when unknown.
 * Returned strings are static or borrowed from the plugin host. */
const char *hub_label_indicator(hub *h, const char *framework, const char *name, bool en);
const char *hub_label_rule(hub *h, const char *framework, const char *rule, bool en);
const char *hub_label_framework(hub *h, const char *framework, bool en);

/* http.c */
px_err hub_http_start(hub *h, const char *addr) PX_NODISCARD;
void hub_http_stop(hub *h);
/* Static pages into dir for a scope (NULL = everything). */
px_err hub_dashboard_write(hub *h, const Praxis__HubViewer *scope, const char *dir, bool en) PX_NODISCARD;

#endif
