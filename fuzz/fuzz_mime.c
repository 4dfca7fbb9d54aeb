/*
 * fuzz_mime.c: the whole decoder over one input: parse, walk, decode every
 * part, the mime-dump/1 JSON, the best text (which runs the sanitiser), the
 * safe name of every filename, and the sanitiser over the raw input.
 * Checks what must always hold: the dump is one line ending in a newline,
 * the view holds no ESC, safe names hold no '/' and no C0 control.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/mime.h>
#include <pouch/save.h>
#include <pouch/text.h>

static int
null_sink(void *arg, const char *p, size_t n)
{
	*(size_t *)arg += n;
	(void)p;
	return 0;
}

static int
dump_sink(void *arg, const char *p, size_t n)
{
	return dbuf_add(arg, p, n) < 0 ? -1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_part *root, *p;
	struct dbuf dump;
	char *t, *s;
	size_t n = 0, k;

	root = mime_parse((const char *)data, size);
	if (!root)
		return 0;
	for (p = root; p; p = mime_next(p)) {
		if (p->body < (const char *)data ||
		    p->body + p->bodylen > (const char *)data + size) {
			/* must then point into an ancestor's decoded copy */
			const struct mime_part *a = p->parent;

			while (a && !a->owned_)
				a = a->parent;
			if (!a)
				abort();
		}
		if (mime_is_leaf(p))
			mime_part_decode(p, null_sink, &n);
		if (p->filename) {
			s = save_safe_name(p->filename, p->filename_len, "x");
			if (s && (strchr(s, '/') || strcmp(s, ".") == 0 ||
			    strcmp(s, "..") == 0 || strlen(s) > SAVE_NAME_MAX))
				abort();
			for (k = 0; s && s[k]; k++)
				if ((unsigned char)s[k] < 0x20)
					abort();
			free(s);
		}
	}
	dbuf_init(&dump, 0);
	if (mime_dump(root, dump_sink, &dump) == 0) {
		if (dump.len == 0 || dump.p[dump.len - 1] != '\n' ||
		    memchr(dump.p, '\n', dump.len) != dump.p + dump.len - 1)
			abort();
	}
	dbuf_free(&dump);
	t = mime_view_text(root, &n, NULL);
	if (t && memchr(t, 0x1b, n))
		abort();
	free(t);
	mime_free(root);
	s = text_sanitize((const char *)data, size, TEXT_BODY, &n);
	free(s);
	return 0;
}
