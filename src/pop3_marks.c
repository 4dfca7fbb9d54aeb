/* pop3_marks.c: deletion marks kept by UIDL and their commit (see
 * pop3_marks.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/pop3_marks.h>
#include <pouch/util.h>

struct pop3_marks {
	struct strset uid;	/* sorted by strcmp, unique */
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
	if (!m)
		return;
	strset_free(&m->uid);
	free(m);
}

int
pop3_marks_set(struct pop3_marks *m, const char *uid, int on)
{
	size_t i;

	if (on)
		return strset_add(&m->uid, uid);
	if (strset_find(&m->uid, uid, &i))
		strset_remove_at(&m->uid, i);
	return 0;
}

int
pop3_marks_has(const struct pop3_marks *m, const char *uid)
{
	size_t i;

	return strset_find(&m->uid, uid, &i);
}

size_t
pop3_marks_count(const struct pop3_marks *m)
{
	return m->uid.n;
}

const char *
pop3_marks_get(const struct pop3_marks *m, size_t i)
{
	return i < m->uid.n ? m->uid.v[i] : NULL;
}

/*
 * A commit in flight: each reply's on_done sends the next step, so that
 * the whole commit runs from a poll loop (pop3_marks_commit_start) as well
 * as blocking (pop3_marks_commit).
 */
struct commit {
	struct pop3 *s;
	struct pop3_marks *m;
	pop3_durable_fn durable;
	void *ctx;
	pop3_commit_fn done;
	void *done_ctx;
	unsigned long *num;	/* per mark: its number now; 0 gone; -1 kept (UIDL
				   ambiguous, or no durable copy) */
	enum pop3_status abort;	/* a local failure after DELEs went out */
	enum pop3_status fatal;	/* the connection broke under a DELE */
	size_t ndele, dele_done, dele_ok;
	struct pop3_commit res;
};

#define KEPT ((unsigned long)-1)

static void
finish(struct commit *c, enum pop3_status st, const char *why)
{
	size_t i;

	if (st == POP3_OK) {
		c->res.deleted = c->ndele;
		/* Forget what is settled: deleted now, or gone before. Walk
		 * down so the indexes of the rest stay valid. */
		for (i = c->m->uid.n; i-- > 0;)
			if (c->num[i] != KEPT)
				pop3_marks_set(c->m, c->m->uid.v[i], 0);
	} else {
		c->res.deleted = c->res.gone = c->res.kept = 0;
	}
	if (why != c->res.error)
		snprintf(c->res.error, sizeof c->res.error, "%s", why ? why : "");
	c->done(c->done_ctx, st, &c->res);
	free(c->num);
	free(c);
}

