/*
 * pop3_reply.h: parsing of POP3 replies (RFC 1939 section 3, RFC 2449):
 * status lines, multi-line bodies with dot-unstuffing, and the numbers of
 * STAT, LIST, UIDL and LAST.
 *
 * Owns: nothing but the small state of a body being read. Pure: no I/O, no
 * allocation, no curl; every function takes a pointer and a length and never
 * reads past it, so the fuzzer can drive it alone (fuzz/fuzz_pop3_reply.c).
 *
 * Who may include it: src/pop3.c (the session) and the tests. Everyone else
 * goes through pop3.h.
 *
 * Liberal in what it accepts: a bare LF ends a line like CRLF; "+ok" is
 * taken like "+OK". Strict where the input decides memory or safety:
 * numbers must fit, unique-ids must be printable, lines are capped.
 */
#ifndef POUCH_POP3_REPLY_H
#define POUCH_POP3_REPLY_H

#include <stddef.h>

/* The longest status line pouch accepts (RFC 2449 allows 512 octets;
 * real servers stay far below). Longer is a protocol violation. */
#define POP3_STATUS_MAX 8192
/* The longest line of a LIST or UIDL body. */
#define POP3_LISTLINE_MAX 1024
/* The longest UID pop3_parse_uidl returns: as long as a listing line allows.
 * RFC 1939 says 70; what a longer one is good for is the caller's to judge
 * (issue 9 item 5: it costs that message its UIDL features, not the
 * session). */
#define POP3_UID_MAX POP3_LISTLINE_MAX

/*
 * Finds the first line in p[0..n). Returns the bytes the line takes with its
 * line break (LF or CRLF), or 0 when no LF has arrived yet. *len gets the
 * length without the line break (one CR before the LF is dropped).
 */
size_t pop3_reply_line(const char *p, size_t n, size_t *len);

enum pop3_status_kind {
	POP3_STATUS_OK,		/* "+OK" */
	POP3_STATUS_ERR,	/* "-ERR" */
	POP3_STATUS_BAD,	/* neither: the server broke the protocol */
};
/*
 * Classifies a status line (without its line break). *text is set to the
 * offset of the text after the keyword and its blanks. "+OK" and "-ERR"
 * match in any case and must be followed by a blank or the end of the line.
 */
enum pop3_status_kind pop3_reply_status(const char *line, size_t len, size_t *text);

/*
 * A multi-line body being read: feed it the bytes after the status line in
 * chunks split anywhere. It removes the stuffed dot of lines that start with
 * one, keeps the line breaks as they came, and stops after the terminating
 * "." line (".\r\n" or ".\n").
 */
struct pop3_body {
	int state;
	size_t line_len;	/* unstuffed bytes of the current line so far */
	size_t max_line;	/* 0: no cap */
	int crlf;		/* POP3_BODY_CRLF */
	int last_cr;		/* the last byte passed on was a CR */
};

enum pop3_body_rc {
	POP3_BODY_MORE,		/* everything consumed, the body goes on */
	POP3_BODY_END,		/* the terminating line was consumed */
	POP3_BODY_LONG,		/* a line passed max_line (before its line break) */
};

/*
 * flags: POP3_BODY_CRLF once the session has seen the server end a line with
 * CRLF. Then only CRLF "." CRLF ends the body, and only a line begun after
 * CRLF can be stuffed: a "." after a bare LF is the text of a message whose
 * lines the server counts by CRLF alone (it never stuffed it), so the body
 * goes on. Without the flag (a server of bare LFs) LF ends lines too.
 */
#define POP3_BODY_CRLF 1
void pop3_body_init(struct pop3_body *b, size_t max_line, int flags);
/*
 * Consumes bytes of in[0..n) and writes the unstuffed body to out, which must
 * hold n + 1 bytes (a CR held back from the previous chunk may come first).
 * *used gets the bytes consumed: all of them for MORE; up to and including
 * the terminator for END (the rest belongs to the next reply); for LONG
 * nothing useful. *outlen gets the bytes written.
 */
enum pop3_body_rc pop3_body_feed(struct pop3_body *b, const char *in, size_t n,
    char *out, size_t *outlen, size_t *used);

/*
 * Numbers. Each returns 0, or -1 when the text is malformed or a number does
 * not fit. Numbers are decimal digits only; what follows the last field after
 * a blank is ignored (servers add words such as "messages").
 */
/* STAT: "n octets" */
int pop3_parse_stat(const char *text, size_t len, unsigned long *count,
    unsigned long long *octets);
/* LAST (RFC 1460): "n" */
int pop3_parse_last(const char *text, size_t len, unsigned long *n);
/* A LIST line or the text of LIST n: "n size"; n is at least 1. */
int pop3_parse_list(const char *line, size_t len, unsigned long *n,
    unsigned long long *size);
/* A UIDL line or the text of UIDL n: "n uid"; the uid is 1 to POP3_UID_MAX
 * octets 0x21-0x7e up to a blank or the end. *uid is the offset of the uid
 * in line, *uidlen its length. */
int pop3_parse_uidl(const char *line, size_t len, unsigned long *n,
    size_t *uid, size_t *uidlen);

#endif
