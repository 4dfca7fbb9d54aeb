/*
 * test_cli_units.c: the command line's pure parts, as tables: message
 * lists, URLs, whole command lines, netrc files, the LAST record, terminal
 * escaping, the trace format, and message files that are never overwritten
 * and never left half written.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pouch/cli_args.h>
#include <pouch/cli_out.h>
#include <pouch/cred.h>
#include <pouch/lastrec.h>
#include <pouch/netrc.h>
#include <pouch/util.h>

#include "tap.h"

static const struct {
	const char *in;
	const char *want;	/* the numbers, space-separated; NULL: rejected */
} msgs_cases[] = {
	{ "1", "1" },
	{ "7", "7" },
	{ "1-3,7", "1 2 3 7" },
	{ "3-3", "3" },
	{ "10,2,5-6", "10 2 5 6" },
	{ "4294967295", "4294967295" },
	{ "0", NULL },
	{ "3-1", NULL },
	{ "99999999999999999999", NULL },
	{ "4294967296", NULL },
	{ "1-", NULL },
	{ "-1", NULL },
	{ "a", NULL },
	{ "", NULL },
	{ ",", NULL },
	{ "1,", NULL },
	{ ",1", NULL },
	{ "1,,2", NULL },
	{ "1-2-3", NULL },
	{ " 1", NULL },
	{ "1 ", NULL },
	{ "+1", NULL },
	{ "0x10", NULL },
	{ "1-3,2", NULL },		/* named twice */
	{ "5,5", NULL },
	{ "1-1000001", NULL },		/* more than CLI_MSGS_MAX */
	{ "1-4294967295", NULL },
	{ "1\n2", NULL },
};

static void
test_msgs(void)
{
	size_t i, k;

	for (i = 0; i < sizeof msgs_cases / sizeof msgs_cases[0]; i++) {
		unsigned long *v = NULL;
		size_t n = 0;
		char *err = NULL;
		int r = cli_msgs_parse(msgs_cases[i].in, &v, &n, &err);

		if (!msgs_cases[i].want) {
			ok(r < 0 && err && *err && n == 0, "message list #%zu rejected", i);
		} else {
			struct dbuf b;

			dbuf_init(&b, 0);
			for (k = 0; r == 0 && k < n; k++)
				dbuf_printf(&b, "%s%lu", k ? " " : "", v[k]);
			is_str(r == 0 ? (b.p ? b.p : "") : "(rejected)", msgs_cases[i].want,
			    "message list '%s'", msgs_cases[i].in);
			dbuf_free(&b);
		}
		free(v);
		free(err);
	}
}

static const struct {
	const char *in;
	int secure;
	const char *user, *host;
	unsigned port;
} url_ok[] = {
	{ "pop3://mail.example.org", 0, NULL, "mail.example.org", 110 },
	{ "pop3s://mail.example.org", 1, NULL, "mail.example.org", 995 },
	{ "POP3://alice@Mail.Example.ORG:1110/", 0, "alice", "mail.example.org", 1110 },
	{ "pop3s://a%40b.c@host:9950", 1, "a@b.c", "host", 9950 },
	{ "pop3://x@y@host", 0, "x@y", "host", 110 },
	{ "pop3://[::1]:11110", 0, NULL, "::1", 11110 },
	{ "pop3://127.0.0.1:65535", 0, NULL, "127.0.0.1", 65535 },
};

static const char *const url_bad[] = {
	"http://host", "pop3://", "pop3://:110", "pop3://host:0", "pop3://host:65536",
	"pop3://host:99999999999", "pop3://host:", "pop3://host:1a", "pop3://host/INBOX",
	"pop3://host?x", "pop3://alice:secret@host", "pop3://@host", "pop3://ho st",
	"pop3://host\x1b[2J", "pop3://%0a@host", "pop3://[::1", "pop3://[zz]",
	"pop3://[::1]x", "pop3://ho/st", "pop3://h\xc3\xa9",
};

static void
test_urls(void)
{
	size_t i;

	for (i = 0; i < sizeof url_ok / sizeof url_ok[0]; i++) {
		struct cli_url u;
		char *err = NULL;
		int r = cli_url_parse(url_ok[i].in, &u, &err);

		ok(r == 0 && u.secure == url_ok[i].secure && u.port == url_ok[i].port &&
		    u.host && strcmp(u.host, url_ok[i].host) == 0 &&
		    ((!u.user && !url_ok[i].user) ||
		    (u.user && url_ok[i].user && strcmp(u.user, url_ok[i].user) == 0)),
		    "URL %s", url_ok[i].in);
		if (r == 0)
			cli_url_free(&u);
		free(err);
	}
	for (i = 0; i < sizeof url_bad / sizeof url_bad[0]; i++) {
		struct cli_url u;
		char *err = NULL;
		int r = cli_url_parse(url_bad[i], &u, &err);

		ok(r < 0 && err, "URL #%zu rejected (%s)", i, err ? err : "-");
		if (r == 0)
			cli_url_free(&u);
		free(err);
	}
	{
		struct cli_url u;
		char *err = NULL;

		cli_url_parse("pop3://alice:hunter2@host", &u, &err);
		ok(err && !strstr(err, "hunter2"), "a password in the URL is not echoed back");
		free(err);
	}
}

