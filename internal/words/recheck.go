package words

import (
	"fmt"
	"strings"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// The sentences of the re-check made just before the first change of an
// approved request (issue 15): what stopped it, told to the requester and
// to the approver who decided.

// Stopped tells the requester and the approver that the re-check of mb
// stopped request id, listing reasons (sentences), and that a new request
// is needed. resumed: the request was being run again after a Retry, so
// its steps already done stay done.
func Stopped(id, mb string, reasons []string, resumed bool) string {
	why := strings.Join(reasons, " ")
	if !resumed {
		return NotStarted(id, mb, why) + " A new request is needed."
	}
	return fmt.Sprintf("❌ Request `%s` was not resumed: when I checked *%s* again before its next step, %s Nothing more was changed; the steps already done stay done. A new request is needed.", id, mb, why)
}

// Changed is one material difference between the approved plan and the
// live one, as a sentence (text is mailbox.Change.Text, plain).
func Changed(text string) string {
	return "Changed since the approval: " + mrkdwn.Escape(strings.TrimSuffix(text, ".")) + "."
}

// RecheckLookupFailed is the reason when the live facts could not be read
// again: nothing runs unchecked. msg is Microsoft's (or Slack's) text.
func RecheckLookupFailed(msg string) string {
	return fmt.Sprintf("I could not read the mailbox's current state (“%s”), and nothing runs unchecked.", mrkdwn.Escape(msg))
}

// PlanAltered is the reason when the stored plan no longer has the
// fingerprint of the plan that was approved.
func PlanAltered() string {
	return "the stored plan is not the one that was approved (its fingerprint differs)."
}

// ApproverGains is the reason when the person who approved would now get
// access through the request (rule 16), e.g. added to a group since.
func ApproverGains(approver, via string) string {
	return fmt.Sprintf("%s, who approved it, would now get access through %s (rule 16): nobody approves their own access.", mrkdwn.Mention(approver), mrkdwn.Escape(via))
}

// NoBeneficiaryCheck is the reason when who gains access cannot be asked.
func NoBeneficiaryCheck() string {
	return "I cannot tell who would get access (rule 16), and nothing runs unchecked."
}

// StalePlan answers a click on a message that showed another plan of
// request id than the one it now holds.
func StalePlan(id string) string {
	return fmt.Sprintf("⚠️ This message shows an older plan of request `%s`: the plan changed since. Nothing was decided; open the latest message of the request to decide.", id)
}
