/*
 * px_plugin_host.h - the plugin host: finds, loads and checks rule plugins
 * (praxis/plugin.h), parses their parameters, and runs their hooks.
 *
 * Loading: every "*.so" of the search path is dlopen()ed with
 * RTLD_NOW|RTLD_LOCAL; its PXP_ENTRY_SYMBOL is checked (magic, ABI version,
 * descriptor and hooks sizes, audit hook, parameter table, rule table)
 * before anything else is read. A broken file is refused with a reason
 * naming the file (French or English, PX_T) and the others still load.
 *
 * Running: hooks run by default in a forked child with a time limit
 * (px_plugin_run_opts). A hook that crashes, loops or writes garbage gives
 * a result with status PX_EPLUGIN, the signal or the timeout, and one
 * synthetic error finding PX_PLUGIN_FAILURE_RULE, so a community whose
 * plugin could not run is never counted as compliant.
 *
 * Loading itself runs in this process (dlopen runs the library's
 * constructors, then the entry point is called): isolation covers hooks,
 * not a plugin whose constructor crashes.
 *
 * Threads: a px_plugin_host is read-only once opened and may be shared by
 * threads; px_plugin_params belong to their caller (read concurrently, not
 * written concurrently). In-process runs are as thread-safe as the plugin.
 */
#ifndef PX_PLUGIN_HOST_H
#define PX_PLUGIN_HOST_H

#include "px.h"
#include "praxis/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rule id of the synthetic finding added when a hook could not run. */
#define PX_PLUGIN_FAILURE_RULE "PLUGIN"
/* Longest accepted string parameter value (bytes, without the NUL). */
#define PX_PLUGIN_STR_MAX 255
/* Size of the reason buffers ("why") below. */
#define PX_PLUGIN_WHY_MAX 512
/* Default time limits of forked hooks, milliseconds. */
#define PX_PLUGIN_AUDIT_TIMEOUT_MS 10000
#define PX_PLUGIN_CHANGE_TIMEOUT_MS 2000

typedef struct px_plugin_host px_plugin_host; /* all loaded plugins */
typedef struct px_plugin px_plugin;           /* one loaded plugin */
typedef struct px_plugin_params px_plugin_params;

/* ---------------------------------------------------------------- loading */

typedef struct px_plugin_host_opts {
	/* Colon-separated directories searched first. NULL: the environment
	 * variable PRAXIS_PLUGIN_PATH (unless ignore_env). */
	const char *path;
	bool ignore_env;
	/* The build tree's plugins directory (e.g. build/plugins), searched
	 * second; NULL: none. */
	const char *build_dir;
	/* The install prefix; PREFIX/lib/praxis/plugins is searched last.
	 * NULL: the prefix the host was built with (PX_INSTALL_PREFIX). */
	const char *prefix;
} px_plugin_host_opts;

/* Loads every plugin of the search path (opts may be NULL: defaults). The
 * first plugin of a name wins; a later one of the same name is refused as
 * shadowed. Refused files do not make this fail: read them with
 * px_plugin_host_refused_*. *out is freed by px_plugin_host_close, which
 * dlcloses everything; every px_plugin and descriptor pointer obtained from
 * the host dies with it.
 * Errors: PX_ENOMEM, PX_EINVAL (opts). */
px_err px_plugin_host_open(const px_plugin_host_opts *opts, px_plugin_host **out) PX_NODISCARD;
void px_plugin_host_close(px_plugin_host *h); /* NULL does nothing */

size_t px_plugin_host_count(const px_plugin_host *h);
/* The i-th loaded plugin, in search order; NULL if i is out of range.
 * Borrowed from h. */
const px_plugin *px_plugin_host_get(const px_plugin_host *h, size_t i);
/* The plugin named name (a community's framework); NULL if none. */
const px_plugin *px_plugin_host_find(const px_plugin_host *h, const char *name);

/* Files that were refused, with why (already in the user's language,
 * naming the file). Strings borrowed from h. */
size_t px_plugin_host_refused_count(const px_plugin_host *h);
const char *px_plugin_host_refused_file(const px_plugin_host *h, size_t i);
const char *px_plugin_host_refused_reason(const px_plugin_host *h, size_t i);

