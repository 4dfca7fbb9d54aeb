/*
 * cli_run.c: the commands of one command line on one POP3 session (see
 * cli_run.h): what each prints, where RETR's bodies go (stdout, or DIR/N.eml
 * through cli_out.h's batch), the progress line, and pouch's messages on
 * stderr. The session's bookkeeping (sizes, UIDL, LAST, the end) is sess.h's.
 *
 * Commands are submitted without waiting, so the engine can pipeline them
 * ("stat -- list -- uidl", "retr 1-300", "dele 1 2 3") when the server
 * allows; pouch waits only where it needs an answer to go on (LAST) and at
 * the end. Results are printed from the on_done callbacks, in order. After
 * the first failure nothing more is printed or saved (sess drains and drops
 * what is in flight, then ends with RSET and QUIT, or with no QUIT at all).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pouch/cli.h>
#include <pouch/cli_out.h>
#include <pouch/cli_run.h>
#include <pouch/pop3.h>
#include <pouch/sess.h>
#include <pouch/util.h>

struct run {
	const struct cli_session_cfg *cfg;
	struct sess *s;
	struct cli_trace trace;
	int exit;		/* the first failure's exit status; 0 so far */
	struct outbatch batch;	/* complete -o files waiting for their names */
	/* The progress line on a terminal's stderr. */
	int progress_on, progress_shown;
	long long progress_t0, progress_last;
	unsigned long nretr_total, nretr_done;
	unsigned long long retr_octets;
};

/* One command of the user's; freed by its on_done (or when submitting it
 * failed). */
struct req {
	struct run *run;
	enum pop3_cmd cmd;
	int has_n;
	unsigned long n, lines;
	int to_stdout;		/* RETR, TOP: stream the body to stdout */
	struct stdout_part out;	/* to_stdout: what went there */
	const char *dir;	/* RETR -o DIR */
	struct outfile file;
	int file_open;
};

static int
exit_for(enum sess_status st)
{
	switch (st) {
	case SESS_OK: return EXIT_POUCH_OK;
	case SESS_ERR_SERVER: return EXIT_POUCH_SERVER;
	case SESS_ERR_AUTH: return EXIT_POUCH_AUTH;
	case SESS_ERR_TLS: return EXIT_POUCH_TLS;
	case SESS_ERR_NET: case SESS_ERR_TIMEOUT: return EXIT_POUCH_NET;
	case SESS_ERR_PROTO: return EXIT_POUCH_PROTO;
	case SESS_ERR_CANCELLED: return EXIT_POUCH_CANCEL;
	case SESS_ERR_USAGE: return EXIT_POUCH_USAGE;
	case SESS_ERR_NOMEM: case SESS_ERR_LOCAL: return EXIT_POUCH_LOCAL;
	case SESS_WITHDRAWN: break;	/* the command line withdraws nothing */
	}
	return EXIT_POUCH_PROTO;
}

/* What kind of failure, in words a script can grep for. */
static const char *
status_word(enum sess_status st)
{
	switch (st) {
	case SESS_ERR_AUTH: return "login failed";
	case SESS_ERR_TLS: return "TLS failure";
	case SESS_ERR_NET: return "connection closed";
	case SESS_ERR_TIMEOUT: return "timed out";
	case SESS_ERR_PROTO: return "protocol violation";
	case SESS_ERR_CANCELLED: return "interrupted";
	default: return "failed";
	}
}

/* "RETR 9", "TOP 1 5", "STAT": how a request is named in messages. */
static void
req_label(const struct req *q, char *buf, size_t n)
{
	pop3_cmd_label(q->cmd, q->has_n, q->n, q->lines, buf, n);
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

	if (!run->progress_on || run->nretr_total == 0 || !run->s)
		return;
	now = mono_ms();
	if (run->progress_t0 == 0)
		run->progress_t0 = now;
	if (now - run->progress_t0 < 1000 || now - run->progress_last < 250)
		return;
	run->progress_last = now;
	mb = (double)(run->retr_octets + pop3_body_progress(sess_pop3(run->s))) / 1e6;
	fprintf(stderr, "\rpouch: retr %lu of %lu done, %.1f MB  (Ctrl-C cancels) ",
	    run->nretr_done, run->nretr_total, mb);
	run->progress_shown = 1;
}

/* A line of pouch's own on stderr: "pouch: " and the escaped text. */
static void
say(struct run *run, const char *prefix, const char *text)
{
	if (run)
		progress_clear(run);
	fputs("pouch: ", stderr);
	if (prefix)
		fputs(prefix, stderr);
	cli_escape_puts(stderr, text);
	fputc('\n', stderr);
}

