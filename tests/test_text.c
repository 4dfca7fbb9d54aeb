/* test_text.c: text_sanitize (each escape class, both modes), the one
 * unsafe set through every escaper (text_sanitize, cli_escape, mime_dump,
 * save_safe_name), and text_html_to_text (each construct). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include <pouch/charset.h>
#include <pouch/cli_out.h>
#include <pouch/mime.h>
#include <pouch/save.h>
#include <pouch/text.h>

#define L(s) s, sizeof(s) - 1

static const struct {
	const char *in;
	size_t len;
	int flags;
	const char *want;
} san[] = {
	{ L("plain text"), TEXT_BODY, "plain text" },
	{ L("Gr\xc3\xbc\xc3\x9f" "e \xe6\x97\xa5 \xf0\x9f\x98\x80"), TEXT_BODY, "Grüße 日 😀" },
	/* line breaks and tabs, by mode */
	{ L("a\nb\tc"), TEXT_BODY, "a\nb\tc" },
	{ L("a\nb\tc"), TEXT_ONELINE, "a b c" },
	{ L("a\r\nb"), TEXT_BODY, "a\nb" },
	{ L("a\r\nb"), TEXT_ONELINE, "a b" },
	{ L("a\rb"), TEXT_BODY, "a^Mb" },
	{ L("a\r"), TEXT_BODY, "a^M" },
	{ L("a\r\r\nb"), TEXT_BODY, "a^M\nb" },
	{ L("a\nb"), TEXT_KEEP_TAB, "a b" },
	{ L("a\tb"), TEXT_KEEP_LF, "a b" },
	/* C0 and DEL */
	{ L("\0"), TEXT_BODY, "^@" },
	{ L("a\x01" "b\x07" "c\x08" "d"), TEXT_BODY, "a^Ab^Gc^Hd" },
	{ L("\x0b\x0c\x1f\x7f"), TEXT_BODY, "^K^L^_^?" },
	/* escape sequences */
	{ L("\x1b"), TEXT_BODY, "^[" },
	{ L("\x1b[31mred\x1b[0m"), TEXT_BODY, "^[[31mred^[[0m" },
	{ L("\x1b]0;title\x07"), TEXT_BODY, "^[]0;title^G" },
	{ L("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\"), TEXT_BODY,
	  "^[]8;;http://evil^[\\link^[]8;;^[\\" },
	{ L("\x1bP+q\x1b\\"), TEXT_BODY, "^[P+q^[\\" },
	{ L("\x1b[2J\x1b[H"), TEXT_ONELINE, "^[[2J^[[H" },
	/* C1 controls, raw UTF-8 and 8-bit */
	{ L("\xc2\x9b" "31m"), TEXT_BODY, "<U+009B>31m" },
	{ L("\xc2\x80\xc2\x9f"), TEXT_BODY, "<U+0080><U+009F>" },
	{ L("\x9b" "31m"), TEXT_BODY, "\xef\xbf\xbd" "31m" },
	{ L("\xc2\xa0"), TEXT_BODY, "\xc2\xa0" },
	/* bidi controls */
	{ L("a\xe2\x80\xae" "cba"), TEXT_BODY, "a<U+202E>cba" },
	{ L("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"), TEXT_BODY,
	  "<U+202A><U+202B><U+202C><U+202D>" },
	{ L("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9"), TEXT_BODY,
	  "<U+2066><U+2067><U+2068><U+2069>" },
	{ L("\xe2\x80\x8f"), TEXT_BODY, "<U+200F>" },	/* RLM reorders too */
	/* invalid UTF-8 */
	{ L("\xff"), TEXT_BODY, "\xef\xbf\xbd" },
	{ L("a\xe2\x82"), TEXT_BODY, "a\xef\xbf\xbd" },
	{ L("\xc0\x80"), TEXT_BODY, "\xef\xbf\xbd\xef\xbf\xbd" },
	{ L("\xed\xa0\x80"), TEXT_BODY, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ L(""), TEXT_BODY, "" },
};

