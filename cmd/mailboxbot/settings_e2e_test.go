package main

import (
	"context"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// Through serve: a leaver converted with a member, an automatic reply,
// forwarding and hiding. The approver sees the reply's text; the member,
// and only the member, gets one message on how to use the mailbox; the
// forward target gets mail, not rights, and no guidance.
func TestServeLeaverSettingsAndGuidance(t *testing.T) {
	w := newWorld(t, 1)
	log := &testlog.Buffer{}
	stop := w.serve(log)
	w.command("U0RITA", `alice@contoso.com members lee@contoso.com forward-to kim@contoso.com hide auto-reply "Alice has left: write to &lt;b&gt;sales&lt;/b&gt;."`) // as Slack escapes it
	ask := w.waitFor("Maria's approval DM", func(e slacktest.Entry) bool {
		return e.Channel == "DU0MARIA" && strings.Contains(e.Text, "[Approve]")
	})
	// The transcript shows messages as Slack renders them.
	if !strings.Contains(ask.Text, "```Alice has left: write to <b>sales</b>.```") || !strings.Contains(ask.Text, "mail forwarded to kim@contoso.com") {
		t.Errorf("the approver does not see the reply and the forwarding: %s", ask.Text)
	}
	w.click("U0MARIA", ask, "approve")
	w.waitFor("the report to Rita", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "is done")
	})
	w.waitFor("the guidance to Lee", func(e slacktest.Entry) bool {
		return e.Channel == "DU0LEE" && strings.Contains(e.Text, "You now have Full Access and Send As")
	})
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
	guided := map[string]int{}
	for _, e := range w.slack.Transcript() {
		if strings.Contains(e.Text, "how to use it") || strings.Contains(e.Text, "You now have") {
			guided[e.Channel]++
		}
	}
	if guided["DU0LEE"] != 1 || len(guided) != 1 {
		t.Errorf("guidance messages by channel: %v", guided)
	}
	ctx := context.Background()
	mb, _ := w.tenant.GetMailbox(ctx, "alice@contoso.com")
	ar, _ := w.tenant.AutoReply(ctx, "alice@contoso.com")
	if !mb.HiddenFromAddressListsEnabled || mb.ForwardingAddress != "kim@contoso.com" || !mb.DeliverToMailboxAndForward ||
		!ar.Says("Alice has left: write to <b>sales</b>.") {
		t.Errorf("mailbox after: hidden %v, forwarding %q %v, auto-reply %+v", mb.HiddenFromAddressListsEnabled, mb.ForwardingAddress, mb.DeliverToMailboxAndForward, ar)
	}
	for _, k := range []sandbox.ChangeKind{sandbox.ChangeAutoReply, sandbox.ChangeForwarding, sandbox.ChangeHidden} {
		if n := w.tenant.ChangeCount("alice@contoso.com")[k]; n != 1 {
			t.Errorf("%s changed %d times", k, n)
		}
	}
	if mb.RecipientTypeDetails != mailbox.RecipientSharedMailbox {
		t.Errorf("type %s", mb.RecipientTypeDetails)
	}
	w.assertNoSecrets(log.String())
}
