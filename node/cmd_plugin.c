/*
 * cmd_plugin.c - `plugin list|info NAME` and `audit [COMMUNITY]`.
 */
#define _GNU_SOURCE
#include "node.h"
#include "px_plugin_host.h"

#include <stdlib.h>
#include <string.h>

static int plug_list_cmd(px_node *n, const node_args *a);
static int plug_info_cmd(px_node *n, const node_args *a);
static int cmd_audit(px_node *n, const node_args *a);
const node_cmd node_plugin_cmds[] = {
	{"plugin", "list", .run = plug_list_cmd, .usage = "plugin list [--json]",
	 .help_fr = "Liste les plugiciels de règles chargés.", .help_en = "List the loaded rule plugins."},
	{"plugin", "info", .run = plug_info_cmd, .usage = "plugin info NOM [--json]",
	 .help_fr = "Paramètres, valeurs par défaut et règles d'un plugiciel.",
	 .help_en = "A plugin's parameters, defaults and rules.", .min_pos = 1, .max_pos = 1,
	 .usage_fr = "donnez le nom d'un plugiciel", .usage_en = "give a plugin name"},
	{"audit", NULL, .run = cmd_audit, .usage = "audit [COMMUNAUTÉ] [--from DATE] [--to DATE] [--json]",
	 .help_fr = "Vérifie les règles du cadre de chaque communauté (ou d'une seule).",
	 .help_en = "Check each community (or one) against its framework's rules.",
	 .opts = (const node_opt[]){NODE_OPT("from", true), NODE_OPT("to", true), NODE_OPT_END}, .max_pos = 1,
	 .usage_fr = "une seule communauté à la fois", .usage_en = "one community at a time"},
	{0},
};

static const char *
plug_type(pxp_param_type t)
{
	switch (t) {
	case PXP_PARAM_INT: return PX_T("entier", "integer");
	case PXP_PARAM_DOUBLE: return PX_T("nombre", "number");
	case PXP_PARAM_BOOL: return PX_T("oui/non", "yes/no");
	case PXP_PARAM_STRING: return PX_T("texte", "text");
	}
	return "?";
}

static const char *
plug_type_token(pxp_param_type t)
{
	switch (t) {
	case PXP_PARAM_INT: return "int";
	case PXP_PARAM_DOUBLE: return "double";
	case PXP_PARAM_BOOL: return "bool";
	case PXP_PARAM_STRING: return "string";
	}
	return "?";
}

static const char *
plug_sev_token(pxp_severity s)
{
	return s == PXP_ERROR ? "error" : s == PXP_WARNING ? "warning" : "info";
}

static const char *
plug_str(const char *s)
{
	return s != NULL ? s : "";
}

/* The value a node override (config file) gives a parameter, or NULL. */
static const char *
plug_override(px_node *n, const char *plugin, const char *param)
{
	const char *v = NULL;
	for (size_t i = 0; i < n->cfg.n_params; i++)
		if (strcmp(n->cfg.params[i].plugin, plugin) == 0 && strcmp(n->cfg.params[i].name, param) == 0)
			v = n->cfg.params[i].value;
	return v;
}

static int
plug_list(px_node *n, struct px_plugin_host *h)
{
	size_t cnt = px_plugin_host_count(h);
	if (n->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON *arr = cJSON_AddArrayToObject(j, "plugins");
		for (size_t i = 0; i < cnt; i++) {
			const px_plugin *p = px_plugin_host_get(h, i);
			const pxp_descriptor *d = px_plugin_descriptor(p);
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "name", px_plugin_name(p));
			cJSON_AddStringToObject(e, "title_fr", plug_str(d->title_fr));
			cJSON_AddStringToObject(e, "title_en", plug_str(d->title_en));
			cJSON_AddStringToObject(e, "version", plug_str(d->version));
			cJSON_AddStringToObject(e, "path", px_plugin_path(p));
			cJSON_AddNumberToObject(e, "rules", (double)px_plugin_rule_count(p));
			cJSON_AddNumberToObject(e, "params", (double)px_plugin_param_count(p));
			cJSON_AddItemToArray(arr, e);
		}
		cJSON *ref = cJSON_AddArrayToObject(j, "refused");
		for (size_t i = 0; i < px_plugin_host_refused_count(h); i++) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "file", px_plugin_host_refused_file(h, i));
			cJSON_AddStringToObject(e, "reason", px_plugin_host_refused_reason(h, i));
			cJSON_AddItemToArray(ref, e);
		}
		node_json_print(j);
		return NODE_EXIT_OK;
	}
	const char *hdr[] = {PX_T("Nom", "Name"), PX_T("Titre", "Title"), "Version", PX_T("Règles", "Rules"),
	                     PX_T("Paramètres", "Parameters"), PX_T("Fichier", "File")};
	node_table *t = node_table_new(6, hdr);
	for (size_t i = 0; i < cnt; i++) {
		const px_plugin *p = px_plugin_host_get(h, i);
		const pxp_descriptor *d = px_plugin_descriptor(p);
		char *r = node_fmt("%zu", px_plugin_rule_count(p));
		char *pa = node_fmt("%zu", px_plugin_param_count(p));
		const char *row[] = {px_plugin_name(p), PX_T(plug_str(d->title_fr), plug_str(d->title_en)),
		                     plug_str(d->version), r, pa, px_plugin_path(p)};
		node_table_row(t, row);
		free(r);
		free(pa);
	}
	node_table_print(t, stdout);
	node_table_free(t);
	if (cnt == 0)
		printf("%s\n", PX_T("Aucun plugiciel chargé (voir PRAXIS_PLUGIN_PATH).", "No plugin loaded (see PRAXIS_PLUGIN_PATH)."));
	for (size_t i = 0; i < px_plugin_host_refused_count(h); i++)
		node_warn(n, PX_T("plugiciel refusé : %s : %s", "plugin refused: %s: %s"), px_plugin_host_refused_file(h, i),
		          px_plugin_host_refused_reason(h, i));
	return NODE_EXIT_OK;
}

