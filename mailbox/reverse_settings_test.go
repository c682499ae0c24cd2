package mailbox_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// The undo of the leaver's settings (issue 16) puts back what each step
// recorded it replaced, and stops at a setting changed since.

const leaverReply = "Leo has left."

// leaverSettings converts leo@ with an automatic reply, forwarding to
// maria@ and hidden, and returns its done settings steps with what each
// replaced, as the bot records them.
func leaverSettings(t *testing.T, tn *sandbox.Tenant) []mailbox.Step {
	t.Helper()
	ctx := context.Background()
	op := mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "leo@contoso.com",
		Options: mailbox.Options{AutoReply: leaverReply, ForwardTo: "maria@contoso.com", Hide: true}}
	p, err := (&mailbox.Planner{Directory: tn, Exchange: tn}).Plan(ctx, op)
	if err != nil {
		t.Fatal(err)
	}
	x := &mailbox.Executor{Directory: tn, Exchange: tn}
	var done []mailbox.Step
	for _, s := range p.Steps {
		out, err := x.Run(ctx, p.Target, s, false)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if out.Status == mailbox.Done {
			s.Settings = out.Before
			done = append(done, s)
		}
	}
	return done
}

func undoLeo(t *testing.T, tn *sandbox.Tenant, done []mailbox.Step) mailbox.Plan {
	t.Helper()
	return undoPlan(t, tn, mailbox.KindConvertToShared, "leo@contoso.com", mailbox.Target{UserPrincipalName: "leo@contoso.com"}, done...)
}

func stepOf(p mailbox.Plan, name mailbox.StepName) (mailbox.Step, bool) {
	i := slices.IndexFunc(p.Steps, func(s mailbox.Step) bool { return s.Name == name })
	if i < 0 {
		return mailbox.Step{}, false
	}
	return p.Steps[i], true
}

// A settings step that ran records what it replaced; the undo's steps put
// exactly that back, and running them twice changes nothing the second
// time.
func TestUndoPutsTheSettingsBack(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	ctx := context.Background()
	// Before the conversion leo@ forwards to kim@ without a copy, and has
	// an automatic reply of his own.
	tn.SetForwarding(ctx, "leo@contoso.com", "kim@contoso.com", false)
	own := mailbox.AutoReply{State: mailbox.AutoReplyEnabled, InternalMessage: "<p>On holiday</p>", ExternalMessage: "<p>On holiday</p>", ExternalAudience: "Known"}
	tn.SetAutoReply(ctx, "leo@contoso.com", own)
	done := leaverSettings(t, tn)
	p := undoLeo(t, tn, done)
	if b := p.Blockers(); len(b) > 0 {
		t.Fatalf("blockers %+v", b)
	}
	ar, ok1 := stepOf(p, mailbox.StepRestoreAutoReply)
	fw, ok2 := stepOf(p, mailbox.StepRestoreForwarding)
	_, ok3 := stepOf(p, mailbox.StepUnhide)
	if !ok1 || !ok2 || !ok3 {
		t.Fatalf("steps %+v", p.Steps)
	}
	if ar.Settings == nil || ar.Settings.AutoReply == nil || mailbox.AutoReplyText(ar.Settings.AutoReply.InternalMessage) != "On holiday" || ar.Settings.AutoReply.ExternalAudience != "Known" {
		t.Errorf("the automatic reply put back: %+v", ar.Settings)
	}
	if fw.Settings == nil || !strings.Contains(strings.ToLower(fw.Settings.ForwardingAddress), "kim") || fw.Settings.DeliverToMailboxAndForward {
		t.Errorf("the forwarding put back: %+v", fw.Settings)
	}
	x := &mailbox.Executor{Directory: tn, Exchange: tn}
	for round := range 2 {
		for _, s := range []mailbox.Step{ar, fw, {Name: mailbox.StepUnhide}} {
			out, err := x.Run(ctx, p.Target, s, false)
			if err != nil {
				t.Fatal(err)
			}
			if want := []mailbox.Status{mailbox.Done, mailbox.Skipped}[round]; out.Status != want {
				t.Errorf("round %d: %s %s (%s), want %s", round+1, s.Name, out.Status, out.Detail, want)
			}
		}
	}
	a, _ := tn.AutoReply(ctx, "leo@contoso.com")
	mb, _ := tn.GetMailbox(ctx, "leo@contoso.com")
	if mailbox.AutoReplyText(a.InternalMessage) != "On holiday" || a.ExternalAudience != "Known" || mb.HiddenFromAddressListsEnabled ||
		!strings.Contains(strings.ToLower(mb.ForwardingAddress), "kim") || mb.DeliverToMailboxAndForward {
		t.Errorf("after the undo: reply %+v, mailbox %+v", a, mb)
	}
}

