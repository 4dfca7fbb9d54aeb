/*
 * store_spare.c: files in tmp/ created ahead of need by a helper thread
 * (store_expect), so that creating a message's file is off the path that
 * reads the server. Measured why (bench/store/README): creating a file on
 * ext4 costs 0.2-0.7 ms here (the inode allocation, find_inode_bit), 1.2 s
 * of a 2,000-message sync on loopback and 0.4 s of 500 through a 20 ms
 * round trip, while the reading loop waits for it and the server for the
 * reading loop.
 *
 * The thread only creates empty files named TIME.MUSECPPIDTSEQ.HOST,U=
 * (",U=" marks them as pouch's, so that a crash leaves nothing the next
 * writable open does not remove) and hands out their descriptors in
 * order; store_put_open appends the UIDL to the name for new/. It keeps at
 * most STORE_SPARE_AHEAD open that nobody has taken, stops at the number
 * expected, at the first failure (the caller's own open then reports it),
 * or when told to; whatever it made that was not taken is removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <pouch/store.h>
#include <pouch/util.h>

#include "store_priv.h"

struct spare {
	int fd;
	char *base;		/* TIME.MUSECPPIDTSEQ.HOST,U= */
};

struct store_spares {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *tmpdir;
	char host[64];
	long pid;
	unsigned seq;
	size_t want, made, taken;	/* made - taken <= STORE_SPARE_AHEAD */
	struct spare ring[STORE_SPARE_AHEAD];
	int stop, done;
};

static void *
run(void *arg)
{
	struct store_spares *sp = arg;
	struct timeval tv;
	char *base, *path;
	int fd;

	pthread_mutex_lock(&sp->mu);
	while (!sp->stop && sp->made < sp->want) {
		if (sp->made - sp->taken >= STORE_SPARE_AHEAD) {
			pthread_cond_wait(&sp->cv, &sp->mu);
			continue;
		}
		pthread_mutex_unlock(&sp->mu);
		gettimeofday(&tv, NULL);
		base = str_printf("%lld.M%06ldP%ldT%u.%s,U=", (long long)tv.tv_sec,
		    (long)tv.tv_usec, sp->pid, ++sp->seq, sp->host);
		path = base ? str_printf("%s/%s", sp->tmpdir, base) : NULL;
		fd = path ? open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
		free(path);
		pthread_mutex_lock(&sp->mu);
		if (fd < 0) {
			free(base);
			break;	/* the caller's own open says why */
		}
		sp->ring[sp->made % STORE_SPARE_AHEAD].fd = fd;
		sp->ring[sp->made % STORE_SPARE_AHEAD].base = base;
		sp->made++;
		pthread_cond_broadcast(&sp->cv);
	}
	sp->done = 1;
	pthread_cond_broadcast(&sp->cv);
	pthread_mutex_unlock(&sp->mu);
	return NULL;
}

void
store_spare_stop(struct store *st)
{
	struct store_spares *sp = st->spares;
	char *path;

	if (!sp)
		return;
	pthread_mutex_lock(&sp->mu);
	sp->stop = 1;
	pthread_cond_broadcast(&sp->cv);
	pthread_mutex_unlock(&sp->mu);
	pthread_join(sp->th, NULL);
	for (; sp->taken < sp->made; sp->taken++) {
		struct spare *s = &sp->ring[sp->taken % STORE_SPARE_AHEAD];

		close(s->fd);
		path = str_printf("%s/%s", sp->tmpdir, s->base);
		if (path)
			unlink(path);
		free(path);
		free(s->base);
	}
	pthread_cond_destroy(&sp->cv);
	pthread_mutex_destroy(&sp->mu);
	free(sp->tmpdir);
	free(sp);
	st->spares = NULL;
}

int
store_expect(struct store *st, size_t n)
{
	struct store_spares *sp;
	sigset_t all, old;
	int rc;

	store_spare_stop(st);
	if (st->readonly || n == 0)
		return 0;
	sp = calloc(1, sizeof *sp);
	if (!sp)
		return -1;
	sp->tmpdir = str_printf("%s/tmp", st->dir);
	if (!sp->tmpdir) {
		free(sp);
		return -1;
	}
	memcpy(sp->host, st->host, sizeof sp->host);
	sp->pid = (long)getpid();
	sp->want = n;
	pthread_mutex_init(&sp->mu, NULL);
	pthread_cond_init(&sp->cv, NULL);
	/* Signals stay with the thread that reads the server (Ctrl-C must
	 * interrupt its poll). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&sp->th, NULL, run, sp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&sp->cv);
		pthread_mutex_destroy(&sp->mu);
		free(sp->tmpdir);
		free(sp);
		return -1;
	}
	st->spares = sp;
	return 0;
}

int
store_spare_take(struct store *st, int *fd, char **base)
{
	struct store_spares *sp = st->spares;
	struct spare *s;

	if (!sp)
		return -1;
	pthread_mutex_lock(&sp->mu);
	while (sp->taken == sp->made && !sp->done)
		pthread_cond_wait(&sp->cv, &sp->mu);
	if (sp->taken == sp->made) {
		pthread_mutex_unlock(&sp->mu);
		return -1;
	}
	s = &sp->ring[sp->taken % STORE_SPARE_AHEAD];
	*fd = s->fd;
	*base = s->base;
	s->base = NULL;
	sp->taken++;
	pthread_cond_broadcast(&sp->cv);
	pthread_mutex_unlock(&sp->mu);
	return 0;
}
