/*
 * store_put.c: messages into the store (tmp/, then a batch landed in new/),
 * and the changes to a message's entry: flags, the date it left the
 * server, the last login (see store.h for the order that keeps mail safe).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <pouch/store.h>
#include <pouch/util.h>

#include "store_priv.h"

static int
uid_valid(const char *u)
{
	size_t n = strlen(u);

	if (n == 0 || n > STORE_UID_MAX)
		return 0;
	for (; *u; u++)
		if ((unsigned char)*u < 0x21 || (unsigned char)*u > 0x7e)
			return 0;
	return 1;
}

/* TIME.MUSECPPIDQSEQ.HOST,U=: unique (the lock keeps other pouches out;
 * the PID and a counter keep this one apart from itself, and
 * store_expect's thread counts with T instead of Q), and sortable by time
 * for a rebuild. */
static char *
make_base(struct store *st)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return str_printf("%lld.M%06ldP%ldQ%u.%s,U=", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), ++st->seq, st->host);
}

/* BASE followed by the UIDL (bytes outside [A-Za-z0-9._+=@-] as %XX). */
static char *
name_with_uid(const char *base, const char *uid)
{
	struct dbuf b;
	const char *p;

	dbuf_init(&b, 0);
	if (dbuf_adds(&b, base) < 0)
		return NULL;
	for (p = uid; *p; p++) {
		unsigned char c = (unsigned char)*p;
		int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '+' ||
		    c == '=' || c == '@' || c == '-';

		if ((keep ? dbuf_addc(&b, (char)c) : dbuf_printf(&b, "%%%02X", c)) < 0)
			return NULL;
	}
	return dbuf_take(&b, NULL);
}

static int
batch_has(const struct store *st, const char *uid)
{
	size_t i;

	for (i = 0; i < st->nbatch; i++)
		if (strcmp(st->batch[i]->uid, uid) == 0)
			return 1;
	return 0;
}

