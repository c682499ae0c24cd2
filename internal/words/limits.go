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
