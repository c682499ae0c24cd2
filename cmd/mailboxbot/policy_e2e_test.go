package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// Issue 15, through serve: who approves converting back, and who sees a
// mailbox's members.

func (w *world) shared(user, text string) {
	w.t.Helper()
	status, body, err := w.slack.SlashCommand(context.Background(), w.botURL, e2eSigning, user, "/shared-mailbox", text)
	if err != nil || status != http.StatusOK {
		w.t.Fatalf("slash command: %d %s %v", status, body, err)
	}
}

// Point 5: converting back ends with a credential in the requester's
// hands; the former owner's manager is not the one to approve it.
func TestServeConvertingBackIsNotRoutedToTheOwnersManager(t *testing.T) {
	w := newWorld(t, 0)
	if err := w.tenant.AddUsers(sandbox.UserSpec{UserPrincipalName: "ops@contoso.com", DisplayName: "Ops Desk",
		Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}}, ManagerUPN: "maria@contoso.com",
		RecipientTypeDetails: mailbox.RecipientSharedMailbox, SignInBlocked: true}); err != nil {
		t.Fatal(err)
	}
	w.serve(&testlog.Buffer{})
	w.command("U0RITA", "ops@contoso.com to regular")
	w.waitFor("the configured approver's DM", func(e slacktest.Entry) bool {
		return e.Channel == "DU0ADA" && strings.Contains(e.Text, "ops@contoso.com") && strings.Contains(e.Text, "[Approve]")
	})
	for _, e := range w.slack.Transcript() {
		if e.Channel == "DU0MARIA" {
			t.Errorf("the former owner's manager was asked: %s", e.Text)
		}
	}
}

// Point 4: a personal mailbox's members are listed to nobody, and a shared
// mailbox's not to someone who may not grant or revoke.
func TestServePersonalMailboxMembersAreNotListedToWhoMayNotGrant(t *testing.T) {
	w := newWorld(t, 0)
	w.env["MAILBOXBOT_REQUESTERS_GRANT"] = "U0ADA"
	w.env["MAILBOXBOT_REQUESTERS_REVOKE"] = "U0ADA"
	ctx := context.Background()
	if err := w.tenant.AddFullAccess(ctx, "alice@contoso.com", "kim@contoso.com", true); err != nil {
		t.Fatal(err)
	}
	if err := w.tenant.AddFullAccess(ctx, "info@contoso.com", "lee@contoso.com", true); err != nil {
		t.Fatal(err)
	}
	w.serve(&testlog.Buffer{})
	answer := func(who, what string) string {
		return w.waitFor(what, func(e slacktest.Entry) bool {
			return e.Kind == slacktest.KindEphemeral && e.User == who && !strings.HasPrefix(e.Text, "Checking")
		}).Text
	}
	w.shared("U0RITA", "members alice@contoso.com")
	if a := answer("U0RITA", "the answer to Rita"); !strings.Contains(a, "You may not ask") || strings.Contains(a, "kim@") {
		t.Errorf("Rita, who may not grant, about alice@: %s", a)
	}
	w.shared("U0ADA", "members alice@contoso.com")
	if a := answer("U0ADA", "the answer to Ada about alice@"); !strings.Contains(a, "only for shared mailboxes") || strings.Contains(a, "kim@") {
		t.Errorf("Ada about a user mailbox: %s", a)
	}
}
