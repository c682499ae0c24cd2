package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// flakyPlanner answers 503 to its first fails plans, as Graph does after
// the client's own retries ran out.
type flakyPlanner struct {
	bot.Planner
	fails, calls int
}

func (f *flakyPlanner) Plan(ctx context.Context, op mailbox.Operation) (mailbox.Plan, error) {
	f.calls++
	if f.calls <= f.fails {
		return mailbox.Plan{}, &mailbox.RemoteError{Service: "graph", Op: "GET /users/" + op.Mailbox, Status: 503,
			Code: "serviceNotAvailable", Message: "Service is temporarily unavailable. Please try again later."}
	}
	return f.Planner.Plan(ctx, op)
}

// TestPlanRetriesPassingFaults: found by the bulk run of issue 7 with Graph
// answering 503 to one call in five: a pre-check that met a passing fault
// after the client's retries refused the request. The command's job now
// checks again (2 s, 4 s, ...), and refuses only after StepRetries tries.
func TestPlanRetriesPassingFaults(t *testing.T) {
	for _, tc := range []struct {
		fails     int
		pending   bool
		wantCalls int
		wantWaits []time.Duration
	}{
		{fails: 2, pending: true, wantCalls: 3, wantWaits: []time.Duration{2 * time.Second, 4 * time.Second}},
		{fails: 10, pending: false, wantCalls: 5, wantWaits: []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}},
	} {
		var fp *flakyPlanner
		var waits []time.Duration
		e := newEnv(t, func(c *bot.Config) {
			fp = &flakyPlanner{Planner: c.Planner, fails: tc.fails}
			c.Planner = fp
			c.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
		})
		e.command(rita, "alice@contoso.com")
		if fp.calls != tc.wantCalls || !slices.Equal(waits, tc.wantWaits) {
			t.Errorf("%d failures: %d plans, waits %v; want %d and %v", tc.fails, fp.calls, waits, tc.wantCalls, tc.wantWaits)
		}
		last := e.notes.lastAnswer(t)
		if tc.pending {
			if r := e.request("alice@contoso.com"); r.State != bot.StatePending {
				t.Errorf("after %d passing faults: %s, want pending", tc.fails, r.State)
			}
		} else if !strings.Contains(last, "Service is temporarily unavailable") || !strings.Contains(last, "Nothing was requested") {
			t.Errorf("after %d failures the requester was told %q", tc.fails, last)
		}
	}
}

// TestPlanHandsBackOnShutdown: a shutdown while the command waits to check
// again returns the context's error, so the queue hands the job back
// instead of telling the requester that the checks failed.
func TestPlanHandsBackOnShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newEnv(t, func(c *bot.Config) {
		c.Planner = &flakyPlanner{Planner: c.Planner, fails: 10}
		c.Sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled } // SIGTERM while waiting
	})
	err := e.svc.Handle(ctx, bot.Job{Type: bot.JobCommand, Command: &bot.Command{
		Op: mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"}, User: rita, TeamID: "T0001", Channel: "C0HELP"}})
	if err == nil {
		t.Fatal("the job ended without error: it would not be run again")
	}
	if len(e.notes.answers) != 0 {
		t.Errorf("the requester was told %q", e.notes.answers)
	}
}
