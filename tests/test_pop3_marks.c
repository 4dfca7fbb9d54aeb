/* Unit tests for pop3_marks.c: the mark set, and committing marks by UIDL
 * against the scripted fake server (tests/fake_pop3.h): what goes out, in
 * which order, and that a refusal anywhere deletes nothing. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "fake_pop3.h"
#include <pouch/pop3.h>
#include <pouch/pop3_marks.h>
#include "tap.h"

#define GREET { NULL, "+OK fake ready\r\n", 0, 0, 0 }
#define LOGIN GREET, { "CAPA", "+OK\r\nUSER\r\n.\r\n", 0, 0, 0 }, \
	{ "USER u", "+OK\r\n", 0, 0, 0 }, { "PASS p4ss", "+OK in\r\n", 0, 0, 0 }, \
	{ "CAPA", "+OK\r\nUIDL\r\nPIPELINING\r\n.\r\n", 0, 0, 0 }
#define UIDL4 { "UIDL", "+OK\r\n1 a\r\n2 b\r\n3 c\r\n4 d\r\n.\r\n", 0, 0, 0 }
#define END { NULL, NULL, 0, 0, 0 }

static struct pop3 *
session(struct fake *f)
{
	struct pop3_opts o;
	static char url[64];
	struct pop3 *s;

	snprintf(url, sizeof url, "pop3://127.0.0.1:%d", f->port);
	memset(&o, 0, sizeof o);
	o.url = url;
	o.user = "u";
	o.password = "p4ss";
	o.auth = "USER";
	o.pipelining = -1;
	o.reply_timeout_ms = 3000;
	o.connect_timeout_ms = 3000;
	s = pop3_new(&o);
	if (!s || pop3_connect(s) != POP3_OK) {
		printf("Bail out! connect: %s\n", s ? pop3_error(s) : "pop3_new");
		exit(1);
	}
	return s;
}

static struct pop3_marks *
marks(const char *const *uids)
{
	struct pop3_marks *m = pop3_marks_new();

	if (!m)
		exit(1);
	for (; *uids; uids++)
		if (pop3_marks_set(m, *uids, 1) < 0)
			exit(1);
	return m;
}

/* After the commit: what the client sent once logged in. */
static const char *
after_login(const struct fake *f)
{
	const char *p = strstr(f->got, "PASS p4ss\r\nCAPA\r\n");

	return p ? p + strlen("PASS p4ss\r\nCAPA\r\n") : f->got;
}

static int
durable_but_d(void *ctx, const char *uid)
{
	(void)ctx;
	return strcmp(uid, "d") != 0;
}

static void
test_set(void)
{
	static const char *const u[] = { "d", "b", "zz", "b", "a", NULL };
	struct pop3_marks *m = marks(u);

	is_int(pop3_marks_count(m), 4, "set: duplicates count once");
	is_str(pop3_marks_get(m, 0), "a", "set: sorted (0)");
	is_str(pop3_marks_get(m, 3), "zz", "set: sorted (3)");
	ok(pop3_marks_get(m, 4) == NULL, "set: NULL past the end");
	ok(pop3_marks_has(m, "b") && !pop3_marks_has(m, "c"), "set: has");
	pop3_marks_set(m, "b", 0);
	pop3_marks_set(m, "nope", 0);
	ok(!pop3_marks_has(m, "b") && pop3_marks_count(m) == 3, "set: unmark");
	pop3_marks_free(m);
}

static const struct step commit_steps[] = {
	LOGIN, UIDL4,
	{ "DELE 2", "+OK\r\n", 0, 0, 0 },
	{ "DELE 4", "+OK\r\n", 0, 0, 0 },
	{ "QUIT", "+OK bye\r\n", 0, 0, 0 },
	END,
};

