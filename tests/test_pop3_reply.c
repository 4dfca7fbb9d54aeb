/* test_pop3_reply.c: the pure POP3 reply parser (pop3_reply.h). */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include <pouch/pop3_reply.h>

static const struct {
	const char *line;
	enum pop3_status_kind kind;
	const char *text;
} status_cases[] = {
	{ "+OK", POP3_STATUS_OK, "" },
	{ "+OK ", POP3_STATUS_OK, "" },
	{ "+OK 2 320", POP3_STATUS_OK, "2 320" },
	{ "+ok  hello there", POP3_STATUS_OK, "hello there" },
	{ "+OK\tx", POP3_STATUS_OK, "x" },
	{ "-ERR", POP3_STATUS_ERR, "" },
	{ "-ERR no such message", POP3_STATUS_ERR, "no such message" },
	{ "-err [AUTH] bad", POP3_STATUS_ERR, "[AUTH] bad" },
	{ "", POP3_STATUS_BAD, NULL },
	{ "+", POP3_STATUS_BAD, NULL },
	{ "+O", POP3_STATUS_BAD, NULL },
	{ "+OKAY", POP3_STATUS_BAD, NULL },
	{ "-ERROR", POP3_STATUS_BAD, NULL },
	{ "OK", POP3_STATUS_BAD, NULL },
	{ " +OK", POP3_STATUS_BAD, NULL },
	{ "* OK IMAP4rev1", POP3_STATUS_BAD, NULL },
	{ "HTTP/1.1 400 Bad Request", POP3_STATUS_BAD, NULL },
	{ "220 smtp.example ESMTP", POP3_STATUS_BAD, NULL },
	{ "+ ", POP3_STATUS_BAD, NULL },
};

static void
test_status(void)
{
	size_t i, t;

	for (i = 0; i < sizeof status_cases / sizeof status_cases[0]; i++) {
		const char *l = status_cases[i].line;
		enum pop3_status_kind k = pop3_reply_status(l, strlen(l), &t);

		is_int(k, status_cases[i].kind, "status \"%s\" kind", l);
		if (status_cases[i].text && k != POP3_STATUS_BAD)
			is_str(l + t, status_cases[i].text, "status \"%s\" text", l);
	}
}

static void
test_line(void)
{
	size_t len;

	is_int(pop3_reply_line("+OK\r\nrest", 9, &len), 5, "CRLF line taken");
	is_int(len, 3, "CRLF line length");
	is_int(pop3_reply_line("+OK\nrest", 8, &len), 4, "LF line taken");
	is_int(len, 3, "LF line length");
	is_int(pop3_reply_line("+OK\r", 4, &len), 0, "CR alone is no line end");
	is_int(pop3_reply_line("+OK\r\r\n", 6, &len), 6, "CRCRLF taken");
	is_int(len, 4, "one CR dropped of CRCRLF");
	is_int(pop3_reply_line("\n", 1, &len), 1, "empty line");
	is_int(len, 0, "empty line length");
	is_int(pop3_reply_line("", 0, &len), 0, "nothing");
}

/* Feed all of in, split into chunks at the given positions (sorted, may be
 * empty); returns the rc of the last feed and collects output. */
static enum pop3_body_rc
feed_split_flags(const char *in, size_t n, const size_t *cuts, size_t ncuts,
    size_t max_line, int flags, char *out, size_t *outlen, size_t *consumed)
{
	struct pop3_body b;
	enum pop3_body_rc rc = POP3_BODY_MORE;
	size_t pos = 0, k, o = 0;

	pop3_body_init(&b, max_line, flags);
	for (k = 0; k <= ncuts; k++) {
		size_t end = k < ncuts ? cuts[k] : n, used, ol;

		if (end < pos)
			continue;
		rc = pop3_body_feed(&b, in + pos, end - pos, out + o, &ol, &used);
		o += ol;
		if (rc == POP3_BODY_MORE && used != end - pos) {
			ok(0, "MORE consumed everything");
			break;
		}
		pos += used;
		if (rc != POP3_BODY_MORE)
			break;
	}
	*outlen = o;
	*consumed = pos;
	return rc;
}

static enum pop3_body_rc
feed_split(const char *in, size_t n, const size_t *cuts, size_t ncuts,
    size_t max_line, char *out, size_t *outlen, size_t *consumed)
{
	return feed_split_flags(in, n, cuts, ncuts, max_line, 0, out, outlen,
	    consumed);
}

