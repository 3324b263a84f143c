/*
 * main.c - praxis-hub's command line. Thin: every command calls hub.h.
 *
 * Exit codes: 0 ok, 1 usage, 2 invalid or refused, 3 not found,
 * 4 storage/key/network error.
 */
#define _GNU_SOURCE
#include "hub.h"
#include "px_report.h"
#include "px_rpc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include <stdarg.h>
#include <pthread.h>
#include <cjson/cJSON.h>

enum { HX_OK = 0, HX_USAGE = 1, HX_INVALID = 2, HX_NOTFOUND = 3, HX_IO = 4 };

static int
hx_code(px_err e)
{
	switch (e) {
	case PX_OK: return HX_OK;
	case PX_ENOTFOUND: return HX_NOTFOUND;
	case PX_EINVAL: case PX_EEXISTS: case PX_EPERM: case PX_EAUTH: case PX_EPRECOND:
	case PX_EPASS: return HX_INVALID;
	default: return HX_IO;
	}
}

static int
hx_fail(px_err e, const char *fmt, ...) PX_PRINTF(2, 3);
static int
hx_fail(px_err e, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "praxis-hub : %s : ", PX_T("erreur", "error"));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (e != PX_OK)
		fprintf(stderr, " (%s)", px_strerror_user(e));
	fputc('\n', stderr);
	return hx_code(e);
}

/* ---- options: "--name value" / "--name=value" / flags ---- */
typedef struct hx_opt {
	const char *name;
	bool has_arg;
	const char *value;
} hx_opt;

/* Parses argv[first..] into opts and positional args; returns false with a
 * message on an unknown option or a missing value. */
static bool
hx_parse(int argc, char **argv, int first, hx_opt *opts, char **pos, int *npos, int maxpos)
{
	*npos = 0;
	for (int i = first; i < argc; i++) {
		char *a = argv[i];
		if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
			char *name = a + 2, *eq = strchr(name, '=');
			size_t nl = eq ? (size_t)(eq - name) : strlen(name);
			hx_opt *o = NULL;
			for (hx_opt *p = opts; p->name != NULL; p++)
				if (strlen(p->name) == nl && strncmp(p->name, name, nl) == 0)
					o = p;
			if (o == NULL) {
				hx_fail(PX_OK, PX_T("option inconnue « %s » (voir --help)",
				                    "unknown option '%s' (see --help)"), a);
				return false;
			}
			if (!o->has_arg) {
				o->value = "1";
			} else if (eq != NULL) {
				o->value = eq + 1;
			} else if (i + 1 < argc) {
				o->value = argv[++i];
			} else {
				hx_fail(PX_OK, PX_T("l'option --%s demande une valeur",
				                    "option --%s needs a value"), o->name);
				return false;
			}
		} else {
			if (*npos >= maxpos) {
				hx_fail(PX_OK, PX_T("argument en trop « %s » (voir --help)",
				                    "unexpected argument '%s' (see --help)"), a);
				return false;
			}
			pos[(*npos)++] = a;
		}
	}
	return true;
}

static const char *
hx_get(const hx_opt *opts, const char *name)
{
	for (const hx_opt *p = opts; p->name != NULL; p++)
		if (strcmp(p->name, name) == 0)
			return p->value;
	return NULL;
}

/* "90s", "15m", "12h", "7d", or plain seconds. 0 is allowed (a token that
 * is already expired, for tests). */
static bool
hx_duration(const char *s, int64_t *ms)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 0 || v > 100LL * 365 * 86400)
		return false;
	int64_t mult = 1000;
	if (*end == 's')
		end++;
	else if (*end == 'm')
		mult = 60000, end++;
	else if (*end == 'h')
		mult = 3600000, end++;
	else if (*end == 'd')
		mult = 86400000, end++;
	if (*end != '\0')
		return false;
	*ms = (int64_t)v * mult;
	return true;
}

static const char *hx_data_flag;

static const char *
hx_data_dir(void)
{
	if (hx_data_flag != NULL)
		return hx_data_flag;
	const char *e = getenv("PRAXIS_HUB_DATA");
	if (e != NULL && e[0] != '\0')
		return e;
	return "praxis-hub-data";
}

static const char *
hx_passphrase(void)
{
	const char *p = getenv("PRAXIS_HUB_PASSPHRASE");
	return p != NULL && p[0] != '\0' ? p : NULL;
}

