/* test_mime_cte.c: transfer-encoding decoders and SHA-256, as tables. */
#include <stdlib.h>
#include <string.h>

#include <pouch/mime.h>
#include <pouch/sha256.h>
#include "tap.h"

struct cte_case {
	enum mime_cte cte;
	const char *in;
	size_t inlen;	/* 0: strlen(in) */
	const char *want;
	size_t wantlen;	/* 0: strlen(want) */
	const char *name;
};

#define S(x) x, sizeof(x) - 1

static const struct cte_case cases[] = {
	{ MIME_CTE_BASE64, "", 0, "", 0, "b64 empty" },
	{ MIME_CTE_BASE64, "aGVsbG8=", 0, "hello", 0, "b64 padded" },
	{ MIME_CTE_BASE64, "aGVsbG8", 0, "hello", 0, "b64 missing padding" },
	{ MIME_CTE_BASE64, "aGVsbA==", 0, "hell", 0, "b64 double pad" },
	{ MIME_CTE_BASE64, "aGVsbA", 0, "hell", 0, "b64 double pad missing" },
	{ MIME_CTE_BASE64, "aGVsbG8gd29ybGQ", 0, "hello world", 0, "b64 11 bytes" },
	{ MIME_CTE_BASE64, "aGVs\r\nbG8=\r\n", 0, "hello", 0, "b64 CRLF inside" },
	{ MIME_CTE_BASE64, "a G\tV*s!b\nG 8", 0, "hello", 0, "b64 garbage ignored" },
	{ MIME_CTE_BASE64, "aGVsbG8=d29ybGQ=", 0, "hello", 0, "b64 ends at padding" },
	{ MIME_CTE_BASE64, "aGVsbG8x", 0, "hello1", 0, "b64 exact quads" },
	{ MIME_CTE_BASE64, "aGVsbG8xZ", 0, "hello1", 0, "b64 single leftover dropped" },
	{ MIME_CTE_BASE64, "////", 0, "\xff\xff\xff", 0, "b64 high bytes" },
	{ MIME_CTE_BASE64, "+/+/", 0, "\xfb\xff\xbf", 0, "b64 plus slash" },
	{ MIME_CTE_BASE64, S("AAA="), S("\0\0"), "b64 NULs" },
	{ MIME_CTE_BASE64, "=aGVsbG8=", 0, "", 0, "b64 leading pad ends" },
	{ MIME_CTE_BASE64, "\xc3\xa9" "aGVsbG8=", 0, "hello", 0, "b64 8-bit garbage" },
	{ MIME_CTE_QP, "", 0, "", 0, "qp empty" },
	{ MIME_CTE_QP, "caf=C3=A9", 0, "caf\xc3\xa9", 0, "qp upper hex" },
	{ MIME_CTE_QP, "caf=c3=a9", 0, "caf\xc3\xa9", 0, "qp lower hex" },
	{ MIME_CTE_QP, "a=\r\nb\r\n", 0, "ab\r\n", 0, "qp soft break CRLF" },
	{ MIME_CTE_QP, "a=\nb\n", 0, "ab\n", 0, "qp soft break LF" },
	{ MIME_CTE_QP, "a  \t\r\nb\t\n", 0, "a\r\nb\n", 0, "qp transport padding" },
	{ MIME_CTE_QP, "a= \t\nb", 0, "ab", 0, "qp soft break then padding" },
	{ MIME_CTE_QP, "1+1=2\n", 0, "1+1=2\n", 0, "qp literal =" },
	{ MIME_CTE_QP, "=G1=4", 0, "=G1=4", 0, "qp bad hex kept" },
	{ MIME_CTE_QP, "a==41", 0, "a=A", 0, "qp = before escape" },
	{ MIME_CTE_QP, "x=\n", 0, "x", 0, "qp soft break at end" },
	{ MIME_CTE_QP, "x=", 0, "x", 0, "qp trailing = without newline" },
	{ MIME_CTE_QP, "x \n y", 0, "x\n y", 0, "qp leading space kept" },
	{ MIME_CTE_QP, "a\r\n\r\nb", 0, "a\r\n\r\nb", 0, "qp blank lines kept" },
	{ MIME_CTE_QP, S("=00=FF"), S("\0\xff"), "qp NUL and FF" },
	{ MIME_CTE_QP, "a=\r\n", 0, "a", 0, "qp soft CRLF at end" },
	{ MIME_CTE_QP, "a\rb\n", 0, "a\rb\n", 0, "qp bare CR kept" },
	{ MIME_CTE_IDENTITY, "a=41\r\n", 0, "a=41\r\n", 0, "identity" },
	{ MIME_CTE_IDENTITY, S("\0\x01\xff"), S("\0\x01\xff"), "identity binary" },
};

