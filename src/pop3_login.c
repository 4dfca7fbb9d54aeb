/*
 * pop3_login.c: reaching the server and logging in (see pop3.h): the URL,
 * the TLS policy, libcurl's POP3 backend in CONNECT_ONLY mode driven by a
 * multi handle (so that tick runs every 100 ms), the login trace with its
 * secrets masked, and curl's errors turned into pop3_status and plain words.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pop3_priv.h"

#define MASK "********"

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

/* Calls fn for each line of a debug callback's data, without its CRLF. */
static void
each_line(struct pop3 *s, const char *p, size_t n,
    void (*fn)(struct pop3 *, const char *, size_t))
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t l = nl ? (size_t)(nl - p) : n, len = l;

		if (len > 0 && p[len - 1] == '\r')
			len--;
		fn(s, p, len);
		if (!nl)
			break;
		p += l + 1;
		n -= l + 1;
	}
}

static int
starts_word(const char *p, size_t n, const char *w)
{
	size_t k = strlen(w);

	return n >= k && strncasecmp(p, w, k) == 0 && (n == k || p[k] == ' ');
}

/*
 * A line libcurl sent during login. Only lines known to carry no secret are
 * shown as they are; any other (PASS, SASL responses, a line split by a
 * short write) shows at most its command word.
 */
static void
trace_client_line(struct pop3 *s, const char *p, size_t len)
{
	char buf[128];
	const char *sp;

	if (s->sasl_active) {
		s->trace(s->trace_ctx, 'C', MASK, strlen(MASK));
		return;
	}
	if (starts_word(p, len, "AUTH")) {
		s->sasl_active = 1;
		sp = memchr(p + 5 < p + len ? p + 5 : p + len, ' ',
		    len > 5 ? len - 5 : 0);
		if (!sp) {
			s->trace(s->trace_ctx, 'C', p, len);
			return;
		}
		if ((size_t)(sp - p) + sizeof MASK + 1 > sizeof buf)
			return;
		memcpy(buf, p, (size_t)(sp - p) + 1);
		memcpy(buf + (sp - p) + 1, MASK, sizeof MASK);
		s->trace(s->trace_ctx, 'C', buf, strlen(buf));
		return;
	}
	if (starts_word(p, len, "USER") || starts_word(p, len, "CAPA") ||
	    starts_word(p, len, "STLS") || starts_word(p, len, "APOP") ||
	    starts_word(p, len, "QUIT")) {
		s->trace(s->trace_ctx, 'C', p, len);
		return;
	}
	if (len >= 4 && starts_word(p, len, "PASS")) {
		s->trace(s->trace_ctx, 'C', "PASS " MASK, strlen("PASS " MASK));
		return;
	}
	s->trace(s->trace_ctx, 'C', MASK, strlen(MASK));
}

static void
server_line(struct pop3 *s, const char *p, size_t len)
{
	size_t t;
	enum pop3_status_kind k = pop3_reply_status(p, len, &t);

	if (!s->seen_greeting) {
		s->seen_greeting = 1;
		/* libcurl would wait for a POP3 status until the timeout */
		if (k == POP3_STATUS_BAD)
			s->bad_greeting = str_ndup(p, len > 60 ? 60 : len);
		if (k == POP3_STATUS_OK) {
			free(s->greeting);
			s->greeting = str_ndup(p + t, len - t);
		}
	}
	if (k == POP3_STATUS_OK || k == POP3_STATUS_ERR)
		s->sasl_active = 0;
	if (k == POP3_STATUS_OK && s->stls_sent == 1) {
		s->stls_sent = 2;
		s->tls_active = 1;
	}
	if (k == POP3_STATUS_ERR) {
		free(s->srvtext);
		s->srvtext = str_ndup(p + t, len - t);
	}
	/* A continuation during SASL: for XOAUTH2 and OAUTHBEARER, after the
	 * token, it is the server's error (RFC 7628 3.2.2), which libcurl
	 * does not show: kept for the failure message. */
	if (s->auth_sent && len >= 1 && p[0] == '+' && (len == 1 || p[1] == ' ')) {
		free(s->sasl_challenge);
		s->sasl_challenge = str_ndup(len > 2 ? p + 2 : "", len > 2 ?
		    (len - 2 > 512 ? 512 : len - 2) : 0);
	}
}

