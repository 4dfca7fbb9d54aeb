/*
 * cli_args.c: the command line as data (see cli_args.h). Options are
 * matched by whole name on purpose: getopt_long() accepts abbreviations, and
 * "--password x" would then run "x" as --password-command.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pouch/cli_args.h>
#include <pouch/util.h>

static const char *const verb_names[] = {
	[CLI_STAT] = "stat", [CLI_LIST] = "list", [CLI_UIDL] = "uidl",
	[CLI_TOP] = "top", [CLI_RETR] = "retr", [CLI_DELE] = "dele",
	[CLI_RSET] = "rset", [CLI_NOOP] = "noop", [CLI_LAST] = "last",
	[CLI_CAPA] = "capa", [CLI_QUIT] = "quit",
};

static const char *const auth_names[] = {
	"USER", "APOP", "PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1",
	"SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER", "DIGEST-MD5",
};

enum opt_id {
	OPT_USER, OPT_PWCMD, OPT_NETRC, OPT_AUTH, OPT_TLS, OPT_CACERT,
	OPT_PIN, OPT_TIMEOUT, OPT_NOPIPE, OPT_TRACE, OPT_OUTPUT, OPT_STATE,
	OPT_QUIET, OPT_HELP, OPT_VERSION, OPT_DELETE, OPT_DELETE_AFTER, OPT_STORE,
	OPT_ACCOUNT, OPT_CONFIG, OPT_KEYS, OPT_DUMP, OPT_SIZE, OPT_OFFLINE, OPT_ALL,
};

static const struct {
	const char *name;
	char short_name;
	int has_arg;
	enum opt_id id;
} options[] = {
	{ "user", 'u', 1, OPT_USER },
	{ "password-command", 0, 1, OPT_PWCMD },
	{ "netrc-file", 0, 1, OPT_NETRC },
	{ "auth", 0, 1, OPT_AUTH },
	{ "tls", 0, 1, OPT_TLS },
	{ "cacert", 0, 1, OPT_CACERT },
	{ "pinned-pubkey", 0, 1, OPT_PIN },
	{ "timeout", 0, 1, OPT_TIMEOUT },
	{ "no-pipelining", 0, 0, OPT_NOPIPE },
	{ "trace", 0, 0, OPT_TRACE },
	{ "output", 'o', 1, OPT_OUTPUT },
	{ "state-dir", 0, 1, OPT_STATE },
	{ "quiet", 'q', 0, OPT_QUIET },
	{ "help", 'h', 0, OPT_HELP },
	{ "version", 'V', 0, OPT_VERSION },
	{ "delete", 0, 0, OPT_DELETE },		/* sync */
	{ "delete-after", 0, 1, OPT_DELETE_AFTER },
	{ "store", 0, 1, OPT_STORE },
	{ "all", 0, 0, OPT_ALL },
	{ "account", 'a', 1, OPT_ACCOUNT },
	{ "config", 0, 1, OPT_CONFIG },
	{ "keys", 0, 1, OPT_KEYS },
	{ "dump", 0, 1, OPT_DUMP },
	{ "size", 0, 1, OPT_SIZE },
	{ "offline", 0, 0, OPT_OFFLINE },
};

const char *
cli_verb_name(enum cli_verb v)
{
	if ((unsigned)v < sizeof verb_names / sizeof verb_names[0])
		return verb_names[v];
	return "?";
}

int
cli_num_parse(const char *s, unsigned long *out)
{
	unsigned long long v = 0;
	const char *p;

	if (!*s)
		return -1;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
		if (v > CLI_MSG_NUM_MAX)
			return -1;
	}
	if (v == 0)
		return -1;
	*out = (unsigned long)v;
	return 0;
}

/* Digits only, 0 allowed (TOP's line count), capped like message numbers. */
static int
count_parse(const char *s, unsigned long *out)
{
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	return cli_num_parse(s, out);
}