static const struct {
	const char *in;
	const char *want;
} html[] = {
	{ "plain", "plain\n" },
	{ "", "" },
	{ "<p>Hello   <b>world</b></p><p>Second</p>", "Hello world\n\nSecond\n" },
	{ "  lots \n\n of \t space  ", "lots of space\n" },
	{ "a<br>b<br/><br />c", "a\nb\n\nc\n" },
	{ "<div>x<div>y</div>z</div>", "x\ny\nz\n" },
	{ "<h1>Title</h1><p>text</p><h3>Sub</h3>", "# Title\n\ntext\n\n### Sub\n" },
	{ "<ul><li>one<li>two</ul>", "* one\n* two\n" },
	{ "<ol><li>a</li><li>b</li></ol>", "1. a\n2. b\n" },
	{ "<ol start=\"7\"><li>a<li>b</ol>", "7. a\n8. b\n" },
	{ "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>", "* a\n  * b\n* c\n" },
	{ "<blockquote>quoted</blockquote>reply", "> quoted\nreply\n" },
	{ "<blockquote><p>one</p><p>two</p></blockquote>", "> one\n>\n> two\n" },
	{ "<blockquote>a<blockquote>b</blockquote></blockquote>", "> a\n> > b\n" },
	{ "see <a href=\"http://x.org/?a=1&amp;b=2\">this</a>.",
	  "see this [1].\n\n[1] http://x.org/?a=1&b=2\n" },
	{ "<a href='u1'>a</a> <a href=u2>b</a>", "a [1] b [2]\n\n[1] u1\n[2] u2\n" },
	{ "<a href=\"#top\">top</a> <a href=\"javascript:x()\">js</a> <a>none</a>",
	  "top js none\n" },
	{ "<a href=\"u\">open", "open [1]\n\n[1] u\n" },
	{ "<a href=\"http://x.org/\">http://x.org/</a> <a href=\"mailto:a@b\">a@b</a>",
	  "http://x.org/ a@b\n" },
	{ "<a href=\"http://x.org/\"> http://evil.org/ </a>",
	  "http://evil.org/ [1]\n\n[1] http://x.org/\n" },
	{ "<pre>  a  b\n    c</pre>x  y", "  a  b\n    c\nx y\n" },
	{ "<pre>\nfirst LF dropped\n\nkept</pre>", "first LF dropped\n\nkept\n" },
	{ "<ul><li><p>para in item</p></li><li><div>div</div></li></ul>",
	  "* para in item\n* div\n" },
	{ "<ul><li></li><li>b</li></ul>", "*\n* b\n" },
	{ "<blockquote><pre>a\nb</pre></blockquote>", "> a\n> b\n" },
	{ "<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>",
	  "A | B\n1 | 2\n" },
	{ "<table><tr><td>x</td></tr></table>after", "x\nafter\n" },
	{ "<script>alert('<p>x</p>')</script>a", "a\n" },
	{ "<STYLE type=text/css>p { color: red }</STYLE>b", "b\n" },
	{ "<title>T</title><!-- c <p>hidden</p> -->c", "c\n" },
	{ "<!DOCTYPE html><?xml x?>d", "d\n" },
	{ "<script>never closed", "" },
	{ "<!-- never closed", "" },
	{ "&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#X43;", "<>&\"'ABC\n" },
	{ "&nbsp;&copy;&eacute;&mdash;&hellip;&euro;", "\xc2\xa0©é—…€\n" },
	{ "&#128;&#150;&#0;&#xD800;&#1114112;", "€–\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\n" },
	{ "&unknown; &amp &#; &#x; &", "&unknown; &amp &#; &#x; &\n" },
	{ "&#65&#66", "AB\n" },
	{ "&#27;[31m", "\x1b[31m\n" },
	{ "a < b > c", "a < b > c\n" },
	{ "x<3 y", "x<3 y\n" },
	{ "<img src=x alt=\"pic &amp; more\"> <hr> end", "[pic & more]\n----------\nend\n" },
	{ "<img alt=don't>x", "[don't]x\n" },
	{ "<p title=\"a>b\">text</p>", "text\n" },
	{ "<p title=\"unterminated>text", "" },
	{ "<unknown-tag foo=bar>t</unknown-tag>", "t\n" },
	{ "<P>Upper<BR>Case</P>", "Upper\nCase\n" },
	{ "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 <i>\xd0\xbc\xd0\xb8\xd1\x80</i>",
	  "Привет мир\n" },
};

