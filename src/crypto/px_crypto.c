/*
 * px_crypto.c - identities, key files, signatures and the RPC box, over
 * libsodium. The only file of Praxis that includes sodium.h.
 */
#define _GNU_SOURCE
#include "px_crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

/* The whole struct lives in sodium_malloc memory (guard pages, mlock'd when
 * the system allows, wiped by sodium_free), so the secret halves never sit
 * in ordinary heap pages. The X25519 secret is derived once here because
 * every precomputation needs it. */
_Static_assert(PX_PK_BYTES == crypto_sign_PUBLICKEYBYTES, "pk size");
_Static_assert(PX_SK_BYTES == crypto_sign_SECRETKEYBYTES, "sk size");
_Static_assert(PX_SIG_BYTES == crypto_sign_BYTES, "sig size");
_Static_assert(PX_SEED_BYTES == crypto_sign_SEEDBYTES, "seed size");
_Static_assert(PX_BOX_KEY_BYTES == crypto_box_BEFORENMBYTES, "box key size");
_Static_assert(PX_BOX_NONCE_BYTES == crypto_box_NONCEBYTES, "box nonce size");
_Static_assert(PX_BOX_MAC_BYTES == crypto_box_MACBYTES, "box mac size");
_Static_assert(PX_HASH64_KEY_BYTES == crypto_shorthash_siphash24_KEYBYTES, "hash64 key size");
_Static_assert(crypto_shorthash_siphash24_BYTES == 8, "hash64 size");

struct px_identity {
	uint8_t pk[PX_PK_BYTES];
	uint8_t sk[PX_SK_BYTES];
	uint8_t xsk[crypto_scalarmult_curve25519_BYTES];
};

#define CRYPTO_MAGIC_LEN 5
static const char crypto_magic_plain[CRYPTO_MAGIC_LEN] = {'P', 'X', 'S', 'K', '1'};
static const char crypto_magic_sealed[CRYPTO_MAGIC_LEN] = {'P', 'X', 'S', 'S', '1'};
#define CRYPTO_PLAIN_LEN (CRYPTO_MAGIC_LEN + PX_SK_BYTES)
#define CRYPTO_SEALED_LEN                                                                 \
	(CRYPTO_MAGIC_LEN + crypto_pwhash_SALTBYTES + crypto_secretbox_NONCEBYTES +       \
	 crypto_secretbox_MACBYTES + PX_SK_BYTES)

px_err
px_crypto_init(void)
{
	/* sodium_init returns 1 when already initialized: not an error. */
	if (sodium_init() < 0)
		return PX_EINTERNAL;
	return PX_OK;
}

static px_identity *
crypto_identity_alloc(void)
{
	px_identity *id = sodium_malloc(sizeof *id);
	if (id != NULL)
		sodium_memzero(id, sizeof *id);
	return id;
}

/* Fills pk and xsk from sk; PX_ECORRUPT when sk's public half does not
 * match its seed (a damaged key file). */
static px_err
crypto_identity_finish(px_identity *id)
{
	uint8_t pk[PX_PK_BYTES];
	if (crypto_sign_ed25519_sk_to_pk(pk, id->sk) != 0)
		return PX_ECORRUPT;
	/* The stored sk is seed || pk: recompute the pair from the seed so a
	 * flipped byte anywhere in the file is caught. */
	uint8_t seed[crypto_sign_SEEDBYTES];
	uint8_t sk2[PX_SK_BYTES];
	uint8_t pk2[PX_PK_BYTES];
	crypto_sign_ed25519_sk_to_seed(seed, id->sk);
	crypto_sign_seed_keypair(pk2, sk2, seed);
	bool same = sodium_memcmp(pk2, pk, PX_PK_BYTES) == 0;
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(sk2, sizeof sk2);
	if (!same)
		return PX_ECORRUPT;
	memcpy(id->pk, pk, PX_PK_BYTES);
	if (crypto_sign_ed25519_sk_to_curve25519(id->xsk, id->sk) != 0)
		return PX_ECORRUPT;
	return PX_OK;
}

px_err
px_identity_generate(px_identity **out)
{
	*out = NULL;
	px_identity *id = crypto_identity_alloc();
	if (id == NULL)
		return PX_ENOMEM;
	crypto_sign_keypair(id->pk, id->sk);
	px_err rv = crypto_identity_finish(id);
	if (rv != PX_OK) {
		sodium_free(id);
		return PX_EINTERNAL;
	}
	*out = id;
	return PX_OK;
}

