/*
 * px_plugin_host.c - finding, loading and checking rule plugins.
 *
 * Nothing of a plugin is trusted before it is checked: the descriptor's
 * first three words (magic, ABI version, size) are read first, and a field
 * is read only when the size the plugin declared covers it.
 */
#define _DEFAULT_SOURCE
#include "px_plugin_internal.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef PX_INSTALL_PREFIX
#define PX_INSTALL_PREFIX "/usr/local"
#endif

#define PH_MAX_ROWS 1024 /* longest accepted parameter, rule or indicator table */

struct px_plugin {
	void *dl;
	char *path;
	char *real;                 /* realpath, to skip a file met twice */
	const pxp_descriptor *d;
	const pxp_hooks *hooks;
	size_t n_params, n_rules;
};

typedef struct ph_refused {
	char *file;
	char *reason;
} ph_refused;

struct px_plugin_host {
	px_plugin **v;
	size_t n, cap;
	ph_refused *r;
	size_t n_r, cap_r;
};

static void
ph_why(char *why, const char *fmt, ...) PX_PRINTF(2, 3);

static void
ph_why(char *why, const char *fmt, ...)
{
	if (why == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, PX_PLUGIN_WHY_MAX, fmt, ap);
	va_end(ap);
}

/* Does the struct of declared size `size` cover the member at off of len? */
#define PH_COVERS(size, type, member) \
	((size) >= offsetof(type, member) + sizeof(((type *)0)->member))

