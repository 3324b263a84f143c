/*
 * cmd_report.c - the annual report of a community (rapport annuel, CIS-5):
 *   report annual COMMUNITY YEAR [--format text|csv|json|html] [--output FILE]
 *
 * One pass over the store builds the report as a JSON tree (the --json
 * and --format json output); text, CSV and HTML are renderings of that
 * tree, so the four formats always carry the same figures.
 *
 * Definitions (written in the report's notes too):
 *  - a member "belongs" on a date when she joined on or before it (or has
 *    no join date) and had not left before it; cancelled or alumni members
 *    without a left date left on the date of that status change;
 *  - expected at a meeting: members who belong on its date (candidates
 *    included, erased tombstones included: counts stay right after erasure);
 *  - attendance rate = presences / expected, over held meetings;
 *  - RSVP rate = (confirmed + absence notified) / expected, over every
 *    meeting of the year.
 */
#define _GNU_SOURCE
#include "node.h"
#include "canon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int rep_annual(px_node *n, const node_args *a);
static const node_cmd report_cmds[] = {
	{"report", "annual", .run = rep_annual,
	 .usage = "report annual COMMUNAUTÉ ANNÉE [--format text|csv|json|html] [--output FICHIER]",
	 "Rapport annuel d'une communauté : membres, protocoles, rencontres, présences, réponses, heures, "
	 "résultats du plan d'action, sondage, constats des règles. HTML autonome (un seul fichier).",
	 "A community's annual report: members, protocols, meetings, attendance, RSVPs, hours, action-plan "
	 "results, survey, rule findings. Self-contained HTML (one file).",
	 .opts = (const node_opt[]){NODE_OPT("format", true), NODE_OPT("output", true), NODE_OPT_END},
	 .min_pos = 2, .max_pos = 2,
	 .usage_fr = "usage : report annual COMMUNAUTÉ ANNÉE [--format text|csv|json|html]",
	 .usage_en = "usage: report annual COMMUNITY YEAR [--format text|csv|json|html]"},
	{0},
};
NODE_COMMANDS(report_cmds)

static double
rep_ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* ------------------------------------------------------------ collection */

typedef struct rep_member {
	uint64_t id;
	int32_t joined, left; /* left: effective, 0 = still a member */
	int status;
} rep_member;

typedef struct rep_ctx {
	px_node *n;
	px_txn *txn;
	uint64_t cid;
	int year;
	int32_t from, to;
	rep_member *mem;
	size_t nmem, capmem;
	/* meetings */
	cJSON *mlist;
	size_t planned, held;
	double held_hours, presences, expected_held, answered, expected_all, meeting_hours;
	bool month_has[13];
	/* protocols */
	size_t p_valid, p_draft, p_cancelled, p_broken;
	/* hours */
	double month_meeting[13], month_outside[13];
	/* survey */
	size_t s_count;
	double s_sum[32];
	size_t s_n[32];
	size_t s_maxq;
	double s_total;
	size_t s_answers;
	px_err err;
} rep_ctx;

static px_err
rep_member_fn(void *arg, px_val key, px_val val)
{
	(void)val;
	rep_ctx *r = arg;
	if (key.size != 16)
		return PX_OK;
	Praxis__Member *m = NULL;
	px_err err = node_member_get(r->n, r->txn, px_rd64((const uint8_t *)key.data + 8), &m);
	if (err == PX_ENOTFOUND)
		return PX_OK;
	if (err != PX_OK)
		return err;
	if (node_reserve((void **)&r->mem, r->nmem, &r->capmem, sizeof *r->mem) != PX_OK) {
		node_msg_free(m);
		return PX_ENOMEM;
	}
	rep_member *x = &r->mem[r->nmem++];
	x->id = m->id;
	x->joined = m->joined;
	x->status = m->status;
	x->left = m->left;
	if (x->left == 0 && (m->status == PRAXIS__MEMBER_STATUS__MEMBER_CANCELLED ||
	                     m->status == PRAXIS__MEMBER_STATUS__MEMBER_ALUMNI)) {
		for (size_t i = 0; i < m->n_history; i++)
			if (m->history[i]->to == m->status)
				x->left = m->history[i]->date;
	}
	node_msg_free(m);
	return PX_OK;
}

static bool
rep_belongs(const rep_member *m, int32_t date)
{
	return (m->joined == 0 || m->joined <= date) && (m->left == 0 || m->left >= date);
}

static const char *
rep_kind_token(int v)
{
	static const char *t[] = {"unspecified", "welcome", "regular", "review", "training", "codev"};
	return v >= 0 && v <= 5 ? t[v] : "unspecified";
}

static const char *
rep_kind_name(const char *tok)
{
	if (!strcmp(tok, "welcome"))
		return PX_T("accueil", "welcome");
	if (!strcmp(tok, "regular"))
		return PX_T("régulière", "regular");
	if (!strcmp(tok, "review"))
		return PX_T("bilan", "review");
	if (!strcmp(tok, "training"))
		return PX_T("formation", "training");
	if (!strcmp(tok, "codev"))
		return PX_T("co-développement", "case discussion");
	return "?";
}

