/*
 * store.h: the local store of one account: a standard Maildir (tmp/ new/
 * cur/) holding every downloaded message, and an index keyed by UIDL with
 * the header summary the reader's index shows.
 *
 * Owns: the store directory, its lock (.pouch-lock), its index
 * (.pouch-index), the messages pouch writes into it (tmp/, then new/ or
 * cur/), and struct store_msg (the index entries, read-only to callers).
 *
 * Who may include it: the session and command layers (src/sess_*.c,
 * src/cli_*.c), the reader, src/store_*.c, tests and fuzz targets. It
 * includes nothing above util.h; nothing here prints, exits or touches the
 * network.
 *
 * Where the UIDL lives: in the Maildir file name, ",U=<UIDL>" in the unique
 * part (bytes outside [A-Za-z0-9._+=@-] as %XX), e.g.
 *     new/1764528000.M123456P4242Q7.host,U=1f2e3d
 *     cur/1764528000.M123456P4242Q7.host,U=1f2e3d:2,S
 * not in a header pouch adds, because (1) the stored message stays
 * byte-identical to what the server sent (its SHA-256 is checkable), (2)
 * Maildir clients keep the unique part of a name when they change flags
 * or move new/ to cur/, and (3) the index can be rebuilt with readdir
 * alone, without opening a file, for every message pouch wrote.
 *
 * The index is a cache of the Maildir, not the truth about it. Every open
 * lists new/ and cur/ (readdir, no file opened) and reconciles: a file gone
 * (deleted by another client) leaves the index; a file pouch does not know
 * (added by another client, or landed just before a crash) is read and
 * summarised; a name whose flags another client changed is followed, and
 * the read flag ('S' in ":2,") is taken from it. The deletion mark and the
 * dates of download and of leaving the server live only in the index.
 *
 * The index file is a snapshot plus an append-only journal in one file:
 *     pouch-store 2
 *     m <TAB-separated fields of one message>     (add or replace, by name)
 *     d <name>                                     (forget a message)
 *     L <unix time> <seconds>                      (the last login, LOGIN-DELAY)
 * Records are appended (and fsynced once per landing or store_commit);
 * when the journal part outgrows the snapshot the file is rewritten
 * atomically (new file, fsync, rename, directory fsync). Why a journal:
 * one durable change (a flag, store_commit) measured 0.1-3 ms appended
 * against 10-23 ms rewriting a 10,000-message index and 97-165 ms a
 * 100,000-message one (bench/store/run), and reopening reads the same
 * bytes either way. A torn last line
 * (a crash during an append) is dropped silently; any other bad line is
 * reported as "FILE:LINE: what" (store_diag) and skipped, and the Maildir
 * scan then restores the message it described (its flags from the name).
 * Version 1 (the first draft of this store: name, UIDL and flags only, no
 * summary) is migrated on open by summarising each file; a newer version
 * than pouch knows is refused, never rewritten.
 *
 * Crash safety, in this order, for every message: written to tmp/NAME,
 * write-back started (sync_file_range) when complete; at landing every
 * file of the batch is fsynced, renamed to new/NAME (never replacing a
 * file), new/ is fsynced once; only then is the index record appended and
 * the index fsynced; only then does store_durable() answer 1 for its UIDL
 * (the condition for a DELE). A crash at any point leaves either nothing
 * (a tmp/ file pouch removes on the next writable open) or a complete
 * message in new/ that the next open finds by its name.
 *
 * Locking: a writable open takes an fcntl write lock on .pouch-lock
 * (which also holds the PID). A second writable open fails with
 * STORE_LOCKED and store_lock_pid() says who holds it; STORE_OPEN_TRY
 * opens read-only instead (the reader's way). A read-only store never
 * writes: its reconciliation stays in memory.
 *
 * Errors: functions return enum store_status; the text is in *err
 * (malloc'd, the caller frees; it names the file and the system's error).
 * Pointers returned by store_get/store_find stay valid until the next call
 * that changes the store.
 */
