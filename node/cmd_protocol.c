/*
 * cmd_protocol.c - engagement protocols (LAU-1, LAU-2, LAU-7):
 *   protocol new MEMBER [--clauses FILE] [--date DATE]
 *   protocol sign PROTOCOL --as member|director [--date DATE]
 *   protocol verify PROTOCOL [--json]
 *   protocol show PROTOCOL [--json]
 *   protocol list [--community C] [--member M] [--json]
 *   protocol cancel PROTOCOL --reason TEXT [--date DATE]
 *
 * Each signer has an Ed25519 key of her own in <data>/keys/ (member-<id>.key,
 * director-<org id>.key), created on first use and sealed with the
 * passphrase of PRAXIS_PASSPHRASE (or asked on the terminal). The public key
 * is also recorded in the signer_keys database, so a signature made later by
 * another key for the same signer is reported.
 */
#define _GNU_SOURCE
#include "node.h"
#include "canon.h"
#include "member.h"
#include "px_crypto.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static int proto_new(px_node *n, const node_args *a);
static int proto_sign(px_node *n, const node_args *a);
static int proto_verify(px_node *n, const node_args *a);
static int proto_show(px_node *n, const node_args *a);
static int proto_list(px_node *n, const node_args *a);
static int proto_cancel(px_node *n, const node_args *a);
static const node_cmd proto_cmds[] = {
	{"protocol", "new", .run = proto_new,
	 .usage = "protocol new MEMBRE [--clauses FICHIER.json] [--date DATE]",
	 "Crée le protocole d'engagement d'un membre avec les clauses du cadre de sa communauté "
	 "(data/protocols/<cadre>.json) et les champs LAU-2 copiés de sa fiche et de son organisme.",
	 "Create a member's engagement protocol with the clauses of her community's framework "
	 "(data/protocols/<framework>.json) and the LAU-2 fields copied from her record and organization.",
	 .opts = (const node_opt[]){NODE_OPT("clauses", true), NODE_OPT("date", true), NODE_OPT_END},
	 .min_pos = 1, .max_pos = 1,
	 .usage_fr = "usage : protocol new MEMBRE [--clauses FICHIER] [--date DATE]",
	 .usage_en = "usage: protocol new MEMBER [--clauses FILE] [--date DATE]"},
	{"protocol", "sign", .run = proto_sign,
	 .usage = "protocol sign PROTOCOLE --as member|director [--date DATE]",
	 "Signe un protocole comme membre ou comme direction (clé Ed25519 propre à chacun, créée au premier "
	 "usage, scellée par PRAXIS_PASSPHRASE). Les deux signatures rendent le membre actif.",
	 "Sign a protocol as the member or the director (an Ed25519 key of their own, created on first use, "
	 "sealed with PRAXIS_PASSPHRASE). Both signatures make the member active.",
	 .opts = (const node_opt[]){NODE_OPT_REQ("as"), NODE_OPT("date", true), NODE_OPT_END},
	 .min_pos = 1, .max_pos = 1,
	 .usage_fr = "usage : protocol sign PROTOCOLE --as member|director [--date DATE]",
	 .usage_en = "usage: protocol sign PROTOCOL --as member|director [--date DATE]"},
	{"protocol", "verify", .run = proto_verify,
	 .usage = "protocol verify PROTOCOLE [--json]",
	 "Vérifie les deux signatures et dit laquelle manque ou est invalide (code 2 sinon).",
	 "Verify both signatures and tell which one is missing or broken (exit 2 otherwise).",
	 .min_pos = 1, .max_pos = 1,
	 .usage_fr = "usage : protocol verify PROTOCOLE", .usage_en = "usage: protocol verify PROTOCOL"},
	{"protocol", "show", .run = proto_show,
	 .usage = "protocol show PROTOCOLE [--json]", "Affiche un protocole.",
	 "Show a protocol.",
	 .min_pos = 1, .max_pos = 1,
	 .usage_fr = "usage : protocol show PROTOCOLE", .usage_en = "usage: protocol show PROTOCOL"},
	{"protocol", "list", .run = proto_list,
	 .usage = "protocol list [--community C] [--member M] [--json]",
	 "Liste les protocoles.", "List protocols.",
	 .opts = (const node_opt[]){NODE_OPT("community", true), NODE_OPT("member", true), NODE_OPT_END},
	 .usage_fr = "usage : protocol list [--community C] [--member M]",
	 .usage_en = "usage: protocol list [--community C] [--member M]"},
	{"protocol", "cancel", .run = proto_cancel,
	 .usage = "protocol cancel PROTOCOLE --reason RAISON [--date DATE]",
	 "Annule un protocole et l'adhésion du membre (LAU-7) ; la raison reste dans l'historique.",
	 "Cancel a protocol and the member's membership (LAU-7); the reason stays in the history.",
	 .opts = (const node_opt[]){NODE_OPT_REQ("reason"), NODE_OPT("date", true), NODE_OPT_END},
	 .min_pos = 1, .max_pos = 1,
	 .usage_fr = "usage : protocol cancel PROTOCOLE --reason RAISON [--date DATE]",
	 .usage_en = "usage: protocol cancel PROTOCOL --reason REASON [--date DATE]"},
	{0},
};
NODE_COMMANDS(proto_cmds)

/* ------------------------------------------------------------- helpers */

static void
proto_set_str(char **dst, const char *v)
{
	if (*dst != NULL && *dst != protobuf_c_empty_string)
		free(*dst);
	*dst = strdup(v != NULL ? v : "");
}

static const char *
proto_status_name(int s)
{
	switch (s) {
	case PRAXIS__PROTOCOL_STATUS__PROTOCOL_DRAFT: return PX_T("brouillon", "draft");
	case PRAXIS__PROTOCOL_STATUS__PROTOCOL_SIGNED: return PX_T("signé", "signed");
	case PRAXIS__PROTOCOL_STATUS__PROTOCOL_CANCELLED: return PX_T("annulé", "cancelled");
	default: return "?";
	}
}

