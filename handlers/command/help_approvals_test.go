package command

import (
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// TestApprovalsHelpFollowsConfiguration: the approval page says how many
// approvers each operation needs, recommends two for converting back
// while it needs one, and tells of escalation only when it is on.
func TestApprovalsHelpFollowsConfiguration(t *testing.T) {
	convert := []mailbox.Kind{mailbox.KindConvertToShared, mailbox.KindConvertToRegular}
	h := ApprovalsHelp(Approvals{Escalate: true}, convert...)
	wantAll(t, "defaults", h, "two different approvers are recommended for it (`MAILBOXBOT_APPROVALS_REQUIRED_TO_REGULAR=2`)",
		"the configured approvers are asked too")
	h = ApprovalsHelp(Approvals{Required: map[mailbox.Kind]int{mailbox.KindConvertToRegular: 2}}, convert...)
	wantAll(t, "two for converting back", h, "• To regular needs 2 different approvers", "\"1 of 2: approved by …\"", "the requester never counts")
	if strings.Contains(h, "recommended") || strings.Contains(h, "asked too") {
		t.Errorf("help says what is not so:\n%s", h)
	}
	h = ApprovalsHelp(Approvals{Required: map[mailbox.Kind]int{mailbox.KindGrant: 3}}, mailbox.KindCreateShared, mailbox.KindGrant, mailbox.KindRevoke)
	if h != "• `grant` needs 3 different approvers: every approval message shows each approval (\"1 of 3: approved by …\"), one reject rejects it, the same person counts once, and the requester never counts." {
		t.Errorf("shared help: %q", h)
	}
}
