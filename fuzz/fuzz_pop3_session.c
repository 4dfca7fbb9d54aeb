/*
 * fuzz_pop3_session.c: the POP3 command engine fed arbitrary server output.
 * A session is set up as if logged in, with one request of each kind in
 * flight (pipelined), and the input goes to pop3_feed in chunks whose size
 * the first byte picks. Checks what every on_done may rely on: replies in
 * order, each request completed exactly once, items and bodies consistent.
 * RETR 2 may take its expected size from the LIST before it (expect_sizep).
 * No network: the engine's parsing and completion paths only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pop3_priv.h"

static int done_count, data_stop, data_calls;
static unsigned long long streamed;
/* What the whole LIST said of message 2: RETR 2 reads it through
 * expect_sizep when the body ends, as the command line's pipelined LIST
 * does. */
static unsigned long long list_size2;

static int
on_data(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	if (n == 0 || !p)
		abort();
	streamed += n;
	return data_stop && ++data_calls >= data_stop;
}

/* on_item: the items of the streamed listings, checked as they come */
static size_t items_seen;

static int
on_item(void *ctx, const struct pop3_item *it)
{
	(void)ctx;
	if (it->n == 0 || (it->uid && (strlen(it->uid) == 0 ||
	    strlen(it->uid) > POP3_UID_MAX)))
		abort();
	items_seen++;
	return 0;
}

static void
on_done(void *ctx, const struct pop3_reply *r)
{
	size_t i, want = (size_t)(uintptr_t)ctx;

	if (want != (size_t)done_count++)
		abort();	/* out of order, or twice */
	if (!r->text)
		abort();
	if (r->status != POP3_OK && !r->error)
		abort();
	if (r->nitems && !r->items) {
		/* streamed: on_item saw each one */
		if (r->nitems != items_seen)
			abort();
		items_seen = 0;
		return;
	}
	items_seen = 0;
	for (i = 0; i < r->nitems; i++) {
		if (r->items[i].n == 0)
			abort();
		if (r->cmd == POP3_LIST && r->items[i].n == 2)
			list_size2 = r->items[i].size;
		if (r->cmd == POP3_UIDL && (!r->items[i].uid ||
		    strlen(r->items[i].uid) == 0 ||
		    strlen(r->items[i].uid) > POP3_UID_MAX))
			abort();
	}
	if (r->body && r->body_len != r->body_octets)
		abort();
	if (r->body_len && !r->body)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* held for the whole run: pop3_new/pop3_free would set libcurl up
	 * and tear it down on every input otherwise */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct { enum pop3_cmd cmd; unsigned long n; int stream; } reqs[] = {
		{ POP3_STAT, 0, 0 }, { POP3_LIST, 0, 0 }, { POP3_LIST, 2, 0 },
		{ POP3_UIDL, 0, 0 }, { POP3_UIDL, 3, 0 }, { POP3_RETR, 1, 0 },
		{ POP3_LIST, 0, 1 }, { POP3_UIDL, 0, 1 },	/* on_item */
		{ POP3_RETR, 2, 1 }, { POP3_TOP, 1, 1 }, { POP3_TOP, 2, 0 },
		{ POP3_CAPA, 0, 0 }, { POP3_LAST, 0, 0 }, { POP3_DELE, 1, 0 },
		{ POP3_NOOP, 0, 0 }, { POP3_RSET, 0, 0 }, { POP3_QUIT, 0, 0 },
	};
	struct pop3_opts o;
	struct pop3 *s;
	struct pop3_req r;
	size_t i, step, nreq = sizeof reqs / sizeof reqs[0];

	if (size < 3)
		return 0;
	step = (size_t)data[0] * 7 + 1;
	data_stop = data[1] % 8;
	memset(&o, 0, sizeof o);
	o.url = "pop3://u@fuzz.invalid";
	s = pop3_new(&o);
	if (!s)
		return 0;
	s->state = P_UP;
	s->crlf = (data[1] & 0x40) != 0;	/* a session that has seen CRLF */
	s->pipelining = 1;
	s->window = 64;
	done_count = 0;
	items_seen = 0;
	list_size2 = 0;
	data_calls = 0;
	streamed = 0;
	for (i = 0; i < nreq; i++) {
		memset(&r, 0, sizeof r);
		r.cmd = reqs[i].cmd;
		r.has_n = reqs[i].n > 0;
		r.n = reqs[i].n;
		r.lines = 2;
		r.expect_size = r.cmd == POP3_RETR ? data[2] : 0;
		if (r.cmd == POP3_RETR && r.n == 2 && (data[2] & 1))
			r.expect_sizep = &list_size2;
		r.on_data = reqs[i].stream ? on_data : NULL;
		if (r.cmd == POP3_LIST || r.cmd == POP3_UIDL)
			r.on_item = reqs[i].stream ? on_item : NULL;
		r.on_done = on_done;
		r.ctx = (void *)(uintptr_t)i;
		if (pop3_submit(s, &r) != POP3_OK)
			abort();
	}
	/* as if all were sent */
	s->unsent = NULL;
	s->ninflight = s->npending;
	data += 3;
	size -= 3;
	while (size > 0 && s->state == P_UP) {
		size_t k = size < step ? size : step;

		pop3_feed(s, (const char *)data, k);
		data += k;
		size -= k;
	}
	pop3_free(s);	/* completes the rest as cancelled */
	if ((size_t)done_count != nreq)
		abort();
	return 0;
}
