package words

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// The sentences of approval: what the requester is told when the
// approvers are asked and when they decide, what a click that changes
// nothing is answered, and the expiry.

// NoApprovalNeeded answers a request its policy lets run at once.
func NoApprovalNeeded(id, what string, dry bool) string {
	return fmt.Sprintf("Request `%s`: %s%s. This needs no approval (the bot's policy); the work is queued and I'll report each step.", id, what, DryTag(dry))
}

// Unreachable is one approver who could not be asked: "<@U1>: err".
func Unreachable(approver string, err error) string {
	return fmt.Sprintf("<@%s>: %v", approver, err)
}

// NobodyReached: no approver could be asked (Unreachable's, each).
func NobodyReached(failures []string) string {
	return fmt.Sprintf("I couldn't send the approval request to anyone (%s). Nothing was requested; please try again later.", strings.Join(failures, "; "))
}

// Asked answers a request sent to its approvers. at, when set, is when the
// work starts once approved; configuredBecause, when set, is why the
// configured approvers decide rather than the manager.
func Asked(id, what string, dry bool, approvers []string, at time.Time, configuredBecause string) string {
	text := fmt.Sprintf("Request `%s`: %s%s. %s will be asked to approve; I'll tell you here and in a direct message what happens.",
		id, what, DryTag(dry), mrkdwn.Mentions(approvers))
	if !at.IsZero() {
		text += " Once approved, the work starts at " + mrkdwn.Date(at) + "."
	}
	if configuredBecause != "" {
		text += " (" + configuredBecause + ", so the configured approvers decide.)"
	}
	return text
}

// UnknownClick answers a click on a request nobody knows.
func UnknownClick(id string) string {
	return fmt.Sprintf("I don't know request `%s`. Your click changed nothing.", id)
}

// SelfApproval refuses the requester's own click.
func SelfApproval(id string, approvers []string) string {
	return fmt.Sprintf("You asked for request `%s`, so you can't decide it yourself; %s will. Your click changed nothing.", id, mrkdwn.Mentions(approvers))
}

// OnlyApprovers refuses a click by someone who is not an approver.
func OnlyApprovers(approvers []string, id string) string {
	return fmt.Sprintf("Only %s can decide request `%s`. Your click changed nothing.", mrkdwn.Mentions(approvers), id)
}

// AlreadyDecided answers a click on a request by decided at.
func AlreadyDecided(id string, approved bool, by string, at time.Time) string {
	verb := "rejected"
	if approved {
		verb = "approved"
	}
	return fmt.Sprintf("Request `%s` was already %s by <@%s> on %s. Your click changed nothing.", id, verb, by, mrkdwn.Date(at))
}

// ExpiredUndecided answers a click on a request that expired at.
func ExpiredUndecided(id string, at time.Time) string {
	return fmt.Sprintf("Request `%s` expired on %s without a decision. Your click changed nothing; ask the requester to ask again if it is still needed.", id, mrkdwn.Date(at))
}

// CancelledUndecided answers a click on a cancelled request.
func CancelledUndecided(id string) string {
	return fmt.Sprintf("Request `%s` was cancelled. Your click changed nothing.", id)
}

// NotWaiting answers a click on a request in state (State's words).
func NotWaiting(id, state string) string {
	return fmt.Sprintf("Request `%s` is %s. Your click changed nothing.", id, state)
}

// Rejected tells the requester that by rejected.
func Rejected(by, id, what string) string {
	return fmt.Sprintf("<@%s> rejected your request `%s` to %s. Nothing was changed.", by, id, what)
}

// Approved tells the requester that by approved; start, when set, is when
// the work starts, else it is queued now.
func Approved(by, id, what string, dry bool, start time.Time) string {
	if !start.IsZero() {
		return fmt.Sprintf("<@%s> approved your request `%s` to %s%s. The work starts at %s; I'll report each step.", by, id, what, DryTag(dry), mrkdwn.Date(start))
	}
	return fmt.Sprintf("<@%s> approved your request `%s` to %s%s. The work is queued; I'll report each step.", by, id, what, DryTag(dry))
}

// Expired tells the requester nobody decided within timeout.
func Expired(id, what string, timeout time.Duration) string {
	return fmt.Sprintf("Your request `%s` to %s expired: nobody decided within %s. Nothing was changed; ask again if it is still needed.", id, what, timeout)
}
