/*
 * cmd_meeting.c - meetings and what members do around them:
 *   meeting add|list|show, rsvp, attend, hours log|list, survey record|list,
 *   approval add|list.
 * Every write runs the community's plugin (node_check_change) in the same
 * transaction before committing: errors (CIS-3 without approval) refuse the
 * change, warnings (LAU-3, ROC-3) are printed.
 */
#define _GNU_SOURCE
#include "node.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int meet_add(px_node *n, const node_args *a);
static int meet_list(px_node *n, const node_args *a);
static int meet_show(px_node *n, const node_args *a);
static int hours_log(px_node *n, const node_args *a);
static int hours_list(px_node *n, const node_args *a);
static int survey_record(px_node *n, const node_args *a);
static int survey_list(px_node *n, const node_args *a);
static int approval_add(px_node *n, const node_args *a);
static int approval_list(px_node *n, const node_args *a);
static int cmd_rsvp(px_node *n, const node_args *a);
static int cmd_attend(px_node *n, const node_args *a);
static const node_cmd meet_cmds[] = {
	{"meeting", "add", .run = meet_add,
	 .usage = "meeting add --community C --date DATE [--time HH:MM] [--duration H] "
	          "[--kind welcome|regular|review|training|codev] [--modality virtual|in-person] [--platform NOM] "
	          "[--venue ORG] [--theme THÈME] [--speaker NOM]... [--members-theme] [--held]",
	 .help_fr = "Planifie une rencontre (durée 3 h et rencontre régulière virtuelle par défaut).",
	 .help_en = "Schedule a meeting (3 h, regular, virtual by default).",
	 .opts = (const node_opt[]){NODE_OPT("community", true), NODE_OPT_REQ("date"), NODE_OPT("time", true),
	                            NODE_OPT("duration", true), NODE_OPT("kind", true), NODE_OPT("modality", true),
	                            NODE_OPT("platform", true), NODE_OPT("venue", true), NODE_OPT("theme", true),
	                            NODE_OPT_MULTI("speaker"), NODE_OPT("members-theme", false),
	                            NODE_OPT("held", false), NODE_OPT_END},
	 .usage_fr = "usage : meeting add --community C --date DATE [options]",
	 .usage_en = "usage: meeting add --community C --date DATE [options]"},
	{"meeting", "list", .run = meet_list, .usage = "meeting list --community C [--from DATE] [--to DATE] [--json]",
	 .help_fr = "Liste les rencontres d'une communauté, avec présences et réponses.",
	 .help_en = "List a community's meetings, with attendance and RSVPs.",
	 .opts = (const node_opt[]){NODE_OPT("community", true), NODE_OPT("from", true), NODE_OPT("to", true),
	                            NODE_OPT_END},
	 .max_pos = 1, /* the community, when --community is not given */
	 .usage_fr = "usage : meeting list --community C", .usage_en = "usage: meeting list --community C"},
	{"meeting", "show", .run = meet_show, .usage = "meeting show RENCONTRE [--json]",
	 .help_fr = "Affiche une rencontre, les réponses et présences, et les membres sans réponse (LAU-5).",
	 .help_en = "Show a meeting, its RSVPs and attendance, and the members without an answer (LAU-5).",
	 .min_pos = 1, .max_pos = 1,
	 .usage_fr = "usage : meeting show RENCONTRE", .usage_en = "usage: meeting show MEETING"},
	{"rsvp", NULL, .run = cmd_rsvp, .usage = "rsvp RENCONTRE MEMBRE confirmed|absent|none",
	 .help_fr = "Enregistre la réponse d'un membre : présence confirmée, absence avisée ou pas de réponse (LAU-5).",
	 .help_en = "Record a member's answer: presence confirmed, absence notified or no answer (LAU-5).",
	 .min_pos = 3, .max_pos = 3,
	 .usage_fr = "usage : rsvp RENCONTRE MEMBRE confirmed|absent|none",
	 .usage_en = "usage: rsvp MEETING MEMBER confirmed|absent|none"},
	{"attend", NULL, .run = cmd_attend, .usage = "attend RENCONTRE MEMBRE [--absent] [--hours H]",
	 .help_fr = "Enregistre la présence (heures = durée de la rencontre par défaut) ; la rencontre est tenue.",
	 .help_en = "Record attendance (hours = the meeting's duration by default); the meeting is held.",
	 .opts = (const node_opt[]){NODE_OPT("absent", false), NODE_OPT("hours", true), NODE_OPT_END},
	 .min_pos = 2, .max_pos = 2,
	 .usage_fr = "usage : attend RENCONTRE MEMBRE [--absent] [--hours H]",
	 .usage_en = "usage: attend MEETING MEMBER [--absent] [--hours H]"},
	{"hours", "log", .run = hours_log, .usage = "hours log MEMBRE --month AAAA-MM --hours H [--activity TEXTE] [--set]",
	 .help_fr = "Ajoute des heures d'implication hors rencontres au mois (--set remplace le total du mois).",
	 .help_en = "Add involvement hours outside meetings to a month (--set replaces the month's total).",
	 .opts = (const node_opt[]){NODE_OPT_REQ("month"), NODE_OPT_REQ("hours"), NODE_OPT("activity", true),
	                            NODE_OPT("set", false), NODE_OPT_END},
	 .min_pos = 1, .max_pos = 1,
	 .usage_fr = "usage : hours log MEMBRE --month AAAA-MM --hours H [--activity TEXTE] [--set]",
	 .usage_en = "usage: hours log MEMBER --month YYYY-MM --hours H [--activity TEXT] [--set]"},
	{"hours", "list", .run = hours_list, .usage = "hours list MEMBRE [--year AAAA] [--json]",
	 .help_fr = "Heures d'un membre par mois : rencontres et hors rencontres.",
	 .help_en = "A member's hours by month: meetings and outside meetings.",
	 .opts = (const node_opt[]){NODE_OPT("year", true), NODE_OPT_END},
	 .min_pos = 1, .max_pos = 1,
	 .usage_fr = "usage : hours list MEMBRE [--year AAAA]", .usage_en = "usage: hours list MEMBER [--year YYYY]"},
	{"survey", "record", .run = survey_record, .usage = "survey record MEMBRE --period AAAA|AAAA-MM --answers 1,2,3...",
	 .help_fr = "Enregistre les réponses (1 à 5) d'un membre au sondage de satisfaction d'une période.",
	 .help_en = "Record a member's answers (1 to 5) to a period's satisfaction survey.",
	 .opts = (const node_opt[]){NODE_OPT_REQ("period"), NODE_OPT_REQ("answers"), NODE_OPT_END},
	 .min_pos = 1, .max_pos = 1,
	 .usage_fr = "usage : survey record MEMBRE --period AAAA|AAAA-MM --answers 1,2,3...",
	 .usage_en = "usage: survey record MEMBER --period YYYY|YYYY-MM --answers 1,2,3..."},
	{"survey", "list", .run = survey_list, .usage = "survey list --community C [--period P] [--json]",
	 .help_fr = "Liste les sondages d'une communauté.", .help_en = "List a community's surveys.",
	 .opts = (const node_opt[]){NODE_OPT("community", true), NODE_OPT("period", true), NODE_OPT_END},
	 .usage_fr = "usage : survey list --community C [--period P]",
	 .usage_en = "usage: survey list --community C [--period P]"},
	{"approval", "add", .run = approval_add,
	 .usage = "approval add --community C [--member M] --year AAAA --hours H --manager NOM [--date DATE] [--reason TEXTE]",
	 .help_fr = "Enregistre l'approbation d'un gestionnaire pour dépasser un plafond d'heures (CIS-3).",
	 .help_en = "Record a manager's approval to exceed an hours cap (CIS-3).",
	 .opts = (const node_opt[]){NODE_OPT("community", true), NODE_OPT("member", true), NODE_OPT_REQ("year"),
	                            NODE_OPT_REQ("hours"), NODE_OPT_REQ("manager"), NODE_OPT("date", true),
	                            NODE_OPT("reason", true), NODE_OPT_END},
	 .usage_fr = "usage : approval add --community C [--member M] --year AAAA --hours H --manager NOM",
	 .usage_en = "usage: approval add --community C [--member M] --year YYYY --hours H --manager NAME"},
	{"approval", "list", .run = approval_list, .usage = "approval list --community C [--year AAAA] [--json]",
	 .help_fr = "Liste les approbations d'une communauté.", .help_en = "List a community's approvals.",
	 .opts = (const node_opt[]){NODE_OPT("community", true), NODE_OPT("year", true), NODE_OPT_END},
	 .usage_fr = "usage : approval list --community C [--year AAAA]",
	 .usage_en = "usage: approval list --community C [--year YYYY]"},
	{0},
};
NODE_COMMANDS(meet_cmds)