static int
hx_open(hub **h)
{
	px_err rv = hub_open(hx_data_dir(), hx_passphrase(), h);
	if (rv == PX_ENOTFOUND)
		return hx_fail(rv, PX_T("aucun hub dans « %s » : lancez d'abord « praxis-hub init »",
		                        "no hub in '%s': run 'praxis-hub init' first"), hx_data_dir());
	if (rv != PX_OK)
		return hx_fail(rv, PX_T("ouverture du hub « %s » impossible", "cannot open hub '%s'"),
		               hx_data_dir());
	return HX_OK;
}

static bool
hx_help(int argc, char **argv, int first, const char *text)
{
	for (int i = first; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(text, stdout);
			return true;
		}
	return false;
}

/* A command line as its row in main's table parsed it: the options with
 * their values, the positional (borrowed from argv), and argv itself (the
 * subcommand of tenant and viewer is argv[2]). */
#define HX_MAX_OPTS 8
typedef struct hx_args {
	char **argv;
	hx_opt o[HX_MAX_OPTS + 1]; /* ends with a NULL name */
	char *pos[1];
	int np;
} hx_args;

#define HX_ARG(n) {(n), true, NULL}
#define HX_FLAG(n) {(n), false, NULL}
#define HX_OPTS_END {NULL, false, NULL}

/* A command: its options, whether argv[2] is a subcommand (its options
 * then start at argv[3], and without one the help is a usage error on
 * stderr), the most positionals, and its --help text. A row without help
 * (key) takes no options and ignores its arguments. */
typedef struct hx_cmd {
	const char *name;
	int (*run)(const hx_args *a);
	hx_opt opts[HX_MAX_OPTS];
	bool sub;
	int max_pos;
	const char *help_fr, *help_en;
} hx_cmd;

/* --help, then the options and positionals of c's row; then c->run. */
static int
hx_run(const hx_cmd *c, int argc, char **argv)
{
	hx_args a;
	memset(&a, 0, sizeof a);
	a.argv = argv;
	if (c->help_fr != NULL) {
		const char *help = PX_T(c->help_fr, c->help_en);
		if (c->sub && argc < 3) {
			fputs(help, stderr);
			return HX_USAGE;
		}
		if (hx_help(argc, argv, 2, help))
			return HX_OK;
		memcpy(a.o, c->opts, sizeof c->opts);
		if (!hx_parse(argc, argv, c->sub ? 3 : 2, a.o, a.pos, &a.np, c->max_pos))
			return HX_USAGE;
	}
	return c->run(&a);
}

/* ------------------------------------------------------------- commands */

static int
cmd_init(const hx_args *a)
{
	const char *listen = hx_get(a->o, "listen") ? hx_get(a->o, "listen") : HUB_DEFAULT_LISTEN;
	if (strncmp(listen, "tcp://", 6) != 0 && strncmp(listen, "ipc://", 6) != 0)
		return hx_fail(PX_EINVAL, PX_T("adresse invalide « %s » (tcp://hôte:port)",
		                               "invalid address '%s' (tcp://host:port)"), listen), HX_USAGE;
	px_err rv = hub_init_dir(hx_data_dir(), listen, hx_passphrase());
	if (rv == PX_EEXISTS)
		return hx_fail(rv, PX_T("un hub existe déjà dans « %s »", "a hub already exists in '%s'"),
		               hx_data_dir());
	if (rv != PX_OK)
		return hx_fail(rv, PX_T("initialisation impossible", "initialization failed"));
	hub *h = NULL;
	int ec = hx_open(&h);
	if (ec != HX_OK)
		return ec;
	char hex[PX_PK_HEX];
	px_hex_encode(px_identity_pk(h->id), PX_PK_BYTES, hex);
	printf(PX_T("Hub initialisé dans %s\nclé publique : %s\nadresse RPC : %s\n",
	            "Hub initialized in %s\npublic key: %s\nRPC address: %s\n"),
	       hx_data_dir(), hex, h->listen);
	hub_close(h);
	return HX_OK;
}

