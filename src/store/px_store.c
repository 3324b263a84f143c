/*
 * px_store.c - the LMDB storage helper (see px_store.h).
 *
 * Durability: the environment is opened with MDB_NOSUBDIR | MDB_NOTLS only.
 * MDB_NOSYNC, MDB_NOMETASYNC, MDB_MAPASYNC, MDB_WRITEMAP and MDB_NOMEMINIT
 * are never used, so a commit that returned is on disk and unused parts of
 * written pages are zeroed rather than filled with old heap bytes.
 *
 * Erasure: LMDB keeps old page versions (free pages) in the file until they
 * are reused. px_store_compact rewrites the file from the live pages only,
 * copying their used parts (not the slack between them), so data replaced
 * or deleted through this API is physically gone once compacted. px_del
 * also zeroes the value in place first, so the bytes do not linger in the
 * page that stays live until then.
 */
#define _GNU_SOURCE
#include "px_store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define STORE_META_NAME "meta"
#define STORE_SCHEMA_KEY "schema_version"
#define STORE_DEFAULT_MAP ((size_t)1 << 30)
/* Key prefixes inside "meta", so callers' names never clash with ours. */
#define STORE_SEQ_PREFIX "s/"
#define STORE_VAL_PREFIX "m/"
#define STORE_NAME_MAX 200

/* LMDB's default largest key (MDB_MAXKEYSIZE). */
#define STORE_KEY_MAX 511

struct px_store {
	MDB_env *env;
	char *path; /* data file */
	char *dir;
	size_t map_size;
	bool read_only;
	int n_dbs;
	char **names; /* n_dbs copies of the caller's names */
	MDB_dbi *dbis;
	bool *present; /* false: absent from a read-only store */
	MDB_dbi meta;
	bool meta_present;
	int lock_fd; /* see px_store_compact; -1 when none */
	/* px_store_release's map address, found once per map size. */
	pthread_mutex_t map_mu;
	void *map_addr;
	size_t map_addr_size;
};

struct px_txn {
	px_store *st;
	MDB_txn *txn;
	bool write;
	px_err failed; /* PX_OK, or the error that broke the transaction */
};

/* Maps an LMDB or errno code; logs the original so it survives. */
static px_err
store_err(int rc, const char *what)
{
	px_err e;
	switch (rc) {
	case MDB_SUCCESS:
		return PX_OK;
	case MDB_NOTFOUND:
		return PX_ENOTFOUND;
	case MDB_KEYEXIST:
		return PX_EEXISTS;
	case MDB_MAP_FULL:
	case ENOSPC:
	case EDQUOT:
	case EFBIG: /* file size limit (RLIMIT_FSIZE): the disk we may use is full */
		e = PX_EFULL;
		break;
	case MDB_TXN_FULL:
	case MDB_READERS_FULL:
	case MDB_DBS_FULL:
		e = PX_EFULL;
		break;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
		e = PX_ECORRUPT;
		break;
	case MDB_VERSION_MISMATCH:
		e = PX_EVERSION;
		break;
	case MDB_BAD_VALSIZE:
		e = PX_ETOOBIG;
		break;
	case ENOMEM:
		e = PX_ENOMEM;
		break;
	case EACCES:
	case EPERM:
		e = PX_EPERM;
		break;
	case ENOENT:
		e = PX_ENOTFOUND;
		break;
	case EINVAL:
		e = PX_EINVAL;
		break;
	default:
		e = PX_EIO;
		break;
	}
	px_log(PX_LOG_WARN, "store: %s: %s (%d)", what, mdb_strerror(rc), rc);
	return e;
}

/* LMDB reports a short write as EIO: on a disk that filled up, the last
 * write usually lands partly. Tell "full" from a real I/O error by looking
 * at what is left (free space, or the file size limit of this process). */
static px_err
store_refine(const px_store *st, px_err e)
{
	if (e != PX_EIO || st == NULL || st->path == NULL)
		return e;
	const uint64_t slack = 1u << 20;
	struct statvfs vfs;
	if (statvfs(st->dir, &vfs) == 0) {
		uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
		if (avail < slack)
			return PX_EFULL;
	}
	struct rlimit rl;
	struct stat sb;
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    stat(st->path, &sb) == 0 && (uint64_t)sb.st_size + slack >= (uint64_t)rl.rlim_cur)
		return PX_EFULL;
	return e;
}

/* Marks txn failed: LMDB refuses every later operation on it too
 * (MDB_TXN_ERROR); we answer with the first error rather than MDB_BAD_TXN. */
static px_err
store_fail(px_txn *t, px_err e)
{
	e = store_refine(t->st, e);
	if (t->write && e != PX_OK && e != PX_ENOTFOUND && e != PX_EEXISTS && e != PX_EINVAL &&
	    e != PX_ETOOBIG && e != PX_EPERM && t->failed == PX_OK)
		t->failed = e;
	return e;
}

