package exchange

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/exchange/exchangetest"
	"github.com/mailboxbot/mailboxbot/mailbox/mailboxtest"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// bigTenant is Contoso with n more shared mailboxes; leo@ holds Send As on
// every third, Send on Behalf on every fifth (listed by his name) and Full
// Access on the last one, besides his rights on projects@, billing@ and hr@.
// It returns the removals a plan must have, as "step on".
func bigTenant(t *testing.T, n int) (*sandbox.Tenant, []string) {
	t.Helper()
	tn := sandbox.NewContoso(sandbox.Options{})
	want := []string{"revoke_full_access projects@contoso.com", "revoke_send_as billing@contoso.com", "revoke_send_on_behalf hr@contoso.com"}
	for i := range n {
		addr := fmt.Sprintf("team%03d@contoso.com", i)
		spec := sandbox.UserSpec{UserPrincipalName: addr, DisplayName: fmt.Sprintf("Team %03d", i), SignInBlocked: true,
			RecipientTypeDetails: mailbox.RecipientSharedMailbox}
		if i%5 == 0 {
			spec.GrantSendOnBehalfTo = []string{"Leo Lane"}
			want = append(want, "revoke_send_on_behalf "+addr)
		}
		if err := tn.AddUsers(spec); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if err := tn.AddSendAs(t.Context(), addr, "leo@contoso.com"); err != nil {
				t.Fatal(err)
			}
			want = append(want, "revoke_send_as "+addr)
		}
		if i == n-1 {
			if err := tn.AddFullAccess(t.Context(), addr, "leo@contoso.com", true); err != nil {
				t.Fatal(err)
			}
			want = append(want, "revoke_full_access "+addr)
		}
	}
	slices.Sort(want)
	return tn, want
}

// A leaver's rights on other mailboxes are found over the wire on a tenant
// with more mailboxes than a page holds, with Exchange throttling now and
// then, each once; removed once each, and found no more after.
func TestRemoveAccessAcrossPages(t *testing.T) {
	tn, want := bigTenant(t, 40)
	f := setup(t, tn, exchangetest.Options{PageSize: 7}, nil)
	f.srv.FailEvery(9, 429, "2")
	p := &mailbox.Planner{Directory: tn, Exchange: f.c}
	var progress [][2]int
	ctx := mailbox.WithProgress(t.Context(), func(done, total int) { progress = append(progress, [2]int{done, total}) })
	op := mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "leo@contoso.com", Options: mailbox.Options{RemoveAccess: true}}
	plan, err := p.Plan(ctx, op)
	if err != nil {
		t.Fatal(err)
	}
	if got := mailboxtest.Removals(plan); !slices.Equal(got, want) {
		t.Fatalf("removals:\n got %q\nwant %q", got, want)
	}
	if len(plan.Blockers()) > 0 {
		t.Fatalf("blockers: %+v", plan.Blockers())
	}

	// Every listing really was paged, and throttling was waited out.
	pages := map[string]int{}
	for _, c := range f.srv.Calls() {
		if c.SkipToken != "" {
			pages[c.Cmdlet]++
		}
	}
	if pages["Get-Mailbox"] < 2 || pages["Get-RecipientPermission"] < 1 {
		t.Errorf("later pages asked for: %v; want the shared mailboxes and the Send As listing paged", pages)
	}
	if len(f.sl.got()) == 0 || f.srv.FaultCounts().Injected == 0 {
		t.Errorf("no throttling answered and waited out: sleeps %v, faults %+v", f.sl.got(), f.srv.FaultCounts())
	}
	if len(progress) == 0 || progress[len(progress)-1][0] != progress[len(progress)-1][1] {
		t.Errorf("progress %v: want reports up to the total", progress)
	}

	// The Send on Behalf filter names the distinguished name, as
	// Microsoft's filter needs.
	i := slices.IndexFunc(f.srv.Calls(), func(c exchangetest.Call) bool { _, ok := c.Parameters["Filter"]; return ok })
	if i < 0 {
		t.Fatal("no Get-Mailbox -Filter call")
	}
	if got, dn := f.srv.Calls()[i].Parameters["Filter"], sandbox.DistinguishedName("leo", "leo@contoso.com"); got != "GrantSendOnBehalfTo -eq '"+dn+"'" {
		t.Errorf("filter %q, want the DN %q", got, dn)
	}

	// The removal steps run once each; run again they find nothing to do.
	f.srv.FailEvery(0, 0, "")
	x := &mailbox.Executor{Directory: tn, Exchange: f.c}
	for _, s := range plan.Steps {
		if s.On == "" {
			continue
		}
		o, err := x.Run(t.Context(), plan.Target, s, true)
		if err != nil || o.Status != mailbox.Skipped || !strings.Contains(o.Detail, "would send") || !strings.Contains(o.Detail, s.On) {
			t.Fatalf("dry run of %s on %s: %+v %v", s.Name, s.On, o, err)
		}
	}
	before := len(tn.Changes())
	for _, s := range plan.Steps {
		if s.On == "" {
			continue
		}
		if o, err := x.Run(t.Context(), plan.Target, s, false); err != nil || o.Status != mailbox.Done {
			t.Fatalf("%s on %s: %+v %v", s.Name, s.On, o, err)
		}
		if o, err := x.Run(t.Context(), plan.Target, s, false); err != nil || o.Status != mailbox.Skipped {
			t.Fatalf("%s on %s again: %+v %v", s.Name, s.On, o, err)
		}
	}
	if got := len(tn.Changes()) - before; got != len(want) {
		t.Errorf("%d changes, want one per removal (%d): %+v", got, len(want), tn.Changes()[before:])
	}
	again, err := p.Plan(t.Context(), op)
	if err != nil {
		t.Fatal(err)
	}
	if got := mailboxtest.Removals(again); len(got) != 0 {
		t.Errorf("after the removals a plan still finds %q", got)
	}
}

