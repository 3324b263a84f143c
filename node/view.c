/*
 * view.c - builds the plugins' read-only view (pxp_community) of one
 * community from the store.
 *
 * Every string of the view is borrowed from a protobuf message unpacked
 * here and kept in the view until node_view_free, so nothing points into
 * LMDB's map after the transaction moves on. Personal names and birth
 * dates never reach the view (plugin.h promises it): only whether the
 * protocol records them.
 */
#define _GNU_SOURCE
#include "view.h"

#include <stdlib.h>
#include <string.h>

#include "canon.h"

struct node_view {
	pxp_community c;
	Praxis__Community *rec;
	ProtobufCMessage **msgs; /* unpacked messages the view borrows from */
	size_t n_msgs, cap_msgs;
	pxp_org *orgs;             size_t n_orgs, cap_orgs;
	pxp_member *members;       size_t n_members, cap_members;
	pxp_protocol *protocols;   size_t n_protocols, cap_protocols;
	pxp_meeting *meetings;     size_t n_meetings, cap_meetings;
	pxp_attendance *attendance; size_t n_attendance, cap_attendance;
	pxp_hours *hours;          size_t n_hours, cap_hours;
	pxp_approval *approvals;   size_t n_approvals, cap_approvals;
	pxp_plan_item *plan;       size_t n_plan, cap_plan;
	pxp_survey *surveys;       size_t n_surveys, cap_surveys;
	pxp_facilitator *facs;     size_t n_facs, cap_facs;
	px_node *n;
	px_txn *txn;
	bool bulk; /* read protocols and hours with one scan each */
};

/* Grows an array by one element and returns a pointer to it (zeroed). */
static void *
view_push(void **arr, size_t *n, size_t *cap, size_t elem)
{
	if (node_reserve(arr, *n, cap, elem) != PX_OK)
		return NULL;
	void *e = (char *)*arr + (*n)++ * elem;
	memset(e, 0, elem);
	return e;
}
#define VIEW_PUSH(v, f) view_push((void **)&(v)->f, &(v)->n_##f, &(v)->cap_##f, sizeof *(v)->f)

static px_err
view_keep(node_view *v, ProtobufCMessage *m)
{
	if (VIEW_PUSH(v, msgs) == NULL) {
		protobuf_c_message_free_unpacked(m, NULL);
		return PX_ENOMEM;
	}
	v->msgs[v->n_msgs - 1] = m;
	return PX_OK;
}

static const char *
view_str(const char *s)
{
	return s != NULL ? s : "";
}

static px_err
view_org(void *arg, px_val key, px_val val)
{
	node_view *v = arg;
	(void)key;
	Praxis__Organization *o = praxis__organization__unpack(NULL, val.size, val.data);
	if (o == NULL)
		return PX_ECORRUPT;
	px_err err = view_keep(v, &o->base);
	if (err != PX_OK)
		return err;
	pxp_org *po = VIEW_PUSH(v, orgs);
	if (po == NULL)
		return PX_ENOMEM;
	po->id = o->id;
	po->name = view_str(o->name);
	po->sector = (int)o->sector;
	po->region = view_str(o->region);
	po->has_director = o->director_name != NULL && o->director_name[0] != '\0';
	po->rocfm_member = o->rocfm_member;
	po->volunteer_venue = o->volunteer_venue;
	return PX_OK;
}

static px_err
view_protocol_of(void *arg, px_val key, px_val val)
{
	node_view *v = arg;
	(void)val;
	if (key.size != 16)
		return PX_ECORRUPT;
	uint64_t pid = px_rd64((const uint8_t *)key.data + 8);
	Praxis__Protocol *p = NULL;
	px_err err = node_protocol_get(v->n, v->txn, pid, &p);
	if (err == PX_ENOTFOUND)
		return PX_OK;
	if (err != PX_OK)
		return err;
	/* The protocol's names stay here: the view only says they exist. */
	pxp_protocol *pp = VIEW_PUSH(v, protocols);
	if (pp == NULL) {
		protobuf_c_message_free_unpacked(&p->base, NULL);
		return PX_ENOMEM;
	}
	pp->member_id = p->member_id;
	pp->cancelled = p->status == PRAXIS__PROTOCOL_STATUS__PROTOCOL_CANCELLED;
	const Praxis__Signature *ms = node_protocol_signature(p, NODE_SIGNER_MEMBER);
	const Praxis__Signature *ds = node_protocol_signature(p, NODE_SIGNER_DIRECTOR);
	bool mok = false, dok = false;
	px_err verr = node_protocol_verify(p, &mok, &dok);
	(void)verr; /* the booleans say which signature is missing or broken */
	pp->member_signed = ms != NULL;
	pp->member_sig_valid = mok;
	pp->member_date = ms != NULL ? ms->date : 0;
	pp->director_signed = ds != NULL;
	pp->director_sig_valid = dok;
	pp->director_date = ds != NULL ? ds->date : 0;
	pp->has_family_name = p->family_name != NULL && p->family_name[0] != '\0';
	pp->has_first_name = p->first_name != NULL && p->first_name[0] != '\0';
	pp->has_birth_day_month = p->birth_day > 0 && p->birth_month > 0;
	pp->has_org = (p->org_name != NULL && p->org_name[0] != '\0') || p->org_id != 0;
	pp->has_director_name = p->director_name != NULL && p->director_name[0] != '\0';
	/* An erased member's names left by right, not by omission (LAU-2). */
	if (p->erased)
		pp->has_family_name = pp->has_first_name = pp->has_birth_day_month = true;
	protobuf_c_message_free_unpacked(&p->base, NULL);
	return PX_OK;
}

