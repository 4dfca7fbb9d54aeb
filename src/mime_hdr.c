/*
 * mime_hdr.c: unfolding, the lexing helpers of mime_lex.h, and the simple
 * structured fields: Content-Type's type, Content-Disposition's type,
 * Content-Transfer-Encoding. Parameters live in rfc2231.c, encoded words
 * in rfc2047.c, addresses in mime_addr.c, dates in mime_date.c.
 */
#include <stdlib.h>
#include <string.h>

#include <pouch/mime_hdr.h>
#include <pouch/mime_lex.h>
#include <pouch/util.h>

int
lex_is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
lex_trim_lower(char *t, size_t n)
{
	size_t k = 0;

	while (k < n && lex_is_ws((unsigned char)t[k]))
		k++;
	while (n > k && lex_is_ws((unsigned char)t[n - 1]))
		n--;
	memmove(t, t + k, n - k);
	t[n - k] = '\0';
	for (k = 0; t[k]; k++)
		if (t[k] >= 'A' && t[k] <= 'Z')
			t[k] = (char)(t[k] - 'A' + 'a');
}

int
lex_is_token(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

size_t
lex_comment_end(const char *s, size_t len, size_t i)
{
	size_t depth = 0;

	for (; i < len; i++) {
		if (s[i] == '\\') {
			i++;
			continue;
		}
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && --depth == 0)
			return i + 1;
	}
	return len;
}

size_t
lex_quoted_end(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return len;
}

size_t
lex_skip_cfws(const char *s, size_t len, size_t i)
{
	while (i < len) {
		if (lex_is_ws((unsigned char)s[i]))
			i++;
		else if (s[i] == '(')
			i = lex_comment_end(s, len, i);
		else
			break;
	}
	return i;
}

size_t
lex_unquote(struct dbuf *b, const char *s, size_t len, size_t i)
{
	size_t start;

	for (i++; i < len; i++) {
		start = i;
		while (i < len && s[i] != '\\' && s[i] != '"')
			i++;
		if (dbuf_add(b, s + start, i - start) < 0)
			return (size_t)-1;
		if (i >= len)
			break;
		if (s[i] == '"')
			return i + 1;
		/* A backslash quotes the next octet; a trailing one is dropped. */
		if (i + 1 < len && dbuf_add(b, s + i + 1, 1) < 0)
			return (size_t)-1;
		i++;
	}
	return len;
}

int
hdr_unfold_into(struct dbuf *b, const char *v, size_t len)
{
	size_t i = 0, start;

	while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' ||
	    (v[i] == '\r' && i + 1 < len && v[i + 1] == '\n')))
		i++;
	while (i < len) {
		start = i;
		while (i < len && v[i] != '\n' &&
		    !(v[i] == '\r' && i + 1 < len && v[i + 1] == '\n'))
			i++;
		if (dbuf_add(b, v + start, i - start) < 0)
			return -1;
		if (i < len)
			i += v[i] == '\r' ? 2 : 1;
		/* A fold that lost its indentation still separated two
		 * words: one space stands for it. */
		if (i < len && v[i] != ' ' && v[i] != '\t' && dbuf_addc(b, ' ') < 0)
			return -1;
	}
	return 0;
}

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
