package bot_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// countingPlanner counts the plans made for each mailbox.
type countingPlanner struct {
	bot.Planner
	mu sync.Mutex
	n  map[string]int
}

func (p *countingPlanner) Plan(ctx context.Context, op mailbox.Operation) (mailbox.Plan, error) {
	p.mu.Lock()
	p.n[op.Mailbox]++
	p.mu.Unlock()
	return p.Planner.Plan(ctx, op)
}

// Issue 15, point 10c: a batch was planned whole in its command job (6-8
// Microsoft calls a mailbox), holding a worker while other people's
// commands waited. Now each job plans a chunk and queues the next behind
// the work waiting; a job run again records nothing twice, loses nothing.
func TestBatchIsPlannedInChunks(t *testing.T) {
	e := newEnv(t, nil)
	addrs := bulkTenant(t, e, 12)
	planner := &countingPlanner{Planner: e.cfg.Planner, n: map[string]int{}}
	e.cfg.Planner = planner
	e.restart()
	if err := e.svc.AcceptCommand(context.Background(), batchCmd(addrs, "b10c")); err != nil {
		t.Fatal(err)
	}
	run := func(j bot.Job) {
		t.Helper()
		if err := e.svc.Handle(context.Background(), j); err != nil {
			t.Fatalf("job %s: %v", j.Type, err)
		}
	}
	for _, j := range e.queue.due(e.clock.Now()) {
		run(j) // the command job
	}
	planned := func() int {
		planner.mu.Lock()
		defer planner.mu.Unlock()
		n := 0
		for _, c := range planner.n {
			n += c
		}
		return n
	}
	if n := planned(); n >= len(addrs) {
		t.Fatalf("the command job planned %d of %d mailboxes itself", n, len(addrs))
	}
	// Another user's command queued now runs before the rest of the batch.
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{Op: mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"},
		User: erin, TeamID: "T0001", Channel: "C0HELP"}); err != nil {
		t.Fatal(err)
	}
	for _, j := range e.queue.due(e.clock.Now()) {
		run(j)
		if j.Type == bot.JobBatchPlan {
			run(j) // a retry after it recorded its chunk
		}
	}
	if !slices.ContainsFunc(e.notes.answers, func(a string) bool {
		return strings.HasPrefix(a, erin+": ") && strings.Contains(a, "alice@contoso.com")
	}) {
		t.Errorf("the other command was not answered while the batch was planned: %q", e.notes.answers)
	}
	if n := planned(); n >= len(addrs) {
		t.Errorf("the batch was planned whole (%d plans) before the other command ran", n)
	}
	e.drain()
	bat := batchID(t, e.notes.lastAnswer(t))
	b, err := e.store.GetBatch(context.Background(), bat)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.RequestIDs) != len(addrs) || b.Planning != nil {
		t.Errorf("batch has %d requests (planning %+v), want %d", len(b.RequestIDs), b.Planning, len(addrs))
	}
	planner.mu.Lock()
	for _, a := range addrs {
		if planner.n[a] != 1 {
			t.Errorf("%s planned %d times", a, planner.n[a])
		}
	}
	planner.mu.Unlock()
	progress := 0
	for _, a := range e.notes.answers {
		if strings.Contains(a, "of 12 done") {
			progress++
		}
	}
	if progress == 0 || progress > 3 {
		t.Errorf("%d progress answers, want 1 to 3: %q", progress, e.notes.answers)
	}
}
