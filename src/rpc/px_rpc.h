/*
 * px_rpc.h - gRPC-style calls over nng req0/rep0.
 *
 * Methods come from protobuf-c's generated service descriptors: a server
 * serves a ProtobufCService (the generated *_Service struct filled with the
 * implementation's functions, see PRAXIS__HUB__INIT); a client calls a
 * method by its descriptor. No method table is kept by hand.
 *
 * Wire (one nng message each way):
 *   request  = "PX1" | caller Ed25519 pk (32) | nonce (24) | box(Request)
 *   reply    = "PX1" | nonce (24) | box(Reply)
 * box = crypto_box with the per-peer precomputed key (X25519 derived from
 * both Ed25519 identities), so every call is authenticated and encrypted.
 * Request (proto/rpc.proto) carries method, request id, deadline and send
 * time.
 *
 * Replays: a request nonce is stream id (8) | counter (8) | random (8),
 * the stream id drawn at random once per client instance, the counter
 * numbering its requests from 1 (big-endian both). The server remembers,
 * per (caller key, stream id), the highest counter accepted and a bitmap
 * of the 960 below it, as IPsec, DTLS and WireGuard do: a counter seen
 * already, or older than that, is rejected with UNAUTHENTICATED. Its
 * memory (about 200 bytes a stream, dropped 2 windows after the stream's
 * last request) grows with the client instances of the last 2 windows,
 * not with the requests: a cache of every nonce seen grew with
 * requests/s x 2 windows, and kept the hub's heap growing through a
 * 6,000 calls/s load test. A send time outside +-window, or before the
 * server started, is rejected with ABORTED (the streams do not survive a
 * restart, so a request stamped before it cannot be told from a replay).
 * Both are refused before the handler runs. A legitimate request can be
 * stale when it waited in nng's queue while the server was down: the
 * client then stamps it again with the next counter and resends it (at
 * most 3 times, within the deadline), for every method since none ran.
 *
 * Errors found before a request is authenticated (bad magic, oversize,
 * unknown or wrong key, replay) cannot be boxed for an unauthenticated
 * peer: they get a plain reply "PX0" | code (1 byte) | message (UTF-8).
 * A client accepts a plain reply only as an error, never as OK, so a
 * forged one can at worst fail a call, which anyone on the path can do.
 *
 * Sizes: a wire message longer than max_msg gets RESOURCE_EXHAUSTED without
 * being decrypted. nng's NNG_OPT_RECVMAXSZ is set to max_msg + 64 KiB, so a
 * message beyond that is dropped by nng before it is allocated (the
 * connection is closed and the client sees UNAVAILABLE or
 * DEADLINE_EXCEEDED); the 64 KiB between lets a slightly-too-big call get
 * a clear answer.
 *
 * Only this module includes nng.h.
 */
#ifndef PX_RPC_H
#define PX_RPC_H

#include "px.h"
#include "px_crypto.h"
#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

/* gRPC status codes (praxis.rpc.Code). */
typedef enum px_code {
	PX_CODE_OK = 0,
	PX_CODE_CANCELLED = 1,
	PX_CODE_UNKNOWN = 2,
	PX_CODE_INVALID_ARGUMENT = 3,
	PX_CODE_DEADLINE_EXCEEDED = 4,
	PX_CODE_NOT_FOUND = 5,
	PX_CODE_ALREADY_EXISTS = 6,
	PX_CODE_PERMISSION_DENIED = 7,
	PX_CODE_RESOURCE_EXHAUSTED = 8,
	PX_CODE_FAILED_PRECONDITION = 9,
	PX_CODE_ABORTED = 10, /* not run: stamped before the server started or
	                         outside its window; px_rpc's client re-stamps
	                         and resends by itself */
	PX_CODE_UNIMPLEMENTED = 12,
	PX_CODE_INTERNAL = 13,
	PX_CODE_UNAVAILABLE = 14,
	PX_CODE_UNAUTHENTICATED = 16,
} px_code;

typedef struct px_status {
	px_code code;
	char message[256];
} px_status;

#define PX_RPC_MAX_MSG_DEFAULT (4u << 20) /* 4 MiB, enforced before decoding */
#define PX_RPC_REPLAY_MAX_DEFAULT (1u << 16) /* streams: about 14 MiB at most */

/* ---- server ---- */