/* sess's first failure: the exit status, and one line on stderr. */
static void
on_fail(void *ctx, const struct sess_failure *f)
{
	struct run *run = ctx;

	if (run->exit)
		return;
	run->exit = exit_for(f->status);
	progress_clear(run);
	fputs("pouch: ", stderr);
	cli_escape_puts(stderr, f->label);
	fputs(": ", stderr);
	if (f->server_text) {
		fputs("server said: -ERR", stderr);
		if (*f->server_text) {
			fputc(' ', stderr);
			cli_escape_puts(stderr, f->server_text);
		}
	} else {
		if (f->status != SESS_ERR_LOCAL && f->status != SESS_ERR_NOMEM &&
		    f->status != SESS_ERR_USAGE && strcmp(f->text, "interrupted") != 0) {
			fputs(status_word(f->status), stderr);
			fputs(": ", stderr);
		}
		cli_escape_puts(stderr, f->text);
	}
	fputc('\n', stderr);
}

static void
on_warn(void *ctx, const char *msg)
{
	say(ctx, "warning: ", msg);
}

/* A write to stdout failed: a Ctrl-C that interrupted a blocked write is
 * an interrupt, not a local error. */
static void
stdout_failed(struct run *run, const char *label, int err)
{
	char *what;

	if (*run->cfg->interrupted) {
		sess_fail(run->s, SESS_ERR_CANCELLED, label, "interrupted");
		return;
	}
	what = str_printf("writing to stdout failed: %s", strerror(err));
	sess_fail(run->s, SESS_ERR_LOCAL, label, what ? what : "writing to stdout failed");
	free(what);
}

/* A RETR or TOP to stdout failed after part of its body went out: cut
 * off again when stdout is a file that allows it (cli_out.h), else
 * stderr says how much of a partial message went out. */
static void
stdout_unwind(struct run *run, struct req *q)
{
	char label[64], *what;
	unsigned long long bytes = q->out.bytes;
	int cut;

	if (!q->to_stdout)
		return;
	cut = stdout_part_undo(&q->out);
	if (cut < 0)
		return;
	req_label(q, label, sizeof label);
	if (cut)
		what = str_printf("%s: the partial message was cut from standard output", label);
	else
		what = str_printf("%s: standard output got a partial message (%llu octets)",
		    label, bytes);
	say(run, NULL, what ? what : "out of memory");
	free(what);
}

/* The body as it arrives. Nonzero: a local failure (reported with
 * sess_fail), and sess closes the connection at once. */
static int
on_data(void *ctx, const char *p, size_t n)
{
	struct req *q = ctx;
	struct run *run = q->run;
	char *err = NULL;
	char label[64];

	req_label(q, label, sizeof label);
	if (q->to_stdout) {
		if (stdout_part_write(&q->out, p, n) < 0) {
			stdout_failed(run, label, errno);
			return 1;
		}
		return 0;
	}
	if (!q->file_open) {
		if (outfile_open(&q->file, q->dir, q->n, &err) != OUTFILE_OK) {
			sess_fail(run->s, SESS_ERR_LOCAL, label, err ? err : "out of memory");
			free(err);
			return 1;
		}
		q->file_open = 1;
	}
	if (outfile_write(&q->file, p, n, &err) != OUTFILE_OK) {
		sess_fail(run->s, SESS_ERR_LOCAL, label, err ? err : "write failed");
		free(err);
		return 1;
	}
	return 0;
}

static void
print_item(const struct pop3_item *it, int uid)
{
	if (uid) {
		printf("%lu ", it->n);
		cli_escape_puts(stdout, it->uid);
		putchar('\n');
	} else {
		printf("%lu %llu\n", it->n, it->size);
	}
}

/* A line of a whole LIST or UIDL, printed as it arrives: a listing of
 * millions costs no memory here (issue 9 item 8). Nonzero: stdout failed
 * (EPIPE, a full disk), and the session ends at once. */
static int
on_item(void *ctx, const struct pop3_item *it)
{
	struct req *q = ctx;

	print_item(it, q->cmd == POP3_UIDL);
	if (ferror(stdout)) {
		char label[64];

		req_label(q, label, sizeof label);
		stdout_failed(q->run, label, errno);
		return 1;
	}
	return 0;
}

/* LIST n, UIDL n: the one item of the reply. */
static void
print_items(const struct pop3_reply *r, int uid)
{
	size_t i;

	for (i = 0; r->items && i < r->nitems; i++) {
		if (uid) {
			printf("%lu ", r->items[i].n);
			cli_escape_puts(stdout, r->items[i].uid);
			putchar('\n');
		} else {
			printf("%lu %llu\n", r->items[i].n, r->items[i].size);
		}
	}
}

