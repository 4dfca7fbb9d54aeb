/*
 * ui_mbox.c: the reader's mailbox and the POP3 session behind it (see
 * ui_mbox.h for the order of events and the mail-safety rules).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <pouch/mime.h>
#include <pouch/pop3.h>
#include <pouch/pop3_marks.h>
#include <pouch/store.h>
#include <pouch/text.h>
#include <pouch/ui_mbox.h>
#include <pouch/util.h>

#define TRACE_BODY_LINES 5	/* body lines shown before "[... N more lines ...]" */

struct list_item {
	unsigned long n;
	unsigned long long size;
	char *uid;
};

struct ui_mbox {
	struct ui_mbox_cfg cfg;
	char *password;
	struct pop3 *s;
	enum ui_conn conn;
	unsigned gen;			/* session generation: stale replies are dropped */
	int have_rows;			/* a listing has been merged at least once */
	int listing;			/* this session's LIST/UIDL not merged yet */
	int listed;			/* a listing was merged, ever */
	unsigned layout;		/* bumped when rows come, go or renumber */

	struct ui_msg **v;		/* rows (pointers: stable across merges) */
	size_t n, cap;
	struct pop3_marks *marks;
	struct pop3_marks *readset;	/* UIDs read, this and earlier sessions */
	int listing_complete;		/* a whole UIDL listing was merged */

	/* the listing of this session, built by LIST then UIDL */
	struct list_item *list;
	size_t nlist;
	int list_ok;
	unsigned long stat_count;
	unsigned long long stat_octets;

	/* header pump */
	size_t inflight_top;
	struct req *topq[UI_MBOX_WINDOW];	/* the TOPs in flight */
	size_t scan;			/* next row to look at for the background fill */
	size_t *want;
	size_t nwant;
	int no_top;			/* the server refused TOP */

	int raw_dele;			/* the prompt sent a DELE the server holds */
	enum pop3_status rset_status;	/* of pouch's own last RSET */

	struct ui_trace_line *trace;	/* ring */
	size_t trace_head, trace_n;
	unsigned long body_lines, hidden_lines;
	unsigned long long hidden_octets;

	char *error;
	char *notice;
};

struct req {
	struct ui_mbox *mb;
	unsigned gen;
	enum pop3_cmd cmd;
	struct ui_msg *row;		/* TOP, RETR */
	struct dbuf body;		/* RETR */
	int typed;			/* from the POP3 prompt */
	unsigned long n;
	unsigned long long expect;
};

static void changed(struct ui_mbox *mb)
{
	if (mb->cfg.changed)
		mb->cfg.changed(mb->cfg.ctx);
}

/* Formats into *slot (the error or the notice), made safe for a screen:
 * the text may quote a server or a file name. */
static void
set_text(char **slot, const char *fmt, va_list ap)
{
	char *s = str_vprintf(fmt, ap);

	free(*slot);
	*slot = s ? text_sanitize(s, strlen(s), TEXT_ONELINE, NULL) : NULL;
	free(s);
}

static void __attribute__((format(printf, 2, 3)))
set_error(struct ui_mbox *mb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_text(&mb->error, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3)))
set_notice(struct ui_mbox *mb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_text(&mb->notice, fmt, ap);
	va_end(ap);
}

/* ---- the transcript ---- */

static void
trace_push(struct ui_mbox *mb, char dir, const char *text, size_t len)
{
	struct ui_trace_line *l;
	char *t = text_sanitize(text, len, TEXT_ONELINE, NULL);

	if (!t)
		return;
	if (mb->trace_n == UI_MBOX_TRACE_MAX) {
		l = &mb->trace[mb->trace_head];
		free(l->text);
		mb->trace_head = (mb->trace_head + 1) % UI_MBOX_TRACE_MAX;
		mb->trace_n--;
	}
	l = &mb->trace[(mb->trace_head + mb->trace_n) % UI_MBOX_TRACE_MAX];
	l->dir = dir;
	l->text = t;
	mb->trace_n++;
}

static void
trace_end_body(struct ui_mbox *mb)
{
	if (mb->hidden_lines) {
		char *s = str_printf("[... %lu more lines, %llu octets ...]",
		    mb->hidden_lines, mb->hidden_octets);

		if (s)
			trace_push(mb, 'D', s, strlen(s));
		free(s);
	}
	mb->body_lines = mb->hidden_lines = 0;
	mb->hidden_octets = 0;
}

static int
is_secret(const struct ui_mbox *mb, const char *line, size_t len)
{
	size_t pl;

	if (len >= 5 && strncasecmp(line, "PASS ", 5) == 0)
		return 1;
	if (!mb->password)
		return 0;
	pl = strlen(mb->password);
	return pl >= 4 && memmem(line, len, mb->password, pl) != NULL;
}

static void
on_trace(void *ctx, char dir, const char *line, size_t len)
{
	struct ui_mbox *mb = ctx;

	if (dir == 'D') {
		if (++mb->body_lines > TRACE_BODY_LINES) {
			mb->hidden_lines++;
			mb->hidden_octets += len + 2;
			return;
		}
		trace_push(mb, 'D', line, len);
		return;
	}
	trace_end_body(mb);
	/* The engine masks secrets already; this is the second lock. */
	if (dir == 'C' && is_secret(mb, line, len)) {
		const char *sp = memchr(line, ' ', len);
		char buf[32];
		size_t k = sp && sp - line <= 12 ? (size_t)(sp - line) + 1 : 0;

		memcpy(buf, line, k);
		memcpy(buf + k, "********", 9);
		trace_push(mb, 'C', buf, strlen(buf));
		return;
	}
	trace_push(mb, dir, line, len);
}

size_t
ui_mbox_trace_count(const struct ui_mbox *mb)
{
	return mb->trace_n;
}

const struct ui_trace_line *
ui_mbox_trace(const struct ui_mbox *mb, size_t i)
{
	if (i >= mb->trace_n)
		return NULL;
	return &mb->trace[(mb->trace_head + i) % UI_MBOX_TRACE_MAX];
}

/* ---- rows ---- */

static void
msg_free(struct ui_msg *m)
{
	if (!m)
		return;
	free(m->uid);
	free(m->from);
	free(m->subject);
	free(m->raw);
	free(m->path_);
	free(m);
}

static char *
oneline(const char *s, size_t len)
{
	return text_sanitize(s ? s : "", s ? len : 0, TEXT_ONELINE, NULL);
}

int
ui_msg_summarise(struct ui_msg *m, const char *buf, size_t len, int whole)
{
	struct mime_part *root = mime_parse(buf, len), *p;
	struct mime_msg *h;
	char *from = NULL, *subj = NULL;

	if (!root)
		return -1;
	h = root->msg;
	if (h && h->nfrom > 0) {
		const struct mime_addr *a = &h->from[0];

		from = a->name_len ? oneline(a->name, a->name_len) :
		    oneline(a->addr, strlen(a->addr));
	} else {
		from = oneline("", 0);
	}
	subj = oneline(h ? h->subject : NULL, h ? h->subject_len : 0);
	if (!from || !subj) {
		free(from);
		free(subj);
		mime_free(root);
		return -1;
	}
	free(m->from);
	free(m->subject);
	m->from = from;
	m->subject = subj;
	m->has_date = h && h->has_date;
	m->date = m->has_date ? h->date : 0;
	m->date_off = m->has_date ? h->date_off : 0;
	if (whole) {
		m->attach = 0;
		for (p = root; p; p = mime_next(p))
			if (mime_is_attachment(p))
				m->attach = 1;
	}
	m->hdr = UI_HDR_KNOWN;
	mime_free(root);
	return 0;
}

