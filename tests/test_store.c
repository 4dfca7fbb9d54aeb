/* Unit tests for the store: the index parser as a table, then put / get /
 * flags / reopen / rebuild / other clients / lock / read-only / migration /
 * corrupt and torn index lines, on real directories under a temporary one. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include <pouch/store.h>
#include <pouch/store_sync.h>
#include <pouch/util.h>

static char root[] = "/tmp/pouch-test-store.XXXXXX";

/* ---- the parser, as a table ---- */

struct seen {
	int msgs, dels, logins, diags;
	char first_diag[200];
	unsigned long diag_line;
	char subject[200], uid[80], file[300];
	unsigned flags;
	long long date;
	int has_date;
};

static void
p_msg(void *ctx, const struct store_msg *m)
{
	struct seen *s = ctx;

	s->msgs++;
	snprintf(s->subject, sizeof s->subject, "%s", m->subject);
	snprintf(s->uid, sizeof s->uid, "%s", m->uid);
	snprintf(s->file, sizeof s->file, "%s", m->file);
	s->flags = m->flags;
	s->date = m->date;
	s->has_date = m->has_date;
}

static void
p_del(void *ctx, const char *name)
{
	(void)name;
	((struct seen *)ctx)->dels++;
}

static void
p_login(void *ctx, int64_t when, long delay)
{
	(void)when;
	(void)delay;
	((struct seen *)ctx)->logins++;
}

static void
p_diag(void *ctx, unsigned long line, const char *what)
{
	struct seen *s = ctx;

	if (!s->diags++) {
		snprintf(s->first_diag, sizeof s->first_diag, "%s", what);
		s->diag_line = line;
	}
}

static const struct {
	const char *name, *text;
	int version, msgs, dels, logins, diags;
	unsigned long diag_line;
	const char *subject;
} parse_cases[] = {
	{ "empty v2", "pouch-store 2\n", 2, 0, 0, 0, 0, 0, NULL },
	{ "not an index", "hello\n", -1, 0, 0, 0, 0, 0, NULL },
	{ "no newline at all", "pouch-store 2", -1, 0, 0, 0, 0, 0, NULL },
	{ "newer version", "pouch-store 3\nm\tx\n", 3, 0, 0, 0, 0, 0, NULL },
	{ "version 0", "pouch-store 0\n", -1, 0, 0, 0, 0, 0, NULL },
	{ "one message",
	  "pouch-store 2\nm\tnew/a,U=x\tx\t-\t10\t100\t0\t5\t0\tAl\ta@b\tHi\\tthere\\\\\n",
	  2, 1, 0, 0, 0, 0, "Hi\tthere\\" },
	{ "flags R and D, no date",
	  "pouch-store 2\nm\tcur/a:2,S\tx\tRD\t10\t-\t1\t5\t7\t\t\t\n",
	  2, 1, 0, 0, 0, 0, "" },
	{ "bad flags", "pouch-store 2\nm\tnew/a\tx\tRR\t10\t-\t1\t5\t7\t\t\t\n",
	  2, 0, 0, 0, 1, 2, NULL },
	{ "ten fields", "pouch-store 2\nm\tnew/a\tx\t-\t10\t-\t1\t5\t7\t\t\n",
	  2, 0, 0, 0, 1, 2, NULL },
	{ "path escape", "pouch-store 2\nm\tnew/../x\tx\t-\t10\t-\t1\t5\t7\t\t\t\n",
	  2, 0, 0, 0, 1, 2, NULL },
	{ "subdirectory", "pouch-store 2\nm\tcur/a/b\tx\t-\t10\t-\t1\t5\t7\t\t\t\n",
	  2, 0, 0, 0, 1, 2, NULL },
	{ "UIDL with a space", "pouch-store 2\nm\tnew/a\tx y\t-\t10\t-\t1\t5\t7\t\t\t\n",
	  2, 0, 0, 0, 1, 2, NULL },
	{ "bad escape", "pouch-store 2\nm\tnew/a\tx\t-\t10\t-\t1\t5\t7\t\t\t\\q\n",
	  2, 0, 0, 0, 1, 2, NULL },
	{ "size overflow", "pouch-store 2\nm\tnew/a\tx\t-\t99999999999999999999\t-\t1\t5\t7\t\t\t\n",
	  2, 0, 0, 0, 1, 2, NULL },
	{ "bad line between good ones",
	  "pouch-store 2\nL\t5\t0\ngarbage\nd\tname\n", 2, 0, 1, 1, 1, 3, NULL },
	{ "L without a delay", "pouch-store 2\nL\t5\n", 2, 0, 0, 0, 1, 2, NULL },
	{ "NUL in a record", "pouch-store 2\nd\tna\0me\n", 2, 0, 0, 0, 1, 2, NULL },
	{ "torn last line ignored",
	  "pouch-store 2\nd\tname\nm\tnew/a\tx\t-\t1", 2, 0, 1, 0, 0, 0, NULL },
	{ "version 1 record", "pouch-store 1\nm\tnew/a,U=u\tu\tD\n", 1, 1, 0, 0, 0, 0, "" },
	{ "version 1 record with 11 fields",
	  "pouch-store 1\nm\tnew/a\tx\t-\t10\t-\t1\t5\t7\t\t\t\n", 1, 0, 0, 0, 1, 2, NULL },
	{ "d with a colon", "pouch-store 2\nd\tname:2,S\n", 2, 0, 0, 0, 1, 2, NULL },
	{ "negative login", "pouch-store 2\nL\t-5\t0\n", 2, 0, 0, 0, 1, 2, NULL },
	{ "unknown record", "pouch-store 2\nx\t1\n", 2, 0, 0, 0, 1, 2, NULL },
};