static const struct {
	const char *name;
	const char *in;		/* wire bytes after the status line */
	const char *out;	/* unstuffed body */
	const char *rest;	/* what follows the terminator */
	enum pop3_body_rc rc;
} body_cases[] = {
	{ "empty body", ".\r\n", "", "", POP3_BODY_END },
	{ "empty body LF", ".\n", "", "", POP3_BODY_END },
	{ "one line", "a\r\n.\r\n", "a\r\n", "", POP3_BODY_END },
	{ "stuffed", "..a\r\n..\r\n...\r\n.\r\n", ".a\r\n.\r\n..\r\n", "", POP3_BODY_END },
	{ "dot mid-line", "a.b\r\n a.\r\n.\r\n", "a.b\r\n a.\r\n", "", POP3_BODY_END },
	{ "LF only", "x\ny\n..z\n.\n", "x\ny\n.z\n", "", POP3_BODY_END },
	{ "mixed endings", "x\r\ny\n.\r\n", "x\r\ny\n", "", POP3_BODY_END },
	{ "next reply after", "a\r\n.\r\n+OK next\r\n", "a\r\n", "+OK next\r\n", POP3_BODY_END },
	{ "dot then text is stuffed", ".x\r\n.\r\n", "x\r\n", "", POP3_BODY_END },
	{ "dot CR text", ".\rx\r\n.\r\n", "\rx\r\n", "", POP3_BODY_END },
	{ "blank lines", "\r\n\r\n.\r\n", "\r\n\r\n", "", POP3_BODY_END },
	{ "bare CR inside", "a\rb\r\n.\r\n", "a\rb\r\n", "", POP3_BODY_END },
	{ "no terminator", "a\r\nb\r\n", "a\r\nb\r\n", "", POP3_BODY_MORE },
	{ "dot without line end", "a\r\n.", "a\r\n", "", POP3_BODY_MORE },
	{ "dot CR without LF", "a\r\n.\r", "a\r\n", "", POP3_BODY_MORE },
	{ "terminator must start a line", "a.\r\n", "a.\r\n", "", POP3_BODY_MORE },
	{ "NUL bytes pass", "a\0b\r\n.\r\n", "a\0b\r\n", "", POP3_BODY_END },
};

static void
test_body_cases(void)
{
	size_t i, ol, used;
	char out[256];

	for (i = 0; i < sizeof body_cases / sizeof body_cases[0]; i++) {
		/* NUL inside: measure with the rest markers instead of strlen */
		const char *in = body_cases[i].in;
		size_t n = strlen(in), outn = strlen(body_cases[i].out);
		enum pop3_body_rc rc;

		if (strcmp(body_cases[i].name, "NUL bytes pass") == 0) {
			n = 8;
			outn = 5;
		}
		rc = feed_split(in, n, NULL, 0, 0, out, &ol, &used);
		is_int(rc, body_cases[i].rc, "%s: rc", body_cases[i].name);
		is_mem(out, ol, body_cases[i].out, outn, "%s: body", body_cases[i].name);
		is_mem(in + used, n - used, body_cases[i].rest,
		    strlen(body_cases[i].rest), "%s: rest", body_cases[i].name);
	}
}

/* Every split in one and two places of a body with the tricky lines must
 * give the same result as one chunk. */
static void
test_body_splits(void)
{
	static const char in[] = "Subject: x\r\n\r\n..dot\r\n..\r\n.\rcr\r\nlf\n"
	    "...\n\r\nend.\r\n.\r\n+OK";
	static const char want[] = "Subject: x\r\n\r\n.dot\r\n.\r\n\rcr\r\nlf\n"
	    "..\n\r\nend.\r\n";
	size_t n = sizeof in - 1, i, j, bad1 = 0, bad2 = 0, ol, used;
	char out[sizeof in + 8];

	for (i = 0; i <= n; i++) {
		size_t cut[1] = { i };
		enum pop3_body_rc rc = feed_split(in, n, cut, 1, 0, out, &ol, &used);

		if (rc != POP3_BODY_END || ol != sizeof want - 1 ||
		    memcmp(out, want, ol) != 0 || used != n - 3)
			bad1++;
	}
	is_int(bad1, 0, "body split at every position (%zu splits)", n + 1);
	for (i = 0; i <= n; i++)
		for (j = i; j <= n; j++) {
			size_t cut[2] = { i, j };
			enum pop3_body_rc rc = feed_split(in, n, cut, 2, 0, out, &ol, &used);

			if (rc != POP3_BODY_END || ol != sizeof want - 1 ||
			    memcmp(out, want, ol) != 0 || used != n - 3)
				bad2++;
		}
	is_int(bad2, 0, "body split at every pair of positions");

	/* byte by byte */
	{
		struct pop3_body b;
		size_t o = 0, k;
		enum pop3_body_rc rc = POP3_BODY_MORE;

		pop3_body_init(&b, 0, 0);
		for (k = 0; k < n && rc == POP3_BODY_MORE; k++) {
			rc = pop3_body_feed(&b, in + k, 1, out + o, &ol, &used);
			o += ol;
		}
		is_int(rc, POP3_BODY_END, "byte by byte ends");
		is_int(k, n - 3, "byte by byte stops at the terminator");
		is_mem(out, o, want, sizeof want - 1, "byte by byte body");
	}
}

