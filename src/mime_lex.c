/*
 * mime_lex.c: the lexing pieces the header-word files share (see
 * mime_lex.h): character classes, comments, quoted strings, unfolding.
 * It calls nothing above util.h, so rfc2047.c, rfc2231.c, mime_addr.c,
 * mime_date.c and mime_hdr.c all stand on it without calling each other
 * back.
 */
#include <string.h>

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

	i++;
	while (i < len) {
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
		i += 2;
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
