/*
 * px_plugin_params.c - parameter parsing for rule plugins.
 *
 * The two parsers are pure (no allocation, no global state, no locale) so
 * they can be fuzzed and used on untrusted text from a node config or a
 * community record.
 */
#define _DEFAULT_SOURCE
#include "px_plugin_host.h"
#include "px_plugin_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void
pp_why(char *why, const char *fmt, ...) PX_PRINTF(2, 3);

static void
pp_why(char *why, const char *fmt, ...)
{
	if (why == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, PX_PLUGIN_WHY_MAX, fmt, ap);
	va_end(ap);
}

/* Decimal integer: optional sign, digits, nothing else; overflow refused. */
static bool
pp_parse_int(const char *t, int64_t *out)
{
	bool neg = false;
	if (*t == '+' || *t == '-')
		neg = *t++ == '-';
	if (*t == '\0')
		return false;
	uint64_t v = 0;
	uint64_t lim = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
	for (; *t; t++) {
		if (*t < '0' || *t > '9')
			return false;
		unsigned dgt = (unsigned)(*t - '0');
		if (v > (lim - dgt) / 10u)
			return false;
		v = v * 10u + dgt;
	}
	/* -(2^63) is representable: compute through the unsigned value. */
	*out = neg ? (int64_t)(0u - v) : (int64_t)v;
	return true;
}

/* Decimal number [+-]digits[.digits][(e|E)[+-]digits], parsed without
 * strtod because strtod follows LC_NUMERIC (a French locale wants "2,5"). */
static bool
pp_parse_double(const char *t, double *out)
{
	bool neg = false;
	if (*t == '+' || *t == '-')
		neg = *t++ == '-';
	double mant = 0;
	int digits = 0, frac = 0, sig = 0, dropped = 0;
	for (; *t >= '0' && *t <= '9'; t++, digits++) {
		if (sig < 17) {
			mant = mant * 10 + (*t - '0');
			if (mant > 0)
				sig++;
		} else {
			dropped++;
		}
	}
	if (*t == '.') {
		t++;
		for (; *t >= '0' && *t <= '9'; t++, digits++) {
			if (sig < 17) {
				mant = mant * 10 + (*t - '0');
				frac++;
				if (mant > 0)
					sig++;
			}
		}
	}
	if (digits == 0)
		return false;
	long ex = 0;
	if (*t == 'e' || *t == 'E') {
		t++;
		bool eneg = false;
		if (*t == '+' || *t == '-')
			eneg = *t++ == '-';
		if (*t < '0' || *t > '9')
			return false;
		for (; *t >= '0' && *t <= '9'; t++)
			if (ex < 100000)
				ex = ex * 10 + (*t - '0');
		if (eneg)
			ex = -ex;
	}
	if (*t != '\0')
		return false;
	ex += dropped - frac;
	if (ex > 400 || ex < -400) {
		if (mant == 0) {
			*out = neg ? -0.0 : 0.0;
			return true;
		}
		if (ex > 0)
			return false; /* infinite */
		*out = 0;
		return true;
	}
	/* Dividing by an exact power of ten rounds once; good to the last bit
	 * for the short values parameters have ("2.5", "0.75"). */
	double p = 1;
	for (long k = ex < 0 ? -ex : ex; k > 0; k--)
		p *= 10;
	double v = ex < 0 ? mant / p : mant * p;
	if (!isfinite(v))
		return false;
	*out = neg ? -v : v;
	return true;
}

