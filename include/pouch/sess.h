/*
 * sess.h: the bookkeeping of one POP3 session, shared by the command line,
 * the reader and the store's sync: the LIST sizes every RETR is
 * checked against, the UIDL map, what was retrieved and deleted since the
 * last RSET, LAST answered from pouch's record (lastrec.h) when the server
 * refuses it, and the end: make the caller's copies durable, then QUIT and
 * commit the record; or, after any failure, RSET and QUIT (or no QUIT at
 * all), so that nothing is deleted.
 *
 * Owns: the struct pop3 it makes (sess_pop3() lends it for accessors such
 * as pop3_greeting), its own requests (LIST, UIDL, LAST, RSET, QUIT), the
 * LAST record while the session runs, and the first failure's text.
 *
 * Who may include it: the command line (src/cli_run.c), the reader, the
 * store's sync. Never the MIME decoder or the views.
 *
 * Nothing here prints, exits or touches the terminal. Results reach the
 * caller through the callbacks of its requests and of struct sess_cbs;
 * the LAST record's file is the only file this module writes.
 *
 * Deletion marks (the reader's d, kept by UIDL across sessions) join the
 * end through sess_opts.marks: after sync, pop3_marks_commit_start sends
 * UIDL, the DELEs of the marks whose copy is durable, and QUIT, in place of
 * the plain QUIT.
 *
 * Two ways to drive it. Blocking (the command line): sess_connect, submit,
 * sess_wait where an answer is needed, sess_finish. Stepwise (a poll loop):
 * sess_connect_start, submit (requests wait for the login), poll
 * pop3_fd(sess_pop3(s)) for pop3_events() within pop3_timeout_ms() (ask
 * again after each call: the descriptor changes after login), call
 * sess_run, and start the end with sess_end; every callback then comes
 * from inside sess_run, and sess_ended says when it is over. Nothing
 * blocks on the network then.
 *
 * The order of calls, for each request: on_data (RETR, TOP) zero or more
 * times as the body arrives, then on_done exactly once, in the order of
 * submission; sess's own requests complete in between without a call. A
 * RETR counts as retrieved (for LAST) when its on_done returns 0: the
 * caller then owes a durable copy by the time cbs.sync returns. End: sync
 * once (only when nothing failed), then on_end once (sess_opts.quit_early
 * moves QUIT ahead of sync, not the outcome).
 *
 * Mail safety:
 *  - QUIT goes out only from the end, only when nothing failed and sync
 *    said every copy is durable; so a DELE is committed only then. (With
 *    sess_opts.quit_early, and no DELE at all, QUIT may go before sync:
 *    it commits nothing, and success still waits for sync.)
 *  - The first failure is kept (sess_failure) and reported once (on_fail);
 *    after it, the bodies of replies still in flight are dropped (on_data
 *    is not called again) and the end sends RSET, then QUIT only when RSET
 *    was accepted; when the connection is gone, nothing at all.
 *  - A local failure (a nonzero return from on_data or on_done, or
 *    sess_fail with SESS_ERR_LOCAL: the caller could not write, a full
 *    disk, EPIPE) and an interrupt (SESS_ERR_CANCELLED) end the session
 *    without RSET or QUIT; after a local failure the connection is closed
 *    at the next byte of body, so nothing more is read for nothing (issue 9
 *    item 3).
 *  - The LAST record is written only after QUIT was answered +OK.
 */
#ifndef POUCH_SESS_H
#define POUCH_SESS_H

#include <stddef.h>

#include <pouch/pop3.h>
#include <pouch/pop3_marks.h>

/* pop3_status's values, and one more: the caller's side failed. */
enum sess_status {
	SESS_OK = POP3_OK,
	SESS_ERR_SERVER = POP3_ERR_SERVER,
	SESS_ERR_AUTH = POP3_ERR_AUTH,
	SESS_ERR_TLS = POP3_ERR_TLS,
	SESS_ERR_NET = POP3_ERR_NET,
	SESS_ERR_TIMEOUT = POP3_ERR_TIMEOUT,
	SESS_ERR_PROTO = POP3_ERR_PROTO,
	SESS_ERR_CANCELLED = POP3_ERR_CANCELLED,
	SESS_ERR_USAGE = POP3_ERR_USAGE,
	SESS_ERR_NOMEM = POP3_ERR_NOMEM,
	SESS_WITHDRAWN = POP3_WITHDRAWN,	/* sess_withdraw took it back: not a failure */
	SESS_ERR_LOCAL,		/* a write of the caller's failed (on_data, on_done, sync) */
};

/* The first failure of a session. The strings live as long as the session. */
struct sess_failure {
	enum sess_status status;
	const char *label;	/* what failed: "RETR 9", "TOP 1 5", "LIST", "session" */
	const char *text;	/* pouch's own words; NULL for a -ERR */
	const char *server_text;	/* SESS_ERR_SERVER: the server's text after -ERR ("" if none) */
};

