/*
 * cli.h: the entry points main() chooses between, and pouch's exit codes.
 *
 * Who may include it: src/main.c, src/cli.c, src/cli_mime.c.
 */
#ifndef POUCH_CLI_H
#define POUCH_CLI_H

/* Exit codes, documented in pouch --help and man/pouch.1. */
enum {
	EXIT_POUCH_OK = 0,
	EXIT_POUCH_SERVER = 1,	/* the server answered -ERR */
	EXIT_POUCH_USAGE = 2,	/* bad command line, bad input file */
	EXIT_POUCH_AUTH = 3,	/* login failed */
	EXIT_POUCH_TLS = 4,	/* TLS failed: certificate, pinned key, no STLS */
	EXIT_POUCH_NET = 5,	/* network failure or timeout */
	EXIT_POUCH_PROTO = 6,	/* the server broke the protocol (short RETR, garbage) */
	EXIT_POUCH_LOCAL = 7,	/* a local error: writing a file, out of memory */
	EXIT_POUCH_CANCEL = 130,	/* interrupted (Ctrl-C) */
};

/* pouch [options] URL COMMAND [ARGS] [-- COMMAND [ARGS]]... */
int cli_main(int argc, char **argv);
/* pouch --dump-mime FILE, pouch --extract DIR FILE */
int cli_mime_main(int argc, char **argv);

#endif
