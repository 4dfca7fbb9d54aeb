/* test_date.c: mime_hdr_date and mime_date_format. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pouch/mime_hdr.h>
#include "tap.h"

static const struct {
	const char *v;
	const char *want;	/* NULL: unparsable */
} cases[] = {
	{ "Tue, 1 Jul 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00" },
	{ "Tue, 01 Jul 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00" },
	{ "1 Jul 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00" },
	{ "Tue, 1 Jul 2003 10:52 +0200", "2003-07-01T10:52:00+02:00" },
	{ "Tue, 1 Jul 2003 10:52:37 -0730", "2003-07-01T10:52:37-07:30" },
	{ "Tue, 1 Jul 2003 10:52:37 +0000", "2003-07-01T10:52:37+00:00" },
	{ "Tue, 1 Jul 2003 10:52:37 -0000", "2003-07-01T10:52:37+00:00" },
	{ "Tue, 1 Jul 2003 10:52:37 GMT", "2003-07-01T10:52:37+00:00" },
	{ "Tue, 1 Jul 2003 10:52:37 UT", "2003-07-01T10:52:37+00:00" },
	{ "Tue, 1 Jul 2003 10:52:37 UTC", "2003-07-01T10:52:37+00:00" },
	{ "Tue, 1 Jul 2003 10:52:37 EST", "2003-07-01T10:52:37-05:00" },
	{ "Tue, 1 Jul 2003 10:52:37 EDT", "2003-07-01T10:52:37-04:00" },
	{ "Tue, 1 Jul 2003 10:52:37 CST", "2003-07-01T10:52:37-06:00" },
	{ "Tue, 1 Jul 2003 10:52:37 CDT", "2003-07-01T10:52:37-05:00" },
	{ "Tue, 1 Jul 2003 10:52:37 MST", "2003-07-01T10:52:37-07:00" },
	{ "Tue, 1 Jul 2003 10:52:37 MDT", "2003-07-01T10:52:37-06:00" },
	{ "Tue, 1 Jul 2003 10:52:37 PST", "2003-07-01T10:52:37-08:00" },
	{ "Tue, 1 Jul 2003 10:52:37 pdt", "2003-07-01T10:52:37-07:00" },
	{ "Tue, 1 Jul 2003 10:52:37 Z", "2003-07-01T10:52:37+00:00" },
	{ "Tue, 1 Jul 2003 10:52:37 A", "2003-07-01T10:52:37+00:00" },
	{ "Tue, 1 Jul 2003 10:52:37 M", "2003-07-01T10:52:37+00:00" },
	{ "Tue, 1 Jul 2003 10:52:37 CEST", "2003-07-01T10:52:37+00:00" },
	{ "Tue, 1 Jul 2003 10:52:37", "2003-07-01T10:52:37+00:00" },
	{ "Tue, 1 Jul 2003 10:52:37 +0200 (CEST)", "2003-07-01T10:52:37+02:00" },
	{ "(c) Tue,(c) 1 (c)Jul 2003 10:52:37 (c)+0200", "2003-07-01T10:52:37+02:00" },
	{ "Tue,\r\n 1 Jul 2003\r\n\t10:52:37 +0200", "2003-07-01T10:52:37+02:00" },
	{ "Tuesday, 1 July 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00" },
	{ "tue, 1 jul 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00" },
	{ "Tue 1 Jul 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00" },
	{ "Mon, 1 Jul 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00" },
	{ "Dienstag, 1 Jul 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00" },
	{ "Foo 1 Jul 2003 10:52:37 +0200", NULL },
	{ "1 Jul 2003 10:52:37 +02:00", "2003-07-01T10:52:37+02:00" },
	/* two- and three-digit years (RFC 5322 4.3) */
	{ "1 Jul 03 10:52:37 +0200", "2003-07-01T10:52:37+02:00" },
	{ "1 Jul 49 10:52:37 +0200", "2049-07-01T10:52:37+02:00" },
	{ "1 Jul 50 10:52:37 +0200", "1950-07-01T10:52:37+02:00" },
	{ "1 Jul 99 10:52:37 +0200", "1999-07-01T10:52:37+02:00" },
	{ "1 Jul 103 10:52:37 +0200", "2003-07-01T10:52:37+02:00" },
	{ "1-Jul-2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00" },
	/* asctime order */
	{ "Tue Jul  1 10:52:37 2003", "2003-07-01T10:52:37+00:00" },
	{ "Tue Jul  1 10:52:37 +0200 2003", "2003-07-01T10:52:37+02:00" },
	/* month boundaries and leap years */
	{ "29 Feb 2004 00:00:00 +0000", "2004-02-29T00:00:00+00:00" },
	{ "29 Feb 2000 00:00:00 +0000", "2000-02-29T00:00:00+00:00" },
	{ "29 Feb 1900 00:00:00 +0000", NULL },
	{ "29 Feb 2003 00:00:00 +0000", NULL },
	{ "31 Apr 2003 00:00:00 +0000", NULL },
	{ "31 Dec 1999 23:59:59 -1200", "1999-12-31T23:59:59-12:00" },
	{ "1 Jan 1970 00:00:00 +1400", "1970-01-01T00:00:00+14:00" },
	{ "1 Jan 1900 00:00:00 +0000", "1900-01-01T00:00:00+00:00" },
	{ "31 Dec 9999 23:59:59 +0000", "9999-12-31T23:59:59+00:00" },
	/* out of range and garbage */
	{ "0 Jul 2003 10:52:37 +0200", NULL },
	{ "32 Jul 2003 10:52:37 +0200", NULL },
	{ "1 Jux 2003 10:52:37 +0200", NULL },
	{ "1 Jul 2003 24:00:00 +0200", NULL },
	{ "1 Jul 2003 10:60:00 +0200", NULL },
	{ "1 Jul 2003 10:52:61 +0200", NULL },
	{ "1 Jul 2003 10:52:37 +0260", NULL },
	/* no zone is 24 hours away: the date is unknown, not wrong */
	{ "1 Jul 2003 10:52:37 -3000", NULL },
	{ "1 Jul 2003 10:52:37 +2400", NULL },
	{ "1 Jul 2003 10:52:37 +9959", NULL },
	{ "1 Jul 2003 10:52:37 +30:00", NULL },
	{ "1 Jul 2003 10:52:37 -2359", "2003-07-01T10:52:37-23:59" },
	{ "1 Jul 2003 10:52:37 +2359", "2003-07-01T10:52:37+23:59" },
	{ "1 Jul 2003 10:52:37 +02", NULL },
	{ "1 Jul 2003 10:52:37 +020000", NULL },
	{ "1 Jul 12003 10:52:37 +0200", NULL },
	{ "1 Jul 2003", NULL },
	{ "1 Jul 2003 10", NULL },
	{ "1 Jul 2003 10:", NULL },
	{ "Tue,", NULL },
	{ "", NULL },
	{ "garbage", NULL },
	{ "(unterminated comment", NULL },
	{ "99999999999999999999 Jul 2003 10:52:37", NULL },
	{ "Tue, 1 Jul 2003 10:52:37 +", NULL },
	{ "Tue, 1 Jul 2003 10:52:37 - 0200", NULL },
};

