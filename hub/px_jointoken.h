/*
 * px_jointoken.h - the text forms of the hub's tokens, as pure functions
 * (no I/O, no globals) so they can be fuzzed and used by node and hub.
 *
 * Join token (one-time, printed by `praxis-hub tenant add`):
 *   "pxj1." base64url-without-padding( payload )
 *   payload = 0x01 (format)
 *           | hub Ed25519 public key (32)
 *           | single-use secret (32)
 *           | expiry, unix milliseconds, big-endian int64 (8)
 *           | tenant length (1) | tenant bytes (1..64, [A-Za-z0-9._-])
 *           | address length (1) | address bytes (1..200, printable ASCII)
 *           | check (2): Fletcher-style sum of everything before, for typos
 * Viewer token (printed by `praxis-hub viewer add`):
 *   "pxv1." base64url-without-padding( 32-byte secret )
 * The hub keeps only a hash of each secret.
 */
#ifndef PX_JOINTOKEN_H
#define PX_JOINTOKEN_H

#include "px.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PX_JT_KEY_BYTES 32
#define PX_JT_SECRET_BYTES 32
#define PX_JT_TENANT_MAX 64
#define PX_JT_ADDR_MAX 200
#define PX_JT_TEXT_MAX 512 /* room for the longest token + NUL */
#define PX_VT_TEXT_MAX 64

typedef struct px_jointoken {
	uint8_t hub_pk[PX_JT_KEY_BYTES];
	uint8_t secret[PX_JT_SECRET_BYTES];
	int64_t expires_ms;
	char tenant[PX_JT_TENANT_MAX + 1];
	char addr[PX_JT_ADDR_MAX + 1];
} px_jointoken;

/* Writes the text form into out (size >= PX_JT_TEXT_MAX).
 * PX_EINVAL if the tenant or address is empty, too long or has bad bytes. */
px_err px_jointoken_format(const px_jointoken *t, char *out, size_t size) PX_NODISCARD;
/* Parses len bytes of text (no NUL needed; surrounding spaces allowed).
 * PX_EINVAL on anything malformed; *out is untouched then. */
px_err px_jointoken_parse(const char *text, size_t len, px_jointoken *out) PX_NODISCARD;

/* Viewer token: 32-byte secret <-> "pxv1.…" (out size >= PX_VT_TEXT_MAX). */
px_err px_viewertoken_format(const uint8_t secret[PX_JT_SECRET_BYTES], char *out,
                             size_t size) PX_NODISCARD;
px_err px_viewertoken_parse(const char *text, size_t len,
                            uint8_t secret[PX_JT_SECRET_BYTES]) PX_NODISCARD;

/* True when s is a valid tenant name (1..64 of [A-Za-z0-9._-]). */
bool px_tenant_name_valid(const char *s);

/* base64url without padding. encode: out needs 4*ceil(n/3)+1 bytes.
 * decode: returns the decoded length, or -1 on a bad character/length. */
size_t px_b64url_encode(const uint8_t *in, size_t n, char *out);
long px_b64url_decode(const char *in, size_t n, uint8_t *out, size_t outcap);

#ifdef __cplusplus
}
#endif
#endif
