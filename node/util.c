/*
 * util.c - the CLI toolkit of the node: name normalization, enumerations
 * as words, validation, option parsing, messages, JSON, tables, progress.
 */
#define _GNU_SOURCE
#include "node.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ exit codes */

int
node_exit_code(px_err err)
{
	switch (err) {
	case PX_OK: return NODE_EXIT_OK;
	case PX_ENOTFOUND: return NODE_EXIT_NOTFOUND;
	case PX_EINVAL:
	case PX_EEXISTS:
	case PX_EPERM:
	case PX_EAUTH:
	case PX_EPRECOND:
	case PX_ETOOBIG:
	case PX_EPASS:
	case PX_EPLUGIN:
	case PX_EVERSION:
	case PX_EREPLAY: return NODE_EXIT_INVALID;
	case PX_EUNIMPL: return NODE_EXIT_USAGE;
	default: return NODE_EXIT_IO;
	}
}

/* ---------------------------------------------------------- normalization */

/* Base letters of U+00C0..U+017F (Latin-1 Supplement and Latin
 * Extended-A); '\0' where the letter folds to two (handled below) or is
 * not a letter. */
static const char util_fold_c0[] =
	"aaaaaaaceeeeiiii"  /* C0-CF: À..Ï (Æ handled apart) */
	"dnooooo\0ouuuuyts" /* D0-DF: Ð..ß (× and ß apart) */
	"aaaaaaaceeeeiiii"  /* E0-EF */
	"dnooooo\0ouuuuyty" /* F0-FF */
	"aaaaaaccccccccdd"  /* 100-10F */
	"ddeeeeeeeeeegggg"  /* 110-11F */
	"gggghhhhiiiiiiii"  /* 120-12F */
	"iiijjjkkklllllll"  /* 130-13F (IJ approximated) */
	"lllnnnnnnnnnoooo"  /* 140-14F */
	"oo\0\0rrrrrrssssss" /* 150-15F (Œ œ apart) */
	"ssssttttuuuuuuuu"  /* 160-16F */
	"uuuuwwyyyzzzzzzs"; /* 170-17F */
_Static_assert(sizeof util_fold_c0 == 0x17F - 0xC0 + 2, "one base letter per code point");

