/*
 * ui_global.c: the requests every view answers when its own table does not
 * (quit, exit, commit, check mail, the POP3 prompt, the protocol pane,
 * redraw, suspend, interrupt), and the dispatch of a key to the view on
 * top, then to these. Keys that need the session while its end (commit,
 * QUIT) runs are held and replayed after it (ui_hold_key, ui_end_check).
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/cli.h>
#include <pouch/ui.h>
#include <pouch/ui_view.h>
#include <pouch/util.h>

#include "ui_priv.h"

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
void
ui_end_check(struct ui *u)
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
int
ui_hold_key(struct ui *u, int key)
{
	enum ui_req r;

	if (!ui_mbox_end_doing(u->mb))
		return 0;
	if (key == 27 || key == 3) {
		int asked = ui_mbox_abandon(u->mb);

		ui_end_check(u);
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
		if (ui_steps)
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

void
ui_dispatch(struct ui *u, int key)
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
