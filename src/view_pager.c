/*
 * view_pager.c: a message (or any text: a part, help, the server screen)
 * wrapped to the window: weeded headers (h: every field), the text that
 * text_message chooses, quote levels coloured, the signature dimmed, then
 * one line per attachment. Long words are broken, so nothing needs
 * horizontal scrolling. While a message downloads the pager shows its
 * progress, and Esc or Ctrl-C drops the download without ending the session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <wchar.h>

#include <pouch/mime.h>
#include <pouch/text.h>
#include <pouch/ui_view.h>
#include <pouch/util.h>

struct lline {
	char *s;
	enum ui_color c;
};

struct wline {
	const char *s;			/* into the logical line */
	size_t len;
	enum ui_color c;
};

struct pager {
	long row;			/* mailbox row, or -1 for a text pager */
	char *title;
	char *text;			/* a text pager's text */
	size_t textlen;
	struct lline *ll;
	size_t nll, cap;
	struct wline *wl;
	size_t nwl;
	int wrap_cols;
	size_t top;
	int built;
	int all_headers;
	char search[256];
	long hit;			/* wrapped line of the last match, or -1 */
	struct timespec t0;		/* when the download started */
	char *plain;			/* the message's text, for U */
	size_t plainlen;
};

static void
lines_free(struct pager *p)
{
	size_t i;

	for (i = 0; i < p->nll; i++)
		free(p->ll[i].s);
	free(p->ll);
	p->ll = NULL;
	p->nll = 0;
	p->cap = 0;
	free(p->wl);
	p->wl = NULL;
	p->nwl = 0;
	p->wrap_cols = 0;
	free(p->plain);
	p->plain = NULL;
	p->plainlen = 0;
}

static int
add_line(struct pager *p, const char *s, size_t len, enum ui_color c)
{
	struct lline *n;
	struct dbuf b;
	size_t i, col = 0;

	if (p->nll == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;

		n = realloc(p->ll, cap * sizeof *n);
		if (!n)
			return -1;
		p->ll = n;
		p->cap = cap;
	}
	/* tabs to spaces (stops of 8), counted in characters */
	dbuf_init(&b, 0);
	for (i = 0; i < len; i++) {
		if (s[i] == '\t') {
			do {
				dbuf_addc(&b, ' ');
				col++;
			} while (col % 8);
			continue;
		}
		dbuf_addc(&b, s[i]);
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			col++;
	}
	p->ll[p->nll].s = b.p ? dbuf_take(&b, NULL) : strdup("");
	p->ll[p->nll].c = c;
	if (!p->ll[p->nll].s)
		return -1;
	p->nll++;
	return 0;
}

/* Adds text (LF-separated) line by line; quote levels and the signature
 * get their colours when body is set. */
static void
add_text(struct pager *p, const char *t, size_t len, int body)
{
	size_t i = 0;
	int sig = 0;

	while (i <= len) {
		const char *nl = memchr(t + i, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - (t + i)) : len - i;
		enum ui_color c = UIC_NORMAL;

		if (!nl && ll == 0 && i == len)
			break;
		if (body) {
			if (ll == 3 && memcmp(t + i, "-- ", 3) == 0)
				sig = 1;
			if (sig) {
				c = UIC_SIG;
			} else {
				size_t k = i;
				int level = 0;

				while (k < i + ll && (t[k] == '>' || (t[k] == ' ' && level))) {
					if (t[k] == '>')
						level++;
					k++;
				}
				if (level)
					c = (enum ui_color)(UIC_QUOTE1 + (level - 1) % 3);
			}
		}
		add_line(p, t + i, ll, c);
		i += ll + 1;
	}
}

static void
add_field(struct pager *p, const char *name, size_t name_len, const char *value)
{
	struct dbuf b;

	dbuf_init(&b, 0);
	dbuf_printf(&b, "%.*s: %s", (int)name_len, name, value ? value : "");
	if (b.p)
		add_line(p, b.p, b.len, UIC_HDRNAME);
	dbuf_free(&b);
}

/* The usual fields, in this order (h: every field, as written). Values
 * come decoded and sanitised from text.h. */
