/*
 * ui_view.h: what the reader's views share: the screen layout, the drawing
 * helpers (every string passes through them, and they draw only sanitised
 * UTF-8 laid out by wcwidth), the prompt line, and the view stack. Each
 * view is a constant table of functions plus its private state (as tig's).
 *
 * Who may include it: src/ui*.c and src/view_*.c only.
 */
#ifndef POUCH_UI_VIEW_H
#define POUCH_UI_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include <curses.h>

#include <pouch/ui.h>
#include <pouch/ui_mbox.h>
#include <pouch/ui_req.h>

struct ui;
struct view;

struct view_ops {
	const char *name;
	unsigned mask;			/* UIV_ bit: which bindings apply */
	/* Draws rows [top, top + height) of the screen, full width. */
	void (*draw)(struct ui *u, struct view *v, int top, int height);
	/* Handles a request; returns 1 when it did. */
	int (*request)(struct ui *u, struct view *v, enum ui_req r);
	/* The key hints of the top line. */
	const char *hints;
	/* The status line's right part for this view, into out. */
	void (*status)(struct ui *u, struct view *v, char *out, size_t outlen);
	void (*close)(struct view *v);
};

struct view {
	const struct view_ops *ops;
	void *priv;
	struct view *below;		/* the view to return to */
};

/* Colour pairs and their monochrome attributes (ui.c sets them up). */
enum ui_color {
	UIC_NORMAL, UIC_BAR, UIC_STATUS, UIC_SELECTED, UIC_NEW, UIC_DELETED,
	UIC_HDRNAME, UIC_QUOTE1, UIC_QUOTE2, UIC_QUOTE3, UIC_SIG, UIC_ATTACH,
	UIC_SEARCH, UIC_ERROR, UIC_PROTO_C, UIC_PROTO_S, UIC_TREE, UIC_COUNT
};

struct ui {
	const struct ui_opts *o;
	struct ui_mbox *mb;
	struct ui_keymap *km;
	struct view *top;		/* the view on screen */
	int cols, rows;
	int dirty;
	int quit;			/* leave the main loop */
	int quitting;			/* leave once the end is over: 1 a close, 2 a commit */
	int held[16];			/* keys typed while an end ran (ui.c) */
	size_t nheld;
	int asking;			/* inside ui_prompt or ui_ask: held keys wait */
	char status_note[64];		/* on the status line: the store is read-only */
	int exit_code;
	int proto;			/* the protocol pane is shown */
	long proto_scroll;		/* lines back from the end */
	char msg[512];			/* the message line (sanitised) */
	int msg_error;
	char last_search[256];
	const char *download_dir;
	const char *browser;
	int key;			/* the key of the request being answered */
};

/* ---- drawing (ui.c) ---- */
unsigned long ui_attr(struct ui *u, enum ui_color c);
/* Draws UTF-8 text (sanitised already) at (y, x) in at most w columns,
 * padding with spaces to w when pad is set; returns the columns used. */
int ui_put(struct ui *u, int y, int x, int w, const char *s, unsigned long attr, int pad);
/* Columns the UTF-8 string needs (wcwidth; a non-printable counts 1). */
int ui_width(const char *s, size_t len);
/* Bytes of s that fit in w columns (never cutting a character). */
size_t ui_fit(const char *s, size_t len, int w, int *used);
void ui_clear_rows(struct ui *u, int top, int height);

/* ---- the message line and prompts (ui.c) ---- */
void ui_message(struct ui *u, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reads a line on the last row (echo off when secret); 0 with *out
 * (malloc'd), or -1 when cancelled (Esc, Ctrl-C). init may be NULL. */
int ui_prompt(struct ui *u, const char *prompt, const char *init, int secret, char **out);
/* Asks a one-key question; returns the key (lower-cased ASCII), or -1. */
int ui_ask(struct ui *u, const char *question);
/* Runs a command with curses suspended (argv, no shell), with stdin from
 * data when not NULL; waits for a key when wait is set. Returns the exit
 * status, or -1 with the message line set. */
int ui_run_external(struct ui *u, char *const argv[], const char *data, size_t len,
    int wait, char **output, size_t *outlen);

/* Puts text (printable ASCII: a URL) on the terminal's clipboard with
 * OSC 52, which xterm, kitty, foot, iTerm2, WezTerm and tmux (set-clipboard)
 * understand, also over ssh. 0 when sent, -1 when there is no terminal
 * (headless mode) or no memory. */
int ui_clipboard(struct ui *u, const char *text);

/* Moves a list's cursor for DOWN, UP, PGDN, PGUP, HOME, END; 1 when r
 * was one of them. */
int ui_list_move(size_t *cur, size_t n, enum ui_req r);
/* Leaves a view still waiting for row's download (q, Esc, Ctrl-C): the
 * download is given up (ui_mbox_cancel) and the view popped. */
void ui_leave_loading(struct ui *u, size_t row);

/* ---- the view stack (ui.c) ---- */
void ui_push(struct ui *u, struct view *v);
void ui_pop(struct ui *u);
struct view *ui_view_index(struct ui *u);	/* the bottom view */

/* ---- the views (view_*.c) ---- */
struct view *view_index_new(struct ui *u);
/* The index's current row (a mailbox row), or -1. */
long view_index_current(struct view *v);
/* Moves the index to the next/previous visible row of mailbox row i;
 * returns the new row, or -1 at the end. */
long view_index_step(struct view *v, long row, int dir);
struct view *view_pager_new(struct ui *u, size_t row);
/* A pager over a text of its own (help, a part, :help). text is taken. */
struct view *view_pager_text(struct ui *u, const char *title, char *text, size_t len);
struct view *view_attach_new(struct ui *u, size_t row);
struct view *view_help_new(struct ui *u, unsigned view_mask);
struct view *view_urls_new(struct ui *u, const char *text, size_t len);
/* The protocol pane, drawn under the view when u->proto is set. */
void view_proto_draw(struct ui *u, int top, int height);

/* ---- small helpers shared by the views (ui.c) ---- */
/* "717", "3.5K", "20M" */
void ui_human_size(unsigned long long n, char *out, size_t outlen);
/* A date as the index shows it: time of day today, "Nov 03" this year,
 * else "2024-11-03"; "" when unknown. */
void ui_short_date(int has, int64_t utc, char *out, size_t outlen);
/* Case-insensitive substring search over UTF-8 (ASCII and Latin/Cyrillic
 * letters folded by towlower); returns the byte offset or -1. */
long ui_search(const char *hay, size_t len, const char *needle);

#endif
