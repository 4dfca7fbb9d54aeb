/*
 * cli_last.c: the bookkeeping of a command-line session (see cli_last.h):
 * LIST sizes for the RETR integrity check, the UIDL map, and LAST answered
 * from pouch's record when the server does not know LAST.
 *
 * LAST (RFC 1460) is "the highest message number accessed"; RSET resets it
 * to its value at the start of the session. pouch answers it as: the highest
 * message number of this session whose UIDL is in the record, or that was
 * retrieved since the last RSET. Without UIDL it falls back to the highest
 * number recorded. Retrievals join the record only after QUIT +OK.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/cli_last.h>
#include <pouch/util.h>

static int
size_cmp(const void *a, const void *b)
{
	unsigned long x = ((const struct run_size *)a)->n, y = ((const struct run_size *)b)->n;

	return x < y ? -1 : x > y;
}

static int
uid_cmp(const void *a, const void *b)
{
	unsigned long x = ((const struct run_uid *)a)->n, y = ((const struct run_uid *)b)->n;

	return x < y ? -1 : x > y;
}

static const char *
uid_of(const struct run *run, unsigned long n)
{
	struct run_uid key = { n, NULL }, *u;

	if (!run->nuids)
		return NULL;
	u = bsearch(&key, run->uids, run->nuids, sizeof *u, uid_cmp);
	return u ? u->uid : NULL;
}

static void
uids_free(struct run *run)
{
	size_t i;

	for (i = 0; i < run->nuids; i++)
		free(run->uids[i].uid);
	free(run->uids);
	run->uids = NULL;
	run->nuids = 0;
}

int
cli_last_keep_list(struct run *run, const struct pop3_reply *r, unsigned long n)
{
	struct run_size *ns;
	size_t i;

	if (n) {
		/* LIST n: one more known size. */
		if (r->nitems != 1 || cli_last_size(run, n))
			return 0;
		ns = realloc(run->sizes, (run->nsizes + 1) * sizeof *ns);
		if (!ns)
			return -1;
		run->sizes = ns;
		ns[run->nsizes].n = r->items[0].n;
		ns[run->nsizes].size = r->items[0].size;
		run->nsizes++;
	} else {
		ns = malloc((r->nitems ? r->nitems : 1) * sizeof *ns);
		if (!ns)
			return -1;
		for (i = 0; i < r->nitems; i++) {
			ns[i].n = r->items[i].n;
			ns[i].size = r->items[i].size;
		}
		free(run->sizes);
		run->sizes = ns;
		run->nsizes = r->nitems;
		run->full_list = 1;
	}
	qsort(run->sizes, run->nsizes, sizeof *run->sizes, size_cmp);
	return 0;
}

int
cli_last_keep_uidl(struct run *run, const struct pop3_reply *r)
{
	struct run_uid *nu;
	size_t i;

	nu = calloc(r->nitems ? r->nitems : 1, sizeof *nu);
	if (!nu)
		return -1;
	for (i = 0; i < r->nitems; i++) {
		nu[i].n = r->items[i].n;
		nu[i].uid = strdup(r->items[i].uid ? r->items[i].uid : "");
		if (!nu[i].uid) {
			while (i--)
				free(nu[i].uid);
			free(nu);
			return -1;
		}
	}
	uids_free(run);
	run->uids = nu;
	run->nuids = r->nitems;
	qsort(run->uids, run->nuids, sizeof *run->uids, uid_cmp);
	run->uidl_state = 1;
	return 0;
}

unsigned long long
cli_last_size(const struct run *run, unsigned long n)
{
	struct run_size key = { n, 0 }, *s;

	if (!run->nsizes)
		return 0;
	s = bsearch(&key, run->sizes, run->nsizes, sizeof *s, size_cmp);
	return s ? s->size : 0;
}

int
cli_last_have_sizes(const struct run *run, const unsigned long *msgs, size_t n)
{
	return run->full_list || (n == 1 && cli_last_size(run, msgs[0]));
}

