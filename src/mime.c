/*
 * mime.c: the structure of a message: header blocks, the part tree,
 * multipart splitting, encapsulated messages (see mime.h). The words inside
 * header fields are mime_hdr.c's business; this file only finds the fields.
 *
 * Each multipart is split within the region its parent gave it, and a
 * region never contains a delimiter line of an enclosing multipart (the
 * parent cut there), so an inner multipart that is never closed ends at the
 * enclosing delimiter without having to know the enclosing boundaries.
 * Recursion is bounded by MIME_MAX_DEPTH.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pouch/mime.h>
#include <pouch/mime_hdr.h>

struct ctx {
	struct mime_part *root;
	size_t inlen;
	int oom;
};

/* Decoded copies of encapsulated messages may not exceed this many bytes
 * beyond four times the input: a chain of quoted-printable message/rfc822 parts
 * would otherwise copy the message once per level. */
#define OWNED_SLACK (16u << 20)

const char *
mime_diag_str(unsigned bit)
{
	static const struct {
		unsigned bit;
		const char *text;
	} t[] = {
		{ MIME_DIAG_BAD_CTYPE, "Content-Type is not type/subtype; read as text/plain" },
		{ MIME_DIAG_NO_BOUNDARY, "multipart without a boundary; kept as one part" },
		{ MIME_DIAG_BOUNDARY_UNUSED, "multipart boundary never occurs; kept as one part" },
		{ MIME_DIAG_NO_CLOSE, "multipart has no close delimiter" },
		{ MIME_DIAG_OUTER_CLOSE, "multipart ended by an enclosing delimiter" },
		{ MIME_DIAG_HDR_NO_BLANK, "header block not ended by a blank line" },
		{ MIME_DIAG_HDR_LOST_FOLD, "a header line without its indentation; read as a fold" },
		{ MIME_DIAG_DEPTH, "nesting limit reached; the rest is one part" },
		{ MIME_DIAG_PARTS, "part limit reached; the rest is one part" },
		{ MIME_DIAG_SIZE, "decoding budget spent; encapsulated message kept as one part" },
		{ MIME_DIAG_MBOX_FROM, "an mbox From line was skipped" },
		{ MIME_DIAG_8BIT_HDR, "raw 8-bit bytes in the header block" },
		{ MIME_DIAG_EMPTY_PART, "two delimiter lines in a row" },
		{ MIME_DIAG_HDR_STRAY_LINE, "header block ended by a line that is not a field; read as body" },
		{ MIME_DIAG_PARAM_NO_SEMI, "a parameter without the ';' before it" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].bit == bit)
			return t[i].text;
	return "unknown diagnostic";
}

int
mime_type_encapsulates(const char *type)
{
	return strcmp(type, "message/rfc822") == 0 ||
	    strcmp(type, "message/global") == 0 ||
	    strcmp(type, "message/news") == 0;
}

int
mime_is_leaf(const struct mime_part *p)
{
	return !p->container;
}

int
mime_is_attachment(const struct mime_part *p)
{
	if (!mime_is_leaf(p))
		return 0;
	return p->filename != NULL ||
	    (p->disposition && strcmp(p->disposition, "attachment") == 0);
}

struct mime_part *
mime_next(const struct mime_part *p)
{
	if (p->child)
		return p->child;
	while (p) {
		if (p->next)
			return p->next;
		p = p->parent;
	}
	return NULL;
}

