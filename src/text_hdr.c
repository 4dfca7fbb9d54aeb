/*
 * text_hdr.c: header fields as the pager shows them (see text.h): each
 * value unfolded, its encoded words decoded, raw 8-bit read as UTF-8
 * (mime_hdr_text_n, the decoder's reading of Subject), then made one safe
 * line. The fields themselves are found by mime_header_next, so a fold
 * that lost its indentation belongs to its field here as in the tree.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pouch/mime.h>
#include <pouch/mime_hdr.h>
#include <pouch/text.h>

/* One value as shown; NULL only when memory ran out. */
static char *
field_value(const struct mime_field *f, size_t *len)
{
	char *t, *s;
	size_t tlen, a = 0;

	t = mime_hdr_text_n(f->value, f->value_len, &tlen);
	if (!t)
		return NULL;
	s = text_sanitize(t, tlen, TEXT_ONELINE, len);
	free(t);
	if (!s)
		return NULL;
	/* Folds and tabs became spaces; none is worth showing at the ends. */
	while (*len && s[*len - 1] == ' ')
		s[--*len] = '\0';
	while (a < *len && s[a] == ' ')
		a++;
	if (a) {
		memmove(s, s + a, *len - a + 1);
		*len -= a;
	}
	return s;
}

size_t
text_fields(const struct mime_part *p, struct text_field **out)
{
	struct text_field *v = NULL, *nv;
	struct mime_field f;
	size_t n = 0, cap = 0, pos = 0;

	*out = NULL;
	while (mime_header_next(p->hdr, p->hdrlen, &pos, &f)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof *v);
			if (!nv)
				goto fail;
			v = nv;
		}
		v[n].name = f.name;
		v[n].name_len = f.name_len;
		v[n].value = field_value(&f, &v[n].value_len);
		if (!v[n].value)
			goto fail;
		n++;
	}
	*out = v;
	return n;
fail:
	text_fields_free(v, n);
	return (size_t)-1;
}

void
text_fields_free(struct text_field *f, size_t n)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < n; i++)
		free(f[i].value);
	free(f);
}

int
text_field(const struct mime_part *p, const char *name, char **value,
    size_t *len)
{
	struct mime_field f;
	size_t pos = 0, nlen = strlen(name), n;

	*value = NULL;
	while (mime_header_next(p->hdr, p->hdrlen, &pos, &f)) {
		if (f.name_len != nlen || strncasecmp(f.name, name, nlen) != 0)
			continue;
		*value = field_value(&f, &n);
		if (!*value)
			return -1;
		if (len)
			*len = n;
		return 1;
	}
	return 0;
}
