/*
 * node_test.h - helpers for the praxis-node tests: run the real binary on a
 * temporary data directory, parse its JSON.
 */
#ifndef NODE_TEST_H
#define NODE_TEST_H

#include "pxt.h"

#include <cjson/cJSON.h>
#include <stdbool.h>

typedef struct nt_node {
	char *dir;   /* temporary directory (data dir is dir/data) */
	char *data;  /* data directory */
} nt_node;

/* Creates a temp dir and runs `init` (org "Org Test"). */
void nt_init(nt_node *n, const char *tag);
void nt_fini(nt_node *n);

/* Runs `praxis-node --data DATA <args>` (args: printf format, already
 * shell-quoted by the caller) with LANG as given by the environment. */
pxt_run nt_run(const nt_node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same with LANG=en_US.UTF-8. */
pxt_run nt_run_en(const nt_node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs (as nt_run) and asserts exit 0, printing the run when not. */
void nt_ok(const nt_node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs (as nt_run) and asserts exit 0 and stdout holding needle. */
void nt_says(const nt_node *n, const char *needle, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Runs (as nt_run) and asserts exit code and stderr holding needle. */
void nt_fails(const nt_node *n, int code, const char *needle, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same in English (LANG=en_US.UTF-8). */
void nt_fails_en(const nt_node *n, int code, const char *needle, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Runs with --json, checks exit 0 and parses stdout; the caller deletes. */
cJSON *nt_json(const nt_node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* hay (may be NULL) holds needle. */
bool nt_has(const char *hay, const char *needle);

/* Asserts the run exited with code, printing stderr when not. */
void nt_expect(const pxt_run *r, int code, const char *what);

/* Number of items of the JSON array printed by `member list --all --json`
 * (optionally for a community). */
int nt_member_count(const nt_node *n, const char *community);

/* Path of the LMDB file. Caller frees. */
char *nt_mdb(const nt_node *n);

#endif