static px_err
rep_meeting_fn(void *arg, px_val key, px_val val)
{
	(void)val;
	rep_ctx *r = arg;
	if (key.size != 20)
		return PX_OK;
	int32_t date = (int32_t)node_rd32((const uint8_t *)key.data + 8);
	if (date < r->from || date > r->to)
		return PX_OK;
	Praxis__Meeting *m = NULL;
	px_err err = node_meeting_get(r->n, r->txn, px_rd64((const uint8_t *)key.data + 12), &m);
	if (err != PX_OK)
		return err == PX_ENOTFOUND ? PX_OK : err;
	node_att_sum s;
	if ((err = node_attendance_sum(r->n, r->txn, r->cid, m->id, &s)) != PX_OK) {
		node_msg_free(m);
		return err;
	}
	size_t expected = 0;
	for (size_t i = 0; i < r->nmem; i++)
		if (rep_belongs(&r->mem[i], date))
			expected++;
	r->planned++;
	r->expected_all += (double)expected;
	r->answered += (double)(s.confirmed + s.absent);
	if (m->held) {
		r->held++;
		r->held_hours += m->duration_hours;
		r->presences += (double)s.present;
		r->expected_held += (double)expected;
		r->month_has[date / 100 % 100] = true;
	}
	r->meeting_hours += s.hours;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)m->id);
	node_json_date(o, "date", m->date);
	cJSON_AddStringToObject(o, "kind", rep_kind_token(m->kind));
	cJSON_AddStringToObject(o, "modality", m->modality == PRAXIS__MODALITY__MODALITY_IN_PERSON ? "in_person" : "virtual");
	cJSON_AddStringToObject(o, "theme", m->theme);
	cJSON_AddNumberToObject(o, "duration_hours", m->duration_hours);
	cJSON_AddBoolToObject(o, "held", m->held);
	cJSON_AddNumberToObject(o, "expected", (double)expected);
	cJSON_AddNumberToObject(o, "confirmed", (double)s.confirmed);
	cJSON_AddNumberToObject(o, "absence_notified", (double)s.absent);
	cJSON_AddNumberToObject(o, "no_answer", (double)(expected > s.confirmed + s.absent ? expected - s.confirmed - s.absent : 0));
	cJSON_AddNumberToObject(o, "present", (double)s.present);
	cJSON_AddNumberToObject(o, "hours", s.hours);
	cJSON_AddNumberToObject(o, "attendance_rate", m->held ? rep_ratio((double)s.present, (double)expected) : 0);
	cJSON_AddItemToArray(r->mlist, o);
	node_msg_free(m);
	return PX_OK;
}

static px_err
rep_protocol_fn(void *arg, px_val key, void *msg)
{
	(void)key;
	rep_ctx *r = arg;
	Praxis__Protocol *p = msg;
	/* A protocol counts from its last signature (paper forms are often
	 * entered after they were signed), or from its creation while unsigned. */
	int32_t when = p->created;
	if (p->n_signatures > 0) {
		when = 0;
		for (size_t i = 0; i < p->n_signatures; i++)
			if (p->signatures[i]->date > when)
				when = p->signatures[i]->date;
	}
	if (p->community_id == r->cid && when <= r->to) {
		bool mok = false, dok = false;
		if (node_protocol_verify(p, &mok, &dok) != PX_OK) {
			/* mok and dok say which */
		}
		if (p->status == PRAXIS__PROTOCOL_STATUS__PROTOCOL_CANCELLED) {
			if (p->cancel_date >= r->from && p->cancel_date <= r->to)
				r->p_cancelled++;
		} else if (mok && dok) {
			r->p_valid++;
		} else if (p->n_signatures > 0 && (node_protocol_check(p, NODE_SIGNER_MEMBER) == PX_EAUTH ||
		                                   node_protocol_check(p, NODE_SIGNER_DIRECTOR) == PX_EAUTH)) {
			r->p_broken++;
		} else {
			r->p_draft++;
		}
	}
	return PX_OK;
}

static px_err
rep_hours_fn(void *arg, px_val key, void *msg)
{
	(void)key;
	rep_ctx *r = arg;
	Praxis__HoursEntry *h = msg;
	if (h->month / 100 == r->year && h->month % 100 >= 1 && h->month % 100 <= 12)
		r->month_outside[h->month % 100] += h->hours;
	return PX_OK;
}

static px_err
rep_survey_fn(void *arg, px_val key, void *msg)
{
	(void)key;
	rep_ctx *r = arg;
	Praxis__SurveyResponse *s = msg;
	char y[16];
	snprintf(y, sizeof y, "%04d", r->year);
	if (strncmp(s->period, y, 4) == 0) {
		r->s_count++;
		for (size_t i = 0; i < s->n_answers && i < 32; i++) {
			r->s_sum[i] += s->answers[i];
			r->s_n[i]++;
			r->s_total += s->answers[i];
			r->s_answers++;
			if (i + 1 > r->s_maxq)
				r->s_maxq = i + 1;
		}
	}
	return PX_OK;
}

struct rep_appr {
	int year;
	cJSON *arr;
	double community_hours;
};

static px_err
rep_approval_fn(void *arg, px_val key, void *msg)
{
	(void)key;
	struct rep_appr *a = arg;
	Praxis__Approval *ap = msg;
	if (ap->year == a->year) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)ap->id);
		cJSON_AddBoolToObject(o, "whole_community", ap->member_id == 0);
		cJSON_AddNumberToObject(o, "extra_hours", ap->extra_hours);
		cJSON_AddStringToObject(o, "manager", ap->manager);
		node_json_date(o, "date", ap->date);
		cJSON_AddItemToArray(a->arr, o);
	}
	return PX_OK;
}

/* The plan whose period overlaps the year, the latest starting one. */
struct rep_plan {
	int32_t from, to;
	Praxis__Plan *plan;
};

