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

// Issue 15, point 8: a batch is one decision. A click on one member with
// its own id (an old message, the Home tab, a forged value) changes
// nothing; the batch rejected afterwards leaves every mailbox as it was.
func TestRegressionBatchMemberApprovedAloneThenBatchRejected(t *testing.T) {
	e := newEnv(t, nil)
	addrs := bulkTenant(t, e, 2)
	if err := e.svc.AcceptCommand(context.Background(), batchCmd(addrs, "b8.1")); err != nil {
		t.Fatal(err)
	}
	e.drain()
	bat := batchID(t, e.notes.lastAnswer(t))
	b, err := e.store.GetBatch(context.Background(), bat)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Approvers) != 1 || b.Approvers[0] != maria {
		t.Fatalf("approvers %v, want maria", b.Approvers)
	}

	// The Home tab shows the batch as one item, without member buttons.
	h := e.home(maria)
	if len(h.WaitingBatches) != 1 || h.WaitingBatches[0].Batch.ID != bat || len(h.WaitingBatches[0].Requests) != 2 {
		t.Errorf("Home waiting batches = %+v, want batch %s with its 2 requests", h.WaitingBatches, bat)
	}
	for _, r := range h.Waiting {
		if r.Batch != "" {
			t.Errorf("Home lists batch member %s on its own, with its own buttons", r.ID)
		}
	}

	member := b.RequestIDs[0]
	e.click(maria, member, true) // a member's own button
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "decide the batch") || !strings.Contains(got, bat) {
		t.Errorf("member click answered %q, want a refusal naming the batch", got)
	}
	if r := e.get(member); r.State != bot.StatePending || r.Decision != nil {
		t.Fatalf("member %s after its own click: %s %+v, want pending and undecided", member, r.State, r.Decision)
	}

	e.click(maria, bat, false) // the batch rejected
	for _, id := range b.RequestIDs {
		if r := e.get(id); r.State != bot.StateRejected {
			t.Errorf("%s is %s after the batch was rejected, want rejected", id, r.State)
		}
	}
	for _, addr := range addrs {
		mb, err := e.tenant.GetMailbox(context.Background(), addr)
		if err != nil {
			t.Fatal(err)
		}
		if mb.RecipientTypeDetails != mailbox.RecipientUserMailbox {
			t.Errorf("%s converted to %s although the batch was rejected", addr, mb.RecipientTypeDetails)
		}
	}
	for _, r := range e.notes.lastBatch {
		if r.State != bot.StateRejected {
			t.Errorf("the batch report shows %s as %s, the batch was rejected", r.ID, r.State)
		}
	}
}

// Issue 15, point 9: a click delivered again after its decision took
// effect is answered to the clicker only: the requester is not told again
// that the work is queued, the audit and approval messages are not redone.
func TestRegressionRepeatedApproveTellsRequesterAgain(t *testing.T) {
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

// lostTold says whether rita was told, and the audit channel shown, that
// request id was lost.
func (e *env) lostReported(id string) (told, audited bool) {
	e.notes.mu.Lock()
	defer e.notes.mu.Unlock()
	for _, s := range e.notes.tells {
		if strings.HasPrefix(s, rita+": ") && strings.Contains(s, id) && strings.Contains(s, "lost") {
			told = true
		}
	}
	return told, e.notes.lostAudits[id]
}

func (e *env) tracked(id string) bool {
	e.t.Helper()
	all, err := e.store.Tracked(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, t := range all {
		if t.ID == id {
			return true
		}
	}
	return false
}

// Issue 15, point 7a: the run job of an approved request whose key Redis
// lost returned nil in silence; the requester never heard of it.
func TestRegressionLostApprovedRequestIsDroppedSilently(t *testing.T) {
	e := newEnv(t, nil)
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	if err := e.svc.AcceptClick(context.Background(), bot.Click{RequestID: r.ID, Approve: true, User: maria, TeamID: "T0001", ActionTS: "1"}); err != nil {
		t.Fatal(err)
	}
	for _, j := range e.queue.due(e.clock.Now()) { // the click only: the run job is queued
		if err := e.svc.Handle(context.Background(), j); err != nil {
			t.Fatal(err)
		}
	}
	if e.get(r.ID).State != bot.StateApproved {
		t.Fatalf("state %s, want approved", e.get(r.ID).State)
	}
	e.rdb.Del(context.Background(), e.prefix+"req:"+r.ID) // evicted
	e.drain()
	told, audited := e.lostReported(r.ID)
	if !told || !audited {
		t.Errorf("lost approved request: requester told %v, audit channel told %v; want both", told, audited)
	}
	if e.tracked(r.ID) {
		t.Errorf("%s is still tracked as in flight", r.ID)
	}
	if mb, _ := e.tenant.GetMailbox(context.Background(), "alice@contoso.com"); mb.RecipientTypeDetails != mailbox.RecipientUserMailbox {
		t.Errorf("alice was converted (%s) although her request is gone", mb.RecipientTypeDetails)
	}
	if n, err := e.svc.Reconcile(context.Background()); err != nil || n != 0 {
		t.Errorf("Reconcile after = %d, %v", n, err)
	}
	e.notes.mu.Lock()
	defer e.notes.mu.Unlock()
	if n := strings.Count(strings.Join(e.notes.tells, "\n"), "was lost"); n != 1 {
		t.Errorf("the requester was told %d times", n)
	}
}

// Issue 15, point 7b: Reconcile skipped an in-flight or pending id whose
// request was gone, and kept it tracked forever.
func TestRegressionReconcileKeepsLostRequestsInSilence(t *testing.T) {
	e := newEnv(t, nil)
	addrs := bulkTenant(t, e, 2)
	e.command(rita, addrs[0]) // stays pending
	pending := e.request(addrs[0])
	e.command(rita, addrs[1])
	approved := e.request(addrs[1])
	if err := e.svc.AcceptClick(context.Background(), bot.Click{RequestID: approved.ID, Approve: true, User: maria, TeamID: "T0001", ActionTS: "1"}); err != nil {
		t.Fatal(err)
	}
	for _, j := range e.queue.due(e.clock.Now()) {
		if j.Type == bot.JobClick {
			if err := e.svc.Handle(context.Background(), j); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, id := range []string{pending.ID, approved.ID} {
		e.rdb.Del(context.Background(), e.prefix+"req:"+id)
	}
	if _, err := e.svc.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{pending.ID, approved.ID} {
		told, audited := e.lostReported(id)
		if !told || !audited {
			t.Errorf("lost %s: requester told %v, audit channel told %v; want both", id, told, audited)
		}
		if e.tracked(id) {
			t.Errorf("%s is still tracked", id)
		}
	}
	if ids, _ := e.store.InFlight(context.Background()); len(ids) != 0 {
		t.Errorf("in-flight set after reconcile: %v", ids)
	}
	e.drain() // the queued run job meets the missing request: no panic, nothing more
}

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
func TestRegressionBatchPlannedInOneJob(t *testing.T) {
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
