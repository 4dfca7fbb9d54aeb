/*
 * pop3.c: the POP3 command engine (see pop3.h): the queue, pipelining with a
 * bounded window, reading and parsing replies over curl_easy_send/recv,
 * timeouts, cancel, and giving the connection up without QUIT. Connecting and
 * logging in are in pop3_login.c; parsing is in pop3_reply.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pop3_priv.h"

#define TRACE_LINE_MAX 8192
#define RUN_BUDGET (4UL * 1024 * 1024)	/* bytes read per pop3_run */
#define STALL_BYTES 1024

static const char *const cmd_names[] = {
	"STAT", "LIST", "UIDL", "TOP", "RETR", "DELE", "RSET", "NOOP", "LAST",
	"CAPA", "QUIT",
};

static const char *const status_names[] = {
	"ok", "server", "auth", "tls", "net", "timeout", "proto", "cancelled",
	"usage", "nomem",
};

int
pop3_status_fatal(enum pop3_status st)
{
	return st >= POP3_ERR_AUTH && st != POP3_ERR_USAGE;
}

const char *
pop3_status_name(enum pop3_status st)
{
	if ((unsigned)st < sizeof status_names / sizeof status_names[0])
		return status_names[st];
	return "unknown";
}

const char *
pop3_cmd_name(enum pop3_cmd c)
{
	if ((unsigned)c < sizeof cmd_names / sizeof cmd_names[0])
		return cmd_names[c];
	return "?";
}

long long
pop3_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *
vformat(const char *fmt, va_list ap)
{
	struct dbuf b;

	dbuf_init(&b, 0);
	if (dbuf_vprintf(&b, fmt, ap) < 0)
		return NULL;
	return dbuf_take(&b, NULL);
}

void
pop3_set_error(struct pop3 *s, const char *fmt, ...)
{
	va_list ap;
	char *e;

	va_start(ap, fmt);
	e = vformat(fmt, ap);
	va_end(ap);
	if (!e)
		return;
	free(s->error);
	s->error = e;
}

void
pop3_note(struct pop3 *s, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (!s->trace)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	s->trace(s->trace_ctx, '*', buf, strlen(buf));
}

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

static void
q_free(struct pop3_q *q)
{
	if (q->secret && q->line)
		explicit_bzero(q->line, q->line_len);
	free(q->line);
	free(q);
}

static void
reset_reply(struct pop3 *s)
{
	s->in_body = 0;
	s->octets = 0;
	dbuf_free(&s->collect);
	dbuf_reset(&s->tline);
	free(s->stext);
	s->stext = NULL;
}

enum pop3_status
pop3_fail(struct pop3 *s, enum pop3_status st, const char *fmt, ...)
{
	struct pop3_q *q;
	struct pop3_reply rep;
	va_list ap;
	char *e;

	va_start(ap, fmt);
	e = vformat(fmt, ap);
	va_end(ap);
	if (e) {
		free(s->error);
		s->error = e;
	}
	if (!pop3_status_fatal(st) || s->state == P_DEAD)
		return st;
	s->state = P_DEAD;
	s->fatal = st;
	pop3_close_conn(s);
	if (s->out_secret && s->out.p)
		explicit_bzero(s->out.p, s->out.len);
	dbuf_free(&s->out);
	s->out_off = 0;
	s->inlen = 0;
	reset_reply(s);
	pop3_note(s, "connection closed without QUIT: %s", s->error ? s->error : "");
	/* Every request still queued completes with the same status. */
	while ((q = s->head) != NULL) {
		s->head = q->next;
		memset(&rep, 0, sizeof rep);
		rep.cmd = q->r.cmd;
		rep.status = st;
		rep.text = "";
		rep.error = s->error ? s->error : "out of memory";
		if (q->r.on_done)
			q->r.on_done(q->r.ctx, &rep);
		q_free(q);
	}
	s->tail = s->unsent = NULL;
	s->npending = s->ninflight = 0;
	return st;
}

