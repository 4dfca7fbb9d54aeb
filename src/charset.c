/*
 * charset.c: any declared charset to UTF-8 (see charset.h).
 *
 * The three single-byte charsets that matter most for mail in Western and
 * Russian mailboxes (windows-1252, which also stands in for iso-8859-1,
 * windows-1251 and KOI8-R) are decoded from tables here, so that they are
 * exact whatever the C library's iconv does with undefined octets: those
 * map to the C1 code point of the same value, as the WHATWG indexes do.
 * Everything else goes through iconv after the name has been normalised.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/charset.h>
#include <pouch/util.h>

/* Names longer than this are no charset anyone registered. */
#define CS_NAME_MAX 48

static const uint16_t tab_cp1252[128] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
	0x00a0, 0x00a1, 0x00a2, 0x00a3, 0x00a4, 0x00a5, 0x00a6, 0x00a7,
	0x00a8, 0x00a9, 0x00aa, 0x00ab, 0x00ac, 0x00ad, 0x00ae, 0x00af,
	0x00b0, 0x00b1, 0x00b2, 0x00b3, 0x00b4, 0x00b5, 0x00b6, 0x00b7,
	0x00b8, 0x00b9, 0x00ba, 0x00bb, 0x00bc, 0x00bd, 0x00be, 0x00bf,
	0x00c0, 0x00c1, 0x00c2, 0x00c3, 0x00c4, 0x00c5, 0x00c6, 0x00c7,
	0x00c8, 0x00c9, 0x00ca, 0x00cb, 0x00cc, 0x00cd, 0x00ce, 0x00cf,
	0x00d0, 0x00d1, 0x00d2, 0x00d3, 0x00d4, 0x00d5, 0x00d6, 0x00d7,
	0x00d8, 0x00d9, 0x00da, 0x00db, 0x00dc, 0x00dd, 0x00de, 0x00df,
	0x00e0, 0x00e1, 0x00e2, 0x00e3, 0x00e4, 0x00e5, 0x00e6, 0x00e7,
	0x00e8, 0x00e9, 0x00ea, 0x00eb, 0x00ec, 0x00ed, 0x00ee, 0x00ef,
	0x00f0, 0x00f1, 0x00f2, 0x00f3, 0x00f4, 0x00f5, 0x00f6, 0x00f7,
	0x00f8, 0x00f9, 0x00fa, 0x00fb, 0x00fc, 0x00fd, 0x00fe, 0x00ff,
};

uint32_t
charset_cp1252(unsigned char c)
{
	return c >= 0x80 ? tab_cp1252[c - 0x80] : c;
}

static const uint16_t tab_cp1251[128] = {
	0x0402, 0x0403, 0x201a, 0x0453, 0x201e, 0x2026, 0x2020, 0x2021,
	0x20ac, 0x2030, 0x0409, 0x2039, 0x040a, 0x040c, 0x040b, 0x040f,
	0x0452, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x0098, 0x2122, 0x0459, 0x203a, 0x045a, 0x045c, 0x045b, 0x045f,
	0x00a0, 0x040e, 0x045e, 0x0408, 0x00a4, 0x0490, 0x00a6, 0x00a7,
	0x0401, 0x00a9, 0x0404, 0x00ab, 0x00ac, 0x00ad, 0x00ae, 0x0407,
	0x00b0, 0x00b1, 0x0406, 0x0456, 0x0491, 0x00b5, 0x00b6, 0x00b7,
	0x0451, 0x2116, 0x0454, 0x00bb, 0x0458, 0x0405, 0x0455, 0x0457,
	0x0410, 0x0411, 0x0412, 0x0413, 0x0414, 0x0415, 0x0416, 0x0417,
	0x0418, 0x0419, 0x041a, 0x041b, 0x041c, 0x041d, 0x041e, 0x041f,
	0x0420, 0x0421, 0x0422, 0x0423, 0x0424, 0x0425, 0x0426, 0x0427,
	0x0428, 0x0429, 0x042a, 0x042b, 0x042c, 0x042d, 0x042e, 0x042f,
	0x0430, 0x0431, 0x0432, 0x0433, 0x0434, 0x0435, 0x0436, 0x0437,
	0x0438, 0x0439, 0x043a, 0x043b, 0x043c, 0x043d, 0x043e, 0x043f,
	0x0440, 0x0441, 0x0442, 0x0443, 0x0444, 0x0445, 0x0446, 0x0447,
	0x0448, 0x0449, 0x044a, 0x044b, 0x044c, 0x044d, 0x044e, 0x044f,
};

