/*
 * views.c - the aggregate index: what the views read instead of the
 * signed reports.
 *
 *   heads  tenant\0uid\0period                      -> be32(revision) framework\0 region\0
 *   views  period\0framework\0region\0tenant\0uid\0 -> the latest revision, compact
 *
 * Both are written by hub_views_put in the write transaction that stores
 * the report (hub_submit_store), so they can never disagree with the
 * `reports` table after a crash. `views` holds only what px_agg and the
 * pages read (k, community name, indicators, findings), without signature,
 * older revisions or indicator names of the core table (one byte each), so
 * an aggregate reads ~150 bytes per report instead of a full report, and a
 * period (or a period and a framework, ...) is one range of keys. `heads`
 * says which `views` key holds a community's latest revision (its framework
 * or region may change between revisions) and gives the per-tenant and
 * per-community order the exports need.
 *
 * Value of `views` (integers are LEB128 varints, strings are varint length,
 * bytes, then a NUL so that they can be used in place):
 *   u8 format (1), revision, k, community_name,
 *   n_indicators, each: u8 rank (core indicator 0..15) or 0xff + name,
 *                       u8 flags (1 suppressed, 2 value is a varint),
 *                       value (varint, or 8 bytes of the IEEE double,
 *                       little end first), population;
 *   n_findings, each: rule_id, u8 severity, count, u8 suppressed.
 */
#define _GNU_SOURCE
#include "hub.h"
#include "px_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HUB_VIEW_FORMAT 1
#define HUB_VIEW_NAME 0xff


/* ------------------------------------------------------------ encoding */

typedef struct hub_wbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
} hub_wbuf;

static void
hub_wbuf_need(hub_wbuf *b, size_t n)
{
	if (b->oom || b->len + n <= b->cap)
		return;
	size_t nc = b->cap ? b->cap : 512;
	while (nc < b->len + n)
		nc *= 2;
	uint8_t *np = realloc(b->p, nc);
	if (np == NULL) {
		b->oom = true;
		return;
	}
	b->p = np;
	b->cap = nc;
}

