/*
 * cmd_member.c - `member add|edit|list|show|search|remove|export`.
 *
 * Right of access (`export`) gives everything stored about one member;
 * right to erasure (`remove`) keeps an anonymous tombstone (status ERASED,
 * community, organization, role, dates) so yearly counts stay right, drops
 * her names, birth day, e-mail, free text, protocols and signer key, and
 * compacts the store so the erased bytes leave the LMDB file.
 */
#define _GNU_SOURCE
#include "canon.h"
#include "member.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int member_add(px_node *n, const node_args *a);
static int member_edit(px_node *n, const node_args *a);
static int member_remove(px_node *n, const node_args *a);
static int member_list(px_node *n, const node_args *a);
static int member_show(px_node *n, const node_args *a);
/* One table for every subcommand, as add and edit share their options. */
static const node_opt member_opts[] = {
	NODE_OPT("community", true), NODE_OPT("family", true),  NODE_OPT("first", true),  NODE_OPT("birth", true),
	NODE_OPT("org", true),       NODE_OPT("job-title", true), NODE_OPT("discipline", true),
	NODE_OPT("email", true),     NODE_OPT("role", true),    NODE_OPT("status", true), NODE_OPT("joined", true),
	NODE_OPT("consent", true),   NODE_OPT("left", true),    NODE_OPT("imposed", true), NODE_OPT("reason", true),
	NODE_OPT("all", false),      NODE_OPT_END};
#define MEMBER_ONE .min_pos = 1, .max_pos = 1, .usage_fr = "donnez le numéro d'un membre", \
	.usage_en = "give one member number"

const node_cmd node_member_cmds[] = {
	{"member", "add", .run = member_add,
	 .usage = "member add --community C --family NOM --first PRÉNOM [--birth JJ/MM] [--org ORG] [--job-title T] [--discipline D] "
	          "[--email COURRIEL] [--role member|moderator|facilitator|coordinator] [--status candidate|active|...] [--joined DATE] [--consent oui|non] [--imposed oui|non]",
	 .help_fr = "Ajoute un membre.", .help_en = "Add a member.", .opts = member_opts},
	{"member", "edit", .run = member_edit,
	 .usage = "member edit ID [options de add sauf --community] [--status STATUT --reason RAISON] [--left DATE]",
	 .help_fr = "Modifie un membre ; un changement de statut garde sa raison dans l'historique.",
	 .help_en = "Edit a member; a status change keeps its reason in the history.", .opts = member_opts, MEMBER_ONE},
	{"member", "list", .run = member_list,
	 .usage = "member list [--community C] [--org ORG] [--status STATUT] [--all] [--json]",
	 .help_fr = "Liste les membres (sans les effacés, sauf --all).",
	 .help_en = "List members (erased ones only with --all).", .opts = member_opts,
	 .usage_fr = "argument inattendu", .usage_en = "unexpected argument"},
	{"member", "show", .run = member_show, .usage = "member show ID [--json]",
	 .help_fr = "Affiche un membre et son historique.", .help_en = "Show a member and her history.",
	 .opts = member_opts, MEMBER_ONE},
	{"member", "search", .run = member_list, .usage = "member search PRÉFIXE [--org ORG] [--community C] [--json]",
	 .help_fr = "Cherche par début de nom ou de prénom (sans tenir compte des accents).",
	 .help_en = "Search by name prefix (accent-insensitive).", .opts = member_opts, .min_pos = 1, .max_pos = 1,
	 .usage_fr = "donnez un début de nom", .usage_en = "give a name prefix"},
	{"member", "remove", .run = member_remove, .usage = "member remove ID",
	 .help_fr = "Efface les données personnelles d'un membre (droit à l'effacement) ; les comptes anonymes restent justes.",
	 .help_en = "Erase a member's personal data (right to erasure); anonymous counts stay right.",
	 .opts = member_opts, MEMBER_ONE},
	{"member", "export", .run = member_show, .usage = "member export ID",
	 .help_fr = "Tout ce qui est conservé sur un membre, en JSON (droit d'accès).",
	 .help_en = "Everything stored about a member, as JSON (right of access).", .opts = member_opts, MEMBER_ONE},
	{0},
};

/* ------------------------------------------------------------ validation */

struct member_orgs {
	size_t n;
	uint64_t *ids;
	char **names; /* normalized */
};

static px_err
member_orgs_scan(void *arg, px_val key, void *msg)
{
	member_orgs *o = arg;
	(void)key;
	Praxis__Organization *org = msg;
	uint64_t *ni = realloc(o->ids, (o->n + 1) * sizeof *ni);
	if (ni != NULL)
		o->ids = ni;
	char **nn = realloc(o->names, (o->n + 1) * sizeof *nn);
	if (nn != NULL)
		o->names = nn;
	char *norm = node_normalize(org->name);
	uint64_t id = org->id;
	if (ni == NULL || nn == NULL || norm == NULL) {
		free(norm);
		return PX_ENOMEM;
	}
	o->ids[o->n] = id;
	o->names[o->n] = norm;
	o->n++;
	return PX_OK;
}

px_err
member_orgs_load(px_node *n, px_txn *txn, member_orgs **out)
{
	member_orgs *o = calloc(1, sizeof *o);
	if (o == NULL)
		return PX_ENOMEM;
	px_err err = node_scan(txn, n->db.orgs, NULL, 0, &praxis__organization__descriptor,
	                       member_orgs_scan, o);
	if (err != PX_OK) {
		member_orgs_free(o);
		return err;
	}
	*out = o;
	return PX_OK;
}

void
member_orgs_free(member_orgs *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->n; i++)
		free(o->names[i]);
	free(o->names);
	free(o->ids);
	free(o);
}

static px_err
member_orgs_find(const member_orgs *o, const char *ref, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(ref, &end, 10);
	bool numeric = *ref != '\0' && *end == '\0';
	char *norm = numeric ? NULL : node_normalize(ref);
	size_t found = 0;
	for (size_t i = 0; i < o->n; i++) {
		if (numeric ? o->ids[i] == v : (norm != NULL && strcmp(o->names[i], norm) == 0)) {
			*out = o->ids[i];
			found++;
		}
	}
	free(norm);
	return found == 1 ? PX_OK : found == 0 ? PX_ENOTFOUND : PX_EEXISTS;
}

static px_err PX_PRINTF(3, 4)
member_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return PX_EINVAL;
}

