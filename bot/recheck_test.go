package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// The re-check before the first change (issue 15): any blocker, any
// material difference from the approved plan, an altered plan or an
// approver who now gains access stops the request, and the requester and
// the approver are told what changed.

// stopped checks that r was refused by the re-check with want in its
// failure, that the requester and the approver who decided were told, and
// that a new request is asked for.
func (e *env) stopped(r *bot.Request, approver, want string) {
	e.t.Helper()
	if r.State != bot.StateFailed || !strings.Contains(r.Failure, want) {
		e.t.Fatalf("state %s failure %q, want failed with %q", r.State, r.Failure, want)
	}
	for _, who := range []string{r.Requester, approver} {
		if !e.notes.told(who+": ❌ Request `"+r.ID) || !e.notes.told("A new request is needed") {
			e.t.Errorf("%s not told that a new request is needed: %q", who, e.notes.tells)
		}
	}
	if !e.notes.told(approver + ": ") {
		e.t.Errorf("the approver %s was not told: %q", approver, e.notes.tells)
	}
}

// managerDecidesCreate lets the requester's manager decide a create, as the
// tests of the run (not of the routing) assume.
func managerDecidesCreate(c *bot.Config) {
	c.Policy = map[mailbox.Kind]string{mailbox.KindCreateShared: bot.PolicyManager}
}

func TestCreateStopsWhenAddressTakenAfterRequest(t *testing.T) {
	e := newEnv(t, managerDecidesCreate)
	e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: "support@contoso.com", DisplayName: "Support Team",
		Members: []string{"kim@contoso.com"}})
	if r.Fingerprint == "" || r.Fingerprint != r.Plan.Fingerprint() {
		t.Fatalf("fingerprint %q, plan's %q", r.Fingerprint, r.Plan.Fingerprint())
	}
	// An administrator makes the same address in the meantime.
	if _, err := e.tenant.NewSharedMailbox(context.Background(), "support", "Someone Else's", "support@contoso.com"); err != nil {
		t.Fatal(err)
	}
	e.click(maria, r.ID, true)
	e.stopped(e.get(r.ID), maria, "now used by another mailbox")
	got := e.tenant.ChangeCount("support@contoso.com")
	if len(got) != 1 || got[sandbox.ChangeMailboxCreated] != 1 {
		t.Errorf("the other mailbox was changed: %v", got)
	}
}

func TestGrantStopsWhenMailboxNoLongerShared(t *testing.T) {
	e := newEnv(t, nil)
	e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
	r := e.ask(rita, grantOp("info@contoso.com", "kim@contoso.com", mailbox.FullAccess))
	if err := e.tenant.SetMailboxType(context.Background(), "info@contoso.com", mailbox.TypeRegular); err != nil {
		t.Fatal(err)
	}
	e.click(r.Approvers[0], r.ID, true)
	e.stopped(e.get(r.ID), r.Approvers[0], "Changed since the approval: the mailbox is now UserMailbox (was SharedMailbox)")
	if n := e.tenant.ChangeCount("info@contoso.com")[sandbox.ChangeFullAccessAdded]; n != 0 {
		t.Errorf("Full Access granted %d times on a user mailbox", n)
	}
}

// assignPowerBI gives alice a license she did not have: a material change
// that is not a blocker.
func (e *env) assignPowerBI(upn string) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.tenant.User(ctx, upn)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.tenant.AssignLicenses(ctx, u.ID, []string{sandbox.SkuPowerBIStandard}, nil); err != nil {
		e.t.Fatal(err)
	}
}

func TestRunStopsOnMaterialChangeAndTellsApprover(t *testing.T) {
	e := newEnv(t, nil)
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	e.assignPowerBI("alice@contoso.com")
	audits := e.notes.audits
	e.click(maria, r.ID, true)
	e.stopped(e.get(r.ID), maria, "Changed since the approval: the licence")
	if !e.notes.told(maria + ": ❌ Request `" + r.ID + "` was not started") {
		t.Errorf("maria told %q", e.notes.tells)
	}
	if e.notes.audits <= audits {
		t.Error("the audit message was not updated")
	}
	if n := len(e.tenant.ChangeCount("alice@contoso.com")); n != 1 { // the license assigned above
		t.Errorf("alice changed in %d ways", n)
	}
}

