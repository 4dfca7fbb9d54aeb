/*
 * ui.c: the reader's event loop, terminal, drawing helpers, prompt line and
 * view stack (ui_view.h). One poll() over the terminal, the POP3 socket and
 * a signal self-pipe; nothing here blocks on the network: the login, the
 * commit and QUIT go on from that poll (ui_mbox.h), keys typed meanwhile
 * act or wait their turn (hold_key).
 *
 * Headless mode (--keys FILE): the keys come from a script (ui_req.h),
 * curses draws into a screen that goes to /dev/null, and @dump writes the
 * screen as text; before each key the loop waits until the server has
 * answered everything asked, so dumps are exact.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include <pouch/cli.h>
#include <pouch/conf.h>
#include <pouch/store.h>
#include <pouch/text.h>
#include <pouch/ui.h>
#include <pouch/ui_view.h>
#include <pouch/util.h>

#define UI_KEY_EOF (-2)		/* the key script ended */
#define UI_KEY_SIG (-3)		/* SIGINT/SIGTERM/SIGHUP arrived */
#define UI_KEY_LEAVE (-4)	/* the end the reader waited for is over: leave */
#define SETTLE_MS 30000		/* headless: wait this long for the server at most */
#define END_WAIT_MS 1000	/* headless: and this long for an end (commit, QUIT), after
				   which the next key goes in while it runs, as one typed
				   during a slow QUIT */

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t sig_caught;
static volatile sig_atomic_t child_running;	/* a viewer has the terminal */
static struct termios saved_tio;
static int saved_tio_ok;
static char crash_reset[64];
static size_t crash_reset_len;
static int curses_on;

/* headless */
static struct ui_step *steps;
static long nsteps, stepi;
static FILE *dump_fp;
static SCREEN *screen;
static FILE *null_out;

static void
on_signal(int sig)
{
	int e = errno;
	char c = (char)sig;

	/* Ctrl-C typed at a viewer or a piped command is theirs (as system()
	 * does); SIGTERM and SIGHUP still end pouch. */
	if (sig == SIGINT && child_running)
		return;
	sig_caught = sig;
	if (sig_pipe[1] >= 0)
		(void)!write(sig_pipe[1], &c, 1);
	errno = e;
}

/* A crash: put the terminal back (async-signal-safe calls only), then die
 * of the same signal so a core dump and the exit status stay right. */
