/*
 * sess_last.c: what a session keeps from its replies (see sess.h): LIST
 * sizes for the RETR integrity check, the UIDL map, what was retrieved and
 * deleted since the last RSET; and LAST answered from pouch's record.
 *
 * LAST (RFC 1460) is the highest message number retrieved, kept between
 * sessions, so that a script that fetches "everything after LAST" fetches
 * nothing twice and misses nothing: never below a retrieval still on the
 * server, never above what was retrieved. RSET resets it to its value at
 * the start of the session.
 *
 * The record keeps every message retrieved in a committed session: by its
 * UIDL when this session's listing gives it one that names it alone, else
 * by its number, renumbered at each commit by the session's own deletions
 * (exact as long as pouch is the only one deleting; a UIDL also survives
 * deletions by others). A number whose message later shows a usable UIDL
 * becomes that UIDL; a recorded UIDL that comes to name two messages (new
 * mail with the same one) becomes the number of the first of them, which
 * is the older. A UIDL pouch cannot keep (over 70 characters, a blank in
 * it, listed for two messages) costs that message its UIDL, never the
 * session, and never makes LAST count another message (issue 9 items 2,
 * 5). Retrievals join the record only after QUIT +OK.
 */
#include <stdlib.h>
#include <string.h>

#include <pouch/util.h>

#include "sess_priv.h"

static int
size_cmp(const void *a, const void *b)
{
	unsigned long x = ((const struct sess_size *)a)->n, y = ((const struct sess_size *)b)->n;

	return x < y ? -1 : x > y;
}

static int
uid_n_cmp(const void *a, const void *b)
{
	unsigned long x = ((const struct sess_uid *)a)->n, y = ((const struct sess_uid *)b)->n;

	return x < y ? -1 : x > y;
}

/* The map's i-th UID (by number), and whether pouch can keep it. */
static const char *
um_uid(const struct sess_umap *m, size_t i)
{
	return m->arena + m->v[i].off;
}

static int
um_ok(const struct sess_umap *m, size_t i)
{
	return m->arena[m->v[i].off - 1] == 1;
}

static void
um_set_ok(struct sess_umap *m, size_t i, int ok)
{
	m->arena[m->v[i].off - 1] = (char)(ok ? 1 : 0);
}

/* The k-th in the order by UID: its index by number. */
#define BY(m, k) ((size_t)(m)->byuid[k])

static int
by_cmp(const void *a, const void *b, void *ctx)
{
	const struct sess_umap *m = ctx;
	size_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = strcmp(um_uid(m, x), um_uid(m, y));

	return c ? c : m->v[x].n < m->v[y].n ? -1 : m->v[x].n > m->v[y].n;
}

static int
ul_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

unsigned long long
sess_size(const struct sess *s, unsigned long n)
{
	struct sess_size key = { n, 0 }, *z;

	if (!s->nsizes)
		return 0;
	z = bsearch(&key, s->sizes, s->nsizes, sizeof *z, size_cmp);
	return z ? z->size : 0;
}

size_t
sess_ndeleted(const struct sess *s)
{
	return s->ndele;
}

/* Grows *v (of size sz each) to hold one more; -1: out of memory. */
static int
grow(void **v, size_t *cap, size_t n, size_t sz)
{
	size_t nc;
	void *nv;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap + *cap / 2 : 64;
	if (nc > SIZE_MAX / sz)
		return -1;
	nv = realloc(*v, nc * sz);
	if (!nv)
		return -1;
	*v = nv;
	*cap = nc;
	return 0;
}

int
sess_list_item(struct sess *s, const struct sreq *q, const struct pop3_item *it)
{
	if (s->nsz_q != q) {
		s->nnsz = 0;
		s->nsz_q = q;
	}
	if (grow((void **)&s->nsz, &s->capnsz, s->nnsz, sizeof *s->nsz) < 0)
		return -1;
	s->nsz[s->nnsz].n = it->n;
	s->nsz[s->nnsz].size = it->size;
	s->nnsz++;
	return 0;
}

