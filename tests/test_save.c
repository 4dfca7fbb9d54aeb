/* test_save.c: safe names (a table), candidates, and file creation. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pouch/save.h>
#include "tap.h"

static const struct {
	const char *in, *want;
} names[] = {
	{ "report.pdf", "report.pdf" },
	{ "/etc/passwd", "passwd" },
	{ "../../x", "x" },
	{ "..\\..\\windows\\system.ini", "system.ini" },
	{ "dir/", "dir" },
	{ "a/b\\c", "c" },
	{ "/", "part-1" },
	{ "", "part-1" },
	{ NULL, "part-1" },
	{ ".", "_" },
	{ "..", "_." },
	{ "...", "_.." },
	{ ".bashrc", "_bashrc" },
	{ "-rf", "_rf" },
	{ "  spaced  ", "spaced" },
	{ "   ", "part-1" },
	{ "a\x1b[31mred", "a_[31mred" },
	{ "tab\there", "tab_here" },
	{ "nl\r\nx", "nl__x" },
	{ "del\x7f", "del_" },
	{ "c1\xc2\x9b", "c1_" },
	{ "evil\xe2\x80\xaegpj.exe", "evil_gpj.exe" },
	{ "lri\xe2\x81\xa6x\xe2\x81\xa9", "lri_x_" },
	/* zero-width space and BOM are not in the one set: kept */
	{ "zw\xe2\x80\x8bsp\xef\xbb\xbf", "zw\xe2\x80\x8bsp\xef\xbb\xbf" },
	{ "a\xe2\x80\x8e" "b\xd8\x9c" "c\xe2\x80\xa8" "d", "a_b_c_d" },
	{ "lrm\xe2\x80\x8e", "lrm_" },
	{ "ls\xe2\x80\xa8", "ls_" },
	{ "bad\xff\xfeutf", "bad__utf" },
	{ "overlong\xc0\xaf", "overlong__" },
	{ "surrogate\xed\xa0\x80", "surrogate___" },
	{ "\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82.docx",
	  "\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82.docx" },
	{ "r\xc3\xa9sum\xc3\xa9.pdf", "r\xc3\xa9sum\xc3\xa9.pdf" },
	{ "\xe2\x80\xae", "_" },
};

/* Names with NUL bytes inside: given with their length, a NUL is a control
 * character like any other, never the end of the name. */
static const struct {
	const char *in;
	size_t len;
	const char *want;
} nul_names[] = {
	{ "evil.txt\0.pdf", 13, "evil.txt_.pdf" },
	{ "a\0b", 3, "a_b" },
	{ "\0", 1, "_" },
	{ "\0\0", 2, "__" },
	{ "x.txt\0", 6, "x.txt_" },
	{ "dir/\0/..\0", 9, "_._" },
	{ "../../\0etc", 10, "_etc" },
	{ "\0.bashrc", 8, "_.bashrc" },
	{ "ok", 2, "ok" },
	{ "a\0b", 1, "a" },	/* len is honoured: what lies past it is not read */
};

