/*
 * px_plugin_run.c - running plugin hooks, in this process or in a forked
 * child with a time limit.
 *
 * Why fork: a rule plugin is third-party code handling the view of a whole
 * community. A crash (SIGSEGV) or an endless loop in it must neither take
 * the node down nor leave a community looking compliant. The child runs the
 * hook, collects what it emits, sends it back over a pipe in the simple
 * record format below, and _exit()s; the parent reads with a deadline and
 * SIGKILLs the child when it passes. The fork costs well under a
 * millisecond on a small process (docs/PLUGINS.md has the figures), cheap
 * next to a human command or a nightly audit.
 *
 * Record format (native byte order: both ends are the same binary):
 *   'F' u8 severity, u64 member, u64 meeting, i32 month, str rule, str fr, str en
 *   'I' str name, f64 value, u32 population
 *   'E' i32 date, i32 kind, f64 hours
 *   'Z' u32 number of records before it (end; anything missing = failure)
 * where str is u32 length + bytes (no NUL).
 */
#define _DEFAULT_SOURCE
#include "px_plugin_internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PR_MAX_ITEMS 1000000     /* findings + indicators + expected per run */
#define PR_MAX_TEXT 4096         /* longest kept message, bytes */
#define PR_MAX_WIRE (64u << 20)  /* longest child output */

typedef struct pr_sink {
	const px_plugin_params *prm;
	px_plugin_result *r;
	size_t cap_f, cap_i, cap_e;
	bool overflow;           /* out of memory or too many items */
} pr_sink;

static void
pr_fail(px_plugin_result *r, const char *fr, const char *en, ...) PX_PRINTF(2, 4);

/* --------------------------------------------------------- result helpers */

static char *
pr_strndup(const char *s, size_t max)
{
	if (s == NULL)
		s = "";
	size_t n = strnlen(s, max);
	/* Do not cut a UTF-8 sequence in the middle. */
	if (n == max)
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	char *d = malloc(n + 1);
	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static bool
pr_grow(void **v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return true;
	size_t nc = *cap ? *cap * 2 : 16;
	void *nv = realloc(*v, nc * elem);
	if (nv == NULL)
		return false;
	*v = nv;
	*cap = nc;
	return true;
}

static size_t
pr_items(const px_plugin_result *r)
{
	return r->n_findings + r->n_indicators + r->n_expected;
}

static bool
pr_add_finding(pr_sink *s, const char *rule, int sev, const char *fr, const char *en,
               uint64_t member, uint64_t meeting, int32_t month)
{
	px_plugin_result *r = s->r;
	if (pr_items(r) >= PR_MAX_ITEMS ||
	    !pr_grow((void **)&r->findings, &s->cap_f, r->n_findings, sizeof(*r->findings)))
		return false;
	px_plugin_finding *f = &r->findings[r->n_findings];
	memset(f, 0, sizeof(*f));
	f->rule_id = pr_strndup(rule, 64);
	f->message_fr = pr_strndup(fr, PR_MAX_TEXT);
	f->message_en = pr_strndup(en, PR_MAX_TEXT);
	if (f->rule_id == NULL || f->message_fr == NULL || f->message_en == NULL) {
		free(f->rule_id);
		free(f->message_fr);
		free(f->message_en);
		return false;
	}
	/* An unknown severity counts as an error: never weaker than meant. */
	f->severity = sev >= PXP_INFO && sev <= PXP_ERROR ? (pxp_severity)sev : PXP_ERROR;
	f->member_id = member;
	f->meeting_id = meeting;
	f->month = month;
	r->n_findings++;
	return true;
}

static bool
pr_add_indicator(pr_sink *s, const char *name, double value, uint32_t population)
{
	px_plugin_result *r = s->r;
	if (pr_items(r) >= PR_MAX_ITEMS ||
	    !pr_grow((void **)&r->indicators, &s->cap_i, r->n_indicators, sizeof(*r->indicators)))
		return false;
	px_plugin_indicator *x = &r->indicators[r->n_indicators];
	if ((x->name = pr_strndup(name, 64)) == NULL)
		return false;
	x->value = value;
	x->population = population;
	r->n_indicators++;
	return true;
}

static bool
pr_add_expected(pr_sink *s, int32_t date, int kind, double hours)
{
	px_plugin_result *r = s->r;
	if (pr_items(r) >= PR_MAX_ITEMS ||
	    !pr_grow((void **)&r->expected, &s->cap_e, r->n_expected, sizeof(*r->expected)))
		return false;
	r->expected[r->n_expected++] = (px_plugin_expected){date, kind, hours};
	return true;
}

void
px_plugin_result_fini(px_plugin_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_findings; i++) {
		free(r->findings[i].rule_id);
		free(r->findings[i].message_fr);
		free(r->findings[i].message_en);
	}
	for (size_t i = 0; i < r->n_indicators; i++)
		free(r->indicators[i].name);
	free(r->findings);
	free(r->indicators);
	free(r->expected);
	memset(r, 0, sizeof(*r));
}

