/*
 * pop3_engine.c: the command engine of the POP3 session (see pop3.h): the
 * queue, sending with a bounded pipelining window, reading replies over
 * curl_easy_recv, parsing them (pop3_reply.h) and completing them in order,
 * and the timeouts of a reply. The session's life (new, free, fail, wait,
 * quit) is in pop3.c; connecting and logging in in pop3_login.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pop3_priv.h"

#define TRACE_LINE_MAX 8192
#define RUN_BUDGET (4UL * 1024 * 1024)	/* bytes read per pop3_run */
#define STALL_BYTES 1024

/* A server's line made safe to quote in pouch's own text. */
static const char *
quote(const char *p, size_t n, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 4 < size; i++) {
		unsigned char c = (unsigned char)p[i];

		buf[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (i < n && o + 4 <= size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* "RETR 5", for messages; never the argument of PASS. */
static const char *
describe(const struct pop3_q *q, char *buf, size_t size)
{
	size_t n = q->line_len >= 2 ? q->line_len - 2 : q->line_len;

	if (q->secret)
		n = 4;
	if (n >= size)
		n = size - 1;
	memcpy(buf, q->line, n);
	buf[n] = '\0';
	return buf;
}

void
pop3_q_free(struct pop3_q *q)
{
	if (q->secret && q->line)
		explicit_bzero(q->line, q->line_len);
	free(q->line);
	free(q);
}

void
pop3_reset_reply(struct pop3 *s)
{
	s->in_body = 0;
	s->octets = 0;
	dbuf_free(&s->collect);
	dbuf_reset(&s->tline);
	dbuf_free(&s->iline);
	s->nitems = 0;
	free(s->stext);
	s->stext = NULL;
}

static enum pop3_status
enqueue(struct pop3 *s, const struct pop3_req *r, char *line, int secret,
    int login)
{
	struct pop3_q *q, *prev = NULL;

	if (!line)
		return POP3_ERR_NOMEM;
	q = calloc(1, sizeof *q);
	if (!q) {
		if (secret)
			explicit_bzero(line, strlen(line));
		free(line);
		return POP3_ERR_NOMEM;
	}
	q->r = *r;
	q->line = line;
	q->line_len = strlen(line);
	q->secret = secret;
	q->login = login;
	if (login) {
		/* After the login requests already queued, before the
		 * caller's, none of which has been sent during login. */
		for (prev = NULL, q->next = s->head; q->next && q->next->login;
		    prev = q->next, q->next = q->next->next)
			;
		if (prev)
			prev->next = q;
		else
			s->head = q;
		if (!q->next)
			s->tail = q;
		if (s->unsent == q->next)
			s->unsent = q;
	} else {
		if (s->tail)
			s->tail->next = q;
		else
			s->head = q;
		s->tail = q;
		if (!s->unsent)
			s->unsent = q;
	}
	s->npending++;
	return POP3_OK;
}

/* Whether a request may be queued now; says why not in pop3_error, but
 * keeps the text of a fatal error that ended the session. */
static enum pop3_status
can_queue(struct pop3 *s)
{
	if (s->state == P_DEAD)
		return POP3_ERR_USAGE;
	if (s->state == P_NEW) {
		pop3_set_error(s, "not connected to %s yet (call pop3_connect or "
		    "pop3_connect_start first)", s->where);
		return POP3_ERR_USAGE;
	}
	if (s->state == P_QUIT || (s->tail && s->tail->r.cmd == POP3_QUIT)) {
		pop3_set_error(s, "the session with %s has ended with QUIT", s->where);
		return POP3_ERR_USAGE;
	}
	return POP3_OK;
}

enum pop3_status
pop3_submit(struct pop3 *s, const struct pop3_req *r)
{
	const char *name;
	char *line;

	if (!r || (unsigned)r->cmd > POP3_QUIT) {
		pop3_set_error(s, "no such POP3 command");
		return POP3_ERR_USAGE;
	}
	if (can_queue(s) != POP3_OK)
		return POP3_ERR_USAGE;
	name = pop3_cmd_name(r->cmd);
	switch (r->cmd) {
	case POP3_LIST:
	case POP3_UIDL:
	case POP3_RETR:
	case POP3_DELE:
	case POP3_TOP:
		if ((r->cmd == POP3_LIST || r->cmd == POP3_UIDL) && !r->has_n) {
			line = str_printf("%s\r\n", name);
			break;
		}
		if (r->n == 0) {
			pop3_set_error(s, "%s 0: messages are numbered from 1", name);
			return POP3_ERR_USAGE;
		}
		if (r->cmd == POP3_TOP)
			line = str_printf("TOP %lu %lu\r\n", r->n, r->lines);
		else
			line = str_printf("%s %lu\r\n", name, r->n);
		break;
	default:
		line = str_printf("%s\r\n", name);
		break;
	}
	return enqueue(s, r, line, 0, 0);
}

enum pop3_status
pop3_submit_login(struct pop3 *s, const struct pop3_req *r, const char *word,
    const char *arg, int secret)
{
	if (s->state != P_LOGIN || (arg && strpbrk(arg, "\r\n")))
		return POP3_ERR_USAGE;
	return enqueue(s, r, arg ? str_printf("%s %s\r\n", word, arg) :
	    str_printf("%s\r\n", word), secret, 1);
}

size_t
pop3_withdraw(struct pop3 *s, void *ctx)
{
	struct pop3_q **pp, *q, *gone = NULL, **gtail = &gone;
	struct pop3_reply rep;
	size_t n = 0;
	int unsent = 0;

	/* Unlink first, call back second: an on_done may submit. Everything
	 * from s->unsent on is still unsent. */
	for (pp = &s->head; (q = *pp) != NULL; ) {
		if (q == s->unsent)
			unsent = 1;
		if (unsent && !q->login && q->r.cmd != POP3_QUIT && q->r.ctx == ctx) {
			*pp = q->next;
			if (s->unsent == q)
				s->unsent = q->next;
			q->next = NULL;
			*gtail = q;
			gtail = &q->next;
			s->npending--;
			n++;
			continue;
		}
		pp = &q->next;
	}
	for (s->tail = s->head; s->tail && s->tail->next; s->tail = s->tail->next)
		;
	while ((q = gone) != NULL) {
		gone = q->next;
		memset(&rep, 0, sizeof rep);
		rep.cmd = q->r.cmd;
		rep.status = POP3_WITHDRAWN;
		rep.text = "";
		rep.error = "withdrawn before it was sent";
		if (q->r.on_done)
			q->r.on_done(q->r.ctx, &rep);
		pop3_q_free(q);
	}
	return n;
}

static int
can_send(const struct pop3 *s, const struct pop3_q *q)
{
	if (s->quit_sent || !POP3_ENGINE_LIVE(s))
		return 0;
	/* While logging in only the login's own requests go out. */
	if (s->state == P_LOGIN && !q->login)
		return 0;
	/* QUIT only once every other reply is in: nothing may follow it. */
	if (q->r.cmd == POP3_QUIT || !s->pipelining)
		return s->ninflight == 0;
	return s->ninflight < s->window;
}

static void
start_wait(struct pop3 *s)
{
	s->mark_ms = pop3_now_ms();
	s->mark_bytes = 0;
}

static enum pop3_status
pump_send(struct pop3 *s)
{
	struct pop3_q *q;

	while ((q = s->unsent) != NULL && can_send(s, q)) {
		if (dbuf_add(&s->out, q->line, q->line_len) < 0)
			return pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
		if (q->secret)
			s->out_secret = 1;
		if (s->trace) {
			if (q->secret)
				s->trace(s->trace_ctx, 'C', "PASS ********", 13);
			else
				s->trace(s->trace_ctx, 'C', q->line, q->line_len - 2);
		}
		if (s->ninflight == 0)
			start_wait(s);
		s->ninflight++;
		if (q->r.cmd == POP3_QUIT)
			s->quit_sent = 1;
		s->unsent = q->next;
	}
	while (s->out_off < s->out.len) {
		size_t n = 0;
		CURLcode rc = curl_easy_send(s->curl, s->out.p + s->out_off,
		    s->out.len - s->out_off, &n);

		if (rc == CURLE_AGAIN || (rc == CURLE_OK && n == 0))
			break;
		if (rc != CURLE_OK)
			return pop3_fail(s, POP3_ERR_NET, "cannot send to %s: %s",
			    s->where, curl_easy_strerror(rc));
		s->out_off += n;
	}
	if (s->out_off == s->out.len && s->out.len > 0) {
		if (s->out_secret)
			explicit_bzero(s->out.p, s->out.len);
		s->out_secret = 0;
		dbuf_reset(&s->out);
		s->out_off = 0;
	}
	return POP3_OK;
}

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
			    "malformed line: \"%s\"", s->where, describe(q, what,
			    sizeof what), quote(p, len, buf, sizeof buf));
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
	describe(q, what, sizeof what);
	if (!ok) {
		free(s->srvtext);
		s->srvtext = str_ndup(text, tlen);
		err = str_printf("%s refused %s", s->where, what);
		rep.error = err ? err : "the server refused the command";
	} else if (q->r.cmd == POP3_STAT) {
		if (pop3_parse_stat(text, tlen, &rep.count, &rep.octets) < 0)
			return pop3_fail(s, POP3_ERR_PROTO, "%s answered STAT with "
			    "\"%s\", not a count and a size", s->where,
			    quote(text, tlen, buf, sizeof buf));
	} else if (q->r.cmd == POP3_LAST) {
		if (pop3_parse_last(text, tlen, &rep.count) < 0)
			return pop3_fail(s, POP3_ERR_PROTO, "%s answered LAST with "
			    "\"%s\", not a number", s->where,
			    quote(text, tlen, buf, sizeof buf));
	} else if ((q->r.cmd == POP3_LIST || q->r.cmd == POP3_UIDL) && q->r.has_n) {
		int bad = q->r.cmd == POP3_LIST ?
		    pop3_parse_list(text, tlen, &one.n, &one.size) :
		    pop3_parse_uidl(text, tlen, &one.n, &off, &ulen);

		if (bad || one.n != q->r.n)
			return pop3_fail(s, POP3_ERR_PROTO, "%s answered %s with "
			    "\"%s\"", s->where, what, quote(text, tlen, buf, sizeof buf));
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
		start_wait(s);
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
		quote(line, len, buf, sizeof buf);
		free(masked);
		return pop3_fail(s, POP3_ERR_PROTO, "%s answered %s with a line "
		    "that is not a POP3 reply: \"%s\"", s->where,
		    describe(q, what, sizeof what), buf);
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
		start_wait(s);
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
		    "malformed line: \"%s\"", s->where, describe(q, what,
		    sizeof what), quote(p, len, buf, sizeof buf));
	if (q->r.cmd == POP3_UIDL) {
		memcpy(uid, p + off, ulen);
		uid[ulen] = '\0';
		it.uid = uid;
	}
	s->nitems++;
	if (q->r.on_item(q->r.ctx, &it) != 0)
		return pop3_fail(s, POP3_ERR_CANCELLED, "cancelled during %s",
		    describe(q, what, sizeof what));
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
	if (s->mark_bytes >= STALL_BYTES)
		start_wait(s);
	if (s->trace)
		trace_body(s, p, n);
	if (listing(q) && q->r.on_item)
		return item_data(s, q, p, n);
	if (streams(q)) {
		if (q->r.on_data(q->r.ctx, p, n) != 0)
			return pop3_fail(s, POP3_ERR_CANCELLED, "cancelled during %s",
			    describe(q, what, sizeof what));
		return POP3_OK;
	}
	if (s->collect.len + n > POP3_COLLECT_MAX)
		return pop3_fail(s, POP3_ERR_PROTO, "the reply of %s to %s is "
		    "larger than %lu MiB", s->where, describe(q, what, sizeof what),
		    POP3_COLLECT_MAX >> 20);
	if (dbuf_add(&s->collect, p, n) < 0)
		return pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
	return POP3_OK;
}

static enum pop3_status
process(struct pop3 *s)
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
			    "unasked: \"%s\"", s->where, quote(s->in + off,
			    take ? len : s->inlen - off, buf, sizeof buf));
		}
		if (!s->in_body) {
			len = 0;
			take = pop3_reply_line(s->in + off, s->inlen - off, &len);
			if ((!take && s->inlen - off > POP3_STATUS_MAX) ||
			    len > POP3_STATUS_MAX)
				return pop3_fail(s, POP3_ERR_PROTO, "%s answered %s "
				    "with a status line longer than %d octets",
				    s->where, describe(s->head, what, sizeof what),
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
			    describe(s->head, what, sizeof what), POP3_LISTLINE_MAX);
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

static enum pop3_status
closed_by_server(struct pop3 *s)
{
	char what[40];

	if (s->ninflight == 0)
		return pop3_fail(s, POP3_ERR_NET, "%s closed the connection",
		    s->where);
	describe(s->head, what, sizeof what);
	if (s->in_body)
		return pop3_fail(s, POP3_ERR_NET, "%s closed the connection in the "
		    "middle of the reply to %s (after %llu octets)", s->where, what,
		    s->octets);
	return pop3_fail(s, POP3_ERR_NET, "%s closed the connection before "
	    "answering %s", s->where, what);
}

static enum pop3_status
pump_recv(struct pop3 *s)
{
	unsigned long total = 0;
	enum pop3_status st;

	for (;;) {
		size_t n = 0;
		CURLcode rc = curl_easy_recv(s->curl, s->in + s->inlen,
		    sizeof s->in - s->inlen, &n);

		if (rc == CURLE_AGAIN)
			return POP3_OK;
		if (rc != CURLE_OK) {
			char what[40];

			if (s->ninflight == 0)
				return pop3_fail(s, POP3_ERR_NET, "connection to %s "
				    "broke: %s", s->where, curl_easy_strerror(rc));
			return pop3_fail(s, POP3_ERR_NET, "connection to %s broke "
			    "while waiting for the reply to %s (%llu octets of its "
			    "body in): %s", s->where, describe(s->head, what,
			    sizeof what), s->octets, curl_easy_strerror(rc));
		}
		if (n == 0)
			return closed_by_server(s);
		s->inlen += n;
		total += n;
		st = process(s);
		if (st != POP3_OK || !POP3_ENGINE_LIVE(s))
			return st;
		/* Let a caller's loop breathe; TLS may still hold bytes. */
		if (total >= RUN_BUDGET) {
			s->more = 1;
			return POP3_OK;
		}
	}
}

enum pop3_status
pop3_feed(struct pop3 *s, const char *p, size_t n)
{
	enum pop3_status st = POP3_OK;

	while (n > 0 && POP3_ENGINE_LIVE(s)) {
		size_t room = sizeof s->in - s->inlen, k = n < room ? n : room;

		if (room == 0)	/* process() never leaves this much behind */
			return pop3_fail(s, POP3_ERR_PROTO, "input from %s piled up",
			    s->where);
		memcpy(s->in + s->inlen, p, k);
		s->inlen += k;
		p += k;
		n -= k;
		st = process(s);
		if (st != POP3_OK)
			return st;
	}
	return st;
}

enum pop3_status
pop3_run(struct pop3 *s)
{
	enum pop3_status st;
	char what[40];

	if (s->state == P_CONNECTING)
		return pop3_login_run(s);
	if (!POP3_ENGINE_LIVE(s))
		return pop3_ended(s);
	s->more = 0;
	if ((st = pump_send(s)) != POP3_OK || (st = pump_recv(s)) != POP3_OK)
		return st;
	if (!POP3_ENGINE_LIVE(s))
		return pop3_ended(s);
	if ((st = pump_send(s)) != POP3_OK)
		return st;
	if (s->ninflight > 0 && !s->more &&
	    pop3_now_ms() - s->mark_ms >= s->reply_timeout_ms) {
		describe(s->head, what, sizeof what);
		if (s->in_body)
			return pop3_fail(s, POP3_ERR_TIMEOUT, "the reply of %s to %s "
			    "stalled: less than %d octets in %ld ms", s->where, what,
			    STALL_BYTES, s->reply_timeout_ms);
		return pop3_fail(s, POP3_ERR_TIMEOUT, "no reply from %s to %s "
		    "within %ld ms", s->where, what, s->reply_timeout_ms);
	}
	return POP3_OK;
}

int
pop3_fd(const struct pop3 *s)
{
	if (s->state == P_CONNECTING)
		return s->epfd;
	return POP3_ENGINE_LIVE(s) ? (int)s->fd : -1;
}

short
pop3_events(const struct pop3 *s)
{
	if (s->state == P_CONNECTING)
		return POLLIN;
	if (!POP3_ENGINE_LIVE(s))
		return 0;
	return POLLIN | (s->out_off < s->out.len ? POLLOUT : 0);
}

int
pop3_timeout_ms(const struct pop3 *s)
{
	long long left;

	if (s->state == P_CONNECTING)
		return pop3_login_timeout_ms(s);
	if (!POP3_ENGINE_LIVE(s))
		return -1;
	if (s->more || (s->unsent && can_send(s, s->unsent)))
		return 0;
	if (s->ninflight == 0)
		return -1;
	left = s->mark_ms + s->reply_timeout_ms - pop3_now_ms();
	if (left < 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}