/* End of the line starting at p: the position of its '\n', or e. */
static const char *
line_end(const char *p, const char *e)
{
	const char *nl = memchr(p, '\n', (size_t)(e - p));

	return nl ? nl : e;
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* A field line: a name of printable characters other than ':' (obsolete
 * syntax allows whitespace before the colon), then ':'. */
static int
is_field_line(const char *p, const char *le)
{
	const char *q = p;

	while (q < le && (unsigned char)*q > 32 && (unsigned char)*q < 127 &&
	    *q != ':')
		q++;
	if (q == p)
		return 0;
	while (q < le && is_wsp(*q))
		q++;
	return q < le && *q == ':';
}

static int
is_blank_line(const char *p, const char *le)
{
	return p == le || (le - p == 1 && *p == '\r');
}

/* The start of the line after the one that ends at le. */
static const char *
next_line(const char *le, const char *e)
{
	return le < e ? le + 1 : e;
}

/*
 * Splits [s, e) into a header block and a body (mime-dump/1, "Where a
 * header block ends"). The block ends at the first empty line, which
 * belongs to neither side. A line that is neither a field nor a
 * continuation is a fold that lost its indentation when a field came
 * before it and a field follows it (a parameter such as name="x.zip" on
 * a line of its own keeps counting); any other such line starts the body
 * and is not consumed, so a bounce's "Message removed" or a preamble
 * written straight after the header stays text. Without an empty line or
 * a stray line the whole region is header and the body is empty.
 */
static void
split_header(struct mime_part *part, const char *s, const char *e)
{
	const char *p = s;
	int fields = 0;

	part->hdr = s;
	while (p < e) {
		const char *le = line_end(p, e), *n;

		if (is_blank_line(p, le)) {
			part->hdrlen = (size_t)(p - s);
			part->body = next_line(le, e);
			part->bodylen = (size_t)(e - part->body);
			return;
		}
		if (is_field_line(p, le)) {
			fields = 1;
		} else if (!is_wsp(*p)) {
			n = next_line(le, e);
			if (fields && n < e && is_field_line(n, line_end(n, e))) {
				part->diag |= MIME_DIAG_HDR_LOST_FOLD;
			} else {
				part->diag |= MIME_DIAG_HDR_STRAY_LINE;
				part->hdrlen = (size_t)(p - s);
				part->body = p;
				part->bodylen = (size_t)(e - p);
				return;
			}
		}
		p = next_line(le, e);
	}
	if (s < e)
		part->diag |= MIME_DIAG_HDR_NO_BLANK;
	part->hdrlen = (size_t)(e - s);
	part->body = e;
	part->bodylen = 0;
}

/* Where the field line at p has its colon (is_field_line holds). */
static const char *
field_colon(const char *p, const char *le)
{
	const char *q = p;

	while (q < le && *q != ':')
		q++;
	return q;
}

int
mime_header_next(const char *hdr, size_t hdrlen, size_t *pos,
    struct mime_field *f)
{
	const char *p = hdr + *pos, *e = hdr + hdrlen, *le, *c, *ve, *n;

	/* Lines before the first field (continuations of nothing) and
	 * lines past a blank one are skipped. */
	while (p < e) {
		le = line_end(p, e);
		if (is_blank_line(p, le)) {
			*pos = hdrlen;
			return 0;
		}
		if (is_field_line(p, le))
			break;
		p = next_line(le, e);
	}
	if (p >= e) {
		*pos = hdrlen;
		return 0;
	}
	c = field_colon(p, le);
	f->name = p;
	f->name_len = (size_t)(c - p);
	while (f->name_len && is_wsp(p[f->name_len - 1]))
		f->name_len--;
	/* The value runs over continuation lines and over lines that lost
	 * their indentation (split_header kept those in the block only when
	 * a field follows them), up to the next field or blank line. */
	ve = le;
	for (n = next_line(le, e); n < e; n = next_line(le, e)) {
		le = line_end(n, e);
		if (is_blank_line(n, le) ||
		    (!is_wsp(*n) && is_field_line(n, le)))
			break;
		ve = le;
	}
	if (ve > c + 1 && ve[-1] == '\r')
		ve--;
	f->value = c + 1;
	f->value_len = ve > c ? (size_t)(ve - (c + 1)) : 0;
	*pos = (size_t)(next_line(ve < e && *ve == '\r' ? ve + 1 : ve, e) - hdr);
	return 1;
}

const char *
mime_header_get(const char *hdr, size_t hdrlen, const char *name,
    size_t *vlen)
{
	struct mime_field f;
	size_t pos = 0, nlen = strlen(name);

	while (mime_header_next(hdr, hdrlen, &pos, &f))
		if (f.name_len == nlen && strncasecmp(f.name, name, nlen) == 0) {
			*vlen = f.value_len;
			return f.value;
		}
	*vlen = 0;
	return NULL;
}

static void
note_oom(struct ctx *c, const void *p)
{
	if (!p)
		c->oom = 1;
}

static int
has_8bit(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return 1;
	return 0;
}

static void
parse_msg_headers(struct ctx *c, struct mime_part *part)
{
	struct mime_msg *m = calloc(1, sizeof(*m));
	const char *v;
	size_t vl, n;

	if (!m) {
		c->oom = 1;
		return;
	}
	part->msg = m;
	if ((v = mime_header_get(part->hdr, part->hdrlen, "Subject", &vl))) {
		m->subject = mime_hdr_text_n(v, vl, &m->subject_len);
		note_oom(c, m->subject);
	}
	if ((v = mime_header_get(part->hdr, part->hdrlen, "From", &vl))) {
		m->has_from = 1;
		n = mime_hdr_addrs(v, vl, &m->from);
		if (n == (size_t)-1)
			c->oom = 1;
		else
			m->nfrom = n;
	}
	if ((v = mime_header_get(part->hdr, part->hdrlen, "To", &vl))) {
		m->has_to = 1;
		n = mime_hdr_addrs(v, vl, &m->to);
		if (n == (size_t)-1)
			c->oom = 1;
		else
			m->nto = n;
	}
	if ((v = mime_header_get(part->hdr, part->hdrlen, "Date", &vl)))
		m->has_date = mime_hdr_date(v, vl, &m->date, &m->date_off) == 0;
}

/* The fields of part's header block that the tree keeps. */
static void
parse_fields(struct ctx *c, struct mime_part *part, const char *deftype)
{
	const char *ct, *cd, *cte;
	size_t ctl, cdl, ctel;
	char *tok;

	ct = mime_header_get(part->hdr, part->hdrlen, "Content-Type", &ctl);
	cd = mime_header_get(part->hdr, part->hdrlen, "Content-Disposition", &cdl);
	cte = mime_header_get(part->hdr, part->hdrlen,
	    "Content-Transfer-Encoding", &ctel);
	if (has_8bit(part->hdr, part->hdrlen))
		part->diag |= MIME_DIAG_8BIT_HDR;

	if (ct) {
		part->type = mime_hdr_ctype(ct, ctl);
		if (!part->type) {
			part->diag |= MIME_DIAG_BAD_CTYPE;
			part->type = strdup("text/plain");
		}
		part->charset = mime_hdr_charset(ct, ctl);
		if (mime_hdr_params_unsep(ct, ctl))
			part->diag |= MIME_DIAG_PARAM_NO_SEMI;
	} else {
		part->type = strdup(deftype);
	}
	note_oom(c, part->type);
	if (cd) {
		part->disposition = mime_hdr_disposition(cd, cdl);
		if (mime_hdr_params_unsep(cd, cdl))
			part->diag |= MIME_DIAG_PARAM_NO_SEMI;
		part->filename = mime_hdr_param_n(cd, cdl, "filename",
		    &part->filename_len);
	}
	if (!part->filename && ct)
		part->filename = mime_hdr_param_n(ct, ctl, "name",
		    &part->filename_len);
	if (cte) {
		tok = mime_hdr_token(cte, ctel);
		part->cte = mime_cte_from_token(tok);
		free(tok);
	}
}

static struct mime_part *
new_part(struct ctx *c, struct mime_part *parent)
{
	struct mime_part *p;

	p = calloc(1, sizeof(*p));
	if (!p) {
		c->oom = 1;
		return NULL;
	}
	if (!c->root)
		c->root = p;
	c->root->nparts_++;
	if (parent) {
		p->parent = parent;
		p->depth = parent->depth + 1;
		if (parent->last_child_)
			parent->last_child_->next = p;
		else
			parent->child = p;
		parent->last_child_ = p;
		parent->nchildren++;
	}
	return p;
}

/*
 * A delimiter line at p (which starts a line): "--" boundary, an optional
 * "--", then only spaces or tabs before the line break. Returns 0 when it
 * is not one, 1 for a delimiter, 2 for a close delimiter; *next is the
 * start of the following line.
 */
static int
delimiter_at(const char *p, const char *e, const char *b, size_t blen,
    const char **next)
{
	const char *q;
	int kind = 1;

	if ((size_t)(e - p) < blen + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, b, blen) != 0)
		return 0;
	q = p + 2 + blen;
	if (e - q >= 2 && q[0] == '-' && q[1] == '-') {
		kind = 2;
		q += 2;
	}
	while (q < e && is_wsp(*q))
		q++;
	if (q < e && *q == '\r' && q + 1 < e && q[1] == '\n')
		q++;
	if (q < e && *q != '\n')
		return 0;
	*next = q < e ? q + 1 : e;
	return kind;
}

