/*
 * store_sync.c: one sync of a store with its POP3 mailbox (see
 * store_sync.h for the order and why it never loses mail).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <pouch/pop3.h>
#include <pouch/pop3_marks.h>
#include <pouch/store.h>
#include <pouch/store_sync.h>
#include <pouch/util.h>

struct srv {
	unsigned long n;
	unsigned long long size;
	char *uid;
};

struct rq {
	struct sync *y;
	unsigned long n;
	unsigned long long expect;
	const char *uid;
	struct store_put *put;
};

struct sync {
	const struct store_sync_cfg *cfg;
	struct store_sync_result *res;
	struct store *st;
	struct pop3 *s;
	struct srv *srv;
	size_t nsrv;
	int have_list;
	enum pop3_status uidl_st, list_st;
	char *server_text;		/* a -ERR to UIDL or LIST */
	struct rq *rq;
	size_t nrq;
	size_t done;
	unsigned long long done_bytes, total_bytes;
	long long t0, last_progress;
	int stop;			/* a local failure: cancel the session */
	int quit_queued, quit_done;	/* keep: QUIT behind the last RETR */
	enum pop3_status quit_st;
	char *quit_text;
	enum store_sync_status status;
	char *err;
};

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
now(const struct sync *y)
{
	return y->cfg->now ? y->cfg->now() : (int64_t)time(NULL);
}

static void
note(struct sync *y, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct sync *y, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (!y->cfg->note)
		return;
	va_start(ap, fmt);
	s = str_vprintf(fmt, ap);
	va_end(ap);
	if (s)
		y->cfg->note(y->cfg->ctx, s);
	free(s);
}

/* The first failure wins; err is taken over. */
static void
fail(struct sync *y, enum store_sync_status st, char *err)
{
	if (y->status == STORE_SYNC_OK) {
		y->status = st;
		y->err = err ? err : str_printf("out of memory");
	} else {
		free(err);
	}
}

static void
fail_store(struct sync *y, enum store_status st, char *err)
{
	if (y->status == STORE_SYNC_OK)
		y->res->store = (int)st;
	fail(y, st == STORE_NOMEM ? STORE_SYNC_NOMEM : STORE_SYNC_STORE, err);
	y->stop = 1;
}

static void
progress(struct sync *y, int force)
{
	struct store_sync_progress p;
	long long t = mono_ms();

	if (!y->cfg->progress || (!force && t - y->last_progress < 100))
		return;
	y->last_progress = t;
	p.done = y->done;
	p.total = y->nrq;
	/* The body being read, while one is (not the last one again). */
	p.bytes = y->done_bytes + (y->s && y->done < y->nrq ? pop3_body_progress(y->s) : 0);
	p.total_bytes = y->total_bytes;
	p.elapsed_ms = t - y->t0;
	y->cfg->progress(y->cfg->ctx, &p);
}

static int
on_tick(void *ctx)
{
	struct sync *y = ctx;

	progress(y, 0);
	return y->stop || (y->cfg->interrupted && *y->cfg->interrupted);
}

void
store_sync_capa(const char *body, size_t len, long *expire, long *delay)
{
	const char *p = body, *end = body + len;

	*expire = -1;
	*delay = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
		char line[128];
		size_t n = (size_t)(e - p);
		char word[32], arg[32];

		if (n && p[n - 1] == '\r')
			n--;
		if (n < sizeof line) {
			memcpy(line, p, n);
			line[n] = '\0';
			word[0] = arg[0] = '\0';
			if (sscanf(line, "%31s %31s", word, arg) >= 1) {
				char *q;
				long v;

				if (strcasecmp(word, "EXPIRE") == 0) {
					if (strcasecmp(arg, "NEVER") == 0)
						*expire = -2;
					else if ((v = strtol(arg, &q, 10)) >= 0 && q != arg && !*q)
						*expire = v;
				} else if (strcasecmp(word, "LOGIN-DELAY") == 0) {
					if ((v = strtol(arg, &q, 10)) >= 0 && q != arg && !*q)
						*delay = v;
				}
			}
		}
		p = e + (nl ? 1 : 0);
	}
}

/* ---- the listing: CAPA, UIDL, LIST ---- */

static int
srv_cmp(const void *a, const void *b)
{
	const struct srv *x = a, *y = b;

	return x->n < y->n ? -1 : x->n > y->n;
}