/* Empties r and makes it a failure with one synthetic error finding, its
 * message in both languages (fr and en take the same arguments); failure
 * holds the user's language. */
static void
pr_fail(px_plugin_result *r, const char *fr, const char *en, ...)
{
	char mfr[PX_PLUGIN_WHY_MAX], men[PX_PLUGIN_WHY_MAX];
	va_list ap, aq;
	va_start(ap, en);
	va_copy(aq, ap);
	vsnprintf(mfr, sizeof(mfr), fr, ap);
	vsnprintf(men, sizeof(men), en, aq);
	va_end(aq);
	va_end(ap);
	int sig = r->term_signal;
	bool to = r->timed_out;
	px_plugin_result_fini(r);
	r->status = PX_EPLUGIN;
	r->term_signal = sig;
	r->timed_out = to;
	px_strlcpy(r->failure, PX_T(mfr, men), sizeof(r->failure));
	/* Best effort: with no memory left the status alone still says it. */
	r->findings = calloc(1, sizeof(*r->findings));
	if (r->findings != NULL) {
		pr_sink s = {.r = r, .cap_f = 1};
		pr_add_finding(&s, PX_PLUGIN_FAILURE_RULE, PXP_ERROR, mfr, men, 0, 0, 0);
	}
}

bool
px_plugin_result_compliant(const px_plugin_result *r)
{
	return r != NULL && r->status == PX_OK && px_plugin_result_count(r, PXP_ERROR) == 0;
}

bool
px_plugin_result_refuses(const px_plugin_result *r)
{
	return !px_plugin_result_compliant(r);
}

size_t
px_plugin_result_count(const px_plugin_result *r, pxp_severity sev)
{
	size_t n = 0;
	for (size_t i = 0; r != NULL && i < r->n_findings; i++)
		n += r->findings[i].severity == sev;
	return n;
}

/* ------------------------------------------------------- host services */

static void
pr_emit(void *sink, const pxp_finding *f)
{
	pr_sink *s = sink;
	if (s->overflow)
		return;
	if (f == NULL || f->rule_id == NULL)
		return; /* nothing to cite: dropped */
	if (!pr_add_finding(s, f->rule_id, (int)f->severity, f->message_fr, f->message_en,
	                    f->member_id, f->meeting_id, f->month))
		s->overflow = true;
}

static void
pr_indicator(void *sink, const char *name, double value, uint32_t population)
{
	pr_sink *s = sink;
	if (s->overflow || name == NULL)
		return;
	if (!pr_add_indicator(s, name, value, population))
		s->overflow = true;
}

static void
pr_expect(void *sink, int32_t date, int kind, double hours)
{
	pr_sink *s = sink;
	if (!s->overflow && !pr_add_expected(s, date, kind, hours))
		s->overflow = true;
}

static const px_plugin_value *
pr_param(void *sink, const char *name)
{
	pr_sink *s = sink;
	return px_plugin_params_get(s->prm, name);
}

static int64_t
pr_param_int(void *sink, const char *name)
{
	const px_plugin_value *v = pr_param(sink, name);
	if (v == NULL)
		return 0;
	return v->type == PXP_PARAM_DOUBLE ? (int64_t)v->d : v->type == PXP_PARAM_BOOL ? v->b : v->i;
}

static double
pr_param_double(void *sink, const char *name)
{
	const px_plugin_value *v = pr_param(sink, name);
	if (v == NULL)
		return 0;
	return v->type == PXP_PARAM_BOOL ? (double)v->b : v->d;
}

static bool
pr_param_bool(void *sink, const char *name)
{
	const px_plugin_value *v = pr_param(sink, name);
	if (v == NULL)
		return false;
	return v->type == PXP_PARAM_BOOL ? v->b : v->d != 0;
}

static const char *
pr_param_str(void *sink, const char *name)
{
	const px_plugin_value *v = pr_param(sink, name);
	return v == NULL ? "" : v->s;
}