/* ---------------------------------------------------------------- helpers */

static int
meet_kind_parse(const char *s)
{
	static const struct {
		const char *w;
		int v;
	} k[] = {{"welcome", 1}, {"accueil", 1}, {"regular", 2}, {"reguliere", 2}, {"régulière", 2},
	         {"review", 3},  {"bilan", 3},   {"training", 4}, {"formation", 4}, {"codev", 5},
	         {"co-developpement", 5}, {"co-développement", 5}, {"case", 5}};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
		if (strcmp(s, k[i].w) == 0)
			return k[i].v;
	return -1;
}

static const char *
meet_kind_name(int v)
{
	switch (v) {
	case 1: return PX_T("accueil", "welcome");
	case 2: return PX_T("régulière", "regular");
	case 3: return PX_T("bilan", "review");
	case 4: return PX_T("formation", "training");
	case 5: return PX_T("co-développement", "case discussion");
	default: return "?";
	}
}

static const char *
meet_kind_token(int v)
{
	static const char *t[] = {"unspecified", "welcome", "regular", "review", "training", "codev"};
	return v >= 0 && v <= 5 ? t[v] : "unspecified";
}

static int
meet_modality_parse(const char *s)
{
	if (!strcmp(s, "virtual") || !strcmp(s, "virtuel") || !strcmp(s, "virtuelle") || !strcmp(s, "online"))
		return 1;
	if (!strcmp(s, "in-person") || !strcmp(s, "presentiel") || !strcmp(s, "présentiel") ||
	    !strcmp(s, "sur-place"))
		return 2;
	return -1;
}

static const char *
meet_modality_name(int v)
{
	return v == 1 ? PX_T("virtuelle", "virtual") : v == 2 ? PX_T("en présence", "in person") : "?";
}

static const char *
meet_modality_token(int v)
{
	return v == 1 ? "virtual" : v == 2 ? "in_person" : "unspecified";
}

static const char *
meet_rsvp_name(int v)
{
	return v == 1 ? PX_T("présence confirmée", "confirmed")
	              : v == 2 ? PX_T("absence avisée", "absence notified") : PX_T("sans réponse", "no answer");
}

static const char *
meet_presence_name(bool present)
{
	return present ? PX_T("présente", "present") : PX_T("absente", "absent");
}

static const char *
meet_rsvp_token(int v)
{
	return v == 1 ? "confirmed" : v == 2 ? "absent" : "none";
}

/* "18:30", "18h30", "18h", "1830" -> hhmm. */
static bool
meet_parse_time(const char *s, int32_t *out)
{
	int h = -1, m = 0;
	char sep = 0, extra = 0;
	int got = sscanf(s, "%d%c%d%c", &h, &sep, &m, &extra);
	if (got == 1 && strlen(s) == 4) {
		m = h % 100;
		h = h / 100;
	} else if (got == 2 && (sep == 'h' || sep == 'H')) {
		m = 0;
	} else if (!(got == 3 && (sep == ':' || sep == 'h' || sep == 'H'))) {
		return false;
	}
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return false;
	*out = h * 100 + m;
	return true;
}

static int
meet_bad_date(px_node *n, const char *s)
{
	return node_fail(n, PX_EINVAL,
	                 PX_T("date invalide « %s » (AAAA-MM-JJ ou JJ-MM-AAAA)", "invalid date '%s' (YYYY-MM-DD or DD-MM-YYYY)"),
	                 s);
}

static px_err
meet_resolve_community(px_node *n, px_txn *txn, const char *ref, uint64_t *out, int *rc)
{
	if (ref == NULL || *ref == '\0') {
		*rc = node_usage(n, "%s", PX_T("--community COMMUNAUTÉ est requis", "--community COMMUNITY is required"));
		return PX_EINVAL;
	}
	if (node_resolve_community(n, txn, ref, out) != PX_OK) {
		*rc = node_fail(n, PX_ENOTFOUND, PX_T("communauté « %s » introuvable", "community '%s' not found"), ref);
		return PX_ENOTFOUND;
	}
	return PX_OK;
}

/* A year from 1900 to 2200. */
static px_err
meet_parse_year(px_node *n, const char *s, int32_t *out, int *rc)
{
	char *end;
	long y = strtol(s, &end, 10);
	if (*end != '\0' || y < 1900 || y > 2200) {
		*rc = node_fail(n, PX_EINVAL, PX_T("année invalide « %s »", "invalid year '%s'"), s);
		return PX_EINVAL;
	}
	*out = (int32_t)y;
	return PX_OK;
}

/* A member who can take part (not erased). *m freed by the caller. */
static px_err
meet_load_member(px_node *n, px_txn *txn, const char *ref, Praxis__Member **m, int *rc)
{
	uint64_t id;
	if (!node_parse_id(ref, &id) || node_member_get(n, txn, id, m) != PX_OK) {
		*rc = node_fail(n, PX_ENOTFOUND, PX_T("membre « %s » introuvable", "member '%s' not found"), ref);
		return PX_ENOTFOUND;
	}
	if ((*m)->status == PRAXIS__MEMBER_STATUS__MEMBER_ERASED) {
		*rc = node_fail(n, PX_ENOTFOUND, PX_T("le membre %s a été effacé", "member %s was erased"), ref);
		return PX_ENOTFOUND;
	}
	return PX_OK;
}

static px_err
meet_load_meeting(px_node *n, px_txn *txn, const char *ref, Praxis__Meeting **m, int *rc)
{
	uint64_t id;
	if (!node_parse_id(ref, &id) || node_meeting_get(n, txn, id, m) != PX_OK) {
		*rc = node_fail(n, PX_ENOTFOUND, PX_T("rencontre « %s » introuvable", "meeting '%s' not found"), ref);
		return PX_ENOTFOUND;
	}
	return PX_OK;
}

