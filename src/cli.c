/*
 * cli.c: the POP3 command line's entry point: arguments (cli_args.c), the
 * checks that can fail before any connection, the user name and the
 * password (cred.h, asking on /dev/tty), the state directory, Ctrl-C; then
 * cli_run() does the session.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pouch/cli.h>
#include <pouch/cli_args.h>
#include <pouch/cli_out.h>
#include <pouch/cli_run.h>
#include <pouch/cli_sync.h>
#include <pouch/conf.h>
#include <pouch/cred.h>
#include <pouch/pass.h>
#include <pouch/util.h>

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	if (interrupted < 2)
		interrupted++;
}

static const char help_text[] =
"Usage: pouch [OPTIONS] [URL | -a ACCOUNT]\n"
"       pouch [OPTIONS] URL COMMAND [ARGS] [-- COMMAND [ARGS]]...\n"
"       pouch [OPTIONS] sync [--delete | --delete-after DAYS] [--store DIR]\n"
"             [ACCOUNT | URL]\n"
"       pouch [OPTIONS] sync --all [--delete | --delete-after DAYS]\n"
"       pouch --dump-mime FILE\n"
"       pouch --extract DIR FILE\n"
"\n"
"Without a COMMAND, pouch opens the full-screen reader on URL, on ACCOUNT,\n"
"or on the default account of ~/.config/pouch/config (pouch.conf(5)):\n"
"an index, a pager and an attachment menu; ? shows the keys.\n"
"\n"
"Runs POP3 commands in one session on the mailbox at URL, in order; the\n"
"commands are separated by '--'. QUIT is sent at the end of a fully\n"
"successful run (only that commits DELE). After any failure pouch sends\n"
"RSET and QUIT, or closes without QUIT, so nothing is deleted.\n"
"\n"
"URL: pop3://[user@]host[:port] or pop3s://[user@]host[:port] (ports 110, 995)\n"
"\n"
"Options (before the URL):\n"
"  -u, --user NAME            login name (else the URL's user@, else the netrc\n"
"                             login for the host, else $USER)\n"
"      --password-command CMD run CMD with /bin/sh -c; its first line of output\n"
"                             is the password (or the XOAUTH2/OAUTHBEARER token)\n"
"      --netrc-file FILE      take the password (and the login, if none is given)\n"
"                             from FILE (default: ~/.netrc when it has an entry\n"
"                             for the host); else pouch asks on\n"
"                             the terminal. A password is never accepted in the\n"
"                             arguments and never printed, logged or traced.\n"
"      --auth MECH            USER, APOP, PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1,\n"
"                             SCRAM-SHA-256, XOAUTH2, OAUTHBEARER, DIGEST-MD5\n"
"                             (default: the best the server offers; DIGEST-MD5,\n"
"                             obsolete, only when nothing else is offered)\n"
"      --tls MODE             auto (default): pop3s, or STLS required, except on a\n"
"                             loopback host, where STLS is used when offered;\n"
"                             required: also on loopback; none: plain text\n"
"      --cacert FILE          trust the CA certificates in FILE\n"
"      --pinned-pubkey SPEC   sha256//BASE64[;sha256//...] or a PEM/DER key file\n"
"      --timeout SECONDS      connect and reply timeout (default 30)\n"
"      --no-pipelining        one command at a time even when CAPA lists PIPELINING\n"
"      --trace                print the exchange on stderr (C: / S: / *: lines;\n"
"                             passwords masked, bodies shortened after 20 lines)\n"
"  -o, --output DIR           retr writes each message to DIR/N.eml (never\n"
"                             overwriting a file) instead of stdout; may also\n"
"                             follow retr's message list\n"
"      --state-dir DIR        keep the LAST record in DIR/last-ACCOUNT (default:\n"
"                             in the account's store, STORE/.pouch-last, where\n"
"                             a record in $XDG_STATE_HOME/pouch moves on first use)\n"
"  -q, --quiet                no informational messages on stderr\n"
"  -a, --account NAME         the reader on account NAME of the configuration\n"
"      --config FILE          the configuration file (default\n"
"                             $XDG_CONFIG_HOME/pouch/config); its account's\n"
"                             settings (the URL's, else the global ones) apply\n"
"                             under the options, to commands and sync as well\n"
"      --keys FILE            the reader without a terminal: keys from FILE,\n"
"      --dump FILE            screens (@dump) to FILE, at\n"
"      --size COLSxROWS       this size (default 80x24); see pouch(1)\n"
"      --offline              the reader on the local store alone, no server\n"
"      --store DIR            the account's local store (the reader and sync;\n"
"                             default $XDG_DATA_HOME/pouch/USER@HOST%3APORT)\n"
"  -h, --help                 this help\n"
"  -V, --version              pouch's version\n"
"\n"
"Commands (output on stdout):\n"
"  stat                 COUNT OCTETS\n"
"  list [N]             N SIZE, one line per message\n"
"  uidl [N]             N UID, one line per message\n"
"  top N LINES          the header and LINES body lines, as sent (CRLF kept)\n"
"  retr N|N-M|N,M,...   the message as sent (CRLF kept), checked against its\n"
"                       LIST size; several messages need -o DIR\n"
"  dele N|N-M|... [...] mark messages deleted (committed at QUIT)\n"
"  rset                 unmark every deletion of the session\n"
"  noop                 nothing\n"
"  last                 the highest message number retrieved; from the server,\n"
"                       or, when it answers -ERR, from pouch's record\n"
"  capa                 the server's capabilities, one per line\n"
"  quit                 end the session (also done implicitly)\n"
"\n"
"sync downloads every message the local store lacks into a Maildir (default\n"
"$XDG_DATA_HOME/pouch/USER@HOST%3APORT, the account's store, or --store DIR),\n"
"resumable after an interruption without duplicates; --delete deletes from\n"
"the server what is safely stored, --delete-after DAYS what was downloaded\n"
"DAYS ago or more (default: the account's delete setting, else keep\n"
"everything on the server). Without a URL it syncs the configured ACCOUNT,\n"
"else the default account; --all syncs every account in turn, each with its\n"
"own store and policy, and exits with the highest status of them.\n"
"\n"
"Offline MIME tools: --dump-mime FILE prints the structure of a message as\n"
"JSON (mime-dump/1); --extract DIR FILE saves its attachments under DIR.\n"
"\n"
"Exit status: 0 success; 1 the server answered -ERR; 2 usage error or no\n"
"password; 3 login failed; 4 TLS failure; 5 network failure or timeout;\n"
"6 protocol violation (short RETR, garbage reply); 7 local error (file\n"
"exists, write failed: the session ends at once, without QUIT);\n"
"130 interrupted.\n"
"\n"
"Examples:\n"
"  pouch pop3s://alice@mail.example.org stat -- list\n"
"  pouch --password-command 'pass show mail' pop3s://alice@mail.example.org \\\n"
"      retr 1-3 -o ~/mail/in -- dele 1-3\n"
"See pouch(1).\n";

static int
usage_error(const char *msg)
{
	fputs("pouch: ", stderr);
	cli_escape_puts(stderr, msg);
	fputs("\nTry 'pouch --help'.\n", stderr);
	return EXIT_POUCH_USAGE;
}

static int
readable_file(const char *what, const char *path)
{
	if (access(path, R_OK) == 0)
		return 0;
	fprintf(stderr, "pouch: %s ", what);
	cli_escape_puts(stderr, path);
	fprintf(stderr, ": %s\n", strerror(errno));
	return -1;
}

/* The command line asks on /dev/tty, with echo off. */
static enum cred_status
tty_prompt(void *ctx, const char *user, const char *host, char **password,
    char **err)
{
	struct dbuf b;
	char *prompt;
	enum pass_status st;

	(void)ctx;
	/* The user name may come from a netrc file: escape it too. */
	dbuf_init(&b, 0);
	if (dbuf_adds(&b, "Password for ") < 0 || cli_escape(&b, user, strlen(user)) < 0 ||
	    dbuf_addc(&b, '@') < 0 || cli_escape(&b, host, strlen(host)) < 0 ||
	    dbuf_adds(&b, ": ") < 0)
		return CRED_NOMEM;
	prompt = dbuf_take(&b, NULL);
	if (!prompt)
		return CRED_NOMEM;
	st = pass_prompt(prompt, password, err, &interrupted);
	free(prompt);
	switch (st) {
	case PASS_OK: return CRED_OK;
	case PASS_NO_TTY: return CRED_NO_PROMPT;
	case PASS_INTERRUPTED: return CRED_CANCELLED;
	case PASS_NOMEM: return CRED_NOMEM;
	default: return interrupted ? CRED_CANCELLED : CRED_COMMAND;
	}
}

