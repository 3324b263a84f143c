/*
 * canon.h - canonical bytes of an engagement protocol, and its Ed25519
 * signatures by the member and by her organization's director (LAU-1, LAU-2).
 *
 * Why not sign the packed protobuf: protobuf-c gives no promise that two
 * versions pack the same message to the same bytes (unknown fields, field
 * order, default values), and a protocol must verify years later. The
 * encoding below is written by hand, field by field, and never changes for
 * a given version tag.
 *
 * Canonical encoding, version 1 (all integers big-endian, no padding):
 *
 *   tag        8 bytes  "PXPROT" 0x00 0x01
 *   member_id  u64
 *   org_id     u64
 *   community_id u64
 *   family_name   str      str = u32 byte length, then the UTF-8 bytes
 *   first_name    str
 *   birth_day     u32
 *   birth_month   u32
 *   org_name      str
 *   director_name str
 *   clauses_version str
 *   clause count  u32
 *   per clause, in stored order:  party str, text str
 *
 * The protocol's own id, its status, cancellation and the signatures are
 * not covered: they are record keeping around the signed text.
 *
 * What a signer signs ("signed message") is the canonical encoding followed
 * by a signer block that binds the role, the name and the date written next
 * to the signature on the form (LAU-2), so neither can be changed later:
 *
 *   canonical encoding
 *   "SIGNER" (6 bytes)
 *   signer     str   "member" or "director"
 *   signer_name str
 *   date       u32   yyyymmdd
 */
#ifndef NODE_CANON_H
#define NODE_CANON_H

#include "px.h"
#include "px_crypto.h"
#include "domain.pb-c.h"

#define NODE_CANON_TAG "PXPROT\0\1"
#define NODE_CANON_TAG_LEN 8

#define NODE_SIGNER_MEMBER "member"
#define NODE_SIGNER_DIRECTOR "director"

/* Canonical encoding of p into a malloc'd buffer the caller frees with
 * free(). PX_EINVAL if p is NULL; PX_ENOMEM. */
px_err node_protocol_canon(const Praxis__Protocol *p, uint8_t **out, size_t *len) PX_NODISCARD;

/* The bytes a signer signs: canonical encoding plus the signer block.
 * *out is malloc'd, freed by the caller with free(). */
px_err node_protocol_signed_bytes(const Praxis__Protocol *p, const char *signer,
                                  const char *signer_name, int32_t date, uint8_t **out,
                                  size_t *len) PX_NODISCARD;

/*
 * Signs p as signer ("member" or "director") with id, dated date, and
 * stores the signature in p->signatures, replacing an earlier one by the
 * same signer. The Signature and its byte buffers are malloc'd and owned by
 * p from then on: free p with protobuf_c_message_free_unpacked(p, NULL)
 * (p must itself come from unpacking, or be built with malloc'd parts).
 * PX_EINVAL: unknown signer or invalid date.
 */
px_err node_protocol_sign(Praxis__Protocol *p, const char *signer, const char *signer_name,
                          int32_t date, const px_identity *id) PX_NODISCARD;

/*
 * Checks one signer's signature of p: PX_OK when valid, PX_ENOTFOUND when
 * p has no signature by that signer, PX_EAUTH when the signature does not
 * match the text (a clause or a LAU-2 field changed, or a forged
 * signature), PX_ECORRUPT when the stored key or signature has the wrong
 * size.
 */
px_err node_protocol_check(const Praxis__Protocol *p, const char *signer) PX_NODISCARD;

/* Both signers at once: *member_ok / *director_ok tell which signature is
 * present and valid. Returns PX_OK when both are, otherwise the first
 * failure of node_protocol_check (member first). */
px_err node_protocol_verify(const Praxis__Protocol *p, bool *member_ok, bool *director_ok);

/* The stored signature of a signer, or NULL. Borrowed from p. */
const Praxis__Signature *node_protocol_signature(const Praxis__Protocol *p, const char *signer);

#endif /* NODE_CANON_H */