size_t ui_mbox_count(const struct ui_mbox *mb) { return mb->n; }
unsigned ui_mbox_layout(const struct ui_mbox *mb) { return mb->layout; }
int ui_mbox_listed(const struct ui_mbox *mb) { return mb->listed; }

struct ui_msg *
ui_mbox_msg(struct ui_mbox *mb, size_t i)
{
	return i < mb->n ? mb->v[i] : NULL;
}

static struct ui_msg *
row_by_number(struct ui_mbox *mb, unsigned long n)
{
	size_t i;

	/* Rows keep server order except after a merge appended new mail, so
	 * the guess n-1 is almost always right. */
	if (n >= 1 && n - 1 < mb->n && mb->v[n - 1]->n == n)
		return mb->v[n - 1];
	for (i = 0; i < mb->n; i++)
		if (mb->v[i]->n == n)
			return mb->v[i];
	return NULL;
}

static int
rows_push(struct ui_mbox *mb, struct ui_msg *m)
{
	if (mb->n == mb->cap) {
		size_t cap = mb->cap ? mb->cap * 2 : 256;
		struct ui_msg **nv = realloc(mb->v, cap * sizeof *nv);

		if (!nv)
			return -1;
		mb->v = nv;
		mb->cap = cap;
	}
	mb->v[mb->n++] = m;
	return 0;
}

static void
list_clear(struct ui_mbox *mb)
{
	size_t i;

	for (i = 0; i < mb->nlist; i++)
		free(mb->list[i].uid);
	free(mb->list);
	mb->list = NULL;
	mb->nlist = 0;
	mb->list_ok = 0;
}

static int
cmp_row_uid(const void *a, const void *b)
{
	const struct ui_msg *x = *(struct ui_msg *const *)a, *y = *(struct ui_msg *const *)b;

	return strcmp(x->uid, y->uid);
}

/* Makes the rows agree with this session's listing. The first time, one row
 * per message. After a reconnect, rows are matched by UID: a match takes
 * its new number, a UID no longer listed is gone (kept when its bytes are
 * here, so it stays readable), a new UID is new mail at the end. */
static int
merge_listing(struct ui_mbox *mb)
{
	struct ui_msg **byuid = NULL, **old = NULL;
	size_t i, nold = mb->n, nby = 0;
	int rc = -1;

	if (nold == 0) {
		for (i = 0; i < mb->nlist; i++) {
			struct ui_msg *m = calloc(1, sizeof *m);

			if (!m || rows_push(mb, m) < 0) {
				free(m);
				goto out;
			}
			m->n = mb->list[i].n;
			m->size = mb->list[i].size;
			m->uid = mb->list[i].uid;
			mb->list[i].uid = NULL;
			m->attach = -1;
			m->marked = m->uid && pop3_marks_has(mb->marks, m->uid);
			m->read = m->uid && pop3_marks_has(mb->readset, m->uid);
		}
		mb->have_rows = 1;
		rc = 0;
		goto out;
	}
	old = malloc(nold * sizeof *old);
	byuid = malloc(nold * sizeof *byuid);
	if (!old || !byuid)
		goto out;
	memcpy(old, mb->v, nold * sizeof *old);
	for (i = 0; i < nold; i++)
		if (old[i]->uid)
			byuid[nby++] = old[i];
	qsort(byuid, nby, sizeof *byuid, cmp_row_uid);
	for (i = 0; i < nold; i++) {
		old[i]->n = 0;		/* until listed again */
		old[i]->gone = 1;
	}
	for (i = 0; i < mb->nlist; i++) {
		struct list_item *it = &mb->list[i];
		struct ui_msg key, *kp = &key, **hit = NULL;

		if (it->uid) {
			key.uid = it->uid;
			hit = bsearch(&kp, byuid, nby, sizeof *byuid, cmp_row_uid);
		}
		if (hit && (*hit)->gone) {
			(*hit)->n = it->n;
			(*hit)->size = it->size;
			(*hit)->gone = 0;
			continue;
		}
		{
			struct ui_msg *m = calloc(1, sizeof *m);

			if (!m || rows_push(mb, m) < 0) {
				free(m);
				goto out;
			}
			m->n = it->n;
			m->size = it->size;
			m->uid = it->uid;
			it->uid = NULL;
			m->attach = -1;
			m->marked = m->uid && pop3_marks_has(mb->marks, m->uid);
			m->read = m->uid && pop3_marks_has(mb->readset, m->uid);
		}
	}
	/* Rows are never freed while the reader runs, so a row index a view
	 * holds names the same message for good. A row gone from the server
	 * stays readable when its bytes are here; else it is hidden. */
	for (i = 0; i < mb->n; i++) {
		struct ui_msg *m = mb->v[i];

		if (!m->gone)
			continue;
		m->marked = 0;
		if (!m->raw && !m->stored)
			m->hidden = 1;
		else if (m->stored && m->uid && mb->cfg.store && !store_readonly(mb->cfg.store)) {
			const struct store_msg *sm = store_find(mb->cfg.store, m->uid);
			char *err = NULL;

			/* when it first went missing from the server */
			if (sm && sm->t_gone == 0)
				store_set_gone(mb->cfg.store, m->uid, (int64_t)time(NULL), &err);
			free(err);
		}
	}
	rc = 0;
out:
	free(old);
	free(byuid);
	mb->have_rows = 1;
	mb->listed = 1;
	mb->scan = 0;
	mb->layout++;
	return rc;
}

/* ---- the local store ---- */

/* One row per message of the store, before any listing: readable at once
 * and offline; the listing gives them their numbers (or marks them gone). */
static int
load_store_rows(struct ui_mbox *mb)
{
	size_t i, n = store_count(mb->cfg.store);

	for (i = 0; i < n; i++) {
		const struct store_msg *sm = store_get(mb->cfg.store, i);
		struct ui_msg *m;

		/* deleted from the server by the user: a backup, not mail */
		if (sm->flags & STORE_F_DELETE)
			continue;
		m = calloc(1, sizeof *m);
		if (!m || rows_push(mb, m) < 0) {
			free(m);
			return -1;
		}
		if (*sm->uid)
			m->uid = strdup(sm->uid);
		else
			m->path_ = store_path(mb->cfg.store, sm);
		m->from = *sm->from_name ? oneline(sm->from_name, strlen(sm->from_name)) :
		    oneline(sm->from_addr, strlen(sm->from_addr));
		m->subject = oneline(sm->subject, strlen(sm->subject));
		if ((*sm->uid && !m->uid) || (!*sm->uid && !m->path_) || !m->from || !m->subject)
			return -1;
		m->has_date = sm->has_date;
		m->date = sm->date;
		m->size = sm->size;
		m->attach = sm->attach;
		m->read = (sm->flags & STORE_F_READ) != 0;
		if (m->read && m->uid)
			pop3_marks_set(mb->readset, m->uid, 1);
		m->hdr = UI_HDR_KNOWN;
		m->stored = 1;
	}
	mb->layout++;
	return 0;
}

