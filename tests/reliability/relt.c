/*
 * relt.c - see relt.h.
 */
#define _GNU_SOURCE
#include "relt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *
relt_hub_bin(void)
{
	return PXT_BIN_DIR "/praxis-hub";
}

const char *
relt_node_bin(void)
{
	return PXT_BIN_DIR "/praxis-node";
}

double
relt_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void
relt_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int
relt_port_once(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t l = sizeof a;
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &l), 0);
	close(s);
	return ntohs(a.sin_port);
}

int
relt_free_port(void)
{
	/* The kernel may hand the same free port out twice in a row: never
	 * give one this process already gave. */
	static int given[256];
	static size_t ngiven;
	for (;;) {
		int p = relt_port_once();
		bool dup = false;
		for (size_t i = 0; i < ngiven; i++)
			dup |= given[i] == p;
		if (dup)
			continue;
		if (ngiven < sizeof given / sizeof given[0])
			given[ngiven++] = p;
		return p;
	}
}

long
relt_rss_kb(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	char line[256];
	long kb = -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static pxt_run
relt_vcmd(const char *bin, const char *data, const char *fmt, va_list ap)
{
	char *args = NULL;
	if (vasprintf(&args, fmt, ap) < 0)
		args = NULL;
	assert_non_null(args);
	pxt_run r = pxt_sh("%s --data '%s' %s", bin, data, args);
	free(args);
	return r;
}

pxt_run
relt_hub_cmd(const relt_hub *h, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pxt_run r = relt_vcmd(relt_hub_bin(), h->data, fmt, ap);
	va_end(ap);
	return r;
}

pxt_run
relt_node_cmd(const relt_node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pxt_run r = relt_vcmd(relt_node_bin(), n->data, fmt, ap);
	va_end(ap);
	return r;
}

void
relt_hub_init(relt_hub *h, const char *tag, bool http)
{
	relt_hub_init_data(h, tag, http, NULL);
}

void
relt_hub_init_data(relt_hub *h, const char *tag, bool http, const char *data)
{
	memset(h, 0, sizeof *h);
	h->out_fd = -1;
	h->dir = pxt_tmpdir(tag);
	assert_non_null(h->dir);
	if (data != NULL)
		snprintf(h->data, sizeof h->data, "%s", data);
	else
		snprintf(h->data, sizeof h->data, "%s/hub", h->dir);
	snprintf(h->url, sizeof h->url, "tcp://127.0.0.1:%d", relt_free_port());
	if (http)
		snprintf(h->http, sizeof h->http, "127.0.0.1:%d", relt_free_port());
	pxt_run r = relt_hub_cmd(h, "init --listen %s", h->url);
	if (r.status != 0)
		print_error("hub init: %s\n", r.err);
	assert_int_equal(r.status, 0);
	pxt_run_free(&r);
}

bool
relt_hub_start(relt_hub *h)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	char errlog[600];
	snprintf(errlog, sizeof errlog, "%s/hub.err", h->dir);
	pid_t parent = getpid();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Dies with the test: a failed assertion leaves no hub behind. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			_exit(127);
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		int e = open(errlog, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (e >= 0)
			dup2(e, 2);
		if (h->http[0] != '\0')
			execl(relt_hub_bin(), "praxis-hub", "--data", h->data, "serve", "--listen", h->url,
			      "--http", h->http, (char *)NULL);
		else
			execl(relt_hub_bin(), "praxis-hub", "--data", h->data, "serve", "--listen", h->url,
			      "--no-http", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	h->pid = pid;
	h->out_fd = p[0];
	/* Ready when it says so ("prêt" / "ready" on stdout). */
	char buf[1024];
	size_t n = 0;
	double until = relt_ms() + 60000;
	while (relt_ms() < until) {
		struct pollfd pf = {p[0], POLLIN, 0};
		int pr = poll(&pf, 1, 200);
		if (pr > 0) {
			ssize_t k = read(p[0], buf + n, sizeof buf - 1 - n);
			if (k <= 0)
				break; /* exited */
			n += (size_t)k;
			buf[n] = '\0';
			if (strstr(buf, "prêt") != NULL || strstr(buf, "ready") != NULL) {
				h->starts++;
				return true;
			}
			if (n == sizeof buf - 1)
				n = 0;
		}
	}
	print_error("hub did not start (stdout: %.*s); see %s\n", (int)n, buf, errlog);
	relt_hub_stop(h, SIGKILL);
	return false;
}

int
relt_hub_stop(relt_hub *h, int sig)
{
	int st = 0;
	if (h->pid > 0) {
		kill(h->pid, sig);
		while (waitpid(h->pid, &st, 0) < 0 && errno == EINTR)
			;
		h->pid = 0;
	}
	if (h->out_fd >= 0) {
		close(h->out_fd);
		h->out_fd = -1;
	}
	return st;
}

void
relt_hub_fini(relt_hub *h)
{
	relt_hub_stop(h, SIGTERM);
	pxt_tmpdir_free(h->dir);
	h->dir = NULL;
}

char *
relt_tenant_add(const relt_hub *h, const char *name)
{
	pxt_run r = relt_hub_cmd(h, "tenant add %s --region Laurentides --address %s", name, h->url);
	if (r.status != 0)
		print_error("tenant add: %s\n", r.err);
	assert_int_equal(r.status, 0);
	char *tok = strstr(r.out, "pxj1.");
	assert_non_null(tok);
	size_t l = strcspn(tok, " \r\n");
	char *out = strndup(tok, l);
	pxt_run_free(&r);
	return out;
}

void
relt_node_init(relt_node *n, const relt_hub *h, const char *base, const char *name,
               const char *const *communities)
{
	snprintf(n->data, sizeof n->data, "%s/%s", base, name);
	pxt_run r = relt_node_cmd(n, "init --name 'Organisme %s' --region Laurentides", name);
	if (r.status != 0)
		print_error("node init: %s\n", r.err);
	assert_int_equal(r.status, 0);
	pxt_run_free(&r);
	for (size_t i = 0; communities != NULL && communities[i] != NULL; i++) {
		r = relt_node_cmd(n, "community add --name '%s' --framework laurentides --region Laurentides",
		                  communities[i]);
		if (r.status != 0)
			print_error("community add: %s\n", r.err);
		assert_int_equal(r.status, 0);
		pxt_run_free(&r);
	}
	if (h != NULL) {
		char *tok = relt_tenant_add(h, name);
		r = relt_node_cmd(n, "enroll %s", tok);
		if (r.status != 0)
			print_error("enroll: %s\n", r.err);
		assert_int_equal(r.status, 0);
		pxt_run_free(&r);
		free(tok);
	}
}

cJSON *
relt_outbox(const relt_node *n)
{
	pxt_run r = relt_node_cmd(n, "--json outbox list --all");
	cJSON *j = r.status == 0 ? cJSON_Parse(r.out) : NULL;
	if (j == NULL)
		print_error("outbox list: %d %s\n", r.status, r.err);
	pxt_run_free(&r);
	return j;
}

pid_t
relt_spawn(const char *log, const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		cmd = NULL;
	va_end(ap);
	assert_non_null(cmd);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
		int in = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (in >= 0)
			dup2(in, 0);
		/* exec: the pid is the command's, so a signal reaches it and
		 * not only a shell around it. */
		char *full = NULL;
		if (asprintf(&full, "exec %s", cmd) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", full, (char *)NULL);
		_exit(127);
	}
	free(cmd);
	return pid;
}

int
relt_wait(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}
