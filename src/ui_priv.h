/*
 * ui_priv.h: what the reader's loop (ui.c), its terminal (ui_term.c), its
 * drawing (ui_draw.c) and its global requests (ui_global.c) share. Private
 * to those four files; views use ui_view.h.
 */
#ifndef POUCH_UI_PRIV_H
#define POUCH_UI_PRIV_H

#include <signal.h>
#include <stdio.h>
#include <wchar.h>

#include <pouch/conf.h>
#include <pouch/ui_req.h>
#include <pouch/ui_view.h>

/* The signal self-pipe (its read end is polled by the loop) and the last
 * SIGINT/SIGTERM/SIGHUP caught; a viewer holding the terminal
 * (ui_run_external) keeps Ctrl-C for itself. */
extern int ui_sig_pipe[2];
extern volatile sig_atomic_t ui_sig_caught;
extern volatile sig_atomic_t ui_child_running;

/* Headless mode: the key script (NULL on a real terminal), its length and
 * the next step; the file @dump writes to. */
extern struct ui_step *ui_steps;
extern long ui_nsteps, ui_stepi;
extern FILE *ui_dump_fp;

/* ui_term.c */
void ui_signals_setup(void);
/* Loads the key script when there is one, starts curses; -1 with the
 * reason on stderr. */
int ui_term_start(struct ui *u);
/* Puts the terminal back and frees what ui_term_start made; again is a
 * no-op. */
void ui_term_end(void);

/* ui_draw.c */
/* One UTF-8 character at s: its bytes (1 for a bad one, read as '?'). */
size_t ui_next_wc(const char *s, size_t len, wchar_t *wc);
/* Its columns (wcwidth; a non-printable counts 1). */
int ui_wc_cols(wchar_t wc);
void ui_colors_setup(const struct conf_account *ca);
void ui_draw(struct ui *u);
void ui_dump_screen(struct ui *u);

/* ui_global.c */
void ui_dispatch(struct ui *u, int key);
/* An end (commit, QUIT) under way: what the loop does when it is over. */
void ui_end_check(struct ui *u);
/* Keeps a key that must wait for the end under way; 1 when kept. */
int ui_hold_key(struct ui *u, int key);

#endif
