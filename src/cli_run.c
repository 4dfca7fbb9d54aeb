/*
 * cli_run.c: the commands of one command line on one POP3 session (see
 * cli_run.h).
 *
 * Commands are submitted without waiting, so the engine can pipeline them
 * ("stat -- list -- uidl", "retr 1-300", "dele 1 2 3") when the server
 * allows; pouch waits only where it needs an answer to go on (the LIST
 * sizes before RETR, the reply to LAST) and at the end. Results are printed
 * from the on_done callbacks, in order. After the first failure nothing
 * more is printed or saved: later replies already in flight are drained and
 * dropped, and the session ends with RSET and QUIT (or, when the connection
 * is gone, with no QUIT at all), so nothing is deleted.
 */
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/cli.h>
#include <pouch/cli_last.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pouch/cli_out.h>
#include <pouch/cli_run.h>
#include <pouch/pop3.h>
#include <pouch/util.h>

struct req {
	struct run *run;
	enum pop3_cmd cmd;
	unsigned long n, lines;
	int aux;		/* pouch's own request: a -ERR is not a failure */
	int to_stdout;		/* RETR, TOP: stream the body to stdout */
	int out_started;	/* to_stdout: the body has begun */
	long long out_start;	/* to_stdout: stdout's offset before the body, -1 unseekable */
	unsigned long long out_bytes;	/* to_stdout: octets handed to stdout */
	const char *dir;	/* RETR -o DIR */
	unsigned long long expect;	/* RETR: LIST's size, 0 while unknown */
	struct outfile out;
	int out_open;
	enum pop3_status status;
	char *server_text;	/* aux requests: the -ERR text */
};

static int
exit_for(enum pop3_status st)
{
	switch (st) {
	case POP3_OK: return EXIT_POUCH_OK;
	case POP3_ERR_SERVER: return EXIT_POUCH_SERVER;
	case POP3_ERR_AUTH: return EXIT_POUCH_AUTH;
	case POP3_ERR_TLS: return EXIT_POUCH_TLS;
	case POP3_ERR_NET: case POP3_ERR_TIMEOUT: return EXIT_POUCH_NET;
	case POP3_ERR_PROTO: return EXIT_POUCH_PROTO;
	case POP3_ERR_CANCELLED: return EXIT_POUCH_CANCEL;
	case POP3_ERR_USAGE: return EXIT_POUCH_USAGE;
	case POP3_ERR_NOMEM: return EXIT_POUCH_LOCAL;
	case POP3_WITHDRAWN: break;	/* the command line withdraws nothing */
	}
	return EXIT_POUCH_PROTO;
}

/* What kind of failure, in words a script can grep for. */
static const char *
status_word(enum pop3_status st)
{
	switch (st) {
	case POP3_ERR_AUTH: return "login failed";
	case POP3_ERR_TLS: return "TLS failure";
	case POP3_ERR_NET: return "connection closed";
	case POP3_ERR_TIMEOUT: return "timed out";
	case POP3_ERR_PROTO: return "protocol violation";
	case POP3_ERR_CANCELLED: return "interrupted";
	case POP3_ERR_NOMEM: return "out of memory";
	default: return "failed";
	}
}

/* "RETR 9", "TOP 1 5", "STAT": how a request is named in messages. */
static void
req_label(const struct req *q, char *buf, size_t n)
{
	const char *name = pop3_cmd_name(q->cmd);

	if (q->cmd == POP3_TOP)
		snprintf(buf, n, "%s %lu %lu", name, q->n, q->lines);
	else if (q->n)
		snprintf(buf, n, "%s %lu", name, q->n);
	else
		snprintf(buf, n, "%s", name);
}

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Long retrievals show a line on a terminal's stderr, redrawn in place
 * (carriage return, no escape sequences) at most four times a second,
 * from the second second on; anything else pouch says first clears it. */
static void
progress_clear(struct run *run)
{
	if (run->progress_shown) {
		fprintf(stderr, "\r%60s\r", "");
		run->progress_shown = 0;
	}
}

static void
progress_show(struct run *run)
{
	long long now;
	double mb;

	if (!run->progress_on || run->nretr_total == 0)
		return;
	now = mono_ms();
	if (run->progress_t0 == 0)
		run->progress_t0 = now;
	if (now - run->progress_t0 < 1000 || now - run->progress_last < 250)
		return;
	run->progress_last = now;
	mb = (double)(run->retr_octets + pop3_body_progress(run->s)) / 1e6;
	fprintf(stderr, "\rpouch: retr %lu of %lu done, %.1f MB  (Ctrl-C cancels) ",
	    run->nretr_done, run->nretr_total, mb);
	run->progress_shown = 1;
}