static bool
member_blank(const char *s)
{
	for (; s != NULL && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return false;
	return true;
}

px_err
member_parse_status(const char *s, int *out, char *why, size_t whylen)
{
	int st = node_parse_status(s);
	if (st < 0)
		return member_why(why, whylen,
		                  PX_T("statut inconnu « %s » (candidate, active, suspendue, annulée, ancienne)",
		                       "unknown status '%s' (candidate, active, suspended, cancelled, alumni)"),
		                  s);
	if (st == PRAXIS__MEMBER_STATUS__MEMBER_ERASED)
		return member_why(why, whylen, "%s",
		                  PX_T("le statut « effacée » se donne avec « member remove »",
		                       "the 'erased' status is set by 'member remove'"));
	*out = st;
	return PX_OK;
}

px_err
member_set_status(Praxis__Member *m, Praxis__MemberStatus to, int32_t date, const char *reason)
{
	Praxis__StatusChange *sc = malloc(sizeof *sc);
	if (sc == NULL)
		return PX_ENOMEM;
	praxis__status_change__init(sc);
	sc->from = m->status;
	sc->to = to;
	sc->date = date;
	sc->reason = strdup(reason);
	Praxis__StatusChange **h = realloc(m->history, (m->n_history + 1) * sizeof *h);
	if (sc->reason == NULL || h == NULL) {
		protobuf_c_message_free_unpacked(&sc->base, NULL);
		if (h != NULL)
			m->history = h;
		return PX_ENOMEM;
	}
	m->history = h;
	m->history[m->n_history++] = sc;
	m->status = to;
	return PX_OK;
}

/* Assigns a string field, borrowed or copied. */
static px_err
member_set(char **field, const char *v, bool owned)
{
	if (owned)
		return node_msg_set_str(field, v);
	*field = (char *)v;
	return PX_OK;
}

px_err
member_fill(px_node *n, px_txn *txn, const member_fields *f, Praxis__Member *m, bool add, bool owned,
            member_orgs *orgs, char *why, size_t whylen)
{
	px_err err;
	if (add || f->family != NULL) {
		if (member_blank(f->family))
			return member_why(why, whylen, "%s", PX_T("nom de famille vide", "empty family name"));
		if ((err = member_set(&m->family_name, f->family, owned)) != PX_OK)
			return err;
	}
	if (add || f->first != NULL) {
		if (member_blank(f->first))
			return member_why(why, whylen, "%s", PX_T("prénom vide", "empty first name"));
		if ((err = member_set(&m->first_name, f->first, owned)) != PX_OK)
			return err;
	}
	if (f->birth != NULL && !member_blank(f->birth)) {
		int32_t d, mo;
		if (node_parse_birth(f->birth, &d, &mo) != PX_OK)
			return member_why(why, whylen,
			                  PX_T("date de naissance invalide « %s » (jour/mois, p. ex. 14/03)",
			                       "invalid birth date '%s' (day/month, e.g. 14/03)"),
			                  f->birth);
		m->birth_day = d;
		m->birth_month = mo;
	} else if (f->birth != NULL) {
		m->birth_day = m->birth_month = 0;
	}
	if (f->org != NULL && !member_blank(f->org)) {
		uint64_t oid;
		err = orgs != NULL ? member_orgs_find(orgs, f->org, &oid) : node_resolve_org(n, txn, f->org, &oid);
		if (err == PX_ENOTFOUND)
			return member_why(why, whylen, PX_T("organisme inconnu « %s »", "unknown organization '%s'"), f->org);
		if (err == PX_EEXISTS)
			return member_why(why, whylen,
			                  PX_T("plusieurs organismes s'appellent « %s » : donnez le numéro",
			                       "several organizations are named '%s': give the number"),
			                  f->org);
		if (err != PX_OK)
			return err;
		m->org_id = oid;
	} else if (add) {
		if ((err = node_self_org(n, txn, &m->org_id)) != PX_OK)
			return err;
	}
	if (f->job_title != NULL && (err = member_set(&m->job_title, f->job_title, owned)) != PX_OK)
		return err;
	if (f->discipline != NULL && (err = member_set(&m->discipline, f->discipline, owned)) != PX_OK)
		return err;
	if (f->email != NULL) {
		if (!member_blank(f->email) && !node_email_valid(f->email))
			return member_why(why, whylen, PX_T("adresse courriel invalide « %s »", "invalid e-mail address '%s'"),
			                  f->email);
		if ((err = member_set(&m->email, f->email, owned)) != PX_OK)
			return err;
	}
	if (f->role != NULL && !member_blank(f->role)) {
		int r = node_parse_role(f->role);
		if (r < 0)
			return member_why(why, whylen,
			                  PX_T("rôle inconnu « %s » (membre, modératrice, animatrice, coordonnatrice)",
			                       "unknown role '%s' (member, moderator, facilitator, coordinator)"),
			                  f->role);
		m->role = (Praxis__MemberRole)r;
	} else if (add) {
		m->role = PRAXIS__MEMBER_ROLE__ROLE_MEMBER;
	}
	if (add) {
		int st = PRAXIS__MEMBER_STATUS__MEMBER_CANDIDATE;
		if (f->status != NULL && !member_blank(f->status) &&
		    (err = member_parse_status(f->status, &st, why, whylen)) != PX_OK)
			return err;
		m->status = (Praxis__MemberStatus)st;
	}
	const char *dn[2] = {f->joined, f->left};
	for (int i = 0; i < 2; i++) {
		if (dn[i] == NULL)
			continue;
		int32_t d = 0;
		if (!member_blank(dn[i]) && px_date_parse(dn[i], &d) != PX_OK)
			return member_why(why, whylen,
			                  PX_T("date invalide « %s » (AAAA-MM-JJ ou JJ/MM/AAAA)",
			                       "invalid date '%s' (YYYY-MM-DD or DD/MM/YYYY)"),
			                  dn[i]);
		if (i == 0)
			m->joined = d;
		else
			m->left = d;
	}
	if (add && m->joined == 0)
		m->joined = px_date_today();
	if (m->left != 0 && m->left < m->joined)
		return member_why(why, whylen, "%s", PX_T("la date de départ précède l'adhésion", "the leaving date precedes joining"));
	const char *bn[2] = {f->consent, f->imposed};
	for (int i = 0; i < 2; i++) {
		if (bn[i] == NULL)
			continue;
		int b = node_parse_bool(bn[i]);
		if (b < 0)
			return member_why(why, whylen, PX_T("oui ou non attendu, pas « %s »", "yes or no expected, not '%s'"),
			                  bn[i]);
		if (i == 0)
			m->directory_consent = b;
		else
			m->participation_imposed = b;
	}
	return PX_OK;
}

/* ------------------------------------------------------------------ JSON */

static cJSON *
member_json(px_node *n, px_txn *txn, const Praxis__Member *m)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "id", (double)m->id);
	cJSON_AddNumberToObject(j, "community_id", (double)m->community_id);
	cJSON_AddStringToObject(j, "family_name", m->family_name);
	cJSON_AddStringToObject(j, "first_name", m->first_name);
	if (m->birth_day > 0) {
		char b[24];
		snprintf(b, sizeof b, "%02d/%02d", m->birth_day, m->birth_month);
		cJSON_AddStringToObject(j, "birth_day_month", b);
	} else {
		cJSON_AddNullToObject(j, "birth_day_month");
	}
	cJSON_AddNumberToObject(j, "org_id", (double)m->org_id);
	Praxis__Organization *o = NULL;
	if (txn != NULL && m->org_id != 0 && node_org_get(n, txn, m->org_id, &o) == PX_OK) {
		cJSON_AddStringToObject(j, "org", o->name);
		protobuf_c_message_free_unpacked(&o->base, NULL);
	}
	cJSON_AddStringToObject(j, "job_title", m->job_title);
	cJSON_AddStringToObject(j, "discipline", m->discipline);
	cJSON_AddStringToObject(j, "email", m->email);
	cJSON_AddStringToObject(j, "role", node_role_token((int)m->role));
	cJSON_AddStringToObject(j, "status", node_status_token((int)m->status));
	node_json_date(j, "joined", m->joined);
	node_json_date(j, "left", m->left);
	cJSON_AddBoolToObject(j, "directory_consent", m->directory_consent);
	cJSON_AddBoolToObject(j, "participation_imposed", m->participation_imposed);
	cJSON *h = cJSON_AddArrayToObject(j, "history");
	for (size_t i = 0; i < m->n_history; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "from", node_status_token((int)m->history[i]->from));
		cJSON_AddStringToObject(e, "to", node_status_token((int)m->history[i]->to));
		node_json_date(e, "date", m->history[i]->date);
		cJSON_AddStringToObject(e, "reason", m->history[i]->reason);
		cJSON_AddItemToArray(h, e);
	}
	return j;
}

