/*
 * ui_term.c: the reader's terminal: curses started (a real terminal, or
 * the headless screen of a key script) and put back on every exit, the
 * signals (SIGINT/TERM/HUP through the self-pipe; a crash resets the
 * terminal with async-signal-safe writes, then re-raises), external
 * commands run with the terminal handed over (ui_run_external), and the
 * clipboard (OSC 52). The loop that uses them is ui.c.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <pouch/ui.h>
#include <pouch/ui_view.h>
#include <pouch/util.h>

#include "ui_priv.h"

static struct termios saved_tio;
static int saved_tio_ok;
static char crash_reset[64];
static size_t crash_reset_len;
static int curses_on;
static SCREEN *screen;
static FILE *null_out;

static void
on_signal(int sig)
{
	int e = errno;
	char c = (char)sig;

	/* Ctrl-C typed at a viewer or a piped command is theirs (as system()
	 * does); SIGTERM and SIGHUP still end pouch. */
	if (sig == SIGINT && ui_child_running)
		return;
	ui_sig_caught = sig;
	if (ui_sig_pipe[1] >= 0)
		(void)!write(ui_sig_pipe[1], &c, 1);
	errno = e;
}

/* A crash: put the terminal back (async-signal-safe calls only), then die
 * of the same signal so a core dump and the exit status stay right. */
static void
on_crash(int sig)
{
	if (saved_tio_ok)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	if (crash_reset_len)
		(void)!write(STDOUT_FILENO, crash_reset, crash_reset_len);
	signal(sig, SIG_DFL);
	raise(sig);
}