static int
plug_info(px_node *n, struct px_plugin_host *h, const char *name)
{
	const px_plugin *p = px_plugin_host_find(h, name);
	if (p == NULL)
		return node_fail(n, PX_ENOTFOUND, PX_T("plugiciel inconnu « %s » (voir « praxis-node plugin list »)",
		                                       "unknown plugin '%s' (see 'praxis-node plugin list')"),
		                 name);
	const pxp_descriptor *d = px_plugin_descriptor(p);
	if (n->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "name", px_plugin_name(p));
		cJSON_AddStringToObject(j, "title_fr", plug_str(d->title_fr));
		cJSON_AddStringToObject(j, "title_en", plug_str(d->title_en));
		cJSON_AddStringToObject(j, "version", plug_str(d->version));
		cJSON_AddStringToObject(j, "path", px_plugin_path(p));
		cJSON *pa = cJSON_AddArrayToObject(j, "params");
		for (const pxp_param *q = d->params; q != NULL && q->name != NULL; q++) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "name", q->name);
			cJSON_AddStringToObject(e, "type", plug_type_token(q->type));
			cJSON_AddStringToObject(e, "default", plug_str(q->default_value));
			const char *ov = plug_override(n, px_plugin_name(p), q->name);
			if (ov != NULL)
				cJSON_AddStringToObject(e, "node_value", ov);
			cJSON_AddStringToObject(e, "desc_fr", plug_str(q->desc_fr));
			cJSON_AddStringToObject(e, "desc_en", plug_str(q->desc_en));
			if (q->min != q->max) {
				cJSON_AddNumberToObject(e, "min", q->min);
				cJSON_AddNumberToObject(e, "max", q->max);
			}
			cJSON_AddItemToArray(pa, e);
		}
		cJSON *ru = cJSON_AddArrayToObject(j, "rules");
		for (const pxp_rule *r = d->rules; r != NULL && r->id != NULL; r++) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "id", r->id);
			cJSON_AddStringToObject(e, "severity", plug_sev_token(r->severity));
			cJSON_AddStringToObject(e, "title_fr", plug_str(r->title_fr));
			cJSON_AddStringToObject(e, "title_en", plug_str(r->title_en));
			cJSON_AddItemToArray(ru, e);
		}
		cJSON *in = cJSON_AddArrayToObject(j, "indicators");
		for (const pxp_indicator_decl *x = d->indicators; x != NULL && x->name != NULL; x++) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "name", x->name);
			cJSON_AddStringToObject(e, "label_fr", plug_str(x->label_fr));
			cJSON_AddStringToObject(e, "label_en", plug_str(x->label_en));
			cJSON_AddItemToArray(in, e);
		}
		node_json_print(j);
		return NODE_EXIT_OK;
	}
	printf("%s — %s (%s)\n", px_plugin_name(p), PX_T(plug_str(d->title_fr), plug_str(d->title_en)),
	       plug_str(d->version));
	printf("%s %s\n\n", PX_T("Fichier :", "File:"), px_plugin_path(p));
	printf("%s\n", PX_T("Paramètres :", "Parameters:"));
	const char *ph[] = {PX_T("Nom", "Name"), PX_T("Type", "Type"), PX_T("Défaut", "Default"),
	                    PX_T("Valeur du nœud", "Node value"), PX_T("Description", "Description")};
	node_table *t = node_table_new(5, ph);
	for (const pxp_param *q = d->params; q != NULL && q->name != NULL; q++) {
		const char *ov = plug_override(n, px_plugin_name(p), q->name);
		const char *row[] = {q->name, plug_type(q->type), plug_str(q->default_value), ov != NULL ? ov : "",
		                     PX_T(plug_str(q->desc_fr), plug_str(q->desc_en))};
		node_table_row(t, row);
	}
	node_table_print(t, stdout);
	node_table_free(t);
	printf("\n%s\n", PX_T("Règles :", "Rules:"));
	const char *rh[] = {"Id", PX_T("Gravité", "Severity"), PX_T("Règle", "Rule")};
	t = node_table_new(3, rh);
	for (const pxp_rule *r = d->rules; r != NULL && r->id != NULL; r++) {
		const char *row[] = {r->id, node_severity_name(r->severity), PX_T(plug_str(r->title_fr), plug_str(r->title_en))};
		node_table_row(t, row);
	}
	node_table_print(t, stdout);
	node_table_free(t);
	if (d->indicators != NULL && d->indicators->name != NULL) {
		printf("\n%s\n", PX_T("Indicateurs :", "Indicators:"));
		for (const pxp_indicator_decl *x = d->indicators; x->name != NULL; x++)
			printf("  %s %s\n", node_pad(x->name, 24), PX_T(plug_str(x->label_fr), plug_str(x->label_en)));
	}
	return NODE_EXIT_OK;
}

