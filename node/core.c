/*
 * core.c - the node context (data directory, config file, store) and the
 * typed get/put of every entity with its indexes.
 */
#define _GNU_SOURCE
#include "node.h"

#include <errno.h>
#include <ini.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- context */

static const char *const core_db_names[] = {
#define NODE_DB_NAME(f, s) s,
	NODE_DB_LIST(NODE_DB_NAME)
#undef NODE_DB_NAME
	NULL,
};

char *
node_path(const px_node *n, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", n->data_dir, name) < 0)
		return NULL;
	return p;
}

static char *
core_default_dir(void)
{
	char *dir = NULL;
	if (geteuid() == 0)
		return strdup("/var/lib/praxis/node");
	const char *xdg = getenv("XDG_DATA_HOME");
	if (xdg != NULL && xdg[0] == '/') {
		if (asprintf(&dir, "%s/praxis/node", xdg) < 0)
			return NULL;
		return dir;
	}
	const char *home = getenv("HOME");
	if (home == NULL || home[0] == '\0') {
		struct passwd *pw = getpwuid(getuid());
		home = pw != NULL ? pw->pw_dir : "/tmp";
	}
	if (asprintf(&dir, "%s/.local/share/praxis/node", home) < 0)
		return NULL;
	return dir;
}

static int
core_ini_handler(void *user, const char *section, const char *name, const char *value)
{
	px_node *n = user;
	node_config *cfg = &n->cfg;
	if (strcmp(section, "node") == 0) {
		if (strcmp(name, "k") == 0) {
			char *end;
			errno = 0;
			long k = strtol(value, &end, 10);
			if (errno != 0 || *end != '\0' || k < 1 || k > 1000) {
				node_warn(n, PX_T("%s : k = « %s » ignoré (entier de 1 à 1000 attendu)",
				                  "%s: k = '%s' ignored (integer 1 to 1000 expected)"),
				          NODE_CONFIG_FILE, value);
				return 1;
			}
			cfg->k = (unsigned)k;
		} else if (strcmp(name, "plugin_path") == 0) {
			free(cfg->plugin_path);
			cfg->plugin_path = strdup(value);
		} else if (strcmp(name, "lang") == 0) {
			free(cfg->lang);
			cfg->lang = strdup(value);
		} else {
			node_warn(n, PX_T("%s : clé inconnue « %s » dans [node] ignorée",
			                  "%s: unknown key '%s' in [node] ignored"),
			          NODE_CONFIG_FILE, name);
		}
		return 1;
	}
	if (strncmp(section, "plugin.", 7) == 0 && section[7] != '\0') {
		node_param *np = realloc(cfg->params, (cfg->n_params + 1) * sizeof *np);
		if (np == NULL)
			return 0;
		cfg->params = np;
		node_param *p = &np[cfg->n_params];
		p->plugin = strdup(section + 7);
		p->name = strdup(name);
		p->value = strdup(value);
		if (p->plugin == NULL || p->name == NULL || p->value == NULL) {
			free(p->plugin), free(p->name), free(p->value);
			return 0;
		}
		cfg->n_params++;
		return 1;
	}
	node_warn(n, PX_T("%s : section inconnue [%s] ignorée", "%s: unknown section [%s] ignored"),
	          NODE_CONFIG_FILE, section);
	return 1;
}

px_err
node_init_ctx(px_node *n, const char *flag_dir)
{
	n->cfg.k = NODE_DEFAULT_K;
	const char *env = getenv("PRAXIS_NODE_DATA");
	if (flag_dir != NULL && flag_dir[0] != '\0')
		n->data_dir = strdup(flag_dir);
	else if (env != NULL && env[0] != '\0')
		n->data_dir = strdup(env);
	else
		n->data_dir = core_default_dir();
	if (n->data_dir == NULL)
		return PX_ENOMEM;
	char *ini = node_path(n, NODE_CONFIG_FILE);
	if (ini == NULL)
		return PX_ENOMEM;
	if (access(ini, F_OK) == 0) {
		int line = ini_parse(ini, core_ini_handler, n);
		if (line != 0) {
			node_warn(n, PX_T("%s : erreur ligne %d", "%s: error at line %d"), ini, line);
			free(ini);
			return line < 0 ? PX_EIO : PX_EINVAL;
		}
	}
	free(ini);
	return PX_OK;
}