static const pxp_host pr_host = {
	.size = sizeof(pxp_host),
	.emit = pr_emit,
	.indicator = pr_indicator,
	.expect_meeting = pr_expect,
	.param_int = pr_param_int,
	.param_double = pr_param_double,
	.param_bool = pr_param_bool,
	.param_str = pr_param_str,
};

/* ------------------------------------------------------------ one call */

typedef struct pr_call {
	pxi_hook hook;
	const pxp_community *c;
	const pxp_change *change;
	int year;
} pr_call;

static void
pr_run_inproc(const px_plugin *p, const px_plugin_params *prm, const pr_call *call,
              px_plugin_result *r)
{
	pr_sink s = {.prm = prm, .r = r};
	const pxp_hooks *h = pxi_hooks(p);
	switch (call->hook) {
	case PXI_HOOK_AUDIT:
		h->audit(&pr_host, &s, call->c);
		break;
	case PXI_HOOK_CHANGE:
		h->check_change(&pr_host, &s, call->c, call->change);
		break;
	case PXI_HOOK_INDICATORS:
		h->indicators(&pr_host, &s, call->c);
		break;
	case PXI_HOOK_CALENDAR:
		h->calendar(&pr_host, &s, call->c, call->year);
		break;
	}
	if (s.overflow)
		pr_fail(r, "plugin %s : trop de résultats ou mémoire épuisée",
		                "plugin %s: too many results or out of memory", px_plugin_name(p));
}

/* ---------------------------------------------------- the wire format */

typedef struct pr_buf {
	unsigned char *b;
	size_t n, cap;
	bool bad;
} pr_buf;

static void
pr_put(pr_buf *w, const void *data, size_t n)
{
	if (w->bad)
		return;
	if (w->n + n > w->cap) {
		size_t nc = w->cap ? w->cap : 4096;
		while (nc < w->n + n)
			nc *= 2;
		unsigned char *nb = nc > PR_MAX_WIRE ? NULL : realloc(w->b, nc);
		if (nb == NULL) {
			w->bad = true;
			return;
		}
		w->b = nb;
		w->cap = nc;
	}
	memcpy(w->b + w->n, data, n);
	w->n += n;
}

static void
pr_put_str(pr_buf *w, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);
	pr_put(w, &n, sizeof(n));
	pr_put(w, s, n);
}

static void
pr_encode(const px_plugin_result *r, pr_buf *w)
{
	uint32_t count = 0;
	for (size_t i = 0; i < r->n_findings; i++, count++) {
		const px_plugin_finding *f = &r->findings[i];
		uint8_t sev = (uint8_t)f->severity;
		pr_put(w, "F", 1);
		pr_put(w, &sev, 1);
		pr_put(w, &f->member_id, 8);
		pr_put(w, &f->meeting_id, 8);
		pr_put(w, &f->month, 4);
		pr_put_str(w, f->rule_id);
		pr_put_str(w, f->message_fr);
		pr_put_str(w, f->message_en);
	}
	for (size_t i = 0; i < r->n_indicators; i++, count++) {
		pr_put(w, "I", 1);
		pr_put_str(w, r->indicators[i].name);
		pr_put(w, &r->indicators[i].value, 8);
		pr_put(w, &r->indicators[i].population, 4);
	}
	for (size_t i = 0; i < r->n_expected; i++, count++) {
		int32_t kind = r->expected[i].kind;
		pr_put(w, "E", 1);
		pr_put(w, &r->expected[i].date, 4);
		pr_put(w, &kind, 4);
		pr_put(w, &r->expected[i].hours, 8);
	}
	pr_put(w, "Z", 1);
	pr_put(w, &count, 4);
}

typedef struct pr_rd {
	const unsigned char *b;
	size_t n, off;
} pr_rd;

static bool
pr_get(pr_rd *rd, void *out, size_t n)
{
	if (rd->n - rd->off < n)
		return false;
	memcpy(out, rd->b + rd->off, n);
	rd->off += n;
	return true;
}

/* A string of at most max bytes, copied into buf (max + 1 bytes). */
static bool
pr_get_str(pr_rd *rd, char *buf, size_t max)
{
	uint32_t n;
	if (!pr_get(rd, &n, 4) || n > max || !pr_get(rd, buf, n))
		return false;
	buf[n] = '\0';
	return true;
}