static px_err
rep_plan_fn(void *arg, px_val key, px_val val)
{
	(void)key;
	struct rep_plan *rp = arg;
	Praxis__Plan *p = praxis__plan__unpack(NULL, val.size, val.data);
	if (p == NULL)
		return PX_ECORRUPT;
	if (p->period_start <= rp->to && p->period_end >= rp->from) {
		node_msg_free(rp->plan);
		rp->plan = p;
	} else {
		node_msg_free(p);
	}
	return PX_OK;
}

static cJSON *
rep_plan_json(const Praxis__Plan *p)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "title", p->title);
	node_json_date(o, "period_start", p->period_start);
	node_json_date(o, "period_end", p->period_end);
	size_t yes = 0, no = 0, pend = 0;
	cJSON *items = cJSON_CreateArray();
	for (size_t i = 0; i < p->n_items; i++) {
		const Praxis__PlanItem *it = p->items[i];
		if (it->level != PRAXIS__PLAN_LEVEL__PLAN_SPECIFIC_OBJECTIVE)
			continue;
		const char *res = it->obtained == PRAXIS__PLAN_RESULT__RESULT_YES  ? "Oui"
		                  : it->obtained == PRAXIS__PLAN_RESULT__RESULT_NO ? "Non"
		                                                                   : "";
		yes += it->obtained == PRAXIS__PLAN_RESULT__RESULT_YES;
		no += it->obtained == PRAXIS__PLAN_RESULT__RESULT_NO;
		pend += it->obtained == PRAXIS__PLAN_RESULT__RESULT_PENDING;
		char path[64];
		node_plan_path(p, i, path, sizeof path);
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "path", path);
		cJSON_AddNumberToObject(x, "item", it->id);
		cJSON_AddStringToObject(x, "text", it->text);
		cJSON_AddStringToObject(x, "obtained", res);
		cJSON_AddStringToObject(x, "gap", it->gap);
		cJSON_AddItemToArray(items, x);
	}
	cJSON_AddNumberToObject(o, "specific_objectives", (double)(yes + no + pend));
	cJSON_AddNumberToObject(o, "reached", (double)yes);
	cJSON_AddNumberToObject(o, "not_reached", (double)no);
	cJSON_AddNumberToObject(o, "pending", (double)pend);
	cJSON_AddItemToObject(o, "items", items);
	return o;
}

