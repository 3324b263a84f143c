/*
 * node.h - the praxis-node shared layer: context, store layout, entity
 * helpers and the CLI framework every node command builds on.
 *
 * Owner: engineer "node". Other engineers add commands in their own files
 * (node/cmd_X.c): node/CMakeLists.txt globs every node .c file; each file
 * declares its rows (node_cmd, below) and registers them with NODE_COMMANDS
 * (the node's own tables are listed by main.c, see node_init_cmds).
 *
 * Data directory, first that applies:
 *   1. --data DIR on the command line;
 *   2. the PRAXIS_NODE_DATA environment variable;
 *   3. /var/lib/praxis/node when running as root;
 *   4. $XDG_DATA_HOME/praxis/node, else ~/.local/share/praxis/node.
 * It holds node.mdb (LMDB), node.key + node.key.pub (Ed25519 identity, 0600)
 * and the optional praxis-node.ini (see node_config below).
 *
 * Handlers: a row declares its command line (option table, positional
 * count, usage error line in French and English) and names its run
 * handler, int run(px_node *n, const node_args *a): main has parsed the
 * arguments by the row (node_args_take) and answered the usage errors, so
 * the handler reads a->opts and a->pos[0..npos). Global options (--data,
 * --json, --lang, --override) are removed first. The handler returns an
 * exit code (NODE_EXIT_*). `--help`/`-h` is handled by main from the table
 * before the handler runs.
 *
 * Storage: every handler opens its own transactions on n->st (opened by
 * main unless the table entry says it needs no store, like init), with
 * node_txn_begin / node_txn_commit / node_txn_check_commit.
 */
#ifndef PX_NODE_H
#define PX_NODE_H

#include "px.h"
#include "px_store.h"
#include "domain.pb-c.h"
#include "praxis/plugin.h"

#include <cjson/cJSON.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- exit codes ---- */
enum {
	NODE_EXIT_OK = 0,
	NODE_EXIT_USAGE = 1,    /* bad command line */
	NODE_EXIT_INVALID = 2,  /* invalid data, or refused by a rule */
	NODE_EXIT_NOTFOUND = 3, /* unknown community, member, ... or node not initialized */
	NODE_EXIT_IO = 4,       /* storage, file, key or network error */
};
/* Exit code for an error: EINVAL/EPRECOND/EEXISTS/EPERM/EAUTH... -> 2,
 * ENOTFOUND -> 3, EIO/EFULL/ECORRUPT/ENOMEM/EKEYPERM... -> 4. */
int node_exit_code(px_err err);

/* ---- the store layout ----
 * Ids are uint64 from px_seq_next (sequence names = database names below),
 * written big-endian (px_be64) so keys sort numerically. "|" = concatenation.
 * Values are packed protobuf (proto/domain.proto) unless said otherwise. */
#define NODE_STORE_FILE "node.mdb"
#define NODE_SCHEMA_VERSION 1u
#define NODE_KEY_FILE "node.key"
#define NODE_CONFIG_FILE "praxis-node.ini"

#define NODE_DB_LIST(X)                                                                          \
	X(orgs, "orgs")                   /* org id -> Organization */                          \
	X(communities, "communities")     /* community id -> Community */                       \
	X(members, "members")             /* member id -> Member (ERASED = tombstone) */         \
	X(members_by_name, "members_by_name") /* norm(name)|0x00|member id -> community id(8) */ \
	X(members_by_org, "members_by_org")   /* org id|member id -> "" */                       \
	X(members_by_community, "members_by_community") /* community id|member id -> "" */       \
	X(protocols, "protocols")         /* protocol id -> Protocol */                         \
	X(protocols_by_member, "protocols_by_member") /* member id|protocol id -> "" */          \
	X(meetings, "meetings")           /* meeting id -> Meeting */                           \
	X(meetings_by_community, "meetings_by_community") /* community id|be32 date|meeting id -> "" */ \
	X(attendance, "attendance")       /* community id|meeting id|member id -> Attendance */  \
	X(hours, "hours")                 /* member id|be32 yyyymm -> HoursEntry */              \
	X(approvals, "approvals")         /* community id|approval id -> Approval */             \
	X(plans, "plans")                 /* community id|be32 period_start -> Plan */           \
	X(surveys, "surveys")             /* community id|period|0x00|member id -> SurveyResponse */ \
	X(signer_keys, "signer_keys")     /* "member/<id>" or "director/<org id>" -> owner-defined */ \
	X(outbox, "outbox")               /* owned by the hub engineer (outbox.c) */             \
	X(config, "config")               /* text key -> text value (see NODE_CFG_*) */          \
	X(erased_counts, "erased_counts") /* community id|be32 year -> be32 count of erasures */ \
	X(annual_reports, "annual_reports") /* community id|be32 year -> be64 unix time generated (CIS-5) */

