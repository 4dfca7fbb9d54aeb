/*
 * text_view.c: the text to show for a message or for one part (see
 * text.h). Picks the best text part, decodes it to UTF-8, renders HTML as
 * text, and runs the result through the terminal sanitiser.
 */
#include <stdlib.h>
#include <string.h>

#include <pouch/charset.h>
#include <pouch/mime.h>
#include <pouch/text.h>

enum { NONE, HTML, PLAIN };

static int
kind(const struct mime_part *p)
{
	if (!mime_is_leaf(p) || strncmp(p->type, "text/", 5) != 0)
		return NONE;
	/* A text file sent as an attachment is not the message's text. */
	if (p->disposition && strcmp(p->disposition, "attachment") == 0 &&
	    p->parent)
		return NONE;
	if (strcmp(p->type, "text/html") == 0)
		return HTML;
	if (strcmp(p->type, "text/plain") == 0 || p->parent == NULL ||
	    strcmp(p->type, "text/enriched") == 0)
		return PLAIN;
	return NONE;
}

/* The best text below p and its kind. Recursion is bounded by the tree's
 * depth limit (MIME_MAX_DEPTH). Encapsulated messages are not entered: a
 * forwarded message is an attachment, not this message's text. */
static const struct mime_part *
best(const struct mime_part *p, int *k)
{
	const struct mime_part *c, *got, *html = NULL;
	int ck;

	*k = kind(p);
	if (*k != NONE)
		return p;
	if (mime_is_leaf(p) || strncmp(p->type, "multipart/", 10) != 0)
		return NULL;
	if (strcmp(p->type, "multipart/alternative") == 0) {
		/* Plain text wins wherever it is listed; HTML only when
		 * there is no plain alternative. */
		for (c = p->child; c; c = c->next) {
			got = best(c, &ck);
			if (got && ck == PLAIN) {
				*k = PLAIN;
				return got;
			}
			if (got && !html)
				html = got;
		}
		*k = html ? HTML : NONE;
		return html;
	}
	/* mixed, related, signed, ...: the first part that has text. */
	for (c = p->child; c; c = c->next) {
		got = best(c, &ck);
		if (got) {
			*k = ck;
			return got;
		}
	}
	return NULL;
}

const struct mime_part *
text_best(const struct mime_part *root)
{
	int k;

	if (root->child && mime_type_encapsulates(root->type))
		root = root->child;
	return best(root, &k);
}

int
text_is_text(const struct mime_part *p)
{
	return mime_is_leaf(p) && strncmp(p->type, "text/", 5) == 0;
}

/* p's body as shown: decoded, UTF-8, HTML rendered, sanitised. NULL only
 * when memory ran out. */
static char *
show(const struct mime_part *p, size_t *len)
{
	struct dbuf body;
	char *u, *h, *s;
	size_t ulen, hlen;

	dbuf_init(&body, 0);
	if (mime_part_decode_dbuf(p, &body) < 0)
		return NULL;
	u = charset_to_utf8(p->charset, body.p ? body.p : "", body.len, &ulen);
	dbuf_free(&body);
	if (!u)
		return NULL;
	if (strcmp(p->type, "text/html") == 0) {
		h = text_html_to_text(u, ulen, &hlen);
		free(u);
		if (!h)
			return NULL;
		u = h;
		ulen = hlen;
	}
	s = text_sanitize(u, ulen, TEXT_BODY, len);
	free(u);
	return s;
}

char *
text_message(const struct mime_part *root, size_t *len,
    const struct mime_part **chosen)
{
	const struct mime_part *p = text_best(root);
	char *s;

	if (chosen)
		*chosen = p;
	*len = 0;
	if (!p)
		return strdup("");
	s = show(p, len);
	if (!s)
		*len = 0;
	return s;
}

char *
text_part(const struct mime_part *p, size_t *len)
{
	char *s;

	*len = 0;
	if (!text_is_text(p))
		return NULL;
	s = show(p, len);
	if (!s)
		*len = 0;
	return s;
}
