package main

import (
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
)

// Attack: an approver decides a batch from the Home tab, whose Approve all
// decides the whole batch. Through serve, the Home item names every
// mailbox it decides, with each one's own findings (irene@'s litigation
// hold), as the batch message does.
func TestServeHomeBatchNamesItsMailboxes(t *testing.T) {
	w, ask, _ := askMaria(t, "alice@contoso.com irene@contoso.com", "[Approve all]")
	bat := ask.Text[strings.Index(ask.Text, "bat_"):]
	bat = bat[:len("bat_")+8]
	var home slacktest.HomeView
	deadline := time.Now().Add(10 * time.Second)
	for {
		if h, ok := w.slack.Home("U0MARIA"); ok && strings.Contains(string(h.Blocks), bat) {
			home = h
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Maria's Home tab never showed %s", bat)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{"alice@contoso.com", "irene@contoso.com", "litigation hold", "[Approve all]"} {
		if !strings.Contains(home.Text, want) {
			t.Errorf("Maria's Home tab does not show %q:\n%s", want, home.Text)
		}
	}
}
