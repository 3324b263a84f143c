/*
 * http.c - the dashboard: nng's HTTP server, one handler for the whole
 * tree (routes below), pages drawn by the hub (HTML + inline SVG, no
 * script, no outside font), and the same pages written as static files.
 *
 * Authentication: a viewer token (pxv1.…) in the cookie px_view (set by
 * /login, HttpOnly; SameSite=Strict), or in an X-Praxis-Token or
 * "Authorization: Bearer" header. No valid token: 401. Outside the
 * viewer's scope: 403, logged in the audit database.
 *
 * Routes: GET /login[?token=T]  POST /login (token=T)  GET /logout
 *         GET /                  overview of the scope
 *         GET /framework/NAME    one framework
 *         GET /community/UID     one community
 *         GET /export.csv|/export.json [?framework=&region=&period=&tenant=&community=]
 *         any page: ?lang=en for English (French by default)
 */
#define _GNU_SOURCE
#include "hub.h"
#include "hub_render.h"
#include "px_plugin_host.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <malloc.h>
#include <math.h>
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ buffers */

static void
hub_buf_grow(hub_buf *b, size_t more)
{
	if (b->oom || b->n + more + 1 <= b->cap)
		return;
	size_t nc = b->cap ? b->cap : 4096;
	while (nc < b->n + more + 1)
		nc *= 2;
	char *np = realloc(b->p, nc);
	if (np == NULL) {
		b->oom = true;
		return;
	}
	b->p = np;
	b->cap = nc;
}

void
hub_buf_put(hub_buf *b, const char *s)
{
	size_t l = strlen(s);
	hub_buf_grow(b, l);
	if (b->oom)
		return;
	memcpy(b->p + b->n, s, l + 1);
	b->n += l;
}

void
hub_buf_printf(hub_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int l = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (l < 0)
		return;
	hub_buf_grow(b, (size_t)l);
	if (b->oom)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)l + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)l;
}

void
hub_buf_html(hub_buf *b, const char *s)
{
	for (; s != NULL && *s; s++) {
		switch (*s) {
		case '<': hub_buf_put(b, "&lt;"); break;
		case '>': hub_buf_put(b, "&gt;"); break;
		case '&': hub_buf_put(b, "&amp;"); break;
		case '"': hub_buf_put(b, "&quot;"); break;
		case '\'': hub_buf_put(b, "&#39;"); break;
		default: {
			char c[2] = {*s, 0};
			hub_buf_put(b, c);
		}
		}
	}
}

void
hub_buf_free(hub_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

/* Percent-encodes a path segment or query value. */
static void
hub_buf_url(hub_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~')
			hub_buf_printf(b, "%c", c);
		else
			hub_buf_printf(b, "%%%02X", c);
	}
}

/* File name for a static page: [A-Za-z0-9._-], others '_'. */
static void
hub_safe_name(const char *s, char *out, size_t size)
{
	size_t i = 0;
	for (; *s && i + 1 < size; s++, i++) {
		char c = *s;
		out[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		          c == '-' || c == '.')
		             ? c
		             : '_';
	}
	out[i] = '\0';
}

/* ------------------------------------------------------------- pages */

typedef struct hub_page {
	hub *h;
	const Praxis__HubViewer *scope; /* NULL: everything */
	bool en;
	bool is_static;
	const char *period;             /* NULL: every period */
} hub_page;

#define L(f_, e_) (pg->en ? (e_) : (f_))

static void
hub_link_overview(const hub_page *pg, hub_buf *b)
{
	if (pg->is_static)
		hub_buf_put(b, "index.html");
	else
		hub_buf_printf(b, "/?lang=%s", pg->en ? "en" : "fr");
}

/* The page of one framework or community ("framework", "community"):
 * kind-NAME.html in the static dashboard, /kind/NAME?lang= served. */
static void
hub_link_page(const hub_page *pg, hub_buf *b, const char *kind, const char *name)
{
	if (pg->is_static) {
		char s[160];
		hub_safe_name(name, s, sizeof s);
		hub_buf_printf(b, "%s-%s.html", kind, s);
	} else {
		hub_buf_printf(b, "/%s/", kind);
		hub_buf_url(b, name);
		hub_buf_printf(b, "?lang=%s", pg->en ? "en" : "fr");
	}
}

static void
hub_link_framework(const hub_page *pg, hub_buf *b, const char *fw)
{
	hub_link_page(pg, b, "framework", fw);
}

static void
hub_link_community(const hub_page *pg, hub_buf *b, const char *uid)
{
	hub_link_page(pg, b, "community", uid);
}

static const char hub_css[] =
    "body{font-family:sans-serif;margin:0;color:#1d2733;background:#f5f7fa}"
    "header{background:#23405e;color:#fff;padding:12px 24px;display:flex;justify-content:space-between;align-items:center}"
    "header a{color:#fff;margin-left:12px}main{padding:16px 24px}"
    "h1{font-size:1.4em;margin:0}h2{font-size:1.15em;margin-top:28px;border-bottom:1px solid #c9d3de}"
    "table{border-collapse:collapse;background:#fff;margin:8px 0}"
    "th,td{border:1px solid #d5dde6;padding:4px 10px;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "th{background:#e8eef4}.cards{display:flex;gap:12px;flex-wrap:wrap}"
    ".card{background:#fff;border:1px solid #d5dde6;border-radius:6px;padding:10px 16px;min-width:140px}"
    ".card .v{font-size:1.6em;font-weight:bold}.charts{display:flex;flex-wrap:wrap;gap:12px}.muted{color:#607080}.sup{color:#9a6b00}"
    "svg text{font-family:sans-serif;font-size:11px}";

static void
hub_page_head(const hub_page *pg, hub_buf *b, const char *title, const char *self_fr_en)
{
	hub_buf_printf(b, "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\">",
	               pg->en ? "en" : "fr");
	hub_buf_put(b, "<meta name=\"viewport\" content=\"width=device-width\"><title>");
	hub_buf_html(b, title);
	hub_buf_put(b, "</title><style>");
	hub_buf_put(b, hub_css);
	hub_buf_put(b, "</style></head><body><header><h1>");
	hub_buf_html(b, title);
	hub_buf_put(b, "</h1><nav><a href=\"");
	hub_link_overview(pg, b);
	hub_buf_printf(b, "\">%s</a>", L("Vue d'ensemble", "Overview"));
	if (!pg->is_static && self_fr_en != NULL) {
		/* The language switch keeps the page. */
		hub_buf_printf(b, "<a href=\"%s%slang=%s\" id=\"lang-switch\">%s</a>", self_fr_en,
		               strchr(self_fr_en, '?') ? "&amp;" : "?", pg->en ? "fr" : "en",
		               pg->en ? "Français" : "English");
		hub_buf_printf(b, "<a href=\"/logout\">%s</a>", L("Se déconnecter", "Log out"));
	}
	hub_buf_put(b, "</nav></header><main>");
}

static void
hub_page_tail(hub_buf *b)
{
	hub_buf_put(b, "<p class=\"muted\">Praxis " PX_VERSION_STRING "</p></main></body></html>\n");
}

static void
hub_scope_text(const hub_page *pg, hub_buf *b)
{
	hub_buf_printf(b, "<p class=\"muted\" id=\"scope\">%s ", L("Périmètre :", "Scope:"));
	if (pg->scope == NULL) {
		hub_buf_put(b, L("tout", "everything"));
	} else {
		hub_buf_printf(b, "%s ", L("organisations", "tenants"));
		if (pg->scope->n_tenants == 0)
			hub_buf_put(b, L("toutes", "all"));
		for (size_t i = 0; i < pg->scope->n_tenants; i++) {
			if (i)
				hub_buf_put(b, ", ");
			hub_buf_html(b, pg->scope->tenants[i]);
		}
		hub_buf_printf(b, " · %s ", L("cadre", "framework"));
		hub_buf_html(b, pg->scope->framework[0] ? pg->scope->framework : L("tous", "all"));
		hub_buf_printf(b, " · %s ", L("région", "region"));
		hub_buf_html(b, pg->scope->region[0] ? pg->scope->region : L("toutes", "all"));
	}
	hub_buf_put(b, "</p>");
}

/* A vertical bar chart drawn by the hub: one bar per label. */
static void
hub_svg_bars(const hub_page *pg, hub_buf *b, const char *id, const char *title, size_t n,
             const char *const *labels, const hub_cell *const *cells)
{
	const int W = 520, H = 220, left = 48, bottom = 40, top = 28;
	double max = 0;
	for (size_t i = 0; i < n; i++)
		if (cells[i] != NULL && cells[i]->present && !cells[i]->suppressed && cells[i]->value > max)
			max = cells[i]->value;
	if (max <= 0)
		max = 1;
	hub_buf_printf(b, "<svg id=\"%s\" role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	                  "xmlns=\"http://www.w3.org/2000/svg\"><title>",
	               id, W, H, W, H);
	hub_buf_html(b, title);
	hub_buf_put(b, "</title><rect width=\"100%\" height=\"100%\" fill=\"#fff\" stroke=\"#d5dde6\"/>");
	hub_buf_printf(b, "<text x=\"8\" y=\"18\" font-weight=\"bold\">");
	hub_buf_html(b, title);
	hub_buf_put(b, "</text>");
	int plot_h = H - bottom - top, plot_w = W - left - 16;
	hub_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#607080\"/>", left,
	               H - bottom, W - 16, H - bottom);
	char mx[32];
	hub_fmt_num(max, !pg->en, mx, sizeof mx);
	hub_buf_printf(b, "<text x=\"4\" y=\"%d\">%s</text><text x=\"4\" y=\"%d\">0</text>", top + 10,
	               mx, H - bottom);
	if (n == 0) {
		hub_buf_put(b, "</svg>");
		return;
	}
	double slot = (double)plot_w / (double)n;
	double bw = slot * 0.6 > 60 ? 60 : slot * 0.6;
	for (size_t i = 0; i < n; i++) {
		double x = left + slot * (double)i + (slot - bw) / 2;
		const hub_cell *c = cells[i];
		char v[32];
		hub_fmt_cell(c, !pg->en, v, sizeof v);
		if (strcmp(v, "<k") == 0)
			snprintf(v, sizeof v, "&lt;k");
		if (c != NULL && c->present && !c->suppressed) {
			double hgt = c->value / max * plot_h;
			if (hgt < 0)
				hgt = 0;
			hub_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#3b7dbf\"/>",
			               x, H - bottom - hgt, bw, hgt);
			hub_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>", x + bw / 2,
			               H - bottom - hgt - 4, v);
		} else {
			hub_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#9a6b00\">%s</text>",
			               x + bw / 2, H - bottom - 4, v);
		}
		hub_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x + bw / 2, H - bottom + 16);
		char lab[24];
		snprintf(lab, sizeof lab, "%.20s", labels[i]);
		hub_buf_html(b, lab);
		hub_buf_put(b, "</text>");
	}
	hub_buf_put(b, "</svg>");
}