static void
test_parse(void)
{
	size_t i, torn;

	for (i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		struct seen s;
		struct store_index_cb cb = { p_msg, p_del, p_login, p_diag, &s };
		size_t len = strlen(parse_cases[i].text);
		int v;

		if (strcmp(parse_cases[i].name, "NUL in a record") == 0)
			len = 22;
		memset(&s, 0, sizeof s);
		v = store_index_parse(parse_cases[i].text, len, &cb, &torn);
		is_int(v, parse_cases[i].version, "parse %s: version", parse_cases[i].name);
		ok(s.msgs == parse_cases[i].msgs && s.dels == parse_cases[i].dels &&
		    s.logins == parse_cases[i].logins && s.diags == parse_cases[i].diags,
		    "parse %s: %d m, %d d, %d L, %d diagnostics (got %d %d %d %d: %s)",
		    parse_cases[i].name, parse_cases[i].msgs, parse_cases[i].dels,
		    parse_cases[i].logins, parse_cases[i].diags, s.msgs, s.dels,
		    s.logins, s.diags, s.first_diag);
		if (parse_cases[i].diags)
			is_int(s.diag_line, parse_cases[i].diag_line, "parse %s: line number",
			    parse_cases[i].name);
		if (parse_cases[i].subject)
			is_str(s.subject, parse_cases[i].subject, "parse %s: subject",
			    parse_cases[i].name);
	}
	{
		struct seen s;
		struct store_index_cb cb = { p_msg, p_del, p_login, p_diag, &s };
		const char *t = "pouch-store 2\nd\tname\nm\tnew/a";

		store_index_parse(t, strlen(t), &cb, &torn);
		is_int(torn, 21, "a torn line's offset is reported");
	}
}

/* ---- CAPA EXPIRE and LOGIN-DELAY ---- */

static const struct {
	const char *capa;
	long expire, delay;
} capa_cases[] = {
	{ "USER\r\nUIDL\r\n", -1, 0 },
	{ "EXPIRE 30\r\nLOGIN-DELAY 900\r\n", 30, 900 },
	{ "expire never\r\n", -2, 0 },
	{ "EXPIRE 0\r\n", 0, 0 },
	{ "EXPIRE 5 USER\r\nLOGIN-DELAY 60 USER\r\n", 5, 60 },
	{ "EXPIRE x\r\nLOGIN-DELAY -1\r\n", -1, 0 },
	{ "LOGIN-DELAY 300", -1, 300 },
};

