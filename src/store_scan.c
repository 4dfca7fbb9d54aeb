/*
 * store_scan.c: the store's reconciliation with its Maildir (see store.h:
 * the index is a cache): new/ and cur/ listed, files the index does not
 * know summarised, files gone forgotten, names another client renamed
 * followed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pouch/store.h>
#include <pouch/util.h>

#include "store_priv.h"

/* The summary of DIR/FILE: read through mmap, so that a large message
 * costs page cache, not heap. */
int
store_summarize_file(const struct store *st, const char *file, struct store_sum *s,
    unsigned long long *size, int64_t *mtime, int fsync_it, char **err)
{
	char *path = str_printf("%s/%s", st->dir, file);
	struct stat sb;
	void *map = NULL;
	int fd, rc;

	memset(s, 0, sizeof *s);
	if (!path) {
		*err = str_printf("out of memory");
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		*err = str_printf("%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(path);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		*err = str_printf("%s: not a regular file", path);
		close(fd);
		free(path);
		return -1;
	}
	if (fsync_it && fsync(fd) < 0 && errno != EROFS && errno != EBADF) {
		*err = str_printf("%s: fsync failed: %s", path, strerror(errno));
		close(fd);
		free(path);
		return -1;
	}
	if (sb.st_size > 0) {
		map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			*err = str_printf("%s: %s", path, strerror(errno));
			close(fd);
			free(path);
			return -1;
		}
	}
	close(fd);
	rc = store_summarize(map ? map : "", map ? (size_t)sb.st_size : 0, s);
	if (map)
		munmap(map, (size_t)sb.st_size);
	if (rc < 0) {
		*err = str_printf("out of memory");
		free(path);
		return -1;
	}
	*size = (unsigned long long)sb.st_size;
	*mtime = (int64_t)sb.st_mtime;
	free(path);
	return 0;
}

/* Nonzero when a "cur/" name's info (":2,...") holds flag c. */
static int
info_has(const char *file, char c)
{
	const char *info = strchr(file, ':');

	return info && strncmp(info, ":2,", 3) == 0 && strchr(info + 3, c) != NULL;
}

struct found {
	char *file;	/* "new/NAME" or "cur/NAME" */
};

static int
found_cmp(const void *a, const void *b)
{
	return strcmp(((const struct found *)a)->file, ((const struct found *)b)->file);
}

/* Lists new/ and cur/ into *out, in directory order. */
static int
scan_list(struct store *st, struct found **out, size_t *nout, char **err)
{
	static const char *const sub[] = { "new", "cur" };
	struct found *f = NULL;
	size_t n = 0, cap = 0, k;

	for (k = 0; k < 2; k++) {
		char *path = str_printf("%s/%s", st->dir, sub[k]);
		DIR *d;
		struct dirent *e;

		if (!path)
			goto nomem;
		d = opendir(path);
		if (!d) {
			*err = str_printf("%s: %s", path, strerror(errno));
			free(path);
			goto fail;
		}
		free(path);
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 1024;
				struct found *nf = realloc(f, nc * sizeof *nf);

				if (!nf) {
					closedir(d);
					goto nomem;
				}
				f = nf;
				cap = nc;
			}
			f[n].file = str_printf("%s/%s", sub[k], e->d_name);
			if (!f[n].file) {
				closedir(d);
				goto nomem;
			}
			n++;
		}
		closedir(d);
	}
	*out = f;
	*nout = n;
	return 0;
nomem:
	*err = str_printf("out of memory");
fail:
	while (n)
		free(f[--n].file);
	free(f);
	return -1;
}

