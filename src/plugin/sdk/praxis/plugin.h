/*
 * praxis/plugin.h - the Praxis rule plugin ABI (the whole SDK: header only).
 *
 * A plugin is a shared object exporting one symbol, PXP_ENTRY_SYMBOL
 * ("praxis_plugin_v1"), a function returning a pointer to a const
 * pxp_descriptor. The host dlopen()s it with RTLD_NOW|RTLD_LOCAL, checks
 * magic, ABI version and struct sizes before reading anything else, and
 * refuses it with a message naming the file otherwise.
 *
 * Rules of evolution: structs only grow at the end; the host reads a field
 * only when the `size` the plugin declared covers it. Plugins never link
 * against host symbols: host services come as a function table (pxp_host).
 *
 * Build a plugin out of tree:
 *   cc -shared -fPIC $(pkg-config --cflags praxis-plugin) -o myrules.so myrules.c
 */
#ifndef PRAXIS_PLUGIN_H
#define PRAXIS_PLUGIN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PXP_ABI_MAGIC 0x50585031u /* "PXP1": garbage is unlikely to match */
#define PXP_ABI_VERSION 1u
#define PXP_ENTRY_SYMBOL "praxis_plugin_v1"
#define PXP_VERSION_MAJOR 1
#define PXP_VERSION_MINOR 0

#if defined(__GNUC__)
#define PXP_EXPORT __attribute__((visibility("default")))
#else
#define PXP_EXPORT
#endif

/* Defines the entry point: PXP_ENTRY(&my_descriptor); */
#define PXP_ENTRY(desc_ptr)                                                   \
	PXP_EXPORT const pxp_descriptor *praxis_plugin_v1(void);              \
	PXP_EXPORT const pxp_descriptor *praxis_plugin_v1(void) { return (desc_ptr); }

typedef enum pxp_severity { PXP_INFO = 0, PXP_WARNING = 1, PXP_ERROR = 2 } pxp_severity;

/* ---- the read-only view of one community ---- */

/* Enumerations use the numbers of proto/domain.proto. */
enum { PXP_SECTOR_COMMUNITY = 1, PXP_SECTOR_PUBLIC = 2, PXP_SECTOR_PRIVATE = 3, PXP_SECTOR_ASSOCIATIVE = 4 };
enum { PXP_FAC_ANIMATOR = 1, PXP_FAC_MODERATOR = 2, PXP_FAC_SPONSOR = 3, PXP_FAC_COACH = 4, PXP_FAC_COORDINATOR = 5 };
enum { PXP_MEMBER_CANDIDATE = 1, PXP_MEMBER_ACTIVE = 2, PXP_MEMBER_SUSPENDED = 3, PXP_MEMBER_CANCELLED = 4, PXP_MEMBER_ALUMNI = 5, PXP_MEMBER_ERASED = 6 };
enum { PXP_ROLE_MEMBER = 1, PXP_ROLE_MODERATOR = 2, PXP_ROLE_FACILITATOR = 3, PXP_ROLE_COORDINATOR = 4 };
enum { PXP_MEETING_WELCOME = 1, PXP_MEETING_REGULAR = 2, PXP_MEETING_REVIEW = 3, PXP_MEETING_TRAINING = 4, PXP_MEETING_CODEV = 5 };
enum { PXP_MODALITY_VIRTUAL = 1, PXP_MODALITY_IN_PERSON = 2 };
enum { PXP_RSVP_NONE = 0, PXP_RSVP_CONFIRMED = 1, PXP_RSVP_ABSENCE_NOTIFIED = 2 };
enum { PXP_PLAN_PRIORITY = 1, PXP_PLAN_GENERAL = 2, PXP_PLAN_SPECIFIC = 3, PXP_PLAN_MEANS = 4 };
enum { PXP_RESULT_PENDING = 0, PXP_RESULT_YES = 1, PXP_RESULT_NO = 2 };

/* Dates are int32 yyyymmdd, months int32 yyyymm; 0 = unknown. Strings are
 * UTF-8, never NULL (empty when unknown). Plugins see no personal names or
 * birth dates: only whether the protocol records them (LAU-2). */
typedef struct pxp_org {
	uint64_t id;
	const char *name;
	int sector;
	const char *region;
	bool has_director;
	bool rocfm_member;          /* ROC-1 */
	bool volunteer_venue;       /* offers its premises (ROC-4) */
} pxp_org;

typedef struct pxp_member {
	uint64_t id;
	uint64_t org_id;
	int status;
	int role;
	int32_t joined;
	int32_t left;
	const char *job_title;
	const char *discipline;
	bool directory_consent;     /* LAU-8 */
	bool in_directory;          /* listed in the shared directory */
	bool cancel_reason_recorded;/* LAU-7: a cancellation has its reason in history */
	bool participation_imposed; /* CIS-2: participation is voluntary; true = imposed */
} pxp_member;

typedef struct pxp_protocol {
	uint64_t member_id;
	bool cancelled;
	bool member_signed;         /* a member signature is present ... */
	bool member_sig_valid;      /* ... and verifies over the canonical encoding */
	int32_t member_date;
	bool director_signed;
	bool director_sig_valid;
	int32_t director_date;
	/* LAU-2: fields the protocol records */
	bool has_family_name, has_first_name, has_birth_day_month, has_org, has_director_name;
} pxp_protocol;

