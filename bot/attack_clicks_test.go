package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
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

// askBatch asks, as rita, to convert alice@ and irene@ (both Maria's
// reports) in one batch, and returns its id.
func (e *env) askBatch() string {
	e.t.Helper()
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{Op: mailbox.Operation{Kind: mailbox.KindConvertToShared}, Mailboxes: []string{"alice@contoso.com", "irene@contoso.com"},
		User: rita, TeamID: "T0001", Channel: "C0HELP", TriggerID: "atk.batch"}); err != nil {
		e.t.Fatal(err)
	}
	e.drain()
	answer := e.notes.lastAnswer(e.t)
	i := strings.Index(answer, "Request `bat_")
	if i < 0 {
		e.t.Fatalf("no batch: %s", answer)
	}
	return answer[i+len("Request `") : i+len("Request `")+len("bat_")+8]
}

// A click whose signed payload comes from another workspace (the same
// user id in another team) decides nothing, on a request or on a batch.
func TestAttackClickFromAnotherWorkspaceDecidesNothing(t *testing.T) {
	e := newEnv(t, nil)
	e.command(rita, "rita@contoso.com")
	r := e.request("rita@contoso.com")
	batch := e.askBatch()
	before := e.changes()
	for _, id := range []string{r.ID, batch} {
		e.clickAs(bot.Click{RequestID: id, Approve: true, User: maria, TeamID: "T0EVIL"})
		if !e.answeredTo(maria, "") {
			t.Errorf("%s: maria was not answered", id)
		}
	}
	e.undecided(before, batch, r.ID)
}

// undecided checks that the requests ids and batch (with both its
// requests) are still waiting for a decision, and that the tenant had no
// change since the count before.
func (e *env) undecided(before int, batch string, ids ...string) {
	e.t.Helper()
	b, err := e.store.GetBatch(context.Background(), batch)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(b.RequestIDs) != 2 {
		e.t.Fatalf("batch requests %v, refused %q", b.RequestIDs, b.Refused)
	}
	if b.Decision != nil {
		e.t.Errorf("batch decided: %+v", b.Decision)
	}
	for _, id := range append(ids, b.RequestIDs...) {
		if got := e.get(id); got.State != bot.StatePending || got.Decision != nil {
			e.t.Errorf("%s: state %s decision %+v", id, got.State, got.Decision)
		}
	}
	if e.changes() != before {
		e.t.Errorf("the tenant changed: %+v", e.tenant.Changes()[before:])
	}
}

// After a Reject, no later Approve (the same approver changing their
// mind on the old message, another approver, a forged button with a new
// action_ts, the batch's buttons) revives the request.
func TestAttackApproveAfterRejectChangesNothing(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.Approvers = []string{admin, erin} })
	e.command(rita, "rita@contoso.com")
	r := e.request("rita@contoso.com")
	batch := e.askBatch()
	before := e.changes()
	e.click(maria, r.ID, false)
	for _, c := range []bot.Click{
		{RequestID: r.ID, Approve: true, User: maria, TeamID: "T0001", Fingerprint: r.Fingerprint},
		{RequestID: r.ID, Approve: true, User: maria, TeamID: "T0001", ActionTS: "1"},
	} {
		e.clickAs(c)
	}
	if got := e.get(r.ID); got.State != bot.StateRejected || got.Decision == nil || got.Decision.Approved {
		t.Fatalf("state %s decision %+v after approving a rejected request", got.State, got.Decision)
	}
	e.clickAs(bot.Click{RequestID: batch, Approve: false, User: maria, TeamID: "T0001"})
	e.clickAs(bot.Click{RequestID: batch, Approve: true, User: maria, TeamID: "T0001"})
	b, err := e.store.GetBatch(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.RequestIDs) == 0 {
		t.Fatalf("the batch has no request: %+v %q", b, e.notes.answers)
	}
	for _, id := range b.RequestIDs {
		if got := e.get(id); got.State != bot.StateRejected {
			t.Errorf("batch member %s: state %s after approving a rejected batch", id, got.State)
		}
	}
	if e.changes() != before {
		t.Errorf("the tenant changed: %+v", e.tenant.Changes()[before:])
	}
	if !e.answeredTo(maria, "rejected") {
		t.Errorf("maria was not told the decision stands: %q", e.notes.answers)
	}
}

// A request that the re-check stopped before its first change (the
// mailbox changed after the approval) cannot be pushed through with
// Retry, not even once the world looks as approved again: a new request
// and a new approval are needed.
func TestAttackRetryAfterTheRecheckStoppedIt(t *testing.T) {
	e := newEnv(t, nil)
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	e.assignPowerBI("alice@contoso.com")
	e.click(maria, r.ID, true)
	e.stopped(e.get(r.ID), maria, "POWER_BI")
	ctx := context.Background()
	u, err := e.tenant.User(ctx, "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.tenant.AssignLicenses(ctx, u.ID, nil, []string{sandbox.SkuPowerBIStandard}); err != nil {
		t.Fatal(err)
	}
	before := e.changes()
	for _, who := range []string{rita, maria} {
		e.clickAs(bot.Click{RequestID: r.ID, Action: bot.ActionRetry, User: who, TeamID: "T0001"})
		e.untilSettled(r.ID)
	}
	if got := e.get(r.ID); got.State != bot.StateFailed {
		t.Fatalf("state %s: a request stopped by the re-check was retried", got.State)
	}
	if e.changes() != before {
		t.Errorf("the tenant changed: %+v", e.tenant.Changes()[before:])
	}
	if !e.answeredTo(rita, r.ID) {
		t.Errorf("rita was not answered: %q", e.notes.answers)
	}
}

// Retry is for the requester and the approvers, within the retry window:
// someone else's click, or one after the window, runs nothing.
func TestAttackRetryByAnOutsiderOrTooLate(t *testing.T) {
	e := newEnv(t, nil)
	r, dir := e.failedAtRemoveLicenses()
	dir.mu.Lock()
	dir.on = false
	dir.mu.Unlock()
	before := e.changes()
	e.clickAs(bot.Click{RequestID: r.ID, Action: bot.ActionRetry, User: erin, TeamID: "T0001"})
	if got := e.get(r.ID); got.State != bot.StateFailed {
		t.Fatalf("state %s after erin's Retry", got.State)
	}
	if !e.answeredTo(erin, r.ID) {
		t.Errorf("erin was not answered: %q", e.notes.answers)
	}
	e.clock.Add(25 * time.Hour)
	e.clickAs(bot.Click{RequestID: r.ID, Action: bot.ActionRetry, User: rita, TeamID: "T0001"})
	if got := e.get(r.ID); got.State != bot.StateFailed {
		t.Fatalf("state %s after a Retry past the window", got.State)
	}
	if e.changes() != before {
		t.Errorf("the tenant changed: %+v", e.tenant.Changes()[before:])
	}
}