/* Builds the whole report; *out is the caller's (cJSON_Delete). */
static px_err
rep_build(px_node *n, px_txn *txn, uint64_t cid, int year, cJSON **out)
{
	rep_ctx *r = calloc(1, sizeof *r);
	Praxis__Community *c = NULL;
	Praxis__Organization *host = NULL;
	struct rep_plan rp = {0};
	cJSON *j = NULL;
	node_findings f = {0};
	px_err err;
	if (r == NULL)
		return PX_ENOMEM;
	r->n = n;
	r->txn = txn;
	r->cid = cid;
	r->year = year;
	r->from = year * 10000 + 101;
	r->to = year * 10000 + 1231;
	if ((err = node_community_get(n, txn, cid, &c)) != PX_OK)
		goto out;
	if (c->host_org_id != 0)
		if (node_org_get(n, txn, c->host_org_id, &host) != PX_OK)
		host = NULL;
	uint8_t k[8];
	node_key_id(k, cid);
	if ((err = px_scan(txn, n->db.members_by_community, k, 8, rep_member_fn, r)) != PX_OK)
		goto out;
	r->mlist = cJSON_CreateArray();
	if ((err = px_scan(txn, n->db.meetings_by_community, k, 8, rep_meeting_fn, r)) != PX_OK)
		goto out;
	if ((err = node_scan(txn, n->db.protocols, NULL, 0, &praxis__protocol__descriptor,
	                     rep_protocol_fn, r)) != PX_OK)
		goto out;
	for (size_t i = 0; i < r->nmem; i++) {
		uint8_t mk[8];
		if ((err = node_scan(txn, n->db.hours, mk, node_key_id(mk, r->mem[i].id),
		                     &praxis__hours_entry__descriptor, rep_hours_fn, r)) != PX_OK)
			goto out;
	}
	if ((err = node_scan(txn, n->db.surveys, k, 8, &praxis__survey_response__descriptor,
	                     rep_survey_fn, r)) != PX_OK)
		goto out;
	rp.from = r->from;
	rp.to = r->to;
	if ((err = px_scan(txn, n->db.plans, k, 8, rep_plan_fn, &rp)) != PX_OK)
		goto out;
	struct rep_appr ap = {year, cJSON_CreateArray(), 0};
	if ((err = node_scan(txn, n->db.approvals, k, 8, &praxis__approval__descriptor,
	                     rep_approval_fn, &ap)) != PX_OK) {
		cJSON_Delete(ap.arr);
		goto out;
	}

	j = cJSON_CreateObject();
	cJSON *co = cJSON_AddObjectToObject(j, "community");
	cJSON_AddNumberToObject(co, "id", (double)c->id);
	cJSON_AddStringToObject(co, "name", c->name);
	cJSON_AddStringToObject(co, "framework", c->framework);
	cJSON_AddStringToObject(co, "region", c->region);
	cJSON_AddStringToObject(co, "host_organization", host ? host->name : "");
	cJSON_AddNumberToObject(j, "year", year);
	node_json_date(j, "period_start", r->from);
	node_json_date(j, "period_end", r->to);
	char gen[32];
	time_t now = time(NULL);
	struct tm tmv;
	gmtime_r(&now, &tmv);
	strftime(gen, sizeof gen, "%Y-%m-%dT%H:%M:%SZ", &tmv);
	cJSON_AddStringToObject(j, "generated_at", gen);

	/* Members. */
	size_t during = 0, active_end = 0, joined = 0, left = 0, erased = 0;
	for (size_t i = 0; i < r->nmem; i++) {
		const rep_member *m = &r->mem[i];
		bool in_year = (m->joined == 0 || m->joined <= r->to) && (m->left == 0 || m->left >= r->from);
		if (!in_year)
			continue;
		during++;
		if (m->left == 0 || m->left > r->to)
			active_end++;
		if (m->joined >= r->from && m->joined <= r->to)
			joined++;
		if (m->left >= r->from && m->left <= r->to)
			left++;
		if (m->status == PRAXIS__MEMBER_STATUS__MEMBER_ERASED)
			erased++;
	}
	cJSON *mo = cJSON_AddObjectToObject(j, "members");
	cJSON_AddNumberToObject(mo, "during_year", (double)during);
	cJSON_AddNumberToObject(mo, "at_year_end", (double)active_end);
	cJSON_AddNumberToObject(mo, "joined", (double)joined);
	cJSON_AddNumberToObject(mo, "left", (double)left);
	cJSON_AddNumberToObject(mo, "erased", (double)erased);

	cJSON *po = cJSON_AddObjectToObject(j, "protocols");
	cJSON_AddNumberToObject(po, "signed_valid", (double)r->p_valid);
	cJSON_AddNumberToObject(po, "unsigned", (double)r->p_draft);
	cJSON_AddNumberToObject(po, "broken", (double)r->p_broken);
	cJSON_AddNumberToObject(po, "cancelled_in_year", (double)r->p_cancelled);

	/* Meetings and attendance. Months without a held meeting: the whole
	 * year, or up to the current month for the current year. */
	cJSON *me = cJSON_AddObjectToObject(j, "meetings");
	cJSON_AddNumberToObject(me, "planned", (double)r->planned);
	cJSON_AddNumberToObject(me, "held", (double)r->held);
	cJSON_AddNumberToObject(me, "held_hours", r->held_hours);
	cJSON *mw = cJSON_AddArrayToObject(me, "months_without_meeting");
	int today = px_date_today();
	int last_month = today / 10000 == year ? today / 100 % 100 : today / 10000 < year ? 0 : 12;
	for (int mth = 1; mth <= last_month; mth++)
		if (!r->month_has[mth]) {
			char ms[16];
			snprintf(ms, sizeof ms, "%04d-%02d", (year % 10000 + 10000) % 10000, mth % 100);
			cJSON_AddItemToArray(mw, cJSON_CreateString(ms));
		}
	cJSON_AddItemToObject(me, "list", r->mlist);
	r->mlist = NULL;

	cJSON *at = cJSON_AddObjectToObject(j, "attendance");
	cJSON_AddNumberToObject(at, "presences", r->presences);
	cJSON_AddNumberToObject(at, "expected", r->expected_held);
	cJSON_AddNumberToObject(at, "attendance_rate", rep_ratio(r->presences, r->expected_held));
	cJSON_AddNumberToObject(at, "rsvp_answers", r->answered);
	cJSON_AddNumberToObject(at, "rsvp_expected", r->expected_all);
	cJSON_AddNumberToObject(at, "rsvp_rate", rep_ratio(r->answered, r->expected_all));

	/* Hours: meeting hours are the attendance credits. */
	double outside = 0;
	for (int mth = 1; mth <= 12; mth++)
		outside += r->month_outside[mth];
	cJSON *ho = cJSON_AddObjectToObject(j, "hours");
	cJSON_AddNumberToObject(ho, "meeting_hours", r->meeting_hours);
	cJSON_AddNumberToObject(ho, "outside_hours", outside);
	cJSON_AddNumberToObject(ho, "total_hours", r->meeting_hours + outside);
	cJSON_AddNumberToObject(ho, "mean_per_member", rep_ratio(r->meeting_hours + outside, (double)during));
	cJSON_AddItemToObject(ho, "approvals", ap.arr);

	if (rp.plan != NULL)
		cJSON_AddItemToObject(j, "plan", rep_plan_json(rp.plan));
	else
		cJSON_AddNullToObject(j, "plan");

	cJSON *so = cJSON_AddObjectToObject(j, "survey");
	cJSON_AddNumberToObject(so, "responses", (double)r->s_count);
	cJSON_AddNumberToObject(so, "mean", rep_ratio(r->s_total, (double)r->s_answers));
	cJSON *bq = cJSON_AddArrayToObject(so, "by_question");
	for (size_t i = 0; i < r->s_maxq; i++)
		cJSON_AddItemToArray(bq, cJSON_CreateNumber(rep_ratio(r->s_sum[i], (double)r->s_n[i])));

	/* Rule findings over the year; a missing plugin is said, not fatal. */
	cJSON *fo = cJSON_AddArrayToObject(j, "findings");
	px_err aerr = node_audit(n, txn, cid, r->from, r->to, &f);
	cJSON_AddBoolToObject(j, "plugin_ok", aerr == PX_OK && !f.plugin_missing);
	for (size_t i = 0; aerr == PX_OK && i < f.n; i++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "rule", f.v[i].rule_id);
		cJSON_AddStringToObject(x, "severity", f.v[i].severity == PXP_ERROR     ? "error"
		                                       : f.v[i].severity == PXP_WARNING ? "warning"
		                                                                        : "info");
		cJSON_AddStringToObject(x, "message", PX_T(f.v[i].message_fr, f.v[i].message_en));
		cJSON_AddItemToArray(fo, x);
	}
	*out = j;
	j = NULL;
	err = PX_OK;