// A setting someone changed since the request is not overwritten: it
// stops the undo. One already as it was gives no step.
func TestUndoOfSettingsChangedSince(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		change  func(tn *sandbox.Tenant)
		blocker string
		step    mailbox.StepName // gone from the plan
	}{
		{"reply rewritten", func(tn *sandbox.Tenant) {
			tn.SetAutoReply(ctx, "leo@contoso.com", mailbox.AutoReply{State: mailbox.AutoReplyEnabled, InternalMessage: "Ask Maria", ExternalMessage: "Ask Maria", ExternalAudience: "All"})
		}, "The automatic reply was changed since", mailbox.StepRestoreAutoReply},
		{"reply off again", func(tn *sandbox.Tenant) {
			tn.SetAutoReply(ctx, "leo@contoso.com", mailbox.AutoReply{State: mailbox.AutoReplyDisabled})
		}, "", mailbox.StepRestoreAutoReply},
		{"forwarded elsewhere", func(tn *sandbox.Tenant) {
			tn.SetForwarding(ctx, "leo@contoso.com", "kim@contoso.com", true)
		}, "The forwarding was changed since", mailbox.StepRestoreForwarding},
		{"shown again", func(tn *sandbox.Tenant) {
			tn.SetHidden(ctx, "leo@contoso.com", false)
		}, "", mailbox.StepUnhide},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tn := sandbox.NewContoso(sandbox.Options{})
			done := leaverSettings(t, tn)
			tc.change(tn)
			p := undoLeo(t, tn, done)
			if tc.blocker != "" && !blockedBy(p, tc.blocker) {
				t.Errorf("not blocked: %+v", p.Findings)
			}
			if tc.blocker == "" && len(p.Blockers()) > 0 {
				t.Errorf("blocked: %+v", p.Blockers())
			}
			if _, ok := stepOf(p, tc.step); ok {
				t.Errorf("the undo still has %s: %+v", tc.step, p.Steps)
			}
		})
	}
}

// Forwarding to an outside address (ForwardingSmtpAddress) that the
// request replaced cannot be put back: the plan says so.
func TestUndoCannotPutBackSMTPForwarding(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	done := leaverSettings(t, tn)
	for i := range done {
		if done[i].Name == mailbox.StepForward {
			done[i].Settings = &mailbox.Settings{ForwardingSMTPAddress: "smtp:leo@gmail.example"}
		}
	}
	p := undoLeo(t, tn, done)
	if !slices.ContainsFunc(p.Findings, func(f mailbox.Finding) bool {
		return f.Severity == mailbox.Warning && strings.Contains(f.Text, "smtp:leo@gmail.example") && strings.Contains(f.Text, "cannot put that back")
	}) {
		t.Errorf("findings %+v", p.Findings)
	}
	if s, ok := stepOf(p, mailbox.StepRestoreForwarding); !ok || s.Settings.ForwardingAddress != "" {
		t.Errorf("the forwarding is not stopped: %+v", p.Steps)
	}
}

// What an undo puts back is in its fingerprint and in Changes: an approver
// who saw one reply to be put back has not approved another.
func TestUndoFingerprintHasWhatIsPutBack(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	p := undoLeo(t, tn, leaverSettings(t, tn))
	q := p
	q.Steps = slices.Clone(p.Steps)
	i := slices.IndexFunc(q.Steps, func(s mailbox.Step) bool { return s.Name == mailbox.StepRestoreAutoReply })
	if i < 0 {
		t.Fatalf("steps %+v", p.Steps)
	}
	other := mailbox.AutoReply{State: mailbox.AutoReplyEnabled, InternalMessage: "something else", ExternalMessage: "something else", ExternalAudience: "All"}
	q.Steps[i].Settings = &mailbox.Settings{AutoReply: &other}
	if p.Fingerprint() == q.Fingerprint() {
		t.Error("what is put back is not in the fingerprint")
	}
	if len(mailbox.Changes(p, q)) == 0 {
		t.Error("Changes sees no difference in what is put back")
	}
	r := p
	u := *p.Op.Undo
	u.Done = slices.Clone(u.Done)
	for j := range u.Done {
		if u.Done[j].Name == mailbox.StepSetAutoReply {
			u.Done[j].Settings = &mailbox.Settings{AutoReply: &other}
		}
	}
	r.Op.Undo = &u
	if p.Fingerprint() == r.Fingerprint() || len(mailbox.Changes(p, r)) == 0 {
		t.Error("what the undone request replaced is not in the fingerprint or Changes")
	}
}

// A right the leaver's conversion took away on another mailbox (Step.On)
// is read and given back on that mailbox, not on his own: a right he has
// there again gives no step.
func TestUndoGivesRightsBackOnTheOtherMailbox(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	if err := tn.RemoveSendAs(context.Background(), "billing@contoso.com", "leo@contoso.com"); err != nil {
		t.Fatal(err)
	}
	// Full Access on projects@ he still has (given back since).
	p := undoLeo(t, tn, []mailbox.Step{
		{Name: mailbox.StepRevokeFullAccess, Arg: "leo@contoso.com", On: "projects@contoso.com"},
		{Name: mailbox.StepRevokeSendAs, Arg: "leo@contoso.com", Names: []string{"Leo Lane"}, On: "billing@contoso.com"}})
	var got []string
	for _, s := range p.Steps {
		got = append(got, string(s.Name)+" "+s.Arg+" on "+s.On)
	}
	if !slices.Equal(got, []string{"grant_send_as leo@contoso.com on billing@contoso.com"}) {
		t.Errorf("steps %q", got)
	}
	if !slices.ContainsFunc(p.Findings, func(f mailbox.Finding) bool {
		return strings.Contains(f.Text, "already has Full Access on projects@contoso.com again")
	}) {
		t.Errorf("findings %+v", p.Findings)
	}
}

