/*
 * pop3.c: the life of a POP3 session (see pop3.h): options, accessors,
 * giving the connection up without QUIT when something fatal happens,
 * blocking waits with tick, and QUIT. The command engine is in
 * pop3_engine.c, connecting and logging in in pop3_login.c, reply parsing in
 * pop3_reply.c.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pop3_priv.h"

static const char *const cmd_names[] = {
	"STAT", "LIST", "UIDL", "TOP", "RETR", "DELE", "RSET", "NOOP", "LAST",
	"CAPA", "QUIT",
};

static const char *const status_names[] = {
	"ok", "server", "auth", "tls", "net", "timeout", "proto", "cancelled",
	"usage", "nomem", "withdrawn",
};

int
pop3_status_fatal(enum pop3_status st)
{
	return st >= POP3_ERR_AUTH && st != POP3_ERR_USAGE && st != POP3_WITHDRAWN;
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

void
pop3_cmd_label(enum pop3_cmd c, int has_n, unsigned long n, unsigned long lines,
    char *buf, size_t size)
{
	const char *name = pop3_cmd_name(c);

	if (c == POP3_TOP)
		snprintf(buf, size, "%s %lu %lu", name, n, lines);
	else if (has_n)
		snprintf(buf, size, "%s %lu", name, n);
	else
		snprintf(buf, size, "%s", name);
}

long long
pop3_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define MASK "********"

void
pop3_secret_add(struct pop3 *s, const char *p, size_t n)
{
	size_t i;

	if (n == 0 || s->nsecrets == POP3_SECRETS_MAX)
		return;
	for (i = 0; i < s->nsecrets; i++)
		if (strlen(s->secrets[i]) == n && memcmp(s->secrets[i], p, n) == 0)
			return;
	if ((s->secrets[s->nsecrets] = str_ndup(p, n)) != NULL)
		s->nsecrets++;
}

void
pop3_secrets_wipe(struct pop3 *s)
{
	while (s->nsecrets > 0) {
		s->nsecrets--;
		str_wipe_free(s->secrets[s->nsecrets]);
		s->secrets[s->nsecrets] = NULL;
	}
}

/* An echo stands apart from the text around it ("PASS hunter2", "'abc'");
 * a short password inside a longer word ("x" in "text") is no echo. */
static int
inside_word(const char *p, size_t n, size_t i, size_t l)
{
	return (i > 0 && isalnum((unsigned char)p[i - 1]) &&
	    isalnum((unsigned char)p[i])) ||
	    (i + l < n && isalnum((unsigned char)p[i + l]) &&
	    isalnum((unsigned char)p[i + l - 1]));
}

char *
pop3_masked(const struct pop3 *s, const char *p, size_t n)
{
	struct dbuf d;
	size_t i, k, best;

	dbuf_init(&d, 0);
	for (i = 0; i < n; ) {
		/* the longest secret here: a password inside its encoding
		 * must not leave the rest of the encoding behind */
		for (best = 0, k = 0; k < s->nsecrets; k++) {
			size_t l = strlen(s->secrets[k]);

			if (l > best && l <= n - i && memcmp(p + i, s->secrets[k], l) == 0 &&
			    !inside_word(p, n, i, l))
				best = l;
		}
		if (best) {
			dbuf_add(&d, MASK, sizeof MASK - 1);
			i += best;
		} else {
			dbuf_add(&d, p + i, 1);
			i++;
		}
	}
	if (dbuf_add(&d, "", 1) < 0) {
		dbuf_free(&d);
		return NULL;
	}
	return d.p;
}

/* Puts e in s->error. Server text in it was masked where it came in. */
static void
set_error_text(struct pop3 *s, char *e)
{
	if (!e)
		return;
	free(s->error);
	s->error = e;
}