#define MAXARGS 16
static const struct {
	const char *argv[MAXARGS];
	enum cli_args_result want;
	const char *err_has;	/* for USAGE */
} argv_cases[] = {
	{ { "pouch", "pop3://h", "stat" }, CLI_ARGS_OK, NULL },
	{ { "pouch", "-h" }, CLI_ARGS_HELP, NULL },
	{ { "pouch", "--help", "pop3://h" }, CLI_ARGS_HELP, NULL },
	{ { "pouch", "-V" }, CLI_ARGS_VERSION, NULL },
	{ { "pouch", "-qV" }, CLI_ARGS_VERSION, NULL },
	{ { "pouch" }, CLI_ARGS_OK, NULL },		/* the reader, default account */
	{ { "pouch", "pop3://h" }, CLI_ARGS_OK, NULL },	/* the reader on that URL */
	{ { "pouch", "-a", "work" }, CLI_ARGS_OK, NULL },
	{ { "pouch", "-a", "work", "pop3://h" }, CLI_ARGS_USAGE, "either -a ACCOUNT or a URL" },
	{ { "pouch", "--size", "40x3", "pop3://h" }, CLI_ARGS_USAGE, "COLSxROWS" },
	{ { "pouch", "pop3://h", "frob" }, CLI_ARGS_USAGE, "unknown command" },
	{ { "pouch", "--password", "x", "pop3://h", "stat" }, CLI_ARGS_USAGE, "never given on the command line" },
	{ { "pouch", "--password-c", "x", "pop3://h", "stat" }, CLI_ARGS_USAGE, "unknown option" },
	{ { "pouch", "--pass=x", "pop3://h", "stat" }, CLI_ARGS_USAGE, "never given" },
	{ { "pouch", "-p", "x", "pop3://h", "stat" }, CLI_ARGS_USAGE, "never given" },
	{ { "pouch", "--tls", "maybe", "pop3://h", "stat" }, CLI_ARGS_USAGE, "auto, required or none" },
	{ { "pouch", "--auth", "KERBEROS", "pop3://h", "stat" }, CLI_ARGS_USAGE, "unknown mechanism" },
	{ { "pouch", "--timeout", "0", "pop3://h", "stat" }, CLI_ARGS_USAGE, "seconds" },
	{ { "pouch", "--timeout", "-3", "pop3://h", "stat" }, CLI_ARGS_USAGE, "seconds" },
	{ { "pouch", "--timeout", "nan", "pop3://h", "stat" }, CLI_ARGS_USAGE, "seconds" },
	{ { "pouch", "--timeout", "1e9", "pop3://h", "stat" }, CLI_ARGS_USAGE, "seconds" },
	{ { "pouch", "--timeout", "2.5", "pop3://h", "stat" }, CLI_ARGS_OK, NULL },
	{ { "pouch", "--timeout" }, CLI_ARGS_USAGE, "needs an argument" },
	{ { "pouch", "--trace=yes", "pop3://h", "stat" }, CLI_ARGS_USAGE, "takes no argument" },
	{ { "pouch", "-o", "", "pop3://h", "stat" }, CLI_ARGS_USAGE, "empty" },
	{ { "pouch", "pop3://h", "retr", "1-3" }, CLI_ARGS_USAGE, "needs -o DIR" },
	{ { "pouch", "-o", "d", "pop3://h", "retr", "1-3" }, CLI_ARGS_OK, NULL },
	{ { "pouch", "-od", "pop3://h", "retr", "1,2" }, CLI_ARGS_OK, NULL },
	{ { "pouch", "pop3://h", "retr", "1", "-o", "d" }, CLI_ARGS_OK, NULL },
	{ { "pouch", "pop3://h", "retr", "1-3", "-o", "d", "--", "dele", "1-3" }, CLI_ARGS_OK, NULL },
	{ { "pouch", "pop3://h", "retr", "1-3", "--output=d" }, CLI_ARGS_OK, NULL },
	{ { "pouch", "pop3://h", "retr", "1-3", "-od" }, CLI_ARGS_OK, NULL },
	{ { "pouch", "-o", "d", "pop3://h", "retr", "1-3", "-o", "d" }, CLI_ARGS_OK, NULL },
	{ { "pouch", "-o", "d", "pop3://h", "retr", "1-3", "-o", "e" }, CLI_ARGS_USAGE, "two output directories" },
	{ { "pouch", "pop3://h", "retr", "1-3", "-o" }, CLI_ARGS_USAGE, "needs a directory" },
	{ { "pouch", "pop3://h", "retr", "1-3", "--output=" }, CLI_ARGS_USAGE, "directory is empty" },
	{ { "pouch", "pop3://h", "retr", "1", "-x" }, CLI_ARGS_USAGE, "options go before the URL" },
	{ { "pouch", "pop3://h", "dele", "1", "-o", "d" }, CLI_ARGS_USAGE, "options go before the URL" },
	{ { "pouch", "pop3://h", "retr" }, CLI_ARGS_USAGE, "wrong number" },
	{ { "pouch", "pop3://h", "retr", "0" }, CLI_ARGS_USAGE, "bad message list" },
	{ { "pouch", "pop3://h", "dele", "1", "2-3", "1" }, CLI_ARGS_USAGE, "named twice" },
	{ { "pouch", "pop3://h", "dele", "1", "2-3" }, CLI_ARGS_OK, NULL },
	{ { "pouch", "pop3://h", "top", "1" }, CLI_ARGS_USAGE, "wrong number" },
	{ { "pouch", "pop3://h", "top", "1", "0" }, CLI_ARGS_OK, NULL },
	{ { "pouch", "pop3://h", "top", "1", "x" }, CLI_ARGS_USAGE, "line count" },
	{ { "pouch", "pop3://h", "list", "1", "2" }, CLI_ARGS_USAGE, "wrong number" },
	{ { "pouch", "pop3://h", "stat", "1" }, CLI_ARGS_USAGE, "wrong number" },
	{ { "pouch", "pop3://h", "stat", "--" }, CLI_ARGS_USAGE, "empty command" },
	{ { "pouch", "pop3://h", "stat", "--", "--", "list" }, CLI_ARGS_USAGE, "empty command" },
	{ { "pouch", "pop3://h", "quit", "--", "stat" }, CLI_ARGS_USAGE, "last command" },
	{ { "pouch", "pop3://h", "stat", "--", "QUIT" }, CLI_ARGS_OK, NULL },
	{ { "pouch", "-x", "pop3://h", "stat" }, CLI_ARGS_USAGE, "unknown option -x" },
	{ { "pouch", "-u", "", "pop3://h", "stat" }, CLI_ARGS_USAGE, "empty" },
	{ { "pouch", "--", "pop3://h", "noop" }, CLI_ARGS_OK, NULL },
};

