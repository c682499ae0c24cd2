package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Attacks on timing: what was approved runs when it was approved for, or
// not at all.

func (e *env) cancel(user, id string) {
	e.t.Helper()
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{Action: bot.CommandCancel, RequestID: id, User: user, TeamID: "T0001", Channel: "C0HELP"}); err != nil {
		e.t.Fatal(err)
	}
}

// The requester cancels between the approval and the run (the run job
// already queued), then clicks Retry: nothing runs.
func TestAttackCancelThenRetryRunsNothing(t *testing.T) {
	e := newEnv(t, nil)
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	before := e.changes()
	if err := e.svc.AcceptClick(context.Background(), bot.Click{RequestID: r.ID, Approve: true, User: maria, TeamID: "T0001", ActionTS: "1"}); err != nil {
		t.Fatal(err)
	}
	e.cancel(rita, r.ID) // queued behind the click job
	e.drain()
	e.clickAs(bot.Click{RequestID: r.ID, Action: bot.ActionRetry, User: rita, TeamID: "T0001"})
	got := e.get(r.ID)
	switch {
	case got.State == bot.StateCancelled && e.changes() == before:
	case got.State == bot.StateCancelled:
		t.Errorf("cancelled, yet the tenant changed: %+v", e.tenant.Changes()[before:])
	case got.State == bot.StateSucceeded:
		// The cancel came too late: the run won, as the requester is told.
		if !e.answeredTo(rita, "") {
			t.Error("rita was not answered")
		}
	default:
		t.Fatalf("state %s after cancel and Retry", got.State)
	}
}

// A scheduled request, once approved, keeps its time: asking again for
// the same mailbox at another time (or at once) is refused while it is
// active, and nothing runs before the approved time.
func TestAttackScheduledTimeCannotBeMovedAfterApproval(t *testing.T) {
	e := newEnv(t, nil)
	at := e.clock.Now().Add(48 * time.Hour)
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com", Options: mailbox.Options{At: at}})
	e.click(maria, r.ID, true)
	before := e.changes()
	answers := len(e.notes.answers)
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{Op: mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"},
		User: rita, TeamID: "T0001", Channel: "C0HELP", TriggerID: "atk.now"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if len(e.notes.answers) == answers || !e.answeredTo(rita, r.ID) {
		t.Errorf("rita was not told the mailbox has an active request: %q", e.notes.answers[answers:])
	}
	e.clock.Add(47 * time.Hour)
	e.drain()
	if got := e.get(r.ID); got.State != bot.StateApproved || !got.NextRunAt.Equal(at) {
		t.Fatalf("state %s next run %v, want approved for %v", got.State, got.NextRunAt, at)
	}
	if e.changes() != before {
		t.Errorf("the tenant changed before the approved time: %+v", e.tenant.Changes()[before:])
	}
}

// An approved dry run changes nothing, and nothing turns it into the real
// change: Retry has nothing to retry, and asking again without dry-run
// makes a new request that waits for its own approval.
func TestAttackDryRunApprovalIsNoApprovalOfTheChange(t *testing.T) {
	e := newEnv(t, nil)
	before := e.changes()
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com", Options: mailbox.Options{DryRun: true}})
	e.click(maria, r.ID, true)
	if got := e.untilSettled(r.ID); got.State != bot.StateSucceeded {
		t.Fatalf("dry run: state %s %q", got.State, got.Failure)
	}
	e.clickAs(bot.Click{RequestID: r.ID, Action: bot.ActionRetry, User: rita, TeamID: "T0001"})
	if e.changes() != before {
		t.Fatalf("the dry run changed the tenant: %+v", e.tenant.Changes()[before:])
	}
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{Op: mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"},
		User: rita, TeamID: "T0001", Channel: "C0HELP", TriggerID: "atk.real"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	for range 5 {
		e.clock.Add(time.Hour)
		e.drain()
	}
	if e.changes() != before {
		t.Errorf("the real change ran on the dry run's approval: %+v", e.tenant.Changes()[before:])
	}
}
