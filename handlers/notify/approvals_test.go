package notify_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers/notify"
)

func blocksJSON(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// Two-person approval on the approval message: the count and who
// approved, with the buttons while more are needed, and all approvals
// once decided; an escalated request says who was asked too, to everyone.
func TestApprovalMessageShowsEachApproval(t *testing.T) {
	r := pending()
	r.Required = 2
	r.Approvers = append(r.Approvers, "U0ADA")
	r.Escalated = []string{"U0ADA"}
	got := blocksJSON(t, notify.ApprovalBlocks(r, t0))
	if !strings.Contains(got, `"action_id":"approve"`) {
		t.Errorf("pending message without its buttons:\n%s", got)
	}
	for _, want := range []string{"No approval yet: 2 different approvers must approve.",
		"<@U0MARIA> was asked, and the configured approvers <@U0ADA> too, because 2 different approvers must approve this."} {
		if !strings.Contains(got, jsonText(want)) {
			t.Errorf("pending message lacks %q:\n%s", want, got)
		}
	}
	at := t0.Add(time.Minute)
	r.Votes = []bot.Decision{{By: manager, At: at, Approved: true}}
	got = blocksJSON(t, notify.ApprovalBlocks(r, t0))
	if !strings.Contains(got, jsonText("1 of 2: approved by <@U0MARIA>.")) || !strings.Contains(got, `"action_id":"approve"`) {
		t.Errorf("after one approval:\n%s", got)
	}
	r.Votes = append(r.Votes, bot.Decision{By: "U0ADA", At: at, Approved: true})
	r.Decision, r.State = &r.Votes[1], bot.StateApproved
	got = blocksJSON(t, notify.DecidedBlocks(r))
	if !strings.Contains(got, jsonText("2 of 2: approved by <@U0MARIA> and <@U0ADA>.")) || strings.Contains(got, `"action_id":"approve"`) {
		t.Errorf("decided:\n%s", got)
	}
	// One approval needed: no count.
	if got := blocksJSON(t, notify.ApprovalBlocks(pending(), t0)); strings.Contains(got, "approved by") || strings.Contains(got, "No approval yet") {
		t.Errorf("a request needing one approval shows a count:\n%s", got)
	}
}

// jsonText is s as encoding/json writes it inside a string.
func jsonText(s string) string {
	raw, _ := json.Marshal(s)
	return strings.Trim(string(raw), `"`)
}

// The reminder tells the approver asked first who was asked too at
// escalation, or that nobody could be.
func TestReminderSaysTheEscalation(t *testing.T) {
	e := setup(t, 0)
	ctx := context.Background()
	r := pending()
	r.Approvers, r.Escalated = append(r.Approvers, "U0ADA"), []string{"U0ADA"}
	r.Record(bot.Event{At: t0, Actor: "bot", Type: bot.EventEscalated})
	ref, err := e.notify.Remind(ctx, r, manager)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := e.slack.Message(ref.Channel, ref.TS); !strings.Contains(m.Text, "@U0ADA is asked too; the first decision counts.") {
		t.Errorf("reminder: %s", m.Text)
	}
	r = pending()
	r.Record(bot.Event{At: t0, Actor: "bot", Type: bot.EventNotEscalated})
	ref, err = e.notify.Remind(ctx, r, manager)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := e.slack.Message(ref.Channel, ref.TS); !strings.Contains(m.Text, "only you can decide it") {
		t.Errorf("reminder: %s", m.Text)
	}
}
