/*
 * cmd_init.c - `init` (the node's organization, identity key, store) and
 * `org add|list|show|edit` (partner organizations).
 */
#define _GNU_SOURCE
#include "node.h"
#include "px_crypto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int cmd_init(px_node *n, const node_args *a);
static int org_add(px_node *n, const node_args *a);
static int org_list(px_node *n, const node_args *a);
static int org_edit(px_node *n, const node_args *a);
/* org add, list and show take --rocfm and --venue as flags, edit as yes|no. */
static const node_opt org_opts[] = {NODE_OPT("name", true),     NODE_OPT("sector", true), NODE_OPT("region", true),
                                    NODE_OPT("director", true), NODE_OPT_MULTI("network"), NODE_OPT("rocfm", false),
                                    NODE_OPT("venue", false),   NODE_OPT_END};
static const node_opt org_edit_opts[] = {NODE_OPT("name", true),     NODE_OPT("sector", true),
                                         NODE_OPT("region", true),   NODE_OPT("director", true),
                                         NODE_OPT_MULTI("network"), NODE_OPT("rocfm", true),
                                         NODE_OPT("venue", true),    NODE_OPT_END};
#define ORG_ONE .min_pos = 1, .max_pos = 1, .usage_fr = "donnez un organisme (numéro ou nom)", \
	.usage_en = "give one organization (number or name)"

const node_cmd node_init_cmds[] = {
	{"init", NULL, .run = cmd_init,
	 .usage = "init --name NOM [--sector SECTEUR] [--region RÉGION] [--director NOM] [--passphrase-env VAR]",
	 .help_fr = "Initialise le nœud : organisme, clé d'identité, base de données.",
	 .help_en = "Initialize the node: organization, identity key, store.", .flags = NODE_CMD_NOSTORE,
	 .opts = (const node_opt[]){NODE_OPT("name", true), NODE_OPT("sector", true), NODE_OPT("region", true),
	                            NODE_OPT("director", true), NODE_OPT("passphrase-env", true), NODE_OPT_END}},
	{"org", "add", .run = org_add,
	 .usage = "org add --name NOM [--sector SECTEUR] [--region RÉGION] [--director NOM] [--network RÉSEAU]... [--rocfm] [--venue]",
	 .help_fr = "Ajoute un organisme partenaire.", .help_en = "Add a partner organization.", .opts = org_opts},
	{"org", "list", .run = org_list, .usage = "org list [--json]", .help_fr = "Liste les organismes.",
	 .help_en = "List organizations.", .opts = org_opts, .max_pos = NODE_POS_ANY},
	{"org", "show", .run = org_edit, .usage = "org show ORG [--json]", .help_fr = "Affiche un organisme.",
	 .help_en = "Show an organization.", .opts = org_opts, ORG_ONE},
	{"org", "edit", .run = org_edit,
	 .usage = "org edit ORG [--name NOM] [--sector S] [--region R] [--director NOM] [--network RÉSEAU]... [--rocfm yes|no] [--venue yes|no]",
	 .help_fr = "Modifie un organisme.", .help_en = "Edit an organization.", .opts = org_edit_opts, ORG_ONE},
	{0},
};

/* mkdir -p with mode 0700 for the directories we create. */
static px_err
init_mkdirs(const char *dir)
{
	char *p = strdup(dir);
	if (p == NULL)
		return PX_ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			free(p);
			return PX_EIO;
		}
		*s = '/';
	}
	px_err err = (mkdir(p, 0700) == 0 || errno == EEXIST) ? PX_OK : PX_EIO;
	free(p);
	return err;
}