int
sess_list_end(struct sess *s, const struct sreq *q, int ok)
{
	size_t i;
	int sorted = 1;

	if (s->nsz_q != q)
		s->nnsz = 0;	/* an empty listing */
	s->nsz_q = NULL;
	if (!ok) {
		s->nnsz = 0;
		return 0;
	}
	free(s->sizes);
	s->sizes = s->nsz;
	s->nsizes = s->nnsz;
	s->nsz = NULL;
	s->nnsz = s->capnsz = 0;
	s->full_list = 1;
	for (i = 1; i < s->nsizes && sorted; i++)
		sorted = s->sizes[i - 1].n <= s->sizes[i].n;
	if (!sorted)
		qsort(s->sizes, s->nsizes, sizeof *s->sizes, size_cmp);
	return 0;
}

int
sess_keep_list(struct sess *s, const struct pop3_reply *r, int has_n)
{
	struct sess_size *ns;
	size_t i;

	if (has_n) {
		/* LIST n: one more known size. */
		if (r->nitems != 1 || sess_size(s, r->items[0].n))
			return 0;
		ns = realloc(s->sizes, (s->nsizes + 1) * sizeof *ns);
		if (!ns)
			return -1;
		s->sizes = ns;
		ns[s->nsizes].n = r->items[0].n;
		ns[s->nsizes].size = r->items[0].size;
		s->nsizes++;
		qsort(s->sizes, s->nsizes, sizeof *s->sizes, size_cmp);
		return 0;
	}
	for (i = 0; i < r->nitems; i++)
		if (sess_list_item(s, NULL, &r->items[i]) < 0)
			return -1;
	return sess_list_end(s, NULL, 1);
}

static void
umap_free(struct sess_umap *m)
{
	free(m->v);
	free(m->arena);
	free(m->byuid);
	memset(m, 0, sizeof *m);
}

static void
uids_free(struct sess *s)
{
	umap_free(&s->um);
}

int
sess_uidl_item(struct sess *s, const struct sreq *q, const struct pop3_item *it)
{
	struct sess_umap *m = &s->unew;
	const char *uid = it->uid ? it->uid : "";
	size_t l = strlen(uid);

	if (s->unew_q != q) {
		m->n = m->len = 0;
		s->unew_q = q;
	}
	if (m->n >= UINT32_MAX ||
	    grow((void **)&m->v, &m->cap, m->n, sizeof *m->v) < 0)
		return -1;
	while (m->len + l + 2 > m->acap) {
		size_t nc = m->acap ? m->acap + m->acap / 2 : 4096;
		char *na = realloc(m->arena, nc);

		if (!na)
			return -1;
		m->arena = na;
		m->acap = nc;
	}
	m->arena[m->len] = (char)lastrec_uid_valid(uid);
	memcpy(m->arena + m->len + 1, uid, l + 1);
	m->v[m->n].n = it->n;
	m->v[m->n].off = m->len + 1;
	m->n++;
	m->len += l + 2;
	return 0;
}

int
sess_uidl_end(struct sess *s, const struct sreq *q, int ok)
{
	struct sess_umap *m = &s->unew;
	size_t i, k;
	int sorted = 1;

	if (s->unew_q != q)
		m->n = m->len = 0;	/* an empty listing */
	s->unew_q = NULL;
	if (!ok) {
		m->n = m->len = 0;
		return 0;
	}
	free(m->byuid);
	m->byuid = malloc((m->n ? m->n : 1) * sizeof *m->byuid);
	if (!m->byuid) {
		m->n = m->len = 0;
		return -1;
	}
	for (i = 1; i < m->n && sorted; i++)
		sorted = m->v[i - 1].n <= m->v[i].n;
	if (!sorted)
		qsort(m->v, m->n, sizeof *m->v, uid_n_cmp);
	/* A number listed twice (with two UIDs) has none pouch can trust. */
	for (i = 1; i < m->n; i++)
		if (m->v[i].n == m->v[i - 1].n) {
			um_set_ok(m, i, 0);
			um_set_ok(m, i - 1, 0);
		}
	for (i = 0; i < m->n; i++)
		m->byuid[i] = (uint32_t)i;
	qsort_r(m->byuid, m->n, sizeof *m->byuid, by_cmp, m);
	/* A UIDL listed for two messages names neither. */
	for (i = 0; i < m->n; i = k) {
		for (k = i + 1; k < m->n && strcmp(um_uid(m, BY(m, k)), um_uid(m, BY(m, i))) == 0; k++)
			;
		if (k - i > 1)
			while (i < k)
				um_set_ok(m, BY(m, i++), 0);
	}
	umap_free(&s->um);
	s->um = *m;
	memset(m, 0, sizeof *m);
	s->uidl_state = 1;
	return 0;
}

