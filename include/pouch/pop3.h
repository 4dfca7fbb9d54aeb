/*
 * pop3.h: the POP3 session (RFC 1939, RFC 2449 CAPA/PIPELINING, RFC 2595
 * STLS, RFC 5034 SASL, RFC 1460 LAST).
 *
 * Owns: the connection to one POP3 server for one login. libcurl's POP3
 * backend resolves, connects, negotiates TLS (pop3s:// or STLS) and logs in
 * (CURLOPT_CONNECT_ONLY); after that this module speaks the transaction
 * commands itself over the connection, pipelined when CAPA lists PIPELINING.
 * src/pop3.c, src/pop3_engine.c, src/pop3_read.c, src/pop3_login.c and
 * src/pop3_curltrace.c (sharing the private src/pop3_priv.h) are the only
 * files in pouch that include <curl/curl.h>;
 * reply parsing is in src/pop3_reply.c (pure, see pop3_reply.h).
 *
 * Who may include it: the command layer (src/cli.c, later the reader's
 * commands). Never the MIME decoder or the views.
 *
 * Nothing here prints, exits or touches files (but the CA file and netrc that
 * libcurl reads when asked to). Progress and cancel reach the caller through
 * callbacks; the server's text and pouch's own error text are kept apart
 * (struct pop3_reply.text vs pop3_error()).
 *
 * Mail safety: the session never sends QUIT by itself; only pop3_quit() does.
 * Whenever the connection has to be given up (a network error, a timeout, a
 * protocol violation, a cancel) it is closed without QUIT, so that the server
 * commits no deletion (RFC 1939 section 6). A -ERR reply never ends the session.
 */
#ifndef POUCH_POP3_H
#define POUCH_POP3_H

#include <stddef.h>

enum pop3_status {
	POP3_OK = 0,
	POP3_ERR_SERVER,	/* the server answered -ERR; the session goes on */
	POP3_ERR_AUTH,		/* login refused */
	POP3_ERR_TLS,		/* TLS: handshake, certificate, pinned key, or STLS required but not offered */
	POP3_ERR_NET,		/* could not resolve or connect, or the connection broke */
	POP3_ERR_TIMEOUT,	/* no reply, or a transfer stalled, within the timeout */
	POP3_ERR_PROTO,		/* the server broke the protocol: garbage status line, overlong line, short RETR */
	POP3_ERR_CANCELLED,	/* the caller's tick or data callback asked to stop */
	POP3_ERR_USAGE,		/* the caller asked for something wrong (bad URL, bad argument) */
	POP3_ERR_NOMEM,
	POP3_WITHDRAWN,		/* pop3_withdraw took the request back before it
				   was sent; the session goes on */
};
/* A status at or above POP3_ERR_AUTH, other than USAGE and WITHDRAWN, means
 * the connection is gone: every request still queued completes with the same
 * status. */
int pop3_status_fatal(enum pop3_status st);
const char *pop3_status_name(enum pop3_status st);	/* "ok", "server", "auth", ... */

enum pop3_tls {
	POP3_TLS_AUTO,		/* pop3s://, or STLS required; on a loopback host STLS when offered */
	POP3_TLS_REQUIRED,	/* pop3s://, or STLS required, whatever the host */
	POP3_TLS_NONE,		/* plain text; asked for explicitly */
};

/* Trace directions: 'C' a line pouch sent (secrets masked), 'S' a status
 * line from the server, 'D' a line of a multi-line body (after
 * dot-unstuffing, without its line break; the terminating "." comes as 'S'),
 * '*' a note from pouch (connected, TLS established, pipelining on).
 * During login the lines come from libcurl's debug callback: every server
 * line (the pre-login CAPA body too) is 'S', libcurl's own notes are '*',
 * and PASS, SASL responses, the APOP digest and any client line not known
 * to be harmless are masked ("PASS ********", "AUTH PLAIN ********",
 * "APOP alice ********"). Until login is done, every server line is shown,
 * and every -ERR text kept, with the password, its SASL encodings and the
 * APOP digest masked, should the server echo them. */
typedef void (*pop3_trace_fn)(void *ctx, char dir, const char *line, size_t len);

/* Called at least every 100 ms while a call blocks; nonzero cancels. */
typedef int (*pop3_tick_fn)(void *ctx);

