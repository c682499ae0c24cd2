package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
)

// Issue 15, point 9: a click delivered again after its decision took
// effect is answered to the clicker only: the requester is not told again
// that the work is queued, the audit and approval messages are not redone.
func TestRepeatedApproveOnlyAnswersTheClicker(t *testing.T) {
	e := newEnv(t, nil)
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	click := bot.Click{RequestID: r.ID, Approve: true, User: maria, TeamID: "T0001", ActionTS: "1700000000.000001"}
	if err := e.svc.AcceptClick(context.Background(), click); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if got := e.get(r.ID); !got.State.InFlight() {
		t.Fatalf("state %s, want the work started", got.State)
	}
	approvedTells := func() int {
		e.notes.mu.Lock()
		defer e.notes.mu.Unlock()
		n := 0
		for _, s := range e.notes.tells {
			if strings.HasPrefix(s, rita+": ") && strings.Contains(s, "approved") {
				n++
			}
		}
		return n
	}
	before, audits := approvedTells(), e.notes.audits
	// Slack delivers the same click again (same action_ts).
	if err := e.svc.AcceptClick(context.Background(), click); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if after := approvedTells(); after != before {
		t.Errorf("the requester was told %d more time(s) that the request was approved", after-before)
	}
	if e.notes.audits != audits {
		t.Errorf("the repeated click redid the audit message (%d → %d)", audits, e.notes.audits)
	}
	if got := e.notes.lastAnswer(t); !strings.HasPrefix(got, maria+": ") || !strings.Contains(got, "changed nothing") {
		t.Errorf("the clicker was answered %q, want a private word that nothing changed", got)
	}
}