int
sess_keep_uidl(struct sess *s, const struct pop3_reply *r)
{
	size_t i;

	for (i = 0; i < r->nitems; i++)
		if (sess_uidl_item(s, NULL, &r->items[i]) < 0) {
			(void)sess_uidl_end(s, NULL, 0);
			return -1;
		}
	return sess_uidl_end(s, NULL, 1);
}

/* The UIDL of message n when pouch can keep it, else NULL. */
static const char *
uid_of(const struct sess *s, unsigned long n)
{
	struct sess_uid key = { n, 0 }, *u;
	size_t i;

	if (!s->um.n)
		return NULL;
	u = bsearch(&key, s->um.v, s->um.n, sizeof *u, uid_n_cmp);
	if (!u)
		return NULL;
	i = (size_t)(u - s->um.v);
	return um_ok(&s->um, i) ? um_uid(&s->um, i) : NULL;
}

static char *
record_path(const struct sess *s)
{
	return s->o.state_dir_shared ?
	    lastrec_path(s->o.state_dir, s->o.account ? s->o.account : "") :
	    lastrec_store_path(s->o.state_dir);
}

static void
load_record(struct sess *s)
{
	char *path, *err = NULL;
	enum lastrec_status st;

	if (s->rec_loaded)
		return;
	s->rec_loaded = 1;
	s->rec_before_uidl = !s->uidl_sent;
	s->rec = lastrec_new(s->o.account ? s->o.account : "");
	if (!s->rec || !s->o.state_dir)
		return;
	path = record_path(s);
	if (!path)
		return;
	st = lastrec_load(s->rec, path, &err);
	if (st != LASTREC_OK)
		sess_warn(s, "ignoring the LAST record %s: %s", path, err ? err : "out of memory");
	free(err);
	free(path);
}

int
sess_want_uidl(struct sess *s)
{
	if (s->uidl_state != 0 || s->uidl_sent == 1 || !s->o.state_dir)
		return 0;
	load_record(s);
	return s->rec && lastrec_nolast(s->rec);
}

static int
push(unsigned long **v, size_t *n, size_t *cap, unsigned long x)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		unsigned long *nv = realloc(*v, nc * sizeof *nv);

		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = x;
	return 0;
}

int
sess_retrieved(struct sess *s, unsigned long n)
{
	return push(&s->retr, &s->nretr, &s->capretr, n);
}

int
sess_deleted(struct sess *s, unsigned long n)
{
	return push(&s->dele, &s->ndele, &s->capdele, n);
}

void
sess_rset_done(struct sess *s)
{
	/* UIDL leaves out deleted messages: after RSET they are back. */
	if (s->ndele && s->uidl_state == 1) {
		uids_free(s);
		s->uidl_state = 0;
	}
	s->nretr = 0;
	s->ndele = 0;
}

void
sess_record_nolast(struct sess *s)
{
	load_record(s);
	if (s->rec && !lastrec_nolast(s->rec)) {
		/* From now on sessions that retrieve keep UIDLs. */
		lastrec_set_nolast(s->rec, 1);
		s->rec_changed = 1;
	}
}

/* The record's LAST in this session's numbering: its highest number, and
 * the highest message whose UIDL it holds (the first of those that share
 * it). Without this session's UIDL map the UIDLs cannot be placed. */
static unsigned long
record_last(const struct sess *s, const struct lastrec *rec)
{
	const struct sess_umap *m = &s->um;
	unsigned long best;
	size_t i, k;

	if (!rec)
		return 0;
	best = lastrec_max(rec);
	if (s->uidl_state != 1)
		return best;
	for (i = 0; i < m->n; i = k) {
		unsigned long low = m->v[BY(m, i)].n;
		const char *uid = um_uid(m, BY(m, i));

		for (k = i + 1; k < m->n && strcmp(um_uid(m, BY(m, k)), uid) == 0; k++)
			if (m->v[BY(m, k)].n < low)
				low = m->v[BY(m, k)].n;
		if (low > best && lastrec_has(rec, uid))
			best = low;
	}
	return best;
}

