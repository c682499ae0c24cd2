package exchange

import (
	"fmt"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/exchange/exchangetest"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// BenchmarkPlanLeaver plans leo@'s conversion over the wire on a tenant
// with 300 more shared mailboxes, pages of 1,000 as Exchange sends them:
// keep-access is the baseline, remove-access adds the three listings and
// one Get-MailboxPermission per shared mailbox. Compare the two in one run.
func BenchmarkPlanLeaver(b *testing.B) {
	tn := sandbox.NewContoso(sandbox.Options{})
	for i := range 300 {
		if err := tn.AddUsers(sandbox.UserSpec{UserPrincipalName: fmt.Sprintf("desk%03d@contoso.com", i),
			RecipientTypeDetails: mailbox.RecipientSharedMailbox}); err != nil {
			b.Fatal(err)
		}
	}
	srv := exchangetest.New(tn, exchangetest.Options{TenantID: tenant, Token: token, PageSize: 1000})
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL(), TenantID: tenant, Credential: &staticCred{token: token}, HTTPClient: srv.Client()})
	if err != nil {
		b.Fatal(err)
	}
	p := &mailbox.Planner{Directory: tn, Exchange: c}
	for _, o := range []struct {
		name string
		opts mailbox.Options
	}{{"keep-access", mailbox.Options{KeepAccess: true}}, {"remove-access", mailbox.Options{RemoveAccess: true}}} {
		b.Run(o.name, func(b *testing.B) {
			op := mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "leo@contoso.com", Options: o.opts}
			for b.Loop() {
				if _, err := p.Plan(b.Context(), op); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