px_err
node_open(px_node *n, bool create)
{
	if (n->st != NULL)
		return PX_OK;
	char *file = node_path(n, NODE_STORE_FILE);
	if (file == NULL)
		return PX_ENOMEM;
	bool exists = access(file, F_OK) == 0;
	free(file);
	if (!exists && !create) {
		node_fail(n, PX_ENOTFOUND,
		          PX_T("aucun nœud dans « %s » : lancez d'abord « praxis-node init » (ou --data DOSSIER)",
		               "no node in '%s': run 'praxis-node init' first (or --data DIR)"),
		          n->data_dir);
		return PX_ENOTFOUND;
	}
	px_store_opts o = {
		.dir = n->data_dir,
		.file = NODE_STORE_FILE,
		.map_size = 0,
		.dbs = core_db_names,
		.schema_version = NODE_SCHEMA_VERSION,
	};
	px_err err = px_store_open(&n->st, &o);
	if (err != PX_OK) {
		node_fail(n, err, PX_T("impossible d'ouvrir la base du nœud dans « %s »",
		                       "cannot open the node store in '%s'"),
		          n->data_dir);
		n->st = NULL;
		return err;
	}
#define NODE_DB_SET(f, s) n->db.f = px_store_db(n->st, s);
	NODE_DB_LIST(NODE_DB_SET)
#undef NODE_DB_SET
	return PX_OK;
}

void node_host_free(node_host *h); /* host.c */

void
node_fini(px_node *n)
{
	node_host_free(n->host);
	n->host = NULL;
	px_store_close(n->st);
	n->st = NULL;
	free(n->data_dir);
	n->data_dir = NULL;
	for (size_t i = 0; i < n->cfg.n_params; i++) {
		free(n->cfg.params[i].plugin);
		free(n->cfg.params[i].name);
		free(n->cfg.params[i].value);
	}
	free(n->cfg.params);
	free(n->cfg.plugin_path);
	free(n->cfg.lang);
	memset(&n->cfg, 0, sizeof n->cfg);
}

/* ------------------------------------------------------------------- keys */

size_t
node_key_id(uint8_t k[8], uint64_t id)
{
	px_be64(k, id);
	return 8;
}

size_t
node_key_2(uint8_t k[16], uint64_t a, uint64_t b)
{
	px_be64(k, a);
	px_be64(k + 8, b);
	return 16;
}

size_t
node_key_3(uint8_t k[24], uint64_t a, uint64_t b, uint64_t c)
{
	px_be64(k, a);
	px_be64(k + 8, b);
	px_be64(k + 16, c);
	return 24;
}

size_t
node_key_id_u32(uint8_t k[12], uint64_t a, uint32_t b)
{
	px_be64(k, a);
	node_be32(k + 8, b);
	return 12;
}

px_err
node_next_id(px_txn *txn, const char *seq, uint64_t *out)
{
	return px_seq_next(txn, seq, out);
}

/* --------------------------------------------------------------- entities */

#define CORE_GET(fn, type, desc, dbf)                                                              \
	px_err fn(px_node *n, px_txn *txn, uint64_t id, type **out)                                \
	{                                                                                          \
		uint8_t k[8];                                                                      \
		return px_get_msg(txn, n->db.dbf, k, node_key_id(k, id), &desc,                    \
		                  (ProtobufCMessage **)out);                                       \
	}

CORE_GET(node_org_get, Praxis__Organization, praxis__organization__descriptor, orgs)
CORE_GET(node_community_get, Praxis__Community, praxis__community__descriptor, communities)
CORE_GET(node_member_get, Praxis__Member, praxis__member__descriptor, members)
CORE_GET(node_protocol_get, Praxis__Protocol, praxis__protocol__descriptor, protocols)
CORE_GET(node_meeting_get, Praxis__Meeting, praxis__meeting__descriptor, meetings)

