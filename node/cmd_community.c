/*
 * cmd_community.c - `community add|list|show|edit`.
 *
 * The framework must name a loaded plugin, and --param overrides are
 * type-checked against that plugin's declared parameters, so a community
 * can never be created with rules nobody can check.
 */
#define _GNU_SOURCE
#include "node.h"
#include "px_plugin_host.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int comm_add(px_node *n, const node_args *a);
static int comm_list(px_node *n, const node_args *a);
static int comm_show(px_node *n, const node_args *a);
static int comm_edit(px_node *n, const node_args *a);
/* One table for the four subcommands, as add and edit share their options. */
static const node_opt comm_opts[] = {
	NODE_OPT("name", true),        NODE_OPT("framework", true), NODE_OPT("host-org", true),
	NODE_OPT("region", true),      NODE_OPT_MULTI("facilitator"), NODE_OPT("sponsor", true),
	NODE_OPT("job-title", true),   NODE_OPT("cycle-start", true), NODE_OPT("cycle-end", true),
	NODE_OPT_MULTI("value"),       NODE_OPT_MULTI("objective"), NODE_OPT_MULTI("param"),
	NODE_OPT("fee", true),         NODE_OPT("tools", true),     NODE_OPT("called-on", true),
	NODE_OPT_END};
#define COMM_ONE .min_pos = 1, .max_pos = 1, .usage_fr = "donnez une communauté (numéro ou nom)", \
	.usage_en = "give one community (number or name)"

const node_cmd node_community_cmds[] = {
	{"community", "add", .run = comm_add,
	 .usage = "community add --name NOM --framework PLUGICIEL [--host-org ORG] [--region R] [--facilitator RÔLE:NOM[:DÉBUT[:FIN]]]... "
	          "[--sponsor NOM] [--job-title TITRE] [--cycle-start DATE] [--cycle-end DATE] [--value V]... [--objective O]... [--param nom=valeur]... "
	          "[--fee MONTANT] [--tools N] [--called-on N]",
	 .help_fr = "Crée une communauté de pratique (le cadre doit être un plugiciel chargé).",
	 .help_en = "Create a community of practice (the framework must be a loaded plugin).", .opts = comm_opts},
	{"community", "list", .run = comm_list, .usage = "community list [--json]", .help_fr = "Liste les communautés.",
	 .help_en = "List communities.", .opts = comm_opts, .max_pos = NODE_POS_ANY},
	{"community", "show", .run = comm_show, .usage = "community show COMMUNAUTÉ [--json]",
	 .help_fr = "Affiche une communauté.", .help_en = "Show a community.", .opts = comm_opts, COMM_ONE},
	{"community", "edit", .run = comm_edit,
	 .usage = "community edit COMMUNAUTÉ [mêmes options que add ; --facilitator/--value/--objective/--param remplacent la liste]",
	 .help_fr = "Modifie une communauté.", .help_en = "Edit a community.", .opts = comm_opts, COMM_ONE},
	{0},
};

