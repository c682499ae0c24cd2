package bot_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// Issue 16: the undo of a leaver's conversion puts back what it took away
// on other mailboxes, takes the manager's access away, and puts back the
// automatic reply, the forwarding and the visibility it changed.

// leaverWorld is the mailboxes a leaver's conversion of leo@ touches.
var leaverWorld = []string{"leo@contoso.com", "projects@contoso.com", "billing@contoso.com", "hr@contoso.com"}

// snapshot describes, for each mailbox of leaverWorld, everything the
// conversion and its undo change: type, sign-in, licenses, who holds
// which right, automatic reply, forwarding, visibility.
func snapshot(t *testing.T, tn *sandbox.Tenant) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, mbx := range leaverWorld {
		u, err := tn.User(ctx, mbx)
		if err != nil {
			t.Fatal(err)
		}
		mb, err := tn.GetMailbox(ctx, mbx)
		if err != nil {
			t.Fatal(err)
		}
		var lic []string
		for _, l := range u.Licenses {
			lic = append(lic, strings.ToLower(l.SkuID))
		}
		slices.Sort(lic)
		var rights []string
		for _, get := range []func(context.Context, string) ([]mailbox.Permission, error){tn.MailboxPermissions, tn.RecipientPermissions} {
			perms, err := get(ctx, mbx)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range mailbox.Explicit(perms) {
				rights = append(rights, strings.ToLower(p.User)+":"+strings.Join(p.AccessRights, "+"))
			}
		}
		for _, w := range mb.GrantSendOnBehalfTo {
			// Exchange lists a person here by name or by address.
			if strings.EqualFold(w, "Leo Lane") {
				w = "leo@contoso.com"
			}
			rights = append(rights, strings.ToLower(w)+":SendOnBehalf")
		}
		slices.Sort(rights)
		a, err := tn.AutoReply(ctx, mbx)
		if err != nil {
			t.Fatal(err)
		}
		reply := a.State // a reply turned off keeps its text, unsent
		if a.State != mailbox.AutoReplyDisabled {
			reply += " " + mailbox.AutoReplyText(a.InternalMessage)
		}
		out[mbx] = fmt.Sprintf("type=%s enabled=%v licenses=%v rights=%v auto-reply=%s forward=%q/%q copy=%v hidden=%v",
			mb.RecipientTypeDetails, u.AccountEnabled, lic, rights, reply,
			mb.ForwardingAddress, mb.ForwardingSMTPAddress, mb.DeliverToMailboxAndForward, mb.HiddenFromAddressListsEnabled)
	}
	return out
}

// leaverOp converts leo@ with remove-access and manager-access, an
// automatic reply, forwarding to his manager and hidden.
func leaverOp() mailbox.Operation {
	return mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "leo@contoso.com", Options: mailbox.Options{
		RemoveAccess: true, ManagerAccess: true, AutoReply: "Leo has left. Please write to maria@contoso.com.",
		ForwardTo: "maria@contoso.com", Hide: true}}
}

// doneLeaver runs leaverOp to the end, approved by the configured approver.
func (e *env) doneLeaver() *bot.Request {
	e.t.Helper()
	r := e.askNew(rita, leaverOp())
	e.click(admin, r.ID, true)
	r = e.untilSettled(r.ID)
	if r.State != bot.StateSucceeded {
		e.t.Fatalf("state %s %q, steps %+v", r.State, r.Failure, r.Steps)
	}
	return r
}

// eachChangeOnce fails when a change of the tenant after the first n was
// made twice, and returns the changes by what they were.
func eachChangeOnce(t *testing.T, tn *sandbox.Tenant, n int) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for _, c := range tn.Changes()[n:] {
		seen[fmt.Sprintf("%s %s %s→%s", c.Kind, c.UserPrincipalName, c.From, c.To)]++
	}
	for k, v := range seen {
		if v != 1 {
			t.Errorf("%s made %d times", k, v)
		}
	}
	return seen
}

