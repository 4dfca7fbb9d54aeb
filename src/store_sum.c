/*
 * store_sum.c: the header summary the store keeps per message, from the
 * in-tree MIME decoder (see store_priv.h).
 */
#include <stdlib.h>
#include <string.h>

#include <pouch/mime.h>
#include <pouch/util.h>

#include "store_priv.h"

/* n bytes of decoded text as a C string: a NUL becomes U+FFFD, so that
 * no reader sees a shorter string than the header held. */
static char *
text_dup(const char *p, size_t n)
{
	struct dbuf b;
	size_t i;

	dbuf_init(&b, 0);
	if (dbuf_adds(&b, "") < 0)
		return NULL;
	for (i = 0; i < n; i++)
		if ((p[i] ? dbuf_addc(&b, p[i]) : dbuf_adds(&b, "\xef\xbf\xbd")) < 0)
			return NULL;
	return dbuf_take(&b, NULL);
}

void
store_sum_free(struct store_sum *s)
{
	free(s->from_name);
	free(s->from_addr);
	free(s->subject);
	memset(s, 0, sizeof *s);
}

int
store_summarize(const char *buf, size_t len, struct store_sum *s)
{
	struct mime_part *root, *p;
	const struct mime_msg *m;

	memset(s, 0, sizeof *s);
	root = mime_parse(buf, len);
	if (!root)
		return -1;
	m = root->msg;
	if (m && m->nfrom > 0) {
		s->from_name = text_dup(m->from[0].name, m->from[0].name_len);
		s->from_addr = strdup(m->from[0].addr);
	} else {
		s->from_name = strdup("");
		s->from_addr = strdup("");
	}
	s->subject = m && m->subject ? text_dup(m->subject, m->subject_len) : strdup("");
	if (m && m->has_date) {
		s->date = m->date;
		s->has_date = 1;
	}
	for (p = root; p; p = mime_next(p))
		if (mime_is_attachment(p)) {
			s->attach = 1;
			break;
		}
	mime_free(root);
	if (!s->from_name || !s->from_addr || !s->subject) {
		store_sum_free(s);
		return -1;
	}
	return 0;
}