static void
test_commit(void)
{
	static const char *const u[] = { "b", "d", "zz", NULL };
	struct fake f;
	struct pop3 *s;
	struct pop3_marks *m = marks(u);
	struct pop3_commit res;
	enum pop3_status st;

	fake_start(&f, commit_steps);
	s = session(&f);
	st = pop3_marks_commit(s, m, NULL, NULL, &res);
	is_int(st, POP3_OK, "commit: ok (%s)", pop3_error(s));
	ok(res.deleted == 2 && res.gone == 1 && res.kept == 0, "commit: 2 deleted, 1 gone");
	is_int(pop3_marks_count(m), 0, "commit: every mark settled");
	pop3_free(s);
	fake_stop(&f);
	is_str(f.bad, "", "commit: the server saw what it expected");
	is_str(after_login(&f), "UIDL\r\nDELE 2\r\nDELE 4\r\nQUIT\r\n",
	    "commit: UIDL, DELE by today's numbers, QUIT");
	pop3_marks_free(m);
}

static const struct step durable_steps[] = {
	LOGIN, UIDL4,
	{ "DELE 2", "+OK\r\n", 0, 0, 0 },
	{ "QUIT", "+OK bye\r\n", 0, 0, 0 },
	END,
};

static void
test_durable(void)
{
	static const char *const u[] = { "b", "d", NULL };
	struct fake f;
	struct pop3 *s;
	struct pop3_marks *m = marks(u);
	struct pop3_commit res;

	fake_start(&f, durable_steps);
	s = session(&f);
	is_int(pop3_marks_commit(s, m, durable_but_d, NULL, &res), POP3_OK,
	    "durable: ok");
	ok(res.deleted == 1 && res.kept == 1, "durable: 1 deleted, 1 kept");
	ok(pop3_marks_count(m) == 1 && pop3_marks_has(m, "d"),
	    "durable: the mark without a durable copy stays");
	pop3_free(s);
	fake_stop(&f);
	is_str(after_login(&f), "UIDL\r\nDELE 2\r\nQUIT\r\n",
	    "durable: no DELE for a message without a durable local copy");
	pop3_marks_free(m);
}

static const struct step refused_steps[] = {
	LOGIN, UIDL4,
	{ "DELE 2", "+OK\r\n", 0, 0, 0 },
	{ "DELE 4", "-ERR locked\r\n", 0, 0, 0 },
	{ "RSET", "+OK\r\n", 0, 0, 0 },
	{ "QUIT", "+OK bye\r\n", 0, 0, 0 },
	END,
};

static void
test_refused(void)
{
	static const char *const u[] = { "b", "d", NULL };
	struct fake f;
	struct pop3 *s;
	struct pop3_marks *m = marks(u);
	struct pop3_commit res;

	fake_start(&f, refused_steps);
	s = session(&f);
	is_int(pop3_marks_commit(s, m, NULL, NULL, &res), POP3_ERR_SERVER,
	    "refused: a refused DELE fails the commit");
	is_int(res.deleted, 0, "refused: nothing counted as deleted");
	is_int(pop3_marks_count(m), 2, "refused: the marks stay");
	pop3_free(s);
	fake_stop(&f);
	is_str(after_login(&f), "UIDL\r\nDELE 2\r\nDELE 4\r\nRSET\r\nQUIT\r\n",
	    "refused: RSET undoes the accepted DELE before QUIT");
	pop3_marks_free(m);
}

static const struct step rset_refused_steps[] = {
	LOGIN, UIDL4,
	{ "DELE 2", "+OK\r\n", 0, 0, 0 },
	{ "DELE 4", "-ERR locked\r\n", 0, 0, 0 },
	{ "RSET", "-ERR cannot reset\r\n", 0, 0, 0 },
	END,
};

/* RSET refused after a refused DELE: QUIT would commit DELE 2, so none. */
static void
test_rset_refused(void)
{
	static const char *const u[] = { "b", "d", NULL };
	struct fake f;
	struct pop3 *s;
	struct pop3_marks *m = marks(u);
	struct pop3_commit res;

	fake_start(&f, rset_refused_steps);
	s = session(&f);
	is_int(pop3_marks_commit(s, m, NULL, NULL, &res), POP3_ERR_SERVER,
	    "RSET refused: the commit fails");
	is_int(pop3_marks_count(m), 2, "RSET refused: the marks stay");
	pop3_free(s);
	fake_stop(&f);
	is_str(after_login(&f), "UIDL\r\nDELE 2\r\nDELE 4\r\nRSET\r\n",
	    "RSET refused: no QUIT, so the accepted DELE 2 is never committed");
	pop3_marks_free(m);
}