static const struct {
	int64_t utc;
	int off;
	const char *want;
} fmt_cases[] = {
	{ 0, 0, "1970-01-01T00:00:00+00:00" },
	{ 0, -60, "1969-12-31T23:00:00-01:00" },
	{ 1057049557, 120, "2003-07-01T10:52:37+02:00" },
	{ -1, 0, "1969-12-31T23:59:59+00:00" },
	{ 951782400, 0, "2000-02-29T00:00:00+00:00" },
	{ 0, 330, "1970-01-01T05:30:00+05:30" },
	{ 0, -570, "1969-12-31T14:30:00-09:30" },
	{ INT64_MAX, 0, "9999-12-31T23:59:59+00:00" },
	{ INT64_MIN, 0, "0000-01-01T00:00:00+00:00" },
	{ 0, 1000000, "1970-01-05T03:59:00+99:59" },
	{ INT64_MAX, -1000000, "9999-12-28T20:00:59-99:59" },
};

int
main(void)
{
	int64_t utc;
	char out[26], *big;
	size_t i, n;
	clock_t t0;
	int off, r;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		utc = 0;
		off = 0;
		r = mime_hdr_date(cases[i].v, strlen(cases[i].v), &utc, &off);
		if (cases[i].want == NULL) {
			is_int(r, -1, "date %zu unparsable", i);
			continue;
		}
		if (!ok(r == 0, "date %zu parsed", i))
			continue;
		mime_date_format(utc, off, out);
		is_str(out, cases[i].want, "date %zu formatted", i);
	}
	r = mime_hdr_date("Tue, 1 Jul 2003 10:52:37 +0200", 30, &utc, &off);
	is_int(utc, 1057049557, "utc of the example");
	is_int(off, 120, "offset of the example");
	r = mime_hdr_date("Tue, 1 Jul 2003 10:52:37 EST", 28, &utc, &off);
	is_int(utc, 1057074757, "utc with a zone name");
	/* the length is honoured: no reading past it */
	r = mime_hdr_date("1 Jul 2003 10:52:37 +0200", 18, &utc, &off);
	ok(r == 0 && utc == 1057056723, "length cut inside the seconds");
	for (i = 0; i < sizeof fmt_cases / sizeof fmt_cases[0]; i++) {
		mime_date_format(fmt_cases[i].utc, fmt_cases[i].off, out);
		is_str(out, fmt_cases[i].want, "format %zu", i);
	}

	n = 100000;
	big = malloc(n);
	if (!big)
		return 1;
	t0 = clock();
	memset(big, '(', n);
	is_int(mime_hdr_date(big, n, &utc, &off), -1, "100 KB of '('");
	memset(big, '1', n);
	is_int(mime_hdr_date(big, n, &utc, &off), -1, "100 KB of digits");
	memset(big, 'a', n);
	is_int(mime_hdr_date(big, n, &utc, &off), -1, "100 KB of letters");
	for (i = 0; i < n; i++)
		big[i] = "(a)"[i % 3];
	is_int(mime_hdr_date(big, n, &utc, &off), -1, "100 KB of comments");
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0, "hostile inputs took under 2 s");
	free(big);
	return done_testing();
}