static cJSON *
comm_json(const Praxis__Community *c, const char *host_name)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "id", (double)c->id);
	cJSON_AddStringToObject(j, "name", c->name);
	cJSON_AddStringToObject(j, "framework", c->framework);
	cJSON_AddNumberToObject(j, "host_org_id", (double)c->host_org_id);
	if (host_name != NULL)
		cJSON_AddStringToObject(j, "host_org", host_name);
	cJSON_AddStringToObject(j, "region", c->region);
	cJSON *fa = cJSON_AddArrayToObject(j, "facilitators");
	for (size_t i = 0; i < c->n_facilitators; i++) {
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "name", c->facilitators[i]->name);
		cJSON_AddStringToObject(f, "role", node_fac_role_token((int)c->facilitators[i]->role));
		cJSON_AddNumberToObject(f, "member_id", (double)c->facilitators[i]->member_id);
		node_json_date(f, "mandate_start", c->facilitators[i]->mandate_start);
		node_json_date(f, "mandate_end", c->facilitators[i]->mandate_end);
		cJSON_AddItemToArray(fa, f);
	}
	cJSON_AddStringToObject(j, "sponsor", c->sponsor_manager);
	cJSON_AddStringToObject(j, "job_title", c->job_title);
	node_json_date(j, "cycle_start", c->cycle_start);
	node_json_date(j, "cycle_end", c->cycle_end);
	cJSON *v = cJSON_AddArrayToObject(j, "values");
	for (size_t i = 0; i < c->n_values; i++)
		cJSON_AddItemToArray(v, cJSON_CreateString(c->values[i]));
	cJSON *o = cJSON_AddArrayToObject(j, "objectives");
	for (size_t i = 0; i < c->n_objectives; i++)
		cJSON_AddItemToArray(o, cJSON_CreateString(c->objectives[i]));
	cJSON *p = cJSON_AddArrayToObject(j, "params");
	for (size_t i = 0; i < c->n_params; i++)
		cJSON_AddItemToArray(p, cJSON_CreateString(c->params[i]));
	cJSON_AddNumberToObject(j, "membership_fee", c->membership_fee);
	cJSON_AddNumberToObject(j, "tools_produced", c->tools_produced);
	cJSON_AddNumberToObject(j, "times_called_on", c->times_called_on);
	return j;
}

static int
comm_ref_fail(px_node *n, px_err err, const char *ref)
{
	if (err == PX_EEXISTS)
		return node_fail(n, PX_EINVAL, PX_T("plusieurs communautés s'appellent « %s » : donnez le numéro",
		                                    "several communities are named '%s': give the number"),
		                 ref);
	if (err == PX_ENOTFOUND)
		return node_fail(n, err, PX_T("communauté inconnue « %s »", "unknown community '%s'"), ref);
	return node_store_fail(n, err);
}

/* Begins a transaction and loads the community ref names into *c. On
 * failure *rc holds the exit code; either way the caller aborts *txn and
 * frees *c. */
static px_err
comm_load(px_node *n, const char *ref, bool write, px_txn **txn, Praxis__Community **c, int *rc)
{
	uint64_t id;
	px_err err;
	if ((err = node_txn_begin(n, write, txn, rc)) != PX_OK)
		return err;
	if ((err = node_resolve_community(n, *txn, ref, &id)) != PX_OK) {
		*rc = comm_ref_fail(n, err, ref);
		return err;
	}
	if ((err = node_community_get(n, *txn, id, c)) != PX_OK)
		*rc = node_store_fail(n, err);
	return err;
}

/* Parsed and checked options, applied to a record by comm_apply. */
typedef struct comm_in {
	const char *framework;
	uint64_t host_org;
	bool has_host;
	int32_t cycle_start, cycle_end;
	bool has_cs, has_ce;
	Praxis__Facilitator *facs;
	Praxis__Facilitator **fac_ptrs;
	char **names; /* facilitator names, malloc'd */
	size_t n_facs, n_names;
	double fee;
	long tools, called;
} comm_in;

static void
comm_in_fini(comm_in *in)
{
	for (size_t i = 0; i < in->n_names; i++)
		free(in->names[i]);
	free(in->names);
	free(in->facs);
	free(in->fac_ptrs);
}

static bool
comm_uint(const char *s, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0 || v > 1000000)
		return false;
	*out = v;
	return true;
}