typedef struct node_dbs {
#define NODE_DB_FIELD(f, s) px_db f;
	NODE_DB_LIST(NODE_DB_FIELD)
#undef NODE_DB_FIELD
} node_dbs;

/* Keys of the config database (text values). */
#define NODE_CFG_ORG_ID "org_id"          /* decimal id of the node's own organization */
#define NODE_CFG_ORG_NAME "org_name"
#define NODE_CFG_REGION "region"
#define NODE_CFG_SECTOR "sector"
#define NODE_CFG_CREATED "created"        /* yyyy-mm-dd */
/* Set in the transaction of an erasure, cleared once the file has been
 * compacted (node_compact): erased bytes may still sit in free pages. */
#define NODE_CFG_COMPACT_PENDING "compact_pending"

/* ---- configuration file (inih): <data>/praxis-node.ini, all optional ----
 *   [node]
 *   k = 5                     ; small-cell threshold for reports (>= 1)
 *   plugin_path = DIR[:DIR]   ; searched before PRAXIS_PLUGIN_PATH and the defaults
 *   lang = fr|en              ; forces the language (else LANG)
 *   [plugin.NAME]             ; parameter overrides for plugin NAME, e.g.
 *   annual_hours_cap = 30     ; (type-checked by the plugin host)
 * A community's own overrides (Community.params "name=value") win over the
 * file's. */
#define NODE_DEFAULT_K 5u
typedef struct node_param {
	char *plugin;
	char *name;
	char *value;
} node_param;

typedef struct node_config {
	unsigned k;
	char *plugin_path;  /* NULL if unset */
	char *lang;         /* NULL if unset */
	node_param *params; /* plugin parameter overrides */
	size_t n_params;
} node_config;

/* ---- the node context ---- */
typedef struct node_host node_host; /* plugin host wrapper, node/host.c */
struct px_plugin_host;

typedef struct px_node {
	char *data_dir;       /* owned */
	px_store *st;         /* NULL until node_open */
	node_dbs db;
	node_config cfg;
	bool json;            /* --json given */
	node_host *host;      /* loaded on first use by node_host_get */
	const char *prog;     /* argv[0] */
	/* --override REASON: error findings of the change-time check are
	 * recorded as a coordinator's derogation instead of refusing the change
	 * (the audit keeps reporting them). Borrowed from argv. */
	const char *override_reason;
} px_node;

/* Resolves the data directory (see top of file) into n->data_dir and reads
 * the config file. flag_dir may be NULL. */
px_err node_init_ctx(px_node *n, const char *flag_dir) PX_NODISCARD;
/* Opens the store; PX_ENOTFOUND (with a message printed) when the node is
 * not initialized and create is false. */
px_err node_open(px_node *n, bool create) PX_NODISCARD;
void node_fini(px_node *n);
/* "<data_dir>/<name>" into a malloc'd string the caller frees. */
char *node_path(const px_node *n, const char *name);

/* ---- entity helpers ----
 * get: *out is the caller's, freed with protobuf_c_message_free_unpacked(
 * (ProtobufCMessage *)*out, NULL); PX_ENOTFOUND when absent.
 * put: writes the record under its id (key layouts above); member put also
 * maintains the three member indexes (reads the previous version). */