out:
	node_findings_fini(&f);
	cJSON_Delete(j);
	cJSON_Delete(r->mlist);
	free(r->mem);
	free(r);
	node_msg_free(c);
	node_msg_free(host);
	node_msg_free(rp.plan);
	return err;
}

/* -------------------------------------------------------------- renderers */

static double
rep_num(const cJSON *o, const char *path)
{
	/* path: "a.b" */
	char buf[64];
	px_strlcpy(buf, path, sizeof buf);
	const cJSON *cur = o;
	for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
		cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
	return cJSON_IsNumber(cur) ? cur->valuedouble : 0;
}

static const char *
rep_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* The figures every format shows, with their labels. */
typedef struct rep_fig {
	const char *key; /* json path, also the CSV metric */
	const char *fr, *en;
	bool pct;
} rep_fig;

static const rep_fig rep_figs[] = {
	{"members.during_year", "Membres pendant l'année", "Members during the year", false},
	{"members.at_year_end", "Membres en fin d'année", "Members at year end", false},
	{"members.joined", "Adhésions de l'année", "Joined in the year", false},
	{"members.left", "Départs de l'année", "Left in the year", false},
	{"protocols.signed_valid", "Protocoles signés (signatures valides)", "Signed protocols (valid signatures)", false},
	{"protocols.unsigned", "Protocoles à signer", "Protocols awaiting signature", false},
	{"protocols.broken", "Protocoles à signature invalide", "Protocols with a broken signature", false},
	{"protocols.cancelled_in_year", "Protocoles annulés (LAU-7)", "Protocols cancelled (LAU-7)", false},
	{"meetings.planned", "Rencontres planifiées", "Meetings planned", false},
	{"meetings.held", "Rencontres tenues", "Meetings held", false},
	{"meetings.held_hours", "Heures de rencontre tenues", "Hours of meetings held", false},
	{"attendance.presences", "Présences", "Presences", false},
	{"attendance.expected", "Présences attendues", "Expected presences", false},
	{"attendance.attendance_rate", "Taux de présence", "Attendance rate", true},
	{"attendance.rsvp_rate", "Taux de réponse (LAU-5)", "RSVP rate (LAU-5)", true},
	{"hours.meeting_hours", "Heures en rencontre (membres)", "Members' meeting hours", false},
	{"hours.outside_hours", "Heures d'implication hors rencontres", "Involvement hours outside meetings", false},
	{"hours.total_hours", "Heures totales", "Total hours", false},
	{"hours.mean_per_member", "Heures par membre", "Hours per member", false},
	{"survey.responses", "Sondages reçus", "Surveys received", false},
	{"survey.mean", "Satisfaction moyenne (1 à 5)", "Mean satisfaction (1 to 5)", false},
	{NULL, NULL, NULL, false},
};

static void
rep_fmt_num(double v, bool pct, char *out, size_t size)
{
	if (pct)
		snprintf(out, size, "%.1f %%", v * 100);
	else if (v == (double)(long long)v)
		snprintf(out, size, "%lld", (long long)v);
	else
		snprintf(out, size, "%.2f", v);
}

/* Left-aligned label padded to width display columns (UTF-8 aware). */
static void
rep_pad(FILE *o, const char *s, size_t width)
{
	fputs(s, o);
	for (size_t w = node_utf8_width(s); w < width; w++)
		fputc(' ', o);
}

static const char *
rep_sev_name(const char *tok)
{
	if (!strcmp(tok, "error"))
		return PX_T("erreur", "error");
	if (!strcmp(tok, "warning"))
		return PX_T("avertissement", "warning");
	return "info";
}

