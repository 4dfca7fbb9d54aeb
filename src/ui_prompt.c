/*
 * ui_prompt.c: the reader's POP3 teaching side (see ui_mbox.h): the live
 * transcript of the session (the `P` pane), the commands typed at the `:`
 * prompt and what their replies do to the rows, :help, and the server
 * screen (`i`).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pouch/text.h>

#include "ui_mbox_priv.h"

#define TRACE_BODY_LINES 5	/* body lines shown before "[... N more lines ...]" */

/* ---- the transcript ---- */

void
mb_trace_push(struct ui_mbox *mb, char dir, const char *text, size_t len)
{
	struct ui_trace_line *l;
	char *t = text_sanitize(text, len, TEXT_ONELINE, NULL);

	if (!t)
		return;
	if (mb->trace_n == UI_MBOX_TRACE_MAX) {
		l = &mb->trace[mb->trace_head];
		free(l->text);
		mb->trace_head = (mb->trace_head + 1) % UI_MBOX_TRACE_MAX;
		mb->trace_n--;
	}
	l = &mb->trace[(mb->trace_head + mb->trace_n) % UI_MBOX_TRACE_MAX];
	l->dir = dir;
	l->text = t;
	mb->trace_n++;
}

static void
trace_end_body(struct ui_mbox *mb)
{
	if (mb->hidden_lines) {
		char *s = str_printf("[... %lu more lines, %llu octets ...]",
		    mb->hidden_lines, mb->hidden_octets);

		if (s)
			mb_trace_push(mb, 'D', s, strlen(s));
		free(s);
	}
	mb->body_lines = mb->hidden_lines = 0;
	mb->hidden_octets = 0;
}

static int
is_secret(const struct ui_mbox *mb, const char *line, size_t len)
{
	size_t pl;

	if (len >= 5 && strncasecmp(line, "PASS ", 5) == 0)
		return 1;
	if (!mb->password)
		return 0;
	pl = strlen(mb->password);
	return pl >= 4 && memmem(line, len, mb->password, pl) != NULL;
}

void
mb_trace(void *ctx, char dir, const char *line, size_t len)
{
	struct ui_mbox *mb = ctx;

	if (dir == 'D') {
		if (++mb->body_lines > TRACE_BODY_LINES) {
			mb->hidden_lines++;
			mb->hidden_octets += len + 2;
			return;
		}
		mb_trace_push(mb, 'D', line, len);
		return;
	}
	trace_end_body(mb);
	/* The engine masks secrets already; this is the second lock. */
	if (dir == 'C' && is_secret(mb, line, len)) {
		const char *sp = memchr(line, ' ', len);
		char buf[32];
		size_t k = sp && sp - line <= 12 ? (size_t)(sp - line) + 1 : 0;

		memcpy(buf, line, k);
		memcpy(buf + k, "********", 9);
		mb_trace_push(mb, 'C', buf, strlen(buf));
		return;
	}
	mb_trace_push(mb, dir, line, len);
}

size_t
ui_mbox_trace_count(const struct ui_mbox *mb)
{
	return mb->trace_n;
}

const struct ui_trace_line *
ui_mbox_trace(const struct ui_mbox *mb, size_t i)
{
	if (i >= mb->trace_n)
		return NULL;
	return &mb->trace[(mb->trace_head + i) % UI_MBOX_TRACE_MAX];
}

void
mb_trace_free(struct ui_mbox *mb)
{
	size_t i;

	if (!mb->trace)
		return;
	for (i = 0; i < mb->trace_n; i++)
		free(mb->trace[(mb->trace_head + i) % UI_MBOX_TRACE_MAX].text);
	free(mb->trace);
	mb->trace = NULL;
}

/* ---- typed commands ---- */

/* LAST through sess_last: the server's answer, or pouch's record (kept by
 * the same module as the command line's, so that both agree). */
static void
typed_last(void *ctx, unsigned long n, int from_record, const char *server_text)
{
	struct ui_mbox *mb = ctx;

	(void)server_text;
	if (mb->freeing)
		return;
	if (from_record == 1)
		mb_notice(mb, "The server does not keep LAST (RFC 1725 dropped it); pouch's own record: %lu", n);
	else if (from_record == 2)
		mb_notice(mb, "LAST %lu: pouch's record, higher than the server's answer (it counts per session)", n);
	else
		mb_notice(mb, "LAST %lu (the server's answer)", n);
	mb_trace_push(mb, '*', mb->notice, strlen(mb->notice));
	mb_changed(mb);
}

