/*
 * views.h - community views built in C for the plugin tests and the bench:
 * one compliant community per framework, which tests then break one rule
 * at a time. Everything lives in one struct (no heap), wired by vw_wire.
 */
#ifndef PXT_VIEWS_H
#define PXT_VIEWS_H

#include <praxis/plugin.h>
#include <stdio.h>
#include <string.h>

#define VW_MAX_MEMBERS 1100
#define VW_MAX_MEETINGS 64
#define VW_MAX_ATT (VW_MAX_MEMBERS * 12)

typedef struct vw {
	pxp_community c;
	pxp_org orgs[4];
	pxp_member members[VW_MAX_MEMBERS];
	pxp_protocol protocols[VW_MAX_MEMBERS];
	pxp_meeting meetings[VW_MAX_MEETINGS];
	pxp_attendance att[VW_MAX_ATT];
	pxp_hours hours[64];
	pxp_approval approvals[4];
	pxp_plan_item plan[8];
	pxp_survey surveys[4];
	int32_t answers[4][4];
	pxp_facilitator fac[4];
	char disc[VW_MAX_MEMBERS][24];
} vw;

/* Points the view's arrays at the struct's storage (counts kept). */
static inline void
vw_wire(vw *v)
{
	pxp_community *c = &v->c;
	c->size = sizeof(pxp_community);
	c->orgs = v->orgs;
	c->members = v->members;
	c->protocols = v->protocols;
	c->meetings = v->meetings;
	c->attendance = v->att;
	c->hours = v->hours;
	c->approvals = v->approvals;
	c->plan = v->plan;
	c->surveys = v->surveys;
	c->facilitators = v->fac;
}

static inline void
vw_base(vw *v, const char *framework)
{
	memset(v, 0, sizeof(*v));
	pxp_community *c = &v->c;
	c->id = 1;
	c->name = "CdP";
	c->framework = framework;
	c->region = "";
	c->job_title = "";
	c->sponsor = "";
	for (int i = 0; i < 4; i++)
		v->orgs[i] = (pxp_org){.id = (uint64_t)i + 1, .name = "Org", .sector = i + 1, .region = "",
		                       .has_director = true, .rocfm_member = true, .volunteer_venue = true};
	c->n_orgs = 3;
	vw_wire(v);
}

static inline pxp_member *
vw_member(vw *v, uint64_t id, uint64_t org, int role, int32_t joined)
{
	pxp_member *m = &v->members[v->c.n_members++];
	snprintf(v->disc[id % VW_MAX_MEMBERS], sizeof(v->disc[0]), "discipline %d", (int)(id % 3));
	*m = (pxp_member){.id = id, .org_id = org, .status = PXP_MEMBER_ACTIVE, .role = role,
	                  .joined = joined, .job_title = "", .discipline = v->disc[id % VW_MAX_MEMBERS],
	                  .directory_consent = true, .in_directory = true};
	return m;
}

static inline pxp_protocol *
vw_protocol(vw *v, uint64_t member)
{
	pxp_protocol *p = &v->protocols[v->c.n_protocols++];
	*p = (pxp_protocol){.member_id = member, .member_signed = true, .member_sig_valid = true,
	                    .member_date = 20240901, .director_signed = true, .director_sig_valid = true,
	                    .director_date = 20240902, .has_family_name = true, .has_first_name = true,
	                    .has_birth_day_month = true, .has_org = true, .has_director_name = true};
	return p;
}

static inline pxp_meeting *
vw_meeting(vw *v, uint64_t id, int kind, int32_t date, double hours, int modality)
{
	pxp_meeting *m = &v->meetings[v->c.n_meetings++];
	*m = (pxp_meeting){.id = id, .kind = kind, .date = date, .start_time = 1300,
	                   .duration_hours = hours, .modality = modality,
	                   .venue_org_id = modality == PXP_MODALITY_IN_PERSON ? 1 : 0, .has_theme = true,
	                   .theme_chosen_by_members = true};
	return m;
}

/* Every active member attends every meeting, confirmed and present. */
static inline void
vw_attend_all(vw *v, double hours)
{
	for (size_t i = 0; i < v->c.n_meetings; i++)
		for (size_t k = 0; k < v->c.n_members && v->c.n_attendance < VW_MAX_ATT; k++)
			v->att[v->c.n_attendance++] = (pxp_attendance){
				.meeting_id = v->meetings[i].id, .member_id = v->members[k].id,
				.rsvp = PXP_RSVP_CONFIRMED, .present = true, .hours = hours};
}

static inline pxp_attendance *
vw_att(vw *v, uint64_t meeting, uint64_t member)
{
	for (size_t i = 0; i < v->c.n_attendance; i++)
		if (v->att[i].meeting_id == meeting && v->att[i].member_id == member)
			return &v->att[i];
	return NULL;
}

/* Laurentides: 4 members with signed protocols, one virtual meeting a
 * month January-May 2025 (plan 2025), audited on 2025-06-15. */
static inline void
vw_laurentides(vw *v)
{
	vw_base(v, "laurentides");
	pxp_community *c = &v->c;
	c->today = 20250615;
	c->period_start = 20250101;
	c->period_end = 20250531;
	c->plan_start = 20250101;
	c->plan_end = 20251231;
	c->region = "Laurentides";
	for (uint64_t id = 1; id <= 4; id++) {
		vw_member(v, id, 1 + id % 2, PXP_ROLE_MEMBER, 20240901);
		vw_protocol(v, id);
	}
	for (int m = 1; m <= 5; m++)
		vw_meeting(v, 100 + (uint64_t)m, PXP_MEETING_REGULAR, 20250015 + m * 100, 2, PXP_MODALITY_VIRTUAL);
	vw_attend_all(v, 2);
	static const int32_t ans[] = {4, 5, 4};
	v->surveys[0] = (pxp_survey){.member_id = 1, .period = "2025", .answers = ans, .n_answers = 3};
	c->n_surveys = 1;
	c->tools_produced = 2;
	c->times_called_on = 1;
}

