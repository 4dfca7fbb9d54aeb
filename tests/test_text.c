/* test_text.c: text_sanitize (each escape class, both modes) and
 * text_html_to_text (each construct). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
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
	{ L("\xe2\x80\x8f"), TEXT_BODY, "\xe2\x80\x8f" },	/* RLM is a mark, kept */
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