static int
cmd_serve(const hx_args *a)
{
	/* Signals are blocked before any thread starts so that only sigwait
	 * below receives them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	hub *h = NULL;
	int ec = hx_open(&h);
	if (ec != HX_OK)
		return ec;
	hub_load_plugins(h);
	const char *listen = hx_get(a->o, "listen") ? hx_get(a->o, "listen") : h->listen;
	px_err rv = hub_rpc_start(h, listen);
	if (rv != PX_OK) {
		ec = hx_fail(rv, PX_T("écoute RPC impossible sur %s", "cannot listen for RPC on %s"), listen);
		hub_close(h);
		return ec;
	}
	const char *http = hx_get(a->o, "http") ? hx_get(a->o, "http") : HUB_DEFAULT_HTTP;
	if (hx_get(a->o, "no-http") == NULL) {
		rv = hub_http_start(h, http);
		if (rv != PX_OK) {
			ec = hx_fail(rv, PX_T("écoute HTTP impossible sur %s", "cannot listen for HTTP on %s"),
			             http);
			hub_rpc_stop(h);
			hub_close(h);
			return ec;
		}
	}
	printf("rpc %s\n", listen);
	if (hx_get(a->o, "no-http") == NULL)
		printf("http http://%s/\n", http);
	printf(PX_T("prêt\n", "ready\n"));
	fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	px_log(PX_LOG_INFO, "signal %d: stopping", sig);
	hub_http_stop(h);
	hub_rpc_stop(h);
	hub_close(h);
	return HX_OK;
}

static void
hx_tenant_print(void *arg, const Praxis__HubTenant *t, size_t keys, size_t reports)
{
	cJSON *arr = arg;
	if (arr != NULL) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", t->name);
		cJSON_AddStringToObject(o, "region", t->region);
		cJSON_AddStringToObject(o, "org_name", t->org_name);
		cJSON_AddBoolToObject(o, "revoked", t->revoked);
		cJSON_AddNumberToObject(o, "keys", (double)keys);
		cJSON_AddNumberToObject(o, "reports", (double)reports);
		cJSON_AddItemToArray(arr, o);
		return;
	}
	printf("%-24s %-20s %-8s %5zu %7zu  %s\n", t->name, t->region,
	       t->revoked ? PX_T("révoquée", "revoked") : PX_T("active", "active"), keys, reports,
	       t->org_name);
}

static px_err
hx_tenant_list(hub *h, bool json)
{
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	if (!json)
		printf("%-24s %-20s %-8s %5s %7s  %s\n", PX_T("organisation", "tenant"), PX_T("région", "region"),
		       PX_T("état", "state"), PX_T("clés", "keys"), PX_T("rapports", "reports"),
		       PX_T("nom", "name"));
	px_err rv = hub_tenant_each(h, hx_tenant_print, arr);
	if (json) {
		char *s = cJSON_PrintUnformatted(arr);
		if (s != NULL)
			printf("%s\n", s);
		free(s);
		cJSON_Delete(arr);
	}
	return rv;
}

static int
cmd_tenant(const hx_args *a)
{
	const char *sub = a->argv[2];
	int64_t ttl = HUB_DEFAULT_TTL_MS;
	if (hx_get(a->o, "ttl") != NULL && !hx_duration(hx_get(a->o, "ttl"), &ttl)) {
		hx_fail(PX_EINVAL, PX_T("durée invalide « %s » (ex. 12h, 7d)", "invalid duration '%s' (e.g. 12h, 7d)"),
		        hx_get(a->o, "ttl"));
		return HX_USAGE;
	}
	if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "revoke") != 0 &&
	    strcmp(sub, "rotate-key") != 0) {
		hx_fail(PX_OK, PX_T("sous-commande inconnue « %s » (voir --help)", "unknown subcommand '%s' (see --help)"), sub);
		return HX_USAGE;
	}
	bool needs_name = strcmp(sub, "list") != 0;
	if (needs_name && a->np != 1) {
		hx_fail(PX_OK, PX_T("nom d'organisation manquant (voir --help)", "missing tenant name (see --help)"));
		return HX_USAGE;
	}
	hub *h = NULL;
	int ec;
	char token[PX_JT_TEXT_MAX];
	px_err rv;
	if (strcmp(sub, "add") == 0) {
		if (hx_get(a->o, "region") == NULL) {
			hx_fail(PX_OK, PX_T("--region est obligatoire", "--region is required"));
			return HX_USAGE;
		}
		if (!px_tenant_name_valid(a->pos[0])) {
			hx_fail(PX_EINVAL, PX_T("nom d'organisation invalide « %s » (lettres, chiffres, . _ -, 64 au plus)",
			                        "invalid tenant name '%s' (letters, digits, . _ -, at most 64)"), a->pos[0]);
			return HX_INVALID;
		}
		if ((ec = hx_open(&h)) != HX_OK)
			return ec;
		rv = hub_tenant_add(h, a->pos[0], hx_get(a->o, "region"), ttl, hx_get(a->o, "address"), token);
		if (rv == PX_EEXISTS)
			ec = hx_fail(rv, PX_T("l'organisation « %s » existe déjà", "tenant '%s' already exists"), a->pos[0]);
		else if (rv != PX_OK)
			ec = hx_fail(rv, PX_T("ajout impossible", "cannot add tenant"));
		else
			printf("%s\n", token);
	} else if (strcmp(sub, "rotate-key") == 0) {
		if ((ec = hx_open(&h)) != HX_OK)
			return ec;
		rv = hub_tenant_rotate(h, a->pos[0], ttl, hx_get(a->o, "address"), token);
		if (rv == PX_ENOTFOUND)
			ec = hx_fail(rv, PX_T("organisation « %s » inconnue", "unknown tenant '%s'"), a->pos[0]);
		else if (rv == PX_EPERM)
			ec = hx_fail(rv, PX_T("l'organisation « %s » est révoquée", "tenant '%s' is revoked"), a->pos[0]);
		else if (rv != PX_OK)
			ec = hx_fail(rv, PX_T("rotation impossible", "cannot rotate"));
		else
			printf("%s\n", token);
	} else if (strcmp(sub, "revoke") == 0) {
		if ((ec = hx_open(&h)) != HX_OK)
			return ec;
		rv = hub_tenant_revoke(h, a->pos[0]);
		if (rv == PX_ENOTFOUND)
			ec = hx_fail(rv, PX_T("organisation « %s » inconnue", "unknown tenant '%s'"), a->pos[0]);
		else if (rv != PX_OK)
			ec = hx_fail(rv, PX_T("révocation impossible", "cannot revoke"));
		else
			printf(PX_T("organisation %s révoquée\n", "tenant %s revoked\n"), a->pos[0]);
	} else if (strcmp(sub, "list") == 0) {
		if ((ec = hx_open(&h)) != HX_OK)
			return ec;
		rv = hx_tenant_list(h, hx_get(a->o, "json") != NULL);
		if (rv != PX_OK)
			ec = hx_fail(rv, PX_T("lecture impossible", "cannot read"));
	} else {
		hx_fail(PX_OK, PX_T("sous-commande inconnue « %s » (voir --help)", "unknown subcommand '%s' (see --help)"), sub);
		return HX_USAGE;
	}
	hub_close(h);
	return ec;
}

static void
hx_viewer_print(void *arg, const Praxis__HubViewer *v)
{
	cJSON *arr = arg;
	char tenants[512] = "";
	for (size_t i = 0; i < v->n_tenants; i++) {
		if (i)
			strncat(tenants, ",", sizeof tenants - strlen(tenants) - 1);
		strncat(tenants, v->tenants[i], sizeof tenants - strlen(tenants) - 1);
	}
	if (arr != NULL) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", v->name);
		cJSON_AddStringToObject(o, "tenants", tenants);
		cJSON_AddStringToObject(o, "framework", v->framework);
		cJSON_AddStringToObject(o, "region", v->region);
		cJSON_AddBoolToObject(o, "revoked", v->revoked);
		cJSON_AddItemToArray(arr, o);
		return;
	}
	printf("%-20s %-30s %-14s %-16s %s\n", v->name, tenants[0] ? tenants : "*",
	       v->framework[0] ? v->framework : "*", v->region[0] ? v->region : "*",
	       v->revoked ? PX_T("révoqué", "revoked") : "");
}

static int
cmd_viewer(const hx_args *a)
{
	const char *sub = a->argv[2];
	hub *h = NULL;
	int ec = HX_OK;
	px_err rv;
	if (strcmp(sub, "add") == 0) {
		if (a->np != 1 || hx_get(a->o, "scope") == NULL) {
			hx_fail(PX_OK, PX_T("usage : viewer add NOM --scope PÉRIMÈTRE", "usage: viewer add NAME --scope SCOPE"));
			return HX_USAGE;
		}
		Praxis__HubViewer v = PRAXIS__HUB_VIEWER__INIT;
		rv = hub_scope_parse(hx_get(a->o, "scope"), &v);
		hub_viewer_fields_free(&v);
		if (rv != PX_OK) {
			hx_fail(rv, PX_T("périmètre invalide « %s » (tenants=a,b;framework=F;region=R)",
			                 "invalid scope '%s' (tenants=a,b;framework=F;region=R)"), hx_get(a->o, "scope"));
			return HX_USAGE;
		}
		if ((ec = hx_open(&h)) != HX_OK)
			return ec;
		char token[PX_VT_TEXT_MAX];
		rv = hub_viewer_add(h, a->pos[0], hx_get(a->o, "scope"), token);
		if (rv != PX_OK)
			ec = hx_fail(rv, PX_T("ajout impossible", "cannot add viewer"));
		else
			printf("%s\n", token);
	} else if (strcmp(sub, "list") == 0) {
		if ((ec = hx_open(&h)) != HX_OK)
			return ec;
		cJSON *arr = hx_get(a->o, "json") ? cJSON_CreateArray() : NULL;
		rv = hub_viewer_each(h, hx_viewer_print, arr);
		if (arr != NULL) {
			char *s = cJSON_PrintUnformatted(arr);
			printf("%s\n", s ? s : "[]");
			free(s);
			cJSON_Delete(arr);
		}
		if (rv != PX_OK)
			ec = hx_fail(rv, PX_T("lecture impossible", "cannot read"));
	} else if (strcmp(sub, "revoke") == 0) {
		if (a->np != 1) {
			hx_fail(PX_OK, PX_T("nom manquant", "missing name"));
			return HX_USAGE;
		}
		if ((ec = hx_open(&h)) != HX_OK)
			return ec;
		rv = hub_viewer_revoke(h, a->pos[0]);
		if (rv != PX_OK)
			ec = hx_fail(rv, PX_T("révocation impossible de « %s »", "cannot revoke '%s'"), a->pos[0]);
		else
			printf(PX_T("lecteur %s révoqué\n", "viewer %s revoked\n"), a->pos[0]);
	} else {
		hx_fail(PX_OK, PX_T("sous-commande inconnue « %s » (voir --help)", "unknown subcommand '%s' (see --help)"), sub);
		return HX_USAGE;
	}
	hub_close(h);
	return ec;
}

static int
cmd_report(const hx_args *a)
{
	if (hx_get(a->o, "csv") && hx_get(a->o, "json")) {
		hx_fail(PX_OK, PX_T("--csv et --json s'excluent", "--csv and --json exclude each other"));
		return HX_USAGE;
	}
	bool en = px_lang_en();
	if (hx_get(a->o, "lang") != NULL)
		en = strcmp(hx_get(a->o, "lang"), "en") == 0;
	px_period per;
	if (hx_get(a->o, "period") != NULL && px_period_parse(hx_get(a->o, "period"), &per) != PX_OK) {
		hx_fail(PX_EINVAL, PX_T("période invalide « %s » (2025, 2025-Q1 ou 2025-03)",
		                        "invalid period '%s' (2025, 2025-Q1 or 2025-03)"), hx_get(a->o, "period"));
		return HX_USAGE;
	}
	hub *h = NULL;
	int ec = hx_open(&h);
	if (ec != HX_OK)
		return ec;
	hub_load_plugins(h);
	hub_filter f = {0};
	f.framework = hx_get(a->o, "framework");
	f.region = hx_get(a->o, "region");
	f.period = hx_get(a->o, "period");
	f.tenant = hx_get(a->o, "tenant");
	f.community = hx_get(a->o, "community");
	hub_result r;
	px_err rv;
	if (hx_get(a->o, "csv") || hx_get(a->o, "json")) {
		/* Community rows streamed: a large hub exports without holding them. */
		rv = hx_get(a->o, "csv") ? hub_export_csv(h, &f, stdout, en) : hub_export_json(h, &f, stdout);
		if (rv != PX_OK)
			ec = hx_fail(rv, PX_T("agrégation impossible", "cannot aggregate"));
		hub_close(h);
		return ec;
	}
	rv = hub_aggregate(h, &f, &r);
	if (rv != PX_OK) {
		ec = hx_fail(rv, PX_T("agrégation impossible", "cannot aggregate"));
	} else {
		if (hx_get(a->o, "json"))
			hub_render_json(h, &r, stdout);
		else if (hx_get(a->o, "csv"))
			hub_render_csv(h, &r, stdout, en);
		else
			hub_render_table(h, &r, stdout, en);
		hub_result_fini(&r);
	}
	hub_close(h);
	return ec;
}

