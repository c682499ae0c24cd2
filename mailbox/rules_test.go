package mailbox_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// One test per rule of DESIGN.md section 2 (1-10), each named after it,
// against the sandbox's Contoso cast: the planner's findings and steps, and
// what running the steps does to the tenant.

var now = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func contoso(t *testing.T, lag int) *sandbox.Tenant {
	t.Helper()
	return sandbox.NewContoso(sandbox.Options{ConversionLag: lag, RestoreLag: lag, Now: func() time.Time { return now }})
}

func planOp(t *testing.T, tn *sandbox.Tenant, op mailbox.Operation) mailbox.Plan {
	t.Helper()
	p := &mailbox.Planner{Directory: tn, Exchange: tn, Now: func() time.Time { return now }}
	plan, err := p.Plan(context.Background(), op)
	if err != nil {
		t.Fatalf("plan %s: %v", op.Mailbox, err)
	}
	return plan
}

func toShared(addr string, o mailbox.Options) mailbox.Operation {
	return mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: addr, Options: o}
}

func stepNames(p mailbox.Plan) []mailbox.StepName {
	var n []mailbox.StepName
	for _, s := range p.Steps {
		n = append(n, s.Name)
	}
	return n
}

func finding(p mailbox.Plan, sev mailbox.Severity, rule int, substr string) bool {
	return slices.ContainsFunc(p.Findings, func(f mailbox.Finding) bool {
		return f.Severity == sev && f.Rule == rule && strings.Contains(f.Text+" "+f.Fix, substr)
	})
}

// execute runs every step of p like the bot does, polling Pending steps.
func execute(t *testing.T, tn *sandbox.Tenant, p mailbox.Plan, dry bool) []mailbox.Outcome {
	t.Helper()
	ex := &mailbox.Executor{Directory: tn, Exchange: tn}
	var outs []mailbox.Outcome
	for _, s := range p.Steps {
		for try := 0; ; try++ {
			out, err := ex.Run(context.Background(), p.Target, s, dry)
			if err != nil {
				t.Fatalf("step %s: %v", s.Name, err)
			}
			if out.Status != mailbox.Pending {
				outs = append(outs, out)
				break
			}
			if try > 50 {
				t.Fatalf("step %s still pending", s.Name)
			}
		}
	}
	return outs
}

// kinds lists the tenant's changes for one user as "kind:to".
func kinds(tn *sandbox.Tenant, upn string) []string {
	var k []string
	for _, c := range tn.Changes() {
		if strings.EqualFold(c.UserPrincipalName, upn) {
			k = append(k, string(c.Kind)+":"+c.To)
		}
	}
	return k
}

func TestRule1LicenseRequiredWhenConverting(t *testing.T) {
	tn := contoso(t, 0)
	p := planOp(t, tn, toShared("carol@contoso.com", mailbox.Options{}))
	if !finding(p, mailbox.Blocker, 1, "has no license") || !finding(p, mailbox.Blocker, 1, "add-license") {
		t.Fatalf("no rule-1 blocker offering add-license: %+v", p.Findings)
	}
	// With add-license: a license is assigned before the conversion and
	// removed only after it is verified.
	p = planOp(t, tn, toShared("carol@contoso.com", mailbox.Options{AddLicense: true}))
	if len(p.Blockers()) != 0 {
		t.Fatalf("blockers: %+v", p.Blockers())
	}
	names := stepNames(p)
	ia, ic, iv, ir := slices.Index(names, mailbox.StepAssignLicense), slices.Index(names, mailbox.StepConvertToShared),
		slices.Index(names, mailbox.StepVerifyShared), slices.Index(names, mailbox.StepRemoveLicenses)
	if ia < 0 || ic < ia || iv < ic || ir < iv {
		t.Fatalf("order %v", names)
	}
	execute(t, tn, p, false)
	k := strings.Join(kinds(tn, "carol@contoso.com"), " ")
	add, conv, rem := strings.Index(k, "license"), strings.Index(k, "mailbox_type:SharedMailbox"), strings.LastIndex(k, "license")
	if add < 0 || conv < add || rem < conv {
		t.Errorf("license not held across the conversion: %s", k)
	}
	u, _ := tn.User(context.Background(), "carol@contoso.com")
	if len(u.Licenses) != 0 {
		t.Errorf("license left behind: %+v", u.Licenses)
	}
}