static void
test_capa(void)
{
	size_t i;

	for (i = 0; i < sizeof capa_cases / sizeof capa_cases[0]; i++) {
		long e, d;

		store_sync_capa(capa_cases[i].capa, strlen(capa_cases[i].capa), &e, &d);
		ok(e == capa_cases[i].expire && d == capa_cases[i].delay,
		    "CAPA case %zu: EXPIRE %ld, LOGIN-DELAY %ld (got %ld %ld)", i,
		    capa_cases[i].expire, capa_cases[i].delay, e, d);
	}
}

/* ---- names ---- */

static void
test_names(void)
{
	char *u;
	const char *base;

	u = store_name_uid("cur/1.M2P3Q4.host,U=a%2Fb%3Ac%2C%25:2,S");
	is_str(u, "a/b:c,%", "UIDL decoded from a flagged name");
	free(u);
	u = store_name_uid("new/1.M2P3Q4.host");
	ok(u == NULL, "a foreign name has no UIDL");
	u = store_name_uid("new/1.host,U=a%2");
	ok(u == NULL, "a cut %%XX is no UIDL");
	free(u);
	u = store_name_uid("new/1.host,U=a%20b");
	ok(u == NULL, "a UIDL with a space is refused");
	free(u);
	is_int(store_name_base("cur/abc:2,S", &base), 3, "base name stops at ':'");
	is_mem(base, 3, "abc", 3, "base name");
}

/* ---- a store on disk ---- */

static const char msg1[] =
    "From: =?UTF-8?Q?J=C3=B6rg?= <jorg@example.org>\r\n"
    "Subject: =?UTF-8?B?SGVsbG8gd29ybGQ=?=\r\n"
    "Date: Mon, 30 Nov 2026 10:00:00 +0000\r\n"
    "\r\n"
    "Body\r\n.dot\r\n";
static const char msg2[] =
    "From: bob@example.org\r\n"
    "Subject: with attachment\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=XX\r\n"
    "\r\n"
    "--XX\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
    "--XX\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\nPDF\r\n"
    "--XX--\r\n";
static const char msg3[] = "Subject: no from, no date\r\n\r\n";

static char *
path_in(const char *dir, const char *rel)
{
	return str_printf("%s/%s", dir, rel);
}

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	struct dbuf b;
	char buf[4096];
	size_t r;

	if (!f)
		return NULL;
	dbuf_init(&b, 0);
	while ((r = fread(buf, 1, sizeof buf, f)) > 0)
		dbuf_add(&b, buf, r);
	fclose(f);
	return dbuf_take(&b, n);
}

static void
spit(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f) {
		fwrite(s, 1, n, f);
		fclose(f);
	}
}

static int
put(struct store *st, const char *uid, const char *text)
{
	struct store_put *p;
	char *err = NULL;
	size_t half = strlen(text) / 2;
	int rc = -1;

	if (store_put_open(st, uid, &p, &err) == STORE_OK &&
	    store_put_write(p, text, half, &err) == STORE_OK &&
	    store_put_write(p, text + half, strlen(text) - half, &err) == STORE_OK &&
	    store_put_close(p, &err) == STORE_OK)
		rc = 0;
	if (err)
		printf("# put %s: %s\n", uid, err);
	free(err);
	return rc;
}

static struct store *
open_ok(const char *dir, enum store_open_mode mode, const char *what)
{
	struct store *st = NULL;
	char *err = NULL;
	enum store_status rc = store_open(dir, mode, &st, NULL, &err);

	if (!ok(rc == STORE_OK, "%s: open", what))
		printf("# %s\n", err ? err : "?");
	free(err);
	return st;
}

static void
close_ok(struct store *st, const char *what)
{
	char *err = NULL;

	if (!ok(store_close(st, &err) == STORE_OK, "%s: close", what))
		printf("# %s\n", err ? err : "?");
	free(err);
}

static size_t
ndiags(const struct store *st)
{
	size_t n = 0;

	while (store_diag(st, n))
		printf("# diag: %s\n", store_diag(st, n++));
	return n;
}

