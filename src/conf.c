/*
 * conf.c: the configuration file (conf.h, pouch.conf(5)). A line is blank,
 * a comment ('#' first), a section header "[account NAME]", "KEY = VALUE",
 * "color NAME = FG BG" or "bind VIEW KEY REQUEST". Keys and their values
 * are checked here; bindings are checked by the reader, which knows them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <pouch/conf.h>
#include <pouch/util.h>

struct kv {
	char *key, *value, *expanded;
};

struct color {
	char *name;
	short fg, bg;
};

struct conf_account {
	char *name;			/* NULL for the global settings */
	struct kv *kv;
	size_t nkv;
	struct color *colors;
	size_t ncolors;
	struct conf_bind *binds;
	size_t nbinds;
	const struct conf_account *global;
	struct conf_bind *all_binds;	/* global + own, made on demand */
};

struct conf {
	char *name;
	struct conf_account global;
	struct conf_account *acc;
	size_t nacc;
};

static const char *const keys[] = {
	"url", "user", "password_command", "netrc_file", "auth", "tls",
	"cacert", "pinned_pubkey", "timeout", "delete", "store", "download_dir",
	"sort", "browser", "default_account",
};

static const char *const color_names[] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
};

static void
account_free(struct conf_account *a)
{
	size_t i;

	for (i = 0; i < a->nkv; i++) {
		free(a->kv[i].key);
		free(a->kv[i].value);
		free(a->kv[i].expanded);
	}
	free(a->kv);
	for (i = 0; i < a->ncolors; i++)
		free(a->colors[i].name);
	free(a->colors);
	for (i = 0; i < a->nbinds; i++) {
		free((char *)a->binds[i].view);
		free((char *)a->binds[i].key);
		free((char *)a->binds[i].request);
	}
	free(a->binds);
	free(a->all_binds);
	free(a->name);
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (!c)
		return;
	account_free(&c->global);
	for (i = 0; i < c->nacc; i++)
		account_free(&c->acc[i]);
	free(c->acc);
	free(c->name);
	free(c);
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

static int
color_parse(const char *s, short *out)
{
	size_t i;

	if (strcasecmp(s, "default") == 0) {
		*out = -1;
		return 0;
	}
	for (i = 0; i < sizeof color_names / sizeof color_names[0]; i++)
		if (strcasecmp(s, color_names[i]) == 0) {
			*out = (short)i;
			return 0;
		}
	if (strncasecmp(s, "color", 5) == 0) {
		char *e;
		long v = strtol(s + 5, &e, 10);

		if (e != s + 5 && !*e && v >= 0 && v <= 255) {
			*out = (short)v;
			return 0;
		}
	}
	return -1;
}

static int
check_value(const char *key, const char *v, char **why)
{
	if (strcmp(key, "tls") == 0 && strcmp(v, "auto") && strcmp(v, "required") &&
	    strcmp(v, "none")) {
		*why = strdup("tls is auto, required or none");
		return -1;
	}
	if (strcmp(key, "auth") == 0) {
		static const char *const m[] = { "USER", "APOP", "PLAIN", "LOGIN",
		    "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "XOAUTH2",
		    "OAUTHBEARER", "DIGEST-MD5" };
		size_t i;

		for (i = 0; i < sizeof m / sizeof m[0]; i++)
			if (strcasecmp(v, m[i]) == 0)
				return 0;
		*why = strdup("auth is USER, APOP, PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, "
		    "SCRAM-SHA-256, XOAUTH2 or OAUTHBEARER");
		return -1;
	}
	if (strcmp(key, "timeout") == 0) {
		char *e;
		long t;

		errno = 0;
		t = strtol(v, &e, 10);
		if (errno || *e || t < 1 || t > 3600) {
			*why = strdup("timeout is a number of seconds, 1 to 3600");
			return -1;
		}
	}
	if (strcmp(key, "sort") == 0) {
		char buf[64], *w2;

		snprintf(buf, sizeof buf, "%s", v);
		w2 = strchr(buf, ' ');
		if (w2)
			*w2++ = 0;
		if ((strcmp(buf, "date") && strcmp(buf, "size") && strcmp(buf, "from") &&
		    strcmp(buf, "subject") && strcmp(buf, "number")) ||
		    (w2 && strcmp(trim(w2), "reverse"))) {
			*why = strdup("sort is date, size, from, subject or number, optionally followed by reverse");
			return -1;
		}
	}
	if (strcmp(key, "delete") == 0) {
		unsigned days;
		char tail[8];

		if (strcmp(v, "keep") && strcmp(v, "after-download") &&
		    !(sscanf(v, "after %u days%7s", &days, tail) == 1 && days >= 1 && days <= 100000)) {
			*why = strdup("delete is keep, after-download, or after N days");
			return -1;
		}
	}
	if (strcmp(key, "url") == 0 && strncmp(v, "pop3://", 7) && strncmp(v, "pop3s://", 8)) {
		*why = strdup("url starts with pop3:// or pop3s://");
		return -1;
	}
	return 0;
}

static int
kv_set(struct conf_account *a, const char *k, const char *v)
{
	size_t i;
	struct kv *nk;

	for (i = 0; i < a->nkv; i++)
		if (strcmp(a->kv[i].key, k) == 0) {
			char *nv = strdup(v);

			if (!nv)
				return -1;
			free(a->kv[i].value);
			free(a->kv[i].expanded);
			a->kv[i].expanded = NULL;
			a->kv[i].value = nv;
			return 0;
		}
	nk = realloc(a->kv, (a->nkv + 1) * sizeof *nk);
	if (!nk)
		return -1;
	a->kv = nk;
	memset(&a->kv[a->nkv], 0, sizeof *a->kv);
	a->kv[a->nkv].key = strdup(k);
	a->kv[a->nkv].value = strdup(v);
	a->nkv++;
	return a->kv[a->nkv - 1].key && a->kv[a->nkv - 1].value ? 0 : -1;
}

int
conf_parse(const char *buf, size_t len, const char *name, struct conf **out, char **err)
{
	struct conf *c = calloc(1, sizeof *c);
	struct conf_account *cur;
	size_t off = 0;
	unsigned line = 0;
	char *why = NULL;

	*out = NULL;
	*err = NULL;
	if (!c)
		goto nomem;
	c->name = strdup(name ? name : "config");
	if (!c->name)
		goto nomem;
	cur = &c->global;
	if (len > CONF_MAX_BYTES) {
		why = strdup("larger than 1 MiB");
		goto bad;
	}
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - (buf + off)) : len - off;
		char *l, *s, *eq;

		line++;
		if (memchr(buf + off, 0, ll)) {
			why = strdup("a NUL byte");
			goto bad;
		}
		l = str_ndup(buf + off, ll);
		off += ll + (nl ? 1 : 0);
		if (!l)
			goto nomem;
		s = trim(l);
		if (*s == 0 || *s == '#') {
			free(l);
			continue;
		}
		if (*s == '[') {
			char *e = strchr(s, ']'), *nm;
			struct conf_account *na;
			size_t i;

			if (!e || e[1] || strncmp(s, "[account ", 9) != 0) {
				free(l);
				why = strdup("a section is [account NAME]");
				goto bad;
			}
			*e = 0;
			nm = trim(s + 9);
			if (!*nm || strpbrk(nm, " \t/")) {
				free(l);
				why = strdup("an account name is one word without '/'");
				goto bad;
			}
			for (i = 0; i < c->nacc; i++)
				if (strcmp(c->acc[i].name, nm) == 0) {
					why = str_printf("account %s is defined twice", nm);
					free(l);
					goto bad;
				}
			if (c->nacc >= CONF_MAX_ACCOUNTS) {
				free(l);
				why = strdup("too many accounts");
				goto bad;
			}
			na = realloc(c->acc, (c->nacc + 1) * sizeof *na);
			if (!na) {
				free(l);
				goto nomem;
			}
			c->acc = na;
			cur = &c->acc[c->nacc];
			memset(cur, 0, sizeof *cur);
			cur->name = strdup(nm);
			c->nacc++;
			free(l);
			if (!cur->name)
				goto nomem;
			continue;
		}
		if (strncmp(s, "bind ", 5) == 0 || strncmp(s, "bind\t", 5) == 0) {
			char *w[3], *save = NULL, *p;
			int n = 0;
			struct conf_bind *nb;

			for (p = strtok_r(s + 5, " \t", &save); p; p = strtok_r(NULL, " \t", &save)) {
				if (n == 3) {
					n = 4;
					break;
				}
				w[n++] = p;
			}
			if (n != 3) {
				free(l);
				why = strdup("bind VIEW KEY REQUEST (e.g. bind index <Space> open)");
				goto bad;
			}
			nb = realloc(cur->binds, (cur->nbinds + 1) * sizeof *nb);
			if (!nb) {
				free(l);
				goto nomem;
			}
			cur->binds = nb;
			nb = &cur->binds[cur->nbinds++];
			nb->view = strdup(w[0]);
			nb->key = strdup(w[1]);
			nb->request = strdup(w[2]);
			nb->file = c->name;
			nb->line = line;
			free(l);
			if (!nb->view || !nb->key || !nb->request)
				goto nomem;
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			free(l);
			why = strdup("expected KEY = VALUE, [account NAME], color NAME = FG BG or bind VIEW KEY REQUEST");
			goto bad;
		}
		*eq = 0;
		{
			char *k = trim(s), *v = trim(eq + 1);
			size_t i;

			if (strncmp(k, "color ", 6) == 0) {
				char *nm = trim(k + 6), *bgs = strpbrk(v, " \t");
				short fg, bg = -1;
				struct color *nc;

				if (bgs)
					*bgs++ = 0;
				if (!*nm || color_parse(v, &fg) < 0 ||
				    (bgs && color_parse(trim(bgs), &bg) < 0)) {
					free(l);
					why = strdup("color NAME = FG [BG], with black, red, green, yellow, blue, magenta, cyan, white, default or colorN");
					goto bad;
				}
				nc = realloc(cur->colors, (cur->ncolors + 1) * sizeof *nc);
				if (!nc) {
					free(l);
					goto nomem;
				}
				cur->colors = nc;
				nc[cur->ncolors].name = strdup(nm);
				nc[cur->ncolors].fg = fg;
				nc[cur->ncolors].bg = bg;
				cur->ncolors++;
				free(l);
				if (!nc[cur->ncolors - 1].name)
					goto nomem;
				continue;
			}
			if (strcmp(k, "password") == 0) {
				why = strdup("a password is never kept in the configuration: "
				    "use password_command (or ~/.netrc)");
				free(l);
				goto bad;
			}
			for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
				if (strcmp(k, keys[i]) == 0)
					break;
			if (i == sizeof keys / sizeof keys[0]) {
				why = str_printf("unknown setting '%.64s' (see pouch.conf(5))", k);
				free(l);
				goto bad;
			}
			if (!*v) {
				why = str_printf("%s needs a value", k);
				free(l);
				goto bad;
			}
			if (strcmp(k, "default_account") == 0 && cur != &c->global) {
				why = strdup("default_account goes before the first [account]");
				free(l);
				goto bad;
			}
			if (check_value(k, v, &why) < 0) {
				free(l);
				goto bad;
			}
			if (kv_set(cur, k, v) < 0) {
				free(l);
				goto nomem;
			}
		}
		free(l);
	}
	{
		const char *d = conf_get(&c->global, "default_account");

		if (d && !conf_account(c, d)) {
			why = str_printf("default_account %s has no [account %s] section", d, d);
			line = 0;
			goto bad;
		}
	}
	{
		size_t i;

		for (i = 0; i < c->nacc; i++)
			c->acc[i].global = &c->global;
	}
	*out = c;
	return 0;
