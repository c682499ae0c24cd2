package mailbox_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// fullPlan is a plan with every field the fingerprint covers set.
func fullPlan() mailbox.Plan {
	return mailbox.Plan{
		Op: mailbox.Operation{
			Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com", DisplayName: "Alice",
			Members: []string{"kim@contoso.com", "lee@contoso.com"}, Trustee: "kim@contoso.com", Right: mailbox.FullAccess,
			Options: mailbox.Options{FullAccess: []string{"kim@contoso.com", "lee@contoso.com"}, SendAs: []string{"kim@contoso.com"},
				At: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), License: "ENTERPRISEPACK"},
		},
		Target: mailbox.Target{
			UserID: "11111111-0000-4000-8000-000000000001", UserPrincipalName: "alice@contoso.com", DisplayName: "Alice",
			RecipientTypeDetails: mailbox.RecipientUserMailbox, SizeBytes: 10 * mailbox.GB,
			InPlaceHolds: []string{"hold-a", "hold-b"},
			Licenses:     []mailbox.LicenseFact{{SkuID: "sku-e3"}, {SkuID: "sku-ems", Group: "g-sales", GroupName: "Sales"}},
			People: []mailbox.Person{{Address: "kim@contoso.com", ID: "k1", Name: "kim@contoso.com"},
				{Address: "lee@contoso.com", ID: "l1", Name: "lee@contoso.com"}},
		},
		Findings: []mailbox.Finding{
			{Severity: mailbox.Info, Rule: 7, Text: "Inbox rules are kept."},
			{Severity: mailbox.Warning, Rule: 12, Text: "Full Access is not Send As."},
		},
		Steps: []mailbox.Step{
			{Name: mailbox.StepRevokeSessions, Title: "Revoke"},
			{Name: mailbox.StepGrantFullAccess, Arg: "kim@contoso.com", Names: []string{"Kim", "kim"}},
			{Name: mailbox.StepConvertToShared},
		},
	}
}

func TestFingerprintChangesWithEachField(t *testing.T) {
	base := fullPlan().Fingerprint()
	if base != fullPlan().Fingerprint() || len(base) != 32 {
		t.Fatalf("fingerprint %q is not stable", base)
	}
	for name, change := range map[string]func(p *mailbox.Plan){
		"kind":           func(p *mailbox.Plan) { p.Op.Kind = mailbox.KindConvertToRegular },
		"mailbox":        func(p *mailbox.Plan) { p.Op.Mailbox = "bob@contoso.com" },
		"display name":   func(p *mailbox.Plan) { p.Op.DisplayName = "Bob" },
		"members":        func(p *mailbox.Plan) { p.Op.Members = append(p.Op.Members, "eve@contoso.com") },
		"trustee":        func(p *mailbox.Plan) { p.Op.Trustee = "eve@contoso.com" },
		"right":          func(p *mailbox.Plan) { p.Op.Right = mailbox.SendAs },
		"keep-signin":    func(p *mailbox.Plan) { p.Op.Options.KeepSignIn = true },
		"keep-sessions":  func(p *mailbox.Plan) { p.Op.Options.KeepSessions = true },
		"keep-license":   func(p *mailbox.Plan) { p.Op.Options.KeepLicenses = true },
		"add-license":    func(p *mailbox.Plan) { p.Op.Options.AddLicense = true },
		"full-access":    func(p *mailbox.Plan) { p.Op.Options.FullAccess = p.Op.Options.FullAccess[:1] },
		"send-as":        func(p *mailbox.Plan) { p.Op.Options.SendAs = append(p.Op.Options.SendAs, "eve@contoso.com") },
		"no-automap":     func(p *mailbox.Plan) { p.Op.Options.NoAutoMapping = true },
		"each-member":    func(p *mailbox.Plan) { p.Op.Options.EachMember = true },
		"license":        func(p *mailbox.Plan) { p.Op.Options.License = "SPE_E5" },
		"password":       func(p *mailbox.Plan) { p.Op.Options.Password = true },
		"at":             func(p *mailbox.Plan) { p.Op.Options.At = p.Op.Options.At.Add(time.Hour) },
		"dry-run":        func(p *mailbox.Plan) { p.Op.Options.DryRun = true },
		"object id":      func(p *mailbox.Plan) { p.Target.UserID = "22222222-0000-4000-8000-000000000002" },
		"upn":            func(p *mailbox.Plan) { p.Target.UserPrincipalName = "alice.old@contoso.com" },
		"recipient type": func(p *mailbox.Plan) { p.Target.RecipientTypeDetails = mailbox.RecipientSharedMailbox },
		"deleted":        func(p *mailbox.Plan) { p.Target.Deleted = true },
		"synced":         func(p *mailbox.Plan) { p.Target.Synced = true },
		"size over 50":   func(p *mailbox.Plan) { p.Target.SizeBytes = 50 * mailbox.GB },
		"litigation":     func(p *mailbox.Plan) { p.Target.LitigationHold = true },
		"in-place hold":  func(p *mailbox.Plan) { p.Target.InPlaceHolds = p.Target.InPlaceHolds[:1] },
		"archive":        func(p *mailbox.Plan) { p.Target.Archive = true },
		"license source": func(p *mailbox.Plan) { p.Target.Licenses[0].Group = "g-sales" },
		"license sku":    func(p *mailbox.Plan) { p.Target.Licenses[0].SkuID = "sku-e5" },
		"address taken":  func(p *mailbox.Plan) { p.Target.AddressTaken = true },
		"person id":      func(p *mailbox.Plan) { p.Target.People[0].ID = "k2" },
		"person group":   func(p *mailbox.Plan) { p.Target.People[1].Group = true },
		"step order":     func(p *mailbox.Plan) { p.Steps[0], p.Steps[2] = p.Steps[2], p.Steps[0] },
		"step name":      func(p *mailbox.Plan) { p.Steps[1].Name = mailbox.StepGrantSendAs },
		"step arg":       func(p *mailbox.Plan) { p.Steps[1].Arg = "eve@contoso.com" },
		"step names":     func(p *mailbox.Plan) { p.Steps[1].Names = []string{"Eve"} },
		"step automap":   func(p *mailbox.Plan) { p.Steps[1].NoAutoMapping = true },
		"step added":     func(p *mailbox.Plan) { p.Steps = append(p.Steps, mailbox.Step{Name: mailbox.StepRemoveLicenses}) },
		"finding text":   func(p *mailbox.Plan) { p.Findings[0].Text = "Inbox rules are lost." },
		"finding rule":   func(p *mailbox.Plan) { p.Findings[0].Rule = 8 },
		"finding sev":    func(p *mailbox.Plan) { p.Findings[1].Severity = mailbox.Blocker },
		"finding added": func(p *mailbox.Plan) {
			p.Findings = append(p.Findings, mailbox.Finding{Severity: mailbox.Info, Text: "x"})
		},
	} {
		p := fullPlan()
		change(&p)
		if got := p.Fingerprint(); got == base {
			t.Errorf("%s: the fingerprint did not change", name)
		}
	}
}