/* The next delimiter line of boundary b in [p, e), p at a line start.
 * Returns its start, or NULL; *kind and *next as delimiter_at says. */
static const char *
find_delimiter(const char *p, const char *e, const char *b, size_t blen,
    int *kind, const char **next)
{
	while (p < e) {
		if (*p == '-' && (*kind = delimiter_at(p, e, b, blen, next)))
			return p;
		p = memchr(p, '\n', (size_t)(e - p));
		if (!p)
			return NULL;
		p++;
	}
	return NULL;
}

/* The end of a part's body: before the line break that precedes the
 * delimiter at d, but never before the part's start s. */
static const char *
before_break(const char *s, const char *d)
{
	if (d > s && d[-1] == '\n') {
		d--;
		if (d > s && d[-1] == '\r')
			d--;
	}
	return d;
}

static void parse_entity(struct ctx *, struct mime_part *, const char *,
    const char *, const char *, int);

static void
parse_multipart(struct ctx *c, struct mime_part *part, const char *b,
    size_t blen)
{
	const char *s = part->body, *e = part->body + part->bodylen;
	const char *d, *next, *ps;
	const char *deftype = strcmp(part->type, "multipart/digest") == 0 ?
	    "message/rfc822" : "text/plain";
	int kind;

	d = find_delimiter(s, e, b, blen, &kind, &next);
	if (!d) {
		part->diag |= MIME_DIAG_BOUNDARY_UNUSED;
		return;
	}
	/* The preamble [s, d) is ignored. A close delimiter right away
	 * gives a multipart with no parts. */
	part->container = 1;
	while (kind == 1 && !c->oom) {
		struct mime_part *child;
		const char *pe;

		ps = next;
		d = find_delimiter(ps, e, b, blen, &kind, &next);
		if (!d) {
			part->diag |= MIME_DIAG_NO_CLOSE;
			/* The parent cut our region at its own delimiter (or
			 * the file ended): the last part runs to there. */
			if (part->parent && part->body + part->bodylen <
			    part->parent->body + part->parent->bodylen)
				part->diag |= MIME_DIAG_OUTER_CLOSE;
			pe = e;
		} else {
			pe = before_break(ps, d);
		}
		if (d == ps) {
			/* A delimiter line right after another: nothing
			 * between them, not even a line. GMime and Python's
			 * email skip it rather than make an empty part. */
			part->diag |= MIME_DIAG_EMPTY_PART;
			continue;
		}
		if (pe < ps)
			pe = ps;
		child = new_part(c, part);
		if (!child)
			return;
		if (c->root->nparts_ >= MIME_MAX_PARTS) {
			/* Out of parts: the rest of this multipart is one
			 * leaf, and no further multipart is split. */
			child->diag |= MIME_DIAG_PARTS;
			parse_entity(c, child, ps, e, deftype, 0);
			return;
		}
		parse_entity(c, child, ps, pe, deftype, 1);
		if (!d)
			return;
	}
	/* The epilogue after the close delimiter is ignored. */
}

