/*
 * pop3_read.c: reading replies (see pop3.h): status lines, multi-line
 * bodies (unstuffed, streamed to on_data, listings to on_item or parsed into
 * items), and completing each request in order with what its reply said.
 * The queue, sending and the connection's I/O are in pop3_engine.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3_priv.h"

#define TRACE_LINE_MAX 8192

static int
multiline(const struct pop3_q *q)
{
	switch (q->r.cmd) {
	case POP3_LIST:
	case POP3_UIDL:
		return !q->r.has_n;
	case POP3_TOP:
	case POP3_RETR:
	case POP3_CAPA:
		return 1;
	default:
		return 0;
	}
}

static int
listing(const struct pop3_q *q)
{
	return (q->r.cmd == POP3_LIST || q->r.cmd == POP3_UIDL) && !q->r.has_n;
}

static int
streams(const struct pop3_q *q)
{
	return q->r.on_data && (q->r.cmd == POP3_RETR || q->r.cmd == POP3_TOP);
}

/* Splits LIST/UIDL body lines into items; uids are cut in place. */
static enum pop3_status
parse_items(struct pop3 *s, struct pop3_q *q, char *p, size_t n,
    struct pop3_item **itemsp, size_t *nitems)
{
	struct pop3_item *items;
	size_t count = 0, i = 0, take, len, off, ulen;
	char buf[80], what[40];
	const char *c;

	for (c = p; n > 0 && c < p + n; c++)	/* an empty body has no buffer */
		if (*c == '\n')
			count++;
	items = calloc(count ? count : 1, sizeof *items);
	if (!items)
		return pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
	while ((take = pop3_reply_line(p, n, &len)) > 0 && i < count) {
		int bad = q->r.cmd == POP3_LIST ?
		    pop3_parse_list(p, len, &items[i].n, &items[i].size) :
		    pop3_parse_uidl(p, len, &items[i].n, &off, &ulen);

		if (bad) {
			free(items);
			return pop3_fail(s, POP3_ERR_PROTO, "%s answered %s with a "
			    "malformed line: \"%s\"", s->where, pop3_describe(q, what,
			    sizeof what), pop3_quote(p, len, buf, sizeof buf));
		}
		if (q->r.cmd == POP3_UIDL) {
			p[off + ulen] = '\0';
			items[i].uid = p + off;
		}
		i++;
		p += take;
		n -= take;
	}
	*itemsp = items;
	*nitems = i;
	return POP3_OK;
}

/* The body opens with "+OK" or "-ERR" and a blank or a line end. */
static int
status_first(const struct pop3 *s)
{
	size_t n = s->octets < sizeof s->body_head ? (size_t)s->octets :
	    sizeof s->body_head, k;

	for (k = 0; k < n && s->body_head[k] != '\r' && s->body_head[k] != '\n'; k++)
		;
	return pop3_reply_status(s->body_head, k, &n) != POP3_STATUS_BAD;
}

