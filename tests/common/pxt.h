/*
 * pxt.h - helpers shared by all tests (with cmocka).
 *
 * PXT_BIN_DIR, PXT_PLUGIN_DIR and PXT_SOURCE_DIR are set by tests/CMakeLists.txt.
 */
#ifndef PXT_H
#define PXT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>

/* A fresh directory under $TMPDIR (or /tmp); the caller frees the string
 * with pxt_tmpdir_free, which also removes the tree. */
char *pxt_tmpdir(const char *tag);
void pxt_tmpdir_free(char *dir);

/* Output of a command run with /bin/sh -c; free with pxt_run_free. */
typedef struct pxt_run {
	int status;   /* exit code, or 128+signal */
	char *out;    /* stdout, NUL-terminated */
	char *err;    /* stderr, NUL-terminated */
} pxt_run;

/* Runs the shell command built from fmt (printf-style), stdin from
 * /dev/null, and captures stdout and stderr. */
pxt_run pxt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pxt_run_free(pxt_run *r);

/* Reads a whole file; NULL on error; *len set when len != NULL. Free with free(). */
char *pxt_read_file(const char *path, size_t *len);
bool pxt_write_file(const char *path, const char *data, size_t len);
/* True when needle (len bytes) occurs in the file's bytes. */
bool pxt_file_contains(const char *path, const void *needle, size_t len);

#endif