/* Reads a stored message into the row. 0, or -1 (the file is gone: the row
 * is no longer stored). */
static int
load_from_store(struct ui_mbox *mb, struct ui_msg *m)
{
	const struct store_msg *sm = m->uid && mb->cfg.store ? store_find(mb->cfg.store, m->uid) : NULL;
	char *path = m->path_ ? strdup(m->path_) : sm ? store_path(mb->cfg.store, sm) : NULL;
	struct dbuf b;
	char buf[65536];
	ssize_t r;
	int fd;

	if (!path) {
		m->stored = 0;
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd < 0) {
		m->stored = 0;
		return -1;
	}
	dbuf_init(&b, 0);
	while ((r = read(fd, buf, sizeof buf)) > 0)
		if (dbuf_add(&b, buf, (size_t)r) < 0)
			break;
	close(fd);
	if (r != 0) {
		dbuf_free(&b);
		set_error(mb, "reading the stored message failed");
		return -1;
	}
	m->raw = b.p ? dbuf_take(&b, &m->rawlen) : strdup("");
	if (!m->raw)
		return -1;
	m->body = UI_BODY_DONE;
	ui_msg_summarise(m, m->raw, m->rawlen, 1);
	return 0;
}

/* Puts a fetched message into the store (tmp/, fsync, rename, index): after
 * this it is durable, and readable offline. A read-only store or a failure
 * leaves it unstored, with a notice; the message still shows. */
static void
store_message(struct ui_mbox *mb, struct ui_msg *m)
{
	struct store *st = mb->cfg.store;
	struct store_put *p = NULL;
	enum store_status rc;
	char *err = NULL;

	if (!st || store_readonly(st) || !m->uid || m->stored || !m->raw)
		return;
	rc = store_put_open(st, m->uid, &p, &err);
	if (rc == STORE_EXISTS) {
		m->stored = 1;
		free(err);
		return;
	}
	if (rc == STORE_OK)
		rc = store_put_write(p, m->raw, m->rawlen, &err);
	if (rc == STORE_OK) {
		rc = store_put_close(p, &err);
		p = NULL;
		if (rc == STORE_OK)
			rc = store_land(st, NULL, &err);
	}
	if (p)
		store_put_abort(p);
	if (rc == STORE_OK && store_durable(st, m->uid))
		m->stored = 1;
	else
		set_notice(mb, "Not kept in the local store: %s", err ? err : store_status_name(rc));
	free(err);
}

/* ---- requests ---- */

static struct req *
req_new(struct ui_mbox *mb, enum pop3_cmd cmd)
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
conn_lost(struct ui_mbox *mb, const struct pop3_reply *r)
{
	const char *why;

	if (mb->conn == UI_CONN_DOWN)
		return;
	why = mb->s && *pop3_error(mb->s) ? pop3_error(mb->s) :
	    r->error ? r->error : pop3_status_name(r->status);
	if (mb->conn == UI_CONN_CONNECTING) {
		set_error(mb, "%s", why);
		set_notice(mb, "Login failed: %s (r: try again, q: quit)", why);
	} else if (r->status != POP3_ERR_CANCELLED) {
		set_error(mb, "%s", why);
		set_notice(mb, "Connection lost (%s); marks are kept, pouch reconnects when it needs the server",
		    why);
	}
	mb->conn = UI_CONN_DOWN;
}

static void pump(struct ui_mbox *mb);

