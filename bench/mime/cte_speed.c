/*
 * cte_speed.c: the decoders alone, in memory, into a sink that only counts
 * (bench/mime/run builds it against libpouch.a). Prints MB/s of encoded
 * input for base64 (76-column CRLF lines) and quoted-printable (text with
 * escapes and soft breaks), best of several runs, in CPU time (the
 * machine is shared; wall time would measure the neighbours).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pouch/mime.h>

static int
count(void *arg, const char *p, size_t n)
{
	(void)p;
	*(size_t *)arg += n;
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
run(const char *name, enum mime_cte cte, const char *in, size_t len)
{
	double best = 1e9, t;
	size_t out = 0;
	int i;

	for (i = 0; i < 7; i++) {
		out = 0;
		t = now();
		mime_decode(cte, in, len, count, &out);
		t = now() - t;
		if (t < best)
			best = t;
	}
	printf("%-17s %7.0f MB/s of input (%zu -> %zu bytes)\n", name,
	    len / best / 1e6, len, out);
}

int
main(void)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = 64u << 20, i, col = 0, k = 0;
	char *b = malloc(n + 16), *q = malloc(n + 16);
	unsigned seed = 7;

	for (i = 0; k < n; i++) {
		seed = seed * 1103515245 + 12345;
		b[k++] = a[(seed >> 16) & 63];
		if (++col == 76) {
			b[k++] = '\r';
			b[k++] = '\n';
			col = 0;
		}
	}
	run("base64", MIME_CTE_BASE64, b, n);
	for (k = 0, col = 0; k < n; ) {
		seed = seed * 1103515245 + 12345;
		if ((seed >> 16) % 40 == 0) {
			memcpy(q + k, "=C3=A9", 6);
			k += 6;
			col += 6;
		} else {
			q[k++] = (char)('a' + (seed >> 16) % 26);
			col++;
		}
		if (col >= 72) {
			memcpy(q + k, (seed >> 20) & 1 ? "=\r\n" : "\r\n", 3);
			k += (seed >> 20) & 1 ? 3 : 2;
			col = 0;
		}
	}
	run("quoted-printable", MIME_CTE_QP, q, n);
	free(b);
	free(q);
	return 0;
}
