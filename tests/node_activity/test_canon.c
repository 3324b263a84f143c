/* Canonical encoding of engagement protocols (node/canon.c): a known-answer
 * vector written byte by byte from the format in canon.h, signatures by two
 * deterministic keys, and flipped-byte twins that must be rejected. */
#define _GNU_SOURCE
#include "pxt.h"
#include "canon.h"

#include <stdlib.h>
#include <string.h>

/* A small protocol: member 1, org 2, community 3, "A" "B" 4/5 "C" "D",
 * clauses version "v1", one clause (member, "T"). Strings are malloc'd so
 * protobuf_c_message_free_unpacked can free it. */
static Praxis__Protocol *
canon_fixture(void)
{
	Praxis__Protocol *p = malloc(sizeof *p);
	praxis__protocol__init(p);
	p->id = 99; /* not covered */
	p->member_id = 1;
	p->org_id = 2;
	p->community_id = 3;
	p->family_name = strdup("A");
	p->first_name = strdup("B");
	p->birth_day = 4;
	p->birth_month = 5;
	p->org_name = strdup("C");
	p->director_name = strdup("D");
	p->clauses_version = strdup("v1");
	p->n_clauses = 1;
	p->clauses = malloc(sizeof *p->clauses);
	p->clauses[0] = malloc(sizeof(Praxis__Clause));
	praxis__clause__init(p->clauses[0]);
	p->clauses[0]->party = strdup("member");
	p->clauses[0]->text = strdup("T");
	p->status = PRAXIS__PROTOCOL_STATUS__PROTOCOL_DRAFT;
	return p;
}

static const uint8_t canon_expected[] = {
	'P', 'X', 'P', 'R', 'O', 'T', 0x00, 0x01, /* tag */
	0, 0, 0, 0, 0, 0, 0, 1,                   /* member_id */
	0, 0, 0, 0, 0, 0, 0, 2,                   /* org_id */
	0, 0, 0, 0, 0, 0, 0, 3,                   /* community_id */
	0, 0, 0, 1, 'A',                          /* family_name */
	0, 0, 0, 1, 'B',                          /* first_name */
	0, 0, 0, 4,                               /* birth_day */
	0, 0, 0, 5,                               /* birth_month */
	0, 0, 0, 1, 'C',                          /* org_name */
	0, 0, 0, 1, 'D',                          /* director_name */
	0, 0, 0, 2, 'v', '1',                     /* clauses_version */
	0, 0, 0, 1,                               /* one clause */
	0, 0, 0, 6, 'm', 'e', 'm', 'b', 'e', 'r', /* party */
	0, 0, 0, 1, 'T',                          /* text */
};

static void
test_known_answer(void **state)
{
	(void)state;
	Praxis__Protocol *p = canon_fixture();
	uint8_t *buf = NULL;
	size_t len = 0;
	assert_int_equal(node_protocol_canon(p, &buf, &len), PX_OK);
	assert_int_equal(len, sizeof canon_expected);
	assert_memory_equal(buf, canon_expected, len);
	free(buf);

	/* The signed message adds the signer block. */
	assert_int_equal(node_protocol_signed_bytes(p, "member", "B A", 20250112, &buf, &len), PX_OK);
	static const uint8_t block[] = {'S', 'I', 'G', 'N', 'E', 'R', 0, 0, 0, 6, 'm', 'e', 'm', 'b', 'e', 'r',
	                                0, 0, 0, 3, 'B', ' ', 'A', 0x01, 0x34, 0xfe, 0x00};
	/* 20250112 = 0x0134fe00 */
	assert_int_equal(len, sizeof canon_expected + sizeof block);
	assert_memory_equal(buf, canon_expected, sizeof canon_expected);
	assert_memory_equal(buf + sizeof canon_expected, block, sizeof block);
	free(buf);
	assert_int_equal(node_protocol_signed_bytes(p, "boss", "X", 20250112, &buf, &len), PX_EINVAL);

	/* Fields outside the signed text do not change the bytes. */
	p->id = 7;
	p->status = PRAXIS__PROTOCOL_STATUS__PROTOCOL_CANCELLED;
	assert_int_equal(node_protocol_canon(p, &buf, &len), PX_OK);
	assert_memory_equal(buf, canon_expected, sizeof canon_expected);
	free(buf);
	protobuf_c_message_free_unpacked(&p->base, NULL);
}

/* Length prefixes keep field boundaries: "AB"+"" and "A"+"B" differ. */
static void
test_boundaries(void **state)
{
	(void)state;
	Praxis__Protocol *p = canon_fixture();
	uint8_t *a = NULL, *b = NULL;
	size_t la = 0, lb = 0;
	assert_int_equal(node_protocol_canon(p, &a, &la), PX_OK);
	free(p->family_name);
	free(p->first_name);
	p->family_name = strdup("AB");
	p->first_name = strdup("");
	assert_int_equal(node_protocol_canon(p, &b, &lb), PX_OK);
	assert_true(la != lb || memcmp(a, b, la) != 0);
	free(a);
	free(b);
	protobuf_c_message_free_unpacked(&p->base, NULL);
}

