/*
 * rules.c - the community's plugin at change time (refuse errors, show
 * warnings at once) and in a full audit.
 *
 * The change is already written in the caller's open write transaction, so
 * the view read from that same transaction is the community as it would be
 * after the change; aborting the transaction undoes it.
 */
#define _GNU_SOURCE
#include "node.h"

#include <stdlib.h>
#include <string.h>

static __thread char rules_msg[2048];

const char *
node_finding_message(const node_finding *f)
{
	snprintf(rules_msg, sizeof rules_msg, PX_T("%s (%s) : %s", "%s (%s): %s"), f->rule_id,
	         node_severity_name(f->severity), PX_T(f->message_fr, f->message_en));
	return rules_msg;
}

static px_err
rules_run(px_node *n, px_txn *txn, uint64_t community, int32_t from, int32_t to, const pxp_change *change,
          node_findings *out, node_indicator_fn cb, void *arg)
{
	node_view *v = NULL;
	px_err err = node_view_build(n, txn, community, from, to, &v);
	if (err != PX_OK)
		return err;
	const Praxis__Community *rec = node_view_record(v);
	err = node_host_run(n, rec->framework, rec, node_view_community(v), change, out, cb, arg);
	node_view_free(v);
	return err;
}

px_err
node_check_change(px_node *n, px_txn *txn, uint64_t community, const pxp_change *change)
{
	node_findings f = {0};
	px_err err = rules_run(n, txn, community, 0, 0, change, &f, NULL, NULL);
	if (err != PX_OK) {
		node_findings_fini(&f);
		if (err == PX_EPLUGIN)
			node_fail(n, err, "%s", PX_T("les règles du cadre n'ont pas pu être vérifiées : modification refusée",
			                             "the framework's rules could not be checked: change refused"));
		return err == PX_EPLUGIN ? PX_EPRECOND : err;
	}
	if (f.plugin_missing) {
		Praxis__Community *c = NULL;
		if (node_community_get(n, txn, community, &c) == PX_OK) {
			node_warn(n, PX_T("le plugiciel « %s » n'est pas chargé : règles non vérifiées",
			                  "plugin '%s' is not loaded: rules not checked"),
			          c->framework);
			protobuf_c_message_free_unpacked(&c->base, NULL);
		}
	}
	size_t errors = 0;
	for (size_t i = 0; i < f.n; i++) {
		if (f.v[i].severity == PXP_ERROR)
			errors++;
		else if (f.v[i].severity == PXP_WARNING)
			node_warn(n, "%s", node_finding_message(&f.v[i]));
		else
			fprintf(stderr, "praxis-node : info : %s\n", node_finding_message(&f.v[i]));
	}
	if (errors > 0) {
		for (size_t i = 0; i < f.n; i++)
			if (f.v[i].severity == PXP_ERROR)
				node_fail(n, PX_EPRECOND, PX_T("refusé par la règle %s", "refused by rule %s"),
				          node_finding_message(&f.v[i]));
		err = PX_EPRECOND;
	}
	node_findings_fini(&f);
	return err;
}

px_err
node_audit(px_node *n, px_txn *txn, uint64_t community, int32_t period_start, int32_t period_end,
           node_findings *out)
{
	return rules_run(n, txn, community, period_start, period_end, NULL, out, NULL, NULL);
}

px_err
node_indicators(px_node *n, px_txn *txn, uint64_t community, int32_t period_start, int32_t period_end,
                node_indicator_fn cb, void *arg)
{
	node_findings f = {0};
	px_err err = rules_run(n, txn, community, period_start, period_end, NULL, &f, cb, arg);
	node_findings_fini(&f);
	return err;
}
