/*
 * text_html.c: text_html_to_text (see text.h).
 *
 * One pass, left to right: text runs and tags alternate, and a small state
 * (pending line breaks, pending space, quote and list depth, the open
 * link) decides what each contributes. Nothing recurses and nothing looks
 * back, so time is linear; depth is a counter, and the prefixes it writes
 * are capped so that deep nesting cannot multiply the output.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pouch/charset.h>
#include <pouch/text.h>
#include <pouch/util.h>

#define LIST_MAX 32		/* list levels whose numbering is tracked */
#define PREFIX_MAX 16		/* quote and indent levels drawn per line */

struct rnd {
	struct dbuf out, links, href, tmp;
	size_t nlinks;
	int started;		/* any text written yet */
	int at_bol;		/* the line's prefix is not written yet */
	int nl;			/* newlines at the end of out */
	int want_nl;		/* newlines wanted before the next text */
	int space;		/* a collapsed space is pending */
	int quote, pre, in_a, cells, list_depth;
	size_t a_start;		/* where the open link's text begins in out */
	int line_quote;		/* quote depth of the last line written */
	int bullet;		/* a list bullet waits for its text */
	int item;		/* an item of the innermost list was opened */
	int pre_start;		/* a <pre> just opened: its first LF goes */
	long num[LIST_MAX];	/* next number of an ol, 0 for a ul */
	int err;
};

static void
add(struct rnd *r, const char *s, size_t n)
{
	if (!r->err && dbuf_add(&r->out, s, n) < 0)
		r->err = 1;
}

static void
newline(struct rnd *r)
{
	add(r, "\n", 1);
	r->nl++;
	r->at_bol = 1;
	r->space = 0;
}

static void
block(struct rnd *r, int n)
{
	/* "<li><p>x" keeps x on the bullet's line. */
	if (r->bullet)
		return;
	if (r->want_nl < n)
		r->want_nl = n;
	r->space = 0;
}

/* Writes a run with no collapsible whitespace in it, after the line
 * breaks and prefix it is owed. */
static void
put(struct rnd *r, const char *s, size_t n)
{
	int k;

	if (!r->started)
		r->want_nl = 0;
	if (r->want_nl) {
		if (!r->at_bol)
			r->nl = 0;
		while (r->nl < r->want_nl) {
			/* A blank line inside a quote stays quoted. */
			if (r->nl > 0)
				for (k = 0; k < r->quote && k < r->line_quote &&
				    k < PREFIX_MAX; k++)
					add(r, ">", 1);
			newline(r);
		}
		r->want_nl = 0;
	}
	if (r->at_bol) {
		r->line_quote = r->quote;
		for (k = 0; k < r->quote && k < PREFIX_MAX; k++)
			add(r, "> ", 2);
		for (k = 1; k < r->list_depth && k < PREFIX_MAX; k++)
			add(r, "  ", 2);
		r->at_bol = 0;
		r->space = 0;
	}
	if (r->space) {
		add(r, " ", 1);
		r->space = 0;
	}
	add(r, s, n);
	r->nl = 0;
	r->started = 1;
	r->bullet = 0;
}

static void
puts_(struct rnd *r, const char *s)
{
	put(r, s, strlen(s));
}