/* ROCFM: the 2025 calendar held in full, audited on 2026-01-15. */
static inline void
vw_rocfm(vw *v)
{
	vw_base(v, "rocfm");
	pxp_community *c = &v->c;
	c->today = 20260115;
	c->period_start = 20250101;
	c->period_end = 20251231;
	v->orgs[1].volunteer_venue = false;
	for (uint64_t id = 1; id <= 4; id++)
		vw_member(v, id, 1 + id % 2, PXP_ROLE_MEMBER, 20240901);
	for (int m = 1; m <= 6; m++)
		vw_meeting(v, 100 + (uint64_t)m, PXP_MEETING_REGULAR, 20250010 + m * 100, 3,
		           m == 3 ? PXP_MODALITY_IN_PERSON : PXP_MODALITY_VIRTUAL);
	vw_meeting(v, 109, PXP_MEETING_REVIEW, 20250918, 3, PXP_MODALITY_VIRTUAL);
	vw_meeting(v, 112, PXP_MEETING_WELCOME, 20251204, 3, PXP_MODALITY_IN_PERSON);
	vw_attend_all(v, 3);
	v->hours[c->n_hours++] = (pxp_hours){.member_id = 1, .month = 202503, .hours = 1.5};
	v->hours[c->n_hours++] = (pxp_hours){.member_id = 1, .month = 202503, .hours = 0.5};
	v->fac[c->n_facilitators++] = (pxp_facilitator){.role = PXP_FAC_COORDINATOR, .member_id = 1};
	v->fac[c->n_facilitators++] = (pxp_facilitator){.role = PXP_FAC_COORDINATOR, .member_id = 2};
}

/* CISSS: 3 social workers, plan and report for 2025, 4 meetings of 3 h
 * plus 10 h of preparation (22 h <= 24), audited on 2026-01-15. */
static inline void
vw_cisss(vw *v)
{
	vw_base(v, "cisss");
	pxp_community *c = &v->c;
	c->today = 20260115;
	c->period_start = 20250101;
	c->period_end = 20251231;
	c->plan_start = 20250101;
	c->plan_end = 20251231;
	c->has_annual_report = true;
	c->job_title = "Travailleur social";
	c->sponsor = "Gestionnaire du programme";
	vw_member(v, 1, 1, PXP_ROLE_MEMBER, 20240901)->job_title = " travailleur SOCIAL ";
	vw_member(v, 2, 1, PXP_ROLE_MEMBER, 20240901)->job_title = "Travailleur social";
	vw_member(v, 3, 1, PXP_ROLE_MEMBER, 20240901)->job_title = "Travailleur social";
	for (int m = 0; m < 4; m++)
		vw_meeting(v, 100 + (uint64_t)m, PXP_MEETING_REGULAR, 20250215 + m * 200, 3, PXP_MODALITY_VIRTUAL);
	vw_attend_all(v, 0); /* hours from the meeting's duration */
	v->hours[c->n_hours++] = (pxp_hours){.member_id = 1, .month = 202503, .hours = 6};
	v->hours[c->n_hours++] = (pxp_hours){.member_id = 1, .month = 202505, .hours = 4};
	v->fac[c->n_facilitators++] = (pxp_facilitator){.role = PXP_FAC_ANIMATOR, .member_id = 2,
	                                                .mandate_start = 20250901, .mandate_end = 20260831};
	v->plan[c->n_plan++] = (pxp_plan_item){.id = 1, .level = PXP_PLAN_PRIORITY, .category = ""};
	v->plan[c->n_plan++] = (pxp_plan_item){.id = 2, .parent_id = 1, .level = PXP_PLAN_GENERAL, .category = ""};
	v->plan[c->n_plan++] = (pxp_plan_item){.id = 3, .parent_id = 2, .level = PXP_PLAN_SPECIFIC,
	                                       .has_expected = true, .has_responsible = true,
	                                       .category = PXP_CIS7_PRACTICE, .obtained = PXP_RESULT_YES};
	v->plan[c->n_plan++] = (pxp_plan_item){.id = 4, .parent_id = 3, .level = PXP_PLAN_MEANS, .category = ""};
}

/* Brusano: 12 members and 2 moderators from 3 organizations and sectors,
 * cycle 2025-09-01 to 2026-06-30 with 3 sessions held, audited on
 * 2025-11-20. */
static inline void
vw_brusano(vw *v)
{
	vw_base(v, "brusano");
	pxp_community *c = &v->c;
	c->today = 20251120;
	c->region = "Bruxelles-Nord-Est";
	c->cycle_start = 20250901;
	c->cycle_end = 20260630;
	c->period_start = 20250901;
	c->period_end = 20260630;
	for (uint64_t id = 1; id <= 14; id++)
		vw_member(v, id, 1 + id % 3, id > 12 ? PXP_ROLE_MODERATOR : PXP_ROLE_MEMBER, 20250825);
	for (int m = 0; m < 3; m++)
		vw_meeting(v, 100 + (uint64_t)m, PXP_MEETING_REGULAR, 20250918 + m * 100, 3,
		           PXP_MODALITY_IN_PERSON);
	vw_attend_all(v, 3);
	v->fac[c->n_facilitators++] = (pxp_facilitator){.role = PXP_FAC_COORDINATOR, .member_id = 0};
}

#endif