/* Loads one file by path (tests, `plugin info FILE`). On failure *out is
 * NULL and why (>= PX_PLUGIN_WHY_MAX bytes, may be NULL) holds the reason.
 * Errors: PX_EPLUGIN (refused), PX_ENOMEM. Free with px_plugin_close. */
px_err px_plugin_open(const char *path, px_plugin **out, char *why) PX_NODISCARD;
void px_plugin_close(px_plugin *p); /* only for px_plugin_open's; NULL ok */

/* Accessors; strings and tables are borrowed, valid while p is loaded. */
const char *px_plugin_name(const px_plugin *p);
const char *px_plugin_path(const px_plugin *p);
/* The checked descriptor: params, rules and indicators tables (each
 * terminated by a NULL name/id) for `plugin list|info` and hub labels. */
const pxp_descriptor *px_plugin_descriptor(const px_plugin *p);
size_t px_plugin_rule_count(const px_plugin *p);
size_t px_plugin_param_count(const px_plugin *p);
/* The rule declared with id, NULL if none. */
const pxp_rule *px_plugin_rule(const px_plugin *p, const char *id);

/* -------------------------------------------------------------- parameters */

/* One parsed parameter value. */
typedef struct px_plugin_value {
	pxp_param_type type;
	int64_t i;                       /* PXP_PARAM_INT */
	double d;                        /* PXP_PARAM_DOUBLE (also set for INT) */
	bool b;                          /* PXP_PARAM_BOOL */
	char s[PX_PLUGIN_STR_MAX + 1];   /* PXP_PARAM_STRING; also the canonical text of any type */
} px_plugin_value;

/* Pure parsers (no allocation, no global state: fuzz targets).
 * px_plugin_param_parse parses text for the declared parameter decl:
 * INT: decimal, optional sign, no trailing garbage, fits int64;
 * DOUBLE: strtod syntax, finite; BOOL: true/false/yes/no/oui/non/1/0;
 * STRING: at most PX_PLUGIN_STR_MAX bytes, no control characters.
 * Numbers must lie in [min, max] when min != max.
 * why (>= PX_PLUGIN_WHY_MAX bytes, may be NULL) gets the reason.
 * Errors: PX_EINVAL. */
px_err px_plugin_param_parse(const pxp_param *decl, const char *text, px_plugin_value *out,
                             char *why) PX_NODISCARD;
/* Parses "name=value" (spaces around either trimmed) against a table
 * terminated by a NULL name; *index is the parameter's row.
 * Errors: PX_EINVAL (no '=', unknown name, bad value). */
px_err px_plugin_assignment_parse(const pxp_param *table, const char *assignment,
                                  size_t *index, px_plugin_value *out, char *why) PX_NODISCARD;

/* Parameter values of one plugin, starting from the declared defaults.
 * Free with px_plugin_params_free. p must outlive it. Errors: PX_ENOMEM. */
px_err px_plugin_params_alloc(const px_plugin *p, px_plugin_params **out) PX_NODISCARD;
void px_plugin_params_free(px_plugin_params *prm); /* NULL does nothing */
/* Applies one "name=value" override; later ones win (apply the node
 * config first, then the community's params). On error nothing changes.
 * Errors: PX_EINVAL with why filled. */
px_err px_plugin_params_set(px_plugin_params *prm, const char *assignment, char *why) PX_NODISCARD;
/* Applies n overrides; stops at the first bad one (earlier ones stay). */
px_err px_plugin_params_set_all(px_plugin_params *prm, const char *const *assignments, size_t n,
                                char *why) PX_NODISCARD;
/* The current value of the parameter called name, NULL if undeclared.
 * Borrowed from prm. */
const px_plugin_value *px_plugin_params_get(const px_plugin_params *prm, const char *name);

/* ----------------------------------------------------------------- running */

typedef enum px_plugin_isolation {
	PX_PLUGIN_ISOLATE_DEFAULT = 0, /* fork for audit/indicators/calendar/check_change */
	PX_PLUGIN_ISOLATE_FORK,        /* forked child, time limit, results over a pipe */
	PX_PLUGIN_ISOLATE_NONE,        /* in this process: no protection (benchmarks) */
} px_plugin_isolation;