static const uint16_t tab_koi8r[128] = {
	0x2500, 0x2502, 0x250c, 0x2510, 0x2514, 0x2518, 0x251c, 0x2524,
	0x252c, 0x2534, 0x253c, 0x2580, 0x2584, 0x2588, 0x258c, 0x2590,
	0x2591, 0x2592, 0x2593, 0x2320, 0x25a0, 0x2219, 0x221a, 0x2248,
	0x2264, 0x2265, 0x00a0, 0x2321, 0x00b0, 0x00b2, 0x00b7, 0x00f7,
	0x2550, 0x2551, 0x2552, 0x0451, 0x2553, 0x2554, 0x2555, 0x2556,
	0x2557, 0x2558, 0x2559, 0x255a, 0x255b, 0x255c, 0x255d, 0x255e,
	0x255f, 0x2560, 0x2561, 0x0401, 0x2562, 0x2563, 0x2564, 0x2565,
	0x2566, 0x2567, 0x2568, 0x2569, 0x256a, 0x256b, 0x256c, 0x00a9,
	0x044e, 0x0430, 0x0431, 0x0446, 0x0434, 0x0435, 0x0444, 0x0433,
	0x0445, 0x0438, 0x0439, 0x043a, 0x043b, 0x043c, 0x043d, 0x043e,
	0x043f, 0x044f, 0x0440, 0x0441, 0x0442, 0x0443, 0x0436, 0x0432,
	0x044c, 0x044b, 0x0437, 0x0448, 0x044d, 0x0449, 0x0447, 0x044a,
	0x042e, 0x0410, 0x0411, 0x0426, 0x0414, 0x0415, 0x0424, 0x0413,
	0x0425, 0x0418, 0x0419, 0x041a, 0x041b, 0x041c, 0x041d, 0x041e,
	0x041f, 0x042f, 0x0420, 0x0421, 0x0422, 0x0423, 0x0416, 0x0412,
	0x042c, 0x042b, 0x0417, 0x0428, 0x042d, 0x0429, 0x0427, 0x042a,
};

enum cs_kind {
	CS_ASCII,	/* none declared: UTF-8 if valid, else windows-1252 */
	CS_UTF8,
	CS_TABLE,	/* one of the tables above */
	CS_UTF16,	/* BOM decides, consumed */
	CS_ICONV,
};

struct cs_alias {
	const char *key;	/* lowercase, letters and digits only */
	enum cs_kind kind;
	const char *target;	/* iconv name, or table name for CS_TABLE */
};

/* Keys are names with case and punctuation dropped, so "ISO_8859-1",
 * "iso-8859-1" and "ISO8859_1" are one entry. Anything not listed is tried
 * with iconv as written (upper-cased), then falls back to UTF-8. */
