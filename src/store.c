/*
 * store.c: opening a store: the lock, the index (snapshot + journal), the
 * reconciliation with the Maildir, compaction and closing (see store.h).
 * Writing messages and flags is in src/store_put.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pouch/store.h>
#include <pouch/util.h>

#include "store_priv.h"

#define INDEX_NAME ".pouch-index"
#define LOCK_NAME ".pouch-lock"
/* Compaction when the journal holds more records than this and than the
 * messages themselves. */
#define JOURNAL_MIN 4096

const char *
store_status_name(enum store_status st)
{
	switch (st) {
	case STORE_OK: return "ok";
	case STORE_LOCKED: return "locked";
	case STORE_READONLY: return "read-only";
	case STORE_CORRUPT: return "corrupt";
	case STORE_EXISTS: return "exists";
	case STORE_NOTFOUND: return "not found";
	case STORE_ERR: return "error";
	case STORE_NOMEM: return "out of memory";
	}
	return "?";
}

void
store_diagf(struct store *st, const char *fmt, ...)
{
	va_list ap;
	char *s, **nd;

	va_start(ap, fmt);
	s = str_vprintf(fmt, ap);
	va_end(ap);
	if (!s)
		return;
	nd = realloc(st->diags, (st->ndiags + 1) * sizeof *nd);
	if (!nd) {
		free(s);
		return;
	}
	st->diags = nd;
	st->diags[st->ndiags++] = s;
}

/* ---- loading the index ---- */

struct load {
	struct store *st;
	const char *path;
	int nomem;
};

static void
load_msg(void *ctx, const struct store_msg *m)
{
	struct load *l = ctx;
	struct store *st = l->st;
	const char *base;
	size_t n = store_name_base(m->file, &base), i;

	i = store_by_name(st, base, n);
	if (i != (size_t)-1) {
		/* A later record replaces the message; its UIDL may not
		 * change (the name carries it). */
		if (strcmp(st->msgs[i].uid, m->uid) != 0) {
			store_diagf(st, "%s: a record changes the UIDL of %.*s; kept the first",
			    l->path, (int)n, base);
			return;
		}
		if (store_msg_pack(&st->msgs[i], m) < 0)
			l->nomem = 1;
		st->jrecords++;
		return;
	}
	if (m->uid[0] && store_by_uid(st, m->uid) != (size_t)-1) {
		struct store_msg c = *m;

		store_diagf(st, "%s: UIDL %s recorded for two files; the second is kept without it",
		    l->path, m->uid);
		c.uid = "";
		if (store_msgs_add(st, &c) < 0)
			l->nomem = 1;
		return;
	}
	if (store_msgs_add(st, m) < 0)
		l->nomem = 1;
}

static void
load_del(void *ctx, const char *name)
{
	struct load *l = ctx;
	size_t i = store_by_name(l->st, name, strlen(name));

	if (i != (size_t)-1) {
		free(l->st->msgs[i].blk_);
		memset(&l->st->msgs[i], 0, sizeof l->st->msgs[i]);
		l->st->jrecords += 2;
	}
}

static void
load_login(void *ctx, int64_t when, long delay)
{
	struct load *l = ctx;

	l->st->last_login = when;
	l->st->login_delay = delay;
	l->st->jrecords++;
}

static void
load_diag(void *ctx, unsigned long line, const char *what)
{
	struct load *l = ctx;

	store_diagf(l->st, "%s:%lu: %s; skipped", l->path, line, what);
}

/* The whole file into a buffer (capped); a missing file is len 0 with
 * *missing set. 0, or -1 with *err. */
static int
read_file(const char *path, char **out, size_t *len, int *missing, char **err)
{
	struct dbuf b;
	char chunk[65536];
	ssize_t r;
	int fd;

	*missing = 0;
	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT) {
			*missing = 1;
			return 0;
		}
		*err = str_printf("%s: %s", path, strerror(errno));
		return -1;
	}
	dbuf_init(&b, STORE_INDEX_MAX);
	for (;;) {
		r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*err = str_printf("%s: %s", path, strerror(errno));
			dbuf_free(&b);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		if (dbuf_add(&b, chunk, (size_t)r) < 0) {
			*err = str_printf("%s: larger than %lu bytes, or out of memory",
			    path, STORE_INDEX_MAX);
			close(fd);
			return -1;
		}
	}
	close(fd);
	*out = b.p;
	*len = b.len;
	return 0;
}

/* ---- the lock ---- */

