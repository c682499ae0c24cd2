package mailbox_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// undoPlan plans the undo of a request of kind on mbx that did done and
// found before.
func undoPlan(t *testing.T, tn *sandbox.Tenant, kind mailbox.Kind, mbx string, before mailbox.Target, done ...mailbox.Step) mailbox.Plan {
	t.Helper()
	op, ok := mailbox.UndoOperation("req_ORIGINAL", mailbox.Operation{Kind: kind, Mailbox: mbx}, before, done)
	if !ok {
		t.Fatalf("%s cannot be undone", kind)
	}
	p, err := (&mailbox.Planner{Directory: tn, Exchange: tn}).Plan(context.Background(), op)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func blockedBy(p mailbox.Plan, text string) bool {
	return slices.ContainsFunc(p.Blockers(), func(f mailbox.Finding) bool { return strings.Contains(f.Text, text) })
}

// The bot never deletes (rule 5): the undo of a recovered account is
// refused, not a deletion.
func TestUndoOfARecoveryIsRefused(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	p := undoPlan(t, tn, mailbox.KindConvertToShared, "bob@contoso.com", mailbox.Target{UserPrincipalName: "bob@contoso.com"},
		mailbox.Step{Name: mailbox.StepRestoreUser, Arg: "deleted-id"}, mailbox.Step{Name: mailbox.StepConvertToShared})
	if !blockedBy(p, "would delete the account again") {
		t.Errorf("findings %+v steps %+v", p.Findings, p.Steps)
	}
}

// A mailbox deleted and made again at the address is not the one the
// request changed: nothing of it is undone there.
func TestUndoOfAnotherMailboxIsRefused(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	p := undoPlan(t, tn, mailbox.KindConvertToShared, "bob@contoso.com",
		mailbox.Target{UserPrincipalName: "bob@contoso.com", ExchangeGUID: "00000000-dead-beef-0000-000000000000"},
		mailbox.Step{Name: mailbox.StepConvertToShared})
	if !blockedBy(p, "is not the mailbox `req_ORIGINAL` changed") || len(p.Steps) != 0 {
		t.Errorf("findings %+v steps %+v", p.Findings, p.Steps)
	}
}

// The undo's plan is fingerprinted with what it undoes: the same steps
// undoing another request are another plan, and so is the same plan
// without the undo.
func TestUndoFingerprint(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	grant := mailbox.Step{Name: mailbox.StepGrantSendAs, Arg: "kim@contoso.com"}
	tn.AddSendAs(context.Background(), "sales@contoso.com", "kim@contoso.com")
	a := undoPlan(t, tn, mailbox.KindGrant, "sales@contoso.com", mailbox.Target{}, grant)
	b := a
	u := *a.Op.Undo
	u.Of = "req_OTHERONE"
	b.Op.Undo = &u
	if a.Fingerprint() == b.Fingerprint() {
		t.Error("the request undone is not in the fingerprint")
	}
	c := a
	c.Op.Undo = nil
	if a.Fingerprint() == c.Fingerprint() || len(mailbox.Changes(a, b)) == 0 {
		t.Error("an undo and the same plan without it are not told apart")
	}
}