static void
cred_warn(void *ctx, const char *msg)
{
	(void)ctx;
	fputs("pouch: warning: ", stderr);
	cli_escape_puts(stderr, msg);
	fputc('\n', stderr);
}

/* The user name and the password; an exit status (0 to go on). */
static int
get_cred(const struct cli_args *a, struct cred *c)
{
	const char *home = getenv("HOME");
	struct cred_opts o;
	struct passwd *pw;
	char *netrc = NULL, *err = NULL;
	enum cred_status st;
	int rc;

	memset(&o, 0, sizeof o);
	o.host = a->u.host;
	o.user = a->user ? a->user : a->u.user;
	o.env_user = getenv("USER");
	if (!o.env_user || !*o.env_user) {
		pw = getpwuid(getuid());
		o.env_user = pw ? pw->pw_name : NULL;
	}
	o.password_command = a->password_command;
	o.netrc_file = a->netrc_file;
	if (!a->netrc_file && home && *home) {
		netrc = str_printf("%s/.netrc", home);
		if (!netrc) {
			fputs("pouch: out of memory\n", stderr);
			return EXIT_POUCH_LOCAL;
		}
		o.default_netrc = netrc;
	}
	st = cred_resolve(&o, tty_prompt, NULL, cred_warn, NULL, c, &err);
	free(netrc);
	switch (st) {
	case CRED_OK:
		rc = 0;
		break;
	case CRED_NO_USER:
		rc = usage_error(err ? err : "no user name");
		break;
	case CRED_NO_PROMPT:
		fputs("pouch: no password: no terminal to ask on, and neither "
		    "--password-command nor a netrc entry gave one\n", stderr);
		rc = EXIT_POUCH_USAGE;
		break;
	case CRED_CANCELLED:
		fputs("pouch: interrupted; nothing was deleted\n", stderr);
		rc = EXIT_POUCH_CANCEL;
		break;
	case CRED_NOMEM:
		fputs("pouch: out of memory\n", stderr);
		rc = EXIT_POUCH_LOCAL;
		break;
	default:
		fputs("pouch: ", stderr);
		cli_escape_puts(stderr, err ? err : "no password");
		fputc('\n', stderr);
		rc = EXIT_POUCH_USAGE;
		break;
	}
	free(err);
	return rc;
}

