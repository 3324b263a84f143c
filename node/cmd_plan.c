/*
 * cmd_plan.c - the action plan (plan d'action):
 *   plan import COMMUNITY FILE.json [--replace]
 *   plan show COMMUNITY [--period-start DATE] [--json]
 *   plan set-result COMMUNITY ITEM oui|non|pending [--gap TEXT] [--period-start DATE]
 *
 * The file is a tree (format "praxis-plan/1", see data/plans/README.md):
 * priorities -> general_objectives -> specific_objectives -> means, each
 * node with optional responsible, timeline, expected, obtained (Oui/Non/""),
 * gap and category. It is stored flat (proto PlanItem with parent ids,
 * numbered 1..n in document order) and `show --json` gives the same tree
 * back, so import and show round-trip.
 */
#define _GNU_SOURCE
#include "node.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int plan_import(px_node *n, const node_args *a);
static int plan_show(px_node *n, const node_args *a);
static int plan_set_result(px_node *n, const node_args *a);
static const node_cmd plan_cmds[] = {
	{"plan", "import", .run = plan_import,
	 .usage = "plan import COMMUNAUTÉ FICHIER.json [--replace]",
	 "Importe un plan d'action (arbre priorités → objectifs généraux → objectifs spécifiques → moyens, "
	 "format de data/plans/). Un plan de même début de période est refusé sans --replace.",
	 "Import an action plan (tree priorities → general objectives → specific objectives → means, format "
	 "of data/plans/). A plan with the same period start is refused without --replace.",
	 .opts = (const node_opt[]){NODE_OPT("replace", false), NODE_OPT_END}, .min_pos = 2, .max_pos = 2,
	 .usage_fr = "usage : plan import COMMUNAUTÉ FICHIER.json [--replace]",
	 .usage_en = "usage: plan import COMMUNITY FILE.json [--replace]"},
	{"plan", "show", .run = plan_show,
	 .usage = "plan show COMMUNAUTÉ [--period-start DATE] [--json]",
	 "Affiche le plan d'action (le plus récent par défaut) ; --json redonne l'arbre du fichier importé.",
	 "Show the action plan (the latest by default); --json gives back the imported file's tree.",
	 .opts = (const node_opt[]){NODE_OPT("period-start", true), NODE_OPT_END}, .min_pos = 1, .max_pos = 1,
	 .usage_fr = "usage : plan show COMMUNAUTÉ [--period-start DATE] [--json]",
	 .usage_en = "usage: plan show COMMUNITY [--period-start DATE] [--json]"},
	{"plan", "set-result", .run = plan_set_result,
	 .usage = "plan set-result COMMUNAUTÉ ITEM oui|non|attente [--gap TEXTE] [--period-start DATE]",
	 "Note le résultat obtenu d'un élément (ITEM : numéro affiché par plan show, ou chemin 1.2.1) et "
	 "l'explication des écarts.",
	 "Set an item's obtained result (ITEM: the number shown by plan show, or a path 1.2.1) and the "
	 "explanation of the gap.",
	 .opts = (const node_opt[]){NODE_OPT("gap", true), NODE_OPT("period-start", true), NODE_OPT_END},
	 .min_pos = 3, .max_pos = 3,
	 .usage_fr = "usage : plan set-result COMMUNAUTÉ ITEM oui|non|attente [--gap TEXTE]",
	 .usage_en = "usage: plan set-result COMMUNITY ITEM yes|no|pending [--gap TEXT]"},
	{0},
};
NODE_COMMANDS(plan_cmds)

#define PLAN_FORMAT "praxis-plan/1"

/* JSON key of the children of each level, and the level's name. */
static const char *const plan_child_key[] = {"priorities", "general_objectives", "specific_objectives", "means"};

static const char *
plan_level_name(int level)
{
	switch (level) {
	case PRAXIS__PLAN_LEVEL__PLAN_PRIORITY: return PX_T("PRIORITÉ", "PRIORITY");
	case PRAXIS__PLAN_LEVEL__PLAN_GENERAL_OBJECTIVE: return PX_T("Objectif général", "General objective");
	case PRAXIS__PLAN_LEVEL__PLAN_SPECIFIC_OBJECTIVE: return PX_T("Objectif spécifique", "Specific objective");
	case PRAXIS__PLAN_LEVEL__PLAN_MEANS: return PX_T("Moyen", "Means");
	default: return "?";
	}
}

