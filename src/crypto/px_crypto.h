/*
 * px_crypto.h - identities and signatures (libsodium).
 *
 * Only this module includes sodium.h. Call px_crypto_init() once before
 * anything else (it is safe to call again).
 *
 * Key files: "<path>" holds the secret key, written 0600, either plain
 * ("PXSK1" + 64-byte Ed25519 secret key) or sealed with a passphrase
 * ("PXSS1" + salt + nonce + crypto_secretbox of the key, key derived with
 * crypto_pwhash, interactive limits). "<path>.pub" holds the 32-byte
 * public key as hex text. A secret file readable by group or others is
 * refused with PX_EKEYPERM; a truncated or unknown file is PX_ECORRUPT; a
 * missing one PX_ENOTFOUND; a wrong passphrase PX_EPASS.
 */
#ifndef PX_CRYPTO_H
#define PX_CRYPTO_H

#include "px.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PX_PK_BYTES 32   /* Ed25519 public key */
#define PX_SK_BYTES 64   /* Ed25519 secret key (seed + pk) */
#define PX_SIG_BYTES 64
#define PX_PK_HEX 65     /* 64 hex chars + NUL */

/* An Ed25519 identity; the secret half lives in sodium_malloc'd memory,
 * wiped and freed by px_identity_free. */
typedef struct px_identity px_identity;

px_err px_crypto_init(void) PX_NODISCARD;

/* New random identity. */
px_err px_identity_generate(px_identity **out) PX_NODISCARD;
/* Writes path (0600, atomically: temp file + fsync + rename) and path.pub.
 * passphrase NULL or "" writes a plain key file. PX_EEXISTS if path exists. */
px_err px_identity_save(const px_identity *id, const char *path, const char *passphrase) PX_NODISCARD;
/* passphrase may be NULL for a plain file; PX_EPASS if the file is sealed
 * and passphrase is NULL or wrong. */
px_err px_identity_load(px_identity **out, const char *path, const char *passphrase) PX_NODISCARD;
void px_identity_free(px_identity *id); /* NULL does nothing */
/* Identity from a 32-byte Ed25519 seed (known-answer tests, deterministic
 * fixtures). The seed is copied; the caller wipes its own copy. */
#define PX_SEED_BYTES 32
px_err px_identity_from_seed(px_identity **out, const uint8_t seed[PX_SEED_BYTES]) PX_NODISCARD;
/* Reads the public key of "<path>.pub" (hex text) into pk. PX_ENOTFOUND,
 * PX_ECORRUPT. Needs no passphrase. */
px_err px_identity_load_pk(const char *path, uint8_t pk[PX_PK_BYTES]) PX_NODISCARD;
/* Borrowed pointer valid while id lives. */
const uint8_t *px_identity_pk(const px_identity *id);

px_err px_sign(const px_identity *id, const void *msg, size_t len,
               uint8_t sig[PX_SIG_BYTES]) PX_NODISCARD;
/* PX_OK if sig is a valid signature of msg by pk, PX_EAUTH otherwise. */
px_err px_verify(const uint8_t pk[PX_PK_BYTES], const void *msg, size_t len,
                 const uint8_t sig[PX_SIG_BYTES]) PX_NODISCARD;

/* Hex helpers. px_hex_decode: PX_EINVAL unless hex is exactly 2*len chars. */
void px_hex_encode(const uint8_t *bin, size_t len, char *hex /* 2*len+1 */);
px_err px_hex_decode(const char *hex, uint8_t *bin, size_t len) PX_NODISCARD;

void px_random(void *buf, size_t len);
uint64_t px_random_u64(void);
/* Constant-time comparison: true when equal. */
bool px_memeq(const void *a, const void *b, size_t len);
/* Wipes len bytes. */
void px_wipe(void *buf, size_t len);
/* Guarded memory for secrets (sodium_malloc: guard pages, wiped when
 * freed). NULL on failure; px_secure_free(NULL) does nothing. */
void *px_secure_alloc(size_t len);
void px_secure_free(void *p);
/* Generic hash (BLAKE2b) of len bytes into out (16..64 bytes). */
void px_hash(const void *msg, size_t len, uint8_t *out, size_t outlen);
/* Keyed 64-bit hash (SipHash-2-4) for hash tables whose keys a peer
 * chooses: without the secret key it cannot aim its keys at one bucket. */
#define PX_HASH64_KEY_BYTES 16
uint64_t px_hash64(const uint8_t key[PX_HASH64_KEY_BYTES], const void *msg, size_t len);

/*
 * Session keys for the RPC box: X25519 keys derived from the Ed25519 pair,
 * and a precomputed crypto_box shared key per peer (cache it: computing it
 * costs ~50x a box). The key is BLAKE2b(crypto_box_beforenm shared secret
 * || the two Ed25519 public keys in byte order), so it is bound to the
 * exact Ed25519 keys (the X25519 conversion alone drops their sign bit).
 * Sealing is crypto_box_easy_afternm with that key.
 */
#define PX_BOX_KEY_BYTES 32
#define PX_BOX_NONCE_BYTES 24
#define PX_BOX_MAC_BYTES 16
px_err px_box_precompute(const px_identity *self, const uint8_t peer_pk[PX_PK_BYTES],
                         uint8_t key[PX_BOX_KEY_BYTES]) PX_NODISCARD;
/* out must hold len + PX_BOX_MAC_BYTES. */
void px_box_seal(const uint8_t key[PX_BOX_KEY_BYTES], const uint8_t nonce[PX_BOX_NONCE_BYTES],
                 const void *in, size_t len, uint8_t *out);
/* out must hold len - PX_BOX_MAC_BYTES; PX_EAUTH when the MAC is wrong. */
px_err px_box_open(const uint8_t key[PX_BOX_KEY_BYTES], const uint8_t nonce[PX_BOX_NONCE_BYTES],
                   const void *in, size_t len, uint8_t *out) PX_NODISCARD;

#ifdef __cplusplus
}
#endif
#endif /* PX_CRYPTO_H */
