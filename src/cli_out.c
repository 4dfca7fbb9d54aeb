/*
 * cli_out.c: terminal-safe server text, the --trace transcript, and message
 * files that only get their final name once complete (see cli_out.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pouch/charset.h>
#include <pouch/cli_out.h>

/* Shows p[0..n) with pouch's one unsafe set (utf8_unsafe_cp, charset.h)
 * neutralised: C0 controls but TAB in caret notation, DEL as ^?, and the
 * other members (C1, bidi controls and marks, line and paragraph
 * separators) byte by byte as \xNN, like bytes that are not UTF-8. */
int
cli_escape(struct dbuf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len, bad, k;
	uint32_t cp;

	while (i < n) {
		unsigned char c = p[i];

		if (c == '\t' || (c >= 0x20 && c < 0x7f)) {
			if (dbuf_addc(b, (char)c) < 0)
				return -1;
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			if (dbuf_addc(b, '^') < 0 ||
			    dbuf_addc(b, c == 0x7f ? '?' : (char)(c + 0x40)) < 0)
				return -1;
			i++;
		} else if ((len = utf8_next(s + i, n - i, &cp, &bad)) &&
		    !utf8_unsafe_cp(cp)) {
			if (dbuf_add(b, p + i, len) < 0)
				return -1;
			i += len;
		} else {
			len = len ? len : bad;
			for (k = 0; k < len; k++)
				if (dbuf_printf(b, "\\x%02x", p[i + k]) < 0)
					return -1;
			i += len;
		}
	}
	return 0;
}

void
cli_escape_put(FILE *fp, const char *p, size_t n)
{
	struct dbuf b;
	size_t i;

	/* Printable ASCII goes as it is, without a copy: a UIDL listing of
	 * millions prints a line at a time. */
	for (i = 0; i < n && (unsigned char)p[i] >= 0x20 && (unsigned char)p[i] < 0x7f; i++)
		;
	if (i == n) {
		fwrite(p, 1, n, fp);
		return;
	}
	dbuf_init(&b, 0);
	if (cli_escape(&b, p, n) < 0) {
		fputs("[out of memory]", fp);
		return;
	}
	if (b.len)
		fwrite(b.p, 1, b.len, fp);
	dbuf_free(&b);
}

void
cli_escape_puts(FILE *fp, const char *s)
{
	cli_escape_put(fp, s, strlen(s));
}

void
cli_trace_init(struct cli_trace *t, FILE *fp, const char *password)
{
	memset(t, 0, sizeof *t);
	t->fp = fp;
	t->password = password;
}

/* Ends the body being shown: the note of what was shortened, if anything. */
static void
trace_end_body(struct cli_trace *t)
{
	if (t->hidden_lines)
		fprintf(t->fp, "S: [... %lu more lines, %llu octets ...]\n",
		    t->hidden_lines, t->hidden_octets);
	t->hidden_lines = 0;
	t->hidden_octets = 0;
	t->body_lines = 0;
}

void
cli_trace_flush(struct cli_trace *t)
{
	trace_end_body(t);
	fflush(t->fp);
}

/* The engine masks secrets already; this is the second lock on the door. */
static int
trace_is_secret(const struct cli_trace *t, const char *line, size_t len)
{
	size_t pl;

	if (len >= 5 && strncasecmp(line, "PASS ", 5) == 0)
		return 1;
	if (!t->password)
		return 0;
	pl = strlen(t->password);
	return pl >= 4 && memmem(line, len, t->password, pl) != NULL;
}

void
cli_trace_line(void *ctx, char dir, const char *line, size_t len)
{
	struct cli_trace *t = ctx;
	const char *prefix;

	if (dir == 'D') {
		if (++t->body_lines > CLI_TRACE_BODY_LINES) {
			t->hidden_lines++;
			t->hidden_octets += len + 2;
			return;
		}
		prefix = "S: ";
	} else {
		trace_end_body(t);
		prefix = dir == 'C' ? "C: " : dir == 'S' ? "S: " : "*: ";
	}
	fputs(prefix, t->fp);
	/* Body lines are shown as on the wire, dot-stuffed, so that a body
	 * line "." cannot be read as the end of the reply. */
	if (dir == 'D' && len > 0 && line[0] == '.')
		fputc('.', t->fp);
	if (dir == 'C' && trace_is_secret(t, line, len)) {
		const char *sp = memchr(line, ' ', len);

		/* Keep the command word, mask the rest. */
		if (sp && sp - line <= 12)
			cli_escape_put(t->fp, line, (size_t)(sp - line) + 1);
		fputs("********", t->fp);
	} else {
		cli_escape_put(t->fp, line, len);
	}
	fputc('\n', t->fp);
	if (dir != 'D')
		fflush(t->fp);
}

char *
outfile_name(const char *dir, unsigned long n)
{
	return str_printf("%s/%lu.eml", dir, n);
}

