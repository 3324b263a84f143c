/*
 * audit.c - the hub's audit trail: one HubAuditEvent per refusal (and per
 * enrollment), each in its own durable commit, listed by `audit list`.
 *
 * Refusals come from outside, so their records are rate limited: a peer
 * that floods the hub with calls under made-up keys, or the dashboard with
 * bad tokens, must not fill the disk nor make every refusal cost a durable
 * commit. Two token buckets, both in this process's memory:
 *   - per peer ("who": key prefix, viewer or tenant name, "?" for no
 *     token): HUB_AUDIT_PEER_BURST records, then one per
 *     HUB_AUDIT_PEER_EVERY_MS;
 *   - for all refusals together: HUB_AUDIT_ALL_BURST, then one per
 *     HUB_AUDIT_ALL_EVERY_MS (a flood under ever new keys).
 * A refusal over either limit is still refused, only not recorded; the
 * refusals not recorded are counted and written as one "rate-limit" record
 * (with their count and the time of the first) before the next record
 * written, and when the hub closes. Successful events (code OK) are never
 * limited.
 */
#define _GNU_SOURCE
#include "hub.h"
#include "px_rpc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum {
	HUB_AUDIT_PEER_BURST = 10,
	HUB_AUDIT_PEER_EVERY_MS = 10000,
	HUB_AUDIT_ALL_BURST = 60,
	HUB_AUDIT_ALL_EVERY_MS = 1000,
	HUB_AUDIT_PEERS = 256, /* peers tracked; a new one takes the slot of its hash */
};

typedef struct audit_bucket {
	double tokens;
	int64_t at_ms; /* last refill */
} audit_bucket;

static struct {
	pthread_mutex_t mu;
	audit_bucket all;
	struct {
		char who[80];
		audit_bucket b;
	} peer[HUB_AUDIT_PEERS];
	uint64_t dropped;       /* refusals not recorded since the last summary */
	int64_t first_drop_ms;  /* time of the first of them */
} A = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Refills b for now; takes a token when there is one. A fresh bucket
 * (at_ms == 0) starts full. */
static bool
audit_take(audit_bucket *b, int64_t now, double burst, double every_ms)
{
	if (b->at_ms == 0)
		b->tokens = burst;
	else if (now > b->at_ms)
		b->tokens += (double)(now - b->at_ms) / every_ms;
	if (b->tokens > burst)
		b->tokens = burst;
	b->at_ms = now;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

static uint32_t
audit_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* Whether a refusal by `who` may be recorded now (A.mu held). */
static bool
audit_allowed(const char *who, int64_t now)
{
	size_t i = audit_hash(who) % HUB_AUDIT_PEERS;
	if (strncmp(A.peer[i].who, who, sizeof A.peer[i].who - 1) != 0) {
		snprintf(A.peer[i].who, sizeof A.peer[i].who, "%s", who);
		A.peer[i].b.at_ms = 0;
	}
	/* The peer's bucket first: a noisy peer does not use up the
	 * others' share of the global one. */
	if (!audit_take(&A.peer[i].b, now, HUB_AUDIT_PEER_BURST, HUB_AUDIT_PEER_EVERY_MS))
		return false;
	return audit_take(&A.all, now, HUB_AUDIT_ALL_BURST, HUB_AUDIT_ALL_EVERY_MS);
}

static void
audit_write(hub *h, const Praxis__HubAuditEvent *e)
{
	px_txn *txn = NULL;
	uint64_t seq = 0;
	uint8_t key[8];
	px_err rv = px_txn_begin(h->st, true, &txn);
	if (rv == PX_OK)
		rv = px_seq_next(txn, "audit", &seq);
	if (rv == PX_OK) {
		px_be64(key, seq);
		rv = px_put_msg(txn, h->audit, key, sizeof key, &e->base);
	}
	if (rv == PX_OK) {
		rv = px_txn_commit(txn);
		txn = NULL;
	}
	px_txn_abort(txn);
	if (rv != PX_OK)
		px_log(PX_LOG_ERROR, "audit: %s", px_strerror(rv));
}

/* Writes the count of refusals not recorded, if any (A.mu held). */
static void
audit_summary(hub *h, int64_t now)
{
	if (A.dropped == 0)
		return;
	char since[32] = "?", reason[160];
	time_t t = (time_t)(A.first_drop_ms / 1000);
	struct tm tm;
	if (gmtime_r(&t, &tm) != NULL)
		strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(reason, sizeof reason, "%llu refusal(s) not recorded (rate limit) since %s",
	         (unsigned long long)A.dropped, since);
	Praxis__HubAuditEvent e = PRAXIS__HUB_AUDIT_EVENT__INIT;
	e.time_ms = now;
	e.channel = (char *)"hub";
	e.who = (char *)"*";
	e.action = (char *)"rate-limit";
	e.target = (char *)"";
	e.reason = reason;
	e.code = PX_CODE_RESOURCE_EXHAUSTED;
	audit_write(h, &e);
	px_log(PX_LOG_WARN, "audit: %s", reason);
	A.dropped = 0;
	A.first_drop_ms = 0;
}

void
hub_audit(hub *h, const char *channel, const char *who, const char *action, const char *target,
          int code, const char *reason_fmt, ...)
{
	int64_t now = px_now_ms();
	who = who ? who : "";
	pthread_mutex_lock(&A.mu);
	if (code != PX_CODE_OK && !audit_allowed(who, now)) {
		if (A.dropped++ == 0)
			A.first_drop_ms = now;
		pthread_mutex_unlock(&A.mu);
		return;
	}
	audit_summary(h, now);
	char reason[512];
	va_list ap;
	va_start(ap, reason_fmt);
	vsnprintf(reason, sizeof reason, reason_fmt, ap);
	va_end(ap);
	Praxis__HubAuditEvent e = PRAXIS__HUB_AUDIT_EVENT__INIT;
	e.time_ms = now;
	e.channel = (char *)(channel ? channel : "");
	e.who = (char *)who;
	e.action = (char *)(action ? action : "");
	e.target = (char *)(target ? target : "");
	e.reason = reason;
	e.code = code;
	audit_write(h, &e);
	pthread_mutex_unlock(&A.mu);
	px_log(PX_LOG_WARN, "audit %s %s %s %s: %s (%s)", e.channel, e.who, e.action, e.target,
	       reason, px_code_name(code));
}

void
hub_audit_flush(hub *h)
{
	pthread_mutex_lock(&A.mu);
	audit_summary(h, px_now_ms());
	pthread_mutex_unlock(&A.mu);
}

typedef struct hub_audit_ctx {
	hub_audit_fn fn;
	void *arg;
} hub_audit_ctx;

static px_err
hub_audit_cb(void *arg, px_val key, px_val val)
{
	hub_audit_ctx *c = arg;
	Praxis__HubAuditEvent *e = praxis__hub_audit_event__unpack(NULL, val.size, val.data);
	if (e == NULL || key.size != 8) {
		if (e != NULL)
			praxis__hub_audit_event__free_unpacked(e, NULL);
		return PX_ECORRUPT;
	}
	c->fn(c->arg, px_rd64(key.data), e);
	praxis__hub_audit_event__free_unpacked(e, NULL);
	return PX_OK;
}

px_err
hub_audit_each(hub *h, hub_audit_fn fn, void *arg)
{
	px_txn *txn = NULL;
	px_err rv = px_txn_begin(h->st, false, &txn);
	if (rv != PX_OK)
		return rv;
	hub_audit_ctx c = {fn, arg};
	rv = px_scan(txn, h->audit, NULL, 0, hub_audit_cb, &c);
	px_txn_abort(txn);
	return rv;
}
