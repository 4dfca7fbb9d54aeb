/*
 * cli_mime.c: the offline MIME commands, pouch --dump-mime FILE and
 * pouch --extract DIR FILE. This is the layer that may print and choose
 * exit codes (cli.h); the decoder below it does neither. A path or a name
 * reaches stderr only through cli_escape (cli_out.h), the one rule for
 * the terminal: a FILE or DIR argument, or a name taken from a message,
 * may hold ESC or U+202E.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pouch/cli.h>
#include <pouch/cli_out.h>
#include <pouch/mime.h>
#include <pouch/save.h>
#include <pouch/util.h>

/* Non-regular input (a pipe, /dev/stdin) is read into memory up to this. */
#define READ_MAX ((size_t)1 << 30)

struct input {
	const char *p;
	size_t len;
	void *map;	/* munmap this, or */
	char *heap;	/* free this */
};

/* "pouch: " PRE WHAT ": " WHY, WHAT (a path) and WHY escaped. */
static void
say(const char *pre, const char *what, const char *why)
{
	fputs("pouch: ", stderr);
	if (pre)
		fputs(pre, stderr);
	cli_escape_puts(stderr, what);
	fputs(": ", stderr);
	cli_escape_puts(stderr, why);
	fputc('\n', stderr);
}

static void
usage(void)
{
	fputs("usage: pouch --dump-mime FILE\n"
	    "       pouch --extract DIR FILE\n", stderr);
}

static int
input_open(const char *path, struct input *in)
{
	struct stat st;
	int fd;

	memset(in, 0, sizeof(*in));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say("cannot open ", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		say(NULL, path, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		say(NULL, path, "is a directory");
		close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		if (st.st_size == 0) {
			in->p = "";
			close(fd);
			return 0;
		}
		/* Every byte is read anyway: fault the pages in at once
		 * rather than one by one as the decoder reaches them. */
		in->map = mmap(NULL, (size_t)st.st_size, PROT_READ,
		    MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (in->map != MAP_FAILED) {
			in->p = in->map;
			in->len = (size_t)st.st_size;
			close(fd);
			return 0;
		}
		in->map = NULL;	/* some file systems cannot map: read */
	}
	{
		struct dbuf b;
		char chunk[65536];
		ssize_t k;

		dbuf_init(&b, READ_MAX);
		for (;;) {
			k = read(fd, chunk, sizeof(chunk));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			if (dbuf_add(&b, chunk, (size_t)k) < 0) {
				char why[64];

				snprintf(why, sizeof why, "larger than %zu "
				    "bytes or out of memory", READ_MAX);
				say(NULL, path, why);
				close(fd);
				return -1;
			}
		}
		if (k < 0) {
			say("reading ", path, strerror(errno));
			dbuf_free(&b);
			close(fd);
			return -1;
		}
		close(fd);
		in->heap = dbuf_take(&b, &in->len);
		if (!in->heap) {
			fprintf(stderr, "pouch: out of memory\n");
			return -1;
		}
		in->p = in->heap;
	}
	return 0;
}

static void
input_close(struct input *in)
{
	if (in->map)
		munmap(in->map, in->len);
	free(in->heap);
}

static int
stdout_sink(void *arg, const char *p, size_t n)
{
	(void)arg;
	return fwrite(p, 1, n, stdout) == n ? 0 : 1;
}

static int
dump_mime(const char *path)
{
	struct input in;
	struct mime_part *root;
	int r;

	if (input_open(path, &in) < 0)
		return EXIT_POUCH_USAGE;
	root = mime_parse(in.p, in.len);
	if (!root) {
		fputs("pouch: out of memory\n", stderr);
		input_close(&in);
		return EXIT_POUCH_LOCAL;
	}
	r = mime_dump(root, stdout_sink, NULL);
	mime_free(root);
	input_close(&in);
	if (r < 0) {
		fputs("pouch: out of memory\n", stderr);
		return EXIT_POUCH_LOCAL;
	}
	if (r > 0 || fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "pouch: writing the dump: %s\n",
		    strerror(errno));
		return EXIT_POUCH_LOCAL;
	}
	return EXIT_POUCH_OK;
}

/* Opens DIR without following a symlink in its last component; creates it
 * (one level) when missing. */
static int
open_dir(const char *dir, int *code)
{
	int fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			say("cannot create ", dir, strerror(errno));
			*code = EXIT_POUCH_LOCAL;
			return -1;
		}
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		int e = errno;
		struct stat st;

		/* Linux says ENOTDIR, not ELOOP, for a symlink opened with
		 * O_DIRECTORY | O_NOFOLLOW, whatever it points to. */
		if (e == ENOTDIR && lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
			e = ELOOP;
		say(NULL, dir, e == ELOOP ? "is a symbolic link (refused)" :
		    strerror(e));
		*code = e == ENOTDIR || e == ELOOP ? EXIT_POUCH_USAGE :
		    EXIT_POUCH_LOCAL;
		return -1;
	}
	return fd;
}

static int
extract(const char *dir, const char *path)
{
	struct input in;
	struct mime_part *root, *p;
	size_t idx = 0;
	int dfd, code = EXIT_POUCH_OK;

	if (input_open(path, &in) < 0)
		return EXIT_POUCH_USAGE;
	dfd = open_dir(dir, &code);
	if (dfd < 0) {
		input_close(&in);
		return code;
	}
	root = mime_parse(in.p, in.len);
	if (!root) {
		fputs("pouch: out of memory\n", stderr);
		close(dfd);
		input_close(&in);
		return EXIT_POUCH_LOCAL;
	}
	for (p = root; p; p = mime_next(p)) {
		char fallback[32], *chosen, *err;

		idx++;
		if (!mime_is_attachment(p))
			continue;
		snprintf(fallback, sizeof(fallback), "part-%zu", idx);
		if (save_part(dfd, p, NULL, fallback, &chosen, &err) < 0) {
			/* err names the file by its safe name; escaped
			 * all the same, as everything on stderr is. */
			say(NULL, dir, err);
			free(err);
			code = EXIT_POUCH_LOCAL;
			break;
		}
		/* Safe names hold no control characters: fine to print. */
		printf("%s\n", chosen);
		free(chosen);
	}
	mime_free(root);
	close(dfd);
	input_close(&in);
	if (fflush(stdout) != 0 && code == EXIT_POUCH_OK)
		code = EXIT_POUCH_LOCAL;
	return code;
}

int
cli_mime_main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dump-mime") == 0) {
			if (argc != 3 || i != 1) {
				usage();
				return EXIT_POUCH_USAGE;
			}
			return dump_mime(argv[2]);
		}
		if (strcmp(argv[i], "--extract") == 0) {
			if (argc != 4 || i != 1) {
				usage();
				return EXIT_POUCH_USAGE;
			}
			return extract(argv[2], argv[3]);
		}
	}
	usage();
	return EXIT_POUCH_USAGE;
}