static enum store_status
lock_take(struct store *st, enum store_open_mode mode, char **err)
{
	char *path = str_printf("%s/" LOCK_NAME, st->dir);
	struct flock fl;
	char pid[32];
	int fd;

	if (!path)
		return STORE_NOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		if (mode == STORE_OPEN_TRY) {
			st->readonly = 1;
			store_diagf(st, "%s: %s; opened read-only", path, strerror(errno));
			free(path);
			return STORE_OK;
		}
		*err = str_printf("%s: cannot lock the store: %s", path, strerror(errno));
		free(path);
		return STORE_ERR;
	}
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		int e = errno;

		if (e != EAGAIN && e != EACCES) {
			*err = str_printf("%s: cannot lock the store: %s", path, strerror(e));
			close(fd);
			free(path);
			return STORE_ERR;
		}
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		st->locker = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK ? fl.l_pid : 0;
		close(fd);
		if (mode == STORE_OPEN_TRY) {
			st->readonly = 1;
			free(path);
			return STORE_OK;
		}
		if (st->locker)
			*err = str_printf("%s is in use by another pouch (process %ld)",
			    st->dir, (long)st->locker);
		else
			*err = str_printf("%s is in use by another pouch", st->dir);
		free(path);
		return STORE_LOCKED;
	}
	free(path);
	/* The PID, for people; the lock itself tells pouch. */
	snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, strlen(pid), 0) < 0)
		(void)0;
	st->lockfd = fd;
	return STORE_OK;
}

/* ---- open, compact, close ---- */

static int
mkdir_p(const char *dir, char **err)
{
	char *d = strdup(dir), *p;

	if (!d)
		return -1;
	for (p = d + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(d, 0700) < 0 && errno != EEXIST) {
				*err = str_printf("%s: %s", d, strerror(errno));
				free(d);
				return -1;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	free(d);
	return 0;
}

/* Removes what a crash left in tmp/ from pouch (names with ",U="); other
 * deliverers' files are theirs. Only under the lock. */
static void
tmp_clean(struct store *st)
{
	char *path = str_printf("%s/tmp", st->dir);
	DIR *d;
	struct dirent *e;

	if (!path)
		return;
	d = opendir(path);
	if (d) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] != '.' && strstr(e->d_name, ",U=")) {
				char *f = str_printf("%s/%s", path, e->d_name);

				if (f)
					unlink(f);
				free(f);
			}
		}
		closedir(d);
	}
	free(path);
}

