package command

import (
	"slices"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Approvals is how many approvers each operation needs, and whether
// requests escalate (bot.Config.ApprovalsRequired and Escalate), for the
// approval page of the help.
type Approvals struct {
	Required map[mailbox.Kind]int
	Escalate bool
}

// approvalNames are the operations' names on the approval pages.
var approvalNames = map[mailbox.Kind]string{
	mailbox.KindConvertToShared: "To shared", mailbox.KindConvertToRegular: "To regular",
	mailbox.KindCreateShared: "`create`", mailbox.KindGrant: "`grant`", mailbox.KindRevoke: "`revoke`",
}

// ApprovalsHelp is what the approval page of a command whose operations
// are kinds adds about two-person approval and escalation, as configured.
func ApprovalsHelp(a Approvals, kinds ...mailbox.Kind) string {
	var b helpWriter
	for _, k := range kinds {
		if n := a.Required[k]; n > 1 {
			b.p("• %s needs %d different approvers: every approval message shows each approval (\"1 of %d: approved by …\"), one reject rejects it, the same person counts once, and the requester never counts.", approvalNames[k], n, n)
		}
	}
	if a.Required[mailbox.KindConvertToRegular] < 2 && slices.Contains(kinds, mailbox.KindConvertToRegular) {
		b.p("• One approval decides a conversion back to a user mailbox; two different approvers are recommended for it (`MAILBOXBOT_APPROVALS_REQUIRED_TO_REGULAR=2`), since it hands out a way into the account.")
	}
	if a.Escalate {
		b.p("• When the manager (or the mailbox's owners) has not decided by the reminder, the configured approvers are asked too, with the same message; the first decision counts.")
	}
	return b.text()
}
