/* util.c: capped growable buffers and string helpers (see util.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
