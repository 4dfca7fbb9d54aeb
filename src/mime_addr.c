/*
 * mime_addr.c: address lists (RFC 5322 3.4, with the obsolete forms):
 * From and To as {display name, addr-spec} pairs.
 *
 * One pass over the unfolded value, by character class, not by grammar
 * production, so that any input ends in a bounded number of steps: every
 * branch moves forward. Outside angle brackets a ',' or ';' ends a
 * mailbox and a ':' ends a group name (which is dropped); inside them the
 * same characters belong to a route, as in <@relay,@relay2:user@host>.
 */
#include <stdlib.h>
#include <string.h>

#include <pouch/charset.h>
#include <pouch/mime_hdr.h>
#include <pouch/mime_lex.h>
#include <pouch/util.h>

struct mbox {
	struct dbuf phrase;	/* words before '<', quotes undone */
	struct dbuf angle;	/* inside <>, whitespace and comments dropped */
	struct dbuf bare;	/* words outside <>, no whitespace */
	int saw_angle, in_angle, gap;
	int glued;		/* began right after an angle-addr, no comma */
};

struct list {
	struct mime_addr *v;
	size_t n, cap;
};

static void
mbox_reset(struct mbox *m)
{
	dbuf_reset(&m->phrase);
	dbuf_reset(&m->angle);
	dbuf_reset(&m->bare);
	m->saw_angle = m->in_angle = m->gap = m->glued = 0;
}

static void
mbox_free(struct mbox *m)
{
	dbuf_free(&m->phrase);
	dbuf_free(&m->angle);
	dbuf_free(&m->bare);
}

/* Appends a word to the phrase, with one space for whatever whitespace or
 * comments stood between it and the last (RFC 5322 3.2.2). */
static int
phrase_add(struct mbox *m, const char *p, size_t n)
{
	if (m->gap && m->phrase.len && dbuf_addc(&m->phrase, ' ') < 0)
		return -1;
	m->gap = 0;
	return dbuf_add(&m->phrase, p, n);
}

static int
list_push(struct list *l, char *name, size_t name_len, char *addr)
{
	struct mime_addr *nv;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		nv = realloc(l->v, l->cap * sizeof *l->v);
		if (!nv)
			return -1;
		l->v = nv;
	}
	l->v[l->n].name = name;
	l->v[l->n].name_len = name_len;
	l->v[l->n].addr = addr;
	l->n++;
	return 0;
}

static int
mbox_end(struct mbox *m, struct list *l)
{
	struct dbuf name, addr;
	const char *a;
	size_t alen, nlen;
	char *np, *ap;

	dbuf_init(&name, 0);
	dbuf_init(&addr, 0);
	if (m->saw_angle) {
		a = m->angle.p ? m->angle.p : "";
		alen = m->angle.len;
		/* Obsolete route: "@a,@b:" before the addr-spec. */
		if (alen && a[0] == '@' && memchr(a, ':', alen)) {
			const char *c = memchr(a, ':', alen);

			alen -= (size_t)(c + 1 - a);
			a = c + 1;
		}
		if (rfc2047_decode(&name, m->phrase.p ? m->phrase.p : "",
		    m->phrase.len) < 0)
			goto fail;
	} else {
		a = m->bare.p ? m->bare.p : "";
		alen = m->bare.len;
	}
	/* No addr-spec holds a NUL. Kept, it would end addr (a C string)
	 * early: "boss@corp\0.evil.example" would read as "boss@corp", a
	 * different address. So there is none; the display name stays. */
	if (memchr(a, '\0', alen))
		alen = 0;
	/* Words after an angle-addr that hold no address are not a second
	 * mailbox, only trailing text ("<bob@x> Bob"). */
	if (m->glued && !m->saw_angle && !memchr(a, '@', alen))
		alen = 0;
	if (charset_append_fix_utf8(&addr, a, alen) < 0)
		goto fail;
	if (addr.len == 0 && name.len == 0) {
		/* Either may hold an allocation though empty (a word that
		 * decodes to nothing). */
		dbuf_free(&name);
		dbuf_free(&addr);
		mbox_reset(m);
		return 0;
	}
	np = dbuf_take(&name, &nlen);
	if (!np)
		goto fail;
	ap = dbuf_take(&addr, NULL);
	if (!ap) {
		free(np);
		goto fail;
	}
	if (list_push(l, np, nlen, ap) < 0) {
		free(np);
		free(ap);
		goto fail;
	}
	mbox_reset(m);
	return 0;
fail:
	dbuf_free(&name);
	dbuf_free(&addr);
	return -1;
}