static const struct {
	const char *name;
	uint16_t cp;
} entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", 0xa0 }, { "shy", 0xad },
	{ "copy", 0xa9 }, { "reg", 0xae }, { "trade", 0x2122 },
	{ "hellip", 0x2026 }, { "mdash", 0x2014 }, { "ndash", 0x2013 },
	{ "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "sbquo", 0x201a },
	{ "ldquo", 0x201c }, { "rdquo", 0x201d }, { "bdquo", 0x201e },
	{ "laquo", 0xab }, { "raquo", 0xbb }, { "lsaquo", 0x2039 },
	{ "rsaquo", 0x203a }, { "bull", 0x2022 }, { "middot", 0xb7 },
	{ "euro", 0x20ac }, { "pound", 0xa3 }, { "yen", 0xa5 },
	{ "cent", 0xa2 }, { "sect", 0xa7 }, { "para", 0xb6 }, { "deg", 0xb0 },
	{ "plusmn", 0xb1 }, { "times", 0xd7 }, { "divide", 0xf7 },
	{ "frac12", 0xbd }, { "frac14", 0xbc }, { "frac34", 0xbe },
	{ "iexcl", 0xa1 }, { "iquest", 0xbf }, { "dagger", 0x2020 },
	{ "Dagger", 0x2021 }, { "permil", 0x2030 }, { "prime", 0x2032 },
	{ "larr", 0x2190 }, { "rarr", 0x2192 }, { "uarr", 0x2191 },
	{ "darr", 0x2193 }, { "harr", 0x2194 }, { "ensp", 0x2002 },
	{ "emsp", 0x2003 }, { "thinsp", 0x2009 }, { "zwnj", 0x200c },
	{ "zwj", 0x200d }, { "lrm", 0x200e }, { "rlm", 0x200f },
	{ "Agrave", 0xc0 }, { "Aacute", 0xc1 }, { "Acirc", 0xc2 },
	{ "Atilde", 0xc3 }, { "Auml", 0xc4 }, { "Aring", 0xc5 },
	{ "AElig", 0xc6 }, { "Ccedil", 0xc7 }, { "Egrave", 0xc8 },
	{ "Eacute", 0xc9 }, { "Ecirc", 0xca }, { "Euml", 0xcb },
	{ "Igrave", 0xcc }, { "Iacute", 0xcd }, { "Icirc", 0xce },
	{ "Iuml", 0xcf }, { "Ntilde", 0xd1 }, { "Ograve", 0xd2 },
	{ "Oacute", 0xd3 }, { "Ocirc", 0xd4 }, { "Otilde", 0xd5 },
	{ "Ouml", 0xd6 }, { "Oslash", 0xd8 }, { "Ugrave", 0xd9 },
	{ "Uacute", 0xda }, { "Ucirc", 0xdb }, { "Uuml", 0xdc },
	{ "Yacute", 0xdd }, { "szlig", 0xdf }, { "agrave", 0xe0 },
	{ "aacute", 0xe1 }, { "acirc", 0xe2 }, { "atilde", 0xe3 },
	{ "auml", 0xe4 }, { "aring", 0xe5 }, { "aelig", 0xe6 },
	{ "ccedil", 0xe7 }, { "egrave", 0xe8 }, { "eacute", 0xe9 },
	{ "ecirc", 0xea }, { "euml", 0xeb }, { "igrave", 0xec },
	{ "iacute", 0xed }, { "icirc", 0xee }, { "iuml", 0xef },
	{ "ntilde", 0xf1 }, { "ograve", 0xf2 }, { "oacute", 0xf3 },
	{ "ocirc", 0xf4 }, { "otilde", 0xf5 }, { "ouml", 0xf6 },
	{ "oslash", 0xf8 }, { "ugrave", 0xf9 }, { "uacute", 0xfa },
	{ "ucirc", 0xfb }, { "uuml", 0xfc }, { "yacute", 0xfd },
	{ "yuml", 0xff }, { "OElig", 0x152 }, { "oelig", 0x153 },
	{ "Scaron", 0x160 }, { "scaron", 0x161 }, { "Yuml", 0x178 },
};

/* Decodes the entity at s[0] == '&' into b; returns the bytes consumed,
 * 0 when it is no entity (then '&' is literal), -1 on memory. */
static long
entity(struct dbuf *b, const char *s, size_t n)
{
	char name[12];
	uint32_t v = 0;
	size_t i = 1, k;
	int hex = 0, digits = 0;

	if (i < n && s[i] == '#') {
		i++;
		if (i < n && (s[i] == 'x' || s[i] == 'X')) {
			hex = 1;
			i++;
		}
		for (; i < n && (hex ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i])); i++) {
			if (v < 0x110000) {
				int d = hex_digit((unsigned char)s[i]);

				v = v * (hex ? 16 : 10) + (uint32_t)d;
			}
			digits++;
		}
		if (!digits)
			return 0;
		if (i < n && s[i] == ';')
			i++;
		if (v == 0)
			v = 0xfffd;
		else if (v >= 0x80 && v <= 0x9f)
			v = charset_cp1252((unsigned char)v);	/* as HTML5 reads &#128;..&#159; */
		return charset_put_cp(b, v) < 0 ? -1 : (long)i;
	}
	for (k = 0; i < n && k + 1 < sizeof name && isalnum((unsigned char)s[i]); i++)
		name[k++] = s[i];
	name[k] = '\0';
	if (i >= n || s[i] != ';' || k == 0)
		return 0;
	for (k = 0; k < sizeof entities / sizeof entities[0]; k++)
		if (strcmp(entities[k].name, name) == 0)
			return charset_put_cp(b, entities[k].cp) < 0 ? -1 : (long)(i + 1);
	return 0;
}