struct pop3_opts {
	const char *url;		/* pop3://[user@]host[:port] or pop3s://... */
	const char *user;		/* overrides the URL's user when set */
	const char *password;		/* or SASL bearer token for XOAUTH2/OAUTHBEARER */
	const char *auth;		/* NULL: best the server offers (SASL, else APOP,
					   else USER/PASS), DIGEST-MD5 (RFC 6331) only
					   when nothing else is offered: when the CAPA
					   that login acts on offers it beside anything
					   else and libcurl would pick it, the connection
					   is dropped there, before any AUTH, and made
					   again with the rest (one more connection to
					   such a server; see pop3_login.c); or "USER",
					   "APOP", "PLAIN", "LOGIN",
					   "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256",
					   "XOAUTH2", "OAUTHBEARER", "DIGEST-MD5" */
	enum pop3_tls tls;
	const char *cacert;		/* CA bundle file; NULL: the system's */
	const char *pinned_pubkey;	/* CURLOPT_PINNEDPUBLICKEY syntax; NULL: none */
	long connect_timeout_ms;	/* 0: 30000 */
	long reply_timeout_ms;		/* 0: 60000. A status line must be complete
					   this long after its reply is due (a server
					   dripping bytes does not reset it); a body
					   must bring 1 KiB in every such window. A long
					   transfer that moves never times out. During
					   login: libcurl's response timeout (whole
					   seconds before 8.6). */
	int pipelining;			/* -1: when CAPA lists PIPELINING (default); 0: never; 1: always */
	unsigned window;		/* commands in flight at most when pipelining; 0: 64 */
	pop3_trace_fn trace;
	void *trace_ctx;
	pop3_tick_fn tick;
	void *tick_ctx;
};

enum pop3_cmd {
	POP3_STAT, POP3_LIST, POP3_UIDL, POP3_TOP, POP3_RETR, POP3_DELE,
	POP3_RSET, POP3_NOOP, POP3_LAST, POP3_CAPA, POP3_QUIT,
};
const char *pop3_cmd_name(enum pop3_cmd c);	/* "STAT", ... */
/* How a request is named in messages: "RETR 9", "TOP 1 5", "STAT". */
void pop3_cmd_label(enum pop3_cmd c, int has_n, unsigned long n, unsigned long lines,
    char *buf, size_t size);

/* One line of a LIST or UIDL reply (or the single-line LIST n / UIDL n). */
struct pop3_item {
	unsigned long n;
	unsigned long long size;	/* LIST */
	const char *uid;		/* UIDL */
};

struct pop3_reply {
	enum pop3_cmd cmd;
	enum pop3_status status;	/* POP3_OK, POP3_ERR_SERVER, or a fatal status */
	const char *text;		/* the server's status line after "+OK"/"-ERR " ("" if none) */
	const char *error;		/* pouch's own text when status is not OK; else NULL */
	/* STAT: count and octets; LAST: count (the highest message number) */
	unsigned long count;
	unsigned long long octets;
	/* LIST, UIDL (with or without an argument) */
	const struct pop3_item *items;
	size_t nitems;
	/* CAPA, TOP, RETR without on_data: the whole body, unstuffed, with
	 * its CRLFs. With on_data the body went there and this is NULL. */
	const char *body;
	size_t body_len;
	unsigned long long body_octets;	/* octets of body delivered, either way */
	/* RETR with expect_size: the body was longer than LIST said (servers
	 * may count line ends differently); it is delivered whole. Shorter is
	 * POP3_ERR_PROTO. */
	int size_mismatch;
};
/* Everything a reply points to lives until its on_done returns. on_done may
 * call pop3_submit (the new request goes to the end of the queue) and the
 * accessors; it must not call pop3_run, pop3_wait, pop3_quit or pop3_free. */

