/*
 * mime_dump.c: the mime-dump/1 JSON of a part tree (see mime.h and
 * shared/spec/mime-dump.md). Output goes to a sink through a small buffer;
 * bodies are hashed as they are decoded, except text parts, which must be
 * whole to be converted to UTF-8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/charset.h>
#include <pouch/mime.h>
#include <pouch/sha256.h>

struct jw {
	struct dbuf b;
	mime_sink_fn sink;
	void *arg;
	int err;
};

static void
jw_flush(struct jw *w)
{
	if (!w->err && w->b.len)
		w->err = w->sink(w->arg, w->b.p, w->b.len);
	dbuf_reset(&w->b);
}

static void
jw_add(struct jw *w, const char *p, size_t n)
{
	if (w->err)
		return;
	if (dbuf_add(&w->b, p, n) < 0) {
		w->err = -1;
		return;
	}
	if (w->b.len >= 32768)
		jw_flush(w);
}

static void
jw_s(struct jw *w, const char *s)
{
	jw_add(w, s, strlen(s));
}

/* The length of a character JSON output escapes as \uXXXX at s (n bytes
 * left, valid UTF-8), its code point in *cp; 0 for any other. Beyond what
 * JSON needs (C0, '"', '\\'), the whole set of utf8_unsafe_cp is escaped,
 * so a dump printed on a terminal cannot drive it or reorder what it
 * shows. (Only the short strings of a dump pass here, so each non-ASCII
 * byte may be looked at.) */
static size_t
needs_escape(const unsigned char *s, size_t n, unsigned *cp)
{
	uint32_t c;
	size_t k, bad;

	if (s[0] < 0x80) {
		*cp = s[0];
		return utf8_unsafe_cp(s[0]) ? 1 : 0;
	}
	k = utf8_next((const char *)s, n, &c, &bad);
	if (k == 0 || !utf8_unsafe_cp(c))
		return 0;
	*cp = c;
	return k;
}

/* A JSON string of n bytes, a NUL among them written as \u0000; bytes
 * that are not UTF-8 (mime_hdr promises UTF-8, but a dump must stay valid
 * JSON whatever happens) become U+FFFD. */
static void
jw_strn(struct jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u;
	char *fixed = NULL, esc[7];
	size_t i, run, k;
	unsigned cp;

	if (!s) {
		jw_s(w, "null");
		return;
	}
	if (!utf8_valid(s, n)) {
		fixed = charset_fix_utf8(s, n, &n);
		if (!fixed) {
			w->err = -1;
			return;
		}
		s = fixed;
	}
	u = (const unsigned char *)s;
	jw_add(w, "\"", 1);
	for (i = 0; i < n; i += run) {
		for (run = 0; i + run < n; run++) {
			unsigned char c = u[i + run];

			if (c == '"' || c == '\\' ||
			    ((c < 0x20 || c >= 0x7f) &&
			    needs_escape(u + i + run, n - i - run, &cp)))
				break;
		}
		if (run) {
			jw_add(w, s + i, run);
			continue;
		}
		if (u[i] == '"' || u[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)u[i];
			jw_add(w, esc, 2);
			run = 1;
			continue;
		}
		k = needs_escape(u + i, n - i, &cp);
		esc[0] = '\\';
		esc[1] = 'u';
		esc[2] = hex[cp >> 12 & 15];
		esc[3] = hex[cp >> 8 & 15];
		esc[4] = hex[cp >> 4 & 15];
		esc[5] = hex[cp & 15];
		jw_add(w, esc, 6);
		run = k;
	}
	jw_add(w, "\"", 1);
	free(fixed);
}

/* A JSON string of a C string, or null. */
static void
jw_str(struct jw *w, const char *s)
{
	jw_strn(w, s, s ? strlen(s) : 0);
}

static void
jw_addrs(struct jw *w, int has, const struct mime_addr *a, size_t n)
{
	size_t i;

	if (!has) {
		jw_s(w, "null");
		return;
	}
	jw_s(w, "[");
	for (i = 0; i < n; i++) {
		jw_s(w, i ? ", {\"name\": " : "{\"name\": ");
		if (a[i].name)
			jw_strn(w, a[i].name, a[i].name_len);
		else
			jw_str(w, "");
		jw_s(w, ", \"addr\": ");
		jw_str(w, a[i].addr ? a[i].addr : "");
		jw_s(w, "}");
	}
	jw_s(w, "]");
}