static bool
store_db_ok(px_txn *t, px_db db, MDB_dbi *out)
{
	if (t == NULL || db.id < 0 || db.id >= t->st->n_dbs)
		return false;
	*out = t->st->dbis[db.id];
	return t->st->present[db.id];
}

static void
store_free(px_store *st)
{
	if (st == NULL)
		return;
	if (st->env != NULL)
		mdb_env_close(st->env);
	/* Closed only now that no environment is open: closing any descriptor
	 * of the lock file drops every fcntl lock this process holds on it,
	 * LMDB's included. */
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	if (st->names != NULL)
		for (int i = 0; i < st->n_dbs; i++)
			free(st->names[i]);
	free(st->names);
	free(st->dbis);
	free(st->present);
	free(st->path);
	free(st->dir);
	pthread_mutex_destroy(&st->map_mu);
	free(st);
}

/* Creates dir (and missing parents) 0700. An existing directory is kept as it
 * is: the administrator may have chosen other rights on purpose. */
static px_err
store_mkdir(const char *dir)
{
	char buf[4096];
	if (!px_strlcpy(buf, dir, sizeof buf))
		return PX_EINVAL;
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return store_err(errno, "mkdir");
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return store_err(errno, "mkdir");
	struct stat sb;
	if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		px_log(PX_LOG_ERROR, "%s: %s", buf,
		       PX_T("n'est pas un répertoire", "is not a directory"));
		return PX_EIO;
	}
	return PX_OK;
}

static px_err
store_env_open1(px_store *st)
{
	int rc;
	if ((rc = mdb_env_create(&st->env)) != 0)
		return store_err(rc, "mdb_env_create");
	if ((rc = mdb_env_set_mapsize(st->env, st->map_size)) != 0)
		return store_err(rc, "mdb_env_set_mapsize");
	if ((rc = mdb_env_set_maxdbs(st->env, (MDB_dbi)st->n_dbs + 1)) != 0)
		return store_err(rc, "mdb_env_set_maxdbs");
	/* MDB_NOTLS: read transactions are not tied to a thread slot, so a
	 * thread may hold several and nng callback threads may use them. */
	unsigned flags = MDB_NOSUBDIR | MDB_NOTLS | (st->read_only ? MDB_RDONLY : 0);
	if ((rc = mdb_env_open(st->env, st->path, flags, 0600)) != 0) {
		px_err e = store_err(rc, "mdb_env_open");
		px_log(PX_LOG_ERROR, "%s: %s", st->path,
		       PX_T("impossible d'ouvrir la base de données", "cannot open the database"));
		return e;
	}
	/* Reader slots of processes that died (SIGKILL) would pin old pages
	 * forever and make the file grow: clear them now. */
	int dead = 0;
	if ((rc = mdb_reader_check(st->env, &dead)) != 0)
		return store_err(rc, "mdb_reader_check");
	if (dead > 0)
		px_log(PX_LOG_INFO, "store: %d stale reader slot(s) cleared", dead);
	return PX_OK;
}

/* On failure the environment is closed again, so st->env is NULL or open. */
static px_err
store_env_open(px_store *st)
{
	px_err rv = store_env_open1(st);
	if (rv != PX_OK && st->env != NULL) {
		mdb_env_close(st->env);
		st->env = NULL;
	}
	return rv;
}

static px_err
store_read_version(px_txn *t, uint32_t *ver, bool *found)
{
	MDB_val k = {strlen(STORE_SCHEMA_KEY), (void *)STORE_SCHEMA_KEY}, v;
	int rc = mdb_get(t->txn, t->st->meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		*found = false;
		return PX_OK;
	}
	if (rc != 0)
		return store_err(rc, "read schema version");
	if (v.mv_size != 4)
		return PX_ECORRUPT;
	const uint8_t *b = v.mv_data;
	*ver = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	*found = true;
	return PX_OK;
}

static px_err
store_write_version(px_txn *t, uint32_t ver)
{
	uint8_t b[4] = {(uint8_t)(ver >> 24), (uint8_t)(ver >> 16), (uint8_t)(ver >> 8),
	                (uint8_t)ver};
	MDB_val k = {strlen(STORE_SCHEMA_KEY), (void *)STORE_SCHEMA_KEY}, v = {4, b};
	return store_err(mdb_put(t->txn, t->st->meta, &k, &v, 0), "write schema version");
}