static const struct cs_alias aliases[] = {
	{ "usascii", CS_ASCII, NULL }, { "ascii", CS_ASCII, NULL },
	{ "us", CS_ASCII, NULL }, { "ansix341968", CS_ASCII, NULL },
	{ "iso646us", CS_ASCII, NULL }, { "csascii", CS_ASCII, NULL },
	{ "cp367", CS_ASCII, NULL }, { "ibm367", CS_ASCII, NULL },
	{ "isoir6", CS_ASCII, NULL }, { "default", CS_ASCII, NULL },
	{ "utf8", CS_UTF8, NULL }, { "unicode11utf8", CS_UTF8, NULL },
	{ "unicode20utf8", CS_UTF8, NULL }, { "xunicode20utf8", CS_UTF8, NULL },
	{ "csutf8", CS_UTF8, NULL },
	{ "iso88591", CS_TABLE, "cp1252" }, { "latin1", CS_TABLE, "cp1252" },
	{ "l1", CS_TABLE, "cp1252" }, { "iso885911987", CS_TABLE, "cp1252" },
	{ "isoir100", CS_TABLE, "cp1252" }, { "cp819", CS_TABLE, "cp1252" },
	{ "ibm819", CS_TABLE, "cp1252" }, { "csisolatin1", CS_TABLE, "cp1252" },
	{ "windows1252", CS_TABLE, "cp1252" }, { "cp1252", CS_TABLE, "cp1252" },
	{ "xcp1252", CS_TABLE, "cp1252" }, { "ansi1252", CS_TABLE, "cp1252" },
	{ "windows1251", CS_TABLE, "cp1251" }, { "cp1251", CS_TABLE, "cp1251" },
	{ "xcp1251", CS_TABLE, "cp1251" }, { "win1251", CS_TABLE, "cp1251" },
	{ "koi8r", CS_TABLE, "koi8r" }, { "cskoi8r", CS_TABLE, "koi8r" },
	{ "koi8", CS_TABLE, "koi8r" },
	{ "koi8u", CS_ICONV, "KOI8-U" }, { "koi8ru", CS_ICONV, "KOI8-RU" },
	{ "gb2312", CS_ICONV, "GB18030" }, { "gbk", CS_ICONV, "GB18030" },
	{ "gb18030", CS_ICONV, "GB18030" }, { "cp936", CS_ICONV, "GB18030" },
	{ "xgbk", CS_ICONV, "GB18030" }, { "euccn", CS_ICONV, "GB18030" },
	{ "csgb2312", CS_ICONV, "GB18030" }, { "chinese", CS_ICONV, "GB18030" },
	{ "isoir58", CS_ICONV, "GB18030" }, { "windows936", CS_ICONV, "GB18030" },
	{ "gb231280", CS_ICONV, "GB18030" },
	{ "euckr", CS_ICONV, "CP949" }, { "ksc56011987", CS_ICONV, "CP949" },
	{ "ksc56011989", CS_ICONV, "CP949" }, { "ksc5601", CS_ICONV, "CP949" },
	{ "korean", CS_ICONV, "CP949" }, { "csksc56011987", CS_ICONV, "CP949" },
	{ "cseuckr", CS_ICONV, "CP949" }, { "isoir149", CS_ICONV, "CP949" },
	{ "cp949", CS_ICONV, "CP949" }, { "windows949", CS_ICONV, "CP949" },
	{ "uhc", CS_ICONV, "CP949" },
	{ "shiftjis", CS_ICONV, "CP932" }, { "sjis", CS_ICONV, "CP932" },
	{ "mskanji", CS_ICONV, "CP932" }, { "csshiftjis", CS_ICONV, "CP932" },
	{ "xsjis", CS_ICONV, "CP932" }, { "windows31j", CS_ICONV, "CP932" },
	{ "cp932", CS_ICONV, "CP932" }, { "cswindows31j", CS_ICONV, "CP932" },
	{ "xmscp932", CS_ICONV, "CP932" },
	{ "eucjp", CS_ICONV, "EUC-JP" }, { "xeucjp", CS_ICONV, "EUC-JP" },
	{ "iso2022jp", CS_ICONV, "ISO-2022-JP" },
	{ "csiso2022jp", CS_ICONV, "ISO-2022-JP" },
	{ "big5", CS_ICONV, "BIG5-HKSCS" }, { "xxbig5", CS_ICONV, "BIG5-HKSCS" },
	{ "cnbig5", CS_ICONV, "BIG5-HKSCS" }, { "csbig5", CS_ICONV, "BIG5-HKSCS" },
	{ "big5hkscs", CS_ICONV, "BIG5-HKSCS" },
	{ "utf16", CS_UTF16, NULL }, { "utf16le", CS_ICONV, "UTF-16LE" },
	{ "utf16be", CS_ICONV, "UTF-16BE" }, { "utf32", CS_ICONV, "UTF-32" },
	{ "utf32le", CS_ICONV, "UTF-32LE" }, { "utf32be", CS_ICONV, "UTF-32BE" },
	{ "utf7", CS_ICONV, "UTF-7" }, { "unicode11utf7", CS_ICONV, "UTF-7" },
	{ "latin2", CS_ICONV, "ISO-8859-2" }, { "l2", CS_ICONV, "ISO-8859-2" },
	{ "latin3", CS_ICONV, "ISO-8859-3" }, { "l3", CS_ICONV, "ISO-8859-3" },
	{ "latin4", CS_ICONV, "ISO-8859-4" }, { "l4", CS_ICONV, "ISO-8859-4" },
	{ "latin5", CS_ICONV, "ISO-8859-9" }, { "l5", CS_ICONV, "ISO-8859-9" },
	{ "latin6", CS_ICONV, "ISO-8859-10" }, { "l6", CS_ICONV, "ISO-8859-10" },
	{ "latin9", CS_ICONV, "ISO-8859-15" }, { "l9", CS_ICONV, "ISO-8859-15" },
	{ "cyrillic", CS_ICONV, "ISO-8859-5" }, { "greek", CS_ICONV, "ISO-8859-7" },
	{ "hebrew", CS_ICONV, "ISO-8859-8" }, { "arabic", CS_ICONV, "ISO-8859-6" },
	{ "tis620", CS_ICONV, "CP874" }, { "iso885911", CS_ICONV, "CP874" },
	{ "windows874", CS_ICONV, "CP874" },
	{ "macintosh", CS_ICONV, "MACINTOSH" }, { "mac", CS_ICONV, "MACINTOSH" },
	{ "xmacroman", CS_ICONV, "MACINTOSH" },
};

