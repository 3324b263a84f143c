/*
 * cmd_import.c - `member import FILE.csv --community C`.
 *
 * RFC 4180 CSV read with libcsv (strict quotes), UTF-8 with or without a
 * BOM, separator ';' (what a French Excel writes), ',' or a tab, detected
 * from the header line. One write transaction: every row is checked, and
 * if any row is bad nothing is imported and every bad row is reported with
 * its line number (the physical line where the record starts) and reason.
 *
 * Accepted header names (case, accents, punctuation and a trailing
 * "(...)" are ignored; French first, English too):
 *   family name   Nom | Nom de famille | Family name | Last name | Surname
 *   first name    Prénom | First name | Given name
 *   birth         Date de naissance | Naissance | Anniversaire | Birth date | Birthday   (jj/mm or jj/mm/aaaa)
 *                 or two columns: Jour de naissance | Jour  +  Mois de naissance | Mois
 *   organization  Organisme | Organisation | Milieu de pratique | Employeur | Établissement | Organization
 *   job title     Titre d'emploi | Titre | Poste | Fonction | Job title
 *   discipline    Discipline | Profession
 *   e-mail        Courriel | Adresse courriel | Courriel professionnel | Adresse électronique | E-mail | Email | Mail
 *   role          Rôle | Rôle dans la communauté | Role
 *   status        Statut | Status
 *   joined        Date d'adhésion | Adhésion | Date d'inscription | Inscription | Joined
 *   left          Date de départ | Départ | Left
 *   consent       Consentement | Consentement annuaire | Annuaire | Annuaire partagé | Directory consent | Consent
 * Family and first name columns are required; other unknown columns are
 * ignored with a warning.
 */
#define _GNU_SOURCE
#include "member.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmd_member_import(px_node *n, const node_args *a);
const node_cmd node_import_cmds[] = {
	{"member", "import", .run = cmd_member_import,
	 .usage = "member import FICHIER.csv --community C [--org ORG] [--status STATUT]",
	 .help_fr = "Importe des membres d'un CSV (séparateur ; ou , ; tout ou rien).",
	 .help_en = "Import members from a CSV file (; or , separator; all or nothing).",
	 .opts = (const node_opt[]){NODE_OPT("community", true), NODE_OPT("org", true), NODE_OPT("status", true),
	                            NODE_OPT_END},
	 .min_pos = 1, .max_pos = 1, .usage_fr = "donnez un fichier CSV", .usage_en = "give one CSV file"},
	{0},
};

enum {
	COL_IGNORE = -1,
	COL_FAMILY,
	COL_FIRST,
	COL_BIRTH,
	COL_BDAY,
	COL_BMONTH,
	COL_ORG,
	COL_JOB,
	COL_DISC,
	COL_EMAIL,
	COL_ROLE,
	COL_STATUS,
	COL_JOINED,
	COL_LEFT,
	COL_CONSENT,
	COL_COUNT
};

static const struct {
	int col;
	const char *names; /* '|'-separated, normalized by imp_header_norm */
} imp_headers[] = {
	{COL_FAMILY, "nom|nom de famille|nom famille|family name|last name|surname|name"},
	{COL_FIRST, "prenom|first name|given name|firstname"},
	{COL_BIRTH, "date de naissance|naissance|anniversaire|birth date|birthday|date of birth|birth"},
	{COL_BDAY, "jour de naissance|jour|birth day|day"},
	{COL_BMONTH, "mois de naissance|mois|birth month|month"},
	{COL_ORG, "organisme|organisation|milieu de pratique|employeur|etablissement|organization|organisation employeur|org"},
	{COL_JOB, "titre d emploi|titre|poste|fonction|job title|title"},
	{COL_DISC, "discipline|profession"},
	{COL_EMAIL, "courriel|adresse courriel|courriel professionnel|adresse electronique|e mail|email|mail|adresse email"},
	{COL_ROLE, "role|role dans la communaute"},
	{COL_STATUS, "statut|status"},
	{COL_JOINED, "date d adhesion|adhesion|date adhesion|date d inscription|inscription|joined|date joined"},
	{COL_LEFT, "date de depart|depart|left|date left"},
	{COL_CONSENT, "consentement|consentement annuaire|annuaire|annuaire partage|directory consent|consent"},
	{0, NULL},
};