static int
comm_check(px_node *n, px_txn *txn, const node_opt *opts, const char *framework, comm_in *in)
{
	memset(in, 0, sizeof *in);
	in->tools = in->called = -1;
	in->fee = -1;
	const char *v;
	if ((v = node_opt_get(opts, "name")) != NULL) {
		bool blank = true;
		for (const char *p = v; *p; p++)
			if (*p != ' ' && *p != '\t')
				blank = false;
		if (blank)
			return node_fail(n, PX_EINVAL, "%s", PX_T("le nom de la communauté est vide", "the community's name is empty"));
	}
	if ((v = node_opt_get(opts, "framework")) != NULL) {
		if (!node_plugin_exists(n, v)) {
			return node_fail(n, PX_EINVAL,
			                 PX_T("cadre inconnu « %s » : aucun plugiciel de ce nom n'est chargé (voir « praxis-node plugin list »)",
			                      "unknown framework '%s': no plugin of that name is loaded (see 'praxis-node plugin list')"),
			                 v);
		}
		in->framework = v;
	}
	if ((v = node_opt_get(opts, "host-org")) != NULL) {
		px_err err = node_resolve_org(n, txn, v, &in->host_org);
		if (err == PX_ENOTFOUND)
			return node_fail(n, err, PX_T("organisme hôte inconnu « %s »", "unknown host organization '%s'"), v);
		if (err != PX_OK)
			return node_store_fail(n, err);
		in->has_host = true;
	}
	const char *dn[] = {"cycle-start", "cycle-end"};
	for (int i = 0; i < 2; i++) {
		if ((v = node_opt_get(opts, dn[i])) == NULL)
			continue;
		int32_t d;
		if (px_date_parse(v, &d) != PX_OK)
			return node_fail(n, PX_EINVAL, PX_T("date invalide pour --%s : « %s » (AAAA-MM-JJ ou JJ/MM/AAAA)",
			                                    "invalid date for --%s: '%s' (YYYY-MM-DD or DD/MM/YYYY)"),
			                 dn[i], v);
		if (i == 0)
			in->cycle_start = d, in->has_cs = true;
		else
			in->cycle_end = d, in->has_ce = true;
	}
	if ((v = node_opt_get(opts, "fee")) != NULL && node_parse_hours(v, &in->fee) != PX_OK)
		return node_fail(n, PX_EINVAL, PX_T("--fee : montant invalide « %s »", "--fee: invalid amount '%s'"), v);
	if ((v = node_opt_get(opts, "tools")) != NULL && !comm_uint(v, &in->tools))
		return node_fail(n, PX_EINVAL, PX_T("--tools : nombre invalide « %s »", "--tools: invalid number '%s'"), v);
	if ((v = node_opt_get(opts, "called-on")) != NULL && !comm_uint(v, &in->called))
		return node_fail(n, PX_EINVAL, PX_T("--called-on : nombre invalide « %s »", "--called-on: invalid number '%s'"), v);

	/* --facilitator ROLE:NAME[:START[:END]]; NAME may be a member number. */
	const node_opt *fo = node_opt_find(opts, "facilitator");
	if (fo->count > 0) {
		in->facs = calloc(fo->count, sizeof *in->facs);
		in->fac_ptrs = calloc(fo->count, sizeof *in->fac_ptrs);
		in->names = calloc(fo->count, sizeof *in->names);
		in->n_names = fo->count;
		if (in->facs == NULL || in->fac_ptrs == NULL || in->names == NULL)
			return node_store_fail(n, PX_ENOMEM);
	}
	for (size_t i = 0; i < fo->count; i++) {
		const char *s = fo->values[i];
		const char *colon = strchr(s, ':');
		Praxis__Facilitator *f = &in->facs[i];
		praxis__facilitator__init(f);
		in->fac_ptrs[i] = f;
		char role[64];
		int r = -1;
		if (colon != NULL && (size_t)(colon - s) < sizeof role) {
			memcpy(role, s, (size_t)(colon - s));
			role[colon - s] = '\0';
			r = node_parse_fac_role(role);
		}
		if (r < 0 || colon[1] == '\0')
			return node_fail(n, PX_EINVAL,
			                 PX_T("--facilitator attend RÔLE:NOM (animatrice, modératrice, marraine, coach, coordonnatrice), pas « %s »",
			                      "--facilitator expects ROLE:NAME (animator, moderator, sponsor, coach, coordinator), not '%s'"),
			                 s);
		f->role = (Praxis__FacilitatorRole)r;
		/* NAME[:START[:END]]: the mandate's dates (CIS-4) are optional. */
		const char *nm = colon + 1;
		const char *c2 = strchr(nm, ':');
		in->names[i] = c2 != NULL ? strndup(nm, (size_t)(c2 - nm)) : strdup(nm);
		if (in->names[i] == NULL)
			return node_store_fail(n, PX_ENOMEM);
		f->name = in->names[i];
		if (c2 != NULL) {
			const char *c3 = strchr(c2 + 1, ':');
			char d1[32] = "", d2[32] = "";
			snprintf(d1, sizeof d1, "%.*s", c3 != NULL ? (int)(c3 - c2 - 1) : (int)strlen(c2 + 1), c2 + 1);
			if (c3 != NULL)
				snprintf(d2, sizeof d2, "%s", c3 + 1);
			if ((d1[0] && px_date_parse(d1, &f->mandate_start) != PX_OK) ||
			    (d2[0] && px_date_parse(d2, &f->mandate_end) != PX_OK) ||
			    (f->mandate_start && f->mandate_end && f->mandate_end < f->mandate_start))
				return node_fail(n, PX_EINVAL,
				                 PX_T("--facilitator « %s » : mandat invalide (RÔLE:NOM:DÉBUT:FIN, dates AAAA-MM-JJ)",
				                      "--facilitator '%s': invalid mandate (ROLE:NAME:START:END, dates YYYY-MM-DD)"),
				                 s);
		}
		uint64_t mid;
		if (node_resolve_member(n, txn, f->name, &mid) == PX_OK)
			f->member_id = mid;
	}
	in->n_facs = fo->count;
	/* Parameter overrides must be valid for the framework's plugin. */
	const node_opt *po = node_opt_find(opts, "param");
	if (po->count > 0) {
		const char *fw = in->framework != NULL ? in->framework : framework;
		struct px_plugin_host *h = node_plugins(n);
		const px_plugin *p = h != NULL && fw != NULL ? px_plugin_host_find(h, fw) : NULL;
		if (p == NULL)
			return node_fail(n, PX_EINVAL, PX_T("--param : le plugiciel « %s » n'est pas chargé",
			                                    "--param: plugin '%s' is not loaded"),
			                 fw != NULL ? fw : "?");
		for (size_t i = 0; i < po->count; i++) {
			size_t idx;
			px_plugin_value val;
			char why[PX_PLUGIN_WHY_MAX] = "";
			if (px_plugin_assignment_parse(px_plugin_descriptor(p)->params, po->values[i], &idx, &val, why) !=
			    PX_OK)
				return node_fail(n, PX_EINVAL, "--param %s : %s", po->values[i], why);
		}
	}
	return NODE_EXIT_OK;
}