/* The server's SASL error challenge decoded (base64 of a JSON object, RFC
 * 7628 3.2.2) into buf as printable ASCII, or "" when there is none. */
static const char *
sasl_error_text(const struct pop3 *s, char *buf, size_t size)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = s->sasl_challenge, *d;
	unsigned long acc = 0;
	size_t n = 0;
	int bits = 0;

	buf[0] = '\0';
	if (!p || !s->auth || (strcasecmp(s->auth, "XOAUTH2") != 0 &&
	    strcasecmp(s->auth, "OAUTHBEARER") != 0))
		return buf;
	for (; *p && *p != '=' && n + 1 < size; p++) {
		if (!(d = strchr(b64, *p)))
			return buf[0] = '\0', buf;
		acc = (acc << 6 | (unsigned long)(d - b64)) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			unsigned char c = (unsigned char)(acc >> (bits - 8));

			bits -= 8;
			buf[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
	}
	buf[n] = '\0';
	return buf;
}

/* libcurl's own notes. */
static void
note_line(struct pop3 *s, const char *p, size_t len)
{
	if (s->trace)
		s->trace(s->trace_ctx, '*', p, len);
}

/* A line from the server during login. */
static void
in_line(struct pop3 *s, const char *p, size_t len)
{
	server_line(s, p, len);
	if (s->trace)
		s->trace(s->trace_ctx, 'S', p, len);
}

/* A line libcurl sent during login. */
static void
out_line(struct pop3 *s, const char *p, size_t len)
{
	if (starts_word(p, len, "STLS"))
		s->stls_sent = 1;
	if (starts_word(p, len, "AUTH"))
		s->auth_sent = 1;
	if (s->trace)
		trace_client_line(s, p, len);
}

