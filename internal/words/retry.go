package words

import (
	"fmt"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// The sentences of a retry of a failed request.

// OnlyRetriers refuses a retry by someone other than the requester or an
// approver.
func OnlyRetriers(requester string, approvers []string, id string) string {
	return fmt.Sprintf("Only <@%s>, who asked, or %s can retry request `%s`. Your click changed nothing.", requester, mrkdwn.Mentions(approvers), id)
}

// NothingToRetry: the request is in state (State's words), not failed.
func NothingToRetry(id, state string) string {
	return fmt.Sprintf("Request `%s` is %s: there is nothing to retry.", id, state)
}

// NotRetryable: the request stopped at a rule, before any change.
func NotRetryable(id string) string {
	return fmt.Sprintf("Request `%s` cannot be retried: it stopped before any change because a rule stood in the way. Ask again with /convert-mailbox once that is fixed.", id)
}

// RetryEnded: the time to retry ended at until.
func RetryEnded(id string, until time.Time) string {
	return fmt.Sprintf("The time to retry request `%s` ended on %s. Ask again with /convert-mailbox; it will need a new approval.", id, mrkdwn.Date(until))
}

// Retried tells the requester that by retried from step (1-based).
func Retried(by, id string, step int) string {
	return fmt.Sprintf("🔁 <@%s> retried request `%s` from step %d, without a new approval.", by, id, step)
}

// RetryFromStart is where a failed request resumes when no step failed.
const RetryFromStart = "from the start"

// RetryAt is where a failed request resumes, in mrkdwn: "at step n, “title”".
func RetryAt(step int, title string) string {
	return fmt.Sprintf("at step %d, “%s”", step, mrkdwn.Escape(title))
}

// RetryFrom is where a failed request resumes, in plain text: "from step
// n, “title”".
func RetryFrom(step int, title string) string {
	return fmt.Sprintf("from step %d, “%s”", step, mrkdwn.Escape(title))
}

// RetryOffer offers to retry a failed request until until, resuming from
// (RetryAt).
func RetryOffer(until time.Time, from string) string {
	return "You can retry until " + mrkdwn.Date(until) + ": the request resumes " + from +
		", without a new approval; the steps already done are not run again."
}

// RetryConfirm is the Retry button's confirm dialog for mb, resuming from
// (RetryFrom).
func RetryConfirm(mb, from string) string {
	return fmt.Sprintf("The bot runs the request for %s again %s. The steps already done are not run again, and no new approval is asked.", mb, from)
}

// The Retry button and its confirm dialog.
const (
	RetryButton = "Retry from the failed step"
	RetryTitle  = "Retry this request?"
	RetryOK     = "Retry"
)
