/*
 * mime_hdr.h: the words inside header fields: RFC 2047 encoded words, RFC
 * 2045/2231 parameters, RFC 5322 addresses and dates, Content-Type and
 * Content-Disposition values. Rules: shared/spec/mime-dump.md.
 *
 * Who may include it: the MIME decoder (src/mime*.c), the pager's field
 * display (src/text_hdr.c, which decodes values as Subject is decoded),
 * and their tests.
 *
 * Every function takes the raw field value as it stands in the message
 * (after the colon, possibly folded with CRLF or LF followed by whitespace,
 * possibly holding 8-bit bytes), never modifies it, and returns malloc'd
 * UTF-8 the caller frees. NULL means "absent" or "unparsable" as each says;
 * running out of memory also gives NULL. Pure: no I/O, no globals.
 *
 * Decoded text may hold NUL bytes (an RFC 2047 "=00", an RFC 2231 "%00"):
 * the _n variants give the length, so such a NUL is kept, not a cut. The
 * plain variants return the same NUL-terminated buffer for callers that
 * only need a C string (they then see the value up to the first NUL).
 */
#ifndef POUCH_MIME_HDR_H
#define POUCH_MIME_HDR_H

#include <stddef.h>
#include <stdint.h>

/* Unfolds: every CRLF or LF is removed, the whitespace after it is kept;
 * a line break followed by no whitespace (a fold that lost its
 * indentation) becomes one space. Leading whitespace is removed. */
char *mime_hdr_unfold(const char *v, size_t len, size_t *outlen);

/* An unstructured value (Subject): unfolded, RFC 2047 words decoded (B and
 * Q, any charset via charset.h; whitespace between adjacent encoded words
 * dropped; a character split across adjacent words of one charset
 * rejoined), raw 8-bit read as UTF-8. Control characters, NUL included,
 * are kept; the length (without the terminating NUL) goes to *outlen when
 * outlen is not NULL. */
char *mime_hdr_text_n(const char *v, size_t len, size_t *outlen);
/* mime_hdr_text_n without the length. */
char *mime_hdr_text(const char *v, size_t len);

/* Content-Type: "type/subtype" lowercased, without parameters or comments,
 * or NULL when the value is not exactly one '/' between two tokens. */
char *mime_hdr_ctype(const char *v, size_t len);
/* Content-Disposition: the disposition type lowercased, or NULL when empty. */
char *mime_hdr_disposition(const char *v, size_t len);
/* Content-Transfer-Encoding: the token lowercased and trimmed, or NULL. */
char *mime_hdr_token(const char *v, size_t len);

/* The parameter `name` (case-insensitive) of a Content-Type or
 * Content-Disposition value: RFC 2231 continuations joined in numeric
 * order, starred segments percent-decoded in the charset of segment 0,
 * name* preferred over name; quoted strings unquoted; RFC 2047 words inside
 * the value decoded; raw 8-bit as UTF-8. NULL when absent.
 * For "charset" the caller lowercases and trims (see mime_hdr_charset).
 * "boundary" is returned as by mime_hdr_param_raw. The length (a decoded
 * NUL counted, not a cut) goes to *outlen when outlen is not NULL. */
char *mime_hdr_param_n(const char *v, size_t len, const char *name,
    size_t *outlen);
/* mime_hdr_param_n without the length. */
char *mime_hdr_param(const char *v, size_t len, const char *name);
/* The parameter as octets: unquoted, continuations joined and starred
 * segments percent-decoded, but no charset conversion, no RFC 2047, no
 * UTF-8 repair. For values matched as bytes, like a multipart boundary. */
char *mime_hdr_param_raw(const char *v, size_t len, const char *name);
/* Nonzero when the first parameter of a Content-Type or
 * Content-Disposition value follows its type without the ';' before it
 * ("application/pdf name=x.pdf"); the parameter counts all the same.
 * 0 too when memory ran out: it only sets a diagnostic. */
int mime_hdr_params_unsep(const char *v, size_t len);
/* The charset parameter as mime-dump/1 wants it: lowercased, trimmed. */
char *mime_hdr_charset(const char *v, size_t len);

struct mime_addr {
	char *name;	/* display name, decoded; "" when none; may hold NUL */
	size_t name_len;	/* bytes in name, a decoded NUL counted */
	char *addr;	/* local@domain as written (no angle brackets);
			 * never holds NUL (see mime_hdr_addrs) */
};
/* An address list (From, To): groups flattened, comments dropped.
 * An addr-spec with a NUL byte in it is not an address: its addr is ""
 * (the display name stays), so no reader sees a shorter, different address
 * where a C string would stop; a mailbox left with neither is dropped.
 * Returns the count (0 for none) and a malloc'd array in *out (NULL when 0);
 * free with mime_addr_free. (size_t)-1 when memory ran out. */
size_t mime_hdr_addrs(const char *v, size_t len, struct mime_addr **out);
void mime_addr_free(struct mime_addr *a, size_t n);

/* An RFC 5322 date (with the obsolete forms: two-digit years, zone names,
 * missing seconds, missing weekday). On success returns 0 and sets *utc
 * (seconds since the epoch) and *offset_min (the header's own offset);
 * -1 when it cannot be parsed. */
int mime_hdr_date(const char *v, size_t len, int64_t *utc, int *offset_min);
/* "YYYY-MM-DDTHH:MM:SS+HH:MM" in the given offset; out has 26 bytes. */
void mime_date_format(int64_t utc, int offset_min, char out[26]);

#endif