static const struct step nouidl_steps[] = {
	LOGIN,
	{ "UIDL", "-ERR no UIDL here\r\n", 0, 0, 0 },
	END,
};

static const struct step dup_steps[] = {
	LOGIN,
	{ "UIDL", "+OK\r\n1 a\r\n2 b\r\n3 b\r\n.\r\n", 0, 0, 0 },
	{ "QUIT", "+OK bye\r\n", 0, 0, 0 },
	END,
};

static const struct step drop_steps[] = {
	LOGIN, UIDL4,
	{ "DELE 2", "", A_CLOSE, 0, 0 },
	END,
};

static void
test_odd(void)
{
	static const char *const u[] = { "b", NULL };
	struct fake f;
	struct pop3 *s;
	struct pop3_marks *m = marks(u);
	struct pop3_commit res;
	enum pop3_status st;

	fake_start(&f, nouidl_steps);
	s = session(&f);
	is_int(pop3_marks_commit(s, m, NULL, NULL, &res), POP3_ERR_SERVER,
	    "no UIDL: SERVER");
	pop3_free(s);
	fake_stop(&f);
	is_str(after_login(&f), "UIDL\r\n", "no UIDL: no DELE, no QUIT");

	fake_start(&f, dup_steps);
	s = session(&f);
	is_int(pop3_marks_commit(s, m, NULL, NULL, &res), POP3_OK, "dup: ok");
	ok(res.kept == 1 && res.deleted == 0, "dup: a UID listed twice is kept");
	pop3_free(s);
	fake_stop(&f);
	is_str(after_login(&f), "UIDL\r\nQUIT\r\n", "dup: no DELE for an ambiguous UID");

	fake_start(&f, drop_steps);
	s = session(&f);
	st = pop3_marks_commit(s, m, NULL, NULL, &res);
	ok(pop3_status_fatal(st), "drop: a fatal status (%s)", pop3_status_name(st));
	is_int(pop3_marks_count(m), 1, "drop: the mark stays");
	pop3_free(s);
	fake_stop(&f);
	ok(strstr(f.got, "QUIT") == NULL, "drop: no QUIT after the connection broke");
	pop3_marks_free(m);
}

/* UIDL lists number 2 twice, with two UIDs (issue 9): neither mark on 2
 * is committed; the mark on 3 is. */
static const struct step dupnum_steps[] = {
	LOGIN,
	{ "UIDL", "+OK\r\n1 a\r\n2 b\r\n2 c\r\n3 d\r\n.\r\n", 0, 0, 0 },
	{ "DELE 3", "+OK\r\n", 0, 0, 0 },
	{ "QUIT", "+OK bye\r\n", 0, 0, 0 },
	END,
};

static void
test_dup_number(void)
{
	static const char *const u[] = { "b", "c", "d", NULL };
	struct fake f;
	struct pop3 *s;
	struct pop3_marks *m = marks(u);
	struct pop3_commit res;

	fake_start(&f, dupnum_steps);
	s = session(&f);
	is_int(pop3_marks_commit(s, m, NULL, NULL, &res), POP3_OK, "dup number: ok");
	ok(res.deleted == 1 && res.kept == 2, "dup number: 1 deleted, 2 kept (%zu, %zu)",
	    res.deleted, res.kept);
	ok(pop3_marks_has(m, "b") && pop3_marks_has(m, "c") && !pop3_marks_has(m, "d"),
	    "dup number: the marks on the doubly listed number stay");
	pop3_free(s);
	fake_stop(&f);
	is_str(after_login(&f), "UIDL\r\nDELE 3\r\nQUIT\r\n",
	    "dup number: no DELE 2");
	pop3_marks_free(m);
}