static const struct {
	const char *name, *msg, *text, *type;
} views[] = {
	{ "header runs into the preamble",
	  "Content-Type: multipart/alternative; boundary=a\nThis is a multi-part message in MIME format.\n"
	  "--a\nContent-Type: text/plain\n\nplain\n--a\nContent-Type: text/html\n\n<p>h</p>\n--a--\n", "plain", "text/plain" },
	{ "blank line holding a space", "Subject: x\n \nHello\n", "Hello\n", "text/plain" },
	{ "encapsulated: its own text", "Content-Type: message/rfc822\n\nMessage removed", "Message removed", "text/plain" },
	{ "forwarded message is not the text",
	  "Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: message/rfc822\n\nSubject: in\n\ninner\n--m--\n", "", NULL },
	{ "plain", "Subject: x\r\n\r\nhi\r\nthere\r\n", "hi\nthere\n", "text/plain" },
	{ "alternative prefers plain",
	  "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/html\n\n"
	  "<p>html</p>\n--a\nContent-Type: text/plain\n\nplain\n--a--\n", "plain", "text/plain" },
	{ "html only is rendered",
	  "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/html\n\n"
	  "<b>bold</b> &amp; more\n--a--\n", "bold & more\n", "text/html" },
	{ "mixed: first text, not the attachment",
	  "Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain\n"
	  "Content-Disposition: attachment; filename=a.txt\n\nfile\n--m\n\nbody\n--m--\n", "body", "text/plain" },
	{ "charset converted", "Content-Type: text/plain; charset=koi8-r\n\n\xf0\xd2\xc9\xd7\xc5\xd4",
	  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "text/plain" },
	{ "escapes neutralised", "Subject: x\n\nred \x1b[31mtext\x1b]0;t\x07\n", "red ^[[31mtext^[]0;t^G\n", "text/plain" },
	{ "qp decoded", "Content-Transfer-Encoding: quoted-printable\n\na=3Db=\nc\n", "a=bc\n", "text/plain" },
	{ "no text", "Content-Type: image/png\n\nPNG", "", NULL },
	{ "nested alternative in mixed",
	  "Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: multipart/alternative; boundary=a\n\n"
	  "--a\nContent-Type: text/html\n\n<i>x</i>\n--a\nContent-Type: text/plain\n\ny\n--a--\n--m--\n", "y", "text/plain" },
};


/* text_part: any text part, as the attachment menu's pager shows it. */
static const struct {
	const char *name, *msg;
	int nth;		/* the part, in document order from the root */
	const char *want;	/* NULL: not text */
} parts[] = {
	{ "plain attachment",
	  "Content-Type: multipart/mixed; boundary=m\n\n--m\n\nbody\n--m\nContent-Type: text/plain\n"
	  "Content-Disposition: attachment; filename=a.txt\n\nline 1\r\nline 2\r\n--m--\n",
	  2, "line 1\nline 2" },
	{ "html rendered", "Content-Type: multipart/alternative; boundary=a\n\n--a\n\nplain\n--a\n"
	  "Content-Type: text/html; charset=utf-8\n\n<p>Gr&uuml;&szlig;e <b>x</b></p>\n--a--\n",
	  2, "Grüße x\n" },
	{ "koi8-r, base64", "Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: base64\n\n"
	  "8NLJ18XU\n", 0, "Привет" },
	{ "windows-1251 qp", "Content-Type: text/csv; charset=windows-1251\n"
	  "Content-Transfer-Encoding: quoted-printable\n\n=C8=E2=E0=ED;1\n", 0, "Иван;1\n" },
	{ "escapes neutralised", "Content-Type: text/x-log\n\n\x1b[2Jok\xe2\x80\xae\n", 0,
	  "^[[2Jok<U+202E>\n" },
	{ "empty text", "Content-Type: text/plain\n\n", 0, "" },
	{ "image is not text", "Content-Type: image/png\n\nPNG", 0, NULL },
	{ "multipart is not text", "Content-Type: multipart/mixed; boundary=m\n\n--m\n\nx\n--m--\n",
	  0, NULL },
	{ "message/rfc822 is not text", "Content-Type: message/rfc822\n\nSubject: s\n\nx", 0, NULL },
};

