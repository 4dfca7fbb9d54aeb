/* test_mime.c: the part tree: shapes, raw bodies and diagnostics (a table),
 * header lookup, document order, ownership of decoded copies. (What to
 * show of a message is tested in test_text.c.) */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pouch/mime.h>
#include "tap.h"

/* "type(child,child)" with "!" after a leaf: the tree's shape at a glance. */
static void
shape(const struct mime_part *p, struct dbuf *b)
{
	const struct mime_part *c;

	dbuf_adds(b, p->type);
	if (mime_is_leaf(p)) {
		dbuf_addc(b, '!');
		return;
	}
	dbuf_addc(b, '(');
	for (c = p->child; c; c = c->next) {
		shape(c, b);
		if (c->next)
			dbuf_addc(b, ',');
	}
	dbuf_addc(b, ')');
}

struct tcase {
	const char *name, *msg, *shape;
	unsigned diag;		/* bits expected anywhere in the tree (OR) */
	const char *lastbody;	/* raw body of the last leaf in document order */
};

static const struct tcase cases[] = {
	{ "plain", "Subject: x\n\nhello\n", "text/plain!", 0, "hello\n" },
	{ "crlf body kept", "Subject: x\r\n\r\nhello\r\n", "text/plain!", 0, "hello\r\n" },
	{ "empty", "", "text/plain!", 0, "" },
	{ "no blank line", "Subject: x\n", "text/plain!", MIME_DIAG_HDR_NO_BLANK, "" },
	/* Where a header block ends: a stray line starts the body unless it
	 * sits between two fields (a lost fold). */
	{ "stray line starts the body", "Subject: x\nhello\n\nbody", "text/plain!",
	  MIME_DIAG_HDR_STRAY_LINE, "hello\n\nbody" },
	{ "stray line, then the end", "Subject: x\nhello\n", "text/plain!",
	  MIME_DIAG_HDR_STRAY_LINE, "hello\n" },
	{ "stray last line without LF", "Subject: x\nhello", "text/plain!",
	  MIME_DIAG_HDR_STRAY_LINE, "hello" },
	{ "stray first line: no header", "Hello there\nSubject: x\n\nbody\n", "text/plain!",
	  MIME_DIAG_HDR_STRAY_LINE, "Hello there\nSubject: x\n\nbody\n" },
	{ "blank line holding a space", "Subject: x\n \ntext\n", "text/plain!",
	  MIME_DIAG_HDR_STRAY_LINE, "text\n" },
	{ "blank line holding a space, crlf", "Subject: x\r\n \r\ntext\r\n", "text/plain!",
	  MIME_DIAG_HDR_STRAY_LINE, "text\r\n" },
	{ "lost fold between fields", "Content-Type: application/zip;\nname=\"r.zip\"\n"
	  "Content-Disposition: attachment\n\nPK", "application/zip!", MIME_DIAG_HDR_LOST_FOLD, "PK" },
	{ "two stray lines: the first starts the body", "Subject: x\nab\ncd\nTo: y\n\nz",
	  "text/plain!", MIME_DIAG_HDR_STRAY_LINE, "ab\ncd\nTo: y\n\nz" },
	{ "continuation of only spaces is header", "Subject: x\n   \nTo: y\n\nz", "text/plain!",
	  0, "z" },
	{ "space before the colon is a field", "Subject : x\nTo: y\n\nz", "text/plain!", 0, "z" },
	{ "header block to the end of the file", "Subject: x\nTo: y", "text/plain!",
	  MIME_DIAG_HDR_NO_BLANK, "" },
	{ "mbox From, then a stray line", "From a@b Mon\nhello\n", "text/plain!",
	  MIME_DIAG_MBOX_FROM | MIME_DIAG_HDR_STRAY_LINE, "hello\n" },
	{ "header runs into the preamble",
	  "Content-Type: multipart/alternative; boundary=a\nThis is a multi-part message in MIME format.\n"
	  "--a\nContent-Type: text/plain\n\nplain\n--a\nContent-Type: text/html\n\n<p>h</p>\n--a--\n",
	  "multipart/alternative(text/plain!,text/html!)", MIME_DIAG_HDR_STRAY_LINE, "<p>h</p>" },
	{ "body part without its blank line",
	  "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\nhi\n--b--\n",
	  "multipart/mixed(text/plain!)", MIME_DIAG_HDR_STRAY_LINE, "hi" },
	{ "body part whose first line is text",
	  "Content-Type: multipart/mixed; boundary=b\n\n--b\nhi there\n--b--\n",
	  "multipart/mixed(text/plain!)", MIME_DIAG_HDR_STRAY_LINE, "hi there" },
	{ "encapsulated message of one line",
	  "Content-Type: multipart/report; boundary=b\n\n--b\n\nbounced\n--b\n"
	  "Content-Type: message/rfc822\n\nMessage removed\n--b--\n",
	  "multipart/report(text/plain!,message/rfc822(text/plain!))", MIME_DIAG_HDR_STRAY_LINE,
	  "Message removed" },
	{ "two delimiters in a row", "Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\nx\n--b--\n",
	  "multipart/mixed(text/plain!)", MIME_DIAG_EMPTY_PART, "x" },
	{ "mbox From skipped", "From a@b Mon\nSubject: y\n\nz", "text/plain!",
	  MIME_DIAG_MBOX_FROM, "z" },
	{ "bad type", "Content-Type: text\n\nx", "text/plain!", MIME_DIAG_BAD_CTYPE, "x" },
	{ "type without ';'", "Content-Type: application/pdf name=\"i.pdf\"\n\n%PDF",
	  "application/pdf!", MIME_DIAG_PARAM_NO_SEMI, "%PDF" },
	{ "disposition without ';'", "Content-Disposition: attachment filename=a\n\nx",
	  "text/plain!", MIME_DIAG_PARAM_NO_SEMI, "x" },
	{ "type with ';'", "Content-Type: text/plain; charset=utf-8\n\nx", "text/plain!", 0, "x" },
	{ "multipart", "Content-Type: multipart/mixed; boundary=b\n\npre\n--b\n\none\n--b\n"
	  "Content-Type: text/html\n\n<two>\n--b--\nepi\n",
	  "multipart/mixed(text/plain!,text/html!)", 0, "<two>" },
	{ "multipart crlf", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n"
	  "--b--\r\n", "multipart/mixed(text/plain!)", 0, "one" },
	{ "delimiter trailing space", "Content-Type: multipart/mixed; boundary=b\n\n--b \t\n\none\n--b-- \n",
	  "multipart/mixed(text/plain!)", 0, "one" },
	{ "prefix is no delimiter", "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--bX\ntwo\n--b--\n",
	  "multipart/mixed(text/plain!)", 0, "one\n--bX\ntwo" },
	{ "no close", "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nrest\n",
	  "multipart/mixed(text/plain!)", MIME_DIAG_NO_CLOSE, "rest\n" },
	{ "no boundary", "Content-Type: multipart/mixed\n\n--b\n\nx\n",
	  "multipart/mixed!", MIME_DIAG_NO_BOUNDARY, "--b\n\nx\n" },
	{ "empty boundary", "Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\nx\n",
	  "multipart/mixed!", MIME_DIAG_NO_BOUNDARY, "--\n\nx\n" },
	{ "unused boundary", "Content-Type: multipart/mixed; boundary=q\n\n--b\n\nx\n",
	  "multipart/mixed!", MIME_DIAG_BOUNDARY_UNUSED, "--b\n\nx\n" },
	{ "close at once", "Content-Type: multipart/mixed; boundary=q\n\n--q--\n",
	  "multipart/mixed()", 0, NULL },
	{ "outer closes inner",
	  "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/mixed; boundary=i\n\n"
	  "--i\n\nin\n--o\n\nout\n--o--\n",
	  "multipart/mixed(multipart/mixed(text/plain!),text/plain!)", MIME_DIAG_NO_CLOSE, "out" },
	{ "digest default", "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: s\n\nm\n--d--\n",
	  "multipart/digest(message/rfc822(text/plain!))", 0, "m" },
	{ "rfc822", "Content-Type: message/rfc822\n\nSubject: in\n\nbody\n",
	  "message/rfc822(text/plain!)", 0, "body\n" },
	{ "rfc822 base64", "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
	  "U3ViamVjdDogaW4KCmJvZHkK\n", "message/rfc822(text/plain!)", 0, "body\n" },
	{ "delivery-status leaf", "Content-Type: message/delivery-status\n\nA: b\n\nC: d\n",
	  "message/delivery-status!", 0, "A: b\n\nC: d\n" },
	{ "first Content-Type wins", "Content-Type: text/html\nContent-Type: image/png\n\nx",
	  "text/html!", 0, "x" },
	{ "folded boundary param",
	  "Content-Type: multipart/mixed;\n boundary=\"a\n b\"\n\n--a b\n\nx\n--a b--\n",
	  "multipart/mixed(text/plain!)", 0, "x" },
};

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *t = &cases[i];
		struct mime_part *root = mime_parse(t->msg, strlen(t->msg)), *p, *last = NULL;
		struct dbuf b;
		unsigned diag = 0;

		ok(root != NULL, "%s: parsed", t->name);
		if (!root)
			continue;
		dbuf_init(&b, 0);
		shape(root, &b);
		is_str(b.p, t->shape, "%s: shape", t->name);
		dbuf_free(&b);
		for (p = root; p; p = mime_next(p)) {
			diag |= p->diag;
			if (mime_is_leaf(p))
				last = p;
			ok(p->body >= t->msg || (p->parent && p->parent->owned_),
			    "%s: body points into the input or an owned copy", t->name);
		}
		is_int(diag & ~MIME_DIAG_OUTER_CLOSE, t->diag, "%s: diagnostics", t->name);
		if (t->lastbody)
			is_mem(last ? last->body : NULL, last ? last->bodylen : 0,
			    t->lastbody, strlen(t->lastbody), "%s: last body", t->name);
		else
			ok(last == NULL, "%s: no leaf", t->name);
		mime_free(root);
	}

	{
		static const char hdr[] = "X-A: 1\nsubject:  folded\n\tvalue\r\nX-B: 2\nSubject: second\n";
		const char *v;
		size_t n;

		v = mime_header_get(hdr, sizeof(hdr) - 1, "Subject", &n);
		is_mem(v, n, "  folded\n\tvalue", 15, "header_get: first, folded, CR dropped");
		v = mime_header_get(hdr, sizeof(hdr) - 1, "X-B", &n);
		is_mem(v, n, " 2", 2, "header_get: X-B");
		ok(mime_header_get(hdr, sizeof(hdr) - 1, "X", &n) == NULL, "header_get: no prefix match");
		ok(mime_header_get(hdr, sizeof(hdr) - 1, "value", &n) == NULL,
		    "header_get: a continuation is not a field");
	}
	{
		/* mime_header_next: names as written, values folded as they
		 * stand, a lost fold kept in the value before it. */
		static const char hdr[] = " lead\nSubject : a\n b\r\nContent-Type: x/y;\n"
		    "name=z\nX-E:\nTo:v";
		static const char *const want[][2] = {
			{ "Subject", " a\n b" }, { "Content-Type", " x/y;\nname=z" },
			{ "X-E", "" }, { "To", "v" },
		};
		struct mime_field f;
		size_t pos = 0, k = 0;

		while (mime_header_next(hdr, sizeof(hdr) - 1, &pos, &f) && k < 4) {
			is_mem(f.name, f.name_len, want[k][0], strlen(want[k][0]),
			    "header_next %zu: name", k);
			is_mem(f.value, f.value_len, want[k][1], strlen(want[k][1]),
			    "header_next %zu: value", k);
			k++;
		}
		is_int(k, 4, "header_next: four fields");
		ok(!mime_header_next(hdr, sizeof(hdr) - 1, &pos, &f), "header_next: then the end");
	}
	{
		/* A lost fold still carries its parameter; a boundary or a
		 * name without the ';' before it still counts. */
		static const char m[] = "Content-Type: multipart/mixed boundary=b\n\n"
		    "--b\nContent-Type: application/zip;\nname=\"r.zip\"\nX-A: 1\n\nPK\n"
		    "--b\nContent-Type: application/pdf name=\"i.pdf\"\n\n%PDF\n--b--\n";
		struct mime_part *root = mime_parse(m, sizeof(m) - 1);

		is_int(root->nchildren, 2, "boundary without ';': split");
		is_str(root->child ? root->child->filename : NULL, "r.zip",
		    "lost fold: name= kept");
		ok(root->child && (root->child->diag & MIME_DIAG_HDR_LOST_FOLD),
		    "lost fold: flagged");
		is_str(root->child && root->child->next ? root->child->next->type : NULL,
		    "application/pdf", "no ';': the type stands");
		is_str(root->child && root->child->next ? root->child->next->filename : NULL,
		    "i.pdf", "no ';': the name counts");
		ok(mime_is_attachment(root->child->next), "no ';': an attachment");
		mime_free(root);
	}
	{
		static const char m[] = "Content-Type: multipart/mixed; boundary=b\n\n"
		    "--b\n\ntext\n--b\nContent-Disposition: attachment\n\nno name\n"
		    "--b\nContent-Type: image/png; name=p.png\n\npng\n"
		    "--b\nContent-Disposition: inline\n\ninline\n--b--\n";
		struct mime_part *root = mime_parse(m, sizeof(m) - 1), *p;
		const char *want = "0110";
		char got[8] = "";
		size_t k = 0;

		for (p = root->child; p && k < 7; p = p->next)
			got[k++] = mime_is_attachment(p) ? '1' : '0';
		got[k] = '\0';
		is_str(got, want, "attachment rule: filename or disposition attachment");
		is_str(root->child->next->next->filename, "p.png", "name= as filename");
		mime_free(root);
	}
	{
		/* NULs decoded from the headers are kept in the tree with
		 * their lengths. */
		static const char m[] = "Subject: =?utf-8?q?a=00b?=\n"
		    "From: =?utf-8?q?Eve=00Boss?= <eve@example.org>\n"
		    "To: <a\0b@example.org>, Bob <bob@example.org>,\n"
		    " =?utf-7?q?" "?= <c\0d@example.org>\n"
		    "Content-Type: application/pdf; name=\"=?utf-8?q?x=00y?=\"\n"
		    "Content-Disposition: attachment; filename*=utf-8''evil.txt%00.pdf\n"
		    "\n%PDF\n";
		struct mime_part *root = mime_parse(m, sizeof(m) - 1);

		is_mem(root->filename, root->filename_len, "evil.txt\0.pdf", 13,
		    "NUL: filename and its length");
		is_mem(root->msg->subject, root->msg->subject_len, "a\0b", 3,
		    "NUL: subject and its length");
		is_int(root->msg->nfrom, 1, "NUL: one From");
		is_mem(root->msg->from[0].name, root->msg->from[0].name_len,
		    "Eve\0Boss", 8, "NUL: display name and its length");
		is_str(root->msg->from[0].addr, "eve@example.org", "NUL: From addr");
		/* The last one, an empty name and no address, once leaked
		 * its (empty) name buffer: ASan would say so at exit. */
		is_int(root->msg->nto, 1, "NUL in an addr-spec: not an address, dropped");
		is_str(root->msg->nto ? root->msg->to[0].addr : NULL, "bob@example.org",
		    "NUL in an addr-spec: the next address stays");
		mime_free(root);
	}
	{
		/* A boundary with a NUL is matched in full, not up to it. */
		static const char m[] = "Content-Type: multipart/mixed; boundary=\"a\0b\"\n\n"
		    "--a\0b\n\none\n--a\n\nnot a delimiter\n--a\0b--\n";
		struct mime_part *root = mime_parse(m, sizeof(m) - 1);

		is_int(root->nchildren, 1, "NUL boundary: one part");
		is_mem(root->child ? root->child->body : NULL,
		    root->child ? root->child->bodylen : 0,
		    "one\n--a\n\nnot a delimiter", 24, "NUL boundary: \"--a\" is body");
		mime_free(root);
	}
	{
		/* 64 levels exactly, then past the limit. */
		struct dbuf m;
		struct mime_part *root, *p;
		int d, depth;

		for (depth = 64; depth <= 300; depth += 236) {
			dbuf_init(&m, 0);
			dbuf_printf(&m, "Content-Type: multipart/mixed; boundary=b0\n\n");
			for (d = 1; d <= depth; d++)
				dbuf_printf(&m, "--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n",
				    d - 1, d);
			dbuf_printf(&m, "--b%d\n\nleaf\n", depth);
			root = mime_parse(m.p, m.len);
			for (p = root, d = 0; p->child; p = p->child)
				d++;
			if (depth == 64) {
				is_int(d, 65, "64 nested multiparts and the leaf");
				is_str(p->type, "text/plain", "the innermost leaf");
				is_mem(p->body, p->bodylen, "leaf\n", 5, "its body");
			} else {
				is_int(d, MIME_MAX_DEPTH, "past the limit: stops at MIME_MAX_DEPTH");
				ok(p->diag & MIME_DIAG_DEPTH, "and flags it");
				ok(mime_is_leaf(p), "the rest is a leaf");
			}
			mime_free(root);
			dbuf_free(&m);
		}
	}
	{
		/* Past the part limit: the rest becomes one leaf. */
		struct dbuf m;
		struct mime_part *root, *p;
		size_t n = 0, i2;

		dbuf_init(&m, 0);
		dbuf_printf(&m, "Content-Type: multipart/mixed; boundary=p\n\n");
		for (i2 = 0; i2 < MIME_MAX_PARTS + 10; i2++)
			dbuf_adds(&m, "--p\n\nx\n");
		dbuf_adds(&m, "--p--\n");
		root = mime_parse(m.p, m.len);
		for (p = root; p; p = mime_next(p))
			n++;
		is_int(n, MIME_MAX_PARTS, "part limit: exactly MIME_MAX_PARTS nodes");
		ok(root->last_child_->diag & MIME_DIAG_PARTS, "the last one is flagged");
		ok(root->last_child_->bodylen > 10 * 6, "and holds the rest");
		mime_free(root);
		dbuf_free(&m);
	}
	{
		/* Linear on hostile header blocks: 100,000 lost folds, then
		 * 100,000 continuation lines of one field. */
		struct dbuf m;
		struct mime_part *root;
		clock_t t0 = clock();
		size_t i2, vl;
		const char *v;

		dbuf_init(&m, 0);
		for (i2 = 0; i2 < 100000; i2++)
			dbuf_adds(&m, "X-A: 1\nlost fold\n");
		dbuf_adds(&m, "Subject: s\n");
		for (i2 = 0; i2 < 100000; i2++)
			dbuf_adds(&m, " more\n");
		dbuf_adds(&m, "\nbody\n");
		root = mime_parse(m.p, m.len);
		ok(root && (root->diag & MIME_DIAG_HDR_LOST_FOLD) &&
		    !(root->diag & MIME_DIAG_HDR_STRAY_LINE), "100,000 lost folds: all header");
		is_mem(root ? root->body : NULL, root ? root->bodylen : 0, "body\n", 5,
		    "100,000 lost folds: the body after the blank line");
		v = root ? mime_header_get(root->hdr, root->hdrlen, "subject", &vl) : NULL;
		ok(v && vl == 2 + 100000 * 6, "the long field's value runs over every continuation");
		ok((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0, "hostile header blocks took under 2 s");
		mime_free(root);
		dbuf_free(&m);
	}
	{
		/* Every diagnostic bit has its own text. */
		unsigned b, b2;
		int distinct = 1;

		for (b = 1; b <= MIME_DIAG_LAST; b <<= 1) {
			ok(strcmp(mime_diag_str(b), "unknown diagnostic") != 0,
			    "diag %#x has a text", b);
			for (b2 = 1; b2 < b; b2 <<= 1)
				if (strcmp(mime_diag_str(b), mime_diag_str(b2)) == 0)
					distinct = 0;
		}
		ok(distinct, "diagnostic texts are distinct");
		is_str(mime_diag_str(1u << 30), "unknown diagnostic", "unknown bit");
	}
	return done_testing();
}
