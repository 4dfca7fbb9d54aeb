/* test_rfc2231.c: mime_hdr_param and mime_hdr_charset. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pouch/mime_hdr.h>
#include "tap.h"

static const struct {
	const char *v;
	const char *name;
	const char *want;
} cases[] = {
	{ "text/plain; charset=utf-8", "charset", "utf-8" },
	/* a parameter without its ';': after the type, after a quoted value */
	{ "application/pdf name=\"invoice.pdf\"", "name", "invoice.pdf" },
	{ "application/pdf (c) name=x.pdf", "name", "x.pdf" },
	{ "attachment filename=\"a b.txt\"", "filename", "a b.txt" },
	{ "application/x x-mac-type=\"50444620\" name=\"i.pdf\"", "name", "i.pdf" },
	{ "text/plain format=flowed; charset=utf-8", "charset", "utf-8" },
	{ "text/plain format=flowed; charset=utf-8", "format", "flowed" },
	{ "text/plain name=\"a\"junk; charset=x", "charset", "x" },
	{ "text/plain name=\"a\", charset=x", "charset", NULL },
	{ "=?utf-8?q?x?= name=y", "name", NULL },
	{ "text/plain/extra name=y", "name", NULL },
	{ "text/plain; CHARSET=\"UTF-8\"", "charset", "UTF-8" },
	{ "text/plain;charset=utf-8;format=flowed", "format", "flowed" },
	{ "text/plain; charset = utf-8 ", "charset", "utf-8" },
	{ "text/plain; charset=us-ascii (Plain text)", "charset", "us-ascii" },
	{ "text/plain; (c) charset=(c)utf-8", "charset", "utf-8" },
	{ "text/plain", "charset", NULL },
	{ "text/plain; charset", "charset", NULL },
	{ "text/plain; xcharset=a", "charset", NULL },
	{ "text/plain; charset=a; charset=b", "charset", "a" },
	/* quoted strings */
	{ "a/b; name=\"x y.pdf\"", "name", "x y.pdf" },
	{ "a/b; name=\"a\\\"b\\\\c\"", "name", "a\"b\\c" },
	{ "a/b; name=\"semi;colon\"; x=1", "name", "semi;colon" },
	{ "a/b; x=\"semi;colon\"; name=n", "name", "n" },
	{ "a/b; name=\"unterminated", "name", "unterminated" },
	{ "a/b; name=\"folded\r\n value\"", "name", "folded value" },
	{ "a/b; name=\"\"", "name", "" },
	/* unquoted values with spaces and tspecials */
	{ "attachment; filename=my file.pdf", "filename", "my file.pdf" },
	{ "attachment; filename=foo(1).pdf", "filename", "foo(1).pdf" },
	{ "attachment; filename=../../x", "filename", "../../x" },
	/* RFC 2231 */
	{ "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf", "filename", "résumé.pdf" },
	{ "attachment; filename*=UTF-8'en'%E2%82%AC", "filename", "€" },
	{ "attachment; filename*=iso-8859-1''caf%E9", "filename", "café" },
	{ "attachment; filename*=koi8-r''%F0%D2%C9%D7%C5%D4", "filename", "Привет" },
	{ "attachment; filename*=''plain%20ascii", "filename", "plain ascii" },
	{ "attachment; filename*=noquotes%20here", "filename", "noquotes here" },
	{ "attachment; filename*=\"utf-8''q%20uoted\"", "filename", "q uoted" },
	{ "attachment; filename=\"old.pdf\"; filename*=utf-8''new.pdf", "filename", "new.pdf" },
	{ "attachment; filename*=utf-8''new.pdf; filename=\"old.pdf\"", "filename", "new.pdf" },
	{ "attachment; filename*0=\"a\"; filename*1=\"b\"; filename*2=\"c\"", "filename", "abc" },
	{ "attachment; filename*2=\"c\"; filename*0=\"a\"; filename*1=\"b\"", "filename", "abc" },
	{ "attachment; filename*1=\"b\"; filename*10=\"k\"; filename*0=\"a\"; filename*2=\"c\"",
	  "filename", "abck" },
	{ "attachment; filename*0*=utf-8''%C3; filename*1*=%A9t%C3%A9", "filename", "été" },
	{ "attachment; filename*1*=%A9t%C3%A9; filename*0*=utf-8''%C3", "filename", "été" },
	{ "attachment; filename*0*=utf-8''a%20; filename*1=\"b%20c\"", "filename", "a b%20c" },
	{ "attachment; filename*0*=iso-8859-1''%E9; filename*1*=%E9", "filename", "éé" },
	{ "attachment; filename=\"fallback\"; filename*0*=utf-8''%E2%82; filename*1*=%AC",
	  "filename", "€" },
	{ "attachment; filename*0=a; filename*0=b", "filename", "a" },
	{ "attachment; filename*x=a; filename=b", "filename", "b" },
	{ "attachment; filename*99999999999=a; filename=b", "filename", "b" },
	{ "attachment; filename*=utf-8''%ZZ%4", "filename", "%ZZ%4" },
	{ "attachment; filename*=utf-8''%00x", "filename", "" },
	/* RFC 2047 inside values, raw 8-bit */
	{ "attachment; filename=\"=?utf-8?q?r=C3=A9sum=C3=A9?=.pdf\"", "filename", "résumé.pdf" },
	{ "attachment; filename==?utf-8?b?w6k=?=", "filename", "é" },
	{ "attachment; filename=\"=?utf-8?q?a?= =?utf-8?q?b?=\"", "filename", "ab" },
	{ "attachment; filename*0=\"=?utf-8?q?a\"; filename*1=\"?=\"", "filename", "a" },
	{ "attachment; filename=\"caf\xc3\xa9.txt\"", "filename", "café.txt" },
	{ "attachment; filename=\"caf\xe9.txt\"", "filename", "caf\xef\xbf\xbd.txt" },
	{ "attachment; filename=\"a\x1b" "b\"", "filename", "a\x1b" "b" },
	/* case-insensitive names */
	{ "attachment; FileName=\"X\"", "filename", "X" },
	{ "attachment; FILENAME*=utf-8''Y", "filename", "Y" },
	/* garbage */
	{ ";;;; =; name=ok", "name", "ok" },
	{ "a/b; name", "name", NULL },
	{ "a/b; (unterminated name=x", "name", NULL },
	{ "a/b \"; name=quoted\"; name=real", "name", "real" },
	/* a boundary is octets, never text */
	{ "multipart/mixed; boundary=\"=?utf-8?q?x?=\"", "boundary", "=?utf-8?q?x?=" },
	{ "multipart/mixed; boundary=\"b\xe9\"", "boundary", "b\xe9" },
	{ "multipart/mixed; BOUNDARY=----=_Part_1 (c)", "boundary", "----=_Part_1" },
};

