#define _GNU_SOURCE
#include "pxt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *
pxt_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	size_t n = strlen(base) + strlen(tag) + 32;
	char *dir = malloc(n);
	if (dir == NULL)
		return NULL;
	snprintf(dir, n, "%s/pxt-%s-XXXXXX", base, tag);
	if (mkdtemp(dir) == NULL) {
		free(dir);
		return NULL;
	}
	return dir;
}

void
pxt_tmpdir_free(char *dir)
{
	if (dir == NULL)
		return;
	if (getenv("PXT_KEEP") == NULL) {
		pxt_run r = pxt_sh("rm -rf '%s'", dir);
		pxt_run_free(&r);
	}
	free(dir);
}

static char *
pxt_slurp_fd(FILE *f)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (buf == NULL)
		return NULL;
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	return buf;
}

pxt_run
pxt_sh(const char *fmt, ...)
{
	pxt_run r = {-1, NULL, NULL};
	char cmd[16384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);

	char errpath[] = "/tmp/pxt-stderr-XXXXXX";
	int efd = mkstemp(errpath);
	if (efd < 0)
		return r;
	char full[16500];
	snprintf(full, sizeof full, "exec </dev/null 2>'%s'; %s", errpath, cmd);
	FILE *p = popen(full, "r");
	if (p == NULL) {
		close(efd);
		unlink(errpath);
		return r;
	}
	r.out = pxt_slurp_fd(p);
	int st = pclose(p);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	FILE *ef = fdopen(efd, "r");
	if (ef != NULL) {
		r.err = pxt_slurp_fd(ef);
		fclose(ef);
	} else {
		close(efd);
	}
	unlink(errpath);
	return r;
}

void
pxt_run_free(pxt_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

char *
pxt_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = pxt_slurp_fd(f);
	if (buf != NULL && len != NULL) {
		fseek(f, 0, SEEK_END);
		*len = (size_t)ftell(f);
	}
	fclose(f);
	return buf;
}

bool
pxt_write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return false;
	bool ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

bool
pxt_file_contains(const char *path, const void *needle, size_t len)
{
	size_t n = 0;
	char *buf = pxt_read_file(path, &n);
	if (buf == NULL)
		return false;
	bool found = memmem(buf, n, needle, len) != NULL;
	free(buf);
	return found;
}
