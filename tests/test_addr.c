/* test_addr.c: mime_hdr_addrs. Each case lists the expected pairs as
 * "name|addr" joined by newlines. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pouch/mime_hdr.h>
#include "tap.h"
#include <pouch/util.h>

static const struct {
	const char *v;
	const char *want;
} cases[] = {
	{ "bob@example.net", "|bob@example.net" },
	{ "<bob@example.net>", "|bob@example.net" },
	{ "Bob <bob@example.net>", "Bob|bob@example.net" },
	{ "Bob  Smith\r\n <bob@x>", "Bob Smith|bob@x" },
	{ "\"Smith, Bob\" <bob@x>", "Smith, Bob|bob@x" },
	{ "\"Bob \\\"the\\\" Smith\" <bob@x>", "Bob \"the\" Smith|bob@x" },
	{ "\"a\\\\b\" <c@d>", "a\\b|c@d" },
	{ "a@b, c@d", "|a@b\n|c@d" },
	{ "A <a@b>, \"C, D\" <c@d>,e@f", "A|a@b\nC, D|c@d\n|e@f" },
	{ "bob@x (Bob Smith)", "|bob@x" },
	{ "Bob (the builder) Smith <bob@x>", "Bob Smith|bob@x" },
	{ "(comment) <bob@x>", "|bob@x" },
	{ "< bob @ x >", "|bob@x" },
	{ "<bob(c)@x>", "|bob@x" },
	{ "=?utf-8?q?Zo=C3=AB?= <zoe@example.org>", "Zoë|zoe@example.org" },
	{ "=?utf-8?q?Zo?= =?utf-8?q?=C3=AB?= <z@x>", "Zoë|z@x" },
	{ "=?utf-8?q?Jos=C3=A9?= Garc\xc3\xad" "a <j@x>", "José García|j@x" },
	{ "\"=?utf-8?q?Zo=C3=AB?=\" <z@x>", "Zoë|z@x" },
	{ "=?koi8-r?b?8NLJ18XU?= <p@x>", "Привет|p@x" },
	{ "=?windows-1251?q?=C8=E2=E0=ED?= <i@x>", "Иван|i@x" },
	{ "Caf\xe9 <c@x>", "Caf\xef\xbf\xbd|c@x" },
	/* groups */
	{ "Friends: a@b, C <c@d>;", "|a@b\nC|c@d" },
	{ "undisclosed-recipients:;", "" },
	{ "Empty:; x@y", "|x@y" },
	{ "G1: a@b;, G2: c@d;", "|a@b\n|c@d" },
	{ "a@b, G:;, c@d", "|a@b\n|c@d" },
	/* routes and quoted locals */
	{ "<@relay1,@relay2:bob@x>", "|bob@x" },
	{ "Bob <@r:bob@x>", "Bob|bob@x" },
	{ "\"john doe\"@x", "|\"john doe\"@x" },
	{ "J <\"john doe\"@x>", "J|\"john doe\"@x" },
	{ "bob@[127.0.0.1]", "|bob@[127.0.0.1]" },
	/* empty and odd */
	{ "", "" },
	{ "   ", "" },
	{ ",,,", "" },
	{ "<>", "" },
	{ "Bob <>", "Bob|" },
	{ "bob", "|bob" },
	/* hostile */
	{ "\"unterminated <a@b>", "|\"unterminated <a@b>" },
	{ "(unterminated <a@b>", "" },
	{ "Bob <bob@x", "Bob|bob@x" },
	{ "Bob <a@b, c@d", "Bob|a@b,c@d" },
	{ "a@b>, c@d", "|a@b\n|c@d" },
	{ "((nested) comment) a@b", "|a@b" },
	{ "(a\\) still comment) b@c", "|b@c" },
	/* the comma between two mailboxes missing: both kept */
	{ "<a@b> <c@d>", "|a@b\n|c@d" },
	{ "Bob Dunite <bob@extern> Bobby Dunite <bobby@extern>",
	  "Bob Dunite|bob@extern\nBobby Dunite|bobby@extern" },
	{ "\"Bob, D\" <b@x> \"Al\" <a@x>", "Bob, D|b@x\nAl|a@x" },
	{ "Bob <b@x> c@y", "Bob|b@x\n|c@y" },
	{ "Bob <b@x> (comment) Al <a@x>", "Bob|b@x\nAl|a@x" },
	{ "Bob <b@x> trailing words", "Bob|b@x" },
	{ "Bob <b@x> =?utf-8?q?Zo=C3=AB?= <z@x>", "Bob|b@x\nZoë|z@x" },
	{ "G: Bob <b@x> Al <a@x>;, c@d", "Bob|b@x\nAl|a@x\n|c@d" },
	{ "::::;;;;", "" },
	{ "a\x1b[31m <x@y>", "a\x1b[31m|x@y" },
};

static char *
render(const struct mime_addr *a, size_t n)
{
	struct dbuf b;
	size_t i;

	dbuf_init(&b, 0);
	for (i = 0; i < n; i++)
		dbuf_printf(&b, "%s%s|%s", i ? "\n" : "", a[i].name, a[i].addr);
	return dbuf_take(&b, NULL);
}

int
main(void)
{
	struct mime_addr *a;
	size_t i, n, len;
	char *r, *big;
	clock_t t0;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = mime_hdr_addrs(cases[i].v, strlen(cases[i].v), &a);
		r = render(a, n == (size_t)-1 ? 0 : n);
		is_str(r, cases[i].want, "addrs %zu", i);
		ok(n == 0 ? a == NULL : a != NULL, "addrs %zu: array iff entries", i);
		free(r);
		mime_addr_free(a, n);
	}

	len = 100000;
	big = malloc(len);
	if (!big)
		return 1;
	t0 = clock();
	for (i = 0; i < len; i++)
		big[i] = "a@b,"[i % 4];
	n = mime_hdr_addrs(big, len, &a);
	is_int(n, len / 4, "100 KB: 25000 addresses");
	mime_addr_free(a, n);
	memset(big, '<', len);
	n = mime_hdr_addrs(big, len, &a);
	is_int(n, 1, "100 KB of '<'");
	mime_addr_free(a, n);
	memset(big, '(', len);
	n = mime_hdr_addrs(big, len, &a);
	is_int(n, 0, "100 KB of '('");
	mime_addr_free(a, n);
	memset(big, '"', len);
	n = mime_hdr_addrs(big, len, &a);
	ok(n != (size_t)-1, "100 KB of quotes");
	mime_addr_free(a, n);
	for (i = 0; i < len; i++)
		big[i] = "=?utf-8?q?a?= "[i % 14];
	n = mime_hdr_addrs(big, len, &a);
	is_int(n, 1, "100 KB of encoded words in one name");
	mime_addr_free(a, n);
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0, "hostile inputs took under 2 s");
	free(big);
	return done_testing();
}
