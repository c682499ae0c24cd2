package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Issue 16, through serve: a conversion's report carries Undo; a stranger's
// click is refused; the requester's asks for an undo, approved by the
// reverse operation's approvers, which puts the mailbox back; a second
// click asks for nothing more; status links the two.
func TestServeUndo(t *testing.T) {
	w := newWorld(t, 1)
	stop := w.serve(&testlog.Buffer{})
	idOf := regexp.MustCompile(`req_[A-Z2-7]{8}`)

	w.command("U0RITA", "alice@contoso.com")
	ask := w.waitFor("Maria's approval DM", func(e slacktest.Entry) bool {
		return e.Channel == "DU0MARIA" && strings.Contains(e.Text, "[Approve]")
	})
	w.click("U0MARIA", ask, "approve")
	done := w.waitFor("the report with Undo", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "is done") && strings.Contains(e.Text, "[Undo]")
	})
	orig := idOf.FindString(done.Text)
	w.waitFor("Undo on the approver's message", func(e slacktest.Entry) bool {
		return e.Channel == "DU0MARIA" && strings.Contains(e.Text, "Approved by") && strings.Contains(e.Text, "[Undo]")
	})

	w.click("U0ERIN", done, "undo")
	w.waitFor("the stranger's refusal", func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindEphemeral && e.User == "U0ERIN" && strings.Contains(e.Text, "and its approvers can ask to undo it")
	})
	w.click("U0RITA", done, "undo")
	undoAsk := w.waitFor("the undo's approval DM", func(e slacktest.Entry) bool {
		return e.Channel == "DU0ADA" && strings.Contains(e.Text, "undo `"+orig+"`") && strings.Contains(e.Text, "[Approve]")
	})
	w.click("U0RITA", done, "undo") // a second click
	w.waitFor("the second click's answer", func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindEphemeral && e.User == "U0RITA" && strings.Contains(e.Text, "is already asked")
	})
	w.click("U0ADA", undoAsk, "approve")
	w.waitFor("the undo's report", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "`"+orig+"` is undone")
	})
	ctx := context.Background()
	mb, _ := w.tenant.GetMailbox(ctx, "alice@contoso.com")
	u, _ := w.tenant.User(ctx, "alice@contoso.com")
	if mb.RecipientTypeDetails != mailbox.RecipientUserMailbox || !u.AccountEnabled || len(u.Licenses) == 0 {
		t.Errorf("after the undo: %s enabled=%v licenses %v", mb.RecipientTypeDetails, u.AccountEnabled, u.Licenses)
	}
	w.command("U0RITA", "status "+orig)
	w.waitFor("the status naming the undo", func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindEphemeral && e.User == "U0RITA" && strings.Contains(e.Text, "Undo asked")
	})
	// The conversion made four changes; the undo three: the license, the
	// type and sign-in (revoked sessions stay revoked).
	if n := len(w.tenant.Changes()); n != 4+3 {
		t.Errorf("%d changes: %+v", n, w.tenant.Changes())
	}
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
}
