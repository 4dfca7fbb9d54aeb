/*
 * fuzz_ui.c: the reader's two text parsers on hostile bytes: the
 * configuration file (conf_parse, then every lookup and the key map built
 * from its bind lines) and the headless key scripts (ui_script_parse, and
 * each key name it accepts printed and read back). The first byte picks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/conf.h>
#include <pouch/ui_req.h>

static void
fuzz_conf(const char *p, size_t n)
{
	struct conf *c = NULL;
	char *err = NULL;
	size_t i;

	if (conf_parse(p, n, "fuzz", &c, &err) < 0) {
		if (!err || strncmp(err, "fuzz", 4) != 0)
			__builtin_trap();	/* every refusal names the file */
		free(err);
		return;
	}
	for (i = 0; i <= conf_account_count(c); i++) {
		const struct conf_account *a = i ? conf_account(c, NULL) : conf_global(c);
		const struct conf_bind *b;
		struct ui_keymap *km = ui_keymap_new();
		short fg, bg;
		size_t nb;

		if (!a || !km) {
			ui_keymap_free(km);
			continue;
		}
		(void)conf_get(a, "url");
		(void)conf_get(a, "download_dir");
		(void)conf_color(a, "new", &fg, &bg);
		nb = conf_binds(a, &b);
		if (ui_keymap_conf(km, b, nb, &err) < 0)
			free(err);
		err = NULL;
		ui_keymap_free(km);
	}
	conf_free(c);
}

static void
fuzz_script(const char *p, size_t n)
{
	struct ui_step *s = NULL;
	char *err = NULL;
	long k, i;

	k = ui_script_parse(p, n, &s, &err);
	if (k < 0) {
		if (!err || strncmp(err, "line ", 5) != 0)
			__builtin_trap();
		free(err);
		return;
	}
	for (i = 0; i < k; i++) {
		char name[32];
		int back = -1;

		if (s[i].kind != UI_STEP_KEY)
			continue;
		ui_key_name(s[i].key, name, sizeof name);
		/* a name pouch prints reads back as the same key */
		if (ui_key_parse(name, strlen(name), &back) != strlen(name) || back != s[i].key)
			__builtin_trap();
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		fuzz_conf((const char *)data + 1, size - 1);
	else
		fuzz_script((const char *)data + 1, size - 1);
	return 0;
}
