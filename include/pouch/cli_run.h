/*
 * cli_run.h: runs the commands of one command line on one POP3 session:
 * connect and log in, each command in order (pipelined inside a command when
 * the server allows), then QUIT, or RSET and QUIT after a failure (sess.h
 * keeps the session's bookkeeping and runs the end). Prints the results on
 * stdout and pouch's messages on stderr.
 *
 * Owns: what the commands print, where RETR's bodies go (stdout or -o DIR),
 * the progress line.
 *
 * Who may include it: src/cli.c.
 */
#ifndef POUCH_CLI_RUN_H
#define POUCH_CLI_RUN_H

#include <signal.h>

#include <pouch/cli_args.h>

struct cli_session_cfg {
	const struct cli_args *a;
	const char *user;		/* resolved: -u, URL, netrc, $USER */
	const char *password;
	const char *account;		/* user@host:port, the LAST record's key */
	const char *state_dir;		/* the LAST record's (sess_opts); NULL: none */
	int state_dir_shared;		/* --state-dir: STATE_DIR/last-ACCOUNT */
	const char *label;		/* sync: "sync" or "sync NAME" (--all) */
	volatile sig_atomic_t *interrupted;	/* set by the SIGINT handler */
};

/* Returns the exit status (EXIT_POUCH_*). */
int cli_run(const struct cli_session_cfg *cfg);

#endif
