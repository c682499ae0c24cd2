package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The request commands and the reminder (issue 5).

func (e *env) requestCommand(user, action, id string) string {
	e.t.Helper()
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{Action: action, RequestID: id, User: user, TeamID: "T0001", Channel: "C0HELP"}); err != nil {
		e.t.Fatal(err)
	}
	e.drain()
	return e.notes.lastAnswer(e.t)
}

func TestStatusAndList(t *testing.T) {
	e := newEnv(t, nil)
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	if got := e.requestCommand(rita, bot.CommandStatus, r.ID); !strings.Contains(got, "waiting for approval") {
		t.Errorf("status: %s", got)
	}
	if got := e.requestCommand(erin, bot.CommandStatus, r.ID); !strings.Contains(got, "Only the requester") {
		t.Errorf("status by a stranger: %s", got)
	}
	if got := e.requestCommand(rita, bot.CommandStatus, "req_NOSUCH00"); !strings.Contains(got, "I don't know request") {
		t.Errorf("unknown: %s", got)
	}
	if got := e.requestCommand(maria, bot.CommandList, ""); !strings.Contains(got, "Waiting for your decision") || !strings.Contains(got, r.ID) {
		t.Errorf("list of the approver: %s", got)
	}
	if got := e.requestCommand(rita, bot.CommandList, ""); !strings.Contains(got, "Your recent requests") || !strings.Contains(got, r.ID) {
		t.Errorf("list of the requester: %s", got)
	}
	if got := e.requestCommand(erin, bot.CommandList, ""); !strings.Contains(got, "You have no requests") {
		t.Errorf("list of someone else: %s", got)
	}
}

func TestCancelWhilePendingOrScheduled(t *testing.T) {
	e := newEnv(t, nil)
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	if got := e.requestCommand(maria, bot.CommandCancel, r.ID); !strings.Contains(got, "Only <@U0RITA>") {
		t.Errorf("cancel by the approver: %s", got)
	}
	if got := e.requestCommand(rita, bot.CommandCancel, r.ID); !strings.Contains(got, "is cancelled") {
		t.Fatalf("cancel: %s", got)
	}
	if got := e.get(r.ID); got.State != bot.StateCancelled || e.notes.updates[bot.MessageRef{Channel: "D" + maria, TS: "1"}] != bot.StateCancelled {
		t.Fatalf("state %s, approval message %v", got.State, e.notes.updates)
	}
	e.click(maria, r.ID, true)
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "was cancelled") {
		t.Errorf("click after cancel: %s", got)
	}
	// A scheduled request can be cancelled after approval, until it starts.
	at := e.clock.Now().Add(2 * time.Hour)
	r = e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com", Options: mailbox.Options{At: at}})
	e.click(maria, r.ID, true)
	if got := e.requestCommand(rita, bot.CommandCancel, r.ID); !strings.Contains(got, "is cancelled") {
		t.Fatalf("cancel of a scheduled request: %s", got)
	}
	e.clock.Add(3 * time.Hour)
	e.drain()
	if len(e.tenant.Changes()) != 0 {
		t.Errorf("a cancelled request ran: %+v", e.tenant.Changes())
	}
	// Once it runs, it can no longer be cancelled.
	r = e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	e.click(maria, r.ID, true)
	if got := e.requestCommand(rita, bot.CommandCancel, r.ID); !strings.Contains(got, "can no longer be cancelled") {
		t.Errorf("cancel of running work: %s", got)
	}
}

func TestReminderOnceAtHalfTime(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.ApprovalTimeout = 4 * time.Hour })
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	e.clock.Add(2*time.Hour - time.Second)
	e.drain()
	if len(e.notes.reminders) != 0 {
		t.Fatal("reminded early")
	}
	e.clock.Add(time.Second)
	e.drain()
	if len(e.notes.reminders) != 1 || e.notes.reminders[0] != maria+": "+r.ID {
		t.Fatalf("reminders %v", e.notes.reminders)
	}
	// A second reminder job (a retry of the queue) reminds no one again.
	if err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobRemind, RequestID: r.ID}); err != nil {
		t.Fatal(err)
	}
	if len(e.notes.reminders) != 1 {
		t.Errorf("reminded twice: %v", e.notes.reminders)
	}
	e.clock.Add(2 * time.Hour)
	e.drain()
	if e.get(r.ID).State != bot.StateExpired || !e.notes.told("expired") {
		t.Errorf("expiry after the reminder: %s", e.get(r.ID).State)
	}
	// A decided request is not reminded.
	e2 := newEnv(t, func(c *bot.Config) { c.ApprovalTimeout = 4 * time.Hour })
	r2 := e2.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	e2.click(maria, r2.ID, false)
	e2.clock.Add(3 * time.Hour)
	e2.drain()
	if len(e2.notes.reminders) != 0 {
		t.Errorf("a rejected request was reminded: %v", e2.notes.reminders)
	}
}

// Who may ask is configuration; anyone else is told who may.
func TestOnlyAllowedRequesters(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) {
		c.Requesters = map[mailbox.Kind][]string{mailbox.KindConvertToShared: {"S0HELPDESK"}} // rita and erin
		c.ExtraApprovers = map[mailbox.Kind][]string{mailbox.KindConvertToShared: {admin}}
	})
	if got := e.askOnly(maria, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "erin@contoso.com"}); !strings.Contains(got, "You may not ask for this; <@U0RITA> or <@U0ERIN> may.") {
		t.Errorf("maria: %s", got)
	}
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	// The owner's manager, plus the extra approver of the kind.
	if len(r.Approvers) != 2 || r.Approvers[0] != maria || r.Approvers[1] != admin {
		t.Errorf("approvers %v", r.Approvers)
	}
}