/* Fills the stack record c (strings borrowed from argv) for add. */
static int
comm_add(px_node *n, const node_args *a)
{
	const node_opt *opts = a->opts;
	const char *name = node_opt_get(opts, "name");
	if (name == NULL)
		return node_fail(n, PX_EINVAL, "%s", PX_T("le nom de la communauté est obligatoire (--name)",
		                                          "the community's name is required (--name)"));
	if (node_opt_get(opts, "framework") == NULL)
		return node_fail(n, PX_EINVAL, "%s", PX_T("le cadre est obligatoire (--framework, un plugiciel chargé)",
		                                          "the framework is required (--framework, a loaded plugin)"));
	px_txn *txn = NULL;
	px_err err = px_txn_begin(n->st, true, &txn);
	if (err != PX_OK)
		return node_store_fail(n, err);
	comm_in in;
	int rc = comm_check(n, txn, opts, NULL, &in);
	if (rc != NODE_EXIT_OK)
		goto out;
	uint64_t dup;
	err = node_resolve_community(n, txn, name, &dup);
	if (err == PX_OK || err == PX_EEXISTS) {
		rc = node_fail(n, PX_EEXISTS, PX_T("une communauté nommée « %s » existe déjà", "a community named '%s' already exists"),
		               name);
		goto out;
	}
	if (in.has_cs && in.has_ce && in.cycle_end < in.cycle_start) {
		rc = node_fail(n, PX_EINVAL, "%s", PX_T("la fin du cycle précède son début", "the cycle ends before it starts"));
		goto out;
	}
	Praxis__Community c = PRAXIS__COMMUNITY__INIT;
	if ((err = node_next_id(txn, "communities", &c.id)) != PX_OK)
		goto fail;
	c.name = (char *)name;
	c.framework = (char *)in.framework;
	if (in.has_host)
		c.host_org_id = in.host_org;
	else if ((err = node_self_org(n, txn, &c.host_org_id)) != PX_OK)
		goto fail;
	const char *v;
	if ((v = node_opt_get(opts, "region")) != NULL)
		c.region = (char *)v;
	if ((v = node_opt_get(opts, "sponsor")) != NULL)
		c.sponsor_manager = (char *)v;
	if ((v = node_opt_get(opts, "job-title")) != NULL)
		c.job_title = (char *)v;
	c.cycle_start = in.cycle_start;
	c.cycle_end = in.cycle_end;
	c.n_facilitators = in.n_facs;
	c.facilitators = in.fac_ptrs;
	const node_opt *o;
	o = node_opt_find(opts, "value"), c.n_values = o->count, c.values = (char **)o->values;
	o = node_opt_find(opts, "objective"), c.n_objectives = o->count, c.objectives = (char **)o->values;
	o = node_opt_find(opts, "param"), c.n_params = o->count, c.params = (char **)o->values;
	c.membership_fee = in.fee > 0 ? in.fee : 0;
	c.tools_produced = in.tools > 0 ? (uint32_t)in.tools : 0;
	c.times_called_on = in.called > 0 ? (uint32_t)in.called : 0;
	c.created_at = (int64_t)time(NULL);
	if ((err = node_community_put(n, txn, &c)) != PX_OK)
		goto fail;
	pxp_change ch = {.kind = PXP_CHANGE_COMMUNITY};
	if ((rc = node_txn_check_commit(n, &txn, c.id, &ch)) != NODE_EXIT_OK)
		goto out;
	if (n->json)
		node_json_print(comm_json(&c, NULL));
	else
		printf(PX_T("Communauté n° %llu créée : %s (cadre %s)\n", "Community #%llu created: %s (framework %s)\n"),
		       (unsigned long long)c.id, c.name, c.framework);
	rc = NODE_EXIT_OK;
	goto out;
fail:
	rc = node_store_fail(n, err);
out:
	px_txn_abort(txn);
	comm_in_fini(&in);
	return rc;
}

