/*
 * fuzz_store.c: the store's index/journal parser (store_index_parse) on
 * hostile bytes, with a round trip: every message record it accepts is
 * written back with store_index_format_msg and must parse to the same
 * record. Also the file-name UIDL decoder. Traps when a promise is broken.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/store.h>
#include <pouch/util.h>

struct ctx {
	int version;
	const struct store_msg *want;
	int matched;
};

static void
same(void *p, const struct store_msg *m)
{
	struct ctx *c = p;
	const struct store_msg *w = c->want;

	if (strcmp(m->uid, w->uid) || strcmp(m->file, w->file) ||
	    strcmp(m->subject, w->subject) || strcmp(m->from_name, w->from_name) ||
	    strcmp(m->from_addr, w->from_addr) || m->flags != w->flags ||
	    (c->version >= 2 && (m->size != w->size || m->has_date != w->has_date ||
	    (m->has_date && m->date != w->date) || m->attach != w->attach ||
	    m->t_download != w->t_download || m->t_gone != w->t_gone)))
		__builtin_trap();
	c->matched++;
}

static void
on_msg(void *p, const struct store_msg *m)
{
	struct ctx *c = p, c2;
	struct dbuf b;
	struct store_index_cb cb;
	size_t torn;

	/* A file stays one level inside new/ or cur/. */
	if ((strncmp(m->file, "new/", 4) && strncmp(m->file, "cur/", 4)) ||
	    m->file[4] == '.' || m->file[4] == '\0' || strchr(m->file + 4, '/'))
		__builtin_trap();
	dbuf_init(&b, 0);
	if (dbuf_printf(&b, "pouch-store %d\n", STORE_INDEX_VERSION) < 0)
		return;
	if (store_index_format_msg(&b, m) < 0)
		return;
	memset(&c2, 0, sizeof c2);
	c2.version = c->version;
	c2.want = m;
	memset(&cb, 0, sizeof cb);
	cb.on_msg = same;
	cb.ctx = &c2;
	/* Version 1 records carry no summary: the round trip checks what
	 * they have. */
	if (store_index_parse(b.p, b.len, &cb, &torn) != STORE_INDEX_VERSION ||
	    c2.matched != 1 || torn != b.len)
		__builtin_trap();
	dbuf_free(&b);
}

static void
on_diag(void *p, unsigned long line, const char *what)
{
	(void)p;
	if (line < 2 || !*what)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_index_cb cb;
	struct ctx c;
	size_t torn;
	char *name, *uid;

	memset(&c, 0, sizeof c);
	memset(&cb, 0, sizeof cb);
	cb.on_msg = on_msg;
	cb.on_diag = on_diag;
	cb.ctx = &c;
	c.version = 2;
	if (size > 13 && memcmp(data, "pouch-store 1", 13) == 0)
		c.version = 1;
	store_index_parse((const char *)data, size, &cb, &torn);
	if (torn > size)
		__builtin_trap();
	name = str_ndup((const char *)data, size < 300 ? size : 300);
	if (name) {
		uid = store_name_uid(name);
		if (uid && (!*uid || strlen(uid) > STORE_UID_MAX))
			__builtin_trap();
		free(uid);
		free(name);
	}
	return 0;
}