// approvedForLater asks for op to run in an hour, has it approved by its
// approver, and checks it waits for its time.
func (e *env) approvedForLater(op mailbox.Operation) *bot.Request {
	e.t.Helper()
	op.Options.At = e.clock.Now().Add(time.Hour)
	r := e.ask(rita, op)
	e.click(r.Approvers[0], r.ID, true)
	if r = e.get(r.ID); r.State != bot.StateApproved {
		e.t.Fatalf("state %s before the scheduled time", r.State)
	}
	return r
}

// runLater runs what is due in an hour.
func (e *env) runLater() {
	e.t.Helper()
	e.clock.Add(time.Hour)
	e.drain()
}

func TestScheduledRunRechecks(t *testing.T) {
	e := newEnv(t, nil)
	r := e.approvedForLater(mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	e.assignPowerBI("alice@contoso.com")
	e.runLater()
	e.stopped(e.get(r.ID), maria, "POWER_BI")
}

// The stored plan altered after the approval (by hand in Redis, or a bug)
// no longer has the fingerprint approved: nothing runs.
func TestRunStopsWhenStoredPlanAltered(t *testing.T) {
	e := newEnv(t, nil)
	r := e.approvedForLater(mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	if _, err := e.store.Update(context.Background(), r.ID, func(r *bot.Request) error {
		r.Plan.Op.Options.FullAccess = []string{"rita@contoso.com"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.runLater()
	e.stopped(e.get(r.ID), maria, "not the one that was approved")
	if len(e.tenant.Changes()) != 0 {
		t.Errorf("changes: %+v", e.tenant.Changes())
	}
}

// TestRetryRechecks: a Retry re-checks before the first step that runs
// again, ignoring what the request's own done steps changed (the type, the
// "already shared" blocker) but not what they cannot have changed.
func TestRetryRechecks(t *testing.T) {
	for _, outside := range []bool{false, true} {
		e := newEnv(t, nil)
		r, dir := e.failedAtRemoveLicenses()
		if stepOf(r, mailbox.StepConvertToShared).Status != mailbox.Done {
			t.Fatalf("steps %+v", r.Steps)
		}
		if outside {
			e.assignPowerBI("alice@contoso.com")
		}
		dir.mu.Lock()
		dir.on = false
		dir.mu.Unlock()
		if err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: r.ID, Action: bot.ActionRetry, User: rita, TeamID: "T0001", ActionTS: "x"}}); err != nil {
			t.Fatal(err)
		}
		r = e.untilSettled(r.ID)
		if !outside {
			if r.State != bot.StateSucceeded {
				t.Fatalf("own changes stopped the retry: %s %q", r.State, r.Failure)
			}
			continue
		}
		e.stopped(r, maria, "POWER_BI")
		if !e.notes.told("was not resumed") {
			t.Errorf("told %q", e.notes.tells)
		}
		if u, _ := e.tenant.User(context.Background(), "alice@contoso.com"); len(u.Licenses) != 2 {
			t.Errorf("licenses %v: the retried step ran", u.Licenses)
		}
	}
}

// downPlanner plans once, then answers 503 (Microsoft down).
type downPlanner struct {
	bot.Planner
	calls int
}

func (d *downPlanner) Plan(ctx context.Context, op mailbox.Operation) (mailbox.Plan, error) {
	if d.calls++; d.calls > 1 {
		return mailbox.Plan{}, &mailbox.RemoteError{Service: "graph", Op: "GET /users/" + op.Mailbox, Status: 503,
			Code: "serviceNotAvailable", Message: "Service is temporarily unavailable."}
	}
	return d.Planner.Plan(ctx, op)
}

func TestRecheckLookupFailureDoesNotGoAhead(t *testing.T) {
	e := newEnv(t, nil)
	e.cfg.Planner = &downPlanner{Planner: e.cfg.Planner}
	e.restart()
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	if err := e.svc.AcceptClick(context.Background(), bot.Click{RequestID: r.ID, Approve: true, User: maria, TeamID: "T0001", ActionTS: "1"}); err != nil {
		t.Fatal(err)
	}
	var run bot.Job
	for _, j := range e.queue.due(e.clock.Now()) {
		if err := e.svc.Handle(context.Background(), j); err != nil {
			t.Fatal(err)
		}
	}
	for _, j := range e.queue.due(e.clock.Now()) {
		if j.Type == bot.JobRun {
			run = j
		}
	}
	for i := 1; ; i++ {
		err := e.svc.Handle(context.Background(), run)
		var ra *bot.RetryAfterError
		if !errors.As(err, &ra) {
			if err != nil || i != 5 {
				t.Fatalf("try %d: %v, want a retry later for 4 tries", i, err)
			}
			break
		}
		if got := e.get(r.ID); got.State != bot.StateApproved || len(e.tenant.Changes()) != 0 {
			t.Fatalf("try %d: state %s, changes %v", i, got.State, e.tenant.Changes())
		}
	}
	e.stopped(e.get(r.ID), maria, "Service is temporarily unavailable")
	if len(e.tenant.Changes()) != 0 {
		t.Errorf("changes: %v", e.tenant.Changes())
	}
}

// managersTenant is Contoso where maria is in a "Managers" group, not
// (yet) in sales-team@.
func managersTenant(t *testing.T, now func() time.Time) *sandbox.Tenant {
	t.Helper()
	managers := sandbox.Group{ID: "0a0b0c0d-0000-4000-8000-00000000aaaa", DisplayName: "Managers"}
	tn := sandbox.New(sandbox.Options{Now: now, AcceptedDomains: []string{sandbox.ContosoDomain, sandbox.ContosoInitialDomain}})
	for _, s := range sandbox.ContosoSkus() {
		if err := tn.AddSku(s); err != nil {
			t.Fatal(err)
		}
	}
	users := sandbox.ContosoUsers()
	for i := range users {
		if users[i].UserPrincipalName == "maria@contoso.com" {
			users[i].MemberOf = append(users[i].MemberOf, managers)
		}
	}
	if err := tn.AddUsers(users...); err != nil {
		t.Fatal(err)
	}
	return tn
}

// Rule 16 at run time: maria approved a grant to sales-team@, then her
// "Managers" group was nested in it; she would get the access she approved.
func TestApproverWhoJoinedTheGroupStopsTheRun(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.Policy = map[mailbox.Kind]string{mailbox.KindGrant: bot.PolicyManager} })
	e.useTenant(managersTenant(t, e.clock.Now))
	r := e.approvedForLater(grantOp("info@contoso.com", "sales-team@contoso.com", mailbox.FullAccess))
	if r.Decision == nil || r.Decision.By != maria {
		t.Fatalf("decision %+v, want maria's", r.Decision)
	}
	if err := e.tenant.AddGroupMember(sandbox.ContosoSalesTeamGroupID, "0a0b0c0d-0000-4000-8000-00000000aaaa"); err != nil {
		t.Fatal(err)
	}
	e.runLater()
	e.stopped(e.get(r.ID), maria, "who approved it, would now get access through sales-team@contoso.com (rule 16)")
	if n := e.tenant.ChangeCount("info@contoso.com")[sandbox.ChangeFullAccessAdded]; n != 0 {
		t.Errorf("Full Access granted %d times", n)
	}
}