void
mb_typed_done(struct req *q, const struct pop3_reply *r, int current)
{
	struct ui_mbox *mb = q->mb;
	struct ui_msg *m;

	if (!current || r->status != POP3_OK)
		return;
	switch (q->cmd) {
	case POP3_RETR:
		m = mb_row_by_number(mb, q->n);
		if (m && m->body == UI_BODY_NONE) {
			m->raw = malloc(r->body_len + 1);
			if (m->raw) {
				if (r->body_len)
					memcpy(m->raw, r->body, r->body_len);
				m->raw[r->body_len] = 0;
				m->rawlen = r->body_len;
				m->body = UI_BODY_DONE;
				ui_msg_summarise(m, m->raw, m->rawlen, 1);
			}
		}
		break;
	case POP3_DELE:
		/* a DELE typed here marks the row; the commit undoes the DELE
		 * itself with RSET and deletes the marks */
		m = mb_row_by_number(mb, q->n);
		if (m && m->uid && pop3_marks_set(mb->marks, m->uid, 1) == 0)
			m->marked = 1;
		break;
	case POP3_RSET:
		mb_clear_marks(mb);
		break;
	default:
		break;
	}
}

void
mb_typed_flush(struct ui_mbox *mb, int send)
{
	size_t i, n = mb->ntyped;
	char *msg;

	mb->ntyped = 0;
	for (i = 0; i < n; i++) {
		char *line = mb->typed[i];

		mb->typed[i] = NULL;
		if (send) {
			msg = NULL;
			if (ui_mbox_command(mb, line, &msg) != 0 && msg && *msg)
				mb_notice(mb, "%s", msg);
			free(msg);
		}
		free(line);
	}
}

/* ---- the POP3 prompt ---- */

struct cmd_help {
	const char *name, *syntax, *what, *reply, *rfc, *capa;
};

static const struct cmd_help cmd_help[] = {
	{ "USER", "USER name", "names the mailbox to log in to (before PASS)", "+OK, or -ERR for an unknown mailbox", "RFC 1939", "USER" },
	{ "PASS", "PASS secret", "gives the password after USER; sent in clear text unless TLS is on", "+OK and the mailbox is locked, or -ERR", "RFC 1939", "USER" },
	{ "APOP", "APOP name digest", "logs in with MD5(timestamp from the greeting + secret) instead of USER/PASS", "+OK, or -ERR", "RFC 1939", NULL },
	{ "AUTH", "AUTH mechanism", "logs in with a SASL mechanism (PLAIN, LOGIN, CRAM-MD5, SCRAM, XOAUTH2...)", "+ challenges, then +OK or -ERR", "RFC 5034", "SASL" },
	{ "STLS", "STLS", "starts TLS on the plain-text port before logging in", "+OK, then the TLS handshake", "RFC 2595", "STLS" },
	{ "CAPA", "CAPA", "lists the server's capabilities", "+OK and a multi-line list ending with \".\"", "RFC 2449", NULL },
	{ "STAT", "STAT", "counts the messages and their octets", "+OK COUNT OCTETS (messages marked with DELE not counted)", "RFC 1939", NULL },
	{ "LIST", "LIST [n]", "the size of every message, or of message n", "+OK and \"n octets\" lines ending with \".\", or +OK n octets", "RFC 1939", NULL },
	{ "UIDL", "UIDL [n]", "the unique id of every message (stable across sessions), or of message n", "+OK and \"n uid\" lines, or +OK n uid", "RFC 1939 (optional)", "UIDL" },
	{ "TOP", "TOP n lines", "the header of message n and its first lines of body", "+OK and the lines, dot-stuffed, ending with \".\"", "RFC 1939 (optional)", "TOP" },
	{ "RETR", "RETR n", "the whole of message n", "+OK and the message, dot-stuffed, ending with \".\"", "RFC 1939", NULL },
	{ "DELE", "DELE n", "marks message n for deletion; nothing is deleted before QUIT, and RSET undoes it", "+OK, or -ERR (no such message, or already deleted)", "RFC 1939", NULL },
	{ "RSET", "RSET", "removes every DELE mark of this session", "+OK", "RFC 1939", NULL },
	{ "NOOP", "NOOP", "does nothing; keeps an idle session from being logged out", "+OK", "RFC 1939", NULL },
	{ "LAST", "LAST", "the highest message number accessed in this session (RETR, TOP)", "+OK n; many servers answer -ERR, and pouch answers from its own record", "RFC 1460 (dropped by RFC 1725)", NULL },
	{ "QUIT", "QUIT", "ends the session; the server now deletes the DELE-marked messages (the UPDATE state)", "+OK, then the connection closes", "RFC 1939", NULL },
};