static const char *
plan_result_word(int r)
{
	return r == PRAXIS__PLAN_RESULT__RESULT_YES ? "Oui" : r == PRAXIS__PLAN_RESULT__RESULT_NO ? "Non" : "";
}

static void
plan_free(Praxis__Plan *p)
{
	node_msg_free(p);
}

/* ------------------------------------------------------------ tree -> flat */

typedef struct plan_build {
	Praxis__Plan *plan;
	size_t cap;
	char err[512];
} plan_build;

static char *
plan_dup(const char *s)
{
	return strdup(s != NULL ? s : "");
}

/* Optional string member; "" when absent, false when present and not a
 * string. */
static bool
plan_opt_str(const cJSON *o, const char *name, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	*out = "";
	if (v == NULL || cJSON_IsNull(v))
		return true;
	if (!cJSON_IsString(v))
		return false;
	*out = v->valuestring;
	return true;
}

static bool
plan_parse_result(const char *s, Praxis__PlanResult *out)
{
	if (s[0] == '\0' || !strcasecmp(s, "pending") || !strcasecmp(s, "attente") || !strcasecmp(s, "en attente")) {
		*out = PRAXIS__PLAN_RESULT__RESULT_PENDING;
		return true;
	}
	if (!strcasecmp(s, "oui") || !strcasecmp(s, "yes")) {
		*out = PRAXIS__PLAN_RESULT__RESULT_YES;
		return true;
	}
	if (!strcasecmp(s, "non") || !strcasecmp(s, "no")) {
		*out = PRAXIS__PLAN_RESULT__RESULT_NO;
		return true;
	}
	return false;
}

/* Adds the node o at level (1..4) under parent, then its children. path is
 * the human position ("1.2") for error messages. */
static px_err
plan_add_node(plan_build *b, const cJSON *o, int level, uint32_t parent, const char *path)
{
	if (!cJSON_IsObject(o)) {
		snprintf(b->err, sizeof b->err, PX_T("%s : un objet JSON est attendu", "%s: a JSON object is expected"), path);
		return PX_EINVAL;
	}
	const char *text, *resp, *tl, *exp, *obt, *gap, *cat;
	if (!plan_opt_str(o, "text", &text) || !plan_opt_str(o, "responsible", &resp) ||
	    !plan_opt_str(o, "timeline", &tl) || !plan_opt_str(o, "expected", &exp) ||
	    !plan_opt_str(o, "obtained", &obt) || !plan_opt_str(o, "gap", &gap) || !plan_opt_str(o, "category", &cat)) {
		snprintf(b->err, sizeof b->err,
		         PX_T("%s : text, responsible, timeline, expected, obtained, gap et category sont des chaînes",
		              "%s: text, responsible, timeline, expected, obtained, gap and category are strings"),
		         path);
		return PX_EINVAL;
	}
	const char *t = text;
	while (*t == ' ' || *t == '\t' || *t == '\n')
		t++;
	if (*t == '\0') {
		snprintf(b->err, sizeof b->err, PX_T("%s : texte vide (%s)", "%s: empty text (%s)"), path,
		         plan_level_name(level));
		return PX_EINVAL;
	}
	Praxis__PlanResult res;
	if (!plan_parse_result(obt, &res)) {
		snprintf(b->err, sizeof b->err,
		         PX_T("%s : résultat obtenu « %s » invalide (Oui, Non ou vide)",
		              "%s: invalid obtained result '%s' (Oui, Non or empty)"),
		         path, obt);
		return PX_EINVAL;
	}
	Praxis__Plan *p = b->plan;
	if (node_reserve((void **)&p->items, p->n_items, &b->cap, sizeof *p->items) != PX_OK)
		return PX_ENOMEM;
	Praxis__PlanItem *it = malloc(sizeof *it);
	if (it == NULL)
		return PX_ENOMEM;
	praxis__plan_item__init(it);
	p->items[p->n_items++] = it;
	it->id = (uint32_t)p->n_items;
	it->parent_id = parent;
	it->level = (Praxis__PlanLevel)level;
	it->text = plan_dup(text);
	it->responsible = plan_dup(resp);
	it->timeline = plan_dup(tl);
	it->expected = plan_dup(exp);
	it->obtained = res;
	it->gap = plan_dup(gap);
	it->category = plan_dup(cat);
	if (!it->text || !it->responsible || !it->timeline || !it->expected || !it->gap || !it->category)
		return PX_ENOMEM;
	if (level == PRAXIS__PLAN_LEVEL__PLAN_MEANS) {
		if (cJSON_GetObjectItemCaseSensitive(o, "means") != NULL) {
			snprintf(b->err, sizeof b->err, PX_T("%s : un moyen n'a pas d'enfants", "%s: a means has no children"), path);
			return PX_EINVAL;
		}
		return PX_OK;
	}
	const cJSON *kids = cJSON_GetObjectItemCaseSensitive(o, plan_child_key[level]);
	if (kids == NULL)
		return PX_OK;
	if (!cJSON_IsArray(kids)) {
		snprintf(b->err, sizeof b->err, PX_T("%s : « %s » doit être une liste", "%s: '%s' must be a list"), path,
		         plan_child_key[level]);
		return PX_EINVAL;
	}
	uint32_t me = it->id;
	int i = 0;
	const cJSON *k;
	cJSON_ArrayForEach(k, kids)
	{
		char sub[64];
		snprintf(sub, sizeof sub, "%s.%d", path, ++i);
		px_err err = plan_add_node(b, k, level + 1, me, sub);
		if (err != PX_OK)
			return err;
	}
	return PX_OK;
}

