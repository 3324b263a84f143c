/*
 * px_report.h - community reports: periods, indicators, small-cell
 * suppression, canonical signing, and the hub's aggregation.
 *
 * Pure functions: no I/O, no storage. The node builds the plugin view
 * (pxp_community) from its store and hands it here with the findings and
 * plugin indicators of the same period; the hub hands here the reports it
 * stored. Thread-safe (no global state).
 *
 * ---- Indicators of a community report (stable names) ----
 * "Members" below are the members *active in the period*: status other than
 * candidate (or unspecified), joined on or before the last day, and not left
 * before the first day (left == 0: still a member). Every set of people the
 * report counts is a subset of them.
 *
 * name                    value                                      population (people behind it)
 * organizations           distinct organizations of the members      members_active
 * members_active          members active in the period               itself
 * members_new             members who joined in the period           itself
 * members_left            members who left in the period             itself
 * protocols_signed_valid  members whose protocol (not cancelled) has  itself
 *                         both signatures present and valid
 * meetings_held           meetings dated in the period and not after 0 (not about people)
 *                         the view's `today`
 * meetings_expected       given by the caller (framework calendar)   0 (not about people)
 * attendance_rate         presences / attendance records, over the   members with a record
 *                         held meetings of the period (0..1)
 * rsvp_rate               records with an answer (confirmed or       members with a record
 *                         absence notified) / records (0..1)
 * hours_total             meeting hours (credited hours, else the    members with hours > 0
 *                         meeting's duration, when present) + hours
 *                         log of the period's months
 * hours_per_member_mean   hours_total / members_active               members_active
 * members_over_cap        members whose hours exceed the cap given   itself
 *                         for the period (+ their approvals' extra
 *                         hours); only when a cap > 0 is given
 * plan_objectives_yes     plan items with obtained result Oui        0 (not about people)
 * plan_objectives_no      plan items with obtained result Non        0 (not about people)
 * satisfaction_mean       mean answer (1..5) of the surveys whose    respondents
 *                         period lies inside the report's period
 * surveys                 survey responses in the period             respondents
 *
 * Plugin indicators follow, with the population their plugin gave.
 * In aggregates, names ending in "_rate" or "_mean" (and the four means
 * above) are means weighted by population; every other indicator is summed.
 * hours_per_member_mean weighted by members gives sum(hours)/sum(members)
 * exactly; the two rates are weighted by people with a record and the
 * satisfaction by respondents (not by records or answers: close, not exact).
 * organizations is summed per community (an organization in two
 * communities counts twice: the hub has no organization ids).
 *
 * ---- Small-cell suppression (node side, px_report_build) ----
 * A suppressed cell has value 0, population 0 and suppressed = true.
 * R1 (primary)  A count of people with value 1..k-1 is suppressed. A mean or
 *               rate (or any cell with population > 0) over fewer than k
 *               people is suppressed; over nobody it has no value and is
 *               suppressed too. A count of 0 people is published: it singles
 *               out nobody.
 * R2 (linked)   organizations is suppressed with members_active (it is
 *               computed from the members' organizations); hours_total and
 *               hours_per_member_mean go together (either gives the other
 *               through members_active), and are suppressed when
 *               members_active is (hours_total / mean would give it back).
 * R3 (complement) Every published count of people and every published
 *               population is a subset of members_active: when members_active
 *               is published, members_active - c must be 0 or >= k, else c is
 *               suppressed (otherwise "2 members have no valid protocol" is
 *               one subtraction away). Also members_active - members_new -
 *               members_left (those present from start to end when nobody
 *               both joined and left) must be 0 or >= k, else the smaller of
 *               the two is suppressed. Plugin indicators with population > 0
 *               are treated as subsets of the members the same way.
 *               No report publishes a complete partition of its members, so
 *               a suppressed cell is never the difference of published ones.
 * Findings: a rule's count of 1..k-1 is given as count 0, suppressed = true:
 *               the umbrella body still sees the rule was broken, not how
 *               many times (findings are often about people).
 *
 * ---- Aggregation (hub side, px_agg_build) ----
 * A1 A report made with a k smaller than the hub's goes through R1-R3 again
 *    with the hub's k. Then each cell suppressed by the node or by that
 *    second pass (or with 0 < population < k) is left out of every sum and
 *    counted in `withheld`. R2's links hold
 *    here too: hours_total and hours_per_member_mean go in together, and
 *    only with members_active, as does organizations.
 * A2 Sums of counts; means weighted by population; a group's population is
 *    the sum of its included populations. Since each included cell is 0 or
 *    >= k people, so is every sum, and so is every difference between two
 *    published aggregates of nested groups: a total minus the other rows is a
 *    sum of published cells, never a suppressed one (suppressed cells are
 *    never inside a total).
 * A3 Guard, applied again: a group cell over 1..k-1 people is suppressed, and
 *    within one table (rows + total) the people hidden in suppressed rows
 *    must be 0 or >= k, else the smallest published row is suppressed too
 *    (then the total, if no row is left).
 * A4 One report per (community_uid, period): the highest revision wins, so
 *    a report pushed twice counts once.
 */
