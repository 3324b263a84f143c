/*
 * member.h - member validation shared by `member add|edit` and
 * `member import`, and the status changes of `member edit` and
 * `protocol sign|cancel` (node engineer's internal header).
 */
#ifndef NODE_MEMBER_H
#define NODE_MEMBER_H

#include "node.h"

/* Text of each field as given (option or CSV cell); NULL = not given. */
typedef struct member_fields {
	const char *family, *first, *birth, *org, *job_title, *discipline, *email, *role, *status,
	    *joined, *consent, *left, *imposed;
} member_fields;

/* Cache of organization names for lookups by name (import). */
typedef struct member_orgs member_orgs;
px_err member_orgs_load(px_node *n, px_txn *txn, member_orgs **out) PX_NODISCARD;
void member_orgs_free(member_orgs *o);

/*
 * Checks f and writes it into m. add: m is a fresh record (defaults
 * applied: status candidate, role member, joined today, org = the node's
 * own organization). owned: m is an unpacked message whose strings are
 * replaced with copies (edit); otherwise pointers are borrowed from f.
 * orgs may be NULL (then names are resolved with a scan).
 * On PX_EINVAL, why holds the reason in the user's language.
 * A status change is NOT applied here (see member_set_status).
 */
px_err member_fill(px_node *n, px_txn *txn, const member_fields *f, Praxis__Member *m, bool add,
                   bool owned, member_orgs *orgs, char *why, size_t whylen) PX_NODISCARD;

/* Adds the change to status `to` (on date, for reason, copied) to m's
 * history and sets m's status; m is an unpacked message. PX_ENOMEM leaves
 * the status as it was. */
px_err member_set_status(Praxis__Member *m, Praxis__MemberStatus to, int32_t date, const char *reason) PX_NODISCARD;

/* Parses a status word; on error why is filled. ERASED is refused (that
 * is `member remove`). */
px_err member_parse_status(const char *s, int *out, char *why, size_t whylen) PX_NODISCARD;

#endif