/* Opens the named databases; at first open and after compaction. */
static px_err
store_dbs_open(px_store *st, const px_store_opts *opts)
{
	px_err rv;
	px_txn t = {st, NULL, !st->read_only, PX_OK};
	int rc = mdb_txn_begin(st->env, NULL, st->read_only ? MDB_RDONLY : 0, &t.txn);
	if (rc != 0)
		return store_err(rc, "mdb_txn_begin");
	unsigned cflag = st->read_only ? 0 : MDB_CREATE;
	rc = mdb_dbi_open(t.txn, STORE_META_NAME, cflag, &st->meta);
	if (rc == MDB_NOTFOUND && st->read_only) {
		st->meta_present = false;
	} else if (rc != 0) {
		rv = store_err(rc, "mdb_dbi_open meta");
		goto fail;
	} else {
		st->meta_present = true;
	}
	for (int i = 0; i < st->n_dbs; i++) {
		rc = mdb_dbi_open(t.txn, st->names[i], cflag, &st->dbis[i]);
		if (rc == MDB_NOTFOUND && st->read_only) {
			st->present[i] = false;
			continue;
		}
		if (rc != 0) {
			rv = store_err(rc, "mdb_dbi_open");
			goto fail;
		}
		st->present[i] = true;
	}
	if (opts != NULL) {
		uint32_t ver = 0;
		bool found = false;
		if (st->meta_present && (rv = store_read_version(&t, &ver, &found)) != PX_OK)
			goto fail;
		if (!found) {
			/* A fresh store is created at the current version. */
			if (!st->read_only &&
			    (rv = store_write_version(&t, opts->schema_version)) != PX_OK)
				goto fail;
		} else if (ver > opts->schema_version) {
			px_log(PX_LOG_ERROR, "%s: %s (%u > %u)", st->path,
			       PX_T("base de données d'une version plus récente du logiciel",
			            "database written by a newer version of the software"),
			       ver, opts->schema_version);
			rv = PX_EVERSION;
			goto fail;
		} else if (ver < opts->schema_version) {
			if (opts->migrate == NULL || st->read_only) {
				px_log(PX_LOG_ERROR, "%s: %s (%u < %u)", st->path,
				       PX_T("base de données d'une version plus ancienne, "
				            "migration impossible",
				            "database of an older version, cannot migrate"),
				       ver, opts->schema_version);
				rv = PX_EVERSION;
				goto fail;
			}
			if ((rv = opts->migrate(&t, ver, opts->schema_version,
			                        opts->migrate_arg)) != PX_OK)
				goto fail;
			if (t.failed != PX_OK) {
				rv = t.failed;
				goto fail;
			}
			if ((rv = store_write_version(&t, opts->schema_version)) != PX_OK)
				goto fail;
			px_log(PX_LOG_INFO, "store: %s migrated %u -> %u", st->path, ver,
			       opts->schema_version);
		}
	}
	rc = mdb_txn_commit(t.txn);
	t.txn = NULL;
	if (rc != 0)
		return store_err(rc, "mdb_txn_commit");
	return PX_OK;
fail:
	mdb_txn_abort(t.txn);
	return rv;
}

px_err
px_store_open(px_store **out, const px_store_opts *opts)
{
	px_err rv;
	if (out == NULL || opts == NULL || opts->dir == NULL || opts->file == NULL ||
	    opts->file[0] == '\0' || strchr(opts->file, '/') != NULL)
		return PX_EINVAL;
	*out = NULL;
	px_store *st = calloc(1, sizeof *st);
	if (st == NULL)
		return PX_ENOMEM;
	st->lock_fd = -1;
	pthread_mutex_init(&st->map_mu, NULL);
	st->map_size = opts->map_size ? opts->map_size : STORE_DEFAULT_MAP;
	st->read_only = opts->read_only;
	int n = 0;
	while (opts->dbs != NULL && opts->dbs[n] != NULL)
		n++;
	st->n_dbs = n;
	st->names = calloc((size_t)n + 1, sizeof *st->names);
	st->dbis = calloc((size_t)n + 1, sizeof *st->dbis);
	st->present = calloc((size_t)n + 1, sizeof *st->present);
	st->dir = strdup(opts->dir);
	if (asprintf(&st->path, "%s/%s", opts->dir, opts->file) < 0)
		st->path = NULL;
	if (st->names == NULL || st->dbis == NULL || st->present == NULL || st->dir == NULL ||
	    st->path == NULL) {
		rv = PX_ENOMEM;
		goto fail;
	}
	for (int i = 0; i < n; i++) {
		if (strcmp(opts->dbs[i], STORE_META_NAME) == 0 || opts->dbs[i][0] == '\0') {
			rv = PX_EINVAL;
			goto fail;
		}
		if ((st->names[i] = strdup(opts->dbs[i])) == NULL) {
			rv = PX_ENOMEM;
			goto fail;
		}
	}
	if (!st->read_only && (rv = store_mkdir(opts->dir)) != PX_OK)
		goto fail;
	if ((rv = store_env_open(st)) != PX_OK)
		goto fail;
	if ((rv = store_dbs_open(st, opts)) != PX_OK)
		goto fail;
	*out = st;
	return PX_OK;
fail:
	store_free(st);
	return rv;
}

void
px_store_close(px_store *st)
{
	store_free(st);
}

px_db
px_store_db(px_store *st, const char *name)
{
	px_db db = {-1};
	if (st == NULL || name == NULL)
		return db;
	for (int i = 0; i < st->n_dbs; i++)
		if (strcmp(st->names[i], name) == 0) {
			db.id = i;
			break;
		}
	return db;
}

