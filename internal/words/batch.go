package words

import (
	"fmt"
	"strings"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// The sentences of a batch: one request for several mailboxes.

// BatchUnavailable: this bot takes no requests for several mailboxes.
func BatchUnavailable() string {
	return "Requests for several mailboxes at once are not available in this bot. Ask for each mailbox on its own."
}

// Refused is one mailbox of a batch not requested, and why: "addr: why".
func Refused(addr, why string) string { return addr + ": " + why }

// ActiveInBatch is why a mailbox of a batch is not requested: it has
// active request id.
func ActiveInBatch(id string) string { return "it already has an active request, `" + id + "`" }

// DifferentManagers is why a batch goes to the configured approvers.
func DifferentManagers() string { return "the mailboxes have different managers" }

// NoneCanGo: every mailbox of a batch was refused (Refused's, each).
func NoneCanGo(refused []string) string {
	return "None of these mailboxes can go ahead, so nothing was requested:\n• " + strings.Join(refused, "\n• ")
}

// BatchNoApprover: nobody can approve a batch, and why.
func BatchNoApprover(why string) string {
	return "No one can approve this request: " + why + ", and no approvers are configured (MAILBOXBOT_APPROVERS). Nothing was requested."
}

// BatchNoApprovalNeeded answers a batch of n its policy lets run at once.
func BatchNoApprovalNeeded(id string, n int) string {
	return fmt.Sprintf("Request `%s` for %d mailboxes: this needs no approval (the bot's policy); the work is queued, and I'll keep one report up to date in a direct message.", id, n)
}

// BatchAsked answers a batch of n sent to its approvers; what is the
// operation's phrase for "each mailbox"; refused lists the mailboxes not
// requested (Refused's).
func BatchAsked(id string, n int, what string, approvers, refused []string) string {
	text := fmt.Sprintf("Request `%s` for %d mailboxes: %s. %s will be asked to approve once for all of them; I'll keep one report up to date in a direct message.",
		id, n, what, mrkdwn.Mentions(approvers))
	if len(refused) > 0 {
		text += "\nNot requested:\n• " + strings.Join(refused, "\n• ")
	}
	return text
}

// BatchNotWaiting answers a click on a batch no longer waiting.
func BatchNotWaiting(id string) string {
	return fmt.Sprintf("Request `%s` is no longer waiting for a decision (expired or cancelled). Your click changed nothing.", id)
}

// BatchStatus answers `status` of a batch: each request's id, mailbox (as
// What) and state.
func BatchStatus(id string, reqs []Listed) string {
	lines := make([]string, len(reqs))
	for i, r := range reqs {
		lines[i] = fmt.Sprintf("• `%s` %s — %s", r.ID, r.What, r.State)
	}
	return fmt.Sprintf("Request `%s` for %d mailboxes:\n%s\n`status` with a mailbox's own request id shows its full plan.", id, len(lines), strings.Join(lines, "\n"))
}

// BatchCancelled confirms the cancel of n mailboxes of a batch; left had
// started or ended.
func BatchCancelled(id string, n, left int) string {
	text := fmt.Sprintf("Request `%s`: %d mailboxes cancelled; nothing was changed for them.", id, n)
	if left > 0 {
		text += fmt.Sprintf(" %d had started or ended and could not be cancelled.", left)
	}
	return text
}

// EachMailbox stands for the mailbox in the phrase of a batch's operation:
// "convert *each mailbox* to a shared mailbox".
const EachMailbox = "each mailbox"