/* Indicator names of a row set: union in first-seen order (max 128). */
static size_t
hub_names(const hub_row *rows, size_t n, const char **names, size_t max)
{
	size_t nn = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < rows[i].n_cells && nn < max; j++) {
			size_t k = 0;
			while (k < nn && strcmp(names[k], rows[i].cells[j].name) != 0)
				k++;
			if (k == nn)
				names[nn++] = rows[i].cells[j].name;
		}
	return nn;
}

typedef enum { HUB_COL_TOTAL, HUB_COL_PERIOD, HUB_COL_FRAMEWORK, HUB_COL_REGION, HUB_COL_TENANT } hub_col;

/* Indicators as rows, groups as columns. Cells carry ids so tests can find
 * them: id="<table>-<group index>-<indicator>". */
static void
hub_table_groups(const hub_page *pg, hub_buf *b, const char *tid, const char *title,
                 const hub_row *rows, size_t n, hub_col col, const char *fw)
{
	if (n == 0)
		return;
	/* A table of thousands of columns helps nobody: the downloads have it. */
	if (n > 40) {
		hub_buf_put(b, "<h2>");
		hub_buf_html(b, title);
		hub_buf_printf(b, "</h2><p id=\"%s-many\">", tid);
		hub_buf_printf(b, L("%zu groupes : trop pour cette page, voir les téléchargements.",
		                    "%zu groups: too many for this page, see the downloads."), n);
		hub_buf_put(b, "</p>");
		return;
	}
	const char *names[128];
	size_t nn = hub_names(rows, n, names, 128);
	hub_buf_put(b, "<h2>");
	hub_buf_html(b, title);
	hub_buf_printf(b, "</h2><table id=\"%s\"><tr><th>%s</th>", tid, L("Indicateur", "Indicator"));
	for (size_t i = 0; i < n; i++) {
		hub_buf_put(b, "<th>");
		switch (col) {
		case HUB_COL_TOTAL: hub_buf_put(b, "Total"); break;
		case HUB_COL_PERIOD: hub_buf_html(b, rows[i].period); break;
		case HUB_COL_FRAMEWORK:
			hub_buf_put(b, "<a href=\"");
			hub_link_framework(pg, b, rows[i].framework);
			hub_buf_put(b, "\">");
			hub_buf_html(b, hub_label_framework(pg->h, rows[i].framework, pg->en));
			hub_buf_put(b, "</a>");
			break;
		case HUB_COL_REGION: hub_buf_html(b, rows[i].region[0] ? rows[i].region : "–"); break;
		case HUB_COL_TENANT: hub_buf_html(b, rows[i].tenant); break;
		}
		hub_buf_put(b, "</th>");
	}
	hub_buf_printf(b, "</tr><tr><td>%s</td>", L("Communautés", "Communities"));
	for (size_t i = 0; i < n; i++)
		hub_buf_printf(b, "<td class=\"num\" id=\"%s-%zu-communities\">%u</td>", tid, i,
		               rows[i].communities);
	hub_buf_put(b, "</tr>");
	for (size_t k = 0; k < nn; k++) {
		hub_buf_put(b, "<tr><td>");
		hub_buf_html(b, hub_label_indicator(pg->h, fw != NULL ? fw : rows[0].framework, names[k], pg->en));
		hub_buf_put(b, "</td>");
		for (size_t i = 0; i < n; i++) {
			const hub_cell *c = hub_row_cell(&rows[i], names[k]);
			char v[32];
			hub_fmt_cell(c, !pg->en, v, sizeof v);
			hub_buf_printf(b, "<td class=\"num%s\" id=\"%s-%zu-", c != NULL && c->suppressed ? " sup" : "",
			               tid, i);
			hub_buf_html(b, names[k]);
			hub_buf_put(b, "\"");
			if (c != NULL && c->suppressed)
				hub_buf_printf(b, " title=\"%s\"", L("moins de k personnes : masqué", "fewer than k people: suppressed"));
			else if (c != NULL && c->present && c->withheld > 0)
				hub_buf_printf(b, " title=\"%s\"",
				               L("des cellules de moins de k personnes ne sont pas comptées",
				                 "cells of fewer than k people are left out"));
			hub_buf_put(b, ">");
			hub_buf_html(b, v);
			hub_buf_put(b, "</td>");
		}
		hub_buf_put(b, "</tr>");
	}
	hub_buf_put(b, "</table>");
}

static void
hub_findings_table(const hub_page *pg, hub_buf *b, const hub_row *r, const char *fw)
{
	hub_buf_printf(b, "<h2>%s</h2>", L("Constats des règles", "Rule findings"));
	if (r->n_findings == 0) {
		hub_buf_printf(b, "<p>%s</p>", L("Aucun constat.", "No finding."));
		return;
	}
	hub_buf_printf(b, "<table id=\"findings\"><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>",
	               L("Règle", "Rule"), L("Gravité", "Severity"), L("Nombre", "Count"),
	               L("Libellé", "Label"));
	for (size_t i = 0; i < r->n_findings; i++) {
		const hub_finding *f = &r->findings[i];
		hub_buf_put(b, "<tr><td>");
		hub_buf_html(b, f->rule);
		hub_buf_printf(b, "</td><td>%s</td><td class=\"num\" id=\"finding-", hub_severity_name(f->severity, pg->en));
		hub_buf_html(b, f->rule);
		if (f->suppressed && f->count == 0)
			hub_buf_printf(b, "-%d\">&lt;k</td><td>", f->severity);
		else
			hub_buf_printf(b, "-%d\">%u%s</td><td>", f->severity, f->count, f->suppressed ? "+" : "");
		hub_buf_html(b, hub_label_rule(pg->h, fw, f->rule, pg->en));
		hub_buf_put(b, "</td></tr>");
	}
	hub_buf_put(b, "</table>");
}

/* Kind of a period text: 3 year, 2 quarter, 1 month, 0 other. */
static int
hub_period_kind(const char *p)
{
	size_t n = strlen(p);
	if (n == 4)
		return 3;
	if (n == 7 && p[5] == 'Q')
		return 2;
	return n == 7 ? 1 : 0;
}