/* Issue 9 item 1: in a session that has seen CRLF, a "." line ended by a
 * bare LF is message text (the server counts lines by CRLF and never stuffed
 * it); only CRLF "." CRLF ends the body. */
static const struct {
	const char *name;
	const char *in;
	const char *out;
	const char *rest;
	enum pop3_body_rc rc;
} crlf_cases[] = {
	{ "bare-LF dot is text", "x\n.\ny\r\n.\r\n", "x\n.\ny\r\n", "", POP3_BODY_END },
	{ "bare-LF dot dot is not stuffed", "x\n..y\r\n.\r\n", "x\n..y\r\n", "", POP3_BODY_END },
	{ "dot LF after CRLF is text", "x\r\n.\ny\r\n.\r\n", "x\r\n.\ny\r\n", "", POP3_BODY_END },
	{ "dot LF first is text", ".\nx\r\n.\r\n", ".\nx\r\n", "", POP3_BODY_END },
	{ "dot LF dot CRLF is one line", ".\n.\r\n", ".\n.\r\n", "", POP3_BODY_MORE },
	{ "CRLF stuffing still undone", "..a\r\n.\r\n", ".a\r\n", "", POP3_BODY_END },
	{ "empty body", ".\r\n+OK\r\n", "", "+OK\r\n", POP3_BODY_END },
	{ "only LF dots: no end", "a\n.\n", "a\n.\n", "", POP3_BODY_MORE },
	{ "CR CR LF line then end", "a\r\r\n.\r\n", "a\r\r\n", "", POP3_BODY_END },
};

static void
test_body_crlf(void)
{
	static const char in[] = "a\r\nx\n.\ny\r\n..z\n.\r\nw\r\n.\r\n+OK";
	static const char want[] = "a\r\nx\n.\ny\r\n.z\n.\r\nw\r\n";
	size_t i, ol, used, n = sizeof in - 1, bad = 0;
	char out[256];

	for (i = 0; i < sizeof crlf_cases / sizeof crlf_cases[0]; i++) {
		const char *c = crlf_cases[i].in;
		enum pop3_body_rc rc = feed_split_flags(c, strlen(c), NULL, 0, 0,
		    POP3_BODY_CRLF, out, &ol, &used);

		is_int(rc, crlf_cases[i].rc, "crlf %s: rc", crlf_cases[i].name);
		is_mem(out, ol, crlf_cases[i].out, strlen(crlf_cases[i].out),
		    "crlf %s: body", crlf_cases[i].name);
		is_mem(c + used, strlen(c) - used, crlf_cases[i].rest,
		    strlen(crlf_cases[i].rest), "crlf %s: rest", crlf_cases[i].name);
	}
	/* The same body ends early without the flag: the bug this mends. */
	feed_split_flags(in, n, NULL, 0, 0, 0, out, &ol, &used);
	is_mem(out, ol, "a\r\nx\n", 5, "without CRLF mode the bare-LF dot ends the body");
	for (i = 0; i <= n; i++) {
		size_t cut[1] = { i };
		enum pop3_body_rc rc = feed_split_flags(in, n, cut, 1, 0,
		    POP3_BODY_CRLF, out, &ol, &used);

		if (rc != POP3_BODY_END || ol != sizeof want - 1 ||
		    memcmp(out, want, ol) != 0 || used != n - 3)
			bad++;
	}
	is_int(bad, 0, "crlf: split at every position");
}

