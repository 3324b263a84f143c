/*
 * canon.c - canonical encoding and signatures of engagement protocols.
 * The format is described in canon.h; changing it needs a new tag.
 */
#include "canon.h"

#include <stdlib.h>
#include <string.h>

/* A growable byte buffer; the first allocation failure sticks so callers
 * check once at the end. */
typedef struct canon_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool oom;
} canon_buf;

static void
canon_put(canon_buf *b, const void *src, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *d = realloc(b->data, cap);
		if (d == NULL) {
			b->oom = true;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->data + b->len, src, n);
	b->len += n;
}

static void
canon_u32(canon_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	canon_put(b, x, 4);
}

static void
canon_u64(canon_buf *b, uint64_t v)
{
	uint8_t x[8];
	for (int i = 7; i >= 0; i--) {
		x[i] = (uint8_t)v;
		v >>= 8;
	}
	canon_put(b, x, 8);
}

/* NULL and "" encode the same way: protobuf-c gives "" for unset strings. */
static void
canon_str(canon_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n > UINT32_MAX) {
		b->oom = true;
		return;
	}
	canon_u32(b, (uint32_t)n);
	canon_put(b, s, n);
}

static void
canon_protocol(canon_buf *b, const Praxis__Protocol *p)
{
	canon_put(b, NODE_CANON_TAG, NODE_CANON_TAG_LEN);
	canon_u64(b, p->member_id);
	canon_u64(b, p->org_id);
	canon_u64(b, p->community_id);
	canon_str(b, p->family_name);
	canon_str(b, p->first_name);
	canon_u32(b, (uint32_t)p->birth_day);
	canon_u32(b, (uint32_t)p->birth_month);
	canon_str(b, p->org_name);
	canon_str(b, p->director_name);
	canon_str(b, p->clauses_version);
	canon_u32(b, (uint32_t)p->n_clauses);
	for (size_t i = 0; i < p->n_clauses; i++) {
		const Praxis__Clause *c = p->clauses[i];
		canon_str(b, c ? c->party : NULL);
		canon_str(b, c ? c->text : NULL);
	}
}

static px_err
canon_finish(canon_buf *b, uint8_t **out, size_t *len)
{
	if (b->oom) {
		free(b->data);
		return PX_ENOMEM;
	}
	*out = b->data;
	*len = b->len;
	return PX_OK;
}

px_err
node_protocol_canon(const Praxis__Protocol *p, uint8_t **out, size_t *len)
{
	if (p == NULL || out == NULL || len == NULL)
		return PX_EINVAL;
	canon_buf b = {0};
	canon_protocol(&b, p);
	return canon_finish(&b, out, len);
}

static bool
canon_signer_known(const char *signer)
{
	return signer != NULL && (strcmp(signer, NODE_SIGNER_MEMBER) == 0 ||
	                          strcmp(signer, NODE_SIGNER_DIRECTOR) == 0);
}

px_err
node_protocol_signed_bytes(const Praxis__Protocol *p, const char *signer,
                           const char *signer_name, int32_t date, uint8_t **out, size_t *len)
{
	if (p == NULL || out == NULL || len == NULL || !canon_signer_known(signer))
		return PX_EINVAL;
	canon_buf b = {0};
	canon_protocol(&b, p);
	canon_put(&b, "SIGNER", 6);
	canon_str(&b, signer);
	canon_str(&b, signer_name);
	canon_u32(&b, (uint32_t)date);
	return canon_finish(&b, out, len);
}

const Praxis__Signature *
node_protocol_signature(const Praxis__Protocol *p, const char *signer)
{
	if (p == NULL || signer == NULL)
		return NULL;
	for (size_t i = 0; i < p->n_signatures; i++) {
		const Praxis__Signature *s = p->signatures[i];
		if (s && s->signer && strcmp(s->signer, signer) == 0)
			return s;
	}
	return NULL;
}

static char *
canon_strdup(const char *s)
{
	size_t n = strlen(s ? s : "") + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s ? s : "", n);
	return d;
}

