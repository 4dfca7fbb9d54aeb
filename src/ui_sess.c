/*
 * ui_sess.c: the session behind the reader's rows, on sess.h, driven from
 * the reader's poll loop (see ui_mbox.h for the order of events and the
 * mail-safety rules): the login, the listing streamed into the rows, the
 * headers (TOP n 0), RETR, and the end (the commit of the marks, or a
 * close that deletes nothing). Nothing here blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/store.h>

#include "ui_mbox_priv.h"

static void pump(struct ui_mbox *mb);

struct req *
mb_req_new(struct ui_mbox *mb, enum pop3_cmd cmd)
{
	struct req *q = calloc(1, sizeof *q);

	if (!q)
		return NULL;
	q->mb = mb;
	q->gen = mb->gen;
	q->cmd = cmd;
	return q;
}

static void
list_clear(struct ui_mbox *mb)
{
	size_t i;

	for (i = 0; i < mb->nlist; i++)
		free(mb->list[i].uid);
	free(mb->list);
	mb->list = NULL;
	mb->nlist = mb->caplist = mb->uidl_at = 0;
	mb->list_ok = 0;
}

/* ---- sess's callbacks ---- */

/* The session's first failure: it is over for the reader (a session that
 * failed is closed without QUIT once sess_run returns; the end's failures
 * are reported by on_end). */
static void
on_fail(void *ctx, const struct sess_failure *f)
{
	struct ui_mbox *mb = ctx;
	char *why;

	if (mb->freeing)
		return;
	mb->failed = 1;
	why = f->text ? strdup(f->text) : str_printf("%s refused: %s", f->label, f->server_text);
	mb_error(mb, "%s", why ? why : "out of memory");
	if (mb->conn == UI_CONN_CONNECTING)
		mb_notice(mb, "Login failed: %s (r: try again, q: quit)", why ? why : "");
	else if (mb->op == OP_NONE && f->status != SESS_ERR_CANCELLED)
		mb_notice(mb, "Connection lost (%s); marks are kept, pouch reconnects when it needs the server",
		    why ? why : "");
	free(why);
}

static void
on_end(void *ctx, const struct sess_end *e)
{
	struct ui_mbox *mb = ctx;
	const struct sess_failure *f;

	if (mb->freeing)
		return;
	mb->ended = 1;
	mb->sres = *e;
	free(mb->end_error);
	f = mb->s ? sess_failure(mb->s) : NULL;
	if (e->marks.error[0])
		mb->end_error = strdup(e->marks.error);
	else if (e->quit_error)
		mb->end_error = strdup(e->quit_error);
	else if (e->status != SESS_OK && !e->abandoned)
		mb->end_error = str_printf("QUIT refused: %s", e->quit_text);
	else if (f)
		mb->end_error = f->text ? strdup(f->text) :
		    str_printf("%s refused: %s", f->label, f->server_text);
	else
		mb->end_error = NULL;
}

static void
on_warn(void *ctx, const char *msg)
{
	struct ui_mbox *mb = ctx;

	if (!mb->freeing)
		mb_notice(mb, "%s", msg);
}

/* ---- the listing, line by line ---- */

static int
list_item(void *ctx, const struct pop3_item *it)
{
	struct req *q = ctx;
	struct ui_mbox *mb = q->mb;

	if (q->gen != mb->gen)
		return 0;
	if (mb->nlist == mb->caplist) {
		size_t cap = mb->caplist ? mb->caplist * 2 : 1024;
		struct list_item *nv = realloc(mb->list, cap * sizeof *nv);

		if (!nv)
			return -1;
		mb->list = nv;
		mb->caplist = cap;
	}
	mb->list[mb->nlist].n = it->n;
	mb->list[mb->nlist].size = it->size;
	mb->list[mb->nlist].uid = NULL;
	mb->nlist++;
	return 0;
}

static int
item_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = ((const struct list_item *)b)->n;

	return x < y ? -1 : x > y;
}

