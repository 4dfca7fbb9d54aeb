/*
 * ui_keys.c: the request table made into a key map, key names, and the
 * headless mode's key scripts (ui_req.h). Uses ncurses' KEY_* numbers but
 * calls nothing in curses, so the parsers fuzz without a terminal.
 */
#include <curses.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/charset.h>
#include <pouch/conf.h>
#include <pouch/ui_req.h>
#include <pouch/util.h>

static const struct ui_req_info reqs[REQ_COUNT] = {
	[REQ_NONE] = { "none", 0, "", "" },
#define REQ_ROW(id, name, views, keys, help) [REQ_##id] = { name, views, keys, help },
	REQ_TABLE(REQ_ROW)
#undef REQ_ROW
};

const struct ui_req_info *
ui_req_info(enum ui_req r)
{
	if (r <= REQ_NONE || r >= REQ_COUNT)
		return NULL;
	return &reqs[r];
}

enum ui_req
ui_req_by_name(const char *name, unsigned views)
{
	int r;

	for (r = REQ_NONE + 1; r < REQ_COUNT; r++)
		if ((reqs[r].views & views) && strcmp(reqs[r].name, name) == 0)
			return (enum ui_req)r;
	return REQ_NONE;
}

static const struct {
	const char *name;
	int key;
} named[] = {
	{ "Enter", '\n' }, { "Return", '\n' }, { "Esc", 27 }, { "Tab", '\t' },
	{ "Space", ' ' }, { "lt", '<' },
	{ "Backspace", UI_KEY_FN + KEY_BACKSPACE },
	{ "Up", UI_KEY_FN + KEY_UP }, { "Down", UI_KEY_FN + KEY_DOWN },
	{ "Left", UI_KEY_FN + KEY_LEFT }, { "Right", UI_KEY_FN + KEY_RIGHT },
	{ "PageUp", UI_KEY_FN + KEY_PPAGE }, { "PageDown", UI_KEY_FN + KEY_NPAGE },
	{ "Home", UI_KEY_FN + KEY_HOME }, { "End", UI_KEY_FN + KEY_END },
	{ "Delete", UI_KEY_FN + KEY_DC }, { "Insert", UI_KEY_FN + KEY_IC },
	{ "Resize", UI_KEY_FN + KEY_RESIZE },
};

size_t
ui_key_parse(const char *s, size_t len, int *key)
{
	size_t i, n, bad;
	uint32_t cp;

	if (len == 0)
		return 0;
	if (s[0] == '<') {
		const char *e = memchr(s, '>', len < 16 ? len : 16);

		if (e && e > s + 1) {
			size_t nl = (size_t)(e - s - 1);
			const char *nm = s + 1;

			for (i = 0; i < sizeof named / sizeof named[0]; i++)
				if (strlen(named[i].name) == nl &&
				    strncasecmp(named[i].name, nm, nl) == 0) {
					*key = named[i].key;
					return nl + 2;
				}
			if (nl == 3 && (nm[0] == 'C' || nm[0] == 'c') && nm[1] == '-' &&
			    ((nm[2] >= 'a' && nm[2] <= 'z') || (nm[2] >= 'A' && nm[2] <= 'Z'))) {
				*key = (nm[2] | 0x20) - 'a' + 1;
				return 5;
			}
			if ((nm[0] == 'F' || nm[0] == 'f') && nl >= 2 && nl <= 3) {
				int f = 0;

				for (i = 1; i < nl; i++) {
					if (nm[i] < '0' || nm[i] > '9')
						return 0;
					f = f * 10 + (nm[i] - '0');
				}
				if (f < 1 || f > 12)
					return 0;
				*key = UI_KEY_FN + KEY_F(f);
				return nl + 2;
			}
		}
		/* A lone '<' (no name follows) is the key '<' itself. */
		*key = '<';
		return 1;
	}
	n = utf8_next(s, len, &cp, &bad);
	if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
		return 0;
	*key = (int)cp;
	return n;
}