void
ui_signals_setup(void)
{
	struct sigaction sa;
	static const int crash[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	size_t i;

	if (pipe(ui_sig_pipe) == 0) {
		fcntl(ui_sig_pipe[0], F_SETFL, O_NONBLOCK);
		fcntl(ui_sig_pipe[1], F_SETFL, O_NONBLOCK);
		fcntl(ui_sig_pipe[0], F_SETFD, FD_CLOEXEC);
		fcntl(ui_sig_pipe[1], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < sizeof crash / sizeof crash[0]; i++)
		sigaction(crash[i], &sa, NULL);
}

static int
load_script(const char *path, char **err)
{
	FILE *fp = fopen(path, "rb");
	struct dbuf b;
	char buf[8192];
	size_t n;
	long rc;

	if (!fp) {
		*err = str_printf("%s: %s", path, strerror(errno));
		return -1;
	}
	dbuf_init(&b, 4 * 1024 * 1024);
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		if (dbuf_add(&b, buf, n) < 0) {
			fclose(fp);
			*err = str_printf("%s: too large", path);
			return -1;
		}
	fclose(fp);
	rc = ui_script_parse(b.p ? b.p : "", b.len, &ui_steps, err);
	dbuf_free(&b);
	if (rc < 0) {
		char *e = str_printf("%s: %s", path, *err);

		free(*err);
		*err = e;
		return -1;
	}
	ui_nsteps = rc;
	return 0;
}

int
ui_term_start(struct ui *u)
{
	if (u->o->keys_file) {
		char *err = NULL;

		if (load_script(u->o->keys_file, &err) < 0) {
			fprintf(stderr, "pouch: %s\n", err ? err : "out of memory");
			free(err);
			return -1;
		}
		ui_dump_fp = u->o->dump_file ? fopen(u->o->dump_file, "w") : NULL;
		if (u->o->dump_file && !ui_dump_fp) {
			fprintf(stderr, "pouch: %s: %s\n", u->o->dump_file, strerror(errno));
			return -1;
		}
		null_out = fopen("/dev/null", "w");
		screen = null_out ? newterm("xterm", null_out, stdin) : NULL;
		if (!screen) {
			fprintf(stderr, "pouch: cannot start the headless screen (terminfo for xterm?)\n");
			return -1;
		}
		set_term(screen);
		resizeterm(u->o->rows > 0 ? u->o->rows : 24, u->o->cols > 0 ? u->o->cols : 80);
	} else {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			fprintf(stderr, "pouch: the reader needs a terminal (give a COMMAND for the command line)\n");
			return -1;
		}
		if (tcgetattr(STDIN_FILENO, &saved_tio) == 0)
			saved_tio_ok = 1;
		screen = newterm(NULL, stdout, stdin);
		if (!screen) {
			fprintf(stderr, "pouch: cannot use the terminal (TERM=%s)\n",
			    getenv("TERM") ? getenv("TERM") : "");
			return -1;
		}
		set_term(screen);
		{
			/* What the crash handler writes: leave the alternate
			 * screen, show the cursor, reset attributes. */
			const char *parts[] = { tigetstr("rmcup"), tigetstr("cnorm"), tigetstr("sgr0") };
			size_t i;

			for (i = 0; i < 3; i++)
				if (parts[i] && parts[i] != (char *)-1 &&
				    crash_reset_len + strlen(parts[i]) < sizeof crash_reset) {
					memcpy(crash_reset + crash_reset_len, parts[i], strlen(parts[i]));
					crash_reset_len += strlen(parts[i]);
				}
		}
	}
	curses_on = 1;
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(50);
	curs_set(0);
	ui_colors_setup(u->o->conf);
	return 0;
}

void
ui_term_end(void)
{
	if (curses_on) {
		endwin();
		curses_on = 0;
	}
	if (screen) {
		delscreen(screen);
		screen = NULL;
	}
	if (null_out) {
		fclose(null_out);
		null_out = NULL;
	}
	if (ui_dump_fp) {
		fclose(ui_dump_fp);
		ui_dump_fp = NULL;
	}
	free(ui_steps);
	ui_steps = NULL;
	ui_nsteps = ui_stepi = 0;
}

int
ui_run_external(struct ui *u, char *const argv[], const char *data, size_t len,
    int wait, char **output, size_t *outlen)
{
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, status = -1;
	pid_t pid;
	struct dbuf ob;

	dbuf_init(&ob, 64 * 1024 * 1024);
	if (output)
		*output = NULL;
	/* Headless: the command runs with no terminal (its output, unless
	 * captured, goes to /dev/null) and no key is waited for. */
	if (ui_steps)
		wait = 0;
	if ((data && pipe(in) < 0) || (output && pipe(outp) < 0)) {
		ui_message(u, 1, "pipe: %s", strerror(errno));
		return -1;
	}
	if (!output && !ui_steps) {
		def_prog_mode();
		endwin();
	}
	pid = fork();
	if (pid == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_DFL;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGPIPE, &sa, NULL);
		/* the viewer gets no descriptor of pouch's but 0, 1, 2: not the
		 * POP3 connection, not libcurl's sockets, not the dump file */
		if (data) {
			dup2(in[0], STDIN_FILENO);
			close(in[0]);
			close(in[1]);
		}
		if (output) {
			dup2(outp[1], STDOUT_FILENO);
			dup2(open("/dev/null", O_WRONLY), STDERR_FILENO);
			close(outp[0]);
			close(outp[1]);
		} else if (ui_steps) {
			int null = open("/dev/null", O_RDWR);

			if (!data)
				dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		{
			int fd, maxfd = (int)sysconf(_SC_OPEN_MAX);

			if (maxfd < 0 || maxfd > 65536)
				maxfd = 65536;
			for (fd = 3; fd < maxfd; fd++)
				close(fd);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "pouch: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (data)
		close(in[0]);
	if (output)
		close(outp[1]);
	if (pid > 0) {
		size_t off = 0;

		ui_child_running = 1;

		/* Feed and drain together, so neither side blocks on a full pipe. */
		while ((data && in[1] >= 0) || (output && outp[0] >= 0)) {
			struct pollfd p[2];
			int np = 0;

			if (data && in[1] >= 0) {
				p[np].fd = in[1];
				p[np].events = POLLOUT;
				np++;
			}
			if (output && outp[0] >= 0) {
				p[np].fd = outp[0];
				p[np].events = POLLIN;
				np++;
			}
			if (poll(p, (nfds_t)np, -1) < 0 && errno != EINTR)
				break;
			if (data && in[1] >= 0) {
				ssize_t w = off < len ? write(in[1], data + off, len - off < 65536 ? len - off : 65536) : 0;

				if (w > 0)
					off += (size_t)w;
				if (off >= len || (w < 0 && errno != EINTR && errno != EAGAIN)) {
					close(in[1]);
					in[1] = -1;
				}
			}
			if (output && outp[0] >= 0) {
				char buf[8192];
				ssize_t r = read(outp[0], buf, sizeof buf);

				if (r > 0) {
					if (dbuf_add(&ob, buf, (size_t)r) < 0) {
						close(outp[0]);
						outp[0] = -1;
					}
				} else if (r == 0 || errno != EINTR) {
					close(outp[0]);
					outp[0] = -1;
				}
			}
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		ui_child_running = 0;
	} else {
		ui_message(u, 1, "fork: %s", strerror(errno));
	}
	if (in[1] >= 0)
		close(in[1]);
	if (outp[0] >= 0)
		close(outp[0]);
	if (!output && !ui_steps) {
		if (wait && pid > 0) {
			/* the command's output stays on screen until a key */
			struct termios t, raw;
			char c;

			fputs("\n[press a key to return to pouch]", stdout);
			fflush(stdout);
			if (tcgetattr(STDIN_FILENO, &t) == 0) {
				raw = t;
				raw.c_lflag &= (tcflag_t)~(ICANON | ECHO);
				raw.c_cc[VMIN] = 1;
				raw.c_cc[VTIME] = 0;
				tcsetattr(STDIN_FILENO, TCSANOW, &raw);
				while (read(STDIN_FILENO, &c, 1) < 0 && errno == EINTR && !ui_sig_caught)
					;
				tcsetattr(STDIN_FILENO, TCSANOW, &t);
			}
		}
		reset_prog_mode();
		clearok(stdscr, TRUE);
	} else if (output) {
		*output = dbuf_take(&ob, outlen);
	}
	dbuf_free(&ob);
	u->dirty = 1;
	if (pid < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int
ui_clipboard(struct ui *u, const char *text)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(text), i, o = 0;
	char *seq;

	(void)u;
	if (ui_steps)
		return -1;	/* headless: there is no terminal to tell */
	/* OSC 52 ; c ; base64 BEL: every byte of the sequence is pouch's
	 * (the text only travels base64-encoded) */
	seq = malloc(len / 3 * 4 + 16);
	if (!seq)
		return -1;
	memcpy(seq, "\033]52;c;", 7);
	o = 7;
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned char)text[i] << 16 | (unsigned char)text[i + 1] << 8 | (unsigned char)text[i + 2];

		seq[o++] = b64[v >> 18];
		seq[o++] = b64[(v >> 12) & 63];
		seq[o++] = b64[(v >> 6) & 63];
		seq[o++] = b64[v & 63];
	}
	if (i < len) {
		unsigned v = (unsigned char)text[i] << 16 | (i + 1 < len ? (unsigned char)text[i + 1] << 8 : 0);

		seq[o++] = b64[v >> 18];
		seq[o++] = b64[(v >> 12) & 63];
		seq[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		seq[o++] = '=';
	}
	seq[o++] = '\a';
	fflush(stdout);
	(void)!write(STDOUT_FILENO, seq, o);
	free(seq);
	return 0;
}