static char *
dup_opt(const char *p, int *failed)
{
	char *d;

	if (!p)
		return NULL;
	d = strdup(p);
	if (!d)
		*failed = 1;
	return d;
}

struct pop3 *
pop3_new(const struct pop3_opts *o)
{
	struct pop3 *s;
	int failed = 0;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	s = calloc(1, sizeof *s);
	if (!s) {
		curl_global_cleanup();
		return NULL;
	}
	s->fd = CURL_SOCKET_BAD;
	dbuf_init(&s->capa, 65536);
	dbuf_init(&s->out, 0);
	dbuf_init(&s->collect, 0);
	dbuf_init(&s->tline, 0);
	s->url = dup_opt(o->url, &failed);
	s->user = dup_opt(o->user, &failed);
	s->password = dup_opt(o->password, &failed);
	s->auth = dup_opt(o->auth, &failed);
	s->cacert = dup_opt(o->cacert, &failed);
	s->pinned = dup_opt(o->pinned_pubkey, &failed);
	s->where = dup_opt(o->url ? o->url : "(no URL)", &failed);
	if (failed) {
		pop3_free(s);
		return NULL;
	}
	s->tls = o->tls;
	s->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 30000;
	s->reply_timeout_ms = o->reply_timeout_ms > 0 ? o->reply_timeout_ms : 60000;
	s->want_pipelining = o->pipelining;
	s->window = o->window ? o->window : 64;
	s->trace = o->trace;
	s->trace_ctx = o->trace_ctx;
	s->tick = o->tick;
	s->tick_ctx = o->tick_ctx;
	return s;
}

void
pop3_free(struct pop3 *s)
{
	if (!s)
		return;
	if (s->state == P_UP)
		pop3_fail(s, POP3_ERR_CANCELLED, "the session was closed");
	pop3_close_conn(s);
	pop3_wipe(&s->password);
	pop3_wipe(&s->url);
	if (s->out_secret && s->out.p)
		explicit_bzero(s->out.p, s->out.len);
	dbuf_free(&s->out);
	dbuf_free(&s->capa);
	dbuf_free(&s->collect);
	dbuf_free(&s->tline);
	free(s->user);
	free(s->auth);
	free(s->cacert);
	free(s->pinned);
	free(s->where);
	free(s->error);
	free(s->srvtext);
	free(s->greeting);
	free(s->bad_greeting);
	free(s->quit_text);
	free(s->stext);
	free(s);
	curl_global_cleanup();
}

const char *
pop3_error(const struct pop3 *s)
{
	return s->error ? s->error : "";
}

const char *
pop3_server_text(const struct pop3 *s)
{
	return s->srvtext ? s->srvtext : "";
}

const char *
pop3_greeting(const struct pop3 *s)
{
	return s->greeting ? s->greeting : "";
}

int
pop3_has_capa(const struct pop3 *s, const char *name)
{
	const char *p = s->capa.p;
	size_t n = s->capa.len, k = strlen(name), take, len;

	while (p && (take = pop3_reply_line(p, n, &len)) > 0) {
		if (len >= k && strncasecmp(p, name, k) == 0 &&
		    (len == k || p[k] == ' ' || p[k] == '\t'))
			return 1;
		p += take;
		n -= take;
	}
	return 0;
}

int
pop3_pipelining(const struct pop3 *s)
{
	return s->pipelining;
}

int
pop3_tls_active(const struct pop3 *s)
{
	return s->tls_active;
}

size_t
pop3_pending(const struct pop3 *s)
{
	return s->npending;
}

static enum pop3_status
enqueue(struct pop3 *s, const struct pop3_req *r, char *line, int secret)
{
	struct pop3_q *q;

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
	if (s->tail)
		s->tail->next = q;
	else
		s->head = q;
	s->tail = q;
	if (!s->unsent)
		s->unsent = q;
	s->npending++;
	return POP3_OK;
}