static void
test_body_cap(void)
{
	char in[3000], out[4001];
	size_t ol, used, cut[1];
	enum pop3_body_rc rc;

	memset(in, 'x', 1024);
	memcpy(in + 1024, "\r\n.\r\n", 5);
	/* 1024 x + CR = 1025 bytes before LF */
	rc = feed_split(in, 1029, NULL, 0, 1025, out, &ol, &used);
	is_int(rc, POP3_BODY_END, "line at the cap passes");
	rc = feed_split(in, 1029, NULL, 0, 1024, out, &ol, &used);
	is_int(rc, POP3_BODY_LONG, "line over the cap is LONG");
	cut[0] = 700;
	rc = feed_split(in, 1029, cut, 1, 1024, out, &ol, &used);
	is_int(rc, POP3_BODY_LONG, "line over the cap split in two is LONG");
	memset(in, 'y', sizeof in);
	rc = feed_split(in, sizeof in, NULL, 0, 1024, out, &ol, &used);
	is_int(rc, POP3_BODY_LONG, "endless line is LONG");
	rc = feed_split("..abc\r\n.\r\n", 10, NULL, 0, 5, out, &ol, &used);
	is_int(rc, POP3_BODY_END, "stuffed dot does not count toward the cap");
	rc = feed_split("abcde\n.\n", 8, NULL, 0, 4, out, &ol, &used);
	is_int(rc, POP3_BODY_LONG, "5 bytes over a cap of 4");
	/* many short lines never trip the cap */
	{
		char big[4000];
		size_t k;

		for (k = 0; k + 4 <= 3990; k += 4)
			memcpy(big + k, "abc\n", 4);
		memcpy(big + k, ".\n", 2);
		rc = feed_split(big, k + 2, NULL, 0, 8, out, &ol, &used);
		is_int(rc, POP3_BODY_END, "short lines under a small cap");
	}
}

static const struct {
	const char *text;
	int rc;
	unsigned long count;
	unsigned long long octets;
} stat_cases[] = {
	{ "2 320", 0, 2, 320 },
	{ "0 0", 0, 0, 0 },
	{ "2  320 messages", 0, 2, 320 },
	{ "  7\t99", 0, 7, 99 },
	{ "18446744073709551615 18446744073709551615", -1, 0, 0 },	/* count overflows on 32-bit only; see below */
	{ "1 18446744073709551616", -1, 0, 0 },
	{ "1 99999999999999999999999", -1, 0, 0 },
	{ "2", -1, 0, 0 },
	{ "2 ", -1, 0, 0 },
	{ "", -1, 0, 0 },
	{ "x 1", -1, 0, 0 },
	{ "-1 5", -1, 0, 0 },
	{ "+1 5", -1, 0, 0 },
	{ "1 5x", -1, 0, 0 },
	{ "1,5", -1, 0, 0 },
	{ "1 0x10", -1, 0, 0 },
};

static void
test_stat(void)
{
	size_t i;

	for (i = 0; i < sizeof stat_cases / sizeof stat_cases[0]; i++) {
		unsigned long c = 12345;
		unsigned long long o = 12345;
		const char *t = stat_cases[i].text;
		int rc = pop3_parse_stat(t, strlen(t), &c, &o);
		int want = stat_cases[i].rc;

		/* ULONG_MAX fits a 64-bit unsigned long: then only the
		 * octets decide, and they fit too. */
		if (i == 4 && sizeof(unsigned long) == 8)
			want = 0;
		is_int(rc, want, "STAT \"%s\"", t);
		if (stat_cases[i].rc == 0) {
			is_int(c, stat_cases[i].count, "STAT \"%s\" count", t);
			is_int(o, stat_cases[i].octets, "STAT \"%s\" octets", t);
		}
	}
	{
		unsigned long c;
		unsigned long long o;

		is_int(pop3_parse_stat("1 18446744073709551615", 22, &c, &o), 0,
		    "STAT octets at the limit");
		ok(o == 18446744073709551615ULL, "STAT octets max value");
	}
}

static const struct {
	const char *line;
	int rc;
	unsigned long n;
	unsigned long long size;
} list_cases[] = {
	{ "1 120", 0, 1, 120 },
	{ "3  4096", 0, 3, 4096 },
	{ "3 4096 extra", 0, 3, 4096 },
	{ "0 10", -1, 0, 0 },
	{ "1", -1, 0, 0 },
	{ "1 ", -1, 0, 0 },
	{ " 1 5", 0, 1, 5 },
	{ "1 -5", -1, 0, 0 },
	{ "1 5a", -1, 0, 0 },
	{ "a 5", -1, 0, 0 },
	{ "99999999999999999999999 5", -1, 0, 0 },
	{ "1 99999999999999999999999", -1, 0, 0 },
	{ "", -1, 0, 0 },
};