static int
member_ref_fail(px_node *n, px_err err, const char *what, const char *ref)
{
	if (err == PX_EEXISTS)
		return node_fail(n, PX_EINVAL, PX_T("plusieurs %s s'appellent « %s » : donnez le numéro",
		                                    "several %s are named '%s': give the number"),
		                 what, ref);
	if (err == PX_ENOTFOUND)
		return node_fail(n, err, PX_T("%s inconnu·e « %s »", "unknown %s '%s'"), what, ref);
	return node_store_fail(n, err);
}

static member_fields
member_fields_from(const node_opt *o)
{
	member_fields f = {
		.family = node_opt_get(o, "family"),
		.first = node_opt_get(o, "first"),
		.birth = node_opt_get(o, "birth"),
		.org = node_opt_get(o, "org"),
		.job_title = node_opt_get(o, "job-title"),
		.discipline = node_opt_get(o, "discipline"),
		.email = node_opt_get(o, "email"),
		.role = node_opt_get(o, "role"),
		.status = node_opt_get(o, "status"),
		.joined = node_opt_get(o, "joined"),
		.consent = node_opt_get(o, "consent"),
		.left = node_opt_get(o, "left"),
		.imposed = node_opt_get(o, "imposed"),
	};
	return f;
}

/* Begins a transaction and loads the member a->pos[0] names into *m. On
 * failure *rc holds the exit code; either way the caller aborts *txn and
 * frees *m. */
static px_err
member_load(px_node *n, const node_args *a, bool write, px_txn **txn, Praxis__Member **m, int *rc)
{
	uint64_t id;
	px_err err;
	if ((err = node_txn_begin(n, write, txn, rc)) != PX_OK)
		return err;
	if ((err = node_resolve_member(n, *txn, a->pos[0], &id)) != PX_OK) {
		*rc = member_ref_fail(n, err, PX_T("membre", "member"), a->pos[0]);
		return err;
	}
	if ((err = node_member_get(n, *txn, id, m)) != PX_OK)
		*rc = node_store_fail(n, err);
	return err;
}

/* Runs the change-time checks of a member change; prints findings. */
static px_err
member_check(px_node *n, px_txn *txn, const Praxis__Member *m, bool add, int old_status)
{
	px_err err;
	if (add) {
		pxp_change ch = {.kind = PXP_CHANGE_MEMBER_ADD, .member_id = m->id, .new_status = (int)m->status};
		if ((err = node_check_change(n, txn, m->community_id, &ch)) != PX_OK)
			return err;
	}
	if ((int)m->status != old_status && (add ? m->status != PRAXIS__MEMBER_STATUS__MEMBER_CANDIDATE : true)) {
		pxp_change ch = {.kind = PXP_CHANGE_MEMBER_STATUS, .member_id = m->id, .new_status = (int)m->status};
		if ((err = node_check_change(n, txn, m->community_id, &ch)) != PX_OK)
			return err;
	}
	return PX_OK;
}

/* ------------------------------------------------------------------- add */

static int
member_add(px_node *n, const node_args *a)
{
	const node_opt *opts = a->opts;
	const char *cref = node_opt_get(opts, "community");
	if (cref == NULL)
		return node_fail(n, PX_EINVAL, "%s", PX_T("la communauté est obligatoire (--community)",
		                                          "the community is required (--community)"));
	if (node_opt_get(opts, "family") == NULL || node_opt_get(opts, "first") == NULL)
		return node_fail(n, PX_EINVAL, "%s", PX_T("le nom et le prénom sont obligatoires (--family, --first)",
		                                          "family and first names are required (--family, --first)"));
	px_txn *txn = NULL;
	px_err err = px_txn_begin(n->st, true, &txn);
	if (err != PX_OK)
		return node_store_fail(n, err);
	int rc;
	Praxis__Member m = PRAXIS__MEMBER__INIT;
	if ((err = node_resolve_community(n, txn, cref, &m.community_id)) != PX_OK) {
		rc = member_ref_fail(n, err, PX_T("communauté", "community"), cref);
		goto out;
	}
	member_fields f = member_fields_from(opts);
	char why[512] = "";
	if ((err = member_fill(n, txn, &f, &m, true, false, NULL, why, sizeof why)) != PX_OK) {
		rc = err == PX_EINVAL ? node_fail(n, err, "%s", why) : node_store_fail(n, err);
		goto out;
	}
	if ((err = node_next_id(txn, "members", &m.id)) != PX_OK)
		goto fail;
	Praxis__StatusChange sc = PRAXIS__STATUS_CHANGE__INIT;
	Praxis__StatusChange *hist[1] = {&sc};
	sc.from = PRAXIS__MEMBER_STATUS__MEMBER_STATUS_UNSPECIFIED;
	sc.to = m.status;
	sc.date = px_date_today();
	sc.reason = (char *)PX_T("ajout", "added");
	m.n_history = 1;
	m.history = hist;
	if ((err = node_member_put_new(n, txn, &m)) != PX_OK)
		goto fail;
	if ((err = member_check(n, txn, &m, true, 0)) != PX_OK) {
		rc = err == PX_EPRECOND ? NODE_EXIT_INVALID : node_store_fail(n, err);
		goto out;
	}
	if ((rc = node_txn_commit(n, &txn)) != NODE_EXIT_OK)
		goto out;
	if (n->json)
		node_json_print(member_json(n, NULL, &m));
	else
		printf(PX_T("Membre n° %llu ajouté·e : %s %s (%s)\n", "Member #%llu added: %s %s (%s)\n"),
		       (unsigned long long)m.id, m.first_name, m.family_name, node_status_name((int)m.status));
	rc = NODE_EXIT_OK;
	goto out;
fail:
	rc = node_store_fail(n, err);
out:
	px_txn_abort(txn);
	return rc;
}

