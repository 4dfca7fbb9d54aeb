/*
 * fuzz_cli.c: the command line's parsers on hostile bytes: the LAST record
 * file (lastrec_parse, with a format/parse round trip), ~/.netrc
 * (netrc_find), the argument vector (cli_args_parse, argv split at NUL
 * bytes), URLs, message lists, the terminal escaper and the record's file
 * name. The first byte picks the parser; the rest is its input. Besides the
 * sanitizers' checks it traps when a promise is broken.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/charset.h>
#include <pouch/cli_args.h>
#include <pouch/cli_out.h>
#include <pouch/lastrec.h>
#include <pouch/netrc.h>
#include <pouch/util.h>

#define ACCOUNT "a@h:110"

static void
fuzz_lastrec(const char *p, size_t n)
{
	struct lastrec *r = lastrec_new(ACCOUNT), *r2;
	char *err = NULL, *t1, *t2;
	size_t l1, l2;

	if (!r)
		return;
	if (lastrec_parse(r, p, n, &err) == LASTREC_OK) {
		/* What was accepted renders to a record that parses back to
		 * the same rendering. */
		t1 = lastrec_format(r, &l1);
		r2 = lastrec_new(ACCOUNT);
		if (t1 && r2) {
			char *e2 = NULL;

			if (lastrec_parse(r2, t1, l1, &e2) != LASTREC_OK)
				__builtin_trap();
			t2 = lastrec_format(r2, &l2);
			if (t2 && (l1 != l2 || memcmp(t1, t2, l1) != 0))
				__builtin_trap();
			if (lastrec_count(r) != lastrec_count(r2) ||
			    lastrec_max(r) != lastrec_max(r2))
				__builtin_trap();
			free(t2);
			free(e2);
		}
		free(t1);
		lastrec_free(r2);
	}
	free(err);
	lastrec_free(r);
}

static void
fuzz_netrc(const char *p, size_t n, int with_login)
{
	struct netrc_entry e;
	char *err = NULL;
	enum netrc_status st;

	memset(&e, 0, sizeof e);
	st = netrc_find(p, n, "mail.example.org", with_login ? "alice" : NULL, &e, &err);
	if (st == NETRC_FOUND) {
		if (e.login && strlen(e.login) > NETRC_MAX_TOKEN)
			__builtin_trap();
		if (e.password && strlen(e.password) > NETRC_MAX_TOKEN)
			__builtin_trap();
		if (with_login && e.login && strcmp(e.login, "alice") != 0)
			__builtin_trap();
	}
	if (st == NETRC_BAD && !err)
		__builtin_trap();
	netrc_entry_free(&e);
	free(err);
}

static void
fuzz_args(const char *p, size_t n)
{
	char *buf = malloc(n + 1), *argv[64];
	struct cli_args a;
	char *err = NULL;
	size_t i, start = 0;
	int argc = 0;

	if (!buf)
		return;
	memcpy(buf, p, n);
	buf[n] = '\0';
	argv[argc++] = (char *)"pouch";
	for (i = 0; i <= n && argc < 63; i++) {
		if (buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	memset(&a, 0, sizeof a);
	if (cli_args_parse(&a, argc, argv, &err) == CLI_ARGS_USAGE && !err)
		__builtin_trap();
	cli_args_free(&a);
	free(err);
	free(buf);
}

static void
fuzz_url_msgs(const char *p, size_t n, int url)
{
	char *s = str_ndup(p, n), *err = NULL;
	unsigned long *v = NULL;
	size_t k = 0, i, j;

	if (!s)
		return;
	if (url) {
		struct cli_url u;

		memset(&u, 0, sizeof u);
		if (cli_url_parse(s, &u, &err) == 0) {
			if (!u.host || !u.port || u.port > 65535)
				__builtin_trap();
		} else if (!err) {
			__builtin_trap();
		}
		cli_url_free(&u);
	} else if (cli_msgs_parse(s, &v, &k, &err) == 0) {
		for (i = 0; i < k; i++) {
			if (v[i] < 1)
				__builtin_trap();
			for (j = 0; j < i && k < 2000; j++)
				if (v[j] == v[i])
					__builtin_trap();	/* named twice */
		}
	}
	free(v);
	free(err);
	free(s);
}

static void
fuzz_escape(const char *p, size_t n)
{
	struct dbuf b;
	size_t i;

	memset(&b, 0, sizeof b);
	if (cli_escape(&b, p, n) == 0) {
		if (b.len && !utf8_valid(b.p, b.len))
			__builtin_trap();	/* invalid bytes are shown as \xNN */
		for (i = 0; i < b.len; i++) {
			unsigned char c = (unsigned char)b.p[i];

			if ((c < 0x20 && c != '\t') || c == 0x7f)
				__builtin_trap();	/* a control reached the terminal */
			/* UTF-8 C1 controls (U+0080..U+009F: C2 80..C2 9F) */
			if (c == 0xc2 && i + 1 < b.len &&
			    (unsigned char)b.p[i + 1] >= 0x80 && (unsigned char)b.p[i + 1] <= 0x9f)
				__builtin_trap();
		}
	}
	dbuf_free(&b);
}

static void
fuzz_path(const char *p, size_t n)
{
	char *acct = str_ndup(p, n), *path;
	size_t i, pre = strlen("/s/last-");

	if (!acct)
		return;
	path = lastrec_path("/s", acct);
	if (path) {
		if (strncmp(path, "/s/last-", pre) != 0)
			__builtin_trap();
		for (i = pre; path[i]; i++)
			if (path[i] == '/')
				__builtin_trap();	/* names another directory */
	}
	free(path);
	free(acct);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n = size ? size - 1 : 0;

	if (size < 1)
		return 0;
	switch (data[0] % 8) {
	case 0: fuzz_lastrec(p, n); break;
	case 1: fuzz_netrc(p, n, 0); break;
	case 2: fuzz_netrc(p, n, 1); break;
	case 3: fuzz_args(p, n); break;
	case 4: fuzz_url_msgs(p, n, 1); break;
	case 5: fuzz_url_msgs(p, n, 0); break;
	case 6: fuzz_escape(p, n); break;
	case 7: fuzz_path(p, n); break;
	}
	return 0;
}