static unsigned long
retr_max(const struct sess *s)
{
	unsigned long best = 0;
	size_t i;

	for (i = 0; i < s->nretr; i++)
		if (s->retr[i] > best)
			best = s->retr[i];
	return best;
}

unsigned long
sess_last_local(struct sess *s)
{
	unsigned long base, t = retr_max(s);

	load_record(s);
	base = record_last(s, s->rec);
	return base > t ? base : t;
}

int
sess_record_wants_map(struct sess *s)
{
	if (s->uidl_state != 0 || !s->o.state_dir)
		return 0;
	load_record(s);
	return s->rec && lastrec_count(s->rec) > 0;
}

/* What is still on the server after QUIT: listed by UIDL, not deleted. */
struct live {
	struct sess *s;
	const struct lastrec *before;	/* the record before this session's UIDL */
};

static int
deleted(const struct sess *s, unsigned long n)
{
	return s->ndele && bsearch(&n, s->dele, s->ndele, sizeof *s->dele, ul_cmp);
}

/* The first message listed with uid, and how many are: 0 when none. */
static size_t
listed(const struct sess *s, const char *uid, unsigned long *first)
{
	const struct sess_umap *m = &s->um;
	size_t lo = 0, hi = m->n, mid, k;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(um_uid(m, BY(m, mid)), uid) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = 0;
	for (k = lo; k < m->n && strcmp(um_uid(m, BY(m, k)), uid) == 0; k++)
		if (!*first || m->v[BY(m, k)].n < *first)
			*first = m->v[BY(m, k)].n;
	return k - lo;
}

static int
live_keep(void *ctx, const char *uid)
{
	struct live *l = ctx;
	unsigned long first;

	/* A UIDL this session's list could not know (retrieved by another
	 * session that committed meanwhile) stays. */
	if (l->before && !lastrec_has(l->before, uid))
		return 1;
	/* One that names two messages now becomes the first one's number. */
	if (listed(l->s, uid, &first) > 1) {
		(void)lastrec_num_add(l->s->rec, first);
		return 0;
	}
	/* Else it stays while its one message is listed and not deleted
	 * (looked up in the map itself: no copy of a listing of millions). */
	return l->before == NULL ||
	    (listed(l->s, uid, &first) == 1 && !deleted(l->s, first));
}

/* Drops from the record the UIDLs that were in it before this session
 * listed the mailbox (before) and are gone now: deleted before the list,
 * or by this session; turns the ones listed twice into numbers. dele is
 * sorted. */
static void
prune_record(struct sess *s, const struct lastrec *before)
{
	struct live l;

	l.s = s;
	l.before = before;
	(void)lastrec_prune(s->rec, live_keep, &l);
}

/* Merges this session into the record (the one on disk now, s->rec):
 * numbers with a usable UIDL become UIDLs, this session's retrievals join,
 * and the numbers follow this session's deletions. dele is sorted. */
static void
merge(struct sess *s)
{
	struct lastrec *rec = s->rec;
	unsigned long *nums, top = 0, n, below;
	size_t i, nn = lastrec_num_count(rec), d;
	const char *uid;

	nums = malloc((nn + s->nretr + 1) * sizeof *nums);
	if (!nums)
		return;		/* out of memory: the record stays as it was */
	for (i = 0; i < nn; i++)
		nums[i] = lastrec_num_get(rec, i);
	for (i = 0; i < s->nretr; i++)
		nums[nn++] = s->retr[i];
	if (s->uidl_state == 1)
		for (i = 0; i < s->um.n; i++)
			if (s->um.v[i].n > top)
				top = s->um.v[i].n;
	lastrec_num_clear(rec);
	for (i = 0; i < nn; i++) {
		n = nums[i];
		if (deleted(s, n))
			continue;
		uid = s->uidl_state == 1 ? uid_of(s, n) : NULL;
		if (uid && (lastrec_has(rec, uid) || lastrec_add(rec, uid) == 0))
			continue;
		if (s->marks_unsure)
			continue;	/* where it is now is unknown */
		/* Past the end of this session's listing: gone, whoever
		 * deleted it. */
		if (s->uidl_state == 1 && n > top)
			continue;
		for (below = 0, d = 0; d < s->ndele && s->dele[d] < n; d++)
			below++;
		(void)lastrec_num_add(rec, n - below);	/* out of memory: one less */
	}
	free(nums);
}

