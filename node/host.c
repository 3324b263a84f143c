/*
 * host.c - the node's use of the plugin host (src/plugin/px_plugin_host.h):
 * search path from the config, parameter overrides (node config, then the
 * community's own), running hooks and copying findings out.
 */
#define _GNU_SOURCE
#include "node.h"
#include "px_plugin_host.h"

#include <stdlib.h>
#include <string.h>

#ifndef PX_BUILD_PLUGIN_DIR
#define PX_BUILD_PLUGIN_DIR NULL
#endif

struct node_host {
	px_plugin_host *h;
	char *path;
};

void node_host_free(node_host *h);

void
node_host_free(node_host *h)
{
	if (h == NULL)
		return;
	px_plugin_host_close(h->h);
	free(h->path);
	free(h);
}

node_host *
node_host_get(px_node *n)
{
	if (n->host != NULL)
		return n->host;
	node_host *nh = calloc(1, sizeof *nh);
	if (nh == NULL)
		return NULL;
	/* The config's directories come first, then PRAXIS_PLUGIN_PATH. */
	const char *env = getenv("PRAXIS_PLUGIN_PATH");
	if (n->cfg.plugin_path != NULL) {
		if (asprintf(&nh->path, "%s%s%s", n->cfg.plugin_path, env != NULL && *env ? ":" : "",
		             env != NULL ? env : "") < 0)
			nh->path = NULL;
	}
	px_plugin_host_opts o = {
		.path = nh->path,
		.ignore_env = false,
		.build_dir = PX_BUILD_PLUGIN_DIR,
		.prefix = NULL,
	};
	px_err err = px_plugin_host_open(&o, &nh->h);
	if (err != PX_OK) {
		node_fail(n, err, "%s", PX_T("impossible de charger les plugiciels de règles",
		                             "cannot load the rule plugins"));
		node_host_free(nh);
		return NULL;
	}
	n->host = nh;
	return nh;
}

struct px_plugin_host *
node_plugins(px_node *n)
{
	node_host *h = node_host_get(n);
	return h != NULL ? h->h : NULL;
}

bool
node_plugin_exists(px_node *n, const char *name)
{
	node_host *h = node_host_get(n);
	return h != NULL && px_plugin_host_find(h->h, name) != NULL;
}

void
node_findings_fini(node_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].message_fr);
		free(f->v[i].message_en);
	}
	free(f->v);
	memset(f, 0, sizeof *f);
}

static px_err
host_add(node_findings *out, const px_plugin_finding *pf)
{
	if (node_reserve((void **)&out->v, out->n, &out->cap, sizeof *out->v) != PX_OK)
		return PX_ENOMEM;
	node_finding *f = &out->v[out->n];
	memset(f, 0, sizeof *f);
	px_strlcpy(f->rule_id, pf->rule_id != NULL ? pf->rule_id : "?", sizeof f->rule_id);
	f->severity = pf->severity;
	f->message_fr = strdup(pf->message_fr != NULL ? pf->message_fr : "");
	f->message_en = strdup(pf->message_en != NULL ? pf->message_en : "");
	if (f->message_fr == NULL || f->message_en == NULL) {
		free(f->message_fr);
		free(f->message_en);
		return PX_ENOMEM;
	}
	f->member_id = pf->member_id;
	f->meeting_id = pf->meeting_id;
	f->month = pf->month;
	out->n++;
	return PX_OK;
}