/* The periods of one kind, in order (shallow copies of rows of all). */
static size_t
hub_periods_of_kind(const hub_result *all, int kind, hub_row *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < all->n_by_period && n < max; i++)
		if (hub_period_kind(all->by_period[i].period) == kind)
			out[n++] = all->by_period[i];
	return n;
}

static void
hub_trend_charts(const hub_page *pg, hub_buf *b, const hub_row *total, const hub_row *per, size_t np,
                 const char *fw)
{
	if (np == 0)
		return;
	const char *names[128];
	size_t nn = hub_names(total, 1, names, 128);
	const char **labels = calloc(np, sizeof *labels);
	const hub_cell **cells = calloc(np, sizeof *cells);
	if (labels == NULL || cells == NULL)
		goto done;
	hub_buf_printf(b, "<h2>%s</h2><div class=\"charts\">", L("Tendances", "Trends"));
	/* Up to four charts: the indicators umbrella bodies ask for first,
	 * then any other with a figure in the total. */
	static const char *const preferred[] = {"members_active", "meetings_held", "attendance_rate",
	                                        "hours_total", "satisfaction_mean", "protocols_signed_valid"};
	const char *order[128 + 6];
	size_t no = 0;
	for (size_t p = 0; p < sizeof preferred / sizeof preferred[0]; p++)
		for (size_t k = 0; k < nn; k++)
			if (strcmp(names[k], preferred[p]) == 0)
				order[no++] = names[k];
	for (size_t k = 0; k < nn; k++) {
		bool pref = false;
		for (size_t p = 0; p < sizeof preferred / sizeof preferred[0]; p++)
			pref = pref || strcmp(names[k], preferred[p]) == 0;
		if (!pref)
			order[no++] = names[k];
	}
	size_t drawn = 0;
	for (size_t q = 0; q < no && drawn < 4; q++) {
		const char *name = order[q];
		const hub_cell *t = hub_row_cell(total, name);
		if (t == NULL || t->suppressed)
			continue;
		for (size_t i = 0; i < np; i++) {
			labels[i] = per[i].period;
			cells[i] = hub_row_cell(&per[i], name);
		}
		char id[160];
		snprintf(id, sizeof id, "chart-%zu", drawn);
		hub_svg_bars(pg, b, id, hub_label_indicator(pg->h, fw, name, pg->en), np, labels, cells);
		drawn++;
	}
	hub_buf_put(b, "</div>");
done:
	free(labels);
	free(cells);
}

/* Pages list the communities only up to this many reports; beyond, the
 * CSV and JSON downloads have them (a page of 100,000 rows helps nobody). */
#define HUB_PAGE_MAX_ROWS 500

static void
hub_communities_table(const hub_page *pg, hub_buf *b, const hub_result *r)
{
	if (r->n_rows == 0 && r->total.communities > HUB_PAGE_MAX_ROWS) {
		hub_buf_printf(b, "<h2>%s</h2><p id=\"communities-many\">", L("Communautés", "Communities"));
		hub_buf_printf(b, L("%u rapports de communauté : trop pour cette page, voir les téléchargements.",
		                    "%u community reports: too many for this page, see the downloads."),
		               r->total.communities);
		hub_buf_put(b, "</p>");
		return;
	}
	hub_buf_printf(b, "<h2>%s</h2><table id=\"communities\"><tr><th>%s</th><th>%s</th><th>%s</th>"
	                  "<th>%s</th><th>%s</th></tr>",
	               L("Communautés", "Communities"), L("Communauté", "Community"),
	               L("Cadre", "Framework"), L("Organisation", "Tenant"), L("Région", "Region"),
	               L("Période", "Period"));
	for (size_t i = 0; i < r->n_rows; i++) {
		const hub_row *w = &r->rows[i];
		hub_buf_put(b, "<tr><td><a href=\"");
		hub_link_community(pg, b, w->community);
		hub_buf_put(b, "\">");
		hub_buf_html(b, w->community_name[0] ? w->community_name : w->community);
		hub_buf_put(b, "</a></td><td><a href=\"");
		hub_link_framework(pg, b, w->framework);
		hub_buf_put(b, "\">");
		hub_buf_html(b, hub_label_framework(pg->h, w->framework, pg->en));
		hub_buf_put(b, "</a></td><td>");
		hub_buf_html(b, w->tenant);
		hub_buf_put(b, "</td><td>");
		hub_buf_html(b, w->region);
		hub_buf_put(b, "</td><td>");
		hub_buf_html(b, w->period);
		hub_buf_put(b, "</td></tr>");
	}
	hub_buf_put(b, "</table>");
}

static void
hub_downloads(const hub_page *pg, hub_buf *b, const char *qkey, const char *qval)
{
	hub_buf_printf(b, "<h2>%s</h2><p>", L("Téléchargements", "Downloads"));
	if (pg->is_static) {
		hub_buf_put(b, "<a href=\"report.csv\">CSV</a> · <a href=\"report.json\">JSON</a>");
	} else {
		for (int i = 0; i < 2; i++) {
			hub_buf_printf(b, "%s<a id=\"dl-%s\" href=\"/export.%s?lang=%s", i ? " · " : "",
			               i ? "json" : "csv", i ? "json" : "csv", pg->en ? "en" : "fr");
			if (qkey != NULL) {
				hub_buf_printf(b, "&amp;%s=", qkey);
				hub_buf_url(b, qval);
			}
			hub_buf_printf(b, "\">%s</a>", i ? "JSON" : "CSV (Excel)");
		}
	}
	hub_buf_put(b, "</p>");
}

static void
hub_kpis(const hub_page *pg, hub_buf *b, const hub_result *r)
{
	hub_buf_printf(b, "<div class=\"cards\"><div class=\"card\"><div class=\"v\" id=\"kpi-reports\">%zu</div>%s</div>",
	               r->n_rows, L("rapports de communauté", "community reports"));
	hub_buf_printf(b, "<div class=\"card\"><div class=\"v\" id=\"kpi-frameworks\">%zu</div>%s</div>",
	               r->n_by_framework, L("cadres", "frameworks"));
	hub_buf_printf(b, "<div class=\"card\"><div class=\"v\" id=\"kpi-tenants\">%zu</div>%s</div>",
	               r->n_by_tenant, L("organisations", "tenants"));
	hub_buf_printf(b, "<div class=\"card\"><div class=\"v\" id=\"kpi-k\">%u</div>%s</div></div>", r->k,
	               L("seuil k (cellules masquées sous k personnes)",
	                 "threshold k (cells under k people suppressed)"));
}

/* The page body for result r (one period, or every one when period is
 * NULL); all holds every period of the same filter, for the trend. */
static void
hub_body_result(const hub_page *pg, hub_buf *b, const hub_result *r, const hub_result *all,
                const char *period, const char *fw, bool groups)
{
	int kind = 0;
	if (period != NULL) {
		kind = hub_period_kind(period);
	} else {
		for (size_t i = 0; i < all->n_by_period; i++)
			if (hub_period_kind(all->by_period[i].period) > kind)
				kind = hub_period_kind(all->by_period[i].period);
	}
	hub_row per[64];
	size_t np = hub_periods_of_kind(all, kind, per, 64);
	hub_kpis(pg, b, r);
	hub_trend_charts(pg, b, &r->total, per, np, fw);
	hub_table_groups(pg, b, "total", "Total", &r->total, 1, HUB_COL_TOTAL, fw);
	hub_table_groups(pg, b, "by-period", L("Par période", "By period"), per, np, HUB_COL_PERIOD, fw);
	if (groups) {
		hub_table_groups(pg, b, "by-framework", L("Par cadre", "By framework"), r->by_framework,
		                 r->n_by_framework, HUB_COL_FRAMEWORK, fw);
		hub_table_groups(pg, b, "by-region", L("Par région", "By region"), r->by_region,
		                 r->n_by_region, HUB_COL_REGION, fw);
		hub_table_groups(pg, b, "by-tenant", L("Par organisation", "By tenant"), r->by_tenant,
		                 r->n_by_tenant, HUB_COL_TENANT, fw);
	}
	hub_findings_table(pg, b, &r->total, fw);
}

/* The period a page shows: the one asked (?period=P, "all" for every
 * period), else the most recent year present, else quarter, else month:
 * figures summed over several periods count people once per period. */
static const char *
hub_pick_period(const hub_page *pg, const hub_result *all)
{
	if (pg->period != NULL)
		return strcmp(pg->period, "all") == 0 ? NULL : pg->period;
	for (int kind = 3; kind >= 1; kind--)
		for (size_t i = all->n_by_period; i-- > 0;)
			if (hub_period_kind(all->by_period[i].period) == kind)
				return all->by_period[i].period;
	return NULL;
}