static int
ul_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Fails when a message appears twice in v[0..n). */
static int
msgs_check_unique(const unsigned long *v, size_t n, char **err)
{
	unsigned long *s;
	size_t i;

	if (n < 2)
		return 0;
	s = malloc(n * sizeof *s);
	if (!s) {
		*err = str_printf("out of memory");
		return -1;
	}
	memcpy(s, v, n * sizeof *s);
	qsort(s, n, sizeof *s, ul_cmp);
	for (i = 1; i < n; i++) {
		if (s[i] == s[i - 1]) {
			*err = str_printf("message %lu is named twice", s[i]);
			free(s);
			return -1;
		}
	}
	free(s);
	return 0;
}

/* Parses one list into a fresh array appended to *v; no duplicate check. */
static int
msgs_append(const char *s, unsigned long **v, size_t *n, char **err)
{
	char *copy, *item, *save = NULL, *dash;
	unsigned long lo = 0, hi = 0, k, *nv;
	size_t count = *n, oldn = *n;

	if (!*s || s[0] == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,")) {
		*err = str_printf("bad message list '%s': expected N, N-M or N,M,...", s);
		return -1;
	}
	copy = strdup(s);
	if (!copy) {
		*err = str_printf("out of memory");
		return -1;
	}
	/* First pass: check every item and count, before allocating. */
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		dash = strchr(item, '-');
		if (dash)
			*dash = '\0';
		if (cli_num_parse(item, &lo) < 0 ||
		    (dash && cli_num_parse(dash + 1, &hi) < 0)) {
			*err = str_printf("bad message list '%s': message numbers run "
			    "from 1 to %lu, as N or N-M", s, CLI_MSG_NUM_MAX);
			free(copy);
			return -1;
		}
		if (!dash)
			hi = lo;
		if (hi < lo) {
			*err = str_printf("bad message list '%s': the range %lu-%lu "
			    "runs backwards", s, lo, hi);
			free(copy);
			return -1;
		}
		if (hi - lo >= CLI_MSGS_MAX || count + (hi - lo + 1) > CLI_MSGS_MAX) {
			*err = str_printf("bad message list '%s': more than %lu messages",
			    s, CLI_MSGS_MAX);
			free(copy);
			return -1;
		}
		count += hi - lo + 1;
	}
	free(copy);
	nv = realloc(*v, (count ? count : 1) * sizeof *nv);
	if (!nv) {
		*err = str_printf("out of memory");
		return -1;
	}
	*v = nv;
	/* Second pass: the input is known good. */
	copy = strdup(s);
	if (!copy) {
		*err = str_printf("out of memory");
		return -1;
	}
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		dash = strchr(item, '-');
		if (dash)
			*dash = '\0';
		cli_num_parse(item, &lo);
		hi = lo;
		if (dash)
			cli_num_parse(dash + 1, &hi);
		for (k = lo;; k++) {
			nv[oldn++] = k;
			if (k == hi)
				break;
		}
	}
	free(copy);
	*n = oldn;
	return 0;
}

int
cli_msgs_parse(const char *s, unsigned long **v, size_t *n, char **err)
{
	size_t oldn = *n;

	if (msgs_append(s, v, n, err) < 0)
		return -1;
	if (msgs_check_unique(*v, *n, err) < 0) {
		*n = oldn;
		return -1;
	}
	return 0;
}

void
cli_url_free(struct cli_url *u)
{
	free(u->user);
	free(u->host);
	u->user = NULL;
	u->host = NULL;
}

