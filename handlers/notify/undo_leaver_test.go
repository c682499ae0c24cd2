package notify_test

import (
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/handlers/notify"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The approver of the undo of a leaver's conversion (issue 16) sees on
// which other mailbox each right is given back, and what automatic reply
// and forwarding are put back (the Approve dialog names the rights, and
// points to the plan for the rest).
func TestUndoOfALeaverApproval(t *testing.T) {
	orig := mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "leo@contoso.com"}
	was := mailbox.AutoReply{State: mailbox.AutoReplyEnabled, InternalMessage: "<p>On holiday</p>", ExternalMessage: "<p>On holiday</p>", ExternalAudience: "All"}
	done := []mailbox.Step{
		{Name: mailbox.StepRevokeFullAccess, Arg: "leo@contoso.com", On: "projects@contoso.com"},
		{Name: mailbox.StepRevokeSendAs, Arg: "leo@contoso.com", On: "billing@contoso.com"},
		{Name: mailbox.StepSetAutoReply, Arg: "Leo has left.", Settings: &mailbox.Settings{AutoReply: &was}},
		{Name: mailbox.StepForward, Arg: "maria@contoso.com", Settings: &mailbox.Settings{ForwardingSMTPAddress: "smtp:leo@example.net"}},
		{Name: mailbox.StepHide, Settings: &mailbox.Settings{}},
	}
	op, _ := mailbox.UndoOperation("req_0LEAVER0", orig, mailbox.Target{UserPrincipalName: "leo@contoso.com"}, done)
	p := mailbox.Plan{Op: op, Target: mailbox.Target{UserID: "1e0", UserPrincipalName: "leo@contoso.com", RecipientTypeDetails: mailbox.RecipientSharedMailbox},
		Steps: []mailbox.Step{
			{Name: mailbox.StepGrantFullAccess, Arg: "leo@contoso.com", On: "projects@contoso.com", Title: "Give leo@contoso.com Full Access back"},
			{Name: mailbox.StepGrantSendAs, Arg: "leo@contoso.com", On: "billing@contoso.com", Title: "Give leo@contoso.com Send As back"},
		}}
	r := requestOf(p)
	blocks := notify.ApprovalBlocks(r, t0)
	all := string(encode(t, message{"x", blocks}))
	for _, want := range []string{"on projects@contoso.com", "on billing@contoso.com", "automatic reply put back as before: “On holiday”",
		"the forwarding to smtp:leo@example.net before cannot be put back", "shown in the address lists again"} {
		if !strings.Contains(all, want) {
			t.Errorf("approval message lacks %q:\n%s", want, all)
		}
	}
	c := strings.Join(confirmTexts(blocks), "\n")
	for _, want := range []string{"on projects@contoso.com", "on billing@contoso.com"} {
		if !strings.Contains(c, want) {
			t.Errorf("Approve dialog lacks %q: %q", want, c)
		}
	}
}
