/*
 * pass.c: the password from a command or from the terminal (see pass.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <pouch/pass.h>
#include <pouch/util.h>

enum pass_status
pass_from_command(const char *cmd, char **out, char **err)
{
	char *buf, chunk[4096];
	size_t len = 0;
	int fds[2], status, line_done = 0, too_long = 0;
	ssize_t n = 0;
	pid_t pid;

	*out = NULL;
	*err = NULL;
	buf = malloc(PASS_MAX + 1);
	if (!buf)
		return PASS_NOMEM;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		*err = str_printf("--password-command: pipe: %s", strerror(errno));
		free(buf);
		return PASS_FAILED;
	}
	pid = fork();
	if (pid < 0) {
		*err = str_printf("--password-command: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		free(buf);
		return PASS_FAILED;
	}
	if (pid == 0) {
		/* pouch ignores SIGPIPE; the command should not inherit that. */
		signal(SIGPIPE, SIG_DFL);
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	/* Read to the end, so that the command never dies of SIGPIPE. */
	while ((n = read(fds[0], chunk, sizeof chunk)) != 0) {
		char *nl;
		size_t take;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (line_done)
			continue;
		nl = memchr(chunk, '\n', (size_t)n);
		take = nl ? (size_t)(nl - chunk) : (size_t)n;
		if (len + take > PASS_MAX) {
			too_long = 1;
			line_done = 1;
			continue;
		}
		memcpy(buf + len, chunk, take);
		len += take;
		if (nl)
			line_done = 1;
	}
	explicit_bzero(chunk, sizeof chunk);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	if (len && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (status != -1 && WIFSIGNALED(status))
			*err = str_printf("--password-command was killed by signal %d",
			    WTERMSIG(status));
		else
			*err = str_printf("--password-command failed (exit status %d)",
			    status == -1 ? -1 : WEXITSTATUS(status));
	} else if (too_long) {
		*err = str_printf("--password-command printed a line longer than %d bytes",
		    PASS_MAX);
	} else if (len == 0) {
		*err = str_printf("--password-command printed no password "
		    "(its first line of output is empty)");
	} else if (memchr(buf, '\0', len)) {
		*err = str_printf("--password-command printed a NUL byte");
	} else {
		*out = buf;
		return PASS_OK;
	}
	explicit_bzero(buf, PASS_MAX + 1);
	free(buf);
	return *err ? PASS_FAILED : PASS_NOMEM;
}

enum pass_status
pass_prompt(const char *prompt, char **out, char **err,
    volatile sig_atomic_t *stop)
{
	struct termios old, quiet;
	enum pass_status st = PASS_OK;
	char *buf, c;
	size_t len = 0;
	ssize_t n = 0;
	int fd;

	*out = NULL;
	*err = NULL;
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return PASS_NO_TTY;
	if (tcgetattr(fd, &old) < 0) {
		close(fd);
		return PASS_NO_TTY;
	}
	buf = malloc(PASS_MAX + 1);
	if (!buf) {
		close(fd);
		return PASS_NOMEM;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0) {
		*err = str_printf("cannot turn off echo on the terminal: %s", strerror(errno));
		free(buf);
		close(fd);
		return PASS_FAILED;
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* The prompt is a courtesy; reading still works. */
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		/* The flag is checked between short polls: a signal that came
		 * just before a blocking read would otherwise be missed. */
		if (stop && *stop) {
			st = PASS_INTERRUPTED;
			break;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break;
		if (len >= PASS_MAX) {
			st = PASS_FAILED;
			*err = str_printf("the password is longer than %d bytes", PASS_MAX);
			break;
		}
		buf[len++] = c;
	}
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* Only cosmetic. */
	}
	close(fd);
	c = 0;
	if (len && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (st == PASS_OK && n <= 0 && len == 0) {
		*err = str_printf("no password was typed");
		st = PASS_FAILED;
	}
	if (st != PASS_OK) {
		explicit_bzero(buf, PASS_MAX + 1);
		free(buf);
		return st;
	}
	*out = buf;
	return PASS_OK;
}