struct pop3_req {
	enum pop3_cmd cmd;
	int has_n;			/* LIST n, UIDL n; always set for TOP, RETR, DELE */
	unsigned long n;
	unsigned long lines;		/* TOP n lines */
	unsigned long long expect_size;	/* RETR: the size LIST gave; 0: unknown.
					   A body that ends short of it is POP3_ERR_PROTO. */
	const unsigned long long *expect_sizep;	/* RETR: when set, used instead of
					   expect_size and read when the body has
					   ended, so that a LIST pipelined ahead of
					   the RETR can fill it in (from its on_done).
					   Must stay valid until this on_done. */
	/* RETR, TOP: when set, the unstuffed body is delivered here in chunks
	 * as it arrives (CRLFs kept); nonzero return cancels the session. */
	int (*on_data)(void *ctx, const char *p, size_t n);
	/* LIST, UIDL without an argument: when set, each line goes here as
	 * it arrives (it->uid lives until the call returns) and nothing is
	 * kept: the reply's items are NULL, nitems their count. A listing of
	 * millions of messages then costs the engine no memory. Nonzero
	 * return cancels the session. */
	int (*on_item)(void *ctx, const struct pop3_item *it);
	void (*on_done)(void *ctx, const struct pop3_reply *r);
	void *ctx;
};

struct pop3;

/* A session that has not connected yet. NULL only when memory ran out. */
struct pop3 *pop3_new(const struct pop3_opts *o);
/* Closes the connection without QUIT (deletions are not committed) and frees.
 * Requests still queued complete first with POP3_ERR_CANCELLED (their on_done
 * is called from here). NULL is allowed. */
void pop3_free(struct pop3 *s);

/* Connects, negotiates TLS, logs in, then reads CAPA. Blocks, calling tick.
 * Any status but POP3_OK leaves the session closed (pop3_error says why); it
 * can only be freed. The password (and what pouch keeps to mask echoes of
 * it, see the trace above) is wiped from pouch's memory, and unset in
 * libcurl, once the login is done or has failed. */
enum pop3_status pop3_connect(struct pop3 *s);

/*
 * The same without blocking, for a poll loop. pop3_connect_start checks the
 * options and sets the connection off; it returns POP3_OK (the login goes on)
 * or the status of a failure (USAGE, NOMEM: the session is closed). From then
 * on the caller polls pop3_fd() for pop3_events() with pop3_timeout_ms() and
 * calls pop3_run() as after login; pop3_run returns POP3_OK while the login
 * goes on or the session stands, else the fatal status that ended it.
 * pop3_connected() turns nonzero once login and the post-login CAPA are done.
 *
 * pop3_fd() changes during the session: while libcurl connects it is an
 * epoll descriptor that stands for libcurl's sockets (the resolver's, both
 * addresses while racing IPv6 and IPv4), afterwards the connection's socket.
 * Ask for pop3_fd(), pop3_events() and pop3_timeout_ms() again after every
 * pop3_run(). tick is not called: the loop is the caller's. To give up, call
 * pop3_cancel() or pop3_free().
 *
 * Requests submitted while connecting are queued; they are sent once logged
 * in, or complete with the login's fatal status. Where the CAPA before
 * login offered PIPELINING, queued STAT, LIST and UIDL go out right behind
 * the post-login CAPA, in the same flight (one round trip less); RETR, TOP
 * and the rest wait for its answer (and for UTF8, RFC 6856, when it lists
 * that). Their replies come after the login is done.
 */
enum pop3_status pop3_connect_start(struct pop3 *s);
int pop3_connected(const struct pop3 *s);
/* Closes the connection without QUIT; every queued request completes with
 * POP3_ERR_CANCELLED. The session can only be freed afterwards. */
void pop3_cancel(struct pop3 *s);

/* pouch's own text for the last failure, or for the last fatal status. */
const char *pop3_error(const struct pop3 *s);
/* The server's text of the last -ERR (login included), or "". */
const char *pop3_server_text(const struct pop3 *s);

/* The greeting's text after "+OK " (with the APOP timestamp), or "". */
const char *pop3_greeting(const struct pop3 *s);
/* Nonzero when CAPA (read at login) lists the capability (case-insensitive
 * first word, e.g. "PIPELINING", "UIDL", "TOP", "STLS"). */
int pop3_has_capa(const struct pop3 *s, const char *name);
int pop3_pipelining(const struct pop3 *s);	/* in effect for this session */
int pop3_tls_active(const struct pop3 *s);
/* What follows the capability's name on its CAPA line (after login), e.g.
 * "31" for "EXPIRE 31", "900" for "LOGIN-DELAY 900", "" for "TOP", copied
 * into buf (truncated to size - 1); NULL when CAPA does not list it. RFC 2449
 * section 6: EXPIRE is in days (or NEVER), LOGIN-DELAY in seconds. */