static bool
ph_ident_ok(const char *s, size_t max, bool dash)
{
	if (s == NULL || s[0] == '\0' || strlen(s) > max)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (dash && s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (const char *c = s; *c; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
		          (dash && (*c == '-' || *c == '.' || (*c >= 'A' && *c <= 'Z')));
		if (!ok)
			return false;
	}
	return true;
}

static bool
ph_title_ok(const char *s)
{
	return s != NULL && pxi_text_ok(s, 1024);
}

/* Checks everything the host will read; why names the defect. */
static bool
ph_check(const pxp_descriptor *d, px_plugin *p, char *why)
{
	if (d == NULL) {
		ph_why(why, "%s", PX_T("le point d'entrée a rendu NULL", "the entry point returned NULL"));
		return false;
	}
	if (d->magic != PXP_ABI_MAGIC) {
		ph_why(why, PX_T("signature 0x%08x au lieu de 0x%08x : pas un plugin Praxis",
		                 "magic 0x%08x instead of 0x%08x: not a Praxis plugin"),
		       (unsigned)d->magic, (unsigned)PXP_ABI_MAGIC);
		return false;
	}
	if (d->abi_version != PXP_ABI_VERSION) {
		ph_why(why, PX_T("version d'ABI %u, cet hôte accepte la version %u",
		                 "ABI version %u, this host supports version %u"),
		       (unsigned)d->abi_version, (unsigned)PXP_ABI_VERSION);
		return false;
	}
	if (!PH_COVERS(d->size, pxp_descriptor, hooks) || d->size > 65536) {
		ph_why(why, PX_T("taille de descripteur %u invalide (au moins %zu attendus)",
		                 "invalid descriptor size %u (at least %zu expected)"),
		       (unsigned)d->size, offsetof(pxp_descriptor, hooks) + sizeof(void *));
		return false;
	}
	if (!ph_ident_ok(d->name, 64, false)) {
		ph_why(why, "%s", PX_T("nom invalide (a-z, 0-9, _ ; 64 octets au plus)",
		                       "invalid name (a-z, 0-9, _; at most 64 bytes)"));
		return false;
	}
	if (!ph_title_ok(d->title_fr) || !ph_title_ok(d->title_en) || d->version == NULL ||
	    !pxi_text_ok(d->version, 64)) {
		ph_why(why, "%s", PX_T("titre français, titre anglais ou version manquant ou invalide",
		                       "missing or invalid French title, English title or version"));
		return false;
	}
	const pxp_hooks *h = d->hooks;
	if (h == NULL) {
		ph_why(why, "%s", PX_T("table des crochets (hooks) NULL", "NULL hook table"));
		return false;
	}
	if (!PH_COVERS(h->size, pxp_hooks, audit) || h->size > 65536) {
		ph_why(why, PX_T("taille de la table des crochets %u invalide",
		                 "invalid hook table size %u"), (unsigned)h->size);
		return false;
	}
	if (h->audit == NULL) {
		ph_why(why, "%s", PX_T("crochet audit NULL (obligatoire)", "NULL audit hook (required)"));
		return false;
	}
	/* Parameters: optional table; names unique, defaults parse. */
	size_t np = 0;
	if (d->params != NULL) {
		for (; np < PH_MAX_ROWS && d->params[np].name != NULL; np++) {
			const pxp_param *q = &d->params[np];
			char pwhy[PX_PLUGIN_WHY_MAX];
			px_plugin_value v;
			if (!ph_ident_ok(q->name, 64, false)) {
				ph_why(why, PX_T("paramètre n° %zu : nom invalide", "parameter #%zu: invalid name"),
				       np + 1);
				return false;
			}
			for (size_t k = 0; k < np; k++) {
				if (strcmp(d->params[k].name, q->name) == 0) {
					ph_why(why, PX_T("paramètre « %s » déclaré deux fois",
					                 "parameter \"%s\" declared twice"), q->name);
					return false;
				}
			}
			if (q->type < PXP_PARAM_INT || q->type > PXP_PARAM_STRING) {
				ph_why(why, PX_T("paramètre « %s » : type %d inconnu",
				                 "parameter \"%s\": unknown type %d"), q->name, (int)q->type);
				return false;
			}
			if (!ph_title_ok(q->desc_fr) || !ph_title_ok(q->desc_en)) {
				ph_why(why, PX_T("paramètre « %s » : description française ou anglaise manquante",
				                 "parameter \"%s\": missing French or English description"),
				       q->name);
				return false;
			}
			if (!(q->min <= q->max)) {
				ph_why(why, PX_T("paramètre « %s » : min > max", "parameter \"%s\": min > max"),
				       q->name);
				return false;
			}
			if (q->default_value == NULL ||
			    px_plugin_param_parse(q, q->default_value, &v, pwhy) != PX_OK) {
				ph_why(why, PX_T("valeur par défaut invalide : %s", "invalid default value: %s"),
				       q->default_value == NULL ? q->name : pwhy);
				return false;
			}
		}
		if (np == PH_MAX_ROWS) {
			ph_why(why, "%s", PX_T("table des paramètres sans fin (nom NULL manquant)",
			                       "unterminated parameter table (no NULL name)"));
			return false;
		}
	}
	/* Rules: required, at least one; ids unique. */
	size_t nr = 0;
	if (d->rules == NULL || d->rules[0].id == NULL) {
		ph_why(why, "%s", PX_T("aucune règle déclarée", "no rule declared"));
		return false;
	}
	for (; nr < PH_MAX_ROWS && d->rules[nr].id != NULL; nr++) {
		const pxp_rule *r = &d->rules[nr];
		if (!ph_ident_ok(r->id, 32, true) || strcmp(r->id, PX_PLUGIN_FAILURE_RULE) == 0) {
			ph_why(why, PX_T("règle n° %zu : identifiant invalide", "rule #%zu: invalid id"), nr + 1);
			return false;
		}
		for (size_t k = 0; k < nr; k++) {
			if (strcmp(d->rules[k].id, r->id) == 0) {
				ph_why(why, PX_T("règle « %s » déclarée deux fois", "rule \"%s\" declared twice"),
				       r->id);
				return false;
			}
		}
		if ((int)r->severity < PXP_INFO || (int)r->severity > PXP_ERROR ||
		    !ph_title_ok(r->title_fr) || !ph_title_ok(r->title_en)) {
			ph_why(why, PX_T("règle « %s » : gravité ou titres invalides",
			                 "rule \"%s\": invalid severity or titles"), r->id);
			return false;
		}
	}
	if (nr == PH_MAX_ROWS) {
		ph_why(why, "%s", PX_T("table des règles sans fin (identifiant NULL manquant)",
		                       "unterminated rule table (no NULL id)"));
		return false;
	}
	/* Indicators: optional; names unique, both labels. */
	if (d->indicators != NULL) {
		size_t ni = 0;
		for (; ni < PH_MAX_ROWS && d->indicators[ni].name != NULL; ni++) {
			const pxp_indicator_decl *x = &d->indicators[ni];
			bool dup = false;
			for (size_t k = 0; k < ni; k++)
				dup = dup || strcmp(d->indicators[k].name, x->name) == 0;
			if (!ph_ident_ok(x->name, 64, false) || dup || !ph_title_ok(x->label_fr) ||
			    !ph_title_ok(x->label_en)) {
				ph_why(why, PX_T("indicateur n° %zu invalide (nom, doublon ou libellés)",
				                 "invalid indicator #%zu (name, duplicate or labels)"), ni + 1);
				return false;
			}
		}
		if (ni == PH_MAX_ROWS) {
			ph_why(why, "%s", PX_T("table des indicateurs sans fin", "unterminated indicator table"));
			return false;
		}
	}
	p->d = d;
	p->hooks = h;
	p->n_params = np;
	p->n_rules = nr;
	return true;
}

px_err
px_plugin_open(const char *path, px_plugin **out, char *why)
{
	char reason[PX_PLUGIN_WHY_MAX] = "";
	px_err rv = PX_EPLUGIN;
	*out = NULL;
	if (why)
		why[0] = '\0';
	px_plugin *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return PX_ENOMEM;
	p->path = strdup(path);
	p->real = realpath(path, NULL);
	if (p->path == NULL) {
		rv = PX_ENOMEM;
		goto fail;
	}
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		ph_why(reason, PX_T("fichier illisible ou pas un fichier ordinaire (%s)",
		                    "unreadable or not a regular file (%s)"),
		       strerror(errno ? errno : EINVAL));
		goto fail;
	}
	dlerror();
	p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (p->dl == NULL) {
		const char *e = dlerror();
		ph_why(reason, PX_T("pas une bibliothèque partagée chargeable (%s)",
		                    "not a loadable shared object (%s)"), e ? e : "?");
		goto fail;
	}
	dlerror();
	void *sym = dlsym(p->dl, PXP_ENTRY_SYMBOL);
	if (sym == NULL) {
		ph_why(reason, PX_T("symbole %s introuvable", "symbol %s not found"), PXP_ENTRY_SYMBOL);
		goto fail;
	}
	/* POSIX guarantees a data pointer from dlsym converts to a function pointer. */
	const pxp_descriptor *(*entry)(void);
	memcpy(&entry, &sym, sizeof(entry));
	if (!ph_check(entry(), p, reason))
		goto fail;
	*out = p;
	return PX_OK;
fail:
	ph_why(why, "%s : %s", path, reason);
	px_plugin_close(p);
	return rv;
}

