package bot_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// Two-person approval and escalation (issue 16). A conversion of alice
// (Maria's report) needing two approvals asks Maria and, to make up the
// second, the configured approver Ada.

func twoApprovals(c *bot.Config) {
	c.ApprovalsRequired = map[mailbox.Kind]int{mailbox.KindConvertToShared: 2}
	c.Escalate = true
}

// twoPersonRequest asks for alice's conversion, needing two approvals.
func (e *env) twoPersonRequest() *bot.Request {
	e.t.Helper()
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	if r.State != bot.StatePending || r.Needed() != 2 || !slices.Equal(r.Approvers, []string{maria, admin}) || !slices.Equal(r.Escalated, []string{admin}) {
		e.t.Fatalf("created %s, needs %d, approvers %v, escalated %v", r.State, r.Needed(), r.Approvers, r.Escalated)
	}
	if !slices.Equal(e.notes.asks, []string{maria, admin}) {
		e.t.Fatalf("asked %v", e.notes.asks)
	}
	return r
}

// messagesShow checks that Maria's and Ada's approval messages were
// last updated to show state.
func (e *env) messagesShow(state bot.State) {
	e.t.Helper()
	for _, ref := range []bot.MessageRef{{Channel: "D" + maria, TS: "1"}, {Channel: "D" + admin, TS: "2"}} {
		if st, ok := e.notes.updates[ref]; !ok || st != state {
			e.t.Errorf("approval message %v shows %q, want %q", ref, st, state)
		}
	}
}