typedef struct pxp_meeting {
	uint64_t id;
	int kind;
	int32_t date;
	int32_t start_time;         /* hhmm */
	double duration_hours;
	int modality;
	uint64_t venue_org_id;      /* 0 when virtual or unknown */
	bool has_theme;
	bool theme_chosen_by_members; /* ROC-6 */
	int speakers;
} pxp_meeting;

typedef struct pxp_attendance {
	uint64_t meeting_id;
	uint64_t member_id;
	int rsvp;
	bool present;
	double hours;
} pxp_attendance;

typedef struct pxp_hours {
	uint64_t member_id;
	int32_t month;              /* yyyymm */
	double hours;
} pxp_hours;

typedef struct pxp_approval {
	uint64_t member_id;         /* 0: the whole community */
	int32_t year;
	double extra_hours;
	int32_t date;
} pxp_approval;

typedef struct pxp_plan_item {
	uint32_t id;
	uint32_t parent_id;
	int level;
	int obtained;
	bool has_expected;
	bool has_responsible;
	const char *category;       /* CIS-7 category, "" if none: one of PXP_CIS7_* */
} pxp_plan_item;

/* CIS-7 categories of a specific objective (pxp_plan_item.category). */
#define PXP_CIS7_MUTUAL_AID "mutual_aid"   /* entraide et soutien entre professionnels */
#define PXP_CIS7_PRACTICE "practice"       /* vérifier ses pratiques, en appliquer de nouvelles */
#define PXP_CIS7_KNOWLEDGE "knowledge"     /* partager ou produire des connaissances */
#define PXP_CIS7_SKILLS "skills"           /* développer de nouvelles compétences */
#define PXP_CIS7_ORG_NEED "org_need"       /* besoin spécifique de l'organisation */

typedef struct pxp_survey {
	uint64_t member_id;
	const char *period;
	const int32_t *answers;
	size_t n_answers;
} pxp_survey;

typedef struct pxp_facilitator {
	int role;
	uint64_t member_id;
	int32_t mandate_start;
	int32_t mandate_end;
} pxp_facilitator;

typedef struct pxp_community {
	uint32_t size;              /* sizeof(pxp_community) as the host built it */
	uint64_t id;
	const char *name;
	const char *framework;
	const char *region;         /* region or care basin (BRU-5) */
	const char *job_title;      /* CIS-1 */
	const char *sponsor;        /* CIS-6 sponsor manager */
	uint64_t host_org_id;
	int32_t cycle_start, cycle_end;   /* BRU-3 */
	int32_t plan_start, plan_end;     /* action plan period, 0 if no plan */
	int32_t period_start, period_end; /* what the audit covers */
	int32_t today;
	bool has_annual_report;     /* CIS-5: a report was produced for the year */

	const pxp_org *orgs;               size_t n_orgs;
	const pxp_member *members;         size_t n_members;
	const pxp_protocol *protocols;     size_t n_protocols;
	const pxp_meeting *meetings;       size_t n_meetings;
	const pxp_attendance *attendance;  size_t n_attendance;
	const pxp_hours *hours;            size_t n_hours;
	const pxp_approval *approvals;     size_t n_approvals;
	const pxp_plan_item *plan;         size_t n_plan;
	const pxp_survey *surveys;         size_t n_surveys;
	const pxp_facilitator *facilitators; size_t n_facilitators;

	/* Added fields: read them only when PXP_HAS(c, field). All zero-safe. */
	double membership_fee;      /* LAU-6: yearly fee asked of members, 0 = free */
	uint32_t tools_produced;    /* LAU-9: tools produced in the period */
	uint32_t times_called_on;   /* LAU-9: times called on for projects or committees */
} pxp_community;

/* True when the struct *s (with a leading `size`) as its producer built it
 * covers field: a plugin reads fields added after its own header only then. */
#define PXP_HAS(s, field) \
	((s)->size >= offsetof(__typeof__(*(s)), field) + sizeof((s)->field))

/* ---- changes: what the node is about to commit ---- */
typedef enum pxp_change_kind {
	PXP_CHANGE_MEMBER_ADD = 1,
	PXP_CHANGE_MEMBER_STATUS,   /* member_id's status changes to new_status */
	PXP_CHANGE_MEETING_ADD,
	PXP_CHANGE_ATTENDANCE,      /* member_id at meeting_id */
	PXP_CHANGE_HOURS,           /* member_id, month */
	PXP_CHANGE_PROTOCOL,
	PXP_CHANGE_COMMUNITY,
	PXP_CHANGE_APPROVAL,
} pxp_change_kind;

typedef struct pxp_change {
	pxp_change_kind kind;
	uint64_t member_id;
	uint64_t meeting_id;
	int32_t month;
	int new_status;
} pxp_change;

