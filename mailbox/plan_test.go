package mailbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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
	if p.Target.SizeBytes == 0 {
		t.Error("the size was not measured (rule 2)")
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

// Each step reads the state first: run again (as after a crash, with
// Since set to when the first attempt began), it changes the tenant once.
// Revoking sessions has no state of its own to read; the re-run reads
// signInSessionsValidFromDateTime, which the first revocation set.
func TestStepsAreIdempotent(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	tn := sandbox.NewContoso(sandbox.Options{Now: func() time.Time { return now }})
	p, err := plan(t, tn, "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	ex := &mailbox.Executor{Directory: tn, Exchange: tn}
	began := now.Add(-time.Second) // Microsoft's clock a second behind ours is fine
	for round := range 2 {
		for _, s := range p.Steps {
			if round == 1 {
				s.Since = began
			}
			out, err := ex.Run(context.Background(), p.Target, s, false)
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
	var changes []string
	for _, c := range tn.Changes() {
		changes = append(changes, string(c.Kind))
	}
	// revoke sessions, block sign-in, convert, remove the license: once each.
	if len(changes) != 4 {
		t.Errorf("changes %v, want 4", changes)
	}

	// A revocation older than the re-run's first attempt (less 5 s of
	// clock skew) was someone else's, even 30 s before: the step revokes
	// again.
	revoke := p.Steps[0]
	if revoke.Name != mailbox.StepRevokeSessions {
		t.Fatalf("first step %s", revoke.Name)
	}
	revoke.Since = now.Add(30 * time.Second)
	now = now.Add(time.Minute)
	if out, err := ex.Run(context.Background(), p.Target, revoke, false); err != nil || out.Status != mailbox.Done {
		t.Errorf("re-run after an older revocation: %v %v, want done", out, err)
	}
	if n := tn.ChangeCount("alice@contoso.com")[sandbox.ChangeSessionsRevoked]; n != 2 {
		t.Errorf("sessions revoked %d times, want 2", n)
	}
}
