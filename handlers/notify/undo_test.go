package notify_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers/notify"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// undoPlan is the undo of a revoke of lee's Send As on sales@ (the right
// given back) as the planner makes it.
func undoPlan() mailbox.Plan {
	orig := mailbox.Operation{Kind: mailbox.KindRevoke, Mailbox: "sales@contoso.com", Trustee: "lee@contoso.com", Right: mailbox.SendAs}
	done := []mailbox.Step{{Name: mailbox.StepRevokeSendAs, Arg: "lee@contoso.com", Title: "Take Send As away from lee@contoso.com"}}
	op, _ := mailbox.UndoOperation("req_0LDREVOK", orig, mailbox.Target{UserPrincipalName: "sales@contoso.com"}, done)
	return mailbox.Plan{
		Op:     op,
		Target: mailbox.Target{UserID: "5a1e5000-0000-1111-2222-333344445555", UserPrincipalName: "sales@contoso.com", DisplayName: "Sales", RecipientTypeDetails: mailbox.RecipientSharedMailbox},
		Steps: []mailbox.Step{{Name: mailbox.StepGrantSendAs, Arg: "lee@contoso.com",
			Title: "Give lee@contoso.com Send As back (Add-RecipientPermission), taken away by req_0LDREVOK"}},
	}
}

// The approver of an undo sees which request it undoes and who gets a
// right back, in the message and in the Approve button's dialog.
func TestUndoApproval(t *testing.T) {
	r := requestOf(undoPlan())
	blocks := notify.ApprovalBlocks(r, t0)
	golden(t, "approval_undo", message{notify.ApprovalText(r), blocks})
	all := string(encode(t, message{"x", blocks}))
	for _, want := range []string{"undo `req_0LDREVOK`", "undoes `req_0LDREVOK`", "Send As back"} {
		if !strings.Contains(all, want) {
			t.Errorf("approval message lacks %q", want)
		}
	}
	if c := confirmTexts(blocks); len(c) == 0 || !strings.Contains(c[0], "lee@contoso.com") {
		t.Errorf("Approve dialog does not name who gets the right back: %q", c)
	}
}

// A succeeded request's report carries Undo until its window ends.
func TestUndoButton(t *testing.T) {
	r := pending()
	r.State = bot.StateSucceeded
	r.UndoUntil = t0.Add(30 * 24 * time.Hour)
	r.UndoneBy = "req_0UNDONE1"
	has := func(blocks []slack.Block) bool {
		return slices.ContainsFunc(blocks, func(b slack.Block) bool {
			a, ok := b.(*slack.ActionBlock)
			return ok && a.BlockID == notify.UndoBlockID+r.ID
		})
	}
	blocks := notify.TellBlocks(r, "Done.", t0)
	golden(t, "tell_undo", message{notify.TellText(r, "Done."), blocks})
	if !has(blocks) {
		t.Error("no Undo button within the window")
	}
	if !strings.Contains(string(encode(t, message{"x", blocks})), "undo: `req_0UNDONE1`") {
		t.Error("the report does not name its undo")
	}
	if has(notify.TellBlocks(r, "Done.", r.UndoUntil)) {
		t.Error("Undo button after the window")
	}
	r.State = bot.StateFailed
	if has(notify.TellBlocks(r, "Failed.", t0)) {
		t.Error("Undo button on a failed request")
	}
}
