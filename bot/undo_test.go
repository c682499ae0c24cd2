package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// Undo (issue 16): a finished request is undone by a new request whose
// plan is the reverse of what it did, approved like any request.

// done runs op for rita to the end, approved by its first approver.
func (e *env) done(op mailbox.Operation) *bot.Request {
	e.t.Helper()
	r := e.askNew(rita, op)
	e.click(r.Approvers[0], r.ID, true)
	r = e.untilSettled(r.ID)
	if r.State != bot.StateSucceeded {
		e.t.Fatalf("%s: state %s failure %q steps %+v", op.Kind, r.State, r.Failure, r.Steps)
	}
	return r
}

// askNew asks for op as user and returns the request it made (the last
// one named in an answer).
func (e *env) askNew(user string, op mailbox.Operation) *bot.Request {
	e.t.Helper()
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{Op: op, User: user, TeamID: "T0001", Channel: "C0HELP"}); err != nil {
		e.t.Fatal(err)
	}
	e.drain()
	for _, ans := range slices.Backward(e.notes.answers) {
		if i := strings.Index(ans, "Request `req_"); i >= 0 {
			return e.get(ans[i+len("Request `") : i+len("Request `")+len("req_")+8])
		}
	}
	e.t.Fatalf("no request made: %q", e.notes.answers)
	return nil
}

// undo asks, as user, for the undo of id with the command, and returns
// the undo asked (nil when none is linked to id).
func (e *env) undo(user, id string) *bot.Request {
	e.t.Helper()
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{Action: bot.CommandUndo, RequestID: id, User: user, TeamID: "T0001", Channel: "C0HELP"}); err != nil {
		e.t.Fatal(err)
	}
	e.drain()
	return e.undoOf(id)
}

// undoOf is the undo linked to id, or nil.
func (e *env) undoOf(id string) *bot.Request {
	e.t.Helper()
	orig := e.get(id)
	if orig.UndoneBy == "" {
		return nil
	}
	u := e.get(orig.UndoneBy)
	if u.Op.Undo == nil || u.Op.Undo.Of != id {
		e.t.Fatalf("%s names %s as its undo, which undoes %+v", id, u.ID, u.Op.Undo)
	}
	return u
}

// approveUndo approves undo u and runs it to the end.
func (e *env) approveUndo(u *bot.Request) *bot.Request {
	e.t.Helper()
	if u.State != bot.StatePending || len(u.Approvers) == 0 {
		e.t.Fatalf("undo %s is %s, approvers %v", u.ID, u.State, u.Approvers)
	}
	e.click(u.Approvers[0], u.ID, true)
	u = e.untilSettled(u.ID)
	if u.State != bot.StateSucceeded {
		e.t.Fatalf("undo: state %s failure %q steps %+v", u.State, u.Failure, u.Steps)
	}
	return u
}

func stepNames(r *bot.Request) []string {
	var out []string
	for _, st := range r.Steps {
		out = append(out, string(st.Name)+" "+st.Arg)
	}
	return out
}

// changesSince counts the tenant's changes of upn after the first n.
func changesSince(tn *sandbox.Tenant, upn string, n int) map[sandbox.ChangeKind]int {
	out := map[sandbox.ChangeKind]int{}
	for _, c := range tn.Changes()[n:] {
		if strings.EqualFold(c.UserPrincipalName, upn) {
			out[c.Kind]++
		}
	}
	return out
}

