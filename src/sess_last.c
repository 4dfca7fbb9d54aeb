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

static int
uid_str_cmp(const void *a, const void *b)
{
	const struct sess_uid *x = *(struct sess_uid *const *)a, *y = *(struct sess_uid *const *)b;
	int c = strcmp(x->uid, y->uid);

	return c ? c : x->n < y->n ? -1 : x->n > y->n;
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
	} else {
		ns = malloc((r->nitems ? r->nitems : 1) * sizeof *ns);
		if (!ns)
			return -1;
		for (i = 0; i < r->nitems; i++) {
			ns[i].n = r->items[i].n;
			ns[i].size = r->items[i].size;
		}
		free(s->sizes);
		s->sizes = ns;
		s->nsizes = r->nitems;
		s->full_list = 1;
	}
	qsort(s->sizes, s->nsizes, sizeof *s->sizes, size_cmp);
	return 0;
}

static void
uids_free(struct sess *s)
{
	size_t i;

	for (i = 0; i < s->nuids; i++)
		free(s->uids[i].uid);
	free(s->uids);
	free(s->byuid);
	s->uids = NULL;
	s->byuid = NULL;
	s->nuids = 0;
}

int
sess_keep_uidl(struct sess *s, const struct pop3_reply *r)
{
	struct sess_uid *nu, **by;
	size_t i, k;

	nu = calloc(r->nitems ? r->nitems : 1, sizeof *nu);
	by = calloc(r->nitems ? r->nitems : 1, sizeof *by);
	if (!nu || !by)
		goto nomem;
	for (i = 0; i < r->nitems; i++) {
		nu[i].n = r->items[i].n;
		nu[i].uid = strdup(r->items[i].uid ? r->items[i].uid : "");
		if (!nu[i].uid)
			goto nomem;
		nu[i].ok = lastrec_uid_valid(nu[i].uid);
	}
	qsort(nu, r->nitems, sizeof *nu, uid_n_cmp);
	/* A number listed twice (with two UIDs) has none pouch can trust. */
	for (i = 1; i < r->nitems; i++)
		if (nu[i].n == nu[i - 1].n)
			nu[i].ok = nu[i - 1].ok = 0;
	for (i = 0; i < r->nitems; i++)
		by[i] = &nu[i];
	qsort(by, r->nitems, sizeof *by, uid_str_cmp);
	/* A UIDL listed for two messages names neither. */
	for (i = 0; i < r->nitems; i = k) {
		for (k = i + 1; k < r->nitems && strcmp(by[k]->uid, by[i]->uid) == 0; k++)
			;
		if (k - i > 1)
			while (i < k)
				by[i++]->ok = 0;
	}
	uids_free(s);
	s->uids = nu;
	s->byuid = by;
	s->nuids = r->nitems;
	s->uidl_state = 1;
	return 0;
nomem:
	if (nu)
		for (i = 0; i < r->nitems; i++)
			free(nu[i].uid);
	free(nu);
	free(by);
	return -1;
}

/* The UIDL of message n when pouch can keep it, else NULL. */
static const char *
uid_of(const struct sess *s, unsigned long n)
{
	struct sess_uid key = { n, NULL, 0 }, *u;

	if (!s->nuids)
		return NULL;
	u = bsearch(&key, s->uids, s->nuids, sizeof *u, uid_n_cmp);
	return u && u->ok ? u->uid : NULL;
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
	path = lastrec_path(s->o.state_dir, s->o.account ? s->o.account : "");
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
	unsigned long best;
	size_t i, k;

	if (!rec)
		return 0;
	best = lastrec_max(rec);
	if (s->uidl_state != 1)
		return best;
	for (i = 0; i < s->nuids; i = k) {
		unsigned long low = s->byuid[i]->n;

		for (k = i + 1; k < s->nuids && strcmp(s->byuid[k]->uid, s->byuid[i]->uid) == 0; k++)
			if (s->byuid[k]->n < low)
				low = s->byuid[k]->n;
		if (low > best && lastrec_has(rec, s->byuid[i]->uid))
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
	char **sorted;
	size_t n;
};

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
deleted(const struct sess *s, unsigned long n)
{
	return s->ndele && bsearch(&n, s->dele, s->ndele, sizeof *s->dele, ul_cmp);
}

/* The first message listed with uid, and how many are: 0 when none. */
static size_t
listed(const struct sess *s, const char *uid, unsigned long *first)
{
	size_t lo = 0, hi = s->nuids, mid, k;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(s->byuid[mid]->uid, uid) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = 0;
	for (k = lo; k < s->nuids && strcmp(s->byuid[k]->uid, uid) == 0; k++)
		if (!*first || s->byuid[k]->n < *first)
			*first = s->byuid[k]->n;
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
	return l->before == NULL ||
	    bsearch(&uid, l->sorted, l->n, sizeof *l->sorted, str_cmp) != NULL;
}

/* Drops from the record the UIDLs that were in it before this session
 * listed the mailbox (before) and are gone now: deleted before the list,
 * or by this session; turns the ones listed twice into numbers. dele is
 * sorted. */
static void
prune_record(struct sess *s, const struct lastrec *before)
{
	struct live l;
	size_t i;

	l.s = s;
	l.before = before;
	l.n = 0;
	l.sorted = malloc((s->nuids ? s->nuids : 1) * sizeof *l.sorted);
	if (!l.sorted)
		return;
	for (i = 0; i < s->nuids; i++)
		if (!deleted(s, s->uids[i].n))
			l.sorted[l.n++] = s->uids[i].uid;
	qsort(l.sorted, l.n, sizeof *l.sorted, str_cmp);
	(void)lastrec_prune(s->rec, live_keep, &l);
	free(l.sorted);
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
		for (i = 0; i < s->nuids; i++)
			if (s->uids[i].n > top)
				top = s->uids[i].n;
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
	path = lastrec_path(s->o.state_dir, s->o.account ? s->o.account : "");
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