static void
rep_text(const cJSON *j, FILE *o)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "community");
	fprintf(o, PX_T("RAPPORT ANNUEL %d — %s\n", "ANNUAL REPORT %d — %s\n"), (int)rep_num(j, "year"), rep_str(c, "name"));
	fprintf(o, "%s %s · %s %s · %s %s\n\n", PX_T("Cadre :", "Framework:"), rep_str(c, "framework"),
	        PX_T("région :", "region:"), rep_str(c, "region"), PX_T("organisme hôte :", "host:"),
	        rep_str(c, "host_organization"));
	for (const rep_fig *f = rep_figs; f->key; f++) {
		char v[32];
		rep_fmt_num(rep_num(j, f->key), f->pct, v, sizeof v);
		fputs("  ", o);
		rep_pad(o, PX_T(f->fr, f->en), 44);
		fprintf(o, " %10s\n", v);
	}
	const cJSON *mw = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "meetings"),
	                                                   "months_without_meeting");
	if (cJSON_GetArraySize(mw) > 0) {
		fprintf(o, "\n%s", PX_T("Mois sans rencontre tenue :", "Months without a held meeting:"));
		const cJSON *x;
		cJSON_ArrayForEach(x, mw) fprintf(o, " %s", x->valuestring);
		fprintf(o, "\n");
	}
	fprintf(o, "\n%s\n", PX_T("ACTIVITÉS", "ACTIVITIES"));
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "meetings"), "list");
	if (cJSON_GetArraySize(list) == 0)
		fprintf(o, "  %s\n", PX_T("(aucune rencontre)", "(no meeting)"));
	const cJSON *m;
	cJSON_ArrayForEach(m, list)
	{
		fprintf(o, "  %s  ", rep_str(m, "date"));
		rep_pad(o, rep_kind_name(rep_str(m, "kind")), 17);
		fprintf(o, " %4g h  %s  %s %g/%g  %s %g  %s\n", rep_num(m, "duration_hours"),
		        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "held")) ? PX_T("tenue  ", "held   ")
		                                                                  : PX_T("prévue ", "planned"),
		        PX_T("présences", "present"), rep_num(m, "present"), rep_num(m, "expected"),
		        PX_T("sans réponse", "no answer"), rep_num(m, "no_answer"), rep_str(m, "theme"));
	}
	const cJSON *appr = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "hours"), "approvals");
	if (cJSON_GetArraySize(appr) > 0) {
		fprintf(o, "\n%s\n", PX_T("APPROBATIONS DE DÉPASSEMENT (CIS-3)", "APPROVALS TO EXCEED (CIS-3)"));
		const cJSON *a;
		cJSON_ArrayForEach(a, appr) fprintf(o, "  %s  +%g h  %s%s\n", rep_str(a, "date"), rep_num(a, "extra_hours"),
		                                    rep_str(a, "manager"),
		                                    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "whole_community"))
		                                        ? PX_T(" (toute la communauté)", " (whole community)")
		                                        : "");
	}
	const cJSON *plan = cJSON_GetObjectItemCaseSensitive(j, "plan");
	fprintf(o, "\n%s\n", PX_T("PLAN D'ACTION", "ACTION PLAN"));
	if (!cJSON_IsObject(plan)) {
		fprintf(o, "  %s\n", PX_T("(aucun plan pour cette année)", "(no plan for this year)"));
	} else {
		fprintf(o, "  %s (%s → %s)\n", rep_str(plan, "title"), rep_str(plan, "period_start"), rep_str(plan, "period_end"));
		fprintf(o, PX_T("  Objectifs spécifiques : %g ; atteints (Oui) %g ; non atteints (Non) %g ; à venir %g\n",
		                "  Specific objectives: %g; reached (Yes) %g; not reached (No) %g; pending %g\n"),
		        rep_num(plan, "specific_objectives"), rep_num(plan, "reached"), rep_num(plan, "not_reached"),
		        rep_num(plan, "pending"));
		const cJSON *it;
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(plan, "items"))
		{
			const char *res = rep_str(it, "obtained");
			fprintf(o, "  %-7s %-4s %s\n", rep_str(it, "path"), res[0] ? res : "—", rep_str(it, "text"));
			if (rep_str(it, "gap")[0])
				fprintf(o, "          %s %s\n", PX_T("écart :", "gap:"), rep_str(it, "gap"));
		}
	}
	const cJSON *bq = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "survey"), "by_question");
	if (cJSON_GetArraySize(bq) > 0) {
		fprintf(o, "\n%s\n", PX_T("SONDAGE DE SATISFACTION (moyenne par question)", "SATISFACTION SURVEY (mean per question)"));
		int q = 0;
		const cJSON *x;
		cJSON_ArrayForEach(x, bq) fprintf(o, "  Q%d  %.2f\n", ++q, x->valuedouble);
	}
	const cJSON *fs = cJSON_GetObjectItemCaseSensitive(j, "findings");
	fprintf(o, "\n%s\n", PX_T("CONSTATS DES RÈGLES DU CADRE", "FRAMEWORK RULE FINDINGS"));
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "plugin_ok")))
		fprintf(o, "  %s\n", PX_T("(règles non vérifiées : plugiciel absent)", "(rules not checked: plugin missing)"));
	else if (cJSON_GetArraySize(fs) == 0)
		fprintf(o, "  %s\n", PX_T("(aucun)", "(none)"));
	const cJSON *x;
	cJSON_ArrayForEach(x, fs) fprintf(o, "  %s (%s) %s\n", rep_str(x, "rule"), rep_sev_name(rep_str(x, "severity")),
	                                  rep_str(x, "message"));
}

/* RFC 4180 field. */
static void
rep_csv_field(FILE *o, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, o);
		return;
	}
	fputc('"', o);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', o);
		fputc(*s, o);
	}
	fputc('"', o);
}

static void
rep_csv_row(FILE *o, const char *section, const char *item, const char *metric, const char *value)
{
	rep_csv_field(o, section);
	fputc(',', o);
	rep_csv_field(o, item);
	fputc(',', o);
	rep_csv_field(o, metric);
	fputc(',', o);
	rep_csv_field(o, value);
	fputs("\r\n", o);
}

/* Long format: section,item,metric,value, one figure a row. */
static void
rep_csv(const cJSON *j, FILE *o)
{
	char v[64];
	rep_csv_row(o, "section", "item", "metric", "value");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "community");
	rep_csv_row(o, "community", "", "name", rep_str(c, "name"));
	rep_csv_row(o, "community", "", "framework", rep_str(c, "framework"));
	snprintf(v, sizeof v, "%d", (int)rep_num(j, "year"));
	rep_csv_row(o, "community", "", "year", v);
	for (const rep_fig *f = rep_figs; f->key; f++) {
		char sec[32];
		px_strlcpy(sec, f->key, sizeof sec);
		char *dot = strchr(sec, '.');
		*dot = '\0';
		snprintf(v, sizeof v, "%.6g", rep_num(j, f->key));
		rep_csv_row(o, sec, "", dot + 1, v);
	}
	const cJSON *m;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "meetings"), "list"))
	{
		const char *d = rep_str(m, "date");
		rep_csv_row(o, "meeting", d, "kind", rep_str(m, "kind"));
		rep_csv_row(o, "meeting", d, "theme", rep_str(m, "theme"));
		static const char *nums[] = {"duration_hours", "expected", "confirmed", "absence_notified", "no_answer",
		                             "present", "hours", "attendance_rate"};
		for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
			snprintf(v, sizeof v, "%.6g", rep_num(m, nums[i]));
			rep_csv_row(o, "meeting", d, nums[i], v);
		}
		rep_csv_row(o, "meeting", d, "held", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "held")) ? "1" : "0");
	}
	const cJSON *plan = cJSON_GetObjectItemCaseSensitive(j, "plan");
	if (cJSON_IsObject(plan)) {
		static const char *nums[] = {"specific_objectives", "reached", "not_reached", "pending"};
		for (size_t i = 0; i < 4; i++) {
			snprintf(v, sizeof v, "%.6g", rep_num(plan, nums[i]));
			rep_csv_row(o, "plan", "", nums[i], v);
		}
		const cJSON *it;
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(plan, "items"))
		{
			rep_csv_row(o, "plan", rep_str(it, "path"), "text", rep_str(it, "text"));
			rep_csv_row(o, "plan", rep_str(it, "path"), "obtained", rep_str(it, "obtained"));
			rep_csv_row(o, "plan", rep_str(it, "path"), "gap", rep_str(it, "gap"));
		}
	}
	int q = 0;
	const cJSON *x;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "survey"), "by_question"))
	{
		char item[24];
		snprintf(item, sizeof item, "Q%d", ++q);
		snprintf(v, sizeof v, "%.6g", x->valuedouble);
		rep_csv_row(o, "survey", item, "mean", v);
	}
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(j, "findings"))
	    rep_csv_row(o, "finding", rep_str(x, "rule"), rep_str(x, "severity"), rep_str(x, "message"));
}