static int
comm_edit(px_node *n, const node_args *a)
{
	const node_opt *opts = a->opts;
	px_txn *txn = NULL;
	px_err err;
	Praxis__Community *c = NULL;
	comm_in in;
	memset(&in, 0, sizeof in);
	int rc;
	if (comm_load(n, a->pos[0], true, &txn, &c, &rc) != PX_OK)
		goto out;
	uint64_t id = c->id;
	if ((rc = comm_check(n, txn, opts, c->framework, &in)) != NODE_EXIT_OK)
		goto out;
	const char *v;
	if ((v = node_opt_get(opts, "name")) != NULL) {
		uint64_t dup;
		px_err e2 = node_resolve_community(n, txn, v, &dup);
		if ((e2 == PX_OK && dup != id) || e2 == PX_EEXISTS) {
			rc = node_fail(n, PX_EEXISTS, PX_T("une communauté nommée « %s » existe déjà",
			                                   "a community named '%s' already exists"),
			               v);
			goto out;
		}
		if ((err = node_msg_set_str(&c->name, v)) != PX_OK)
			goto fail;
	}
	if (in.framework != NULL && (err = node_msg_set_str(&c->framework, in.framework)) != PX_OK)
		goto fail;
	if (in.has_host)
		c->host_org_id = in.host_org;
	if ((v = node_opt_get(opts, "region")) != NULL && (err = node_msg_set_str(&c->region, v)) != PX_OK)
		goto fail;
	if ((v = node_opt_get(opts, "sponsor")) != NULL && (err = node_msg_set_str(&c->sponsor_manager, v)) != PX_OK)
		goto fail;
	if ((v = node_opt_get(opts, "job-title")) != NULL && (err = node_msg_set_str(&c->job_title, v)) != PX_OK)
		goto fail;
	if (in.has_cs)
		c->cycle_start = in.cycle_start;
	if (in.has_ce)
		c->cycle_end = in.cycle_end;
	if (c->cycle_start != 0 && c->cycle_end != 0 && c->cycle_end < c->cycle_start) {
		rc = node_fail(n, PX_EINVAL, "%s", PX_T("la fin du cycle précède son début", "the cycle ends before it starts"));
		goto out;
	}
	if (in.fee >= 0)
		c->membership_fee = in.fee;
	if (in.tools >= 0)
		c->tools_produced = (uint32_t)in.tools;
	if (in.called >= 0)
		c->times_called_on = (uint32_t)in.called;
	const node_opt *o;
	if ((o = node_opt_find(opts, "value"))->count > 0 &&
	    (err = node_msg_set_strs(&c->values, &c->n_values, o->values, o->count)) != PX_OK)
		goto fail;
	if ((o = node_opt_find(opts, "objective"))->count > 0 &&
	    (err = node_msg_set_strs(&c->objectives, &c->n_objectives, o->values, o->count)) != PX_OK)
		goto fail;
	if ((o = node_opt_find(opts, "param"))->count > 0 &&
	    (err = node_msg_set_strs(&c->params, &c->n_params, o->values, o->count)) != PX_OK)
		goto fail;
	/* Facilitators are replaced as a whole: pack a copy that borrows the
	 * new list, and keep the unpacked record's own list for its free. */
	size_t keep_n = c->n_facilitators;
	Praxis__Facilitator **keep = c->facilitators;
	if (in.n_facs > 0) {
		c->n_facilitators = in.n_facs;
		c->facilitators = in.fac_ptrs;
	}
	err = node_community_put(n, txn, c);
	c->n_facilitators = keep_n;
	c->facilitators = keep;
	if (err != PX_OK)
		goto fail;
	pxp_change ch = {.kind = PXP_CHANGE_COMMUNITY};
	if ((rc = node_txn_check_commit(n, &txn, id, &ch)) != NODE_EXIT_OK)
		goto out;
	if (n->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddBoolToObject(j, "ok", true);
		cJSON_AddNumberToObject(j, "id", (double)id);
		node_json_print(j);
	} else {
		printf(PX_T("Communauté n° %llu modifiée.\n", "Community #%llu updated.\n"), (unsigned long long)id);
	}
	rc = NODE_EXIT_OK;
	goto out;
fail:
	rc = node_store_fail(n, err);
out:
	px_txn_abort(txn);
	node_msg_free(c);
	comm_in_fini(&in);
	return rc;
}

