/*
 * test_sess.c: sess.h against a stateful POP3 server in a thread (a mailbox
 * that lives across sessions: DELE commits at QUIT, new mail arrives between
 * sessions, UIDL can be missing or list one UID twice, LAST is answered
 * per session as popa3d does (RFC 1460: 0 to a new session) until some
 * session and refused from then on).
 *
 * The LAST property (issue 9): random sequences of sessions (RETR of random
 * messages, DELE, RSET, new mail, sessions that end without QUIT) run
 * against a model of what was retrieved; whether pouch answers LAST from
 * its record or passes on the server's, the answer must be the highest number, in this
 * session's numbering, of a message retrieved in a committed session (or
 * in this one since its last RSET) that is still on the server: never
 * below a retrieval still there, never above what was retrieved.
 *
 * Half of the sessions are driven blocking (sess_wait, sess_finish), the
 * other half stepwise from a poll loop (sess_run, sess_end), as the reader
 * will; both must give the same answers, and the callbacks must come in
 * the documented order.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"
#include <pouch/lastrec.h>
#include <pouch/sess.h>
#include <pouch/util.h>

#define MAXMSG 64
#define note(...) (printf("# "), printf(__VA_ARGS__), putchar('\n'))

/* ---- the mailbox and its server ---------------------------------------- */

struct msg {
	int id;			/* the model's identity of the message */
	char uid[32];
};

static struct {
	pthread_mutex_t mu;
	struct msg m[MAXMSG];
	int n;
	int has_uidl;
	int last_ok;		/* the server still answers LAST */
	int lfd, port;
	int stop;
	int quits, rsets;	/* QUIT and RSET commands received */
	int refuse_rset;	/* RSET answered -ERR */
} box = { .mu = PTHREAD_MUTEX_INITIALIZER };

static char *
body_of(const struct msg *m)
{
	return str_printf("Subject: message %d\r\n\r\nbody of %d\r\n", m->id, m->id);
}

static void
say(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* One connection: the usual commands, deletions committed at QUIT. */
static void
serve(int fd)
{
	char buf[4096], line[512], out[256];
	size_t have = 0;
	int del[MAXMSG] = { 0 }, i, k, last = 0;

	say(fd, "+OK ready\r\n");
	for (;;) {
		char *nl, *arg;
		ssize_t r;

		while (!(nl = memchr(buf, '\n', have))) {
			r = read(fd, buf + have, sizeof buf - have);
			if (r <= 0)
				return;		/* closed without QUIT: nothing committed */
			have += (size_t)r;
		}
		k = (int)(nl - buf);
		if (k > 0 && buf[k - 1] == '\r')
			k--;
		if (k >= (int)sizeof line)
			k = sizeof line - 1;
		memcpy(line, buf, (size_t)k);
		line[k] = '\0';
		have -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, have);
		arg = strchr(line, ' ');
		if (arg)
			*arg++ = '\0';
		k = arg ? atoi(arg) : 0;
		pthread_mutex_lock(&box.mu);
		if (!strcmp(line, "CAPA")) {
			say(fd, box.has_uidl ? "+OK\r\nUSER\r\nUIDL\r\n.\r\n" : "+OK\r\nUSER\r\n.\r\n");
		} else if (!strcmp(line, "USER") || !strcmp(line, "PASS") ||
		    !strcmp(line, "NOOP")) {
			say(fd, "+OK\r\n");
		} else if (!strcmp(line, "STAT")) {
			say(fd, "+OK 0 0\r\n");
		} else if (!strcmp(line, "LIST") && !arg) {
			say(fd, "+OK\r\n");
			for (i = 0; i < box.n; i++) {
				char *b = body_of(&box.m[i]);

				if (!del[i]) {
					snprintf(out, sizeof out, "%d %zu\r\n", i + 1, b ? strlen(b) : 0);
					say(fd, out);
				}
				free(b);
			}
			say(fd, ".\r\n");
		} else if ((!strcmp(line, "LIST") || !strcmp(line, "RETR") ||
		    !strcmp(line, "DELE")) && (k < 1 || k > box.n || del[k - 1])) {
			say(fd, "-ERR no such message\r\n");
		} else if (!strcmp(line, "LIST")) {
			char *b = body_of(&box.m[k - 1]);

			snprintf(out, sizeof out, "+OK %d %zu\r\n", k, b ? strlen(b) : 0);
			say(fd, out);
			free(b);
		} else if (!strcmp(line, "UIDL") && box.has_uidl && !arg) {
			say(fd, "+OK\r\n");
			for (i = 0; i < box.n; i++) {
				if (!del[i]) {
					snprintf(out, sizeof out, "%d %s\r\n", i + 1, box.m[i].uid);
					say(fd, out);
				}
			}
			say(fd, ".\r\n");
		} else if (!strcmp(line, "RETR")) {
			char *b = body_of(&box.m[k - 1]);

			say(fd, "+OK\r\n");
			say(fd, b ? b : "");
			say(fd, ".\r\n");
			free(b);
			if (k > last)
				last = k;
		} else if (!strcmp(line, "DELE")) {
			del[k - 1] = 1;
			say(fd, "+OK\r\n");
		} else if (!strcmp(line, "RSET") && box.refuse_rset) {
			say(fd, "-ERR not now\r\n");
		} else if (!strcmp(line, "RSET")) {
			box.rsets++;
			memset(del, 0, sizeof del);
			last = 0;
			say(fd, "+OK\r\n");
		} else if (!strcmp(line, "LAST") && box.last_ok) {
			/* Per session, as popa3d (RFC 1460): the highest
			 * message retrieved by this session since RSET, so 0
			 * to every new session. */
			snprintf(out, sizeof out, "+OK %d\r\n", last);
			say(fd, out);
		} else if (!strcmp(line, "QUIT")) {
			box.quits++;
			for (i = k = 0; i < box.n; i++)
				if (!del[i])
					box.m[k++] = box.m[i];
			box.n = k;
			pthread_mutex_unlock(&box.mu);
			say(fd, "+OK bye\r\n");
			return;
		} else {
			say(fd, "-ERR unknown command\r\n");
		}
		pthread_mutex_unlock(&box.mu);
	}
}