/* ---- what plugins emit ---- */
typedef struct pxp_finding {
	const char *rule_id;        /* "LAU-3" */
	pxp_severity severity;
	const char *message_fr;     /* copied by the host */
	const char *message_en;
	uint64_t member_id;         /* subjects; 0 = none */
	uint64_t meeting_id;
	int32_t month;              /* yyyymm */
} pxp_finding;

/* Host services, passed to every hook. `sink` is the host's, opaque. */
typedef struct pxp_host {
	uint32_t size;
	void (*emit)(void *sink, const pxp_finding *f);
	/* A plugin indicator for the community report; population is the number
	 * of people behind the value (0 if it is not about people): the host
	 * suppresses values over fewer than k people. */
	void (*indicator)(void *sink, const char *name, double value, uint32_t population);
	/* An expected meeting of the framework's calendar (ROC-2). */
	void (*expect_meeting)(void *sink, int32_t date, int kind, double hours);
	/* Parameter values, already parsed and range-checked by the host. */
	int64_t (*param_int)(void *sink, const char *name);
	double (*param_double)(void *sink, const char *name);
	bool (*param_bool)(void *sink, const char *name);
	const char *(*param_str)(void *sink, const char *name);
} pxp_host;

/*
 * pxp_emitf: formats a finding's two messages (same arguments for both; the
 * French format is checked by the compiler) and emits it through the host.
 * Messages longer than 511 bytes are cut.
 */
static inline void pxp_emitf(const pxp_host *host, void *sink, const char *rule, pxp_severity sev,
                             uint64_t member, uint64_t meeting, int32_t month, const char *fr,
                             const char *en, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 8, 10)))
#endif
	;
static inline void
pxp_emitf(const pxp_host *host, void *sink, const char *rule, pxp_severity sev, uint64_t member,
          uint64_t meeting, int32_t month, const char *fr, const char *en, ...)
{
	char mfr[512], men[512];
	va_list ap, aq;
	va_start(ap, en);
	va_copy(aq, ap);
	vsnprintf(mfr, sizeof mfr, fr, ap);
	vsnprintf(men, sizeof men, en, aq);
	va_end(aq);
	va_end(ap);
	pxp_finding f = {rule, sev, mfr, men, member, meeting, month};
	host->emit(sink, &f);
}

/* A yyyymmdd date in a message: printf("%04d-%02d-%02d", PXP_YMD(d)). */
#define PXP_YMD(d) (int)((d) / 10000), (int)((d) / 100 % 100), (int)((d) % 100)

/* ---- the descriptor ---- */
typedef enum pxp_param_type { PXP_PARAM_INT = 1, PXP_PARAM_DOUBLE, PXP_PARAM_BOOL, PXP_PARAM_STRING } pxp_param_type;

typedef struct pxp_param {
	const char *name;           /* NULL ends the table */
	pxp_param_type type;
	const char *default_value;  /* as text: "24", "true" */
	const char *desc_fr;
	const char *desc_en;
	double min, max;            /* for numbers; min == max: no range */
} pxp_param;

typedef struct pxp_rule {
	const char *id;             /* NULL ends the table */
	pxp_severity severity;      /* usual severity */
	const char *title_fr;
	const char *title_en;
} pxp_rule;

typedef struct pxp_indicator_decl {
	const char *name;           /* NULL ends the table */
	const char *label_fr;
	const char *label_en;
} pxp_indicator_decl;

typedef struct pxp_hooks {
	uint32_t size;              /* sizeof(pxp_hooks) */
	/* Full audit of a community. Required. */
	void (*audit)(const pxp_host *host, void *sink, const pxp_community *c);
	/* Change-time check: c is the community as it would be after the change.
	 * Emit findings about the change; an error refuses it. NULL: the host
	 * runs audit and keeps the findings whose subjects match the change. */
	void (*check_change)(const pxp_host *host, void *sink, const pxp_community *c,
	                     const pxp_change *change);
	/* Plugin indicators for the community report over c's period. May be NULL. */
	void (*indicators)(const pxp_host *host, void *sink, const pxp_community *c);
	/* Expected meetings for a year (ROC-2 calendar). May be NULL. */
	void (*calendar)(const pxp_host *host, void *sink, const pxp_community *c, int year);
} pxp_hooks;

typedef struct pxp_descriptor {
	uint32_t magic;             /* PXP_ABI_MAGIC */
	uint32_t abi_version;       /* PXP_ABI_VERSION */
	uint32_t size;              /* sizeof(pxp_descriptor) */
	const char *name;           /* "laurentides": matches a community's framework */
	const char *title_fr;
	const char *title_en;
	const char *version;        /* "1.0.0" */
	const pxp_param *params;
	const pxp_rule *rules;
	const pxp_indicator_decl *indicators;
	const pxp_hooks *hooks;
} pxp_descriptor;

#define PXP_DESCRIPTOR_INIT(nm, tfr, ten, ver, prm, rls, ind, hks)                     \
	{ PXP_ABI_MAGIC, PXP_ABI_VERSION, (uint32_t)sizeof(pxp_descriptor), (nm), (tfr), (ten), \
	  (ver), (prm), (rls), (ind), (hks) }

#ifdef __cplusplus
}
#endif
#endif /* PRAXIS_PLUGIN_H */
