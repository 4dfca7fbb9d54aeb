/*
 * cli_sync.h: `pouch sync [OPTIONS] URL`: the store's sync (store_sync.h)
 * on the command line: the store directory, the policy from the options,
 * the progress line, the notes and the outcome on stderr.
 *
 * Who may include it: src/cli.c.
 */
#ifndef POUCH_CLI_SYNC_H
#define POUCH_CLI_SYNC_H

#include <pouch/cli_run.h>

/* Returns the exit status (EXIT_POUCH_*). */
int cli_sync(const struct cli_session_cfg *cfg);

/* DATA_DIR/ACCOUNT with every byte outside [A-Za-z0-9.@_+-] as %XX, the
 * store's default place (DATA_DIR: $XDG_DATA_HOME/pouch or
 * ~/.local/share/pouch). NULL: out of memory, or no home. */
char *cli_sync_store_dir(const char *account);

#endif
