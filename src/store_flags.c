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
	char **v;		/* pending UIDLs, sorted */
	size_t n, cap;
};

/* Where uid is, or would go. */
static size_t
find(const struct store_reads *r, const char *uid, int *hit)
{
	size_t lo = 0, hi = r->n;

	*hit = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->v[mid], uid);

		if (c == 0) {
			*hit = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
add(struct store_reads *r, const char *uid)
{
	int hit;
	size_t at = find(r, uid, &hit);
	char *c;

	if (hit)
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		char **nv = realloc(r->v, cap * sizeof *nv);

		if (!nv)
			return -1;
		r->v = nv;
		r->cap = cap;
	}
	c = strdup(uid);
	if (!c)
		return -1;
	memmove(r->v + at + 1, r->v + at, (r->n - at) * sizeof *r->v);
	r->v[at] = c;
	r->n++;
	return 0;
}

static void
drop(struct store_reads *r, size_t at)
{
	free(r->v[at]);
	memmove(r->v + at, r->v + at + 1, (r->n - at - 1) * sizeof *r->v);
	r->n--;
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
	for (i = 0; i < r->n; i++)
		dbuf_printf(&b, "%s\n", r->v[i]);
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
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	free(r);
}

int
store_reads_has(const struct store_reads *r, const char *uid)
{
	const struct store_msg *m = store_find(r->st, uid);
	int hit;

	if (m && (m->flags & STORE_F_READ))
		return 1;
	find(r, uid, &hit);
	return hit;
}

size_t
store_reads_pending(const struct store_reads *r)
{
	return r->n;
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
	at = find(r, uid, &hit);
	if (held) {
		if (!hit)
			return STORE_OK;
		drop(r, at);
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
	size_t i = 0, before = r->n;

	if (store_readonly(r->st))
		return STORE_READONLY;
	while (i < r->n) {
		int held = flag_held(r, r->v[i], &st, err);

		if (held < 0)
			return st;
		if (held)
			drop(r, i);
		else
			i++;
	}
	if (r->n == before)
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
		for (i = 0; i < old.n; i++)
			free(old.v[i]);
		free(old.v);
		return st;
	}
	*n = old.n;
	for (i = 0; i < old.n && st == STORE_OK; i++) {
		if (store_readonly(r->st)) {
			if (add(r, old.v[i]) < 0)
				st = STORE_NOMEM;
		} else if (flag_held(r, old.v[i], &st, err) == 0 && add(r, old.v[i]) < 0) {
			st = STORE_NOMEM;
		}
	}
	for (i = 0; i < old.n; i++)
		free(old.v[i]);
	free(old.v);
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
