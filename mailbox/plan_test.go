package mailbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

func TestParseAddress(t *testing.T) {
	for in, want := range map[string]string{
		"alice@contoso.com":                            "alice@contoso.com",
		"  Alice@Contoso.COM ":                         "alice@contoso.com",
		"<mailto:alice@contoso.com|alice@contoso.com>": "alice@contoso.com",
		"first.last+tag@sub.contoso.co.uk":             "first.last+tag@sub.contoso.co.uk",
		"o'brien@contoso.com":                          "o'brien@contoso.com",
	} {
		if got, err := mailbox.ParseAddress(in); err != nil || got != want {
			t.Errorf("ParseAddress(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "alice", "alice@", "@contoso.com", "alice@contoso", "alice@.contoso.com",
		"alice@contoso..com", "alice@contoso.com.", "Alice <alice@contoso.com>", "a b@contoso.com",
		"alice@contoso.com bob@contoso.com", "alice@contoso.com;", "\"alice\"@contoso.com", strings.Repeat("a", 250) + "@contoso.com"} {
		if got, err := mailbox.ParseAddress(in); !errors.Is(err, mailbox.ErrInvalidAddress) {
			t.Errorf("ParseAddress(%q) = %q, %v; want ErrInvalidAddress", in, got, err)
		}
	}
}

func TestRemoteErrorIs(t *testing.T) {
	for _, tc := range []struct {
		e      mailbox.RemoteError
		target error
		want   bool
	}{
		{mailbox.RemoteError{Status: 404, Code: "Request_ResourceNotFound"}, mailbox.ErrNotFound, true},
		{mailbox.RemoteError{Status: 400, Code: "NotFound"}, mailbox.ErrNotFound, true},
		{mailbox.RemoteError{Status: 429}, mailbox.ErrThrottled, true},
		{mailbox.RemoteError{Status: 403}, mailbox.ErrForbidden, true},
		{mailbox.RemoteError{Status: 500}, mailbox.ErrNotFound, false},
	} {
		var err error = &tc.e
		if got := errors.Is(err, tc.target); got != tc.want {
			t.Errorf("%+v Is %v = %v", tc.e, tc.target, got)
		}
	}
	if !(&mailbox.RemoteError{Status: 503}).Temporary() || (&mailbox.RemoteError{Status: 400}).Temporary() {
		t.Error("Temporary wrong")
	}
}

func plan(t *testing.T, tn *sandbox.Tenant, addr string) (mailbox.Plan, error) {
	t.Helper()
	p := &mailbox.Planner{Directory: tn, Exchange: tn}
	return p.Plan(context.Background(), mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: addr})
}

func blockerRules(p mailbox.Plan) []int {
	var r []int
	for _, f := range p.Blockers() {
		r = append(r, f.Rule)
	}
	return r
}

func TestPlanConvertToShared(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	p, err := plan(t, tn, "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Blockers()) != 0 || p.Target.DisplayName != "Alice Andersen" || p.Target.RecipientTypeDetails != "UserMailbox" ||
		p.Target.ManagerEmail != "maria@contoso.com" || p.Target.UserID == "" {
		t.Errorf("plan: %+v", p)
	}
	var names []mailbox.StepName
	for _, s := range p.Steps {
		names = append(names, s.Name)
	}
	if len(names) != 3 || names[0] != mailbox.StepConvertToShared || names[1] != mailbox.StepVerifyShared || names[2] != mailbox.StepBlockSignIn {
		t.Errorf("steps %v", names)
	}
}

// Rule 1: a mailbox without a license is not offered for conversion.
func TestRule1LicenseRequired(t *testing.T) {
	p, err := plan(t, sandbox.NewContoso(sandbox.Options{}), "carol@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if r := blockerRules(p); len(r) != 1 || r[0] != 1 || !strings.Contains(p.Blockers()[0].Fix, "Assign the license back") {
		t.Errorf("blockers %+v", p.Blockers())
	}
}

// Rule 8: a synchronised account is refused with the on-premises command.
func TestRule8OnPremisesSynced(t *testing.T) {
	p, err := plan(t, sandbox.NewContoso(sandbox.Options{}), "dave@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if r := blockerRules(p); len(r) != 1 || r[0] != 8 ||
		!strings.Contains(p.Blockers()[0].Fix, "Set-RemoteMailbox -Identity dave@contoso.com -Type Shared") {
		t.Errorf("blockers %+v", p.Blockers())
	}
}

func TestPlanRefusesWhatCannotBeConverted(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	p, err := plan(t, tn, "bob@contoso.com")
	if err != nil || len(p.Blockers()) != 1 || !strings.Contains(p.Blockers()[0].Text, "already a shared mailbox") {
		t.Errorf("shared: %v %+v", err, p.Blockers())
	}
	if _, err := plan(t, tn, "nobody@contoso.com"); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	if _, err := tn.AddUser(sandbox.UserSpec{UserPrincipalName: "nomail@contoso.com", DisplayName: "No Mail", NoMailbox: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := plan(t, tn, "nomail@contoso.com"); !errors.Is(err, mailbox.ErrNoMailbox) {
		t.Errorf("no mailbox: %v", err)
	}
}

// Rules 5 and 7 are told, not enforced: the account is kept, inbox rules stay.
func TestRules5And7AreTold(t *testing.T) {
	p, err := plan(t, sandbox.NewContoso(sandbox.Options{}), "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	rules := map[int]bool{}
	for _, f := range p.Findings {
		if f.Severity == mailbox.Info {
			rules[f.Rule] = true
		}
	}
	if !rules[5] || !rules[7] {
		t.Errorf("findings %+v", p.Findings)
	}
}

// Each step reads the state first: run twice, it changes the tenant once.
func TestStepsAreIdempotent(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	p, err := plan(t, tn, "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	ex := &mailbox.Executor{Directory: tn, Exchange: tn}
	for round := range 2 {
		for _, s := range p.Steps {
			out, err := ex.Run(context.Background(), p.Target, s)
			if err != nil {
				t.Fatal(err)
			}
			want := mailbox.Done
			if round == 1 && s.Name != mailbox.StepVerifyShared {
				want = mailbox.Skipped
			}
			if out.Status != want {
				t.Errorf("round %d %s: %s (%s), want %s", round, s.Name, out.Status, out.Detail, want)
			}
		}
	}
	if n := len(tn.Changes()); n != 2 {
		t.Errorf("%d changes, want 2", n)
	}
}
