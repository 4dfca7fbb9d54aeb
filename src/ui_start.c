/*
 * ui_start.c: from the parsed command line and the configuration file to a
 * running reader: picks the account (-a NAME, the URL, or the default
 * account), merges its settings under the options given (options win),
 * finds the user name (URL, -u, the account's user, the netrc login for
 * the host, then $USER) and the password (password_command, a netrc entry,
 * else the reader's own no-echo prompt). A bad configuration is refused
 * before the terminal is touched.
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pouch/cli.h>
#include <pouch/cli_args.h>
#include <pouch/cli_sync.h>
#include <pouch/conf.h>
#include <pouch/cred.h>
#include <pouch/lastrec.h>
#include <pouch/text.h>
#include <pouch/ui.h>
#include <pouch/ui_start.h>
#include <pouch/util.h>

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;
	char *m, *s;

	va_start(ap, fmt);
	m = str_vprintf(fmt, ap);
	va_end(ap);
	s = m ? text_sanitize(m, strlen(m), TEXT_ONELINE, NULL) : NULL;

	fprintf(stderr, "pouch: %s\n", s ? s : "out of memory");
	free(m);
	free(s);
}

/* The reader asks for the password in its own prompt line, once curses
 * runs: here, say that nothing else gave one. */
static enum cred_status
later_prompt(void *ctx, const char *user, const char *host, char **password, char **err)
{
	(void)ctx;
	(void)user;
	(void)host;
	(void)err;
	*password = NULL;
	return CRED_NO_PROMPT;
}

static void
on_warn(void *ctx, const char *msg)
{
	(void)ctx;
	say("warning: %s", msg);
}

static int
tls_of(const char *s, enum pop3_tls *out)
{
	if (!s)
		return 0;
	if (strcmp(s, "auto") == 0)
		*out = POP3_TLS_AUTO;
	else if (strcmp(s, "required") == 0)
		*out = POP3_TLS_REQUIRED;
	else if (strcmp(s, "none") == 0)
		*out = POP3_TLS_NONE;
	else
		return -1;
	return 0;
}

