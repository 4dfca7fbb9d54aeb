/*
 * ui_mbox.c: the reader's rows, their local store, read flags and deletion
 * marks, and how a server listing is merged into the rows (see ui_mbox.h;
 * the session behind them is in ui_sess.c and ui_end.c, the prompt in
 * ui_prompt.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pouch/mime.h>
#include <pouch/store.h>
#include <pouch/store_flags.h>
#include <pouch/text.h>

#include "ui_mbox_priv.h"

void
mb_changed(struct ui_mbox *mb)
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

void
mb_error(struct ui_mbox *mb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_text(&mb->error, fmt, ap);
	va_end(ap);
}

void
mb_notice(struct ui_mbox *mb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_text(&mb->notice, fmt, ap);
	va_end(ap);
}

const char *ui_mbox_error(const struct ui_mbox *mb) { return mb->error ? mb->error : ""; }

char *
ui_mbox_take_notice(struct ui_mbox *mb)
{
	char *n = mb->notice;

	mb->notice = NULL;
	return n;
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

struct ui_msg *
mb_row_by_number(struct ui_mbox *mb, unsigned long n)
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

int
mb_is_read(const struct ui_mbox *mb, const char *uid)
{
	const struct store_msg *sm;

	if (!uid)
		return 0;
	if (pop3_marks_has(mb->readset, uid))
		return 1;
	if (!mb->reads)
		return 0;
	/* the backup of a message deleted from the server is not that
	 * message, should its UIDL be listed again */
	sm = store_find(mb->cfg.store, uid);
	if (sm && (sm->flags & STORE_F_DELETE))
		return 0;
	return store_reads_has(mb->reads, uid);
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
int
mb_merge_listing(struct ui_mbox *mb)
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
			m->read = mb_is_read(mb, m->uid);
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
			m->read = mb_is_read(mb, m->uid);
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
int
mb_load_from_store(struct ui_mbox *mb, struct ui_msg *m)
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
		mb_error(mb, "reading the stored message failed");
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
void
mb_store_message(struct ui_mbox *mb, struct ui_msg *m)
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
	if (rc == STORE_OK && store_durable(st, m->uid)) {
		m->stored = 1;
		/* a pending read flag becomes the message's own */
		if (m->read && mb->reads) {
			free(err);
			err = NULL;
			(void)store_reads_set(mb->reads, m->uid, &err);
		}
	}
	else
		mb_notice(mb, "Not kept in the local store: %s", err ? err : store_status_name(rc));
	free(err);
}


/* ---- the mailbox ---- */

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
	if (!mb->marks || !mb->readset || !mb->trace || (cfg->password && !mb->password)) {
		ui_mbox_free(mb);
		return NULL;
	}
	if (cfg->store) {
		char *err = NULL;

		mb->reads = store_reads_open(cfg->store, &err);
		if (!mb->reads && !err) {
			ui_mbox_free(mb);
			return NULL;
		}
		if (!mb->reads)
			mb_notice(mb, "Pending read flags not loaded: %s", err);
		else if (!store_readonly(cfg->store) && store_reads_pending(mb->reads) &&
		    store_reads_apply(mb->reads, &err) != STORE_OK)
			mb_notice(mb, "Pending read flags not applied: %s", err ? err : "");
		free(err);
		if (load_store_rows(mb) < 0) {
			ui_mbox_free(mb);
			return NULL;
		}
	}
	return mb;
}

void
ui_mbox_free(struct ui_mbox *mb)
{
	size_t i;

	if (!mb)
		return;
	mb_session_free(mb);
	for (i = 0; i < mb->n; i++)
		msg_free(mb->v[i]);
	free(mb->v);
	for (i = 0; i < mb->nlist; i++)
		free(mb->list[i].uid);
	free(mb->list);
	mb_typed_flush(mb, 0);
	pop3_marks_free(mb->marks);
	pop3_marks_free(mb->readset);
	store_reads_free(mb->reads);
	mb_trace_free(mb);
	free(mb->want);
	free(mb->error);
	free(mb->notice);
	free(mb->end_error);
	str_wipe_free(mb->password);
	free(mb);
}

