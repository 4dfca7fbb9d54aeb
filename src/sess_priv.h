/*
 * sess_priv.h: the inside of struct sess, shared by src/sess.c (requests,
 * failures, the end) and src/sess_last.c (sizes, the UIDL map, retrievals
 * and deletions, LAST and its record). Included by those two files only.
 */
#ifndef POUCH_SESS_PRIV_H
#define POUCH_SESS_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <pouch/lastrec.h>
#include <pouch/pop3.h>
#include <pouch/sess.h>

struct sess_size {
	unsigned long n;
	unsigned long long size;
};

struct sess_uid {
	unsigned long n;
	size_t off;		/* the UID in the map's arena; the byte before it
				   is 1 for one pouch can keep (lastrec_uid_valid
				   and listed once), else 0: no UIDL features */
};

/* A UIDL map, compact for a listing of millions (issue 9 item 8): every
 * UID in one arena, 16 octets per message and 4 more for the order by
 * UID, besides the UID itself. */
struct sess_umap {
	struct sess_uid *v;	/* sorted by n once done */
	size_t n, cap;
	char *arena;
	size_t len, acap;
	uint32_t *byuid;	/* indices into v, sorted by UID, then n */
};

/* One request in the engine's queue; freed when its on_done has run. */
struct sreq {
	struct sess *s;
	struct sreq *next, *prev;	/* the live requests */
	enum pop3_cmd cmd;
	int has_n;
	unsigned long n, lines;
	int aux;			/* sess's own */
	int started;			/* on_data was called */
	int stream;			/* a whole LIST or UIDL read through on_item */
	int withdraw_tried;		/* sess_withdraw asked the engine for it */
	unsigned long long expect;	/* RETR: LIST's size, 0 while unknown */
	struct sess_req user;		/* the caller's (aux: zero) */
	/* LAST: the caller's callback and the retrievals known at the reply */
	void (*on_last)(void *, unsigned long, int, const char *);
	void *last_ctx;
	char *last_text;		/* UIDL for LAST: the server's status text */
	int last_ok;			/* UIDL for LAST: the server answered +OK last_count */
	unsigned long last_count;
};

/* END_EARLY: sess_opts.quit_early's QUIT is queued, cbs.sync not yet
 * called (the caller's requests may still be running). */
enum end_state { END_NONE, END_WANT, END_EARLY, END_UNDO, END_RSET, END_QUIT, END_MARKS,
	END_DONE };

struct sess {
	struct sess_opts o;
	struct pop3 *p;
	struct sreq *live;
	size_t nuser;			/* the caller's requests in live */
	int connected, conn_gone;
	int connecting;			/* sess_connect_start: the login goes on */
	size_t retr_hint;		/* sess_expect_retr */
	int list_pending;		/* a whole LIST of sess's is in flight */

	/* the first failure */
	int failed;
	struct sess_failure fail;
	char *fail_label, *fail_text, *fail_server;

	/* the end */
	enum end_state end;
	struct sess_end res;
	char *quit_text, *quit_error, *record_error;
	int end_reported;
	int undo_dele;			/* sess_end_marks: RSET the session's DELEs first */

	/* sess_last.c */
	struct sess_size *sizes;	/* sorted by n */
	size_t nsizes;
	int full_list;
	struct sess_umap um;		/* the UIDL map (um.n == 0: none) */
	struct sess_umap unew;		/* a whole UIDL being read */
	const struct sreq *unew_q;	/* whose items unew holds */
	struct sess_size *nsz;		/* a whole LIST being read */
	size_t nnsz, capnsz;
	const struct sreq *nsz_q;
	int uidl_state;			/* 0 not asked, 1 known, -1 refused */
	int uidl_sent;			/* a whole UIDL: 0 never sent, 1 in flight, 2 answered */
	unsigned long *retr;		/* retrieved since the last RSET */
	size_t nretr, capretr;
	unsigned long *dele;		/* deleted since the last RSET */
	size_t ndele, capdele;
	unsigned long *mark_n;		/* the marks' numbers, predicted before their commit */
	size_t nmark_n;
	int marks_unsure;		/* the marks deleted messages that cannot be placed */
	struct lastrec *rec;		/* loaded when first needed */
	int rec_loaded;
	int rec_changed;		/* learned something besides retrievals */
	int rec_before_uidl;		/* rec was read before any UIDL was submitted */
};

/* sess.c */
enum sess_status sess_submit_aux(struct sess *s, enum pop3_cmd cmd, int has_n,
    unsigned long n, struct sreq **out);
void sess_warn(struct sess *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* sess_last.c */
int sess_keep_list(struct sess *s, const struct pop3_reply *r, int has_n);
int sess_keep_uidl(struct sess *s, const struct pop3_reply *r);
/* A whole LIST or UIDL line by line, as it arrives (pop3_req.on_item), for
 * request q: each item, then the end (ok: the reply was +OK and nothing
 * failed; else what was gathered is dropped). -1: out of memory. */
int sess_list_item(struct sess *s, const struct sreq *q, const struct pop3_item *it);
int sess_list_end(struct sess *s, const struct sreq *q, int ok);
int sess_uidl_item(struct sess *s, const struct sreq *q, const struct pop3_item *it);
int sess_uidl_end(struct sess *s, const struct sreq *q, int ok);
int sess_want_uidl(struct sess *s);
int sess_retrieved(struct sess *s, unsigned long n);
int sess_deleted(struct sess *s, unsigned long n);
void sess_rset_done(struct sess *s);
void sess_record_nolast(struct sess *s);
unsigned long sess_last_local(struct sess *s);
/* The record holds UIDLs that only this session's UIDL map can place. */
int sess_record_wants_map(struct sess *s);
void sess_last_commit(struct sess *s);
/* Before and after pop3_marks_commit: which numbers its DELEs hit, so
 * that the record's numbers follow them. */
void sess_marks_predict(struct sess *s);
void sess_marks_done(struct sess *s);
void sess_last_free(struct sess *s);

#endif
