package bot_test

import (
	"context"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Attacks with a button value that is not the one the message carried
// (a click on another message, a value pasted from another request): the
// value only names the request, and every check is made on it.
func TestAttackForgedButtonValuesDecideNothing(t *testing.T) {
	e := newEnv(t, nil)
	e.command(rita, "rita@contoso.com")
	a := e.request("rita@contoso.com")
	batch := e.askBatch()
	b, err := e.store.GetBatch(context.Background(), batch)
	if err != nil || len(b.RequestIDs) != 2 {
		t.Fatalf("batch %+v %v", b, err)
	}
	before := e.changes()
	for _, c := range []bot.Click{
		// rita approves her own batch by its id, and its member by the member's id.
		{RequestID: batch, Approve: true, User: rita, TeamID: "T0001"},
		{RequestID: b.RequestIDs[0], Approve: true, User: rita, TeamID: "T0001"},
		// maria approves one member of the batch alone, with the fingerprint it has.
		{RequestID: b.RequestIDs[0], Approve: true, User: maria, TeamID: "T0001", Fingerprint: e.get(b.RequestIDs[0]).Fingerprint},
		// maria's Approve of request a carries the batch member's fingerprint.
		{RequestID: a.ID, Approve: true, User: maria, TeamID: "T0001", Fingerprint: e.get(b.RequestIDs[0]).Fingerprint},
		// Someone who is no approver, with the right values.
		{RequestID: a.ID, Approve: true, User: erin, TeamID: "T0001", Fingerprint: a.Fingerprint},
		{RequestID: batch, Approve: true, User: erin, TeamID: "T0001"},
		// A request id that does not exist, and one of another kind of key.
		{RequestID: "req_NOPE", Approve: true, User: maria, TeamID: "T0001"},
		{RequestID: "bat_NOPE", Approve: true, User: maria, TeamID: "T0001"},
	} {
		answers := len(e.notes.answers)
		e.clickAs(c)
		if len(e.notes.answers) == answers {
			t.Errorf("%+v: the clicker was not answered", c)
		}
	}
	e.undecided(before, batch, a.ID)
}

// A form sends all the mailboxes it names in one command (up to the
// form's own bound of 100): the bot's batch limit holds for it as for a
// slash command.
func TestAttackFormWithMoreMailboxesThanAllowed(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.BatchMax = 2 })
	before := e.changes()
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{Op: mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"},
		Mailboxes: []string{"alice@contoso.com", "irene@contoso.com", "jack@contoso.com"},
		User:      rita, TeamID: "T0001", Channel: "C0HELP", TriggerID: "V0FORM"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if !e.answeredTo(rita, "2") || len(e.notes.batchAsks) != 0 || len(e.notes.asks) != 0 {
		t.Errorf("answers %q, asked %v %v", e.notes.answers, e.notes.batchAsks, e.notes.asks)
	}
	if e.changes() != before {
		t.Errorf("the tenant changed: %+v", e.tenant.Changes()[before:])
	}
}
