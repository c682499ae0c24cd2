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
	home := w.waitHome("U0MARIA", bat)
	for _, want := range []string{"alice@contoso.com", "irene@contoso.com", "litigation hold", "[Approve all]"} {
		if !strings.Contains(home.Text, want) {
			t.Errorf("Maria's Home tab does not show %q:\n%s", want, home.Text)
		}
	}
}

// waitHome waits (10 s at most) for user's Home tab to show want, and
// returns it.
func (w *world) waitHome(user, want string) slacktest.HomeView {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if h, ok := w.slack.Home(user); ok && strings.Contains(string(h.Blocks), want) {
			return h
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("the Home tab of %s never showed %s", user, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