px_err
node_org_put(px_node *n, px_txn *txn, const Praxis__Organization *o)
{
	uint8_t k[8];
	return px_put_msg(txn, n->db.orgs, k, node_key_id(k, o->id), &o->base);
}

px_err
node_community_put(px_node *n, px_txn *txn, const Praxis__Community *c)
{
	uint8_t k[8];
	return px_put_msg(txn, n->db.communities, k, node_key_id(k, c->id), &c->base);
}

/* A new member: px_put_new so an existing id is never overwritten, and no
 * old version to read (the import path writes 100,000 of these). */
static px_err
core_put_member_new(px_node *n, px_txn *txn, const Praxis__Member *m, uint8_t k[8])
{
	size_t len = praxis__member__get_packed_size(m);
	uint8_t stackbuf[1024];
	uint8_t *buf = len <= sizeof stackbuf ? stackbuf : malloc(len);
	if (buf == NULL)
		return PX_ENOMEM;
	praxis__member__pack(m, buf);
	px_err err = px_put_new(txn, n->db.members, k, node_key_id(k, m->id), buf, len);
	if (buf != stackbuf)
		free(buf);
	return err;
}

/* Name index keys: "family first" and "first family", normalized, then a
 * NUL and the member id, so a prefix search on either name finds her. */
px_err
node_member_name_keys(const Praxis__Member *m, uint8_t **k1, size_t *l1, uint8_t **k2, size_t *l2)
{
	*k1 = *k2 = NULL;
	char *fam = node_normalize(m->family_name != NULL ? m->family_name : "");
	char *fir = node_normalize(m->first_name != NULL ? m->first_name : "");
	px_err err = PX_ENOMEM;
	if (fam == NULL || fir == NULL)
		goto out;
	size_t lf = strlen(fam), lp = strlen(fir);
	*l1 = *l2 = lf + lp + 1 + 1 + 8;
	*k1 = malloc(*l1);
	*k2 = malloc(*l2);
	if (*k1 == NULL || *k2 == NULL) {
		free(*k1), free(*k2);
		*k1 = *k2 = NULL;
		goto out;
	}
	memcpy(*k1, fam, lf);
	(*k1)[lf] = ' ';
	memcpy(*k1 + lf + 1, fir, lp);
	(*k1)[lf + 1 + lp] = 0;
	px_be64(*k1 + lf + lp + 2, m->id);
	memcpy(*k2, fir, lp);
	(*k2)[lp] = ' ';
	memcpy(*k2 + lp + 1, fam, lf);
	(*k2)[lf + 1 + lp] = 0;
	px_be64(*k2 + lf + lp + 2, m->id);
	err = PX_OK;
out:
	free(fam);
	free(fir);
	return err;
}

static px_err
core_member_index_ex(px_node *n, px_txn *txn, const Praxis__Member *m, bool add, bool names);

static px_err
core_member_index(px_node *n, px_txn *txn, const Praxis__Member *m, bool add)
{
	return core_member_index_ex(n, txn, m, add, true);
}

static px_err
core_member_index_ex(px_node *n, px_txn *txn, const Praxis__Member *m, bool add, bool names)
{
	px_err err;
	uint8_t k[16];
	uint8_t cid[8];
	px_be64(cid, m->community_id);
	if (m->org_id != 0) {
		node_key_2(k, m->org_id, m->id);
		err = add ? px_put(txn, n->db.members_by_org, k, 16, "", 0)
		          : px_del(txn, n->db.members_by_org, k, 16);
		if (err != PX_OK && !(err == PX_ENOTFOUND && !add))
			return err;
	}
	node_key_2(k, m->community_id, m->id);
	err = add ? px_put(txn, n->db.members_by_community, k, 16, "", 0)
	          : px_del(txn, n->db.members_by_community, k, 16);
	if (err != PX_OK && !(err == PX_ENOTFOUND && !add))
		return err;
	/* Erased members have no name and no name index entry. */
	if (m->status == PRAXIS__MEMBER_STATUS__MEMBER_ERASED || !names)
		return PX_OK;
	uint8_t *k1, *k2;
	size_t l1, l2;
	if ((err = node_member_name_keys(m, &k1, &l1, &k2, &l2)) != PX_OK)
		return err;
	for (int i = 0; i < 2 && err == PX_OK; i++) {
		uint8_t *kk = i == 0 ? k1 : k2;
		size_t ll = i == 0 ? l1 : l2;
		err = add ? px_put(txn, n->db.members_by_name, kk, ll, cid, 8)
		          : px_del(txn, n->db.members_by_name, kk, ll);
		if (err == PX_ENOTFOUND && !add)
			err = PX_OK;
	}
	free(k1);
	free(k2);
	return err;
}

