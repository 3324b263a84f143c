/*
 * px_rpc.c - gRPC-style calls over nng req0/rep0, boxed with the callers'
 * and the server's identities. The only file of Praxis that includes nng.h.
 *
 * Server: one rep0 socket, N contexts, each a small state machine driven
 * by its nng_aio callback (receive -> handle -> send -> receive). The
 * handler runs inside the callback, so no thread is created per client or
 * per call, and each context owns its buffers and a bump allocator that
 * unpacks protobuf messages without malloc.
 *
 * Deferred replies: a handler may call px_rpc_call_defer and return
 * without answering; the context then parks (no receive) holding its
 * request message, key and arena, and px_rpc_call_finish, from any
 * thread, boxes the reply and sends it, which restarts the context. The
 * handler's return and the finish may come in either order, even
 * concurrently: each drops one of two holds and whoever drops the last
 * sends. Sends of deferred replies and the server's closing flag are
 * serialized by df_mu, so stop never races a finisher inside nng; stop
 * waits until every deferred call is finished.
 *
 * Client: one req0 socket with a lazy, reconnecting dialer; each call
 * borrows a slot (nng_ctx + nng_aio + buffers) from a free list, so
 * several threads call at once on one socket.
 */
#define _GNU_SOURCE
#include "px_rpc.h"

#include "rpc.pb-c.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#define RPC_MAGIC_LEN 3
static const uint8_t rpc_magic_box[RPC_MAGIC_LEN] = {'P', 'X', '1'};
static const uint8_t rpc_magic_plain[RPC_MAGIC_LEN] = {'P', 'X', '0'};
#define RPC_REQ_HDR (RPC_MAGIC_LEN + PX_PK_BYTES + PX_BOX_NONCE_BYTES)
#define RPC_REP_HDR (RPC_MAGIC_LEN + PX_BOX_NONCE_BYTES)
/* Bytes above max_msg that nng still accepts, so an oversize call can be
 * answered RESOURCE_EXHAUSTED instead of silently dropped. */
#define RPC_OVERSIZE_SLACK (64u * 1024u)
#define RPC_METHOD_MAX 256

/* ---- growable buffers and the per-call bump allocator ---- */

typedef struct rpc_buf {
	uint8_t *p;
	size_t cap;
} rpc_buf;

static bool
rpc_buf_reserve(rpc_buf *b, size_t n)
{
	if (n <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < n)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (p == NULL)
		return false;
	b->p = p;
	b->cap = cap;
	return true;
}

/* After a very large call, give the memory back instead of keeping the
 * peak per context forever. */
static void
rpc_buf_trim(rpc_buf *b)
{
	if (b->cap > (1u << 20)) {
		free(b->p);
		b->p = NULL;
		b->cap = 0;
	}
}

typedef struct rpc_big {
	struct rpc_big *next;
	max_align_t align[]; /* the allocation follows, aligned */
} rpc_big;

/* A bump allocator reset after each call: protobuf-c unpacks the envelope
 * and the input message with it, so a call costs no malloc unless a message
 * outgrows the first chunk. */
typedef struct rpc_arena {
	uint8_t *base;
	size_t cap, used;
	rpc_big *big;
	ProtobufCAllocator pa;
} rpc_arena;

#define RPC_ARENA_CHUNK (16u * 1024u)

static void *
rpc_arena_alloc(void *data, size_t size)
{
	rpc_arena *a = data;
	size_t need = (size + 15) & ~(size_t)15;
	if (need >= size && a->used + need <= a->cap) {
		void *p = a->base + a->used;
		a->used += need;
		return p;
	}
	rpc_big *b = malloc(sizeof *b + size);
	if (b == NULL)
		return NULL;
	b->next = a->big;
	a->big = b;
	return b->align;
}

static void
rpc_arena_free(void *data, void *p)
{
	(void)data;
	(void)p; /* everything goes at reset */
}

static bool
rpc_arena_init(rpc_arena *a)
{
	memset(a, 0, sizeof *a);
	a->base = malloc(RPC_ARENA_CHUNK);
	if (a->base == NULL)
		return false;
	a->cap = RPC_ARENA_CHUNK;
	a->pa.alloc = rpc_arena_alloc;
	a->pa.free = rpc_arena_free;
	a->pa.allocator_data = a;
	return true;
}

static void
rpc_arena_reset(rpc_arena *a)
{
	while (a->big != NULL) {
		rpc_big *n = a->big->next;
		free(a->big);
		a->big = n;
	}
	a->used = 0;
}

static void
rpc_arena_fini(rpc_arena *a)
{
	rpc_arena_reset(a);
	free(a->base);
	a->base = NULL;
}

static void
rpc_status_set(px_status *st, px_code code, const char *fmt, ...) PX_PRINTF(3, 4);

static void
rpc_status_set(px_status *st, px_code code, const char *fmt, ...)
{
	if (st == NULL)
		return;
	st->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->message, sizeof st->message, fmt, ap);
	va_end(ap);
}

static px_err
rpc_map_nng(int rv)
{
	switch (rv) {
	case NNG_ENOMEM: return PX_ENOMEM;
	case NNG_EADDRINUSE: return PX_EEXISTS;
	case NNG_EADDRINVAL:
	case NNG_EINVAL:
	case NNG_ENOTSUP: return PX_EINVAL;
	case NNG_EPERM: return PX_EPERM;
	case NNG_ETIMEDOUT: return PX_ETIMEDOUT;
	default: return PX_EIO;
	}
}

/* ---- server: peer key cache ---- */

/* Precomputing a crypto_box key costs ~50 boxes, so keys are cached per
 * caller: a 4-way set-associative table in guarded memory, bounded, with
 * the least recently used way replaced. */
#define RPC_KC_SETS 256
#define RPC_KC_WAYS 4

typedef struct rpc_kc_entry {
	uint8_t pk[PX_PK_BYTES];
	uint8_t key[PX_BOX_KEY_BYTES];
	uint64_t used; /* 0: empty; else last-use stamp */
} rpc_kc_entry;

typedef struct rpc_keycache {
	rpc_kc_entry *e; /* RPC_KC_SETS * RPC_KC_WAYS, px_secure_alloc */
	uint64_t clock;
} rpc_keycache;

static size_t
rpc_kc_set(const uint8_t pk[PX_PK_BYTES])
{
	/* Public keys are uniform enough; a peer choosing keys to collide
	 * only evicts itself and pays the precomputation. */
	return ((size_t)pk[0] | ((size_t)pk[1] << 8)) % RPC_KC_SETS;
}

static bool
rpc_kc_get(rpc_keycache *kc, const uint8_t pk[PX_PK_BYTES], uint8_t key[PX_BOX_KEY_BYTES])
{
	rpc_kc_entry *set = kc->e + rpc_kc_set(pk) * RPC_KC_WAYS;
	for (int w = 0; w < RPC_KC_WAYS; w++) {
		if (set[w].used != 0 && memcmp(set[w].pk, pk, PX_PK_BYTES) == 0) {
			set[w].used = ++kc->clock;
			memcpy(key, set[w].key, PX_BOX_KEY_BYTES);
			return true;
		}
	}
	return false;
}

static void
rpc_kc_put(rpc_keycache *kc, const uint8_t pk[PX_PK_BYTES], const uint8_t key[PX_BOX_KEY_BYTES])
{
	rpc_kc_entry *set = kc->e + rpc_kc_set(pk) * RPC_KC_WAYS;
	rpc_kc_entry *victim = &set[0];
	for (int w = 0; w < RPC_KC_WAYS; w++) {
		if (set[w].used != 0 && memcmp(set[w].pk, pk, PX_PK_BYTES) == 0)
			return; /* another context got there first */
		if (set[w].used < victim->used)
			victim = &set[w];
	}
	memcpy(victim->pk, pk, PX_PK_BYTES);
	memcpy(victim->key, key, PX_BOX_KEY_BYTES);
	victim->used = ++kc->clock;
}

/* ---- server: replay check ---- */

/*
 * Per-stream anti-replay, as IPsec, DTLS and WireGuard do it. A client
 * draws a random stream id once per instance and numbers its requests:
 * nonce = stream id (8) | counter (8, from 1) | 8 random bytes, both
 * big-endian. The server keeps, per (caller key, stream id), the highest
 * counter accepted and which of the counters just below it were seen, so
 * its memory grows with the callers' client instances, not with their
 * requests (a cache of every nonce seen grew with requests/s x 2 windows,
 * 8 MB for the 265,000 requests of the hub's 40 s load test). Keyed by the
 * caller's key as well, so a peer reusing another's stream id only makes
 * a stream of its own.
 *
 * Calls of one client on several nng contexts arrive slightly out of
 * order: a counter within RPC_RP_SPAN of the highest is accepted once;
 * an older one is refused as a replay (no client has that many calls in
 * flight). A request passes the time check only while its send time is
 * within +-window, so one accepted at t cannot pass it after t + 2
 * windows: a stream not seen for 2 windows is dropped, and a stream seen
 * again later starts afresh.
 */