static px_err
plan_parse_date_field(const cJSON *j, const char *name, int32_t *out, plan_build *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
	if (!cJSON_IsString(v) || px_date_parse(v->valuestring, out) != PX_OK) {
		snprintf(b->err, sizeof b->err,
		         PX_T("« %s » manquant ou invalide (date AAAA-MM-JJ)", "'%s' missing or invalid (date YYYY-MM-DD)"),
		         name);
		return PX_EINVAL;
	}
	return PX_OK;
}

/* Builds *out from the JSON tree; on PX_EINVAL, b->err says why. */
static px_err
plan_from_json(const cJSON *j, plan_build *b)
{
	Praxis__Plan *p = malloc(sizeof *p);
	if (p == NULL)
		return PX_ENOMEM;
	praxis__plan__init(p);
	b->plan = p;
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(j, "format");
	if (!cJSON_IsObject(j) || (fmt != NULL && (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, PLAN_FORMAT) != 0))) {
		snprintf(b->err, sizeof b->err, PX_T("format inconnu (attendu « %s »)", "unknown format (expected '%s')"),
		         PLAN_FORMAT);
		return PX_EINVAL;
	}
	const char *title;
	if (!plan_opt_str(j, "title", &title) || title[0] == '\0') {
		snprintf(b->err, sizeof b->err, "%s", PX_T("titre (« title ») manquant", "missing 'title'"));
		return PX_EINVAL;
	}
	if ((p->title = strdup(title)) == NULL)
		return PX_ENOMEM;
	px_err err;
	if ((err = plan_parse_date_field(j, "period_start", &p->period_start, b)) != PX_OK ||
	    (err = plan_parse_date_field(j, "period_end", &p->period_end, b)) != PX_OK)
		return err;
	if (p->period_end < p->period_start) {
		snprintf(b->err, sizeof b->err, "%s", PX_T("la période finit avant de commencer", "the period ends before it starts"));
		return PX_EINVAL;
	}
	const cJSON *pr = cJSON_GetObjectItemCaseSensitive(j, "priorities");
	if (!cJSON_IsArray(pr) || cJSON_GetArraySize(pr) == 0) {
		snprintf(b->err, sizeof b->err, "%s", PX_T("aucune priorité (« priorities »)", "no 'priorities'"));
		return PX_EINVAL;
	}
	int i = 0;
	const cJSON *k;
	cJSON_ArrayForEach(k, pr)
	{
		char path[16];
		snprintf(path, sizeof path, "%d", ++i);
		if ((err = plan_add_node(b, k, PRAXIS__PLAN_LEVEL__PLAN_PRIORITY, 0, path)) != PX_OK)
			return err;
	}
	return PX_OK;
}