nomem:
	*err = strdup("out of memory");
	conf_free(c);
	return -1;
bad:
	if (line)
		*err = str_printf("%s:%u: %s", name ? name : "config", line, why ? why : "out of memory");
	else
		*err = str_printf("%s: %s", name ? name : "config", why ? why : "out of memory");
	free(why);
	conf_free(c);
	return -1;
}

int
conf_load(const char *path, int must_exist, struct conf **out, char **err)
{
	FILE *fp = fopen(path, "rb");
	struct dbuf b;
	char buf[8192];
	size_t n;
	int rc;

	*out = NULL;
	*err = NULL;
	if (!fp) {
		if (errno == ENOENT && !must_exist)
			return conf_parse("", 0, path, out, err);
		*err = str_printf("%s: %s", path, strerror(errno));
		return -1;
	}
	dbuf_init(&b, CONF_MAX_BYTES + 1);
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		if (dbuf_add(&b, buf, n) < 0) {
			fclose(fp);
			*err = str_printf("%s: larger than 1 MiB", path);
			return -1;
		}
	if (ferror(fp)) {
		*err = str_printf("%s: %s", path, strerror(errno));
		fclose(fp);
		dbuf_free(&b);
		return -1;
	}
	fclose(fp);
	rc = conf_parse(b.p ? b.p : "", b.len, path, out, err);
	dbuf_free(&b);
	return rc;
}