#define RPC_RP_WORDS 16
#define RPC_RP_BITS (RPC_RP_WORDS * 64)
/* The word holding the highest counter is also the oldest of the ring,
 * so the span is one word short of it. */
#define RPC_RP_SPAN (RPC_RP_BITS - 64)
/* At the cap, a whole sweep for expired streams at most this often. */
#define RPC_RP_FULL_SWEEP_MS 1000

typedef struct rpc_stream {
	struct rpc_stream *next; /* in its bucket */
	uint64_t hash;
	uint8_t pk[PX_PK_BYTES];
	uint64_t id;
	uint64_t top;                /* highest counter accepted */
	int64_t seen_ms;             /* when it last had a request accepted */
	uint64_t bits[RPC_RP_WORDS]; /* bit c % RPC_RP_BITS: counter c seen */
} rpc_stream;

typedef struct rpc_replay {
	rpc_stream **bucket; /* chains; nbucket is 0 or a power of two */
	size_t nbucket;
	size_t n;
	size_t max;       /* live streams at most */
	size_t cursor;    /* next bucket the incremental sweep looks at */
	int64_t swept_ms; /* last whole sweep */
	uint8_t hkey[PX_HASH64_KEY_BYTES]; /* stream ids are the peers' choice */
} rpc_replay;

static uint64_t
rpc_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void
rpc_be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* Walks bucket b, dropping the streams last seen before expired_ms;
 * returns the stream (hash, pk, id) if it is there. */
static rpc_stream *
rpc_rp_walk(rpc_replay *rp, size_t b, int64_t expired_ms, uint64_t hash, const uint8_t *pk,
            uint64_t id)
{
	rpc_stream *found = NULL;
	rpc_stream **pp = &rp->bucket[b];
	while (*pp != NULL) {
		rpc_stream *s = *pp;
		if (s->seen_ms < expired_ms) {
			*pp = s->next;
			free(s);
			rp->n--;
			continue;
		}
		if (pk != NULL && s->hash == hash && s->id == id &&
		    memcmp(s->pk, pk, PX_PK_BYTES) == 0)
			found = s;
		pp = &s->next;
	}
	return found;
}

static bool
rpc_rp_grow(rpc_replay *rp)
{
	size_t nb = rp->nbucket ? rp->nbucket * 2 : 64;
	rpc_stream **b = calloc(nb, sizeof *b);
	if (b == NULL)
		return false;
	for (size_t i = 0; i < rp->nbucket; i++) {
		while (rp->bucket[i] != NULL) {
			rpc_stream *s = rp->bucket[i];
			rp->bucket[i] = s->next;
			s->next = b[s->hash & (nb - 1)];
			b[s->hash & (nb - 1)] = s;
		}
	}
	free(rp->bucket);
	rp->bucket = b;
	rp->nbucket = nb;
	return true;
}

static void
rpc_rp_fini(rpc_replay *rp)
{
	for (size_t i = 0; i < rp->nbucket; i++)
		(void)rpc_rp_walk(rp, i, INT64_MAX, 0, NULL, 0);
	free(rp->bucket);
	rp->bucket = NULL;
	rp->nbucket = 0;
}

/* Records counter c of stream s; false when it was seen already or is
 * too old to tell. */
static bool
rpc_stream_accept(rpc_stream *s, uint64_t c)
{
	if (c > s->top) {
		/* The ring's words past the old highest now stand for the
		 * new counters: forget what they held. */
		uint64_t words = c / 64 - s->top / 64;
		if (words > RPC_RP_WORDS)
			words = RPC_RP_WORDS;
		for (uint64_t i = 1; i <= words; i++)
			s->bits[(s->top / 64 + i) % RPC_RP_WORDS] = 0;
		s->top = c;
	} else if (s->top - c >= RPC_RP_SPAN) {
		return false;
	}
	uint64_t *w = &s->bits[(c / 64) % RPC_RP_WORDS];
	uint64_t bit = 1ull << (c % 64);
	if (*w & bit)
		return false;
	*w |= bit;
	return true;
}

/* ---- server ---- */

enum { RPC_CALL_RECV, RPC_CALL_SEND };

/* What rpc_serve leaves for the callback. */
enum { RPC_SERVE_SEND, RPC_SERVE_PARKED, RPC_SERVE_DEFERRED_SEND };

struct px_rpc_call {
	px_rpc_server *srv;
	nng_ctx ctx;
	nng_aio *aio;
	int state;
	rpc_arena arena;
	rpc_buf plain; /* decrypted request, then the packed Reply */
	rpc_buf out;   /* packed response message */
	/* The call in progress. */
	uint8_t caller[PX_PK_BYTES];
	char method[RPC_METHOD_MAX];
	int64_t deadline_ms;
	const ProtobufCMethodDescriptor *mdesc;
	px_code code;
	char message[256];
	bool answered;
	size_t out_len;
	/* Kept for the reply, which a deferred call sends after the callback
	 * returned; the key is wiped once the reply is boxed. */
	nng_msg *msg;
	uint8_t key[PX_BOX_KEY_BYTES];
	uint64_t request_id;
	bool deferred;   /* set by the handler's thread only */
	atomic_int holds; /* deferred: handler return + finish; last one replies */
};

struct px_rpc_server {
	nng_socket sock;
	nng_listener listener;
	char url[512];
	const px_identity *id;
	ProtobufCService *svc;
	size_t max_msg;
	int64_t window_ms;
	int64_t start_ms;
	px_rpc_authorize_fn authorize;
	void *authorize_arg;
	int ncalls;
	px_rpc_call *calls;
	atomic_bool closing;
	bool sock_open;
	pthread_mutex_t df_mu; /* deferred sends vs closing; ndeferred */
	pthread_cond_t df_cv;
	int ndeferred;         /* deferred calls not finished yet */
	pthread_mutex_t kc_mu;
	rpc_keycache kc;
	pthread_mutex_t rp_mu;
	rpc_replay rp;
};

/* Replaces the message body with a plain error reply. */
static void
rpc_reply_plain(nng_msg *msg, px_code code, const char *text)
{
	size_t tl = strlen(text);
	if (tl > 200)
		tl = 200;
	nng_msg_clear(msg);
	uint8_t c = (uint8_t)code;
	if (nng_msg_append(msg, rpc_magic_plain, RPC_MAGIC_LEN) != 0 ||
	    nng_msg_append(msg, &c, 1) != 0 || nng_msg_append(msg, text, tl) != 0)
		nng_msg_clear(msg); /* an empty reply still reads as an error */
}

/* Packs a Reply with the call's status (and response when OK), boxes it
 * with key and puts it in msg. */
static void
rpc_reply_boxed(px_rpc_call *call, nng_msg *msg, const uint8_t key[PX_BOX_KEY_BYTES],
                uint64_t request_id)
{
	px_rpc_server *srv = call->srv;
	Praxis__Rpc__Reply rep = PRAXIS__RPC__REPLY__INIT;
	Praxis__Rpc__Status st = PRAXIS__RPC__STATUS__INIT;
	rep.request_id = request_id;
	rep.status = &st;
	st.code = (Praxis__Rpc__Code)call->code;
	st.message = call->message;
	if (call->code == PX_CODE_OK) {
		rep.payload.len = call->out_len;
		rep.payload.data = call->out.p;
	}
	size_t plen = protobuf_c_message_get_packed_size(&rep.base);
	size_t wire = RPC_REP_HDR + plen + PX_BOX_MAC_BYTES;
	if (wire > srv->max_msg && call->code == PX_CODE_OK) {
		call->code = PX_CODE_RESOURCE_EXHAUSTED;
		snprintf(call->message, sizeof call->message, "%s",
		         PX_T("réponse trop volumineuse", "response too big"));
		rpc_reply_boxed(call, msg, key, request_id);
		return;
	}
	if (!rpc_buf_reserve(&call->plain, plen) || nng_msg_realloc(msg, wire) != 0) {
		rpc_reply_plain(msg, PX_CODE_RESOURCE_EXHAUSTED,
		                PX_T("mémoire insuffisante", "out of memory"));
		return;
	}
	protobuf_c_message_pack(&rep.base, call->plain.p);
	uint8_t *body = nng_msg_body(msg);
	memcpy(body, rpc_magic_box, RPC_MAGIC_LEN);
	/* A fresh random nonce: the same shared key boxes both directions, so
	 * a reply must never reuse its request's nonce. */
	px_random(body + RPC_MAGIC_LEN, PX_BOX_NONCE_BYTES);
	px_box_seal(key, body + RPC_MAGIC_LEN, call->plain.p, plen, body + RPC_REP_HDR);
}

