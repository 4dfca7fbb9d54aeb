/*
 * ui_mbox.h: the reader's mailbox: one row per message on the server (and,
 * after a reconnect, rows that have left it), the POP3 session behind them,
 * deletion marks by UIDL, and the protocol transcript the `P` pane shows.
 * This is the reader's command layer: views ask for work here (open a
 * message, mark it, commit, type a POP3 command) and read rows back; the
 * session behind it is sess.h's, as the command line's is, so that both
 * keep the same LIST sizes, UIDL map and LAST record.
 *
 * Owns: the rows and everything they point to, the session, the marks, the
 * transcript, the password (wiped on free).
 *
 * Who may include it: the reader (src/ui*.c, src/view_*.c) and its tests.
 *
 * Order of events. Nothing here blocks on the network: every call starts
 * work that goes on inside ui_mbox_run, which the caller's poll loop calls
 * when the socket is ready or its timeout passed; after every change the
 * changed callback runs (the caller redraws). ui_mbox_connect starts the
 * login; STAT, LIST and UIDL are queued behind it (sess_submit, the lines
 * streamed into the rows through sess_req.on_item); rows appear when the
 * listing is in (numbers, sizes, UIDs). Headers come from TOP n 0, at most
 * UI_MBOX_WINDOW in flight, the rows the caller says are visible first
 * (ui_mbox_want; unsent TOPs of rows that left the screen are taken back
 * with sess_withdraw). A message's bytes come from RETR when it is opened;
 * asked for while the session is down or its listing not in, the RETR (or
 * a command typed at the prompt) waits for the listing of a reconnect it
 * starts. Nothing here prints or draws.
 *
 * The end: ui_mbox_commit (the marks) and ui_mbox_close (nothing) start
 * it; ui_mbox_end_state says when it is over and how. Meanwhile the rows
 * stay readable (stored messages open), and ui_mbox_abandon gives up.
 *
 * The local store. With cfg->store, the rows start as the store's messages
 * (readable offline; numbers come with the listing), a message opened is
 * read from its file, and one fetched from the server is stored (when the
 * store is writable) before it shows. Read flags go to the store: its flag
 * for a message it holds, else a pending flag by UIDL (store_flags.h);
 * with a read-only store they stay in memory.
 *
 * Mail safety. DELE goes out only from the commit (sess_end_marks: RSET of
 * any DELE typed at the prompt, then pop3_marks_commit's fresh UIDL, DELE
 * only for UIDs listed once whose copy is durable, RSET if any DELE is
 * refused, then QUIT) or when the user types it at the POP3 prompt (undone
 * by RSET before any QUIT). A mark whose message has no durable copy in
 * the local store is fetched and stored first; without a writable store it
 * is kept, not deleted. A dropped connection keeps every mark (by UIDL);
 * the session is never ended with QUIT except by the commit and the close,
 * and a session that failed is closed without QUIT.
 */
#ifndef POUCH_UI_MBOX_H
#define POUCH_UI_MBOX_H

#include <stddef.h>
#include <stdint.h>

#include <pouch/pop3.h>

#define UI_MBOX_WINDOW 64	/* TOP requests in flight at most (the engine's window) */
#define UI_MBOX_TRACE_MAX 20000	/* transcript lines kept */
#define UI_MBOX_TYPED_MAX 16	/* typed commands waiting for a reconnect */

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
	void *req_;			/* private: the RETR under way (NULL while it
					   waits for a reconnect's listing) */
	int stored;			/* a durable copy is in the local store */
	char *path_;			/* private: the store file of a row without UIDL */
};

enum ui_conn { UI_CONN_DOWN, UI_CONN_CONNECTING, UI_CONN_UP };

struct ui_trace_line {
	char dir;			/* 'C', 'S', 'D' (abridged body), '*', '!' */
	char *text;			/* sanitised */
};

typedef void (*ui_mbox_changed_fn)(void *ctx);

struct store;

struct ui_mbox_cfg {
	struct pop3_opts pop3;		/* url, user, auth, tls, ...; trace set here */
	const char *password;		/* copied; wiped on free */
	struct store *store;		/* the local store (the caller's; may be read-only), or NULL */
	const char *account;		/* user@host:port, the LAST record's key (sess_opts) */
	const char *state_dir;		/* where the LAST record lives; NULL: none */
	int state_dir_shared;		/* sess_opts.state_dir_shared */
	int offline;			/* never connect */
	ui_mbox_changed_fn changed;
	void *ctx;
};

struct ui_mbox;

struct ui_mbox *ui_mbox_new(const struct ui_mbox_cfg *cfg);	/* NULL: no memory */
void ui_mbox_free(struct ui_mbox *mb);	/* closes without QUIT */

/* Starts the login without blocking and queues STAT, LIST, UIDL behind it;
 * ui_mbox_run drives it. On a reconnect, rows are matched by UIDL and marks
 * re-applied. While a session is up, it is first ended as ui_mbox_close
 * does (new mail is checked this way). 0, or -1 with ui_mbox_error set. */
