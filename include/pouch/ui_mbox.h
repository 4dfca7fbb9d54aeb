/*
 * ui_mbox.h: the reader's mailbox: one row per message on the server (and,
 * after a reconnect, rows that have left it), the POP3 session behind them,
 * deletion marks by UIDL, and the protocol transcript the `P` pane shows.
 * This is the reader's command layer: views ask for work here (open a
 * message, mark it, commit, type a POP3 command) and read rows back; only
 * this file talks to pop3.h.
 *
 * Owns: the rows and everything they point to, the session, the marks, the
 * transcript, the password (wiped on free).
 *
 * Who may include it: the reader (src/ui*.c, src/view_*.c) and its tests.
 *
 * Order of events. ui_mbox_connect starts the login (it goes on inside
 * ui_mbox_run, from the caller's poll loop); STAT, LIST and UIDL are queued
 * behind it; rows appear when LIST is in (numbers and sizes), their UIDs
 * when UIDL is in. Headers come from TOP n 0, at most UI_MBOX_WINDOW in
 * flight, the rows the caller says are visible first (ui_mbox_want). A
 * message's bytes come from RETR when it is opened. Replies are handled
 * inside ui_mbox_run, which the caller's poll loop calls when pop3's socket
 * is ready or its timeout passed; after every change the changed callback
 * runs (the caller redraws). Nothing here prints or draws.
 *
 * Mail safety. DELE goes out only from ui_mbox_commit (through
 * pop3_marks_commit: fresh UIDL, DELE only for UIDs listed once, RSET if any
 * DELE is refused, then QUIT) or when the user types it at the POP3 prompt;
 * before a commit, such typed DELEs are undone with RSET so that exactly the
 * marks are deleted. A dropped connection keeps every mark (by UIDL); the
 * session is never ended with QUIT except by ui_mbox_commit and
 * ui_mbox_close.
 */
#ifndef POUCH_UI_MBOX_H
#define POUCH_UI_MBOX_H

#include <stddef.h>
#include <stdint.h>

#include <pouch/pop3.h>

#define UI_MBOX_WINDOW 64	/* TOP requests in flight at most (the engine's window) */
#define UI_MBOX_TRACE_MAX 20000	/* transcript lines kept */

enum ui_hdr { UI_HDR_NONE, UI_HDR_QUEUED, UI_HDR_KNOWN, UI_HDR_FAILED };
enum ui_body { UI_BODY_NONE, UI_BODY_LOADING, UI_BODY_DONE, UI_BODY_FAILED };

struct ui_msg {
	unsigned long n;		/* number in this session; 0 once gone */
	unsigned long long size;	/* LIST's octets */
	char *uid;			/* NULL until UIDL is in (or unsupported) */
	enum ui_hdr hdr;
	char *from;			/* display name, else address: sanitised one line */
	char *subject;			/* sanitised one line */
	int has_date;
	int64_t date;			/* UTC */
	int date_off;			/* the header's offset, minutes east */
	int attach;			/* -1 not known yet, else 0/1 */
	int read;			/* opened, in this or an earlier session */
	int marked;			/* marked for deletion */
	int gone;			/* no longer on the server */
	int hidden;			/* not listed: deleted, or gone with no copy here.
					   Rows are never freed while the reader runs:
					   an index into them stays valid. */
	enum ui_body body;
	char *raw;			/* the whole message once fetched */
	size_t rawlen;
	unsigned long long loaded;	/* octets of a RETR under way */
	int cancelled;			/* its RETR's bytes are to be dropped */
	void *req_;			/* private: the RETR under way */
};

enum ui_conn { UI_CONN_DOWN, UI_CONN_CONNECTING, UI_CONN_UP };

struct ui_trace_line {
	char dir;			/* 'C', 'S', 'D' (abridged body), '*', '!' */
	char *text;			/* sanitised */
};

typedef void (*ui_mbox_changed_fn)(void *ctx);

struct ui_mbox_cfg {
	struct pop3_opts pop3;		/* url, user, auth, tls, ...; trace set here */
	const char *password;		/* copied; wiped on free */
	ui_mbox_changed_fn changed;
	void *ctx;
};

struct ui_mbox;

struct ui_mbox *ui_mbox_new(const struct ui_mbox_cfg *cfg);	/* NULL: no memory */
void ui_mbox_free(struct ui_mbox *mb);	/* closes without QUIT */

/* Starts the login without blocking and queues STAT, LIST, UIDL behind it;
 * ui_mbox_run drives it. On a reconnect, rows are matched by UIDL and marks
 * re-applied. 0, or -1 with ui_mbox_error set. Calls that need the listing
 * (fetch, commit, a typed command) wait for it, calling cfg->pop3.tick
 * every 100 ms (it may draw and read keys; nonzero cancels). */