/* Decodes the child's bytes into r; false on any malformation. */
static bool
pr_decode(const unsigned char *b, size_t n, px_plugin_result *r)
{
	char fr[PR_MAX_TEXT + 1], en[PR_MAX_TEXT + 1];
	pr_rd rd = {b, n, 0};
	pr_sink s = {.r = r};
	uint32_t count = 0;
	for (;;) {
		char tag, rule[65], name[65];
		if (!pr_get(&rd, &tag, 1))
			return false;
		if (tag == 'Z') {
			uint32_t want;
			return pr_get(&rd, &want, 4) && want == count && rd.off == rd.n;
		}
		if (tag == 'F') {
			uint8_t sev;
			uint64_t member, meeting;
			int32_t month;
			if (!pr_get(&rd, &sev, 1) || !pr_get(&rd, &member, 8) || !pr_get(&rd, &meeting, 8) ||
			    !pr_get(&rd, &month, 4) || !pr_get_str(&rd, rule, 64) ||
			    !pr_get_str(&rd, fr, PR_MAX_TEXT) || !pr_get_str(&rd, en, PR_MAX_TEXT) ||
			    !pr_add_finding(&s, rule, sev, fr, en, member, meeting, month))
				return false;
		} else if (tag == 'I') {
			double v;
			uint32_t pop;
			if (!pr_get_str(&rd, name, 64) || !pr_get(&rd, &v, 8) || !pr_get(&rd, &pop, 4) ||
			    !pr_add_indicator(&s, name, v, pop))
				return false;
		} else if (tag == 'E') {
			int32_t date, kind;
			double hours;
			if (!pr_get(&rd, &date, 4) || !pr_get(&rd, &kind, 4) || !pr_get(&rd, &hours, 8) ||
			    !pr_add_expected(&s, date, kind, hours))
				return false;
		} else {
			return false;
		}
		count++;
	}
}

/* ---------------------------------------------------------- forked run */

static int64_t
pr_ms_left(int64_t deadline_ns)
{
	int64_t left = deadline_ns - px_mono_ns();
	return left <= 0 ? 0 : (left + 999999) / 1000000;
}

static void
pr_write_all(int fd, const unsigned char *b, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			_exit(3);
		b += k;
		n -= (size_t)k;
	}
}

#if defined(__SANITIZE_ADDRESS__)
#define PR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PR_ASAN 1
#endif
#endif

/* A plugin that allocates without end must fail alone, not wake the OOM
 * killer: the child's address space may grow by PRAXIS_PLUGIN_MEMORY_MB
 * (default 1024) over what it inherited. Not under AddressSanitizer, whose
 * shadow reservation is terabytes of address space. */
static void
pr_limit_memory(void)
{
#ifndef PR_ASAN
	long mb = 1024;
	const char *e = getenv("PRAXIS_PLUGIN_MEMORY_MB");
	if (e != NULL && *e != '\0') {
		char *end;
		long v = strtol(e, &end, 10);
		if (*end == '\0' && v >= 16 && v <= 1048576)
			mb = v;
	}
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long pages = 0;
	if (f == NULL)
		return;
	int ok = fscanf(f, "%lu", &pages) == 1;
	fclose(f);
	if (!ok)
		return;
	rlim_t cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
	struct rlimit rl = {cur + (rlim_t)mb * 1024 * 1024, cur + (rlim_t)mb * 1024 * 1024};
	struct rlimit old;
	if (getrlimit(RLIMIT_AS, &old) == 0 && old.rlim_max != RLIM_INFINITY && old.rlim_max < rl.rlim_max)
		rl.rlim_cur = rl.rlim_max = old.rlim_max;
	setrlimit(RLIMIT_AS, &rl);
#endif
}

static void
pr_child(const px_plugin *p, const px_plugin_params *prm, const pr_call *call, int fd)
{
	/* Crash signals get their default action back, so a plugin crash ends
	 * the child by that signal (sanitizer runtimes install handlers that
	 * would turn it into an exit code). */
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGPIPE, SIGTERM};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	pr_limit_memory();
	px_plugin_result r;
	memset(&r, 0, sizeof(r));
	pr_run_inproc(p, prm, call, &r);
	if (r.status != PX_OK)
		_exit(4); /* overflow: the parent reports it as a failure */
	pr_buf w = {0};
	pr_encode(&r, &w);
	if (w.bad)
		_exit(5);
	pr_write_all(fd, w.b, w.n);
	/* _exit: no atexit handlers, no stdio flush, no leak check of the
	 * parent's heap copy: the child owns nothing of its own. */
	_exit(0);
}

