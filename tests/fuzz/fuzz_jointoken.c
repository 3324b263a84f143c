/*
 * fuzz_jointoken.c - the join and viewer token parsers of hub/jointoken.c
 * (used by `praxis-node enroll` and the hub dashboard). The first byte
 * picks the parser; the rest is the token text. Besides "no crash", every
 * token that parses must format back to text that parses to the same
 * token (a parser and a formatter that disagree would let two texts name
 * one token, or none).
 */
#include "px_jointoken.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0] % 3;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;

	if (sel == 0) {
		px_jointoken t, t2;
		memset(&t, 0xA5, sizeof t);
		if (px_jointoken_parse(text, len, &t) != PX_OK)
			return 0;
		/* The parser promises NUL-terminated, valid fields. */
		if (strlen(t.tenant) > PX_JT_TENANT_MAX || strlen(t.addr) > PX_JT_ADDR_MAX ||
		    !px_tenant_name_valid(t.tenant))
			abort();
		char out[PX_JT_TEXT_MAX];
		if (px_jointoken_format(&t, out, sizeof out) != PX_OK)
			abort();
		memset(&t2, 0, sizeof t2);
		if (px_jointoken_parse(out, strlen(out), &t2) != PX_OK)
			abort();
		if (memcmp(t.hub_pk, t2.hub_pk, sizeof t.hub_pk) != 0 ||
		    memcmp(t.secret, t2.secret, sizeof t.secret) != 0 ||
		    t.expires_ms != t2.expires_ms || strcmp(t.tenant, t2.tenant) != 0 ||
		    strcmp(t.addr, t2.addr) != 0)
			abort();
	} else if (sel == 1) {
		uint8_t s[PX_JT_SECRET_BYTES], s2[PX_JT_SECRET_BYTES];
		if (px_viewertoken_parse(text, len, s) != PX_OK)
			return 0;
		char out[PX_VT_TEXT_MAX];
		if (px_viewertoken_format(s, out, sizeof out) != PX_OK)
			abort();
		if (px_viewertoken_parse(out, strlen(out), s2) != PX_OK ||
		    memcmp(s, s2, sizeof s) != 0)
			abort();
	} else {
		/* base64url: decode into a buffer of exactly the promised size. */
		size_t cap = len * 3 / 4 + 1;
		uint8_t *buf = malloc(cap);
		if (buf == NULL)
			return 0;
		long n = px_b64url_decode(text, len, buf, cap);
		if (n >= 0) {
			if ((size_t)n > cap)
				abort();
			char *enc = malloc(4 * ((size_t)n / 3 + 1) + 1);
			uint8_t *back = malloc((size_t)n + 1);
			if (enc != NULL && back != NULL) {
				size_t el = px_b64url_encode(buf, (size_t)n, enc);
				long m = px_b64url_decode(enc, el, back, (size_t)n + 1);
				if (m != n || memcmp(back, buf, (size_t)n) != 0)
					abort();
			}
			free(enc);
			free(back);
		}
		free(buf);
	}
	return 0;
}
