/*
 * pop3_login.c: reaching the server and logging in (see pop3.h): the URL,
 * the TLS policy, libcurl's POP3 backend in CONNECT_ONLY mode driven through
 * the multi socket interface from the caller's poll loop (pop3_run), the
 * engine's part of the login (USER/PASS, the post-login CAPA), a second try
 * when libcurl picked DIGEST-MD5, and curl's errors turned into pop3_status
 * and plain words. The login trace is in pop3_curltrace.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pop3_priv.h"

void
pop3_wipe(char **p)
{
	str_wipe_free(*p);
	*p = NULL;
}

/*
 * Gives the connection up without QUIT. The socket is shut down first, so
 * that nothing libcurl might still want to say on cleanup can reach the
 * server: its POP3 backend has a disconnect handler that sends QUIT to a
 * live connection. 7.88 was measured to send none in CONNECT_ONLY mode, but
 * the mail's safety should not hang on that. The server sees the connection
 * drop and commits no deletion.
 */
void
pop3_close_conn(struct pop3 *s)
{
	if (s->fd != CURL_SOCKET_BAD)
		shutdown(s->fd, SHUT_RDWR);
	s->fd = CURL_SOCKET_BAD;
	if (s->multi && s->curl)
		curl_multi_remove_handle(s->multi, s->curl);
	if (s->curl)
		curl_easy_cleanup(s->curl);
	if (s->multi)
		curl_multi_cleanup(s->multi);
	s->curl = NULL;
	s->multi = NULL;
	if (s->epfd >= 0)
		close(s->epfd);
	s->epfd = -1;
	s->curl_sock = CURL_SOCKET_BAD;
	s->timer_at = -1;
}

static int
is_loopback(const char *host)
{
	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    strcmp(host, "::1") == 0)
		return 1;
	/* 127.0.0.0/8 written as a dotted quad */
	if (strncmp(host, "127.", 4) == 0) {
		const char *p = host + 4;
		int dots = 0;

		for (; *p; p++) {
			if (*p == '.')
				dots++;
			else if (*p < '0' || *p > '9')
				return 0;
		}
		return dots == 2;
	}
	return 0;
}

static const char *const sasl_mechs[] = {
	"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256",
	"XOAUTH2", "OAUTHBEARER", "DIGEST-MD5", "NTLM", "EXTERNAL", NULL,
};