static void
parse_encapsulated(struct ctx *c, struct mime_part *part)
{
	struct mime_part *child;
	const char *s = part->body;
	size_t len = part->bodylen;

	if (part->cte != MIME_CTE_IDENTITY) {
		struct dbuf db;
		size_t budget;

		dbuf_init(&db, 0);
		if (mime_part_decode_dbuf(part, &db) < 0) {
			c->oom = 1;
			return;
		}
		budget = c->inlen * 4 + OWNED_SLACK;
		if (c->root->owned_total_ > budget ||
		    db.len > budget - c->root->owned_total_) {
			dbuf_free(&db);
			part->diag |= MIME_DIAG_SIZE;
			return;
		}
		c->root->owned_total_ += db.len;
		part->owned_ = dbuf_take(&db, &len);
		if (!part->owned_) {
			c->oom = 1;
			return;
		}
		s = part->owned_;
	}
	child = new_part(c, part);
	if (!child)
		return;
	part->container = 1;
	parse_entity(c, child, s, s + len, "text/plain", 1);
	if (!c->oom) {
		parse_msg_headers(c, child);
	}
}

/*
 * One entity in [s, e): its header block, its fields, and, if it is a
 * container and the limits allow, its children. descend = 0 forces a leaf
 * (the part limit was reached).
 */
