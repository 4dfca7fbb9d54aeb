/*
 * lastrec.c: the LAST record (see lastrec.h). The UIDLs are kept in an
 * array that is sorted lazily, so that adding many is linear.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pouch/lastrec.h>
#include <pouch/util.h>

#define LASTREC_MAGIC "pouch-last 1"

struct lastrec {
	char *account;
	char **uids;
	size_t n, cap;
	int sorted;		/* sorted and without duplicates */
	unsigned long *nums;	/* sorted, without duplicates */
	size_t nnums, capnums;
	int nolast;
};

struct lastrec *
lastrec_new(const char *account)
{
	struct lastrec *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->account = strdup(account);
	if (!r->account) {
		free(r);
		return NULL;
	}
	r->sorted = 1;
	return r;
}

static void
lastrec_clear(struct lastrec *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->uids[i]);
	free(r->uids);
	r->uids = NULL;
	r->n = r->cap = 0;
	r->sorted = 1;
	free(r->nums);
	r->nums = NULL;
	r->nnums = r->capnums = 0;
	r->nolast = 0;
}

void
lastrec_free(struct lastrec *r)
{
	if (!r)
		return;
	lastrec_clear(r);
	free(r->account);
	free(r);
}

int
lastrec_uid_valid(const char *uid)
{
	size_t i;

	for (i = 0; uid[i]; i++)
		if ((unsigned char)uid[i] < 0x21 || (unsigned char)uid[i] > 0x7e)
			return 0;
	return i >= 1 && i <= LASTREC_UID_MAX;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorting does not change what the record holds, hence the const. */
static void
ensure_sorted(const struct lastrec *cr)
{
	struct lastrec *r = (struct lastrec *)cr;
	size_t i, o;

	if (r->sorted)
		return;
	qsort(r->uids, r->n, sizeof *r->uids, str_cmp);
	for (i = o = 0; i < r->n; i++) {
		if (o > 0 && strcmp(r->uids[o - 1], r->uids[i]) == 0)
			free(r->uids[i]);
		else
			r->uids[o++] = r->uids[i];
	}
	r->n = o;
	r->sorted = 1;
}

int
lastrec_has(const struct lastrec *r, const char *uid)
{
	ensure_sorted(r);
	return r->n && bsearch(&uid, r->uids, r->n, sizeof *r->uids, str_cmp) != NULL;
}

int
lastrec_add(struct lastrec *r, const char *uid)
{
	char *copy;

	if (!lastrec_uid_valid(uid))
		return -1;
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 64;
		char **nu = realloc(r->uids, ncap * sizeof *nu);

		if (!nu)
			return -1;
		r->uids = nu;
		r->cap = ncap;
	}
	copy = strdup(uid);
	if (!copy)
		return -1;
	if (r->n && r->sorted && strcmp(r->uids[r->n - 1], copy) >= 0)
		r->sorted = 0;
	r->uids[r->n++] = copy;
	return 0;
}

size_t
lastrec_prune(struct lastrec *r, int (*keep)(void *ctx, const char *uid), void *ctx)
{
	size_t i, o, gone;

	for (i = o = 0; i < r->n; i++) {
		if (keep(ctx, r->uids[i]))
			r->uids[o++] = r->uids[i];
		else
			free(r->uids[i]);
	}
	gone = r->n - o;
	r->n = o;
	return gone;
}

size_t
lastrec_count(const struct lastrec *r)
{
	ensure_sorted(r);
	return r->n;
}

unsigned long
lastrec_max(const struct lastrec *r)
{
	return r->nnums ? r->nums[r->nnums - 1] : 0;
}

int
lastrec_num_add(struct lastrec *r, unsigned long n)
{
	size_t lo = 0, hi = r->nnums, mid;

	if (n == 0)
		return -1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->nums[mid] < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->nnums && r->nums[lo] == n)
		return 0;
	if (r->nnums == r->capnums) {
		size_t nc = r->capnums ? r->capnums * 2 : 16;
		unsigned long *nv = realloc(r->nums, nc * sizeof *nv);

		if (!nv)
			return -1;
		r->nums = nv;
		r->capnums = nc;
	}
	memmove(r->nums + lo + 1, r->nums + lo, (r->nnums - lo) * sizeof *r->nums);
	r->nums[lo] = n;
	r->nnums++;
	return 0;
}

