/*
 * tap.h: a tiny TAP producer for the C unit tests. Header-only; include it
 * from exactly one file per test program.
 *
 *   ok(cond, "name %d", i);      is_int(got, want, "name");
 *   is_str(got, want, "name");   is_mem(got, glen, want, wlen, "name");
 *   return done_testing();
 */
#ifndef POUCH_TAP_H
#define POUCH_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail;

static int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_fail++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

static void __attribute__((unused))
tap_diag_mem(const char *what, const char *p, size_t n)
{
	size_t i;

	printf("#   %s: ", what);
	if (!p) {
		printf("(null)\n");
		return;
	}
	putchar('"');
	for (i = 0; i < n && i < 400; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	printf("%s\"\n", n > 400 ? "..." : "");
}

#define is_int(got, want, ...) do { \
	long long tap_g_ = (long long)(got), tap_w_ = (long long)(want); \
	if (!ok(tap_g_ == tap_w_, __VA_ARGS__)) \
		printf("#   got: %lld\n#   expected: %lld\n", tap_g_, tap_w_); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *tap_g_ = (got), *tap_w_ = (want); \
	int tap_c_ = (tap_g_ == NULL && tap_w_ == NULL) || \
	    (tap_g_ && tap_w_ && strcmp(tap_g_, tap_w_) == 0); \
	if (!ok(tap_c_, __VA_ARGS__)) { \
		tap_diag_mem("got", tap_g_, tap_g_ ? strlen(tap_g_) : 0); \
		tap_diag_mem("expected", tap_w_, tap_w_ ? strlen(tap_w_) : 0); \
	} \
} while (0)

#define is_mem(got, glen, want, wlen, ...) do { \
	const char *tap_g_ = (const char *)(got), *tap_w_ = (const char *)(want); \
	size_t tap_gl_ = (glen), tap_wl_ = (wlen); \
	int tap_c_ = tap_gl_ == tap_wl_ && (tap_gl_ == 0 || memcmp(tap_g_, tap_w_, tap_gl_) == 0); \
	if (!ok(tap_c_, __VA_ARGS__)) { \
		tap_diag_mem("got", tap_g_, tap_gl_); \
		tap_diag_mem("expected", tap_w_, tap_wl_); \
	} \
} while (0)

static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_fail ? 1 : 0;
}

#endif
