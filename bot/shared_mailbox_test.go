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

// /shared-mailbox through the lifecycle (issue 4).

func grantOp(mbx, who string, r mailbox.Right) mailbox.Operation {
	return mailbox.Operation{Kind: mailbox.KindGrant, Mailbox: mbx, Trustee: who, Right: r}
}

func (e *env) askOnly(user string, op mailbox.Operation) string {
	e.t.Helper()
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{Op: op, User: user, TeamID: "T0001", Channel: "C0HELP"}); err != nil {
		e.t.Fatal(err)
	}
	e.drain()
	return e.notes.lastAnswer(e.t)
}

func TestCreateSharedMailboxWithMembers(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.Policy = map[mailbox.Kind]string{mailbox.KindCreateShared: bot.PolicyManager} })
	e.useTenant(sandbox.NewContoso(sandbox.Options{CreateLag: 2, Now: e.clock.Now}))
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: "support@contoso.com", DisplayName: "Support Team",
		Members: []string{"kim@contoso.com", "lee@contoso.com"}})
	// Under the manager policy a creation needs approval by the requester's manager.
	if r.State != bot.StatePending || !slices.Equal(r.Approvers, []string{maria}) {
		t.Fatalf("state %s approvers %v", r.State, r.Approvers)
	}
	e.click(maria, r.ID, true)
	r = e.untilSettled(r.ID)
	if r.State != bot.StateSucceeded {
		t.Fatalf("state %s failure %q", r.State, r.Failure)
	}
	if !e.notes.told("the shared mailbox *Support Team* &lt;support@contoso.com&gt; exists") {
		t.Errorf("told %q", e.notes.tells)
	}
	want := map[sandbox.ChangeKind]int{sandbox.ChangeMailboxCreated: 1, sandbox.ChangeAccountEnabled: 1,
		sandbox.ChangeFullAccessAdded: 2, sandbox.ChangeSendAsAdded: 2} // two members
	got := e.tenant.ChangeCount("support@contoso.com")
	if len(got) != len(want) {
		t.Errorf("changes %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d, want %d", k, got[k], n)
		}
	}
}

// The none policy lets a revoke run at once (by default it needs
// approval: TestRevokeNeedsApprovalByDefault).
func TestRevokeUnderPolicyNoneNeedsNoApproval(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.Policy = map[mailbox.Kind]string{mailbox.KindRevoke: bot.PolicyNone} })
	e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
	if err := e.tenant.AddSendAs(context.Background(), "info@contoso.com", "kim@contoso.com"); err != nil {
		t.Fatal(err)
	}
	answer := e.askOnly(rita, mailbox.Operation{Kind: mailbox.KindRevoke, Mailbox: "info@contoso.com", Trustee: "kim@contoso.com", Right: mailbox.SendAs})
	if !strings.Contains(answer, "needs no approval") || len(e.notes.asks) != 0 {
		t.Fatalf("answer %q asks %v", answer, e.notes.asks)
	}
	r := e.request("info@contoso.com")
	if r = e.untilSettled(r.ID); r.State != bot.StateSucceeded {
		t.Fatalf("state %s %q", r.State, r.Failure)
	}
	perms, _ := e.tenant.RecipientPermissions(context.Background(), "info@contoso.com")
	if mailbox.HasRight(perms, "kim@contoso.com", mailbox.RightSendAs) {
		t.Error("Send As still there")
	}
}

func TestApprovalPolicyIsConfiguration(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.Policy = map[mailbox.Kind]string{mailbox.KindGrant: bot.PolicyApprovers} })
	e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
	r := e.ask(rita, grantOp("info@contoso.com", "kim@contoso.com", mailbox.SendAs))
	if !slices.Equal(r.Approvers, []string{admin}) {
		t.Errorf("approvers %v, want the configured ones", r.Approvers)
	}
	if _, err := bot.New(bot.Config{Policy: map[mailbox.Kind]string{mailbox.KindGrant: "boss"}}); err == nil {
		t.Error("a bad policy was accepted")
	}
}

// A Slack mention names a person through their Slack e-mail.
func TestMentionResolvedToAUser(t *testing.T) {
	e := newEnv(t, nil)
	e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
	r := e.ask(rita, grantOp("info@contoso.com", "<@U0ERIN>", mailbox.FullAccess))
	if r.Op.Trustee != "erin@contoso.com" || len(r.Plan.Steps) != 1 || r.Plan.Steps[0].Arg != "erin@contoso.com" {
		t.Fatalf("trustee %q steps %+v", r.Op.Trustee, r.Plan.Steps)
	}
	answer := e.askOnly(rita, grantOp("info@contoso.com", "<@U0NOBODY>", mailbox.FullAccess))
	if !strings.Contains(answer, "can't find the e-mail address of <@U0NOBODY>") {
		t.Errorf("unknown mention: %s", answer)
	}
}

func TestGrantingWhatIsThereChangesNothing(t *testing.T) {
	e := newEnv(t, nil)
	e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
	if err := e.tenant.AddFullAccess(context.Background(), "info@contoso.com", "kim@contoso.com", true); err != nil {
		t.Fatal(err)
	}
	before := len(e.tenant.Changes())
	answer := e.askOnly(rita, grantOp("info@contoso.com", "kim@contoso.com", mailbox.FullAccess))
	if !strings.Contains(answer, "Nothing to do") || !strings.Contains(answer, "already has Full Access") || len(e.notes.asks) != 0 {
		t.Errorf("answer %q asks %v", answer, e.notes.asks)
	}
	if len(e.tenant.Changes()) != before {
		t.Error("something changed")
	}
}

func TestMembersTable(t *testing.T) {
	e := newEnv(t, nil)
	e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
	ctx := context.Background()
	e.tenant.AddFullAccess(ctx, "info@contoso.com", "kim@contoso.com", true)
	e.tenant.AddSendAs(ctx, "info@contoso.com", "kim@contoso.com")
	e.tenant.SetSendOnBehalf(ctx, "info@contoso.com", []string{"lee@contoso.com"}, nil)
	answer := e.askOnly(rita, mailbox.Operation{Kind: mailbox.KindMembers, Mailbox: "info@contoso.com"})
	for _, want := range []string{"Who may use info@contoso.com", "Full Access  Send As  Send on Behalf", "kim@contoso.com  yes          yes      -",
		"lee@contoso.com  -            -        yes", "hidden from the address lists"} {
		if !strings.Contains(answer, want) {
			t.Errorf("answer lacks %q:\n%s", want, answer)
		}
	}
	if strings.Contains(answer, "SELF") {
		t.Errorf("Exchange's own entries listed:\n%s", answer)
	}
}

// A manager does not approve access for themselves.
func TestManagerDoesNotApproveTheirOwnAccess(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.Policy = map[mailbox.Kind]string{mailbox.KindGrant: bot.PolicyManager} })
	e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
	r := e.ask(rita, grantOp("info@contoso.com", "maria@contoso.com", mailbox.FullAccess)) // maria is rita's manager
	if !slices.Equal(r.Approvers, []string{admin}) || !strings.Contains(e.notes.lastAnswer(t), "would get the access") {
		t.Errorf("approvers %v answer %s", r.Approvers, e.notes.lastAnswer(t))
	}
}
