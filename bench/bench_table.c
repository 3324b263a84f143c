/*
 * px_bench_table - prints build/bench-results.json as a table (used by
 * scripts/bench.sh). Rows that miss their goal are marked, not hidden.
 *
 *   px_bench_table FILE [--markdown]
 * Exit status: 0 when every goal is met, 1 when one is missed, 2 when the
 * file cannot be read.
 */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
table_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (buf != NULL)
		buf[fread(buf, 1, (size_t)n, f)] = '\0';
	fclose(f);
	return buf;
}

static const char *
table_str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

static void
table_num(char *buf, size_t n, const cJSON *o, const char *k, const char *fmt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (cJSON_IsNumber(v))
		snprintf(buf, n, fmt, v->valuedouble);
	else
		snprintf(buf, n, "-");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: px_bench_table FILE [--markdown]\n");
		return 2;
	}
	bool md = argc > 2 && strcmp(argv[2], "--markdown") == 0;
	char *text = table_slurp(argv[1]);
	cJSON *arr = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (!cJSON_IsArray(arr)) {
		fprintf(stderr, "px_bench_table: %s illisible / unreadable\n", argv[1]);
		cJSON_Delete(arr);
		return 2;
	}
	int missed = 0;
	if (md) {
		printf("| benchmark | value | baseline | baseline value | ratio | goal | met |\n");
		printf("|---|---:|---|---:|---:|---|---|\n");
	} else {
		printf("%-58s %14s %-8s %14s %8s  %-8s %s\n", "benchmark", "value", "unit", "baseline",
		       "ratio", "goal", "met");
	}
	const cJSON *e;
	cJSON_ArrayForEach(e, arr)
	{
		char val[32], bval[32], ratio[32];
		table_num(val, sizeof val, e, "value", "%.2f");
		table_num(bval, sizeof bval, e, "baseline_value", "%.2f");
		table_num(ratio, sizeof ratio, e, "ratio", "%.3f");
		bool met = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "met"));
		missed += !met;
		if (md)
			printf("| %s | %s %s | %s | %s | %s | %s | %s |\n", table_str(e, "name"), val,
			       table_str(e, "unit"), table_str(e, "baseline"), bval, ratio,
			       table_str(e, "goal"), met ? "yes" : "**MISSED**");
		else
			printf("%-58.58s %14s %-8s %14s %8s  %-8s %s\n", table_str(e, "name"), val,
			       table_str(e, "unit"), bval, ratio, table_str(e, "goal"),
			       met ? "ok" : "MISSED");
	}
	if (!md) {
		printf("\nbaselines:\n");
		cJSON_ArrayForEach(e, arr)
		{
			if (*table_str(e, "baseline"))
				printf("  %-58.58s vs %s\n", table_str(e, "name"), table_str(e, "baseline"));
		}
	}
	cJSON_Delete(arr);
	return missed ? 1 : 0;
}