#ifndef POUCH_STORE_H
#define POUCH_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STORE_INDEX_VERSION 2
/* The index file is hostile input: larger than this is refused. */
#define STORE_INDEX_MAX (1024UL * 1024 * 1024)
/* A UIDL is 1 to 70 characters 0x21..0x7E (RFC 1939 section 7). */
#define STORE_UID_MAX 70
/* A landing batch: files or bytes, whichever is reached first. */
#define STORE_BATCH_FILES 128
#define STORE_BATCH_BYTES (64ull << 20)
/* Files store_expect's thread keeps made ahead of store_put_open. */
#define STORE_SPARE_AHEAD 64

enum store_status {
	STORE_OK = 0,
	STORE_LOCKED,		/* another process holds the lock (store_lock_pid) */
	STORE_READONLY,		/* the store was opened read-only */
	STORE_CORRUPT,		/* the index is from a newer pouch, or unreadable */
	STORE_EXISTS,		/* that UIDL is already in the store */
	STORE_NOTFOUND,
	STORE_ERR,		/* a system call failed (disk full, permissions) */
	STORE_NOMEM,
};
const char *store_status_name(enum store_status st);

enum store_open_mode {
	STORE_OPEN_RDWR,	/* lock, or STORE_LOCKED */
	STORE_OPEN_RDONLY,	/* no lock, no writes */
	STORE_OPEN_TRY,		/* writable when the lock is free, else read-only */
};

enum store_flag {
	STORE_F_READ = 1 << 0,		/* also 'S' in the file name */
	STORE_F_DELETE = 1 << 1,	/* marked for deletion from the server */
};

struct store_msg {
	const char *uid;	/* the UIDL; "" for a file another client added */
	const char *file;	/* "new/NAME" or "cur/NAME:2,FLAGS", relative to the store */
	const char *from_name;	/* decoded UTF-8 display name, "" when none */
	const char *from_addr;	/* local@domain, "" when none */
	const char *subject;	/* decoded UTF-8, "" when none */
	/* The strings above never hold NUL (a decoded NUL becomes U+FFFD) and
	 * are unsanitised: the reader escapes them for the terminal. */
	int64_t date;		/* the Date: header, seconds since the epoch; */
	int has_date;		/* 0 when absent or unparsable */
	unsigned long long size;	/* octets of the file */
	int attach;		/* has an attachment (mime_is_attachment) */
	unsigned flags;		/* enum store_flag */
	int64_t t_download;	/* when it landed (or the file's mtime) */
	int64_t t_gone;		/* when a sync first missed it on the server; 0 */
	/* private to the store */
	char *blk_;
};

struct store;

/* Opens the store at dir; a writable open creates it (directories mode
 * 0700) when missing. On STORE_LOCKED *out is NULL, *err names the
 * holder's PID and *locker (when not NULL) gets it. Any other status but
 * STORE_OK leaves *out NULL with *err set. What the open found wrong with
 * the index (bad lines, a rebuild) is kept for store_diag; a read-only
 * open reconciles in memory and writes nothing. */
enum store_status store_open(const char *dir, enum store_open_mode mode,
    struct store **out, pid_t *locker, char **err);
/* Appends the pending journal, compacts when due, releases the lock. NULL
 * is allowed. Files of a batch not landed are removed. */
enum store_status store_close(struct store *st, char **err);

int store_readonly(const struct store *st);
/* The PID holding the lock when the store was opened read-only for it; 0. */
pid_t store_lock_pid(const struct store *st);
const char *store_dir(const struct store *st);

/* What the open found wrong with the index ("FILE:LINE: ..."), or that it
 * was rebuilt; i from 0; NULL past the end. */
const char *store_diag(const struct store *st, size_t i);
/* Messages added to / removed from the index by the open's Maildir scan. */
size_t store_scan_added(const struct store *st);
size_t store_scan_removed(const struct store *st);

/* The messages, in the order of their download. */
size_t store_count(const struct store *st);
const struct store_msg *store_get(const struct store *st, size_t i);
/* By UIDL; NULL when absent. */
const struct store_msg *store_find(const struct store *st, const char *uid);
/* 1 when uid's message is in new/ or cur/, its directory fsynced, and the
 * index recorded it: a DELE may go out. */
