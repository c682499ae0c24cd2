package exchange

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/exchange/exchangetest"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// createWorld is the Contoso sandbox behind the fake admin endpoint, this
// client in front of it, and a clock both the sandbox and the executor read.
type createWorld struct {
	tn    *sandbox.Tenant
	f     fixture
	clock time.Time
	ex    *mailbox.Executor
	plan  mailbox.Plan
}

func newCreateWorld(t *testing.T) *createWorld {
	t.Helper()
	w := &createWorld{clock: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	now := func() time.Time { return w.clock }
	w.tn = sandbox.NewContoso(sandbox.Options{Now: now})
	w.f = setup(t, w.tn, exchangetest.Options{}, nil)
	w.ex = &mailbox.Executor{Directory: w.tn, Exchange: w.f.c, Now: now}
	planner := &mailbox.Planner{Directory: w.tn, Exchange: w.f.c, Now: now}
	p, err := planner.Plan(context.Background(), mailbox.Operation{Kind: mailbox.KindCreateShared,
		Mailbox: "payroll@contoso.com", DisplayName: "Payroll", Members: []string{"kim@contoso.com"}})
	if err != nil || len(p.Blockers()) != 0 {
		t.Fatalf("plan: %+v %v", p.Blockers(), err)
	}
	w.plan = p
	return w
}

func (w *createWorld) run(t *testing.T, target mailbox.Target, name mailbox.StepName, since time.Time) (mailbox.Outcome, error) {
	t.Helper()
	for _, s := range w.plan.Steps {
		if s.Name == name {
			s.Since = since
			return w.ex.Run(context.Background(), target, s, false)
		}
	}
	t.Fatalf("no step %s in %+v", name, w.plan.Steps)
	return mailbox.Outcome{}, nil
}

func (w *createWorld) newMailboxCalls() int {
	n := 0
	for _, c := range w.f.srv.Calls() {
		if c.Cmdlet == "New-Mailbox" {
			n++
		}
	}
	return n
}

// New-Mailbox's answer gives the new mailbox's immutable ids; the step
// reports them, and a run again with them recorded adopts that mailbox.
func TestCreateReportsTheNewMailboxIDs(t *testing.T) {
	w := newCreateWorld(t)
	target := w.plan.Target
	target.CreateStarted = w.clock
	out, err := w.run(t, target, mailbox.StepCreateShared, time.Time{})
	if err != nil || out.Status != mailbox.Done {
		t.Fatalf("create: %+v %v", out, err)
	}
	want := mailbox.MailboxIDs{ExchangeGUID: sandbox.MailboxGUID("payroll@contoso.com"), ObjectID: sandbox.ObjectID("payroll@contoso.com")}
	if out.Created != want {
		t.Fatalf("created %+v, want %+v", out.Created, want)
	}
	mb, err := w.f.c.GetMailbox(context.Background(), "payroll@contoso.com")
	if err != nil || mb.ExchangeGUID != want.ExchangeGUID || !mb.WhenCreatedUTC.Equal(w.clock) {
		t.Errorf("Get-Mailbox: %+v %v", mb, err)
	}
	target.Record(out)
	if target.Created != want {
		t.Fatalf("recorded %+v", target.Created)
	}
	w.clock = w.clock.Add(time.Hour) // a run again much later, with the ids recorded
	again, err := w.run(t, target, mailbox.StepCreateShared, target.CreateStarted)
	if err != nil || again.Status != mailbox.Skipped || again.Created != want {
		t.Errorf("create again: %+v %v", again, err)
	}
	if n := w.newMailboxCalls(); n != 1 {
		t.Errorf("New-Mailbox sent %d times", n)
	}
}

// A crash between New-Mailbox and recording its ids: the run again finds
// a mailbox made after its first attempt began, and adopts it.
func TestCreateAdoptsItsMailboxAfterACrash(t *testing.T) {
	w := newCreateWorld(t)
	target := w.plan.Target
	target.CreateStarted = w.clock
	if _, err := w.run(t, target, mailbox.StepCreateShared, time.Time{}); err != nil {
		t.Fatal(err)
	}
	w.clock = w.clock.Add(10 * time.Minute)
	out, err := w.run(t, target, mailbox.StepCreateShared, target.CreateStarted)
	if err != nil || out.Status != mailbox.Skipped || out.Created.ExchangeGUID != sandbox.MailboxGUID("payroll@contoso.com") {
		t.Errorf("create again: %+v %v", out, err)
	}
	// Step.Since alone (the caller did not record CreateStarted) will do.
	target.CreateStarted = time.Time{}
	out, err = w.run(t, target, mailbox.StepCreateShared, w.clock.Add(-10*time.Minute))
	if err != nil || out.Created.IsZero() {
		t.Errorf("create again by Since: %+v %v", out, err)
	}
	if n := w.newMailboxCalls(); n != 1 {
		t.Errorf("New-Mailbox sent %d times", n)
	}
}

// Someone else's mailbox at the address is never adopted.
func TestCreateRefusesAMailboxItDidNotCreate(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup func(w *createWorld, target *mailbox.Target) time.Time // returns Step.Since
	}{
		{"first attempt finds it", func(*createWorld, *mailbox.Target) time.Time { return time.Time{} }},
		{"made before the first attempt", func(w *createWorld, target *mailbox.Target) time.Time {
			target.CreateStarted = w.clock.Add(time.Hour)
			return target.CreateStarted
		}},
		{"another mailbox than the one recorded", func(w *createWorld, target *mailbox.Target) time.Time {
			target.Created = mailbox.MailboxIDs{ExchangeGUID: "0b5e0000-0000-4000-8000-000000000001", ObjectID: "0b5e0000-0000-4000-8000-000000000002"}
			return w.clock
		}},
	} {
		w := newCreateWorld(t)
		// Someone makes payroll@, with the same display name, after the
		// approval and before the run: only the ids or the creation time tell.
		if _, err := w.tn.NewSharedMailbox(ctx, "payroll", "Payroll", "payroll@contoso.com"); err != nil {
			t.Fatal(err)
		}
		target := w.plan.Target
		since := tc.setup(w, &target)
		w.clock = w.clock.Add(2 * time.Hour)
		out, err := w.run(t, target, mailbox.StepCreateShared, since)
		if !errors.Is(err, mailbox.ErrNotOurMailbox) {
			t.Errorf("%s: %+v %v, want ErrNotOurMailbox", tc.name, out, err)
		}
		// The wait refuses it as well.
		if out, err := w.run(t, target, mailbox.StepWaitMailbox, time.Time{}); tc.name != "first attempt finds it" && !errors.Is(err, mailbox.ErrNotOurMailbox) {
			t.Errorf("%s: wait: %+v %v, want ErrNotOurMailbox", tc.name, out, err)
		}
		if n := w.newMailboxCalls(); n != 0 {
			t.Errorf("%s: New-Mailbox sent %d times", tc.name, n)
		}
	}
}