px_err
px_identity_from_seed(px_identity **out, const uint8_t seed[PX_SEED_BYTES])
{
	*out = NULL;
	px_identity *id = crypto_identity_alloc();
	if (id == NULL)
		return PX_ENOMEM;
	crypto_sign_seed_keypair(id->pk, id->sk, seed);
	px_err rv = crypto_identity_finish(id);
	if (rv != PX_OK) {
		sodium_free(id);
		return PX_EINTERNAL;
	}
	*out = id;
	return PX_OK;
}

void
px_identity_free(px_identity *id)
{
	if (id != NULL)
		sodium_free(id); /* wipes before unmapping */
}

const uint8_t *
px_identity_pk(const px_identity *id)
{
	return id->pk;
}

/* ---- key files ---- */

/* fsyncs the directory holding path so a rename or link survives a crash. */
static void
crypto_sync_dir(const char *path)
{
	char buf[PATH_MAX];
	if (!px_strlcpy(buf, path, sizeof buf))
		return;
	int dfd = open(dirname(buf), O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
}

/* Writes len bytes to a fresh temp file next to path (mode 0600), fsyncs
 * it, then publishes it: with exclusive, link(2) refuses an existing path
 * (PX_EEXISTS) without a window where a half-written file is visible;
 * otherwise rename(2) replaces it. */
static px_err
crypto_write_atomic(const char *path, const void *data, size_t len, bool exclusive)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp)
		return PX_EINVAL;
	int fd = mkstemp(tmp); /* mkstemp creates with 0600 */
	if (fd < 0)
		return errno == ENOENT ? PX_ENOTFOUND : (errno == EACCES ? PX_EPERM : PX_EIO);
	px_err rv = PX_EIO;
	const uint8_t *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fchmod(fd, 0600) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (exclusive) {
		if (link(tmp, path) != 0) {
			rv = errno == EEXIST ? PX_EEXISTS : PX_EIO;
			goto fail;
		}
		unlink(tmp);
	} else if (rename(tmp, path) != 0) {
		goto fail;
	}
	crypto_sync_dir(path);
	return PX_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rv;
}

px_err
px_identity_save(const px_identity *id, const char *path, const char *passphrase)
{
	px_err rv;
	/* The buffer holds the secret key (plain) or the pwhash-derived key:
	 * keep it in guarded memory and wipe it on every path. */
	uint8_t *buf = sodium_malloc(CRYPTO_SEALED_LEN + crypto_secretbox_KEYBYTES);
	if (buf == NULL)
		return PX_ENOMEM;
	size_t len;
	if (passphrase == NULL || passphrase[0] == '\0') {
		memcpy(buf, crypto_magic_plain, CRYPTO_MAGIC_LEN);
		memcpy(buf + CRYPTO_MAGIC_LEN, id->sk, PX_SK_BYTES);
		len = CRYPTO_PLAIN_LEN;
	} else {
		uint8_t *salt = buf + CRYPTO_MAGIC_LEN;
		uint8_t *nonce = salt + crypto_pwhash_SALTBYTES;
		uint8_t *box = nonce + crypto_secretbox_NONCEBYTES;
		uint8_t *key = buf + CRYPTO_SEALED_LEN;
		memcpy(buf, crypto_magic_sealed, CRYPTO_MAGIC_LEN);
		randombytes_buf(salt, crypto_pwhash_SALTBYTES);
		randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
		if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, passphrase, strlen(passphrase),
		                  salt, crypto_pwhash_OPSLIMIT_INTERACTIVE,
		                  crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
			rv = PX_ENOMEM; /* pwhash fails only when it cannot get its memory */
			goto out;
		}
		crypto_secretbox_easy(box, id->sk, PX_SK_BYTES, nonce, key);
		len = CRYPTO_SEALED_LEN;
	}
	if ((rv = crypto_write_atomic(path, buf, len, true)) != PX_OK)
		goto out;

	char pubpath[PATH_MAX];
	char hex[PX_PK_HEX + 1];
	if (snprintf(pubpath, sizeof pubpath, "%s.pub", path) >= (int)sizeof pubpath) {
		rv = PX_EINVAL;
		goto out;
	}
	px_hex_encode(id->pk, PX_PK_BYTES, hex);
	hex[PX_PK_HEX - 1] = '\n';
	hex[PX_PK_HEX] = '\0';
	rv = crypto_write_atomic(pubpath, hex, PX_PK_HEX, false);
	if (rv == PX_OK)
		chmod(pubpath, 0644); /* the public half is meant to be shared */