static void
meet_print_ok(px_node *n, const char *what, uint64_t id)
{
	if (n->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddBoolToObject(j, "ok", true);
		if (id != 0)
			cJSON_AddNumberToObject(j, "id", (double)id);
		node_json_print(j);
	} else {
		printf("%s\n", what);
	}
}

/* ------------------------------------------------------------ meeting add */

static int
meet_add(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	px_err err;
	Praxis__Meeting m = PRAXIS__MEETING__INIT;
	const char *s;
	if (px_date_parse(node_opt_get(a->opts, "date"), &m.date) != PX_OK) {
		rc = meet_bad_date(n, node_opt_get(a->opts, "date"));
		goto out;
	}
	if ((s = node_opt_get(a->opts, "time")) != NULL && !meet_parse_time(s, &m.start_time)) {
		rc = node_fail(n, PX_EINVAL, PX_T("heure invalide « %s » (HH:MM)", "invalid time '%s' (HH:MM)"), s);
		goto out;
	}
	m.duration_hours = 3;
	if ((s = node_opt_get(a->opts, "duration")) != NULL &&
	    (node_parse_hours(s, &m.duration_hours) != PX_OK || m.duration_hours <= 0 || m.duration_hours > 24)) {
		rc = node_fail(n, PX_EINVAL, PX_T("durée invalide « %s » (heures, plus de 0 et au plus 24)",
		                                  "invalid duration '%s' (hours, above 0 and at most 24)"),
		               s);
		goto out;
	}
	m.kind = PRAXIS__MEETING_KIND__MEETING_REGULAR;
	if ((s = node_opt_get(a->opts, "kind")) != NULL) {
		int k = meet_kind_parse(s);
		if (k < 0) {
			rc = node_fail(n, PX_EINVAL,
			               PX_T("type de rencontre inconnu « %s » (accueil, reguliere, bilan, formation, codev)",
			                    "unknown meeting kind '%s' (welcome, regular, review, training, codev)"),
			               s);
			goto out;
		}
		m.kind = (Praxis__MeetingKind)k;
	}
	m.modality = PRAXIS__MODALITY__MODALITY_VIRTUAL;
	if ((s = node_opt_get(a->opts, "modality")) != NULL) {
		int k = meet_modality_parse(s);
		if (k < 0) {
			rc = node_fail(n, PX_EINVAL,
			               PX_T("modalité inconnue « %s » (virtuelle ou presentiel)",
			                    "unknown modality '%s' (virtual or in-person)"),
			               s);
			goto out;
		}
		m.modality = (Praxis__Modality)k;
	}
	m.platform = (char *)(node_opt_get(a->opts, "platform") ? node_opt_get(a->opts, "platform") : "");
	m.theme = (char *)(node_opt_get(a->opts, "theme") ? node_opt_get(a->opts, "theme") : "");
	const node_opt *sp = node_opt_find(a->opts, "speaker");
	for (size_t i = 0; sp != NULL && i < sp->count; i++)
		if (sp->values[i][0] == '\0') {
			rc = node_fail(n, PX_EINVAL, "%s", PX_T("nom d'invité·e vide", "empty speaker name"));
			goto out;
		}
	m.n_speakers = sp != NULL ? sp->count : 0;
	m.speakers = sp != NULL ? (char **)sp->values : NULL;
	m.theme_chosen_by_members = node_opt_get(a->opts, "members-theme") != NULL;
	m.held = node_opt_get(a->opts, "held") != NULL;
	if (node_txn_begin(n, true, &txn, &rc) != PX_OK)
		goto out;
	if (meet_resolve_community(n, txn, node_opt_get(a->opts, "community"), &m.community_id, &rc) != PX_OK)
		goto out;
	if ((s = node_opt_get(a->opts, "venue")) != NULL) {
		if (node_resolve_org(n, txn, s, &m.venue_org_id) != PX_OK) {
			rc = node_fail(n, PX_ENOTFOUND, PX_T("organisme « %s » introuvable", "organization '%s' not found"), s);
			goto out;
		}
		if (node_opt_get(a->opts, "modality") == NULL)
			m.modality = PRAXIS__MODALITY__MODALITY_IN_PERSON;
	}
	if ((err = node_next_id(txn, "meetings", &m.id)) != PX_OK || (err = node_meeting_put(n, txn, &m)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	pxp_change ch = {.kind = PXP_CHANGE_MEETING_ADD, .meeting_id = m.id, .month = m.date / 100};
	if ((rc = node_txn_check_commit(n, &txn, m.community_id, &ch)) != NODE_EXIT_OK)
		goto out;
	char d[11];
	px_date_format(m.date, d);
	char *msg = node_fmt(PX_T("Rencontre %llu planifiée le %s (%s, %s, %g h).", "Meeting %llu scheduled on %s (%s, %s, %g h)."),
	                     (unsigned long long)m.id, d, meet_kind_name(m.kind), meet_modality_name(m.modality),
	                     m.duration_hours);
	meet_print_ok(n, msg, m.id);
	free(msg);
out:
	px_txn_abort(txn);
	return rc;
}

/* ----------------------------------------------------------- meeting list */

struct meet_list {
	px_node *n;
	px_txn *txn;
	int32_t from, to;
	node_listing out;
	px_err err;
};

static px_err
meet_list_one(void *arg, px_val key, px_val val)
{
	(void)val;
	struct meet_list *l = arg;
	if (key.size != 20)
		return PX_OK;
	uint64_t id = px_rd64((const uint8_t *)key.data + 12);
	int32_t date = (int32_t)node_rd32((const uint8_t *)key.data + 8);
	if ((l->from && date < l->from) || (l->to && date > l->to))
		return PX_OK;
	Praxis__Meeting *m = NULL;
	px_err err = node_meeting_get(l->n, l->txn, id, &m);
	if (err != PX_OK)
		return err;
	node_att_sum s;
	if ((err = node_attendance_sum(l->n, l->txn, m->community_id, m->id, &s)) != PX_OK) {
		node_msg_free(m);
		return err;
	}
	l->out.count++;
	char d[11];
	px_date_format(m->date, d);
	if (l->out.arr != NULL) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)m->id);
		cJSON_AddStringToObject(o, "date", d);
		char t[16];
		snprintf(t, sizeof t, "%02d:%02d", (int)(m->start_time / 100 % 100), (int)(m->start_time % 100));
		cJSON_AddStringToObject(o, "time", t);
		cJSON_AddNumberToObject(o, "duration_hours", m->duration_hours);
		cJSON_AddStringToObject(o, "kind", meet_kind_token(m->kind));
		cJSON_AddStringToObject(o, "modality", meet_modality_token(m->modality));
		cJSON_AddStringToObject(o, "theme", m->theme);
		cJSON_AddBoolToObject(o, "held", m->held);
		cJSON_AddNumberToObject(o, "confirmed", (double)s.confirmed);
		cJSON_AddNumberToObject(o, "absence_notified", (double)s.absent);
		cJSON_AddNumberToObject(o, "present", (double)s.present);
		cJSON_AddNumberToObject(o, "hours", s.hours);
		cJSON_AddItemToArray(l->out.arr, o);
	} else {
		char *id_s = node_fmt("%llu", (unsigned long long)m->id);
		char *dur = node_fmt("%g h", m->duration_hours);
		char *pres = node_fmt("%zu", s.present);
		char *conf = node_fmt("%zu/%zu", s.confirmed, s.absent);
		const char *cells[] = {id_s, d, meet_kind_name(m->kind), meet_modality_name(m->modality), dur,
		                       m->held ? PX_T("oui", "yes") : PX_T("non", "no"), conf, pres, m->theme};
		node_table_row(l->out.t, cells);
		free(id_s), free(dur), free(pres), free(conf);
	}
	node_msg_free(m);
	return PX_OK;
}