/* A CAPA body: one line each, CRLF turned into LF, escaped. */
static void
print_capa(const char *p, size_t len)
{
	const char *end = p + len, *nl;
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

/* RETR done: the file joins the batch, or is dropped. 0 when the message
 * is in pouch's hands (it lands before QUIT: land_batch). */
static int
retr_done(struct req *q, const struct pop3_reply *r)
{
	struct run *run = q->run;
	char *err = NULL, *what;
	char label[64];
	enum outfile_status os;

	req_label(q, label, sizeof label);
	if (r->status == POP3_OK && r->size_mismatch && !sess_failure(run->s) &&
	    !run->cfg->a->quiet) {
		what = str_printf("%s: warning: %llu octets, more than LIST said (%llu); "
		    "kept whole", label, r->body_octets, sess_size(run->s, q->n));
		say(run, NULL, what ? what : "out of memory");
		free(what);
	}
	if (r->status != POP3_OK || sess_failure(run->s)) {
		if (q->file_open)
			outfile_abort(&q->file);
		q->file_open = 0;
		stdout_unwind(run, q);
		return 0;
	}
	run->nretr_done++;
	run->retr_octets += r->body_octets;
	if (q->to_stdout) {
		if (fflush(stdout) != 0 || ferror(stdout)) {
			stdout_failed(run, label, errno);
			stdout_unwind(run, q);
			return 1;
		}
		return 0;
	}
	if (!q->file_open) {
		/* An empty message: no data came, the file is still owed. */
		if (outfile_open(&q->file, q->dir, q->n, &err) != OUTFILE_OK)
			goto fail;
		q->file_open = 1;
	}
	os = outbatch_add(&run->batch, &q->file, &err);
	q->file_open = 0;
	if (os == OUTFILE_OK && outbatch_full(&run->batch))
		os = outbatch_land(&run->batch, &err);
	if (os == OUTFILE_OK)
		return 0;
fail:
	sess_fail(run->s, SESS_ERR_LOCAL, label, err ? err : "out of memory");
	free(err);
	return 1;
}

static int
on_done(void *ctx, const struct pop3_reply *r)
{
	struct req *q = ctx;
	struct run *run = q->run;
	int rc = 0;

	if (q->cmd == POP3_RETR) {
		rc = retr_done(q, r);
		goto out;
	}
	if (r->status != POP3_OK || sess_failure(run->s)) {
		stdout_unwind(run, q);	/* a TOP cut short */
		goto out;
	}
	switch (q->cmd) {
	case POP3_STAT:
		printf("%lu %llu\n", r->count, r->octets);
		break;
	case POP3_LIST:
		print_items(r, 0);
		break;
	case POP3_UIDL:
		print_items(r, 1);
		break;
	case POP3_CAPA:
		print_capa(r->body, r->body_len);
		break;
	default:
		break;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		char label[64];

		req_label(q, label, sizeof label);
		stdout_failed(run, label, errno);
		stdout_unwind(run, q);
		rc = 1;
	}
out:
	if (q->file_open)
		outfile_abort(&q->file);
	free(q);
	return rc;
}

/* Submits one command of the user's. */
static int
submit(struct run *run, enum pop3_cmd cmd, int has_n, unsigned long n,
    unsigned long lines)
{
	struct sess_req r;
	struct req *q = calloc(1, sizeof *q);

	if (!q) {
		sess_fail(run->s, SESS_ERR_NOMEM, pop3_cmd_name(cmd), "out of memory");
		return -1;
	}
	q->run = run;
	q->cmd = cmd;
	q->has_n = has_n;
	q->n = n;
	q->lines = lines;
	q->dir = run->cfg->a->output_dir;
	q->to_stdout = cmd == POP3_TOP || (cmd == POP3_RETR && !q->dir);
	memset(&r, 0, sizeof r);
	r.cmd = cmd;
	r.has_n = has_n;
	r.n = n;
	r.lines = lines;
	if (cmd == POP3_RETR || cmd == POP3_TOP)
		r.on_data = on_data;
	if ((cmd == POP3_LIST || cmd == POP3_UIDL) && !has_n)
		r.on_item = on_item;
	r.on_done = on_done;
	r.ctx = q;
	if (sess_submit(run->s, &r) != SESS_OK) {
		free(q);
		return -1;
	}
	if (cmd == POP3_RETR)
		run->nretr_total++;
	return 0;
}

static void
on_last(void *ctx, unsigned long n, int from_record, const char *server_text)
{
	struct run *run = ctx;

	printf("%lu\n", n);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		stdout_failed(run, "LAST", errno);
		return;
	}
	if (run->cfg->a->quiet)
		return;
	progress_clear(run);
	if (!from_record) {
		fprintf(stderr, "pouch: LAST: server: %lu\n", n);
		return;
	}
	fprintf(stderr, "pouch: LAST: answered from pouch's record (the server said: %s",
	    from_record == 2 ? "+OK" : "-ERR");
	if (server_text && *server_text) {
		fputc(' ', stderr);
		cli_escape_puts(stderr, server_text);
	}
	fputs(")\n", stderr);
}

