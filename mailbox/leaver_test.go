package mailbox_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/mailboxtest"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// Issue 16: a leaver's rights on other mailboxes (rule 18) and the
// manager's access, against the Contoso cast: leo@ holds Full Access on
// projects@, Send As on billing@ and Send on Behalf on hr@ (listed there
// by his name).

var leoRemovals = []string{
	"revoke_full_access projects@contoso.com",
	"revoke_send_as billing@contoso.com",
	"revoke_send_on_behalf hr@contoso.com",
}

func TestRule18RemoveAccessElsewhere(t *testing.T) {
	tn := contoso(t, 0)
	plan := planOp(t, tn, toShared("leo@contoso.com", mailbox.Options{RemoveAccess: true}))
	want := slices.Sorted(slices.Values(leoRemovals))
	if got := mailboxtest.Removals(plan); !slices.Equal(got, want) {
		t.Fatalf("removals %q, want %q", got, want)
	}
	// After the verified conversion, before the licenses go (rule 1).
	names := stepNames(plan)
	verify, licenses := slices.Index(names, mailbox.StepVerifyShared), slices.Index(names, mailbox.StepRemoveLicenses)
	for i, s := range plan.Steps {
		if s.On != "" && (i < verify || (licenses >= 0 && i > licenses)) {
			t.Errorf("step %d %s on %s is not between the verification (%d) and the license removal (%d)", i, s.Name, s.On, verify, licenses)
		}
		if s.On != "" && (s.Arg != "leo@contoso.com" || !slices.Contains(s.Names, "Leo Lane") || !strings.Contains(s.Title, s.On)) {
			t.Errorf("step %+v: want leo's UPN, his name among Names, and the mailbox in the title", s)
		}
	}
	if !finding(plan, mailbox.Info, 18, "3 rights on other mailboxes") {
		t.Errorf("findings %+v: want the rights counted", plan.Findings)
	}

	// A dry run reads and describes each removal, and changes nothing.
	for _, o := range execute(t, tn, plan, true) {
		if o.Status == mailbox.Done {
			t.Errorf("dry run did %+v", o)
		}
	}
	if c := tn.Changes(); len(c) != 0 {
		t.Fatalf("dry run changed %+v", c)
	}
	execute(t, tn, plan, false)
	for _, mb := range []string{"projects@contoso.com", "billing@contoso.com", "hr@contoso.com"} {
		if got := len(kinds(tn, mb)); got != 1 {
			t.Errorf("%s: %d changes %q, want the one removal", mb, got, kinds(tn, mb))
		}
	}
	// Run again (a crash and a retry): each removal reads first and skips.
	for _, o := range execute(t, tn, plan, false) {
		if o.Status == mailbox.Done && strings.Contains(o.Detail, "taken away") {
			t.Errorf("run again, a removal was made twice: %+v", o)
		}
	}
}

// The plan's fingerprint follows the list of rights: one more found since
// is a change the approver did not see; one gone since only makes its step
// unneeded.
func TestRule18FingerprintFollowsTheRights(t *testing.T) {
	tn := contoso(t, 0)
	op := toShared("leo@contoso.com", mailbox.Options{RemoveAccess: true})
	approved := planOp(t, tn, op)
	if again := planOp(t, tn, op); again.Fingerprint() != approved.Fingerprint() {
		t.Fatal("the same tenant planned twice gives two fingerprints")
	}
	if err := tn.AddSendAs(context.Background(), "sales@contoso.com", "leo@contoso.com"); err != nil {
		t.Fatal(err)
	}
	more := planOp(t, tn, op)
	if more.Fingerprint() == approved.Fingerprint() {
		t.Error("a right found since leaves the fingerprint as it was")
	}
	ch := mailbox.Changes(approved, more)
	if !slices.ContainsFunc(ch, func(c mailbox.Change) bool { return c.What == "step" && strings.Contains(c.Text, "sales@contoso.com") }) {
		t.Errorf("changes %+v: want the new removal on sales@ as a step not approved", ch)
	}
	if err := tn.RemoveSendAs(context.Background(), "sales@contoso.com", "leo@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if err := tn.RemoveFullAccess(context.Background(), "projects@contoso.com", "leo@contoso.com"); err != nil {
		t.Fatal(err)
	}
	fewer := planOp(t, tn, op)
	if fewer.Fingerprint() == approved.Fingerprint() {
		t.Error("a right gone since leaves the fingerprint as it was")
	}
	if ch := mailbox.Changes(approved, fewer); len(ch) != 0 {
		t.Errorf("a right removed since is not material, got %+v", ch)
	}
	// The step of the right gone since is skipped, saying so.
	i := slices.IndexFunc(approved.Steps, func(s mailbox.Step) bool { return s.On == "projects@contoso.com" })
	ex := &mailbox.Executor{Directory: tn, Exchange: tn}
	o, err := ex.Run(context.Background(), approved.Target, approved.Steps[i], false)
	if err != nil || o.Status != mailbox.Skipped || !strings.Contains(o.Detail, "did not have") {
		t.Errorf("removal of a right gone since: %+v %v", o, err)
	}
}