px_err node_next_id(px_txn *txn, const char *seq, uint64_t *out) PX_NODISCARD;
px_err node_org_get(px_node *n, px_txn *txn, uint64_t id, Praxis__Organization **out) PX_NODISCARD;
px_err node_org_put(px_node *n, px_txn *txn, const Praxis__Organization *o) PX_NODISCARD;
px_err node_community_get(px_node *n, px_txn *txn, uint64_t id, Praxis__Community **out) PX_NODISCARD;
px_err node_community_put(px_node *n, px_txn *txn, const Praxis__Community *c) PX_NODISCARD;
px_err node_member_get(px_node *n, px_txn *txn, uint64_t id, Praxis__Member **out) PX_NODISCARD;
px_err node_member_put(px_node *n, px_txn *txn, const Praxis__Member *m) PX_NODISCARD;
/* A member whose id is new (PX_EEXISTS otherwise): no old version read. */
px_err node_member_put_new(px_node *n, px_txn *txn, const Praxis__Member *m) PX_NODISCARD;
/* Same without the two name index entries, for bulk loads that insert
 * them sorted afterwards (value: the member's community id, be64). */
px_err node_member_put_new_nonames(px_node *n, px_txn *txn, const Praxis__Member *m) PX_NODISCARD;
/* The two members_by_name keys of m ("family first" and "first family",
 * normalized, NUL, be64 id), malloc'd: the caller frees both. */
px_err node_member_name_keys(const Praxis__Member *m, uint8_t **k1, size_t *l1, uint8_t **k2,
                             size_t *l2) PX_NODISCARD;
px_err node_protocol_get(px_node *n, px_txn *txn, uint64_t id, Praxis__Protocol **out) PX_NODISCARD;
/* Also writes protocols_by_member. */
px_err node_protocol_put(px_node *n, px_txn *txn, const Praxis__Protocol *p) PX_NODISCARD;
px_err node_meeting_get(px_node *n, px_txn *txn, uint64_t id, Praxis__Meeting **out) PX_NODISCARD;
/* Also writes meetings_by_community (removes the old date's entry). */
px_err node_meeting_put(px_node *n, px_txn *txn, const Praxis__Meeting *m) PX_NODISCARD;
px_err node_attendance_get(px_node *n, px_txn *txn, uint64_t community, uint64_t meeting,
                           uint64_t member, Praxis__Attendance **out) PX_NODISCARD;
px_err node_attendance_put(px_node *n, px_txn *txn, uint64_t community,
                           const Praxis__Attendance *a) PX_NODISCARD;
/* What the attendance rows of one meeting add up to. */
typedef struct node_att_sum {
	size_t records;            /* rows */
	size_t confirmed, absent;  /* RSVPs: presence confirmed, absence notified */
	size_t present;
	double hours;              /* of those present */
} node_att_sum;
px_err node_attendance_sum(px_node *n, px_txn *txn, uint64_t community, uint64_t meeting,
                           node_att_sum *out) PX_NODISCARD;
px_err node_hours_get(px_node *n, px_txn *txn, uint64_t member, int32_t month,
                      Praxis__HoursEntry **out) PX_NODISCARD;
px_err node_hours_put(px_node *n, px_txn *txn, const Praxis__HoursEntry *h) PX_NODISCARD;
px_err node_approval_put(px_node *n, px_txn *txn, const Praxis__Approval *a) PX_NODISCARD;
px_err node_plan_get(px_node *n, px_txn *txn, uint64_t community, int32_t period_start,
                     Praxis__Plan **out) PX_NODISCARD;
/* The plan with the latest period_start, PX_ENOTFOUND if none. */
px_err node_plan_latest(px_node *n, px_txn *txn, uint64_t community, Praxis__Plan **out) PX_NODISCARD;
px_err node_plan_put(px_node *n, px_txn *txn, const Praxis__Plan *p) PX_NODISCARD;
px_err node_survey_put(px_node *n, px_txn *txn, const Praxis__SurveyResponse *s) PX_NODISCARD;
/* Text config values; *out malloc'd (caller frees), PX_ENOTFOUND if unset. */
px_err node_cfg_get(px_node *n, px_txn *txn, const char *key, char **out) PX_NODISCARD;
px_err node_cfg_put(px_node *n, px_txn *txn, const char *key, const char *val) PX_NODISCARD;
/* Compacts the store (px_store_compact) and clears NODE_CFG_COMPACT_PENDING;
 * with only_pending, does nothing unless it is set. PX_EPRECOND while
 * another process has the store open: the flag stays, for later. */