/* ------------------------------------------------------------------ edit */

static int
member_edit(px_node *n, const node_args *a)
{
	const node_opt *opts = a->opts;
	if (node_opt_get(opts, "community") != NULL)
		return node_fail(n, PX_EINVAL, "%s", PX_T("un membre ne change pas de communauté : ajoutez-la à l'autre",
		                                          "a member does not move between communities: add her to the other"));
	px_txn *txn = NULL;
	px_err err;
	int rc;
	Praxis__Member *m = NULL;
	char why[512] = "";
	if (member_load(n, a, true, &txn, &m, &rc) != PX_OK)
		goto out;
	uint64_t id = m->id;
	if (m->status == PRAXIS__MEMBER_STATUS__MEMBER_ERASED) {
		rc = node_fail(n, PX_EINVAL, PX_T("le membre n° %llu a été effacé", "member #%llu was erased"),
		               (unsigned long long)id);
		goto out;
	}
	int old_status = (int)m->status;
	member_fields f = member_fields_from(opts);
	f.status = NULL; /* handled below, with its reason */
	if ((err = member_fill(n, txn, &f, m, false, true, NULL, why, sizeof why)) != PX_OK) {
		rc = err == PX_EINVAL ? node_fail(n, err, "%s", why) : node_store_fail(n, err);
		goto out;
	}
	const char *sv = node_opt_get(opts, "status");
	const char *reason = node_opt_get(opts, "reason");
	if (reason != NULL && sv == NULL) {
		rc = node_fail(n, PX_EINVAL, "%s", PX_T("--reason accompagne un changement de statut (--status)",
		                                        "--reason goes with a status change (--status)"));
		goto out;
	}
	if (sv != NULL) {
		int st;
		if ((err = member_parse_status(sv, &st, why, sizeof why)) != PX_OK) {
			rc = node_fail(n, err, "%s", why);
			goto out;
		}
		/* LAU-7: a cancellation or suspension keeps its reason. */
		if ((st == PRAXIS__MEMBER_STATUS__MEMBER_CANCELLED || st == PRAXIS__MEMBER_STATUS__MEMBER_SUSPENDED) &&
		    (reason == NULL || member_blank(reason))) {
			rc = node_fail(n, PX_EINVAL, "%s", PX_T("une annulation ou une suspension demande une raison (--reason)",
			                                        "a cancellation or suspension needs a reason (--reason)"));
			goto out;
		}
		if (st != old_status) {
			if ((err = member_set_status(m, (Praxis__MemberStatus)st, px_date_today(),
			                             reason != NULL ? reason : "")) != PX_OK)
				goto fail;
			if ((st == PRAXIS__MEMBER_STATUS__MEMBER_CANCELLED || st == PRAXIS__MEMBER_STATUS__MEMBER_ALUMNI) &&
			    m->left == 0)
				m->left = px_date_today();
		}
	}
	if ((err = node_member_put(n, txn, m)) != PX_OK)
		goto fail;
	if ((err = member_check(n, txn, m, false, old_status)) != PX_OK) {
		rc = err == PX_EPRECOND ? NODE_EXIT_INVALID : node_store_fail(n, err);
		goto out;
	}
	if ((rc = node_txn_commit(n, &txn)) != NODE_EXIT_OK)
		goto out;
	if (n->json)
		node_json_print(member_json(n, NULL, m));
	else
		printf(PX_T("Membre n° %llu modifié·e (%s).\n", "Member #%llu updated (%s).\n"), (unsigned long long)id,
		       node_status_name((int)m->status));
	rc = NODE_EXIT_OK;
	goto out;
fail:
	rc = node_store_fail(n, err);
out:
	px_txn_abort(txn);
	node_msg_free(m);
	return rc;
}

/* ------------------------------------------------------------ list/search */

struct member_list {
	px_node *n;
	px_txn *txn;
	node_listing out;
	int status;        /* -1: any */
	bool all;          /* include erased */
	uint64_t org, community; /* 0: any */
	uint64_t last_id;  /* search: dedupe the two name keys */
	uint64_t *seen;
	size_t n_seen, cap_seen;
};

static px_err
member_list_one(struct member_list *l, uint64_t id)
{
	for (size_t i = 0; i < l->n_seen; i++)
		if (l->seen[i] == id)
			return PX_OK;
	Praxis__Member *m = NULL;
	px_err err = node_member_get(l->n, l->txn, id, &m);
	if (err == PX_ENOTFOUND)
		return PX_OK;
	if (err != PX_OK)
		return err;
	bool keep = (l->all || m->status != PRAXIS__MEMBER_STATUS__MEMBER_ERASED) &&
	            (l->status < 0 || (int)m->status == l->status) && (l->org == 0 || m->org_id == l->org) &&
	            (l->community == 0 || m->community_id == l->community);
	if (keep) {
		if (l->seen != NULL || l->cap_seen > 0) {
			if (l->n_seen == l->cap_seen) {
				size_t nc = l->cap_seen * 2;
				uint64_t *ns = realloc(l->seen, nc * sizeof *ns);
				if (ns == NULL) {
					protobuf_c_message_free_unpacked(&m->base, NULL);
					return PX_ENOMEM;
				}
				l->seen = ns;
				l->cap_seen = nc;
			}
			l->seen[l->n_seen++] = id;
		}
		l->out.count++;
		if (l->out.arr != NULL) {
			cJSON_AddItemToArray(l->out.arr, member_json(l->n, l->txn, m));
		} else {
			Praxis__Organization *o = NULL;
			if (m->org_id == 0 || node_org_get(l->n, l->txn, m->org_id, &o) != PX_OK)
				o = NULL;
			char *sid = node_fmt("%llu", (unsigned long long)m->id);
			char *cid = node_fmt("%llu", (unsigned long long)m->community_id);
			char joined[11] = "";
			if (m->joined)
				px_date_format(m->joined, joined);
			const char *row[] = {sid, m->family_name, m->first_name, o != NULL ? o->name : "", cid,
			                     node_role_name((int)m->role), node_status_name((int)m->status), joined};
			node_table_row(l->out.t, row);
			free(sid);
			free(cid);
			node_msg_free(o);
		}
	}
	protobuf_c_message_free_unpacked(&m->base, NULL);
	return PX_OK;
}