static void
rep_html_esc(FILE *o, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", o); break;
		case '>': fputs("&gt;", o); break;
		case '&': fputs("&amp;", o); break;
		case '"': fputs("&quot;", o); break;
		case '\'': fputs("&#39;", o); break;
		default: fputc(*s, o);
		}
	}
}

/* One file, no external resource: inline CSS, bars drawn with CSS widths. */
static void
rep_html(const cJSON *j, FILE *o)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "community");
	fprintf(o, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n<title>", PX_T("fr", "en"));
	fprintf(o, PX_T("Rapport annuel %d — ", "Annual report %d — "), (int)rep_num(j, "year"));
	rep_html_esc(o, rep_str(c, "name"));
	fputs("</title>\n<style>body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}"
	      "h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #ccc;margin-top:2em}"
	      "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.3em .5em;text-align:left}"
	      "th{background:#f3f3f3}td.n{text-align:right}.bar{background:#3a7bd5;height:.8em}"
	      ".oui{color:#17803d;font-weight:bold}.non{color:#b42318;font-weight:bold}.muted{color:#777}</style>\n"
	      "</head><body>\n<h1>",
	      o);
	fprintf(o, PX_T("Rapport annuel %d — ", "Annual report %d — "), (int)rep_num(j, "year"));
	rep_html_esc(o, rep_str(c, "name"));
	fprintf(o, "</h1>\n<p class=\"muted\">%s ", PX_T("Cadre", "Framework"));
	rep_html_esc(o, rep_str(c, "framework"));
	fprintf(o, " · %s ", PX_T("région", "region"));
	rep_html_esc(o, rep_str(c, "region"));
	fprintf(o, " · %s %s</p>\n", PX_T("produit le", "generated"), rep_str(j, "generated_at"));
	fprintf(o, "<h2>%s</h2>\n<table>\n", PX_T("Indicateurs", "Indicators"));
	for (const rep_fig *f = rep_figs; f->key; f++) {
		char v[32];
		rep_fmt_num(rep_num(j, f->key), f->pct, v, sizeof v);
		fprintf(o, "<tr><th>%s</th><td class=\"n\">%s</td></tr>\n", PX_T(f->fr, f->en), v);
	}
	fputs("</table>\n", o);
	fprintf(o, "<h2>%s</h2>\n<table><tr><th>date</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th></th></tr>\n",
	        PX_T("Activités", "Activities"), PX_T("type", "kind"), PX_T("thème", "theme"), PX_T("durée", "duration"),
	        PX_T("présences", "present"), PX_T("sans réponse", "no answer"));
	const cJSON *m;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "meetings"), "list"))
	{
		fprintf(o, "<tr><td>%s</td><td>%s</td><td>", rep_str(m, "date"), rep_kind_name(rep_str(m, "kind")));
		rep_html_esc(o, rep_str(m, "theme"));
		double rate = rep_num(m, "attendance_rate");
		fprintf(o, "</td><td class=\"n\">%g h</td><td class=\"n\">%g / %g</td><td class=\"n\">%g</td>"
		           "<td style=\"width:20%%\"><div class=\"bar\" style=\"width:%.0f%%\"></div></td></tr>\n",
		        rep_num(m, "duration_hours"), rep_num(m, "present"), rep_num(m, "expected"), rep_num(m, "no_answer"),
		        rate > 1 ? 100.0 : rate * 100);
	}
	fputs("</table>\n", o);
	const cJSON *plan = cJSON_GetObjectItemCaseSensitive(j, "plan");
	fprintf(o, "<h2>%s</h2>\n", PX_T("Plan d'action", "Action plan"));
	if (!cJSON_IsObject(plan)) {
		fprintf(o, "<p class=\"muted\">%s</p>\n", PX_T("Aucun plan pour cette année.", "No plan for this year."));
	} else {
		fputs("<p>", o);
		rep_html_esc(o, rep_str(plan, "title"));
		fprintf(o, " (%s → %s)<br>", rep_str(plan, "period_start"), rep_str(plan, "period_end"));
		fprintf(o, PX_T("%g objectifs spécifiques : %g atteints, %g non atteints, %g à venir.",
		                "%g specific objectives: %g reached, %g not reached, %g pending."),
		        rep_num(plan, "specific_objectives"), rep_num(plan, "reached"), rep_num(plan, "not_reached"),
		        rep_num(plan, "pending"));
		fprintf(o, "</p>\n<table><tr><th></th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
		        PX_T("Objectif spécifique", "Specific objective"), PX_T("Résultat obtenu", "Obtained"),
		        PX_T("Explication des écarts", "Explanation of the gap"));
		const cJSON *it;
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(plan, "items"))
		{
			const char *res = rep_str(it, "obtained");
			fprintf(o, "<tr><td>%s</td><td>", rep_str(it, "path"));
			rep_html_esc(o, rep_str(it, "text"));
			fprintf(o, "</td><td class=\"%s\">%s</td><td>", !strcmp(res, "Oui") ? "oui" : !strcmp(res, "Non") ? "non" : "muted",
			        res[0] ? res : "—");
			rep_html_esc(o, rep_str(it, "gap"));
			fputs("</td></tr>\n", o);
		}
		fputs("</table>\n", o);
	}
	fprintf(o, "<h2>%s</h2>\n<table>\n", PX_T("Sondage de satisfaction", "Satisfaction survey"));
	int q = 0;
	const cJSON *x;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "survey"), "by_question"))
	fprintf(o, "<tr><th>Q%d</th><td class=\"n\">%.2f</td><td style=\"width:50%%\"><div class=\"bar\" style=\"width:%.0f%%\"></div></td></tr>\n",
	        ++q, x->valuedouble, x->valuedouble / 5 * 100);
	fputs("</table>\n", o);
	fprintf(o, "<h2>%s</h2>\n<ul>\n", PX_T("Constats des règles du cadre", "Framework rule findings"));
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(j, "findings"))
	{
		fprintf(o, "<li><b>%s</b> (%s) ", rep_str(x, "rule"), rep_str(x, "severity"));
		rep_html_esc(o, rep_str(x, "message"));
		fputs("</li>\n", o);
	}
	fputs("</ul>\n</body></html>\n", o);
}

