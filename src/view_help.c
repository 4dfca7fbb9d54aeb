/*
 * view_help.c: the help screen (built from the request table, so it lists
 * exactly the keys bound, configuration included), the URL list of `U`,
 * and the protocol pane of `P`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/text.h>
#include <pouch/ui_view.h>
#include <pouch/util.h>

static const char *
view_title(unsigned mask)
{
	switch (mask) {
	case UIV_INDEX: return "index";
	case UIV_PAGER: return "pager";
	case UIV_ATTACH: return "attachment menu";
	default: return "list";
	}
}

struct view *
view_help_new(struct ui *u, unsigned mask)
{
	struct dbuf b;
	int r;
	char keys[128];

	dbuf_init(&b, 0);
	dbuf_printf(&b, "Keys of the %s (change them with `bind` lines in pouch.conf(5)):\n\n",
	    view_title(mask));
	for (r = REQ_NONE + 1; r < REQ_COUNT; r++) {
		const struct ui_req_info *ri = ui_req_info((enum ui_req)r);

		if (!(ri->views & mask))
			continue;
		ui_keymap_keys(u->km, mask, (enum ui_req)r, keys, sizeof keys);
		if (!*keys)
			continue;
		dbuf_printf(&b, "%-15s %-16s %s\n", keys, ri->name, ri->help);
	}
	dbuf_adds(&b, "\nAt the ':' prompt, any POP3 command: STAT, LIST [n], UIDL [n], TOP n m,\n"
	    "RETR n, DELE n, RSET, NOOP, LAST, CAPA, QUIT; :help CMD explains one.\n");
	{
		size_t len;
		char *text = dbuf_take(&b, &len);

		return text ? view_pager_text(u, "Help", text, len) : NULL;
	}
}

/* ---- URLs ---- */

struct urls {
	char **v;
	size_t n, cur, top;
};

static int
url_char(unsigned char c)
{
	return c > ' ' && c < 0x7f && !strchr("<>\"'`()[]{}|\\^", c);
}

static void
urls_draw(struct ui *u, struct view *v, int top, int height)
{
	struct urls *l = v->priv;
	size_t i;

	if (l->n == 0) {
		ui_put(u, top, 0, COLS, "No links in this text", A_NORMAL, 1);
		return;
	}
	if (l->cur < l->top)
		l->top = l->cur;
	if (l->cur >= l->top + (size_t)height)
		l->top = l->cur - (size_t)height + 1;
	for (i = 0; i < (size_t)height && l->top + i < l->n; i++) {
		char line[64];
		int sel = l->top + i == l->cur, x;
		unsigned long a = sel ? ui_attr(u, UIC_SELECTED) : A_NORMAL;

		snprintf(line, sizeof line, "%c%3zu ", sel ? '>' : ' ', l->top + i + 1);
		x = ui_put(u, top + (int)i, 0, COLS, line, a, 0);
		ui_put(u, top + (int)i, x, COLS - x, l->v[l->top + i], a, 1);
	}
}

static void
urls_status(struct ui *u, struct view *v, char *out, size_t outlen)
{
	struct urls *l = v->priv;

	(void)u;
	snprintf(out, outlen, "links-(%zu/%zu)--", l->n ? l->cur + 1 : 0, l->n);
}

static int
urls_request(struct ui *u, struct view *v, enum ui_req r)
{
	struct urls *l = v->priv;

	if (ui_list_move(&l->cur, l->n, r))
		return 1;
	switch (r) {
	case REQ_SELECT:
		if (!l->n)
			return 1;
		if (!u->browser) {
			/* as urlview without a browser: the link goes to the
			 * clipboard, and stays on the message line to read */
			if (ui_clipboard(u, l->v[l->cur]) == 0)
				ui_message(u, 0, "Copied to the clipboard (no browser in pouch.conf): %s", l->v[l->cur]);
			else
				ui_message(u, 0, "No browser configured (browser = ... in pouch.conf): %s", l->v[l->cur]);
			return 1;
		}
		{
			/* the URL is one argument of the browser: no shell */
			char *argv[] = { (char *)u->browser, l->v[l->cur], NULL };
			int rc = ui_run_external(u, argv, NULL, 0, 0, NULL, NULL);

			if (rc >= 0)
				ui_message(u, rc != 0, "%s exited with status %d", u->browser, rc);
		}
		return 1;
	default:
		return 0;
	}
}

