/*
 * fuzz_mime.c: the whole decoder over one input: parse, walk, decode every
 * part, the mime-dump/1 JSON, the best text (which runs the sanitiser), the
 * safe name of every filename, and the sanitiser over the raw input.
 * Also the text of every text part and the header fields of every
 * message node, as the pager shows them.
 * Checks what must always hold: the dump is one line ending in a newline,
 * the view and every part's text hold nothing of the unsafe set but LF
 * and TAB, a field's value is one safe line, safe names hold no '/' and
 * no C0 control.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/charset.h>
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

/* Nothing of utf8_unsafe_cp's set, but LF and TAB when lf_tab. */
static void
must_safe(const char *s, size_t n, int lf_tab)
{
	size_t i, k, bad;
	uint32_t cp;

	for (i = 0; s && i < n; i += k) {
		k = utf8_next(s + i, n - i, &cp, &bad);
		if (k == 0 || (utf8_unsafe_cp(cp) &&
		    !(lf_tab && (cp == '\n' || cp == '\t'))))
			abort();
	}
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
		t = text_part(p, &k);
		if (!t && k != 0)
			abort();
		must_safe(t, k, 1);
		free(t);
		if (p->msg || p == root) {
			struct text_field *f;
			size_t nf = text_fields(p, &f), j;

			for (j = 0; nf != (size_t)-1 && j < nf; j++)
				must_safe(f[j].value, f[j].value_len, 0);
			if (nf != (size_t)-1)
				text_fields_free(f, nf);
		}
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
	t = text_message(root, &n, NULL);
	must_safe(t, n, 1);
	free(t);
	mime_free(root);
	s = text_sanitize((const char *)data, size, TEXT_BODY, &n);
	free(s);
	return 0;
}