static void
pr_run_fork(const px_plugin *p, const px_plugin_params *prm, const pr_call *call, int timeout_ms,
            px_plugin_result *r)
{
	const char *name = px_plugin_name(p);
	int fds[2];
	if (pipe(fds) != 0) {
		pr_fail(r, "plugin %s : tube impossible (%s)", "plugin %s: cannot create pipe (%s)",
		        name, strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		pr_fail(r, "plugin %s : fork impossible (%s)", "plugin %s: cannot fork (%s)", name,
		        strerror(errno));
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		pr_child(p, prm, call, fds[1]);
	}
	close(fds[1]);
	int64_t deadline = px_mono_ns() + (int64_t)timeout_ms * 1000000;
	pr_buf in = {0};
	bool eof = false, too_big = false;
	while (!eof && !in.bad) {
		int64_t left = pr_ms_left(deadline);
		if (left == 0)
			break;
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		int k = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (k < 0 && errno != EINTR)
			break;
		if (k <= 0)
			continue;
		unsigned char chunk[65536];
		ssize_t got = read(fds[0], chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			eof = true;
			break;
		}
		pr_put(&in, chunk, (size_t)got);
		too_big = in.bad;
	}
	close(fds[0]);
	/* The child may close the pipe and still loop: wait with the same
	 * deadline, polling, then kill. */
	int status = 0;
	pid_t w = 0;
	/* Short naps: after the end of file the child is normally exiting, and
	 * a long nap would add to every run (capped at 1 ms). */
	long nap_us = 20;
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w != 0 || too_big || pr_ms_left(deadline) == 0)
			break;
		struct timespec ts = {0, nap_us * 1000};
		nanosleep(&ts, NULL);
		if (nap_us < 1000)
			nap_us *= 2;
	}
	if (w == 0) {
		kill(pid, SIGKILL);
		while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		r->timed_out = !too_big;
	}
	if (w < 0) {
		free(in.b);
		pr_fail(r, "plugin %s : état du processus fils perdu (%s)",
		                "plugin %s: lost the child's status (%s)", name, strerror(errno));
		return;
	}
	if (too_big) {
		free(in.b);
		pr_fail(r, "plugin %s : sortie trop volumineuse (plus de %u Mio), arrêté",
		                "plugin %s: output too large (over %u MiB), stopped", name,
		        PR_MAX_WIRE >> 20);
		return;
	}
	if (r->timed_out) {
		free(in.b);
		pr_fail(r, "plugin %s : délai de %d ms dépassé (boucle ?), processus arrêté",
		                "plugin %s: time limit of %d ms exceeded (loop?), process killed",
		        name, timeout_ms);
		return;
	}
	if (WIFSIGNALED(status)) {
		r->term_signal = WTERMSIG(status);
		free(in.b);
		pr_fail(r, "plugin %s : planté (signal %d, %s)", "plugin %s: crashed (signal %d, %s)",
		        name, r->term_signal, strsignal(r->term_signal));
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		free(in.b);
		pr_fail(r, "plugin %s : terminé avec le code %d sans résultat complet",
		                "plugin %s: exited with code %d without a complete result", name, code);
		return;
	}
	bool ok = eof && pr_decode(in.b, in.n, r);
	free(in.b);
	if (!ok)
		pr_fail(r, "plugin %s : résultat illisible", "plugin %s: unreadable result", name);
}

/* ---------------------------------------------------------- dispatch */

/* PRAXIS_PLUGIN_TIMEOUT_MS, when set to 1..600000, replaces the default
 * limits (operators with slow machines; tests with looping fixtures). */
static int
pr_env_timeout(int def)
{
	const char *e = getenv("PRAXIS_PLUGIN_TIMEOUT_MS");
	if (e == NULL || *e == '\0')
		return def;
	char *end;
	errno = 0;
	long v = strtol(e, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 600000)
		return def;
	return (int)v;
}