static void
hub_wbuf_put(hub_wbuf *b, const void *d, size_t n)
{
	hub_wbuf_need(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void
hub_wbuf_u8(hub_wbuf *b, uint8_t v)
{
	hub_wbuf_put(b, &v, 1);
}

static void
hub_wbuf_var(hub_wbuf *b, uint64_t v)
{
	uint8_t t[10];
	size_t n = 0;
	do {
		t[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			t[n] |= 0x80;
		n++;
	} while (v != 0);
	hub_wbuf_put(b, t, n);
}

static void
hub_wbuf_str(hub_wbuf *b, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;
	hub_wbuf_var(b, n);
	hub_wbuf_put(b, n ? s : "", n);
	hub_wbuf_u8(b, 0);
}

/* Counts of people are whole numbers: a varint keeps them exact in 1-3
 * bytes; anything else (rates, means, -0) keeps its 8 bytes. */
static bool
hub_view_integral(double v)
{
	return v >= 0 && v < 9007199254740992.0 && v == floor(v) && !signbit(v);
}

static void
hub_view_encode(hub_wbuf *b, const Praxis__CommunityReport *r)
{
	hub_wbuf_u8(b, HUB_VIEW_FORMAT);
	hub_wbuf_var(b, r->revision);
	hub_wbuf_var(b, r->k);
	hub_wbuf_str(b, r->community_name);
	size_t ni = 0;
	for (size_t i = 0; i < r->n_indicators; i++)
		ni += r->indicators[i] != NULL && r->indicators[i]->name != NULL;
	hub_wbuf_var(b, ni);
	for (size_t i = 0; i < r->n_indicators; i++) {
		const Praxis__Indicator *in = r->indicators[i];
		if (in == NULL || in->name == NULL)
			continue;
		int rank = px_report_indicator_rank(in->name);
		if (rank >= 0 && rank < PX_IND_NCORE) {
			hub_wbuf_u8(b, (uint8_t)rank);
		} else {
			hub_wbuf_u8(b, HUB_VIEW_NAME);
			hub_wbuf_str(b, in->name);
		}
		bool whole = hub_view_integral(in->value);
		hub_wbuf_u8(b, (uint8_t)((in->suppressed ? 1 : 0) | (whole ? 2 : 0)));
		if (whole) {
			hub_wbuf_var(b, (uint64_t)in->value);
		} else {
			uint64_t bits;
			uint8_t le[8];
			memcpy(&bits, &in->value, 8);
			for (int k = 0; k < 8; k++)
				le[k] = (uint8_t)(bits >> (8 * k));
			hub_wbuf_put(b, le, 8);
		}
		hub_wbuf_var(b, in->population);
	}
	size_t nf = 0;
	for (size_t i = 0; i < r->n_findings; i++)
		nf += r->findings[i] != NULL && r->findings[i]->rule_id != NULL;
	hub_wbuf_var(b, nf);
	for (size_t i = 0; i < r->n_findings; i++) {
		const Praxis__FindingCount *f = r->findings[i];
		if (f == NULL || f->rule_id == NULL)
			continue;
		hub_wbuf_str(b, f->rule_id);
		hub_wbuf_u8(b, (uint8_t)f->severity);
		hub_wbuf_var(b, f->count);
		hub_wbuf_u8(b, f->suppressed ? 1 : 0);
	}
}

/* ------------------------------------------------------------ decoding */

typedef struct hub_rd {
	const uint8_t *p, *end;
	bool bad;
} hub_rd;

static uint8_t
hub_rd_u8(hub_rd *r)
{
	if (r->bad || r->p >= r->end) {
		r->bad = true;
		return 0;
	}
	return *r->p++;
}

static uint64_t
hub_rd_var(hub_rd *r)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t c = hub_rd_u8(r);
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

/* A string of the value, used in place (it ends with its NUL). */
static const char *
hub_rd_str(hub_rd *r)
{
	uint64_t n = hub_rd_var(r);
	if (r->bad || n >= (uint64_t)(r->end - r->p) || r->p[n] != 0 ||
	    memchr(r->p, 0, n) != NULL) {
		r->bad = true;
		return "";
	}
	const char *s = (const char *)r->p;
	r->p += n + 1;
	return s;
}

/* The decoder's storage, reused from one report to the next. */
typedef struct hub_view_dec {
	Praxis__CommunityReport r;
	Praxis__Indicator *ind;
	Praxis__Indicator **pind;
	size_t cap_ind;
	Praxis__FindingCount *fc;
	Praxis__FindingCount **pfc;
	size_t cap_fc;
} hub_view_dec;

static void
hub_view_dec_fini(hub_view_dec *d)
{
	free(d->ind);
	free(d->pind);
	free(d->fc);
	free(d->pfc);
	memset(d, 0, sizeof *d);
}

static px_err
hub_view_dec_grow(hub_view_dec *d, size_t ni, size_t nf)
{
	if (ni > d->cap_ind) {
		Praxis__Indicator *a = realloc(d->ind, ni * sizeof *a);
		if (a != NULL)
			d->ind = a;
		Praxis__Indicator **p = realloc(d->pind, ni * sizeof *p);
		if (p != NULL)
			d->pind = p;
		if (a == NULL || p == NULL)
			return PX_ENOMEM;
		d->cap_ind = ni;
	}
	if (nf > d->cap_fc) {
		Praxis__FindingCount *a = realloc(d->fc, nf * sizeof *a);
		if (a != NULL)
			d->fc = a;
		Praxis__FindingCount **p = realloc(d->pfc, nf * sizeof *p);
		if (p != NULL)
			d->pfc = p;
		if (a == NULL || p == NULL)
			return PX_ENOMEM;
		d->cap_fc = nf;
	}
	return PX_OK;
}

/* The report of a `views` value, pointing into val (valid as long as val
 * is) and into d. */
static px_err
hub_view_decode(hub_view_dec *d, px_val val, const char *period, const char *framework,
                const char *region, const char *uid)
{
	static const Praxis__CommunityReport rinit = PRAXIS__COMMUNITY_REPORT__INIT;
	static const Praxis__Indicator iinit = PRAXIS__INDICATOR__INIT;
	static const Praxis__FindingCount finit = PRAXIS__FINDING_COUNT__INIT;
	hub_rd rd = {val.data, (const uint8_t *)val.data + val.size, false};
	if (hub_rd_u8(&rd) != HUB_VIEW_FORMAT)
		return PX_ECORRUPT;
	Praxis__CommunityReport *r = &d->r;
	*r = rinit;
	r->revision = (uint32_t)hub_rd_var(&rd);
	r->k = (uint32_t)hub_rd_var(&rd);
	r->community_name = (char *)hub_rd_str(&rd);
	r->community_uid = (char *)uid;
	r->period = (char *)period;
	r->framework = (char *)framework;
	r->region = (char *)region;
	uint64_t ni = hub_rd_var(&rd);
	if (rd.bad || ni > val.size)
		return PX_ECORRUPT;
	px_err rv = hub_view_dec_grow(d, (size_t)ni, 0);
	if (rv != PX_OK)
		return rv;
	for (size_t i = 0; i < ni && !rd.bad; i++) {
		Praxis__Indicator *in = &d->ind[i];
		*in = iinit;
		uint8_t rank = hub_rd_u8(&rd);
		if (rank == HUB_VIEW_NAME)
			in->name = (char *)hub_rd_str(&rd);
		else if (rank < PX_IND_NCORE)
			in->name = (char *)px_report_indicator_name(rank);
		else
			rd.bad = true;
		uint8_t fl = hub_rd_u8(&rd);
		in->suppressed = (fl & 1) != 0;
		if (fl & 2) {
			in->value = (double)hub_rd_var(&rd);
		} else {
			uint64_t bits = 0;
			for (int k = 0; k < 8; k++)
				bits |= (uint64_t)hub_rd_u8(&rd) << (8 * k);
			memcpy(&in->value, &bits, 8);
		}
		in->population = (uint32_t)hub_rd_var(&rd);
		d->pind[i] = in;
	}
	uint64_t nf = hub_rd_var(&rd);
	if (rd.bad || nf > val.size)
		return PX_ECORRUPT;
	if ((rv = hub_view_dec_grow(d, 0, (size_t)nf)) != PX_OK)
		return rv;
	for (size_t i = 0; i < nf && !rd.bad; i++) {
		Praxis__FindingCount *f = &d->fc[i];
		*f = finit;
		f->rule_id = (char *)hub_rd_str(&rd);
		f->severity = (Praxis__Severity)hub_rd_u8(&rd);
		f->count = (uint32_t)hub_rd_var(&rd);
		f->suppressed = hub_rd_u8(&rd) != 0;
		d->pfc[i] = f;
	}
	if (rd.bad || rd.p != rd.end)
		return PX_ECORRUPT;
	r->n_indicators = (size_t)ni;
	r->indicators = d->pind;
	r->n_findings = (size_t)nf;
	r->findings = d->pfc;
	return PX_OK;
}

/* --------------------------------------------------------------- keys */

/* period\0framework\0region\0tenant\0uid\0; 0 when it does not fit. */
static size_t
hub_view_key(uint8_t *out, size_t cap, const char *period, const char *framework,
             const char *region, const char *tenant, const char *uid)
{
	const char *f[5] = {period, framework, region, tenant, uid};
	size_t n = 0;
	for (int i = 0; i < 5; i++) {
		size_t l = strlen(f[i]) + 1;
		if (n + l > cap)
			return 0;
		memcpy(out + n, f[i], l);
		n += l;
	}
	return n;
}

/* Splits a key made of NUL-terminated fields, in place. */
static bool
hub_key_split(px_val key, const char **f, int nf, bool last_terminated)
{
	const char *p = key.data, *end = p + key.size;
	for (int i = 0; i < nf; i++) {
		const char *z = memchr(p, 0, (size_t)(end - p));
		if (z == NULL && !(i == nf - 1 && !last_terminated))
			return false;
		f[i] = p;
		p = z != NULL ? z + 1 : end;
	}
	return p == end;
}

/* --------------------------------------------------------------- writes */

static uint32_t
hub_rd32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

px_err
hub_views_put(px_txn *txn, px_db heads, px_db views, const char *tenant,
              const Praxis__CommunityReport *r)
{
	uint8_t hkey[512], vkey[1024];
	size_t hl =
	    hub_report_key(hkey, sizeof hkey, tenant, r->community_uid, r->period, 0, false);
	size_t vl = hub_view_key(vkey, sizeof vkey, r->period, r->framework, r->region, tenant,
	                         r->community_uid);
	if (hl == 0 || vl == 0)
		return PX_EINVAL;
	px_val old;
	px_err rv = px_get(txn, heads, hkey, hl, &old);
	if (rv == PX_OK) {
		const char *f[2];
		px_val fr = {(const uint8_t *)old.data + 4, old.size - 4};
		if (old.size < 4 || !hub_key_split(fr, f, 2, true))
			return PX_ECORRUPT;
		if (hub_rd32(old.data) >= r->revision)
			return PX_OK; /* an older revision arriving late changes no view */
		/* The framework or region may have changed: the old entry goes. */
		uint8_t okey[1024];
		size_t ol = hub_view_key(okey, sizeof okey, r->period, f[0], f[1], tenant,
		                         r->community_uid);
		if (ol == 0)
			return PX_ECORRUPT;
		if ((rv = px_del(txn, views, okey, ol)) != PX_OK && rv != PX_ENOTFOUND)
			return rv;
	} else if (rv != PX_ENOTFOUND) {
		return rv;
	}
	hub_wbuf b = {0};
	hub_view_encode(&b, r);
	if (!b.oom) {
		rv = px_put(txn, views, vkey, vl, b.p, b.len);
		b.len = 0;
		uint8_t be[4] = {(uint8_t)(r->revision >> 24), (uint8_t)(r->revision >> 16),
		                 (uint8_t)(r->revision >> 8), (uint8_t)r->revision};
		hub_wbuf_put(&b, be, 4);
		hub_wbuf_put(&b, r->framework, strlen(r->framework) + 1);
		hub_wbuf_put(&b, r->region, strlen(r->region) + 1);
	}
	if (b.oom)
		rv = PX_ENOMEM;
	if (rv == PX_OK)
		rv = px_put(txn, heads, hkey, hl, b.p, b.len);
	free(b.p);
	return rv;
}

/* ---------------------------------------------------------------- reads */

typedef struct hub_views_ctx {
	hub *h;
	const hub_filter *f;
	hub_view_fn fn;
	void *arg;
	hub_view_dec dec;
} hub_views_ctx;

/* Entries a scan reads in one read transaction, between two
 * px_store_release: short transactions let the writers reuse freed pages
 * while an export runs for seconds, and the release keeps a scan of every
 * report from keeping the whole data file resident (its pages are spread
 * over the file, and Linux maps up to 16 cached neighbours of each page
 * read). */
#define HUB_VIEWS_CHUNK 2048

static bool
hub_want(const char *want, const char *have)
{
	return want == NULL || want[0] == '\0' || strcmp(want, have) == 0;
}

static px_err
hub_views_emit(hub_views_ctx *c, const char *const *k, px_val val)
{
	const hub_filter *f = c->f;
	if (!hub_want(f->period, k[0]) || !hub_want(f->framework, k[1]) ||
	    !hub_want(f->region, k[2]) || !hub_want(f->tenant, k[3]) ||
	    !hub_want(f->community, k[4]) || !hub_scope_allows(f->scope, k[3], k[1], k[2]))
		return PX_OK;
	px_err rv = hub_view_decode(&c->dec, val, k[0], k[1], k[2], k[4]);
	if (rv != PX_OK)
		return rv;
	hub_view v = {k[3], &c->dec.r};
	return c->fn(c->arg, &v);
}

static px_err
hub_views_cb(void *arg, px_txn *txn, px_val key, px_val val)
{
	(void)txn;
	const char *k[5];
	if (!hub_key_split(key, k, 5, true))
		return PX_ECORRUPT;
	return hub_views_emit(arg, k, val);
}

/* A `heads` entry: its `views` entry, read by key in the same
 * transaction. */
static px_err
hub_heads_cb(void *arg, px_txn *txn, px_val key, px_val val)
{
	hub_views_ctx *c = arg;
	const char *hk[3], *fr[2];
	px_val rest = {(const uint8_t *)val.data + 4, val.size - 4};
	if (!hub_key_split(key, hk, 3, false) || val.size < 4 || !hub_key_split(rest, fr, 2, true))
		return PX_ECORRUPT;
	/* The key's last field (period) is not terminated in the map. */
	char period[32];
	size_t pl = (size_t)((const char *)key.data + key.size - hk[2]);
	if (pl >= sizeof period)
		return PX_ECORRUPT;
	memcpy(period, hk[2], pl);
	period[pl] = '\0';
	char tenant[PX_JT_TENANT_MAX + 1];
	if (!px_strlcpy(tenant, hk[0], sizeof tenant))
		return PX_ECORRUPT;
	uint8_t vkey[1024];
	size_t vl = hub_view_key(vkey, sizeof vkey, period, fr[0], fr[1], tenant, hk[1]);
	px_val v;
	px_err rv = vl != 0 ? px_get(txn, c->h->views, vkey, vl, &v) : PX_ECORRUPT;
	if (rv == PX_ENOTFOUND)
		rv = PX_ECORRUPT; /* written together: one without the other is damage */
	if (rv != PX_OK)
		return rv;
	const char *k[5];
	if (!hub_key_split((px_val){vkey, vl}, k, 5, true))
		return PX_ECORRUPT;
	return hub_views_emit(c, k, v);
}

static bool
hub_set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* The tenant that owns community uid (f->tenant when given); "" when
 * nobody reported it. */
static px_err
hub_views_owner(hub *h, const hub_filter *f, char owner[PX_JT_TENANT_MAX + 1])
{
	owner[0] = '\0';
	if (hub_set(f->tenant)) {
		px_strlcpy(owner, f->tenant, PX_JT_TENANT_MAX + 1);
		return PX_OK;
	}
	px_txn *txn;
	px_err rv = px_txn_begin(h->st, false, &txn);
	if (rv != PX_OK)
		return rv;
	px_val o;
	rv = px_get(txn, h->communities, f->community, strlen(f->community), &o);
	if (rv == PX_OK) {
		if (o.size > PX_JT_TENANT_MAX) {
			rv = PX_ECORRUPT;
		} else {
			memcpy(owner, o.data, o.size);
			owner[o.size] = '\0';
		}
	} else if (rv == PX_ENOTFOUND) {
		rv = PX_OK;
	}
	px_txn_abort(txn);
	return rv;
}

px_err
hub_views_each(hub *h, const hub_filter *f, bool community_major, hub_view_fn fn, void *arg)
{
	hub_views_ctx c;
	memset(&c, 0, sizeof c);
	c.h = h;
	c.f = f;
	c.fn = fn;
	c.arg = arg;
	uint8_t pre[512];
	size_t pl = 0;
	px_db db = h->views;
	px_scan_txn_fn cb = hub_views_cb;
	px_err rv = PX_OK;
	if (hub_set(f->community)) {
		/* One community: its owner, then its heads. */
		char owner[PX_JT_TENANT_MAX + 1];
		if ((rv = hub_views_owner(h, f, owner)) != PX_OK || owner[0] == '\0')
			return rv; /* nobody reported it */
		size_t tl = strlen(owner), ul = strlen(f->community);
		if (tl + ul + 2 > sizeof pre)
			return PX_EINVAL;
		memcpy(pre, owner, tl + 1);
		memcpy(pre + tl + 1, f->community, ul + 1);
		pl = tl + ul + 2;
		db = h->heads;
		cb = hub_heads_cb;
	} else if (hub_set(f->period)) {
		/* The period's range, narrowed by framework, region, tenant as
		 * long as each is given (the key's order). */
		const char *parts[4] = {f->period, f->framework, f->region, f->tenant};
		for (int i = 0; i < 4 && hub_set(parts[i]); i++) {
			size_t l = strlen(parts[i]) + 1;
			if (pl + l > sizeof pre)
				break;
			memcpy(pre + pl, parts[i], l);
			pl += l;
		}
	} else if (hub_set(f->tenant) || community_major) {
		if (hub_set(f->tenant) && strlen(f->tenant) + 1 <= sizeof pre) {
			pl = strlen(f->tenant) + 1;
			memcpy(pre, f->tenant, pl);
		}
		db = h->heads;
		cb = hub_heads_cb;
	}
	rv = px_scan_chunked(h->st, db, pl ? pre : NULL, pl, HUB_VIEWS_CHUNK, true, cb, &c);
	hub_view_dec_fini(&c.dec);
	return rv;
}

/* ------------------------------------------------------------ migration */

typedef struct hub_mig {
	px_txn *txn;
	px_db heads, views;
	size_t n;
} hub_mig;

static px_err
hub_mig_cb(void *arg, px_val key, px_val val)
{
	hub_mig *m = arg;
	(void)key;
	Praxis__HubLatestReport *l = praxis__hub_latest_report__unpack(NULL, val.size, val.data);
	if (l == NULL || l->report == NULL) {
		if (l != NULL)
			praxis__hub_latest_report__free_unpacked(l, NULL);
		return PX_ECORRUPT;
	}
	px_err rv = hub_views_put(m->txn, m->heads, m->views, l->tenant, l->report);
	praxis__hub_latest_report__free_unpacked(l, NULL);
	m->n++;
	return rv;
}

/* Keys of a database, a batch at a time (a scan must not write to the
 * database it reads). */
typedef struct hub_keys {
	uint8_t *buf;
	size_t len, cap, n;
} hub_keys;

static px_err
hub_keys_cb(void *arg, px_val key, px_val val)
{
	hub_keys *k = arg;
	(void)val;
	if (k->n == 4096)
		return PX_ENOTFOUND;
	if (k->len + key.size + 2 > k->cap) {
		size_t nc = k->cap ? k->cap * 2 : 65536;
		while (nc < k->len + key.size + 2)
			nc *= 2;
		uint8_t *np = realloc(k->buf, nc);
		if (np == NULL)
			return PX_ENOMEM;
		k->buf = np;
		k->cap = nc;
	}
	k->buf[k->len] = (uint8_t)(key.size >> 8);
	k->buf[k->len + 1] = (uint8_t)key.size;
	memcpy(k->buf + k->len + 2, key.data, key.size);
	k->len += key.size + 2;
	k->n++;
	return PX_OK;
}

px_err
hub_views_migrate(px_txn *txn, px_db latest, px_db heads, px_db views)
{
	hub_mig m = {txn, heads, views, 0};
	px_err rv = px_scan(txn, latest, NULL, 0, hub_mig_cb, &m);
	/* The unpacked copies of schema 1 are no longer read: emptied, so that
	 * their pages are reused by later writes. */
	hub_keys k = {0};
	while (rv == PX_OK) {
		k.len = k.n = 0;
		if ((rv = px_scan(txn, latest, NULL, 0, hub_keys_cb, &k)) != PX_OK || k.n == 0)
			break;
		for (size_t off = 0; rv == PX_OK && off < k.len;) {
			size_t kl = (size_t)k.buf[off] << 8 | k.buf[off + 1];
			rv = px_del(txn, latest, k.buf + off + 2, kl);
			off += kl + 2;
		}
	}
	free(k.buf);
	if (rv == PX_OK)
		px_log(PX_LOG_INFO, "hub: %zu %s", m.n,
		       PX_T("rapports indexés pour les vues", "reports indexed for the views"));
	return rv;
}
