/* The SDK as a plugin developer meets it: install the header and
 * praxis-plugin.pc into a temporary prefix, build the example plugin out
 * of tree with `cc -shared -fPIC $(pkg-config --cflags praxis-plugin)`,
 * and load it with the host, next to the installed plugins. */
#define _DEFAULT_SOURCE
#include "pxt.h"
#include "px_plugin_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
test_out_of_tree_build(void **state)
{
	(void)state;
	char *tmp = pxt_tmpdir("sdk");
	assert_non_null(tmp);
	pxt_run r = pxt_sh("cmake --install '%s' --prefix '%s/prefix' --component sdk && "
	                   "cmake --install '%s' --prefix '%s/prefix' --component plugins",
	                   PXT_BUILD_DIR, tmp, PXT_BUILD_DIR, tmp);
	if (r.status != 0)
		fail_msg("install: %s%s", r.out, r.err);
	pxt_run_free(&r);
	/* The header and the .pc are where pkg-config users look. */
	char path[4096];
	snprintf(path, sizeof(path), "%s/prefix/include/praxis/plugin.h", tmp);
	assert_true(pxt_file_contains(path, "PXP_ABI_VERSION", 15));
	r = pxt_sh("PKG_CONFIG_PATH='%s/prefix/lib/pkgconfig' pkg-config --cflags praxis-plugin", tmp);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "/prefix/lib/pkgconfig/../../include"));
	pxt_run_free(&r);
	/* A developer's copy of the example, renamed, built with strict flags. */
	r = pxt_sh("set -e; cd '%s' && mkdir -p mine && "
	           "sed -e 's/\"example\"/\"mine\"/' -e 's/EX-1/MINE-1/g' '%s/plugins/example/example.c' > mine.c && "
	           "cc -std=c11 -Wall -Wextra -Werror -shared -fPIC "
	           "$(PKG_CONFIG_PATH='%s/prefix/lib/pkgconfig' pkg-config --cflags praxis-plugin) "
	           "-o mine/mine.so mine.c",
	           tmp, PXT_SOURCE_DIR, tmp);
	if (r.status != 0)
		fail_msg("out-of-tree build: %s%s", r.out, r.err);
	pxt_run_free(&r);
	/* Loaded from PRAXIS_PLUGIN_PATH, with the installed plugins from the prefix. */
	char plugdir[4096], prefix[4096];
	snprintf(plugdir, sizeof(plugdir), "%s/mine", tmp);
	snprintf(prefix, sizeof(prefix), "%s/prefix", tmp);
	setenv("PRAXIS_PLUGIN_PATH", plugdir, 1);
	px_plugin_host *h;
	px_plugin_host_opts o = {.prefix = prefix};
	assert_int_equal(px_plugin_host_open(&o, &h), PX_OK);
	assert_int_equal(px_plugin_host_refused_count(h), 0);
	const px_plugin *mine = px_plugin_host_find(h, "mine");
	assert_non_null(mine);
	assert_non_null(px_plugin_host_find(h, "laurentides"));
	assert_non_null(strstr(px_plugin_path(px_plugin_host_find(h, "brusano")), "/prefix/lib/praxis/plugins/"));
	/* Its findings come out of an audit. */
	pxp_community c;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.name = c.framework = c.region = c.job_title = c.sponsor = "";
	px_plugin_result res;
	assert_int_equal(px_plugin_audit(mine, NULL, &c, NULL, &res), PX_OK);
	assert_int_equal(res.n_findings, 1);
	assert_string_equal(res.findings[0].rule_id, "MINE-1");
	assert_string_equal(res.findings[0].message_fr, "0 rencontre(s) pendant la période, 1 attendue(s) au moins");
	assert_int_equal(res.n_indicators, 0);
	px_plugin_result_fini(&res);
	assert_int_equal(px_plugin_indicators(mine, NULL, &c, NULL, &res), PX_OK);
	assert_int_equal(res.n_indicators, 1);
	px_plugin_result_fini(&res);
	px_plugin_host_close(h);
	unsetenv("PRAXIS_PLUGIN_PATH");
	pxt_tmpdir_free(tmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_of_tree_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