/* ------------------------------------------------------------ flat -> tree */

static cJSON *
plan_item_json(const Praxis__Plan *p, size_t idx)
{
	const Praxis__PlanItem *it = p->items[idx];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "text", it->text);
	/* Empty fields are left out, as in the shipped files. */
	if (it->responsible[0])
		cJSON_AddStringToObject(o, "responsible", it->responsible);
	if (it->timeline[0])
		cJSON_AddStringToObject(o, "timeline", it->timeline);
	if (it->expected[0])
		cJSON_AddStringToObject(o, "expected", it->expected);
	if (it->obtained != PRAXIS__PLAN_RESULT__RESULT_PENDING)
		cJSON_AddStringToObject(o, "obtained", plan_result_word(it->obtained));
	if (it->gap[0])
		cJSON_AddStringToObject(o, "gap", it->gap);
	if (it->category[0])
		cJSON_AddStringToObject(o, "category", it->category);
	if (it->level >= PRAXIS__PLAN_LEVEL__PLAN_PRIORITY && it->level < PRAXIS__PLAN_LEVEL__PLAN_MEANS) {
		cJSON *kids = NULL;
		for (size_t i = 0; i < p->n_items; i++)
			if (p->items[i]->parent_id == it->id) {
				if (kids == NULL)
					kids = cJSON_AddArrayToObject(o, plan_child_key[it->level]);
				cJSON_AddItemToArray(kids, plan_item_json(p, i));
			}
	}
	return o;
}

static cJSON *
plan_to_json(const Praxis__Plan *p)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "format", PLAN_FORMAT);
	cJSON_AddStringToObject(j, "title", p->title);
	node_json_date(j, "period_start", p->period_start);
	node_json_date(j, "period_end", p->period_end);
	cJSON *pr = cJSON_AddArrayToObject(j, "priorities");
	for (size_t i = 0; i < p->n_items; i++)
		if (p->items[i]->parent_id == 0)
			cJSON_AddItemToArray(pr, plan_item_json(p, i));
	return j;
}

void
node_plan_path(const Praxis__Plan *p, size_t idx, char *out, size_t size)
{
	uint32_t chain[8];
	int depth = 0;
	const Praxis__PlanItem *it = p->items[idx];
	while (it != NULL && depth < 8) {
		uint32_t pos = 0;
		for (size_t i = 0; i < p->n_items; i++) {
			if (p->items[i]->parent_id == it->parent_id)
				pos++;
			if (p->items[i] == it)
				break;
		}
		chain[depth++] = pos;
		const Praxis__PlanItem *parent = NULL;
		for (size_t i = 0; i < p->n_items && it->parent_id != 0; i++)
			if (p->items[i]->id == it->parent_id)
				parent = p->items[i];
		it = parent;
	}
	size_t off = 0;
	out[0] = '\0';
	for (int d = depth - 1; d >= 0 && off < size; d--)
		off += (size_t)snprintf(out + off, size - off, "%s%u", d == depth - 1 ? "" : ".", chain[d]);
}

