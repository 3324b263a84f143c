/*
 * render.c - what a hub_result looks like: terminal table, CSV for a
 * French Excel, JSON, and the labels of ids through the plugins.
 */
#define _GNU_SOURCE
#include "hub.h"
#include "hub_render.h"
#include "px_plugin_host.h"
#include "px_report.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- labels */

/* Labels of the indicators every report carries (src/report); plugin
 * indicators are labelled by their plugin. */
static const struct {
	const char *name, *fr, *en;
} hub_core_labels[] = {
#include "hub_labels.inc"
	{NULL, NULL, NULL},
};

static const px_plugin *
hub_plugin(hub *h, const char *framework)
{
	if (h == NULL || h->plugins == NULL || framework == NULL)
		return NULL;
	return px_plugin_host_find(h->plugins, framework);
}

const char *
hub_label_framework(hub *h, const char *framework, bool en)
{
	const px_plugin *p = hub_plugin(h, framework);
	if (p == NULL)
		return framework;
	const pxp_descriptor *d = px_plugin_descriptor(p);
	const char *t = en ? d->title_en : d->title_fr;
	return t != NULL && t[0] ? t : framework;
}

const char *
hub_label_indicator(hub *h, const char *framework, const char *name, bool en)
{
	for (size_t i = 0; hub_core_labels[i].name != NULL; i++)
		if (strcmp(hub_core_labels[i].name, name) == 0)
			return en ? hub_core_labels[i].en : hub_core_labels[i].fr;
	/* Plugin indicators: the framework's plugin first, then any plugin
	 * (totals mix frameworks). */
	const px_plugin *p = hub_plugin(h, framework);
	size_t n = h != NULL && h->plugins != NULL ? px_plugin_host_count(h->plugins) : 0;
	for (size_t k = 0; k <= n; k++) {
		if (k > 0)
			p = px_plugin_host_get(h->plugins, k - 1);
		if (p == NULL)
			continue;
		const pxp_descriptor *d = px_plugin_descriptor(p);
		const char *nm = name;
		/* Reports may prefix plugin indicators with the framework ("laurentides.tools"). */
		size_t fl = strlen(d->name);
		if (strncmp(name, d->name, fl) == 0 && (name[fl] == '.' || name[fl] == ':'))
			nm = name + fl + 1;
		for (const pxp_indicator_decl *ind = d->indicators; ind != NULL && ind->name != NULL; ind++)
			if (strcmp(ind->name, nm) == 0)
				return en ? ind->label_en : ind->label_fr;
	}
	return name;
}

const char *
hub_label_rule(hub *h, const char *framework, const char *rule, bool en)
{
	const px_plugin *p = hub_plugin(h, framework);
	size_t n = h != NULL && h->plugins != NULL ? px_plugin_host_count(h->plugins) : 0;
	for (size_t k = 0; k <= n; k++) {
		if (k > 0)
			p = px_plugin_host_get(h->plugins, k - 1);
		if (p == NULL)
			continue;
		const pxp_rule *r = px_plugin_rule(p, rule);
		if (r != NULL)
			return en ? r->title_en : r->title_fr;
	}
	if (strcmp(rule, PX_PLUGIN_FAILURE_RULE) == 0)
		return en ? "the plugin could not run" : "le plugiciel n'a pas pu s'exécuter";
	return "";
}

const char *
hub_severity_name(int sev, bool en)
{
	switch (sev) {
	case 2: return en ? "error" : "erreur";
	case 1: return en ? "warning" : "avertissement";
	default: return "info";
	}
}

const char *
hub_severity_token(int sev)
{
	return sev == 2 ? "error" : sev == 1 ? "warning" : "info";
}

/* ------------------------------------------------------------ numbers */

void
hub_fmt_num(double v, bool comma, char *buf, size_t size)
{
	if (fabs(v - round(v)) < 1e-9 && fabs(v) < 1e15) {
		snprintf(buf, size, "%.0f", round(v));
		if (strcmp(buf, "-0") == 0)
			snprintf(buf, size, "0");
	} else {
		snprintf(buf, size, "%.2f", v);
		size_t n = strlen(buf);
		while (n > 0 && buf[n - 1] == '0')
			buf[--n] = '\0';
		if (n > 0 && buf[n - 1] == '.')
			buf[--n] = '\0';
	}
	if (comma)
		for (char *p = buf; *p; p++)
			if (*p == '.')
				*p = ',';
}

