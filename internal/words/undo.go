package words

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The sentences of an undo (issue 16): the Undo button and its dialog, the
// answers to an ask for an undo, and the links between a request and its
// undo.

// The Undo button and its confirm dialog.
const (
	UndoButton = "Undo"
	UndoTitle  = "Ask to undo this request?"
	UndoOK     = "Ask to undo"
)

// UndoOffer says until when a succeeded request may be undone, and how.
func UndoOffer(until time.Time) string {
	return "You can ask to undo it until " + mrkdwn.Date(until) +
		": a new request that puts back what this one changed, approved like any other."
}

// UndoConfirm is the Undo button's confirm dialog for mb.
func UndoConfirm(mb string) string {
	return fmt.Sprintf("I plan the reverse of what this request changed on %s, from what it did and what is true now, and ask for its approval. Nothing changes before someone approves.", mb)
}

// Undoing is the immediate answer to a queued `undo <id>`.
func Undoing(id string) string { return fmt.Sprintf("Planning the undo of `%s`… %s", id, inAMoment) }

// UndoPhrase says what an undo does: "undo `req_X` on *a@b*".
func UndoPhrase(op mailbox.Operation, t mailbox.Target, bold bool) string {
	mb := mrkdwn.Escape(MailboxOf(op, t))
	if bold {
		mb = "*" + mb + "*"
	}
	what := strings.ToLower(OperationTitle(op.Kind))
	if op.Undo.Kind == mailbox.KindAutoReplyOff {
		what = "turn its automatic reply back on"
	}
	return fmt.Sprintf("undo `%s` on %s (%s)", mrkdwn.Escape(op.Undo.Of), mb, what)
}

// UndoLinks is what a request's status says about undo: the request it
// undoes (of) and the undo asked of it (by); "" for neither.
func UndoLinks(of, by string) string {
	var s string
	if of != "" {
		s += fmt.Sprintf(" It undoes `%s`.", of)
	}
	if by != "" {
		s += fmt.Sprintf(" Undo asked: `%s` (`status %s`).", by, by)
	}
	return s
}

// UndoesFact is the options line's fact of an undo.
func UndoesFact(of string) string { return fmt.Sprintf("undoes `%s`", mrkdwn.Escape(of)) }

// UndoNotYours refuses an undo to someone who neither asked for the
// request nor approves it.
func UndoNotYours(id, requester string) string {
	return fmt.Sprintf("Only <@%s>, who asked for `%s`, and its approvers can ask to undo it.", requester, id)
}

// UndoOff: undo is turned off (MAILBOXBOT_UNDO_WINDOW=0).
func UndoOff() string {
	return "Undo is turned off here (MAILBOXBOT_UNDO_WINDOW is 0). Ask for the change you want as a new request."
}

// UndoOfUndo refuses the undo of an undo.
func UndoOfUndo(id, of string) string {
	return fmt.Sprintf("`%s` is itself the undo of `%s`, and an undo is not undone. Ask for the change you want as a new request.", id, of)
}

// UndoFailed refuses the undo of a failed request.
func UndoFailed(id string, retryUntil, now time.Time) string {
	s := fmt.Sprintf("`%s` failed, so it did only part of its work: only a request that finished can be undone.", id)
	if now.Before(retryUntil) {
		s += " Retry it with its Retry button (until " + mrkdwn.Date(retryUntil) + "); once it has finished, it can be undone."
	}
	return s + " `status " + id + "` shows which steps were done; ask for what you want as a new request."
}

// UndoNothingDone refuses the undo of a request that never ran (state:
// rejected, expired, cancelled).
func UndoNothingDone(id, state string) string {
	return fmt.Sprintf("`%s` is %s: it changed nothing, so there is nothing to undo.", id, state)
}

// UndoNotFinished refuses the undo of a request that has not finished.
func UndoNotFinished(id, state string) string {
	return fmt.Sprintf("`%s` is %s: it can be undone once it has finished. To stop it before it starts, `cancel %s`.", id, state, id)
}

// UndoDryRun refuses the undo of a dry run.
func UndoDryRun(id string) string {
	return fmt.Sprintf("`%s` was a dry run: it changed nothing, so there is nothing to undo.", id)
}

// UndoNothingChanged: the request finished without changing anything.
func UndoNothingChanged(id string) string {
	return fmt.Sprintf("`%s` changed nothing (everything was already as asked), so there is nothing to undo.", id)
}

// UndoTooLate refuses an undo after its window.
func UndoTooLate(id string, until time.Time) string {
	return fmt.Sprintf("`%s` could be undone until %s; that time has passed. Ask for the change you want as a new request.", id, mrkdwn.Date(until))
}

// UndoExists: an undo of of is already asked (state: its state).
func UndoExists(of, undo, state string) string {
	return fmt.Sprintf("The undo of `%s` is already asked: request `%s`, %s. `status %s` shows it.", of, undo, state, undo)
}

// UndoBlocked: the undo's plan found what stops it (its findings follow).
func UndoBlocked(of string) string {
	return fmt.Sprintf("I can't undo `%s`: something changed since, or cannot be put back. See below:", of)
}

// UndoNothingLeft: everything of of is already as it was before.
func UndoNothingLeft(of string) string {
	return fmt.Sprintf("Nothing left to undo of `%s`: everything it changed is already as it was before. See below:", of)
}

// UndoRefs is a request's context line about undo: " · undoes `X`",
// " · undo: `Y`"; "" for neither.
func UndoRefs(of, by string) string {
	var s string
	if of != "" {
		s += " · undoes `" + mrkdwn.Escape(of) + "`"
	}
	if by != "" {
		s += " · undo: `" + mrkdwn.Escape(by) + "`"
	}
	return s
}

// UndoesPlain is UndoesFact in plain text, for a confirm dialog.
func UndoesPlain(of string) string { return "undoes " + of }

// Facts of an undo's options line (besides the steps, which say each
// change).
const (
	SignInBack  = "sign-in enabled again, as before (the old password works again)"
	MailboxKept = "the mailbox it created is kept (rule 5): only the rights it gave are taken away"
)

// UndoConfirmHead is what approving the undo of of changes on mb, in
// steps, when (ApproveWhen).
func UndoConfirmHead(of, mb string, steps int, when string) string {
	return fmt.Sprintf("What %s changed on %s is put back %s (%s).", of, mb, when, mrkdwn.Count(steps, "step", "steps"))
}

// UndoDoneText says what is true once the undo of of on mb succeeded.
func UndoDoneText(of, mb string) string {
	return fmt.Sprintf("`%s` is undone: what it changed on *%s* is put back, as each step below shows.", of, mb)
}
