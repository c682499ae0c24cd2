package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// Issue 15, points 4, 5, 6 and 11: policies that fit the risk, nobody
// approves a change that gives them access (rule 16), and who may list a
// mailbox's members.

// moreSlack is slackDir with more people: Slack id → e-mail.
type moreSlack struct {
	slackDir
	more map[string]string
}

func (m moreSlack) EmailOf(ctx context.Context, id string) (string, error) {
	if e, ok := m.more[id]; ok {
		return e, nil
	}
	return m.slackDir.EmailOf(ctx, id)
}

func (m moreSlack) UserIDByEmail(ctx context.Context, email string) (string, error) {
	for id, e := range m.more {
		if strings.EqualFold(e, email) {
			return id, nil
		}
	}
	return m.slackDir.UserIDByEmail(ctx, email)
}

const (
	kim  = "U0KIM"
	lead = "U0LEAD"
	req  = "U0REQ"
)

// policyEnv is Contoso with Slack accounts for kim@, lead@ and req@, and
// policy set as given.
func policyEnv(t *testing.T, policy map[mailbox.Kind]string, mod func(*bot.Config)) *env {
	t.Helper()
	e := newEnv(t, func(c *bot.Config) {
		c.Slack = moreSlack{more: map[string]string{kim: "kim@contoso.com", lead: "lead@contoso.com", req: "req@contoso.com"}}
		c.Policy = policy
		if mod != nil {
			mod(c)
		}
	})
	e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
	return e
}

func asked(e *env) []string {
	e.notes.mu.Lock()
	defer e.notes.mu.Unlock()
	return slices.Clone(e.notes.asks)
}

// Point 5: converting back to a user mailbox ends with a credential in the
// requester's hands; the former owner's manager does not decide it.
func TestConvertingBackIsNotRoutedToTheOwnersManager(t *testing.T) {
	e := policyEnv(t, nil, nil)
	if err := e.tenant.AddUsers(sandbox.UserSpec{UserPrincipalName: "ops@contoso.com", DisplayName: "Ops", Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}},
		ManagerUPN: "maria@contoso.com", RecipientTypeDetails: mailbox.RecipientSharedMailbox, SignInBlocked: true}); err != nil {
		t.Fatal(err)
	}
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToRegular, Mailbox: "ops@contoso.com"})
	if !slices.Equal(r.Approvers, []string{admin}) || slices.Contains(asked(e), maria) {
		t.Fatalf("approvers %v (%s), asked %v", r.Approvers, r.ApproverSource, asked(e))
	}
}

func TestManagerPolicyForConvertingBackIsRefused(t *testing.T) {
	e := policyEnv(t, nil, nil)
	for _, bad := range []map[mailbox.Kind]string{
		{mailbox.KindConvertToRegular: "manager"},
		{mailbox.KindConvertToRegular: "approvers,manager"},
		{mailbox.KindGrant: "none,approvers"},
		{mailbox.KindGrant: "owners,boss"},
		{mailbox.KindCreateShared: "owners"},
	} {
		cfg := e.cfg
		cfg.Policy = bad
		if _, err := bot.New(cfg); err == nil {
			t.Errorf("policy %v accepted", bad)
		}
	}
	cfg := e.cfg
	cfg.Policy = map[mailbox.Kind]string{mailbox.KindConvertToShared: "manager, approvers", mailbox.KindRevoke: "owners,manager"}
	if _, err := bot.New(cfg); err != nil {
		t.Errorf("a chain was refused: %v", err)
	}
}

// Point 11: the defaults need a second person for every change, and the
// requester's own manager does not let them into a mailbox.
func TestRevokeNeedsApprovalByDefault(t *testing.T) {
	e := policyEnv(t, nil, nil)
	if err := e.tenant.AddSendAs(context.Background(), "info@contoso.com", "kim@contoso.com"); err != nil {
		t.Fatal(err)
	}
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindRevoke, Mailbox: "info@contoso.com", Trustee: "kim@contoso.com", Right: mailbox.SendAs})
	if r.State != bot.StatePending || !slices.Equal(r.Approvers, []string{admin}) {
		t.Fatalf("state %s approvers %v", r.State, r.Approvers)
	}
}