const char *pop3_capa_value(const struct pop3 *s, const char *name, char *buf,
    size_t size);
/* The whole CAPA body read after login (lines with their CRLFs), *len its
 * length; "" when the server has no CAPA. The login asks CAPA before it
 * (libcurl: again after STLS, RFC 2595) and once more after it (RFC 2449
 * section 5), unless the server refused it before: so this is the live
 * answer, and a CAPA of the caller's would only repeat it. */
const char *pop3_capa(const struct pop3 *s, size_t *len);
/* The server's text after "-ERR" ("" if none) when it refused the login's
 * last CAPA (then it was not asked again after login); NULL when that CAPA
 * was answered. Secrets of the login are masked in it. */
const char *pop3_capa_refused(const struct pop3 *s);
/* Nonzero when CAPA listed UTF8 (RFC 6856) and the server accepted the
 * UTF8 command, which pouch sends after login, ahead of every request
 * (shown in the trace; a -ERR to it is no error). */
int pop3_utf8(const struct pop3 *s);
/* The login method used: "USER", "APOP", or the SASL mechanism ("PLAIN",
 * "SCRAM-SHA-256", ...); "" before login. */
const char *pop3_auth_used(const struct pop3 *s);

/* The TLS of the connection, for a server screen. */
struct pop3_tls_info {
	char version[32];	/* "TLSv1.3" */
	char cipher[64];	/* "TLS_AES_256_GCM_SHA384" */
	char sha256[96];	/* the server certificate's SHA-256, "AB:CD:..." */
};
/* 0 and *ti filled in; -1 when the connection uses no TLS, is not up, or this
 * libcurl's TLS library is not OpenSSL (then *ti holds empty strings). */
int pop3_tls_info(const struct pop3 *s, struct pop3_tls_info *ti);

/* Queues a command. Replies complete, and on_done is called, in the order
 * of submission, from inside pop3_run()/pop3_wait(). Returns POP3_OK or
 * POP3_ERR_USAGE/NOMEM (then nothing was queued): USAGE before
 * pop3_connect_start, once the session has ended, after QUIT, or for message
 * number 0. While connecting the request waits for the login. A QUIT submitted here is sent
 * once every earlier reply is in; after its reply the connection is closed. */
enum pop3_status pop3_submit(struct pop3 *s, const struct pop3_req *r);
size_t pop3_pending(const struct pop3 *s);
/* QUIT has left the queue for the connection: from then on the server may
 * commit its DELEs (RFC 1939 UPDATE state) whatever happens to pouch. */
int pop3_quit_sent(const struct pop3 *s);
/* Takes back every request with this ctx that has not been sent yet, without
 * ending the session: each one's on_done is called at once, from here, with
 * POP3_WITHDRAWN, so that the caller can free its context. Requests already
 * sent are left alone (their replies must still be read); so are QUIT and the
 * login's own requests. Returns how many were taken back. May be called from
 * an on_done. */
size_t pop3_withdraw(struct pop3 *s, void *ctx);
/* Octets of body received so far for the oldest pending request (a RETR
 * being read, say), for a progress display; 0 before its body starts. */
unsigned long long pop3_body_progress(const struct pop3 *s);

/* Non-blocking use: poll pop3_fd() for pop3_events() (POLLIN/POLLOUT), then
 * call pop3_run(s). Returns POP3_OK while the session stands, or the fatal
 * status that ended it. pop3_timeout_ms() is how long poll may wait. */
int pop3_fd(const struct pop3 *s);
short pop3_events(const struct pop3 *s);
int pop3_timeout_ms(const struct pop3 *s);
enum pop3_status pop3_run(struct pop3 *s);

/* Blocking use: runs until nothing is pending (and a login begun by
 * pop3_connect_start is done), calling tick. Returns POP3_OK, or the fatal
 * status that ended the session. -ERR replies are not fatal. */
enum pop3_status pop3_wait(struct pop3 *s);
/* pop3_submit then pop3_wait: one command, blocking. The reply's own status
 * reaches r->on_done; the return value is the submit's or the wait's. */
enum pop3_status pop3_call(struct pop3 *s, const struct pop3_req *r);

/* Sends QUIT and waits for its reply: only this commits deletions. The
 * server's reply text is in *text (static to the session) when not NULL. */
enum pop3_status pop3_quit(struct pop3 *s, const char **text);

#endif