static bool
init_blank(const char *s)
{
	if (s == NULL)
		return true;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

static int
cmd_init(px_node *n, const node_args *a)
{
	px_identity *id = NULL;
	char *keypath = NULL, *pubpath = NULL, *file = NULL;
	bool key_written = false;
	int rc = NODE_EXIT_OK;
	px_err err;
	const char *name = node_opt_get(a->opts, "name");
	if (init_blank(name)) {
		rc = node_fail(n, PX_EINVAL, "%s", PX_T("le nom de l'organisme est obligatoire (--name)",
		                                        "the organization's name is required (--name)"));
		goto out;
	}
	const char *sector_s = node_opt_get(a->opts, "sector");
	int sector = sector_s != NULL ? node_parse_sector(sector_s) : PRAXIS__SECTOR__SECTOR_COMMUNITY;
	if (sector < 0) {
		rc = node_fail(n, PX_EINVAL,
		               PX_T("secteur inconnu « %s » (communautaire, public, privé, associatif)",
		                    "unknown sector '%s' (community, public, private, associative)"),
		               sector_s);
		goto out;
	}
	const char *pass = NULL;
	const char *passenv = node_opt_get(a->opts, "passphrase-env");
	if (passenv != NULL) {
		pass = getenv(passenv);
		if (pass == NULL || *pass == '\0') {
			rc = node_fail(n, PX_EINVAL, PX_T("la variable « %s » est vide", "variable '%s' is empty"),
			               passenv);
			goto out;
		}
	}
	file = node_path(n, NODE_STORE_FILE);
	keypath = node_path(n, NODE_KEY_FILE);
	pubpath = node_path(n, NODE_KEY_FILE ".pub");
	if (file == NULL || keypath == NULL || pubpath == NULL) {
		rc = node_store_fail(n, PX_ENOMEM);
		goto out;
	}
	if (access(file, F_OK) == 0 || access(keypath, F_OK) == 0) {
		rc = node_fail(n, PX_EEXISTS, PX_T("un nœud existe déjà dans « %s »", "a node already exists in '%s'"),
		               n->data_dir);
		goto out;
	}
	if ((err = init_mkdirs(n->data_dir)) != PX_OK) {
		rc = node_fail(n, err, PX_T("impossible de créer le dossier « %s » : %s", "cannot create directory '%s': %s"),
		               n->data_dir, strerror(errno));
		goto out;
	}
	/* The key first: if the store cannot be created, the key is removed and
	 * nothing is left behind. */
	if ((err = px_crypto_init()) != PX_OK || (err = px_identity_generate(&id)) != PX_OK ||
	    (err = px_identity_save(id, keypath, pass)) != PX_OK) {
		rc = node_fail(n, err, PX_T("clé d'identité : %s", "identity key: %s"), px_strerror_user(err));
		goto out;
	}
	key_written = true;
	if ((err = node_open(n, true)) != PX_OK) {
		rc = node_exit_code(err);
		goto out;
	}
	px_txn *txn = NULL;
	uint64_t org_id = 0;
	if ((err = px_txn_begin(n->st, true, &txn)) != PX_OK)
		goto store_fail;
	Praxis__Organization org = PRAXIS__ORGANIZATION__INIT;
	if ((err = node_next_id(txn, "orgs", &org_id)) != PX_OK)
		goto txn_fail;
	org.id = org_id;
	org.name = (char *)name;
	org.sector = (Praxis__Sector)sector;
	org.region = (char *)(node_opt_get(a->opts, "region") ? node_opt_get(a->opts, "region") : "");
	org.director_name = (char *)(node_opt_get(a->opts, "director") ? node_opt_get(a->opts, "director") : "");
	org.created_at = (int64_t)time(NULL);
	char idbuf[24], today[11];
	snprintf(idbuf, sizeof idbuf, "%llu", (unsigned long long)org_id);
	px_date_format(px_date_today(), today);
	if ((err = node_org_put(n, txn, &org)) != PX_OK ||
	    (err = node_cfg_put(n, txn, NODE_CFG_ORG_ID, idbuf)) != PX_OK ||
	    (err = node_cfg_put(n, txn, NODE_CFG_ORG_NAME, name)) != PX_OK ||
	    (err = node_cfg_put(n, txn, NODE_CFG_REGION, org.region)) != PX_OK ||
	    (err = node_cfg_put(n, txn, NODE_CFG_SECTOR, node_sector_token(sector))) != PX_OK ||
	    (err = node_cfg_put(n, txn, NODE_CFG_CREATED, today)) != PX_OK)
		goto txn_fail;
	if ((err = px_txn_commit(txn)) != PX_OK)
		goto store_fail;
	char hex[PX_PK_HEX];
	px_hex_encode(px_identity_pk(id), PX_PK_BYTES, hex);
	if (n->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddBoolToObject(j, "ok", true);
		cJSON_AddStringToObject(j, "data_dir", n->data_dir);
		cJSON_AddNumberToObject(j, "org_id", (double)org_id);
		cJSON_AddStringToObject(j, "org_name", name);
		cJSON_AddStringToObject(j, "public_key", hex);
		node_json_print(j);
	} else {
		printf(PX_T("Nœud initialisé dans %s\n", "Node initialized in %s\n"), n->data_dir);
		printf(PX_T("Organisme n° %llu : %s\n", "Organization #%llu: %s\n"), (unsigned long long)org_id, name);
		printf(PX_T("Clé publique : %s\n", "Public key: %s\n"), hex);
	}
	goto out;
txn_fail:
	px_txn_abort(txn);
store_fail:
	rc = node_fail(n, err, PX_T("base du nœud : %s", "node store: %s"), px_strerror_user(err));
out:
	if (rc != NODE_EXIT_OK && key_written) {
		/* Leave nothing behind on failure. */
		px_store_close(n->st);
		n->st = NULL;
		unlink(keypath);
		unlink(pubpath);
		if (file != NULL) {
			unlink(file);
			char *lock = node_path(n, NODE_STORE_FILE "-lock");
			if (lock != NULL)
				unlink(lock);
			free(lock);
		}
	}
	px_identity_free(id);
	free(keypath);
	free(pubpath);
	free(file);
	return rc;
}

/* ------------------------------------------------------------------- org */

static cJSON *
org_json(const Praxis__Organization *o)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "id", (double)o->id);
	cJSON_AddStringToObject(j, "name", o->name);
	cJSON_AddStringToObject(j, "sector", node_sector_token((int)o->sector));
	cJSON_AddStringToObject(j, "region", o->region);
	cJSON_AddStringToObject(j, "director", o->director_name);
	cJSON *nets = cJSON_AddArrayToObject(j, "networks");
	for (size_t i = 0; i < o->n_networks; i++)
		cJSON_AddItemToArray(nets, cJSON_CreateString(o->networks[i]));
	cJSON_AddBoolToObject(j, "rocfm_member", o->rocfm_member);
	cJSON_AddBoolToObject(j, "volunteer_venue", o->volunteer_venue);
	return j;
}

