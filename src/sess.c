/*
 * sess.c: the requests of one session, its first failure, and its end (see
 * sess.h). The bookkeeping the replies feed is in sess_last.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/util.h>

#include "sess_priv.h"

static void
label_of(const struct sreq *q, char *buf, size_t n)
{
	pop3_cmd_label(q->cmd, q->has_n, q->n, q->lines, buf, n);
}

/* Keeps the first failure and reports it; later ones only mark the
 * connection gone (fail_set's callers do that). */
static void
fail_set(struct sess *s, enum sess_status st, const char *label, const char *text,
    const char *server_text)
{
	if (s->failed)
		return;
	s->failed = 1;
	s->fail_label = strdup(label ? label : "session");
	s->fail_text = text ? strdup(text) : NULL;
	s->fail_server = server_text ? strdup(server_text) : NULL;
	s->fail.status = st;
	s->fail.label = s->fail_label ? s->fail_label : "session";
	s->fail.text = server_text ? NULL : s->fail_text ? s->fail_text : "out of memory";
	s->fail.server_text = server_text ? (s->fail_server ? s->fail_server : "") : NULL;
	if (s->o.cbs.on_fail)
		s->o.cbs.on_fail(s->o.cbs.ctx, &s->fail);
}

void
sess_fail(struct sess *s, enum sess_status st, const char *label, const char *text)
{
	fail_set(s, st, label, text ? text : "failed", NULL);
}

const struct sess_failure *
sess_failure(const struct sess *s)
{
	return s->failed ? &s->fail : NULL;
}

void
sess_warn(struct sess *s, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (!s->o.cbs.on_warn)
		return;
	va_start(ap, fmt);
	msg = str_vprintf(fmt, ap);
	va_end(ap);
	s->o.cbs.on_warn(s->o.cbs.ctx, msg ? msg : "out of memory");
	free(msg);
}

struct sess *
sess_new(const struct sess_opts *o)
{
	struct sess *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->o = *o;
	s->p = pop3_new(&o->pop3);
	if (!s->p) {
		free(s);
		return NULL;
	}
	return s;
}

void
sess_free(struct sess *s)
{
	if (!s)
		return;
	/* Completes what is queued (each sreq frees itself), closes without
	 * QUIT. */
	pop3_free(s->p);
	s->p = NULL;
	sess_last_free(s);
	free(s->fail_label);
	free(s->fail_text);
	free(s->fail_server);
	free(s->quit_text);
	free(s->quit_error);
	free(s->record_error);
	free(s);
}

struct pop3 *
sess_pop3(const struct sess *s)
{
	return s->p;
}

/* The login failed: the session is over. */
static enum sess_status
connect_failed(struct sess *s, enum pop3_status st)
{
	const char *err = pop3_error(s->p);

	s->connecting = 0;
	s->conn_gone = 1;
	s->end = END_DONE;
	s->failed = 1;
	/* Requests queued behind a stepwise login fail with it, the first
	 * of them through fail_set: the login's failure replaces theirs. */
	free(s->fail_label);
	free(s->fail_text);
	free(s->fail_server);
	s->fail_label = strdup(st == POP3_ERR_AUTH ? "login" : "connect");
	s->fail_text = strdup(err ? err : pop3_status_name(st));
	s->fail_server = strdup(pop3_server_text(s->p));
	s->fail.status = (enum sess_status)st;
	s->fail.label = s->fail_label ? s->fail_label : "connect";
	s->fail.text = s->fail_text ? s->fail_text : "out of memory";
	s->fail.server_text = s->fail_server ? s->fail_server : "";
	return (enum sess_status)st;
}

enum sess_status
sess_connect(struct sess *s)
{
	enum pop3_status st = pop3_connect(s->p);

	if (st == POP3_OK) {
		s->connected = 1;
		return SESS_OK;
	}
	/* Returned, not reported through on_fail or on_end: the caller
	 * words a failed login its own way. */
	s->end_reported = 1;
	return connect_failed(s, st);
}

enum sess_status
sess_connect_start(struct sess *s)
{
	enum pop3_status st = pop3_connect_start(s->p);

	if (st != POP3_OK) {
		s->end_reported = 1;
		return connect_failed(s, st);
	}
	s->connecting = 1;
	return SESS_OK;
}