void
ui_mbox_set_read(struct ui_mbox *mb, size_t i)
{
	struct ui_msg *m = ui_mbox_msg(mb, i);
	char *err = NULL;

	if (!m)
		return;
	m->read = 1;
	if (!m->uid)
		return;
	pop3_marks_set(mb->readset, m->uid, 1);
	/* the store's flag, or a pending one; a read-only store: memory only */
	if (mb->reads) {
		enum store_status st = store_reads_set(mb->reads, m->uid, &err);

		if (st != STORE_OK && st != STORE_READONLY)
			mb_notice(mb, "The read flag was not kept: %s", err ? err : store_status_name(st));
	}
	free(err);
}

int
ui_mbox_mark(struct ui_mbox *mb, size_t i, int on)
{
	struct ui_msg *m = ui_mbox_msg(mb, i);

	if (!m)
		return -1;
	if (mb->op != OP_NONE) {
		mb_error(mb, "the session is ending: marks change once it is over");
		return -1;
	}
	if (m->gone) {
		mb_error(mb, "message %s is no longer on the server", m->uid ? m->uid : "");
		return -1;
	}
	if (!m->uid) {
		mb_error(mb, "the server gave no UIDL for message %lu: pouch cannot mark it safely", m->n);
		return -1;
	}
	if (pop3_marks_set(mb->marks, m->uid, on) < 0) {
		mb_error(mb, "out of memory");
		return -1;
	}
	m->marked = on;
	mb_changed(mb);
	return 0;
}

size_t
ui_mbox_marked(const struct ui_mbox *mb)
{
	return pop3_marks_count(mb->marks);
}

void
mb_clear_marks(struct ui_mbox *mb)
{
	size_t i;

	while (pop3_marks_count(mb->marks) > 0)
		if (pop3_marks_set(mb->marks, pop3_marks_get(mb->marks, 0), 0) < 0)
			break;
	for (i = 0; i < mb->n; i++)
		mb->v[i]->marked = 0;
}

/* A DELE goes out only for a message whose copy in the local store is
 * durable (store_durable: in new/ or cur/, synced, indexed). */
int
mb_durable(void *ctx, const char *uid)
{
	struct ui_mbox *mb = ctx;

	return mb->cfg.store && uid && store_durable(mb->cfg.store, uid);
}

static int
readset_add(void *ctx, const char *uid)
{
	return pop3_marks_set(ctx, uid, 1);
}

long
ui_mbox_read_migrate(struct ui_mbox *mb, const char *path)
{
	enum store_status st;
	char *err = NULL;
	size_t i, n = 0;

	if (mb->reads) {
		st = store_reads_migrate(mb->reads, path, &n, &err);
		if (st != STORE_OK && st != STORE_READONLY) {
			mb_error(mb, "%s", err ? err : store_status_name(st));
			free(err);
			return -1;
		}
	} else {
		/* no store: read into memory; the file stays for a later run */
		char *text = NULL;
		size_t len = 0;

		if (file_read_all(path, 64u << 20, FILE_NOFOLLOW, &text, &len) < 0) {
			if (errno == ENOENT)
				return 0;
			mb_error(mb, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (store_reads_parse(text, len, readset_add, mb->readset) < 0) {
			free(text);
			mb_error(mb, "%s: not a pouch read-state file; ignored", path);
			return -1;
		}
		free(text);
		n = pop3_marks_count(mb->readset);
	}
	free(err);
	for (i = 0; i < mb->n; i++)
		if (!mb->v[i]->read && mb_is_read(mb, mb->v[i]->uid))
			mb->v[i]->read = 1;
	mb_changed(mb);
	return (long)n;
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