static void
test_argv(void)
{
	size_t i;

	for (i = 0; i < sizeof argv_cases / sizeof argv_cases[0]; i++) {
		char *argv[MAXARGS + 1];
		struct cli_args a;
		char *err = NULL;
		int argc = 0;
		enum cli_args_result r;

		while (argc < MAXARGS && argv_cases[i].argv[argc]) {
			argv[argc] = (char *)argv_cases[i].argv[argc];
			argc++;
		}
		argv[argc] = NULL;
		r = cli_args_parse(&a, argc, argv, &err);
		is_int(r, argv_cases[i].want, "argv #%zu (%s %s ...)", i,
		    argc > 1 ? argv[1] : "", argc > 2 ? argv[2] : "");
		if (argv_cases[i].err_has)
			ok(err && strstr(err, argv_cases[i].err_has),
			    "argv #%zu: message says '%s' (%s)", i, argv_cases[i].err_has,
			    err ? err : "none");
		free(err);
		cli_args_free(&a);
	}
	{
		char *argv[] = { "pouch", "-q", "--trace", "--no-pipelining", "-u", "bob",
			"--tls=none", "--timeout", "5", "pop3s://h:1", "stat", "--", "dele", "1-2,4",
			"--", "top", "3", "10", NULL };
		struct cli_args a;
		char *err = NULL;

		is_int(cli_args_parse(&a, 18, argv, &err), CLI_ARGS_OK, "a full command line");
		ok(a.quiet && a.trace && a.pipelining == 0 && strcmp(a.user, "bob") == 0 &&
		    a.tls == POP3_TLS_NONE && a.timeout_ms == 5000 && a.u.secure && a.u.port == 1,
		    "options as given");
		ok(a.ncmds == 3 && a.cmds[0].verb == CLI_STAT && a.cmds[1].verb == CLI_DELE &&
		    a.cmds[1].nmsgs == 3 && a.cmds[1].msgs[2] == 4 && a.cmds[2].verb == CLI_TOP &&
		    a.cmds[2].n == 3 && a.cmds[2].lines == 10, "three commands as given");
		free(err);
		cli_args_free(&a);
	}
}

static const struct {
	const char *name;
	const char *text;
	const char *host, *login;
	enum netrc_status want;
	const char *want_login, *want_pass;
} netrc_cases[] = {
	{ "plain", "machine h login u password p\n", "h", NULL, NETRC_FOUND, "u", "p" },
	{ "host case", "machine MAIL.Example.org login u password p\n", "mail.example.org", NULL, NETRC_FOUND, "u", "p" },
	{ "other host", "machine x login u password p\n", "h", NULL, NETRC_NOT_FOUND, NULL, NULL },
	{ "login chosen", "machine h login a password pa\nmachine h login b password pb\n", "h", "b", NETRC_FOUND, "b", "pb" },
	{ "first wins", "machine h login a password pa\nmachine h login b password pb\n", "h", NULL, NETRC_FOUND, "a", "pa" },
	{ "login mismatch", "machine h login a password pa\n", "h", "b", NETRC_NOT_FOUND, NULL, NULL },
	{ "default", "machine x login u password p\ndefault login d password dp\n", "h", NULL, NETRC_FOUND, "d", "dp" },
	{ "machine beats default", "default login d password dp\nmachine h login u password p\n", "h", NULL, NETRC_FOUND, "u", "p" },
	{ "one line, many", "machine a login 1 password 2 machine h login u password p machine z", "h", NULL, NETRC_FOUND, "u", "p" },
	{ "quoted", "machine h login \"a b\" password \"p\\\"q\\\\r s\"\n", "h", NULL, NETRC_FOUND, "a b", "p\"q\\r s" },
	{ "macdef skipped", "macdef init\nmachine h login evil password evil\n\nmachine h login u password p\n", "h", NULL, NETRC_FOUND, "u", "p" },
	{ "macdef at the end", "machine h login u password p\nmacdef x\ncd /\n", "h", NULL, NETRC_FOUND, "u", "p" },
	{ "comments", "# machine h login c password c\nmachine h login u password p\n", "h", NULL, NETRC_FOUND, "u", "p" },
	{ "account and port", "machine h login u account acc port 110 password p\n", "h", NULL, NETRC_FOUND, "u", "p" },
	{ "no password", "machine h login u\n", "h", NULL, NETRC_FOUND, "u", NULL },
	{ "CRLF", "machine h\r\n login u\r\n password p\r\n", "h", NULL, NETRC_FOUND, "u", "p" },
	{ "empty", "", "h", NULL, NETRC_NOT_FOUND, NULL, NULL },
	{ "unterminated quote", "machine h login u password \"p\n", "h", NULL, NETRC_BAD, NULL, NULL },
	{ "value missing", "machine h login u password", "h", NULL, NETRC_BAD, NULL, NULL },
	{ "machine missing", "machine", "h", NULL, NETRC_BAD, NULL, NULL },
	{ "garbage words", "\x01\x02 zork machine h login u password p\n", "h", NULL, NETRC_FOUND, "u", "p" },
	{ "escape sequences", "machine h login \x1b[2J password p\n", "h", NULL, NETRC_FOUND, "\x1b[2J", "p" },
};

static void
test_netrc(void)
{
	size_t i;
	char big[NETRC_MAX_TOKEN + 64];
	struct netrc_entry e;
	char *err = NULL;

	for (i = 0; i < sizeof netrc_cases / sizeof netrc_cases[0]; i++) {
		enum netrc_status st;

		err = NULL;
		st = netrc_find(netrc_cases[i].text, strlen(netrc_cases[i].text),
		    netrc_cases[i].host, netrc_cases[i].login, &e, &err);
		is_int(st, netrc_cases[i].want, "netrc %s: status", netrc_cases[i].name);
		if (netrc_cases[i].want == NETRC_FOUND) {
			is_str(e.login, netrc_cases[i].want_login, "netrc %s: login", netrc_cases[i].name);
			is_str(e.password, netrc_cases[i].want_pass, "netrc %s: password", netrc_cases[i].name);
		}
		if (netrc_cases[i].want == NETRC_BAD)
			ok(err != NULL, "netrc %s: says why (%s)", netrc_cases[i].name, err ? err : "-");
		netrc_entry_free(&e);
		free(err);
	}
	/* A keyword without its value is named in the message. */
	err = NULL;
	is_int(netrc_find("machine h port", 14, "h", NULL, &e, &err), NETRC_BAD,
	    "netrc 'port' without a value is bad");
	is_str(err, "line 1: 'port' without a value", "netrc: the message names 'port'");
	free(err);
	err = NULL;
	is_int(netrc_find("machine h account", 17, "h", NULL, &e, &err), NETRC_BAD,
	    "netrc 'account' without a value is bad");
	is_str(err, "line 1: 'account' without a value", "netrc: the message names 'account'");
	free(err);
	/* A NUL byte, an overlong token. */
	err = NULL;
	is_int(netrc_find("machine h\0login u password p", 28, "h", NULL, &e, &err),
	    NETRC_BAD, "netrc with a NUL byte is bad");
	free(err);
	memcpy(big, "machine h password ", 19);
	memset(big + 19, 'x', NETRC_MAX_TOKEN + 1);
	err = NULL;
	is_int(netrc_find(big, 19 + NETRC_MAX_TOKEN + 1, "h", NULL, &e, &err),
	    NETRC_BAD, "netrc with an overlong token is bad");
	free(err);
	err = NULL;
	is_int(netrc_find_file("/nonexistent/pouch/netrc", "h", NULL, &e, &err),
	    NETRC_NO_FILE, "a missing netrc file");
	free(err);
	err = NULL;
	is_int(netrc_find_file("/", "h", NULL, &e, &err), NETRC_BAD,
	    "a directory is not a netrc file");
	free(err);
	{
		char path[] = "/tmp/pouch-netrc-XXXXXX";
		int fd = mkstemp(path);
		const char *t = "machine h login u password p\n";

		ok(fd >= 0 && write(fd, t, strlen(t)) == (ssize_t)strlen(t), "netrc file written");
		close(fd);
		err = NULL;
		is_int(netrc_find_file(path, "h", "u", &e, &err), NETRC_FOUND, "netrc file read");
		is_str(e.password, "p", "netrc file password");
		netrc_entry_free(&e);
		free(err);
		unlink(path);
	}
}

