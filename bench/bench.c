/*
 * bench.c - timing helpers and the JSON results writer of the benchmarks.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#ifndef PX_BENCH_RESULTS
#define PX_BENCH_RESULTS "bench-results.json"
#endif

int64_t
bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double
bench_percentile(double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, bench_cmp);
	/* Nearest rank: the smallest value with at least p% at or below it. */
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

double
bench_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, bench_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

const char *
bench_results_path(void)
{
	const char *p = getenv("PX_BENCH_JSON");
	return p && *p ? p : PX_BENCH_RESULTS;
}

static char *
bench_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (buf != NULL) {
		size_t got = fread(buf, 1, (size_t)n, f);
		buf[got] = '\0';
	}
	fclose(f);
	return buf;
}

/* Read, replace or append, write to a temp file, rename: a crash never
 * leaves half a file, and a lock keeps two benchmarks run at once from
 * losing each other's rows. */
static bool
bench_append(cJSON *entry)
{
	const char *path = bench_results_path();
	char lockpath[4096], tmp[4096];
	snprintf(lockpath, sizeof lockpath, "%s.lock", path);
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	int lfd = open(lockpath, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	if (lfd >= 0)
		flock(lfd, LOCK_EX);
	bool ok = false;
	char *old = bench_slurp(path);
	cJSON *arr = old ? cJSON_Parse(old) : NULL;
	free(old);
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		arr = cJSON_CreateArray();
	}
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "name"));
	int i = 0;
	cJSON *it;
	bool replaced = false;
	cJSON_ArrayForEach(it, arr)
	{
		const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "name"));
		if (n && name && strcmp(n, name) == 0) {
			cJSON_ReplaceItemInArray(arr, i, entry);
			replaced = true;
			break;
		}
		i++;
	}
	if (!replaced)
		cJSON_AddItemToArray(arr, entry);
	char *text = cJSON_Print(arr);
	FILE *f = text ? fopen(tmp, "w") : NULL;
	if (f != NULL) {
		ok = fputs(text, f) >= 0;
		ok = (fputc('\n', f) != EOF) && ok;
		ok = (fclose(f) == 0) && ok;
		ok = ok && rename(tmp, path) == 0;
		if (!ok)
			unlink(tmp);
	}
	free(text);
	cJSON_Delete(arr); /* also frees entry */
	if (lfd >= 0) {
		flock(lfd, LOCK_UN);
		close(lfd);
	}
	return ok;
}

bool
bench_report(const bench_result *r)
{
	bool has_base = r->baseline != NULL && r->baseline_value > 0;
	double ratio = has_base ? r->value / r->baseline_value : NAN;
	bool met;
	if (has_base)
		met = r->lower_is_better ? ratio <= r->goal_ratio : ratio >= r->goal_ratio;
	else if (r->goal_value > 0)
		met = r->lower_is_better ? r->value <= r->goal_value : r->value >= r->goal_value;
	else
		met = true; /* no goal: a figure to watch */

	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "name", r->name);
	cJSON_AddNumberToObject(e, "value", r->value);
	cJSON_AddStringToObject(e, "unit", r->unit ? r->unit : "");
	if (has_base) {
		cJSON_AddStringToObject(e, "baseline", r->baseline);
		cJSON_AddNumberToObject(e, "baseline_value", r->baseline_value);
		cJSON_AddNumberToObject(e, "ratio", ratio);
	} else {
		cJSON_AddNullToObject(e, "baseline");
		cJSON_AddNullToObject(e, "baseline_value");
		cJSON_AddNullToObject(e, "ratio");
	}
	cJSON_AddStringToObject(e, "goal", r->goal ? r->goal : "");
	cJSON_AddBoolToObject(e, "met", met);
	if (!bench_append(e))
		fprintf(stderr, "bench: impossible d'écrire / cannot write %s\n",
		        bench_results_path());
	if (has_base)
		printf("%-52s %12.2f %-8s base %12.2f  ratio %6.3f  goal %-8s %s\n", r->name, r->value,
		       r->unit ? r->unit : "", r->baseline_value, ratio, r->goal ? r->goal : "",
		       met ? "ok" : "MISSED");
	else
		printf("%-52s %12.2f %-8s %38s goal %-8s %s\n", r->name, r->value,
		       r->unit ? r->unit : "", "", r->goal ? r->goal : "", met ? "ok" : "MISSED");
	fflush(stdout);
	return met;
}
