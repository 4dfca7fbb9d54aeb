/*
 * store_flags.c: read flags by UIDL, the store's own or pending in a small
 * file of the store's directory (see store_flags.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/store_flags.h>
#include <pouch/util.h>

#define READS_MAX (64u << 20)	/* the pending file, at most */

struct store_reads {
	struct store *st;
	struct strset p;	/* pending UIDLs */
};

static int
add(struct store_reads *r, const char *uid)
{
	return strset_add(&r->p, uid);
}

static int
uid_valid(const char *s, size_t l)
{
	size_t i;

	if (l == 0 || l > 70)
		return 0;
	for (i = 0; i < l; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

int
store_reads_parse(const char *text, size_t len, int (*on_uid)(void *, const char *),
    void *ctx)
{
	size_t ml = strlen(STORE_READS_MAGIC), off;
	char buf[72];

	if (len < ml || memcmp(text, STORE_READS_MAGIC, ml) != 0)
		return -1;
	for (off = ml; off < len;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t l;

		if (!nl)
			break;		/* cut short: the last line is not whole */
		l = (size_t)(nl - (text + off));
		if (uid_valid(text + off, l)) {
			memcpy(buf, text + off, l);
			buf[l] = 0;
			if (on_uid(ctx, buf) < 0)
				return -1;
		}
		off += l + 1;
	}
	return 0;
}

static int
on_uid_add(void *ctx, const char *uid)
{
	return add(ctx, uid);
}

static char *
reads_path(const struct store_reads *r)
{
	return str_printf("%s/%s", store_dir(r->st), STORE_READS_FILE);
}

static enum store_status
save(struct store_reads *r, char **err)
{
	struct dbuf b;
	char *path = reads_path(r);
	size_t i;
	int rc;

	if (!path)
		return STORE_NOMEM;
	dbuf_init(&b, 0);
	dbuf_adds(&b, STORE_READS_MAGIC);
	for (i = 0; i < r->p.n; i++)
		dbuf_printf(&b, "%s\n", r->p.v[i]);
	if (!b.p) {
		free(path);
		return STORE_NOMEM;
	}
	rc = file_write_atomic(path, b.p, b.len, err);
	dbuf_free(&b);
	free(path);
	return rc == 0 ? STORE_OK : STORE_ERR;
}

static enum store_status
load(struct store_reads *r, const char *path, int *missing, char **err)
{
	char *text = NULL;
	size_t len = 0;

	*missing = 0;
	if (file_read_all(path, READS_MAX, FILE_NOFOLLOW, &text, &len) < 0) {
		if (errno == ENOENT) {
			*missing = 1;
			return STORE_OK;
		}
		*err = str_printf("%s: %s", path, strerror(errno));
		return errno == ENOMEM ? STORE_NOMEM : STORE_ERR;
	}
	if (store_reads_parse(text, len, on_uid_add, r) < 0) {
		int bad = len < strlen(STORE_READS_MAGIC) ||
		    memcmp(text, STORE_READS_MAGIC, strlen(STORE_READS_MAGIC)) != 0;

		free(text);
		*err = bad ? str_printf("%s: not a pouch read-state file", path) :
		    str_printf("out of memory");
		return bad ? STORE_CORRUPT : STORE_NOMEM;
	}
	free(text);
	return STORE_OK;
}

struct store_reads *
store_reads_open(struct store *st, char **err)
{
	struct store_reads *r = calloc(1, sizeof *r);
	char *path;
	int missing;

	*err = NULL;
	if (!r)
		return NULL;
	r->st = st;
	path = reads_path(r);
	if (!path || load(r, path, &missing, err) != STORE_OK) {
		free(path);
		store_reads_free(r);
		return NULL;
	}
	free(path);
	return r;
}

void
store_reads_free(struct store_reads *r)
{
	if (!r)
		return;
	strset_free(&r->p);
	free(r);
}

int
store_reads_has(const struct store_reads *r, const char *uid)
{
	const struct store_msg *m = store_find(r->st, uid);
	size_t at;

	if (m && (m->flags & STORE_F_READ))
		return 1;
	return strset_find(&r->p, uid, &at);
}

size_t
store_reads_pending(const struct store_reads *r)
{
	return r->p.n;
}

/* The store's flag for a message it holds; 1 when it did, 0 when it does
 * not hold it, -1 on failure. */
static int
flag_held(struct store_reads *r, const char *uid, enum store_status *st, char **err)
{
	const struct store_msg *m = store_find(r->st, uid);

	*st = STORE_OK;
	if (!m)
		return 0;
	if (!(m->flags & STORE_F_READ))
		*st = store_set_flags(r->st, uid, STORE_F_READ, 0, err);
	return *st == STORE_OK ? 1 : -1;
}

enum store_status
store_reads_set(struct store_reads *r, const char *uid, char **err)
{
	enum store_status st;
	int hit, held;
	size_t at;

	if (!uid_valid(uid, strlen(uid)))
		return STORE_OK;	/* no UIDL pouch can keep: nothing to do */
	if (store_readonly(r->st)) {
		if (add(r, uid) < 0)
			return STORE_NOMEM;
		return STORE_READONLY;
	}
	held = flag_held(r, uid, &st, err);
	if (held < 0)
		return st;
	hit = strset_find(&r->p, uid, &at);
	if (held) {
		if (!hit)
			return STORE_OK;
		strset_remove_at(&r->p, at);
	} else {
		if (hit)
			return STORE_OK;
		if (add(r, uid) < 0)
			return STORE_NOMEM;
	}
	return save(r, err);
}

enum store_status
store_reads_apply(struct store_reads *r, char **err)
{
	enum store_status st = STORE_OK;
	size_t i = 0, before = r->p.n;

	if (store_readonly(r->st))
		return STORE_READONLY;
	while (i < r->p.n) {
		int held = flag_held(r, r->p.v[i], &st, err);

		if (held < 0)
			return st;
		if (held)
			strset_remove_at(&r->p, i);
		else
			i++;
	}
	if (r->p.n == before)
		return STORE_OK;
	st = store_commit(r->st, err);
	return st == STORE_OK ? save(r, err) : st;
}

enum store_status
store_reads_migrate(struct store_reads *r, const char *path, size_t *n, char **err)
{
	struct store_reads old;
	enum store_status st;
	char *to;
	size_t i;
	int missing;

	*n = 0;
	memset(&old, 0, sizeof old);
	old.st = r->st;
	st = load(&old, path, &missing, err);
	if (st != STORE_OK || missing) {
		strset_free(&old.p);
		return st;
	}
	*n = old.p.n;
	for (i = 0; i < old.p.n && st == STORE_OK; i++) {
		if (store_readonly(r->st)) {
			if (add(r, old.p.v[i]) < 0)
				st = STORE_NOMEM;
		} else if (flag_held(r, old.p.v[i], &st, err) == 0 && add(r, old.p.v[i]) < 0) {
			st = STORE_NOMEM;
		}
	}
	strset_free(&old.p);
	if (st != STORE_OK)
		return st;
	if (store_readonly(r->st))
		return STORE_READONLY;
	/* durable first (the flags' journal, the pending file), then the old
	 * file steps aside: a crash in between migrates it again, harmlessly */
	st = store_commit(r->st, err);
	if (st == STORE_OK)
		st = save(r, err);
	if (st != STORE_OK)
		return st;
	to = str_printf("%s.migrated", path);
	if (!to)
		return STORE_NOMEM;
	if (rename(path, to) < 0) {
		*err = str_printf("%s: %s", path, strerror(errno));
		free(to);
		return STORE_ERR;
	}
	free(to);
	return STORE_OK;
}
