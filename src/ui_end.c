/*
 * ui_end.c: the end of the reader's session, run from its poll loop (see
 * ui_mbox.h): the commit of the marks (a reconnect and its listing when
 * the session is down, a durable copy of each marked message, then
 * sess_end_marks: RSET of typed DELEs, UIDL, DELE, QUIT), the close that
 * deletes nothing, and giving either up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pouch/store.h>

#include "ui_mbox_priv.h"

static void
op_set_doing(struct ui_mbox *mb)
{
	size_t k = pop3_marks_count(mb->marks);

	if (mb->op == OP_COMMIT && mb->ph == PH_LISTING)
		snprintf(mb->doing, sizeof mb->doing, "Connecting to delete %zu marked message%s... (Esc: give up)",
		    k, k == 1 ? "" : "s");
	else if (mb->op == OP_COMMIT)
		snprintf(mb->doing, sizeof mb->doing, "Deleting %zu marked message%s (UIDL, DELE, QUIT)... (Esc: give up)",
		    k, k == 1 ? "" : "s");
	else
		snprintf(mb->doing, sizeof mb->doing, "Closing the session (QUIT)...");
}

/* The end is over (on_end came): what it did, then the session goes. */
static void
op_finish(struct ui_mbox *mb)
{
	const struct sess_end *e = &mb->sres;
	size_t i;

	mb->res.commit = mb->op == OP_COMMIT;
	if (mb->op == OP_COMMIT && e->status == SESS_OK && !e->abandoned) {
		mb->res.deleted = e->marks.deleted;
		mb->res.kept = e->marks.kept;
		mb->end_state = UI_END_OK;
		if (e->marks.kept)
			mb_notice(mb, "%zu marked message%s kept on the server: no durable copy in the local store%s",
			    e->marks.kept, e->marks.kept == 1 ? "" : "s", !mb->cfg.store ? " (none is open)" :
			    store_readonly(mb->cfg.store) ? " (it is read-only: another pouch holds it)" : "");
		/* Rows no longer marked were deleted (or were gone already):
		 * they leave the index (hidden, never freed). */
		for (i = 0; i < mb->n; i++) {
			struct ui_msg *m = mb->v[i];

			if (m->marked && m->uid && !pop3_marks_has(mb->marks, m->uid)) {
				char *err = NULL;

				m->marked = 0;
				m->gone = 1;
				m->hidden = 1;
				m->n = 0;
				/* its copy stays in the store as a backup, flagged so
				 * that the reader does not show it again */
				if (m->stored && mb->cfg.store && !store_readonly(mb->cfg.store))
					store_set_flags(mb->cfg.store, m->uid, STORE_F_DELETE, 0, &err);
				free(err);
			}
		}
		mb->layout++;
	} else if (mb->op == OP_COMMIT) {
		mb->res.unknown = e->deletions_unknown;
		mb->end_state = UI_END_FAILED;
		if (e->deletions_unknown)
			mb_error(mb, "QUIT got no +OK (%s): the server may have deleted the marked messages or not",
			    mb->end_error ? mb->end_error : "no answer");
		else
			mb_error(mb, "%s; nothing deleted", mb->end_error ? mb->end_error : "the session failed");
	} else {
		mb->end_state = UI_END_OK;	/* a close deletes nothing, whatever happened */
	}
	mb->op = OP_NONE;
	mb_session_free(mb);
	if (mb->reconnect_after) {
		mb->reconnect_after = 0;
		if (ui_mbox_connect(mb) < 0)
			mb_notice(mb, "Reconnecting failed: %s", ui_mbox_error(mb));
	} else {
		mb_waiting_flush(mb, 0);
	}
	mb_changed(mb);
}

