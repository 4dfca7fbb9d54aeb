/*
 * charset.h: text in any declared charset to UTF-8, by the rules of
 * mime-dump/1 (shared/spec/mime-dump.md, "Text conversion").
 *
 * Owns: charset name matching (IANA aliases, case-insensitive), the spec's
 * substitutions (iso-8859-1 -> windows-1252, gb2312/gbk -> GB18030, euc-kr
 * -> CP949, shift_jis -> CP932, utf-16 BOM), iconv, U+FFFD for invalid
 * sequences. Pure: no globals that outlive a call, no I/O.
 *
 * Who may include it: the MIME decoder (src/mime*.c), the display helpers
 * (src/text.c), and anyone who needs UTF-8.
 */
#ifndef POUCH_CHARSET_H
#define POUCH_CHARSET_H

#include <stddef.h>
#include <stdint.h>

struct dbuf;

/* Converts len bytes declared as charset cs (NULL: none declared) to UTF-8.
 * No charset or us-ascii: UTF-8 when the bytes are valid UTF-8, else
 * windows-1252. Unknown charsets: UTF-8. Invalid sequences become U+FFFD.
 * Returns a malloc'd buffer, NUL-terminated, its length (which may count
 * NUL bytes inside) in *outlen. NULL only when memory ran out. */
char *charset_to_utf8(const char *cs, const char *in, size_t len, size_t *outlen);

/* Bytes that should be UTF-8 (raw 8-bit header text, RFC 6532): valid
 * sequences are kept, each maximal ill-formed subpart (Unicode 3.9: a lead
 * byte and the continuation bytes that fit it, or one stray byte) becomes
 * one U+FFFD, as Python and WHATWG decoders do. Same return rules. */
char *charset_fix_utf8(const char *in, size_t len, size_t *outlen);

/* Nonzero when len bytes are well-formed UTF-8 (no overlongs, surrogates,
 * or code points past U+10FFFF). */
int utf8_valid(const char *s, size_t len);

/*
 * The one set of code points that no output of pouch passes through as
 * they are, because they drive a terminal or change what it shows
 * without being seen: C0 (U+0000..U+001F), DEL and C1 (U+007F..U+009F),
 * the bidi embeddings and overrides (U+202A..U+202E) and isolates
 * (U+2066..U+2069), the marks LRM, RLM and ALM (U+200E, U+200F, U+061C),
 * and the line and paragraph separators (U+2028, U+2029). Nonzero for
 * those. Every escaper uses it and only the rendering differs: caret or
 * <U+XXXX> on a terminal (text_sanitize, cli_escape), \uXXXX in JSON
 * (mime_dump), "_" in a file name (save_safe_name). It lives here, below
 * the decoder, so that mime_dump can use it; text.h documents it for the
 * reader.
 */
int utf8_unsafe_cp(uint32_t cp);

/* The code point of byte c (0x80..0xFF) in windows-1252, which HTML5 also
 * uses for the numeric references &#128;..&#159;. */
uint32_t charset_cp1252(unsigned char c);

/* Decodes the well-formed UTF-8 sequence at s: returns its length (1..4)
 * and the code point in *cp, or 0 when it is ill-formed, with the length
 * of its maximal ill-formed subpart in *bad (always >= 1). len >= 1. */
size_t utf8_next(const char *s, size_t len, uint32_t *cp, size_t *bad);

/* The same two conversions appended to a capped buffer (util.h); 0 or -1
 * when memory ran out (then the buffer has freed itself). */
int charset_append_utf8(struct dbuf *b, const char *cs, const char *in, size_t len);
int charset_append_fix_utf8(struct dbuf *b, const char *in, size_t len);
/* Appends one code point as UTF-8; surrogates and values past U+10FFFF
 * become U+FFFD. 0 or -1 as above. */
int charset_put_cp(struct dbuf *b, uint32_t cp);

#endif