/* Links to the periods present in the scope (dynamic pages only):
 * figures summed over several periods count people once per period. */
static void
hub_period_nav(const hub_page *pg, hub_buf *b, const hub_result *all, const char *period)
{
	if (pg->is_static) {
		hub_buf_printf(b, "<p id=\"periods\">%s <b>", L("Période :", "Period:"));
		hub_buf_html(b, period != NULL ? period : L("toutes", "all"));
		hub_buf_put(b, "</b></p>");
		return;
	}
	hub_buf_printf(b, "<p id=\"periods\">%s ", L("Période :", "Period:"));
	hub_buf_printf(b, "<a href=\"?period=all&amp;lang=%s\">%s%s%s</a>", pg->en ? "en" : "fr",
	               period ? "" : "<b>", L("toutes (sommées)", "all (summed)"), period ? "" : "</b>");
	for (size_t i = 0; i < all->n_by_period; i++) {
		bool cur = period != NULL && strcmp(period, all->by_period[i].period) == 0;
		hub_buf_printf(b, " · <a href=\"?period=");
		hub_buf_url(b, all->by_period[i].period);
		hub_buf_printf(b, "&amp;lang=%s\">%s", pg->en ? "en" : "fr", cur ? "<b>" : "");
		hub_buf_html(b, all->by_period[i].period);
		hub_buf_printf(b, "%s</a>", cur ? "</b>" : "");
	}
	hub_buf_put(b, "</p>");
}

/* The aggregate of a page: the groupings first, then the per-community
 * rows only when there are few (the rows are most of the memory). */
static px_err
hub_page_aggregate(const hub_page *pg, hub_filter *f, hub_result *r)
{
	f->groups = HUB_G_FRAMEWORK | HUB_G_PERIOD | HUB_G_REGION | HUB_G_TENANT;
	px_err rv = hub_aggregate(pg->h, f, r);
	if (rv != PX_OK || r->total.communities > HUB_PAGE_MAX_ROWS)
		return rv;
	hub_result_fini(r);
	f->groups = 0;
	return hub_aggregate(pg->h, f, r);
}

static px_err
hub_page_overview(const hub_page *pg, hub_buf *b)
{
	hub_filter f = {0};
	f.scope = pg->scope;
	f.groups = HUB_G_PERIOD; /* the periods present and the trend */
	hub_result all, r;
	px_err rv = hub_aggregate(pg->h, &f, &all);
	if (rv != PX_OK)
		return rv;
	f.period = hub_pick_period(pg, &all);
	if ((rv = hub_page_aggregate(pg, &f, &r)) != PX_OK) {
		hub_result_fini(&all);
		return rv;
	}
	hub_page_head(pg, b, L("Praxis — vue d'ensemble", "Praxis — overview"), "/?x=1");
	hub_scope_text(pg, b);
	hub_period_nav(pg, b, &all, f.period);
	hub_body_result(pg, b, &r, &all, f.period, NULL, true);
	hub_communities_table(pg, b, &r);
	hub_downloads(pg, b, NULL, NULL);
	hub_page_tail(b);
	hub_result_fini(&r);
	hub_result_fini(&all);
	return PX_OK;
}

static void
hub_plugin_params(const hub_page *pg, hub_buf *b, const char *fw)
{
	const px_plugin *p = pg->h->plugins ? px_plugin_host_find(pg->h->plugins, fw) : NULL;
	if (p == NULL) {
		hub_buf_printf(b, "<p class=\"muted\" id=\"no-plugin\">%s</p>",
		               L("Le hub n'a pas le plugiciel de ce cadre : identifiants bruts.",
		                 "The hub lacks this framework's plugin: raw ids shown."));
		return;
	}
	const pxp_descriptor *d = px_plugin_descriptor(p);
	hub_buf_printf(b, "<h2>%s</h2><table id=\"params\"><tr><th>%s</th><th>%s</th><th>%s</th></tr>",
	               L("Paramètres du cadre", "Framework parameters"), L("Paramètre", "Parameter"),
	               L("Défaut", "Default"), L("Description", "Description"));
	for (const pxp_param *pr = d->params; pr != NULL && pr->name != NULL; pr++) {
		hub_buf_put(b, "<tr><td>");
		hub_buf_html(b, pr->name);
		hub_buf_put(b, "</td><td>");
		hub_buf_html(b, pr->default_value);
		hub_buf_put(b, "</td><td>");
		hub_buf_html(b, pg->en ? pr->desc_en : pr->desc_fr);
		hub_buf_put(b, "</td></tr>");
	}
	hub_buf_put(b, "</table>");
}

static px_err
hub_page_framework(const hub_page *pg, hub_buf *b, const char *fw)
{
	hub_filter f = {0};
	f.scope = pg->scope;
	f.framework = fw;
	f.groups = HUB_G_PERIOD;
	hub_result all, r;
	px_err rv = hub_aggregate(pg->h, &f, &all);
	if (rv != PX_OK)
		return rv;
	f.period = hub_pick_period(pg, &all);
	if ((rv = hub_page_aggregate(pg, &f, &r)) != PX_OK) {
		hub_result_fini(&all);
		return rv;
	}
	hub_buf self = {0};
	hub_link_framework(pg, &self, fw);
	char title[256];
	snprintf(title, sizeof title, "%s %s", L("Cadre", "Framework"),
	         hub_label_framework(pg->h, fw, pg->en));
	hub_page_head(pg, b, title, self.p ? self.p : "/");
	hub_buf_free(&self);
	hub_scope_text(pg, b);
	hub_period_nav(pg, b, &all, f.period);
	hub_buf_printf(b, "<p>%s <code id=\"framework-id\">", L("Identifiant :", "Id:"));
	hub_buf_html(b, fw);
	hub_buf_put(b, "</code></p>");
	hub_body_result(pg, b, &r, &all, f.period, fw, true);
	hub_plugin_params(pg, b, fw);
	hub_communities_table(pg, b, &r);
	hub_downloads(pg, b, "framework", fw);
	hub_page_tail(b);
	hub_result_fini(&r);
	hub_result_fini(&all);
	return PX_OK;
}

/* all: every report of the community (already checked against the scope). */
static px_err
hub_page_community(const hub_page *pg, hub_buf *b, const char *uid, const hub_result *all)
{
	const hub_row *w = &all->rows[0];
	hub_filter f = {0};
	f.scope = pg->scope;
	f.community = uid;
	f.period = hub_pick_period(pg, all);
	hub_result r;
	px_err rv = hub_aggregate(pg->h, &f, &r);
	if (rv != PX_OK)
		return rv;
	hub_buf self = {0};
	hub_link_community(pg, &self, uid);
	char title[256];
	snprintf(title, sizeof title, "%s %s", L("Communauté", "Community"),
	         w->community_name[0] ? w->community_name : uid);
	hub_page_head(pg, b, title, self.p ? self.p : "/");
	hub_buf_free(&self);
	hub_buf_printf(b, "<p>%s <a href=\"", L("Cadre :", "Framework:"));
	hub_link_framework(pg, b, w->framework);
	hub_buf_put(b, "\">");
	hub_buf_html(b, hub_label_framework(pg->h, w->framework, pg->en));
	hub_buf_printf(b, "</a> · %s ", L("organisation", "tenant"));
	hub_buf_html(b, w->tenant);
	hub_buf_printf(b, " · %s ", L("région", "region"));
	hub_buf_html(b, w->region);
	hub_buf_put(b, "</p>");
	hub_period_nav(pg, b, all, f.period);
	hub_body_result(pg, b, &r, all, f.period, w->framework, false);
	hub_downloads(pg, b, "community", uid);
	hub_page_tail(b);
	hub_result_fini(&r);
	return PX_OK;
}

static void
hub_page_login(bool en, hub_buf *b, const char *msg)
{
	hub_page pg0 = {NULL, NULL, en, true, NULL};
	const hub_page *pg = &pg0;
	hub_buf_printf(b, "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\"><title>Praxis</title><style>%s</style></head><body>",
	               en ? "en" : "fr", hub_css);
	hub_buf_printf(b, "<header><h1>Praxis</h1><nav><a href=\"/login?lang=%s\">%s</a></nav></header><main>",
	               en ? "fr" : "en", en ? "Français" : "English");
	if (msg != NULL)
		hub_buf_printf(b, "<p class=\"sup\" id=\"login-msg\">%s</p>", msg);
	hub_buf_printf(b, "<form method=\"post\" action=\"/login?lang=%s\"><p><label>%s<br>"
	                  "<input name=\"token\" size=\"60\" autocomplete=\"off\"></label></p>"
	                  "<p><button type=\"submit\">%s</button></p></form>",
	               en ? "en" : "fr", L("Jeton de lecture (pxv1.…)", "Viewer token (pxv1.…)"),
	               L("Se connecter", "Log in"));
	hub_page_tail(b);
}

