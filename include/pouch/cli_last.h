/*
 * cli_last.h: the state of one command-line session, shared by
 * src/cli_run.c (which runs the commands) and src/cli_last.c (which keeps
 * the bookkeeping: LIST sizes for the RETR integrity check, the UIDL map,
 * what was retrieved and deleted since the last RSET, and LAST answered
 * from pouch's record, lastrec.h).
 *
 * Owns: struct run and the arrays it points to (freed by cli_last_free).
 *
 * Who may include it: src/cli_run.c and src/cli_last.c only.
 */
#ifndef POUCH_CLI_LAST_H
#define POUCH_CLI_LAST_H

#include <stddef.h>

#include <pouch/cli_out.h>
#include <pouch/cli_run.h>
#include <pouch/lastrec.h>
#include <pouch/pop3.h>

struct run_size {
	unsigned long n;
	unsigned long long size;
};

struct run_uid {
	unsigned long n;
	char *uid;
};

struct run {
	const struct cli_session_cfg *cfg;
	struct pop3 *s;
	struct cli_trace trace;
	int exit;		/* the first failure's exit status; 0 so far */
	int conn_gone;		/* a fatal status: no RSET, no QUIT */
	int in_quit;		/* Ctrl-C is held back during QUIT */
	struct outbatch batch;	/* complete -o files waiting for their names */
	/* The progress line on a terminal's stderr (cli_run.c). */
	int progress_on, progress_shown;
	long long progress_t0, progress_last;
	unsigned long nretr_total, nretr_done;
	unsigned long long retr_octets;
	unsigned long server_last;
	void **reqs;		/* cli_run.c's requests in flight */
	size_t nreqs, capreqs;

	struct run_size *sizes;	/* sorted by n */
	size_t nsizes;
	int full_list;		/* sizes holds the whole LIST */
	struct run_uid *uids;	/* sorted by n */
	size_t nuids;
	int uidl_state;		/* 0 not asked, 1 known, -1 the server said -ERR */
	unsigned long *retr;	/* retrieved since the last RSET */
	size_t nretr, capretr;
	unsigned long *dele;	/* deleted since the last RSET */
	size_t ndele, capdele;
	struct lastrec *rec;	/* loaded when first needed */
	int rec_changed;	/* the record learned something besides retrievals */
	int uidl_sent;		/* a whole UIDL has been submitted */
	int rec_before_uidl;	/* rec was read before any UIDL was submitted */
};

/* In cli_run.c: wait for what is queued (-1 after a failure), and one
 * request of pouch's own, waited for. */
int cli_run_wait(struct run *run);
enum pop3_status cli_run_aux(struct run *run, enum pop3_cmd cmd, unsigned long n,
    char **server_text);

int cli_last_keep_list(struct run *run, const struct pop3_reply *r, unsigned long n);
int cli_last_keep_uidl(struct run *run, const struct pop3_reply *r);
/* 1 when the sizes of all of msgs are known. */
int cli_last_have_sizes(const struct run *run, const unsigned long *msgs, size_t n);
/* The LIST size of message n, or 0 when unknown. */
unsigned long long cli_last_size(const struct run *run, unsigned long n);
/* 1 when RETR should bring the UIDL map along: the record is kept and the
 * server is known to answer LAST with -ERR (loads the record). */
int cli_last_want_uidl(struct run *run);
void cli_last_no_uidl(struct run *run);

void cli_last_retrieved(struct run *run, unsigned long n);
int cli_last_deleted(struct run *run, unsigned long n);
size_t cli_last_ndeleted(const struct run *run);
void cli_last_rset(struct run *run);

/* LAST answered locally; -1 after a failure (already reported). */
int cli_last_local(struct run *run, unsigned long *n);
/* After QUIT +OK: merges this session's retrievals into the record. */
void cli_last_commit(struct run *run);
void cli_last_free(struct run *run);

#endif