static int
uidl_item(void *ctx, const struct pop3_item *it)
{
	struct req *q = ctx;
	struct ui_mbox *mb = q->mb;
	struct list_item *li = NULL;

	if (q->gen != mb->gen || !it->uid)
		return 0;
	/* UIDL's lines come in LIST's order: the next one is almost always
	 * the one; else a search (LIST is in ascending order). */
	while (mb->uidl_at < mb->nlist && mb->list[mb->uidl_at].n < it->n)
		mb->uidl_at++;
	if (mb->uidl_at < mb->nlist && mb->list[mb->uidl_at].n == it->n)
		li = &mb->list[mb->uidl_at];
	else
		li = bsearch(&it->n, mb->list, mb->nlist, sizeof *mb->list, item_cmp);
	if (li && !li->uid) {
		li->uid = strdup(it->uid);
		if (!li->uid)
			return -1;
	}
	return 0;
}

/* Rows waiting for a RETR (asked for while the session was down), and
 * typed commands: sent once the listing is in; or given up. */
void
mb_waiting_flush(struct ui_mbox *mb, int send)
{
	size_t i;

	for (i = 0; i < mb->n; i++) {
		struct ui_msg *m = mb->v[i];

		if (m->body != UI_BODY_LOADING || m->req_)
			continue;
		if (!send || mb_submit_retr(mb, m) < 0) {
			m->body = UI_BODY_NONE;
			m->loaded = 0;
		}
	}
	mb_typed_flush(mb, send);
}

static void
listing_done(struct ui_mbox *mb, int uidl_ok)
{
	mb->listing = 0;
	if (mb->list_ok) {
		if (uidl_ok)
			mb->listing_complete = 1;
		if (mb_merge_listing(mb) < 0)
			mb_error(mb, "out of memory");
	}
	list_clear(mb);
	if (mb->op == OP_NONE)
		mb_waiting_flush(mb, 1);
}

/* ---- replies ---- */

static void
on_top_done(struct ui_mbox *mb, struct req *q, const struct pop3_reply *r, int current)
{
	size_t i;

	for (i = 0; current && i < mb->inflight_top; i++)
		if (mb->topq[i] == q) {
			mb->topq[i] = mb->topq[--mb->inflight_top];
			break;
		}
	if (!current)	/* rows outlive the requests of their session */
		return;
	if (r->status == POP3_OK) {
		if (ui_msg_summarise(q->row, r->body, r->body_len, 0) < 0)
			q->row->hdr = UI_HDR_FAILED;
	} else if (r->status == POP3_ERR_SERVER) {
		q->row->hdr = UI_HDR_FAILED;
		if (!mb->no_top) {
			mb->no_top = 1;
			mb_notice(mb, "The server refused TOP (%s): headers show once a message is opened", r->text);
		}
	} else {
		/* withdrawn, or the session ended: asked again later */
		q->row->hdr = UI_HDR_NONE;
	}
}

static void
on_retr_done(struct ui_mbox *mb, struct req *q, const struct pop3_reply *r, int current)
{
	struct ui_msg *m = q->row;

	m->req_ = NULL;
	/* A cancelled download that completes is kept all the same: the bytes
	 * were read anyway, and a reopen finds them whole. */
	if (r->status != POP3_OK) {
		if (!m->cancelled && current && r->status != POP3_WITHDRAWN)
			mb_error(mb, "RETR %lu failed: %s", q->n,
			    r->status == POP3_ERR_SERVER ? r->text : r->error);
		m->body = UI_BODY_NONE;
		m->cancelled = 0;
		m->loaded = 0;
		return;
	}
	m->raw = dbuf_take(&q->body, &m->rawlen);
	if (!m->raw) {
		m->raw = strdup("");
		m->rawlen = 0;
	}
	m->body = UI_BODY_DONE;
	ui_msg_summarise(m, m->raw, m->rawlen, 1);
	mb_store_message(mb, m);
}

