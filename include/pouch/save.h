/*
 * save.h: safe file names and saving decoded parts into a directory. Used
 * by pouch --extract now and by the UI's attachment menu later.
 *
 * Owns: turning a name from a message (hostile: paths, control and bidi
 * characters, "..", thousands of bytes) into one path component, and
 * creating files only as new entries of an already open directory
 * (openat with O_CREAT|O_EXCL|O_NOFOLLOW): never a write outside it, never
 * through a symlink, never over an existing file.
 *
 * Who may include it: the CLI (src/cli_mime.c), the UI (later), tests.
 * Nothing here prints; errors come back as text the caller frees.
 */
#ifndef POUCH_SAVE_H
#define POUCH_SAVE_H

#include <pouch/mime.h>

#define SAVE_NAME_MAX 255	/* bytes, as most file systems allow */
#define SAVE_MAX_TRIES 10000	/* " (1)" ... " (9999)" before giving up */

/*
 * A safe name from a decoded file name of len bytes (any bytes, NUL
 * included: a part's filename with its filename_len; NULL or empty
 * allowed): the last path component (after the last "/" or "\"); the
 * characters of pouch's one unsafe set (utf8_unsafe_cp in charset.h: C0
 * with NUL, DEL, C1, bidi controls and marks, line and paragraph
 * separators) and invalid UTF-8 become "_", so a NUL never cuts the name
 * short ("evil.txt\0.pdf" gives "evil.txt_.pdf"); a leading
 * "." or "-" becomes "_" (so no ".", "..", hidden file or option-like
 * name); surrounding spaces trimmed; at most SAVE_NAME_MAX bytes, cut on a
 * UTF-8 boundary, keeping a short extension. When nothing is left,
 * fallback (a C string, itself made safe, or "attachment"). Returns
 * malloc'd UTF-8, NULL only when memory ran out.
 */
char *save_safe_name(const char *name, size_t len, const char *fallback);

/*
 * The n-th candidate for a safe name: n = 0 gives it unchanged, n > 0
 * gives "stem (n).ext", the stem shortened (on a UTF-8 boundary) so the
 * whole stays within SAVE_NAME_MAX. malloc'd; NULL when memory ran out.
 */
char *save_candidate(const char *safe, unsigned n);

/*
 * Creates a new file in dirfd for a safe name, trying save_candidate(n)
 * for n = 0, 1, ... while the name exists (a symlink counts as existing and
 * is never followed). Returns the open fd (write-only, close-on-exec, mode
 * 0644 before umask) and the name chosen in *chosen (malloc'd); -1 with
 * errno set on failure.
 */
int save_create(int dirfd, const char *safe, char **chosen);

/*
 * Saves the decoded body of part p into dirfd as a new file named from
 * name, a C string (NULL: p->filename with its filename_len; when that is
 * NULL too, or nothing safe is left, fallback). Returns 0 and *chosen
 * (malloc'd); or -1 and *err, a malloc'd human-readable message; a
 * half-written file is removed.
 */
int save_part(int dirfd, const struct mime_part *p, const char *name,
    const char *fallback, char **chosen, char **err);

/* What a save reports as it goes: the decoded bytes written so far, after
 * each piece (at most 64 KiB). Return 0 to go on, nonzero to cancel: the
 * file is removed and save_part_progress returns SAVE_CANCELLED. */
typedef int (*save_progress_fn)(void *arg, size_t written);
#define SAVE_CANCELLED (-2)

/* save_part with a progress callback (NULL: none), for the UI. */
int save_part_progress(int dirfd, const struct mime_part *p, const char *name,
    const char *fallback, char **chosen, char **err,
    save_progress_fn progress, void *arg);

#endif
