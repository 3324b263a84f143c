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

/* Does the finding name the change's member or meeting? */
static bool
rules_about_change(const node_finding *f, const pxp_change *ch)
{
	if (ch->member_id != 0 && f->member_id == ch->member_id)
		return true;
	if (ch->meeting_id != 0 && f->meeting_id == ch->meeting_id)
		return true;
	return false;
}

static bool
rules_has_rule(const node_findings *f, const char *rule)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].severity == PXP_ERROR && f->v[i].member_id == 0 && f->v[i].meeting_id == 0 &&
		    strcmp(f->v[i].rule_id, rule) == 0)
			return true;
	return false;
}

/* Was the same error, about the same member and meeting, there before? */
static bool
rules_had(const node_findings *before, const node_finding *x)
{
	for (size_t i = 0; i < before->n; i++) {
		const node_finding *b = &before->v[i];
		if (b->severity == x->severity && b->member_id == x->member_id && b->meeting_id == x->meeting_id &&
		    strcmp(b->rule_id, x->rule_id) == 0)
			return true;
	}
	return false;
}

px_err
node_check_change(px_node *n, px_txn *txn, uint64_t community, const pxp_change *change)
{
	node_findings f = {0}, before = {0};
	node_view *v = NULL;
	px_err err = node_view_build(n, txn, community, 0, 0, &v);
	if (err != PX_OK)
		return err;
	/* The default period is the plan's, else the current year. A change
	 * dated in another month (hours of last year, a meeting of 2025) is
	 * checked over that month's calendar year, or its findings would fall
	 * outside the view. */
	if (change->month != 0) {
		const pxp_community *c0 = node_view_community(v);
		int32_t day = change->month * 100 + 1;
		if (day < c0->period_start || day > c0->period_end) {
			node_view_free(v);
			v = NULL;
			int32_t y = change->month / 100;
			if ((err = node_view_build(n, txn, community, y * 10000 + 101, y * 10000 + 1231, &v)) != PX_OK)
				return err;
		}
	}
	const Praxis__Community *rec = node_view_record(v);
	err = node_host_run(n, rec->framework, rec, node_view_community(v), change, &f, NULL, NULL);
	/* A status change is compared with the community without that member:
	 * what matters is what her new status adds (e.g. the 15th active
	 * member of a Brusano group). */
	bool additive = change->kind == PXP_CHANGE_MEMBER_ADD || change->kind == PXP_CHANGE_MEMBER_STATUS ||
	                change->kind == PXP_CHANGE_MEETING_ADD;
	bool need_before = false;
	for (size_t i = 0; err == PX_OK && i < f.n; i++)
		if (f.v[i].severity == PXP_ERROR && f.v[i].member_id == 0 && f.v[i].meeting_id == 0)
			need_before = additive;
	/* An attendance or hours change is compared with the community without
	 * it: an error about her that was already there (a member let in by
	 * derogation, LAU-1) must not stop her RSVP; one this change creates
	 * (her 25th CISSS hour, CIS-3) does. */
	bool undoable = change->kind == PXP_CHANGE_ATTENDANCE || change->kind == PXP_CHANGE_HOURS;
	bool need_undo = false;
	for (size_t i = 0; err == PX_OK && undoable && i < f.n; i++)
		if (f.v[i].severity == PXP_ERROR && rules_about_change(&f.v[i], change))
			need_undo = true;
	if (err == PX_OK && need_before) {
		/* The same community without the new member or meeting. */
		node_view_drop(v, change->kind != PXP_CHANGE_MEETING_ADD ? change->member_id : 0,
		               change->kind == PXP_CHANGE_MEETING_ADD ? change->meeting_id : 0);
		err = node_host_run(n, rec->framework, rec, node_view_community(v), NULL, &before, NULL, NULL);
	} else if (err == PX_OK && need_undo) {
		node_view_drop_change(v, change);
		err = node_host_run(n, rec->framework, rec, node_view_community(v), NULL, &before, NULL, NULL);
	}
	if (err != PX_OK) {
		node_findings_fini(&f);
		node_findings_fini(&before);
		node_view_free(v);
		if (err == PX_EPLUGIN)
			node_fail(n, err, "%s", PX_T("les règles du cadre n'ont pas pu être vérifiées : modification refusée",
			                             "the framework's rules could not be checked: change refused"));
		return err == PX_EPLUGIN ? PX_EPRECOND : err;
	}
	if (f.plugin_missing)
		node_warn(n, PX_T("le plugiciel « %s » n'est pas chargé : règles non vérifiées",
		                  "plugin '%s' is not loaded: rules not checked"),
		          rec->framework);
	size_t refusing = 0;
	bool *refuse = calloc(f.n + 1, sizeof *refuse);
	if (refuse == NULL) {
		node_findings_fini(&f);
		node_findings_fini(&before);
		node_view_free(v);
		return PX_ENOMEM;
	}
	for (size_t i = 0; i < f.n; i++) {
		node_finding *x = &f.v[i];
		if (x->severity != PXP_ERROR || change->kind == PXP_CHANGE_COMMUNITY)
			continue;
		/* The synthetic failure of a plugin that could not run refuses too. */
		if (need_undo && rules_had(&before, x))
			continue;
		if (rules_about_change(x, change) || strcmp(x->rule_id, "PLUGIN") == 0 ||
		    (need_before && x->member_id == 0 && x->meeting_id == 0 && !rules_has_rule(&before, x->rule_id))) {
			refuse[i] = true;
			refusing++;
		}
	}
	for (size_t i = 0; i < f.n; i++) {
		node_finding *x = &f.v[i];
		if (refuse[i])
			continue;
		if (x->severity == PXP_ERROR && change->kind == PXP_CHANGE_COMMUNITY)
			node_warn(n, PX_T("%s (à corriger)", "%s (to be fixed)"), node_finding_message(x));
		else if (x->severity == PXP_ERROR)
			node_warn(n, PX_T("%s (déjà le cas avant cette modification)", "%s (already the case before this change)"),
			          node_finding_message(x));
		else if (x->severity == PXP_WARNING)
			node_warn(n, "%s", node_finding_message(x));
		else
			fprintf(stderr, "praxis-node : info : %s\n", node_finding_message(x));
	}
	/* A coordinator may record a fact that breaks a rule (she did attend;
	 * the director is away and will sign later) by giving a reason: the
	 * change is kept, the derogation is logged in the store, and the
	 * finding stays in every audit until the data complies. A plugin that
	 * could not run is never overridden. */
	if (refusing > 0 && n->override_reason != NULL && n->override_reason[0] != '\0') {
		bool plugin_failed = false;
		for (size_t i = 0; i < f.n; i++)
			if (refuse[i] && strcmp(f.v[i].rule_id, "PLUGIN") == 0)
				plugin_failed = true;
		for (size_t i = 0; !plugin_failed && err == PX_OK && i < f.n; i++) {
			if (!refuse[i])
				continue;
			char key[96], *val = NULL;
			snprintf(key, sizeof key, "derogation.%lld.%zu", (long long)px_now_ms(), i);
			if (asprintf(&val, "%s\t%d\t%s\t%s\t%s", f.v[i].rule_id, (int)px_date_today(),
			             n->override_reason, f.v[i].message_fr, f.v[i].message_en) < 0)
				err = PX_ENOMEM;
			else
				err = node_cfg_put(n, txn, key, val);
			free(val);
			node_warn(n, PX_T("%s — enregistré par dérogation : %s", "%s — recorded as a derogation: %s"),
			          node_finding_message(&f.v[i]), n->override_reason);
		}
		if (!plugin_failed) {
			free(refuse);
			node_findings_fini(&f);
			node_findings_fini(&before);
			node_view_free(v);
			return err;
		}
	}
	for (size_t i = 0; i < f.n; i++)
		if (refuse[i])
			node_fail(n, PX_EPRECOND, PX_T("refusé par la règle %s", "refused by rule %s"), node_finding_message(&f.v[i]));
	if (refusing > 0)
		node_warn(n, "%s", PX_T("pour l'enregistrer quand même, relancez avec --override \"RAISON\"",
		                        "to record it anyway, run again with --override \"REASON\""));
	free(refuse);
	node_findings_fini(&f);
	node_findings_fini(&before);
	node_view_free(v);
	return refusing > 0 ? PX_EPRECOND : PX_OK;
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