static int
on_done(void *ctx, const struct pop3_reply *r)
{
	struct req *q = ctx;
	struct ui_mbox *mb = q->mb;
	int current = q->gen == mb->gen && !mb->freeing;

	if (q->typed) {
		mb_typed_done(q, r, current);
	} else {
		switch (q->cmd) {
		case POP3_STAT:
			if (current && r->status == POP3_OK) {
				mb->stat_count = r->count;
				mb->stat_octets = r->octets;
			}
			break;
		case POP3_LIST:
			if (!current)
				break;
			if (r->status != POP3_OK)
				mb_error(mb, "LIST failed: %s", r->status == POP3_ERR_SERVER ? r->text : r->error);
			else
				mb->list_ok = 1;
			break;
		case POP3_UIDL:
			/* merged when answered (-ERR: a server without UIDL, rows
			 * without UIDs); a session lost meanwhile merges nothing,
			 * since rows without UIDs would not match on reconnect */
			if (current && (r->status == POP3_OK || r->status == POP3_ERR_SERVER))
				listing_done(mb, r->status == POP3_OK);
			else if (current && r->status != POP3_WITHDRAWN)
				mb->listing = 0;
			break;
		case POP3_TOP:
			on_top_done(mb, q, r, current);
			break;
		case POP3_RETR:
			on_retr_done(mb, q, r, current);
			break;
		default:
			break;
		}
	}
	dbuf_free(&q->body);
	free(q);
	if (current && r->status != POP3_WITHDRAWN)
		pump(mb);
	if (current)
		mb_changed(mb);
	return 0;
}

static int
on_retr_data(void *ctx, const char *p, size_t n)
{
	struct req *q = ctx;

	q->row->loaded += n;
	if (dbuf_add(&q->body, p, n) < 0)
		return -1;	/* out of memory: the session ends, nothing is lost */
	return 0;
}

/* Submits q (freed on failure). 0, or -1 with the error set. */
static int
submit(struct ui_mbox *mb, struct req *q, struct sess_req *r)
{
	enum sess_status st;

	r->on_done = on_done;
	r->ctx = q;
	r->soft = 1;
	st = sess_submit(mb->s, r);
	if (st != SESS_OK) {
		const struct sess_failure *f = sess_failure(mb->s);

		/* sess_submit does not call on_done for a request it refused */
		dbuf_free(&q->body);
		free(q);
		mb_error(mb, "%s", f && f->text ? f->text : pop3_status_name((enum pop3_status)st));
		return -1;
	}
	return 0;
}

static int
submit_simple(struct ui_mbox *mb, enum pop3_cmd cmd, int (*item)(void *, const struct pop3_item *))
{
	struct req *q = mb_req_new(mb, cmd);
	struct sess_req r;

	if (!q)
		return -1;
	memset(&r, 0, sizeof r);
	r.cmd = cmd;
	r.on_item = item;
	return submit(mb, q, &r);
}

int
mb_submit_typed(struct ui_mbox *mb, enum pop3_cmd cmd, int has_n, unsigned long n,
    unsigned long lines)
{
	struct req *q = mb_req_new(mb, cmd);
	struct sess_req r;

	if (!q)
		return -1;
	q->typed = 1;
	q->n = n;
	memset(&r, 0, sizeof r);
	r.cmd = cmd;
	r.has_n = has_n;
	r.n = n;
	r.lines = lines;
	return submit(mb, q, &r);
}

int
mb_submit_retr(struct ui_mbox *mb, struct ui_msg *m)
{
	struct req *q;
	struct sess_req r;

	if (m->gone || m->n == 0) {
		mb_error(mb, "message is no longer on the server");
		return -1;
	}
	q = mb_req_new(mb, POP3_RETR);
	if (!q)
		return -1;
	q->row = m;
	q->n = m->n;
	dbuf_init(&q->body, 0);
	memset(&r, 0, sizeof r);
	r.cmd = POP3_RETR;
	r.n = m->n;
	r.on_data = on_retr_data;
	if (submit(mb, q, &r) < 0)
		return -1;
	m->body = UI_BODY_LOADING;
	m->loaded = 0;
	m->cancelled = 0;
	m->req_ = q;
	return 0;
}