func TestFingerprintIgnoresWhatIsNotDecided(t *testing.T) {
	base := fullPlan().Fingerprint()
	for name, change := range map[string]func(p *mailbox.Plan){
		"member order":    func(p *mailbox.Plan) { slices.Reverse(p.Op.Members) },
		"option order":    func(p *mailbox.Plan) { slices.Reverse(p.Op.Options.FullAccess) },
		"address case":    func(p *mailbox.Plan) { p.Op.Mailbox = "Alice@Contoso.com" },
		"hold order":      func(p *mailbox.Plan) { slices.Reverse(p.Target.InPlaceHolds) },
		"license order":   func(p *mailbox.Plan) { slices.Reverse(p.Target.Licenses) },
		"people order":    func(p *mailbox.Plan) { slices.Reverse(p.Target.People) },
		"finding order":   func(p *mailbox.Plan) { slices.Reverse(p.Findings) },
		"step names":      func(p *mailbox.Plan) { slices.Reverse(p.Steps[1].Names) },
		"step title":      func(p *mailbox.Plan) { p.Steps[0].Title = "Revoke the sessions" },
		"finding fix":     func(p *mailbox.Plan) { p.Findings[0].Fix = "Do nothing." },
		"size in a class": func(p *mailbox.Plan) { p.Target.SizeBytes = 11 * mailbox.GB },
		"at zone":         func(p *mailbox.Plan) { p.Op.Options.At = p.Op.Options.At.In(time.FixedZone("CET", 3600)) },
		"manager":         func(p *mailbox.Plan) { p.Target.ManagerEmail = "boss@contoso.com" },
		"since":           func(p *mailbox.Plan) { p.Steps[0].Since = time.Now() },
	} {
		p := fullPlan()
		change(&p)
		if got := p.Fingerprint(); got != base {
			t.Errorf("%s: the fingerprint changed", name)
		}
	}
}

func TestFingerprintSurvivesJSON(t *testing.T) {
	p := fullPlan()
	p.Op.Options.At = time.Now().Add(time.Hour) // a monotonic reading and a local zone
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back mailbox.Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Fingerprint() != p.Fingerprint() {
		t.Errorf("after JSON: %s, before %s\n%s", back.Fingerprint(), p.Fingerprint(), b)
	}
}

// A plan the planner made twice from the same data has one fingerprint.
func TestFingerprintOfPlannedPlans(t *testing.T) {
	tn := sharedTenant(t, 0)
	op := access(mailbox.KindGrant, "info@contoso.com", "sales-team@contoso.com", mailbox.FullAccess, mailbox.Options{EachMember: true})
	a, b := planOp(t, tn, op), planOp(t, tn, op)
	if a.Fingerprint() != b.Fingerprint() {
		t.Errorf("two plans of the same request: %s and %s", a.Fingerprint(), b.Fingerprint())
	}
	if len(a.Target.People) != 1 || a.Target.People[0].ID == "" || !a.Target.People[0].Group {
		t.Errorf("people %+v", a.Target.People)
	}
}
