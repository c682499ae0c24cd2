package words

import (
	"fmt"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// Why an approver the policy names is passed over (the owners, rule 16),
// and the answers about who may list a mailbox's members.

// YourManager and OwnersManager name the manager routing passed over.
func YourManager() string   { return "your manager" }
func OwnersManager() string { return "the owner's manager" }

// UserGainsAccess names Slack user id for GainsAccess.
func UserGainsAccess(id string) string { return mrkdwn.Mention(id) }

// GainsAccess: who (YourManager, OwnersManager, UserGainsAccess) would get
// the access the request gives, in their own name (via "") or through the
// group via (rule 16).
func GainsAccess(who, via string) string {
	if via == "" {
		return who + " would get the access"
	}
	return fmt.Sprintf("%s would get access through the group %s", who, mrkdwn.Escape(via))
}

// AccessUnknown: who gains access by the request could not be found out.
func AccessUnknown() string {
	return "I couldn't find out who would get access by this change (a group's members could not be read)"
}

// NoOwnersLookup: this bot cannot read a mailbox's members.
func NoOwnersLookup() string { return "the people who hold the mailbox cannot be looked up" }

// OwnersLookupFailed: the members of mbx could not be read.
func OwnersLookupFailed(mbx string) string {
	return fmt.Sprintf("I couldn't read who holds %s", mrkdwn.Escape(mbx))
}

// NoOwners: nobody else with a Slack account holds Full Access on mbx.
func NoOwners(mbx string) string {
	return fmt.Sprintf("nobody else in Slack holds Full Access on %s", mrkdwn.Escape(mbx))
}

// NobodyLeft: every possible approver of the request to what was passed
// over, why says why.
func NobodyLeft(what, why string) string {
	return fmt.Sprintf("No one can approve this request to %s: %s. Nobody approves a change that gives them access. Nothing was requested; ask the bot's administrators.", what, why)
}

// AccessUnknownAnswer: the request to what went to nobody, because who
// gains access by it could not be found out.
func AccessUnknownAnswer(what string) string {
	return fmt.Sprintf("I couldn't find out who would get access by this request to %s, so I can't tell who may approve it. Nothing was requested; please try again later.", what)
}

// MembersOnlyShared: members are listed for shared mailboxes only.
func MembersOnlyShared(mbx string) string {
	return fmt.Sprintf("*%s* is not a shared mailbox: members are listed only for shared mailboxes.", mrkdwn.Escape(mbx))
}

// BeneficiaryApproval refuses an Approve click by someone who would get
// access by request id (rule 16).
func BeneficiaryApproval(id string) string {
	return fmt.Sprintf("Request `%s` gives you access (directly or through a group), so you can't approve it; another approver must. Your click changed nothing.", id)
}