/* ---- headers ---- */

static int
want_row(const struct ui_msg *m)
{
	return m->hdr == UI_HDR_NONE && m->n > 0 && !m->gone && m->body != UI_BODY_DONE;
}

static int
submit_top(struct ui_mbox *mb, struct ui_msg *m)
{
	struct req *q = mb_req_new(mb, POP3_TOP);
	struct sess_req r;

	if (!q)
		return -1;
	q->row = m;
	q->n = m->n;
	memset(&r, 0, sizeof r);
	r.cmd = POP3_TOP;
	r.n = m->n;
	r.lines = 0;
	if (submit(mb, q, &r) < 0)
		return -1;
	m->hdr = UI_HDR_QUEUED;
	mb->topq[mb->inflight_top++] = q;
	return 0;
}

int
mb_ready(const struct ui_mbox *mb)
{
	return mb->s && mb->conn == UI_CONN_UP && !mb->listing && !mb->failed &&
	    mb->op == OP_NONE;
}

/* Keeps up to UI_MBOX_WINDOW TOPs in flight: the visible rows first, then
 * the rest in order. A small window keeps a RETR the user asks for close to
 * the head of the queue. */
static void
pump(struct ui_mbox *mb)
{
	size_t i;

	if (!mb_ready(mb) || mb->no_top || !mb->have_rows)
		return;
	for (i = 0; i < mb->nwant && mb->inflight_top < UI_MBOX_WINDOW; i++) {
		struct ui_msg *m = mb->want[i] < mb->n ? mb->v[mb->want[i]] : NULL;

		if (m && want_row(m) && submit_top(mb, m) < 0)
			return;
	}
	while (mb->scan < mb->n && mb->inflight_top < UI_MBOX_WINDOW) {
		struct ui_msg *m = mb->v[mb->scan];

		if (want_row(m) && submit_top(mb, m) < 0)
			return;
		mb->scan++;
	}
}

/* Takes back the TOPs not sent yet (sess_withdraw, by each one's ctx):
 * those of rows off the screen (keep: the rows on screen), or all. */
size_t
mb_withdraw_tops(struct ui_mbox *mb, const size_t *keep, size_t nkeep)
{
	struct req *busy[UI_MBOX_WINDOW];
	size_t i, k, nbusy = 0, n = 0;

	for (k = 0; k < mb->inflight_top; k++) {
		int visible = 0;

		for (i = 0; i < nkeep && !visible; i++)
			visible = keep[i] < mb->n && mb->v[keep[i]] == mb->topq[k]->row;
		if (!visible)
			busy[nbusy++] = mb->topq[k];
	}
	for (k = 0; k < nbusy; k++)
		n += sess_withdraw(mb->s, busy[k]);	/* on_done frees it */
	return n;
}

void
ui_mbox_want(struct ui_mbox *mb, const size_t *rows, size_t nrows)
{
	size_t *nw = nrows ? malloc(nrows * sizeof *nw) : NULL;

	if (nrows && !nw)
		return;
	if (nrows)
		memcpy(nw, rows, nrows * sizeof *nw);
	free(mb->want);
	mb->want = nw;
	mb->nwant = nrows;
	/* When the rows now on screen still need headers and the window is
	 * full of TOPs for rows elsewhere, the ones not sent yet are taken
	 * back, so the screen's rows go first. */
	if (mb_ready(mb) && mb->inflight_top == UI_MBOX_WINDOW) {
		size_t i, need = 0;

		for (i = 0; i < nrows; i++)
			if (rows[i] < mb->n && want_row(mb->v[rows[i]]))
				need = 1;
		if (need && mb_withdraw_tops(mb, rows, nrows))
			mb->scan = 0;
	}
	pump(mb);
}

/* ---- the session ---- */

/* Closes the session without QUIT (sess_free: nothing is committed); the
 * requests still queued complete as stale. */
