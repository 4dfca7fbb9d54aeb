/* test_charset.c: charset_to_utf8, charset_fix_utf8, utf8_valid. */
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/charset.h>
#include "tap.h"

#define S(x) x, sizeof(x) - 1

static const struct {
	const char *cs;
	const char *in;
	size_t inlen;
	const char *want;
	size_t wantlen;
} cases[] = {
	/* none and us-ascii: UTF-8 when valid, else windows-1252 */
	{ NULL, S("plain"), S("plain") },
	{ NULL, S("caf\xc3\xa9"), S("caf\xc3\xa9") },
	{ NULL, S("caf\xe9"), S("caf\xc3\xa9") },
	{ "us-ascii", S("caf\xe9"), S("caf\xc3\xa9") },
	{ "US-ASCII", S("\x80"), S("\xe2\x82\xac") },
	{ "ascii", S("\xc3\xa9"), S("\xc3\xa9") },
	{ "", S("a\xe9"), S("a\xc3\xa9") },
	/* NUL bytes survive */
	{ NULL, S("a\0b"), S("a\0b") },
	{ "utf-8", S("a\0b"), S("a\0b") },
	/* UTF-8 aliases and repair */
	{ "UTF-8", S("\xe2\x82\xac"), S("\xe2\x82\xac") },
	{ "utf8", S("\xe2\x82\xac"), S("\xe2\x82\xac") },
	{ " \"utf-8\" ", S("x"), S("x") },
	{ "utf-8", S("a\xffz"), S("a\xef\xbf\xbdz") },
	{ "utf-8", S("\xe2\x82"), S("\xef\xbf\xbd") },
	{ "utf-8", S("\xe2\x82z"), S("\xef\xbf\xbdz") },
	{ "utf-8", S("\xc0\xaf"), S("\xef\xbf\xbd\xef\xbf\xbd") },
	{ "utf-8", S("\xed\xa0\x80"), S("\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd") },
	{ "utf-8", S("\xf4\x90\x80\x80"), S("\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd") },
	{ "utf-8", S("\xf0\x9f\x98\x80"), S("\xf0\x9f\x98\x80") },
	/* iso-8859-1 is windows-1252 */
	{ "iso-8859-1", S("\xe9t\xe9"), S("\xc3\xa9t\xc3\xa9") },
	{ "ISO-8859-1", S("\x80\x93\x94"), S("\xe2\x82\xac\xe2\x80\x9c\xe2\x80\x9d") },
	{ "latin1", S("\xfc"), S("\xc3\xbc") },
	{ "l1", S("\xfc"), S("\xc3\xbc") },
	{ "ISO_8859-1:1987", S("\xfc"), S("\xc3\xbc") },
	{ "cp1252", S("\x9f"), S("\xc5\xb8") },
	{ "windows-1252", S("\x81\x8d\x8f\x90\x9d"), S("\xc2\x81\xc2\x8d\xc2\x8f\xc2\x90\xc2\x9d") },
	/* Russian */
	{ "koi8-r", S("\xf0\xd2\xc9\xd7\xc5\xd4, \xcd\xc9\xd2"),
	  S("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xbc\xd0\xb8\xd1\x80") },
	{ "KOI8R", S("\xb3\xa3"), S("\xd0\x81\xd1\x91") },
	{ "koi8_r", S("\x80\x9a\xbf"), S("\xe2\x94\x80\xc2\xa0\xc2\xa9") },
	{ "windows-1251", S("\xcf\xf0\xe8\xe2\xe5\xf2, \xec\xe8\xf0"),
	  S("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xbc\xd0\xb8\xd1\x80") },
	{ "cp1251", S("\xa8\xb8\xb9"), S("\xd0\x81\xd1\x91\xe2\x84\x96") },
	{ "x-cp1251", S("\x88\x98"), S("\xe2\x82\xac\xc2\x98") },
	{ "WIN1251", S("\xc0\xff"), S("\xd0\x90\xd1\x8f") },
	/* CJK substitutions */
	{ "shift_jis", S("\x93\xfa\x96{\x8c\xea"), S("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e") },
	{ "Shift-JIS", S("\x87\x40"), S("\xe2\x91\xa0") },	/* CP932 only */
	{ "euc-kr", S("\xc7\xd1\xb1\xb9\xbe\xee"), S("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4") },
	{ "ks_c_5601-1987", S("\xc7\xd1"), S("\xed\x95\x9c") },
	{ "euc-kr", S("\x81\x41"), S("\xea\xb0\x82") },	/* CP949 only */
	{ "gb2312", S("\xd6\xd0\xce\xc4"), S("\xe4\xb8\xad\xe6\x96\x87") },
	{ "GBK", S("\x81\x40"), S("\xe4\xb8\x82") },
	{ "gb2312", S("\x81\x30\x81\x30"), S("\xc2\x80") },	/* GB18030 only */
	/* UTF-16: BOM consumed, little-endian without one */
	{ "utf-16", S("\xff\xfe" "a\0b\0"), S("ab") },
	{ "utf-16", S("\xfe\xff" "\0a\0b"), S("ab") },
	{ "UTF-16", S("a\0"), S("a") },
	{ "utf-16le", S("a\0"), S("a") },
	{ "utf-16be", S("\0a"), S("a") },
	{ "utf-16", S("a"), S("\xef\xbf\xbd") },
	/* other iconv charsets, invalid octets */
	{ "iso-8859-2", S("\xb1"), S("\xc4\x85") },
	{ "ISO-8859-15", S("\xa4"), S("\xe2\x82\xac") },
	{ "iso-2022-jp", S("\x1b$B$\"\x1b(Ba"), S("\xe3\x81\x82" "a") },
	{ "euc-jp", S("\xa4\xa2\xff" "a"), S("\xe3\x81\x82\xef\xbf\xbd" "a") },
	{ "shift_jis", S("\x81"), S("\xef\xbf\xbd") },
	/* unknown and hostile names: UTF-8 */
	{ "x-unknown", S("caf\xc3\xa9"), S("caf\xc3\xa9") },
	{ "x-unknown", S("caf\xe9"), S("caf\xef\xbf\xbd") },
	{ "utf-8//TRANSLIT", S("\xe9"), S("\xef\xbf\xbd") },
	{ "latin1//IGNORE", S("\xe9"), S("\xef\xbf\xbd") },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", S("x"), S("x") },
	{ "\xe9", S("x\xe9"), S("x\xef\xbf\xbd") },
};

