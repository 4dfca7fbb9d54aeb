/*
 * fake_pop3.h: a scripted fake POP3 server for the session tests: it listens
 * on 127.0.0.1 (or everywhere) on a free port, accepts one connection in a
 * thread, and plays a table of steps (expect a line, send a reply, then
 * close, drip, stall, or send a lot). Every byte the client sent is kept in
 * f->got, so that a test can tell that no QUIT ever came. Header-only, like
 * tap.h; include it from one file per test program.
 */
#ifndef POUCH_FAKE_POP3_H
#define POUCH_FAKE_POP3_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* A_NEXT: send the reply, read until the client closes, then accept the
 * next connection and go on with the next step ("--\n" marks it in got). */
enum { A_SEND, A_CLOSE, A_DRIP, A_HANG, A_SLOW, A_BIG, A_NEXT };

struct step {
	const char *expect;	/* prefix of the line the client must send; NULL: none */
	const char *reply;
	int action;
	int ms;			/* A_DRIP, A_SLOW: pause between pieces */
	size_t n;		/* A_SLOW: piece size and count*piece; A_BIG: bytes */
};

struct fake {
	int lfd, port;
	const struct step *steps;
	pthread_t th;
	char got[65536];	/* every byte the client sent */
	size_t ngot;
	char bad[256];		/* first mismatch */
	char rbuf[8192];
	size_t rlen;
};

static void
record(struct fake *f, const char *p, size_t n)
{
	if (n > sizeof f->got - 1 - f->ngot)
		n = sizeof f->got - 1 - f->ngot;
	memcpy(f->got + f->ngot, p, n);
	f->ngot += n;
	f->got[f->ngot] = '\0';
}

/* One line from the client, or -1 at EOF. */
static int
read_line(struct fake *f, int fd, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(f->rbuf, '\n', f->rlen);
		ssize_t r;

		if (nl) {
			size_t l = (size_t)(nl - f->rbuf) + 1;
			size_t c = l < size ? l : size - 1;

			memcpy(line, f->rbuf, c);
			line[c] = '\0';
			memmove(f->rbuf, f->rbuf + l, f->rlen - l);
			f->rlen -= l;
			return 0;
		}
		if (f->rlen == sizeof f->rbuf)
			return -1;
		r = recv(fd, f->rbuf + f->rlen, sizeof f->rbuf - f->rlen, 0);
		if (r <= 0)
			return -1;
		record(f, f->rbuf + f->rlen, (size_t)r);
		f->rlen += (size_t)r;
	}
}

static int
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* inline: a test program that has no use for it gets no warning */
static inline long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void *
serve(void *arg)
{
	struct fake *f = arg;
	const struct step *st;
	struct timeval tv = { 5, 0 };
	char line[1024], buf[4096];
	int fd = accept(f->lfd, NULL, NULL);
	ssize_t r;
	size_t i;

	if (fd < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	for (st = f->steps; st->expect || st->reply; st++) {
		if (st->expect) {
			if (read_line(f, fd, line, sizeof line) < 0) {
				snprintf(f->bad, sizeof f->bad, "EOF, expected %s", st->expect);
				break;
			}
			if (strncmp(line, st->expect, strlen(st->expect)) != 0) {
				snprintf(f->bad, sizeof f->bad, "got %.100s, expected %s",
				    line, st->expect);
				break;
			}
		}
		switch (st->action) {
		case A_CLOSE:
			send_all(fd, st->reply, strlen(st->reply));
			close(fd);
			return NULL;
		case A_DRIP:
			for (i = 0; i < 400; i++) {
				if (send_all(fd, st->reply + i % strlen(st->reply), 1) < 0)
					break;
				sleep_ms(st->ms);
			}
			goto drain;
		case A_SLOW:
			send_all(fd, st->reply, strlen(st->reply));
			memset(buf, 'x', sizeof buf);
			for (i = 0; i < st->n / 2048; i++) {
				sleep_ms(st->ms);
				if (send_all(fd, buf, 2046) < 0 || send_all(fd, "\r\n", 2) < 0)
					break;
			}
			send_all(fd, ".\r\n", 3);
			break;
		case A_BIG:
			memset(buf, 'y', sizeof buf);
			send_all(fd, st->reply, strlen(st->reply));
			for (i = 0; i < st->n / sizeof buf; i++)
				if (send_all(fd, buf, sizeof buf) < 0)
					break;
			goto drain;
		case A_HANG:
			send_all(fd, st->reply, strlen(st->reply));
			goto drain;
		case A_NEXT:
			send_all(fd, st->reply, strlen(st->reply));
			while ((r = recv(fd, buf, sizeof buf, 0)) > 0)
				record(f, buf, (size_t)r);
			close(fd);
			record(f, "--\n", 3);
			f->rlen = 0;
			fd = accept(f->lfd, NULL, NULL);
			if (fd < 0)
				return NULL;
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
			break;
		default:
			send_all(fd, st->reply, strlen(st->reply));
			break;
		}
	}
drain:
	/* Whatever the client still says until it closes: QUIT would show. */
	while ((r = recv(fd, buf, sizeof buf, 0)) > 0)
		record(f, buf, (size_t)r);
	close(fd);
	return NULL;
}

static int fake_any;	/* listen on every address, not only the loopback */

static void
fake_start(struct fake *f, const struct step *steps)
{
	struct sockaddr_in a;
	socklen_t al = sizeof a;

	memset(f, 0, sizeof *f);
	f->steps = steps;
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(fake_any ? INADDR_ANY : INADDR_LOOPBACK);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    listen(f->lfd, 2) < 0 || getsockname(f->lfd, (struct sockaddr *)&a, &al) < 0) {
		printf("Bail out! cannot listen on 127.0.0.1\n");
		exit(1);
	}
	f->port = ntohs(a.sin_port);
	pthread_create(&f->th, NULL, serve, f);
}

static void
fake_stop(struct fake *f)
{
	pthread_join(f->th, NULL);
	close(f->lfd);
}

#endif