func TestUndoToShared(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	orig := e.done(mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com",
		Options: mailbox.Options{FullAccess: []string{"kim@contoso.com"}, SendAs: []string{"kim@contoso.com"}}})
	if want := e.clock.Now().Add(bot.DefaultUndoWindow); !orig.UndoUntil.Equal(want) {
		t.Errorf("undo offered until %v, want %v", orig.UndoUntil, want)
	}
	u := e.undo(maria, orig.ID) // who approved it
	if u == nil {
		t.Fatalf("no undo asked: %q", e.notes.answers)
	}
	// The reverse operation's policy: a conversion back is approved by
	// the configured approvers.
	if u.Op.Kind != mailbox.KindConvertToRegular || !slices.Equal(u.Approvers, []string{admin}) || u.Requester != maria {
		t.Errorf("undo %s approvers %v requester %s", u.Op.Kind, u.Approvers, u.Requester)
	}
	want := []string{"assign_license " + sandbox.SkuOffice365E3, "convert_to_regular ", "verify_regular ",
		"revoke_send_as kim@contoso.com", "revoke_full_access kim@contoso.com", "enable_sign_in "}
	if got := stepNames(u); !slices.Equal(got, want) {
		t.Errorf("undo steps\n got %q\nwant %q", got, want)
	}
	// What the approver sees is what runs.
	if u.Fingerprint == "" || u.Fingerprint != u.Plan.Fingerprint() {
		t.Errorf("fingerprint %q, plan's %q", u.Fingerprint, u.Plan.Fingerprint())
	}
	if !strings.Contains(e.notes.lastAnswer(t), "old password works again") {
		t.Errorf("the plan does not say that sign-in comes back: %s", e.notes.lastAnswer(t))
	}
	n := len(e.tenant.Changes())
	e.approveUndo(u)
	mb, _ := e.tenant.GetMailbox(ctx, "alice@contoso.com")
	usr, _ := e.tenant.User(ctx, "alice@contoso.com")
	if mb.RecipientTypeDetails != mailbox.RecipientUserMailbox || !usr.AccountEnabled ||
		!slices.ContainsFunc(usr.Licenses, func(l mailbox.License) bool { return l.SkuID == sandbox.SkuOffice365E3 }) {
		t.Errorf("after the undo: %s enabled=%v licenses %v", mb.RecipientTypeDetails, usr.AccountEnabled, usr.Licenses)
	}
	_, members, _ := mailbox.Members(ctx, e.tenant, "alice@contoso.com")
	if slices.ContainsFunc(members, func(m mailbox.Member) bool { return strings.EqualFold(m.Who, "kim@contoso.com") }) {
		t.Errorf("kim keeps a right: %+v", members)
	}
	if c := changesSince(e.tenant, "alice@contoso.com", n); c[sandbox.ChangeMailboxType] != 1 || c[sandbox.ChangeAccountEnabled] != 1 || c[sandbox.ChangeLicenseAdded] != 1 {
		t.Errorf("undo's changes: %v", c)
	}
	// status links both ways.
	e.svc.Handle(ctx, bot.Job{Type: bot.JobCommand, Command: &bot.Command{Action: bot.CommandStatus, RequestID: orig.ID, User: rita}})
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "Undo asked: `"+u.ID+"`") {
		t.Errorf("status of the original: %s", got)
	}
	e.svc.Handle(ctx, bot.Job{Type: bot.JobCommand, Command: &bot.Command{Action: bot.CommandStatus, RequestID: u.ID, User: maria}})
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "It undoes `"+orig.ID+"`") {
		t.Errorf("status of the undo: %s", got)
	}
	// An undo is not undone, and the request is undone once.
	e.undo(maria, u.ID)
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "an undo is not undone") {
		t.Errorf("undo of an undo: %s", got)
	}
	if again := e.undo(rita, orig.ID); again.ID != u.ID || !strings.Contains(e.notes.lastAnswer(t), "already asked") {
		t.Errorf("second undo: %s; %s", again.ID, e.notes.lastAnswer(t))
	}
}