// crashingStore loses the write that records the create step as done,
// once: the process died after New-Mailbox went through.
type crashingStore struct {
	bot.Store
	armed bool
}

var errCrash = errors.New("crash")

func (c *crashingStore) Update(ctx context.Context, id string, fn func(*bot.Request) error) (*bot.Request, error) {
	return c.Store.Update(ctx, id, func(r *bot.Request) error {
		if err := fn(r); err != nil {
			return err
		}
		if st := stepOf(r, mailbox.StepCreateShared); c.armed && (st.Status == mailbox.Done || st.Status == mailbox.Skipped) {
			c.armed = false
			return errCrash
		}
		return nil
	})
}

// A create step resumed after a crash adopts the mailbox it made (created
// after CreateStarted, stored before New-Mailbox), records its ids, and the
// later steps act on them.
func TestCreateResumedAfterCrashRecordsItsMailbox(t *testing.T) {
	e := newEnv(t, managerDecidesCreate)
	e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
	cs := &crashingStore{Store: e.cfg.Store}
	e.cfg.Store = cs
	e.restart()
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: "support@contoso.com", DisplayName: "Support Team",
		Members: []string{"kim@contoso.com"}})
	if err := e.svc.AcceptClick(context.Background(), bot.Click{RequestID: r.ID, Approve: true, User: maria, TeamID: "T0001", ActionTS: "1"}); err != nil {
		t.Fatal(err)
	}
	cs.armed = true
	crashed := false
	for range 10 {
		for _, j := range e.queue.due(e.clock.Now()) {
			if err := e.svc.Handle(context.Background(), j); errors.Is(err, errCrash) {
				crashed = true
				e.restart()
				e.queue.Enqueue(context.Background(), j) // the queue runs the job again
			} else if err != nil {
				t.Fatal(err)
			}
		}
	}
	if !crashed {
		t.Fatal("no crash")
	}
	r = e.untilSettled(r.ID)
	if r.State != bot.StateSucceeded {
		t.Fatalf("state %s failure %q", r.State, r.Failure)
	}
	mb, err := e.tenant.GetMailbox(context.Background(), "support@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Plan.Target.Created; c.ExchangeGUID != mb.ExchangeGUID || c.ObjectID != mb.ExternalDirectoryObjectID || r.Plan.Target.CreateStarted.IsZero() {
		t.Errorf("recorded %+v started %v; the mailbox is %s %s", c, r.Plan.Target.CreateStarted, mb.ExchangeGUID, mb.ExternalDirectoryObjectID)
	}
	if n := e.tenant.ChangeCount("support@contoso.com")[sandbox.ChangeMailboxCreated]; n != 1 {
		t.Errorf("created %d times", n)
	}
}