static void
signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART, so a blocked read (the password prompt) sees EINTR.
	 * The handler stays: a second Ctrl-C also cuts a QUIT short, and
	 * pouch still removes its temporary files on the way out (a default
	 * action would leave them behind). */
	sa.sa_flags = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Checks that need no connection: files named by options, and that no
 * retr output file exists yet. */
static int
precheck(const struct cli_args *a)
{
	size_t i;
	char *err = NULL;

	if (a->cacert && readable_file("--cacert", a->cacert) < 0)
		return EXIT_POUCH_USAGE;
	if (a->pinned_pubkey && strncmp(a->pinned_pubkey, "sha256//", 8) != 0 &&
	    readable_file("--pinned-pubkey", a->pinned_pubkey) < 0)
		return EXIT_POUCH_USAGE;
	if (!a->output_dir)
		return 0;
	for (i = 0; i < a->ncmds; i++) {
		const struct cli_cmd *c = &a->cmds[i];

		if (c->verb != CLI_RETR)
			continue;
		if (outfile_check(a->output_dir, c->msgs, c->nmsgs, &err) != OUTFILE_OK) {
			fputs("pouch: ", stderr);
			cli_escape_puts(stderr, err ? err : "out of memory");
			fputc('\n', stderr);
			free(err);
			return EXIT_POUCH_LOCAL;
		}
	}
	return 0;
}

/* The settings of account ca (conf.h: the account's, else the global
 * ones) under the options given: *out is in, with what the options left
 * unset taken from ca. out->u is parsed anew when the URL comes from the
 * configuration (*own_url then set: cli_url_free it). 0, or an exit status
 * after a message. */
static int
apply_conf(const struct cli_args *in, const struct conf_account *ca,
    struct cli_args *out, int *own_url)
{
	const char *v;
	char *err = NULL;
	unsigned days;
	char tail[8];

