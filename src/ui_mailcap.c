/*
 * ui_mailcap.c: opening a part with its viewer from mailcap (RFC 1524):
 * ~/.mailcap, then /etc/mailcap; the first entry whose type matches and
 * whose test= command succeeds. The part goes to a private temporary file
 * (a 0700 directory made for this session, the file 0600, removed when
 * pouch exits, as a viewer started in the background may read it late).
 * What goes into the command (%s, %t, %{charset}) holds only characters no
 * shell treats specially ([A-Za-z0-9._+/-]): the file is named part-N.EXT,
 * never after the message's file name, and a type or charset with any other
 * character is refused. So it is safe whether the mailcap entry quotes %s
 * ('%s', "%s") or not.
 * needsterminal: curses is suspended while it runs; copiousoutput: its
 * output is shown in the pager. Without an entry: xdg-open FILE, no shell.
 * A test= command runs with no terminal and no descriptor of pouch's, in
 * its own process group; one that has not finished within 3 s is killed
 * (the group) and counts as failed, so a hanging test cannot hang pouch.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pouch/mime.h>
#include <pouch/save.h>
#include <pouch/ui_view.h>
#include <pouch/util.h>

int ui_mailcap_open(struct ui *u, const struct mime_part *p);
void ui_mailcap_cleanup(void);

static char *tmpdir;

void
ui_mailcap_cleanup(void)
{
	if (!tmpdir)
		return;
	/* remove the files we made, then the directory */
	{
		pid_t pid = fork();

		if (pid == 0) {
			execl("/bin/rm", "rm", "-rf", "--", tmpdir, (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	free(tmpdir);
	tmpdir = NULL;
}

/* Nonzero when s is made only of characters no shell treats specially. */
static int
shell_inert(const char *s)
{
	if (!*s || *s == '-')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("._+/-", *s)))
			return 0;
	return 1;
}

static char *
expand(const char *tmpl, const char *file, const struct mime_part *p, int *has_file)
{
	struct dbuf b;
	const char *s;

	dbuf_init(&b, 65536);
	*has_file = 0;
	for (s = tmpl; *s; s++) {
		if (*s == '\\' && s[1]) {
			dbuf_addc(&b, *++s);
			continue;
		}
		if (*s != '%' || !s[1]) {
			dbuf_addc(&b, *s);
			continue;
		}
		s++;
		if (*s == 's') {
			dbuf_adds(&b, file);
			*has_file = 1;
		} else if (*s == 't') {
			dbuf_adds(&b, p->type);
		} else if (*s == '{') {
			const char *e = strchr(s, '}');

			if (e && (size_t)(e - s - 1) == 7 && strncasecmp(s + 1, "charset", 7) == 0)
				dbuf_adds(&b, p->charset && shell_inert(p->charset) ? p->charset : "us-ascii");
			s = e ? e : s + strlen(s) - 1;
		} else if (*s == '%') {
			dbuf_addc(&b, '%');
		} else {
			dbuf_addc(&b, '%');
			dbuf_addc(&b, *s);
		}
	}
	return b.p ? dbuf_take(&b, NULL) : strdup("");
}

static int
type_matches(const char *pat, const char *type)
{
	size_t pl = strlen(pat);

	if (strcasecmp(pat, type) == 0)
		return 1;
	if (pl >= 2 && strcmp(pat + pl - 2, "/*") == 0)
		return strncasecmp(pat, type, pl - 1) == 0;
	if (!strchr(pat, '/'))		/* "text" means any text type */
		return strncasecmp(pat, type, pl) == 0 && type[pl] == '/';
	return 0;
}

struct entry {
	char *view;
	int needsterminal, copiousoutput;
};

/* Splits a mailcap line at unescaped ';' into trimmed fields. */
static size_t
fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *s = line, *w = line, *start = line;

	while (*s && n < max) {
		if (*s == '\\' && s[1]) {
			*w++ = *s++;
			*w++ = *s++;
			continue;
		}
		if (*s == ';') {
			*w = 0;
			f[n++] = start;
			s++;
			w = s;
			start = s;
			continue;
		}
		*w++ = *s++;
	}
	*w = 0;
	if (n < max)
		f[n++] = start;
	for (size_t i = 0; i < n; i++) {
		char *e;

		while (*f[i] == ' ' || *f[i] == '\t')
			f[i]++;
		e = f[i] + strlen(f[i]);
		while (e > f[i] && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
			*--e = 0;
	}
	return n;
}

/* A test= command that has not answered by then counts as failed. */
#define MAILCAP_TEST_MS 3000

static void
close_from(int lowfd)
{
	int fd, maxfd = (int)sysconf(_SC_OPEN_MAX);

	if (maxfd < 0 || maxfd > 65536)
		maxfd = 65536;
	for (fd = lowfd; fd < maxfd; fd++)
		close(fd);
}

/* Waits for a test= command (in its own process group) at most ms
 * milliseconds; then kills its group and returns -1. Else its status. */
static int
wait_test(pid_t pid, int ms)
{
	int st = 0, waited = 0;

	setpgid(pid, pid);	/* the child does it too; whichever is first */
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		if (waited >= ms) {
			kill(-pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		poll(NULL, 0, 10);
		waited += 10;
	}
}

static int
lookup_file(const char *path, const struct mime_part *p, const char *file, struct entry *out)
{
	FILE *fp = fopen(path, "r");
	char line[4096], joined[8192];

	if (!fp)
		return 0;
	joined[0] = 0;
	while (fgets(line, sizeof line, fp)) {
		size_t l = strlen(line);
		char *f[32];
		size_t nf, i;

		if (l && line[l - 1] == '\n')
			line[--l] = 0;
		if (l && line[l - 1] == '\\') {	/* continued */
			line[--l] = 0;
			strncat(joined, line, sizeof joined - strlen(joined) - 1);
			continue;
		}
		strncat(joined, line, sizeof joined - strlen(joined) - 1);
		if (joined[0] == '#' || !joined[0]) {
			joined[0] = 0;
			continue;
		}
		nf = fields(joined, f, 32);
		if (nf >= 2 && type_matches(f[0], p->type)) {
			int ok = 1, nt = 0, co = 0;

			for (i = 2; i < nf; i++) {
				if (strcasecmp(f[i], "needsterminal") == 0)
					nt = 1;
				else if (strcasecmp(f[i], "copiousoutput") == 0)
					co = 1;
				else if (strncasecmp(f[i], "test=", 5) == 0) {
					int hf;
					char *cmd = expand(f[i] + 5, file, p, &hf);
					pid_t pid;
					int st = 1;

					if (!cmd)
						continue;
					pid = fork();
					if (pid == 0) {
						int null = open("/dev/null", O_RDWR);

						/* its own process group, so that a
						 * timeout ends whatever it started;
						 * nothing of pouch's but 0, 1, 2 */
						setpgid(0, 0);
						dup2(null, 0);
						dup2(null, 1);
						dup2(null, 2);
						close_from(3);
						execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
						_exit(127);
					}
					if (pid > 0)
						st = wait_test(pid, MAILCAP_TEST_MS);
					free(cmd);
					if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
						ok = 0;
				}
			}
			if (ok) {
				out->view = strdup(f[1]);
				out->needsterminal = nt;
				out->copiousoutput = co;
				fclose(fp);
				return out->view != NULL;
			}
		}
		joined[0] = 0;
	}
	fclose(fp);
	return 0;
}

int
ui_mailcap_open(struct ui *u, const struct mime_part *p)
{
	struct entry e = { 0 };
	char *file = NULL, *safe = NULL, *home = getenv("HOME") ? str_printf("%s/.mailcap", getenv("HOME")) : NULL;
	struct dbuf b;
	int fd, rc = -1, hf = 0;
	const char *t = getenv("TMPDIR");

	if (!tmpdir) {
		tmpdir = str_printf("%s/pouch-XXXXXX", t && *t == '/' ? t : "/tmp");
		if (!tmpdir || !mkdtemp(tmpdir)) {
			ui_message(u, 1, "temporary directory: %s", strerror(errno));
			free(tmpdir);
			tmpdir = NULL;
			free(home);
			return -1;
		}
		atexit(ui_mailcap_cleanup);
	}
	if (!shell_inert(p->type)) {
		ui_message(u, 1, "Not opening a part whose type has shell characters");
		return -1;
	}
	{
		/* part-N.EXT: the extension only when it is short and inert */
		static unsigned serial;
		const char *dot = p->filename ? memrchr(p->filename, '.', p->filename_len) : NULL;
		char ext[12] = "";

		if (dot && (size_t)(p->filename + p->filename_len - dot) < sizeof ext) {
			memcpy(ext, dot, (size_t)(p->filename + p->filename_len - dot));
			ext[p->filename + p->filename_len - dot] = 0;
			if (!shell_inert(ext + 1))
				ext[0] = 0;
		}
		safe = str_printf("part-%u%s", ++serial, ext);
	}
	if (!safe)
		goto out;
	{
		int dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char *chosen = NULL;

		if (dfd < 0)
			goto out;
		fd = save_create(dfd, safe, &chosen);
		close(dfd);
		if (fd < 0) {
			ui_message(u, 1, "temporary file: %s", strerror(errno));
			goto out;
		}
		fchmod(fd, 0600);
		file = str_printf("%s/%s", tmpdir, chosen);
		free(chosen);
	}
	dbuf_init(&b, 0);
	if (mime_part_decode_dbuf(p, &b) < 0 ||
	    (b.len && write(fd, b.p, b.len) != (ssize_t)b.len)) {
		ui_message(u, 1, "writing the temporary file failed");
		close(fd);
		dbuf_free(&b);
		goto out;
	}
	close(fd);
	if ((home && lookup_file(home, p, file, &e)) || lookup_file("/etc/mailcap", p, file, &e)) {
		char *cmd = expand(e.view, file, p, &hf);
		char *argv[] = { "/bin/sh", "-c", cmd, NULL };

		if (!cmd) {
			dbuf_free(&b);
			goto out;
		}
		if (e.copiousoutput) {
			char *outp = NULL;
			size_t ol = 0;

			rc = ui_run_external(u, argv, hf ? NULL : b.p, hf ? 0 : b.len, 0, &outp, &ol);
			if (outp)
				ui_push(u, view_pager_text(u, p->type, outp, ol));
		} else {
			rc = ui_run_external(u, argv, hf ? NULL : b.p, hf ? 0 : b.len,
			    e.needsterminal, NULL, NULL);
			if (rc >= 0)
				ui_message(u, rc != 0, "The viewer exited with status %d", rc);
		}
		free(cmd);
	} else {
		char *argv[] = { "xdg-open", file, NULL };

		rc = ui_run_external(u, argv, NULL, 0, 0, NULL, NULL);
		if (rc == 127)
			ui_message(u, 1, "No mailcap entry for %s, and xdg-open is not installed", p->type);
		else if (rc >= 0)
			ui_message(u, rc != 0, "xdg-open exited with status %d", rc);
	}
	dbuf_free(&b);
out:
	free(e.view);
	free(file);
	free(safe);
	free(home);
	return rc;
}
