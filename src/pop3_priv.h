/*
 * pop3_priv.h: the session's private state, shared by src/pop3.c (the
 * session's life), src/pop3_engine.c (queue, send, receive), src/pop3_read.c
 * (replies parsed and completed), src/pop3_login.c (URL, TLS policy, connect
 * and login through libcurl) and src/pop3_curltrace.c (the login trace, what
 * the server offers). These are the only files that include <curl/curl.h>.
 * Nobody else includes it: the rest of pouch sees struct pop3 only as an
 * opaque pointer (pop3.h).
 */
#ifndef POUCH_POP3_PRIV_H
#define POUCH_POP3_PRIV_H

#include <curl/curl.h>

#include <pouch/pop3.h>
#include <pouch/pop3_reply.h>
#include <pouch/util.h>

/* Raw bytes not yet parsed: a status line may be up to POP3_STATUS_MAX, and
 * one read adds at most POP3_READ. */
#define POP3_READ 16384
#define POP3_IN_MAX (POP3_STATUS_MAX + 2 + POP3_READ)
/* A body collected in memory (no on_data) may not pass this. */
#define POP3_COLLECT_MAX (64UL * 1024 * 1024)

struct pop3_q {
	struct pop3_req r;
	struct pop3_q *next;
	char *line;		/* the command with its CRLF */
	size_t line_len;
	int secret;		/* PASS: masked in the trace, wiped when freed */
	int login;		/* USER, PASS or the post-login CAPA: sent while
				   logging in, ahead of the caller's requests */
};

/*
 * P_NEW: nothing yet. P_CONNECTING: libcurl resolves, connects, negotiates
 * TLS and logs in, driven by the multi handle (fd is an epoll set of
 * libcurl's sockets). P_LOGIN: the engine sends USER/PASS and the
 * post-login CAPA; the caller's requests wait (STAT, LIST, UIDL may follow
 * that CAPA: early). P_UP: logged in.
 */
enum pop3_state { P_NEW, P_CONNECTING, P_LOGIN, P_UP, P_DEAD, P_QUIT };
/* The engine reads and writes the connection itself. */
#define POP3_ENGINE_LIVE(s) ((s)->state == P_LOGIN || (s)->state == P_UP)
/* Secrets kept while logging in, to mask in what the server echoes. */
#define POP3_SECRETS_MAX 8

struct pop3 {
	/* options, copied at pop3_new */
	char *url, *user, *password, *auth, *cacert, *pinned;
	enum pop3_tls tls;
	long connect_timeout_ms, reply_timeout_ms;
	int want_pipelining;
	unsigned window;
	pop3_trace_fn trace;
	void *trace_ctx;
	pop3_tick_fn tick;
	void *tick_ctx;

	char *where;		/* "host:port", for messages */
	enum pop3_state state;
	enum pop3_status fatal;
	char *error;		/* pouch's text */
	char *srvtext;		/* the server's text of the last -ERR */
	char *greeting;
	char *sasl_challenge;	/* the last "+ ..." during a SASL exchange (base64) */
	char *quit_text;
	struct dbuf capa;	/* the CAPA body read after login */
	int pipelining, tls_active;
	int utf8;		/* UTF8 (RFC 6856) accepted after login */

	CURLM *multi;
	CURL *curl;
	curl_socket_t fd;
	int epfd;		/* P_CONNECTING: libcurl's sockets, for poll */
	curl_socket_t curl_sock;	/* the last socket libcurl asked to watch */
	long long timer_at;	/* P_CONNECTING: libcurl's timer; -1: none */
	char *secrets[POP3_SECRETS_MAX];
	size_t nsecrets;
	char *auth_used;	/* "PLAIN", "APOP", "USER", ... */
	char *capa_pre;		/* the SASL line of the login's last CAPA */
	char *capa_err;		/* the server's text of a -ERR to the login's
				   last CAPA (before or after login); NULL when
				   it was answered */
	int capa_stls;		/* the login's last CAPA lists STLS */
	int capa_pipelining;	/* the login's last CAPA lists PIPELINING */
	int early;		/* the post-login CAPA is out: the caller's STAT,
				   LIST and UIDL may follow it in one flight */
	size_t early_sent;	/* how many did */
	int capa_sent, capa_refused, crlf, digest_retry, user_mode;
	int apop_offered, user_offered;
	char *login_user;	/* the user name, for messages */
	char *opts;		/* CURLOPT_LOGIN_OPTIONS */
	char *curl_url;		/* the URL libcurl gets: no user, no password */
	long usessl;
	int pop3s, bearer;
	struct pop3_tls_info tlsi;	/* taken when the handshake is done */
	int have_tlsi;
	char errbuf[CURL_ERROR_SIZE];
	/* login trace state (debug callback) */
	int seen_greeting, stls_sent, sasl_active, auth_sent;
	char *bad_greeting;	/* the first line, when it is no POP3 status */

