/*
 * rfc2231.c: parameters of Content-Type and Content-Disposition (RFC 2045
 * 5.1), with RFC 2231 continuations, charsets and percent-encoding, and
 * the RFC 2047 words mailers put inside quoted values against the rules.
 *
 * The value is unfolded first so a quoted string folded across lines is
 * one string again. One pass collects every parameter as offsets into the
 * unfolded text; only those with the asked name are then decoded.
 * Unquoted values run to the next ';', since real mail has spaces and
 * tspecials in them; a comment there is dropped when it starts a word.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pouch/charset.h>
#include <pouch/mime_hdr.h>
#include <pouch/mime_lex.h>
#include <pouch/util.h>

/* Continuation numbers past this are taken as hostile, not as a name. */
#define SEG_MAX 100000

enum pkind { P_PLAIN, P_STAR, P_SEG };

struct seg {
	long n;
	int star;		/* percent-encoded */
	int quoted;
	size_t vs, ve;		/* value range in the unfolded text */
	size_t order;		/* appearance, to keep the first of duplicates */
};

/* Past the next top-level ';' (or len). */
static size_t
next_param(const char *s, size_t len, size_t i)
{
	while (i < len && s[i] != ';') {
		if (s[i] == '"')
			i = lex_quoted_end(s, len, i);
		else if (s[i] == '(')
			i = lex_comment_end(s, len, i);
		else
			i++;
	}
	return i < len ? i + 1 : len;
}

/* Where the parameters start: after the ';' that follows the type
 * ("text/plain", "attachment"), or right after the type when that ';' is
 * missing and a word follows ("application/pdf name=x.pdf"); else after
 * the first top-level ';', wherever it is. */
static size_t
first_param(const char *s, size_t len, int *unsep)
{
	size_t i = lex_skip_cfws(s, len, 0), t = i;

	*unsep = 0;

	while (i < len && lex_is_token((unsigned char)s[i]))
		i++;
	if (i > t) {
		i = lex_skip_cfws(s, len, i);
		if (i < len && s[i] == '/') {
			i = lex_skip_cfws(s, len, i + 1);
			t = i;
			while (i < len && lex_is_token((unsigned char)s[i]))
				i++;
			if (i == t)
				return next_param(s, len, 0);
			i = lex_skip_cfws(s, len, i);
		}
		if (i < len && s[i] == ';')
			return i + 1;
		if (i < len && lex_is_token((unsigned char)s[i])) {
			*unsep = 1;
			return i;
		}
	}
	return next_param(s, len, 0);
}

