/*
 * cli_sync.h: `pouch sync [OPTIONS] [ACCOUNT | URL]`: the store's sync
 * (store_sync.h) of one account on the command line: the store directory,
 * the policy (the account's, resolved by src/cli.c, options first), the
 * progress line, the notes and the outcome on stderr. Also where an
 * account's store and LAST record are by default.
 *
 * Who may include it: src/cli.c, src/ui_start.c.
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

/* $XDG_STATE_HOME/pouch or ~/.local/state/pouch, where the LAST record
 * lived before it moved into the store; NULL without either (malloc'd). */
char *cli_state_dir_default(void);

/* Moves the account's LAST record from the old state directory
 * (cli_state_dir_default()/last-ACCOUNT) into its store
 * (STORE/.pouch-last): lastrec_migrate. Costs one lstat when there is
 * none. 0; or -1 with *warn (malloc'd, for a warning: the old record stays
 * and is tried again next time, or did not parse and was kept aside). */
int cli_last_migrate(const char *store_dir, const char *account, char **warn);

#endif
