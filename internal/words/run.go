package words

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The sentences of a run: started, done, failed, waiting, and the
// credential of a mailbox converted back (rule 9).

// Started tells the requester the work began.
func Started(id, what string, dry bool) string {
	return fmt.Sprintf("Work on request `%s` has started: %s%s.", id, what, DryTag(dry))
}

// Done tells the requester the request succeeded, and what is true now.
func Done(id string, op mailbox.Operation) string {
	return fmt.Sprintf("✅ Request `%s` is done: %s", id, doneText(op))
}

// doneText says what is true once op succeeded.
func doneText(op mailbox.Operation) string {
	if op.Options.DryRun {
		return "this was a dry run: nothing was changed. Each step shows what it would have sent."
	}
	switch {
	case op.Undo != nil:
		return UndoDoneText(op.Undo.Of, op.Mailbox)
	}
	switch op.Kind {
	case mailbox.KindConvertToRegular:
		return fmt.Sprintf("*%s* is a user mailbox again, with sign-in enabled; the way in was sent to you privately.", op.Mailbox)
	case mailbox.KindCreateShared:
		members := ""
		if len(op.Members) > 0 {
			members = "; its members have Full Access and Send As"
		}
		return fmt.Sprintf("the shared mailbox *%s* &lt;%s&gt; exists and its own sign-in is blocked%s.", mrkdwn.Escape(op.DisplayName), op.Mailbox, members)
	case mailbox.KindGrant:
		return fmt.Sprintf("*%s* has %s on *%s*.", op.Trustee, RightName(op.Right), op.Mailbox)
	case mailbox.KindRevoke:
		return fmt.Sprintf("*%s* no longer has %s on *%s*.", op.Trustee, RightName(op.Right), op.Mailbox)
	case mailbox.KindAutoReplyOff:
		return fmt.Sprintf("The automatic reply of *%s* is off.", op.Mailbox)
	}
	return fmt.Sprintf("*%s* is now a shared mailbox.", op.Mailbox)
}

// RecheckFailure is the failure of a request that a rule blocks when it is
// checked again before the first change.
func RecheckFailure(reason string) string {
	return "Checked again before starting: " + reason
}

// NotStarted tells the requester the re-check of mb stopped the request.
func NotStarted(id, mb, reason string) string {
	return fmt.Sprintf("❌ Request `%s` was not started: when I checked *%s* again before changing anything, %s Nothing was changed.", id, mb, reason)
}

// StepFailure is a request's failure at step (1-based) with title.
func StepFailure(step int, title, msg string) string {
	return fmt.Sprintf("Step %d, “%s”, failed: %s", step, title, msg)
}

// Failed tells the requester the request failed at step (1-based), with
// Microsoft's msg and the titles of the steps already done.
func Failed(id string, step int, title, msg string, done []string) string {
	return fmt.Sprintf("❌ Request `%s` failed at step %d, “%s”. Microsoft said: “%s”. %s", id, step, title, msg, alreadyDone(done))
}

func alreadyDone(done []string) string {
	if len(done) == 0 {
		return "Nothing had been changed."
	}
	return "Already done: " + strings.Join(done, "; ") + ". Nothing after the failed step was run."
}

// MicrosoftBusy is a step's detail while it waits after a passing fault.
func MicrosoftBusy() string { return "Microsoft was busy; trying again" }

// CredentialRetrying is a step's detail while the credential it made
// could not be sent.
func CredentialRetrying() string { return "the credential could not be sent to you; trying again" }

// CredentialUndelivered is the failure of a step whose credential could
// not be sent in Slack (err).
func CredentialUndelivered(err string) string {
	return "The credential was made but could not be sent to you in Slack (" + err + "), so nobody has it. Fix the direct messages (or ask an administrator to), then Retry: a new one replaces it."
}

// WaitTimedOut is the failure of a step that still answered detail after
// waiting limit.
func WaitTimedOut(detail string, limit time.Duration) string {
	return fmt.Sprintf("%s after waiting %s. The change was requested but is not confirmed; check the mailbox in the Exchange admin center before doing anything else.",
		detail, limit)
}

// Password carries a new password of mailbox mb to the requester, alone.
// The secret is escaped for Slack's mrkdwn (&, <, >).
func Password(mb, secret string) string {
	return fmt.Sprintf("🔑 New password for *%s*: `%s`\nIt must be changed at the first sign-in. Give it to the person who will use the mailbox in person or by phone, never by e-mail or in a channel. I show it only here, once.",
		mb, mrkdwn.Escape(secret))
}

// TemporaryAccessPass carries a Temporary Access Pass of mailbox mb, valid
// for ttl from now, to the requester, alone. The secret is escaped.
func TemporaryAccessPass(mb, secret string, ttl time.Duration, now time.Time) string {
	return fmt.Sprintf("🔑 Temporary Access Pass for *%s*: `%s`\nValid for %s from %s. Give it to the person who will use the mailbox in person or by phone, never by e-mail or in a channel; with it they sign in and set up their own way in. I show it only here, once.",
		mb, mrkdwn.Escape(secret), mrkdwn.Hours(ttl), mrkdwn.UTC(now))
}