static enum pop3_status
map_curl_error(struct pop3 *s, CURLcode rc, const char *user)
{
	const char *why = s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);
	char *p, sasl[160];

	switch (rc) {
	case CURLE_LOGIN_DENIED:
	case CURLE_AUTH_ERROR:
		if (*pop3_sasl_error_text(s, sasl, sizeof sasl))
			return pop3_fail(s, POP3_ERR_AUTH,
			    "%s refused the token of %s (%s: %s)", s->where, user,
			    s->auth, sasl);
		if (s->srvtext && *s->srvtext)
			return pop3_fail(s, POP3_ERR_AUTH,
			    "%s refused the login of %s", s->where, user);
		return pop3_fail(s, POP3_ERR_AUTH, "login to %s as %s failed: "
		    "the server offers none of the login methods asked for (%s)",
		    s->where, user, s->auth ? s->auth : "any");
	case CURLE_USE_SSL_FAILED:
		return pop3_fail(s, POP3_ERR_TLS, "%s %s STLS; the password is not "
		    "sent in plain text (use pop3s://, or turn TLS off explicitly)",
		    s->where, s->stls_sent == 1 ? "refused" : "does not offer");
	case CURLE_PEER_FAILED_VERIFICATION:
		return pop3_fail(s, POP3_ERR_TLS, "the certificate of %s is not "
		    "trusted: %s", s->where, why);
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return pop3_fail(s, POP3_ERR_TLS, "the public key of %s does not "
		    "match the pinned key", s->where);
	case CURLE_SSL_CACERT_BADFILE:
		return pop3_fail(s, POP3_ERR_TLS, "cannot use the CA file %s: %s",
		    s->cacert ? s->cacert : "(system)", why);
	case CURLE_SSL_CONNECT_ERROR:
		return pop3_fail(s, POP3_ERR_TLS, "TLS handshake with %s failed: %s",
		    s->where, why);
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
		return pop3_fail(s, POP3_ERR_TLS, "TLS with %s failed: %s",
		    s->where, why);
	case CURLE_COULDNT_RESOLVE_HOST:
		return pop3_fail(s, POP3_ERR_NET, "cannot resolve the host of %s: %s",
		    s->where, why);
	case CURLE_COULDNT_CONNECT:
		return pop3_fail(s, POP3_ERR_NET, "cannot connect to %s: %s",
		    s->where, why);
	case CURLE_OPERATION_TIMEDOUT:
		return pop3_fail(s, POP3_ERR_TIMEOUT, "%s did not answer in time "
		    "during login: %s", s->where, why);
	case CURLE_WEIRD_SERVER_REPLY:
		if (s->bad_greeting) {
			for (p = s->bad_greeting; *p; p++)
				if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
					*p = '?';
			return pop3_fail(s, POP3_ERR_PROTO, "%s is not a POP3 server; "
			    "it greets with \"%s\"", s->where, s->bad_greeting);
		}
		if (!s->seen_greeting || !s->greeting)
			return pop3_fail(s, POP3_ERR_PROTO, "%s does not greet like "
			    "a POP3 server: %s", s->where, why);
		return pop3_fail(s, POP3_ERR_PROTO, "%s broke the protocol "
		    "during login: %s", s->where, why);
	case CURLE_ABORTED_BY_CALLBACK:
		return pop3_fail(s, POP3_ERR_CANCELLED, "cancelled while "
		    "connecting to %s", s->where);
	case CURLE_OUT_OF_MEMORY:
		return pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_NOT_BUILT_IN:
	case CURLE_UNKNOWN_OPTION:
		return pop3_fail(s, POP3_ERR_USAGE, "cannot use %s: %s", s->where, why);
	default:
		return pop3_fail(s, POP3_ERR_NET, "connection to %s failed "
		    "during login: %s", s->where, why);
	}
}

/*
 * While libcurl connects, the caller polls one descriptor: an epoll set
 * holding every socket libcurl asks about (the resolver's, the two
 * addresses of a happy-eyeballs race, the connection).
 */
static int
sock_cb(CURL *e, curl_socket_t fd, int what, void *ctx, void *sockp)
{
	struct pop3 *s = ctx;
	struct epoll_event ev;

	(void)e;
	(void)sockp;
	if (s->epfd < 0)
		return 0;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);	/* may be closed already */
		/* The loser of a happy-eyeballs race: its number may come
		 * back for something else, and is never to be shut down. */
		if (fd == s->curl_sock)
			s->curl_sock = CURL_SOCKET_BAD;
		return 0;
	}
	memset(&ev, 0, sizeof ev);
	ev.data.fd = fd;
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) |
	    (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
		epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
	s->curl_sock = fd;
	return 0;
}

static int
timer_cb(CURLM *m, long ms, void *ctx)
{
	struct pop3 *s = ctx;

	(void)m;
	s->timer_at = ms < 0 ? -1 : pop3_now_ms() + ms;
	return 0;
}

/* At most this long between two runs of libcurl while it connects: its
 * TLS layer may hold decrypted bytes that no socket shows. */
#define CONNECT_POLL_MS 250

int
pop3_login_timeout_ms(const struct pop3 *s)
{
	long long left;

	if (s->timer_at < 0)
		return CONNECT_POLL_MS;
	left = s->timer_at - pop3_now_ms();
	if (left < 0)
		left = 0;
	return left > CONNECT_POLL_MS ? CONNECT_POLL_MS : (int)left;
}

#define SETOPT(opt, val) do { \
	if (curl_easy_setopt(s->curl, opt, val) != CURLE_OK) { \
		what = #opt; \
		goto setopt_failed; \
	} \
} while (0)