int
sess_connected(const struct sess *s)
{
	return s->connected;
}

/* Stepwise login: done, or failed (reported: on_fail, then on_end). */
static void
connect_step(struct sess *s, enum pop3_status st)
{
	int reported;

	if (!s->connecting)
		return;
	if (st == POP3_OK && pop3_connected(s->p)) {
		s->connecting = 0;
		s->connected = 1;
		return;
	}
	if (st == POP3_OK || st == POP3_ERR_SERVER)
		return;
	reported = s->failed;
	connect_failed(s, st);
	if (!reported && s->o.cbs.on_fail)
		s->o.cbs.on_fail(s->o.cbs.ctx, &s->fail);
}

static void
live_unlink(struct sess *s, struct sreq *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		s->live = q->next;
	if (q->next)
		q->next->prev = q->prev;
}

/* A LIST has come back: the RETRs in flight learn the size their body is
 * checked against (the engine reads it through expect_sizep at the end of
 * the body). */
static void
fill_expect(struct sess *s)
{
	struct sreq *q;

	for (q = s->live; q; q = q->next)
		if (q->cmd == POP3_RETR && !q->expect)
			q->expect = sess_size(s, q->n);
}

static void end_step(struct sess *s);

/* sess_opts.quit_early: QUIT is out or answered, the caller's requests are
 * over; the copies are made durable now, before any outcome. */
static void
early_sync(struct sess *s)
{
	s->end = END_QUIT;
	if (!s->failed && s->o.cbs.sync && s->o.cbs.sync(s->o.cbs.ctx) != 0)
		fail_set(s, SESS_ERR_LOCAL, "sync", "the messages could not be "
		    "made durable", NULL);
}

static void
quit_done(struct sess *s, const struct pop3_reply *r)
{
	/* An early QUIT answered before sess_run saw the caller's requests
	 * end (blocking, always): sync first; a failure of it fails the
	 * session, so the +OK below commits no record. */
	if (s->end == END_EARLY)
		early_sync(s);
	s->end = END_DONE;
	if (s->failed)
		return;		/* the QUIT after RSET: nothing to commit */
	s->res.status = (enum sess_status)r->status;
	if (r->status == POP3_OK) {
		sess_last_commit(s);
		return;
	}
	if (r->status == POP3_ERR_SERVER)
		s->quit_text = strdup(r->text ? r->text : "");
	else
		s->quit_error = strdup(r->error ? r->error : pop3_status_name(r->status));
	s->res.deletions_unknown = s->ndele > 0;
}

/* LAST's answer: after a -ERR, the record's; after +OK, the higher of the
 * server's and the record's, since a server that answers LAST per session
 * (popa3d, RFC 1460) says 0 to a new session whatever earlier ones
 * retrieved. A record above the server's answer also marks the server as
 * one whose LAST is not to be trusted, so that later sessions keep UIDLs. */
static void
last_answer(struct sreq *q, const char *server_text)
{
	struct sess *s = q->s;
	unsigned long rec;

	if (!q->on_last)
		return;
	rec = sess_last_local(s);
	if (!q->last_ok) {
		q->on_last(q->last_ctx, rec, 1, server_text);
		return;
	}
	if (rec > q->last_count) {
		sess_record_nolast(s);
		q->on_last(q->last_ctx, rec, 2, server_text);
		return;
	}
	q->on_last(q->last_ctx, q->last_count, 0, NULL);
}

/* LAST answered: at once, or once the UIDL map the record needs is in
 * (queued now; the server's text rides along in the UIDL's request). */
static void
last_reply(struct sreq *q, const struct pop3_reply *r)
{
	struct sess *s = q->s;
	struct sreq *u;
	int need;

	q->last_ok = r->status == POP3_OK;
	q->last_count = r->count;
	if (q->last_ok)
		need = sess_record_wants_map(s);
	else
		need = s->uidl_state == 0 && s->o.state_dir != NULL;
	if (need && s->uidl_sent != 1 &&
	    sess_submit_aux(s, POP3_UIDL, 0, 0, &u) == SESS_OK) {
		s->uidl_sent = 1;
		u->on_last = q->on_last;
		u->last_ctx = q->last_ctx;
		u->last_ok = q->last_ok;
		u->last_count = q->last_count;
		u->last_text = strdup(r->text ? r->text : "");
		return;
	}
	if (!s->failed)
		last_answer(q, r->text ? r->text : "");
}

