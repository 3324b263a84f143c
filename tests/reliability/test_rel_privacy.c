/*
 * test_rel_privacy.c - issue 7.6, the canary part, through the real
 * binaries: members whose names are unique canary strings, with birth
 * dates, live on a node that syncs its reports to a hub; then no byte
 * string of any canary appears in any file of the hub's data directory
 * (hub.mdb holds every report message as received), nor in the hub's
 * report outputs (table, CSV, JSON), its static dashboard or its audit
 * log. As a control, the same scan finds the canaries in the node's own
 * data file, so the scan can see them when they are there.
 * (Small-cell suppression over random communities is the report module's
 * test_report_privacy; erasure after `member remove`, the node's
 * test_member_erasure and the store's test_compact_erases.)
 */
#define _GNU_SOURCE
#include "relt.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PV_MEMBERS 7

static int
pv_scan_dir(const char *dir, const char *const *needles, size_t nn, int *files, bool quiet)
{
	int hits = 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char p[1024];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			hits += pv_scan_dir(p, needles, nn, files, quiet);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		(*files)++;
		for (size_t i = 0; i < nn; i++)
			if (pxt_file_contains(p, needles[i], strlen(needles[i]))) {
				if (!quiet)
					print_error("%s contains \"%s\"\n", p, needles[i]);
				hits++;
			}
	}
	closedir(d);
	return hits;
}

static void
test_canaries_never_reach_the_hub(void **state)
{
	(void)state;
	relt_hub h;
	relt_hub_init(&h, "relpriv", false);
	assert_true(relt_hub_start(&h));
	static const char *const comms[] = {"CdP Canari", NULL};
	relt_node n;
	relt_node_init(&n, &h, h.dir, "orgpriv", comms);

	/* Canaries: names no code could print by chance, in both scripts of
	 * the users (accents included), and e-mail addresses. */
	char fam[PV_MEMBERS][48], first[PV_MEMBERS][48], mail[PV_MEMBERS][64];
	const char *needles[PV_MEMBERS * 3];
	size_t nn = 0;
	for (int i = 0; i < PV_MEMBERS; i++) {
		snprintf(fam[i], sizeof fam[i], "Qzcanarï%dTremblay", i);
		snprintf(first[i], sizeof first[i], "Xwcanary%dÉloïse", i);
		snprintf(mail[i], sizeof mail[i], "canari%d.vkq@example.org", i);
		pxt_run r = relt_node_cmd(&n,
		                          "--override essai member add --community 1 --family '%s' --first '%s' --birth "
		                          "%02d/%02d --email '%s' --status active --joined 2024-01-15",
		                          fam[i], first[i], 3 + i, 1 + i, mail[i]);
		if (r.status != 0)
			print_error("member add: %s\n", r.err);
		assert_int_equal(r.status, 0);
		pxt_run_free(&r);
		needles[nn++] = fam[i];
		needles[nn++] = first[i];
		needles[nn++] = mail[i];
	}
	pxt_run r = relt_node_cmd(&n, "sync --period 2024 --period 2024-06 --period 2024-Q2");
	if (r.status != 0)
		print_error("sync: %s\n", r.err);
	assert_int_equal(r.status, 0);
	pxt_run_free(&r);

	/* Every output of the hub, into files under its directory. */
	char out[700];
	snprintf(out, sizeof out, "%s/outputs", h.dir);
	assert_int_equal(mkdir(out, 0700), 0);
	r = relt_hub_cmd(&h, "report > '%s/report.txt' && '%s' --data '%s' report --csv > '%s/report.csv' "
	                     "&& '%s' --data '%s' report --json > '%s/report.json' && '%s' --data '%s' "
	                     "audit list --json > '%s/audit.json' && '%s' --data '%s' dashboard --out "
	                     "'%s/dashboard'",
	                 out, relt_hub_bin(), h.data, out, relt_hub_bin(), h.data, out, relt_hub_bin(),
	                 h.data, out, relt_hub_bin(), h.data, out);
	if (r.status != 0)
		print_error("hub outputs: %s\n", r.err);
	assert_int_equal(r.status, 0);
	pxt_run_free(&r);
	relt_hub_stop(&h, SIGTERM);
	/* The report did reach the hub (else the scan proves nothing). */
	char rj[800];
	snprintf(rj, sizeof rj, "%s/report.json", out);
	assert_true(pxt_file_contains(rj, "CdP Canari", 10));

	int hub_files = 0, out_files = 0, node_files = 0;
	int hub_hits = pv_scan_dir(h.data, needles, nn, &hub_files, false);
	int out_hits = pv_scan_dir(out, needles, nn, &out_files, false);
	/* Control: the node holds them. */
	int node_hits = pv_scan_dir(n.data, needles, nn, &node_files, true);
	printf("privacy: %zu canaries (names, first names, e-mails of %d members); hub data %d files, "
	       "%d hits; hub outputs %d files, %d hits; control: node data %d files, %d hits\n",
	       nn, PV_MEMBERS, hub_files, hub_hits, out_files, out_hits, node_files, node_hits);
	assert_int_equal(hub_hits, 0);
	assert_int_equal(out_hits, 0);
	assert_true(hub_files >= 2 && out_files >= 5);
	assert_true(node_hits >= (int)nn);
	relt_hub_fini(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_canaries_never_reach_the_hub),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