static void
add_headers(struct pager *p, const struct mime_part *root)
{
	static const char *const weeded[] = { "Date", "From", "To", "Cc", "Reply-To", "Subject" };
	size_t i;

	if (!p->all_headers) {
		for (i = 0; i < sizeof weeded / sizeof weeded[0]; i++) {
			char *v = NULL;

			if (text_field(root, weeded[i], &v, NULL) == 1)
				add_field(p, weeded[i], strlen(weeded[i]), v);
			free(v);
		}
		return;
	}
	{
		struct text_field *f = NULL;
		size_t n = text_fields(root, &f);

		if (n == (size_t)-1) {
			add_line(p, "(out of memory)", 15, UIC_ERROR);
			return;
		}
		for (i = 0; i < n; i++)
			add_field(p, f[i].name, f[i].name_len, f[i].value);
		text_fields_free(f, n);
	}
}

static int
count_sink(void *arg, const char *s, size_t n)
{
	(void)s;
	*(size_t *)arg += n;
	return 0;
}

static void
build_message(struct ui *u, struct pager *p, struct ui_msg *m)
{
	struct mime_part *root = mime_parse(m->raw, m->rawlen), *q;
	const struct mime_part *chosen = NULL;
	size_t len = 0;
	char *text;
	int na = 0;

	lines_free(p);
	if (!root) {
		add_line(p, "(out of memory)", 15, UIC_ERROR);
		return;
	}
	add_headers(p, root);
	add_line(p, "", 0, UIC_NORMAL);
	text = text_message(root, &len, &chosen);
	if (text) {
		add_text(p, text, len, 1);
		p->plain = text;
		p->plainlen = len;
	}
	for (q = root; q; q = mime_next(q)) {
		char sz[16], *name, line[1024];
		size_t dsize = 0;

		if (!mime_is_leaf(q) || q == chosen || q == root)
			continue;
		/* the other half of the alternative shown */
		if (chosen && q->parent == chosen->parent && q->parent &&
		    strcmp(q->parent->type, "multipart/alternative") == 0)
			continue;
		if (!mime_is_attachment(q) && strncmp(q->type, "text/", 5) == 0 && !chosen)
			continue;
		na++;
		mime_part_decode(q, count_sink, &dsize);
		ui_human_size(dsize, sz, sizeof sz);
		name = q->filename ? text_sanitize(q->filename, q->filename_len, TEXT_ONELINE, NULL) : NULL;
		snprintf(line, sizeof line, "[-- Attachment #%d: %s (%s, %s) --]", na + 1,
		    name && *name ? name : "(no name)", q->type, sz);
		free(name);
		if (na == 1)
			add_line(p, "", 0, UIC_NORMAL);
		add_line(p, line, strlen(line), UIC_ATTACH);
	}
	mime_free(root);
	(void)u;
}

/* Wraps the logical lines to cols: at the last space that fits, else
 * (a long word, a URL) at the column. */
static void
wrap(struct pager *p, int cols)
{
	size_t i, cap = p->nll + 16;

	free(p->wl);
	p->wl = malloc(cap * sizeof *p->wl);
	p->nwl = 0;
	p->wrap_cols = cols;
	if (!p->wl)
		return;
	for (i = 0; i < p->nll; i++) {
		const char *s = p->ll[i].s;
		size_t len = strlen(s);

		do {
			int used;
			size_t fit = ui_fit(s, len, cols, &used), cut = fit;

			if (fit < len) {
				size_t k = fit;

				while (k > 0 && s[k - 1] != ' ')
					k--;
				if (k > 0)
					cut = k;
				if (cut == 0)
					cut = fit ? fit : 1;
			}
			if (p->nwl == cap) {
				struct wline *nw = realloc(p->wl, cap * 2 * sizeof *nw);

				if (!nw)
					return;
				p->wl = nw;
				cap *= 2;
			}
			p->wl[p->nwl].s = s;
			p->wl[p->nwl].len = cut;
			p->wl[p->nwl].c = p->ll[i].c;
			p->nwl++;
			s += cut;
			len -= cut;
		} while (len > 0);
	}
}

static struct ui_msg *
pager_msg(struct ui *u, struct pager *p)
{
	return p->row >= 0 ? ui_mbox_msg(u->mb, (size_t)p->row) : NULL;
}

static void
ensure_built(struct ui *u, struct pager *p)
{
	struct ui_msg *m = pager_msg(u, p);

	if (p->row >= 0 && !p->built && m && m->body == UI_BODY_DONE) {
		build_message(u, p, m);
		p->built = 1;
		ui_mbox_set_read(u->mb, (size_t)p->row);
	}
	if (p->wrap_cols != COLS && (p->built || p->row < 0))
		wrap(p, COLS);
}

static int
body_rows(struct ui *u)
{
	int h = LINES - 3;

	if (u->proto && h >= 4)
		h -= h / 3 < 2 ? 2 : h / 3;
	return h > 1 ? h : 1;
}