px_err
node_member_put(px_node *n, px_txn *txn, const Praxis__Member *m)
{
	Praxis__Member *old = NULL;
	px_err err = node_member_get(n, txn, m->id, &old);
	if (err == PX_OK) {
		err = core_member_index(n, txn, old, false);
		protobuf_c_message_free_unpacked(&old->base, NULL);
		if (err != PX_OK)
			return err;
	} else if (err != PX_ENOTFOUND) {
		return err;
	}
	uint8_t k[8];
	if ((err = px_put_msg(txn, n->db.members, k, node_key_id(k, m->id), &m->base)) != PX_OK)
		return err;
	return core_member_index(n, txn, m, true);
}

px_err
node_member_put_new(px_node *n, px_txn *txn, const Praxis__Member *m)
{
	uint8_t k[8];
	px_err err = core_put_member_new(n, txn, m, k);
	if (err != PX_OK)
		return err;
	return core_member_index(n, txn, m, true);
}

px_err
node_member_put_new_nonames(px_node *n, px_txn *txn, const Praxis__Member *m)
{
	uint8_t k[8];
	px_err err = core_put_member_new(n, txn, m, k);
	if (err != PX_OK)
		return err;
	return core_member_index_ex(n, txn, m, true, false);
}

px_err
node_protocol_put(px_node *n, px_txn *txn, const Praxis__Protocol *p)
{
	uint8_t k[16];
	px_err err = px_put_msg(txn, n->db.protocols, k, node_key_id(k, p->id), &p->base);
	if (err != PX_OK)
		return err;
	return px_put(txn, n->db.protocols_by_member, k, node_key_2(k, p->member_id, p->id), "", 0);
}

static size_t
core_meeting_key(uint8_t k[20], const Praxis__Meeting *m)
{
	px_be64(k, m->community_id);
	node_be32(k + 8, (uint32_t)m->date);
	px_be64(k + 12, m->id);
	return 20;
}

px_err
node_meeting_put(px_node *n, px_txn *txn, const Praxis__Meeting *m)
{
	Praxis__Meeting *old = NULL;
	uint8_t k[20];
	px_err err = node_meeting_get(n, txn, m->id, &old);
	if (err == PX_OK) {
		err = px_del(txn, n->db.meetings_by_community, k, core_meeting_key(k, old));
		protobuf_c_message_free_unpacked(&old->base, NULL);
		if (err != PX_OK && err != PX_ENOTFOUND)
			return err;
	} else if (err != PX_ENOTFOUND) {
		return err;
	}
	if ((err = px_put_msg(txn, n->db.meetings, k, node_key_id(k, m->id), &m->base)) != PX_OK)
		return err;
	return px_put(txn, n->db.meetings_by_community, k, core_meeting_key(k, m), "", 0);
}

px_err
node_attendance_get(px_node *n, px_txn *txn, uint64_t community, uint64_t meeting, uint64_t member,
                    Praxis__Attendance **out)
{
	uint8_t k[24];
	return px_get_msg(txn, n->db.attendance, k, node_key_3(k, community, meeting, member),
	                  &praxis__attendance__descriptor, (ProtobufCMessage **)out);
}