static size_t
util_utf8_decode(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
		*cp = (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
		return 2;
	}
	if ((s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
		*cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
		return 3;
	}
	if ((s[0] & 0xF8) == 0xF0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
	    (s[3] & 0xC0) == 0x80) {
		*cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
		      (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
		return 4;
	}
	*cp = 0xFFFD; /* invalid byte: skip it */
	return 1;
}

char *
node_normalize(const char *s)
{
	if (s == NULL)
		s = "";
	size_t len = strlen(s);
	char *out = malloc(len * 2 + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	bool space = true; /* drops leading separators */
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t cp;
		p += util_utf8_decode(p, &cp);
		const char *rep = NULL;
		char one[2] = {0, 0};
		if (cp < 0x80) {
			if (isalnum((int)cp))
				one[0] = (char)tolower((int)cp);
			else if (cp == ' ' || cp == '-' || cp == '\'' || cp == '\t' || cp == '.' || cp == '_')
				one[0] = ' ';
			else
				one[0] = (char)cp;
			rep = one;
		} else if (cp == 0xC6 || cp == 0xE6) {
			rep = "ae";
		} else if (cp == 0x152 || cp == 0x153) {
			rep = "oe";
		} else if (cp == 0xDF) {
			rep = "ss";
		} else if (cp == 0x2019 || cp == 0x2018 || cp == 0x2010 || cp == 0x2011 || cp == 0xA0) {
			rep = " "; /* typographic apostrophe, hyphens, no-break space */
		} else if (cp >= 0xC0 && cp <= 0x17F && util_fold_c0[cp - 0xC0] != '\0') {
			one[0] = util_fold_c0[cp - 0xC0];
			rep = one;
		}
		if (rep == NULL) {
			/* Other scripts are kept as they are (already lowercase or
			 * caseless for our purpose). */
			continue;
		}
		for (; *rep; rep++) {
			if (*rep == ' ') {
				if (space)
					continue;
				space = true;
			} else {
				space = false;
			}
			out[o++] = *rep;
		}
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

size_t
node_utf8_width(const char *s)
{
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			w++;
	return w;
}

/* ------------------------------------------------------------ enumerations */

typedef struct util_word {
	int value;
	const char *words; /* '|'-separated accepted inputs, normalized */
	const char *fr, *en, *token;
} util_word;

static const util_word util_sectors[] = {
	{PRAXIS__SECTOR__SECTOR_COMMUNITY, "communautaire|community|communautaire autonome", "communautaire", "community", "community"},
	{PRAXIS__SECTOR__SECTOR_PUBLIC, "public|institutionnel|public institutionnel|institutional", "public / institutionnel", "public / institutional", "public"},
	{PRAXIS__SECTOR__SECTOR_PRIVATE, "prive|private", "privé", "private", "private"},
	{PRAXIS__SECTOR__SECTOR_ASSOCIATIVE, "associatif|associative|association", "associatif", "associative", "associative"},
	{0, NULL, NULL, NULL, NULL},
};

static const util_word util_statuses[] = {
	{PRAXIS__MEMBER_STATUS__MEMBER_CANDIDATE, "candidate|candidat|candidate e|candidat e|candidature", "candidate", "candidate", "candidate"},
	{PRAXIS__MEMBER_STATUS__MEMBER_ACTIVE, "active|actif|actif ve|actif ive|active e", "active", "active", "active"},
	{PRAXIS__MEMBER_STATUS__MEMBER_SUSPENDED, "suspended|suspendu|suspendue|suspendu e", "suspendue", "suspended", "suspended"},
	{PRAXIS__MEMBER_STATUS__MEMBER_CANCELLED, "cancelled|canceled|annule|annulee|annule e|resilie|resiliee", "annulée", "cancelled", "cancelled"},
	{PRAXIS__MEMBER_STATUS__MEMBER_ALUMNI, "alumni|ancien|ancienne|ancien ne|alumna", "ancienne", "alumni", "alumni"},
	{PRAXIS__MEMBER_STATUS__MEMBER_ERASED, "erased|efface|effacee", "effacée", "erased", "erased"},
	{0, NULL, NULL, NULL, NULL},
};

static const util_word util_roles[] = {
	{PRAXIS__MEMBER_ROLE__ROLE_MEMBER, "member|membre", "membre", "member", "member"},
	{PRAXIS__MEMBER_ROLE__ROLE_MODERATOR, "moderator|moderateur|moderatrice|moderateur rice", "modératrice", "moderator", "moderator"},
	{PRAXIS__MEMBER_ROLE__ROLE_FACILITATOR, "facilitator|animateur|animatrice|animateur rice|animation", "animatrice", "facilitator", "facilitator"},
	{PRAXIS__MEMBER_ROLE__ROLE_COORDINATOR, "coordinator|coordonnateur|coordonnatrice|coordinatrice|coordination", "coordonnatrice", "coordinator", "coordinator"},
	{0, NULL, NULL, NULL, NULL},
};

static const util_word util_fac_roles[] = {
	{PRAXIS__FACILITATOR_ROLE__FACILITATOR_ANIMATOR, "animator|animateur|animatrice|facilitator", "animatrice", "facilitator", "animator"},
	{PRAXIS__FACILITATOR_ROLE__FACILITATOR_MODERATOR, "moderator|moderateur|moderatrice", "modératrice", "moderator", "moderator"},
	{PRAXIS__FACILITATOR_ROLE__FACILITATOR_SPONSOR, "sponsor|marraine|parrain", "marraine", "sponsor", "sponsor"},
	{PRAXIS__FACILITATOR_ROLE__FACILITATOR_COACH, "coach", "coach", "coach", "coach"},
	{PRAXIS__FACILITATOR_ROLE__FACILITATOR_COORDINATOR, "coordinator|coordonnateur|coordonnatrice|coordinatrice", "coordonnatrice", "coordinator", "coordinator"},
	{0, NULL, NULL, NULL, NULL},
};

static int
util_word_parse(const util_word *t, const char *s)
{
	if (s == NULL)
		return -1;
	char *norm = node_normalize(s);
	if (norm == NULL)
		return -1;
	int found = -1;
	for (; t->words != NULL && found < 0; t++) {
		const char *w = t->words;
		while (*w) {
			const char *bar = strchr(w, '|');
			size_t l = bar != NULL ? (size_t)(bar - w) : strlen(w);
			if (strlen(norm) == l && strncmp(norm, w, l) == 0) {
				found = t->value;
				break;
			}
			w += l;
			if (*w == '|')
				w++;
		}
	}
	free(norm);
	return found;
}

static const util_word *
util_word_find(const util_word *t, int v)
{
	for (; t->words != NULL; t++)
		if (t->value == v)
			return t;
	return NULL;
}

static const char *
util_word_name(const util_word *t, int v)
{
	const util_word *w = util_word_find(t, v);
	return w == NULL ? "-" : PX_T(w->fr, w->en);
}

static const char *
util_word_token(const util_word *t, int v)
{
	const util_word *w = util_word_find(t, v);
	return w == NULL ? "unspecified" : w->token;
}

int node_parse_sector(const char *s) { return util_word_parse(util_sectors, s); }
const char *node_sector_name(int v) { return util_word_name(util_sectors, v); }
const char *node_sector_token(int v) { return util_word_token(util_sectors, v); }
int node_parse_status(const char *s) { return util_word_parse(util_statuses, s); }
const char *node_status_name(int v) { return util_word_name(util_statuses, v); }
const char *node_status_token(int v) { return util_word_token(util_statuses, v); }
int node_parse_role(const char *s) { return util_word_parse(util_roles, s); }
const char *node_role_name(int v) { return util_word_name(util_roles, v); }
const char *node_role_token(int v) { return util_word_token(util_roles, v); }
int node_parse_fac_role(const char *s) { return util_word_parse(util_fac_roles, s); }
const char *node_fac_role_name(int v) { return util_word_name(util_fac_roles, v); }
const char *node_fac_role_token(int v) { return util_word_token(util_fac_roles, v); }

/* ------------------------------------------------------------- validation */

static bool
util_uint(const char *s, size_t len, int *out)
{
	if (len == 0 || len > 4)
		return false;
	int v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

px_err
node_parse_birth(const char *s, int32_t *day, int32_t *month)
{
	if (s == NULL)
		return PX_EINVAL;
	/* jj/mm, jj-mm, jj/mm/aaaa (the year is not kept: the form asks jr/mois). */
	const char *sep = strpbrk(s, "/-.");
	if (sep == NULL)
		return PX_EINVAL;
	const char *rest = sep + 1;
	const char *sep2 = strpbrk(rest, "/-.");
	int d, m, y = 2000;
	if (!util_uint(s, (size_t)(sep - s), &d))
		return PX_EINVAL;
	if (!util_uint(rest, sep2 != NULL ? (size_t)(sep2 - rest) : strlen(rest), &m))
		return PX_EINVAL;
	if (sep2 != NULL && (!util_uint(sep2 + 1, strlen(sep2 + 1), &y) || y < 1900 || y > 2100))
		return PX_EINVAL;
	if (m < 1 || m > 12 || d < 1)
		return PX_EINVAL;
	/* Without a year, 29/02 is a real birthday: check against a leap year. */
	if (d > px_days_in_month(sep2 != NULL ? y : 2000, m))
		return PX_EINVAL;
	*day = d;
	*month = m;
	return PX_OK;
}

bool
node_email_valid(const char *s)
{
	if (s == NULL)
		return false;
	const char *at = strchr(s, '@');
	if (at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == ',' || *p == ';' || *p == '<' || *p == '>')
			return false;
	const char *dot = strrchr(at + 1, '.');
	if (dot == NULL || dot == at + 1 || dot[1] == '\0' || strlen(dot + 1) < 2)
		return false;
	if (strstr(at, "..") != NULL)
		return false;
	return strlen(s) <= 254;
}

int
node_parse_bool(const char *s)
{
	if (s == NULL)
		return 0;
	char *n = node_normalize(s);
	if (n == NULL)
		return -1;
	int v = -1;
	static const char *const yes[] = {"oui", "o", "yes", "y", "true", "vrai", "1", "x", NULL};
	static const char *const no[] = {"non", "n", "no", "false", "faux", "0", "", NULL};
	for (int i = 0; yes[i] != NULL; i++)
		if (strcmp(n, yes[i]) == 0)
			v = 1;
	for (int i = 0; no[i] != NULL; i++)
		if (strcmp(n, no[i]) == 0)
			v = 0;
	free(n);
	return v;
}

px_err
node_parse_hours(const char *s, double *out)
{
	if (s == NULL || *s == '\0' || strlen(s) > 31)
		return PX_EINVAL;
	char buf[32];
	px_strlcpy(buf, s, sizeof buf);
	for (char *p = buf; *p; p++)
		if (*p == ',')
			*p = '.';
	char *end;
	errno = 0;
	double v = strtod(buf, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0 || v > 10000)
		return PX_EINVAL;
	*out = v;
	return PX_OK;
}

px_err
node_parse_month(const char *s, int32_t *out)
{
	if (s == NULL)
		return PX_EINVAL;
	int y, m;
	size_t len = strlen(s);
	if (len == 7 && (s[4] == '-' || s[4] == '/') && util_uint(s, 4, &y) && util_uint(s + 5, 2, &m)) {
		/* yyyy-mm */
	} else if (len == 7 && (s[2] == '-' || s[2] == '/') && util_uint(s, 2, &m) && util_uint(s + 3, 4, &y)) {
		/* mm/yyyy */
	} else {
		int32_t d;
		if (px_date_parse(s, &d) != PX_OK)
			return PX_EINVAL;
		y = d / 10000;
		m = d / 100 % 100;
	}
	if (y < 1900 || y > 2200 || m < 1 || m > 12)
		return PX_EINVAL;
	*out = y * 100 + m;
	return PX_OK;
}

/* ---------------------------------------------------------------- options */

const node_opt *
node_opt_find(const node_opt *opts, const char *name)
{
	for (; opts->name != NULL; opts++)
		if (strcmp(opts->name, name) == 0)
			return opts;
	return NULL;
}

const char *
node_opt_get(const node_opt *opts, const char *name)
{
	const node_opt *o = node_opt_find(opts, name);
	return o != NULL && o->count > 0 ? o->value : NULL;
}

/* Fills opts' value/count from argv[1..] and collects the positionals in
 * out->pos (see node_opt in node.h). Unknown options, missing values and
 * values given to a flag are printed and give PX_EINVAL. */
static px_err
util_args_parse(int argc, char **argv, node_opt *opts, node_args *out)
{
	out->pos = calloc((size_t)argc + 1, sizeof *out->pos);
	out->npos = 0;
	if (out->pos == NULL)
		return PX_ENOMEM;
	bool dashdash = false;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (dashdash || a[0] != '-' || a[1] != '-' || a[2] == '\0') {
			if (!dashdash && strcmp(a, "--") == 0) {
				dashdash = true;
				continue;
			}
			out->pos[out->npos++] = a;
			continue;
		}
		const char *name = a + 2;
		const char *eq = strchr(name, '=');
		size_t nl = eq != NULL ? (size_t)(eq - name) : strlen(name);
		node_opt *o = NULL;
		for (node_opt *p = opts; p->name != NULL; p++)
			if (strlen(p->name) == nl && strncmp(p->name, name, nl) == 0)
				o = p;
		if (o == NULL) {
			fprintf(stderr, PX_T("praxis-node : option inconnue « --%.*s » (voir --help)\n",
			                     "praxis-node: unknown option '--%.*s' (see --help)\n"),
			        (int)nl, name);
			return PX_EINVAL;
		}
		const char *val = "1";
		if (o->has_arg) {
			if (eq != NULL) {
				val = eq + 1;
			} else if (i + 1 < argc) {
				val = argv[++i];
			} else {
				fprintf(stderr, PX_T("praxis-node : l'option « --%s » demande une valeur\n",
				                     "praxis-node: option '--%s' needs a value\n"),
				        o->name);
				return PX_EINVAL;
			}
		} else if (eq != NULL) {
			fprintf(stderr, PX_T("praxis-node : l'option « --%s » ne prend pas de valeur\n",
			                     "praxis-node: option '--%s' takes no value\n"),
			        o->name);
			return PX_EINVAL;
		}
		if (o->multi) {
			const char **nv = realloc(o->values, (o->count + 1) * sizeof *nv);
			if (nv == NULL)
				return PX_ENOMEM;
			o->values = nv;
			nv[o->count] = val;
		}
		o->value = val;
		o->count++;
	}
	return PX_OK;
}

int
node_args_take(px_node *n, const node_cmd *cmd, int argc, char **argv, node_args *a)
{
	memset(a, 0, sizeof *a);
	a->cmd = cmd;
	size_t nopt = 0;
	while (cmd->opts != NULL && cmd->opts[nopt].name != NULL)
		nopt++;
	a->opts = calloc(nopt + 1, sizeof *a->opts);
	if (a->opts == NULL)
		return node_store_fail(n, PX_ENOMEM);
	if (nopt > 0)
		memcpy(a->opts, cmd->opts, nopt * sizeof *a->opts);
	px_err err = util_args_parse(argc, argv, a->opts, a);
	if (err == PX_ENOMEM)
		return node_store_fail(n, err);
	if (err != PX_OK)
		return NODE_EXIT_USAGE;
	bool ok = a->npos >= cmd->min_pos && a->npos <= cmd->max_pos;
	for (const node_opt *o = a->opts; ok && o->name != NULL; o++)
		ok = !o->required || o->count > 0;
	return ok ? NODE_EXIT_OK : node_args_usage(n, a);
}

int
node_args_usage(px_node *n, const node_args *a)
{
	const node_cmd *c = a->cmd;
	if (c->usage_fr != NULL)
		return node_usage(n, "%s", PX_T(c->usage_fr, c->usage_en));
	if (a->npos > c->max_pos)
		return node_usage(n, PX_T("argument inattendu « %s »", "unexpected argument '%s'"), a->pos[c->max_pos]);
	return node_usage(n, PX_T("usage : %s", "usage: %s"), c->usage); /* a row without its own line */
}

void
node_args_fini(node_args *a)
{
	for (node_opt *o = a->opts; o != NULL && o->name != NULL; o++)
		free(o->values);
	free(a->opts);
	a->opts = NULL;
	free(a->pos);
	a->pos = NULL;
}

int
node_cmd_run(px_node *n, const node_cmd *cmd, int argc, char **argv)
{
	node_args a;
	int rc = node_args_take(n, cmd, argc, argv, &a);
	if (rc == NODE_EXIT_OK)
		rc = cmd->run(n, &a);
	node_args_fini(&a);
	return rc;
}

/* ---------------------------------------------------------------- output */

static void
util_vmsg(const char *label, const char *fmt, va_list ap)
{
	/* French typography spaces the colon; English does not. */
	fprintf(stderr, px_lang_en() ? "praxis-node: %s: " : "praxis-node : %s : ", label);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int
node_fail(px_node *n, px_err err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	fprintf(stderr, px_lang_en() ? "praxis-node: %s: %s\n" : "praxis-node : %s : %s\n",
	        PX_T("erreur", "error"), msg != NULL ? msg : "?");
	if (n != NULL && n->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddBoolToObject(j, "ok", false);
		cJSON_AddStringToObject(j, "error", msg != NULL ? msg : "?");
		cJSON_AddStringToObject(j, "code", px_strerror(err));
		cJSON_AddNumberToObject(j, "exit", node_exit_code(err));
		node_json_print(j);
	}
	free(msg);
	return node_exit_code(err);
}

int
node_store_fail(px_node *n, px_err err)
{
	return node_fail(n, err, "%s", px_strerror_user(err));
}

px_err
node_txn_begin(px_node *n, bool write, px_txn **txn, int *rc)
{
	px_err err = px_txn_begin(n->st, write, txn);
	if (err != PX_OK)
		*rc = node_store_fail(n, err);
	return err;
}

int
node_txn_commit(px_node *n, px_txn **txn)
{
	px_err err = px_txn_commit(*txn);
	*txn = NULL;
	return err == PX_OK ? NODE_EXIT_OK : node_store_fail(n, err);
}

int
node_txn_check_commit(px_node *n, px_txn **txn, uint64_t community, const pxp_change *change)
{
	px_err err = node_check_change(n, *txn, community, change);
	if (err != PX_OK) {
		px_txn_abort(*txn);
		*txn = NULL;
		return err == PX_EPRECOND ? NODE_EXIT_INVALID : node_store_fail(n, err);
	}
	return node_txn_commit(n, txn);
}

int
node_usage(px_node *n, const char *fmt, ...)
{
	(void)n;
	va_list ap;
	va_start(ap, fmt);
	util_vmsg(PX_T("erreur", "error"), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", PX_T("Voir « praxis-node --help ».", "See 'praxis-node --help'."));
	return NODE_EXIT_USAGE;
}

void
node_warn(px_node *n, const char *fmt, ...)
{
	(void)n;
	va_list ap;
	va_start(ap, fmt);
	util_vmsg(PX_T("avertissement", "warning"), fmt, ap);
	va_end(ap);
}

void
node_json_print(cJSON *json)
{
	char *s = cJSON_PrintUnformatted(json);
	if (s != NULL) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	cJSON_Delete(json);
}

void
node_json_date(cJSON *obj, const char *name, int32_t ymd)
{
	if (ymd == 0) {
		cJSON_AddNullToObject(obj, name);
		return;
	}
	char buf[11];
	px_date_format(ymd, buf);
	cJSON_AddStringToObject(obj, name, buf);
}

/* ----------------------------------------------------------------- tables */

struct node_table {
	size_t ncols;
	char **cells; /* rows * ncols, row 0 = headers */
	size_t nrows, cap;
};

node_table *
node_table_new(size_t ncols, const char *const *headers)
{
	node_table *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	t->ncols = ncols;
	node_table_row(t, headers);
	return t;
}

char *
node_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 > cap) {
			cap = cap ? cap * 2 : 16384;
			char *b = cap > max ? NULL : realloc(buf, cap + 1);
			if (b == NULL) {
				free(buf);
				fclose(f);
				errno = cap > max ? EFBIG : ENOMEM;
				return NULL;
			}
			buf = b;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

px_err
node_reserve(void **arr, size_t n, size_t *cap, size_t elem)
{
	if (n < *cap)
		return PX_OK;
	size_t nc = *cap == 0 ? 16 : *cap * 2;
	void *na = realloc(*arr, nc * elem);
	if (na == NULL)
		return PX_ENOMEM;
	*arr = na;
	*cap = nc;
	return PX_OK;
}

void
node_table_row(node_table *t, const char *const *cells)
{
	if (t == NULL || node_reserve((void **)&t->cells, t->nrows, &t->cap, t->ncols * sizeof *t->cells) != PX_OK)
		return;
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = strdup(cells[i] != NULL ? cells[i] : "");
	t->nrows++;
}

char *
node_fmt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

void
node_table_print(node_table *t, FILE *out)
{
	if (t == NULL)
		return;
	size_t *w = calloc(t->ncols, sizeof *w);
	if (w == NULL)
		return;
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t cw = s != NULL ? node_utf8_width(s) : 0;
			if (cw > w[c])
				w[c] = cw;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			if (s == NULL)
				s = "";
			fputs(s, out);
			if (c + 1 < t->ncols)
				for (size_t k = node_utf8_width(s); k < w[c] + 2; k++)
					fputc(' ', out);
		}
		fputc('\n', out);
		if (r == 0) {
			for (size_t c = 0; c < t->ncols; c++) {
				for (size_t k = 0; k < w[c]; k++)
					fputc('-', out);
				if (c + 1 < t->ncols)
					fputs("  ", out);
			}
			fputc('\n', out);
		}
	}
	free(w);
}

void
node_table_free(node_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

/* ---------------------------------------------------------------- listing */

px_err
node_listing_begin(px_node *n, node_listing *l, size_t ncols, const char *const *headers)
{
	*l = (node_listing){0};
	if (n->json)
		l->arr = cJSON_CreateArray();
	else
		l->t = node_table_new(ncols, headers);
	return l->arr != NULL || l->t != NULL ? PX_OK : PX_ENOMEM;
}

void
node_listing_end(node_listing *l, const char *empty_msg)
{
	if (l->arr != NULL) {
		node_json_print(l->arr);
		l->arr = NULL;
	} else if (empty_msg != NULL && l->count == 0) {
		printf("%s\n", empty_msg);
	} else {
		node_table_print(l->t, stdout);
	}
	node_listing_fini(l);
}

void
node_listing_fini(node_listing *l)
{
	cJSON_Delete(l->arr);
	node_table_free(l->t);
	l->arr = NULL;
	l->t = NULL;
}

int
node_list_db(px_node *n, px_db db, const ProtobufCMessageDescriptor *desc, size_t ncols,
             const char *const *headers, node_msg_fn fn, const char *empty_msg)
{
	node_list_ctx l = {n, NULL, {NULL, NULL, 0}};
	int rc = NODE_EXIT_OK;
	if (node_txn_begin(n, false, &l.txn, &rc) != PX_OK)
		return rc;
	node_listing_begin(n, &l.out, ncols, headers);
	px_err err = node_scan(l.txn, db, NULL, 0, desc, fn, &l);
	px_txn_abort(l.txn);
	if (err != PX_OK) {
		node_listing_fini(&l.out);
		return node_store_fail(n, err);
	}
	node_listing_end(&l.out, empty_msg);
	return NODE_EXIT_OK;
}

/* --------------------------------------------------------------- progress */

void
node_progress_start(node_progress *p, const char *label, size_t total)
{
	p->tty = isatty(STDERR_FILENO) == 1;
	p->total = total;
	p->done = 0;
	p->last_pct = (size_t)-1;
	p->label = label;
	node_progress_step(p, 0);
}

void
node_progress_step(node_progress *p, size_t done)
{
	if (!p->tty || p->total == 0)
		return;
	p->done = done;
	size_t pct = done * 100 / p->total;
	if (pct == p->last_pct)
		return;
	p->last_pct = pct;
	char bar[41];
	size_t fill = pct * 40 / 100;
	for (size_t i = 0; i < 40; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[40] = '\0';
	fprintf(stderr, "\r%s [%s] %3zu %% (%zu/%zu)", p->label, bar, pct, done, p->total);
	fflush(stderr);
}

void
node_progress_end(node_progress *p)
{
	if (!p->tty || p->total == 0)
		return;
	node_progress_step(p, p->total);
	fputc('\n', stderr);
}

const char *
node_pad(const char *label, size_t width)
{
	static char bufs[8][256];
	static unsigned next;
	char *b = bufs[next++ % 8];
	size_t len = strlen(label);
	if (len > sizeof bufs[0] - 1)
		len = sizeof bufs[0] - 1;
	memcpy(b, label, len);
	for (size_t w = node_utf8_width(label); w < width && len < sizeof bufs[0] - 1; w++)
		b[len++] = ' ';
	b[len] = '\0';
	return b;
}