static bool
org_has_rocfm(const node_opt *net)
{
	for (size_t i = 0; i < net->count; i++) {
		char *s = node_normalize(net->values[i]);
		bool r = s != NULL && strcmp(s, "rocfm") == 0;
		free(s);
		if (r)
			return true;
	}
	return false;
}

static px_err
org_list_scan(void *arg, px_val key, void *msg)
{
	node_list_ctx *l = arg;
	(void)key;
	const Praxis__Organization *o = msg;
	if (l->out.arr != NULL) {
		cJSON_AddItemToArray(l->out.arr, org_json(o));
	} else {
		char *id = node_fmt("%llu", (unsigned long long)o->id);
		char nets[256] = "";
		for (size_t i = 0; i < o->n_networks; i++) {
			if (i > 0)
				strncat(nets, ", ", sizeof nets - strlen(nets) - 1);
			strncat(nets, o->networks[i], sizeof nets - strlen(nets) - 1);
		}
		const char *row[] = {id, o->name, node_sector_name((int)o->sector), o->region, o->director_name, nets,
		                     o->rocfm_member ? PX_T("oui", "yes") : PX_T("non", "no")};
		node_table_row(l->out.t, row);
		free(id);
	}
	return PX_OK;
}

/* Shared by add and edit: applies the options to o (an unpacked message
 * or a stack one whose strings may be borrowed, see edit). */
static int
org_validate(px_node *n, const node_opt *opts, int *sector)
{
	const char *s = node_opt_get(opts, "sector");
	*sector = -1;
	if (s != NULL && (*sector = node_parse_sector(s)) < 0)
		return node_fail(n, PX_EINVAL,
		                 PX_T("secteur inconnu « %s » (communautaire, public, privé, associatif)",
		                      "unknown sector '%s' (community, public, private, associative)"),
		                 s);
	const char *name = node_opt_get(opts, "name");
	if (name != NULL && init_blank(name))
		return node_fail(n, PX_EINVAL, "%s", PX_T("le nom de l'organisme est vide", "the organization's name is empty"));
	return NODE_EXIT_OK;
}

