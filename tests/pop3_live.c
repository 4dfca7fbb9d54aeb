/*
 * pop3_live.c: the engine's non-blocking interface against a real server,
 * for tests/pop3_engine.sh (which starts Dovecot and checks the output).
 *
 *   pop3_live URL CACERT AUTH [NDELE]
 *
 * The password comes from $POP3_LIVE_PASS. It connects with
 * pop3_connect_start and a poll loop (STAT submitted before login is done),
 * reads the server screen's facts, optionally marks messages 1..NDELE for
 * deletion and commits with pop3_marks_commit_start, else sends QUIT with
 * pop3_submit; never a blocking call. Prints one "key: value" line per fact.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pouch/pop3.h>
#include <pouch/pop3_marks.h>

static long long
ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct state {
	int stat_done, quit_done, uidl_done, commit_done;
	unsigned long count;
	enum pop3_status commit_st;
	struct pop3_commit res;
	char uids[16][80];
	int nuids;
};

static void
stat_done(void *ctx, const struct pop3_reply *r)
{
	struct state *st = ctx;

	st->stat_done = 1;
	st->count = r->status == POP3_OK ? r->count : 0;
}

static void
quit_done(void *ctx, const struct pop3_reply *r)
{
	struct state *st = ctx;

	st->quit_done = r->status == POP3_OK ? 1 : -1;
}

static void
uidl_done(void *ctx, const struct pop3_reply *r)
{
	struct state *st = ctx;
	size_t i;

	for (i = 0; i < r->nitems && i < 16; i++)
		snprintf(st->uids[st->nuids++], sizeof st->uids[0], "%s", r->items[i].uid);
	st->uidl_done = 1;
}

static void
commit_done(void *ctx, enum pop3_status s, const struct pop3_commit *res)
{
	struct state *st = ctx;

	st->commit_done = 1;
	st->commit_st = s;
	st->res = *res;
}

/* Runs the loop until *flag; returns the longest pop3_run in ms, or -1. */
static long long
loop(struct pop3 *s, const int *flag, int *runs, int *fdchanges)
{
	long long longest = 0, t;
	int last = -2;

	while (!*flag) {
		struct pollfd pfd;
		int to = pop3_timeout_ms(s);

		pfd.fd = pop3_fd(s);
		pfd.events = pop3_events(s);
		if (pfd.fd < 0)
			return -1;
		if (pfd.fd != last) {
			(*fdchanges)++;
			last = pfd.fd;
		}
		poll(&pfd, 1, to < 0 || to > 1000 ? 1000 : to);
		t = ms();
		if (pop3_run(s) != POP3_OK)
			return -1;
		if (ms() - t > longest)
			longest = ms() - t;
		(*runs)++;
	}
	return longest;
}

int
main(int argc, char **argv)
{
	struct pop3_opts o;
	struct pop3 *s;
	struct pop3_req r;
	struct pop3_tls_info ti;
	struct state st;
	struct pop3_marks *m;
	char v[64];
	int runs = 0, fds = 0, one = 0, ndele, i;
	long long longest, t0;

	if (argc < 4) {
		fprintf(stderr, "usage: pop3_live URL CACERT AUTH [NDELE]\n");
		return 2;
	}
	ndele = argc > 4 ? atoi(argv[4]) : 0;
	memset(&st, 0, sizeof st);
	memset(&o, 0, sizeof o);
	o.url = argv[1];
	o.cacert = *argv[2] ? argv[2] : NULL;
	o.auth = *argv[3] ? argv[3] : NULL;
	o.password = getenv("POP3_LIVE_PASS");
	o.pipelining = -1;
	o.tls = POP3_TLS_REQUIRED;
	s = pop3_new(&o);
	if (!s)
		return 1;
	t0 = ms();
	if (pop3_connect_start(s) != POP3_OK) {
		printf("error: %s\n", pop3_error(s));
		return 1;
	}
	printf("start: %lld ms\n", ms() - t0);
	memset(&r, 0, sizeof r);
	r.cmd = POP3_STAT;
	r.on_done = stat_done;
	r.ctx = &st;
	pop3_submit(s, &r);
	printf("connected before the loop: %d\n", pop3_connected(s));
	longest = loop(s, &st.stat_done, &runs, &fds);
	if (longest < 0) {
		printf("error: %s\n", pop3_error(s));
		return 1;
	}
	printf("connected: %d\n", pop3_connected(s));
	printf("login ms: %lld\n", ms() - t0);
	printf("longest run ms: %lld\n", longest);
	printf("fd changes: %d\n", fds);
	printf("stat: %lu\n", st.count);
	printf("auth: %s\n", pop3_auth_used(s));
	printf("tls: %d\n", pop3_tls_info(s, &ti));
	printf("tls version: %s\n", ti.version);
	printf("tls cipher: %s\n", ti.cipher);
	printf("tls sha256: %s\n", ti.sha256);
	printf("pipelining: %d\n", pop3_pipelining(s));
	printf("capa EXPIRE: %s\n", pop3_capa_value(s, "EXPIRE", v, sizeof v) ?
	    v : "(not listed)");
	printf("capa LOGIN-DELAY: %s\n", pop3_capa_value(s, "LOGIN-DELAY", v,
	    sizeof v) ? v : "(not listed)");
	printf("capa TOP: %s\n", pop3_capa_value(s, "TOP", v, sizeof v) ? "listed" :
	    "(not listed)");
	if (ndele > 0) {
		memset(&r, 0, sizeof r);
		r.cmd = POP3_UIDL;
		r.on_done = uidl_done;
		r.ctx = &st;
		pop3_submit(s, &r);
		if (loop(s, &st.uidl_done, &runs, &fds) < 0)
			return 1;
		m = pop3_marks_new();
		for (i = 0; i < ndele && i < st.nuids; i++)
			pop3_marks_set(m, st.uids[i], 1);
		pop3_marks_commit_start(s, m, NULL, NULL, commit_done, &st);
		loop(s, &st.commit_done, &runs, &one);
		printf("commit: %s deleted %zu gone %zu kept %zu %s\n",
		    pop3_status_name(st.commit_st), st.res.deleted, st.res.gone,
		    st.res.kept, st.res.error);
		pop3_marks_free(m);
	} else {
		memset(&r, 0, sizeof r);
		r.cmd = POP3_QUIT;
		r.on_done = quit_done;
		r.ctx = &st;
		pop3_submit(s, &r);
		loop(s, &st.quit_done, &runs, &one);
		printf("quit: %d\n", st.quit_done);
	}
	printf("fd after: %d\n", pop3_fd(s));
	pop3_free(s);
	return 0;
}
