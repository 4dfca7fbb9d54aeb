/*
 * netrc.h: finds a login and password in a netrc file (the ftp(1) format:
 * "machine HOST login USER password PASS", "default ...", "macdef NAME"
 * followed by lines up to an empty line, tokens quoted with "..." and \
 * escapes as curl reads them).
 *
 * Owns: the strings of a struct netrc_entry (the password is wiped when
 * freed).
 *
 * Who may include it: src/sess_cred.c, src/cli*.c and tests/test_cli_units.c.
 *
 * The file is hostile like any input: it is capped (NETRC_MAX_FILE), each
 * token is capped (NETRC_MAX_TOKEN), a NUL byte or an unterminated quote
 * makes it unusable, and nothing in it is ever executed (macdef bodies are
 * skipped).
 */
#ifndef POUCH_NETRC_H
#define POUCH_NETRC_H

#include <stddef.h>

#define NETRC_MAX_FILE (1024 * 1024)
#define NETRC_MAX_TOKEN 8192

struct netrc_entry {
	char *login;		/* NULL when the entry names none */
	char *password;		/* NULL when the entry names none */
};

enum netrc_status {
	NETRC_FOUND,
	NETRC_NOT_FOUND,	/* no entry for this host (and login) */
	NETRC_NO_FILE,		/* the file does not exist */
	NETRC_BAD,		/* unreadable or malformed; see *err */
	NETRC_NOMEM,
};

/* The first "machine" entry for host (case-insensitive) whose login is
 * login, or that names no login (any login when login is NULL); else the
 * "default" entry under the same rule. */
enum netrc_status netrc_find(const char *text, size_t len, const char *host,
    const char *login, struct netrc_entry *out, char **err);
/* The same, reading path. */
enum netrc_status netrc_find_file(const char *path, const char *host,
    const char *login, struct netrc_entry *out, char **err);
void netrc_entry_free(struct netrc_entry *e);

#endif
