/*
 * ui.h: the full-screen reader's entry point.
 *
 * Who may include it: src/cli.c (which chooses between the command line and
 * the reader) and tests.
 */
#ifndef POUCH_UI_H
#define POUCH_UI_H

#include <pouch/pop3.h>

struct conf_account;

struct ui_opts {
	struct pop3_opts pop3;		/* url, user, auth, tls, cacert, ... */
	const char *password;		/* NULL: asked for in the reader's prompt line */
	const char *account;		/* shown in the status line */
	const struct conf_account *conf;	/* the configuration's account, or NULL */
	const char *read_state;		/* an earlier version's read-state file, migrated
					   into the store (ui_mbox_read_migrate), or NULL */
	const char *last_account;	/* user@host:port, the LAST record's key */
	const char *state_dir;		/* where the LAST record lives (sess.h), or NULL */
	int state_dir_shared;		/* sess_opts.state_dir_shared: --state-dir */
	const char *store_dir;		/* the account's local store (store.h), or NULL */
	int offline;			/* do not connect: the store alone */
	const char *keys_file;		/* headless: the key script (ui_req.h) */
	const char *dump_file;		/* headless: where screens are dumped */
	int cols, rows;			/* headless: the screen size */
};

/* Runs the reader until the user quits. Returns an exit code of cli.h:
 * 0, or EXIT_POUCH_* (130 after SIGINT/SIGTERM/SIGHUP). The terminal is
 * restored on every way out, a crash included. */
int ui_main(const struct ui_opts *o);

#endif