/*
 * capa: the login asked CAPA already, before it (again after STLS) and,
 * unless that one was refused, after it too (pop3_capa): a second CAPA on
 * the wire would only repeat that answer, or its refusal. The commands
 * before this one print first. A refusal ends the session as a -ERR to
 * the command would, with the same words and exit status.
 */
static int
capa_from_login(struct run *run)
{
	static const char note[] = "capa: answered from the login's CAPA";
	struct pop3 *p = sess_pop3(run->s);
	const char *body, *refused;
	size_t len;

	if (sess_wait(run->s) != SESS_OK)
		return -1;
	if (run->cfg->a->trace)
		cli_trace_line(&run->trace, '*', note, sizeof note - 1);
	refused = pop3_capa_refused(p);
	if (refused) {
		progress_clear(run);
		fputs("pouch: CAPA: server said: -ERR", stderr);
		if (*refused) {
			fputc(' ', stderr);
			cli_escape_puts(stderr, refused);
		}
		fputc('\n', stderr);
		run->exit = EXIT_POUCH_SERVER;	/* on_fail says no more */
		sess_fail(run->s, SESS_ERR_SERVER, "CAPA", "refused at login");
		return -1;
	}
	body = pop3_capa(p, &len);
	print_capa(body, len);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		stdout_failed(run, "CAPA", errno);
		return -1;
	}
	return 0;
}

/* Submits the requests of one command; waits only where the next command
 * needs the answer first (last, capa). */
