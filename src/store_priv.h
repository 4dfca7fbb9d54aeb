/*
 * store_priv.h: what src/store.c (open, lock, index file), src/store_msgs.c
 * (the messages in memory), src/store_scan.c (the Maildir), src/store_put.c
 * (writing and landing messages, flags) and src/store_sum.c (the header
 * summary) share. Nobody else includes it.
 */
#ifndef POUCH_STORE_PRIV_H
#define POUCH_STORE_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <pouch/store.h>
#include <pouch/util.h>

struct store_sum {
	char *from_name, *from_addr, *subject;	/* malloc'd, never NULL after 0 */
	int64_t date;
	int has_date;
	int attach;
};

/* A string -> index table (open addressing); the keys live in the
 * messages, a slot holds index + 1 (0: empty) and the key's hash, so that
 * probing and growing compare hashes, not names. */
struct store_slot {
	size_t idx1;
	size_t hash;
};
struct store_map {
	struct store_slot *slot;
	size_t cap;	/* a power of two, or 0 */
	size_t n;
};

struct store_put {
	struct store *st;
	char *uid;
	char *name;		/* the Maildir base name */
	char *tmp;		/* DIR/tmp/NAME */
	int fd;
	int failed;
	unsigned long long written;
	struct store_msg m;	/* the summary once closed (m.blk_ owns it) */
};

struct store {
	char *dir;
	int lockfd;
	int readonly;
	pid_t locker;
	struct store_msg *msgs;	/* download order; file == NULL: forgotten */
	size_t n, cap;
	struct store_map by_name, by_uid;
	char **diags;
	size_t ndiags;
	size_t scan_added, scan_removed;
	int64_t last_login;
	long login_delay;
	struct dbuf journal;	/* records not yet appended */
	size_t jrecords;	/* records in the file past its snapshot */
	int idxfd;		/* the index, O_APPEND, or -1 */
	struct store_put **batch;
	size_t nbatch, capbatch;
	unsigned long long batch_bytes;
	unsigned seq;
	char host[64];
	struct store_spares *spares;	/* store_expect's thread, or NULL */
	int rewrite_always;
};

/* store_spare.c: the next file store_expect's thread made (its fd and
 * its malloc'd base name "...,U="): 0, or -1 when there is none to come
 * (no thread, the number reached, a failure). */
int store_spare_take(struct store *st, int *fd, char **base);
/* Stops the thread and removes the files it made that were not taken. */
void store_spare_stop(struct store *st);

/* Copies src's strings into one block owned by dst (dst->blk_); the old
 * block is freed after, so src may point into it. 0 or -1. */
int store_msg_pack(struct store_msg *dst, const struct store_msg *src);
/* Appends m as a new message (the maps are updated). 0 or -1. */
int store_msgs_add(struct store *st, const struct store_msg *m);
/* The index of a message by base name / UIDL, or (size_t)-1. */
size_t store_by_name(const struct store *st, const char *base, size_t n);
size_t store_by_uid(const struct store *st, const char *uid);
/* Journals m's current record. 0 or -1 (out of memory). */
int store_journal_msg(struct store *st, const struct store_msg *m);
/* Adds a diagnostic (printf-like). */
void store_diagf(struct store *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Reconciles the index with what new/ and cur/ hold; migrate: summarise
 * every file (an index of version 1). 0, or -1 with *err. */
int store_scan(struct store *st, int migrate, char **err);
/* Drops forgotten messages (file == NULL) and rebuilds both maps. */
int store_msgs_compact(struct store *st);
/* Reads and summarises DIR/FILE into m's summary fields (and size, and
 * t_download from its mtime); fsyncs it when fsync_it. 0, or -1 with *err. */
int store_summarize_file(const struct store *st, const char *file,
    struct store_sum *s, unsigned long long *size, int64_t *mtime,
    int fsync_it, char **err);


/* The summary of a message's len bytes (mime_parse): the first From
 * mailbox, the Subject and Date, and whether any part is an attachment.
 * NUL bytes in decoded text become U+FFFD. 0, or -1 when memory ran out. */
int store_summarize(const char *buf, size_t len, struct store_sum *s);
void store_sum_free(struct store_sum *s);

#endif
