/*
 * px.c - errors, language choice, logging, dates.
 */
#define _DEFAULT_SOURCE
#include "px.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
	const char *en;
	const char *fr;
	int code; /* gRPC status code */
} px_errors[PX_ERR_COUNT] = {
	[PX_OK] = {"PX_OK: success", "PX_OK : succès", 0},
	[PX_EINVAL] = {"PX_EINVAL: invalid argument", "PX_EINVAL : argument invalide", 3},
	[PX_ENOTFOUND] = {"PX_ENOTFOUND: not found", "PX_ENOTFOUND : introuvable", 5},
	[PX_EEXISTS] = {"PX_EEXISTS: already exists", "PX_EEXISTS : existe déjà", 6},
	[PX_EPERM] = {"PX_EPERM: permission denied", "PX_EPERM : permission refusée", 7},
	[PX_EAUTH] = {"PX_EAUTH: authentication failed", "PX_EAUTH : authentification refusée", 16},
	[PX_EFULL] = {"PX_EFULL: storage full", "PX_EFULL : stockage plein", 8},
	[PX_ENOMEM] = {"PX_ENOMEM: out of memory", "PX_ENOMEM : mémoire insuffisante", 8},
	[PX_EIO] = {"PX_EIO: input/output error", "PX_EIO : erreur d'entrée/sortie", 13},
	[PX_ECORRUPT] = {"PX_ECORRUPT: corrupt data", "PX_ECORRUPT : données corrompues", 15},
	[PX_ETIMEDOUT] = {"PX_ETIMEDOUT: deadline exceeded", "PX_ETIMEDOUT : délai dépassé", 4},
	[PX_EUNAVAIL] = {"PX_EUNAVAIL: unavailable", "PX_EUNAVAIL : service indisponible", 14},
	[PX_EPRECOND] = {"PX_EPRECOND: failed precondition", "PX_EPRECOND : condition préalable non remplie", 9},
	[PX_EUNIMPL] = {"PX_EUNIMPL: unimplemented", "PX_EUNIMPL : non implémenté", 12},
	[PX_ETOOBIG] = {"PX_ETOOBIG: too big", "PX_ETOOBIG : trop volumineux", 8},
	[PX_EPLUGIN] = {"PX_EPLUGIN: plugin error", "PX_EPLUGIN : erreur de plugiciel", 9},
	[PX_EVERSION] = {"PX_EVERSION: version mismatch", "PX_EVERSION : version incompatible", 9},
	[PX_EKEYPERM] = {"PX_EKEYPERM: secret key file readable by others",
	                 "PX_EKEYPERM : fichier de clé secrète lisible par d'autres", 7},
	[PX_EPASS] = {"PX_EPASS: wrong passphrase", "PX_EPASS : phrase de passe incorrecte", 16},
	[PX_EREPLAY] = {"PX_EREPLAY: replayed or stale message", "PX_EREPLAY : message rejoué ou périmé", 16},
	[PX_EINTERNAL] = {"PX_EINTERNAL: internal error", "PX_EINTERNAL : erreur interne", 13},
};

const char *
px_strerror(px_err err)
{
	if ((unsigned)err >= PX_ERR_COUNT)
		return "PX_EUNKNOWN: unknown error";
	return px_errors[err].en;
}

const char *
px_strerror_user(px_err err)
{
	if ((unsigned)err >= PX_ERR_COUNT)
		return PX_T("PX_EUNKNOWN : erreur inconnue", "PX_EUNKNOWN: unknown error");
	return px_lang_en() ? px_errors[err].en : px_errors[err].fr;
}

int
px_err_to_code(px_err err)
{
	if ((unsigned)err >= PX_ERR_COUNT)
		return 2; /* UNKNOWN */
	return px_errors[err].code;
}