// The filter's value is quoted as OPATH wants: a quote in a distinguished
// name is doubled, and the fake reads it back to the same mailbox.
func TestSendOnBehalfFilterQuotes(t *testing.T) {
	if got := SendOnBehalfFilter("CN=o'neil,OU=x"); got != "GrantSendOnBehalfTo -eq 'CN=o''neil,OU=x'" {
		t.Errorf("filter %q", got)
	}
	tn := sandbox.NewContoso(sandbox.Options{})
	if err := tn.AddUsers(sandbox.UserSpec{UserPrincipalName: "oneil@contoso.com", Alias: "o'neil", DisplayName: "Pat O'Neil"},
		sandbox.UserSpec{UserPrincipalName: "desk@contoso.com", RecipientTypeDetails: mailbox.RecipientSharedMailbox,
			GrantSendOnBehalfTo: []string{"oneil@contoso.com"}}); err != nil {
		t.Fatal(err)
	}
	f := setup(t, tn, exchangetest.Options{}, nil)
	mb, err := f.c.GetMailbox(t.Context(), "oneil@contoso.com")
	if err != nil || !strings.Contains(mb.DistinguishedName, "o'neil") {
		t.Fatalf("mailbox %+v, %v: want its distinguished name", mb, err)
	}
	got, err := f.c.SendOnBehalfOn(t.Context(), mb.DistinguishedName)
	if err != nil || len(got) != 1 || got[0].PrimarySMTPAddress != "desk@contoso.com" {
		t.Fatalf("SendOnBehalfOn = %+v, %v; want desk@", got, err)
	}
	// A friendly name matches nothing, as in Exchange.
	if got, err := f.c.SendOnBehalfOn(t.Context(), "oneil@contoso.com"); err != nil || len(got) != 0 {
		t.Errorf("SendOnBehalfOn(an address) = %+v, %v; want none", got, err)
	}
}

// A permission that cannot be read stops the plan with Microsoft's
// answer: no plan is offered that might miss a right.
func TestRemoveAccessStopsOnAnUnreadableMailbox(t *testing.T) {
	tn, _ := bigTenant(t, 20)
	f := setup(t, tn, exchangetest.Options{PageSize: 7}, nil)
	f.srv.Handle("Get-MailboxPermission", func(ctx context.Context, params map[string]any) ([]any, []string, error) {
		if params["Identity"] == "team011@contoso.com" {
			return nil, nil, &mailbox.RemoteError{Status: 403, Code: "Forbidden", Message: "Access denied."}
		}
		perms, err := tn.MailboxPermissions(ctx, params["Identity"].(string))
		values := make([]any, len(perms))
		for i, p := range perms {
			values[i] = exchangetest.WireMailboxPermission(params["Identity"].(string), p)
		}
		return values, nil, err
	})
	p := &mailbox.Planner{Directory: tn, Exchange: f.c}
	_, err := p.Plan(t.Context(), mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "leo@contoso.com", Options: mailbox.Options{RemoveAccess: true}})
	if !errors.Is(err, mailbox.ErrForbidden) || !strings.Contains(err.Error(), "team011@contoso.com") {
		t.Errorf("plan error %v: want the refused read, naming the mailbox", err)
	}
}