static void
jw_headers(struct jw *w, const struct mime_msg *m)
{
	char date[26];

	jw_s(w, ", \"headers\": {\"subject\": ");
	jw_strn(w, m->subject, m->subject_len);
	jw_s(w, ", \"from\": ");
	jw_addrs(w, m->has_from, m->from, m->nfrom);
	jw_s(w, ", \"to\": ");
	jw_addrs(w, m->has_to, m->to, m->nto);
	jw_s(w, ", \"date\": ");
	if (m->has_date) {
		mime_date_format(m->date, m->date_off, date);
		jw_str(w, date);
	} else {
		jw_s(w, "null");
	}
	jw_s(w, "}");
}

struct hash_sink {
	struct sha256 h;
	size_t n;
};

static int
hash_sink(void *arg, const char *p, size_t n)
{
	struct hash_sink *hs = arg;

	sha256_update(&hs->h, p, n);
	hs->n += n;
	return 0;
}

/* SHA-256 of UTF-8 text with every CRLF as LF. */
static void
hash_text_lf(const char *p, size_t n, char out[65])
{
	struct sha256 h;
	const char *e = p + n, *q;

	sha256_init(&h);
	while (p < e) {
		q = memchr(p, '\r', (size_t)(e - p));
		if (!q) {
			sha256_update(&h, p, (size_t)(e - p));
			break;
		}
		if (q + 1 < e && q[1] == '\n') {
			sha256_update(&h, p, (size_t)(q - p));
			p = q + 1;	/* the '\n' starts the next run */
		} else {
			sha256_update(&h, p, (size_t)(q + 1 - p));
			p = q + 1;
		}
	}
	sha256_final_hex(&h, out);
}

/* size, sha256 and (for text) text_sha256 of a leaf. Text must be whole
 * to be converted; anything else is hashed as it is decoded. */
static void
jw_leaf_hashes(struct jw *w, const struct mime_part *p)
{
	char hex[65], thex[65], num[32];
	int text = strncmp(p->type, "text/", 5) == 0;
	size_t n;

	if (text) {
		struct dbuf body;
		char *u;
		size_t ulen;

		dbuf_init(&body, 0);
		if (mime_part_decode_dbuf(p, &body) < 0) {
			w->err = -1;
			return;
		}
		sha256_hex(body.p, body.len, hex);
		n = body.len;
		u = charset_to_utf8(p->charset, body.p, body.len, &ulen);
		dbuf_free(&body);
		if (!u) {
			w->err = -1;
			return;
		}
		hash_text_lf(u, ulen, thex);
		free(u);
	} else {
		struct hash_sink hs;

		sha256_init(&hs.h);
		hs.n = 0;
		if (mime_part_decode(p, hash_sink, &hs) != 0) {
			w->err = -1;
			return;
		}
		sha256_final_hex(&hs.h, hex);
		n = hs.n;
	}
	snprintf(num, sizeof(num), "%zu", n);
	jw_s(w, ", \"size\": ");
	jw_s(w, num);
	jw_s(w, ", \"sha256\": \"");
	jw_s(w, hex);
	jw_s(w, "\"");
	if (text) {
		jw_s(w, ", \"text_sha256\": \"");
		jw_s(w, thex);
		jw_s(w, "\"");
	}
}

static void
jw_node(struct jw *w, const struct mime_part *p)
{
	const struct mime_part *c;

	jw_s(w, "{\"type\": ");
	jw_str(w, p->type);
	jw_s(w, ", \"charset\": ");
	jw_str(w, p->charset);
	jw_s(w, ", \"disposition\": ");
	jw_str(w, p->disposition);
	jw_s(w, ", \"filename\": ");
	jw_strn(w, p->filename, p->filename_len);
	if (mime_is_leaf(p))
		jw_leaf_hashes(w, p);
	else
		jw_s(w, ", \"size\": null, \"sha256\": null");
	if (p->msg)
		jw_headers(w, p->msg);
	jw_s(w, ", \"children\": [");
	/* Depth is bounded by MIME_MAX_DEPTH, so recursion is too. */
	for (c = p->child; c && !w->err; c = c->next) {
		jw_node(w, c);
		if (c->next)
			jw_s(w, ", ");
	}
	jw_s(w, "]}");
}

int
mime_dump(const struct mime_part *root, mime_sink_fn sink, void *arg)
{
	struct jw w;

	dbuf_init(&w.b, 0);
	w.sink = sink;
	w.arg = arg;
	w.err = 0;
	jw_s(&w, "{\"format\": \"mime-dump/1\", \"root\": ");
	jw_node(&w, root);
	jw_s(&w, "}\n");
	jw_flush(&w);
	dbuf_free(&w.b);
	return w.err;
}