func TestUndoOfALeaver(t *testing.T) {
	e := newEnv(t, nil)
	was := snapshot(t, e.tenant)
	orig := e.doneLeaver()
	if now := snapshot(t, e.tenant); now["leo@contoso.com"] == was["leo@contoso.com"] || now["hr@contoso.com"] == was["hr@contoso.com"] {
		t.Fatalf("the conversion changed nothing: %v", now)
	}
	u := e.undo(rita, orig.ID)
	if u == nil {
		t.Fatalf("no undo; answers %q", e.notes.answers)
	}
	// What the approver is shown: each right given back on its mailbox,
	// the manager's taken away, the settings put back.
	var want []string
	for _, s := range orig.Steps {
		if s.On != "" {
			want = append(want, fmt.Sprintf("%s %s", strings.Replace(string(s.Name), "revoke", "grant", 1), s.On))
		}
	}
	var got []string
	for _, s := range u.Plan.Steps {
		if s.On != "" {
			got = append(got, fmt.Sprintf("%s %s", s.Name, s.On))
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if len(want) != 3 || !slices.Equal(got, want) {
		t.Errorf("rights given back on other mailboxes %q, want %q", got, want)
	}
	for _, name := range []mailbox.StepName{mailbox.StepRevokeFullAccess, mailbox.StepRevokeSendAs, mailbox.StepRestoreAutoReply, mailbox.StepRestoreForwarding, mailbox.StepUnhide, mailbox.StepConvertToRegular} {
		if !slices.ContainsFunc(u.Plan.Steps, func(s mailbox.Step) bool { return s.Name == name && s.On == "" }) {
			t.Errorf("the undo's plan lacks %s: %q", name, stepNames(u))
		}
	}
	n := len(e.tenant.Changes())
	e.approveUndo(u)
	if now := snapshot(t, e.tenant); !maps.Equal(now, was) {
		for _, mbx := range leaverWorld {
			if now[mbx] != was[mbx] {
				t.Errorf("%s after the undo:\n%s\nwant as before:\n%s", mbx, now[mbx], was[mbx])
			}
		}
	}
	seen := eachChangeOnce(t, e.tenant, n)
	for _, k := range []sandbox.ChangeKind{sandbox.ChangeFullAccessAdded, sandbox.ChangeSendAsAdded, sandbox.ChangeSendOnBehalfAdded, sandbox.ChangeFullAccessRemoved, sandbox.ChangeSendAsRemoved, sandbox.ChangeLicenseAdded} {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(seen)), func(s string) bool { return strings.HasPrefix(s, string(k)+" ") }) {
			t.Errorf("no %s among the undo's changes %v", k, seen)
		}
	}
}

// Killed just after any one of its changes and resumed by a new process,
// the undo of a leaver's conversion makes each change once and leaves
// everything as it was.
func TestUndoOfALeaverAfterACrash(t *testing.T) {
	for _, die := range []int{0, 2, 4, 6, 8} {
		t.Run(fmt.Sprint("after step ", die+1), func(t *testing.T) {
			e := newEnv(t, nil)
			ctx := context.Background()
			was := snapshot(t, e.tenant)
			orig := e.doneLeaver()
			u := e.undo(rita, orig.ID)
			if u == nil || len(u.Steps) <= die {
				t.Fatalf("undo %+v; answers %q", u, e.notes.answers)
			}
			n := len(e.tenant.Changes())
			if err := e.svc.Handle(ctx, bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: u.ID, Approve: true, User: u.Approvers[0], TeamID: "T0001", ActionTS: "a1"}}); err != nil {
				t.Fatal(err)
			}
			e.runDying(&dieAfterChange{Executor: e.cfg.Executor, n: die})
			e.restart()
			e.drain()
			if got := e.untilSettled(u.ID); got.State != bot.StateSucceeded {
				t.Fatalf("state %s %q %+v", got.State, got.Failure, got.Steps)
			}
			eachChangeOnce(t, e.tenant, n)
			if now := snapshot(t, e.tenant); !maps.Equal(now, was) {
				t.Errorf("after the undo %v\nwant %v", now, was)
			}
		})
	}
}

// The manager who gets access to a leaver's mailbox is told once how to
// use it. The undo gives the leaver his rights back: he is told, once for
// each mailbox, about that mailbox (not his own); the manager, whose
// access it takes away, is told nothing.
func TestGuidanceOfALeaverAndItsUndo(t *testing.T) {
	e, g := newGuidingEnv(t)
	orig := e.doneLeaver()
	want := []string{maria + ": Full Access and Send As on leo@contoso.com (automapped)"}
	if got := g.lines(); !slices.Equal(got, want) {
		t.Fatalf("guidance after the conversion = %q, want %q", got, want)
	}
	e.approveUndo(e.undo(rita, orig.ID))
	got := g.lines()[1:]
	slices.Sort(got)
	want = []string{
		leo + ": Full Access on projects@contoso.com (automapped)",
		leo + ": Send As on billing@contoso.com",
		leo + ": Send on Behalf on hr@contoso.com",
	}
	if !slices.Equal(got, want) {
		t.Errorf("guidance after the undo = %q, want %q", got, want)
	}
}

// `/shared-mailbox auto-reply … off` can be undone: the reply it turned
// off is on again, as it was.
func TestUndoOfAutoReplyOffThroughTheBot(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	on := mailbox.AutoReply{State: mailbox.AutoReplyEnabled, InternalMessage: "Closed today", ExternalMessage: "Closed today", ExternalAudience: "All"}
	if err := e.tenant.SetAutoReply(ctx, "sales@contoso.com", on); err != nil {
		t.Fatal(err)
	}
	orig := e.done(mailbox.Operation{Kind: mailbox.KindAutoReplyOff, Mailbox: "sales@contoso.com"})
	if a, _ := e.tenant.AutoReply(ctx, "sales@contoso.com"); a.State != mailbox.AutoReplyDisabled {
		t.Fatalf("not turned off: %+v", a)
	}
	u := e.undo(rita, orig.ID)
	if u == nil {
		t.Fatalf("no undo: %q", e.notes.answers)
	}
	e.approveUndo(u)
	if a, _ := e.tenant.AutoReply(ctx, "sales@contoso.com"); !a.Says("Closed today") {
		t.Errorf("after the undo: %+v", a)
	}
}
