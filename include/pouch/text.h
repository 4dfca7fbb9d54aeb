/*
 * text.h: what the reader shows: decoded text made safe for a terminal,
 * and HTML rendered as plain text.
 *
 * Owns: the rules for which characters reach the screen (control and bidi
 * characters, escape sequences, invalid UTF-8) and the in-tree HTML to text
 * renderer. Pure: no I/O, no globals, no terminal calls; widths and
 * wrapping are the UI's.
 *
 * Who may include it: the UI (src/ui*.c, src/view_*.c), the CLI, and
 * their tests. It needs only charset.h below it.
 */
#ifndef POUCH_TEXT_H
#define POUCH_TEXT_H

#include <stddef.h>

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
 *   - C1 controls (U+0080..U+009F), the bidi embeddings, overrides and
 *     isolates (U+202A..U+202E, U+2066..U+2069): "<U+XXXX>".
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

#endif
