/*
 * store_flags.h: the reader's read flags by UIDL, in the store. For a
 * message the store holds, the flag is the store's own (STORE_F_READ, the
 * ":2,S" of its file name); for one it does not hold (never fetched, or
 * the store could not keep it) the flag waits in the store's directory, in
 * STORE_READS_FILE ("pouch-read/1", then one UIDL a line, replaced
 * atomically), and becomes the store's flag when the message arrives
 * (store_reads_apply). This also takes over the read-state file that
 * earlier readers kept beside the LAST record (store_reads_migrate).
 *
 * Owns: the set of pending UIDLs (in memory, and the file).
 *
 * Who may include it: the reader (src/ui_mbox.c) and tests.
 *
 * A read-only store (another pouch holds the lock) gets nothing written:
 * store_reads_set keeps the flag in memory and says STORE_READONLY.
 */
#ifndef POUCH_STORE_FLAGS_H
#define POUCH_STORE_FLAGS_H

#include <stddef.h>

#include <pouch/store.h>

#define STORE_READS_FILE "pouch-read-pending"
#define STORE_READS_MAGIC "pouch-read/1\n"

struct store_reads;

/* Loads the pending flags of st (a missing file is an empty set; a bad
 * line is skipped). NULL with *err when the file cannot be read. */
struct store_reads *store_reads_open(struct store *st, char **err);
void store_reads_free(struct store_reads *r);
/* uid is read: the store's flag says so, or a pending flag. */
int store_reads_has(const struct store_reads *r, const char *uid);
size_t store_reads_pending(const struct store_reads *r);
/* Marks uid read: the store's flag when it holds the message (journalled,
 * store_commit makes it durable), else a pending flag written at once.
 * STORE_OK, STORE_READONLY (kept in memory only), or the failure. */
enum store_status store_reads_set(struct store_reads *r, const char *uid, char **err);
/* Pending flags of messages the store now holds become its flags (and are
 * dropped from the file). */
enum store_status store_reads_apply(struct store_reads *r, char **err);
/* An old read-state file: its UIDLs are set (one write of the pending file,
 * one store_commit), then path is renamed to path.migrated. A missing file:
 * STORE_OK with *n 0. A read-only store: the UIDLs are kept in memory and
 * the file is left as it is (STORE_READONLY). *n gets the UIDLs taken. */
enum store_status store_reads_migrate(struct store_reads *r, const char *path,
    size_t *n, char **err);
/* Parses "pouch-read/1" text: calls on_uid for each valid UIDL (RFC 1939:
 * 1 to 70 characters 0x21..0x7E). -1 when the first line is not the magic. */
int store_reads_parse(const char *text, size_t len,
    int (*on_uid)(void *ctx, const char *uid), void *ctx);

#endif