static px_err
view_hours_of(void *arg, px_val key, px_val val)
{
	node_view *v = arg;
	(void)key;
	Praxis__HoursEntry *h = praxis__hours_entry__unpack(NULL, val.size, val.data);
	if (h == NULL)
		return PX_ECORRUPT;
	pxp_hours *ph = VIEW_PUSH(v, hours);
	if (ph == NULL) {
		protobuf_c_message_free_unpacked(&h->base, NULL);
		return PX_ENOMEM;
	}
	ph->member_id = h->member_id;
	ph->month = h->month;
	ph->hours = h->hours;
	protobuf_c_message_free_unpacked(&h->base, NULL);
	return PX_OK;
}

static px_err
view_member(void *arg, px_val key, px_val val)
{
	node_view *v = arg;
	(void)val;
	if (key.size != 16)
		return PX_ECORRUPT;
	uint64_t mid = px_rd64((const uint8_t *)key.data + 8);
	Praxis__Member *m = NULL;
	px_err err = node_member_get(v->n, v->txn, mid, &m);
	if (err == PX_ENOTFOUND)
		return PX_OK;
	if (err != PX_OK)
		return err;
	if ((err = view_keep(v, &m->base)) != PX_OK)
		return err;
	pxp_member *pm = VIEW_PUSH(v, members);
	if (pm == NULL)
		return PX_ENOMEM;
	pm->id = m->id;
	pm->org_id = m->org_id;
	pm->status = (int)m->status;
	pm->role = (int)m->role;
	pm->joined = m->joined;
	pm->left = m->left;
	pm->job_title = view_str(m->job_title);
	pm->discipline = view_str(m->discipline);
	pm->directory_consent = m->directory_consent;
	pm->in_directory = m->directory_consent && m->status != PRAXIS__MEMBER_STATUS__MEMBER_ERASED;
	for (size_t i = 0; i < m->n_history; i++)
		if (m->history[i]->to == PRAXIS__MEMBER_STATUS__MEMBER_CANCELLED &&
		    m->history[i]->reason != NULL && m->history[i]->reason[0] != '\0')
			pm->cancel_reason_recorded = true;
	/* An erased member's reasons are gone with her data; the erasure
	 * record itself says a reason existed. */
	if (m->status == PRAXIS__MEMBER_STATUS__MEMBER_ERASED)
		pm->cancel_reason_recorded = true;
	pm->participation_imposed = m->participation_imposed;

	return PX_OK; /* her protocols and hours: see node_view_build */
}

/* Is id one of the view's members? They were appended in id order (the
 * members_by_community keys sort by member id). */