static void
check_table_vs_iconv(const char *ours, const char *theirs, int skip)
{
	iconv_t cd = iconv_open("UTF-8", theirs);
	int c, bad = 0;

	if (cd == (iconv_t)-1) {
		ok(1, "# SKIP iconv has no %s", theirs);
		return;
	}
	for (c = 0x80; c < 0x100; c++) {
		char in = (char)c, ob[8], *ip = &in, *op = ob, *got;
		size_t il = 1, ol = sizeof ob, gl;

		if (c == skip)
			continue;
		iconv(cd, NULL, NULL, NULL, NULL);
		/* Octets iconv leaves undefined are checked in the table. */
		if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1)
			continue;
		got = charset_to_utf8(ours, &in, 1, &gl);
		if (!got || gl != (size_t)(op - ob) || memcmp(got, ob, gl) != 0) {
			printf("# %s 0x%02x differs\n", ours, c);
			bad++;
		}
		free(got);
	}
	iconv_close(cd);
	is_int(bad, 0, "%s agrees with iconv %s on all 128 high octets", ours, theirs);
}

int
main(void)
{
	size_t i, n;
	char *r, big[100000];

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = charset_to_utf8(cases[i].cs, cases[i].in, cases[i].inlen, &n);
		is_mem(r, r ? n : 0, cases[i].want, cases[i].wantlen,
		    "charset %zu (%s)", i, cases[i].cs ? cases[i].cs : "none");
		ok(r && r[n] == '\0', "charset %zu NUL-terminated", i);
		free(r);
	}
	check_table_vs_iconv("koi8-r", "KOI8-R", -1);
	check_table_vs_iconv("windows-1251", "CP1251", 0x98);
	check_table_vs_iconv("iso-8859-1", "CP1252", -1);

	/* KOI8-R 0xC0..0xFF: the alphabet, in KOI8 order, byte for byte */
	{
		char in[64];
		static const char want[] =
		    "юабцдефгхийклмнопярстужвьызшэщчъ"
		    "ЮАБЦДЕФГХИЙКЛМНОПЯРСТУЖВЬЫЗШЭЩЧЪ";
		for (i = 0; i < 64; i++)
			in[i] = (char)(0xc0 + i);
		r = charset_to_utf8("KOI8-R", in, 64, &n);
		is_mem(r, n, want, sizeof want - 1, "koi8-r alphabet");
		free(r);
		for (i = 0; i < 64; i++)
			in[i] = (char)(0xc0 + i);
		r = charset_to_utf8("windows-1251", in, 64, &n);
		is_mem(r, n, "АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдежзийклмнопрстуфхцчшщъыьэюя",
		    128, "windows-1251 alphabet");
		free(r);
	}

	r = charset_fix_utf8(S("ok\xc3\xa9\xc3"), &n);
	is_mem(r, n, "ok\xc3\xa9\xef\xbf\xbd", 7, "fix_utf8 truncated tail");
	free(r);
	r = charset_fix_utf8(S("\xf0\x9f\x98"), &n);
	is_mem(r, n, "\xef\xbf\xbd", 3, "fix_utf8 maximal subpart");
	free(r);

	ok(utf8_valid(S("")), "valid: empty");
	ok(utf8_valid(S("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80")), "valid: 2, 3, 4 bytes");
	ok(!utf8_valid(S("\xc1\x81")), "invalid: overlong 2");
	ok(!utf8_valid(S("\xe0\x80\x80")), "invalid: overlong 3");
	ok(!utf8_valid(S("\xed\xb0\x80")), "invalid: surrogate");
	ok(!utf8_valid(S("\xf4\x90\x80\x80")), "invalid: past U+10FFFF");
	ok(!utf8_valid(S("\x80")), "invalid: stray continuation");
	ok(!utf8_valid(S("\xe2\x82")), "invalid: truncated");

	/* linear time on 100 KB of invalid input */
	memset(big, 0xff, sizeof big);
	r = charset_to_utf8("shift_jis", big, sizeof big, &n);
	is_int(n, 3 * sizeof big, "100 KB of invalid shift_jis");
	free(r);
	r = charset_to_utf8("utf-8", big, sizeof big, &n);
	is_int(n, 3 * sizeof big, "100 KB of invalid utf-8");
	free(r);
	return done_testing();
}