int
store_scan(struct store *st, int migrate, char **err)
{
	struct found *f = NULL;
	size_t nf = 0, nu = 0, i, before = st->n;
	unsigned char *seen = NULL;
	int rc = -1;

	if (scan_list(st, &f, &nf, err) < 0)
		return -1;
	seen = calloc(before + 1, 1);
	if (!seen)
		goto nomem;
	/* Pass 1, the files the index knows; those it does not are moved to
	 * the front (f[0..nu)) for pass 2. */
	for (i = 0; i < nf; i++) {
		const char *base;
		size_t bn = store_name_base(f[i].file, &base);
		size_t k = store_by_name(st, base, bn);
		struct store_msg m;
		struct store_sum s;
		char *e = NULL;
		int read = strncmp(f[i].file, "cur/", 4) == 0 && info_has(f[i].file, 'S');

		if (k == (size_t)-1) {
			struct found tmp = f[nu];

			f[nu++] = f[i];
			f[i] = tmp;
			continue;
		}
		if (seen[k]) {
			store_diagf(st, "%s/%s: another file has the same name; left out",
			    st->dir, f[i].file);
			continue;
		}
		seen[k] = 1;
		{
			struct store_msg *old = &st->msgs[k];
			int changed = 0;

			m = *old;
			if (strcmp(old->file, f[i].file) != 0) {
				m.file = f[i].file;
				changed = 1;
			}
			if (!!(m.flags & STORE_F_READ) != read) {
				m.flags ^= STORE_F_READ;
				changed = 1;
			}
			if (migrate) {
				if (store_summarize_file(st, f[i].file, &s, &m.size,
				    &m.t_download, 0, &e) < 0) {
					store_diagf(st, "%s", e ? e : "out of memory");
					free(e);
					continue;
				}
				m.from_name = s.from_name;
				m.from_addr = s.from_addr;
				m.subject = s.subject;
				m.date = s.date;
				m.has_date = s.has_date;
				m.attach = s.attach;
				changed = 1;
			}
			if (changed) {
				if (store_msg_pack(old, &m) < 0 || store_journal_msg(st, old) < 0) {
					if (migrate)
						store_sum_free(&s);
					goto nomem;
				}
			}
			if (migrate)
				store_sum_free(&s);
		}
	}
	/* Pass 2, the files the index does not know, in name order (so a
	 * rebuild is in download order: names begin with the time). */
	if (nu)
		qsort(f, nu, sizeof *f, found_cmp);
	for (i = 0; i < nu; i++) {
		const char *base;
		size_t bn = store_name_base(f[i].file, &base);
		size_t k = store_by_name(st, base, bn);
		struct store_msg m;
		struct store_sum s;
		char *e = NULL, *uid;
		int read = strncmp(f[i].file, "cur/", 4) == 0 && info_has(f[i].file, 'S');

		if (k != (size_t)-1) {
			store_diagf(st, "%s/%s: another file has the same name; left out",
			    st->dir, f[i].file);
			continue;
		}
		/* A file the index does not know: landed just before a crash,
		 * or put there by another client. */
		memset(&m, 0, sizeof m);
		if (store_summarize_file(st, f[i].file, &s, &m.size, &m.t_download,
		    0, &e) < 0) {
			store_diagf(st, "%s", e ? e : "out of memory");
			free(e);
			continue;
		}
		uid = store_name_uid(f[i].file);
		if (uid && store_by_uid(st, uid) != (size_t)-1) {
			store_diagf(st, "%s/%s: UIDL %s is already in the store; kept without it",
			    st->dir, f[i].file, uid);
			free(uid);
			uid = NULL;
		}
		m.uid = uid ? uid : "";
		m.file = f[i].file;
		m.flags = read ? STORE_F_READ : 0;
		m.from_name = s.from_name;
		m.from_addr = s.from_addr;
		m.subject = s.subject;
		m.date = s.date;
		m.has_date = s.has_date;
		m.attach = s.attach;
		if (store_msgs_add(st, &m) < 0 ||
		    store_journal_msg(st, &st->msgs[st->n - 1]) < 0) {
			free(uid);
			store_sum_free(&s);
			goto nomem;
		}
		free(uid);
		store_sum_free(&s);
		st->scan_added++;
	}
	/* Messages whose file is gone (deleted by another client). */
	for (i = 0; i < before; i++) {
		const char *base;
		size_t bn;

		if (!st->msgs[i].file || seen[i])
			continue;
		bn = store_name_base(st->msgs[i].file, &base);
		if (!st->readonly) {
			if (dbuf_adds(&st->journal, "d\t") < 0 ||
			    dbuf_add(&st->journal, base, bn) < 0 ||
			    dbuf_addc(&st->journal, '\n') < 0)
				goto nomem;
			st->jrecords++;
		}
		free(st->msgs[i].blk_);
		memset(&st->msgs[i], 0, sizeof st->msgs[i]);
		st->scan_removed++;
	}
	if (st->scan_removed && store_msgs_compact(st) < 0)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	*err = str_printf("out of memory");
out:
	for (i = 0; i < nf; i++)
		free(f[i].file);
	free(f);
	free(seen);
	return rc;
}