static char *
pct_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t i, o = 0;
	int hi, lo;

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (hi = hex_digit((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hex_digit((unsigned char)s[i + 2])) >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

int
cli_url_parse(const char *s, struct cli_url *u, char **err)
{
	const char *p, *auth, *end, *at, *host, *hend, *port = NULL;
	unsigned long pv;
	size_t i;

	memset(u, 0, sizeof *u);
	for (p = s; *p; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			*err = str_printf("bad URL: it may hold only printable ASCII, no spaces");
			return -1;
		}
	}
	if (strncasecmp(s, "pop3://", 7) == 0) {
		auth = s + 7;
		u->port = 110;
	} else if (strncasecmp(s, "pop3s://", 8) == 0) {
		auth = s + 8;
		u->secure = 1;
		u->port = 995;
	} else {
		*err = str_printf("bad URL '%s': it must start with pop3:// or pop3s://", s);
		return -1;
	}
	end = auth + strcspn(auth, "/?#");
	if (*end && strcmp(end, "/") != 0) {
		*err = str_printf("bad URL '%s': nothing may follow host[:port]", s);
		return -1;
	}
	at = NULL;
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	host = auth;
	if (at) {
		if (memchr(auth, ':', (size_t)(at - auth))) {
			*err = str_printf("bad URL: a password never goes on the command "
			    "line (use --password-command, --netrc-file or the prompt)");
			return -1;
		}
		if (at == auth) {
			*err = str_printf("bad URL '%s': empty user name before '@'", s);
			return -1;
		}
		u->user = pct_decode(auth, (size_t)(at - auth));
		if (!u->user) {
			*err = str_printf("out of memory");
			return -1;
		}
		for (i = 0; u->user[i]; i++) {
			unsigned char c = (unsigned char)u->user[i];
			if (c < 0x20 || c == 0x7f)
				break;
		}
		if (u->user[i] || i == 0) {
			*err = str_printf("bad URL: the user name holds a control character or is empty");
			cli_url_free(u);
			return -1;
		}
		host = at + 1;
	}
	if (*host == '[') {
		hend = memchr(host, ']', (size_t)(end - host));
		if (!hend || hend == host + 1) {
			*err = str_printf("bad URL '%s': unterminated [IPv6 address]", s);
			cli_url_free(u);
			return -1;
		}
		for (p = host + 1; p < hend; p++) {
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.') {
				*err = str_printf("bad URL '%s': bad IPv6 address", s);
				cli_url_free(u);
				return -1;
			}
		}
		u->host = str_ndup(host + 1, (size_t)(hend - host - 1));
		p = hend + 1;
		if (p < end && *p != ':') {
			*err = str_printf("bad URL '%s': junk after the IPv6 address", s);
			cli_url_free(u);
			return -1;
		}
		if (p < end)
			port = p + 1;
	} else {
		hend = host;
		while (hend < end && *hend != ':')
			hend++;
		if (hend == host || hend - host > 253) {
			*err = str_printf("bad URL '%s': no host, or a host name too long", s);
			cli_url_free(u);
			return -1;
		}
		for (p = host; p < hend; p++) {
			if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_') {
				*err = str_printf("bad URL '%s': the host name holds '%c'", s, *p);
				cli_url_free(u);
				return -1;
			}
		}
		u->host = str_ndup(host, (size_t)(hend - host));
		if (hend < end)
			port = hend + 1;
	}
	if (!u->host) {
		*err = str_printf("out of memory");
		cli_url_free(u);
		return -1;
	}
	for (i = 0; u->host[i]; i++)
		u->host[i] = (char)tolower((unsigned char)u->host[i]);
	if (port) {
		char buf[8];
		size_t n = (size_t)(end - port);

		if (n == 0 || n > 5) {
			*err = str_printf("bad URL '%s': the port must be 1 to 65535", s);
			cli_url_free(u);
			return -1;
		}
		memcpy(buf, port, n);
		buf[n] = '\0';
		if (cli_num_parse(buf, &pv) < 0 || pv > 65535) {
			*err = str_printf("bad URL '%s': the port must be 1 to 65535", s);
			cli_url_free(u);
			return -1;
		}
		u->port = (unsigned)pv;
	}
	return 0;
}