static px_err
member_scan_members(void *arg, px_val key, px_val val)
{
	(void)val;
	return member_list_one(arg, px_rd64(key.data));
}

static px_err
member_scan_index(void *arg, px_val key, px_val val)
{
	(void)val;
	/* Index keys end with the member id. */
	if (key.size < 8)
		return PX_ECORRUPT;
	return member_list_one(arg, px_rd64((const uint8_t *)key.data + key.size - 8));
}

/* member list, and member search (one positional: the name prefix). */
static int
member_list(px_node *n, const node_args *a)
{
	const node_opt *opts = a->opts;
	bool search = strcmp(a->cmd->sub, "search") == 0;
	px_txn *txn = NULL;
	px_err err = px_txn_begin(n->st, false, &txn);
	if (err != PX_OK)
		return node_store_fail(n, err);
	const char *hdr[] = {"#", PX_T("Nom", "Family name"), PX_T("Prénom", "First name"), PX_T("Organisme", "Organization"),
	                     PX_T("Comm.", "Comm."), PX_T("Rôle", "Role"), PX_T("Statut", "Status"),
	                     PX_T("Adhésion", "Joined")};
	struct member_list l = {n, txn, {NULL, NULL, 0}, -1, node_opt_get(opts, "all") != NULL, 0, 0, 0, NULL, 0, 0};
	int rc = NODE_EXIT_OK;
	char *prefix = NULL;
	const char *v;
	if ((v = node_opt_get(opts, "community")) != NULL &&
	    (err = node_resolve_community(n, txn, v, &l.community)) != PX_OK) {
		rc = member_ref_fail(n, err, PX_T("communauté", "community"), v);
		goto out;
	}
	if ((v = node_opt_get(opts, "org")) != NULL && (err = node_resolve_org(n, txn, v, &l.org)) != PX_OK) {
		rc = member_ref_fail(n, err, PX_T("organisme", "organization"), v);
		goto out;
	}
	if ((v = node_opt_get(opts, "status")) != NULL) {
		if ((l.status = node_parse_status(v)) < 0) {
			rc = node_fail(n, PX_EINVAL, PX_T("statut inconnu « %s »", "unknown status '%s'"), v);
			goto out;
		}
		if (l.status == PRAXIS__MEMBER_STATUS__MEMBER_ERASED)
			l.all = true;
	}
	node_listing_begin(n, &l.out, 8, hdr);
	if (search) {
		prefix = node_normalize(a->pos[0]);
		if (prefix == NULL || prefix[0] == '\0') {
			rc = node_fail(n, PX_EINVAL, "%s", PX_T("début de nom vide", "empty name prefix"));
			goto out;
		}
		l.cap_seen = 16;
		l.seen = malloc(l.cap_seen * sizeof *l.seen);
		if (l.seen == NULL) {
			err = PX_ENOMEM;
			goto fail;
		}
		err = px_scan(txn, n->db.members_by_name, prefix, strlen(prefix), member_scan_index, &l);
	} else if (l.community != 0) {
		uint8_t k[8];
		err = px_scan(txn, n->db.members_by_community, k, node_key_id(k, l.community), member_scan_index, &l);
	} else if (l.org != 0) {
		uint8_t k[8];
		err = px_scan(txn, n->db.members_by_org, k, node_key_id(k, l.org), member_scan_index, &l);
	} else {
		err = px_scan(txn, n->db.members, NULL, 0, member_scan_members, &l);
	}
	if (err != PX_OK)
		goto fail;
	node_listing_end(&l.out, NULL);
	if (!n->json && search && l.out.count == 0)
		fprintf(stderr, "%s\n", PX_T("Aucun membre trouvé.", "No member found."));
	goto out;
fail:
	rc = node_store_fail(n, err);
out:
	px_txn_abort(txn);
	node_listing_fini(&l.out);
	free(l.seen);
	free(prefix);
	return rc;
}

/* ------------------------------------------------------------ show/export */

struct member_collect {
	px_node *n;
	px_txn *txn;
	uint64_t member;
	cJSON *arr;                                      /* the part being read */
	cJSON *(*row)(uint64_t member, const void *msg); /* member_collect_row's */
};

static px_err
member_collect_protocol(void *arg, px_val key, px_val val)
{
	struct member_collect *c = arg;
	(void)val;
	Praxis__Protocol *p = NULL;
	px_err err = node_protocol_get(c->n, c->txn, px_rd64((const uint8_t *)key.data + 8), &p);
	if (err == PX_ENOTFOUND)
		return PX_OK;
	if (err != PX_OK)
		return err;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "id", (double)p->id);
	cJSON_AddStringToObject(j, "family_name", p->family_name);
	cJSON_AddStringToObject(j, "first_name", p->first_name);
	if (p->birth_day > 0) {
		char b[24];
		snprintf(b, sizeof b, "%02d/%02d", p->birth_day, p->birth_month);
		cJSON_AddStringToObject(j, "birth_day_month", b);
	}
	cJSON_AddStringToObject(j, "org_name", p->org_name);
	cJSON_AddStringToObject(j, "director_name", p->director_name);
	cJSON_AddStringToObject(j, "clauses_version", p->clauses_version);
	cJSON *cl = cJSON_AddArrayToObject(j, "clauses");
	for (size_t i = 0; i < p->n_clauses; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "party", p->clauses[i]->party);
		cJSON_AddStringToObject(e, "text", p->clauses[i]->text);
		cJSON_AddItemToArray(cl, e);
	}
	cJSON *sg = cJSON_AddArrayToObject(j, "signatures");
	for (size_t i = 0; i < p->n_signatures; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "signer", p->signatures[i]->signer);
		cJSON_AddStringToObject(e, "signer_name", p->signatures[i]->signer_name);
		node_json_date(e, "date", p->signatures[i]->date);
		cJSON_AddItemToArray(sg, e);
	}
	static const char *const ps[] = {"unspecified", "draft", "signed", "cancelled"};
	cJSON_AddStringToObject(j, "status", (unsigned)p->status < 4 ? ps[p->status] : "?");
	cJSON_AddStringToObject(j, "cancel_reason", p->cancel_reason);
	node_json_date(j, "cancel_date", p->cancel_date);
	node_json_date(j, "created", p->created);
	cJSON_AddItemToArray(c->arr, j);
	protobuf_c_message_free_unpacked(&p->base, NULL);
	return PX_OK;
}

