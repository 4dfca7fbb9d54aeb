/* test_rfc2047.c: mime_hdr_unfold, mime_hdr_text (RFC 2047 words), and the
 * simple structured fields (Content-Type, -Disposition, -Transfer-Encoding). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pouch/mime_hdr.h>
#include "tap.h"

static const struct {
	const char *in;
	const char *want;
} text_cases[] = {
	{ "Hello", "Hello" },
	{ "  leading removed, trailing kept ", "leading removed, trailing kept " },
	{ "folded\r\n line", "folded line" },
	{ "folded\n\tline", "folded\tline" },
	{ "\r\n starts folded", "starts folded" },
	{ "lone\rCR kept", "lone\rCR kept" },
	{ "=?utf-8?q?Gr=C3=BC=C3=9Fe?=", "Grüße" },
	{ "=?UTF-8?Q?Gr=c3=bc=c3=9fe?=", "Grüße" },
	{ "=?utf-8?b?R3LDvMOfZQ==?=", "Grüße" },
	{ "=?UTF-8?B?R3LDvMOfZQ?=", "Grüße" },
	{ "=?iso-8859-1?q?caf=E9?=", "café" },
	{ "=?ISO-8859-1?Q?a_b?=", "a b" },
	{ "=?utf-8?q?a?= =?utf-8?q?b?=", "ab" },
	{ "=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab" },
	{ "=?utf-8?q?a?=\r\n\t \t=?utf-8?q?b?=", "ab" },
	{ "=?utf-8?q?a?= b =?utf-8?q?c?=", "a b c" },
	{ "x =?utf-8?q?a?= y", "x a y" },
	{ "x=?utf-8?q?a?=y", "xay" },
	{ "=?utf-8?q?a_?= =?utf-8?q?_b?=", "a  b" },
	/* a character split across two words */
	{ "=?utf-8?b?w6?= =?utf-8?b?kK?=", "\xc3\x90" },	/* unpadded groups */
	{ "=?utf-8?q?=C3?= =?utf-8?q?=A9?=", "é" },
	{ "=?UTF-8?B?4oI=?= =?utf-8?B?rA==?=", "€" },
	{ "=?UTF-8?Q?=E2=82?= =?utf8?Q?=AC?=", "€" },
	{ "=?koi8-r?b?8NLJ1w==?= =?koi8-r?b?xdQ=?=", "Привет" },
	{ "=?windows-1251?Q?=CF=F0=E8=E2=E5=F2?=", "Привет" },
	{ "=?shift_jis?b?k/o=?= =?shift_jis?b?lns=?=", "日本" },
	{ "=?shift_jis?q?=93?= =?shift_jis?q?=FA?=", "日" },
	/* different charsets: each converted on its own */
	{ "=?utf-8?q?=C3?= =?iso-8859-1?q?=E9?=", "\xef\xbf\xbd" "é" },
	{ "=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?=", "éé" },
	/* language suffix (RFC 2231 section 5) */
	{ "=?utf-8*en?q?hi?=", "hi" },
	/* malformed words stay literal */
	{ "=?utf-8?x?abc?=", "=?utf-8?x?abc?=" },
	{ "=?utf-8?q?no end", "=?utf-8?q?no end" },
	{ "=??q?abc?=", "=??q?abc?=" },
	{ "=?utf-8?b?!!!!?=", "=?utf-8?b?!!!!?=" },
	{ "=?utf-8?q?a b?=", "=?utf-8?q?a b?=" },
	{ "=?", "=?" },
	{ "=?utf-8", "=?utf-8" },
	{ "=?utf-8?", "=?utf-8?" },
	{ "=?utf-8?q", "=?utf-8?q" },
	{ "=?utf-8?q?", "=?utf-8?q?" },
	{ "=?utf-8?q??", "=?utf-8?q??" },
	{ "=?utf-8?q?" "?=", "" },
	{ "a=?utf-8?q?" "?=b", "ab" },
	{ "=?=?utf-8?q?x?=", "=?x" },
	{ "=?utf-8?q?=ZZ?=", "=ZZ" },
	{ "=?utf-8?q?=4?=", "=4" },
	{ "=?x-unknown?q?caf=C3=A9?=", "café" },
	{ "=?us-ascii?q?caf=E9?=", "café" },
	/* raw 8-bit is UTF-8; invalid bytes become U+FFFD */
	{ "Gr\xc3\xbc\xc3\x9f" "e", "Grüße" },
	{ "caf\xe9", "caf\xef\xbf\xbd" },
	/* control characters are kept */
	{ "a\tb\x01" "c\x1b[31m", "a\tb\x01" "c\x1b[31m" },
	{ "=?utf-8?q?=00=1B?=", "\0" },
};

/* NUL bytes in the decoded text: counted by mime_hdr_text_n, never a cut.
 * Inputs and outputs are given with their lengths (L: a literal and its
 * size without the terminator). */
#define L(s) s, sizeof(s) - 1
static const struct {
	const char *in;
	size_t inlen;
	const char *want;
	size_t wantlen;
} nul_cases[] = {
	{ L("=?utf-8?q?a=00b?="), L("a\0b") },
	{ L("=?utf-8?q?=00?="), L("\0") },
	{ L("=?utf-8?q?=00=1B?="), L("\0\x1b") },
	{ L("=?utf-8?b?YQBi?="), L("a\0b") },
	{ L("=?UTF-8?B?AA==?="), L("\0") },
	{ L("x =?utf-8?q?=00?= y"), L("x \0 y") },
	/* adjacent words joined, the NULs inside kept */
	{ L("=?utf-8?q?a=00?= =?utf-8?q?=00b?="), L("a\0\0b") },
	/* through a charset conversion */
	{ L("=?iso-8859-1?q?caf=E9=00.txt?="), L("caf\xc3\xa9\0.txt") },
	{ L("=?koi8-r?q?=F0=00=F0?="), L("\xd0\x9f\0\xd0\x9f") },
	/* a raw NUL in the field value, and one in a folded value */
	{ L("a\0b"), L("a\0b") },
	{ L("a\0\r\n b"), L("a\0 b") },
	{ L("evil.txt=?utf-8?q?=00?=.pdf"), L("evil.txt\0.pdf") },
	{ L(""), L("") },
};

