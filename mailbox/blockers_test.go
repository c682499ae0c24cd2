package mailbox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// noRecipient is Exchange when Get-Recipient does not find an Entra user
// without a mailbox: only Graph knows its user principal name.
type noRecipient struct{ *sandbox.Tenant }

func (noRecipient) RecipientExists(context.Context, string) (bool, error) { return false, nil }

// The blockers of issue 15 carry a rule number, so that the check made
// again before the first change stops the request too.
func TestBlockersOfCreateAndAccessCarryARule(t *testing.T) {
	tn := sharedTenant(t, 0)
	planner := &mailbox.Planner{Directory: tn, Exchange: noRecipient{tn}, Now: func() time.Time { return now }}
	byUPN, err := planner.Plan(context.Background(), create("carol@contoso.com", "Carol's"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    mailbox.Plan
		rule int
		want string
	}{
		{"address of a mailbox", planOp(t, tn, create("sales@contoso.com", "Sales")), 11, "already used"},
		{"user name of an account", byUPN, 11, "already used"},
		{"domain", planOp(t, tn, create("help@contoso.org", "Help")), 11, "not an accepted domain"},
		{"unknown member", planOp(t, tn, create("support@contoso.com", "Support", "nobody@contoso.com")), 12, "not a user"},
		{"grant on a user mailbox", planOp(t, tn, access(mailbox.KindGrant, "alice@contoso.com", "kim@contoso.com", mailbox.FullAccess, mailbox.Options{})), 12, "UserMailbox, not a shared mailbox"},
		{"revoke on a user mailbox", planOp(t, tn, access(mailbox.KindRevoke, "alice@contoso.com", "kim@contoso.com", mailbox.SendAs, mailbox.Options{})), 12, "UserMailbox, not a shared mailbox"},
	} {
		var found bool
		for _, b := range tc.p.Blockers() {
			if strings.Contains(b.Text, tc.want) {
				found = true
				if b.Rule != tc.rule || b.Fix == "" {
					t.Errorf("%s: blocker %+v, want rule %d and a fix", tc.name, b, tc.rule)
				}
			}
		}
		if !found {
			t.Errorf("%s: blockers %+v, want %q", tc.name, tc.p.Blockers(), tc.want)
		}
	}
	if !byUPN.Target.AddressTaken {
		t.Error("a taken address is not recorded as a fact")
	}
}
