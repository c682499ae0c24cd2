package mailbox_test

import (
	"context"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// A group granted Full Access is listed by Exchange by its name, not its mail:
// revoking it must still produce a step.
func TestRegressionRevokeFullAccessFromGroup(t *testing.T) {
	tn := sharedTenant(t, 0)
	ctx := context.Background()
	if err := tn.AddFullAccess(ctx, "info@contoso.com", "sales-team@contoso.com", false); err != nil {
		t.Fatal(err)
	}
	perms, _ := tn.MailboxPermissions(ctx, "info@contoso.com")
	for _, p := range mailbox.Explicit(perms) {
		t.Logf("perm user %q", p.User)
	}
	p := planOp(t, tn, access(mailbox.KindRevoke, "info@contoso.com", "sales-team@contoso.com", mailbox.FullAccess, mailbox.Options{}))
	if len(p.Steps) != 1 {
		t.Errorf("revoke group Full Access: steps %v findings %+v", stepNames(p), p.Findings)
	}
}

func TestRegressionRevokeSendOnBehalfFromGroup(t *testing.T) {
	tn := sharedTenant(t, 0)
	ctx := context.Background()
	if err := tn.SetSendOnBehalf(ctx, "info@contoso.com", []string{"sales-team@contoso.com"}, nil); err != nil {
		t.Fatal(err)
	}
	mb, _ := tn.GetMailbox(ctx, "info@contoso.com")
	t.Logf("GrantSendOnBehalfTo %q", mb.GrantSendOnBehalfTo)
	p := planOp(t, tn, access(mailbox.KindRevoke, "info@contoso.com", "sales-team@contoso.com", mailbox.SendOnBehalf, mailbox.Options{}))
	if len(p.Steps) != 1 {
		t.Errorf("revoke group Send on Behalf: steps %v findings %+v", stepNames(p), p.Findings)
	}
}

// Exchange lists GrantSendOnBehalfTo by name (as the sandbox's seeded
// entries are): revoking that user must still produce a step.
func TestRegressionRevokeSendOnBehalfListedByName(t *testing.T) {
	tn := sandbox.New(sandbox.Options{})
	err := tn.AddUsers(
		sandbox.UserSpec{UserPrincipalName: "kim@contoso.com", DisplayName: "Kim King"},
		sandbox.UserSpec{UserPrincipalName: "desk@contoso.com", DisplayName: "Desk", RecipientTypeDetails: mailbox.RecipientSharedMailbox,
			GrantSendOnBehalfTo: []string{"Kim King"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	p := planOp(t, tn, access(mailbox.KindRevoke, "desk@contoso.com", "kim@contoso.com", mailbox.SendOnBehalf, mailbox.Options{}))
	if len(p.Steps) != 1 {
		t.Errorf("revoke Send on Behalf listed by name: steps %v findings %+v", stepNames(p), p.Findings)
	}
	_, rows, _ := mailbox.Members(context.Background(), tn, "desk@contoso.com")
	t.Logf("members %+v", rows)
}

// each-member with send-as is accepted by the grammar and silently ignored:
// the group itself gets Send As.
func TestRegressionEachMemberIgnoredForSendAs(t *testing.T) {
	tn := sharedTenant(t, 0)
	p := planOp(t, tn, access(mailbox.KindGrant, "sales@contoso.com", "sales-team@contoso.com", mailbox.SendAs, mailbox.Options{EachMember: true}))
	for _, s := range p.Steps {
		if s.Arg == "sales-team@contoso.com" {
			t.Errorf("each-member asked, but the step grants the group: %+v", s)
		}
	}
}

// upnDir is Graph when Exchange gave the new account a UPN other than the
// address (the default domain, or a GUID for an alias starting with a
// digit): GET /users/{address} is 404, GET /users/{object id} works.
type upnDir struct {
	*sandbox.Tenant
	addr string
}

func (d upnDir) User(ctx context.Context, id string) (mailbox.User, error) {
	if id == d.addr {
		return mailbox.User{}, mailbox.ErrNotFound
	}
	return d.Tenant.User(ctx, id)
}

func TestRegressionCreateWaitUsesAddressAsGraphID(t *testing.T) {
	tn := sharedTenant(t, 0)
	p := planOp(t, tn, create("support@contoso.com", "Support Team"))
	ex := &mailbox.Executor{Directory: upnDir{tn, "support@contoso.com"}, Exchange: tn}
	ctx := context.Background()
	if _, err := ex.Run(ctx, p.Target, p.Steps[0], false); err != nil {
		t.Fatal(err)
	}
	mb, _ := tn.GetMailbox(ctx, "support@contoso.com")
	t.Logf("mailbox found, object id %s; Target.UserID %q", mb.ExternalDirectoryObjectID, p.Target.UserID)
	for range 20 {
		out, err := ex.Run(ctx, p.Target, p.Steps[1], false)
		if err != nil || out.Status == mailbox.Done {
			return
		}
	}
	t.Error("wait never ends although Exchange has the mailbox and Entra its account (by object id); sign-in stays enabled")
}

// Exchange's Name must be unique, a display name need not be: a new
// mailbox whose display name another one has is still created (its Name
// is the address's local part).
func TestCreateWithATakenDisplayName(t *testing.T) {
	tn := sharedTenant(t, 0)
	p := planOp(t, tn, create("support@contoso.com", "Sales Team"))
	if len(p.Blockers()) != 0 {
		t.Fatalf("blockers %+v", p.Blockers())
	}
	execute(t, tn, p, false)
	mb, err := tn.GetMailbox(context.Background(), "support@contoso.com")
	if err != nil || mb.DisplayName != "Sales Team" {
		t.Errorf("mailbox %+v %v", mb, err)
	}
}

// A revoke from a group that Exchange lists by name goes through.
func TestRegressionRevokeSendAsFromGroup(t *testing.T) {
	tn := sharedTenant(t, 0)
	ctx := context.Background()
	tn.AddSendAs(ctx, "info@contoso.com", "sales-team@contoso.com")
	p := planOp(t, tn, access(mailbox.KindRevoke, "info@contoso.com", "sales-team@contoso.com", mailbox.SendAs, mailbox.Options{}))
	execute(t, tn, p, false)
	perms, _ := tn.RecipientPermissions(ctx, "info@contoso.com")
	for _, p := range mailbox.Explicit(perms) {
		if p.User == "Sales Team Members" {
			t.Errorf("the group still has Send As: %+v", p)
		}
	}
}