static void
on_uidl(void *ctx, const struct pop3_reply *r)
{
	struct sync *y = ctx;
	size_t i;

	y->uidl_st = r->status;
	if (r->status == POP3_ERR_SERVER && !y->server_text)
		y->server_text = strdup(r->text ? r->text : "");
	if (r->status != POP3_OK)
		return;
	y->srv = calloc(r->nitems + 1, sizeof *y->srv);
	if (!y->srv) {
		fail(y, STORE_SYNC_NOMEM, NULL);
		y->stop = 1;
		return;
	}
	for (i = 0; i < r->nitems; i++) {
		y->srv[i].n = r->items[i].n;
		y->srv[i].uid = strdup(r->items[i].uid ? r->items[i].uid : "");
		if (!y->srv[i].uid) {
			y->nsrv = i;
			fail(y, STORE_SYNC_NOMEM, NULL);
			y->stop = 1;
			return;
		}
	}
	y->nsrv = r->nitems;
	qsort(y->srv, y->nsrv, sizeof *y->srv, srv_cmp);
}

static struct srv *
srv_find(struct sync *y, unsigned long n)
{
	struct srv key;

	key.n = n;
	return y->nsrv ? bsearch(&key, y->srv, y->nsrv, sizeof *y->srv, srv_cmp) : NULL;
}

static void
on_list(void *ctx, const struct pop3_reply *r)
{
	struct sync *y = ctx;
	size_t i;

	y->list_st = r->status;
	if (r->status == POP3_ERR_SERVER && !y->server_text)
		y->server_text = strdup(r->text ? r->text : "");
	if (r->status != POP3_OK)
		return;
	for (i = 0; i < r->nitems; i++) {
		struct srv *s = srv_find(y, r->items[i].n);

		if (s)
			s->size = r->items[i].size;
	}
	y->have_list = 1;
}

/* ---- the downloads ---- */

static int
on_data(void *ctx, const char *p, size_t n)
{
	struct rq *q = ctx;
	struct sync *y = q->y;
	enum store_status st;
	char *err = NULL;

	if (y->stop)
		return 1;
	if (!q->put) {
		st = store_put_open(y->st, q->uid, &q->put, &err);
		if (st != STORE_OK) {
			fail_store(y, st, err);
			return 1;
		}
	}
	st = store_put_write(q->put, p, n, &err);
	if (st != STORE_OK) {
		fail_store(y, st, err);
		return 1;
	}
	return 0;
}

static void
land(struct sync *y)
{
	enum store_status st;
	char *err = NULL;

	size_t landed = 0;

	if (!store_batch_count(y->st))
		return;
	st = store_land(y->st, &landed, &err);
	y->res->fetched += landed;
	if (st != STORE_OK)
		fail_store(y, st, err);
}

static void
on_retr(void *ctx, const struct pop3_reply *r)
{
	struct rq *q = ctx;
	struct sync *y = q->y;
	enum store_status st;
	char *err = NULL;

	if (r->status != POP3_OK || y->stop) {
		store_put_abort(q->put);
		q->put = NULL;
		if (r->status == POP3_ERR_SERVER) {
			/* Deleted by another session meanwhile, say: the
			 * next sync sees. */
			y->res->refused++;
			note(y, "RETR %lu (UIDL %s): the server said -ERR %s; left for the next sync",
			    q->n, q->uid, r->text ? r->text : "");
		}
		return;
	}
	if (r->size_mismatch)
		note(y, "RETR %lu (UIDL %s): %llu octets, more than LIST said (%llu); kept whole",
		    q->n, q->uid, r->body_octets, q->expect);
	if (!q->put) {
		/* An empty message: no data came, the file is still owed. */
		st = store_put_open(y->st, q->uid, &q->put, &err);
		if (st != STORE_OK) {
			fail_store(y, st, err);
			return;
		}
	}
	st = store_put_close(q->put, &err);
	q->put = NULL;
	if (st != STORE_OK) {
		fail_store(y, st, err);
		return;
	}
	y->done++;
	y->done_bytes += r->body_octets;
	y->res->fetched_bytes += r->body_octets;
	if (store_batch_full(y->st))
		land(y);
	progress(y, 1);
}

static void
wait_all(struct sync *y)
{
	enum pop3_status st = pop3_wait(y->s);

	if (st == POP3_OK)
		return;
	if (st == POP3_ERR_CANCELLED && y->stop)
		return;	/* our own stop: its failure is recorded */
	y->res->pop3 = st;
	if (st == POP3_ERR_CANCELLED)
		fail(y, STORE_SYNC_CANCELLED, str_printf("interrupted"));
	else
		fail(y, STORE_SYNC_SESSION, str_printf("%s", pop3_error(y->s) ?
		    pop3_error(y->s) : pop3_status_name(st)));
}

