/* The real praxis-node with broken plugins on its path: every broken file
 * is named with its reason, the node keeps working with the others, and a
 * community whose plugin crashes or loops is audited as failed, never as
 * compliant. */
#define _DEFAULT_SOURCE
#include "pxt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dir;

#define NODE "PRAXIS_PLUGIN_TIMEOUT_MS=300 PRAXIS_PLUGIN_PATH='" PXT_FIXTURE_DIR "' LANG=en_US.UTF-8 '" PXT_BIN_DIR "/praxis-node' --data '%s' "

static void
test_node_with_broken_plugins(void **state)
{
	(void)state;
	dir = pxt_tmpdir("pnode");
	pxt_run r = pxt_sh(NODE "init --name 'Org'", dir);
	if (r.status != 0)
		fail_msg("init: %s%s", r.out, r.err);
	pxt_run_free(&r);
	r = pxt_sh(NODE "plugin list", dir);
	assert_int_equal(r.status, 0);
	const char *loaded[] = {"fx_crash", "fx_loop", "brusano", "cisss", "rocfm", "example"};
	for (size_t i = 0; i < sizeof(loaded) / sizeof(loaded[0]); i++)
		if (strstr(r.out, loaded[i]) == NULL)
			fail_msg("%s not listed:\n%s", loaded[i], r.out);
	const char *refused[][2] = {{"fx_abi.so", "ABI version 2"},
	                            {"fx_nosym.so", "symbol praxis_plugin_v1 not found"},
	                            {"fx_notso.so", "not a loadable shared object"},
	                            {"fx_nullhooks.so", "NULL hook table"}};
	char *all = NULL;
	size_t alen = 0;
	FILE *m = open_memstream(&all, &alen);
	fprintf(m, "%s%s", r.out, r.err);
	fclose(m);
	for (size_t i = 0; i < 4; i++) {
		const char *at = strstr(all, refused[i][0]);
		if (at == NULL || strstr(all, refused[i][1]) == NULL)
			fail_msg("%s / %s missing:\n%s", refused[i][0], refused[i][1], all);
	}
	free(all);
	pxt_run_free(&r);
	r = pxt_sh(NODE "community add --name Crashes --framework fx_crash", dir);
	pxt_run_free(&r);
	r = pxt_sh(NODE "community add --name Loops --framework fx_loop", dir);
	pxt_run_free(&r);
	r = pxt_sh(NODE "community add --name Fine --framework example", dir);
	assert_int_equal(r.status, 0);
	pxt_run_free(&r);
	r = pxt_sh(NODE "--json audit", dir);
	if (strstr(r.out, "\"community\":\"Crashes\"") == NULL)
		fail_msg("audit: %s%s", r.out, r.err);
	/* Crashes: the failure finding with its signal; Loops: the time limit;
	 * Fine: its own finding. */
	assert_non_null(strstr(r.out, "crashed (signal 11"));
	assert_non_null(strstr(r.out, "time limit of 300 ms exceeded"));
	assert_non_null(strstr(r.out, "\"rule_id\":\"EX-1\""));
	assert_non_null(strstr(r.out, "\"rule_id\":\"PLUGIN\""));
	pxt_run_free(&r);
	pxt_tmpdir_free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_with_broken_plugins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