static px_err
pr_run(const px_plugin *p, const px_plugin_params *prm, const pr_call *call,
       const px_plugin_run_opts *opts, int def_timeout, px_plugin_result *out)
{
	memset(out, 0, sizeof(*out));
	if (p == NULL || call->c == NULL || call->c->size != sizeof(pxp_community) ||
	    (prm != NULL && pxi_params_plugin(prm) != p)) {
		out->status = PX_EINVAL;
		return PX_EINVAL;
	}
	px_plugin_params *own = NULL;
	if (prm == NULL) {
		px_err rv = px_plugin_params_alloc(p, &own);
		if (rv != PX_OK) {
			out->status = rv;
			return rv;
		}
		prm = own;
	}
	px_plugin_run_opts o = {0};
	if (opts != NULL)
		o = *opts;
	if (o.timeout_ms <= 0)
		o.timeout_ms = pr_env_timeout(def_timeout);
	if (o.isolation == PX_PLUGIN_ISOLATE_NONE)
		pr_run_inproc(p, prm, call, out);
	else
		pr_run_fork(p, prm, call, o.timeout_ms, out);
	px_plugin_params_free(own);
	/* A failure is not logged here: it travels as the PLUGIN finding. */
	return out->status;
}

px_err
px_plugin_audit(const px_plugin *p, const px_plugin_params *prm, const pxp_community *c,
                const px_plugin_run_opts *opts, px_plugin_result *out)
{
	pr_call call = {.hook = PXI_HOOK_AUDIT, .c = c};
	return pr_run(p, prm, &call, opts, PX_PLUGIN_AUDIT_TIMEOUT_MS, out);
}

/* Does finding f concern the change? Every subject both name must agree,
 * and at least one must be shared; a community change keeps the findings
 * about no member and no meeting. */
static bool
pr_matches(const px_plugin_finding *f, const pxp_change *ch)
{
	if (ch->kind == PXP_CHANGE_COMMUNITY)
		return f->member_id == 0 && f->meeting_id == 0;
	int shared = 0;
	if (ch->member_id != 0 && f->member_id != 0) {
		if (f->member_id != ch->member_id)
			return false;
		shared++;
	}
	if (ch->meeting_id != 0 && f->meeting_id != 0) {
		if (f->meeting_id != ch->meeting_id)
			return false;
		shared++;
	}
	if (ch->month != 0 && f->month != 0) {
		if (f->month != ch->month)
			return false;
	}
	return shared > 0;
}

px_err
px_plugin_check_change(const px_plugin *p, const px_plugin_params *prm, const pxp_community *c,
                       const pxp_change *change, const px_plugin_run_opts *opts,
                       px_plugin_result *out)
{
	if (change == NULL) {
		memset(out, 0, sizeof(*out));
		out->status = PX_EINVAL;
		return PX_EINVAL;
	}
	if (p != NULL && pxi_has_hook(p, PXI_HOOK_CHANGE)) {
		pr_call call = {.hook = PXI_HOOK_CHANGE, .c = c, .change = change};
		return pr_run(p, prm, &call, opts, PX_PLUGIN_CHANGE_TIMEOUT_MS, out);
	}
	pr_call call = {.hook = PXI_HOOK_AUDIT, .c = c};
	px_err rv = pr_run(p, prm, &call, opts, PX_PLUGIN_CHANGE_TIMEOUT_MS, out);
	if (rv != PX_OK)
		return rv;
	size_t k = 0;
	for (size_t i = 0; i < out->n_findings; i++) {
		px_plugin_finding *f = &out->findings[i];
		if (pr_matches(f, change)) {
			out->findings[k++] = *f;
		} else {
			free(f->rule_id);
			free(f->message_fr);
			free(f->message_en);
		}
	}
	out->n_findings = k;
	return PX_OK;
}

px_err
px_plugin_indicators(const px_plugin *p, const px_plugin_params *prm, const pxp_community *c,
                     const px_plugin_run_opts *opts, px_plugin_result *out)
{
	if (p != NULL && !pxi_has_hook(p, PXI_HOOK_INDICATORS) && c != NULL) {
		memset(out, 0, sizeof(*out));
		return PX_OK;
	}
	pr_call call = {.hook = PXI_HOOK_INDICATORS, .c = c};
	return pr_run(p, prm, &call, opts, PX_PLUGIN_AUDIT_TIMEOUT_MS, out);
}

px_err
px_plugin_calendar(const px_plugin *p, const px_plugin_params *prm, const pxp_community *c,
                   int year, const px_plugin_run_opts *opts, px_plugin_result *out)
{
	if (p != NULL && !pxi_has_hook(p, PXI_HOOK_CALENDAR) && c != NULL) {
		memset(out, 0, sizeof(*out));
		return PX_OK;
	}
	pr_call call = {.hook = PXI_HOOK_CALENDAR, .c = c, .year = year};
	return pr_run(p, prm, &call, opts, PX_PLUGIN_AUDIT_TIMEOUT_MS, out);
}