static void
aux_done(struct sreq *q, const struct pop3_reply *r)
{
	struct sess *s = q->s;
	char label[64];

	label_of(q, label, sizeof label);
	switch (q->cmd) {
	case POP3_LIST:
		if (!q->has_n)
			s->list_pending = 0;
		if (q->stream)
			(void)sess_list_end(s, q, r->status == POP3_OK && !s->failed);
		if (r->status == POP3_OK) {
			if (!q->stream && sess_keep_list(s, r, q->has_n) < 0)
				fail_set(s, SESS_ERR_NOMEM, label, "out of memory", NULL);
			fill_expect(s);
			return;
		}
		/* A -ERR to LIST n is left for RETR n to report; a whole LIST
		 * refused stops the RETRs behind it. */
		if (r->status == POP3_ERR_SERVER && !q->has_n)
			fail_set(s, SESS_ERR_SERVER, label, NULL, r->text ? r->text : "");
		break;
	case POP3_UIDL:
		s->uidl_sent = 2;	/* answered */
		if (r->status == POP3_OK) {
			if ((q->stream ? sess_uidl_end(s, q, !s->failed) :
			    sess_keep_uidl(s, r)) < 0)
				fail_set(s, SESS_ERR_NOMEM, label, "out of memory", NULL);
		} else if (q->stream) {
			(void)sess_uidl_end(s, q, 0);
		}
		if (r->status == POP3_ERR_SERVER)
			s->uidl_state = -1;
		/* A LAST that waited for the UIDL map answers now. */
		if (q->on_last && !pop3_status_fatal(r->status) && !s->failed)
			last_answer(q, q->last_text ? q->last_text : "");
		break;
	case POP3_LAST:
		if (r->status == POP3_ERR_SERVER)
			sess_record_nolast(s);
		if (r->status == POP3_OK || r->status == POP3_ERR_SERVER) {
			last_reply(q, r);
			return;
		}
		break;
	case POP3_RSET:
		if (s->end == END_UNDO) {
			/* sess_end_marks: the session's DELEs undone, the end
			 * goes on; else it ends here, with no QUIT. */
			if (r->status == POP3_OK) {
				sess_rset_done(s);
				s->undo_dele = 0;
				s->end = END_WANT;
				return;
			}
			s->end = END_DONE;
			if (r->status == POP3_ERR_SERVER)
				fail_set(s, SESS_ERR_SERVER, label, NULL, r->text ? r->text : "");
			else
				fail_set(s, (enum sess_status)r->status, label,
				    r->error ? r->error : pop3_status_name(r->status), NULL);
			return;
		}
		/* The end after a failure: QUIT only once RSET is accepted. */
		if (r->status == POP3_OK && sess_submit_aux(s, POP3_QUIT, 0, 0, NULL) == SESS_OK) {
			s->end = END_QUIT;
			s->res.abandoned = 1;
		} else {
			s->end = END_DONE;
		}
		return;
	case POP3_QUIT:
		quit_done(s, r);
		return;
	default:
		break;
	}
	if (r->status != POP3_OK && r->status != POP3_ERR_SERVER)
		fail_set(s, (enum sess_status)r->status, label,
		    r->error ? r->error : pop3_status_name(r->status), NULL);
}