// transitions counts r's history events of type typ.
func transitions(r *bot.Request, typ string) int {
	n := 0
	for _, ev := range r.History {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// Two approvers click Approve at the same moment on two replicas (two
// services on one Redis): both approvals count, the request is approved
// once, and the conversion runs once.
func TestTwoApprovalsConcurrentOnTwoReplicas(t *testing.T) {
	e := newEnv(t, twoApprovals) // one Redis prefix for every round
	for round := range 5 {
		if round > 0 { // alice as she was, and nobody told anything yet
			e.notes = &notes{}
			e.cfg.Notifier, e.cfg.BatchNotifier = e.notes, e.notes
			e.useTenant(sandbox.NewContoso(sandbox.Options{ConversionLag: 1, Now: e.clock.Now}))
		}
		other, err := bot.New(e.cfg)
		if err != nil {
			t.Fatal(err)
		}
		r := e.twoPersonRequest()
		var wg sync.WaitGroup
		for i, svc := range []*bot.Service{e.svc, other} {
			c := bot.Click{RequestID: r.ID, Approve: true, User: []string{maria, admin}[i], TeamID: "T0001", ActionTS: "c" + string(rune('0'+i)), Fingerprint: r.Fingerprint}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := svc.Handle(context.Background(), bot.Job{Type: bot.JobClick, Click: &c}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got := e.untilSettled(r.ID)
		if got.State != bot.StateSucceeded {
			t.Fatalf("round %d: state %s", round, got.State)
		}
		if n := len(got.Counted()); n != 2 || got.Decision == nil || !got.Decision.Approved {
			t.Errorf("round %d: %d approvals counted, decision %+v", round, n, got.Decision)
		}
		if n := transitions(got, "approved"); n != 1 {
			t.Errorf("round %d: approved %d times", round, n)
		}
		if n := transitions(got, "approval"); n != 1 {
			t.Errorf("round %d: %d approvals recorded before the last, want 1", round, n)
		}
		eachOnce(t, e.tenant, "alice@contoso.com", 4)
		e.messagesShow(bot.StateSucceeded)
	}
}

// One approver clicking twice counts once: the request still waits, and
// they are told it waits for one more.
func TestSameApproverTwiceStillWaits(t *testing.T) {
	e := newEnv(t, twoApprovals)
	r := e.twoPersonRequest()
	e.click(maria, r.ID, true)
	e.click(maria, r.ID, true)
	got := e.get(r.ID)
	if got.State != bot.StatePending || got.Decision != nil || len(got.Counted()) != 1 {
		t.Fatalf("state %s decision %+v counted %v", got.State, got.Decision, got.Counted())
	}
	if !e.answeredTo(maria, "already approved") || !e.answeredTo(maria, "1 more approval") {
		t.Errorf("maria was not told she approved already: %q", e.notes.answers)
	}
	if !e.notes.told("1 of 2 approvals") {
		t.Errorf("rita was not told of the first approval: %q", e.notes.tells)
	}
	if e.changes() != 0 {
		t.Errorf("the tenant changed: %+v", e.tenant.Changes())
	}
	e.messagesShow(bot.StatePending) // the count, with their buttons
	e.reminder()                     // only Ada, who has not approved, is reminded
	if got := e.get(r.ID); got.State != bot.StatePending || !slices.Equal(e.notes.reminders, []string{admin + ": " + r.ID}) {
		t.Fatalf("state %s, reminded %v", got.State, e.notes.reminders)
	}
	e.click(admin, r.ID, true)
	if got := e.untilSettled(r.ID); got.State != bot.StateSucceeded {
		t.Fatalf("after the second approver: %s", got.State)
	}
}

// One reject rejects, even after an approval: nothing runs.
func TestApprovalThenRejectRejects(t *testing.T) {
	e := newEnv(t, twoApprovals)
	r := e.twoPersonRequest()
	e.click(maria, r.ID, true)
	e.click(admin, r.ID, false)
	got := e.untilSettled(r.ID)
	if got.State != bot.StateRejected || got.Decision == nil || got.Decision.Approved || got.Decision.By != admin {
		t.Fatalf("state %s decision %+v", got.State, got.Decision)
	}
	e.click(erin, r.ID, true) // not an approver
	if e.changes() != 0 || e.queue.count(bot.JobRun) != 0 {
		t.Errorf("something ran: %+v", e.tenant.Changes())
	}
}

// An approval given on a message that showed another plan does not count,
// nor one recorded for another plan than the request's.
func TestStaleApprovalDoesNotCount(t *testing.T) {
	e := newEnv(t, twoApprovals)
	r := e.twoPersonRequest()
	e.clickAs(bot.Click{RequestID: r.ID, Approve: true, User: maria, TeamID: "T0001", Fingerprint: "0000older"})
	if got := e.get(r.ID); len(got.Votes) != 0 || got.State != bot.StatePending {
		t.Fatalf("a stale click was recorded: %+v", got.Votes)
	}
	// A vote stored for an older plan (the plan changed after it).
	if _, err := e.store.Update(context.Background(), r.ID, func(r *bot.Request) error {
		r.Votes = append(r.Votes, bot.Decision{By: maria, At: e.clock.Now(), Approved: true, Click: "old", Fingerprint: "0000older"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.click(admin, r.ID, true)
	got := e.get(r.ID)
	if got.State != bot.StatePending || len(got.Counted()) != 1 {
		t.Fatalf("an approval of an older plan counted: state %s, counted %+v", got.State, got.Counted())
	}
	e.click(maria, r.ID, true) // on the current plan
	if got := e.untilSettled(r.ID); got.State != bot.StateSucceeded {
		t.Fatalf("state %s", got.State)
	}
}

// The requester never counts: a requester who is a configured approver
// leaves too few, and the request is refused at once, saying why.
func TestRequesterNeverCountsTowardsTheApprovals(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) {
		c.Approvers = []string{rita, admin}
		c.Policy = map[mailbox.Kind]string{mailbox.KindConvertToShared: bot.PolicyApprovers}
		c.ApprovalsRequired = map[mailbox.Kind]int{mailbox.KindConvertToShared: 2}
	})
	e.command(rita, "alice@contoso.com")
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "needs 2 different approvers") {
		t.Errorf("answer: %s", got)
	}
	if len(e.notes.asks) != 0 {
		t.Errorf("asked %v", e.notes.asks)
	}
}

// New refuses a count that no request could reach under the policy.
func TestRequiredCountBeyondThePolicyIsRefused(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct {
		name     string
		mod      func(c *bot.Config)
		refused  bool
		contains string
	}{
		{"manager alone", func(c *bot.Config) {
			c.ApprovalsRequired = map[mailbox.Kind]int{mailbox.KindConvertToShared: 2}
		}, true, "at most 1 people"},
		{"manager and escalation", func(c *bot.Config) {
			c.ApprovalsRequired = map[mailbox.Kind]int{mailbox.KindConvertToShared: 2}
			c.Escalate = true
		}, false, ""},
		{"manager and an extra approver", func(c *bot.Config) {
			c.ApprovalsRequired = map[mailbox.Kind]int{mailbox.KindConvertToShared: 2}
			c.ExtraApprovers = map[mailbox.Kind][]string{mailbox.KindConvertToShared: {erin}}
		}, false, ""},
		{"one configured approver", func(c *bot.Config) {
			c.ApprovalsRequired = map[mailbox.Kind]int{mailbox.KindConvertToRegular: 2}
		}, true, "at most 1 people"},
		{"none", func(c *bot.Config) {
			c.Policy = map[mailbox.Kind]string{mailbox.KindCreateShared: bot.PolicyNone}
			c.ApprovalsRequired = map[mailbox.Kind]int{mailbox.KindCreateShared: 2}
		}, true, "at most 0 people"},
		{"owners: unknowable", func(c *bot.Config) {
			c.ApprovalsRequired = map[mailbox.Kind]int{mailbox.KindGrant: 5}
		}, false, ""},
	} {
		cfg := e.cfg
		tc.mod(&cfg)
		_, err := bot.New(cfg)
		if (err != nil) != tc.refused || (err != nil && !strings.Contains(err.Error(), tc.contains)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// reminder moves the clock to alice's request's reminder and runs it.
func (e *env) reminder() {
	e.t.Helper()
	e.clock.Add(12*time.Hour + time.Second)
	e.drain()
}

// Escalation: Maria has not decided at the reminder, so Ada is asked too,
// with the same approval message; Ada's decision wins, and every message
// (Maria's, her reminder, Ada's) shows it. Maria's later click is told.
func TestEscalationAtTheReminder(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.Escalate = true })
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	if !slices.Equal(r.Approvers, []string{maria}) || len(r.Escalated) != 0 {
		t.Fatalf("approvers %v escalated %v", r.Approvers, r.Escalated)
	}
	e.reminder()
	r = e.get(r.ID)
	if !slices.Equal(r.Approvers, []string{maria, admin}) || !slices.Equal(r.Escalated, []string{admin}) || transitions(r, bot.EventEscalated) != 1 {
		t.Fatalf("after the reminder: approvers %v escalated %v history %+v", r.Approvers, r.Escalated, r.History)
	}
	if !slices.Equal(e.notes.asks, []string{maria, admin}) || !slices.Equal(e.notes.reminders, []string{maria + ": " + r.ID}) {
		t.Fatalf("asked %v, reminded %v", e.notes.asks, e.notes.reminders)
	}
	if len(r.Approvals) != 3 {
		t.Fatalf("messages recorded: %v", r.Approvals)
	}
	e.click(admin, r.ID, true)
	e.click(maria, r.ID, false)
	got := e.untilSettled(r.ID)
	if got.State != bot.StateSucceeded || got.Decision.By != admin {
		t.Fatalf("state %s decision %+v", got.State, got.Decision)
	}
	if !e.answeredTo(maria, "already approved by <@"+admin+">") {
		t.Errorf("maria was not told Ada decided: %q", e.notes.answers)
	}
	for _, ref := range got.Approvals {
		if st := e.notes.updates[ref]; st != bot.StateSucceeded {
			t.Errorf("message %v shows %q", ref, st)
		}
	}
}

// The first decision wins across the manager and the escalated approver:
// the manager rejecting after escalation rejects, and Ada's later
// approval changes nothing.
func TestEscalationManagerStillDecidesFirst(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.Escalate = true })
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	e.reminder()
	e.click(maria, r.ID, false)
	e.click(admin, r.ID, true)
	if got := e.untilSettled(r.ID); got.State != bot.StateRejected || got.Decision.By != maria {
		t.Fatalf("state %s decision %+v", got.State, got.Decision)
	}
	if e.changes() != 0 {
		t.Errorf("the tenant changed: %+v", e.tenant.Changes())
	}
}

// Without configured approvers nobody is asked at the reminder, and the
// history says so; without escalation, nothing is recorded.
func TestNoEscalationWithoutApprovers(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.Escalate = true; c.Approvers = nil })
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	e.reminder()
	r = e.get(r.ID)
	if !slices.Equal(r.Approvers, []string{maria}) || transitions(r, bot.EventNotEscalated) != 1 || len(e.notes.asks) != 1 {
		t.Fatalf("approvers %v, asked %v, history %+v", r.Approvers, e.notes.asks, r.History)
	}
	off := newEnv(t, nil)
	off.command(rita, "alice@contoso.com")
	off.reminder()
	r = off.get(off.request("alice@contoso.com").ID)
	if len(r.Approvers) != 1 || transitions(r, bot.EventEscalated)+transitions(r, bot.EventNotEscalated) != 0 {
		t.Fatalf("escalated while off: %v %+v", r.Approvers, r.History)
	}
}

// A batch of an operation needing two approvals needs two distinct
// approvers of the batch: one approver twice leaves every mailbox
// pending; the second approver approves them all, each with both
// approvals recorded.
func TestBatchNeedsTwoApprovers(t *testing.T) {
	e := newEnv(t, twoApprovals)
	batch := e.askBatch()
	b, err := e.store.GetBatch(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.Approvers, []string{maria, admin}) || b.Needed() != 2 {
		t.Fatalf("batch approvers %v needs %d", b.Approvers, b.Needed())
	}
	before := e.changes()
	e.clickAs(bot.Click{RequestID: batch, Approve: true, User: maria, TeamID: "T0001"})
	e.clickAs(bot.Click{RequestID: batch, Approve: true, User: maria, TeamID: "T0001"})
	e.undecided(before, batch)
	if !e.answeredTo(maria, "already approved") {
		t.Errorf("maria was not told she approved already: %q", e.notes.answers)
	}
	e.clickAs(bot.Click{RequestID: batch, Approve: true, User: admin, TeamID: "T0001"})
	for _, id := range b.RequestIDs {
		got := e.untilSettled(id)
		if got.State != bot.StateSucceeded || len(got.Counted()) != 2 || got.Decision.By != admin {
			t.Errorf("%s: state %s counted %+v decision %+v", id, got.State, got.Counted(), got.Decision)
		}
	}
}

// Rule 16 holds at escalation: a configured approver who would get the
// access is not asked at the reminder, and cannot approve.
func TestEscalationSkipsWhoGainsAccess(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) {
		c.Policy = map[mailbox.Kind]string{mailbox.KindGrant: bot.PolicyManager}
		c.Approvers = []string{erin, admin}
		c.Escalate = true
	})
	e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
	r := e.ask(rita, grantOp("info@contoso.com", "erin@contoso.com", mailbox.FullAccess)) // maria is rita's manager
	if !slices.Equal(r.Approvers, []string{maria}) {
		t.Fatalf("approvers %v", r.Approvers)
	}
	e.reminder()
	r = e.get(r.ID)
	if !slices.Equal(r.Escalated, []string{admin}) || slices.Contains(r.Approvers, erin) || slices.Contains(e.notes.asks, erin) {
		t.Fatalf("escalated %v, approvers %v, asked %v", r.Escalated, r.Approvers, e.notes.asks)
	}
	e.click(erin, r.ID, true)
	if got := e.get(r.ID); got.State != bot.StatePending || len(got.Votes) != 0 {
		t.Fatalf("erin's approval of her own access: %s %+v", got.State, got.Votes)
	}
}

// Once Maria approved, her Home tab no longer lists the request as
// waiting for her; Ada's still does.
func TestApprovedRequestLeavesTheApproversHome(t *testing.T) {
	e := newEnv(t, twoApprovals)
	r := e.twoPersonRequest()
	e.click(maria, r.ID, true)
	for user, want := range map[string]int{maria: 0, admin: 1} {
		if h := e.home(user); len(h.Waiting) != want {
			t.Errorf("%s's Home lists %d waiting, want %d", user, len(h.Waiting), want)
		}
	}
}
