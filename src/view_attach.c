/*
 * view_attach.c: the attachment menu: the tree of a message's parts (nested
 * messages indented), with type, charset, decoded size and the decoded,
 * sanitised file name. Enter reads a text part in the pager, s saves one
 * part (asking for a path, never overwriting without asking), S saves every
 * attachment into the download directory, | pipes the decoded part to a
 * shell command, o opens it with its mailcap viewer (ui_mailcap.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pouch/mime.h>
#include <pouch/save.h>
#include <pouch/text.h>
#include <pouch/ui_view.h>
#include <pouch/util.h>

int ui_mailcap_open(struct ui *u, const struct mime_part *p);

struct entry {
	const struct mime_part *p;
	int depth;
	size_t size;			/* decoded octets (leaves) */
	char *name;			/* sanitised */
};

struct attach {
	size_t row;
	struct mime_part *root;
	struct entry *e;
	size_t n, cur, top;
};

static int
count_sink(void *arg, const char *s, size_t n)
{
	(void)s;
	*(size_t *)arg += n;
	return 0;
}

static void
entries_free(struct attach *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->e[i].name);
	free(a->e);
	a->e = NULL;
	a->n = 0;
	mime_free(a->root);
	a->root = NULL;
}

static void
build(struct ui *u, struct attach *a)
{
	struct ui_msg *m = ui_mbox_msg(u->mb, a->row);
	struct mime_part *p;
	size_t cap = 0;

	if (a->root || !m || m->body != UI_BODY_DONE)
		return;
	a->root = mime_parse(m->raw, m->rawlen);
	if (!a->root)
		return;
	for (p = a->root; p; p = mime_next(p)) {
		struct entry *e;

		if (a->n == cap) {
			struct entry *ne = realloc(a->e, (cap ? cap * 2 : 16) * sizeof *ne);

			if (!ne)
				return;
			a->e = ne;
			cap = cap ? cap * 2 : 16;
		}
		e = &a->e[a->n];
		memset(e, 0, sizeof *e);
		e->p = p;
		e->depth = p->depth;
		if (mime_is_leaf(p))
			mime_part_decode(p, count_sink, &e->size);
		if (p->filename)
			e->name = text_sanitize(p->filename, p->filename_len, TEXT_ONELINE, NULL);
		else if (p->msg && p->msg->subject && p != a->root)
			e->name = text_sanitize(p->msg->subject, p->msg->subject_len, TEXT_ONELINE, NULL);
		else if (mime_type_encapsulates(p->type) && p->child && p->child->msg &&
		    p->child->msg->subject)
			e->name = text_sanitize(p->child->msg->subject, p->child->msg->subject_len,
			    TEXT_ONELINE, NULL);
		else
			e->name = strdup("<no description>");
		a->n++;
	}
}

static void
attach_draw(struct ui *u, struct view *v, int top, int height)
{
	struct attach *a = v->priv;
	struct ui_msg *m = ui_mbox_msg(u->mb, a->row);
	size_t i;

	build(u, a);
	if (!a->root) {
		char line[160];

		if (m && m->body == UI_BODY_LOADING) {
			char got[16], tot[16];

			ui_human_size(m->loaded, got, sizeof got);
			ui_human_size(m->size, tot, sizeof tot);
			snprintf(line, sizeof line, "Loading message %lu: %s of %s (Esc cancels)", m->n, got, tot);
		} else {
			snprintf(line, sizeof line, "The message is not here: %s", ui_mbox_error(u->mb));
		}
		ui_put(u, top, 0, COLS, line, A_NORMAL, 1);
		return;
	}
	if (a->cur < a->top)
		a->top = a->cur;
	if (a->cur >= a->top + (size_t)height)
		a->top = a->cur - (size_t)height + 1;
	for (i = 0; i < (size_t)height && a->top + i < a->n; i++) {
		struct entry *e = &a->e[a->top + i];
		const struct mime_part *p = e->p;
		char left[64], right[160], sz[16], tree[64] = "";
		int sel = a->top + i == a->cur, x, rw, k;
		unsigned long attr = sel ? ui_attr(u, UIC_SELECTED) : A_NORMAL;

		for (k = 1; k < e->depth && (size_t)k * 2 < sizeof tree - 8; k++)
			strcat(tree, "  ");
		if (e->depth > 0)
			strcat(tree, p->next ? "\xe2\x94\x9c\xe2\x94\x80> " : "\xe2\x94\x94\xe2\x94\x80> ");
		snprintf(left, sizeof left, "%c %c %4zu ", sel ? '>' : ' ',
		    mime_is_attachment(p) ? 'A' : 'I', a->top + i + 1);
		ui_human_size(e->size, sz, sizeof sz);
		if (mime_is_leaf(p))
			snprintf(right, sizeof right, " [%s%s%s, %s]", p->type,
			    p->charset ? ", " : "", p->charset ? p->charset : "", sz);
		else
			snprintf(right, sizeof right, " [%s]", p->type);
		{
			char *safe = text_sanitize(right, strlen(right), TEXT_ONELINE, NULL);

			snprintf(right, sizeof right, "%s", safe ? safe : "");
			free(safe);
		}
		x = ui_put(u, top + (int)i, 0, COLS, left, attr, 0);
		x += ui_put(u, top + (int)i, x, COLS - x, tree, sel ? attr : ui_attr(u, UIC_TREE), 0);
		rw = ui_width(right, strlen(right));
		if (COLS - x - rw < 8)
			rw = COLS - x - 8 > 0 ? COLS - x - 8 : 0;
		ui_put(u, top + (int)i, x, COLS - x - rw, e->name ? e->name : "", attr, 1);
		if (rw > 0)
			ui_put(u, top + (int)i, COLS - rw, rw, right, attr, 1);
	}
}

