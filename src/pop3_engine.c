/*
 * pop3_engine.c: the command engine of the POP3 session (see pop3.h): the
 * queue (submit, withdraw), sending with a bounded pipelining window,
 * receiving over curl_easy_recv, and the timeouts of a reply. Replies are
 * parsed and completed in pop3_read.c; the session's life (new, free, fail,
 * wait, quit) is in pop3.c; connecting and logging in in pop3_login.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pop3_priv.h"

#define RUN_BUDGET (4UL * 1024 * 1024)	/* bytes read per pop3_run */

/* A server's line made safe to quote in pouch's own text. */
const char *
pop3_quote(const char *p, size_t n, char *buf, size_t size)
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
const char *
pop3_describe(const struct pop3_q *q, char *buf, size_t size)
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
		/* After the login requests already queued and after anything
		 * sent (the caller's STAT, LIST, UIDL may have followed the
		 * post-login CAPA), before the caller's unsent ones. */
		int seen = 0;

		for (prev = NULL, q->next = s->head; q->next;
		    prev = q->next, q->next = q->next->next) {
			if (q->next == s->unsent)
				seen = 1;
			if (seen && !q->next->login)
				break;
		}
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

	/* A session that has ended completes its queue with its own status. */
	if (s->state != P_CONNECTING && !POP3_ENGINE_LIVE(s))
		return 0;
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
	/* While logging in only the login's own requests go out; but once
	 * the post-login CAPA is out, on a server whose CAPA before login
	 * offered PIPELINING, the caller's STAT, LIST and UIDL follow it in
	 * the same flight (one round trip less): they do not depend on what
	 * CAPA or UTF8 say. RETR and TOP wait (UTF8, RFC 6856, changes what
	 * they get). */
	if (s->state == P_LOGIN && !q->login) {
		if (!s->early || (q->r.cmd != POP3_STAT && q->r.cmd != POP3_LIST &&
		    q->r.cmd != POP3_UIDL))
			return 0;
		return s->ninflight < s->window;
	}
	/* QUIT only once every other reply is in: nothing may follow it. */
	if (q->r.cmd == POP3_QUIT || !s->pipelining)
		return s->ninflight == 0;
	return s->ninflight < s->window;
}

void
pop3_start_wait(struct pop3 *s)
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
			pop3_start_wait(s);
		s->ninflight++;
		if (q->r.cmd == POP3_QUIT)
			s->quit_sent = 1;
		if (s->state == P_LOGIN && !q->login)
			s->early_sent++;
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

static enum pop3_status
closed_by_server(struct pop3 *s)
{
	char what[40];

	if (s->ninflight == 0)
		return pop3_fail(s, POP3_ERR_NET, "%s closed the connection",
		    s->where);
	pop3_describe(s->head, what, sizeof what);
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
			    "body in): %s", s->where, pop3_describe(s->head, what,
			    sizeof what), s->octets, curl_easy_strerror(rc));
		}
		if (n == 0)
			return closed_by_server(s);
		s->inlen += n;
		total += n;
		st = pop3_process(s);
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
		st = pop3_process(s);
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
		pop3_describe(s->head, what, sizeof what);
		if (s->in_body)
			return pop3_fail(s, POP3_ERR_TIMEOUT, "the reply of %s to %s "
			    "stalled: less than %d octets in %ld ms", s->where, what,
			    POP3_STALL_BYTES, s->reply_timeout_ms);
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
