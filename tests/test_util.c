/* Unit tests for util.c: capped buffers. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include <pouch/util.h>

/* file_read_all and file_write_atomic in a fresh directory. */
static void
test_files(void)
{
	char dir[] = "/tmp/pouch-util.XXXXXX", path[256], other[256], *buf, *err;
	size_t len;
	struct stat st;
	int rc;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/f", dir);
	rc = file_read_all(path, 100, 0, &buf, &len);
	ok(rc == -1 && errno == ENOENT && !buf, "read: a missing file is ENOENT");
	is_int(file_write_atomic(path, "a\0b\n", 4, &err), 0, "write: new file");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "write: mode 0600");
	rc = file_read_all(path, 100, FILE_SECRET, &buf, &len);
	ok(rc == 0 && len == 4 && memcmp(buf, "a\0b\n", 5) == 0,
	    "read: the exact bytes and a NUL after them");
	free(buf);
	is_int(file_write_atomic(path, "replaced", 8, &err), 0, "write: over the old file");
	rc = file_read_all(path, 8, 0, &buf, &len);
	ok(rc == 0 && len == 8 && strcmp(buf, "replaced") == 0, "read: exactly at the cap");
	free(buf);
	rc = file_read_all(path, 7, 0, &buf, &len);
	ok(rc == -1 && errno == EFBIG && !buf, "read: one byte past the cap is EFBIG");
	is_int(file_write_atomic(path, "", 0, &err), 0, "write: an empty file");
	rc = file_read_all(path, 0, 0, &buf, &len);
	ok(rc == 0 && len == 0 && buf && *buf == '\0', "read: an empty file is \"\"");
	free(buf);
	rc = file_read_all(dir, 100, 0, &buf, &len);
	ok(rc == -1 && errno == EINVAL, "read: a directory is EINVAL");
	snprintf(other, sizeof other, "%s/link", dir);
	ok(symlink(path, other) == 0, "symlink");
	rc = file_read_all(other, 100, FILE_NOFOLLOW, &buf, &len);
	ok(rc == -1 && errno == ELOOP, "read: FILE_NOFOLLOW refuses a symlink");
	rc = file_read_all(other, 100, 0, &buf, &len);
	ok(rc == 0 && len == 0, "read: without it, the link is followed");
	free(buf);
	unlink(other);
	snprintf(other, sizeof other, "%s/nodir/f", dir);
	rc = file_write_atomic(other, "x", 1, &err);
	ok(rc == -1 && err && strstr(err, "nodir/f.") && strstr(err, "cannot create"),
	    "write: a missing directory says which file (%s)", err ? err : "NULL");
	free(err);
	/* Nothing but f is left behind: no temporary file. */
	snprintf(other, sizeof other, "ls -A '%s' | wc -l | grep -qx 1", dir);
	is_int(system(other), 0, "write: no temporary file left behind");
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	struct dbuf b;
	char *s;
	size_t n;
	int i;

	dbuf_init(&b, 0);
	is_int(dbuf_adds(&b, "abc"), 0, "append");
	is_int(dbuf_addc(&b, 'd'), 0, "append a char");
	is_int(dbuf_printf(&b, "-%d-", 42), 0, "printf");
	is_str(b.p, "abcd-42-", "contents");
	is_int(b.len, 8, "length");
	dbuf_reset(&b);
	is_str(b.p, "", "reset keeps an empty string");
	for (i = 0; i < 10000; i++)
		dbuf_adds(&b, "0123456789");
	is_int(b.len, 100000, "grows to 100000");
	dbuf_free(&b);
	ok(b.p == NULL && b.len == 0, "free empties");

	dbuf_init(&b, 10);
	is_int(dbuf_adds(&b, "0123456789"), 0, "exactly at the cap");
	is_int(dbuf_addc(&b, 'x'), -1, "one past the cap fails");
	ok(b.p == NULL && b.len == 0, "a failed append frees the buffer");
	is_int(dbuf_printf(&b, "%s", "0123456789abc"), -1, "printf past the cap fails");
	ok(b.p == NULL, "and frees");

	dbuf_init(&b, 0);
	is_int(dbuf_add(&b, "x", SIZE_MAX), -1, "size overflow is refused");
	s = dbuf_take(&b, &n);
	ok(s && *s == '\0' && n == 0, "take on an empty buffer gives \"\"");
	free(s);
	dbuf_add(&b, "a\0b", 3);
	s = dbuf_take(&b, &n);
	is_mem(s, n, "a\0b", 3, "take keeps embedded NULs");
	ok(b.p == NULL, "take leaves the buffer empty");
	free(s);

	s = str_printf("%s=%u", "n", 7u);
	is_str(s, "n=7", "str_printf");
	free(s);
	s = str_ndup("hello", 4);
	is_str(s, "hell", "str_ndup");
	free(s);
	test_files();
	{
		/* strset: sorted, unique, copies; removal keeps the order */
		struct strset set = { 0 };
		static const char *const in[] = { "m", "b", "z", "b", "a", "m" };
		size_t k, at;
		char joined[32] = "";

		for (k = 0; k < sizeof in / sizeof in[0]; k++)
			ok(strset_add(&set, in[k]) == 0, "strset_add %s", in[k]);
		for (k = 0; k < set.n; k++)
			strcat(joined, set.v[k]);
		is_str(joined, "abmz", "strset: sorted, each once");
		ok(strset_find(&set, "m", &at) && at == 2, "strset_find m: index 2");
		ok(!strset_find(&set, "c", &at) && at == 2, "strset_find c: absent, would go at 2");
		strset_remove_at(&set, 0);
		ok(set.n == 3 && strcmp(set.v[0], "b") == 0, "strset_remove_at 0 leaves b first");
		strset_free(&set);
		ok(set.n == 0 && set.v == NULL, "strset_free empties");
	}
	return done_testing();
}
