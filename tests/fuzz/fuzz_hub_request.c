/*
 * fuzz_hub_request.c - every praxis.Hub request decoder and the hub's
 * validation behind it (hub/service.c, hub/hubdb.c, src/report): the
 * payload of a well-formed, authenticated, fresh call from an enrolled
 * node is fuzzed. data[0] picks the method:
 *   0 Ping  1 Enroll  2 SubmitReport  3 ListReports  4 Aggregate
 *   5 SubmitReport whose CommunityReport is data[1..] signed by the
 *     enrolled node itself (px_report_sign), so the schema checks, the
 *     idempotence rule and the storage path are reached, not only the
 *     signature check.
 * The payloads of 2 and 5 are also sent to SubmitReports (a
 * SubmitReportRequest is a one-report SubmitReportsRequest on the wire;
 * for 5, twice the same report: a duplicate inside one batch).
 * A malformed payload must be INVALID_ARGUMENT (or another refusal),
 * never a crash and never INTERNAL.
 */
#include "fuzz_hubenv.h"

#include "hub.pb-c.h"
#include "px_crypto.h"
#include "px_report.h"
#include "rpc.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const pxf_methods[] = {"Ping", "Enroll", "SubmitReport", "ListReports",
                                          "Aggregate"};

static px_identity *pxf_signer;

static int
pxf_send(const char *method, const uint8_t *payload, size_t len)
{
	static uint64_t reqid;
	char full[64];
	snprintf(full, sizeof full, "praxis.Hub/%s", method);
	Praxis__Rpc__Request rq = PRAXIS__RPC__REQUEST__INIT;
	rq.method = full;
	rq.request_id = ++reqid;
	rq.sent_ms = pxf_now_ms();
	rq.payload.data = (uint8_t *)payload;
	rq.payload.len = len;
	size_t n = praxis__rpc__request__get_packed_size(&rq);
	uint8_t *buf = malloc(n ? n : 1);
	if (buf == NULL)
		return -1;
	praxis__rpc__request__pack(&rq, buf);
	int code = pxf_hub_call_boxed(buf, n);
	free(buf);
	if (code == 13 || code == 2) {
		fprintf(stderr, "fuzz: %s answered code %d (INTERNAL/UNKNOWN) to a bad payload\n",
		        method, code);
		abort();
	}
	return code;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 20))
		return 0;
	pxf_hub_env();
	unsigned sel = data[0] % 6;
	if (sel < 5) {
		(void)pxf_send(pxf_methods[sel], data + 1, size - 1);
		if (sel == 2)
			(void)pxf_send("SubmitReports", data + 1, size - 1);
		return 0;
	}
	if (pxf_signer == NULL) {
		/* The same seed as the enrolled key of fuzz_hubenv.c. */
		uint8_t seed[PX_SEED_BYTES];
		memset(seed, 0x5a, sizeof seed);
		if (px_identity_from_seed(&pxf_signer, seed) != PX_OK)
			abort();
	}
	Praxis__CommunityReport *r = praxis__community_report__unpack(NULL, size - 1, data + 1);
	if (r == NULL)
		return 0;
	Praxis__SignedReport *sr = NULL;
	if (px_report_sign(r, pxf_signer, &sr) == PX_OK) {
		Praxis__SubmitReportRequest q = PRAXIS__SUBMIT_REPORT_REQUEST__INIT;
		q.report = sr;
		size_t n = praxis__submit_report_request__get_packed_size(&q);
		uint8_t *buf = malloc(n ? n : 1);
		if (buf != NULL) {
			praxis__submit_report_request__pack(&q, buf);
			(void)pxf_send("SubmitReport", buf, n);
			free(buf);
		}
		Praxis__SignedReport *two[] = {sr, sr};
		Praxis__SubmitReportsRequest qs = PRAXIS__SUBMIT_REPORTS_REQUEST__INIT;
		qs.reports = two;
		qs.n_reports = 2;
		n = praxis__submit_reports_request__get_packed_size(&qs);
		buf = malloc(n ? n : 1);
		if (buf != NULL) {
			praxis__submit_reports_request__pack(&qs, buf);
			(void)pxf_send("SubmitReports", buf, n);
			free(buf);
		}
	}
	px_signed_report_free(sr);
	praxis__community_report__free_unpacked(r, NULL);
	return 0;
}
