/* save.c: safe file names and saving parts into a directory (see save.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pouch/charset.h>
#include <pouch/save.h>
#include <pouch/util.h>

/* The length of s cut to at most max bytes on a UTF-8 boundary. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

/* The start of the extension ('.' included) of a name of len bytes, or
 * len when it has none worth keeping (none, leading dot, too long). */
static size_t
ext_start(const char *s, size_t len)
{
	const char *dot = NULL;
	size_t i;

	for (i = 1; i < len; i++)
		if (s[i] == '.')
			dot = s + i;
	if (!dot || len - (size_t)(dot - s) > 16)
		return len;
	return (size_t)(dot - s);
}

static char *
sanitize(const char *name, size_t len)
{
	const char *s, *e, *p;
	struct dbuf b;
	size_t n, cut, ext;
	char *out;
	int bad = 0;

	if (!name)
		return NULL;
	/* The last non-empty path component, by either separator. */
	e = name + len;
	while (e > name && (e[-1] == '/' || e[-1] == '\\'))
		e--;
	s = e;
	while (s > name && s[-1] != '/' && s[-1] != '\\')
		s--;
	dbuf_init(&b, 0);
	for (p = s; p < e; ) {
		uint32_t cp;
		size_t ill, k = utf8_next(p, (size_t)(e - p), &cp, &ill);

		if (k == 0 || utf8_unsafe_cp(cp)) {
			bad |= dbuf_addc(&b, '_');
			p += k ? k : 1;
		} else {
			bad |= dbuf_add(&b, p, k);
			p += k;
		}
	}
	if (bad || dbuf_add(&b, "", 0) < 0) {
		dbuf_free(&b);
		return NULL;
	}
	/* Trim spaces (after, so "_" stand-ins stay). */
	n = b.len;
	while (n && b.p[n - 1] == ' ')
		n--;
	b.p[n] = '\0';
	s = b.p;
	while (*s == ' ')
		s++;
	n -= (size_t)(s - b.p);
	memmove(b.p, s, n + 1);
	if (n && (b.p[0] == '.' || b.p[0] == '-'))
		b.p[0] = '_';
	if (n > SAVE_NAME_MAX) {
		ext = ext_start(b.p, n);
		cut = utf8_cut(b.p, ext, SAVE_NAME_MAX - (n - ext));
		memmove(b.p + cut, b.p + ext, n - ext);
		n = cut + (n - ext);
		b.p[n] = '\0';
	}
	if (n == 0) {
		dbuf_free(&b);
		return strdup("");
	}
	out = dbuf_take(&b, NULL);
	return out;
}

char *
save_safe_name(const char *name, size_t len, const char *fallback)
{
	char *r = sanitize(name, len);

	if (name && !r)
		return NULL;
	if (r && *r)
		return r;
	free(r);
	r = sanitize(fallback, fallback ? strlen(fallback) : 0);
	if (fallback && !r)
		return NULL;
	if (r && *r)
		return r;
	free(r);
	return strdup("attachment");
}

char *
save_candidate(const char *safe, unsigned n)
{
	size_t len = strlen(safe), ext, room, stem;
	char suffix[24];
	int sl;

	if (n == 0)
		return strdup(safe);
	sl = snprintf(suffix, sizeof(suffix), " (%u)", n);
	ext = ext_start(safe, len);
	room = SAVE_NAME_MAX - (size_t)sl;
	if (len - ext > room)
		ext = len;	/* cannot happen with a 16-byte extension */
	stem = utf8_cut(safe, ext, room - (len - ext));
	return str_printf("%.*s%s%s", (int)stem, safe, suffix, safe + ext);
}

int
save_create(int dirfd, const char *safe, char **chosen)
{
	unsigned n;
	int fd;

	for (n = 0; n < SAVE_MAX_TRIES; n++) {
		char *cand = save_candidate(safe, n);

		if (!cand) {
			errno = ENOMEM;
			return -1;
		}
		fd = openat(dirfd, cand,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0) {
			*chosen = cand;
			return fd;
		}
		free(cand);
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

struct wsink {
	int fd;
	int err;	/* errno of the failed write */
	int cancelled;
	size_t written;
	save_progress_fn progress;
	void *arg;
};

static int
write_sink(void *arg, const char *p, size_t n)
{
	struct wsink *w = arg;

	while (n) {
		ssize_t k = write(w->fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			w->err = errno;
			return 1;
		}
		p += k;
		w->written += (size_t)k;
		n -= (size_t)k;
	}
	if (w->progress && w->progress(w->arg, w->written)) {
		w->cancelled = 1;
		return 1;
	}
	return 0;
}

int
save_part(int dirfd, const struct mime_part *p, const char *name,
    const char *fallback, char **chosen, char **err)
{
	return save_part_progress(dirfd, p, name, fallback, chosen, err,
	    NULL, NULL);
}

int
save_part_progress(int dirfd, const struct mime_part *p, const char *name,
    const char *fallback, char **chosen, char **err,
    save_progress_fn progress, void *arg)
{
	struct wsink w;
	char *safe, *got = NULL;
	int r;

	*chosen = NULL;
	*err = NULL;
	if (name)
		safe = save_safe_name(name, strlen(name), fallback);
	else
		safe = save_safe_name(p->filename, p->filename_len, fallback);
	if (!safe) {
		*err = str_printf("out of memory");
		return -1;
	}
	memset(&w, 0, sizeof(w));
	w.progress = progress;
	w.arg = arg;
	w.fd = save_create(dirfd, safe, &got);
	if (w.fd < 0) {
		*err = str_printf("cannot create \"%s\": %s", safe,
		    strerror(errno));
		free(safe);
		return -1;
	}
	free(safe);
	r = mime_part_decode(p, write_sink, &w);
	if (r == 0 && close(w.fd) < 0) {
		w.err = errno;
		r = 1;
	} else if (r != 0) {
		close(w.fd);
	}
	if (r != 0) {
		*err = w.cancelled ? str_printf("saving \"%s\": cancelled", got) :
		    str_printf("writing \"%s\": %s", got,
		    r < 0 ? "out of memory" : strerror(w.err));
		unlinkat(dirfd, got, 0);
		free(got);
		return w.cancelled ? SAVE_CANCELLED : -1;
	}
	*chosen = got;
	return 0;
}