func TestCreateIsNotApprovedByTheRequestersManagerByDefault(t *testing.T) {
	e := policyEnv(t, nil, nil)
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: "support@contoso.com", DisplayName: "Support", Members: []string{"rita@contoso.com"}})
	if !slices.Equal(r.Approvers, []string{admin}) {
		t.Fatalf("approvers %v (%s)", r.Approvers, r.ApproverSource)
	}
}

// owned gives each of who Full Access on info@contoso.com.
func owned(t *testing.T, e *env, who ...string) {
	t.Helper()
	for _, w := range who {
		if err := e.tenant.AddFullAccess(context.Background(), "info@contoso.com", w, true); err != nil {
			t.Fatal(err)
		}
	}
}

// Point 6 and 11: a grant is decided by those who already hold the mailbox.
func TestGrantIsDecidedByTheMailboxOwnersByDefault(t *testing.T) {
	e := policyEnv(t, nil, nil)
	owned(t, e, "kim@contoso.com", "erin@contoso.com", "sales-team@contoso.com") // a group: no Slack user
	r := e.ask(rita, grantOp("info@contoso.com", "lee@contoso.com", mailbox.SendAs))
	if !slices.Equal(r.Approvers, []string{erin, kim}) || r.ApproverSource != "owners" {
		t.Fatalf("approvers %v (%s)", r.Approvers, r.ApproverSource)
	}
}

func TestOwnerWhoIsAlsoTheTrusteeIsNotAsked(t *testing.T) {
	e := policyEnv(t, nil, nil)
	owned(t, e, "kim@contoso.com", "erin@contoso.com")
	r := e.ask(rita, grantOp("info@contoso.com", "erin@contoso.com", mailbox.SendAs))
	if !slices.Equal(r.Approvers, []string{kim}) || slices.Contains(asked(e), erin) {
		t.Fatalf("approvers %v, asked %v", r.Approvers, asked(e))
	}
}

func TestOwnersFallBackToTheApprovers(t *testing.T) {
	e := policyEnv(t, map[mailbox.Kind]string{mailbox.KindGrant: "owners,manager"}, nil)
	r := e.ask(rita, grantOp("info@contoso.com", "kim@contoso.com", mailbox.SendAs))
	if !slices.Equal(r.Approvers, []string{maria}) || r.ApproverSource != "manager" {
		t.Fatalf("chain owners,manager: approvers %v (%s)", r.Approvers, r.ApproverSource)
	}
	e = policyEnv(t, map[mailbox.Kind]string{mailbox.KindGrant: "owners"}, nil)
	r = e.ask(rita, grantOp("info@contoso.com", "kim@contoso.com", mailbox.SendAs))
	if !slices.Equal(r.Approvers, []string{admin}) || !strings.Contains(e.notes.lastAnswer(t), "nobody else in Slack holds Full Access") {
		t.Fatalf("owners alone: approvers %v, answer %s", r.Approvers, e.notes.lastAnswer(t))
	}
}

// leadTenant adds lead@ (in the group Leads, nested in sales-team@) and
// req@, whose manager lead@ is, to e's tenant. upn, when set, is lead@'s
// user principal name, lead@ staying its mail.
func leadTenant(t *testing.T, e *env, upn string) {
	t.Helper()
	leads := sandbox.Group{ID: "1ead5000-0000-4000-8000-000000000001", DisplayName: "Leads"}
	if upn == "" {
		upn = "lead@contoso.com"
	}
	if err := e.tenant.AddUsers(
		sandbox.UserSpec{UserPrincipalName: upn, Mail: "lead@contoso.com", DisplayName: "Lead", MemberOf: []sandbox.Group{leads}},
		sandbox.UserSpec{UserPrincipalName: "req@contoso.com", DisplayName: "Req", ManagerUPN: upn},
	); err != nil {
		t.Fatal(err)
	}
	if err := e.tenant.AddGroupMember(sandbox.ContosoSalesTeamGroupID, leads.ID); err != nil {
		t.Fatal(err)
	}
}