typedef struct px_rpc_server px_rpc_server;
/* The call being served: passed as closure_data to the generated service
 * functions. Valid until the handler returns (deferred: until finished,
 * see px_rpc_call_defer).
 *
 * Handlers run synchronously on nng's callback threads and must call the
 * closure before returning (a handler that returns without calling it
 * answers INTERNAL). The input message is owned by the server and valid
 * until the handler returns; the message given to the closure is packed at
 * once and stays the handler's. Handlers of one server run concurrently
 * (up to `contexts` at once, bounded by nng's task threads): they must be
 * thread-safe and should not block for long. A method whose handler
 * pointer is NULL answers UNIMPLEMENTED. */
typedef struct px_rpc_call px_rpc_call;

/* Decides whether a caller may call a method before anything is decoded
 * beyond the envelope. Return PX_CODE_OK, PX_CODE_UNAUTHENTICATED (unknown
 * key) or PX_CODE_PERMISSION_DENIED. NULL authorizer: every key allowed. */
typedef px_code (*px_rpc_authorize_fn)(void *arg, const uint8_t caller_pk[PX_PK_BYTES],
                                        const char *method);

typedef struct px_rpc_server_opts {
	const char *url;              /* "tcp://127.0.0.1:7600", "ipc:///tmp/x" */
	const px_identity *identity;  /* borrowed; lives as long as the server */
	ProtobufCService *service;    /* borrowed; generated service with handlers */
	int contexts;                 /* concurrent calls (nng_ctx + nng_aio); 0 = 64 */
	size_t max_msg;               /* 0 = PX_RPC_MAX_MSG_DEFAULT */
	int replay_window_ms;         /* 0 = 60000 */
	px_rpc_authorize_fn authorize;
	void *authorize_arg;
	size_t replay_max;            /* live streams (client instances heard in
	                                 the last 2 windows) at most; 0 =
	                                 PX_RPC_REPLAY_MAX_DEFAULT. Beyond it a new
	                                 stream's calls get RESOURCE_EXHAUSTED
	                                 rather than a weaker replay check; the
	                                 streams already known go on. */
} px_rpc_server_opts;

px_err px_rpc_server_start(px_rpc_server **out, const px_rpc_server_opts *opts) PX_NODISCARD;
/* Stops accepting, waits for calls in progress (deferred calls included:
 * until they are finished), frees. NULL does nothing. */
void px_rpc_server_stop(px_rpc_server *srv);
/* The bound URL (useful with port 0). Borrowed. */
const char *px_rpc_server_url(const px_rpc_server *srv);

/* Inside a handler: who calls, the method, the time left. */
const uint8_t *px_rpc_call_caller(const px_rpc_call *call);
const char *px_rpc_call_method(const px_rpc_call *call);
int64_t px_rpc_call_deadline_ms(const px_rpc_call *call); /* absolute unix ms */
/* Sets the status the closure will send; with a non-OK code the closure's
 * message is ignored and may be NULL. */
void px_rpc_call_set_status(px_rpc_call *call, px_code code, const char *fmt, ...) PX_PRINTF(3, 4);

/*
 * Deferred replies, for handlers that answer later from another thread
 * (e.g. after a group commit). Inside a handler, px_rpc_call_defer takes
 * the call over: the handler returns without calling its closure (a call
 * of the closure after defer is ignored) and the reply is sent by exactly
 * one px_rpc_call_finish or px_rpc_call_finish_status, from any thread,
 * at any time (even before the handler returned). Until then the call's
 * context is parked: it receives no other request (at most `contexts`
 * calls are deferred at once), and the call, its caller, method and input
 * message stay valid; px_rpc_call_set_status may be used from the
 * finishing thread. Finish packs resp (borrowed, may be freed on return;
 * ignored when the status is not OK), boxes and sends; the call is
 * invalid afterwards. A call finished after its deadline answers
 * DEADLINE_EXCEEDED whatever was given (the caller gave up; its owner
 * should treat the outcome as unknown to the caller, as for any
 * timeout).
 *
 * px_rpc_server_stop waits until every deferred call is finished: their
 * owners must keep finishing them while it runs (on another thread);
 * replies finished once stop began are dropped (the socket is closed).
 *
 * px_rpc_call_defer returns call, or NULL (nothing changed) when the
 * closure was already called or the call is already deferred.
 */
