#define _GNU_SOURCE
#include "node_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NT_EN "LANG=en_US.UTF-8 LC_ALL= LC_MESSAGES="

static pxt_run
nt_vrun(const nt_node *n, const char *env, const char *fmt, va_list ap)
{
	char args[12000];
	vsnprintf(args, sizeof args, fmt, ap);
	return pxt_sh("%s %s/praxis-node --data '%s' %s", env, PXT_BIN_DIR, n->data, args);
}

pxt_run
nt_run(const nt_node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pxt_run r = nt_vrun(n, "", fmt, ap);
	va_end(ap);
	return r;
}

pxt_run
nt_run_en(const nt_node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pxt_run r = nt_vrun(n, NT_EN, fmt, ap);
	va_end(ap);
	return r;
}

bool
nt_has(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

/* Runs fmt, asserts exit code and, when needle is not NULL, that the
 * stream (stdout for 0, else stderr) holds it. */
static void
nt_vcheck(const nt_node *n, const char *env, int code, const char *needle, const char *fmt, va_list ap)
{
	pxt_run r = nt_vrun(n, env, fmt, ap);
	nt_expect(&r, code, fmt);
	const char *in = code == 0 ? r.out : r.err;
	if (in == NULL)
		in = "";
	if (needle != NULL && !nt_has(in, needle))
		fprintf(stderr, "%s: %s lacks '%s':\n%s\n", fmt, code == 0 ? "stdout" : "stderr", needle, in);
	assert_true(needle == NULL || nt_has(in, needle));
	pxt_run_free(&r);
}

void
nt_ok(const nt_node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nt_vcheck(n, "", 0, NULL, fmt, ap);
	va_end(ap);
}

void
nt_says(const nt_node *n, const char *needle, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nt_vcheck(n, "", 0, needle, fmt, ap);
	va_end(ap);
}

void
nt_fails(const nt_node *n, int code, const char *needle, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nt_vcheck(n, "", code, needle, fmt, ap);
	va_end(ap);
}

void
nt_fails_en(const nt_node *n, int code, const char *needle, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nt_vcheck(n, NT_EN, code, needle, fmt, ap);
	va_end(ap);
}

void
nt_expect(const pxt_run *r, int code, const char *what)
{
	if (r->status != code)
		fprintf(stderr, "%s: exit %d, expected %d\n--- stdout\n%s\n--- stderr\n%s\n", what, r->status, code,
		        r->out != NULL ? r->out : "", r->err != NULL ? r->err : "");
	assert_int_equal(r->status, code);
}

cJSON *
nt_json(const nt_node *n, const char *fmt, ...)
{
	char args[12000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	pxt_run r = pxt_sh("%s/praxis-node --data '%s' --json %s", PXT_BIN_DIR, n->data, args);
	nt_expect(&r, 0, args);
	cJSON *j = cJSON_Parse(r.out);
	if (j == NULL)
		fprintf(stderr, "not JSON: %s\n", r.out);
	assert_non_null(j);
	pxt_run_free(&r);
	return j;
}

void
nt_init(nt_node *n, const char *tag)
{
	n->dir = pxt_tmpdir(tag);
	assert_non_null(n->dir);
	assert_true(asprintf(&n->data, "%s/data", n->dir) > 0);
	pxt_run r = nt_run(n, "init --name 'Org Test' --region Laurentides --director 'Directrice Test'");
	nt_expect(&r, 0, "init");
	pxt_run_free(&r);
}

void
nt_fini(nt_node *n)
{
	free(n->data);
	pxt_tmpdir_free(n->dir);
}

int
nt_member_count(const nt_node *n, const char *community)
{
	cJSON *j = community != NULL ? nt_json(n, "member list --all --community '%s'", community)
	                             : nt_json(n, "member list --all");
	assert_true(cJSON_IsArray(j));
	int c = cJSON_GetArraySize(j);
	cJSON_Delete(j);
	return c;
}

char *
nt_mdb(const nt_node *n)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/node.mdb", n->data) > 0);
	return p;
}