static void
hx_audit_print(void *arg, uint64_t seq, const Praxis__HubAuditEvent *e)
{
	cJSON *arr = arg;
	time_t t = (time_t)(e->time_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char ts[32];
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (arr != NULL) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "seq", (double)seq);
		cJSON_AddStringToObject(o, "time", ts);
		cJSON_AddStringToObject(o, "channel", e->channel);
		cJSON_AddStringToObject(o, "who", e->who);
		cJSON_AddStringToObject(o, "action", e->action);
		cJSON_AddStringToObject(o, "target", e->target);
		cJSON_AddStringToObject(o, "code", px_code_name(e->code));
		cJSON_AddStringToObject(o, "reason", e->reason);
		cJSON_AddItemToArray(arr, o);
		return;
	}
	printf("%6llu %s %-4s %-32s %-14s %-20s %-18s %s\n", (unsigned long long)seq, ts, e->channel,
	       e->who, e->action, e->target, px_code_name(e->code), e->reason);
}

static int
cmd_audit(const hx_args *a)
{
	if (a->np == 1 && strcmp(a->pos[0], "list") != 0) {
		hx_fail(PX_OK, PX_T("sous-commande inconnue « %s »", "unknown subcommand '%s'"), a->pos[0]);
		return HX_USAGE;
	}
	hub *h = NULL;
	int ec = hx_open(&h);
	if (ec != HX_OK)
		return ec;
	cJSON *arr = hx_get(a->o, "json") ? cJSON_CreateArray() : NULL;
	px_err rv = hub_audit_each(h, hx_audit_print, arr);
	if (arr != NULL) {
		char *s = cJSON_PrintUnformatted(arr);
		printf("%s\n", s ? s : "[]");
		free(s);
		cJSON_Delete(arr);
	}
	if (rv != PX_OK)
		ec = hx_fail(rv, PX_T("lecture impossible", "cannot read"));
	hub_close(h);
	return ec;
}

