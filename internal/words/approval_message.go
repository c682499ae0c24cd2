package words

import (
	"fmt"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The sentences of the approver's message (its Approve button's confirm
// dialog, its expiry, its decision), of its reminder, of the audit
// channel's message and of a private answer's request line. mb is the
// mailbox already escaped for mrkdwn.

// RequestRef names a request in a context line: "Request `id`".
func RequestRef(id string) string { return "Request `" + mrkdwn.Escape(id) + "`" }

// ApproveWhen is when an approved change runs, in plain text.
func ApproveWhen(o mailbox.Options) string {
	if !o.At.IsZero() {
		return "at " + mrkdwn.UTC(o.At)
	}
	return "once you approve"
}

// ConfirmHead is what approving op on mb changes, and when, in one plain
// sentence; steps is how many steps its plan has, deleted whether the
// user to convert is a deleted one.
func ConfirmHead(op mailbox.Operation, mb string, steps int, deleted bool) string {
	n, o := steps, op.Options
	when := ApproveWhen(o)
	if o.DryRun {
		return fmt.Sprintf("Dry run: the bot will report the %d steps for %s %s. Nothing will be changed.", n, mb, when)
	}
	switch {
	case op.Undo != nil:
		return UndoConfirmHead(op.Undo.Of, mb, n, when)
	case op.Kind == mailbox.KindCreateShared:
		name := op.DisplayName
		if name == "" {
			name = op.Mailbox
		}
		return fmt.Sprintf("The shared mailbox “%s” (%s) will be created %s %s.", mrkdwn.Escape(name), mb, MembersCount(len(op.Members)), when)
	case op.Kind == mailbox.KindGrant && op.Right == mailbox.FullAccess:
		return fmt.Sprintf("%s will get Full Access to %s %s.", PlainPerson(op.Trustee), mb, when)
	case op.Kind == mailbox.KindGrant:
		return fmt.Sprintf("%s will get %s on %s %s.", PlainPerson(op.Trustee), RightName(op.Right), mb, when)
	case op.Kind == mailbox.KindRevoke:
		return fmt.Sprintf("%s on %s will be taken away from %s %s.", RightName(op.Right), mb, PlainPerson(op.Trustee), when)
	case op.Kind == mailbox.KindConvertToShared && deleted:
		return fmt.Sprintf("The deleted user %s is restored and its mailbox becomes a shared mailbox %s (%d steps; the account is kept).", mb, when, n)
	case op.Kind == mailbox.KindConvertToShared:
		return fmt.Sprintf("%s becomes a shared mailbox %s (%d steps; the account is kept).", mb, when, n)
	case op.Kind == mailbox.KindConvertToRegular:
		return fmt.Sprintf("%s becomes a user mailbox again %s (%d steps).", mb, when, n)
	}
	return fmt.Sprintf("The bot will run %d steps on %s %s.", n, mb, when)
}

// ApproveTitle is the title of the Approve button's confirm dialog.
func ApproveTitle(dry bool) string {
	if dry {
		return "Approve this dry run?"
	}
	return "Approve this change?"
}

// The texts of the decision buttons and of their confirm dialogs.
const (
	ApproveButton = "Approve"
	RejectButton  = "Reject"
	CancelButton  = "Cancel"
)

// NoExpiry: a request that does not expire.
const NoExpiry = "No expiry."

// ExpiresAt says when something expiring at at expires ("expires <date>")
// or expired, as of now; "" when at is zero.
func ExpiresAt(at, now time.Time) string {
	switch {
	case at.IsZero():
		return ""
	case at.After(now):
		return Expires(at)
	}
	return "expired " + mrkdwn.Date(at)
}

// Expires says when something expires: "expires <date>".
func Expires(at time.Time) string { return "expires " + mrkdwn.Date(at) }

// The decisions a request may wait for or have had, for DecisionText.
const (
	NoApprovalNeededState = "No approval needed"
	WaitingForDecision    = "Waiting for a decision"
)

// ExpiredWithoutDecision: a request that expired at at.
func ExpiredWithoutDecision(at time.Time) string {
	return "Expired on " + mrkdwn.Date(at) + " without a decision"
}

// CancelledBeforeDecision: a request cancelled at at, by the user by
// when by is set.
func CancelledBeforeDecision(by string, at time.Time) string {
	if by != "" {
		return "Cancelled by " + mrkdwn.Mention(by) + " on " + mrkdwn.Date(at) + " before a decision"
	}
	return "Cancelled on " + mrkdwn.Date(at) + " before a decision"
}

// DecidedBy says who decided and when: "Approved by <@U> on <date>",
// "Rejected by …".
func DecidedBy(approved bool, by string, at time.Time) string {
	verb := "Rejected"
	if approved {
		verb = "Approved"
	}
	return verb + " by " + mrkdwn.Mention(by) + " on " + mrkdwn.Date(at)
}

// Reminder heads the reminder of a request that expires at expires.
func Reminder(id string, expires time.Time) string {
	return fmt.Sprintf("⏰ Reminder: request `%s` still waits for your decision; it expires %s.", id, mrkdwn.Date(expires))
}

// ReminderText prefixes the plain-text fallback of a reminder.
const ReminderText = "Reminder: "

// SecretFallback is the plain-text fallback of a credential's message: it
// holds no credential.
func SecretFallback(mb, id string) string {
	return fmt.Sprintf("🔑 Sign-in details for %s (request %s): open this message to see them.", mb, mrkdwn.Escape(id))
}

// SecretContext is the line under a credential: the request, what it
// does (title) and to which mailbox, and that it was sent to the reader
// alone.
func SecretContext(id, title, mb string) string {
	return RequestRef(id) + " · " + mrkdwn.Escape(title) + " · " + mb + " · 🔒 sent to you alone; the bot does not store or log it"
}

// NoText is the fallback of an answer that has nothing to say.
const NoText = "(no text)"

// The labels of the audit channel's message.
const (
	AuditHead        = "*Mailbox request* "
	AuditRequest     = "Request"
	AuditMailbox     = "Mailbox"
	AuditOperation   = "Operation"
	AuditState       = "State"
	AuditRequester   = "Requester"
	AuditApprovers   = "Approvers"
	AuditDecision    = "Decision"
	AuditCreated     = "Created"
	WhyItStopped     = "*Why it stopped:* "
	LastChangePrefix = "Last change "
)

// RequestedBy is the audit message's fallback: id: title mb requested by
// requester: state.
func RequestedBy(id, title, mb, requester, state string) string {
	return fmt.Sprintf("%s: %s %s requested by %s: %s", mrkdwn.Escape(id), mrkdwn.Escape(title), mb, mrkdwn.Mention(requester), state)
}