#ifndef PX_REPORT_H
#define PX_REPORT_H

#include "domain.pb-c.h"
#include "hub.pb-c.h"
#include "px.h"
#include <praxis/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PX_REPORT_K_DEFAULT 5u

/* Indicator names: use these, never literals. */
#define PX_IND_ORGANIZATIONS "organizations"
#define PX_IND_MEMBERS_ACTIVE "members_active"
#define PX_IND_MEMBERS_NEW "members_new"
#define PX_IND_MEMBERS_LEFT "members_left"
#define PX_IND_PROTOCOLS_SIGNED_VALID "protocols_signed_valid"
#define PX_IND_MEETINGS_HELD "meetings_held"
#define PX_IND_MEETINGS_EXPECTED "meetings_expected"
#define PX_IND_ATTENDANCE_RATE "attendance_rate"
#define PX_IND_RSVP_RATE "rsvp_rate"
#define PX_IND_HOURS_TOTAL "hours_total"
#define PX_IND_HOURS_PER_MEMBER_MEAN "hours_per_member_mean"
#define PX_IND_MEMBERS_OVER_CAP "members_over_cap"
#define PX_IND_PLAN_OBJECTIVES_YES "plan_objectives_yes"
#define PX_IND_PLAN_OBJECTIVES_NO "plan_objectives_no"
#define PX_IND_SATISFACTION_MEAN "satisfaction_mean"
#define PX_IND_SURVEYS "surveys"

/* ---- periods ---- */

/* Same numbers as praxis.PeriodKind. */
typedef enum px_period_kind {
	PX_PERIOD_MONTH = 1,   /* "2025-03" */
	PX_PERIOD_QUARTER = 2, /* "2025-Q1" */
	PX_PERIOD_YEAR = 3,    /* "2025" */
} px_period_kind;

typedef struct px_period {
	px_period_kind kind;
	int year;  /* 1900..9999 */
	int index; /* month 1..12, quarter 1..4, 0 for a year */
} px_period;

#define PX_PERIOD_STRLEN 8 /* "2025-Q1" + NUL */

/* Parses "2025", "2025-Q1" (q or Q) or "2025-03"; PX_EINVAL otherwise. */
px_err px_period_parse(const char *s, px_period *out) PX_NODISCARD;
/* Canonical text into buf; "" for an invalid period. */
void px_period_format(px_period p, char buf[static PX_PERIOD_STRLEN]);
bool px_period_valid(px_period p);
/* First and last day, yyyymmdd (0 for an invalid period). */
int32_t px_period_first_day(px_period p);
int32_t px_period_last_day(px_period p);
bool px_period_contains(px_period p, int32_t ymd);
/* The period of that kind holding day ymd. */
px_err px_period_of(px_period_kind kind, int32_t ymd, px_period *out) PX_NODISCARD;
px_period px_period_prev(px_period p);
px_period px_period_next(px_period p);