out:
	sodium_free(buf);
	return rv;
}

/* Reads at most cap bytes of path into buf. */
static px_err
crypto_read_small(const char *path, uint8_t *buf, size_t cap, size_t *len, bool secret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return PX_ENOTFOUND;
		if (errno == EACCES)
			return PX_EPERM;
		return PX_EIO;
	}
	px_err rv = PX_EIO;
	struct stat st;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		rv = PX_ECORRUPT;
		goto out;
	}
	/* Refuse before reading a byte: a key others could read is already
	 * compromised, and using it silently would hide that. */
	if (secret && (st.st_mode & 077) != 0) {
		rv = PX_EKEYPERM;
		goto out;
	}
	size_t n = 0;
	for (;;) {
		if (n == cap) {
			/* Larger than any valid file: one more byte means corrupt. */
			uint8_t extra;
			ssize_t r = read(fd, &extra, 1);
			if (r > 0) {
				rv = PX_ECORRUPT;
				goto out;
			}
			break;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	rv = PX_OK;
out:
	close(fd);
	return rv;
}

px_err
px_identity_load(px_identity **out, const char *path, const char *passphrase)
{
	*out = NULL;
	px_err rv;
	uint8_t *buf = sodium_malloc(CRYPTO_SEALED_LEN + crypto_secretbox_KEYBYTES);
	if (buf == NULL)
		return PX_ENOMEM;
	px_identity *id = crypto_identity_alloc();
	if (id == NULL) {
		rv = PX_ENOMEM;
		goto fail;
	}
	size_t len = 0;
	if ((rv = crypto_read_small(path, buf, CRYPTO_SEALED_LEN, &len, true)) != PX_OK)
		goto fail;
	if (len == CRYPTO_PLAIN_LEN && memcmp(buf, crypto_magic_plain, CRYPTO_MAGIC_LEN) == 0) {
		memcpy(id->sk, buf + CRYPTO_MAGIC_LEN, PX_SK_BYTES);
	} else if (len == CRYPTO_SEALED_LEN &&
	           memcmp(buf, crypto_magic_sealed, CRYPTO_MAGIC_LEN) == 0) {
		if (passphrase == NULL || passphrase[0] == '\0') {
			rv = PX_EPASS;
			goto fail;
		}
		const uint8_t *salt = buf + CRYPTO_MAGIC_LEN;
		const uint8_t *nonce = salt + crypto_pwhash_SALTBYTES;
		const uint8_t *box = nonce + crypto_secretbox_NONCEBYTES;
		uint8_t *key = buf + CRYPTO_SEALED_LEN;
		if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, passphrase, strlen(passphrase),
		                  salt, crypto_pwhash_OPSLIMIT_INTERACTIVE,
		                  crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
			rv = PX_ENOMEM;
			goto fail;
		}
		/* A wrong passphrase and a damaged sealed file look the same to
		 * the MAC; the passphrase is by far the likelier cause. */
		if (crypto_secretbox_open_easy(id->sk, box,
		                               crypto_secretbox_MACBYTES + PX_SK_BYTES, nonce,
		                               key) != 0) {
			rv = PX_EPASS;
			goto fail;
		}
	} else {
		rv = PX_ECORRUPT;
		goto fail;
	}
	if ((rv = crypto_identity_finish(id)) != PX_OK)
		goto fail;
	sodium_free(buf);
	*out = id;
	return PX_OK;
fail:
	sodium_free(buf);
	px_identity_free(id);
	return rv;
}

px_err
px_identity_load_pk(const char *path, uint8_t pk[PX_PK_BYTES])
{
	char pubpath[PATH_MAX];
	if (snprintf(pubpath, sizeof pubpath, "%s.pub", path) >= (int)sizeof pubpath)
		return PX_EINVAL;
	uint8_t buf[PX_PK_HEX + 2];
	size_t len = 0;
	px_err rv = crypto_read_small(pubpath, buf, sizeof buf - 1, &len, false);
	if (rv != PX_OK)
		return rv;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
		len--;
	buf[len] = '\0';
	if (px_hex_decode((const char *)buf, pk, PX_PK_BYTES) != PX_OK)
		return PX_ECORRUPT;
	return PX_OK;
}

/* ---- signatures ---- */

px_err
px_sign(const px_identity *id, const void *msg, size_t len, uint8_t sig[PX_SIG_BYTES])
{
	if (crypto_sign_detached(sig, NULL, msg, len, id->sk) != 0)
		return PX_EINTERNAL;
	return PX_OK;
}