void
hub_fmt_cell(const hub_cell *c, bool comma, char *buf, size_t size)
{
	if (c == NULL || !c->present)
		snprintf(buf, size, "–");
	else if (c->suppressed)
		snprintf(buf, size, "<k");
	else {
		hub_fmt_num(c->value, comma, buf, size);
		/* A sum that leaves out small cells (fewer than k people in one
		 * community) is a lower bound: say so with "+". A mean over the
		 * published cells stays a mean. */
		size_t n = strlen(buf);
		if (c->withheld > 0 && !px_agg_is_mean(c->name) && n + 1 < size) {
			buf[n] = '+';
			buf[n + 1] = '\0';
		}
	}
}

const hub_cell *
hub_row_cell(const hub_row *r, const char *name)
{
	for (size_t i = 0; i < r->n_cells; i++)
		if (strcmp(r->cells[i].name, name) == 0)
			return &r->cells[i];
	return NULL;
}

/* --------------------------------------------------------------- text */

/* s cut to width code points and padded with spaces (left-aligned, or
 * right-aligned when right). */
static void
hub_pad(FILE *out, const char *s, size_t width, bool right)
{
	size_t w = 0, n = 0;
	while (s[n] && w < width) {
		n++;
		while (((unsigned char)s[n] & 0xC0) == 0x80)
			n++;
		w++;
	}
	if (right)
		for (size_t i = w; i < width; i++)
			fputc(' ', out);
	fwrite(s, 1, n, out);
	if (!right)
		for (size_t i = w; i < width; i++)
			fputc(' ', out);
}

static void
hub_text_group(hub *h, FILE *out, const char *title, const hub_row *rows, size_t n,
               const char *(*key)(const hub_row *), bool en)
{
	if (n == 0)
		return;
	fprintf(out, "\n%s\n", title);
	/* Indicator names: union over the rows, in first-seen order. */
	const char **names = calloc(256, sizeof *names);
	size_t nn = 0;
	for (size_t i = 0; i < n && names != NULL; i++)
		for (size_t j = 0; j < rows[i].n_cells && nn < 256; j++) {
			size_t k = 0;
			while (k < nn && strcmp(names[k], rows[i].cells[j].name) != 0)
				k++;
			if (k == nn)
				names[nn++] = rows[i].cells[j].name;
		}
	fputs("  ", out);
	hub_pad(out, "", 44, false);
	for (size_t i = 0; i < n; i++) {
		fputc(' ', out);
		hub_pad(out, key(&rows[i]), 14, true);
	}
	fputs("\n  ", out);
	hub_pad(out, en ? "Communities" : "Communautés", 44, false);
	for (size_t i = 0; i < n; i++)
		fprintf(out, " %14u", rows[i].communities);
	fputc('\n', out);
	for (size_t k = 0; k < nn; k++) {
		fputs("  ", out);
		hub_pad(out, hub_label_indicator(h, rows[0].framework, names[k], en), 44, false);
		for (size_t i = 0; i < n; i++) {
			char b[32];
			hub_fmt_cell(hub_row_cell(&rows[i], names[k]), !en, b, sizeof b);
			fputc(' ', out);
			hub_pad(out, b, 14, true);
		}
		fputc('\n', out);
	}
	free(names);
}

static const char *
hub_colkey_total(const hub_row *r)
{
	(void)r;
	return "total";
}
static const char *
hub_colkey_framework(const hub_row *r)
{
	return r->framework;
}
static const char *
hub_colkey_period(const hub_row *r)
{
	return r->period;
}
static const char *
hub_colkey_region(const hub_row *r)
{
	return r->region;
}
static const char *
hub_colkey_tenant(const hub_row *r)
{
	return r->tenant;
}

