/*
 * bench.h - what every Praxis benchmark shares: clocks, order statistics,
 * and the results file (build/bench-results.json, a JSON array; override
 * with the environment variable PX_BENCH_JSON).
 *
 * A figure is reported with its baseline measured in the same run (these
 * machines are shared and noisy: only ratios mean something) and its goal:
 *   {"name", "value", "unit", "baseline", "baseline_value", "ratio",
 *    "goal", "met"}
 * ratio = value / baseline_value. With no baseline (baseline NULL or
 * baseline_value 0) ratio is null and the goal is checked on the value
 * itself against goal_value.
 */
#ifndef PX_BENCH_H
#define PX_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bench_result {
	const char *name;        /* "RPC round trip, 1 caller, 300 B, median" */
	double value;
	const char *unit;        /* "us", "calls/s", "ms", "MiB" */
	const char *baseline;    /* "raw nng req/rep, same payload"; NULL: none */
	double baseline_value;
	const char *goal;        /* text shown in the table: "<= 1.2", "< 1 ms" */
	bool lower_is_better;
	double goal_ratio;       /* met when ratio <= (lower) or >= goal_ratio */
	double goal_value;       /* without a baseline: met when value <= / >= it */
} bench_result;

/* Monotonic clock. */
int64_t bench_now_ns(void);
/* Sorts v in place and returns the p-th percentile (0..100, nearest rank). */
double bench_percentile(double *v, size_t n, double p);
/* Sorts v in place and returns the median. */
double bench_median(double *v, size_t n);

/* Computes ratio and met, appends the entry to the results file (replacing
 * an entry of the same name) and prints one line on stdout. Returns true
 * when the goal is met. A results file that cannot be written is reported
 * on stderr and does not stop the benchmark. */
bool bench_report(const bench_result *r);

/* Path of the results file (static storage). */
const char *bench_results_path(void);

#ifdef __cplusplus
}
#endif
#endif /* PX_BENCH_H */
