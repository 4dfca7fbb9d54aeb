/*
 * netrc.c: login and password from a netrc file (see netrc.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pouch/netrc.h>
#include <pouch/util.h>

struct lexer {
	const char *p, *end;
	unsigned long line;
	char tok[NETRC_MAX_TOKEN + 1];
	size_t toklen;
};

void
netrc_entry_free(struct netrc_entry *e)
{
	free(e->login);
	str_wipe_free(e->password);
	e->login = NULL;
	e->password = NULL;
}

/* 1 with a token in lx->tok, 0 at the end, -1 on bad input (*err). */
static int
lex_next(struct lexer *lx, char **err)
{
	int quoted;

	for (;;) {
		while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' ||
		    *lx->p == '\r' || *lx->p == '\n' || *lx->p == '\f' || *lx->p == '\v')) {
			if (*lx->p == '\n')
				lx->line++;
			lx->p++;
		}
		if (lx->p >= lx->end)
			return 0;
		if (*lx->p != '#')
			break;
		while (lx->p < lx->end && *lx->p != '\n')
			lx->p++;
	}
	lx->toklen = 0;
	quoted = *lx->p == '"';
	if (quoted)
		lx->p++;
	for (;;) {
		char c;

		if (lx->p >= lx->end) {
			if (quoted) {
				*err = str_printf("line %lu: unterminated quoted token", lx->line);
				return -1;
			}
			break;
		}
		c = *lx->p;
		if (quoted && c == '"') {
			lx->p++;
			break;
		}
		if (!quoted && (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
		    c == '\f' || c == '\v'))
			break;
		if (c == '\n')
			lx->line++;
		if (quoted && c == '\\' && lx->p + 1 < lx->end) {
			lx->p++;
			c = *lx->p;
			c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
		}
		if (lx->toklen >= NETRC_MAX_TOKEN) {
			*err = str_printf("line %lu: a token longer than %d bytes",
			    lx->line, NETRC_MAX_TOKEN);
			return -1;
		}
		lx->tok[lx->toklen++] = c;
		lx->p++;
	}
	lx->tok[lx->toklen] = '\0';
	return 1;
}

/* macdef NAME: the definition runs from the next line to an empty line. */
static void
lex_skip_macdef(struct lexer *lx)
{
	while (lx->p < lx->end && *lx->p != '\n')
		lx->p++;
	while (lx->p < lx->end) {
		lx->p++;
		lx->line++;
		if (lx->p >= lx->end || *lx->p == '\n' ||
		    (*lx->p == '\r' && lx->p + 1 < lx->end && lx->p[1] == '\n'))
			return;
		while (lx->p < lx->end && *lx->p != '\n')
			lx->p++;
	}
}

struct entry {
	int active, is_default, host_ok;
	char *login, *password;
};

static void
entry_clear(struct entry *e)
{
	free(e->login);
	str_wipe_free(e->password);
	memset(e, 0, sizeof *e);
}

/* The value after a keyword: 1, or -1 (*err) at the end or on bad input. */
static int
lex_value(struct lexer *lx, const char *keyword, char **err)
{
	int r = lex_next(lx, err);

	if (r == 0)
		*err = str_printf("line %lu: '%s' without a value", lx->line, keyword);
	return r == 1 ? 1 : -1;
}

static int
entry_matches(const struct entry *e, const char *login)
{
	return e->active && (e->is_default || e->host_ok) &&
	    (!login || !e->login || strcmp(e->login, login) == 0);
}

enum netrc_status
netrc_find(const char *text, size_t len, const char *host, const char *login,
    struct netrc_entry *out, char **err)
{
	struct lexer *lx;
	struct entry cur, dflt;
	enum netrc_status st = NETRC_NOT_FOUND;
	int r;

	out->login = out->password = NULL;
	*err = NULL;
	if (memchr(text, '\0', len)) {
		*err = str_printf("the file holds a NUL byte");
		return NETRC_BAD;
	}
	lx = calloc(1, sizeof *lx);
	if (!lx)
		return NETRC_NOMEM;
	lx->p = text;
	lx->end = text + len;
	lx->line = 1;
	memset(&cur, 0, sizeof cur);
	memset(&dflt, 0, sizeof dflt);
	for (;;) {
		int is_machine, is_default;

		r = lex_next(lx, err);
		if (r <= 0)
			break;
		is_machine = strcmp(lx->tok, "machine") == 0;
		is_default = strcmp(lx->tok, "default") == 0;
		if (is_machine || is_default) {
			if (entry_matches(&cur, login)) {
				if (!cur.is_default)
					break;
				if (!dflt.active) {
					dflt = cur;
					memset(&cur, 0, sizeof cur);
				}
			}
			entry_clear(&cur);
			cur.active = 1;
			cur.is_default = is_default;
			if (is_machine) {
				if ((r = lex_value(lx, "machine", err)) < 0)
					break;
				cur.host_ok = strcasecmp(lx->tok, host) == 0;
			}
		} else if (strcmp(lx->tok, "login") == 0 ||
		    strcmp(lx->tok, "password") == 0) {
			char **slot = lx->tok[0] == 'l' ? &cur.login : &cur.password;

			if ((r = lex_value(lx, lx->tok[0] == 'l' ? "login" : "password", err)) < 0)
				break;
			if (cur.active && !*slot) {
				*slot = strdup(lx->tok);
				if (!*slot) {
					r = -2;
					break;
				}
			}
		} else if (strcmp(lx->tok, "macdef") == 0) {
			if ((r = lex_value(lx, "macdef", err)) < 0)
				break;
			lex_skip_macdef(lx);
		} else if (strcmp(lx->tok, "account") == 0 || strcmp(lx->tok, "port") == 0) {
			if ((r = lex_value(lx, lx->tok[0] == 'p' ? "port" : "account", err)) < 0)
				break;
		}
		/* Other words are skipped, as ftp and curl do. */
	}
	explicit_bzero(lx->tok, sizeof lx->tok);
	free(lx);
	if (r == -2 || (r < 0 && !*err)) {
		st = NETRC_NOMEM;
	} else if (r < 0) {
		st = NETRC_BAD;
	} else {
		struct entry *pick = NULL;

		/* A machine entry beats the default, wherever that stands. */
		if (entry_matches(&cur, login) && !cur.is_default)
			pick = &cur;
		else if (dflt.active)
			pick = &dflt;
		else if (entry_matches(&cur, login))
			pick = &cur;
		if (pick) {
			out->login = pick->login;
			out->password = pick->password;
			pick->login = pick->password = NULL;
			st = NETRC_FOUND;
		}
	}
	entry_clear(&cur);
	entry_clear(&dflt);
	return st;
}

enum netrc_status
netrc_find_file(const char *path, const char *host, const char *login,
    struct netrc_entry *out, char **err)
{
	enum netrc_status r;
	char *buf;
	size_t len;

	out->login = out->password = NULL;
	*err = NULL;
	if (file_read_all(path, NETRC_MAX_FILE, FILE_SECRET, &buf, &len) < 0) {
		if (errno == ENOENT)
			return NETRC_NO_FILE;
		if (errno == ENOMEM)
			return NETRC_NOMEM;
		if (errno == EINVAL || errno == EFBIG)
			*err = str_printf("not a regular file, or larger than %d bytes",
			    NETRC_MAX_FILE);
		else
			*err = str_printf("%s", strerror(errno));
		return *err ? NETRC_BAD : NETRC_NOMEM;
	}
	r = netrc_find(buf, len, host, login, out, err);
	explicit_bzero(buf, len);
	free(buf);
	return r;
}