const char *
px_store_path(const px_store *st)
{
	return st != NULL ? st->path : NULL;
}

static void
store_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Takes the write lock LMDB's processes take on byte 0 of the lock file to
 * find out whether they are alone (mdb_env_excl_lock): true when no other
 * process has the environment open. Within this process it converts
 * LMDB's shared lock, so it must run with our own environment open or
 * closed, never half-way. */
static bool
store_alone(int lfd)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
	return fcntl(lfd, F_SETLK, &fl) == 0;
}

static px_err
store_busy(const px_store *st)
{
	/* The caller says what it does about it (the node keeps the
	 * compaction for later): only a trace here. */
	px_log(PX_LOG_DEBUG, "%s: %s", st->path,
	       PX_T("base de données ouverte par un autre processus : compactage impossible "
	            "(arrêtez l'autre processus, par exemple praxis-node serve, et réessayez)",
	            "database open in another process: cannot compact "
	            "(stop the other process, e.g. praxis-node serve, and try again)"));
	return PX_EPRECOND;
}

px_err
px_store_compact(px_store *st)
{
	px_err rv;
	char *tmp = NULL, *lpath = NULL;
	int fd = -1;
	if (st == NULL)
		return PX_EINVAL;
	if (st->read_only)
		return PX_EPERM;
	if (st->env == NULL)
		return PX_EIO;
	/* Another process with the file open would go on writing to the old
	 * inode after the rename, and its writes would be lost: refuse. */
	if (st->lock_fd < 0) {
		if (asprintf(&lpath, "%s-lock", st->path) < 0)
			return PX_ENOMEM;
		st->lock_fd = open(lpath, O_RDWR | O_CLOEXEC);
		free(lpath);
		if (st->lock_fd < 0)
			return store_err(errno, "open lock file");
	}
	if (!store_alone(st->lock_fd))
		return store_busy(st); /* lock_fd stays open until close: see store_free */
	if (asprintf(&tmp, "%s.compact-XXXXXX", st->path) < 0)
		return PX_ENOMEM;
	if ((fd = mkstemp(tmp)) < 0) {
		rv = store_err(errno, "mkstemp");
		goto fail;
	}
	(void)fchmod(fd, 0600);
	/* MDB_CP_COMPACT walks the live trees only: free pages, and whatever
	 * they still held, are not copied. */
	int rc = mdb_env_copyfd2(st->env, fd, MDB_CP_COMPACT);
	if (rc != 0) {
		rv = store_err(rc, "mdb_env_copyfd2");
		goto fail;
	}
	if (fsync(fd) != 0) {
		rv = store_err(errno, "fsync");
		goto fail;
	}
	close(fd);
	fd = -1;
	/* Swap files while no environment is open on the old one. Closing the
	 * environment dropped our locks: take the exclusive one again, so that
	 * a process starting now waits and then opens the new file. */
	mdb_env_close(st->env);
	st->env = NULL;
	rv = PX_OK;
	if (!store_alone(st->lock_fd))
		rv = store_busy(st);
	else if (rename(tmp, st->path) != 0)
		rv = store_err(errno, "rename");
	else
		store_fsync_dir(st->dir);
	if (rv != PX_OK)
		unlink(tmp);
	free(tmp);
	close(st->lock_fd); /* no environment open: safe, and lets waiters in */
	st->lock_fd = -1;
	pthread_mutex_lock(&st->map_mu);
	st->map_addr = NULL; /* a new map */
	pthread_mutex_unlock(&st->map_mu);
	px_err rv2 = store_env_open(st);
	if (rv2 == PX_OK)
		rv2 = store_dbs_open(st, NULL);
	return rv != PX_OK ? rv : rv2;
fail:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	return rv;
}

px_err
px_txn_begin(px_store *st, bool write, px_txn **out)
{
	if (st == NULL || out == NULL)
		return PX_EINVAL;
	*out = NULL;
	if (write && st->read_only)
		return PX_EPERM;
	if (st->env == NULL)
		return PX_EIO; /* a failed compaction could not reopen */
	px_txn *t = calloc(1, sizeof *t);
	if (t == NULL)
		return PX_ENOMEM;
	t->st = st;
	t->write = write;
	int rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc == MDB_MAP_RESIZED) {
		/* Another process grew the map (px_store_grow): adopt its size.
		 * LMDB allows it only with no transaction open in this process,
		 * which the store's users keep to (one txn per call). */
		if (mdb_env_set_mapsize(st->env, 0) == 0) {
			MDB_envinfo info;
			if (mdb_env_info(st->env, &info) == 0)
				st->map_size = info.me_mapsize;
			rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
		}
	}
	if (rc != 0) {
		free(t);
		return store_err(rc, "mdb_txn_begin");
	}
	*out = t;
	return PX_OK;
}

