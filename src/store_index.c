/*
 * store_index.c: the text of the store's index, parsed and written (see
 * store.h). Pure: no I/O, no globals, so the fuzz target runs it alone.
 *
 * A record is one line; fields are separated by TAB; inside a field '\\',
 * TAB, LF and CR are written as \\ \t \n \r (a subject can hold any of
 * them). Version 2 "m" fields:
 *     FILE UID FLAGS SIZE DATE ATTACH DOWNLOADED GONE FROM-NAME FROM-ADDR SUBJECT
 * FLAGS is "-" or letters R (read) D (marked for deletion); DATE is "-"
 * when the message has none. Version 1 had FILE UID FLAGS only.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/store.h>
#include <pouch/util.h>

#define MAX_FIELDS 11

static int
add_escaped(struct dbuf *b, const char *s)
{
	for (; *s; s++) {
		const char *e = NULL;

		switch (*s) {
		case '\\': e = "\\\\"; break;
		case '\t': e = "\\t"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		}
		if (e ? dbuf_adds(b, e) < 0 : dbuf_addc(b, *s) < 0)
			return -1;
	}
	return 0;
}

int
store_index_format_msg(struct dbuf *b, const struct store_msg *m)
{
	char flags[3], *f = flags;

	if (m->flags & STORE_F_READ)
		*f++ = 'R';
	if (m->flags & STORE_F_DELETE)
		*f++ = 'D';
	if (f == flags)
		*f++ = '-';
	*f = '\0';
	if (dbuf_adds(b, "m\t") < 0 || add_escaped(b, m->file) < 0 ||
	    dbuf_addc(b, '\t') < 0 || add_escaped(b, m->uid) < 0 ||
	    dbuf_printf(b, "\t%s\t%llu\t", flags, m->size) < 0)
		return -1;
	if ((m->has_date ? dbuf_printf(b, "%lld", (long long)m->date) : dbuf_addc(b, '-')) < 0)
		return -1;
	if (dbuf_printf(b, "\t%d\t%lld\t%lld\t", m->attach ? 1 : 0,
	    (long long)m->t_download, (long long)m->t_gone) < 0 ||
	    add_escaped(b, m->from_name) < 0 || dbuf_addc(b, '\t') < 0 ||
	    add_escaped(b, m->from_addr) < 0 || dbuf_addc(b, '\t') < 0 ||
	    add_escaped(b, m->subject) < 0 || dbuf_addc(b, '\n') < 0)
		return -1;
	return 0;
}

/* Unescapes s[0..n) in place; the new length, or -1 for a bad escape or
 * a NUL byte. */
static long
unescape(char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\0')
			return -1;
		if (c == '\\') {
			if (++i >= n)
				return -1;
			switch (s[i]) {
			case '\\': c = '\\'; break;
			case 't': c = '\t'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			default: return -1;
			}
		}
		s[o++] = c;
	}
	s[o] = '\0';
	return (long)o;
}

static int
num_parse(const char *s, int neg_ok, long long *out)
{
	unsigned long long v = 0;
	int neg = 0;

	if (neg_ok && *s == '-' && s[1]) {
		neg = 1;
		s++;
	}
	if (!*s || strlen(s) > 19)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > INT64_MAX)
		return -1;
	*out = neg ? -(long long)v : (long long)v;
	return 0;
}

static int
uid_ok(const char *u)
{
	size_t n = strlen(u);

	if (n > STORE_UID_MAX)
		return 0;
	for (; *u; u++)
		if ((unsigned char)*u < 0x21 || (unsigned char)*u > 0x7e)
			return 0;
	return 1;
}

/* "new/NAME" or "cur/NAME": one level, a name that is not hidden. */
static int
file_ok(const char *f)
{
	if (strncmp(f, "new/", 4) != 0 && strncmp(f, "cur/", 4) != 0)
		return 0;
	f += 4;
	return *f && *f != '.' && !strchr(f, '/');
}

static int
name_ok(const char *f)
{
	return *f && *f != '.' && !strchr(f, '/');
}

static void
diag(const struct store_index_cb *cb, unsigned long line, const char *what)
{
	if (cb->on_diag)
		cb->on_diag(cb->ctx, line, what);
}

