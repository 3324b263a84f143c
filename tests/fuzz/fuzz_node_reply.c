/*
 * fuzz_node_reply.c - what a node decodes: the hub's replies, read by the
 * px_rpc client (rpc_read_reply) and unpacked as each praxis.Hub response
 * type. A fake hub (a raw rep0 socket on nng inproc, in a thread) answers
 * each call of a real px_rpc_client with the fuzz input:
 *   data[0] & 1 == 0: the rest is the whole reply on the wire (plain
 *                     "PX0" errors, garbage, truncated boxes);
 *   data[0] & 1 == 1: the rest is the plaintext praxis.rpc.Reply, boxed
 *                     with the right key, with the call's request_id
 *                     appended (last field wins) so it reaches the
 *                     response unpacking.
 * (data[0] >> 1) % 5 picks the method. Properties: the client never
 * reports OK without a response of the method's type, and never crashes.
 */
#define _GNU_SOURCE
#include "hub.pb-c.h"
#include "px_crypto.h"
#include "px_rpc.h"
#include "rpc.pb-c.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static px_identity *nf_hub_id, *nf_node_id;
static uint8_t nf_key[PX_BOX_KEY_BYTES];
static nng_socket nf_rep;
static px_rpc_client *nf_cl;
static pthread_t nf_thr;

/* The reply the fake hub sends next (set by the fuzz thread before each
 * call, read by the server thread during it; nng's queues order them). */
static const uint8_t *nf_cur;
static size_t nf_cur_len;
static int nf_cur_boxed;
/* Replies sent by the fake hub: a call that got none was lost. */
static atomic_ulong nf_replies;

#define NF_CHECK(x)                                                                     \
	do {                                                                            \
		if (!(x)) {                                                             \
			fprintf(stderr, "fuzz harness: %s failed (%s:%d)\n", #x, __FILE__, \
			        __LINE__);                                              \
			abort();                                                        \
		}                                                                       \
	} while (0)

static void *
nf_server(void *arg)
{
	(void)arg;
	const size_t qhdr = 3 + PX_PK_BYTES + PX_BOX_NONCE_BYTES;
	const size_t rhdr = 3 + PX_BOX_NONCE_BYTES;
	for (;;) {
		nng_msg *m;
		if (nng_recvmsg(nf_rep, &m, 0) != 0)
			return NULL; /* closed at exit */
		uint64_t reqid = 0;
		size_t len = nng_msg_len(m);
		const uint8_t *b = nng_msg_body(m);
		if (len > qhdr + PX_BOX_MAC_BYTES) {
			uint8_t *plain = malloc(len);
			NF_CHECK(plain != NULL);
			NF_CHECK(px_box_open(nf_key, b + 3 + PX_PK_BYTES, b + qhdr, len - qhdr, plain) ==
			         PX_OK);
			Praxis__Rpc__Request *rq =
			    praxis__rpc__request__unpack(NULL, len - qhdr - PX_BOX_MAC_BYTES, plain);
			NF_CHECK(rq != NULL);
			reqid = rq->request_id;
			praxis__rpc__request__free_unpacked(rq, NULL);
			free(plain);
		}
		nng_msg_clear(m);
		if (!nf_cur_boxed) {
			NF_CHECK(nng_msg_append(m, nf_cur, nf_cur_len) == 0);
		} else {
			size_t pl = nf_cur_len + 11;
			uint8_t *plain = malloc(pl);
			NF_CHECK(plain != NULL);
			memcpy(plain, nf_cur, nf_cur_len);
			size_t n = nf_cur_len;
			plain[n++] = 1 << 3; /* field 1 (request_id), varint */
			uint64_t v = reqid;
			do {
				plain[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
				v >>= 7;
			} while (v != 0);
			NF_CHECK(nng_msg_realloc(m, rhdr + n + PX_BOX_MAC_BYTES) == 0);
			uint8_t *o = nng_msg_body(m);
			memcpy(o, "PX1", 3);
			px_random(o + 3, PX_BOX_NONCE_BYTES);
			px_box_seal(nf_key, o + 3, plain, n, o + rhdr);
			free(plain);
		}
		atomic_fetch_add(&nf_replies, 1);
		NF_CHECK(nng_sendmsg(nf_rep, m, 0) == 0);
	}
}

static void
nf_stop(void)
{
	px_rpc_client_close(nf_cl);
	nng_close(nf_rep);
	pthread_join(nf_thr, NULL);
	px_identity_free(nf_hub_id);
	px_identity_free(nf_node_id);
}

static void
nf_init(void)
{
	if (nf_cl != NULL)
		return;
	px_log_init("fuzz", PX_LOG_ERROR);
	NF_CHECK(px_crypto_init() == PX_OK);
	uint8_t seed[PX_SEED_BYTES];
	memset(seed, 0x11, sizeof seed);
	NF_CHECK(px_identity_from_seed(&nf_hub_id, seed) == PX_OK);
	memset(seed, 0x22, sizeof seed);
	NF_CHECK(px_identity_from_seed(&nf_node_id, seed) == PX_OK);
	NF_CHECK(px_box_precompute(nf_hub_id, px_identity_pk(nf_node_id), nf_key) == PX_OK);
	char url[96];
	snprintf(url, sizeof url, "inproc://pxfuzz-node-%d", (int)getpid());
	NF_CHECK(nng_rep0_open(&nf_rep) == 0);
	NF_CHECK(nng_listen(nf_rep, url, NULL, 0) == 0);
	NF_CHECK(pthread_create(&nf_thr, NULL, nf_server, NULL) == 0);
	px_rpc_client_opts o = {0};
	o.url = url;
	o.identity = nf_node_id;
	o.server_pk = px_identity_pk(nf_hub_id);
	o.timeout_ms = 10000;
	o.retries = 1;
	o.backoff_ms = 1;
	NF_CHECK(px_rpc_client_open(&nf_cl, &o) == PX_OK);
	atexit(nf_stop);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 20))
		return 0;
	nf_init();
	nf_cur = data + 1;
	nf_cur_len = size - 1;
	nf_cur_boxed = data[0] & 1;
	unsigned mi = (data[0] >> 1) % praxis__hub__descriptor.n_methods;
	const ProtobufCMethodDescriptor *md = &praxis__hub__descriptor.methods[mi];
	/* Each method's request, empty: the reply is what is fuzzed. */
	uint8_t storage[512] __attribute__((aligned(16)));
	NF_CHECK(md->input->sizeof_message <= sizeof storage);
	ProtobufCMessage *req = (ProtobufCMessage *)storage;
	protobuf_c_message_init(md->input, req);
	ProtobufCMessage *resp = NULL;
	px_status st;
	unsigned long before = atomic_load(&nf_replies);
	px_err rv = px_rpc_call_sync(nf_cl, &praxis__hub__descriptor, mi, req, 10000, &resp, &st);
	if (atomic_load(&nf_replies) == before) {
		/* The fake hub always answers at once. */
		fprintf(stderr, "fuzz: call lost: %s\n", st.message);
		abort();
	}
	if (rv == PX_OK) {
		NF_CHECK(resp != NULL && resp->descriptor == md->output);
		NF_CHECK(st.code == PX_CODE_OK);
	} else {
		NF_CHECK(resp == NULL && st.code != PX_CODE_OK);
		NF_CHECK(memchr(st.message, '\0', sizeof st.message) != NULL);
	}
	if (resp != NULL)
		protobuf_c_message_free_unpacked(resp, NULL);
	return 0;
}
