/*
 * mime_hdr.c: unfolded and decoded unstructured text, and the simple
 * structured fields: Content-Type's type, Content-Disposition's type,
 * Content-Transfer-Encoding. The lexing pieces live in mime_lex.c,
 * parameters in rfc2231.c, encoded words in rfc2047.c, addresses in
 * mime_addr.c, dates in mime_date.c.
 */
#include <stdlib.h>
#include <string.h>

#include <pouch/mime_hdr.h>
#include <pouch/mime_lex.h>
#include <pouch/util.h>

char *
mime_hdr_unfold(const char *v, size_t len, size_t *outlen)
{
	struct dbuf b;

	dbuf_init(&b, 0);
	if (hdr_unfold_into(&b, v, len) < 0)
		return NULL;
	return dbuf_take(&b, outlen);
}

char *
mime_hdr_text_n(const char *v, size_t len, size_t *outlen)
{
	struct dbuf u, b;
	int r;

	dbuf_init(&u, 0);
	dbuf_init(&b, 0);
	if (hdr_unfold_into(&u, v, len) < 0)
		return NULL;
	r = rfc2047_decode(&b, u.p ? u.p : "", u.len);
	dbuf_free(&u);
	if (r < 0)
		return NULL;
	return dbuf_take(&b, outlen);
}

char *
mime_hdr_text(const char *v, size_t len)
{
	return mime_hdr_text_n(v, len, NULL);
}

/* The token at s[*i], lowercased, advancing *i; "" when there is none. */
static char *
lower_token(const char *s, size_t len, size_t *i)
{
	size_t start = *i, k;
	char *t;

	while (*i < len && lex_is_token((unsigned char)s[*i]))
		(*i)++;
	t = str_ndup(s + start, *i - start);
	if (!t)
		return NULL;
	for (k = 0; t[k]; k++)
		if (t[k] >= 'A' && t[k] <= 'Z')
			t[k] = (char)(t[k] - 'A' + 'a');
	return t;
}

char *
mime_hdr_ctype(const char *v, size_t len)
{
	size_t i = lex_skip_cfws(v, len, 0);
	char *type, *sub, *r;

	type = lower_token(v, len, &i);
	if (!type)
		return NULL;
	i = lex_skip_cfws(v, len, i);
	if (!*type || i >= len || v[i] != '/') {
		free(type);
		return NULL;
	}
	i = lex_skip_cfws(v, len, i + 1);
	sub = lower_token(v, len, &i);
	if (!sub) {
		free(type);
		return NULL;
	}
	i = lex_skip_cfws(v, len, i);
	r = NULL;
	/* A parameter may follow without its ';' ("application/pdf
	 * name=x.pdf"): the type stands, as GMime reads it, so that an
	 * attachment is not shown as text. */
	if (*sub && (i >= len || v[i] == ';' || lex_is_token((unsigned char)v[i])))
		r = str_printf("%s/%s", type, sub);
	free(type);
	free(sub);
	return r;
}

char *
mime_hdr_disposition(const char *v, size_t len)
{
	size_t i = lex_skip_cfws(v, len, 0);
	char *t;

	t = lower_token(v, len, &i);
	if (t && !*t) {
		free(t);
		return NULL;
	}
	return t;
}

char *
mime_hdr_token(const char *v, size_t len)
{
	size_t i = lex_skip_cfws(v, len, 0), n;
	struct dbuf b;
	char *t;

	if (i < len && v[i] == '"') {
		/* Not a token, but "base64" in quotes still means base64. */
		dbuf_init(&b, 0);
		if (lex_unquote(&b, v, len, i) == (size_t)-1)
			return NULL;
		t = dbuf_take(&b, &n);
		if (!t)
			return NULL;
		lex_trim_lower(t, n);
		if (!*t) {
			free(t);
			return NULL;
		}
		return t;
	}
	return mime_hdr_disposition(v, len);
}