static void
rpc_call_fail(px_rpc_call *call, px_code code, const char *text)
{
	call->code = code;
	px_strlcpy(call->message, text, sizeof call->message);
}

/* Checks and records a request's freshness. The time checks come first:
 * a request refused as stale is not recorded (it cannot pass them later
 * either). Then the request's counter must be new to its stream. */
static px_code
rpc_replay_check(px_rpc_server *srv, const uint8_t pk[PX_PK_BYTES],
                 const uint8_t nonce[PX_BOX_NONCE_BYTES], int64_t sent_ms, int64_t now)
{
	if (sent_ms < srv->start_ms || sent_ms < now - srv->window_ms ||
	    sent_ms > now + srv->window_ms)
		return PX_CODE_ABORTED;
	rpc_replay *rp = &srv->rp;
	uint8_t k[PX_PK_BYTES + 8];
	memcpy(k, pk, PX_PK_BYTES);
	memcpy(k + PX_PK_BYTES, nonce, 8);
	uint64_t h = px_hash64(rp->hkey, k, sizeof k);
	uint64_t id = rpc_be64(nonce), c = rpc_be64(nonce + 8);
	int64_t expired = now - 2 * srv->window_ms;
	px_code rc = PX_CODE_OK;
	pthread_mutex_lock(&srv->rp_mu);
	rpc_stream *s = NULL;
	if (rp->nbucket > 0) {
		/* Two more buckets swept each call: streams gone quiet leave
		 * a little at a time, with no pause for a whole sweep. */
		for (int i = 0; i < 2; i++) {
			(void)rpc_rp_walk(rp, rp->cursor, expired, 0, NULL, 0);
			rp->cursor = (rp->cursor + 1) & (rp->nbucket - 1);
		}
		s = rpc_rp_walk(rp, h & (rp->nbucket - 1), expired, h, pk, id);
	}
	if (s != NULL) {
		if (rpc_stream_accept(s, c))
			s->seen_ms = now;
		else
			rc = PX_CODE_UNAUTHENTICATED;
		goto out;
	}
	/* A new stream. At the cap it is refused, while the streams already
	 * known go on: a peer opening streams without end fills the table
	 * but cannot grow it, nor push the others' streams out (forgetting
	 * a stream would let its requests be replayed). */
	if (rp->n >= rp->max && now - rp->swept_ms >= RPC_RP_FULL_SWEEP_MS) {
		for (size_t i = 0; i < rp->nbucket; i++)
			(void)rpc_rp_walk(rp, i, expired, 0, NULL, 0);
		rp->swept_ms = now;
	}
	if (rp->n >= rp->nbucket)
		(void)rpc_rp_grow(rp); /* failing, the chains only get longer */
	if (rp->n >= rp->max || rp->nbucket == 0 || (s = calloc(1, sizeof *s)) == NULL) {
		rc = PX_CODE_RESOURCE_EXHAUSTED;
		goto out;
	}
	s->hash = h;
	memcpy(s->pk, pk, PX_PK_BYTES);
	s->id = id;
	s->top = c;
	s->seen_ms = now;
	s->bits[(c / 64) % RPC_RP_WORDS] = 1ull << (c % 64);
	size_t b = h & (rp->nbucket - 1);
	s->next = rp->bucket[b];
	rp->bucket[b] = s;
	rp->n++;
out:
	pthread_mutex_unlock(&srv->rp_mu);
	return rc;
}

static void rpc_pack_response(px_rpc_call *call, const ProtobufCMessage *msg);

static void
rpc_closure(const ProtobufCMessage *msg, void *closure_data)
{
	px_rpc_call *call = closure_data;
	/* Deferred: the reply belongs to px_rpc_call_finish, which may be
	 * running on another thread already. */
	if (call->deferred || call->answered)
		return;
	rpc_pack_response(call, msg);
}

/* Packs the handler's response into call->out (or sets the error). */
static void
rpc_pack_response(px_rpc_call *call, const ProtobufCMessage *msg)
{
	call->answered = true;
	if (call->code != PX_CODE_OK)
		return;
	if (msg == NULL) {
		rpc_call_fail(call, PX_CODE_INTERNAL,
		              PX_T("le traitement n'a rien répondu", "the handler gave no response"));
		return;
	}
	if (msg->descriptor != call->mdesc->output) {
		rpc_call_fail(call, PX_CODE_INTERNAL,
		              PX_T("réponse d'un mauvais type", "response of the wrong type"));
		return;
	}
	size_t n = protobuf_c_message_get_packed_size(msg);
	if (!rpc_buf_reserve(&call->out, n)) {
		rpc_call_fail(call, PX_CODE_RESOURCE_EXHAUSTED,
		              PX_T("mémoire insuffisante", "out of memory"));
		return;
	}
	call->out_len = protobuf_c_message_pack(msg, call->out.p);
}

/* Resolves "package.Service/Method" to an index of the served service. */
static bool
rpc_find_method(const ProtobufCServiceDescriptor *sd, const char *method, unsigned *index)
{
	size_t nl = strlen(sd->name);
	if (strncmp(method, sd->name, nl) != 0 || method[nl] != '/')
		return false;
	const ProtobufCMethodDescriptor *md =
	    protobuf_c_service_descriptor_get_method_by_name(sd, method + nl + 1);
	if (md == NULL)
		return false;
	*index = (unsigned)(md - sd->methods);
	return true;
}

/* True when the generated service has a handler for the method. Only
 * known for services built with the generated *_INIT macro, whose invoke
 * is protobuf-c's and whose handlers follow the base struct. */
static bool
rpc_has_handler(ProtobufCService *svc, unsigned index)
{
	if (svc->invoke != protobuf_c_service_invoke_internal)
		return true;
	typedef void (*rpc_generic_fn)(void);
	rpc_generic_fn const *handlers = (rpc_generic_fn const *)(svc + 1);
	return handlers[index] != NULL;
}

/* Turns the request in msg into its reply, in place (the rep0 context
 * keeps the routing header aside, so the message can be reused). */
/* After the handler (or its deferred finish): the checks of its answer. */
static void
rpc_handled(px_rpc_call *call)
{
	if (!call->answered && call->code == PX_CODE_OK)
		rpc_call_fail(call, PX_CODE_INTERNAL,
		              PX_T("le traitement n'a rien répondu", "the handler gave no response"));
	/* An answer after the deadline is of no use to the caller, who has
	 * given up; for a deferred call it also tells the handler's owner
	 * nothing was promised. */
	if (call->deadline_ms != 0 && px_now_ms() > call->deadline_ms)
		rpc_call_fail(call, PX_CODE_DEADLINE_EXCEEDED,
		              PX_T("délai dépassé pendant le traitement",
		                   "deadline exceeded during handling"));
}

/* Frees what one call used, once its reply is in its message. */
static void
rpc_call_cleanup(px_rpc_call *call)
{
	px_wipe(call->key, sizeof call->key);
	rpc_arena_reset(&call->arena);
	rpc_buf_trim(&call->plain);
	rpc_buf_trim(&call->out);
}