static enum pop3_status
can_queue(struct pop3 *s)
{
	if (s->state != P_UP)
		return POP3_ERR_USAGE;
	if (s->tail && s->tail->r.cmd == POP3_QUIT)
		return POP3_ERR_USAGE;
	return POP3_OK;
}

enum pop3_status
pop3_submit(struct pop3 *s, const struct pop3_req *r)
{
	const char *name;
	char *line;

	if (!r || (unsigned)r->cmd >= sizeof cmd_names / sizeof cmd_names[0])
		return POP3_ERR_USAGE;
	if (can_queue(s) != POP3_OK)
		return POP3_ERR_USAGE;
	name = cmd_names[r->cmd];
	switch (r->cmd) {
	case POP3_LIST:
	case POP3_UIDL:
		if (!r->has_n) {
			line = str_printf("%s\r\n", name);
			break;
		}
		/* fall through */
	case POP3_RETR:
	case POP3_DELE:
		if (r->n == 0)
			return POP3_ERR_USAGE;	/* messages count from 1 */
		line = str_printf("%s %lu\r\n", name, r->n);
		break;
	case POP3_TOP:
		if (r->n == 0)
			return POP3_ERR_USAGE;
		line = str_printf("TOP %lu %lu\r\n", r->n, r->lines);
		break;
	default:
		line = str_printf("%s\r\n", name);
		break;
	}
	return enqueue(s, r, line, 0);
}

enum pop3_status
pop3_submit_line(struct pop3 *s, const struct pop3_req *r, const char *word,
    const char *arg, int secret)
{
	if (can_queue(s) != POP3_OK || strpbrk(arg, "\r\n"))
		return POP3_ERR_USAGE;
	return enqueue(s, r, str_printf("%s %s\r\n", word, arg), secret);
}