/* Sets libcurl off on the options worked out by pop3_login_curl. */
static enum pop3_status
start_curl(struct pop3 *s)
{
	const char *what = "";

	s->multi = curl_multi_init();
	s->curl = curl_easy_init();
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!s->multi || !s->curl || s->epfd < 0)
		return pop3_fail(s, POP3_ERR_NOMEM, "cannot set up the connection: %s",
		    s->epfd < 0 ? strerror(errno) : "out of memory");
	if (curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, sock_cb) != CURLM_OK ||
	    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s) != CURLM_OK ||
	    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, timer_cb) != CURLM_OK ||
	    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s) != CURLM_OK)
		return pop3_fail(s, POP3_ERR_USAGE, "this libcurl (%s) lacks the "
		    "multi socket interface", curl_version());
	SETOPT(CURLOPT_URL, s->curl_url);
	SETOPT(CURLOPT_PROTOCOLS_STR, "pop3,pop3s");
	SETOPT(CURLOPT_CONNECT_ONLY, 1L);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, s->errbuf);
	SETOPT(CURLOPT_VERBOSE, 1L);	/* the debug callback needs it */
	SETOPT(CURLOPT_DEBUGFUNCTION, pop3_debug_cb);
	SETOPT(CURLOPT_DEBUGDATA, s);
	SETOPT(CURLOPT_USE_SSL, s->usessl);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->cacert)
		SETOPT(CURLOPT_CAINFO, s->cacert);
	if (s->pinned)
		SETOPT(CURLOPT_PINNEDPUBLICKEY, s->pinned);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms);
#if LIBCURL_VERSION_NUM >= 0x080600
	SETOPT(CURLOPT_SERVER_RESPONSE_TIMEOUT_MS, s->reply_timeout_ms);
#else
	SETOPT(CURLOPT_SERVER_RESPONSE_TIMEOUT, (s->reply_timeout_ms + 999) / 1000);
#endif
	/* A login takes a handful of round trips; past this something hangs. */
	SETOPT(CURLOPT_TIMEOUT_MS, s->connect_timeout_ms + 4 * s->reply_timeout_ms);
	if (!s->user_mode) {
		SETOPT(CURLOPT_USERNAME, s->login_user);
		SETOPT(CURLOPT_LOGIN_OPTIONS, s->opts);
		/* RFC 5034: the first SASL response may ride on AUTH, which
		 * saves a round trip (masked in the trace like the rest). */
		SETOPT(CURLOPT_SASL_IR, 1L);
		if (s->bearer)
			SETOPT(CURLOPT_XOAUTH2_BEARER, s->password);
		else
			SETOPT(CURLOPT_PASSWORD, s->password);
	}
	s->errbuf[0] = '\0';
	if (curl_multi_add_handle(s->multi, s->curl) != CURLM_OK)
		return pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
	s->state = P_CONNECTING;
	return POP3_OK;

setopt_failed:
	return pop3_fail(s, POP3_ERR_USAGE, "this libcurl (%s) lacks %s",
	    curl_version(), what);
}

/*
 * Works out what libcurl is to do (URL, TLS policy, login method) and sets
 * it off. For auth "USER" libcurl is given no user, so it stops after
 * CAPA/STLS and the engine sends USER and PASS itself.
 */