func TestClickOnStalePlanIsRefused(t *testing.T) {
	r := &bot.Request{ID: "req_1", Fingerprint: "abc"}
	for fp, want := range map[string]error{"": nil, "abc": nil, "old": bot.ErrStalePlan} {
		if err := bot.CheckClickFingerprint(r, bot.Click{Fingerprint: fp}); !errors.Is(err, want) {
			t.Errorf("click showing %q: %v, want %v", fp, err, want)
		}
	}
	if !strings.Contains(bot.StaleClickText(r), "older plan of request `req_1`") {
		t.Error(bot.StaleClickText(r))
	}
}

// refuse answers a permanent 400 to one kind of change while on: Full
// Access grants, or enabling sign-in.
type refuse struct {
	mailbox.Directory
	mailbox.Exchange
	on bool
}

var errRefused = &mailbox.RemoteError{Service: "test", Op: "change", Status: 400, Code: "BadRequest", Message: "Refused."}

func (f *refuse) AddFullAccess(ctx context.Context, identity, user string, autoMapping bool) error {
	if f.on {
		return errRefused
	}
	return f.Exchange.AddFullAccess(ctx, identity, user, autoMapping)
}

func (f *refuse) SetAccountEnabled(ctx context.Context, userID string, enabled bool) error {
	if f.on && enabled {
		return errRefused
	}
	return f.Directory.SetAccountEnabled(ctx, userID, enabled)
}

// TestRetryGoesOnAfterItsOwnChanges: after a Retry the mailbox is what the
// request's done steps made it (its own new mailbox holds the address; a
// mailbox converted back is a user mailbox, licensed): none of that stops
// the steps left.
func TestRetryGoesOnAfterItsOwnChanges(t *testing.T) {
	for _, op := range []mailbox.Operation{
		{Kind: mailbox.KindCreateShared, Mailbox: "support@contoso.com", DisplayName: "Support Team", Members: []string{"kim@contoso.com"}},
		{Kind: mailbox.KindConvertToRegular, Mailbox: "sales@contoso.com"},
	} {
		e := newEnv(t, nil)
		e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
		f := &refuse{Directory: e.tenant, Exchange: e.tenant, on: true}
		e.cfg.Executor = &mailbox.Executor{Directory: f, Exchange: f}
		e.restart()
		r := e.ask(rita, op)
		e.click(r.Approvers[0], r.ID, true)
		if r = e.untilSettled(r.ID); r.State != bot.StateFailed || !strings.Contains(r.Failure, "Refused.") {
			t.Fatalf("%s: %s %q", op.Kind, r.State, r.Failure)
		}
		f.on = false
		if err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: r.ID, Action: bot.ActionRetry, User: rita, TeamID: "T0001", ActionTS: "x"}}); err != nil {
			t.Fatal(err)
		}
		if r = e.untilSettled(r.ID); r.State != bot.StateSucceeded {
			t.Errorf("%s: the request's own changes stopped the retry: %s %q", op.Kind, r.State, r.Failure)
		}
	}
}
