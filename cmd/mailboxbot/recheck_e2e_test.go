package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Issue 15, through serve: what was approved is checked again just before
// the first change; when the mailbox is no longer what the approver saw,
// nothing runs, and the requester and the approver read what changed and
// that a new request is needed.

// askShared types a /shared-mailbox command as Rita and returns the
// approval DM about mbx, and the Slack id of the approver it went to.
func (w *world) askShared(text, mbx string) (slacktest.Entry, string) {
	w.t.Helper()
	status, body, err := w.slack.SlashCommand(context.Background(), w.botURL, e2eSigning, "U0RITA", "/shared-mailbox", text)
	if err != nil || status != http.StatusOK {
		w.t.Fatalf("slash command: %d %s %v", status, body, err)
	}
	ask := w.waitFor("the approval DM", func(e slacktest.Entry) bool {
		return strings.HasPrefix(e.Channel, "DU0") && e.Channel != "DU0RITA" && strings.Contains(e.Text, mbx) && strings.Contains(e.Text, "[Approve]")
	})
	return ask, strings.TrimPrefix(ask.Channel, "D")
}

// stoppedForAll waits until the requester and the approver are told that
// the request was not started because of want, and a new request is needed.
func (w *world) stoppedForAll(approver, want string) {
	w.t.Helper()
	for _, who := range []string{"U0RITA", approver} {
		w.waitFor(who+" told what changed", func(e slacktest.Entry) bool {
			return e.Channel == "D"+who && strings.Contains(e.Text, "was not started") && strings.Contains(e.Text, want) &&
				strings.Contains(e.Text, "A new request is needed")
		})
	}
	w.waitFor("the audit message", func(e slacktest.Entry) bool {
		return e.Channel == demoAuditChannel && strings.Contains(e.Text, "failed")
	})
}

// noExchangeChanges checks that no cmdlet that changes a mailbox was sent.
func (w *world) noExchangeChanges() {
	w.t.Helper()
	for _, c := range w.exo.Calls() {
		if !strings.HasPrefix(c.Cmdlet, "Get-") {
			w.t.Errorf("%s sent: %v", c.Cmdlet, c.Parameters)
		}
	}
	if n := w.graph.Count(http.MethodPatch, "/users/"); n != 0 {
		w.t.Errorf("PATCH /users sent %d times", n)
	}
}

// stopsBeforeAnyChange types a /shared-mailbox command about mbx, lets
// meanwhile change the tenant, has the approver approve, and checks that
// the request stops with want before any change.
func (w *world) stopsBeforeAnyChange(text, mbx string, meanwhile func(context.Context) error, want string) {
	w.t.Helper()
	stop := w.serve(&testlog.Buffer{})
	ask, approver := w.askShared(text, mbx)
	if err := meanwhile(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	w.click(approver, ask, "approve")
	w.stoppedForAll(approver, want)
	if err := stop(); err != nil {
		w.t.Errorf("serve: %v", err)
	}
	w.noExchangeChanges()
}

// Point 2: a pending create does not adopt the mailbox an administrator
// made at the same address in the meantime.
func TestServeCreateStopsWhenAddressTakenAfterRequest(t *testing.T) {
	w := newWorld(t, 0)
	w.stopsBeforeAnyChange(`create "Support Team" support@contoso.com kim@contoso.com`, "support@contoso.com", func(ctx context.Context) error {
		_, err := w.tenant.NewSharedMailbox(ctx, "support", "Someone Else's", "support@contoso.com")
		return err
	}, "now used by another mailbox")
	if u, _ := w.tenant.User(context.Background(), "support@contoso.com"); !u.AccountEnabled {
		t.Error("the other mailbox's sign-in was blocked")
	}
}

// Point 3: a grant does not run on a mailbox converted back to a user
// mailbox after the request.
func TestServeGrantStopsWhenMailboxNoLongerShared(t *testing.T) {
	w := newWorld(t, 0)
	w.stopsBeforeAnyChange("grant info@contoso.com kim@contoso.com full-access", "info@contoso.com", func(ctx context.Context) error {
		return w.tenant.SetMailboxType(ctx, "info@contoso.com", mailbox.TypeRegular)
	}, "the mailbox is now UserMailbox (was SharedMailbox)")
}