void
mb_op_step(struct ui_mbox *mb)
{
	size_t i;

	if (mb->op == OP_NONE)
		return;
	if (mb->ph == PH_LISTING) {
		if (!mb->s || mb->failed) {
			mb->sres.status = SESS_ERR_NET;
			mb->sres.abandoned = 1;
			if (!mb->ended) {
				free(mb->end_error);
				mb->end_error = str_printf("not connected: %s", ui_mbox_error(mb));
			}
			op_finish(mb);
			return;
		}
		if (mb->conn != UI_CONN_UP || mb->listing)
			return;
		/* the end: no more headers; the marked messages stored first */
		mb_withdraw_tops(mb, NULL, 0);
		if (mb->op == OP_COMMIT && mb->cfg.store && !store_readonly(mb->cfg.store)) {
			for (i = 0; i < mb->n; i++) {
				struct ui_msg *m = mb->v[i];

				if (!m->marked || !m->uid || m->gone || m->stored)
					continue;
				if (m->body == UI_BODY_DONE)
					mb_store_message(mb, m);
				else if (m->body != UI_BODY_LOADING)
					(void)mb_submit_retr(mb, m);	/* else kept */
			}
		}
		mb->ph = PH_END;
		op_set_doing(mb);
		/* RSET of DELEs typed at the prompt, then the marks (or none)
		 * and QUIT, once the RETRs above are in (and stored) */
		sess_end_marks(mb->s, mb->op == OP_COMMIT ? mb->marks : NULL, mb_durable);
		mb_changed(mb);
	}
	if (mb->ph == PH_END && (mb->ended || (mb->s && sess_ended(mb->s))))
		op_finish(mb);
}

static void
op_start(struct ui_mbox *mb, enum mb_op op)
{
	mb->op = op;
	mb->ph = op == OP_CLOSE ? PH_END : PH_LISTING;
	mb->end_state = UI_END_RUNNING;
	memset(&mb->res, 0, sizeof mb->res);
	memset(&mb->sres, 0, sizeof mb->sres);
	mb->ended = 0;
	free(mb->end_error);
	mb->end_error = NULL;
	op_set_doing(mb);
}

int
ui_mbox_commit(struct ui_mbox *mb)
{
	if (mb->op != OP_NONE) {
		mb_error(mb, "the session is ending already");
		return -1;
	}
	if (mb->cfg.offline) {
		mb_error(mb, "offline (--offline): nothing can be deleted");
		return -1;
	}
	if (!mb->s || mb->failed) {
		mb_session_free(mb);
		if (ui_mbox_connect(mb) < 0)
			return -1;
	}
	op_start(mb, OP_COMMIT);
	mb_op_step(mb);
	mb_changed(mb);
	return 0;
}

void
ui_mbox_close(struct ui_mbox *mb)
{
	size_t i;

	if (mb->op != OP_NONE || !mb->s)
		return;
	if (mb->conn != UI_CONN_UP || mb->failed) {
		mb_session_free(mb);
		mb_changed(mb);
		return;
	}
	/* Nothing to commit: a body still being read is not waited for. */
	for (i = 0; i < mb->n && sess_ndeleted(mb->s) == 0; i++)
		if (mb->v[i]->body == UI_BODY_LOADING && mb->v[i]->req_) {
			mb_session_free(mb);
			mb_changed(mb);
			return;
		}
	op_start(mb, OP_CLOSE);
	mb_withdraw_tops(mb, NULL, 0);
	sess_end_marks(mb->s, NULL, NULL);
	mb_op_step(mb);
	mb_changed(mb);
}

enum ui_end
ui_mbox_end_state(const struct ui_mbox *mb, struct ui_end_result *r)
{
	if (r)
		*r = mb->res;
	return mb->end_state;
}

void
ui_mbox_end_take(struct ui_mbox *mb)
{
	if (mb->end_state != UI_END_RUNNING)
		mb->end_state = UI_END_NONE;
}

const char *
ui_mbox_end_doing(const struct ui_mbox *mb)
{
	return mb->op != OP_NONE ? mb->doing : NULL;
}

int
ui_mbox_abandon(struct ui_mbox *mb)
{
	int asked;

	if (mb->op == OP_NONE)
		return 0;
	/* The server commits DELEs only on QUIT (RFC 1939's UPDATE state):
	 * given up before QUIT went out, nothing was deleted; after, the
	 * marks may have been (the RSET of typed DELEs comes first, so only
	 * the marks are at stake). */
	asked = mb->op == OP_COMMIT && mb->s && sess_in_quit(mb->s) &&
	    pop3_quit_sent(sess_pop3(mb->s)) && pop3_marks_count(mb->marks) > 0;
	mb->res.commit = mb->op == OP_COMMIT;
	mb->res.unknown = asked;
	mb->end_state = mb->op == OP_COMMIT ? UI_END_FAILED : UI_END_OK;
	if (asked)
		mb_error(mb, "Given up while the server was deleting: it may have deleted the marked messages");
	else
		mb_error(mb, "Given up: nothing deleted");
	mb->op = OP_NONE;
	mb->reconnect_after = 0;
	mb_session_free(mb);
	mb_waiting_flush(mb, 0);
	mb_changed(mb);
	return asked;
}