static const struct cmd_help *
help_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof cmd_help / sizeof cmd_help[0]; i++)
		if (strcasecmp(cmd_help[i].name, name) == 0)
			return &cmd_help[i];
	return NULL;
}

static const char *
advertised(const struct ui_mbox *mb, const struct cmd_help *h)
{
	if (!h->capa)
		return strcmp(h->name, "LAST") == 0 ? "never listed in CAPA" :
		    strcmp(h->name, "APOP") == 0 ? (mb->s && pop3_greeting(sess_pop3(mb->s)) &&
		    strchr(pop3_greeting(sess_pop3(mb->s)), '<') ? "offered (the greeting has a timestamp)" :
		    "not offered (no timestamp in the greeting)") : "required of every server";
	if (!mb->s || mb->conn != UI_CONN_UP)
		return "unknown (not connected)";
	return pop3_has_capa(sess_pop3(mb->s), h->capa) ? "advertised by this server" :
	    "not advertised by this server";
}

char *
ui_mbox_help(const struct ui_mbox *mb, const char *cmd)
{
	struct dbuf b;
	size_t i;

	dbuf_init(&b, 0);
	if (cmd && *cmd) {
		const struct cmd_help *h = help_find(cmd);

		if (!h)
			return str_printf("No POP3 command %s: :help lists them", cmd);
		dbuf_printf(&b, "%s\nWhat: %s\nReply: %s\nDefined in: %s\nHere: %s",
		    h->syntax, h->what, h->reply, h->rfc, advertised(mb, h));
		if (strcmp(h->name, "DELE") == 0)
			dbuf_printf(&b, "\nIn pouch: a DELE typed here marks the row (D); $ or q commits, x or RSET undoes");
		return dbuf_take(&b, NULL);
	}
	dbuf_adds(&b, "POP3 commands (:help CMD for one; type them after ':')");
	for (i = 0; i < sizeof cmd_help / sizeof cmd_help[0]; i++)
		dbuf_printf(&b, "\n%-14s %s", cmd_help[i].syntax, cmd_help[i].what);
	return dbuf_take(&b, NULL);
}

char *
ui_mbox_info(const struct ui_mbox *mb)
{
	struct dbuf b;
	struct pop3_tls_info ti;
	char v[64];
	const char *capa;
	size_t clen;

	struct pop3 *p = mb->s ? sess_pop3(mb->s) : NULL;

	dbuf_init(&b, 0);
	dbuf_printf(&b, "Server: %s", mb->cfg.pop3.url ? mb->cfg.pop3.url : "");
	if (!mb->s || mb->conn != UI_CONN_UP) {
		dbuf_printf(&b, "\nNot connected%s%s.", *ui_mbox_error(mb) ? ": " : "",
		    ui_mbox_error(mb));
		return dbuf_take(&b, NULL);
	}
	dbuf_printf(&b, "\nGreeting: +OK %s", pop3_greeting(p));
	dbuf_printf(&b, "\nLogin method: %s", pop3_auth_used(p));
	if (pop3_tls_info(p, &ti) == 0)
		dbuf_printf(&b, "\nTLS: %s, %s (certificate verified)\nCertificate SHA-256:\n%s",
		    ti.version, ti.cipher, ti.sha256);
	else
		dbuf_printf(&b, "\nTLS: %s", pop3_tls_active(p) ? "on" : "off (plain text)");
	dbuf_printf(&b, "\nPipelining: %s", pop3_pipelining(p) ? "on" : "off");
	if (pop3_capa_value(p, "EXPIRE", v, sizeof v))
		dbuf_printf(&b, "\nEXPIRE %s: the server deletes messages %s", v,
		    strcmp(v, "NEVER") == 0 ? "never" :
		    strcmp(v, "0") == 0 ? "once they have been retrieved" : "that many days after retrieval");
	if (pop3_capa_value(p, "LOGIN-DELAY", v, sizeof v))
		dbuf_printf(&b, "\nLOGIN-DELAY %s: at most one login every %s seconds", v, v);
	dbuf_printf(&b, "\nMessages: %lu, %llu octets (STAT)", mb->stat_count, mb->stat_octets);
	capa = pop3_capa(p, &clen);
	dbuf_adds(&b, "\n\nCAPA, as the server sent it after login:\n");
	if (clen)
		dbuf_add(&b, capa, clen);
	else
		dbuf_adds(&b, "(the server has no CAPA)\n");
	return dbuf_take(&b, NULL);
}