static void
test_parts(void)
{
	size_t i, n;
	int k;

	for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		struct mime_part *root = mime_parse(parts[i].msg, strlen(parts[i].msg));
		const struct mime_part *p = root;
		char *t;

		for (k = 0; p && k < parts[i].nth; k++)
			p = mime_next(p);
		if (!p) {
			ok(0, "part %s: found", parts[i].name);
			mime_free(root);
			continue;
		}
		n = 99;
		t = text_part(p, &n);
		is_str(t, parts[i].want, "part %s: text", parts[i].name);
		is_int(n, parts[i].want ? strlen(parts[i].want) : 0, "part %s: length", parts[i].name);
		is_int(text_is_text(p), parts[i].want != NULL, "part %s: text_is_text", parts[i].name);
		free(t);
		mime_free(root);
	}
}

static void
test_fields(void)
{
	static const char m[] =
	    "From mbox@line Tue Jul  1 10:52:37 2003\n"
	    "Received: from a\n\tby b; Tue, 1 Jul 2003 10:52:37 +0200\n"
	    "Received: from c\n"
	    "Subject : =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n =?utf-8?q?_aus_Berlin?=\n"
	    "From: =?koi8-r?b?8NLJ18XU?= <p@example.org>\n"
	    "cc: Bob <bob@example.net>,\r\n  Zo\xc3\xab <zoe@example.org>\n"
	    "Reply-To: \"Esc \x1b[31m\" <e@x>\n"
	    "Message-ID: <1@example.org>\n"
	    "Content-Type: application/zip;\n"
	    "name=\"r.zip\"\n"
	    "X-Bidi: a\xe2\x80\xae" "b\xc2\x9b\n"
	    "X-Empty:\n"
	    "\nbody\n";
	static const char *const want[][2] = {
		{ "Received", "from a\tby b; Tue, 1 Jul 2003 10:52:37 +0200" },
		{ "Received", "from c" },
		{ "Subject", "Grüße aus Berlin" },
		{ "From", "Привет <p@example.org>" },
		{ "cc", "Bob <bob@example.net>,  Zoë <zoe@example.org>" },
		{ "Reply-To", "\"Esc ^[[31m\" <e@x>" },
		{ "Message-ID", "<1@example.org>" },
		{ "Content-Type", "application/zip; name=\"r.zip\"" },
		{ "X-Bidi", "a<U+202E>b<U+009B>" },
		{ "X-Empty", "" },
	};
	struct mime_part *root = mime_parse(m, sizeof m - 1);
	struct text_field *f;
	size_t n, i, len;
	char *v;

	n = text_fields(root, &f);
	is_int(n, sizeof want / sizeof want[0], "fields: every field, repeated ones too");
	for (i = 0; i < n && i < sizeof want / sizeof want[0]; i++) {
		char want0[64];

		snprintf(want0, sizeof want0, "%s", want[i][0]);
		is_mem(f[i].name, f[i].name_len, want0, strlen(want0), "field %zu: name", i);
		/* The received tab became a space: one line. */
		if (i == 0)
			is_str(f[i].value, "from a by b; Tue, 1 Jul 2003 10:52:37 +0200",
			    "field %zu: value", i);
		else
			is_str(f[i].value, want[i][1], "field %zu: value", i);
		is_int(f[i].value_len, strlen(f[i].value), "field %zu: length", i);
	}
	text_fields_free(f, n);

	is_int(text_field(root, "CC", &v, &len), 1, "field: found, case-insensitive");
	is_str(v, "Bob <bob@example.net>,  Zoë <zoe@example.org>", "field: Cc decoded");
	is_int(len, strlen(v ? v : ""), "field: its length");
	free(v);
	is_int(text_field(root, "received", &v, NULL), 1, "field: Received");
	is_str(v, "from a by b; Tue, 1 Jul 2003 10:52:37 +0200", "field: the first occurrence");
	free(v);
	is_int(text_field(root, "Bcc", &v, &len), 0, "field: absent");
	ok(v == NULL, "field: absent gives no value");
	is_int(text_field(root, "From mbox@line Tue Jul  1 10", &v, NULL), 0,
	    "field: the mbox From line is no field");
	mime_free(root);

	root = mime_parse("no header at all\n", 17);
	n = text_fields(root, &f);
	ok(n == 0 && f == NULL, "fields: none when the block is empty");
	mime_free(root);
}

