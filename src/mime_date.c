/*
 * mime_date.c: RFC 5322 dates (3.3) with the obsolete forms of 4.3, plus
 * the asctime() order some old software writes ("Tue Jul  1 10:52:37
 * 2003"). Comments are skipped wherever whitespace may stand.
 *
 * Dates are turned into seconds with days-from-civil arithmetic, never
 * with mktime() or timegm(), which depend on the environment and on the
 * range of time_t.
 */
#include <stdio.h>
#include <string.h>

#include <pouch/mime_hdr.h>
#include <pouch/mime_lex.h>

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z, widened by a day. */
#define DATE_MIN (-62167219200LL - 86400)
#define DATE_MAX (253402300799LL + 86400)

struct cur {
	const char *s;
	size_t len, i;
};

static void
skip(struct cur *c)
{
	c->i = lex_skip_cfws(c->s, c->len, c->i);
}

static int
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int
is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* A run of at most maxd digits; -1 when there are none or too many. */
static long
number(struct cur *c, int *ndig, int maxd)
{
	long v = 0;
	int n = 0;

	skip(c);
	while (c->i < c->len && is_digit(c->s[c->i])) {
		if (++n > maxd)
			return -1;
		v = v * 10 + (c->s[c->i++] - '0');
	}
	if (ndig)
		*ndig = n;
	return n ? v : -1;
}

/* An alphabetic word, lowercased into w; its length, 0 when none. */
static size_t
word(struct cur *c, char *w, size_t wsz)
{
	size_t n = 0;

	skip(c);
	while (c->i < c->len && is_alpha(c->s[c->i])) {
		char ch = c->s[c->i++];

		if (n + 1 < wsz)
			w[n] = (char)(ch | 0x20);
		n++;
	}
	w[n < wsz ? n : wsz - 1] = '\0';
	return n;
}

static int
punct(struct cur *c, char p)
{
	skip(c);
	if (c->i < c->len && c->s[c->i] == p) {
		c->i++;
		return 1;
	}
	return 0;
}

static const char *const months[] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december",
};
static const char *const days[] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday",
};

/* Index in names of the abbreviation or full name w, or -1. */
static int
lookup(const char *w, size_t n, const char *const *names, int count)
{
	int k;

	if (n < 3)
		return -1;
	for (k = 0; k < count; k++)
		if (strncmp(w, names[k], 3) == 0 &&
		    (n == 3 || (n == strlen(names[k]) &&
		    strcmp(w, names[k]) == 0)))
			return k;
	return -1;
}