/* Lowercase letters and digits of the name, or -1 when the name cannot be
 * a charset (too long, or holding what iconv would read as flags). */
static int
cs_key(const char *cs, char *key, size_t keysz)
{
	size_t n = 0;

	for (; *cs; cs++) {
		unsigned char c = (unsigned char)*cs;

		if (c == '/' || c >= 0x80)
			return -1;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (n + 1 >= keysz)
				return -1;
			key[n++] = (char)c;
		}
	}
	key[n] = '\0';
	return 0;
}

/* The name as iconv may see it: trimmed of blanks and quotes, upper-cased,
 * only characters a registered name uses. */
static int
cs_iconv_name(const char *cs, char *out, size_t outsz)
{
	size_t n = 0;

	while (*cs == ' ' || *cs == '\t' || *cs == '"')
		cs++;
	for (; *cs && *cs != ' ' && *cs != '\t' && *cs != '"'; cs++) {
		unsigned char c = (unsigned char)*cs;

		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == ':'))
			return -1;
		if (n + 1 >= outsz)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return n ? 0 : -1;
}

static int
put_cp(struct dbuf *b, uint32_t cp)
{
	char u[4];

	if (cp < 0x80) {
		u[0] = (char)cp;
		return dbuf_add(b, u, 1);
	}
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		return dbuf_add(b, u, 2);
	}
	if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		return dbuf_add(b, u, 3);
	}
	u[0] = (char)(0xf0 | (cp >> 18));
	u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	u[3] = (char)(0x80 | (cp & 0x3f));
	return dbuf_add(b, u, 4);
}

static const char replacement[] = "\xef\xbf\xbd";