static const struct {
	const char *line;
	int rc;
	unsigned long n;
	const char *uid;
} uidl_cases[] = {
	{ "1 whqtswO00WBw418f9t5JxYwZ", 0, 1, "whqtswO00WBw418f9t5JxYwZ" },
	{ "2  abc", 0, 2, "abc" },
	{ "2 abc  trailing", 0, 2, "abc" },
	{ "2 !~", 0, 2, "!~" },
	{ "2", -1, 0, NULL },
	{ "2 ", -1, 0, NULL },
	{ "0 abc", -1, 0, NULL },
	{ "2 ab\x01" "c", -1, 0, NULL },
	{ "2 ab\x7f", -1, 0, NULL },
	{ "2 \xc3\xa9t\xc3\xa9", -1, 0, NULL },
	{ "x abc", -1, 0, NULL },
	{ "18446744073709551616 abc", -1, 0, NULL },
};

static void
test_list_uidl(void)
{
	size_t i, off, ulen;
	char longuid[POP3_UID_MAX + 3];

	for (i = 0; i < sizeof list_cases / sizeof list_cases[0]; i++) {
		unsigned long n = 0;
		unsigned long long sz = 0;
		const char *l = list_cases[i].line;
		int rc = pop3_parse_list(l, strlen(l), &n, &sz);

		is_int(rc, list_cases[i].rc, "LIST \"%s\"", l);
		if (list_cases[i].rc == 0 && rc == 0)
			ok(n == list_cases[i].n && sz == list_cases[i].size,
			    "LIST \"%s\" values", l);
	}
	for (i = 0; i < sizeof uidl_cases / sizeof uidl_cases[0]; i++) {
		unsigned long n = 0;
		const char *l = uidl_cases[i].line;
		int rc = pop3_parse_uidl(l, strlen(l), &n, &off, &ulen);

		is_int(rc, uidl_cases[i].rc, "UIDL case %zu", i);
		if (uidl_cases[i].rc == 0 && rc == 0) {
			is_int(n, uidl_cases[i].n, "UIDL case %zu n", i);
			is_mem(l + off, ulen, uidl_cases[i].uid,
			    strlen(uidl_cases[i].uid), "UIDL case %zu uid", i);
		}
	}
	/* Longer than RFC 1939's 70 octets: parsed whole (issue 9 item 5). */
	memcpy(longuid, "1 ", 2);
	memset(longuid + 2, 'u', sizeof longuid - 2);
	ok(pop3_parse_uidl(longuid, 2 + 300, &(unsigned long){0},
	    &off, &ulen) == 0 && off == 2 && ulen == 300, "uid of 300 octets");
	ok(pop3_parse_uidl(longuid, 2 + POP3_UID_MAX, &(unsigned long){0},
	    &off, &ulen) == 0 && ulen == POP3_UID_MAX, "uid of POP3_UID_MAX octets");
	is_int(pop3_parse_uidl(longuid, 3 + POP3_UID_MAX, &(unsigned long){0},
	    &off, &ulen), -1, "uid one octet too long");
	/* the parsers never read past len */
	is_int(pop3_parse_list("1 5", 2, &(unsigned long){0},
	    &(unsigned long long){0}), -1, "LIST stops at len");
}

static void
test_last(void)
{
	unsigned long n = 9;

	is_int(pop3_parse_last("0", 1, &n), 0, "LAST 0");
	is_int(n, 0, "LAST 0 value");
	is_int(pop3_parse_last("17 is the last", 14, &n), 0, "LAST 17 with words");
	is_int(n, 17, "LAST 17 value");
	is_int(pop3_parse_last("", 0, &n), -1, "LAST empty");
	is_int(pop3_parse_last("x", 1, &n), -1, "LAST garbage");
	is_int(pop3_parse_last("99999999999999999999", 20, &n), -1, "LAST overflow");
}

int
main(void)
{
	test_status();
	test_line();
	test_body_cases();
	test_body_splits();
	test_body_crlf();
	test_body_cap();
	test_stat();
	test_list_uidl();
	test_last();
	return done_testing();
}