/* The reply to the head request is complete: parse, hand over, dequeue. */
static enum pop3_status
complete(struct pop3 *s, int ok)
{
	struct pop3_q *q = s->head;
	struct pop3_reply rep;
	struct pop3_item one, *items = NULL;
	char *err = NULL, what[40], buf[80];
	const char *text = s->stext ? s->stext : "";
	size_t tlen = strlen(text), off, ulen;
	unsigned long long want;
	enum pop3_status st;

	memset(&rep, 0, sizeof rep);
	memset(&one, 0, sizeof one);
	rep.cmd = q->r.cmd;
	rep.status = ok ? POP3_OK : POP3_ERR_SERVER;
	rep.text = text;
	pop3_describe(q, what, sizeof what);
	if (!ok) {
		free(s->srvtext);
		s->srvtext = str_ndup(text, tlen);
		err = str_printf("%s refused %s", s->where, what);
		rep.error = err ? err : "the server refused the command";
	} else if (q->r.cmd == POP3_STAT) {
		if (pop3_parse_stat(text, tlen, &rep.count, &rep.octets) < 0)
			return pop3_fail(s, POP3_ERR_PROTO, "%s answered STAT with "
			    "\"%s\", not a count and a size", s->where,
			    pop3_quote(text, tlen, buf, sizeof buf));
	} else if (q->r.cmd == POP3_LAST) {
		if (pop3_parse_last(text, tlen, &rep.count) < 0)
			return pop3_fail(s, POP3_ERR_PROTO, "%s answered LAST with "
			    "\"%s\", not a number", s->where,
			    pop3_quote(text, tlen, buf, sizeof buf));
	} else if ((q->r.cmd == POP3_LIST || q->r.cmd == POP3_UIDL) && q->r.has_n) {
		int bad = q->r.cmd == POP3_LIST ?
		    pop3_parse_list(text, tlen, &one.n, &one.size) :
		    pop3_parse_uidl(text, tlen, &one.n, &off, &ulen);

		if (bad || one.n != q->r.n)
			return pop3_fail(s, POP3_ERR_PROTO, "%s answered %s with "
			    "\"%s\"", s->where, what, pop3_quote(text, tlen, buf, sizeof buf));
		if (q->r.cmd == POP3_UIDL) {
			s->stext[off + ulen] = '\0';
			one.uid = s->stext + off;
		}
		rep.items = &one;
		rep.nitems = 1;
	} else if (listing(q) && q->r.on_item) {
		rep.nitems = s->nitems;
	} else if (q->r.cmd == POP3_LIST || q->r.cmd == POP3_UIDL) {
		st = parse_items(s, q, s->collect.p, s->collect.len, &items,
		    &rep.nitems);
		if (st != POP3_OK)
			return st;
		rep.items = items;
	} else if (multiline(q)) {
		rep.body_octets = s->octets;
		if (!streams(q)) {
			rep.body = s->collect.p ? s->collect.p : "";
			rep.body_len = s->collect.len;
		}
		want = q->r.expect_sizep ? *q->r.expect_sizep : q->r.expect_size;
		if (q->r.cmd == POP3_RETR && want) {
			if (s->octets < want)
				return pop3_fail(s, POP3_ERR_PROTO, "message %lu is short: got "
				    "%llu octets, LIST said %llu", q->r.n, s->octets, want);
			/* Line ends counted as one octet or two, and a final
			 * CRLF added, explain a longer body (and LIST's size
			 * is advisory: more is delivered whole). A body that
			 * is longer still and opens with a POP3 status line
			 * is another reply read as this one's body: a reply
			 * sent twice has put every later reply out of step. */
			if (s->octets - want > s->body_lines + 2 && status_first(s))
				return pop3_fail(s, POP3_ERR_PROTO, "the reply of %s to "
				    "%s is %llu octets longer than LIST said (%llu), "
				    "more than its %llu line ends explain: replies are "
				    "out of step (was one sent twice?)", s->where, what,
				    s->octets - want, want, s->body_lines);
			rep.size_mismatch = s->octets != want;
		}
	}

	s->head = q->next;
	if (!s->head)
		s->tail = NULL;
	s->ninflight--;
	s->npending--;
	if (s->ninflight > 0)
		pop3_start_wait(s);
	if (q->r.cmd == POP3_QUIT) {
		free(s->quit_text);
		s->quit_text = str_ndup(text, tlen);
	}
	if (q->r.on_done)
		q->r.on_done(q->r.ctx, &rep);
	free(items);
	free(err);
	pop3_reset_reply(s);
	if (q->r.cmd == POP3_QUIT) {
		/* The server commits and closes; so do we. */
		pop3_close_conn(s);
		s->state = P_QUIT;
		pop3_note(s, "session ended by QUIT");
	}
	pop3_q_free(q);
	return POP3_OK;
}

