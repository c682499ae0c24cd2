package bot_test

import (
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