static void load_record(struct run *run);

int
cli_last_want_uidl(struct run *run)
{
	if (run->uidl_state != 0 || !run->cfg->state_dir)
		return 0;
	load_record(run);
	return run->rec && lastrec_nolast(run->rec);
}

void
cli_last_no_uidl(struct run *run)
{
	run->uidl_state = -1;
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

void
cli_last_retrieved(struct run *run, unsigned long n)
{
	/* Out of memory here costs the record one message, nothing more. */
	push(&run->retr, &run->nretr, &run->capretr, n);
}

int
cli_last_deleted(struct run *run, unsigned long n)
{
	return push(&run->dele, &run->ndele, &run->capdele, n);
}

size_t
cli_last_ndeleted(const struct run *run)
{
	return run->ndele;
}

void
cli_last_rset(struct run *run)
{
	/* UIDL leaves out deleted messages: after RSET they are back. */
	if (run->ndele && run->uidl_state == 1) {
		uids_free(run);
		run->uidl_state = 0;
	}
	run->nretr = 0;
	run->ndele = 0;
}

static void
load_record(struct run *run)
{
	const struct cli_session_cfg *cfg = run->cfg;
	char *path, *err = NULL;
	enum lastrec_status st;

	if (run->rec)
		return;
	run->rec_before_uidl = !run->uidl_sent;
	run->rec = lastrec_new(cfg->account);
	if (!run->rec || !cfg->state_dir)
		return;
	path = lastrec_path(cfg->state_dir, cfg->account);
	if (!path)
		return;
	st = lastrec_load(run->rec, path, &err);
	if (st != LASTREC_OK) {
		fprintf(stderr, "pouch: warning: ignoring the LAST record %s: ", path);
		cli_escape_puts(stderr, err ? err : "out of memory");
		fputc('\n', stderr);
	}
	free(err);
	free(path);
}

static int
fetch_uidl(struct run *run)
{
	enum pop3_status st;

	if (run->uidl_state != 0)
		return 0;
	/* A -ERR is not a failure: on_done noted it (cli_last_no_uidl). */
	st = cli_run_aux(run, POP3_UIDL, 0, NULL);
	return st == POP3_OK || st == POP3_ERR_SERVER ? 0 : -1;
}

int
cli_last_local(struct run *run, unsigned long *out)
{
	unsigned long best = 0;
	size_t i;

	load_record(run);
	if (run->rec && !lastrec_nolast(run->rec)) {
		/* From now on sessions that retrieve keep UIDLs. */
		lastrec_set_nolast(run->rec, 1);
		run->rec_changed = 1;
	}
	if (fetch_uidl(run) < 0)
		return -1;
	for (i = 0; i < run->nretr; i++)
		if (run->retr[i] > best)
			best = run->retr[i];
	if (run->uidl_state == 1 && run->rec && lastrec_count(run->rec) > 0) {
		for (i = 0; i < run->nuids; i++)
			if (run->uids[i].n > best && lastrec_has(run->rec, run->uids[i].uid))
				best = run->uids[i].n;
	} else if (run->rec && lastrec_max(run->rec) > best) {
		best = lastrec_max(run->rec);
	}
	*out = best;
	return 0;
}

/* What is still on the server after QUIT: listed by UIDL, not deleted. */
struct live {
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
live_keep(void *ctx, const char *uid)
{
	struct live *l = ctx;

	/* A UIDL this session's list could not know (retrieved by another
	 * session that committed meanwhile) stays. */
	if (!lastrec_has(l->before, uid))
		return 1;
	return bsearch(&uid, l->sorted, l->n, sizeof *l->sorted, str_cmp) != NULL;
}

static int
ul_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Drops from the record the UIDLs that were in it before this session
 * listed the mailbox (before) and are gone now: deleted before the list,
 * or by this session. */
static size_t
prune_record(struct run *run, const struct lastrec *before)
{
	struct live l;
	size_t i, gone;

	l.before = before;
	l.n = 0;
	l.sorted = malloc((run->nuids ? run->nuids : 1) * sizeof *l.sorted);
	if (!l.sorted)
		return 0;
	/* Only called after QUIT: the order of the deletions no longer matters. */
	if (run->ndele)
		qsort(run->dele, run->ndele, sizeof *run->dele, ul_cmp);
	for (i = 0; i < run->nuids; i++)
		if (!run->ndele || !bsearch(&run->uids[i].n, run->dele, run->ndele,
		    sizeof *run->dele, ul_cmp))
			l.sorted[l.n++] = run->uids[i].uid;
	qsort(l.sorted, l.n, sizeof *l.sorted, str_cmp);
	gone = lastrec_prune(run->rec, live_keep, &l);
	free(l.sorted);
	return gone;
}

void
cli_last_commit(struct run *run)
{
	const struct cli_session_cfg *cfg = run->cfg;
	unsigned long max = 0, below = 0;
	char *path, *err = NULL;
	int changed = run->rec_changed, lockfd;
	struct lastrec *before = NULL;
	size_t i;

	if (!run->nretr && !run->ndele && !changed)
		return;
	if (!cfg->state_dir) {
		if (run->nretr)
			fputs("pouch: warning: no state directory (no $HOME; see --state-dir): "
			    "the LAST record was not kept\n", stderr);
		return;
	}
	path = lastrec_path(cfg->state_dir, cfg->account);
	if (!path)
		return;
	/* Load, merge and save under the lock, from the record as it is now
	 * on disk: another pouch on this account may have committed since
	 * this session read it. What this session adds is a delta: the
	 * server's -ERR to LAST, its retrievals and its deletions. */
	lockfd = lastrec_lock(path, LASTREC_LOCK_WAIT_MS, &err);
	if (lockfd < 0) {
		fprintf(stderr, "pouch: warning: the LAST record was not saved: ");
		cli_escape_puts(stderr, err ? err : "out of memory");
		fputc('\n', stderr);
		free(err);
		free(path);
		return;
	}
	/* The record as read before this session's UIDL, if it was: what
	 * pruning may drop is limited to it. */
	before = run->rec_before_uidl ? run->rec : NULL;
	if (!before)
		lastrec_free(run->rec);
	run->rec = NULL;
	load_record(run);
	if (!run->rec)
		goto out;
	if (run->rec_changed)
		lastrec_set_nolast(run->rec, 1);
	if (run->uidl_state == 1 && before && prune_record(run, before))
		changed = 1;
	max = lastrec_max(run->rec);
	for (i = 0; i < run->nretr; i++) {
		const char *uid = uid_of(run, run->retr[i]);

		if (uid && !lastrec_has(run->rec, uid) && lastrec_add(run->rec, uid) == 0)
			changed = 1;
		if (run->retr[i] > max)
			max = run->retr[i];
	}
	/* The committed deletions renumber the mailbox: the highest number
	 * retrieved moves down by the deleted messages at or below it. */
	for (i = 0; i < run->ndele; i++)
		if (run->dele[i] <= max)
			below++;
	if (max - below != lastrec_max(run->rec)) {
		lastrec_set_max(run->rec, max - below);
		changed = 1;
	}
	if (changed && lastrec_save(run->rec, path, &err) != LASTREC_OK) {
		fprintf(stderr, "pouch: warning: the LAST record was not saved: ");
		cli_escape_puts(stderr, err ? err : "out of memory");
		fputc('\n', stderr);
	}
out:
	lastrec_free(before);
	lastrec_unlock(lockfd);
	free(err);
	free(path);
}

void
cli_last_free(struct run *run)
{
	uids_free(run);
	free(run->sizes);
	free(run->retr);
	free(run->dele);
	lastrec_free(run->rec);
	run->sizes = NULL;
	run->retr = run->dele = NULL;
	run->rec = NULL;
}