int ui_mbox_connect(struct ui_mbox *mb);
enum ui_conn ui_mbox_conn(const struct ui_mbox *mb);
/* For the poll loop: the socket (-1 when none), its events, the timeout. */
int ui_mbox_fd(const struct ui_mbox *mb);
short ui_mbox_events(const struct ui_mbox *mb);
int ui_mbox_timeout(const struct ui_mbox *mb);
void ui_mbox_run(struct ui_mbox *mb);
/* Nothing queued or in flight (headers may still be wanted), no end under
 * way. */
int ui_mbox_idle(const struct ui_mbox *mb);
/* Every header known (or failed) and the session idle. */
int ui_mbox_settled(const struct ui_mbox *mb);

size_t ui_mbox_count(const struct ui_mbox *mb);
/* Nonzero once a server listing has been merged into the rows. */
int ui_mbox_listed(const struct ui_mbox *mb);
/* Changes whenever rows are added, removed or renumbered. */
unsigned ui_mbox_layout(const struct ui_mbox *mb);
struct ui_msg *ui_mbox_msg(struct ui_mbox *mb, size_t i);
/* Rows first..last (indexes) are on screen: their headers go first. */
void ui_mbox_want(struct ui_mbox *mb, const size_t *rows, size_t nrows);

/* Fetches row i's message when not fetched yet: from the store, else
 * RETR (now, or once a reconnect it starts has the listing). 0, or -1 with
 * the error set (offline, gone from the server). */
int ui_mbox_fetch(struct ui_mbox *mb, size_t i);
/* The user stopped waiting for row i's RETR: not sent yet, it is taken
 * back; else its bytes are still read (and kept: a reopen finds the message
 * whole). The session stays. */
void ui_mbox_cancel(struct ui_mbox *mb, size_t i);
void ui_mbox_set_read(struct ui_mbox *mb, size_t i);
/* Marks or unmarks row i (by its UID). 0, or -1 with the error set (no
 * UID, or an end under way). */
int ui_mbox_mark(struct ui_mbox *mb, size_t i, int on);
size_t ui_mbox_marked(const struct ui_mbox *mb);

/* Starts the commit of the marks: a reconnect if the session is down, the
 * listing, a durable copy of each marked message (fetched and stored),
 * then sess_end_marks; it goes on from ui_mbox_run. 0, or -1 with the
 * error set (an end is under way already). */
int ui_mbox_commit(struct ui_mbox *mb);
/* Starts the end without deleting anything: RSET (if the prompt sent a
 * DELE) then QUIT. A session not logged in, or reading a body, is closed
 * at once without QUIT (nothing is committed either way). */
void ui_mbox_close(struct ui_mbox *mb);
enum ui_end { UI_END_NONE, UI_END_RUNNING, UI_END_OK, UI_END_FAILED };
struct ui_end_result {
	int commit;			/* it was ui_mbox_commit's */
	size_t deleted;			/* messages the QUIT deleted */
	size_t kept;			/* marks kept: no durable copy here */
	int unknown;			/* QUIT went out and got no +OK */
};
/* The end's progress; once UI_END_OK or UI_END_FAILED (the error set), r
 * (may be NULL) says what it did and the state goes back to UI_END_NONE
 * at the next call of ui_mbox_end_take. */
enum ui_end ui_mbox_end_state(const struct ui_mbox *mb, struct ui_end_result *r);
void ui_mbox_end_take(struct ui_mbox *mb);
/* What the end under way is doing, for the status line, or NULL. */
const char *ui_mbox_end_doing(const struct ui_mbox *mb);
/* Gives up the end under way (Esc, Ctrl-C): the session is closed without
 * (another) QUIT and the state becomes UI_END_FAILED. Returns 1 when the
 * commit had already asked the server to delete (the DELEs or QUIT were
 * out: the server may have deleted them), else 0: nothing deleted. */
int ui_mbox_abandon(struct ui_mbox *mb);

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
/* The read state file of earlier versions ("pouch-read/1" then one UID
 * a line, by the path the caller gives): with a writable store its UIDs
 * become the store's read flags (pending ones for messages it does not
 * hold), and the file, once that is durable, is renamed to FILE.migrated
 * (never deleted); with no writable store they are read into memory and
 * the file is left alone. A missing file is no error. Returns how many
 * UIDs were taken, or -1 with the error set. */
long ui_mbox_read_migrate(struct ui_mbox *mb, const char *path);

/* Counts for the status line. */
size_t ui_mbox_headers_known(const struct ui_mbox *mb);
unsigned long long ui_mbox_total_octets(const struct ui_mbox *mb);
int ui_mbox_tls(const struct ui_mbox *mb);

/* A row's header summary from a message or a TOP reply (pure; used by the
 * store's rows too). Fills from/subject/date/attach (attach only when whole
 * is nonzero). 0 or -1 when memory ran out. */
int ui_msg_summarise(struct ui_msg *m, const char *buf, size_t len, int whole);

#endif