static int
plug_list_cmd(px_node *n, const node_args *a)
{
	(void)a;
	struct px_plugin_host *h = node_plugins(n);
	return h == NULL ? NODE_EXIT_IO : plug_list(n, h);
}

static int
plug_info_cmd(px_node *n, const node_args *a)
{
	struct px_plugin_host *h = node_plugins(n);
	return h == NULL ? NODE_EXIT_IO : plug_info(n, h, a->pos[0]);
}

/* ------------------------------------------------------------------ audit */

struct audit_ids {
	uint64_t *v;
	size_t n;
};

static px_err
audit_collect(void *arg, px_val key, px_val val)
{
	struct audit_ids *ids = arg;
	(void)val;
	uint64_t *nv = realloc(ids->v, (ids->n + 1) * sizeof *nv);
	if (nv == NULL)
		return PX_ENOMEM;
	ids->v = nv;
	ids->v[ids->n++] = px_rd64(key.data);
	return PX_OK;
}

static int
cmd_audit(px_node *n, const node_args *a)
{
	px_txn *txn = NULL;
	struct audit_ids ids = {NULL, 0};
	cJSON *jarr = NULL;
	node_table *t = NULL;
	int rc = NODE_EXIT_OK;
	px_err err;
	int32_t from = 0, to = 0;
	const char *v;
	if ((v = node_opt_get(a->opts, "from")) != NULL && px_date_parse(v, &from) != PX_OK) {
		rc = node_fail(n, PX_EINVAL, PX_T("date invalide pour --from : « %s »", "invalid date for --from: '%s'"), v);
		goto out;
	}
	if ((v = node_opt_get(a->opts, "to")) != NULL && px_date_parse(v, &to) != PX_OK) {
		rc = node_fail(n, PX_EINVAL, PX_T("date invalide pour --to : « %s »", "invalid date for --to: '%s'"), v);
		goto out;
	}
	if ((from != 0) != (to != 0) || (from != 0 && to < from)) {
		rc = node_fail(n, PX_EINVAL, "%s", PX_T("--from et --to vont ensemble, --from avant --to",
		                                        "--from and --to go together, --from before --to"));
		goto out;
	}
	if (node_txn_begin(n, false, &txn, &rc) != PX_OK)
		goto out;
	if (a->npos == 1) {
		uint64_t id;
		if ((err = node_resolve_community(n, txn, a->pos[0], &id)) != PX_OK) {
			rc = err == PX_ENOTFOUND ? node_fail(n, err, PX_T("communauté inconnue « %s »", "unknown community '%s'"), a->pos[0])
			                         : node_store_fail(n, err);
			goto out;
		}
		if ((ids.v = malloc(sizeof *ids.v)) == NULL) {
			rc = node_store_fail(n, PX_ENOMEM);
			goto out;
		}
		ids.v[0] = id;
		ids.n = 1;
	} else if ((err = px_scan(txn, n->db.communities, NULL, 0, audit_collect, &ids)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	const char *hdr[] = {PX_T("Communauté", "Community"), PX_T("Règle", "Rule"), PX_T("Gravité", "Severity"),
	                     PX_T("Sujet", "Subject"), PX_T("Constat", "Finding")};
	if (n->json)
		jarr = cJSON_CreateArray();
	else
		t = node_table_new(5, hdr);
	size_t total = 0, errors = 0, warnings = 0;
	for (size_t i = 0; i < ids.n; i++) {
		Praxis__Community *c = NULL;
		if ((err = node_community_get(n, txn, ids.v[i], &c)) != PX_OK) {
			rc = node_store_fail(n, err);
			goto out;
		}
		node_findings f = {0};
		err = node_audit(n, txn, ids.v[i], from, to, &f);
		if (err != PX_OK) {
			node_findings_fini(&f);
			rc = node_fail(n, err, PX_T("audit de « %s » : %s", "audit of '%s': %s"), c->name, px_strerror_user(err));
			protobuf_c_message_free_unpacked(&c->base, NULL);
			goto out;
		}
		cJSON *cj = NULL;
		if (jarr != NULL) {
			cj = cJSON_CreateObject();
			cJSON_AddNumberToObject(cj, "community_id", (double)c->id);
			cJSON_AddStringToObject(cj, "community", c->name);
			cJSON_AddStringToObject(cj, "framework", c->framework);
			cJSON_AddBoolToObject(cj, "plugin_loaded", !f.plugin_missing);
			cJSON_AddItemToArray(jarr, cj);
		}
		cJSON *fa = cj != NULL ? cJSON_AddArrayToObject(cj, "findings") : NULL;
		if (f.plugin_missing && t != NULL) {
			char *msg = node_fmt(PX_T("plugiciel « %s » non chargé : règles non vérifiées",
			                          "plugin '%s' not loaded: rules not checked"),
			                     c->framework);
			const char *row[] = {c->name, "-", PX_T("avertissement", "warning"), "", msg};
			node_table_row(t, row);
			free(msg);
			warnings++;
		}
		for (size_t k = 0; k < f.n; k++) {
			node_finding *x = &f.v[k];
			total++;
			if (x->severity == PXP_ERROR)
				errors++;
			else if (x->severity == PXP_WARNING)
				warnings++;
			char subj[96] = "";
			size_t o = 0;
			if (x->member_id != 0)
				o += (size_t)snprintf(subj + o, sizeof subj - o, PX_T("membre %llu ", "member %llu "),
				                      (unsigned long long)x->member_id);
			if (x->meeting_id != 0 && o < sizeof subj)
				o += (size_t)snprintf(subj + o, sizeof subj - o, PX_T("rencontre %llu ", "meeting %llu "),
				                      (unsigned long long)x->meeting_id);
			if (x->month != 0 && o < sizeof subj)
				snprintf(subj + o, sizeof subj - o, "%04d-%02d", x->month / 100, x->month % 100);
			if (fa != NULL) {
				cJSON *e = cJSON_CreateObject();
				cJSON_AddStringToObject(e, "rule_id", x->rule_id);
				cJSON_AddStringToObject(e, "severity", plug_sev_token(x->severity));
				cJSON_AddStringToObject(e, "message_fr", x->message_fr);
				cJSON_AddStringToObject(e, "message_en", x->message_en);
				cJSON_AddNumberToObject(e, "member_id", (double)x->member_id);
				cJSON_AddNumberToObject(e, "meeting_id", (double)x->meeting_id);
				cJSON_AddNumberToObject(e, "month", x->month);
				cJSON_AddItemToArray(fa, e);
			} else {
				const char *row[] = {c->name, x->rule_id, node_severity_name(x->severity), subj,
				                     PX_T(x->message_fr, x->message_en)};
				node_table_row(t, row);
			}
		}
		node_findings_fini(&f);
		protobuf_c_message_free_unpacked(&c->base, NULL);
	}
	if (jarr != NULL) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddItemToObject(j, "communities", jarr);
		jarr = NULL;
		cJSON_AddNumberToObject(j, "findings", (double)total);
		cJSON_AddNumberToObject(j, "errors", (double)errors);
		cJSON_AddNumberToObject(j, "warnings", (double)warnings);
		node_json_print(j);
	} else {
		node_table_print(t, stdout);
		printf(PX_T("\n%zu communauté(s), %zu constat(s) : %zu erreur(s), %zu avertissement(s).\n",
		            "\n%zu community(ies), %zu finding(s): %zu error(s), %zu warning(s).\n"),
		       ids.n, total, errors, warnings);
	}
out:
	px_txn_abort(txn);
	cJSON_Delete(jarr);
	node_table_free(t);
	free(ids.v);
	return rc;
}