static bool
view_has_member(const node_view *v, uint64_t id)
{
	size_t lo = 0, hi = v->n_members;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->members[mid].id == id)
			return true;
		if (v->members[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static px_err
view_bulk_protocol(void *arg, px_val key, px_val val)
{
	node_view *v = arg;
	if (key.size != 16 || !view_has_member(v, px_rd64(key.data)))
		return PX_OK;
	return view_protocol_of(arg, key, val);
}

static px_err
view_bulk_hours(void *arg, px_val key, px_val val)
{
	node_view *v = arg;
	if (key.size != 12 || !view_has_member(v, px_rd64(key.data)))
		return PX_OK;
	return view_hours_of(arg, key, val);
}

static px_err
view_meeting(void *arg, px_val key, px_val val)
{
	node_view *v = arg;
	(void)val;
	if (key.size != 20)
		return PX_ECORRUPT;
	uint64_t id = px_rd64((const uint8_t *)key.data + 12);
	Praxis__Meeting *m = NULL;
	px_err err = node_meeting_get(v->n, v->txn, id, &m);
	if (err == PX_ENOTFOUND)
		return PX_OK;
	if (err != PX_OK)
		return err;
	pxp_meeting *pm = VIEW_PUSH(v, meetings);
	if (pm == NULL) {
		protobuf_c_message_free_unpacked(&m->base, NULL);
		return PX_ENOMEM;
	}
	pm->id = m->id;
	pm->kind = (int)m->kind;
	pm->date = m->date;
	pm->start_time = m->start_time;
	pm->duration_hours = m->duration_hours;
	pm->modality = (int)m->modality;
	pm->venue_org_id = m->venue_org_id;
	pm->has_theme = m->theme != NULL && m->theme[0] != '\0';
	pm->theme_chosen_by_members = m->theme_chosen_by_members;
	pm->speakers = (int)m->n_speakers;
	protobuf_c_message_free_unpacked(&m->base, NULL);
	return PX_OK;
}

static px_err
view_attendance(void *arg, px_val key, void *msg)
{
	node_view *v = arg;
	(void)key;
	Praxis__Attendance *a = msg;
	pxp_attendance *pa = VIEW_PUSH(v, attendance);
	if (pa == NULL)
		return PX_ENOMEM;
	pa->meeting_id = a->meeting_id;
	pa->member_id = a->member_id;
	pa->rsvp = (int)a->rsvp;
	pa->present = a->present;
	pa->hours = a->hours;
	return PX_OK;
}

static px_err
view_approval(void *arg, px_val key, void *msg)
{
	node_view *v = arg;
	(void)key;
	Praxis__Approval *a = msg;
	pxp_approval *pa = VIEW_PUSH(v, approvals);
	if (pa == NULL)
		return PX_ENOMEM;
	pa->member_id = a->member_id;
	pa->year = a->year;
	pa->extra_hours = a->extra_hours;
	pa->date = a->date;
	return PX_OK;
}

static px_err
view_survey(void *arg, px_val key, px_val val)
{
	node_view *v = arg;
	(void)key;
	Praxis__SurveyResponse *s = praxis__survey_response__unpack(NULL, val.size, val.data);
	if (s == NULL)
		return PX_ECORRUPT;
	px_err err = view_keep(v, &s->base);
	if (err != PX_OK)
		return err;
	pxp_survey *ps = VIEW_PUSH(v, surveys);
	if (ps == NULL)
		return PX_ENOMEM;
	ps->member_id = s->member_id;
	ps->period = view_str(s->period);
	ps->answers = s->answers;
	ps->n_answers = s->n_answers;
	return PX_OK;
}

static int32_t
view_year_start(int32_t ymd)
{
	return ymd / 10000 * 10000 + 101;
}

px_err
node_view_build(px_node *n, px_txn *txn, uint64_t community, int32_t period_start, int32_t period_end,
                node_view **out)
{
	*out = NULL;
	node_view *v = calloc(1, sizeof *v);
	if (v == NULL)
		return PX_ENOMEM;
	v->n = n;
	v->txn = txn;
	px_err err = node_community_get(n, txn, community, &v->rec);
	if (err != PX_OK)
		goto fail;
	const Praxis__Community *r = v->rec;
	uint8_t k[8];
	node_key_id(k, community);

	if ((err = px_scan(txn, n->db.orgs, NULL, 0, view_org, v)) != PX_OK)
		goto fail;
	/* A community with many members: one scan of each member-keyed table
	 * beats a cursor per member, as long as the tables are not much bigger
	 * than the community (other communities' rows are skipped). */
	size_t n_prot = 0, n_hours = 0;
	if ((err = px_scan(txn, n->db.members_by_community, k, 8, view_member, v)) != PX_OK)
		goto fail;
	if ((err = px_count(txn, n->db.protocols_by_member, &n_prot)) != PX_OK ||
	    (err = px_count(txn, n->db.hours, &n_hours)) != PX_OK)
		goto fail;
	v->bulk = v->n_members >= 64 && n_prot + n_hours <= 8 * v->n_members;
	if (v->bulk) {
		if ((err = px_scan(txn, n->db.protocols_by_member, NULL, 0, view_bulk_protocol, v)) != PX_OK ||
		    (err = px_scan(txn, n->db.hours, NULL, 0, view_bulk_hours, v)) != PX_OK)
			goto fail;
	} else {
		/* Few members: a cursor per member. The loop reads members[i]
		 * by index because the scans append to other arrays only. */
		for (size_t i = 0; i < v->n_members; i++) {
			uint8_t mk[8];
			node_key_id(mk, v->members[i].id);
			if ((err = px_scan(txn, n->db.protocols_by_member, mk, 8, view_protocol_of, v)) != PX_OK ||
			    (err = px_scan(txn, n->db.hours, mk, 8, view_hours_of, v)) != PX_OK)
				goto fail;
		}
	}
	if ((err = px_scan(txn, n->db.meetings_by_community, k, 8, view_meeting, v)) != PX_OK)
		goto fail;
	if ((err = node_scan(txn, n->db.attendance, k, 8, &praxis__attendance__descriptor,
	                     view_attendance, v)) != PX_OK)
		goto fail;
	if ((err = node_scan(txn, n->db.approvals, k, 8, &praxis__approval__descriptor,
	                     view_approval, v)) != PX_OK)
		goto fail;
	if ((err = px_scan(txn, n->db.surveys, k, 8, view_survey, v)) != PX_OK)
		goto fail;

	Praxis__Plan *plan = NULL;
	err = node_plan_latest(n, txn, community, &plan);
	if (err == PX_OK) {
		if ((err = view_keep(v, &plan->base)) != PX_OK)
			goto fail;
		v->c.plan_start = plan->period_start;
		v->c.plan_end = plan->period_end;
		for (size_t i = 0; i < plan->n_items; i++) {
			const Praxis__PlanItem *it = plan->items[i];
			pxp_plan_item *pi = VIEW_PUSH(v, plan);
			if (pi == NULL) {
				err = PX_ENOMEM;
				goto fail;
			}
			pi->id = it->id;
			pi->parent_id = it->parent_id;
			pi->level = (int)it->level;
			pi->obtained = (int)it->obtained;
			pi->has_expected = it->expected != NULL && it->expected[0] != '\0';
			pi->has_responsible = it->responsible != NULL && it->responsible[0] != '\0';
			pi->category = view_str(it->category);
		}
	} else if (err != PX_ENOTFOUND) {
		goto fail;
	}

	for (size_t i = 0; i < r->n_facilitators; i++) {
		pxp_facilitator *pf = VIEW_PUSH(v, facs);
		if (pf == NULL) {
			err = PX_ENOMEM;
			goto fail;
		}
		pf->role = (int)r->facilitators[i]->role;
		pf->member_id = r->facilitators[i]->member_id;
		pf->mandate_start = r->facilitators[i]->mandate_start;
		pf->mandate_end = r->facilitators[i]->mandate_end;
	}

	pxp_community *c = &v->c;
	c->size = (uint32_t)sizeof *c;
	c->id = r->id;
	c->name = view_str(r->name);
	c->framework = view_str(r->framework);
	c->region = view_str(r->region);
	c->job_title = view_str(r->job_title);
	c->sponsor = view_str(r->sponsor_manager);
	c->host_org_id = r->host_org_id;
	c->cycle_start = r->cycle_start;
	c->cycle_end = r->cycle_end;
	c->today = px_date_today();
	if (period_start == 0 && period_end == 0) {
		if (c->plan_start != 0 && c->plan_end != 0) {
			period_start = c->plan_start;
			period_end = c->plan_end;
		} else {
			period_start = view_year_start(c->today);
			period_end = period_start - 101 + 1231;
		}
	}
	c->period_start = period_start;
	c->period_end = period_end;

	/* CIS-5: an annual report of the period's last year was produced. */
	uint8_t rk[12];
	px_val rv;
	int32_t year = (period_end != 0 ? period_end : c->today) / 10000;
	err = px_get(txn, n->db.annual_reports, rk, node_key_id_u32(rk, community, (uint32_t)year), &rv);
	if (err == PX_OK)
		c->has_annual_report = true;
	else if (err != PX_ENOTFOUND)
		goto fail;

	c->membership_fee = r->membership_fee;
	c->tools_produced = r->tools_produced;
	c->times_called_on = r->times_called_on;

	c->orgs = v->orgs, c->n_orgs = v->n_orgs;
	c->members = v->members, c->n_members = v->n_members;
	c->protocols = v->protocols, c->n_protocols = v->n_protocols;
	c->meetings = v->meetings, c->n_meetings = v->n_meetings;
	c->attendance = v->attendance, c->n_attendance = v->n_attendance;
	c->hours = v->hours, c->n_hours = v->n_hours;
	c->approvals = v->approvals, c->n_approvals = v->n_approvals;
	c->plan = v->plan, c->n_plan = v->n_plan;
	c->surveys = v->surveys, c->n_surveys = v->n_surveys;
	c->facilitators = v->facs, c->n_facilitators = v->n_facs;
	v->txn = NULL;
	*out = v;
	return PX_OK;
fail:
	node_view_free(v);
	return err;
}

#define VIEW_FILTER(arr, cnt, keep)                                                    \
	do {                                                                           \
		size_t o_ = 0;                                                         \
		for (size_t i_ = 0; i_ < (cnt); i_++)                                  \
			if (keep(&(arr)[i_]))                                          \
				(arr)[o_++] = (arr)[i_];                               \
		(cnt) = o_;                                                            \
	} while (0)

static uint64_t view_drop_member, view_drop_meeting;
static bool view_keep_member(const pxp_member *m) { return m->id != view_drop_member; }
static bool view_keep_protocol(const pxp_protocol *p) { return p->member_id != view_drop_member; }
static bool view_keep_hours(const pxp_hours *h) { return h->member_id != view_drop_member; }
static bool view_keep_approval(const pxp_approval *a) { return view_drop_member == 0 || a->member_id != view_drop_member; }
static bool view_keep_survey(const pxp_survey *s) { return s->member_id != view_drop_member; }
static bool view_keep_meeting(const pxp_meeting *m) { return m->id != view_drop_meeting; }
static bool
view_keep_att(const pxp_attendance *a)
{
	return a->member_id != view_drop_member && a->meeting_id != view_drop_meeting;
}

void
node_view_drop(node_view *v, uint64_t member_id, uint64_t meeting_id)
{
	/* Single-threaded CLI: the filter's parameters live in statics. */
	view_drop_member = member_id;
	view_drop_meeting = meeting_id;
	VIEW_FILTER(v->members, v->n_members, view_keep_member);
	VIEW_FILTER(v->protocols, v->n_protocols, view_keep_protocol);
	VIEW_FILTER(v->hours, v->n_hours, view_keep_hours);
	VIEW_FILTER(v->approvals, v->n_approvals, view_keep_approval);
	VIEW_FILTER(v->surveys, v->n_surveys, view_keep_survey);
	VIEW_FILTER(v->meetings, v->n_meetings, view_keep_meeting);
	VIEW_FILTER(v->attendance, v->n_attendance, view_keep_att);
	v->c.n_members = v->n_members;
	v->c.n_protocols = v->n_protocols;
	v->c.n_hours = v->n_hours;
	v->c.n_approvals = v->n_approvals;
	v->c.n_surveys = v->n_surveys;
	v->c.n_meetings = v->n_meetings;
	v->c.n_attendance = v->n_attendance;
}

static const pxp_change *view_drop_chg;
static bool
view_keep_chg_att(const pxp_attendance *a)
{
	return a->member_id != view_drop_chg->member_id || a->meeting_id != view_drop_chg->meeting_id;
}
static bool
view_keep_chg_hours(const pxp_hours *h)
{
	return h->member_id != view_drop_chg->member_id || h->month != view_drop_chg->month;
}

void
node_view_drop_change(node_view *v, const pxp_change *change)
{
	view_drop_chg = change;
	if (change->kind == PXP_CHANGE_ATTENDANCE) {
		VIEW_FILTER(v->attendance, v->n_attendance, view_keep_chg_att);
		v->c.n_attendance = v->n_attendance;
	} else if (change->kind == PXP_CHANGE_HOURS) {
		VIEW_FILTER(v->hours, v->n_hours, view_keep_chg_hours);
		v->c.n_hours = v->n_hours;
	}
	view_drop_chg = NULL;
}

const pxp_community *
node_view_community(const node_view *v)
{
	return &v->c;
}

const Praxis__Community *
node_view_record(const node_view *v)
{
	return v->rec;
}

void
node_view_free(node_view *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n_msgs; i++)
		protobuf_c_message_free_unpacked(v->msgs[i], NULL);
	free(v->msgs);
	if (v->rec != NULL)
		protobuf_c_message_free_unpacked(&v->rec->base, NULL);
	free(v->orgs);
	free(v->members);
	free(v->protocols);
	free(v->meetings);
	free(v->attendance);
	free(v->hours);
	free(v->approvals);
	free(v->plan);
	free(v->surveys);
	free(v->facs);
	free(v);
}
