package words

import (
	"fmt"
	"strings"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The members table of `/shared-mailbox members`.

// MembersUnavailable: this bot cannot list members.
func MembersUnavailable() string { return "Listing members is not available in this bot." }

// Members lists who may use mailbox mbx (mb, as read) as one table, with
// the warning of rule 13 for a hidden mailbox.
func Members(mbx string, mb mailbox.Mailbox, rows []mailbox.Member) string {
	if len(rows) == 0 {
		return fmt.Sprintf("Nobody has Full Access, Send As or Send on Behalf on *%s* (%s).", mbx, mb.RecipientTypeDetails)
	}
	width := len("Who")
	for _, r := range rows {
		width = max(width, len(r.Who))
	}
	mark := func(b bool) string {
		if b {
			return "yes"
		}
		return "-"
	}
	var t strings.Builder
	fmt.Fprintf(&t, "%-*s  %-11s  %-7s  %s\n", width, "Who", "Full Access", "Send As", "Send on Behalf")
	for _, r := range rows {
		fmt.Fprintf(&t, "%-*s  %-11s  %-7s  %s\n", width, mrkdwn.Escape(r.Who), mark(r.FullAccess), mark(r.SendAs), mark(r.OnBehalfOf))
	}
	text := fmt.Sprintf("*Who may use %s* (%s, %d):\n```\n%s```", mbx, mb.RecipientTypeDetails, len(rows), t.String())
	if mb.HiddenFromAddressListsEnabled {
		text += "\n⚠️ The mailbox is hidden from the address lists: Send As and Send on Behalf do not work from classic Outlook for Windows (rule 13)."
	}
	return text
}