enum outfile_status
outfile_check(const char *dir, const unsigned long *msgs, size_t n, char **err)
{
	struct stat st;
	size_t i;

	if (stat(dir, &st) < 0) {
		if (errno != ENOENT || mkdir(dir, 0700) < 0) {
			*err = str_printf("%s: %s", dir, strerror(errno));
			return OUTFILE_ERR;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		*err = str_printf("%s: not a directory", dir);
		return OUTFILE_ERR;
	}
	for (i = 0; i < n; i++) {
		char *name = outfile_name(dir, msgs[i]);

		if (!name) {
			*err = str_printf("out of memory");
			return OUTFILE_ERR;
		}
		if (lstat(name, &st) == 0 || errno != ENOENT) {
			*err = str_printf("%s already exists; pouch never overwrites a file", name);
			free(name);
			return OUTFILE_EXISTS;
		}
		free(name);
	}
	return OUTFILE_OK;
}

enum outfile_status
outfile_open(struct outfile *f, const char *dir, unsigned long n, char **err)
{
	memset(f, 0, sizeof *f);
	f->fd = -1;
	f->dir = strdup(dir);
	f->final = outfile_name(dir, n);
	f->tmp = str_printf("%s/.%lu.eml.XXXXXX", dir, n);
	if (!f->dir || !f->final || !f->tmp) {
		*err = str_printf("out of memory");
		outfile_abort(f);
		return OUTFILE_ERR;
	}
	f->fd = mkostemp(f->tmp, O_CLOEXEC);
	if (f->fd < 0) {
		*err = str_printf("%s: cannot create a temporary file: %s", dir, strerror(errno));
		free(f->tmp);
		f->tmp = NULL;
		outfile_abort(f);
		return OUTFILE_ERR;
	}
	return OUTFILE_OK;
}

enum outfile_status
outfile_write(struct outfile *f, const char *p, size_t n, char **err)
{
	ssize_t w;

	if (f->failed || f->fd < 0)
		return OUTFILE_ERR;
	while (n > 0) {
		w = write(f->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			*err = str_printf("%s: write failed: %s", f->tmp,
			    w < 0 ? strerror(errno) : "no progress");
			f->failed = 1;
			return OUTFILE_ERR;
		}
		p += w;
		n -= (size_t)w;
		f->written += (unsigned long long)w;
	}
	return OUTFILE_OK;
}

/* Links f's temporary file to its final name without replacing anything,
 * and removes the temporary name (also on failure). */
static enum outfile_status
outfile_link(struct outfile *f, char **err)
{
	enum outfile_status st = OUTFILE_OK;

	if (link(f->tmp, f->final) < 0) {
		int e = errno;

		/* No hard links (vfat, some network file systems): rename,
		 * still refusing to replace. */
		if (e != EEXIST && renameat2(AT_FDCWD, f->tmp, AT_FDCWD, f->final,
		    RENAME_NOREPLACE) == 0) {
			free(f->tmp);
			f->tmp = NULL;
		} else {
			if (e != EEXIST && errno == EEXIST)
				e = EEXIST;
			if (e == EEXIST) {
				*err = str_printf("%s already exists; pouch never overwrites a file",
				    f->final);
				st = OUTFILE_EXISTS;
			} else {
				*err = str_printf("%s: %s", f->final, strerror(e));
				st = OUTFILE_ERR;
			}
		}
	}
	if (f->tmp) {
		unlink(f->tmp);
		free(f->tmp);
		f->tmp = NULL;
	}
	return st;
}

/* fsync and close f's file. */
static enum outfile_status
outfile_sync_close(struct outfile *f, char **err)
{
	enum outfile_status st = OUTFILE_OK;
	int fd = f->fd;

	f->fd = -1;
	if (f->failed || fd < 0) {
		*err = str_printf("%s: the message was not written completely", f->final);
		st = OUTFILE_ERR;
	} else if (fsync(fd) < 0) {
		*err = str_printf("%s: fsync failed: %s", f->tmp, strerror(errno));
		st = OUTFILE_ERR;
	}
	if (fd >= 0 && close(fd) < 0 && st == OUTFILE_OK) {
		*err = str_printf("%s: close failed: %s", f->tmp, strerror(errno));
		st = OUTFILE_ERR;
	}
	return st;
}

void
outfile_abort(struct outfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->tmp)
		unlink(f->tmp);
	free(f->tmp);
	free(f->final);
	free(f->dir);
	f->tmp = f->final = f->dir = NULL;
}

