/*
 * plugin_bench.c - figures for docs/PLUGINS.md: the cost of running a hook
 * in a forked child against running it in process, a full audit of a
 * 14-member Brusano cycle with 10 sessions and of a 1,000-member synthetic
 * Laurentides community, and one change-time check. Medians of N runs.
 *
 * usage: plugin_bench [runs]   (plugins from PXT_PLUGIN_DIR)
 */
#define _DEFAULT_SOURCE
#include "px_plugin_host.h"
#include "views.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

typedef px_err (*bench_fn)(const px_plugin *p, const pxp_community *c, const px_plugin_run_opts *o,
                           px_plugin_result *r);

static px_err
do_audit(const px_plugin *p, const pxp_community *c, const px_plugin_run_opts *o, px_plugin_result *r)
{
	return px_plugin_audit(p, NULL, c, o, r);
}

static px_err
do_change(const px_plugin *p, const pxp_community *c, const px_plugin_run_opts *o, px_plugin_result *r)
{
	pxp_change ch = {.kind = PXP_CHANGE_MEMBER_ADD, .member_id = c->members[c->n_members - 1].id};
	return px_plugin_check_change(p, NULL, c, &ch, o, r);
}

static double
median_us(bench_fn fn, const px_plugin *p, const pxp_community *c, px_plugin_isolation iso, int runs,
          size_t *findings)
{
	int64_t *t = calloc((size_t)runs, sizeof(*t));
	px_plugin_run_opts o = {.isolation = iso};
	for (int i = 0; i < runs; i++) {
		px_plugin_result r;
		int64_t t0 = px_mono_ns();
		px_err rv = fn(p, c, &o, &r);
		t[i] = px_mono_ns() - t0;
		if (rv != PX_OK)
			fprintf(stderr, "run failed: %s\n", r.failure);
		*findings = r.n_findings;
		px_plugin_result_fini(&r);
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp64);
	double m = (double)t[runs / 2] / 1000.0;
	free(t);
	return m;
}

static void
row(const char *what, bench_fn fn, const px_plugin *p, const pxp_community *c, int runs)
{
	size_t nf = 0, nf2 = 0;
	double in = median_us(fn, p, c, PX_PLUGIN_ISOLATE_NONE, runs, &nf);
	double fk = median_us(fn, p, c, PX_PLUGIN_ISOLATE_FORK, runs, &nf2);
	printf("| %-44s | %10.1f | %10.1f | %8.1f | %5zu |\n", what, in, fk, fk - in, nf);
	if (nf != nf2)
		printf("  (!) in-process and forked runs disagree: %zu vs %zu findings\n", nf, nf2);
}

int
main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 51;
	if (runs < 1)
		runs = 1;
	px_plugin_host *h;
	px_plugin_host_opts o = {.path = PXT_PLUGIN_DIR, .ignore_env = true, .prefix = "/nonexistent"};
	if (px_plugin_host_open(&o, &h) != PX_OK)
		return 1;
	vw *v = calloc(1, sizeof(*v));
	printf("median of %d runs, microseconds\n\n", runs);
	printf("| %-44s | %10s | %10s | %8s | %5s |\n", "run", "in process", "forked", "fork cost",
	       "finds");
	printf("|%s|%s|%s|%s|%s|\n", "----------------------------------------------", "------------",
	       "------------", "----------", "-------");
	/* Brusano: 14 people, 10 sessions. */
	vw_brusano(v);
	v->c.n_meetings = 0;
	v->c.n_attendance = 0;
	for (int m = 0; m < 10; m++)
		vw_meeting(v, 100 + (uint64_t)m, PXP_MEETING_REGULAR, m < 4 ? 20250918 + m * 100 : 20260118 + (m - 4) * 100, 3,
		           PXP_MODALITY_IN_PERSON);
	vw_attend_all(v, 3);
	v->c.today = 20260715;
	vw_wire(v);
	const px_plugin *bru = px_plugin_host_find(h, "brusano");
	row("audit brusano, 14 members, 10 sessions", do_audit, bru, &v->c, runs);
	row("check_change brusano (member add)", do_change, bru, &v->c, runs);
	/* Laurentides: 1,000 members, 12 monthly meetings, full attendance. */
	vw_laurentides(v);
	v->c.n_members = v->c.n_protocols = v->c.n_meetings = v->c.n_attendance = 0;
	for (uint64_t id = 1; id <= 1000; id++) {
		vw_member(v, id, 1 + id % 3, PXP_ROLE_MEMBER, 20240901);
		vw_protocol(v, id);
	}
	for (int m = 1; m <= 12; m++)
		vw_meeting(v, 100 + (uint64_t)m, PXP_MEETING_REGULAR, 20250015 + m * 100, 2, PXP_MODALITY_VIRTUAL);
	vw_attend_all(v, 2);
	v->c.period_end = 20251231;
	v->c.today = 20260115;
	vw_wire(v);
	const px_plugin *lau = px_plugin_host_find(h, "laurentides");
	int big = runs > 11 ? 11 : runs;
	row("audit laurentides, 1000 members, 12 meetings", do_audit, lau, &v->c, big);
	row("check_change laurentides, 1000 (fallback)", do_change, lau, &v->c, big);
	/* The bare fork cost: the example plugin on an empty view. */
	pxp_community c;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.name = c.framework = c.region = c.job_title = c.sponsor = "";
	row("audit example, empty view (bare fork cost)", do_audit, px_plugin_host_find(h, "example"), &c, runs);
	/* fork copies page tables: the cost grows with the parent's touched
	 * memory (a node with a large LMDB map read into memory). */
	size_t big_sz = (size_t)256 << 20;
	char *big_mem = malloc(big_sz);
	if (big_mem != NULL) {
		for (size_t i = 0; i < big_sz; i += 4096)
			big_mem[i] = (char)i;
		row("same, parent with 256 MiB touched heap", do_audit, px_plugin_host_find(h, "example"), &c, runs);
		free(big_mem);
	}
	/* A shared file mapping read in full, like LMDB's map: Linux does not
	 * copy its page tables at fork (they refault in the child). */
	char tmpl[] = "/tmp/pxbenchXXXXXX";
	int fd = mkstemp(tmpl);
	if (fd >= 0 && ftruncate(fd, (off_t)big_sz) == 0) {
		unlink(tmpl);
		volatile char *map = mmap(NULL, big_sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map != MAP_FAILED) {
			for (size_t i = 0; i < big_sz; i += 4096)
				map[i] = 1;
			row("same, parent with 256 MiB shared file map", do_audit, px_plugin_host_find(h, "example"), &c,
			    runs);
			munmap((void *)map, big_sz);
		}
	}
	if (fd >= 0)
		close(fd);
	free(v);
	px_plugin_host_close(h);
	return 0;
}
