/*
 * px_store.h - LMDB environment in a data directory, named databases,
 * typed put/get/scan of packed protobuf-c values, secondary indexes.
 *
 * Only this module includes lmdb.h. One environment per process.
 * Writes are durable when px_txn_commit() returns PX_OK (no MDB_NOSYNC,
 * MDB_MAPASYNC or MDB_NOMEMINIT, ever). Stale reader slots left by killed
 * processes are cleared at open (mdb_reader_check).
 *
 * Threads: a px_store may be shared by threads; a px_txn belongs to the
 * thread that began it. One write transaction at a time (LMDB's rule).
 */
#ifndef PX_STORE_H
#define PX_STORE_H

#include "px.h"
#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct px_store px_store;
typedef struct px_txn px_txn;

/* A database handle: index into the names given to px_store_open. */
typedef struct px_db { int id; } px_db;

typedef struct px_store_opts {
	const char *dir;          /* data directory, created 0700 if missing */
	const char *file;         /* environment file name, e.g. "node.mdb" */
	size_t map_size;          /* bytes; 0 = 1 GiB default */
	const char *const *dbs;   /* NULL-terminated names of the named databases */
	uint32_t schema_version;  /* expected version, kept in the "meta" database */
	/* Called inside a write transaction when the stored version is older
	 * (from < to); NULL = refuse older stores with PX_EVERSION. */
	px_err (*migrate)(px_txn *txn, uint32_t from, uint32_t to, void *arg);
	void *migrate_arg;
	bool read_only;
} px_store_opts;

/* Opens (creating if needed) the environment. *out is freed by
 * px_store_close. Errors: PX_EIO, PX_EVERSION, PX_ECORRUPT, PX_EFULL,
 * PX_EINVAL (bad options), PX_ENOTFOUND (read-only and no file), PX_EPERM. */
px_err px_store_open(px_store **out, const px_store_opts *opts) PX_NODISCARD;
void px_store_close(px_store *st);           /* NULL does nothing */
px_db px_store_db(px_store *st, const char *name); /* id -1 if unknown */
const char *px_store_path(const px_store *st);     /* the data file path */
/* Copies the environment compacted (MDB_CP_COMPACT) to a temporary file,
 * fsyncs it and renames it over the data file, then reopens: freed pages, and
 * what was in them, are gone (erased personal data leaves the file).
 * Needs no other open transaction in this
 * process. PX_EPRECOND when another process has the environment open (it
 * would keep writing to the old file); the store stays usable. */
px_err px_store_compact(px_store *st) PX_NODISCARD;

/* Raises the map size to bytes (rounded up by LMDB to whole pages), for a
 * store that answered PX_EFULL on MDB_MAP_FULL: the failed transaction can
 * then be run again. Needs no open transaction in this process. Another
 * process with the environment open adopts the new size when it next begins
 * a transaction with none other open (px_txn_begin handles
 * MDB_MAP_RESIZED). PX_EINVAL if bytes is not larger than the current size. */
px_err px_store_grow(px_store *st, size_t bytes) PX_NODISCARD;

/* Drops this process's mappings of the data file's pages. The pages stay
 * in the page cache (LMDB writes through the file, never through the map)
 * and the next read maps them again, so resident memory (RSS) counts only
 * the pages read since: for long scans of a large file, where Linux maps
 * up to 16 cached neighbours of each page read ("fault-around"). Call it
 * with a transaction of st open, so that the map cannot move meanwhile.
 * Values borrowed from the map stay valid. PX_EINVAL; PX_ENOTFOUND when
 * the map is not found in /proc/self/maps (nothing done). */
px_err px_store_release(px_store *st) PX_NODISCARD;

/* Sizes of the environment, for "storage full" messages and tests. */
typedef struct px_store_stats {
	size_t map_size;    /* bytes the map may reach */
	size_t page_size;
	size_t pages_used;  /* last page number + 1 */
	size_t file_size;   /* bytes of the data file on disk */
	bool durable;       /* none of MDB_NOSYNC, MDB_NOMETASYNC, MDB_MAPASYNC,
	                     * MDB_WRITEMAP, MDB_NOMEMINIT is set on the environment */
} px_store_stats;
px_err px_store_info(px_store *st, px_store_stats *out) PX_NODISCARD;
/* Schema version kept in "meta" (PX_ENOTFOUND in a read-only store never
 * written). */
px_err px_store_version(px_txn *txn, uint32_t *out) PX_NODISCARD;

