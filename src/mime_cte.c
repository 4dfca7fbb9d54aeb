/*
 * mime_cte.c: Content-Transfer-Encoding decoders (see mime.h). They work on
 * whole blocks with lookup tables rather than a byte-at-a-time state
 * machine, because the input is always in memory already (mmap or the
 * tree's own buffer); only the output is streamed, in 64 KiB pieces, so a
 * large attachment is never held decoded in full.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"

#define OUT_SIZE 65536

struct out {
	mime_sink_fn sink;
	void *arg;
	char *buf;
	size_t n;
	int err;	/* what the sink returned, once nonzero */
};

static int
out_flush(struct out *o)
{
	if (o->n && !o->err)
		o->err = o->sink(o->arg, o->buf, o->n);
	o->n = 0;
	return o->err;
}

static void
out_put(struct out *o, const char *p, size_t n)
{
	while (n && !o->err) {
		size_t k = OUT_SIZE - o->n;

		if (k > n)
			k = n;
		memcpy(o->buf + o->n, p, k);
		o->n += k;
		p += k;
		n -= k;
		if (o->n == OUT_SIZE)
			out_flush(o);
	}
}

static void
out_putc(struct out *o, char c)
{
	o->buf[o->n++] = c;
	if (o->n == OUT_SIZE)
		out_flush(o);
}

/* 0..63 for the alphabet, 128 for everything else ('=' included; the
 * slow path tells it apart). */
static const unsigned char b64[256] = {
	128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
	128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
	128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,  62, 128, 128, 128,  63,
	 52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 128, 128, 128, 128, 128, 128,
	128,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
	 15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, 128, 128, 128, 128, 128,
	128,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
	 41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, 128, 128, 128, 128, 128,
	128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
	128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
	128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
	128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
	128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
	128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
	128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
	128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
};

/* Input per round such that the output (3/4 of it) fits the buffer. */
#define B64_CHUNK (OUT_SIZE / 3 * 4)

static void
b64_decode(struct out *o, const unsigned char *p, const unsigned char *e)
{
	uint32_t acc = 0;
	int nacc = 0, done = 0;

	while (p < e && !done && !o->err) {
		const unsigned char *ce = e - p > B64_CHUNK ? p + B64_CHUNK : e;
		unsigned char *w = (unsigned char *)o->buf;	/* empty here */

		while (p < ce) {
			unsigned v;
			unsigned char ch;

			/* Whole quads of alphabet characters: the common case,
			 * all of a 76-column line but its line break. */
			if (nacc == 0) {
				while (ce - p >= 4) {
					unsigned a = b64[p[0]], b = b64[p[1]],
					    c = b64[p[2]], d = b64[p[3]];
					uint32_t q;

					if ((a | b | c | d) & 0x80)
						break;
					q = a << 18 | b << 12 | c << 6 | d;
					w[0] = (unsigned char)(q >> 16);
					w[1] = (unsigned char)(q >> 8);
					w[2] = (unsigned char)q;
					w += 3;
					p += 4;
				}
				if (p >= ce)
					break;
			}
			ch = *p++;
			v = b64[ch];
			if (v & 0x80) {
				if (ch == '=') {
					done = 1;
					break;
				}
				continue;
			}
			acc = acc << 6 | v;
			if (++nacc == 4) {
				w[0] = (unsigned char)(acc >> 16);
				w[1] = (unsigned char)(acc >> 8);
				w[2] = (unsigned char)acc;
				w += 3;
				nacc = 0;
				acc = 0;
			}
		}
		o->n = (size_t)(w - (unsigned char *)o->buf);
		out_flush(o);
	}
	/* Missing padding is tolerated; a single leftover sextet is not a
	 * byte and is dropped. */
	if (nacc == 2) {
		out_putc(o, (char)(acc >> 4));
	} else if (nacc == 3) {
		out_putc(o, (char)(acc >> 10));
		out_putc(o, (char)(acc >> 2));
	}
}