static int
leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(long y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 1 && leap(y) ? 29 : dm[m];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* RFC 5322 4.3: two digits are 1950-2049, three digits add 1900. */
static long
year_of(long v, int ndig)
{
	if (ndig == 2)
		return v < 50 ? v + 2000 : v + 1900;
	if (ndig == 3)
		return v + 1900;
	return v;
}

static int
parse_time(struct cur *c, int *h, int *mi, int *sec)
{
	long v;

	if ((v = number(c, NULL, 2)) < 0 || v > 23)
		return -1;
	*h = (int)v;
	if (!punct(c, ':') || (v = number(c, NULL, 2)) < 0 || v > 59)
		return -1;
	*mi = (int)v;
	*sec = 0;
	if (punct(c, ':')) {
		if ((v = number(c, NULL, 2)) < 0 || v > 60)
			return -1;
		*sec = (int)v;
	}
	return 0;
}

/* The zone, or 0 minutes when it is absent or a name nobody agrees on
 * (RFC 5322 4.3 says to read those as -0000). -1 when malformed. */
static int
parse_zone(struct cur *c, int *off)
{
	static const struct { const char *n; int h; } names[] = {
		{ "ut", 0 }, { "utc", 0 }, { "gmt", 0 }, { "z", 0 },
		{ "est", -5 }, { "edt", -4 }, { "cst", -6 }, { "cdt", -5 },
		{ "mst", -7 }, { "mdt", -6 }, { "pst", -8 }, { "pdt", -7 },
	};
	char w[16];
	size_t n, k;
	int sign, nd;
	long v;

	*off = 0;
	skip(c);
	if (c->i >= c->len)
		return 0;
	if (c->s[c->i] == '+' || c->s[c->i] == '-') {
		sign = c->s[c->i] == '-' ? -1 : 1;
		c->i++;
		if (c->i >= c->len || !is_digit(c->s[c->i]))
			return -1;
		v = number(c, &nd, 4);
		/* "+02:00" is not RFC 5322, but is written. */
		if (v >= 0 && nd == 2 && punct(c, ':')) {
			long mm = number(c, &nd, 2);

			if (mm < 0 || nd != 2)
				return -1;
			v = v * 100 + mm;
			nd = 4;
		}
		/* No zone is 24 hours or more away ("-3000"): such a date
		 * is unknown, not a wrong time. */
		if (v < 0 || nd != 4 || v / 100 > 23 || v % 100 > 59)
			return -1;
		*off = sign * (int)(v / 100 * 60 + v % 100);
		return 0;
	}
	n = word(c, w, sizeof w);
	for (k = 0; n && k < sizeof names / sizeof names[0]; k++)
		if (strcmp(w, names[k].n) == 0)
			*off = names[k].h * 60;
	return 0;
}

int
mime_hdr_date(const char *v, size_t len, int64_t *utc, int *offset_min)
{
	struct cur c = { v, len, 0 };
	char w[16];
	size_t n, save;
	long day, year;
	int mon, ndig, h, mi, sec, off;

	n = word(&c, w, sizeof w);
	/* A weekday, or any word before a comma (as Python's parsedate
	 * reads it: the weekday is not checked against the date). */
	if (n && (punct(&c, ',') || lookup(w, n, days, 7) >= 0)) {
		punct(&c, ',');
		save = c.i;
		n = word(&c, w, sizeof w);
		if (!n)
			c.i = save;
	}
	if (n) {
		/* asctime order: month day time year [zone] */
		if ((mon = lookup(w, n, months, 12)) < 0)
			return -1;
		if ((day = number(&c, NULL, 2)) < 0)
			return -1;
		if (parse_time(&c, &h, &mi, &sec) < 0)
			return -1;
		save = c.i;
		if ((year = number(&c, &ndig, 4)) < 0) {
			c.i = save;
			if (parse_zone(&c, &off) < 0 ||
			    (year = number(&c, &ndig, 4)) < 0)
				return -1;
		} else if (parse_zone(&c, &off) < 0)
			return -1;
	} else {
		if ((day = number(&c, NULL, 2)) < 0)
			return -1;
		punct(&c, '-');
		n = word(&c, w, sizeof w);
		if ((mon = lookup(w, n, months, 12)) < 0)
			return -1;
		punct(&c, '-');
		if ((year = number(&c, &ndig, 4)) < 0)
			return -1;
		if (parse_time(&c, &h, &mi, &sec) < 0 || parse_zone(&c, &off) < 0)
			return -1;
	}
	year = year_of(year, ndig);
	if (day < 1 || day > mdays(year, mon))
		return -1;
	*utc = days_from_civil(year, mon + 1, (int)day) * 86400 +
	    h * 3600 + mi * 60 + sec - (int64_t)off * 60;
	*offset_min = off;
	return 0;
}

void
mime_date_format(int64_t utc, int offset_min, char out[26])
{
	int64_t local, z, secs, y;
	int m, d, a;
	char tmp[96];

	/* Values no parse gives are clamped, so the arithmetic below can
	 * neither overflow nor print more than four year digits. */
	if (offset_min < -5999)
		offset_min = -5999;
	if (offset_min > 5999)
		offset_min = 5999;
	if (utc < DATE_MIN)
		utc = DATE_MIN;
	if (utc > DATE_MAX)
		utc = DATE_MAX;
	a = offset_min < 0 ? -offset_min : offset_min;
	local = utc + (int64_t)offset_min * 60;
	if (local < 0 - 62167219200LL)
		local = 0 - 62167219200LL;
	if (local > 253402300799LL)
		local = 253402300799LL;

	z = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	secs = local - z * 86400;
	civil_from_days(z, &y, &m, &d);
	snprintf(tmp, sizeof tmp, "%04lld-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
	    (long long)y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60),
	    (int)(secs % 60), offset_min < 0 ? '-' : '+', a / 60 % 100, a % 60);
	/* Only years past 9999 are longer; they are cut, never overrun. */
	memcpy(out, tmp, 25);
	out[25] = '\0';
}
