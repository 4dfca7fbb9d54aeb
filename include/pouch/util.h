/*
 * util.h: small helpers every layer may use: capped growable buffers
 * (struct dbuf) and error-string helpers.
 *
 * Who may include it: anyone. It knows nothing of mail, the network or the
 * terminal.
 *
 * A dbuf grows up to its cap. When an append fails (out of memory, or the cap
 * would be passed) the buffer frees itself and becomes empty, so a caller
 * that checks the return value never leaks and never keeps half a result.
 */
#ifndef POUCH_UTIL_H
#define POUCH_UTIL_H

#include <stddef.h>
#include <stdarg.h>

struct dbuf {
	char *p;	/* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;	/* allocated bytes */
	size_t max;	/* the cap on len; 0 means no cap */
};

void dbuf_init(struct dbuf *b, size_t max);
/* 0 on success; -1 when memory ran out or max would be passed (then the
 * buffer is freed and empty). */
int dbuf_add(struct dbuf *b, const void *p, size_t n);
int dbuf_addc(struct dbuf *b, char c);
int dbuf_adds(struct dbuf *b, const char *s);
int dbuf_printf(struct dbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int dbuf_vprintf(struct dbuf *b, const char *fmt, va_list ap);
/* Hands the (NUL-terminated) bytes to the caller, who frees them; the
 * buffer is empty afterwards. Never NULL: an empty buffer gives "". NULL only
 * when memory ran out. */
char *dbuf_take(struct dbuf *b, size_t *lenp);
/* Keeps the allocation, drops the contents. */
void dbuf_reset(struct dbuf *b);
void dbuf_free(struct dbuf *b);

/* A freshly allocated printf result, or NULL when memory ran out. */
char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *str_vprintf(const char *fmt, va_list ap);
/* Overwrites a secret (a password, a token) before freeing it. NULL is
 * allowed. */
void str_wipe_free(char *s);
/* fsync of a directory, so that names made in it are durable: 0, or -1
 * with errno (a file system that cannot sync directories counts as 0). */
int fsync_dir(const char *dir);
char *str_ndup(const char *s, size_t n);

/* Whole files, for the small files pouch keeps and reads (the LAST record,
 * netrc, later the store's index). */
#define FILE_NOFOLLOW	1	/* a symbolic link as the last component fails (ELOOP) */
#define FILE_SECRET	2	/* the bytes are wiped before any buffer is freed */
/* A set of strings kept sorted (strcmp), each once, each a malloc'd copy:
 * the UIDL sets of deletion marks and pending read flags. Zeroed is empty. */
struct strset {
	char **v;
	size_t n, cap;
};
/* 1 when s is in the set; *at is its index, or where it would go. */
int strset_find(const struct strset *set, const char *s, size_t *at);
/* Adds a copy of s (nothing when it is there already): 0, or -1 when
 * memory ran out. */
int strset_add(struct strset *set, const char *s);
/* Removes the string at index at (< n). */
void strset_remove_at(struct strset *set, size_t at);
void strset_free(struct strset *set);

/* Reads the regular file path into *out (malloc'd, NUL-terminated; *len
 * without the NUL): 0, or -1 with errno: ENOENT missing, EINVAL not a
 * regular file, EFBIG larger than max bytes (also when it grows past max
 * while read), ENOMEM, or the errno of open/read. */
int file_read_all(const char *path, size_t max, int flags, char **out,
    size_t *len);
/* Replaces path with data[0..len) so that a crash leaves the old file or
 * the new one, never a mix: writes path.XXXXXX (O_EXCL, mode 0600), fsyncs
 * it, renames it to path, fsyncs the directory. The temporary file is
 * removed on failure. 0, or -1 with *err ("PATH: what failed: why"), which
 * the caller frees (NULL when memory ran out). */
int file_write_atomic(const char *path, const void *data, size_t len,
    char **err);
/* The value of one hex digit (either case), or -1. */
int hex_digit(unsigned char c);

#endif