static int
decode_entities(struct dbuf *b, const char *s, size_t n)
{
	size_t i = 0, start;
	long e;

	while (i < n) {
		start = i;
		while (i < n && s[i] != '&')
			i++;
		if (dbuf_add(b, s + start, i - start) < 0)
			return -1;
		if (i >= n)
			break;
		e = entity(b, s + i, n - i);
		if (e < 0)
			return -1;
		if (e == 0) {
			if (dbuf_addc(b, '&') < 0)
				return -1;
			i++;
		} else
			i += (size_t)e;
	}
	return 0;
}

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void
text_run(struct rnd *r, const char *s, size_t n)
{
	size_t i = 0, start;
	const char *t;

	dbuf_reset(&r->tmp);
	if (decode_entities(&r->tmp, s, n) < 0) {
		r->err = 1;
		return;
	}
	t = r->tmp.p ? r->tmp.p : "";
	n = r->tmp.len;
	if (r->pre && r->pre_start && n) {
		if (t[0] == '\n')
			i = 1;
		else if (n > 1 && t[0] == '\r' && t[1] == '\n')
			i = 2;
	}
	r->pre_start = 0;
	while (i < n && !r->err) {
		start = i;
		if (r->pre) {
			while (i < n && t[i] != '\n' && t[i] != '\r')
				i++;
			if (i > start)
				put(r, t + start, i - start);
			if (i < n) {
				if (t[i] == '\n') {
					if (r->want_nl)
						put(r, "", 0);
					newline(r);
				}
				i++;
			}
			continue;
		}
		while (i < n && !is_ws((unsigned char)t[i]))
			i++;
		if (i > start)
			put(r, t + start, i - start);
		while (i < n && is_ws((unsigned char)t[i])) {
			r->space = 1;
			i++;
		}
	}
}

/* The value of attribute name in the tag body s[0..n), entities decoded,
 * into r->tmp; 1 when found. */
static int
attr(struct rnd *r, const char *s, size_t n, const char *name)
{
	size_t i = 0, as, al, vs, vl;
	char q;

	while (i < n) {
		while (i < n && (is_ws((unsigned char)s[i]) || s[i] == '/'))
			i++;
		as = i;
		while (i < n && !is_ws((unsigned char)s[i]) && s[i] != '=' &&
		    s[i] != '/')
			i++;
		al = i - as;
		if (al == 0) {
			i++;
			continue;
		}
		while (i < n && is_ws((unsigned char)s[i]))
			i++;
		vs = vl = 0;
		if (i < n && s[i] == '=') {
			i++;
			while (i < n && is_ws((unsigned char)s[i]))
				i++;
			if (i < n && (s[i] == '"' || s[i] == '\'')) {
				q = s[i++];
				vs = i;
				while (i < n && s[i] != q)
					i++;
				vl = i - vs;
				if (i < n)
					i++;
			} else {
				vs = i;
				while (i < n && !is_ws((unsigned char)s[i]))
					i++;
				vl = i - vs;
			}
		}
		if (al == strlen(name) && strncasecmp(s + as, name, al) == 0) {
			dbuf_reset(&r->tmp);
			if (decode_entities(&r->tmp, s + vs, vl) < 0) {
				r->err = 1;
				return 0;
			}
			return 1;
		}
	}
	return 0;
}

static void
link_end(struct rnd *r)
{
	char num[32];
	const char *h = r->href.p ? r->href.p : "";

	const char *t = r->out.p ? r->out.p + r->a_start : "";
	size_t tl = r->out.len >= r->a_start ? r->out.len - r->a_start : 0;

	r->in_a = 0;
	if (!r->href.len || h[0] == '#' || strncasecmp(h, "javascript:", 11) == 0)
		return;
	/* A link that shows its own target needs no footnote. */
	while (tl && (*t == ' ' || *t == '\n'))
		t++, tl--;
	if (strncasecmp(h, "mailto:", 7) == 0 && r->href.len - 7 == tl &&
	    memcmp(h + 7, t, tl) == 0)
		return;
	if (tl && r->href.len == tl && memcmp(h, t, tl) == 0)
		return;
	r->nlinks++;
	snprintf(num, sizeof num, "[%zu]", r->nlinks);
	if (r->started)
		r->space = 1;
	puts_(r, num);
	if (dbuf_printf(&r->links, "%s %s\n", num, h) < 0)
		r->err = 1;
}

