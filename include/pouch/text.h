/*
 * text.h: what the reader shows: the text of a message or of any text
 * part, its header fields, all of it decoded to UTF-8 and made safe for a
 * terminal; HTML rendered as plain text.
 *
 * Owns: which part is a message's text (text_best), how a part becomes
 * text (charset, HTML, line ends), how header fields become one line
 * each, and the terminal rendering of pouch's one unsafe set of code
 * points (utf8_unsafe_cp in charset.h: C0, DEL, C1, the bidi embeddings,
 * overrides, isolates and marks, the line and paragraph separators). The
 * set lives in charset.h, below the decoder, because mime_dump escapes it
 * too; every escaper (text_sanitize here, cli_escape, mime_dump,
 * save_safe_name) uses that one predicate and differs only in rendering.
 * Pure: no I/O, no globals, no terminal calls; widths and wrapping are
 * the UI's.
 *
 * Who may include it: the UI (src/ui*.c, src/view_*.c), the CLI, and
 * their tests. It needs mime.h and charset.h below it; nothing in the
 * decoder includes it.
 *
 * Every char * returned here is malloc'd, NUL-terminated UTF-8 that the
 * caller frees, and holds nothing of the unsafe set but the line breaks
 * and tabs its mode keeps.
 */
#ifndef POUCH_TEXT_H
#define POUCH_TEXT_H

#include <stddef.h>

#include <pouch/charset.h>
#include <pouch/mime.h>

/* Flags of text_sanitize. Without them LF, CR LF and TAB each become one
 * space: the mode for a header on one line. */
#define TEXT_KEEP_LF	0x1	/* LF stays a line break; CR before LF dropped */
#define TEXT_KEEP_TAB	0x2	/* TAB stays a TAB */
#define TEXT_ONELINE	0
#define TEXT_BODY	(TEXT_KEEP_LF | TEXT_KEEP_TAB)

/*
 * Returns a malloc'd copy of len bytes of (meant to be) UTF-8 that a
 * terminal shows as it is and that cannot drive the terminal:
 *   - C0 controls (NUL..US) other than those the flags keep, and DEL,
 *     shown in caret notation: ESC is "^[", NUL "^@", DEL "^?", a lone CR
 *     "^M". An escape sequence (CSI, OSC, DCS, ...) therefore shows as
 *     "^[" followed by its printable rest, and never reaches the terminal.
 *   - The rest of the unsafe set (utf8_unsafe_cp): C1 controls, bidi
 *     embeddings, overrides, isolates and marks, U+2028 and U+2029:
 *     "<U+XXXX>".
 *   - Invalid UTF-8: U+FFFD for each maximal ill-formed subpart.
 * NUL-terminated; *outlen (if not NULL) gets the length. NULL only when
 * memory ran out.
 */
char *text_sanitize(const char *s, size_t len, int flags, size_t *outlen);

/*
 * Renders len bytes of HTML (already converted to UTF-8) as plain text:
 * paragraphs, divs and <br> as line breaks, headings as "# Title" with
 * blank lines around, list items as "* " or "N. " (indented by nesting),
 * blockquotes prefixed "> ", links as "text [N]" with "[N] url" listed at
 * the end, <hr> as a rule, images as their alt text in brackets, table
 * cells separated by " | " and rows by line breaks, entities decoded
 * (named common ones, &#N; and &#xN;), script, style, title and comments
 * dropped, whitespace collapsed outside <pre>.
 * Linear in len; nesting is counted, never recursed into. The result is
 * NOT sanitized (an entity may give a control character): pass it to
 * text_sanitize before showing it. Malloc'd, NUL-terminated, *outlen as
 * above; NULL only when memory ran out.
 */
char *text_html_to_text(const char *html, size_t len, size_t *outlen);

/*
 * The text of a message: its best part (text_best) converted to UTF-8,
 * HTML rendered as text, CRLF as LF, sanitised with TEXT_BODY. Returns
 * the text and its length in *len; "" when the message has no text; NULL
 * only when memory ran out. *chosen (may be NULL) gets the part shown, or
 * NULL. root is a message node (the root, or the child of an
 * encapsulating part); an encapsulating part is taken as its message.
 */
char *text_message(const struct mime_part *root, size_t *len,
    const struct mime_part **chosen);
/* The part text_message shows: text/plain preferred in a
 * multipart/alternative, text/html when it is the only text, the first
 * text of a mixed multipart; never a text attachment below the root nor
 * the inside of a forwarded message. NULL when there is none. */
const struct mime_part *text_best(const struct mime_part *root);

/* Nonzero when p is a part text_part shows: a leaf whose type is
 * "text/" and any subtype. */
int text_is_text(const struct mime_part *p);
/*
 * The text of one part, as the pager shows the part a user picked in the
 * attachment menu: for a leaf whose type is "text/" and any subtype (an
 * attachment too), its decoded body converted to UTF-8 from its charset,
 * text/html rendered with text_html_to_text, CRLF as LF, sanitised with
 * TEXT_BODY; *len gets its length. Returns NULL with *len 0 when p is
 * not text; the caller tells that from running out of memory (also NULL)
 * with text_is_text(p).
 */
char *text_part(const struct mime_part *p, size_t *len);

/* One header field as the pager shows it. */
struct text_field {
	const char *name;	/* as written, pointing into the part's header
				 * block (not NUL-terminated): printable
				 * ASCII only, so safe to show */
	size_t name_len;
	char *value;		/* unfolded, RFC 2047 words decoded, raw 8-bit
				 * read as UTF-8, sanitised to one line
				 * (TEXT_ONELINE), trimmed */
	size_t value_len;
};
/*
 * Every field of p's header block (p->hdr: a message's or a body part's;
 * an mbox From line is not a field), in the order written, repeated
 * fields included. Returns the count and a malloc'd array in *out (NULL
 * when the count is 0), or (size_t)-1 when memory ran out (*out NULL).
 * The names point into the message buffer, which must outlive them; free
 * the array and the values with text_fields_free.
 */
size_t text_fields(const struct mime_part *p, struct text_field **out);
void text_fields_free(struct text_field *f, size_t n);
/*
 * The first field called name (case-insensitive: "Cc", "Reply-To",
 * "Message-ID") of p's header block, decoded as text_fields decodes.
 * Returns 1 and the value in *value (malloc'd, its length in *len when
 * len is not NULL), 0 when there is no such field, -1 when memory ran
 * out; *value is NULL unless 1 is returned.
 */
int text_field(const struct mime_part *p, const char *name, char **value,
    size_t *len);

#endif
