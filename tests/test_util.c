/* Unit tests for util.c: capped buffers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include <pouch/util.h>

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
	return done_testing();
}