static int
rpc_serve(px_rpc_call *call, nng_msg *msg)
{
	px_rpc_server *srv = call->srv;
	size_t len = nng_msg_len(msg);
	const uint8_t *body = nng_msg_body(msg);
	uint8_t *key = call->key;
	bool cached = false;
	uint64_t request_id = 0;
	int64_t now;
	int ret = RPC_SERVE_SEND;

	call->code = PX_CODE_OK;
	call->message[0] = '\0';
	call->answered = false;
	call->out_len = 0;
	call->mdesc = NULL;
	call->method[0] = '\0';
	call->deferred = false;
	call->msg = msg;

	if (len > srv->max_msg) {
		rpc_reply_plain(msg, PX_CODE_RESOURCE_EXHAUSTED,
		                PX_T("message trop volumineux", "message too big"));
		return RPC_SERVE_SEND;
	}
	if (len < RPC_REQ_HDR + PX_BOX_MAC_BYTES || memcmp(body, rpc_magic_box, RPC_MAGIC_LEN) != 0) {
		rpc_reply_plain(msg, PX_CODE_INVALID_ARGUMENT,
		                PX_T("enveloppe invalide", "malformed envelope"));
		return RPC_SERVE_SEND;
	}
	const uint8_t *pk = body + RPC_MAGIC_LEN;
	const uint8_t *nonce = pk + PX_PK_BYTES;
	const uint8_t *box = nonce + PX_BOX_NONCE_BYTES;
	size_t boxlen = len - RPC_REQ_HDR;
	memcpy(call->caller, pk, PX_PK_BYTES);

	pthread_mutex_lock(&srv->kc_mu);
	cached = rpc_kc_get(&srv->kc, pk, key);
	pthread_mutex_unlock(&srv->kc_mu);
	if (!cached && px_box_precompute(srv->id, pk, key) != PX_OK)
		goto unauthenticated;
	if (!rpc_buf_reserve(&call->plain, boxlen)) {
		rpc_reply_plain(msg, PX_CODE_RESOURCE_EXHAUSTED,
		                PX_T("mémoire insuffisante", "out of memory"));
		goto out;
	}
	if (px_box_open(key, nonce, box, boxlen, call->plain.p) != PX_OK)
		goto unauthenticated;

	/* Authenticated from here: errors can be boxed. */
	Praxis__Rpc__Request *req = praxis__rpc__request__unpack(
	    &call->arena.pa, boxlen - PX_BOX_MAC_BYTES, call->plain.p);
	now = px_now_ms();
	/* An unreadable envelope has no send time, but its nonce is still
	 * recorded: a replayed copy must not get a second boxed answer. */
	px_code rc = rpc_replay_check(srv, pk, nonce, req != NULL ? req->sent_ms : now, now);
	if (rc == PX_CODE_UNAUTHENTICATED) {
		rpc_reply_plain(msg, PX_CODE_UNAUTHENTICATED,
		                PX_T("message rejoué ou périmé", "replayed or stale message"));
		goto out;
	}
	if (rc == PX_CODE_ABORTED) {
		rpc_reply_plain(msg, PX_CODE_ABORTED,
		                PX_T("message périmé (envoyé avant le démarrage du serveur ou "
		                     "horloges décalées)",
		                     "stale message (sent before the server started, or clocks "
		                     "apart)"));
		goto out;
	}
	if (rc != PX_CODE_OK) {
		rpc_reply_plain(msg, rc, PX_T("trop d'appels", "too many calls"));
		goto out;
	}
	if (req == NULL) {
		rpc_call_fail(call, PX_CODE_INVALID_ARGUMENT,
		              PX_T("enveloppe illisible", "unreadable envelope"));
		goto boxed;
	}
	request_id = req->request_id;
	px_strlcpy(call->method, req->method ? req->method : "", sizeof call->method);
	call->deadline_ms = req->deadline_ms;
	if (srv->authorize != NULL) {
		px_code ac = srv->authorize(srv->authorize_arg, pk, call->method);
		if (ac != PX_CODE_OK) {
			rpc_call_fail(call, ac,
			              ac == PX_CODE_UNAUTHENTICATED
			                  ? PX_T("clé inconnue", "unknown key")
			                  : PX_T("permission refusée", "permission denied"));
			goto boxed;
		}
	}
	if (!cached) {
		/* Only authorized keys enter the cache, so strangers cannot
		 * evict the federation's members. */
		pthread_mutex_lock(&srv->kc_mu);
		rpc_kc_put(&srv->kc, pk, key);
		pthread_mutex_unlock(&srv->kc_mu);
	}
	if (call->deadline_ms != 0 && now > call->deadline_ms) {
		rpc_call_fail(call, PX_CODE_DEADLINE_EXCEEDED,
		              PX_T("délai dépassé avant le traitement",
		                   "deadline exceeded before handling"));
		goto boxed;
	}
	unsigned index;
	if (!rpc_find_method(srv->svc->descriptor, call->method, &index) ||
	    !rpc_has_handler(srv->svc, index)) {
		call->code = PX_CODE_UNIMPLEMENTED;
		snprintf(call->message, sizeof call->message, "%s: %.200s",
		         PX_T("méthode inconnue", "unknown method"), call->method);
		goto boxed;
	}
	call->mdesc = &srv->svc->descriptor->methods[index];
	ProtobufCMessage *input = protobuf_c_message_unpack(
	    call->mdesc->input, &call->arena.pa, req->payload.len, req->payload.data);
	if (input == NULL) {
		rpc_call_fail(call, PX_CODE_INVALID_ARGUMENT,
		              PX_T("requête illisible", "unreadable request"));
		goto boxed;
	}
	call->request_id = request_id;
	atomic_store(&call->holds, 2);
	srv->svc->invoke(srv->svc, index, input, rpc_closure, call);
	if (call->deferred) {
		/* From here the call's fields belong to whoever drops the last
		 * hold: px_rpc_call_finish may be running right now. */
		if (atomic_fetch_sub(&call->holds, 1) != 1)
			return RPC_SERVE_PARKED;
		ret = RPC_SERVE_DEFERRED_SEND; /* finished during the handler */
	}
	rpc_handled(call);
boxed:
	rpc_reply_boxed(call, msg, key, request_id);
	goto out;
unauthenticated:
	rpc_reply_plain(msg, PX_CODE_UNAUTHENTICATED,
	                PX_T("appelant non authentifié", "caller not authenticated"));
out:
	rpc_call_cleanup(call);
	return ret;
}

/* Sends the reply of a deferred call (already in call->msg) and counts the
 * call finished. Under df_mu so that stop, once it set closing, knows no
 * finisher is inside nng with this context. */
static void
rpc_deferred_send(px_rpc_call *call)
{
	px_rpc_server *srv = call->srv;
	pthread_mutex_lock(&srv->df_mu);
	nng_msg *msg = call->msg;
	call->msg = NULL;
	if (atomic_load(&srv->closing)) {
		nng_aio_set_msg(call->aio, NULL);
		nng_msg_free(msg); /* nobody to answer: the socket is closed */
	} else {
		nng_aio_set_msg(call->aio, msg);
		call->state = RPC_CALL_SEND;
		nng_ctx_send(call->ctx, call->aio);
	}
	if (--srv->ndeferred == 0)
		pthread_cond_broadcast(&srv->df_cv);
	pthread_mutex_unlock(&srv->df_mu);
}

static void
rpc_server_cb(void *arg)
{
	px_rpc_call *call = arg;
	px_rpc_server *srv = call->srv;
	int rv = nng_aio_result(call->aio);

	if (call->state == RPC_CALL_SEND) {
		if (rv != 0) {
			nng_msg *m = nng_aio_get_msg(call->aio);
			if (m != NULL)
				nng_msg_free(m); /* still ours when the send failed */
			nng_aio_set_msg(call->aio, NULL);
		}
		if (atomic_load(&srv->closing))
			return;
		call->state = RPC_CALL_RECV;
		nng_ctx_recv(call->ctx, call->aio);
		return;
	}
	if (rv != 0) {
		if (rv == NNG_ECLOSED || rv == NNG_ECANCELED || atomic_load(&srv->closing))
			return;
		nng_ctx_recv(call->ctx, call->aio); /* a transient error: keep serving */
		return;
	}
	nng_msg *msg = nng_aio_get_msg(call->aio);
	int r = rpc_serve(call, msg);
	if (r == RPC_SERVE_PARKED)
		return; /* px_rpc_call_finish sends and restarts the context */
	if (r == RPC_SERVE_DEFERRED_SEND) {
		rpc_deferred_send(call);
		return;
	}
	call->msg = NULL;
	nng_aio_set_msg(call->aio, msg);
	call->state = RPC_CALL_SEND;
	nng_ctx_send(call->ctx, call->aio);
}