static px_err
comm_list_scan(void *arg, px_val key, void *msg)
{
	node_list_ctx *l = arg;
	(void)key;
	Praxis__Community *c = msg;
	px_err err = PX_OK;
	Praxis__Organization *host = NULL;
	if (node_org_get(l->n, l->txn, c->host_org_id, &host) != PX_OK)
		host = NULL;
	if (l->out.arr != NULL) {
		cJSON_AddItemToArray(l->out.arr, comm_json(c, host != NULL ? host->name : NULL));
	} else {
		char *id = node_fmt("%llu", (unsigned long long)c->id);
		char cs[11] = "", ce[11] = "";
		if (c->cycle_start)
			px_date_format(c->cycle_start, cs);
		if (c->cycle_end)
			px_date_format(c->cycle_end, ce);
		char *cycle = node_fmt("%s%s%s", cs, c->cycle_start || c->cycle_end ? " → " : "", ce);
		const char *row[] = {id, c->name, c->framework, host != NULL ? host->name : "?", c->region, cycle};
		node_table_row(l->out.t, row);
		free(id);
		free(cycle);
	}
	node_msg_free(host);
	return err;
}

static int
comm_show(px_node *n, const node_args *a)
{
	px_txn *txn = NULL;
	int rc = NODE_EXIT_OK;
	Praxis__Community *c = NULL;
	Praxis__Organization *host = NULL;
	if (comm_load(n, a->pos[0], false, &txn, &c, &rc) != PX_OK)
		goto out;
	if (node_org_get(n, txn, c->host_org_id, &host) != PX_OK)
		host = NULL;
	if (n->json) {
		node_json_print(comm_json(c, host != NULL ? host->name : NULL));
		goto out;
	}
	printf(PX_T("Communauté n° %llu\n", "Community #%llu\n"), (unsigned long long)c->id);
	printf("  %s %s\n", node_pad(PX_T("Nom", "Name"), 24), c->name);
	printf("  %s %s\n", node_pad(PX_T("Cadre (plugiciel)", "Framework (plugin)"), 24), c->framework);
	printf("  %s %s\n", node_pad(PX_T("Organisme hôte", "Host organization"), 24), host != NULL ? host->name : "?");
	printf("  %s %s\n", node_pad(PX_T("Région ou bassin", "Region or basin"), 24), c->region);
	printf("  %s %s\n", node_pad(PX_T("Gestionnaire répondant", "Sponsor manager"), 24), c->sponsor_manager);
	printf("  %s %s\n", node_pad(PX_T("Titre d'emploi", "Job title"), 24), c->job_title);
	char d1[11] = "-", d2[11] = "-";
	if (c->cycle_start)
		px_date_format(c->cycle_start, d1);
	if (c->cycle_end)
		px_date_format(c->cycle_end, d2);
	printf("  %s %s → %s\n", node_pad(PX_T("Cycle", "Cycle"), 24), d1, d2);
	for (size_t i = 0; i < c->n_facilitators; i++)
		printf("  %s %s (%s)\n", node_pad(i == 0 ? PX_T("Animation", "Facilitators") : "", 24), c->facilitators[i]->name,
		       node_fac_role_name((int)c->facilitators[i]->role));
	for (size_t i = 0; i < c->n_values; i++)
		printf("  %s %s\n", node_pad(i == 0 ? PX_T("Valeurs", "Values") : "", 24), c->values[i]);
	for (size_t i = 0; i < c->n_objectives; i++)
		printf("  %s %s\n", node_pad(i == 0 ? PX_T("Objectifs généraux", "General objectives") : "", 24), c->objectives[i]);
	for (size_t i = 0; i < c->n_params; i++)
		printf("  %s %s\n", node_pad(i == 0 ? PX_T("Paramètres", "Parameters") : "", 24), c->params[i]);
out:
	px_txn_abort(txn);
	node_msg_free(host);
	node_msg_free(c);
	return rc;
}

static int
comm_list(px_node *n, const node_args *a)
{
	(void)a;
	const char *hdr[] = {"#", PX_T("Nom", "Name"), PX_T("Cadre", "Framework"), PX_T("Organisme hôte", "Host"),
	                     PX_T("Région", "Region"), PX_T("Cycle", "Cycle")};
	return node_list_db(n, n->db.communities, &praxis__community__descriptor, 6, hdr, comm_list_scan, NULL);
}