void
hub_render_table(hub *h, const hub_result *r, FILE *out, bool en)
{
	fprintf(out, en ? "Praxis hub report: %zu community report(s), k = %u\n"
	                  "(<k: fewer than k people, suppressed; 12+: a sum leaving out such cells)\n"
	                : "Rapport du hub Praxis : %zu rapport(s) de communauté, k = %u\n"
	                  "(<k : moins de k personnes, masqué ; 12+ : somme sans ces cellules masquées)\n",
	        r->n_rows, r->k);
	if (r->n_rows == 0) {
		fprintf(out, "%s\n", en ? "No report in this scope." : "Aucun rapport dans ce périmètre.");
		return;
	}
	hub_text_group(h, out, "Total", &r->total, 1, hub_colkey_total, en);
	hub_text_group(h, out, en ? "By period (trend)" : "Par période (tendance)", r->by_period,
	               r->n_by_period, hub_colkey_period, en);
	hub_text_group(h, out, en ? "By framework" : "Par cadre", r->by_framework, r->n_by_framework,
	               hub_colkey_framework, en);
	hub_text_group(h, out, en ? "By region" : "Par région", r->by_region, r->n_by_region,
	               hub_colkey_region, en);
	hub_text_group(h, out, en ? "By tenant" : "Par organisation", r->by_tenant, r->n_by_tenant,
	               hub_colkey_tenant, en);
	if (r->total.n_findings > 0) {
		fprintf(out, "\n%s\n", en ? "Rule findings" : "Constats des règles");
		for (size_t i = 0; i < r->total.n_findings; i++) {
			const hub_finding *f = &r->total.findings[i];
			char cnt[16];
			if (f->suppressed && f->count == 0)
				snprintf(cnt, sizeof cnt, "<k");
			else
				snprintf(cnt, sizeof cnt, "%u%s", f->count, f->suppressed ? "+" : "");
			fprintf(out, "  %-8s ", f->rule);
			hub_pad(out, hub_severity_name(f->severity, en), 14, false);
			fprintf(out, " %6s  %s\n", cnt, hub_label_rule(h, NULL, f->rule, en));
		}
	}
	fprintf(out, "\n%s\n", en ? "Communities" : "Communautés");
	for (size_t i = 0; i < r->n_rows; i++) {
		const hub_row *w = &r->rows[i];
		fprintf(out, "  %-10s %-14s ", w->period, w->framework);
		hub_pad(out, w->tenant, 20, false);
		fputc(' ', out);
		hub_pad(out, w->community_name[0] ? w->community_name : w->community, 32, false);
		fprintf(out, " %s\n", w->region);
	}
}

/* ---------------------------------------------------------------- CSV */

static void
hub_csv_field(FILE *out, const char *s)
{
	bool quote = strpbrk(s, ";\"\n\r") != NULL;
	if (!quote) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* Columns of the CSV: indicators, then rule findings, union over every
 * row in first-seen order. The names are copied into the columns' own
 * pool, so the rows they came from can be freed. */
#define HUB_CSV_MAX_COLS 256
typedef struct hub_csv_cols {
	const char *ind[HUB_CSV_MAX_COLS];
	size_t n_ind;
	const char *rule[HUB_CSV_MAX_COLS];
	int sev[HUB_CSV_MAX_COLS];
	size_t n_rule;
	char pool[32768];
	size_t pool_len;
} hub_csv_cols;

/* A copy of s in c's pool; NULL when the pool is full (the column is
 * left out, as beyond HUB_CSV_MAX_COLS). */
static const char *
hub_csv_intern(hub_csv_cols *c, const char *s)
{
	size_t n = strlen(s) + 1;
	if (n > sizeof c->pool - c->pool_len)
		return NULL;
	char *p = memcpy(c->pool + c->pool_len, s, n);
	c->pool_len += n;
	return p;
}

static void
hub_csv_collect(hub_csv_cols *c, const hub_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < rows[i].n_cells && c->n_ind < HUB_CSV_MAX_COLS; j++) {
			size_t k = 0;
			while (k < c->n_ind && strcmp(c->ind[k], rows[i].cells[j].name) != 0)
				k++;
			const char *name;
			if (k == c->n_ind && (name = hub_csv_intern(c, rows[i].cells[j].name)) != NULL)
				c->ind[c->n_ind++] = name;
		}
		for (size_t j = 0; j < rows[i].n_findings && c->n_rule < HUB_CSV_MAX_COLS; j++) {
			const hub_finding *f = &rows[i].findings[j];
			size_t k = 0;
			while (k < c->n_rule && !(strcmp(c->rule[k], f->rule) == 0 && c->sev[k] == f->severity))
				k++;
			const char *rule;
			if (k == c->n_rule && (rule = hub_csv_intern(c, f->rule)) != NULL) {
				c->rule[c->n_rule] = rule;
				c->sev[c->n_rule++] = f->severity;
			}
		}
	}
}

