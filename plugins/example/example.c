/*
 * example.c - the smallest useful Praxis rule plugin. Copy this file to
 * start your own framework's plugin.
 *
 * It implements one rule, EX-1: "a community meets at least min_meetings
 * times in the audited period", with a parameter so each node (or each
 * community) can change the number without rebuilding the plugin.
 *
 * Build it outside the Praxis tree, from the installed SDK:
 *   cc -shared -fPIC $(pkg-config --cflags praxis-plugin) -o example.so example.c
 * then put example.so in a directory listed in PRAXIS_PLUGIN_PATH and run
 *   praxis-node plugin list
 * A community whose framework is "example" is audited by it.
 */
#include <praxis/plugin.h> /* the whole SDK: one header, no library to link */

#include <stdio.h>

/*
 * The audit hook: called with a read-only view of one community. Never
 * keep a pointer into the view after returning, never write to it. Report
 * through host->emit: the host copies what you give it, so stack buffers
 * are fine. Every message exists in French and English.
 */
static void
ex_audit(const pxp_host *host, void *sink, const pxp_community *c)
{
	/* Parameters come already parsed and range-checked by the host. */
	int64_t min = host->param_int(sink, "min_meetings");
	int64_t held = 0;
	for (size_t i = 0; i < c->n_meetings; i++) {
		int32_t d = c->meetings[i].date;
		/* 0 bounds mean "open": an audit without a period sees everything. */
		if ((c->period_start == 0 || d >= c->period_start) && (c->period_end == 0 || d <= c->period_end))
			held++;
	}
	if (held >= min)
		return; /* compliant: emit nothing */
	char fr[200], en[200];
	snprintf(fr, sizeof(fr), "%lld rencontre(s) pendant la période, %lld attendue(s) au moins",
	         (long long)held, (long long)min);
	snprintf(en, sizeof(en), "%lld meeting(s) in the period, at least %lld expected", (long long)held,
	         (long long)min);
	pxp_finding f = {
		.rule_id = "EX-1",          /* must be declared in the rule table below */
		.severity = PXP_WARNING,
		.message_fr = fr,
		.message_en = en,
		/* Subjects: which member, meeting or month the finding is about
		 * (0 = none). The node uses them to show change-time findings. */
		.member_id = 0, .meeting_id = 0, .month = 0,
	};
	host->emit(sink, &f);
}

/* Optional: numbers for the community report. population is the number
 * of people behind the value; the host hides values over too few people. */
static void
ex_indicators(const pxp_host *host, void *sink, const pxp_community *c)
{
	host->indicator(sink, "ex_meetings", (double)c->n_meetings, 0);
}

/* Parameters: name, type, default (as text), descriptions, range. The host
 * refuses an override of the wrong type or outside [min, max]. */
static const pxp_param ex_params[] = {
	{"min_meetings", PXP_PARAM_INT, "1", "Rencontres attendues au moins pendant la période",
	 "Meetings expected at least in the period", 0, 1000},
	{0}, /* a NULL name ends the table */
};

/* Every rule id the plugin may emit, with its usual severity and titles. */
static const pxp_rule ex_rules[] = {
	{"EX-1", PXP_WARNING, "La communauté se rencontre", "The community meets"},
	{0},
};

static const pxp_indicator_decl ex_indicator_decls[] = {
	{"ex_meetings", "Rencontres", "Meetings"},
	{0},
};

/* Hooks you do not need stay NULL; audit is required. With no
 * check_change hook, the host runs audit for a change and keeps the
 * findings about the change's member, meeting or month. */
static const pxp_hooks ex_hooks = {
	.size = sizeof(pxp_hooks),
	.audit = ex_audit,
	.check_change = NULL,
	.indicators = ex_indicators,
	.calendar = NULL,
};

/* The name is what a community's framework field must say. */
static const pxp_descriptor ex_descriptor = PXP_DESCRIPTOR_INIT(
	"example", "Exemple : rencontres minimales", "Example: minimum meetings", "1.0.0", ex_params,
	ex_rules, ex_indicator_decls, &ex_hooks);

/* Exports praxis_plugin_v1(), the only symbol the host looks up. */
PXP_ENTRY(&ex_descriptor)
