package words

import (
	"fmt"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// The sentences of a submitted form's errors, each shown next to its
// field. Pieces the person typed come already quoted (“…”) by the caller.

// FormBadAddress: one typed piece is not an e-mail address.
func FormBadAddress(quoted string) string {
	return quoted + " is not a valid e-mail address."
}

// FormBadAddresses: several typed pieces are not e-mail addresses.
func FormBadAddresses(listed string) string {
	return "These are not valid e-mail addresses: " + listed + "."
}

// FormNoMailbox: the form names no mailbox.
const FormNoMailbox = "Pick at least one person, or paste an address below."

// FormTooManyMailboxes: the form names more mailboxes than one form may.
func FormTooManyMailboxes(limit, n int) string {
	return fmt.Sprintf("At most %d mailboxes in one form; there are %d. Ask for the others in another form.", limit, n)
}

// FormTooManyMembers: more members than one request may list.
func FormTooManyMembers(limit, n int) string {
	return fmt.Sprintf("At most %d members in one request; there are %d.", limit, n)
}

// FormTooManyNewMembers: more members than one creation may list; the
// others can be granted later.
func FormTooManyNewMembers(limit, n int) string {
	return FormTooManyMembers(limit, n) + " Add the others with grant."
}

// FormMembersNotShared: members given for a conversion back to a user
// mailbox.
const FormMembersNotShared = "Members are for a shared mailbox: remove them to convert back to a user mailbox."

// FormNoDay: a time of day without its day.
const FormNoDay = "Pick the day to run it on too, or clear the time to run it once approved."

// FormNoTime: a day without its time of day.
const FormNoTime = "Pick the time of day (UTC) too."

// FormBadDay: the day cannot be read.
func FormBadDay(quoted string) string {
	return quoted + " is not a day I can read."
}

// FormBadTime: the time of day cannot be read.
func FormBadTime(quoted string) string {
	return quoted + " is not a time of day I can read."
}

// FormInPast: the chosen moment has passed.
func FormInPast(at, now time.Time) string {
	return fmt.Sprintf("%s is in the past: it is now %s.", mrkdwn.UTC(at), mrkdwn.UTC(now))
}

// FormTooFarAhead: the chosen moment is later than ahead from now.
func FormTooFarAhead(now time.Time, ahead time.Duration) string {
	return fmt.Sprintf("At most %d days ahead: by %s.", int(ahead/(24*time.Hour)), mrkdwn.UTC(now.Add(ahead)))
}

// FormNoName: the new mailbox has no display name.
const FormNoName = "Give the new mailbox a display name, for example Sales Team."

// FormNameTooLong: the display name has n characters, more than limit.
func FormNameTooLong(limit, n int) string {
	return fmt.Sprintf("At most %d characters; this has %d.", limit, n)
}

// FormNameForbidden: the display name holds one of forbidden, the first
// of which is quoted.
func FormNameForbidden(forbidden, quoted string) string {
	return fmt.Sprintf("Exchange refuses %s in a name: remove the %s.", forbidden, quoted)
}

// FormNameControl: the display name holds the control character r.
func FormNameControl(r rune) string {
	return fmt.Sprintf("The name holds an invisible control character (%U): type it again without it.", r)
}