static void
draw_loading(struct ui *u, struct pager *p, struct ui_msg *m, int top, int height)
{
	char line[256], got[16], tot[16];
	struct timespec now;
	double secs, rate;

	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - p->t0.tv_sec) + (now.tv_nsec - p->t0.tv_nsec) / 1e9;
	rate = secs > 0.05 ? m->loaded / secs : 0;
	ui_human_size(m->loaded, got, sizeof got);
	ui_human_size(m->size, tot, sizeof tot);
	if (m->body == UI_BODY_LOADING) {
		int pct = m->size ? (int)(m->loaded * 100 / m->size) : 0;
		char ratebuf[16] = "-";

		if (pct > 100)
			pct = 100;
		if (rate > 0)
			ui_human_size((unsigned long long)rate, ratebuf, sizeof ratebuf);
		snprintf(line, sizeof line, "Loading message %lu: %s of %s (%d%%), %s/s%s",
		    m->n, got, tot, pct, ratebuf, "");
		ui_put(u, top, 0, COLS, line, A_BOLD, 1);
		if (rate > 0 && m->size > m->loaded && height > 1) {
			snprintf(line, sizeof line, "About %.0f s left. Esc or Ctrl-C cancels; the session goes on.",
			    (m->size - m->loaded) / rate);
			ui_put(u, top + 1, 0, COLS, line, A_NORMAL, 1);
		} else if (height > 1) {
			ui_put(u, top + 1, 0, COLS, "Esc or Ctrl-C cancels; the session goes on.", A_NORMAL, 1);
		}
		if (height > 2) {
			int w = COLS - 2, fill = w * pct / 100, i;
			char bar[1024];

			if (w > (int)sizeof bar - 3)
				w = (int)sizeof bar - 3;
			fill = w * pct / 100;
			bar[0] = '[';
			for (i = 0; i < w; i++)
				bar[1 + i] = i < fill ? '#' : '.';
			bar[1 + w] = ']';
			bar[2 + w] = 0;
			ui_put(u, top + 2, 0, COLS, bar, A_NORMAL, 1);
		}
	} else {
		ui_put(u, top, 0, COLS, ui_mbox_error(u->mb), ui_attr(u, UIC_ERROR), 1);
		if (height > 1)
			ui_put(u, top + 1, 0, COLS, "The message could not be fetched (q: back; Enter in the index tries again).", A_NORMAL, 1);
	}
}

static void
draw_line(struct ui *u, struct pager *p, int y, size_t i)
{
	struct wline *w = &p->wl[i];
	char *s = str_ndup(w->s, w->len);
	unsigned long a = ui_attr(u, w->c);
	int x = 0;

	if (!s)
		return;
	if (*p->search) {
		size_t off = 0, len = w->len, nl = strlen(p->search);
		long hit;

		while (off < len && (hit = ui_search(s + off, len - off, p->search)) >= 0) {
			char *seg = str_ndup(s + off, (size_t)hit);
			size_t mlen = 0;
			int used = 0;

			/* the match spans as many characters as the needle */
			{
				size_t k = 0, chars = 0, nchars = 0;

				for (k = 0; k < nl; k++)
					if (((unsigned char)p->search[k] & 0xc0) != 0x80)
						nchars++;
				k = off + (size_t)hit;
				while (k < len && chars < nchars) {
					k++;
					while (k < len && ((unsigned char)s[k] & 0xc0) == 0x80)
						k++;
					chars++;
				}
				mlen = k - (off + (size_t)hit);
			}
			if (seg)
				x += ui_put(u, y, x, COLS - x, seg, a, 0);
			free(seg);
			seg = str_ndup(s + off + (size_t)hit, mlen);
			if (seg)
				x += used = ui_put(u, y, x, COLS - x, seg, ui_attr(u, UIC_SEARCH), 0);
			free(seg);
			off += (size_t)hit + (mlen ? mlen : 1);
		}
		ui_put(u, y, x, COLS - x, s + (off < len ? off : len), a, 1);
	} else {
		ui_put(u, y, 0, COLS, s, a, 1);
	}
	free(s);
}

