/*
 * store_bench.c: the store's own costs, for bench/store/run.
 *
 *   store_bench make DIR N        a store of N generated messages (~2 KB,
 *                                 realistic headers), through store_put and
 *                                 store_land as sync does
 *   store_bench fake DIR N        the same messages written straight into
 *                                 new/ (no fsync, no index): the first open
 *                                 then rebuilds the index from the Maildir
 *   store_bench open DIR          opens it (writable: lock, index, the
 *                                 Maildir scan) and closes it; prints the
 *                                 seconds and the count
 *   store_bench journal DIR K     K flag changes, each made durable
 *                                 (store_commit): once appended to the
 *                                 journal, once rewriting the whole index
 *                                 atomically; prints ms per change of each
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include <pouch/store.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct store *
open_or_die(const char *dir)
{
	struct store *st = NULL;
	char *err = NULL;

	if (store_open(dir, STORE_OPEN_RDWR, &st, NULL, &err) != STORE_OK) {
		fprintf(stderr, "store_bench: %s\n", err ? err : "?");
		exit(1);
	}
	return st;
}

static void
close_or_die(struct store *st)
{
	char *err = NULL;

	if (store_close(st, &err) != STORE_OK) {
		fprintf(stderr, "store_bench: %s\n", err ? err : "?");
		exit(1);
	}
}

static int
gen(char *msg, size_t size, long i)
{
	static char body[2048];

	if (!body[0]) {
		size_t k;

		memset(body, 'x', sizeof body);
		for (k = 0; k < sizeof body; k += 72)
			body[k] = '\n';
		body[sizeof body - 1] = '\0';
	}
	return snprintf(msg, size,
	    "From: =?UTF-8?Q?Sender_N=C2=B0%ld?= <sender%ld@example.org>\r\n"
	    "To: alice@example.org\r\n"
	    "Subject: =?UTF-8?B?TWVzc2FnZQ==?= number %ld of the benchmark\r\n"
	    "Date: Mon, 30 Nov 2026 %02ld:%02ld:00 +0100\r\n"
	    "Message-ID: <%ld@bench.example.org>\r\n"
	    "\r\n%s\r\n", i % 97, i % 97, i, (i / 60) % 24, i % 60, i, body);
}

static int
fake(const char *dir, long n)
{
	char msg[4096], path[4096];
	long i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, i == 0 ? "" : i == 1 ? "new" : "cur");
		mkdir(path, 0700);
		mkdir((snprintf(path, sizeof path, "%s/tmp", dir), path), 0700);
	}
	for (i = 0; i < n; i++) {
		int len = gen(msg, sizeof msg, i), fd;

		snprintf(path, sizeof path, "%s/new/%ld.M%06ldP1Q%ld.bench,U=bench-%08lx",
		    dir, 1700000000 + i, i % 1000000, i, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, msg, (size_t)len) != len || close(fd) < 0) {
			perror(path);
			return 1;
		}
	}
	printf("wrote %ld messages\n", n);
	return 0;
}

static int
make(const char *dir, long n)
{
	struct store *st = open_or_die(dir);
	char msg[4096], uid[32];
	char *err = NULL;
	long i;
	double t0 = now();

	for (i = 0; i < n; i++) {
		struct store_put *p;
		int len = gen(msg, sizeof msg, i);

		snprintf(uid, sizeof uid, "bench-%08lx", i);
		if (store_put_open(st, uid, &p, &err) != STORE_OK ||
		    store_put_write(p, msg, (size_t)len, &err) != STORE_OK ||
		    store_put_close(p, &err) != STORE_OK ||
		    (store_batch_full(st) && store_land(st, NULL, &err) != STORE_OK)) {
			fprintf(stderr, "store_bench: %s\n", err ? err : "?");
			return 1;
		}
	}
	if (store_land(st, NULL, &err) != STORE_OK) {
		fprintf(stderr, "store_bench: %s\n", err ? err : "?");
		return 1;
	}
	close_or_die(st);
	printf("made %ld messages in %.2f s\n", n, now() - t0);
	return 0;
}

static int
reopen(const char *dir)
{
	double t0 = now();
	struct store *st = open_or_die(dir);
	double t1 = now();
	size_t n = store_count(st);

	close_or_die(st);
	printf("open %.3f s, open+close %.3f s, %zu messages\n", t1 - t0, now() - t0, n);
	return 0;
}

static double
changes(struct store *st, long k, int rewrite)
{
	char *err = NULL;
	double t0;
	long i;

	store_set_rewrite_always(st, rewrite);
	t0 = now();
	for (i = 0; i < k; i++) {
		const struct store_msg *m = store_get(st, (size_t)i % store_count(st));

		unsigned d = m->flags & STORE_F_DELETE;

		if (store_set_flags(st, m->uid, d ? 0 : STORE_F_DELETE, d, &err) != STORE_OK ||
		    store_commit(st, &err) != STORE_OK) {
			fprintf(stderr, "store_bench: %s\n", err ? err : "?");
			exit(1);
		}
	}
	return (now() - t0) * 1000 / (double)k;
}

static int
journal(const char *dir, long k)
{
	struct store *st = open_or_die(dir);
	double j, r;

	j = changes(st, k, 0);
	r = changes(st, k, 1);
	printf("per durable change, %zu messages: journal %.3f ms, atomic rewrite %.3f ms (%.0fx)\n",
	    store_count(st), j, r, r / j);
	store_set_rewrite_always(st, 0);
	close_or_die(st);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "make") == 0)
		return make(argv[2], atol(argv[3]));
	if (argc == 4 && strcmp(argv[1], "fake") == 0)
		return fake(argv[2], atol(argv[3]));
	if (argc == 3 && strcmp(argv[1], "open") == 0)
		return reopen(argv[2]);
	if (argc == 4 && strcmp(argv[1], "journal") == 0)
		return journal(argv[2], atol(argv[3]));
	fputs("usage: store_bench make DIR N | fake DIR N | open DIR | journal DIR K\n", stderr);
	return 2;
}
