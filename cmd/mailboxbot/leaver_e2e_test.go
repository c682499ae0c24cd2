package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// TestServeLeaver converts a leaver through `mailboxbot serve` with the
// default remove-access and MAILBOXBOT_LEAVER_MANAGER_ACCESS on, against an
// Exchange that pages every listing two by two: the plan lists each of
// leo@'s rights on other mailboxes, the manager gains access so the
// configured approver decides, and each right is taken away once.
func TestServeLeaver(t *testing.T) {
	w := newWorld(t, 0)
	w.env["MAILBOXBOT_LEAVER_MANAGER_ACCESS"] = "true"
	w.exo.SetPageSize(2)
	want := []string{"Full Access on projects@contoso.com", "Send As on billing@contoso.com", "Send on Behalf on hr@contoso.com"}
	for i := range 7 {
		addr := fmt.Sprintf("desk%d@contoso.com", i)
		if err := w.tenant.AddUsers(sandbox.UserSpec{UserPrincipalName: addr, RecipientTypeDetails: mailbox.RecipientSharedMailbox}); err != nil {
			t.Fatal(err)
		}
		if i%3 == 1 {
			if err := w.tenant.AddSendAs(context.Background(), addr, "leo@contoso.com"); err != nil {
				t.Fatal(err)
			}
			want = append(want, "Send As on "+addr)
		}
	}
	log := &testlog.Buffer{}
	stop := w.serve(log)

	w.command("U0RITA", "leo@contoso.com")
	plan := w.waitFor("the plan", func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindEphemeral && e.User == "U0RITA" && strings.Contains(e.Text, "will be asked to approve")
	})
	for _, s := range append(want, "the manager gains access, so the approvers decide", "@U0ADA will be asked") {
		if !strings.Contains(plan.Text, s) {
			t.Errorf("the plan lacks %q:\n%s", s, plan.Text)
		}
	}
	ask := w.waitFor("Ada's approval DM", func(e slacktest.Entry) bool {
		return e.Channel == "DU0ADA" && strings.Contains(e.Text, "[Approve]")
	})
	for _, s := range want {
		if !strings.Contains(ask.Text, s) {
			t.Errorf("the approver is not shown %q:\n%s", s, ask.Text)
		}
	}
	w.click("U0ADA", ask, "approve")
	done := w.waitFor("the report to Rita", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "is done")
	})
	for _, s := range want {
		if !strings.Contains(done.Text, s) {
			t.Errorf("the report lacks %q:\n%s", s, done.Text)
		}
	}
	// Each right went once; the listings were read page by page.
	for mb, kind := range map[string]sandbox.ChangeKind{"projects@contoso.com": sandbox.ChangeFullAccessRemoved,
		"billing@contoso.com": sandbox.ChangeSendAsRemoved, "hr@contoso.com": sandbox.ChangeSendOnBehalfRemoved,
		"desk1@contoso.com": sandbox.ChangeSendAsRemoved, "desk4@contoso.com": sandbox.ChangeSendAsRemoved} {
		if n := w.tenant.ChangeCount(mb)[kind]; n != 1 {
			t.Errorf("%s: %s %d times, want once", mb, kind, n)
		}
	}
	if _, ok := w.tenant.FullAccessAutoMapping("leo@contoso.com", "maria@contoso.com"); !ok {
		t.Error("the manager did not get Full Access")
	}
	pages := 0
	for _, c := range w.exo.Calls() {
		if c.Cmdlet == "Get-Mailbox" && c.SkipToken != "" {
			pages++
		}
	}
	if pages == 0 {
		t.Error("no later page of Get-Mailbox was asked for")
	}
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
	w.assertNoSecrets(log.String())
}