static void
hub_csv_rows(FILE *out, const char *level, const hub_row *rows, size_t n, const hub_csv_cols *c)
{
	for (size_t i = 0; i < n; i++) {
		const hub_row *w = &rows[i];
		const char *f[] = {level, w->framework, w->region, w->tenant, w->community,
		                   w->community_name, w->period};
		for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
			hub_csv_field(out, f[k] != NULL ? f[k] : "");
			fputc(';', out);
		}
		fprintf(out, "%u", w->communities);
		for (size_t k = 0; k < c->n_ind; k++) {
			const hub_cell *cell = hub_row_cell(w, c->ind[k]);
			char b[40] = "";
			/* Suppressed (fewer than k people) and absent cells stay empty. */
			if (cell != NULL && !cell->suppressed)
				hub_fmt_num(cell->value, true, b, sizeof b);
			fprintf(out, ";%s", b);
		}
		for (size_t k = 0; k < c->n_rule; k++) {
			const hub_finding *hit = NULL;
			for (size_t j = 0; j < w->n_findings && hit == NULL; j++)
				if (strcmp(w->findings[j].rule, c->rule[k]) == 0 && w->findings[j].severity == c->sev[k])
					hit = &w->findings[j];
			if (hit == NULL)
				fputs(";0", out);
			else if (hit->suppressed && hit->count == 0)
				fputs(";<k", out);
			else
				fprintf(out, ";%u%s", hit->count, hit->suppressed ? "+" : "");
		}
		fputs("\r\n", out);
	}
}

static void
hub_csv_header(hub *h, FILE *out, const hub_csv_cols *c, bool en)
{
	fputs("\xEF\xBB\xBF", out);
	fputs(en ? "level;framework;region;tenant;community;community_name;period;communities"
	         : "niveau;cadre;région;organisation;communauté;nom_communauté;période;communautés",
	      out);
	for (size_t k = 0; k < c->n_ind; k++) {
		fputc(';', out);
		hub_csv_field(out, hub_label_indicator(h, NULL, c->ind[k], en));
	}
	for (size_t k = 0; k < c->n_rule; k++) {
		char col[96];
		snprintf(col, sizeof col, "%s %s (%s)", en ? "findings" : "constats", c->rule[k],
		         hub_severity_name(c->sev[k], en));
		fputc(';', out);
		hub_csv_field(out, col);
	}
	fputs("\r\n", out);
}

static void
hub_csv_groups(FILE *out, const hub_result *r, const hub_csv_cols *c, bool en)
{
	hub_csv_rows(out, "total", &r->total, 1, c);
	hub_csv_rows(out, en ? "period" : "période", r->by_period, r->n_by_period, c);
	hub_csv_rows(out, en ? "framework" : "cadre", r->by_framework, r->n_by_framework, c);
	hub_csv_rows(out, en ? "region" : "région", r->by_region, r->n_by_region, c);
	hub_csv_rows(out, en ? "tenant" : "organisation", r->by_tenant, r->n_by_tenant, c);
}

void
hub_render_csv(hub *h, const hub_result *r, FILE *out, bool en)
{
	/* A BOM makes Excel read UTF-8; ';' and the decimal comma are what a
	 * French Excel expects; CRLF ends rows as RFC 4180 says. One line per
	 * group or community-period, one column per indicator (labelled) and
	 * per rule finding. */
	hub_csv_cols *c = calloc(1, sizeof *c);
	if (c == NULL)
		return;
	hub_csv_collect(c, &r->total, 1);
	hub_csv_collect(c, r->by_period, r->n_by_period);
	hub_csv_collect(c, r->by_framework, r->n_by_framework);
	hub_csv_collect(c, r->rows, r->n_rows);
	hub_csv_header(h, out, c, en);
	hub_csv_groups(out, r, c, en);
	hub_csv_rows(out, en ? "community" : "communauté", r->rows, r->n_rows, c);
	free(c);
}