static enum pop3_status
status_line(struct pop3 *s, const char *line, size_t len, int crlf)
{
	struct pop3_q *q = s->head;
	enum pop3_status_kind k;
	size_t t;
	char buf[80], what[40], *masked = NULL;

	if (crlf)
		s->crlf = 1;
	if (s->nsecrets > 0) {
		/* A server may echo PASS in its -ERR: nothing of the
		 * password goes on, neither to the trace nor as text. */
		masked = pop3_masked(s, line, len);
		if (!masked)
			return pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
		line = masked;
		len = strlen(masked);
	}
	if (s->trace)
		s->trace(s->trace_ctx, 'S', line, len);
	k = pop3_reply_status(line, len, &t);
	if (k == POP3_STATUS_BAD) {
		pop3_quote(line, len, buf, sizeof buf);
		free(masked);
		return pop3_fail(s, POP3_ERR_PROTO, "%s answered %s with a line "
		    "that is not a POP3 reply: \"%s\"", s->where,
		    pop3_describe(q, what, sizeof what), buf);
	}
	free(s->stext);
	s->stext = str_ndup(line + t, len - t);
	free(masked);
	if (!s->stext)
		return pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
	if (k == POP3_STATUS_OK && multiline(q)) {
		s->in_body = 1;
		s->octets = 0;
		s->body_lines = 0;
		/* Once the server has ended a line with CRLF, a bare LF is
		 * message text, never the end of a reply. */
		pop3_body_init(&s->body, q->r.cmd == POP3_LIST ||
		    q->r.cmd == POP3_UIDL || q->r.cmd == POP3_CAPA ?
		    POP3_LISTLINE_MAX : 0, s->crlf ? POP3_BODY_CRLF : 0);
		pop3_start_wait(s);
		return POP3_OK;
	}
	return complete(s, k == POP3_STATUS_OK);
}

static void
trace_body(struct pop3 *s, const char *p, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t seg = nl ? (size_t)(nl - p) : n;
		size_t room = TRACE_LINE_MAX - s->tline.len;

		dbuf_add(&s->tline, p, seg < room ? seg : room);
		if (!nl)
			return;
		if (s->tline.len > 0 && s->tline.p[s->tline.len - 1] == '\r')
			s->tline.len--;
		s->trace(s->trace_ctx, 'D', s->tline.p ? s->tline.p : "", s->tline.len);
		dbuf_reset(&s->tline);
		p += seg + 1;
		n -= seg + 1;
	}
}

/* One line of a listing (without its line break) to on_item. */
static enum pop3_status
item_line(struct pop3 *s, struct pop3_q *q, const char *p, size_t len)
{
	struct pop3_item it;
	char uid[POP3_UID_MAX + 1], buf[80], what[40];
	size_t off, ulen;
	int bad;

	memset(&it, 0, sizeof it);
	bad = q->r.cmd == POP3_LIST ? pop3_parse_list(p, len, &it.n, &it.size) :
	    pop3_parse_uidl(p, len, &it.n, &off, &ulen);
	if (bad)
		return pop3_fail(s, POP3_ERR_PROTO, "%s answered %s with a "
		    "malformed line: \"%s\"", s->where, pop3_describe(q, what,
		    sizeof what), pop3_quote(p, len, buf, sizeof buf));
	if (q->r.cmd == POP3_UIDL) {
		memcpy(uid, p + off, ulen);
		uid[ulen] = '\0';
		it.uid = uid;
	}
	s->nitems++;
	if (q->r.on_item(q->r.ctx, &it) != 0)
		return pop3_fail(s, POP3_ERR_CANCELLED, "cancelled during %s",
		    pop3_describe(q, what, sizeof what));
	return POP3_OK;
}

/* Unstuffed listing bytes, split anywhere, to item_line. */
static enum pop3_status
item_data(struct pop3 *s, struct pop3_q *q, const char *p, size_t n)
{
	enum pop3_status st;
	const char *nl, *line;
	size_t take, len;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) + 1 : n;
		if (!nl || s->iline.len > 0) {
			if (dbuf_add(&s->iline, p, take) < 0)
				return pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
			if (!nl)
				return POP3_OK;
		}
		line = s->iline.len > 0 ? s->iline.p : p;
		pop3_reply_line(line, s->iline.len > 0 ? s->iline.len : take, &len);
		st = item_line(s, q, line, len);
		dbuf_reset(&s->iline);
		if (st != POP3_OK)
			return st;
		p += take;
		n -= take;
	}
	return POP3_OK;
}