static const struct {
	const char *tok;
	enum mime_cte want;
} tokens[] = {
	{ "base64", MIME_CTE_BASE64 }, { "BASE64", MIME_CTE_BASE64 },
	{ "  Base64 \t", MIME_CTE_BASE64 }, { "quoted-printable", MIME_CTE_QP },
	{ "Quoted-Printable", MIME_CTE_QP }, { "7bit", MIME_CTE_IDENTITY },
	{ "8bit", MIME_CTE_IDENTITY }, { "binary", MIME_CTE_IDENTITY },
	{ "x-uuencode", MIME_CTE_IDENTITY }, { "base64x", MIME_CTE_IDENTITY },
	{ "", MIME_CTE_IDENTITY }, { NULL, MIME_CTE_IDENTITY },
};

static const struct {
	const char *in;
	const char *hex;
} shas[] = {
	{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
};

struct count_sink {
	size_t calls, bytes, maxpiece;
	struct dbuf all;
};

static int
count_sink(void *arg, const char *p, size_t n)
{
	struct count_sink *c = arg;

	c->calls++;
	c->bytes += n;
	if (n > c->maxpiece)
		c->maxpiece = n;
	return dbuf_add(&c->all, p, n) < 0 ? -1 : 0;
}

static int
stop_sink(void *arg, const char *p, size_t n)
{
	(void)p;
	(void)n;
	++*(int *)arg;
	return 42;
}

/* A reference base64 encoder for the round trips. */
static char *
b64_encode(const unsigned char *p, size_t n, size_t *outlen, int wrap)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct dbuf b;
	size_t i, col = 0;

	dbuf_init(&b, 0);
	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = a[v >> 18 & 63];
		q[1] = a[v >> 12 & 63];
		q[2] = i + 1 < n ? a[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? a[v & 63] : '=';
		dbuf_add(&b, q, 4);
		col += 4;
		if (wrap && col == 76) {
			dbuf_add(&b, "\r\n", 2);
			col = 0;
		}
	}
	return dbuf_take(&b, outlen);
}