px_err
node_attendance_put(px_node *n, px_txn *txn, uint64_t community, const Praxis__Attendance *a)
{
	uint8_t k[24];
	return px_put_msg(txn, n->db.attendance, k, node_key_3(k, community, a->meeting_id, a->member_id),
	                  &a->base);
}

px_err
node_hours_get(px_node *n, px_txn *txn, uint64_t member, int32_t month, Praxis__HoursEntry **out)
{
	uint8_t k[12];
	return px_get_msg(txn, n->db.hours, k, node_key_id_u32(k, member, (uint32_t)month),
	                  &praxis__hours_entry__descriptor, (ProtobufCMessage **)out);
}

px_err
node_hours_put(px_node *n, px_txn *txn, const Praxis__HoursEntry *h)
{
	uint8_t k[12];
	return px_put_msg(txn, n->db.hours, k, node_key_id_u32(k, h->member_id, (uint32_t)h->month), &h->base);
}

px_err
node_approval_put(px_node *n, px_txn *txn, const Praxis__Approval *a)
{
	uint8_t k[16];
	return px_put_msg(txn, n->db.approvals, k, node_key_2(k, a->community_id, a->id), &a->base);
}

px_err
node_plan_get(px_node *n, px_txn *txn, uint64_t community, int32_t period_start, Praxis__Plan **out)
{
	uint8_t k[12];
	return px_get_msg(txn, n->db.plans, k, node_key_id_u32(k, community, (uint32_t)period_start),
	                  &praxis__plan__descriptor, (ProtobufCMessage **)out);
}

struct core_first {
	Praxis__Plan *plan;
	px_err err;
};

static px_err
core_plan_first(void *arg, px_val key, px_val val)
{
	struct core_first *f = arg;
	(void)key;
	f->plan = praxis__plan__unpack(NULL, val.size, val.data);
	f->err = f->plan != NULL ? PX_OK : PX_ECORRUPT;
	return PX_ENOTFOUND; /* stop after the first (latest) */
}

px_err
node_plan_latest(px_node *n, px_txn *txn, uint64_t community, Praxis__Plan **out)
{
	uint8_t k[8];
	struct core_first f = {NULL, PX_ENOTFOUND};
	px_err err = px_scan_rev(txn, n->db.plans, k, node_key_id(k, community), core_plan_first, &f);
	if (err != PX_OK && err != PX_ENOTFOUND)
		return err;
	*out = f.plan;
	return f.err;
}

px_err
node_plan_put(px_node *n, px_txn *txn, const Praxis__Plan *p)
{
	uint8_t k[12];
	return px_put_msg(txn, n->db.plans, k, node_key_id_u32(k, p->community_id, (uint32_t)p->period_start),
	                  &p->base);
}

px_err
node_survey_put(px_node *n, px_txn *txn, const Praxis__SurveyResponse *s)
{
	const char *period = s->period != NULL ? s->period : "";
	size_t pl = strlen(period);
	uint8_t *k = malloc(8 + pl + 1 + 8);
	if (k == NULL)
		return PX_ENOMEM;
	px_be64(k, s->community_id);
	memcpy(k + 8, period, pl);
	k[8 + pl] = 0;
	px_be64(k + 9 + pl, s->member_id);
	px_err err = px_put_msg(txn, n->db.surveys, k, 17 + pl, &s->base);
	free(k);
	return err;
}

px_err
node_cfg_get(px_node *n, px_txn *txn, const char *key, char **out)
{
	px_val v;
	px_err err = px_get(txn, n->db.config, key, strlen(key), &v);
	if (err != PX_OK)
		return err;
	*out = strndup(v.data, v.size);
	return *out != NULL ? PX_OK : PX_ENOMEM;
}

px_err
node_cfg_put(px_node *n, px_txn *txn, const char *key, const char *val)
{
	return px_put(txn, n->db.config, key, strlen(key), val, strlen(val));
}

