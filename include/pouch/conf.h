/*
 * conf.h: the configuration file, $XDG_CONFIG_HOME/pouch/config (else
 * ~/.config/pouch/config), documented in pouch.conf(5):
 *
 *     # global settings: defaults for every account
 *     default_account = work
 *     [account work]
 *     url = pop3s://alice@mail.example.org
 *     password_command = pass show mail/work
 *     download_dir = ~/Downloads
 *     color new = green default
 *     bind index <Space> open
 *
 * Owns: the parsed file (struct conf): accounts, their settings, colours and
 * key bindings, each with the line it came from. Parsing is pure
 * (conf_parse: a buffer in, a struct or "FILE:LINE: what was expected" out)
 * and fuzzed; conf_load adds the file I/O. A file with any bad line is
 * refused whole: nothing starts half-configured.
 *
 * Who may include it: src/main.c, src/cli.c, src/ui*.c, tests, fuzz.
 */
#ifndef POUCH_CONF_H
#define POUCH_CONF_H

#include <stddef.h>

#define CONF_MAX_BYTES (1024 * 1024)	/* a larger file is refused */
#define CONF_MAX_ACCOUNTS 1000

struct conf;
struct conf_account;

/* One `bind VIEW KEY REQUEST` line, as written (checked by the reader's key
 * map, which knows the views, keys and requests). */
struct conf_bind {
	const char *view, *key, *request;
	const char *file;
	unsigned line;
};

/* Parses len bytes named name (for messages). 0 and *out, or -1 and *err
 * ("NAME:LINE: ...", malloc'd). */
int conf_parse(const char *buf, size_t len, const char *name, struct conf **out,
    char **err);
/* Reads and parses path. A missing file is not an error when !must_exist:
 * then *out is an empty configuration. */
int conf_load(const char *path, int must_exist, struct conf **out, char **err);
void conf_free(struct conf *c);
/* $XDG_CONFIG_HOME/pouch/config or ~/.config/pouch/config; malloc'd. */
char *conf_default_path(void);

/* The account called name, or with NULL the default one (default_account,
 * else the only or first account); NULL when there is none. */
const struct conf_account *conf_account(const struct conf *c, const char *name);
size_t conf_account_count(const struct conf *c);
/* The i-th account in the file's order (i < conf_account_count). */
const struct conf_account *conf_account_at(const struct conf *c, size_t i);
/* The global settings (before any [account]) as an account of their own,
 * for a URL given on the command line. */
const struct conf_account *conf_global(const struct conf *c);
const char *conf_account_name(const struct conf_account *a);
/* A setting of the account, else the global one; NULL when unset. Values
 * starting with "~/" are returned with $HOME put in (malloc'd once, owned
 * by the configuration). */
const char *conf_get(const struct conf_account *a, const char *key);
/* The colour NAME of `color NAME = FG BG`: 0 when set (fg/bg set, -1 for
 * "default"), -1 when not configured (fg/bg untouched). */
int conf_color(const struct conf_account *a, const char *name, short *fg, short *bg);
/* The bindings, global ones first, then the account's. */
size_t conf_binds(const struct conf_account *a, const struct conf_bind **out);

#endif
