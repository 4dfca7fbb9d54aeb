/*
 * test_store_flags.c: store_flags.h, the reader's read flags by UIDL: the
 * parser (a table), the store's own flag for a message it holds, a pending
 * flag (written at once) for one it does not, pending flags applied when
 * the message arrives, the migration of an old read-state file (renamed,
 * never deleted), and a read-only store that writes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include <pouch/store_flags.h>
#include <pouch/util.h>

static const char msg[] = "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n";

static int
put(struct store *st, const char *uid)
{
	struct store_put *p;
	char *err = NULL;
	int rc = -1;

	if (store_put_open(st, uid, &p, &err) == STORE_OK &&
	    store_put_write(p, msg, strlen(msg), &err) == STORE_OK &&
	    store_put_close(p, &err) == STORE_OK &&
	    store_land(st, NULL, &err) == STORE_OK)
		rc = 0;
	free(err);
	return rc;
}

static char got[512];

static int
collect(void *ctx, const char *uid)
{
	(void)ctx;
	if (strlen(got) + strlen(uid) + 2 < sizeof got) {
		strcat(got, uid);
		strcat(got, ",");
	}
	return 0;
}

static void
test_parse(void)
{
	static const struct { const char *in; int rc; const char *uids; } t[] = {
		{ "pouch-read/1\n", 0, "" },
		{ "pouch-read/1\nabc\ndef\n", 0, "abc,def," },
		{ "pouch-read/1\nabc\ncut", 0, "abc," },		/* a torn last line */
		{ "pouch-read/1\nwith space\nok\n", 0, "ok," },
		{ "pouch-read/1\n\n\x01x\nA~!\n", 0, "A~!," },
		{ "pouch-read/1\n"
		  "0123456789012345678901234567890123456789012345678901234567890123456789\n"
		  "01234567890123456789012345678901234567890123456789012345678901234567890\n", 0,
		  "0123456789012345678901234567890123456789012345678901234567890123456789," },
		{ "pouch-read/2\nabc\n", -1, "" },
		{ "", -1, "" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		got[0] = 0;
		is_int(store_reads_parse(t[i].in, strlen(t[i].in), collect, NULL), t[i].rc,
		    "parse %zu: status", i);
		is_str(got, t[i].uids, "parse %zu: the UIDLs kept", i);
	}
}

static int
file_has(const char *path, const char *text)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (file_read_all(path, 1 << 20, 0, &buf, &len) < 0)
		return 0;
	r = strstr(buf, text) != NULL;
	free(buf);
	return r;
}

int
main(void)
{
	char dir[] = "/tmp/pouch-flags.XXXXXX", *err = NULL, *pend, *old, *moved, cmd[128];
	struct store *st = NULL;
	struct store_reads *r;
	const struct store_msg *m;
	size_t n = 0;
	struct stat sb;

	test_parse();
	if (!mkdtemp(dir) || store_open(dir, STORE_OPEN_RDWR, &st, NULL, &err) != STORE_OK) {
		ok(0, "a store opens: %s", err ? err : "?");
		return done_testing();
	}
	pend = str_printf("%s/%s", dir, STORE_READS_FILE);
	old = str_printf("%s/read-old", dir);
	moved = str_printf("%s/read-old.migrated", dir);
	ok(put(st, "held") == 0, "a message is stored");
	r = store_reads_open(st, &err);
	ok(r != NULL && store_reads_pending(r) == 0, "no pending file: an empty set");

	is_int(store_reads_set(r, "held", &err), STORE_OK, "read: a held message");
	m = store_find(st, "held");
	ok(m && (m->flags & STORE_F_READ) && strstr(m->file, ":2,S"),
	    "... gets the store's flag (:2,S)");
	ok(stat(pend, &sb) < 0, "... and no pending file is written");

	is_int(store_reads_set(r, "later", &err), STORE_OK, "read: a message not stored");
	ok(store_reads_has(r, "later") && store_reads_pending(r) == 1, "... is a pending flag");
	ok(file_has(pend, "pouch-read/1\nlater\n"), "... written at once to %s", STORE_READS_FILE);
	ok(!store_reads_has(r, "other"), "an unread UIDL is not read");

	ok(put(st, "later") == 0, "the message arrives");
	is_int(store_reads_apply(r, &err), STORE_OK, "apply");
	m = store_find(st, "later");
	ok(m && (m->flags & STORE_F_READ) && store_reads_pending(r) == 0,
	    "... the pending flag became the store's, and left the pending set");
	ok(!file_has(pend, "later"), "... and the pending file");

	/* an old read-state file: one held, one not, one bad line */
	ok(put(st, "old-held") == 0, "another message is stored");
	ok(file_write_atomic(old, "pouch-read/1\nold-held\nold-gone\nnot valid\n", 42, &err) == 0,
	    "an old read-state file");
	is_int(store_reads_migrate(r, old, &n, &err), STORE_OK, "migrate");
	is_int(n, 2, "... takes its 2 UIDLs");
	m = store_find(st, "old-held");
	ok(m && (m->flags & STORE_F_READ), "... a held one gets the store's flag");
	ok(store_reads_has(r, "old-gone") && file_has(pend, "old-gone\n"),
	    "... one not stored is pending, on disk");
	ok(stat(old, &sb) < 0 && stat(moved, &sb) == 0, "... the file is renamed .migrated");
	is_int(store_reads_migrate(r, old, &n, &err), STORE_OK, "migrating again: no file, no error");
	is_int(n, 0, "... and nothing taken");
	store_reads_free(r);
	store_close(st, &err);

	/* reopened: the flags stayed */
	st = NULL;
	ok(store_open(dir, STORE_OPEN_RDONLY, &st, NULL, &err) == STORE_OK, "reopened read-only");
	r = st ? store_reads_open(st, &err) : NULL;
	ok(r && store_reads_has(r, "held") && store_reads_has(r, "later") &&
	    store_reads_has(r, "old-held") && store_reads_has(r, "old-gone"),
	    "every read flag is there after a reopen");
	if (r) {
		ok(stat(pend, &sb) == 0, "the pending file is there");
		{
			time_t before = sb.st_mtime;
			ino_t ino = sb.st_ino;

			is_int(store_reads_set(r, "ro-new", &err), STORE_READONLY,
			    "read-only: a new flag says STORE_READONLY");
			ok(store_reads_has(r, "ro-new"), "... and is kept in memory");
			ok(stat(pend, &sb) == 0 && sb.st_ino == ino && sb.st_mtime == before &&
			    !file_has(pend, "ro-new"), "... nothing is written");
		}
		ok(file_write_atomic(old, "pouch-read/1\nro-old\n", 20, &err) == 0,
		    "another old read-state file");
		is_int(store_reads_migrate(r, old, &n, &err), STORE_READONLY,
		    "read-only: migrate says STORE_READONLY");
		ok(store_reads_has(r, "ro-old") && stat(old, &sb) == 0,
		    "... the UIDLs are in memory, the file stays where it is");
	}
	store_reads_free(r);
	store_close(st, &err);
	free(err);
	free(pend);
	free(old);
	free(moved);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