px_err node_compact(px_node *n, bool only_pending) PX_NODISCARD;
/* The node's own organization id (config org_id). */
px_err node_self_org(px_node *n, px_txn *txn, uint64_t *out) PX_NODISCARD;

/* Position of a plan's item idx as "1.2.1" (its order among its siblings at
 * each level, as plan show numbers them) into out (node/cmd_plan.c). */
void node_plan_path(const Praxis__Plan *p, size_t idx, char *out, size_t size);
/* Frees an unpacked message (any type); NULL does nothing. */
void node_msg_free(void *msg);

/* px_scan over a database of packed messages of type desc (the Praxis__X
 * of the store layout above): fn gets each value unpacked, borrowed until
 * it returns (node_scan frees it). A value that does not unpack stops the
 * scan with PX_ECORRUPT; fn's own error stops it too and is returned. */
typedef px_err (*node_msg_fn)(void *arg, px_val key, void *msg);
px_err node_scan(px_txn *txn, px_db db, const void *prefix, size_t plen, const ProtobufCMessageDescriptor *desc,
                 node_msg_fn fn, void *arg) PX_NODISCARD;

/* Editing unpacked messages in place: the old value is freed (unless it
 * is protobuf-c's shared empty string) and the new one strdup'd, so
 * protobuf_c_message_free_unpacked still frees everything. */
px_err node_msg_set_str(char **field, const char *val) PX_NODISCARD;
px_err node_msg_set_strs(char ***arr, size_t *n, const char *const *vals, size_t nv) PX_NODISCARD;