/* Node config overrides first, then the community's, so the community's win. */
static px_err
host_params(px_node *n, const px_plugin *p, const Praxis__Community *rec, px_plugin_params **out)
{
	px_plugin_params *prm = NULL;
	px_err err = px_plugin_params_alloc(p, &prm);
	if (err != PX_OK)
		return err;
	char why[PX_PLUGIN_WHY_MAX];
	const char *pname = px_plugin_name(p);
	for (size_t i = 0; i < n->cfg.n_params; i++) {
		const node_param *np = &n->cfg.params[i];
		if (strcmp(np->plugin, pname) != 0)
			continue;
		char *a = NULL;
		if (asprintf(&a, "%s=%s", np->name, np->value) < 0) {
			px_plugin_params_free(prm);
			return PX_ENOMEM;
		}
		why[0] = '\0';
		err = px_plugin_params_set(prm, a, why);
		free(a);
		if (err != PX_OK) {
			node_fail(n, err, PX_T("%s, [plugin.%s] : %s", "%s, [plugin.%s]: %s"), NODE_CONFIG_FILE,
			          pname, why);
			px_plugin_params_free(prm);
			return err;
		}
	}
	for (size_t i = 0; rec != NULL && i < rec->n_params; i++) {
		why[0] = '\0';
		if ((err = px_plugin_params_set(prm, rec->params[i], why)) != PX_OK) {
			node_fail(n, err, PX_T("paramètre de la communauté « %s » : %s",
			                       "community parameter '%s': %s"),
			          rec->params[i], why);
			px_plugin_params_free(prm);
			return err;
		}
	}
	*out = prm;
	return PX_OK;
}

px_err
node_host_run(px_node *n, const char *framework, const Praxis__Community *rec, const pxp_community *c,
              const pxp_change *change, node_findings *out, node_indicator_fn ind_cb, void *ind_arg)
{
	node_host *h = node_host_get(n);
	if (h == NULL)
		return PX_EPLUGIN;
	const px_plugin *p = px_plugin_host_find(h->h, framework);
	if (p == NULL) {
		out->plugin_missing = true;
		return PX_OK;
	}
	px_plugin_params *prm = NULL;
	px_err err = host_params(n, p, rec, &prm);
	if (err != PX_OK)
		return err;
	px_plugin_result res;
	if (change != NULL)
		err = px_plugin_check_change(p, prm, c, change, NULL, &res);
	else if (ind_cb != NULL)
		err = px_plugin_indicators(p, prm, c, NULL, &res);
	else
		err = px_plugin_audit(p, prm, c, NULL, &res);
	/* PX_EPLUGIN comes with a synthetic error finding: keep it, so a
	 * community whose plugin failed is never seen as compliant. */
	if (err == PX_OK || err == PX_EPLUGIN) {
		err = PX_OK;
		for (size_t i = 0; i < res.n_findings && err == PX_OK; i++)
			err = host_add(out, &res.findings[i]);
		for (size_t i = 0; ind_cb != NULL && i < res.n_indicators; i++)
			ind_cb(ind_arg, res.indicators[i].name, res.indicators[i].value, res.indicators[i].population);
	}
	px_plugin_result_fini(&res);
	px_plugin_params_free(prm);
	return err;
}

const char *
node_severity_name(pxp_severity s)
{
	return px_plugin_severity_name(s);
}

px_err
node_report_figures(px_node *n, const Praxis__Community *rec, const pxp_community *c, int32_t first,
                    int32_t last, uint32_t *expected, double *hours_cap)
{
	*expected = 0;
	*hours_cap = 0;
	node_host *h = node_host_get(n);
	if (h == NULL)
		return PX_EPLUGIN;
	const px_plugin *p = px_plugin_host_find(h->h, rec->framework);
	if (p == NULL)
		return PX_OK;
	px_plugin_params *prm = NULL;
	px_err err = host_params(n, p, rec, &prm);
	if (err != PX_OK)
		return err;
	for (int year = first / 10000; err == PX_OK && year <= last / 10000; year++) {
		px_plugin_result res;
		err = px_plugin_calendar(p, prm, c, year, NULL, &res);
		for (size_t i = 0; err == PX_OK && i < res.n_expected; i++)
			if (res.expected[i].date >= first && res.expected[i].date <= last)
				(*expected)++;
		px_plugin_result_fini(&res);
	}
	/* A yearly cap means something only over whole years. */
	const px_plugin_value *cap = px_plugin_params_get(prm, "annual_hours_cap");
	if (err == PX_OK && cap != NULL && first % 10000 == 101 && last % 10000 == 1231)
		*hours_cap = cap->d * (last / 10000 - first / 10000 + 1);
	px_plugin_params_free(prm);
	return err;
}