func TestRule2SizeLimits(t *testing.T) {
	tn := contoso(t, 0)
	p := planOp(t, tn, toShared("frank@contoso.com", mailbox.Options{}))
	if len(p.Blockers()) != 0 || !strings.Contains(p.Target.LicensesKept, "58") || slices.Contains(stepNames(p), mailbox.StepRemoveLicenses) {
		t.Errorf("58 GB: kept %q steps %v blockers %+v", p.Target.LicensesKept, stepNames(p), p.Blockers())
	}
	p = planOp(t, tn, toShared("hank@contoso.com", mailbox.Options{}))
	if !finding(p, mailbox.Blocker, 2, "over the 100 GB") {
		t.Errorf("112 GB not refused: %+v", p.Findings)
	}
	// Under 50 GB the direct license goes after the verification.
	p = planOp(t, tn, toShared("alice@contoso.com", mailbox.Options{}))
	if p.Target.LicensesKept != "" || !slices.Contains(stepNames(p), mailbox.StepRemoveLicenses) {
		t.Errorf("alice: kept %q steps %v", p.Target.LicensesKept, stepNames(p))
	}
}

func TestRule3HoldsAndArchivesKeepTheLicense(t *testing.T) {
	tn := contoso(t, 0)
	for addr, want := range map[string]string{"irene@contoso.com": "litigation hold", "jack@contoso.com": "archive"} {
		p := planOp(t, tn, toShared(addr, mailbox.Options{}))
		if !strings.Contains(p.Target.LicensesKept, want) || slices.Contains(stepNames(p), mailbox.StepRemoveLicenses) {
			t.Errorf("%s: kept %q steps %v", addr, p.Target.LicensesKept, stepNames(p))
		}
	}
}

func TestRule4GroupLicenseNamesTheGroup(t *testing.T) {
	tn := contoso(t, 0)
	p := planOp(t, tn, toShared("erin@contoso.com", mailbox.Options{}))
	if !finding(p, mailbox.Info, 4, "All Staff") {
		t.Errorf("group not named: %+v", p.Findings)
	}
	if slices.Contains(stepNames(p), mailbox.StepRemoveLicenses) {
		t.Errorf("a group license is planned for removal: %v", stepNames(p))
	}
}

func TestRule5TheAccountIsNeverDeleted(t *testing.T) {
	for _, iface := range []reflect.Type{reflect.TypeFor[mailbox.Directory](), reflect.TypeFor[mailbox.Exchange]()} {
		for i := range iface.NumMethod() {
			m := iface.Method(i).Name
			deletes := strings.HasPrefix(m, "Delete") && !strings.HasPrefix(m, "DeletedUser") // DeletedUser reads the deleted items
			removes := strings.HasPrefix(m, "Remove") && !strings.HasSuffix(m, "FullAccess") && !strings.HasSuffix(m, "SendAs")
			if deletes || removes {
				t.Errorf("%s has a delete operation: %s", iface, m)
			}
		}
	}
	p := planOp(t, contoso(t, 0), toShared("alice@contoso.com", mailbox.Options{}))
	if !finding(p, mailbox.Info, 5, "anchors the shared mailbox") {
		t.Errorf("findings %+v", p.Findings)
	}
}

func TestRule6SignInBlockedAndSessionsRevoked(t *testing.T) {
	tn := contoso(t, 0)
	p := planOp(t, tn, toShared("alice@contoso.com", mailbox.Options{}))
	names := stepNames(p)
	if len(names) < 2 || names[0] != mailbox.StepRevokeSessions || names[1] != mailbox.StepBlockSignIn {
		t.Fatalf("steps %v", names)
	}
	execute(t, tn, p, false)
	if k := kinds(tn, "alice@contoso.com"); !slices.ContainsFunc(k, func(s string) bool { return strings.HasPrefix(s, "sessions") }) {
		t.Errorf("sessions not revoked: %v", k)
	}
	u, _ := tn.User(context.Background(), "alice@contoso.com")
	if u.AccountEnabled {
		t.Error("sign-in not blocked")
	}
	p = planOp(t, contoso(t, 0), toShared("alice@contoso.com", mailbox.Options{KeepSignIn: true, KeepSessions: true}))
	if slices.Contains(stepNames(p), mailbox.StepBlockSignIn) || slices.Contains(stepNames(p), mailbox.StepRevokeSessions) ||
		!finding(p, mailbox.Warning, 6, "keep working") {
		t.Errorf("keep-signin: %v %+v", stepNames(p), p.Findings)
	}
}

