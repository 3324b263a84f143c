/*
 * sync.h - the node side of federation (owner: hub engineer): the hub
 * pinned at enrollment, community reports built per community and period
 * into an LMDB outbox, and their delivery to the hub.
 *
 * Config (node "config" database, text values):
 *   hub_addr    RPC address of the hub, from the join token
 *   hub_key     hub's Ed25519 public key, hex, pinned at enrollment
 *   hub_tenant  the tenant name the hub gave this node
 *   community_uid_prefix  16 hex chars fixed at the first report, so that
 *               community uids survive a node key rotation
 * Outbox ("outbox" database): key community_uid|0x00|period -> OutboxEntry
 * (proto/hub.proto). One entry per (community, period), holding the latest
 * revision, signed once; pending until the hub answered OK, which it does
 * only after its own commit. A new revision is made only when the
 * report's content (without revision and generation time) changed.
 */
#ifndef NODE_SYNC_H
#define NODE_SYNC_H

#include "node.h"
#include "px_crypto.h"
#include "px_report.h"
#include "hub.pb-c.h"

#define SYNC_CFG_HUB_ADDR "hub_addr"
#define SYNC_CFG_HUB_KEY "hub_key"
#define SYNC_CFG_HUB_TENANT "hub_tenant"
#define SYNC_CFG_UID_PREFIX "community_uid_prefix"

/* The node identity (node.key), passphrase from $PRAXIS_NODE_PASSPHRASE
 * when the key is sealed. *out freed with px_identity_free. */
px_err outbox_identity(px_node *n, px_identity **out) PX_NODISCARD;

/* Builds the report of one community for one period and stores it in the
 * outbox as a new revision if its content changed. *revision is the
 * entry's revision after the call, *changed whether a new one was made. */
px_err outbox_build(px_node *n, const px_identity *id, uint64_t community, px_period period,
                    bool *changed, uint32_t *revision) PX_NODISCARD;
/* Same for every community and each period; counts built and unchanged ones. */
px_err outbox_build_all(px_node *n, const px_identity *id, const px_period *periods, size_t np,
                        size_t *built, size_t *same) PX_NODISCARD;

/* Keys of the pending entries, in an array the caller frees. */
typedef struct outbox_key {
	uint8_t k[256];
	size_t len;
} outbox_key;
px_err outbox_pending(px_node *n, outbox_key **keys, size_t *count) PX_NODISCARD;
/* The entry under key; *out freed with protobuf_c_message_free_unpacked. */
px_err outbox_get(px_node *n, const outbox_key *key, Praxis__OutboxEntry **out) PX_NODISCARD;
/* What became of one pending entry sent to the hub: acknowledged (error
 * NULL: the hub said OK after its commit) or a failed attempt (error kept
 * for `outbox list`). key and error are borrowed for the call. */
typedef struct outbox_outcome {
	const outbox_key *key;
	uint32_t revision; /* the revision sent */
	const char *error;
} outbox_outcome;
/* Records the outcomes of a batch in one transaction. An acknowledged
 * entry stops being pending only if it still holds the revision sent (a
 * newer one built meanwhile stays pending, untouched). */
px_err outbox_settle(px_node *n, const outbox_outcome *v, size_t count) PX_NODISCARD;
/* Signs the entry again with id: as a new revision when bump (the hub has
 * other bytes under this revision), else the same (after a key rotation). */
px_err outbox_resign(px_node *n, const px_identity *id, const outbox_key *key, bool bump) PX_NODISCARD;

/* Calls fn for every entry (pending or not), in key order. */
typedef void (*outbox_fn)(void *arg, const Praxis__OutboxEntry *e);
px_err outbox_each(px_node *n, outbox_fn fn, void *arg) PX_NODISCARD;

#endif /* NODE_SYNC_H */
