/*
 * text.c: text_sanitize (see text.h). HTML rendering is in text_html.c.
 *
 * Everything that is not known to be inert is shown, not dropped, so a
 * reader sees that a message tried something; only invalid UTF-8 becomes
 * U+FFFD, since there is no character to show.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pouch/charset.h>
#include <pouch/text.h>
#include <pouch/util.h>

char *
text_sanitize(const char *s, size_t len, int flags, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	struct dbuf b;
	size_t i = 0, start, n, bad;
	uint32_t cp;
	char esc[16];
	int r = 0;

	dbuf_init(&b, 0);
	while (i < len && r == 0) {
		/* The common case in one copy: printable ASCII and UTF-8. */
		start = i;
		while (i < len) {
			if (p[i] >= 0x20 && p[i] < 0x7f) {
				i++;
				continue;
			}
			if (p[i] < 0x80)
				break;
			n = utf8_next(s + i, len - i, &cp, &bad);
			if (n == 0 || utf8_unsafe_cp(cp))
				break;
			i += n;
		}
		if (i > start)
			r = dbuf_add(&b, s + start, i - start);
		if (i >= len || r < 0)
			break;
		if (p[i] >= 0x80) {
			n = utf8_next(s + i, len - i, &cp, &bad);
			if (n == 0) {
				r = dbuf_add(&b, "\xef\xbf\xbd", 3);
				i += bad;
			} else {
				snprintf(esc, sizeof esc, "<U+%04X>", (unsigned)cp);
				r = dbuf_adds(&b, esc);
				i += n;
			}
			continue;
		}
		switch (p[i]) {
		case '\n':
			r = (flags & TEXT_KEEP_LF) ? dbuf_addc(&b, '\n') : dbuf_addc(&b, ' ');
			i++;
			break;
		case '\r':
			if (i + 1 < len && p[i + 1] == '\n') {
				/* CR LF is one line break (or one space). */
				i++;
				break;
			}
			r = dbuf_add(&b, "^M", 2);
			i++;
			break;
		case '\t':
			r = dbuf_addc(&b, (flags & TEXT_KEEP_TAB) ? '\t' : ' ');
			i++;
			break;
		case 0x7f:
			r = dbuf_add(&b, "^?", 2);
			i++;
			break;
		default:
			esc[0] = '^';
			esc[1] = (char)(p[i] + 0x40);
			r = dbuf_add(&b, esc, 2);
			i++;
			break;
		}
	}
	if (r < 0)
		return NULL;
	return dbuf_take(&b, outlen);
}