enum store_status
store_put_open(struct store *st, const char *uid, struct store_put **out, char **err)
{
	struct store_put *p;
	char *base = NULL;

	*out = NULL;
	if (st->readonly) {
		*err = str_printf("%s: the store is open read-only", st->dir);
		return STORE_READONLY;
	}
	if (!uid_valid(uid)) {
		*err = str_printf("UIDL '%s' is not 1 to 70 characters 0x21..0x7E", uid);
		return STORE_ERR;
	}
	if (store_find(st, uid) || batch_has(st, uid)) {
		*err = str_printf("UIDL %s is already in the store", uid);
		return STORE_EXISTS;
	}
	p = calloc(1, sizeof *p);
	if (!p)
		return STORE_NOMEM;
	p->st = st;
	p->fd = -1;
	p->uid = strdup(uid);
	/* A file made ahead (store_expect) keeps its tmp/ name; new/ gets
	 * the UIDL after it. */
	if (store_spare_take(st, &p->fd, &base) < 0)
		base = make_base(st);
	p->name = base ? name_with_uid(base, uid) : NULL;
	if (p->fd >= 0)
		p->tmp = str_printf("%s/tmp/%s", st->dir, base);
	else if (p->name)
		p->tmp = str_printf("%s/tmp/%s", st->dir, p->name);
	free(base);
	if (!p->uid || !p->name || !p->tmp) {
		store_put_abort(p);
		*err = str_printf("out of memory");
		return STORE_NOMEM;
	}
	if (p->fd < 0)
		p->fd = open(p->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (p->fd < 0) {
		*err = str_printf("%s: cannot create: %s", p->tmp, strerror(errno));
		free(p->tmp);
		p->tmp = NULL;
		store_put_abort(p);
		return STORE_ERR;
	}
	*out = p;
	return STORE_OK;
}

enum store_status
store_put_write(struct store_put *p, const void *buf, size_t n, char **err)
{
	const char *s = buf;

	if (p->failed)
		return STORE_ERR;
	while (n > 0) {
		ssize_t w = write(p->fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			*err = str_printf("%s: write failed: %s", p->tmp,
			    w < 0 ? strerror(errno) : "no progress");
			p->failed = 1;
			return STORE_ERR;
		}
		s += w;
		n -= (size_t)w;
		p->written += (unsigned long long)w;
	}
	return STORE_OK;
}

void
store_put_abort(struct store_put *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	if (p->tmp)
		unlink(p->tmp);
	free(p->tmp);
	free(p->name);
	free(p->uid);
	free(p->m.blk_);
	free(p);
}

enum store_status
store_put_close(struct store_put *p, char **err)
{
	struct store *st = p->st;
	struct store_sum s;
	struct store_msg m;
	struct stat sb;
	void *map = NULL;
	char *file;
	int rc;

	if (p->failed) {
		*err = str_printf("%s: the message was not written completely", p->tmp);
		store_put_abort(p);
		return STORE_ERR;
	}
	if (st->nbatch == st->capbatch) {
		size_t cap = st->capbatch ? st->capbatch * 2 : 16;
		struct store_put **nb = realloc(st->batch, cap * sizeof *nb);

		if (!nb)
			goto nomem;
		st->batch = nb;
		st->capbatch = cap;
	}
	if (fstat(p->fd, &sb) < 0) {
		*err = str_printf("%s: %s", p->tmp, strerror(errno));
		store_put_abort(p);
		return STORE_ERR;
	}
	/* The summary from the page cache: the file was just written. */
	if (sb.st_size > 0) {
		map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, p->fd, 0);
		if (map == MAP_FAILED) {
			*err = str_printf("%s: %s", p->tmp, strerror(errno));
			store_put_abort(p);
			return STORE_ERR;
		}
	}
	rc = store_summarize(map ? map : "", map ? (size_t)sb.st_size : 0, &s);
	if (map)
		munmap(map, (size_t)sb.st_size);
	if (rc < 0)
		goto nomem;
	file = str_printf("new/%s", p->name);
	memset(&m, 0, sizeof m);
	m.uid = p->uid;
	m.file = file;
	m.from_name = s.from_name;
	m.from_addr = s.from_addr;
	m.subject = s.subject;
	m.date = s.date;
	m.has_date = s.has_date;
	m.attach = s.attach;
	m.size = (unsigned long long)sb.st_size;
	m.t_download = (int64_t)sb.st_mtime;
	rc = file ? store_msg_pack(&p->m, &m) : -1;
	free(file);
	store_sum_free(&s);
	if (rc < 0)
		goto nomem;
#ifdef SYNC_FILE_RANGE_WRITE
	/* Start the write-back now, so that the fsyncs at landing find the
	 * data on its way and share one journal commit (see cli_out.h). A
	 * failure only loses the head start: the fsync still decides. */
	(void)sync_file_range(p->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
	st->batch[st->nbatch++] = p;
	st->batch_bytes += p->written;
	return STORE_OK;
nomem:
	*err = str_printf("out of memory");
	store_put_abort(p);
	return STORE_NOMEM;
}

int
store_batch_full(const struct store *st)
{
	return st->nbatch >= STORE_BATCH_FILES || st->batch_bytes >= STORE_BATCH_BYTES;
}

size_t
store_batch_count(const struct store *st)
{
	return st->nbatch;
}

/* The first failure is kept in (*rc, *err); later ones are dropped. */
static void
fail_first(enum store_status *rc, char **err, enum store_status st, char *e)
{
	if (*rc == STORE_OK) {
		*rc = st;
		*err = e;
	} else {
		free(e);
	}
}

/* tmp/NAME -> new/NAME, never replacing a file. */
static int
land_rename(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: link refuses too. */
	if (link(from, to) < 0)
		return -1;
	unlink(from);
	return 0;
}

enum store_status
store_land(struct store *st, size_t *landed, char **err)
{
	enum store_status rc = STORE_OK;
	size_t i, n = 0;
	char *newdir;

	*err = NULL;
	if (landed)
		*landed = 0;
	if (!st->nbatch)
		return STORE_OK;
	newdir = str_printf("%s/new", st->dir);
	if (!newdir)
		return STORE_NOMEM;
	/* Pass 1: every file durable before it gets a name in new/. */
	for (i = 0; i < st->nbatch; i++) {
		struct store_put *p = st->batch[i];

		if (fsync(p->fd) < 0) {
			fail_first(&rc, err, STORE_ERR,
			    str_printf("%s: fsync failed: %s", p->tmp, strerror(errno)));
			p->failed = 1;
		}
		if (close(p->fd) < 0 && !p->failed) {
			fail_first(&rc, err, STORE_ERR,
			    str_printf("%s: close failed: %s", p->tmp, strerror(errno)));
			p->failed = 1;
		}
		p->fd = -1;
	}
	/* Pass 2: the names. */
	for (i = 0; i < st->nbatch; i++) {
		struct store_put *p = st->batch[i];
		char *to;

		if (p->failed)
			continue;
		to = str_printf("%s/%s", st->dir, p->m.file);
		if (!to || land_rename(p->tmp, to) < 0) {
			fail_first(&rc, err, to ? STORE_ERR : STORE_NOMEM, to
			    ? str_printf("%s: %s", to, strerror(errno)) : str_printf("out of memory"));
			p->failed = 1;
		} else {
			free(p->tmp);
			p->tmp = NULL;
		}
		free(to);
	}
	/* Pass 3: new/ durable once for all of them; only then the index. */
	if (fsync_dir(newdir) < 0) {
		fail_first(&rc, err, STORE_ERR,
		    str_printf("%s: fsync failed: %s", newdir, strerror(errno)));
		/* The files are in new/ but not known durable: no record, so
		 * no DELE; the next open finds and fsyncs them. */
		for (i = 0; i < st->nbatch; i++)
			if (st->batch[i]->tmp == NULL)
				st->batch[i]->failed = 1;
	}
	for (i = 0; i < st->nbatch; i++) {
		struct store_put *p = st->batch[i];

		if (!p->failed) {
			if (store_msgs_add(st, &p->m) < 0 ||
			    store_journal_msg(st, &st->msgs[st->n - 1]) < 0)
				fail_first(&rc, err, STORE_NOMEM, str_printf("out of memory"));
			else
				n++;
		}
		store_put_abort(p);
	}
	st->nbatch = 0;
	st->batch_bytes = 0;
	free(newdir);
	if (landed)
		*landed = n;
	if (n) {
		char *e = NULL;
		enum store_status c = store_commit(st, &e);

		if (c != STORE_OK)
			fail_first(&rc, err, c, e);
	}
	return rc;
}

/* "cur/BASE:2,LETTERS" with S added or removed (letters kept sorted). */
static char *
flagged_name(const char *file, int read)
{
	const char *base, *info;
	size_t bn = store_name_base(file, &base);
	char letters[64];
	size_t nl = 0, i, j;

	info = base[bn] == ':' && strncmp(base + bn, ":2,", 3) == 0 ? base + bn + 3 : "";
	for (i = 0; info[i] && nl < sizeof letters - 2; i++)
		if (info[i] != 'S' && (unsigned char)info[i] > 0x20 && info[i] != '/')
			letters[nl++] = info[i];
	if (read)
		letters[nl++] = 'S';
	letters[nl] = '\0';
	for (i = 1; i < nl; i++)
		for (j = i; j > 0 && letters[j - 1] > letters[j]; j--) {
			char t = letters[j];

			letters[j] = letters[j - 1];
			letters[j - 1] = t;
		}
	return str_printf("cur/%.*s:2,%s", (int)bn, base, letters);
}

static struct store_msg *
writable_msg(struct store *st, const char *uid, enum store_status *rc, char **err)
{
	size_t i;

	if (st->readonly) {
		*err = str_printf("%s: the store is open read-only", st->dir);
		*rc = STORE_READONLY;
		return NULL;
	}
	i = uid && *uid ? store_by_uid(st, uid) : (size_t)-1;
	if (i == (size_t)-1) {
		*err = str_printf("UIDL %s is not in the store", uid ? uid : "");
		*rc = STORE_NOTFOUND;
		return NULL;
	}
	return &st->msgs[i];
}

enum store_status
store_set_flags(struct store *st, const char *uid, unsigned set, unsigned clear,
    char **err)
{
	enum store_status rc = STORE_OK;
	struct store_msg *m = writable_msg(st, uid, &rc, err), c;
	unsigned flags;
	char *to = NULL;

	if (!m)
		return rc;
	flags = (m->flags | set) & ~clear;
	if (flags == m->flags)
		return STORE_OK;
	c = *m;
	c.flags = flags;
	if ((flags ^ m->flags) & STORE_F_READ) {
		char *from = str_printf("%s/%s", st->dir, m->file), *tp;

		to = flagged_name(m->file, !!(flags & STORE_F_READ));
		tp = to ? str_printf("%s/%s", st->dir, to) : NULL;
		if (!from || !tp) {
			free(from);
			free(tp);
			free(to);
			*err = str_printf("out of memory");
			return STORE_NOMEM;
		}
		if (strcmp(from, tp) != 0 && rename(from, tp) < 0) {
			*err = str_printf("%s: %s", from, strerror(errno));
			free(from);
			free(tp);
			free(to);
			return STORE_ERR;
		}
		free(from);
		free(tp);
		c.file = to;
	}
	rc = store_msg_pack(m, &c) < 0 || store_journal_msg(st, m) < 0 ? STORE_NOMEM : STORE_OK;
	free(to);
	if (rc != STORE_OK)
		*err = str_printf("out of memory");
	return rc;
}

enum store_status
store_set_gone(struct store *st, const char *uid, int64_t when, char **err)
{
	enum store_status rc = STORE_OK;
	struct store_msg *m = writable_msg(st, uid, &rc, err);

	if (!m)
		return rc;
	if (m->t_gone == when)
		return STORE_OK;
	m->t_gone = when;
	if (store_journal_msg(st, m) < 0) {
		*err = str_printf("out of memory");
		return STORE_NOMEM;
	}
	return STORE_OK;
}

enum store_status
store_set_last_login(struct store *st, int64_t when, long delay, char **err)
{
	if (st->readonly) {
		*err = str_printf("%s: the store is open read-only", st->dir);
		return STORE_READONLY;
	}
	st->last_login = when;
	st->login_delay = delay;
	if (dbuf_printf(&st->journal, "L\t%lld\t%ld\n", (long long)when, delay) < 0) {
		*err = str_printf("out of memory");
		return STORE_NOMEM;
	}
	st->jrecords++;
	return STORE_OK;
}