static px_err
member_collect_attendance(void *arg, px_val key, px_val val)
{
	struct member_collect *c = arg;
	if (key.size != 24 || px_rd64((const uint8_t *)key.data + 16) != c->member)
		return PX_OK;
	Praxis__Attendance *a = praxis__attendance__unpack(NULL, val.size, val.data);
	if (a == NULL)
		return PX_ECORRUPT;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "meeting_id", (double)a->meeting_id);
	Praxis__Meeting *m = NULL;
	if (node_meeting_get(c->n, c->txn, a->meeting_id, &m) == PX_OK) {
		node_json_date(j, "date", m->date);
		protobuf_c_message_free_unpacked(&m->base, NULL);
	}
	static const char *const rs[] = {"none", "confirmed", "absence_notified"};
	cJSON_AddStringToObject(j, "rsvp", (unsigned)a->rsvp < 3 ? rs[a->rsvp] : "?");
	cJSON_AddBoolToObject(j, "present", a->present);
	cJSON_AddNumberToObject(j, "hours", a->hours);
	cJSON_AddItemToArray(c->arr, j);
	protobuf_c_message_free_unpacked(&a->base, NULL);
	return PX_OK;
}

/* One row of the hours, surveys or approvals parts: NULL when msg is not
 * the member's (surveys and approvals are read by community). */
static cJSON *
member_hours_row(uint64_t member, const void *msg)
{
	const Praxis__HoursEntry *h = msg;
	(void)member; /* read by member */
	cJSON *j = cJSON_CreateObject();
	char mon[24];
	snprintf(mon, sizeof mon, "%04d-%02d", h->month / 100, h->month % 100);
	cJSON_AddStringToObject(j, "month", mon);
	cJSON_AddNumberToObject(j, "hours", h->hours);
	cJSON_AddStringToObject(j, "activity", h->activity);
	return j;
}

static cJSON *
member_survey_row(uint64_t member, const void *msg)
{
	const Praxis__SurveyResponse *s = msg;
	if (s->member_id != member)
		return NULL;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "period", s->period);
	cJSON *ans = cJSON_AddArrayToObject(j, "answers");
	for (size_t i = 0; i < s->n_answers; i++)
		cJSON_AddItemToArray(ans, cJSON_CreateNumber(s->answers[i]));
	return j;
}

static cJSON *
member_approval_row(uint64_t member, const void *msg)
{
	const Praxis__Approval *a = msg;
	if (a->member_id != member)
		return NULL;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "year", a->year);
	cJSON_AddNumberToObject(j, "extra_hours", a->extra_hours);
	cJSON_AddStringToObject(j, "manager", a->manager);
	node_json_date(j, "date", a->date);
	cJSON_AddStringToObject(j, "reason", a->reason);
	return j;
}

static px_err
member_collect_row(void *arg, px_val key, void *msg)
{
	struct member_collect *c = arg;
	(void)key;
	cJSON *j = c->row(c->member, msg);
	if (j != NULL)
		cJSON_AddItemToArray(c->arr, j);
	return PX_OK;
}

/* Everything stored about member m (right of access). */
static px_err
member_export_json(px_node *n, px_txn *txn, const Praxis__Member *m, cJSON **out)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "generated", "praxis-node member export");
	node_json_date(j, "date", px_date_today());
	cJSON_AddItemToObject(j, "member", member_json(n, txn, m));
	Praxis__Community *c = NULL;
	if (node_community_get(n, txn, m->community_id, &c) == PX_OK) {
		cJSON *cj = cJSON_AddObjectToObject(j, "community");
		cJSON_AddNumberToObject(cj, "id", (double)c->id);
		cJSON_AddStringToObject(cj, "name", c->name);
		cJSON_AddStringToObject(cj, "framework", c->framework);
		protobuf_c_message_free_unpacked(&c->base, NULL);
	}
	struct member_collect col = {n, txn, m->id, NULL, NULL};
	uint8_t k[8];
	px_err err;
	col.arr = cJSON_AddArrayToObject(j, "protocols");
	if ((err = px_scan(txn, n->db.protocols_by_member, k, node_key_id(k, m->id), member_collect_protocol, &col)) !=
	    PX_OK)
		goto fail;
	col.arr = cJSON_AddArrayToObject(j, "attendance");
	if ((err = px_scan(txn, n->db.attendance, k, node_key_id(k, m->community_id), member_collect_attendance,
	                   &col)) != PX_OK)
		goto fail;
	const struct {
		const char *name;
		px_db db;
		uint64_t key;
		const ProtobufCMessageDescriptor *desc;
		cJSON *(*row)(uint64_t member, const void *msg);
	} parts[] = {
	    {"hours", n->db.hours, m->id, &praxis__hours_entry__descriptor, member_hours_row},
	    {"surveys", n->db.surveys, m->community_id, &praxis__survey_response__descriptor, member_survey_row},
	    {"approvals", n->db.approvals, m->community_id, &praxis__approval__descriptor, member_approval_row},
	};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		col.arr = cJSON_AddArrayToObject(j, parts[i].name);
		col.row = parts[i].row;
		if ((err = node_scan(txn, parts[i].db, k, node_key_id(k, parts[i].key), parts[i].desc, member_collect_row,
		                     &col)) != PX_OK)
			goto fail;
	}
	char sk[40];
	snprintf(sk, sizeof sk, "member/%llu", (unsigned long long)m->id);
	px_val v;
	cJSON_AddBoolToObject(j, "has_signer_key", px_get(txn, n->db.signer_keys, sk, strlen(sk), &v) == PX_OK);
	*out = j;
	return PX_OK;
fail:
	cJSON_Delete(j);
	return err;
}