px_err
px_verify(const uint8_t pk[PX_PK_BYTES], const void *msg, size_t len,
          const uint8_t sig[PX_SIG_BYTES])
{
	if (crypto_sign_verify_detached(sig, msg, len, pk) != 0)
		return PX_EAUTH;
	return PX_OK;
}

/* ---- helpers ---- */

void
px_hex_encode(const uint8_t *bin, size_t len, char *hex)
{
	sodium_bin2hex(hex, 2 * len + 1, bin, len);
}

px_err
px_hex_decode(const char *hex, uint8_t *bin, size_t len)
{
	if (hex == NULL || strlen(hex) != 2 * len)
		return PX_EINVAL;
	size_t got = 0;
	const char *end = NULL;
	if (sodium_hex2bin(bin, len, hex, 2 * len, NULL, &got, &end) != 0 || got != len ||
	    end != hex + 2 * len)
		return PX_EINVAL;
	return PX_OK;
}

void
px_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

uint64_t
px_random_u64(void)
{
	uint64_t v;
	randombytes_buf(&v, sizeof v);
	return v;
}

bool
px_memeq(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

void
px_wipe(void *buf, size_t len)
{
	sodium_memzero(buf, len);
}

void *
px_secure_alloc(size_t len)
{
	return sodium_malloc(len);
}

void
px_secure_free(void *p)
{
	if (p != NULL)
		sodium_free(p);
}

void
px_hash(const void *msg, size_t len, uint8_t *out, size_t outlen)
{
	crypto_generichash(out, outlen, msg, len, NULL, 0);
}

uint64_t
px_hash64(const uint8_t key[PX_HASH64_KEY_BYTES], const void *msg, size_t len)
{
	uint8_t out[crypto_shorthash_siphash24_BYTES];
	crypto_shorthash_siphash24(out, msg, len, key);
	uint64_t h = 0;
	for (int i = 7; i >= 0; i--)
		h = (h << 8) | out[i];
	return h;
}

/* ---- RPC box ---- */

px_err
px_box_precompute(const px_identity *self, const uint8_t peer_pk[PX_PK_BYTES],
                  uint8_t key[PX_BOX_KEY_BYTES])
{
	uint8_t xpk[crypto_scalarmult_curve25519_BYTES];
	/* Fails for points that are not on the curve or of small order: a
	 * forged or damaged public key, so an authentication failure. */
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, peer_pk) != 0)
		return PX_EAUTH;
	uint8_t shared[crypto_box_BEFORENMBYTES];
	if (crypto_box_beforenm(shared, xpk, self->xsk) != 0)
		return PX_EAUTH;
	/* The Ed25519 -> X25519 map ignores the sign bit of the Ed25519 key,
	 * so two public keys give the same X25519 key: a caller could claim
	 * its key with the top bit flipped and still open the box. Hashing
	 * both Ed25519 keys (in a fixed order, so both sides agree) into the
	 * box key binds the box to the exact identities. */
	const uint8_t *lo = self->pk, *hi = peer_pk;
	if (memcmp(lo, hi, PX_PK_BYTES) > 0) {
		lo = peer_pk;
		hi = self->pk;
	}
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, PX_BOX_KEY_BYTES);
	crypto_generichash_update(&st, shared, sizeof shared);
	crypto_generichash_update(&st, lo, PX_PK_BYTES);
	crypto_generichash_update(&st, hi, PX_PK_BYTES);
	crypto_generichash_final(&st, key, PX_BOX_KEY_BYTES);
	sodium_memzero(shared, sizeof shared);
	sodium_memzero(&st, sizeof st);
	return PX_OK;
}

void
px_box_seal(const uint8_t key[PX_BOX_KEY_BYTES], const uint8_t nonce[PX_BOX_NONCE_BYTES],
            const void *in, size_t len, uint8_t *out)
{
	crypto_box_easy_afternm(out, in, len, nonce, key);
}

px_err
px_box_open(const uint8_t key[PX_BOX_KEY_BYTES], const uint8_t nonce[PX_BOX_NONCE_BYTES],
            const void *in, size_t len, uint8_t *out)
{
	if (len < PX_BOX_MAC_BYTES)
		return PX_EAUTH;
	if (crypto_box_open_easy_afternm(out, in, len, nonce, key) != 0)
		return PX_EAUTH;
	return PX_OK;
}