size_t
lastrec_num_count(const struct lastrec *r)
{
	return r->nnums;
}

unsigned long
lastrec_num_get(const struct lastrec *r, size_t i)
{
	return i < r->nnums ? r->nums[i] : 0;
}

void
lastrec_num_clear(struct lastrec *r)
{
	r->nnums = 0;
}

int
lastrec_nolast(const struct lastrec *r)
{
	return r->nolast;
}

void
lastrec_set_nolast(struct lastrec *r, int nolast)
{
	r->nolast = nolast != 0;
}

static enum lastrec_status
corrupt(struct lastrec *r, char **err, unsigned long line, const char *why)
{
	lastrec_clear(r);
	*err = str_printf("line %lu: %s", line, why);
	return *err ? LASTREC_CORRUPT : LASTREC_NOMEM;
}

enum lastrec_status
lastrec_parse(struct lastrec *r, const char *text, size_t len, char **err)
{
	const char *p = text, *end = text + len, *nl;
	unsigned long line = 0;
	int seen_max = 0;
	char buf[LASTREC_UID_MAX + 8];

	lastrec_clear(r);
	*err = NULL;
	if (len > LASTREC_MAX_FILE)
		return corrupt(r, err, 0, "the file is too large");
	while (p < end) {
		size_t n;

		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return corrupt(r, err, line, "the last line is cut short");
		n = (size_t)(nl - p);
		if (memchr(p, '\0', n))
			return corrupt(r, err, line, "a NUL byte");
		if (line == 1) {
			if (n != strlen(LASTREC_MAGIC) || memcmp(p, LASTREC_MAGIC, n) != 0)
				return corrupt(r, err, line, "not a pouch LAST record");
		} else if (line == 2) {
			if (n < 8 || memcmp(p, "account ", 8) != 0 ||
			    n - 8 != strlen(r->account) ||
			    memcmp(p + 8, r->account, n - 8) != 0)
				return corrupt(r, err, line, "the record is for another account");
		} else if ((n >= 4 && memcmp(p, "num ", 4) == 0) ||
		    (n >= 4 && memcmp(p, "max ", 4) == 0 && !seen_max)) {
			/* "max N" is how pouch-last 1 files from before "num"
			 * kept the highest number retrieved: one number. */
			unsigned long long v = 0;
			size_t i;
			int is_max = p[1] == 'a';

			if (n == 4 || n > 4 + 10)
				return corrupt(r, err, line, is_max ? "bad max line" : "bad num line");
			for (i = 4; i < n; i++) {
				if (p[i] < '0' || p[i] > '9')
					return corrupt(r, err, line, is_max ? "bad max line" : "bad num line");
				v = v * 10 + (unsigned)(p[i] - '0');
			}
			if (v > 4294967295ULL || (!is_max && v == 0))
				return corrupt(r, err, line, is_max ? "bad max line" : "bad num line");
			if (is_max)
				seen_max = 1;
			if (v && lastrec_num_add(r, (unsigned long)v) < 0) {
				lastrec_clear(r);
				return LASTREC_NOMEM;
			}
		} else if (n == 14 && memcmp(p, "server-last no", 14) == 0) {
			r->nolast = 1;
		} else if (n >= 4 && memcmp(p, "uid ", 4) == 0) {
			if (n - 4 > LASTREC_UID_MAX)
				return corrupt(r, err, line, "a UIDL longer than 70 characters");
			memcpy(buf, p + 4, n - 4);
			buf[n - 4] = '\0';
			if (!lastrec_uid_valid(buf))
				return corrupt(r, err, line, "a UIDL with a character outside 0x21..0x7E");
			if (lastrec_add(r, buf) < 0) {
				lastrec_clear(r);
				return LASTREC_NOMEM;
			}
		} else {
			return corrupt(r, err, line, "unknown line");
		}
		p = nl + 1;
	}
	if (line < 2)
		return corrupt(r, err, line, "the header is missing");
	return LASTREC_OK;
}