/* Key builders: write into k, return the length. */
size_t node_key_id(uint8_t k[8], uint64_t id);
size_t node_key_2(uint8_t k[16], uint64_t a, uint64_t b);
size_t node_key_3(uint8_t k[24], uint64_t a, uint64_t b, uint64_t c);
size_t node_key_id_u32(uint8_t k[12], uint64_t a, uint32_t b);
static inline void
node_be32(uint8_t out[4], uint32_t v)
{
	out[0] = (uint8_t)(v >> 24), out[1] = (uint8_t)(v >> 16), out[2] = (uint8_t)(v >> 8),
	out[3] = (uint8_t)v;
}
static inline uint32_t
node_rd32(const uint8_t in[4])
{
	return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

/* Resolution of a command-line reference: a decimal id, or a name compared
 * case- and accent-insensitively. PX_ENOTFOUND (nothing printed) if none. */
px_err node_resolve_community(px_node *n, px_txn *txn, const char *ref, uint64_t *out) PX_NODISCARD;
px_err node_resolve_org(px_node *n, px_txn *txn, const char *ref, uint64_t *out) PX_NODISCARD;
/* A decimal id above 0 and nothing else (at most 19 digits). */
bool node_parse_id(const char *s, uint64_t *out);
/* Member by decimal id only (names are not unique). */
px_err node_resolve_member(px_node *n, px_txn *txn, const char *ref, uint64_t *out) PX_NODISCARD;

/* Name normalization for the name index and comparisons: UTF-8 in,
 * lowercase ASCII out with Latin accents folded (é->e, œ->oe, ß->ss), runs
 * of spaces/hyphens/apostrophes as one space, trimmed. Returns a malloc'd
 * string the caller frees (NULL on ENOMEM). */
char *node_normalize(const char *s);

/* ---- enumerations as words (French and English accepted on input) ---- */
int node_parse_sector(const char *s);       /* Praxis__Sector, -1 if unknown */
const char *node_sector_name(int v);        /* in the user's language */
int node_parse_status(const char *s);       /* Praxis__MemberStatus, -1 */
const char *node_status_name(int v);
int node_parse_role(const char *s);         /* Praxis__MemberRole, -1 */
const char *node_role_name(int v);
int node_parse_fac_role(const char *s);     /* Praxis__FacilitatorRole, -1 */
const char *node_fac_role_name(int v);
/* Tokens for JSON output (stable, English, lowercase): "active", ... */
const char *node_status_token(int v);
const char *node_role_token(int v);
const char *node_sector_token(int v);
const char *node_fac_role_token(int v);

/* ---- growing arrays ----
 * Makes room for element n of *arr (elem bytes each) with *cap elements
 * allocated, doubling from 16; *arr is realloc'd (the caller frees it) and
 * is left as it was on PX_ENOMEM. Pass the array as (void **)&v. */
px_err node_reserve(void **arr, size_t n, size_t *cap, size_t elem) PX_NODISCARD;

/* The whole file at path, NUL-terminated, malloc'd (the caller frees);
 * *len gets its size. NULL with errno set when it cannot be read, or is
 * larger than about max bytes (EFBIG; SIZE_MAX for no bound). */
char *node_read_file(const char *path, size_t max, size_t *len);

/* ---- validation ---- */
/* "14/03", "14-03", "14/03/1980" (year ignored): day and month, 31/02 refused. */
px_err node_parse_birth(const char *s, int32_t *day, int32_t *month) PX_NODISCARD;
bool node_email_valid(const char *s);
/* Booleans: oui/non/yes/no/true/false/1/0/o/n/x/"" (empty = false); -1 if unknown. */
int node_parse_bool(const char *s);
/* Non-negative number of hours "2", "2.5", "2,5"; PX_EINVAL otherwise. */
px_err node_parse_hours(const char *s, double *out) PX_NODISCARD;
/* Month "2025-03", "03/2025", "2025-03-01": yyyymm. */
px_err node_parse_month(const char *s, int32_t *out) PX_NODISCARD;

/* ---- command-line options ----
 * A row's table of options, terminated by {NULL}; node_args_take fills a
 * copy's value/count and collects the positional arguments. "--name value"
 * and "--name=value" both work; "--" ends options. Options with multi=true
 * may repeat: all values are kept in values[0..count). */
typedef struct node_opt {
	const char *name;   /* without the leading "--" */
	bool has_arg;
	bool multi;
	const char *value;  /* last value (or "1" for a flag) */
	const char **values;/* malloc'd when multi, freed by node_args_fini */
	size_t count;
	bool required;      /* declared rows: missing = the command's usage error */
} node_opt;

/* Option tables are written {"name", true} or {"name", true, true}: the
 * remaining fields are outputs, zero on purpose, so -Wextra's
 * missing-field-initializers is silenced for the files that use them.
 * NODE_OPT/NODE_OPT_MULTI/NODE_OPT_END spell the same thing in full;
 * NODE_OPT_REQ is an option with a value that the command cannot do
 * without (node_args_take answers its absence with the usage line). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#define NODE_OPT(nm, arg) {(nm), (arg), false, NULL, NULL, 0}
#define NODE_OPT_MULTI(nm) {(nm), true, true, NULL, NULL, 0}
#define NODE_OPT_END {NULL, false, false, NULL, NULL, 0}
#define NODE_OPT_REQ(nm) {(nm), true, false, NULL, NULL, 0, true}

struct node_cmd;
typedef struct node_args {
	char **pos;                  /* the positionals, borrowed from argv (array owned) */
	size_t npos;
	node_opt *opts;              /* a copy of the row's table with the values (owned) */
	const struct node_cmd *cmd;  /* the row */
} node_args;

/* A row's command line (see node_cmd): parses argv[1..] with a copy of
 * cmd->opts into *a, then checks the positional count and the required
 * options. Unknown options, missing values and values given to a flag are
 * printed here ("option inconnue « --x »"...), a wrong count or a missing
 * required option by node_args_usage. Returns NODE_EXIT_OK or
 * NODE_EXIT_USAGE (NODE_EXIT_IO when out of memory); *a is freed by
 * node_args_fini in every case. */
int node_args_take(px_node *n, const struct node_cmd *cmd, int argc, char **argv, node_args *a);
void node_args_fini(node_args *a);
/* The row's usage error: its usage_fr/usage_en line; for a row without one,
 * "argument inattendu « X »" when X is beyond max_pos, else the --help
 * line. Printed; returns NODE_EXIT_USAGE. */