px_err
node_compact(px_node *n, bool only_pending)
{
	px_txn *txn = NULL;
	px_val v;
	px_err err = px_txn_begin(n->st, false, &txn);
	if (err != PX_OK)
		return err;
	err = px_get(txn, n->db.config, NODE_CFG_COMPACT_PENDING, strlen(NODE_CFG_COMPACT_PENDING), &v);
	px_txn_abort(txn);
	if (err != PX_OK && err != PX_ENOTFOUND)
		return err;
	bool pending = err == PX_OK;
	if (!pending && only_pending)
		return PX_OK;
	if ((err = px_store_compact(n->st)) != PX_OK)
		return err;
	if (!pending)
		return PX_OK;
	/* Cleared only now: a crash before leaves it set, and the next
	 * compaction runs again. */
	if ((err = px_txn_begin(n->st, true, &txn)) != PX_OK)
		return err;
	err = px_del(txn, n->db.config, NODE_CFG_COMPACT_PENDING, strlen(NODE_CFG_COMPACT_PENDING));
	if (err == PX_OK || err == PX_ENOTFOUND)
		return px_txn_commit(txn);
	px_txn_abort(txn);
	return err;
}

px_err
node_self_org(px_node *n, px_txn *txn, uint64_t *out)
{
	char *s = NULL;
	px_err err = node_cfg_get(n, txn, NODE_CFG_ORG_ID, &s);
	if (err != PX_OK)
		return err;
	*out = strtoull(s, NULL, 10);
	free(s);
	return *out != 0 ? PX_OK : PX_ECORRUPT;
}

/* ------------------------------------------------------------- resolution */

bool
node_parse_id(const char *s, uint64_t *out)
{
	if (s == NULL || *s == '\0' || strlen(s) > 19)
		return false;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	*out = strtoull(s, NULL, 10);
	return *out != 0;
}

struct core_byname {
	const ProtobufCMessageDescriptor *desc;
	const char *want; /* normalized */
	uint64_t found;
	size_t matches;
	px_err err;
};

static px_err
core_byname_scan(void *arg, px_val key, px_val val)
{
	struct core_byname *b = arg;
	(void)key;
	ProtobufCMessage *m = protobuf_c_message_unpack(b->desc, NULL, val.size, val.data);
	if (m == NULL)
		return PX_ECORRUPT;
	/* Organization and Community both have id = 1 and name = 2. */
	uint64_t id;
	const char *name;
	if (b->desc == &praxis__organization__descriptor) {
		id = ((Praxis__Organization *)m)->id;
		name = ((Praxis__Organization *)m)->name;
	} else {
		id = ((Praxis__Community *)m)->id;
		name = ((Praxis__Community *)m)->name;
	}
	char *norm = node_normalize(name);
	if (norm == NULL) {
		protobuf_c_message_free_unpacked(m, NULL);
		return PX_ENOMEM;
	}
	if (strcmp(norm, b->want) == 0) {
		b->found = id;
		b->matches++;
	}
	free(norm);
	protobuf_c_message_free_unpacked(m, NULL);
	return PX_OK;
}

static px_err
core_resolve(px_node *n, px_txn *txn, px_db db, const ProtobufCMessageDescriptor *desc,
             const char *ref, uint64_t *out)
{
	uint64_t id;
	if (ref == NULL || *ref == '\0')
		return PX_ENOTFOUND;
	if (node_parse_id(ref, &id)) {
		uint8_t k[8];
		px_val v;
		px_err err = px_get(txn, db, k, node_key_id(k, id), &v);
		if (err != PX_OK)
			return err;
		*out = id;
		return PX_OK;
	}
	struct core_byname b = {desc, node_normalize(ref), 0, 0, PX_OK};
	if (b.want == NULL)
		return PX_ENOMEM;
	px_err err = px_scan(txn, db, NULL, 0, core_byname_scan, &b);
	free((char *)b.want);
	if (err != PX_OK)
		return err;
	if (b.matches == 0)
		return PX_ENOTFOUND;
	/* Two records with the same name: the caller must use the id. */
	if (b.matches > 1)
		return PX_EEXISTS;
	*out = b.found;
	(void)n;
	return PX_OK;
}

