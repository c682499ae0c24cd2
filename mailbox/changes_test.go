package mailbox_test

import (
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

func TestChanges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(p *mailbox.Plan)
		want   []string // one substring per change, in order; none: not material
	}{
		{"nothing", func(*mailbox.Plan) {}, nil},
		{"grew within a class", func(p *mailbox.Plan) { p.Target.SizeBytes = 11 * mailbox.GB }, nil},
		{"a step less", func(p *mailbox.Plan) { p.Steps = p.Steps[:2] }, nil},
		{"reworded title", func(p *mailbox.Plan) { p.Steps[0].Title = "x" }, nil},
		{"type", func(p *mailbox.Plan) { p.Target.RecipientTypeDetails = mailbox.RecipientSharedMailbox },
			[]string{"the mailbox is now SharedMailbox (was UserMailbox)"}},
		{"recreated", func(p *mailbox.Plan) { p.Target.UserID = "22222222-0000-4000-8000-000000000002" },
			[]string{"alice@contoso.com now resolves to another account"}},
		{"deleted", func(p *mailbox.Plan) { p.Target.Deleted = true }, []string{"the account is now deleted"}},
		{"synced", func(p *mailbox.Plan) { p.Target.Synced = true }, []string{"the account is now synchronised from on-premises"}},
		{"over 50", func(p *mailbox.Plan) { p.Target.SizeBytes = 51 * mailbox.GB }, []string{"the mailbox's size is now over 50 GB (was under 50 GB)"}},
		{"over 100", func(p *mailbox.Plan) { p.Target.SizeBytes = 100 * mailbox.GB }, []string{"the mailbox's size is now over 100 GB"}},
		{"litigation hold", func(p *mailbox.Plan) { p.Target.LitigationHold = true }, []string{"a litigation hold was placed"}},
		{"in-place hold", func(p *mailbox.Plan) { p.Target.InPlaceHolds = append(p.Target.InPlaceHolds, "hold-c") },
			[]string{"an in-place hold was placed (hold-c)"}},
		{"archive", func(p *mailbox.Plan) { p.Target.Archive = true }, []string{"an archive was enabled"}},
		{"licence now from a group", func(p *mailbox.Plan) {
			p.Target.Licenses[0] = mailbox.LicenseFact{SkuID: "sku-e3", Group: "g-sales", GroupName: "Sales"}
		},
			[]string{"the licence sku-e3 now comes from the group Sales (was direct)"}},
		{"licence removed", func(p *mailbox.Plan) { p.Target.Licenses = p.Target.Licenses[1:] }, []string{"the licence sku-e3 is no longer assigned"}},
		{"licence added", func(p *mailbox.Plan) {
			p.Target.Licenses = append(p.Target.Licenses, mailbox.LicenseFact{SkuID: "sku-e5"})
		},
			[]string{"the licence sku-e5 is now assigned (direct)"}},
		{"address taken", func(p *mailbox.Plan) { p.Target.AddressTaken = true },
			[]string{"the address alice@contoso.com is now used by another mailbox"}},
		{"person moved", func(p *mailbox.Plan) { p.Target.People[0].ID = "k2" },
			[]string{"kim@contoso.com's address now resolves to another account"}},
		{"person gone", func(p *mailbox.Plan) { p.Target.People[1].ID = "" }, []string{"lee@contoso.com no longer resolves"}},
		{"new blocker", func(p *mailbox.Plan) {
			p.Findings = append(p.Findings, mailbox.Finding{Severity: mailbox.Blocker, Rule: 8, Text: "alice is synchronised."})
		}, []string{"something now stops it: alice is synchronised"}},
		{"new step", func(p *mailbox.Plan) {
			p.Steps = append(p.Steps, mailbox.Step{Name: mailbox.StepRemoveLicenses, Title: "Remove the direct licenses"})
		}, []string{"also do what was not approved: Remove the direct licenses"}},
		{"two", func(p *mailbox.Plan) {
			p.Target.RecipientTypeDetails = mailbox.RecipientSharedMailbox
			p.Target.LitigationHold = true
		}, []string{"SharedMailbox", "litigation hold"}},
	} {
		live := fullPlan()
		tc.change(&live)
		got := mailbox.Changes(fullPlan(), live)
		if len(got) != len(tc.want) {
			t.Errorf("%s: changes %+v, want %q", tc.name, got, tc.want)
			continue
		}
		for i, c := range got {
			if !strings.Contains(c.Text, tc.want[i]) || c.What == "" {
				t.Errorf("%s: change %d = %+v, want %q", tc.name, i, c, tc.want[i])
			}
		}
	}
}

// A mailbox deleted and made again between approval and run: the live plan
// of the same request shows another object id, which is material.
func TestChangesOfPlannedPlans(t *testing.T) {
	tn := sharedTenant(t, 0)
	op := access(mailbox.KindGrant, "info@contoso.com", "kim@contoso.com", mailbox.SendAs, mailbox.Options{})
	approved := planOp(t, tn, op)
	if c := mailbox.Changes(approved, planOp(t, tn, op)); len(c) != 0 {
		t.Fatalf("same data: changes %+v", c)
	}
	live := planOp(t, tn, op)
	live.Target.UserID = "99999999-0000-4000-8000-000000000009"
	if c := mailbox.Changes(approved, live); len(c) != 1 || c[0].What != "object_id" {
		t.Errorf("changes %+v", c)
	}
}
