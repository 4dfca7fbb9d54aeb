/*
 * ui_mbox_priv.h: the inside of struct ui_mbox, shared by src/ui_mbox.c
 * (rows, the local store, read flags, marks, merging a listing),
 * src/ui_sess.c (the session: login, listing, headers, RETR), src/ui_end.c
 * (the commit and the close) and
 * src/ui_prompt.c (the transcript, the POP3 prompt, :help, the server
 * screen). Included by those four files only.
 */
#ifndef POUCH_UI_MBOX_PRIV_H
#define POUCH_UI_MBOX_PRIV_H

#include <stdarg.h>

#include <pouch/pop3_marks.h>
#include <pouch/sess.h>
#include <pouch/ui_mbox.h>
#include <pouch/util.h>

struct list_item {
	unsigned long n;
	unsigned long long size;
	char *uid;
};

enum mb_op { OP_NONE, OP_COMMIT, OP_CLOSE };
enum mb_phase { PH_LISTING, PH_END };

struct ui_mbox {
	struct ui_mbox_cfg cfg;
	char *password;
	struct sess *s;
	enum ui_conn conn;
	unsigned gen;			/* session generation: stale replies are dropped */
	int freeing;			/* sess_free runs: its callbacks are stale */
	int failed;			/* the session failed inside sess_run */
	unsigned logins;		/* sessions logged in, this run */
	int ended;			/* its on_end came */
	int have_rows;			/* a listing has been merged at least once */
	int listing;			/* this session's LIST/UIDL not merged yet */
	int listed;			/* a listing was merged, ever */
	unsigned layout;		/* bumped when rows come, go or renumber */

	struct ui_msg **v;		/* rows (pointers: stable across merges) */
	size_t n, cap;
	struct pop3_marks *marks;
	struct pop3_marks *readset;	/* UIDs read (in memory) */
	struct store_reads *reads;	/* read flags in the store (store_flags.h) */
	int listing_complete;		/* a whole UIDL listing was merged */

	/* the listing of this session, streamed in by LIST then UIDL */
	struct list_item *list;
	size_t nlist, caplist, uidl_at;
	int list_ok;
	unsigned long stat_count;
	unsigned long long stat_octets;

	/* header pump */
	size_t inflight_top;
	struct req *topq[UI_MBOX_WINDOW];	/* the TOPs in flight */
	size_t scan;			/* next row to look at for the background fill */
	size_t *want;
	size_t nwant;
	int no_top;			/* the server refused TOP */

	/* commands typed while the session was down, sent after the listing */
	char *typed[UI_MBOX_TYPED_MAX];
	size_t ntyped;

	/* the end (commit or close) */
	enum mb_op op;
	enum mb_phase ph;
	int reconnect_after;
	enum ui_end end_state;
	struct ui_end_result res;
	struct sess_end sres;		/* on_end's, its strings copied below */
	char *end_error;
	char doing[160];

	struct ui_trace_line *trace;	/* ring */
	size_t trace_head, trace_n;
	unsigned long body_lines, hidden_lines;
	unsigned long long hidden_octets;

	char *error;
	char *notice;
};

/* One request of the reader's (sess_req.ctx). */
struct req {
	struct ui_mbox *mb;
	unsigned gen;
	enum pop3_cmd cmd;
	struct ui_msg *row;		/* TOP, RETR */
	struct dbuf body;		/* RETR */
	int typed;			/* from the POP3 prompt */
	unsigned long n;
};

/* ui_mbox.c */
void mb_changed(struct ui_mbox *mb);
void mb_error(struct ui_mbox *mb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mb_notice(struct ui_mbox *mb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct ui_msg *mb_row_by_number(struct ui_mbox *mb, unsigned long n);
int mb_merge_listing(struct ui_mbox *mb);
int mb_load_from_store(struct ui_mbox *mb, struct ui_msg *m);
void mb_store_message(struct ui_mbox *mb, struct ui_msg *m);
int mb_is_read(const struct ui_mbox *mb, const char *uid);
void mb_clear_marks(struct ui_mbox *mb);
int mb_durable(void *ctx, const char *uid);

/* ui_sess.c */
struct req *mb_req_new(struct ui_mbox *mb, enum pop3_cmd cmd);
/* Submits a typed command (soft: a -ERR is its answer); -1 with the error. */
int mb_submit_typed(struct ui_mbox *mb, enum pop3_cmd cmd, int has_n, unsigned long n,
    unsigned long lines);
/* The session is up with its listing in, and no end under way. */
int mb_ready(const struct ui_mbox *mb);
/* Starts a reconnect (when none is under way) for work that waits. */
int mb_need_server(struct ui_mbox *mb);
void mb_session_free(struct ui_mbox *mb);
/* RETR of row m (soft); -1 with the error set. */
int mb_submit_retr(struct ui_mbox *mb, struct ui_msg *m);
/* Takes back the unsent TOPs, but those of the rows in keep. */
size_t mb_withdraw_tops(struct ui_mbox *mb, const size_t *keep, size_t nkeep);
/* Rows waiting for RETR and typed commands: sent (the listing is in), or
 * given up. */
void mb_waiting_flush(struct ui_mbox *mb, int send);

/* ui_end.c */
/* The end proceeds (after every sess_run while one is under way). */
void mb_op_step(struct ui_mbox *mb);

/* ui_prompt.c */
void mb_trace(void *ctx, char dir, const char *line, size_t len);
void mb_trace_push(struct ui_mbox *mb, char dir, const char *text, size_t len);
void mb_trace_free(struct ui_mbox *mb);
/* A typed command's reply (on_done); the row effects (DELE marks, RSET). */
void mb_typed_done(struct req *q, const struct pop3_reply *r, int current);
/* Sends the commands typed while the session was down. */
void mb_typed_flush(struct ui_mbox *mb, int send);

#endif