px_err
node_resolve_community(px_node *n, px_txn *txn, const char *ref, uint64_t *out)
{
	return core_resolve(n, txn, n->db.communities, &praxis__community__descriptor, ref, out);
}

px_err
node_resolve_org(px_node *n, px_txn *txn, const char *ref, uint64_t *out)
{
	return core_resolve(n, txn, n->db.orgs, &praxis__organization__descriptor, ref, out);
}

px_err
node_resolve_member(px_node *n, px_txn *txn, const char *ref, uint64_t *out)
{
	uint64_t id;
	if (!node_parse_id(ref, &id))
		return PX_ENOTFOUND;
	uint8_t k[8];
	px_val v;
	px_err err = px_get(txn, n->db.members, k, node_key_id(k, id), &v);
	if (err != PX_OK)
		return err;
	*out = id;
	return PX_OK;
}

/* ---------------------------------------------------------- message scans */

void
node_msg_free(void *msg)
{
	if (msg != NULL)
		protobuf_c_message_free_unpacked((ProtobufCMessage *)msg, NULL);
}

struct core_scan {
	const ProtobufCMessageDescriptor *desc;
	node_msg_fn fn;
	void *arg;
};

static px_err
core_scan_one(void *arg, px_val key, px_val val)
{
	struct core_scan *sc = arg;
	ProtobufCMessage *m = protobuf_c_message_unpack(sc->desc, NULL, val.size, val.data);
	if (m == NULL)
		return PX_ECORRUPT;
	px_err err = sc->fn(sc->arg, key, m);
	protobuf_c_message_free_unpacked(m, NULL);
	return err;
}

px_err
node_scan(px_txn *txn, px_db db, const void *prefix, size_t plen, const ProtobufCMessageDescriptor *desc,
          node_msg_fn fn, void *arg)
{
	struct core_scan sc = {desc, fn, arg};
	return px_scan(txn, db, prefix, plen, core_scan_one, &sc);
}

static px_err
core_att_sum(void *arg, px_val key, void *msg)
{
	(void)key;
	node_att_sum *s = arg;
	const Praxis__Attendance *at = msg;
	s->records++;
	if (at->rsvp == PRAXIS__RSVP__RSVP_CONFIRMED)
		s->confirmed++;
	else if (at->rsvp == PRAXIS__RSVP__RSVP_ABSENCE_NOTIFIED)
		s->absent++;
	if (at->present) {
		s->present++;
		s->hours += at->hours;
	}
	return PX_OK;
}

px_err
node_attendance_sum(px_node *n, px_txn *txn, uint64_t community, uint64_t meeting, node_att_sum *out)
{
	memset(out, 0, sizeof *out);
	uint8_t k[16];
	return node_scan(txn, n->db.attendance, k, node_key_2(k, community, meeting), &praxis__attendance__descriptor,
	                 core_att_sum, out);
}

/* ------------------------------------------------------- message editing */

px_err
node_msg_set_str(char **field, const char *val)
{
	char *s = strdup(val != NULL ? val : "");
	if (s == NULL)
		return PX_ENOMEM;
	if (*field != NULL && *field != protobuf_c_empty_string)
		free(*field);
	*field = s;
	return PX_OK;
}

px_err
node_msg_set_strs(char ***arr, size_t *n, const char *const *vals, size_t nv)
{
	char **na = NULL;
	if (nv > 0) {
		na = calloc(nv, sizeof *na);
		if (na == NULL)
			return PX_ENOMEM;
		for (size_t i = 0; i < nv; i++) {
			na[i] = strdup(vals[i]);
			if (na[i] == NULL) {
				for (size_t j = 0; j < i; j++)
					free(na[j]);
				free(na);
				return PX_ENOMEM;
			}
		}
	}
	for (size_t i = 0; i < *n; i++)
		if ((*arr)[i] != protobuf_c_empty_string)
			free((*arr)[i]);
	free(*arr);
	*arr = na;
	*n = nv;
	return PX_OK;
}
