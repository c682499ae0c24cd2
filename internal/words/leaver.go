package words

import (
	"fmt"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// The sentences of a leaver's conversion (issue 16): the owner's rights on
// other mailboxes (rule 18) and the manager's access.

// AccessProgress: the plan of mbx has read the permissions of done of
// total mailboxes, looking for the owner's rights on them (rule 18).
func AccessProgress(mbx string, done, total int) string {
	return fmt.Sprintf("Looking for %s's rights on other mailboxes: %d of %d mailboxes read… I'll answer here with the plan.", mrkdwn.Escape(mbx), done, total)
}

// Facts of the options line.
const (
	// AccessRemoved: remove-access; the steps name each mailbox.
	AccessRemoved = "the owner's Full Access, Send As and Send on Behalf on other mailboxes taken away (each in the steps)"
	// AccessKept: keep-access, a weakened default.
	AccessKept = "the owner keeps any rights on other mailboxes"
	// ManagerRights: the rights manager-access gives.
	ManagerRights = "Full Access (automapping on) and Send As"
	// ManagerDecidesNot is why the manager does not approve.
	ManagerDecidesNot = "the manager gains access, so the approvers decide"
)

// TheManager names the owner's manager in the options line: their address,
// or "the owner's manager" when the plan does not know it.
func TheManager(email string) string {
	if email == "" {
		return "the owner's manager"
	}
	return email
}
