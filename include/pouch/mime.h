/*
 * mime.h: the MIME decoder: a message (pointer + length) into a tree of
 * parts, transfer-encoding decoders and the mime-dump/1 JSON. Rules:
 * shared/spec/mime-dump.md. What to show of a message (its text, its
 * fields) is text.h's, above this.
 *
 * Who may include it: the CLI (src/cli_mime.c), attachment saving
 * (src/save.c), the UI (later), the store (later), tests and fuzz targets.
 * The header-level words (RFC 2047/2231, addresses, dates) live in
 * mime_hdr.h, which only the decoder and the pager's field display
 * (src/text_hdr.c) include.
 *
 * Ownership. mime_parse never copies or writes to the caller's buffer: the
 * tree points into it (hdr, body), so the buffer must outlive the tree. The
 * only bytes the tree owns are the decoded bodies of base64 or
 * quoted-printable message/rfc822 parts, whose encapsulated message is
 * parsed from that decoded copy; such a node's children point into it, and
 * mime_free releases it. Every string in a part (type, charset, ...) is owned
 * by the tree. Nothing here does I/O or keeps globals.
 *
 * Errors in the message are never failures: every input yields a tree, and
 * what was wrong is a bit in part->diag. mime_parse returns NULL only when
 * memory ran out.
 */
#ifndef POUCH_MIME_H
#define POUCH_MIME_H

#include <stddef.h>
#include <stdint.h>

#include <pouch/mime_hdr.h>
#include <pouch/util.h>

/* Limits that bound memory and time on hostile input. Honest mail stays far
 * below them; past them the decoder degrades (the rest becomes a leaf) and
 * sets a diagnostic. */
#define MIME_MAX_DEPTH 128	/* nesting of containers; root is depth 0 */
#define MIME_MAX_PARTS 50000	/* nodes in one tree */

enum mime_cte {
	MIME_CTE_IDENTITY,	/* 7bit, 8bit, binary, absent, or unknown token */
	MIME_CTE_BASE64,
	MIME_CTE_QP,
};

/* Diagnostics: what was wrong with a part. A bitmask in mime_part.diag. */
enum mime_diag {
	MIME_DIAG_BAD_CTYPE = 1 << 0,	/* Content-Type not type/subtype */
	MIME_DIAG_NO_BOUNDARY = 1 << 1,	/* multipart without a boundary: leaf */
	MIME_DIAG_BOUNDARY_UNUSED = 1 << 2, /* boundary never occurs: leaf */
	MIME_DIAG_NO_CLOSE = 1 << 3,	/* close delimiter missing */
	MIME_DIAG_OUTER_CLOSE = 1 << 4,	/* ended by an enclosing delimiter */
	MIME_DIAG_HDR_NO_BLANK = 1 << 5, /* header block not ended by a blank line */
	MIME_DIAG_HDR_LOST_FOLD = 1 << 6, /* a line between two fields without
					 * its indentation: read as a fold */
	MIME_DIAG_DEPTH = 1 << 7,	/* nesting limit: this part is a leaf */
	MIME_DIAG_PARTS = 1 << 8,	/* part limit: this part is a leaf */
	MIME_DIAG_SIZE = 1 << 9,	/* decoded-copy budget spent: leaf */
	MIME_DIAG_MBOX_FROM = 1 << 10,	/* an mbox "From " line was skipped */
	MIME_DIAG_8BIT_HDR = 1 << 11,	/* raw 8-bit bytes in the header block */
	MIME_DIAG_EMPTY_PART = 1 << 12,	/* two delimiter lines in a row: skipped */
	MIME_DIAG_HDR_STRAY_LINE = 1 << 13, /* header block ended by a line that
					 * is not a field: the body starts there */
	MIME_DIAG_PARAM_NO_SEMI = 1 << 14, /* a parameter without the ';'
					 * before it: read all the same */
};
#define MIME_DIAG_LAST MIME_DIAG_PARAM_NO_SEMI

/* A short English description of one diagnostic bit, for a status line or
 * a log ("multipart has no close delimiter"); "unknown diagnostic" for
 * anything else. Static text. */
const char *mime_diag_str(unsigned bit);

/* The four headers of a message node (first occurrence of each). */
struct mime_msg {
	char *subject;		/* decoded UTF-8, may hold NUL; NULL when absent */
	size_t subject_len;	/* bytes in subject, a decoded NUL counted */
	int has_from, has_to;	/* the header was present (the list may be empty) */
	struct mime_addr *from, *to;
	size_t nfrom, nto;
	int has_date;		/* present and parsable */
	int64_t date;		/* seconds since the epoch, UTC */
	int date_off;		/* the header's own offset, minutes east */
};

