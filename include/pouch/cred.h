/*
 * cred.h: who logs in, and with what password: the login name from -u or
 * the URL, else the netrc entry for the host, else $USER; the password (or
 * bearer token) from --password-command, else the netrc entry, else a
 * prompt the caller provides. The same rules whatever the password's
 * source (issue 9 item 6: a netrc login counts with --password-command).
 *
 * Owns: struct cred's strings (the password is wiped when freed).
 *
 * Who may include it: the command line (src/cli*.c), later the reader and
 * the configuration; tests/test_cli_units.c.
 *
 * Nothing here prints or touches the terminal: the prompt is the caller's
 * callback (the command line asks on /dev/tty, the reader in its own
 * no-echo prompt line), warnings go to the caller's callback, and an error
 * is a status plus pouch's text in *err, which the caller frees. The texts
 * may hold a user name from a netrc file or the command line, and a path:
 * the caller makes them safe for its terminal. A password never comes from
 * the command line and never appears in a message.
 */
#ifndef POUCH_CRED_H
#define POUCH_CRED_H

enum cred_status {
	CRED_OK,
	CRED_NO_USER,		/* no -u, no user@, no netrc login, no $USER */
	CRED_NETRC,		/* the netrc file asked for (--netrc-file) is missing,
				   has no entry for the host, or is malformed */
	CRED_COMMAND,		/* the password command failed or printed nothing */
	CRED_NO_PROMPT,		/* nothing gave a password and there is no way to ask */
	CRED_CANCELLED,		/* the prompt (or the caller's interrupt) stopped it */
	CRED_NOMEM,
};

struct cred_opts {
	const char *host;		/* the server (netrc's "machine") */
	const char *user;		/* -u, else the URL's user@; NULL when neither */
	const char *env_user;		/* $USER, or the passwd entry's name: the last resort */
	const char *password_command;	/* /bin/sh -c CMD, first line of output; or NULL */
	const char *netrc_file;		/* asked for: must exist and have an entry */
	const char *default_netrc;	/* ~/.netrc: skipped (with a warning when broken) */
};

/* Asks for the password of user at host. Returns CRED_OK with *password
 * (malloc'd; cred wipes and frees it), CRED_NO_PROMPT when it cannot ask,
 * CRED_CANCELLED, CRED_NOMEM, or another status with *err. */
typedef enum cred_status (*cred_prompt_fn)(void *ctx, const char *user,
    const char *host, char **password, char **err);
/* A warning that does not stop the login (a netrc file others can read, a
 * broken ~/.netrc skipped). */
typedef void (*cred_warn_fn)(void *ctx, const char *msg);

struct cred {
	char *user;
	char *password;
};

/* Fills *out (freed with cred_free whatever the result). netrc is read
 * only when it can contribute: no user name yet, or no password command.
 * The prompt is called only when neither the command nor netrc gave a
 * password; prompt may be NULL (then CRED_NO_PROMPT). */
enum cred_status cred_resolve(const struct cred_opts *o, cred_prompt_fn prompt,
    void *prompt_ctx, cred_warn_fn warn, void *warn_ctx, struct cred *out,
    char **err);
void cred_free(struct cred *c);

#endif
