package mailbox_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// nestedContoso is Contoso with the group Sales Leads, holding mo@, nested
// in Sales Team Members (kim@, lee@), and the empty group Board nested in
// Sales Leads.
func nestedContoso(t *testing.T) *sandbox.Tenant {
	t.Helper()
	tn := sharedTenant(t, 0)
	leads := sandbox.Group{ID: "5a1e5000-0000-4000-8000-000000000001", DisplayName: "Sales Leads"}
	board := sandbox.Group{ID: "5a1e5000-0000-4000-8000-000000000002", DisplayName: "Board"}
	if err := tn.AddUsers(sandbox.UserSpec{UserPrincipalName: "mo@contoso.com", DisplayName: "Mo", MemberOf: []sandbox.Group{leads}}); err != nil {
		t.Fatal(err)
	}
	if err := tn.AddGroup(board); err != nil {
		t.Fatal(err)
	}
	for _, n := range [][2]string{{sandbox.ContosoSalesTeamGroupID, leads.ID}, {leads.ID, board.ID}} {
		if err := tn.AddGroupMember(n[0], n[1]); err != nil {
			t.Fatal(err)
		}
	}
	return tn
}

func beneficiaries(t *testing.T, tn *sandbox.Tenant, p mailbox.Plan) []string {
	t.Helper()
	planner := &mailbox.Planner{Directory: tn, Exchange: tn}
	got, err := planner.Beneficiaries(context.Background(), p)
	if err != nil {
		t.Fatalf("%s: %v", p.Op.Kind, err)
	}
	var upns []string
	for _, pr := range got {
		if pr.ID == "" || pr.Via == "" {
			t.Errorf("principal %+v", pr)
		}
		upns = append(upns, pr.UserPrincipalName)
	}
	return upns
}

func TestBeneficiaries(t *testing.T) {
	tn := nestedContoso(t)
	for _, tc := range []struct {
		name string
		op   mailbox.Operation
		want []string
	}{
		{"grant to a group, nested groups expanded", access(mailbox.KindGrant, "info@contoso.com", "sales-team@contoso.com", mailbox.SendAs, mailbox.Options{}),
			[]string{"kim@contoso.com", "lee@contoso.com", "mo@contoso.com"}},
		{"each member", access(mailbox.KindGrant, "info@contoso.com", "sales-team@contoso.com", mailbox.FullAccess, mailbox.Options{EachMember: true}),
			[]string{"kim@contoso.com", "lee@contoso.com", "mo@contoso.com"}},
		{"grant to a person", access(mailbox.KindGrant, "info@contoso.com", "Rita@Contoso.com", mailbox.SendOnBehalf, mailbox.Options{}),
			[]string{"rita@contoso.com"}},
		{"revoke", access(mailbox.KindRevoke, "info@contoso.com", "sales-team@contoso.com", mailbox.SendAs, mailbox.Options{}), nil},
		{"create", create("support@contoso.com", "Support", "lee@contoso.com", "grace@contoso.com"),
			[]string{"grace@contoso.com", "lee@contoso.com"}},
		{"to shared", toShared("alice@contoso.com", mailbox.Options{FullAccess: []string{"maria@contoso.com"}, SendAs: []string{"rita@contoso.com"}}),
			[]string{"maria@contoso.com", "rita@contoso.com"}},
		{"to regular", mailbox.Operation{Kind: mailbox.KindConvertToRegular, Mailbox: "bob@contoso.com"}, []string{"bob@contoso.com"}},
	} {
		got := beneficiaries(t, tn, planOp(t, tn, tc.op))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A trustee that no longer resolves leaves who gains access unknown: an
// error, never an empty list.
func TestBeneficiariesUnknownIsAnError(t *testing.T) {
	tn := sharedTenant(t, 0)
	p := planOp(t, tn, access(mailbox.KindGrant, "info@contoso.com", "kim@contoso.com", mailbox.FullAccess, mailbox.Options{}))
	p.Op.Trustee = "nobody@contoso.com"
	planner := &mailbox.Planner{Directory: tn, Exchange: tn}
	if got, err := planner.Beneficiaries(context.Background(), p); err == nil {
		t.Errorf("unknown trustee: %+v, no error", got)
	}
	broken := &mailbox.Planner{Directory: failingMembers{tn}, Exchange: tn}
	p.Op.Trustee = "sales-team@contoso.com"
	if _, err := broken.Beneficiaries(context.Background(), p); !errors.Is(err, mailbox.ErrThrottled) {
		t.Errorf("members unreadable: err = %v, want ErrThrottled", err)
	}
}

type failingMembers struct{ *sandbox.Tenant }

func (failingMembers) TransitiveMembers(context.Context, string) ([]mailbox.Principal, error) {
	return nil, &mailbox.RemoteError{Service: "graph", Status: 429, Code: "TooManyRequests"}
}

func TestPrincipalMatches(t *testing.T) {
	p := mailbox.Principal{UserPrincipalName: "kim.king@contoso.onmicrosoft.com", Mail: "Kim@Contoso.com",
		ProxyAddresses: []string{"SMTP:kim@contoso.com", "smtp:k.king@contoso.com", "SIP:kim.sip@contoso.com", "x500:/o=kim"}}
	for email, want := range map[string]bool{
		"kim.king@contoso.onmicrosoft.com": true,
		"KIM@contoso.com":                  true,
		" kim@contoso.com ":                true,
		"k.king@CONTOSO.com":               true,
		"kim.sip@contoso.com":              false,
		"/o=kim":                           false,
		"lee@contoso.com":                  false,
		"":                                 false,
	} {
		if got := p.Matches(email); got != want {
			t.Errorf("Matches(%q) = %v, want %v", email, got, want)
		}
	}
	if (mailbox.Principal{}).Matches("") {
		t.Error("an empty principal matches an empty address")
	}
}

// Rule 16 with an alias: a person granted by their user name is matched by
// any of their addresses, as Graph lists them (proxyAddresses), so an
// approver whose Slack e-mail is an alias is still recognised.
func TestBeneficiaryNamedDirectlyMatchesTheirAliases(t *testing.T) {
	tn := sharedTenant(t, 0)
	if err := tn.AddUsers(sandbox.UserSpec{UserPrincipalName: "bob.smith@contoso.com", DisplayName: "Bob Smith",
		Aliases: []string{"bob@contoso.com"}}); err != nil {
		t.Fatal(err)
	}
	planner := &mailbox.Planner{Directory: tn, Exchange: tn}
	op := access(mailbox.KindGrant, "info@contoso.com", "bob.smith@contoso.com", mailbox.FullAccess, mailbox.Options{})
	got, err := planner.Beneficiaries(context.Background(), mailbox.Plan{Op: op})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].Matches("BOB@contoso.com") || !got[0].Matches("bob.smith@contoso.com") || got[0].Matches("rob@contoso.com") {
		t.Fatalf("beneficiaries %+v: bob is not matched by his alias", got)
	}
}