struct async {
	int calls;
	enum pop3_status st;
	struct pop3_commit res;
};

static void
async_done(void *ctx, enum pop3_status st, const struct pop3_commit *res)
{
	struct async *a = ctx;

	a->calls++;
	a->st = st;
	a->res = *res;
}

/* The poll loop's own: pop3_fd, pop3_events, pop3_timeout_ms, pop3_run. */
static enum pop3_status
poll_until(struct pop3 *s, const int *flag)
{
	enum pop3_status st = POP3_OK;
	struct pollfd pfd;
	int loops = 0;

	while (!*flag && st == POP3_OK && pop3_fd(s) >= 0 && loops++ < 2000) {
		pfd.fd = pop3_fd(s);
		pfd.events = pop3_events(s);
		poll(&pfd, 1, pop3_timeout_ms(s));
		st = pop3_run(s);
	}
	return st;
}

static void
test_async(void)
{
	static const char *const u[] = { "b", "d", "zz", NULL };
	struct fake f;
	struct pop3 *s;
	struct pop3_marks *m = marks(u);
	struct async a;

	memset(&a, 0, sizeof a);
	fake_start(&f, refused_steps);
	s = session(&f);
	is_int(pop3_marks_commit_start(s, m, NULL, NULL, async_done, &a), POP3_OK,
	    "async refused: started");
	is_int(a.calls, 0, "async refused: nothing done before the loop runs");
	poll_until(s, &a.calls);
	is_int(a.calls, 1, "async refused: done called once");
	is_int(a.st, POP3_ERR_SERVER, "async refused: SERVER");
	ok(strstr(a.res.error, "DELE 4") != NULL, "async refused: says which: %s",
	    a.res.error);
	is_int(pop3_marks_count(m), 3, "async refused: the marks stay");
	pop3_free(s);
	fake_stop(&f);
	is_int(a.calls, 1, "async refused: not called again by pop3_free");
	is_str(after_login(&f), "UIDL\r\nDELE 2\r\nDELE 4\r\nRSET\r\nQUIT\r\n",
	    "async refused: the same wire as the blocking commit");

	memset(&a, 0, sizeof a);
	fake_start(&f, commit_steps);
	s = session(&f);
	is_int(pop3_marks_commit_start(s, m, NULL, NULL, async_done, &a), POP3_OK,
	    "async: started");
	poll_until(s, &a.calls);
	ok(a.calls == 1 && a.st == POP3_OK, "async: done once, OK (%s)", a.res.error);
	ok(a.res.deleted == 2 && a.res.gone == 1, "async: 2 deleted, 1 gone");
	is_int(pop3_marks_count(m), 0, "async: every mark settled");
	is_int(pop3_fd(s), -1, "async: QUIT closed the session");
	pop3_free(s);
	fake_stop(&f);
	is_str(after_login(&f), "UIDL\r\nDELE 2\r\nDELE 4\r\nQUIT\r\n",
	    "async: UIDL, DELE, QUIT");
	pop3_marks_free(m);

	/* Given up half-way: done comes from pop3_free, nothing committed. */
	m = marks(u);
	memset(&a, 0, sizeof a);
	fake_start(&f, commit_steps);
	s = session(&f);
	is_int(pop3_marks_commit_start(s, m, NULL, NULL, async_done, &a), POP3_OK,
	    "async cancel: started");
	pop3_free(s);
	fake_stop(&f);
	ok(a.calls == 1 && a.st == POP3_ERR_CANCELLED,
	    "async cancel: done once with CANCELLED (%d, %s)", a.calls,
	    pop3_status_name(a.st));
	is_int(pop3_marks_count(m), 3, "async cancel: the marks stay");
	ok(strstr(f.got, "QUIT") == NULL, "async cancel: no QUIT");
	pop3_marks_free(m);
}

int
main(void)
{
	test_set();
	test_commit();
	test_durable();
	test_refused();
	test_rset_refused();
	test_odd();
	test_dup_number();
	test_async();
	return done_testing();
}
