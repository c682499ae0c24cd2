package words

// The immediate answers of the Slack edge (handlers): what a person reads
// within Slack's 3 seconds, before the bot has looked anything up.

import (
	"fmt"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// inAMoment ends an answer whose real answer follows.
const inAMoment = "I'll answer here in a moment."

// Checking is the immediate answer to a queued command for op: what is
// being checked. Addresses and mentions come validated from the grammar;
// the display name is escaped.
func Checking(op mailbox.Operation) string {
	var what string
	switch op.Kind {
	case mailbox.KindCreateShared:
		what = fmt.Sprintf("Checking %s for the new shared mailbox “%s”", op.Mailbox, mrkdwn.Escape(op.DisplayName))
		switch n := len(op.Members); n {
		case 0:
		case 1:
			what += " with 1 member"
		default:
			what += fmt.Sprintf(" with %d members", n)
		}
	case mailbox.KindGrant:
		what = fmt.Sprintf("Checking %s on %s for %s", RightName(op.Right), op.Mailbox, op.Trustee)
	case mailbox.KindRevoke:
		what = fmt.Sprintf("Checking %s on %s for %s, to take it away", RightName(op.Right), op.Mailbox, op.Trustee)
	case mailbox.KindMembers:
		what = "Checking who may use " + op.Mailbox
	case mailbox.KindAutoReplyOff:
		what = "Checking the automatic reply of " + op.Mailbox
	default:
		what = "Checking " + op.Mailbox
	}
	if op.Options.DryRun {
		return what + "… (dry run: nothing will be changed) " + inAMoment
	}
	return what + "… " + inAMoment
}

// Listing is the immediate answer to a queued list command.
func Listing() string { return "Listing your requests… " + inAMoment }

// Cancelling is the immediate answer to a queued cancel of request id
// (validated by the grammar).
func Cancelling(id string) string { return fmt.Sprintf("Cancelling `%s`… %s", id, inAMoment) }

// LookingUp is the immediate answer to a queued status of request id
// (validated by the grammar).
func LookingUp(id string) string { return fmt.Sprintf("Looking up `%s`… %s", id, inAMoment) }

// QueueDown answers a command that could not be queued.
func QueueDown() string {
	return "I can't take requests right now: my queue is unreachable. Nothing was requested; " +
		"please try again in a minute, and tell the bot's administrators if it persists."
}

// WrongTenant answers a command from another workspace or app.
func WrongTenant() string {
	return "This bot is not set up for this workspace or app. Nothing was requested."
}

// Unreadable answers a command that Slack sent incomplete.
func Unreadable() string {
	return "I couldn't read this command from Slack. Nothing was requested; please try again."
}

// UnknownCommand answers a slash command that is not the bot's; code is
// its name as inline code, escaped.
func UnknownCommand(code string) string {
	return fmt.Sprintf("I don't know the command %s. Nothing was requested.", code)
}

// FormNotOpened starts the help shown when a command's form could not be
// opened; example is a command to type instead (inline code follows it).
func FormNotOpened(example string) string {
	return fmt.Sprintf("I couldn't open the form, so here is how to type it instead, for example `%s`.\n\n", example)
}

// FormQueueDown is shown on a submitted form when none of its commands
// could be queued (done = 0), or only done of all of them.
func FormQueueDown(done, all int) string {
	if done == 0 {
		return "I can't take requests right now: my queue is unreachable. Nothing was requested; please submit again in a minute."
	}
	return fmt.Sprintf("My queue became unreachable: %d of the %d mailboxes were requested. Submit again in a minute: those are not asked twice.", done, all)
}

// ClickNotRecorded tells a person privately that their click on Approve,
// Reject (retry false) or Retry (retry true) was not recorded.
func ClickNotRecorded(retry bool) string {
	nothing := "Nothing was decided"
	if retry {
		nothing = "Nothing was retried"
	}
	return "I couldn't record your click: my queue is unreachable. " + nothing + "; please click again in a minute, and tell the bot's administrators if it persists."
}