void
ui_key_name(int key, char *out, size_t outlen)
{
	size_t i;

	if (outlen == 0)
		return;
	for (i = 0; i < sizeof named / sizeof named[0]; i++)
		if (named[i].key == key && key != '<') {
			snprintf(out, outlen, "<%s>", named[i].name);
			return;
		}
	if (key >= 1 && key <= 26) {
		snprintf(out, outlen, "<C-%c>", 'a' + key - 1);
		return;
	}
	if (key >= UI_KEY_FN + KEY_F(1) && key <= UI_KEY_FN + KEY_F(12)) {
		snprintf(out, outlen, "<F%d>", key - UI_KEY_FN - KEY_F0);
		return;
	}
	if (key >= 0x20 && key < UI_KEY_FN && key != 0x7f && !(key >= 0x80 && key < 0xa0)) {
		char b[5];
		uint32_t c = (uint32_t)key;
		size_t n;

		if (c < 0x80) { b[0] = (char)c; n = 1; }
		else if (c < 0x800) { b[0] = (char)(0xc0 | c >> 6); b[1] = (char)(0x80 | (c & 0x3f)); n = 2; }
		else if (c < 0x10000) { b[0] = (char)(0xe0 | c >> 12); b[1] = (char)(0x80 | ((c >> 6) & 0x3f)); b[2] = (char)(0x80 | (c & 0x3f)); n = 3; }
		else { b[0] = (char)(0xf0 | c >> 18); b[1] = (char)(0x80 | ((c >> 12) & 0x3f)); b[2] = (char)(0x80 | ((c >> 6) & 0x3f)); b[3] = (char)(0x80 | (c & 0x3f)); n = 4; }
		b[n] = 0;
		snprintf(out, outlen, "%s", key == '<' ? "<lt>" : b);
		return;
	}
	snprintf(out, outlen, "<%#x>", (unsigned)key);
}

/* A small open-addressed map would do; the bindings are few (about a
 * hundred), so a list searched from the end (later bindings win) is enough. */
struct binding {
	unsigned views;
	int key;
	enum ui_req req;
};

struct ui_keymap {
	struct binding *v;
	size_t n, cap;
};

int
ui_keymap_bind(struct ui_keymap *km, unsigned views, int key, enum ui_req r)
{
	if (km->n == km->cap) {
		size_t cap = km->cap ? km->cap * 2 : 128;
		struct binding *nv = realloc(km->v, cap * sizeof *nv);

		if (!nv)
			return -1;
		km->v = nv;
		km->cap = cap;
	}
	km->v[km->n].views = views;
	km->v[km->n].key = key;
	km->v[km->n].req = r;
	km->n++;
	return 0;
}

struct ui_keymap *
ui_keymap_new(void)
{
	struct ui_keymap *km = calloc(1, sizeof *km);
	int r;

	if (!km)
		return NULL;
	for (r = REQ_NONE + 1; r < REQ_COUNT; r++) {
		const char *k = reqs[r].keys;
		size_t len = strlen(k), i = 0, n;
		int key;

		while (i < len) {
			if (k[i] == ' ') {
				i++;
				continue;
			}
			n = ui_key_parse(k + i, len - i, &key);
			if (n == 0 || ui_keymap_bind(km, reqs[r].views, key, (enum ui_req)r) < 0) {
				ui_keymap_free(km);
				return NULL;
			}
			i += n;
		}
	}
	return km;
}

void
ui_keymap_free(struct ui_keymap *km)
{
	if (!km)
		return;
	free(km->v);
	free(km);
}

/* The binding in force: the last one made for this key in this view. A
 * later binding in a view replaces an earlier one only there. */
enum ui_req
ui_keymap_get(const struct ui_keymap *km, unsigned view, int key)
{
	size_t i = km->n;

	while (i-- > 0)
		if (km->v[i].key == key && (km->v[i].views & view))
			return km->v[i].req;
	return REQ_NONE;
}