px_err
px_txn_commit(px_txn *t)
{
	if (t == NULL)
		return PX_EINVAL;
	px_err rv = t->failed;
	if (rv != PX_OK) {
		/* A failed transaction stays failed: nothing of it is written. */
		mdb_txn_abort(t->txn);
	} else {
		rv = store_refine(t->st, store_err(mdb_txn_commit(t->txn), "mdb_txn_commit"));
		if (rv == PX_EFULL)
			px_log(PX_LOG_ERROR, "%s: %s", t->st->path,
			       PX_T("stockage plein : rien n'a été écrit",
			            "storage full: nothing was written"));
	}
	free(t);
	return rv;
}

void
px_txn_abort(px_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	free(t);
}

/* Overwrites the stored value of key with zeros in place (same size, so LMDB
 * writes into the dirty page itself); PX_OK when the key is absent. The copy
 * of the page in the previous version still holds the bytes until
 * compaction. */
static px_err
store_scrub(px_txn *t, MDB_dbi dbi, MDB_val *k, size_t keep_size)
{
	MDB_val old;
	int rc = mdb_get(t->txn, dbi, k, &old);
	if (rc == MDB_NOTFOUND)
		return PX_OK;
	if (rc != 0)
		return store_err(rc, "mdb_get");
	if (old.mv_size == 0 || old.mv_size == keep_size)
		return PX_OK; /* a same-size put overwrites in place anyway */
	MDB_val z = {old.mv_size, NULL};
	if ((rc = mdb_put(t->txn, dbi, k, &z, MDB_RESERVE)) != 0)
		return store_err(rc, "mdb_put scrub");
	memset(z.mv_data, 0, z.mv_size);
	return PX_OK;
}

static px_err
store_put(px_txn *t, px_db db, const void *key, size_t klen, const void *val, size_t vlen,
          unsigned flags)
{
	MDB_dbi dbi;
	if (t == NULL || key == NULL || klen == 0 || (val == NULL && vlen > 0))
		return PX_EINVAL;
	if (t->failed != PX_OK)
		return t->failed;
	if (!t->write)
		return PX_EPERM;
	if (!store_db_ok(t, db, &dbi))
		return PX_EINVAL;
	MDB_val k = {klen, (void *)key};
	MDB_val v = {vlen, NULL};
	int rc = mdb_put(t->txn, dbi, &k, &v, flags | MDB_RESERVE);
	if (rc != 0)
		return store_fail(t, store_err(rc, "mdb_put"));
	if (vlen > 0)
		memcpy(v.mv_data, val, vlen);
	return PX_OK;
}

px_err
px_put(px_txn *txn, px_db db, const void *key, size_t klen, const void *val, size_t vlen)
{
	return store_put(txn, db, key, klen, val, vlen, 0);
}

px_err
px_put_new(px_txn *txn, px_db db, const void *key, size_t klen, const void *val, size_t vlen)
{
	return store_put(txn, db, key, klen, val, vlen, MDB_NOOVERWRITE);
}

px_err
px_get(px_txn *t, px_db db, const void *key, size_t klen, px_val *out)
{
	MDB_dbi dbi;
	if (t == NULL || key == NULL || klen == 0 || out == NULL)
		return PX_EINVAL;
	if (t->failed != PX_OK)
		return t->failed;
	if (db.id < 0 || db.id >= t->st->n_dbs)
		return PX_EINVAL;
	if (!store_db_ok(t, db, &dbi))
		return PX_ENOTFOUND;
	MDB_val k = {klen, (void *)key}, v;
	int rc = mdb_get(t->txn, dbi, &k, &v);
	if (rc == MDB_NOTFOUND)
		return PX_ENOTFOUND;
	if (rc != 0)
		return store_fail(t, store_err(rc, "mdb_get"));
	out->data = v.mv_data;
	out->size = v.mv_size;
	return PX_OK;
}

px_err
px_del(px_txn *t, px_db db, const void *key, size_t klen)
{
	MDB_dbi dbi;
	px_err rv;
	if (t == NULL || key == NULL || klen == 0)
		return PX_EINVAL;
	if (t->failed != PX_OK)
		return t->failed;
	if (!t->write)
		return PX_EPERM;
	if (!store_db_ok(t, db, &dbi))
		return PX_EINVAL;
	MDB_val k = {klen, (void *)key};
	/* Zero the value first: a deleted node's bytes can stay in the slack
	 * of the live page (until compaction, which skips slack). */
	if ((rv = store_scrub(t, dbi, &k, (size_t)-1)) != PX_OK)
		return store_fail(t, rv);
	int rc = mdb_del(t->txn, dbi, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return PX_ENOTFOUND;
	if (rc != 0)
		return store_fail(t, store_err(rc, "mdb_del"));
	return PX_OK;
}

px_err
px_put_msg(px_txn *t, px_db db, const void *key, size_t klen, const ProtobufCMessage *msg)
{
	if (msg == NULL)
		return PX_EINVAL;
	MDB_dbi dbi;
	if (t == NULL || key == NULL || klen == 0)
		return PX_EINVAL;
	if (t->failed != PX_OK)
		return t->failed;
	if (!t->write)
		return PX_EPERM;
	if (!store_db_ok(t, db, &dbi))
		return PX_EINVAL;
	size_t n = protobuf_c_message_get_packed_size(msg);
	MDB_val k = {klen, (void *)key};
	/* Pack straight into the page LMDB reserved: no intermediate copy. */
	MDB_val v = {n, NULL};
	int rc = mdb_put(t->txn, dbi, &k, &v, MDB_RESERVE);
	if (rc != 0)
		return store_fail(t, store_err(rc, "mdb_put"));
	if (n > 0 && protobuf_c_message_pack(msg, v.mv_data) != n)
		return store_fail(t, PX_EINTERNAL);
	return PX_OK;
}

px_err
px_get_msg(px_txn *t, px_db db, const void *key, size_t klen,
           const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out)
{
	if (desc == NULL || out == NULL)
		return PX_EINVAL;
	*out = NULL;
	px_val v;
	px_err rv = px_get(t, db, key, klen, &v);
	if (rv != PX_OK)
		return rv;
	ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, v.size, v.data);
	if (m == NULL) {
		px_log(PX_LOG_ERROR, "store: %s (%s)",
		       PX_T("enregistrement illisible", "unreadable record"), desc->name);
		return PX_ECORRUPT;
	}
	*out = m;
	return PX_OK;
}