void
pop3_set_error(struct pop3 *s, const char *fmt, ...)
{
	va_list ap;
	char *e;

	va_start(ap, fmt);
	e = str_vprintf(fmt, ap);
	va_end(ap);
	set_error_text(s, e);
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

enum pop3_status
pop3_fail(struct pop3 *s, enum pop3_status st, const char *fmt, ...)
{
	struct pop3_q *q;
	struct pop3_reply rep;
	va_list ap;
	char *e;

	va_start(ap, fmt);
	e = str_vprintf(fmt, ap);
	va_end(ap);
	set_error_text(s, e);
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
	pop3_reset_reply(s);
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
		pop3_q_free(q);
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
	s->curl_sock = CURL_SOCKET_BAD;
	s->epfd = -1;
	s->timer_at = -1;
	dbuf_init(&s->capa, 65536);
	dbuf_init(&s->out, 0);
	dbuf_init(&s->collect, 0);
	dbuf_init(&s->tline, 0);
	dbuf_init(&s->iline, 0);
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
	if (s->state == P_UP || s->state == P_CONNECTING || s->state == P_LOGIN)
		pop3_fail(s, POP3_ERR_CANCELLED, "the session was closed");
	pop3_close_conn(s);
	pop3_secrets_wipe(s);
	pop3_wipe(&s->password);
	pop3_wipe(&s->url);
	if (s->out_secret && s->out.p)
		explicit_bzero(s->out.p, s->out.len);
	dbuf_free(&s->out);
	dbuf_free(&s->capa);
	dbuf_free(&s->collect);
	dbuf_free(&s->tline);
	dbuf_free(&s->iline);
	free(s->user);
	free(s->auth);
	free(s->cacert);
	free(s->pinned);
	free(s->where);
	free(s->error);
	free(s->srvtext);
	free(s->greeting);
	free(s->sasl_challenge);
	free(s->bad_greeting);
	free(s->quit_text);
	free(s->stext);
	free(s->auth_used);
	free(s->capa_pre);
	free(s->capa_err);
	free(s->login_user);
	free(s->opts);
	free(s->curl_url);
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

const char *
pop3_capa_value(const struct pop3 *s, const char *name, char *buf, size_t size)
{
	const char *p = s->capa.p, *v;
	size_t n = s->capa.len, k = strlen(name), take, len, vl;

	while (p && size > 0 && (take = pop3_reply_line(p, n, &len)) > 0) {
		if (len >= k && strncasecmp(p, name, k) == 0 &&
		    (len == k || p[k] == ' ' || p[k] == '\t')) {
			for (v = p + k; v < p + len && (*v == ' ' || *v == '\t'); v++)
				;
			vl = (size_t)(p + len - v);
			if (vl >= size)
				vl = size - 1;
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return buf;
		}
		p += take;
		n -= take;
	}
	return NULL;
}

const char *
pop3_capa(const struct pop3 *s, size_t *len)
{
	*len = s->capa.len;
	return s->capa.p ? s->capa.p : "";
}

const char *
pop3_capa_refused(const struct pop3 *s)
{
	return s->capa_err;
}

int
pop3_utf8(const struct pop3 *s)
{
	return s->utf8;
}

const char *
pop3_auth_used(const struct pop3 *s)
{
	return s->state == P_UP || s->state == P_QUIT ?
	    (s->auth_used ? s->auth_used : "") : "";
}

int
pop3_connected(const struct pop3 *s)
{
	return s->state == P_UP;
}

void
pop3_cancel(struct pop3 *s)
{
	if (s->state == P_NEW || s->state == P_QUIT || s->state == P_DEAD) {
		if (s->state == P_NEW) {
			s->state = P_DEAD;
			s->fatal = POP3_ERR_CANCELLED;
		}
		return;
	}
	pop3_fail(s, POP3_ERR_CANCELLED, "cancelled; the connection to %s was "
	    "closed without QUIT", s->where);
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

int
pop3_quit_sent(const struct pop3 *s)
{
	return s->quit_sent;
}

unsigned long long
pop3_body_progress(const struct pop3 *s)
{
	return s->in_body ? s->octets : 0;
}

enum pop3_status
pop3_ended(const struct pop3 *s)
{
	if (s->state == P_DEAD)
		return s->fatal;
	if (s->state == P_QUIT)
		return POP3_OK;
	return POP3_ERR_USAGE;
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

	if (s->state != P_UP && s->state != P_CONNECTING && s->state != P_LOGIN)
		return pop3_ended(s);
	while ((s->npending > 0 && s->state == P_UP) ||
	    s->state == P_CONNECTING || s->state == P_LOGIN) {
		st = pop3_run(s);
		if (st != POP3_OK)
			return st;
		if (s->state != P_UP && s->state != P_CONNECTING &&
		    s->state != P_LOGIN)
			break;
		if (s->state == P_UP && s->npending == 0)
			return POP3_OK;
		if (pop3_tick_due(s))
			return pop3_fail(s, POP3_ERR_CANCELLED, "cancelled; the "
			    "connection to %s was closed without QUIT", s->where);
		if (s->more)
			continue;
		to = pop3_timeout_ms(s);
		if (to < 0 || to > 100)
			to = 100;
		pfd.fd = pop3_fd(s);
		pfd.events = pop3_events(s);
		pfd.revents = 0;
		if (poll(&pfd, 1, to) < 0 && errno != EINTR)
			return pop3_fail(s, POP3_ERR_NET, "waiting for %s: %s",
			    s->where, strerror(errno));
	}
	return pop3_ended(s) == POP3_ERR_USAGE ? POP3_OK : pop3_ended(s);
}

enum pop3_status
pop3_call(struct pop3 *s, const struct pop3_req *r)
{
	enum pop3_status st = pop3_submit(s, r);

	return st == POP3_OK ? pop3_wait(s) : st;
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
	st = pop3_call(s, &r);
	if (st != POP3_OK)
		return st;
	if (text)
		*text = s->quit_text ? s->quit_text : "";
	return qst;
}