/* Lowercase, accents folded, anything but letters and digits as one
 * space, a trailing "(...)" dropped: "Date de naissance (jj/mm)" ->
 * "date de naissance". */
static char *
imp_header_norm(const char *h)
{
	char *cut = strdup(h);
	if (cut == NULL)
		return NULL;
	char *par = strchr(cut, '(');
	if (par != NULL && par != cut)
		*par = '\0';
	char *n = node_normalize(cut);
	free(cut);
	if (n == NULL)
		return NULL;
	size_t o = 0;
	bool sp = true;
	for (size_t i = 0; n[i]; i++) {
		char c = n[i];
		bool al = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!al) {
			if (!sp)
				n[o++] = ' ';
			sp = true;
			continue;
		}
		n[o++] = c;
		sp = false;
	}
	while (o > 0 && n[o - 1] == ' ')
		o--;
	n[o] = '\0';
	return n;
}

static int
imp_header_col(const char *h)
{
	char *n = imp_header_norm(h);
	if (n == NULL)
		return COL_IGNORE;
	int col = COL_IGNORE;
	for (size_t i = 0; imp_headers[i].names != NULL && col == COL_IGNORE; i++) {
		const char *w = imp_headers[i].names;
		while (*w) {
			const char *bar = strchr(w, '|');
			size_t l = bar != NULL ? (size_t)(bar - w) : strlen(w);
			if (strlen(n) == l && strncmp(n, w, l) == 0) {
				col = imp_headers[i].col;
				break;
			}
			w += l + (bar != NULL);
		}
	}
	free(n);
	return col;
}

