/*
 * fuzz_rpc_envelope.c - the server side of the RPC envelope (src/rpc,
 * rpc_serve): size check, magic, caller key, box, praxis.rpc.Request,
 * replay window, method lookup, authorization. Driven through the real
 * hub over nng inproc (fuzz_hubenv.c), so what is fuzzed is exactly what
 * a hub runs.
 *
 * data[0] & 1 == 0: the rest is the wire message itself (what anyone on
 *                   the network can send);
 * data[0] & 1 == 1: the rest is the plaintext inside the box of the
 *                   enrolled node (what a member of the federation, or a
 *                   bug in a node, can send). A sent_ms field of now is
 *                   appended: protobuf keeps the last value of a field, so
 *                   inputs that parse also pass the time window and reach
 *                   the method lookup and the handlers.
 * Every message must get a well-formed reply (checked in fuzz_hubenv.c).
 */
#include "fuzz_hubenv.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 20))
		return 0;
	pxf_hub_env();
	if ((data[0] & 1) == 0) {
		(void)pxf_hub_roundtrip(data + 1, size - 1);
		return 0;
	}
	uint8_t *plain = malloc(size - 1 + 12);
	if (plain == NULL)
		return 0;
	memcpy(plain, data + 1, size - 1);
	size_t n = size - 1;
	uint64_t v = (uint64_t)pxf_now_ms();
	plain[n++] = 4 << 3; /* field 4 (sent_ms), varint */
	do {
		plain[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	(void)pxf_hub_call_boxed(plain, n);
	free(plain);
	return 0;
}
