/* util.c: capped growable buffers and string helpers (see util.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pouch/util.h>

void
dbuf_init(struct dbuf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
dbuf_free(struct dbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

void
dbuf_reset(struct dbuf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

static int
dbuf_grow(struct dbuf *b, size_t n)
{
	size_t need, cap;
	char *np;

	if (n > SIZE_MAX - b->len - 1)
		goto fail;
	need = b->len + n + 1;
	if (b->max && b->len + n > b->max)
		goto fail;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	np = realloc(b->p, cap);
	if (!np)
		goto fail;
	b->p = np;
	b->cap = cap;
	return 0;
fail:
	dbuf_free(b);
	return -1;
}

int
dbuf_add(struct dbuf *b, const void *p, size_t n)
{
	if (dbuf_grow(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
dbuf_addc(struct dbuf *b, char c)
{
	return dbuf_add(b, &c, 1);
}

int
dbuf_adds(struct dbuf *b, const char *s)
{
	return dbuf_add(b, s, strlen(s));
}

int
dbuf_vprintf(struct dbuf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || dbuf_grow(b, (size_t)n) < 0) {
		dbuf_free(b);
		return -1;
	}
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
dbuf_printf(struct dbuf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = dbuf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

char *
dbuf_take(struct dbuf *b, size_t *lenp)
{
	char *p;

	if (!b->p) {
		if (dbuf_grow(b, 0) < 0)
			return NULL;
		b->p[0] = '\0';
	}
	p = b->p;
	if (lenp)
		*lenp = b->len;
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

char *
str_vprintf(const char *fmt, va_list ap)
{
	struct dbuf b;

	dbuf_init(&b, 0);
	if (dbuf_vprintf(&b, fmt, ap) < 0)
		return NULL;
	return dbuf_take(&b, NULL);
}

char *
str_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = str_vprintf(fmt, ap);
	va_end(ap);
	return s;
}

void
str_wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	/* Some file systems cannot fsync a directory; that is not a failure. */
	if (r < 0 && (errno == EINVAL || errno == EROFS))
		r = 0;
	close(fd);
	return r;
}

char *
str_ndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int
hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
file_read_all(const char *path, size_t max, int flags, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t got = 0, cap;
	ssize_t n;
	int fd, e;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | ((flags & FILE_NOFOLLOW) ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	errno = EINVAL;
	if (!S_ISREG(st.st_mode))
		goto fail;
	errno = EFBIG;
	if ((unsigned long long)st.st_size > max)
		goto fail;
	/* Room for the size fstat gave and one byte more, so that the end of
	 * the file is seen without growing; a file that grows meanwhile gets
	 * copied by hand, so a secret is never left in a buffer realloc let
	 * go of. */
	cap = (size_t)st.st_size + 2;
	buf = malloc(cap);
	errno = ENOMEM;
	if (!buf)
		goto fail;
	for (;;) {
		if (got + 1 == cap) {
			errno = EFBIG;
			if (got >= max)
				goto fail;
			errno = ENOMEM;
			nb = malloc(cap * 2);
			if (!nb)
				goto fail;
			memcpy(nb, buf, got);
			if (flags & FILE_SECRET)
				explicit_bzero(buf, got);
			free(buf);
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	errno = EFBIG;
	if (got > max)
		goto fail;
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
fail:
	e = errno;
	if (buf && (flags & FILE_SECRET))
		explicit_bzero(buf, got);
	free(buf);
	close(fd);
	errno = e;
	return -1;
}

int
file_write_atomic(const char *path, const void *data, size_t len, char **err)
{
	const char *p = data;
	char *tmp, *dir, *slash;
	size_t off = 0;
	int fd;

	*err = NULL;
	tmp = str_printf("%s.XXXXXX", path);
	if (!tmp)
		return -1;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		*err = str_printf("%s: cannot create: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			*err = str_printf("%s: write failed: %s", tmp,
			    w < 0 ? strerror(errno) : "no progress");
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0) {
		*err = str_printf("%s: fsync failed: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		*err = str_printf("%s: close failed: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		*err = str_printf("%s: rename failed: %s", path, strerror(errno));
		goto fail;
	}
	free(tmp);
	dir = strdup(path);
	if (!dir)
		return -1;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (fsync_dir(!slash ? "." : *dir ? dir : "/") < 0) {
		*err = str_printf("%s: fsync failed: %s", !slash ? "." : *dir ? dir : "/",
		    strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

int
strset_find(const struct strset *set, const char *s, size_t *at)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(set->v[mid], s);

		if (c == 0) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return 0;
}

int
strset_add(struct strset *set, const char *s)
{
	size_t at;
	char *copy;

	if (strset_find(set, s, &at))
		return 0;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		char **nv = realloc(set->v, cap * sizeof *nv);

		if (!nv)
			return -1;
		set->v = nv;
		set->cap = cap;
	}
	copy = strdup(s);
	if (!copy)
		return -1;
	memmove(set->v + at + 1, set->v + at, (set->n - at) * sizeof *set->v);
	set->v[at] = copy;
	set->n++;
	return 0;
}

void
strset_remove_at(struct strset *set, size_t at)
{
	free(set->v[at]);
	memmove(set->v + at, set->v + at + 1, (set->n - at - 1) * sizeof *set->v);
	set->n--;
}

void
strset_free(struct strset *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->v[i]);
	free(set->v);
	memset(set, 0, sizeof *set);
}