/* NUL bytes in decoded values: counted by mime_hdr_param_n, never a cut
 * (L: a literal and its size without the terminator). */
#define L(s) s, sizeof(s) - 1
static const struct {
	const char *v;
	size_t vlen;
	const char *name;
	const char *want;
	size_t wantlen;
} nul_cases[] = {
	{ L("attachment; filename*=utf-8''a%00b.txt"), "filename", L("a\0b.txt") },
	{ L("attachment; filename*=utf-8''evil.txt%00.pdf"), "filename", L("evil.txt\0.pdf") },
	{ L("attachment; filename*=utf-8''%00x"), "filename", L("\0x") },
	{ L("attachment; filename*=utf-8''%00"), "filename", L("\0") },
	{ L("attachment; filename*=iso-8859-1''caf%E9%00"), "filename", L("caf\xc3\xa9\0") },
	{ L("attachment; filename*=''a%00%00b"), "filename", L("a\0\0b") },
	/* continuations: a NUL at a segment's edge joins like any byte */
	{ L("attachment; filename*0*=utf-8''a%00; filename*1*=%00b; filename*2=\"c\""),
	  "filename", L("a\0\0bc") },
	{ L("attachment; filename*1*=%00.pdf; filename*0*=utf-8''evil.txt"),
	  "filename", L("evil.txt\0.pdf") },
	/* RFC 2047 inside a value, quoted or not */
	{ L("attachment; filename=\"=?utf-8?q?a=00b?=.txt\""), "filename", L("a\0b.txt") },
	{ L("attachment; filename==?utf-8?b?YQBi?="), "filename", L("a\0b") },
	{ L("application/pdf; name=\"=?utf-8?q?evil.txt=00?=.pdf\""), "name",
	  L("evil.txt\0.pdf") },
	/* a raw NUL in the field, quoted and unquoted */
	{ L("attachment; filename=\"a\0b\""), "filename", L("a\0b") },
	{ L("attachment; filename=a\0b; x=1"), "filename", L("a\0b") },
	/* boundary: octets, a NUL kept as well */
	{ L("multipart/mixed; boundary=\"a\0b\""), "boundary", L("a\0b") },
	{ L("attachment; filename=\"\""), "filename", L("") },
};