px_err px_txn_begin(px_store *st, bool write, px_txn **out) PX_NODISCARD;
/* Commits and frees txn. A failed commit (PX_EFULL, PX_EIO) has written
 * nothing; txn is freed either way. Once an operation of a write txn failed
 * with PX_EFULL, PX_EIO, PX_ECORRUPT or PX_ENOMEM, the txn stays failed:
 * every later call returns that error and commit aborts and returns it
 * (PX_ENOTFOUND, PX_EEXISTS, PX_EINVAL, PX_ETOOBIG, PX_EPERM leave it usable).
 * Map full (MDB_MAP_FULL) and a full disk (ENOSPC, EDQUOT, EFBIG) are PX_EFULL. */
px_err px_txn_commit(px_txn *txn) PX_NODISCARD;
void px_txn_abort(px_txn *txn);              /* NULL does nothing */

/* A value borrowed from the map: valid until the next write in this
 * transaction or its end. */
typedef struct px_val { const void *data; size_t size; } px_val;

/* PX_EPERM in a read transaction. Old values stay in LMDB's free pages
 * until px_store_compact (px_del zeroes the value in place first). */
px_err px_put(px_txn *txn, px_db db, const void *key, size_t klen, const void *val,
              size_t vlen) PX_NODISCARD;
/* As px_put, but PX_EEXISTS if the key is present. */
px_err px_put_new(px_txn *txn, px_db db, const void *key, size_t klen, const void *val,
                  size_t vlen) PX_NODISCARD;
px_err px_get(px_txn *txn, px_db db, const void *key, size_t klen, px_val *out) PX_NODISCARD;
px_err px_del(px_txn *txn, px_db db, const void *key, size_t klen) PX_NODISCARD;

/* Packed protobuf-c values. px_get_msg returns a message the caller frees
 * with protobuf_c_message_free_unpacked(msg, NULL); PX_ECORRUPT if the bytes
 * do not unpack. */
px_err px_put_msg(px_txn *txn, px_db db, const void *key, size_t klen,
                  const ProtobufCMessage *msg) PX_NODISCARD;
px_err px_get_msg(px_txn *txn, px_db db, const void *key, size_t klen,
                  const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out) PX_NODISCARD;

/* Scan keys starting with prefix (plen 0 = all, plen <= 511), in key order.
 * The callback must not write to db while it scans. The callback
 * returns PX_OK to go on, PX_ENOTFOUND to stop early (not an error for the
 * caller), anything else to stop and have px_scan return it. Key and value
 * are borrowed for the call only. */
typedef px_err (*px_scan_fn)(void *arg, px_val key, px_val val);
px_err px_scan(px_txn *txn, px_db db, const void *prefix, size_t plen, px_scan_fn fn,
               void *arg) PX_NODISCARD;
/* Reverse order from the last key with the prefix. */
px_err px_scan_rev(px_txn *txn, px_db db, const void *prefix, size_t plen, px_scan_fn fn,
                   void *arg) PX_NODISCARD;
/* As px_scan, over the store's latest data in short read transactions:
 * a new one every `chunk` entries (0: 4096), which resumes after the last
 * key seen. A long scan never pins an old snapshot, so writers keep
 * reusing freed pages (LMDB cannot reuse a page freed after its oldest
 * reader began, and the file grows instead). fn gets the chunk's
 * transaction, for reads of other databases consistent with the entry.
 * A key present for the whole scan is seen once, in order, with its value
 * at some moment of the scan; a key added or removed meanwhile may or may
 * not be. With release, px_store_release runs between chunks. */
typedef px_err (*px_scan_txn_fn)(void *arg, px_txn *txn, px_val key, px_val val);
px_err px_scan_chunked(px_store *st, px_db db, const void *prefix, size_t plen, size_t chunk,
                       bool release, px_scan_txn_fn fn, void *arg) PX_NODISCARD;
/* Number of entries of a database. */
px_err px_count(px_txn *txn, px_db db, size_t *out) PX_NODISCARD;

/* Next id of a named sequence, stored in "meta" (write txn). Starts at 1. */
px_err px_seq_next(px_txn *txn, const char *name, uint64_t *out) PX_NODISCARD;
/* Small values in the meta database (write or read txn). */
px_err px_meta_put(px_txn *txn, const char *name, const void *val, size_t vlen) PX_NODISCARD;
px_err px_meta_get(px_txn *txn, const char *name, px_val *out) PX_NODISCARD;

/* Key helpers: big-endian so keys sort the way scans need them. */
static inline void
px_be64(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}
static inline uint64_t
px_rd64(const uint8_t in[8])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return v;
}

#ifdef __cplusplus
}
#endif
#endif /* PX_STORE_H */
