package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
)

// Attack: a helpdesk member asks for an address that looks, in the
// approver's Slack message, exactly like another one: an invisible
// character (zero width space, a bidi override) or a letter of another
// script inside it. The approver would read "alice@contoso.com" and
// approve a new shared mailbox that impersonates Alice, with the requester
// in it. Every such address is refused where it is typed: nobody is asked,
// nothing is created, and the requester is told why.
func TestServeRefusesLookalikeAddresses(t *testing.T) {
	w := newWorld(t, 0)
	log := &testlog.Buffer{}
	stop := w.serve(log)
	for _, addr := range []string{
		"ali\u200bce@contoso.com", // zero width space: invisible
		"ali\u202ece@contoso.com", // right-to-left override: shown reversed
		"\u0430lice@contoso.com",  // Cyrillic a
		"ali\u00adce@contoso.com", // soft hyphen: invisible
		"support@contoso.com.",    // trailing dot
	} {
		status, body, err := w.slack.SlashCommand(context.Background(), w.botURL, e2eSigning, "U0RITA", "/shared-mailbox",
			`create "Alice" `+addr+` <@U0RITA>`)
		if err != nil || status != http.StatusOK {
			t.Fatalf("slash command: %d %s %v", status, body, err)
		}
		if !strings.Contains(string(body), "not a valid") {
			t.Errorf("%q: the requester was not told the address is refused: %s", addr, body)
		}
	}
	time.Sleep(500 * time.Millisecond) // anything queued would have asked by now
	for _, e := range w.slack.Transcript() {
		if e.Kind != slacktest.KindEphemeral && strings.Contains(e.Text, "[Approve]") {
			t.Errorf("an approver was asked: %s %s", e.Channel, e.Text)
		}
	}
	for _, c := range w.exo.Calls() {
		if c.Cmdlet == "New-Mailbox" {
			t.Errorf("a mailbox was created: %v", c.Parameters)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
}