static int
cmd_dashboard(const hx_args *a)
{
	if (hx_get(a->o, "out") == NULL) {
		hx_fail(PX_OK, PX_T("--out DIR est obligatoire", "--out DIR is required"));
		return HX_USAGE;
	}
	Praxis__HubViewer v = PRAXIS__HUB_VIEWER__INIT;
	bool scoped = hx_get(a->o, "scope") != NULL;
	if (scoped && hub_scope_parse(hx_get(a->o, "scope"), &v) != PX_OK) {
		hub_viewer_fields_free(&v);
		hx_fail(PX_EINVAL, PX_T("périmètre invalide", "invalid scope"));
		return HX_USAGE;
	}
	bool en = px_lang_en();
	if (hx_get(a->o, "lang") != NULL)
		en = strcmp(hx_get(a->o, "lang"), "en") == 0;
	hub *h = NULL;
	int ec = hx_open(&h);
	if (ec == HX_OK) {
		hub_load_plugins(h);
		px_err rv = hub_dashboard_write(h, scoped ? &v : NULL, hx_get(a->o, "out"), en);
		if (rv != PX_OK)
			ec = hx_fail(rv, PX_T("écriture impossible dans « %s »", "cannot write to '%s'"), hx_get(a->o, "out"));
		else
			printf(PX_T("tableau de bord écrit dans %s/index.html\n", "dashboard written to %s/index.html\n"),
			       hx_get(a->o, "out"));
		hub_close(h);
	}
	hub_viewer_fields_free(&v);
	return ec;
}