static int
keep_a(void *ctx, const char *uid)
{
	(void)ctx;
	return uid[0] == 'a';
}

static void
test_lastrec_lock(void)
{
	char dir[] = "/tmp/pouch-lock-XXXXXX";
	char *path, *err = NULL;
	int a, b;

	ok(mkdtemp(dir) != NULL, "lock dir made");
	path = str_printf("%s/sub/last-a@h%%3A110", dir);
	a = lastrec_lock(path, 0, &err);
	ok(a >= 0, "the first lock is taken (and the directory made): %s", err ? err : "");
	free(err);
	err = NULL;
	b = lastrec_lock(path, 50, &err);
	is_int(b, -1, "a second lock waits 50 ms, then gives up");
	ok(err && strstr(err, "another pouch has held it"), "and says why: %s", err ? err : "");
	free(err);
	err = NULL;
	lastrec_unlock(a);
	b = lastrec_lock(path, 0, &err);
	ok(b >= 0, "once let go, the lock is free again");
	lastrec_unlock(b);
	free(err);
	free(path);
	path = str_printf("%s/sub/last-a@h%%3A110.lock", dir);
	unlink(path);
	free(path);
	path = str_printf("%s/sub", dir);
	rmdir(path);
	free(path);
	rmdir(dir);
}