int ui_mbox_connect(struct ui_mbox *mb);
enum ui_conn ui_mbox_conn(const struct ui_mbox *mb);
/* For the poll loop: the socket (-1 when none), its events, the timeout. */
int ui_mbox_fd(const struct ui_mbox *mb);
short ui_mbox_events(const struct ui_mbox *mb);
int ui_mbox_timeout(const struct ui_mbox *mb);
void ui_mbox_run(struct ui_mbox *mb);
/* Nothing queued or in flight (headers may still be wanted). */
int ui_mbox_idle(const struct ui_mbox *mb);
/* Every header known (or failed) and the session idle. */
int ui_mbox_settled(const struct ui_mbox *mb);

size_t ui_mbox_count(const struct ui_mbox *mb);
/* Changes whenever rows are added, removed or renumbered. */
unsigned ui_mbox_layout(const struct ui_mbox *mb);
struct ui_msg *ui_mbox_msg(struct ui_mbox *mb, size_t i);
/* Rows first..last (indexes) are on screen: their headers go first. */
void ui_mbox_want(struct ui_mbox *mb, const size_t *rows, size_t nrows);

/* Fetches row i's message when not fetched yet (RETR). 0, or -1 with the
 * error set (not connected and reconnecting failed). */
int ui_mbox_fetch(struct ui_mbox *mb, size_t i);
/* The user stopped waiting for row i's RETR: not sent yet, it is taken
 * back; else its bytes are still read (and kept: a reopen finds the message
 * whole). The session stays. */
void ui_mbox_cancel(struct ui_mbox *mb, size_t i);
void ui_mbox_set_read(struct ui_mbox *mb, size_t i);
/* Marks or unmarks row i (by its UID). 0, or -1 with the error set (no UID). */
int ui_mbox_mark(struct ui_mbox *mb, size_t i, int on);
size_t ui_mbox_marked(const struct ui_mbox *mb);

/* Commits the marks (blocking; see the top): 0 with *deleted set and the
 * session closed by QUIT, or -1 with the error set (nothing deleted when
 * the error says so). */
int ui_mbox_commit(struct ui_mbox *mb, size_t *deleted);
/* Ends the session without deleting anything: RSET (if the prompt sent a
 * DELE) then QUIT, or a close without QUIT if the server does not answer. */
void ui_mbox_close(struct ui_mbox *mb);

/* A command typed at the POP3 prompt ("LIST 3"). Returns 0 when it went
 * out (its reply reaches the transcript), 1 when it was answered locally
 * (the text is in *msg, malloc'd: help, refusals), -1 with *msg on error.
 * QUIT is not handled here (the UI quits as with q). */
int ui_mbox_command(struct ui_mbox *mb, const char *line, char **msg);
/* The :help text for one command or all of them, with whether this server
 * advertises it; malloc'd lines separated by '\n'. */
char *ui_mbox_help(const struct ui_mbox *mb, const char *cmd);
/* The server screen (`i`): greeting, CAPA, login, TLS; malloc'd lines. */
char *ui_mbox_info(const struct ui_mbox *mb);

size_t ui_mbox_trace_count(const struct ui_mbox *mb);
const struct ui_trace_line *ui_mbox_trace(const struct ui_mbox *mb, size_t i);

/* pouch's own text for the last failure (sanitised), or "". */
const char *ui_mbox_error(const struct ui_mbox *mb);
/* A one-time notice for the message line (reconnects, drops), or NULL;
 * cleared by the call. */
char *ui_mbox_take_notice(struct ui_mbox *mb);
/* The read state across sessions, kept by UIDL in a small file (until the
 * local store keeps it): "pouch-read/1" then one UID a line. Loading a
 * missing file is not an error; a line that is not a UID is skipped.
 * Saving writes a new file, syncs it and renames it over the old one;
 * UIDs the server no longer lists are dropped. 0, or -1 with the error. */
int ui_mbox_read_load(struct ui_mbox *mb, const char *path);
int ui_mbox_read_save(struct ui_mbox *mb, const char *path);

/* Counts for the status line. */
size_t ui_mbox_headers_known(const struct ui_mbox *mb);
unsigned long long ui_mbox_total_octets(const struct ui_mbox *mb);
int ui_mbox_tls(const struct ui_mbox *mb);

/* A row's header summary from a message or a TOP reply (pure; used by the
 * store's rows too). Fills from/subject/date/attach (attach only when whole
 * is nonzero). 0 or -1 when memory ran out. */
int ui_msg_summarise(struct ui_msg *m, const char *buf, size_t len, int whole);

#endif