static int
timeout_parse(const char *s, long *ms)
{
	char *end;
	double d;

	if (!*s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -1;
	errno = 0;
	d = strtod(s, &end);
	if (errno || *end || !isfinite(d) || d <= 0 || d > 86400)
		return -1;
	*ms = (long)(d * 1000 + 0.5);
	if (*ms < 1)
		*ms = 1;
	return 0;
}

static int
verb_lookup(const char *s, enum cli_verb *v)
{
	size_t i;

	for (i = 0; i < sizeof verb_names / sizeof verb_names[0]; i++) {
		if (strcasecmp(s, verb_names[i]) == 0) {
			*v = (enum cli_verb)i;
			return 0;
		}
	}
	return -1;
}

/* `retr 1-500 -o DIR`: the output directory may also follow retr's
 * message list, as people write it. Takes the option out of argv (in place)
 * and returns the new argc, or -1. */
static int
retr_output_take(int argc, char **argv, const char **outdir, char **err)
{
	const char *dir;
	int i, j, skip;

	for (i = 1, j = 1; i < argc; i += skip) {
		skip = 1;
		dir = NULL;
		if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
			if (i + 1 >= argc) {
				*err = str_printf("retr: %s needs a directory", argv[i]);
				return -1;
			}
			dir = argv[i + 1];
			skip = 2;
		} else if (strncmp(argv[i], "--output=", 9) == 0) {
			dir = argv[i] + 9;
		} else if (strncmp(argv[i], "-o", 2) == 0) {
			dir = argv[i] + 2;
		}
		if (!dir) {
			argv[j++] = argv[i];
			continue;
		}
		if (*dir == '\0') {
			*err = str_printf("retr: the output directory is empty");
			return -1;
		}
		if (*outdir && strcmp(*outdir, dir) != 0) {
			*err = str_printf("retr: two output directories ('%s' and '%s')",
			    *outdir, dir);
			return -1;
		}
		*outdir = dir;
	}
	return j;
}

/* One command: argv[0] is the verb, argc its words. */
static int
cmd_parse(struct cli_cmd *c, int argc, char **argv, const char **outdir,
    char **err)
{
	const char *name;
	int i, want_min = 0, want_max = 0;

	if (verb_lookup(argv[0], &c->verb) < 0) {
		*err = str_printf("unknown command '%s' (commands: stat, list, uidl, "
		    "top, retr, dele, rset, noop, last, capa, quit)", argv[0]);
		return -1;
	}
	name = cli_verb_name(c->verb);
	if (c->verb == CLI_RETR) {
		argc = retr_output_take(argc, argv, outdir, err);
		if (argc < 0)
			return -1;
	}
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			*err = str_printf("%s: '%s' is not a message number "
			    "(options go before the URL)", name, argv[i]);
			return -1;
		}
	}
	switch (c->verb) {
	case CLI_LIST: case CLI_UIDL: want_max = 1; break;
	case CLI_TOP: want_min = want_max = 2; break;
	case CLI_RETR: case CLI_DELE: want_min = 1; want_max = -1; break;
	default: break;
	}
	if (argc - 1 < want_min || (want_max >= 0 && argc - 1 > want_max)) {
		static const char *const usage[] = {
			[CLI_STAT] = "stat", [CLI_LIST] = "list [N]",
			[CLI_UIDL] = "uidl [N]", [CLI_TOP] = "top N LINES",
			[CLI_RETR] = "retr N|N-M|N,M,...", [CLI_DELE] = "dele N|N-M|N,M,... [...]",
			[CLI_RSET] = "rset", [CLI_NOOP] = "noop", [CLI_LAST] = "last",
			[CLI_CAPA] = "capa", [CLI_QUIT] = "quit",
		};
		*err = str_printf("%s: wrong number of arguments (usage: %s)",
		    name, usage[c->verb]);
		return -1;
	}
	switch (c->verb) {
	case CLI_LIST: case CLI_UIDL: case CLI_TOP:
		if (argc > 1) {
			if (cli_num_parse(argv[1], &c->n) < 0) {
				*err = str_printf("%s: bad message number '%s' (1 to %lu)",
				    name, argv[1], CLI_MSG_NUM_MAX);
				return -1;
			}
			c->has_n = 1;
		}
		if (c->verb == CLI_TOP && count_parse(argv[2], &c->lines) < 0) {
			*err = str_printf("top: bad line count '%s' (0 to %lu)",
			    argv[2], CLI_MSG_NUM_MAX);
			return -1;
		}
		break;
	case CLI_RETR: case CLI_DELE:
		for (i = 1; i < argc; i++) {
			char *e = NULL;

			if (msgs_append(argv[i], &c->msgs, &c->nmsgs, &e) < 0) {
				*err = str_printf("%s: %s", name, e ? e : "out of memory");
				free(e);
				return -1;
			}
		}
		{
			char *e = NULL;

			if (msgs_check_unique(c->msgs, c->nmsgs, &e) < 0) {
				*err = str_printf("%s: %s", name, e ? e : "out of memory");
				free(e);
				return -1;
			}
		}
		break;
	default:
		break;
	}
	return 0;
}

