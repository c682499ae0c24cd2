package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// hookNotes runs hook inside Remind (a decision arriving while the
// reminders are being sent).
type hookNotes struct {
	*notes
	hook func()
}

func (h *hookNotes) Remind(ctx context.Context, r *bot.Request, approver string) (bot.MessageRef, error) {
	if h.hook != nil {
		f := h.hook
		h.hook = nil
		f()
	}
	return h.notes.Remind(ctx, r, approver)
}

// 7. A decision made while the reminder goes out leaves the reminder's
// buttons in place: its ref is recorded after the decision updated the
// messages, and nothing updates it again.
func TestRegressionReminderButtonsAfterDecision(t *testing.T) {
	var hn *hookNotes
	e := newEnv(t, func(c *bot.Config) {
		c.ApprovalTimeout = 4 * time.Hour
		hn = &hookNotes{notes: nil}
	})
	hn.notes = e.notes
	e.cfg.Notifier = hn
	e.restart()
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	hn.hook = func() {
		if err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: r.ID, Approve: false, User: maria, TeamID: "T0001", ActionTS: "9"}}); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(2 * time.Hour)
	e.drain()
	ref := bot.MessageRef{Channel: "D" + maria, TS: "reminder-" + r.ID}
	if e.get(r.ID).State != bot.StateRejected {
		t.Fatalf("state %s", e.get(r.ID).State)
	}
	if _, ok := e.notes.updates[ref]; !ok {
		t.Errorf("the reminder message %v was never updated after the decision: its Approve/Reject buttons stay", ref)
	}
}