/* How the session ended. */
struct sess_end {
	enum sess_status status;	/* SESS_OK: QUIT answered +OK after a clean run;
					   else the failure's, or QUIT's own */
	int abandoned;		/* a failure came first: RSET and QUIT, or no QUIT;
				   nothing was deleted */
	int deletions_unknown;	/* after a clean run QUIT went out with DELEs
				   pending and got no +OK: the server may have
				   deleted them or not */
	const char *quit_text;	/* the server's text of a -ERR to QUIT, or "" */
	const char *quit_error;	/* pouch's text when QUIT failed otherwise, or NULL */
	const char *record_error;	/* the LAST record could not be saved (a warning), or NULL */
	int record_no_state;	/* retrievals not recorded: there is no state directory */
	struct pop3_commit marks;	/* with sess_opts.marks: what the commit did */
};

struct sess_cbs {
	/* The first failure (the session's own, or one that the caller
	 * reported with sess_fail). */
	void (*on_fail)(void *ctx, const struct sess_failure *f);
	/* Before QUIT, after a clean run: make every copy durable (fsync,
	 * name, directory fsync). Nonzero: a local failure (the caller has
	 * called sess_fail); then RSET and QUIT instead. May be NULL. */
	int (*sync)(void *ctx);
	/* The end, once. */
	void (*on_end)(void *ctx, const struct sess_end *e);
	/* A note that does not change the outcome (the LAST record could not
	 * be read and is ignored). May be NULL. */
	void (*on_warn)(void *ctx, const char *msg);
	void *ctx;
};

struct sess_opts {
	struct pop3_opts pop3;	/* handed to pop3_new as it is */
	const char *account;	/* user@host:port: the LAST record's key */
	/* Where the LAST record lives (lastrec.h): the account's store,
	 * STATE_DIR/.pouch-last; or with state_dir_shared a directory that
	 * accounts share (--state-dir), STATE_DIR/last-ACCOUNT. NULL: none
	 * kept. Moving an old record into the store is the caller's
	 * (lastrec_migrate), before the session. */
	const char *state_dir;
	int state_dir_shared;
	struct sess_cbs cbs;
	/* Deletion marks committed at a clean end (borrowed; NULL: none).
	 * durable(cbs.ctx, uid) says whether the local copy is safe (see
	 * pop3_marks.h for the rules). A refused UIDL or DELE ends the session
	 * without QUIT, or with RSET and QUIT (nothing deleted either way);
	 * a -ERR to QUIT, or a connection lost after the DELEs went out, sets
	 * deletions_unknown. */
	struct pop3_marks *marks;
	pop3_durable_fn durable;
	/* QUIT right behind the caller's last request, for a session that
	 * deletes nothing (the store's sync under keep): when sess_end finds
	 * nothing failed, no DELE answered or queued and marks NULL, it
	 * queues QUIT at once instead of after cbs.sync, so that QUIT's round
	 * trip overlaps the caller's last landing. cbs.sync is then called
	 * once every request of the caller's has completed: stepwise from
	 * sess_run while QUIT is still out, blocking from inside sess_finish
	 * just before QUIT's answer is taken. QUIT commits nothing then, and
	 * the outcome still waits for sync: a nonzero return from sync is a
	 * local failure (abandoned, SESS_ERR_LOCAL) whatever QUIT's answer,
	 * and the LAST record is not written. A failure before sync: as any
	 * (sync is not called). 0: QUIT waits for sync. */
	int quit_early;
};

struct sess;

/* NULL only when memory ran out. */
struct sess *sess_new(const struct sess_opts *o);
/* Closes without QUIT when the end did not run (nothing is deleted) and
 * frees. Requests still queued complete first (POP3_ERR_CANCELLED). */
void sess_free(struct sess *s);
struct pop3 *sess_pop3(const struct sess *s);

/* pop3_connect. On failure the session is over: sess_failure says why
 * (label "login" for SESS_ERR_AUTH, else "connect"; text is pouch's, and
 * server_text the server's -ERR, or ""), on_fail and on_end are not called,
 * and only sess_free remains. */
enum sess_status sess_connect(struct sess *s);
/* pop3_connect_start: the login goes on from sess_run. A failure to start
 * is returned as sess_connect's; a failure of the login is reported through
 * on_fail (label "login" or "connect") and then on_end (abandoned).
 * sess_connected turns nonzero once logged in. */
enum sess_status sess_connect_start(struct sess *s);
int sess_connected(const struct sess *s);

