/*
 * test_ui_units.c: the reader's pure parts, as tables: key names both ways,
 * the key map built from the request table and `bind` lines, key scripts,
 * and the configuration file (accepted files, and every refusal with its
 * FILE:LINE and what was expected).
 */
#include <curses.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/conf.h>
#include <pouch/ui_req.h>
#include <pouch/ui_view.h>
#include <locale.h>
#include "tap.h"

static const struct {
	const char *name;
	int key;
	size_t used;
} key_cases[] = {
	{ "j", 'j', 1 }, { "<Enter>", '\n', 7 }, { "<enter>", '\n', 7 },
	{ "<Esc>", 27, 5 }, { "<Space>", ' ', 7 }, { "<lt>", '<', 4 },
	{ "<", '<', 1 }, { "<C-l>", 12, 5 }, { "<C-C>", 3, 5 },
	{ "<F1>", UI_KEY_FN + KEY_F(1), 4 }, { "<F12>", UI_KEY_FN + KEY_F(12), 5 },
	{ "<PageDown>", UI_KEY_FN + KEY_NPAGE, 10 }, { "<Up>", UI_KEY_FN + KEY_UP, 4 },
	{ "<Backspace>", UI_KEY_FN + KEY_BACKSPACE, 11 },
	{ "\xd0\xb6", 0x436, 2 },		/* ж */
	{ "\xe2\x82\xac!", 0x20ac, 3 },		/* € then more */
	{ "<F13>", 0, 0 }, { "<F0>", 0, 0 },
	{ "\x1b", 0, 0 }, { "\x7f", 0, 0 }, { "\xc2\x9b", 0, 0 },	/* ESC, DEL, CSI (C1) */
	{ "\xff", 0, 0 }, { "", 0, 0 },
};

static const struct {
	const char *text;
	long steps;
	const char *err;
} script_cases[] = {
	{ "jj<Enter>", 3, NULL },
	{ "j j\n\tk  # a comment <Enter>\n", 3, NULL },
	{ "@dump\n@resize 40x10\n@wait\n@sleep 5\n@signal HUP\n", 5, NULL },
	{ "@text a b<lt>\n", 7, NULL },		/* literal: a, space, b, <, l, t, > */
	{ "x\n@resize 9x10\n", -1, "line 2: not a key name or a directive" },
	{ "@resize 40x3\n", -1, "line 1" },
	{ "@signal KILL\n", -1, "line 1" },
	{ "@bogus\n", -1, "line 1" },
	{ "j\nk\n\x1b\n", -1, "line 3" },
	{ " @dump\n", 5, NULL },		/* a directive starts its line; elsewhere @ is a key */
	{ "", 0, NULL },
};

