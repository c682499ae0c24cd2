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

// The buttons and titles of the forms.
const (
	FormSubmit       = "Request"
	FormClose        = CancelButton
	ConvertFormTitle = "Convert mailboxes"
	SharedFormTitle  = "New shared mailbox"
)

// The choices of the /convert-mailbox form, each with its description
// ("" for none).
const (
	FormToShared           = "To a shared mailbox"
	FormToRegular          = "Back to a user mailbox"
	FormTAP                = "A Temporary Access Pass"
	FormTAPHint            = "Signs in once and sets up a password or passkey"
	FormPassword           = "A new password"
	FormPasswordHint       = "To be changed at the next sign-in"
	FormBlockSignIn        = "Block sign-in"
	FormBlockSignInHint    = "To shared: else the old name and password keep working"
	FormRevokeSessions     = "Revoke sessions"
	FormRevokeSessionsHint = "To shared: signs the user out everywhere"
	FormRemoveLicenses     = "Remove the licenses"
	FormRemoveLicensesHint = "To shared: once verified, where the rules allow"
	FormDryRun             = "Dry run"
	FormDryRunHint         = "Report what would be done; change nothing"
)

// The /convert-mailbox form's intro, labels, hints and placeholders.
const (
	ConvertFormIntro = "Pick the people whose mailboxes to convert, paste their addresses, or both. " +
		"Several mailboxes converted to shared make one request with one approval (converting back asks for each on its own); I check each one and answer you privately."
	FormPickPeople       = "Pick people"
	FormMailboxes        = "Mailboxes"
	FormAddresses        = "…or their addresses"
	FormAddressesHint    = "One per line, or separated by commas. Someone no longer in Slack (a leaver) can only be named here."
	FormAddressesExample = "alice@contoso.com, bob@contoso.com"
	FormDirection        = "Convert"
	FormOptions          = "Options"
	FormCredential       = "Back to a user mailbox: give the user"
	FormCredentialHint   = "Sent to you alone, in a private message."
	FormMembersToShared  = "Members (to shared)"
	FormMembersHint      = "They get Full Access and Send As on the shared mailbox."
	FormRunOn            = "Run on (UTC)"
	FormRunOnHint        = "Leave empty to run as soon as it is approved; at most 90 days ahead."
	FormRunOnPlaceholder = "As soon as it is approved"
	FormAt               = "At (UTC)"
	FormTimePlaceholder  = "Time (UTC)"
)

// The /shared-mailbox form's intro, labels, hints and placeholders.
const (
	SharedFormIntro = "A new shared mailbox: its account cannot sign in (rule 11), and its members get Full Access and Send As (rule 12). " +
		"I check it and answer you privately."
	FormDisplayName        = "Display name"
	FormDisplayNameExample = "Sales Team"
	FormAddress            = "Address"
	FormAddressExample     = "sales@contoso.com"
	FormMembers            = "Members"
	FormNewMembersHint     = "They get Full Access and Send As."
)
