/*
 * cli_out.h: what the command line writes: server text made safe for a
 * terminal, the --trace transcript, and message files written so that a
 * partial message never gets its final name.
 *
 * Owns: struct cli_trace (the state of one transcript) and struct outfile
 * (one message file being written).
 *
 * Who may include it: src/cli*.c and tests/test_cli_units.c.
 */
#ifndef POUCH_CLI_OUT_H
#define POUCH_CLI_OUT_H

#include <stddef.h>
#include <stdio.h>

#include <pouch/util.h>

/* Appends p[0..n) to b with every byte a terminal could take as a command
 * shown as text: C0 controls but TAB as ^X (^@ ... ^_), DEL as ^?, bytes
 * that are not valid UTF-8 and UTF-8 C1 controls (U+0080..U+009F) as \xNN.
 * So a hostile server cannot send escape sequences to the terminal.
 * 0, or -1 when memory ran out. */
int cli_escape(struct dbuf *b, const char *p, size_t n);
/* Writes the escaped text to fp; _puts for a C string. */
void cli_escape_put(FILE *fp, const char *p, size_t n);
void cli_escape_puts(FILE *fp, const char *s);

/* Bodies in a trace are shortened after this many lines. */
#define CLI_TRACE_BODY_LINES 20

struct cli_trace {
	FILE *fp;
	const char *password;	/* masked if it ever shows up in a 'C' line */
	unsigned long body_lines;	/* 'D' lines of the current body */
	unsigned long hidden_lines;
	unsigned long long hidden_octets;	/* with the CRLF of each line */
};

void cli_trace_init(struct cli_trace *t, FILE *fp, const char *password);
/* A pop3_trace_fn: 'C' -> "C: ", 'S' and 'D' -> "S: ", '*' -> "*: ".
 * Body lines are shown dot-stuffed again, as on the wire. After
 * CLI_TRACE_BODY_LINES 'D' lines, the rest of the body is counted (M: the
 * unstuffed octets with a CRLF per line) and shown as
 * "S: [... N more lines, M octets ...]" before the next line. */
void cli_trace_line(void *ctx, char dir, const char *line, size_t len);
/* Writes a pending "[... more lines ...]" (at the end of the session). */
void cli_trace_flush(struct cli_trace *t);

enum outfile_status {
	OUTFILE_OK,
	OUTFILE_EXISTS,		/* DIR/N.eml is already there: never overwritten */
	OUTFILE_ERR,		/* a system call failed; see the message */
};

struct outfile {
	char *dir;
	char *final;		/* DIR/N.eml */
	char *tmp;		/* DIR/.N.eml.XXXXXX, while open */
	int fd;
	int failed;		/* a write failed; the file will not be committed */
	unsigned long long written;
};

/* DIR/N.eml for message n (malloc'd), or NULL. */
char *outfile_name(const char *dir, unsigned long n);
/* OUTFILE_OK when DIR is a directory (creating it, mode 0700, if it is
 * missing) and DIR/N.eml does not exist for any of msgs. Else *err. */
enum outfile_status outfile_check(const char *dir, const unsigned long *msgs,
    size_t n, char **err);
/* Creates the temporary file (O_EXCL, mode 0600). */
enum outfile_status outfile_open(struct outfile *f, const char *dir,
    unsigned long n, char **err);
/* Appends; after a failure the file is marked failed and further data is
 * dropped (the caller then aborts it). */
enum outfile_status outfile_write(struct outfile *f, const char *p, size_t n,
    char **err);
/* Closes and removes the temporary file; frees. Safe on an emptied one. */
void outfile_abort(struct outfile *f);

/*
 * A body streamed to stdout ("retr 3 > msg.eml", "retr 3 >> mbox", a
 * pipe), which a failure midway must not leave looking whole. It can be
 * cut off again when stdout is a regular file, pouch writes at its end
 * (O_APPEND, or the offset is the size), stderr is not the same file (an
 * error line would be cut too), and the file still ends within what this
 * body wrote. Zero it before the first write.
 */
struct stdout_part {
	int started;
	long long start;		/* stdout's offset before the body; -1: cannot be cut */
	unsigned long long bytes;	/* octets handed to stdout */
};
/* fwrite to stdout. 0, or -1 with errno. */
int stdout_part_write(struct stdout_part *sp, const char *p, size_t n);
/* After a failure: 1 when the part was cut from stdout, 0 when stdout keeps
 * a partial message (sp->bytes octets; stdio still holds what it could not
 * write, and writes it later), -1 when nothing went out. The part is empty
 * afterwards. */
int stdout_part_undo(struct stdout_part *sp);

/*
 * A batch of complete message files that get their final names together:
 * each file's write-back starts when it is added, and landing the batch
 * fsyncs every file, links each to its name, and fsyncs each directory
 * once. On ext4 one fsync per file as it completes cost a journal commit
 * each (500 files of 100 KB: 0.19-0.23 s); started early and fsynced
 * together they share one (0.07-0.09 s), and every file is still fsynced
 * before it gets its name, so a name never points at a partial message.
 */
#define OUTBATCH_MAX_FILES 128
#define OUTBATCH_MAX_BYTES (64ull << 20)

struct outbatch {
	struct outfile *f;
	size_t n, cap;
	unsigned long long bytes;
};

/* Takes over *f (complete; it is emptied): starts its write-back. A file
 * whose writes failed is refused (OUTFILE_ERR, *err) and removed. */
enum outfile_status outbatch_add(struct outbatch *b, struct outfile *f, char **err);
/* 1 when the batch should be landed before more is added. */
int outbatch_full(const struct outbatch *b);
/* Lands every file of the batch (fsync, link without overwriting, fsync
 * each directory); the batch is empty afterwards. On a failure the files
 * not yet landed are removed and the first failure is returned (*err). */
enum outfile_status outbatch_land(struct outbatch *b, char **err);
/* Removes the files not landed; frees. */
void outbatch_free(struct outbatch *b);

#endif