static bool
pp_parse_bool(const char *t, bool *out)
{
	static const char *const yes[] = {"true", "yes", "oui", "vrai", "on", "1"};
	static const char *const no[] = {"false", "no", "non", "faux", "off", "0"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(t, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(t, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* Valid UTF-8 without control characters. */
bool
pxi_text_ok(const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0;
	while (*u) {
		if (++n > max)
			return false;
		unsigned c = *u;
		int more;
		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80)
			more = 0;
		else if (c >= 0xc2 && c <= 0xdf)
			more = 1;
		else if (c >= 0xe0 && c <= 0xef)
			more = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			more = 3;
		else
			return false;
		unsigned cp = more == 0 ? c : more == 1 ? (c & 0x1f) : more == 2 ? (c & 0x0f) : (c & 0x07);
		u++;
		for (int k = 0; k < more; k++, u++) {
			if ((*u & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (*u & 0x3f);
			n++;
		}
		if ((more == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (more == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
	}
	return n <= max;
}

const char *
pxi_type_name(pxp_param_type t)
{
	switch (t) {
	case PXP_PARAM_INT: return PX_T("entier", "integer");
	case PXP_PARAM_DOUBLE: return PX_T("nombre", "number");
	case PXP_PARAM_BOOL: return PX_T("booléen", "boolean");
	case PXP_PARAM_STRING: return PX_T("texte", "string");
	}
	return "?";
}

px_err
px_plugin_param_parse(const pxp_param *decl, const char *text, px_plugin_value *out, char *why)
{
	if (why)
		why[0] = '\0';
	if (decl == NULL || decl->name == NULL || text == NULL || out == NULL) {
		pp_why(why, "%s", PX_T("paramètre ou valeur absent", "missing parameter or value"));
		return PX_EINVAL;
	}
	px_plugin_value v;
	memset(&v, 0, sizeof(v));
	v.type = decl->type;
	bool ranged = decl->min != decl->max;
	switch (decl->type) {
	case PXP_PARAM_INT:
		if (!pp_parse_int(text, &v.i))
			goto bad_type;
		v.d = (double)v.i;
		if (ranged && (v.d < decl->min || v.d > decl->max))
			goto bad_range;
		snprintf(v.s, sizeof(v.s), "%lld", (long long)v.i);
		break;
	case PXP_PARAM_DOUBLE:
		if (strlen(text) > 64 || !pp_parse_double(text, &v.d))
			goto bad_type;
		if (ranged && (v.d < decl->min || v.d > decl->max))
			goto bad_range;
		px_strlcpy(v.s, text, sizeof(v.s));
		break;
	case PXP_PARAM_BOOL:
		if (!pp_parse_bool(text, &v.b))
			goto bad_type;
		px_strlcpy(v.s, v.b ? "true" : "false", sizeof(v.s));
		break;
	case PXP_PARAM_STRING:
		if (!pxi_text_ok(text, PX_PLUGIN_STR_MAX)) {
			pp_why(why,
			       PX_T("paramètre « %s » : texte invalide (plus de %d octets, UTF-8 invalide "
			            "ou caractère de contrôle)",
			            "parameter \"%s\": invalid text (over %d bytes, invalid UTF-8 or "
			            "control character)"),
			       decl->name, PX_PLUGIN_STR_MAX);
			return PX_EINVAL;
		}
		px_strlcpy(v.s, text, sizeof(v.s));
		break;
	default:
		pp_why(why, PX_T("paramètre « %s » : type %d inconnu", "parameter \"%s\": unknown type %d"),
		       decl->name, (int)decl->type);
		return PX_EINVAL;
	}
	*out = v;
	return PX_OK;
bad_type:
	pp_why(why,
	       PX_T("paramètre « %s » : « %.64s » n'est pas un %s valide",
	            "parameter \"%s\": \"%.64s\" is not a valid %s"),
	       decl->name, text, pxi_type_name(decl->type));
	return PX_EINVAL;
bad_range:
	pp_why(why,
	       PX_T("paramètre « %s » : %.64s hors de l'intervalle [%g, %g]",
	            "parameter \"%s\": %.64s is outside [%g, %g]"),
	       decl->name, text, decl->min, decl->max);
	return PX_EINVAL;
}

px_err
px_plugin_assignment_parse(const pxp_param *table, const char *assignment, size_t *index,
                           px_plugin_value *out, char *why)
{
	if (why)
		why[0] = '\0';
	if (table == NULL || assignment == NULL || index == NULL || out == NULL) {
		pp_why(why, "%s", PX_T("aucun paramètre déclaré", "no parameter declared"));
		return PX_EINVAL;
	}
	const char *eq = strchr(assignment, '=');
	if (eq == NULL) {
		pp_why(why,
		       PX_T("« %.64s » : nom=valeur attendu", "\"%.64s\": name=value expected"),
		       assignment);
		return PX_EINVAL;
	}
	/* Trim spaces around the name and the value, in local copies. */
	const char *ns = assignment, *ne = eq;
	while (ns < ne && isspace((unsigned char)*ns))
		ns++;
	while (ne > ns && isspace((unsigned char)ne[-1]))
		ne--;
	const char *vs = eq + 1, *ve = vs + strlen(vs);
	while (vs < ve && isspace((unsigned char)*vs))
		vs++;
	while (ve > vs && isspace((unsigned char)ve[-1]))
		ve--;
	char name[65], value[PX_PLUGIN_STR_MAX + 2];
	size_t nl = (size_t)(ne - ns), vl = (size_t)(ve - vs);
	if (nl == 0 || nl >= sizeof(name)) {
		pp_why(why, PX_T("« %.64s » : nom de paramètre invalide", "\"%.64s\": invalid parameter name"),
		       assignment);
		return PX_EINVAL;
	}
	memcpy(name, ns, nl);
	name[nl] = '\0';
	if (vl >= sizeof(value))
		vl = sizeof(value) - 1; /* too long anyway: the parser refuses it */
	memcpy(value, vs, vl);
	value[vl] = '\0';
	for (size_t i = 0; i < 1024 && table[i].name != NULL; i++) {
		if (strcmp(table[i].name, name) == 0) {
			px_err rv = px_plugin_param_parse(&table[i], value, out, why);
			if (rv == PX_OK)
				*index = i;
			return rv;
		}
	}
	pp_why(why, PX_T("paramètre inconnu « %s »", "unknown parameter \"%s\""), name);
	return PX_EINVAL;
}

/* ---------------------------------------------------------- the value set */

struct px_plugin_params {
	const px_plugin *p;
	size_t n;
	px_plugin_value *v;
};

px_err
px_plugin_params_alloc(const px_plugin *p, px_plugin_params **out)
{
	*out = NULL;
	if (p == NULL)
		return PX_EINVAL;
	px_plugin_params *prm = calloc(1, sizeof(*prm));
	if (prm == NULL)
		return PX_ENOMEM;
	prm->p = p;
	prm->n = px_plugin_param_count(p);
	prm->v = calloc(prm->n ? prm->n : 1, sizeof(*prm->v));
	if (prm->v == NULL) {
		free(prm);
		return PX_ENOMEM;
	}
	const pxp_param *t = px_plugin_descriptor(p)->params;
	for (size_t i = 0; i < prm->n; i++) {
		/* The loader already parsed every default; this cannot fail. */
		if (px_plugin_param_parse(&t[i], t[i].default_value, &prm->v[i], NULL) != PX_OK) {
			px_plugin_params_free(prm);
			return PX_EINTERNAL;
		}
	}
	*out = prm;
	return PX_OK;
}

void
px_plugin_params_free(px_plugin_params *prm)
{
	if (prm == NULL)
		return;
	free(prm->v);
	free(prm);
}

px_err
px_plugin_params_set(px_plugin_params *prm, const char *assignment, char *why)
{
	if (prm == NULL)
		return PX_EINVAL;
	size_t i;
	px_plugin_value v;
	const pxp_param *t = px_plugin_descriptor(prm->p)->params;
	if (prm->n == 0) {
		if (why)
			snprintf(why, PX_PLUGIN_WHY_MAX,
			         PX_T("le plugin %s ne déclare aucun paramètre (« %.64s »)",
			              "plugin %s declares no parameter (\"%.64s\")"),
			         px_plugin_name(prm->p), assignment ? assignment : "");
		return PX_EINVAL;
	}
	px_err rv = px_plugin_assignment_parse(t, assignment, &i, &v, why);
	if (rv != PX_OK)
		return rv;
	prm->v[i] = v;
	return PX_OK;
}

px_err
px_plugin_params_set_all(px_plugin_params *prm, const char *const *assignments, size_t n, char *why)
{
	for (size_t i = 0; i < n; i++) {
		px_err rv = px_plugin_params_set(prm, assignments[i], why);
		if (rv != PX_OK)
			return rv;
	}
	return PX_OK;
}

const px_plugin_value *
px_plugin_params_get(const px_plugin_params *prm, const char *name)
{
	if (prm == NULL || name == NULL)
		return NULL;
	const pxp_param *t = px_plugin_descriptor(prm->p)->params;
	for (size_t i = 0; i < prm->n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &prm->v[i];
	return NULL;
}

const px_plugin *
pxi_params_plugin(const px_plugin_params *prm)
{
	return prm->p;
}