static int
meet_list(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	px_err err;
	struct meet_list l = {n, NULL, 0, 0, {NULL, NULL, 0}, PX_OK};
	const char *cref = node_opt_get(a->opts, "community");
	if (a->npos == 1 && cref != NULL) {
		rc = node_args_usage(n, a);
		goto out;
	}
	if (a->npos == 1)
		cref = a->pos[0];
	const char *s;
	if ((s = node_opt_get(a->opts, "from")) != NULL && px_date_parse(s, &l.from) != PX_OK) {
		rc = meet_bad_date(n, s);
		goto out;
	}
	if ((s = node_opt_get(a->opts, "to")) != NULL && px_date_parse(s, &l.to) != PX_OK) {
		rc = meet_bad_date(n, s);
		goto out;
	}
	if (node_txn_begin(n, false, &txn, &rc) != PX_OK)
		goto out;
	uint64_t cid;
	if (meet_resolve_community(n, txn, cref, &cid, &rc) != PX_OK)
		goto out;
	l.txn = txn;
	const char *h[] = {PX_T("n°", "no."),          "date",
	                   PX_T("type", "kind"),       PX_T("modalité", "modality"),
	                   PX_T("durée", "duration"),  PX_T("tenue", "held"),
	                   PX_T("conf./abs.", "conf./abs."), PX_T("présences", "present"),
	                   PX_T("thème", "theme")};
	node_listing_begin(n, &l.out, 9, h);
	uint8_t k[8];
	if ((err = px_scan(txn, n->db.meetings_by_community, k, node_key_id(k, cid), meet_list_one, &l)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	node_listing_end(&l.out, PX_T("Aucune rencontre.", "No meeting."));
out:
	node_listing_fini(&l.out);
	px_txn_abort(txn);
	return rc;
}

/* ----------------------------------------------------------- meeting show */

struct meet_show {
	px_node *n;
	px_txn *txn;
	const Praxis__Meeting *m;
	cJSON *att;       /* JSON: attendance rows */
	cJSON *noanswer;  /* JSON: member ids without RSVP */
	node_table *t;
	size_t n_noanswer;
	char *noanswer_txt;
};

static px_err
meet_show_member(void *arg, px_val key, px_val val)
{
	(void)val;
	struct meet_show *s = arg;
	if (key.size != 16)
		return PX_OK;
	uint64_t mid = px_rd64((const uint8_t *)key.data + 8);
	Praxis__Member *mem = NULL;
	Praxis__Attendance *at = NULL;
	px_err err = node_member_get(s->n, s->txn, mid, &mem);
	if (err != PX_OK)
		return err == PX_ENOTFOUND ? PX_OK : err;
	err = node_attendance_get(s->n, s->txn, s->m->community_id, s->m->id, mid, &at);
	if (err != PX_OK && err != PX_ENOTFOUND) {
		node_msg_free(mem);
		return err;
	}
	bool erased = mem->status == PRAXIS__MEMBER_STATUS__MEMBER_ERASED;
	/* Who was expected: members not cancelled, suspended or erased, who
	 * joined by the meeting's date and had not left. */
	bool expected = (mem->status == PRAXIS__MEMBER_STATUS__MEMBER_ACTIVE ||
	                 mem->status == PRAXIS__MEMBER_STATUS__MEMBER_CANDIDATE) &&
	                (mem->joined == 0 || mem->joined <= s->m->date) && (mem->left == 0 || mem->left >= s->m->date);
	char *name = erased ? strdup(PX_T("(effacé)", "(erased)"))
	                    : node_fmt("%s %s", mem->first_name, mem->family_name);
	if (at != NULL) {
		if (s->att != NULL) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "member_id", (double)mid);
			cJSON_AddStringToObject(o, "name", name ? name : "");
			cJSON_AddStringToObject(o, "rsvp", meet_rsvp_token(at->rsvp));
			cJSON_AddBoolToObject(o, "present", at->present);
			cJSON_AddNumberToObject(o, "hours", at->hours);
			cJSON_AddItemToArray(s->att, o);
		} else {
			char *ids = node_fmt("%llu", (unsigned long long)mid);
			char *h = node_fmt("%g", at->hours);
			const char *cells[] = {ids, name ? name : "", meet_rsvp_name(at->rsvp),
			                       meet_presence_name(at->present), h};
			node_table_row(s->t, cells);
			free(ids), free(h);
		}
	}
	if (expected && (at == NULL || at->rsvp == PRAXIS__RSVP__RSVP_NONE)) {
		s->n_noanswer++;
		if (s->noanswer != NULL) {
			cJSON_AddItemToArray(s->noanswer, cJSON_CreateNumber((double)mid));
		} else {
			char *prev = s->noanswer_txt;
			s->noanswer_txt = node_fmt("%s%s%llu %s", prev ? prev : "", prev ? ", " : "",
			                           (unsigned long long)mid, name ? name : "");
			free(prev);
		}
	}
	free(name);
	node_msg_free(mem);
	node_msg_free(at);
	return PX_OK;
}

/* "  label       " padded by display width (UTF-8). */
static void
meet_label(const char *s)
{
	printf("  %s", s);
	for (size_t w = node_utf8_width(s); w < 13; w++)
		putchar(' ');
}