/* ------------------------------------------------------------- server */

/* The dashboard's pages and exports are made by HUB_WORKERS
 * threads of the hub's own, never on nng's (which carry the RPC calls,
 * and an export waits on each of its writes): up to HUB_EXPORTS_AT_ONCE
 * exports, and a page (a fraction of a second) whenever one is asked, so
 * a page never waits behind exports. Up to HUB_QUEUE_MAX requests
 * wait their turn, beyond that the answer is 503. Two exports for 2
 * cores: an export is CPU (aggregates) then writes; more at once would
 * only share the cores and hold more memory. Identical requests waiting
 * together (same page or file, filter, viewer and language) are answered
 * by one computation: ten viewers asking for the federation's export cost
 * one, and each still gets data read after it asked. */
#define HUB_WORKERS 3
#define HUB_EXPORTS_AT_ONCE 2
#define HUB_QUEUE_MAX 64

struct hub_http_job;

typedef struct hub_http {
	nng_http_server *srv;
	nng_http_handler *handler;
	hub *h;
	/* Exports never run on nng's threads: they wait on each write, which
	 * an nng callback must not do (with a few exports at once nng's task
	 * threads would all wait, and the RPC calls with them). */
	pthread_mutex_t mu;
	pthread_cond_t work;
	struct hub_http_job *head, *tail; /* waiting */
	size_t queued;
	atomic_bool stopping;
	pthread_t workers[HUB_WORKERS];
	int nworkers;
	int exports_running;
	struct hub_http_job *running[HUB_WORKERS]; /* their writes are aborted at stop */
} hub_http;

/* Value of key in a query string or form body, URL-decoded into out. */
static bool
hub_query_get(const char *q, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key);
	while (q != NULL && *q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		if (len > kl && strncmp(q, key, kl) == 0 && q[kl] == '=') {
			size_t o = 0;
			for (size_t i = kl + 1; i < len && o + 1 < size; i++) {
				char c = q[i];
				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					if (i + 2 >= len)
						return false;
					char hx[3] = {q[i + 1], q[i + 2], 0};
					char *end;
					long v = strtol(hx, &end, 16);
					if (*end != '\0' || v <= 0)
						return false;
					c = (char)v;
					i += 2;
				}
				out[o++] = c;
			}
			out[o] = '\0';
			return true;
		}
		q = amp ? amp + 1 : NULL;
	}
	return false;
}

