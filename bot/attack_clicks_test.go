package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
)

// Attacks through buttons: a helpdesk member (rita) tries to get a change
// through without a real approval. Each must leave the tenant unchanged
// and tell the clicker why.

// changes counts the tenant's changes so far.
func (e *env) changes() int { return len(e.tenant.Changes()) }

// clickAs handles one click job at once, as the queue would run it.
func (e *env) clickAs(c bot.Click) {
	e.t.Helper()
	if c.ActionTS == "" {
		c.ActionTS = "atk" + string(rune('a'+e.clicks.Add(1)))
	}
	if err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobClick, Click: &c}); err != nil {
		e.t.Fatal(err)
	}
	e.drain()
}

// answeredTo reports whether user got an answer containing substr.
func (e *env) answeredTo(user, substr string) bool {
	e.notes.mu.Lock()
	defer e.notes.mu.Unlock()
	for _, a := range e.notes.answers {
		if strings.HasPrefix(a, user+": ") && strings.Contains(a, substr) {
			return true
		}
	}
	return false
}

// Retry runs a failed request again without a new approval: on a request
// still waiting for its approver (or rejected), it must not run anything.
func TestAttackRetryIsNoWayAroundTheApproval(t *testing.T) {
	e := newEnv(t, nil)
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	before := e.changes()
	e.clickAs(bot.Click{RequestID: r.ID, Action: bot.ActionRetry, User: rita, TeamID: "T0001"})
	if got := e.get(r.ID); got.State != bot.StatePending || got.Decision != nil {
		t.Fatalf("rita's Retry on her pending request: state %s decision %+v", got.State, got.Decision)
	}
	if !e.answeredTo(rita, r.ID) {
		t.Errorf("rita was not answered: %q", e.notes.answers)
	}
	e.click(maria, r.ID, false)
	e.clickAs(bot.Click{RequestID: r.ID, Action: bot.ActionRetry, User: rita, TeamID: "T0001"})
	if got := e.get(r.ID); got.State != bot.StateRejected {
		t.Fatalf("rita's Retry on her rejected request: state %s", got.State)
	}
	if e.changes() != before {
		t.Errorf("the tenant changed: %+v", e.tenant.Changes()[before:])
	}
}