static void
on_crash(int sig)
{
	if (saved_tio_ok)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	if (crash_reset_len)
		(void)!write(STDOUT_FILENO, crash_reset, crash_reset_len);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
signals_setup(void)
{
	struct sigaction sa;
	static const int crash[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	size_t i;

	if (pipe(sig_pipe) == 0) {
		fcntl(sig_pipe[0], F_SETFL, O_NONBLOCK);
		fcntl(sig_pipe[1], F_SETFL, O_NONBLOCK);
		fcntl(sig_pipe[0], F_SETFD, FD_CLOEXEC);
		fcntl(sig_pipe[1], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < sizeof crash / sizeof crash[0]; i++)
		sigaction(crash[i], &sa, NULL);
}

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

static void
colors_setup(const struct conf_account *ca)
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

static size_t
next_wc(const char *s, size_t len, wchar_t *wc)
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

static int
wc_cols(wchar_t wc)
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
		i += next_wc(s + i, len - i, &wc);
		w += wc_cols(wc);
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
		n = next_wc(s + i, len - i, &wc);
		cw = wc_cols(wc);
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
		size_t n = next_wc(s + i, len - i, &wc);
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
	const char *today = steps ? getenv("POUCH_TODAY") : NULL;

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
		k += next_wc(needle + k, nl - k, &nw[nn]);
		nw[nn] = towlower(nw[nn]);
		nn++;
	}
	if (nn == 0)
		return 0;
	for (i = 0; i < len;) {
		size_t j = i, m = 0;
		wchar_t wc;

		while (m < nn && j < len) {
			j += next_wc(hay + j, len - j, &wc);
			if ((wchar_t)towlower(wc) != nw[m])
				break;
			m++;
		}
		if (m == nn)
			return (long)i;
		i += next_wc(hay + i, len - i, &wc);
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

static void
draw(struct ui *u)
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

static void
dump_screen(struct ui *u)
{
	int y, x;

	if (u->dirty)
		draw(u);
	if (!dump_fp)
		return;
	fprintf(dump_fp, "=== %dx%d\n", COLS, LINES);
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
		fwrite(line, 1, keep, dump_fp);
		fputc('\n', dump_fp);
	}
	fflush(dump_fp);
}

/* ---- keys ---- */

static int
normalise_key(int r, wint_t wc)
{
	if (r == KEY_CODE_YES) {
		if (wc == KEY_ENTER)
			return '\n';
		return UI_KEY_FN + (int)wc;
	}
	if (wc == '\r')
		return '\n';
	if (wc == 127 || wc == 8)
		return UI_KEY_FN + KEY_BACKSPACE;
	return (int)wc;
}

/* Headless, with POUCH_HEADLESS_TIMES=FILE (for bench/ui/run), in ms from
 * the end of the login (the first call here): "screen", the index's first
 * screen of rows (server order, from the top) all with headers, drawn;
 * "settled", every header in, drawn; "key K draw", step K's key handled and
 * redrawn; "key K settled", the server's answers in too and redrawn. Both
 * "settled" lines give the longest the loop spent meanwhile between poll()
 * returning and the screen redrawn (how long a key would have waited).
 * The settle loop then draws when dirty, as the terminal's loop does.
 * "login" is the wall clock (seconds since the epoch) at the first call. */
static FILE *times_fp;
static struct timespec times_t0, times_key, times_polled;
static double times_stall;
static int times_on, times_screen, times_pending;

static double
times_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void
times_pass(struct ui *u)
{
	struct timespec now;
	size_t i, n = ui_mbox_count(u->mb), h = LINES > 3 ? (size_t)LINES - 3 : 0;

	if (u->dirty)
		draw(u);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (times_ms(&times_polled, &now) > times_stall)
		times_stall = times_ms(&times_polled, &now);
	for (i = 0; !times_screen && i < n && i < h; i++)
		if (ui_mbox_msg(u->mb, i)->hdr != UI_HDR_KNOWN && ui_mbox_msg(u->mb, i)->hdr != UI_HDR_FAILED)
			break;
	if (!times_screen && n && (i == n || i == h)) {
		times_screen = 1;
		fprintf(times_fp, "screen %.2f\n", times_ms(&times_t0, &now));
	}
}

/* The one poll of the reader: the terminal (when keys come from it), the
 * signal pipe and the POP3 connection, for at most wait_ms (-1: as long as
 * the connection allows). Returns poll's result; *fd gets the
 * connection's descriptor (-1: none). */
static int
poll_once(struct ui *u, int with_tty, int wait_ms, int *fd)
{
	struct pollfd p[3];
	int np = 0, t = ui_mbox_timeout(u->mb);

	*fd = ui_mbox_fd(u->mb);
	if (with_tty) {
		p[np].fd = STDIN_FILENO;
		p[np].events = POLLIN;
		np++;
	}
	if (sig_pipe[0] >= 0) {
		p[np].fd = sig_pipe[0];
		p[np].events = POLLIN;
		np++;
	}
	if (*fd >= 0) {
		p[np].fd = *fd;
		p[np].events = ui_mbox_events(u->mb);
		np++;
	}
	if (wait_ms >= 0 && (t < 0 || t > wait_ms))
		t = wait_ms;
	return poll(p, (nfds_t)np, t);
}

static void
net_step(struct ui *u, int wait_ms)
{
	int fd;

	(void)poll_once(u, 0, wait_ms, &fd);
	if (times_fp)
		clock_gettime(CLOCK_MONOTONIC, &times_polled);
	if (fd >= 0)
		ui_mbox_run(u->mb);
}

static void
take_notice(struct ui *u)
{
	char *n = ui_mbox_take_notice(u->mb);

	if (n) {
		ui_message(u, 0, "%s", n);
		free(n);
	}
}

static int
any_loading(struct ui *u)
{
	size_t i, n = ui_mbox_count(u->mb);

	for (i = 0; i < n; i++)
		if (ui_mbox_msg(u->mb, i)->body == UI_BODY_LOADING)
			return 1;
	return 0;
}

static void end_check(struct ui *u);
static struct timespec end_t0;	/* headless: when the end under way began */
static int end_seen;

/* Waits for the next key, serving the network and redrawing meanwhile. */
static int
ui_getkey(struct ui *u)
{
	for (;;) {
		end_check(u);
		if (u->quit || (u->quitting && !ui_mbox_end_doing(u->mb)))
			return UI_KEY_LEAVE;
		if (u->nheld && !ui_mbox_end_doing(u->mb) && !u->asking) {
			/* keys held while an end ran, in the order typed (to the
			 * views, never into a prompt opened meanwhile) */
			int key = u->held[0];

			memmove(u->held, u->held + 1, --u->nheld * sizeof u->held[0]);
			return key;
		}
		take_notice(u);
		if (sig_caught)
			return UI_KEY_SIG;
		if (u->dirty)
			draw(u);
		if (steps) {
			struct timespec t0, t1;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			if (!times_on++ && getenv("POUCH_HEADLESS_TIMES")) {
				struct timespec wall;

				times_fp = fopen(getenv("POUCH_HEADLESS_TIMES"), "w");
				times_t0 = t0;
				clock_gettime(CLOCK_REALTIME, &wall);
				if (times_fp)
					fprintf(times_fp, "login %lld.%09ld\n", (long long)wall.tv_sec, wall.tv_nsec);
			}
			if (times_fp && times_pending == 1)
				fprintf(times_fp, "key %ld draw %.2f\n", stepi - 1, times_ms(&times_key, &t0));
			times_stall = 0;
			while (!ui_mbox_settled(u->mb) && !sig_caught) {
				net_step(u, 100);
				take_notice(u);
				if (times_fp)
					times_pass(u);
				clock_gettime(CLOCK_MONOTONIC, &t1);
				if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 > SETTLE_MS)
					break;
				/* an end is waited for once, END_WAIT_MS from its start */
				if (!ui_mbox_end_doing(u->mb)) {
					end_seen = 0;
				} else if (!end_seen) {
					end_seen = 1;
					end_t0 = t1;
				} else if ((t1.tv_sec - end_t0.tv_sec) * 1000 +
				    (t1.tv_nsec - end_t0.tv_nsec) / 1000000 > END_WAIT_MS) {
					break;
				}
			}
			if (sig_caught)
				return UI_KEY_SIG;
			end_check(u);
			take_notice(u);
			if (u->quit)
				return UI_KEY_LEAVE;
			if (u->dirty)
				draw(u);
			if (times_fp && times_pending != 2) {
				clock_gettime(CLOCK_MONOTONIC, &t1);
				if (times_pending)
					fprintf(times_fp, "key %ld settled %.2f stall %.2f\n", stepi - 1,
					    times_ms(&times_key, &t1), times_stall);
				else
					fprintf(times_fp, "settled %.2f stall %.2f\n", times_ms(&times_t0, &t1), times_stall);
				fflush(times_fp);
				times_pending = 2;
			}
			if (stepi >= nsteps)
				return UI_KEY_EOF;
			switch (steps[stepi].kind) {
			case UI_STEP_KEY:
				clock_gettime(CLOCK_MONOTONIC, &times_key);
				times_pending = 1;
				return steps[stepi++].key;
			case UI_STEP_DUMP:
				dump_screen(u);
				break;
			case UI_STEP_RESIZE:
				resizeterm(steps[stepi].rows, steps[stepi].cols);
				u->dirty = 1;
				break;
			case UI_STEP_WAIT:
				break;
			case UI_STEP_SIGNAL:
				raise(steps[stepi].key);
				break;
			case UI_STEP_SLEEP: {
				struct timespec s0, s1;

				clock_gettime(CLOCK_MONOTONIC, &s0);
				do {
					net_step(u, 50);
					clock_gettime(CLOCK_MONOTONIC, &s1);
				} while ((s1.tv_sec - s0.tv_sec) * 1000 + (s1.tv_nsec - s0.tv_nsec) / 1000000 <
				    steps[stepi].key && !sig_caught);
				break;
			}
			}
			stepi++;
			continue;
		}
		{
			int fd;
			wint_t wc;
			int r;

			/* a download's progress redraws five times a second */
			if (poll_once(u, 1, any_loading(u) ? 200 : -1, &fd) < 0 && errno != EINTR)
				return UI_KEY_SIG;
			if (fd >= 0) {
				ui_mbox_run(u->mb);
				if (any_loading(u))
					u->dirty = 1;
			}
			r = get_wch(&wc);
			if (r == ERR)
				continue;
			if (r == KEY_CODE_YES && wc == KEY_RESIZE) {
				u->dirty = 1;
				continue;
			}
			return normalise_key(r, wc);
		}
	}
}

int
ui_prompt(struct ui *u, const char *prompt, const char *init, int secret, char **out)
{
	struct dbuf b;
	int key, rc = -1;

	*out = NULL;
	dbuf_init(&b, 4096);
	if (init)
		dbuf_adds(&b, init);
	u->asking++;
	for (;;) {
		char *shown, *t;
		size_t len = b.len;
		int w, pw;

		if (u->dirty)
			draw(u);
		/* the prompt line: the prompt, then the tail of what was typed */
		t = secret ? strdup("") : text_sanitize(b.p ? b.p : "", len, TEXT_ONELINE, NULL);
		pw = ui_put(u, LINES - 1, 0, COLS, prompt, A_BOLD, 0);
		shown = t ? t : strdup("");
		if (shown) {
			size_t sl = strlen(shown), off = 0;

			w = ui_width(shown, sl);
			while (w > COLS - pw - 1 && off < sl) {
				wchar_t wc;
				size_t k = next_wc(shown + off, sl - off, &wc);

				w -= wc_cols(wc);
				off += k;
			}
			ui_put(u, LINES - 1, pw, COLS - pw, shown + off, A_NORMAL, 1);
			move(LINES - 1, pw + w < COLS ? pw + w : COLS - 1);
		}
		free(shown);
		curs_set(1);
		refresh();
		key = ui_getkey(u);
		curs_set(0);
		if (key == '\n') {
			*out = b.p ? dbuf_take(&b, NULL) : strdup("");
			rc = *out ? 0 : -1;
			break;
		}
		if (key == 27 || key == 3 || key == UI_KEY_EOF || key == UI_KEY_SIG ||
		    key == UI_KEY_LEAVE)
			break;
		if (key == UI_KEY_FN + KEY_BACKSPACE) {
			while (b.len > 0 && ((unsigned char)b.p[b.len - 1] & 0xc0) == 0x80)
				b.len--;
			if (b.len > 0)
				b.len--;
			continue;
		}
		if (key == 21) {	/* C-u: kill the line */
			b.len = 0;
			continue;
		}
		if (key >= 0x20 && key < UI_KEY_FN && key != 0x7f) {
			char mb[MB_LEN_MAX];
			mbstate_t st;
			size_t m;

			memset(&st, 0, sizeof st);
			m = wcrtomb(mb, (wchar_t)key, &st);
			if (m != (size_t)-1 && dbuf_add(&b, mb, m) < 0)
				break;
		}
	}
	u->asking--;
	if (secret && b.p)
		memset(b.p, 0, b.cap);
	dbuf_free(&b);
	u->msg[0] = 0;
	u->dirty = 1;
	return rc;
}

int
ui_ask(struct ui *u, const char *question)
{
	int key;

	ui_message(u, 0, "%s", question);
	u->asking++;
	key = ui_getkey(u);
	u->asking--;
	u->msg[0] = 0;
	u->dirty = 1;
	if (key < 0 || key == 27 || key == 3)
		return -1;
	if (key >= 'A' && key <= 'Z')
		key += 'a' - 'A';
	return key;
}

int
ui_run_external(struct ui *u, char *const argv[], const char *data, size_t len,
    int wait, char **output, size_t *outlen)
{
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, status = -1;
	pid_t pid;
	struct dbuf ob;

	dbuf_init(&ob, 64 * 1024 * 1024);
	if (output)
		*output = NULL;
	/* Headless: the command runs with no terminal (its output, unless
	 * captured, goes to /dev/null) and no key is waited for. */
	if (steps)
		wait = 0;
	if ((data && pipe(in) < 0) || (output && pipe(outp) < 0)) {
		ui_message(u, 1, "pipe: %s", strerror(errno));
		return -1;
	}
	if (!output && !steps) {
		def_prog_mode();
		endwin();
	}
	pid = fork();
	if (pid == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_DFL;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGPIPE, &sa, NULL);
		/* the viewer gets no descriptor of pouch's but 0, 1, 2: not the
		 * POP3 connection, not libcurl's sockets, not the dump file */
		if (data) {
			dup2(in[0], STDIN_FILENO);
			close(in[0]);
			close(in[1]);
		}
		if (output) {
			dup2(outp[1], STDOUT_FILENO);
			dup2(open("/dev/null", O_WRONLY), STDERR_FILENO);
			close(outp[0]);
			close(outp[1]);
		} else if (steps) {
			int null = open("/dev/null", O_RDWR);

			if (!data)
				dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		{
			int fd, maxfd = (int)sysconf(_SC_OPEN_MAX);

			if (maxfd < 0 || maxfd > 65536)
				maxfd = 65536;
			for (fd = 3; fd < maxfd; fd++)
				close(fd);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "pouch: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (data)
		close(in[0]);
	if (output)
		close(outp[1]);
	if (pid > 0) {
		size_t off = 0;

		child_running = 1;

		/* Feed and drain together, so neither side blocks on a full pipe. */
		while ((data && in[1] >= 0) || (output && outp[0] >= 0)) {
			struct pollfd p[2];
			int np = 0;

			if (data && in[1] >= 0) {
				p[np].fd = in[1];
				p[np].events = POLLOUT;
				np++;
			}
			if (output && outp[0] >= 0) {
				p[np].fd = outp[0];
				p[np].events = POLLIN;
				np++;
			}
			if (poll(p, (nfds_t)np, -1) < 0 && errno != EINTR)
				break;
			if (data && in[1] >= 0) {
				ssize_t w = off < len ? write(in[1], data + off, len - off < 65536 ? len - off : 65536) : 0;

				if (w > 0)
					off += (size_t)w;
				if (off >= len || (w < 0 && errno != EINTR && errno != EAGAIN)) {
					close(in[1]);
					in[1] = -1;
				}
			}
			if (output && outp[0] >= 0) {
				char buf[8192];
				ssize_t r = read(outp[0], buf, sizeof buf);

				if (r > 0) {
					if (dbuf_add(&ob, buf, (size_t)r) < 0) {
						close(outp[0]);
						outp[0] = -1;
					}
				} else if (r == 0 || errno != EINTR) {
					close(outp[0]);
					outp[0] = -1;
				}
			}
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		child_running = 0;
	} else {
		ui_message(u, 1, "fork: %s", strerror(errno));
	}
	if (in[1] >= 0)
		close(in[1]);
	if (outp[0] >= 0)
		close(outp[0]);
	if (!output && !steps) {
		if (wait && pid > 0) {
			/* the command's output stays on screen until a key */
			struct termios t, raw;
			char c;

			fputs("\n[press a key to return to pouch]", stdout);
			fflush(stdout);
			if (tcgetattr(STDIN_FILENO, &t) == 0) {
				raw = t;
				raw.c_lflag &= (tcflag_t)~(ICANON | ECHO);
				raw.c_cc[VMIN] = 1;
				raw.c_cc[VTIME] = 0;
				tcsetattr(STDIN_FILENO, TCSANOW, &raw);
				while (read(STDIN_FILENO, &c, 1) < 0 && errno == EINTR && !sig_caught)
					;
				tcsetattr(STDIN_FILENO, TCSANOW, &t);
			}
		}
		reset_prog_mode();
		clearok(stdscr, TRUE);
	} else if (output) {
		*output = dbuf_take(&ob, outlen);
	}
	dbuf_free(&ob);
	u->dirty = 1;
	if (pid < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int
ui_clipboard(struct ui *u, const char *text)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(text), i, o = 0;
	char *seq;

	(void)u;
	if (steps)
		return -1;	/* headless: there is no terminal to tell */
	/* OSC 52 ; c ; base64 BEL: every byte of the sequence is pouch's
	 * (the text only travels base64-encoded) */
	seq = malloc(len / 3 * 4 + 16);
	if (!seq)
		return -1;
	memcpy(seq, "\033]52;c;", 7);
	o = 7;
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned char)text[i] << 16 | (unsigned char)text[i + 1] << 8 | (unsigned char)text[i + 2];

		seq[o++] = b64[v >> 18];
		seq[o++] = b64[(v >> 12) & 63];
		seq[o++] = b64[(v >> 6) & 63];
		seq[o++] = b64[v & 63];
	}
	if (i < len) {
		unsigned v = (unsigned char)text[i] << 16 | (i + 1 < len ? (unsigned char)text[i + 1] << 8 : 0);

		seq[o++] = b64[v >> 18];
		seq[o++] = b64[(v >> 12) & 63];
		seq[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		seq[o++] = '=';
	}
	seq[o++] = '\a';
	fflush(stdout);
	(void)!write(STDOUT_FILENO, seq, o);
	free(seq);
	return 0;
}

int
ui_list_move(size_t *cur, size_t n, enum ui_req r)
{
	switch (r) {
	case REQ_DOWN: if (*cur + 1 < n) (*cur)++; return 1;
	case REQ_UP: if (*cur > 0) (*cur)--; return 1;
	case REQ_PGDN: *cur = *cur + 10 < n ? *cur + 10 : n ? n - 1 : 0; return 1;
	case REQ_PGUP: *cur = *cur > 10 ? *cur - 10 : 0; return 1;
	case REQ_HOME: *cur = 0; return 1;
	case REQ_END: *cur = n ? n - 1 : 0; return 1;
	default: return 0;
	}
}

void
ui_leave_loading(struct ui *u, size_t row)
{
	struct ui_msg *m = ui_mbox_msg(u->mb, row);

	if (m && m->body == UI_BODY_LOADING) {
		ui_mbox_cancel(u->mb, row);
		ui_message(u, 0, "Download cancelled; the session goes on");
	}
	ui_pop(u);
}

/* ---- the view stack ---- */

void
ui_push(struct ui *u, struct view *v)
{
	if (!v)
		return;
	v->below = u->top;
	u->top = v;
	u->dirty = 1;
}

void
ui_pop(struct ui *u)
{
	struct view *v = u->top;

	if (!v || !v->below)
		return;
	u->top = v->below;
	v->ops->close(v);
	u->dirty = 1;
}

struct view *
ui_view_index(struct ui *u)
{
	struct view *v = u->top;

	while (v->below)
		v = v->below;
	return v;
}

/* ---- requests every view answers ---- */

/* Leaving: the session's end (QUIT, after RSET of any DELE typed at the
 * prompt) goes on from the loop; the reader leaves when it is over. */
static void
quit_close(struct ui *u)
{
	ui_mbox_close(u->mb);
	u->quitting = 1;
}

static void
quit_ask(struct ui *u)
{
	size_t marked = ui_mbox_marked(u->mb);
	int k;

	if (marked == 0) {
		quit_close(u);
		return;
	}
	{
		char q[128];

		snprintf(q, sizeof q, "Delete %zu marked message%s from the server? ([y]es/no/cancel) ",
		    marked, marked == 1 ? "" : "s");
		k = ui_ask(u, q);
	}
	if (k == 'c' || k < 0 || k == 27) {
		ui_message(u, 0, "Not quitting");
		return;
	}
	if (k == 'n') {
		quit_close(u);
		return;
	}
	if (k != 'y' && k != '\n') {
		ui_message(u, 0, "Not quitting");
		return;
	}
	if (ui_mbox_commit(u->mb) < 0) {
		ui_message(u, 1, "Commit failed: %s. Not quitting.", ui_mbox_error(u->mb));
		return;
	}
	/* the commit goes on from the loop; end_check quits once it is over */
	u->quitting = 2;
	ui_message(u, 0, "%s", ui_mbox_end_doing(u->mb) ? ui_mbox_end_doing(u->mb) : "");
}

static void
commit_now(struct ui *u)
{
	size_t marked = ui_mbox_marked(u->mb);

	if (marked == 0) {
		ui_message(u, 0, "No messages are marked for deletion");
		return;
	}
	/* the commit, then a new session (the loop runs both) */
	if (ui_mbox_commit(u->mb) < 0 || ui_mbox_connect(u->mb) < 0) {
		ui_message(u, 1, "Commit failed: %s", ui_mbox_error(u->mb));
		return;
	}
	ui_message(u, 0, "%s", ui_mbox_end_doing(u->mb) ? ui_mbox_end_doing(u->mb) : "");
}

/* An end (commit or close) is over: say what it did, and leave when that
 * was the way out. */
static void
end_check(struct ui *u)
{
	struct ui_end_result r;
	enum ui_end st = ui_mbox_end_state(u->mb, &r);

	if (st == UI_END_NONE || st == UI_END_RUNNING)
		return;
	ui_mbox_end_take(u->mb);
	u->dirty = 1;
	if (st == UI_END_FAILED) {
		ui_message(u, 1, "Commit failed: %s%s", ui_mbox_error(u->mb),
		    u->quitting == 2 ? ". Not quitting." : "");
		if (u->quitting == 2)
			u->quitting = 0;
	} else if (r.commit) {
		ui_message(u, 0, "Deleted %zu message%s (DELE, then QUIT)%s", r.deleted,
		    r.deleted == 1 ? "" : "s", u->quitting ? "" : "; reconnecting");
	}
	if (u->quitting) {
		u->quit = 1;
		u->nheld = 0;
	}
}

/* While an end runs, the keys that need the session or change the marks
 * wait for it (held, then replayed in order); moving and reading go on;
 * Esc or Ctrl-C gives the end up (nothing deleted unless the server was
 * already asked). Returns 1 when the key was taken here. */
static int
hold_key(struct ui *u, int key)
{
	enum ui_req r;

	if (!ui_mbox_end_doing(u->mb))
		return 0;
	if (key == 27 || key == 3) {
		int asked = ui_mbox_abandon(u->mb);

		end_check(u);
		if (!asked && u->quitting == 1)
			u->quit = 1;	/* leaving anyway: nothing was to be deleted */
		ui_message(u, 1, "%s", ui_mbox_error(u->mb));
		u->nheld = 0;
		return 1;
	}
	r = ui_keymap_get(u->km, u->top->ops->mask, key);
	switch (r) {
	case REQ_DELETE: case REQ_UNDELETE: case REQ_COMMIT: case REQ_PROMPT:
	case REQ_QUIT: case REQ_ABORT: case REQ_CHECK: case REQ_INTERRUPT:
		if (u->nheld < sizeof u->held / sizeof u->held[0])
			u->held[u->nheld++] = key;
		ui_message(u, 0, "Key held until the session's end is over (Esc: give up)");
		return 1;
	default:
		return 0;
	}
}

static void
pop3_prompt(struct ui *u)
{
	char *line = NULL, *msg = NULL;
	int rc;

	if (ui_prompt(u, ":", NULL, 0, &line) < 0)
		return;
	{
		char *p = line;

		while (*p == ' ')
			p++;
		if (strncasecmp(p, "QUIT", 4) == 0 && (p[4] == 0 || p[4] == ' ')) {
			free(line);
			quit_ask(u);
			return;
		}
	}
	rc = ui_mbox_command(u->mb, line, &msg);
	if (rc == 0) {
		u->proto = 1;
		u->proto_scroll = 0;
		ui_message(u, 0, ":%s", line);
	} else if (rc == 1 && msg && strchr(msg, '\n')) {
		ui_push(u, view_pager_text(u, "POP3 help", msg, strlen(msg)));
		msg = NULL;
	} else if (msg && *msg) {
		ui_message(u, rc < 0, "%s", msg);
	}
	free(msg);
	free(line);
}

static void
global_request(struct ui *u, enum ui_req r)
{
	switch (r) {
	case REQ_PROTOCOL:
		u->proto = !u->proto;
		u->proto_scroll = 0;
		u->dirty = 1;
		break;
	case REQ_PROTO_UP:
		u->proto = 1;
		u->proto_scroll += 5;
		u->dirty = 1;
		break;
	case REQ_PROTO_DOWN:
		u->proto_scroll = u->proto_scroll > 5 ? u->proto_scroll - 5 : 0;
		u->dirty = 1;
		break;
	case REQ_PROMPT:
		pop3_prompt(u);
		break;
	case REQ_INFO: {
		char *t = ui_mbox_info(u->mb);

		if (t)
			ui_push(u, view_pager_text(u, "Server information", t, strlen(t)));
		break;
	}
	case REQ_HELP:
	case REQ_HELP_PAGER:
		ui_push(u, view_help_new(u, u->top->ops->mask));
		break;
	case REQ_REDRAW:
		clearok(stdscr, TRUE);
		u->dirty = 1;
		break;
	case REQ_BACK:
		/* every view but the index goes back the same way */
		ui_pop(u);
		break;
	case REQ_QUIT:
		quit_ask(u);
		break;
	case REQ_ABORT:
		quit_close(u);
		break;
	case REQ_COMMIT:
		commit_now(u);
		break;
	case REQ_INTERRUPT: {
		/* Ctrl-C with nothing to cancel: leave, deleting nothing, once
		 * asked (as mutt asks); a SIGINT from elsewhere does not ask. */
		int k = ui_ask(u, "Quit pouch, deleting nothing? ([y]es/no) ");

		if (k != 'y' && k != '\n' && k != 3) {
			ui_message(u, 0, "Not quitting");
			break;
		}
		quit_close(u);
		u->exit_code = EXIT_POUCH_CANCEL;
		break;
	}
	case REQ_SUSPEND:
		if (steps)
			break;
		def_prog_mode();
		endwin();
		raise(SIGTSTP);
		reset_prog_mode();
		clearok(stdscr, TRUE);
		u->dirty = 1;
		break;
	default:
		ui_message(u, 0, "Key not bound here (? or F1: help)");
		break;
	}
}

static void
dispatch(struct ui *u, int key)
{
	enum ui_req r = ui_keymap_get(u->km, u->top->ops->mask, key);

	if (r == REQ_NONE) {
		char name[24];

		ui_key_name(key, name, sizeof name);
		ui_message(u, 0, "Key %s is not bound here (? or F1: help)", name);
		return;
	}
	if (r != REQ_SEARCH && r != REQ_SEARCH_NEXT)
		u->msg[0] = 0;
	u->dirty = 1;
	u->key = key;
	if (u->top->ops->request(u, u->top, r))
		return;
	global_request(u, r);
}

/* ---- the login ---- */

static struct ui *tick_ui;

/* pop3's tick, should a pop3 call ever block (the reader makes none that
 * do: a safety net): every 100 ms at most. It may draw and read keys; it
 * must not call into ui_mbox (the session is inside a call). Nonzero
 * cancels the call. */
static int
login_tick(void *ctx)
{
	struct ui *u = tick_ui;
	wint_t wc;
	int r;

	(void)ctx;
	if (!u)
		return 0;
	if (sig_caught)
		return 1;
	if (u->dirty)
		draw(u);
	if (steps)
		return 0;
	r = get_wch(&wc);
	if (r == KEY_CODE_YES && wc == KEY_RESIZE) {
		u->dirty = 1;
		return 0;
	}
	if (r != ERR && (wc == 3 || wc == 27)) {
		ui_message(u, 1, "Cancelled");
		return 1;
	}
	return 0;
}

static void
on_changed(void *ctx)
{
	struct ui *u = ctx;

	u->dirty = 1;
}

static int
load_script(const char *path, char **err)
{
	FILE *fp = fopen(path, "rb");
	struct dbuf b;
	char buf[8192];
	size_t n;
	long rc;

	if (!fp) {
		*err = str_printf("%s: %s", path, strerror(errno));
		return -1;
	}
	dbuf_init(&b, 4 * 1024 * 1024);
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		if (dbuf_add(&b, buf, n) < 0) {
			fclose(fp);
			*err = str_printf("%s: too large", path);
			return -1;
		}
	fclose(fp);
	rc = ui_script_parse(b.p ? b.p : "", b.len, &steps, err);
	dbuf_free(&b);
	if (rc < 0) {
		char *e = str_printf("%s: %s", path, *err);

		free(*err);
		*err = e;
		return -1;
	}
	nsteps = rc;
	return 0;
}

static int
term_start(struct ui *u)
{
	if (u->o->keys_file) {
		char *err = NULL;

		if (load_script(u->o->keys_file, &err) < 0) {
			fprintf(stderr, "pouch: %s\n", err ? err : "out of memory");
			free(err);
			return -1;
		}
		dump_fp = u->o->dump_file ? fopen(u->o->dump_file, "w") : NULL;
		if (u->o->dump_file && !dump_fp) {
			fprintf(stderr, "pouch: %s: %s\n", u->o->dump_file, strerror(errno));
			return -1;
		}
		null_out = fopen("/dev/null", "w");
		screen = null_out ? newterm("xterm", null_out, stdin) : NULL;
		if (!screen) {
			fprintf(stderr, "pouch: cannot start the headless screen (terminfo for xterm?)\n");
			return -1;
		}
		set_term(screen);
		resizeterm(u->o->rows > 0 ? u->o->rows : 24, u->o->cols > 0 ? u->o->cols : 80);
	} else {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			fprintf(stderr, "pouch: the reader needs a terminal (give a COMMAND for the command line)\n");
			return -1;
		}
		if (tcgetattr(STDIN_FILENO, &saved_tio) == 0)
			saved_tio_ok = 1;
		screen = newterm(NULL, stdout, stdin);
		if (!screen) {
			fprintf(stderr, "pouch: cannot use the terminal (TERM=%s)\n",
			    getenv("TERM") ? getenv("TERM") : "");
			return -1;
		}
		set_term(screen);
		{
			/* What the crash handler writes: leave the alternate
			 * screen, show the cursor, reset attributes. */
			const char *parts[] = { tigetstr("rmcup"), tigetstr("cnorm"), tigetstr("sgr0") };
			size_t i;

			for (i = 0; i < 3; i++)
				if (parts[i] && parts[i] != (char *)-1 &&
				    crash_reset_len + strlen(parts[i]) < sizeof crash_reset) {
					memcpy(crash_reset + crash_reset_len, parts[i], strlen(parts[i]));
					crash_reset_len += strlen(parts[i]);
				}
		}
	}
	curses_on = 1;
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(50);
	curs_set(0);
	colors_setup(u->o->conf);
	return 0;
}

static void
term_end(void)
{
	if (curses_on) {
		endwin();
		curses_on = 0;
	}
	if (screen) {
		delscreen(screen);
		screen = NULL;
	}
	if (null_out) {
		fclose(null_out);
		null_out = NULL;
	}
	if (dump_fp) {
		fclose(dump_fp);
		dump_fp = NULL;
	}
	free(steps);
	steps = NULL;
	nsteps = stepi = 0;
	if (times_fp)
		fclose(times_fp);
	times_fp = NULL;
}

int
ui_main(const struct ui_opts *o)
{
	struct ui u;
	struct ui_mbox_cfg mc;
	char *password = NULL, *store_msg = NULL;
	struct store *store = NULL;
	int rc = 0, key;

	memset(&u, 0, sizeof u);
	u.o = o;
	u.exit_code = 0;
	u.download_dir = o->conf ? conf_get(o->conf, "download_dir") : NULL;
	u.browser = o->conf ? conf_get(o->conf, "browser") : NULL;
	if (!setlocale(LC_CTYPE, "") || strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");	/* the reader draws UTF-8 */
	u.km = ui_keymap_new();
	if (!u.km) {
		fprintf(stderr, "pouch: out of memory\n");
		return EXIT_POUCH_LOCAL;
	}
	if (o->conf) {
		const struct conf_bind *b;
		size_t nb = conf_binds(o->conf, &b);
		char *err = NULL;

		if (ui_keymap_conf(u.km, b, nb, &err) < 0) {
			fprintf(stderr, "pouch: %s\n", err ? err : "out of memory");
			free(err);
			ui_keymap_free(u.km);
			return EXIT_POUCH_USAGE;
		}
	}
	signals_setup();
	if (term_start(&u) < 0) {
		term_end();
		ui_keymap_free(u.km);
		return EXIT_POUCH_USAGE;
	}
	if (o->store_dir) {
		pid_t locker = 0;
		char *err = NULL;

		/* writable when free; read-only when another pouch holds it */
		if (store_open(o->store_dir, STORE_OPEN_TRY, &store, &locker, &err) != STORE_OK) {
			store_msg = str_printf("The local store %s could not be opened: %s",
			    o->store_dir, err ? err : "");
			store = NULL;
		} else if (store_readonly(store)) {
			snprintf(u.status_note, sizeof u.status_note, "store read-only (PID %ld)",
			    (long)store_lock_pid(store));
			store_msg = str_printf("The local store is in use by another pouch (PID %ld): "
			    "read-only, nothing is stored and nothing deleted", (long)store_lock_pid(store));
		} else if (store_diag(store, 0)) {
			store_msg = str_printf("%s", store_diag(store, 0));
		}
		free(err);
	}
	memset(&mc, 0, sizeof mc);
	mc.pop3 = o->pop3;
	mc.store = store;
	mc.offline = o->offline;
	mc.pop3.tick = login_tick;
	mc.account = o->last_account;
	mc.state_dir = o->state_dir;
	mc.state_dir_shared = o->state_dir_shared;
	mc.changed = on_changed;
	mc.ctx = &u;
	u.top = NULL;
	tick_ui = &u;
	u.mb = NULL;

	/* The index first, so the password prompt has a screen under it. */
	{
		struct ui_mbox_cfg tmp = mc;

		tmp.password = o->password;
		u.mb = ui_mbox_new(&tmp);
	}
	u.top = u.mb ? view_index_new(&u) : NULL;
	if (!u.mb || !u.top) {
		term_end();
		fprintf(stderr, "pouch: out of memory\n");
		ui_mbox_free(u.mb);
		ui_keymap_free(u.km);
		return EXIT_POUCH_LOCAL;
	}
	if (!o->password && !o->offline) {
		char prompt[300];
		struct ui_mbox *nmb;

		snprintf(prompt, sizeof prompt, "Password for %s: ", o->account ? o->account : "");
		draw(&u);
		if (ui_prompt(&u, prompt, NULL, 1, &password) < 0) {
			rc = sig_caught ? EXIT_POUCH_CANCEL : EXIT_POUCH_AUTH;
			goto out;
		}
		mc.password = password;
		nmb = ui_mbox_new(&mc);
		str_wipe_free(password);
		password = NULL;
		if (!nmb) {
			rc = EXIT_POUCH_LOCAL;
			goto out;
		}
		ui_mbox_free(u.mb);
		u.mb = nmb;
	}
	ui_message(&u, 0, "Connecting to %s...", o->pop3.url ? o->pop3.url : "");
	if (o->read_state) {
		/* an earlier version's read-state file: into the store */
		long k = ui_mbox_read_migrate(u.mb, o->read_state);

		if (k < 0)
			ui_message(&u, 1, "%s", ui_mbox_error(u.mb));
		else if (k > 0 && store && !store_readonly(store))
			ui_message(&u, 0, "%ld read flag%s moved into the local store (%s.migrated)",
			    k, k == 1 ? "" : "s", o->read_state);
	}
	draw(&u);
	/* The login goes on in the loop below; its outcome is a notice. */
	if (o->offline)
		ui_message(&u, 0, "Offline: %zu messages in the local store", ui_mbox_count(u.mb));
	else if (ui_mbox_connect(u.mb) < 0)
		ui_message(&u, 1, "%s (r: try again, q: quit)", ui_mbox_error(u.mb));
	if (store_msg)
		ui_message(&u, !store || store_readonly(store), "%s", store_msg);
	while (!u.quit) {
		key = ui_getkey(&u);
		if (key == UI_KEY_LEAVE) {
			u.quit = 1;
			break;
		}
		if (key == UI_KEY_SIG) {
			/* SIGINT, SIGTERM, SIGHUP: restore the terminal, delete
			 * nothing (ui_mbox_free closes without QUIT). */
			rc = EXIT_POUCH_CANCEL;
			goto out;
		}
		if (key == UI_KEY_EOF) {
			/* the key script ended: as x, nothing deleted; the end
			 * (or the commit under way) is waited for */
			if (!ui_mbox_end_doing(u.mb))
				ui_mbox_close(u.mb);
			while (ui_mbox_end_doing(u.mb) && !sig_caught)
				net_step(&u, 100);
			end_check(&u);
			break;
		}
		if (hold_key(&u, key))
			continue;
		dispatch(&u, key);
	}
	rc = u.exit_code;
out:
	if (dump_fp && u.mb && u.top)
		dump_screen(&u);
	while (u.top && u.top->below)
		ui_pop(&u);
	tick_ui = NULL;
	term_end();
	if (u.top)
		u.top->ops->close(u.top);
	if (u.mb) {
		size_t marked = ui_mbox_marked(u.mb);

		if (marked)
			fprintf(stderr, "pouch: %zu message%s marked for deletion stay%s on the server\n",
			    marked, marked == 1 ? "" : "s", marked == 1 ? "s" : "");
	}
	ui_mbox_free(u.mb);
	if (store) {
		char *err = NULL;

		if (store_close(store, &err) != STORE_OK)
			fprintf(stderr, "pouch: closing the local store: %s\n", err ? err : "");
		free(err);
	}
	free(store_msg);
	ui_keymap_free(u.km);
	str_wipe_free(password);
	if (sig_caught)
		rc = EXIT_POUCH_CANCEL;
	return rc;
}
