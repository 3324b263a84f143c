/*
 * relt_report.h - the signed report the load and kill tests send: one
 * monthly Laurentides community report with one indicator (12 members).
 */
#ifndef RELT_REPORT_H
#define RELT_REPORT_H

#include "px_crypto.h"
#include "px_report.h"

/* Signed by id; NULL if signing failed. Free with px_signed_report_free. */
Praxis__SignedReport *relt_report(const px_identity *id, const char *uid, const char *name,
                                  const char *period, int64_t generated_at);

#endif