func TestRule7InboxRulesAreKept(t *testing.T) {
	p := planOp(t, contoso(t, 0), toShared("alice@contoso.com", mailbox.Options{}))
	if !finding(p, mailbox.Info, 7, "Inbox rules are kept") {
		t.Errorf("findings %+v", p.Findings)
	}
}

func TestRule8OnPremisesAccountsAreConvertedOnPremises(t *testing.T) {
	p := planOp(t, contoso(t, 0), toShared("dave@contoso.com", mailbox.Options{}))
	if !finding(p, mailbox.Blocker, 8, "Set-RemoteMailbox -Identity dave@contoso.com -Type Shared") {
		t.Errorf("findings %+v", p.Findings)
	}
}

func TestRule9ConvertBack(t *testing.T) {
	tn := contoso(t, 1)
	op := mailbox.Operation{Kind: mailbox.KindConvertToRegular, Mailbox: "sales@contoso.com"}
	p := planOp(t, tn, op)
	if len(p.Blockers()) != 0 {
		t.Fatalf("blockers %+v", p.Blockers())
	}
	// The old password is replaced before sign-in is enabled (rule 6), and
	// sign-in comes last, once there is a way in.
	want := []mailbox.StepName{mailbox.StepAssignLicense, mailbox.StepConvertToRegular, mailbox.StepVerifyRegular,
		mailbox.StepResetPassword, mailbox.StepIssueCredential, mailbox.StepEnableSignIn}
	if !slices.Equal(stepNames(p), want) {
		t.Fatalf("steps %v", stepNames(p))
	}
	// The chosen license has free units and includes Exchange Online.
	skus, _ := tn.SubscribedSkus(context.Background())
	i := slices.IndexFunc(skus, func(s mailbox.Sku) bool { return s.ID == p.Steps[0].Arg })
	if i < 0 || !skus[i].HasExchange() || skus[i].Free() <= 0 {
		t.Fatalf("chosen license %q: %+v", p.Steps[0].Arg, skus)
	}
	outs := execute(t, tn, p, false)
	mb, _ := tn.GetMailbox(context.Background(), "sales@contoso.com")
	u, _ := tn.User(context.Background(), "sales@contoso.com")
	if mb.RecipientTypeDetails != mailbox.RecipientUserMailbox || !u.AccountEnabled || len(u.Licenses) != 1 {
		t.Errorf("after: %s enabled=%v licenses=%v", mb.RecipientTypeDetails, u.AccountEnabled, u.Licenses)
	}
	last := outs[len(outs)-2] // the credential, before sign-in is enabled
	if last.Secret == "" || last.Secret != tn.LastTemporaryAccessPass("sales@contoso.com") || strings.Contains(last.Detail, last.Secret) {
		t.Errorf("credential: secret %q detail %q", last.Secret, last.Detail)
	}
	// Refusals: not shared; a named license without free units.
	if p := planOp(t, tn, mailbox.Operation{Kind: mailbox.KindConvertToRegular, Mailbox: "alice@contoso.com"}); !finding(p, mailbox.Blocker, 9, "not a shared mailbox") {
		t.Errorf("alice: %+v", p.Findings)
	}
	tn2 := contoso(t, 0)
	if p := planOp(t, tn2, mailbox.Operation{Kind: mailbox.KindConvertToRegular, Mailbox: "sales@contoso.com", Options: mailbox.Options{License: "EXCHANGESTANDARD"}}); !finding(p, mailbox.Blocker, 9, "no free licenses") {
		t.Errorf("full SKU: %+v", p.Findings)
	}
	// A password instead of a Temporary Access Pass.
	p = planOp(t, tn2, mailbox.Operation{Kind: mailbox.KindConvertToRegular, Mailbox: "sales@contoso.com", Options: mailbox.Options{Password: true}})
	if p.Steps[len(p.Steps)-2].Arg != "password" || slices.Contains(stepNames(p), mailbox.StepResetPassword) {
		t.Errorf("credential steps %v", stepNames(p))
	}
	outs = execute(t, tn2, p, false)
	if s := outs[len(outs)-2].Secret; len(s) < 16 || !tn2.PasswordSet("sales@contoso.com") {
		t.Errorf("password %q", s)
	}
}

