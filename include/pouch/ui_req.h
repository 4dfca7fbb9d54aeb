/*
 * ui_req.h: every request the reader answers, with its help text and its
 * default keys, in one table (REQ_TABLE). The key map, the key-script
 * parser, the configuration's `bind` lines and the `?` help screen are all
 * generated from it, so a key cannot be bound without showing up in help.
 *
 * Owns: the request names, the key map (default bindings plus `bind`
 * lines), and key names ("j", "<Enter>", "<C-l>", "<PageDown>").
 *
 * Who may include it: the reader (src/ui*.c, src/view_*.c), the
 * configuration (src/conf.c) and their tests and fuzz targets. Pure: no
 * curses calls (key codes are ncurses' KEY_* values, given as numbers).
 */
#ifndef POUCH_UI_REQ_H
#define POUCH_UI_REQ_H

#include <stddef.h>

/* Views a binding belongs to (a bit mask). */
enum {
	UIV_INDEX = 1 << 0,
	UIV_PAGER = 1 << 1,
	UIV_ATTACH = 1 << 2,
	UIV_HELP = 1 << 3,	/* the help, server-information and URL lists */
	UIV_ALL = 0xf,
	UIV_LISTS = UIV_INDEX | UIV_ATTACH | UIV_HELP,
};

/*
 * X(ID, name, views, "keys", "help"). Keys are separated by spaces; each
 * is a key name as ui_key_parse reads it. The order here is the order of
 * the help screen.
 */
#define REQ_TABLE(X) \
	X(HELP,        "help",         UIV_INDEX | UIV_ATTACH, "? <F1>", "show the keys of this view") \
	X(HELP_PAGER,  "help",         UIV_PAGER | UIV_HELP, "<F1>", "show the keys of this view") \
	X(QUIT,        "quit",         UIV_INDEX, "q", "quit (asks before deleting)") \
	X(BACK,        "back",         UIV_PAGER | UIV_ATTACH | UIV_HELP, "q <Esc> <Left>", "back to the previous view") \
	X(ABORT,       "exit",         UIV_INDEX, "x", "quit, deleting nothing (RSET)") \
	X(DOWN,        "next-line",    UIV_LISTS, "j <Down>", "move down") \
	X(UP,          "previous-line", UIV_LISTS, "k <Up>", "move up") \
	X(PGDN,        "next-page",    UIV_ALL, "<PageDown> <Space>", "page down") \
	X(PGUP,        "previous-page", UIV_ALL, "<PageUp> -", "page up") \
	X(HOME,        "first",        UIV_ALL, "<Home> =", "to the first line") \
	X(END,         "last",         UIV_ALL, "<End> * G", "to the last line") \
	X(JUMP,        "jump",         UIV_INDEX, "1 2 3 4 5 6 7 8 9", "jump to message number N (type N)") \
	X(OPEN,        "open",         UIV_INDEX, "<Enter> <Right>", "read the selected message") \
	X(LINE_DOWN,   "line-down",    UIV_PAGER, "<Enter> <Down>", "scroll down one line") \
	X(LINE_UP,     "line-up",      UIV_PAGER, "<Up> <Backspace>", "scroll up one line") \
	X(NEXT_MSG,    "next-message", UIV_PAGER, "J j", "read the next message") \
	X(PREV_MSG,    "previous-message", UIV_PAGER, "K k", "read the previous message") \
	X(DELETE,      "delete",       UIV_INDEX | UIV_PAGER, "d", "mark for deletion (kept till $ or q)") \
	X(UNDELETE,    "undelete",     UIV_INDEX | UIV_PAGER, "u", "remove the deletion mark") \
	X(COMMIT,      "commit",       UIV_INDEX, "$", "delete marked now: DELE, QUIT, reconnect") \
	X(SEARCH,      "search",       UIV_INDEX | UIV_PAGER, "/", "search forward (case-insensitive)") \
	X(SEARCH_BACK, "search-back",  UIV_PAGER, "?", "search backward") \
	X(SEARCH_NEXT, "search-next",  UIV_INDEX | UIV_PAGER, "n", "next match") \
	X(SEARCH_PREV, "search-previous", UIV_PAGER, "N", "previous match") \
	X(LIMIT,       "limit",        UIV_INDEX, "l", "show only matching messages") \
	X(SORT,        "sort",         UIV_INDEX, "o", "sort: date, size, from, subject, number") \
	X(SORT_REV,    "sort-reverse", UIV_INDEX, "O", "reverse the sort order") \
	X(CHECK,       "check-mail",   UIV_INDEX, "r", "check for new mail (marks are kept)") \
	X(ATTACH,      "attachments",  UIV_INDEX | UIV_PAGER, "v", "the attachments of the message") \
	X(HEADERS,     "all-headers",  UIV_PAGER, "h", "all header fields, or the usual ones") \
	X(URLS,        "urls",         UIV_PAGER, "U", "list the links; Enter opens one") \
	X(VIEW_PART,   "view-part",    UIV_ATTACH, "<Enter>", "read this part in the pager") \
	X(SAVE,        "save",         UIV_ATTACH, "s", "save this part (asks for a path)") \
	X(SAVE_ALL,    "save-all",     UIV_ATTACH, "S", "save all attachments to download_dir") \
	X(PIPE,        "pipe",         UIV_ATTACH, "|", "pipe the decoded part to a command") \
	X(OPEN_PART,   "view-mailcap", UIV_ATTACH, "o", "open with mailcap's viewer or xdg-open") \
	X(SELECT,      "select",       UIV_HELP, "<Enter>", "open the selected link") \
	X(PROTOCOL,    "protocol",     UIV_ALL, "P", "show/hide the live POP3 exchange") \
	X(PROTO_UP,    "protocol-up",  UIV_ALL, "[", "scroll the protocol pane back") \
	X(PROTO_DOWN,  "protocol-down", UIV_ALL, "]", "scroll the protocol pane forward") \
	X(PROMPT,      "pop3-prompt",  UIV_ALL, ":", "type a POP3 command (:help)") \
	X(INFO,        "server-info",  UIV_INDEX | UIV_PAGER | UIV_ATTACH, "i", "server: greeting, CAPA, login, TLS") \
	X(REDRAW,      "redraw",       UIV_ALL, "<C-l>", "redraw the screen") \
	X(SUSPEND,     "suspend",      UIV_ALL, "<C-z>", "suspend pouch (fg resumes)") \
	X(INTERRUPT,   "interrupt",    UIV_ALL, "<C-c>", "cancel a download, else quit (no delete)")

