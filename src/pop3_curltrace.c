/*
 * pop3_curltrace.c: what libcurl says and sends while it logs in (see
 * pop3.h, the trace): its debug callback split into lines; the login trace
 * with every secret masked (PASS, SASL responses, the APOP digest) and those
 * secrets kept to mask an echo; what the greeting and the pre-login CAPA
 * offer (APOP, USER, SASL mechanisms), the drop before a DIGEST-MD5
 * challenge is answered when something else is offered; the TLS details of
 * the handshake; the server's SASL error text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#ifdef HAVE_OPENSSL
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#endif

#include "pop3_priv.h"

#define MASK "********"

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
	if (starts_word(p, len, "APOP")) {
		/* "APOP user digest": the digest of the greeting's timestamp
		 * and the password is enough for an offline guess. */
		sp = len > 5 ? memchr(p + 5, ' ', len - 5) : NULL;
		if (sp && (size_t)(sp - p) + sizeof MASK + 1 <= sizeof buf) {
			memcpy(buf, p, (size_t)(sp - p) + 1);
			memcpy(buf + (sp - p) + 1, MASK, sizeof MASK);
			s->trace(s->trace_ctx, 'C', buf, strlen(buf));
		} else {
			s->trace(s->trace_ctx, 'C', "APOP " MASK, strlen("APOP " MASK));
		}
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
	    starts_word(p, len, "STLS") || starts_word(p, len, "QUIT")) {
		s->trace(s->trace_ctx, 'C', p, len);
		return;
	}
	if (len >= 4 && starts_word(p, len, "PASS")) {
		s->trace(s->trace_ctx, 'C', "PASS " MASK, strlen("PASS " MASK));
		return;
	}
	s->trace(s->trace_ctx, 'C', MASK, strlen(MASK));
}