static int
submit(struct sync *y, struct pop3_req *r)
{
	enum pop3_status st = pop3_submit(y->s, r);

	if (st == POP3_OK)
		return 0;
	y->res->pop3 = st;
	fail(y, STORE_SYNC_SESSION, str_printf("%s: %s", pop3_cmd_name(r->cmd),
	    pop3_error(y->s) ? pop3_error(y->s) : pop3_status_name(st)));
	return -1;
}

static void
on_quit(void *ctx, const struct pop3_reply *r)
{
	struct sync *y = ctx;

	y->quit_done = 1;
	y->quit_st = r->status;
	if (r->text && !y->quit_text)
		y->quit_text = strdup(r->text);
}

static int
fetch(struct sync *y)
{
	struct pop3_req r;
	size_t i, k;

	y->rq = calloc(y->nsrv + 1, sizeof *y->rq);
	if (!y->rq) {
		fail(y, STORE_SYNC_NOMEM, NULL);
		return -1;
	}
	for (i = 0; i < y->nsrv; i++) {
		const struct srv *s = &y->srv[i];
		int dup = 0;

		if (!*s->uid || store_find(y->st, s->uid))
			continue;
		/* A UIDL listed twice: fetched once. (pop3_marks never
		 * deletes an ambiguous one.) */
		for (k = 0; k < y->nrq && !dup; k++)
			dup = strcmp(y->rq[k].uid, s->uid) == 0;
		if (dup) {
			y->res->duplicates++;
			continue;
		}
		y->rq[y->nrq].y = y;
		y->rq[y->nrq].n = s->n;
		y->rq[y->nrq].uid = s->uid;
		y->rq[y->nrq].expect = s->size;
		y->total_bytes += s->size;
		y->nrq++;
	}
	progress(y, 1);
	/* Their files are made ahead, beside the reading (store_spare.c). */
	(void)store_expect(y->st, y->nrq);
	for (i = 0; i < y->nrq && !y->stop; i++) {
		memset(&r, 0, sizeof r);
		r.cmd = POP3_RETR;
		r.has_n = 1;
		r.n = y->rq[i].n;
		r.expect_size = y->rq[i].expect;
		r.on_data = on_data;
		r.on_done = on_retr;
		r.ctx = &y->rq[i];
		if (submit(y, &r) < 0)
			break;
	}
	/* Under keep QUIT commits nothing, so it may go right behind the last
	 * RETR (the engine sends it once every reply is in) and travel while
	 * the last batch lands: one round trip less. The copies are still
	 * durable before store_sync reports success. With DELEs, QUIT waits
	 * for the durable landing (finish). */
	if (y->cfg->policy == STORE_POLICY_KEEP && y->status == STORE_SYNC_OK && !y->stop) {
		memset(&r, 0, sizeof r);
		r.cmd = POP3_QUIT;
		r.on_done = on_quit;
		r.ctx = y;
		if (submit(y, &r) == 0)
			y->quit_queued = 1;
	}
	wait_all(y);
	(void)store_expect(y->st, 0);
	land(y);
	return y->status == STORE_SYNC_OK ? 0 : -1;
}

/* ---- after the downloads ---- */

static int
uid_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sets the "gone" dates from this session's UIDL list. */
static void
mark_gone(struct sync *y)
{
	const char **uids = malloc((y->nsrv + 1) * sizeof *uids);
	size_t i, n = store_count(y->st);
	int64_t t = now(y);
	char *err = NULL;

	if (!uids) {
		fail(y, STORE_SYNC_NOMEM, NULL);
		return;
	}
	for (i = 0; i < y->nsrv; i++)
		uids[i] = y->srv[i].uid;
	qsort(uids, y->nsrv, sizeof *uids, uid_cmp);
	for (i = 0; i < n; i++) {
		const struct store_msg *m = store_get(y->st, i);
		const char *key = m->uid;
		int on = *m->uid && y->nsrv &&
		    bsearch(&key, uids, y->nsrv, sizeof *uids, uid_cmp) != NULL;

		if (!*m->uid || on == (m->t_gone == 0))
			continue;
		if (store_set_gone(y->st, m->uid, on ? 0 : t, &err) != STORE_OK) {
			free(err);
			err = NULL;
			continue;
		}
		if (!on)
			y->res->gone++;
	}
	free(uids);
}