static const struct {
	const char *in;
	const char *ctype, *disp, *token;
} field_cases[] = {
	{ "text/plain", "text/plain", "text", "text" },
	{ "Text/HTML; charset=utf-8", "text/html", "text", "text" },
	{ " multipart/mixed;\r\n boundary=x", "multipart/mixed", "multipart", "multipart" },
	{ "text / plain (comment)", "text/plain", "text", "text" },
	{ "(c) text/plain", "text/plain", "text", "text" },
	{ "text/plain/x", NULL, "text", "text" },
	{ "text", NULL, "text", "text" },
	{ "/plain", NULL, NULL, NULL },
	{ "text/", NULL, "text", "text" },
	{ "", NULL, NULL, NULL },
	/* a parameter without its ';': the type stands (mime-dump/1) */
	{ "text/plain garbage", "text/plain", "text", "text" },
	{ "application/pdf name=\"invoice.pdf\"", "application/pdf", "application", "application" },
	{ "application/pdf (c) name=x", "application/pdf", "application", "application" },
	{ "text/plain, text/html", NULL, "text", "text" },
	{ "text/plain \"x\"", NULL, "text", "text" },
	{ "attachment; filename=x", NULL, "attachment", "attachment" },
	{ "INLINE", NULL, "inline", "inline" },
	{ " Base64 ", NULL, "base64", "base64" },
	{ "quoted-printable (qp)", NULL, "quoted-printable", "quoted-printable" },
	{ "\"BASE64\"", NULL, NULL, "base64" },
	{ "(unterminated comment text/plain", NULL, NULL, NULL },
	{ "\"unterminated", NULL, NULL, "unterminated" },
};

int
main(void)
{
	size_t i, n;
	char *r, *big;
	clock_t t0;

	for (i = 0; i < sizeof text_cases / sizeof text_cases[0]; i++) {
		r = mime_hdr_text(text_cases[i].in, strlen(text_cases[i].in));
		is_str(r, text_cases[i].want, "text %zu", i);
		free(r);
	}
	/* a NUL inside a decoded word is kept (counted by length) */
	r = mime_hdr_text("=?utf-8?q?a=00b?=", 17);
	ok(r && memcmp(r, "a\0b", 4) == 0, "NUL from a Q word kept");
	free(r);
	for (i = 0; i < sizeof nul_cases / sizeof nul_cases[0]; i++) {
		n = (size_t)-1;
		r = mime_hdr_text_n(nul_cases[i].in, nul_cases[i].inlen, &n);
		ok(r != NULL, "text_n NUL %zu: not NULL", i);
		is_mem(r, r ? n : 0, nul_cases[i].want, nul_cases[i].wantlen,
		    "text_n NUL %zu: bytes", i);
		is_int(n, nul_cases[i].wantlen, "text_n NUL %zu: length", i);
		ok(r && r[n] == '\0', "text_n NUL %zu: terminated", i);
		free(r);
	}
	r = mime_hdr_text_n("=?utf-8?q?a=00b?=", 17, NULL);
	ok(r && memcmp(r, "a\0b", 4) == 0, "text_n with a NULL outlen");
	free(r);

	r = mime_hdr_unfold("  a\r\n b\n c", 10, &n);
	is_mem(r, n, "a b c", 5, "unfold");
	free(r);
	r = mime_hdr_unfold("", 0, &n);
	is_mem(r, n, "", 0, "unfold empty");
	free(r);

	for (i = 0; i < sizeof field_cases / sizeof field_cases[0]; i++) {
		const char *v = field_cases[i].in;

		r = mime_hdr_ctype(v, strlen(v));
		is_str(r, field_cases[i].ctype, "ctype %zu", i);
		free(r);
		r = mime_hdr_disposition(v, strlen(v));
		is_str(r, field_cases[i].disp, "disposition %zu", i);
		free(r);
		r = mime_hdr_token(v, strlen(v));
		is_str(r, field_cases[i].token, "token %zu", i);
		free(r);
	}

	/* hostile: 100 KB values stay linear */
	n = 100000;
	big = malloc(n + 1);
	if (!big)
		return 1;
	for (i = 0; i < n; i++)
		big[i] = "=?"[i % 2];
	t0 = clock();
	r = mime_hdr_text(big, n);
	ok(r && strlen(r) == n, "100 KB of =?=?=? stays literal");
	free(r);
	for (i = 0; i + 14 <= n; i += 14)
		memcpy(big + i, "=?utf-8?q?a?= ", 14);
	memset(big + i, ' ', n - i);
	r = mime_hdr_text(big, n);
	ok(r && strncmp(r, "aaaaaaaaaa", 10) == 0 && strlen(r) == n / 14 + (n - i) + 1,
	    "100 KB of adjacent words joined");
	free(r);
	for (i = 0; i < n; i++)
		big[i] = "=?utf-8?q?aaaaaaaaaaaa"[i % 22];
	r = mime_hdr_text(big, n);
	ok(r && strlen(r) == n, "100 KB of unterminated words");
	free(r);
	memset(big, '(', n);
	r = mime_hdr_ctype(big, n);
	ok(r == NULL, "100 KB of open comments");
	free(r);
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0, "hostile inputs took under 2 s");
	free(big);
	return done_testing();
}