int
main(void)
{
	size_t i, n;
	char hex[65];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cte_case *c = &cases[i];
		struct dbuf out;
		size_t il = c->inlen ? c->inlen : strlen(c->in);
		size_t wl = c->wantlen ? c->wantlen : strlen(c->want);

		dbuf_init(&out, 0);
		is_int(mime_decode_dbuf(c->cte, c->in, il, &out), 0, "%s: ok", c->name);
		is_mem(out.p, out.len, c->want, wl, "%s", c->name);
		dbuf_free(&out);
	}
	for (i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
		is_int(mime_cte_from_token(tokens[i].tok), tokens[i].want,
		    "token \"%s\"", tokens[i].tok ? tokens[i].tok : "(null)");
	for (i = 0; i < sizeof(shas) / sizeof(shas[0]); i++) {
		sha256_hex(shas[i].in, strlen(shas[i].in), hex);
		is_str(hex, shas[i].hex, "sha256 \"%.10s\"", shas[i].in);
	}
	{
		/* A million 'a's, fed in odd pieces through the stream API. */
		struct sha256 s;
		char chunk[997];

		memset(chunk, 'a', sizeof(chunk));
		sha256_init(&s);
		for (n = 0; n + sizeof(chunk) <= 1000000; n += sizeof(chunk))
			sha256_update(&s, chunk, sizeof(chunk));
		sha256_update(&s, chunk, 1000000 - n);
		sha256_final_hex(&s, hex);
		is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
		    "sha256 million a");
	}
	{
		/* Round trips across the 64 KiB output pieces, every length
		 * near the chunk edges, wrapped and unwrapped. */
		size_t lens[] = { 1, 2, 3, 65535, 65536, 65537, 87380, 200001 };
		unsigned char *raw = malloc(200001);
		unsigned seed = 1;

		for (n = 0; n < 200001; n++) {
			seed = seed * 1103515245 + 12345;
			raw[n] = (unsigned char)(seed >> 16);
		}
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			int wrap;

			for (wrap = 0; wrap < 2; wrap++) {
				struct count_sink cs = { 0, 0, 0, { 0 } };
				size_t el;
				char *enc = b64_encode(raw, lens[i], &el, wrap);

				dbuf_init(&cs.all, 0);
				is_int(mime_decode(MIME_CTE_BASE64, enc, el, count_sink, &cs), 0,
				    "b64 round trip %zu wrap %d: ok", lens[i], wrap);
				is_mem(cs.all.p, cs.all.len, raw, lens[i],
				    "b64 round trip %zu wrap %d", lens[i], wrap);
				ok(cs.maxpiece <= 65536, "pieces at most 64 KiB (%zu)", cs.maxpiece);
				dbuf_free(&cs.all);
				free(enc);
			}
		}
		{
			/* QP of every byte value, long lines, soft breaks. */
			struct dbuf enc, out;
			size_t col = 0;

			dbuf_init(&enc, 0);
			for (n = 0; n < 200001; n++) {
				char e[4];

				snprintf(e, sizeof(e), "=%02X", raw[n]);
				dbuf_add(&enc, e, 3);
				if ((col += 3) >= 72) {
					dbuf_add(&enc, "=\r\n", 3);
					col = 0;
				}
			}
			dbuf_init(&out, 0);
			is_int(mime_decode_dbuf(MIME_CTE_QP, enc.p, enc.len, &out), 0, "qp round trip ok");
			is_mem(out.p, out.len, raw, 200001, "qp round trip");
			dbuf_free(&out);
			dbuf_free(&enc);
		}
		free(raw);
	}
	{
		/* Lines longer than the output buffer take the careful path. */
		struct dbuf enc, out, want;

		dbuf_init(&enc, 0);
		dbuf_init(&want, 0);
		for (n = 0; n < 100000; n++) {
			dbuf_adds(&enc, n % 3 ? "=41" : "b");
			dbuf_addc(&want, n % 3 ? 'A' : 'b');
		}
		dbuf_adds(&enc, "  =\r\n=3d \t\r\n");
		dbuf_adds(&want, "  =\r\n");	/* spaces before a soft break stay */
		dbuf_init(&out, 0);
		is_int(mime_decode_dbuf(MIME_CTE_QP, enc.p, enc.len, &out), 0, "qp long line ok");
		is_mem(out.p, out.len, want.p, want.len, "qp 233 KB line, soft break, padding");
		dbuf_free(&out);
		dbuf_free(&enc);
		dbuf_free(&want);
	}
	{
		int calls = 0;
		char big[100000];

		memset(big, 'A', sizeof(big));
		is_int(mime_decode(MIME_CTE_BASE64, big, sizeof(big), stop_sink, &calls), 42,
		    "a sink's stop value is returned");
		is_int(calls, 1, "and no call after it");
		calls = 0;
		is_int(mime_decode(MIME_CTE_IDENTITY, big, sizeof(big), stop_sink, &calls), 42,
		    "identity: stop value returned");
		is_int(calls, 1, "identity: no call after it");
	}
	{
		struct dbuf capped;

		dbuf_init(&capped, 4);
		is_int(mime_decode_dbuf(MIME_CTE_BASE64, "aGVsbG8=", 8, &capped), -1,
		    "decode past a dbuf cap fails");
		ok(capped.p == NULL && capped.len == 0, "and leaves the buffer empty");
	}
	return done_testing();
}
