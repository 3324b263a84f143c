/*
 * fuzz_hubenv.h - a real hub for the RPC fuzz targets: hub.mdb in a fresh
 * directory (under /dev/shm when it exists, so fsync costs nothing), the
 * praxis.Hub service on px_rpc over nng's inproc transport, one tenant
 * with the fuzzer's key enrolled (so authenticated methods get past the
 * authorizer), and a raw req0 socket speaking the wire format by hand.
 * Started once per process; the directory is removed at exit.
 */
#ifndef FUZZ_HUBENV_H
#define FUZZ_HUBENV_H

#include <stddef.h>
#include <stdint.h>

/* Starts the hub on first call; aborts when it cannot (a broken harness
 * must not look like a clean fuzz run). */
void pxf_hub_env(void);
/* Sends wire bytes as one message and waits for the reply. Aborts when
 * the reply is not a well-formed plain ("PX0") or boxed ("PX1") reply that
 * decrypts and unpacks as praxis.rpc.Reply: the server must answer every
 * message it can read, and answer it well. Returns the status code, or
 * -1 when nothing came back (nng may drop an oversize message). */
int pxf_hub_roundtrip(const uint8_t *wire, size_t len);
/* Boxes plain (a packed praxis.rpc.Request, or anything) as the enrolled
 * node would, sends it, and checks the reply as above. */
int pxf_hub_call_boxed(const uint8_t *plain, size_t len);
/* Milliseconds now (for sent_ms). */
int64_t pxf_now_ms(void);

#endif