static int
exists(int dfd, const char *n)
{
	struct stat st;

	return fstatat(dfd, n, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static int
count_progress(void *arg, size_t written)
{
	*(size_t *)arg = written;
	return 1;	/* cancel after the first piece */
}

int
main(void)
{
	size_t i, len;
	char *s, *c, long_in[2000], tmpl[] = "/tmp/test_save.XXXXXX";
	int dfd, fd;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		s = save_safe_name(names[i].in, names[i].in ? strlen(names[i].in) : 0,
		    "part-1");
		is_str(s, names[i].want, "safe name %zu", i);
		free(s);
	}
	for (i = 0; i < sizeof(nul_names) / sizeof(nul_names[0]); i++) {
		s = save_safe_name(nul_names[i].in, nul_names[i].len, "part-1");
		is_str(s, nul_names[i].want, "safe name with NUL %zu", i);
		free(s);
	}
	s = save_safe_name("", 0, "///");
	is_str(s, "attachment", "unsafe fallback gives attachment");
	free(s);

	/* 300 two-byte characters then an extension: cut to 255 bytes on a
	 * character boundary, the extension kept. */
	for (i = 0; i < 300; i++)
		memcpy(long_in + 2 * i, "\xd0\xb6", 2);
	strcpy(long_in + 600, ".pdf");
	s = save_safe_name(long_in, strlen(long_in), NULL);
	len = strlen(s);
	ok(len <= 255 && len >= 253, "long name capped (%zu bytes)", len);
	ok(strcmp(s + len - 4, ".pdf") == 0, "long name keeps .pdf");
	ok(((unsigned char)s[len - 5] & 0xc0) != 0xc0 &&
	    memcmp(s + len - 6, "\xd0\xb6", 2) == 0, "cut on a character boundary");
	c = save_candidate(s, 123);
	ok(strlen(c) <= 255, "candidate of long name within 255 (%zu)", strlen(c));
	ok(strstr(c, " (123).pdf") != NULL, "candidate suffix before extension");
	free(c);
	free(s);
	memset(long_in, 'x', 1999);
	long_in[1999] = '\0';
	s = save_safe_name(long_in, strlen(long_in), NULL);
	is_int(strlen(s), 255, "ascii name without extension capped at 255");
	free(s);

	c = save_candidate("a.txt", 0);
	is_str(c, "a.txt", "candidate 0");
	free(c);
	c = save_candidate("a.txt", 2);
	is_str(c, "a (2).txt", "candidate 2");
	free(c);
	c = save_candidate("noext", 1);
	is_str(c, "noext (1)", "candidate without extension");
	free(c);
	c = save_candidate("_bashrc", 1);
	is_str(c, "_bashrc (1)", "candidate of dotless stem");
	free(c);
	c = save_candidate("a.tar.gz", 1);
	is_str(c, "a.tar (1).gz", "candidate puts the suffix before the last extension");
	free(c);

	if (!mkdtemp(tmpl))
		return 1;
	dfd = open(tmpl, O_RDONLY | O_DIRECTORY);
	for (i = 0; i < 3; i++) {
		fd = save_create(dfd, "same.txt", &c);
		ok(fd >= 0, "create same.txt #%zu", i);
		is_str(c, i == 0 ? "same.txt" : i == 1 ? "same (1).txt" : "same (2).txt",
		    "collision name #%zu", i);
		close(fd);
		free(c);
	}
	/* A symlink planted in the directory is a taken name, never followed. */
	ok(symlinkat("/tmp/test_save_outside", dfd, "link.txt") == 0, "plant symlink");
	fd = save_create(dfd, "link.txt", &c);
	ok(fd >= 0, "create beside the symlink");
	is_str(c, "link (1).txt", "symlink name skipped");
	close(fd);
	free(c);
	ok(access("/tmp/test_save_outside", F_OK) != 0, "symlink target not created");

	{
		/* Saving a part: exact bytes; progress seen; cancel removes. */
		static const char msg[] = "Content-Type: application/octet-stream; name=\"../p.bin\"\n"
		    "Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ=\n";
		struct mime_part *root = mime_parse(msg, sizeof(msg) - 1);
		char *err, buf[64];
		size_t seen = 0;
		int r;
		ssize_t k;

		r = save_part(dfd, root, NULL, "x", &c, &err);
		is_int(r, 0, "save_part ok");
		is_str(c, "p.bin", "save_part: safe name from the part");
		fd = openat(dfd, c, O_RDONLY);
		k = read(fd, buf, sizeof(buf));
		is_mem(buf, k < 0 ? 0 : (size_t)k, "hello world", 11, "save_part: decoded bytes");
		close(fd);
		unlinkat(dfd, c, 0);
		free(c);
		r = save_part_progress(dfd, root, "cancel.bin", NULL, &c, &err, count_progress, &seen);
		is_int(r, SAVE_CANCELLED, "progress callback cancels");
		ok(seen > 0 && seen <= 11, "progress saw the first piece (%zu bytes)", seen);
		ok(c == NULL && err && strstr(err, "cancelled"), "cancel: no name, a message");
		ok(!exists(dfd, "cancel.bin"), "cancel: the file is removed");
		free(err);
		mime_free(root);
	}
	{
		/* A NUL in the decoded filename: saved under "evil.txt_.pdf",
		 * not under "evil.txt". */
		static const char msg[] = "Content-Type: application/pdf\n"
		    "Content-Disposition: attachment; filename*=utf-8''evil.txt%00.pdf\n"
		    "\n%PDF\n";
		struct mime_part *root = mime_parse(msg, sizeof(msg) - 1);
		char *err;
		int r;

		is_int(root ? (int)root->filename_len : -1, 13, "NUL filename: length 13");
		r = save_part(dfd, root, NULL, "x", &c, &err);
		is_int(r, 0, "save_part of a NUL name ok");
		is_str(c, "evil.txt_.pdf", "save_part: the NUL neutralised, not a cut");
		ok(exists(dfd, "evil.txt_.pdf") && !exists(dfd, "evil.txt"),
		    "save_part: no file under the cut name");
		if (c)
			unlinkat(dfd, c, 0);
		free(c);
		mime_free(root);
	}

	/* Clean up. */
	unlinkat(dfd, "same.txt", 0);
	unlinkat(dfd, "same (1).txt", 0);
	unlinkat(dfd, "same (2).txt", 0);
	unlinkat(dfd, "link.txt", 0);
	unlinkat(dfd, "link (1).txt", 0);
	ok(!exists(dfd, "same.txt"), "cleaned");
	close(dfd);
	rmdir(tmpl);
	return done_testing();
}