/* ---- building a report (node) ---- */

/* A rule's findings for the period, as the plugin host counted them. */
typedef struct px_finding_count {
	const char *rule_id; /* "LAU-3"; borrowed for the call */
	int severity;        /* pxp_severity */
	uint32_t count;
} px_finding_count;

/* A plugin indicator (pxp_host.indicator). */
typedef struct px_indicator {
	const char *name; /* borrowed for the call; must not be a core name */
	double value;
	uint32_t population; /* people behind value; 0 = not about people */
} px_indicator;

typedef struct px_report_opts {
	const char *community_uid; /* stable and opaque (no name); required */
	uint32_t k;                /* 0: PX_REPORT_K_DEFAULT */
	uint32_t revision;
	int64_t generated_at;       /* unix seconds; part of the signed bytes */
	uint32_t meetings_expected; /* from the framework's calendar for the period */
	double hours_cap; /* hours per member over the period; <= 0: no members_over_cap */
	bool plugin_ok;   /* false when the audit could not run */
} px_report_opts;

/*
 * Builds the report of view's community for period: indicators in the order
 * of the table above, then plugin indicators; findings sorted by rule id then
 * severity; suppression applied. The view's name, framework and region are
 * copied; nothing else about people leaves (no ids, no names, no dates).
 * @param[in] view   read-only, borrowed for the call.
 * @param[out] out   a new report, freed with px_report_free.
 * Errors: PX_EINVAL (bad period, missing uid, plugin indicator with a core
 * or empty name, or duplicated), PX_ENOMEM.
 */
px_err px_report_build(const pxp_community *view, px_period period, const px_report_opts *opts,
                       const px_finding_count *findings, size_t n_findings,
                       const px_indicator *plugin_ind, size_t n_ind,
                       Praxis__CommunityReport **out) PX_NODISCARD;

/* Frees a report made here or unpacked by protobuf-c. NULL does nothing. */
void px_report_free(Praxis__CommunityReport *r);

/* Position of a core indicator in the table above (0..15), -1 for others:
 * reports and aggregate rows list core indicators in that order, then the
 * others (aggregates: sorted by name). */
int px_report_indicator_rank(const char *name);
/* The core indicator of that rank, NULL out of 0..PX_IND_NCORE-1. */
#define PX_IND_NCORE 16
const char *px_report_indicator_name(int rank);

/* The indicator called name, or NULL. Borrowed from r. */
const Praxis__Indicator *px_report_find(const Praxis__CommunityReport *r, const char *name);

/* ---- suppression, on its own (used by px_report_build) ---- */

/* Applies R1-R3 to r's indicators and findings in place with threshold k
 * (r->k is set to k). Cells already suppressed stay so. */
void px_report_suppress(Praxis__CommunityReport *r, uint32_t k);

/* ---- signing (node) and verifying (hub, anyone) ---- */

/* Signs with a detached Ed25519 signature over the packed report.
 * protobuf-c packs fields in number order and repeated fields in array
 * order, so one report has one byte string (canonical): the same report and
 * revision is the same bytes, which makes resubmission idempotent.
 * @param[in] id     the node identity (px_crypto), borrowed.
 * @param[out] out   freed with px_signed_report_free.
 * Errors: PX_EINVAL, PX_ENOMEM, PX_EINTERNAL. */
typedef struct px_identity px_identity;
px_err px_report_sign(const Praxis__CommunityReport *r, const px_identity *id,
                      Praxis__SignedReport **out) PX_NODISCARD;
void px_signed_report_free(Praxis__SignedReport *sr); /* NULL does nothing */