void
sess_last_commit(struct sess *s)
{
	char *path, *err = NULL, *old = NULL, *new = NULL;
	size_t oldlen = 0, newlen = 0;
	int lockfd;
	struct lastrec *before = NULL;

	if (!s->nretr && !s->ndele && !s->rec_changed && !s->marks_unsure)
		return;
	if (!s->o.state_dir) {
		s->res.record_no_state = s->nretr > 0;
		return;
	}
	path = record_path(s);
	if (!path)
		return;
	/* Load, merge and save under the lock, from the record as it is now
	 * on disk: another pouch on this account may have committed since
	 * this session read it. What this session adds is a delta: the
	 * server's -ERR to LAST, its retrievals and its deletions. */
	lockfd = lastrec_lock(path, LASTREC_LOCK_WAIT_MS, &err);
	if (lockfd < 0) {
		s->record_error = str_printf("the LAST record was not saved: %s",
		    err ? err : "out of memory");
		free(err);
		free(path);
		return;
	}
	/* The record as read before this session's UIDL, if it was: what
	 * pruning may drop is limited to it. */
	before = s->rec_loaded && s->rec_before_uidl ? s->rec : NULL;
	if (!before)
		lastrec_free(s->rec);
	s->rec = NULL;
	s->rec_loaded = 0;
	load_record(s);
	if (!s->rec)
		goto out;
	old = lastrec_format(s->rec, &oldlen);
	if (s->rec_changed)
		lastrec_set_nolast(s->rec, 1);
	if (s->ndele)
		qsort(s->dele, s->ndele, sizeof *s->dele, ul_cmp);
	if (s->uidl_state == 1)
		prune_record(s, before);
	merge(s);
	new = lastrec_format(s->rec, &newlen);
	/* Unchanged (a DELE with nothing recorded): no write. */
	if (old && new && oldlen == newlen && memcmp(old, new, oldlen) == 0)
		goto out;
	if (lastrec_save(s->rec, path, &err) != LASTREC_OK)
		s->record_error = str_printf("the LAST record was not saved: %s",
		    err ? err : "out of memory");
out:
	free(old);
	free(new);
	lastrec_free(before);
	lastrec_unlock(lockfd);
	free(err);
	free(path);
}

/* The numbers the marks will delete if all goes well: those this
 * session's listing gives one message, whose copy is durable, and which
 * no DELE of the session hit already. Known only with a listing that is
 * still true (none is after a DELE: UIDL leaves those out). */
void
sess_marks_predict(struct sess *s)
{
	const struct pop3_marks *m = s->o.marks;
	const char *uid;
	unsigned long first;
	size_t i;

	free(s->mark_n);
	s->mark_n = NULL;
	s->nmark_n = 0;
	if (s->uidl_state != 1)
		return;
	if (s->ndele)
		qsort(s->dele, s->ndele, sizeof *s->dele, ul_cmp);
	s->mark_n = malloc((pop3_marks_count(m) + 1) * sizeof *s->mark_n);
	if (!s->mark_n)
		return;
	for (i = 0; (uid = pop3_marks_get(m, i)) != NULL; i++)
		if (listed(s, uid, &first) == 1 && !deleted(s, first) &&
		    (!s->o.durable || s->o.durable(s->o.cbs.ctx, uid)))
			s->mark_n[s->nmark_n++] = first;
}

/* The commit went through: when it deleted what was predicted, those
 * numbers join the session's deletions; else the record's numbers past
 * the first mark cannot be placed and are dropped (a number too high
 * would make LAST skip mail; one dropped only costs a fetch again). */
void
sess_marks_done(struct sess *s)
{
	size_t i;

	if (!s->res.marks.deleted)
		return;
	if (s->mark_n && s->nmark_n == s->res.marks.deleted) {
		for (i = 0; i < s->nmark_n; i++)
			(void)sess_deleted(s, s->mark_n[i]);
		return;
	}
	s->marks_unsure = 1;
}

void
sess_last_free(struct sess *s)
{
	uids_free(s);
	umap_free(&s->unew);
	free(s->nsz);
	s->nsz = NULL;
	free(s->sizes);
	free(s->retr);
	free(s->dele);
	free(s->mark_n);
	lastrec_free(s->rec);
	s->mark_n = NULL;
	s->sizes = NULL;
	s->retr = s->dele = NULL;
	s->rec = NULL;
}