static void
canon_sig_free(Praxis__Signature *s)
{
	if (s == NULL)
		return;
	free(s->signer);
	free(s->signer_name);
	free(s->public_key.data);
	free(s->signature.data);
	free(s);
}

px_err
node_protocol_sign(Praxis__Protocol *p, const char *signer, const char *signer_name,
                   int32_t date, const px_identity *id)
{
	if (p == NULL || id == NULL || !canon_signer_known(signer) || !px_date_valid(date))
		return PX_EINVAL;
	px_err rv;
	uint8_t *msg = NULL;
	size_t len = 0;
	Praxis__Signature *s = NULL;

	if ((rv = node_protocol_signed_bytes(p, signer, signer_name, date, &msg, &len)) != PX_OK)
		goto fail;
	rv = PX_ENOMEM;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	praxis__signature__init(s);
	s->signer = canon_strdup(signer);
	s->signer_name = canon_strdup(signer_name);
	s->public_key.data = malloc(PX_PK_BYTES);
	s->signature.data = malloc(PX_SIG_BYTES);
	if (!s->signer || !s->signer_name || !s->public_key.data || !s->signature.data)
		goto fail;
	s->public_key.len = PX_PK_BYTES;
	s->signature.len = PX_SIG_BYTES;
	memcpy(s->public_key.data, px_identity_pk(id), PX_PK_BYTES);
	s->date = date;
	if ((rv = px_sign(id, msg, len, s->signature.data)) != PX_OK)
		goto fail;

	/* Replace an earlier signature by the same signer (a re-signature
	 * after a correction), otherwise append. */
	for (size_t i = 0; i < p->n_signatures; i++) {
		Praxis__Signature *old = p->signatures[i];
		if (old && old->signer && strcmp(old->signer, signer) == 0) {
			p->signatures[i] = s;
			/* The old one may come from protobuf-c's unpack
			 * (separately malloc'd parts with the default allocator,
			 * which is what canon_sig_free frees) or from us. */
			protobuf_c_message_free_unpacked(&old->base, NULL);
			free(msg);
			return PX_OK;
		}
	}
	Praxis__Signature **v = realloc(p->signatures, (p->n_signatures + 1) * sizeof(*v));
	if (v == NULL)
		goto fail;
	p->signatures = v;
	p->signatures[p->n_signatures++] = s;
	free(msg);
	return PX_OK;
fail:
	canon_sig_free(s);
	free(msg);
	return rv;
}

px_err
node_protocol_check(const Praxis__Protocol *p, const char *signer)
{
	if (p == NULL || !canon_signer_known(signer))
		return PX_EINVAL;
	if (px_crypto_init() != PX_OK)
		return PX_EINTERNAL;
	const Praxis__Signature *s = node_protocol_signature(p, signer);
	if (s == NULL)
		return PX_ENOTFOUND;
	/* Erased: nothing left to verify; the verdict kept at erasure. */
	if (p->erased)
		return s->valid_at_erasure ? PX_OK : PX_EAUTH;
	if (s->public_key.len != PX_PK_BYTES || s->signature.len != PX_SIG_BYTES)
		return PX_ECORRUPT;
	uint8_t *msg = NULL;
	size_t len = 0;
	px_err rv = node_protocol_signed_bytes(p, signer, s->signer_name, s->date, &msg, &len);
	if (rv != PX_OK)
		return rv;
	rv = px_verify(s->public_key.data, msg, len, s->signature.data);
	free(msg);
	return rv == PX_OK ? PX_OK : PX_EAUTH;
}

px_err
node_protocol_verify(const Praxis__Protocol *p, bool *member_ok, bool *director_ok)
{
	px_err m = node_protocol_check(p, NODE_SIGNER_MEMBER);
	px_err d = node_protocol_check(p, NODE_SIGNER_DIRECTOR);
	if (member_ok)
		*member_ok = m == PX_OK;
	if (director_ok)
		*director_ok = d == PX_OK;
	return m != PX_OK ? m : d;
}