static enum store_status
open_append(struct store *st, char **err)
{
	char *path = str_printf("%s/" INDEX_NAME, st->dir);

	if (!path)
		return STORE_NOMEM;
	st->idxfd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (st->idxfd < 0) {
		*err = str_printf("%s: %s", path, strerror(errno));
		free(path);
		return STORE_ERR;
	}
	free(path);
	return STORE_OK;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

enum store_status
store_compact(struct store *st, char **err)
{
	struct dbuf b;
	char *path, *tmp;
	size_t i;
	int fd;

	if (st->readonly)
		return STORE_READONLY;
	dbuf_init(&b, 0);
	if (dbuf_printf(&b, "pouch-store %d\n", STORE_INDEX_VERSION) < 0)
		return STORE_NOMEM;
	for (i = 0; i < st->n; i++)
		if (st->msgs[i].file && store_index_format_msg(&b, &st->msgs[i]) < 0)
			return STORE_NOMEM;
	if (st->last_login && dbuf_printf(&b, "L\t%lld\t%ld\n", (long long)st->last_login,
	    st->login_delay) < 0)
		return STORE_NOMEM;
	path = str_printf("%s/" INDEX_NAME, st->dir);
	tmp = str_printf("%s/" INDEX_NAME ".XXXXXX", st->dir);
	if (!path || !tmp) {
		free(path);
		free(tmp);
		dbuf_free(&b);
		return STORE_NOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || write_all(fd, b.p, b.len) < 0 || fsync(fd) < 0) {
		*err = str_printf("%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		*err = str_printf("%s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		*err = str_printf("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fsync_dir(st->dir) < 0) {
		*err = str_printf("%s: fsync failed: %s", st->dir, strerror(errno));
		free(path);
		free(tmp);
		dbuf_free(&b);
		return STORE_ERR;
	}
	dbuf_free(&b);
	free(tmp);
	free(path);
	dbuf_reset(&st->journal);
	st->jrecords = 0;
	if (st->idxfd >= 0)
		close(st->idxfd);
	st->idxfd = -1;
	return open_append(st, err);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	free(path);
	dbuf_free(&b);
	return STORE_ERR;
}

enum store_status
store_commit(struct store *st, char **err)
{
	if (st->readonly)
		return STORE_OK;
	if (st->rewrite_always ? st->journal.len > 0 :
	    (st->jrecords > JOURNAL_MIN && st->jrecords > st->n) || st->idxfd < 0)
		return store_compact(st, err);
	if (!st->journal.len)
		return STORE_OK;
	if (write_all(st->idxfd, st->journal.p, st->journal.len) < 0 ||
	    fdatasync(st->idxfd) < 0) {
		*err = str_printf("%s/" INDEX_NAME ": %s", st->dir, strerror(errno));
		/* What did get in may be a torn line: the next open drops it
		 * and the Maildir scan restores the rest. */
		return STORE_ERR;
	}
	dbuf_reset(&st->journal);
	return STORE_OK;
}

static void
store_free(struct store *st)
{
	size_t i;

	if (!st)
		return;
	store_spare_stop(st);
	for (i = 0; i < st->nbatch; i++)
		store_put_abort(st->batch[i]);
	free(st->batch);
	for (i = 0; i < st->n; i++)
		free(st->msgs[i].blk_);
	free(st->msgs);
	free(st->by_name.slot);
	free(st->by_uid.slot);
	for (i = 0; i < st->ndiags; i++)
		free(st->diags[i]);
	free(st->diags);
	dbuf_free(&st->journal);
	if (st->idxfd >= 0)
		close(st->idxfd);
	if (st->lockfd >= 0)
		close(st->lockfd);
	free(st->dir);
	free(st);
}

enum store_status
store_open(const char *dir, enum store_open_mode mode, struct store **out,
    pid_t *locker, char **err)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	struct store *st;
	struct load l;
	struct store_index_cb cb;
	enum store_status rc;
	char *path = NULL, *text = NULL;
	size_t len, torn, k;
	int missing, ver, rebuild = 0;

	*out = NULL;
	*err = NULL;
	if (locker)
		*locker = 0;
	st = calloc(1, sizeof *st);
	if (!st)
		return STORE_NOMEM;
	st->lockfd = st->idxfd = -1;
	dbuf_init(&st->journal, 0);
	st->dir = strdup(dir);
	if (!st->dir)
		goto nomem;
	st->readonly = mode == STORE_OPEN_RDONLY;
	if (!st->readonly) {
		if (mkdir_p(dir, err) < 0)
			goto err_nomem_or_err;
		for (k = 0; k < 3; k++) {
			char *p = str_printf("%s/%s", dir, sub[k]);

			if (!p)
				goto nomem;
			if (mkdir(p, 0700) < 0 && errno != EEXIST) {
				*err = str_printf("%s: %s", p, strerror(errno));
				free(p);
				rc = STORE_ERR;
				goto fail;
			}
			free(p);
		}
		rc = lock_take(st, mode, err);
		if (locker)
			*locker = st->locker;
		if (rc != STORE_OK)
			goto fail;
	}
	if (gethostname(st->host, sizeof st->host - 1) < 0 || !st->host[0])
		strcpy(st->host, "localhost");
	for (k = 0; st->host[k]; k++)
		if (st->host[k] == '/' || st->host[k] == ':' || st->host[k] == ',' ||
		    (unsigned char)st->host[k] <= 0x20 || (unsigned char)st->host[k] >= 0x7f)
			st->host[k] = '_';

	path = str_printf("%s/" INDEX_NAME, dir);
	if (!path)
		goto nomem;
	if (read_file(path, &text, &len, &missing, err) < 0) {
		rc = STORE_ERR;
		goto fail;
	}
	memset(&l, 0, sizeof l);
	l.st = st;
	l.path = path;
	memset(&cb, 0, sizeof cb);
	cb.on_msg = load_msg;
	cb.on_del = load_del;
	cb.on_login = load_login;
	cb.on_diag = load_diag;
	cb.ctx = &l;
	ver = missing ? 0 : store_index_parse(text ? text : "", len, &cb, &torn);
	if (l.nomem)
		goto nomem;
	if (ver > STORE_INDEX_VERSION) {
		*err = str_printf("%s: index version %d is newer than this pouch knows (%d); "
		    "left as it is", path, ver, STORE_INDEX_VERSION);
		rc = STORE_CORRUPT;
		goto fail;
	}
	if (!missing && ver < 0) {
		char *aside = str_printf("%s.corrupt", path);

		store_diagf(st, "%s:1: not a pouch store index; rebuilt from the Maildir%s",
		    path, st->readonly || !aside ? "" : " (the old file is " INDEX_NAME ".corrupt)");
		if (!st->readonly && aside)
			(void)rename(path, aside);
		free(aside);
		missing = 1;
	}
	if (missing && !st->readonly)
		rebuild = 1;
	if (ver > 0 && torn < len && !st->readonly) {
		/* A torn append: cut it, so the next append starts a line. */
		if (truncate(path, (off_t)torn) < 0) {
			*err = str_printf("%s: %s", path, strerror(errno));
			rc = STORE_ERR;
			goto fail;
		}
	}
	if (ver == 1 && !st->readonly)
		store_diagf(st, "%s: index version 1 migrated to %d", path, STORE_INDEX_VERSION);
	if (store_msgs_compact(st) < 0)
		goto nomem;
	free(text);
	text = NULL;
	if (store_scan(st, ver == 1, err) < 0) {
		rc = *err ? STORE_ERR : STORE_NOMEM;
		goto fail;
	}
	if (!st->readonly) {
		tmp_clean(st);
		if (st->scan_added) {
			char *nd, *cd;

			/* Files found by the scan may have been renamed
			 * just before a crash, or written by another
			 * client without fsync: make them and their names
			 * durable before anything relies on them. One
			 * syncfs costs less than an fsync per file (a
			 * rebuild of 100,000 files). */
			if (syncfs(st->lockfd) < 0) {
				*err = str_printf("%s: syncfs failed: %s", dir, strerror(errno));
				rc = STORE_ERR;
				goto fail;
			}
			nd = str_printf("%s/new", dir);
			cd = str_printf("%s/cur", dir);
			if (nd)
				(void)fsync_dir(nd);
			if (cd)
				(void)fsync_dir(cd);
			free(nd);
			free(cd);
		}
		if (rebuild || ver == 1 || st->ndiags || st->scan_added || st->scan_removed)
			rc = store_compact(st, err);
		else
			rc = open_append(st, err);
		if (rc != STORE_OK)
			goto fail;
	}
	if (missing && st->n)
		store_diagf(st, "%s: no index; rebuilt from the Maildir (%zu messages)",
		    path, st->n);
	free(path);
	*out = st;
	return STORE_OK;
err_nomem_or_err:
	rc = *err ? STORE_ERR : STORE_NOMEM;
	goto fail;
nomem:
	rc = STORE_NOMEM;
	if (!*err)
		*err = str_printf("out of memory");
fail:
	free(text);
	free(path);
	store_free(st);
	return rc;
}

enum store_status
store_close(struct store *st, char **err)
{
	enum store_status rc = STORE_OK;

	*err = NULL;
	if (!st)
		return STORE_OK;
	if (!st->readonly) {
		if (st->jrecords > JOURNAL_MIN && st->jrecords > st->n)
			rc = store_compact(st, err);
		else
			rc = store_commit(st, err);
	}
	store_free(st);
	return rc;
}

int
store_readonly(const struct store *st)
{
	return st->readonly;
}

pid_t
store_lock_pid(const struct store *st)
{
	return st->locker;
}

const char *
store_dir(const struct store *st)
{
	return st->dir;
}

const char *
store_diag(const struct store *st, size_t i)
{
	return i < st->ndiags ? st->diags[i] : NULL;
}

size_t
store_scan_added(const struct store *st)
{
	return st->scan_added;
}

size_t
store_scan_removed(const struct store *st)
{
	return st->scan_removed;
}

size_t
store_count(const struct store *st)
{
	return st->n;
}

const struct store_msg *
store_get(const struct store *st, size_t i)
{
	return i < st->n ? &st->msgs[i] : NULL;
}

const struct store_msg *
store_find(const struct store *st, const char *uid)
{
	size_t i;

	if (!uid || !*uid)
		return NULL;
	i = store_by_uid(st, uid);
	return i == (size_t)-1 ? NULL : &st->msgs[i];
}

int
store_durable(const struct store *st, const char *uid)
{
	return store_find(st, uid) != NULL;
}

char *
store_path(const struct store *st, const struct store_msg *m)
{
	return str_printf("%s/%s", st->dir, m->file);
}

int64_t
store_last_login(const struct store *st, long *delay)
{
	if (delay)
		*delay = st->login_delay;
	return st->last_login;
}

void
store_set_rewrite_always(struct store *st, int on)
{
	st->rewrite_always = on;
}
