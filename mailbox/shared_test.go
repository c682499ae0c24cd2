package mailbox_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// The second seed document (rules 11-14) against the sandbox's Contoso.

func sharedTenant(t *testing.T, createLag int) *sandbox.Tenant {
	t.Helper()
	return sandbox.NewContoso(sandbox.Options{CreateLag: createLag, Now: func() time.Time { return now }})
}

func create(addr, name string, members ...string) mailbox.Operation {
	return mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: addr, DisplayName: name, Members: members}
}

func access(kind mailbox.Kind, mbx, who string, r mailbox.Right, o mailbox.Options) mailbox.Operation {
	return mailbox.Operation{Kind: kind, Mailbox: mbx, Trustee: who, Right: r, Options: o}
}

func TestRule11NewSharedMailboxSignInBlocked(t *testing.T) {
	tn := sharedTenant(t, 2)
	p := planOp(t, tn, create("support@contoso.com", "Support Team", "kim@contoso.com", "lee@contoso.com"))
	want := []mailbox.StepName{mailbox.StepCreateShared, mailbox.StepWaitMailbox, mailbox.StepBlockSignIn,
		mailbox.StepGrantFullAccess, mailbox.StepGrantSendAs, mailbox.StepGrantFullAccess, mailbox.StepGrantSendAs}
	if !slices.Equal(stepNames(p), want) || len(p.Blockers()) != 0 || !finding(p, mailbox.Info, 11, "sign-in is blocked") {
		t.Fatalf("steps %v blockers %+v", stepNames(p), p.Blockers())
	}
	execute(t, tn, p, false) // the wait polls through the creation lag
	ctx := context.Background()
	mb, err := tn.GetMailbox(ctx, "support@contoso.com")
	u, _ := tn.User(ctx, "support@contoso.com")
	if err != nil || mb.RecipientTypeDetails != mailbox.RecipientSharedMailbox || mb.DisplayName != "Support Team" || u.AccountEnabled {
		t.Fatalf("mailbox %+v err %v enabled %v", mb, err, u.AccountEnabled)
	}
	// Rule 12: each member gets Full Access with automapping, and Send As.
	_, rows, err := mailbox.Members(ctx, tn, "support@contoso.com")
	if err != nil || len(rows) != 2 {
		t.Fatalf("members %+v %v", rows, err)
	}
	for _, m := range rows {
		auto, granted := tn.FullAccessAutoMapping("support@contoso.com", m.Who)
		if !m.FullAccess || !m.SendAs || m.OnBehalfOf || !auto || !granted {
			t.Errorf("member %+v automapping %v", m, auto)
		}
	}
}

func TestCreateIsCheckedBeforeApproval(t *testing.T) {
	tn := sharedTenant(t, 0)
	for _, tc := range []struct {
		op   mailbox.Operation
		want string
	}{
		{create("sales@contoso.com", "Sales"), "already used"},
		{create("help@contoso.org", "Help"), "contoso.org is not an accepted domain"},
		{create("support@contoso.com", "Support", "nobody@contoso.com"), "nobody@contoso.com is not a user"},
		{create("support@contoso.com", "Support", "sales-team@contoso.com"), "is a group"},
	} {
		p := planOp(t, tn, tc.op)
		if !slices.ContainsFunc(p.Blockers(), func(f mailbox.Finding) bool { return strings.Contains(f.Text, tc.want) }) {
			t.Errorf("%s: blockers %+v, want %q", tc.op.Mailbox, p.Blockers(), tc.want)
		}
	}
}

// The creation race: New-Mailbox went through, but the process died before
// recording it, and Exchange does not find the mailbox yet. The step runs
// again: it must not fail on its own mailbox, nor create a second one.
func TestCreateRunAgainAfterACrash(t *testing.T) {
	tn := sharedTenant(t, 3)
	p := planOp(t, tn, create("support@contoso.com", "Support Team"))
	ex := &mailbox.Executor{Directory: tn, Exchange: tn}
	ctx := context.Background()
	first, err := ex.Run(ctx, p.Target, p.Steps[0], false)
	if err != nil || first.Status != mailbox.Done {
		t.Fatalf("create: %+v %v", first, err)
	}
	again, err := ex.Run(ctx, p.Target, p.Steps[0], false) // the crash: run again
	if err != nil || again.Status != mailbox.Skipped {
		t.Fatalf("create again: %+v %v", again, err)
	}
	if n := tn.ChangeCount("support@contoso.com")[sandbox.ChangeMailboxCreated]; n != 1 {
		t.Errorf("created %d times", n)
	}
	// The wait confirms it is the mailbox we made.
	for range 10 {
		out, err := ex.Run(ctx, p.Target, p.Steps[1], false)
		if err != nil {
			t.Fatal(err)
		}
		if out.Status == mailbox.Done {
			return
		}
	}
	t.Fatal("the new mailbox was never found")
}

func TestRule12FullAccessAloneCannotSend(t *testing.T) {
	p := planOp(t, sharedTenant(t, 0), access(mailbox.KindGrant, "info@contoso.com", "kim@contoso.com", mailbox.FullAccess, mailbox.Options{}))
	if !finding(p, mailbox.Warning, 12, "not send from it") || len(p.Steps) != 1 || p.Steps[0].Name != mailbox.StepGrantFullAccess {
		t.Errorf("findings %+v steps %v", p.Findings, stepNames(p))
	}
}

