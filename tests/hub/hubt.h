/*
 * hubt.h - helpers of the hub tests: free ports, child processes (the
 * real praxis-hub and praxis-node binaries), a tiny HTTP/1.1 client over
 * a raw socket (curl is not guaranteed on the machine).
 */
#ifndef HUBT_H
#define HUBT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Runs a shell command line built from fmt; fails the test (printing the
 * command, its exit status and output) unless it exits with `expect`.
 * Returns its stdout (caller frees). */
char *hubt_sh(int expect, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A TCP port free on 127.0.0.1 right now (bound, read, closed). */
int hubt_free_port(void);

/* Starts argv[0] with argv, stdout and stderr appended to log. */
pid_t hubt_spawn(const char *log, const char *const argv[]);
/* Waits until log contains needle or the child exits; false then. */
bool hubt_wait_log(pid_t pid, const char *log, const char *needle, int max_seconds);
/* SIGTERM then waitpid: the exit status (128+sig when killed). */
int hubt_stop(pid_t pid);
/* SIGKILL then waitpid. */
void hubt_kill(pid_t pid);
/* waitpid: exit status (128+sig when killed). */
int hubt_wait(pid_t pid);

typedef struct hubt_http {
	int status;
	char *headers; /* raw header block, NUL-terminated */
	char *body;    /* NUL-terminated */
	size_t body_len;
} hubt_http;

/* GET path from 127.0.0.1:port with extra header lines (may be NULL, each
 * ending with \r\n). false when the connection failed. */
bool hubt_get(int port, const char *path, const char *extra_headers, hubt_http *out);
bool hubt_request(int port, const char *method, const char *path, const char *extra_headers,
                  const char *body, hubt_http *out);
void hubt_http_free(hubt_http *r);
/* The header's value (first match, case-insensitive name) into out. */
bool hubt_header(const hubt_http *r, const char *name, char *out, size_t size);

#endif
