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
#include <pouch/sess.h>
#include <pouch/store.h>
#include <pouch/store_sync.h>
#include <pouch/util.h>

struct srv {
	unsigned long n;
	char *uid;
	int dup;		/* the UIDL of an earlier message too: fetched once */
};

struct rq {
	struct sync *y;
	unsigned long n;
	const char *uid;
	struct store_put *put;
};

struct sync {
	const struct store_sync_cfg *cfg;
	struct store_sync_result *res;
	struct store *st;
	struct sess *s;
	struct srv *srv;
	size_t nsrv, capsrv;
	enum pop3_status uidl_st, list_st;
	char *server_text;		/* a -ERR to UIDL or LIST */
	struct rq *rq;
	size_t nrq;
	size_t done;
	unsigned long long done_bytes, total_bytes;
	long long t0, last_progress;
	int stop;			/* a local failure: cancel the session */
	int synced;			/* the end's sync ran (landed, committed) */
	struct pop3_marks *marks;	/* the policy's DELEs (NULL under keep) */
	char **before;			/* the marks as sess got them */
	size_t nbefore;
	struct sess_end end;		/* on_end's copy (its strings: the session's) */
	int ended;
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

/* A failure of the store's: the session ends without QUIT (sess_fail). */
static void
fail_store(struct sync *y, enum store_status st, char *err)
{
	if (y->status == STORE_SYNC_OK)
		y->res->store = (int)st;
	fail(y, st == STORE_NOMEM ? STORE_SYNC_NOMEM : STORE_SYNC_STORE, err);
	y->stop = 1;
	if (y->s)
		sess_fail(y->s, SESS_ERR_LOCAL, "store", y->err);
}

static void
fail_nomem(struct sync *y)
{
	fail(y, STORE_SYNC_NOMEM, NULL);
	y->stop = 1;
	if (y->s)
		sess_fail(y->s, SESS_ERR_NOMEM, "sync", "out of memory");
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
	p.bytes = y->done_bytes + (y->s && y->done < y->nrq ?
	    pop3_body_progress(sess_pop3(y->s)) : 0);
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

/* ---- the listing: UIDL, LIST ---- */

static int
srv_cmp(const void *a, const void *b)
{
	const struct srv *x = a, *y = b;

	return x->n < y->n ? -1 : x->n > y->n;
}

/* Each line of UIDL as it arrives; sess keeps its own compact map too. */
static int
on_uidl_item(void *ctx, const struct pop3_item *it)
{
	struct sync *y = ctx;

	if (y->nsrv == y->capsrv) {
		size_t nc = y->capsrv ? y->capsrv * 2 : 256;
		struct srv *nv = nc < SIZE_MAX / sizeof *nv ? realloc(y->srv, nc * sizeof *nv) : NULL;

		if (!nv) {
			fail_nomem(y);
			return 1;
		}
		y->srv = nv;
		y->capsrv = nc;
	}
	y->srv[y->nsrv].n = it->n;
	y->srv[y->nsrv].dup = 0;
	y->srv[y->nsrv].uid = strdup(it->uid ? it->uid : "");
	if (!y->srv[y->nsrv].uid) {
		fail_nomem(y);
		return 1;
	}
	y->nsrv++;
	return 0;
}

/* LIST's sizes are sess's (sess_size); nothing to keep here. */
static int
on_list_item(void *ctx, const struct pop3_item *it)
{
	(void)ctx;
	(void)it;
	return 0;
}

static int
on_listed(void *ctx, const struct pop3_reply *r)
{
	struct sync *y = ctx;

	if (r->cmd == POP3_UIDL)
		y->uidl_st = r->status;
	else
		y->list_st = r->status;
	if (r->status == POP3_ERR_SERVER && !y->server_text)
		y->server_text = strdup(r->text ? r->text : "");
	return 0;
}

static int
srvp_uid_cmp(const void *a, const void *b)
{
	const struct srv *x = *(const struct srv *const *)a, *y = *(const struct srv *const *)b;
	int c = strcmp(x->uid, y->uid);

	return c ? c : x->n < y->n ? -1 : x->n > y->n;
}

/* A UIDL listed twice is fetched once, as the lower number. (pop3_marks
 * never deletes an ambiguous one.) */
static int
mark_dups(struct sync *y)
{
	struct srv **by = malloc((y->nsrv + 1) * sizeof *by);
	size_t i;

	if (!by)
		return -1;
	for (i = 0; i < y->nsrv; i++)
		by[i] = &y->srv[i];
	qsort(by, y->nsrv, sizeof *by, srvp_uid_cmp);
	for (i = 1; i < y->nsrv; i++)
		if (*by[i]->uid && strcmp(by[i]->uid, by[i - 1]->uid) == 0)
			by[i]->dup = 1;
	free(by);
	return 0;
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

static int
on_retr(void *ctx, const struct pop3_reply *r)
{
	struct rq *q = ctx;
	struct sync *y = q->y;
	enum store_status st;
	char *err = NULL;

	/* After a failure (of the session's, or the store's) the body may
	 * have been dropped: never landed. */
	if (r->status != POP3_OK || y->stop || sess_failure(y->s)) {
		store_put_abort(q->put);
		q->put = NULL;
		if (r->status == POP3_ERR_SERVER) {
			/* Deleted by another session meanwhile, say: the
			 * next sync sees. */
			y->res->refused++;
			note(y, "RETR %lu (UIDL %s): the server said -ERR %s; left for the next sync",
			    q->n, q->uid, r->text ? r->text : "");
		}
		return 0;
	}
	if (r->size_mismatch)
		note(y, "RETR %lu (UIDL %s): %llu octets, more than LIST said (%llu); kept whole",
		    q->n, q->uid, r->body_octets, sess_size(y->s, q->n));
	if (!q->put) {
		/* An empty message: no data came, the file is still owed. */
		st = store_put_open(y->st, q->uid, &q->put, &err);
		if (st != STORE_OK) {
			fail_store(y, st, err);
			return 1;
		}
	}
	st = store_put_close(q->put, &err);
	q->put = NULL;
	if (st != STORE_OK) {
		fail_store(y, st, err);
		return 1;
	}
	y->done++;
	y->done_bytes += r->body_octets;
	y->res->fetched_bytes += r->body_octets;
	if (store_batch_full(y->st))
		land(y);
	progress(y, 1);
	return y->stop;
}

/* Queues a RETR for every UIDL the store lacks; the replies come from
 * sess_finish. */
static int
fetch(struct sync *y)
{
	struct sess_req r;
	size_t i;

	y->rq = calloc(y->nsrv + 1, sizeof *y->rq);
	if (!y->rq) {
		fail_nomem(y);
		return -1;
	}
	for (i = 0; i < y->nsrv; i++) {
		const struct srv *s = &y->srv[i];

		if (!*s->uid || store_find(y->st, s->uid))
			continue;
		if (s->dup) {
			y->res->duplicates++;
			continue;
		}
		y->rq[y->nrq].y = y;
		y->rq[y->nrq].n = s->n;
		y->rq[y->nrq].uid = s->uid;
		y->total_bytes += sess_size(y->s, s->n);
		y->nrq++;
	}
	progress(y, 1);
	/* Their files are made ahead, beside the reading (store_spare.c). */
	(void)store_expect(y->st, y->nrq);
	/* All at once: the engine keeps its window full; LIST is in, so sess
	 * sends nothing of its own between them. */
	for (i = 0; i < y->nrq && !y->stop; i++) {
		memset(&r, 0, sizeof r);
		r.cmd = POP3_RETR;
		r.has_n = 1;
		r.n = y->rq[i].n;
		r.on_data = on_data;
		r.on_done = on_retr;
		r.ctx = &y->rq[i];
		r.soft = 1;	/* a -ERR is one message's: left for the next sync */
		if (sess_submit(y->s, &r) != SESS_OK)
			return -1;
	}
	return 0;
}

/* ---- the end ---- */

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
		fail_nomem(y);
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
	struct sync *y = ctx;

	return store_durable(y->st, uid);
}

/* The policy's marks: every UIDL on the server whose copy is durable (and,
 * with delete after N days, downloaded N days ago). */
static int
policy_marks(struct sync *y)
{
	const struct store_sync_cfg *c = y->cfg;
	int64_t t = now(y);
	size_t i;

	for (i = 0; i < y->nsrv; i++) {
		const struct store_msg *m = store_find(y->st, y->srv[i].uid);

		if (!m || !store_durable(y->st, m->uid))
			continue;
		if (c->policy == STORE_POLICY_DELETE_AFTER &&
		    m->t_download + (int64_t)c->days * 86400 > t)
			continue;
		if (pop3_marks_set(y->marks, m->uid, 1) < 0)
			return -1;
	}
	/* Which marks went: those missing from the set afterwards. */
	y->nbefore = pop3_marks_count(y->marks);
	y->before = calloc(y->nbefore + 1, sizeof *y->before);
	if (!y->before)
		return -1;
	for (i = 0; i < y->nbefore; i++)
		if (!(y->before[i] = strdup(pop3_marks_get(y->marks, i))))
			return -1;
	return 0;
}

/* sess's cbs.sync, once every RETR is answered and before anything is
 * committed on the server: what is left lands, the "gone" dates, the
 * index made durable; then the policy's marks, which sess commits next
 * (UIDL, DELE, QUIT). Under keep QUIT may be out already (quit_early). */
static int
on_sync(void *ctx)
{
	struct sync *y = ctx;
	enum store_status sst;
	char *e = NULL;

	y->synced = 1;
	(void)store_expect(y->st, 0);
	land(y);
	if (y->status == STORE_SYNC_OK)
		mark_gone(y);
	if (y->status != STORE_SYNC_OK)
		return 1;
	/* The index is durable before anything is deleted. */
	sst = store_commit(y->st, &e);
	if (sst != STORE_OK) {
		fail_store(y, sst, e);
		return 1;
	}
	if (y->marks && policy_marks(y) < 0) {
		fail_nomem(y);
		return 1;
	}
	return 0;
}

static void
on_end(void *ctx, const struct sess_end *e)
{
	struct sync *y = ctx;

	y->end = *e;
	y->ended = 1;
}

/* A failure of the session's (not the store's): its words, and the status
 * the exit code is chosen by. */
static void
fail_session(struct sync *y, const struct sess_failure *f)
{
	if (f->status != SESS_ERR_LOCAL)
		y->res->pop3 = (enum pop3_status)f->status;
	if (f->status == SESS_ERR_LOCAL)
		fail(y, STORE_SYNC_STORE, str_printf("%s: %s", f->label, f->text));
	else if (f->status == SESS_ERR_CANCELLED)
		fail(y, STORE_SYNC_CANCELLED, str_printf("interrupted"));
	else if (f->status == SESS_ERR_NOMEM)
		fail(y, STORE_SYNC_NOMEM, NULL);
	else if (strcmp(f->label, "marks") == 0)
		fail(y, f->status == SESS_ERR_SERVER ? STORE_SYNC_SERVER : STORE_SYNC_SESSION,
		    str_printf("deleting from the server: %s", f->text ? f->text : f->server_text));
	else if (f->server_text)
		fail(y, STORE_SYNC_SERVER, str_printf("%s: the server said -ERR %s", f->label,
		    f->server_text));
	else
		fail(y, STORE_SYNC_SESSION, str_printf("%s", f->text));
}

/* What the end did: the marks' outcome, or QUIT's. */
static void
ended(struct sync *y)
{
	const struct sess_end *e = &y->end;
	const struct sess_failure *f = sess_failure(y->s);
	int64_t t = now(y);
	char *err = NULL;
	size_t i;

	if (f) {
		if (y->status == STORE_SYNC_OK)
			fail_session(y, f);
		return;
	}
	if (!y->ended || e->status == SESS_OK) {
		if (!y->ended)
			fail(y, STORE_SYNC_SESSION, str_printf("the session did not end"));
		y->res->deleted = e->marks.deleted;
		for (i = 0; i < y->nbefore; i++)
			if (!pop3_marks_has(y->marks, y->before[i]) &&
			    store_set_gone(y->st, y->before[i], t, &err) != STORE_OK) {
				free(err);
				err = NULL;
			}
		return;
	}
	/* QUIT (the marks' or the plain one) got no +OK. */
	y->res->pop3 = (enum pop3_status)e->status;
	y->res->deletions_unknown = e->deletions_unknown;
	if (e->status == SESS_ERR_CANCELLED) {
		/* Ctrl-C while QUIT was out (under keep, after the landing). */
		fail(y, STORE_SYNC_CANCELLED, str_printf("interrupted"));
		return;
	}
	if (y->nbefore)
		fail(y, e->status == SESS_ERR_SERVER ? STORE_SYNC_SERVER : STORE_SYNC_SESSION,
		    str_printf("deleting from the server: %s", e->quit_error ? e->quit_error :
		    e->quit_text));
	else
		fail(y, e->status == SESS_ERR_SERVER ? STORE_SYNC_SERVER : STORE_SYNC_SESSION,
		    str_printf("QUIT: %s%s", e->status == SESS_ERR_SERVER ?
		    "the server said -ERR " : "", e->status == SESS_ERR_SERVER ? e->quit_text :
		    e->quit_error ? e->quit_error : pop3_status_name((enum pop3_status)e->status)));
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

/* UIDL and LIST pipelined, each line taken as it arrives. */
static int
listing_submit(struct sync *y)
{
	struct sess_req r;

	memset(&r, 0, sizeof r);
	r.ctx = y;
	r.soft = 1;
	r.on_done = on_listed;
	r.cmd = POP3_UIDL;
	r.on_item = on_uidl_item;
	if (sess_submit(y->s, &r) != SESS_OK)
		return -1;
	r.cmd = POP3_LIST;
	r.on_item = on_list_item;
	return sess_submit(y->s, &r) != SESS_OK ? -1 : 0;
}

/* The listing is in (session() waited for it): what it says. */
static int
listing(struct sync *y)
{
	long expire, delay;
	const char *capa;
	size_t capa_len = 0;
	char *err = NULL;

	if (sess_failure(y->s))
		return -1;
	if (y->uidl_st != POP3_OK || y->list_st != POP3_OK) {
		fail(y, STORE_SYNC_SERVER, str_printf("%s: the server said -ERR %s%s",
		    y->uidl_st != POP3_OK ? "UIDL" : "LIST", y->server_text ? y->server_text : "",
		    y->uidl_st != POP3_OK ? " (sync needs UIDL to know what it has)" : ""));
		sess_fail(y->s, SESS_ERR_SERVER, y->uidl_st != POP3_OK ? "UIDL" : "LIST", y->err);
		return -1;
	}
	if (y->nsrv)
		qsort(y->srv, y->nsrv, sizeof *y->srv, srv_cmp);
	if (mark_dups(y) < 0) {
		fail_nomem(y);
		return -1;
	}
	/* EXPIRE and LOGIN-DELAY come from the CAPA read after login. */
	capa = pop3_capa(sess_pop3(y->s), &capa_len);
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

/* The session: login, listing, downloads, and sess's end (sync, then the
 * marks' commit or QUIT). */
static void
session(struct sync *y)
{
	const struct store_sync_cfg *cfg = y->cfg;
	const struct sess_failure *f;
	struct sess_opts o;
	enum sess_status sst;

	memset(&o, 0, sizeof o);
	o.pop3 = cfg->pop3;
	o.pop3.tick = on_tick;
	o.pop3.tick_ctx = y;
	/* sync's RETRs do not count for LAST (man/pouch.1): no record. */
	o.state_dir = NULL;
	o.cbs.sync = on_sync;
	o.cbs.on_end = on_end;
	o.cbs.ctx = y;
	if (cfg->policy != STORE_POLICY_KEEP) {
		y->marks = pop3_marks_new();
		if (!y->marks) {
			fail_nomem(y);
			return;
		}
		o.marks = y->marks;
		o.durable = durable;
	} else {
		/* QUIT deletes nothing: it goes behind the last RETR and
		 * travels while the last batch lands. */
		o.quit_early = 1;
	}
	y->s = sess_new(&o);
	if (!y->s) {
		fail_nomem(y);
		return;
	}
	/* The listing is queued behind the login, so that it follows the
	 * post-login CAPA in one flight where the server pipelines (one
	 * round trip less, pop3.h); the login's failure is still told as
	 * before. */
	sst = sess_connect_start(y->s);
	if (sst == SESS_OK && listing_submit(y) < 0)
		sst = sess_failure(y->s) ? sess_failure(y->s)->status : SESS_ERR_NOMEM;
	if (sst == SESS_OK && sess_wait(y->s) != SESS_OK && !sess_connected(y->s))
		sst = sess_failure(y->s) ? sess_failure(y->s)->status : SESS_ERR_NET;
	if (sst != SESS_OK) {
		f = sess_failure(y->s);
		y->res->pop3 = (enum pop3_status)sst;
		if (sst == SESS_ERR_CANCELLED)
			fail(y, STORE_SYNC_CANCELLED, str_printf("interrupted"));
		else
			fail(y, STORE_SYNC_SESSION, str_printf("%s%s%s", f && f->text ? f->text :
			    pop3_status_name((enum pop3_status)sst),
			    f && f->server_text && *f->server_text ? "; the server said -ERR " : "",
			    f && f->server_text ? f->server_text : ""));
		return;
	}
	if (listing(y) == 0)
		(void)fetch(y);
	/* Stepwise callers aside, every reply comes from here. After a
	 * failure sess closes without QUIT (or with RSET, QUIT): nothing is
	 * deleted. */
	sess_finish(y->s);
	if (!y->synced) {
		/* What arrived whole lands; the next sync fetches the rest. */
		(void)store_expect(y->st, 0);
		land(y);
	}
	ended(y);
}

enum store_sync_status
store_sync(const struct store_sync_cfg *cfg, struct store_sync_result *res, char **err)
{
	struct sync y;
	enum store_status sst;
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
	if (login_delay_ok(&y))
		session(&y);
	sess_free(y.s);
	y.s = NULL;
	for (i = 0; i < y.nrq; i++)
		store_put_abort(y.rq[i].put);
	res->in_store = store_count(y.st);
	sst = store_close(y.st, &e);
	if (sst != STORE_OK)
		fail_store(&y, sst, e);
	for (i = 0; i < y.nsrv; i++)
		free(y.srv[i].uid);
	free(y.srv);
	free(y.rq);
	free(y.server_text);
	for (i = 0; i < y.nbefore; i++)
		free(y.before[i]);
	free(y.before);
	pop3_marks_free(y.marks);
	if (y.status == STORE_SYNC_OK && cfg->interrupted && *cfg->interrupted)
		fail(&y, STORE_SYNC_CANCELLED, str_printf("interrupted"));
	*err = y.err;
	return y.status;
}