int node_args_usage(px_node *n, const node_args *a);
/* The option named name, or NULL when not in the table or not given. */
const char *node_opt_get(const node_opt *opts, const char *name);
const node_opt *node_opt_find(const node_opt *opts, const char *name);

/* ---- output ---- */
/* Error message on stderr: "praxis-node : erreur : <msg>" and returns the
 * exit code for err. With --json, also {"ok":false,"error":msg,"code":N} on
 * stdout. */
int node_fail(px_node *n, px_err err, const char *fmt, ...) PX_PRINTF(3, 4);
/* Usage error: message + "see --help", returns NODE_EXIT_USAGE. */
int node_usage(px_node *n, const char *fmt, ...) PX_PRINTF(2, 3);
/* A store error: node_fail with px_strerror_user(err), returns its exit code. */
int node_store_fail(px_node *n, px_err err);
/* Warning on stderr ("avertissement"). */
void node_warn(px_node *n, const char *fmt, ...) PX_PRINTF(2, 3);
/* Prints json (unformatted if compact) followed by a newline on stdout and
 * deletes it. */
void node_json_print(cJSON *json);
/* Adds a date "yyyy-mm-dd" (null when 0). */
void node_json_date(cJSON *obj, const char *name, int32_t ymd);

/* Tables for the terminal: columns aligned by display width (UTF-8 code
 * points), header underlined. Strings are copied. */
typedef struct node_table node_table;
node_table *node_table_new(size_t ncols, const char *const *headers);
void node_table_row(node_table *t, const char *const *cells);
/* printf-style single cell helper for building rows. */
char *node_fmt(const char *fmt, ...) PX_PRINTF(1, 2); /* malloc'd */
void node_table_print(node_table *t, FILE *out);
void node_table_free(node_table *t);
/* Display width of a UTF-8 string (code points). */
size_t node_utf8_width(const char *s);
/* label followed by spaces up to width display columns (accents count
 * once), for "  Label     value" lines. The result lives in one of eight
 * static buffers, reused in turn: use it in the printf that asked for it. */
const char *node_pad(const char *label, size_t width);

/* The output of a "... list" command: with --json an array of objects,
 * otherwise a table. The scan callback adds to whichever is set and counts
 * its rows. */
typedef struct node_listing {
	cJSON *arr;    /* --json: the rows (owned), else NULL */
	node_table *t; /* terminal: the table (owned), else NULL */
	size_t count;  /* rows added, kept by the caller */
} node_listing;
/* Creates the array (n->json) or the table with its headers. PX_ENOMEM when
 * that fails (l is then still safe to fini). */
px_err node_listing_begin(px_node *n, node_listing *l, size_t ncols, const char *const *headers);
/* Prints the array, or empty_msg when no row was counted (NULL: the table
 * even when empty), or the table; then frees both. */
void node_listing_end(node_listing *l, const char *empty_msg);
/* Frees without printing (error paths; harmless after _end). */
void node_listing_fini(node_listing *l);
/* A "... list" of a whole database of packed messages of type desc: a read
 * transaction, node_listing_begin with the headers, node_scan calling fn
 * with a node_list_ctx (its out to fill and count, n and txn for lookups),
 * then node_listing_end(empty_msg). Returns the exit code (a store error
 * printed). */
typedef struct node_list_ctx {
	px_node *n;
	px_txn *txn;
	node_listing out;
} node_list_ctx;
int node_list_db(px_node *n, px_db db, const ProtobufCMessageDescriptor *desc, size_t ncols,
                 const char *const *headers, node_msg_fn fn, const char *empty_msg);

/* Progress bar on stderr when it is a terminal (nothing otherwise). */
typedef struct node_progress {
	bool tty;
	size_t total, done, last_pct;
	const char *label;
} node_progress;
void node_progress_start(node_progress *p, const char *label, size_t total);
void node_progress_step(node_progress *p, size_t done);
void node_progress_end(node_progress *p);

/* ---- plugins (node/host.c, over src/plugin/px_plugin_host.h) ---- */
/* The loaded host, created on first call (search path: config plugin_path,
 * PRAXIS_PLUGIN_PATH, build tree, install prefix). NULL with a message on
 * failure. Owned by n. */