static int
option_set(struct cli_args *a, enum opt_id id, const char *shown,
    const char *val, char **err)
{
	size_t i;

	switch (id) {
	case OPT_USER:
		if (!*val || strpbrk(val, "\r\n")) {
			*err = str_printf("%s: the user name is empty or holds a line break", shown);
			return -1;
		}
		a->user = val;
		break;
	case OPT_PWCMD: a->password_command = val; break;
	case OPT_NETRC: a->netrc_file = val; break;
	case OPT_AUTH:
		for (i = 0; i < sizeof auth_names / sizeof auth_names[0]; i++) {
			if (strcasecmp(val, auth_names[i]) == 0) {
				a->auth = auth_names[i];
				return 0;
			}
		}
		*err = str_printf("%s: unknown mechanism '%s' (USER, APOP, PLAIN, LOGIN, "
		    "CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256, XOAUTH2, OAUTHBEARER, DIGEST-MD5)",
		    shown, val);
		return -1;
	case OPT_TLS:
		a->tls_set = 1;
		if (strcmp(val, "auto") == 0)
			a->tls = POP3_TLS_AUTO;
		else if (strcmp(val, "required") == 0)
			a->tls = POP3_TLS_REQUIRED;
		else if (strcmp(val, "none") == 0)
			a->tls = POP3_TLS_NONE;
		else {
			*err = str_printf("%s: '%s' is not auto, required or none", shown, val);
			return -1;
		}
		break;
	case OPT_CACERT: a->cacert = val; break;
	case OPT_PIN: a->pinned_pubkey = val; break;
	case OPT_TIMEOUT:
		if (timeout_parse(val, &a->timeout_ms) < 0) {
			*err = str_printf("%s: '%s' is not a number of seconds "
			    "(more than 0, at most 86400)", shown, val);
			return -1;
		}
		a->timeout_set = 1;
		break;
	case OPT_NOPIPE: a->pipelining = 0; break;
	case OPT_TRACE: a->trace = 1; break;
	case OPT_OUTPUT: a->output_dir = val; break;
	case OPT_STATE: a->state_dir = val; break;
	case OPT_QUIET: a->quiet = 1; break;
	case OPT_HELP: case OPT_VERSION: break;
	case OPT_ACCOUNT: a->account = val; break;
	case OPT_OFFLINE: a->offline = 1; break;
	case OPT_CONFIG: a->config_file = val; break;
	case OPT_KEYS: a->keys_file = val; break;
	case OPT_DUMP: a->dump_file = val; break;
	case OPT_SIZE: {
		int c, r, n = 0;

		if (sscanf(val, "%dx%d%n", &c, &r, &n) != 2 || val[n] || c < 10 || c > 1000 ||
		    r < 4 || r > 1000) {
			*err = str_printf("%s: COLSxROWS, from 10x4 to 1000x1000", shown);
			return -1;
		}
		a->cols = c;
		a->rows = r;
		break;
	}
	case OPT_DELETE: a->sync_delete = 1; break;
	case OPT_DELETE_AFTER:
		if (count_parse(val, &a->sync_days) < 0 || a->sync_days > 36500) {
			*err = str_printf("%s: '%s' is not a number of days (0 to 36500)", shown, val);
			return -1;
		}
		a->sync_delete_after = 1;
		break;
	case OPT_STORE: a->store_dir = val; break;
	case OPT_ALL: a->sync_all = 1; break;
	}
	if ((id == OPT_OUTPUT || id == OPT_STATE || id == OPT_STORE || id == OPT_CACERT ||
	    id == OPT_PIN || id == OPT_NETRC || id == OPT_PWCMD) && !*val) {
		*err = str_printf("%s: empty argument", shown);
		return -1;
	}
	return 0;
}