static int
org_add(px_node *n, const node_args *a)
{
	const node_opt *opts = a->opts;
	int sector;
	int rc = org_validate(n, opts, &sector);
	if (rc != NODE_EXIT_OK)
		return rc;
	const char *name = node_opt_get(a->opts, "name");
	if (name == NULL)
		return node_fail(n, PX_EINVAL, "%s", PX_T("le nom de l'organisme est obligatoire (--name)",
		                                          "the organization's name is required (--name)"));
	px_txn *txn = NULL;
	px_err err = px_txn_begin(n->st, true, &txn);
	if (err != PX_OK)
		return node_store_fail(n, err);
	uint64_t dup;
	err = node_resolve_org(n, txn, name, &dup);
	if (err == PX_OK || err == PX_EEXISTS) {
		px_txn_abort(txn);
		return node_fail(n, PX_EEXISTS, PX_T("un organisme nommé « %s » existe déjà", "an organization named '%s' already exists"),
		                 name);
	}
	const node_opt *net = node_opt_find(a->opts, "network");
	Praxis__Organization o = PRAXIS__ORGANIZATION__INIT;
	if ((err = node_next_id(txn, "orgs", &o.id)) != PX_OK)
		goto fail;
	o.name = (char *)name;
	o.sector = sector > 0 ? (Praxis__Sector)sector : PRAXIS__SECTOR__SECTOR_COMMUNITY;
	o.region = (char *)(node_opt_get(a->opts, "region") ? node_opt_get(a->opts, "region") : "");
	o.director_name = (char *)(node_opt_get(a->opts, "director") ? node_opt_get(a->opts, "director") : "");
	o.n_networks = net->count;
	o.networks = (char **)net->values;
	o.rocfm_member = node_opt_get(a->opts, "rocfm") != NULL || org_has_rocfm(net);
	o.volunteer_venue = node_opt_get(a->opts, "venue") != NULL;
	o.created_at = (int64_t)time(NULL);
	if ((err = node_org_put(n, txn, &o)) != PX_OK)
		goto fail;
	if ((err = px_txn_commit(txn)) != PX_OK)
		return node_store_fail(n, err);
	if (n->json) {
		node_json_print(org_json(&o));
	} else {
		printf(PX_T("Organisme n° %llu ajouté : %s\n", "Organization #%llu added: %s\n"), (unsigned long long)o.id,
		       o.name);
	}
	return NODE_EXIT_OK;
fail:
	px_txn_abort(txn);
	return node_store_fail(n, err);
}

static int
org_ref_fail(px_node *n, px_err err, const char *ref)
{
	if (err == PX_EEXISTS)
		return node_fail(n, PX_EINVAL, PX_T("plusieurs organismes s'appellent « %s » : donnez le numéro",
		                                    "several organizations are named '%s': give the number"),
		                 ref);
	if (err == PX_ENOTFOUND)
		return node_fail(n, err, PX_T("organisme inconnu « %s »", "unknown organization '%s'"), ref);
	return node_store_fail(n, err);
}

