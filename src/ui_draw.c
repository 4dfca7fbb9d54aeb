/*
 * ui_draw.c: drawing for every view: colours (configurable, monochrome
 * fallback, NO_COLOR), UTF-8 text laid out by wcwidth (ui_put, ui_width,
 * ui_fit), the message line, sizes and dates as the index shows them, the
 * status line, the whole screen (ui_draw), and the headless mode's text
 * dump of it (ui_dump_screen).
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>
#include <wctype.h>

#include <pouch/conf.h>
#include <pouch/text.h>
#include <pouch/ui.h>
#include <pouch/ui_view.h>
#include <pouch/util.h>

#include "ui_priv.h"

/* ---- colours ---- */

static unsigned long attrs[UIC_COUNT];

static const struct {
	const char *name;
	short fg, bg;
	unsigned long mono;
} color_defaults[UIC_COUNT] = {
	[UIC_NORMAL] = { "normal", -1, -1, A_NORMAL },
	[UIC_BAR] = { "bar", COLOR_BLACK, COLOR_CYAN, A_REVERSE },
	[UIC_STATUS] = { "status", COLOR_BLACK, COLOR_CYAN, A_REVERSE },
	[UIC_SELECTED] = { "selected", COLOR_BLACK, COLOR_CYAN, A_REVERSE },
	[UIC_NEW] = { "new", COLOR_GREEN, -1, A_BOLD },
	[UIC_DELETED] = { "deleted", COLOR_RED, -1, A_DIM },
	[UIC_HDRNAME] = { "header", COLOR_YELLOW, -1, A_BOLD },
	[UIC_QUOTE1] = { "quote1", COLOR_GREEN, -1, A_NORMAL },
	[UIC_QUOTE2] = { "quote2", COLOR_CYAN, -1, A_NORMAL },
	[UIC_QUOTE3] = { "quote3", COLOR_MAGENTA, -1, A_NORMAL },
	[UIC_SIG] = { "signature", COLOR_BLUE, -1, A_DIM },
	[UIC_ATTACH] = { "attachment", COLOR_MAGENTA, -1, A_BOLD },
	[UIC_SEARCH] = { "search", COLOR_BLACK, COLOR_YELLOW, A_STANDOUT },
	[UIC_ERROR] = { "error", COLOR_RED, -1, A_BOLD },
	[UIC_PROTO_C] = { "protocol-client", COLOR_YELLOW, -1, A_BOLD },
	[UIC_PROTO_S] = { "protocol-server", -1, -1, A_NORMAL },
	[UIC_TREE] = { "tree", COLOR_BLUE, -1, A_NORMAL },
};

void
ui_colors_setup(const struct conf_account *ca)
{
	int i, use = has_colors() && !getenv("NO_COLOR");

	if (use && start_color() == ERR)
		use = 0;
	if (use)
		use_default_colors();
	for (i = 0; i < UIC_COUNT; i++) {
		short fg = color_defaults[i].fg, bg = color_defaults[i].bg;

		if (ca)
			conf_color(ca, color_defaults[i].name, &fg, &bg);
		if (use && i != UIC_NORMAL && init_pair((short)i, fg, bg) != ERR)
			attrs[i] = COLOR_PAIR(i) | (i == UIC_NEW || i == UIC_HDRNAME ||
			    i == UIC_ATTACH || i == UIC_ERROR || i == UIC_PROTO_C ? A_BOLD : 0) |
			    (i == UIC_SIG ? A_DIM : 0);
		else
			attrs[i] = color_defaults[i].mono;
	}
}

unsigned long
ui_attr(struct ui *u, enum ui_color c)
{
	(void)u;
	return c < UIC_COUNT ? attrs[c] : A_NORMAL;
}

/* ---- drawing ---- */

size_t
ui_next_wc(const char *s, size_t len, wchar_t *wc)
{
	mbstate_t st;
	size_t n;

	memset(&st, 0, sizeof st);
	n = mbrtowc(wc, s, len, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*wc = L'?';
		return 1;
	}
	return n;
}

int
ui_wc_cols(wchar_t wc)
{
	int w = wcwidth(wc);

	return w < 0 ? 1 : w;
}

int
ui_width(const char *s, size_t len)
{
	size_t i = 0;
	int w = 0;
	wchar_t wc;

	while (i < len) {
		i += ui_next_wc(s + i, len - i, &wc);
		w += ui_wc_cols(wc);
	}
	return w;
}

size_t
ui_fit(const char *s, size_t len, int w, int *used)
{
	size_t i = 0, n;
	int c = 0, cw;
	wchar_t wc;

	while (i < len) {
		n = ui_next_wc(s + i, len - i, &wc);
		cw = ui_wc_cols(wc);
		if (c + cw > w)
			break;
		c += cw;
		i += n;
	}
	if (used)
		*used = c;
	return i;
}