static int
cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Whether n appears more than once in the sorted nums[0..k). */
static int
listed_twice(const unsigned long *nums, size_t k, unsigned long n)
{
	size_t lo = 0, hi = k, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (nums[mid] < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo + 1 < k && nums[lo] == n && nums[lo + 1] == n;
}

static void quit_done(void *ctx, const struct pop3_reply *r);
static void quit_after_rset_done(void *ctx, const struct pop3_reply *r);

static void
submit_simple(struct commit *c, enum pop3_cmd cmd,
    void (*on_done)(void *, const struct pop3_reply *), const char *what)
{
	struct pop3_req r;
	char why[200];

	memset(&r, 0, sizeof r);
	r.cmd = cmd;
	r.on_done = on_done;
	r.ctx = c;
	if (pop3_submit(c->s, &r) != POP3_OK) {
		/* Nothing deleted: no QUIT went out. */
		snprintf(why, sizeof why, "cannot send %s: %s", what,
		    pop3_error(c->s));
		finish(c, c->abort ? c->abort : POP3_ERR_NOMEM, why);
	}
}

static void
rset_done(void *ctx, const struct pop3_reply *r)
{
	struct commit *c = ctx;
	char why[300];

	if (r->status != POP3_OK) {
		/* Refused: QUIT would commit the accepted DELEs. No QUIT;
		 * the caller closes the session with pop3_free. */
		snprintf(why, sizeof why, "RSET after a failed commit: %s",
		    r->error ? r->error : "");
		finish(c, pop3_status_fatal(r->status) ? r->status :
		    POP3_ERR_SERVER, why);
		return;
	}
	submit_simple(c, POP3_QUIT, quit_after_rset_done, "QUIT");
}

static void
quit_after_rset_done(void *ctx, const struct pop3_reply *r)
{
	struct commit *c = ctx;

	(void)r;
	finish(c, c->abort ? c->abort : POP3_ERR_SERVER, c->res.error[0] ?
	    c->res.error : "a DELE was refused; RSET undid the others");
}

/* Every DELE is answered: QUIT if all were accepted, else RSET first. */
static void
deles_answered(struct commit *c)
{
	if (c->fatal) {
		finish(c, c->fatal, "the connection broke during the commit; "
		    "nothing was deleted");
		return;
	}
	if (c->abort || c->dele_ok != c->ndele) {
		submit_simple(c, POP3_RSET, rset_done, "RSET");
		return;
	}
	submit_simple(c, POP3_QUIT, quit_done, "QUIT");
}

static void
dele_done(void *ctx, const struct pop3_reply *r)
{
	struct commit *c = ctx;

	c->dele_done++;
	if (r->status == POP3_OK)
		c->dele_ok++;
	else if (pop3_status_fatal(r->status))
		c->fatal = r->status;
	else if (!c->res.error[0])
		snprintf(c->res.error, sizeof c->res.error, "%s (%s); RSET "
		    "undid the others", r->error ? r->error : "a DELE was refused",
		    r->text ? r->text : "");
	if (c->dele_done == c->ndele)
		deles_answered(c);
}

static void
quit_done(void *ctx, const struct pop3_reply *r)
{
	struct commit *c = ctx;
	char why[300];

	if (r->status == POP3_OK) {
		finish(c, POP3_OK, NULL);
		return;
	}
	snprintf(why, sizeof why, "QUIT: %s (%s)", r->error ? r->error : "",
	    r->text ? r->text : "");
	finish(c, r->status, why);
}

static void
uidl_done(void *ctx, const struct pop3_reply *r)
{
	struct commit *c = ctx;
	struct pop3_req q;
	unsigned long *nums = NULL;
	size_t i, k;
	char why[300];

	if (r->status != POP3_OK) {
		snprintf(why, sizeof why, "UIDL: %s", r->error ? r->error : "");
		finish(c, r->status, why);
		return;
	}
	/* A number listed twice (with two UIDs) names no message for sure. */
	if (r->nitems > 0 && (nums = malloc(r->nitems * sizeof *nums)) != NULL) {
		for (i = 0; i < r->nitems; i++)
			nums[i] = r->items[i].n;
		qsort(nums, r->nitems, sizeof *nums, cmp_ulong);
	}
	if (r->nitems > 0 && !nums) {
		finish(c, POP3_ERR_NOMEM, "out of memory");
		return;
	}
	for (i = 0; i < r->nitems; i++) {
		if (!r->items[i].uid)
			continue;
		if (!strset_find(&c->m->uid, r->items[i].uid, &k))
			continue;
		/* A UID listed twice is no identity at all: delete neither. */
		if (c->num[k] != 0 || listed_twice(nums, r->nitems, r->items[i].n))
			c->num[k] = KEPT;
		else
			c->num[k] = r->items[i].n;
	}
	free(nums);
	memset(&q, 0, sizeof q);
	q.cmd = POP3_DELE;
	q.has_n = 1;
	q.on_done = dele_done;
	q.ctx = c;
	for (i = 0; i < c->m->uid.n; i++) {
		if (c->num[i] == 0) {
			c->res.gone++;
			continue;
		}
		if (c->num[i] == KEPT ||
		    (c->durable && !c->durable(c->ctx, c->m->uid.v[i]))) {
			c->num[i] = KEPT;
			c->res.kept++;
			continue;
		}
		q.n = c->num[i];
		if (pop3_submit(c->s, &q) != POP3_OK) {
			c->abort = POP3_ERR_NOMEM;
			snprintf(c->res.error, sizeof c->res.error, "cannot send "
			    "DELE: %s", pop3_error(c->s));
			break;
		}
		c->ndele++;
	}
	if (c->ndele == 0 && c->abort) {
		finish(c, c->abort, c->res.error);	/* nothing sent: no QUIT */
		return;
	}
	if (c->ndele == 0)
		deles_answered(c);
}

enum pop3_status
pop3_marks_commit_start(struct pop3 *s, struct pop3_marks *m,
    pop3_durable_fn durable, void *ctx, pop3_commit_fn done, void *done_ctx)
{
	struct commit *c;
	struct pop3_req r;
	enum pop3_status st;

	c = calloc(1, sizeof *c);
	if (!c)
		return POP3_ERR_NOMEM;
	c->num = calloc(m->uid.n ? m->uid.n : 1, sizeof *c->num);
	if (!c->num) {
		free(c);
		return POP3_ERR_NOMEM;
	}
	c->s = s;
	c->m = m;
	c->durable = durable;
	c->ctx = ctx;
	c->done = done;
	c->done_ctx = done_ctx;
	memset(&r, 0, sizeof r);
	r.cmd = POP3_UIDL;
	r.on_done = uidl_done;
	r.ctx = c;
	st = pop3_submit(s, &r);
	if (st != POP3_OK) {
		free(c->num);
		free(c);
	}
	return st;
}

struct blocking {
	int done;
	enum pop3_status st;
	struct pop3_commit *res;
};

static void
blocking_done(void *ctx, enum pop3_status st, const struct pop3_commit *res)
{
	struct blocking *b = ctx;

	b->done = 1;
	b->st = st;
	*b->res = *res;
}

enum pop3_status
pop3_marks_commit(struct pop3 *s, struct pop3_marks *m,
    pop3_durable_fn durable, void *ctx, struct pop3_commit *res)
{
	struct blocking b;
	enum pop3_status st;

	memset(res, 0, sizeof *res);
	memset(&b, 0, sizeof b);
	b.res = res;
	st = pop3_marks_commit_start(s, m, durable, ctx, blocking_done, &b);
	if (st != POP3_OK)
		return st;
	st = pop3_wait(s);
	/* A fatal end completes every request, the commit's too. */
	if (!b.done)
		return st != POP3_OK ? st : POP3_ERR_USAGE;
	return b.st;
}