static px_identity *
canon_key(uint8_t fill)
{
	uint8_t seed[PX_SEED_BYTES];
	memset(seed, fill, sizeof seed);
	px_identity *id = NULL;
	assert_int_equal(px_identity_from_seed(&id, seed), PX_OK);
	return id;
}

static void
test_sign_verify(void **state)
{
	(void)state;
	assert_int_equal(px_crypto_init(), PX_OK);
	px_identity *member = canon_key(0x11), *director = canon_key(0x22);
	Praxis__Protocol *p = canon_fixture();
	bool mok = true, dok = true;

	assert_int_equal(node_protocol_verify(p, &mok, &dok), PX_ENOTFOUND);
	assert_false(mok);
	assert_false(dok);

	assert_int_equal(node_protocol_sign(p, "member", "B A", 20250112, member), PX_OK);
	assert_int_equal(node_protocol_check(p, "member"), PX_OK);
	assert_int_equal(node_protocol_check(p, "director"), PX_ENOTFOUND);
	assert_int_equal(node_protocol_verify(p, &mok, &dok), PX_ENOTFOUND);
	assert_true(mok);
	assert_false(dok);

	assert_int_equal(node_protocol_sign(p, "director", "D", 20250113, director), PX_OK);
	assert_int_equal(node_protocol_verify(p, &mok, &dok), PX_OK);
	assert_true(mok && dok);
	assert_int_equal(p->n_signatures, 2);

	/* Ed25519 is deterministic: the same key over the same bytes gives the
	 * same signature, and signing again replaces rather than appends. */
	uint8_t first[PX_SIG_BYTES];
	memcpy(first, node_protocol_signature(p, "member")->signature.data, PX_SIG_BYTES);
	assert_int_equal(node_protocol_sign(p, "member", "B A", 20250112, member), PX_OK);
	assert_int_equal(p->n_signatures, 2);
	assert_memory_equal(node_protocol_signature(p, "member")->signature.data, first, PX_SIG_BYTES);

	/* Flipped-byte twins: a clause, a LAU-2 field, a date, the signature. */
	p->clauses[0]->text[0] = 'U';
	assert_int_equal(node_protocol_verify(p, &mok, &dok), PX_EAUTH);
	assert_false(mok);
	assert_false(dok);
	p->clauses[0]->text[0] = 'T';
	assert_int_equal(node_protocol_verify(p, &mok, &dok), PX_OK);

	p->birth_day = 5;
	assert_int_equal(node_protocol_check(p, "member"), PX_EAUTH);
	p->birth_day = 4;

	Praxis__Signature *s = p->signatures[1];
	s->date += 1;
	assert_int_equal(node_protocol_check(p, "director"), PX_EAUTH);
	s->date -= 1;
	s->signature.data[10] ^= 0x01;
	assert_int_equal(node_protocol_check(p, "director"), PX_EAUTH);
	s->signature.data[10] ^= 0x01;
	assert_int_equal(node_protocol_check(p, "director"), PX_OK);

	/* A signature by the wrong key: the member's key under the director. */
	memcpy(s->public_key.data, px_identity_pk(member), PX_PK_BYTES);
	assert_int_equal(node_protocol_check(p, "director"), PX_EAUTH);

	/* A truncated stored key is corrupt, not a crash. */
	s->public_key.len = 5;
	assert_int_equal(node_protocol_check(p, "director"), PX_ECORRUPT);
	s->public_key.len = PX_PK_BYTES;

	/* Survives pack/unpack (what the store does). */
	memcpy(s->public_key.data, px_identity_pk(director), PX_PK_BYTES);
	size_t len = praxis__protocol__get_packed_size(p);
	uint8_t *buf = malloc(len);
	praxis__protocol__pack(p, buf);
	Praxis__Protocol *q = praxis__protocol__unpack(NULL, len, buf);
	free(buf);
	assert_non_null(q);
	assert_int_equal(node_protocol_verify(q, &mok, &dok), PX_OK);
	protobuf_c_message_free_unpacked(&q->base, NULL);

	assert_int_equal(node_protocol_sign(p, "boss", "X", 20250112, member), PX_EINVAL);
	assert_int_equal(node_protocol_sign(p, "member", "X", 20250231, member), PX_EINVAL);

	protobuf_c_message_free_unpacked(&p->base, NULL);
	px_identity_free(member);
	px_identity_free(director);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_sign_verify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