static void
attach_status(struct ui *u, struct view *v, char *out, size_t outlen)
{
	struct attach *a = v->priv;
	struct ui_msg *m = ui_mbox_msg(u->mb, a->row);

	snprintf(out, outlen, "attachments of %lu-(%zu/%zu)--", m ? m->n : 0,
	    a->n ? a->cur + 1 : 0, a->n);
}

/* The text of a part, or of an encapsulated message (text.h). */
static char *
part_text(const struct mime_part *p, size_t *len)
{
	*len = 0;
	if (mime_type_encapsulates(p->type) && p->child)
		return text_message(p->child, len, NULL);
	return text_part(p, len);
}

static char *
expand_home(const char *path)
{
	const char *h = getenv("HOME");

	if (strncmp(path, "~/", 2) == 0 && h && *h)
		return str_printf("%s%s", h, path + 1);
	return strdup(path);
}

const char *
ui_download_dir(struct ui *u)
{
	static char *dflt;
	struct stat st;

	if (u->download_dir)
		return u->download_dir;
	if (!dflt) {
		const char *h = getenv("HOME");

		dflt = h ? str_printf("%s/Downloads", h) : NULL;
		if (!dflt || stat(dflt, &st) < 0 || !S_ISDIR(st.st_mode)) {
			free(dflt);
			dflt = strdup(".");
		}
	}
	return dflt ? dflt : ".";
}

static void
save_one(struct ui *u, const struct mime_part *p, size_t idx)
{
	char *safe, *dflt, *path = NULL, *full, *slash, *chosen = NULL, *err = NULL;
	const char *dir, *base;
	char fallback[32];
	int dirfd, k;
	struct stat st;

	snprintf(fallback, sizeof fallback, "part-%zu", idx + 1);
	safe = save_safe_name(p->filename, p->filename ? p->filename_len : 0, fallback);
	dflt = safe ? str_printf("%s/%s", ui_download_dir(u), safe) : NULL;
	free(safe);
	if (!dflt)
		return;
	if (ui_prompt(u, "Save to: ", dflt, 0, &path) < 0 || !*path) {
		free(dflt);
		free(path);
		return;
	}
	free(dflt);
	full = expand_home(path);
	free(path);
	if (!full)
		return;
	slash = strrchr(full, '/');
	if (slash) {
		*slash = 0;
		dir = *full ? full : "/";
		base = slash + 1;
	} else {
		dir = ".";
		base = full;
	}
	if (!*base) {
		ui_message(u, 1, "Give a file name, not a directory");
		free(full);
		return;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		ui_message(u, 1, "%s: %s", dir, strerror(errno));
		free(full);
		return;
	}
	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		char q[512];

		snprintf(q, sizeof q, "%s exists: (o)verwrite, (r)ename, (c)ancel? ", base);
		k = ui_ask(u, q);
		if (k == 'o') {
			/* a new file first, then renamed over the old name (which
			 * replaces a symlink itself, never what it points to) */
			if (save_part(dirfd, p, ".pouch-partial", NULL, &chosen, &err) < 0) {
				ui_message(u, 1, "Saving failed: %s", err ? err : "out of memory");
			} else if (renameat(dirfd, chosen, dirfd, base) < 0) {
				ui_message(u, 1, "%s/%s: %s", dir, base, strerror(errno));
				unlinkat(dirfd, chosen, 0);
			} else {
				fsync(dirfd);
				ui_message(u, 0, "Saved to %s/%s (replaced)", dir, base);
			}
			goto out;
		}
		if (k != 'r') {
			ui_message(u, 0, "Not saved");
			goto out;
		}
	}
	if (save_part(dirfd, p, base, fallback, &chosen, &err) < 0)
		ui_message(u, 1, "Saving failed: %s", err ? err : "out of memory");
	else
		ui_message(u, 0, "Saved to %s/%s", dir, chosen);