enum pop3_status
pop3_login_curl(struct pop3 *s)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *port = NULL, *uuser = NULL;
	char *upass = NULL, *path = NULL, *url = NULL;
	const char *user, *pass;
	int i;
	enum pop3_status st = POP3_OK;

	u = curl_url();
	if (!u)
		return pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
	if (!s->url || curl_url_set(u, CURLUPART_URL, s->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		st = pop3_fail(s, POP3_ERR_USAGE, "not a POP3 URL: %s (expected "
		    "pop3://[user@]host[:port] or pop3s://...)", s->url ? s->url : "(none)");
		goto out;
	}
	free(s->where);
	s->where = str_printf("%s:%s", host, port);
	if (!s->where) {
		st = pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
		goto out;
	}
	s->pop3s = strcasecmp(scheme, "pop3s") == 0;
	if (!s->pop3s && strcasecmp(scheme, "pop3") != 0) {
		st = pop3_fail(s, POP3_ERR_USAGE, "%s: the scheme must be pop3:// "
		    "or pop3s://", s->url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK &&
	    path && strcmp(path, "/") != 0 && *path) {
		st = pop3_fail(s, POP3_ERR_USAGE, "%s: a POP3 URL for pouch names "
		    "no message (no path after the host)", s->url);
		goto out;
	}
	curl_url_get(u, CURLUPART_USER, &uuser, CURLU_URLDECODE);
	curl_url_get(u, CURLUPART_PASSWORD, &upass, CURLU_URLDECODE);
	user = s->user ? s->user : uuser;
	pass = s->password ? s->password : upass;
	if (!user || !*user) {
		st = pop3_fail(s, POP3_ERR_USAGE, "no user name for %s: give it in "
		    "the URL (pop3://user@host) or as an option", s->where);
		goto out;
	}
	if (!pass) {
		st = pop3_fail(s, POP3_ERR_USAGE, "no password for %s@%s", user,
		    s->where);
		goto out;
	}
	/* libcurl gets the user and password through options only: the URL
	 * it sees carries none, so that it cannot prefer one over the other. */
	curl_url_set(u, CURLUPART_USER, NULL, 0);
	curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
	curl_url_set(u, CURLUPART_OPTIONS, NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK ||
	    !(s->curl_url = str_printf("%s", url)) ||
	    !(s->login_user = str_printf("%s", user))) {
		st = pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* Kept until login is done: a second try (DIGEST-MD5, below) needs
	 * it, and an echo of it is masked until then. */
	if (pass != s->password) {
		pop3_wipe(&s->password);
		if (!(s->password = str_printf("%s", pass))) {
			st = pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	pop3_secret_add(s, s->password, strlen(s->password));

	switch (s->tls) {
	case POP3_TLS_NONE:
		if (s->pop3s) {
			st = pop3_fail(s, POP3_ERR_USAGE, "%s: pop3s:// always uses "
			    "TLS; use pop3:// for plain text", s->url);
			goto out;
		}
		s->usessl = CURLUSESSL_NONE;
		break;
	case POP3_TLS_REQUIRED:
		s->usessl = CURLUSESSL_ALL;
		break;
	default:
		/* Plain text only ever on the loopback, and only when the
		 * server offers no STLS: nobody can listen there. */
		s->usessl = is_loopback(host) ? CURLUSESSL_TRY : CURLUSESSL_ALL;
		break;
	}

	if (!s->auth || !*s->auth) {
		s->opts = str_printf("AUTH=*");
	} else if (strcasecmp(s->auth, "USER") == 0) {
		s->user_mode = 1;
	} else if (strcasecmp(s->auth, "APOP") == 0) {
		s->opts = str_printf("AUTH=+APOP");
	} else {
		for (i = 0; sasl_mechs[i]; i++)
			if (strcasecmp(s->auth, sasl_mechs[i]) == 0)
				break;
		if (!sasl_mechs[i]) {
			st = pop3_fail(s, POP3_ERR_USAGE, "unknown login method %s "
			    "(USER, APOP, PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, "
			    "SCRAM-SHA-256, XOAUTH2, OAUTHBEARER, DIGEST-MD5)", s->auth);
			goto out;
		}
		if (strncmp(sasl_mechs[i], "SCRAM", 5) == 0 &&
		    !(curl_version_info(CURLVERSION_NOW)->features &
		    CURL_VERSION_GSASL)) {
			st = pop3_fail(s, POP3_ERR_USAGE, "%s needs a libcurl built "
			    "with libgsasl; this one (%s) has none", sasl_mechs[i],
			    curl_version());
			goto out;
		}
		s->opts = str_printf("AUTH=%s", sasl_mechs[i]);
		s->bearer = strcmp(sasl_mechs[i], "XOAUTH2") == 0 ||
		    strcmp(sasl_mechs[i], "OAUTHBEARER") == 0;
	}
	if (!s->user_mode && !s->opts) {
		st = pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
		goto out;
	}
	st = start_curl(s);
out:
	if (upass)
		explicit_bzero(upass, strlen(upass));
	pop3_wipe(&s->url);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(uuser);
	curl_free(upass);
	curl_free(path);
	curl_free(url);
	curl_url_cleanup(u);
	return st;
}

/* libcurl chose DIGEST-MD5 and the connection was dropped before anything
 * answered its challenge: connect again with what else the server offers. */
static enum pop3_status
digest_again(struct pop3 *s)
{
	struct dbuf d;

	dbuf_init(&d, 0);
	pop3_digest_instead(s, &d);
	free(s->opts);
	s->opts = NULL;
	if (d.len > 0) {
		dbuf_add(&d, "", 1);
		s->opts = d.p;
		d.p = NULL;
	} else if (s->apop_offered) {
		s->opts = str_printf("AUTH=+APOP");
	} else {
		s->user_mode = 1;
	}
	dbuf_free(&d);
	if (!s->user_mode && !s->opts)
		return pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
	pop3_note(s, "DIGEST-MD5 is obsolete (RFC 6331) and %s offers other "
	    "methods: connecting again (%s)", s->where, s->user_mode ? "USER" :
	    s->opts);
	pop3_close_conn(s);
	s->seen_greeting = s->stls_sent = s->sasl_active = s->auth_sent = 0;
	s->capa_sent = s->tls_active = s->utf8 = 0;
	free(s->auth_used);
	s->auth_used = NULL;
	return start_curl(s);
}

/* A failed login leaves no half-made session behind, not even after a
 * USAGE error (which pop3_fail does not treat as fatal). Returns st. */
static enum pop3_status
login_failed(struct pop3 *s, enum pop3_status st)
{
	if (s->state != P_DEAD) {
		pop3_close_conn(s);
		s->state = P_DEAD;
		s->fatal = st;
	}
	pop3_wipe(&s->password);
	pop3_secrets_wipe(s);
	return st;
}

/* Logged in and CAPA read: the caller's requests may go. */
static void
login_finished(struct pop3 *s)
{
	if (s->want_pipelining > 0 ||
	    (s->want_pipelining < 0 && pop3_has_capa(s, "PIPELINING")))
		s->pipelining = 1;
	pop3_note(s, "pipelining %s", s->pipelining ? "on" : "off");
	pop3_secrets_wipe(s);
	s->state = P_UP;
}

/* The answer to UTF8: +OK or -ERR, the session goes on either way (a
 * server may offer UTF8 and still refuse it here). */
static void
utf8_done(void *ctx, const struct pop3_reply *r)
{
	struct pop3 *s = ctx;

	if (pop3_status_fatal(r->status))
		return;
	s->utf8 = r->status == POP3_OK;
	if (!s->utf8)
		pop3_note(s, "UTF8 refused; going on without it");
	if (s->state == P_LOGIN)
		login_finished(s);
}

static void
capa_done(void *ctx, const struct pop3_reply *r)
{
	struct pop3 *s = ctx;
	struct pop3_req u;

	s->early = 0;
	if (pop3_status_fatal(r->status))
		return;
	dbuf_reset(&s->capa);
	if (r->status == POP3_OK && r->body)
		dbuf_add(&s->capa, r->body, r->body_len);
	free(s->capa_err);
	s->capa_err = NULL;
	if (r->status != POP3_OK && !(s->capa_err = str_printf("%s", r->text))) {
		login_failed(s, pop3_fail(s, POP3_ERR_NOMEM, "out of memory"));
		return;
	}
	/* RFC 6856: a server that lists UTF8 may hold back a message whose
	 * headers are raw UTF-8 until the client says UTF8 (Courier serves a
	 * "Cannot display Unicode content" notice in its place, issue 9). It
	 * goes out before any command of the caller's; its reply is a
	 * single line, read as NOOP's. */
	if (r->status == POP3_OK && pop3_has_capa(s, "UTF8")) {
		memset(&u, 0, sizeof u);
		u.cmd = POP3_NOOP;
		u.on_done = utf8_done;
		u.ctx = s;
		if (pop3_submit_login(s, &u, "UTF8", NULL, 0) != POP3_OK) {
			login_failed(s, pop3_fail(s, POP3_ERR_NOMEM, "out of memory"));
			return;
		}
		/* Listing commands already followed CAPA: their replies come
		 * before UTF8's, so the login counts as done now; UTF8 still
		 * goes ahead of every RETR and TOP (queued first). */
		if (s->early_sent)
			login_finished(s);
		return;
	}
	login_finished(s);
}

/* The login itself is done; what the server offers after it (RFC 2449
 * section 5: it may differ from before) comes next, unless CAPA was
 * refused before login already. */
static void
logged_in(struct pop3 *s)
{
	struct pop3_req r;

	pop3_wipe(&s->password);
	pop3_note(s, "logged in to %s%s", s->where, s->tls_active ? " over TLS" :
	    " in plain text");
	if (s->capa_refused) {
		login_finished(s);
		return;
	}
	memset(&r, 0, sizeof r);
	r.cmd = POP3_CAPA;
	r.on_done = capa_done;
	r.ctx = s;
	if (pop3_submit_login(s, &r, "CAPA", NULL, 0) != POP3_OK) {
		login_failed(s, pop3_fail(s, POP3_ERR_NOMEM, "out of memory"));
		return;
	}
	/* The caller's listing may follow this CAPA at once (can_send) when
	 * the CAPA before login offered PIPELINING and pipelining is not
	 * turned off. */
	s->early = s->capa_pipelining && s->want_pipelining != 0;
}

static void
pass_done(void *ctx, const struct pop3_reply *r)
{
	struct pop3 *s = ctx;

	if (r->status == POP3_OK) {
		free(s->auth_used);
		s->auth_used = str_printf("USER");
		logged_in(s);
	} else if (r->status == POP3_ERR_SERVER) {
		login_failed(s, pop3_fail(s, POP3_ERR_AUTH,
		    "%s refused the login of %s", s->where, s->login_user));
	}
}

static void
user_done(void *ctx, const struct pop3_reply *r)
{
	struct pop3 *s = ctx;
	struct pop3_req q;

	if (r->status == POP3_ERR_SERVER) {
		login_failed(s, pop3_fail(s, POP3_ERR_AUTH,
		    "%s refused the login of %s", s->where, s->login_user));
		return;
	}
	if (r->status != POP3_OK)
		return;
	/* PASS only after USER was accepted (RFC 1939 7): a server that
	 * refused the name gets no password. */
	memset(&q, 0, sizeof q);
	q.cmd = POP3_NOOP;	/* the reply is a status line */
	q.on_done = pass_done;
	q.ctx = s;
	if (pop3_submit_login(s, &q, "PASS", s->password, 1) != POP3_OK)
		login_failed(s, pop3_fail(s, POP3_ERR_NOMEM, "out of memory"));
}

/* libcurl has finished its part of the login, well or not. */
static enum pop3_status
curl_done(struct pop3 *s, CURLcode rc)
{
	struct pop3_req r;

	/* libcurl keeps its own copy of the secret until it is unset */
	curl_easy_setopt(s->curl, CURLOPT_PASSWORD, NULL);
	curl_easy_setopt(s->curl, CURLOPT_XOAUTH2_BEARER, NULL);
	if (s->digest_retry == 1) {
		s->digest_retry = 2;
		return digest_again(s);
	}
	if (rc != CURLE_OK)
		return login_failed(s, map_curl_error(s, rc, s->login_user));
	if (curl_easy_getinfo(s->curl, CURLINFO_ACTIVESOCKET, &s->fd) != CURLE_OK ||
	    s->fd == CURL_SOCKET_BAD)
		return login_failed(s, pop3_fail(s, POP3_ERR_NET, "connection to "
		    "%s lost after login", s->where));
	/* From here on the engine traces its own lines; libcurl's notes
	 * about curl_easy_recv would only be noise. */
	curl_easy_setopt(s->curl, CURLOPT_VERBOSE, 0L);
	close(s->epfd);
	s->epfd = -1;
	s->timer_at = -1;
	if (s->pop3s)
		s->tls_active = 1;
	s->state = P_LOGIN;
	if (!s->user_mode) {
		logged_in(s);
		return pop3_ended(s) == POP3_ERR_USAGE ? POP3_OK : pop3_ended(s);
	}
	if (strpbrk(s->login_user, "\r\n") || strpbrk(s->password, "\r\n"))
		return login_failed(s, pop3_fail(s, POP3_ERR_USAGE, "the user name "
		    "or the password holds a line break"));
	memset(&r, 0, sizeof r);
	r.cmd = POP3_NOOP;	/* the reply is a status line */
	r.on_done = user_done;
	r.ctx = s;
	if (pop3_submit_login(s, &r, "USER", s->login_user, 0) != POP3_OK)
		return login_failed(s, pop3_fail(s, POP3_ERR_NOMEM, "out of memory"));
	return POP3_OK;
}

enum pop3_status
pop3_login_run(struct pop3 *s)
{
	struct epoll_event ev[8];
	CURLMsg *m;
	CURLcode rc = CURLE_OK;
	int n, i, running, left, done = 0, bits;

	n = epoll_wait(s->epfd, ev, 8, 0);
	for (i = 0; i < n && s->multi; i++) {
		bits = (ev[i].events & (EPOLLIN | EPOLLHUP) ? CURL_CSELECT_IN : 0) |
		    (ev[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
		    (ev[i].events & EPOLLERR ? CURL_CSELECT_ERR : 0);
		if (curl_multi_socket_action(s->multi, ev[i].data.fd, bits,
		    &running) != CURLM_OK)
			return login_failed(s, pop3_fail(s, POP3_ERR_NOMEM,
			    "libcurl failed while connecting to %s", s->where));
	}
	if (n <= 0 && s->curl_sock != CURL_SOCKET_BAD &&
	    curl_multi_socket_action(s->multi, s->curl_sock, 0, &running) != CURLM_OK)
		return login_failed(s, pop3_fail(s, POP3_ERR_NOMEM,
		    "libcurl failed while connecting to %s", s->where));
	if (s->timer_at >= 0 && pop3_now_ms() >= s->timer_at) {
		s->timer_at = -1;
		if (curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0,
		    &running) != CURLM_OK)
			return login_failed(s, pop3_fail(s, POP3_ERR_NOMEM,
			    "libcurl failed while connecting to %s", s->where));
	}
	while ((m = curl_multi_info_read(s->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE && m->easy_handle == s->curl) {
			done = 1;
			rc = m->data.result;
		}
	if (!done && s->bad_greeting)	/* libcurl would wait for the timeout */
		return login_failed(s, map_curl_error(s, CURLE_WEIRD_SERVER_REPLY,
		    s->login_user));
	return done ? curl_done(s, rc) : POP3_OK;
}

enum pop3_status
pop3_connect_start(struct pop3 *s)
{
	enum pop3_status st;

	if (s->state != P_NEW)
		return pop3_fail(s, POP3_ERR_USAGE, "the session has connected before");
	st = pop3_login_curl(s);
	return st == POP3_OK ? POP3_OK : login_failed(s, st);
}

enum pop3_status
pop3_connect(struct pop3 *s)
{
	enum pop3_status st;

	if (s->state != P_NEW)
		return pop3_fail(s, POP3_ERR_USAGE, "pop3_connect called twice");
	st = pop3_connect_start(s);
	if (st == POP3_OK)
		st = pop3_wait(s);
	if (st == POP3_OK && s->state != P_UP)
		st = pop3_ended(s);
	return st == POP3_OK ? st : login_failed(s, st);
}

int
pop3_tls_info(const struct pop3 *s, struct pop3_tls_info *ti)
{
	memset(ti, 0, sizeof *ti);
	if (!s->have_tlsi || !s->tls_active || !POP3_ENGINE_LIVE(s))
		return -1;
	*ti = s->tlsi;
	return 0;
}