static const char *
proto_status_token(int s)
{
	switch (s) {
	case PRAXIS__PROTOCOL_STATUS__PROTOCOL_DRAFT: return "draft";
	case PRAXIS__PROTOCOL_STATUS__PROTOCOL_SIGNED: return "signed";
	case PRAXIS__PROTOCOL_STATUS__PROTOCOL_CANCELLED: return "cancelled";
	default: return "unspecified";
	}
}

static px_err
proto_parse_date_opt(px_node *n, const char *s, int32_t *out, int *rc)
{
	if (s == NULL) {
		*out = px_date_today();
		return PX_OK;
	}
	if (px_date_parse(s, out) != PX_OK) {
		*rc = node_fail(n, PX_EINVAL,
		                PX_T("date invalide « %s » (AAAA-MM-JJ ou JJ-MM-AAAA)",
		                     "invalid date '%s' (YYYY-MM-DD or DD-MM-YYYY)"),
		                s);
		return PX_EINVAL;
	}
	return PX_OK;
}

/* Begins a transaction (a write one when write) and loads protocol ref
 * into *out. On failure it prints the error and sets *rc; either way the
 * caller aborts *txn and frees *out. */
static px_err
proto_load(px_node *n, bool write, const char *ref, px_txn **txn, Praxis__Protocol **out, int *rc)
{
	uint64_t id;
	px_err err;
	if ((err = node_txn_begin(n, write, txn, rc)) != PX_OK)
		return err;
	if (!node_parse_id(ref, &id)) {
		*rc = node_fail(n, PX_EINVAL,
		                PX_T("numéro de protocole invalide « %s »", "invalid protocol number '%s'"),
		                ref != NULL ? ref : "");
		return PX_EINVAL;
	}
	err = node_protocol_get(n, *txn, id, out);
	if (err == PX_ENOTFOUND)
		*rc = node_fail(n, err, PX_T("protocole %s introuvable", "protocol %s not found"), ref);
	else if (err != PX_OK)
		*rc = node_store_fail(n, err);
	return err;
}

/* A cancelled protocol (said with `cancelled`, a format taking its
 * number), or an erased member's, kept for counts only, takes no more
 * signatures or cancellations. */
static bool
proto_refuse_closed(px_node *n, const Praxis__Protocol *p, const char *cancelled, int *rc)
{
	if (p->status == PRAXIS__PROTOCOL_STATUS__PROTOCOL_CANCELLED)
		*rc = node_fail(n, PX_EPRECOND, cancelled, (unsigned long long)p->id);
	else if (p->erased)
		*rc = node_fail(n, PX_EPRECOND,
		                PX_T("le protocole %llu est celui d'un membre effacé : il ne sert plus qu'aux comptes",
		                     "protocol %llu belongs to an erased member: it is kept for counts only"),
		                (unsigned long long)p->id);
	else
		return false;
	return true;
}

/* ------------------------------------------------------ shipped clauses */

/* The clauses file of a framework: $PRAXIS_DATA_DIR/protocols/<fw>.json,
 * then <exe>/../share/praxis/protocols (installed), then data/protocols in
 * the parents of the executable's folder (a build tree inside the source
 * tree). Returns a malloc'd path or NULL. */
static char *
proto_find_clauses(const char *framework)
{
	char *p = NULL;
	const char *env = getenv("PRAXIS_DATA_DIR");
	if (env != NULL && *env != '\0') {
		if (asprintf(&p, "%s/protocols/%s.json", env, framework) < 0)
			return NULL;
		if (access(p, R_OK) == 0)
			return p;
		free(p);
		return NULL; /* an explicit data dir is the only one searched */
	}
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len <= 0)
		return NULL;
	exe[len] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	if (asprintf(&p, "%s/../share/praxis/protocols/%s.json", exe, framework) < 0)
		return NULL;
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	for (int up = 0; up < 6; up++) {
		if (asprintf(&p, "%s/data/protocols/%s.json", exe, framework) < 0)
			return NULL;
		if (access(p, R_OK) == 0)
			return p;
		free(p);
		slash = strrchr(exe, '/');
		if (slash == NULL || slash == exe)
			break;
		*slash = '\0';
	}
	return NULL;
}

/* Reads the clauses file into p (version and clauses). Prints the reason. */
static px_err
proto_read_clauses(px_node *n, const char *path, Praxis__Protocol *p, int *rc)
{
	size_t len;
	char *buf = node_read_file(path, SIZE_MAX, &len);
	if (buf == NULL && errno == ENOMEM) {
		*rc = node_store_fail(n, PX_ENOMEM);
		return PX_ENOMEM;
	}
	if (buf == NULL) {
		*rc = node_fail(n, PX_EIO, PX_T("impossible de lire %s : %s", "cannot read %s: %s"), path,
		                strerror(errno));
		return PX_EIO;
	}
	cJSON *j = cJSON_Parse(buf);
	free(buf);
	px_err err = PX_EINVAL;
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "version");
	const cJSON *cl = cJSON_GetObjectItemCaseSensitive(j, "clauses");
	if (j == NULL || !cJSON_IsString(ver) || ver->valuestring[0] == '\0' || !cJSON_IsArray(cl) ||
	    cJSON_GetArraySize(cl) == 0) {
		*rc = node_fail(n, PX_EINVAL,
		                PX_T("%s : fichier de clauses invalide (attendu : {\"version\": \"…\", \"clauses\": "
		                     "[{\"party\": \"organization|member\", \"text\": \"…\"}…]})",
		                     "%s: invalid clauses file (expected: {\"version\": \"...\", \"clauses\": "
		                     "[{\"party\": \"organization|member\", \"text\": \"...\"}...]})"),
		                path);
		goto out;
	}
	size_t nc = (size_t)cJSON_GetArraySize(cl);
	p->clauses = calloc(nc, sizeof *p->clauses);
	if (p->clauses == NULL) {
		err = PX_ENOMEM;
		*rc = node_store_fail(n, err);
		goto out;
	}
	size_t i = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, cl)
	{
		const cJSON *party = cJSON_GetObjectItemCaseSensitive(c, "party");
		const cJSON *text = cJSON_GetObjectItemCaseSensitive(c, "text");
		if (!cJSON_IsString(party) || !cJSON_IsString(text) || text->valuestring[0] == '\0' ||
		    (strcmp(party->valuestring, NODE_SIGNER_MEMBER) != 0 &&
		     strcmp(party->valuestring, "organization") != 0)) {
			*rc = node_fail(n, PX_EINVAL,
			                PX_T("%s : clause %zu invalide (party organization|member et text non vide)",
			                     "%s: clause %zu is invalid (party organization|member and a non-empty text)"),
			                path, i + 1);
			goto out;
		}
		Praxis__Clause *pc = malloc(sizeof *pc);
		if (pc == NULL) {
			err = PX_ENOMEM;
			*rc = node_store_fail(n, err);
			goto out;
		}
		praxis__clause__init(pc);
		pc->party = strdup(party->valuestring);
		pc->text = strdup(text->valuestring);
		p->clauses[i++] = pc;
		p->n_clauses = i;
		if (pc->party == NULL || pc->text == NULL) {
			err = PX_ENOMEM;
			*rc = node_store_fail(n, err);
			goto out;
		}
	}
	proto_set_str(&p->clauses_version, ver->valuestring);
	err = p->clauses_version != NULL ? PX_OK : PX_ENOMEM;