static int
cmd_key(const hx_args *a)
{
	(void)a;
	hub *h = NULL;
	int ec = hx_open(&h);
	if (ec != HX_OK)
		return ec;
	char hex[PX_PK_HEX];
	px_hex_encode(px_identity_pk(h->id), PX_PK_BYTES, hex);
	printf("%s\n", hex);
	hub_close(h);
	return HX_OK;
}

/* Size of hub.mdb in bytes, or -1. */
static long long
hx_file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

static int
cmd_compact(const hx_args *a)
{
	hub *h = NULL;
	int ec = hx_open(&h);
	if (ec != HX_OK)
		return ec;
	char path[700];
	px_strlcpy(path, px_store_path(h->st), sizeof path);
	long long before = hx_file_size(path);
	px_err rv = px_store_compact(h->st);
	hub_close(h);
	if (rv == PX_EPRECOND)
		return hx_fail(rv, "%s",
		               PX_T("hub.mdb est ouverte par un autre processus (praxis-hub serve ?) : "
		                    "arrêtez-le et réessayez",
		                    "hub.mdb is open in another process (praxis-hub serve?): stop it "
		                    "and try again"));
	if (rv != PX_OK)
		return hx_fail(rv, PX_T("compactage de « %s » impossible", "cannot compact '%s'"), path);
	long long after = hx_file_size(path);
	printf(PX_T("%s compactée : %lld octets avant, %lld après\n",
	            "%s compacted: %lld bytes before, %lld after\n"),
	       path, before, after);
	return HX_OK;
}

/* The commands: name, function, options, subcommand, most positionals,
 * --help in French and English (see hx_cmd). */