static void
test_views(void)
{
	size_t i;

	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		struct mime_part *root = mime_parse(views[i].msg, strlen(views[i].msg));
		const struct mime_part *c;
		size_t n;
		char *t = text_message(root, &n, &c);

		is_str(t, views[i].text, "view %s: text", views[i].name);
		is_int(n, strlen(views[i].text), "view %s: length", views[i].name);
		is_str(c ? c->type : NULL, views[i].type, "view %s: part", views[i].name);
		free(t);
		mime_free(root);
	}
}

/* The one unsafe set, written out: every member is listed here, and
 * utf8_unsafe_cp must agree with this list over all of Unicode. */
static const struct { uint32_t lo, hi; } unsafe_set[] = {
	{ 0x0000, 0x001f },	/* C0 */
	{ 0x007f, 0x009f },	/* DEL, C1 */
	{ 0x061c, 0x061c },	/* ALM */
	{ 0x200e, 0x200f },	/* LRM, RLM */
	{ 0x2028, 0x2029 },	/* LS, PS */
	{ 0x202a, 0x202e },	/* LRE, RLE, PDF, LRO, RLO */
	{ 0x2066, 0x2069 },	/* LRI, RLI, FSI, PDI */
};

/* Neighbours that every escaper must pass through unchanged. */
static const char *const passing[] = {
	"\xc2\xa0",				/* U+00A0 NO-BREAK SPACE */
	"\xc2\xa1~ ",				/* U+00A1, U+007E, space */
	"\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7",
						/* family: ZWJ U+200D in emoji */
	"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",	/* Cyrillic */
	"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",	/* CJK */
	"\xd8\x9b\xd8\x9d",			/* U+061B, U+061D around ALM */
	"\xe2\x80\x8c\xe2\x80\x8d\xe2\x80\x90",	/* U+200C..U+200D, U+2010 */
	"\xe2\x80\xa7\xe2\x80\xaf",		/* U+2027, U+202F */
	"\xe2\x81\xa5\xe2\x81\xaa",		/* U+2065, U+206A */
	"\xef\xbf\xbd",				/* U+FFFD */
};

static int
in_set(uint32_t cp)
{
	size_t i;

	for (i = 0; i < sizeof unsafe_set / sizeof unsafe_set[0]; i++)
		if (cp >= unsafe_set[i].lo && cp <= unsafe_set[i].hi)
			return 1;
	return 0;
}

static int
dump_sink(void *arg, const char *p, size_t n)
{
	return dbuf_add(arg, p, n) < 0 ? -1 : 0;
}

/* The mime-dump/1 JSON of a part whose filename is the UTF-8 in u. */
static char *
dump_filename(const char *u, size_t n)
{
	struct dbuf m, out;
	struct mime_part *root;
	size_t i;

	dbuf_init(&m, 0);
	dbuf_init(&out, 0);
	dbuf_adds(&m, "Content-Disposition: attachment; filename*=utf-8''");
	for (i = 0; i < n; i++)
		dbuf_printf(&m, "%%%02X", (unsigned char)u[i]);
	dbuf_adds(&m, "\n\nx");
	/* The tree points into m: it goes last. */
	root = mime_parse(m.p, m.len);
	if (root && mime_dump(root, dump_sink, &out) != 0)
		dbuf_free(&out);
	mime_free(root);
	dbuf_free(&m);
	return root ? dbuf_take(&out, NULL) : NULL;
}

