package words

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// The sentences and headers of the App Home tab.

// HomeTitle is the Home tab's header.
const HomeTitle = "Mailbox requests"

// HomeAbout is the line under the Home tab's header, as of now.
func HomeAbout(now time.Time) string {
	return "What waits for your decision and what you asked for, as of " + mrkdwn.Date(now) +
		". Type `/convert-mailbox help` or `/shared-mailbox help` to ask for a change."
}

// The Home tab's parts, each with the text it shows when empty.
const (
	HomeWaiting       = "Waiting for your decision"
	HomeWaitingEmpty  = "Nothing waits for your decision."
	HomeMine          = "Your recent requests"
	HomeMineEmpty     = "You have not asked for anything yet."
	HomeEveryone      = "Everyone's recent requests"
	HomeEveryoneEmpty = "No requests yet."
)

// HomeMore: n items of a part did not fit.
func HomeMore(n int) string { return fmt.Sprintf("…and %d more, not shown here.", n) }

// OptionsLine is a request's options line; cut says that it counts people
// instead of naming them.
func OptionsLine(options string, cut bool) string {
	if cut {
		return "*Options:* " + options + " — _who exactly: see the approval message_"
	}
	return "*Options:* " + options
}

// AskedOn says when a request was asked: "asked <date>".
func AskedOn(at time.Time) string { return "asked " + mrkdwn.Date(at) }

// AskedTo is who asked for what (phrase) on an admin's list.
func AskedTo(requester, phrase string) string {
	return mrkdwn.Mention(requester) + " asked to " + phrase
}

// WaitingFor names the approvers a request waits for.
func WaitingFor(approvers []string) string {
	ms := make([]string, len(approvers))
	for i, a := range approvers {
		ms[i] = mrkdwn.Mention(a)
	}
	return "waiting for " + strings.Join(ms, " or ")
}

// DryRunMark marks a dry run in a list of requests.
const DryRunMark = "🧪 dry run"