func TestUndoToRegular(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	orig := e.done(mailbox.Operation{Kind: mailbox.KindConvertToRegular, Mailbox: "sales@contoso.com"})
	sku := stepOf(orig, mailbox.StepAssignLicense).Arg
	if sku == "" {
		t.Fatalf("no license assigned: %+v", orig.Steps)
	}
	u := e.undo(maria, orig.ID) // not an approver of it
	if u != nil || !strings.Contains(e.notes.lastAnswer(t), "and its approvers can ask to undo it") {
		t.Fatalf("undo by someone else: %v %s", u, e.notes.lastAnswer(t))
	}
	u = e.undo(rita, orig.ID)
	if u == nil {
		t.Fatalf("no undo: %q", e.notes.answers)
	}
	want := []string{"block_sign_in ", "revoke_sessions ", "convert_to_shared ", "verify_shared ", "remove_licenses " + sku}
	if got := stepNames(u); u.Op.Kind != mailbox.KindConvertToShared || !slices.Equal(got, want) {
		t.Errorf("undo %s steps\n got %q\nwant %q", u.Op.Kind, got, want)
	}
	e.approveUndo(u)
	mb, _ := e.tenant.GetMailbox(ctx, "sales@contoso.com")
	usr, _ := e.tenant.User(ctx, "sales@contoso.com")
	if mb.RecipientTypeDetails != mailbox.RecipientSharedMailbox || usr.AccountEnabled || len(usr.Licenses) != 0 {
		t.Errorf("after the undo: %s enabled=%v licenses %v", mb.RecipientTypeDetails, usr.AccountEnabled, usr.Licenses)
	}
}

func TestUndoGrantAndRevoke(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	grant := e.done(mailbox.Operation{Kind: mailbox.KindGrant, Mailbox: "sales@contoso.com", Trustee: "kim@contoso.com", Right: mailbox.SendAs})
	u := e.undo(rita, grant.ID)
	if got := stepNames(u); u.Op.Kind != mailbox.KindRevoke || !slices.Equal(got, []string{"revoke_send_as kim@contoso.com"}) {
		t.Fatalf("undo of a grant: %s %q", u.Op.Kind, got)
	}
	e.approveUndo(u)
	perms, _ := e.tenant.RecipientPermissions(ctx, "sales@contoso.com")
	if mailbox.HasRight(perms, "kim@contoso.com", mailbox.RightSendAs) {
		t.Error("kim keeps Send As")
	}
	// A revoke is undone by a grant; who gains access may not approve it.
	e.tenant.AddSendAs(ctx, "sales@contoso.com", "lee@contoso.com")
	revoke := e.done(mailbox.Operation{Kind: mailbox.KindRevoke, Mailbox: "sales@contoso.com", Trustee: "lee@contoso.com", Right: mailbox.SendAs})
	u = e.undo(rita, revoke.ID)
	if got := stepNames(u); u.Op.Kind != mailbox.KindGrant || !slices.Equal(got, []string{"grant_send_as lee@contoso.com"}) {
		t.Fatalf("undo of a revoke: %s %q", u.Op.Kind, got)
	}
	if !slices.Contains(u.Beneficiaries, "lee@contoso.com") {
		t.Errorf("who gains access by the undo: %v", u.Beneficiaries)
	}
	e.approveUndo(u)
	perms, _ = e.tenant.RecipientPermissions(ctx, "sales@contoso.com")
	if !mailbox.HasRight(perms, "lee@contoso.com", mailbox.RightSendAs) {
		t.Error("lee did not get Send As back")
	}
}

func TestUndoCreateRemovesTheGrantsOnly(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	orig := e.done(mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: "campaigns@contoso.com", DisplayName: "Campaigns",
		Members: []string{"kim@contoso.com"}})
	u := e.undo(rita, orig.ID)
	if u == nil {
		t.Fatalf("no undo: %q", e.notes.answers)
	}
	want := []string{"revoke_send_as kim@contoso.com", "revoke_full_access kim@contoso.com"}
	if got := stepNames(u); u.Op.Kind != mailbox.KindRevoke || !slices.Equal(got, want) {
		t.Errorf("undo %s steps %q", u.Op.Kind, got)
	}
	if !slices.ContainsFunc(u.Plan.Findings, func(f mailbox.Finding) bool { return f.Rule == 5 && strings.Contains(f.Text, "is kept") }) {
		t.Errorf("the plan does not say the mailbox is kept: %+v", u.Plan.Findings)
	}
	e.approveUndo(u)
	mb, err := e.tenant.GetMailbox(ctx, "campaigns@contoso.com")
	if err != nil || mb.RecipientTypeDetails != mailbox.RecipientSharedMailbox {
		t.Errorf("the mailbox is gone: %v %v", mb, err)
	}
	_, members, _ := mailbox.Members(ctx, e.tenant, "campaigns@contoso.com")
	if len(members) != 0 {
		t.Errorf("rights left: %+v", members)
	}
}

