/*
 * fuzz_plugin_params.c - the plugin parameter parsers of
 * src/plugin/px_plugin_params.c, fed what a node config or a community's
 * params line holds ("name=value"). The table declares every type, with
 * and without a range, like a real plugin (the 24 h cap of CIS-3...).
 * Properties checked besides "no crash": a value that parses lies in its
 * declared range, its canonical text parses again to the same value, and
 * a refusal always says why.
 */
#include "px_plugin_host.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const pxp_param pxf_table[] = {
	{"hours_year_max", PXP_PARAM_INT, "24", "Heures par an", "Hours a year", 0, 10000},
	{"offset", PXP_PARAM_INT, "0", "Décalage", "Offset", 0, 0},
	{"rate", PXP_PARAM_DOUBLE, "0.5", "Taux", "Rate", 0, 1},
	{"scale", PXP_PARAM_DOUBLE, "1", "Échelle", "Scale", 0, 0},
	{"strict", PXP_PARAM_BOOL, "true", "Strict", "Strict", 0, 0},
	{"label", PXP_PARAM_STRING, "", "Libellé", "Label", 0, 0},
	{NULL, 0, NULL, NULL, NULL, 0, 0},
};

static void
pxf_check(const pxp_param *decl, const px_plugin_value *v)
{
	if (v->type != decl->type)
		abort();
	if (memchr(v->s, '\0', sizeof v->s) == NULL)
		abort();
	if (decl->type == PXP_PARAM_INT || decl->type == PXP_PARAM_DOUBLE) {
		double x = decl->type == PXP_PARAM_INT ? (double)v->i : v->d;
		if (!isfinite(x))
			abort();
		if (decl->min != decl->max && (x < decl->min || x > decl->max))
			abort();
	}
	/* The canonical text is what --help and the node's config show: it
	 * must read back as the same value. */
	px_plugin_value again;
	char why[PX_PLUGIN_WHY_MAX];
	if (px_plugin_param_parse(decl, v->s, &again, why) != PX_OK)
		abort();
	switch (decl->type) {
	case PXP_PARAM_INT:
		if (again.i != v->i)
			abort();
		break;
	case PXP_PARAM_DOUBLE:
		if (again.d != v->d)
			abort();
		break;
	case PXP_PARAM_BOOL:
		if (again.b != v->b)
			abort();
		break;
	default:
		if (strcmp(again.s, v->s) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	/* The parsers take C strings: the first byte picks the call, the
	 * rest becomes a NUL-terminated copy (inner NULs cut it, as in C). */
	char *text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	char why[PX_PLUGIN_WHY_MAX];
	px_plugin_value v;
	uint8_t sel = data[0];
	size_t nparams = sizeof pxf_table / sizeof pxf_table[0] - 1;

	why[0] = '\0';
	if (sel < 128) {
		size_t idx = 99;
		if (px_plugin_assignment_parse(pxf_table, text, &idx, &v, why) == PX_OK) {
			if (idx >= nparams)
				abort();
			pxf_check(&pxf_table[idx], &v);
		} else if (why[0] == '\0' || memchr(why, '\0', sizeof why) == NULL) {
			abort();
		}
	} else {
		const pxp_param *decl = &pxf_table[sel % nparams];
		if (px_plugin_param_parse(decl, text, &v, why) == PX_OK)
			pxf_check(decl, &v);
		else if (why[0] == '\0' || memchr(why, '\0', sizeof why) == NULL)
			abort();
	}
	free(text);
	return 0;
}