typedef struct hub_csv_stream {
	FILE *out;
	const hub_csv_cols *c;
	const char *level;
} hub_csv_stream;

static px_err
hub_csv_row_cb(void *arg, const hub_row *row)
{
	hub_csv_stream *s = arg;
	hub_csv_rows(s->out, s->level, row, 1, s->c);
	return ferror(s->out) ? PX_EIO : PX_OK;
}

/* The four groupings of f in one scan (the exports' first part). */
#define HUB_G_GROUPS (HUB_G_FRAMEWORK | HUB_G_PERIOD | HUB_G_REGION | HUB_G_TENANT)

static px_err
hub_export_groups(hub *h, const hub_filter *f, hub_result *r)
{
	hub_filter g = *f;
	g.groups = HUB_G_GROUPS;
	return hub_aggregate(h, &g, r);
}

px_err
hub_export_csv(hub *h, const hub_filter *f, FILE *out, bool en)
{
	hub_result g;
	px_err rv = hub_export_groups(h, f, &g);
	if (rv != PX_OK)
		return rv;
	hub_csv_cols *c = calloc(1, sizeof *c);
	if (c == NULL) {
		hub_result_fini(&g);
		return PX_ENOMEM;
	}
	/* Every indicator and finding of any report is in the total. */
	hub_csv_collect(c, &g.total, 1);
	hub_csv_collect(c, g.by_framework, g.n_by_framework);
	hub_csv_header(h, out, c, en);
	hub_csv_groups(out, &g, c, en);
	hub_result_fini(&g);
	hub_csv_stream s = {out, c, en ? "community" : "communauté"};
	rv = hub_rows_each(h, f, hub_csv_row_cb, &s);
	free(c);
	return rv;
}

/* --------------------------------------------------------------- JSON */

/* The JSON is written directly, in the text cJSON_PrintUnformatted gave
 * for the same objects (tests/hub/test_hub_views.c compares them): no
 * tree of a few hundred allocations per row, which cost an export of
 * 200,000 rows a third of its time. */

void
hub_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)(s != NULL ? s : ""); *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 32)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void
hub_json_num(FILE *out, double d)
{
	/* As cJSON (1.7.15): the shorter of 15 or 17 significant digits that
	 * reads back as d; "." whatever the locale. */
	char b[64];
	if (isnan(d) || isinf(d)) {
		fputs("null", out);
		return;
	}
	snprintf(b, sizeof b, "%1.15g", d);
	char *e;
	double t = strtod(b, &e);
	double m = fabs(t) > fabs(d) ? fabs(t) : fabs(d);
	if (*e != '\0' || !(fabs(t - d) <= m * DBL_EPSILON))
		snprintf(b, sizeof b, "%1.17g", d);
	for (char *c = b; *c; c++)
		if (*c == ',')
			*c = '.';
	fputs(b, out);
}

/* "name": as a member of an object, after a comma unless first. */
static void
hub_json_key(FILE *out, const char *name, bool first)
{
	if (!first)
		fputc(',', out);
	hub_json_str(out, name);
	fputc(':', out);
}

void
hub_json_row_write(FILE *out, const hub_row *w, bool detail, const char *key, const char *val)
{
	fputc('{', out);
	if (detail) {
		const char *k[6] = {"framework", "region", "tenant", "community", "community_name", "period"};
		const char *v[6] = {w->framework, w->region, w->tenant, w->community, w->community_name,
		                    w->period};
		for (int i = 0; i < 6; i++) {
			hub_json_key(out, k[i], i == 0);
			hub_json_str(out, v[i]);
		}
	}
	hub_json_key(out, "communities", !detail);
	hub_json_num(out, w->communities);
	hub_json_key(out, "indicators", false);
	fputc('{', out);
	for (size_t j = 0; j < w->n_cells; j++) {
		const hub_cell *c = &w->cells[j];
		hub_json_key(out, c->name, j == 0);
		fputs("{\"value\":", out);
		if (c->suppressed)
			fputs("null", out);
		else
			hub_json_num(out, c->value);
		fprintf(out, ",\"suppressed\":%s,\"population\":", c->suppressed ? "true" : "false");
		hub_json_num(out, c->population);
		/* Community reports whose cell was left out of this sum or mean. */
		fputs(",\"withheld\":", out);
		hub_json_num(out, c->withheld);
		fputc('}', out);
	}
	fputs("},\"findings\":[", out);
	for (size_t j = 0; j < w->n_findings; j++) {
		const hub_finding *f = &w->findings[j];
		fputs(j ? ",{\"rule\":" : "{\"rule\":", out);
		hub_json_str(out, f->rule);
		fputs(",\"severity\":", out);
		hub_json_str(out, hub_severity_token(f->severity));
		fputs(",\"count\":", out);
		hub_json_num(out, f->count);
		fprintf(out, ",\"suppressed\":%s}", f->suppressed ? "true" : "false");
	}
	fputc(']', out);
	if (key != NULL) {
		hub_json_key(out, key, false);
		hub_json_str(out, val);
	}
	fputc('}', out);
}