/* Records the first failure and says so on stderr. */
static void
run_fail(struct run *run, int code, const char *label, const char *what,
    const char *server_text)
{
	if (run->exit)
		return;
	run->exit = code;
	progress_clear(run);
	fprintf(stderr, "pouch: %s: ", label);
	if (server_text) {
		fputs("server said: -ERR", stderr);
		if (*server_text) {
			fputc(' ', stderr);
			cli_escape_puts(stderr, server_text);
		}
	} else {
		cli_escape_puts(stderr, what);
	}
	fputc('\n', stderr);
}

static void
run_fail_status(struct run *run, const struct req *q, const struct pop3_reply *r)
{
	char label[64];

	req_label(q, label, sizeof label);
	if (pop3_status_fatal(r->status))
		run->conn_gone = 1;
	if (r->status == POP3_ERR_SERVER) {
		run_fail(run, EXIT_POUCH_SERVER, label, NULL, r->text ? r->text : "");
	} else {
		char *what = str_printf("%s: %s", status_word(r->status),
		    r->error ? r->error : pop3_status_name(r->status));

		run_fail(run, exit_for(r->status), label, what ? what : "out of memory", NULL);
		free(what);
	}
}

/* A write to stdout failed: a Ctrl-C that interrupted a blocked write is
 * an interrupt, not a local error. */
static void
stdout_failed(struct run *run, const char *label)
{
	if (*run->cfg->interrupted)
		run_fail(run, EXIT_POUCH_CANCEL, label, "interrupted", NULL);
	else
		run_fail(run, EXIT_POUCH_LOCAL, label, "writing to stdout failed", NULL);
}

/* Where the body about to go to stdout will start, when it can be cut off
 * again: stdout is a regular file, pouch writes at its end (O_APPEND, or the
 * offset is the size), and stderr is not the same file. Else -1. */