/* One record of the given version; line is writable, NUL-terminated. */
static void
parse_line(char *line, size_t len, int version, unsigned long ln,
    const struct store_index_cb *cb)
{
	char *f[MAX_FIELDS + 1];
	size_t nf = 0, i;
	char *p, *end = line + len;
	long long v, d;
	struct store_msg m;

	if (len < 2 || line[1] != '\t') {
		diag(cb, ln, "not a record (a letter and a tab)");
		return;
	}
	p = line + 2;
	for (;;) {
		char *tab = memchr(p, '\t', (size_t)(end - p));

		if (nf == MAX_FIELDS) {
			diag(cb, ln, "too many fields");
			return;
		}
		f[nf++] = p;
		if (!tab)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	/* (The caller has refused lines holding a NUL byte.) */
	for (i = 0; i < nf; i++) {
		if (unescape(f[i], strlen(f[i])) < 0) {
			diag(cb, ln, "bad escape in a field");
			return;
		}
	}
	switch (line[0]) {
	case 'd':
		if (nf != 1 || !name_ok(f[0]) || strchr(f[0], ':')) {
			diag(cb, ln, "d: not one file name");
			return;
		}
		if (cb->on_del)
			cb->on_del(cb->ctx, f[0]);
		return;
	case 'L':
		if (nf != 2 || num_parse(f[0], 0, &v) < 0 || num_parse(f[1], 0, &d) < 0 ||
		    d > 100L * 365 * 86400) {
			diag(cb, ln, "L: not a time and a delay");
			return;
		}
		if (cb->on_login)
			cb->on_login(cb->ctx, (int64_t)v, (long)d);
		return;
	case 'm':
		break;
	default:
		diag(cb, ln, "unknown record type");
		return;
	}
	memset(&m, 0, sizeof m);
	if (nf != (version == 1 ? 3u : 11u)) {
		diag(cb, ln, version == 1 ? "m: not 3 fields (version 1)" : "m: not 11 fields");
		return;
	}
	if (!file_ok(f[0])) {
		diag(cb, ln, "m: the file is not new/NAME or cur/NAME");
		return;
	}
	if (!uid_ok(f[1])) {
		diag(cb, ln, "m: the UIDL is not 0..70 characters 0x21..0x7E");
		return;
	}
	m.file = f[0];
	m.uid = f[1];
	if (strcmp(f[2], "-") != 0) {
		for (p = f[2]; *p; p++) {
			unsigned bit = *p == 'R' ? STORE_F_READ : *p == 'D' ? STORE_F_DELETE : 0;

			if (!bit || (m.flags & bit)) {
				diag(cb, ln, "m: bad flags");
				return;
			}
			m.flags |= bit;
		}
		if (!m.flags) {
			diag(cb, ln, "m: bad flags");
			return;
		}
	}
	m.from_name = m.from_addr = m.subject = "";
	if (version >= 2) {
		if (num_parse(f[3], 0, &v) < 0) {
			diag(cb, ln, "m: bad size");
			return;
		}
		m.size = (unsigned long long)v;
		if (strcmp(f[4], "-") != 0) {
			if (num_parse(f[4], 1, &v) < 0) {
				diag(cb, ln, "m: bad date");
				return;
			}
			m.date = v;
			m.has_date = 1;
		}
		if (strcmp(f[5], "0") != 0 && strcmp(f[5], "1") != 0) {
			diag(cb, ln, "m: attachment flag not 0 or 1");
			return;
		}
		m.attach = f[5][0] == '1';
		if (num_parse(f[6], 1, &v) < 0) {
			diag(cb, ln, "m: bad download time");
			return;
		}
		m.t_download = v;
		if (num_parse(f[7], 1, &v) < 0) {
			diag(cb, ln, "m: bad time of leaving the server");
			return;
		}
		m.t_gone = v;
		m.from_name = f[8];
		m.from_addr = f[9];
		m.subject = f[10];
	}
	if (cb->on_msg)
		cb->on_msg(cb->ctx, &m);
}

int
store_index_parse(const char *text, size_t len, const struct store_index_cb *cb,
    size_t *torn)
{
	const char *nl, *p = text, *end = text + len;
	unsigned long ln = 1;
	long long ver;
	char head[32], *line;
	size_t hl, cap = 0;
	char *buf = NULL;

	*torn = len;
	nl = memchr(text, '\n', len);
	if (!nl)
		return -1;
	hl = (size_t)(nl - text);
	if (hl < 13 || hl >= sizeof head || memcmp(text, "pouch-store ", 12) != 0)
		return -1;
	memcpy(head, text + 12, hl - 12);
	head[hl - 12] = '\0';
	if (num_parse(head, 0, &ver) < 0 || ver < 1 || ver > 1000000)
		return -1;
	if (ver > STORE_INDEX_VERSION)
		return (int)ver;	/* the caller refuses it */
	p = nl + 1;
	while (p < end) {
		size_t n;

		ln++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			*torn = (size_t)(p - text);
			break;
		}
		n = (size_t)(nl - p);
		if (n + 1 > cap) {
			char *nb = realloc(buf, n + 1);

			if (!nb) {
				diag(cb, ln, "out of memory");
				break;
			}
			buf = nb;
			cap = n + 1;
		}
		line = buf;
		memcpy(line, p, n);
		line[n] = '\0';
		if (memchr(p, '\0', n))
			diag(cb, ln, "NUL byte in a record");
		else
			parse_line(line, n, (int)ver, ln, cb);
		p = nl + 1;
	}
	free(buf);
	return (int)ver;
}

size_t
store_name_base(const char *name, const char **base)
{
	const char *s = strrchr(name, '/'), *c;

	s = s ? s + 1 : name;
	c = strchr(s, ':');
	*base = s;
	return c ? (size_t)(c - s) : strlen(s);
}

char *
store_name_uid(const char *name)
{
	const char *base, *u, *p;
	size_t n = store_name_base(name, &base);
	char *out, *o;
	int c;

	/* The last ",U=" of the base name: pouch writes it last. */
	u = NULL;
	for (p = base; p + 3 <= base + n; p++)
		if (memcmp(p, ",U=", 3) == 0)
			u = p + 3;
	if (!u)
		return NULL;
	out = malloc((size_t)(base + n - u) + 1);
	if (!out)
		return NULL;
	o = out;
	for (p = u; p < base + n && *p != ','; p++) {
		if (*p == '%') {
			if (p + 2 >= base + n || hex_digit((unsigned char)p[1]) < 0 ||
			    hex_digit((unsigned char)p[2]) < 0) {
				free(out);
				return NULL;
			}
			c = hex_digit((unsigned char)p[1]) * 16 + hex_digit((unsigned char)p[2]);
			if (c < 0x21 || c > 0x7e) {
				free(out);
				return NULL;
			}
			*o++ = (char)c;
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	if (o == out || !uid_ok(out)) {
		free(out);
		return NULL;
	}
	return out;
}