static void
test_unsafe_set(void)
{
	uint32_t cp;
	size_t i, k, n, bad = 0, bad_cli = 0, bad_san = 0, bad_json = 0, bad_save = 0;
	char enc[8], want[16], *r;
	struct dbuf b, e;

	for (cp = 0; cp <= 0x10ffff; cp++)
		if ((cp < 0xd800 || cp > 0xdfff) && !!utf8_unsafe_cp(cp) != in_set(cp))
			bad++;
	is_int(bad, 0, "utf8_unsafe_cp is exactly the listed set over all of Unicode");

	/* Every member through every escaper: never passed through. */
	for (i = 0; i < sizeof unsafe_set / sizeof unsafe_set[0]; i++)
		for (cp = unsafe_set[i].lo; cp <= unsafe_set[i].hi; cp++) {
			dbuf_init(&e, 0);
			dbuf_adds(&e, "a");
			charset_put_cp(&e, cp);
			dbuf_adds(&e, "b");
			memcpy(enc, e.p + 1, e.len - 2);
			enc[e.len - 2] = '\0';

			/* terminal: caret for C0/DEL, <U+XXXX> for the rest */
			r = text_sanitize(e.p, e.len, TEXT_ONELINE, &n);
			if (cp == '\t' || cp == '\n' || cp == '\r')
				snprintf(want, sizeof want, "a%sb", cp == '\r' ? "^M" : " ");
			else if (cp < 0x20)
				snprintf(want, sizeof want, "a^%cb", (char)(cp + 0x40));
			else if (cp == 0x7f)
				snprintf(want, sizeof want, "a^?b");
			else
				snprintf(want, sizeof want, "a<U+%04X>b", (unsigned)cp);
			if (!r || strcmp(r, want) != 0) {
				bad_san++;
				printf("# text_sanitize U+%04X: %s\n", (unsigned)cp, r ? r : "(null)");
			}
			free(r);

			/* command line: caret for C0 and DEL, \xNN for the rest;
			 * TAB is its layout */
			dbuf_init(&b, 0);
			cli_escape(&b, e.p, e.len);
			if (cp == '\t')
				snprintf(want, sizeof want, "a\tb");
			else if (cp < 0x20)
				snprintf(want, sizeof want, "a^%cb", (char)(cp + 0x40));
			else if (cp == 0x7f)
				snprintf(want, sizeof want, "a^?b");
			else {
				char *w = want + 1;

				want[0] = 'a';
				for (k = 0; enc[k]; k++, w += 4)
					snprintf(w, 5, "\\x%02x", (unsigned char)enc[k]);
				strcpy(w, "b");
			}
			if (!b.p || strcmp(b.p, want) != 0) {
				bad_cli++;
				printf("# cli_escape U+%04X: %s\n", (unsigned)cp, b.p ? b.p : "(null)");
			}
			dbuf_free(&b);

			/* JSON: \uXXXX */
			r = dump_filename(e.p, e.len);
			snprintf(want, sizeof want, "\"a\\u%04xb\"", (unsigned)cp);
			if (!r || !strstr(r, want)) {
				bad_json++;
				printf("# mime_dump U+%04X\n", (unsigned)cp);
			}
			free(r);

			/* file name: "_" */
			r = save_safe_name(e.p, e.len, "fb");
			if (!r || strcmp(r, "a_b") != 0) {
				bad_save++;
				printf("# save_safe_name U+%04X: %s\n", (unsigned)cp, r ? r : "(null)");
			}
			free(r);
			dbuf_free(&e);
		}
	is_int(bad_san, 0, "every member: text_sanitize shows it as ^X or <U+XXXX>");
	is_int(bad_cli, 0, "every member: cli_escape shows it as ^X or \\xNN");
	is_int(bad_json, 0, "every member: mime_dump writes \\uXXXX");
	is_int(bad_save, 0, "every member: save_safe_name writes _");

	/* The neighbours pass every escaper unchanged. */
	for (i = 0; i < sizeof passing / sizeof passing[0]; i++) {
		const char *in = passing[i];
		size_t len = strlen(in);

		r = text_sanitize(in, len, TEXT_ONELINE, &n);
		is_str(r, in, "neighbour %zu: text_sanitize", i);
		free(r);
		dbuf_init(&b, 0);
		cli_escape(&b, in, len);
		is_str(b.p, in, "neighbour %zu: cli_escape", i);
		dbuf_free(&b);
		r = dump_filename(in, len);
		dbuf_init(&b, 0);
		dbuf_printf(&b, "\"filename\": \"%s\"", in);
		ok(r && strstr(r, b.p), "neighbour %zu: mime_dump", i);
		dbuf_free(&b);
		free(r);
		r = save_safe_name(in, len, "fb");
		/* A name is trimmed of surrounding spaces. */
		if (strcmp(in, "\xc2\xa1~ ") == 0)
			is_str(r, "\xc2\xa1~", "neighbour %zu: save_safe_name", i);
		else
			is_str(r, in, "neighbour %zu: save_safe_name", i);
		free(r);
	}
}