node_host *node_host_get(px_node *n);
/* The loaded plugins (borrowed from n), NULL if the host cannot load. */
struct px_plugin_host *node_plugins(px_node *n);
/* True when a plugin named name is loaded. */
bool node_plugin_exists(px_node *n, const char *name);

/* A finding copied out of a plugin run. */
typedef struct node_finding {
	char rule_id[32];
	pxp_severity severity;
	char *message_fr, *message_en;
	uint64_t member_id, meeting_id;
	int32_t month;
} node_finding;
typedef struct node_findings {
	node_finding *v;
	size_t n, cap;
	bool plugin_missing; /* the community's plugin is not loaded */
} node_findings;
void node_findings_fini(node_findings *f);

/* ---- the community view (node/view.c) ---- */
typedef struct node_view node_view; /* opaque; holds what c borrows */
/* Builds the plugin view of one community from txn (so a change written in
 * the same open write txn is seen). period 0,0 = the plan's period if any,
 * else the current calendar year. *out freed by node_view_free; the view
 * borrows nothing from txn after return. */
px_err node_view_build(px_node *n, px_txn *txn, uint64_t community, int32_t period_start,
                       int32_t period_end, node_view **out) PX_NODISCARD;
const pxp_community *node_view_community(const node_view *v);
/* The community record the view was built from (borrowed from v). */
const Praxis__Community *node_view_record(const node_view *v);
void node_view_free(node_view *v);
/* Removes a member (and her protocols, hours, attendance, surveys,
 * approvals) and/or a meeting (and its attendance) from the view: the
 * community as it was before adding them. 0 = nothing of that kind. */
void node_view_drop(node_view *v, uint64_t member_id, uint64_t meeting_id);
/* Removes what one attendance or hours change added (the attendance row of
 * change->member_id at change->meeting_id, or her hours of change->month),
 * so the view is the community as it was before that change. */
void node_view_drop_change(node_view *v, const pxp_change *change);

/* ---- transactions of the command handlers ----
 * One shape for every handler: begin, work, then commit (or check and
 * commit); a failure is printed with node_store_fail and its exit code lands
 * in *rc; the handler's cleanup calls px_txn_abort(txn), harmless on NULL. */
px_err node_txn_begin(px_node *n, bool write, px_txn **txn, int *rc) PX_NODISCARD;
/* Commits *txn (NULL afterwards, whatever happens); returns the exit code. */
int node_txn_commit(px_node *n, px_txn **txn);
/* node_check_change on community, then commit. A refusal (already printed)
 * aborts and returns NODE_EXIT_INVALID; *txn is NULL afterwards. */
int node_txn_check_commit(px_node *n, px_txn **txn, uint64_t community, const pxp_change *change);

/* ---- rules (node/rules.c) ---- */
/* Change-time check. Call it after writing the change in the open write
 * txn and before committing. Builds the view from txn, runs the
 * community's plugin, prints warnings at once on stderr, prints refusing
 * error findings and returns PX_EPRECOND if any (the caller aborts the txn
 * and exits NODE_EXIT_INVALID without printing more). A missing plugin is
 * a warning, not a refusal.
 * Which errors refuse: those about the change's subject (its member or
 * meeting), and, for MEMBER_ADD and MEETING_ADD, errors about no one in
 * particular that the change creates (same rule absent from the view
 * without the member/meeting, e.g. BRU-1 group too big; MEMBER_STATUS is
 * compared with the view without that member too). Errors about
 * other subjects are pre-existing state: shown as warnings. PXP_CHANGE_
 * COMMUNITY never refuses (a new community cannot have its moderators
 * yet): its findings are advice. */
px_err node_check_change(px_node *n, px_txn *txn, uint64_t community, const pxp_change *change) PX_NODISCARD;
/* Full audit of a community over a period (0,0 = default), findings into
 * *out (caller calls node_findings_fini). */
px_err node_audit(px_node *n, px_txn *txn, uint64_t community, int32_t period_start,
                  int32_t period_end, node_findings *out) PX_NODISCARD;