static void
pager_draw(struct ui *u, struct view *v, int top, int height)
{
	struct pager *p = v->priv;
	struct ui_msg *m = pager_msg(u, p);
	size_t i;

	if (p->row >= 0 && (!m || m->body != UI_BODY_DONE) && !p->built) {
		if (m)
			draw_loading(u, p, m, top, height);
		return;
	}
	ensure_built(u, p);
	if (p->nwl > (size_t)height && p->top > p->nwl - (size_t)height)
		p->top = p->nwl - (size_t)height;
	if (p->nwl <= (size_t)height)
		p->top = 0;
	for (i = 0; i < (size_t)height; i++) {
		if (p->top + i < p->nwl)
			draw_line(u, p, top + (int)i, p->top + i);
		else
			ui_put(u, top + (int)i, 0, COLS, "~", ui_attr(u, UIC_TREE), 1);
	}
}

static void
pager_status(struct ui *u, struct view *v, char *out, size_t outlen)
{
	struct pager *p = v->priv;
	int h = body_rows(u);
	const char *pos;
	char pct[16];

	if (p->nwl <= (size_t)h)
		pos = "(all)";
	else if (p->top == 0)
		pos = "(top)";
	else if (p->top + (size_t)h >= p->nwl)
		pos = "(end)";
	else {
		snprintf(pct, sizeof pct, "(%d%%)", (int)((p->top + (size_t)h) * 100 / p->nwl));
		pos = pct;
	}
	if (p->row >= 0) {
		struct ui_msg *m = pager_msg(u, p);

		snprintf(out, outlen, "msg %lu %s--", m ? m->n : 0, pos);
	} else {
		snprintf(out, outlen, "%s %s--", p->title ? p->title : "", pos);
	}
}

static void
goto_row(struct ui *u, struct pager *p, long row)
{
	lines_free(p);
	p->row = row;
	p->built = 0;
	p->top = 0;
	p->hit = -1;
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	if (ui_mbox_fetch(u->mb, (size_t)row) < 0)
		ui_message(u, 1, "%s", ui_mbox_error(u->mb));
}

static void
find(struct ui *u, struct pager *p, int dir, int from_next)
{
	size_t n = p->nwl, k;
	long start = p->hit >= 0 && from_next ? p->hit : (long)p->top - (dir > 0 ? 1 : 0);

	if (!*p->search || n == 0)
		return;
	for (k = 1; k <= n; k++) {
		long i = ((start + (long)k * dir) % (long)n + (long)n) % (long)n;
		char *s = str_ndup(p->wl[i].s, p->wl[i].len);
		long hit = s ? ui_search(s, p->wl[i].len, p->search) : -1;

		free(s);
		if (hit >= 0) {
			if ((dir > 0 && i <= start) || (dir < 0 && i >= start))
				ui_message(u, 0, "Search wrapped");
			p->hit = i;
			p->top = (size_t)i > 2 ? (size_t)i - 2 : 0;
			return;
		}
	}
	ui_message(u, 1, "Not found: %s", p->search);
}

