package words

import (
	"fmt"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// The sentences of the limits and safeguards: a batch decided as one, a
// repeated click, a request lost from the store, too many requests.

// DecideTheBatch refuses a click on one request of a batch.
func DecideTheBatch(id, batch string) string {
	return fmt.Sprintf("Request `%s` is one mailbox of batch `%s`; decide the batch (its approval message or your Home tab). Your click changed nothing.", id, batch)
}

// DecisionStands answers a click repeated after its decision took effect.
func DecisionStands(id string, approved bool, at time.Time, state string) string {
	verb := "rejected"
	if approved {
		verb = "approved"
	}
	return fmt.Sprintf("Request `%s` was %s on %s and is now %s. Your click changed nothing.", id, verb, mrkdwn.Date(at), state)
}

// LostRequest: request id (for mailbox, "" when unknown) is gone from the
// bot's store; its work will not run.
func LostRequest(id, mailbox string) string {
	what := "Request `" + id + "`"
	if mailbox != "" {
		what += " for *" + mrkdwn.Escape(mailbox) + "*"
	}
	return what + " was lost from the bot's store (Redis lost its data), so it will not go ahead, and some of its changes may not have been made. Check the mailbox, and ask again if it is still needed."
}

// TooManyRequests refuses a command over the user's rate limit; wait is
// how long until they may ask again (rounded up to the second).
func TooManyRequests(wait time.Duration) string {
	secs := int((wait + time.Second - 1) / time.Second)
	return fmt.Sprintf("You have asked for many changes in a short time. Wait %d s, then ask again. Nothing was requested.", max(secs, 1))
}

// TooManyMailboxes refuses a command naming n mailboxes, more than limit.
func TooManyMailboxes(limit, n int) string {
	return fmt.Sprintf("At most %d mailboxes in one request: I read %d. Split them into several requests. Nothing was requested.", limit, n)
}

// BatchPlanning is the progress of a batch's planning.
func BatchPlanning(done, total int) string {
	return fmt.Sprintf("Checking the mailboxes: %d of %d done… I'll answer here when all are checked.", done, total)
}
