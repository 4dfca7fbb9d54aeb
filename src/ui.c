/*
 * ui.c: the reader's event loop, prompt line and view stack (ui_view.h);
 * the terminal is ui_term.c's, drawing ui_draw.c's, the requests every view
 * answers ui_global.c's. One poll() over the terminal, the POP3 socket and
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

#include "ui_priv.h"

#define UI_KEY_EOF (-2)		/* the key script ended */
#define UI_KEY_SIG (-3)		/* SIGINT/SIGTERM/SIGHUP arrived */
#define UI_KEY_LEAVE (-4)	/* the end the reader waited for is over: leave */
#define SETTLE_MS 30000		/* headless: wait this long for the server at most */
#define END_WAIT_MS 1000	/* headless: and this long for an end (commit, QUIT), after
				   which the next key goes in while it runs, as one typed
				   during a slow QUIT */

int ui_sig_pipe[2] = { -1, -1 };
volatile sig_atomic_t ui_sig_caught;
volatile sig_atomic_t ui_child_running;

/* headless */
struct ui_step *ui_steps;
long ui_nsteps, ui_stepi;
FILE *ui_dump_fp;



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
		ui_draw(u);
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
	if (ui_sig_pipe[0] >= 0) {
		p[np].fd = ui_sig_pipe[0];
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

/* The terminal put back, and the timing file closed. */
static void
term_close(void)
{
	ui_term_end();
	if (times_fp)
		fclose(times_fp);
	times_fp = NULL;
}

static struct timespec end_t0;	/* headless: when the end under way began */
static int end_seen;

/* Waits for the next key, serving the network and redrawing meanwhile. */
static int
ui_getkey(struct ui *u)
{
	for (;;) {
		ui_end_check(u);
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
		if (ui_sig_caught)
			return UI_KEY_SIG;
		if (u->dirty)
			ui_draw(u);
		if (ui_steps) {
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
				fprintf(times_fp, "key %ld draw %.2f\n", ui_stepi - 1, times_ms(&times_key, &t0));
			times_stall = 0;
			while (!ui_mbox_settled(u->mb) && !ui_sig_caught) {
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
			if (ui_sig_caught)
				return UI_KEY_SIG;
			ui_end_check(u);
			take_notice(u);
			if (u->quit)
				return UI_KEY_LEAVE;
			if (u->dirty)
				ui_draw(u);
			if (times_fp && times_pending != 2) {
				clock_gettime(CLOCK_MONOTONIC, &t1);
				if (times_pending)
					fprintf(times_fp, "key %ld settled %.2f stall %.2f\n", ui_stepi - 1,
					    times_ms(&times_key, &t1), times_stall);
				else
					fprintf(times_fp, "settled %.2f stall %.2f\n", times_ms(&times_t0, &t1), times_stall);
				fflush(times_fp);
				times_pending = 2;
			}
			if (ui_stepi >= ui_nsteps)
				return UI_KEY_EOF;
			switch (ui_steps[ui_stepi].kind) {
			case UI_STEP_KEY:
				clock_gettime(CLOCK_MONOTONIC, &times_key);
				times_pending = 1;
				return ui_steps[ui_stepi++].key;
			case UI_STEP_DUMP:
				ui_dump_screen(u);
				break;
			case UI_STEP_RESIZE:
				resizeterm(ui_steps[ui_stepi].rows, ui_steps[ui_stepi].cols);
				u->dirty = 1;
				break;
			case UI_STEP_WAIT:
				break;
			case UI_STEP_SIGNAL:
				raise(ui_steps[ui_stepi].key);
				break;
			case UI_STEP_SLEEP: {
				struct timespec s0, s1;

				clock_gettime(CLOCK_MONOTONIC, &s0);
				do {
					net_step(u, 50);
					clock_gettime(CLOCK_MONOTONIC, &s1);
				} while ((s1.tv_sec - s0.tv_sec) * 1000 + (s1.tv_nsec - s0.tv_nsec) / 1000000 <
				    ui_steps[ui_stepi].key && !ui_sig_caught);
				break;
			}
			}
			ui_stepi++;
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
			ui_draw(u);
		/* the prompt line: the prompt, then the tail of what was typed */
		t = secret ? strdup("") : text_sanitize(b.p ? b.p : "", len, TEXT_ONELINE, NULL);
		pw = ui_put(u, LINES - 1, 0, COLS, prompt, A_BOLD, 0);
		shown = t ? t : strdup("");
		if (shown) {
			size_t sl = strlen(shown), off = 0;

			w = ui_width(shown, sl);
			while (w > COLS - pw - 1 && off < sl) {
				wchar_t wc;
				size_t k = ui_next_wc(shown + off, sl - off, &wc);

				w -= ui_wc_cols(wc);
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
	if (ui_sig_caught)
		return 1;
	if (u->dirty)
		ui_draw(u);
	if (ui_steps)
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
	ui_signals_setup();
	if (ui_term_start(&u) < 0) {
		term_close();
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
		term_close();
		fprintf(stderr, "pouch: out of memory\n");
		ui_mbox_free(u.mb);
		ui_keymap_free(u.km);
		return EXIT_POUCH_LOCAL;
	}
	if (!o->password && !o->offline) {
		char prompt[300];
		struct ui_mbox *nmb;

		snprintf(prompt, sizeof prompt, "Password for %s: ", o->account ? o->account : "");
		ui_draw(&u);
		if (ui_prompt(&u, prompt, NULL, 1, &password) < 0) {
			rc = ui_sig_caught ? EXIT_POUCH_CANCEL : EXIT_POUCH_AUTH;
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
	ui_draw(&u);
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
			while (ui_mbox_end_doing(u.mb) && !ui_sig_caught)
				net_step(&u, 100);
			ui_end_check(&u);
			break;
		}
		if (ui_hold_key(&u, key))
			continue;
		ui_dispatch(&u, key);
	}
	rc = u.exit_code;
out:
	if (ui_dump_fp && u.mb && u.top)
		ui_dump_screen(&u);
	while (u.top && u.top->below)
		ui_pop(&u);
	tick_ui = NULL;
	term_close();
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
	if (ui_sig_caught)
		rc = EXIT_POUCH_CANCEL;
	return rc;
}
