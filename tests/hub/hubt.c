#define _GNU_SOURCE
#include "hubt.h"
#include "pxt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
hubt_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t l = sizeof a;
	int port = -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &l) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

pid_t
hubt_spawn(const char *log, const char *const argv[])
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* Dies with the test: a failed assertion leaves no process behind. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(127);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	int nul = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (nul >= 0)
		dup2(nul, 0);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

int
hubt_wait(pid_t pid)
{
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

bool
hubt_wait_log(pid_t pid, const char *log, const char *needle, int max_seconds)
{
	for (int i = 0; i < max_seconds * 20; i++) {
		if (pxt_file_contains(log, needle, strlen(needle)))
			return true;
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return false;
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return false;
}

int
hubt_stop(pid_t pid)
{
	kill(pid, SIGTERM);
	return hubt_wait(pid);
}

void
hubt_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	hubt_wait(pid);
}

bool
hubt_request(int port, const char *method, const char *path, const char *extra, const char *body,
             hubt_http *out)
{
	memset(out, 0, sizeof *out);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* A hub that never answers fails the call, not the whole test run. */
	struct timeval tv = {60, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return false;
	}
	char req[8192];
	size_t blen = body ? strlen(body) : 0;
	int n = snprintf(req, sizeof req,
	                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s%s"
	                 "Content-Length: %zu\r\n\r\n%s",
	                 method, path, port, extra ? extra : "",
	                 body ? "Content-Type: application/x-www-form-urlencoded\r\n" : "", blen,
	                 body ? body : "");
	if (write(fd, req, (size_t)n) != n) {
		close(fd);
		return false;
	}
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	ssize_t r;
	while (buf != NULL && (r = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)r;
		if (cap - len - 1 == 0) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	if (buf == NULL)
		return false;
	buf[len] = '\0';
	char *sep = strstr(buf, "\r\n\r\n");
	if (sep == NULL || sscanf(buf, "HTTP/1.%*d %d", &out->status) != 1) {
		free(buf);
		return false;
	}
	*sep = '\0';
	out->headers = strdup(buf);
	out->body_len = len - (size_t)(sep + 4 - buf);
	out->body = malloc(out->body_len + 1);
	memcpy(out->body, sep + 4, out->body_len);
	out->body[out->body_len] = '\0';
	free(buf);
	return true;
}

bool
hubt_get(int port, const char *path, const char *extra, hubt_http *out)
{
	return hubt_request(port, "GET", path, extra, NULL, out);
}

void
hubt_http_free(hubt_http *r)
{
	free(r->headers);
	free(r->body);
	memset(r, 0, sizeof *r);
}

bool
hubt_header(const hubt_http *r, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);
	for (const char *p = r->headers; p != NULL && *p;) {
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			size_t l = strcspn(v, "\r\n");
			if (l >= size)
				l = size - 1;
			memcpy(out, v, l);
			out[l] = '\0';
			return true;
		}
		p = strstr(p, "\r\n");
		if (p != NULL)
			p += 2;
	}
	return false;
}

char *
hubt_sh(int expect, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	pxt_run r = pxt_sh("%s", cmd);
	if (r.status != expect)
		fprintf(stderr, "command: %s\nexit %d\nstdout: %s\nstderr: %s\n", cmd, r.status, r.out,
		        r.err);
	assert_int_equal(r.status, expect);
	free(r.err);
	return r.out;
}
