/*
 * view_index.c: the message list. Columns: number, flags (N new, O read,
 * D marked for deletion, A attachments once known), date, sender, size,
 * subject. Rows whose headers have not arrived keep their number and size
 * and show a quiet placeholder, so columns never shift. The rows on screen
 * are told to the mailbox, which fetches their headers first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pouch/conf.h>
#include <pouch/ui_view.h>
#include <pouch/util.h>

enum sort_key { SORT_NUMBER, SORT_DATE, SORT_SIZE, SORT_FROM, SORT_SUBJECT };
static const char *const sort_names[] = { "number", "date", "size", "from", "subject" };

struct index {
	size_t *order;			/* mailbox rows shown, in order */
	size_t n, cap;
	size_t cur;			/* position in order */
	size_t top;			/* first position on screen */
	unsigned layout;		/* the mailbox layout order was built for */
	int built;
	int placed;			/* the cursor went to the first new message */
	enum sort_key sort;
	int reverse;
	char *limit;
	struct ui_msg *cur_msg;		/* keeps the selection across rebuilds */
	size_t cur_row;			/* its mailbox row */
	size_t want_first, want_n;	/* the rows last told to the mailbox */
	struct ui_mbox *mb;
};

static struct ui_mbox *sort_mb;
static enum sort_key sort_by;