static void *
server(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(box.lfd, NULL, NULL);

		if (fd < 0 || box.stop) {
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		serve(fd);
		close(fd);
	}
}

static int
server_start(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	pthread_t th;

	box.lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (box.lfd < 0 || bind(box.lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(box.lfd, 4) < 0 || getsockname(box.lfd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	box.port = ntohs(sa.sin_port);
	if (pthread_create(&th, NULL, server, NULL) != 0)
		return -1;
	pthread_detach(th);
	return 0;
}

/* ---- the model ---------------------------------------------------------- */

static unsigned long rng = 12345;

static unsigned
rnd(unsigned n)
{
	rng = rng * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)((rng >> 33) % n);
}

static int next_id = 1;
static unsigned char committed[100000];	/* ids retrieved in committed sessions */

static void
new_mail(int dup)
{
	struct msg *m;

	pthread_mutex_lock(&box.mu);
	if (box.n < MAXMSG) {
		m = &box.m[box.n++];
		m->id = next_id++;
		/* Now and then a UID that another message has already. */
		if (dup && box.n > 1 && rnd(4) == 0)
			memcpy(m->uid, box.m[rnd((unsigned)box.n - 1)].uid, sizeof m->uid);
		else
			snprintf(m->uid, sizeof m->uid, "u%d", m->id);
	}
	pthread_mutex_unlock(&box.mu);
}

/* ---- one session -------------------------------------------------------- */

struct t {
	struct sess *s;
	int stepwise;
	unsigned char sess_retr[100000];	/* ids retrieved since the last RSET */
	int ids[MAXMSG];		/* this session's numbering: id of message n */
	int n;
	int dele[MAXMSG];
	int fails, ends, syncs, dones, order_bad;
	unsigned long last;
	int last_from_record, last_got;
};

static void
cb_fail(void *ctx, const struct sess_failure *f)
{
	struct t *t = ctx;

	t->fails++;
	note("failure: %s: %s%s", f->label, f->text ? f->text : "-ERR ",
	    f->server_text ? f->server_text : "");
}

static int
cb_sync(void *ctx)
{
	struct t *t = ctx;

	if (t->ends)
		t->order_bad++;
	t->syncs++;
	return 0;
}

static void
cb_end(void *ctx, const struct sess_end *e)
{
	struct t *t = ctx;

	(void)e;
	t->ends++;
}

static int
cb_done(void *ctx, const struct pop3_reply *r)
{
	struct t *t = ctx;

	(void)r;
	if (t->syncs || t->ends)
		t->order_bad++;
	t->dones++;
	return 0;
}

static void
cb_last(void *ctx, unsigned long n, int from_record, const char *text)
{
	struct t *t = ctx;

	(void)text;
	t->last = n;
	t->last_from_record = from_record;
	t->last_got = 1;
}

/* The login from a poll loop (sess_connect_start, sess_run). */
static enum sess_status
connect_stepwise(struct sess *s)
{
	struct pollfd pfd;
	int guard = 0, to;

	if (sess_connect_start(s) != SESS_OK)
		return SESS_ERR_NET;
	while (!sess_connected(s) && !sess_failure(s) && guard++ < 1000) {
		pfd.fd = pop3_fd(sess_pop3(s));
		pfd.events = pop3_events(sess_pop3(s));
		pfd.revents = 0;
		to = pop3_timeout_ms(sess_pop3(s));
		if (pfd.fd >= 0)
			poll(&pfd, 1, to < 0 || to > 100 ? 100 : to);
		sess_run(s);
	}
	return sess_connected(s) ? SESS_OK : SESS_ERR_NET;
}

/* Runs the engine until nothing is pending (or the end is over). */
static void
drive(struct t *t)
{
	struct pop3 *p = sess_pop3(t->s);
	struct pollfd pfd;
	int guard = 0;

	if (!t->stepwise) {
		sess_wait(t->s);
		return;
	}
	while (pop3_pending(p) && guard++ < 100000) {
		pfd.fd = pop3_fd(p);
		pfd.events = pop3_events(p);
		pfd.revents = 0;
		if (pfd.fd < 0)
			break;
		poll(&pfd, 1, pop3_timeout_ms(p) < 0 || pop3_timeout_ms(p) > 100 ? 100 :
		    pop3_timeout_ms(p));
		if (sess_run(t->s) != SESS_OK)
			break;
	}
}

static void
submit(struct t *t, enum pop3_cmd cmd, unsigned long n)
{
	struct sess_req r;

	memset(&r, 0, sizeof r);
	r.cmd = cmd;
	r.has_n = n != 0;
	r.n = n;
	r.on_done = cb_done;
	r.ctx = t;
	if (sess_submit(t->s, &r) != SESS_OK)
		t->fails++;
}

/* A whole LIST or UIDL of the caller's, line by line (sess_req.on_item)
 * or collected: every line reaches the caller once, either way, and sess
 * keeps its own map from the same stream (the LAST checks after it). */
static size_t items_seen, items_done;
static int items_bad;

static int
cb_item(void *ctx, const struct pop3_item *it)
{
	(void)ctx;
	if (it->n == 0)
		items_bad++;
	items_seen++;
	return 0;
}

static int
cb_list_done(void *ctx, const struct pop3_reply *r)
{
	struct t *t = ctx;

	if (r->status == POP3_OK) {
		items_done = r->nitems;
		if (r->items)
			items_seen += r->nitems;
	}
	return cb_done(t, r);
}

static void
listing(struct t *t, enum pop3_cmd cmd, int stream)
{
	struct sess_req r;
	size_t want = 0;
	int i;

	for (i = 0; i < t->n; i++)
		want += !t->dele[i];
	items_seen = items_done = 0;
	memset(&r, 0, sizeof r);
	r.cmd = cmd;
	r.on_item = stream ? cb_item : NULL;
	r.on_done = cb_list_done;
	r.ctx = t;
	if (sess_submit(t->s, &r) != SESS_OK) {
		t->fails++;
		return;
	}
	drive(t);
	if (items_seen != want || items_done != want || items_bad) {
		items_bad = 0;
		note("%s (%s): %zu lines seen, %zu in the reply, %zu listed", pop3_cmd_name(cmd),
		    stream ? "on_item" : "collected", items_seen, items_done, want);
		t->fails++;
	}
}

/* Message n (this session's numbering) was retrieved: in a committed
 * session, or in this one since RSET. */
static int
retrieved(const struct t *t, unsigned long n)
{
	return n >= 1 && n <= (unsigned long)t->n &&
	    (committed[t->ids[n - 1]] || t->sess_retr[t->ids[n - 1]]);
}

/* The model's LAST: the highest number of a retrieved message; *lo the
 * same among those not marked with DELE in this session (a UIDL listing
 * sent after the DELE does not show them, so pouch may or may not count
 * them: they are on their way out either way). */
static unsigned long
model_last(const struct t *t, unsigned long *lo)
{
	unsigned long best = 0;
	int i;

	*lo = 0;
	for (i = 0; i < t->n; i++) {
		if (!retrieved(t, (unsigned long)i + 1))
			continue;
		best = (unsigned long)i + 1;
		if (!t->dele[i])
			*lo = best;
	}
	return best;
}

static int bad_last, checked_last, checked_record;

static void
ask_last(struct t *t, int sessno)
{
	unsigned long lo, want = model_last(t, &lo);

	t->last_got = 0;
	if (sess_last(t->s, cb_last, t) != SESS_OK) {
		t->fails++;
		return;
	}
	drive(t);
	if (!t->last_got) {
		t->fails++;
		return;
	}
	/* Every answer, the server's too: one that answers per session says
	 * 0 to a new session, and pouch must take its record's then. */
	checked_last++;
	if (t->last_from_record)
		checked_record++;
	/* Never below a retrieval still on the server, never above what was
	 * retrieved. */
	if (t->last < lo || t->last > want || (t->last && !retrieved(t, t->last))) {
		bad_last++;
		if (bad_last <= 5)
			note("session %d: LAST %lu (%s), the model says %lu..%lu",
			    sessno, t->last, t->last_from_record == 2 ? "the record's, over the server's" :
			    t->last_from_record ? "the record's" : "the server's", lo, want);
	}
}

static struct t T;

/* One random session; returns 0, or -1 when the session failed. */
static int
session(const char *state, int sessno, int stepwise)
{
	struct t *t = &T;
	struct sess_opts o;
	char url[64];
	int i, k, ops, commit;

	memset(t, 0, sizeof *t);
	t->stepwise = stepwise;
	pthread_mutex_lock(&box.mu);
	t->n = box.n;
	for (i = 0; i < box.n; i++)
		t->ids[i] = box.m[i].id;
	pthread_mutex_unlock(&box.mu);
	snprintf(url, sizeof url, "pop3://u@127.0.0.1:%d", box.port);
	memset(&o, 0, sizeof o);
	o.pop3.url = url;
	o.pop3.password = "x";
	o.pop3.tls = POP3_TLS_NONE;
	o.pop3.pipelining = 0;
	o.account = "u@127.0.0.1:110";
	o.state_dir = state;
	o.cbs.on_fail = cb_fail;
	o.cbs.sync = cb_sync;
	o.cbs.on_end = cb_end;
	o.cbs.ctx = t;
	t->s = sess_new(&o);
	if (!t->s || (stepwise ? connect_stepwise(t->s) : sess_connect(t->s)) != SESS_OK) {
		sess_free(t->s);
		return -1;
	}
	ops = 1 + (int)rnd(6);
	for (i = 0; i < ops && t->n > 0; i++) {
		k = (int)rnd((unsigned)t->n);
		switch (rnd(9)) {
		case 0: case 1: case 2: case 3:
			if (t->dele[k])
				break;
			submit(t, POP3_RETR, (unsigned long)k + 1);
			drive(t);
			t->sess_retr[t->ids[k]] = 1;
			break;
		case 4:
			if (t->dele[k])
				break;
			submit(t, POP3_DELE, (unsigned long)k + 1);
			drive(t);
			t->dele[k] = 1;
			break;
		case 5:
			submit(t, POP3_RSET, 0);
			drive(t);
			memset(t->sess_retr, 0, sizeof t->sess_retr);
			memset(t->dele, 0, sizeof t->dele);
			break;
		case 8: {
			int hu;

			pthread_mutex_lock(&box.mu);
			hu = box.has_uidl;
			pthread_mutex_unlock(&box.mu);
			listing(t, hu && rnd(2) ? POP3_UIDL : POP3_LIST, (int)rnd(2));
			break;
		}
		default:
			ask_last(t, sessno);
			break;
		}
	}
	ask_last(t, sessno);
	commit = rnd(8) != 0;	/* now and then a session that never QUITs */
	if (commit) {
		if (stepwise) {
			struct pop3 *p = sess_pop3(t->s);
			struct pollfd pfd;
			int guard = 0;

			sess_end(t->s);
			while (!sess_ended(t->s) && guard++ < 100000) {
				pfd.fd = pop3_fd(p);
				pfd.events = pop3_events(p);
				pfd.revents = 0;
				if (pfd.fd >= 0)
					poll(&pfd, 1, pop3_timeout_ms(p) < 0 ||
					    pop3_timeout_ms(p) > 100 ? 100 : pop3_timeout_ms(p));
				sess_run(t->s);
			}
		} else {
			sess_finish(t->s);
		}
		if (t->ends != 1 || t->syncs != 1 || t->order_bad) {
			note("session %d: %d ends, %d syncs, %d out of order", sessno,
			    t->ends, t->syncs, t->order_bad);
			t->fails++;
		}
		for (i = 0; i < (int)sizeof t->sess_retr; i++)
			if (t->sess_retr[i])
				committed[i] = 1;
	}
	sess_free(t->s);
	return t->fails ? -1 : 0;
}

static void
run(const char *name, int has_uidl, int dup, int sessions, unsigned long seed)
{
	char state[] = "/tmp/pouch-sess.XXXXXX", cmd[128];
	int i, failed = 0, refuse_from;

	rng = seed;
	bad_last = checked_last = checked_record = 0;
	memset(committed, 0, sizeof committed);
	if (!mkdtemp(state)) {
		ok(0, "%s: mkdtemp", name);
		return;
	}
	pthread_mutex_lock(&box.mu);
	box.n = 0;
	box.has_uidl = has_uidl;
	box.last_ok = 1;
	pthread_mutex_unlock(&box.mu);
	for (i = 0; i < 6; i++)
		new_mail(dup);
	refuse_from = (int)rnd((unsigned)sessions / 2);
	for (i = 0; i < sessions; i++) {
		if (i == refuse_from) {
			pthread_mutex_lock(&box.mu);
			box.last_ok = 0;
			pthread_mutex_unlock(&box.mu);
		}
		if (rnd(3) == 0)
			new_mail(dup);
		if (session(state, i, i % 2) < 0)
			failed++;
	}
	is_int(failed, 0, "%s: %d sessions, none failed", name, sessions);
	ok(checked_last > sessions && checked_record > sessions / 2,
	    "%s: %d LAST answers checked, %d from the record", name, checked_last,
	    checked_record);
	is_int(bad_last, 0, "%s: every LAST is within the model's (the server's "
	    "per-session answers too)", name);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", state);
	if (system(cmd) != 0)
		note("could not remove %s", state);
}

/* ---- the end after a failure ------------------------------------------- */

static int
data_fails(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 1;	/* as a full disk, or EPIPE */
}

static struct sess_end last_end;
static int end_calls;

static void
keep_end(void *ctx, const struct sess_end *e)
{
	(void)ctx;
	last_end = *e;
	end_calls++;
}

/* One session: RETR n with on_data, DELE 2, then the end; what the server
 * saw and how it ended. */
static void
failing_session(const char *name, unsigned long n, int (*data)(void *, const char *, size_t),
    enum sess_status want, const char *want_label, int want_rset, int want_quit)
{
	struct sess_opts o;
	struct sess_req r;
	struct sess *s;
	const struct sess_failure *f;
	char url[64];
	int quits, rsets, before = box.n;

	snprintf(url, sizeof url, "pop3://u@127.0.0.1:%d", box.port);
	memset(&o, 0, sizeof o);
	o.pop3.url = url;
	o.pop3.password = "x";
	o.pop3.tls = POP3_TLS_NONE;
	o.account = "f@127.0.0.1:110";
	o.cbs.on_end = keep_end;
	end_calls = 0;
	memset(&last_end, 0, sizeof last_end);
	s = sess_new(&o);
	ok(s && sess_connect(s) == SESS_OK, "%s: connected", name);
	if (!s)
		return;
	quits = box.quits;
	rsets = box.rsets;
	memset(&r, 0, sizeof r);
	r.cmd = POP3_DELE;
	r.n = 2;
	sess_submit(s, &r);
	r.cmd = POP3_RETR;
	r.n = n;
	r.on_data = data;
	sess_submit(s, &r);
	sess_wait(s);
	sess_finish(s);
	f = sess_failure(s);
	ok(f && f->status == want, "%s: the failure's status is %d (%d)", name, (int)want,
	    f ? (int)f->status : -1);
	is_str(f ? f->label : NULL, want_label, "%s: the failure's label", name);
	ok(end_calls == 1 && last_end.abandoned && last_end.status == want,
	    "%s: on_end once, abandoned, with the failure's status", name);
	sess_free(s);
	usleep(100000);	/* the server sees the connection go */
	is_int(box.rsets - rsets, want_rset, "%s: RSET sent %d time(s)", name, want_rset);
	is_int(box.quits - quits, want_quit, "%s: QUIT sent %d time(s)", name, want_quit);
	is_int(box.n, before, "%s: nothing deleted", name);
}

/* ---- withdrawing ----------------------------------------------------------- */

static int withdrawn, completed;

static int
count_done(void *ctx, const struct pop3_reply *r)
{
	(void)ctx;
	if (r->status == POP3_WITHDRAWN)
		withdrawn++;
	else if (r->status == POP3_OK)
		completed++;
	return 0;
}

/* RETR 1 for one reader of the session, RETR 2 and 3 for another that
 * leaves: those not sent yet come back withdrawn; nothing fails. */
static void
test_withdraw(void)
{
	struct sess_opts o;
	struct sess_req r;
	struct sess *s;
	char url[64];
	int a, b, quits = box.quits;
	size_t n;

	snprintf(url, sizeof url, "pop3://u@127.0.0.1:%d", box.port);
	memset(&o, 0, sizeof o);
	o.pop3.url = url;
	o.pop3.password = "x";
	o.pop3.tls = POP3_TLS_NONE;
	o.pop3.pipelining = 0;	/* one at a time: 2 and 3 wait unsent */
	o.account = "w@127.0.0.1:110";
	o.cbs.on_end = keep_end;
	end_calls = 0;
	withdrawn = completed = 0;
	s = sess_new(&o);
	ok(s && sess_connect(s) == SESS_OK, "withdraw: connected");
	if (!s)
		return;
	memset(&r, 0, sizeof r);
	r.cmd = POP3_RETR;
	r.on_done = count_done;
	r.n = 1;
	r.ctx = &a;
	sess_submit(s, &r);
	r.ctx = &b;
	r.n = 2;
	sess_submit(s, &r);
	r.n = 3;
	sess_submit(s, &r);
	n = sess_withdraw(s, &b);
	ok(n >= 1 && withdrawn == (int)n, "withdraw: %zu taken back, each on_done called "
	    "with POP3_WITHDRAWN at once", n);
	sess_wait(s);
	is_int(completed + withdrawn, 3, "withdraw: every request completed once");
	ok(sess_failure(s) == NULL, "withdraw: no failure");
	sess_finish(s);
	ok(end_calls == 1 && last_end.status == SESS_OK && !last_end.abandoned,
	    "withdraw: the session ends cleanly");
	sess_free(s);
	usleep(100000);
	is_int(box.quits - quits, 1, "withdraw: QUIT sent");
}

/* ---- deletion marks at the end ------------------------------------------ */

static int
durable_but(void *ctx, const char *uid)
{
	(void)ctx;
	return strcmp(uid, "not-durable") != 0;
}

static void
set_box(const char *const *uids, int n)
{
	int i;

	pthread_mutex_lock(&box.mu);
	for (i = 0; i < n; i++) {
		box.m[i].id = next_id++;
		snprintf(box.m[i].uid, sizeof box.m[i].uid, "%s", uids[i]);
	}
	box.n = n;
	box.has_uidl = 1;
	box.last_ok = 0;
	pthread_mutex_unlock(&box.mu);
}

/* One session on the state directory: LAST, RETR of retr (if any), the
 * marks; returns LAST's answer (from the record). */
static unsigned long
marks_session(const char *state, unsigned long retr, struct pop3_marks *m, int stepwise)
{
	struct sess_opts o;
	struct sess_req r;
	struct sess *s;
	char url[64];
	struct t *t = &T;

	memset(t, 0, sizeof *t);
	snprintf(url, sizeof url, "pop3://u@127.0.0.1:%d", box.port);
	memset(&o, 0, sizeof o);
	o.pop3.url = url;
	o.pop3.password = "x";
	o.pop3.tls = POP3_TLS_NONE;
	o.account = "m@127.0.0.1:110";
	o.state_dir = state;
	o.cbs.on_end = keep_end;
	o.marks = m;
	o.durable = durable_but;
	end_calls = 0;
	memset(&last_end, 0, sizeof last_end);
	s = sess_new(&o);
	if (!s || (stepwise ? connect_stepwise(s) : sess_connect(s)) != SESS_OK) {
		sess_free(s);
		return (unsigned long)-1;
	}
	t->s = s;
	t->stepwise = stepwise;
	sess_last(s, cb_last, t);
	drive(t);
	if (retr) {
		memset(&r, 0, sizeof r);
		r.cmd = POP3_RETR;
		r.n = retr;
		sess_submit(s, &r);
		drive(t);
	}
	if (stepwise) {
		struct pop3 *p = sess_pop3(s);
		struct pollfd pfd;
		int guard = 0, to;

		sess_end(s);
		while (!sess_ended(s) && guard++ < 100000) {
			pfd.fd = pop3_fd(p);
			pfd.events = pop3_events(p);
			pfd.revents = 0;
			to = pop3_timeout_ms(p);
			if (pfd.fd >= 0)
				poll(&pfd, 1, to < 0 || to > 100 ? 100 : to);
			sess_run(s);
		}
	} else {
		sess_finish(s);
	}
	sess_free(s);
	return t->last_got ? t->last : (unsigned long)-2;
}

static void
test_marks(void)
{
	static const char *const uids[] = { "u1", "u2", "not-durable", "u3", "dup", "dup" };
	char state[] = "/tmp/pouch-marks.XXXXXX", cmd[128];
	struct pop3_marks *m = pop3_marks_new();
	unsigned long last;

	if (!mkdtemp(state) || !m) {
		ok(0, "marks: setup");
		return;
	}
	set_box(uids, 6);
	pop3_marks_set(m, "u2", 1);
	pop3_marks_set(m, "not-durable", 1);
	pop3_marks_set(m, "u3", 1);
	/* Message 5 shares its UID with 6: the record keeps its number. */
	last = marks_session(state, 5, m, 1);
	is_int(last, 0, "marks: LAST before any retrieval: 0");
	ok(end_calls == 1 && last_end.status == SESS_OK && !last_end.abandoned,
	    "marks: the end went through (stepwise: login, LAST, RETR, marks, QUIT)");
	ok(last_end.marks.deleted == 2 && last_end.marks.kept == 1 && last_end.marks.gone == 0,
	    "marks: 2 deleted, the one without a durable copy kept (%zu %zu %zu)",
	    last_end.marks.deleted, last_end.marks.kept, last_end.marks.gone);
	is_int(box.n, 4, "marks: the server holds 4 messages");
	ok(pop3_marks_count(m) == 1 && pop3_marks_has(m, "not-durable"),
	    "marks: only the kept mark is left");
	/* Message 5 is now 3: the record's number followed the marks. */
	last = marks_session(state, 0, NULL, 0);
	is_int(last, 3, "marks: LAST after the marks' deletions: 3 (was 5)");
	pop3_marks_free(m);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", state);
	if (system(cmd) != 0)
		note("could not remove %s", state);
}

/* ---- the reader's end: soft replies, sess_end_marks -------------------- */

static int soft_err, soft_ok;

static int
soft_done(void *ctx, const struct pop3_reply *r)
{
	(void)ctx;
	if (r->status == POP3_ERR_SERVER)
		soft_err++;
	else if (r->status == POP3_OK)
		soft_ok++;
	return 0;
}

/* Stepwise, as the reader: a soft -ERR (RETR 99, TOP 99) leaves the session
 * standing; a DELE of the session's own is undone by RSET before the marks'
 * commit, so that exactly the marks are deleted; with no marks, nothing. */
static void
end_marks_session(const char *name, struct pop3_marks *m, int refuse_rset)
{
	struct sess_opts o;
	struct sess_req r;
	struct sess *s;
	struct pollfd pfd;
	char url[64];
	int guard = 0, to;

	snprintf(url, sizeof url, "pop3://u@127.0.0.1:%d", box.port);
	memset(&o, 0, sizeof o);
	o.pop3.url = url;
	o.pop3.password = "x";
	o.pop3.tls = POP3_TLS_NONE;
	o.account = "e@127.0.0.1:110";
	o.cbs.on_end = keep_end;
	end_calls = 0;
	soft_err = soft_ok = 0;
	memset(&last_end, 0, sizeof last_end);
	s = sess_new(&o);
	ok(s && connect_stepwise(s) == SESS_OK, "%s: connected", name);
	if (!s)
		return;
	memset(&r, 0, sizeof r);
	r.on_done = soft_done;
	r.soft = 1;
	r.cmd = POP3_RETR;
	r.n = 99;
	sess_submit(s, &r);
	r.cmd = POP3_TOP;
	sess_submit(s, &r);
	r.cmd = refuse_rset ? POP3_NOOP : POP3_DELE;
	r.n = 1;
	sess_submit(s, &r);
	r.cmd = POP3_RETR;
	r.n = 2;
	sess_submit(s, &r);
	if (refuse_rset) {
		/* the server's RSET is refused from here on (see serve()) */
		pthread_mutex_lock(&box.mu);
		box.refuse_rset = 1;
		pthread_mutex_unlock(&box.mu);
		r.cmd = POP3_DELE;
		r.n = 1;
		sess_submit(s, &r);
	}
	sess_end_marks(s, m, durable_but);
	while (!sess_ended(s) && guard++ < 100000) {
		pfd.fd = pop3_fd(sess_pop3(s));
		pfd.events = pop3_events(sess_pop3(s));
		pfd.revents = 0;
		to = pop3_timeout_ms(sess_pop3(s));
		if (pfd.fd >= 0)
			poll(&pfd, 1, to < 0 || to > 100 ? 100 : to);
		sess_run(s);
	}
	is_int(soft_err, 2, "%s: RETR 99 and TOP 99 answered -ERR to on_done", name);
	is_int(soft_ok, refuse_rset ? 3 : 2, "%s: the commands after them went on", name);
	ok(end_calls == 1, "%s: on_end once", name);
	if (refuse_rset) {
		const struct sess_failure *f = sess_failure(s);

		ok(f && f->status == SESS_ERR_SERVER && strcmp(f->label, "RSET") == 0 &&
		    last_end.abandoned, "%s: RSET refused is the failure; abandoned", name);
	} else {
		ok(sess_failure(s) == NULL && last_end.status == SESS_OK && !last_end.abandoned,
		    "%s: a clean end", name);
	}
	sess_free(s);
	usleep(100000);
	pthread_mutex_lock(&box.mu);
	box.refuse_rset = 0;
	pthread_mutex_unlock(&box.mu);
}

static void
test_end_marks(void)
{
	static const char *const uids[] = { "e1", "e2", "e3", "e4" };
	struct pop3_marks *m = pop3_marks_new();
	int rsets, quits;

	set_box(uids, 4);
	pop3_marks_set(m, "e3", 1);
	rsets = box.rsets;
	quits = box.quits;
	end_marks_session("end_marks", m, 0);
	ok(box.rsets - rsets == 1 && box.quits - quits == 1, "end_marks: RSET, then QUIT");
	ok(box.n == 3 && strcmp(box.m[0].uid, "e1") == 0 && strcmp(box.m[2].uid, "e4") == 0,
	    "end_marks: exactly the mark (e3) deleted, not the DELE 1 typed before (%d left)", box.n);
	rsets = box.rsets;
	quits = box.quits;
	end_marks_session("end_marks NULL", NULL, 0);
	ok(box.rsets - rsets == 1 && box.quits - quits == 1 && box.n == 3,
	    "end_marks NULL: RSET, QUIT, nothing deleted (%d)", box.n);
	quits = box.quits;
	pop3_marks_set(m, "e4", 1);
	end_marks_session("RSET refused", m, 1);
	ok(box.quits == quits && box.n == 3, "RSET refused: no QUIT, nothing deleted (%d)", box.n);
	pop3_marks_free(m);
}

/* ---- sess_opts.quit_early: QUIT behind the last RETR, sync after it ---- */

static struct {
	int dones, syncs, ends, order_bad;
	int quits_at_sync;	/* box.quits when sync was called */
	int sync_fails;
	struct sess *s;
} qe;

static int
qe_done(void *ctx, const struct pop3_reply *r)
{
	(void)ctx;
	if (qe.syncs)
		qe.order_bad++;	/* every RETR before sync */
	if (r->status == POP3_OK)
		qe.dones++;
	return 0;
}

static int
qe_sync(void *ctx)
{
	(void)ctx;
	if (qe.ends)
		qe.order_bad++;
	qe.syncs++;
	pthread_mutex_lock(&box.mu);
	qe.quits_at_sync = box.quits;
	pthread_mutex_unlock(&box.mu);
	if (qe.sync_fails) {
		sess_fail(qe.s, SESS_ERR_LOCAL, "sync", "disk full");
		return 1;
	}
	return 0;
}

static void
qe_end(void *ctx, const struct sess_end *e)
{
	(void)ctx;
	qe.ends++;
	last_end = *e;
}

/* RETR 1..3 (and DELE 1 when dele), then the end; returns box.quits before
 * the session. */
static int
qe_session(const char *state, int stepwise, int sync_fails, int dele)
{
	struct sess_opts o;
	struct sess_req r;
	struct sess *s;
	char url[64];
	unsigned long n;
	int quits, guard = 0, to;

	snprintf(url, sizeof url, "pop3://u@127.0.0.1:%d", box.port);
	memset(&o, 0, sizeof o);
	o.pop3.url = url;
	o.pop3.password = "x";
	o.pop3.tls = POP3_TLS_NONE;
	o.account = "q@127.0.0.1:110";
	o.state_dir = state;
	o.cbs.sync = qe_sync;
	o.cbs.on_end = qe_end;
	o.quit_early = 1;
	memset(&qe, 0, sizeof qe);
	memset(&last_end, 0, sizeof last_end);
	qe.sync_fails = sync_fails;
	qe.quits_at_sync = -1;
	pthread_mutex_lock(&box.mu);
	quits = box.quits;
	pthread_mutex_unlock(&box.mu);
	s = qe.s = sess_new(&o);
	if (!s || (stepwise ? connect_stepwise(s) : sess_connect(s)) != SESS_OK) {
		sess_free(s);
		return -1;
	}
	sess_expect_retr(s, 3);
	memset(&r, 0, sizeof r);
	r.on_done = qe_done;
	for (n = 1; n <= 3; n++) {
		r.cmd = POP3_RETR;
		r.n = n;
		sess_submit(s, &r);
	}
	if (dele) {
		r.cmd = POP3_DELE;
		r.n = 1;
		sess_submit(s, &r);
	}
	if (stepwise) {
		struct pop3 *p = sess_pop3(s);
		struct pollfd pfd;

		sess_end(s);
		while (!sess_ended(s) && guard++ < 100000) {
			pfd.fd = pop3_fd(p);
			pfd.events = pop3_events(p);
			pfd.revents = 0;
			to = pop3_timeout_ms(p);
			if (pfd.fd >= 0)
				poll(&pfd, 1, to < 0 || to > 100 ? 100 : to);
			sess_run(s);
		}
	} else {
		sess_finish(s);
	}
	sess_free(s);
	usleep(50000);	/* the server thread takes QUIT's commit */
	return quits;
}

static void
test_quit_early(void)
{
	static const char *const uids[] = { "q1", "q2", "q3", "q4" };
	char state[] = "/tmp/pouch-qe.XXXXXX", cmd[128], *rec;
	int quits, mode;

	if (!mkdtemp(state) || !(rec = lastrec_store_path(state))) {
		ok(0, "quit_early: setup");
		return;
	}
	for (mode = 0; mode < 2; mode++) {
		const char *how = mode ? "stepwise" : "blocking";

		set_box(uids, 4);
		unlink(rec);
		quits = qe_session(state, mode, 0, 0);
		ok(quits >= 0 && qe.dones == 3 && qe.syncs == 1 && qe.ends == 1 && !qe.order_bad,
		    "quit_early %s: 3 RETRs, then sync once, then on_end (%d %d %d %d)", how,
		    qe.dones, qe.syncs, qe.ends, qe.order_bad);
		ok(last_end.status == SESS_OK && !last_end.abandoned && box.quits == quits + 1 &&
		    box.n == 4, "quit_early %s: a clean end, one QUIT, nothing deleted", how);
		if (!mode)
			is_int(qe.quits_at_sync, quits + 1,
			    "quit_early blocking: QUIT was answered before sync was called");
		ok(access(rec, F_OK) == 0, "quit_early %s: the LAST record written after sync", how);

		/* sync fails: a local failure, whatever QUIT said; no record. */
		unlink(rec);
		quits = qe_session(state, mode, 1, 0);
		ok(qe.syncs == 1 && qe.ends == 1 && last_end.status == SESS_ERR_LOCAL &&
		    last_end.abandoned, "quit_early %s, sync fails: SESS_ERR_LOCAL, abandoned (%d)",
		    how, last_end.status);
		ok(box.quits == quits + 1 && box.n == 4,
		    "quit_early %s, sync fails: the early QUIT went, nothing deleted", how);
		ok(access(rec, F_OK) != 0, "quit_early %s, sync fails: no LAST record", how);

		/* A DELE in the session: QUIT waits for sync, as without the flag. */
		quits = qe_session(state, mode, 0, 1);
		ok(qe.syncs == 1 && qe.quits_at_sync == quits && last_end.status == SESS_OK &&
		    box.quits == quits + 1 && box.n == 3,
		    "quit_early %s with a DELE: sync before QUIT, then QUIT commits it (%d left)",
		    how, box.n);
	}
	free(rec);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", state);
	if (system(cmd) != 0)
		note("could not remove %s", state);
}

int
main(void)
{
	if (server_start() < 0) {
		ok(0, "the test server starts");
		return done_testing();
	}
	pthread_mutex_lock(&box.mu);
	box.has_uidl = 1;
	box.last_ok = 1;
	pthread_mutex_unlock(&box.mu);
	for (int i = 0; i < 3; i++)
		new_mail(0);
	/* Issue 9 item 3: a local failure closes at once, no QUIT. */
	failing_session("on_data fails", 1, data_fails, SESS_ERR_LOCAL, "RETR 1", 0, 0);
	/* A -ERR: RSET, then QUIT. */
	failing_session("RETR 9 refused", 9, NULL, SESS_ERR_SERVER, "RETR 9", 1, 1);
	test_marks();
	test_withdraw();
	test_end_marks();
	test_quit_early();
	run("UIDL", 1, 0, 60, 1);
	run("no UIDL", 0, 0, 60, 2);
	run("UIDL with duplicate UIDs", 1, 1, 60, 3);
	run("UIDL, another seed", 1, 0, 60, 4);
	run("duplicate UIDs, another seed", 1, 1, 60, 5);
	/* New mail reusing a retrieved message's UID, and a DELE of that
	 * message before LAST: with the UIDL map taken after the DELE, the
	 * record's UID seemed to name the new mail (LAST 8 for 7). */
	run("duplicate UIDs, seed 43", 1, 1, 80, 43);
	box.stop = 1;
	return done_testing();
}
