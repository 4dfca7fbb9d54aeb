/*
 * rfc2047.c: encoded words (=?charset?B|Q?text?=) in unstructured text.
 *
 * Words are found anywhere, not only between spaces, because mailers glue
 * them to punctuation and to each other, inside quotes too. A word that
 * does not parse stays as it is written. Adjacent words (only whitespace
 * between them, folds already removed) of one charset are decoded to bytes
 * first and converted together, since senders split a multibyte character
 * across two words.
 *
 * Linear: a failed word is abandoned at the first '?' or whitespace, and
 * the text scanned holds no other "=?" start.
 */
#include <ctype.h>
#include <string.h>

#include <pouch/charset.h>
#include <pouch/mime_lex.h>
#include <pouch/util.h>

#define CS_MAX 64

struct word {
	const char *cs;		/* charset, without any *language */
	size_t cslen;
	char enc;		/* 'b' or 'q' */
	const char *text;
	size_t textlen;
	size_t end;		/* position after "?=" */
};

static int
parse_word(const char *s, size_t len, size_t p, struct word *w)
{
	size_t j, k;

	if (p + 1 >= len || s[p] != '=' || s[p + 1] != '?')
		return -1;
	for (j = p + 2; j < len && s[j] != '?'; j++)
		if ((unsigned char)s[j] <= 0x20 || (unsigned char)s[j] >= 0x7f)
			return -1;
	if (j >= len || j == p + 2)
		return -1;
	w->cs = s + p + 2;
	w->cslen = j - (p + 2);
	if (memchr(w->cs, '*', w->cslen))
		w->cslen = (size_t)((const char *)memchr(w->cs, '*', w->cslen) - w->cs);
	if (j + 2 >= len || s[j + 2] != '?')
		return -1;
	switch (s[j + 1]) {
	case 'b': case 'B': w->enc = 'b'; break;
	case 'q': case 'Q': w->enc = 'q'; break;
	default: return -1;
	}
	for (k = j + 3; k < len && s[k] != '?'; k++)
		if ((unsigned char)s[k] <= 0x20 || (unsigned char)s[k] == 0x7f)
			return -1;
	if (k + 1 >= len || s[k + 1] != '=')
		return -1;
	w->text = s + j + 3;
	w->textlen = k - (j + 3);
	w->end = k + 2;
	return 0;
}

static int
b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* 1 when the text is not valid for its encoding (then the word stays
 * literal), 0 when decoded into b, -1 when memory ran out. */
static int
decode_text(struct dbuf *b, const struct word *w)
{
	unsigned acc = 0;
	int bits = 0, v, h, l;
	size_t i;
	char c;

	if (w->enc == 'b') {
		for (i = 0; i < w->textlen; i++) {
			if (w->text[i] == '=')
				break;
			v = b64_val((unsigned char)w->text[i]);
			if (v < 0)
				return 1;
			acc = (acc << 6) | (unsigned)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				c = (char)((acc >> bits) & 0xff);
				if (dbuf_addc(b, c) < 0)
					return -1;
			}
		}
		for (; i < w->textlen; i++)
			if (w->text[i] != '=')
				return 1;
		return 0;
	}
	for (i = 0; i < w->textlen; i++) {
		c = w->text[i];
		if (c == '_')
			c = ' ';
		else if (c == '=' && i + 2 < w->textlen &&
		    (h = hex_digit((unsigned char)w->text[i + 1])) >= 0 &&
		    (l = hex_digit((unsigned char)w->text[i + 2])) >= 0) {
			c = (char)(h << 4 | l);
			i += 2;
		}
		if (dbuf_addc(b, c) < 0)
			return -1;
	}
	return 0;
}

static int
all_ws(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!lex_is_ws((unsigned char)s[i]))
			return 0;
	return 1;
}

struct pending {
	char cs[CS_MAX];
	int active;
	struct dbuf bytes;
};

static int
flush(struct dbuf *b, struct pending *pd)
{
	int r = 0;

	if (pd->active)
		r = charset_append_utf8(b, pd->cs, pd->bytes.p ? pd->bytes.p : "",
		    pd->bytes.len);
	pd->active = 0;
	dbuf_reset(&pd->bytes);
	return r;
}

/* Same charset name, ignoring case and punctuation ("UTF-8", "utf8"),
 * as charset.c matches names. */
static int
same_cs(const struct pending *pd, const struct word *w)
{
	size_t i = 0, j = 0, n = strlen(pd->cs);

	if (w->cslen >= CS_MAX)
		return 0;
	for (;;) {
		while (i < n && !isalnum((unsigned char)pd->cs[i]))
			i++;
		while (j < w->cslen && !isalnum((unsigned char)w->cs[j]))
			j++;
		if (i >= n || j >= w->cslen)
			return i >= n && j >= w->cslen;
		if (tolower((unsigned char)pd->cs[i]) != tolower((unsigned char)w->cs[j]))
			return 0;
		i++;
		j++;
	}
}

int
rfc2047_decode(struct dbuf *b, const char *s, size_t len)
{
	struct pending pd;
	struct word w;
	struct dbuf tmp;
	size_t i = 0, lit = 0;
	const char *q;
	int r;

	pd.active = 0;
	pd.cs[0] = '\0';
	dbuf_init(&pd.bytes, 0);
	dbuf_init(&tmp, 0);
	while (i < len) {
		q = memchr(s + i, '=', len - i);
		if (!q)
			break;
		i = (size_t)(q - s);
		if (parse_word(s, len, i, &w) < 0) {
			i++;
			continue;
		}
		dbuf_reset(&tmp);
		r = decode_text(&tmp, &w);
		if (r < 0)
			goto fail;
		if (r > 0) {
			i++;
			continue;
		}
		if (!(pd.active && all_ws(s + lit, i - lit))) {
			if (flush(b, &pd) < 0 ||
			    charset_append_fix_utf8(b, s + lit, i - lit) < 0)
				goto fail;
		}
		if (pd.active && !same_cs(&pd, &w) && flush(b, &pd) < 0)
			goto fail;
		if (!pd.active) {
			pd.active = 1;
			if (w.cslen < CS_MAX) {
				memcpy(pd.cs, w.cs, w.cslen);
				pd.cs[w.cslen] = '\0';
			} else
				strcpy(pd.cs, "x-unknown");
		}
		if (tmp.len && dbuf_add(&pd.bytes, tmp.p, tmp.len) < 0)
			goto fail;
		i = lit = w.end;
	}
	if (flush(b, &pd) < 0 || charset_append_fix_utf8(b, s + lit, len - lit) < 0)
		goto fail;
	dbuf_free(&pd.bytes);
	dbuf_free(&tmp);
	return 0;
fail:
	dbuf_free(&pd.bytes);
	dbuf_free(&tmp);
	dbuf_free(b);
	return -1;
}
