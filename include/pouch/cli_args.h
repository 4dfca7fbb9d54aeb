/*
 * cli_args.h: the POP3 command line as data. Parses
 *     pouch [OPTIONS] URL COMMAND [ARGS] [-- COMMAND [ARGS]]...
 * into a struct cli_args (options, the URL's parts, the list of commands),
 * and message lists such as "1-3,7". Pure: no I/O, no network, no exit().
 *
 * Owns: struct cli_args and everything it points to that it allocated (the
 * strings it points to in argv stay argv's).
 *
 * Who may include it: src/cli*.c and tests/test_cli_units.c.
 *
 * Every argument is hostile: numbers are checked for range and overflow, a
 * message list is capped (CLI_MSGS_MAX), options match whole names only (so
 * "--password" can never be taken for "--password-command"), and there is
 * no option that takes a password.
 */
#ifndef POUCH_CLI_ARGS_H
#define POUCH_CLI_ARGS_H

#include <stddef.h>

#include <pouch/pop3.h>

/* The largest message number and the most messages one list may name. */
#define CLI_MSG_NUM_MAX 4294967295UL
#define CLI_MSGS_MAX 1000000UL

enum cli_verb {
	CLI_STAT, CLI_LIST, CLI_UIDL, CLI_TOP, CLI_RETR, CLI_DELE,
	CLI_RSET, CLI_NOOP, CLI_LAST, CLI_CAPA, CLI_QUIT,
};

struct cli_cmd {
	enum cli_verb verb;
	int has_n;		/* list N, uidl N, top N */
	unsigned long n;
	unsigned long lines;	/* top N LINES */
	unsigned long *msgs;	/* retr, dele: the messages, in the order given */
	size_t nmsgs;
};

struct cli_url {
	int secure;		/* pop3s:// */
	char *user;		/* percent-decoded; NULL when the URL has none */
	char *host;		/* lowercased, without IPv6 brackets */
	unsigned port;		/* explicit, or 110 / 995 */
};

struct cli_args {
	const char *url;
	struct cli_url u;
	const char *user;		/* -u */
	const char *password_command;
	const char *netrc_file;
	const char *auth;		/* NULL, or one of the names pop3.h lists */
	enum pop3_tls tls;
	int tls_set, timeout_set;	/* given as options (else the configuration's) */
	const char *cacert;
	const char *pinned_pubkey;
	long timeout_ms;		/* --timeout; 30000 by default */
	int pipelining;			/* -1 when offered; 0 with --no-pipelining */
	int trace;
	int quiet;
	const char *output_dir;		/* -o */
	const char *state_dir;
	/* pouch sync [OPTIONS] [ACCOUNT | URL] (src/cli_sync.c): no commands
	 * then; an ACCOUNT goes to account */
	int sync;
	int sync_all;			/* --all: every account of the configuration */
	int sync_delete;		/* --delete */
	int sync_delete_after;		/* --delete-after DAYS */
	unsigned long sync_days;
	const char *store_dir;		/* --store DIR */
	struct cli_cmd *cmds;
	size_t ncmds;		/* 0: no command, so the full-screen reader */
	/* the reader */
	const char *account;		/* -a NAME, or sync's ACCOUNT */
	const char *config_file;	/* --config */
	const char *keys_file;		/* --keys: headless, keys from a script */
	const char *dump_file;		/* --dump: where the headless screens go */
	int cols, rows;			/* --size COLSxROWS (headless) */
	int offline;			/* --offline: the reader on the local store alone */
};

enum cli_args_result {
	CLI_ARGS_OK,
	CLI_ARGS_HELP,		/* -h: print the help, exit 0 */
	CLI_ARGS_VERSION,	/* -V */
	CLI_ARGS_USAGE,		/* *err says what is wrong */
	CLI_ARGS_NOMEM,
};

/* Fills *a from argv (argv[0] is the program). On CLI_ARGS_USAGE *err is
 * pouch's message (without "pouch: "), which the caller frees. *a must be
 * freed with cli_args_free() whatever the result. */
enum cli_args_result cli_args_parse(struct cli_args *a, int argc, char **argv,
    char **err);
void cli_args_free(struct cli_args *a);

/* "pop3://[user@]host[:port][/]" or pop3s://. 0, or -1 with *err set. */
int cli_url_parse(const char *s, struct cli_url *u, char **err);
void cli_url_free(struct cli_url *u);

/* Appends the messages of a list ("7", "1-3,7") to *v / *n (a malloc'd
 * array). Numbers run from 1 to CLI_MSG_NUM_MAX; a range must not run
 * backwards; no message may be named twice; CLI_MSGS_MAX at most in all.
 * 0, or -1 with *err set (and *v / *n as they were). */
int cli_msgs_parse(const char *s, unsigned long **v, size_t *n, char **err);

/* One message number, 1 to CLI_MSG_NUM_MAX, digits only. 0 or -1. */
int cli_num_parse(const char *s, unsigned long *out);

/* "stat", "list", ... */
const char *cli_verb_name(enum cli_verb v);

#endif
