/*
 * lastrec.h: pouch's LAST record, so that `pouch URL last` has an answer
 * when the server no longer knows LAST (RFC 1460; Dovecot answers -ERR).
 *
 * Per account (user@host:port) one file holds the messages retrieved with RETR in committed sessions (QUIT answered +OK):
 * by UIDL when the session knew one that names the message alone ("uid"),
 * else by message number ("num", renumbered as committed deletions
 * renumber the mailbox); and whether the server answered LAST with -ERR
 * once ("server-last no"): only then does pouch spend a UIDL on sessions
 * that retrieve. How these answer LAST: sess_last.c. The file:
 *
 *     pouch-last 1
 *     account alice@mail.example.org:995
 *     server-last no
 *     num 7
 *     uid 1f2e3d...
 *     uid ...
 *
 * "max N", which records written before "num" hold, reads as "num N".
 *
 * Where the file lives: in the account's store, STORE/.pouch-last
 * (lastrec_store_path), beside the store's index and lock but with its own
 * lock (.pouch-last.lock), since `pouch URL last` and `retr` use the record
 * without opening the store. Before, it lived in a state directory shared
 * by every account, STATE_DIR/last-ACCOUNT (lastrec_path): that is still
 * where `--state-dir DIR` keeps it, and where lastrec_migrate finds an old
 * record to merge into the store's on first use.
 *
 * Owns: struct lastrec (the set, kept sorted), the file's name and format.
 *
 * Who may include it: src/sess*.c, src/cli*.c and tests/test_cli_units.c.
 *
 * The file is hostile input: capped (LASTREC_MAX_FILE), every line checked
 * (a UIDL is 1 to 70 characters 0x21..0x7E, RFC 1939 section 7), and a
 * record that fails any check is reported as corrupt rather than half used.
 * It is written to a temporary file, fsynced and renamed over the old one,
 * in a directory created with mode 0700; the file gets mode 0600.
 */
#ifndef POUCH_LASTREC_H
#define POUCH_LASTREC_H

#include <stddef.h>

struct dbuf;

#define LASTREC_MAX_FILE (64UL * 1024 * 1024)
#define LASTREC_UID_MAX 70
/* How long a session waits for another one's commit of the record. */
#define LASTREC_LOCK_WAIT_MS 10000

enum lastrec_status {
	LASTREC_OK,
	LASTREC_CORRUPT,	/* the file exists but is not a record for this account */
	LASTREC_ERR,		/* a system call failed */
	LASTREC_NOMEM,
};

struct lastrec;

/* An empty record for account ("user@host:port"). NULL: out of memory. */
struct lastrec *lastrec_new(const char *account);
void lastrec_free(struct lastrec *r);

/* Replaces the contents with the text of a record file. On CORRUPT, *err
 * says where and the record is left empty. */
enum lastrec_status lastrec_parse(struct lastrec *r, const char *text,
    size_t len, char **err);
/* Renders the record file (malloc'd), or NULL. */
char *lastrec_format(const struct lastrec *r, size_t *len);

/* A missing file is an empty record (LASTREC_OK). */
enum lastrec_status lastrec_load(struct lastrec *r, const char *path, char **err);
/* Creates the directory (and missing parents) with mode 0700, writes
 * path.XXXXXX (mkostemp: O_EXCL, 0600), fsyncs, renames it to path, fsyncs
 * the directory. */
enum lastrec_status lastrec_save(const struct lastrec *r, const char *path,
    char **err);

/* Takes an exclusive lock (flock) on path.lock, creating the directory as
 * lastrec_save does, waiting at most timeout_ms for another pouch to let go.
 * Sessions on one account load, merge and save the record under it, so
 * that two running at once do not lose each other's retrievals. The fd for
 * lastrec_unlock, or -1 with *err. */
int lastrec_lock(const char *path, long timeout_ms, char **err);
void lastrec_unlock(int fd);

/* STORE/.pouch-last. NULL: out of memory. */
char *lastrec_store_path(const char *store_dir);
/* STATE_DIR/last-ACCOUNT with every byte outside [A-Za-z0-9.@_+-] as %XX
 * (so the account cannot name another directory). NULL: out of memory. */
char *lastrec_path(const char *state_dir, const char *account);
/* Appends the account as one file-name component, as lastrec_path writes
 * it (the store's default directory is named the same way): every byte
 * outside [A-Za-z0-9@_+-], and a leading '.', as %XX. 0, or -1 when memory
 * ran out (the buffer is then freed). */
int lastrec_add_account(struct dbuf *b, const char *account);

/* Adds every retrieval src holds to dst (UIDLs and numbers: a union), and
 * its "server-last no". 0, or -1 out of memory (dst then holds part). */
int lastrec_merge(struct lastrec *dst, const struct lastrec *src);

/*
 * Moves the record at old_path (a state directory's) into the one at path
 * (the store's), for account: when old_path exists, under path's lock
 * (lastrec_lock), the old record is merged into path's and path is saved
 * durably (lastrec_save); only then is old_path renamed to
 * old_path.migrated (.migrated.2, ... when that exists: never replacing a
 * file, never deleting one) and its directory fsynced. A crash in between
 * merges it again next time, which changes nothing (a union). No old file:
 * LASTREC_OK at the cost of one lstat, nothing created. An old file that
 * does not parse is renamed aside all the same (nothing is lost), with
 * LASTREC_CORRUPT and *err saying so. When path's record does not parse
 * or a step fails, nothing is renamed (ERR/CORRUPT, *err). *moved (may be
 * NULL) gets the name the old file took (malloc'd), else NULL.
 */
enum lastrec_status lastrec_migrate(const char *old_path, const char *path,
    const char *account, char **moved, char **err);

/* 1 when the syntax is that of a UIDL pouch can keep. */
int lastrec_uid_valid(const char *uid);
int lastrec_has(const struct lastrec *r, const char *uid);
/* 0, or -1 (out of memory, or an invalid UIDL, which is not kept). */
int lastrec_add(struct lastrec *r, const char *uid);
/* Drops every UIDL for which keep() returns 0; returns how many went. */
size_t lastrec_prune(struct lastrec *r, int (*keep)(void *ctx, const char *uid),
    void *ctx);
size_t lastrec_count(const struct lastrec *r);
/* The message numbers, ascending, without duplicates; 0 is never one.
 * lastrec_max is the highest (0 when there is none). add: 0, or -1 (out of
 * memory, or n == 0). */
unsigned long lastrec_max(const struct lastrec *r);
int lastrec_num_add(struct lastrec *r, unsigned long n);
size_t lastrec_num_count(const struct lastrec *r);
unsigned long lastrec_num_get(const struct lastrec *r, size_t i);
void lastrec_num_clear(struct lastrec *r);
/* Nonzero once the server answered LAST with -ERR. */
int lastrec_nolast(const struct lastrec *r);
void lastrec_set_nolast(struct lastrec *r, int nolast);

#endif
