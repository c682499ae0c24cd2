package bot_test

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Issue 15, rule 16 at the click: even when someone who gains access is on
// a request's approver list (a request stored before beneficiaries were
// recorded, or an approver list changed by hand), their Approve is refused
// and the request keeps waiting.
func TestApprovalBySomeoneWhoGainsAccessIsRefusedAtTheClick(t *testing.T) {
	e := policyEnv(t, map[mailbox.Kind]string{mailbox.KindGrant: "approvers"}, func(c *bot.Config) { c.Approvers = []string{admin, kim} })
	r := e.ask(rita, grantOp("info@contoso.com", "sales-team@contoso.com", mailbox.SendAs))
	if slices.Contains(r.Approvers, kim) {
		t.Fatalf("kim, a member of sales-team@, was asked: %v", r.Approvers)
	}
	if _, err := e.store.Update(context.Background(), r.ID, func(r *bot.Request) error {
		r.Approvers, r.Beneficiaries = append(r.Approvers, kim), nil // as an older request
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.click(kim, r.ID, true)
	if got := e.get(r.ID); got.State != bot.StatePending || got.Decision != nil {
		t.Fatalf("state %s decision %+v: kim's approval went through", got.State, got.Decision)
	}
	if !slices.ContainsFunc(e.notes.answers, func(a string) bool { return strings.Contains(a, "gives you access") }) {
		t.Errorf("kim was not told why: %q", e.notes.answers)
	}
	e.click(admin, r.ID, true)
	if got := e.get(r.ID); got.Decision == nil || got.Decision.By != admin || got.Decision.Fingerprint != r.Fingerprint {
		t.Fatalf("admin's approval: %+v, want bound to %q", got.Decision, r.Fingerprint)
	}
}

// Issue 15: an Approve click made on a message that showed another plan
// (its button carried another fingerprint) decides nothing.
func TestApprovalOnAMessageWithAnotherPlanIsRefused(t *testing.T) {
	e := policyEnv(t, map[mailbox.Kind]string{mailbox.KindGrant: "approvers"}, func(c *bot.Config) { c.Approvers = []string{admin} })
	r := e.ask(rita, grantOp("info@contoso.com", "lee@contoso.com", mailbox.SendAs))
	if r.Fingerprint == "" {
		t.Fatal("the request has no fingerprint")
	}
	if err := e.svc.AcceptClick(context.Background(), bot.Click{RequestID: r.ID, Fingerprint: "0000", Approve: true, User: admin,
		TeamID: "T0001", ActionTS: "stale"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if got := e.get(r.ID); got.State != bot.StatePending {
		t.Fatalf("state %s: a click on another plan decided", got.State)
	}
	if !slices.ContainsFunc(e.notes.answers, func(a string) bool { return strings.Contains(a, "older plan") }) {
		t.Errorf("the clicker was not told: %q", e.notes.answers)
	}
	if err := e.svc.AcceptClick(context.Background(), bot.Click{RequestID: r.ID, Fingerprint: r.Fingerprint, Approve: true, User: admin,
		TeamID: "T0001", ActionTS: "fresh"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if got := e.get(r.ID); got.Decision == nil || !got.Decision.Approved {
		t.Fatalf("the click on the plan shown did not approve: %+v", got.Decision)
	}
}

// Rule 16 fails closed: an approver whose e-mail Slack does not give (no
// address, a missing scope, a deactivated account) cannot be compared with
// who gains access, so they are not asked, and their click is refused.
func TestApproverWithoutAnEmailIsNotAskedWhenSomeoneGainsAccess(t *testing.T) {
	const nomail = "U0NOMAIL"
	e := policyEnv(t, map[mailbox.Kind]string{mailbox.KindGrant: "approvers"}, func(c *bot.Config) { c.Approvers = []string{nomail, admin} })
	r := e.ask(rita, grantOp("info@contoso.com", "lee@contoso.com", mailbox.SendAs))
	if !slices.Equal(r.Approvers, []string{admin}) {
		t.Fatalf("approvers %v, want only %s: %s cannot be compared", r.Approvers, admin, nomail)
	}
	if _, err := e.store.Update(context.Background(), r.ID, func(r *bot.Request) error {
		r.Approvers = append(r.Approvers, nomail)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.click(nomail, r.ID, true)
	if got := e.get(r.ID); got.State != bot.StatePending {
		t.Fatalf("state %s: an approver who cannot be compared approved", got.State)
	}
}

// oneAllowed lets one command through, then refuses every other.
type oneAllowed struct{ n atomic.Int32 }

func (l *oneAllowed) Allow(context.Context, string) (bool, time.Duration, error) {
	return l.n.Add(1) == 1, 30 * time.Second, nil
}

// A command job run again after it stored its request (Slack redelivers, a
// worker dies before the job is acknowledged) carries on with that request:
// the rate limit the first run passed does not strand it.
func TestResumedCommandJobIsNotStoppedByTheRateLimit(t *testing.T) {
	e := policyEnv(t, map[mailbox.Kind]string{mailbox.KindGrant: "approvers"}, func(c *bot.Config) {
		c.Approvers = []string{admin}
		c.RateLimit = &oneAllowed{}
	})
	cmd := bot.Command{Op: grantOp("info@contoso.com", "lee@contoso.com", mailbox.SendAs), User: rita, TeamID: "T0001",
		Channel: "C0HELP", TriggerID: "resume.1"}
	for range 2 {
		if err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobCommand, Command: &cmd}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range e.notes.answers {
		if strings.Contains(a, "Wait") {
			t.Fatalf("the job run again was refused by the limit: %q", e.notes.answers)
		}
	}
	if n := strings.Count(strings.Join(e.notes.answers, "\n"), "will be asked to approve"); n != 2 {
		t.Errorf("the requester was told %d times that the request waits for approval, want 2 (once a run): %q", n, e.notes.answers)
	}
}

// A batch whose every mailbox already has an active request asks nobody,
// and says so, rather than "… for 0 mailboxes: @x will be asked".
func TestBatchOfMailboxesAllBusyAsksNobody(t *testing.T) {
	e := policyEnv(t, nil, nil)
	for _, addr := range []string{"alice@contoso.com", "frank@contoso.com"} {
		e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: addr, Options: mailbox.Options{AddLicense: true}})
	}
	e.notes.mu.Lock()
	asked := len(e.notes.batchAsks)
	e.notes.mu.Unlock()
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{Op: mailbox.Operation{Kind: mailbox.KindConvertToShared, Options: mailbox.Options{AddLicense: true}},
		Mailboxes: []string{"alice@contoso.com", "frank@contoso.com"}, User: rita, TeamID: "T0001", Channel: "C0HELP", TriggerID: "busy.1"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	answer := e.notes.lastAnswer(t)
	if !strings.Contains(answer, "None of these mailboxes can go ahead") || strings.Contains(answer, "will be asked") {
		t.Fatalf("answer %q", answer)
	}
	e.notes.mu.Lock()
	defer e.notes.mu.Unlock()
	if len(e.notes.batchAsks) != asked {
		t.Errorf("a batch approval was sent: %v", e.notes.batchAsks)
	}
}
