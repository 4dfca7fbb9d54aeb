/*
 * store_dump.c: a store as the tests see it, for tests/store_*.sh.
 *     store_dump [--rw] DIR   "count N", then "diag TEXT" lines, then one
 *                             "UID<TAB>FILE<TAB>FLAGS<TAB>SUBJECT" per message
 *     store_dump --hold DIR   opens it writable (takes the lock), prints
 *                             "held PID" and waits to be killed
 * Exit 0, or 1 with the store's error on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pouch/store.h>

int
main(int argc, char **argv)
{
	enum store_open_mode mode = STORE_OPEN_RDONLY;
	struct store *st = NULL;
	char *err = NULL;
	int hold = 0;
	size_t i;

	if (argc == 3 && strcmp(argv[1], "--rw") == 0)
		mode = STORE_OPEN_RDWR;
	else if (argc == 3 && strcmp(argv[1], "--hold") == 0)
		mode = STORE_OPEN_RDWR, hold = 1;
	else if (argc != 2) {
		fputs("usage: store_dump [--rw|--hold] DIR\n", stderr);
		return 2;
	}
	if (store_open(argv[argc - 1], mode, &st, NULL, &err) != STORE_OK) {
		fprintf(stderr, "store_dump: %s\n", err ? err : "?");
		free(err);
		return 1;
	}
	if (hold) {
		printf("held %ld\n", (long)getpid());
		fflush(stdout);
		for (;;)
			pause();
	}
	printf("count %zu\n", store_count(st));
	for (i = 0; store_diag(st, i); i++)
		printf("diag %s\n", store_diag(st, i));
	for (i = 0; i < store_count(st); i++) {
		const struct store_msg *m = store_get(st, i);

		printf("%s\t%s\t%s%s\t%s\n", m->uid, m->file,
		    m->flags & STORE_F_READ ? "R" : "", m->flags & STORE_F_DELETE ? "D" : "",
		    m->subject);
	}
	if (store_close(st, &err) != STORE_OK) {
		fprintf(stderr, "store_dump: %s\n", err ? err : "?");
		free(err);
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
