/*
 * cli_sync.c: `pouch sync` on the command line (see cli_sync.h); the work
 * is store_sync() below it. On a terminal a progress line is redrawn in
 * place (messages, bytes, rate, time left); otherwise a plain line every
 * five seconds; then one line with the outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pouch/cli.h>
#include <pouch/cli_out.h>
#include <pouch/cli_sync.h>
#include <pouch/lastrec.h>
#include <pouch/store_sync.h>
#include <pouch/util.h>

struct show {
	const char *label;	/* "sync" or "sync ACCOUNT" */
	int tty, quiet, shown;
	long long last_ms;
};

char *
cli_sync_store_dir(const char *account)
{
	const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	struct dbuf b;

	dbuf_init(&b, 0);
	/* The XDG spec ignores relative paths; so does pouch. */
	if (x && x[0] == '/') {
		if (dbuf_printf(&b, "%s/pouch/", x) < 0)
			return NULL;
	} else if (home && home[0] == '/') {
		if (dbuf_printf(&b, "%s/.local/share/pouch/", home) < 0)
			return NULL;
	} else {
		return NULL;
	}
	if (lastrec_add_account(&b, account) < 0)
		return NULL;
	return dbuf_take(&b, NULL);
}

char *
cli_state_dir_default(void)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	/* The XDG spec ignores relative paths; so does pouch. */
	if (x && x[0] == '/')
		return str_printf("%s/pouch", x);
	if (home && home[0] == '/')
		return str_printf("%s/.local/state/pouch", home);
	return NULL;
}

int
cli_last_migrate(const char *store_dir, const char *account, char **warn)
{
	char *state = cli_state_dir_default(), *old, *path, *moved = NULL;
	enum lastrec_status st;

	*warn = NULL;
	if (!state)
		return 0;	/* no old place to look in */
	old = lastrec_path(state, account);
	path = lastrec_store_path(store_dir);
	free(state);
	if (!old || !path) {
		free(old);
		free(path);
		*warn = str_printf("out of memory");
		return -1;
	}
	st = lastrec_migrate(old, path, account, &moved, warn);
	if (st != LASTREC_OK && !*warn)
		*warn = str_printf("out of memory");
	if (st == LASTREC_ERR || st == LASTREC_NOMEM) {
		char *w = str_printf("the LAST record %s was not moved into the store (%s); "
		    "tried again next time", old, *warn ? *warn : "out of memory");

		free(*warn);
		*warn = w;
	}
	free(moved);
	free(old);
	free(path);
	return st == LASTREC_OK ? 0 : -1;
}

static void
clear_line(struct show *sh)
{
	if (sh->shown) {
		fprintf(stderr, "\r%78s\r", "");
		sh->shown = 0;
	}
}

/* "pouch: sync: " or "pouch: sync NAME: " (the name escaped). */
static void
say_label(const struct show *sh)
{
	fputs("pouch: ", stderr);
	cli_escape_puts(stderr, sh->label);
	fputs(": ", stderr);
}

static void
on_note(void *ctx, const char *text)
{
	struct show *sh = ctx;

	if (sh->quiet)
		return;
	clear_line(sh);
	say_label(sh);
	cli_escape_puts(stderr, text);
	fputc('\n', stderr);
}

static void
on_progress(void *ctx, const struct store_sync_progress *p)
{
	struct show *sh = ctx;
	double secs = (double)p->elapsed_ms / 1000, rate, left;
	char eta[32] = "";

	if (sh->quiet || p->total == 0)
		return;
	if (p->elapsed_ms - sh->last_ms < (sh->tty ? 250 : 5000) && p->done < p->total)
		return;
	if (!sh->tty && p->done == p->total)
		return;	/* the outcome line follows */
	sh->last_ms = p->elapsed_ms;
	rate = secs > 0 ? (double)p->bytes / secs : 0;
	if (rate > 0 && p->total_bytes > p->bytes) {
		left = (double)(p->total_bytes - p->bytes) / rate;
		snprintf(eta, sizeof eta, ", %ld:%02ld left", (long)left / 60, (long)left % 60);
	}
	if (sh->tty)
		fputc('\r', stderr);
	say_label(sh);
	fprintf(stderr, "%zu of %zu messages, %.1f of %.1f MB, %.1f MB/s%s%s", p->done, p->total, (double)p->bytes / 1e6,
	    (double)p->total_bytes / 1e6, rate / 1e6, eta, sh->tty ? "  " : "\n");
	sh->shown = sh->tty;
}

