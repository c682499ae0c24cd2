package bot_test

import (
	"context"
	"slices"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Rule 16: the person mail is forwarded to reads every new message, so
// they gain access and may not approve: the owner's manager, named as the
// forward target, is passed over, and their click does not approve.
func TestForwardTargetCannotApprove(t *testing.T) {
	e := newEnv(t, nil)
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com",
		Options: mailbox.Options{ForwardTo: "maria@contoso.com"}})
	if slices.Contains(r.Approvers, maria) || !slices.Contains(r.Approvers, admin) {
		t.Fatalf("approvers %q", r.Approvers)
	}
	if !slices.Contains(r.Beneficiaries, "maria@contoso.com") {
		t.Errorf("beneficiaries %q", r.Beneficiaries)
	}
	e.click(maria, r.ID, true)
	if got := e.get(r.ID); got.State != bot.StatePending {
		t.Errorf("the forward target's click: %s", got.State)
	}
}

// /shared-mailbox auto-reply … off goes through the lifecycle like any
// change: approved, run, and the automatic reply is off.
func TestAutoReplyOffThroughTheBot(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if err := e.tenant.SetAutoReply(ctx, "info@contoso.com", mailbox.AutoReply{State: mailbox.AutoReplyEnabled,
		InternalMessage: "Closed", ExternalMessage: "Closed", ExternalAudience: "All"}); err != nil {
		t.Fatal(err)
	}
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindAutoReplyOff, Mailbox: "info@contoso.com"})
	if len(r.Approvers) == 0 || slices.Contains(r.Approvers, rita) {
		t.Fatalf("approvers %q", r.Approvers)
	}
	e.click(r.Approvers[0], r.ID, true)
	if r = e.untilSettled(r.ID); r.State != bot.StateSucceeded {
		t.Fatalf("state %s: %s", r.State, r.Failure)
	}
	if a, _ := e.tenant.AutoReply(ctx, "info@contoso.com"); a.State != mailbox.AutoReplyDisabled {
		t.Errorf("auto-reply %+v", a)
	}
	if st := r.Steps[0]; st.Name != mailbox.StepAutoReplyOff || st.Before == nil || st.Before.AutoReply.State != mailbox.AutoReplyEnabled {
		t.Errorf("step %+v", st)
	}
}