int store_durable(const struct store *st, const char *uid);
/* The absolute path of a message's file (malloc'd), or NULL. */
char *store_path(const struct store *st, const struct store_msg *m);

/*
 * Writing a message: store_put_open creates tmp/NAME (O_EXCL, 0600);
 * store_put_write appends; store_put_close summarises it (the in-tree MIME
 * decoder), starts its write-back and adds it to the landing batch (p is
 * freed); store_put_abort removes it. Nothing is in the store, and
 * store_find does not see it, before store_land.
 */
struct store_put;
/* Says that about n messages will be written next (a sync's RETRs): a
 * helper thread creates their tmp/ files ahead (at most STORE_SPARE_AHEAD
 * at a time), so that the file system's inode allocation runs beside the
 * caller's reading instead of in its way; store_put_open takes them in
 * order, and creates its own once they run out or the thread failed.
 * Files made and not taken are removed by the next store_expect (n == 0
 * just stops), store_close or a crash's next writable open. 0, or -1
 * when no thread could start (nothing changes then). Nothing else in the
 * store is touched by the thread. */
int store_expect(struct store *st, size_t n);
enum store_status store_put_open(struct store *st, const char *uid,
    struct store_put **out, char **err);
enum store_status store_put_write(struct store_put *p, const void *buf,
    size_t n, char **err);
enum store_status store_put_close(struct store_put *p, char **err);
void store_put_abort(struct store_put *p);
/* 1 when the batch should land before more is added. */
int store_batch_full(const struct store *st);
size_t store_batch_count(const struct store *st);
/* Lands the batch (see the order above). A file that fails is removed and
 * the first failure returned; the others still land. *landed (may be NULL)
 * gets how many did. */
enum store_status store_land(struct store *st, size_t *landed, char **err);

/* Flags: the read flag renames the file (new/NAME <-> cur/NAME:2,S);
 * both are journalled. */
enum store_status store_set_flags(struct store *st, const char *uid,
    unsigned set, unsigned clear, char **err);
/* When a sync first missed it on the server (0: back on the server). */
enum store_status store_set_gone(struct store *st, const char *uid,
    int64_t when, char **err);
/* The last successful login and the LOGIN-DELAY (RFC 2449) the server
 * announced then, in seconds (0: none); 0 when never. */
int64_t store_last_login(const struct store *st, long *delay);
enum store_status store_set_last_login(struct store *st, int64_t when,
    long delay, char **err);
/* Writes and fsyncs what is journalled so far. */
enum store_status store_commit(struct store *st, char **err);
/* Rewrites the index atomically (the snapshot of what is in memory). */
enum store_status store_compact(struct store *st, char **err);

/* Tuning for the benchmarks: 0 keeps the journal (the default), 1 rewrites
 * the whole index at every commit instead. */
void store_set_rewrite_always(struct store *st, int on);

/*
 * The index text, parsed (src/store_index.c; pure, for the fuzz target).
 * Each record goes to on_msg / on_del / on_login; each bad line to on_diag
 * with its line number. A last line without '\n' is a torn append and is
 * ignored (*torn set to its offset, else len). Returns the version, or -1
 * when the first line is not "pouch-store N" (then nothing is called).
 */
struct store_index_cb {
	void (*on_msg)(void *ctx, const struct store_msg *m);	/* strings valid during the call */
	void (*on_del)(void *ctx, const char *name);
	void (*on_login)(void *ctx, int64_t when, long delay);
	void (*on_diag)(void *ctx, unsigned long line, const char *what);
	void *ctx;
};
int store_index_parse(const char *text, size_t len,
    const struct store_index_cb *cb, size_t *torn);
/* Appends the record of m ("m ...\n") to b: 0, or -1 when memory ran out. */
struct dbuf;
int store_index_format_msg(struct dbuf *b, const struct store_msg *m);

/* The Maildir base name (the part before ':') of a file or path. */
size_t store_name_base(const char *name, const char **base);
/* The UIDL in a file name's ",U=" (malloc'd, decoded), or NULL. */
char *store_name_uid(const char *name);

#endif