static void
test_lastrec(void)
{
	char dir[] = "/tmp/pouch-last-XXXXXX";
	struct lastrec *r, *r2;
	char *path, *text, *err = NULL;
	size_t len;
	struct stat st;
	static const char *const corrupt[] = {
		"",
		"pouch-last 1\n",
		"pouch-last 2\naccount a@h:110\n",
		"pouch-last 1\naccount b@h:110\n",
		"pouch-last 1\naccount a@h:110\nuid ok\nuid bad uid\n",
		"pouch-last 1\naccount a@h:110\nuid \x1b[2J\n",
		"pouch-last 1\naccount a@h:110\nuid \n",
		"pouch-last 1\naccount a@h:110\nmax x\n",
		"pouch-last 1\naccount a@h:110\nmax 99999999999\n",
		"pouch-last 1\naccount a@h:110\nnum 0\n",
		"pouch-last 1\naccount a@h:110\nnum -1\n",
		"pouch-last 1\naccount a@h:110\nnum 4294967296\n",
		"pouch-last 1\naccount a@h:110\nuid abc",
		"pouch-last 1\naccount a@h:110\nrm -rf /\n",
		"pouch-last 1\r\naccount a@h:110\r\n",
		"pouch-last 1\naccount a@h:110\nuid 0123456789012345678901234567890123456789012345678901234567890123456789X\n",
	};
	size_t i;

	ok(mkdtemp(dir) != NULL, "state dir made");
	r = lastrec_new("a@h:110");
	ok(r && lastrec_count(r) == 0 && lastrec_max(r) == 0, "an empty record");
	ok(lastrec_add(r, "zz") == 0 && lastrec_add(r, "aa") == 0 && lastrec_add(r, "mm") == 0 &&
	    lastrec_add(r, "aa") == 0, "UIDLs added");
	ok(lastrec_add(r, "bad uid") < 0 && lastrec_add(r, "") < 0 && lastrec_add(r, "\x7f") < 0,
	    "invalid UIDLs refused");
	ok(lastrec_has(r, "aa") && lastrec_has(r, "mm") && lastrec_has(r, "zz") &&
	    !lastrec_has(r, "bb"), "membership");
	is_int(lastrec_count(r), 3, "duplicates kept once");
	ok(lastrec_num_add(r, 7) == 0 && lastrec_num_add(r, 2) == 0 && lastrec_num_add(r, 7) == 0 &&
	    lastrec_num_add(r, 0) < 0, "numbers added (0 refused)");
	ok(lastrec_num_count(r) == 2 && lastrec_num_get(r, 0) == 2 && lastrec_num_get(r, 1) == 7 &&
	    lastrec_max(r) == 7, "numbers kept sorted, once each; max is the highest");
	lastrec_set_nolast(r, 1);
	text = lastrec_format(r, &len);
	is_str(text, "pouch-last 1\naccount a@h:110\nserver-last no\nnum 2\nnum 7\n"
	    "uid aa\nuid mm\nuid zz\n", "record format");
	free(text);
	r2 = lastrec_new("a@h:110");
	text = "pouch-last 1\naccount a@h:110\nmax 5\nuid x\n";
	ok(r2 && lastrec_parse(r2, text, strlen(text), &err) == LASTREC_OK &&
	    lastrec_num_count(r2) == 1 && lastrec_max(r2) == 5 && lastrec_has(r2, "x"),
	    "an older record's max N reads as num N");
	text = "pouch-last 1\naccount a@h:110\nmax 0\n";
	ok(r2 && lastrec_parse(r2, text, strlen(text), &err) == LASTREC_OK &&
	    lastrec_num_count(r2) == 0, "and max 0 as no number");
	lastrec_free(r2);

	path = lastrec_path(dir, "a@h:110");
	ok(path && strstr(path, "/last-a@h%3A110"), "record path escapes the account (%s)",
	    path ? path : "-");
	free(path);
	path = lastrec_path(dir, "../../etc/x");
	ok(path && !strstr(path, "/../") && strchr(strrchr(path, '/'), '%'),
	    "an account cannot climb out of the state dir (%s)", path ? path : "-");
	free(path);

	path = str_printf("%s/sub/dir/last-a", dir);
	is_int(lastrec_save(r, path, &err), LASTREC_OK, "record saved (parents created)");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "record file mode 0600");
	text = str_printf("%s/sub/dir", dir);
	ok(stat(text, &st) == 0 && (st.st_mode & 0777) == 0700, "state dir mode 0700");
	free(text);
	r2 = lastrec_new("a@h:110");
	is_int(lastrec_load(r2, path, &err), LASTREC_OK, "record loaded");
	ok(lastrec_count(r2) == 3 && lastrec_has(r2, "mm") && lastrec_max(r2) == 7 &&
	    lastrec_num_count(r2) == 2 && lastrec_nolast(r2), "round trip");
	lastrec_free(r2);
	r2 = lastrec_new("other@h:110");
	free(err);
	err = NULL;
	is_int(lastrec_load(r2, path, &err), LASTREC_CORRUPT, "another account's record refused");
	ok(lastrec_count(r2) == 0, "and left empty");
	lastrec_free(r2);
	free(err);
	err = NULL;
	{
		/* A second save replaces the record and leaves no temp file. */
		DIR *d;
		struct dirent *de;
		int files = 0;

		lastrec_add(r, "nn");
		is_int(lastrec_save(r, path, &err), LASTREC_OK, "record saved again");
		text = str_printf("%s/sub/dir", dir);
		d = opendir(text);
		while (d && (de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				files++;
		if (d)
			closedir(d);
		is_int(files, 1, "one file in the state dir, no temp file");
		free(text);
	}
	unlink(path);
	free(path);
	path = str_printf("%s/missing", dir);
	r2 = lastrec_new("a@h:110");
	is_int(lastrec_load(r2, path, &err), LASTREC_OK, "a missing record is empty");
	free(path);
	for (i = 0; i < sizeof corrupt / sizeof corrupt[0]; i++) {
		free(err);
		err = NULL;
		lastrec_add(r2, "left-over");
		is_int(lastrec_parse(r2, corrupt[i], strlen(corrupt[i]), &err), LASTREC_CORRUPT,
		    "corrupt record #%zu refused (%s)", i, err ? err : "-");
		ok(lastrec_count(r2) == 0 && lastrec_max(r2) == 0, "corrupt record #%zu leaves it empty", i);
	}
	free(err);
	err = NULL;
	text = "pouch-last 1\naccount a@h:110\nmax 3\nuid x\n";
	is_int(lastrec_parse(r2, text, strlen(text), &err),
	    LASTREC_OK, "a good record after corrupt ones");
	{
		/* prune keeps what keep() says */
		struct lastrec *p = lastrec_new("a@h:110");

		lastrec_add(p, "a1");
		lastrec_add(p, "b1");
		lastrec_add(p, "a2");
		is_int(lastrec_prune(p, keep_a, NULL), 1, "prune drops one");
		ok(lastrec_has(p, "a1") && lastrec_has(p, "a2") && !lastrec_has(p, "b1"), "prune keeps the rest");
		lastrec_free(p);
	}
	free(err);
	lastrec_free(r2);
	lastrec_free(r);
	path = str_printf("%s/sub/dir", dir);
	rmdir(path);
	free(path);
	path = str_printf("%s/sub", dir);
	rmdir(path);
	free(path);
	rmdir(dir);
}

static const struct {
	const char *in;
	size_t len;
	const char *want;
} esc_cases[] = {
	{ "plain text", 10, "plain text" },
	{ "tab\there", 8, "tab\there" },
	{ "\x1b[2J", 4, "^[[2J" },
	{ "a\rb\nc", 5, "a^Mb^Jc" },
	{ "\x7f", 1, "^?" },
	{ "\0x", 2, "^@x" },
	{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },
	{ "\xc2\x9b" "31m", 5, "\\xc2\\x9b31m" },	/* C1 CSI in UTF-8 */
	{ "\x9b" "31m", 4, "\\x9b31m" },		/* raw 8-bit CSI */
	{ "\xff\xfe", 2, "\\xff\\xfe" },
	{ "\xe2\x82", 2, "\\xe2\\x82" },		/* cut short */
	{ "\xed\xa0\x80", 3, "\\xed\\xa0\\x80" },	/* a surrogate */
	{ "\xe2\x82\xac", 3, "\xe2\x82\xac" },
};

static void
test_escape(void)
{
	size_t i;

	for (i = 0; i < sizeof esc_cases / sizeof esc_cases[0]; i++) {
		struct dbuf b;

		dbuf_init(&b, 0);
		cli_escape(&b, esc_cases[i].in, esc_cases[i].len);
		is_str(b.p ? b.p : "", esc_cases[i].want, "escape #%zu", i);
		dbuf_free(&b);
	}
}

static void
test_trace(void)
{
	struct cli_trace t;
	char *out = NULL;
	size_t outlen = 0, i;
	FILE *fp = open_memstream(&out, &outlen);
	char line[32];
	struct dbuf want;

	cli_trace_init(&t, fp, "s3cret-pw");
	cli_trace_line(&t, '*', "connected to 127.0.0.1:11110", 28);
	cli_trace_line(&t, 'C', "STAT", 4);
	cli_trace_line(&t, 'S', "+OK 2 320", 9);
	cli_trace_line(&t, 'C', "PASS s3cret-pw", 14);
	cli_trace_line(&t, 'C', "AUTH PLAIN AHMzY3JldC1wdw==", 27);
	cli_trace_line(&t, 'C', "XYZ s3cret-pw", 13);
	cli_trace_line(&t, 'S', "-ERR \x1b[31mred", 13);
	cli_trace_line(&t, 'C', "RETR 1", 6);
	cli_trace_line(&t, 'S', "+OK", 3);
	for (i = 1; i <= 25; i++) {
		snprintf(line, sizeof line, "line %02zu", i);
		cli_trace_line(&t, 'D', line, strlen(line));
	}
	cli_trace_line(&t, 'S', ".", 1);
	cli_trace_line(&t, 'C', "TOP 1 0", 7);
	cli_trace_line(&t, 'S', "+OK", 3);
	cli_trace_line(&t, 'D', "Subject: x", 10);
	cli_trace_line(&t, 'D', "", 0);
	cli_trace_line(&t, 'D', ".", 1);
	cli_trace_line(&t, 'D', ".hidden", 7);
	cli_trace_line(&t, 'S', ".", 1);
	fclose(fp);

	dbuf_init(&want, 0);
	dbuf_adds(&want, "*: connected to 127.0.0.1:11110\nC: STAT\nS: +OK 2 320\n"
	    "C: PASS ********\nC: AUTH PLAIN AHMzY3JldC1wdw==\nC: XYZ ********\n"
	    "S: -ERR ^[[31mred\nC: RETR 1\nS: +OK\n");
	for (i = 1; i <= 20; i++)
		dbuf_printf(&want, "S: line %02zu\n", i);
	dbuf_adds(&want, "S: [... 5 more lines, 45 octets ...]\nS: .\nC: TOP 1 0\nS: +OK\n"
	    "S: Subject: x\nS: \nS: ..\nS: ..hidden\nS: .\n");
	is_str(out, want.p, "trace: textbook format, secrets masked, long bodies shortened, "
	    "escapes shown, body lines dot-stuffed as on the wire");
	ok(out && !strstr(out, "s3cret-pw"), "trace: the password never appears");
	dbuf_free(&want);
	free(out);

	/* A body cut off by a broken connection: the count still shows. */
	out = NULL;
	fp = open_memstream(&out, &outlen);
	cli_trace_init(&t, fp, NULL);
	for (i = 0; i < 22; i++)
		cli_trace_line(&t, 'D', "x", 1);
	cli_trace_flush(&t);
	fclose(fp);
	ok(out && strstr(out, "S: [... 2 more lines, 6 octets ...]\n"), "trace: flush at the end");
	free(out);
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

/* Lands f alone, as pouch lands a batch of one. */
static enum outfile_status
commit_one(struct outfile *f, char **err)
{
	struct outbatch b;
	enum outfile_status st;

	memset(&b, 0, sizeof b);
	st = outbatch_add(&b, f, err);
	if (st == OUTFILE_OK)
		st = outbatch_land(&b, err);
	outbatch_free(&b);
	return st;
}

static void
test_outfile(void)
{
	char dir[] = "/tmp/pouch-out-XXXXXX";
	struct outfile f;
	char *err = NULL, *name, buf[64];
	unsigned long msgs[] = { 1, 2 };
	struct stat st;
	int fd;
	ssize_t n;

	ok(mkdtemp(dir) != NULL, "output dir made");
	is_int(outfile_check(dir, msgs, 2, &err), OUTFILE_OK, "no files yet");
	is_int(outfile_open(&f, dir, 1, &err), OUTFILE_OK, "temp file opened");
	is_int(outfile_write(&f, "From: a\r\n\r\nhi\r\n", 15, &err), OUTFILE_OK, "written");
	name = outfile_name(dir, 1);
	ok(stat(name, &st) < 0, "no final name while writing");
	is_int(commit_one(&f, &err), OUTFILE_OK, "committed");
	fd = open(name, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
	if (fd >= 0)
		close(fd);
	is_mem(buf, n > 0 ? (size_t)n : 0, "From: a\r\n\r\nhi\r\n", 15, "1.eml holds the bytes");
	ok(stat(name, &st) == 0 && (st.st_mode & 0777) == 0600, "1.eml mode 0600");
	is_int(count_entries(dir), 1, "no temp file left");
	is_int(outfile_check(dir, msgs, 2, &err), OUTFILE_EXISTS, "check sees 1.eml");
	free(err);
	err = NULL;

	/* Never overwrite: a file appearing meanwhile wins. */
	is_int(outfile_open(&f, dir, 1, &err), OUTFILE_OK, "second 1.eml opened");
	outfile_write(&f, "other", 5, &err);
	is_int(commit_one(&f, &err), OUTFILE_EXISTS, "commit refuses to overwrite");
	ok(err && strstr(err, "exists"), "says it exists");
	free(err);
	err = NULL;
	fd = open(name, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
	if (fd >= 0)
		close(fd);
	is_mem(buf, n > 0 ? (size_t)n : 0, "From: a\r\n\r\nhi\r\n", 15, "1.eml unchanged");
	is_int(count_entries(dir), 1, "no temp file left after a refusal");

	/* Abort: a partial message never gets its final name. */
	is_int(outfile_open(&f, dir, 2, &err), OUTFILE_OK, "2.eml opened");
	outfile_write(&f, "partial", 7, &err);
	outfile_abort(&f);
	is_int(count_entries(dir), 1, "aborted: nothing left");
	free(name);
	name = outfile_name(dir, 1);
	unlink(name);
	free(name);

	/* A failed write marks the file; commit refuses it. */
	is_int(outfile_open(&f, dir, 3, &err), OUTFILE_OK, "3.eml opened");
	close(f.fd);
	f.fd = open("/dev/null", O_RDONLY);
	is_int(outfile_write(&f, "x", 1, &err), OUTFILE_ERR, "a write error is seen");
	free(err);
	err = NULL;
	is_int(commit_one(&f, &err), OUTFILE_ERR, "a failed file is not committed");
	free(err);
	err = NULL;
	is_int(count_entries(dir), 0, "nothing left after a failed write");

	/* A missing directory is made; a file in its place is refused. */
	name = str_printf("%s/new", dir);
	is_int(outfile_check(name, msgs, 1, &err), OUTFILE_OK, "a missing output dir is made");
	ok(stat(name, &st) == 0 && S_ISDIR(st.st_mode), "it is a directory");
	rmdir(name);
	fd = open(name, O_CREAT | O_WRONLY, 0600);
	close(fd);
	is_int(outfile_check(name, msgs, 1, &err), OUTFILE_ERR, "a file is not an output dir");
	free(err);
	unlink(name);
	free(name);
	rmdir(dir);
}

/* Reads DIR/N.eml into buf; its length, or -1. */
static ssize_t
read_eml(const char *dir, unsigned long n, char *buf, size_t size)
{
	char *name = outfile_name(dir, n);
	int fd = name ? open(name, O_RDONLY) : -1;
	ssize_t r = fd >= 0 ? read(fd, buf, size) : -1;

	if (fd >= 0)
		close(fd);
	free(name);
	return r;
}

static void
test_outbatch(void)
{
	char dir[] = "/tmp/pouch-batch-XXXXXX";
	struct outbatch b;
	struct outfile f;
	char *err = NULL, *name, buf[64];
	unsigned long i;
	int fd;

	memset(&b, 0, sizeof b);
	ok(mkdtemp(dir) != NULL, "batch dir made");
	for (i = 1; i <= 3; i++) {
		outfile_open(&f, dir, i, &err);
		outfile_write(&f, "msg ", 4, &err);
		buf[0] = (char)('0' + i);
		outfile_write(&f, buf, 1, &err);
		is_int(outbatch_add(&b, &f, &err), OUTFILE_OK, "file %lu added", i);
		is_int(f.fd, -1, "the batch took over file %lu", i);
	}
	is_int((int)b.n, 3, "three files wait");
	is_int(outbatch_full(&b), 0, "three small files do not fill a batch");
	is_int(count_entries(dir), 3, "only the three temporary files so far");
	name = outfile_name(dir, 1);
	ok(access(name, F_OK) < 0, "no final name before landing");
	free(name);
	/* Message 2's name is taken meanwhile: it is refused, the others land. */
	name = outfile_name(dir, 2);
	fd = open(name, O_CREAT | O_WRONLY | O_EXCL, 0600);
	(void)!write(fd, "mine", 4);
	close(fd);
	free(name);
	is_int(outbatch_land(&b, &err), OUTFILE_EXISTS, "landing reports the name taken");
	ok(err && strstr(err, "2.eml already exists"), "and says which: %s", err ? err : "");
	free(err);
	err = NULL;
	is_int((int)b.n, 0, "the batch is empty after landing");
	is_mem(buf, (size_t)(read_eml(dir, 1, buf, sizeof buf) > 0 ? 5 : 0), "msg 1", 5, "1.eml landed");
	is_mem(buf, (size_t)(read_eml(dir, 3, buf, sizeof buf) > 0 ? 5 : 0), "msg 3", 5, "3.eml landed");
	is_mem(buf, (size_t)(read_eml(dir, 2, buf, sizeof buf) > 0 ? 4 : 0), "mine", 4, "2.eml not overwritten");
	is_int(count_entries(dir), 3, "no temporary file left");

	/* A file whose writes failed is refused at once and removed. */
	outfile_open(&f, dir, 4, &err);
	close(f.fd);
	f.fd = open("/dev/null", O_RDONLY);
	outfile_write(&f, "x", 1, &err);
	free(err);
	err = NULL;
	is_int(outbatch_add(&b, &f, &err), OUTFILE_ERR, "a failed file is refused");
	free(err);
	err = NULL;
	is_int((int)b.n, 0, "and not kept");
	is_int(count_entries(dir), 3, "its temporary file is gone");

	/* Full by count; freeing an unlanded batch leaves nothing behind. */
	for (i = 10; i < 10 + OUTBATCH_MAX_FILES; i++) {
		outfile_open(&f, dir, i, &err);
		outbatch_add(&b, &f, &err);
	}
	is_int(outbatch_full(&b), 1, "%d files fill a batch", OUTBATCH_MAX_FILES);
	outbatch_free(&b);
	is_int(count_entries(dir), 3, "outbatch_free removes the files not landed");
	for (i = 1; i <= 3; i++) {
		name = outfile_name(dir, i);
		unlink(name);
		free(name);
	}
	rmdir(dir);
}

/* cred_resolve: where the login and the password come from. */
static int prompt_calls;
static char prompt_user[64];

static enum cred_status
fake_prompt(void *ctx, const char *user, const char *host, char **password, char **err)
{
	enum cred_status st = *(enum cred_status *)ctx;

	(void)host;
	(void)err;
	prompt_calls++;
	snprintf(prompt_user, sizeof prompt_user, "%s", user);
	if (st == CRED_OK)
		*password = strdup("from-prompt");
	return st;
}

static int warn_calls;

static void
count_warn(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
	warn_calls++;
}

static void
test_cred(void)
{
	char dir[] = "/tmp/pouch-cred.XXXXXX", good[128], bad[128], missing[128];
	static const struct {
		const char *name;
		const char *user, *env_user, *command;
		int netrc;		/* 0 none, 1 explicit good, 2 explicit missing,
					   3 default good, 4 default malformed, 5 default missing */
		enum cred_status prompt_says;	/* CRED_NO_PROMPT: no prompt given */
		enum cred_status want;
		const char *want_user, *want_password;
		int want_prompts, want_warns;
	} c[] = {
		{ "-u and a command: netrc not read", "cli", "env", "echo cmd", 2,
		  CRED_OK, CRED_OK, "cli", "cmd", 0, 0 },
		{ "command, netrc login (issue 9 item 6)", NULL, "env", "echo cmd", 1,
		  CRED_OK, CRED_OK, "n-login", "cmd", 0, 0 },
		{ "command, default netrc login", NULL, "env", "echo cmd", 3,
		  CRED_OK, CRED_OK, "n-login", "cmd", 0, 0 },
		{ "netrc gives both", NULL, "env", NULL, 1,
		  CRED_OK, CRED_OK, "n-login", "n-pass", 0, 0 },
		{ "-u other than ~/.netrc's login: prompt", "cli", "env", NULL, 3,
		  CRED_OK, CRED_OK, "cli", "from-prompt", 1, 0 },
		{ "-u other than --netrc-file's login: an error", "cli", "env", NULL, 1,
		  CRED_OK, CRED_NETRC, NULL, NULL, 0, 0 },
		{ "no netrc: $USER, prompt", NULL, "env", NULL, 0,
		  CRED_OK, CRED_OK, "env", "from-prompt", 1, 0 },
		{ "no user anywhere", NULL, NULL, "echo cmd", 0,
		  CRED_OK, CRED_NO_USER, NULL, NULL, 0, 0 },
		{ "--netrc-file missing", NULL, "env", NULL, 2,
		  CRED_OK, CRED_NETRC, NULL, NULL, 0, 0 },
		{ "broken ~/.netrc: a warning, then the prompt", NULL, "env", NULL, 4,
		  CRED_OK, CRED_OK, "env", "from-prompt", 1, 1 },
		{ "missing ~/.netrc: no warning", NULL, "env", NULL, 5,
		  CRED_OK, CRED_OK, "env", "from-prompt", 1, 0 },
		{ "no way to ask", NULL, "env", NULL, 0,
		  CRED_NO_PROMPT, CRED_NO_PROMPT, NULL, NULL, 0, 0 },
		{ "the prompt cancelled", NULL, "env", NULL, 0,
		  CRED_CANCELLED, CRED_CANCELLED, NULL, NULL, 1, 0 },
		{ "the command fails", "cli", NULL, "exit 3", 0,
		  CRED_OK, CRED_COMMAND, NULL, NULL, 0, 0 },
	};
	size_t i;
	FILE *fp;

	if (!mkdtemp(dir)) {
		ok(0, "cred: mkdtemp");
		return;
	}
	snprintf(good, sizeof good, "%s/good", dir);
	snprintf(bad, sizeof bad, "%s/bad", dir);
	snprintf(missing, sizeof missing, "%s/missing", dir);
	fp = fopen(good, "w");
	if (fp) {
		fputs("machine mail.example.org login n-login password n-pass\n", fp);
		fclose(fp);
	}
	chmod(good, 0600);
	fp = fopen(bad, "w");
	if (fp) {
		fputs("machine mail.example.org login \"unterminated\n", fp);
		fclose(fp);
	}
	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct cred_opts o;
		struct cred cr;
		char *err = NULL;
		enum cred_status st, says = c[i].prompt_says;

		memset(&o, 0, sizeof o);
		o.host = "mail.example.org";
		o.user = c[i].user;
		o.env_user = c[i].env_user;
		o.password_command = c[i].command;
		o.netrc_file = c[i].netrc == 1 ? good : c[i].netrc == 2 ? missing : NULL;
		o.default_netrc = c[i].netrc == 3 ? good : c[i].netrc == 4 ? bad :
		    c[i].netrc == 5 ? missing : NULL;
		prompt_calls = warn_calls = 0;
		st = cred_resolve(&o, says == CRED_NO_PROMPT ? NULL : fake_prompt, &says,
		    count_warn, NULL, &cr, &err);
		is_int(st, c[i].want, "cred: %s: status", c[i].name);
		if (c[i].want == CRED_OK) {
			is_str(cr.user, c[i].want_user, "cred: %s: user", c[i].name);
			is_str(cr.password, c[i].want_password, "cred: %s: password", c[i].name);
		} else if (c[i].want != CRED_NO_PROMPT && c[i].want != CRED_CANCELLED) {
			ok(err && *err && !strstr(err, "n-pass"),
			    "cred: %s: says why, never the password (%s)", c[i].name,
			    err ? err : "NULL");
		}
		is_int(prompt_calls, c[i].want_prompts, "cred: %s: prompts", c[i].name);
		is_int(warn_calls, c[i].want_warns, "cred: %s: warnings", c[i].name);
		free(err);
		cred_free(&cr);
	}
	unlink(good);
	unlink(bad);
	rmdir(dir);
}

/* lastrec_migrate: the old record merged into the store's (a union), the
 * old file renamed, never replaced or deleted; again after a "crash"
 * between the save and the rename (the old file back): nothing doubles. */
static void
test_lastrec_migrate(void)
{
	char dir[] = "/tmp/pouch-migr-XXXXXX";
	char *old, *path, *moved = NULL, *err = NULL, *text = NULL, *want, sub[64];
	enum lastrec_status st;
	struct stat sb;
	size_t len = 0;
	FILE *f;

	if (!ok(mkdtemp(dir) != NULL, "migrate: a directory"))
		return;
	old = str_printf("%s/state/last-a@h%%3A110", dir);
	path = str_printf("%s/store/.pouch-last", dir);
	st = lastrec_migrate(old, path, "a@h:110", &moved, &err);
	snprintf(sub, sizeof sub, "%s/store", dir);
	ok(st == LASTREC_OK && !moved && stat(path, &sb) < 0 && stat(sub, &sb) < 0,
	    "no old record: OK, nothing created (%s)", err ? err : "-");
	free(err);
	err = NULL;
	snprintf(sub, sizeof sub, "%s/state", dir);
	mkdir(sub, 0700);
	f = fopen(old, "w");
	fputs("pouch-last 1\naccount a@h:110\nserver-last no\nnum 3\nuid u1\nuid u2\n", f);
	fclose(f);
	snprintf(sub, sizeof sub, "%s/store", dir);
	mkdir(sub, 0700);
	f = fopen(path, "w");
	fputs("pouch-last 1\naccount a@h:110\nnum 5\nuid u2\nuid u3\n", f);
	fclose(f);
	st = lastrec_migrate(old, path, "a@h:110", &moved, &err);
	want = "pouch-last 1\naccount a@h:110\nserver-last no\nnum 3\nnum 5\nuid u1\nuid u2\nuid u3\n";
	file_read_all(path, 1 << 20, 0, &text, &len);
	ok(st == LASTREC_OK && text && strcmp(text, want) == 0, "merged: the union (%s)",
	    err ? err : "-");
	ok(moved && strstr(moved, "/state/last-a@h%3A110.migrated") &&
	    stat(moved, &sb) == 0 && stat(old, &sb) < 0, "the old file renamed to .migrated");
	free(text);
	text = NULL;
	/* the crash: the old record is back beside the merged one */
	if (moved)
		link(moved, old);
	free(moved);
	moved = NULL;
	st = lastrec_migrate(old, path, "a@h:110", &moved, &err);
	file_read_all(path, 1 << 20, 0, &text, &len);
	ok(st == LASTREC_OK && text && strcmp(text, want) == 0,
	    "merged again after a crash: unchanged");
	ok(moved && strstr(moved, ".migrated.2"), "the first .migrated kept, this one .migrated.2 (%s)",
	    moved ? moved : "-");
	free(text);
	free(moved);
	moved = NULL;
	/* a store record that does not parse: nothing is renamed */
	f = fopen(old, "w");
	fputs("pouch-last 1\naccount a@h:110\nnum 9\n", f);
	fclose(f);
	f = fopen(path, "w");
	fputs("garbage\n", f);
	fclose(f);
	st = lastrec_migrate(old, path, "a@h:110", &moved, &err);
	ok(st == LASTREC_CORRUPT && !moved && stat(old, &sb) == 0 && err && strstr(err, "was not merged"),
	    "the store's record unreadable: the old one stays (%s)", err ? err : "-");
	free(err);
	err = NULL;
	snprintf(sub, sizeof sub, "rm -rf '%s'", dir);
	if (system(sub) != 0)
		printf("# could not remove %s\n", dir);
	free(old);
	free(path);
}

int
main(void)
{
	test_msgs();
	test_urls();
	test_argv();
	test_netrc();
	test_cred();
	test_lastrec();
	test_lastrec_lock();
	test_lastrec_migrate();
	test_escape();
	test_trace();
	test_outfile();
	test_outbatch();
	return done_testing();
}