char *
lastrec_format(const struct lastrec *r, size_t *len)
{
	struct dbuf b;
	size_t i;

	ensure_sorted(r);
	dbuf_init(&b, 0);
	if (dbuf_printf(&b, "%s\naccount %s\n", LASTREC_MAGIC, r->account) < 0)
		return NULL;
	if (r->nolast && dbuf_adds(&b, "server-last no\n") < 0)
		return NULL;
	for (i = 0; i < r->nnums; i++)
		if (dbuf_printf(&b, "num %lu\n", r->nums[i]) < 0)
			return NULL;
	for (i = 0; i < r->n; i++)
		if (dbuf_adds(&b, "uid ") < 0 || dbuf_adds(&b, r->uids[i]) < 0 ||
		    dbuf_addc(&b, '\n') < 0)
			return NULL;
	return dbuf_take(&b, len);
}

enum lastrec_status
lastrec_load(struct lastrec *r, const char *path, char **err)
{
	enum lastrec_status st;
	char *text;
	size_t len;

	*err = NULL;
	lastrec_clear(r);
	if (file_read_all(path, LASTREC_MAX_FILE, FILE_NOFOLLOW, &text, &len) < 0) {
		if (errno == ENOENT)
			return LASTREC_OK;
		if (errno == ENOMEM)
			return LASTREC_NOMEM;
		if (errno == EFBIG) {
			*err = str_printf("%s: larger than %lu bytes", path, LASTREC_MAX_FILE);
			return *err ? LASTREC_CORRUPT : LASTREC_NOMEM;
		}
		*err = str_printf("%s: %s", path, errno == EINVAL ?
		    "not a regular file" : strerror(errno));
		return *err ? LASTREC_ERR : LASTREC_NOMEM;
	}
	st = lastrec_parse(r, text, len, err);
	free(text);
	return st;
}

/* mkdir -p with mode 0700 for the directory part of path. */
static int
make_parents(const char *path, char **err)
{
	char *dir = strdup(path), *p;

	if (!dir)
		return -1;
	p = strrchr(dir, '/');
	if (!p || p == dir) {
		free(dir);
		return 0;
	}
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
				*err = str_printf("%s: %s", dir, strerror(errno));
				free(dir);
				return -1;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	free(dir);
	return 0;
}

enum lastrec_status
lastrec_save(const struct lastrec *r, const char *path, char **err)
{
	char *text;
	size_t len;
	int rc;

	*err = NULL;
	if (make_parents(path, err) < 0)
		return *err ? LASTREC_ERR : LASTREC_NOMEM;
	text = lastrec_format(r, &len);
	if (!text)
		return LASTREC_NOMEM;
	rc = file_write_atomic(path, text, len, err);
	free(text);
	if (rc < 0)
		return *err ? LASTREC_ERR : LASTREC_NOMEM;
	return LASTREC_OK;
}

char *
lastrec_path(const char *state_dir, const char *account)
{
	struct dbuf b;

	dbuf_init(&b, 0);
	if (dbuf_printf(&b, "%s/last-", state_dir) < 0 || lastrec_add_account(&b, account) < 0)
		return NULL;
	return dbuf_take(&b, NULL);
}

int
lastrec_add_account(struct dbuf *b, const char *account)
{
	const unsigned char *p;

	for (p = (const unsigned char *)account; *p; p++) {
		int keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '@' || *p == '_' ||
		    *p == '+' || *p == '-' || (*p == '.' && p != (const unsigned char *)account);

		if ((keep ? dbuf_addc(b, (char)*p) : dbuf_printf(b, "%%%02X", *p)) < 0)
			return -1;
	}
	return 0;
}

int
lastrec_lock(const char *path, long timeout_ms, char **err)
{
	char *lp;
	int fd;
	long waited = 0;

	if (make_parents(path, err) < 0) {
		if (!*err)
			*err = str_printf("out of memory");
		return -1;
	}
	lp = str_printf("%s.lock", path);
	if (!lp) {
		*err = str_printf("out of memory");
		return -1;
	}
	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		*err = str_printf("%s: %s", lp, strerror(errno));
		free(lp);
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || waited >= timeout_ms) {
			*err = errno == EWOULDBLOCK
			    ? str_printf("%s: another pouch has held it for %ld ms", lp, waited)
			    : str_printf("%s: %s", lp, strerror(errno));
			close(fd);
			free(lp);
			return -1;
		}
		usleep(10000);
		waited += 10;
	}
	free(lp);
	return fd;
}