char *
conf_default_path(void)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");

	if (x && *x == '/')
		return str_printf("%s/pouch/config", x);
	return str_printf("%s/.config/pouch/config", h && *h ? h : ".");
}

const struct conf_account *
conf_account(const struct conf *c, const char *name)
{
	size_t i;

	if (!c)
		return NULL;
	if (!name) {
		const char *d = conf_get(&c->global, "default_account");

		if (d)
			return conf_account(c, d);
		return c->nacc ? &c->acc[0] : NULL;
	}
	for (i = 0; i < c->nacc; i++)
		if (strcmp(c->acc[i].name, name) == 0)
			return &c->acc[i];
	return NULL;
}

size_t conf_account_count(const struct conf *c) { return c ? c->nacc : 0; }
const struct conf_account *
conf_account_at(const struct conf *c, size_t i)
{
	return c && i < c->nacc ? &c->acc[i] : NULL;
}
const struct conf_account *conf_global(const struct conf *c) { return c ? &c->global : NULL; }
const char *conf_account_name(const struct conf_account *a) { return a && a->name ? a->name : ""; }

static const char *
kv_get(const struct conf_account *ca, const char *key)
{
	struct conf_account *a = (struct conf_account *)ca;
	size_t i;

	for (i = 0; i < a->nkv; i++)
		if (strcmp(a->kv[i].key, key) == 0) {
			struct kv *k = &a->kv[i];
			const char *h = getenv("HOME");

			if (strncmp(k->value, "~/", 2) == 0 && h && *h) {
				if (!k->expanded)
					k->expanded = str_printf("%s%s", h, k->value + 1);
				if (k->expanded)
					return k->expanded;
			}
			return k->value;
		}
	return NULL;
}

