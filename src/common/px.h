/*
 * px.h - what every part of Praxis shares: error codes, French/English
 * messages, logging, dates.
 *
 * Errors: every fallible function returns px_err, PX_OK (0) on success.
 * px_strerror() strings start with the code's name, like LMDB's.
 */
#ifndef PX_H
#define PX_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PX_VERSION_STRING "0.1.0"

#if defined(__GNUC__)
#define PX_NODISCARD __attribute__((warn_unused_result))
#define PX_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PX_NODISCARD
#define PX_PRINTF(a, b)
#endif

typedef enum px_err {
	PX_OK = 0,
	PX_EINVAL,     /* invalid argument or malformed input */
	PX_ENOTFOUND,  /* no such record */
	PX_EEXISTS,    /* record already exists */
	PX_EPERM,      /* permission denied */
	PX_EAUTH,      /* authentication failed (unknown or wrong key) */
	PX_EFULL,      /* storage full (map size or disk) */
	PX_ENOMEM,     /* out of memory */
	PX_EIO,        /* input/output error */
	PX_ECORRUPT,   /* corrupt file or record */
	PX_ETIMEDOUT,  /* deadline exceeded */
	PX_EUNAVAIL,   /* peer unavailable */
	PX_EPRECOND,   /* failed precondition (e.g. a rule refuses the change) */
	PX_EUNIMPL,    /* unimplemented */
	PX_ETOOBIG,    /* message or value too big */
	PX_EPLUGIN,    /* plugin could not be loaded or run */
	PX_EVERSION,   /* version mismatch */
	PX_EKEYPERM,   /* secret key file readable by others */
	PX_EPASS,      /* wrong passphrase */
	PX_EREPLAY,    /* replayed or stale message */
	PX_EINTERNAL,  /* a bug */
	PX_ERR_COUNT
} px_err;

/* Static English string starting with the code's name, e.g.
 * "PX_EFULL: storage full". Never NULL. */
const char *px_strerror(px_err err);
/* Same, in the user's language (French unless LANG says en). */
const char *px_strerror_user(px_err err);

/* gRPC status code (praxis.rpc.Code numbering) for an error. */
int px_err_to_code(px_err err);
/* Error for a gRPC status code. */
px_err px_code_to_err(int code);
/* Name of a gRPC status code: "INVALID_ARGUMENT". */
const char *px_code_name(int code);

/*
 * Messages: every user-visible text exists in French and English, side by
 * side at the call site, so none can exist in one language only.
 * PX_T("Membre ajouté", "Member added") returns the French text unless the
 * locale (LC_ALL, LC_MESSAGES, LANG, in that order) starts with "en".
 */
bool px_lang_en(void);
void px_lang_set(int en); /* -1: from the environment, 0: fr, 1: en */
#define PX_T(fr, en) (px_lang_en() ? (en) : (fr))

/* Logging to stderr: "2026-11-25T13:00:00Z praxis-hub warn: ..." */
typedef enum { PX_LOG_DEBUG, PX_LOG_INFO, PX_LOG_WARN, PX_LOG_ERROR } px_log_level;
void px_log_init(const char *progname, px_log_level min);
void px_log(px_log_level lvl, const char *fmt, ...) PX_PRINTF(2, 3);

/* Time. */
int64_t px_now_ms(void);      /* wall clock, unix milliseconds */
int64_t px_mono_ns(void);     /* monotonic nanoseconds */

/*
 * Dates are int32 yyyymmdd. px_date_parse accepts "2025-03-14",
 * "14-03-2025" and "14/03/2025" (jj-mm-aaaa as on the forms) and rejects
 * impossible dates (31/02). Returns PX_EINVAL on anything else.
 */
px_err px_date_parse(const char *s, int32_t *out) PX_NODISCARD;
bool px_date_valid(int32_t ymd);
int32_t px_date_today(void);
int32_t px_date_add_days(int32_t ymd, int days);
int px_days_in_month(int year, int month);
/* "2025-03-14" into buf (>= 11 bytes). */
void px_date_format(int32_t ymd, char buf[static 11]);

/* Safe string copy; always terminates; returns false if truncated. */
bool px_strlcpy(char *dst, const char *src, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* PX_H */