// Point 6: the manager gains access through a nested group granted member
// by member; they are not asked.
func TestManagerInANestedGroupGrantedEachMemberIsNotAsked(t *testing.T) {
	e := policyEnv(t, map[mailbox.Kind]string{mailbox.KindGrant: "manager"}, nil)
	leadTenant(t, e, "")
	op := grantOp("info@contoso.com", "sales-team@contoso.com", mailbox.FullAccess)
	op.Options.EachMember = true
	r := e.ask(req, op)
	if slices.Contains(r.Approvers, lead) || slices.Contains(asked(e), lead) || !slices.Equal(r.Approvers, []string{admin}) {
		t.Fatalf("approvers %v, asked %v", r.Approvers, asked(e))
	}
	if a := e.notes.lastAnswer(t); !strings.Contains(a, "your manager would get access through the group sales-team@contoso.com") {
		t.Errorf("answer: %s", a)
	}
	if !slices.Contains(r.Beneficiaries, "lead@contoso.com") {
		t.Errorf("beneficiaries %v", r.Beneficiaries)
	}
}

// Point 6: the manager's user principal name differs from their mail;
// naming either gives them access, and they are not asked.
func TestManagerNamedByAnotherAddressIsNotAsked(t *testing.T) {
	for _, trustee := range []string{"l.ead@contoso.onmicrosoft.com", "lead@contoso.com"} {
		e := policyEnv(t, map[mailbox.Kind]string{mailbox.KindGrant: "manager"}, nil)
		leadTenant(t, e, "l.ead@contoso.onmicrosoft.com")
		r := e.ask(req, grantOp("info@contoso.com", trustee, mailbox.FullAccess))
		if !slices.Equal(r.Approvers, []string{admin}) || slices.Contains(asked(e), lead) {
			t.Errorf("grant to %s: approvers %v, asked %v", trustee, r.Approvers, asked(e))
		}
	}
}

// Point 6: an extra or configured approver who gains access is not asked
// either, and nobody is asked when nobody is left.
func TestNobodyLeftToApproveRequestsNothing(t *testing.T) {
	e := policyEnv(t, map[mailbox.Kind]string{mailbox.KindGrant: "approvers"}, func(c *bot.Config) {
		c.Approvers = []string{kim}
		c.ExtraApprovers = map[mailbox.Kind][]string{mailbox.KindGrant: {lead}}
	})
	leadTenant(t, e, "")
	answer := e.askOnly(rita, grantOp("info@contoso.com", "sales-team@contoso.com", mailbox.SendAs))
	if !strings.Contains(answer, "No one can approve") || !strings.Contains(answer, "Nothing was requested") || len(asked(e)) != 0 {
		t.Fatalf("answer %q, asked %v", answer, asked(e))
	}
}

// Point 6: at click time a beneficiary is recognised, so that decide can
// refuse their click.
func TestBeneficiaryIsRecognisedAtClickTime(t *testing.T) {
	e := policyEnv(t, map[mailbox.Kind]string{mailbox.KindGrant: "approvers"}, func(c *bot.Config) { c.Approvers = []string{admin, kim} })
	r := e.ask(rita, grantOp("info@contoso.com", "sales-team@contoso.com", mailbox.SendAs))
	if !slices.Equal(r.Approvers, []string{admin}) {
		t.Fatalf("approvers %v", r.Approvers)
	}
	ctx := context.Background()
	if !e.svc.IsBeneficiary(ctx, r, kim) || e.svc.IsBeneficiary(ctx, r, admin) {
		t.Errorf("kim (a member of sales-team@) is not recognised, or admin is")
	}
	r.Beneficiaries = nil // a request of a batch: read again
	if !e.svc.IsBeneficiary(ctx, r, kim) || e.svc.IsBeneficiary(ctx, r, admin) {
		t.Errorf("read again: kim is not recognised, or admin is")
	}
}

