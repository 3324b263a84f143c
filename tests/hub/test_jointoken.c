/* Join and viewer token text forms (hub/jointoken.c): round trip, and
 * every kind of damage refused. */
#include "pxt.h"
#include "px_jointoken.h"

#include <stdio.h>
#include <string.h>

static px_jointoken
sample(void)
{
	px_jointoken t;
	memset(&t, 0, sizeof t);
	for (int i = 0; i < 32; i++) {
		t.hub_pk[i] = (uint8_t)(i * 7 + 1);
		t.secret[i] = (uint8_t)(255 - i);
	}
	t.expires_ms = 1790000000123LL;
	strcpy(t.tenant, "amalgame-01");
	strcpy(t.addr, "tcp://127.0.0.1:7600");
	return t;
}

static void
test_roundtrip(void **state)
{
	(void)state;
	px_jointoken t = sample(), u;
	char text[PX_JT_TEXT_MAX];
	assert_int_equal(px_jointoken_format(&t, text, sizeof text), PX_OK);
	assert_memory_equal(text, "pxj1.", 5);
	assert_int_equal(px_jointoken_parse(text, strlen(text), &u), PX_OK);
	assert_memory_equal(u.hub_pk, t.hub_pk, 32);
	assert_memory_equal(u.secret, t.secret, 32);
	assert_int_equal(u.expires_ms, t.expires_ms);
	assert_string_equal(u.tenant, t.tenant);
	assert_string_equal(u.addr, t.addr);
	/* Pasted with spaces and a newline around it. */
	char padded[PX_JT_TEXT_MAX + 8];
	snprintf(padded, sizeof padded, "  %s\n", text);
	assert_int_equal(px_jointoken_parse(padded, strlen(padded), &u), PX_OK);
}

static void
test_damage_refused(void **state)
{
	(void)state;
	px_jointoken t = sample(), u;
	char text[PX_JT_TEXT_MAX];
	assert_int_equal(px_jointoken_format(&t, text, sizeof text), PX_OK);
	size_t n = strlen(text);
	/* Every truncation. */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(px_jointoken_parse(text, i, &u), PX_EINVAL);
	/* Every single character changed to another base64url character. */
	size_t refused = 0, total = 0;
	for (size_t i = 5; i < n; i++) {
		char c = text[i];
		text[i] = c == 'A' ? 'B' : 'A';
		total++;
		if (px_jointoken_parse(text, n, &u) != PX_OK)
			refused++;
		text[i] = c;
	}
	/* The check sum catches every single-character change. */
	assert_int_equal(refused, total);
	assert_int_equal(px_jointoken_parse("pxj2.AAAA", 9, &u), PX_EINVAL);
	assert_int_equal(px_jointoken_parse("", 0, &u), PX_EINVAL);
	assert_int_equal(px_jointoken_parse("pxj1.", 5, &u), PX_EINVAL);
	assert_int_equal(px_jointoken_parse("pxj1.!!!!", 9, &u), PX_EINVAL);
	assert_int_equal(px_jointoken_parse(NULL, 0, &u), PX_EINVAL);
}

static void
test_bad_fields(void **state)
{
	(void)state;
	px_jointoken t = sample();
	char text[PX_JT_TEXT_MAX];
	strcpy(t.tenant, "bad name");
	assert_int_equal(px_jointoken_format(&t, text, sizeof text), PX_EINVAL);
	t = sample();
	t.tenant[0] = '\0';
	assert_int_equal(px_jointoken_format(&t, text, sizeof text), PX_EINVAL);
	t = sample();
	strcpy(t.addr, "tcp://host:1 x");
	assert_int_equal(px_jointoken_format(&t, text, sizeof text), PX_EINVAL);
	t = sample();
	assert_int_equal(px_jointoken_format(&t, text, 20), PX_EINVAL);
	assert_true(px_tenant_name_valid("a.b_c-9"));
	assert_false(px_tenant_name_valid("é"));
	assert_false(px_tenant_name_valid(""));
}

static void
test_viewer_token(void **state)
{
	(void)state;
	uint8_t s[32], r[32];
	for (int i = 0; i < 32; i++)
		s[i] = (uint8_t)(i * 13);
	char text[PX_VT_TEXT_MAX];
	assert_int_equal(px_viewertoken_format(s, text, sizeof text), PX_OK);
	assert_memory_equal(text, "pxv1.", 5);
	assert_int_equal(px_viewertoken_parse(text, strlen(text), r), PX_OK);
	assert_memory_equal(r, s, 32);
	assert_int_equal(px_viewertoken_parse(text, strlen(text) - 1, r), PX_EINVAL);
	assert_int_equal(px_viewertoken_parse("pxj1.AAAA", 9, r), PX_EINVAL);
}

static void
test_b64url(void **state)
{
	(void)state;
	char out[16];
	uint8_t back[16];
	assert_int_equal(px_b64url_encode((const uint8_t *)"foob", 4, out), 6);
	assert_string_equal(out, "Zm9vYg");
	assert_int_equal(px_b64url_decode("Zm9vYg", 6, back, sizeof back), 4);
	assert_memory_equal(back, "foob", 4);
	/* Non-zero padding bits: a second spelling of the same bytes, refused. */
	assert_int_equal(px_b64url_decode("Zm9vYh", 6, back, sizeof back), -1);
	assert_int_equal(px_b64url_decode("Z", 1, back, sizeof back), -1);
	assert_int_equal(px_b64url_decode("Zm+v", 4, back, sizeof back), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),      cmocka_unit_test(test_damage_refused),
		cmocka_unit_test(test_bad_fields),     cmocka_unit_test(test_viewer_token),
		cmocka_unit_test(test_b64url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