static const struct {
	const char *v;
	const char *want;
} cs_cases[] = {
	{ "text/plain; charset=UTF-8", "utf-8" },
	{ "text/plain; charset=\" Windows-1251 \"", "windows-1251" },
	{ "text/plain; charset=UTF8 (comment)", "utf8" },
	{ "text/plain; charset*=''KOI8-R", "koi8-r" },
	{ "text/plain", NULL },
};

int
main(void)
{
	size_t i, n;
	char *r, *big;
	clock_t t0;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = mime_hdr_param(cases[i].v, strlen(cases[i].v), cases[i].name);
		is_str(r, cases[i].want, "param %zu", i);
		free(r);
	}
	for (i = 0; i < sizeof cs_cases / sizeof cs_cases[0]; i++) {
		r = mime_hdr_charset(cs_cases[i].v, strlen(cs_cases[i].v));
		is_str(r, cs_cases[i].want, "charset %zu", i);
		free(r);
	}
	{
		static const char v1[] = "a; f*0*=utf-8''%E9; f*1=\"=?x?q?y?=\"";
		static const char v2[] = "a; f=\"caf\xe9\"";

		r = mime_hdr_param_raw(v1, sizeof v1 - 1, "f");
		is_str(r, "\xe9=?x?q?y?=", "raw: percent-decoded, nothing converted");
		free(r);
		r = mime_hdr_param_raw(v2, sizeof v2 - 1, "f");
		is_str(r, "caf\xe9", "raw: 8-bit kept");
		free(r);
	}

	/* an encoded NUL is reported, not cut (length via strlen stops at it) */
	r = mime_hdr_param("a; f*=utf-8''a%00b", 18, "f");
	ok(r && memcmp(r, "a\0b", 4) == 0, "NUL kept inside a value");
	free(r);
	for (i = 0; i < sizeof nul_cases / sizeof nul_cases[0]; i++) {
		n = (size_t)-1;
		r = mime_hdr_param_n(nul_cases[i].v, nul_cases[i].vlen,
		    nul_cases[i].name, &n);
		ok(r != NULL, "param_n NUL %zu: not NULL", i);
		is_mem(r, r ? n : 0, nul_cases[i].want, nul_cases[i].wantlen,
		    "param_n NUL %zu: bytes", i);
		is_int(n, nul_cases[i].wantlen, "param_n NUL %zu: length", i);
		ok(r && r[n] == '\0', "param_n NUL %zu: terminated", i);
		free(r);
	}
	r = mime_hdr_param_n("a; f=x", 6, "g", &n);
	ok(r == NULL, "param_n: absent is NULL");
	r = mime_hdr_param_n("a; f*=utf-8''a%00b", 18, "f", NULL);
	ok(r && memcmp(r, "a\0b", 4) == 0, "param_n with a NULL outlen");
	free(r);

	/* hostile: 100 KB of continuations in reverse order, and quotes */
	n = 100000;
	big = malloc(n + 64);
	if (!big)
		return 1;
	t0 = clock();
	{
		size_t len = 0, k;

		len += (size_t)sprintf(big, "a/b");
		for (k = 9999; len + 20 < n; k--)
			len += (size_t)sprintf(big + len, "; f*%zu=x", k);
		r = mime_hdr_param(big, len, "f");
		ok(r && r[0] == 'x' && strspn(r, "x") == strlen(r),
		    "100 KB of continuations");
		free(r);
	}
	memset(big, '"', n);
	r = mime_hdr_param(big, n, "f");
	ok(r == NULL, "100 KB of quotes");
	free(r);
	memset(big, ';', n);
	r = mime_hdr_param(big, n, "f");
	ok(r == NULL, "100 KB of semicolons");
	free(r);
	for (i = 0; i < n; i++)
		big[i] = "; f*0*=utf-8''%"[i % 15];
	r = mime_hdr_param(big, n, "f");
	ok(r != NULL, "100 KB of repeated segment 0");
	free(r);
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0, "hostile inputs took under 2 s");
	free(big);
	return done_testing();
}