static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ctx)
{
	struct pop3 *s = ctx;

	(void)h;
	if (type == CURLINFO_TEXT)
		each_line(s, data, size, note_line);
	else if (type == CURLINFO_HEADER_IN)
		each_line(s, data, size, in_line);
	else if (type == CURLINFO_HEADER_OUT)
		each_line(s, data, size, out_line);
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
		if (*sasl_error_text(s, sasl, sizeof sasl))
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

/* Runs the connect phase on the multi handle, ticking every 100 ms. */
static CURLcode
drive(struct pop3 *s)
{
	CURLMsg *m;
	int running = 1, left;
	CURLcode rc = CURLE_OK;

	if (curl_multi_add_handle(s->multi, s->curl) != CURLM_OK)
		return CURLE_OUT_OF_MEMORY;
	while (running) {
		if (curl_multi_perform(s->multi, &running) != CURLM_OK)
			return CURLE_OUT_OF_MEMORY;
		if (!running)
			break;
		if (s->bad_greeting)
			return CURLE_WEIRD_SERVER_REPLY;
		if (curl_multi_poll(s->multi, NULL, 0, 100, NULL) != CURLM_OK)
			return CURLE_OUT_OF_MEMORY;
		if (s->tick && s->tick(s->tick_ctx))
			return CURLE_ABORTED_BY_CALLBACK;
	}
	while ((m = curl_multi_info_read(s->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE && m->easy_handle == s->curl)
			rc = m->data.result;
	return rc;
}

#define SETOPT(opt, val) do { \
	if (curl_easy_setopt(s->curl, opt, val) != CURLE_OK) { \
		what = #opt; \
		goto setopt_failed; \
	} \
} while (0)

/*
 * Resolves, connects, negotiates TLS and logs in through libcurl. For
 * auth "USER" libcurl is given no user, so it stops after CAPA/STLS and the
 * engine sends USER and PASS itself.
 */
enum pop3_status
pop3_login_curl(struct pop3 *s)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *port = NULL, *uuser = NULL;
	char *upass = NULL, *path = NULL, *url = NULL, *opts = NULL;
	const char *user, *pass, *what = "";
	int pop3s, loopback, user_mode = 0, bearer = 0, i;
	long usessl, resp_s;
	CURLcode rc;
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
	pop3s = strcasecmp(scheme, "pop3s") == 0;
	if (!pop3s && strcasecmp(scheme, "pop3") != 0) {
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
	if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		st = pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
		goto out;
	}

	loopback = is_loopback(host);
	switch (s->tls) {
	case POP3_TLS_NONE:
		if (pop3s) {
			st = pop3_fail(s, POP3_ERR_USAGE, "%s: pop3s:// always uses "
			    "TLS; use pop3:// for plain text", s->url);
			goto out;
		}
		usessl = CURLUSESSL_NONE;
		break;
	case POP3_TLS_REQUIRED:
		usessl = CURLUSESSL_ALL;
		break;
	default:
		/* Plain text only ever on the loopback, and only when the
		 * server offers no STLS: nobody can listen there. */
		usessl = loopback ? CURLUSESSL_TRY : CURLUSESSL_ALL;
		break;
	}

	if (!s->auth || !*s->auth) {
		opts = str_printf("AUTH=*");
	} else if (strcasecmp(s->auth, "USER") == 0) {
		user_mode = 1;
	} else if (strcasecmp(s->auth, "APOP") == 0) {
		opts = str_printf("AUTH=+APOP");
	} else {
		for (i = 0; sasl_mechs[i]; i++)
			if (strcasecmp(s->auth, sasl_mechs[i]) == 0)
				break;
		if (!sasl_mechs[i]) {
			st = pop3_fail(s, POP3_ERR_USAGE, "unknown login method %s "
			    "(USER, APOP, PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, "
			    "SCRAM-SHA-256, XOAUTH2, OAUTHBEARER)", s->auth);
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
		opts = str_printf("AUTH=%s", sasl_mechs[i]);
		bearer = strcmp(sasl_mechs[i], "XOAUTH2") == 0 ||
		    strcmp(sasl_mechs[i], "OAUTHBEARER") == 0;
	}
	if (!user_mode && !opts) {
		st = pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* The engine sends PASS itself in USER mode: keep what it needs. */
	if (user_mode) {
		if (user != s->user) {
			free(s->user);
			s->user = str_printf("%s", user);
		}
		if (pass != s->password) {
			pop3_wipe(&s->password);
			s->password = str_printf("%s", pass);
		}
		if (!s->user || !s->password) {
			st = pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
			goto out;
		}
	}

	s->multi = curl_multi_init();
	s->curl = curl_easy_init();
	if (!s->multi || !s->curl) {
		st = pop3_fail(s, POP3_ERR_NOMEM, "out of memory");
		goto out;
	}
	resp_s = (s->reply_timeout_ms + 999) / 1000;
	SETOPT(CURLOPT_URL, url);
	SETOPT(CURLOPT_PROTOCOLS_STR, "pop3,pop3s");
	SETOPT(CURLOPT_CONNECT_ONLY, 1L);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, s->errbuf);
	SETOPT(CURLOPT_VERBOSE, 1L);	/* the debug callback needs it */
	SETOPT(CURLOPT_DEBUGFUNCTION, debug_cb);
	SETOPT(CURLOPT_DEBUGDATA, s);
	SETOPT(CURLOPT_USE_SSL, usessl);
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
	SETOPT(CURLOPT_SERVER_RESPONSE_TIMEOUT, resp_s);
#endif
	/* A login takes a handful of round trips; past this something hangs. */
	SETOPT(CURLOPT_TIMEOUT_MS, s->connect_timeout_ms + 4 * s->reply_timeout_ms);
	if (!user_mode) {
		SETOPT(CURLOPT_USERNAME, user);
		SETOPT(CURLOPT_LOGIN_OPTIONS, opts);
		/* RFC 5034: the first SASL response may ride on AUTH, which
		 * saves a round trip (masked in the trace like the rest). */
		SETOPT(CURLOPT_SASL_IR, 1L);
		if (bearer)
			SETOPT(CURLOPT_XOAUTH2_BEARER, pass);
		else
			SETOPT(CURLOPT_PASSWORD, pass);
	}
	s->errbuf[0] = '\0';
	rc = drive(s);
	/* libcurl keeps its own copy of the secret until it is unset */
	curl_easy_setopt(s->curl, CURLOPT_PASSWORD, NULL);
	curl_easy_setopt(s->curl, CURLOPT_XOAUTH2_BEARER, NULL);
	if (rc != CURLE_OK) {
		st = map_curl_error(s, rc, user);
		goto out;
	}
	if (curl_easy_getinfo(s->curl, CURLINFO_ACTIVESOCKET, &s->fd) != CURLE_OK ||
	    s->fd == CURL_SOCKET_BAD) {
		st = pop3_fail(s, POP3_ERR_NET, "connection to %s lost after login",
		    s->where);
		goto out;
	}
	/* From here on the engine traces its own lines; libcurl's notes
	 * about curl_easy_recv would only be noise. */
	curl_easy_setopt(s->curl, CURLOPT_VERBOSE, 0L);
	if (pop3s)
		s->tls_active = 1;
	s->state = P_UP;
	goto out;

setopt_failed:
	st = pop3_fail(s, POP3_ERR_USAGE, "this libcurl (%s) lacks %s",
	    curl_version(), what);
out:
	if (upass)
		explicit_bzero(upass, strlen(upass));
	if (!user_mode)
		pop3_wipe(&s->password);
	pop3_wipe(&s->url);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(uuser);
	curl_free(upass);
	curl_free(path);
	curl_free(url);
	free(opts);
	curl_url_cleanup(u);
	return st;
}

static void
capa_done(void *ctx, const struct pop3_reply *r)
{
	struct pop3 *s = ctx;

	dbuf_reset(&s->capa);
	if (r->status == POP3_OK && r->body)
		dbuf_add(&s->capa, r->body, r->body_len);
}

static void
login_done(void *ctx, const struct pop3_reply *r)
{
	int *failed = ctx;

	if (r->status != POP3_OK)
		*failed = 1;
}

/* A failed connect leaves no half-made session behind, not even after a
 * USAGE error (which pop3_fail does not treat as fatal). Returns st. */
static enum pop3_status
login_failed(struct pop3 *s, enum pop3_status st)
{
	if (s->state != P_DEAD) {
		pop3_close_conn(s);
		s->state = P_DEAD;
		s->fatal = st;
	}
	return st;
}

enum pop3_status
pop3_connect(struct pop3 *s)
{
	struct pop3_req r;
	enum pop3_status st;
	int failed = 0;

	if (s->state != P_NEW)
		return pop3_fail(s, POP3_ERR_USAGE, "pop3_connect called twice");
	st = pop3_login_curl(s);
	if (st != POP3_OK)
		return login_failed(s, st);
	if (s->password) {
		/* USER/PASS by the engine: the replies decide */
		memset(&r, 0, sizeof r);
		r.cmd = POP3_NOOP;	/* replaced by the literal lines */
		r.on_done = login_done;
		r.ctx = &failed;
		/* PASS only after USER was accepted (RFC 1939 7): a server
		 * that refused the name gets no password. */
		st = pop3_submit_line(s, &r, "USER", s->user, 0);
		if (st == POP3_OK)
			st = pop3_wait(s);
		if (st == POP3_OK && !failed) {
			st = pop3_submit_line(s, &r, "PASS", s->password, 1);
			if (st == POP3_OK)
				st = pop3_wait(s);
		}
		pop3_wipe(&s->password);
		if (st == POP3_ERR_NOMEM || st == POP3_ERR_USAGE)
			return login_failed(s, pop3_fail(s, st, st == POP3_ERR_USAGE ?
			    "the user name or the password holds a line break" :
			    "out of memory"));
		if (st != POP3_OK)
			return st;
		if (failed)
			return pop3_fail(s, POP3_ERR_AUTH, "%s refused the login of %s",
			    s->where, s->user);
	}
	pop3_note(s, "logged in to %s%s", s->where, s->tls_active ? " over TLS" :
	    " in plain text");
	/* What the server offers after login (RFC 2449 section 5: it may
	 * differ from before); libcurl keeps its own CAPA to itself. */
	memset(&r, 0, sizeof r);
	r.cmd = POP3_CAPA;
	r.on_done = capa_done;
	r.ctx = s;
	st = pop3_call(s, &r);
	if (st != POP3_OK)
		return st;
	if (s->want_pipelining > 0 ||
	    (s->want_pipelining < 0 && pop3_has_capa(s, "PIPELINING")))
		s->pipelining = 1;
	pop3_note(s, "pipelining %s", s->pipelining ? "on" : "off");
	return POP3_OK;
}
