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
"       pouch [OPTIONS] sync [--delete | --delete-after DAYS] [--store DIR] URL\n"
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
"      --state-dir DIR        where pouch keeps its LAST record (default:\n"
"                             $XDG_STATE_HOME/pouch or ~/.local/state/pouch)\n"
"  -q, --quiet                no informational messages on stderr\n"
"  -a, --account NAME         the reader on account NAME of the configuration\n"
"      --config FILE          the configuration file (default\n"
"                             $XDG_CONFIG_HOME/pouch/config)\n"
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
"$XDG_DATA_HOME/pouch/USER@HOST%3APORT, or --store DIR), resumable after an\n"
"interruption without duplicates; --delete deletes from the server what is\n"
"safely stored, --delete-after DAYS what was downloaded DAYS ago or more\n"
"(default: keep everything on the server).\n"
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

static char *
state_dir_default(const struct cli_args *a)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (a->state_dir)
		return strdup(a->state_dir);
	/* The XDG spec ignores relative paths; so does pouch. */
	if (x && x[0] == '/')
		return str_printf("%s/pouch", x);
	if (home && home[0] == '/')
		return str_printf("%s/.local/state/pouch", home);
	return NULL;
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

int
cli_main(int argc, char **argv)
{
	struct cli_args a;
	struct cli_session_cfg cfg;
	struct cred c;
	char *err = NULL, *account = NULL, *state_dir = NULL;
	int rc;

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
	memset(&c, 0, sizeof c);
	signals_install();
	rc = precheck(&a);
	if (rc)
		goto out;
	rc = get_cred(&a, &c);
	if (rc)
		goto out;
	account = str_printf("%s@%s:%u", c.user, a.u.host, a.u.port);
	state_dir = state_dir_default(&a);
	if (!account) {
		fputs("pouch: out of memory\n", stderr);
		rc = EXIT_POUCH_LOCAL;
		goto out;
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.a = &a;
	cfg.user = c.user;
	cfg.password = c.password;
	cfg.account = account;
	cfg.state_dir = state_dir;
	cfg.interrupted = &interrupted;
	rc = a.sync ? cli_sync(&cfg) : cli_run(&cfg);
out:
	cred_free(&c);
	free(account);
	free(state_dir);
	cli_args_free(&a);
	return rc;
}