static void capa_ended(struct pop3 *s);

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
			const char *lt = memchr(p, '<', len);

			free(s->greeting);
			s->greeting = str_ndup(p + t, len - t);
			s->apop_offered = lt && memchr(lt, '>', len - (size_t)(lt - p));
		}
		return;
	}
	/* The pre-login CAPA (again after STLS): what libcurl is about to
	 * use, what a second try may use instead of DIGEST-MD5, and whether
	 * to ask again after login. */
	if (s->capa_sent == 1) {
		if (k == POP3_STATUS_ERR) {
			s->capa_refused = 1;
			s->capa_sent = 2;
			free(s->capa_err);
			s->capa_err = str_ndup(p + t, len - t);
		} else if (len == 1 && p[0] == '.') {
			s->capa_sent = 2;
			capa_ended(s);
		} else if (starts_word(p, len, "USER")) {
			s->user_offered = 1;
		} else if (starts_word(p, len, "STLS")) {
			s->capa_stls = 1;
		} else if (starts_word(p, len, "PIPELINING")) {
			s->capa_pipelining = 1;
		} else if (starts_word(p, len, "SASL")) {
			free(s->capa_pre);
			s->capa_pre = str_ndup(p, len);
		}
		if (k != POP3_STATUS_ERR)
			return;
	}
	if (k == POP3_STATUS_OK || k == POP3_STATUS_ERR)
		s->sasl_active = 0;
	if (k == POP3_STATUS_OK && s->stls_sent == 1) {
		s->stls_sent = 2;
		s->tls_active = 1;
	} else if (k == POP3_STATUS_ERR && s->stls_sent == 1 &&
	    s->usessl == CURLUSESSL_TRY && !s->digest_retry) {
		/* STLS refused where TLS is only tried (loopback): libcurl
		 * logs in at once, on what the CAPA before STLS offered. */
		s->capa_stls = 0;
		capa_ended(s);
	}
	if (k == POP3_STATUS_ERR) {
		free(s->srvtext);
		s->srvtext = s->nsecrets ? pop3_masked(s, p + t, len - t) :
		    str_ndup(p + t, len - t);
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
const char *
pop3_sasl_error_text(const struct pop3 *s, char *buf, size_t size)
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

/* A line from the server during login: a server may echo what it was
 * sent, the password too, so secrets are masked before anything keeps it. */
static void
in_line(struct pop3 *s, const char *p, size_t len)
{
	char *m = s->nsecrets ? pop3_masked(s, p, len) : NULL;

	if (m) {
		p = m;
		len = strlen(m);
	}
	/* Traced first: what it sets off (a note, the drop before
	 * DIGEST-MD5) shows after it. */
	if (s->trace)
		s->trace(s->trace_ctx, 'S', p, len);
	server_line(s, p, len);
	free(m);
}

static void
set_auth_used(struct pop3 *s, const char *p, size_t n)
{
	free(s->auth_used);
	s->auth_used = str_ndup(p, n);
}

/* The n-th blank-separated word of a line, or NULL; *wl its length. */
static const char *
word(const char *p, size_t len, int n, size_t *wl)
{
	const char *e = p + len, *w;

	for (;;) {
		while (p < e && *p == ' ')
			p++;
		for (w = p; p < e && *p != ' '; p++)
			;
		if (w == p)
			return NULL;
		if (n-- == 0) {
			*wl = (size_t)(p - w);
			return w;
		}
	}
}

static int has_other_login(const struct pop3 *s);

/* A line libcurl sent during login. Every secret it carries (the argument
 * of PASS, a SASL response, the APOP digest) is kept to mask an echo. */
static void
out_line(struct pop3 *s, const char *p, size_t len)
{
	const char *w;
	size_t wl;

	if (s->sasl_active && !starts_word(p, len, "AUTH"))
		pop3_secret_add(s, p, len);
	if (starts_word(p, len, "STLS"))
		s->stls_sent = 1;
	if (starts_word(p, len, "CAPA")) {
		/* After STLS the answer starts afresh (RFC 2595 4). */
		s->capa_sent = 1;
		s->capa_refused = 0;
		s->user_offered = 0;
		s->capa_stls = 0;
		s->capa_pipelining = 0;
		free(s->capa_pre);
		s->capa_pre = NULL;
		free(s->capa_err);
		s->capa_err = NULL;
	}
	if (starts_word(p, len, "PASS") && (w = word(p, len, 1, &wl)) != NULL)
		pop3_secret_add(s, w, len - (size_t)(w - p));
	if (starts_word(p, len, "APOP")) {
		set_auth_used(s, "APOP", 4);
		if ((w = word(p, len, 2, &wl)) != NULL)
			pop3_secret_add(s, w, wl);
	}
	if (starts_word(p, len, "USER"))
		set_auth_used(s, "USER", 4);
	if (starts_word(p, len, "AUTH")) {
		s->auth_sent = 1;
		if ((w = word(p, len, 1, &wl)) != NULL)
			set_auth_used(s, w, wl);
		if ((w = word(p, len, 2, &wl)) != NULL)
			pop3_secret_add(s, w, wl);
		/* The drop at the end of CAPA (capa_ended) keeps libcurl
		 * from getting here with DIGEST-MD5. Should that guess ever
		 * miss (another libcurl ranking the mechanisms otherwise),
		 * the connection still goes before any response to the
		 * challenge, and is made again. */
		if ((!s->auth || !*s->auth) && w == NULL && s->auth_used &&
		    strcasecmp(s->auth_used, "DIGEST-MD5") == 0 &&
		    !s->digest_retry && has_other_login(s)) {
			s->digest_retry = 1;
			if (s->curl_sock != CURL_SOCKET_BAD)
				shutdown(s->curl_sock, SHUT_RDWR);
		}
	}
	if (s->trace)
		trace_client_line(s, p, len);
	if (starts_word(p, len, "AUTH"))
		s->sasl_active = 1;
}

/*
 * The TLS of the connection, for pop3_tls_info: taken when libcurl notes the
 * handshake done ("SSL connection using ..."), while the connection is still
 * the transfer's (afterwards CURLINFO_TLS_SSL_PTR may find none).
 */
static void
take_tls_info(struct pop3 *s, CURL *h)
{
#ifdef HAVE_OPENSSL
	struct curl_tlssessioninfo *info = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	X509 *cert;
	SSL *ssl;

	if (curl_easy_getinfo(h, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK ||
	    !info || info->backend != CURLSSLBACKEND_OPENSSL || !info->internals)
		return;
	ssl = info->internals;
	memset(&s->tlsi, 0, sizeof s->tlsi);
	snprintf(s->tlsi.version, sizeof s->tlsi.version, "%s", SSL_get_version(ssl));
	snprintf(s->tlsi.cipher, sizeof s->tlsi.cipher, "%s",
	    SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	cert = SSL_get1_peer_certificate(ssl);
#else
	cert = SSL_get_peer_certificate(ssl);
#endif
	if (cert && X509_digest(cert, EVP_sha256(), md, &mdlen) == 1)
		for (i = 0; i < mdlen && 3 * i + 3 <= sizeof s->tlsi.sha256; i++)
			snprintf(s->tlsi.sha256 + 3 * i, 4, i + 1 < mdlen ? "%02X:" :
			    "%02X", md[i]);
	X509_free(cert);
	s->have_tlsi = 1;
#else
	(void)s;
	(void)h;
#endif
}

int
pop3_debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ctx)
{
	struct pop3 *s = ctx;

	if (type == CURLINFO_TEXT) {
		if (size > 20 && strncmp(data, "SSL connection using", 20) == 0)
			take_tls_info(s, h);
		each_line(s, data, size, note_line);
	} else if (type == CURLINFO_HEADER_IN) {
		if (size >= 2 && data[size - 1] == '\n' && data[size - 2] == '\r')
			s->crlf = 1;
		each_line(s, data, size, in_line);
	} else if (type == CURLINFO_HEADER_OUT)
		each_line(s, data, size, out_line);
	return 0;
}


/* SASL mechanisms libcurl would use in place of DIGEST-MD5, best first
 * (libcurl's own order); the bearer ones need a token, not a password. */
static const char *const instead_of_digest[] = {
	"SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "NTLM", "LOGIN", "PLAIN", NULL,
};

/* Whether the pre-login CAPA's SASL line lists mech. */
static int
sasl_offered(const struct pop3 *s, const char *mech)
{
	const char *p = s->capa_pre, *w;
	size_t len = p ? strlen(p) : 0, wl;
	int i;

	for (i = 1; p && (w = word(p, len, i, &wl)) != NULL; i++)
		if (wl == strlen(mech) && strncasecmp(w, mech, wl) == 0)
			return 1;
	return 0;
}

static int
usable_sasl(const char *mech)
{
	return strncmp(mech, "SCRAM", 5) != 0 ||
	    (curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_GSASL);
}

static int
has_other_login(const struct pop3 *s)
{
	int i;

	for (i = 0; instead_of_digest[i]; i++)
		if (usable_sasl(instead_of_digest[i]) &&
		    sasl_offered(s, instead_of_digest[i]))
			return 1;
	return s->apop_offered || s->user_offered;
}

/*
 * Whether libcurl, given AUTH=* (CURLOPT_LOGIN_OPTIONS), would answer the
 * CAPA just read with AUTH DIGEST-MD5: its lib/curl_sasl.c takes EXTERNAL
 * (never with AUTH=*), GSSAPI (Kerberos, for a user name with a realm or
 * domain), then SCRAM (with libgsasl), and DIGEST-MD5 before all the rest.
 */
static int
curl_would_pick_digest(const struct pop3 *s)
{
	curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	if (!sasl_offered(s, "DIGEST-MD5"))
		return 0;
	if ((v->features & CURL_VERSION_GSASL) &&
	    (sasl_offered(s, "SCRAM-SHA-256") || sasl_offered(s, "SCRAM-SHA-1")))
		return 0;
	if ((v->features & CURL_VERSION_KERBEROS5) && sasl_offered(s, "GSSAPI") &&
	    s->login_user && strpbrk(s->login_user, "@/\\"))
		return 0;
	return 1;
}

/*
 * Whether libcurl logs in right after the CAPA just read (lib/pop3.c,
 * pop3_state_capa_resp): when TLS is up or not wanted; otherwise it sends
 * STLS when the CAPA lists it, logs in without TLS when TLS is only tried
 * (loopback), and fails when TLS is required.
 */
static int
curl_logs_in_next(const struct pop3 *s)
{
	if (s->usessl == CURLUSESSL_NONE || s->pop3s || s->tls_active)
		return 1;
	if (s->capa_stls)
		return 0;
	return s->usessl == CURLUSESSL_TRY;
}

/*
 * The CAPA before login has ended (its "." is in, libcurl has not acted on
 * it yet). RFC 6331: DIGEST-MD5 is obsolete, and must not be used while
 * anything else is offered. libcurl's AUTH=* takes it before CRAM-MD5,
 * LOGIN and PLAIN, and a list of mechanisms without it (AUTH=PLAIN;...)
 * would shut out USER/PASS and APOP, which libcurl then never falls back
 * to (libcurl 7.88 to 8.x). So the login starts with AUTH=*, and when this
 * CAPA offers DIGEST-MD5 beside anything else and libcurl would pick it,
 * the connection is shut here: nothing more goes out on it, libcurl fails,
 * and pop3_login.c connects again with the other methods named. Only a
 * server that offers DIGEST-MD5 costs this second connection; one without
 * SASL (RFC 1939 servers) or without DIGEST-MD5 logs in on the first.
 */
static void
capa_ended(struct pop3 *s)
{
	if ((s->auth && *s->auth) || s->user_mode || s->digest_retry)
		return;
	if (!curl_logs_in_next(s) || !curl_would_pick_digest(s) ||
	    !has_other_login(s))
		return;
	s->digest_retry = 1;
	pop3_note(s, "CAPA offers DIGEST-MD5 (obsolete, RFC 6331) beside other "
	    "methods, and libcurl would pick it: closing before any AUTH");
	if (s->curl_sock != CURL_SOCKET_BAD)
		shutdown(s->curl_sock, SHUT_RDWR);
}

void
pop3_digest_instead(const struct pop3 *s, struct dbuf *d)
{
	int i;

	for (i = 0; instead_of_digest[i]; i++)
		if (usable_sasl(instead_of_digest[i]) &&
		    sasl_offered(s, instead_of_digest[i]))
			dbuf_printf(d, "%sAUTH=%s", d->len ? ";" : "",
			    instead_of_digest[i]);
}