static int
attr_eq(const char *a, size_t alen, const char *name, size_t nlen)
{
	size_t i;

	if (alen != nlen)
		return 0;
	for (i = 0; i < alen; i++) {
		char x = a[i], y = name[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

/* What the attribute is for name: -1 another name, else the kind, with
 * the segment number and star for P_SEG. */
static int
classify(const char *a, size_t alen, const char *name, size_t nlen,
    long *n, int *star)
{
	size_t i;

	if (alen < nlen || !attr_eq(a, nlen, name, nlen))
		return -1;
	if (alen == nlen)
		return P_PLAIN;
	if (a[nlen] != '*')
		return -1;
	if (alen == nlen + 1)
		return P_STAR;
	*n = 0;
	*star = 0;
	for (i = nlen + 1; i < alen && a[i] >= '0' && a[i] <= '9'; i++) {
		*n = *n * 10 + (a[i] - '0');
		if (*n > SEG_MAX)
			return -1;
	}
	if (i == nlen + 1)
		return -1;
	if (i < alen && a[i] == '*' && i + 1 == alen)
		*star = 1;
	else if (i != alen)
		return -1;
	return P_SEG;
}

/* The raw value: a quoted string unquoted, or an unquoted run with
 * comments that start a word removed and the ends trimmed. */
static int
raw_value(struct dbuf *b, const char *s, const struct seg *g)
{
	size_t i = g->vs, start;

	if (g->quoted)
		return lex_unquote(b, s, g->ve, i) == (size_t)-1 ? -1 : 0;
	while (i < g->ve) {
		start = i;
		while (i < g->ve && !(s[i] == '(' &&
		    (i == g->vs || lex_is_ws((unsigned char)s[i - 1]))))
			i++;
		if (dbuf_add(b, s + start, i - start) < 0)
			return -1;
		if (i < g->ve)
			i = lex_comment_end(s, g->ve, i);
	}
	while (b->len && lex_is_ws((unsigned char)b->p[b->len - 1]))
		b->p[--b->len] = '\0';
	return 0;
}

static int
pct_decode(struct dbuf *out, const char *p, size_t n)
{
	size_t i;
	int h, l;
	char c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (c == '%' && i + 2 < n &&
		    (h = hex_digit((unsigned char)p[i + 1])) >= 0 &&
		    (l = hex_digit((unsigned char)p[i + 2])) >= 0) {
			c = (char)(h << 4 | l);
			i += 2;
		}
		if (dbuf_addc(out, c) < 0)
			return -1;
	}
	return 0;
}

static int
seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Decodes the RFC 2231 value made of segs (sorted, duplicates dropped):
 * charset'lang' from the first when it is starred, starred ones
 * percent-decoded, all converted from that charset together.
 */
static char *
join_segments(const char *s, struct seg *segs, size_t n, int as_is,
    size_t *outlen)
{
	struct dbuf bytes, raw, out;
	char cs[64] = "";
	int any_star = 0, r = 0;
	size_t i, k;
	const char *q1, *q2, *p;

	dbuf_init(&bytes, 0);
	dbuf_init(&raw, 0);
	dbuf_init(&out, 0);
	for (i = 0; i < n; i++)
		any_star |= segs[i].star;
	for (i = 0; i < n && r == 0; i++) {
		if (i > 0 && segs[i].n == segs[i - 1].n)
			continue;
		dbuf_reset(&raw);
		if (raw_value(&raw, s, &segs[i]) < 0) {
			r = -1;
			break;
		}
		p = raw.p ? raw.p : "";
		k = raw.len;
		if (i == 0 && segs[i].star &&
		    (q1 = memchr(p, '\'', k)) != NULL &&
		    (q2 = memchr(q1 + 1, '\'', k - (size_t)(q1 + 1 - p))) != NULL) {
			if ((size_t)(q1 - p) < sizeof cs) {
				memcpy(cs, p, (size_t)(q1 - p));
				cs[q1 - p] = '\0';
			} else
				strcpy(cs, "x-unknown");
			k -= (size_t)(q2 + 1 - p);
			p = q2 + 1;
		}
		if (segs[i].star)
			r = pct_decode(&bytes, p, k);
		else
			r = dbuf_add(&bytes, p, k);
	}
	dbuf_free(&raw);
	if (r == 0) {
		if (as_is)
			r = dbuf_add(&out, bytes.p ? bytes.p : "", bytes.len);
		else if (!any_star)
			r = rfc2047_decode(&out, bytes.p ? bytes.p : "", bytes.len);
		else if (cs[0])
			r = charset_append_utf8(&out, cs, bytes.p ? bytes.p : "", bytes.len);
		else
			r = charset_append_utf8(&out, NULL, bytes.p ? bytes.p : "", bytes.len);
	}
	dbuf_free(&bytes);
	if (r < 0) {
		dbuf_free(&out);
		return NULL;
	}
	return dbuf_take(&out, outlen);
}

static char *
plain_value(const char *s, const struct seg *g, int as_is, size_t *outlen)
{
	struct dbuf raw, out;
	int r;

	dbuf_init(&raw, 0);
	dbuf_init(&out, 0);
	if (raw_value(&raw, s, g) < 0)
		return NULL;
	if (as_is)
		return dbuf_take(&raw, outlen);
	r = rfc2047_decode(&out, raw.p ? raw.p : "", raw.len);
	dbuf_free(&raw);
	if (r < 0)
		return NULL;
	return dbuf_take(&out, outlen);
}

static char *
find_param(const char *s, size_t len, const char *name, int raw,
    size_t *outlen)
{
	size_t nlen = strlen(name), i, as, ae, nsegs = 0, capsegs = 0, order = 0;
	struct seg plain, star, g, *segs = NULL, *ns;
	int have_plain = 0, have_star = 0, kind, st, unsep;
	char *r = NULL;
	long n;

	i = first_param(s, len, &unsep);
	while (i < len) {
		i = lex_skip_cfws(s, len, i);
		as = i;
		while (i < len && s[i] != '=' && s[i] != ';' && s[i] != '(' &&
		    s[i] != '"' && !lex_is_ws((unsigned char)s[i]))
			i++;
		ae = i;
		i = lex_skip_cfws(s, len, i);
		if (i >= len || s[i] != '=' || ae == as) {
			i = next_param(s, len, i);
			continue;
		}
		i = lex_skip_cfws(s, len, i + 1);
		memset(&g, 0, sizeof g);
		g.vs = i;
		g.order = order++;
		if (i < len && s[i] == '"') {
			g.quoted = 1;
			g.ve = lex_quoted_end(s, len, i);
			/* Another parameter may follow without its ';'
			 * (name="a" filename="b"), as after the type. */
			i = lex_skip_cfws(s, len, g.ve);
			if (i >= len || !lex_is_token((unsigned char)s[i]))
				i = next_param(s, len, i);
		} else {
			while (i < len && s[i] != ';')
				i++;
			g.ve = i;
			i = i < len ? i + 1 : len;
		}
		kind = classify(s + as, ae - as, name, nlen, &n, &st);
		if (kind == P_PLAIN && !have_plain) {
			plain = g;
			have_plain = 1;
		} else if (kind == P_STAR && !have_star) {
			star = g;
			star.star = 1;
			star.n = 0;
			have_star = 1;
		} else if (kind == P_SEG) {
			if (nsegs == capsegs) {
				capsegs = capsegs ? capsegs * 2 : 8;
				ns = realloc(segs, capsegs * sizeof *segs);
				if (!ns)
					goto out;
				segs = ns;
			}
			g.n = n;
			g.star = st;
			segs[nsegs++] = g;
		}
	}
	if (have_star)
		r = join_segments(s, &star, 1, raw, outlen);
	else if (nsegs) {
		qsort(segs, nsegs, sizeof *segs, seg_cmp);
		r = join_segments(s, segs, nsegs, raw, outlen);
	} else if (have_plain)
		r = plain_value(s, &plain, raw, outlen);
out:
	free(segs);
	return r;
}

static char *
param(const char *v, size_t len, const char *name, int raw, size_t *outlen)
{
	struct dbuf u;
	char *r;

	dbuf_init(&u, 0);
	if (hdr_unfold_into(&u, v, len) < 0)
		return NULL;
	r = find_param(u.p ? u.p : "", u.len, name, raw, outlen);
	dbuf_free(&u);
	return r;
}

char *
mime_hdr_param_n(const char *v, size_t len, const char *name, size_t *outlen)
{
	/* A boundary is matched octet for octet against body lines, so it
	 * must not be decoded as text (RFC 2046 allows "=?" in it). */
	if (strcasecmp(name, "boundary") == 0)
		return param(v, len, name, 1, outlen);
	return param(v, len, name, 0, outlen);
}

char *
mime_hdr_param(const char *v, size_t len, const char *name)
{
	return mime_hdr_param_n(v, len, name, NULL);
}

char *
mime_hdr_param_raw(const char *v, size_t len, const char *name)
{
	return param(v, len, name, 1, NULL);
}

char *
mime_hdr_charset(const char *v, size_t len)
{
	char *cs;

	cs = mime_hdr_param(v, len, "charset");
	if (!cs)
		return NULL;
	lex_trim_lower(cs, strlen(cs));
	return cs;
}

int
mime_hdr_params_unsep(const char *v, size_t len)
{
	struct dbuf u;
	int unsep;

	dbuf_init(&u, 0);
	if (hdr_unfold_into(&u, v, len) < 0)
		return 0;
	first_param(u.p ? u.p : "", u.len, &unsep);
	dbuf_free(&u);
	return unsep;
}