px_err
px_code_to_err(int code)
{
	switch (code) {
	case 0: return PX_OK;
	case 3: return PX_EINVAL;
	case 4: return PX_ETIMEDOUT;
	case 5: return PX_ENOTFOUND;
	case 6: return PX_EEXISTS;
	case 7: return PX_EPERM;
	case 8: return PX_ETOOBIG;
	case 9: return PX_EPRECOND;
	case 12: return PX_EUNIMPL;
	case 14: return PX_EUNAVAIL;
	case 15: return PX_ECORRUPT;
	case 16: return PX_EAUTH;
	default: return PX_EINTERNAL;
	}
}

const char *
px_code_name(int code)
{
	static const char *names[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
		"DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
		"RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
		"UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
	if (code < 0 || code > 16)
		return "UNKNOWN";
	return names[code];
}

/* -1: not decided yet. Decided once from the environment; a process reads
 * its locale at start, so there is no need to look again. */
static int px_lang = -1;

static int
px_lang_from_env(void)
{
	const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);
		if (v != NULL && v[0] != '\0')
			return strncmp(v, "en", 2) == 0;
	}
	return 0;
}

bool
px_lang_en(void)
{
	if (px_lang < 0)
		px_lang = px_lang_from_env();
	return px_lang == 1;
}

void
px_lang_set(int en)
{
	px_lang = en < 0 ? px_lang_from_env() : (en != 0);
}

static const char *px_log_prog = "praxis";
static px_log_level px_log_min = PX_LOG_INFO;

void
px_log_init(const char *progname, px_log_level min)
{
	px_log_prog = progname;
	px_log_min = min;
	const char *env = getenv("PRAXIS_LOG");
	if (env != NULL && strcmp(env, "debug") == 0)
		px_log_min = PX_LOG_DEBUG;
}

void
px_log(px_log_level lvl, const char *fmt, ...)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	if (lvl < px_log_min)
		return;
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* One fprintf call so lines from several threads do not interleave. */
	fprintf(stderr, "%s %s %s: %s\n", ts, px_log_prog, names[lvl], line);
}

int64_t
px_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
px_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
px_days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return days[month - 1];
}

bool
px_date_valid(int32_t ymd)
{
	int y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
	return y >= 1900 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 &&
	       d <= px_days_in_month(y, m);
}

static bool
px_digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

px_err
px_date_parse(const char *s, int32_t *out)
{
	int y, m, d;
	if (s == NULL)
		return PX_EINVAL;
	size_t n = strlen(s);
	if (n != 10)
		return PX_EINVAL;
	if (s[4] == '-' && s[7] == '-') {
		if (!px_digits(s, 4, &y) || !px_digits(s + 5, 2, &m) || !px_digits(s + 8, 2, &d))
			return PX_EINVAL;
	} else if ((s[2] == '-' && s[5] == '-') || (s[2] == '/' && s[5] == '/')) {
		if (!px_digits(s, 2, &d) || !px_digits(s + 3, 2, &m) || !px_digits(s + 6, 4, &y))
			return PX_EINVAL;
	} else {
		return PX_EINVAL;
	}
	int32_t ymd = y * 10000 + m * 100 + d;
	if (!px_date_valid(ymd))
		return PX_EINVAL;
	*out = ymd;
	return PX_OK;
}

int32_t
px_date_today(void)
{
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int32_t
px_date_add_days(int32_t ymd, int days)
{
	struct tm tm = {0};
	tm.tm_year = ymd / 10000 - 1900;
	tm.tm_mon = ymd / 100 % 100 - 1;
	tm.tm_mday = ymd % 100 + days;
	tm.tm_hour = 12; /* away from DST edges */
	time_t t = timegm(&tm);
	gmtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

void
px_date_format(int32_t ymd, char buf[static 11])
{
	unsigned y = (unsigned)ymd / 10000 % 10000, m = (unsigned)ymd / 100 % 100, d = (unsigned)ymd % 100;
	buf[0] = (char)('0' + y / 1000);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + d / 10);
	buf[9] = (char)('0' + d % 10);
	buf[10] = '\0';
}

bool
px_strlcpy(char *dst, const char *src, size_t size)
{
	if (size == 0)
		return false;
	size_t n = strlen(src);
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}
