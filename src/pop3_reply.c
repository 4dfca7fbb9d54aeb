/* pop3_reply.c: POP3 reply parsing, pure (see pop3_reply.h). */
#include <string.h>
#include <strings.h>

#include <pouch/pop3_reply.h>

enum { B_BOL, B_DOT, B_DOTCR, B_MID };

size_t
pop3_reply_line(const char *p, size_t n, size_t *len)
{
	const char *nl;
	size_t l;

	/* memchr(NULL, c, 0) is undefined: an empty body has no buffer */
	if (n == 0)
		return 0;
	nl = memchr(p, '\n', n);
	if (!nl)
		return 0;
	l = (size_t)(nl - p);
	*len = l > 0 && p[l - 1] == '\r' ? l - 1 : l;
	return l + 1;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static size_t
skip_blanks(const char *p, size_t len, size_t i)
{
	while (i < len && is_blank(p[i]))
		i++;
	return i;
}

/* The keyword matches when it is followed by a blank or the end: "+OKAY" is
 * not a status. */
static int
keyword(const char *line, size_t len, const char *kw, size_t *text)
{
	size_t k = strlen(kw);

	if (len < k || strncasecmp(line, kw, k) != 0)
		return 0;
	if (len > k && !is_blank(line[k]))
		return 0;
	*text = skip_blanks(line, len, k);
	return 1;
}

enum pop3_status_kind
pop3_reply_status(const char *line, size_t len, size_t *text)
{
	*text = 0;
	if (keyword(line, len, "+OK", text))
		return POP3_STATUS_OK;
	if (keyword(line, len, "-ERR", text))
		return POP3_STATUS_ERR;
	return POP3_STATUS_BAD;
}

void
pop3_body_init(struct pop3_body *b, size_t max_line, int flags)
{
	b->state = B_BOL;
	b->line_len = 0;
	b->max_line = max_line;
	b->crlf = (flags & POP3_BODY_CRLF) != 0;
	b->last_cr = 0;
}

enum pop3_body_rc
pop3_body_feed(struct pop3_body *b, const char *in, size_t n, char *out,
    size_t *outlen, size_t *used)
{
	size_t i = 0, o = 0;

	*outlen = 0;
	*used = 0;
	while (i < n) {
		switch (b->state) {
		case B_BOL:
			b->line_len = 0;
			if (in[i] == '.') {
				b->state = B_DOT;
				i++;
			} else {
				b->state = B_MID;
			}
			break;
		case B_DOT:
			if (in[i] == '\n' && !b->crlf) {
				i++;
				goto end;
			}
			if (in[i] == '\n') {
				/* "." and a bare LF in a CRLF session: text that
				 * was never stuffed; the dot stays. */
				out[o++] = '.';
				b->line_len = 1;
				b->last_cr = 0;
				b->state = B_MID;
				break;
			}
			if (in[i] == '\r') {
				b->state = B_DOTCR;
				i++;
				break;
			}
			/* A stuffed line: the dot is gone, the rest is content. */
			b->state = B_MID;
			break;
		case B_DOTCR:
			if (in[i] == '\n') {
				i++;
				goto end;
			}
			/* ".\r" and more: the CR was content of a stuffed line. */
			out[o++] = '\r';
			b->line_len = 1;
			b->last_cr = 1;
			b->state = B_MID;
			break;
		default: {
			const char *nl = memchr(in + i, '\n', n - i);
			size_t span = nl ? (size_t)(nl - (in + i)) : n - i;

			if (b->max_line && span > b->max_line - b->line_len)
				return POP3_BODY_LONG;
			if (nl) {
				int cr = span > 0 ? in[i + span - 1] == '\r' : b->last_cr;

				memcpy(out + o, in + i, span + 1);
				o += span + 1;
				i += span + 1;
				b->line_len = 0;
				b->last_cr = 0;
				/* With CRLF, a bare LF does not end a line. */
				if (!b->crlf || cr)
					b->state = B_BOL;
			} else {
				memcpy(out + o, in + i, span);
				o += span;
				i += span;
				b->line_len += span;
				if (span > 0)
					b->last_cr = in[i - 1] == '\r';
			}
			break;
		}
		}
	}
	*outlen = o;
	*used = i;
	return POP3_BODY_MORE;
end:
	b->state = B_BOL;
	b->line_len = 0;
	*outlen = o;
	*used = i;
	return POP3_BODY_END;
}

/* Decimal digits into *v; -1 when there are none or they overflow. */
static int
parse_num(const char *p, size_t len, size_t *i, unsigned long long max,
    unsigned long long *v)
{
	unsigned long long x = 0;
	size_t start = *i;

	while (*i < len && p[*i] >= '0' && p[*i] <= '9') {
		unsigned d = (unsigned)(p[*i] - '0');

		if (x > (max - d) / 10)
			return -1;
		x = x * 10 + d;
		(*i)++;
	}
	if (*i == start)
		return -1;
	*v = x;
	return 0;
}

/* After the last field: the end, or a blank and anything. */
static int
field_end(const char *p, size_t len, size_t i)
{
	return i == len || is_blank(p[i]);
}

/* "n" then blanks; n fits an unsigned long and is at least min. */
static int
parse_first(const char *p, size_t len, size_t *i, unsigned long min,
    unsigned long *n)
{
	unsigned long long v;

	*i = skip_blanks(p, len, 0);
	if (parse_num(p, len, i, (unsigned long)-1, &v) < 0 || v < min)
		return -1;
	*n = (unsigned long)v;
	return 0;
}

/* "N OCTETS": STAT's text (N from 0) and a LIST line (N from 1). */
static int
parse_pair(const char *text, size_t len, unsigned long min, unsigned long *n,
    unsigned long long *octets)
{
	size_t i;
	unsigned long c;
	unsigned long long o;

	if (parse_first(text, len, &i, min, &c) < 0 || i == len || !is_blank(text[i]))
		return -1;
	i = skip_blanks(text, len, i);
	if (parse_num(text, len, &i, (unsigned long long)-1, &o) < 0 ||
	    !field_end(text, len, i))
		return -1;
	*n = c;
	*octets = o;
	return 0;
}

int
pop3_parse_stat(const char *text, size_t len, unsigned long *count,
    unsigned long long *octets)
{
	return parse_pair(text, len, 0, count, octets);
}

int
pop3_parse_last(const char *text, size_t len, unsigned long *n)
{
	size_t i;
	unsigned long v;

	if (parse_first(text, len, &i, 0, &v) < 0 || !field_end(text, len, i))
		return -1;
	*n = v;
	return 0;
}

int
pop3_parse_list(const char *line, size_t len, unsigned long *n,
    unsigned long long *size)
{
	return parse_pair(line, len, 1, n, size);
}

int
pop3_parse_uidl(const char *line, size_t len, unsigned long *n, size_t *uid,
    size_t *uidlen)
{
	size_t i, start;
	unsigned long v;

	if (parse_first(line, len, &i, 1, &v) < 0 || i == len || !is_blank(line[i]))
		return -1;
	i = skip_blanks(line, len, i);
	start = i;
	while (i < len && (unsigned char)line[i] >= 0x21 &&
	    (unsigned char)line[i] <= 0x7e)
		i++;
	/* Longer than RFC 1939's 70 octets is not an error here (see
	 * POP3_UID_MAX). */
	if (i == start || i - start > POP3_UID_MAX || !field_end(line, len, i))
		return -1;
	*n = v;
	*uid = start;
	*uidlen = i - start;
	return 0;
}