px_rpc_call *px_rpc_call_defer(px_rpc_call *call);
void px_rpc_call_finish(px_rpc_call *call, const ProtobufCMessage *resp);
/* Finish with a status (non-OK: no response). */
void px_rpc_call_finish_status(px_rpc_call *call, px_code code, const char *fmt, ...)
    PX_PRINTF(3, 4);

/* ---- client ---- */

typedef struct px_rpc_client px_rpc_client;

typedef struct px_rpc_client_opts {
	const char *url;
	const px_identity *identity;        /* borrowed */
	const uint8_t *server_pk;           /* pinned server key (32 bytes) */
	int timeout_ms;                     /* default deadline per call; 0 = 5000 */
	size_t max_msg;                     /* 0 = PX_RPC_MAX_MSG_DEFAULT */
	int retries;                        /* for idempotent methods; 0 = 3 */
	int backoff_ms;                     /* first backoff, doubled; 0 = 100 */
} px_rpc_client_opts;

/* Dials lazily and reconnects with backoff (nng's reconnect options).
 * A client may be used by several threads at once (one nng_ctx per call). */
px_err px_rpc_client_open(px_rpc_client **out, const px_rpc_client_opts *opts) PX_NODISCARD;
void px_rpc_client_close(px_rpc_client *cl);

/*
 * Returns PX_OK when the status is OK, otherwise the px_err of the status
 * code (px_code_to_err); status (may be NULL) is always filled, also for
 * local failures (server unreachable: UNAVAILABLE; deadline passed while
 * waiting: DEADLINE_EXCEEDED; request over max_msg: RESOURCE_EXHAUSTED).
 *
 * Calls method number `method_index` of service `svc`. *resp is the
 * unpacked response (free with protobuf_c_message_free_unpacked) when the
 * status is OK, NULL otherwise. Methods whose .proto line carries the
 * comment "idempotent" (registered with px_rpc_method_idempotent, since
 * protoc-c keeps no comments) are retried on UNAVAILABLE (server
 * unreachable, connection lost, or the server's own UNAVAILABLE), up to
 * `retries` times with doubling backoff, within the same deadline. A
 * timeout is not retried: the deadline is spent. While the server is
 * down, nng holds the request and redials with backoff
 * (NNG_OPT_RECONNMINT = backoff_ms, RECONNMAXT = 64 x backoff_ms, at most
 * 30 s), so a call started then goes out as soon as it connects.
 */
px_err px_rpc_call_sync(px_rpc_client *cl, const ProtobufCServiceDescriptor *svc,
                        unsigned method_index, const ProtobufCMessage *req,
                        int timeout_ms, ProtobufCMessage **resp, px_status *status) PX_NODISCARD;
/* Same, by name: "SubmitReport". PX_ENOTFOUND if svc has no such method. */
px_err px_rpc_call_named(px_rpc_client *cl, const ProtobufCServiceDescriptor *svc,
                         const char *method, const ProtobufCMessage *req, int timeout_ms,
                         ProtobufCMessage **resp, px_status *status) PX_NODISCARD;
/*
 * Asynchronous call: starts the call and returns; done is called exactly
 * once, on one of nng's threads, with the same results as
 * px_rpc_call_sync (err, resp owned by done's callee and freed with
 * protobuf_c_message_free_unpacked, status borrowed for the call). done
 * must not block; it may start other calls. req must stay valid until
 * done is called. No retries beyond the stale re-stamp (the caller
 * decides). Returns PX_EINVAL (bad arguments, wrong request type) or
 * PX_ENOMEM without calling done; PX_OK otherwise. No call may be in
 * progress when the client is closed.
 */
typedef void (*px_rpc_done_fn)(void *arg, px_err err, ProtobufCMessage *resp,
                               const px_status *status);
px_err px_rpc_call_async(px_rpc_client *cl, const ProtobufCServiceDescriptor *svc,
                         unsigned method_index, const ProtobufCMessage *req, int timeout_ms,
                         px_rpc_done_fn done, void *arg) PX_NODISCARD;

/* Marks a method idempotent (retried). Kept per descriptor, process-wide. */
void px_rpc_method_idempotent(const ProtobufCServiceDescriptor *svc, const char *method);

/* At process exit, after every server and client is closed: waits for
 * nng's background threads to free what they still hold (a closed
 * connection is reaped asynchronously), so leak checkers see a clean
 * exit. Optional; nothing of px_rpc may be used afterwards. */
void px_rpc_fini(void);

#ifdef __cplusplus
}
#endif
#endif /* PX_RPC_H */
