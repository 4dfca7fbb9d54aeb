/*
 * pop3_marks.h: deletion marks kept by UIDL, and committing them.
 *
 * Owns: a set of marked UIDs (message numbers change from one session to
 * the next; UIDs do not, RFC 1939 section 7), and the commit: a fresh UIDL
 * maps each mark to this session's number, DELE goes out only for marks
 * whose local copy the caller says is durable, and QUIT commits. Built on
 * pop3.h alone (no curl, no files).
 *
 * Who may include it: the command layer (the reader's commands, later the
 * store's sync). Not the MIME decoder or the views.
 *
 * Mail safety: a mark is deleted only when (1) the server lists its UID
 * exactly once in this session, and its number with no other UID, (2) durable(ctx, uid) answers nonzero, and
 * (3) every DELE of the commit was accepted; if any DELE is refused, RSET
 * undoes the others before QUIT, so a commit deletes all of its marks or
 * none.
 */
#ifndef POUCH_POP3_MARKS_H
#define POUCH_POP3_MARKS_H

#include <stddef.h>

#include <pouch/pop3.h>

struct pop3_marks;

/* NULL only when memory ran out. */
struct pop3_marks *pop3_marks_new(void);
void pop3_marks_free(struct pop3_marks *m);
/* Marks (on != 0) or unmarks a UID. 0, or -1 when memory ran out. */
int pop3_marks_set(struct pop3_marks *m, const char *uid, int on);
int pop3_marks_has(const struct pop3_marks *m, const char *uid);
size_t pop3_marks_count(const struct pop3_marks *m);
/* The i-th mark in byte order, for listing; NULL past the end. */
const char *pop3_marks_get(const struct pop3_marks *m, size_t i);

/* Nonzero when the local copy of uid is durable (written and fsynced). */
typedef int (*pop3_durable_fn)(void *ctx, const char *uid);

struct pop3_commit {
	size_t deleted;		/* DELE accepted and committed by QUIT */
	size_t gone;		/* no longer on the server (deleted elsewhere) */
	size_t kept;		/* not deleted: no durable copy, or its UID or
				   its message number ambiguous */
	char error[320];	/* pouch's text when the commit failed, else "" */
};

/*
 * Commits the marks on a connected session with nothing pending.
 * Returns:
 *   POP3_OK          QUIT accepted; res says what happened. Deleted and
 *                    gone marks are removed from m; kept ones stay.
 *   POP3_ERR_SERVER  UIDL refused (no DELE, no QUIT: the session stands),
 *                    a DELE refused (RSET and QUIT sent: nothing deleted;
 *                    RSET refused too: no QUIT, the caller closes the
 *                    session with pop3_free, which sends none),
 *                    or QUIT refused (the server may have deleted nothing
 *                    or everything: RFC 1939 says nothing). m is unchanged.
 *   fatal statuses   the connection is gone without QUIT: nothing deleted;
 *                    m is unchanged.
 * res->error says which. Blocks (pop3_wait), calling the session's tick.
 */
enum pop3_status pop3_marks_commit(struct pop3 *s, struct pop3_marks *m,
    pop3_durable_fn durable, void *ctx, struct pop3_commit *res);

/*
 * The same for a poll loop: queues UIDL and returns. Each reply sends the
 * next step from its on_done (DELE, then QUIT, or RSET), all inside
 * pop3_run; done is called once at the end with what pop3_marks_commit would
 * return (from pop3_run, or from pop3_free/pop3_cancel with
 * POP3_ERR_CANCELLED). Returns POP3_OK (done will be called) or the
 * submit's USAGE/NOMEM (it will not). Until done: m must not change, and the
 * caller submits nothing else (the commit ends the session with QUIT).
 * durable is called from inside pop3_run too.
 */
typedef void (*pop3_commit_fn)(void *ctx, enum pop3_status st,
    const struct pop3_commit *res);
enum pop3_status pop3_marks_commit_start(struct pop3 *s, struct pop3_marks *m,
    pop3_durable_fn durable, void *ctx, pop3_commit_fn done, void *done_ctx);

#endif