enum ui_req {
	REQ_NONE = 0,
#define REQ_ENUM(id, name, views, keys, help) REQ_##id,
	REQ_TABLE(REQ_ENUM)
#undef REQ_ENUM
	REQ_COUNT
};

struct ui_req_info {
	const char *name;
	unsigned views;
	const char *keys;
	const char *help;
};
/* The table row of a request; NULL for REQ_NONE or out of range. */
const struct ui_req_info *ui_req_info(enum ui_req r);
/* The request called name in the given views (a `bind` line), or REQ_NONE. */
enum ui_req ui_req_by_name(const char *name, unsigned views);

/* Key codes: a Unicode code point (>= 0, below UI_KEY_FN), or UI_KEY_FN +
 * an ncurses KEY_* value for function keys. */
#define UI_KEY_FN 0x200000
#define UI_KEY_MAX (UI_KEY_FN + 0x2000)

/*
 * Reads one key name at s (len bytes): a single UTF-8 character ("j",
 * "ж"), or a name in angle brackets: <Enter> <Esc> <Tab> <Space>
 * <Backspace> <Up> <Down> <Left> <Right> <PageUp> <PageDown> <Home> <End>
 * <Delete> <Insert> <F1>..<F12> <C-a>..<C-z> <lt> (a literal '<').
 * Returns the bytes used (> 0) and the key in *key, or 0 when s does not
 * start with a key name.
 */
size_t ui_key_parse(const char *s, size_t len, int *key);
/* The name of a key into out (at least 16 bytes), as ui_key_parse reads it. */
void ui_key_name(int key, char *out, size_t outlen);

/* The key map: the default bindings, then any the configuration adds. */
struct ui_keymap;
struct ui_keymap *ui_keymap_new(void);	/* NULL when memory ran out */
void ui_keymap_free(struct ui_keymap *km);
/* Binds key to r in the views (replacing what the key did there). 0/-1. */
int ui_keymap_bind(struct ui_keymap *km, unsigned views, int key, enum ui_req r);
/* What key does in view (one UIV_ bit); REQ_NONE when unbound. */
enum ui_req ui_keymap_get(const struct ui_keymap *km, unsigned view, int key);
/* The keys bound to r in view, as names joined by ", " into out. */
void ui_keymap_keys(const struct ui_keymap *km, unsigned view, enum ui_req r,
    char *out, size_t outlen);

/* Adds the configuration's `bind` lines (conf.h) to the key map, checking
 * each (view, key, request). 0, or -1 with *err ("FILE:LINE: ...").
 * A request "noop" unbinds the key. */
struct conf_bind;
int ui_keymap_conf(struct ui_keymap *km, const struct conf_bind *b, size_t n, char **err);

/*
 * A key script, for the headless mode (pouch --keys FILE --dump FILE):
 * text in which every key name stands for itself, spaces and line breaks
 * between names are skipped, '#' starts a comment to the end of the line,
 * and directives start with '@' at the start of a line:
 *   @dump           dump the screen now
 *   @resize COLSxROWS
 *   @text STRING    the rest of the line typed literally (spaces kept)
 *   @wait           wait until the server has answered everything
 *   @signal NAME    raise SIGINT, SIGTERM or SIGHUP in pouch itself
 *   @sleep MS       let MS milliseconds pass (the network is served)
 * Returns the number of steps (or -1 with *err, "line N: ...", malloc'd).
 */
enum ui_step_kind { UI_STEP_KEY, UI_STEP_DUMP, UI_STEP_RESIZE, UI_STEP_WAIT,
	UI_STEP_SIGNAL, UI_STEP_SLEEP };
struct ui_step {
	enum ui_step_kind kind;
	int key;		/* KEY; the signal number for SIGNAL; ms for SLEEP */
	int cols, rows;		/* RESIZE */
};
#define UI_SCRIPT_MAX 100000	/* steps */
long ui_script_parse(const char *buf, size_t len, struct ui_step **out,
    char **err);

#endif
