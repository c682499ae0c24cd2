package words

import "fmt"

// Why the owner's (or the requester's) manager does not approve: the
// reasons routing gives, which the requester and the approvers read.

// ConfiguredDecide: the policy names the configured approvers.
func ConfiguredDecide() string { return "the configured approvers decide this kind of request" }

// OwnManager: the requester is their own manager.
func OwnManager() string { return "you are your own manager" }

// YourManagerNotInSlack: the requester's manager (email) has no Slack account.
func YourManagerNotInSlack(email string) string {
	return fmt.Sprintf("your manager, %s, has no Slack account", email)
}

// DeletedNoManager: upn is a deleted account.
func DeletedNoManager(upn string) string {
	return fmt.Sprintf("%s is a deleted account, whose manager cannot be read", upn)
}

// OwnerHasNoManager: upn has no manager in Entra ID.
func OwnerHasNoManager(upn string) string {
	return fmt.Sprintf("%s has no manager in Microsoft Entra ID", upn)
}

// ManagerNotInSlack: the owner's manager (email) has no Slack account.
func ManagerNotInSlack(email string) string {
	return fmt.Sprintf("the manager, %s, has no Slack account", email)
}

// ManagerLookupFailed: Slack did not answer about the manager (email).
func ManagerLookupFailed(email string) string {
	return fmt.Sprintf("I couldn't look up the manager, %s, in Slack", email)
}

// RequesterIsManager: the requester manages the mailbox's owner.
func RequesterIsManager() string {
	return "you are the owner's manager and cannot approve your own request"
}

// NoManagerLookup: this bot cannot read managers.
func NoManagerLookup() string { return "managers cannot be looked up" }

// NoSlackEmail: the requester's e-mail could not be read in Slack.
func NoSlackEmail() string { return "I couldn't read your e-mail address in Slack" }

// NotInEntra: the requester's address is no user in Entra ID.
func NotInEntra(addr string) string {
	return fmt.Sprintf("your address %s is not a user in Microsoft Entra ID", addr)
}

// YouHaveNoManager: the requester has no manager in Entra ID.
func YouHaveNoManager() string { return "you have no manager in Microsoft Entra ID" }