const char *
conf_get(const struct conf_account *a, const char *key)
{
	const char *v;

	if (!a)
		return NULL;
	v = kv_get(a, key);
	if (!v && a->global)
		v = kv_get(a->global, key);
	return v;
}

int
conf_color(const struct conf_account *a, const char *name, short *fg, short *bg)
{
	size_t i;
	const struct conf_account *x;
	int found = -1;

	for (x = a ? a->global : NULL; ; x = a) {
		if (x)
			for (i = 0; i < x->ncolors; i++)
				if (strcmp(x->colors[i].name, name) == 0) {
					*fg = x->colors[i].fg;
					*bg = x->colors[i].bg;
					found = 0;
				}
		if (x == a)
			break;
	}
	return found;
}

size_t
conf_binds(const struct conf_account *ca, const struct conf_bind **out)
{
	struct conf_account *a = (struct conf_account *)ca;
	size_t ng = a && a->global ? a->global->nbinds : 0;

	*out = NULL;
	if (!a || ng + a->nbinds == 0)
		return 0;
	if (!a->all_binds) {
		a->all_binds = malloc((ng + a->nbinds) * sizeof *a->all_binds);
		if (!a->all_binds)
			return 0;
		if (ng)
			memcpy(a->all_binds, a->global->binds, ng * sizeof *a->all_binds);
		if (a->nbinds)
			memcpy(a->all_binds + ng, a->binds, a->nbinds * sizeof *a->all_binds);
	}
	*out = a->all_binds;
	return ng + a->nbinds;
}
