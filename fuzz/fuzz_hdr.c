/*
 * fuzz_hdr.c: every function of charset.h, mime_hdr.h and text.h on
 * hostile bytes. The first byte picks the function; the rest is its input.
 * Besides the sanitizers' checks, it traps when a promise is broken:
 * output that should be UTF-8 is not, or sanitized text holds a control.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/charset.h>
#include <pouch/mime_hdr.h>
#include <pouch/text.h>

static void
must_utf8(const char *s, size_t n)
{
	if (s && !utf8_valid(s, n))
		__builtin_trap();
}

static void
must_str(const char *s)
{
	if (s)
		must_utf8(s, strlen(s));
}

/* A counted result (NUL bytes allowed inside): UTF-8 over its whole
 * length, NUL-terminated just past it, and the same bytes as the plain
 * variant gives up to its first NUL. */
static void
must_counted(const char *s, size_t n, const char *plain)
{
	if (!s)
		return;
	must_utf8(s, n);
	if (s[n] != '\0')
		__builtin_trap();
	if (plain && (strlen(plain) > n || memcmp(plain, s, strlen(plain)) != 0))
		__builtin_trap();
}

/* Sanitized text holds nothing of the one unsafe set (utf8_unsafe_cp)
 * but the LF and TAB its flags keep. */
static void
must_safe(const char *s, size_t n, int flags)
{
	size_t i, k, bad;
	uint32_t cp;

	if (!s)
		return;
	must_utf8(s, n);
	for (i = 0; i < n; i += k) {
		k = utf8_next(s + i, n - i, &cp, &bad);
		if (k == 0)
			__builtin_trap();
		if (utf8_unsafe_cp(cp) && !(cp == '\n' && (flags & TEXT_KEEP_LF)) &&
		    !(cp == '\t' && (flags & TEXT_KEEP_TAB)))
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Not "boundary": it is octets, not UTF-8 (see mime_hdr_param_raw). */
	static const char *const params[] = { "filename", "name", "charset", "format" };
	const char *v = (const char *)data + 1, *nul;
	size_t n = size ? size - 1 : 0, outlen, cnt, i;
	struct mime_addr *a;
	char *r, *cs, fmt[26];
	int64_t utc;
	int off;

	if (size < 1)
		return 0;
	switch (data[0] % 16) {
	case 0:
		/* "charset\0bytes" */
		nul = memchr(v, '\0', n);
		if (!nul)
			break;
		cs = strndup(v, (size_t)(nul - v));
		if (!cs)
			break;
		r = charset_to_utf8(cs, nul + 1, n - (size_t)(nul + 1 - v), &outlen);
		must_utf8(r, outlen);
		free(r);
		free(cs);
		break;
	case 1:
		r = charset_fix_utf8(v, n, &outlen);
		must_utf8(r, outlen);
		free(r);
		r = charset_to_utf8(NULL, v, n, &outlen);
		must_utf8(r, outlen);
		free(r);
		break;
	case 2:
		r = mime_hdr_unfold(v, n, &outlen);
		if (r && (memchr(r, '\n', outlen)))
			__builtin_trap();
		free(r);
		break;
	case 3:
		r = mime_hdr_text_n(v, n, &outlen);
		cs = mime_hdr_text(v, n);
		must_counted(r, outlen, cs);
		free(cs);
		free(r);
		break;
	case 4:
		free(mime_hdr_ctype(v, n));
		free(mime_hdr_disposition(v, n));
		free(mime_hdr_token(v, n));
		break;
	case 5:
		for (i = 0; i < sizeof params / sizeof params[0]; i++) {
			r = mime_hdr_param_n(v, n, params[i], &outlen);
			cs = mime_hdr_param(v, n, params[i]);
			must_counted(r, outlen, cs);
			free(cs);
			free(r);
		}
		r = mime_hdr_charset(v, n);
		must_str(r);
		free(r);
		free(mime_hdr_param(v, n, "boundary"));
		(void)mime_hdr_params_unsep(v, n);
		free(mime_hdr_param_raw(v, n, "name"));
		break;
	case 6:
		cnt = mime_hdr_addrs(v, n, &a);
		if (cnt != (size_t)-1) {
			for (i = 0; i < cnt; i++) {
				must_counted(a[i].name, a[i].name_len, NULL);
				must_str(a[i].addr);
			}
			mime_addr_free(a, cnt);
		}
		break;
	case 7:
		if (mime_hdr_date(v, n, &utc, &off) == 0) {
			mime_date_format(utc, off, fmt);
			if (strlen(fmt) != 25)
				__builtin_trap();
		}
		break;
	case 8:
	case 9:
	case 10:
	case 11:
		r = text_sanitize(v, n, data[0] & 3, &outlen);
		must_safe(r, outlen, data[0] & 3);
		if (r) {
			/* Safe text is a fixed point: nothing left to escape. */
			char *again = text_sanitize(r, outlen, data[0] & 3, &i);

			if (again && (i != outlen || memcmp(again, r, i) != 0))
				__builtin_trap();
			free(again);
		}
		free(r);
		break;
	default:
		r = text_html_to_text(v, n, &outlen);
		if (r) {
			char *s = text_sanitize(r, outlen, TEXT_BODY, &i);

			must_safe(s, i, TEXT_BODY);
			free(s);
		}
		free(r);
		break;
	}
	return 0;
}