static long long
stdout_offset(void)
{
	struct stat st, se;
	off_t off;
	int fl;

	if (fflush(stdout) != 0 || fstat(STDOUT_FILENO, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	if (fstat(STDERR_FILENO, &se) == 0 && se.st_dev == st.st_dev && se.st_ino == st.st_ino)
		return -1;	/* 2>&1: an error line would be cut too */
	fl = fcntl(STDOUT_FILENO, F_GETFL);
	if (fl < 0)
		return -1;
	off = (fl & O_APPEND) ? st.st_size : lseek(STDOUT_FILENO, 0, SEEK_CUR);
	if (off < 0 || off != st.st_size)
		return -1;	/* "1<>file": what lies beyond is not pouch's */
	return (long long)off;
}

/* A RETR or TOP to stdout failed after part of its body went out. On a
 * regular file ("retr 3 > msg.eml", "retr 3 >> mbox") the part is cut off
 * again, so the file never ends in a partial message, provided the file
 * still ends within what pouch wrote; on a pipe or a terminal it cannot
 * be, and stderr says so. */
static void
stdout_unwind(struct run *run, struct req *q)
{
	char label[64];
	struct stat st;
	int cut = 0;

	if (!q->to_stdout || !q->out_started || !q->out_bytes)
		return;
	req_label(q, label, sizeof label);
	if (q->out_start >= 0) {
		clearerr(stdout);
		(void)fflush(stdout);
		/* Whatever stdio could not write is dropped with the rest. */
		__fpurge(stdout);
		if (fstat(STDOUT_FILENO, &st) == 0 && st.st_size >= q->out_start &&
		    (unsigned long long)(st.st_size - q->out_start) <= q->out_bytes)
			cut = ftruncate(STDOUT_FILENO, (off_t)q->out_start) == 0 &&
			    fseeko(stdout, (off_t)q->out_start, SEEK_SET) == 0;
	}
	progress_clear(run);
	if (cut)
		fprintf(stderr, "pouch: %s: the partial message was cut from standard output\n",
		    label);
	else
		fprintf(stderr, "pouch: %s: standard output got a partial message "
		    "(%llu octets)\n", label, q->out_bytes);
	q->out_bytes = 0;
}

static int
on_data(void *ctx, const char *p, size_t n)
{
	struct req *q = ctx;
	struct run *run = q->run;
	char *err = NULL;
	char label[64];

	if (run->exit)
		return 0;	/* drained and dropped: we stopped at the failure */
	if (q->to_stdout) {
		if (!q->out_started) {
			q->out_started = 1;
			q->out_start = stdout_offset();
		}
		q->out_bytes += n;
		if (fwrite(p, 1, n, stdout) != n) {
			req_label(q, label, sizeof label);
			stdout_failed(run, label);
			/* Cancelling closes the connection without QUIT. */
			return *run->cfg->interrupted;
		}
		return 0;
	}
	if (!q->out_open) {
		if (outfile_open(&q->out, q->dir, q->n, &err) != OUTFILE_OK) {
			req_label(q, label, sizeof label);
			run_fail(run, EXIT_POUCH_LOCAL, label, err ? err : "out of memory", NULL);
			free(err);
			return 0;
		}
		q->out_open = 1;
	}
	if (outfile_write(&q->out, p, n, &err) != OUTFILE_OK && err) {
		req_label(q, label, sizeof label);
		run_fail(run, EXIT_POUCH_LOCAL, label, err, NULL);
		free(err);
	}
	return 0;
}

static void
print_items(const struct pop3_reply *r, int uid)
{
	size_t i;

	for (i = 0; i < r->nitems; i++) {
		if (uid) {
			printf("%lu ", r->items[i].n);
			cli_escape_puts(stdout, r->items[i].uid);
			putchar('\n');
		} else {
			printf("%lu %llu\n", r->items[i].n, r->items[i].size);
		}
	}
}

static void
print_capa(const struct pop3_reply *r)
{
	const char *p = r->body, *end = r->body + r->body_len, *nl;
	size_t n;

	while (p && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n && p[n - 1] == '\r')
			n--;
		cli_escape_put(stdout, p, n);
		putchar('\n');
		p = nl ? nl + 1 : end;
	}
}

/* RETR done: commit the file, or drop it. */
static void
retr_done(struct req *q, const struct pop3_reply *r)
{
	struct run *run = q->run;
	char *err = NULL;
	char label[64];
	enum outfile_status os;

	req_label(q, label, sizeof label);
	if (r->status == POP3_OK && r->size_mismatch && !run->exit && !run->cfg->a->quiet) {
		progress_clear(run);
		fprintf(stderr, "pouch: %s: warning: %llu octets, more than LIST said "
		    "(%llu); kept whole\n", label, r->body_octets, cli_last_size(run, q->n));
	}
	if (r->status != POP3_OK || run->exit) {
		if (q->out_open)
			outfile_abort(&q->out);
		q->out_open = 0;
		if (r->status != POP3_OK)
			run_fail_status(run, q, r);
		stdout_unwind(run, q);
		return;
	}
	run->nretr_done++;
	run->retr_octets += r->body_octets;
	if (q->to_stdout) {
		if (fflush(stdout) != 0 || ferror(stdout)) {
			stdout_failed(run, label);
			stdout_unwind(run, q);
			return;
		}
		cli_last_retrieved(run, q->n);
		return;
	}
	if (!q->out_open) {
		/* An empty message: no data came, the file is still owed. */
		if (outfile_open(&q->out, q->dir, q->n, &err) != OUTFILE_OK) {
			run_fail(run, EXIT_POUCH_LOCAL, label, err ? err : "out of memory", NULL);
			free(err);
			return;
		}
		q->out_open = 1;
	}
	os = outbatch_add(&run->batch, &q->out, &err);
	q->out_open = 0;
	if (os == OUTFILE_OK && outbatch_full(&run->batch))
		os = outbatch_land(&run->batch, &err);
	if (os != OUTFILE_OK) {
		run_fail(run, EXIT_POUCH_LOCAL, label, err ? err : "out of memory", NULL);
		free(err);
		return;
	}
	/* Recorded now, committed with the record at QUIT, which comes only
	 * after the batch has landed (run_sync_output). */
	cli_last_retrieved(run, q->n);
}

/* A LIST pipelined ahead of RETRs has come back: the RETRs in flight
 * learn the size their body is checked against. */
static void
fill_expect(struct run *run)
{
	size_t i;

	for (i = 0; i < run->nreqs; i++) {
		struct req *q = run->reqs[i];

		if (q->cmd == POP3_RETR && !q->expect)
			q->expect = cli_last_size(run, q->n);
	}
}

static void
on_done(void *ctx, const struct pop3_reply *r)
{
	struct req *q = ctx;
	struct run *run = q->run;

	q->status = r->status;
	if (pop3_status_fatal(r->status))
		run->conn_gone = 1;
	if (q->cmd == POP3_RETR && !q->aux) {
		retr_done(q, r);
		return;
	}
	if (q->aux) {
		/* pouch's own LIST / UIDL / LAST: the caller looks at them. */
		if (r->status == POP3_ERR_SERVER) {
			q->server_text = strdup(r->text ? r->text : "");
			if (q->cmd == POP3_UIDL)
				cli_last_no_uidl(run);
			/* A whole LIST refused: the RETRs behind it are
			 * drained and dropped. (A -ERR to LIST n is left for
			 * RETR n to report.) */
			if (q->cmd == POP3_LIST && !q->n)
				run_fail(run, EXIT_POUCH_SERVER, "LIST", NULL,
				    q->server_text ? q->server_text : "");
		} else if (r->status == POP3_OK) {
			if (q->cmd == POP3_LIST && cli_last_keep_list(run, r, q->n) < 0)
				q->status = POP3_ERR_NOMEM;
			if (q->cmd == POP3_LIST)
				fill_expect(run);
			if (q->cmd == POP3_UIDL && cli_last_keep_uidl(run, r) < 0)
				q->status = POP3_ERR_NOMEM;
			if (q->cmd == POP3_LAST)
				run->server_last = r->count;
		} else {
			run_fail_status(run, q, r);
		}
		if (q->status == POP3_ERR_NOMEM)
			run_fail(run, EXIT_POUCH_LOCAL, pop3_cmd_name(q->cmd), "out of memory", NULL);
		return;
	}
	if (r->status != POP3_OK) {
		run_fail_status(run, q, r);
		stdout_unwind(run, q);
		return;
	}
	if (run->exit) {
		stdout_unwind(run, q);	/* a TOP cut short by another failure */
		return;
	}
	switch (q->cmd) {
	case POP3_STAT:
		printf("%lu %llu\n", r->count, r->octets);
		break;
	case POP3_LIST:
		print_items(r, 0);
		if (!q->n && cli_last_keep_list(run, r, 0) < 0)
			run_fail(run, EXIT_POUCH_LOCAL, "LIST", "out of memory", NULL);
		break;
	case POP3_UIDL:
		print_items(r, 1);
		if (!q->n && cli_last_keep_uidl(run, r) < 0)
			run_fail(run, EXIT_POUCH_LOCAL, "UIDL", "out of memory", NULL);
		break;
	case POP3_CAPA:
		print_capa(r);
		break;
	case POP3_DELE:
		if (cli_last_deleted(run, q->n) < 0)
			run_fail(run, EXIT_POUCH_LOCAL, "DELE", "out of memory", NULL);
		break;
	case POP3_RSET:
		cli_last_rset(run);
		break;
	case POP3_TOP:
		if (fflush(stdout) != 0 || ferror(stdout)) {
			stdout_failed(run, "TOP");
			stdout_unwind(run, q);
		}
		break;
	default:
		break;
	}
	if (fflush(stdout) != 0)
		stdout_failed(run, pop3_cmd_name(q->cmd));
}

/* A request lives until the wait that completes it is over. */
static struct req *
req_new(struct run *run, enum pop3_cmd cmd, unsigned long n)
{
	struct req *q;
	void **nr;

	if (run->nreqs == run->capreqs) {
		size_t nc = run->capreqs ? run->capreqs * 2 : 16;

		nr = realloc(run->reqs, nc * sizeof *nr);
		if (!nr)
			goto nomem;
		run->reqs = nr;
		run->capreqs = nc;
	}
	q = calloc(1, sizeof *q);
	if (!q)
		goto nomem;
	run->reqs[run->nreqs++] = q;
	q->run = run;
	q->cmd = cmd;
	q->n = n;
	return q;
nomem:
	run_fail(run, EXIT_POUCH_LOCAL, pop3_cmd_name(cmd), "out of memory", NULL);
	return NULL;
}

/* Frees the requests of waits that are over. */
static void
reqs_free(struct run *run)
{
	size_t i;

	/* The engine still holds requests (their ctx, a RETR's expect_sizep)
	 * when a submit failed after others went in: they are freed after
	 * pop3_free, which completes them. */
	if (run->s && pop3_pending(run->s))
		return;

	for (i = 0; i < run->nreqs; i++) {
		struct req *q = run->reqs[i];

		if (q->out_open)
			outfile_abort(&q->out);
		free(q->server_text);
		free(q);
	}
	run->nreqs = 0;
}

/* Submits q; a refusal (which should not happen) is a failure. */
static int
submit(struct run *run, struct req *q, unsigned long long expect)
{
	struct pop3_req r;
	enum pop3_status st;
	char label[64];

	if (!q)
		return -1;
	memset(&r, 0, sizeof r);
	r.cmd = q->cmd;
	r.has_n = q->n != 0;
	r.n = q->n;
	r.lines = q->lines;
	q->expect = expect;
	if (q->cmd == POP3_RETR)
		r.expect_sizep = &q->expect;
	if (q->cmd == POP3_UIDL && !q->n)
		run->uidl_sent = 1;
	if (q->cmd == POP3_RETR || q->cmd == POP3_TOP)
		r.on_data = q->aux ? NULL : on_data;
	if (q->cmd == POP3_RETR && !q->aux)
		run->nretr_total++;
	r.on_done = on_done;
	r.ctx = q;
	st = pop3_submit(run->s, &r);
	if (st != POP3_OK) {
		req_label(q, label, sizeof label);
		run_fail(run, exit_for(st), label,
		    pop3_error(run->s) ? pop3_error(run->s) : "the request was refused", NULL);
		return -1;
	}
	return 0;
}

/* Waits for what is queued; a fatal end with no reply to blame is still one. */
int
cli_run_wait(struct run *run)
{
	enum pop3_status st = pop3_wait(run->s);
	char *what;

	if (st != POP3_OK) {
		if (pop3_status_fatal(st))
			run->conn_gone = 1;
		what = str_printf("%s: %s", status_word(st),
		    pop3_error(run->s) ? pop3_error(run->s) : pop3_status_name(st));

		run_fail(run, exit_for(st), "session", what ? what : "out of memory", NULL);
		free(what);
		return -1;
	}
	return run->exit ? -1 : 0;
}

/* One request of pouch's own (LIST, UIDL, LAST), waited for. Returns its
 * status; a -ERR text is in *server_text when asked for. */
enum pop3_status
cli_run_aux(struct run *run, enum pop3_cmd cmd, unsigned long n, char **server_text)
{
	enum pop3_status st = POP3_ERR_NET;
	struct req *q;

	if (server_text)
		*server_text = NULL;
	q = req_new(run, cmd, n);
	if (!q)
		return POP3_ERR_NOMEM;
	q->aux = 1;
	if (submit(run, q, 0) == 0 && cli_run_wait(run) == 0) {
		st = q->status;
		if (server_text) {
			*server_text = q->server_text;
			q->server_text = NULL;
		}
	}
	reqs_free(run);
	return st;
}

static int
run_retr(struct run *run, const struct cli_cmd *c)
{
	const char *dir = run->cfg->a->output_dir;
	struct req *list = NULL, *uidl = NULL, *q;
	size_t i;

	/* The sizes for the integrity check: LIST n for one message (a -ERR
	 * there is left for RETR to report), the whole LIST for more; the
	 * UIDL map rides along when the LAST record wants it. They are
	 * pipelined ahead of the RETRs (the LIST reply comes back first and
	 * fills in each RETR's size: fill_expect), so they cost no round
	 * trip of their own. */
	if (!cli_last_have_sizes(run, c->msgs, c->nmsgs)) {
		list = req_new(run, POP3_LIST, c->nmsgs == 1 ? c->msgs[0] : 0);
		if (!list)
			return -1;
		list->aux = 1;
		if (submit(run, list, 0) < 0)
			return -1;
	}
	if (cli_last_want_uidl(run)) {
		uidl = req_new(run, POP3_UIDL, 0);
		if (!uidl)
			return -1;
		uidl->aux = 1;
		if (submit(run, uidl, 0) < 0)
			return -1;
	}
	for (i = 0; i < c->nmsgs; i++) {
		q = req_new(run, POP3_RETR, c->msgs[i]);
		if (!q)
			return -1;
		q->dir = dir;
		q->to_stdout = dir == NULL;
		if (submit(run, q, cli_last_size(run, c->msgs[i])) < 0)
			return -1;
	}
	return 0;
}

static int
run_last(struct run *run)
{
	char *text = NULL;
	enum pop3_status st;
	unsigned long n;

	st = cli_run_aux(run, POP3_LAST, 0, &text);
	if (st == POP3_OK) {
		printf("%lu\n", run->server_last);
		fflush(stdout);
		if (!run->cfg->a->quiet)
			fprintf(stderr, "pouch: LAST: server: %lu\n", run->server_last);
		return 0;
	}
	if (st != POP3_ERR_SERVER) {
		free(text);
		return -1;
	}
	if (cli_last_local(run, &n) < 0) {
		free(text);
		return -1;
	}
	printf("%lu\n", n);
	fflush(stdout);
	if (!run->cfg->a->quiet) {
		fputs("pouch: LAST: answered from pouch's record (the server said: -ERR", stderr);
		if (text && *text) {
			fputc(' ', stderr);
			cli_escape_puts(stderr, text);
		}
		fputs(")\n", stderr);
	}
	free(text);
	return 0;
}

/* Submits the requests of one command; waits only where the next step
 * needs an answer (retr, last). */
static int
run_cmd(struct run *run, const struct cli_cmd *c)
{
	static const enum pop3_cmd map[] = {
		[CLI_STAT] = POP3_STAT, [CLI_LIST] = POP3_LIST, [CLI_UIDL] = POP3_UIDL,
		[CLI_TOP] = POP3_TOP, [CLI_RETR] = POP3_RETR, [CLI_DELE] = POP3_DELE,
		[CLI_RSET] = POP3_RSET, [CLI_NOOP] = POP3_NOOP, [CLI_LAST] = POP3_LAST,
		[CLI_CAPA] = POP3_CAPA, [CLI_QUIT] = POP3_QUIT,
	};
	struct req *q;
	size_t i;

	switch (c->verb) {
	case CLI_QUIT:
		return 0;	/* the QUIT at the end */
	case CLI_RETR:
		return run_retr(run, c);
	case CLI_LAST:
		return run_last(run);
	case CLI_DELE:
		for (i = 0; i < c->nmsgs; i++)
			if (submit(run, req_new(run, POP3_DELE, c->msgs[i]), 0) < 0)
				return -1;
		return 0;
	default:
		q = req_new(run, map[c->verb], c->has_n ? c->n : 0);
		if (!q)
			return -1;
		q->lines = c->lines;
		q->to_stdout = c->verb == CLI_TOP;
		return submit(run, q, 0);
	}
}

static int
on_tick(void *ctx)
{
	struct run *run = ctx;

	/* QUIT is short and bounded by the timeout; cutting it would leave
	 * the user not knowing whether the deletions were committed, so only
	 * a second Ctrl-C does (and pouch then says it does not know). */
	progress_show(run);
	return *run->cfg->interrupted >= 2 ||
	    (*run->cfg->interrupted && !run->in_quit);
}

static int
run_connect(struct run *run)
{
	const struct cli_args *a = run->cfg->a;
	enum pop3_status st;
	const char *err, *text;

	st = pop3_connect(run->s);
	if (st == POP3_OK)
		return 0;
	err = pop3_error(run->s);
	text = pop3_server_text(run->s);
	run->exit = exit_for(st);
	if (st == POP3_ERR_CANCELLED) {
		fputs("pouch: interrupted; nothing was deleted\n", stderr);
		return -1;
	}
	if (st == POP3_ERR_AUTH)
		fputs("pouch: login failed: ", stderr);
	else
		fprintf(stderr, "pouch: %s:%u: %s: ", a->u.host, a->u.port,
		    st == POP3_ERR_NET ? "cannot connect" : status_word(st));
	cli_escape_puts(stderr, err ? err : pop3_status_name(st));
	if (text && *text) {
		fputs("; server said: -ERR ", stderr);
		cli_escape_puts(stderr, text);
	}
	fputc('\n', stderr);
	return -1;
}

/* After a failure: RSET then QUIT while the connection stands, so that no
 * DELE of this session is committed. */
static void
run_abandon(struct run *run)
{
	const char *text;

	if (!run->conn_gone && !*run->cfg->interrupted) {
		struct req *q = req_new(run, POP3_RSET, 0);

		/* run->exit is set, so a failure here is not reported over
		 * the first one; it only means no QUIT. */
		if (q) {
			q->aux = 1;
			if (submit(run, q, 0) == 0 && pop3_wait(run->s) == POP3_OK &&
			    q->status == POP3_OK) {
				run->in_quit = 1;
				pop3_quit(run->s, &text);
			}
		}
		reqs_free(run);
	}
	if (run->exit == EXIT_POUCH_CANCEL)
		fputs("pouch: interrupted; nothing was deleted\n", stderr);
	else
		fputs("pouch: nothing was deleted\n", stderr);
}

/* The -o files still waiting land (fsynced, named, their directory
 * fsynced) before QUIT can commit any DELE: until then the server still
 * has every message. Also after a failure: the messages that arrived whole
 * are kept. */
static void
run_sync_output(struct run *run)
{
	char *err = NULL;

	if (!run->batch.n)
		return;
	if (outbatch_land(&run->batch, &err) != OUTFILE_OK) {
		if (!run->exit)
			run_fail(run, EXIT_POUCH_LOCAL, "retr", err ? err : "out of memory", NULL);
		else
			fprintf(stderr, "pouch: %s\n", err ? err : "out of memory");
		free(err);
	}
}

static void
run_finish(struct run *run)
{
	const char *text = NULL;
	enum pop3_status st;

	run->in_quit = 1;
	st = pop3_quit(run->s, &text);
	if (st == POP3_OK) {
		cli_last_commit(run);
		return;
	}
	run->exit = exit_for(st);
	if (st == POP3_ERR_SERVER) {
		fputs("pouch: QUIT: server said: -ERR", stderr);
		if (text && *text) {
			fputc(' ', stderr);
			cli_escape_puts(stderr, text);
		}
		fputc('\n', stderr);
	} else {
		const char *e = pop3_error(run->s);

		fputs("pouch: QUIT: ", stderr);
		cli_escape_puts(stderr, e ? e : pop3_status_name(st));
		fputc('\n', stderr);
	}
	if (cli_last_ndeleted(run))
		fputs("pouch: cannot tell whether the server deleted the messages marked with DELE\n", stderr);
	else
		fputs("pouch: nothing was deleted\n", stderr);
}

int
cli_run(const struct cli_session_cfg *cfg)
{
	const struct cli_args *a = cfg->a;
	struct pop3_opts o;
	struct run run;
	size_t i;

	memset(&run, 0, sizeof run);
	run.cfg = cfg;
	cli_trace_init(&run.trace, stderr, cfg->password);
	memset(&o, 0, sizeof o);
	o.url = a->url;
	o.user = cfg->user;
	o.password = cfg->password;
	o.auth = a->auth;
	o.tls = a->tls;
	o.cacert = a->cacert;
	o.pinned_pubkey = a->pinned_pubkey;
	o.connect_timeout_ms = a->timeout_ms;
	o.reply_timeout_ms = a->timeout_ms;
	o.pipelining = a->pipelining;
	o.trace = a->trace ? cli_trace_line : NULL;
	run.progress_on = !a->trace && !a->quiet && isatty(STDERR_FILENO);
	o.trace_ctx = &run.trace;
	o.tick = on_tick;
	o.tick_ctx = &run;
	run.s = pop3_new(&o);
	if (!run.s) {
		fputs("pouch: out of memory\n", stderr);
		return EXIT_POUCH_LOCAL;
	}
	if (run_connect(&run) == 0) {
		for (i = 0; i < a->ncmds && !run.exit; i++) {
			if (*cfg->interrupted)
				run_fail(&run, EXIT_POUCH_CANCEL, cli_verb_name(a->cmds[i].verb),
				    "interrupted", NULL);
			else if (run_cmd(&run, &a->cmds[i]) < 0 && !run.exit)
				run.exit = EXIT_POUCH_PROTO;
		}
		if (!run.exit)
			cli_run_wait(&run);
		run_sync_output(&run);
		progress_clear(&run);
		if (run.exit)
			run_abandon(&run);
		else
			run_finish(&run);
	}
	pop3_free(run.s);
	run.s = NULL;
	cli_trace_flush(&run.trace);
	reqs_free(&run);
	free(run.reqs);
	outbatch_free(&run.batch);
	cli_last_free(&run);
	return run.exit;
}