static int
run_cmd(struct run *run, const struct cli_cmd *c)
{
	static const enum pop3_cmd map[] = {
		[CLI_STAT] = POP3_STAT, [CLI_LIST] = POP3_LIST, [CLI_UIDL] = POP3_UIDL,
		[CLI_TOP] = POP3_TOP, [CLI_RETR] = POP3_RETR, [CLI_DELE] = POP3_DELE,
		[CLI_RSET] = POP3_RSET, [CLI_NOOP] = POP3_NOOP, [CLI_LAST] = POP3_LAST,
		[CLI_CAPA] = POP3_CAPA, [CLI_QUIT] = POP3_QUIT,
	};
	size_t i;

	switch (c->verb) {
	case CLI_QUIT:
		return 0;	/* the QUIT at the end */
	case CLI_LAST:
		if (sess_last(run->s, on_last, run) != SESS_OK)
			return -1;
		return sess_wait(run->s) == SESS_OK ? 0 : -1;
	case CLI_CAPA:
		return capa_from_login(run);
	case CLI_RETR:
		sess_expect_retr(run->s, c->nmsgs);
		/* fall through */
	case CLI_DELE:
		for (i = 0; i < c->nmsgs; i++)
			if (submit(run, map[c->verb], 1, c->msgs[i], 0) < 0)
				return -1;
		return 0;
	default:
		return submit(run, map[c->verb], c->has_n, c->has_n ? c->n : 0, c->lines);
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
	    (*run->cfg->interrupted && !(run->s && sess_in_quit(run->s)));
}

static void
connect_failed(struct run *run)
{
	const struct cli_args *a = run->cfg->a;
	const struct sess_failure *f = sess_failure(run->s);

	run->exit = exit_for(f->status);
	if (f->status == SESS_ERR_CANCELLED) {
		fputs("pouch: interrupted; nothing was deleted\n", stderr);
		return;
	}
	if (f->status == SESS_ERR_AUTH) {
		fputs("pouch: login failed: ", stderr);
	} else {
		fputs("pouch: ", stderr);
		cli_escape_puts(stderr, a->u.host);
		fprintf(stderr, ":%u: %s: ", a->u.port,
		    f->status == SESS_ERR_NET ? "cannot connect" : status_word(f->status));
	}
	cli_escape_puts(stderr, f->text);
	if (f->server_text && *f->server_text) {
		fputs("; server said: -ERR ", stderr);
		cli_escape_puts(stderr, f->server_text);
	}
	fputc('\n', stderr);
}

/* The -o files still waiting land (fsynced, named, their directory
 * fsynced) before QUIT can commit any DELE: until then the server still
 * has every message. */
static int
land_batch(void *ctx)
{
	struct run *run = ctx;
	char *err = NULL;

	if (!run->batch.n)
		return 0;
	if (outbatch_land(&run->batch, &err) == OUTFILE_OK)
		return 0;
	sess_fail(run->s, SESS_ERR_LOCAL, "retr", err ? err : "out of memory");
	free(err);
	return -1;
}

static void
on_end(void *ctx, const struct sess_end *e)
{
	struct run *run = ctx;
	char *err = NULL;

	progress_clear(run);
	if (e->abandoned) {
		/* The messages that arrived whole are kept. */
		if (run->batch.n && outbatch_land(&run->batch, &err) != OUTFILE_OK)
			say(run, NULL, err ? err : "out of memory");
		free(err);
		if (run->exit == EXIT_POUCH_CANCEL)
			fputs("pouch: interrupted; nothing was deleted\n", stderr);
		else
			fputs("pouch: nothing was deleted\n", stderr);
		return;
	}
	if (e->status == SESS_OK) {
		if (e->record_error)
			say(run, "warning: ", e->record_error);
		if (e->record_no_state)
			fputs("pouch: warning: no state directory (no $HOME; see --state-dir): "
			    "the LAST record was not kept\n", stderr);
		return;
	}
	run->exit = exit_for(e->status);
	if (e->status == SESS_ERR_SERVER) {
		fputs("pouch: QUIT: server said: -ERR", stderr);
		if (*e->quit_text) {
			fputc(' ', stderr);
			cli_escape_puts(stderr, e->quit_text);
		}
		fputc('\n', stderr);
	} else {
		say(run, "QUIT: ", e->quit_error ? e->quit_error : "failed");
	}
	if (e->deletions_unknown)
		fputs("pouch: cannot tell whether the server deleted the messages marked with DELE\n", stderr);
	else
		fputs("pouch: nothing was deleted\n", stderr);
}

int
cli_run(const struct cli_session_cfg *cfg)
{
	const struct cli_args *a = cfg->a;
	struct sess_opts o;
	struct run run;
	size_t i;

	memset(&run, 0, sizeof run);
	run.cfg = cfg;
	cli_trace_init(&run.trace, stderr, cfg->password);
	memset(&o, 0, sizeof o);
	o.pop3.url = a->url;
	o.pop3.user = cfg->user;
	o.pop3.password = cfg->password;
	o.pop3.auth = a->auth;
	o.pop3.tls = a->tls;
	o.pop3.cacert = a->cacert;
	o.pop3.pinned_pubkey = a->pinned_pubkey;
	o.pop3.connect_timeout_ms = a->timeout_ms;
	o.pop3.reply_timeout_ms = a->timeout_ms;
	o.pop3.pipelining = a->pipelining;
	o.pop3.trace = a->trace ? cli_trace_line : NULL;
	o.pop3.trace_ctx = &run.trace;
	o.pop3.tick = on_tick;
	o.pop3.tick_ctx = &run;
	o.account = cfg->account;
	o.state_dir = cfg->state_dir;
	o.state_dir_shared = cfg->state_dir_shared;
	o.cbs.on_fail = on_fail;
	o.cbs.sync = land_batch;
	o.cbs.on_end = on_end;
	o.cbs.on_warn = on_warn;
	o.cbs.ctx = &run;
	run.progress_on = !a->trace && !a->quiet && isatty(STDERR_FILENO);
	run.s = sess_new(&o);
	if (!run.s) {
		fputs("pouch: out of memory\n", stderr);
		return EXIT_POUCH_LOCAL;
	}
	if (sess_connect(run.s) != SESS_OK) {
		connect_failed(&run);
	} else {
		for (i = 0; i < a->ncmds && !sess_failure(run.s); i++) {
			if (*cfg->interrupted)
				sess_fail(run.s, SESS_ERR_CANCELLED,
				    cli_verb_name(a->cmds[i].verb), "interrupted");
			else
				(void)run_cmd(&run, &a->cmds[i]);
		}
		if (!sess_failure(run.s))
			(void)sess_wait(run.s);
		sess_finish(run.s);
	}
	sess_free(run.s);
	run.s = NULL;
	cli_trace_flush(&run.trace);
	outbatch_free(&run.batch);
	return run.exit;
}