static int
bad_option(const char *arg, char **err)
{
	if (strncmp(arg, "--pass", 6) == 0 || strcmp(arg, "-p") == 0)
		*err = str_printf("unknown option %s: a password is never given on the "
		    "command line; use --password-command, --netrc-file or the prompt", arg);
	else
		*err = str_printf("unknown option %s", arg);
	return -1;
}

/* Options up to the URL. Returns the index of the URL, or -1. */
static int
options_parse(struct cli_args *a, int argc, char **argv, int from, int *stop,
    char **err)
{
	int i, help = 0, version = 0;
	size_t k;

	*stop = CLI_ARGS_OK;
	for (i = from; i < argc; i++) {
		const char *arg = argv[i], *val = NULL;
		char shown[64];
		int found = -1;

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0')
			break;
		if (arg[1] == '-') {
			const char *eq = strchr(arg + 2, '=');
			size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);

			for (k = 0; k < sizeof options / sizeof options[0]; k++)
				if (strlen(options[k].name) == n &&
				    strncmp(options[k].name, arg + 2, n) == 0)
					found = (int)k;
			if (found < 0)
				return bad_option(arg, err);
			snprintf(shown, sizeof shown, "--%s", options[found].name);
			if (eq && !options[found].has_arg) {
				*err = str_printf("%s takes no argument", shown);
				return -1;
			}
			if (eq)
				val = eq + 1;
		} else {
			/* -qV bundles flags; -uNAME and -u NAME both work. */
			const char *p = arg + 1;

			for (;;) {
				found = -1;
				for (k = 0; k < sizeof options / sizeof options[0]; k++)
					if (options[k].short_name == *p)
						found = (int)k;
				if (found < 0) {
					char o[3] = { '-', *p, '\0' };
					return bad_option(o, err);
				}
				snprintf(shown, sizeof shown, "-%c", *p);
				if (options[found].has_arg) {
					if (p[1])
						val = p + 1;
					break;
				}
				if (options[found].id == OPT_HELP)
					help = 1;
				else if (options[found].id == OPT_VERSION)
					version = 1;
				else if (option_set(a, options[found].id, shown, "", err) < 0)
					return -1;
				if (!*++p)
					break;
			}
			if (!options[found].has_arg)
				continue;
		}
		if (options[found].has_arg && !val) {
			if (i + 1 >= argc) {
				*err = str_printf("%s needs an argument", shown);
				return -1;
			}
			val = argv[++i];
		}
		if (options[found].id == OPT_HELP)
			help = 1;
		else if (options[found].id == OPT_VERSION)
			version = 1;
		else if (option_set(a, options[found].id, shown, val ? val : "", err) < 0)
			return -1;
	}
	*stop = help ? CLI_ARGS_HELP : version ? CLI_ARGS_VERSION : CLI_ARGS_OK;
	return i;
}

/* The rest of "pouch sync [OPTIONS] [ACCOUNT | URL]": an argument with
 * "://" is a URL, else the name of an account of the configuration; none:
 * the default account, or every one with --all. */
static enum cli_args_result
sync_args(struct cli_args *a, int argc, char **argv, int i, char **err)
{
	if (i + 1 < argc)
		*err = str_printf("sync: one ACCOUNT or URL, and options before it ('%s' follows it)",
		    argv[i + 1]);
	else if (a->sync_delete && a->sync_delete_after)
		*err = str_printf("sync: --delete and --delete-after exclude each other");
	else if (a->output_dir)
		*err = str_printf("sync: -o does not go with sync (see --store)");
	else if (a->sync_all && (i < argc || a->account))
		*err = str_printf("sync: --all syncs every configured account: give no ACCOUNT or URL");
	else if (a->sync_all && (a->store_dir || a->user))
		*err = str_printf("sync: --all does not go with %s (each account has its own)",
		    a->store_dir ? "--store" : "-u");
	else if (i < argc && a->account)
		*err = str_printf("sync: give either -a ACCOUNT or an ACCOUNT or URL, not both");
	else if (i >= argc)
		return CLI_ARGS_OK;
	else if (!strstr(argv[i], "://")) {
		if (!*argv[i])
			*err = str_printf("sync: an empty account name");
		else {
			a->account = argv[i];
			return CLI_ARGS_OK;
		}
	} else if (cli_url_parse(argv[i], &a->u, err) == 0) {
		a->url = argv[i];
		return CLI_ARGS_OK;
	}
	return *err ? CLI_ARGS_USAGE : CLI_ARGS_NOMEM;
}

