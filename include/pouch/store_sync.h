/*
 * store_sync.h: one sync of a store with its POP3 mailbox: every message
 * the store lacks is downloaded (pipelined RETR, each streamed into tmp/,
 * landed per batch), then the account's policy is applied.
 *
 * Owns: the session it opens (sess_new .. sess_free, include/pouch/sess.h,
 * which does the POP3 bookkeeping: LIST sizes, RETR, the end with its
 * marks' commit or QUIT) and the store it opens (store_open .. store_close)
 * for the length of store_sync().
 *
 * Who may include it: the command line (src/cli_sync.c). Nothing here
 * prints or exits: progress, notes and the outcome reach the caller
 * through the callbacks and the result.
 *
 * The order, and why it never loses mail:
 *   1. the store is opened writable (its lock: a second sync is refused);
 *   2. LOGIN-DELAY (RFC 2449): when the last login is more recent than the
 *      delay the server announced then, no connection is made;
 *   3. connect, log in; UIDL and LIST are pipelined; CAPA EXPIRE and
 *      LOGIN-DELAY (from the CAPA the login read) are reported (note) and
 *      the login is recorded;
 *   4. a RETR for every UIDL the store lacks, all queued at once (sess_submit;
 *      the engine keeps a window in flight; store_expect makes their tmp/
 *      files ahead in a helper thread); each body streams into its tmp/
 *      file; every STORE_BATCH_FILES files or STORE_BATCH_BYTES the batch
 *      lands (fsync, rename into new/, fsync new/, index) - see store.h;
 *      under keep sess queues QUIT behind the last RETR (sess_opts
 *      quit_early: it deletes nothing, so it may travel while 5 runs);
 *   5. sess's end calls back (cbs.sync): what is left lands; messages the
 *      server no longer lists get their "gone" date; the index is made
 *      durable; only then may anything be committed or success reported;
 *   6. the policy: keep's QUIT is answered; delete (or delete after N days,
 *      counted from the download) gives sess the UIDLs whose copy is
 *      durable (store_durable) as marks, which it commits
 *      (pop3_marks_commit_start: fresh UIDL, DELE, QUIT; all or nothing).
 * Any failure before 6 (a full disk, a dropped connection, Ctrl-C, kill -9)
 * ends the session without QUIT, or with RSET and QUIT after a -ERR
 * (nothing is deleted; under keep the QUIT of 4 may have gone out already,
 * which deletes nothing either); the messages that arrived whole are
 * landed first, and the next sync fetches only the rest. sync's RETRs do
 * not count for LAST (no record is kept: sess_opts.state_dir NULL).
 */
#ifndef POUCH_STORE_SYNC_H
#define POUCH_STORE_SYNC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <pouch/pop3.h>

enum store_policy {
	STORE_POLICY_KEEP,	/* the default */
	STORE_POLICY_DELETE,	/* delete from the server once durable here */
	STORE_POLICY_DELETE_AFTER,	/* ... and downloaded at least N days ago */
};

struct store_sync_progress {
	size_t done, total;			/* messages */
	unsigned long long bytes, total_bytes;	/* octets, the current message's too */
	long long elapsed_ms;
};

struct store_sync_cfg {
	struct pop3_opts pop3;		/* its tick is sync's own; trace passes through */
	const char *store_dir;
	enum store_policy policy;
	long days;			/* STORE_POLICY_DELETE_AFTER */
	volatile sig_atomic_t *interrupted;	/* nonzero: stop (no QUIT) */
	/* Both may be NULL. progress: at most every 100 ms and after each
	 * message. note: a line for the user (server text in it is raw: the
	 * caller escapes it). */
	void (*progress)(void *ctx, const struct store_sync_progress *p);
	void (*note)(void *ctx, const char *text);
	void *ctx;
	int64_t (*now)(void);		/* NULL: time(NULL); tests move the clock */
};

enum store_sync_status {
	STORE_SYNC_OK,
	STORE_SYNC_LOCKED,	/* another process holds the store */
	STORE_SYNC_TOO_SOON,	/* LOGIN-DELAY: no connection was made */
	STORE_SYNC_STORE,	/* the store failed (disk full, read-only): result.store */
	STORE_SYNC_SERVER,	/* the server refused UIDL / LIST, or QUIT */
	STORE_SYNC_SESSION,	/* the session failed: result.pop3 */
	STORE_SYNC_CANCELLED,
	STORE_SYNC_NOMEM,
};

struct store_sync_result {
	size_t on_server;	/* messages the server lists */
	size_t in_store;	/* messages in the store at the end */
	size_t fetched;		/* downloaded and landed this time */
	unsigned long long fetched_bytes;
	size_t refused;		/* RETR answered -ERR (left for the next sync) */
	size_t duplicates;	/* a UIDL the server lists twice: fetched once */
	size_t deleted;		/* DELE committed by QUIT */
	int deletions_unknown;	/* the DELEs went out and QUIT got no +OK:
				   the server may have deleted them or not
				   (each has a durable copy either way) */
	size_t gone;		/* newly missing from the server */
	long expire_days;	/* CAPA EXPIRE: -1 none, -2 NEVER, else days */
	long login_delay;	/* CAPA LOGIN-DELAY seconds, 0 when none */
	enum pop3_status pop3;	/* the session's failure, POP3_OK */
	int store;		/* enum store_status of the store's failure */
};

/* Runs one sync. *err (malloc'd, the caller frees) says what failed when
 * the status is not STORE_SYNC_OK; server text in it is raw. */
enum store_sync_status store_sync(const struct store_sync_cfg *cfg,
    struct store_sync_result *res, char **err);

/* The values of CAPA EXPIRE and LOGIN-DELAY in a CAPA body (CRLF lines):
 * *expire -1 (absent), -2 (NEVER) or days; *delay 0 (absent) or seconds.
 * Pure, for the tests. */
void store_sync_capa(const char *body, size_t len, long *expire, long *delay);

#endif