static int
exit_for(enum store_sync_status st, enum pop3_status pst)
{
	switch (st) {
	case STORE_SYNC_OK: return EXIT_POUCH_OK;
	case STORE_SYNC_LOCKED: case STORE_SYNC_STORE: case STORE_SYNC_NOMEM:
		return EXIT_POUCH_LOCAL;
	case STORE_SYNC_TOO_SOON: case STORE_SYNC_SERVER: return EXIT_POUCH_SERVER;
	case STORE_SYNC_CANCELLED: return EXIT_POUCH_CANCEL;
	case STORE_SYNC_SESSION:
		break;
	}
	switch (pst) {
	case POP3_ERR_AUTH: return EXIT_POUCH_AUTH;
	case POP3_ERR_TLS: return EXIT_POUCH_TLS;
	case POP3_ERR_NET: case POP3_ERR_TIMEOUT: return EXIT_POUCH_NET;
	case POP3_ERR_CANCELLED: return EXIT_POUCH_CANCEL;
	case POP3_ERR_USAGE: return EXIT_POUCH_USAGE;
	case POP3_ERR_NOMEM: return EXIT_POUCH_LOCAL;
	case POP3_ERR_SERVER: return EXIT_POUCH_SERVER;
	default: return EXIT_POUCH_PROTO;
	}
}

int
cli_sync(const struct cli_session_cfg *cfg)
{
	const struct cli_args *a = cfg->a;
	struct store_sync_cfg c;
	struct store_sync_result res;
	struct cli_trace trace;
	struct show sh;
	enum store_sync_status st;
	char *dir, *err = NULL;
	int rc;

	dir = a->store_dir ? strdup(a->store_dir) : cli_sync_store_dir(cfg->account);
	memset(&sh, 0, sizeof sh);
	sh.label = cfg->label ? cfg->label : "sync";
	if (!dir) {
		say_label(&sh);
		fputs("no store directory: give --store DIR, or set HOME\n", stderr);
		return EXIT_POUCH_USAGE;
	}
	sh.quiet = a->quiet;
	sh.tty = !a->trace && isatty(STDERR_FILENO);
	cli_trace_init(&trace, stderr, cfg->password);
	memset(&c, 0, sizeof c);
	c.pop3.url = a->url;
	c.pop3.user = cfg->user;
	c.pop3.password = cfg->password;
	c.pop3.auth = a->auth;
	c.pop3.tls = a->tls;
	c.pop3.cacert = a->cacert;
	c.pop3.pinned_pubkey = a->pinned_pubkey;
	c.pop3.connect_timeout_ms = a->timeout_ms;
	c.pop3.reply_timeout_ms = a->timeout_ms;
	c.pop3.pipelining = a->pipelining;
	c.pop3.trace = a->trace ? cli_trace_line : NULL;
	c.pop3.trace_ctx = &trace;
	c.store_dir = dir;
	c.policy = a->sync_delete ? STORE_POLICY_DELETE :
	    a->sync_delete_after ? STORE_POLICY_DELETE_AFTER : STORE_POLICY_KEEP;
	c.days = (long)a->sync_days;
	c.interrupted = cfg->interrupted;
	c.progress = on_progress;
	c.note = on_note;
	c.ctx = &sh;
	st = store_sync(&c, &res, &err);
	cli_trace_flush(&trace);
	clear_line(&sh);
	rc = exit_for(st, res.pop3);
	if (st != STORE_SYNC_OK) {
		say_label(&sh);
		cli_escape_puts(stderr, err ? err : "failed");
		fputc('\n', stderr);
	}
	if (st != STORE_SYNC_LOCKED && st != STORE_SYNC_TOO_SOON && !(st == STORE_SYNC_STORE &&
	    !res.on_server) && (!a->quiet || st != STORE_SYNC_OK)) {
		say_label(&sh);
		fprintf(stderr, "%zu new (%.1f MB); %zu on the server, %zu in ",
		    res.fetched, (double)res.fetched_bytes / 1e6, res.on_server, res.in_store);
		cli_escape_puts(stderr, dir);
		fprintf(stderr, "; %zu deleted from the server", res.deleted);
		if (res.gone)
			fprintf(stderr, "; %zu no longer on the server", res.gone);
		if (res.refused)
			fprintf(stderr, "; %zu refused by the server", res.refused);
		fputc('\n', stderr);
	}
	if (st != STORE_SYNC_OK && res.deletions_unknown) {
		say_label(&sh);
		fputs("QUIT went out after the DELEs and got no +OK: the server may have deleted "
		    "them (each has a durable copy here); the next sync tells\n", stderr);
	} else if (st != STORE_SYNC_OK && !res.deleted) {
		say_label(&sh);
		fputs("nothing was deleted from the server\n", stderr);
	}
	free(err);
	free(dir);
	return rc;
}