static int
name_is(const char *nm, const char *a)
{
	return strcmp(nm, a) == 0;
}

/* A tag: name lowercased, closing or not, body is what follows the name
 * up to '>'. */
static void
tag(struct rnd *r, const char *nm, int close, const char *body, size_t blen)
{
	char buf[32];
	int d;

	if (name_is(nm, "br")) {
		if (r->want_nl)
			put(r, "", 0);
		newline(r);
		r->started = 1;
	} else if (name_is(nm, "p")) {
		block(r, 2);
	} else if (nm[0] == 'h' && nm[1] >= '1' && nm[1] <= '6' && !nm[2]) {
		block(r, 2);
		if (!close) {
			memset(buf, '#', (size_t)(nm[1] - '0'));
			buf[nm[1] - '0'] = '\0';
			puts_(r, buf);
			r->space = 1;
		}
	} else if (name_is(nm, "ul") || name_is(nm, "ol") || name_is(nm, "dl")) {
		block(r, 1);
		r->item = close && r->list_depth > 1;
		if (!close) {
			d = r->list_depth++;
			if (d < LIST_MAX) {
				r->num[d] = 0;
				if (name_is(nm, "ol")) {
					r->num[d] = 1;
					if (attr(r, body, blen, "start") && r->tmp.p)
						r->num[d] = strtol(r->tmp.p, NULL, 10);
				}
			}
		} else if (r->list_depth > 0)
			r->list_depth--;
	} else if (name_is(nm, "li")) {
		r->bullet = 0;
		block(r, 1);
		/* Items follow each other without blank lines, whatever
		 * paragraphs they hold. */
		if (!close && r->item && r->want_nl > 1)
			r->want_nl = 1;
		if (!close) {
			r->item = 1;
			d = r->list_depth - 1;
			if (d >= 0 && d < LIST_MAX && r->num[d]) {
				snprintf(buf, sizeof buf, "%ld.", r->num[d]);
				if (r->num[d] < 1000000000L)
					r->num[d]++;
			} else
				strcpy(buf, "*");
			puts_(r, buf);
			r->space = 1;
			r->bullet = 1;
		}
	} else if (name_is(nm, "blockquote")) {
		block(r, 1);
		if (!close)
			r->quote++;
		else if (r->quote > 0)
			r->quote--;
	} else if (name_is(nm, "pre")) {
		block(r, 1);
		r->pre_start = !close;
		if (!close)
			r->pre++;
		else if (r->pre > 0)
			r->pre--;
	} else if (name_is(nm, "hr")) {
		block(r, 1);
		puts_(r, "----------");
		block(r, 1);
	} else if (name_is(nm, "tr")) {
		block(r, 1);
		r->cells = 0;
	} else if (name_is(nm, "td") || name_is(nm, "th")) {
		if (!close) {
			if (r->cells++ > 0) {
				r->space = 0;
				puts_(r, " |");
				r->space = 1;
			}
		} else
			r->space = 1;
	} else if (name_is(nm, "a")) {
		if (r->in_a)
			link_end(r);
		if (!close) {
			dbuf_reset(&r->href);
			if (attr(r, body, blen, "href") && r->tmp.len &&
			    dbuf_add(&r->href, r->tmp.p, r->tmp.len) < 0)
				r->err = 1;
			r->in_a = 1;
			r->a_start = r->out.len;
		}
	} else if (name_is(nm, "img")) {
		if (!close && attr(r, body, blen, "alt") && r->tmp.len) {
			struct dbuf alt = r->tmp;

			/* put() may not touch tmp, but keep the bytes safe. */
			dbuf_init(&r->tmp, 0);
			put(r, "[", 1);
			put(r, alt.p, alt.len);
			put(r, "]", 1);
			dbuf_free(&alt);
		}
	} else if (name_is(nm, "div") || name_is(nm, "table") ||
	    name_is(nm, "section") || name_is(nm, "article") ||
	    name_is(nm, "header") || name_is(nm, "footer") ||
	    name_is(nm, "nav") || name_is(nm, "aside") || name_is(nm, "main") ||
	    name_is(nm, "address") || name_is(nm, "form") ||
	    name_is(nm, "fieldset") || name_is(nm, "figure") ||
	    name_is(nm, "center") || name_is(nm, "dt") || name_is(nm, "dd") ||
	    name_is(nm, "caption") || name_is(nm, "thead") ||
	    name_is(nm, "tbody") || name_is(nm, "tfoot") ||
	    name_is(nm, "body") || name_is(nm, "html")) {
		block(r, 1);
	}
}

