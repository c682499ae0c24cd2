package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// Issue 16: a leaver converted with the bot's defaults for remove-access
// and manager-access. leo@ (Contoso) holds Full Access on projects@, Send
// As on billing@ and Send on Behalf on hr@; his manager is maria@.

func leaverDefaults(c *bot.Config) { c.LeaverRemoveAccess, c.LeaverManagerAccess = true, true }

func TestLeaverRemoveAccessAndManagerAccess(t *testing.T) {
	e := newEnv(t, leaverDefaults)
	e.command(rita, "leo@contoso.com")
	r := e.request("leo@contoso.com")
	if !r.Op.Options.RemoveAccess || !r.Op.Options.ManagerAccess {
		t.Fatalf("the bot's defaults not recorded in the request: %+v", r.Op.Options)
	}
	// The manager gains access, so the configured approvers decide, and
	// the plan says why.
	if !slices.Equal(r.Approvers, []string{admin}) || r.ApproverSource != bot.SourceConfigured {
		t.Fatalf("approvers %v (%s), want the configured approver", r.Approvers, r.ApproverSource)
	}
	if !slices.ContainsFunc(r.Plan.Findings, func(f mailbox.Finding) bool { return strings.Contains(f.Text, "the approvers decide") }) {
		t.Errorf("the plan does not say why the approvers decide: %+v", r.Plan.Findings)
	}
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "the owner's manager would get the access") {
		t.Errorf("answer %q: want why the manager is not asked", got)
	}
	var removals []string
	for _, s := range r.Plan.Steps {
		if s.On != "" {
			removals = append(removals, string(s.Name)+" "+s.On)
		}
	}
	if len(removals) != 3 {
		t.Fatalf("removals %q, want three", removals)
	}
	e.click(admin, r.ID, true)
	r = e.untilSettled(r.ID)
	if r.State != bot.StateSucceeded {
		t.Fatalf("state %s %q, steps %+v", r.State, r.Failure, r.Steps)
	}
	for _, mb := range []string{"projects@contoso.com", "billing@contoso.com", "hr@contoso.com"} {
		eachOnce(t, e.tenant, mb, 1)
	}
	if auto, ok := e.tenant.FullAccessAutoMapping("leo@contoso.com", "maria@contoso.com"); !ok || !auto {
		t.Errorf("maria's Full Access: granted %v, automapping %v", ok, auto)
	}
}

// keep-access, and no-manager-access, win over the bot's defaults.
func TestLeaverOptionsWinOverDefaults(t *testing.T) {
	e := newEnv(t, leaverDefaults)
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "leo@contoso.com",
		Options: mailbox.Options{KeepAccess: true, NoManagerAccess: true}})
	if r.Op.Options.RemoveAccess || r.Op.Options.ManagerAccess {
		t.Errorf("options %+v: the defaults overrode what the requester said", r.Op.Options)
	}
	if slices.ContainsFunc(r.Plan.Steps, func(s mailbox.Step) bool { return s.On != "" || strings.Contains(s.Arg, "maria") }) {
		t.Errorf("steps %+v", r.Plan.Steps)
	}
	if !slices.Equal(r.Approvers, []string{maria}) {
		t.Errorf("approvers %v, want the manager", r.Approvers)
	}
}

// At run time the world may have changed: a right removed since is
// skipped, saying so; a right found since is not taken away unasked: the
// request stops before its first change.
func TestLeaverRecheckSeesAChangedWorld(t *testing.T) {
	t.Run("removed since", func(t *testing.T) {
		e := newEnv(t, func(c *bot.Config) { c.LeaverRemoveAccess = true })
		e.command(rita, "leo@contoso.com")
		r := e.request("leo@contoso.com")
		if err := e.tenant.RemoveSendAs(context.Background(), "billing@contoso.com", "leo@contoso.com"); err != nil {
			t.Fatal(err)
		}
		e.click(maria, r.ID, true)
		r = e.untilSettled(r.ID)
		if r.State != bot.StateSucceeded {
			t.Fatalf("state %s %q", r.State, r.Failure)
		}
		i := slices.IndexFunc(r.Steps, func(s bot.StepState) bool { return s.On == "billing@contoso.com" })
		if st := r.Steps[i]; st.Status != mailbox.Skipped || !strings.Contains(st.Detail, "did not have") {
			t.Errorf("the removal of a right gone since: %+v", st)
		}
	})
	t.Run("added since", func(t *testing.T) {
		e := newEnv(t, func(c *bot.Config) { c.LeaverRemoveAccess = true })
		e.command(rita, "leo@contoso.com")
		r := e.request("leo@contoso.com")
		if err := e.tenant.AddFullAccess(context.Background(), "sales@contoso.com", "leo@contoso.com", true); err != nil {
			t.Fatal(err)
		}
		e.click(maria, r.ID, true)
		e.stopped(e.untilSettled(r.ID), maria, "sales@contoso.com")
		if _, ok := e.tenant.FullAccessAutoMapping("sales@contoso.com", "leo@contoso.com"); !ok {
			t.Error("the right found since was taken away unasked")
		}
		if c := e.tenant.ChangeCount("leo@contoso.com"); len(c) != 0 {
			t.Errorf("leo@ was changed: %v", c)
		}
	})
}

// On a tenant with many shared mailboxes the requester sees how far the
// plan went, a few times, each answer replacing the last.
func TestLeaverPlanProgress(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.LeaverRemoveAccess = true })
	for i := range 60 {
		if err := e.tenant.AddUsers(sandbox.UserSpec{UserPrincipalName: fmt.Sprintf("team%02d@contoso.com", i),
			RecipientTypeDetails: mailbox.RecipientSharedMailbox}); err != nil {
			t.Fatal(err)
		}
	}
	e.command(rita, "leo@contoso.com")
	var progress []string
	for _, a := range e.notes.answers {
		if strings.Contains(a, "mailboxes read…") {
			progress = append(progress, a)
		}
	}
	if len(progress) == 0 || len(progress) > 3 {
		t.Fatalf("progress answers %q: want one to three", progress)
	}
	if last := e.notes.lastAnswer(t); !strings.Contains(last, "Request `req_") {
		t.Errorf("the plan's answer did not come last: %q", last)
	}
}