// Once the ids are recorded, the later steps act on them: sign-in is
// blocked on the recorded account with no lookup by address, and grants
// name the mailbox by its ExchangeGuid.
func TestLaterStepsUseTheRecordedIDs(t *testing.T) {
	w := newCreateWorld(t)
	target := w.plan.Target
	target.CreateStarted = w.clock
	out, err := w.run(t, target, mailbox.StepCreateShared, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	target.Record(out)
	wait, err := w.run(t, target, mailbox.StepWaitMailbox, time.Time{})
	if err != nil || wait.Status != mailbox.Done || wait.Created != out.Created {
		t.Fatalf("wait: %+v %v", wait, err)
	}
	before := len(w.f.srv.Calls())
	if out, err := w.run(t, target, mailbox.StepBlockSignIn, time.Time{}); err != nil || out.Status != mailbox.Done {
		t.Fatalf("block sign-in: %+v %v", out, err)
	}
	if calls := w.f.srv.Calls()[before:]; len(calls) != 0 {
		t.Errorf("block sign-in looked the mailbox up by address: %+v", calls)
	}
	if u, err := w.tn.User(context.Background(), target.Created.ObjectID); err != nil || u.AccountEnabled {
		t.Errorf("account %+v %v", u, err)
	}
	before = len(w.f.srv.Calls())
	if out, err := w.run(t, target, mailbox.StepGrantSendAs, time.Time{}); err != nil || out.Status != mailbox.Done {
		t.Fatalf("grant: %+v %v", out, err)
	}
	for _, c := range w.f.srv.Calls()[before:] {
		if c.Parameters["Identity"] != target.Created.ExchangeGUID {
			t.Errorf("%s named the mailbox %v, want its ExchangeGuid", c.Cmdlet, c.Parameters["Identity"])
		}
	}
}

func TestParseWhen(t *testing.T) {
	at := time.Date(2026, 12, 6, 16, 21, 43, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-12-06T16:21:43Z":      at,
		"2026-12-06T17:21:43+01:00": at,
		"2026-12-06T16:21:43":       at,
		"2026-12-06T16:21:43.5Z":    at.Add(500 * time.Millisecond),
		"/Date(1796574103000)/":     at,
		"":                          {},
		"yesterday":                 {},
		"/Date(soon)/":              {},
	} {
		if got := parseWhen(in); !got.Equal(want) {
			t.Errorf("parseWhen(%q) = %v, want %v", in, got, want)
		}
	}
}
