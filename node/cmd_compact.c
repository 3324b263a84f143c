/*
 * cmd_compact.c - compact: rewrites node.mdb without its free pages, so
 * that what an erasure (member remove) left in them leaves the file. An
 * erasure compacts by itself; when another process (praxis-node serve)
 * had the store open, the erasure leaves NODE_CFG_COMPACT_PENDING set and
 * serve compacts between two rounds, or this command does it.
 */
#define _GNU_SOURCE
#include "node.h"

#include <stdio.h>

static int cmd_compact(px_node *n, const node_args *a);
static const node_cmd compact_cmds[] = {
	{"compact", NULL, .run = cmd_compact, .usage = "compact [--json]",
	 "Compacte la base : les octets des données effacées quittent le fichier (fait de lui-même par "
	 "« member remove », sauf quand praxis-node serve tient la base).",
	 "Compacts the store: the bytes of erased data leave the file (done by `member remove` itself, "
	 "except while praxis-node serve holds the store)."},
	{0},
};
NODE_COMMANDS(compact_cmds)

static int
cmd_compact(px_node *n, const node_args *a)
{
	(void)a;
	px_err err = node_compact(n, false);
	if (err == PX_EPRECOND)
		return node_fail(n, err, "%s",
		                 PX_T("la base est ouverte par un autre processus (praxis-node serve ?) : il la "
		                      "compactera lui-même entre deux passages s'il reste un effacement à "
		                      "compacter ; sinon arrêtez-le et réessayez",
		                      "the store is open in another process (praxis-node serve?): it compacts "
		                      "it itself between two rounds if an erasure is still to compact; "
		                      "otherwise stop it and try again"));
	if (err != PX_OK)
		return node_store_fail(n, err);
	if (n->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddBoolToObject(j, "ok", true);
		node_json_print(j);
	} else {
		printf("%s\n", PX_T("Base compactée.", "Store compacted."));
	}
	return NODE_EXIT_OK;
}