static enum pop3_status
body_data(struct pop3 *s, const char *p, size_t n)
{
	struct pop3_q *q = s->head;
	const char *nl;
	char what[40];

	if (n == 0)
		return POP3_OK;
	if (s->octets < sizeof s->body_head) {
		size_t k = sizeof s->body_head - (size_t)s->octets;

		memcpy(s->body_head + s->octets, p, n < k ? n : k);
	}
	s->octets += n;
	s->mark_bytes += n;
	for (nl = p; (nl = memchr(nl, '\n', n - (size_t)(nl - p))) != NULL; nl++)
		s->body_lines++;
	if (s->mark_bytes >= POP3_STALL_BYTES)
		pop3_start_wait(s);
	if (s->trace)
		trace_body(s, p, n);
	if (listing(q) && q->r.on_item)
		return item_data(s, q, p, n);
	if (streams(q)) {
		if (q->r.on_data(q->r.ctx, p, n) != 0)
			return pop3_fail(s, POP3_ERR_CANCELLED, "cancelled during %s",
			    pop3_describe(q, what, sizeof what));
		return POP3_OK;
	}
	if (s->collect.len + n > POP3_COLLECT_MAX)
		return pop3_fail(s, POP3_ERR_PROTO, "the reply of %s to %s is "
		    "larger than %lu MiB", s->where, pop3_describe(q, what, sizeof what),
		    POP3_COLLECT_MAX >> 20);
	if (dbuf_add(&s->collect, p, n) < 0)
		return pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
	return POP3_OK;
}

enum pop3_status
pop3_process(struct pop3 *s)
{
	size_t off = 0, len, take, ol, used;
	char buf[80], what[40];
	enum pop3_status st;
	enum pop3_body_rc rc;

	while (POP3_ENGINE_LIVE(s) && off < s->inlen) {
		if (s->ninflight == 0) {
			/* Nothing asked: an idle server saying goodbye, or noise. */
			len = 0;
			take = pop3_reply_line(s->in + off, s->inlen - off, &len);
			if (!take && s->inlen - off <= POP3_STATUS_MAX)
				break;
			return pop3_fail(s, POP3_ERR_PROTO, "%s sent something "
			    "unasked: \"%s\"", s->where, pop3_quote(s->in + off,
			    take ? len : s->inlen - off, buf, sizeof buf));
		}
		if (!s->in_body) {
			len = 0;
			take = pop3_reply_line(s->in + off, s->inlen - off, &len);
			if ((!take && s->inlen - off > POP3_STATUS_MAX) ||
			    len > POP3_STATUS_MAX)
				return pop3_fail(s, POP3_ERR_PROTO, "%s answered %s "
				    "with a status line longer than %d octets",
				    s->where, pop3_describe(s->head, what, sizeof what),
				    POP3_STATUS_MAX);
			if (!take)
				break;
			off += take;
			st = status_line(s, s->in + off - take, len, take == len + 2);
			if (st != POP3_OK)
				return st;
			continue;
		}
		rc = pop3_body_feed(&s->body, s->in + off, s->inlen - off, s->outb,
		    &ol, &used);
		off += used;
		if (rc == POP3_BODY_LONG)
			return pop3_fail(s, POP3_ERR_PROTO, "%s answered %s with a "
			    "line longer than %d octets", s->where,
			    pop3_describe(s->head, what, sizeof what), POP3_LISTLINE_MAX);
		st = body_data(s, s->outb, ol);
		if (st != POP3_OK)
			return st;
		if (rc == POP3_BODY_END) {
			if (s->trace)
				s->trace(s->trace_ctx, 'S', ".", 1);
			st = complete(s, 1);
			if (st != POP3_OK)
				return st;
		}
	}
	if (POP3_ENGINE_LIVE(s)) {
		memmove(s->in, s->in + off, s->inlen - off);
		s->inlen -= off;
	}
	return POP3_OK;
}

