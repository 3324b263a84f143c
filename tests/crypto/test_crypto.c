/* Identities, key files, signatures and the box (src/crypto). */
#define _GNU_SOURCE
#include "pxt.h"
#include "px_crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* RFC 8032 section 7.1, tests 1 to 3: seed, public key, message, signature. */
static const struct {
	const char *seed, *pk, *msg, *sig;
} kat[] = {
	{"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	 "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
	 "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
	{"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	 "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
	 "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
	{"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	 "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
	 "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

static void
test_sign_kat(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
		uint8_t seed[PX_SEED_BYTES], pk[PX_PK_BYTES], sig[PX_SIG_BYTES], want[PX_SIG_BYTES];
		uint8_t msg[8];
		size_t mlen = strlen(kat[i].msg) / 2;
		assert_int_equal(px_hex_decode(kat[i].seed, seed, sizeof seed), PX_OK);
		assert_int_equal(px_hex_decode(kat[i].pk, pk, sizeof pk), PX_OK);
		assert_int_equal(px_hex_decode(kat[i].sig, want, sizeof want), PX_OK);
		assert_int_equal(px_hex_decode(kat[i].msg, msg, mlen), PX_OK);
		px_identity *id = NULL;
		assert_int_equal(px_identity_from_seed(&id, seed), PX_OK);
		assert_memory_equal(px_identity_pk(id), pk, PX_PK_BYTES);
		assert_int_equal(px_sign(id, msg, mlen, sig), PX_OK);
		assert_memory_equal(sig, want, PX_SIG_BYTES);
		assert_int_equal(px_verify(pk, msg, mlen, sig), PX_OK);
		/* The flipped-byte twins: signature, message, key. */
		for (size_t b = 0; b < PX_SIG_BYTES; b++) {
			sig[b] ^= 0x01;
			assert_int_equal(px_verify(pk, msg, mlen, sig), PX_EAUTH);
			sig[b] ^= 0x01;
		}
		if (mlen > 0) {
			msg[0] ^= 0x80;
			assert_int_equal(px_verify(pk, msg, mlen, sig), PX_EAUTH);
			msg[0] ^= 0x80;
		}
		pk[5] ^= 0x10;
		assert_int_equal(px_verify(pk, msg, mlen, sig), PX_EAUTH);
		px_identity_free(id);
	}
}

static void
test_hex(void **state)
{
	(void)state;
	uint8_t b[4] = {0xde, 0xad, 0x00, 0x7f}, c[4];
	char h[9];
	px_hex_encode(b, 4, h);
	assert_string_equal(h, "dead007f");
	assert_int_equal(px_hex_decode("DEAD007F", c, 4), PX_OK);
	assert_memory_equal(b, c, 4);
	assert_int_equal(px_hex_decode("dead007", c, 4), PX_EINVAL);
	assert_int_equal(px_hex_decode("dead007f00", c, 4), PX_EINVAL);
	assert_int_equal(px_hex_decode("deadzz7f", c, 4), PX_EINVAL);
	assert_int_equal(px_hex_decode("", c, 0), PX_OK);
}

static char *
path_in(const char *dir, const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void
check_same(const px_identity *a, const px_identity *b)
{
	assert_memory_equal(px_identity_pk(a), px_identity_pk(b), PX_PK_BYTES);
	/* Same secret: a signature by b verifies under a's key. */
	uint8_t sig[PX_SIG_BYTES];
	assert_int_equal(px_sign(b, "x", 1, sig), PX_OK);
	assert_int_equal(px_verify(px_identity_pk(a), "x", 1, sig), PX_OK);
}

static void
test_keyfile_plain(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("crypto");
	char *path = path_in(dir, "node.key");
	px_identity *id = NULL, *back = NULL;
	assert_int_equal(px_identity_generate(&id), PX_OK);
	assert_int_equal(px_identity_save(id, path, NULL), PX_OK);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Never overwrites an existing identity. */
	assert_int_equal(px_identity_save(id, path, NULL), PX_EEXISTS);
	assert_int_equal(px_identity_load(&back, path, NULL), PX_OK);
	check_same(id, back);
	px_identity_free(back);
	/* A passphrase given for a plain file is not needed and not an error. */
	assert_int_equal(px_identity_load(&back, path, "unused"), PX_OK);
	px_identity_free(back);
	uint8_t pk[PX_PK_BYTES];
	assert_int_equal(px_identity_load_pk(path, pk), PX_OK);
	assert_memory_equal(pk, px_identity_pk(id), PX_PK_BYTES);
	/* No temp files left behind. */
	pxt_run r = pxt_sh("ls '%s' | wc -l", dir);
	assert_int_equal(atoi(r.out), 2);
	pxt_run_free(&r);
	px_identity_free(id);
	free(path);
	pxt_tmpdir_free(dir);
}

static void
test_keyfile_sealed(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("crypto");
	char *path = path_in(dir, "hub.key");
	px_identity *id = NULL, *back = NULL;
	assert_int_equal(px_identity_generate(&id), PX_OK);
	assert_int_equal(px_identity_save(id, path, "correct horse"), PX_OK);
	/* The secret key must not appear in clear in the sealed file. */
	assert_false(pxt_file_contains(path, px_identity_pk(id), PX_PK_BYTES));
	assert_int_equal(px_identity_load(&back, path, "correct horse"), PX_OK);
	check_same(id, back);
	px_identity_free(back);
	back = NULL;
	assert_int_equal(px_identity_load(&back, path, "correct horsf"), PX_EPASS);
	assert_null(back);
	assert_int_equal(px_identity_load(&back, path, NULL), PX_EPASS);
	assert_int_equal(px_identity_load(&back, path, ""), PX_EPASS);
	px_identity_free(id);
	free(path);
	pxt_tmpdir_free(dir);
}

static void
test_keyfile_errors(void **state)
{
	(void)state;
	char *dir = pxt_tmpdir("crypto");
	char *path = path_in(dir, "k.key");
	px_identity *id = NULL, *back = NULL;
	assert_int_equal(px_identity_load(&back, path, NULL), PX_ENOTFOUND);
	uint8_t pk[PX_PK_BYTES];
	assert_int_equal(px_identity_load_pk(path, pk), PX_ENOTFOUND);

	assert_int_equal(px_identity_generate(&id), PX_OK);
	assert_int_equal(px_identity_save(id, path, NULL), PX_OK);
	/* Group- or other-readable secret: refused. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(px_identity_load(&back, path, NULL), PX_EKEYPERM);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(px_identity_load(&back, path, NULL), PX_EKEYPERM);
	assert_int_equal(chmod(path, 0600), 0);

	/* Truncated, extended, unknown magic, flipped byte: corrupt. */
	size_t len = 0;
	char *data = pxt_read_file(path, &len);
	assert_non_null(data);
	assert_int_equal(len, 69);
	char *bad = path_in(dir, "bad.key");
	struct {
		size_t len;
		int flip; /* byte to flip, -1 none */
	} cases[] = {{68, -1}, {10, -1}, {0, -1}, {69, 0}, {69, 5}, {69, 40}, {69, 68}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char copy[80];
		memcpy(copy, data, len);
		if (cases[i].flip >= 0)
			copy[cases[i].flip] ^= 0x04;
		unlink(bad);
		assert_true(pxt_write_file(bad, copy, cases[i].len));
		assert_int_equal(chmod(bad, 0600), 0);
		assert_int_equal(px_identity_load(&back, bad, NULL), PX_ECORRUPT);
		assert_null(back);
	}
	char big[80] = {0};
	memcpy(big, data, len);
	unlink(bad);
	assert_true(pxt_write_file(bad, big, 70));
	assert_int_equal(chmod(bad, 0600), 0);
	assert_int_equal(px_identity_load(&back, bad, NULL), PX_ECORRUPT);
	/* A damaged public key file. */
	char *badpub = path_in(dir, "bad.key.pub");
	assert_true(pxt_write_file(badpub, "zz\n", 3));
	assert_int_equal(px_identity_load_pk(bad, pk), PX_ECORRUPT);
	free(badpub);
	free(data);
	free(bad);
	px_identity_free(id);
	free(path);
	pxt_tmpdir_free(dir);
}

static void
test_box(void **state)
{
	(void)state;
	px_identity *a = NULL, *b = NULL, *c = NULL;
	assert_int_equal(px_identity_generate(&a), PX_OK);
	assert_int_equal(px_identity_generate(&b), PX_OK);
	assert_int_equal(px_identity_generate(&c), PX_OK);
	uint8_t kab[PX_BOX_KEY_BYTES], kba[PX_BOX_KEY_BYTES], kcb[PX_BOX_KEY_BYTES];
	assert_int_equal(px_box_precompute(a, px_identity_pk(b), kab), PX_OK);
	assert_int_equal(px_box_precompute(b, px_identity_pk(a), kba), PX_OK);
	assert_int_equal(px_box_precompute(c, px_identity_pk(b), kcb), PX_OK);
	assert_memory_equal(kab, kba, sizeof kab);
	uint8_t nonce[PX_BOX_NONCE_BYTES];
	px_random(nonce, sizeof nonce);
	const char msg[] = "rencontre du 14 mars";
	uint8_t boxed[sizeof msg + PX_BOX_MAC_BYTES], out[sizeof msg];
	px_box_seal(kab, nonce, msg, sizeof msg, boxed);
	assert_int_equal(px_box_open(kba, nonce, boxed, sizeof boxed, out), PX_OK);
	assert_memory_equal(out, msg, sizeof msg);
	/* Another identity's key, a flipped byte, a short box: refused. */
	assert_int_equal(px_box_open(kcb, nonce, boxed, sizeof boxed, out), PX_EAUTH);
	for (size_t i = 0; i < sizeof boxed; i++) {
		boxed[i] ^= 0x20;
		assert_int_equal(px_box_open(kba, nonce, boxed, sizeof boxed, out), PX_EAUTH);
		boxed[i] ^= 0x20;
	}
	assert_int_equal(px_box_open(kba, nonce, boxed, 3, out), PX_EAUTH);
	/* The same key with its sign bit flipped maps to the same X25519
	 * key; the box key must still differ. */
	uint8_t flipped[PX_PK_BYTES], kf[PX_BOX_KEY_BYTES];
	memcpy(flipped, px_identity_pk(a), PX_PK_BYTES);
	flipped[31] ^= 0x80;
	if (px_box_precompute(b, flipped, kf) == PX_OK)
		assert_int_equal(px_box_open(kf, nonce, boxed, sizeof boxed, out), PX_EAUTH);
	/* A public key that is not a curve point. */
	uint8_t junk[PX_PK_BYTES];
	memset(junk, 0, sizeof junk);
	assert_int_equal(px_box_precompute(a, junk, kab), PX_EAUTH);
	px_identity_free(a);
	px_identity_free(b);
	px_identity_free(c);
}

/* SipHash-2-4, the reference vector of the SipHash paper (appendix A): key
 * 00..0f, message 00..0e, output a129ca6149be45e5; and its twins. */
static void
test_hash64_kat(void **state)
{
	(void)state;
	uint8_t key[PX_HASH64_KEY_BYTES], msg[15];
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)i;
	assert_int_equal(px_hash64(key, msg, sizeof msg), 0xa129ca6149be45e5ull);
	msg[3] ^= 0x01;
	assert_int_not_equal(px_hash64(key, msg, sizeof msg), 0xa129ca6149be45e5ull);
	msg[3] ^= 0x01;
	key[15] ^= 0x80;
	assert_int_not_equal(px_hash64(key, msg, sizeof msg), 0xa129ca6149be45e5ull);
}

int
main(void)
{
	if (px_crypto_init() != PX_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_kat),      cmocka_unit_test(test_hex),
		cmocka_unit_test(test_keyfile_plain), cmocka_unit_test(test_keyfile_sealed),
		cmocka_unit_test(test_keyfile_errors), cmocka_unit_test(test_box),
		cmocka_unit_test(test_hash64_kat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