static void
parse_entity(struct ctx *c, struct mime_part *part, const char *s,
    const char *e, const char *deftype, int descend)
{
	split_header(part, s, e);
	parse_fields(c, part, deftype);
	if (c->oom || !descend)
		return;
	if (strncmp(part->type, "multipart/", 10) == 0) {
		const char *ct;
		size_t ctl, blen = 0;
		char *b = NULL;

		ct = mime_header_get(part->hdr, part->hdrlen, "Content-Type", &ctl);
		/* Counted: a boundary cut at a NUL would match other lines. */
		if (ct)
			b = mime_hdr_param_n(ct, ctl, "boundary", &blen);
		if (!b || !blen) {
			part->diag |= MIME_DIAG_NO_BOUNDARY;
		} else if (part->depth >= MIME_MAX_DEPTH) {
			part->diag |= MIME_DIAG_DEPTH;
		} else {
			parse_multipart(c, part, b, blen);
		}
		free(b);
	} else if (mime_type_encapsulates(part->type)) {
		if (part->depth >= MIME_MAX_DEPTH)
			part->diag |= MIME_DIAG_DEPTH;
		else if (c->root->nparts_ >= MIME_MAX_PARTS)
			part->diag |= MIME_DIAG_PARTS;
		else
			parse_encapsulated(c, part);
	}
}

struct mime_part *
mime_parse(const char *buf, size_t len)
{
	struct ctx c = { NULL, len, 0 };
	const char *s = buf, *e = buf + len;
	unsigned skipped = 0;

	c.root = new_part(&c, NULL);
	if (!c.root)
		return NULL;
	/* An mbox "From " line is not a header field; skip it. */
	if (len >= 5 && memcmp(buf, "From ", 5) == 0) {
		s = line_end(s, e);
		if (s < e)
			s++;
		skipped = MIME_DIAG_MBOX_FROM;
	}
	parse_entity(&c, c.root, s, e, "text/plain", 1);
	c.root->diag |= skipped;
	if (!c.oom)
		parse_msg_headers(&c, c.root);
	if (c.oom) {
		mime_free(c.root);
		return NULL;
	}
	return c.root;
}

static void
free_one(struct mime_part *p)
{
	free(p->type);
	free(p->charset);
	free(p->disposition);
	free(p->filename);
	free(p->owned_);
	if (p->msg) {
		free(p->msg->subject);
		mime_addr_free(p->msg->from, p->msg->nfrom);
		mime_addr_free(p->msg->to, p->msg->nto);
		free(p->msg);
	}
	free(p);
}

void
mime_free(struct mime_part *root)
{
	struct mime_part *p = root, *up;

	/* Post-order without recursion: descend to a leaf, free it, move to
	 * its sibling or back to the parent. */
	while (p) {
		if (p->child) {
			p = p->child;
			continue;
		}
		up = p->parent;
		if (p == root) {
			free_one(p);
			return;
		}
		if (p->next) {
			up->child = p->next;
		} else {
			up->child = NULL;
		}
		free_one(p);
		p = up;
	}
}