static void
on_done(void *ctx, const struct pop3_reply *r)
{
	struct req *q = ctx;
	struct ui_mbox *mb = q->mb;
	int current = q->gen == mb->gen;
	size_t i;

	if (pop3_status_fatal(r->status) && current)
		conn_lost(mb, r);
	switch (q->cmd) {
	case POP3_STAT:
		if (current && r->status == POP3_OK) {
			mb->stat_count = r->count;
			mb->stat_octets = r->octets;
		}
		break;
	case POP3_LIST:
		if (q->typed || !current)
			break;
		if (r->status != POP3_OK) {
			set_error(mb, "LIST failed: %s", r->status == POP3_ERR_SERVER ? r->text : r->error);
			break;
		}
		list_clear(mb);
		mb->list = calloc(r->nitems ? r->nitems : 1, sizeof *mb->list);
		if (!mb->list) {
			set_error(mb, "out of memory");
			break;
		}
		for (i = 0; i < r->nitems; i++) {
			mb->list[i].n = r->items[i].n;
			mb->list[i].size = r->items[i].size;
		}
		mb->nlist = r->nitems;
		mb->list_ok = 1;
		break;
	case POP3_UIDL:
		if (q->typed || !current)
			break;
		mb->listing = 0;
		if (!mb->list_ok)
			break;
		if (r->status == POP3_OK) {
			mb->listing_complete = 1;
			/* UIDL's lines in message order, as LIST's: match by number. */
			size_t j = 0;

			for (i = 0; i < r->nitems; i++) {
				while (j < mb->nlist && mb->list[j].n < r->items[i].n)
					j++;
				if (j < mb->nlist && mb->list[j].n == r->items[i].n && !mb->list[j].uid)
					mb->list[j].uid = strdup(r->items[i].uid);
			}
		}
		if (merge_listing(mb) < 0)
			set_error(mb, "out of memory");
		list_clear(mb);
		break;
	case POP3_TOP:
		if (q->typed)
			break;
		if (current && mb->inflight_top > 0) {
			for (i = 0; i < mb->inflight_top; i++)
				if (mb->topq[i] == q) {
					mb->topq[i] = mb->topq[mb->inflight_top - 1];
					break;
				}
			mb->inflight_top--;
		}
		if (!current)	/* rows outlive the requests of their session */
			break;
		if (r->status == POP3_OK) {
			if (ui_msg_summarise(q->row, r->body, r->body_len, 0) < 0)
				q->row->hdr = UI_HDR_FAILED;
		} else if (r->status == POP3_ERR_SERVER) {
			q->row->hdr = UI_HDR_FAILED;
			if (!mb->no_top) {
				mb->no_top = 1;
				set_notice(mb, "The server refused TOP (%s): headers show once a message is opened", r->text);
			}
		} else {
			/* withdrawn, or the session ended: asked again later */
			q->row->hdr = UI_HDR_NONE;
		}
		break;
	case POP3_RETR:
		if (q->typed) {
			struct ui_msg *m = current ? row_by_number(mb, q->n) : NULL;

			if (r->status == POP3_OK && m && m->body == UI_BODY_NONE) {
				m->raw = malloc(r->body_len + 1);
				if (m->raw) {
					if (r->body_len)
						memcpy(m->raw, r->body, r->body_len);
					m->raw[r->body_len] = 0;
					m->rawlen = r->body_len;
					m->body = UI_BODY_DONE;
					ui_msg_summarise(m, m->raw, m->rawlen, 1);
				}
			}
			break;
		}
		q->row->req_ = NULL;
		/* A cancelled download that completes is kept all the same: the
		 * bytes were read anyway, and a reopen finds them whole. */
		if (r->status != POP3_OK) {
			if (!q->row->cancelled && current && r->status != POP3_WITHDRAWN)
				set_error(mb, "RETR %lu failed: %s", q->n,
				    r->status == POP3_ERR_SERVER ? r->text : r->error);
			q->row->body = UI_BODY_NONE;
			q->row->cancelled = 0;
			q->row->loaded = 0;
			break;
		}
		q->row->raw = dbuf_take(&q->body, &q->row->rawlen);
		if (!q->row->raw) {
			q->row->raw = strdup("");
			q->row->rawlen = 0;
		}
		q->row->body = UI_BODY_DONE;
		ui_msg_summarise(q->row, q->row->raw, q->row->rawlen, 1);
		store_message(mb, q->row);
		break;
	case POP3_DELE:
		if (q->typed && current && r->status == POP3_OK) {
			struct ui_msg *m = row_by_number(mb, q->n);

			mb->raw_dele = 1;
			if (m && m->uid && pop3_marks_set(mb->marks, m->uid, 1) == 0)
				m->marked = 1;
		}
		break;
	case POP3_RSET:
		if (!q->typed && current) {
			/* pouch's own RSET, before a commit or a close */
			mb->rset_status = r->status;
			if (r->status == POP3_OK)
				mb->raw_dele = 0;
		}
		if (q->typed && current && r->status == POP3_OK) {
			mb->raw_dele = 0;
			while (pop3_marks_count(mb->marks) > 0)
				if (pop3_marks_set(mb->marks, pop3_marks_get(mb->marks, 0), 0) < 0)
					break;
			for (i = 0; i < mb->n; i++)
				mb->v[i]->marked = 0;
		}
		break;
	case POP3_LAST:
		if (q->typed && current && r->status == POP3_ERR_SERVER) {
			unsigned long hi = 0;

			for (i = 0; i < mb->n; i++)
				if (mb->v[i]->read && mb->v[i]->n > hi)
					hi = mb->v[i]->n;
			set_notice(mb, "The server does not keep LAST (RFC 1725 dropped it); pouch's own record: %lu", hi);
			trace_push(mb, '*', mb->notice, strlen(mb->notice));
		}
		break;
	default:
		break;
	}
	dbuf_free(&q->body);
	free(q);
	if (current && mb->conn == UI_CONN_UP)
		pump(mb);
	changed(mb);
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

static int
submit(struct ui_mbox *mb, struct req *q, const struct pop3_req *r)
{
	if (pop3_submit(mb->s, r) != POP3_OK) {
		dbuf_free(&q->body);
		free(q);
		return -1;
	}
	return 0;
}

static int
submit_simple(struct ui_mbox *mb, enum pop3_cmd cmd, int has_n, unsigned long n,
    unsigned long lines, int typed)
{
	struct req *q = req_new(mb, cmd);
	struct pop3_req r;

	if (!q)
		return -1;
	q->typed = typed;
	q->n = n;
	memset(&r, 0, sizeof r);
	r.cmd = cmd;
	r.has_n = has_n;
	r.n = n;
	r.lines = lines;
	r.on_done = on_done;
	r.ctx = q;
	return submit(mb, q, &r);
}

static int
want_row(struct ui_mbox *mb, struct ui_msg *m)
{
	return m->hdr == UI_HDR_NONE && m->n > 0 && !m->gone && m->body != UI_BODY_DONE;
}

static int
submit_top(struct ui_mbox *mb, struct ui_msg *m)
{
	struct req *q = req_new(mb, POP3_TOP);
	struct pop3_req r;

	if (!q)
		return -1;
	q->row = m;
	q->n = m->n;
	memset(&r, 0, sizeof r);
	r.cmd = POP3_TOP;
	r.has_n = 1;
	r.n = m->n;
	r.lines = 0;
	r.on_done = on_done;
	r.ctx = q;
	if (submit(mb, q, &r) < 0)
		return -1;
	m->hdr = UI_HDR_QUEUED;
	mb->topq[mb->inflight_top++] = q;
	return 0;
}

/* Keeps up to UI_MBOX_WINDOW TOPs in flight: the visible rows first, then
 * the rest in order. A small window keeps a RETR the user asks for close to
 * the head of the queue. */
static void
pump(struct ui_mbox *mb)
{
	size_t i;

	if (mb->conn != UI_CONN_UP || mb->no_top || !mb->have_rows || mb->listing)
		return;
	for (i = 0; i < mb->nwant && mb->inflight_top < UI_MBOX_WINDOW; i++) {
		struct ui_msg *m = mb->want[i] < mb->n ? mb->v[mb->want[i]] : NULL;

		if (m && want_row(mb, m) && submit_top(mb, m) < 0)
			return;
	}
	while (mb->scan < mb->n && mb->inflight_top < UI_MBOX_WINDOW) {
		struct ui_msg *m = mb->v[mb->scan];

		if (want_row(mb, m) && submit_top(mb, m) < 0)
			return;
		mb->scan++;
	}
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
	if (mb->s && mb->conn == UI_CONN_UP && mb->inflight_top == UI_MBOX_WINDOW) {
		size_t i, k, need = 0;
		struct req *busy[UI_MBOX_WINDOW];
		size_t nbusy = 0;

		for (i = 0; i < nrows; i++)
			if (rows[i] < mb->n && want_row(mb, mb->v[rows[i]]))
				need = 1;
		for (k = 0; need && k < mb->inflight_top; k++) {
			int visible = 0;

			for (i = 0; i < nrows && !visible; i++)
				visible = rows[i] < mb->n && mb->v[rows[i]] == mb->topq[k]->row;
			if (!visible)
				busy[nbusy++] = mb->topq[k];
		}
		for (k = 0; k < nbusy; k++)
			pop3_withdraw(mb->s, busy[k]);	/* on_done frees it */
		if (nbusy)
			mb->scan = 0;
	}
	pump(mb);
}

/* ---- the session ---- */

struct ui_mbox *
ui_mbox_new(const struct ui_mbox_cfg *cfg)
{
	struct ui_mbox *mb = calloc(1, sizeof *mb);

	if (!mb)
		return NULL;
	mb->cfg = *cfg;
	mb->cfg.password = NULL;
	mb->marks = pop3_marks_new();
	mb->readset = pop3_marks_new();
	mb->trace = calloc(UI_MBOX_TRACE_MAX, sizeof *mb->trace);
	if (cfg->password)
		mb->password = strdup(cfg->password);
	if (!mb->marks || !mb->readset || !mb->trace || (cfg->password && !mb->password) ||
	    (cfg->store && load_store_rows(mb) < 0)) {
		ui_mbox_free(mb);
		return NULL;
	}
	return mb;
}

void
ui_mbox_free(struct ui_mbox *mb)
{
	size_t i;

	if (!mb)
		return;
	mb->gen++;
	pop3_free(mb->s);
	for (i = 0; i < mb->n; i++)
		msg_free(mb->v[i]);
	free(mb->v);
	list_clear(mb);
	pop3_marks_free(mb->marks);
	pop3_marks_free(mb->readset);
	if (mb->trace)
		for (i = 0; i < mb->trace_n; i++)
			free(mb->trace[(mb->trace_head + i) % UI_MBOX_TRACE_MAX].text);
	free(mb->trace);
	free(mb->want);
	free(mb->error);
	free(mb->notice);
	str_wipe_free(mb->password);
	free(mb);
}

static void
session_drop(struct ui_mbox *mb)
{
	size_t i;
	struct pop3 *s = mb->s;

	mb->s = NULL;
	mb->gen++;		/* replies completing now are stale */
	pop3_free(s);
	mb->inflight_top = 0;
	for (i = 0; i < mb->n; i++) {
		if (mb->v[i]->hdr == UI_HDR_QUEUED)
			mb->v[i]->hdr = UI_HDR_NONE;
		if (mb->v[i]->body == UI_BODY_LOADING) {
			mb->v[i]->body = UI_BODY_NONE;
			mb->v[i]->loaded = 0;
			mb->v[i]->cancelled = 0;
		}
		mb->v[i]->req_ = NULL;
	}
	mb->raw_dele = 0;	/* a closed session deletes nothing */
	mb->listing = 0;
	mb->conn = UI_CONN_DOWN;
}

int
ui_mbox_connect(struct ui_mbox *mb)
{
	struct pop3_opts o = mb->cfg.pop3;
	enum pop3_status st;

	if (mb->cfg.offline) {
		set_error(mb, "offline (--offline): the local store only");
		return -1;
	}
	if (mb->s)
		session_drop(mb);
	o.password = mb->password;
	o.trace = on_trace;
	o.trace_ctx = mb;
	mb->s = pop3_new(&o);
	if (!mb->s) {
		set_error(mb, "out of memory");
		return -1;
	}
	st = pop3_connect_start(mb->s);
	if (st != POP3_OK) {
		set_error(mb, "%s", pop3_error(mb->s));
		session_drop(mb);
		changed(mb);
		return -1;
	}
	/* The login goes on in ui_mbox_run; the listing waits for it. */
	mb->conn = UI_CONN_CONNECTING;
	mb->no_top = 0;
	list_clear(mb);
	if (submit_simple(mb, POP3_STAT, 0, 0, 0, 0) < 0 ||
	    submit_simple(mb, POP3_LIST, 0, 0, 0, 0) < 0 ||
	    submit_simple(mb, POP3_UIDL, 0, 0, 0, 0) < 0) {
		set_error(mb, "%s", pop3_error(mb->s));
		session_drop(mb);
		return -1;
	}
	mb->listing = 1;	/* pump waits until UIDL has merged the listing */
	changed(mb);
	return 0;
}

enum ui_conn ui_mbox_conn(const struct ui_mbox *mb) { return mb->conn; }
int ui_mbox_fd(const struct ui_mbox *mb) { return mb->s && mb->conn != UI_CONN_DOWN ? pop3_fd(mb->s) : -1; }
short ui_mbox_events(const struct ui_mbox *mb) { return mb->s ? pop3_events(mb->s) : 0; }
int ui_mbox_timeout(const struct ui_mbox *mb) { return mb->s && mb->conn != UI_CONN_DOWN ? pop3_timeout_ms(mb->s) : -1; }
int ui_mbox_tls(const struct ui_mbox *mb) { return mb->s && mb->conn == UI_CONN_UP && pop3_tls_active(mb->s); }

void
ui_mbox_run(struct ui_mbox *mb)
{
	enum pop3_status st;

	if (!mb->s || mb->conn == UI_CONN_DOWN)
		return;
	st = pop3_run(mb->s);
	if (st == POP3_OK && mb->conn == UI_CONN_CONNECTING && pop3_connected(mb->s)) {
		char tls[80] = "";
		struct pop3_tls_info ti;

		mb->conn = UI_CONN_UP;
		if (pop3_tls_info(mb->s, &ti) == 0)
			snprintf(tls, sizeof tls, ", %s", ti.version);
		set_notice(mb, "Connected (%s%s); press ? for help", pop3_auth_used(mb->s), tls);
		pump(mb);
		changed(mb);
	}
	if (st != POP3_OK || mb->conn == UI_CONN_DOWN) {
		if (mb->conn != UI_CONN_DOWN) {
			struct pop3_reply r;

			memset(&r, 0, sizeof r);
			r.status = st;
			r.error = pop3_error(mb->s);
			conn_lost(mb, &r);
		}
		session_drop(mb);
		changed(mb);
	}
}

/* Blocks until the session is logged in and this session's listing is
 * merged, serving the connection and calling the UI's tick (which draws,
 * and cancels on Ctrl-C). 0, or -1 with the error set. */
static int
wait_listing(struct ui_mbox *mb)
{
	while (mb->s && mb->conn != UI_CONN_DOWN && (mb->conn != UI_CONN_UP || mb->listing)) {
		struct pollfd p;
		int t = pop3_timeout_ms(mb->s);

		p.fd = pop3_fd(mb->s);
		p.events = pop3_events(mb->s);
		if (t < 0 || t > 100)
			t = 100;
		if (p.fd >= 0)
			poll(&p, 1, t);
		ui_mbox_run(mb);
		if (mb->cfg.pop3.tick && mb->cfg.pop3.tick(mb->cfg.pop3.tick_ctx)) {
			set_error(mb, "cancelled");
			if (mb->s)
				session_drop(mb);
			return -1;
		}
	}
	if (!mb->s || mb->conn != UI_CONN_UP) {
		if (!*ui_mbox_error(mb))
			set_error(mb, "the connection dropped");
		return -1;
	}
	return 0;
}

int
ui_mbox_idle(const struct ui_mbox *mb)
{
	return !mb->s || mb->conn == UI_CONN_DOWN ||
	    (mb->conn == UI_CONN_UP && pop3_pending(mb->s) == 0);
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
		if (want_row((struct ui_mbox *)mb, mb->v[i]))
			return 0;
	return 1;
}

static int
need_server(struct ui_mbox *mb)
{
	if (mb->conn == UI_CONN_UP && !mb->listing)
		return 0;
	if (mb->conn == UI_CONN_DOWN) {
		set_notice(mb, "Reconnecting...");
		changed(mb);
		if (ui_mbox_connect(mb) < 0)
			return -1;
	}
	/* the listing must be merged before numbers mean anything */
	return wait_listing(mb);
}

int
ui_mbox_fetch(struct ui_mbox *mb, size_t i)
{
	struct ui_msg *m = ui_mbox_msg(mb, i);
	struct req *q;
	struct pop3_req r;

	if (!m)
		return -1;
	if (m->body == UI_BODY_DONE)
		return 0;
	if (m->stored && m->body == UI_BODY_NONE && load_from_store(mb, m) == 0) {
		changed(mb);
		return 0;
	}
	if (m->body == UI_BODY_LOADING) {
		m->cancelled = 0;	/* asked for again before it ended */
		return 0;
	}
	if (m->gone || (!m->n && mb->cfg.offline)) {
		set_error(mb, m->gone ? "message is no longer on the server, and not in the local store" :
		    "offline, and the message is not in the local store");
		return -1;
	}
	if (need_server(mb) < 0)
		return -1;
	if (m->gone || m->n == 0) {
		set_error(mb, "message is no longer on the server");
		return -1;
	}
	q = req_new(mb, POP3_RETR);
	if (!q)
		return -1;
	q->row = m;
	q->n = m->n;
	q->expect = m->size;
	dbuf_init(&q->body, 0);
	memset(&r, 0, sizeof r);
	r.cmd = POP3_RETR;
	r.has_n = 1;
	r.n = m->n;
	r.expect_size = m->size;
	r.on_data = on_retr_data;
	r.on_done = on_done;
	r.ctx = q;
	if (submit(mb, q, &r) < 0) {
		set_error(mb, "%s", pop3_error(mb->s));
		return -1;
	}
	m->body = UI_BODY_LOADING;
	m->loaded = 0;
	m->cancelled = 0;
	m->req_ = q;
	changed(mb);
	return 0;
}

void
ui_mbox_cancel(struct ui_mbox *mb, size_t i)
{
	struct ui_msg *m = ui_mbox_msg(mb, i);

	if (!m || m->body != UI_BODY_LOADING)
		return;
	/* not sent yet: taken back; else its bytes are read and dropped */
	if (!(m->req_ && mb->s && pop3_withdraw(mb->s, m->req_) > 0))
		m->cancelled = 1;
}

void
ui_mbox_set_read(struct ui_mbox *mb, size_t i)
{
	struct ui_msg *m = ui_mbox_msg(mb, i);

	if (!m)
		return;
	m->read = 1;
	if (m->uid)
		pop3_marks_set(mb->readset, m->uid, 1);
	if (m->stored && m->uid && mb->cfg.store && !store_readonly(mb->cfg.store)) {
		const struct store_msg *sm = store_find(mb->cfg.store, m->uid);
		char *err = NULL;

		if (sm && !(sm->flags & STORE_F_READ) &&
		    store_set_flags(mb->cfg.store, m->uid, STORE_F_READ, 0, &err) != STORE_OK)
			set_notice(mb, "The read flag was not kept: %s", err ? err : "");
		free(err);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

#define READ_MAGIC "pouch-read/1\n"

int
ui_mbox_read_load(struct ui_mbox *mb, const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	size_t i;

	if (!fp) {
		if (errno == ENOENT)
			return 0;
		set_error(mb, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!fgets(line, sizeof line, fp) || strcmp(line, READ_MAGIC) != 0) {
		fclose(fp);
		set_error(mb, "%s: not a pouch read-state file; ignored", path);
		return -1;
	}
	while (fgets(line, sizeof line, fp)) {
		size_t l = strlen(line);

		if (l == 0 || line[l - 1] != '\n')
			continue;	/* overlong or cut short */
		line[--l] = 0;
		/* RFC 1939: 1 to 70 characters 0x21..0x7E */
		if (l == 0 || l > 70 || strspn(line, "!\"#$%&'()*+,-./0123456789:;<=>?@"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~") != l)
			continue;
		pop3_marks_set(mb->readset, line, 1);
	}
	fclose(fp);
	for (i = 0; i < mb->n; i++)
		if (mb->v[i]->uid && pop3_marks_has(mb->readset, mb->v[i]->uid))
			mb->v[i]->read = 1;
	return 0;
}

int
ui_mbox_read_save(struct ui_mbox *mb, const char *path)
{
	struct dbuf b;
	size_t i;
	char *tmp = str_printf("%s.XXXXXX", path);
	int fd, rc = -1;

	if (!tmp)
		return -1;
	dbuf_init(&b, 0);
	dbuf_adds(&b, READ_MAGIC);
	{
		/* after a whole listing, only UIDs still on the server stay */
		const char **on = malloc((mb->n ? mb->n : 1) * sizeof *on);
		size_t non = 0;

		if (!on)
			goto out;
		for (i = 0; i < mb->n; i++)
			if (mb->v[i]->uid && !mb->v[i]->gone)
				on[non++] = mb->v[i]->uid;
		qsort(on, non, sizeof *on, cmp_str);
		for (i = 0; i < pop3_marks_count(mb->readset); i++) {
			const char *uid = pop3_marks_get(mb->readset, i);

			if (!mb->listing_complete || bsearch(&uid, on, non, sizeof *on, cmp_str))
				dbuf_printf(&b, "%s\n", uid);
		}
		free(on);
	}
	fd = b.p ? mkstemp(tmp) : -1;
	if (fd < 0) {
		set_error(mb, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, b.p, b.len) != (ssize_t)b.len || fsync(fd) < 0) {
		set_error(mb, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		set_error(mb, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	dbuf_free(&b);
	free(tmp);
	return rc;
}

int
ui_mbox_mark(struct ui_mbox *mb, size_t i, int on)
{
	struct ui_msg *m = ui_mbox_msg(mb, i);

	if (!m)
		return -1;
	if (m->gone) {
		set_error(mb, "message %s is no longer on the server", m->uid ? m->uid : "");
		return -1;
	}
	if (!m->uid) {
		set_error(mb, "the server gave no UIDL for message %lu: pouch cannot mark it safely", m->n);
		return -1;
	}
	if (pop3_marks_set(mb->marks, m->uid, on) < 0) {
		set_error(mb, "out of memory");
		return -1;
	}
	m->marked = on;
	changed(mb);
	return 0;
}

size_t
ui_mbox_marked(const struct ui_mbox *mb)
{
	return pop3_marks_count(mb->marks);
}

/* A DELE goes out only for a message whose copy in the local store is
 * durable (store_durable: in new/ or cur/, synced, indexed). */
static int
durable(void *ctx, const char *uid)
{
	struct ui_mbox *mb = ctx;

	return mb->cfg.store && uid && store_durable(mb->cfg.store, uid);
}

int
ui_mbox_commit(struct ui_mbox *mb, size_t *deleted)
{
	struct pop3_commit res;
	enum pop3_status st;
	size_t i;

	*deleted = 0;
	if (need_server(mb) < 0)
		return -1;
	if (pop3_wait(mb->s) != POP3_OK) {
		set_error(mb, "%s", pop3_error(mb->s));
		session_drop(mb);
		return -1;
	}
	if (mb->raw_dele) {
		/* DELEs typed at the prompt are undone, so that exactly the
		 * marks (which include them) are deleted. */
		mb->rset_status = POP3_ERR_USAGE;
		if (submit_simple(mb, POP3_RSET, 0, 0, 0, 0) < 0 ||
		    pop3_wait(mb->s) != POP3_OK || mb->rset_status != POP3_OK) {
			/* Closed without QUIT: the typed DELEs are not committed. */
			set_error(mb, "RSET before the commit was not accepted; nothing deleted");
			session_drop(mb);
			return -1;
		}
	}
	/* Nothing leaves the server before its copy here is durable: marked
	 * messages not in the store yet are fetched (and stored) first. */
	if (mb->cfg.store && !store_readonly(mb->cfg.store)) {
		int fetched = 0;

		for (i = 0; i < mb->n; i++) {
			struct ui_msg *m = mb->v[i];

			if (!m->marked || !m->uid || m->gone || m->stored)
				continue;
			if (m->body == UI_BODY_DONE)
				store_message(mb, m);
			else if (ui_mbox_fetch(mb, i) == 0)
				fetched = 1;
		}
		if (fetched && (pop3_wait(mb->s) != POP3_OK || mb->conn != UI_CONN_UP)) {
			set_error(mb, "fetching the marked messages failed: %s; nothing deleted",
			    mb->s ? pop3_error(mb->s) : "the connection dropped");
			if (mb->s)
				session_drop(mb);
			return -1;
		}
	}
	memset(&res, 0, sizeof res);
	st = pop3_marks_commit(mb->s, mb->marks, durable, mb, &res);
	if (st != POP3_OK) {
		/* Whatever failed (UIDL, a DELE, RSET, QUIT), the session is
		 * closed without (another) QUIT, so nothing more is committed. */
		set_error(mb, "%s", *res.error ? res.error : *pop3_error(mb->s) ?
		    pop3_error(mb->s) : pop3_status_name(st));
		session_drop(mb);
		return -1;
	}
	*deleted = res.deleted;
	if (res.kept)
		set_notice(mb, "%zu marked message%s kept on the server: no durable copy in the local store%s",
		    res.kept, res.kept == 1 ? "" : "s", !mb->cfg.store ? " (none is open)" :
		    store_readonly(mb->cfg.store) ? " (it is read-only: another pouch holds it)" : "");
	/* The session ended with QUIT. Rows no longer marked were deleted (or
	 * were gone already): they leave the index (hidden, never freed). */
	for (i = 0; i < mb->n; i++) {
		struct ui_msg *m = mb->v[i];

		if (m->marked && m->uid && !pop3_marks_has(mb->marks, m->uid)) {
			char *err = NULL;

			m->marked = 0;
			m->gone = 1;
			m->hidden = 1;
			m->n = 0;
			/* its copy stays in the store as a backup, flagged so that
			 * the reader does not show it again */
			if (m->stored && mb->cfg.store)
				store_set_flags(mb->cfg.store, m->uid, STORE_F_DELETE, 0, &err);
			free(err);
		}
	}
	mb->layout++;
	session_drop(mb);
	changed(mb);
	return 0;
}

void
ui_mbox_close(struct ui_mbox *mb)
{
	const char *text;

	if (!mb->s || mb->conn != UI_CONN_UP) {
		if (mb->s)
			session_drop(mb);
		return;
	}
	/* Nothing to commit: a body still being read is not waited for. */
	if (!mb->raw_dele && pop3_pending(mb->s) > 0) {
		session_drop(mb);
		return;
	}
	if (mb->raw_dele) {
		mb->rset_status = POP3_ERR_USAGE;
		if (submit_simple(mb, POP3_RSET, 0, 0, 0, 0) < 0 ||
		    pop3_wait(mb->s) != POP3_OK || mb->rset_status != POP3_OK) {
			/* RSET not accepted: close without QUIT, which commits nothing. */
			session_drop(mb);
			return;
		}
	}
	pop3_quit(mb->s, &text);
	session_drop(mb);
}

/* ---- the POP3 prompt ---- */

struct cmd_help {
	const char *name, *syntax, *what, *reply, *rfc, *capa;
};

static const struct cmd_help cmd_help[] = {
	{ "USER", "USER name", "names the mailbox to log in to (before PASS)", "+OK, or -ERR for an unknown mailbox", "RFC 1939", "USER" },
	{ "PASS", "PASS secret", "gives the password after USER; sent in clear text unless TLS is on", "+OK and the mailbox is locked, or -ERR", "RFC 1939", "USER" },
	{ "APOP", "APOP name digest", "logs in with MD5(timestamp from the greeting + secret) instead of USER/PASS", "+OK, or -ERR", "RFC 1939", NULL },
	{ "AUTH", "AUTH mechanism", "logs in with a SASL mechanism (PLAIN, LOGIN, CRAM-MD5, SCRAM, XOAUTH2...)", "+ challenges, then +OK or -ERR", "RFC 5034", "SASL" },
	{ "STLS", "STLS", "starts TLS on the plain-text port before logging in", "+OK, then the TLS handshake", "RFC 2595", "STLS" },
	{ "CAPA", "CAPA", "lists the server's capabilities", "+OK and a multi-line list ending with \".\"", "RFC 2449", NULL },
	{ "STAT", "STAT", "counts the messages and their octets", "+OK COUNT OCTETS (messages marked with DELE not counted)", "RFC 1939", NULL },
	{ "LIST", "LIST [n]", "the size of every message, or of message n", "+OK and \"n octets\" lines ending with \".\", or +OK n octets", "RFC 1939", NULL },
	{ "UIDL", "UIDL [n]", "the unique id of every message (stable across sessions), or of message n", "+OK and \"n uid\" lines, or +OK n uid", "RFC 1939 (optional)", "UIDL" },
	{ "TOP", "TOP n lines", "the header of message n and its first lines of body", "+OK and the lines, dot-stuffed, ending with \".\"", "RFC 1939 (optional)", "TOP" },
	{ "RETR", "RETR n", "the whole of message n", "+OK and the message, dot-stuffed, ending with \".\"", "RFC 1939", NULL },
	{ "DELE", "DELE n", "marks message n for deletion; nothing is deleted before QUIT, and RSET undoes it", "+OK, or -ERR (no such message, or already deleted)", "RFC 1939", NULL },
	{ "RSET", "RSET", "removes every DELE mark of this session", "+OK", "RFC 1939", NULL },
	{ "NOOP", "NOOP", "does nothing; keeps an idle session from being logged out", "+OK", "RFC 1939", NULL },
	{ "LAST", "LAST", "the highest message number accessed in this session (RETR, TOP)", "+OK n; many servers answer -ERR, and pouch answers from its own record", "RFC 1460 (dropped by RFC 1725)", NULL },
	{ "QUIT", "QUIT", "ends the session; the server now deletes the DELE-marked messages (the UPDATE state)", "+OK, then the connection closes", "RFC 1939", NULL },
};

static const struct cmd_help *
help_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof cmd_help / sizeof cmd_help[0]; i++)
		if (strcasecmp(cmd_help[i].name, name) == 0)
			return &cmd_help[i];
	return NULL;
}

static const char *
advertised(const struct ui_mbox *mb, const struct cmd_help *h)
{
	if (!h->capa)
		return strcmp(h->name, "LAST") == 0 ? "never listed in CAPA" :
		    strcmp(h->name, "APOP") == 0 ? (mb->s && pop3_greeting(mb->s) &&
		    strchr(pop3_greeting(mb->s), '<') ? "offered (the greeting has a timestamp)" :
		    "not offered (no timestamp in the greeting)") : "required of every server";
	if (!mb->s || mb->conn != UI_CONN_UP)
		return "unknown (not connected)";
	return pop3_has_capa(mb->s, h->capa) ? "advertised by this server" :
	    "not advertised by this server";
}

char *
ui_mbox_help(const struct ui_mbox *mb, const char *cmd)
{
	struct dbuf b;
	size_t i;

	dbuf_init(&b, 0);
	if (cmd && *cmd) {
		const struct cmd_help *h = help_find(cmd);

		if (!h)
			return str_printf("No POP3 command %s: :help lists them", cmd);
		dbuf_printf(&b, "%s\nWhat: %s\nReply: %s\nDefined in: %s\nHere: %s",
		    h->syntax, h->what, h->reply, h->rfc, advertised(mb, h));
		if (strcmp(h->name, "DELE") == 0)
			dbuf_printf(&b, "\nIn pouch: a DELE typed here marks the row (D); $ or q commits, x or RSET undoes");
		return dbuf_take(&b, NULL);
	}
	dbuf_adds(&b, "POP3 commands (:help CMD for one; type them after ':')");
	for (i = 0; i < sizeof cmd_help / sizeof cmd_help[0]; i++)
		dbuf_printf(&b, "\n%-14s %s", cmd_help[i].syntax, cmd_help[i].what);
	return dbuf_take(&b, NULL);
}

char *
ui_mbox_info(const struct ui_mbox *mb)
{
	struct dbuf b;
	struct pop3_tls_info ti;
	char v[64];
	const char *capa;
	size_t clen;

	dbuf_init(&b, 0);
	dbuf_printf(&b, "Server: %s", mb->cfg.pop3.url ? mb->cfg.pop3.url : "");
	if (!mb->s || mb->conn != UI_CONN_UP) {
		dbuf_printf(&b, "\nNot connected%s%s.", *ui_mbox_error(mb) ? ": " : "",
		    ui_mbox_error(mb));
		return dbuf_take(&b, NULL);
	}
	dbuf_printf(&b, "\nGreeting: +OK %s", pop3_greeting(mb->s));
	dbuf_printf(&b, "\nLogin method: %s", pop3_auth_used(mb->s));
	if (pop3_tls_info(mb->s, &ti) == 0)
		dbuf_printf(&b, "\nTLS: %s, %s (certificate verified)\nCertificate SHA-256:\n%s",
		    ti.version, ti.cipher, ti.sha256);
	else
		dbuf_printf(&b, "\nTLS: %s", pop3_tls_active(mb->s) ? "on" : "off (plain text)");
	dbuf_printf(&b, "\nPipelining: %s", pop3_pipelining(mb->s) ? "on" : "off");
	if (pop3_capa_value(mb->s, "EXPIRE", v, sizeof v))
		dbuf_printf(&b, "\nEXPIRE %s: the server deletes messages %s", v,
		    strcmp(v, "NEVER") == 0 ? "never" :
		    strcmp(v, "0") == 0 ? "once they have been retrieved" : "that many days after retrieval");
	if (pop3_capa_value(mb->s, "LOGIN-DELAY", v, sizeof v))
		dbuf_printf(&b, "\nLOGIN-DELAY %s: at most one login every %s seconds", v, v);
	dbuf_printf(&b, "\nMessages: %lu, %llu octets (STAT)", mb->stat_count, mb->stat_octets);
	capa = pop3_capa(mb->s, &clen);
	dbuf_adds(&b, "\n\nCAPA, as the server sent it after login:\n");
	if (clen)
		dbuf_add(&b, capa, clen);
	else
		dbuf_adds(&b, "(the server has no CAPA)\n");
	return dbuf_take(&b, NULL);
}

static int
parse_num(const char *s, unsigned long *out)
{
	char *e;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &e, 10);
	if (errno || *e || v == 0 || v > 4294967295UL)
		return -1;
	*out = v;
	return 0;
}

int
ui_mbox_command(struct ui_mbox *mb, const char *line, char **msg)
{
	static const struct { const char *name; enum pop3_cmd cmd; int args; } cmds[] = {
		{ "STAT", POP3_STAT, 0 }, { "LIST", POP3_LIST, -1 }, { "UIDL", POP3_UIDL, -1 },
		{ "TOP", POP3_TOP, 2 }, { "RETR", POP3_RETR, 1 }, { "DELE", POP3_DELE, 1 },
		{ "RSET", POP3_RSET, 0 }, { "NOOP", POP3_NOOP, 0 }, { "LAST", POP3_LAST, 0 },
		{ "CAPA", POP3_CAPA, 0 },
	};
	char *copy = strdup(line ? line : ""), *w[4], *p, *save = NULL;
	size_t nw = 0, i;
	unsigned long n = 0, lines = 0;
	int rc = -1;

	*msg = NULL;
	if (!copy)
		return -1;
	for (p = strtok_r(copy, " \t", &save); p && nw < 4; p = strtok_r(NULL, " \t", &save))
		w[nw++] = p;
	if (nw == 0) {
		rc = 1;
		*msg = strdup("");
		goto out;
	}
	if (strcasecmp(w[0], "help") == 0) {
		*msg = ui_mbox_help(mb, nw > 1 ? w[1] : NULL);
		rc = 1;
		goto out;
	}
	if (strcasecmp(w[0], "USER") == 0 || strcasecmp(w[0], "PASS") == 0 ||
	    strcasecmp(w[0], "APOP") == 0 || strcasecmp(w[0], "AUTH") == 0 ||
	    strcasecmp(w[0], "STLS") == 0) {
		char *u = text_sanitize(w[0], strlen(w[0]), TEXT_ONELINE, NULL);

		*msg = str_printf("%s is refused here: the session is already logged in "
		    "(the AUTHORIZATION state is over; %s belongs before login, see :help %s)",
		    u ? u : "", u ? u : "", u ? u : "");
		free(u);
		rc = 1;
		goto out;
	}
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcasecmp(cmds[i].name, w[0]) == 0)
			break;
	if (i == sizeof cmds / sizeof cmds[0]) {
		char *u = text_sanitize(w[0], strlen(w[0]), TEXT_ONELINE, NULL);

		*msg = str_printf("unknown POP3 command %s (:help lists them)", u ? u : "");
		free(u);
		goto out;
	}
	if ((cmds[i].args >= 0 && nw - 1 != (size_t)cmds[i].args) ||
	    (cmds[i].args < 0 && nw > 2)) {
		*msg = str_printf("usage: %s", help_find(cmds[i].name)->syntax);
		goto out;
	}
	if (nw >= 2 && parse_num(w[1], &n) < 0) {
		*msg = str_printf("%s: a message number is 1 to 4294967295", cmds[i].name);
		goto out;
	}
	if (nw == 3) {
		char *e;

		errno = 0;
		lines = strtoul(w[2], &e, 10);
		if (!isdigit((unsigned char)*w[2]) || *e || errno) {
			*msg = str_printf("TOP: the line count is a number");
			goto out;
		}
	}
	if (need_server(mb) < 0) {
		*msg = str_printf("not connected: %s", ui_mbox_error(mb));
		goto out;
	}
	if (submit_simple(mb, cmds[i].cmd, nw >= 2, n, lines, 1) < 0) {
		*msg = str_printf("%s", pop3_error(mb->s));
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

const char *ui_mbox_error(const struct ui_mbox *mb) { return mb->error ? mb->error : ""; }

char *
ui_mbox_take_notice(struct ui_mbox *mb)
{
	char *n = mb->notice;

	mb->notice = NULL;
	return n;
}

size_t
ui_mbox_headers_known(const struct ui_mbox *mb)
{
	size_t i, k = 0;

	for (i = 0; i < mb->n; i++)
		if (mb->v[i]->hdr == UI_HDR_KNOWN || mb->v[i]->hdr == UI_HDR_FAILED ||
		    mb->v[i]->hidden)
			k++;
	return k;
}

unsigned long long
ui_mbox_total_octets(const struct ui_mbox *mb)
{
	size_t i;
	unsigned long long t = 0;

	for (i = 0; i < mb->n; i++)
		if (!mb->v[i]->gone)
			t += mb->v[i]->size;
	return t;
}