	/* the queue: head is the oldest; unsent is the first not yet sent */
	struct pop3_q *head, *tail, *unsent;
	size_t npending, ninflight;
	int quit_sent;
	struct dbuf out;	/* bytes to send */
	size_t out_off;
	int out_secret;		/* out holds a password: wipe once sent */

	/* the reply being read (to head) */
	int in_body;
	size_t inlen;
	struct pop3_body body;
	struct dbuf collect;
	struct dbuf tline;	/* a body line being assembled for the trace */
	struct dbuf iline;	/* a listing line being assembled for on_item */
	size_t nitems;		/* items handed to on_item */
	unsigned long long octets;
	unsigned long long body_lines;
	char body_head[5];	/* the body's first octets */
	char *stext;		/* its status text */
	long long mark_ms;	/* when the wait for the status, or the last KiB, began */
	unsigned long long mark_bytes;
	int more;		/* stopped reading with data perhaps left */
	long long last_tick;

	char in[POP3_IN_MAX];
	char outb[POP3_IN_MAX + 1];
};

/* pop3.c */
long long pop3_now_ms(void);
void pop3_set_error(struct pop3 *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pop3_note(struct pop3 *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum pop3_status pop3_fail(struct pop3 *s, enum pop3_status st,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int pop3_tick_due(struct pop3 *s);
/* What pop3_run/pop3_wait return once the session is not up. */
enum pop3_status pop3_ended(const struct pop3 *s);
/* A copy of p[0..n) with every secret of the login replaced by asterisks
 * (NULL when memory ran out); secret_add keeps one, secrets_wipe forgets
 * them all. */
char *pop3_masked(const struct pop3 *s, const char *p, size_t n);
void pop3_secret_add(struct pop3 *s, const char *p, size_t n);
void pop3_secrets_wipe(struct pop3 *s);

/* pop3_engine.c */
/* A body must bring this much in every reply timeout. */
#define POP3_STALL_BYTES 1024
const char *pop3_quote(const char *p, size_t n, char *buf, size_t size);
const char *pop3_describe(const struct pop3_q *q, char *buf, size_t size);
/* The wait for a reply (or the next KiB of a body) begins now. */
void pop3_start_wait(struct pop3 *s);
/* Takes bytes as if they had been received: what pump_recv does after
 * curl_easy_recv, open to the engine's fuzzer (fuzz/fuzz_pop3_session.c). */
enum pop3_status pop3_feed(struct pop3 *s, const char *p, size_t n);
void pop3_q_free(struct pop3_q *q);
void pop3_reset_reply(struct pop3 *s);
/* Queues a login request (USER, PASS, CAPA) ahead of the caller's. */
enum pop3_status pop3_submit_login(struct pop3 *s, const struct pop3_req *r,
    const char *word, const char *arg, int secret);

/* pop3_curltrace.c */
int pop3_debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ctx);
/* The server's SASL error challenge, decoded as printable ASCII, or "". */
const char *pop3_sasl_error_text(const struct pop3 *s, char *buf, size_t size);
/* Appends "AUTH=M;AUTH=N" of the SASL mechanisms the pre-login CAPA offered
 * that may stand in for DIGEST-MD5 (none: d stays empty). */
void pop3_digest_instead(const struct pop3 *s, struct dbuf *d);

/* pop3_read.c */
/* Parses what s->in holds: status lines, bodies, completions. */
enum pop3_status pop3_process(struct pop3 *s);

/* pop3_login.c */
/* Sets libcurl off (P_CONNECTING); pop3_login_run drives it and, once
 * libcurl is done, starts the engine's part of the login (P_LOGIN). */
enum pop3_status pop3_login_curl(struct pop3 *s);
enum pop3_status pop3_login_run(struct pop3 *s);
int pop3_login_timeout_ms(const struct pop3 *s);
void pop3_close_conn(struct pop3 *s);
void pop3_wipe(char **p);

#endif