// An undo whose run dies in the middle resumes from its first unfinished
// step: nothing is done twice.
func TestUndoResumesAfterCrash(t *testing.T) {
	e := newEnv(t, nil)
	orig := e.done(mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com",
		Options: mailbox.Options{FullAccess: []string{"kim@contoso.com"}}})
	u := e.undo(rita, orig.ID)
	n := len(e.tenant.Changes())
	e.click(admin, u.ID, false) // nothing yet: rejected...
	if e.get(u.ID).State != bot.StateRejected || len(e.tenant.Changes()) != n {
		t.Fatal("setup")
	}
	// ...which lets another undo be asked, a new request.
	u2 := e.undo(rita, orig.ID)
	if u2 == nil || u2.ID == u.ID || u2.State != bot.StatePending {
		t.Fatalf("undo after a rejected one: %+v", u2)
	}
	// Approved; its run job is queued, not run yet.
	if err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: u2.ID, Approve: true, User: admin, TeamID: "T0001", ActionTS: "x1"}}); err != nil {
		t.Fatal(err)
	}
	// The worker dies after the license and the conversion (in the
	// verification).
	e.runDying(&crashAfter{Executor: e.cfg.Executor, n: 2})
	if got := e.get(u2.ID); got.State != bot.StateRunning || got.Steps[1].Status != mailbox.Done {
		t.Fatalf("after the crash: %s %+v", got.State, got.Steps)
	}
	e.restart()
	e.drain()
	if got := e.untilSettled(u2.ID); got.State != bot.StateSucceeded {
		t.Fatalf("state %s %q", got.State, got.Failure)
	}
	c := changesSince(e.tenant, "alice@contoso.com", n)
	for _, k := range []sandbox.ChangeKind{sandbox.ChangeLicenseAdded, sandbox.ChangeMailboxType, sandbox.ChangeFullAccessRemoved, sandbox.ChangeAccountEnabled} {
		if c[k] != 1 {
			t.Errorf("%s made %d times: %v", k, c[k], c)
		}
	}
}

// Who may undo, and when; what stops an undo.
func TestUndoRefusals(t *testing.T) {
	e := newEnv(t, nil)
	e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
	ctx := context.Background()
	orig := e.done(mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})

	// Someone who neither asked nor approved: refused, nothing asked.
	if err := e.svc.AcceptClick(ctx, bot.Click{RequestID: orig.ID, Action: bot.ActionUndo, User: erin, TeamID: "T0001", ActionTS: "e1"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if e.undoOf(orig.ID) != nil || !strings.Contains(e.notes.lastAnswer(t), "and its approvers can ask to undo it") {
		t.Errorf("erin's click: %s", e.notes.lastAnswer(t))
	}

	// A change made outside the bot since: alice is a user mailbox again.
	e.tenant.SetMailboxType(ctx, "alice@contoso.com", mailbox.TypeRegular)
	if u := e.undo(rita, orig.ID); u != nil || !strings.Contains(e.notes.lastAnswer(t), "converted since") {
		t.Errorf("undo after a change since: %v %s", u, e.notes.lastAnswer(t))
	}
	e.tenant.SetMailboxType(ctx, "alice@contoso.com", mailbox.TypeShared)

	// After the window.
	e.clock.Add(bot.DefaultUndoWindow)
	if u := e.undo(rita, orig.ID); u != nil || !strings.Contains(e.notes.lastAnswer(t), "that time has passed") {
		t.Errorf("undo after the window: %v %s", u, e.notes.lastAnswer(t))
	}

	// A rejected request changed nothing.
	rej := e.askNew(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "grace@contoso.com"})
	e.click(rej.Approvers[0], rej.ID, false)
	if u := e.undo(rita, rej.ID); u != nil || !strings.Contains(e.notes.lastAnswer(t), "changed nothing") {
		t.Errorf("undo of a rejected request: %v %s", u, e.notes.lastAnswer(t))
	}
}