/* Elements whose content is never text to show. */
static int
is_skipped(const char *nm)
{
	return name_is(nm, "script") || name_is(nm, "style") ||
	    name_is(nm, "title") || name_is(nm, "template");
}

/* The position of "</name" (any case) at or after i, or n. */
static size_t
find_close(const char *s, size_t n, size_t i, const char *nm)
{
	size_t l = strlen(nm);
	const char *p;

	while (i < n) {
		p = memchr(s + i, '<', n - i);
		if (!p)
			return n;
		i = (size_t)(p - s);
		if (i + 2 + l <= n && s[i + 1] == '/' &&
		    strncasecmp(s + i + 2, nm, l) == 0 &&
		    (i + 2 + l == n || !isalnum((unsigned char)s[i + 2 + l])))
			return i;
		i++;
	}
	return n;
}

char *
text_html_to_text(const char *s, size_t n, size_t *outlen)
{
	struct rnd r;
	size_t i = 0, start, ns, bs, gt;
	char nm[16], prev;
	const char *p;
	int close;
	size_t k;

	memset(&r, 0, sizeof r);
	dbuf_init(&r.out, 0);
	dbuf_init(&r.links, 0);
	dbuf_init(&r.href, 0);
	dbuf_init(&r.tmp, 0);
	r.at_bol = 1;
	while (i < n && !r.err) {
		start = i;
		p = memchr(s + i, '<', n - i);
		i = p ? (size_t)(p - s) : n;
		if (i > start)
			text_run(&r, s + start, i - start);
		if (i >= n)
			break;
		if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
			p = memmem(s + i + 4, n - i - 4, "-->", 3);
			i = p ? (size_t)(p - s) + 3 : n;
			continue;
		}
		if (i + 1 < n && (s[i + 1] == '!' || s[i + 1] == '?')) {
			p = memchr(s + i, '>', n - i);
			i = p ? (size_t)(p - s) + 1 : n;
			continue;
		}
		close = i + 1 < n && s[i + 1] == '/';
		ns = i + 1 + (size_t)close;
		if (ns >= n || !isalpha((unsigned char)s[ns])) {
			text_run(&r, "<", 1);
			i++;
			continue;
		}
		for (k = 0, bs = ns; bs < n && (isalnum((unsigned char)s[bs]) ||
		    s[bs] == '-' || s[bs] == ':'); bs++)
			if (k + 1 < sizeof nm)
				nm[k++] = (char)tolower((unsigned char)s[bs]);
		nm[k] = '\0';
		/* The tag ends at the first '>' outside quoted values; a
		 * quote opens a value only right after '='. */
		for (gt = bs, prev = 0; gt < n && s[gt] != '>'; gt++) {
			if (is_ws((unsigned char)s[gt]))
				continue;
			if ((s[gt] == '"' || s[gt] == '\'') && prev == '=') {
				p = memchr(s + gt + 1, s[gt], n - gt - 1);
				if (!p) {
					gt = n;
					break;
				}
				gt = (size_t)(p - s);
			}
			prev = s[gt];
		}
		tag(&r, nm, close, s + bs, gt - bs);
		i = gt < n ? gt + 1 : n;
		if (!close && is_skipped(nm) && !(gt > bs && s[gt - 1] == '/'))
			i = find_close(s, n, i, nm);
	}
	if (r.in_a)
		link_end(&r);
	/* Trailing blank space goes; the text ends with one newline. */
	while (!r.err && r.out.len && (r.out.p[r.out.len - 1] == '\n' ||
	    r.out.p[r.out.len - 1] == ' '))
		r.out.p[--r.out.len] = '\0';
	if (r.out.len)
		add(&r, "\n", 1);
	if (r.nlinks && !r.err) {
		add(&r, "\n", 1);
		add(&r, r.links.p, r.links.len);
	}
	dbuf_free(&r.links);
	dbuf_free(&r.href);
	dbuf_free(&r.tmp);
	if (r.err) {
		dbuf_free(&r.out);
		return NULL;
	}
	return dbuf_take(&r.out, outlen);
}
