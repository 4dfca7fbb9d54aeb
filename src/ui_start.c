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
#include <pouch/conf.h>
#include <pouch/lastrec.h>
#include <pouch/netrc.h>
#include <pouch/pass.h>
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

/* mkdir -p with mode 0700 for what it makes. */
static int
mkdir_p(const char *dir)
{
	char *d = strdup(dir), *p;
	int rc = 0;

	if (!d)
		return -1;
	for (p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(d, 0700) < 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	if (mkdir(d, 0700) < 0 && errno != EEXIST)
		rc = -1;
	free(d);
	return rc;
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
	char *path, *err = NULL, *user_buf = NULL, *password = NULL, *account = NULL;
	char *read_state = NULL;
	const char *urls, *user, *pwcmd, *netrc;
	int rc = EXIT_POUCH_USAGE, explicit = a->config_file != NULL;

	memset(&url, 0, sizeof url);
	memset(&o, 0, sizeof o);
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
	user = a->user ? a->user : url.user ? url.user : conf_get(ca, "user");
	pwcmd = a->password_command ? a->password_command : conf_get(ca, "password_command");
	netrc = a->netrc_file ? a->netrc_file : conf_get(ca, "netrc_file");
	if (!pwcmd) {
		const char *home = getenv("HOME");
		char *np = netrc ? strdup(netrc) : home && *home ? str_printf("%s/.netrc", home) : NULL;
		struct netrc_entry e;
		enum netrc_status st;

		if (np) {
			st = netrc_find_file(np, url.host, user, &e, &err);
			if (st == NETRC_FOUND) {
				if (!user && e.login) {
					user_buf = e.login;
					e.login = NULL;
					user = user_buf;
				}
				password = e.password;
				e.password = NULL;
				netrc_entry_free(&e);
			} else if (netrc && st != NETRC_NOT_FOUND) {
				say("%s", err ? err : "netrc: cannot read the file");
				free(np);
				goto out;
			}
			free(err);
			err = NULL;
			free(np);
		}
	}
	if (!user) {
		struct passwd *pw = getpwuid(getuid());

		user = getenv("USER");
		if ((!user || !*user) && pw)
			user = pw->pw_name;
		if (!user || !*user) {
			say("no user name: give -u NAME or user@ in the URL");
			goto out;
		}
	}
	if (pwcmd && !password) {
		enum pass_status ps = pass_from_command(pwcmd, &password, &err);

		if (ps != PASS_OK) {
			say("password command: %s", err ? err : "failed");
			goto out;
		}
	}
	account = ca && *conf_account_name(ca) ? str_printf("%s (%s@%s)", conf_account_name(ca), user, url.host) :
	    str_printf("%s@%s", user, url.host);
	if (!account) {
		rc = EXIT_POUCH_LOCAL;
		goto out;
	}
	{
		/* the read state sits beside the LAST record, per account */
		const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
		char *dir = x && *x == '/' ? str_printf("%s/pouch", x) :
		    home && *home == '/' ? str_printf("%s/.local/state/pouch", home) : NULL;
		char *acct = str_printf("%s@%s:%u", user, url.host, url.port);
		char *lp = dir && acct ? lastrec_path(dir, acct) : NULL;
		char *slash = lp ? strrchr(lp, '/') : NULL;

		if (slash && strncmp(slash + 1, "last-", 5) == 0 && mkdir_p(dir) == 0) {
			*slash = 0;
			read_state = str_printf("%s/read-%s", lp, slash + 6);
		}
		free(dir);
		free(acct);
		free(lp);
	}
	o.read_state = read_state;
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
	str_wipe_free(password);
	free(user_buf);
	free(account);
	free(read_state);
	cli_url_free(&url);
	conf_free(conf);
	free(path);
	return rc;
}
