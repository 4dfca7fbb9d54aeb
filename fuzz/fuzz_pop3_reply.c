/*
 * fuzz_pop3_reply.c: drives the POP3 reply parser with arbitrary server
 * output. The first byte picks chunk sizes, so that splits are explored too;
 * checks that the unstuffed body never grows past its input and that the
 * chunked result equals the one-chunk result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/pop3_reply.h>

static void
lines(const char *p, size_t n)
{
	size_t take, len, off, ulen;
	unsigned long v;
	unsigned long long ull;

	while ((take = pop3_reply_line(p, n, &len)) > 0) {
		pop3_reply_status(p, len, &off);
		if (off > len)
			abort();
		pop3_parse_stat(p + off, len - off, &v, &ull);
		pop3_parse_last(p + off, len - off, &v);
		pop3_parse_list(p, len, &v, &ull);
		if (pop3_parse_uidl(p, len, &v, &off, &ulen) == 0 &&
		    (off + ulen > len || ulen == 0 || ulen > POP3_UID_MAX))
			abort();
		p += take;
		n -= take;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in;
	char *one, *chunked;
	size_t n, step, ol1, used1, pos = 0, o = 0, cap;
	struct pop3_body b;
	enum pop3_body_rc rc1, rc = POP3_BODY_MORE;

	if (size < 2)
		return 0;
	step = (size_t)data[0] % 17 + 1;
	cap = data[1] % 4 == 0 ? 0 : (size_t)data[1] * 4;
	in = (const char *)data + 2;
	n = size - 2;
	lines(in, n);

	one = malloc(n + 1);
	chunked = malloc(n + 1);
	if (!one || !chunked)
		abort();
	pop3_body_init(&b, cap, data[0] & 0x80 ? POP3_BODY_CRLF : 0);
	rc1 = pop3_body_feed(&b, in, n, one, &ol1, &used1);
	if (ol1 > used1 || used1 > n)
		abort();

	pop3_body_init(&b, cap, data[0] & 0x80 ? POP3_BODY_CRLF : 0);
	while (pos < n) {
		size_t k = n - pos < step ? n - pos : step, ol, used;

		rc = pop3_body_feed(&b, in + pos, k, chunked + o, &ol, &used);
		if (used > k || o + ol > pos + used + 1)
			abort();
		o += ol;
		pos += used;
		if (rc != POP3_BODY_MORE)
			break;
	}
	if (rc != rc1)
		abort();
	if (rc != POP3_BODY_LONG && (o != ol1 || pos != used1 ||
	    memcmp(one, chunked, o) != 0))
		abort();
	free(one);
	free(chunked);
	return 0;
}