out:
	cJSON_Delete(j);
	return err;
}

/* ------------------------------------------------------------ signer keys */

/* Passphrase from PRAXIS_PASSPHRASE, else asked on the terminal. *out is
 * malloc'd; the caller wipes and frees it. */
static px_err
proto_passphrase(px_node *n, bool creating, char **out, int *rc)
{
	const char *env = getenv("PRAXIS_PASSPHRASE");
	if (env != NULL && *env != '\0') {
		*out = strdup(env);
		return *out != NULL ? PX_OK : PX_ENOMEM;
	}
	FILE *tty = fopen("/dev/tty", "r+");
	if (tty == NULL || !isatty(fileno(tty))) {
		if (tty != NULL)
			fclose(tty);
		*rc = node_fail(n, PX_EPASS,
		                "%s",
		                PX_T("phrase de passe requise pour la clé du signataire : définir PRAXIS_PASSPHRASE "
		                     "ou lancer la commande dans un terminal",
		                     "a passphrase is needed for the signer's key: set PRAXIS_PASSPHRASE or run "
		                     "the command in a terminal"));
		return PX_EPASS;
	}
	struct termios old, quiet;
	tcgetattr(fileno(tty), &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	fprintf(tty, "%s", creating ? PX_T("Nouvelle phrase de passe de la clé du signataire : ",
	                                    "New passphrase for the signer's key: ")
	                            : PX_T("Phrase de passe de la clé du signataire : ",
	                                   "Passphrase of the signer's key: "));
	fflush(tty);
	char buf[256];
	char *got = fgets(buf, sizeof buf, tty);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (got == NULL || buf[0] == '\n' || buf[0] == '\0') {
		px_wipe(buf, sizeof buf);
		*rc = node_fail(n, PX_EPASS, "%s", PX_T("phrase de passe vide", "empty passphrase"));
		return PX_EPASS;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	*out = strdup(buf);
	px_wipe(buf, sizeof buf);
	return *out != NULL ? PX_OK : PX_ENOMEM;
}

/* Loads, or creates on first use, the key of a signer. *id freed with
 * px_identity_free. The key name is "member-<id>" or "director-<org id>". */
static px_err
proto_signer_key(px_node *n, const char *name, px_identity **id, bool *created, int *rc)
{
	*id = NULL;
	*created = false;
	char *dir = node_path(n, "keys");
	char *path = NULL;
	char *pass = NULL;
	px_err err = px_crypto_init();
	if (err != PX_OK) {
		*rc = node_store_fail(n, err);
		goto out;
	}
	err = PX_ENOMEM;
	if (dir == NULL || asprintf(&path, "%s/%s.key", dir, name) < 0) {
		path = NULL;
		*rc = node_store_fail(n, err);
		goto out;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		err = PX_EIO;
		*rc = node_fail(n, err, PX_T("impossible de créer %s : %s", "cannot create %s: %s"), dir,
		                strerror(errno));
		goto out;
	}
	bool exists = access(path, F_OK) == 0;
	if ((err = proto_passphrase(n, !exists, &pass, rc)) != PX_OK) {
		if (err == PX_ENOMEM)
			*rc = node_store_fail(n, err);
		goto out;
	}
	if (exists) {
		err = px_identity_load(id, path, pass);
		if (err == PX_EPASS)
			*rc = node_fail(n, err,
			                PX_T("phrase de passe incorrecte pour la clé %s", "wrong passphrase for key %s"),
			                path);
		else if (err != PX_OK)
			*rc = node_fail(n, err, PX_T("clé %s illisible : %s", "cannot read key %s: %s"), path,
			                px_strerror_user(err));
		goto out;
	}
	if ((err = px_identity_generate(id)) != PX_OK ||
	    (err = px_identity_save(*id, path, pass)) != PX_OK) {
		*rc = node_fail(n, err, PX_T("impossible de créer la clé %s : %s", "cannot create key %s: %s"),
		                path, px_strerror_user(err));
		px_identity_free(*id);
		*id = NULL;
		goto out;
	}
	*created = true;
out:
	if (pass != NULL) {
		px_wipe(pass, strlen(pass));
		free(pass);
	}
	free(path);
	free(dir);
	return err;
}

/* ------------------------------------------------------------ protocol new */

struct proto_open {
	uint64_t member;
	uint64_t found;
};

static px_err
proto_open_scan(void *arg, px_val key, px_val val)
{
	(void)val;
	struct proto_open *o = arg;
	if (key.size == 16)
		o->found = px_rd64((const uint8_t *)key.data + 8);
	return PX_OK;
}

static int
proto_new(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	Praxis__Member *m = NULL;
	Praxis__Community *c = NULL;
	Praxis__Organization *o = NULL;
	Praxis__Protocol *p = NULL;
	Praxis__Protocol *other = NULL;
	char *clauses = NULL;
	px_err err;

	int32_t created;
	if (proto_parse_date_opt(n, node_opt_get(a->opts, "date"), &created, &rc) != PX_OK)
		goto out;
	if (node_txn_begin(n, true, &txn, &rc) != PX_OK)
		goto out;
	uint64_t mid;
	if (node_resolve_member(n, txn, a->pos[0], &mid) != PX_OK || node_member_get(n, txn, mid, &m) != PX_OK ||
	    m->status == PRAXIS__MEMBER_STATUS__MEMBER_ERASED) {
		rc = node_fail(n, PX_ENOTFOUND, PX_T("membre « %s » introuvable", "member '%s' not found"), a->pos[0]);
		goto out;
	}
	if (node_community_get(n, txn, m->community_id, &c) != PX_OK) {
		rc = node_fail(n, PX_ENOTFOUND, PX_T("communauté %llu du membre introuvable",
		                                     "the member's community %llu was not found"),
		               (unsigned long long)m->community_id);
		goto out;
	}
	if (m->org_id == 0 || node_org_get(n, txn, m->org_id, &o) != PX_OK) {
		rc = node_fail(n, PX_EINVAL,
		               PX_T("le membre %llu n'a pas d'organisme (LAU-2 : le protocole nomme son milieu de "
		                    "pratique) ; « member edit %llu --org ORG »",
		                    "member %llu has no organization (LAU-2: the protocol names her organization); "
		                    "use 'member edit %llu --org ORG'"),
		               (unsigned long long)mid, (unsigned long long)mid);
		goto out;
	}
	if (o->director_name == NULL || o->director_name[0] == '\0') {
		rc = node_fail(n, PX_EINVAL,
		               PX_T("l'organisme « %s » n'a pas de directrice ou directeur (LAU-2) ; « org edit %llu "
		                    "--director NOM »",
		                    "organization '%s' has no director (LAU-2); use 'org edit %llu --director NAME'"),
		               o->name, (unsigned long long)o->id);
		goto out;
	}
	if (m->birth_day == 0 || m->birth_month == 0) {
		rc = node_fail(n, PX_EINVAL,
		               PX_T("date de naissance (jr/mois) manquante pour le membre %llu (LAU-2) ; « member "
		                    "edit %llu --birth JJ/MM »",
		                    "birth day/month missing for member %llu (LAU-2); use 'member edit %llu --birth "
		                    "DD/MM'"),
		               (unsigned long long)mid, (unsigned long long)mid);
		goto out;
	}
	/* One open protocol per member: a new one only after cancelling. */
	struct proto_open po = {mid, 0};
	uint8_t pk[8];
	if ((err = px_scan(txn, n->db.protocols_by_member, pk, node_key_id(pk, mid), proto_open_scan, &po)) !=
	    PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	if (po.found != 0 && node_protocol_get(n, txn, po.found, &other) == PX_OK &&
	    other->status != PRAXIS__PROTOCOL_STATUS__PROTOCOL_CANCELLED) {
		rc = node_fail(n, PX_EEXISTS,
		               PX_T("le membre %llu a déjà le protocole %llu (%s) ; l'annuler d'abord",
		                    "member %llu already has protocol %llu (%s); cancel it first"),
		               (unsigned long long)mid, (unsigned long long)other->id,
		               proto_status_name(other->status));
		goto out;
	}
	const char *cpath = node_opt_get(a->opts, "clauses");
	if (cpath == NULL) {
		clauses = proto_find_clauses(c->framework);
		if (clauses == NULL) {
			rc = node_fail(n, PX_ENOTFOUND,
			               PX_T("aucun fichier de clauses pour le cadre « %s » (protocols/%s.json) ; "
			                    "donner --clauses FICHIER",
			                    "no clauses file for framework '%s' (protocols/%s.json); give --clauses FILE"),
			               c->framework, c->framework);
			goto out;
		}
		cpath = clauses;
	}
	p = malloc(sizeof *p);
	if (p == NULL) {
		rc = node_store_fail(n, PX_ENOMEM);
		goto out;
	}
	praxis__protocol__init(p);
	if (proto_read_clauses(n, cpath, p, &rc) != PX_OK)
		goto out;
	if ((err = node_next_id(txn, "protocols", &p->id)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	p->member_id = mid;
	p->community_id = m->community_id;
	p->org_id = m->org_id;
	proto_set_str(&p->family_name, m->family_name);
	proto_set_str(&p->first_name, m->first_name);
	p->birth_day = m->birth_day;
	p->birth_month = m->birth_month;
	proto_set_str(&p->org_name, o->name);
	proto_set_str(&p->director_name, o->director_name);
	p->status = PRAXIS__PROTOCOL_STATUS__PROTOCOL_DRAFT;
	p->created = created;
	if ((err = node_protocol_put(n, txn, p)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	pxp_change ch = {.kind = PXP_CHANGE_PROTOCOL, .member_id = mid};
	if ((rc = node_txn_check_commit(n, &txn, m->community_id, &ch)) != NODE_EXIT_OK)
		goto out;
	if (n->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddBoolToObject(j, "ok", true);
		cJSON_AddNumberToObject(j, "id", (double)p->id);
		cJSON_AddNumberToObject(j, "member_id", (double)mid);
		cJSON_AddStringToObject(j, "clauses_version", p->clauses_version);
		cJSON_AddNumberToObject(j, "clauses", (double)p->n_clauses);
		node_json_print(j);
	} else {
		printf(PX_T("Protocole %llu créé pour %s %s (%s), clauses « %s » (%zu). À signer par le membre et "
		            "par %s.\n",
		            "Protocol %llu created for %s %s (%s), clauses '%s' (%zu). To be signed by the member and "
		            "by %s.\n"),
		       (unsigned long long)p->id, p->first_name, p->family_name, p->org_name, p->clauses_version,
		       p->n_clauses, p->director_name);
	}
out:
	px_txn_abort(txn);
	if (m)
		protobuf_c_message_free_unpacked(&m->base, NULL);
	if (c)
		protobuf_c_message_free_unpacked(&c->base, NULL);
	if (o)
		protobuf_c_message_free_unpacked(&o->base, NULL);
	if (p)
		protobuf_c_message_free_unpacked(&p->base, NULL);
	if (other)
		protobuf_c_message_free_unpacked(&other->base, NULL);
	free(clauses);
	return rc;
}

/* ----------------------------------------------------------- protocol sign */

static int
proto_sign(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	Praxis__Protocol *p = NULL;
	Praxis__Member *m = NULL;
	px_identity *id = NULL;
	px_err err;

	const char *as = node_opt_get(a->opts, "as");
	const char *signer = NULL;
	if (strcmp(as, "member") == 0 || strcmp(as, "membre") == 0)
		signer = NODE_SIGNER_MEMBER;
	else if (strcmp(as, "director") == 0 || strcmp(as, "direction") == 0 || strcmp(as, "directeur") == 0 ||
	         strcmp(as, "directrice") == 0)
		signer = NODE_SIGNER_DIRECTOR;
	if (signer == NULL) {
		rc = node_fail(n, PX_EINVAL,
		               PX_T("signataire inconnu « %s » (member ou director)",
		                    "unknown signer '%s' (member or director)"),
		               as);
		goto out;
	}
	int32_t date;
	if (proto_parse_date_opt(n, node_opt_get(a->opts, "date"), &date, &rc) != PX_OK)
		goto out;
	/* Paper forms are often entered after they were signed, so an
	 * earlier date is fine; a future one is a typing error. */
	if (date > px_date_today()) {
		rc = node_fail(n, PX_EINVAL, "%s",
		               PX_T("la date de signature est dans le futur", "the signature date is in the future"));
		goto out;
	}
	/* Twice through the store: the key (and its passphrase prompt) comes
	 * between a read and the write transaction, so nobody waits on
	 * LMDB's writer lock while someone types. */
	char keyname[64];
	char dbkey[64];
	bool member = strcmp(signer, NODE_SIGNER_MEMBER) == 0;
	bool created = false;
	for (int pass = 0; pass < 2; pass++) {
		if (proto_load(n, pass == 1, a->pos[0], &txn, &p, &rc) != PX_OK ||
		    proto_refuse_closed(n, p, PX_T("le protocole %llu est annulé", "protocol %llu is cancelled"), &rc))
			goto out;
		if (pass == 1)
			break;
		snprintf(keyname, sizeof keyname, "%s-%llu", signer,
		         (unsigned long long)(member ? p->member_id : p->org_id));
		snprintf(dbkey, sizeof dbkey, "%s/%llu", signer, (unsigned long long)(member ? p->member_id : p->org_id));
		px_txn_abort(txn);
		txn = NULL;
		protobuf_c_message_free_unpacked(&p->base, NULL);
		p = NULL;
		if (proto_signer_key(n, keyname, &id, &created, &rc) != PX_OK)
			goto out;
	}
	char hex[PX_PK_HEX];
	px_hex_encode(px_identity_pk(id), PX_PK_BYTES, hex);
	if ((err = px_put(txn, n->db.signer_keys, dbkey, strlen(dbkey), hex, strlen(hex))) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	char *name = NULL;
	if (member) {
		if (asprintf(&name, "%s %s", p->first_name, p->family_name) < 0)
			name = NULL;
	} else {
		name = strdup(p->director_name);
	}
	if (name == NULL) {
		rc = node_store_fail(n, PX_ENOMEM);
		goto out;
	}
	err = node_protocol_sign(p, signer, name, date, id);
	free(name);
	if (err != PX_OK) {
		rc = node_fail(n, err, PX_T("signature impossible : %s", "cannot sign: %s"), px_strerror_user(err));
		goto out;
	}
	bool mok = false, dok = false;
	if (node_protocol_verify(p, &mok, &dok) != PX_OK) {
			/* mok and dok say which */
		}
	bool activated = false;
	if (mok && dok) {
		p->status = PRAXIS__PROTOCOL_STATUS__PROTOCOL_SIGNED;
		/* LAU-1: both signatures make a candidate an active member. */
		if (node_member_get(n, txn, p->member_id, &m) == PX_OK &&
		    m->status == PRAXIS__MEMBER_STATUS__MEMBER_CANDIDATE) {
			if ((err = member_set_status(m, PRAXIS__MEMBER_STATUS__MEMBER_ACTIVE, date,
			                               "protocole d'engagement signé")) != PX_OK ||
			    (err = node_member_put(n, txn, m)) != PX_OK) {
				rc = node_store_fail(n, err);
				goto out;
			}
			activated = true;
		}
	}
	if ((err = node_protocol_put(n, txn, p)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	pxp_change ch = {.kind = PXP_CHANGE_PROTOCOL, .member_id = p->member_id};
	if (activated) {
		ch.kind = PXP_CHANGE_MEMBER_STATUS;
		ch.new_status = PRAXIS__MEMBER_STATUS__MEMBER_ACTIVE;
	}
	if ((rc = node_txn_check_commit(n, &txn, p->community_id, &ch)) != NODE_EXIT_OK)
		goto out;
	if (n->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddBoolToObject(j, "ok", true);
		cJSON_AddNumberToObject(j, "id", (double)p->id);
		cJSON_AddStringToObject(j, "signer", signer);
		cJSON_AddStringToObject(j, "public_key", hex);
		cJSON_AddBoolToObject(j, "key_created", created);
		cJSON_AddStringToObject(j, "status", proto_status_token(p->status));
		cJSON_AddBoolToObject(j, "member_activated", activated);
		node_json_print(j);
	} else {
		char d[11];
		px_date_format(date, d);
		printf(PX_T("Protocole %llu signé par %s le %s (clé %.16s…%s).\n",
		            "Protocol %llu signed by the %s on %s (key %.16s...%s).\n"),
		       (unsigned long long)p->id,
		       member ? PX_T("le membre", "member") : PX_T("la direction", "director"), d, hex,
		       created ? PX_T(", nouvelle clé", ", new key") : "");
		if (p->status == PRAXIS__PROTOCOL_STATUS__PROTOCOL_SIGNED)
			printf("%s\n", PX_T("Les deux signatures sont présentes et valides.",
			                    "Both signatures are present and valid."));
		if (activated)
			printf(PX_T("Le membre %llu devient actif (LAU-1).\n", "Member %llu is now active (LAU-1).\n"),
			       (unsigned long long)p->member_id);
	}
out:
	px_txn_abort(txn);
	px_identity_free(id);
	if (p)
		protobuf_c_message_free_unpacked(&p->base, NULL);
	if (m)
		protobuf_c_message_free_unpacked(&m->base, NULL);
	return rc;
}

/* --------------------------------------------------------- protocol verify */

/* State of one signature in words: "valid", "missing", "invalid", "key". */
typedef struct proto_sig_state {
	px_err err;       /* node_protocol_check */
	bool key_changed; /* signed by another key than the one on record */
} proto_sig_state;

static proto_sig_state
proto_sig_check(px_node *n, px_txn *txn, const Praxis__Protocol *p, const char *signer)
{
	proto_sig_state s = {node_protocol_check(p, signer), false};
	const Praxis__Signature *sig = node_protocol_signature(p, signer);
	if (s.err == PX_OK && sig != NULL && !p->erased) {
		char dbkey[64];
		bool member = strcmp(signer, NODE_SIGNER_MEMBER) == 0;
		snprintf(dbkey, sizeof dbkey, "%s/%llu", signer,
		         (unsigned long long)(member ? p->member_id : p->org_id));
		px_val v;
		char hex[PX_PK_HEX];
		px_hex_encode(sig->public_key.data, PX_PK_BYTES, hex);
		if (px_get(txn, n->db.signer_keys, dbkey, strlen(dbkey), &v) == PX_OK &&
		    (v.size != strlen(hex) || memcmp(v.data, hex, v.size) != 0))
			s.key_changed = true;
	}
	return s;
}

static const char *
proto_sig_token(proto_sig_state s)
{
	if (s.err == PX_OK)
		return s.key_changed ? "unknown_key" : "valid";
	if (s.err == PX_ENOTFOUND)
		return "missing";
	return "invalid";
}

static const char *
proto_sig_words(proto_sig_state s)
{
	if (s.err == PX_OK)
		return s.key_changed ? PX_T("valide, mais faite avec une autre clé que celle enregistrée pour ce "
		                            "signataire",
		                            "valid, but made with another key than the one on record for this signer")
		                     : PX_T("valide", "valid");
	if (s.err == PX_ENOTFOUND)
		return PX_T("absente", "missing");
	if (s.err == PX_ECORRUPT)
		return PX_T("illisible (clé ou signature de mauvaise taille)", "unreadable (key or signature of the wrong size)");
	return PX_T("invalide : le texte signé a changé depuis la signature (clause, nom, date de naissance, "
	            "organisme ou direction) ou la signature est fausse",
	            "invalid: the signed text changed since it was signed (clause, name, birth date, organization "
	            "or director) or the signature is forged");
}

static int
proto_verify(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	Praxis__Protocol *p = NULL;
	if (proto_load(n, false, a->pos[0], &txn, &p, &rc) != PX_OK)
		goto out;
	proto_sig_state ms = proto_sig_check(n, txn, p, NODE_SIGNER_MEMBER);
	proto_sig_state ds = proto_sig_check(n, txn, p, NODE_SIGNER_DIRECTOR);
	bool ok = ms.err == PX_OK && !ms.key_changed && ds.err == PX_OK && !ds.key_changed;
	if (n->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddBoolToObject(j, "ok", ok);
		cJSON_AddNumberToObject(j, "id", (double)p->id);
		cJSON_AddStringToObject(j, "member", proto_sig_token(ms));
		cJSON_AddStringToObject(j, "director", proto_sig_token(ds));
		cJSON_AddStringToObject(j, "status", proto_status_token(p->status));
		node_json_print(j);
	} else {
		printf(PX_T("Protocole %llu (%s)\n", "Protocol %llu (%s)\n"), (unsigned long long)p->id,
		       proto_status_name(p->status));
		printf(PX_T("  signature du membre : %s\n", "  member's signature: %s\n"), proto_sig_words(ms));
		printf(PX_T("  signature de la direction : %s\n", "  director's signature: %s\n"), proto_sig_words(ds));
	}
	if (!ok) {
		const char *which;
		bool m_bad = ms.err != PX_OK || ms.key_changed, d_bad = ds.err != PX_OK || ds.key_changed;
		if (m_bad && d_bad)
			which = PX_T("les deux signatures", "both signatures");
		else if (m_bad)
			which = PX_T("la signature du membre", "the member's signature");
		else
			which = PX_T("la signature de la direction", "the director's signature");
		proto_sig_state bad = m_bad ? ms : ds;
		rc = node_exit_code(PX_EAUTH);
		bool both = m_bad && d_bad;
		fprintf(stderr, PX_T("praxis-node : erreur : protocole %llu non valide : %s %s\n",
		                     "praxis-node: error: protocol %llu is not valid: %s %s\n"),
		        (unsigned long long)p->id, which,
		        bad.err == PX_ENOTFOUND ? (both ? PX_T("manquent ou ne sont pas valides", "are missing or not valid")
		                                        : PX_T("manque", "is missing"))
		        : bad.key_changed       ? PX_T("vient d'une autre clé que celle enregistrée", "comes from another key than the one on record")
		                                : PX_T("ne correspond pas au texte signé", "does not match the signed text"));
	}
out:
	px_txn_abort(txn);
	if (p)
		protobuf_c_message_free_unpacked(&p->base, NULL);
	return rc;
}

/* ----------------------------------------------------------- show and list */

static cJSON *
proto_json(px_node *n, px_txn *txn, const Praxis__Protocol *p)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "id", (double)p->id);
	cJSON_AddNumberToObject(j, "member_id", (double)p->member_id);
	cJSON_AddNumberToObject(j, "community_id", (double)p->community_id);
	cJSON_AddNumberToObject(j, "org_id", (double)p->org_id);
	cJSON_AddStringToObject(j, "family_name", p->family_name);
	cJSON_AddStringToObject(j, "first_name", p->first_name);
	char b[8];
	snprintf(b, sizeof b, "%02d/%02d", (int)p->birth_day, (int)p->birth_month);
	cJSON_AddStringToObject(j, "birth", b);
	cJSON_AddStringToObject(j, "org_name", p->org_name);
	cJSON_AddStringToObject(j, "director_name", p->director_name);
	cJSON_AddStringToObject(j, "clauses_version", p->clauses_version);
	cJSON *cl = cJSON_AddArrayToObject(j, "clauses");
	for (size_t i = 0; i < p->n_clauses; i++) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "party", p->clauses[i]->party);
		cJSON_AddStringToObject(c, "text", p->clauses[i]->text);
		cJSON_AddItemToArray(cl, c);
	}
	cJSON *sg = cJSON_AddArrayToObject(j, "signatures");
	for (size_t i = 0; i < p->n_signatures; i++) {
		const Praxis__Signature *s = p->signatures[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "signer", s->signer);
		cJSON_AddStringToObject(o, "signer_name", s->signer_name);
		node_json_date(o, "date", s->date);
		char hex[2 * PX_SIG_BYTES + 1];
		if (s->public_key.len == PX_PK_BYTES) {
			px_hex_encode(s->public_key.data, PX_PK_BYTES, hex);
			cJSON_AddStringToObject(o, "public_key", hex);
		}
		if (s->signature.len == PX_SIG_BYTES) {
			px_hex_encode(s->signature.data, PX_SIG_BYTES, hex);
			cJSON_AddStringToObject(o, "signature", hex);
		}
		cJSON_AddStringToObject(o, "state", proto_sig_token(proto_sig_check(n, txn, p, s->signer)));
		cJSON_AddItemToArray(sg, o);
	}
	cJSON_AddStringToObject(j, "status", proto_status_token(p->status));
	cJSON_AddBoolToObject(j, "erased", p->erased);
	node_json_date(j, "created", p->created);
	if (p->status == PRAXIS__PROTOCOL_STATUS__PROTOCOL_CANCELLED) {
		cJSON_AddStringToObject(j, "cancel_reason", p->cancel_reason);
		node_json_date(j, "cancel_date", p->cancel_date);
	}
	return j;
}

/* Dates on the form are jj-mm-aaaa (LAU-2). */
static void
proto_form_date(int32_t d, char out[16])
{
	snprintf(out, 16, "%02d-%02d-%04d", (int)(d % 100), (int)(d / 100 % 100), (int)(d / 10000));
}

static int
proto_show(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	Praxis__Protocol *p = NULL;
	if (proto_load(n, false, a->pos[0], &txn, &p, &rc) != PX_OK)
		goto out;
	if (n->json) {
		node_json_print(proto_json(n, txn, p));
		goto out;
	}
	printf(PX_T("PROTOCOLE D'ENGAGEMENT n° %llu — %s (clauses %s)\n\n",
	            "ENGAGEMENT PROTOCOL no. %llu — %s (clauses %s)\n\n"),
	       (unsigned long long)p->id, proto_status_name(p->status), p->clauses_version);
	if (p->erased)
		printf("%s\n\n", PX_T("Membre effacé (droit à l'effacement) : ses données personnelles ne sont plus "
		                      "conservées ; l'état des signatures est celui constaté à l'effacement.",
		                      "Erased member (right to erasure): her personal data is no longer kept; the "
		                      "signatures' state is the one found at erasure."));
	printf("%s %s\n", PX_T("Nom de famille de l'intervenante :", "Family name:"), p->family_name);
	printf("%s %s\n", PX_T("Prénom :", "First name:"), p->first_name);
	printf("%s %02d/%02d\n", PX_T("Date de naissance (jr/mois) :", "Birth date (day/month):"), (int)p->birth_day,
	       (int)p->birth_month);
	printf("%s %s\n", PX_T("Nom du milieu de pratique :", "Organization:"), p->org_name);
	printf("%s %s\n", PX_T("Nom de la directrice ou du directeur :", "Director:"), p->director_name);
	const char *last = "";
	for (size_t i = 0; i < p->n_clauses; i++) {
		const Praxis__Clause *c = p->clauses[i];
		if (strcmp(c->party, last) != 0) {
			printf("\n[%s]\n", strcmp(c->party, "organization") == 0 ? PX_T("organisme", "organization")
			                                                           : PX_T("intervenante", "member"));
			last = c->party;
		}
		printf("  %zu. %s\n", i + 1, c->text);
	}
	printf("\n%s\n", PX_T("Signatures :", "Signatures:"));
	const char *signers[2] = {NODE_SIGNER_DIRECTOR, NODE_SIGNER_MEMBER};
	for (int i = 0; i < 2; i++) {
		const Praxis__Signature *s = node_protocol_signature(p, signers[i]);
		const char *who = i == 0 ? PX_T("direction", "director") : PX_T("intervenante", "member");
		if (s == NULL) {
			printf("  %s %s\n", node_pad(who, 13), PX_T("(absente)", "(missing)"));
			continue;
		}
		char d[16];
		proto_form_date(s->date, d);
		printf("  %s %s, %s %s — %s\n", node_pad(who, 13), s->signer_name, PX_T("date", "date"), d,
		       proto_sig_words(proto_sig_check(n, txn, p, signers[i])));
	}
	if (p->status == PRAXIS__PROTOCOL_STATUS__PROTOCOL_CANCELLED) {
		char d[16];
		proto_form_date(p->cancel_date, d);
		printf(PX_T("\nAnnulé le %s : %s\n", "\nCancelled on %s: %s\n"), d, p->cancel_reason);
	}
out:
	px_txn_abort(txn);
	if (p)
		protobuf_c_message_free_unpacked(&p->base, NULL);
	return rc;
}

struct proto_list {
	px_node *n;
	px_txn *txn;
	uint64_t community, member;
	node_listing out;
};

static px_err
proto_list_one(void *arg, px_val key, void *msg)
{
	(void)key;
	struct proto_list *l = arg;
	Praxis__Protocol *p = msg;
	if ((l->community == 0 || p->community_id == l->community) && (l->member == 0 || p->member_id == l->member)) {
		bool mok = false, dok = false;
		if (node_protocol_verify(p, &mok, &dok) != PX_OK) {
			/* mok and dok say which */
		}
		l->out.count++;
		if (l->out.arr != NULL) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "id", (double)p->id);
			cJSON_AddNumberToObject(o, "member_id", (double)p->member_id);
			cJSON_AddNumberToObject(o, "community_id", (double)p->community_id);
			cJSON_AddStringToObject(o, "family_name", p->family_name);
			cJSON_AddStringToObject(o, "first_name", p->first_name);
			cJSON_AddStringToObject(o, "org_name", p->org_name);
			cJSON_AddStringToObject(o, "status", proto_status_token(p->status));
			cJSON_AddBoolToObject(o, "member_signed", mok);
			cJSON_AddBoolToObject(o, "director_signed", dok);
			cJSON_AddItemToArray(l->out.arr, o);
		} else {
			char *id = node_fmt("%llu", (unsigned long long)p->id);
			char *mid = node_fmt("%llu", (unsigned long long)p->member_id);
			char *name = node_fmt("%s %s", p->first_name, p->family_name);
			const char *cells[] = {id, mid, name, p->org_name, proto_status_name(p->status),
			                       mok ? PX_T("oui", "yes") : PX_T("non", "no"),
			                       dok ? PX_T("oui", "yes") : PX_T("non", "no")};
			node_table_row(l->out.t, cells);
			free(id), free(mid), free(name);
		}
	}
	return PX_OK;
}

static int
proto_list(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	px_err err;
	struct proto_list l = {n, NULL, 0, 0, {NULL, NULL, 0}};
	if (node_txn_begin(n, false, &txn, &rc) != PX_OK)
		goto out;
	const char *cref = node_opt_get(a->opts, "community"), *mref = node_opt_get(a->opts, "member");
	if (cref != NULL && node_resolve_community(n, txn, cref, &l.community) != PX_OK) {
		rc = node_fail(n, PX_ENOTFOUND, PX_T("communauté « %s » introuvable", "community '%s' not found"), cref);
		goto out;
	}
	if (mref != NULL && node_resolve_member(n, txn, mref, &l.member) != PX_OK) {
		rc = node_fail(n, PX_ENOTFOUND, PX_T("membre « %s » introuvable", "member '%s' not found"), mref);
		goto out;
	}
	l.txn = txn;
	const char *h[] = {PX_T("n°", "no."), PX_T("membre", "member"), PX_T("nom", "name"),
	                   PX_T("organisme", "organization"), PX_T("état", "status"),
	                   PX_T("sig. membre", "member sig."), PX_T("sig. direction", "director sig.")};
	node_listing_begin(n, &l.out, 7, h);
	if ((err = node_scan(txn, n->db.protocols, NULL, 0, &praxis__protocol__descriptor,
	                     proto_list_one, &l)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	node_listing_end(&l.out, PX_T("Aucun protocole.", "No protocol."));
out:
	node_listing_fini(&l.out);
	px_txn_abort(txn);
	return rc;
}

/* ---------------------------------------------------------- protocol cancel */

static int
proto_cancel(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	Praxis__Protocol *p = NULL;
	Praxis__Member *m = NULL;
	px_err err;
	const char *reason = node_opt_get(a->opts, "reason");
	while (*reason == ' ')
		reason++;
	if (*reason == '\0') {
		rc = node_fail(n, PX_EINVAL, "%s", PX_T("la raison de l'annulation est vide (LAU-7)",
		                                        "the cancellation reason is empty (LAU-7)"));
		goto out;
	}
	int32_t date;
	if (proto_parse_date_opt(n, node_opt_get(a->opts, "date"), &date, &rc) != PX_OK)
		goto out;
	if (proto_load(n, true, a->pos[0], &txn, &p, &rc) != PX_OK ||
	    proto_refuse_closed(n, p, PX_T("le protocole %llu est déjà annulé", "protocol %llu is already cancelled"),
	                        &rc))
		goto out;
	p->status = PRAXIS__PROTOCOL_STATUS__PROTOCOL_CANCELLED;
	proto_set_str(&p->cancel_reason, reason);
	p->cancel_date = date;
	if ((err = node_protocol_put(n, txn, p)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	pxp_change ch = {.kind = PXP_CHANGE_PROTOCOL, .member_id = p->member_id};
	bool changed = false;
	if (node_member_get(n, txn, p->member_id, &m) == PX_OK &&
	    m->status != PRAXIS__MEMBER_STATUS__MEMBER_ERASED && m->status != PRAXIS__MEMBER_STATUS__MEMBER_CANCELLED) {
		char *why = NULL;
		if (asprintf(&why, "LAU-7 : %s", reason) < 0)
			why = NULL;
		err = why != NULL ? member_set_status(m, PRAXIS__MEMBER_STATUS__MEMBER_CANCELLED, date, why) : PX_ENOMEM;
		free(why);
		if (err == PX_OK) {
			if (m->left == 0)
				m->left = date;
			err = node_member_put(n, txn, m);
		}
		if (err != PX_OK) {
			rc = node_store_fail(n, err);
			goto out;
		}
		changed = true;
		ch.kind = PXP_CHANGE_MEMBER_STATUS;
		ch.new_status = PRAXIS__MEMBER_STATUS__MEMBER_CANCELLED;
	}
	if ((rc = node_txn_check_commit(n, &txn, p->community_id, &ch)) != NODE_EXIT_OK)
		goto out;
	if (n->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddBoolToObject(j, "ok", true);
		cJSON_AddNumberToObject(j, "id", (double)p->id);
		cJSON_AddStringToObject(j, "status", "cancelled");
		cJSON_AddBoolToObject(j, "member_cancelled", changed);
		node_json_print(j);
	} else {
		printf(PX_T("Protocole %llu annulé (LAU-7) : %s\n", "Protocol %llu cancelled (LAU-7): %s\n"),
		       (unsigned long long)p->id, reason);
		if (changed)
			printf(PX_T("Adhésion du membre %llu annulée ; la raison est gardée dans son historique.\n",
			            "Member %llu's membership cancelled; the reason is kept in her history.\n"),
			       (unsigned long long)p->member_id);
	}
out:
	px_txn_abort(txn);
	if (p)
		protobuf_c_message_free_unpacked(&p->base, NULL);
	if (m)
		protobuf_c_message_free_unpacked(&m->base, NULL);
	return rc;
}