int
ui_put(struct ui *u, int y, int x, int w, const char *s, unsigned long attr, int pad)
{
	wchar_t buf[512];
	size_t i = 0, len = s ? strlen(s) : 0, nb = 0;
	int c = 0;

	(void)u;
	if (w <= 0 || y < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + w > COLS)
		w = COLS - x;
	attrset((attr_t)attr);
	move(y, x);
	while (i < len) {
		wchar_t wc;
		size_t n = ui_next_wc(s + i, len - i, &wc);
		int cw = wcwidth(wc);

		if (cw < 0) {		/* sanitised text has none; be safe */
			wc = L'?';
			cw = 1;
		}
		if (c + cw > w)
			break;
		if (nb == sizeof buf / sizeof buf[0] - 1) {
			buf[nb] = 0;
			addnwstr(buf, (int)nb);
			nb = 0;
		}
		buf[nb++] = wc;
		c += cw;
		i += n;
	}
	if (nb) {
		buf[nb] = 0;
		addnwstr(buf, (int)nb);
	}
	if (pad)
		while (c < w) {
			addch(' ');
			c++;
		}
	attrset(A_NORMAL);
	return c;
}

void
ui_clear_rows(struct ui *u, int top, int height)
{
	int y;

	for (y = top; y < top + height && y < LINES; y++) {
		move(y, 0);
		clrtoeol();
	}
	(void)u;
}

void
ui_message(struct ui *u, int error, const char *fmt, ...)
{
	va_list ap;
	char raw[1024];
	char *s;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	s = text_sanitize(raw, strlen(raw), TEXT_ONELINE, NULL);
	snprintf(u->msg, sizeof u->msg, "%s", s ? s : "");
	free(s);
	u->msg_error = error;
	u->dirty = 1;
}

void
ui_human_size(unsigned long long n, char *out, size_t outlen)
{
	if (n < 1000)
		snprintf(out, outlen, "%llu", n);
	else if (n < 10 * 1024)
		snprintf(out, outlen, "%.1fK", n / 1024.0);
	else if (n < 1000 * 1024)
		snprintf(out, outlen, "%lluK", (n + 512) / 1024);
	else if (n < 10ULL * 1024 * 1024)
		snprintf(out, outlen, "%.1fM", n / (1024.0 * 1024));
	else if (n < 1000ULL * 1024 * 1024)
		snprintf(out, outlen, "%lluM", (n + 512 * 1024) / (1024 * 1024));
	else
		snprintf(out, outlen, "%.1fG", n / (1024.0 * 1024 * 1024));
}

void
ui_short_date(int has, int64_t utc, char *out, size_t outlen)
{
	time_t t = (time_t)utc, now = time(NULL);
	struct tm tm, tn;
	const char *today = ui_steps ? getenv("POUCH_TODAY") : NULL;

	/* headless tests fix "today" (YYYY-MM-DD), so dates dump the same */
	if (today) {
		struct tm d;

		memset(&d, 0, sizeof d);
		if (sscanf(today, "%d-%d-%d", &d.tm_year, &d.tm_mon, &d.tm_mday) == 3) {
			d.tm_year -= 1900;
			d.tm_mon -= 1;
			d.tm_hour = 12;
			d.tm_isdst = -1;
			now = mktime(&d);
		}
	}

	if (!has || !localtime_r(&t, &tm) || !localtime_r(&now, &tn)) {
		snprintf(out, outlen, "%s", "");
		return;
	}
	if (tm.tm_year == tn.tm_year && tm.tm_yday == tn.tm_yday)
		strftime(out, outlen, "%H:%M", &tm);
	else if (tm.tm_year == tn.tm_year)
		strftime(out, outlen, "%b %d", &tm);
	else
		strftime(out, outlen, "%Y-%m-%d", &tm);
}

long
ui_search(const char *hay, size_t len, const char *needle)
{
	wchar_t nw[256];
	size_t nn = 0, i, k = 0, nl = strlen(needle);

	while (k < nl && nn < 255) {
		k += ui_next_wc(needle + k, nl - k, &nw[nn]);
		nw[nn] = towlower(nw[nn]);
		nn++;
	}
	if (nn == 0)
		return 0;
	for (i = 0; i < len;) {
		size_t j = i, m = 0;
		wchar_t wc;

		while (m < nn && j < len) {
			j += ui_next_wc(hay + j, len - j, &wc);
			if ((wchar_t)towlower(wc) != nw[m])
				break;
			m++;
		}
		if (m == nn)
			return (long)i;
		i += ui_next_wc(hay + i, len - i, &wc);
	}
	return -1;
}

/* ---- layout ---- */