void
mb_session_free(struct ui_mbox *mb)
{
	struct sess *s = mb->s;
	size_t i;

	if (!s)
		return;
	mb->s = NULL;
	mb->gen++;		/* replies completing now are stale */
	mb->freeing = 1;
	sess_free(s);
	mb->freeing = 0;
	mb->failed = mb->ended = 0;
	mb->inflight_top = 0;
	for (i = 0; i < mb->n; i++) {
		struct ui_msg *m = mb->v[i];

		if (m->hdr == UI_HDR_QUEUED)
			m->hdr = UI_HDR_NONE;
		if (m->body == UI_BODY_LOADING && m->req_) {
			m->body = UI_BODY_NONE;
			m->loaded = 0;
			m->cancelled = 0;
		}
		m->req_ = NULL;
	}
	mb->listing = 0;
	mb->conn = UI_CONN_DOWN;
}

int
ui_mbox_connect(struct ui_mbox *mb)
{
	struct sess_opts o;

	if (mb->cfg.offline) {
		mb_error(mb, "offline (--offline): the local store only");
		return -1;
	}
	if (mb->op != OP_NONE) {
		/* after the end under way */
		mb->reconnect_after = 1;
		return 0;
	}
	if (mb->s && mb->conn == UI_CONN_UP && !mb->failed) {
		ui_mbox_close(mb);
		if (mb->op != OP_NONE) {
			mb->reconnect_after = 1;
			return 0;
		}
	}
	mb_session_free(mb);
	memset(&o, 0, sizeof o);
	o.pop3 = mb->cfg.pop3;
	o.pop3.password = mb->password;
	o.pop3.trace = mb_trace;
	o.pop3.trace_ctx = mb;
	o.account = mb->cfg.account;
	o.state_dir = mb->cfg.state_dir;
	o.state_dir_shared = mb->cfg.state_dir_shared;
	o.cbs.on_fail = on_fail;
	o.cbs.on_end = on_end;
	o.cbs.on_warn = on_warn;
	o.cbs.ctx = mb;
	mb->s = sess_new(&o);
	if (!mb->s) {
		mb_error(mb, "out of memory");
		return -1;
	}
	if (sess_connect_start(mb->s) != SESS_OK) {
		const struct sess_failure *f = sess_failure(mb->s);

		mb_error(mb, "%s", f && f->text ? f->text : "the connection failed");
		mb_session_free(mb);
		mb_changed(mb);
		return -1;
	}
	/* The login goes on in ui_mbox_run; the listing waits for it. */
	mb->conn = UI_CONN_CONNECTING;
	mb->no_top = 0;
	list_clear(mb);
	if (submit_simple(mb, POP3_STAT, NULL) < 0 ||
	    submit_simple(mb, POP3_LIST, list_item) < 0 ||
	    submit_simple(mb, POP3_UIDL, uidl_item) < 0) {
		mb_session_free(mb);
		return -1;
	}
	mb->listing = 1;	/* pump waits until UIDL has merged the listing */
	mb_changed(mb);
	return 0;
}

int
mb_need_server(struct ui_mbox *mb)
{
	if (mb->s || mb->op != OP_NONE)
		return 0;
	mb_notice(mb, "Reconnecting...");
	mb_changed(mb);
	return ui_mbox_connect(mb);
}

enum ui_conn ui_mbox_conn(const struct ui_mbox *mb) { return mb->conn; }

int
ui_mbox_fd(const struct ui_mbox *mb)
{
	return mb->s && mb->conn != UI_CONN_DOWN ? pop3_fd(sess_pop3(mb->s)) : -1;
}

short
ui_mbox_events(const struct ui_mbox *mb)
{
	return mb->s ? pop3_events(sess_pop3(mb->s)) : 0;
}

int
ui_mbox_timeout(const struct ui_mbox *mb)
{
	return mb->s && mb->conn != UI_CONN_DOWN ? pop3_timeout_ms(sess_pop3(mb->s)) : -1;
}