/* ---------------------------------------------------------------- command */

static int
rep_annual(px_node *n, const node_args *a)
{
	int rc = NODE_EXIT_OK;
	px_txn *txn = NULL;
	cJSON *j = NULL;
	FILE *out = NULL;
	px_err err;
	const char *fmt = node_opt_get(a->opts, "format");
	if (fmt == NULL)
		fmt = n->json ? "json" : "text";
	if (strcmp(fmt, "text") && strcmp(fmt, "csv") && strcmp(fmt, "json") && strcmp(fmt, "html")) {
		rc = node_fail(n, PX_EINVAL, PX_T("format inconnu « %s » (text, csv, json ou html)",
		                                  "unknown format '%s' (text, csv, json or html)"),
		               fmt);
		goto done;
	}
	char *end;
	errno = 0;
	long year = strtol(a->pos[1], &end, 10);
	if (errno != 0 || *end != '\0' || end == a->pos[1] || year < 1900 || year > 2200) {
		rc = node_fail(n, PX_EINVAL, PX_T("année invalide « %s » (AAAA)", "invalid year '%s' (YYYY)"), a->pos[1]);
		goto done;
	}
	if (node_txn_begin(n, true, &txn, &rc) != PX_OK)
		goto done;
	uint64_t cid;
	if (node_resolve_community(n, txn, a->pos[0], &cid) != PX_OK) {
		rc = node_fail(n, PX_ENOTFOUND, PX_T("communauté « %s » introuvable", "community '%s' not found"), a->pos[0]);
		goto done;
	}
	if ((err = rep_build(n, txn, cid, (int)year, &j)) != PX_OK) {
		rc = node_fail(n, err, PX_T("rapport impossible : %s", "cannot build the report: %s"), px_strerror_user(err));
		goto done;
	}
	/* CIS-5: the node remembers that the year's report was produced. */
	uint8_t k[12], v[8];
	px_be64(v, (uint64_t)time(NULL));
	if ((err = px_put(txn, n->db.annual_reports, k, node_key_id_u32(k, cid, (uint32_t)year), v, 8)) != PX_OK) {
		rc = node_store_fail(n, err);
		goto done;
	}
	const char *path = node_opt_get(a->opts, "output");
	if (path != NULL) {
		if ((out = fopen(path, "w")) == NULL) {
			rc = node_fail(n, PX_EIO, PX_T("impossible d'écrire %s : %s", "cannot write %s: %s"), path, strerror(errno));
			goto done;
		}
	}
	FILE *o = out != NULL ? out : stdout;
	if (!strcmp(fmt, "json")) {
		char *s = cJSON_Print(j);
		if (s != NULL) {
			fputs(s, o);
			fputc('\n', o);
		}
		free(s);
	} else if (!strcmp(fmt, "csv")) {
		rep_csv(j, o);
	} else if (!strcmp(fmt, "html")) {
		rep_html(j, o);
	} else {
		rep_text(j, o);
	}
	if (out != NULL) {
		int bad = ferror(out);
		if (fclose(out) != 0 || bad) {
			out = NULL;
			rc = node_fail(n, PX_EIO, PX_T("écriture de %s incomplète", "writing %s failed"), path);
			goto done;
		}
		out = NULL;
	}
	if ((rc = node_txn_commit(n, &txn)) == NODE_EXIT_OK && path != NULL && !n->json)
		fprintf(stderr, PX_T("Rapport écrit dans %s\n", "Report written to %s\n"), path);
done:
	if (out != NULL)
		fclose(out);
	cJSON_Delete(j);
	px_txn_abort(txn);
	return rc;
}