/* member show, and member export (everything, as JSON). */
static int
member_show(px_node *n, const node_args *a)
{
	bool export = strcmp(a->cmd->sub, "export") == 0;
	px_txn *txn = NULL;
	px_err err;
	int rc = NODE_EXIT_OK;
	Praxis__Member *m = NULL;
	if (member_load(n, a, false, &txn, &m, &rc) != PX_OK)
		goto out;
	if (export) {
		cJSON *j = NULL;
		if ((err = member_export_json(n, txn, m, &j)) != PX_OK) {
			rc = node_store_fail(n, err);
			goto out;
		}
		char *s = cJSON_Print(j);
		if (s != NULL)
			printf("%s\n", s);
		free(s);
		cJSON_Delete(j);
		goto out;
	}
	if (n->json) {
		node_json_print(member_json(n, txn, m));
		goto out;
	}
	Praxis__Organization *o = NULL;
	if (m->org_id == 0 || node_org_get(n, txn, m->org_id, &o) != PX_OK)
		o = NULL;
	Praxis__Community *c = NULL;
	if (node_community_get(n, txn, m->community_id, &c) != PX_OK)
		c = NULL;
	char d1[11] = "-", d2[11] = "-", b[24] = "-";
	if (m->joined)
		px_date_format(m->joined, d1);
	if (m->left)
		px_date_format(m->left, d2);
	if (m->birth_day)
		snprintf(b, sizeof b, "%02d/%02d", m->birth_day, m->birth_month);
	printf(PX_T("Membre n° %llu\n", "Member #%llu\n"), (unsigned long long)m->id);
	printf("  %s %s\n", node_pad(PX_T("Nom", "Family name"), 24), m->family_name);
	printf("  %s %s\n", node_pad(PX_T("Prénom", "First name"), 24), m->first_name);
	printf("  %s %s\n", node_pad(PX_T("Naissance (jour/mois)", "Birth (day/month)"), 24), b);
	printf("  %s %s\n", node_pad(PX_T("Communauté", "Community"), 24), c != NULL ? c->name : "?");
	printf("  %s %s\n", node_pad(PX_T("Organisme", "Organization"), 24), o != NULL ? o->name : "");
	printf("  %s %s\n", node_pad(PX_T("Titre d'emploi", "Job title"), 24), m->job_title);
	printf("  %s %s\n", node_pad(PX_T("Discipline", "Discipline"), 24), m->discipline);
	printf("  %s %s\n", node_pad(PX_T("Courriel", "E-mail"), 24), m->email);
	printf("  %s %s\n", node_pad(PX_T("Rôle", "Role"), 24), node_role_name((int)m->role));
	printf("  %s %s\n", node_pad(PX_T("Statut", "Status"), 24), node_status_name((int)m->status));
	printf("  %s %s\n", node_pad(PX_T("Adhésion", "Joined"), 24), d1);
	printf("  %s %s\n", node_pad(PX_T("Départ", "Left"), 24), d2);
	printf("  %s %s\n", node_pad(PX_T("Annuaire partagé", "Shared directory"), 24),
	       m->directory_consent ? PX_T("oui (consentement)", "yes (consent)") : PX_T("non", "no"));
	printf("%s\n", PX_T("Historique :", "History:"));
	for (size_t i = 0; i < m->n_history; i++) {
		char d[11] = "";
		if (m->history[i]->date)
			px_date_format(m->history[i]->date, d);
		printf("  %s  %s → %s%s%s\n", d, node_status_name((int)m->history[i]->from),
		       node_status_name((int)m->history[i]->to), m->history[i]->reason[0] ? " : " : "",
		       m->history[i]->reason);
	}
	node_msg_free(o);
	node_msg_free(c);
out:
	px_txn_abort(txn);
	node_msg_free(m);
	return rc;
}

/* ---------------------------------------------------------------- remove */

struct member_ids {
	uint64_t *v;
	size_t n;
};

static px_err
member_collect_ids(void *arg, px_val key, px_val val)
{
	struct member_ids *ids = arg;
	(void)val;
	uint64_t *nv = realloc(ids->v, (ids->n + 1) * sizeof *nv);
	if (nv == NULL)
		return PX_ENOMEM;
	ids->v = nv;
	ids->v[ids->n++] = px_rd64((const uint8_t *)key.data + key.size - 8);
	return PX_OK;
}

struct member_hours_keys {
	uint8_t (*k)[12];
	size_t n;
};

static px_err
member_collect_hour_keys(void *arg, px_val key, px_val val)
{
	struct member_hours_keys *h = arg;
	(void)val;
	if (key.size != 12)
		return PX_ECORRUPT;
	uint8_t (*nk)[12] = realloc(h->k, (h->n + 1) * sizeof *nk);
	if (nk == NULL)
		return PX_ENOMEM;
	h->k = nk;
	memcpy(h->k[h->n++], key.data, 12);
	return PX_OK;
}

struct member_approvals {
	uint64_t member;
	Praxis__Approval **v;
	size_t n;
};

static px_err
member_collect_approvals(void *arg, px_val key, px_val val)
{
	struct member_approvals *ap = arg;
	(void)key;
	Praxis__Approval *a = praxis__approval__unpack(NULL, val.size, val.data);
	if (a == NULL)
		return PX_ECORRUPT;
	if (a->member_id != ap->member || a->reason == NULL || a->reason[0] == '\0') {
		protobuf_c_message_free_unpacked(&a->base, NULL);
		return PX_OK;
	}
	Praxis__Approval **nv = realloc(ap->v, (ap->n + 1) * sizeof *nv);
	if (nv == NULL) {
		protobuf_c_message_free_unpacked(&a->base, NULL);
		return PX_ENOMEM;
	}
	ap->v = nv;
	ap->v[ap->n++] = a;
	return PX_OK;
}

static void
member_approvals_free(struct member_approvals *ap)
{
	for (size_t i = 0; i < ap->n; i++)
		protobuf_c_message_free_unpacked(&ap->v[i]->base, NULL);
	free(ap->v);
}

/* Protocol pid made anonymous (see Protocol.erased in domain.proto). */
static px_err
member_protocol_erase(px_node *n, px_txn *txn, uint64_t pid)
{
	Praxis__Protocol *p = NULL;
	px_err err = node_protocol_get(n, txn, pid, &p);
	if (err != PX_OK)
		return err == PX_ENOTFOUND ? PX_OK : err;
	if (!p->erased) {
		bool ok[2] = {false, false};
		(void)node_protocol_verify(p, &ok[0], &ok[1]); /* the booleans say it */
		Praxis__Protocol t = *p;
		t.family_name = t.first_name = t.cancel_reason = (char *)"";
		t.birth_day = t.birth_month = 0;
		t.erased = true;
		/* Copies: p's own fields are freed with it. */
		Praxis__Signature *sig = calloc(t.n_signatures + 1, sizeof *sig);
		Praxis__Signature **sp = calloc(t.n_signatures + 1, sizeof *sp);
		if (sig == NULL || sp == NULL)
			err = PX_ENOMEM;
		for (size_t i = 0; err == PX_OK && i < t.n_signatures; i++) {
			sig[i] = *p->signatures[i];
			sig[i].valid_at_erasure = ok[strcmp(sig[i].signer, NODE_SIGNER_MEMBER) == 0 ? 0 : 1];
			sig[i].signer_name = (char *)"";
			sig[i].public_key.len = sig[i].signature.len = 0;
			sp[i] = &sig[i];
		}
		t.signatures = sp;
		if (err == PX_OK)
			err = node_protocol_put(n, txn, &t);
		free(sig);
		free(sp);
	}
	protobuf_c_message_free_unpacked(&p->base, NULL);
	return err;
}