static int
meet_show(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	Praxis__Meeting *m = NULL;
	Praxis__Community *c = NULL;
	Praxis__Organization *venue = NULL;
	struct meet_show s = {0};
	cJSON *j = NULL;
	px_err err;
	if (node_txn_begin(n, false, &txn, &rc) != PX_OK || meet_load_meeting(n, txn, a->pos[0], &m, &rc) != PX_OK)
		goto out;
	if (node_community_get(n, txn, m->community_id, &c) != PX_OK)
		c = NULL;
	if (m->venue_org_id != 0)
		if (node_org_get(n, txn, m->venue_org_id, &venue) != PX_OK)
			venue = NULL;
	s.n = n;
	s.txn = txn;
	s.m = m;
	char d[11];
	px_date_format(m->date, d);
	if (n->json) {
		j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "id", (double)m->id);
		cJSON_AddNumberToObject(j, "community_id", (double)m->community_id);
		cJSON_AddStringToObject(j, "community", c ? c->name : "");
		cJSON_AddStringToObject(j, "date", d);
		char t[16];
		snprintf(t, sizeof t, "%02d:%02d", (int)(m->start_time / 100 % 100), (int)(m->start_time % 100));
		cJSON_AddStringToObject(j, "time", t);
		cJSON_AddNumberToObject(j, "duration_hours", m->duration_hours);
		cJSON_AddStringToObject(j, "kind", meet_kind_token(m->kind));
		cJSON_AddStringToObject(j, "modality", meet_modality_token(m->modality));
		cJSON_AddStringToObject(j, "platform", m->platform);
		if (venue)
			cJSON_AddStringToObject(j, "venue", venue->name);
		cJSON_AddStringToObject(j, "theme", m->theme);
		cJSON *sp = cJSON_AddArrayToObject(j, "speakers");
		for (size_t i = 0; i < m->n_speakers; i++)
			cJSON_AddItemToArray(sp, cJSON_CreateString(m->speakers[i]));
		cJSON_AddBoolToObject(j, "theme_chosen_by_members", m->theme_chosen_by_members);
		cJSON_AddBoolToObject(j, "held", m->held);
		s.att = cJSON_AddArrayToObject(j, "attendance");
		s.noanswer = cJSON_AddArrayToObject(j, "no_rsvp");
	} else {
		const char *h[] = {PX_T("membre", "member"), PX_T("nom", "name"), PX_T("réponse", "RSVP"),
		                   PX_T("présence", "attendance"), PX_T("heures", "hours")};
		s.t = node_table_new(5, h);
	}
	uint8_t k[8];
	if ((err = px_scan(txn, n->db.members_by_community, k, node_key_id(k, m->community_id), meet_show_member,
	                   &s)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	if (j != NULL) {
		node_json_print(j);
		j = NULL;
		goto out;
	}
	printf(PX_T("Rencontre %llu — %s\n", "Meeting %llu — %s\n"), (unsigned long long)m->id, c ? c->name : "");
	meet_label("date");
	printf("%s %02d:%02d, %g h\n", d, (int)(m->start_time / 100), (int)(m->start_time % 100),
	       m->duration_hours);
	meet_label(PX_T("type", "kind"));
	printf("%s\n", meet_kind_name(m->kind));
	meet_label(PX_T("modalité", "modality"));
	printf("%s%s%s%s\n", meet_modality_name(m->modality),
	       m->platform[0] ? " — " : "", m->platform, venue ? venue->name : "");
	if (m->theme[0]) {
		meet_label(PX_T("thème", "theme"));
		printf("%s%s\n", m->theme,
		       m->theme_chosen_by_members ? PX_T(" (choisi par les membres)", " (chosen by the members)") : "");
	}
	for (size_t i = 0; i < m->n_speakers; i++) {
		meet_label(PX_T("invité·e", "speaker"));
		printf("%s\n", m->speakers[i]);
	}
	meet_label(PX_T("tenue", "held"));
	printf("%s\n\n", m->held ? PX_T("oui", "yes") : PX_T("non", "no"));
	node_table_print(s.t, stdout);
	if (s.n_noanswer > 0)
		printf(PX_T("\nSans réponse (LAU-5) : %s\n", "\nNo answer (LAU-5): %s\n"), s.noanswer_txt);
out:
	cJSON_Delete(j);
	node_table_free(s.t);
	free(s.noanswer_txt);
	px_txn_abort(txn);
	node_msg_free(m);
	node_msg_free(c);
	node_msg_free(venue);
	return rc;
}


/* ------------------------------------------------------------ rsvp, attend */

/* Loads meeting and member, checks she belongs to the meeting's community,
 * and loads (or starts) her attendance record into *at (the caller frees
 * all three with node_msg_free, a fresh record as well). */
static px_err
meet_att_prepare(px_node *n, px_txn *txn, const char *mref, const char *pref, Praxis__Meeting **m,
                 Praxis__Member **mem, Praxis__Attendance **at, int *rc)
{
	if (meet_load_meeting(n, txn, mref, m, rc) != PX_OK || meet_load_member(n, txn, pref, mem, rc) != PX_OK)
		return PX_ENOTFOUND;
	if ((*mem)->community_id != (*m)->community_id) {
		*rc = node_fail(n, PX_EINVAL,
		                PX_T("le membre %s n'est pas de la communauté de la rencontre %s",
		                     "member %s does not belong to meeting %s's community"),
		                pref, mref);
		return PX_EINVAL;
	}
	px_err err = node_attendance_get(n, txn, (*m)->community_id, (*m)->id, (*mem)->id, at);
	if (err == PX_ENOTFOUND) {
		*at = malloc(sizeof **at);
		if (*at == NULL) {
			*rc = node_store_fail(n, PX_ENOMEM);
			return PX_ENOMEM;
		}
		praxis__attendance__init(*at);
		(*at)->meeting_id = (*m)->id;
		(*at)->member_id = (*mem)->id;
		return PX_OK;
	}
	if (err != PX_OK)
		*rc = node_store_fail(n, err);
	return err;
}

/* What rsvp or attend writes on an attendance record, read from the
 * command line before the transaction starts. */
struct meet_att_change {
	bool attend;       /* attend; else rsvp */
	Praxis__Rsvp rsvp; /* rsvp: the answer */
	bool absent;       /* attend: she was absent */
	double hours;      /* attend: hours present, below 0 for the meeting's duration */
};

/* rsvp and attend: writes c on the record of member a->pos[1] at meeting
 * a->pos[0]; her attending makes the meeting held. */
static int
meet_att_write(px_node *n, const node_args *a, const struct meet_att_change *c)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	Praxis__Meeting *m = NULL;
	Praxis__Member *mem = NULL;
	Praxis__Attendance *at = NULL;
	px_err err;
	if (node_txn_begin(n, true, &txn, &rc) != PX_OK ||
	    meet_att_prepare(n, txn, a->pos[0], a->pos[1], &m, &mem, &at, &rc) != PX_OK)
		goto out;
	if (c->attend && m->date > px_date_today()) {
		char d[11];
		px_date_format(m->date, d);
		rc = node_fail(n, PX_EINVAL,
		               PX_T("la rencontre %llu est prévue le %s : la présence se note après",
		                    "meeting %llu is planned on %s: attendance is recorded afterwards"),
		               (unsigned long long)m->id, d);
		goto out;
	}
	char what[64];
	if (c->attend) {
		at->present = !c->absent;
		at->hours = c->absent ? 0 : (c->hours >= 0 ? c->hours : m->duration_hours);
		if (c->absent)
			snprintf(what, sizeof what, "%s", meet_presence_name(false));
		else
			snprintf(what, sizeof what, "%s, %g h", meet_presence_name(true), at->hours);
	} else {
		at->rsvp = c->rsvp;
		snprintf(what, sizeof what, "%s", meet_rsvp_name(c->rsvp));
	}
	if ((err = node_attendance_put(n, txn, m->community_id, at)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	if (c->attend && !c->absent && !m->held) {
		m->held = true;
		if ((err = node_meeting_put(n, txn, m)) != PX_OK) {
			rc = node_store_fail(n, err);
			goto out;
		}
	}
	pxp_change ch = {.kind = PXP_CHANGE_ATTENDANCE, .member_id = mem->id, .meeting_id = m->id,
	                 .month = m->date / 100};
	if ((rc = node_txn_check_commit(n, &txn, m->community_id, &ch)) != NODE_EXIT_OK)
		goto out;
	char *msg = node_fmt(PX_T("Rencontre %llu, membre %llu : %s.", "Meeting %llu, member %llu: %s."),
	                     (unsigned long long)m->id, (unsigned long long)mem->id, what);
	meet_print_ok(n, msg, 0);
	free(msg);
out:
	px_txn_abort(txn);
	node_msg_free(m);
	node_msg_free(mem);
	node_msg_free(at);
	return rc;
}

static int
cmd_rsvp(px_node *n, const node_args *a)
{
	struct meet_att_change c = {.attend = false};
	const char *w = a->pos[2];
	if (!strcmp(w, "confirmed") || !strcmp(w, "confirme") || !strcmp(w, "confirmé") || !strcmp(w, "oui") ||
	    !strcmp(w, "yes"))
		c.rsvp = PRAXIS__RSVP__RSVP_CONFIRMED;
	else if (!strcmp(w, "absent") || !strcmp(w, "absente") || !strcmp(w, "absence") || !strcmp(w, "non") ||
	         !strcmp(w, "no"))
		c.rsvp = PRAXIS__RSVP__RSVP_ABSENCE_NOTIFIED;
	else if (!strcmp(w, "none") || !strcmp(w, "aucune"))
		c.rsvp = PRAXIS__RSVP__RSVP_NONE;
	else
		return node_fail(n, PX_EINVAL,
		                 PX_T("réponse inconnue « %s » (confirmed, absent ou none)",
		                      "unknown answer '%s' (confirmed, absent or none)"),
		                 w);
	return meet_att_write(n, a, &c);
}

static int
cmd_attend(px_node *n, const node_args *a)
{
	struct meet_att_change c = {.attend = true, .absent = node_opt_get(a->opts, "absent") != NULL, .hours = -1};
	const char *hs = node_opt_get(a->opts, "hours");
	if (hs != NULL && (node_parse_hours(hs, &c.hours) != PX_OK || c.hours > 24))
		return node_fail(n, PX_EINVAL, PX_T("heures invalides « %s » (0 à 24)", "invalid hours '%s' (0 to 24)"), hs);
	if (c.absent && hs != NULL && c.hours > 0)
		return node_fail(n, PX_EINVAL, "%s",
		                 PX_T("--absent et des heures : choisir l'un ou l'autre", "--absent with hours: choose one"));
	return meet_att_write(n, a, &c);
}

/* ------------------------------------------------------------------ hours */

static int
hours_log(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	Praxis__Member *mem = NULL;
	Praxis__HoursEntry *h = NULL;
	px_err err;
	const char *ms = node_opt_get(a->opts, "month"), *hs = node_opt_get(a->opts, "hours");
	int32_t month;
	double hours;
	if (node_parse_month(ms, &month) != PX_OK) {
		rc = node_fail(n, PX_EINVAL, PX_T("mois invalide « %s » (AAAA-MM)", "invalid month '%s' (YYYY-MM)"), ms);
		goto out;
	}
	if (node_parse_hours(hs, &hours) != PX_OK || hours > 744) {
		rc = node_fail(n, PX_EINVAL, PX_T("heures invalides « %s »", "invalid hours '%s'"), hs);
		goto out;
	}
	if (node_txn_begin(n, true, &txn, &rc) != PX_OK || meet_load_member(n, txn, a->pos[0], &mem, &rc) != PX_OK)
		goto out;
	bool set = node_opt_get(a->opts, "set") != NULL;
	err = node_hours_get(n, txn, mem->id, month, &h);
	if (err == PX_ENOTFOUND) {
		h = malloc(sizeof *h);
		if (h == NULL) {
			rc = node_store_fail(n, PX_ENOMEM);
			goto out;
		}
		praxis__hours_entry__init(h);
		h->member_id = mem->id;
		h->month = month;
	} else if (err != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	h->hours = set ? hours : h->hours + hours;
	const char *act = node_opt_get(a->opts, "activity");
	if (act != NULL && *act != '\0') {
		/* Activities of a month accumulate, separated by "; ". */
		char *na = (!set && h->activity && h->activity[0]) ? node_fmt("%s; %s", h->activity, act) : strdup(act);
		if (h->activity != NULL && h->activity != protobuf_c_empty_string)
			free(h->activity);
		h->activity = na;
	}
	if ((err = node_hours_put(n, txn, h)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	pxp_change ch = {.kind = PXP_CHANGE_HOURS, .member_id = mem->id, .month = month};
	if ((rc = node_txn_check_commit(n, &txn, mem->community_id, &ch)) != NODE_EXIT_OK)
		goto out;
	char *msg = node_fmt(PX_T("Membre %llu, %04d-%02d : %g h d'implication hors rencontres.",
	                          "Member %llu, %04d-%02d: %g h of involvement outside meetings."),
	                     (unsigned long long)mem->id, (int)(month / 100), (int)(month % 100), h->hours);
	meet_print_ok(n, msg, 0);
	free(msg);
out:
	px_txn_abort(txn);
	node_msg_free(mem);
	node_msg_free(h);
	return rc;
}

/* Per-month hours of one member: meetings (attendance) and outside. */
struct hours_month {
	int32_t month;
	double meeting, outside;
};
struct hours_acc {
	px_node *n;
	px_txn *txn;
	uint64_t member;
	int32_t year;
	struct hours_month v[64];
	size_t nv;
};

static struct hours_month *
hours_slot(struct hours_acc *h, int32_t month)
{
	for (size_t i = 0; i < h->nv; i++)
		if (h->v[i].month == month)
			return &h->v[i];
	if (h->nv == sizeof h->v / sizeof h->v[0])
		return NULL;
	size_t i = h->nv++;
	/* Keep months sorted: shift the later ones. */
	while (i > 0 && h->v[i - 1].month > month) {
		h->v[i] = h->v[i - 1];
		i--;
	}
	h->v[i] = (struct hours_month){month, 0, 0};
	return &h->v[i];
}

static px_err
hours_out_fn(void *arg, px_val key, void *msg)
{
	(void)key;
	struct hours_acc *h = arg;
	Praxis__HoursEntry *e = msg;
	if (h->year == 0 || e->month / 100 == h->year) {
		struct hours_month *s = hours_slot(h, e->month);
		if (s != NULL)
			s->outside += e->hours;
	}
	return PX_OK;
}

static px_err
hours_meet_fn(void *arg, px_val key, px_val val)
{
	(void)val;
	struct hours_acc *h = arg;
	if (key.size != 20)
		return PX_OK;
	int32_t date = (int32_t)node_rd32((const uint8_t *)key.data + 8);
	if (h->year != 0 && date / 10000 != h->year)
		return PX_OK;
	uint64_t cid = px_rd64(key.data), mid = px_rd64((const uint8_t *)key.data + 12);
	Praxis__Attendance *at = NULL;
	px_err err = node_attendance_get(h->n, h->txn, cid, mid, h->member, &at);
	if (err == PX_ENOTFOUND)
		return PX_OK;
	if (err != PX_OK)
		return err;
	if (at->present) {
		struct hours_month *s = hours_slot(h, date / 100);
		if (s != NULL)
			s->meeting += at->hours;
	}
	node_msg_free(at);
	return PX_OK;
}

static int
hours_list(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	Praxis__Member *mem = NULL;
	struct hours_acc *h = calloc(1, sizeof *h);
	px_err err;
	if (h == NULL)
		return node_store_fail(n, PX_ENOMEM);
	const char *ys = node_opt_get(a->opts, "year");
	if (ys != NULL && meet_parse_year(n, ys, &h->year, &rc) != PX_OK)
		goto out;
	if (node_txn_begin(n, false, &txn, &rc) != PX_OK || meet_load_member(n, txn, a->pos[0], &mem, &rc) != PX_OK)
		goto out;
	h->n = n;
	h->txn = txn;
	h->member = mem->id;
	uint8_t k[8];
	if ((err = node_scan(txn, n->db.hours, k, node_key_id(k, mem->id),
	                     &praxis__hours_entry__descriptor, hours_out_fn, h)) != PX_OK ||
	    (err = px_scan(txn, n->db.meetings_by_community, k, node_key_id(k, mem->community_id),
	                   hours_meet_fn, h)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	if (n->json) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < h->nv; i++) {
			cJSON *o = cJSON_CreateObject();
			char ms[16];
			snprintf(ms, sizeof ms, "%04d-%02d", (int)(h->v[i].month / 100 % 10000), (int)(h->v[i].month % 100));
			cJSON_AddStringToObject(o, "month", ms);
			cJSON_AddNumberToObject(o, "meeting_hours", h->v[i].meeting);
			cJSON_AddNumberToObject(o, "outside_hours", h->v[i].outside);
			cJSON_AddItemToArray(arr, o);
		}
		node_json_print(arr);
		goto out;
	}
	const char *hd[] = {PX_T("mois", "month"), PX_T("rencontres", "meetings"), PX_T("hors rencontres", "outside"),
	                    "total"};
	node_table *t = node_table_new(4, hd);
	double tm = 0, to = 0;
	for (size_t i = 0; i < h->nv; i++) {
		char *c0 = node_fmt("%04d-%02d", (int)(h->v[i].month / 100), (int)(h->v[i].month % 100));
		char *c1 = node_fmt("%g", h->v[i].meeting), *c2 = node_fmt("%g", h->v[i].outside);
		char *c3 = node_fmt("%g", h->v[i].meeting + h->v[i].outside);
		const char *cells[] = {c0, c1, c2, c3};
		node_table_row(t, cells);
		free(c0), free(c1), free(c2), free(c3);
		tm += h->v[i].meeting;
		to += h->v[i].outside;
	}
	char *c1 = node_fmt("%g", tm), *c2 = node_fmt("%g", to), *c3 = node_fmt("%g", tm + to);
	const char *cells[] = {"total", c1, c2, c3};
	node_table_row(t, cells);
	free(c1), free(c2), free(c3);
	node_table_print(t, stdout);
	node_table_free(t);
out:
	free(h);
	px_txn_abort(txn);
	node_msg_free(mem);
	return rc;
}


/* ----------------------------------------------------------------- survey */

/* A period is "yyyy" or "yyyy-mm". */
static bool
survey_period_valid(const char *p)
{
	size_t l = strlen(p);
	if (l != 4 && l != 7)
		return false;
	for (size_t i = 0; i < l; i++)
		if (i == 4 ? p[i] != '-' : (p[i] < '0' || p[i] > '9'))
			return false;
	int y = atoi(p);
	if (y < 1900 || y > 2200)
		return false;
	if (l == 7) {
		int m = atoi(p + 5);
		if (m < 1 || m > 12)
			return false;
	}
	return true;
}

static int
survey_record(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	Praxis__Member *mem = NULL;
	int32_t *ans = NULL;
	px_err err;
	const char *period = node_opt_get(a->opts, "period"), *as = node_opt_get(a->opts, "answers");
	if (!survey_period_valid(period)) {
		rc = node_fail(n, PX_EINVAL, PX_T("période invalide « %s » (AAAA ou AAAA-MM)", "invalid period '%s' (YYYY or YYYY-MM)"),
		               period);
		goto out;
	}
	size_t na = 0;
	ans = calloc(strlen(as) + 1, sizeof *ans);
	if (ans == NULL) {
		rc = node_store_fail(n, PX_ENOMEM);
		goto out;
	}
	for (const char *p = as;;) {
		while (*p == ' ')
			p++;
		if (*p < '1' || *p > '5' || (p[1] != '\0' && p[1] != ',' && p[1] != ';' && p[1] != ' ')) {
			rc = node_fail(n, PX_EINVAL,
			               PX_T("réponses invalides « %s » : des nombres de 1 à 5 séparés par des virgules",
			                    "invalid answers '%s': numbers from 1 to 5 separated by commas"),
			               as);
			goto out;
		}
		ans[na++] = *p - '0';
		p++;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		p++; /* separator */
	}
	if (node_txn_begin(n, true, &txn, &rc) != PX_OK || meet_load_member(n, txn, a->pos[0], &mem, &rc) != PX_OK)
		goto out;
	Praxis__SurveyResponse s = PRAXIS__SURVEY_RESPONSE__INIT;
	s.member_id = mem->id;
	s.community_id = mem->community_id;
	s.period = (char *)period;
	s.n_answers = na;
	s.answers = ans;
	if ((err = node_survey_put(n, txn, &s)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	if ((rc = node_txn_commit(n, &txn)) != NODE_EXIT_OK)
		goto out;
	double sum = 0;
	for (size_t i = 0; i < na; i++)
		sum += ans[i];
	char *msg = node_fmt(PX_T("Sondage %s du membre %llu : %zu réponses, moyenne %.2f.",
	                          "Survey %s of member %llu: %zu answers, mean %.2f."),
	                     period, (unsigned long long)mem->id, na, sum / (double)na);
	meet_print_ok(n, msg, 0);
	free(msg);
out:
	free(ans);
	px_txn_abort(txn);
	node_msg_free(mem);
	return rc;
}

struct survey_list {
	const char *period;
	node_listing out;
};

static px_err
survey_list_one(void *arg, px_val key, void *msg)
{
	(void)key;
	struct survey_list *l = arg;
	Praxis__SurveyResponse *s = msg;
	if (l->period == NULL || strcmp(l->period, s->period) == 0) {
		l->out.count++;
		double sum = 0;
		for (size_t i = 0; i < s->n_answers; i++)
			sum += s->answers[i];
		double mean = s->n_answers ? sum / (double)s->n_answers : 0;
		if (l->out.arr != NULL) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "member_id", (double)s->member_id);
			cJSON_AddStringToObject(o, "period", s->period);
			cJSON_AddItemToObject(o, "answers", cJSON_CreateIntArray(s->answers, (int)s->n_answers));
			cJSON_AddNumberToObject(o, "mean", mean);
			cJSON_AddItemToArray(l->out.arr, o);
		} else {
			char *mid = node_fmt("%llu", (unsigned long long)s->member_id);
			char *ans = strdup("");
			for (size_t i = 0; i < s->n_answers && ans; i++) {
				char *nx = node_fmt("%s%s%d", ans, i ? "," : "", (int)s->answers[i]);
				free(ans);
				ans = nx;
			}
			char *m = node_fmt("%.2f", mean);
			const char *cells[] = {mid, s->period, ans ? ans : "", m};
			node_table_row(l->out.t, cells);
			free(mid), free(ans), free(m);
		}
	}
	return PX_OK;
}

static int
survey_list(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	px_err err;
	struct survey_list l = {0};
	l.period = node_opt_get(a->opts, "period");
	if (l.period != NULL && !survey_period_valid(l.period)) {
		rc = node_fail(n, PX_EINVAL, PX_T("période invalide « %s » (AAAA ou AAAA-MM)", "invalid period '%s' (YYYY or YYYY-MM)"),
		               l.period);
		goto out;
	}
	uint64_t cid;
	if (node_txn_begin(n, false, &txn, &rc) != PX_OK ||
	    meet_resolve_community(n, txn, node_opt_get(a->opts, "community"), &cid, &rc) != PX_OK)
		goto out;
	const char *h[] = {PX_T("membre", "member"), PX_T("période", "period"), PX_T("réponses", "answers"),
	                   PX_T("moyenne", "mean")};
	node_listing_begin(n, &l.out, 4, h);
	uint8_t k[8];
	if ((err = node_scan(txn, n->db.surveys, k, node_key_id(k, cid),
	                     &praxis__survey_response__descriptor, survey_list_one, &l)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	node_listing_end(&l.out, PX_T("Aucun sondage.", "No survey."));
out:
	node_listing_fini(&l.out);
	px_txn_abort(txn);
	return rc;
}


/* --------------------------------------------------------------- approval */

static int
approval_add(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	Praxis__Member *mem = NULL;
	px_err err;
	Praxis__Approval ap = PRAXIS__APPROVAL__INIT;
	const char *ys = node_opt_get(a->opts, "year"), *hs = node_opt_get(a->opts, "hours"),
	           *mgr = node_opt_get(a->opts, "manager");
	if (meet_parse_year(n, ys, &ap.year, &rc) != PX_OK)
		goto out;
	if (node_parse_hours(hs, &ap.extra_hours) != PX_OK || ap.extra_hours <= 0) {
		rc = node_fail(n, PX_EINVAL, PX_T("heures supplémentaires invalides « %s » (plus de 0)",
		                                  "invalid extra hours '%s' (above 0)"),
		               hs);
		goto out;
	}
	while (*mgr == ' ')
		mgr++;
	if (*mgr == '\0') {
		rc = node_fail(n, PX_EINVAL, "%s", PX_T("nom du ou de la gestionnaire vide", "empty manager name"));
		goto out;
	}
	ap.manager = (char *)mgr;
	ap.date = px_date_today();
	const char *ds = node_opt_get(a->opts, "date");
	if (ds != NULL && px_date_parse(ds, &ap.date) != PX_OK) {
		rc = meet_bad_date(n, ds);
		goto out;
	}
	ap.reason = (char *)(node_opt_get(a->opts, "reason") ? node_opt_get(a->opts, "reason") : "");
	if (node_txn_begin(n, true, &txn, &rc) != PX_OK ||
	    meet_resolve_community(n, txn, node_opt_get(a->opts, "community"), &ap.community_id, &rc) != PX_OK)
		goto out;
	const char *mref = node_opt_get(a->opts, "member");
	if (mref != NULL) {
		if (meet_load_member(n, txn, mref, &mem, &rc) != PX_OK)
			goto out;
		if (mem->community_id != ap.community_id) {
			rc = node_fail(n, PX_EINVAL, PX_T("le membre %s n'est pas de cette communauté",
			                                  "member %s does not belong to this community"),
			               mref);
			goto out;
		}
		ap.member_id = mem->id;
	}
	if ((err = node_next_id(txn, "approvals", &ap.id)) != PX_OK || (err = node_approval_put(n, txn, &ap)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	pxp_change ch = {.kind = PXP_CHANGE_APPROVAL, .member_id = ap.member_id};
	if ((rc = node_txn_check_commit(n, &txn, ap.community_id, &ch)) != NODE_EXIT_OK)
		goto out;
	char *msg = ap.member_id ? node_fmt(PX_T("Approbation %llu : %g h de plus en %d pour le membre %llu (%s).",
	                                         "Approval %llu: %g more hours in %d for member %llu (%s)."),
	                                    (unsigned long long)ap.id, ap.extra_hours, (int)ap.year,
	                                    (unsigned long long)ap.member_id, mgr)
	                         : node_fmt(PX_T("Approbation %llu : %g h de plus en %d pour toute la communauté (%s).",
	                                         "Approval %llu: %g more hours in %d for the whole community (%s)."),
	                                    (unsigned long long)ap.id, ap.extra_hours, (int)ap.year, mgr);
	meet_print_ok(n, msg, ap.id);
	free(msg);
out:
	px_txn_abort(txn);
	node_msg_free(mem);
	return rc;
}

struct approval_list {
	int32_t year;
	node_listing out;
};

static px_err
approval_list_one(void *arg, px_val key, void *msg)
{
	(void)key;
	struct approval_list *l = arg;
	Praxis__Approval *ap = msg;
	if (l->year == 0 || ap->year == l->year) {
		l->out.count++;
		char d[11];
		px_date_format(ap->date, d);
		if (l->out.arr != NULL) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "id", (double)ap->id);
			cJSON_AddNumberToObject(o, "member_id", (double)ap->member_id);
			cJSON_AddNumberToObject(o, "year", ap->year);
			cJSON_AddNumberToObject(o, "extra_hours", ap->extra_hours);
			cJSON_AddStringToObject(o, "manager", ap->manager);
			cJSON_AddStringToObject(o, "date", d);
			cJSON_AddStringToObject(o, "reason", ap->reason);
			cJSON_AddItemToArray(l->out.arr, o);
		} else {
			char *id = node_fmt("%llu", (unsigned long long)ap->id);
			char *who = ap->member_id ? node_fmt("%llu", (unsigned long long)ap->member_id)
			                          : strdup(PX_T("communauté", "community"));
			char *yr = node_fmt("%d", (int)ap->year), *hr = node_fmt("+%g h", ap->extra_hours);
			const char *cells[] = {id, who, yr, hr, ap->manager, d, ap->reason};
			node_table_row(l->out.t, cells);
			free(id), free(who), free(yr), free(hr);
		}
	}
	return PX_OK;
}

static int
approval_list(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	px_err err;
	struct approval_list l = {0};
	const char *ys = node_opt_get(a->opts, "year");
	if (ys != NULL && meet_parse_year(n, ys, &l.year, &rc) != PX_OK)
		goto out;
	uint64_t cid;
	if (node_txn_begin(n, false, &txn, &rc) != PX_OK ||
	    meet_resolve_community(n, txn, node_opt_get(a->opts, "community"), &cid, &rc) != PX_OK)
		goto out;
	const char *h[] = {PX_T("n°", "no."), PX_T("pour", "for"), PX_T("année", "year"), PX_T("heures", "hours"),
	                   PX_T("gestionnaire", "manager"), "date", PX_T("raison", "reason")};
	node_listing_begin(n, &l.out, 7, h);
	uint8_t k[8];
	if ((err = node_scan(txn, n->db.approvals, k, node_key_id(k, cid),
	                     &praxis__approval__descriptor, approval_list_one, &l)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto out;
	}
	node_listing_end(&l.out, PX_T("Aucune approbation.", "No approval."));
out:
	node_listing_fini(&l.out);
	px_txn_abort(txn);
	return rc;
}