static bool
store_has_prefix(const MDB_val *k, const void *prefix, size_t plen)
{
	return k->mv_size >= plen && (plen == 0 || memcmp(k->mv_data, prefix, plen) == 0);
}

/* Forward from the first key with the prefix, or from the first key >=
 * *from when from is not NULL; rev: backward from the last key with it. */
static px_err
store_scan(px_txn *t, px_db db, const void *prefix, size_t plen, const MDB_val *from,
           px_scan_fn fn, void *arg, bool rev)
{
	MDB_dbi dbi;
	if (t == NULL || fn == NULL || (prefix == NULL && plen > 0))
		return PX_EINVAL;
	if (t->failed != PX_OK)
		return t->failed;
	if (db.id < 0 || db.id >= t->st->n_dbs)
		return PX_EINVAL;
	if (!store_db_ok(t, db, &dbi))
		return PX_OK; /* absent from a read-only store: empty */
	MDB_cursor *c;
	int rc = mdb_cursor_open(t->txn, dbi, &c);
	if (rc != 0)
		return store_fail(t, store_err(rc, "mdb_cursor_open"));
	MDB_val k = {plen, (void *)prefix}, v;
	MDB_cursor_op next = rev ? MDB_PREV : MDB_NEXT;
	if (!rev && from != NULL) {
		k = *from;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	} else if (!rev) {
		rc = mdb_cursor_get(c, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
	} else {
		/* The first key past every key with the prefix is the prefix with
		 * its last non-0xff byte incremented (and what follows dropped). */
		uint8_t succ[512];
		size_t slen = plen <= sizeof succ ? plen : 0;
		if (plen > sizeof succ) {
			mdb_cursor_close(c);
			return PX_ETOOBIG;
		}
		if (plen > 0)
			memcpy(succ, prefix, plen);
		while (slen > 0 && succ[slen - 1] == 0xff)
			slen--;
		if (slen == 0) {
			rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
		} else {
			succ[slen - 1]++;
			k.mv_size = slen;
			k.mv_data = succ;
			rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
			if (rc == 0)
				rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
			else if (rc == MDB_NOTFOUND)
				rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
		}
	}
	px_err rv = PX_OK;
	while (rc == 0 && store_has_prefix(&k, prefix, plen)) {
		px_val kv = {k.mv_data, k.mv_size}, vv = {v.mv_data, v.mv_size};
		rv = fn(arg, kv, vv);
		if (rv != PX_OK)
			break;
		rc = mdb_cursor_get(c, &k, &v, next);
	}
	mdb_cursor_close(c);
	if (rv == PX_ENOTFOUND)
		return PX_OK; /* the callback asked to stop */
	if (rv != PX_OK)
		return rv;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_fail(t, store_err(rc, "mdb_cursor_get"));
	return PX_OK;
}

px_err
px_scan(px_txn *txn, px_db db, const void *prefix, size_t plen, px_scan_fn fn, void *arg)
{
	return store_scan(txn, db, prefix, plen, NULL, fn, arg, false);
}

px_err
px_scan_rev(px_txn *txn, px_db db, const void *prefix, size_t plen, px_scan_fn fn, void *arg)
{
	return store_scan(txn, db, prefix, plen, NULL, fn, arg, true);
}

/* One chunk of px_scan_chunked: its callback between store_scan and the
 * caller's, which skips the key the previous chunk ended on and stops
 * this one after `chunk` entries. */
typedef struct store_chunk {
	px_txn *t;
	px_scan_txn_fn fn;
	void *arg;
	size_t n, chunk;
	uint8_t last[STORE_KEY_MAX];
	size_t last_len;
	bool resume, full;
} store_chunk;

static px_err
store_chunk_cb(void *arg, px_val key, px_val val)
{
	store_chunk *c = arg;
	if (c->resume && key.size == c->last_len && memcmp(key.data, c->last, key.size) == 0)
		return PX_OK; /* where the previous chunk ended */
	px_err rv = c->fn(c->arg, c->t, key, val);
	if (rv != PX_OK || ++c->n < c->chunk)
		return rv;
	if (key.size > sizeof c->last)
		return PX_ECORRUPT; /* LMDB keys are at most 511 bytes */
	memcpy(c->last, key.data, key.size);
	c->last_len = key.size;
	c->full = true;
	return PX_ENOTFOUND; /* this chunk is done */
}

px_err
px_scan_chunked(px_store *st, px_db db, const void *prefix, size_t plen, size_t chunk,
                bool release, px_scan_txn_fn fn, void *arg)
{
	if (st == NULL || fn == NULL || (prefix == NULL && plen > 0) || plen > STORE_KEY_MAX)
		return PX_EINVAL;
	store_chunk *c = calloc(1, sizeof *c);
	if (c == NULL)
		return PX_ENOMEM;
	c->fn = fn;
	c->arg = arg;
	c->chunk = chunk ? chunk : 4096;
	px_err rv;
	for (;;) {
		if ((rv = px_txn_begin(st, false, &c->t)) != PX_OK)
			break;
		c->n = 0;
		c->full = false;
		MDB_val from = {c->last_len, c->last};
		rv = store_scan(c->t, db, prefix, plen, c->resume ? &from : NULL, store_chunk_cb, c, false);
		/* Memory only: a failed release changes no result. */
		if (release && px_store_release(st) != PX_OK)
			px_log(PX_LOG_DEBUG, "store: px_store_release failed");
		px_txn_abort(c->t);
		if (rv != PX_OK || !c->full)
			break;
		c->resume = true;
	}
	free(c);
	return rv;
}

px_err
px_count(px_txn *t, px_db db, size_t *out)
{
	MDB_dbi dbi;
	if (t == NULL || out == NULL)
		return PX_EINVAL;
	if (t->failed != PX_OK)
		return t->failed;
	if (db.id < 0 || db.id >= t->st->n_dbs)
		return PX_EINVAL;
	*out = 0;
	if (!store_db_ok(t, db, &dbi))
		return PX_OK;
	MDB_stat s;
	int rc = mdb_stat(t->txn, dbi, &s);
	if (rc != 0)
		return store_fail(t, store_err(rc, "mdb_stat"));
	*out = s.ms_entries;
	return PX_OK;
}

static px_err
store_meta_key(char *buf, size_t size, const char *prefix, const char *name, MDB_val *k)
{
	if (name == NULL || name[0] == '\0' || strlen(name) > STORE_NAME_MAX)
		return PX_EINVAL;
	int n = snprintf(buf, size, "%s%s", prefix, name);
	k->mv_size = (size_t)n;
	k->mv_data = buf;
	return PX_OK;
}

px_err
px_seq_next(px_txn *t, const char *name, uint64_t *out)
{
	char buf[STORE_NAME_MAX + 8];
	MDB_val k, v;
	px_err rv;
	if (t == NULL || out == NULL)
		return PX_EINVAL;
	if (t->failed != PX_OK)
		return t->failed;
	if (!t->write)
		return PX_EPERM;
	if ((rv = store_meta_key(buf, sizeof buf, STORE_SEQ_PREFIX, name, &k)) != PX_OK)
		return rv;
	uint64_t cur = 0;
	int rc = mdb_get(t->txn, t->st->meta, &k, &v);
	if (rc == 0) {
		if (v.mv_size != 8)
			return PX_ECORRUPT;
		cur = px_rd64(v.mv_data);
	} else if (rc != MDB_NOTFOUND) {
		return store_fail(t, store_err(rc, "mdb_get seq"));
	}
	uint8_t b[8];
	px_be64(b, cur + 1);
	v.mv_size = 8;
	v.mv_data = b;
	if ((rc = mdb_put(t->txn, t->st->meta, &k, &v, 0)) != 0)
		return store_fail(t, store_err(rc, "mdb_put seq"));
	*out = cur + 1;
	return PX_OK;
}

px_err
px_meta_put(px_txn *t, const char *name, const void *val, size_t vlen)
{
	char buf[STORE_NAME_MAX + 8];
	MDB_val k;
	px_err rv;
	if (t == NULL || (val == NULL && vlen > 0))
		return PX_EINVAL;
	if (t->failed != PX_OK)
		return t->failed;
	if (!t->write)
		return PX_EPERM;
	if ((rv = store_meta_key(buf, sizeof buf, STORE_VAL_PREFIX, name, &k)) != PX_OK)
		return rv;
	MDB_val v = {vlen, (void *)val};
	int rc = mdb_put(t->txn, t->st->meta, &k, &v, 0);
	if (rc != 0)
		return store_fail(t, store_err(rc, "mdb_put meta"));
	return PX_OK;
}

px_err
px_meta_get(px_txn *t, const char *name, px_val *out)
{
	char buf[STORE_NAME_MAX + 8];
	MDB_val k, v;
	px_err rv;
	if (t == NULL || out == NULL)
		return PX_EINVAL;
	if (t->failed != PX_OK)
		return t->failed;
	if ((rv = store_meta_key(buf, sizeof buf, STORE_VAL_PREFIX, name, &k)) != PX_OK)
		return rv;
	if (!t->st->meta_present)
		return PX_ENOTFOUND;
	int rc = mdb_get(t->txn, t->st->meta, &k, &v);
	if (rc == MDB_NOTFOUND)
		return PX_ENOTFOUND;
	if (rc != 0)
		return store_fail(t, store_err(rc, "mdb_get meta"));
	out->data = v.mv_data;
	out->size = v.mv_size;
	return PX_OK;
}

px_err
px_store_grow(px_store *st, size_t bytes)
{
	if (st == NULL || st->env == NULL || bytes <= st->map_size)
		return PX_EINVAL;
	int rc = mdb_env_set_mapsize(st->env, bytes);
	if (rc != 0)
		return store_err(rc, "mdb_env_set_mapsize");
	st->map_size = bytes;
	px_log(PX_LOG_INFO, "store: %s map size now %zu MiB", st->path, bytes >> 20);
	return PX_OK;
}

px_err
px_store_version(px_txn *t, uint32_t *out)
{
	bool found = false;
	if (t == NULL || out == NULL)
		return PX_EINVAL;
	*out = 0;
	if (!t->st->meta_present)
		return PX_ENOTFOUND;
	px_err rv = store_read_version(t, out, &found);
	if (rv != PX_OK)
		return rv;
	return found ? PX_OK : PX_ENOTFOUND;
}

/* The address of the environment's map of the data file. LMDB does not
 * give it (mdb_env_info's me_mapaddr is set only with MDB_FIXEDMAP), so it
 * is found in /proc/self/maps: the mapping of the data file's inode, from
 * offset 0, of the map's size. NULL when not found. */
static void *
store_map_addr(px_store *st, size_t mapsize)
{
	int fd = -1;
	struct stat sb;
	if (mdb_env_get_fd(st->env, &fd) != 0 || fstat(fd, &sb) != 0)
		return NULL;
	FILE *f = fopen("/proc/self/maps", "r");
	if (f == NULL)
		return NULL;
	char line[1024];
	void *addr = NULL;
	while (addr == NULL && fgets(line, sizeof line, f) != NULL) {
		unsigned long start, end, off, ino;
		unsigned maj, min;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &start, &end, perms, &off, &maj, &min,
		           &ino) == 7 &&
		    ino == (unsigned long)sb.st_ino && maj == major(sb.st_dev) &&
		    min == minor(sb.st_dev) && off == 0 && end - start == mapsize)
			addr = (void *)start;
	}
	fclose(f);
	return addr;
}