out:
	close(dirfd);
	free(chosen);
	free(err);
	free(full);
}

static void
save_all(struct ui *u, struct attach *a)
{
	const char *dir = ui_download_dir(u);
	struct dbuf names;
	size_t i, saved = 0, failed = 0;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *firsterr = NULL;

	if (dirfd < 0) {
		ui_message(u, 1, "%s: %s", dir, strerror(errno));
		return;
	}
	dbuf_init(&names, 4096);
	for (i = 0; i < a->n; i++) {
		char *chosen = NULL, *err = NULL, fallback[32];

		if (!mime_is_attachment(a->e[i].p))
			continue;
		snprintf(fallback, sizeof fallback, "part-%zu", i + 1);
		if (save_part(dirfd, a->e[i].p, NULL, fallback, &chosen, &err) < 0) {
			failed++;
			if (!firsterr)
				firsterr = err;
			else
				free(err);
			continue;
		}
		dbuf_printf(&names, "%s%s", saved ? ", " : "", chosen);
		saved++;
		free(chosen);
	}
	close(dirfd);
	if (saved == 0 && failed == 0)
		ui_message(u, 0, "This message has no attachments");
	else if (failed)
		ui_message(u, 1, "Saved %zu to %s, %zu failed: %s", saved, dir, failed,
		    firsterr ? firsterr : "");
	else
		ui_message(u, 0, "Saved %zu attachment%s to %s: %s", saved, saved == 1 ? "" : "s",
		    dir, names.p ? names.p : "");
	free(firsterr);
	dbuf_free(&names);
}

static void
pipe_part(struct ui *u, const struct mime_part *p)
{
	char *cmd = NULL;
	struct dbuf b;
	int rc;

	if (ui_prompt(u, "Pipe to command: ", NULL, 0, &cmd) < 0 || !*cmd) {
		free(cmd);
		return;
	}
	dbuf_init(&b, 0);
	if (mime_part_decode_dbuf(p, &b) < 0) {
		ui_message(u, 1, "out of memory");
	} else {
		char *argv[] = { "/bin/sh", "-c", cmd, NULL };

		rc = ui_run_external(u, argv, b.p ? b.p : "", b.len, 1, NULL, NULL);
		if (rc >= 0)
			ui_message(u, rc != 0, "The command exited with status %d", rc);
	}
	dbuf_free(&b);
	free(cmd);
}

static int
attach_request(struct ui *u, struct view *v, enum ui_req r)
{
	struct attach *a = v->priv;
	const struct mime_part *p;

	build(u, a);
	if (!a->root) {
		if (r == REQ_BACK || r == REQ_INTERRUPT) {
			ui_leave_loading(u, a->row);
			return 1;
		}
		return 0;
	}
	if (ui_list_move(&a->cur, a->n, r))
		return 1;
	p = a->n ? a->e[a->cur].p : NULL;
	switch (r) {
	case REQ_VIEW_PART: {
		size_t len;
		char *t = p ? part_text(p, &len) : NULL;

		if (!t) {
			ui_message(u, 0, "%s is not text: s saves it, o opens it", p ? p->type : "");
			return 1;
		}
		ui_push(u, view_pager_text(u, a->e[a->cur].name, t, len));
		return 1;
	}
	case REQ_SAVE:
		if (p && mime_is_leaf(p))
			save_one(u, p, a->cur);
		else
			ui_message(u, 0, "Pick a part, not a container");
		return 1;
	case REQ_SAVE_ALL:
		save_all(u, a);
		return 1;
	case REQ_PIPE:
		if (p && mime_is_leaf(p))
			pipe_part(u, p);
		return 1;
	case REQ_OPEN_PART:
		if (p && mime_is_leaf(p))
			ui_mailcap_open(u, p);
		return 1;
	default:
		return 0;
	}
}

static void
attach_close(struct view *v)
{
	struct attach *a = v->priv;

	entries_free(a);
	free(a);
	free(v);
}

static const struct view_ops attach_ops = {
	"attach", UIV_ATTACH, attach_draw, attach_request,
	" q:Back  Enter:View  s:Save  S:Save all  |:Pipe  o:Open  ?:Help",
	attach_status, attach_close,
};

struct view *
view_attach_new(struct ui *u, size_t row)
{
	struct view *v = calloc(1, sizeof *v);
	struct attach *a = calloc(1, sizeof *a);

	if (!v || !a) {
		free(v);
		free(a);
		return NULL;
	}
	a->row = row;
	v->ops = &attach_ops;
	v->priv = a;
	if (ui_mbox_fetch(u->mb, row) < 0)
		ui_message(u, 1, "%s", ui_mbox_error(u->mb));
	return v;
}
