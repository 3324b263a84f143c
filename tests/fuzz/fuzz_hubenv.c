/*
 * fuzz_hubenv.c - see fuzz_hubenv.h.
 */
#define _GNU_SOURCE
#include "fuzz_hubenv.h"

#include "hub.h"
#include "px_rpc.h"
#include "rpc.pb-c.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

static hub *pxf_hub;
static px_identity *pxf_id;
static uint8_t pxf_key[PX_BOX_KEY_BYTES];
static nng_socket pxf_sock;
static char pxf_dir[256];

static int
pxf_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
pxf_hub_stop(void)
{
	nng_close(pxf_sock);
	hub_rpc_stop(pxf_hub);
	hub_close(pxf_hub);
	px_identity_free(pxf_id);
	if (pxf_dir[0] != '\0')
		nftw(pxf_dir, pxf_rm, 16, FTW_DEPTH | FTW_PHYS);
}

#define PXF_CHECK(x)                                                                   \
	do {                                                                           \
		if (!(x)) {                                                            \
			fprintf(stderr, "fuzz harness: %s failed (%s:%d)\n", #x, __FILE__, \
			        __LINE__);                                             \
			abort();                                                       \
		}                                                                      \
	} while (0)

int64_t
pxf_now_ms(void)
{
	return px_now_ms();
}

void
pxf_hub_env(void)
{
	if (pxf_hub != NULL)
		return;
	px_log_init("fuzz", PX_LOG_ERROR);
	PXF_CHECK(px_crypto_init() == PX_OK);
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(pxf_dir, sizeof pxf_dir, "%s/pxfuzz.XXXXXX", base);
	PXF_CHECK(mkdtemp(pxf_dir) != NULL);
	char url[128];
	snprintf(url, sizeof url, "inproc://pxfuzz-%d", (int)getpid());
	PXF_CHECK(hub_init_dir(pxf_dir, url, NULL) == PX_OK);
	PXF_CHECK(hub_open(pxf_dir, NULL, &pxf_hub) == PX_OK);

	/* A tenant and the fuzzer's key, enrolled through the real path. */
	char token[PX_JT_TEXT_MAX];
	PXF_CHECK(hub_tenant_add(pxf_hub, "fuzz-org", "Laurentides", HUB_DEFAULT_TTL_MS, url,
	                         token) == PX_OK);
	px_jointoken jt;
	PXF_CHECK(px_jointoken_parse(token, strlen(token), &jt) == PX_OK);
	uint8_t seed[PX_SEED_BYTES];
	memset(seed, 0x5a, sizeof seed);
	PXF_CHECK(px_identity_from_seed(&pxf_id, seed) == PX_OK);
	char tenant[PX_JT_TENANT_MAX + 1], msg[256];
	PXF_CHECK(hub_enroll(pxf_hub, px_identity_pk(pxf_id), jt.secret, sizeof jt.secret,
	                     "Fuzz", tenant, msg, sizeof msg) == 0);
	PXF_CHECK(px_box_precompute(pxf_id, jt.hub_pk, pxf_key) == PX_OK);

	PXF_CHECK(hub_rpc_start(pxf_hub, url) == PX_OK);
	PXF_CHECK(nng_req0_open(&pxf_sock) == 0);
	PXF_CHECK(nng_socket_set_ms(pxf_sock, NNG_OPT_RECVTIMEO, 10000) == 0);
	PXF_CHECK(nng_socket_set_ms(pxf_sock, NNG_OPT_SENDTIMEO, 10000) == 0);
	/* No resend: a lost reply must show, not be retried behind our back. */
	PXF_CHECK(nng_socket_set_ms(pxf_sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE) == 0);
	PXF_CHECK(nng_dial(pxf_sock, url, NULL, 0) == 0);
	atexit(pxf_hub_stop);
}

int
pxf_hub_roundtrip(const uint8_t *wire, size_t len)
{
	nng_msg *m = NULL;
	PXF_CHECK(nng_msg_alloc(&m, len) == 0);
	if (len > 0)
		memcpy(nng_msg_body(m), wire, len);
	PXF_CHECK(nng_sendmsg(pxf_sock, m, 0) == 0);
	int rv = nng_recvmsg(pxf_sock, &m, 0);
	if (rv != 0) {
		fprintf(stderr, "fuzz harness: no reply from the hub: %s\n", nng_strerror(rv));
		abort();
	}
	size_t rl = nng_msg_len(m);
	const uint8_t *r = nng_msg_body(m);
	int code = -1;
	if (rl >= 4 && memcmp(r, "PX0", 3) == 0) {
		code = r[3];
		/* A plain reply is never OK and its text is bounded. */
		PXF_CHECK(code != 0 && rl <= 4 + 200);
	} else {
		const size_t hdr = 3 + PX_BOX_NONCE_BYTES;
		PXF_CHECK(rl >= hdr + PX_BOX_MAC_BYTES && memcmp(r, "PX1", 3) == 0);
		size_t pl = rl - hdr - PX_BOX_MAC_BYTES;
		uint8_t *plain = malloc(pl ? pl : 1);
		PXF_CHECK(plain != NULL);
		PXF_CHECK(px_box_open(pxf_key, r + 3, r + hdr, rl - hdr, plain) == PX_OK);
		Praxis__Rpc__Reply *rep = praxis__rpc__reply__unpack(NULL, pl, plain);
		PXF_CHECK(rep != NULL && rep->status != NULL);
		code = (int)rep->status->code;
		praxis__rpc__reply__free_unpacked(rep, NULL);
		free(plain);
	}
	nng_msg_free(m);
	return code;
}

int
pxf_hub_call_boxed(const uint8_t *plain, size_t len)
{
	const size_t hdr = 3 + PX_PK_BYTES + PX_BOX_NONCE_BYTES;
	size_t wl = hdr + len + PX_BOX_MAC_BYTES;
	uint8_t *wire = malloc(wl);
	PXF_CHECK(wire != NULL);
	memcpy(wire, "PX1", 3);
	memcpy(wire + 3, px_identity_pk(pxf_id), PX_PK_BYTES);
	/* Nonces as px_rpc's client makes them (one stream, numbered), so a
	 * long run stays under the hub's cap on streams. */
	static uint64_t stream, sent;
	if (stream == 0)
		stream = px_random_u64() | 1;
	uint8_t *nonce = wire + 3 + PX_PK_BYTES;
	for (int i = 0; i < 8; i++) {
		nonce[i] = (uint8_t)(stream >> (56 - 8 * i));
		nonce[8 + i] = (uint8_t)((sent + 1) >> (56 - 8 * i));
	}
	sent++;
	px_random(nonce + 16, 8);
	px_box_seal(pxf_key, wire + 3 + PX_PK_BYTES, plain, len, wire + hdr);
	int code = pxf_hub_roundtrip(wire, wl);
	free(wire);
	return code;
}