// A grant whose right was taken away outside the bot since: nothing left
// to undo, and the plan says why.
func TestUndoOfAGrantRemovedSince(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	grant := e.done(mailbox.Operation{Kind: mailbox.KindGrant, Mailbox: "sales@contoso.com", Trustee: "kim@contoso.com", Right: mailbox.FullAccess})
	e.tenant.RemoveFullAccess(ctx, "sales@contoso.com", "kim@contoso.com")
	if u := e.undo(rita, grant.ID); u != nil || !strings.Contains(e.notes.lastAnswer(t), "no longer has Full Access") {
		t.Errorf("undo: %v %s", u, e.notes.lastAnswer(t))
	}
}

// A failed request is retried, not undone.
func TestUndoOfAFailedRequest(t *testing.T) {
	e := newEnv(t, nil)
	e.useExchange(failing{e.tenant})
	r := e.askNew(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	e.click(r.Approvers[0], r.ID, true)
	if r = e.untilSettled(r.ID); r.State != bot.StateFailed {
		t.Fatalf("state %s", r.State)
	}
	if u := e.undo(rita, r.ID); u != nil || !strings.Contains(e.notes.lastAnswer(t), "only a request that finished can be undone") {
		t.Errorf("undo of a failed request: %v %s", u, e.notes.lastAnswer(t))
	}
}

// Two clicks on Undo at once (a double click, two replicas) ask for one
// undo request.
func TestUndoDoubleClickAsksOnce(t *testing.T) {
	e := newEnv(t, nil)
	orig := e.done(mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	asks := len(e.notes.asks)
	jobs := make([]bot.Job, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range jobs {
		jobs[i] = bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: orig.ID, Action: bot.ActionUndo, User: rita, TeamID: "T0001", ActionTS: fmt.Sprint("u", i)}}
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = e.svc.Handle(context.Background(), jobs[i]) }()
	}
	wg.Wait()
	// A job that met the other's lock is retried by the queue.
	for i, err := range errs {
		if err != nil {
			if err := e.svc.Handle(context.Background(), jobs[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.drain()
	u := e.undoOf(orig.ID)
	if u == nil {
		t.Fatalf("no undo: %q", e.notes.answers)
	}
	if got := len(e.notes.asks) - asks; got != 1 {
		t.Errorf("approvers asked %d times", got)
	}
	reqs, _ := e.store.List(context.Background(), bot.ListQuery{Requester: rita})
	n := 0
	for _, r := range reqs {
		if r.Op.Undo != nil {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d undo requests", n)
	}
}

// An undo approved, then overtaken by a change outside the bot before it
// runs, is stopped by the re-check before its first change.
func TestUndoStoppedByTheRecheck(t *testing.T) {
	e := newEnv(t, nil)
	e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
	ctx := context.Background()
	orig := e.done(mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	u := e.undo(rita, orig.ID)
	n := len(e.tenant.Changes())
	e.tenant.SetMailboxType(ctx, "alice@contoso.com", mailbox.TypeRegular) // someone converts it back by hand
	e.click(u.Approvers[0], u.ID, true)
	u = e.get(u.ID)
	if u.State != bot.StateFailed || !strings.Contains(u.Failure, "converted since") || started(u) {
		t.Errorf("undo: %s %q", u.State, u.Failure)
	}
	if got := len(e.tenant.Changes()); got != n+1 {
		t.Errorf("the undo changed something: %v", e.tenant.Changes()[n:])
	}
}

// Licenses changed outside the bot since are shown in the undo's plan.
func TestUndoShowsLicensesChangedSince(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	orig := e.done(mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	e.tenant.AssignLicenses(ctx, orig.Plan.Target.UserID, []string{sandbox.SkuPowerBIStandard}, nil)
	u := e.undo(rita, orig.ID)
	if u == nil || !slices.ContainsFunc(u.Plan.Findings, func(f mailbox.Finding) bool {
		return f.Severity == mailbox.Warning && strings.Contains(f.Text, "licenses changed since") && strings.Contains(f.Text, "POWER_BI_STANDARD")
	}) {
		t.Errorf("plan findings: %+v", u)
	}
}

// runDying runs the due jobs with a worker whose executor dies (crashAfter,
// dieAfterChange), and hands each job back to the queue, as the queue does
// when a worker dies.
func (e *env) runDying(x bot.Executor) {
	e.t.Helper()
	cfg := e.cfg
	cfg.Executor = x
	dying, _ := bot.New(cfg)
	for _, j := range e.queue.due(e.clock.Now()) {
		if !handleDying(dying, j) {
			e.t.Fatal("did not die")
		}
		e.queue.Enqueue(context.Background(), j)
	}
}

func started(r *bot.Request) bool {
	return slices.ContainsFunc(r.Steps, func(st bot.StepState) bool { return st.Attempts > 0 })
}

// dieAfterChange runs n+1 steps and dies just after the last one made its
// change, before the change is recorded: the hardest point to resume from.
type dieAfterChange struct {
	bot.Executor
	n int
}

func (d *dieAfterChange) Run(ctx context.Context, t mailbox.Target, s mailbox.Step, dry bool) (mailbox.Outcome, error) {
	out, err := d.Executor.Run(ctx, t, s, dry)
	if d.n == 0 {
		panic("killed")
	}
	d.n--
	return out, err
}

// The undo of each operation, killed just after one of its changes and
// resumed by a new process, finishes with each change made once.
func TestUndoOfEachOperationAfterACrash(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   mailbox.Operation
		die  int // steps run before the one that dies after its change
	}{
		{"to shared", mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com",
			Options: mailbox.Options{FullAccess: []string{"kim@contoso.com"}}}, 1},
		{"to regular", mailbox.Operation{Kind: mailbox.KindConvertToRegular, Mailbox: "sales@contoso.com"}, 1},
		{"grant", mailbox.Operation{Kind: mailbox.KindGrant, Mailbox: "sales@contoso.com", Trustee: "kim@contoso.com", Right: mailbox.FullAccess}, 0},
		{"revoke", mailbox.Operation{Kind: mailbox.KindRevoke, Mailbox: "info@contoso.com", Trustee: "lee@contoso.com", Right: mailbox.SendOnBehalf}, 0},
		{"create", mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: "campaigns@contoso.com", DisplayName: "Campaigns",
			Members: []string{"kim@contoso.com"}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			ctx := context.Background()
			if tc.op.Kind == mailbox.KindRevoke {
				e.tenant.SetSendOnBehalf(ctx, tc.op.Mailbox, []string{tc.op.Trustee}, nil)
			}
			orig := e.done(tc.op)
			u := e.undo(rita, orig.ID)
			if u == nil || len(u.Steps) <= tc.die {
				t.Fatalf("undo %+v; answers %q", u, e.notes.answers)
			}
			n := len(e.tenant.Changes())
			if err := e.svc.Handle(ctx, bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: u.ID, Approve: true, User: u.Approvers[0], TeamID: "T0001", ActionTS: "a1"}}); err != nil {
				t.Fatal(err)
			}
			e.runDying(&dieAfterChange{Executor: e.cfg.Executor, n: tc.die})
			e.restart()
			e.drain()
			if got := e.untilSettled(u.ID); got.State != bot.StateSucceeded {
				t.Fatalf("state %s %q %+v", got.State, got.Failure, got.Steps)
			}
			seen := map[string]int{}
			for _, c := range e.tenant.Changes()[n:] {
				seen[fmt.Sprintf("%s %s %s→%s", c.Kind, c.UserPrincipalName, c.From, c.To)]++
			}
			if len(seen) == 0 {
				t.Error("the undo changed nothing")
			}
			for k, v := range seen {
				if v != 1 {
					t.Errorf("%s made %d times", k, v)
				}
			}
		})
	}
}