void
ui_keymap_keys(const struct ui_keymap *km, unsigned view, enum ui_req r,
    char *out, size_t outlen)
{
	size_t i, nk = 0, used = 0;
	int keys[64];
	char name[24], last[24];

	if (outlen == 0)
		return;
	out[0] = 0;
	for (i = 0; i < km->n && nk < sizeof keys / sizeof keys[0]; i++) {
		size_t j, dup = 0;

		if (km->v[i].req != r || !(km->v[i].views & view))
			continue;
		/* still bound to r here (not rebound later), and not listed yet */
		if (ui_keymap_get(km, view, km->v[i].key) != r)
			continue;
		for (j = 0; j < nk; j++)
			if (keys[j] == km->v[i].key)
				dup = 1;
		if (!dup)
			keys[nk++] = km->v[i].key;
	}
	/* a run of three or more consecutive characters (1 2 ... 9) shows as
	 * "1-9" */
	for (i = 0; i < nk; i++) {
		size_t run = i;

		while (run + 1 < nk && keys[run + 1] == keys[run] + 1 &&
		    keys[run + 1] < UI_KEY_FN && keys[i] > ' ')
			run++;
		ui_key_name(keys[i], name, sizeof name);
		if (run - i >= 2) {
			ui_key_name(keys[run], last, sizeof last);
			used += (size_t)snprintf(out + used, outlen - used, "%s%s-%s",
			    used ? ", " : "", name, last);
			i = run;
		} else {
			used += (size_t)snprintf(out + used, outlen - used, "%s%s",
			    used ? ", " : "", name);
		}
		if (used >= outlen) {
			out[outlen - 1] = 0;
			return;
		}
	}
}

static int
step_add(struct ui_step **v, size_t *n, size_t *cap, struct ui_step s)
{
	if (*n >= UI_SCRIPT_MAX)
		return -1;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct ui_step *nv = realloc(*v, nc * sizeof *nv);

		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = s;
	return 0;
}

long
ui_script_parse(const char *buf, size_t len, struct ui_step **out, char **err)
{
	struct ui_step *v = NULL, st;
	size_t n = 0, cap = 0, i = 0, line = 1;

	*out = NULL;
	*err = NULL;
	while (i < len) {
		int bol = i == 0 || buf[i - 1] == '\n';
		const char *eol = memchr(buf + i, '\n', len - i);
		size_t lend = eol ? (size_t)(eol - buf) : len;

		memset(&st, 0, sizeof st);
		if (buf[i] == '\n') {
			line++;
			i++;
			continue;
		}
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r') {
			i++;
			continue;
		}
		if (buf[i] == '#') {
			i = lend;
			continue;
		}
		if (bol && buf[i] == '@') {
			const char *d = buf + i + 1;
			size_t dl = lend - i - 1;

			if (dl >= 4 && memcmp(d, "dump", 4) == 0 && (dl == 4 || d[4] == ' ')) {
				st.kind = UI_STEP_DUMP;
			} else if (dl >= 4 && memcmp(d, "wait", 4) == 0 && (dl == 4 || d[4] == ' ')) {
				st.kind = UI_STEP_WAIT;
			} else if (dl > 6 && memcmp(d, "sleep ", 6) == 0) {
				char tmp[16];
				int ms, used = 0;

				if (dl - 6 >= sizeof tmp)
					goto bad;
				memcpy(tmp, d + 6, dl - 6);
				tmp[dl - 6] = 0;
				if (sscanf(tmp, "%d%n", &ms, &used) != 1 || tmp[used] || ms < 0 || ms > 600000)
					goto bad;
				st.kind = UI_STEP_SLEEP;
				st.key = ms;
			} else if (dl > 7 && memcmp(d, "resize ", 7) == 0) {
				char tmp[32];
				int c, r;
				char x;

				if (dl - 7 >= sizeof tmp)
					goto bad;
				memcpy(tmp, d + 7, dl - 7);
				tmp[dl - 7] = 0;
				if (sscanf(tmp, "%d%c%d", &c, &x, &r) != 3 || x != 'x' ||
				    c < 10 || c > 1000 || r < 4 || r > 1000)
					goto bad;
				st.kind = UI_STEP_RESIZE;
				st.cols = c;
				st.rows = r;
			} else if (dl > 7 && memcmp(d, "signal ", 7) == 0) {
				st.kind = UI_STEP_SIGNAL;
				if (dl - 7 == 3 && memcmp(d + 7, "INT", 3) == 0)
					st.key = SIGINT;
				else if (dl - 7 == 4 && memcmp(d + 7, "TERM", 4) == 0)
					st.key = SIGTERM;
				else if (dl - 7 == 3 && memcmp(d + 7, "HUP", 3) == 0)
					st.key = SIGHUP;
				else
					goto bad;
			} else if (dl >= 5 && memcmp(d, "text ", 5) == 0) {
				size_t j = 5, k;
				int key;

				while (j < dl) {
					k = ui_key_parse(d + j, dl - j, &key);
					if (k == 0)
						goto bad;
					/* literal: '<' is only ever itself here */
					if (d[j] == '<') {
						key = '<';
						k = 1;
					}
					st.kind = UI_STEP_KEY;
					st.key = key;
					if (step_add(&v, &n, &cap, st) < 0)
						goto nomem;
					j += k;
				}
				i = lend;
				continue;
			} else {
				goto bad;
			}
			if (step_add(&v, &n, &cap, st) < 0)
				goto nomem;
			i = lend;
			continue;
		}
		{
			int key;
			size_t k = ui_key_parse(buf + i, lend - i, &key);

			if (k == 0)
				goto bad;
			st.kind = UI_STEP_KEY;
			st.key = key;
			if (step_add(&v, &n, &cap, st) < 0)
				goto nomem;
			i += k;
		}
	}
	*out = v;
	return (long)n;