enum cli_args_result
cli_args_parse(struct cli_args *a, int argc, char **argv, char **err)
{
	int i, start, stop;
	size_t k;

	memset(a, 0, sizeof *a);
	a->tls = POP3_TLS_AUTO;
	a->timeout_ms = 30000;
	a->pipelining = -1;
	*err = NULL;

	i = options_parse(a, argc, argv, 1, &stop, err);
	/* pouch [OPTIONS] sync [OPTIONS] URL */
	if (i > 0 && stop == CLI_ARGS_OK && i < argc && strcmp(argv[i], "sync") == 0) {
		a->sync = 1;
		i = options_parse(a, argc, argv, i + 1, &stop, err);
	}
	if (i < 0)
		return *err ? CLI_ARGS_USAGE : CLI_ARGS_NOMEM;
	if (stop != CLI_ARGS_OK)
		return (enum cli_args_result)stop;
	if (!a->sync && (a->sync_delete || a->sync_delete_after || a->sync_all)) {
		*err = str_printf("--delete, --delete-after and --all go with sync only");
		return *err ? CLI_ARGS_USAGE : CLI_ARGS_NOMEM;
	}
	if (a->sync)
		return sync_args(a, argc, argv, i, err);
	if (i >= argc)
		return CLI_ARGS_OK;	/* no URL: the reader, on an account of the configuration */
	if (a->account) {
		*err = str_printf("give either -a ACCOUNT or a URL, not both");
		return *err ? CLI_ARGS_USAGE : CLI_ARGS_NOMEM;
	}
	a->url = argv[i];
	if (cli_url_parse(a->url, &a->u, err) < 0)
		return *err ? CLI_ARGS_USAGE : CLI_ARGS_NOMEM;
	i++;
	if (i >= argc)
		return CLI_ARGS_OK;	/* no command: the reader */
	/* Every "--" separates two commands; count them to size the array. */
	k = 1;
	for (start = i; start < argc; start++)
		if (strcmp(argv[start], "--") == 0)
			k++;
	a->cmds = calloc(k, sizeof *a->cmds);
	if (!a->cmds)
		return CLI_ARGS_NOMEM;
	while (i <= argc) {
		start = i;
		while (i < argc && strcmp(argv[i], "--") != 0)
			i++;
		if (i == start) {
			*err = str_printf("an empty command around '--'");
			return *err ? CLI_ARGS_USAGE : CLI_ARGS_NOMEM;
		}
		if (cmd_parse(&a->cmds[a->ncmds], i - start, argv + start,
		    &a->output_dir, err) < 0) {
			free(a->cmds[a->ncmds].msgs);
			return *err ? CLI_ARGS_USAGE : CLI_ARGS_NOMEM;
		}
		a->ncmds++;
		i++;
	}
	for (k = 0; k < a->ncmds; k++) {
		const struct cli_cmd *c = &a->cmds[k];

		if (c->verb == CLI_QUIT && k + 1 != a->ncmds) {
			*err = str_printf("quit must be the last command");
			return *err ? CLI_ARGS_USAGE : CLI_ARGS_NOMEM;
		}
		if (c->verb == CLI_RETR && c->nmsgs > 1 && !a->output_dir) {
			*err = str_printf("retr of several messages needs -o DIR "
			    "(each message goes to DIR/N.eml)");
			return *err ? CLI_ARGS_USAGE : CLI_ARGS_NOMEM;
		}
	}
	return CLI_ARGS_OK;
}

void
cli_args_free(struct cli_args *a)
{
	size_t k;

	for (k = 0; k < a->ncmds; k++)
		free(a->cmds[k].msgs);
	free(a->cmds);
	a->cmds = NULL;
	a->ncmds = 0;
	cli_url_free(&a->u);
}