static int
durable(void *ctx, const char *uid)
{
	return store_durable(ctx, uid);
}

/* The policy: QUIT alone, or the marks committed (which QUITs). */
static void
finish(struct sync *y)
{
	const struct store_sync_cfg *c = y->cfg;
	struct pop3_marks *marks = NULL;
	struct pop3_commit res;
	enum pop3_status st;
	const char *text = NULL;
	int64_t t = now(y);
	size_t i;

	if (c->policy != STORE_POLICY_KEEP) {
		marks = pop3_marks_new();
		if (!marks) {
			fail(y, STORE_SYNC_NOMEM, NULL);
			return;
		}
		for (i = 0; i < y->nsrv; i++) {
			const struct store_msg *m = store_find(y->st, y->srv[i].uid);

			if (!m || !store_durable(y->st, m->uid))
				continue;
			if (c->policy == STORE_POLICY_DELETE_AFTER &&
			    m->t_download + (int64_t)c->days * 86400 > t)
				continue;
			if (pop3_marks_set(marks, m->uid, 1) < 0) {
				pop3_marks_free(marks);
				fail(y, STORE_SYNC_NOMEM, NULL);
				return;
			}
		}
	}
	if (!marks || pop3_marks_count(marks) == 0) {
		pop3_marks_free(marks);
		if (y->quit_queued) {
			wait_all(y);
			st = y->quit_done ? y->quit_st : POP3_ERR_NET;
			text = y->quit_text;
		} else {
			st = pop3_quit(y->s, &text);
		}
		if (st != POP3_OK) {
			y->res->pop3 = st;
			fail(y, st == POP3_ERR_SERVER ? STORE_SYNC_SERVER : STORE_SYNC_SESSION,
			    str_printf("QUIT: %s%s", st == POP3_ERR_SERVER ? "the server said -ERR " : "",
			    st == POP3_ERR_SERVER ? (text ? text : "") :
			    pop3_error(y->s) ? pop3_error(y->s) : pop3_status_name(st)));
		}
		return;
	}
	{
		/* Which marks went: those missing from the set afterwards. */
		size_t n = pop3_marks_count(marks);
		char **before = calloc(n + 1, sizeof *before);

		for (i = 0; before && i < n; i++)
			before[i] = strdup(pop3_marks_get(marks, i));
		memset(&res, 0, sizeof res);
		st = pop3_marks_commit(y->s, marks, durable, y->st, &res);
		if (st == POP3_OK) {
			char *err = NULL;

			y->res->deleted = res.deleted;
			for (i = 0; before && i < n; i++) {
				if (before[i] && !pop3_marks_has(marks, before[i]) &&
				    store_set_gone(y->st, before[i], t, &err) != STORE_OK) {
					free(err);
					err = NULL;
				}
			}
		} else {
			y->res->pop3 = st;
			fail(y, st == POP3_ERR_SERVER ? STORE_SYNC_SERVER : STORE_SYNC_SESSION,
			    str_printf("deleting from the server: %s", pop3_error(y->s) ?
			    pop3_error(y->s) : pop3_status_name(st)));
		}
		for (i = 0; before && i < n; i++)
			free(before[i]);
		free(before);
	}
	pop3_marks_free(marks);
}

/* ---- the whole ---- */

static int
login_delay_ok(struct sync *y)
{
	long delay = 0;
	int64_t last = store_last_login(y->st, &delay), t = now(y);

	if (!last || !delay || t - last >= delay || t < last)
		return 1;
	fail(y, STORE_SYNC_TOO_SOON, str_printf("the server allows one login every %ld s "
	    "(CAPA LOGIN-DELAY); the last was %lld s ago: try again in %lld s",
	    delay, (long long)(t - last), (long long)(last + delay - t)));
	return 0;
}

