/* pop3_marks.c: deletion marks kept by UIDL and their commit (see
 * pop3_marks.h). */
#include <stdlib.h>
#include <string.h>

#include <pouch/pop3_marks.h>
#include <pouch/util.h>

struct pop3_marks {
	char **uid;	/* sorted by strcmp, unique */
	size_t n, cap;
};

struct pop3_marks *
pop3_marks_new(void)
{
	struct pop3_marks *m = calloc(1, sizeof *m);

	return m;
}

void
pop3_marks_free(struct pop3_marks *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->uid[i]);
	free(m->uid);
	free(m);
}

/* The index of uid, or of where it would go; *found says which. */
static size_t
find(const struct pop3_marks *m, const char *uid, int *found)
{
	size_t lo = 0, hi = m->n, mid;
	int c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(m->uid[mid], uid);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
pop3_marks_set(struct pop3_marks *m, const char *uid, int on)
{
	int found;
	size_t i = find(m, uid, &found);
	char *copy, **nu;

	if (!on) {
		if (found) {
			free(m->uid[i]);
			memmove(m->uid + i, m->uid + i + 1, (m->n - i - 1) * sizeof *m->uid);
			m->n--;
		}
		return 0;
	}
	if (found)
		return 0;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;

		nu = realloc(m->uid, cap * sizeof *nu);
		if (!nu)
			return -1;
		m->uid = nu;
		m->cap = cap;
	}
	copy = strdup(uid);
	if (!copy)
		return -1;
	memmove(m->uid + i + 1, m->uid + i, (m->n - i) * sizeof *m->uid);
	m->uid[i] = copy;
	m->n++;
	return 0;
}

int
pop3_marks_has(const struct pop3_marks *m, const char *uid)
{
	int found;

	find(m, uid, &found);
	return found;
}

size_t
pop3_marks_count(const struct pop3_marks *m)
{
	return m->n;
}

const char *
pop3_marks_get(const struct pop3_marks *m, size_t i)
{
	return i < m->n ? m->uid[i] : NULL;
}

/* What the commit learns from the replies. */
struct commit {
	const struct pop3_marks *m;
	enum pop3_status uidl_st;
	unsigned long *num;	/* per mark: its number now; 0 gone; -1 kept (UIDL
				   ambiguous, or no durable copy) */
	int nomem;
	size_t ndele, dele_ok;
};

static void
uidl_done(void *ctx, const struct pop3_reply *r)
{
	struct commit *c = ctx;
	size_t i;
	int found;

	c->uidl_st = r->status;
	if (r->status != POP3_OK)
		return;
	for (i = 0; i < r->nitems; i++) {
		size_t k;

		if (!r->items[i].uid)
			continue;
		k = find(c->m, r->items[i].uid, &found);
		if (!found)
			continue;
		/* A UID listed twice is no identity at all: delete neither. */
		c->num[k] = c->num[k] == 0 ? r->items[i].n : (unsigned long)-1;
	}
}

static void
dele_done(void *ctx, const struct pop3_reply *r)
{
	struct commit *c = ctx;

	if (r->status == POP3_OK)
		c->dele_ok++;
}

/* Keeps a reply's own status (RSET's: -ERR is not a failure of the call). */
static void
status_done(void *ctx, const struct pop3_reply *r)
{
	*(enum pop3_status *)ctx = r->status;
}

enum pop3_status
pop3_marks_commit(struct pop3 *s, struct pop3_marks *m,
    pop3_durable_fn durable, void *ctx, struct pop3_commit *res)
{
	struct commit c;
	struct pop3_req r;
	enum pop3_status st;
	size_t i;
	const char *text;

	memset(res, 0, sizeof *res);
	memset(&c, 0, sizeof c);
	c.m = m;
	c.uidl_st = POP3_ERR_USAGE;
	c.num = calloc(m->n ? m->n : 1, sizeof *c.num);
	if (!c.num)
		return POP3_ERR_NOMEM;
	memset(&r, 0, sizeof r);
	r.cmd = POP3_UIDL;
	r.on_done = uidl_done;
	r.ctx = &c;
	st = pop3_call(s, &r);
	if (st == POP3_OK && c.uidl_st != POP3_OK)
		st = c.uidl_st;
	if (st != POP3_OK)
		goto out;

	r.cmd = POP3_DELE;
	r.has_n = 1;
	r.on_done = dele_done;
	for (i = 0; i < m->n; i++) {
		if (c.num[i] == 0) {
			res->gone++;
			continue;
		}
		if (c.num[i] == (unsigned long)-1 ||
		    (durable && !durable(ctx, m->uid[i]))) {
			c.num[i] = (unsigned long)-1;	/* kept */
			res->kept++;
			continue;
		}
		r.n = c.num[i];
		st = pop3_submit(s, &r);
		if (st != POP3_OK)
			goto out;
		c.ndele++;
	}
	st = pop3_wait(s);
	if (st != POP3_OK)
		goto out;
	if (c.dele_ok != c.ndele) {
		/* All or nothing: undo the accepted ones, then leave. */
		enum pop3_status rst = POP3_ERR_NET;

		memset(&r, 0, sizeof r);
		r.cmd = POP3_RSET;
		r.on_done = status_done;
		r.ctx = &rst;
		/* Only an accepted RSET makes QUIT safe; else the connection
		 * is left for the caller to close without QUIT. */
		if (pop3_call(s, &r) == POP3_OK && rst == POP3_OK)
			pop3_quit(s, &text);
		st = POP3_ERR_SERVER;
		goto out;
	}
	st = pop3_quit(s, &text);
	if (st != POP3_OK)
		goto out;
	res->deleted = c.ndele;
	/* Forget what is settled: deleted now, or gone before. Walk down so
	 * the indexes of the rest stay valid. */
	for (i = m->n; i-- > 0;)
		if (c.num[i] != (unsigned long)-1)	/* deleted now, or gone before */
			pop3_marks_set(m, m->uid[i], 0);
out:
	if (st != POP3_OK)
		memset(res, 0, sizeof *res);
	free(c.num);
	return st;
}
