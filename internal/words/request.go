package words

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// The sentences of a request's intake, and of the request commands
// (status, list, cancel): what the requester is answered.

// DryTag marks the sentences of a dry run; "" otherwise.
func DryTag(dry bool) string {
	if dry {
		return " (dry run: nothing will be changed)"
	}
	return ""
}

// State says what a request's state means: "waiting for approval".
func State(st string) string {
	switch st {
	case "pending_approval":
		return "waiting for approval"
	case "approved":
		return "approved and queued"
	case "running":
		return "running"
	case "waiting":
		return "waiting for Exchange"
	}
	return st
}

// RequesterCheckFailed: Slack's user groups did not answer whether the
// requester may ask.
func RequesterCheckFailed() string {
	return "I couldn't check whether you may ask for this (Slack's user groups did not answer). Nothing was requested; please try again in a few minutes."
}

// MayNotAsk refuses a requester who may not ask, naming whom to ask
// (Slack user ids) when known.
func MayNotAsk(ask []string) string {
	if len(ask) == 0 {
		return "You may not ask for this. Nothing was requested."
	}
	return fmt.Sprintf("You may not ask for this; %s may. Nothing was requested.", mrkdwn.Mentions(ask))
}

// UnknownMention: the Slack user id has no e-mail address in Slack.
func UnknownMention(id string) string {
	return fmt.Sprintf("I can't find the e-mail address of <@%s> in Slack, so I can't match them to a Microsoft 365 user. Name them by e-mail address instead. Nothing was requested.", id)
}

// Blocked: what (an operation's phrase) cannot be done.
func Blocked(what string) string {
	return fmt.Sprintf("I can't %s. Nothing was requested.", what)
}

// AlreadySo: the plan has no steps.
func AlreadySo() string {
	return "Nothing to do: it is already so. Nothing was requested."
}

// NoApprover: nobody can approve what, and why the manager could not.
func NoApprover(what, why string) string {
	return fmt.Sprintf("No one can approve this request to %s: %s, and no other approvers are configured (MAILBOXBOT_APPROVERS). Nothing was requested; ask the bot's administrators to name approvers.", what, why)
}

// ActiveRequest: mailbox mb already has active request id; requester
// and state (State's words) when they could be read, else "".
func ActiveRequest(mb, id, requester, state string) string {
	if requester == "" {
		return fmt.Sprintf("*%s* already has an active request (`%s`). Wait until it ends before asking again. Nothing new was requested.", mb, id)
	}
	return fmt.Sprintf("*%s* already has an active request: `%s` by <@%s>, %s. Wait until it ends before asking again. Nothing new was requested.",
		mb, id, requester, state)
}

// NoMailbox: mb is a user without an Exchange Online mailbox.
func NoMailbox(mb string) string {
	return fmt.Sprintf("*%s* exists in Microsoft Entra ID but has no Exchange Online mailbox, so there is nothing to convert. Nothing was requested.", mb)
}

// NotInMicrosoft: mb is found neither in Entra ID nor in Exchange Online.
func NotInMicrosoft(mb string) string {
	return fmt.Sprintf("I can't find *%s* in Microsoft 365 (Entra ID or Exchange Online). Check the address: a user's sign-in name, or a mailbox's e-mail address. Nothing was requested.", mb)
}

// MicrosoftError: Microsoft answered msg (service, HTTP status) while mb
// was looked up.
func MicrosoftError(mb, msg, service string, status int) string {
	return fmt.Sprintf("Microsoft answered an error while I looked up *%s*: “%s” (%s, HTTP %d). Nothing was requested; try again later, and tell the bot's administrators if it persists.", mb, msg, service, status)
}

// LookupFailed: looking mb up failed with err.
func LookupFailed(mb string, err error) string {
	return fmt.Sprintf("I couldn't look up *%s*: %v. Nothing was requested; try again later.", mb, err)
}

// UnknownRequest answers a command naming a request nobody knows.
func UnknownRequest(id string) string {
	return fmt.Sprintf("I don't know request `%s`. `list` shows yours.", id)
}

// NotYoursToSee refuses the status of a request to someone else.
func NotYoursToSee(id string) string {
	return fmt.Sprintf("Only the requester of `%s`, its approvers and the bot's admins can see it.", id)
}

// Status answers `status`: what the request does and its state.
func Status(id, what, state string) string {
	return fmt.Sprintf("Request `%s`: %s — %s.", id, what, state)
}

// ListFailed: the requests could not be read.
func ListFailed() string {
	return "I couldn't read the requests just now; please try again in a minute."
}

// Listed is one request as `list` shows it: its id, what it does, its
// state (State's words), and for one waiting for a decision, who asked and
// when it expires.
type Listed struct {
	ID, What, State string
	Requester       string
	Expires         time.Time
}

// List answers `list`: the requests waiting for the user's decision, then
// the user's own.
func List(waiting, mine []Listed) string {
	var b strings.Builder
	line := func(r Listed, extra string) {
		fmt.Fprintf(&b, "• `%s` %s — %s%s\n", r.ID, r.What, r.State, extra)
	}
	if len(waiting) > 0 {
		b.WriteString("*Waiting for your decision*\n")
		for _, r := range waiting {
			line(r, fmt.Sprintf(", asked by <@%s>, expires %s", r.Requester, mrkdwn.Date(r.Expires)))
		}
	}
	if len(mine) > 0 {
		b.WriteString("*Your recent requests*\n")
		for _, r := range mine {
			line(r, "")
		}
	}
	if b.Len() == 0 {
		return "You have no requests, and none waits for your decision."
	}
	return strings.TrimRight(b.String(), "\n")
}

// OnlyRequesterCancels refuses a cancel by someone other than requester.
func OnlyRequesterCancels(requester, id string) string {
	return fmt.Sprintf("Only <@%s>, who asked, can cancel request `%s`.", requester, id)
}

// NotCancellable: the request is in state (State's words), too far to cancel.
func NotCancellable(id, state string) string {
	return fmt.Sprintf("Request `%s` is %s: it can no longer be cancelled.", id, state)
}

// Cancelled confirms a cancel.
func Cancelled(id, what string) string {
	return fmt.Sprintf("Request `%s` is cancelled: %s will not happen. Nothing was changed.", id, what)
}
