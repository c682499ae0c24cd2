package exchange

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/exchange/exchangetest"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// The leaver's settings (auto-reply, forward-to, hide) planned and run by
// the real client against the fake endpoint, backed by the Contoso sandbox.

type settingsWorld struct {
	tn *sandbox.Tenant
	f  fixture
	p  *mailbox.Planner
	ex *mailbox.Executor
}

func newSettingsWorld(t *testing.T) settingsWorld {
	tn := sandbox.NewContoso(sandbox.Options{})
	f := setup(t, tn, exchangetest.Options{}, nil)
	return settingsWorld{tn: tn, f: f, p: &mailbox.Planner{Directory: tn, Exchange: f.c}, ex: &mailbox.Executor{Directory: tn, Exchange: f.c}}
}

func (w settingsWorld) plan(t *testing.T, o mailbox.Options) mailbox.Plan {
	t.Helper()
	plan, err := w.p.Plan(t.Context(), mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com", Options: o})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// run runs the steps named, in order, and returns their outcomes.
func (w settingsWorld) run(t *testing.T, plan mailbox.Plan, dry bool, names ...mailbox.StepName) []mailbox.Outcome {
	t.Helper()
	var outs []mailbox.Outcome
	for _, s := range plan.Steps {
		if !slices.Contains(names, s.Name) {
			continue
		}
		out, err := w.ex.Run(context.Background(), plan.Target, s, dry)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		outs = append(outs, out)
	}
	if len(outs) != len(names) {
		t.Fatalf("ran %d of the steps %v", len(outs), names)
	}
	return outs
}

func (w settingsWorld) lastCall(t *testing.T, cmdlet string) map[string]string {
	t.Helper()
	calls := w.f.srv.Calls()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Cmdlet == cmdlet {
			return wireParams(t, calls[i])
		}
	}
	t.Fatalf("no %s call", cmdlet)
	return nil
}

func TestAutoReplyPlannedSentEscapedAndIdempotent(t *testing.T) {
	w := newSettingsWorld(t)
	text := "Alice has left. <b>Write</b> to sales@contoso.com & \"Kim\"\nThanks"
	plan := w.plan(t, mailbox.Options{AutoReply: text})
	i := slices.IndexFunc(plan.Steps, func(s mailbox.Step) bool { return s.Name == mailbox.StepSetAutoReply })
	if i < 0 || plan.Steps[i].Arg != text {
		t.Fatalf("steps = %+v", plan.Steps)
	}
	if j := slices.IndexFunc(plan.Steps, func(s mailbox.Step) bool { return s.Name == mailbox.StepVerifyShared }); j > i {
		t.Errorf("the auto-reply comes before the conversion is verified: %v", plan.Steps)
	}

	dry := w.run(t, plan, true, mailbox.StepSetAutoReply)[0]
	if dry.Status != mailbox.Skipped || !strings.Contains(dry.Detail, "Set-MailboxAutoReplyConfiguration") {
		t.Errorf("dry run = %+v", dry)
	}
	if w.f.srv.Count("Set-MailboxAutoReplyConfiguration") != 0 {
		t.Fatal("a dry run changed the automatic reply")
	}

	out := w.run(t, plan, false, mailbox.StepSetAutoReply)[0]
	if out.Status != mailbox.Done || out.Before == nil || out.Before.AutoReply == nil || out.Before.AutoReply.State != mailbox.AutoReplyDisabled {
		t.Fatalf("outcome = %+v (before %+v)", out, out.Before)
	}
	b, _ := json.Marshal("<html><body>Alice has left. &lt;b&gt;Write&lt;/b&gt; to sales@contoso.com &amp; &#34;Kim&#34;<br>Thanks</body></html>")
	wantHTML := string(b)
	got := w.lastCall(t, "Set-MailboxAutoReplyConfiguration")
	want := map[string]string{"Identity": `"alice@contoso.com"`, "AutoReplyState": `"Enabled"`, "InternalMessage": wantHTML,
		"ExternalMessage": wantHTML, "ExternalAudience": `"All"`, "Confirm": "false"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parameters\n got %v\nwant %v", got, want)
	}
	// Exchange keeps the message in its own HTML wrapping: a re-run reads
	// it and changes nothing.
	again := w.run(t, plan, false, mailbox.StepSetAutoReply)[0]
	if again.Status != mailbox.Skipped || again.Before != nil {
		t.Errorf("re-run = %+v", again)
	}
	if n := w.tn.ChangeCount("alice@contoso.com")[sandbox.ChangeAutoReply]; n != 1 {
		t.Errorf("%d auto-reply changes, want 1", n)
	}

	// Turned off through /shared-mailbox, once shared.
	w.tn.SetMailboxType(t.Context(), "alice@contoso.com", mailbox.TypeShared)
	off, err := w.p.Plan(t.Context(), mailbox.Operation{Kind: mailbox.KindAutoReplyOff, Mailbox: "alice@contoso.com"})
	if err != nil || len(off.Blockers()) > 0 || len(off.Steps) != 1 || off.Steps[0].Name != mailbox.StepAutoReplyOff {
		t.Fatalf("off plan = %+v, %v", off, err)
	}
	o := w.run(t, off, false, mailbox.StepAutoReplyOff)[0]
	if o.Status != mailbox.Done || o.Before.AutoReply.State != mailbox.AutoReplyEnabled || mailbox.AutoReplyText(o.Before.AutoReply.InternalMessage) != mailbox.AutoReplyText(mailbox.AutoReplyHTML(text)) {
		t.Errorf("off = %+v, before %+v", o, o.Before)
	}
	if got := w.lastCall(t, "Set-MailboxAutoReplyConfiguration"); !reflect.DeepEqual(got, map[string]string{"Identity": `"alice@contoso.com"`, "AutoReplyState": `"Disabled"`, "Confirm": "false"}) {
		t.Errorf("off parameters = %v", got)
	}
	again2, err := w.p.Plan(t.Context(), mailbox.Operation{Kind: mailbox.KindAutoReplyOff, Mailbox: "alice@contoso.com"})
	if err != nil || len(again2.Steps) != 0 {
		t.Errorf("off again: %+v, %v", again2.Steps, err)
	}
}

func TestAutoReplyTextRefused(t *testing.T) {
	w := newSettingsWorld(t)
	for _, text := range []string{strings.Repeat("x", mailbox.MaxAutoReply+1), "hi\u202eevil", "   "} {
		plan := w.plan(t, mailbox.Options{AutoReply: text})
		if len(plan.Blockers()) == 0 {
			t.Errorf("%q: no blocker", text[:min(len(text), 10)])
		}
	}
}

func TestForwardToInternalRecipient(t *testing.T) {
	w := newSettingsWorld(t)
	plan := w.plan(t, mailbox.Options{ForwardTo: "kim@contoso.com"})
	if len(plan.Blockers()) > 0 {
		t.Fatalf("blockers: %+v", plan.Blockers())
	}
	if !slices.ContainsFunc(plan.Target.People, func(p mailbox.Person) bool { return p.Address == "kim@contoso.com" && p.ID != "" }) {
		t.Errorf("the forward target is not among the people of the plan: %+v", plan.Target.People)
	}
	ben, err := w.p.Beneficiaries(t.Context(), plan)
	if err != nil || !slices.ContainsFunc(ben, func(p mailbox.Principal) bool { return p.Matches("kim@contoso.com") }) {
		t.Errorf("the forward target does not gain access (rule 16): %+v, %v", ben, err)
	}
	out := w.run(t, plan, false, mailbox.StepForward)[0]
	if out.Status != mailbox.Done || out.Before == nil || out.Before.ForwardingAddress != "" {
		t.Fatalf("outcome = %+v", out)
	}
	got := w.lastCall(t, "Set-Mailbox")
	want := map[string]string{"Identity": `"alice@contoso.com"`, "ForwardingAddress": `"kim@contoso.com"`, "ForwardingSmtpAddress": "null",
		"DeliverToMailboxAndForward": "true", "Confirm": "false"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parameters\n got %v\nwant %v", got, want)
	}
	mb, _ := w.f.c.GetMailbox(t.Context(), "alice@contoso.com")
	if mb.ForwardingAddress != "kim@contoso.com" || !mb.DeliverToMailboxAndForward {
		t.Errorf("Get-Mailbox after: %q %v", mb.ForwardingAddress, mb.DeliverToMailboxAndForward)
	}
	if again := w.run(t, plan, false, mailbox.StepForward)[0]; again.Status != mailbox.Skipped {
		t.Errorf("re-run = %+v", again)
	}
	// Planned again now, the live forwarding differs from what was
	// approved: a material change.
	live := w.plan(t, mailbox.Options{ForwardTo: "lee@contoso.com"})
	if live.Fingerprint() == w.plan(t, mailbox.Options{ForwardTo: "kim@contoso.com"}).Fingerprint() {
		t.Error("another forward target, the same fingerprint")
	}
	if cs := mailbox.Changes(plan, w.plan(t, mailbox.Options{ForwardTo: "kim@contoso.com"})); !slices.ContainsFunc(cs, func(c mailbox.Change) bool { return c.What == "forwarding" }) {
		t.Errorf("forwarding set since approval is not a change: %+v", cs)
	}
}

func TestForwardToExternalRefused(t *testing.T) {
	w := newSettingsWorld(t)
	for _, addr := range []string{"someone@gmail.com", "nobody@contoso.com"} {
		plan := w.plan(t, mailbox.Options{ForwardTo: addr})
		b := plan.Blockers()
		if !slices.ContainsFunc(b, func(f mailbox.Finding) bool {
			return f.Rule == 18 && strings.Contains(f.Text, "outbound spam filter policy")
		}) {
			t.Errorf("%s: blockers %+v", addr, b)
		}
		if slices.ContainsFunc(plan.Steps, func(s mailbox.Step) bool { return s.Name == mailbox.StepForward }) {
			t.Errorf("%s: a forward step", addr)
		}
	}
}

func TestHideWarnsWhenSomeoneSends(t *testing.T) {
	w := newSettingsWorld(t)
	plan := w.plan(t, mailbox.Options{Hide: true})
	if slices.ContainsFunc(plan.Findings, func(f mailbox.Finding) bool { return f.Rule == 13 }) {
		t.Errorf("rule 13 warning with nobody sending: %+v", plan.Findings)
	}
	with := w.plan(t, mailbox.Options{Hide: true, SendAs: []string{"kim@contoso.com"}})
	if !slices.ContainsFunc(with.Findings, func(f mailbox.Finding) bool {
		return f.Rule == 13 && f.Severity == mailbox.Warning && strings.Contains(f.Text, "kim@contoso.com")
	}) {
		t.Errorf("no rule 13 warning: %+v", with.Findings)
	}
	if err := w.tn.SetSendOnBehalf(t.Context(), "alice@contoso.com", []string{"lee@contoso.com"}, nil); err != nil {
		t.Fatal(err)
	}
	if p := w.plan(t, mailbox.Options{Hide: true}); !slices.ContainsFunc(p.Findings, func(f mailbox.Finding) bool {
		return f.Rule == 13 && strings.Contains(f.Text, "lee@contoso.com")
	}) {
		t.Errorf("no rule 13 warning for Send on Behalf: %+v", p.Findings)
	}
	out := w.run(t, plan, false, mailbox.StepHide)[0]
	if out.Status != mailbox.Done || out.Before == nil || out.Before.Hidden {
		t.Fatalf("outcome = %+v", out)
	}
	if got := w.lastCall(t, "Set-Mailbox"); !reflect.DeepEqual(got, map[string]string{"Identity": `"alice@contoso.com"`, "HiddenFromAddressListsEnabled": "true", "Confirm": "false"}) {
		t.Errorf("parameters = %v", got)
	}
	if again := w.run(t, plan, false, mailbox.StepHide)[0]; again.Status != mailbox.Skipped {
		t.Errorf("re-run = %+v", again)
	}
}