px_err
px_store_release(px_store *st)
{
	if (st == NULL || st->env == NULL)
		return PX_EINVAL;
	MDB_envinfo info;
	int rc = mdb_env_info(st->env, &info);
	if (rc != 0)
		return store_err(rc, "mdb_env_info");
	/* Reading /proc/self/maps costs more than the madvise: once per size
	 * of the map (it moves only when the size changes). */
	pthread_mutex_lock(&st->map_mu);
	if (st->map_addr == NULL || st->map_addr_size != info.me_mapsize) {
		st->map_addr = store_map_addr(st, info.me_mapsize);
		st->map_addr_size = info.me_mapsize;
	}
	void *map = st->map_addr;
	pthread_mutex_unlock(&st->map_mu);
	if (map == NULL)
		return PX_ENOTFOUND;
	if (madvise(map, info.me_mapsize, MADV_DONTNEED) != 0)
		return store_err(errno, "madvise");
	return PX_OK;
}

px_err
px_store_info(px_store *st, px_store_stats *out)
{
	if (st == NULL || out == NULL || st->env == NULL)
		return PX_EINVAL;
	MDB_envinfo info;
	MDB_stat s;
	int rc = mdb_env_info(st->env, &info);
	if (rc == 0)
		rc = mdb_env_stat(st->env, &s);
	if (rc != 0)
		return store_err(rc, "mdb_env_info");
	out->map_size = info.me_mapsize;
	out->page_size = s.ms_psize;
	out->pages_used = (size_t)info.me_last_pgno + 1;
	struct stat sb;
	out->file_size = stat(st->path, &sb) == 0 ? (size_t)sb.st_size : 0;
	unsigned flags = 0;
	if ((rc = mdb_env_get_flags(st->env, &flags)) != 0)
		return store_err(rc, "mdb_env_get_flags");
	out->durable =
	    !(flags & (MDB_NOSYNC | MDB_NOMETASYNC | MDB_MAPASYNC | MDB_WRITEMAP | MDB_NOMEMINIT));
	return PX_OK;
}