px_err
px_rpc_server_start(px_rpc_server **out, const px_rpc_server_opts *opts)
{
	*out = NULL;
	if (opts == NULL || opts->url == NULL || opts->identity == NULL || opts->service == NULL ||
	    opts->service->descriptor == NULL || opts->contexts < 0)
		return PX_EINVAL;
	px_err rv = PX_ENOMEM;
	int nrv;
	px_rpc_server *srv = calloc(1, sizeof *srv);
	if (srv == NULL)
		return PX_ENOMEM;
	srv->id = opts->identity;
	srv->svc = opts->service;
	srv->max_msg = opts->max_msg ? opts->max_msg : PX_RPC_MAX_MSG_DEFAULT;
	srv->window_ms = opts->replay_window_ms > 0 ? opts->replay_window_ms : 60000;
	srv->authorize = opts->authorize;
	srv->authorize_arg = opts->authorize_arg;
	srv->ncalls = opts->contexts ? opts->contexts : 64;
	srv->start_ms = px_now_ms();
	srv->rp.swept_ms = srv->start_ms;
	srv->rp.max = opts->replay_max ? opts->replay_max : PX_RPC_REPLAY_MAX_DEFAULT;
	px_random(srv->rp.hkey, sizeof srv->rp.hkey);
	atomic_init(&srv->closing, false);
	pthread_mutex_init(&srv->kc_mu, NULL);
	pthread_mutex_init(&srv->rp_mu, NULL);
	pthread_mutex_init(&srv->df_mu, NULL);
	pthread_cond_init(&srv->df_cv, NULL);
	srv->kc.e = px_secure_alloc(sizeof(rpc_kc_entry) * RPC_KC_SETS * RPC_KC_WAYS);
	if (srv->kc.e == NULL)
		goto fail;
	memset(srv->kc.e, 0, sizeof(rpc_kc_entry) * RPC_KC_SETS * RPC_KC_WAYS);
	srv->calls = calloc((size_t)srv->ncalls, sizeof *srv->calls);
	if (srv->calls == NULL)
		goto fail;

	if ((nrv = nng_rep0_open(&srv->sock)) != 0) {
		rv = rpc_map_nng(nrv);
		goto fail;
	}
	srv->sock_open = true;
	size_t recvmax = srv->max_msg + RPC_OVERSIZE_SLACK;
	if ((nrv = nng_socket_set_size(srv->sock, NNG_OPT_RECVMAXSZ, recvmax)) != 0 ||
	    (nrv = nng_listener_create(&srv->listener, srv->sock, opts->url)) != 0 ||
	    (nrv = nng_listener_set_size(srv->listener, NNG_OPT_RECVMAXSZ, recvmax)) != 0) {
		rv = rpc_map_nng(nrv);
		goto fail;
	}
	for (int i = 0; i < srv->ncalls; i++) {
		px_rpc_call *c = &srv->calls[i];
		c->srv = srv;
		if (!rpc_arena_init(&c->arena))
			goto fail;
		if ((nrv = nng_aio_alloc(&c->aio, rpc_server_cb, c)) != 0 ||
		    (nrv = nng_ctx_open(&c->ctx, srv->sock)) != 0) {
			rv = rpc_map_nng(nrv);
			goto fail;
		}
	}
	if ((nrv = nng_listener_start(srv->listener, 0)) != 0) {
		rv = rpc_map_nng(nrv);
		goto fail;
	}
	/* With port 0 the system picked one: publish the real URL. */
	px_strlcpy(srv->url, opts->url, sizeof srv->url);
	int port = 0;
	size_t ul = strlen(srv->url);
	if (strncmp(srv->url, "tcp", 3) == 0 && ul >= 2 && strcmp(srv->url + ul - 2, ":0") == 0 &&
	    nng_listener_get_int(srv->listener, NNG_OPT_TCP_BOUND_PORT, &port) == 0)
		snprintf(srv->url + ul - 1, sizeof srv->url - (ul - 1), "%d", port);
	for (int i = 0; i < srv->ncalls; i++) {
		srv->calls[i].state = RPC_CALL_RECV;
		nng_ctx_recv(srv->calls[i].ctx, srv->calls[i].aio);
	}
	*out = srv;
	return PX_OK;
fail:
	px_rpc_server_stop(srv);
	return rv;
}

void
px_rpc_server_stop(px_rpc_server *srv)
{
	if (srv == NULL)
		return;
	pthread_mutex_lock(&srv->df_mu);
	atomic_store(&srv->closing, true);
	pthread_mutex_unlock(&srv->df_mu);
	/* Closing the socket fails pending receives with NNG_ECLOSED; a
	 * handler still running finishes, its send fails, and its callback
	 * stops. nng_aio_stop waits for callbacks in progress, so after the
	 * loop no handler runs and ndeferred counts every deferred call. */
	if (srv->sock_open)
		nng_close(srv->sock);
	if (srv->calls != NULL)
		for (int i = 0; i < srv->ncalls; i++)
			if (srv->calls[i].aio != NULL)
				nng_aio_stop(srv->calls[i].aio);
	/* Deferred calls hold their context (message, arena): wait until
	 * their owners finished them (their replies are dropped now). */
	pthread_mutex_lock(&srv->df_mu);
	while (srv->ndeferred > 0)
		pthread_cond_wait(&srv->df_cv, &srv->df_mu);
	pthread_mutex_unlock(&srv->df_mu);
	if (srv->calls != NULL) {
		for (int i = 0; i < srv->ncalls; i++) {
			px_rpc_call *c = &srv->calls[i];
			if (c->aio != NULL) {
				nng_aio_stop(c->aio);
				nng_msg *m = nng_aio_get_msg(c->aio);
				if (m != NULL && c->state == RPC_CALL_SEND)
					nng_msg_free(m);
				nng_aio_free(c->aio);
			}
			rpc_arena_fini(&c->arena);
			free(c->plain.p);
			free(c->out.p);
		}
		free(srv->calls);
	}
	if (srv->kc.e != NULL)
		px_secure_free(srv->kc.e);
	rpc_rp_fini(&srv->rp);
	pthread_mutex_destroy(&srv->kc_mu);
	pthread_mutex_destroy(&srv->rp_mu);
	pthread_mutex_destroy(&srv->df_mu);
	pthread_cond_destroy(&srv->df_cv);
	free(srv);
}

const char *
px_rpc_server_url(const px_rpc_server *srv)
{
	return srv->url;
}

const uint8_t *
px_rpc_call_caller(const px_rpc_call *call)
{
	return call->caller;
}

const char *
px_rpc_call_method(const px_rpc_call *call)
{
	return call->method;
}

int64_t
px_rpc_call_deadline_ms(const px_rpc_call *call)
{
	return call->deadline_ms;
}

void
px_rpc_call_set_status(px_rpc_call *call, px_code code, const char *fmt, ...)
{
	call->code = code;
	call->message[0] = '\0';
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(call->message, sizeof call->message, fmt, ap);
		va_end(ap);
	}
}

px_rpc_call *
px_rpc_call_defer(px_rpc_call *call)
{
	if (call == NULL || call->answered || call->deferred)
		return NULL;
	px_rpc_server *srv = call->srv;
	pthread_mutex_lock(&srv->df_mu);
	srv->ndeferred++;
	pthread_mutex_unlock(&srv->df_mu);
	call->deferred = true;
	return call;
}

void
px_rpc_call_finish(px_rpc_call *call, const ProtobufCMessage *resp)
{
	rpc_pack_response(call, resp);
	if (atomic_fetch_sub(&call->holds, 1) != 1)
		return; /* the handler has not returned yet: its thread replies */
	rpc_handled(call);
	rpc_reply_boxed(call, call->msg, call->key, call->request_id);
	rpc_call_cleanup(call);
	rpc_deferred_send(call);
}

void
px_rpc_call_finish_status(px_rpc_call *call, px_code code, const char *fmt, ...)
{
	call->code = code;
	call->message[0] = '\0';
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(call->message, sizeof call->message, fmt, ap);
		va_end(ap);
	}
	px_rpc_call_finish(call, NULL);
}

/* ---- idempotent methods ---- */

#define RPC_IDEM_MAX 64
static struct {
	const ProtobufCServiceDescriptor *svc;
	uint64_t mask[4]; /* methods 0..255 */
} rpc_idem[RPC_IDEM_MAX];
static pthread_mutex_t rpc_idem_mu = PTHREAD_MUTEX_INITIALIZER;

void
px_rpc_method_idempotent(const ProtobufCServiceDescriptor *svc, const char *method)
{
	const ProtobufCMethodDescriptor *md =
	    protobuf_c_service_descriptor_get_method_by_name(svc, method);
	if (md == NULL)
		return;
	unsigned i = (unsigned)(md - svc->methods);
	if (i >= 256)
		return;
	pthread_mutex_lock(&rpc_idem_mu);
	for (int k = 0; k < RPC_IDEM_MAX; k++) {
		if (rpc_idem[k].svc == NULL || rpc_idem[k].svc == svc) {
			rpc_idem[k].svc = svc;
			rpc_idem[k].mask[i / 64] |= 1ull << (i % 64);
			break;
		}
	}
	pthread_mutex_unlock(&rpc_idem_mu);
}

static bool
rpc_is_idempotent(const ProtobufCServiceDescriptor *svc, unsigned i)
{
	bool r = false;
	if (i >= 256)
		return false;
	pthread_mutex_lock(&rpc_idem_mu);
	for (int k = 0; k < RPC_IDEM_MAX && rpc_idem[k].svc != NULL; k++) {
		if (rpc_idem[k].svc == svc) {
			r = (rpc_idem[k].mask[i / 64] >> (i % 64)) & 1;
			break;
		}
	}
	pthread_mutex_unlock(&rpc_idem_mu);
	return r;
}