static const signed char hexval[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, -1, -1, -1, -1, -1, -1,
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/* One encoded line without its line break and transport padding. */
static void
qp_line(struct out *o, const char *p, const char *e)
{
	while (p < e && !o->err) {
		const char *q = memchr(p, '=', (size_t)(e - p));
		int h, l;

		if (!q) {
			out_put(o, p, (size_t)(e - p));
			return;
		}
		out_put(o, p, (size_t)(q - p));
		if (e - q >= 3 && (h = hexval[(unsigned char)q[1]]) >= 0 &&
		    (l = hexval[(unsigned char)q[2]]) >= 0) {
			out_putc(o, (char)(h << 4 | l));
			p = q + 3;
		} else {
			/* Not =XX: RFC 2045 6.7 (note 1) says keep it. */
			out_putc(o, '=');
			p = q + 1;
		}
	}
}

static void
qp_decode(struct out *o, const char *p, const char *e)
{
	while (p < e && !o->err) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *le = nl ? nl : e, *brk = le;
		int soft = 0;

		if (nl && le > p && le[-1] == '\r')
			brk = le - 1;
		le = brk;
		while (le > p && (le[-1] == ' ' || le[-1] == '\t'))
			le--;
		if (le > p && le[-1] == '=') {
			soft = 1;
			le--;
		}
		qp_line(o, p, le);
		if (!nl)
			break;
		if (!soft)
			out_put(o, brk, (size_t)(nl + 1 - brk));
		p = nl + 1;
	}
}

enum mime_cte
mime_cte_from_token(const char *tok)
{
	size_t n;

	if (!tok)
		return MIME_CTE_IDENTITY;
	while (*tok == ' ' || *tok == '\t')
		tok++;
	n = strlen(tok);
	while (n && (tok[n - 1] == ' ' || tok[n - 1] == '\t' ||
	    tok[n - 1] == '\r' || tok[n - 1] == '\n'))
		n--;
	if (n == 6 && strncasecmp(tok, "base64", 6) == 0)
		return MIME_CTE_BASE64;
	if (n == 16 && strncasecmp(tok, "quoted-printable", 16) == 0)
		return MIME_CTE_QP;
	return MIME_CTE_IDENTITY;
}

int
mime_decode(enum mime_cte cte, const char *in, size_t len,
    mime_sink_fn sink, void *arg)
{
	struct out o = { sink, arg, NULL, 0, 0 };

	if (cte == MIME_CTE_IDENTITY) {
		/* No copy: the sink gets pieces of the input itself. */
		while (len) {
			size_t k = len > OUT_SIZE ? OUT_SIZE : len;
			int r = sink(arg, in, k);

			if (r)
				return r;
			in += k;
			len -= k;
		}
		return 0;
	}
	o.buf = malloc(OUT_SIZE);
	if (!o.buf)
		return -1;
	if (cte == MIME_CTE_BASE64)
		b64_decode(&o, (const unsigned char *)in,
		    (const unsigned char *)in + len);
	else
		qp_decode(&o, in, in + len);
	out_flush(&o);
	free(o.buf);
	return o.err;
}

static int
dbuf_sink(void *arg, const char *p, size_t n)
{
	return dbuf_add(arg, p, n) < 0 ? -1 : 0;
}

int
mime_decode_dbuf(enum mime_cte cte, const char *in, size_t len,
    struct dbuf *out)
{
	int r = mime_decode(cte, in, len, dbuf_sink, out);

	if (r) {
		dbuf_free(out);
		return -1;
	}
	/* An empty result still gets a NUL-terminated buffer. */
	return dbuf_add(out, "", 0);
}

int
mime_part_decode(const struct mime_part *p, mime_sink_fn sink, void *arg)
{
	return mime_decode(p->cte, p->body, p->bodylen, sink, arg);
}

int
mime_part_decode_dbuf(const struct mime_part *p, struct dbuf *out)
{
	return mime_decode_dbuf(p->cte, p->body, p->bodylen, out);
}