int
ui_mbox_tls(const struct ui_mbox *mb)
{
	return mb->s && mb->conn == UI_CONN_UP && pop3_tls_active(sess_pop3(mb->s));
}

void
ui_mbox_run(struct ui_mbox *mb)
{
	if (!mb->s)
		return;
	(void)sess_run(mb->s);
	if (mb->s && mb->conn == UI_CONN_CONNECTING && sess_connected(mb->s) && !mb->failed) {
		struct pop3 *p = sess_pop3(mb->s);
		char tls[80] = "";
		struct pop3_tls_info ti;

		mb->conn = UI_CONN_UP;
		if (pop3_tls_info(p, &ti) == 0)
			snprintf(tls, sizeof tls, ", %s", ti.version);
		/* said once: a reconnect (after $, r or a drop) leaves the
		 * message line to what asked for it ("Deleted 1 message") */
		if (mb->logins++ == 0)
			mb_notice(mb, "Connected (%s%s); press ? for help", pop3_auth_used(p), tls);
		pump(mb);
		mb_changed(mb);
	}
	if (mb->op != OP_NONE) {
		mb_op_step(mb);
		return;
	}
	if (mb->failed) {
		/* closed without QUIT: nothing typed at the prompt is committed */
		mb_session_free(mb);
		mb_waiting_flush(mb, 0);
		mb_changed(mb);
	}
}

int
ui_mbox_idle(const struct ui_mbox *mb)
{
	if (mb->op != OP_NONE)
		return 0;
	return !mb->s || mb->conn == UI_CONN_DOWN ||
	    (mb->conn == UI_CONN_UP && pop3_pending(sess_pop3(mb->s)) == 0);
}

int
ui_mbox_settled(const struct ui_mbox *mb)
{
	size_t i;

	if (!ui_mbox_idle(mb))
		return 0;
	if (mb->conn != UI_CONN_UP || mb->no_top)
		return 1;
	for (i = 0; i < mb->n; i++)
		if (want_row(mb->v[i]))
			return 0;
	return 1;
}

/* ---- RETR ---- */

int
ui_mbox_fetch(struct ui_mbox *mb, size_t i)
{
	struct ui_msg *m = ui_mbox_msg(mb, i);

	if (!m)
		return -1;
	if (m->body == UI_BODY_DONE)
		return 0;
	if (m->stored && m->body == UI_BODY_NONE && mb_load_from_store(mb, m) == 0) {
		mb_changed(mb);
		return 0;
	}
	if (m->body == UI_BODY_LOADING) {
		m->cancelled = 0;	/* asked for again before it ended */
		return 0;
	}
	if (m->gone || (!m->n && mb->cfg.offline)) {
		mb_error(mb, m->gone ? "message is no longer on the server, and not in the local store" :
		    "offline, and the message is not in the local store");
		return -1;
	}
	if (mb->cfg.offline) {
		mb_error(mb, "offline, and the message is not in the local store");
		return -1;
	}
	if (mb_ready(mb)) {
		if (mb_submit_retr(mb, m) < 0)
			return -1;
		mb_changed(mb);
		return 0;
	}
	/* waits for the listing (of a reconnect, started here) */
	if (mb_need_server(mb) < 0)
		return -1;
	m->body = UI_BODY_LOADING;
	m->loaded = 0;
	m->cancelled = 0;
	m->req_ = NULL;
	mb_changed(mb);
	return 0;
}

void
ui_mbox_cancel(struct ui_mbox *mb, size_t i)
{
	struct ui_msg *m = ui_mbox_msg(mb, i);

	if (!m || m->body != UI_BODY_LOADING)
		return;
	if (!m->req_) {
		m->body = UI_BODY_NONE;	/* it was waiting: nothing was sent */
		return;
	}
	/* not sent yet: taken back; else its bytes are read and dropped */
	if (!(mb->s && sess_withdraw(mb->s, m->req_) > 0))
		m->cancelled = 1;
}
