/*
 * cmd_derogation.c - derogation list: the changes a coordinator recorded
 * with --override although a rule refused them (rules.c logs each one in
 * the config database under "derogation.<ms>.<n>" as
 * "RULE\tYYYYMMDD\treason\tFrench message\tEnglish message").
 */
#define _GNU_SOURCE
#include "node.h"

#include <stdlib.h>
#include <string.h>

static int cmd_derogation(px_node *n, const node_args *a);
static const node_cmd derog_cmds[] = {
	{"derogation", "list", .run = cmd_derogation, .usage = "derogation list [--json]",
	 "Liste les modifications enregistrées par dérogation (--override) : règle, date, raison, constat.",
	 "Lists the changes recorded as derogations (--override): rule, date, reason, finding."},
	{0},
};
NODE_COMMANDS(derog_cmds)

typedef struct derog_list {
	node_listing out;
	bool oom;
} derog_list;

#define DEROG_PREFIX "derogation."

static px_err
derog_scan(void *arg, px_val key, px_val val)
{
	derog_list *l = arg;
	(void)key;
	char *v = strndup(val.data, val.size);
	if (v == NULL) {
		l->oom = true;
		return PX_ENOMEM;
	}
	/* Five tab-separated fields; a record written by an older version may
	 * lack the last ones. */
	char *f[5] = {"", "", "", "", ""};
	char *save = NULL, *p = v;
	for (int i = 0; i < 5; i++) {
		char *tok = strtok_r(i == 0 ? p : NULL, "\t", &save);
		if (tok == NULL)
			break;
		f[i] = tok;
	}
	int32_t day = (int32_t)strtol(f[1], NULL, 10);
	char date[11] = "";
	if (px_date_valid(day))
		px_date_format(day, date);
	if (l->out.arr != NULL) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "rule", f[0]);
		node_json_date(o, "date", px_date_valid(day) ? day : 0);
		cJSON_AddStringToObject(o, "reason", f[2]);
		cJSON_AddStringToObject(o, "finding_fr", f[3]);
		cJSON_AddStringToObject(o, "finding_en", f[4][0] ? f[4] : f[3]);
		cJSON_AddItemToArray(l->out.arr, o);
	} else {
		const char *row[4] = {date, f[0], f[2], PX_T(f[3], f[4][0] ? f[4] : f[3])};
		node_table_row(l->out.t, row);
	}
	l->out.count++;
	free(v);
	return PX_OK;
}

static int
cmd_derogation(px_node *n, const node_args *a)
{
	(void)a;
	const char *hdr[4] = {PX_T("Date", "Date"), PX_T("Règle", "Rule"), PX_T("Raison", "Reason"),
	                      PX_T("Constat", "Finding")};
	derog_list l = {0};
	if (node_listing_begin(n, &l.out, 4, hdr) != PX_OK)
		return node_store_fail(n, PX_ENOMEM);
	px_txn *txn = NULL;
	px_err err = px_txn_begin(n->st, false, &txn);
	if (err == PX_OK)
		err = px_scan(txn, n->db.config, DEROG_PREFIX, strlen(DEROG_PREFIX), derog_scan, &l);
	px_txn_abort(txn);
	if (err != PX_OK) {
		node_listing_fini(&l.out);
		return node_store_fail(n, err);
	}
	node_listing_end(&l.out, NULL);
	if (!n->json)
		printf(PX_T("\n%zu dérogation(s).\n", "\n%zu derogation(s).\n"), l.out.count);
	return NODE_EXIT_OK;
}