static const hx_cmd hx_cmds[] = {
	{"init", cmd_init, {HX_ARG("listen")}, false, 0,
	    "usage : praxis-hub [--data DIR] init [--listen URL]\n"
	    "  Crée le répertoire de données, la clé d'identité du hub et hub.mdb.\n"
	    "  --listen URL  adresse RPC annoncée dans les jetons (défaut " HUB_DEFAULT_LISTEN ")\n",
	    "usage: praxis-hub [--data DIR] init [--listen URL]\n"
	    "  Creates the data directory, the hub's identity key and hub.mdb.\n"
	    "  --listen URL  RPC address given in join tokens (default " HUB_DEFAULT_LISTEN ")\n"},
	{"serve", cmd_serve, {HX_ARG("listen"), HX_ARG("http"), HX_FLAG("no-http")}, false, 0,
	    "usage : praxis-hub [--data DIR] serve [--listen URL] [--http HÔTE:PORT] [--no-http]\n"
	    "  Sert praxis.Hub (RPC) et le tableau de bord jusqu'à SIGTERM/SIGINT.\n",
	    "usage: praxis-hub [--data DIR] serve [--listen URL] [--http HOST:PORT] [--no-http]\n"
	    "  Serves praxis.Hub (RPC) and the dashboard until SIGTERM/SIGINT.\n"},
	{"tenant", cmd_tenant, {HX_ARG("region"), HX_ARG("ttl"), HX_ARG("address"), HX_FLAG("json")}, true, 1,
	    "usage :\n"
	    "  praxis-hub tenant add NOM --region R [--ttl DURÉE] [--address URL]\n"
	    "  praxis-hub tenant list [--json]\n"
	    "  praxis-hub tenant revoke NOM\n"
	    "  praxis-hub tenant rotate-key NOM [--ttl DURÉE] [--address URL]\n"
	    "  add et rotate-key impriment un jeton d'adhésion à usage unique (pxj1.…),\n"
	    "  valable --ttl (défaut 7d ; 30s, 15m, 12h, 7d).\n",
	    "usage:\n"
	    "  praxis-hub tenant add NAME --region R [--ttl DURATION] [--address URL]\n"
	    "  praxis-hub tenant list [--json]\n"
	    "  praxis-hub tenant revoke NAME\n"
	    "  praxis-hub tenant rotate-key NAME [--ttl DURATION] [--address URL]\n"
	    "  add and rotate-key print a single-use join token (pxj1.…),\n"
	    "  valid for --ttl (default 7d; 30s, 15m, 12h, 7d).\n"},
	{"viewer", cmd_viewer, {HX_ARG("scope"), HX_FLAG("json")}, true, 1,
	    "usage :\n"
	    "  praxis-hub viewer add NOM --scope 'tenants=a,b;framework=F;region=R'\n"
	    "  praxis-hub viewer list [--json]\n"
	    "  praxis-hub viewer revoke NOM\n"
	    "  add imprime un jeton de lecture seule (pxv1.…) ; une clé absente du\n"
	    "  périmètre veut dire « tout » (--scope all ou '' : tout voir).\n",
	    "usage:\n"
	    "  praxis-hub viewer add NAME --scope 'tenants=a,b;framework=F;region=R'\n"
	    "  praxis-hub viewer list [--json]\n"
	    "  praxis-hub viewer revoke NAME\n"
	    "  add prints a read-only viewer token (pxv1.…); a key missing from the\n"
	    "  scope means \"all\" (--scope all or '' sees everything).\n"},
	{"report", cmd_report,
	 {HX_ARG("framework"), HX_ARG("region"), HX_ARG("period"), HX_ARG("tenant"), HX_ARG("community"),
	  HX_FLAG("csv"), HX_FLAG("json"), HX_ARG("lang")},
	 false, 0,
	    "usage : praxis-hub report [--framework F] [--region R] [--period P] [--tenant T]\n"
	    "                          [--community UID] [--csv | --json] [--lang fr|en]\n"
	    "  Agrégats des derniers rapports reçus (cellules de moins de k personnes masquées).\n"
	    "  --csv : UTF-8 avec BOM, séparateur « ; », virgule décimale (Excel français).\n",
	    "usage: praxis-hub report [--framework F] [--region R] [--period P] [--tenant T]\n"
	    "                         [--community UID] [--csv | --json] [--lang fr|en]\n"
	    "  Aggregates of the latest reports received (cells under k people suppressed).\n"
	    "  --csv: UTF-8 with BOM, ';' separator, decimal comma (French Excel).\n"},
	{"audit", cmd_audit, {HX_FLAG("json")}, false, 1,
	    "usage : praxis-hub audit list [--json]\n"
	    "  Refus (PERMISSION_DENIED, UNAUTHENTICATED) journalisés par le hub.\n",
	    "usage: praxis-hub audit list [--json]\n"
	    "  Refusals (PERMISSION_DENIED, UNAUTHENTICATED) logged by the hub.\n"},
	{"dashboard", cmd_dashboard, {HX_ARG("out"), HX_ARG("scope"), HX_ARG("lang")}, false, 0,
	    "usage : praxis-hub dashboard --out DIR [--scope PÉRIMÈTRE] [--lang fr|en]\n"
	    "  Écrit les pages du tableau de bord en HTML statique (sans script).\n",
	    "usage: praxis-hub dashboard --out DIR [--scope SCOPE] [--lang fr|en]\n"
	    "  Writes the dashboard pages as static HTML files (no script).\n"},
	{"compact", cmd_compact, {HX_OPTS_END}, false, 0,
	    "usage : praxis-hub [--data DIR] compact\n"
	    "  Réécrit hub.mdb sans ses pages libres (après la migration des vues, par exemple)\n"
	    "  et affiche sa taille avant et après. Refusé pendant que « serve » tient la base.\n",
	    "usage: praxis-hub [--data DIR] compact\n"
	    "  Rewrites hub.mdb without its free pages (after the views' migration, e.g.)\n"
	    "  and prints its size before and after. Refused while `serve` holds the store.\n"},
	{"key", cmd_key, {HX_OPTS_END}, false, 0, NULL, NULL},
};