	*out = *in;
	*own_url = 0;
	if (!ca)
		return 0;
	if (!in->url) {
		out->url = conf_get(ca, "url");
		if (!out->url) {
			fputs("pouch: account ", stderr);
			cli_escape_puts(stderr, conf_account_name(ca));
			fputs(" has no url\n", stderr);
			return EXIT_POUCH_USAGE;
		}
		memset(&out->u, 0, sizeof out->u);
		if (cli_url_parse(out->url, &out->u, &err) < 0) {
			fputs("pouch: account ", stderr);
			cli_escape_puts(stderr, conf_account_name(ca));
			fputs(": ", stderr);
			cli_escape_puts(stderr, err ? err : "out of memory");
			fputc('\n', stderr);
			free(err);
			cli_url_free(&out->u);
			return EXIT_POUCH_USAGE;
		}
		*own_url = 1;
	}
	if (!in->user && !out->u.user)
		out->user = conf_get(ca, "user");
	if (!in->password_command)
		out->password_command = conf_get(ca, "password_command");
	if (!in->netrc_file)
		out->netrc_file = conf_get(ca, "netrc_file");
	if (!in->auth)
		out->auth = conf_get(ca, "auth");
	if (!in->cacert)
		out->cacert = conf_get(ca, "cacert");
	if (!in->pinned_pubkey)
		out->pinned_pubkey = conf_get(ca, "pinned_pubkey");
	if (!in->store_dir)
		out->store_dir = conf_get(ca, "store");
	/* The values were checked when the file was read (conf.c). */
	if (!in->tls_set && (v = conf_get(ca, "tls")) != NULL)
		out->tls = strcmp(v, "none") == 0 ? POP3_TLS_NONE :
		    strcmp(v, "required") == 0 ? POP3_TLS_REQUIRED : POP3_TLS_AUTO;
	if (!in->timeout_set && (v = conf_get(ca, "timeout")) != NULL)
		out->timeout_ms = atol(v) * 1000;
	if (!in->sync_delete && !in->sync_delete_after && (v = conf_get(ca, "delete")) != NULL) {
		if (strcmp(v, "after-download") == 0)
			out->sync_delete = 1;
		else if (sscanf(v, "after %u days%7s", &days, tail) == 1) {
			out->sync_delete_after = 1;
			out->sync_days = days;
		}
	}
	return 0;
}

/* Where the LAST record lives: --state-dir as before, else the store,
 * into which an old record is moved first. */
static void
record_place(const struct cli_args *a, const char *account, struct cli_session_cfg *cfg,
    char **state_dir)
{
	char *warn = NULL;

	if (a->state_dir) {
		*state_dir = strdup(a->state_dir);
		cfg->state_dir_shared = 1;
	} else {
		*state_dir = a->store_dir ? strdup(a->store_dir) : cli_sync_store_dir(account);
		if (*state_dir && cli_last_migrate(*state_dir, account, &warn) < 0) {
			fputs("pouch: warning: ", stderr);
			cli_escape_puts(stderr, warn ? warn : "out of memory");
			fputc('\n', stderr);
		}
		free(warn);
	}
	cfg->state_dir = *state_dir;
}

/* One account: the checks, the login's credentials, then the commands or
 * the sync. The exit status. */