static int
cmp_rows(const void *a, const void *b)
{
	struct ui_msg *x = ui_mbox_msg(sort_mb, *(const size_t *)a);
	struct ui_msg *y = ui_mbox_msg(sort_mb, *(const size_t *)b);
	int c = 0;

	switch (sort_by) {
	case SORT_DATE:
		c = (x->date > y->date) - (x->date < y->date);
		break;
	case SORT_SIZE:
		c = (x->size > y->size) - (x->size < y->size);
		break;
	case SORT_FROM:
		c = strcasecmp(x->from ? x->from : "", y->from ? y->from : "");
		break;
	case SORT_SUBJECT:
		c = strcasecmp(x->subject ? x->subject : "", y->subject ? y->subject : "");
		break;
	case SORT_NUMBER:
		break;
	}
	if (c == 0) {
		/* then by the order on the server, gone rows last */
		unsigned long nx = x->n ? x->n : (unsigned long)-1, ny = y->n ? y->n : (unsigned long)-1;

		c = (nx > ny) - (nx < ny);
	}
	if (c == 0)
		c = (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
	return c;
}

static int
matches(struct ui_msg *m, const char *pat)
{
	return (m->subject && ui_search(m->subject, strlen(m->subject), pat) >= 0) ||
	    (m->from && ui_search(m->from, strlen(m->from), pat) >= 0);
}

static void
rebuild(struct ui *u, struct index *ix)
{
	size_t i, n = ui_mbox_count(ix->mb), k = 0;

	if (ix->cap < n) {
		size_t *no = realloc(ix->order, (n ? n : 1) * sizeof *no);

		if (!no)
			return;
		ix->order = no;
		ix->cap = n;
	}
	for (i = 0; i < n; i++) {
		struct ui_msg *m = ui_mbox_msg(ix->mb, i);

		if (m->hidden || (ix->limit && !matches(m, ix->limit)))
			continue;
		ix->order[k++] = i;
	}
	ix->n = k;
	sort_mb = ix->mb;
	sort_by = ix->sort;
	if (ix->n > 1)
		qsort(ix->order, ix->n, sizeof *ix->order, cmp_rows);
	if (ix->reverse)
		for (i = 0; i < ix->n / 2; i++) {
			size_t t = ix->order[i];

			ix->order[i] = ix->order[ix->n - 1 - i];
			ix->order[ix->n - 1 - i] = t;
		}
	{
		/* the same message when it is still listed, else the next one
		 * after it that is (deleting moves on, as in mutt) */
		size_t oldrow = ix->cur_row;

		ix->cur = ix->n ? ix->n - 1 : 0;
		for (i = 0; i < ix->n; i++)
			if (ix->order[i] >= oldrow) {
				ix->cur = i;
				break;
			}
		if (ix->cur_msg)
			for (i = 0; i < ix->n; i++)
				if (ui_mbox_msg(ix->mb, ix->order[i]) == ix->cur_msg) {
					ix->cur = i;
					break;
				}
	}
	if (!ix->placed && ix->n &&
	    (ui_mbox_listed(ix->mb) || u->o->offline)) {
		/* open on the first new message, as mutt does, once the
		 * server's listing (or the store alone) says which that is */
		ix->placed = 1;
		for (i = 0; i < ix->n; i++)
			if (!ui_mbox_msg(ix->mb, ix->order[i])->read)
				break;
		ix->cur = i < ix->n ? i : ix->n - 1;
	}
	ix->built = ix->n > 0;
	ix->layout = ui_mbox_layout(ix->mb);
	ix->cur_msg = ix->n ? ui_mbox_msg(ix->mb, ix->order[ix->cur]) : NULL;
	ix->cur_row = ix->n ? ix->order[ix->cur] : 0;
	u->dirty = 1;
}

static void
sync_layout(struct ui *u, struct index *ix)
{
	if (ix->layout != ui_mbox_layout(ix->mb) || (!ix->built && ui_mbox_count(ix->mb)) ||
	    (!ix->placed && ui_mbox_listed(ix->mb)))
		rebuild(u, ix);
}

static void
set_cur(struct index *ix, size_t pos)
{
	if (ix->n == 0)
		return;
	if (pos >= ix->n)
		pos = ix->n - 1;
	ix->cur = pos;
	ix->cur_msg = ui_mbox_msg(ix->mb, ix->order[pos]);
	ix->cur_row = ix->order[pos];
}

static void
draw_row(struct ui *u, struct index *ix, int y, size_t pos, int numw, int datew)
{
	struct ui_msg *m = ui_mbox_msg(ix->mb, ix->order[pos]);
	char num[24], date[24], size[16], flags[4], head[160];

	if (numw > 12)
		numw = 12;
	const char *from, *subj;
	int sel = pos == ix->cur, x, fromw, sizew = 5, rest;
	unsigned long attr = sel ? ui_attr(u, UIC_SELECTED) :
	    m->marked ? ui_attr(u, UIC_DELETED) : !m->read ? ui_attr(u, UIC_NEW) : A_NORMAL;

	if (m->n)
		snprintf(num, sizeof num, "%*lu", numw, m->n);
	else
		snprintf(num, sizeof num, "%*s", numw, "-");
	flags[0] = m->marked ? 'D' : m->read ? 'O' : 'N';
	flags[1] = ' ';
	flags[2] = m->attach == 1 ? 'A' : ' ';
	flags[3] = 0;
	ui_short_date(m->has_date, m->date, date, sizeof date);
	ui_human_size(m->size, size, sizeof size);
	if (m->hdr == UI_HDR_KNOWN) {
		from = m->from ? m->from : "";
		subj = m->subject && *m->subject ? m->subject : "(no subject)";
	} else if (m->hdr == UI_HDR_FAILED) {
		from = "?";
		subj = "(headers not available)";
	} else {
		from = "...";
		subj = "";
	}
	if (COLS < 60) {
		datew = 0;
		fromw = COLS < 45 ? 10 : 14;
		sizew = 4;
	} else {
		fromw = COLS >= 100 ? 24 : 18;
	}
	snprintf(head, sizeof head, "%c%s %s ", sel ? '>' : ' ', num, flags);
	x = ui_put(u, y, 0, COLS, head, attr, 0);
	if (datew) {
		ui_put(u, y, x, datew + 1, date, attr, 1);
		x += datew + 1;
	}
	ui_put(u, y, x, fromw, from, attr, 1);
	x += fromw;
	ui_put(u, y, x, 1, " ", attr, 1);
	x += 1;
	{
		char sz[24];

		snprintf(sz, sizeof sz, "%*s", sizew, size);
		ui_put(u, y, x, sizew, sz, attr, 1);
		x += sizew;
	}
	ui_put(u, y, x, 2, " ", attr, 1);
	x += 2;
	rest = COLS - x;
	if (rest > 0) {
		int used = 0;
		size_t sl = strlen(subj), fit = ui_fit(subj, sl, rest, &used);

		if (fit < sl && rest > 1) {
			/* cut with an ellipsis */
			char *t = str_ndup(subj, ui_fit(subj, sl, rest - 1, NULL));

			if (t) {
				x += ui_put(u, y, x, rest - 1, t, attr, 0);
				ui_put(u, y, x, COLS - x, "\xe2\x80\xa6", attr, 1);
				free(t);
			}
		} else {
			ui_put(u, y, x, rest, subj, attr, 1);
		}
	}
}

static void
index_draw(struct ui *u, struct view *v, int top, int height)
{
	struct index *ix = v->priv;
	size_t i;
	int y, numw = 1;

	ix->mb = u->mb;
	unsigned long maxn = 1;

	sync_layout(u, ix);
	if (ix->n == 0) {
		const char *what = ui_mbox_conn(ix->mb) == UI_CONN_CONNECTING ? "Connecting..." :
		    ix->limit ? "No message matches the limit (l, then Enter: show all)" :
		    ui_mbox_conn(ix->mb) == UI_CONN_UP ? "The mailbox is empty" : "";

		if (ui_mbox_conn(ix->mb) == UI_CONN_UP && !ix->limit && !ui_mbox_idle(ix->mb))
			what = "Listing...";
		ui_put(u, top, 0, COLS, what, A_NORMAL, 1);
		return;
	}
	for (i = 0; i < ui_mbox_count(ix->mb); i++)
		if (ui_mbox_msg(ix->mb, i)->n > maxn)
			maxn = ui_mbox_msg(ix->mb, i)->n;
	while (maxn) {
		numw++;
		maxn /= 10;
	}
	if (numw < 4)
		numw = 4;
	if (ix->cur < ix->top)
		ix->top = ix->cur;
	if (ix->cur >= ix->top + (size_t)height)
		ix->top = ix->cur - (size_t)height + 1;
	if (ix->top + (size_t)height > ix->n)
		ix->top = ix->n > (size_t)height ? ix->n - (size_t)height : 0;
	{
		/* as wide as the widest date on screen: "12:34", "Nov 03" or a year */
		int datew = 5;

		for (y = 0; y < height && ix->top + (size_t)y < ix->n; y++) {
			struct ui_msg *m = ui_mbox_msg(ix->mb, ix->order[ix->top + (size_t)y]);
			char d[24];

			ui_short_date(m->has_date, m->date, d, sizeof d);
			if ((int)strlen(d) > datew)
				datew = (int)strlen(d);
		}
		for (y = 0; y < height && ix->top + (size_t)y < ix->n; y++)
			draw_row(u, ix, top + y, ix->top + (size_t)y, numw, datew);
	}
	/* the rows on screen get their headers first */
	if (ix->want_first != ix->top || ix->want_n != (size_t)y) {
		ix->want_first = ix->top;
		ix->want_n = (size_t)y;
		ui_mbox_want(ix->mb, ix->order + ix->top, (size_t)y);
	}
}

static void
index_status(struct ui *u, struct view *v, char *out, size_t outlen)
{
	struct index *ix = v->priv;

	ix->mb = u->mb;
	sync_layout(u, ix);
	snprintf(out, outlen, "%s%s%s-(%zu/%zu)--", ix->limit ? "(limit) " : "",
	    ix->sort != SORT_NUMBER || ix->reverse ? sort_names[ix->sort] : "",
	    ix->reverse ? " rev" : "", ix->n ? ix->cur + 1 : 0, ix->n);
}

static int
page_rows(struct ui *u)
{
	int h = LINES - 3;

	if (u->proto && h >= 4)
		h -= h / 3 < 2 ? 2 : h / 3;
	return h > 1 ? h : 1;
}

static void
search(struct ui *u, struct index *ix, const char *pat)
{
	size_t k;

	for (k = 1; k <= ix->n; k++) {
		size_t pos = (ix->cur + k) % ix->n;

		if (matches(ui_mbox_msg(ix->mb, ix->order[pos]), pat)) {
			int wrapped = pos <= ix->cur;

			set_cur(ix, pos);
			if (wrapped)
				ui_message(u, 0, "Search wrapped to the top");
			return;
		}
	}
	ui_message(u, 1, "Not found: %s", pat);
}

static int
index_request(struct ui *u, struct view *v, enum ui_req r)
{
	struct index *ix = v->priv;
	struct ui_msg *m;

	ix->mb = u->mb;
	sync_layout(u, ix);
	m = ix->n ? ui_mbox_msg(ix->mb, ix->order[ix->cur]) : NULL;
	switch (r) {
	case REQ_DOWN:
		if (ix->cur + 1 < ix->n)
			set_cur(ix, ix->cur + 1);
		else
			ui_message(u, 0, "You are on the last message");
		return 1;
	case REQ_UP:
		if (ix->cur > 0)
			set_cur(ix, ix->cur - 1);
		else
			ui_message(u, 0, "You are on the first message");
		return 1;
	case REQ_PGDN:
		set_cur(ix, ix->cur + (size_t)page_rows(u));
		ix->top += (size_t)page_rows(u);
		return 1;
	case REQ_PGUP:
		set_cur(ix, ix->cur > (size_t)page_rows(u) ? ix->cur - (size_t)page_rows(u) : 0);
		ix->top = ix->top > (size_t)page_rows(u) ? ix->top - (size_t)page_rows(u) : 0;
		return 1;
	case REQ_HOME:
		set_cur(ix, 0);
		return 1;
	case REQ_END:
		set_cur(ix, ix->n ? ix->n - 1 : 0);
		return 1;
	case REQ_OPEN:
		if (!m) {
			ui_message(u, 0, "No message here");
			return 1;
		}
		ui_push(u, view_pager_new(u, ix->order[ix->cur]));
		return 1;
	case REQ_ATTACH:
		if (!m) {
			ui_message(u, 0, "No message here");
			return 1;
		}
		ui_push(u, view_attach_new(u, ix->order[ix->cur]));
		return 1;
	case REQ_DELETE:
	case REQ_UNDELETE:
		if (!m)
			return 1;
		if (ui_mbox_mark(ix->mb, ix->order[ix->cur], r == REQ_DELETE) < 0) {
			ui_message(u, 1, "%s", ui_mbox_error(ix->mb));
			return 1;
		}
		if (ix->cur + 1 < ix->n)
			set_cur(ix, ix->cur + 1);
		return 1;
	case REQ_JUMP: {
		/* as mutt: a digit starts "Jump to message:" with that digit */
		char init[2] = { u->key >= '0' && u->key <= '9' ? (char)u->key : 0, 0 };
		char *num = NULL, *end;
		unsigned long want;
		size_t i, n = ui_mbox_count(ix->mb);

		if (ui_prompt(u, "Jump to message: ", init, 0, &num) < 0 || !*num) {
			free(num);
			return 1;
		}
		errno = 0;
		want = strtoul(num, &end, 10);
		if (*end || errno || want == 0 || num[0] < '0' || num[0] > '9') {
			ui_message(u, 1, "Not a message number: %s", num);
			free(num);
			return 1;
		}
		free(num);
		for (i = 0; i < ix->n; i++)
			if (ui_mbox_msg(ix->mb, ix->order[i])->n == want) {
				set_cur(ix, i);
				return 1;
			}
		for (i = 0; i < n; i++) {
			const struct ui_msg *o = ui_mbox_msg(ix->mb, i);

			if (o->n == want && !o->hidden) {
				ui_message(u, 1, "Message %lu is not shown under the limit (l, then Enter: all)", want);
				return 1;
			}
		}
		ui_message(u, 1, "There is no message %lu", want);
		return 1;
	}
	case REQ_SEARCH: {
		char *pat = NULL;

		if (ui_prompt(u, "Search for: ", NULL, 0, &pat) < 0 || !*pat) {
			free(pat);
			return 1;
		}
		snprintf(u->last_search, sizeof u->last_search, "%s", pat);
		free(pat);
		search(u, ix, u->last_search);
		return 1;
	}
	case REQ_SEARCH_NEXT:
		if (!*u->last_search) {
			ui_message(u, 0, "No search yet: / searches");
			return 1;
		}
		search(u, ix, u->last_search);
		return 1;
	case REQ_LIMIT: {
		char *pat = NULL;

		if (ui_prompt(u, "Limit to messages matching (empty: all): ", ix->limit, 0, &pat) < 0) {
			free(pat);
			return 1;
		}
		free(ix->limit);
		ix->limit = *pat && strcmp(pat, "all") ? pat : NULL;
		if (!ix->limit)
			free(pat);
		rebuild(u, ix);
		if (ix->limit)
			ui_message(u, 0, "%zu message%s match", ix->n, ix->n == 1 ? "" : "s");
		return 1;
	}
	case REQ_SORT: {
		int k = ui_ask(u, "Sort by (d)ate, (s)ize, (f)rom, s(u)bject, (n)umber? ");

		switch (k) {
		case 'd': ix->sort = SORT_DATE; break;
		case 's': ix->sort = SORT_SIZE; break;
		case 'f': ix->sort = SORT_FROM; break;
		case 'u': ix->sort = SORT_SUBJECT; break;
		case 'n': ix->sort = SORT_NUMBER; break;
		default: return 1;
		}
		rebuild(u, ix);
		ui_message(u, 0, "Sorted by %s%s", sort_names[ix->sort], ix->reverse ? ", reversed" : "");
		return 1;
	}
	case REQ_SORT_REV:
		ix->reverse = !ix->reverse;
		rebuild(u, ix);
		ui_message(u, 0, "Sorted by %s%s", sort_names[ix->sort], ix->reverse ? ", reversed" : "");
		return 1;
	case REQ_CHECK: {
		size_t before = ui_mbox_count(ix->mb);

		ui_message(u, 0, "Checking for new mail...");
		ui_mbox_close(ix->mb);
		if (ui_mbox_connect(ix->mb) < 0) {
			ui_message(u, 1, "%s", ui_mbox_error(ix->mb));
			return 1;
		}
		ix->layout--;	/* rebuild once the listing is in */
		ui_message(u, 0, "Checking for new mail (%zu messages before); new mail appears at the end", before);
		return 1;
	}
	default:
		return 0;
	}
}

static void
index_close(struct view *v)
{
	struct index *ix = v->priv;

	free(ix->order);
	free(ix->limit);
	free(ix);
	free(v);
}

static const struct view_ops index_ops = {
	"index", UIV_INDEX, index_draw, index_request,
	" q:Quit d:Del u:Undel $:Commit x:Exit /:Search v:Attach P:POP3 ::Cmd ?:Help",
	index_status, index_close,
};

struct view *
view_index_new(struct ui *u)
{
	struct view *v = calloc(1, sizeof *v);
	struct index *ix = calloc(1, sizeof *ix);
	const char *s = u->o->conf ? conf_get(u->o->conf, "sort") : NULL;

	if (!v || !ix) {
		free(v);
		free(ix);
		return NULL;
	}
	ix->mb = u->mb;
	if (s) {
		size_t i;

		for (i = 0; i < sizeof sort_names / sizeof sort_names[0]; i++)
			if (strncmp(s, sort_names[i], strlen(sort_names[i])) == 0)
				ix->sort = (enum sort_key)i;
		ix->reverse = strstr(s, "reverse") != NULL;
	}
	v->ops = &index_ops;
	v->priv = ix;
	return v;
}

long
view_index_current(struct view *v)
{
	struct index *ix = v->priv;

	return ix->n ? (long)ix->order[ix->cur] : -1;
}

long
view_index_step(struct view *v, long row, int dir)
{
	struct index *ix = v->priv;
	size_t i;

	for (i = 0; i < ix->n; i++)
		if ((long)ix->order[i] == row)
			break;
	if (i == ix->n)
		return -1;
	if (dir > 0 ? i + 1 >= ix->n : i == 0)
		return -1;
	set_cur(ix, dir > 0 ? i + 1 : i - 1);
	return (long)ix->order[ix->cur];
}