/* Path decoded (percent-escapes) into out; false on a bad escape or NUL. */
static bool
hub_path_decode(const char *s, size_t len, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (o + 1 >= size)
			return false;
		char c = s[i];
		if (c == '%') {
			if (i + 2 >= len)
				return false;
			char hx[3] = {s[i + 1], s[i + 2], 0};
			char *end;
			long v = strtol(hx, &end, 16);
			if (*end != '\0' || v <= 0)
				return false;
			c = (char)v;
			i += 2;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return true;
}

static const char *
hub_cookie_token(const char *cookie, char *out, size_t size)
{
	for (const char *p = cookie; p != NULL && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, "px_view=", 8) == 0) {
			p += 8;
			size_t n = strcspn(p, ";");
			if (n >= size)
				return NULL;
			memcpy(out, p, n);
			out[n] = '\0';
			return out;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

static void
hub_reply(nng_aio *aio, int status, const char *ctype, const char *body, size_t len,
          const char *set_cookie, const char *location, const char *disposition)
{
	nng_http_res *res = NULL;
	if (nng_http_res_alloc(&res) != 0) {
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	nng_http_res_set_status(res, (uint16_t)status);
	if (ctype != NULL)
		nng_http_res_set_header(res, "Content-Type", ctype);
	nng_http_res_set_header(res, "Cache-Control", "no-store");
	nng_http_res_set_header(res, "X-Content-Type-Options", "nosniff");
	nng_http_res_set_header(res, "Referrer-Policy", "no-referrer");
	nng_http_res_set_header(res, "X-Frame-Options", "DENY");
	nng_http_res_set_header(res, "Content-Security-Policy",
	                        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
	                        "form-action 'self'; frame-ancestors 'none'");
	if (set_cookie != NULL)
		nng_http_res_set_header(res, "Set-Cookie", set_cookie);
	if (location != NULL)
		nng_http_res_set_header(res, "Location", location);
	if (disposition != NULL)
		nng_http_res_set_header(res, "Content-Disposition", disposition);
	/* nng adds Content-Length only with a body: an empty one (a 303 after
	 * login) needs it said, or a client waits for the connection to end. */
	if (body == NULL || len == 0)
		nng_http_res_set_header(res, "Content-Length", "0");
	if (body != NULL && len > 0 && nng_http_res_copy_data(res, body, len) != 0) {
		nng_http_res_free(res);
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static void
hub_reply_html(nng_aio *aio, int status, hub_buf *b)
{
	if (b->oom) {
		hub_reply(aio, 500, "text/plain; charset=utf-8", "ENOMEM\n", 7, NULL, NULL, NULL);
		return;
	}
	hub_reply(aio, status, "text/html; charset=utf-8", b->p, b->n, NULL, NULL, NULL);
}

static void
hub_reply_error(nng_aio *aio, int status, bool en, const char *fr_msg, const char *en_msg)
{
	hub_buf b = {0};
	hub_buf_printf(&b, "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\"><title>%d</title>"
	                   "<style>%s</style></head><body><main><h1>%d</h1><p id=\"error\">",
	               en ? "en" : "fr", status, hub_css, status);
	hub_buf_html(&b, en ? en_msg : fr_msg);
	hub_buf_printf(&b, "</p><p><a href=\"/?lang=%s\">%s</a></p></main></body></html>\n", en ? "en" : "fr",
	               en ? "Overview" : "Vue d'ensemble");
	hub_reply_html(aio, status, &b);
	hub_buf_free(&b);
}

static void
hub_login_ok(nng_aio *aio, const char *token, bool en)
{
	char cookie[PX_VT_TEXT_MAX + 96];
	snprintf(cookie, sizeof cookie, "px_view=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=28800",
	         token);
	hub_reply(aio, 303, "text/plain; charset=utf-8", "", 0, cookie, en ? "/?lang=en" : "/?lang=fr",
	          NULL);
}

/* True when asked filters stay inside the scope; asked NULL/"" = any. */
static bool
hub_filter_in_scope(const Praxis__HubViewer *v, const char *tenant, const char *framework,
                    const char *region)
{
	if (tenant != NULL && tenant[0] && v->n_tenants > 0) {
		bool ok = false;
		for (size_t i = 0; i < v->n_tenants; i++)
			ok = ok || strcmp(v->tenants[i], tenant) == 0;
		if (!ok)
			return false;
	}
	if (framework != NULL && framework[0] && v->framework[0] && strcmp(framework, v->framework) != 0)
		return false;
	if (region != NULL && region[0] && v->region[0] && strcmp(region, v->region) != 0)
		return false;
	return true;
}

/* ---- exports written into the connection as they are made ----
 * nng 1.5.2's server sends only a body it holds whole
 * (nng_http_res_copy_data copies it, nng_http_res_set_data needs it to
 * outlive the reply), 30 MB for one period of a 10,000-tenant hub. The
 * handler takes the connection over instead (nng_http_hijack), writes the
 * head, then the export through a stdio stream whose buffer is sent each
 * time it fills: memory is one buffer whatever the size of the answer. The
 * body ends when the connection closes (Connection: close, no length). */
/* An export taken over from the HTTP server: a worker writes it into the
 * connection, with the identical exports waiting with it (a group). */
typedef enum { HUB_JOB_CSV, HUB_JOB_JSON, HUB_JOB_PAGE } hub_job_kind;

typedef struct hub_http_job {
	struct hub_http_job *next;  /* in the queue */
	struct hub_http_job *group; /* the next one of its group */
	hub_job_kind kind;
	/* An export: the connection taken over and its writes. */
	nng_http_conn *conn;
	nng_aio *aio;
	bool dead; /* its client went away or stalled */
	/* A page: the HTTP server's aio, finished by the worker. */
	nng_aio *req_aio;
	char path[512];
	Praxis__HubViewer *v;
	bool en;
	char fw[64], rg[96], per[16], ten[72], com[128];
} hub_http_job;

static void
hub_http_job_free(hub_http_job *j)
{
	if (j->conn != NULL)
		nng_http_conn_close(j->conn);
	nng_aio_free(j->aio);
	if (j->req_aio != NULL)
		nng_aio_finish(j->req_aio, NNG_ECLOSED); /* never answered: the hub stops */
	praxis__hub_viewer__free_unpacked(j->v, NULL);
	free(j);
}

static bool
hub_str_same(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* Would a and b get the same bytes? */
static bool
hub_http_job_same(const hub_http_job *a, const hub_http_job *b)
{
	if (a->kind != b->kind || a->en != b->en || strcmp(a->path, b->path) || strcmp(a->fw, b->fw) ||
	    strcmp(a->rg, b->rg) || strcmp(a->per, b->per) || strcmp(a->ten, b->ten) ||
	    strcmp(a->com, b->com))
		return false;
	const Praxis__HubViewer *x = a->v, *y = b->v;
	if (!hub_str_same(x->name, y->name) || !hub_str_same(x->framework, y->framework) ||
	    !hub_str_same(x->region, y->region) ||
	    x->n_tenants != y->n_tenants)
		return false;
	for (size_t i = 0; i < x->n_tenants; i++)
		if (!hub_str_same(x->tenants[i], y->tenants[i]))
			return false;
	return true;
}

/* The stdio cookie of a group's stream: each buffer is written to every
 * connection still open, the writes in parallel. */
typedef struct hub_group_out {
	hub_http_job *first;
	const atomic_bool *stopping;
	size_t sent;
	bool failed; /* every connection is gone, or the hub stops */
	bool discard;
} hub_group_out;

#define HUB_STREAM_BUF 65536
#define HUB_STREAM_TIMEOUT_MS 60000

static ssize_t
hub_group_write(void *cookie, const char *buf, size_t size)
{
	hub_group_out *o = cookie;
	if (o->discard)
		return (ssize_t)size;
	if (o->failed || atomic_load(o->stopping)) {
		o->failed = true;
		return -1;
	}
	nng_iov iov = {(void *)buf, size};
	bool any = false;
	for (hub_http_job *j = o->first; j != NULL; j = j->group) {
		if (j->dead)
			continue;
		if (nng_aio_set_iov(j->aio, 1, &iov) != 0) {
			j->dead = true;
			continue;
		}
		nng_http_conn_write_all(j->conn, j->aio);
		any = true;
	}
	bool alive = false;
	for (hub_http_job *j = o->first; any && j != NULL; j = j->group) {
		if (j->dead)
			continue;
		nng_aio_wait(j->aio); /* on the export's own thread */
		if (nng_aio_result(j->aio) != 0)
			j->dead = true; /* the client went away or stalled, or the hub stops */
		else
			alive = true;
	}
	if (!alive) {
		o->failed = true;
		return -1;
	}
	o->sent += size;
	return (ssize_t)size;
}

static const char hub_stream_head[] =
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "X-Frame-Options: DENY\r\n"
    "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'\r\n"
    "Connection: close\r\n";

/* Writes the export of group g (jobs linked by ->group) into each of
 * their connections, then closes them. */
static void
hub_export_run(hub_http *st, hub_http_job *g)
{
	hub_group_out o = {g, &st->stopping, 0, false, false};
	hub_filter f = {g->fw[0] ? g->fw : NULL, g->rg[0] ? g->rg : NULL, g->per[0] ? g->per : NULL,
	                g->ten[0] ? g->ten : NULL, g->com[0] ? g->com : NULL, g->v, false, 0};
	cookie_io_functions_t io = {NULL, hub_group_write, NULL, NULL};
	FILE *out = fopencookie(&o, "w", io);
	px_err rv = PX_ENOMEM;
	if (out != NULL && setvbuf(out, NULL, _IOFBF, HUB_STREAM_BUF) == 0) {
		bool csv = g->kind == HUB_JOB_CSV;
		fprintf(out, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n%sContent-Disposition: %s\r\n\r\n",
		        csv ? "text/csv; charset=utf-8" : "application/json", hub_stream_head,
		        csv ? "attachment; filename=\"praxis-report.csv\""
		            : "attachment; filename=\"praxis-report.json\"");
		rv = csv ? hub_export_csv(st->h, &f, out, g->en) : hub_export_json(st->h, &f, out);
		if (rv == PX_OK && fflush(out) != 0)
			rv = PX_EIO;
	}
	if (rv != PX_OK && !o.failed && o.sent == 0) {
		/* Nothing sent yet: an error answer instead of the export. */
		o.discard = true;
		if (out != NULL)
			fclose(out);
		out = NULL;
		o.discard = false;
		char msg[512];
		int n = snprintf(msg, sizeof msg,
		                 "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; "
		                 "charset=utf-8\r\n%s\r\n%s\n",
		                 hub_stream_head, g->en ? px_strerror(rv) : px_strerror_user(rv));
		(void)hub_group_write(&o, msg, (size_t)n);
	}
	/* Sent in part: a cut answer (no closing bracket) is all that can
	 * say it failed. */
	if (out != NULL)
		fclose(out);
	if (rv != PX_OK || o.failed)
		px_log(PX_LOG_WARN, "http: export: %s", o.failed ? "connection lost" : px_strerror(rv));
	malloc_trim(0); /* the export's tables, freed in this thread's arena */
}

/* Makes the page of group g (jobs linked by ->group) once and answers
 * each of their requests with it. */
static void
hub_page_run(hub_http *st, hub_http_job *g)
{
	hub *h = st->h;
	const Praxis__HubViewer *v = g->v;
	hub_page pg = {h, v, g->en, false, g->per[0] ? g->per : NULL};
	hub_buf b = {0};
	px_err rv = PX_OK;
	int status = 200; /* or 403, 404 with the messages below */
	const char *fr_msg = NULL, *en_msg = NULL;
	if (strncmp(g->path, "/framework/", 11) == 0) {
		rv = hub_page_framework(&pg, &b, g->path + 11); /* in scope: checked when asked */
	} else if (strncmp(g->path, "/community/", 11) == 0) {
		const char *uid = g->path + 11;
		/* Unscoped first: a community that exists outside the scope is a
		 * refusal (logged), one that does not exist is a 404. */
		hub_filter f = {0};
		f.community = uid;
		hub_result all;
		rv = hub_aggregate(h, &f, &all);
		if (rv == PX_OK) {
			bool exists = all.n_rows > 0, allowed = exists;
			for (size_t i = 0; i < all.n_rows; i++)
				allowed = allowed && hub_scope_allows(v, all.rows[i].tenant,
				                                      all.rows[i].framework, all.rows[i].region);
			if (!exists) {
				status = 404;
				fr_msg = "Communauté inconnue.";
				en_msg = "Unknown community.";
			} else if (!allowed) {
				status = 403;
				fr_msg = "PERMISSION_DENIED : cette communauté est hors de votre périmètre.";
				en_msg = "PERMISSION_DENIED: this community is outside your scope.";
			} else {
				rv = hub_page_community(&pg, &b, uid, &all);
			}
			hub_result_fini(&all);
		}
	} else {
		rv = hub_page_overview(&pg, &b);
	}
	for (hub_http_job *j = g; j != NULL; j = j->group) {
		nng_aio *aio = j->req_aio;
		j->req_aio = NULL;
		if (rv != PX_OK) {
			hub_reply_error(aio, 500, j->en, px_strerror_user(rv), px_strerror(rv));
		} else if (status != 200) {
			if (status == 403)
				hub_audit(h, "http", j->v->name, "community", j->path + 11, 7, "%s",
				          "community outside the viewer's scope");
			hub_reply_error(aio, status, j->en, fr_msg, en_msg);
		} else {
			hub_reply_html(aio, 200, &b);
		}
	}
	hub_buf_free(&b);
	/* A page of a large hub frees tens of MiB (px_agg tables of 10,000
	 * groups) into this thread's arena: given back now. */
	malloc_trim(0);
}

typedef struct hub_worker_arg {
	hub_http *st;
	int i;
} hub_worker_arg;

/* The next job for a worker (st->mu held), with every identical one
 * waiting: the first page, which takes a fraction of a second, else the
 * first export when fewer than HUB_EXPORTS_AT_ONCE run. NULL: none. */
static hub_http_job *
hub_http_job_pick(hub_http *st)
{
	hub_http_job **pick = NULL;
	for (hub_http_job **pp = &st->head; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->kind == HUB_JOB_PAGE) {
			pick = pp;
			break;
		}
		if (pick == NULL && st->exports_running < HUB_EXPORTS_AT_ONCE)
			pick = pp;
	}
	if (pick == NULL)
		return NULL;
	hub_http_job *g = *pick, *last = g;
	*pick = g->next;
	st->queued--;
	g->group = NULL;
	for (hub_http_job **pp = &st->head; *pp != NULL;) {
		hub_http_job *j = *pp;
		if (hub_http_job_same(g, j)) {
			*pp = j->next;
			st->queued--;
			j->group = NULL;
			last->group = j;
			last = j;
		} else {
			pp = &j->next;
		}
	}
	st->tail = NULL;
	for (hub_http_job *j = st->head; j != NULL; j = j->next)
		st->tail = j;
	if (g->kind != HUB_JOB_PAGE)
		st->exports_running++;
	return g;
}

static void *
hub_worker(void *arg)
{
	hub_worker_arg *wa = arg;
	hub_http *st = wa->st;
	int me = wa->i;
	free(wa);
	pthread_mutex_lock(&st->mu);
	for (;;) {
		hub_http_job *g = NULL;
		while (!atomic_load(&st->stopping) && (g = hub_http_job_pick(st)) == NULL)
			pthread_cond_wait(&st->work, &st->mu);
		if (g == NULL)
			break; /* stopping */
		st->running[me] = g;
		pthread_mutex_unlock(&st->mu);
		bool page = g->kind == HUB_JOB_PAGE;
		if (page)
			hub_page_run(st, g);
		else
			hub_export_run(st, g);
		pthread_mutex_lock(&st->mu);
		st->running[me] = NULL;
		if (!page) {
			st->exports_running--;
			pthread_cond_broadcast(&st->work); /* an export may start now */
		}
		pthread_mutex_unlock(&st->mu);
		while (g != NULL) {
			hub_http_job *n = g->group;
			hub_http_job_free(g);
			g = n;
		}
		pthread_mutex_lock(&st->mu);
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

/* Queues job j for a worker; for an export, takes aio's connection over
 * first. 0: the job is the workers' (its answer is theirs); otherwise the
 * HTTP status to answer instead (503 queue full, 500), j still the
 * caller's. */
static int
hub_http_job_queue(hub_http *st, nng_aio *aio, hub_http_job *j)
{
	bool page = j->kind == HUB_JOB_PAGE;
	if (page) {
		j->req_aio = aio;
	} else {
		j->conn = nng_aio_get_input(aio, 2);
		if (j->conn == NULL || nng_aio_alloc(&j->aio, NULL, NULL) != 0) {
			j->conn = NULL;
			return 500;
		}
		nng_aio_set_timeout(j->aio, HUB_STREAM_TIMEOUT_MS);
	}
	pthread_mutex_lock(&st->mu);
	int code = st->nworkers == 0 ? 500
	         : st->queued >= HUB_QUEUE_MAX || atomic_load(&st->stopping) ? 503 : 0;
	if (code == 0 && !page && nng_http_hijack(j->conn) != 0)
		code = 500;
	if (code == 0) {
		j->next = NULL;
		if (st->tail != NULL)
			st->tail->next = j;
		else
			st->head = j;
		st->tail = j;
		st->queued++;
		pthread_cond_broadcast(&st->work); /* the idle worker may not be the one signalled */
	}
	pthread_mutex_unlock(&st->mu);
	if (code == 0 && !page) {
		nng_aio_finish(aio, 0); /* the server lets go of the session, not the connection */
	} else if (code != 0) {
		nng_aio_free(j->aio);
		j->aio = NULL;
		j->conn = NULL;
		j->req_aio = NULL;
	}
	return code;
}

static void
hub_http_cb(nng_aio *aio)
{
	nng_http_req *req = nng_aio_get_input(aio, 0);
	nng_http_handler *hd = nng_aio_get_input(aio, 1);
	hub_http *st = nng_http_handler_get_data(hd);
	hub *h = st->h;
	bool hijacked = false; /* the export answered on the connection itself */
	const char *method = nng_http_req_get_method(req);
	const char *uri = nng_http_req_get_uri(req);
	const char *qm = strchr(uri, '?');
	size_t plen = qm ? (size_t)(qm - uri) : strlen(uri);
	const char *query = qm ? qm + 1 : "";
	char path[512];
	if (!hub_path_decode(uri, plen, path, sizeof path)) {
		hub_reply_error(aio, 400, false, "Adresse invalide.", "Bad address.");
		return;
	}
	char lang[8] = "";
	hub_query_get(query, "lang", lang, sizeof lang);
	bool en = strcmp(lang, "en") == 0;
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool post = strcmp(method, "POST") == 0;

	if (strcmp(path, "/login") == 0 && (get || post)) {
		char token[PX_VT_TEXT_MAX + 8] = "";
		bool have = false;
		if (post) {
			void *body = NULL;
			size_t blen = 0;
			nng_http_req_get_data(req, &body, &blen);
			char form[1024];
			if (blen < sizeof form) {
				memcpy(form, body, blen);
				form[blen] = '\0';
				have = hub_query_get(form, "token", token, sizeof token);
			}
		} else {
			have = hub_query_get(query, "token", token, sizeof token);
		}
		if (have) {
			Praxis__HubViewer *v = NULL;
			if (hub_viewer_lookup(h, token, strlen(token), &v) == PX_OK) {
				praxis__hub_viewer__free_unpacked(v, NULL);
				hub_login_ok(aio, token, en);
				return;
			}
			hub_audit(h, "http", "?", "login", "", 16, "%s", "invalid viewer token");
			hub_buf b = {0};
			hub_page_login(en, &b, en ? "Unknown or revoked token." : "Jeton inconnu ou révoqué.");
			hub_reply_html(aio, 401, &b);
			hub_buf_free(&b);
			return;
		}
		hub_buf b = {0};
		hub_page_login(en, &b, NULL);
		hub_reply_html(aio, 200, &b);
		hub_buf_free(&b);
		return;
	}
	if (strcmp(path, "/logout") == 0 && get) {
		hub_reply(aio, 303, "text/plain; charset=utf-8", "", 0,
		          "px_view=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0", "/login", NULL);
		return;
	}
	if (!get) {
		/* The dashboard is read-only: no write method exists. */
		hub_reply_error(aio, 405, en, "Méthode non permise : le tableau de bord est en lecture seule.",
		                "Method not allowed: the dashboard is read-only.");
		return;
	}
	if (strcmp(path, "/favicon.ico") == 0) {
		hub_reply(aio, 404, "text/plain", "", 0, NULL, NULL, NULL);
		return;
	}

	/* Everything else needs a viewer token. */
	char tbuf[PX_VT_TEXT_MAX + 8];
	const char *token = hub_cookie_token(nng_http_req_get_header(req, "Cookie"), tbuf, sizeof tbuf);
	if (token == NULL)
		token = nng_http_req_get_header(req, "X-Praxis-Token");
	const char *auth = nng_http_req_get_header(req, "Authorization");
	if (token == NULL && auth != NULL && strncmp(auth, "Bearer ", 7) == 0)
		token = auth + 7;
	Praxis__HubViewer *v = NULL;
	if (token == NULL || hub_viewer_lookup(h, token, strlen(token), &v) != PX_OK) {
		if (token != NULL)
			hub_audit(h, "http", "?", path, "", 16, "%s", "invalid viewer token");
		hub_buf b = {0};
		hub_page_login(en, &b, en ? "Log in with a viewer token." : "Connectez-vous avec un jeton de lecture.");
		hub_reply_html(aio, 401, &b);
		hub_buf_free(&b);
		return;
	}
	/* Every page left computes aggregates: a worker makes it (nng's
	 * threads carry the RPC calls), once for identical requests waiting
	 * together. */
	bool is_export = strcmp(path, "/export.csv") == 0 || strcmp(path, "/export.json") == 0;
	bool is_fw = strncmp(path, "/framework/", 11) == 0 && path[11] != '\0';
	bool is_com = strncmp(path, "/community/", 11) == 0 && path[11] != '\0';
	bool is_home = strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0;
	if (!is_export && !is_fw && !is_com && !is_home) {
		hub_reply_error(aio, 404, en, "Page inconnue.", "Unknown page.");
		goto done;
	}
	hub_http_job *j = calloc(1, sizeof *j);
	if (j == NULL) {
		hub_reply_error(aio, 500, en, px_strerror_user(PX_ENOMEM), px_strerror(PX_ENOMEM));
		goto done;
	}
	j->en = en;
	j->kind = is_export ? (strcmp(path, "/export.csv") == 0 ? HUB_JOB_CSV : HUB_JOB_JSON)
	                    : HUB_JOB_PAGE;
	px_strlcpy(j->path, is_home ? "/" : path, sizeof j->path);
	hub_query_get(query, "period", j->per, sizeof j->per);
	if (is_export) {
		hub_query_get(query, "framework", j->fw, sizeof j->fw);
		hub_query_get(query, "region", j->rg, sizeof j->rg);
		hub_query_get(query, "tenant", j->ten, sizeof j->ten);
		hub_query_get(query, "community", j->com, sizeof j->com);
	}
	if (is_fw && !hub_filter_in_scope(v, NULL, path + 11, NULL)) {
		hub_audit(h, "http", v->name, "framework", path + 11, 7, "%s",
		          "framework outside the viewer's scope");
		hub_reply_error(aio, 403, en, "PERMISSION_DENIED : ce cadre est hors de votre périmètre.",
		                "PERMISSION_DENIED: this framework is outside your scope.");
		free(j);
		goto done;
	}
	if (is_export && !hub_filter_in_scope(v, j->ten, j->fw, j->rg)) {
		hub_audit(h, "http", v->name, path, query, 7, "%s", "export outside the viewer's scope");
		hub_reply_error(aio, 403, en, "PERMISSION_DENIED : hors de votre périmètre.",
		                "PERMISSION_DENIED: outside your scope.");
		free(j);
		goto done;
	}
	j->v = v;
	int code = hub_http_job_queue(st, aio, j);
	if (code == 0) {
		v = NULL; /* the job's now, and so is the answer */
		hijacked = is_export;
		goto done;
	}
	j->v = NULL;
	free(j);
	if (code == 503)
		hub_reply_error(aio, 503, en, "Trop de demandes en attente : réessayez dans un instant.",
		                "Too many requests waiting: try again in a moment.");
	else
		hub_reply_error(aio, 500, en, px_strerror_user(PX_ENOMEM), px_strerror(PX_ENOMEM));
done:
	praxis__hub_viewer__free_unpacked(v, NULL);
	if (hijacked)
		nng_http_req_free(req); /* ours once the connection is */
}

/* Stops the export workers: a running export stops at its next write,
 * the waiting ones are closed unanswered. */
static void
hub_http_workers_stop(hub_http *st)
{
	pthread_mutex_lock(&st->mu);
	atomic_store(&st->stopping, true);
	pthread_cond_broadcast(&st->work);
	for (int i = 0; i < st->nworkers; i++)
		for (hub_http_job *j = st->running[i]; j != NULL; j = j->group)
			if (j->aio != NULL)
				nng_aio_abort(j->aio, NNG_ECLOSED);
	pthread_mutex_unlock(&st->mu);
	for (int i = 0; i < st->nworkers; i++)
		pthread_join(st->workers[i], NULL);
	while (st->head != NULL) {
		hub_http_job *j = st->head;
		st->head = j->next;
		hub_http_job_free(j);
	}
}

static void
hub_http_free(hub_http *st)
{
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->work);
	free(st);
}

px_err
hub_http_start(hub *h, const char *addr)
{
	char url[300];
	snprintf(url, sizeof url, "http://%s", addr);
	hub_http *st = calloc(1, sizeof *st);
	nng_url *u = NULL;
	if (st == NULL)
		return PX_ENOMEM;
	st->h = h;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->work, NULL);
	atomic_init(&st->stopping, false);
	int rc = nng_url_parse(&u, url);
	if (rc != 0)
		goto fail;
	if ((rc = nng_http_server_hold(&st->srv, u)) != 0)
		goto fail;
	if ((rc = nng_http_handler_alloc(&st->handler, "/", hub_http_cb)) != 0)
		goto fail;
	nng_http_handler_set_tree(st->handler);
	nng_http_handler_set_method(st->handler, NULL);
	nng_http_handler_collect_body(st->handler, true, 4096);
	nng_http_handler_set_data(st->handler, st, NULL);
	if ((rc = nng_http_server_add_handler(st->srv, st->handler)) != 0) {
		nng_http_handler_free(st->handler);
		goto fail;
	}
	for (int i = 0; i < HUB_WORKERS; i++) {
		hub_worker_arg *wa = malloc(sizeof *wa);
		if (wa == NULL) {
			rc = NNG_ENOMEM;
			goto fail;
		}
		*wa = (hub_worker_arg){st, i};
		if (pthread_create(&st->workers[i], NULL, hub_worker, wa) != 0) {
			free(wa);
			rc = NNG_ENOMEM;
			goto fail;
		}
		st->nworkers++;
	}
	if ((rc = nng_http_server_start(st->srv)) != 0)
		goto fail;
	nng_url_free(u);
	h->http = st;
	return PX_OK;
fail:
	px_log(PX_LOG_ERROR, "http %s: %s", url, nng_strerror(rc));
	if (st->srv != NULL)
		nng_http_server_release(st->srv);
	nng_url_free(u);
	hub_http_workers_stop(st);
	hub_http_free(st);
	return rc == NNG_EADDRINUSE ? PX_EUNAVAIL : PX_EIO;
}

void
hub_http_stop(hub *h)
{
	hub_http *st = h->http;
	if (st == NULL)
		return;
	/* The workers first: the server's stop waits for the requests they
	 * hold (a page's answer), which they answer or close. */
	hub_http_workers_stop(st);
	nng_http_server_stop(st->srv);
	nng_http_server_release(st->srv);
	hub_http_free(st);
	h->http = NULL;
}

/* -------------------------------------------------------- static files */

static px_err
hub_write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return PX_EIO;
	bool ok = fwrite(data, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	return ok ? PX_OK : PX_EIO;
}

px_err
hub_dashboard_write(hub *h, const Praxis__HubViewer *scope, const char *dir, bool en)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return PX_EIO;
	hub_page pg = {h, scope, en, true, NULL};
	hub_buf b = {0};
	hub_result r;
	hub_filter f = {0};
	f.scope = scope;
	px_err rv = hub_aggregate(h, &f, &r);
	if (rv != PX_OK)
		return rv;
	if ((rv = hub_page_overview(&pg, &b)) == PX_OK)
		rv = b.oom ? PX_ENOMEM : hub_write_file(dir, "index.html", b.p, b.n);
	for (size_t i = 0; rv == PX_OK && i < r.n_by_framework; i++) {
		hub_buf_free(&b);
		char name[160], safe[128];
		hub_safe_name(r.by_framework[i].framework, safe, sizeof safe);
		snprintf(name, sizeof name, "framework-%s.html", safe);
		if ((rv = hub_page_framework(&pg, &b, r.by_framework[i].framework)) == PX_OK)
			rv = b.oom ? PX_ENOMEM : hub_write_file(dir, name, b.p, b.n);
	}
	/* One page per community (rows hold one per community and period). */
	for (size_t i = 0; rv == PX_OK && i < r.n_rows; i++) {
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen = seen || strcmp(r.rows[j].community, r.rows[i].community) == 0;
		if (seen)
			continue;
		hub_filter cf = {0};
		cf.scope = scope;
		cf.community = r.rows[i].community;
		hub_result cr;
		if ((rv = hub_aggregate(h, &cf, &cr)) != PX_OK)
			break;
		hub_buf_free(&b);
		char name[200], safe[160];
		hub_safe_name(r.rows[i].community, safe, sizeof safe);
		snprintf(name, sizeof name, "community-%s.html", safe);
		if (cr.n_rows > 0 && (rv = hub_page_community(&pg, &b, r.rows[i].community, &cr)) == PX_OK)
			rv = b.oom ? PX_ENOMEM : hub_write_file(dir, name, b.p, b.n);
		hub_result_fini(&cr);
	}
	if (rv == PX_OK) {
		char path[1024];
		snprintf(path, sizeof path, "%s/report.csv", dir);
		FILE *cf = fopen(path, "wb");
		if (cf == NULL) {
			rv = PX_EIO;
		} else {
			rv = hub_export_csv(h, &f, cf, en);
			if (fclose(cf) != 0 && rv == PX_OK)
				rv = PX_EIO;
		}
	}
	if (rv == PX_OK) {
		char path[1024];
		snprintf(path, sizeof path, "%s/report.json", dir);
		FILE *jf = fopen(path, "wb");
		if (jf == NULL) {
			rv = PX_EIO;
		} else {
			rv = hub_export_json(h, &f, jf);
			if (fclose(jf) != 0 && rv == PX_OK)
				rv = PX_EIO;
		}
	}
	hub_buf_free(&b);
	hub_result_fini(&r);
	return rv;
}