static int
listing(struct sync *y)
{
	struct pop3_req r;
	long expire, delay;
	const char *capa;
	size_t capa_len = 0;
	char *err = NULL;

	/* EXPIRE and LOGIN-DELAY come from the CAPA read after login. */
	memset(&r, 0, sizeof r);
	r.ctx = y;
	r.cmd = POP3_UIDL;
	r.on_done = on_uidl;
	if (submit(y, &r) < 0)
		return -1;
	r.cmd = POP3_LIST;
	r.on_done = on_list;
	if (submit(y, &r) < 0)
		return -1;
	wait_all(y);
	if (y->status != STORE_SYNC_OK)
		return -1;
	if (y->uidl_st != POP3_OK || y->list_st != POP3_OK) {
		fail(y, STORE_SYNC_SERVER, str_printf("%s: the server said -ERR %s%s",
		    y->uidl_st != POP3_OK ? "UIDL" : "LIST", y->server_text ? y->server_text : "",
		    y->uidl_st != POP3_OK ? " (sync needs UIDL to know what it has)" : ""));
		return -1;
	}
	capa = pop3_capa(y->s, &capa_len);
	store_sync_capa(capa ? capa : "", capa ? capa_len : 0, &expire, &delay);
	y->res->expire_days = expire;
	y->res->login_delay = delay;
	if (expire == 0)
		note(y, "the server deletes each message once it is retrieved (CAPA EXPIRE 0): "
		    "the store keeps the only copy");
	else if (expire > 0)
		note(y, "the server deletes messages %ld days after retrieval (CAPA EXPIRE %ld)",
		    expire, expire);
	if (delay > 0)
		note(y, "the server allows one login every %ld s (CAPA LOGIN-DELAY %ld)", delay, delay);
	if (store_set_last_login(y->st, now(y), delay, &err) != STORE_OK)
		free(err);
	y->res->on_server = y->nsrv;
	return 0;
}

enum store_sync_status
store_sync(const struct store_sync_cfg *cfg, struct store_sync_result *res, char **err)
{
	struct sync y;
	struct pop3_opts o = cfg->pop3;
	enum store_status sst;
	enum pop3_status pst;
	char *e = NULL;
	size_t i;

	memset(res, 0, sizeof *res);
	res->expire_days = -1;
	*err = NULL;
	memset(&y, 0, sizeof y);
	y.cfg = cfg;
	y.res = res;
	y.t0 = mono_ms();
	sst = store_open(cfg->store_dir, STORE_OPEN_RDWR, &y.st, NULL, &e);
	if (sst != STORE_OK) {
		res->store = (int)sst;
		*err = e;
		return sst == STORE_LOCKED ? STORE_SYNC_LOCKED :
		    sst == STORE_NOMEM ? STORE_SYNC_NOMEM : STORE_SYNC_STORE;
	}
	for (i = 0; store_diag(y.st, i); i++)
		note(&y, "%s", store_diag(y.st, i));
	if (!login_delay_ok(&y))
		goto out;
	o.tick = on_tick;
	o.tick_ctx = &y;
	y.s = pop3_new(&o);
	if (!y.s) {
		fail(&y, STORE_SYNC_NOMEM, NULL);
		goto out;
	}
	pst = pop3_connect(y.s);
	if (pst != POP3_OK) {
		res->pop3 = pst;
		if (pst == POP3_ERR_CANCELLED)
			fail(&y, STORE_SYNC_CANCELLED, str_printf("interrupted"));
		else
			fail(&y, STORE_SYNC_SESSION, str_printf("%s%s%s", pop3_error(y.s) ? pop3_error(y.s) : pop3_status_name(pst),
		    *pop3_server_text(y.s) ? "; the server said -ERR " : "", pop3_server_text(y.s)));
		goto out;
	}
	if (listing(&y) == 0 && fetch(&y) == 0) {
		mark_gone(&y);
		/* The index is durable before anything is deleted. */
		sst = store_commit(y.st, &e);
		if (sst != STORE_OK)
			fail_store(&y, sst, e);
		else
			finish(&y);
	}
out:
	/* Without QUIT when the session did not finish: nothing deleted. */
	pop3_free(y.s);
	y.s = NULL;
	for (i = 0; i < y.nrq; i++)
		store_put_abort(y.rq[i].put);
	if (y.st) {
		res->in_store = store_count(y.st);
		sst = store_close(y.st, &e);
		if (sst != STORE_OK)
			fail_store(&y, sst, e);
	}
	for (i = 0; i < y.nsrv; i++)
		free(y.srv[i].uid);
	free(y.srv);
	free(y.rq);
	free(y.server_text);
	free(y.quit_text);
	if (y.status == STORE_SYNC_OK && cfg->interrupted && *cfg->interrupted)
		fail(&y, STORE_SYNC_CANCELLED, str_printf("interrupted"));
	*err = y.err;
	return y.status;
}