typedef struct px_plugin_run_opts {
	px_plugin_isolation isolation;
	/* 0: the environment's PRAXIS_PLUGIN_TIMEOUT_MS (1..600000) if set,
	 * else the hook's default (PX_PLUGIN_*_TIMEOUT_MS). */
	int timeout_ms;
} px_plugin_run_opts;

/* What a hook emitted; every string is owned by the result. */
typedef struct px_plugin_finding {
	char *rule_id;
	pxp_severity severity;
	char *message_fr;
	char *message_en;
	uint64_t member_id;            /* subjects, 0 = none */
	uint64_t meeting_id;
	int32_t month;                 /* yyyymm */
} px_plugin_finding;

typedef struct px_plugin_indicator {
	char *name;
	double value;
	uint32_t population;           /* people behind the value, 0 if not people */
} px_plugin_indicator;

typedef struct px_plugin_expected {
	int32_t date;                  /* yyyymmdd */
	int kind;                      /* PXP_MEETING_* */
	double hours;
} px_plugin_expected;

typedef struct px_plugin_result {
	px_err status;                 /* PX_OK, or PX_EPLUGIN when the hook could not run */
	int term_signal;               /* signal that ended the child, 0 if none */
	bool timed_out;                /* the child was killed at the time limit */
	char failure[PX_PLUGIN_WHY_MAX]; /* why, in the user's language; "" when OK */
	px_plugin_finding *findings;   size_t n_findings;
	px_plugin_indicator *indicators; size_t n_indicators;
	px_plugin_expected *expected;  size_t n_expected;
} px_plugin_result;

/* Each runner fills *out (always initialized, even on error: release it
 * with px_plugin_result_fini). prm NULL = the declared defaults; opts NULL
 * = defaults. The view c is only read; c->size must be sizeof(pxp_community).
 * Returns out->status: PX_OK, or PX_EPLUGIN when the hook crashed (signal),
 * overran its time limit, or sent malformed output; then out->findings holds
 * one PX_PLUGIN_FAILURE_RULE error. Other errors: PX_EINVAL, PX_ENOMEM, PX_EIO.
 */
px_err px_plugin_audit(const px_plugin *p, const px_plugin_params *prm, const pxp_community *c,
                       const px_plugin_run_opts *opts, px_plugin_result *out);
/* Change-time check: c is the community as it would be after change. When
 * the plugin has no check_change hook, runs audit and keeps the findings
 * about the change: every subject both the finding and the change name
 * (member, meeting, month) agrees, and they share a member or a meeting;
 * for PXP_CHANGE_COMMUNITY, the findings about no member and no meeting.
 * Set change->month on attendance and hours changes so findings of other
 * months are left out. Refuse the change when px_plugin_result_refuses
 * (an error finding, or a hook that could not run: fail closed). */
px_err px_plugin_check_change(const px_plugin *p, const px_plugin_params *prm,
                              const pxp_community *c, const pxp_change *change,
                              const px_plugin_run_opts *opts, px_plugin_result *out);
/* Plugin indicators of c's period (out->indicators); a plugin without the
 * hook gives an empty OK result. */
px_err px_plugin_indicators(const px_plugin *p, const px_plugin_params *prm,
                            const pxp_community *c, const px_plugin_run_opts *opts,
                            px_plugin_result *out);
/* Expected meetings of year (out->expected); no hook: empty OK result. */
px_err px_plugin_calendar(const px_plugin *p, const px_plugin_params *prm, const pxp_community *c,
                          int year, const px_plugin_run_opts *opts, px_plugin_result *out);

void px_plugin_result_fini(px_plugin_result *r); /* frees the arrays; NULL ok */
/* False when the hook could not run or emitted an error finding. */
bool px_plugin_result_compliant(const px_plugin_result *r);
/* True when a change must be refused: an error finding or a failed hook
 * (fail closed). */
bool px_plugin_result_refuses(const px_plugin_result *r);
/* Counts of findings by severity. */
size_t px_plugin_result_count(const px_plugin_result *r, pxp_severity sev);

/* Severity name in the user's language ("erreur"/"error"). */
const char *px_plugin_severity_name(pxp_severity sev);

#ifdef __cplusplus
}
#endif
#endif /* PX_PLUGIN_HOST_H */