static void
status_line(struct ui *u, int y)
{
	char left[512], right[256] = "", sz[16];
	size_t i, n = ui_mbox_count(u->mb), nnew = 0, nhidden = 0, known = ui_mbox_headers_known(u->mb);
	const char *conn;
	int wr;

	for (i = 0; i < n; i++) {
		struct ui_msg *m = ui_mbox_msg(u->mb, i);

		if (!m->read && !m->gone && !m->hidden)
			nnew++;
		if (m->hidden)
			nhidden++;
	}
	ui_human_size(ui_mbox_total_octets(u->mb), sz, sizeof sz);
	switch (ui_mbox_conn(u->mb)) {
	case UI_CONN_UP: conn = ui_mbox_tls(u->mb) ? "TLS" : "plain"; break;
	case UI_CONN_CONNECTING: conn = "connecting"; break;
	default: conn = "offline"; break;
	}
	if (ui_mbox_end_doing(u->mb))
		conn = "ending";
	snprintf(left, sizeof left, "-- pouch: %s [%zu msgs, %zu new, %zu del, %s] %s ",
	    u->o->account ? u->o->account : "", n - nhidden, nnew, ui_mbox_marked(u->mb), sz, conn);
	if (u->status_note[0])
		snprintf(left + strlen(left), sizeof left - strlen(left), "%s ", u->status_note);
	if (known < n && ui_mbox_conn(u->mb) == UI_CONN_UP)
		snprintf(left + strlen(left), sizeof left - strlen(left),
		    "headers %zu/%zu ", known, n);
	for (i = 0; i < n; i++) {
		struct ui_msg *m = ui_mbox_msg(u->mb, i);

		if (m->body == UI_BODY_LOADING && !m->cancelled) {
			char got[16], tot[16];

			ui_human_size(m->loaded, got, sizeof got);
			ui_human_size(m->size, tot, sizeof tot);
			snprintf(left + strlen(left), sizeof left - strlen(left),
			    "RETR %lu: %s/%s %d%% ", m->n, got, tot,
			    m->size ? (int)(m->loaded * 100 / m->size > 100 ? 100 : m->loaded * 100 / m->size) : 0);
			break;
		}
	}
	if (u->top->ops->status) {
		right[0] = ' ';
		u->top->ops->status(u, u->top, right + 1, sizeof right - 1);
	}
	wr = ui_width(right, strlen(right));
	if (wr >= COLS)
		wr = 0;
	ui_put(u, y, 0, COLS - wr, left, ui_attr(u, UIC_STATUS), 1);
	if (wr && wr < COLS)
		ui_put(u, y, COLS - wr, wr, right, ui_attr(u, UIC_STATUS), 1);
}

void
ui_draw(struct ui *u)
{
	int body_top = 1, body_h, proto_h = 0;

	erase();
	ui_put(u, 0, 0, COLS, u->top->ops->hints, ui_attr(u, UIC_BAR), 1);
	body_h = LINES - 3;
	if (u->proto && body_h >= 4) {
		proto_h = body_h / 3;
		if (proto_h < 2)
			proto_h = 2;
		body_h -= proto_h;
	}
	if (body_h > 0)
		u->top->ops->draw(u, u->top, body_top, body_h);
	if (proto_h)
		view_proto_draw(u, body_top + body_h, proto_h);
	if (LINES >= 2)
		status_line(u, LINES - 2);
	ui_put(u, LINES - 1, 0, COLS, u->msg, u->msg_error ? ui_attr(u, UIC_ERROR) : A_NORMAL, 1);
	move(LINES - 1, COLS - 1);
	refresh();
	u->dirty = 0;
}

/* ---- headless screen dumps ---- */

void
ui_dump_screen(struct ui *u)
{
	int y, x;

	if (u->dirty)
		ui_draw(u);
	if (!ui_dump_fp)
		return;
	fprintf(ui_dump_fp, "=== %dx%d\n", COLS, LINES);
	for (y = 0; y < LINES; y++) {
		char line[4096];
		size_t n = 0, keep = 0;

		for (x = 0; x < COLS && n < sizeof line - (CCHARW_MAX + 1) * MB_LEN_MAX; x++) {
			cchar_t cc;
			wchar_t wch[CCHARW_MAX + 1];
			attr_t a;
			short pair;
			int k;

			if (mvin_wch(y, x, &cc) == ERR)
				break;
			if (getcchar(&cc, wch, &a, &pair, NULL) == ERR)
				continue;
			for (k = 0; k < CCHARW_MAX && wch[k]; k++) {
				char mb[MB_LEN_MAX];
				mbstate_t st;
				size_t m;

				memset(&st, 0, sizeof st);
				m = wcrtomb(mb, wch[k], &st);
				if (m == (size_t)-1) {
					mb[0] = '?';
					m = 1;
				}
				memcpy(line + n, mb, m);
				n += m;
			}
			if (wch[0] && wcwidth(wch[0]) == 2)
				x++;	/* the second cell of a wide character */
			if (!(wch[0] == L' ' && wch[1] == 0))
				keep = n;
		}
		fwrite(line, 1, keep, ui_dump_fp);
		fputc('\n', ui_dump_fp);
	}
	fflush(ui_dump_fp);
}