static int
member_remove(px_node *n, const node_args *a)
{
	px_txn *txn = NULL;
	px_err err;
	int rc = NODE_EXIT_OK;
	Praxis__Member *m = NULL;
	struct member_ids pids = {NULL, 0};
	struct member_hours_keys hk = {NULL, 0};
	Praxis__StatusChange *hist = NULL, **hptr = NULL;
	if (member_load(n, a, true, &txn, &m, &rc) != PX_OK)
		goto out;
	uint64_t id = m->id;
	if (m->status == PRAXIS__MEMBER_STATUS__MEMBER_ERASED) {
		rc = node_fail(n, PX_EINVAL, PX_T("le membre n° %llu est déjà effacé", "member #%llu is already erased"),
		               (unsigned long long)id);
		goto out;
	}
	/* The tombstone: what anonymous counts need, nothing that names her. */
	Praxis__Member t = PRAXIS__MEMBER__INIT;
	t.id = m->id;
	t.community_id = m->community_id;
	t.org_id = m->org_id;
	t.role = m->role;
	t.status = PRAXIS__MEMBER_STATUS__MEMBER_ERASED;
	t.joined = m->joined;
	t.left = m->left != 0 ? m->left : px_date_today();
	t.participation_imposed = m->participation_imposed;
	hist = calloc(m->n_history + 1, sizeof *hist);
	hptr = calloc(m->n_history + 1, sizeof *hptr);
	if (hist == NULL || hptr == NULL) {
		err = PX_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i <= m->n_history; i++) {
		praxis__status_change__init(&hist[i]);
		hptr[i] = &hist[i];
		if (i < m->n_history) {
			/* Dates and statuses stay for counts; reasons are free text. */
			hist[i].from = m->history[i]->from;
			hist[i].to = m->history[i]->to;
			hist[i].date = m->history[i]->date;
		} else {
			hist[i].from = m->status;
			hist[i].to = PRAXIS__MEMBER_STATUS__MEMBER_ERASED;
			hist[i].date = px_date_today();
		}
	}
	t.n_history = m->n_history + 1;
	t.history = hptr;
	if ((err = node_member_put(n, txn, &t)) != PX_OK)
		goto fail;
	/* Protocols carry her names and birth day: each becomes a tombstone
	 * that keeps what counts need (dates, status, each signature's
	 * verdict now), so past counts of signed protocols stay right. */
	uint8_t k[16];
	if ((err = px_scan(txn, n->db.protocols_by_member, k, node_key_id(k, id), member_collect_ids, &pids)) != PX_OK)
		goto fail;
	for (size_t i = 0; i < pids.n; i++)
		if ((err = member_protocol_erase(n, txn, pids.v[i])) != PX_OK)
			goto fail;
	char sk[40];
	snprintf(sk, sizeof sk, "member/%llu", (unsigned long long)id);
	if ((err = px_del(txn, n->db.signer_keys, sk, strlen(sk))) != PX_OK && err != PX_ENOTFOUND)
		goto fail;
	/* Hours stay (anonymous counts), their free-text activity goes. */
	if ((err = px_scan(txn, n->db.hours, k, node_key_id(k, id), member_collect_hour_keys, &hk)) != PX_OK)
		goto fail;
	for (size_t i = 0; i < hk.n; i++) {
		Praxis__HoursEntry *h = NULL;
		if ((err = px_get_msg(txn, n->db.hours, hk.k[i], 12, &praxis__hours_entry__descriptor,
		                      (ProtobufCMessage **)&h)) != PX_OK)
			goto fail;
		Praxis__HoursEntry hh = *h;
		hh.activity = (char *)"";
		err = node_hours_put(n, txn, &hh);
		protobuf_c_message_free_unpacked(&h->base, NULL);
		if (err != PX_OK)
			goto fail;
	}
	/* Approvals about her stay (hours caps), their free-text reason goes. */
	struct member_approvals ap = {id, NULL, 0};
	if ((err = px_scan(txn, n->db.approvals, k, node_key_id(k, m->community_id), member_collect_approvals, &ap)) !=
	    PX_OK) {
		member_approvals_free(&ap);
		goto fail;
	}
	for (size_t i = 0; i < ap.n; i++) {
		Praxis__Approval cleared = *ap.v[i];
		cleared.reason = (char *)"";
		if ((err = node_approval_put(n, txn, &cleared)) != PX_OK)
			break;
	}
	member_approvals_free(&ap);
	if (err != PX_OK)
		goto fail;
	/* Count erasures per community and year, for reports that want them. */
	uint8_t ek[12];
	uint8_t cnt[4] = {0, 0, 0, 0};
	px_val ev;
	node_key_id_u32(ek, m->community_id, (uint32_t)(px_date_today() / 10000));
	err = px_get(txn, n->db.erased_counts, ek, 12, &ev);
	if (err == PX_OK && ev.size == 4)
		memcpy(cnt, ev.data, 4);
	else if (err != PX_OK && err != PX_ENOTFOUND)
		goto fail;
	node_be32(cnt, node_rd32(cnt) + 1);
	if ((err = px_put(txn, n->db.erased_counts, ek, 12, cnt, 4)) != PX_OK)
		goto fail;
	/* Freed pages still hold the old bytes until the file is compacted:
	 * owed from this commit on, until a compaction clears it. */
	if ((err = node_cfg_put(n, txn, NODE_CFG_COMPACT_PENDING, "1")) != PX_OK)
		goto fail;
	if ((rc = node_txn_commit(n, &txn)) != NODE_EXIT_OK)
		goto out;
	bool compacted = true;
	if ((err = node_compact(n, true)) == PX_EPRECOND) {
		/* Another process (praxis-node serve) has the store open. */
		compacted = false;
		node_warn(n, "%s",
		          PX_T("le fichier de la base sera compacté (octets effacés retirés) dès qu'aucun autre "
		               "processus ne l'utilise : praxis-node serve le fait à son prochain passage, ou "
		               "lancez « praxis-node compact »",
		               "the store file will be compacted (erased bytes removed) as soon as no other "
		               "process uses it: praxis-node serve does it on its next round, or run "
		               "`praxis-node compact`"));
	} else if (err != PX_OK) {
		rc = node_fail(n, err, PX_T("données effacées, mais le compactage de la base a échoué : %s",
		                            "data erased, but compacting the store failed: %s"),
		               px_strerror_user(err));
		goto out;
	}
	if (n->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddBoolToObject(j, "ok", true);
		cJSON_AddNumberToObject(j, "id", (double)id);
		cJSON_AddStringToObject(j, "status", "erased");
		cJSON_AddNumberToObject(j, "protocols_anonymized", (double)pids.n);
		cJSON_AddBoolToObject(j, "compacted", compacted);
		node_json_print(j);
	} else {
		printf(PX_T("Données personnelles du membre n° %llu effacées (%zu protocole(s) rendu(s) anonyme(s)) ; "
		            "les comptes anonymes sont conservés.\n",
		            "Personal data of member #%llu erased (%zu protocol(s) made anonymous); anonymous counts "
		            "kept.\n"),
		       (unsigned long long)id, pids.n);
	}
	goto out;
fail:
	rc = node_store_fail(n, err);
out:
	px_txn_abort(txn);
	node_msg_free(m);
	free(pids.v);
	free(hk.k);
	free(hist);
	free(hptr);
	return rc;
}