/* The fields a rebuild can know, one line per message, sorted by UIDL. */
static char *
derivable(const struct store *st)
{
	struct dbuf b;
	size_t i, n = store_count(st);
	char **lines = calloc(n + 1, sizeof *lines);
	char *out;

	dbuf_init(&b, 0);
	for (i = 0; i < n; i++) {
		const struct store_msg *m = store_get(st, i);

		lines[i] = str_printf("%s|%s|%s|%s|%s|%lld|%d|%llu|%d|%u|%lld\n", m->uid, m->file,
		    m->from_name, m->from_addr, m->subject, (long long)m->date, m->has_date,
		    m->size, m->attach, m->flags & STORE_F_READ, (long long)m->t_download);
	}
	for (i = 1; i < n; i++) {
		size_t j;

		for (j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
			char *t = lines[j];

			lines[j] = lines[j - 1];
			lines[j - 1] = t;
		}
	}
	for (i = 0; i < n; i++) {
		dbuf_adds(&b, lines[i]);
		free(lines[i]);
	}
	free(lines);
	out = dbuf_take(&b, NULL);
	return out;
}

static void
test_store(void)
{
	char *dir = path_in(root, "acct/store"), *err = NULL, *p, *text, *before, *after;
	struct store *st, *ro;
	const struct store_msg *m;
	struct store_put *pp;
	size_t n, landed;
	pid_t pid;
	int fds[2];
	char c;

	st = open_ok(dir, STORE_OPEN_RDWR, "new store");
	if (!st)
		return;
	is_int(store_count(st), 0, "a new store is empty");
	ok(put(st, "uid-1", msg1) == 0 && put(st, "a/b:c,%", msg2) == 0 &&
	    put(st, "uid-3", msg3) == 0, "three messages written");
	ok(store_find(st, "uid-1") == NULL && !store_durable(st, "uid-1"),
	    "not in the store before landing");
	is_int(store_put_open(st, "uid-1", &pp, &err), STORE_EXISTS,
	    "the same UIDL twice in one batch is refused");
	free(err);
	err = NULL;
	is_int(store_batch_count(st), 3, "batch of three");
	is_int(store_land(st, &landed, &err), STORE_OK, "landed");
	is_int(landed, 3, "three landed");
	is_int(store_count(st), 3, "three messages");
	ok(store_durable(st, "uid-1") && store_durable(st, "a/b:c,%"), "durable after landing");
	is_int(store_put_open(st, "uid-1", &pp, &err), STORE_EXISTS, "a stored UIDL is refused");
	free(err);
	err = NULL;

	m = store_find(st, "uid-1");
	ok(m != NULL, "find uid-1");
	if (m) {
		is_str(m->from_name, "J\xc3\xb6rg", "sender name decoded");
		is_str(m->from_addr, "jorg@example.org", "sender address");
		is_str(m->subject, "Hello world", "subject decoded");
		is_int(m->date, 1796032800, "date as time_t");
		is_int(m->size, strlen(msg1), "size");
		is_int(m->attach, 0, "no attachment");
		ok(strncmp(m->file, "new/", 4) == 0, "landed in new/");
		p = store_path(st, m);
		text = slurp(p, &n);
		is_mem(text, n, msg1, strlen(msg1), "the file holds the message byte for byte");
		free(text);
		free(p);
	}
	m = store_find(st, "a/b:c,%");
	ok(m && m->attach == 1 && strcmp(m->subject, "with attachment") == 0,
	    "attachment found");
	ok(m && strstr(m->file, ",U=a%2Fb%3Ac%2C%25") && !strchr(m->file + 4, '/'),
	    "UIDL encoded in the name");
	m = store_find(st, "uid-3");
	ok(m && !m->has_date && !*m->from_addr, "no date, no sender");

	/* Flags. */
	is_int(store_set_flags(st, "uid-1", STORE_F_READ, 0, &err), STORE_OK, "mark read");
	m = store_find(st, "uid-1");
	ok(m && strncmp(m->file, "cur/", 4) == 0 && strcmp(m->file + strlen(m->file) - 4, ":2,S") == 0,
	    "read: cur/NAME:2,S (%s)", m ? m->file : "");
	p = m ? store_path(st, m) : NULL;
	ok(p && access(p, F_OK) == 0, "renamed on disk");
	free(p);
	is_int(store_set_flags(st, "uid-3", STORE_F_DELETE, 0, &err), STORE_OK, "mark for deletion");
	is_int(store_set_gone(st, "uid-3", 12345, &err), STORE_OK, "set gone");
	is_int(store_set_flags(st, "nope", STORE_F_READ, 0, &err), STORE_NOTFOUND, "unknown UIDL");
	free(err);
	err = NULL;
	is_int(store_set_last_login(st, 777, 900, &err), STORE_OK, "last login");
	close_ok(st, "first");

	/* Reopen: everything kept. */
	st = open_ok(dir, STORE_OPEN_RDWR, "reopen");
	if (!st)
		return;
	is_int(ndiags(st), 0, "reopen: no diagnostics");
	is_int(store_count(st), 3, "reopen: three");
	m = store_find(st, "uid-1");
	ok(m && (m->flags & STORE_F_READ), "reopen: read flag kept");
	m = store_find(st, "uid-3");
	ok(m && (m->flags & STORE_F_DELETE) && m->t_gone == 12345, "reopen: mark and gone kept");
	{
		long delay = 0;

		is_int(store_last_login(st, &delay), 777, "reopen: last login");
		is_int(delay, 900, "reopen: its LOGIN-DELAY");
	}
	is_int(store_set_flags(st, "uid-1", 0, STORE_F_READ, &err), STORE_OK, "mark unread");
	m = store_find(st, "uid-1");
	ok(m && strcmp(m->file + strlen(m->file) - 3, ":2,") == 0, "unread: cur/NAME:2,");
	before = derivable(st);
	close_ok(st, "second");

	/* Rebuild from the Maildir alone equals the kept index. */
	p = path_in(dir, ".pouch-index");
	unlink(p);
	st = open_ok(dir, STORE_OPEN_RDWR, "index lost");
	if (!st)
		return;
	ok(store_diag(st, 0) && strstr(store_diag(st, 0), "rebuilt from the Maildir"),
	    "the rebuild is reported");
	after = derivable(st);
	is_str(after, before, "rebuilt index equals the kept one");
	free(after);
	free(before);
	close_ok(st, "rebuilt");

	/* Another client: a file removed, a file added, flags changed. */
	st = open_ok(dir, STORE_OPEN_RDONLY, "read-only look");
	m = st ? store_find(st, "uid-3") : NULL;
	text = m ? store_path(st, m) : NULL;
	store_close(st, &err);
	if (text)
		unlink(text);
	free(text);
	text = path_in(dir, "new/1700000000.other.host");
	spit(text, "Subject: from mutt\n\nhi\n", 23);
	free(text);
	st = open_ok(dir, STORE_OPEN_RDONLY, "read-only look");
	m = st ? store_find(st, "uid-1") : NULL;
	text = m ? store_path(st, m) : NULL;
	store_close(st, &err);
	after = text ? str_printf("%sS", text) : NULL;
	if (text && after)
		rename(text, after);
	free(text);
	free(after);
	st = open_ok(dir, STORE_OPEN_RDWR, "after another client");
	if (!st)
		return;
	is_int(ndiags(st), 0, "no error for another client's changes");
	is_int(store_scan_removed(st), 1, "one removed");
	is_int(store_scan_added(st), 1, "one added");
	ok(store_find(st, "uid-3") == NULL, "the deleted message left the index");
	m = store_get(st, store_count(st) - 1);
	ok(m && !*m->uid && strcmp(m->subject, "from mutt") == 0,
	    "the added file appears, without a UIDL");
	m = store_find(st, "uid-1");
	ok(m && (m->flags & STORE_F_READ), "a flag set by another client is read from the name");

	/* The lock: a second process is refused, or reads. */
	if (pipe(fds) == 0) {
		pid = fork();
		if (pid == 0) {
			struct store *s2 = NULL;
			char *e2 = NULL;
			pid_t who = 0;
			enum store_status r2 = store_open(dir, STORE_OPEN_RDWR, &s2, &who, &e2);
			char res = r2 == STORE_LOCKED && who == getppid() &&
			    e2 && strstr(e2, "in use by another pouch") ? 'L' : 'x';

			free(e2);
			e2 = NULL;
			if (store_open(dir, STORE_OPEN_TRY, &s2, &who, &e2) == STORE_OK &&
			    store_readonly(s2) && store_lock_pid(s2) == getppid() &&
			    store_count(s2) == 3 && res == 'L')
				res = 'R';
			if (s2 && put(s2, "zzz", msg3) == 0)
				res = 'w';
			store_close(s2, &e2);
			free(e2);
			/* The child's copies, so that Valgrind sees no leak. */
			free(p);
			free(dir);
			if (write(fds[1], &res, 1) != 1)
				_exit(1);
			_exit(0);
		}
		close(fds[1]);
		c = 0;
		if (read(fds[0], &c, 1) != 1)
			c = 0;
		close(fds[0]);
		waitpid(pid, NULL, 0);
		ok(c == 'R', "a second process: refused (with our PID), then read-only with the same count (%c)", c);
	}
	close_ok(st, "lock test");

	/* Read-only: nothing written. */
	ro = open_ok(dir, STORE_OPEN_RDONLY, "read-only");
	if (ro) {
		is_int(store_put_open(ro, "new-uid", &pp, &err), STORE_READONLY, "read-only refuses a put");
		free(err);
		err = NULL;
		is_int(store_set_flags(ro, "uid-1", 0, STORE_F_READ, &err), STORE_READONLY,
		    "read-only refuses a flag");
		free(err);
		err = NULL;
		store_close(ro, &err);
	}

	/* A crash mid-write: the tmp/ file goes on the next writable open;
	 * another deliverer's tmp/ file stays. */
	text = path_in(dir, "tmp/1.M1P1Q1.host,U=half");
	spit(text, "Subject: half", 13);
	after = path_in(dir, "tmp/1.other-deliverer");
	spit(after, "x", 1);
	st = open_ok(dir, STORE_OPEN_RDWR, "after a crash");
	ok(access(text, F_OK) < 0 && access(after, F_OK) == 0,
	    "pouch's torn tmp/ file removed, another's kept");
	ok(st && store_find(st, "half") == NULL, "a torn message is not in the store");
	unlink(after);
	free(text);
	free(after);
	/* A crash after the rename, before the index record. */
	text = path_in(dir, "new/2.M1P1Q2.host,U=late");
	spit(text, msg3, strlen(msg3));
	free(text);
	close_ok(st, "crash");
	st = open_ok(dir, STORE_OPEN_RDWR, "after a crash before the record");
	ok(st && store_durable(st, "late"), "a landed but unrecorded message is found by its name");

	/* Many flag changes: the journal compacts and stays consistent. */
	for (n = 0; st && n < 5000; n++)
		store_set_flags(st, "uid-1", n % 2 ? STORE_F_DELETE : 0, n % 2 ? 0 : STORE_F_DELETE, &err);
	if (st)
		store_commit(st, &err);
	before = st ? derivable(st) : NULL;
	close_ok(st, "journal");
	st = open_ok(dir, STORE_OPEN_RDWR, "after 5000 journalled changes");
	after = st ? derivable(st) : NULL;
	ok(before && after && strcmp(before, after) == 0, "the journal replays to the same index");
	m = st ? store_find(st, "uid-1") : NULL;
	ok(m && (m->flags & STORE_F_DELETE), "the last change wins");
	free(before);
	free(after);
	{
		struct stat sb;
		long long size = stat(p, &sb) == 0 ? (long long)sb.st_size : -1;

		ok(size >= 0 && size < 4096, "compacted: the index is a snapshot again (%lld bytes)", size);
	}
	close_ok(st, "journal 2");

	/* Corrupt lines: reported with file:line, skipped, restored. */
	text = slurp(p, &n);
	if (text) {
		char *bad = str_printf("%.*sgarbage line\nm\tnew/x\n%s", (int)(strchr(text, '\n') - text + 1),
		    text, strchr(text, '\n') + 1);

		spit(p, bad, strlen(bad));
		free(bad);
		free(text);
	}
	st = open_ok(dir, STORE_OPEN_RDWR, "corrupt lines");
	if (st) {
		const char *d0 = store_diag(st, 0), *d1 = store_diag(st, 1);

		after = str_printf("%s:2: ", p);
		ok(d0 && after && strncmp(d0, after, strlen(after)) == 0, "bad line reported as FILE:2 (%s)",
		    d0 ? d0 : "");
		free(after);
		after = str_printf("%s:3: ", p);
		ok(d1 && after && strncmp(d1, after, strlen(after)) == 0, "and FILE:3 (%s)", d1 ? d1 : "");
		free(after);
		is_int(store_count(st), 4, "every message still there");
	}
	close_ok(st, "corrupt");
	st = open_ok(dir, STORE_OPEN_RDWR, "after the corrupt lines");
	is_int(st ? ndiags(st) : 99, 0, "rewritten clean");

	/* A torn last line: dropped without a word, cut off. */
	close_ok(st, "torn");
	text = slurp(p, &n);
	if (text) {
		char *torn = str_printf("%sm\tnew/half-written", text);

		spit(p, torn, strlen(torn));
		free(torn);
	}
	st = open_ok(dir, STORE_OPEN_RDWR, "torn tail");
	is_int(st ? ndiags(st) : 99, 0, "a torn tail is no error");
	close_ok(st, "torn");
	after = slurp(p, &n);
	is_str(after, text, "the torn tail was cut");
	free(after);

	/* Migration from version 1 (name, UIDL, flags): summaries filled,
	 * flags kept. */
	st = open_ok(dir, STORE_OPEN_RDONLY, "for v1");
	m = st ? store_find(st, "uid-1") : NULL;
	after = m ? str_printf("pouch-store 1\nm\t%s\tuid-1\tD\n", m->file) : NULL;
	store_close(st, &err);
	if (after)
		spit(p, after, strlen(after));
	free(after);
	st = open_ok(dir, STORE_OPEN_RDWR, "version 1");
	m = st ? store_find(st, "uid-1") : NULL;
	ok(m && strcmp(m->subject, "Hello world") == 0 && (m->flags & STORE_F_DELETE) &&
	    m->has_date, "v1 migrated: summary filled, mark kept");
	ok(st && store_diag(st, 0) && strstr(store_diag(st, 0), "version 1 migrated"),
	    "the migration is reported");
	is_int(st ? store_count(st) : 0, 4, "v1: the rest found by the scan");
	close_ok(st, "v1");
	free(text);
	text = slurp(p, &n);
	ok(text && strncmp(text, "pouch-store 2\n", 14) == 0, "rewritten as version 2");
	free(text);

	/* A newer version is refused and left alone. */
	spit(p, "pouch-store 9\nfuture\n", 21);
	st = NULL;
	is_int(store_open(dir, STORE_OPEN_RDWR, &st, NULL, &err), STORE_CORRUPT,
	    "a newer index version is refused");
	ok(err && strstr(err, "version 9 is newer"), "and says so (%s)", err ? err : "");
	free(err);
	err = NULL;
	text = slurp(p, &n);
	is_str(text, "pouch-store 9\nfuture\n", "and left as it is");
	free(text);
	unlink(p);
	free(p);

	/* A store that cannot be written: a clear error. */
	if (geteuid() != 0) {
		char *ro_dir = path_in(root, "ro");

		mkdir(ro_dir, 0500);
		p = path_in(ro_dir, "store");
		is_int(store_open(p, STORE_OPEN_RDWR, &st, NULL, &err), STORE_ERR,
		    "a store in a read-only directory");
		ok(err && strstr(err, "Permission denied"), "says why (%s)", err ? err : "");
		free(err);
		err = NULL;
		free(p);
		free(ro_dir);
	} else {
		ok(1, "# skip read-only directory: running as root");
		ok(1, "# skip");
	}
	free(dir);
}