/*
 * Checks sr: key and signature sizes, the signature (PX_EAUTH), then unpacks
 * and validates (PX_EINVAL): canonical encoding (re-packing gives the signed
 * bytes), community_uid non-empty, period parses and matches period_kind,
 * k >= 1, names non-empty and unique, values finite and >= 0, rates in 0..1,
 * satisfaction in 1..5, suppressed cells zeroed, no published cell over
 * 1..k-1 people, severities known.
 * @param[in] expected_key  32 bytes the signer must be, or NULL for any.
 * @param[out] out          NULL, or the unpacked report (px_report_free).
 * @param[out] msg          NULL, or a buffer for the reason (user's language).
 */
px_err px_report_verify(const Praxis__SignedReport *sr, const uint8_t *expected_key,
                        Praxis__CommunityReport **out, char *msg, size_t msz) PX_NODISCARD;
/* Schema checks only (the second half of px_report_verify). */
px_err px_report_validate(const Praxis__CommunityReport *r, char *msg, size_t msz) PX_NODISCARD;

/* ---- aggregation (hub) ---- */

enum {
	PX_AGG_BY_FRAMEWORK = 1 << 0,
	PX_AGG_BY_REGION = 1 << 1,
	PX_AGG_BY_TENANT = 1 << 2,
	PX_AGG_BY_COMMUNITY = 1 << 3,
	PX_AGG_BY_PERIOD = 1 << 4,
};

typedef struct px_agg_item {
	const Praxis__CommunityReport *report; /* borrowed for the call */
	const char *tenant;                    /* borrowed; NULL = "" */
} px_agg_item;

/* True when name is aggregated as a population-weighted mean. */
bool px_agg_is_mean(const char *name);

/*
 * Groups items by the fields in `by` (a PX_AGG_BY_* mask; 0 = one row),
 * rows sorted by (framework, region, tenant, community, period); total over
 * all items. Rows carry the group's key fields (others ""), the number of
 * communities, summed/weighted indicators (with contributors and withheld)
 * and summed findings. Applies A1-A4 with k (0: default).
 * @param[out] out  freed with px_agg_free.
 */
px_err px_agg_build(const px_agg_item *items, size_t n, unsigned by, uint32_t k,
                    Praxis__AggregateResponse **out) PX_NODISCARD;
void px_agg_free(Praxis__AggregateResponse *a); /* NULL does nothing */

/*
 * The same, one report at a time, for scans that should not hold every
 * report in memory (the hub: unpack, add, free, next). px_agg_add copies
 * what it needs; r is borrowed for the call. The caller gives one report
 * per (community, period), its latest revision (rule A4 is then the
 * caller's: a scan over keys ending in the revision can skip to the last
 * one); px_agg_build does that itself.
 * px_agg_finish frees a whatever it returns; px_agg_discard frees a without
 * a result. Rows come out in the order of px_agg_build.
 */
typedef struct px_agg px_agg;
px_err px_agg_new(unsigned by, uint32_t k, px_agg **out) PX_NODISCARD;
px_err px_agg_add(px_agg *a, const Praxis__CommunityReport *r, const char *tenant) PX_NODISCARD;
px_err px_agg_finish(px_agg *a, Praxis__AggregateResponse **out) PX_NODISCARD;
void px_agg_discard(px_agg *a); /* NULL does nothing */

/* One indicator's change between two aggregate rows of the same group. */
typedef struct px_trend {
	const char *name; /* borrowed from the `to` row */
	double from, to;
	double delta;    /* to - from */
	double ratio;    /* to / from; 0 when from is 0 */
	bool suppressed; /* either side suppressed or missing: no figures */
} px_trend;

/* Trends for every indicator of `to`. *out is malloc'd (free()), *n set. */
px_err px_agg_trend(const Praxis__AggregateRow *from, const Praxis__AggregateRow *to,
                    px_trend **out, size_t *n) PX_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif /* PX_REPORT_H */