static bool
imp_utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		size_t need;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			need = 1, cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			need = 2, cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			need = 3, cp = c & 0x07;
		} else {
			return false;
		}
		for (size_t k = 1; k <= need; k++) {
			if (i + k >= len || (s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += need + 1;
	}
	return true;
}

typedef struct imp_bad {
	size_t line;
	char *why;
} imp_bad;

typedef struct imp_key {
	uint8_t *k;
	size_t len;
} imp_key;

typedef struct imp_ctx {
	px_node *n;
	px_txn *txn;
	uint64_t community;
	const char *default_org;
	const char *default_status;
	member_orgs *orgs;
	/* header */
	bool have_header;
	int *cols;          /* column -> COL_* */
	size_t ncols;
	int where[COL_COUNT]; /* COL_* -> column, -1 */
	/* current row */
	char **fields;
	size_t nf, capf;
	bool bad_encoding;
	size_t line;         /* physical line being fed */
	size_t row_line;     /* line where the current record starts */
	bool row_done;       /* a record ended in the chunk just fed */
	/* results */
	imp_bad *bad;
	size_t n_bad, cap_bad;
	size_t imported;
	uint64_t *ids;       /* imported member ids, with their lines */
	size_t *id_lines;
	size_t cap_ids;
	px_err fatal;        /* storage error: stop */
	imp_key *keys;       /* name index keys, inserted sorted at the end */
	size_t n_keys, cap_keys;
} imp_ctx;

/* LMDB's default key order: bytes, then length. */
static int
imp_cmp_key(const void *a, const void *b)
{
	const imp_key *x = a, *y = b;
	int c = memcmp(x->k, y->k, x->len < y->len ? x->len : y->len);
	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static void PX_PRINTF(3, 4)
imp_bad_row(imp_ctx *c, size_t line, const char *fmt, ...)
{
	if (node_reserve((void **)&c->bad, c->n_bad, &c->cap_bad, sizeof *c->bad) != PX_OK) {
		c->fatal = PX_ENOMEM;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	char *why = NULL;
	if (vasprintf(&why, fmt, ap) < 0)
		why = NULL;
	va_end(ap);
	c->bad[c->n_bad].line = line;
	c->bad[c->n_bad].why = why;
	c->n_bad++;
}

static void
imp_field(void *s, size_t len, void *data)
{
	imp_ctx *c = data;
	if (node_reserve((void **)&c->fields, c->nf, &c->capf, sizeof *c->fields) != PX_OK) {
		c->fatal = PX_ENOMEM;
		return;
	}
	if (!imp_utf8_valid(s, len))
		c->bad_encoding = true;
	c->fields[c->nf++] = strndup(s != NULL ? s : "", len);
}

static void
imp_row_reset(imp_ctx *c)
{
	for (size_t i = 0; i < c->nf; i++)
		free(c->fields[i]);
	c->nf = 0;
	c->bad_encoding = false;
}

static const char *
imp_cell(imp_ctx *c, int col)
{
	int w = c->where[col];
	if (w < 0 || (size_t)w >= c->nf)
		return NULL;
	return c->fields[w];
}

static void
imp_header(imp_ctx *c, size_t line)
{
	c->cols = calloc(c->nf, sizeof *c->cols);
	if (c->cols == NULL) {
		c->fatal = PX_ENOMEM;
		return;
	}
	c->ncols = c->nf;
	for (int i = 0; i < COL_COUNT; i++)
		c->where[i] = -1;
	for (size_t i = 0; i < c->nf; i++) {
		int col = imp_header_col(c->fields[i]);
		c->cols[i] = col;
		if (col == COL_IGNORE) {
			if (c->fields[i][0] != '\0')
				node_warn(c->n, PX_T("colonne « %s » ignorée", "column '%s' ignored"), c->fields[i]);
			continue;
		}
		if (c->where[col] >= 0) {
			imp_bad_row(c, line, PX_T("colonne en double « %s »", "duplicate column '%s'"), c->fields[i]);
			continue;
		}
		c->where[col] = (int)i;
	}
	if (c->where[COL_FAMILY] < 0 || c->where[COL_FIRST] < 0)
		imp_bad_row(c, line, "%s",
		            PX_T("l'en-tête doit avoir les colonnes « Nom » et « Prénom »",
		                 "the header needs the columns 'Nom' (family name) and 'Prénom' (first name)"));
	c->have_header = true;
}

static void
imp_row(int term, void *data)
{
	imp_ctx *c = data;
	(void)term;
	size_t line = c->row_line;
	if (c->fatal != PX_OK)
		goto done;
	bool empty = true;
	for (size_t i = 0; i < c->nf; i++)
		if (c->fields[i][0] != '\0')
			empty = false;
	if (empty)
		goto done;
	if (c->bad_encoding) {
		imp_bad_row(c, line, "%s",
		            PX_T("texte qui n'est pas en UTF-8 (enregistrez le fichier en « CSV UTF-8 »)",
		                 "text that is not UTF-8 (save the file as 'CSV UTF-8')"));
		goto done;
	}
	if (!c->have_header) {
		imp_header(c, line);
		goto done;
	}
	if (c->n_bad > 0 && c->where[COL_FAMILY] < 0)
		goto done; /* the header is already reported */
	for (size_t i = c->ncols; i < c->nf; i++) {
		if (c->fields[i][0] != '\0') {
			imp_bad_row(c, line, PX_T("%zu colonnes alors que l'en-tête en a %zu", "%zu columns but the header has %zu"),
			            c->nf, c->ncols);
			goto done;
		}
	}
	member_fields f = {
		.family = imp_cell(c, COL_FAMILY),
		.first = imp_cell(c, COL_FIRST),
		.birth = imp_cell(c, COL_BIRTH),
		.org = imp_cell(c, COL_ORG),
		.job_title = imp_cell(c, COL_JOB),
		.discipline = imp_cell(c, COL_DISC),
		.email = imp_cell(c, COL_EMAIL),
		.role = imp_cell(c, COL_ROLE),
		.status = imp_cell(c, COL_STATUS),
		.joined = imp_cell(c, COL_JOINED),
		.left = imp_cell(c, COL_LEFT),
		.consent = imp_cell(c, COL_CONSENT),
	};
	if (f.family == NULL)
		f.family = "";
	if (f.first == NULL)
		f.first = "";
	if ((f.org == NULL || f.org[0] == '\0') && c->default_org != NULL)
		f.org = c->default_org;
	if ((f.status == NULL || f.status[0] == '\0') && c->default_status != NULL)
		f.status = c->default_status;
	char bd[32];
	const char *d = imp_cell(c, COL_BDAY), *m = imp_cell(c, COL_BMONTH);
	if ((f.birth == NULL || f.birth[0] == '\0') && d != NULL && m != NULL && (d[0] || m[0])) {
		snprintf(bd, sizeof bd, "%s/%s", d, m);
		f.birth = bd;
	}
	Praxis__Member mem = PRAXIS__MEMBER__INIT;
	mem.community_id = c->community;
	char why[512] = "";
	px_err err = member_fill(c->n, c->txn, &f, &mem, true, false, c->orgs, why, sizeof why);
	if (err == PX_EINVAL) {
		imp_bad_row(c, line, "%s", why);
		goto done;
	}
	if (err != PX_OK) {
		c->fatal = err;
		goto done;
	}
	/* Once a row is bad nothing is written: only checking goes on. */
	if (c->n_bad > 0)
		goto done;
	if ((err = node_next_id(c->txn, "members", &mem.id)) != PX_OK) {
		c->fatal = err;
		goto done;
	}
	Praxis__StatusChange sc = PRAXIS__STATUS_CHANGE__INIT;
	Praxis__StatusChange *hist[1] = {&sc};
	sc.to = mem.status;
	sc.date = px_date_today();
	sc.reason = (char *)PX_T("importation", "import");
	mem.n_history = 1;
	mem.history = hist;
	if ((err = node_member_put_new_nonames(c->n, c->txn, &mem)) != PX_OK) {
		c->fatal = err;
		goto done;
	}
	/* Name keys are random: inserted sorted at the end, each B-tree page
	 * is touched once instead of once per key. */
	if (c->n_keys + 2 > c->cap_keys) {
		size_t nc = c->cap_keys == 0 ? 512 : c->cap_keys * 2;
		imp_key *nk = realloc(c->keys, nc * sizeof *nk);
		if (nk == NULL) {
			c->fatal = PX_ENOMEM;
			goto done;
		}
		c->keys = nk;
		c->cap_keys = nc;
	}
	imp_key *k = &c->keys[c->n_keys];
	if ((err = node_member_name_keys(&mem, &k[0].k, &k[0].len, &k[1].k, &k[1].len)) != PX_OK) {
		c->fatal = err;
		goto done;
	}
	c->n_keys += 2;
	if (c->imported == c->cap_ids) {
		size_t nc = c->cap_ids == 0 ? 256 : c->cap_ids * 2;
		uint64_t *ni = realloc(c->ids, nc * sizeof *ni);
		if (ni != NULL)
			c->ids = ni;
		size_t *nl = realloc(c->id_lines, nc * sizeof *nl);
		if (nl != NULL)
			c->id_lines = nl;
		if (ni == NULL || nl == NULL) {
			c->fatal = PX_ENOMEM;
			goto done;
		}
		c->cap_ids = nc;
	}
	c->ids[c->imported] = mem.id;
	c->id_lines[c->imported] = line;
	c->imported++;
done:
	c->row_done = true;
	imp_row_reset(c);
}

/* ';', ',' or tab: the most frequent outside quotes on the header line. */
static unsigned char
imp_detect_delim(const char *buf, size_t len)
{
	size_t semi = 0, comma = 0, tab = 0;
	bool q = false;
	for (size_t i = 0; i < len && (q || (buf[i] != '\n' && buf[i] != '\r')); i++) {
		if (buf[i] == '"')
			q = !q;
		else if (!q && buf[i] == ';')
			semi++;
		else if (!q && buf[i] == ',')
			comma++;
		else if (!q && buf[i] == '\t')
			tab++;
	}
	if (tab > semi && tab > comma)
		return '\t';
	return semi >= comma && semi > 0 ? ';' : ',';
}

static size_t
imp_line_of(imp_ctx *c, size_t i)
{
	return c->ids != NULL ? c->id_lines[i] : 0;
}

static int
imp_cmp_bad(const void *a, const void *b)
{
	const imp_bad *x = a, *y = b;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int
cmd_member_import(px_node *n, const node_args *a)
{
	imp_ctx c;
	memset(&c, 0, sizeof c);
	struct csv_parser p;
	bool parser = false;
	char *buf = NULL;
	node_findings fi = {0};
	int rc = NODE_EXIT_OK;
	px_err err;
	const char *cref = node_opt_get(a->opts, "community");
	if (cref == NULL) {
		rc = node_fail(n, PX_EINVAL, "%s", PX_T("la communauté est obligatoire (--community)",
		                                        "the community is required (--community)"));
		goto out;
	}
	const char *path = a->pos[0];
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		rc = node_fail(n, errno == ENOENT ? PX_ENOTFOUND : PX_EIO,
		               PX_T("impossible de lire « %s » : %s", "cannot read '%s': %s"), path, strerror(errno));
		goto out;
	}
	struct stat stt;
	size_t len = 0;
	if (fstat(fileno(fp), &stt) == 0 && stt.st_size > 0) {
		buf = malloc((size_t)stt.st_size);
		if (buf != NULL)
			len = fread(buf, 1, (size_t)stt.st_size, fp);
	}
	fclose(fp);
	if (buf == NULL && stt.st_size > 0) {
		rc = node_store_fail(n, PX_ENOMEM);
		goto out;
	}
	size_t off = 0;
	if (len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB && (unsigned char)buf[2] == 0xBF)
		off = 3;
	if (len - off == 0) {
		rc = node_fail(n, PX_EINVAL, PX_T("le fichier « %s » est vide", "file '%s' is empty"), path);
		goto out;
	}

	if (node_txn_begin(n, true, &c.txn, &rc) != PX_OK)
		goto out;
	c.n = n;
	if ((err = node_resolve_community(n, c.txn, cref, &c.community)) != PX_OK) {
		rc = err == PX_ENOTFOUND ? node_fail(n, err, PX_T("communauté inconnue « %s »", "unknown community '%s'"), cref)
		                         : node_store_fail(n, err);
		goto out;
	}
	if ((err = member_orgs_load(n, c.txn, &c.orgs)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	c.default_org = node_opt_get(a->opts, "org");
	if (c.default_org != NULL) {
		uint64_t oid;
		if (node_resolve_org(n, c.txn, c.default_org, &oid) != PX_OK) {
			rc = node_fail(n, PX_ENOTFOUND, PX_T("organisme inconnu « %s »", "unknown organization '%s'"),
			               c.default_org);
			goto out;
		}
	}
	c.default_status = node_opt_get(a->opts, "status");
	if (c.default_status != NULL) {
		int st;
		char why[256];
		if (member_parse_status(c.default_status, &st, why, sizeof why) != PX_OK) {
			rc = node_fail(n, PX_EINVAL, "%s", why);
			goto out;
		}
	}

	if (csv_init(&p, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI) != 0) {
		rc = node_store_fail(n, PX_ENOMEM);
		goto out;
	}
	parser = true;
	csv_set_delim(&p, imp_detect_delim(buf + off, len - off));
	node_progress prog;
	node_progress_start(&prog, PX_T("Importation", "Import"), len - off);
	/* Fed one physical line at a time so each record knows its line. */
	c.line = 1;
	c.row_line = 1;
	size_t pos = off;
	while (pos < len && c.fatal == PX_OK) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t chunk = nl != NULL ? (size_t)(nl - (buf + pos)) + 1 : len - pos;
		if (csv_parse(&p, buf + pos, chunk, imp_field, imp_row, &c) != chunk) {
			imp_bad_row(&c, c.row_line, PX_T("CSV mal formé (%s) : guillemet non fermé ou mal placé ?",
			                                 "malformed CSV (%s): unclosed or misplaced quote?"),
			            csv_strerror(csv_error(&p)));
			break;
		}
		/* A record ended on this line (or the line was blank outside any
		 * record): the next record starts on the next line. */
		bool blank = chunk == 1 || (chunk == 2 && buf[pos] == '\r');
		pos += chunk;
		c.line++;
		if (c.row_done || (blank && c.row_line == c.line - 1)) {
			c.row_line = c.line;
			c.row_done = false;
		}
		if ((c.line & 255) == 0)
			node_progress_step(&prog, pos - off);
	}
	if (c.fatal == PX_OK && csv_fini(&p, imp_field, imp_row, &c) != 0)
		imp_bad_row(&c, c.row_line, PX_T("CSV mal formé (%s) : guillemet non fermé en fin de fichier ?",
		                                 "malformed CSV (%s): unclosed quote at end of file?"),
		            csv_strerror(csv_error(&p)));
	node_progress_end(&prog);
	if (c.fatal != PX_OK) {
		rc = node_fail(n, c.fatal, "%s", px_strerror_user(c.fatal));
		goto out;
	}
	if (!c.have_header && c.n_bad == 0) {
		rc = node_fail(n, PX_EINVAL, PX_T("le fichier « %s » n'a pas d'en-tête", "file '%s' has no header"), path);
		goto out;
	}

	if (c.n_bad == 0 && c.n_keys > 0) {
		qsort(c.keys, c.n_keys, sizeof *c.keys, imp_cmp_key);
		uint8_t cid[8];
		px_be64(cid, c.community);
		for (size_t i = 0; i < c.n_keys; i++) {
			if ((err = px_put(c.txn, n->db.members_by_name, c.keys[i].k, c.keys[i].len, cid, 8)) != PX_OK) {
				rc = node_store_fail(n, err);
				goto out;
			}
		}
	}

	/* The framework's rules, once for the whole import: an error about an
	 * imported member makes her row bad. */
	if (c.n_bad == 0 && c.imported > 0) {
		err = node_audit(n, c.txn, c.community, 0, 0, &fi);
		if (err != PX_OK) {
			rc = node_fail(n, err, PX_T("vérification des règles : %s", "rule check: %s"), px_strerror_user(err));
			goto out;
		}
		size_t warnings = 0;
		for (size_t i = 0; i < fi.n; i++) {
			size_t line = 0;
			for (size_t k = 0; k < c.imported && fi.v[i].member_id != 0; k++)
				if (c.ids[k] == fi.v[i].member_id)
					line = imp_line_of(&c, k);
			if (line == 0)
				continue;
			if (fi.v[i].severity == PXP_ERROR)
				imp_bad_row(&c, line, "%s", node_finding_message(&fi.v[i]));
			else if (warnings++ < 20)
				node_warn(n, PX_T("ligne %zu : %s", "line %zu: %s"), line, node_finding_message(&fi.v[i]));
		}
		if (warnings > 20)
			node_warn(n, PX_T("… et %zu autres avertissements", "… and %zu more warnings"), warnings - 20);
	}

	if (c.n_bad > 0) {
		qsort(c.bad, c.n_bad, sizeof *c.bad, imp_cmp_bad);
		for (size_t i = 0; i < c.n_bad; i++)
			fprintf(stderr, PX_T("%s : ligne %zu : %s\n", "%s: line %zu: %s\n"), path, c.bad[i].line,
			        c.bad[i].why != NULL ? c.bad[i].why : "?");
		if (n->json) {
			cJSON *j = cJSON_CreateObject();
			cJSON_AddBoolToObject(j, "ok", false);
			cJSON_AddNumberToObject(j, "imported", 0);
			cJSON *arr = cJSON_AddArrayToObject(j, "errors");
			for (size_t i = 0; i < c.n_bad; i++) {
				cJSON *e = cJSON_CreateObject();
				cJSON_AddNumberToObject(e, "line", (double)c.bad[i].line);
				cJSON_AddStringToObject(e, "reason", c.bad[i].why != NULL ? c.bad[i].why : "?");
				cJSON_AddItemToArray(arr, e);
			}
			node_json_print(j);
		}
		fprintf(stderr, PX_T("praxis-node : erreur : %zu ligne(s) invalide(s) : rien n'a été importé\n",
		                     "praxis-node: error: %zu invalid line(s): nothing was imported\n"),
		        c.n_bad);
		rc = NODE_EXIT_INVALID;
		goto out;
	}
	if ((rc = node_txn_commit(n, &c.txn)) != NODE_EXIT_OK)
		goto out;
	if (n->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddBoolToObject(j, "ok", true);
		cJSON_AddNumberToObject(j, "imported", (double)c.imported);
		cJSON_AddNumberToObject(j, "community_id", (double)c.community);
		if (c.imported > 0) {
			cJSON_AddNumberToObject(j, "first_id", (double)c.ids[0]);
			cJSON_AddNumberToObject(j, "last_id", (double)c.ids[c.imported - 1]);
		}
		node_json_print(j);
	} else {
		printf(PX_T("%zu membre(s) importé(s).\n", "%zu member(s) imported.\n"), c.imported);
	}
out:
	px_txn_abort(c.txn);
	if (parser)
		csv_free(&p);
	imp_row_reset(&c);
	free(c.fields);
	free(c.cols);
	for (size_t i = 0; i < c.n_bad; i++)
		free(c.bad[i].why);
	free(c.bad);
	free(c.ids);
	free(c.id_lines);
	member_orgs_free(c.orgs);
	for (size_t i = 0; i < c.n_keys; i++)
		free(c.keys[i].k);
	free(c.keys);
	node_findings_fini(&fi);
	free(buf);
	return rc;
}
