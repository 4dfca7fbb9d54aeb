/*
 * ui_start.h: the reader's start from the parsed command line (a URL or an
 * account, no COMMAND): configuration, credentials, then ui_main.
 *
 * Who may include it: src/main.c.
 */
#ifndef POUCH_UI_START_H
#define POUCH_UI_START_H

struct cli_args;

/* Returns the process's exit code (cli.h). */
int ui_start(const struct cli_args *a);

#endif