/* Plugin indicators for a report: calls cb for each. */
typedef void (*node_indicator_fn)(void *arg, const char *name, double value, uint32_t population);
px_err node_indicators(px_node *n, px_txn *txn, uint64_t community, int32_t period_start,
                       int32_t period_end, node_indicator_fn cb, void *arg) PX_NODISCARD;
/* Host-level functions used by rules.c, implemented in host.c. */
/* What a community report needs from its framework for [first, last], with
 * the node's and the community's parameter overrides: the meetings the
 * framework's calendar expects (ROC-2 and the like; 0 without a calendar),
 * and, for a period of whole years, the hours cap per member when the plugin
 * declares the conventional parameter "annual_hours_cap" (else 0: no
 * members_over_cap). PX_OK with zeros when the plugin is missing. */
px_err node_report_figures(px_node *n, const Praxis__Community *rec, const pxp_community *c, int32_t first,
                           int32_t last, uint32_t *expected, double *hours_cap) PX_NODISCARD;
px_err node_host_run(px_node *n, const char *framework, const Praxis__Community *rec,
                     const pxp_community *c, const pxp_change *change, node_findings *out,
                     node_indicator_fn ind_cb, void *ind_arg) PX_NODISCARD;
/* "LAU-1 (erreur) : message" for one finding in the user's language. */
const char *node_finding_message(const node_finding *f);
const char *node_severity_name(pxp_severity s);

/* ---- protocol signatures: provided by the activity engineer (canon.c) ----
 * Verifies both signatures of p over its canonical encoding. *member_ok /
 * *director_ok are true only when that signature is present and valid. */
px_err node_protocol_verify(const Praxis__Protocol *p, bool *member_ok, bool *director_ok);

/* ---- command handlers ---- */
/* A handler: main has parsed the command line by its row (a->opts, a->pos)
 * and answered the usage errors; a is freed by main. */
typedef int (*node_run_fn)(px_node *n, const node_args *a);

/* The command table. sub NULL: a one-word command. usage is the line after
 * the program name (help); flags: NODE_CMD_NOSTORE for commands that open
 * the store themselves (init).
 * A row names its run handler and declares the command line main parses by
 * (node_args_take) before calling it: the option table, the positional
 * count min_pos..max_pos (NODE_POS_ANY: no maximum) and the usage error
 * line in both languages (NULL: "argument inattendu « X »" for one too
 * many, else the --help line; see node_args_usage). */
enum { NODE_CMD_NOSTORE = 1 };
#define NODE_POS_ANY 0xffffu
typedef struct node_cmd {
	const char *name;
	const char *sub;
	node_run_fn run;
	const char *usage;
	const char *help_fr;
	const char *help_en;
	int flags;
	const node_opt *opts; /* {NULL}-terminated; NULL: no option */
	unsigned min_pos, max_pos;
	const char *usage_fr, *usage_en;
} node_cmd;

/* Other files register their rows without touching main.c (one row per
 * command and subcommand):
 *   static const node_cmd my_cmds[] = {{"protocol", "new", .run = proto_new, ...}, {0}};
 *   NODE_COMMANDS(my_cmds)
 */
void node_register_commands(const node_cmd *tbl);
/* Runs a row on its arguments (argv[0] the word that selected it):
 * node_args_take, then run. Returns the exit code. */
int node_cmd_run(px_node *n, const node_cmd *cmd, int argc, char **argv);
/* The node's own tables (init and org, community, member, member import,
 * plugin and audit), which main lists last, in that order. The other
 * commands (protocol, meeting, rsvp, attend, hours, survey, approval, plan,
 * report, enroll, sync, serve, outbox, derogation) register their rows with
 * NODE_COMMANDS. */
extern const node_cmd node_init_cmds[], node_community_cmds[], node_member_cmds[], node_import_cmds[],
	node_plugin_cmds[];
#define NODE_COMMANDS(tbl)                                                        \
	__attribute__((constructor)) static void node_register_##tbl(void)       \
	{                                                                         \
		node_register_commands(tbl);                                      \
	}

#ifdef __cplusplus
}
#endif
#endif /* PX_NODE_H */