static const struct {
	const char *text;
	const char *err;	/* NULL: accepted */
} conf_cases[] = {
	{ "", NULL },
	{ "# only a comment\n\n   \n", NULL },
	{ "download_dir = ~/Downloads\n[account a]\nurl = pop3s://u@h\n", NULL },
	{ "[account a]\nurl = pop3://h\ntls = required\nauth = plain\ntimeout = 10\nsort = date reverse\ndelete = after 30 days\n", NULL },
	{ "color new = green default\ncolor bar = color17\nbind index <Space> open\n", NULL },
	{ "nonsense\n", "cfg:1: expected KEY = VALUE" },
	{ "\n\nfoo = bar\n", "cfg:3: unknown setting 'foo'" },
	{ "password = hunter2\n", "cfg:1: a password is never kept in the configuration" },
	{ "[account a]\nurl = http://h\n", "cfg:2: url starts with pop3:// or pop3s://" },
	{ "tls = maybe\n", "cfg:1: tls is auto, required or none" },
	{ "auth = MAGIC\n", "cfg:1: auth is" },
	{ "timeout = 0\n", "cfg:1: timeout is a number of seconds" },
	{ "sort = color\n", "cfg:1: sort is date" },
	{ "delete = sometimes\n", "cfg:1: delete is keep" },
	{ "[account]\n", "cfg:1: a section is [account NAME]" },
	{ "[account a b]\n", "cfg:1: an account name is one word" },
	{ "[account a]\n[account a]\n", "cfg:2: account a is defined twice" },
	{ "color new = chartreuse\n", "cfg:1: color NAME = FG [BG]" },
	{ "bind index j\n", "cfg:1: bind VIEW KEY REQUEST" },
	{ "url =\n", "cfg:1: url needs a value" },
	{ "[account a]\ndefault_account = a\n", "cfg:2: default_account goes before the first [account]" },
	{ "default_account = b\n[account a]\n", "cfg: default_account b has no [account b] section" },
	{ "a\0b = c\n", "cfg:1: a NUL byte" },	/* 8 bytes, see below */
};

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof key_cases / sizeof key_cases[0]; i++) {
		int key = -1;
		size_t n = ui_key_parse(key_cases[i].name, strlen(key_cases[i].name), &key);

		is_int(n, key_cases[i].used, "key #%zu: bytes used", i);
		if (key_cases[i].used) {
			char name[32];
			int back = -1;

			is_int(key, key_cases[i].key, "key #%zu: code", i);
			ui_key_name(key, name, sizeof name);
			ui_key_parse(name, strlen(name), &back);
			is_int(back, key, "key #%zu: its name (%s) reads back", i, name);
		}
	}

	for (i = 0; i < sizeof script_cases / sizeof script_cases[0]; i++) {
		struct ui_step *s = NULL;
		char *err = NULL;
		long n = ui_script_parse(script_cases[i].text, strlen(script_cases[i].text), &s, &err);

		is_int(n, script_cases[i].steps, "script #%zu: steps", i);
		if (script_cases[i].err)
			ok(err && strstr(err, script_cases[i].err), "script #%zu: error says '%s' (%s)",
			    i, script_cases[i].err, err ? err : "none");
		free(s);
		free(err);
	}
	{
		struct ui_step *s = NULL;
		char *err = NULL;
		const char *t = "@resize 40x10\n@signal TERM\n@text a <b>\n";
		long n = ui_script_parse(t, strlen(t), &s, &err);

		is_int(n, 7, "@text types every character literally");
		ok(n == 7 && s[0].kind == UI_STEP_RESIZE && s[0].cols == 40 && s[0].rows == 10,
		    "@resize 40x10");
		ok(n == 7 && s[1].kind == UI_STEP_SIGNAL && s[1].key == SIGTERM, "@signal TERM");
		ok(n == 7 && s[2].key == 'a' && s[3].key == ' ' && s[4].key == '<' &&
		    s[5].key == 'b' && s[6].key == '>', "@text a <b> is a, space, <, b, >");
		free(s);
		free(err);
	}

	{
		struct ui_keymap *km = ui_keymap_new();
		char keys[128];

		ok(km != NULL, "the key map builds from the request table");
		is_int(ui_keymap_get(km, UIV_INDEX, 'd'), REQ_DELETE, "index: d deletes");
		is_int(ui_keymap_get(km, UIV_INDEX, '?'), REQ_HELP, "index: ? is help");
		is_int(ui_keymap_get(km, UIV_PAGER, '?'), REQ_SEARCH_BACK, "pager: ? searches back");
		is_int(ui_keymap_get(km, UIV_PAGER, UI_KEY_FN + KEY_F(1)), REQ_HELP_PAGER, "pager: F1 is help");
		is_int(ui_keymap_get(km, UIV_INDEX, '\n'), REQ_OPEN, "index: Enter opens");
		is_int(ui_keymap_get(km, UIV_PAGER, '\n'), REQ_LINE_DOWN, "pager: Enter scrolls a line");
		is_int(ui_keymap_get(km, UIV_ATTACH, '\n'), REQ_VIEW_PART, "attach: Enter views the part");
		is_int(ui_keymap_get(km, UIV_INDEX, 'Z'), REQ_NONE, "index: Z is unbound");
		ui_keymap_keys(km, UIV_INDEX, REQ_END, keys, sizeof keys);
		is_str(keys, "<End>, *, G", "help lists End's keys");
		ui_keymap_keys(km, UIV_INDEX, REQ_JUMP, keys, sizeof keys);
		is_str(keys, "1-9", "help shows the digits that jump as a range");
		is_int(ui_keymap_get(km, UIV_INDEX, '7'), REQ_JUMP, "index: 7 jumps");
		is_int(ui_keymap_get(km, UIV_PAGER, '7'), REQ_NONE, "pager: 7 is unbound");
		{
			struct conf *c = NULL;
			char *err = NULL;
			const char *t = "bind index <Space> open\nbind index j noop\nbind pager x back\n";
			const struct conf_bind *b;
			size_t nb;

			ok(conf_parse(t, strlen(t), "cfg", &c, &err) == 0, "bind lines parse");
			nb = conf_binds(conf_global(c), &b);
			is_int(nb, 3, "three bindings");
			ok(ui_keymap_conf(km, b, nb, &err) == 0, "bind lines apply");
			is_int(ui_keymap_get(km, UIV_INDEX, ' '), REQ_OPEN, "bind: Space opens in the index");
			is_int(ui_keymap_get(km, UIV_PAGER, ' '), REQ_PGDN, "... and still pages in the pager");
			is_int(ui_keymap_get(km, UIV_INDEX, 'j'), REQ_NONE, "bind ... noop unbinds j");
			ui_keymap_keys(km, UIV_INDEX, REQ_PGDN, keys, sizeof keys);
			is_str(keys, "<PageDown>", "help no longer lists Space for next-page");
			conf_free(c);
		}
		{
			static const struct { const char *t, *e; } bad[] = {
				{ "\nbind nowhere j open\n", "cfg:2: bind: no view 'nowhere'" },
				{ "bind index jj open\n", "cfg:1: bind: 'jj' is not one key" },
				{ "bind index j frobnicate\n", "cfg:1: bind: no request 'frobnicate' in the index view" },
				{ "bind pager j commit\n", "cfg:1: bind: no request 'commit' in the pager view" },
			};
			size_t k;

			for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
				struct conf *c = NULL;
				char *err = NULL;
				const struct conf_bind *b;
				size_t nb;

				conf_parse(bad[k].t, strlen(bad[k].t), "cfg", &c, &err);
				nb = conf_binds(conf_global(c), &b);
				ok(ui_keymap_conf(km, b, nb, &err) < 0 && err && strstr(err, bad[k].e),
				    "bad bind #%zu says '%s' (%s)", k, bad[k].e, err ? err : "none");
				free(err);
				conf_free(c);
			}
		}
		ui_keymap_free(km);
	}

	for (i = 0; i < sizeof conf_cases / sizeof conf_cases[0]; i++) {
		struct conf *c = NULL;
		char *err = NULL;
		size_t len = strlen(conf_cases[i].text);
		int rc;

		if (strcmp(conf_cases[i].text, "a") == 0)
			len = 8;	/* the case with a NUL byte */
		rc = conf_parse(conf_cases[i].text, len, "cfg", &c, &err);
		if (!conf_cases[i].err)
			ok(rc == 0 && c, "config #%zu accepted (%s)", i, err ? err : "");
		else
			ok(rc < 0 && !c && err && strstr(err, conf_cases[i].err),
			    "config #%zu refused: '%s' (%s)", i, conf_cases[i].err, err ? err : "accepted");
		free(err);
		conf_free(c);
	}
	{
		struct conf *c = NULL;
		char *err = NULL;
		const char *t = "default_account = b\ndownload_dir = /d\nsort = size\n"
		    "[account a]\nurl = pop3://a\n[account b]\nurl = pop3s://b\nsort = date\n"
		    "color new = red blue\n";
		const struct conf_account *a;
		short fg = 99, bg = 99;

		ok(conf_parse(t, strlen(t), "cfg", &c, &err) == 0, "two accounts parse");
		a = conf_account(c, NULL);
		ok(a && strcmp(conf_account_name(a), "b") == 0, "default_account picks b");
		ok(a && strcmp(conf_get(a, "sort"), "date") == 0, "an account's setting wins");
		ok(a && strcmp(conf_get(a, "download_dir"), "/d") == 0, "a global setting fills in");
		ok(conf_color(a, "new", &fg, &bg) == 0 && fg == COLOR_RED && bg == COLOR_BLUE,
		    "color new = red blue");
		ok(conf_color(a, "bar", &fg, &bg) < 0, "an unset colour is not configured");
		a = conf_account(c, "a");
		ok(a && strcmp(conf_get(a, "url"), "pop3://a") == 0 && strcmp(conf_get(a, "sort"), "size") == 0,
		    "account a: its url, the global sort");
		ok(conf_account(c, "nope") == NULL, "an unknown account is NULL");
		conf_free(c);
	}
	{
		struct conf *c = NULL;
		char *err = NULL;

		setenv("HOME", "/home/t", 1);
		conf_parse("download_dir = ~/dl\n", 20, "cfg", &c, &err);
		ok(c && strcmp(conf_get(conf_global(c), "download_dir"), "/home/t/dl") == 0,
		    "~/ is the home directory");
		conf_free(c);
	}
	/* layout by wcwidth: wide CJK, combining marks, emoji */
	if (setlocale(LC_CTYPE, "C.UTF-8")) {
		static const struct { const char *s; int w; } widths[] = {
			{ "abc", 3 },
			{ "\xe6\x97\xa5\xe6\x9c\xac", 4 },		/* 日本: two wide */
			{ "e\xcc\x81", 1 },				/* e + combining acute */
			{ "\xd0\x81\xd0\xbb\xd0\xba\xd0\xb8\xd0\xbd", 5 },	/* Ёлкин */
			{ "\xf0\x9f\x8e\x89", 2 },			/* 🎉 */
		};
		int used = -1;

		for (i = 0; i < sizeof widths / sizeof widths[0]; i++)
			is_int(ui_width(widths[i].s, strlen(widths[i].s)), widths[i].w,
			    "width #%zu", i);
		/* 日本語 in 5 columns: two characters (4 columns), never half of one */
		is_int(ui_fit("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9, 5, &used), 6, "fit stops before a wide character");
		is_int(used, 4, "... using 4 columns");
		/* a combining mark stays with its letter */
		is_int(ui_fit("ae\xcc\x81z", 5, 2, &used), 4, "fit keeps a combining mark with its letter");
	} else {
		ok(1, "# SKIP no C.UTF-8 locale");
	}
	return done_testing();
}