static void
plan_print_item(const Praxis__Plan *p, size_t idx, int depth)
{
	const Praxis__PlanItem *it = p->items[idx];
	char path[64];
	node_plan_path(p, idx, path, sizeof path);
	const char *last = strrchr(path, '.');
	const char *num = last ? last + 1 : path;
	int ind = 2 * (depth - 1);
	switch (it->level) {
	case PRAXIS__PLAN_LEVEL__PLAN_PRIORITY:
		printf("\n%s %s : %s   [%u]\n", plan_level_name(it->level), num, it->text, it->id);
		break;
	case PRAXIS__PLAN_LEVEL__PLAN_GENERAL_OBJECTIVE:
		printf("%*s%s %s : %s   [%u]\n", ind, "", plan_level_name(it->level), num, it->text, it->id);
		break;
	case PRAXIS__PLAN_LEVEL__PLAN_SPECIFIC_OBJECTIVE:
		printf("%*s%s. %s   [%u · %s]\n", ind, "", num, it->text, it->id, path);
		break;
	default:
		printf("%*s- %s   [%u]\n", ind, "", it->text, it->id);
		break;
	}
	int fi = ind + 4;
	if (it->responsible[0])
		printf("%*s%s %s\n", fi, "", PX_T("Responsable(s) :", "Responsible:"), it->responsible);
	if (it->timeline[0])
		printf("%*s%s %s\n", fi, "", PX_T("Échéancier :", "Timeline:"), it->timeline);
	if (it->expected[0])
		printf("%*s%s %s\n", fi, "", PX_T("Résultats attendus :", "Expected results:"), it->expected);
	if (it->level == PRAXIS__PLAN_LEVEL__PLAN_SPECIFIC_OBJECTIVE || it->obtained != PRAXIS__PLAN_RESULT__RESULT_PENDING)
		printf("%*s%s %s\n", fi, "", PX_T("Résultats obtenus :", "Obtained:"),
		       it->obtained == PRAXIS__PLAN_RESULT__RESULT_YES  ? PX_T("Oui", "Yes")
		       : it->obtained == PRAXIS__PLAN_RESULT__RESULT_NO ? PX_T("Non", "No")
		                                                        : PX_T("(à venir)", "(pending)"));
	if (it->gap[0])
		printf("%*s%s %s\n", fi, "", PX_T("Explication des écarts :", "Explanation of the gap:"), it->gap);
	if (it->category[0])
		printf("%*s%s %s\n", fi, "", PX_T("Catégorie :", "Category:"), it->category);
	for (size_t i = 0; i < p->n_items; i++)
		if (p->items[i]->parent_id == it->id)
			plan_print_item(p, i, depth + 1);
}

/* ---------------------------------------------------------------- helpers */

/* Loads the community's plan (the one starting at --period-start, else the
 * latest). Prints why on failure. */
static px_err
plan_load(px_node *n, px_txn *txn, const char *cref, const char *start, uint64_t *cid, Praxis__Plan **p, int *rc)
{
	if (node_resolve_community(n, txn, cref, cid) != PX_OK) {
		*rc = node_fail(n, PX_ENOTFOUND, PX_T("communauté « %s » introuvable", "community '%s' not found"), cref);
		return PX_ENOTFOUND;
	}
	px_err err;
	if (start != NULL) {
		int32_t d;
		if (px_date_parse(start, &d) != PX_OK) {
			*rc = node_fail(n, PX_EINVAL, PX_T("date invalide « %s »", "invalid date '%s'"), start);
			return PX_EINVAL;
		}
		err = node_plan_get(n, txn, *cid, d, p);
	} else {
		err = node_plan_latest(n, txn, *cid, p);
	}
	if (err == PX_ENOTFOUND)
		*rc = node_fail(n, err, PX_T("aucun plan d'action pour « %s » (plan import)", "no action plan for '%s' (plan import)"),
		                cref);
	else if (err != PX_OK)
		*rc = node_store_fail(n, err);
	return err;
}

/* --------------------------------------------------------------- commands */