int
ui_start(const struct cli_args *a)
{
	struct conf *conf = NULL;
	const struct conf_account *ca = NULL;
	struct cli_url url;
	struct ui_opts o;
	char *path, *err = NULL, *account = NULL;
	const char *password;
	char *read_state = NULL, *store_dir = NULL, *state_dir = NULL, *last_account = NULL;
	const char *urls, *user;
	struct cred cred;
	int rc = EXIT_POUCH_USAGE, explicit = a->config_file != NULL;

	memset(&url, 0, sizeof url);
	memset(&o, 0, sizeof o);
	memset(&cred, 0, sizeof cred);
	path = explicit ? strdup(a->config_file) : conf_default_path();
	if (!path) {
		say("out of memory");
		return EXIT_POUCH_LOCAL;
	}
	if (conf_load(path, explicit, &conf, &err) < 0) {
		say("%s", err);
		free(err);
		free(path);
		return EXIT_POUCH_USAGE;
	}
	if (a->url) {
		urls = a->url;
		/* the global settings (download_dir, colours, bindings) still apply */
		ca = conf_account(conf, NULL);
		if (!ca || !conf_get(ca, "url") || strcmp(conf_get(ca, "url"), a->url) != 0)
			ca = conf_global(conf);
	} else {
		ca = conf_account(conf, a->account);
		if (!ca) {
			if (a->account)
				say("no [account %s] in the configuration", a->account);
			else
				say("no URL given and no account configured in %s "
				    "(pouch URL, or see pouch.conf(5))", path);
			goto out;
		}
		urls = conf_get(ca, "url");
		if (!urls) {
			say("account %s has no url", conf_account_name(ca));
			goto out;
		}
	}
	if (cli_url_parse(urls, &url, &err) < 0) {
		say("%s", err ? err : "out of memory");
		goto out;
	}
	o.pop3.url = urls;
	o.pop3.tls = a->tls;
	if (a->tls == POP3_TLS_AUTO)
		tls_of(conf_get(ca, "tls"), &o.pop3.tls);	/* checked when parsed */
	o.pop3.auth = a->auth ? a->auth : conf_get(ca, "auth");
	o.pop3.cacert = a->cacert ? a->cacert : conf_get(ca, "cacert");
	o.pop3.pinned_pubkey = a->pinned_pubkey ? a->pinned_pubkey : conf_get(ca, "pinned_pubkey");
	o.pop3.connect_timeout_ms = a->timeout_ms;
	o.pop3.reply_timeout_ms = a->timeout_ms;
	if (a->timeout_ms == 30000 && conf_get(ca, "timeout"))
		o.pop3.connect_timeout_ms = o.pop3.reply_timeout_ms = atol(conf_get(ca, "timeout")) * 1000;
	o.pop3.pipelining = a->pipelining;
	if (o.pop3.cacert && access(o.pop3.cacert, R_OK) < 0) {
		say("cacert: %s", strerror(errno));
		goto out;
	}

	if (!a->keys_file && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		say("the reader needs a terminal (give a COMMAND after the URL for the command line)");
		goto out;
	}
	{
		/* who logs in and with what (cred.h): -u or user@, the account's
		 * user, a netrc login, then $USER; the password from the command,
		 * netrc, else the reader's own no-echo prompt (after curses starts) */
		struct cred_opts co;
		struct passwd *pw = getpwuid(getuid());
		const char *home = getenv("HOME");
		char *dflt = home && *home ? str_printf("%s/.netrc", home) : NULL;
		enum cred_status cs;

		memset(&co, 0, sizeof co);
		co.host = url.host;
		co.user = a->user ? a->user : url.user ? url.user : conf_get(ca, "user");
		co.env_user = getenv("USER") && *getenv("USER") ? getenv("USER") : pw ? pw->pw_name : NULL;
		co.password_command = a->offline ? NULL :
		    a->password_command ? a->password_command : conf_get(ca, "password_command");
		co.netrc_file = a->netrc_file ? a->netrc_file : conf_get(ca, "netrc_file");
		co.default_netrc = dflt;
		cs = cred_resolve(&co, later_prompt, NULL, on_warn, NULL, &cred, &err);
		free(dflt);
		if (cs != CRED_OK && cs != CRED_NO_PROMPT) {
			say("%s", err ? err : cs == CRED_NOMEM ? "out of memory" : "no login");
			rc = cs == CRED_NOMEM ? EXIT_POUCH_LOCAL : EXIT_POUCH_USAGE;
			goto out;
		}
		user = cred.user;
		password = cred.password;	/* NULL: the reader asks */
	}
	account = ca && *conf_account_name(ca) ? str_printf("%s (%s@%s)", conf_account_name(ca), user, url.host) :
	    str_printf("%s@%s", user, url.host);
	if (!account) {
		rc = EXIT_POUCH_LOCAL;
		goto out;
	}
	last_account = str_printf("%s@%s:%u", user, url.host, url.port);
	if (!last_account) {
		rc = EXIT_POUCH_LOCAL;
		goto out;
	}
	{
		/* An earlier version's read-state file is where that version
		 * put it, XDG_STATE_HOME/pouch/read-ACCOUNT whatever the state
		 * directory: it is migrated into the store. */
		char *xdg = cli_state_dir_default();
		char *lp = xdg ? lastrec_path(xdg, last_account) : NULL, *slash;

		slash = lp ? strrchr(lp, '/') : NULL;
		if (slash && strncmp(slash + 1, "last-", 5) == 0) {
			*slash = 0;
			read_state = str_printf("%s/read-%s", lp, slash + 6);
		}
		free(xdg);
		free(lp);
	}
	o.read_state = read_state;
	o.last_account = last_account;
	{
		char *w = NULL;

		store_dir = a->store_dir ? strdup(a->store_dir) :
		    conf_get(ca, "store") ? strdup(conf_get(ca, "store")) :
		    cli_sync_store_dir(last_account);
		/* The LAST record (sess.h) lives in the store, as the command
		 * line keeps it, and an old one moves in; with --state-dir, in
		 * DIR/last-ACCOUNT as before. */
		if (a->state_dir)
			state_dir = strdup(a->state_dir);
		else if (store_dir && cli_last_migrate(store_dir, last_account, &w) < 0)
			say("warning: %s", w ? w : "out of memory");
		free(w);
	}
	o.store_dir = store_dir;
	o.state_dir = state_dir ? state_dir : store_dir;
	o.state_dir_shared = state_dir != NULL;
	o.offline = a->offline;
	o.pop3.user = user;
	o.password = password;
	o.account = account;
	o.conf = ca;
	o.keys_file = a->keys_file;
	o.dump_file = a->dump_file;
	o.cols = a->cols;
	o.rows = a->rows;
	rc = ui_main(&o);
out:
	free(err);
	cred_free(&cred);
	free(account);
	free(read_state);
	free(state_dir);
	free(last_account);
	free(store_dir);
	cli_url_free(&url);
	conf_free(conf);
	free(path);
	return rc;
}