static void
user_done(struct sreq *q, const struct pop3_reply *r)
{
	struct sess *s = q->s;
	char label[64];
	int rc = 0;

	label_of(q, label, sizeof label);
	if (r->status == POP3_WITHDRAWN) {
		/* Taken back before it was sent: the caller frees its ctx. */
		if (q->user.on_done)
			(void)q->user.on_done(q->user.ctx, r);
		return;
	}
	/* A whole UIDL of the caller's is answered as one of sess's own: a
	 * LAST that needs the map later must not wait for it (nor answer
	 * without the map) as if it were still in flight. */
	if (q->cmd == POP3_UIDL && !q->has_n) {
		s->uidl_sent = 2;
		if (r->status == POP3_ERR_SERVER)
			s->uidl_state = -1;
	}
	if (q->stream && (r->status != POP3_OK || s->failed)) {
		if (q->cmd == POP3_LIST)
			(void)sess_list_end(s, q, 0);
		else
			(void)sess_uidl_end(s, q, 0);
	}
	if (r->status == POP3_OK && !s->failed) {
		int nomem = 0;

		switch (q->cmd) {
		case POP3_LIST:
			nomem = (q->stream ? sess_list_end(s, q, 1) :
			    sess_keep_list(s, r, q->has_n)) < 0;
			fill_expect(s);
			break;
		case POP3_UIDL:
			nomem = !q->has_n && (q->stream ? sess_uidl_end(s, q, 1) :
			    sess_keep_uidl(s, r)) < 0;
			break;
		case POP3_DELE:
			nomem = sess_deleted(s, q->n) < 0;
			break;
		case POP3_RSET:
			sess_rset_done(s);
			break;
		default:
			break;
		}
		if (nomem)
			fail_set(s, SESS_ERR_NOMEM, label, "out of memory", NULL);
	} else if (r->status == POP3_ERR_SERVER) {
		if (!q->user.soft)
			fail_set(s, SESS_ERR_SERVER, label, NULL, r->text ? r->text : "");
	} else if (r->status != POP3_OK) {
		fail_set(s, (enum sess_status)r->status, label,
		    r->error ? r->error : pop3_status_name(r->status), NULL);
	}
	if (q->user.on_done)
		rc = q->user.on_done(q->user.ctx, r);
	if (rc)
		fail_set(s, SESS_ERR_LOCAL, label, "failed", NULL);
	else if (q->cmd == POP3_RETR && r->status == POP3_OK && !s->failed &&
	    sess_retrieved(s, q->n) < 0)
		fail_set(s, SESS_ERR_NOMEM, label, "out of memory", NULL);
}

static void
w_done(void *ctx, const struct pop3_reply *r)
{
	struct sreq *q = ctx;
	struct sess *s = q->s;

	if (pop3_status_fatal(r->status))
		s->conn_gone = 1;
	if (!q->aux)
		s->nuser--;
	if (q->aux)
		aux_done(q, r);
	else
		user_done(q, r);
	live_unlink(s, q);
	free(q->last_text);
	free(q);
}

static int
w_data(void *ctx, const char *p, size_t n)
{
	struct sreq *q = ctx;
	struct sess *s = q->s;
	char label[64];

	/* After a failure the rest is drained and dropped; after a local
	 * one the connection goes at once (nothing more is worth reading). */
	if (s->failed)
		return s->fail.status == SESS_ERR_LOCAL;
	q->started = 1;
	if (q->user.on_data(q->user.ctx, p, n) != 0) {
		label_of(q, label, sizeof label);
		fail_set(s, SESS_ERR_LOCAL, label, "failed", NULL);
		return 1;
	}
	return 0;
}

/* A line of a whole LIST or UIDL: sess keeps what it needs (sizes, the
 * UIDL map) and hands the line on to the caller's on_item, if any; nothing
 * else keeps the listing (issue 9 item 8). */
static int
w_item(void *ctx, const struct pop3_item *it)
{
	struct sreq *q = ctx;
	struct sess *s = q->s;
	char label[64];
	int rc;

	if (s->failed)
		return s->fail.status == SESS_ERR_LOCAL;
	rc = q->cmd == POP3_LIST ? sess_list_item(s, q, it) : sess_uidl_item(s, q, it);
	if (rc < 0) {
		label_of(q, label, sizeof label);
		fail_set(s, SESS_ERR_NOMEM, label, "out of memory", NULL);
		return 1;
	}
	if (!q->aux && q->user.on_item && q->user.on_item(q->user.ctx, it) != 0) {
		label_of(q, label, sizeof label);
		fail_set(s, SESS_ERR_LOCAL, label, "failed", NULL);
		return 1;
	}
	return 0;
}

