/*
 * tundelay: a user-space netem.  Joins two TUN devices, one in each of two
 * network namespaces, and forwards every IP packet from one to the other a
 * fixed time after it was read, so that TCP between the namespaces sees a
 * real round-trip time (slow start, window growth, idle restarts) and not
 * just an application-level pause.  For the benchmark only, where the kernel
 * has no sch_netem; never part of pouch.
 *
 *   tundelay NETNS_A TUN_A NETNS_B TUN_B DELAY_MS [LIMIT_MB]
 *
 * The TUN devices must exist (ip tuntap add dev TUN mode tun) in their
 * namespaces (/var/run/netns/NAME).  Each direction is a FIFO queue; every
 * packet waits DELAY_MS (one way), so a round trip costs 2 * DELAY_MS.  A
 * direction holding more than LIMIT_MB (default 64) drops, like netem's
 * limit.  Runs until SIGTERM or SIGINT; prints its counters on exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

struct pkt {
	struct pkt *next;
	uint64_t due;           /* ns, CLOCK_MONOTONIC */
	size_t len;
	unsigned char data[];
};

struct dir {
	int in, out;            /* read from in, write to out */
	struct pkt *head, *tail;
	size_t queued;          /* bytes */
	unsigned long long pkts, bytes, drops;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig) { (void)sig; stop = 1; }

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Opens TUN device NAME inside network namespace NS. */
static int open_tun(const char *ns, const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "/var/run/netns/%s", ns);
	int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "tundelay: netns %s: %s\n", ns, strerror(errno));
		exit(1);
	}
	close(nsfd);
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "tundelay: /dev/net/tun: %s\n", strerror(errno));
		exit(1);
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	/* With a virtio-net header and TSO on, the kernel hands over whole
	 * GSO super-packets (up to 64 KiB, segment size from the link's MTU)
	 * and takes them back as they are, as a veth pair would: the link
	 * keeps Ethernet's 1500-byte MTU (so Nagle and delayed ACKs behave as
	 * on a real link) without a system call per 1.5 KB. */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "tundelay: %s in %s: %s\n", name, ns, strerror(errno));
		exit(1);
	}
	if (ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0) {
		fprintf(stderr, "tundelay: offloads on %s: %s\n", name, strerror(errno));
		exit(1);
	}
	return fd;
}

/* Reads every packet waiting on d->in into d's queue. */
static void pull(struct dir *d, uint64_t delay, size_t limit)
{
	static unsigned char buf[262144];
	for (;;) {
		ssize_t n = read(d->in, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;         /* EAGAIN, or the device went away */
		}
		if (n == 0)
			return;
		if (d->queued + (size_t)n > limit) {
			d->drops++;
			continue;
		}
		struct pkt *p = malloc(sizeof *p + (size_t)n);
		if (!p) {
			d->drops++;
			continue;
		}
		memcpy(p->data, buf, (size_t)n);
		p->len = (size_t)n;
		p->due = now_ns() + delay;
		p->next = NULL;
		if (d->tail)
			d->tail->next = p;
		else
			d->head = p;
		d->tail = p;
		d->queued += (size_t)n;
	}
}

/* Writes every packet of d whose time has come; returns the due time of
 * the next one, or 0. */
static uint64_t push(struct dir *d, uint64_t now)
{
	while (d->head && d->head->due <= now) {
		struct pkt *p = d->head;
		ssize_t w = write(d->out, p->data, p->len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			d->drops++;
		else {
			d->pkts++;
			d->bytes += p->len;
		}
		d->head = p->next;
		if (!d->head)
			d->tail = NULL;
		d->queued -= p->len;
		free(p);
	}
	return d->head ? d->head->due : 0;
}

int main(int argc, char **argv)
{
	if (argc < 6 || argc > 7) {
		fprintf(stderr, "usage: tundelay NETNS_A TUN_A NETNS_B TUN_B DELAY_MS [LIMIT_MB]\n");
		return 2;
	}
	char *end;
	double ms = strtod(argv[5], &end);
	if (*end || !(ms >= 0 && ms <= 10000)) {
		fprintf(stderr, "tundelay: bad delay '%s'\n", argv[5]);
		return 2;
	}
	size_t limit = (size_t)(argc == 7 ? atoi(argv[6]) : 64) << 20;
	uint64_t delay = (uint64_t)(ms * 1e6);

	int a = open_tun(argv[1], argv[2]);
	int b = open_tun(argv[3], argv[4]);
	struct dir d[2] = { { .in = a, .out = b }, { .in = b, .out = a } };

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	while (!stop) {
		uint64_t now = now_ns(), next = 0;
		for (int i = 0; i < 2; i++) {
			uint64_t t = push(&d[i], now);
			if (t && (!next || t < next))
				next = t;
		}
		struct pollfd pfd[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
		struct timespec ts, *tsp = NULL;
		if (next) {
			uint64_t wait = next > now ? next - now : 0;
			ts.tv_sec = (time_t)(wait / 1000000000u);
			ts.tv_nsec = (long)(wait % 1000000000u);
			tsp = &ts;
		}
		int r = ppoll(pfd, 2, tsp, NULL);
		if (r < 0 && errno != EINTR) {
			perror("tundelay: ppoll");
			return 1;
		}
		if (r > 0) {
			if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL) ||
			    pfd[1].revents & (POLLERR | POLLHUP | POLLNVAL))
				break;
			if (pfd[0].revents & POLLIN)
				pull(&d[0], delay, limit);
			if (pfd[1].revents & POLLIN)
				pull(&d[1], delay, limit);
		}
	}
	fprintf(stderr, "tundelay: a->b %llu pkts %llu bytes %llu drops; "
	        "b->a %llu pkts %llu bytes %llu drops\n",
	        d[0].pkts, d[0].bytes, d[0].drops, d[1].pkts, d[1].bytes, d[1].drops);
	return 0;
}