bad:
	*err = str_printf("line %zu: not a key name or a directive", line);
	free(v);
	return -1;
nomem:
	*err = str_printf(n >= UI_SCRIPT_MAX ? "line %zu: more than 100000 steps" :
	    "line %zu: out of memory", line);
	free(v);
	return -1;
}

static unsigned
view_by_name(const char *s)
{
	if (strcmp(s, "index") == 0)
		return UIV_INDEX;
	if (strcmp(s, "pager") == 0)
		return UIV_PAGER;
	if (strcmp(s, "attach") == 0)
		return UIV_ATTACH;
	if (strcmp(s, "list") == 0)
		return UIV_HELP;
	if (strcmp(s, "all") == 0)
		return UIV_ALL;
	return 0;
}

int
ui_keymap_conf(struct ui_keymap *km, const struct conf_bind *b, size_t n, char **err)
{
	size_t i;

	*err = NULL;
	for (i = 0; i < n; i++) {
		unsigned views = view_by_name(b[i].view);
		size_t kl = strlen(b[i].key), used;
		int key;
		enum ui_req r;

		if (!views) {
			*err = str_printf("%s:%u: bind: no view '%.40s' (index, pager, attach, list, all)",
			    b[i].file, b[i].line, b[i].view);
			return -1;
		}
		used = ui_key_parse(b[i].key, kl, &key);
		if (used == 0 || used != kl) {
			*err = str_printf("%s:%u: bind: '%.40s' is not one key (j, <Enter>, <C-l>, <F5>, ...)",
			    b[i].file, b[i].line, b[i].key);
			return -1;
		}
		r = strcmp(b[i].request, "noop") == 0 ? REQ_NONE : ui_req_by_name(b[i].request, views);
		if (r == REQ_NONE && strcmp(b[i].request, "noop") != 0) {
			*err = str_printf("%s:%u: bind: no request '%.40s' in the %s view (pouch.conf(5) lists them)",
			    b[i].file, b[i].line, b[i].request, b[i].view);
			return -1;
		}
		if (ui_keymap_bind(km, views, key, r) < 0) {
			*err = strdup("out of memory");
			return -1;
		}
	}
	return 0;
}
