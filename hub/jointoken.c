/*
 * jointoken.c - join and viewer tokens as text. Pure functions: the
 * parser trusts nothing in its input and is a fuzz target.
 */
#define _DEFAULT_SOURCE
#include "px_jointoken.h"

#include <string.h>

static const char jt_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
px_b64url_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = jt_b64[v >> 18 & 63];
		out[o++] = jt_b64[v >> 12 & 63];
		out[o++] = jt_b64[v >> 6 & 63];
		out[o++] = jt_b64[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = jt_b64[v >> 18 & 63];
		out[o++] = jt_b64[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = jt_b64[v >> 18 & 63];
		out[o++] = jt_b64[v >> 12 & 63];
		out[o++] = jt_b64[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

static int
jt_b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

long
px_b64url_decode(const char *in, size_t n, uint8_t *out, size_t outcap)
{
	/* A remainder of 1 character cannot encode a byte. */
	if (n % 4 == 1)
		return -1;
	size_t need = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
	if (need > outcap)
		return -1;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = jt_b64_val(in[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Leftover bits must be zero, so each token has exactly one spelling. */
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (long)o;
}

bool
px_tenant_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > PX_JT_TENANT_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool
jt_addr_valid(const char *s, size_t n)
{
	if (n == 0 || n > PX_JT_ADDR_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* A two-byte check catches a token cut or mistyped while pasting before
 * the node dials anything; it is not a security measure (the secret is). */
static uint16_t
jt_check(const uint8_t *p, size_t n)
{
	uint16_t a = 0x5a17, b = 0;
	for (size_t i = 0; i < n; i++) {
		a = (uint16_t)(a + p[i]);
		b = (uint16_t)(b + a);
	}
	return (uint16_t)(a ^ (uint16_t)(b << 5 | b >> 11));
}

#define JT_PREFIX "pxj1."
#define VT_PREFIX "pxv1."
#define JT_FIXED (1 + PX_JT_KEY_BYTES + PX_JT_SECRET_BYTES + 8)
#define JT_MAXBIN (JT_FIXED + 1 + PX_JT_TENANT_MAX + 1 + PX_JT_ADDR_MAX + 2)

px_err
px_jointoken_format(const px_jointoken *t, char *out, size_t size)
{
	size_t tl = strnlen(t->tenant, sizeof t->tenant);
	size_t al = strnlen(t->addr, sizeof t->addr);
	if (!px_tenant_name_valid(t->tenant) || tl > PX_JT_TENANT_MAX || !jt_addr_valid(t->addr, al))
		return PX_EINVAL;
	uint8_t bin[JT_MAXBIN];
	size_t n = 0;
	bin[n++] = 1;
	memcpy(bin + n, t->hub_pk, PX_JT_KEY_BYTES);
	n += PX_JT_KEY_BYTES;
	memcpy(bin + n, t->secret, PX_JT_SECRET_BYTES);
	n += PX_JT_SECRET_BYTES;
	uint64_t e = (uint64_t)t->expires_ms;
	for (int i = 7; i >= 0; i--)
		bin[n++] = (uint8_t)(e >> (i * 8));
	bin[n++] = (uint8_t)tl;
	memcpy(bin + n, t->tenant, tl);
	n += tl;
	bin[n++] = (uint8_t)al;
	memcpy(bin + n, t->addr, al);
	n += al;
	uint16_t ck = jt_check(bin, n);
	bin[n++] = (uint8_t)(ck >> 8);
	bin[n++] = (uint8_t)ck;
	size_t need = strlen(JT_PREFIX) + (n + 2) / 3 * 4 + 1;
	if (size < need)
		return PX_EINVAL;
	memcpy(out, JT_PREFIX, strlen(JT_PREFIX));
	px_b64url_encode(bin, n, out + strlen(JT_PREFIX));
	return PX_OK;
}

static void
jt_trim(const char **text, size_t *len)
{
	while (*len > 0 && ((*text)[0] == ' ' || (*text)[0] == '\t' || (*text)[0] == '\n' ||
	                    (*text)[0] == '\r')) {
		(*text)++;
		(*len)--;
	}
	while (*len > 0 && ((*text)[*len - 1] == ' ' || (*text)[*len - 1] == '\t' ||
	                    (*text)[*len - 1] == '\n' || (*text)[*len - 1] == '\r'))
		(*len)--;
}

px_err
px_jointoken_parse(const char *text, size_t len, px_jointoken *out)
{
	if (text == NULL)
		return PX_EINVAL;
	jt_trim(&text, &len);
	size_t pl = strlen(JT_PREFIX);
	if (len <= pl || memcmp(text, JT_PREFIX, pl) != 0)
		return PX_EINVAL;
	uint8_t bin[JT_MAXBIN];
	long n = px_b64url_decode(text + pl, len - pl, bin, sizeof bin);
	if (n < (long)(JT_FIXED + 1 + 1 + 1 + 1 + 2))
		return PX_EINVAL;
	size_t end = (size_t)n - 2;
	if (jt_check(bin, end) != (uint16_t)(bin[end] << 8 | bin[end + 1]))
		return PX_EINVAL;
	if (bin[0] != 1)
		return PX_EINVAL;
	size_t p = JT_FIXED;
	size_t tl = bin[p++];
	if (tl == 0 || tl > PX_JT_TENANT_MAX || p + tl + 1 > end)
		return PX_EINVAL;
	const uint8_t *tp = bin + p;
	p += tl;
	size_t al = bin[p++];
	if (al == 0 || al > PX_JT_ADDR_MAX || p + al != end)
		return PX_EINVAL;
	const uint8_t *ap = bin + p;
	px_jointoken t;
	memset(&t, 0, sizeof t);
	memcpy(t.tenant, tp, tl);
	memcpy(t.addr, ap, al);
	if (strlen(t.tenant) != tl || !px_tenant_name_valid(t.tenant) || !jt_addr_valid(t.addr, al))
		return PX_EINVAL;
	memcpy(t.hub_pk, bin + 1, PX_JT_KEY_BYTES);
	memcpy(t.secret, bin + 1 + PX_JT_KEY_BYTES, PX_JT_SECRET_BYTES);
	uint64_t e = 0;
	for (int i = 0; i < 8; i++)
		e = e << 8 | bin[1 + PX_JT_KEY_BYTES + PX_JT_SECRET_BYTES + i];
	if (e > (uint64_t)INT64_MAX)
		return PX_EINVAL;
	t.expires_ms = (int64_t)e;
	*out = t;
	return PX_OK;
}

px_err
px_viewertoken_format(const uint8_t secret[PX_JT_SECRET_BYTES], char *out, size_t size)
{
	if (size < PX_VT_TEXT_MAX)
		return PX_EINVAL;
	memcpy(out, VT_PREFIX, strlen(VT_PREFIX));
	px_b64url_encode(secret, PX_JT_SECRET_BYTES, out + strlen(VT_PREFIX));
	return PX_OK;
}

px_err
px_viewertoken_parse(const char *text, size_t len, uint8_t secret[PX_JT_SECRET_BYTES])
{
	if (text == NULL)
		return PX_EINVAL;
	jt_trim(&text, &len);
	size_t pl = strlen(VT_PREFIX);
	if (len <= pl || memcmp(text, VT_PREFIX, pl) != 0)
		return PX_EINVAL;
	uint8_t bin[PX_JT_SECRET_BYTES];
	long n = px_b64url_decode(text + pl, len - pl, bin, sizeof bin);
	if (n != PX_JT_SECRET_BYTES)
		return PX_EINVAL;
	memcpy(secret, bin, PX_JT_SECRET_BYTES);
	return PX_OK;
}