/* org edit, and org show (the same lookup, nothing written). */
static int
org_edit(px_node *n, const node_args *a)
{
	bool show = strcmp(a->cmd->sub, "show") == 0;
	const node_opt *opts = a->opts;
	int sector;
	int rc = org_validate(n, opts, &sector);
	if (rc != NODE_EXIT_OK)
		return rc;
	px_txn *txn = NULL;
	px_err err = px_txn_begin(n->st, !show, &txn);
	if (err != PX_OK)
		return node_store_fail(n, err);
	uint64_t id;
	Praxis__Organization *o = NULL;
	if ((err = node_resolve_org(n, txn, a->pos[0], &id)) != PX_OK) {
		px_txn_abort(txn);
		return org_ref_fail(n, err, a->pos[0]);
	}
	if ((err = node_org_get(n, txn, id, &o)) != PX_OK)
		goto fail;
	if (!show) {
		const char *v;
		if ((v = node_opt_get(a->opts, "name")) != NULL) {
			uint64_t dup;
			px_err e2 = node_resolve_org(n, txn, v, &dup);
			if ((e2 == PX_OK && dup != id) || e2 == PX_EEXISTS) {
				px_txn_abort(txn);
				protobuf_c_message_free_unpacked(&o->base, NULL);
				return node_fail(n, PX_EEXISTS, PX_T("un organisme nommé « %s » existe déjà",
				                                     "an organization named '%s' already exists"),
				                 v);
			}
			if ((err = node_msg_set_str(&o->name, v)) != PX_OK)
				goto fail;
		}
		if (sector > 0)
			o->sector = (Praxis__Sector)sector;
		if ((v = node_opt_get(a->opts, "region")) != NULL && (err = node_msg_set_str(&o->region, v)) != PX_OK)
			goto fail;
		if ((v = node_opt_get(a->opts, "director")) != NULL &&
		    (err = node_msg_set_str(&o->director_name, v)) != PX_OK)
			goto fail;
		const node_opt *net = node_opt_find(a->opts, "network");
		if (net->count > 0) {
			if ((err = node_msg_set_strs(&o->networks, &o->n_networks, net->values, net->count)) != PX_OK)
				goto fail;
			if (org_has_rocfm(net))
				o->rocfm_member = true;
		}
		const char *flags[] = {"rocfm", "venue"};
		for (int i = 0; i < 2; i++) {
			if ((v = node_opt_get(a->opts, flags[i])) == NULL)
				continue;
			int b = node_parse_bool(v);
			if (b < 0) {
				px_txn_abort(txn);
				protobuf_c_message_free_unpacked(&o->base, NULL);
				return node_fail(n, PX_EINVAL, PX_T("--%s attend oui ou non, pas « %s »", "--%s expects yes or no, not '%s'"),
				                 flags[i], v);
			}
			if (i == 0)
				o->rocfm_member = b;
			else
				o->volunteer_venue = b;
		}
		if ((err = node_org_put(n, txn, o)) != PX_OK)
			goto fail;
		if ((err = px_txn_commit(txn)) != PX_OK) {
			txn = NULL;
			goto fail;
		}
		txn = NULL;
	}
	if (n->json) {
		node_json_print(org_json(o));
	} else if (show) {
		char nets[512] = "";
		for (size_t i = 0; i < o->n_networks; i++) {
			if (i > 0)
				strncat(nets, ", ", sizeof nets - strlen(nets) - 1);
			strncat(nets, o->networks[i], sizeof nets - strlen(nets) - 1);
		}
		printf(PX_T("Organisme n° %llu\n", "Organization #%llu\n"), (unsigned long long)o->id);
		printf("  %s %s\n", node_pad(PX_T("Nom", "Name"), 22), o->name);
		printf("  %s %s\n", node_pad(PX_T("Secteur", "Sector"), 22), node_sector_name((int)o->sector));
		printf("  %s %s\n", node_pad(PX_T("Région", "Region"), 22), o->region);
		printf("  %s %s\n", node_pad(PX_T("Direction", "Director"), 22), o->director_name);
		printf("  %s %s\n", node_pad(PX_T("Réseaux", "Networks"), 22), nets);
		printf("  %s %s\n", node_pad(PX_T("Groupe membre ROCFM", "ROCFM member group"), 22),
		       o->rocfm_member ? PX_T("oui", "yes") : PX_T("non", "no"));
		printf("  %s %s\n", node_pad(PX_T("Lieu bénévole", "Volunteer venue"), 22),
		       o->volunteer_venue ? PX_T("oui", "yes") : PX_T("non", "no"));
	} else {
		printf(PX_T("Organisme n° %llu modifié.\n", "Organization #%llu updated.\n"), (unsigned long long)o->id);
	}
	px_txn_abort(txn);
	protobuf_c_message_free_unpacked(&o->base, NULL);
	return NODE_EXIT_OK;
fail:
	px_txn_abort(txn);
	node_msg_free(o);
	return node_store_fail(n, err);
}

static int
org_list(px_node *n, const node_args *a)
{
	(void)a;
	const char *hdr[] = {"#", PX_T("Nom", "Name"), PX_T("Secteur", "Sector"), PX_T("Région", "Region"),
	                     PX_T("Direction", "Director"), PX_T("Réseaux", "Networks"), "ROCFM"};
	return node_list_db(n, n->db.orgs, &praxis__organization__descriptor, 7, hdr, org_list_scan, NULL);
}
