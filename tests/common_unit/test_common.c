/* Dates, errors and language choice of src/common. */
#include "pxt.h"
#include "px.h"
#include <string.h>

static void
test_date_parse(void **state)
{
	(void)state;
	int32_t d = 0;
	assert_int_equal(px_date_parse("2025-03-14", &d), PX_OK);
	assert_int_equal(d, 20250314);
	assert_int_equal(px_date_parse("14-03-2025", &d), PX_OK);
	assert_int_equal(d, 20250314);
	assert_int_equal(px_date_parse("29/02/2024", &d), PX_OK);
	assert_int_equal(px_date_parse("31/02/2025", &d), PX_EINVAL);
	assert_int_equal(px_date_parse("29-02-2025", &d), PX_EINVAL);
	assert_int_equal(px_date_parse("2025-13-01", &d), PX_EINVAL);
	assert_int_equal(px_date_parse("2025-1-01", &d), PX_EINVAL);
	assert_int_equal(px_date_parse("", &d), PX_EINVAL);
	assert_int_equal(px_date_add_days(20241231, 1), 20250101);
	assert_int_equal(px_date_add_days(20250301, -1), 20250228);
	char buf[11];
	px_date_format(20250314, buf);
	assert_string_equal(buf, "2025-03-14");
}

static void
test_errors(void **state)
{
	(void)state;
	for (int e = 0; e < PX_ERR_COUNT; e++) {
		assert_non_null(strstr(px_strerror((px_err)e), "PX_"));
		px_lang_set(0);
		assert_non_null(strstr(px_strerror_user((px_err)e), "PX_"));
	}
	assert_int_equal(px_err_to_code(PX_EINVAL), 3);
	assert_string_equal(px_code_name(16), "UNAUTHENTICATED");
	px_lang_set(1);
	assert_string_equal(PX_T("oui", "yes"), "yes");
	px_lang_set(0);
	assert_string_equal(PX_T("oui", "yes"), "oui");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_parse),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