static const char *
hx_usage(void)
{
	return PX_T(
	    "usage : praxis-hub [--data DIR] [--lang fr|en] COMMANDE …\n"
	    "  init [--listen URL]                          créer le hub\n"
	    "  serve [--listen URL] [--http HÔTE:PORT]      servir RPC et tableau de bord\n"
	    "  tenant add|list|revoke|rotate-key …          organisations (nœuds)\n"
	    "  viewer add|list|revoke …                     jetons de lecture\n"
	    "  report [--framework F] [--region R] [--period P] [--tenant T] [--csv|--json]\n"
	    "  audit list [--json]                          refus journalisés\n"
	    "  dashboard --out DIR [--scope S]              pages HTML statiques\n"
	    "  key                                          clé publique du hub\n"
	    "  compact                                      réécrire hub.mdb sans ses pages libres\n"
	    "Données : --data, sinon $PRAXIS_HUB_DATA, sinon ./praxis-hub-data.\n"
	    "Phrase de passe de la clé : $PRAXIS_HUB_PASSPHRASE.\n",
	    "usage: praxis-hub [--data DIR] [--lang fr|en] COMMAND …\n"
	    "  init [--listen URL]                          create the hub\n"
	    "  serve [--listen URL] [--http HOST:PORT]      serve RPC and the dashboard\n"
	    "  tenant add|list|revoke|rotate-key …          tenants (nodes)\n"
	    "  viewer add|list|revoke …                     read-only tokens\n"
	    "  report [--framework F] [--region R] [--period P] [--tenant T] [--csv|--json]\n"
	    "  audit list [--json]                          logged refusals\n"
	    "  dashboard --out DIR [--scope S]              static HTML pages\n"
	    "  key                                          the hub's public key\n"
	    "  compact                                      rewrite hub.mdb without its free pages\n"
	    "Data: --data, else $PRAXIS_HUB_DATA, else ./praxis-hub-data.\n"
	    "Key passphrase: $PRAXIS_HUB_PASSPHRASE.\n");
}

int
main(int argc, char **argv)
{
	px_log_init("praxis-hub", getenv("PRAXIS_DEBUG") ? PX_LOG_DEBUG : PX_LOG_INFO);
	/* Global options come before the command; they are removed from argv. */
	int w = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
			hx_data_flag = argv[++i];
		} else if (strncmp(argv[i], "--data=", 7) == 0) {
			hx_data_flag = argv[i] + 7;
		} else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc && w == 1) {
			px_lang_set(strcmp(argv[++i], "en") == 0);
		} else {
			argv[w++] = argv[i];
		}
	}
	argc = w;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(hx_usage(), argc < 2 ? stderr : stdout);
		return argc < 2 ? HX_USAGE : HX_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("praxis-hub %s\n", PX_VERSION_STRING);
		return HX_OK;
	}
	if (px_crypto_init() != PX_OK) {
		fprintf(stderr, "praxis-hub: libsodium\n");
		return HX_IO;
	}
	for (size_t i = 0; i < sizeof hx_cmds / sizeof hx_cmds[0]; i++)
		if (strcmp(argv[1], hx_cmds[i].name) == 0)
			return hx_run(&hx_cmds[i], argc, argv);
	hx_fail(PX_OK, PX_T("commande inconnue « %s »", "unknown command '%s'"), argv[1]);
	fputs(hx_usage(), stderr);
	return HX_USAGE;
}