size_t
utf8_next(const char *str, size_t len, uint32_t *cp, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;
	uint32_t v;

	*bad = 1;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	for (i = 1; i <= need; i++) {
		if (i >= len || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		v = (v << 6) | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = v;
	return need + 1;
}

int
utf8_unsafe_cp(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return 1;	/* C0, DEL, C1 */
	if (cp < 0x61c)
		return 0;	/* the common case: Latin, Greek, Cyrillic, ... */
	return cp == 0x061c ||	/* ARABIC LETTER MARK */
	    cp == 0x200e || cp == 0x200f ||	/* LRM, RLM */
	    (cp >= 0x2028 && cp <= 0x202e) ||	/* LS, PS, embeddings, overrides */
	    (cp >= 0x2066 && cp <= 0x2069);	/* isolates */
}

int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, bad;
	uint32_t cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_next(s + i, len - i, &cp, &bad);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

static int
fix_utf8(struct dbuf *b, const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, start, n, bad;
	uint32_t cp;

	while (i < len) {
		start = i;
		while (i < len && p[i] < 0x80)
			i++;
		while (i < len) {
			n = utf8_next(in + i, len - i, &cp, &bad);
			if (n == 0)
				break;
			i += n;
		}
		if (dbuf_add(b, in + start, i - start) < 0)
			return -1;
		if (i < len) {
			if (dbuf_add(b, replacement, 3) < 0)
				return -1;
			i += bad;
		}
	}
	return 0;
}

static int
table_decode(struct dbuf *b, const uint16_t *tab, const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, start;

	while (i < len) {
		start = i;
		while (i < len && p[i] < 0x80)
			i++;
		if (dbuf_add(b, in + start, i - start) < 0)
			return -1;
		if (i < len && put_cp(b, tab[p[i++] - 0x80]) < 0)
			return -1;
	}
	return 0;
}

/* iconv with U+FFFD for every octet it cannot take; the state is reset
 * after each so a stateful decoder (ISO-2022-JP) resynchronises. */
static int
iconv_decode(struct dbuf *b, iconv_t cd, const char *in, size_t len)
{
	char chunk[4096];
	char *ip = (char *)in, *op;
	size_t il = len, ol, r;

	while (il > 0) {
		op = chunk;
		ol = sizeof chunk;
		r = iconv(cd, &ip, &il, &op, &ol);
		if (dbuf_add(b, chunk, (size_t)(op - chunk)) < 0)
			return -1;
		if (r != (size_t)-1)
			continue;
		if (errno == E2BIG)
			continue;
		/* EILSEQ, EINVAL, or anything else: skip one octet. */
		if (dbuf_add(b, replacement, 3) < 0)
			return -1;
		ip++;
		il--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	/* Flush a stateful decoder's shift state. */
	op = chunk;
	ol = sizeof chunk;
	iconv(cd, NULL, NULL, &op, &ol);
	return dbuf_add(b, chunk, (size_t)(op - chunk));
}

/* Decodes with iconv; a charset iconv does not have falls back to the
 * UTF-8 repair (valid UTF-8 kept, the rest as U+FFFD). */
static int
iconv_run(struct dbuf *b, const char *name, const char *in, size_t len)
{
	iconv_t cd;
	int r;

	cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return fix_utf8(b, in, len);
	r = iconv_decode(b, cd, in, len);
	iconv_close(cd);
	return r;
}

static const struct cs_alias *
cs_lookup(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strcmp(aliases[i].key, key) == 0)
			return &aliases[i];
	return NULL;
}

static int
decode_ascii(struct dbuf *b, const char *in, size_t len)
{
	if (utf8_valid(in, len))
		return dbuf_add(b, in, len);
	return table_decode(b, tab_cp1252, in, len);
}

static int
decode_utf16(struct dbuf *b, const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	const char *name = "UTF-16LE";

	/* Without a BOM, little-endian, as WHATWG and most decoders that
	 * would be compared with this one assume. */
	if (len >= 2 && p[0] == 0xfe && p[1] == 0xff) {
		name = "UTF-16BE";
		in += 2;
		len -= 2;
	} else if (len >= 2 && p[0] == 0xff && p[1] == 0xfe) {
		in += 2;
		len -= 2;
	}
	return iconv_run(b, name, in, len);
}

static int
decode_into(struct dbuf *b, const char *cs, const char *in, size_t len)
{
	char key[CS_NAME_MAX], name[CS_NAME_MAX];
	const struct cs_alias *a;

	if (!cs || !*cs)
		return decode_ascii(b, in, len);
	if (cs_key(cs, key, sizeof key) < 0)
		return fix_utf8(b, in, len);
	if (!key[0])
		return decode_ascii(b, in, len);
	a = cs_lookup(key);
	if (a) {
		switch (a->kind) {
		case CS_ASCII:
			return decode_ascii(b, in, len);
		case CS_UTF8:
			return fix_utf8(b, in, len);
		case CS_UTF16:
			return decode_utf16(b, in, len);
		case CS_TABLE:
			if (strcmp(a->target, "cp1251") == 0)
				return table_decode(b, tab_cp1251, in, len);
			if (strcmp(a->target, "koi8r") == 0)
				return table_decode(b, tab_koi8r, in, len);
			return table_decode(b, tab_cp1252, in, len);
		case CS_ICONV:
			return iconv_run(b, a->target, in, len);
		}
	}
	if (cs_iconv_name(cs, name, sizeof name) == 0)
		return iconv_run(b, name, in, len);
	return fix_utf8(b, in, len);
}

char *
charset_to_utf8(const char *cs, const char *in, size_t len, size_t *outlen)
{
	struct dbuf b;

	dbuf_init(&b, 0);
	if (decode_into(&b, cs, in, len) < 0)
		return NULL;
	return dbuf_take(&b, outlen);
}

char *
charset_fix_utf8(const char *in, size_t len, size_t *outlen)
{
	struct dbuf b;

	dbuf_init(&b, 0);
	if (fix_utf8(&b, in, len) < 0)
		return NULL;
	return dbuf_take(&b, outlen);
}

int
charset_append_utf8(struct dbuf *b, const char *cs, const char *in, size_t len)
{
	return decode_into(b, cs, in, len);
}

int
charset_append_fix_utf8(struct dbuf *b, const char *in, size_t len)
{
	return fix_utf8(b, in, len);
}

int
charset_put_cp(struct dbuf *b, uint32_t cp)
{
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return dbuf_add(b, replacement, 3);
	return put_cp(b, cp);
}
