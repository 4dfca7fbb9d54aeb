/*
 * pass.h: getting the password (or the bearer token) without it ever
 * passing through argv: from a command's first line of output, or from a
 * prompt on /dev/tty with echo off. (netrc files: netrc.h.)
 *
 * Owns: the password strings it returns; free them with str_wipe_free() (util.h), which wipes them.
 *
 * Who may include it: src/sess_cred.c (the command), src/cli*.c (the prompt).
 */
#ifndef POUCH_PASS_H
#define POUCH_PASS_H

#include <signal.h>

#define PASS_MAX 65536		/* a bearer token may be long */

enum pass_status {
	PASS_OK,
	PASS_NO_TTY,		/* no terminal to ask on */
	PASS_FAILED,		/* the command failed, or printed nothing; see *err */
	PASS_INTERRUPTED,	/* *stop became nonzero while waiting */
	PASS_NOMEM,
};

/* Runs /bin/sh -c cmd (stdin and stderr inherited, so that it may ask on
 * the terminal), takes the first line of its stdout without the line break
 * (a CR before it is dropped too); the rest of the output is read and
 * thrown away. Fails when the command exits nonzero or the line is empty. */
enum pass_status pass_from_command(const char *cmd, char **out, char **err);

/* Writes prompt to /dev/tty and reads a line with echo off; the terminal
 * is restored on every path. *stop (set by the caller's SIGINT handler) is
 * checked at least every 100 ms. */
enum pass_status pass_prompt(const char *prompt, char **out, char **err,
    volatile sig_atomic_t *stop);

#endif