static void
urls_close(struct view *v)
{
	struct urls *l = v->priv;
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l);
	free(v);
}

static const struct view_ops urls_ops = {
	"urls", UIV_HELP, urls_draw, urls_request,
	" q:Back  Enter:Open in the browser (or copy)  j/k:Move", urls_status, urls_close,
};

struct view *
view_urls_new(struct ui *u, const char *text, size_t len)
{
	static const char *const schemes[] = { "https://", "http://", "ftp://", "mailto:" };
	struct view *v = calloc(1, sizeof *v);
	struct urls *l = calloc(1, sizeof *l);
	size_t i = 0, k;

	(void)u;
	if (!v || !l) {
		free(v);
		free(l);
		return NULL;
	}
	while (text && i < len) {
		size_t best = len, bl = 0;

		for (k = 0; k < sizeof schemes / sizeof schemes[0]; k++) {
			const char *f = memmem(text + i, len - i, schemes[k], strlen(schemes[k]));

			if (f && (size_t)(f - text) < best) {
				best = (size_t)(f - text);
				bl = strlen(schemes[k]);
			}
		}
		if (best == len)
			break;
		k = best + bl;
		while (k < len && url_char((unsigned char)text[k]))
			k++;
		while (k > best + bl && strchr(".,;:!?", text[k - 1]))
			k--;	/* sentence punctuation after a link */
		if (k > best + bl) {
			char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
			size_t j, dup = 0;

			if (!nv)
				break;
			l->v = nv;
			for (j = 0; j < l->n; j++)
				if (strlen(l->v[j]) == k - best && memcmp(l->v[j], text + best, k - best) == 0)
					dup = 1;
			if (!dup) {
				l->v[l->n] = str_ndup(text + best, k - best);
				if (l->v[l->n])
					l->n++;
			}
		}
		i = k > best ? k : best + 1;
	}
	v->ops = &urls_ops;
	v->priv = l;
	return v;
}

/* ---- the protocol pane ---- */

void
view_proto_draw(struct ui *u, int top, int height)
{
	size_t n = ui_mbox_trace_count(u->mb), first, i;
	int y;
	char title[128];

	snprintf(title, sizeof title, "-- POP3 exchange (%zu lines; [ ] scroll, P hides)%s --", n,
	    u->proto_scroll ? " (scrolled back)" : "");
	ui_put(u, top, 0, COLS, title, ui_attr(u, UIC_BAR), 1);
	height--;
	top++;
	if (height <= 0)
		return;
	if ((size_t)u->proto_scroll > n)
		u->proto_scroll = (long)n;
	first = n > (size_t)height + (size_t)u->proto_scroll ? n - (size_t)height - (size_t)u->proto_scroll : 0;
	for (y = 0, i = first; y < height && i < n; y++, i++) {
		const struct ui_trace_line *l = ui_mbox_trace(u->mb, i);
		char pre[4] = "S: ";
		int x;

		if (l->dir == 'C')
			pre[0] = 'C';
		else if (l->dir == '*')
			pre[0] = '*';
		else if (l->dir == '!')
			pre[0] = '!';
		x = ui_put(u, top + y, 0, COLS, pre, l->dir == 'C' ? ui_attr(u, UIC_PROTO_C) : A_NORMAL, 0);
		/* a body line shows as on the wire: dot-stuffed */
		if (l->dir == 'D' && l->text[0] == '.')
			x += ui_put(u, top + y, x, COLS - x, ".", A_NORMAL, 0);
		ui_put(u, top + y, x, COLS - x, l->text,
		    l->dir == 'C' ? ui_attr(u, UIC_PROTO_C) : l->dir == 'D' ? ui_attr(u, UIC_TREE) : A_NORMAL, 1);
	}
}