int
main(void)
{
	size_t i, n, k;
	char *r, *big;
	clock_t t0;

	for (i = 0; i < sizeof san / sizeof san[0]; i++) {
		r = text_sanitize(san[i].in, san[i].len, san[i].flags, &n);
		is_str(r, san[i].want, "sanitize %zu", i);
		is_int(n, strlen(san[i].want), "sanitize %zu length", i);
		free(r);
	}
	/* nothing below 0x20 but the kept LF/TAB, no DEL, no ESC, for all
	 * single bytes and pairs */
	{
		int bad = 0, a, b;
		unsigned char in[2];

		for (a = 0; a < 256; a++)
			for (b = 0; b < 256; b++) {
				in[0] = (unsigned char)a;
				in[1] = (unsigned char)b;
				r = text_sanitize((char *)in, 2, TEXT_ONELINE, &n);
				for (k = 0; r && k < n; k++)
					if ((unsigned char)r[k] < 0x20 || r[k] == 0x7f)
						bad++;
				if (!r || (n >= 2 && (unsigned char)r[0] == 0xc2 &&
				    (unsigned char)r[1] >= 0x80 && (unsigned char)r[1] <= 0x9f))
					bad++;
				free(r);
			}
		is_int(bad, 0, "no control survives among all 65536 byte pairs");
	}
	test_unsafe_set();
	test_views();
	test_parts();
	test_fields();
	for (i = 0; i < sizeof html / sizeof html[0]; i++) {
		r = text_html_to_text(html[i].in, strlen(html[i].in), &n);
		is_str(r, html[i].want, "html %zu", i);
		free(r);
	}

	/* linear time: deep nesting and long runs */
	n = 100000;
	big = malloc(n * 12 + 1);
	if (!big)
		return 1;
	t0 = clock();
	for (i = 0; i < n; i++)
		memcpy(big + i * 12, "<blockquote>", 12);
	r = text_html_to_text(big, n * 12, &k);
	ok(r != NULL && k == 0, "100000 nested blockquotes");
	free(r);
	for (i = 0; i < n; i++)
		memcpy(big + i * 12, "<ul><li>x<br", 12);
	r = text_html_to_text(big, n * 12, &k);
	ok(r != NULL && k < n * 12 * 4, "100000 nested lists: output bounded (%zu)", k);
	free(r);
	memset(big, '<', n * 12);
	r = text_html_to_text(big, n * 12, &k);
	ok(r != NULL && k == n * 12 + 1, "1.2 MB of '<'");
	free(r);
	memset(big, '&', n * 12);
	r = text_html_to_text(big, n * 12, &k);
	ok(r != NULL && k == n * 12 + 1, "1.2 MB of '&'");
	free(r);
	for (i = 0; i < n; i++)
		memcpy(big + i * 12, "<a href=x>y ", 12);
	r = text_html_to_text(big, n * 12, &k);
	ok(r != NULL, "100000 links");
	free(r);
	for (i = 0; i < n * 12; i++)
		big[i] = "\x1b\x9b\xe2\x80\xae"[i % 5];
	r = text_sanitize(big, n * 12, TEXT_BODY, &k);
	ok(r != NULL && !memchr(r, 0x1b, k), "1.2 MB of escapes sanitized");
	free(r);
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0, "hostile inputs took under 5 s");
	free(big);
	return done_testing();
}