static enum sess_status
submit_q(struct sess *s, struct sreq *q)
{
	struct pop3_req r;
	enum pop3_status st;
	char label[64];

	memset(&r, 0, sizeof r);
	r.cmd = q->cmd;
	r.has_n = q->has_n;
	r.n = q->n;
	r.lines = q->lines;
	if (q->cmd == POP3_RETR)
		r.expect_sizep = &q->expect;
	if (!q->aux && q->user.on_data && (q->cmd == POP3_RETR || q->cmd == POP3_TOP))
		r.on_data = w_data;
	/* A whole listing streams when it is sess's own, or the caller takes
	 * it line by line; else the engine collects it for the caller. */
	if ((q->cmd == POP3_LIST || q->cmd == POP3_UIDL) && !q->has_n &&
	    (q->aux || q->user.on_item)) {
		q->stream = 1;
		r.on_item = w_item;
	}
	r.on_done = w_done;
	r.ctx = q;
	st = pop3_submit(s->p, &r);
	if (st != POP3_OK) {
		label_of(q, label, sizeof label);
		fail_set(s, (enum sess_status)st, label, pop3_error(s->p) ?
		    pop3_error(s->p) : "the request was refused", NULL);
		free(q);
		return (enum sess_status)st;
	}
	if (!q->aux)
		s->nuser++;
	q->next = s->live;
	if (s->live)
		s->live->prev = q;
	s->live = q;
	return SESS_OK;
}

static struct sreq *
sreq_new(struct sess *s, enum pop3_cmd cmd, int has_n, unsigned long n)
{
	struct sreq *q = calloc(1, sizeof *q);

	if (!q) {
		fail_set(s, SESS_ERR_NOMEM, pop3_cmd_name(cmd), "out of memory", NULL);
		return NULL;
	}
	q->s = s;
	q->cmd = cmd;
	q->has_n = has_n;
	q->n = n;
	return q;
}

enum sess_status
sess_submit_aux(struct sess *s, enum pop3_cmd cmd, int has_n, unsigned long n,
    struct sreq **out)
{
	struct sreq *q = sreq_new(s, cmd, has_n, n);
	enum sess_status st;

	if (out)
		*out = NULL;
	if (!q)
		return SESS_ERR_NOMEM;
	q->aux = 1;
	st = submit_q(s, q);
	if (st == SESS_OK && out)
		*out = q;
	return st;
}

void
sess_expect_retr(struct sess *s, size_t n)
{
	s->retr_hint = n;
}

size_t
sess_withdraw(struct sess *s, void *ctx)
{
	struct sreq *q;
	size_t n = 0;

	/* The engine knows sess's wrappers, not the caller's ctx: one
	 * withdrawal per wrapper. A withdrawn one's on_done unlinks and frees
	 * it (and the caller's on_done may change the list): start over after
	 * each; one already sent stays, marked as tried. */
again:
	for (q = s->live; q; q = q->next) {
		if (q->aux || q->user.ctx != ctx || q->withdraw_tried)
			continue;
		q->withdraw_tried = 1;
		n += pop3_withdraw(s->p, q);
		goto again;
	}
	return n;
}

enum sess_status
sess_submit(struct sess *s, const struct sess_req *r)
{
	struct sreq *q;
	enum sess_status st;

	if (s->failed)
		return s->fail.status;
	if (r->cmd == POP3_QUIT || s->end != END_NONE)
		return SESS_ERR_USAGE;
	if (r->cmd == POP3_RETR) {
		/* The size to check the body against, and the UIDL map for
		 * the LAST record, pipelined ahead of the RETR. */
		if (!s->full_list && !s->list_pending && !sess_size(s, r->n)) {
			int whole = s->retr_hint > 1;

			st = sess_submit_aux(s, POP3_LIST, !whole, whole ? 0 : r->n, NULL);
			if (st != SESS_OK)
				return st;
			s->list_pending = whole;
		}
		if (sess_want_uidl(s)) {
			st = sess_submit_aux(s, POP3_UIDL, 0, 0, NULL);
			if (st != SESS_OK)
				return st;
			s->uidl_sent = 1;
		}
		if (s->retr_hint)
			s->retr_hint--;
	}
	if (r->cmd == POP3_DELE && s->ndele == 0 && s->uidl_sent != 1 &&
	    (sess_want_uidl(s) || sess_record_wants_map(s))) {
		/* The UIDL map before the first DELE: a listing taken after it
		 * leaves the deleted message out, and a recorded UID it shared
		 * with new mail would then seem to name the new message, so
		 * that LAST counted mail never retrieved. */
		st = sess_submit_aux(s, POP3_UIDL, 0, 0, NULL);
		if (st != SESS_OK)
			return st;
		s->uidl_sent = 1;
	}
	q = sreq_new(s, r->cmd, r->has_n || r->cmd == POP3_RETR || r->cmd == POP3_TOP ||
	    r->cmd == POP3_DELE, r->n);
	if (!q)
		return SESS_ERR_NOMEM;
	q->lines = r->lines;
	q->user = *r;
	if (r->cmd == POP3_RETR)
		q->expect = sess_size(s, r->n);
	if (r->cmd == POP3_UIDL && !r->has_n)
		s->uidl_sent = 1;
	return submit_q(s, q);
}