/* "k", "reports", "total" and the four groupings of r, without the
 * closing brace: the rows follow. */
static void
hub_json_head(FILE *out, const hub_result *r, double reports)
{
	static const struct {
		const char *name, *key;
	} grp[] = {{"by_period", "period"},
	           {"by_framework", "framework"},
	           {"by_region", "region"},
	           {"by_tenant", "tenant"}};
	fputs("{\"k\":", out);
	hub_json_num(out, r->k);
	fputs(",\"reports\":", out);
	hub_json_num(out, reports);
	fputs(",\"total\":", out);
	hub_json_row_write(out, &r->total, false, NULL, NULL);
	for (size_t i = 0; i < sizeof grp / sizeof grp[0]; i++) {
		const hub_row *rows = i == 0 ? r->by_period : i == 1 ? r->by_framework
		                    : i == 2 ? r->by_region  : r->by_tenant;
		size_t n = i == 0 ? r->n_by_period : i == 1 ? r->n_by_framework
		         : i == 2 ? r->n_by_region  : r->n_by_tenant;
		fprintf(out, ",\"%s\":[", grp[i].name);
		for (size_t j = 0; j < n; j++) {
			const char *v = i == 0 ? rows[j].period : i == 1 ? rows[j].framework
			              : i == 2 ? rows[j].region  : rows[j].tenant;
			if (j > 0)
				fputc(',', out);
			hub_json_row_write(out, &rows[j], false, grp[i].key, v);
		}
		fputc(']', out);
	}
}

char *
hub_result_json(const hub_result *r)
{
	char *s = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&s, &len);
	if (out == NULL)
		return NULL;
	hub_json_head(out, r, (double)r->n_rows);
	fputs(",\"rows\":[", out);
	for (size_t i = 0; i < r->n_rows; i++) {
		if (i > 0)
			fputc(',', out);
		hub_json_row_write(out, &r->rows[i], true, NULL, NULL);
	}
	fputs("]}", out);
	bool bad = ferror(out) != 0;
	if (fclose(out) != 0 || bad) {
		free(s);
		return NULL;
	}
	return s;
}

typedef struct hub_json_stream {
	FILE *out;
	size_t n;
} hub_json_stream;

static px_err
hub_json_row_cb(void *arg, const hub_row *row)
{
	hub_json_stream *s = arg;
	if (s->n++ > 0)
		fputc(',', s->out);
	hub_json_row_write(s->out, row, true, NULL, NULL);
	return ferror(s->out) ? PX_EIO : PX_OK;
}

px_err
hub_export_json(hub *h, const hub_filter *f, FILE *out)
{
	/* The same text as hub_result_json, written a row at a time: the
	 * groupings computed in one scan, the community rows streamed.
	 * Nothing holds the whole answer. */
	hub_result g;
	px_err rv = hub_export_groups(h, f, &g);
	if (rv != PX_OK)
		return rv;
	hub_json_head(out, &g, g.total.communities);
	hub_result_fini(&g);
	if (ferror(out))
		return PX_EIO;
	fputs(",\"rows\":[", out);
	hub_json_stream st = {out, 0};
	rv = hub_rows_each(h, f, hub_json_row_cb, &st);
	fputs("]}\n", out);
	return rv;
}

void
hub_render_json(hub *h, const hub_result *r, FILE *out)
{
	(void)h;
	char *s = hub_result_json(r);
	if (s != NULL)
		fprintf(out, "%s\n", s);
	free(s);
}
