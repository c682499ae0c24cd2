package words

import (
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

func TestChecking(t *testing.T) {
	for _, tc := range []struct {
		op   mailbox.Operation
		want string
	}{
		{mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: "support@contoso.com", DisplayName: "R&D <Team>", Members: []string{"kim@contoso.com", "<@U0LEE>"}},
			"Checking support@contoso.com for the new shared mailbox “R&amp;D &lt;Team&gt;” with 2 members… I'll answer here in a moment."},
		{mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: "support@contoso.com", DisplayName: "Sales", Options: mailbox.Options{DryRun: true}},
			"Checking support@contoso.com for the new shared mailbox “Sales”… (dry run: nothing will be changed) I'll answer here in a moment."},
		{mailbox.Operation{Kind: mailbox.KindGrant, Mailbox: "info@contoso.com", Trustee: "<@U0KIM>", Right: mailbox.FullAccess},
			"Checking Full Access on info@contoso.com for <@U0KIM>… I'll answer here in a moment."},
		{mailbox.Operation{Kind: mailbox.KindRevoke, Mailbox: "info@contoso.com", Trustee: "kim@contoso.com", Right: mailbox.SendOnBehalf},
			"Checking Send on Behalf on info@contoso.com for kim@contoso.com, to take it away… I'll answer here in a moment."},
		{mailbox.Operation{Kind: mailbox.KindMembers, Mailbox: "info@contoso.com"}, "Checking who may use info@contoso.com… I'll answer here in a moment."},
	} {
		if got := Checking(tc.op); got != tc.want {
			t.Errorf("Checking(%+v) =\n%q, want\n%q", tc.op, got, tc.want)
		}
	}
}