static int
run_account(const struct cli_args *a, const char *label)
{
	struct cli_session_cfg cfg;
	struct cred c;
	char *account = NULL, *state_dir = NULL;
	int rc;

	memset(&c, 0, sizeof c);
	rc = precheck(a);
	if (rc)
		return rc;
	rc = get_cred(a, &c);
	if (rc)
		goto out;
	account = str_printf("%s@%s:%u", c.user, a->u.host, a->u.port);
	if (!account) {
		fputs("pouch: out of memory\n", stderr);
		rc = EXIT_POUCH_LOCAL;
		goto out;
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.a = a;
	cfg.user = c.user;
	cfg.password = c.password;
	cfg.account = account;
	cfg.label = label;
	cfg.interrupted = &interrupted;
	/* sync keeps no LAST record (its RETRs do not count for LAST) */
	if (!a->sync)
		record_place(a, account, &cfg, &state_dir);
	rc = a->sync ? cli_sync(&cfg) : cli_run(&cfg);
out:
	cred_free(&c);
	free(account);
	free(state_dir);
	return rc;
}

/* The configuration: the file --config names (which must exist), else
 * the default one when it exists. NULL after a message. */
static struct conf *
load_conf(const struct cli_args *a, char **path)
{
	struct conf *conf = NULL;
	char *err = NULL;

	*path = a->config_file ? strdup(a->config_file) : conf_default_path();
	if (!*path) {
		fputs("pouch: out of memory\n", stderr);
		return NULL;
	}
	if (conf_load(*path, a->config_file != NULL, &conf, &err) < 0) {
		fputs("pouch: ", stderr);
		cli_escape_puts(stderr, err ? err : "out of memory");
		fputc('\n', stderr);
		free(err);
		return NULL;
	}
	return conf;
}

/* The higher status is the worse one; an interrupt ends the run. */
static int
worse(int a, int b)
{
	return a > b ? a : b;
}

/* pouch sync --all: each account of the configuration in turn, on to the
 * next after a failure; one line at the end names those that failed. */
static int
sync_all(const struct cli_args *a, const struct conf *conf, const char *path)
{
	size_t i, n = conf_account_count(conf), nok = 0, tried = 0;
	struct dbuf failed;
	int worst = 0, rc, own;

	if (n == 0) {
		fputs("pouch: sync --all: no account configured in ", stderr);
		cli_escape_puts(stderr, path);
		fputs(" (see pouch.conf(5))\n", stderr);
		return EXIT_POUCH_USAGE;
	}
	dbuf_init(&failed, 0);
	for (i = 0; i < n && !interrupted && worst != EXIT_POUCH_CANCEL; i++) {
		const struct conf_account *ca = conf_account_at(conf, i);
		struct cli_args one;
		char *label = str_printf("sync %s", conf_account_name(ca));

		own = 0;
		rc = label ? apply_conf(a, ca, &one, &own) : EXIT_POUCH_LOCAL;
		if (rc == 0)
			rc = run_account(&one, label);
		if (own)
			cli_url_free(&one.u);
		free(label);
		tried++;
		if (rc == 0)
			nok++;
		else
			(void)dbuf_printf(&failed, "%s%s (status %d)", failed.len ? ", " : "",
			    conf_account_name(ca), rc);
		worst = worse(worst, rc);
	}
	if (!a->quiet || nok < n) {
		fprintf(stderr, "pouch: sync --all: %zu of %zu accounts synced", nok, n);
		if (failed.len) {
			fputs("; failed: ", stderr);
			cli_escape_puts(stderr, failed.p);
		}
		if (tried < n)
			fprintf(stderr, "; %zu not tried (interrupted)", n - tried);
		fputc('\n', stderr);
	}
	dbuf_free(&failed);
	return interrupted && worst == 0 ? EXIT_POUCH_CANCEL : worst;
}

int
cli_main(int argc, char **argv)
{
	struct cli_args a, one;
	struct conf *conf = NULL;
	const struct conf_account *ca;
	char *err = NULL, *path = NULL;
	int rc, own = 0;

	switch (cli_args_parse(&a, argc, argv, &err)) {
	case CLI_ARGS_OK:
		break;
	case CLI_ARGS_HELP:
		fputs(help_text, stdout);
		cli_args_free(&a);
		return fflush(stdout) == 0 ? EXIT_POUCH_OK : EXIT_POUCH_LOCAL;
	case CLI_ARGS_VERSION:
		printf("pouch %s\n", PACKAGE_VERSION);
		cli_args_free(&a);
		return fflush(stdout) == 0 ? EXIT_POUCH_OK : EXIT_POUCH_LOCAL;
	case CLI_ARGS_USAGE:
		rc = usage_error(err ? err : "bad arguments");
		free(err);
		cli_args_free(&a);
		return rc;
	case CLI_ARGS_NOMEM:
		fputs("pouch: out of memory\n", stderr);
		cli_args_free(&a);
		return EXIT_POUCH_LOCAL;
	}
	signals_install();
	/* The configuration gives the command line and sync what it gives
	 * the reader: an account's settings, under the options. */
	conf = load_conf(&a, &path);
	if (!conf) {
		rc = EXIT_POUCH_USAGE;
		goto out;
	}
	if (a.sync && a.sync_all) {
		rc = sync_all(&a, conf, path);
		goto out;
	}
	if (a.url) {
		/* The default account's settings when its url is this URL,
		 * else the global ones (as the reader does). */
		ca = conf_account(conf, NULL);
		if (!ca || !conf_get(ca, "url") || strcmp(conf_get(ca, "url"), a.url) != 0)
			ca = conf_global(conf);
	} else {
		ca = conf_account(conf, a.account);
		if (!ca) {
			fputs("pouch: sync: ", stderr);
			if (a.account) {
				fputs("no [account ", stderr);
				cli_escape_puts(stderr, a.account);
				fputs("] in ", stderr);
			} else {
				fputs("no URL given and no account configured in ", stderr);
			}
			cli_escape_puts(stderr, path);
			fputs(a.account ? "\n" : " (pouch sync URL, or see pouch.conf(5))\n", stderr);
			rc = EXIT_POUCH_USAGE;
			goto out;
		}
	}
	rc = apply_conf(&a, ca, &one, &own);
	if (rc == 0) {
		char *label = a.sync && !a.url ? str_printf("sync %s", conf_account_name(ca)) : NULL;

		rc = run_account(&one, label ? label : "sync");
		free(label);
	}
	if (own)
		cli_url_free(&one.u);
out:
	conf_free(conf);
	free(path);
	cli_args_free(&a);
	return rc;
}
