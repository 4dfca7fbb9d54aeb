/*
 * cli_mime.c: the offline MIME commands, pouch --dump-mime FILE and
 * pouch --extract DIR FILE. This is the layer that may print and choose
 * exit codes (cli.h); the decoder below it does neither.
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
		fprintf(stderr, "pouch: cannot open %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		fprintf(stderr, "pouch: %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "pouch: %s: is a directory\n", path);
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
				fprintf(stderr, "pouch: %s: larger than %zu "
				    "bytes or out of memory\n", path, READ_MAX);
				close(fd);
				return -1;
			}
		}
		if (k < 0) {
			fprintf(stderr, "pouch: reading %s: %s\n", path,
			    strerror(errno));
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
			fprintf(stderr, "pouch: cannot create %s: %s\n", dir,
			    strerror(errno));
			*code = EXIT_POUCH_LOCAL;
			return -1;
		}
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		int e = errno;

		fprintf(stderr, "pouch: %s: %s\n", dir,
		    e == ELOOP ? "is a symbolic link (refused)" :
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
			fprintf(stderr, "pouch: %s: %s\n", dir, err);
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