static int
plan_import(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	char *buf = NULL;
	cJSON *j = NULL;
	Praxis__Plan *old = NULL;
	plan_build b = {0};
	px_err err;
	const char *path = a->pos[1];
	size_t len;
	/* An action plan is never larger than 64 MiB. */
	if ((buf = node_read_file(path, 64u << 20, &len)) == NULL) {
		rc = node_fail(n, PX_EIO, PX_T("impossible de lire %s : %s", "cannot read %s: %s"), path, strerror(errno));
		goto out;
	}
	const char *where = NULL;
	if ((j = cJSON_ParseWithOpts(buf, &where, true)) == NULL) {
		size_t line = 1;
		for (const char *c = buf; where != NULL && c < where; c++)
			line += *c == '\n';
		rc = node_fail(n, PX_EINVAL, PX_T("%s : JSON invalide vers la ligne %zu", "%s: invalid JSON near line %zu"), path,
		               line);
		goto out;
	}
	if ((err = plan_from_json(j, &b)) != PX_OK) {
		rc = err == PX_EINVAL ? node_fail(n, err, "%s : %s", path, b.err) : node_store_fail(n, err);
		goto out;
	}
	if (node_txn_begin(n, true, &txn, &rc) != PX_OK)
		goto out;
	if (node_resolve_community(n, txn, a->pos[0], &b.plan->community_id) != PX_OK) {
		rc = node_fail(n, PX_ENOTFOUND, PX_T("communauté « %s » introuvable", "community '%s' not found"), a->pos[0]);
		goto out;
	}
	err = node_plan_get(n, txn, b.plan->community_id, b.plan->period_start, &old);
	if (err == PX_OK && node_opt_get(a->opts, "replace") == NULL) {
		char d[11];
		px_date_format(b.plan->period_start, d);
		rc = node_fail(n, PX_EEXISTS,
		               PX_T("un plan commençant le %s existe déjà pour cette communauté (--replace pour le remplacer)",
		                    "a plan starting on %s already exists for this community (--replace to replace it)"),
		               d);
		goto out;
	}
	if (err != PX_OK && err != PX_ENOTFOUND) {
		rc = node_store_fail(n, err);
		goto out;
	}
	if ((err = node_plan_put(n, txn, b.plan)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	if ((rc = node_txn_commit(n, &txn)) != NODE_EXIT_OK)
		goto out;
	size_t counts[5] = {0};
	for (size_t i = 0; i < b.plan->n_items; i++)
		if (b.plan->items[i]->level >= 1 && b.plan->items[i]->level <= 4)
			counts[b.plan->items[i]->level]++;
	if (n->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", true);
		cJSON_AddNumberToObject(o, "community_id", (double)b.plan->community_id);
		node_json_date(o, "period_start", b.plan->period_start);
		cJSON_AddNumberToObject(o, "items", (double)b.plan->n_items);
		cJSON_AddNumberToObject(o, "priorities", (double)counts[1]);
		cJSON_AddNumberToObject(o, "general_objectives", (double)counts[2]);
		cJSON_AddNumberToObject(o, "specific_objectives", (double)counts[3]);
		cJSON_AddNumberToObject(o, "means", (double)counts[4]);
		node_json_print(o);
	} else {
		printf(PX_T("Plan « %s » importé : %zu priorités, %zu objectifs généraux, %zu objectifs spécifiques, %zu moyens.\n",
		            "Plan '%s' imported: %zu priorities, %zu general objectives, %zu specific objectives, %zu means.\n"),
		       b.plan->title, counts[1], counts[2], counts[3], counts[4]);
	}
out:
	px_txn_abort(txn);
	plan_free(b.plan);
	plan_free(old);
	cJSON_Delete(j);
	free(buf);
	return rc;
}

static int
plan_show(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	Praxis__Plan *p = NULL;
	if (node_txn_begin(n, false, &txn, &rc) != PX_OK)
		goto out;
	uint64_t cid;
	if (plan_load(n, txn, a->pos[0], node_opt_get(a->opts, "period-start"), &cid, &p, &rc) != PX_OK)
		goto out;
	if (n->json) {
		node_json_print(plan_to_json(p));
		goto out;
	}
	char d1[11], d2[11];
	px_date_format(p->period_start, d1);
	px_date_format(p->period_end, d2);
	printf("%s\n%s %s → %s\n", p->title, PX_T("Période :", "Period:"), d1, d2);
	for (size_t i = 0; i < p->n_items; i++)
		if (p->items[i]->parent_id == 0)
			plan_print_item(p, i, 1);
	size_t yes = 0, no = 0, pend = 0;
	for (size_t i = 0; i < p->n_items; i++)
		if (p->items[i]->level == PRAXIS__PLAN_LEVEL__PLAN_SPECIFIC_OBJECTIVE) {
			if (p->items[i]->obtained == PRAXIS__PLAN_RESULT__RESULT_YES)
				yes++;
			else if (p->items[i]->obtained == PRAXIS__PLAN_RESULT__RESULT_NO)
				no++;
			else
				pend++;
		}
	printf(PX_T("\nObjectifs spécifiques : %zu atteints (Oui), %zu non atteints (Non), %zu à venir.\n",
	            "\nSpecific objectives: %zu reached (Yes), %zu not reached (No), %zu pending.\n"),
	       yes, no, pend);
out:
	px_txn_abort(txn);
	plan_free(p);
	return rc;
}

/* Item by number ("12") or by path ("1.2.1"); index or -1. */
static long
plan_find_item(const Praxis__Plan *p, const char *ref)
{
	if (ref[0] == '#')
		ref++;
	if (ref[0] < '0' || ref[0] > '9')
		return -1;
	if (strchr(ref, '.') == NULL) {
		char *end;
		unsigned long id = strtoul(ref, &end, 10);
		if (*end != '\0')
			return -1;
		for (size_t i = 0; i < p->n_items; i++)
			if (p->items[i]->id == id)
				return (long)i;
		return -1;
	}
	char path[64];
	for (size_t i = 0; i < p->n_items; i++) {
		node_plan_path(p, i, path, sizeof path);
		if (strcmp(path, ref) == 0)
			return (long)i;
	}
	return -1;
}

static int
plan_set_result(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	Praxis__Plan *p = NULL;
	px_err err;
	Praxis__PlanResult res;
	if (a->pos[2][0] == '\0' || !plan_parse_result(a->pos[2], &res)) {
		rc = node_fail(n, PX_EINVAL, PX_T("résultat inconnu « %s » (oui, non ou attente)",
		                                  "unknown result '%s' (yes, no or pending)"),
		               a->pos[2]);
		goto out;
	}
	if (node_txn_begin(n, true, &txn, &rc) != PX_OK)
		goto out;
	uint64_t cid;
	if (plan_load(n, txn, a->pos[0], node_opt_get(a->opts, "period-start"), &cid, &p, &rc) != PX_OK)
		goto out;
	long idx = plan_find_item(p, a->pos[1]);
	if (idx < 0) {
		rc = node_fail(n, PX_ENOTFOUND,
		               PX_T("élément « %s » introuvable dans le plan (numéro entre crochets ou chemin 1.2.1 de plan show)",
		                    "item '%s' not found in the plan (number in brackets or path 1.2.1 from plan show)"),
		               a->pos[1]);
		goto out;
	}
	Praxis__PlanItem *it = p->items[idx];
	it->obtained = res;
	const char *gap = node_opt_get(a->opts, "gap");
	if (gap != NULL) {
		if (it->gap != NULL && it->gap != protobuf_c_empty_string)
			free(it->gap);
		it->gap = strdup(gap);
	}
	if ((err = node_plan_put(n, txn, p)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	if ((rc = node_txn_commit(n, &txn)) != NODE_EXIT_OK)
		goto out;
	char path[64];
	node_plan_path(p, (size_t)idx, path, sizeof path);
	if (n->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "ok", true);
		cJSON_AddNumberToObject(o, "item", it->id);
		cJSON_AddStringToObject(o, "path", path);
		cJSON_AddStringToObject(o, "obtained", plan_result_word(res));
		cJSON_AddStringToObject(o, "gap", it->gap ? it->gap : "");
		node_json_print(o);
	} else {
		printf(PX_T("Élément %u (%s) « %s » : résultat obtenu %s.\n", "Item %u (%s) '%s': obtained %s.\n"), it->id, path,
		       it->text,
		       res == PRAXIS__PLAN_RESULT__RESULT_YES  ? PX_T("Oui", "Yes")
		       : res == PRAXIS__PLAN_RESULT__RESULT_NO ? PX_T("Non", "No")
		                                               : PX_T("à venir", "pending"));
	}
out:
	px_txn_abort(txn);
	plan_free(p);
	return rc;
}

