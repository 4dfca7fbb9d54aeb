/*
 * sess_cred.c: the login name and the password (see cred.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pouch/cred.h>
#include <pouch/netrc.h>
#include <pouch/pass.h>
#include <pouch/util.h>

static void
warn_if_open(const char *path, cred_warn_fn warn, void *ctx)
{
	struct stat st;
	char *msg;

	if (!warn || stat(path, &st) < 0 || !(st.st_mode & 077))
		return;
	msg = str_printf("%s can be read by other users; chmod 600 it", path);
	if (msg)
		warn(ctx, msg);
	free(msg);
}

/* The netrc entry for the host: the login when none is known yet, the
 * password when it is wanted. */
static enum cred_status
from_netrc(const struct cred_opts *o, int want_password, cred_warn_fn warn,
    void *warn_ctx, struct cred *c, char **err)
{
	const char *path = o->netrc_file ? o->netrc_file : o->default_netrc;
	struct netrc_entry e;
	enum netrc_status st;
	char *ferr = NULL, *msg;

	if (!path)
		return CRED_OK;
	st = netrc_find_file(path, o->host, c->user, &e, &ferr);
	if (st == NETRC_FOUND) {
		if (!c->user && e.login) {
			c->user = e.login;
			e.login = NULL;
		}
		if (want_password && e.password) {
			c->password = e.password;
			e.password = NULL;
			warn_if_open(path, warn, warn_ctx);
		}
		netrc_entry_free(&e);
		return CRED_OK;
	}
	if (st == NETRC_NOMEM) {
		free(ferr);
		return CRED_NOMEM;
	}
	if (st == NETRC_NO_FILE)
		msg = str_printf("%s: no such file", path);
	else if (st == NETRC_NOT_FOUND)
		msg = str_printf("%s: no entry for machine %s%s%s", path, o->host,
		    c->user ? " login " : "", c->user ? c->user : "");
	else
		msg = str_printf("%s: %s", path, ferr ? ferr : "unreadable");
	free(ferr);
	if (!msg)
		return CRED_NOMEM;
	/* One asked for must serve; a broken default ~/.netrc is skipped. */
	if (o->netrc_file) {
		*err = msg;
		return CRED_NETRC;
	}
	if (st == NETRC_BAD && warn)
		warn(warn_ctx, msg);
	free(msg);
	return CRED_OK;
}

enum cred_status
cred_resolve(const struct cred_opts *o, cred_prompt_fn prompt, void *prompt_ctx,
    cred_warn_fn warn, void *warn_ctx, struct cred *out, char **err)
{
	enum cred_status st;
	enum pass_status ps;

	memset(out, 0, sizeof *out);
	*err = NULL;
	if (o->user) {
		out->user = strdup(o->user);
		if (!out->user)
			return CRED_NOMEM;
	}
	if (!out->user || !o->password_command) {
		st = from_netrc(o, !o->password_command, warn, warn_ctx, out, err);
		if (st != CRED_OK)
			return st;
	}
	if (!out->user && o->env_user && *o->env_user) {
		out->user = strdup(o->env_user);
		if (!out->user)
			return CRED_NOMEM;
	}
	if (!out->user) {
		*err = str_printf("no user name: give -u NAME or user@ in the URL");
		return *err ? CRED_NO_USER : CRED_NOMEM;
	}
	if (o->password_command) {
		ps = pass_from_command(o->password_command, &out->password, err);
		if (ps == PASS_OK)
			return CRED_OK;
		return ps == PASS_NOMEM || !*err ? CRED_NOMEM : CRED_COMMAND;
	}
	if (out->password)
		return CRED_OK;
	if (!prompt)
		return CRED_NO_PROMPT;
	st = prompt(prompt_ctx, out->user, o->host, &out->password, err);
	if (st == CRED_OK && !out->password)
		st = CRED_NOMEM;
	return st;
}

void
cred_free(struct cred *c)
{
	free(c->user);
	str_wipe_free(c->password);
	c->user = c->password = NULL;
}