/*
 * A command of the caller's. on_done gets the reply after sess has taken
 * what it keeps from it; it returns 0, or nonzero for a local failure
 * (the caller has called sess_fail, or sess records one). For RETR, 0 also
 * says the message is in the caller's hands (counted as retrieved).
 * on_data: see above; NULL for TOP or RETR collects the body in the reply.
 * After a failure, on_done is still called (so a partial output can be
 * undone), with sess_failure() non-NULL.
 */
struct sess_req {
	enum pop3_cmd cmd;	/* not QUIT: the end sends it */
	int has_n;
	unsigned long n;
	unsigned long lines;
	int (*on_data)(void *ctx, const char *p, size_t n);
	/* A whole LIST or UIDL: when set, each line comes here as it arrives
	 * (it->uid lives until the call returns; nonzero is a local failure)
	 * and the reply's items are NULL; sess keeps only the sizes and a
	 * compact UIDL map. NULL: the reply collects them. */
	int (*on_item)(void *ctx, const struct pop3_item *it);
	int (*on_done)(void *ctx, const struct pop3_reply *r);
	void *ctx;
	/* A -ERR is this request's answer, not the session's failure: on_done
	 * gets it and the session goes on (the reader's TOPs, RETRs and the
	 * commands typed at its prompt). 0: a -ERR fails the session, so that
	 * its end sends RSET (the command line). Other failures (the network,
	 * a timeout) fail the session either way. */
	int soft;
};

/* Queues a command. RETR brings along what it needs, pipelined ahead of
 * it: LIST n (or a whole LIST, when more RETRs are expected:
 * sess_expect_retr) for the size its body is checked against, and the
 * UIDL map when the LAST record wants it. Returns SESS_OK, or the failure
 * (also reported through on_fail). */
enum sess_status sess_submit(struct sess *s, const struct sess_req *r);
/* A whole LIST goes ahead of the next n RETRs instead of LIST n each. */
void sess_expect_retr(struct sess *s, size_t n);
/* Takes back the caller's requests with this ctx that have not been sent
 * (pop3_withdraw): each one's on_done is called at once with
 * POP3_WITHDRAWN, which is no failure and no retrieval. Returns how many. */
size_t sess_withdraw(struct sess *s, void *ctx);

/* LAST: the server's answer, or pouch's record's: after a -ERR, the
 * record's; after +OK, the higher of the two, since a server that answers
 * LAST per session (popa3d, RFC 1460) says 0 to a new session whatever the
 * earlier ones retrieved (issue 9). When the record holds UIDLs, the UIDL
 * map they need is queued first, so commands queued after LAST may
 * complete before on_last. on_last gets the number and from_record: 0 the
 * server's answer (server_text NULL); 1 the record's after a -ERR
 * (server_text the -ERR's text); 2 the record's, higher than the server's
 * +OK (server_text that +OK's text). It is not called after a failure.
 * The record's LAST is the highest message number of a retrieval in a
 * committed session or in this one since RSET (sess_last.c says how). */
enum sess_status sess_last(struct sess *s,
    void (*on_last)(void *ctx, unsigned long n, int from_record, const char *server_text),
    void *ctx);

/* The caller's own failure (a write that failed, out of memory): kept as
 * the session's failure when it is the first. */
void sess_fail(struct sess *s, enum sess_status st, const char *label,
    const char *text);
/* The first failure, or NULL. */
const struct sess_failure *sess_failure(const struct sess *s);

/* Stepwise use: after poll says pop3_fd is ready (or its timeout passed).
 * Returns SESS_OK while the session stands or has ended cleanly. */
enum sess_status sess_run(struct sess *s);
/* Blocking use: runs until nothing is pending. SESS_OK, or the failure. */
enum sess_status sess_wait(struct sess *s);

/* Starts the end (see above); stepwise, it proceeds from sess_run. */
void sess_end(struct sess *s);
int sess_ended(const struct sess *s);
/* True while QUIT (or the RSET before it) is out: a caller's tick may let a
 * first Ctrl-C wait for it, so that the user learns what was committed. */
int sess_in_quit(const struct sess *s);
/* sess_end, then blocks until on_end has been called. */
void sess_finish(struct sess *s);
/* The reader's end: as sess_end, but QUIT commits exactly the marks given
 * here (NULL: nothing), which replace sess_opts.marks: first, once nothing
 * of the caller's is pending, the session's own DELEs (sess_submit, the
 * reader's prompt) are undone with RSET. RSET refused, or not answered:
 * a failure (label "RSET"), and the session ends without QUIT, so that
 * nothing is deleted. Like any RSET it resets what LAST counts to the
 * start of the session (RFC 1460). */
void sess_end_marks(struct sess *s, struct pop3_marks *marks, pop3_durable_fn durable);

/* What the session knows, for the caller's messages: the LIST size of
 * message n (0: unknown); the number of DELEs pending (since the last RSET). */
unsigned long long sess_size(const struct sess *s, unsigned long n);
size_t sess_ndeleted(const struct sess *s);

#endif