void
lastrec_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* closing the last descriptor releases the flock */
}

char *
lastrec_store_path(const char *store_dir)
{
	return str_printf("%s/.pouch-last", store_dir);
}

int
lastrec_merge(struct lastrec *dst, const struct lastrec *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		if (lastrec_add(dst, src->uids[i]) < 0)
			return -1;
	for (i = 0; i < src->nnums; i++)
		if (lastrec_num_add(dst, src->nums[i]) < 0)
			return -1;
	if (src->nolast)
		dst->nolast = 1;
	return 0;
}

/* Renames path to path.migrated, or .migrated.N when that exists (never
 * replacing a file), and fsyncs its directory. The new name, or NULL. */
static char *
rename_aside(const char *path, char **err)
{
	struct stat st;
	char *to = NULL, *dir, *slash;
	int n;

	for (n = 1; n < 1000; n++) {
		free(to);
		to = n == 1 ? str_printf("%s.migrated", path) :
		    str_printf("%s.migrated.%d", path, n);
		if (!to)
			return NULL;
		if (lstat(to, &st) < 0 && errno == ENOENT)
			break;
	}
	if (n == 1000 || rename(path, to) < 0) {
		*err = str_printf("%s: cannot rename it to %s: %s", path, to,
		    n == 1000 ? "too many earlier .migrated files" : strerror(errno));
		free(to);
		return NULL;
	}
	dir = strdup(path);
	slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		*slash = '\0';
	if (dir && fsync_dir(!slash ? "." : *dir ? dir : "/") < 0)
		*err = str_printf("%s: fsync failed: %s", dir, strerror(errno));
	free(dir);
	if (*err) {
		free(to);
		return NULL;
	}
	return to;
}

enum lastrec_status
lastrec_migrate(const char *old_path, const char *path, const char *account,
    char **moved, char **err)
{
	struct lastrec *old = NULL, *cur = NULL;
	enum lastrec_status st;
	struct stat sb;
	char *e = NULL, *to = NULL;
	int fd;

	*err = NULL;
	if (moved)
		*moved = NULL;
	if (lstat(old_path, &sb) < 0 && errno == ENOENT)
		return LASTREC_OK;
	fd = lastrec_lock(path, LASTREC_LOCK_WAIT_MS, err);
	if (fd < 0)
		return *err ? LASTREC_ERR : LASTREC_NOMEM;
	old = lastrec_new(account);
	cur = lastrec_new(account);
	st = LASTREC_NOMEM;
	if (!old || !cur)
		goto out;
	/* Again under the lock: another pouch may have moved it meanwhile. */
	st = lastrec_load(old, old_path, &e);
	if (st == LASTREC_OK && lstat(old_path, &sb) < 0)
		goto out;	/* gone: nothing to do */
	if (st == LASTREC_CORRUPT) {
		to = rename_aside(old_path, err);
		if (to) {
			free(*err);
			*err = str_printf("the old LAST record %s does not parse (%s): not merged, "
			    "kept as %s", old_path, e ? e : "?", to);
		}
		st = to ? LASTREC_CORRUPT : *err ? LASTREC_ERR : LASTREC_NOMEM;
		goto out;
	}
	if (st != LASTREC_OK) {
		*err = str_printf("the old LAST record %s: %s", old_path, e ? e : "out of memory");
		goto out;
	}
	free(e);
	e = NULL;
	st = lastrec_load(cur, path, &e);
	if (st != LASTREC_OK) {
		*err = str_printf("the LAST record %s: %s; %s was not merged into it", path,
		    e ? e : "out of memory", old_path);
		goto out;
	}
	if (lastrec_merge(cur, old) < 0) {
		st = LASTREC_NOMEM;
		goto out;
	}
	st = lastrec_save(cur, path, err);
	if (st != LASTREC_OK)
		goto out;
	to = rename_aside(old_path, err);
	if (!to)
		st = *err ? LASTREC_ERR : LASTREC_NOMEM;
out:
	if (st == LASTREC_NOMEM && !*err)
		*err = str_printf("out of memory");
	if (moved)
		*moved = to;
	else
		free(to);
	free(e);
	lastrec_free(old);
	lastrec_free(cur);
	lastrec_unlock(fd);
	return st;
}
