/*
 * mime_lex.h: the lexing pieces the header-word files share: comments,
 * quoted strings, tokens, unfolding (src/mime_lex.c), and the RFC 2047
 * decoder that works on text already unfolded (src/rfc2047.c). mime_lex.c
 * calls nothing of the decoder, so the files above it (mime_hdr.c,
 * rfc2047.c, rfc2231.c, mime_addr.c, mime_date.c) never call each other
 * back: only mime_hdr.c, rfc2231.c and mime_addr.c call into rfc2047.c.
 *
 * Who may include it: src/mime_lex.c, src/mime_hdr.c, src/rfc2047.c,
 * src/rfc2231.c, src/mime_addr.c, src/mime_date.c and their tests.
 * Everyone else goes through mime_hdr.h.
 *
 * Positions are indexes into (s, len); every function returns a position
 * in [i, len], so callers that loop on them always advance or stop.
 * Nothing recurses: nested comments are counted, not descended.
 */
#ifndef POUCH_MIME_LEX_H
#define POUCH_MIME_LEX_H

#include <stddef.h>

struct dbuf;

/* RFC 2045 token characters: printable ASCII but no tspecials. */
int lex_is_token(unsigned char c);
int lex_is_ws(unsigned char c);
/* Trims whitespace from both ends of t[0..n) in place, NUL-terminates it
 * and lowercases its ASCII letters (charset names, tokens). */
void lex_trim_lower(char *t, size_t n);
/* s[i] == '(': the position after its closing ')' (nesting and backslash
 * escapes honoured), or len when it never closes. */
size_t lex_comment_end(const char *s, size_t len, size_t i);
/* s[i] == '"': the position after the closing quote, or len. */
size_t lex_quoted_end(const char *s, size_t len, size_t i);
/* Skips whitespace (CR and LF included) and comments. */
size_t lex_skip_cfws(const char *s, size_t len, size_t i);
/* Appends the contents of the quoted string at s[i] == '"' without the
 * quotes and with backslash escapes undone; returns the position after it,
 * or (size_t)-1 when memory ran out. */
size_t lex_unquote(struct dbuf *b, const char *s, size_t len, size_t i);

/* Appends s decoded as unstructured text: RFC 2047 encoded words (B and Q)
 * decoded, whitespace between adjacent encoded words dropped, bytes of
 * adjacent words in one charset joined before conversion, everything else
 * copied with raw 8-bit read as UTF-8. s should already be unfolded.
 * 0, or -1 when memory ran out. */
int rfc2047_decode(struct dbuf *b, const char *s, size_t len);

/* A freshly allocated unfolded copy (see mime_hdr_unfold) into a dbuf. */
int hdr_unfold_into(struct dbuf *b, const char *v, size_t len);

#endif