// /shared-mailbox auto-reply … off can be undone: the reply it turned off
// is turned back on as it was.
func TestUndoOfAutoReplyOff(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	ctx := context.Background()
	on := mailbox.AutoReply{State: mailbox.AutoReplyEnabled, InternalMessage: "Closed today", ExternalMessage: "Closed today", ExternalAudience: "All"}
	tn.SetAutoReply(ctx, "sales@contoso.com", on)
	x := &mailbox.Executor{Directory: tn, Exchange: tn}
	off, err := x.Run(ctx, mailbox.Target{UserPrincipalName: "sales@contoso.com"}, mailbox.Step{Name: mailbox.StepAutoReplyOff}, false)
	if err != nil || off.Status != mailbox.Done {
		t.Fatalf("%+v %v", off, err)
	}
	p := undoPlan(t, tn, mailbox.KindAutoReplyOff, "sales@contoso.com", mailbox.Target{UserPrincipalName: "sales@contoso.com"},
		mailbox.Step{Name: mailbox.StepAutoReplyOff, Settings: off.Before})
	s, ok := stepOf(p, mailbox.StepRestoreAutoReply)
	if !ok || len(p.Blockers()) > 0 {
		t.Fatalf("steps %+v findings %+v", p.Steps, p.Findings)
	}
	if _, err := x.Run(ctx, p.Target, s, false); err != nil {
		t.Fatal(err)
	}
	if a, _ := tn.AutoReply(ctx, "sales@contoso.com"); !a.Says("Closed today") {
		t.Errorf("reply after the undo: %+v", a)
	}
}

// A forwarding step that recorded nothing (run before Outcome.Before was
// kept) is undone by stopping the forwarding, and the plan says so.
func TestUndoOfAForwardingNotRecorded(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	done := leaverSettings(t, tn)
	for i := range done {
		done[i].Settings = nil
	}
	p := undoLeo(t, tn, done)
	if !slices.ContainsFunc(p.Findings, func(f mailbox.Finding) bool {
		return f.Severity == mailbox.Warning && strings.Contains(f.Text, "did not record the forwarding")
	}) {
		t.Errorf("findings %+v", p.Findings)
	}
	if s, ok := stepOf(p, mailbox.StepRestoreForwarding); !ok || s.Settings == nil || s.Settings.ForwardingAddress != "" {
		t.Errorf("steps %+v", p.Steps)
	}
}

// Whoever an undo forwards the mail to again reads every new message: they
// gain access (rule 16), so they are among the plan's beneficiaries and
// cannot approve the undo.
func TestUndoForwardingAgainNamesItsReaderAsGainingAccess(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	ctx := context.Background()
	tn.SetForwarding(ctx, "leo@contoso.com", "kim@contoso.com", false)
	p := undoLeo(t, tn, leaverSettings(t, tn))
	fw, ok := stepOf(p, mailbox.StepRestoreForwarding)
	if !ok || !strings.EqualFold(fw.Arg, "kim@contoso.com") {
		t.Fatalf("restore step %+v (found %v)", fw, ok)
	}
	who, err := (&mailbox.Planner{Directory: tn, Exchange: tn}).Beneficiaries(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(who, func(pr mailbox.Principal) bool { return pr.Matches("kim@contoso.com") }) {
		t.Errorf("beneficiaries %+v lack kim, whom the undo forwards the mail to again", who)
	}
}

// A forwarding recorded to a recipient that is not a person or group of
// the organisation (an outside address, a contact) is not put back: the
// undo stops the forwarding and says so (rule 18).
func TestUndoDoesNotForwardOutsideAgain(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	done := leaverSettings(t, tn)
	for i := range done {
		if done[i].Name == mailbox.StepForward {
			done[i].Settings = &mailbox.Settings{ForwardingAddress: "someone@fabrikam.com", DeliverToMailboxAndForward: true}
		}
	}
	p := undoLeo(t, tn, done)
	fw, ok := stepOf(p, mailbox.StepRestoreForwarding)
	if !ok || fw.Arg != "" || fw.Settings == nil || fw.Settings.ForwardingAddress != "" {
		t.Fatalf("restore step %+v (found %v): want forwarding stopped", fw, ok)
	}
	if !slices.ContainsFunc(p.Findings, func(f mailbox.Finding) bool {
		return f.Severity == mailbox.Warning && strings.Contains(f.Text, "someone@fabrikam.com")
	}) {
		t.Errorf("no warning names the outside address: %+v", p.Findings)
	}
}