func TestRule13HiddenMailboxWarnsForSending(t *testing.T) {
	tn := sharedTenant(t, 0)
	for _, r := range []mailbox.Right{mailbox.SendAs, mailbox.SendOnBehalf} {
		p := planOp(t, tn, access(mailbox.KindGrant, "info@contoso.com", "kim@contoso.com", r, mailbox.Options{}))
		if !finding(p, mailbox.Warning, 13, "classic Outlook") {
			t.Errorf("%s: findings %+v", r, p.Findings)
		}
	}
	p := planOp(t, tn, access(mailbox.KindGrant, "info@contoso.com", "kim@contoso.com", mailbox.FullAccess, mailbox.Options{}))
	if finding(p, mailbox.Warning, 13, "") {
		t.Errorf("rule 13 for Full Access: %+v", p.Findings)
	}
}

func TestRule14GroupsAndAutomapping(t *testing.T) {
	tn := sharedTenant(t, 0)
	p := planOp(t, tn, access(mailbox.KindGrant, "info@contoso.com", "sales-team@contoso.com", mailbox.FullAccess, mailbox.Options{}))
	if !finding(p, mailbox.Warning, 14, "2 members") || !finding(p, mailbox.Warning, 14, "each-member") || len(p.Steps) != 1 || p.Steps[0].Arg != "sales-team@contoso.com" {
		t.Fatalf("findings %+v steps %+v", p.Findings, p.Steps)
	}
	p = planOp(t, tn, access(mailbox.KindGrant, "info@contoso.com", "sales-team@contoso.com", mailbox.FullAccess, mailbox.Options{EachMember: true}))
	var args []string
	for _, s := range p.Steps {
		args = append(args, s.Arg)
	}
	slices.Sort(args)
	if !slices.Equal(args, []string{"kim@contoso.com", "lee@contoso.com"}) {
		t.Fatalf("each member: %v", args)
	}
	execute(t, tn, p, false)
	for _, who := range args {
		if auto, granted := tn.FullAccessAutoMapping("info@contoso.com", who); !granted || !auto {
			t.Errorf("%s: granted %v automapping %v", who, granted, auto)
		}
	}
}

// Granting what is there, or revoking what is not, says so and plans no
// change; each right goes and comes back through its own cmdlet.
func TestGrantAndRevokeAreIdempotent(t *testing.T) {
	tn := sharedTenant(t, 0)
	ctx := context.Background()
	for _, r := range []mailbox.Right{mailbox.FullAccess, mailbox.SendAs, mailbox.SendOnBehalf} {
		grant := access(mailbox.KindGrant, "info@contoso.com", "lee@contoso.com", r, mailbox.Options{})
		revoke := access(mailbox.KindRevoke, "info@contoso.com", "lee@contoso.com", r, mailbox.Options{})
		if p := planOp(t, tn, revoke); len(p.Steps) != 0 || !finding(p, mailbox.Info, 0, "does not have") {
			t.Errorf("%s: revoke of nothing: %v %+v", r, stepNames(p), p.Findings)
		}
		execute(t, tn, planOp(t, tn, grant), false)
		if p := planOp(t, tn, grant); len(p.Steps) != 0 || !finding(p, mailbox.Info, 0, "already has") {
			t.Errorf("%s: second grant: %v %+v", r, stepNames(p), p.Findings)
		}
		_, rows, _ := mailbox.Members(ctx, tn, "info@contoso.com")
		if !slices.ContainsFunc(rows, func(m mailbox.Member) bool { return m.Who == "lee@contoso.com" }) {
			t.Errorf("%s: lee not listed: %+v", r, rows)
		}
		execute(t, tn, planOp(t, tn, revoke), false)
	}
	_, rows, _ := mailbox.Members(ctx, tn, "info@contoso.com")
	if len(rows) != 0 {
		t.Errorf("rights left after revoking them all: %+v", rows)
	}
	for kind, n := range tn.ChangeCount("info@contoso.com") {
		if n != 1 {
			t.Errorf("%s made %d times", kind, n)
		}
	}
}

func TestMembersLeaveOutExchangesOwnEntries(t *testing.T) {
	tn := sharedTenant(t, 0)
	ctx := context.Background()
	execute(t, tn, planOp(t, tn, access(mailbox.KindGrant, "info@contoso.com", "kim@contoso.com", mailbox.FullAccess, mailbox.Options{})), false)
	perms, _ := tn.MailboxPermissions(ctx, "info@contoso.com")
	if len(perms) < 2 {
		t.Fatalf("the sandbox lists no SELF or inherited entries: %+v", perms)
	}
	_, rows, err := mailbox.Members(ctx, tn, "info@contoso.com")
	if err != nil || len(rows) != 1 || rows[0].Who != "kim@contoso.com" || !rows[0].FullAccess {
		t.Errorf("rows %+v %v", rows, err)
	}
}

func TestDryRunCreateDescribesNewMailbox(t *testing.T) {
	tn := sharedTenant(t, 0)
	p := planOp(t, tn, create("o'brien test@contoso.com", "O'Brien Team"))
	if len(p.Blockers()) != 0 {
		t.Fatalf("blockers %+v", p.Blockers())
	}
	outs := execute(t, tn, p, true)
	want := `would send Exchange New-Mailbox {"Confirm":false,"DisplayName":"O'Brien Team","Name":"o'brien test","PrimarySmtpAddress":"o'brien test@contoso.com","Shared":true}`
	if outs[0].Detail != want {
		t.Errorf("detail %q\nwant   %q", outs[0].Detail, want)
	}
	if len(tn.Changes()) != 0 {
		t.Errorf("changes %+v", tn.Changes())
	}
}