func TestRule10DeletedUsersMailboxIsRecovered(t *testing.T) {
	tn := contoso(t, 3)
	p := planOp(t, tn, toShared("gina@contoso.com", mailbox.Options{FullAccess: []string{"kim@contoso.com"}, SendAs: []string{"kim@contoso.com"}}))
	if !p.Target.Deleted || len(p.Blockers()) != 0 {
		t.Fatalf("deleted %v blockers %+v", p.Target.Deleted, p.Blockers())
	}
	want := []mailbox.StepName{mailbox.StepRestoreUser, mailbox.StepAssignLicense, mailbox.StepResetPassword, mailbox.StepBlockSignIn,
		mailbox.StepWaitMailbox, mailbox.StepConvertToShared, mailbox.StepVerifyShared, mailbox.StepRemoveLicenses,
		mailbox.StepGrantFullAccess, mailbox.StepGrantSendAs}
	if !slices.Equal(stepNames(p), want) {
		t.Fatalf("steps %v", stepNames(p))
	}
	outs := execute(t, tn, p, false)
	for _, o := range outs {
		if o.Secret != "" {
			t.Errorf("a secret left a recovery step: %+v", o)
		}
	}
	mb, err := tn.GetMailbox(context.Background(), "gina@contoso.com")
	u, _ := tn.User(context.Background(), "gina@contoso.com")
	if err != nil || mb.RecipientTypeDetails != mailbox.RecipientSharedMailbox || u.AccountEnabled || len(u.Licenses) != 0 {
		t.Errorf("after: %v %s enabled=%v licenses=%v", err, mb.RecipientTypeDetails, u.AccountEnabled, u.Licenses)
	}
	perms, _ := tn.MailboxPermissions(context.Background(), "gina@contoso.com")
	sendAs, _ := tn.RecipientPermissions(context.Background(), "gina@contoso.com")
	if !mailbox.HasRight(perms, "kim@contoso.com", mailbox.RightFullAccess) || !mailbox.HasRight(sendAs, "kim@contoso.com", mailbox.RightSendAs) {
		t.Errorf("members: %+v %+v", perms, sendAs)
	}
}

// The order of the work (issue 3): revoke sessions, block sign-in, grants,
// convert, verify, remove the direct licenses.
func TestOrderOfTheWork(t *testing.T) {
	p := planOp(t, contoso(t, 0), toShared("alice@contoso.com", mailbox.Options{FullAccess: []string{"kim@contoso.com"}, SendAs: []string{"lee@contoso.com"}}))
	want := []mailbox.StepName{mailbox.StepRevokeSessions, mailbox.StepBlockSignIn, mailbox.StepGrantFullAccess, mailbox.StepGrantSendAs,
		mailbox.StepConvertToShared, mailbox.StepVerifyShared, mailbox.StepRemoveLicenses}
	if !slices.Equal(stepNames(p), want) {
		t.Errorf("steps %v, want %v", stepNames(p), want)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	for _, op := range []mailbox.Operation{
		toShared("alice@contoso.com", mailbox.Options{FullAccess: []string{"kim@contoso.com"}, SendAs: []string{"kim@contoso.com"}, DryRun: true}),
		toShared("gina@contoso.com", mailbox.Options{DryRun: true}),
		{Kind: mailbox.KindConvertToRegular, Mailbox: "sales@contoso.com", Options: mailbox.Options{DryRun: true}},
	} {
		tn := contoso(t, 0)
		p := planOp(t, tn, op)
		for i, o := range execute(t, tn, p, true) {
			if !strings.HasPrefix(o.Detail, "would ") && o.Status != mailbox.Skipped || o.Secret != "" {
				t.Errorf("%s step %s: %+v", op.Mailbox, p.Steps[i].Name, o)
			}
		}
		if c := tn.Changes(); len(c) != 0 {
			t.Errorf("%s: a dry run changed the tenant: %+v", op.Mailbox, c)
		}
	}
	// The description names the call and its JSON.
	tn := contoso(t, 0)
	p := planOp(t, tn, toShared("alice@contoso.com", mailbox.Options{DryRun: true}))
	outs := execute(t, tn, p, true)
	i := slices.Index(stepNames(p), mailbox.StepConvertToShared)
	if want := `would send Exchange Set-Mailbox {"Confirm":false,"Identity":"alice@contoso.com","Type":"Shared"}`; outs[i].Detail != want {
		t.Errorf("detail %q, want %q", outs[i].Detail, want)
	}
}