/* Entries of dir/sub, or -1. */
static int
count_in(const char *dir, const char *sub)
{
	char *cmd = str_printf("ls -A '%s/%s' | wc -l", dir, sub);
	FILE *f = cmd ? popen(cmd, "r") : NULL;
	int n = -1;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		pclose(f);
	}
	free(cmd);
	return n;
}

/* store_expect: the files made ahead carry the messages into new/ under
 * their own names plus the UIDL; what was not taken goes; a thread that
 * cannot create leaves the caller's open to say why. */
static void
test_spares(void)
{
	char *dir = path_in(root, "spares"), *err = NULL, *tmp;
	struct store *st;
	struct store_put *p = NULL;
	const struct store_msg *m;
	size_t landed = 0;
	enum store_status rc;
	int i;

	st = open_ok(dir, STORE_OPEN_RDWR, "spares");
	if (!st)
		return;
	is_int(store_expect(st, 5), 0, "store_expect 5: a thread starts");
	ok(put(st, "s-1", msg1) == 0 && put(st, "s/2", msg2) == 0 && put(st, "s-3", msg3) == 0,
	    "three messages written into files made ahead");
	rc = store_land(st, &landed, &err);
	is_int(rc == STORE_OK ? (int)landed : -1, 3, "landed");
	free(err);
	err = NULL;
	m = store_find(st, "s/2");
	ok(m && strncmp(m->file, "new/", 4) == 0 && strstr(m->file, "T2.") &&
	    strlen(m->file) > 8 && strcmp(m->file + strlen(m->file) - 8, ",U=s%2F2") == 0,
	    "its name: the thread's (T2) with the UIDL after ,U= (%s)", m ? m->file : "-");
	is_int(count_in(dir, "new"), 3, "new/ holds the three");
	for (i = 0; i < 200 && count_in(dir, "tmp") < 2; i++)
		usleep(10000);
	is_int(count_in(dir, "tmp"), 2, "the thread made the other two of the five");
	is_int(store_expect(st, 0), 0, "store_expect 0: stops");
	is_int(count_in(dir, "tmp"), 0, "the two made and not taken are removed");
	is_int(store_expect(st, 100), 0, "store_expect 100");
	close_ok(st, "spares, 100 expected, none written");
	is_int(count_in(dir, "tmp"), 0, "close removes what was made ahead");

	st = open_ok(dir, STORE_OPEN_RDWR, "spares again");
	if (!st)
		return;
	is_int((int)store_count(st), 3, "the three are there after reopening");
	tmp = path_in(dir, "tmp");
	rmdir(tmp);
	is_int(store_expect(st, 2), 0, "store_expect with tmp/ gone");
	rc = store_put_open(st, "s-4", &p, &err);
	ok(rc == STORE_ERR && err && strstr(err, "/tmp/") && strstr(err, "cannot create"),
	    "the thread could not create: the caller's own open says why (%s)", err ? err : "-");
	store_put_abort(p);
	free(err);
	err = NULL;
	mkdir(tmp, 0700);
	ok(put(st, "s-4", msg1) == 0, "tmp/ back: the next put works (the caller's own file)");
	store_land(st, &landed, &err);
	free(err);
	ok(store_durable(st, "s-4"), "and lands");
	close_ok(st, "spares again");
	free(tmp);
	st = NULL;
	ok(store_open(dir, STORE_OPEN_RDONLY, &st, NULL, &err) == STORE_OK, "read-only open");
	is_int(st ? store_expect(st, 5) : -2, 0, "store_expect on a read-only store: no thread, 0");
	store_close(st, &err);
	free(err);
	free(dir);
}

int
main(void)
{
	char *cmd;

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_parse();
	test_names();
	test_capa();
	test_store();
	test_spares();
	cmd = str_printf("chmod -R u+w '%s' && rm -rf '%s'", root, root);
	if (cmd && system(cmd) != 0)
		printf("# could not remove %s\n", root);
	free(cmd);
	return done_testing();
}