/* ---- client ---- */

typedef struct rpc_slot {
	struct rpc_slot *next;
	nng_ctx ctx;
	nng_aio *aio;
	rpc_buf a; /* packed input message, then the decrypted reply */
	rpc_buf b; /* packed Request */
	rpc_arena arena;
	/* An asynchronous call in progress (px_rpc_call_async). */
	struct px_rpc_client *cl;
	int state;
	const ProtobufCMethodDescriptor *md;
	const ProtobufCMessage *req;
	char method[RPC_METHOD_MAX];
	size_t in_len;
	int64_t deadline_ms, mono_deadline;
	uint64_t request_id;
	int stale;
	px_rpc_done_fn done;
	void *done_arg;
	px_status st;
} rpc_slot;

struct px_rpc_client {
	nng_socket sock;
	nng_dialer dialer;
	uint8_t pk[PX_PK_BYTES];
	uint8_t *key; /* px_secure_alloc, PX_BOX_KEY_BYTES */
	int timeout_ms;
	int retries;
	int backoff_ms;
	size_t max_msg;
	uint64_t stream;          /* random, drawn once: see the replay check */
	atomic_uint_fast64_t sent; /* requests numbered so far */
	pthread_mutex_t mu;
	rpc_slot *free_slots;
	rpc_slot *free_async; /* slots whose aio has rpc_async_cb */
};