enum sess_status
sess_last(struct sess *s, void (*on_last)(void *, unsigned long, int, const char *),
    void *ctx)
{
	struct sreq *q;
	enum sess_status st;

	if (s->failed)
		return s->fail.status;
	st = sess_submit_aux(s, POP3_LAST, 0, 0, &q);
	if (st == SESS_OK) {
		q->on_last = on_last;
		q->last_ctx = ctx;
	}
	return st;
}

/* A fatal status from the engine with no reply to blame is still one. */
static enum sess_status
engine_status(struct sess *s, enum pop3_status st)
{
	if (st == POP3_OK)
		return SESS_OK;
	if (pop3_status_fatal(st))
		s->conn_gone = 1;
	if (s->end == END_NONE || s->end == END_WANT || s->end == END_EARLY)
		fail_set(s, (enum sess_status)st, "session",
		    pop3_error(s->p) ? pop3_error(s->p) : pop3_status_name(st), NULL);
	return (enum sess_status)st;
}

enum sess_status
sess_run(struct sess *s)
{
	enum sess_status st = SESS_OK;

	if (s->connecting)
		connect_step(s, pop3_run(s->p));
	else if (s->connected && !s->conn_gone)
		st = engine_status(s, pop3_run(s->p));
	end_step(s);
	return s->failed ? s->fail.status : st;
}

enum sess_status
sess_wait(struct sess *s)
{
	if (s->connecting)
		connect_step(s, pop3_wait(s->p));
	if (s->connected && !s->conn_gone)
		engine_status(s, pop3_wait(s->p));
	return s->failed ? s->fail.status : SESS_OK;
}

/* The marks' commit is over (called from inside pop3_run, or from
 * pop3_free with POP3_ERR_CANCELLED). */
static void
marks_done(void *ctx, enum pop3_status st, const struct pop3_commit *res)
{
	struct sess *s = ctx;
	const char *err = res->error[0] ? res->error :
	    pop3_error(s->p) ? pop3_error(s->p) : pop3_status_name(st);

	s->res.marks = *res;
	s->end = END_DONE;
	if (st == POP3_OK) {
		sess_marks_done(s);
		s->res.status = SESS_OK;
		sess_last_commit(s);
		return;
	}
	if (pop3_fd(s->p) >= 0) {
		/* UIDL refused, or a DELE and then RSET refused: no QUIT went
		 * out, and none may (it would commit the DELEs): closed
		 * without one. */
		fail_set(s, (enum sess_status)st, "marks", err, NULL);
		return;
	}
	/* QUIT went out and got no +OK, or the connection went while the
	 * DELEs did: whether anything was deleted is unknown. */
	s->conn_gone = 1;
	s->res.status = (enum sess_status)st;
	s->quit_error = strdup(err);
	s->res.deletions_unknown = 1;
}

/* The marks' UIDL, DELEs and QUIT (pop3_marks_commit_start), in place of
 * QUIT: the rest comes from inside pop3_run (marks_done). */
static void
end_marks(struct sess *s)
{
	enum pop3_status st;

	sess_marks_predict(s);
	s->end = END_MARKS;
	st = pop3_marks_commit_start(s->p, s->o.marks, s->o.durable, s->o.cbs.ctx,
	    marks_done, s);
	if (st != POP3_OK) {
		s->end = END_DONE;
		fail_set(s, (enum sess_status)st, "marks", pop3_error(s->p) ?
		    pop3_error(s->p) : pop3_status_name(st), NULL);
	}
}

/* A DELE of the caller's answered or still queued: an early QUIT would
 * commit it. */