void
px_plugin_close(px_plugin *p)
{
	if (p == NULL)
		return;
	if (p->dl != NULL)
		dlclose(p->dl);
	free(p->path);
	free(p->real);
	free(p);
}

const char *
px_plugin_name(const px_plugin *p)
{
	return p->d->name;
}

const char *
px_plugin_path(const px_plugin *p)
{
	return p->path;
}

const pxp_descriptor *
px_plugin_descriptor(const px_plugin *p)
{
	return p->d;
}

size_t
px_plugin_rule_count(const px_plugin *p)
{
	return p->n_rules;
}

size_t
px_plugin_param_count(const px_plugin *p)
{
	return p->n_params;
}

const pxp_rule *
px_plugin_rule(const px_plugin *p, const char *id)
{
	for (size_t i = 0; id != NULL && i < p->n_rules; i++)
		if (strcmp(p->d->rules[i].id, id) == 0)
			return &p->d->rules[i];
	return NULL;
}

const pxp_hooks *
pxi_hooks(const px_plugin *p)
{
	return p->hooks;
}

bool
pxi_has_hook(const px_plugin *p, pxi_hook which)
{
	const pxp_hooks *h = p->hooks;
	switch (which) {
	case PXI_HOOK_AUDIT: return true;
	case PXI_HOOK_CHANGE: return PH_COVERS(h->size, pxp_hooks, check_change) && h->check_change;
	case PXI_HOOK_INDICATORS: return PH_COVERS(h->size, pxp_hooks, indicators) && h->indicators;
	case PXI_HOOK_CALENDAR: return PH_COVERS(h->size, pxp_hooks, calendar) && h->calendar;
	}
	return false;
}

/* ------------------------------------------------------------------ the set */

static px_err
ph_refuse(px_plugin_host *h, const char *file, const char *reason)
{
	if (h->n_r == h->cap_r) {
		size_t cap = h->cap_r ? h->cap_r * 2 : 4;
		ph_refused *r = realloc(h->r, cap * sizeof(*r));
		if (r == NULL)
			return PX_ENOMEM;
		h->r = r;
		h->cap_r = cap;
	}
	ph_refused *x = &h->r[h->n_r];
	x->file = strdup(file);
	x->reason = strdup(reason);
	if (x->file == NULL || x->reason == NULL) {
		free(x->file);
		free(x->reason);
		return PX_ENOMEM;
	}
	h->n_r++;
	/* Not logged here: the caller shows the refused list once, its way. */
	return PX_OK;
}

static int
ph_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every *.so of dir, in name order so the result does not depend on
 * the directory's order. A missing directory is not an error. */