struct mime_part {
	char *type;		/* "type/subtype" lowercase; never NULL */
	char *charset;		/* as declared, lowercased; NULL when absent */
	char *disposition;	/* lowercased token; NULL when no header */
	char *filename;		/* decoded UTF-8, unsanitised, may hold NUL
				 * (use filename_len); NULL when none */
	size_t filename_len;	/* bytes in filename, a decoded NUL counted */
	enum mime_cte cte;
	unsigned diag;		/* enum mime_diag bits */
	int depth;		/* 0 for the root */
	int container;		/* split into children (a multipart whose
				 * boundary occurs, or a parsed encapsulated
				 * message), even when it has none */

	const char *hdr;	/* raw header block (without the blank line) */
	size_t hdrlen;
	const char *body;	/* raw, still-encoded body */
	size_t bodylen;

	struct mime_msg *msg;	/* message nodes (root, encapsulated): headers */

	struct mime_part *parent, *child, *next;	/* child: first child */
	size_t nchildren;

	/* private to mime.c */
	struct mime_part *last_child_;
	char *owned_;		/* decoded body that the children point into */
	size_t nparts_;		/* root only: nodes in the tree */
	size_t owned_total_;	/* root only: bytes of decoded copies */
};

/* Parses len bytes of a message (CRLF or LF, an optional mbox "From " line
 * first). NULL only when memory ran out. */
struct mime_part *mime_parse(const char *buf, size_t len);
void mime_free(struct mime_part *root);

/* Document order (depth first, parents before children): the node after p,
 * or NULL at the end. Iterative, so it is safe at any depth. */
struct mime_part *mime_next(const struct mime_part *p);
/* A leaf has a body rather than children: not a multipart or an
 * encapsulating message type, or one of those degraded to a leaf (no
 * boundary, a boundary that never occurs, a limit). */
int mime_is_leaf(const struct mime_part *p);
/* Nonzero for message/rfc822, message/global and message/news. */
int mime_type_encapsulates(const char *type);
/* Nonzero when p is an attachment: a leaf with a filename or with
 * disposition "attachment" (the --extract rule). */
int mime_is_attachment(const struct mime_part *p);

/* One field of a header block, pointing into it. */
struct mime_field {
	const char *name;	/* as written, without the colon or the
				 * spaces some senders put before it */
	size_t name_len;
	const char *value;	/* after the colon, as it stands: folded,
				 * without the final line break */
	size_t value_len;
};

/* The fields of a header block (p->hdr, p->hdrlen) in order: *pos starts
 * at 0; each call fills *f with the next field and returns 1, or returns 0
 * at the end. A value runs over its continuation lines and over a line
 * that lost its indentation (see split_header in mime.c: such a line stays
 * in a block only between two fields). Lines before the first field are
 * skipped. */
int mime_header_next(const char *hdr, size_t hdrlen, size_t *pos,
    struct mime_field *f);

/* The raw value of the first field called name (case-insensitive) in a
 * header block, as mime_header_next gives it; NULL when absent. */
const char *mime_header_get(const char *hdr, size_t hdrlen, const char *name,
    size_t *vlen);

/* Transfer encodings (src/mime_cte.c). A sink receives decoded bytes in
 * order, in pieces of at most 64 KiB; it returns 0 to go on, anything else
 * to stop, and that value is returned by the decoder. */
typedef int (*mime_sink_fn)(void *arg, const char *p, size_t n);

/* "base64", "quoted-printable" (case-insensitive, trimmed) or identity. */
enum mime_cte mime_cte_from_token(const char *tok);
/* Decodes in into the sink without holding the whole result. Returns 0, or
 * what the sink returned, or -1 when memory ran out. */
int mime_decode(enum mime_cte cte, const char *in, size_t len,
    mime_sink_fn sink, void *arg);
/* Appends the decoded bytes to out (honouring its cap). 0 or -1 (out of
 * memory or past the cap; out is then freed). */
int mime_decode_dbuf(enum mime_cte cte, const char *in, size_t len,
    struct dbuf *out);
/* The decoded body of a part, streamed or into a buffer. */
int mime_part_decode(const struct mime_part *p, mime_sink_fn sink, void *arg);
int mime_part_decode_dbuf(const struct mime_part *p, struct dbuf *out);

/* The mime-dump/1 JSON of a tree (src/mime_dump.c), given to the sink in
 * pieces, ending with a newline. Returns 0, what the sink returned, or -1
 * when memory ran out. */
int mime_dump(const struct mime_part *root, mime_sink_fn sink, void *arg);

#endif
