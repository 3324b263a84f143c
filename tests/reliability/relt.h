/*
 * relt.h - helpers of the reliability tests (issue 7): the real
 * praxis-hub and praxis-node binaries as child processes on loopback,
 * killed with real signals, their memory read from /proc.
 */
#ifndef RELT_H
#define RELT_H

#include "pxt.h"

#include <cjson/cJSON.h>
#include <sys/types.h>

typedef struct relt_hub {
	char *dir;        /* temp dir (pxt_tmpdir), removed by relt_hub_fini */
	char data[512];   /* dir/hub */
	char url[64];     /* tcp://127.0.0.1:PORT */
	char http[64];    /* 127.0.0.1:PORT, "" without the dashboard */
	pid_t pid;        /* serve process, 0 when stopped */
	int out_fd;       /* its stdout (kept open so it never gets SIGPIPE) */
	unsigned starts;  /* successful starts */
} relt_hub;

/* Temp dir + `praxis-hub init --listen` on a free loopback port. */
void relt_hub_init(relt_hub *h, const char *tag, bool http);
/* Same with the hub's data directory at data (e.g. on a small tmpfs). */
void relt_hub_init_data(relt_hub *h, const char *tag, bool http, const char *data);
void relt_hub_fini(relt_hub *h); /* stops it (SIGTERM) and removes the dir */
/* Starts `serve` and waits until it prints that it is ready (at most
 * 60 s, a bound for a broken hub, not a timed assertion). False when it
 * exited or never got ready; the reason is printed. */
bool relt_hub_start(relt_hub *h);
/* Sends sig and reaps it; returns the wait status. */
int relt_hub_stop(relt_hub *h, int sig);
/* Runs `praxis-hub --data DATA <args>`. */
pxt_run relt_hub_cmd(const relt_hub *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* `tenant add NAME --region R --address URL`; returns the token (free()). */
char *relt_tenant_add(const relt_hub *h, const char *name);

typedef struct relt_node {
	char data[600];
} relt_node;

/* `init --name`, one laurentides community per name in communities
 * (NULL-terminated), `enroll` with a fresh tenant of h. */
void relt_node_init(relt_node *n, const relt_hub *h, const char *base, const char *name,
                    const char *const *communities);
pxt_run relt_node_cmd(const relt_node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* `outbox list --all --json`, parsed; NULL on failure. */
cJSON *relt_outbox(const relt_node *n);

/* Starts `sh -c "exec cmd"` in the background (so the pid is the
 * command itself), output to log (or /dev/null). */
pid_t relt_spawn(const char *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Waits for pid; exit code, or 128+signal. */
int relt_wait(pid_t pid);

/* VmRSS of pid in KiB, -1 when unreadable. */
long relt_rss_kb(pid_t pid);
/* A TCP port of 127.0.0.1 free right now. */
int relt_free_port(void);
/* Binaries. */
const char *relt_hub_bin(void);
const char *relt_node_bin(void);
/* Milliseconds on the monotonic clock (for figures, never assertions). */
double relt_ms(void);
/* Sleeps ms milliseconds. */
void relt_sleep_ms(int ms);

#endif