static int
can_send(const struct pop3 *s, const struct pop3_q *q)
{
	if (s->quit_sent)
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

	for (c = p; c < p + n; c++)
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
		if (q->r.cmd == POP3_RETR && q->r.expect_size) {
			if (s->octets < q->r.expect_size)
				return pop3_fail(s, POP3_ERR_PROTO, "message %lu: got "
				    "%llu octets, LIST said %llu", q->r.n, s->octets,
				    q->r.expect_size);
			rep.size_mismatch = s->octets != q->r.expect_size;
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
	reset_reply(s);
	if (q->r.cmd == POP3_QUIT) {
		/* The server commits and closes; so do we. */
		pop3_close_conn(s);
		s->state = P_QUIT;
		pop3_note(s, "session ended by QUIT");
	}
	q_free(q);
	return POP3_OK;
}

static enum pop3_status
status_line(struct pop3 *s, const char *line, size_t len)
{
	struct pop3_q *q = s->head;
	enum pop3_status_kind k;
	size_t t;
	char buf[80], what[40];

	if (s->trace)
		s->trace(s->trace_ctx, 'S', line, len);
	k = pop3_reply_status(line, len, &t);
	if (k == POP3_STATUS_BAD)
		return pop3_fail(s, POP3_ERR_PROTO, "%s answered %s with a line "
		    "that is not a POP3 reply: \"%s\"", s->where,
		    describe(q, what, sizeof what), quote(line, len, buf, sizeof buf));
	free(s->stext);
	s->stext = str_ndup(line + t, len - t);
	if (!s->stext)
		return pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
	if (k == POP3_STATUS_OK && multiline(q)) {
		s->in_body = 1;
		s->octets = 0;
		pop3_body_init(&s->body, q->r.cmd == POP3_LIST ||
		    q->r.cmd == POP3_UIDL || q->r.cmd == POP3_CAPA ?
		    POP3_LISTLINE_MAX : 0);
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

static enum pop3_status
body_data(struct pop3 *s, const char *p, size_t n)
{
	struct pop3_q *q = s->head;
	char what[40];

	if (n == 0)
		return POP3_OK;
	s->octets += n;
	s->mark_bytes += n;
	if (s->mark_bytes >= STALL_BYTES)
		start_wait(s);
	if (s->trace)
		trace_body(s, p, n);
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

	while (s->state == P_UP && off < s->inlen) {
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
			st = status_line(s, s->in + off - take, len);
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
	if (s->state == P_UP) {
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
		if (rc != CURLE_OK)
			return pop3_fail(s, POP3_ERR_NET, "connection to %s broke: %s",
			    s->where, curl_easy_strerror(rc));
		if (n == 0)
			return closed_by_server(s);
		s->inlen += n;
		total += n;
		st = process(s);
		if (st != POP3_OK || s->state != P_UP)
			return st;
		/* Let a caller's loop breathe; TLS may still hold bytes. */
		if (total >= RUN_BUDGET) {
			s->more = 1;
			return POP3_OK;
		}
	}
}

static enum pop3_status
ended(const struct pop3 *s)
{
	if (s->state == P_DEAD)
		return s->fatal;
	if (s->state == P_QUIT)
		return POP3_OK;
	return POP3_ERR_USAGE;
}

enum pop3_status
pop3_run(struct pop3 *s)
{
	enum pop3_status st;
	char what[40];

	if (s->state != P_UP)
		return ended(s);
	s->more = 0;
	if ((st = pump_send(s)) != POP3_OK || (st = pump_recv(s)) != POP3_OK)
		return st;
	if (s->state != P_UP)
		return ended(s);
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
	return s->state == P_UP ? (int)s->fd : -1;
}

short
pop3_events(const struct pop3 *s)
{
	if (s->state != P_UP)
		return 0;
	return POLLIN | (s->out_off < s->out.len ? POLLOUT : 0);
}

int
pop3_timeout_ms(const struct pop3 *s)
{
	long long left;

	if (s->state != P_UP)
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

int
pop3_tick_due(struct pop3 *s)
{
	long long now;

	if (!s->tick)
		return 0;
	now = pop3_now_ms();
	if (now - s->last_tick < 50)
		return 0;
	s->last_tick = now;
	return s->tick(s->tick_ctx) != 0;
}

enum pop3_status
pop3_wait(struct pop3 *s)
{
	enum pop3_status st;
	struct pollfd pfd;
	int to;

	if (s->state != P_UP)
		return ended(s);
	while (s->npending > 0 && s->state == P_UP) {
		st = pop3_run(s);
		if (st != POP3_OK || s->state != P_UP || s->npending == 0)
			return st;
		if (pop3_tick_due(s))
			return pop3_fail(s, POP3_ERR_CANCELLED, "cancelled");
		if (s->more)
			continue;
		to = pop3_timeout_ms(s);
		if (to < 0 || to > 100)
			to = 100;
		pfd.fd = s->fd;
		pfd.events = pop3_events(s);
		pfd.revents = 0;
		if (poll(&pfd, 1, to) < 0 && errno != EINTR)
			return pop3_fail(s, POP3_ERR_NET, "poll: %s", strerror(errno));
	}
	return ended(s) == POP3_ERR_USAGE ? POP3_OK : ended(s);
}

static void
quit_done(void *ctx, const struct pop3_reply *r)
{
	*(enum pop3_status *)ctx = r->status;
}

enum pop3_status
pop3_quit(struct pop3 *s, const char **text)
{
	struct pop3_req r;
	enum pop3_status st, qst = POP3_ERR_NET;

	if (text)
		*text = "";
	if (s->state != P_UP)
		return s->state == P_DEAD ? s->fatal : POP3_ERR_USAGE;
	st = pop3_wait(s);
	if (st != POP3_OK)
		return st;
	memset(&r, 0, sizeof r);
	r.cmd = POP3_QUIT;
	r.on_done = quit_done;
	r.ctx = &qst;
	st = pop3_submit(s, &r);
	if (st == POP3_OK)
		st = pop3_wait(s);
	if (st != POP3_OK)
		return st;
	if (text)
		*text = s->quit_text ? s->quit_text : "";
	return qst;
}