static int
dele_any(const struct sess *s)
{
	const struct sreq *q;

	if (s->ndele)
		return 1;
	for (q = s->live; q; q = q->next)
		if (q->cmd == POP3_DELE)
			return 1;
	return 0;
}

/* The end proceeds when nothing of the caller's is pending any more. */
static void
end_step(struct sess *s)
{
	if (s->end == END_WANT && s->o.quit_early && s->connected && !s->failed &&
	    !s->conn_gone && !s->o.marks && !s->undo_dele && !dele_any(s)) {
		/* QUIT behind the caller's last request; on failure to queue
		 * it (fail_set) the end goes on as after any failure. */
		if (sess_submit_aux(s, POP3_QUIT, 0, 0, NULL) == SESS_OK)
			s->end = END_EARLY;
	}
	if (s->end == END_EARLY && !s->conn_gone && s->nuser == 0)
		early_sync(s);	/* stepwise: while QUIT is out */
	if (s->end == END_WANT && !s->connecting && (s->conn_gone || !pop3_pending(s->p))) {
		if (s->undo_dele && sess_ndeleted(s) > 0 && !s->failed && !s->conn_gone) {
			/* sess_end_marks: RSET first (aux_done goes on). */
			s->end = sess_submit_aux(s, POP3_RSET, 0, 0, NULL) == SESS_OK ?
			    END_UNDO : END_DONE;
			if (s->end == END_UNDO)
				return;
		}
		if (s->end == END_DONE) {
			/* the RSET could not be sent: no QUIT */
		} else if (!s->failed && s->o.cbs.sync && s->o.cbs.sync(s->o.cbs.ctx) != 0)
			fail_set(s, SESS_ERR_LOCAL, "sync", "the messages could not be "
			    "made durable", NULL);
		if (!s->failed && !s->conn_gone && s->o.marks && pop3_marks_count(s->o.marks))
			end_marks(s);
		if (s->end == END_DONE || s->end == END_MARKS) {
			/* the marks' commit ends it (marks_done) */
		} else if (!s->failed) {
			s->end = sess_submit_aux(s, POP3_QUIT, 0, 0, NULL) == SESS_OK ?
			    END_QUIT : END_DONE;
			if (s->end == END_DONE)
				s->res.status = s->fail.status;
		} else if (!s->conn_gone && s->fail.status != SESS_ERR_CANCELLED &&
		    s->fail.status != SESS_ERR_LOCAL &&
		    sess_submit_aux(s, POP3_RSET, 0, 0, NULL) == SESS_OK) {
			/* RSET, then QUIT only once it is accepted (aux_done). */
			s->end = END_RSET;
		} else {
			s->end = END_DONE;
		}
	}
	if (s->end == END_DONE && !s->end_reported) {
		s->end_reported = 1;
		if (s->failed) {
			s->res.status = s->fail.status;
			s->res.abandoned = 1;
		}
		s->res.quit_text = s->quit_text ? s->quit_text : "";
		s->res.quit_error = s->quit_error;
		s->res.record_error = s->record_error;
		if (s->o.cbs.on_end)
			s->o.cbs.on_end(s->o.cbs.ctx, &s->res);
	}
}

void
sess_end(struct sess *s)
{
	if (s->end == END_NONE)
		s->end = s->connected || s->connecting ? END_WANT : END_DONE;
	end_step(s);
}

int
sess_ended(const struct sess *s)
{
	return s->end == END_DONE;
}

int
sess_in_quit(const struct sess *s)
{
	return s->end == END_UNDO || s->end == END_RSET || s->end == END_QUIT ||
	    s->end == END_MARKS;
}

void
sess_end_marks(struct sess *s, struct pop3_marks *marks, pop3_durable_fn durable)
{
	if (s->end == END_NONE) {
		s->o.marks = marks;
		s->o.durable = durable;
		s->undo_dele = 1;
	}
	sess_end(s);
}

void
sess_finish(struct sess *s)
{
	sess_end(s);
	while (s->end != END_DONE) {
		if (s->connecting)
			connect_step(s, pop3_wait(s->p));
		else if (!s->conn_gone && pop3_pending(s->p))
			engine_status(s, pop3_wait(s->p));
		else if (s->end != END_WANT)
			s->end = END_DONE;	/* nothing in flight could move it on */
		end_step(s);
	}
}