static int
parse_num(const char *s, unsigned long *out)
{
	char *e;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &e, 10);
	if (errno || *e || v == 0 || v > 4294967295UL)
		return -1;
	*out = v;
	return 0;
}

int
ui_mbox_command(struct ui_mbox *mb, const char *line, char **msg)
{
	static const struct { const char *name; enum pop3_cmd cmd; int args; } cmds[] = {
		{ "STAT", POP3_STAT, 0 }, { "LIST", POP3_LIST, -1 }, { "UIDL", POP3_UIDL, -1 },
		{ "TOP", POP3_TOP, 2 }, { "RETR", POP3_RETR, 1 }, { "DELE", POP3_DELE, 1 },
		{ "RSET", POP3_RSET, 0 }, { "NOOP", POP3_NOOP, 0 }, { "LAST", POP3_LAST, 0 },
		{ "CAPA", POP3_CAPA, 0 },
	};
	char *copy = strdup(line ? line : ""), *w[4], *p, *save = NULL;
	size_t nw = 0, i;
	unsigned long n = 0, lines = 0;
	int rc = -1;

	*msg = NULL;
	if (!copy)
		return -1;
	for (p = strtok_r(copy, " \t", &save); p && nw < 4; p = strtok_r(NULL, " \t", &save))
		w[nw++] = p;
	if (nw == 0) {
		rc = 1;
		*msg = strdup("");
		goto out;
	}
	if (strcasecmp(w[0], "help") == 0) {
		*msg = ui_mbox_help(mb, nw > 1 ? w[1] : NULL);
		rc = 1;
		goto out;
	}
	if (strcasecmp(w[0], "USER") == 0 || strcasecmp(w[0], "PASS") == 0 ||
	    strcasecmp(w[0], "APOP") == 0 || strcasecmp(w[0], "AUTH") == 0 ||
	    strcasecmp(w[0], "STLS") == 0) {
		char *u = text_sanitize(w[0], strlen(w[0]), TEXT_ONELINE, NULL);

		*msg = str_printf("%s is refused here: the session is already logged in "
		    "(the AUTHORIZATION state is over; %s belongs before login, see :help %s)",
		    u ? u : "", u ? u : "", u ? u : "");
		free(u);
		rc = 1;
		goto out;
	}
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcasecmp(cmds[i].name, w[0]) == 0)
			break;
	if (i == sizeof cmds / sizeof cmds[0]) {
		char *u = text_sanitize(w[0], strlen(w[0]), TEXT_ONELINE, NULL);

		*msg = str_printf("unknown POP3 command %s (:help lists them)", u ? u : "");
		free(u);
		goto out;
	}
	if ((cmds[i].args >= 0 && nw - 1 != (size_t)cmds[i].args) ||
	    (cmds[i].args < 0 && nw > 2)) {
		*msg = str_printf("usage: %s", help_find(cmds[i].name)->syntax);
		goto out;
	}
	if (nw >= 2 && parse_num(w[1], &n) < 0) {
		*msg = str_printf("%s: a message number is 1 to 4294967295", cmds[i].name);
		goto out;
	}
	if (nw == 3) {
		char *e;

		errno = 0;
		lines = strtoul(w[2], &e, 10);
		if (!isdigit((unsigned char)*w[2]) || *e || errno) {
			*msg = str_printf("TOP: the line count is a number");
			goto out;
		}
	}
	if (!mb_ready(mb)) {
		/* sent once a reconnect (started here) has the listing */
		if (mb->op != OP_NONE) {
			*msg = str_printf("the session is ending: type it again once it is over");
			goto out;
		}
		if (mb->ntyped == UI_MBOX_TYPED_MAX || !(mb->typed[mb->ntyped] = strdup(line))) {
			*msg = str_printf("too many commands waiting for the server");
			goto out;
		}
		mb->ntyped++;
		if (mb_need_server(mb) < 0) {
			*msg = str_printf("not connected: %s", ui_mbox_error(mb));
			mb_typed_flush(mb, 0);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (cmds[i].cmd == POP3_LAST) {
		if (sess_last(mb->s, typed_last, mb) != SESS_OK) {
			*msg = str_printf("%s", ui_mbox_error(mb));
			goto out;
		}
	} else if (mb_submit_typed(mb, cmds[i].cmd, nw >= 2, n, lines) < 0) {
		*msg = str_printf("%s", ui_mbox_error(mb));
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