static int
pager_request(struct ui *u, struct view *v, enum ui_req r)
{
	struct pager *p = v->priv;
	int h = body_rows(u);
	int loading = p->row >= 0 && !p->built;

	if (loading) {
		switch (r) {
		case REQ_BACK:
		case REQ_INTERRUPT:
			ui_leave_loading(u, (size_t)p->row);
			return 1;
		case REQ_PROTOCOL: case REQ_PROTO_UP: case REQ_PROTO_DOWN: case REQ_REDRAW:
		case REQ_HELP_PAGER: case REQ_PROMPT: case REQ_INFO:
			return 0;
		default:
			ui_message(u, 0, "Still loading (Esc cancels)");
			return 1;
		}
	}
	ensure_built(u, p);
	switch (r) {
	case REQ_PGDN:
		if (p->top + (size_t)h >= p->nwl) {
			if (p->row >= 0)
				goto next;
			ui_message(u, 0, "Bottom of the text");
			return 1;
		}
		p->top += (size_t)(h > 2 ? h - 1 : 1);
		return 1;
	case REQ_PGUP:
		if (p->top == 0)
			ui_message(u, 0, "Top of the text");
		p->top = p->top > (size_t)(h - 1) ? p->top - (size_t)(h - 1) : 0;
		return 1;
	case REQ_LINE_DOWN:
		if (p->top + (size_t)h < p->nwl)
			p->top++;
		else
			ui_message(u, 0, "Bottom of the text");
		return 1;
	case REQ_LINE_UP:
		if (p->top > 0)
			p->top--;
		return 1;
	case REQ_HOME:
		p->top = 0;
		return 1;
	case REQ_END:
		p->top = p->nwl > (size_t)h ? p->nwl - (size_t)h : 0;
		return 1;
	case REQ_SEARCH:
	case REQ_SEARCH_BACK: {
		char *pat = NULL;

		if (ui_prompt(u, r == REQ_SEARCH ? "Search: " : "Search backward: ", NULL, 0, &pat) < 0) {
			free(pat);
			return 1;
		}
		if (*pat) {
			snprintf(p->search, sizeof p->search, "%s", pat);
			p->hit = -1;
			find(u, p, r == REQ_SEARCH ? 1 : -1, 0);
		} else {
			p->search[0] = 0;	/* an empty search clears the highlight */
		}
		free(pat);
		return 1;
	}
	case REQ_SEARCH_NEXT:
	case REQ_SEARCH_PREV:
		if (!*p->search) {
			ui_message(u, 0, "No search yet: / searches");
			return 1;
		}
		find(u, p, r == REQ_SEARCH_NEXT ? 1 : -1, 1);
		return 1;
	case REQ_HEADERS:
		if (p->row < 0)
			return 0;
		p->all_headers = !p->all_headers;
		p->built = 0;
		ensure_built(u, p);
		return 1;
	case REQ_NEXT_MSG:
	next: {
		long nr;

		if (p->row < 0)
			return 0;
		nr = view_index_step(ui_view_index(u), p->row, 1);
		if (nr < 0) {
			ui_message(u, 0, "You are on the last message");
			return 1;
		}
		goto_row(u, p, nr);
		return 1;
	}
	case REQ_PREV_MSG: {
		long nr;

		if (p->row < 0)
			return 0;
		nr = view_index_step(ui_view_index(u), p->row, -1);
		if (nr < 0) {
			ui_message(u, 0, "You are on the first message");
			return 1;
		}
		goto_row(u, p, nr);
		return 1;
	}
	case REQ_DELETE:
	case REQ_UNDELETE:
		if (p->row < 0)
			return 0;
		if (ui_mbox_mark(u->mb, (size_t)p->row, r == REQ_DELETE) < 0) {
			ui_message(u, 1, "%s", ui_mbox_error(u->mb));
			return 1;
		}
		ui_message(u, 0, r == REQ_DELETE ? "Marked for deletion ($ or q deletes, u unmarks)" :
		    "Deletion mark removed");
		if (r == REQ_DELETE) {
			/* on to the next message, as mutt does */
			long nr = view_index_step(ui_view_index(u), p->row, 1);

			if (nr >= 0)
				goto_row(u, p, nr);
		}
		return 1;
	case REQ_ATTACH:
		if (p->row < 0)
			return 0;
		ui_push(u, view_attach_new(u, (size_t)p->row));
		return 1;
	case REQ_URLS:
		ui_push(u, view_urls_new(u, p->row >= 0 ? p->plain : p->text,
		    p->row >= 0 ? p->plainlen : p->textlen));
		return 1;
	default:
		return 0;
	}
}

static void
pager_close(struct view *v)
{
	struct pager *p = v->priv;

	lines_free(p);
	free(p->title);
	free(p->text);
	free(p);
	free(v);
}

static const struct view_ops pager_ops = {
	"pager", UIV_PAGER, pager_draw, pager_request,
	" q:Back Space/-:Page J/K:Next/Prev d:Del v:Attach h:Headers /:Find F1:Help",
	pager_status, pager_close,
};

static struct view *
pager_alloc(void)
{
	struct view *v = calloc(1, sizeof *v);
	struct pager *p = calloc(1, sizeof *p);

	if (!v || !p) {
		free(v);
		free(p);
		return NULL;
	}
	p->hit = -1;
	v->ops = &pager_ops;
	v->priv = p;
	return v;
}

struct view *
view_pager_new(struct ui *u, size_t row)
{
	struct view *v = pager_alloc();

	if (!v)
		return NULL;
	goto_row(u, v->priv, (long)row);
	return v;
}

struct view *
view_pager_text(struct ui *u, const char *title, char *text, size_t len)
{
	struct view *v = pager_alloc();
	struct pager *p;

	if (!v) {
		free(text);
		return NULL;
	}
	p = v->priv;
	p->row = -1;
	p->title = strdup(title ? title : "");
	/* server text (greeting, CAPA) can be in here: made safe once */
	p->text = text_sanitize(text, len, TEXT_BODY, &p->textlen);
	free(text);
	if (!p->text) {
		pager_close(v);
		return NULL;
	}
	add_text(p, p->text, p->textlen, 0);
	(void)u;
	return v;
}