px_err
px_rpc_client_open(px_rpc_client **out, const px_rpc_client_opts *opts)
{
	*out = NULL;
	if (opts == NULL || opts->url == NULL || opts->identity == NULL || opts->server_pk == NULL)
		return PX_EINVAL;
	px_err rv = PX_ENOMEM;
	int nrv;
	bool sock_open = false;
	px_rpc_client *cl = calloc(1, sizeof *cl);
	if (cl == NULL)
		return PX_ENOMEM;
	pthread_mutex_init(&cl->mu, NULL);
	memcpy(cl->pk, px_identity_pk(opts->identity), PX_PK_BYTES);
	cl->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 5000;
	cl->retries = opts->retries > 0 ? opts->retries : 3;
	cl->backoff_ms = opts->backoff_ms > 0 ? opts->backoff_ms : 100;
	cl->max_msg = opts->max_msg ? opts->max_msg : PX_RPC_MAX_MSG_DEFAULT;
	cl->stream = px_random_u64();
	atomic_init(&cl->sent, 0);
	cl->key = px_secure_alloc(PX_BOX_KEY_BYTES);
	if (cl->key == NULL)
		goto fail;
	/* The one precomputation this client will ever do. */
	if ((rv = px_box_precompute(opts->identity, opts->server_pk, cl->key)) != PX_OK)
		goto fail;
	if ((nrv = nng_req0_open(&cl->sock)) != 0) {
		rv = rpc_map_nng(nrv);
		goto fail;
	}
	sock_open = true;
	size_t recvmax = cl->max_msg + RPC_OVERSIZE_SLACK;
	int maxt = cl->backoff_ms * 64;
	if (maxt > 30000)
		maxt = 30000;
	if (maxt < cl->backoff_ms)
		maxt = cl->backoff_ms;
	/* No resend by nng: its timer resend would repeat non-idempotent
	 * calls (the server would refuse the copy as a replay anyway).
	 * Retries are ours, for idempotent methods only, with a new nonce. */
	if ((nrv = nng_socket_set_ms(cl->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) !=
	        0 ||
	    (nrv = nng_socket_set_size(cl->sock, NNG_OPT_RECVMAXSZ, recvmax)) != 0 ||
	    (nrv = nng_dialer_create(&cl->dialer, cl->sock, opts->url)) != 0 ||
	    (nrv = nng_dialer_set_size(cl->dialer, NNG_OPT_RECVMAXSZ, recvmax)) != 0 ||
	    (nrv = nng_dialer_set_ms(cl->dialer, NNG_OPT_RECONNMINT, cl->backoff_ms)) != 0 ||
	    (nrv = nng_dialer_set_ms(cl->dialer, NNG_OPT_RECONNMAXT, maxt)) != 0 ||
	    (nrv = nng_dialer_start(cl->dialer, NNG_FLAG_NONBLOCK)) != 0) {
		rv = rpc_map_nng(nrv);
		goto fail;
	}
	*out = cl;
	return PX_OK;
fail:
	if (sock_open)
		nng_close(cl->sock);
	px_secure_free(cl->key);
	pthread_mutex_destroy(&cl->mu);
	free(cl);
	return rv;
}

static void
rpc_slot_free(rpc_slot *s)
{
	if (s->aio != NULL)
		nng_aio_free(s->aio);
	rpc_arena_fini(&s->arena);
	free(s->a.p);
	free(s->b.p);
	free(s);
}

void
px_rpc_client_close(px_rpc_client *cl)
{
	if (cl == NULL)
		return;
	/* The dialer first: nng 1.5.2 can leak the pipes of a connection
	 * being re-established when the socket closes under it (seen after a
	 * peer dropped an oversize message). */
	nng_dialer_close(cl->dialer);
	nng_close(cl->sock); /* closes every context */
	while (cl->free_slots != NULL) {
		rpc_slot *n = cl->free_slots->next;
		rpc_slot_free(cl->free_slots);
		cl->free_slots = n;
	}
	while (cl->free_async != NULL) {
		rpc_slot *n = cl->free_async->next;
		rpc_slot_free(cl->free_async);
		cl->free_async = n;
	}
	px_secure_free(cl->key);
	pthread_mutex_destroy(&cl->mu);
	free(cl);
}

static rpc_slot *
rpc_slot_take(px_rpc_client *cl)
{
	pthread_mutex_lock(&cl->mu);
	rpc_slot *s = cl->free_slots;
	if (s != NULL)
		cl->free_slots = s->next;
	pthread_mutex_unlock(&cl->mu);
	if (s != NULL)
		return s;
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	if (!rpc_arena_init(&s->arena) || nng_aio_alloc(&s->aio, NULL, NULL) != 0 ||
	    nng_ctx_open(&s->ctx, cl->sock) != 0) {
		rpc_slot_free(s);
		return NULL;
	}
	return s;
}

static void
rpc_slot_put(px_rpc_client *cl, rpc_slot *s)
{
	rpc_arena_reset(&s->arena);
	rpc_buf_trim(&s->a);
	rpc_buf_trim(&s->b);
	pthread_mutex_lock(&cl->mu);
	s->next = cl->free_slots;
	cl->free_slots = s;
	pthread_mutex_unlock(&cl->mu);
}

static int64_t
rpc_left_ms(int64_t mono_deadline_ns)
{
	int64_t left = (mono_deadline_ns - px_mono_ns()) / 1000000;
	return left;
}

/* Reads a reply; fills st and, when OK, *resp. */
static void
rpc_read_reply(px_rpc_client *cl, rpc_slot *s, nng_msg *m, const ProtobufCMethodDescriptor *md,
               uint64_t request_id, ProtobufCMessage **resp, px_status *st)
{
	size_t len = nng_msg_len(m);
	const uint8_t *body = nng_msg_body(m);
	if (len >= RPC_MAGIC_LEN + 1 && memcmp(body, rpc_magic_plain, RPC_MAGIC_LEN) == 0) {
		int code = body[RPC_MAGIC_LEN];
		if (code == PX_CODE_OK || code > 16)
			code = PX_CODE_INTERNAL;
		size_t tl = len - RPC_MAGIC_LEN - 1;
		if (tl > 200)
			tl = 200;
		rpc_status_set(st, (px_code)code, "%.*s", (int)tl,
		               (const char *)body + RPC_MAGIC_LEN + 1);
		return;
	}
	if (len < RPC_REP_HDR + PX_BOX_MAC_BYTES || memcmp(body, rpc_magic_box, RPC_MAGIC_LEN) != 0) {
		rpc_status_set(st, PX_CODE_INTERNAL, "%s",
		               PX_T("réponse mal formée", "malformed reply"));
		return;
	}
	size_t boxlen = len - RPC_REP_HDR;
	if (!rpc_buf_reserve(&s->a, boxlen)) {
		rpc_status_set(st, PX_CODE_RESOURCE_EXHAUSTED, "%s",
		               PX_T("mémoire insuffisante", "out of memory"));
		return;
	}
	if (px_box_open(cl->key, body + RPC_MAGIC_LEN, body + RPC_REP_HDR, boxlen, s->a.p) !=
	    PX_OK) {
		rpc_status_set(st, PX_CODE_UNAUTHENTICATED, "%s",
		               PX_T("réponse non authentifiée (clé du serveur ?)",
		                    "reply not authenticated (server key?)"));
		return;
	}
	Praxis__Rpc__Reply *rep =
	    praxis__rpc__reply__unpack(&s->arena.pa, boxlen - PX_BOX_MAC_BYTES, s->a.p);
	if (rep == NULL || rep->request_id != request_id) {
		rpc_status_set(st, PX_CODE_INTERNAL, "%s",
		               PX_T("réponse illisible ou d'un autre appel",
		                    "unreadable reply or reply to another call"));
		return;
	}
	int code = rep->status ? (int)rep->status->code : PX_CODE_OK;
	if (code < 0 || code > 16)
		code = PX_CODE_UNKNOWN;
	rpc_status_set(st, (px_code)code, "%s",
	               rep->status && rep->status->message ? rep->status->message : "");
	if (code != PX_CODE_OK)
		return;
	/* The caller's message, with the default allocator: it outlives
	 * this slot. */
	*resp = protobuf_c_message_unpack(md->output, NULL, rep->payload.len, rep->payload.data);
	if (*resp == NULL)
		rpc_status_set(st, PX_CODE_INTERNAL, "%s",
		               PX_T("réponse illisible", "unreadable response"));
}

/* Builds the boxed request message for the input packed in s->a; NULL
 * (and st set) on failure. */
static nng_msg *
rpc_build(px_rpc_client *cl, rpc_slot *s, const char *method, size_t in_len, int64_t deadline_ms,
          uint64_t *request_id, px_status *st)
{
	/* The nonce is this client's stream id, the request's number in it
	 * (a retry or a new stamp is a new request) and 8 random bytes; the
	 * request id is those random bytes, so a reply to another client
	 * instance of the same key, whose numbers start at 1 too, is never
	 * taken for ours. */
	uint8_t nonce[PX_BOX_NONCE_BYTES];
	rpc_be64_put(nonce, cl->stream);
	rpc_be64_put(nonce + 8, atomic_fetch_add(&cl->sent, 1) + 1);
	px_random(nonce + 16, 8);
	Praxis__Rpc__Request req = PRAXIS__RPC__REQUEST__INIT;
	req.method = (char *)method;
	memcpy(request_id, nonce + 16, sizeof *request_id);
	req.request_id = *request_id;
	req.deadline_ms = deadline_ms;
	req.sent_ms = px_now_ms();
	req.payload.len = in_len;
	req.payload.data = s->a.p;
	size_t plen = protobuf_c_message_get_packed_size(&req.base);
	size_t wire = RPC_REQ_HDR + plen + PX_BOX_MAC_BYTES;
	if (wire > cl->max_msg) {
		rpc_status_set(st, PX_CODE_RESOURCE_EXHAUSTED, "%s",
		               PX_T("requête trop volumineuse", "request too big"));
		return NULL;
	}
	nng_msg *m = NULL;
	if (!rpc_buf_reserve(&s->b, plen) || nng_msg_alloc(&m, wire) != 0) {
		rpc_status_set(st, PX_CODE_RESOURCE_EXHAUSTED, "%s",
		               PX_T("mémoire insuffisante", "out of memory"));
		return NULL;
	}
	protobuf_c_message_pack(&req.base, s->b.p);
	uint8_t *body = nng_msg_body(m);
	memcpy(body, rpc_magic_box, RPC_MAGIC_LEN);
	memcpy(body + RPC_MAGIC_LEN, cl->pk, PX_PK_BYTES);
	memcpy(body + RPC_MAGIC_LEN + PX_PK_BYTES, nonce, PX_BOX_NONCE_BYTES);
	px_box_seal(cl->key, nonce, s->b.p, plen, body + RPC_REQ_HDR);
	return m;
}

/* One attempt: box, send, wait, read. */
static void
rpc_attempt(px_rpc_client *cl, rpc_slot *s, const ProtobufCMethodDescriptor *md,
            const char *method, size_t in_len, int64_t deadline_ms, int64_t mono_deadline,
            ProtobufCMessage **resp, px_status *st)
{
	uint64_t request_id;
	nng_msg *m = rpc_build(cl, s, method, in_len, deadline_ms, &request_id, st);
	if (m == NULL)
		return;

	int64_t left = rpc_left_ms(mono_deadline);
	if (left <= 0) {
		nng_msg_free(m);
		rpc_status_set(st, PX_CODE_DEADLINE_EXCEEDED, "%s",
		               PX_T("délai dépassé", "deadline exceeded"));
		return;
	}
	nng_aio_set_msg(s->aio, m);
	nng_aio_set_timeout(s->aio, (nng_duration)left);
	nng_ctx_send(s->ctx, s->aio);
	nng_aio_wait(s->aio);
	int rv = nng_aio_result(s->aio);
	if (rv != 0) {
		/* Not sent: the message is still ours. req0 holds a send
		 * until a connection is up, so a timeout here means the
		 * server could not be reached at all. */
		m = nng_aio_get_msg(s->aio);
		nng_aio_set_msg(s->aio, NULL);
		if (m != NULL)
			nng_msg_free(m);
		rpc_status_set(st, PX_CODE_UNAVAILABLE, "%s (%s)",
		               PX_T("serveur injoignable", "server unreachable"), nng_strerror(rv));
		return;
	}
	left = rpc_left_ms(mono_deadline);
	nng_aio_set_timeout(s->aio, (nng_duration)(left > 0 ? left : 1));
	nng_ctx_recv(s->ctx, s->aio);
	nng_aio_wait(s->aio);
	rv = nng_aio_result(s->aio);
	if (rv != 0) {
		if (rv == NNG_ETIMEDOUT)
			rpc_status_set(st, PX_CODE_DEADLINE_EXCEEDED, "%s",
			               PX_T("délai dépassé", "deadline exceeded"));
		else
			rpc_status_set(st, PX_CODE_UNAVAILABLE, "%s (%s)",
			               PX_T("connexion perdue", "connection lost"), nng_strerror(rv));
		return;
	}
	m = nng_aio_get_msg(s->aio);
	nng_aio_set_msg(s->aio, NULL);
	rpc_read_reply(cl, s, m, md, request_id, resp, st);
	nng_msg_free(m);
	rpc_arena_reset(&s->arena);
}

px_err
px_rpc_call_sync(px_rpc_client *cl, const ProtobufCServiceDescriptor *svc, unsigned method_index,
                 const ProtobufCMessage *req, int timeout_ms, ProtobufCMessage **resp,
                 px_status *status)
{
	px_status local;
	px_status *st = status ? status : &local;
	*resp = NULL;
	st->code = PX_CODE_OK;
	st->message[0] = '\0';
	if (cl == NULL || svc == NULL || req == NULL || method_index >= svc->n_methods) {
		rpc_status_set(st, PX_CODE_INVALID_ARGUMENT, "%s",
		               PX_T("appel invalide", "invalid call"));
		return PX_EINVAL;
	}
	const ProtobufCMethodDescriptor *md = &svc->methods[method_index];
	if (req->descriptor != md->input) {
		rpc_status_set(st, PX_CODE_INVALID_ARGUMENT, "%s",
		               PX_T("requête d'un mauvais type", "request of the wrong type"));
		return PX_EINVAL;
	}
	char method[RPC_METHOD_MAX];
	if (snprintf(method, sizeof method, "%s/%s", svc->name, md->name) >= (int)sizeof method) {
		rpc_status_set(st, PX_CODE_INVALID_ARGUMENT, "%s",
		               PX_T("nom de méthode trop long", "method name too long"));
		return PX_EINVAL;
	}
	int timeout = timeout_ms > 0 ? timeout_ms : cl->timeout_ms;
	int64_t deadline_ms = px_now_ms() + timeout;
	int64_t mono_deadline = px_mono_ns() + (int64_t)timeout * 1000000;

	rpc_slot *s = rpc_slot_take(cl);
	if (s == NULL) {
		rpc_status_set(st, PX_CODE_RESOURCE_EXHAUSTED, "%s",
		               PX_T("mémoire insuffisante", "out of memory"));
		return PX_ENOMEM;
	}
	size_t in_len = protobuf_c_message_get_packed_size(req);
	if (!rpc_buf_reserve(&s->a, in_len ? in_len : 1)) {
		rpc_slot_put(cl, s);
		rpc_status_set(st, PX_CODE_RESOURCE_EXHAUSTED, "%s",
		               PX_T("mémoire insuffisante", "out of memory"));
		return PX_ENOMEM;
	}
	bool idem = rpc_is_idempotent(svc, method_index);
	int backoff = cl->backoff_ms;
	int stale = 0;
	for (int attempt = 0;; attempt++) {
		/* Packed again each attempt: a.p also receives the reply. */
		protobuf_c_message_pack(req, s->a.p);
		rpc_attempt(cl, s, md, method, in_len, deadline_ms, mono_deadline, resp, st);
		if (st->code == PX_CODE_ABORTED) {
			/* Refused unrun as stale: typically queued while the
			 * server restarted. A fresh stamp is safe for any method;
			 * if it stays stale the clocks disagree. */
			if (++stale <= 3 && rpc_left_ms(mono_deadline) > 0) {
				attempt--;
				continue;
			}
			st->code = PX_CODE_UNAUTHENTICATED;
			break;
		}
		if (st->code != PX_CODE_UNAVAILABLE || !idem || attempt >= cl->retries)
			break;
		if (rpc_left_ms(mono_deadline) <= backoff)
			break;
		struct timespec ts = {backoff / 1000, (long)(backoff % 1000) * 1000000};
		nanosleep(&ts, NULL);
		backoff *= 2;
	}
	rpc_slot_put(cl, s);
	return st->code == PX_CODE_OK ? PX_OK : px_code_to_err(st->code);
}

/* ---- client: asynchronous calls ---- */

enum { RPC_ASYNC_SEND, RPC_ASYNC_RECV };

static void rpc_async_cb(void *arg);

static rpc_slot *
rpc_async_take(px_rpc_client *cl)
{
	pthread_mutex_lock(&cl->mu);
	rpc_slot *s = cl->free_async;
	if (s != NULL)
		cl->free_async = s->next;
	pthread_mutex_unlock(&cl->mu);
	if (s != NULL)
		return s;
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	if (!rpc_arena_init(&s->arena) || nng_aio_alloc(&s->aio, rpc_async_cb, s) != 0 ||
	    nng_ctx_open(&s->ctx, cl->sock) != 0) {
		rpc_slot_free(s);
		return NULL;
	}
	return s;
}

/* Gives the slot back, then calls the caller's function: it may start
 * another call at once, on this very slot. */
static void
rpc_async_finish(rpc_slot *s, ProtobufCMessage *resp)
{
	px_rpc_client *cl = s->cl;
	px_rpc_done_fn done = s->done;
	void *arg = s->done_arg;
	px_status st = s->st;
	rpc_arena_reset(&s->arena);
	rpc_buf_trim(&s->a);
	rpc_buf_trim(&s->b);
	s->req = NULL;
	pthread_mutex_lock(&cl->mu);
	s->next = cl->free_async;
	cl->free_async = s;
	pthread_mutex_unlock(&cl->mu);
	done(arg, st.code == PX_CODE_OK ? PX_OK : px_code_to_err(st.code), resp, &st);
}

/* Packs, boxes and sends; on failure finishes the call at once. */
static void
rpc_async_send(rpc_slot *s)
{
	protobuf_c_message_pack(s->req, s->a.p);
	nng_msg *m = rpc_build(s->cl, s, s->method, s->in_len, s->deadline_ms, &s->request_id,
	                       &s->st);
	if (m == NULL) {
		rpc_async_finish(s, NULL);
		return;
	}
	int64_t left = rpc_left_ms(s->mono_deadline);
	if (left <= 0) {
		nng_msg_free(m);
		rpc_status_set(&s->st, PX_CODE_DEADLINE_EXCEEDED, "%s",
		               PX_T("délai dépassé", "deadline exceeded"));
		rpc_async_finish(s, NULL);
		return;
	}
	s->state = RPC_ASYNC_SEND;
	nng_aio_set_msg(s->aio, m);
	nng_aio_set_timeout(s->aio, (nng_duration)left);
	nng_ctx_send(s->ctx, s->aio);
}

static void
rpc_async_cb(void *arg)
{
	rpc_slot *s = arg;
	int rv = nng_aio_result(s->aio);
	if (s->state == RPC_ASYNC_SEND) {
		if (rv != 0) {
			nng_msg *m = nng_aio_get_msg(s->aio);
			nng_aio_set_msg(s->aio, NULL);
			if (m != NULL)
				nng_msg_free(m);
			rpc_status_set(&s->st, PX_CODE_UNAVAILABLE, "%s (%s)",
			               PX_T("serveur injoignable", "server unreachable"),
			               nng_strerror(rv));
			rpc_async_finish(s, NULL);
			return;
		}
		int64_t left = rpc_left_ms(s->mono_deadline);
		s->state = RPC_ASYNC_RECV;
		nng_aio_set_timeout(s->aio, (nng_duration)(left > 0 ? left : 1));
		nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	if (rv != 0) {
		if (rv == NNG_ETIMEDOUT)
			rpc_status_set(&s->st, PX_CODE_DEADLINE_EXCEEDED, "%s",
			               PX_T("délai dépassé", "deadline exceeded"));
		else
			rpc_status_set(&s->st, PX_CODE_UNAVAILABLE, "%s (%s)",
			               PX_T("connexion perdue", "connection lost"), nng_strerror(rv));
		rpc_async_finish(s, NULL);
		return;
	}
	nng_msg *m = nng_aio_get_msg(s->aio);
	nng_aio_set_msg(s->aio, NULL);
	ProtobufCMessage *resp = NULL;
	rpc_read_reply(s->cl, s, m, s->md, s->request_id, &resp, &s->st);
	nng_msg_free(m);
	rpc_arena_reset(&s->arena);
	if (s->st.code == PX_CODE_ABORTED) {
		/* Stale, not run: stamp again (see px_rpc_call_sync). */
		if (++s->stale <= 3 && rpc_left_ms(s->mono_deadline) > 0) {
			rpc_async_send(s);
			return;
		}
		s->st.code = PX_CODE_UNAUTHENTICATED;
	}
	rpc_async_finish(s, resp);
}

px_err
px_rpc_call_async(px_rpc_client *cl, const ProtobufCServiceDescriptor *svc,
                  unsigned method_index, const ProtobufCMessage *req, int timeout_ms,
                  px_rpc_done_fn done, void *arg)
{
	if (cl == NULL || svc == NULL || req == NULL || done == NULL ||
	    method_index >= svc->n_methods)
		return PX_EINVAL;
	const ProtobufCMethodDescriptor *md = &svc->methods[method_index];
	if (req->descriptor != md->input)
		return PX_EINVAL;
	if (strlen(svc->name) + strlen(md->name) + 2 > RPC_METHOD_MAX)
		return PX_EINVAL;
	rpc_slot *s = rpc_async_take(cl);
	if (s == NULL)
		return PX_ENOMEM;
	snprintf(s->method, sizeof s->method, "%s/%s", svc->name, md->name);
	int timeout = timeout_ms > 0 ? timeout_ms : cl->timeout_ms;
	s->cl = cl;
	s->md = md;
	s->req = req;
	s->in_len = protobuf_c_message_get_packed_size(req);
	s->deadline_ms = px_now_ms() + timeout;
	s->mono_deadline = px_mono_ns() + (int64_t)timeout * 1000000;
	s->stale = 0;
	s->done = done;
	s->done_arg = arg;
	s->st.code = PX_CODE_OK;
	s->st.message[0] = '\0';
	if (!rpc_buf_reserve(&s->a, s->in_len ? s->in_len : 1)) {
		rpc_status_set(&s->st, PX_CODE_RESOURCE_EXHAUSTED, "%s",
		               PX_T("mémoire insuffisante", "out of memory"));
		rpc_async_finish(s, NULL);
		return PX_OK;
	}
	rpc_async_send(s);
	return PX_OK;
}

px_err
px_rpc_call_named(px_rpc_client *cl, const ProtobufCServiceDescriptor *svc, const char *method,
                  const ProtobufCMessage *req, int timeout_ms, ProtobufCMessage **resp,
                  px_status *status)
{
	*resp = NULL;
	const ProtobufCMethodDescriptor *md =
	    svc ? protobuf_c_service_descriptor_get_method_by_name(svc, method) : NULL;
	if (md == NULL) {
		rpc_status_set(status, PX_CODE_UNIMPLEMENTED, "%s: %s",
		               PX_T("méthode inconnue", "unknown method"), method);
		return PX_ENOTFOUND;
	}
	return px_rpc_call_sync(cl, svc, (unsigned)(md - svc->methods), req, timeout_ms, resp,
	                        status);
}

void
px_rpc_fini(void)
{
	nng_fini();
}
