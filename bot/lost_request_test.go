package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// lostReported says whether rita was told, and the audit channel shown, that
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
func TestLostApprovedRequestIsReported(t *testing.T) {
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
func TestReconcileReportsAndForgetsLostRequests(t *testing.T) {
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