enum outfile_status
outbatch_add(struct outbatch *b, struct outfile *f, char **err)
{
	if (f->failed || f->fd < 0) {
		*err = str_printf("%s: the message was not written completely",
		    f->final ? f->final : "message file");
		outfile_abort(f);
		return OUTFILE_ERR;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct outfile *nf = realloc(b->f, cap * sizeof *nf);

		if (!nf) {
			*err = str_printf("out of memory");
			outfile_abort(f);
			return OUTFILE_ERR;
		}
		b->f = nf;
		b->cap = cap;
	}
#ifdef SYNC_FILE_RANGE_WRITE
	/* Start the write-back now (and with it the block allocation), so
	 * that the fsyncs at landing find the data on its way and commit the
	 * file system's journal once for all of them. A failure here only
	 * loses the head start: the fsync still decides. */
	(void)sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
	b->bytes += f->written;
	b->f[b->n++] = *f;
	memset(f, 0, sizeof *f);
	f->fd = -1;
	return OUTFILE_OK;
}

int
outbatch_full(const struct outbatch *b)
{
	return b->n >= OUTBATCH_MAX_FILES || b->bytes >= OUTBATCH_MAX_BYTES;
}

/* One step of landing on file f: a failure marks f and is kept in
 * (*st, *err) when it is the first. */
static void
land_step(struct outfile *f, enum outfile_status (*step)(struct outfile *, char **),
    enum outfile_status *st, char **err)
{
	char *ferr = NULL;
	enum outfile_status fst;

	if (f->failed)
		return;
	fst = step(f, &ferr);
	if (fst == OUTFILE_OK)
		return;
	f->failed = 1;
	if (*st == OUTFILE_OK) {
		*st = fst;
		*err = ferr;
	} else {
		free(ferr);
	}
}

enum outfile_status
outbatch_land(struct outbatch *b, char **err)
{
	enum outfile_status st = OUTFILE_OK;
	size_t i, k;

	/* Every file is landed on its own: one that fails (a name taken
	 * meanwhile, a full disk) does not hold back the others; the first
	 * failure is reported. Pass 1 fsyncs them all, pass 2 names them. */
	for (i = 0; i < b->n; i++)
		land_step(&b->f[i], outfile_sync_close, &st, err);
	for (i = 0; i < b->n; i++)
		land_step(&b->f[i], outfile_link, &st, err);
	/* The new names are durable once their directory is: one fsync per
	 * directory (the first landed file of each). */
	for (i = 0; i < b->n; i++) {
		if (b->f[i].failed)
			continue;
		for (k = 0; k < i; k++)
			if (!b->f[k].failed && strcmp(b->f[k].dir, b->f[i].dir) == 0)
				break;
		if (k < i)
			continue;
		if (fsync_dir(b->f[i].dir) < 0 && st == OUTFILE_OK) {
			*err = str_printf("%s: fsync failed: %s", b->f[i].dir, strerror(errno));
			st = OUTFILE_ERR;
		}
	}
	for (i = 0; i < b->n; i++)
		outfile_abort(&b->f[i]);
	b->n = 0;
	b->bytes = 0;
	return st;
}

void
outbatch_free(struct outbatch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		outfile_abort(&b->f[i]);
	free(b->f);
	memset(b, 0, sizeof *b);
}

/* Where the body about to go to stdout will start, when it can be cut off
 * again: stdout is a regular file, pouch writes at its end (O_APPEND, or the
 * offset is the size), and stderr is not the same file. Else -1. */
static long long
stdout_offset(void)
{
	struct stat st, se;
	off_t off;
	int fl;

	if (fflush(stdout) != 0 || fstat(STDOUT_FILENO, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	if (fstat(STDERR_FILENO, &se) == 0 && se.st_dev == st.st_dev && se.st_ino == st.st_ino)
		return -1;	/* 2>&1: an error line would be cut too */
	fl = fcntl(STDOUT_FILENO, F_GETFL);
	if (fl < 0)
		return -1;
	off = (fl & O_APPEND) ? st.st_size : lseek(STDOUT_FILENO, 0, SEEK_CUR);
	if (off < 0 || off != st.st_size)
		return -1;	/* "1<>file": what lies beyond is not pouch's */
	return (long long)off;
}

int
stdout_part_write(struct stdout_part *sp, const char *p, size_t n)
{
	if (!sp->started) {
		sp->started = 1;
		sp->start = stdout_offset();
	}
	sp->bytes += n;
	return fwrite(p, 1, n, stdout) == n ? 0 : -1;
}

int
stdout_part_undo(struct stdout_part *sp)
{
	struct stat st;
	int cut = 0;

	if (!sp->started || !sp->bytes)
		return -1;
	if (sp->start >= 0) {
		clearerr(stdout);
		(void)fflush(stdout);
		/* Whatever stdio could not write is dropped with the rest. */
		__fpurge(stdout);
		if (fstat(STDOUT_FILENO, &st) == 0 && st.st_size >= sp->start &&
		    (unsigned long long)(st.st_size - sp->start) <= sp->bytes)
			cut = ftruncate(STDOUT_FILENO, (off_t)sp->start) == 0 &&
			    fseeko(stdout, (off_t)sp->start, SEEK_SET) == 0;
	}
	sp->bytes = 0;
	return cut;
}