static px_err
ph_scan(px_plugin_host *h, const char *dir)
{
	px_err rv = PX_OK;
	DIR *dp = opendir(dir);
	if (dp == NULL)
		return PX_OK;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(dp)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 4 || strcmp(e->d_name + l - 3, ".so") != 0 || e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (nn == NULL) {
				rv = PX_ENOMEM;
				goto out;
			}
			names = nn;
		}
		if ((names[n] = strdup(e->d_name)) == NULL) {
			rv = PX_ENOMEM;
			goto out;
		}
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), ph_cmp);
	for (size_t i = 0; i < n && rv == PX_OK; i++) {
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path))
			continue;
		/* The same file reached twice (the build dir also in the env path). */
		char *real = realpath(path, NULL);
		bool seen = false;
		for (size_t k = 0; real != NULL && k < h->n; k++)
			seen = seen || (h->v[k]->real && strcmp(h->v[k]->real, real) == 0);
		for (size_t k = 0; real != NULL && k < h->n_r; k++) {
			char *rr = realpath(h->r[k].file, NULL);
			seen = seen || (rr && strcmp(rr, real) == 0);
			free(rr);
		}
		free(real);
		if (seen)
			continue;
		px_plugin *p;
		char why[PX_PLUGIN_WHY_MAX];
		px_err lr = px_plugin_open(path, &p, why);
		if (lr == PX_ENOMEM) {
			rv = lr;
			break;
		}
		if (lr != PX_OK) {
			rv = ph_refuse(h, path, why);
			continue;
		}
		const px_plugin *first = px_plugin_host_find(h, px_plugin_name(p));
		if (first != NULL) {
			snprintf(why, sizeof(why),
			         PX_T("%s : plugin « %s » ignoré, déjà chargé depuis %s",
			              "%s: plugin \"%s\" ignored, already loaded from %s"),
			         path, px_plugin_name(p), px_plugin_path(first));
			px_plugin_close(p);
			rv = ph_refuse(h, path, why);
			continue;
		}
		if (h->n == h->cap) {
			size_t nc = h->cap ? h->cap * 2 : 8;
			px_plugin **nv = realloc(h->v, nc * sizeof(*nv));
			if (nv == NULL) {
				px_plugin_close(p);
				rv = PX_ENOMEM;
				break;
			}
			h->v = nv;
			h->cap = nc;
		}
		h->v[h->n++] = p;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dp);
	return rv;
}

static px_err
ph_scan_list(px_plugin_host *h, const char *list)
{
	char *copy = strdup(list);
	if (copy == NULL)
		return PX_ENOMEM;
	px_err rv = PX_OK;
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d != NULL && rv == PX_OK;
	     d = strtok_r(NULL, ":", &save))
		rv = ph_scan(h, d);
	free(copy);
	return rv;
}

px_err
px_plugin_host_open(const px_plugin_host_opts *opts, px_plugin_host **out)
{
	px_plugin_host_opts def = {0};
	if (opts == NULL)
		opts = &def;
	*out = NULL;
	px_plugin_host *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return PX_ENOMEM;
	px_err rv = PX_OK;
	const char *env = opts->path;
	if (env == NULL && !opts->ignore_env)
		env = getenv("PRAXIS_PLUGIN_PATH");
	if (env != NULL && (rv = ph_scan_list(h, env)) != PX_OK)
		goto fail;
	if (opts->build_dir != NULL && (rv = ph_scan(h, opts->build_dir)) != PX_OK)
		goto fail;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/lib/praxis/plugins", opts->prefix ? opts->prefix : PX_INSTALL_PREFIX);
	if ((rv = ph_scan(h, dir)) != PX_OK)
		goto fail;
	*out = h;
	return PX_OK;
fail:
	px_plugin_host_close(h);
	return rv;
}

void
px_plugin_host_close(px_plugin_host *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++)
		px_plugin_close(h->v[i]);
	for (size_t i = 0; i < h->n_r; i++) {
		free(h->r[i].file);
		free(h->r[i].reason);
	}
	free(h->v);
	free(h->r);
	free(h);
}

size_t
px_plugin_host_count(const px_plugin_host *h)
{
	return h ? h->n : 0;
}

const px_plugin *
px_plugin_host_get(const px_plugin_host *h, size_t i)
{
	return h && i < h->n ? h->v[i] : NULL;
}

const px_plugin *
px_plugin_host_find(const px_plugin_host *h, const char *name)
{
	for (size_t i = 0; h && name && i < h->n; i++)
		if (strcmp(px_plugin_name(h->v[i]), name) == 0)
			return h->v[i];
	return NULL;
}

size_t
px_plugin_host_refused_count(const px_plugin_host *h)
{
	return h ? h->n_r : 0;
}

const char *
px_plugin_host_refused_file(const px_plugin_host *h, size_t i)
{
	return h && i < h->n_r ? h->r[i].file : NULL;
}

const char *
px_plugin_host_refused_reason(const px_plugin_host *h, size_t i)
{
	return h && i < h->n_r ? h->r[i].reason : NULL;
}

const char *
px_plugin_severity_name(pxp_severity sev)
{
	switch (sev) {
	case PXP_INFO: return PX_T("info", "info");
	case PXP_WARNING: return PX_T("avertissement", "warning");
	case PXP_ERROR: return PX_T("erreur", "error");
	}
	return "?";
}