static int
is_special(unsigned char c)
{
	return lex_is_ws(c) || c == '(' || c == '"' || c == '<' || c == '>' ||
	    c == ',' || c == ':' || c == ';';
}

static int
scan(const char *s, size_t len, struct mbox *m, struct list *l)
{
	size_t i = 0, e, st;
	int r;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (lex_is_ws(c)) {
			m->gap = 1;
			i++;
			continue;
		}
		if (c == '(') {
			i = lex_comment_end(s, len, i);
			m->gap = 1;
			continue;
		}
		/* A word or an angle-addr after a closed angle-addr starts
		 * the next mailbox: the comma between them is missing
		 * ("Bob <b@x> Bobby <bb@x>"), and merging them would drop
		 * an address. */
		if (m->saw_angle && !m->in_angle && c != '>' && c != ',' &&
		    c != ';') {
			if (mbox_end(m, l) < 0)
				return -1;
			m->glued = 1;
		}
		if (c == '"') {
			e = lex_quoted_end(s, len, i);
			if (m->in_angle)
				r = dbuf_add(&m->angle, s + i, e - i);
			else {
				r = dbuf_add(&m->bare, s + i, e - i);
				if (r == 0 && m->gap && m->phrase.len)
					r = dbuf_addc(&m->phrase, ' ');
				m->gap = 0;
				if (r == 0 && lex_unquote(&m->phrase, s, e, i) == (size_t)-1)
					r = -1;
			}
			if (r < 0)
				return -1;
			i = e;
			continue;
		}
		if (m->in_angle) {
			if (c == '>')
				m->in_angle = 0;
			else if (dbuf_addc(&m->angle, (char)c) < 0)
				return -1;
			i++;
			continue;
		}
		switch (c) {
		case '<':
			m->in_angle = m->saw_angle = 1;
			dbuf_reset(&m->angle);
			m->gap = 1;
			i++;
			continue;
		case '>':
			m->gap = 1;
			i++;
			continue;
		case ',':
		case ';':
			if (mbox_end(m, l) < 0)
				return -1;
			i++;
			continue;
		case ':':
			/* A group name; its members follow. */
			mbox_reset(m);
			i++;
			continue;
		}
		st = i;
		while (i < len && !is_special((unsigned char)s[i]))
			i++;
		if (phrase_add(m, s + st, i - st) < 0 ||
		    dbuf_add(&m->bare, s + st, i - st) < 0)
			return -1;
	}
	return mbox_end(m, l);
}

size_t
mime_hdr_addrs(const char *v, size_t len, struct mime_addr **out)
{
	struct list l = { NULL, 0, 0 };
	struct dbuf u;
	struct mbox m;
	int r;

	*out = NULL;
	dbuf_init(&u, 0);
	if (hdr_unfold_into(&u, v, len) < 0)
		return (size_t)-1;
	dbuf_init(&m.phrase, 0);
	dbuf_init(&m.angle, 0);
	dbuf_init(&m.bare, 0);
	mbox_reset(&m);
	r = scan(u.p ? u.p : "", u.len, &m, &l);
	mbox_free(&m);
	dbuf_free(&u);
	if (r < 0) {
		mime_addr_free(l.v, l.n);
		return (size_t)-1;
	}
	*out = l.v;
	return l.n;
}

void
mime_addr_free(struct mime_addr *a, size_t n)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < n; i++) {
		free(a[i].name);
		free(a[i].addr);
	}
	free(a);
}