// Point 4: a personal mailbox's members are listed to nobody.
func TestPersonalMailboxMembersAreNotListed(t *testing.T) {
	e := policyEnv(t, nil, nil)
	e.tenant.AddFullAccess(context.Background(), "alice@contoso.com", "kim@contoso.com", true)
	answer := e.askOnly(rita, mailbox.Operation{Kind: mailbox.KindMembers, Mailbox: "alice@contoso.com"})
	if !strings.Contains(answer, "only for shared mailboxes") || strings.Contains(answer, "kim@") {
		t.Fatalf("answer %s", answer)
	}
}

// Point 4: members are listed only to those who may grant or revoke, or
// whom MAILBOXBOT_REQUESTERS_MEMBERS names.
func TestMembersAreNotListedToWhoMayNotGrant(t *testing.T) {
	e := policyEnv(t, nil, func(c *bot.Config) {
		c.Requesters = map[mailbox.Kind][]string{mailbox.KindGrant: {erin}, mailbox.KindRevoke: {kim}}
	})
	e.tenant.AddFullAccess(context.Background(), "info@contoso.com", "lee@contoso.com", true)
	members := mailbox.Operation{Kind: mailbox.KindMembers, Mailbox: "info@contoso.com"}
	if a := e.askOnly(rita, members); !strings.Contains(a, "You may not ask") || strings.Contains(a, "lee@") {
		t.Errorf("rita: %s", a)
	}
	for _, who := range []string{erin, kim} {
		if a := e.askOnly(who, members); !strings.Contains(a, "lee@contoso.com") {
			t.Errorf("%s: %s", who, a)
		}
	}
	e = policyEnv(t, nil, func(c *bot.Config) {
		c.Requesters = map[mailbox.Kind][]string{mailbox.KindGrant: {erin}, mailbox.KindMembers: {rita}}
	})
	if a := e.askOnly(erin, members); !strings.Contains(a, "You may not ask") {
		t.Errorf("MAILBOXBOT_REQUESTERS_MEMBERS does not decide alone: erin: %s", a)
	}
	if a := e.askOnly(rita, members); !strings.Contains(a, "Full Access, Send As or Send on Behalf on *info@contoso.com*") {
		t.Errorf("rita, listed: %s", a)
	}
}

// Point 4: the form's pre-check says nothing about a mailbox to someone
// who may not ask.
func TestFormCheckDoesNotAnswerWhoMayNotAsk(t *testing.T) {
	e := policyEnv(t, nil, func(c *bot.Config) {
		c.Requesters = map[mailbox.Kind][]string{mailbox.KindGrant: {erin}}
	})
	c := bot.Command{Op: grantOp("info@contoso.com", "nobody@contoso.com", mailbox.SendAs), User: rita, TeamID: "T0001"}
	got, err := e.svc.CheckCommand(context.Background(), c)
	if err != nil || !strings.Contains(got, "You may not ask") {
		t.Fatalf("rita: %q %v", got, err)
	}
	c.User = erin
	if got, err := e.svc.CheckCommand(context.Background(), c); err != nil || got == "" || strings.Contains(got, "You may not ask") {
		t.Fatalf("erin: %q %v", got, err)
	}
}

// Point 6, for several mailboxes at once: an extra approver who gets Full
// Access by the conversion is not asked to approve the batch.
func TestBatchExtraApproverWhoGainsAccessIsNotAsked(t *testing.T) {
	e := policyEnv(t, nil, func(c *bot.Config) {
		c.ExtraApprovers = map[mailbox.Kind][]string{mailbox.KindConvertToShared: {kim, erin}}
	})
	op := mailbox.Operation{Kind: mailbox.KindConvertToShared, Options: mailbox.Options{FullAccess: []string{"kim@contoso.com"}}}
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{Op: op, Mailboxes: []string{"alice@contoso.com", "carol@contoso.com"},
		User: rita, TeamID: "T0001", Channel: "C0HELP"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	e.notes.mu.Lock()
	defer e.notes.mu.Unlock()
	if slices.Contains(e.notes.batchAsks, kim) || !slices.Contains(e.notes.batchAsks, erin) || !slices.Contains(e.notes.batchAsks, maria) {
		t.Fatalf("batch asked %v", e.notes.batchAsks)
	}
}