// On is in the fingerprint.
func TestStepOnInFingerprint(t *testing.T) {
	p := mailbox.Plan{Op: mailbox.Operation{Kind: mailbox.KindGrant, Mailbox: "sales@contoso.com"},
		Steps: []mailbox.Step{{Name: mailbox.StepGrantSendAs, Arg: "kim@contoso.com"}}}
	q := p
	q.Steps = []mailbox.Step{{Name: mailbox.StepGrantSendAs, Arg: "kim@contoso.com", On: "other@contoso.com"}}
	if p.Fingerprint() == q.Fingerprint() {
		t.Error("On is not in the fingerprint")
	}
}

func TestRule18KeepAccess(t *testing.T) {
	tn := contoso(t, 0)
	plan := planOp(t, tn, toShared("leo@contoso.com", mailbox.Options{KeepAccess: true, RemoveAccess: true}))
	if got := mailboxtest.Removals(plan); len(got) != 0 {
		t.Errorf("keep-access still removes %q", got)
	}
	if !finding(plan, mailbox.Warning, 18, "keep-access") {
		t.Errorf("findings %+v: want keep-access warned about", plan.Findings)
	}
	if r := tn.Reads()[sandbox.ReadSharedMailboxList]; r != 0 {
		t.Errorf("keep-access listed the shared mailboxes %d times", r)
	}
}

func TestManagerAccess(t *testing.T) {
	tn := contoso(t, 0)
	plan := planOp(t, tn, toShared("leo@contoso.com", mailbox.Options{ManagerAccess: true}))
	var grants []string
	for _, s := range plan.Steps {
		if s.Name == mailbox.StepGrantFullAccess || s.Name == mailbox.StepGrantSendAs {
			grants = append(grants, string(s.Name)+" "+s.Arg)
			if s.NoAutoMapping {
				t.Errorf("the manager's Full Access without automapping: %+v", s)
			}
		}
	}
	if want := []string{"grant_full_access maria@contoso.com", "grant_send_as maria@contoso.com"}; !slices.Equal(grants, want) {
		t.Errorf("grants %q, want %q", grants, want)
	}
	if !finding(plan, mailbox.Info, 16, "the approvers decide") {
		t.Errorf("findings %+v: want why the approvers decide", plan.Findings)
	}
	p := &mailbox.Planner{Directory: tn, Exchange: tn}
	who, err := p.Beneficiaries(context.Background(), plan)
	if err != nil || !slices.ContainsFunc(who, func(pr mailbox.Principal) bool { return pr.Matches("maria@contoso.com") }) {
		t.Errorf("beneficiaries %+v %v: want the manager", who, err)
	}
	execute(t, tn, plan, false)
	if auto, ok := tn.FullAccessAutoMapping("leo@contoso.com", "maria@contoso.com"); !ok || !auto {
		t.Errorf("maria's Full Access on leo@: granted %v, automapping %v", ok, auto)
	}

	// Without a manager: said, and nobody gets access.
	plan = planOp(t, tn, toShared("grace@contoso.com", mailbox.Options{ManagerAccess: true}))
	if !finding(plan, mailbox.Warning, 16, "no manager") {
		t.Errorf("findings %+v: want the missing manager said", plan.Findings)
	}
}

// A removal step keeps the mailbox it acts on through storage (a request's
// steps are stored as JSON, and undo reads them back), and the plan its
// fingerprint.
func TestRule18StepsSurviveStorage(t *testing.T) {
	plan := planOp(t, contoso(t, 0), toShared("leo@contoso.com", mailbox.Options{RemoveAccess: true}))
	b, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	var back mailbox.Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got, want := mailboxtest.Removals(back), mailboxtest.Removals(plan); !slices.Equal(got, want) || len(got) != 3 {
		t.Errorf("after a round trip: %q, want %q", got, want)
	}
	if back.Fingerprint() != plan.Fingerprint() {
		t.Error("the fingerprint changed in a round trip")
	}
	if !strings.Contains(string(b), `"on":"billing@contoso.com"`) {
		t.Errorf("stored without its mailbox: %s", b)
	}
}
